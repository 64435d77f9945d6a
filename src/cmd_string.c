/*
 * cmd_string.c - the string commands: SET and its variants, GET, GETDEL,
 * GETEX, GETSET, MSET, MSETNX, MGET, INCR/DECR and friends, INCRBYFLOAT,
 * APPEND, STRLEN, GETRANGE, SETRANGE.
 *
 * Behaviour, replies and error texts follow Redis 8 (t_string semantics,
 * learned from the redis.io documentation).  Notable points:
 *
 *   - Reads count keyspace hits/misses (GET, MGET, STRLEN, GETRANGE and the
 *     read half of SET ... GET, GETSET, GETDEL, GETEX); pure writes do not.
 *   - Relative expirations are propagated as absolute ones, so replaying
 *     the AOF later gives the same deadline: SET/SETEX/PSETEX with EX, PX
 *     or EXAT become "SET key value PXAT ms", GETEX becomes PEXPIREAT or
 *     PERSIST, INCRBYFLOAT becomes "SET key result KEEPTTL".
 *   - An expiration already in the past deletes instead of storing (and
 *     propagates DEL), as Redis 8 does.
 *   - cmd_propagate_* counts one change in stats.dirty; multi-key writes
 *     add the others themselves.
 *
 * SET, GET and INCR have short paths: the common forms do one dict
 * operation, one allocation at most, and no option parsing.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "cmd.h"
#include "core.h"
#include "db.h"
#include "lib/mem.h"
#include "lib/util.h"
#include "obj.h"
#include "resp_write.h"

#define LL_MAX_CHARS 24
#define LD_MAX_CHARS 5120 /* %.17Lf of the largest long double fits */

/* SET / GETEX options. */
enum {
    SO_NX = 1 << 0,
    SO_XX = 1 << 1,
    SO_GET = 1 << 2,
    SO_KEEPTTL = 1 << 3,
    SO_PERSIST = 1 << 4,
    SO_EX = 1 << 5,
    SO_PX = 1 << 6,
    SO_EXAT = 1 << 7,
    SO_PXAT = 1 << 8,
    SO_IFEQ = 1 << 9, /* Redis 8.4 compare-and-set conditions */
    SO_IFNE = 1 << 10,
    SO_IFDEQ = 1 << 11,
    SO_IFDNE = 1 << 12,
};
#define SO_EXPIRE (SO_EX | SO_PX | SO_EXAT | SO_PXAT)
#define SO_IF (SO_IFEQ | SO_IFNE | SO_IFDEQ | SO_IFDNE)
#define SO_COND (SO_NX | SO_XX | SO_IF)

enum { FOR_SET = 1, FOR_GETEX = 2, FOR_BOTH = 3 };

struct set_opt {
    const char *name;
    int flag;
    int conflicts; /* flags that may not be given together with this one */
    int where;     /* FOR_* */
    int has_arg;
};

static const struct set_opt set_opts[] = {
    {"nx", SO_NX, SO_COND, FOR_SET, 0},
    {"xx", SO_XX, SO_COND, FOR_SET, 0},
    {"ifeq", SO_IFEQ, SO_COND, FOR_SET, 1},
    {"ifne", SO_IFNE, SO_COND, FOR_SET, 1},
    {"ifdeq", SO_IFDEQ, SO_COND, FOR_SET, 1},
    {"ifdne", SO_IFDNE, SO_COND, FOR_SET, 1},
    {"get", SO_GET, 0, FOR_SET, 0},
    {"keepttl", SO_KEEPTTL, SO_EXPIRE | SO_PERSIST, FOR_SET, 0},
    {"persist", SO_PERSIST, SO_EXPIRE | SO_KEEPTTL, FOR_GETEX, 0},
    {"ex", SO_EX, (SO_EXPIRE & ~SO_EX) | SO_KEEPTTL | SO_PERSIST, FOR_BOTH, 1},
    {"px", SO_PX, (SO_EXPIRE & ~SO_PX) | SO_KEEPTTL | SO_PERSIST, FOR_BOTH, 1},
    {"exat", SO_EXAT, (SO_EXPIRE & ~SO_EXAT) | SO_KEEPTTL | SO_PERSIST, FOR_BOTH, 1},
    {"pxat", SO_PXAT, (SO_EXPIRE & ~SO_PXAT) | SO_KEEPTTL | SO_PERSIST, FOR_BOTH, 1},
};

