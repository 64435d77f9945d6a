/*
 * cmd_stream.c - stream commands: XADD, XTRIM, XLEN, XRANGE, XREVRANGE,
 * XDEL, XDELEX, XSETID, XCFGSET, XIDMPRECORD, and the shared helpers of
 * cmd_stream_int.h.
 *
 * Each handler parses its arguments, calls stream / stream_cg /
 * stream_idmp, writes the reply, and propagates the deterministic form
 * of what it did: XADD with the concrete ID and exact trimming, XTRIM
 * with exact trimming.  Error texts are Redis 8.8's.
 */
#include <string.h>

#include "client.h"
#include "cmd_stream_int.h"
#include "core.h"
#include "lib/mem.h"
#include "stream_idmp.h"

/* ---- shared helpers ---------------------------------------------------- */

struct stream *xs_lookup(struct cmd_ctx *ctx, struct slice key, int *wrongtype)
{
    struct obj *o = db_lookup(ctx->db, key);
    *wrongtype = 0;
    if (!o)
        return NULL;
    if (o->type != OBJ_STREAM) {
        *wrongtype = 1;
        cmd_error_wrongtype(ctx);
        return NULL;
    }
    return o->u.stream;
}

/* The stream's IDMP state, made with the server defaults when it has
 * none (stream.h allows NULL: a stream that did not come from xs_create). */
static struct idmp_state *xs_idmp(struct cmd_ctx *ctx, struct stream *s)
{
    if (!s->idmp)
        s->idmp = idmp_new(ctx->core->cfg.stream_idmp_duration, ctx->core->cfg.stream_idmp_maxsize);
    return s->idmp;
}

struct stream *xs_create(struct cmd_ctx *ctx, struct slice key)
{
    struct obj *o = obj_new_stream();
    xs_idmp(ctx, o->u.stream);
    db_add(ctx->db, key, o);
    return o->u.stream;
}

int xs_parse_id(struct cmd_ctx *ctx, struct slice a, uint64_t missing_seq, struct stream_id *id)
{
    if (stream_id_parse(a.p, a.len, missing_seq, id) < 0) {
        cmd_error(ctx, ERR_INVALID_ID);
        return -1;
    }
    return 0;
}

int xs_parse_range_id(struct cmd_ctx *ctx, struct slice a, uint64_t missing_seq,
                      struct stream_id *id, int *exclusive)
{
    *exclusive = 0;
    if (a.len > 1 && a.p[0] == '(') {
        *exclusive = 1;
        return xs_parse_id(ctx, (struct slice){a.p + 1, a.len - 1}, missing_seq, id);
    }
    if (a.len == 1 && a.p[0] == '-') {
        *id = (struct stream_id){0, 0};
        return 0;
    }
    if (a.len == 1 && a.p[0] == '+') {
        *id = (struct stream_id){UINT64_MAX, UINT64_MAX};
        return 0;
    }
    return xs_parse_id(ctx, a, missing_seq, id);
}

void xs_reply_id(struct resp_out *o, struct stream_id id)
{
    char buf[48];
    size_t n = stream_id_format(buf, id);
    resp_bulk(o, buf, n);
}

void xs_reply_entry(struct resp_out *o, struct stream_id id, const struct slice *fv, size_t npairs)
{
    resp_array(o, 2);
    xs_reply_id(o, id);
    resp_array(o, (long long)npairs * 2);
    for (size_t i = 0; i < npairs * 2; i++)
        resp_bulk(o, fv[i].p, fv[i].len);
}

size_t xs_reply_range(struct resp_out *o, struct stream *s, struct stream_id start,
                      struct stream_id end, long long count, int rev)
{
    size_t h = resp_defer_array(o);
    size_t n = 0;
    if (s && stream_id_cmp(start, end) <= 0) {
        struct stream_iter it;
        stream_iter_init(&it, s, start, end, rev);
        struct stream_id id;
        const struct slice *fv;
        size_t np;
        while ((count <= 0 || (long long)n < count) && stream_iter_next(&it, &id, &fv, &np)) {
            xs_reply_entry(o, id, fv, np);
            n++;
        }
        stream_iter_done(&it);
    }
    resp_set_deferred_array(o, h, (long long)n);
    return n;
}

