/*
 * server.c - the process: listeners, the event loop's callbacks, cron,
 * before-sleep and shutdown.  Owns the only struct core.
 *
 * Loop iteration:  epoll wakes -> readable clients read and run their
 * requests (replies accumulate in each client's buffer) -> cron if due ->
 * before_sleep: persistence flush (AOF, when present) and then one write()
 * per client with pending output; clients whose socket is full get a
 * writable handler.  Persist-before-reply is therefore structural.
 */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof.h"
#include "block.h"
#include "cmd.h"
#include "info.h"
#include "conn.h"
#include "core.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "loop.h"
#include "multi.h"
#include "net.h"
#include "stream_idmp.h"

#define MAX_LISTENERS 16
#define MAX_ACCEPTS_PER_CALL 1000

struct listener {
    int fd;
    int is_unix;
};

struct server {
    struct core core;
    struct loop *loop;
    struct listener ls[MAX_LISTENERS];
    int nls;
    struct client **pending; /* clients with output to write */
    size_t npending, cap_pending;
    struct client **resume; /* unblocked inline, input still to run */
    size_t nresume, cap_resume;
    struct client **closing; /* clients to free in before_sleep */
    size_t nclosing, cap_closing;
    long long cron_id;
    struct aof *aof;       /* the append-only file (aof.h) */
    uint64_t unblock_mark; /* AOF fed mark before serving blocked clients */
    int64_t last_second_ms;
    int64_t accept_paused_until; /* ms; 0 when accepting */
};

static volatile sig_atomic_t signal_shutdown;

static void on_signal(int sig)
{
    signal_shutdown = sig;
}

/* ---- client lifecycle ------------------------------------------------- */

static void push(struct client ***arr, size_t *n, size_t *cap, struct client *c)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *arr = mem_realloc(*arr, sizeof(**arr) * *cap);
    }
    (*arr)[(*n)++] = c;
}

static void remove_from(struct client **arr, size_t *n, struct client *c)
{
    for (size_t i = 0; i < *n; i++)
        if (arr[i] == c)
            arr[i] = arr[--*n];
}

static void free_client(struct server *s, struct client *c)
{
    aof_forget_client(s->aof, c);
    block_remove(&s->core, c);
    if (c->flags & CLIENT_PENDING_WRITE)
        remove_from(s->pending, &s->npending, c);
    remove_from(s->resume, &s->nresume, c);
    if (c->fd >= 0) {
        loop_del(s->loop, c->fd, LOOP_READ | LOOP_WRITE);
        close(c->fd);
    }
    conn_free(&s->core, c);
}

static void schedule_close(struct server *s, struct client *c)
{
    if (c->flags & CLIENT_CLOSE_ASAP)
        return;
    c->flags |= CLIENT_CLOSE_ASAP;
    push(&s->closing, &s->nclosing, &s->cap_closing, c);
}

/* CLIENT KILL: the victim (possibly the caller itself) gets what is
 * already in its output buffer, then the connection closes. */

static void mark_pending(struct server *s, struct client *c)
{
    if ((c->flags & CLIENT_PENDING_WRITE) || c->fd < 0)
        return;
    c->flags |= CLIENT_PENDING_WRITE;
    push(&s->pending, &s->npending, &s->cap_pending, c);
}

static void kill_client_action(struct core *core, struct client *c)
{
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    mark_pending((struct server *)core, c);
}

static void on_client_writable(struct loop *l, int fd, void *priv, int mask);

static void on_client_readable(struct loop *l, int fd, void *priv, int mask)
{
    (void)l, (void)fd, (void)mask;
    struct client *c = priv;
    struct server *s = (struct server *)c->srv;
    if (c->flags & CLIENT_CLOSE_ASAP)
        return;
    s->core.now_ms = util_mstime();
    if (conn_read(&s->core, c) < 0) {
        schedule_close(s, c);
        return;
    }
    uint64_t mark = aof_fed_mark(s->aof);
    conn_process(&s->core, c);
    aof_note_writer(s->aof, c, mark); /* its reply waits for the AOF */
    if (conn_has_output(c) || (c->flags & CLIENT_CLOSE_AFTER_REPLY))
        mark_pending(s, c);
}

