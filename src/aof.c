/*
 * aof.c - the live append-only log; see aof.h for the write path, the
 * reply ordering, the thread model and disk-error handling, and
 * aof_int.h for the file formats.
 *
 * State machine:
 *   OFF           appendonly no: nothing is fed or written.
 *   ON            the manifest on disk describes base + incremental
 *                 files; fd is the last incremental file.
 *   WAIT_REWRITE  appendonly was switched on at run time: writes go to a
 *                 fresh incremental file that the manifest on disk does
 *                 not list yet; the first successful rewrite writes the
 *                 base and the manifest, and the state becomes ON.
 *
 * Sizes: "size" is the byte length of the current incremental file that
 * is known good (written, and fsynced under always); the buffer holds
 * what is fed but not yet there.  aof_current_size = base + finished
 * incremental files + size.
 */
#include "aof.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aof_int.h"
#include "config.h"
#include "core.h"
#include "db.h"
#include "lib/log.h"
#include "lib/mem.h"

#define RETRY_MS 100           /* retry a failed write this often */
#define POSTPONE_MAX_MS 2000   /* everysec: wait for a busy fsync at most */
#define BUF_KEEP (1024 * 1024) /* shrink the buffer beyond this when empty */

enum aof_state { AOF_OFF, AOF_ON, AOF_WAIT_REWRITE };
enum job_kind { JOB_FSYNC, JOB_CLOSE, JOB_UNLINK };

struct job {
    enum job_kind kind;
    int fd;
    char *path;
    struct job *next;
};

/* The background thread (everysec fsync, closing and unlinking files). */
struct bg {
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *head, *tail;
    int stop;
    atomic_int pending;     /* jobs queued or running */
    atomic_int fsyncs;      /* of which fsync jobs (JOB_FSYNC, JOB_CLOSE) */
    atomic_int fsync_errno; /* result of the last fsync job, 0 = ok */
};

struct note {
    void *client;
    uint64_t need; /* fed offset its reply depends on */
    int held;
};

struct aof {
    struct core *core;
    enum aof_state state;
    char *dir, *fname;
    struct aof_manifest man;
    int fd;
    off_t size, synced, base_size, done_incr_size, rewrite_base_size;
    int cur_db, in_multi, policy;
    struct buf buf;
    uint64_t fed, durable;
    struct note *notes;
    size_t nnotes, cap_notes;
    int64_t last_fsync_ms, postponed_since, last_try_ms;
    uint64_t delayed_fsync;
    int write_errno; /* latched write/fsync error of the loop, 0 = ok */
    int bg_err_seen;
    /* rewrite */
    pid_t child;
    int64_t rw_start_ms, rw_next_auto_ms;
    long long rw_first_incr; /* incremental files from this seq on survive */
    long long rw_last_sec;
    uint64_t rewrites, rw_failures;
    int rw_last_ok, rw_scheduled;
    const char *fault_file; /* WEIR_AOF_FAULT_FILE, for tests */
    char errmsg[160];
    struct bg bg;
};

static struct aof *g_aof;

static int64_t now_ms(void)
{
    return util_mstime();
}

/* ---- background thread -------------------------------------------------- */

static void run_job(struct bg *bg, struct job *j)
{
    if (j->kind == JOB_FSYNC || j->kind == JOB_CLOSE) {
        int r = fdatasync(j->fd);
        atomic_store(&bg->fsync_errno, r < 0 ? errno : 0);
        if (j->kind == JOB_CLOSE)
            close(j->fd);
        atomic_fetch_sub(&bg->fsyncs, 1);
    } else {
        unlink(j->path);
    }
    mem_free(j->path);
    mem_free(j);
}

static void *bg_main(void *arg)
{
    struct bg *bg = arg;
    pthread_mutex_lock(&bg->mu);
    for (;;) {
        while (!bg->head && !bg->stop)
            pthread_cond_wait(&bg->cv, &bg->mu);
        struct job *j = bg->head;
        if (!j)
            break;
        bg->head = j->next;
        if (!bg->head)
            bg->tail = NULL;
        pthread_mutex_unlock(&bg->mu);
        run_job(bg, j);
        atomic_fetch_sub(&bg->pending, 1);
        pthread_mutex_lock(&bg->mu);
    }
    pthread_mutex_unlock(&bg->mu);
    return NULL;
}

static void bg_start(struct bg *bg)
{
    if (bg->started)
        return;
    pthread_mutex_init(&bg->mu, NULL);
    pthread_cond_init(&bg->cv, NULL);
    bg->stop = 0;
    if (pthread_create(&bg->th, NULL, bg_main, bg) != 0) {
        log_msg(LOG_WARNING, "Can't create the AOF background thread: %s", strerror(errno));
        return;
    }
    bg->started = 1;
}