struct set_args {
    int flags;
    struct slice expire; /* the EX/PX/EXAT/PXAT argument */
    struct slice cmp;    /* the IFEQ/IFNE value or IFDEQ/IFDNE digest */
};

/* ---- shared helpers ----------------------------------------------------- */

static struct obj *lookup_read(struct cmd_ctx *ctx, struct slice key)
{
    struct obj *o = db_lookup(ctx->db, key);

    if (o)
        ctx->core->stats.keyspace_hits++;
    else
        ctx->core->stats.keyspace_misses++;
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

static void reply_string_or_null(struct cmd_ctx *ctx, const struct obj *o)
{
    if (o)
        resp_bulk(ctx->out, o->data, o->len);
    else
        resp_null(ctx->out);
}

static void propagate2(struct cmd_ctx *ctx, struct slice cmd, struct slice key)
{
    struct slice v[2] = {cmd, key};

    cmd_propagate_argv(ctx, 2, v);
}

static void propagate3(struct cmd_ctx *ctx, struct slice cmd, struct slice key, struct slice arg)
{
    struct slice v[3] = {cmd, key, arg};

    cmd_propagate_argv(ctx, 3, v);
}

/* Would size + add bytes exceed proto-max-bulk-len?  Replies if so. */
static int check_string_length(struct cmd_ctx *ctx, unsigned long long size, unsigned long long add)
{
    unsigned long long total = size + add;

    if (is_loading(ctx))
        return 0;
    if (total < size || total > (unsigned long long)ctx->core->cfg.proto_max_bulk_len) {
        cmd_error(ctx, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

/* Store a new string value object in place of the old one (which o_new may
 * be after a resize): tell the db about a move, or just the modification. */
static void string_changed(struct cmd_ctx *ctx, struct slice key, const struct obj *old,
                           struct obj *now)
{
    if (now != old)
        db_replace(ctx->db, key, now);
    else
        db_signal_modified(ctx->db, key);
}

/* ---- SET family --------------------------------------------------------- */

static const struct set_opt *find_set_opt(struct slice a, int where)
{
    for (size_t i = 0; i < sizeof(set_opts) / sizeof(set_opts[0]); i++)
        if ((set_opts[i].where & where) && util_eq_nocase(a, set_opts[i].name))
            return &set_opts[i];
    return NULL;
}

static int parse_set_opts(struct cmd_ctx *ctx, int from, int where, struct set_args *a)
{
    for (int i = from; i < ctx->argc; i++) {
        const struct set_opt *o = find_set_opt(ctx->argv[i], where);

        if (!o || (a->flags & o->conflicts) || (o->has_arg && i + 1 >= ctx->argc)) {
            cmd_error_syntax(ctx);
            return -1;
        }
        a->flags |= o->flag;
        if (o->has_arg && (o->flag & SO_IF))
            a->cmp = ctx->argv[++i];
        else if (o->has_arg)
            a->expire = ctx->argv[++i];
    }
    return 0;
}

static void reply_expire_error(struct cmd_ctx *ctx)
{
    cmd_errorf(ctx, "ERR invalid expire time in '%s' command", ctx->cmd->fullname);
}

/* Absolute ms of an EX/PX/EXAT/PXAT argument; -1 after an error reply. */
static int resolve_expire(struct cmd_ctx *ctx, struct slice arg, int flags, int64_t *when)
{
    long long v;
    int seconds = (flags & (SO_EX | SO_EXAT)) != 0;

    if (util_parse_ll(arg.p, arg.len, &v) < 0) {
        cmd_error_not_integer(ctx);
        return -1;
    }
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        reply_expire_error(ctx);
        return -1;
    }
    if (seconds)
        v *= 1000;
    if (flags & (SO_EX | SO_PX)) {
        if (v > LLONG_MAX - ctx->now_ms) {
            reply_expire_error(ctx);
            return -1;
        }
        v += ctx->now_ms;
    }
    *when = v;
    return 0;
}

/* Propagate SET minus its GET options (the reply part is not replayed). */
static void propagate_set_without_get(struct cmd_ctx *ctx)
{
    struct slice *v = mem_alloc(sizeof(*v) * (size_t)ctx->argc);
    int n = 0;

    for (int i = 0; i < ctx->argc; i++)
        if (i < 3 || !util_eq_nocase(ctx->argv[i], "get"))
            v[n++] = ctx->argv[i];
    cmd_propagate_argv(ctx, n, v);
    mem_free(v);
}

static void propagate_set(struct cmd_ctx *ctx, struct slice key, struct slice val, int flags,
                          int64_t when)
{
    if ((flags & SO_EXPIRE) && !(flags & SO_PXAT)) {
        char num[LL_MAX_CHARS];
        struct slice v[5] = {
            SLICE_LIT("SET"), key, val, SLICE_LIT("PXAT"), {num, util_ll2str(num, when)}};

        cmd_propagate_argv(ctx, 5, v);
    } else if (flags & SO_GET) {
        propagate_set_without_get(ctx);
    } else {
        cmd_propagate_as_is(ctx);
    }
}

/* The expiration is already past: behave as if the key were stored and
 * expired at once (delete any old value, propagate DEL). */
static void set_already_expired(struct cmd_ctx *ctx, struct slice key, int found)
{
    if (found < 0)
        found = db_lookup(ctx->db, key) != NULL;
    if (found) {
        db_delete(ctx->db, key);
        propagate2(ctx, SLICE_LIT("DEL"), key);
    }
    ctx->core->stats.expired_keys++;
}

/* IFEQ/IFNE/IFDEQ/IFDNE: may the write go ahead given the current value
 * (NULL when missing)?  The digest is XXH3-64 as 16 lowercase hex digits,
 * as Redis 8.4's DIGEST. */
static int condition_holds(const struct set_args *a, const struct obj *cur)
{
    int eq;
    if (!cur)
        return (a->flags & (SO_IFNE | SO_IFDNE)) != 0;
    if (a->flags & (SO_IFEQ | SO_IFNE)) {
        eq = cur->len == a->cmp.len && memcmp(cur->data, a->cmp.p, cur->len) == 0;
    } else {
        char hex[17];
        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)XXH3_64bits(cur->data, cur->len));
        eq = a->cmp.len == 16 && strncasecmp(hex, a->cmp.p, 16) == 0;
    }
    return (a->flags & (SO_IFEQ | SO_IFDEQ)) ? eq : !eq;
}

/* SET key value with parsed options a (SETEX/PSETEX come here too). */
static void set_generic(struct cmd_ctx *ctx, struct slice key, struct slice val,
                        const struct set_args *a)
{
    int64_t when = 0;
    int found = -1; /* unknown until needed */

    if ((a->flags & SO_EXPIRE) && resolve_expire(ctx, a->expire, a->flags, &when) < 0)
        return;
    if (a->flags & SO_GET) {
        struct obj *old = lookup_read(ctx, key);

        if (old && old->type != OBJ_STRING) {
            cmd_error_wrongtype(ctx);
            return;
        }
        reply_string_or_null(ctx, old);
        found = old != NULL;
    } else if (a->flags & SO_COND) {
        found = db_lookup(ctx->db, key) != NULL;
    }
    if (a->flags & SO_IF) {
        struct obj *cur = db_lookup(ctx->db, key);
        if (cur && cur->type != OBJ_STRING) {
            if (!(a->flags & SO_GET))
                cmd_error_wrongtype(ctx);
            return;
        }
        if (!condition_holds(a, cur)) {
            if (!(a->flags & SO_GET))
                resp_null(ctx->out);
            return;
        }
    }
    if (((a->flags & SO_NX) && found == 1) || ((a->flags & SO_XX) && found == 0)) {
        if (!(a->flags & SO_GET))
            resp_null(ctx->out);
        return;
    }
    if ((a->flags & SO_EXPIRE) && when <= ctx->now_ms && !is_loading(ctx)) {
        set_already_expired(ctx, key, found);
    } else {
        db_set(ctx->db, key, obj_new_string(val.p, val.len), (a->flags & SO_KEEPTTL) != 0);
        if (a->flags & SO_EXPIRE)
            db_set_expire(ctx->db, key, when);
        propagate_set(ctx, key, val, a->flags, when);
    }
    if (!(a->flags & SO_GET))
        resp_ok(ctx->out);
}

void cmd_set(struct cmd_ctx *ctx)
{
    struct set_args a = {0, {NULL, 0}, {NULL, 0}};

    if (ctx->argc == 3) { /* the common case: no options at all */
        db_set(ctx->db, ctx->argv[1], obj_new_string(ctx->argv[2].p, ctx->argv[2].len), 0);
        resp_ok(ctx->out);
        cmd_propagate_as_is(ctx);
        return;
    }
    if (parse_set_opts(ctx, 3, FOR_SET, &a) < 0)
        return;
    set_generic(ctx, ctx->argv[1], ctx->argv[2], &a);
}

void cmd_setex(struct cmd_ctx *ctx)
{
    struct set_args a = {SO_EX, ctx->argv[2], {NULL, 0}};

    set_generic(ctx, ctx->argv[1], ctx->argv[3], &a);
}

void cmd_psetex(struct cmd_ctx *ctx)
{
    struct set_args a = {SO_PX, ctx->argv[2], {NULL, 0}};

    set_generic(ctx, ctx->argv[1], ctx->argv[3], &a);
}

void cmd_setnx(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1];

