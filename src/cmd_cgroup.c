/*
 * cmd_cgroup.c - consumer-group commands: XGROUP (CREATE, SETID, DESTROY,
 * CREATECONSUMER, DELCONSUMER, HELP), XREADGROUP, XACK, XACKDEL,
 * XPENDING, XCLAIM, XAUTOCLAIM, XNACK, XINFO GROUPS / CONSUMERS and the
 * group part of XINFO STREAM FULL.
 *
 * Replies and error texts are Redis 8.8's.  State lives in stream_cg.c;
 * this file parses, calls it, replies and propagates.
 *
 * Propagation (deterministic replay forms; a replay reproduces PELs,
 * owners, delivery counts and times, last-delivered-id and entries-read):
 *   - an entry delivered or claimed (XREADGROUP ">" / CLAIM / history,
 *     XCLAIM, XAUTOCLAIM), as Redis writes it:
 *       XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID
 *              LASTID last-delivered-id
 *     (Redis does not propagate history re-deliveries; Weir does, so that
 *     delivery counts and times replay exactly);
 *   - last-delivered-id moved by XREADGROUP / XCLAIM LASTID:
 *       XGROUP SETID key group id ENTRIESREAD n
 *   - a consumer created implicitly: XGROUP CREATECONSUMER key group name
 *   - a PEL entry dropped because its stream entry is gone: XACK key group
 *     id (Redis sends an XCLAIM that the replica resolves the same way;
 *     XACK does not depend on the replica's stream contents);
 *   - XNACK: one XNACK key group FAIL IDS 1 id RETRYCOUNT n FORCE per entry;
 *   - "$" of XGROUP CREATE / SETID is replaced by the concrete ID.
 *   Other writes propagate as received.  With no propagation sink (no
 *   AOF, no replica) the forms are not built, see prop_skipped().
 *
 * Blocking XREADGROUP keeps ">" in the stored command: a re-run serves
 * what arrived after the group's last-delivered-id, and a re-run after
 * the group or the key went away replies NOGROUP (block.h).
 */
#include <string.h>

#include "block.h"
#include "client.h"
#include "cmd_stream_int.h"
#include "core.h"
#include "lib/mem.h"

#define MAX_ID ((struct stream_id){UINT64_MAX, UINT64_MAX})
#define ZERO_ID ((struct stream_id){0, 0})

/* ---- small helpers ------------------------------------------------------------ */

static struct slice group_name(const struct cg_group *g)
{
    return (struct slice){g->name, g->name_len};
}

static struct slice consumer_name(const struct cg_consumer *c)
{
    return (struct slice){c->name, c->name_len};
}

static int is_token(struct slice a, char c)
{
    return a.len == 1 && a.p[0] == c;
}

/* Look up key as a stream and its group; -1 after a WRONGTYPE reply,
 * else 0 with *s and *g possibly NULL. */
static int find_group(struct cmd_ctx *ctx, struct slice key, struct slice group, struct stream **s,
                      struct cg_group **g)
{
    int wrongtype;
    *s = xs_lookup(ctx, key, &wrongtype);
    if (wrongtype)
        return -1;
    *g = *s ? cg_group_find(*s, group) : NULL;
    return 0;
}

/* "-NOGROUP No such key 'k' or consumer group 'g'" */
static void reply_nogroup(struct cmd_ctx *ctx, struct slice key, struct slice group)
{
    cmd_errorf(ctx, "NOGROUP No such key '%.*s' or consumer group '%.*s'", (int)key.len, key.p,
               (int)group.len, group.p);
}

/* The group named by argv[2] of the stream at argv[1], or NULL after
 * replying WRONGTYPE or NOGROUP. */
static struct cg_group *group_or_reply(struct cmd_ctx *ctx, struct stream **s)
{
    struct cg_group *g;
    if (find_group(ctx, ctx->argv[1], ctx->argv[2], s, &g) < 0)
        return NULL;
    if (!g)
        reply_nogroup(ctx, ctx->argv[1], ctx->argv[2]);
    return g;
}

/* "-NOGROUP No such consumer group 'g' for key name 'k'" */
static void reply_nogroup_for_key(struct cmd_ctx *ctx, struct slice key, struct slice group)
{
    cmd_errorf(ctx, "NOGROUP No such consumer group '%.*s' for key name '%.*s'", (int)group.len,
               group.p, (int)key.len, key.p);
}

/* Idle time as XPENDING and XREADGROUP CLAIM show it: -1 for an unowned
 * (NACKed) entry, never negative otherwise. */
static long long nack_idle(const struct cg_nack *n, int64_t now)
{
    if (!n->consumer)
        return -1;
    return now > n->delivery_time ? now - n->delivery_time : 0;
}

/* [id, [f, v, ...]], or with extra (XREADGROUP CLAIM) the 4-element
 * form [id, [f, v, ...], idle, delivery-count]. */
static void reply_entry(struct resp_out *o, struct stream_id id, const struct slice *fv, size_t np,
                        const long long *extra)
{
    if (!extra) {
        xs_reply_entry(o, id, fv, np);
        return;
    }
    resp_array(o, 4);
    xs_reply_id(o, id);
    resp_array(o, (long long)np * 2);
    for (size_t i = 0; i < np * 2; i++)
        resp_bulk(o, fv[i].p, fv[i].len);
    resp_bulk_ll(o, extra[0]);
    resp_bulk_ll(o, extra[1]);
}

/* Reply the entry id of s (see reply_entry); returns 0 without replying
 * if it is gone. */
static int reply_entry_by_id(struct resp_out *o, struct stream *s, struct stream_id id,
                             const long long *extra)
{
    struct stream_iter it;
    struct stream_id got;
    const struct slice *fv;
    size_t np;
    stream_iter_init(&it, s, id, id, 0);
    int found = stream_iter_next(&it, &got, &fv, &np);
    if (found)
        reply_entry(o, got, fv, np, extra);
    stream_iter_done(&it);
    return found;
}

/* Parse a strict ID list argv[first .. first+n-1] (all or nothing). */
static struct stream_id *parse_ids(struct cmd_ctx *ctx, int first, int n)
{
    struct stream_id *ids = mem_alloc(sizeof(*ids) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        if (xs_parse_id(ctx, ctx->argv[first + i], 0, &ids[i]) < 0) {
            mem_free(ids);
            return NULL;
        }
    }
    return ids;
}

/* ---- propagation forms ------------------------------------------------------------ */

/* Building a replay form costs more than the change it describes (XCLAIM
 * formats four numbers per delivered entry); when nothing receives
 * propagated commands (no AOF, no replica) only the dirty counter moves,
 * exactly what cmd_propagate_argv would do. */
static int prop_skipped(struct cmd_ctx *ctx)
{
    struct core *core = ctx->core;
    if (core->prop.feed && !core->loading)
        return 0;
    core->stats.dirty++;
    return 1;
}