/* Queue a job; without the thread it runs inline. */
static void bg_submit(struct bg *bg, enum job_kind kind, int fd, const char *path)
{
    struct job *j = mem_calloc(sizeof(*j));
    j->kind = kind;
    j->fd = fd;
    j->path = path ? mem_strndup(path, strlen(path)) : NULL;
    atomic_fetch_add(&bg->pending, 1);
    if (kind != JOB_UNLINK)
        atomic_fetch_add(&bg->fsyncs, 1);
    if (!bg->started) {
        run_job(bg, j);
        atomic_fetch_sub(&bg->pending, 1);
        return;
    }
    pthread_mutex_lock(&bg->mu);
    if (bg->tail)
        bg->tail->next = j;
    else
        bg->head = j;
    bg->tail = j;
    pthread_cond_signal(&bg->cv);
    pthread_mutex_unlock(&bg->mu);
}

/* Run every queued job and stop the thread. */
static void bg_stop(struct bg *bg)
{
    if (!bg->started)
        return;
    pthread_mutex_lock(&bg->mu);
    bg->stop = 1;
    pthread_cond_signal(&bg->cv);
    pthread_mutex_unlock(&bg->mu);
    pthread_join(bg->th, NULL);
    pthread_mutex_destroy(&bg->mu);
    pthread_cond_destroy(&bg->cv);
    bg->started = 0;
}

/* ---- errors --------------------------------------------------------------- */

/* Test hook: with enable-debug-command and WEIR_AOF_FAULT_FILE naming an
 * existing file, writes fail as its first word says: ENOSPC (after a
 * partial write), EIO, or FSYNC (fsync fails with EIO). */