int xs_parse_policy(struct slice a)
{
    if (util_eq_nocase(a, "KEEPREF"))
        return REF_KEEPREF;
    if (util_eq_nocase(a, "DELREF"))
        return REF_DELREF;
    if (util_eq_nocase(a, "ACKED"))
        return REF_ACKED;
    return -1;
}

int xs_delete_with_policy(struct stream *s, struct stream_id id, int policy)
{
    if (!stream_has(s, id)) {
        if (policy == REF_DELREF)
            cg_remove_refs(s, id); /* dangling references go too */
        return -1;
    }
    if (policy == REF_ACKED && cg_entry_referenced(s, id))
        return 2;
    stream_delete(s, id);
    if (policy == REF_DELREF)
        cg_remove_refs(s, id);
    return 1;
}

int xs_parse_ids_block(struct cmd_ctx *ctx, int *i, int *first, long long *n)
{
    if (*i + 1 >= ctx->argc) {
        cmd_error_syntax(ctx);
        return -1;
    }
    if (util_parse_ll(ctx->argv[*i + 1].p, ctx->argv[*i + 1].len, n) < 0 || *n <= 0) {
        cmd_error(ctx, "ERR Number of IDs must be a positive integer");
        return -1;
    }
    if (*n > ctx->argc - *i - 2) {
        cmd_error(ctx, "ERR The `numids` parameter must match the number of arguments");
        return -1;
    }
    *first = *i + 2;
    *i = *first + (int)*n;
    return 0;
}

int xs_parse_timeout(struct cmd_ctx *ctx, struct slice a, long long *out)
{
    if (util_parse_ll(a.p, a.len, out) < 0) {
        cmd_error(ctx, "ERR timeout is not an integer or out of range");
        return -1;
    }
    if (*out < 0) {
        cmd_error(ctx, "ERR timeout is negative");
        return -1;
    }
    if (*out > 0 && *out > INT64_MAX - ctx->now_ms) { /* the deadline would overflow */
        cmd_error(ctx, "ERR timeout is out of range");
        return -1;
    }
    return 0;
}

struct stream_limits xs_limits(struct cmd_ctx *ctx)
{
    struct stream_limits l = {(size_t)ctx->core->cfg.stream_node_max_bytes,
                              ctx->core->cfg.stream_node_max_entries};
    return l;
}

/* ---- XADD / XTRIM argument parsing -------------------------------------- */

enum { IDMP_NONE, IDMP_EXPLICIT, IDMP_AUTO };

struct add_args {
    int xadd;
    int nomkstream;
    int policy; /* REF_*, -1 when not given */
    struct stream_trim trim;
    int limit_given;
    int threshold_idx; /* argv index of the threshold, -1 */
    int approx_idx;    /* argv index of "~", -1 */
    int idmp;          /* IDMP_* */
    struct slice pid, iid;
    enum stream_id_mode mode;
    struct stream_id id;
    int id_idx; /* argv index of the ID ("*" included) */
};

static int parse_threshold(struct cmd_ctx *ctx, struct add_args *a, int *i, int minid)
{
    if (a->trim.strategy != STREAM_TRIM_NONE) {
        cmd_error(ctx, "ERR syntax error, MAXLEN and MINID options at the same time are not "
                       "compatible");
        return -1;
    }
    int more = ctx->argc - 1 - *i;
    struct slice next = ctx->argv[*i + 1];
    if (more >= 2 && next.len == 1 && (next.p[0] == '~' || next.p[0] == '=')) {
        a->trim.approx = next.p[0] == '~';
        if (a->trim.approx)
            a->approx_idx = *i + 1;
        (*i)++;
    }
    (*i)++;
    struct slice t = ctx->argv[*i];
    a->threshold_idx = *i;
    if (minid) {
        a->trim.strategy = STREAM_TRIM_MINID;
        return xs_parse_id(ctx, t, 0, &a->trim.minid);
    }
    long long v;
    if (util_parse_ll(t.p, t.len, &v) < 0) {
        cmd_error_not_integer(ctx);
        return -1;
    }
    if (v < 0) {
        cmd_error(ctx, "ERR The MAXLEN argument must be >= 0.");
        return -1;
    }
    a->trim.strategy = STREAM_TRIM_MAXLEN;
    a->trim.maxlen = (uint64_t)v;
    return 0;
}

