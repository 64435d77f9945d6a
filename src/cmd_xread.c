/*
 * cmd_xread.c - XREAD [COUNT n] [BLOCK ms] STREAMS key... id...
 *
 * Serving: for every key with entries after its ID, reply them (at most
 * COUNT each).  RESP3 replies a map key -> entries, RESP2 an array of
 * [key, entries] pairs; nothing to serve is a null array.  With BLOCK the
 * client waits (block.c) with "$" and "+" turned into the concrete IDs,
 * so that a re-run sees only what was added after the call.
 */
#include <string.h>

#include "block.h"
#include "client.h"
#include "cmd_stream_int.h"
#include "core.h"
#include "lib/mem.h"

struct xread_args {
    long long count;    /* 0: no limit */
    long long block_ms; /* -1: no BLOCK */
    int first_key, nkeys;
};

static int parse_xread(struct cmd_ctx *ctx, struct xread_args *x)
{
    x->count = 0;
    x->block_ms = -1;
    x->first_key = 0;
    for (int i = 1; i < ctx->argc; i++) {
        int more = ctx->argc - 1 - i;
        struct slice a = ctx->argv[i];
        if (util_eq_nocase(a, "BLOCK") && more >= 1) {
            if (xs_parse_timeout(ctx, ctx->argv[++i], &x->block_ms) < 0)
                return -1;
        } else if (util_eq_nocase(a, "COUNT") && more >= 1) {
            i++;
            if (util_parse_ll(ctx->argv[i].p, ctx->argv[i].len, &x->count) < 0) {
                cmd_error_not_integer(ctx);
                return -1;
            }
            if (x->count < 0)
                x->count = 0;
        } else if (util_eq_nocase(a, "STREAMS") && more >= 1) {
            x->first_key = i + 1;
            int rest = ctx->argc - x->first_key;
            if (rest % 2) {
                cmd_error(ctx, "ERR Unbalanced 'xread' list of streams: for each stream key an "
                               "ID, '+', or '$' must be specified.");
                return -1;
            }
            x->nkeys = rest / 2;
            return 0;
        } else if (util_eq_nocase(a, "GROUP") && more >= 2) {
            cmd_error(ctx, "ERR The GROUP option is only supported by XREADGROUP. You called "
                           "XREAD instead.");
            return -1;
        } else if (util_eq_nocase(a, "NOACK")) {
            cmd_error(ctx, "ERR The NOACK option is only supported by XREADGROUP. You called "
                           "XREAD instead.");
            return -1;
        } else {
            cmd_error_syntax(ctx);
            return -1;
        }
    }
    cmd_error_syntax(ctx);
    return -1;
}

/* Re-run of a blocked XREAD by block.c (the client is still blocked). */
static int is_rerun(const struct cmd_ctx *ctx)
{
    return ctx->client && (ctx->client->flags & CLIENT_BLOCKED);
}

/* ID of the newest live entry of a non-empty stream (last_id may be
 * greater: XSETID, or the newest entries deleted). */
static struct stream_id last_live_id(struct stream *s)
{
    struct stream_iter it;
    struct stream_id id = s->last_id;
    const struct slice *fv;
    size_t np;
    stream_iter_init(&it, s, (struct stream_id){0, 0}, s->last_id, 1);
    stream_iter_next(&it, &id, &fv, &np);
    stream_iter_done(&it);
    return id;
}

/* Resolve each ID argument to "serve entries strictly after ids[i]".
 * Every key is type-checked in order with its ID, as Redis does. */