static void prop_xclaim(struct cmd_ctx *ctx, struct slice key, const struct cg_group *g,
                        const struct cg_nack *n)
{
    if (prop_skipped(ctx))
        return;
    char idb[48], tb[24], cb[24], lb[48];
    struct slice argv[14] = {SLICE_LIT("XCLAIM"),     key,
                             group_name(g),           consumer_name(n->consumer),
                             SLICE_LIT("0"),          {idb, stream_id_format(idb, n->id)},
                             SLICE_LIT("TIME"),       {tb, util_ll2str(tb, n->delivery_time)},
                             SLICE_LIT("RETRYCOUNT"), {cb, util_ll2str(cb, n->delivery_count)},
                             SLICE_LIT("FORCE"),      SLICE_LIT("JUSTID"),
                             SLICE_LIT("LASTID"),     {lb, stream_id_format(lb, g->last_id)}};
    cmd_propagate_argv(ctx, 14, argv);
}

static void prop_setid(struct cmd_ctx *ctx, struct slice key, const struct cg_group *g)
{
    if (prop_skipped(ctx))
        return;
    char idb[48], nb[24];
    struct slice argv[7] = {SLICE_LIT("XGROUP"),
                            SLICE_LIT("SETID"),
                            key,
                            group_name(g),
                            {idb, stream_id_format(idb, g->last_id)},
                            SLICE_LIT("ENTRIESREAD"),
                            {nb, util_ll2str(nb, g->entries_read)}};
    cmd_propagate_argv(ctx, 7, argv);
}

static void prop_createconsumer(struct cmd_ctx *ctx, struct slice key, const struct cg_group *g,
                                const struct cg_consumer *c)
{
    struct slice argv[5] = {SLICE_LIT("XGROUP"), SLICE_LIT("CREATECONSUMER"), key, group_name(g),
                            consumer_name(c)};
    cmd_propagate_argv(ctx, 5, argv);
}

static void prop_xack(struct cmd_ctx *ctx, struct slice key, const struct cg_group *g,
                      struct stream_id id)
{
    char idb[48];
    struct slice argv[4] = {
        SLICE_LIT("XACK"), key, group_name(g), {idb, stream_id_format(idb, id)}};
    cmd_propagate_argv(ctx, 4, argv);
}

/* Propagate argv with argv[idx] replaced by id (a resolved "$"). */
static void prop_with_id(struct cmd_ctx *ctx, int idx, struct stream_id id)
{
    char idb[48];
    struct slice *argv = mem_alloc(sizeof(*argv) * (size_t)ctx->argc);
    memcpy(argv, ctx->argv, sizeof(*argv) * (size_t)ctx->argc);
    argv[idx] = (struct slice){idb, stream_id_format(idb, id)};
    cmd_propagate_argv(ctx, ctx->argc, argv);
    mem_free(argv);
}

/* Find or create the consumer; an implicit creation is propagated. */
static struct cg_consumer *get_consumer(struct cmd_ctx *ctx, struct slice key, struct cg_group *g,
                                        struct slice name)
{
    int created;
    struct cg_consumer *c = cg_consumer_get(g, name, ctx->now_ms, &created);
    if (created)
        prop_createconsumer(ctx, key, g, c);
    return c;
}

/* Drop a PEL entry whose stream entry is gone (propagated as XACK). */
static void drop_dangling(struct cmd_ctx *ctx, struct slice key, struct cg_group *g,
                          struct cg_nack *n)
{
    prop_xack(ctx, key, g, n->id);
    cg_pel_remove(g, n);
}

/* ==== XGROUP ================================================================================= */

/* MKSTREAM (CREATE only) and ENTRIESREAD n, from argv[5] on. */
static int xgroup_options(struct cmd_ctx *ctx, int create, int *mkstream, int64_t *entries_read)
{
    *mkstream = 0;
    *entries_read = CG_ENTRIES_READ_INVALID;
    for (int i = 5; i < ctx->argc; i++) {
        struct slice a = ctx->argv[i];
        if (create && util_eq_nocase(a, "MKSTREAM")) {
            *mkstream = 1;
        } else if (util_eq_nocase(a, "ENTRIESREAD") && i + 1 < ctx->argc) {
            long long v;
            if (util_parse_ll(ctx->argv[i + 1].p, ctx->argv[i + 1].len, &v) < 0) {
                cmd_error_not_integer(ctx);
                return -1;
            }
            if (v < 0 && v != CG_ENTRIES_READ_INVALID) {
                cmd_error(ctx, "ERR value for ENTRIESREAD must be positive or -1");
                return -1;
            }
            *entries_read = v;
            i++;
        } else {
            cmd_error_sub_args(ctx);
            return -1;
        }
    }
    return 0;
}

/* The key must exist (unless MKSTREAM); need_group: the group too. */
static int xgroup_lookup(struct cmd_ctx *ctx, int mkstream, int need_group, struct stream **s,
                         struct cg_group **g)
{
    struct slice key = ctx->argv[2], group = ctx->argv[3];
    if (find_group(ctx, key, group, s, g) < 0)
        return -1;
    if (mkstream)
        return 0;
    if (!*s) {
        cmd_error(ctx, "ERR The XGROUP subcommand requires the key to exist. Note that for "
                       "CREATE you may want to use the MKSTREAM option to create an empty "
                       "stream automatically.");
        return -1;
    }
    if (need_group && !*g) {
        reply_nogroup_for_key(ctx, key, group);
        return -1;
    }
    return 0;
}

