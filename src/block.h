/*
 * block.h - clients blocked on keys (XREAD / XREADGROUP BLOCK).
 *
 * Model (as Redis 7+): a blocking command that finds nothing to serve
 * calls block_client() with its keys, its deadline and the argv to re-run
 * (with "$" already replaced by concrete IDs).  When a watched key is
 * modified, the key becomes "ready"; block_serve_ready() (before sleep)
 * re-runs the stored command of each client blocked on it, in blocking
 * order.  A re-run that still finds nothing blocks again, keeping its
 * original deadline.  A re-run that errors (key changed type, group
 * destroyed) replies the error and unblocks.  At the deadline the client
 * gets a null array.  CLIENT UNBLOCK ends it early.
 */
#ifndef WEIR_BLOCK_H
#define WEIR_BLOCK_H

#include <stdint.h>

#include "cmd.h"

struct core;
struct client;
struct db;

/* Block ctx->client on keys until deadline_ms (0 = forever).  argv is
 * copied.  Returns 0, or -1 when blocking is not possible (inside EXEC or
 * while loading): the caller must then reply as on a timeout. */
int block_client(struct cmd_ctx *ctx, const struct slice *keys, int nkeys, int64_t timeout_ms,
                 int argc, const struct slice *argv);
/* A key changed: if clients wait on it, queue it for serving. */
void block_signal_key(struct core *core, struct db *db, struct slice key);
/* Every key of db with waiters becomes ready (FLUSHDB, FLUSHALL, SWAPDB:
 * re-runs then see the new contents, e.g. NOGROUP for XREADGROUP). */
void block_signal_db(struct core *core, int dbid);
/* Free the wait lists (server teardown; clients must be removed first). */
void block_free_all(struct core *core);
/* Serve queued ready keys; returns the clients that were unblocked via
 * cb (so the server can flush their replies and resume their input). */
void block_serve_ready(struct core *core, void (*unblocked)(void *priv, struct client *c),
                       void *priv);
/* Time out clients whose deadline passed; reports each via cb. */
void block_expire(struct core *core, int64_t now_ms,
                  void (*unblocked)(void *priv, struct client *c), void *priv);
/* Earliest deadline among blocked clients, or -1. */
int64_t block_next_deadline(const struct core *core);
/* Remove a client from every wait list without replying (disconnect). */
void block_remove(struct core *core, struct client *c);
/* CLIENT UNBLOCK: reply as a timeout (error == 0) or with the UNBLOCKED
 * error.  Returns 1 if the client was blocked. */
int block_unblock(struct core *core, struct client *c, int error);
size_t block_count_clients(const struct core *core);
size_t block_count_keys(const struct core *core);

#endif
