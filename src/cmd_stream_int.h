/*
 * cmd_stream_int.h - helpers shared by the stream command files
 * (cmd_stream.c, cmd_xread.c, cmd_cgroup.c).  Not for other modules.
 */
#ifndef WEIR_CMD_STREAM_INT_H
#define WEIR_CMD_STREAM_INT_H

#include "cmd.h"
#include "db.h"
#include "stream.h"
#include "stream_cg.h"

#define ERR_INVALID_ID "ERR Invalid stream ID specified as stream command argument"

/* Look key up as a stream: returns the stream, or NULL with *wrongtype
 * set (after replying WRONGTYPE) or clear (key missing). */
struct stream *xs_lookup(struct cmd_ctx *ctx, struct slice key, int *wrongtype);
/* Create an empty stream at key (IDMP settings from the server defaults). */
struct stream *xs_create(struct cmd_ctx *ctx, struct slice key);
/* Strict ID ("-"/"+" rejected); replies the invalid-ID error on failure. */
int xs_parse_id(struct cmd_ctx *ctx, struct slice a, uint64_t missing_seq, struct stream_id *id);
/* Range bound: "-", "+", "(" exclusive, incomplete "ms". */
int xs_parse_range_id(struct cmd_ctx *ctx, struct slice a, uint64_t missing_seq,
                      struct stream_id *id, int *exclusive);
/* Write one entry: [id, [f1, v1, ...]]. */
void xs_reply_entry(struct resp_out *o, struct stream_id id, const struct slice *fv, size_t npairs);
void xs_reply_id(struct resp_out *o, struct stream_id id);
/* Write entries of [start, end] (rev: reverse), at most count (0 = all);
 * returns how many were written. */
size_t xs_reply_range(struct resp_out *o, struct stream *s, struct stream_id start,
                      struct stream_id end, long long count, int rev);
/* Parse KEEPREF/DELREF/ACKED (case-insensitive); returns -1 if a is none. */
int xs_parse_policy(struct slice a);
/* Remove entry id under policy; returns 1 deleted, 2 kept (referenced),
 * -1 not found. */
int xs_delete_with_policy(struct stream *s, struct stream_id id, int policy);
/* Parse "IDS numids id..." at argv[*i]; on success *first/ *n give the
 * ID arguments and *i moves past them. */
int xs_parse_ids_block(struct cmd_ctx *ctx, int *i, int *first, long long *n);
/* XINFO STREAM FULL's "groups" value: the array of group maps, each PEL
 * and consumer list limited to count (0 = all).  Consumer-group code. */
void xinfo_full_groups(struct cmd_ctx *ctx, struct stream *s, long long count);
/* BLOCK ms of XREAD/XREADGROUP: a non-negative integer whose deadline
 * does not overflow; replies the error otherwise. */
int xs_parse_timeout(struct cmd_ctx *ctx, struct slice a, long long *out);
/* Stream limits from the configuration. */
struct stream_limits xs_limits(struct cmd_ctx *ctx);

#endif