static int parse_idmp(struct cmd_ctx *ctx, struct add_args *a, int *i, int is_auto)
{
    if (a->idmp != IDMP_NONE) {
        cmd_error(ctx, "ERR syntax error, IDMP/IDMPAUTO specified multiple times");
        return -1;
    }
    a->pid = ctx->argv[*i + 1];
    if (a->pid.len == 0) {
        cmd_error(ctx, is_auto ? "ERR syntax error, IDMPAUTO requires a non-empty producer ID"
                               : "ERR syntax error, IDMP requires a non-empty producer ID");
        return -1;
    }
    if (!is_auto) {
        a->iid = ctx->argv[*i + 2];
        if (a->iid.len == 0) {
            cmd_error(ctx, "ERR syntax error, IDMP requires a non-empty idempotent ID");
            return -1;
        }
    }
    a->idmp = is_auto ? IDMP_AUTO : IDMP_EXPLICIT;
    *i += is_auto ? 1 : 2;
    return 0;
}

/* XADD's ID argument: "*", "ms-*" or "ms[-seq]". */
static int parse_add_id(struct cmd_ctx *ctx, struct add_args *a, int i)
{
    struct slice s = ctx->argv[i];
    a->id_idx = i;
    if (s.len == 1 && s.p[0] == '*') {
        a->mode = STREAM_ID_AUTO;
        return 0;
    }
    /* A NUL byte ends the ID early (Redis reads it as a C string), so
     * "1\0-*" is the explicit ID 1. */
    if (s.len >= 3 && s.p[s.len - 1] == '*' && s.p[s.len - 2] == '-' && !memchr(s.p, '\0', s.len)) {
        if (xs_parse_id(ctx, (struct slice){s.p, s.len - 2}, 0, &a->id) < 0)
            return -1;
        if (memchr(s.p, '-', s.len - 2)) { /* "1-2-*" */
            cmd_error(ctx, ERR_INVALID_ID);
            return -1;
        }
        a->mode = STREAM_ID_MS_AUTO;
    } else {
        if (xs_parse_id(ctx, s, 0, &a->id) < 0)
            return -1;
        a->mode = STREAM_ID_EXPLICIT;
    }
    if (a->idmp != IDMP_NONE && !ctx->loading) {
        cmd_error(ctx, "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs");
        return -1;
    }
    return 0;
}

/* One option at argv[*i]; returns 1 when XADD's ID was reached (stop),
 * 0 to continue, -1 after replying an error. */
static int parse_option(struct cmd_ctx *ctx, struct add_args *a, int *i)
{
    struct slice o = ctx->argv[*i];
    int more = ctx->argc - 1 - *i;
    if (a->xadd && o.len == 1 && o.p[0] == '*') {
        a->id_idx = *i;
        a->mode = STREAM_ID_AUTO;
        return 1;
    }
    if (util_eq_nocase(o, "MAXLEN") && more >= 1)
        return parse_threshold(ctx, a, i, 0);
    if (util_eq_nocase(o, "MINID") && more >= 1)
        return parse_threshold(ctx, a, i, 1);
    if (util_eq_nocase(o, "LIMIT") && more >= 1) {
        long long v;
        (*i)++;
        if (util_parse_ll(ctx->argv[*i].p, ctx->argv[*i].len, &v) < 0) {
            cmd_error_not_integer(ctx);
            return -1;
        }
        if (v < 0) {
            cmd_error(ctx, "ERR The LIMIT argument must be >= 0.");
            return -1;
        }
        a->trim.limit = v;
        a->limit_given = 1;
        return 0;
    }
    if (a->xadd && util_eq_nocase(o, "NOMKSTREAM")) {
        a->nomkstream = 1;
        return 0;
    }
    if (a->policy < 0 && xs_parse_policy(o) >= 0) {
        a->policy = xs_parse_policy(o);
        return 0;
    }
    if (a->xadd && util_eq_nocase(o, "IDMPAUTO") && more >= 1)
        return parse_idmp(ctx, a, i, 1);
    if (a->xadd && util_eq_nocase(o, "IDMP") && more >= 2)
        return parse_idmp(ctx, a, i, 0);
    if (a->xadd)
        return parse_add_id(ctx, a, *i) < 0 ? -1 : 1;
    cmd_error_syntax(ctx);
    return -1;
}

