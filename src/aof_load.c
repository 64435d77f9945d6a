/*
 * aof_load.c - the read side of the AOF: manifest parsing and atomic
 * persisting, scanning files, replay at start-up, weir-check-aof.
 * Formats: aof_int.h.
 *
 * A base file in RDB form (aof_int.h) is first read by rdb_load.c, each
 * of its keys delivered as commands to rdb_cmd(), which dispatches them
 * like logged ones but stops the load on the first that fails.
 *
 * Replay runs every command through the normal dispatcher on a pseudo
 * client with core->loading set (so nothing is propagated again, lazy
 * expiry is off, and XADD accepts explicit IDs with IDMP/IDMPAUTO).
 * Files are mapped read-only and parsed in place with the request parser;
 * argument slices point into the mapping.
 *
 * IDMP replay guard.  The log form of XADD with IDMP/IDMPAUTO tells what
 * the live server did: a new entry is logged with its concrete ID, a
 * duplicate is logged as received, with "*".  Replay must reproduce that
 * and never create an entry the live server did not create, although
 * the replayed IDMP map can differ from the live one at that point: the
 * live expiry cron is not logged (so replay may still hold an iid the
 * live server had expired), and a rewrite drops iids whose entry was
 * deleted (so replay may lack an iid the live server still had).  So:
 *   - logged with a concrete ID (a new entry): if replay still tracks
 *     (pid, iid), that mapping had expired on the live server, so first
 *     drop the stream's iids that had expired by the entry's time,
 *     idmp_expire(ID.ms).  The live server dropped (pid, iid) before it
 *     accepted the command, at or before ID.ms (an IDMP XADD always has
 *     an auto ID, never below the clock), so the stale mapping goes and
 *     the entry is added, not taken for a duplicate;
 *   - logged with "*" (a duplicate): if the iid is known, dispatch (it
 *     counts the duplicate); if not, count the duplicate directly and do
 *     not dispatch, so no entry is ever created from a duplicate.
 * iids-added / iids-duplicates therefore replay exactly; the rewrite
 * carries them with XIDMPCOUNTERS (aof_rewrite.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof.h"
#include "aof_int.h"
#include "client.h"
#include "cmd.h"
#include "conn.h"
#include "core.h"
#include "db.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "obj.h"
#include "rdb_load.h"
#include "resp_parse.h"
#include "stream.h"
#include "stream_idmp.h"

/* ---- names and paths --------------------------------------------------- */

char *aof_path(const char *dir, const char *name)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/%s", dir, name);
    char *s = mem_strndup(b.data, b.len);
    buf_free(&b);
    return s;
}

static char *seq_name(const char *fname, long long seq, const char *kind)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s.%lld.%s.aof", fname, seq, kind);
    char *s = mem_strndup(b.data, b.len);
    buf_free(&b);
    return s;
}

char *aof_base_name(const char *fname, long long seq)
{
    return seq_name(fname, seq, "base");
}

char *aof_incr_name(const char *fname, long long seq)
{
    return seq_name(fname, seq, "incr");
}

int aof_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* ---- manifest ------------------------------------------------------------ */

void aof_manifest_init(struct aof_manifest *m)
{
    memset(m, 0, sizeof(*m));
}

static void free_files(struct aof_file *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mem_free(f[i].name);
    mem_free(f);
}

void aof_manifest_free(struct aof_manifest *m)
{
    mem_free(m->base.name);
    free_files(m->incr, m->nincr);
    free_files(m->hist, m->nhist);
    aof_manifest_init(m);
}

void aof_manifest_push(struct aof_file **arr, size_t *n, size_t *cap, const char *name,
                       long long seq, char type)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *arr = mem_realloc(*arr, sizeof(**arr) * *cap);
    }
    (*arr)[*n].name = mem_strndup(name, strlen(name));
    (*arr)[*n].seq = seq;
    (*arr)[*n].type = type;
    (*n)++;
}