static void on_client_writable(struct loop *l, int fd, void *priv, int mask)
{
    (void)fd, (void)mask;
    struct client *c = priv;
    struct server *s = (struct server *)c->srv;
    if (aof_must_hold(s->aof, c)) { /* released by aof_before_sleep */
        loop_del(l, c->fd, LOOP_WRITE);
        return;
    }
    int r = conn_write(&s->core, c);
    if (r < 0) {
        schedule_close(s, c);
        return;
    }
    if (r == 1) {
        loop_del(l, c->fd, LOOP_WRITE);
        if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
            schedule_close(s, c);
    }
}

static void on_accept(struct loop *l, int lfd, void *priv, int mask);

/* Out of descriptors (or memory): the pending connection stays in the
 * backlog and the listener would report it again at once, so stop
 * listening for 100 ms instead of spinning (the cron resumes). */
static void pause_accepting(struct server *s, int err)
{
    log_msg(LOG_WARNING, "Accepting client connection: %s", strerror(err));
    for (int i = 0; i < s->nls; i++)
        loop_del(s->loop, s->ls[i].fd, LOOP_READ);
    s->accept_paused_until = util_mstime() + 100;
}

static void resume_accepting(struct server *s)
{
    if (!s->accept_paused_until || util_mstime() < s->accept_paused_until)
        return;
    s->accept_paused_until = 0;
    for (int i = 0; i < s->nls; i++)
        loop_add(s->loop, s->ls[i].fd, LOOP_READ, on_accept, s);
}

static void on_accept(struct loop *l, int lfd, void *priv, int mask)
{
    (void)mask;
    struct server *s = priv;
    int is_unix = 0;
    for (int i = 0; i < s->nls; i++)
        if (s->ls[i].fd == lfd)
            is_unix = s->ls[i].is_unix;
    for (int i = 0; i < MAX_ACCEPTS_PER_CALL; i++) {
        char peer[64], local[64];
        int fd = net_accept(lfd, peer, sizeof(peer), local, sizeof(local), is_unix);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accepting(s, errno);
            return;
        }
        s->core.stats.total_connections_received++;
        if ((long)s->core.nclients >= s->core.cfg.maxclients) {
            static const char msg[] = "-ERR max number of clients reached\r\n";
            if (write(fd, msg, sizeof(msg) - 1) < 0) {
                /* nothing to do: the connection is dropped anyway */
            }
            close(fd);
            s->core.stats.rejected_connections++;
            continue;
        }
        if (!is_unix) {
            net_set_nodelay(fd);
            if (s->core.cfg.tcp_keepalive > 0)
                net_set_keepalive(fd, (int)s->core.cfg.tcp_keepalive);
        }
        struct client *c = conn_new(&s->core, fd, peer, local, is_unix ? CLIENT_UNIX : 0);
        c->srv = s;
        if (loop_add(l, fd, LOOP_READ, on_client_readable, c) < 0)
            free_client(s, c);
    }
}

/* ---- before sleep and cron -------------------------------------------- */

static void flush_pending(struct server *s)
{
    for (size_t i = 0; i < s->npending; i++) {
        struct client *c = s->pending[i];
        c->flags &= ~(uint32_t)CLIENT_PENDING_WRITE;
        if ((c->flags & CLIENT_CLOSE_ASAP) || aof_must_hold(s->aof, c))
            continue;
        int r = conn_write(&s->core, c);
        if (r < 0)
            schedule_close(s, c);
        else if (r == 0)
            loop_add(s->loop, c->fd, LOOP_WRITE, on_client_writable, c);
        else if (c->flags & CLIENT_CLOSE_AFTER_REPLY)
            schedule_close(s, c);
    }
    s->npending = 0;
}

static void free_closing(struct server *s)
{
    for (size_t i = 0; i < s->nclosing; i++)
        free_client(s, s->closing[i]);
    s->nclosing = 0;
}

static void do_shutdown(struct server *s);

/* A blocked client got its reply: send it and resume its pipeline. */
static void on_unblocked(void *priv, struct client *c)
{
    struct server *s = priv;
    aof_note_writer(s->aof, c, s->unblock_mark); /* e.g. XREADGROUP served */
    if (c->in.len > 0 && !(c->flags & CLIENT_BLOCKED)) {
        uint64_t mark = aof_fed_mark(s->aof);
        conn_process(&s->core, c);
        aof_note_writer(s->aof, c, mark);
    }
    mark_pending(s, c);
}