    if (db_lookup(ctx->db, key)) {
        resp_int(ctx->out, 0);
        return;
    }
    db_set(ctx->db, key, obj_new_string(ctx->argv[2].p, ctx->argv[2].len), 0);
    resp_int(ctx->out, 1);
    cmd_propagate_as_is(ctx);
}

void cmd_getset(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1], val = ctx->argv[2];
    struct obj *old = lookup_read(ctx, key);

    if (old && old->type != OBJ_STRING) {
        cmd_error_wrongtype(ctx);
        return;
    }
    reply_string_or_null(ctx, old);
    db_set(ctx->db, key, obj_new_string(val.p, val.len), 0);
    propagate3(ctx, SLICE_LIT("SET"), key, val);
}

/* MSET / MSETNX argument count: pairs only. */
static int check_pairs(struct cmd_ctx *ctx)
{
    if (ctx->argc % 2 == 0) {
        cmd_error_arity(ctx);
        return -1;
    }
    return 0;
}

static void set_pairs(struct cmd_ctx *ctx)
{
    for (int i = 1; i + 1 < ctx->argc; i += 2)
        db_set(ctx->db, ctx->argv[i], obj_new_string(ctx->argv[i + 1].p, ctx->argv[i + 1].len), 0);
    add_dirty(ctx, (ctx->argc - 1) / 2 - 1);
    cmd_propagate_as_is(ctx);
}

