/*
 * cmd_keyspace.c - generic key commands: DEL, UNLINK, EXISTS, TYPE, KEYS,
 * SCAN, RANDOMKEY, RENAME(NX), COPY, TOUCH, OBJECT, the EXPIRE and TTL
 * families, PERSIST, MOVE, SWAPDB, DBSIZE, FLUSHDB, FLUSHALL, SELECT.
 *
 * Replies and error texts follow Redis 8 (learned from the redis.io
 * documentation).  Conventions shared with cmd_string.c:
 *
 *   - read lookups count keyspace hits/misses; TYPE, EXISTS, TTL and
 *     OBJECT look keys up without updating their access time;
 *   - every change goes through db.c (which tells the modification hook)
 *     and is propagated: as is, or rewritten to a deterministic form
 *     (relative expirations become PEXPIREAT with an absolute time, an
 *     expiration in the past becomes DEL);
 *   - cmd_propagate_* counts one change in stats.dirty, multi-key writes
 *     add the others.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "core.h"
#include "db.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/mem.h"
#include "lib/util.h"
#include "obj.h"
#include "resp_write.h"

#define LL_MAX_CHARS 24
#define SCAN_DEFAULT_COUNT 10
#define SCAN_STEPS_PER_COUNT 10
#define INT_ENC_MAX_LEN 20
#define SHARED_INTEGERS 10000 /* 0..9999 report a shared refcount */
#define SHARED_REFCOUNT INT_MAX
#define OPT_ECHO_MAX 512 /* bytes of an unknown option echoed back */

static const char err_db_range[] = "ERR DB index is out of range";
static const char err_same_obj[] = "ERR source and destination objects are the same";

/* ---- shared helpers ----------------------------------------------------- */

static void count_lookup(struct cmd_ctx *ctx, const struct obj *o)
{
    if (o)
        ctx->core->stats.keyspace_hits++;
    else
        ctx->core->stats.keyspace_misses++;
}

/* Read lookup that updates the access time (TOUCH, COPY). */
static struct obj *lookup_read(struct cmd_ctx *ctx, struct slice key)
{
    struct obj *o = db_lookup(ctx->db, key);

    count_lookup(ctx, o);
    return o;
}

/* Read lookup that leaves the access time alone (TYPE, EXISTS, TTL...). */
static struct obj *peek_read(struct cmd_ctx *ctx, struct slice key)
{
    struct obj *o = db_peek(ctx->db, key);

    count_lookup(ctx, o);
    return o;
}

static int is_loading(const struct cmd_ctx *ctx)
{
    return ctx->loading || ctx->core->loading;
}

static void add_dirty(struct cmd_ctx *ctx, long long extra)
{
    if (extra > 0)
        ctx->core->stats.dirty += (uint64_t)extra;
}

static int slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void propagate_del(struct cmd_ctx *ctx, struct slice key)
{
    struct slice v[2] = {SLICE_LIT("DEL"), key};

    cmd_propagate_argv(ctx, 2, v);
}

