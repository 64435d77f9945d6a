/*
 * aof_rewrite.c - the command form of the dataset (the base file a
 * rewrite writes), the RESP encoder shared with the live log, and
 * XIDMPCOUNTERS, the one command of that form Redis does not have.
 *
 * What is written, per database that has keys: "SELECT <db>", then for
 * each key whose TTL has not passed:
 *
 *   string  SET key value
 *   stream  XADD key <id> field value ...       one per live entry, or
 *           XADD key MAXLEN 0 0-1 x y            for an empty stream
 *           XSETID key <last-id> ENTRIESADDED <n> MAXDELETEDID <id>
 *           XGROUP CREATE / XGROUP CREATECONSUMER / XCLAIM ... FORCE /
 *           XNACK ... FORCE          the groups, from cg_rewrite()
 *           XCFGSET key IDMP-DURATION <d> IDMP-MAXSIZE <m>
 *                                  only when either differs from the
 *                                  server defaults stream-idmp-*
 *           XIDMPRECORD key <pid> <iid> <id>     per tracked iid, pids in
 *                                  byte order, iids oldest first, skipping
 *                                  iids whose entry no longer exists
 *           XIDMPCOUNTERS key <iids-added> <iids-duplicates>
 *                                  when the counters differ from what the
 *                                  records alone replay to (added = number
 *                                  of records, duplicates = 0)
 *   any     PEXPIREAT key <unix-ms>              when the key has a TTL
 *
 * The order of the IDMP lines matters: XCFGSET clears the maps, so it
 * precedes the records, and the counters come last (each record counts
 * as an added iid when replayed).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "aof_int.h"
#include "cmd.h"
#include "core.h"
#include "db.h"
#include "lib/dict.h"
#include "lib/mem.h"
#include "obj.h"
#include "stream.h"
#include "stream_cg.h"
#include "stream_idmp.h"

#define WRITER_CHUNK (64 * 1024)

/* ---- encoding ------------------------------------------------------------ */