static int parse_add_trim(struct cmd_ctx *ctx, struct add_args *a, int xadd)
{
    memset(a, 0, sizeof(*a));
    a->xadd = xadd;
    a->policy = -1;
    a->threshold_idx = a->approx_idx = a->id_idx = -1;
    int i;
    for (i = 2; i < ctx->argc; i++) {
        int r = parse_option(ctx, a, &i);
        if (r < 0)
            return -1;
        if (r == 1)
            break;
    }
    if (a->limit_given) {
        if (a->trim.strategy == STREAM_TRIM_NONE) {
            cmd_error(ctx, "ERR syntax error, LIMIT cannot be used without specifying a trimming "
                           "strategy");
            return -1;
        }
        if (!a->trim.approx && !ctx->loading) {
            cmd_error(ctx, "ERR syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    }
    if (ctx->loading) {
        a->trim.limit = 0;
    } else if (a->trim.approx && !a->limit_given) {
        long long l = 100LL * ctx->core->cfg.stream_node_max_entries;
        if (l <= 0)
            l = 10000;
        a->trim.limit = l > 1000000 ? 1000000 : l;
    }
    if (a->policy < 0)
        a->policy = REF_KEEPREF;
    return 0;
}

/* ---- trimming with reference policies ------------------------------------ */

static int trim_can_delete(void *priv, struct stream_id id)
{
    struct stream *s = priv;
    return !cg_entry_referenced(s, id);
}

static int trim_always(void *priv, struct stream_id id)
{
    (void)priv, (void)id;
    return 1;
}

static void trim_delref(void *priv, struct stream_id id)
{
    cg_remove_refs(priv, id);
}

static uint64_t trim_with_policy(struct stream *s, struct stream_trim *t, int policy)
{
    t->priv = s;
    t->can_delete = NULL;
    t->on_delete = NULL;
    if (policy == REF_ACKED) {
        t->can_delete = trim_can_delete;
    } else if (policy == REF_DELREF) {
        t->can_delete = trim_always;
        t->on_delete = trim_delref;
    }
    return stream_trim(s, t);
}

/* Propagated form of an approximate trim: "~" becomes "=" and the
 * threshold the exact outcome (MAXLEN: the length; MINID: the first ID). */
static void exact_trim_args(struct stream *s, const struct add_args *a, struct slice *argv,
                            char *numbuf)
{
    if (!a->trim.approx)
        return;
    argv[a->approx_idx] = SLICE_LIT("=");
    size_t n;
    if (a->trim.strategy == STREAM_TRIM_MAXLEN) {
        n = util_ull2str(numbuf, s->length);
    } else {
        struct stream_id first = s->length ? s->first_id : s->last_id;
        if (!s->length && stream_id_incr(&first) < 0)
            first = s->last_id;
        n = stream_id_format(numbuf, first);
    }
    argv[a->threshold_idx] = (struct slice){numbuf, n};
}

static void propagate_rewritten(struct cmd_ctx *ctx, struct stream *s, const struct add_args *a,
                                const struct stream_id *new_id)
{
    struct slice *argv = mem_alloc(sizeof(*argv) * (size_t)ctx->argc);
    memcpy(argv, ctx->argv, sizeof(*argv) * (size_t)ctx->argc);
    char idbuf[48], numbuf[48];
    if (new_id)
        argv[a->id_idx] = (struct slice){idbuf, stream_id_format(idbuf, *new_id)};
    exact_trim_args(s, a, argv, numbuf);
    cmd_propagate_argv(ctx, ctx->argc, argv);
    mem_free(argv);
}

/* ---- XADD ---------------------------------------------------------------- */

static const char *append_error(enum stream_status st)
{
    switch (st) {
    case STREAM_E_ID_ZERO:
        return "ERR The ID specified in XADD must be greater than 0-0";
    case STREAM_E_EXHAUSTED:
        return "ERR The stream has exhausted the last possible ID, unable to add more items";
    case STREAM_E_TOO_LARGE:
        return "ERR Elements are too large to be stored";
    default:
        return "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    }
}

static int xadd_prepare(struct cmd_ctx *ctx, struct add_args *a)
{
    if (parse_add_trim(ctx, a, 1) < 0)
        return -1;
    int nf = a->id_idx < 0 ? 0 : ctx->argc - a->id_idx - 1;
    if (a->id_idx < 0 || nf < 2 || nf % 2) {
        cmd_error_arity(ctx);
        return -1;
    }
    if (a->mode == STREAM_ID_EXPLICIT && a->id.ms == 0 && a->id.seq == 0) {
        cmd_error(ctx, "ERR The ID specified in XADD must be greater than 0-0");
        return -1;
    }
    return 0;
}

/* Duplicate (pid, iid): reply the recorded ID; nothing added, trimmed or
 * woken.  The command is propagated as received so that replicas and the
 * AOF count the duplicate too (Redis 8.6.2+). */
static int xadd_duplicate(struct cmd_ctx *ctx, struct stream *s, const struct add_args *a)
{
    struct stream_id id;
    if (!s->idmp || !idmp_lookup(s->idmp, a->pid, a->iid, &id))
        return 0;
    idmp_count_duplicate(s->idmp);
    xs_reply_id(ctx->out, id);
    cmd_propagate_as_is(ctx);
    return 1;
}

void cmd_xadd(struct cmd_ctx *ctx)
{
    struct add_args a;
    if (xadd_prepare(ctx, &a) < 0)
        return;
    struct slice key = ctx->argv[1];
    int wrongtype;
    struct stream *s = xs_lookup(ctx, key, &wrongtype);
    if (wrongtype)
        return;
    if (!s && a.nomkstream) {
        resp_null(ctx->out);
        return;
    }
    unsigned char autoiid[16];
    const struct slice *fv = ctx->argv + a.id_idx + 1;
    size_t npairs = (size_t)(ctx->argc - a.id_idx - 1) / 2;
    if (a.idmp == IDMP_AUTO) {
        idmp_auto_iid(fv, npairs, autoiid);
        a.iid = (struct slice){(const char *)autoiid, 16};
    }
    if (s && a.idmp != IDMP_NONE && xadd_duplicate(ctx, s, &a))
        return;
    enum stream_status st = s ? stream_check_append(s, a.mode, a.id) : STREAM_OK;
    if (st != STREAM_OK) {
        cmd_error(ctx, append_error(st));
        return;
    }
    if (!s)
        s = xs_create(ctx, key);
    struct stream_limits lim = xs_limits(ctx);
    struct stream_id id;
    st = stream_append(s, &lim, a.mode, a.id, ctx->now_ms, fv, npairs, &id);
    if (st != STREAM_OK) {
        cmd_error(ctx, append_error(st));
        return;
    }
    if (a.idmp != IDMP_NONE)
        idmp_record(xs_idmp(ctx, s), a.pid, a.iid, id);
    xs_reply_id(ctx->out, id);
    db_signal_modified(ctx->db, key);
    if (a.trim.strategy != STREAM_TRIM_NONE)
        trim_with_policy(s, &a.trim, a.policy);
    propagate_rewritten(ctx, s, &a, &id);
}

/* ---- XTRIM --------------------------------------------------------------- */

void cmd_xtrim(struct cmd_ctx *ctx)
{
    struct add_args a;
    if (parse_add_trim(ctx, &a, 0) < 0)
        return;
    if (a.trim.strategy == STREAM_TRIM_NONE) {
        cmd_error(ctx, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return;
    }
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (wrongtype)
        return;
    uint64_t removed = s ? trim_with_policy(s, &a.trim, a.policy) : 0;
    resp_int(ctx->out, (long long)removed);
    if (removed) {
        db_signal_modified(ctx->db, ctx->argv[1]);
        propagate_rewritten(ctx, s, &a, NULL);
        ctx->core->stats.dirty += removed - 1; /* Redis: one change per entry */
    }
}

/* ---- XLEN / XRANGE / XREVRANGE -------------------------------------------- */

void cmd_xlen(struct cmd_ctx *ctx)
{
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (!wrongtype)
        resp_int(ctx->out, s ? (long long)s->length : 0);
}

static void range_command(struct cmd_ctx *ctx, int rev)
{
    struct slice a_start = ctx->argv[rev ? 3 : 2], a_end = ctx->argv[rev ? 2 : 3];
    struct stream_id start, end;
    int sx, ex;
    if (xs_parse_range_id(ctx, a_start, 0, &start, &sx) < 0 ||
        xs_parse_range_id(ctx, a_end, UINT64_MAX, &end, &ex) < 0)
        return;
    if (sx && stream_id_incr(&start) < 0) {
        cmd_error(ctx, "ERR invalid start ID for the interval");
        return;
    }
    if (ex && stream_id_decr(&end) < 0) {
        cmd_error(ctx, "ERR invalid end ID for the interval");
        return;
    }
    long long count = -1;
    for (int i = 4; i < ctx->argc; i++) {
        if (util_eq_nocase(ctx->argv[i], "COUNT") && i + 1 < ctx->argc) {
            if (util_parse_ll(ctx->argv[i + 1].p, ctx->argv[i + 1].len, &count) < 0) {
                cmd_error_not_integer(ctx);
                return;
            }
            if (count < 0)
                count = 0;
            i++;
        } else {
            cmd_error_syntax(ctx);
            return;
        }
    }
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (wrongtype)
        return;
    if (count == 0 && s) { /* Redis: COUNT 0 on an existing stream is a null array */
        resp_null_array(ctx->out);
        return;
    }
    xs_reply_range(ctx->out, s, start, end, count < 0 ? 0 : count, rev);
}

void cmd_xrange(struct cmd_ctx *ctx)
{
    range_command(ctx, 0);
}

void cmd_xrevrange(struct cmd_ctx *ctx)
{
    range_command(ctx, 1);
}

/* ---- XDEL / XDELEX ---------------------------------------------------------- */

/* Parse every ID first (all or nothing), as Redis does. */
static struct stream_id *parse_id_list(struct cmd_ctx *ctx, int first, int n)
{
    struct stream_id *ids = mem_alloc(sizeof(*ids) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        if (xs_parse_id(ctx, ctx->argv[first + i], 0, &ids[i]) < 0) {
            mem_free(ids);
            return NULL;
        }
    }
    return ids;
}

void cmd_xdel(struct cmd_ctx *ctx)
{
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (!s) {
        if (!wrongtype)
            resp_int(ctx->out, 0);
        return;
    }
    int n = ctx->argc - 2;
    struct stream_id *ids = parse_id_list(ctx, 2, n);
    if (!ids)
        return;
    long long deleted = 0;
    for (int i = 0; i < n; i++)
        deleted += stream_delete(s, ids[i]);
    mem_free(ids);
    resp_int(ctx->out, deleted);
    if (deleted) {
        db_signal_modified(ctx->db, ctx->argv[1]);
        cmd_propagate_as_is(ctx);
        ctx->core->stats.dirty += (uint64_t)deleted - 1; /* Redis: one change per entry */
    }
}

void cmd_xdelex(struct cmd_ctx *ctx)
{
    int policy = -1, first = 0;
    long long n = 0;
    for (int i = 2; i < ctx->argc;) {
        if (util_eq_nocase(ctx->argv[i], "IDS") && !first) {
            if (xs_parse_ids_block(ctx, &i, &first, &n) < 0)
                return;
        } else if (policy < 0 && xs_parse_policy(ctx->argv[i]) >= 0) {
            policy = xs_parse_policy(ctx->argv[i++]);
        } else {
            cmd_error_syntax(ctx);
            return;
        }
    }
    if (!first) {
        cmd_error(ctx, "ERR IDS option is required");
        return;
    }
    struct stream_id *ids = parse_id_list(ctx, first, (int)n);
    if (!ids)
        return;
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (!wrongtype) {
        long long deleted = 0;
        resp_array(ctx->out, n);
        for (long long i = 0; i < n; i++) {
            int r = s ? xs_delete_with_policy(s, ids[i], policy < 0 ? REF_KEEPREF : policy) : -1;
            deleted += r == 1;
            resp_int(ctx->out, r);
        }
        if (deleted) {
            db_signal_modified(ctx->db, ctx->argv[1]);
            cmd_propagate_as_is(ctx);
            ctx->core->stats.dirty += (uint64_t)deleted - 1; /* one change per entry */
        }
    }
    mem_free(ids);
}

/* ---- XSETID ---------------------------------------------------------------- */

static int last_entry_id(struct stream *s, struct stream_id *out)
{
    struct stream_iter it;
    const struct slice *fv;
    size_t np;
    stream_iter_init(&it, s, (struct stream_id){0, 0}, (struct stream_id){UINT64_MAX, UINT64_MAX},
                     1);
    int found = stream_iter_next(&it, out, &fv, &np);
    stream_iter_done(&it);
    return found;
}

static int xsetid_options(struct cmd_ctx *ctx, struct stream_id id, long long *added,
                          struct stream_id *maxdel, int *maxdel_given)
{
    for (int i = 3; i < ctx->argc; i++) {
        int more = ctx->argc - 1 - i;
        if (util_eq_nocase(ctx->argv[i], "ENTRIESADDED") && more >= 1) {
            i++;
            if (util_parse_ll(ctx->argv[i].p, ctx->argv[i].len, added) < 0) {
                cmd_error_not_integer(ctx);
                return -1;
            }
            if (*added < 0) {
                cmd_error(ctx, "ERR entries_added must be positive");
                return -1;
            }
        } else if (util_eq_nocase(ctx->argv[i], "MAXDELETEDID") && more >= 1) {
            i++;
            if (xs_parse_id(ctx, ctx->argv[i], 0, maxdel) < 0)
                return -1;
            if (stream_id_cmp(id, *maxdel) < 0) {
                cmd_error(ctx, "ERR The ID specified in XSETID is smaller than the provided "
                               "max_deleted_entry_id");
                return -1;
            }
            *maxdel_given = 1;
        } else {
            cmd_error_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

void cmd_xsetid(struct cmd_ctx *ctx)
{
    struct stream_id id, maxdel = {0, 0};
    long long added = -1;
    int maxdel_given = 0, wrongtype;
    if (xs_parse_id(ctx, ctx->argv[2], 0, &id) < 0 ||
        xsetid_options(ctx, id, &added, &maxdel, &maxdel_given) < 0)
        return;
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (!s) {
        if (!wrongtype)
            cmd_error(ctx, "ERR no such key");
        return;
    }
    struct stream_id top;
    if (s->length > 0 && last_entry_id(s, &top) && stream_id_cmp(id, top) < 0) {
        cmd_error(ctx, "ERR The ID specified in XSETID is smaller than the target stream top item");
        return;
    }
    if (added >= 0 && (uint64_t)added < s->length) {
        cmd_error(ctx, "ERR The entries_added specified in XSETID is smaller than the target "
                       "stream length");
        return;
    }
    s->last_id = id;
    if (added >= 0)
        s->entries_added = (uint64_t)added;
    if (maxdel_given)
        s->max_deleted_id = maxdel;
    resp_ok(ctx->out);
    db_signal_modified(ctx->db, ctx->argv[1]);
    cmd_propagate_as_is(ctx);
}

/* ---- XCFGSET ----------------------------------------------------------------- */

static int xcfg_value(struct cmd_ctx *ctx, struct slice v, long lo, long hi, const char *what,
                      long *out)
{
    long long x;
    if (util_parse_ll(v.p, v.len, &x) < 0) {
        cmd_error_not_integer(ctx);
        return -1;
    }
    if (x < lo || x > hi) {
        cmd_errorf(ctx, "ERR %s must be between %ld and %ld %s", what, lo, hi,
                   lo == IDMP_DURATION_MIN && hi == IDMP_DURATION_MAX ? "seconds" : "entries");
        return -1;
    }
    *out = (long)x;
    return 0;
}

void cmd_xcfgset(struct cmd_ctx *ctx)
{
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (!s) {
        if (!wrongtype)
            cmd_error(ctx, "ERR no such key");
        return;
    }
    long duration = -1, maxsize = -1;
    for (int i = 2; i < ctx->argc; i += 2) {
        struct slice t = ctx->argv[i];
        int is_dur = util_eq_nocase(t, "IDMP-DURATION"), is_max = util_eq_nocase(t, "IDMP-MAXSIZE");
        if ((!is_dur && !is_max) || i + 1 >= ctx->argc) {
            cmd_error_syntax(ctx);
            return;
        }
        if ((is_dur && duration >= 0) || (is_max && maxsize >= 0)) {
            cmd_errorf(ctx, "ERR %s specified multiple times",
                       is_dur ? "IDMP-DURATION" : "IDMP-MAXSIZE");
            return;
        }
        int r = is_dur ? xcfg_value(ctx, ctx->argv[i + 1], IDMP_DURATION_MIN, IDMP_DURATION_MAX,
                                    "IDMP-DURATION", &duration)
                       : xcfg_value(ctx, ctx->argv[i + 1], IDMP_MAXSIZE_MIN, IDMP_MAXSIZE_MAX,
                                    "IDMP-MAXSIZE", &maxsize);
        if (r < 0)
            return;
    }
    if (duration < 0 && maxsize < 0) {
        cmd_error(ctx, "ERR At least one parameter must be specified");
        return;
    }
    if (idmp_configure(xs_idmp(ctx, s), duration, maxsize))
        cmd_propagate_as_is(ctx); /* no WATCH signal: Redis 8.8 only touches the LRU */
    resp_ok(ctx->out);
}

/* ---- XIDMPRECORD ----------------------------------------------------------------- */

/* XIDMPRECORD, and XIDMPKEEP (any_id): Weir's rewrite form for a mapping
 * whose entry was deleted or trimmed, so that a rewrite keeps the whole
 * IDMP map (Redis's command-form rewrite drops those mappings; its RDB
 * form keeps them). */
static void idmp_record_command(struct cmd_ctx *ctx, int any_id)
{
    struct slice pid = ctx->argv[2], iid = ctx->argv[3];
    struct stream_id id, have;
    int wrongtype;
    if (xs_parse_id(ctx, ctx->argv[4], 0, &id) < 0)
        return;
    if (pid.len == 0) {
        cmd_error(ctx, "ERR producer ID must be non-empty");
        return;
    }
    if (iid.len == 0) {
        cmd_error(ctx, "ERR idempotent ID must be non-empty");
        return;
    }
    struct stream *s = xs_lookup(ctx, ctx->argv[1], &wrongtype);
    if (!s) {
        if (!wrongtype)
            cmd_error(ctx, "ERR no such key");
        return;
    }
    if (!any_id && !stream_has(s, id)) {
        cmd_error(ctx, "ERR No such message in stream");
        return;
    }
    if (any_id && stream_id_cmp(id, s->last_id) > 0) {
        cmd_error(ctx, "ERR The ID is greater than the stream's last generated ID");
        return;
    }
    if (idmp_lookup(xs_idmp(ctx, s), pid, iid, &have)) {
        if (stream_id_cmp(have, id) != 0)
            cmd_error(ctx, "ERR IID already exists for this producer with a different stream ID");
        else
            resp_ok(ctx->out);
        return;
    }
    idmp_record(s->idmp, pid, iid, id);
    resp_ok(ctx->out);
    cmd_propagate_as_is(ctx);
}

void cmd_xidmprecord(struct cmd_ctx *ctx)
{
    idmp_record_command(ctx, 0);
}

void cmd_xidmpkeep(struct cmd_ctx *ctx)
{
    idmp_record_command(ctx, 1);
}