/* An int argument; replies err (or the generic integer error) on failure. */
static int parse_int(struct cmd_ctx *ctx, struct slice a, int *out, const char *err)
{
    long long v;

    if (util_parse_ll(a.p, a.len, &v) < 0 || v < INT_MIN || v > INT_MAX) {
        if (err)
            cmd_error(ctx, err);
        else
            cmd_error_not_integer(ctx);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* A database index argument: integer, then in range; -1 after replying. */
static int parse_db_index(struct cmd_ctx *ctx, struct slice a, int *out)
{
    if (parse_int(ctx, a, out, NULL) < 0)
        return -1;
    if (*out < 0 || *out >= ctx->core->ndbs) {
        cmd_error(ctx, err_db_range);
        return -1;
    }
    return 0;
}

/* ---- DEL, EXISTS, TYPE, TOUCH, DBSIZE, RANDOMKEY ------------------------ */

static void del_generic(struct cmd_ctx *ctx)
{
    long long n = 0;

    for (int i = 1; i < ctx->argc; i++)
        n += db_delete(ctx->db, ctx->argv[i]);
    resp_int(ctx->out, n);
    if (n) {
        add_dirty(ctx, n - 1);
        cmd_propagate_as_is(ctx);
    }
}

void cmd_del(struct cmd_ctx *ctx)
{
    del_generic(ctx);
}

void cmd_unlink(struct cmd_ctx *ctx)
{
    del_generic(ctx);
}

void cmd_exists(struct cmd_ctx *ctx)
{
    long long n = 0;

    for (int i = 1; i < ctx->argc; i++)
        n += peek_read(ctx, ctx->argv[i]) != NULL;
    resp_int(ctx->out, n);
}

void cmd_type(struct cmd_ctx *ctx)
{
    struct obj *o = peek_read(ctx, ctx->argv[1]);

    resp_simple(ctx->out, o ? obj_type_name(o) : "none");
}

void cmd_touch(struct cmd_ctx *ctx)
{
    long long n = 0;

    for (int i = 1; i < ctx->argc; i++) {
        struct obj *o = lookup_read(ctx, ctx->argv[i]);

        if (o) {
            o->lru = db_lru_clock(); /* even for a CLIENT NO-TOUCH caller */
            n++;
        }
    }
    resp_int(ctx->out, n);
}

void cmd_dbsize(struct cmd_ctx *ctx)
{
    resp_int(ctx->out, (long long)db_size(ctx->db));
}

void cmd_randomkey(struct cmd_ctx *ctx)
{
    size_t klen;
    const char *k = db_random_key(ctx->db, &klen);

    if (k)
        resp_bulk(ctx->out, k, klen);
    else
        resp_null(ctx->out);
}

/* ---- KEYS and SCAN ------------------------------------------------------ */

void cmd_keys(struct cmd_ctx *ctx)
{
    struct slice pat = ctx->argv[1];
    int all = pat.len == 1 && pat.p[0] == '*';
    size_t handle = resp_defer_array(ctx->out);
    long long n = 0;
    struct dict_iter it;
    struct dict_entry *e;

    dict_iter_init(&it, ctx->db->keys);
    while ((e = dict_next(&it)) != NULL) {
        size_t klen;
        const char *k = dict_entry_key(e, &klen);

        if (!all && !util_glob_match(pat.p, pat.len, k, klen, 0))
            continue;
        if (db_is_expired(ctx->db, (struct slice){k, klen}))
            continue;
        resp_bulk(ctx->out, k, klen);
        n++;
    }
    dict_iter_done(&it);
    resp_set_deferred_array(ctx->out, handle, n);
}

struct scan_opts {
    long long count;
    struct slice pat;
    int use_pat;
    struct slice type;
    int use_type;
};

struct scan_state {
    const struct scan_opts *o;
    struct buf keys; /* candidates: size_t length, bytes, ... */
    long long n;
};

/* SCAN cursors: unsigned decimal; Redis also takes strtoull's forms
 * ("+5", " 7", "007") but not negative numbers. */
static int parse_cursor(struct slice a, unsigned long long *out)
{
    long long neg;
    char buf[64], *end;

    if (util_parse_ull(a.p, a.len, out) == 0)
        return 0;
    if (util_parse_ll(a.p, a.len, &neg) == 0 || a.len == 0 || a.len >= sizeof(buf))
        return -1;
    memcpy(buf, a.p, a.len);
    buf[a.len] = '\0';
    errno = 0;
    *out = strtoull(buf, &end, 10);
    return errno == 0 && end == buf + a.len ? 0 : -1;
}

static int parse_scan_opts(struct cmd_ctx *ctx, struct scan_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->count = SCAN_DEFAULT_COUNT;
    for (int i = 2; i < ctx->argc; i += 2) {
        struct slice opt = ctx->argv[i];

        if (i + 1 >= ctx->argc) {
            cmd_error_syntax(ctx);
            return -1;
        }
        if (util_eq_nocase(opt, "count")) {
            if (util_parse_ll(ctx->argv[i + 1].p, ctx->argv[i + 1].len, &o->count) < 0) {
                cmd_error_not_integer(ctx);
                return -1;
            }
            if (o->count < 1) {
                cmd_error_syntax(ctx);
                return -1;
            }
        } else if (util_eq_nocase(opt, "match")) {
            o->pat = ctx->argv[i + 1];
            o->use_pat = !(o->pat.len == 1 && o->pat.p[0] == '*');
        } else if (util_eq_nocase(opt, "type")) {
            o->type = ctx->argv[i + 1];
            o->use_type = 1;
        } else {
            cmd_error_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

static void scan_cb(void *priv, const struct dict_entry *e)
{
    struct scan_state *st = priv;
    size_t klen;
    const char *k = dict_entry_key(e, &klen);

    if (st->o->use_pat && !util_glob_match(st->o->pat.p, st->o->pat.len, k, klen, 0))
        return;
    buf_append(&st->keys, &klen, sizeof(klen));
    buf_append(&st->keys, k, klen);
    st->n++;
}

/* Reply the candidates that are still alive and of the wanted type. */
static void scan_reply_keys(struct cmd_ctx *ctx, const struct scan_state *st)
{
    size_t handle = resp_defer_array(ctx->out), off = 0;
    long long n = 0;

    while (off < st->keys.len) {
        struct slice key;
        struct obj *o;

        memcpy(&key.len, st->keys.data + off, sizeof(key.len));
        key.p = st->keys.data + off + sizeof(key.len);
        off += sizeof(key.len) + key.len;
        o = db_peek(ctx->db, key); /* deletes it when expired */
        if (!o || (st->o->use_type && !util_eq_nocase(st->o->type, obj_type_name(o))))
            continue;
        resp_bulk(ctx->out, key.p, key.len);
        n++;
    }
    resp_set_deferred_array(ctx->out, handle, n);
}

void cmd_scan(struct cmd_ctx *ctx)
{
    unsigned long long cursor;
    struct scan_opts o;
    struct scan_state st;
    long long steps;
    char num[LL_MAX_CHARS];

    if (parse_cursor(ctx->argv[1], &cursor) < 0) {
        cmd_error(ctx, "ERR invalid cursor");
        return;
    }
    if (parse_scan_opts(ctx, &o) < 0)
        return;
    st.o = &o;
    st.n = 0;
    buf_init(&st.keys);
    steps = o.count > LLONG_MAX / SCAN_STEPS_PER_COUNT ? LLONG_MAX : o.count * SCAN_STEPS_PER_COUNT;
    do {
        cursor = dict_scan(ctx->db->keys, cursor, scan_cb, &st);
    } while (cursor && --steps > 0 && st.n < o.count);
    resp_array(ctx->out, 2);
    resp_bulk(ctx->out, num, util_ull2str(num, cursor));
    scan_reply_keys(ctx, &st);
    buf_free(&st.keys);
}

/* ---- RENAME, COPY, MOVE ------------------------------------------------- */

static void rename_generic(struct cmd_ctx *ctx, int nx)
{
    struct slice src = ctx->argv[1], dst = ctx->argv[2];
    struct obj *o;
    int64_t expire;

    if (!db_lookup(ctx->db, src)) {
        cmd_error(ctx, "ERR no such key");
        return;
    }
    if (slice_eq(src, dst)) {
        if (nx)
            resp_int(ctx->out, 0);
        else
            resp_ok(ctx->out);
        return;
    }
    if (db_lookup(ctx->db, dst)) {
        if (nx) {
            resp_int(ctx->out, 0);
            return;
        }
        db_delete(ctx->db, dst);
    }
    o = db_take(ctx->db, src, &expire);
    db_add(ctx->db, dst, o);
    if (expire != -1)
        db_set_expire(ctx->db, dst, expire);
    if (nx)
        resp_int(ctx->out, 1);
    else
        resp_ok(ctx->out);
    cmd_propagate_as_is(ctx);
}

void cmd_rename(struct cmd_ctx *ctx)
{
    rename_generic(ctx, 0);
}

void cmd_renamenx(struct cmd_ctx *ctx)
{
    rename_generic(ctx, 1);
}

/* COPY's options: [DB n] [REPLACE]; -1 after replying. */
static int parse_copy_opts(struct cmd_ctx *ctx, int *dbid, int *replace)
{
    *dbid = ctx->db->id;
    *replace = 0;
    for (int i = 3; i < ctx->argc; i++) {
        if (util_eq_nocase(ctx->argv[i], "replace")) {
            *replace = 1;
        } else if (util_eq_nocase(ctx->argv[i], "db") && i + 1 < ctx->argc) {
            if (parse_db_index(ctx, ctx->argv[++i], dbid) < 0)
                return -1;
        } else {
            cmd_error_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

void cmd_copy(struct cmd_ctx *ctx)
{
    struct slice src = ctx->argv[1], dst = ctx->argv[2];
    struct db *to;
    struct obj *o;
    int64_t expire;
    int dbid, replace;

    if (parse_copy_opts(ctx, &dbid, &replace) < 0)
        return;
    to = &ctx->core->dbs[dbid];
    if (to == ctx->db && slice_eq(src, dst)) {
        cmd_error(ctx, err_same_obj);
        return;
    }
    o = lookup_read(ctx, src);
    if (!o) {
        resp_int(ctx->out, 0);
        return;
    }
    expire = db_get_expire(ctx->db, src);
    if (db_peek(to, dst)) {
        if (!replace) {
            resp_int(ctx->out, 0);
            return;
        }
        db_delete(to, dst);
    }
    db_add(to, dst, obj_dup(o));
    if (expire != -1)
        db_set_expire(to, dst, expire);
    resp_int(ctx->out, 1);
    cmd_propagate_as_is(ctx);
}

void cmd_move(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1];
    struct db *to;
    struct obj *o;
    int64_t expire;
    int dbid;

    if (parse_db_index(ctx, ctx->argv[2], &dbid) < 0)
        return;
    to = &ctx->core->dbs[dbid];
    if (to == ctx->db) {
        cmd_error(ctx, err_same_obj);
        return;
    }
    if (!db_lookup(ctx->db, key) || db_lookup(to, key)) {
        resp_int(ctx->out, 0);
        return;
    }
    o = db_take(ctx->db, key, &expire);
    db_add(to, key, o);
    if (expire != -1)
        db_set_expire(to, key, expire);
    resp_int(ctx->out, 1);
    cmd_propagate_as_is(ctx);
}

/* ---- OBJECT ------------------------------------------------------------- */

/* The key of an OBJECT subcommand, or NULL after replying null. */
static struct obj *object_lookup(struct cmd_ctx *ctx)
{
    struct obj *o = peek_read(ctx, ctx->argv[2]);

    if (!o)
        resp_null(ctx->out);
    return o;
}

void cmd_object_encoding(struct cmd_ctx *ctx)
{
    struct obj *o = object_lookup(ctx);

    if (o)
        resp_bulk_str(ctx->out, obj_encoding_name(o));
}

void cmd_object_freq(struct cmd_ctx *ctx)
{
    if (!object_lookup(ctx))
        return;
    cmd_error(ctx, "ERR An LFU maxmemory policy is not selected, access frequency not "
                   "tracked. Please note that when switching between policies at runtime "
                   "LRU and LFU data will take some time to adjust.");
}

void cmd_object_idletime(struct cmd_ctx *ctx)
{
    struct obj *o = object_lookup(ctx);
    uint32_t now;

    if (!o)
        return;
    now = db_lru_clock();
    resp_int(ctx->out, now > o->lru ? (long long)(now - o->lru) : 0);
}

void cmd_object_refcount(struct cmd_ctx *ctx)
{
    struct obj *o = object_lookup(ctx);
    long long v;

    if (!o)
        return;
    /* Redis shares the objects of small integers (int encoding, 0..9999). */
    if (o->type == OBJ_STRING && !(o->flags & OBJ_F_RAW) && o->len <= INT_ENC_MAX_LEN &&
        util_parse_ll(o->data, o->len, &v) == 0 && v >= 0 && v < SHARED_INTEGERS)
        resp_int(ctx->out, SHARED_REFCOUNT);
    else
        resp_int(ctx->out, 1);
}

void cmd_object_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };

    cmd_reply_help(ctx, lines);
}

/* ---- EXPIRE family ------------------------------------------------------ */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static int parse_expire_flags(struct cmd_ctx *ctx, int *flags)
{
    static const struct {
        const char *name;
        int flag;
    } opts[] = {{"nx", EXP_NX}, {"xx", EXP_XX}, {"gt", EXP_GT}, {"lt", EXP_LT}};

    *flags = 0;
    for (int i = 3; i < ctx->argc; i++) {
        struct slice a = ctx->argv[i];
        int f = 0;

        for (size_t j = 0; j < sizeof(opts) / sizeof(opts[0]) && !f; j++)
            if (util_eq_nocase(a, opts[j].name))
                f = opts[j].flag;
        if (!f) {
            cmd_errorf(ctx, "ERR Unsupported option %.*s",
                       (int)(a.len > OPT_ECHO_MAX ? OPT_ECHO_MAX : a.len), a.p);
            return -1;
        }
        *flags |= f;
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        cmd_error(ctx, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        cmd_error(ctx, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

/* NX/XX/GT/LT against the current expiry (-1: none, i.e. infinite). */
static int expire_allowed(int flags, int64_t cur, int64_t when)
{
    if ((flags & EXP_NX) && cur != -1)
        return 0;
    if ((flags & EXP_XX) && cur == -1)
        return 0;
    if ((flags & EXP_GT) && (cur == -1 || when <= cur))
        return 0;
    if ((flags & EXP_LT) && cur != -1 && when >= cur)
        return 0;
    return 1;
}

/* Propagate as PEXPIREAT key <abs-ms> [options...]. */
static void propagate_pexpireat(struct cmd_ctx *ctx, int64_t when)
{
    struct slice *v = mem_alloc(sizeof(*v) * (size_t)ctx->argc);
    char num[LL_MAX_CHARS];

    memcpy(v, ctx->argv, sizeof(*v) * (size_t)ctx->argc);
    v[0] = SLICE_LIT("PEXPIREAT");
    v[2] = (struct slice){num, util_ll2str(num, when)};
    cmd_propagate_argv(ctx, ctx->argc, v);
    mem_free(v);
}

/* Absolute ms from the time argument; -1 after replying. */
static int expire_time_arg(struct cmd_ctx *ctx, int64_t base, int seconds, int64_t *out)
{
    long long when;

    if (util_parse_ll(ctx->argv[2].p, ctx->argv[2].len, &when) < 0) {
        cmd_error_not_integer(ctx);
        return -1;
    }
    if (seconds && (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000))
        goto overflow;
    if (seconds)
        when *= 1000;
    if (when > LLONG_MAX - base)
        goto overflow;
    *out = when + base;
    return 0;
overflow:
    cmd_errorf(ctx, "ERR invalid expire time in '%s' command", ctx->cmd->fullname);
    return -1;
}

static void expire_generic(struct cmd_ctx *ctx, int64_t base, int seconds)
{
    struct slice key = ctx->argv[1];
    int64_t when;
    int flags;

    if (parse_expire_flags(ctx, &flags) < 0 || expire_time_arg(ctx, base, seconds, &when) < 0)
        return;
    if (!db_lookup(ctx->db, key) ||
        (flags && !expire_allowed(flags, db_get_expire(ctx->db, key), when))) {
        resp_int(ctx->out, 0);
        return;
    }
    if (when <= ctx->now_ms && !is_loading(ctx)) {
        db_delete(ctx->db, key);
        resp_int(ctx->out, 1);
        propagate_del(ctx, key);
        return;
    }
    db_set_expire(ctx->db, key, when);
    resp_int(ctx->out, 1);
    if (base != 0 || seconds)
        propagate_pexpireat(ctx, when);
    else
        cmd_propagate_as_is(ctx);
}

void cmd_expire(struct cmd_ctx *ctx)
{
    expire_generic(ctx, ctx->now_ms, 1);
}

void cmd_pexpire(struct cmd_ctx *ctx)
{
    expire_generic(ctx, ctx->now_ms, 0);
}

void cmd_expireat(struct cmd_ctx *ctx)
{
    expire_generic(ctx, 0, 1);
}

void cmd_pexpireat(struct cmd_ctx *ctx)
{
    expire_generic(ctx, 0, 0);
}

/* ---- TTL family, PERSIST ------------------------------------------------ */

static void ttl_generic(struct cmd_ctx *ctx, int in_ms, int absolute)
{
    struct slice key = ctx->argv[1];
    int64_t when, ttl;

    if (!peek_read(ctx, key)) {
        resp_int(ctx->out, -2);
        return;
    }
    when = db_get_expire(ctx->db, key);
    if (when == -1) {
        resp_int(ctx->out, -1);
        return;
    }
    ttl = absolute ? when : when - ctx->now_ms;
    if (ttl < 0)
        ttl = 0;
    /* seconds are rounded to the nearest, without overflowing */
    resp_int(ctx->out, in_ms ? ttl : ttl / 1000 + (ttl % 1000 >= 500));
}

void cmd_ttl(struct cmd_ctx *ctx)
{
    ttl_generic(ctx, 0, 0);
}

void cmd_pttl(struct cmd_ctx *ctx)
{
    ttl_generic(ctx, 1, 0);
}

void cmd_expiretime(struct cmd_ctx *ctx)
{
    ttl_generic(ctx, 0, 1);
}

void cmd_pexpiretime(struct cmd_ctx *ctx)
{
    ttl_generic(ctx, 1, 1);
}

void cmd_persist(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1];

    if (!db_lookup(ctx->db, key) || !db_persist(ctx->db, key)) {
        resp_int(ctx->out, 0);
        return;
    }
    resp_int(ctx->out, 1);
    cmd_propagate_as_is(ctx);
}

/* ---- databases: SELECT, SWAPDB, FLUSHDB, FLUSHALL ----------------------- */

void cmd_select(struct cmd_ctx *ctx)
{
    int id;

    if (parse_db_index(ctx, ctx->argv[1], &id) < 0)
        return;
    ctx->client->db_index = id;
    ctx->db = &ctx->core->dbs[id];
    resp_ok(ctx->out);
}

void cmd_swapdb(struct cmd_ctx *ctx)
{
    int a, b;

    if (parse_int(ctx, ctx->argv[1], &a, "ERR invalid first DB index") < 0 ||
        parse_int(ctx, ctx->argv[2], &b, "ERR invalid second DB index") < 0)
        return;
    if (a < 0 || a >= ctx->core->ndbs || b < 0 || b >= ctx->core->ndbs) {
        cmd_error(ctx, err_db_range);
        return;
    }
    db_swap(&ctx->core->dbs[a], &ctx->core->dbs[b]);
    resp_ok(ctx->out);
    cmd_propagate_as_is(ctx);
}

/* [SYNC|ASYNC]; both free at once here.  -1 after replying. */
static int parse_flush_mode(struct cmd_ctx *ctx)
{
    if (ctx->argc == 1 || (ctx->argc == 2 && (util_eq_nocase(ctx->argv[1], "sync") ||
                                              util_eq_nocase(ctx->argv[1], "async"))))
        return 0;
    cmd_error_syntax(ctx);
    return -1;
}

void cmd_flushdb(struct cmd_ctx *ctx)
{
    size_t n;

    if (parse_flush_mode(ctx) < 0)
        return;
    n = db_size(ctx->db);
    db_flush(ctx->db);
    resp_ok(ctx->out);
    add_dirty(ctx, (long long)n - 1);
    cmd_propagate_as_is(ctx); /* even when empty, as Redis forces it */
}

void cmd_flushall(struct cmd_ctx *ctx)
{
    struct core *core = ctx->core;
    size_t n = 0;

    if (parse_flush_mode(ctx) < 0)
        return;
    for (int i = 0; i < core->ndbs; i++) {
        n += db_size(&core->dbs[i]);
        db_flush(&core->dbs[i]);
    }
    resp_ok(ctx->out);
    add_dirty(ctx, (long long)n);
    cmd_propagate_as_is(ctx);
    /* With save points configured Redis snapshots the empty dataset at
     * once (which also resets the dirty counter). */
    if (core->save && core->cfg.save && core->cfg.save[0] && !is_loading(ctx)) {
        char err[256];

        core->save(core, err, sizeof(err));
    }
}