void aof_manifest_copy(struct aof_manifest *dst, const struct aof_manifest *src)
{
    aof_manifest_init(dst);
    if (src->base.name) {
        dst->base = src->base;
        dst->base.name = mem_strndup(src->base.name, strlen(src->base.name));
    }
    for (size_t i = 0; i < src->nincr; i++)
        aof_manifest_push(&dst->incr, &dst->nincr, &dst->cap_incr, src->incr[i].name,
                          src->incr[i].seq, 'i');
    for (size_t i = 0; i < src->nhist; i++)
        aof_manifest_push(&dst->hist, &dst->nhist, &dst->cap_hist, src->hist[i].name,
                          src->hist[i].seq, 'h');
    dst->base_seq = src->base_seq;
    dst->incr_seq = src->incr_seq;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char unescape(const char **pp, const char *end)
{
    const char *p = *pp;
    char c = *p++;
    if (c == 'x' && end - p >= 2 && hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
        c = (char)(hexval(p[0]) * 16 + hexval(p[1]));
        p += 2;
    } else if (c == 'n') {
        c = '\n';
    } else if (c == 'r') {
        c = '\r';
    } else if (c == 't') {
        c = '\t';
    } else if (c == 'b') {
        c = '\b';
    } else if (c == 'a') {
        c = '\a';
    }
    *pp = p;
    return c;
}

/* One word at *pp, bare or "quoted", unescaped into out.  Returns 1 with
 * a word, 0 at the end of the line, -1 on bad quoting. */
static int next_word(const char **pp, const char *end, char *out, size_t *olen)
{
    const char *p = *pp;
    size_t n = 0;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    *pp = p;
    if (p == end)
        return 0;
    if (*p != '"') {
        while (p < end && *p != ' ' && *p != '\t')
            out[n++] = *p++;
    } else {
        for (p++; p < end && *p != '"';) {
            if (*p == '\\' && p + 1 < end) {
                p++;
                out[n++] = unescape(&p, end);
            } else {
                out[n++] = *p++;
            }
        }
        if (p == end || (p + 1 < end && p[1] != ' ' && p[1] != '\t'))
            return -1;
        p++;
    }
    *pp = p;
    *olen = n;
    return 1;
}

struct mf_entry {
    struct slice name;
    long long seq;
    char type;
};

static int entry_fields(const struct slice *w, int nw, struct mf_entry *e)
{
    int have = 0;
    for (int i = 0; i + 1 < nw; i += 2) {
        struct slice k = w[i], v = w[i + 1];
        if (util_eq_nocase(k, "file")) {
            if (v.len == 0 || memchr(v.p, '\0', v.len) || memchr(v.p, '/', v.len))
                return -1;
            e->name = v;
            have |= 1;
        } else if (util_eq_nocase(k, "seq")) {
            if (util_parse_ll(v.p, v.len, &e->seq) < 0 || e->seq < 0)
                return -1;
            have |= 2;
        } else if (util_eq_nocase(k, "type")) {
            if (v.len != 1)
                return -1;
            e->type = v.p[0];
            have |= 4;
        }
    }
    return have == 7 ? 0 : -1;
}

static int add_entry(struct aof_manifest *m, const struct mf_entry *e, const char **why)
{
    char *name = mem_strndup(e->name.p, e->name.len);
    int rc = 0;
    if (e->type == 'b') {
        if (m->base.name) {
            *why = "Found duplicate base file information";
            rc = -1;
        } else {
            m->base.name = mem_strndup(name, e->name.len);
            m->base.seq = e->seq;
            m->base.type = 'b';
            if (e->seq > m->base_seq)
                m->base_seq = e->seq;
        }
    } else if (e->type == 'i') {
        if (m->nincr && e->seq <= m->incr[m->nincr - 1].seq) {
            *why = "Found a non-monotonic sequence number";
            rc = -1;
        } else {
            aof_manifest_push(&m->incr, &m->nincr, &m->cap_incr, name, e->seq, 'i');
            if (e->seq > m->incr_seq)
                m->incr_seq = e->seq;
        }
    } else if (e->type == 'h') {
        aof_manifest_push(&m->hist, &m->nhist, &m->cap_hist, name, e->seq, 'h');
    } else {
        *why = "Unknown AOF file type";
        rc = -1;
    }
    mem_free(name);
    return rc;
}

static int parse_line(struct aof_manifest *m, const char *line, size_t len, const char **why)
{
    char tmp[AOF_MANIFEST_MAX_LINE + 1];
    struct slice w[32];
    int nw = 0;
    size_t used = 0, n;
    const char *p = line, *end = line + len;
    int r;
    while ((r = next_word(&p, end, tmp + used, &n)) == 1) {
        if (nw == 32) {
            r = -1;
            break;
        }
        w[nw++] = (struct slice){tmp + used, n};
        used += n;
    }
    if (nw == 0 && r == 0)
        return 0; /* blank line */
    struct mf_entry e = {{NULL, 0}, 0, 0};
    if (r < 0 || nw % 2 || entry_fields(w, nw, &e) < 0) {
        *why = "Invalid AOF manifest file format";
        return -1;
    }
    return add_entry(m, &e, why);
}

int aof_manifest_parse(struct aof_manifest *m, const char *text, size_t len, char *err,
                       size_t errlen)
{
    const char *why = NULL;
    size_t pos = 0, lineno = 0;
    aof_manifest_init(m);
    while (pos < len && !why) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
        lineno++;
        while (n > 0 && (text[pos + n - 1] == '\r' || text[pos + n - 1] == ' '))
            n--;
        if (end - pos > AOF_MANIFEST_MAX_LINE)
            why = "The AOF manifest file contains too long line";
        else if (n > 0 && text[pos] != '#')
            parse_line(m, text + pos, n, &why);
        pos = end + 1;
    }
    if (!why && !m->base.name && m->nincr == 0)
        why = "Found an empty AOF manifest";
    if (why) {
        snprintf(err, errlen, "%s (line %zu)", why, lineno);
        aof_manifest_free(m);
        return -1;
    }
    return 0;
}

