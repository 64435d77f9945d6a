/*
 * cmd_xinfo.c - XINFO STREAM [FULL [COUNT n]] and XINFO HELP.
 *
 * Field order is Redis 8.8's (see shared/design/idmp-reference.md §7):
 * the six IDMP fields are always present.  XINFO GROUPS / CONSUMERS live
 * with the consumer-group commands.
 */
#include "cmd_stream_int.h"
#include "core.h"
#include "stream_idmp.h"

static void reply_kv_int(struct resp_out *o, const char *k, long long v)
{
    resp_bulk_str(o, k);
    resp_int(o, v);
}

static void reply_kv_id(struct resp_out *o, const char *k, struct stream_id id)
{
    resp_bulk_str(o, k);
    xs_reply_id(o, id);
}

/* The 13 leading fields shared by the plain and FULL forms. */
static void reply_common(struct resp_out *o, struct stream *s)
{
    size_t nodes = stream_node_count(s);
    reply_kv_int(o, "length", (long long)s->length);
    reply_kv_int(o, "radix-tree-keys", (long long)nodes);
    reply_kv_int(o, "radix-tree-nodes", (long long)nodes + 1);
    reply_kv_id(o, "last-generated-id", s->last_id);
    reply_kv_id(o, "max-deleted-entry-id", s->max_deleted_id);
    reply_kv_int(o, "entries-added", (long long)s->entries_added);
    reply_kv_id(o, "recorded-first-entry-id", s->length ? s->first_id : (struct stream_id){0, 0});
    reply_kv_int(o, "idmp-duration", s->idmp ? idmp_duration(s->idmp) : 0);
    reply_kv_int(o, "idmp-maxsize", s->idmp ? idmp_maxsize(s->idmp) : 0);
    reply_kv_int(o, "pids-tracked", s->idmp ? (long long)idmp_pids_tracked(s->idmp) : 0);
    reply_kv_int(o, "iids-tracked", s->idmp ? (long long)idmp_iids_tracked(s->idmp) : 0);
    reply_kv_int(o, "iids-added", s->idmp ? (long long)idmp_iids_added(s->idmp) : 0);
    reply_kv_int(o, "iids-duplicates", s->idmp ? (long long)idmp_iids_duplicates(s->idmp) : 0);
}

static void reply_edge(struct resp_out *o, const char *k, struct stream *s, int last)
{
    resp_bulk_str(o, k);
    struct stream_iter it;
    struct stream_id id;
    const struct slice *fv;
    size_t np;
    stream_iter_init(&it, s, (struct stream_id){0, 0}, (struct stream_id){UINT64_MAX, UINT64_MAX},
                     last);
    if (stream_iter_next(&it, &id, &fv, &np))
        xs_reply_entry(o, id, fv, np);
    else
        resp_null(o);
    stream_iter_done(&it);
}

static void xinfo_plain(struct cmd_ctx *ctx, struct stream *s)
{
    struct resp_out *o = ctx->out;
    resp_map(o, 16);
    reply_common(o, s);
    reply_kv_int(o, "groups", (long long)cg_count(s));
    reply_edge(o, "first-entry", s, 0);
    reply_edge(o, "last-entry", s, 1);
}

static void xinfo_full(struct cmd_ctx *ctx, struct stream *s, long long count)
{
    struct resp_out *o = ctx->out;
    resp_map(o, 15);
    reply_common(o, s);
    resp_bulk_str(o, "entries");
    xs_reply_range(o, s, (struct stream_id){0, 0}, (struct stream_id){UINT64_MAX, UINT64_MAX},
                   count, 0);
    resp_bulk_str(o, "groups");
    xinfo_full_groups(ctx, s, count);
}

void cmd_xinfo_stream(struct cmd_ctx *ctx)
{
    int full = 0;
    long long count = 10;
    int wrongtype;
    /* The key is looked up before the options are parsed, as Redis does. */
    struct stream *s = xs_lookup(ctx, ctx->argv[2], &wrongtype);
    if (!s) {
        if (!wrongtype)
            cmd_error(ctx, "ERR no such key");
        return;
    }
    if (ctx->argc > 3) {
        if (!util_eq_nocase(ctx->argv[3], "FULL")) {
            cmd_error_sub_args(ctx);
            return;
        }
        full = 1;
        if (ctx->argc == 6 && util_eq_nocase(ctx->argv[4], "COUNT")) {
            if (util_parse_ll(ctx->argv[5].p, ctx->argv[5].len, &count) < 0) {
                cmd_error_not_integer(ctx);
                return;
            }
            if (count < 0) /* Redis: a negative COUNT means the default */
                count = 10;
        } else if (ctx->argc != 4) {
            cmd_error_sub_args(ctx);
            return;
        }
    }
    if (full)
        xinfo_full(ctx, s, count);
    else
        xinfo_plain(ctx, s);
}

void cmd_xinfo_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}
