/*
 * multi.h - transactions (MULTI/EXEC/DISCARD) and optimistic locking
 * (WATCH/UNWATCH).
 *
 * Watched keys are kept in core->watched_keys: (db id, key) -> the list of
 * watching clients.  Any modification of a key (db hook) marks its
 * watchers CLIENT_DIRTY_CAS; EXEC of a dirty client fails with a null.
 */
#ifndef WEIR_MULTI_H
#define WEIR_MULTI_H

#include "cmd.h"

struct core;
struct client;
struct db;

/* Should d be queued while in MULTI (everything but EXEC, DISCARD,
 * MULTI, WATCH, QUIT, RESET)? */
int multi_should_queue(const struct cmd_def *d);
/* Queue ctx's command (copying argv) and reply +QUEUED. */
void multi_queue(struct cmd_ctx *ctx);
/* A command failed to queue: EXEC will abort. */
void multi_flag_error(struct client *c);
/* Free the queue and watches of a client (disconnect, RESET). */
void multi_reset_client(struct core *core, struct client *c);
/* Key modified: mark its watchers dirty. */
void multi_touch_key(struct core *core, int dbid, struct slice key);
/* Every watched key of db (that exists in it or in `other`, if non-NULL)
 * is touched: FLUSHDB, FLUSHALL, SWAPDB. */
void multi_touch_db(struct core *core, struct db *db, struct db *other);

#endif