void cmd_xgroup_create(struct cmd_ctx *ctx)
{
    int mkstream;
    int64_t entries_read;
    struct stream *s;
    struct cg_group *g;
    struct stream_id id = ZERO_ID;
    if (xgroup_options(ctx, 1, &mkstream, &entries_read) < 0 ||
        xgroup_lookup(ctx, mkstream, 0, &s, &g) < 0)
        return;
    if (ctx->argc > 8) {
        cmd_error_sub_args(ctx);
        return;
    }
    if (is_token(ctx->argv[4], '$'))
        id = s ? s->last_id : ZERO_ID;
    else if (xs_parse_id(ctx, ctx->argv[4], 0, &id) < 0)
        return;
    if (g) {
        cmd_error(ctx, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    if (!s) {
        s = xs_create(ctx, ctx->argv[2]);
        db_signal_modified(ctx->db, ctx->argv[2]);
    }
    cg_group_create(s, ctx->argv[3], id, entries_read);
    resp_ok(ctx->out);
    prop_with_id(ctx, 4, id);
}

void cmd_xgroup_setid(struct cmd_ctx *ctx)
{
    int mkstream;
    int64_t entries_read;
    struct stream *s;
    struct cg_group *g;
    struct stream_id id;
    int excl;
    if (xgroup_options(ctx, 0, &mkstream, &entries_read) < 0 ||
        xgroup_lookup(ctx, 0, 1, &s, &g) < 0)
        return;
    if (ctx->argc != 5 && ctx->argc != 7) {
        cmd_error_sub_args(ctx);
        return;
    }
    struct slice a = ctx->argv[4];
    if (a.len && a.p[0] == '(') { /* "-" and "+" are accepted, "(" is not */
        cmd_error(ctx, ERR_INVALID_ID);
        return;
    }
    if (is_token(a, '$'))
        id = s->last_id;
    else if (xs_parse_range_id(ctx, a, 0, &id, &excl) < 0)
        return;
    g->last_id = id;
    g->entries_read = entries_read;
    resp_ok(ctx->out);
    prop_with_id(ctx, 4, id);
}

void cmd_xgroup_destroy(struct cmd_ctx *ctx)
{
    struct stream *s;
    struct cg_group *g;
    if (xgroup_lookup(ctx, 0, 0, &s, &g) < 0)
        return;
    if (!g) {
        resp_int(ctx->out, 0);
        return;
    }
    cg_group_destroy(s, ctx->argv[3]);
    resp_int(ctx->out, 1);
    /* clients blocked in XREADGROUP on this group get NOGROUP */
    block_signal_key(ctx->core, ctx->db, ctx->argv[2]);
    cmd_propagate_as_is(ctx);
}

void cmd_xgroup_createconsumer(struct cmd_ctx *ctx)
{
    struct stream *s;
    struct cg_group *g;
    if (xgroup_lookup(ctx, 0, 1, &s, &g) < 0)
        return;
    int created;
    cg_consumer_get(g, ctx->argv[4], ctx->now_ms, &created);
    resp_int(ctx->out, created);
    if (created)
        cmd_propagate_as_is(ctx);
}

void cmd_xgroup_delconsumer(struct cmd_ctx *ctx)
{
    struct stream *s;
    struct cg_group *g;
    if (xgroup_lookup(ctx, 0, 1, &s, &g) < 0)
        return;
    struct cg_consumer *c = cg_consumer_find(g, ctx->argv[4]);
    if (!c) {
        resp_int(ctx->out, 0);
        return;
    }
    resp_int(ctx->out, (long long)cg_consumer_delete(g, c));
    cmd_propagate_as_is(ctx);
}

void cmd_xgroup_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}

/* ==== XREADGROUP ============================================================================= */

struct xrg_args {
    struct slice group, consumer;
    long long count;    /* 0: no limit */
    long long block_ms; /* -1: no BLOCK */
    long long min_idle; /* -1: no CLAIM */
    int noack;
    int first_key, nkeys;
};

/* One stream of the call: resolved before anything is served. */
struct xrg_key {
    struct slice key;
    struct stream *s;
    struct cg_group *g;
    struct stream_id after; /* history reads: entries after this ID */
    int fresh;              /* ">" */
};

/* COUNT n (negative means no limit) and CLAIM min-idle-time (>= 0). */
static int xrg_integer(struct cmd_ctx *ctx, struct slice a, int claim, long long *out)
{
    if (util_parse_ll(a.p, a.len, out) < 0) {
        cmd_error_not_integer(ctx);
        return -1;
    }
    if (claim && *out < 0) {
        cmd_error(ctx, "ERR min-idle-time must be a positive integer");
        return -1;
    }
    if (*out < 0)
        *out = 0;
    return 0;
}

static int xrg_option(struct cmd_ctx *ctx, struct xrg_args *x, int *i)
{
    struct slice a = ctx->argv[*i];
    int more = ctx->argc - 1 - *i;
    if (util_eq_nocase(a, "BLOCK") && more >= 1)
        return xs_parse_timeout(ctx, ctx->argv[++*i], &x->block_ms);
    if (util_eq_nocase(a, "COUNT") && more >= 1)
        return xrg_integer(ctx, ctx->argv[++*i], 0, &x->count);
    if (util_eq_nocase(a, "CLAIM") && more >= 1)
        return xrg_integer(ctx, ctx->argv[++*i], 1, &x->min_idle);
    if (util_eq_nocase(a, "GROUP") && more >= 2) {
        x->group = ctx->argv[*i + 1];
        x->consumer = ctx->argv[*i + 2];
        *i += 2;
        return 0;
    }
    if (util_eq_nocase(a, "NOACK")) {
        x->noack = 1;
        return 0;
    }
    cmd_error_syntax(ctx);
    return -1;
}

static int xrg_parse(struct cmd_ctx *ctx, struct xrg_args *x)
{
    memset(x, 0, sizeof(*x));
    x->block_ms = x->min_idle = -1;
    for (int i = 1; i < ctx->argc; i++) {
        if (util_eq_nocase(ctx->argv[i], "STREAMS") && i + 1 < ctx->argc) {
            x->first_key = i + 1;
            int rest = ctx->argc - x->first_key;
            if (rest % 2) {
                cmd_error(ctx, "ERR Unbalanced 'xreadgroup' list of streams: for each stream "
                               "key an ID or '>' must be specified.");
                return -1;
            }
            x->nkeys = rest / 2;
            break;
        }
        if (xrg_option(ctx, x, &i) < 0)
            return -1;
    }
    if (!x->first_key) {
        cmd_error_syntax(ctx);
        return -1;
    }
    if (!x->group.p) {
        cmd_error(ctx, "ERR Missing GROUP option for XREADGROUP");
        return -1;
    }
    return 0;
}

/* Every key's group and ID, in order; the first problem is the reply. */
static int xrg_resolve(struct cmd_ctx *ctx, const struct xrg_args *x, struct xrg_key *k)
{
    for (int i = 0; i < x->nkeys; i++) {
        struct slice id = ctx->argv[x->first_key + x->nkeys + i];
        k[i].key = ctx->argv[x->first_key + i];
        if (find_group(ctx, k[i].key, x->group, &k[i].s, &k[i].g) < 0)
            return -1;
        if (!k[i].g) {
            cmd_errorf(ctx,
                       "NOGROUP No such key '%.*s' or consumer group '%.*s' in XREADGROUP "
                       "with GROUP option",
                       (int)k[i].key.len, k[i].key.p, (int)x->group.len, x->group.p);
            return -1;
        }
        k[i].fresh = is_token(id, '>');
        if (is_token(id, '$')) {
            cmd_error(ctx, "ERR The $ ID is meaningless in the context of XREADGROUP: you want to "
                           "read the history of this consumer by specifying a proper ID, or use "
                           "the > ID to get new messages. The $ ID would just return an empty "
                           "result set.");
            return -1;
        }
        if (!k[i].fresh && xs_parse_id(ctx, id, 0, &k[i].after) < 0)
            return -1;
        /* Redis stores ">" as the maximal ID, so spelling that ID out
         * reads new entries too. */
        if (!k[i].fresh && k[i].after.ms == UINT64_MAX && k[i].after.seq == UINT64_MAX)
            k[i].fresh = 1;
    }
    return 0;
}

/* History: the consumer's own pending entries after k->after (deleted
 * ones as [id, nil]); each re-delivery bumps time and count. */
static long xrg_history(struct cmd_ctx *ctx, const struct xrg_args *x, struct xrg_key *k,
                        struct cg_consumer *c)
{
    struct resp_out *o = ctx->out;
    resp_kv_entry(o);
    resp_bulk(o, k->key.p, k->key.len);
    size_t h = resp_defer_array(o);
    long n = 0;
    struct stream_id start = k->after;
    if (stream_id_incr(&start) == 0) {
        struct cg_iter it;
        struct cg_nack *p;
        cg_iter_seek(&it, &c->pel, start);
        while ((!x->count || n < x->count) && (p = cg_iter_next(&it))) {
            n++;
            if (!reply_entry_by_id(o, k->s, p->id, NULL)) {
                resp_array(o, 2);
                xs_reply_id(o, p->id);
                resp_null_array(o);
                continue;
            }
            cg_pel_assign(k->g, p, c, ctx->now_ms, cg_count_inc(p->delivery_count));
            prop_xclaim(ctx, k->key, k->g, p);
        }
    }
    resp_set_deferred_array(o, h, n);
    return n;
}

/* CLAIM: the idle pending entries of the group, NACKed ones first, then
 * the longest idle, up to limit (0: all).  Each reply entry carries the
 * idle time and delivery count it had before this delivery. */
static long xrg_claim(struct cmd_ctx *ctx, const struct xrg_args *x, struct xrg_key *k,
                      struct cg_consumer *c, long limit)
{
    int64_t now = ctx->now_ms;
    size_t cap = 16, m = 0;
    struct cg_nack **pick = mem_alloc(sizeof(*pick) * cap);
    for (struct cg_nack *p = k->g->thead; p && (!limit || m < (size_t)limit); p = p->tnext) {
        if (p->consumer && now - p->delivery_time < x->min_idle)
            break;
        if (m == cap)
            pick = mem_realloc(pick, sizeof(*pick) * (cap *= 2));
        pick[m++] = p;
    }
    long n = 0;
    for (size_t i = 0; i < m; i++) {
        struct cg_nack *p = pick[i];
        long long extra[2] = {nack_idle(p, now), p->delivery_count};
        if (!reply_entry_by_id(ctx->out, k->s, p->id, extra)) {
            drop_dangling(ctx, k->key, k->g, p);
            continue;
        }
        cg_pel_assign(k->g, p, c, now, cg_count_inc(p->delivery_count));
        c->active_time = now;
        prop_xclaim(ctx, k->key, k->g, p);
        n++;
    }
    mem_free(pick);
    return n;
}

/* New entries after last-delivered-id, up to limit (0: all). */
static long xrg_new(struct cmd_ctx *ctx, const struct xrg_args *x, struct xrg_key *k,
                    struct cg_consumer *c, long limit)
{
    static const long long zero[2] = {0, 0};
    struct stream_id start = k->g->last_id, id;
    if (stream_id_incr(&start) < 0)
        return 0;
    struct stream_iter it;
    const struct slice *fv;
    size_t np;
    long n = 0;
    stream_iter_init(&it, k->s, start, MAX_ID, 0);
    while ((!limit || n < limit) && stream_iter_next(&it, &id, &fv, &np)) {
        reply_entry(ctx->out, id, fv, np, x->min_idle >= 0 ? zero : NULL);
        cg_advance(k->s, k->g, id);
        if (!x->noack) {
            struct cg_nack *p = cg_deliver(k->g, c, id, ctx->now_ms);
            c->active_time = ctx->now_ms;
            prop_xclaim(ctx, k->key, k->g, p);
        }
        n++;
    }
    stream_iter_done(&it);
    if (n)
        prop_setid(ctx, k->key, k->g);
    return n;
}

/* ">": claimed entries (CLAIM) then new ones; a key with nothing to
 * deliver is left out of the reply (its header is taken back). */
static long xrg_fresh(struct cmd_ctx *ctx, const struct xrg_args *x, struct xrg_key *k,
                      struct cg_consumer *c)
{
    struct resp_out *o = ctx->out;
    size_t mark = o->b->len;
    resp_kv_entry(o);
    resp_bulk(o, k->key.p, k->key.len);
    size_t h = resp_defer_array(o);
    long n = 0;
    if (x->min_idle >= 0)
        n = xrg_claim(ctx, x, k, c, (long)x->count);
    if (!x->count || n < x->count)
        n += xrg_new(ctx, x, k, c, x->count ? (long)x->count - n : 0);
    if (!n) {
        o->b->len = mark;
        return 0;
    }
    resp_set_deferred_array(o, h, n);
    return n;
}

/* Serve every key; returns how many keys are in the reply (0: nothing
 * was written, the caller blocks or replies nil). */
static long xrg_serve(struct cmd_ctx *ctx, const struct xrg_args *x, struct xrg_key *keys)
{
    struct resp_out *o = ctx->out;
    size_t h = o->proto == 3 ? resp_defer_map(o) : resp_defer_array(o);
    long served = 0;
    for (int i = 0; i < x->nkeys; i++) {
        struct xrg_key *k = &keys[i];
        struct cg_consumer *c = get_consumer(ctx, k->key, k->g, x->consumer);
        c->seen_time = ctx->now_ms;
        if (!k->fresh)
            served += xrg_history(ctx, x, k, c) >= 0;
        else
            served += xrg_fresh(ctx, x, k, c) > 0;
    }
    if (served) {
        if (o->proto == 3)
            resp_set_deferred_map(o, h, served);
        else
            resp_set_deferred_array(o, h, served);
    }
    return served;
}

void cmd_xreadgroup(struct cmd_ctx *ctx)
{
    struct xrg_args x;
    if (xrg_parse(ctx, &x) < 0)
        return;
    struct xrg_key *keys = mem_calloc(sizeof(*keys) * (size_t)(x.nkeys ? x.nkeys : 1));
    if (xrg_resolve(ctx, &x, keys) == 0 && xrg_serve(ctx, &x, keys) == 0) {
        if (x.block_ms < 0 || block_client(ctx, ctx->argv + x.first_key, x.nkeys, x.block_ms,
                                           ctx->argc, ctx->argv) < 0)
            resp_null_array(ctx->out);
    }
    mem_free(keys);
}

/* ==== XACK / XACKDEL ========================================================================= */

void cmd_xack(struct cmd_ctx *ctx)
{
    struct stream *s;
    struct cg_group *g;
    if (find_group(ctx, ctx->argv[1], ctx->argv[2], &s, &g) < 0)
        return;
    if (!g) {
        resp_int(ctx->out, 0);
        return;
    }
    int n = ctx->argc - 3;
    struct stream_id *ids = parse_ids(ctx, 3, n);
    if (!ids)
        return;
    long long acked = 0;
    for (int i = 0; i < n; i++) {
        struct cg_nack *p = cg_pel_find(g, ids[i]);
        if (p) {
            cg_pel_remove(g, p);
            acked++;
        }
    }
    mem_free(ids);
    resp_int(ctx->out, acked);
    if (acked)
        cmd_propagate_as_is(ctx);
}

/* [KEEPREF|DELREF|ACKED] IDS numids id... from argv[3]. */
static int xackdel_parse(struct cmd_ctx *ctx, int *policy, int *first, long long *n)
{
    *policy = -1;
    *first = 0;
    for (int i = 3; i < ctx->argc;) {
        if (util_eq_nocase(ctx->argv[i], "IDS") && !*first) {
            if (xs_parse_ids_block(ctx, &i, first, n) < 0)
                return -1;
        } else if (*policy < 0 && xs_parse_policy(ctx->argv[i]) >= 0) {
            *policy = xs_parse_policy(ctx->argv[i++]);
        } else {
            cmd_error_syntax(ctx);
            return -1;
        }
    }
    if (!*first) {
        cmd_error(ctx, "ERR IDS option is required");
        return -1;
    }
    if (*policy < 0)
        *policy = REF_KEEPREF;
    return 0;
}

/* Per ID: -1 not pending in the group; 1 acknowledged (and deleted from
 * the stream when there); 2 acknowledged but kept (ACKED, still needed). */
static int xackdel_one(struct stream *s, struct cg_group *g, struct stream_id id, int policy,
                       long long *deleted)
{
    struct cg_nack *p = cg_pel_find(g, id);
    if (!p)
        return -1;
    cg_pel_remove(g, p);
    int r = xs_delete_with_policy(s, id, policy);
    if (r == 2)
        return 2;
    *deleted += r == 1;
    return 1;
}

void cmd_xackdel(struct cmd_ctx *ctx)
{
    int policy, first;
    long long n;
    if (xackdel_parse(ctx, &policy, &first, &n) < 0)
        return;
    struct stream_id *ids = parse_ids(ctx, first, (int)n);
    if (!ids)
        return;
    struct stream *s;
    struct cg_group *g;
    if (find_group(ctx, ctx->argv[1], ctx->argv[2], &s, &g) == 0) {
        long long acked = 0, deleted = 0;
        resp_array(ctx->out, n);
        for (long long i = 0; i < n; i++) {
            int r = g ? xackdel_one(s, g, ids[i], policy, &deleted) : -1;
            acked += r > 0;
            resp_int(ctx->out, r);
        }
        if (deleted)
            db_signal_modified(ctx->db, ctx->argv[1]);
        if (acked)
            cmd_propagate_as_is(ctx);
    }
    mem_free(ids);
}

/* ==== XPENDING =============================================================================== */

struct xpending_args {
    int extended;
    long long min_idle, count;
    struct stream_id start, end;
    int has_consumer;
    struct slice consumer;
};

static int xpending_parse(struct cmd_ctx *ctx, struct xpending_args *a)
{
    memset(a, 0, sizeof(*a));
    if (ctx->argc == 3)
        return 0;
    if (ctx->argc < 6 || ctx->argc > 9) {
        cmd_error_syntax(ctx);
        return -1;
    }
    a->extended = 1;
    int i = 3, sx, ex;
    if (util_eq_nocase(ctx->argv[3], "IDLE")) {
        if (util_parse_ll(ctx->argv[4].p, ctx->argv[4].len, &a->min_idle) < 0) {
            cmd_error_not_integer(ctx);
            return -1;
        }
        if (ctx->argc < 8) {
            cmd_error_syntax(ctx);
            return -1;
        }
        i = 5;
    }
    if (util_parse_ll(ctx->argv[i + 2].p, ctx->argv[i + 2].len, &a->count) < 0) {
        cmd_error_not_integer(ctx);
        return -1;
    }
    if (a->count < 0)
        a->count = 0;
    if (xs_parse_range_id(ctx, ctx->argv[i], 0, &a->start, &sx) < 0)
        return -1;
    if (sx && stream_id_incr(&a->start) < 0) {
        cmd_error(ctx, "ERR invalid start ID for the interval");
        return -1;
    }
    if (xs_parse_range_id(ctx, ctx->argv[i + 1], UINT64_MAX, &a->end, &ex) < 0)
        return -1;
    if (ex && stream_id_decr(&a->end) < 0) {
        cmd_error(ctx, "ERR invalid end ID for the interval");
        return -1;
    }
    if (i + 3 < ctx->argc) {
        a->has_consumer = 1;
        a->consumer = ctx->argv[i + 3];
    }
    return 0;
}

/* [count, smallest ID, greatest ID, [[consumer, "n"], ...]] */
static void xpending_summary(struct resp_out *o, const struct cg_group *g)
{
    resp_array(o, 4);
    resp_int(o, (long long)g->pel.count);
    struct stream_id lo, hi;
    if (!cg_pel_first(&g->pel, &lo) || !cg_pel_last(&g->pel, &hi)) {
        resp_null(o);
        resp_null(o);
        resp_null_array(o);
        return;
    }
    xs_reply_id(o, lo);
    xs_reply_id(o, hi);
    size_t n = 0;
    for (size_t i = 0; i < g->ncons; i++)
        n += g->cons[i]->pel.count > 0;
    resp_array(o, (long long)n);
    for (size_t i = 0; i < g->ncons; i++) {
        const struct cg_consumer *c = g->cons[i];
        if (!c->pel.count)
            continue;
        resp_array(o, 2);
        resp_bulk(o, c->name, c->name_len);
        resp_bulk_ll(o, (long long)c->pel.count);
    }
}

/* [[id, consumer, idle, deliveries], ...]; NACKed entries show "" and -1. */
static void xpending_range(struct cmd_ctx *ctx, const struct cg_group *g,
                           const struct xpending_args *a)
{
    const struct cg_idtree *pel = &g->pel;
    if (a->has_consumer) {
        const struct cg_consumer *c = cg_consumer_find(g, a->consumer);
        if (!c) {
            resp_empty_array(ctx->out);
            return;
        }
        pel = &c->pel;
    }
    int64_t now = ctx->now_ms;
    size_t h = resp_defer_array(ctx->out);
    long long n = 0, left = a->count;
    struct cg_iter it;
    const struct cg_nack *p;
    cg_iter_seek(&it, pel, a->start);
    while (left && (p = cg_iter_next(&it)) && stream_id_cmp(p->id, a->end) <= 0) {
        if (a->min_idle && p->consumer && now - p->delivery_time < a->min_idle)
            continue;
        left--;
        n++;
        resp_array(ctx->out, 4);
        xs_reply_id(ctx->out, p->id);
        if (p->consumer)
            resp_bulk(ctx->out, p->consumer->name, p->consumer->name_len);
        else
            resp_bulk(ctx->out, "", 0);
        resp_int(ctx->out, nack_idle(p, now));
        resp_int(ctx->out, p->delivery_count);
    }
    resp_set_deferred_array(ctx->out, h, n);
}

void cmd_xpending(struct cmd_ctx *ctx)
{
    struct xpending_args a;
    struct stream *s;
    struct cg_group *g;
    if (xpending_parse(ctx, &a) < 0 || !(g = group_or_reply(ctx, &s)))
        return;
    if (a.extended)
        xpending_range(ctx, g, &a);
    else
        xpending_summary(ctx->out, g);
}

/* ==== XCLAIM ================================================================================= */

struct xclaim_args {
    long long min_idle;
    int last_id_arg;       /* the IDs are argv[5 .. last_id_arg] */
    int64_t delivery_time; /* -1: now */
    long long retrycount;  /* -1: not given */
    int force, justid;
    int has_lastid;
    struct stream_id lastid;
};

static int xclaim_number(struct cmd_ctx *ctx, struct slice a, const char *opt, long long *out)
{
    if (util_parse_ll(a.p, a.len, out) == 0)
        return 0;
    cmd_errorf(ctx, "ERR Invalid %s argument for XCLAIM", opt);
    return -1;
}

static int xclaim_option(struct cmd_ctx *ctx, struct xclaim_args *a, int *j)
{
    struct slice o = ctx->argv[*j];
    int more = ctx->argc - 1 - *j;
    long long v;
    if (util_eq_nocase(o, "FORCE")) {
        a->force = 1;
    } else if (util_eq_nocase(o, "JUSTID")) {
        a->justid = 1;
    } else if (util_eq_nocase(o, "IDLE") && more) {
        if (xclaim_number(ctx, ctx->argv[++*j], "IDLE option", &v) < 0)
            return -1;
        a->delivery_time = ctx->now_ms - v;
    } else if (util_eq_nocase(o, "TIME") && more) {
        if (xclaim_number(ctx, ctx->argv[++*j], "TIME option", &v) < 0)
            return -1;
        a->delivery_time = v;
    } else if (util_eq_nocase(o, "RETRYCOUNT") && more) {
        if (xclaim_number(ctx, ctx->argv[++*j], "RETRYCOUNT option", &a->retrycount) < 0)
            return -1;
    } else if (util_eq_nocase(o, "LASTID") && more) {
        if (xs_parse_id(ctx, ctx->argv[++*j], 0, &a->lastid) < 0)
            return -1;
        a->has_lastid = 1;
    } else {
        cmd_errorf(ctx, "ERR Unrecognized XCLAIM option '%.*s'", (int)o.len, o.p);
        return -1;
    }
    return 0;
}

static int xclaim_parse(struct cmd_ctx *ctx, struct xclaim_args *a)
{
    memset(a, 0, sizeof(*a));
    a->delivery_time = -1;
    a->retrycount = -1;
    if (xclaim_number(ctx, ctx->argv[4], "min-idle-time", &a->min_idle) < 0)
        return -1;
    if (a->min_idle < 0)
        a->min_idle = 0;
    int j = 5;
    struct stream_id id;
    while (j < ctx->argc && stream_id_parse(ctx->argv[j].p, ctx->argv[j].len, 0, &id) == 0)
        j++;
    a->last_id_arg = j - 1;
    for (; j < ctx->argc; j++)
        if (xclaim_option(ctx, a, &j) < 0)
            return -1;
    /* a bogus time (negative or in the future) means now */
    if (a->delivery_time < 0 || a->delivery_time > ctx->now_ms)
        a->delivery_time = ctx->now_ms;
    return 0;
}

/* Claim one ID for c; returns 1 if claimed (reply written), 0 if not.
 * *propagated is set when an XCLAIM form was propagated. */
static int xclaim_one(struct cmd_ctx *ctx, const struct xclaim_args *a, struct stream *s,
                      struct cg_group *g, struct cg_consumer *c, struct stream_id id)
{
    struct slice key = ctx->argv[1];
    struct cg_nack *p = cg_pel_find(g, id);
    if (!stream_has(s, id)) {
        if (p)
            drop_dangling(ctx, key, g, p);
        return 0;
    }
    if (!p && !a->force)
        return 0;
    if (!p) {
        int64_t cnt = a->retrycount >= 0 ? a->retrycount : a->justid ? 1 : 2;
        p = cg_pel_add(g, c, id, a->delivery_time, cnt);
    } else {
        if (p->consumer && a->min_idle && ctx->now_ms - p->delivery_time < a->min_idle)
            return 0;
        int64_t cnt = a->retrycount >= 0 ? a->retrycount
                      : a->justid        ? p->delivery_count
                                         : cg_count_inc(p->delivery_count);
        cg_pel_assign(g, p, c, a->delivery_time, cnt);
    }
    if (a->justid)
        xs_reply_id(ctx->out, id);
    else
        reply_entry_by_id(ctx->out, s, id, NULL);
    c->active_time = ctx->now_ms;
    prop_xclaim(ctx, key, g, p);
    return 1;
}

void cmd_xclaim(struct cmd_ctx *ctx)
{
    struct stream *s;
    struct cg_group *g;
    struct xclaim_args a;
    if (!(g = group_or_reply(ctx, &s)))
        return;
    if (xclaim_parse(ctx, &a) < 0)
        return;
    int moved = a.has_lastid && stream_id_cmp(a.lastid, g->last_id) > 0;
    if (moved)
        g->last_id = a.lastid;
    struct cg_consumer *c = get_consumer(ctx, ctx->argv[1], g, ctx->argv[3]);
    c->seen_time = ctx->now_ms;
    size_t h = resp_defer_array(ctx->out);
    long long n = 0;
    for (int j = 5; j <= a.last_id_arg; j++) {
        struct stream_id id;
        stream_id_parse(ctx->argv[j].p, ctx->argv[j].len, 0, &id);
        n += xclaim_one(ctx, &a, s, g, c, id);
    }
    resp_set_deferred_array(ctx->out, h, n);
    if (moved && !n)
        prop_setid(ctx, ctx->argv[1], g);
}

/* ==== XAUTOCLAIM ============================================================================= */

struct xautoclaim_args {
    long long min_idle, count;
    struct stream_id start;
    int justid;
};

static int xautoclaim_parse(struct cmd_ctx *ctx, struct xautoclaim_args *a)
{
    int excl;
    a->count = 100;
    a->justid = 0;
    if (util_parse_ll(ctx->argv[4].p, ctx->argv[4].len, &a->min_idle) < 0) {
        cmd_error(ctx, "ERR Invalid min-idle-time argument for XAUTOCLAIM");
        return -1;
    }
    if (a->min_idle < 0)
        a->min_idle = 0;
    if (xs_parse_range_id(ctx, ctx->argv[5], 0, &a->start, &excl) < 0)
        return -1;
    if (excl && stream_id_incr(&a->start) < 0) {
        cmd_error(ctx, "ERR invalid start ID for the interval");
        return -1;
    }
    for (int j = 6; j < ctx->argc; j++) {
        if (util_eq_nocase(ctx->argv[j], "COUNT") && j + 1 < ctx->argc) {
            long long v;
            j++;
            if (util_parse_ll(ctx->argv[j].p, ctx->argv[j].len, &v) < 0 || v < 1 ||
                v > INT64_MAX / 16) {
                cmd_error(ctx, "ERR COUNT must be > 0");
                return -1;
            }
            a->count = v;
        } else if (util_eq_nocase(ctx->argv[j], "JUSTID")) {
            a->justid = 1;
        } else {
            cmd_error_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

struct autoclaim_out {
    struct stream_id *claimed, *deleted;
    size_t nclaimed, ndeleted;
    struct stream_id cursor;
};

/* Scan the group PEL from start: at most count claims or deletions and
 * 10 * count entries examined.  State changes and propagation only; the
 * reply is written afterwards from out. */
static void xautoclaim_scan(struct cmd_ctx *ctx, const struct xautoclaim_args *a, struct stream *s,
                            struct cg_group *g, struct cg_consumer *c, struct autoclaim_out *out)
{
    long long count = a->count, attempts = a->count * 10;
    struct cg_iter it;
    struct cg_nack *p;
    cg_iter_seek(&it, &g->pel, a->start);
    while (attempts-- > 0 && count > 0 && (p = cg_iter_next(&it))) {
        struct stream_id id = p->id;
        if (!stream_has(s, id)) {
            drop_dangling(ctx, ctx->argv[1], g, p);
            out->deleted[out->ndeleted++] = id;
            count--;
            cg_iter_seek(&it, &g->pel, id);
            continue;
        }
        if (a->min_idle && p->consumer && ctx->now_ms - p->delivery_time < a->min_idle)
            continue;
        int64_t cnt = a->justid ? p->delivery_count : cg_count_inc(p->delivery_count);
        cg_pel_assign(g, p, c, ctx->now_ms, cnt);
        c->active_time = ctx->now_ms;
        prop_xclaim(ctx, ctx->argv[1], g, p);
        out->claimed[out->nclaimed++] = id;
        count--;
    }
    p = cg_iter_next(&it);
    out->cursor = p ? p->id : ZERO_ID;
}

void cmd_xautoclaim(struct cmd_ctx *ctx)
{
    struct xautoclaim_args a;
    struct stream *s;
    struct cg_group *g;
    if (xautoclaim_parse(ctx, &a) < 0 || !(g = group_or_reply(ctx, &s)))
        return;
    struct cg_consumer *c = get_consumer(ctx, ctx->argv[1], g, ctx->argv[3]);
    c->seen_time = ctx->now_ms;
    size_t cap = (size_t)(a.count < (long long)g->pel.count ? a.count : (long long)g->pel.count);
    struct autoclaim_out out = {mem_alloc(sizeof(struct stream_id) * (cap + 1)),
                                mem_alloc(sizeof(struct stream_id) * (cap + 1)), 0, 0, ZERO_ID};
    xautoclaim_scan(ctx, &a, s, g, c, &out);
    struct resp_out *o = ctx->out;
    resp_array(o, 3);
    xs_reply_id(o, out.cursor);
    resp_array(o, (long long)out.nclaimed);
    for (size_t i = 0; i < out.nclaimed; i++) {
        if (a.justid)
            xs_reply_id(o, out.claimed[i]);
        else
            reply_entry_by_id(o, s, out.claimed[i], NULL);
    }
    resp_array(o, (long long)out.ndeleted);
    for (size_t i = 0; i < out.ndeleted; i++)
        xs_reply_id(o, out.deleted[i]);
    mem_free(out.claimed);
    mem_free(out.deleted);
}

/* ==== XNACK ================================================================================== */

enum nack_mode { NACK_SILENT, NACK_FAIL, NACK_FATAL };

struct xnack_args {
    enum nack_mode mode;
    int first;
    long long n;
    long long retrycount; /* -1: not given */
    int force;
};

/* The three texts below carry their own "ERR " and are replied through
 * the generic error path, which adds another: Redis 8.8 shows
 * "-ERR ERR ..." for them. */
static int xnack_parse(struct cmd_ctx *ctx, struct xnack_args *a)
{
    struct slice m = ctx->argv[3];
    a->retrycount = -1;
    a->force = 0;
    if (util_eq_nocase(m, "SILENT"))
        a->mode = NACK_SILENT;
    else if (util_eq_nocase(m, "FAIL"))
        a->mode = NACK_FAIL;
    else if (util_eq_nocase(m, "FATAL"))
        a->mode = NACK_FATAL;
    else
        return cmd_error(ctx, "ERR ERR mode must be SILENT, FAIL, or FATAL"), -1;
    if (!util_eq_nocase(ctx->argv[4], "IDS"))
        return cmd_error(ctx, "ERR ERR syntax error, expected IDS keyword"), -1;
    int i = 4;
    if (xs_parse_ids_block(ctx, &i, &a->first, &a->n) < 0)
        return -1;
    for (; i < ctx->argc; i++) {
        struct slice o = ctx->argv[i];
        if (util_eq_nocase(o, "RETRYCOUNT") && i + 1 < ctx->argc) {
            i++;
            if (util_parse_ll(ctx->argv[i].p, ctx->argv[i].len, &a->retrycount) < 0 ||
                a->retrycount < 0) {
                cmd_error_not_integer(ctx);
                return -1;
            }
        } else if (util_eq_nocase(o, "FORCE")) {
            a->force = 1;
        } else {
            cmd_errorf(ctx, "ERR ERR Unrecognized XNACK option '%.*s'", (int)o.len, o.p);
            return -1;
        }
    }
    return 0;
}

static int64_t nack_count(const struct xnack_args *a, int64_t count)
{
    if (a->retrycount >= 0)
        return a->retrycount;
    if (a->mode == NACK_FATAL)
        return CG_COUNT_MAX;
    if (a->mode == NACK_SILENT)
        return count > 0 ? count - 1 : 0;
    return count;
}

static void prop_xnack(struct cmd_ctx *ctx, const struct cg_group *g, const struct cg_nack *p)
{
    char idb[48], cb[24];
    struct slice argv[10] = {SLICE_LIT("XNACK"),
                             ctx->argv[1],
                             group_name(g),
                             SLICE_LIT("FAIL"),
                             SLICE_LIT("IDS"),
                             SLICE_LIT("1"),
                             {idb, stream_id_format(idb, p->id)},
                             SLICE_LIT("RETRYCOUNT"),
                             {cb, util_ll2str(cb, p->delivery_count)},
                             SLICE_LIT("FORCE")};
    cmd_propagate_argv(ctx, 10, argv);
}

/* Release one ID; returns 1 if it was NACKed. */
static int xnack_one(struct cmd_ctx *ctx, const struct xnack_args *a, struct stream *s,
                     struct cg_group *g, struct stream_id id)
{
    struct cg_nack *p = cg_pel_find(g, id);
    if (p) {
        cg_pel_release(g, p, nack_count(a, p->delivery_count));
    } else if (a->force && stream_has(s, id)) {
        int64_t cnt = a->retrycount >= 0 ? a->retrycount : a->mode == NACK_FATAL ? CG_COUNT_MAX : 0;
        p = cg_pel_add(g, NULL, id, 0, cnt);
    } else {
        return 0;
    }
    prop_xnack(ctx, g, p);
    return 1;
}

void cmd_xnack(struct cmd_ctx *ctx)
{
    struct xnack_args a;
    if (xnack_parse(ctx, &a) < 0)
        return;
    struct stream_id *ids = parse_ids(ctx, a.first, (int)a.n);
    if (!ids)
        return;
    struct stream *s;
    struct cg_group *g;
    if (find_group(ctx, ctx->argv[1], ctx->argv[2], &s, &g) == 0) {
        if (!g) {
            reply_nogroup(ctx, ctx->argv[1], ctx->argv[2]);
        } else {
            long long n = 0;
            for (long long i = 0; i < a.n; i++)
                n += xnack_one(ctx, &a, s, g, ids[i]);
            resp_int(ctx->out, n);
            /* NACKed entries are claimable at once: blocked XREADGROUP
             * ... CLAIM readers re-run (others just block again) */
            if (n)
                block_signal_key(ctx->core, ctx->db, ctx->argv[1]);
        }
    }
    mem_free(ids);
}

/* ==== XINFO GROUPS / CONSUMERS / STREAM FULL ================================================= */

static void kv_int(struct resp_out *o, const char *k, long long v)
{
    resp_bulk_str(o, k);
    resp_int(o, v);
}

static void kv_entries_read_and_lag(struct resp_out *o, const struct stream *s,
                                    const struct cg_group *g)
{
    int64_t lag;
    resp_bulk_str(o, "entries-read");
    if (g->entries_read != CG_ENTRIES_READ_INVALID)
        resp_int(o, g->entries_read);
    else
        resp_null(o);
    resp_bulk_str(o, "lag");
    if (cg_lag(s, g, &lag))
        resp_int(o, lag);
    else
        resp_null(o);
}

void cmd_xinfo_groups(struct cmd_ctx *ctx)
{
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[2], &wrongtype);
    if (!s) {
        if (!wrongtype)
            cmd_error(ctx, "ERR no such key");
        return;
    }
    struct resp_out *o = ctx->out;
    resp_array(o, (long long)cg_count(s));
    for (size_t i = 0; i < cg_count(s); i++) {
        const struct cg_group *g = cg_group_at(s, i);
        resp_map(o, 6);
        resp_bulk_str(o, "name");
        resp_bulk(o, g->name, g->name_len);
        kv_int(o, "consumers", (long long)g->ncons);
        kv_int(o, "pending", (long long)g->pel.count);
        resp_bulk_str(o, "last-delivered-id");
        xs_reply_id(o, g->last_id);
        kv_entries_read_and_lag(o, s, g);
    }
}

void cmd_xinfo_consumers(struct cmd_ctx *ctx)
{
    int wrongtype;
    struct stream *s = xs_lookup(ctx, ctx->argv[2], &wrongtype);
    if (!s) {
        if (!wrongtype)
            cmd_error(ctx, "ERR no such key");
        return;
    }
    const struct cg_group *g = cg_group_find(s, ctx->argv[3]);
    if (!g) {
        reply_nogroup_for_key(ctx, ctx->argv[2], ctx->argv[3]);
        return;
    }
    struct resp_out *o = ctx->out;
    int64_t now = ctx->now_ms;
    resp_array(o, (long long)g->ncons);
    for (size_t i = 0; i < g->ncons; i++) {
        const struct cg_consumer *c = g->cons[i];
        resp_map(o, 4);
        resp_bulk_str(o, "name");
        resp_bulk(o, c->name, c->name_len);
        kv_int(o, "pending", (long long)c->pel.count);
        kv_int(o, "idle", now > c->seen_time ? now - c->seen_time : 0);
        kv_int(o, "inactive",
               c->active_time < 0     ? -1
               : now > c->active_time ? now - c->active_time
                                      : 0);
    }
}

static size_t capped(size_t n, long long count)
{
    return count > 0 && (size_t)count < n ? (size_t)count : n;
}

/* FULL group PEL: [id, consumer ("" when NACKed), delivery time, count]. */
static void full_group_pel(struct resp_out *o, const struct cg_group *g, long long count)
{
    size_t n = capped(g->pel.count, count), k = 0;
    struct cg_iter it;
    const struct cg_nack *p;
    resp_array(o, (long long)n);
    cg_iter_seek(&it, &g->pel, ZERO_ID);
    while (k++ < n && (p = cg_iter_next(&it))) {
        resp_array(o, 4);
        xs_reply_id(o, p->id);
        if (p->consumer)
            resp_bulk(o, p->consumer->name, p->consumer->name_len);
        else
            resp_bulk(o, "", 0);
        resp_int(o, p->delivery_time);
        resp_int(o, p->delivery_count);
    }
}

static void full_consumer(struct resp_out *o, const struct cg_consumer *c, long long count)
{
    resp_map(o, 5);
    resp_bulk_str(o, "name");
    resp_bulk(o, c->name, c->name_len);
    kv_int(o, "seen-time", c->seen_time);
    kv_int(o, "active-time", c->active_time);
    kv_int(o, "pel-count", (long long)c->pel.count);
    resp_bulk_str(o, "pending");
    size_t n = capped(c->pel.count, count), k = 0;
    struct cg_iter it;
    const struct cg_nack *p;
    resp_array(o, (long long)n);
    cg_iter_seek(&it, &c->pel, ZERO_ID);
    while (k++ < n && (p = cg_iter_next(&it))) {
        resp_array(o, 3);
        xs_reply_id(o, p->id);
        resp_int(o, p->delivery_time);
        resp_int(o, p->delivery_count);
    }
}

void xinfo_full_groups(struct cmd_ctx *ctx, struct stream *s, long long count)
{
    struct resp_out *o = ctx->out;
    resp_array(o, (long long)cg_count(s));
    for (size_t i = 0; i < cg_count(s); i++) {
        const struct cg_group *g = cg_group_at(s, i);
        resp_map(o, 8);
        resp_bulk_str(o, "name");
        resp_bulk(o, g->name, g->name_len);
        resp_bulk_str(o, "last-delivered-id");
        xs_reply_id(o, g->last_id);
        kv_entries_read_and_lag(o, s, g);
        kv_int(o, "pel-count", (long long)g->pel.count);
        kv_int(o, "nacked-count", (long long)g->nacked);
        resp_bulk_str(o, "pending");
        full_group_pel(o, g, count);
        /* COUNT caps entries and PELs, never the consumer list. */
        resp_bulk_str(o, "consumers");
        resp_array(o, (long long)g->ncons);
        for (size_t j = 0; j < g->ncons; j++)
            full_consumer(o, g->cons[j], count);
    }
}