static int needs_quotes(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '\'')
            return 1;
    return 0;
}

static void append_name(struct buf *b, const char *s)
{
    if (!needs_quotes(s)) {
        buf_append_str(b, s);
        return;
    }
    buf_append_byte(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            buf_append_str(b, "\\n");
        else if (*p == '\r')
            buf_append_str(b, "\\r");
        else if (*p == '\t')
            buf_append_str(b, "\\t");
        else if (*p < ' ' || *p >= 0x7f)
            buf_printf(b, "\\x%02x", *p);
        else
            buf_append_byte(b, (char)*p);
    }
    buf_append_byte(b, '"');
}

static void append_entry(struct buf *b, const struct aof_file *f)
{
    buf_append_str(b, "file ");
    append_name(b, f->name);
    buf_printf(b, " seq %lld type %c\n", f->seq, f->type);
}

void aof_manifest_format(const struct aof_manifest *m, struct buf *out)
{
    if (m->base.name)
        append_entry(out, &m->base);
    for (size_t i = 0; i < m->nhist; i++)
        append_entry(out, &m->hist[i]);
    for (size_t i = 0; i < m->nincr; i++)
        append_entry(out, &m->incr[i]);
}

static int read_all(const char *path, struct buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (;;) {
        char *p = buf_reserve(out, 4096);
        ssize_t n = read(fd, p, 4096);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            errno = e;
            return n < 0 ? -1 : 0;
        }
        out->len += (size_t)n;
    }
}

int aof_manifest_read(const char *dir, const char *fname, struct aof_manifest *m, char *err,
                      size_t errlen)
{
    struct buf name, text;
    buf_init(&name);
    buf_init(&text);
    buf_printf(&name, "%s/%s.manifest", dir, fname);
    int rc = read_all(name.data, &text);
    if (rc < 0 && errno == ENOENT) {
        rc = 1;
    } else if (rc < 0) {
        snprintf(err, errlen, "Can't read the AOF manifest %s: %s", name.data, strerror(errno));
    } else {
        char why[256];
        rc = aof_manifest_parse(m, text.data, text.len, why, sizeof(why));
        if (rc < 0)
            snprintf(err, errlen, "%s in %s", why, name.data);
    }
    buf_free(&name);
    buf_free(&text);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_file_synced(const char *path, const struct buf *b)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, b->data, b->len) < 0 || fsync(fd) < 0 ? -1 : 0;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int aof_manifest_write(const char *dir, const char *fname, const struct aof_manifest *m, char *err,
                       size_t errlen)
{
    struct buf text, tmp, final;
    buf_init(&text);
    buf_init(&tmp);
    buf_init(&final);
    aof_manifest_format(m, &text);
    buf_printf(&tmp, "%s/temp-%s.manifest", dir, fname);
    buf_printf(&final, "%s/%s.manifest", dir, fname);
    int rc = 0;
    if (write_file_synced(tmp.data, &text) < 0 || rename(tmp.data, final.data) < 0 ||
        aof_fsync_dir(dir) < 0) {
        snprintf(err, errlen, "Error writing the AOF manifest %s: %s", final.data, strerror(errno));
        unlink(tmp.data);
        rc = -1;
    }
    buf_free(&text);
    buf_free(&tmp);
    buf_free(&final);
    return rc;
}

/* ---- scanning -------------------------------------------------------------- */

int aof_map_file(const char *path, const char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *len = (size_t)st.st_size;
    *data = NULL;
    if (*len > 0) {
        void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        madvise(p, *len, MADV_SEQUENTIAL);
        *data = p;
    }
    close(fd);
    return 0;
}

void aof_unmap_file(const char *data, size_t len)
{
    if (data)
        munmap((void *)(uintptr_t)data, len);
}

