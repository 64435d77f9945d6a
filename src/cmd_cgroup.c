/*
 * cmd_cgroup.c - consumer-group commands (XGROUP, XREADGROUP, XACK,
 * XPENDING, XCLAIM, XAUTOCLAIM, XNACK, XACKDEL, XINFO GROUPS/CONSUMERS)
 * and the group part of XINFO STREAM FULL.
 *
 * Until the consumer-group commands land a stream has no groups, so the
 * FULL form's "groups" value is the empty array Redis replies then.
 */
#include "cmd_stream_int.h"

void xinfo_full_groups(struct cmd_ctx *ctx, struct stream *s, long long count)
{
    (void)s, (void)count;
    resp_array(ctx->out, 0);
}