static int fault(const struct aof *a, const char *what)
{
    char word[16] = "";
    if (!a->fault_file || !a->core->cfg.enable_debug_command)
        return 0;
    FILE *f = fopen(a->fault_file, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%15s", word) != 1)
        word[0] = '\0';
    fclose(f);
    if (strcmp(what, "fsync") == 0)
        return strcmp(word, "FSYNC") == 0 ? EIO : 0;
    return strcmp(word, "EIO") == 0 ? EIO : strcmp(word, "FSYNC") == 0 ? 0 : ENOSPC;
}

static void latch_error(struct aof *a, int err, const char *what)
{
    if (a->write_errno == 0)
        log_msg(LOG_WARNING,
                "Error %s the AOF file %s: %s (write commands are refused until "
                "it can be written again)",
                what, a->man.nincr ? a->man.incr[a->man.nincr - 1].name : "", strerror(err));
    a->write_errno = err;
}

static void clear_error(struct aof *a)
{
    if (a->write_errno)
        log_msg(LOG_WARNING, "AOF write error looks solved, Weir can write again.");
    a->write_errno = 0;
}

static int current_error(const struct aof *a)
{
    return a->write_errno ? a->write_errno : atomic_load((atomic_int *)&a->bg.fsync_errno);
}

int aof_write_ok(void)
{
    struct aof *a = g_aof;
    if (!a || a->state == AOF_OFF || a->core->loading)
        return 1;
    return current_error(a) == 0;
}

const char *aof_write_error(void)
{
    struct aof *a = g_aof;
    int e = a ? current_error(a) : 0;
    if (!a)
        return "MISCONF Errors writing to the AOF file";
    snprintf(a->errmsg, sizeof(a->errmsg), "MISCONF Errors writing to the AOF file: %s",
             strerror(e ? e : EIO));
    return a->errmsg;
}

/* ---- feeding ------------------------------------------------------------- */

static void feed_raw(struct aof *a, int argc, const struct slice *argv)
{
    size_t before = a->buf.len;
    aof_encode_cmd(&a->buf, argc, argv);
    a->fed += a->buf.len - before;
}

/* End a MULTI block opened by aof_feed (EXEC of a transaction). */
static void close_multi(struct aof *a)
{
    struct slice exec = SLICE_LIT("EXEC");
    if (!a->in_multi)
        return;
    feed_raw(a, 1, &exec);
    a->in_multi = 0;
}

void aof_feed(void *priv, int dbid, int argc, const struct slice *argv)
{
    struct aof *a = priv;
    if (a->state == AOF_OFF)
        return;
    if (a->core->exec_depth > 0 && !a->in_multi) {
        struct slice multi = SLICE_LIT("MULTI");
        feed_raw(a, 1, &multi);
        a->in_multi = 1;
    } else if (a->core->exec_depth == 0) {
        close_multi(a);
    }
    if (dbid != a->cur_db) {
        char num[24];
        struct slice sel[2] = {SLICE_LIT("SELECT"), {num, util_ll2str(num, dbid)}};
        feed_raw(a, 2, sel);
        a->cur_db = dbid;
    }
    feed_raw(a, argc, argv);
}

/* ---- writing ------------------------------------------------------------- */

static int pwrite_all(int fd, const char *p, size_t n, off_t off, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = pwrite(fd, p + *done, n - *done, off + (off_t)*done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        *done += (size_t)w;
    }
    return 0;
}

/* Write the buffer after the good part of the file; a partial write is
 * cut off again so that the file never holds half a command. */
static int write_buffer(struct aof *a)
{
    size_t done = 0, len = a->buf.len;
    int e = fault(a, "write");
    if (e == ENOSPC && len > 1)
        pwrite_all(a->fd, a->buf.data, len / 2, a->size, &done);
    if (!e && pwrite_all(a->fd, a->buf.data, len, a->size, &done) == 0)
        return 0;
    e = e ? e : errno;
    if (done > 0 && ftruncate(a->fd, a->size) < 0)
        log_msg(LOG_WARNING, "Could not remove a partial AOF write of %zu bytes: %s", done,
                strerror(errno));
    latch_error(a, e, "writing");
    return -1;
}

/* Write the buffer and, with sync, fdatasync the file.  On success the
 * buffer is empty and everything fed is durable; on failure the data
 * stays buffered (written again at the same offset next time). */
static int flush_buffer(struct aof *a, int sync)
{
    if (a->state == AOF_OFF || a->fd < 0)
        return 0;
    if (a->buf.len > 0 && write_buffer(a) < 0)
        return -1;
    if (sync && (a->buf.len > 0 || a->synced < a->size)) {
        int e = fault(a, "fsync");
        if (e || fdatasync(a->fd) < 0) {
            latch_error(a, e ? e : errno, "fsyncing");
            return -1;
        }
        a->last_fsync_ms = now_ms();
        atomic_store(&a->bg.fsync_errno, 0);
    }
    a->size += (off_t)a->buf.len;
    if (sync)
        a->synced = a->size;
    a->buf.len = 0;
    if (a->buf.cap > BUF_KEEP)
        buf_shrink(&a->buf, BUF_KEEP / 4);
    a->durable = a->fed;
    clear_error(a);
    return 0;
}

/* everysec: is a background fsync still running?  Then the write waits
 * (up to POSTPONE_MAX_MS), as Redis does, so that write() never blocks
 * behind fsync. */
static int postpone_write(struct aof *a)
{
    if (a->policy != FSYNC_EVERYSEC || atomic_load(&a->bg.fsyncs) == 0) {
        a->postponed_since = 0;
        return 0;
    }
    int64_t now = now_ms();
    if (a->postponed_since == 0)
        a->postponed_since = now;
    if (now - a->postponed_since < POSTPONE_MAX_MS)
        return 1;
    a->delayed_fsync++;
    a->postponed_since = 0;
    log_msg(LOG_NOTICE,
            "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the "
            "AOF buffer without waiting for fsync to complete, this may slow down Weir.");
    return 0;
}

/* everysec: start a background fsync once a second when there is
 * unsynced data.  Any policy: after a failed background fsync, try again
 * once a second (its success clears the error). */
static void everysec_fsync(struct aof *a)
{
    int err = atomic_load(&a->bg.fsync_errno);
    if (a->fd < 0 || atomic_load(&a->bg.fsyncs) > 0 || (a->policy != FSYNC_EVERYSEC && !err))
        return;
    if (a->synced >= a->size && !err)
        return;
    int64_t now = now_ms();
    if (now - a->last_fsync_ms < 1000)
        return;
    bg_submit(&a->bg, JOB_FSYNC, a->fd, NULL);
    a->synced = a->size;
    a->last_fsync_ms = now;
}

/* The per-iteration flush; returns the max sleep before a retry, -1. */
static long flush_for_replies(struct aof *a)
{
    /* a latched error is retried as the operation that failed */
    int sync = a->policy == FSYNC_ALWAYS || (a->write_errno && a->synced < a->size);
    if (a->buf.len == 0 && !a->write_errno && !(sync && a->synced < a->size))
        return -1;
    int64_t now = now_ms();
    if (a->write_errno && now - a->last_try_ms < RETRY_MS)
        return (long)(RETRY_MS - (now - a->last_try_ms));
    if (postpone_write(a))
        return 1;
    a->last_try_ms = now;
    return flush_buffer(a, sync) < 0 ? RETRY_MS : -1;
}

/* ---- clients waiting for durability -------------------------------------- */

uint64_t aof_fed_mark(const struct aof *a)
{
    return a ? a->fed : 0;
}

void aof_note_writer(struct aof *a, void *client, uint64_t mark)
{
    if (!a || a->fed == mark)
        return;
    if (a->nnotes && a->notes[a->nnotes - 1].client == client) {
        a->notes[a->nnotes - 1].need = a->fed;
        return;
    }
    if (a->nnotes == a->cap_notes) {
        a->cap_notes = a->cap_notes ? a->cap_notes * 2 : 64;
        a->notes = mem_realloc(a->notes, sizeof(*a->notes) * a->cap_notes);
    }
    a->notes[a->nnotes++] = (struct note){client, a->fed, 0};
}

int aof_must_hold(struct aof *a, const void *client)
{
    int hold = 0;
    if (!a || a->nnotes == 0 || a->durable >= a->fed)
        return 0;
    for (size_t i = 0; i < a->nnotes; i++) {
        if (a->notes[i].client == client && a->notes[i].need > a->durable) {
            a->notes[i].held = 1;
            hold = 1;
        }
    }
    return hold;
}

void aof_forget_client(struct aof *a, const void *client)
{
    size_t keep = 0;
    if (!a)
        return;
    for (size_t i = 0; i < a->nnotes; i++)
        if (a->notes[i].client != client)
            a->notes[keep++] = a->notes[i];
    a->nnotes = keep;
}

static void release_notes(struct aof *a, void (*release)(void *, void *), void *priv)
{
    size_t keep = 0;
    for (size_t i = 0; i < a->nnotes; i++) {
        struct note *n = &a->notes[i];
        if (n->need > a->durable)
            a->notes[keep++] = *n;
        else if (n->held && release)
            release(priv, n->client);
    }
    a->nnotes = keep;
}

/* ---- files ----------------------------------------------------------------- */

static off_t file_size_in(const struct aof *a, const char *name)
{
    struct stat st;
    char *path = aof_path(a->dir, name);
    int r = stat(path, &st);
    mem_free(path);
    return r == 0 ? st.st_size : 0;
}

static off_t current_size(const struct aof *a)
{
    return a->base_size + a->done_incr_size + a->size + (off_t)a->buf.len;
}

/* Sizes of the base and of every incremental file but the current one. */
static void recompute_sizes(struct aof *a)
{
    a->base_size = a->man.base.name ? file_size_in(a, a->man.base.name) : 0;
    a->done_incr_size = 0;
    for (size_t i = 0; i + 1 < a->man.nincr; i++)
        a->done_incr_size += file_size_in(a, a->man.incr[i].name);
}

/* Make fd (a fresh incremental file) current and nm the manifest. */
static void switch_file(struct aof *a, int fd, struct aof_manifest *nm)
{
    if (a->fd >= 0) {
        bg_submit(&a->bg, JOB_CLOSE, a->fd, NULL);
        a->done_incr_size += a->size;
    }
    a->fd = fd;
    a->size = a->synced = 0;
    a->cur_db = -1;
    aof_manifest_free(&a->man);
    a->man = *nm;
}

/* Open the next incremental file and make it current; with persist the
 * manifest naming it is written first.  The buffer must be empty. */
static int open_new_incr(struct aof *a, int persist, char *err, size_t errlen)
{
    long long seq = a->man.incr_seq + 1;
    char *name = aof_incr_name(a->fname, seq), *path = aof_path(a->dir, name);
    struct aof_manifest nm;
    int rc = -1, fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        goto out;
    }
    aof_manifest_copy(&nm, &a->man);
    aof_manifest_push(&nm.incr, &nm.nincr, &nm.cap_incr, name, seq, 'i');
    nm.incr_seq = seq;
    if (persist && aof_manifest_write(a->dir, a->fname, &nm, err, errlen) < 0) {
        aof_manifest_free(&nm);
        close(fd);
        unlink(path);
        goto out;
    }
    switch_file(a, fd, &nm);
    log_msg(LOG_NOTICE, "Creating AOF incr file %s", name);
    rc = 0;
out:
    mem_free(name);
    mem_free(path);
    return rc;
}