/* The AOF made a held client's data durable: its reply may go. */
static void on_aof_durable(void *priv, void *client)
{
    mark_pending(priv, client);
}

/* Unblocked in the middle of another client's requests: its reply is
 * queued; its own pipelined input resumes before sleeping (not here, so
 * that serving never nests). */
static void on_unblocked_inline(void *priv, struct client *c)
{
    struct server *s = priv;
    aof_note_writer(s->aof, c, s->unblock_mark);
    if (c->in.len > 0 && !(c->flags & CLIENT_BLOCKED))
        push(&s->resume, &s->nresume, &s->cap_resume, c);
    mark_pending(s, c);
}

static void serve_ready_action(struct core *core)
{
    struct server *s = (struct server *)core;
    s->unblock_mark = aof_fed_mark(s->aof);
    block_serve_ready(core, on_unblocked_inline, s);
}

/* Clients unblocked inline with input waiting: run it now. */
static void resume_unblocked(struct server *s)
{
    for (size_t i = 0; i < s->nresume; i++) {
        struct client *c = s->resume[i];
        if (!(c->flags & (CLIENT_CLOSE_ASAP | CLIENT_BLOCKED)))
            on_unblocked(s, c);
    }
    s->nresume = 0;
}

static void client_unblocked_action(struct core *core, struct client *c)
{
    ((struct server *)core)->unblock_mark = aof_fed_mark(((struct server *)core)->aof);
    on_unblocked(core, c);
}

static void serve_blocked(struct server *s)
{
    struct core *core = &s->core;
    if (core->nblocked == 0)
        return;
    s->unblock_mark = aof_fed_mark(s->aof);
    block_serve_ready(core, on_unblocked, s);
    int64_t now = util_mstime();
    s->unblock_mark = aof_fed_mark(s->aof);
    block_expire(core, now, on_unblocked, s);
    int64_t next = block_next_deadline(core);
    if (next >= 0)
        loop_limit_wait(s->loop, (long)(next - now));
}

static void before_sleep(struct loop *l, void *priv)
{
    (void)l;
    struct server *s = priv;
    s->core.now_ms = util_mstime();
    serve_blocked(s);
    resume_unblocked(s);
    /* persist before replying: write (and fsync) the AOF first */
    long aof_wait = aof_before_sleep(s->aof, on_aof_durable, s);
    if (aof_wait >= 0)
        loop_limit_wait(s->loop, aof_wait);
    flush_pending(s);
    free_closing(s);
    if (signal_shutdown || s->core.shutdown_asap)
        do_shutdown(s);
}

static void close_idle_clients(struct server *s)
{
    if (s->core.cfg.timeout <= 0)
        return;
    int64_t limit = s->core.now_ms - (int64_t)s->core.cfg.timeout * 1000;
    for (struct client *c = s->core.clients; c; c = c->next) {
        if (c->fd >= 0 && !(c->flags & CLIENT_BLOCKED) && c->last_interaction_ms < limit)
            schedule_close(s, c);
    }
}

static long cron(struct loop *l, long long id, void *priv)
{
    (void)l, (void)id;
    struct server *s = priv;
    struct core *core = &s->core;
    core->now_ms = util_mstime();
    db_set_now(core->now_ms);
    if (core->active_expire_enabled) {
        for (int i = 0; i < core->ndbs; i++)
            db_active_expire(&core->dbs[i], (int)core->cfg.active_expire_effort);
    }
    for (int i = 0; i < core->ndbs; i++) {
        dict_rehash_step(core->dbs[i].keys, 100);
        dict_rehash_step(core->dbs[i].expires, 100);
    }
    if (core->now_ms - s->last_second_ms >= 1000) { /* once a second */
        s->last_second_ms = core->now_ms;
        close_idle_clients(s);
        idmp_expire_all(core->now_ms); /* IDMP-DURATION, never propagated */
    }
    info_cron(core);
    aof_cron(s->aof);
    resume_accepting(s);
    long hz = core->cfg.hz > 0 ? core->cfg.hz : 10;
    return 1000 / hz;
}

/* ---- db hooks --------------------------------------------------------- */

static void on_key_modified(void *priv, struct db *db, struct slice key)
{
    struct core *core = priv;
    multi_touch_key(core, db->id, key);
    block_signal_key(core, db, key);
}