/* A MULTI block being collected: commands as (first slice, argc, off). */
struct queued {
    size_t first;
    int argc;
    size_t off;
};

struct scanner {
    const char *data;
    size_t len;
    aof_cmd_fn fn;
    void *priv;
    struct aof_scan *r;
    struct slice *argv; /* parser output */
    size_t argv_cap;
    struct slice *qargs; /* MULTI block arguments */
    size_t nqargs, cap_qargs;
    struct queued *q;
    size_t nq, cap_q;
    size_t multi_at;
};

static void corrupt(struct scanner *s, size_t off, const char *msg)
{
    s->r->status = AOF_SCAN_CORRUPT;
    s->r->bad_at = off;
    snprintf(s->r->err, sizeof(s->r->err), "%s", msg);
}

/* Parse the command at off; returns its length, 0 if incomplete, -1 if
 * malformed (reported). */
static long parse_cmd(struct scanner *s, size_t off, size_t *argc)
{
    struct resp_state st;
    const char *err = NULL;
    long r;
    resp_state_reset(&st);
    for (;;) {
        r = resp_parse((char *)(uintptr_t)(s->data + off), s->len - off, NULL, &st, s->argv,
                       s->argv_cap, argc, &err);
        if (r != RESP_NEED_ARGV)
            break;
        while (s->argv_cap < (size_t)st.argc_total)
            s->argv_cap *= 2;
        s->argv = mem_realloc(s->argv, sizeof(*s->argv) * s->argv_cap);
    }
    if (r == RESP_INCOMPLETE)
        return 0;
    if (r == RESP_ERROR || *argc == 0) {
        corrupt(s, off, r == RESP_ERROR ? err : "empty command");
        return -1;
    }
    for (size_t i = 0; i < *argc; i++) {
        const char *t = s->argv[i].p + s->argv[i].len;
        if (t[0] != '\r' || t[1] != '\n') {
            corrupt(s, off, "argument not terminated by CRLF");
            return -1;
        }
    }
    return r;
}

static void queue_cmd(struct scanner *s, size_t argc, size_t off)
{
    if (s->nq == s->cap_q) {
        s->cap_q = s->cap_q ? s->cap_q * 2 : 16;
        s->q = mem_realloc(s->q, sizeof(*s->q) * s->cap_q);
    }
    while (s->nqargs + argc > s->cap_qargs) {
        s->cap_qargs = s->cap_qargs ? s->cap_qargs * 2 : 64;
        s->qargs = mem_realloc(s->qargs, sizeof(*s->qargs) * s->cap_qargs);
    }
    memcpy(s->qargs + s->nqargs, s->argv, sizeof(*s->argv) * argc);
    s->q[s->nq++] = (struct queued){s->nqargs, (int)argc, off};
    s->nqargs += argc;
}

static int deliver(struct scanner *s, int argc, const struct slice *argv, size_t off)
{
    s->r->ncmds++;
    if (s->fn && s->fn(s->priv, argc, argv, off) != 0) {
        corrupt(s, off, "command refused by the loader");
        return -1;
    }
    return 0;
}

/* One parsed command at off: MULTI/EXEC bookkeeping and delivery. */
static int handle_cmd(struct scanner *s, size_t argc, size_t off)
{
    struct slice name = s->argv[0];
    if (argc == 1 && util_eq_nocase(name, "MULTI")) {
        if (s->r->in_multi) {
            corrupt(s, off, "MULTI inside MULTI");
            return -1;
        }
        s->r->in_multi = 1;
        s->multi_at = off;
        s->nq = s->nqargs = 0;
        return 0;
    }
    if (argc == 1 && util_eq_nocase(name, "EXEC")) {
        if (!s->r->in_multi) {
            corrupt(s, off, "EXEC without MULTI");
            return -1;
        }
        s->r->in_multi = 0;
        for (size_t i = 0; i < s->nq; i++)
            if (deliver(s, s->q[i].argc, s->qargs + s->q[i].first, s->q[i].off) < 0)
                return -1;
        return 0;
    }
    if (s->r->in_multi) {
        queue_cmd(s, argc, off);
        return 0;
    }
    return deliver(s, (int)argc, s->argv, off);
}

/* Skip a "#..." annotation line at off; returns the offset after it, or
 * 0 when it has no end yet. */
static size_t skip_annotation(const struct scanner *s, size_t off)
{
    const char *nl = memchr(s->data + off, '\n', s->len - off);
    return nl ? (size_t)(nl - s->data) + 1 : 0;
}