void cmd_mset(struct cmd_ctx *ctx)
{
    if (check_pairs(ctx) < 0)
        return;
    set_pairs(ctx);
    resp_ok(ctx->out);
}

void cmd_msetnx(struct cmd_ctx *ctx)
{
    if (check_pairs(ctx) < 0)
        return;
    for (int i = 1; i < ctx->argc; i += 2) {
        if (db_lookup(ctx->db, ctx->argv[i])) {
            resp_int(ctx->out, 0);
            return;
        }
    }
    set_pairs(ctx);
    resp_int(ctx->out, 1);
}

/* ---- GET family --------------------------------------------------------- */

/* The string at key for a read command: NULL with the reply written
 * (null, or WRONGTYPE) when there is none to work on. */
static struct obj *get_string_or_reply(struct cmd_ctx *ctx, struct slice key)
{
    struct obj *o = lookup_read(ctx, key);

    if (!o) {
        resp_null(ctx->out);
        return NULL;
    }
    if (o->type != OBJ_STRING) {
        cmd_error_wrongtype(ctx);
        return NULL;
    }
    return o;
}

void cmd_get(struct cmd_ctx *ctx)
{
    struct obj *o = get_string_or_reply(ctx, ctx->argv[1]);

    if (o)
        resp_bulk(ctx->out, o->data, o->len);
}