static int resolve_ids(struct cmd_ctx *ctx, const struct xread_args *x, struct stream_id *ids)
{
    for (int k = 0; k < x->nkeys; k++) {
        struct slice a = ctx->argv[x->first_key + x->nkeys + k];
        struct obj *o = db_lookup(ctx->db, ctx->argv[x->first_key + k]);
        if (o && o->type != OBJ_STREAM && !is_rerun(ctx)) {
            cmd_error_wrongtype(ctx);
            return -1;
        }
        struct stream *s = o && o->type == OBJ_STREAM ? o->u.stream : NULL;
        if (a.len == 1 && a.p[0] == '>') {
            cmd_error(ctx, "ERR The > ID can be specified only when calling XREADGROUP using "
                           "the GROUP <group> <consumer> option.");
            return -1;
        }
        if (a.len == 1 && a.p[0] == '$') {
            ids[k] = s ? s->last_id : (struct stream_id){0, 0};
            continue;
        }
        if (a.len == 1 && a.p[0] == '+') { /* the newest live entry is served */
            ids[k] = s ? s->last_id : (struct stream_id){0, 0};
            if (s && s->length > 0) {
                ids[k] = last_live_id(s);
                stream_id_decr(&ids[k]);
            }
            continue;
        }
        if (xs_parse_id(ctx, a, 0, &ids[k]) < 0)
            return -1;
    }
    return 0;
}

/* Does s hold a live entry after `after`? */
static int has_after(struct stream *s, struct stream_id after)
{
    return s && s->length > 0 && stream_id_cmp(s->last_id, after) > 0 &&
           stream_id_cmp(last_live_id(s), after) > 0;
}

/* Reply every key with data; returns the number of keys served, or -1
 * after a WRONGTYPE error.  A re-run of a blocked XREAD (block.c) treats
 * a key that is no longer a stream as having no data, so the client
 * stays blocked as in Redis (only XREADGROUP is woken by a type change);
 * it still gets WRONGTYPE when another key has data to serve. */
static int serve(struct cmd_ctx *ctx, const struct xread_args *x, const struct stream_id *ids)
{
    struct stream **ss = mem_alloc(sizeof(*ss) * (size_t)x->nkeys);
    int n = 0, wrong = 0;
    for (int k = 0; k < x->nkeys; k++) {
        struct obj *o = db_lookup(ctx->db, ctx->argv[x->first_key + k]);
        ss[k] = o && o->type == OBJ_STREAM ? o->u.stream : NULL;
        wrong |= o && o->type != OBJ_STREAM;
        if (!has_after(ss[k], ids[k]))
            ss[k] = NULL; /* nothing to serve from this key */
        n += ss[k] != NULL;
    }
    if (wrong && n > 0) {
        cmd_error_wrongtype(ctx);
        mem_free(ss);
        return -1;
    }
    if (n > 0) {
        resp_kv_map(ctx->out, n);
        for (int k = 0; k < x->nkeys; k++) {
            if (!ss[k])
                continue;
            struct stream_id start = ids[k];
            stream_id_incr(&start);
            resp_kv_entry(ctx->out);
            struct slice key = ctx->argv[x->first_key + k];
            resp_bulk(ctx->out, key.p, key.len);
            xs_reply_range(ctx->out, ss[k], start, (struct stream_id){UINT64_MAX, UINT64_MAX},
                           x->count, 0);
        }
    }
    mem_free(ss);
    return n;
}

/* Block with the IDs made concrete. */
static void block_on(struct cmd_ctx *ctx, const struct xread_args *x, const struct stream_id *ids)
{
    struct slice *argv = mem_alloc(sizeof(*argv) * (size_t)ctx->argc);
    char *idtext = mem_alloc((size_t)x->nkeys * 48);
    memcpy(argv, ctx->argv, sizeof(*argv) * (size_t)ctx->argc);
    for (int k = 0; k < x->nkeys; k++) {
        char *t = idtext + (size_t)k * 48;
        argv[x->first_key + x->nkeys + k] = (struct slice){t, stream_id_format(t, ids[k])};
    }
    if (block_client(ctx, ctx->argv + x->first_key, x->nkeys, x->block_ms, ctx->argc, argv) < 0)
        resp_null_array(ctx->out);
    mem_free(idtext);
    mem_free(argv);
}

void cmd_xread(struct cmd_ctx *ctx)
{
    struct xread_args x;
    if (parse_xread(ctx, &x) < 0)
        return;
    struct stream_id *ids = mem_alloc(sizeof(*ids) * (size_t)(x.nkeys ? x.nkeys : 1));
    if (resolve_ids(ctx, &x, ids) == 0) {
        int n = serve(ctx, &x, ids);
        if (n == 0 && x.block_ms >= 0)
            block_on(ctx, &x, ids);
        else if (n == 0)
            resp_null_array(ctx->out);
    }
    mem_free(ids);
}