static void scan_loop(struct scanner *s)
{
    size_t off = 0;
    while (off < s->len) {
        size_t next, argc = 0;
        if (s->data[off] == '#') {
            next = skip_annotation(s, off);
        } else if (s->data[off] != '*') {
            corrupt(s, off, "command does not start with '*'");
            return;
        } else {
            long n = parse_cmd(s, off, &argc);
            if (n < 0)
                return;
            next = n ? off + (size_t)n : 0;
            if (n && handle_cmd(s, argc, off) < 0)
                return;
        }
        if (next == 0) {
            s->r->status = AOF_SCAN_TRUNCATED;
            break;
        }
        off = next;
        if (!s->r->in_multi)
            s->r->valid = off;
    }
    if (s->r->in_multi)
        s->r->status = AOF_SCAN_TRUNCATED;
}

void aof_scan(const char *data, size_t len, aof_cmd_fn fn, void *priv, struct aof_scan *r)
{
    struct scanner s;
    memset(&s, 0, sizeof(s));
    memset(r, 0, sizeof(*r));
    s.data = data;
    s.len = len;
    s.fn = fn;
    s.priv = priv;
    s.r = r;
    s.argv_cap = 16;
    s.argv = mem_alloc(sizeof(*s.argv) * s.argv_cap);
    scan_loop(&s);
    mem_free(s.argv);
    mem_free(s.qargs);
    mem_free(s.q);
}

/* ---- replay ---------------------------------------------------------------- */

struct loader {
    struct core *core;
    struct client *c;
    const char *file; /* for messages */
    uint64_t failed;  /* commands that replied an error */
    uint64_t dups_direct;
    size_t base_off; /* where the scanned commands start in the file */
    int stopped;     /* stopped by load_cmd (reason logged) */
};

enum { FORM_PLAIN, FORM_IDMP, FORM_IDMPAUTO };

struct xadd_form {
    int kind;
    struct slice pid, iid;
    int id_idx;
    int auto_id; /* "*" or "ms-*": how the live server logs a duplicate */
};

static int is_word(struct slice s, const char *w)
{
    return util_eq_nocase(s, w);
}

/* The options of a logged XADD, read the way XADD reads them. */
static void read_xadd_form(int argc, const struct slice *argv, struct xadd_form *f)
{
    memset(f, 0, sizeof(*f));
    f->id_idx = -1;
    for (int i = 2; i < argc; i++) {
        struct slice o = argv[i];
        int more = argc - 1 - i;
        if ((is_word(o, "MAXLEN") || is_word(o, "MINID")) && more >= 1) {
            if (more >= 2 && argv[i + 1].len == 1 &&
                (argv[i + 1].p[0] == '~' || argv[i + 1].p[0] == '='))
                i++;
            i++;
        } else if (is_word(o, "LIMIT") && more >= 1) {
            i++;
        } else if (is_word(o, "NOMKSTREAM") || is_word(o, "KEEPREF") || is_word(o, "DELREF") ||
                   is_word(o, "ACKED")) {
            continue;
        } else if (is_word(o, "IDMPAUTO") && more >= 1 && !f->kind) {
            f->kind = FORM_IDMPAUTO;
            f->pid = argv[++i];
        } else if (is_word(o, "IDMP") && more >= 2 && !f->kind) {
            f->kind = FORM_IDMP;
            f->pid = argv[i + 1];
            f->iid = argv[i + 2];
            i += 2;
        } else {
            f->id_idx = i;
            f->auto_id = o.len >= 1 && o.p[o.len - 1] == '*';
            return;
        }
    }
}

static struct stream *loader_stream(struct loader *l, struct slice key)
{
    struct obj *o = db_peek(&l->core->dbs[l->c->db_index], key);
    return o && o->type == OBJ_STREAM ? o->u.stream : NULL;
}

/* See the header comment.  Returns 1 when the command was handled here
 * and must not be dispatched. */