static void on_key_expired(void *priv, struct db *db, struct slice key)
{
    struct core *core = priv;
    core->stats.expired_keys++;
    if (core->prop.feed && !core->loading) {
        struct slice argv[2] = {SLICE_LIT("DEL"), key};
        core->prop.feed(core->prop.priv, db->id, 2, argv);
    }
}

static void on_db_flushed(void *priv, struct db *db)
{
    multi_touch_db(priv, db, NULL);
    block_signal_db(priv, db->id);
}

static void on_db_swapped(void *priv, struct db *a, struct db *b)
{
    multi_touch_db(priv, a, b);
    block_signal_db(priv, a->id);
    block_signal_db(priv, b->id);
}

/* ---- start and stop --------------------------------------------------- */

static int add_listener(struct server *s, int fd, int is_unix)
{
    if (s->nls == MAX_LISTENERS)
        return -1;
    s->ls[s->nls].fd = fd;
    s->ls[s->nls].is_unix = is_unix;
    s->nls++;
    return loop_add(s->loop, fd, LOOP_READ, on_accept, s);
}

/* bind is a space-separated list; a leading '-' marks an address whose
 * failure (e.g. no IPv6) is not fatal, as in redis.conf's "* -::*". */
static int open_listeners(struct server *s)
{
    struct config *cfg = &s->core.cfg;
    char err[NET_ERR_LEN];
    char *list = mem_strndup(cfg->bind, strlen(cfg->bind));
    int ok = 0, rc = 0;
    for (char *save = NULL, *a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
        int optional = a[0] == '-';
        const char *addr = optional ? a + 1 : a;
        int fd = net_tcp_listen(addr, (int)cfg->port, (int)cfg->tcp_backlog, err);
        if (fd < 0) {
            if (optional &&
                (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL || errno == EPROTONOSUPPORT))
                continue;
            log_msg(LOG_WARNING, "Warning: Could not create server TCP listening socket %s:%ld: %s",
                    addr, cfg->port, err);
            rc = -1;
            break;
        }
        add_listener(s, fd, 0);
        ok++;
    }
    mem_free(list);
    if (rc == 0 && cfg->unixsocket && cfg->unixsocket[0]) {
        int fd = net_unix_listen(cfg->unixsocket, (unsigned)cfg->unixsocketperm,
                                 (int)cfg->tcp_backlog, err);
        if (fd < 0) {
            log_msg(LOG_WARNING, "Failed opening Unix socket: %s", err);
            return -1;
        }
        add_listener(s, fd, 1);
        ok++;
    }
    if (rc == 0 && ok == 0 && cfg->port != 0) {
        log_msg(LOG_WARNING, "Failed listening on any address");
        return -1;
    }
    return rc;
}

static void make_run_id(char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 40; i++)
        out[i] = hex[util_random() & 15];
    out[40] = '\0';
}

static int init_core(struct server *s)
{
    struct core *core = &s->core;
    core->ndbs = (int)core->cfg.databases;
    core->dbs = db_new_array(core->ndbs);
    core->stats.cmd = mem_calloc(sizeof(struct cmd_stats) * cmd_count());
    core->start_time_ms = core->now_ms = util_mstime();
    core->lastsave_s = core->start_time_ms / 1000;
    core->active_expire_enabled = 1;
    core->kill_client = kill_client_action;
    core->client_unblocked = client_unblocked_action;
    core->serve_ready = serve_ready_action;
    s->aof = aof_create(core);
    core->prop.feed = aof_feed;
    core->prop.priv = s->aof;
    core->bgrewriteaof = aof_core_bgrewrite;
    make_run_id(core->run_id);
    struct db_hooks hooks = {
        .key_modified = on_key_modified,
        .key_expired = on_key_expired,
        .db_flushed = on_db_flushed,
        .db_swapped = on_db_swapped,
        .priv = core,
    };
    db_set_hooks(&hooks);
    return 0;
}