void cmd_getdel(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1];
    struct obj *o = get_string_or_reply(ctx, key);

    if (!o)
        return;
    resp_bulk(ctx->out, o->data, o->len);
    db_delete(ctx->db, key);
    propagate2(ctx, SLICE_LIT("DEL"), key);
}

/* GETEX's write half, after the value was replied. */
static void getex_apply(struct cmd_ctx *ctx, struct slice key, int flags, int64_t when)
{
    if (flags & SO_EXPIRE) {
        if (when <= ctx->now_ms && !is_loading(ctx)) {
            db_delete(ctx->db, key);
            propagate2(ctx, SLICE_LIT("DEL"), key);
        } else {
            char num[LL_MAX_CHARS];

            db_set_expire(ctx->db, key, when);
            propagate3(ctx, SLICE_LIT("PEXPIREAT"), key,
                       (struct slice){num, util_ll2str(num, when)});
        }
    } else if ((flags & SO_PERSIST) && db_persist(ctx->db, key)) {
        propagate2(ctx, SLICE_LIT("PERSIST"), key);
    }
}

void cmd_getex(struct cmd_ctx *ctx)
{
    struct set_args a = {0, {NULL, 0}, {NULL, 0}};
    int64_t when = 0;
    struct obj *o;

    if (parse_set_opts(ctx, 2, FOR_GETEX, &a) < 0)
        return;
    if ((a.flags & SO_EXPIRE) && resolve_expire(ctx, a.expire, a.flags, &when) < 0)
        return;
    o = get_string_or_reply(ctx, ctx->argv[1]);
    if (!o)
        return;
    resp_bulk(ctx->out, o->data, o->len);
    getex_apply(ctx, ctx->argv[1], a.flags, when);
}

void cmd_mget(struct cmd_ctx *ctx)
{
    resp_array(ctx->out, ctx->argc - 1);
    for (int i = 1; i < ctx->argc; i++) {
        struct obj *o = lookup_read(ctx, ctx->argv[i]);

        reply_string_or_null(ctx, o && o->type == OBJ_STRING ? o : NULL);
    }
}

void cmd_strlen(struct cmd_ctx *ctx)
{
    struct obj *o = lookup_read(ctx, ctx->argv[1]);

    if (o && o->type != OBJ_STRING) {
        cmd_error_wrongtype(ctx);
        return;
    }
    resp_int(ctx->out, o ? (long long)o->len : 0);
}

/* ---- counters ----------------------------------------------------------- */

/* Store integer v as key's value (o is the current value, or NULL).  The
 * bytes are rewritten in place when they fit; the TTL is kept. */
static void store_ll(struct cmd_ctx *ctx, struct slice key, struct obj *o, long long v)
{
    char buf[LL_MAX_CHARS];
    size_t n = util_ll2str(buf, v);

    if (o && n <= o->u.cap) {
        memcpy(o->data, buf, n + 1);
        o->len = n;
        o->flags &= (uint8_t)~OBJ_F_RAW;
        db_signal_modified(ctx->db, key);
        return;
    }
    db_set(ctx->db, key, obj_new_string(buf, n), 1);
}