static int idmp_replay_guard(struct loader *l, int argc, const struct slice *argv)
{
    struct xadd_form f;
    unsigned char autoiid[16];
    if (argc < 5 || !is_word(argv[0], "XADD"))
        return 0;
    read_xadd_form(argc, argv, &f);
    int nf = f.id_idx < 0 ? 0 : argc - f.id_idx - 1;
    if (!f.kind || nf < 2 || nf % 2)
        return 0; /* not IDMP, or malformed: XADD itself decides */
    struct stream *s = loader_stream(l, argv[1]);
    if (!s || !s->idmp)
        return f.auto_id; /* a duplicate of nothing: never create */
    if (f.kind == FORM_IDMPAUTO) {
        idmp_auto_iid(argv + f.id_idx + 1, (size_t)nf / 2, autoiid);
        f.iid = (struct slice){(const char *)autoiid, 16};
    }
    if (!f.auto_id) {
        struct stream_id id;
        if (idmp_lookup(s->idmp, f.pid, f.iid, NULL) &&
            stream_id_parse(argv[f.id_idx].p, argv[f.id_idx].len, 0, &id) == 0) {
            idmp_expire(s->idmp, (int64_t)(id.ms > INT64_MAX ? INT64_MAX : id.ms));
            if (idmp_lookup(s->idmp, f.pid, f.iid, NULL))
                log_msg(LOG_WARNING,
                        "AOF %s: an IDMP entry of '%.*s' replays as a duplicate "
                        "(its iid is still tracked)",
                        l->file, (int)argv[1].len, argv[1].p);
        }
        return 0;
    }
    if (idmp_lookup(s->idmp, f.pid, f.iid, NULL))
        return 0;
    idmp_count_duplicate(s->idmp);
    l->dups_direct++;
    return 1;
}

static void report_failure(struct loader *l, int argc, const struct slice *argv, size_t off)
{
    const struct buf *o = &l->c->out;
    size_t n = 0;
    while (n < o->len && n < 200 && o->data[n] != '\r')
        n++;
    if (++l->failed <= 10)
        log_msg(LOG_WARNING, "AOF %s offset %zu: '%.*s' (%d args) failed during loading: %.*s",
                l->file, off + l->base_off, (int)(argv[0].len > 64 ? 64 : argv[0].len), argv[0].p,
                argc, (int)(n > 1 ? n - 1 : 0), o->data + 1);
}

static int load_cmd(void *priv, int argc, const struct slice *argv, size_t off)
{
    struct loader *l = priv;
    if (!cmd_lookup(argv[0])) {
        log_msg(LOG_WARNING, "Unknown command '%.*s' reading the append only file %s at offset %zu",
                (int)(argv[0].len > 64 ? 64 : argv[0].len), argv[0].p, l->file, off + l->base_off);
        l->stopped = 1;
        return -1;
    }
    if (idmp_replay_guard(l, argc, argv))
        return 0;
    l->c->out.len = 0;
    cmd_dispatch(l->core, l->c, argc, argv);
    int failed = l->c->out.len > 0 && l->c->out.data[0] == '-';
    if (failed)
        report_failure(l, argc, argv, off);
    l->c->out.len = 0;
    if (failed && is_word(argv[0], "SELECT")) {
        /* going on would load keys into the wrong database */
        log_msg(LOG_WARNING, "Can't SELECT the database of the append only file %s at offset %zu",
                l->file, off + l->base_off);
        l->stopped = 1;
        return -1;
    }
    return 0;
}

static int load_truncated(struct loader *l, const char *path, const struct aof_scan *r, size_t len,
                          int last)
{
    if (!last || !l->core->cfg.aof_load_truncated) {
        log_msg(LOG_WARNING,
                "Unexpected end of file reading the append only file %s (%zu bytes, whole "
                "commands up to offset %zu). You can: 1) Make a backup of your AOF directory, "
                "then use weir-check-aof --fix <manifest>. 2) Alternatively set the "
                "'aof-load-truncated' option to yes and restart the server.",
                l->file, len, r->valid);
        return -1;
    }
    log_msg(LOG_WARNING, "!!! Warning: short read while loading the AOF file %s!!!", l->file);
    if (r->in_multi)
        log_msg(LOG_WARNING, "Revert incomplete MULTI/EXEC transaction in AOF file %s", l->file);
    if (truncate(path, (off_t)r->valid) < 0) {
        log_msg(LOG_WARNING, "Error truncating the AOF file %s: %s", l->file, strerror(errno));
        return -1;
    }
    log_msg(LOG_WARNING,
            "AOF %s truncated at offset %zu (%zu bytes of an incomplete command dropped); "
            "loaded anyway because aof-load-truncated is enabled",
            l->file, r->valid, len - r->valid);
    return 0;
}

/* A base in RDB form: the .rdb name Redis gives it, or the "REDIS" magic
 * of the old single-file preamble form (RDB, then commands). */
static int is_rdb_base(const char *name, const char *data, size_t len)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".rdb") == 0) || rdb_is_rdb(data, len);
}

/* A command made from the RDB part: any failure stops the load (the
 * snapshot is the dataset; a key that does not load is lost). */
static int rdb_cmd(void *priv, int argc, const struct slice *argv)
{
    struct loader *l = priv;
    uint64_t failed = l->failed;
    if (load_cmd(l, argc, argv, 0) != 0)
        return -1;
    if (l->failed != failed) {
        l->stopped = 1;
        return -1;
    }
    return 0;
}