static char *put_header(char *p, char type, size_t n)
{
    *p++ = type;
    p += buf_fmt_ull(p, n);
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

void aof_encode_cmd(struct buf *b, int argc, const struct slice *argv)
{
    size_t need = 24;
    for (int i = 0; i < argc; i++)
        need += argv[i].len + 25;
    char *start = buf_reserve(b, need), *p = start;
    p = put_header(p, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        p = put_header(p, '$', argv[i].len);
        if (argv[i].len)
            memcpy(p, argv[i].p, argv[i].len);
        p += argv[i].len;
        *p++ = '\r';
        *p++ = '\n';
    }
    b->len += (size_t)(p - start);
}

void aof_writer_flush(struct aof_writer *w)
{
    size_t off = 0;
    while (!w->err && off < w->b.len) {
        ssize_t n = write(w->fd, w->b.data + off, w->b.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            w->err = n < 0 ? errno : EIO;
        else
            off += (size_t)n;
    }
    w->written += (off_t)off;
    w->b.len = 0;
}

void aof_writer_cmd(struct aof_writer *w, int argc, const struct slice *argv)
{
    aof_encode_cmd(&w->b, argc, argv);
    if (w->b.len >= WRITER_CHUNK)
        aof_writer_flush(w);
}

/* ---- streams --------------------------------------------------------------- */

struct idslice {
    char buf[48];
};

static struct slice id_slice(struct idslice *s, struct stream_id id)
{
    return (struct slice){s->buf, stream_id_format(s->buf, id)};
}

static struct slice num_slice(struct idslice *s, unsigned long long v)
{
    return (struct slice){s->buf, util_ull2str(s->buf, v)};
}

static void rewrite_entries(struct aof_writer *w, struct slice key, struct stream *s)
{
    struct stream_iter it;
    struct stream_id id;
    const struct slice *fv;
    size_t np, cap = 16;
    struct slice *argv = mem_alloc(sizeof(*argv) * cap);
    struct idslice ids;
    stream_iter_init(&it, s, (struct stream_id){0, 0}, (struct stream_id){UINT64_MAX, UINT64_MAX},
                     0);
    while (stream_iter_next(&it, &id, &fv, &np)) {
        if (3 + 2 * np > cap) {
            cap = 3 + 2 * np;
            argv = mem_realloc(argv, sizeof(*argv) * cap);
        }
        argv[0] = SLICE_LIT("XADD");
        argv[1] = key;
        argv[2] = id_slice(&ids, id);
        memcpy(argv + 3, fv, sizeof(*fv) * 2 * np);
        aof_writer_cmd(w, (int)(3 + 2 * np), argv);
    }
    stream_iter_done(&it);
    mem_free(argv);
}

static void rewrite_stream_meta(struct aof_writer *w, struct slice key, const struct stream *s)
{
    struct idslice a, b, c;
    if (s->length == 0) {
        struct slice add[] = {
            SLICE_LIT("XADD"), key,           SLICE_LIT("MAXLEN"), SLICE_LIT("0"), SLICE_LIT("0-1"),
            SLICE_LIT("x"),    SLICE_LIT("y")};
        aof_writer_cmd(w, 7, add);
    }
    struct slice setid[] = {SLICE_LIT("XSETID"),
                            key,
                            id_slice(&a, s->last_id),
                            SLICE_LIT("ENTRIESADDED"),
                            num_slice(&b, s->entries_added),
                            SLICE_LIT("MAXDELETEDID"),
                            id_slice(&c, s->max_deleted_id)};
    aof_writer_cmd(w, 7, setid);
}

struct record_ctx {
    struct aof_writer *w;
    struct slice key;
    const struct stream *s;
    uint64_t emitted;
};

static void emit_record(void *priv, struct slice pid, struct slice iid, struct stream_id id)
{
    struct record_ctx *rc = priv;
    struct idslice ids;
    /* XIDMPRECORD refuses a deleted entry: XIDMPKEEP keeps its mapping */
    struct slice cmd = stream_has(rc->s, id) ? SLICE_LIT("XIDMPRECORD") : SLICE_LIT("XIDMPKEEP");
    struct slice argv[] = {cmd, rc->key, pid, iid, id_slice(&ids, id)};
    aof_writer_cmd(rc->w, 5, argv);
    rc->emitted++;
}

static void rewrite_idmp(struct aof_writer *w, const struct core *core, struct slice key,
                         const struct stream *s)
{
    const struct idmp_state *st = s->idmp;
    struct idslice a, b;
    if (!st)
        return;
    long d = idmp_duration(st), m = idmp_maxsize(st);
    if (d != core->cfg.stream_idmp_duration || m != core->cfg.stream_idmp_maxsize) {
        struct slice cfg[] = {SLICE_LIT("XCFGSET"),       key,
                              SLICE_LIT("IDMP-DURATION"), num_slice(&a, (unsigned long long)d),
                              SLICE_LIT("IDMP-MAXSIZE"),  num_slice(&b, (unsigned long long)m)};
        aof_writer_cmd(w, 6, cfg);
    }
    struct record_ctx rc = {w, key, s, 0};
    idmp_foreach(st, emit_record, &rc);
    uint64_t added = idmp_iids_added(st), dups = idmp_iids_duplicates(st);
    if (added != rc.emitted || dups != 0) {
        struct slice cnt[] = {SLICE_LIT("XIDMPCOUNTERS"), key, num_slice(&a, added),
                              num_slice(&b, dups)};
        aof_writer_cmd(w, 4, cnt);
    }
}

/* ---- the dataset ---------------------------------------------------------- */

static void emit_cmd(void *priv, int argc, const struct slice *argv)
{
    aof_writer_cmd(priv, argc, argv);
}

static void rewrite_key(struct aof_writer *w, const struct core *core, struct slice key,
                        struct obj *o)
{
    if (o->type == OBJ_STRING) {
        struct slice argv[] = {SLICE_LIT("SET"), key, {o->data, o->len}};
        aof_writer_cmd(w, 3, argv);
    } else if (o->type == OBJ_STREAM) {
        rewrite_entries(w, key, o->u.stream);
        rewrite_stream_meta(w, key, o->u.stream);
        cg_rewrite(o->u.stream, key, emit_cmd, w);
        rewrite_idmp(w, core, key, o->u.stream);
    }
}

static void rewrite_db(struct aof_writer *w, const struct core *core, struct db *db, int64_t now)
{
    struct dict_iter it;
    struct dict_entry *e;
    struct idslice num;
    struct slice sel[] = {SLICE_LIT("SELECT"), num_slice(&num, (unsigned long long)db->id)};
    aof_writer_cmd(w, 2, sel);
    dict_iter_init(&it, db->keys);
    while (!w->err && (e = dict_next(&it)) != NULL) {
        size_t klen;
        const char *k = dict_entry_key(e, &klen);
        struct slice key = {k, klen};
        int64_t when = db_get_expire(db, key);
        if (when >= 0 && when <= now)
            continue;
        rewrite_key(w, core, key, dict_entry_val(e));
        if (when >= 0) {
            struct slice ex[] = {SLICE_LIT("PEXPIREAT"), key,
                                 num_slice(&num, (unsigned long long)when)};
            aof_writer_cmd(w, 3, ex);
        }
    }
    dict_iter_done(&it);
}

int aof_rewrite_dataset(struct core *core, int fd)
{
    struct aof_writer w;
    int64_t now = util_mstime();
    memset(&w, 0, sizeof(w));
    w.fd = fd;
    buf_init(&w.b);
    for (int i = 0; i < core->ndbs && !w.err; i++)
        if (db_size(&core->dbs[i]) > 0)
            rewrite_db(&w, core, &core->dbs[i], now);
    aof_writer_flush(&w);
    buf_free(&w.b);
    if (w.err) {
        errno = w.err;
        return -1;
    }
    return 0;
}

/* ---- XIDMPCOUNTERS ---------------------------------------------------------- */

/* XIDMPCOUNTERS key iids-added iids-duplicates: set the lifetime IDMP
 * counters of a stream (Weir's replay form for them; see aof_load.c). */
void cmd_xidmpcounters(struct cmd_ctx *ctx)
{
    unsigned long long added, dups;
    if (util_parse_ull(ctx->argv[2].p, ctx->argv[2].len, &added) < 0 ||
        util_parse_ull(ctx->argv[3].p, ctx->argv[3].len, &dups) < 0) {
        cmd_error_not_integer(ctx);
        return;
    }
    struct obj *o = db_lookup(ctx->db, ctx->argv[1]);
    if (!o) {
        cmd_error(ctx, "ERR no such key");
        return;
    }
    if (o->type != OBJ_STREAM) {
        cmd_error_wrongtype(ctx);
        return;
    }
    struct stream *s = o->u.stream;
    if (!s->idmp)
        s->idmp = idmp_new(ctx->core->cfg.stream_idmp_duration, ctx->core->cfg.stream_idmp_maxsize);
    idmp_set_counters(s->idmp, added, dups);
    resp_ok(ctx->out);
    cmd_propagate_as_is(ctx);
}
