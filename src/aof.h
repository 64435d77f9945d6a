/*
 * aof.h - the append-only file: durability of every write.
 *
 * File formats (manifest and AOF grammar): see aof_int.h.  Modules:
 *   aof.c          the live log: feeding, writing, fsync policies, the
 *                  fsync thread, disk errors, rewrite orchestration,
 *                  INFO, shutdown
 *   aof_load.c     manifest parsing/persisting, scanning files, replay
 *   aof_rewrite.c  the rewrite child's dataset dump, XIDMPCOUNTERS
 *
 * Write path and reply ordering
 * -----------------------------
 * Every propagated command reaches aof_feed() (core->prop.feed) while its
 * handler runs; it is appended in RESP to an in-memory buffer, preceded
 * by SELECT when the database differs from the previous command's.  The
 * server calls aof_before_sleep() once per event-loop iteration, before
 * it writes any reply: the buffer is written with one write(), and with
 * appendfsync always fsynced (fdatasync) once for every client of the
 * iteration.  A client whose commands fed the log (aof_note_writer) gets
 * no reply bytes until its data is "durable": written (everysec, no) or
 * written and fsynced (always).  If that cannot happen now (disk error,
 * or an everysec write postponed behind a slow background fsync), the
 * server keeps such clients' replies back (aof_must_hold) and other
 * clients are served normally; held clients are handed back through the
 * release callback once their data is durable.
 *
 * Thread model
 * ------------
 * The event loop thread does everything except fsync for everysec: one
 * background thread runs queued jobs (fdatasync of the current file,
 * fsync+close of a file that was rotated away, unlink of old files).
 * The loop only ever looks at two atomics of that thread (jobs pending,
 * last fsync errno).  With everysec, if a background fsync is still
 * running when new data must be written, the write is postponed (the
 * loop is not blocked) for up to 2 seconds, then done anyway, counted in
 * aof_delayed_fsync: Redis's rule.
 *
 * Disk errors
 * -----------
 * A failed or short write is undone with ftruncate() to the last good
 * size and the data stays buffered; a failed fsync under always keeps
 * the data too and the next attempt writes it again at the same offset
 * before fsyncing (a failed fsync may have dropped the dirty pages).
 * While an error is latched, aof_write_ok() is 0: the dispatcher refuses
 * write commands with aof_write_error()'s "-MISCONF ..." text; reads go
 * on.  The write is retried every 100 ms; on success the error clears
 * and service resumes.  Nothing acknowledged is lost: no reply of a
 * writer leaves before its data is durable.
 *
 * Rewrite
 * -------
 * aof_bgrewrite(): the buffer is flushed, a new incremental file is
 * opened and recorded in the manifest (so writes from here on go to it),
 * then a child is forked that writes the dataset as commands to
 * temp-rewriteaof-bg-<pid>.aof and fsyncs it.  When the child succeeds
 * (aof_cron reaps it), the file is renamed to the next base name and the
 * manifest is replaced by {new base, incremental files opened since the
 * rewrite began}; the old files are deleted.  A failed rewrite leaves
 * the previous manifest in force.
 */
#ifndef WEIR_AOF_H
#define WEIR_AOF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/util.h"

struct aof;
struct core;

/* Create the AOF state for core (reads core->cfg; nothing is opened). */
struct aof *aof_create(struct core *core);
void aof_free(struct aof *a);

/* At start-up, before listening: when appendonly is yes, load the log
 * (manifest, base, incremental files) through the command dispatcher
 * and open the last incremental file for appending (creating the
 * directory and a first base/incremental pair when there is none).
 * Returns -1 when the server must not start (corrupt file, unreadable
 * directory, ...); the reason has been logged. */
int aof_start(struct aof *a);

/* core->prop.feed: append one propagated command (priv is the aof). */
void aof_feed(void *priv, int dbid, int argc, const struct slice *argv);

/* Reply ordering (see above).  mark = aof_fed_mark() before a client's
 * commands run; aof_note_writer() afterwards remembers the client if its
 * commands fed the log. */
uint64_t aof_fed_mark(const struct aof *a);
void aof_note_writer(struct aof *a, void *client, uint64_t mark);
/* Once per loop iteration, before replies: write (and fsync) the buffer,
 * run policy work, hand back held clients whose data is now durable
 * through release().  Returns the longest the loop may sleep before the
 * next call (ms), or -1 for no limit. */
long aof_before_sleep(struct aof *a, void (*release)(void *priv, void *client), void *priv);
/* Must this client's output wait (its data is not durable yet)? */
int aof_must_hold(struct aof *a, const void *client);
/* The client is being freed. */
void aof_forget_client(struct aof *a, const void *client);

/* Server cron (every tick): reap the rewrite child, start automatic
 * rewrites, everysec fsync scheduling, retries after disk errors. */
void aof_cron(struct aof *a);

/* BGREWRITEAOF; -1 with the reason (no "ERR " prefix) in err. */
int aof_bgrewrite(struct aof *a, char *err, size_t errlen);
/* DEBUG LOADAOF / DEBUG RELOAD: flush and fsync the log, empty every
 * database and load the log again.  -1 with the reason in err. */
int aof_reload(struct aof *a, char *err, size_t errlen);
/* SHUTDOWN: write and fsync everything, stop a rewrite child, close. */
void aof_shutdown(struct aof *a);

/* INFO persistence: the aof_* lines, from aof_enabled on, in Redis's
 * order (aof_current_size ... when enabled).  a == NULL: the instance
 * of aof_create (or a disabled AOF's lines when there is none). */
void aof_info(const struct aof *a, struct buf *b);

/* For the dispatcher: 0 while a write or fsync error is latched (write
 * commands must then be refused with aof_write_error()). */
int aof_write_ok(void);
/* "MISCONF Errors writing to the AOF file: <strerror>" */
const char *aof_write_error(void);

/* Adapters for core's action pointers (use the instance of aof_create). */
int aof_core_bgrewrite(struct core *core, char *err, size_t errlen);
int aof_core_reload(struct core *core, char *err, size_t errlen);
/* DEBUG RELOAD: the whole dataset makes a round trip through its persisted
 * form (the rewrite's command form, in a temporary file of the working
 * directory) and is loaded back, as Redis's RELOAD does through an RDB
 * file.  Works with or without appendonly; the AOF itself is untouched. */
int aof_debug_reload(struct core *core, char *err, size_t errlen);

/* weir-check-aof: check (and with fix, truncate) an AOF directory given
 * its manifest path, or a single AOF file.  Prints a report to stdout;
 * returns the process exit status. */
int aof_check_main(int argc, char **argv);

#endif