/* Load the RDB part of a base file; returns the bytes it took, or -1. */
static ssize_t load_rdb_part(struct loader *l, const char *path, const char *data, size_t len)
{
    struct rdb_result rr;
    if (rdb_load(data, len, rdb_cmd, l, &rr) < 0) {
        log_msg(LOG_WARNING,
                "Can't load the RDB part of the AOF base file %s (record at offset %zu): %s", path,
                rr.err_at, rr.err);
        return -1;
    }
    log_msg(LOG_NOTICE, "Loaded the RDB part (version %d) of %s: %llu keys, %zu bytes", rr.version,
            l->file, (unsigned long long)rr.nkeys, rr.consumed);
    return (ssize_t)rr.consumed;
}

static int load_file(struct loader *l, const char *dir, const struct aof_file *f, int last)
{
    const char *name = f->name;
    char *path = aof_path(dir, name);
    const char *data;
    size_t len;
    struct aof_scan r;
    int rc = -1;
    int64_t start = util_monotonic_us();
    l->file = name;
    if (aof_map_file(path, &data, &len) < 0) {
        log_msg(LOG_WARNING, "Can't open the append-only file %s: %s", path, strerror(errno));
        goto out;
    }
    l->base_off = 0;
    if (is_rdb_base(name, data, len)) {
        ssize_t n = load_rdb_part(l, path, data, len);
        if (n < 0) {
            aof_unmap_file(data, len);
            goto out;
        }
        l->base_off = (size_t)n; /* the preamble form: commands follow */
    }
    aof_scan(data + l->base_off, len - l->base_off, load_cmd, l, &r);
    aof_unmap_file(data, len);
    r.valid += l->base_off;
    r.bad_at += l->base_off;
    if (r.status == AOF_SCAN_CORRUPT) {
        if (!l->stopped)
            log_msg(LOG_WARNING,
                    "Bad file format reading the append only file %s at offset %zu: "
                    "%s. Make a backup of your AOF directory, then use weir-check-aof --fix "
                    "<manifest>",
                    path, r.bad_at, r.err);
        goto out;
    }
    if (r.status == AOF_SCAN_TRUNCATED && load_truncated(l, path, &r, len, last) < 0)
        goto out;
    log_msg(LOG_NOTICE, "DB loaded from %s file %s: %.3f seconds", f->type == 'b' ? "base" : "incr",
            name, (double)(util_monotonic_us() - start) / 1e6);
    rc = 0;
out:
    mem_free(path);
    return rc;
}

/* Replay must not show in the statistics (Redis calls handlers directly
 * when loading): snapshot them around the load. */
struct stats_snapshot {
    struct core_stats s;
    struct cmd_stats *cmd;
};

static void stats_save(struct core *core, struct stats_snapshot *snap)
{
    snap->s = core->stats;
    snap->cmd = mem_memdup(core->stats.cmd, sizeof(*snap->cmd) * cmd_count());
}

static void stats_restore(struct core *core, struct stats_snapshot *snap)
{
    struct dict *errors = core->stats.errors;
    memcpy(core->stats.cmd, snap->cmd, sizeof(*snap->cmd) * cmd_count());
    core->stats = snap->s;
    core->stats.errors = errors;
    mem_free(snap->cmd);
}

static int load_all_files(struct loader *l, const char *dir, const struct aof_manifest *m)
{
    size_t total = (m->base.name ? 1 : 0) + m->nincr, k = 0;
    if (m->base.name && load_file(l, dir, &m->base, ++k == total) < 0)
        return -1;
    for (size_t i = 0; i < m->nincr; i++)
        if (load_file(l, dir, &m->incr[i], ++k == total) < 0)
            return -1;
    return 0;
}

int aof_load_files(struct core *core, const char *dir, const struct aof_manifest *m)
{
    struct loader l;
    struct stats_snapshot snap;
    int64_t start = util_monotonic_us();
    memset(&l, 0, sizeof(l));
    l.core = core;
    stats_save(core, &snap);
    l.c = conn_new(core, -1, "", "", CLIENT_PSEUDO);
    l.c->authenticated = 1;
    core->loading = 1;
    db_set_no_expire(1);
    int rc = load_all_files(&l, dir, m);
    conn_free(core, l.c);
    core->loading = 0;
    db_set_no_expire(0);
    stats_restore(core, &snap);
    if (rc < 0)
        return -1;
    if (l.failed)
        log_msg(LOG_WARNING, "%llu commands of the append only file failed during loading",
                (unsigned long long)l.failed);
    if (l.dups_direct)
        log_msg(LOG_VERBOSE,
                "%llu IDMP duplicates replayed without their iid (dropped by a rewrite)",
                (unsigned long long)l.dups_direct);
    log_msg(LOG_NOTICE, "DB loaded from append only file: %.3f seconds",
            (double)(util_monotonic_us() - start) / 1e6);
    return 0;
}