static void incr_by(struct cmd_ctx *ctx, long long incr)
{
    struct slice key = ctx->argv[1];
    struct obj *o = db_lookup(ctx->db, key);
    long long old = 0;

    if (o) {
        if (o->type != OBJ_STRING) {
            cmd_error_wrongtype(ctx);
            return;
        }
        if (util_parse_ll(o->data, o->len, &old) < 0) {
            cmd_error_not_integer(ctx);
            return;
        }
    }
    if ((incr < 0 && old < 0 && incr < LLONG_MIN - old) ||
        (incr > 0 && old > 0 && incr > LLONG_MAX - old)) {
        cmd_error(ctx, "ERR increment or decrement would overflow");
        return;
    }
    store_ll(ctx, key, o, old + incr);
    resp_int(ctx->out, old + incr);
    cmd_propagate_as_is(ctx);
}

/* The increment argument of INCRBY/DECRBY; -1 after an error reply. */
static int parse_incr_arg(struct cmd_ctx *ctx, long long *v)
{
    if (util_parse_ll(ctx->argv[2].p, ctx->argv[2].len, v) < 0) {
        cmd_error_not_integer(ctx);
        return -1;
    }
    return 0;
}

void cmd_incr(struct cmd_ctx *ctx)
{
    incr_by(ctx, 1);
}

void cmd_decr(struct cmd_ctx *ctx)
{
    incr_by(ctx, -1);
}

void cmd_incrby(struct cmd_ctx *ctx)
{
    long long v;

    if (parse_incr_arg(ctx, &v) == 0)
        incr_by(ctx, v);
}

void cmd_decrby(struct cmd_ctx *ctx)
{
    long long v;

    if (parse_incr_arg(ctx, &v) < 0)
        return;
    if (v == LLONG_MIN) {
        cmd_error(ctx, "ERR decrement would overflow");
        return;
    }
    incr_by(ctx, -v);
}

/* Parse a long double as Redis does: the whole text, no leading space,
 * no NaN, no overflow/underflow to infinity or zero.  0 or -1. */
static int parse_long_double(const char *p, size_t len, long double *out)
{
    char buf[LD_MAX_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return -1;
    errno = 0;
    v = strtold(buf, &end);
    if (end != buf + len || isnan(v))
        return -1;
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO))
        return -1;
    *out = v;
    return 0;
}

/* Human form: 17 decimals, trailing zeros (and a bare dot) removed, "-0"
 * printed as "0".  Returns the length, 0 if it does not fit. */
static size_t format_long_double(char *dst, size_t cap, long double v)
{
    int l = snprintf(dst, cap, "%.17Lf", v);

    if (l <= 0 || (size_t)l >= cap)
        return 0;
    if (memchr(dst, '.', (size_t)l)) {
        while (dst[l - 1] == '0')
            l--;
        if (dst[l - 1] == '.')
            l--;
    }
    if (l == 2 && dst[0] == '-' && dst[1] == '0') {
        dst[0] = '0';
        l = 1;
    }
    dst[l] = '\0';
    return (size_t)l;
}

void cmd_incrbyfloat(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1];
    struct obj *o = db_lookup(ctx->db, key);
    long double old = 0, incr, v;
    char buf[LD_MAX_CHARS];
    size_t n;

    if (o && o->type != OBJ_STRING) {
        cmd_error_wrongtype(ctx);
        return;
    }
    if ((o && parse_long_double(o->data, o->len, &old) < 0) ||
        parse_long_double(ctx->argv[2].p, ctx->argv[2].len, &incr) < 0) {
        cmd_error(ctx, "ERR value is not a valid float");
        return;
    }
    v = old + incr;
    if (isnan(v) || isinf(v) || (n = format_long_double(buf, sizeof(buf), v)) == 0) {
        cmd_error(ctx, "ERR increment would produce NaN or Infinity");
        return;
    }
    if (o && n <= o->u.cap) {
        memcpy(o->data, buf, n + 1);
        o->len = n;
        o->flags &= (uint8_t)~OBJ_F_RAW;
        db_signal_modified(ctx->db, key);
    } else {
        db_set(ctx->db, key, obj_new_string(buf, n), 1);
    }
    resp_bulk(ctx->out, buf, n);
    {
        struct slice prop[4] = {SLICE_LIT("SET"), key, {buf, n}, SLICE_LIT("KEEPTTL")};

        cmd_propagate_argv(ctx, 4, prop);
    }
}