/* Start-up: reopen the last incremental file of the manifest. */
static int open_last_incr(struct aof *a, char *err, size_t errlen)
{
    struct stat st;
    if (a->man.nincr == 0)
        return open_new_incr(a, 1, err, errlen);
    char *path = aof_path(a->dir, a->man.incr[a->man.nincr - 1].name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        mem_free(path);
        return -1;
    }
    mem_free(path);
    a->fd = fd;
    a->size = a->synced = st.st_size;
    a->cur_db = -1;
    return 0;
}

static int ensure_dir(const struct aof *a)
{
    if (mkdir(a->dir, 0755) < 0 && errno != EEXIST) {
        log_msg(LOG_WARNING, "Can't create the append-only file directory %s: %s", a->dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* A first base file holding the dataset (empty at start-up). */
static int create_base(struct aof *a, char *err, size_t errlen)
{
    long long seq = a->man.base_seq + 1;
    char *name = aof_base_name(a->fname, seq), *path = aof_path(a->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int ok = fd >= 0 && aof_rewrite_dataset(a->core, fd) == 0 && fsync(fd) == 0;
    if (!ok)
        snprintf(err, errlen, "Can't create the AOF base file %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    mem_free(path);
    if (!ok) {
        mem_free(name);
        return -1;
    }
    mem_free(a->man.base.name);
    a->man.base = (struct aof_file){name, seq, 'b'};
    a->man.base_seq = seq;
    log_msg(LOG_NOTICE, "Creating AOF base file %s on server start", name);
    return 0;
}

/* An old single-file AOF (<appendfilename> in the working directory, no
 * manifest) becomes the base of a manifest, as Redis 7 upgrades it. */
static int upgrade_legacy(struct aof *a, char *err, size_t errlen)
{
    char *path = aof_path(a->dir, a->fname);
    int rc = -1;
    if (link(a->fname, path) < 0 && rename(a->fname, path) < 0) {
        snprintf(err, errlen, "Can't move %s into %s: %s", a->fname, a->dir, strerror(errno));
        goto out;
    }
    a->man.base = (struct aof_file){mem_strndup(a->fname, strlen(a->fname)), 1, 'b'};
    a->man.base_seq = 1;
    if (aof_manifest_write(a->dir, a->fname, &a->man, err, errlen) < 0)
        goto out;
    unlink(a->fname);
    log_msg(LOG_NOTICE, "Upgraded the old-style append only file %s into %s", a->fname, a->dir);
    rc = 0;
out:
    mem_free(path);
    return rc;
}

/* History entries are left-overs of a rewrite: delete them. */
static void delete_history(struct aof *a)
{
    char err[512];
    if (a->man.nhist == 0)
        return;
    for (size_t i = 0; i < a->man.nhist; i++) {
        char *path = aof_path(a->dir, a->man.hist[i].name);
        unlink(path);
        mem_free(path);
        mem_free(a->man.hist[i].name);
    }
    a->man.nhist = 0;
    if (aof_manifest_write(a->dir, a->fname, &a->man, err, sizeof(err)) < 0)
        log_msg(LOG_WARNING, "%s", err);
}

static int start_files(struct aof *a, char *err, size_t errlen)
{
    int rc = aof_manifest_read(a->dir, a->fname, &a->man, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 1 && access(a->fname, F_OK) == 0 && upgrade_legacy(a, err, errlen) < 0)
        return -1;
    if ((a->man.base.name || a->man.nincr) && aof_load_files(a->core, a->dir, &a->man) < 0) {
        snprintf(err, errlen, "Can't load the append only file (see above)");
        return -1;
    }
    delete_history(a);
    if (!a->man.base.name && a->man.nincr == 0 && create_base(a, err, errlen) < 0)
        return -1;
    return open_last_incr(a, err, errlen);
}

int aof_start(struct aof *a)
{
    char err[600];
    if (!a->core->cfg.appendonly)
        return 0;
    if (ensure_dir(a) < 0)
        return -1;
    if (start_files(a, err, sizeof(err)) < 0) {
        log_msg(LOG_WARNING, "%s", err);
        return -1;
    }
    recompute_sizes(a);
    a->rewrite_base_size = current_size(a);
    a->state = AOF_ON;
    a->policy = a->core->cfg.appendfsync;
    a->last_fsync_ms = now_ms();
    bg_start(&a->bg);
    return 0;
}

/* ---- rewrite -------------------------------------------------------------- */

static char *temp_rewrite_path(const struct aof *a, pid_t pid)
{
    char name[64];
    snprintf(name, sizeof(name), "temp-rewriteaof-bg-%d.aof", (int)pid);
    return aof_path(a->dir, name);
}

static void child_main(struct aof *a)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    char *path = temp_rewrite_path(a, getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || aof_rewrite_dataset(a->core, fd) < 0 || fsync(fd) < 0) {
        log_msg(LOG_WARNING, "Error writing the rewritten AOF %s: %s", path, strerror(errno));
        unlink(path);
        _exit(1);
    }
    close(fd);
    _exit(0);
}

static int start_child(struct aof *a, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "Can't rewrite append only file in background: fork: %s",
                 strerror(errno));
        return -1;
    }
    if (pid == 0)
        child_main(a);
    a->child = pid;
    a->rw_start_ms = now_ms();
    a->rw_scheduled = 0;
    log_msg(LOG_NOTICE, "Background append only file rewriting started by pid %d", (int)pid);
    return 0;
}

static void kill_child(struct aof *a)
{
    if (a->child <= 0)
        return;
    log_msg(LOG_NOTICE, "Killing running AOF rewrite child: %d", (int)a->child);
    kill(a->child, SIGKILL);
    while (waitpid(a->child, NULL, 0) < 0 && errno == EINTR)
        ;
    char *tmp = temp_rewrite_path(a, a->child);
    unlink(tmp);
    mem_free(tmp);
    a->child = -1;
}

/* Called before any manifest-changing rewrite when AOF is off: learn the
 * files on disk (seq numbers, what to delete). */
static int load_disk_manifest(struct aof *a, char *err, size_t errlen)
{
    if (a->man.base.name || a->man.nincr)
        return 0;
    if (ensure_dir(a) < 0) {
        snprintf(err, errlen, "Can't create the AOF directory %s: %s", a->dir, strerror(errno));
        return -1;
    }
    return aof_manifest_read(a->dir, a->fname, &a->man, err, errlen) < 0 ? -1 : 0;
}

int aof_bgrewrite(struct aof *a, char *err, size_t errlen)
{
    if (a->child > 0) {
        snprintf(err, errlen, "Background append only file rewriting already in progress");
        return -1;
    }
    a->rw_start_ms = now_ms();
    if (a->state == AOF_OFF) {
        if (load_disk_manifest(a, err, errlen) < 0)
            return -1;
        a->rw_first_incr = LLONG_MAX; /* no incremental file survives */
        return start_child(a, err, errlen);
    }
    close_multi(a);
    if (flush_buffer(a, a->policy == FSYNC_ALWAYS) < 0) {
        snprintf(err, errlen, "Can't write the AOF before the rewrite: %s",
                 strerror(a->write_errno));
        return -1;
    }
    if (a->state == AOF_ON) {
        if (open_new_incr(a, 1, err, errlen) < 0)
            return -1;
        a->rw_first_incr = a->man.incr_seq;
    }
    return start_child(a, err, errlen);
}

/* Old files of the manifest that nm no longer lists: delete them. */
static void drop_old_files(struct aof *a, const struct aof_manifest *nm)
{
    for (size_t i = 0; i <= a->man.nincr; i++) {
        const struct aof_file *f = i < a->man.nincr ? &a->man.incr[i] : &a->man.base;
        int kept = f->name == NULL;
        for (size_t k = 0; k < nm->nincr && !kept; k++)
            kept = strcmp(nm->incr[k].name, f->name) == 0;
        if (kept || (nm->base.name && strcmp(nm->base.name, f->name) == 0))
            continue;
        char *path = aof_path(a->dir, f->name);
        log_msg(LOG_NOTICE, "Removing the history file %s in the background", f->name);
        bg_submit(&a->bg, JOB_UNLINK, -1, path);
        mem_free(path);
    }
}

/* The child wrote tmp: it becomes the new base, the manifest is swapped. */
static int finish_rewrite(struct aof *a, const char *tmp)
{
    char err[600];
    struct aof_manifest nm;
    long long seq = a->man.base_seq + 1;
    char *name = aof_base_name(a->fname, seq), *path = aof_path(a->dir, name);
    aof_manifest_init(&nm);
    nm.base = (struct aof_file){name, seq, 'b'};
    nm.base_seq = seq;
    nm.incr_seq = a->man.incr_seq;
    for (size_t i = 0; i < a->man.nincr; i++)
        if (a->man.incr[i].seq >= a->rw_first_incr)
            aof_manifest_push(&nm.incr, &nm.nincr, &nm.cap_incr, a->man.incr[i].name,
                              a->man.incr[i].seq, 'i');
    int ok = rename(tmp, path) == 0;
    if (!ok)
        snprintf(err, sizeof(err), "Can't rename %s to %s: %s", tmp, path, strerror(errno));
    else if (aof_manifest_write(a->dir, a->fname, &nm, err, sizeof(err)) < 0)
        ok = 0, unlink(path);
    mem_free(path);
    if (!ok) {
        log_msg(LOG_WARNING, "%s", err);
        aof_manifest_free(&nm);
        return -1;
    }
    log_msg(LOG_NOTICE, "Successfully renamed the temporary AOF base file into %s", name);
    drop_old_files(a, &nm);
    aof_manifest_free(&a->man);
    a->man = nm;
    recompute_sizes(a);
    return 0;
}

static void rewrite_done(struct aof *a, int ok)
{
    int64_t now = now_ms();
    a->rw_last_sec = (now - a->rw_start_ms) / 1000;
    a->rw_last_ok = ok;
    if (ok) {
        a->rewrites++;
        a->rw_failures = 0;
        a->rewrite_base_size = current_size(a);
        if (a->state == AOF_WAIT_REWRITE)
            a->state = AOF_ON;
        log_msg(LOG_NOTICE, "Background AOF rewrite finished successfully");
        return;
    }
    a->rw_failures++;
    int shift = a->rw_failures > 6 ? 6 : (int)a->rw_failures;
    a->rw_next_auto_ms = now + (1000LL << shift > 60000 ? 60000 : 1000LL << shift);
    if (a->state == AOF_WAIT_REWRITE)
        a->rw_scheduled = 1;
}

static void reap_child(struct aof *a)
{
    int status = 0;
    if (a->child <= 0)
        return;
    pid_t r = waitpid(a->child, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return;
    pid_t pid = a->child;
    char *tmp = temp_rewrite_path(a, pid);
    a->child = -1;
    int ok = r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
        log_msg(LOG_WARNING, "Background AOF rewrite terminated with error (%s %d)",
                WIFSIGNALED(status) ? "signal" : "status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    if (ok && finish_rewrite(a, tmp) < 0)
        ok = 0;
    if (!ok)
        unlink(tmp);
    mem_free(tmp);
    rewrite_done(a, ok);
}

static void maybe_auto_rewrite(struct aof *a)
{
    char err[600];
    const struct config *cfg = &a->core->cfg;
    if (a->state != AOF_ON || a->child > 0 || cfg->auto_aof_rewrite_percentage <= 0)
        return;
    off_t cur = current_size(a), base = a->rewrite_base_size > 0 ? a->rewrite_base_size : 1;
    if (cur < cfg->auto_aof_rewrite_min_size || now_ms() < a->rw_next_auto_ms)
        return;
    long long growth = (long long)(cur * 100 / base) - 100;
    if (growth < cfg->auto_aof_rewrite_percentage)
        return;
    log_msg(LOG_NOTICE, "Starting automatic rewriting of AOF on %lld%% growth", growth);
    if (aof_bgrewrite(a, err, sizeof(err)) < 0) {
        log_msg(LOG_WARNING, "%s", err);
        rewrite_done(a, 0);
    }
}

/* ---- appendonly switched at run time (CONFIG SET) ------------------------- */

static void start_at_runtime(struct aof *a)
{
    char err[600];
    kill_child(a); /* a rewrite started while off would not cover the new file */
    if (load_disk_manifest(a, err, sizeof(err)) < 0)
        goto fail;
    bg_start(&a->bg);
    if (open_new_incr(a, 0, err, sizeof(err)) < 0)
        goto fail;
    a->state = AOF_WAIT_REWRITE;
    a->rw_first_incr = a->man.incr_seq;
    a->policy = a->core->cfg.appendfsync;
    a->last_fsync_ms = now_ms();
    if (start_child(a, err, sizeof(err)) < 0) {
        log_msg(LOG_WARNING, "%s", err);
        rewrite_done(a, 0);
    }
    log_msg(LOG_NOTICE, "AOF enabled: the first rewrite writes the base file");
    return;
fail:
    log_msg(LOG_WARNING, "Can't enable the append only file: %s", err);
    a->core->cfg.appendonly = 0;
}

static void stop_at_runtime(struct aof *a)
{
    kill_child(a);
    close_multi(a);
    if (flush_buffer(a, 1) < 0)
        log_msg(LOG_WARNING, "The last AOF writes could not be written before disabling it");
    if (a->fd >= 0)
        bg_submit(&a->bg, JOB_CLOSE, a->fd, NULL);
    if (a->state == AOF_WAIT_REWRITE)
        aof_manifest_free(&a->man); /* it named a file the disk does not know */
    a->fd = -1;
    a->state = AOF_OFF;
    a->buf.len = 0;
    a->durable = a->fed;
    a->write_errno = 0;
    atomic_store(&a->bg.fsync_errno, 0);
    log_msg(LOG_NOTICE, "AOF disabled");
}

static void apply_config(struct aof *a)
{
    const struct config *cfg = &a->core->cfg;
    a->policy = cfg->appendfsync;
    if (cfg->appendonly && a->state == AOF_OFF)
        start_at_runtime(a);
    else if (!cfg->appendonly && a->state != AOF_OFF)
        stop_at_runtime(a);
}

/* ---- the loop's hooks ------------------------------------------------------ */

long aof_before_sleep(struct aof *a, void (*release)(void *priv, void *client), void *priv)
{
    long wait = -1;
    if (!a)
        return -1;
    apply_config(a);
    if (a->state != AOF_OFF) {
        close_multi(a);
        wait = flush_for_replies(a);
        everysec_fsync(a);
    }
    release_notes(a, release, priv);
    return wait;
}

static void report_bg_error(struct aof *a)
{
    int e = atomic_load(&a->bg.fsync_errno);
    if (e && !a->bg_err_seen)
        log_msg(LOG_WARNING,
                "Error fsyncing the AOF in the background: %s (write commands are "
                "refused until an fsync succeeds)",
                strerror(e));
    else if (!e && a->bg_err_seen)
        log_msg(LOG_WARNING, "AOF fsync error looks solved, Weir can write again.");
    a->bg_err_seen = e != 0;
}

void aof_cron(struct aof *a)
{
    char err[600];
    if (!a)
        return;
    reap_child(a);
    report_bg_error(a);
    if (a->state == AOF_OFF)
        return;
    everysec_fsync(a);
    if (a->state == AOF_WAIT_REWRITE && a->child <= 0 && now_ms() >= a->rw_next_auto_ms) {
        if (start_child(a, err, sizeof(err)) < 0) {
            log_msg(LOG_WARNING, "%s", err);
            rewrite_done(a, 0);
        }
    }
    maybe_auto_rewrite(a);
}

/* ---- reload, shutdown -------------------------------------------------------- */

int aof_reload(struct aof *a, char *err, size_t errlen)
{
    struct aof_manifest disk;
    const struct aof_manifest *m = &a->man;
    aof_manifest_init(&disk);
    if (a->state == AOF_WAIT_REWRITE) {
        snprintf(err, errlen, "The AOF is not complete until its first rewrite finishes");
        return -1;
    }
    if (a->state == AOF_ON) {
        close_multi(a);
        if (flush_buffer(a, 1) < 0) {
            snprintf(err, errlen, "Can't write the AOF: %s", strerror(a->write_errno));
            return -1;
        }
    } else {
        int r = aof_manifest_read(a->dir, a->fname, &disk, err, errlen);
        if (r != 0) {
            if (r > 0)
                snprintf(err, errlen, "There is no append only file to load");
            return -1;
        }
        m = &disk;
    }
    for (int i = 0; i < a->core->ndbs; i++)
        db_flush(&a->core->dbs[i]);
    int rc = aof_load_files(a->core, a->dir, m);
    if (rc < 0)
        snprintf(err, errlen, "Error loading the append only file (see the log)");
    aof_manifest_free(&disk);
    return rc;
}

void aof_shutdown(struct aof *a)
{
    if (!a)
        return;
    if (a->child > 0) {
        log_msg(LOG_WARNING, "There is a child rewriting the AOF. Killing it!");
        kill_child(a);
    }
    if (a->state != AOF_OFF) {
        close_multi(a);
        log_msg(LOG_NOTICE, "Calling fsync() on the AOF file.");
        if (flush_buffer(a, 1) < 0)
            log_msg(LOG_WARNING,
                    "Error writing the AOF at shutdown: %s: the last writes (never "
                    "acknowledged) are lost",
                    strerror(a->write_errno));
    }
    bg_stop(&a->bg);
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    a->state = AOF_OFF;
}

/* ---- life cycle, INFO ------------------------------------------------------- */

struct aof *aof_create(struct core *core)
{
    struct aof *a = mem_calloc(sizeof(*a));
    const char *fault_file = getenv("WEIR_AOF_FAULT_FILE");
    a->core = core;
    a->fd = -1;
    a->cur_db = -1;
    a->child = -1;
    a->rw_last_ok = 1;
    a->rw_last_sec = -1;
    a->dir = mem_strndup(core->cfg.appenddirname, strlen(core->cfg.appenddirname));
    a->fname = mem_strndup(core->cfg.appendfilename, strlen(core->cfg.appendfilename));
    a->policy = core->cfg.appendfsync;
    a->fault_file = fault_file && fault_file[0] ? fault_file : NULL;
    buf_init(&a->buf);
    aof_manifest_init(&a->man);
    atomic_init(&a->bg.pending, 0);
    atomic_init(&a->bg.fsyncs, 0);
    atomic_init(&a->bg.fsync_errno, 0);
    g_aof = a;
    return a;
}

void aof_free(struct aof *a)
{
    if (!a)
        return;
    bg_stop(&a->bg);
    if (a->fd >= 0)
        close(a->fd);
    aof_manifest_free(&a->man);
    buf_free(&a->buf);
    mem_free(a->notes);
    mem_free(a->dir);
    mem_free(a->fname);
    if (g_aof == a)
        g_aof = NULL;
    mem_free(a);
}

void aof_info(const struct aof *a, struct buf *b)
{
    int64_t now = now_ms();
    if (!a)
        a = g_aof;
    if (!a) {
        buf_append_str(b,
                       "aof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"
                       "aof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\n"
                       "aof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\n"
                       "aof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\n"
                       "aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\n"
                       "module_fork_last_cow_size:0\r\n");
        return;
    }
    buf_printf(b,
               "aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n"
               "aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n"
               "aof_last_bgrewrite_status:%s\r\naof_rewrites:%llu\r\n"
               "aof_rewrites_consecutive_failures:%llu\r\naof_last_write_status:%s\r\n"
               "aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\n"
               "module_fork_last_cow_size:0\r\n",
               a->state != AOF_OFF, a->child > 0, a->rw_scheduled, a->rw_last_sec,
               a->child > 0 ? (long long)((now - a->rw_start_ms) / 1000) : -1LL,
               a->rw_last_ok ? "ok" : "err", (unsigned long long)a->rewrites,
               (unsigned long long)a->rw_failures, current_error(a) ? "err" : "ok");
    if (a->state == AOF_OFF)
        return;
    buf_printf(b,
               "aof_current_size:%lld\r\naof_base_size:%lld\r\naof_pending_rewrite:0\r\n"
               "aof_buffer_length:%zu\r\naof_pending_bio_fsync:%d\r\naof_delayed_fsync:%llu\r\n",
               (long long)current_size(a), (long long)a->base_size, a->buf.len,
               atomic_load((atomic_int *)&a->bg.fsyncs), (unsigned long long)a->delayed_fsync);
}

int aof_core_bgrewrite(struct core *core, char *err, size_t errlen)
{
    (void)core;
    if (!g_aof) {
        snprintf(err, errlen, "AOF is not available");
        return -1;
    }
    return aof_bgrewrite(g_aof, err, errlen);
}

int aof_debug_reload(struct core *core, char *err, size_t errlen)
{
    char name[64];
    snprintf(name, sizeof(name), "temp-debug-reload-%d.aof", (int)getpid());
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "Can't create %s: %s", name, strerror(errno));
        return -1;
    }
    int rc = aof_rewrite_dataset(core, fd);
    int saved = errno;
    close(fd);
    if (rc < 0) {
        unlink(name);
        snprintf(err, errlen, "Error writing the dataset: %s", strerror(saved));
        return -1;
    }
    struct aof_manifest m;
    aof_manifest_init(&m);
    m.base.name = mem_strndup(name, strlen(name));
    m.base.seq = 1;
    m.base.type = 'b';
    for (int i = 0; i < core->ndbs; i++)
        db_flush(&core->dbs[i]);
    rc = aof_load_files(core, ".", &m);
    aof_manifest_free(&m);
    unlink(name);
    if (rc < 0)
        snprintf(err, errlen, "Error reloading the dataset (see the log)");
    return rc;
}

int aof_core_reload(struct core *core, char *err, size_t errlen)
{
    (void)core;
    if (!g_aof) {
        snprintf(err, errlen, "AOF is not available");
        return -1;
    }
    return aof_reload(g_aof, err, errlen);
}