static void do_shutdown(struct server *s)
{
    if (signal_shutdown)
        log_msg(LOG_WARNING, "Received %s scheduling shutdown...",
                signal_shutdown == SIGINT ? "SIGINT" : "SIGTERM");
    log_msg(LOG_WARNING, "User requested shutdown...");
    aof_shutdown(s->aof); /* flush and fsync before the last replies */
    for (struct client *c = s->core.clients; c; c = c->next)
        if (c->fd >= 0 && conn_has_output(c) && !aof_must_hold(s->aof, c))
            conn_write(&s->core, c);
    for (int i = 0; i < s->nls; i++)
        close(s->ls[i].fd);
    if (s->core.cfg.unixsocket && s->core.cfg.unixsocket[0])
        unlink(s->core.cfg.unixsocket);
    if (s->core.cfg.pidfile && s->core.cfg.pidfile[0])
        unlink(s->core.cfg.pidfile);
    log_msg(LOG_WARNING, "Weir is now ready to exit, bye bye...");
    loop_stop(s->loop);
}

static void teardown(struct server *s)
{
    block_free_all(&s->core);
    while (s->core.clients) {
        struct client *c = s->core.clients;
        if (c->fd >= 0)
            close(c->fd);
        conn_free(&s->core, c);
    }
    aof_free(s->aof);
    db_free_array(s->core.dbs, s->core.ndbs);
    if (s->core.stats.errors)
        dict_free(s->core.stats.errors, NULL);
    if (s->core.watched_keys)
        dict_free(s->core.watched_keys, NULL);
    mem_free(s->core.stats.cmd);
    mem_free(s->pending);
    mem_free(s->resume);
    mem_free(s->closing);
    loop_free(s->loop);
    config_free(&s->core.cfg);
}

static void write_pidfile(const struct config *cfg)
{
    if (!cfg->pidfile || !cfg->pidfile[0])
        return;
    FILE *f = fopen(cfg->pidfile, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
}

/* Make room for maxclients descriptors plus the server's own (listeners,
 * log, AOF files): raise RLIMIT_NOFILE, or lower maxclients as Redis does
 * when the hard limit does not allow it. */
#define RESERVED_FDS 32
static void adjust_open_files_limit(struct config *cfg)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg->maxclients + RESERVED_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rlim_t cur = rl.rlim_cur;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        cur = rl.rlim_cur;
    if (cur < want) {
        long allowed = cur > RESERVED_FDS ? (long)(cur - RESERVED_FDS) : 1;
        log_msg(LOG_WARNING,
                "You requested maxclients of %ld requiring at least %llu max file descriptors; "
                "the limit is %llu, so maxclients is now %ld.",
                cfg->maxclients, (unsigned long long)want, (unsigned long long)cur, allowed);
        cfg->maxclients = allowed;
    }
}

static int startup(struct server *s, int argc, char **argv)
{
    char err[512];
    config_init_defaults(&s->core.cfg);
    if (config_load_argv(&s->core.cfg, argc, argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Weir) ***\n%s\n", err);
        return -1;
    }
    struct config *cfg = &s->core.cfg;
    if (log_open(cfg->logfile, cfg->loglevel) < 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return -1;
    }
    if (cfg->dir && cfg->dir[0] && chdir(cfg->dir) < 0) {
        log_msg(LOG_WARNING, "Can't chdir to '%s': %s", cfg->dir, strerror(errno));
        return -1;
    }
    if (readlink("/proc/self/exe", s->core.executable, sizeof(s->core.executable) - 1) < 0)
        s->core.executable[0] = '\0';
    adjust_open_files_limit(cfg);
    s->loop = loop_new(1024); /* grows with the highest fd in use */
    init_core(s);
    info_init(&s->core);
    if (aof_start(s->aof) < 0) /* load the AOF before accepting clients */
        return -1;
    if (open_listeners(s) < 0)
        return -1;
    write_pidfile(cfg);
    loop_set_before_sleep(s->loop, before_sleep, s);
    s->cron_id = loop_timer_add(s->loop, 1, cron, s);
    log_msg(LOG_NOTICE, "Weir (Redis 8.8 compatible) started, pid=%d, port=%ld", (int)getpid(),
            cfg->port);
    log_msg(LOG_NOTICE, "Ready to accept connections tcp");
    return 0;
}

int server_main(int argc, char **argv)
{
    struct server *s = mem_calloc(sizeof(*s));
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int rc = startup(s, argc, argv) < 0 ? 1 : 0;
    if (rc == 0)
        loop_run(s->loop);
    teardown(s);
    mem_free(s);
    return rc;
}