/* ---- byte ranges -------------------------------------------------------- */

void cmd_append(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1], val = ctx->argv[2];
    struct obj *o = db_lookup(ctx->db, key), *n;
    size_t oldlen;

    if (!o) {
        db_set(ctx->db, key, obj_new_string(val.p, val.len), 0);
        resp_int(ctx->out, (long long)val.len);
        cmd_propagate_as_is(ctx);
        return;
    }
    if (o->type != OBJ_STRING) {
        cmd_error_wrongtype(ctx);
        return;
    }
    if (check_string_length(ctx, o->len, val.len) < 0)
        return;
    oldlen = o->len;
    n = obj_string_resize(o, oldlen + val.len);
    if (val.len)
        memcpy(n->data + oldlen, val.p, val.len);
    n->flags |= OBJ_F_RAW;
    string_changed(ctx, key, o, n);
    resp_int(ctx->out, (long long)n->len);
    cmd_propagate_as_is(ctx);
}

/* SETRANGE on a key that does not exist yet. */
static void setrange_new(struct cmd_ctx *ctx, struct slice key, long long off, struct slice val)
{
    struct obj *o;

    if (val.len == 0) {
        resp_int(ctx->out, 0);
        return;
    }
    if (check_string_length(ctx, (unsigned long long)off, val.len) < 0)
        return;
    o = obj_string_resize(obj_new_string(NULL, 0), (size_t)off + val.len);
    memcpy(o->data + off, val.p, val.len);
    o->flags |= OBJ_F_RAW;
    db_set(ctx->db, key, o, 0);
    resp_int(ctx->out, (long long)o->len);
    cmd_propagate_as_is(ctx);
}

void cmd_setrange(struct cmd_ctx *ctx)
{
    struct slice key = ctx->argv[1], val = ctx->argv[3];
    long long off;
    struct obj *o, *n;

    if (util_parse_ll(ctx->argv[2].p, ctx->argv[2].len, &off) < 0) {
        cmd_error_not_integer(ctx);
        return;
    }
    if (off < 0) {
        cmd_error(ctx, "ERR offset is out of range");
        return;
    }
    o = db_lookup(ctx->db, key);
    if (!o) {
        setrange_new(ctx, key, off, val);
        return;
    }
    if (o->type != OBJ_STRING) {
        cmd_error_wrongtype(ctx);
        return;
    }
    if (val.len == 0) {
        resp_int(ctx->out, (long long)o->len);
        return;
    }
    if (check_string_length(ctx, (unsigned long long)off, val.len) < 0)
        return;
    n = obj_string_resize(o, (size_t)off + val.len);
    memcpy(n->data + off, val.p, val.len);
    n->flags |= OBJ_F_RAW;
    string_changed(ctx, key, o, n);
    resp_int(ctx->out, (long long)n->len);
    cmd_propagate_as_is(ctx);
}

void cmd_getrange(struct cmd_ctx *ctx)
{
    long long start, end, len;
    struct obj *o;

    if (util_parse_ll(ctx->argv[2].p, ctx->argv[2].len, &start) < 0 ||
        util_parse_ll(ctx->argv[3].p, ctx->argv[3].len, &end) < 0) {
        cmd_error_not_integer(ctx);
        return;
    }
    o = lookup_read(ctx, ctx->argv[1]);
    if (o && o->type != OBJ_STRING) {
        cmd_error_wrongtype(ctx);
        return;
    }
    len = o ? (long long)o->len : 0;
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end >= len)
        end = len - 1;
    if (!o || len == 0 || end < 0 || start > end) {
        resp_bulk(ctx->out, "", 0);
        return;
    }
    resp_bulk(ctx->out, o->data + start, (size_t)(end - start + 1));
}

/* SUBSTR: the deprecated name of GETRANGE. */
void cmd_substr(struct cmd_ctx *ctx)
{
    cmd_getrange(ctx);
}