/* ---- weir-check-aof ----------------------------------------------------------- */

static int fix_file(const char *path, const struct aof_scan *r, size_t len)
{
    if (truncate(path, (off_t)r->valid) < 0) {
        printf("Failed to truncate %s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("Successfully truncated %s to %zu bytes (%zu bytes dropped)\n", path, r->valid,
           len - r->valid);
    return 0;
}

/* Check one file; -1 when it is (still) bad. */
static int check_file(const char *path, int last, int fix)
{
    const char *data;
    size_t len;
    struct aof_scan r;
    if (aof_map_file(path, &data, &len) < 0) {
        printf("Cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t skip = 0;
    if (is_rdb_base(path, data, len)) {
        struct rdb_result rr;
        if (rdb_load(data, len, NULL, NULL, &rr) < 0) {
            aof_unmap_file(data, len);
            printf("%s: bad RDB part (record at offset %zu): %s\n", path, rr.err_at, rr.err);
            return -1;
        }
        printf("%s: RDB part valid: version %d, %llu keys, %zu bytes\n", path, rr.version,
               (unsigned long long)rr.nkeys, rr.consumed);
        skip = rr.consumed;
    }
    aof_scan(data + skip, len - skip, NULL, NULL, &r);
    aof_unmap_file(data, len);
    r.valid += skip;
    r.bad_at += skip;
    if (r.status == AOF_SCAN_OK) {
        printf("%s: valid, %llu commands, %zu bytes\n", path, (unsigned long long)r.ncmds, len);
        return 0;
    }
    if (r.status == AOF_SCAN_TRUNCATED)
        printf("%s: truncated: whole commands end at offset %zu of %zu%s\n", path, r.valid, len,
               r.in_multi ? " (the file ends inside MULTI)" : "");
    else
        printf("%s: bad format at offset %zu: %s (whole commands end at offset %zu)\n", path,
               r.bad_at, r.err, r.valid);
    if (!last) {
        printf("%s is not the last file of the AOF: it cannot be fixed by truncation\n", path);
        return -1;
    }
    return fix ? fix_file(path, &r, len) : -1;
}

static int check_one_in(const char *dir, const char *name, int last, int fix)
{
    char *path = aof_path(dir, name);
    int rc = check_file(path, last, fix);
    mem_free(path);
    return rc;
}

static int check_manifest(const char *target, int fix)
{
    char err[512], *dir, *fname;
    struct aof_manifest m;
    const char *slash = strrchr(target, '/');
    dir = slash ? mem_strndup(target, (size_t)(slash - target)) : mem_strndup(".", 1);
    const char *base = slash ? slash + 1 : target;
    fname = mem_strndup(base, strlen(base) - strlen(".manifest"));
    int rc = aof_manifest_read(dir, fname, &m, err, sizeof(err));
    if (rc != 0) {
        printf("%s\n", rc > 0 ? "The manifest file does not exist" : err);
        rc = -1;
    } else {
        size_t total = (m.base.name ? 1 : 0) + m.nincr, k = 0;
        printf("Checking the multi part AOF of %s (%zu files)\n", target, total);
        if (m.base.name)
            rc |= check_one_in(dir, m.base.name, ++k == total, fix);
        for (size_t i = 0; i < m.nincr; i++)
            rc |= check_one_in(dir, m.incr[i].name, ++k == total, fix);
        aof_manifest_free(&m);
    }
    mem_free(dir);
    mem_free(fname);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int aof_check_main(int argc, char **argv)
{
    int fix = 0, bad = 0;
    const char *target = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fix") == 0)
            fix = 1;
        else if (!target && argv[i][0] != '-')
            target = argv[i];
        else
            bad = 1;
    }
    if (bad || !target) {
        fprintf(stderr, "Usage: %s [--fix] <file.manifest|file.aof>\n",
                argc ? argv[0] : "weir-check-aof");
        return 1;
    }
    int rc =
        ends_with(target, ".manifest") ? check_manifest(target, fix) : check_file(target, 1, fix);
    printf(rc == 0 ? "AOF is valid\n" : "AOF is not valid\n");
    return rc == 0 ? 0 : 1;
}
