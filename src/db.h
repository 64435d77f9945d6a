/*
 * db.h - the keyspace: numbered databases of key -> obj, with expiry.
 *
 * Each db has two dicts: keys (key -> struct obj*) and expires (key ->
 * absolute ms stored in the value pointer).  Lookups apply lazy expiry
 * (a key past its time is deleted on access, unless the caller asks not
 * to).  db_active_expire samples keys with a TTL from the cron.
 *
 * Modification hooks: every write calls db_touch_key (for WATCH) through
 * the caller; db does not know clients.  The registered hooks let the
 * blocking and watch modules react without db knowing them.
 */
#ifndef WEIR_DB_H
#define WEIR_DB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "obj.h"

struct dict;

struct db {
    int id;
    struct dict *keys;
    struct dict *expires;
    uint64_t avg_ttl;        /* INFO keyspace avg_ttl estimate */
    uint64_t expires_cursor; /* active expiry scan cursor */
};

/* Hooks set once by the server; any may be NULL. */
struct db_hooks {
    /* a key's value changed, was deleted, or expired (WATCH, blocking) */
    void (*key_modified)(void *priv, struct db *db, struct slice key);
    /* a key was deleted because its TTL passed (stats, propagation as DEL) */
    void (*key_expired)(void *priv, struct db *db, struct slice key);
    /* db_flush is about to drop every key of db (called only when the db
     * is not empty, before anything is freed: WATCH invalidation) */
    void (*db_flushed)(void *priv, struct db *db);
    /* db_swap exchanged the contents of a and b (WATCH, blocked clients) */
    void (*db_swapped)(void *priv, struct db *a, struct db *b);
    void *priv;
};

struct db *db_new_array(int n);
void db_free_array(struct db *dbs, int n);
void db_set_hooks(const struct db_hooks *h);
/* Clock used for expiry decisions (cached per command by the server). */
void db_set_now(int64_t now_ms);
int64_t db_now(void);
/* When set (replaying the AOF), lazy expiry does not delete keys. */
void db_set_no_expire(int on);

/* When set (a CLIENT NO-TOUCH caller), db_lookup leaves access times. */
void db_set_no_touch(int on);
/* Seconds clock stored in obj->lru (derived from db_now()). */
uint32_t db_lru_clock(void);

/* Lookup with lazy expiry; NULL when absent.  Updates the access time.
 * The key bytes must not point into the db itself (lazy expiry may free
 * the entry before the hooks are told). */
struct obj *db_lookup(struct db *db, struct slice key);
/* Same, but never updates the access time (TYPE, TTL, OBJECT, ...). */
struct obj *db_peek(struct db *db, struct slice key);
/* Has key a TTL already past (and lazy expiry is enabled)?  Never deletes. */
int db_is_expired(struct db *db, struct slice key);
/* Insert or overwrite; the db takes ownership of val, frees any old value.
 * keep_ttl == 0 removes an existing TTL (SET semantics). */
void db_set(struct db *db, struct slice key, struct obj *val, int keep_ttl);
/* Add a key that must not exist (caller checked). */
void db_add(struct db *db, struct slice key, struct obj *val);
/* Replace the value pointer in place (after obj_string_resize moved it). */
void db_replace(struct db *db, struct slice key, struct obj *val);
/* Delete; returns 1 if it existed (and was not expired). */
int db_delete(struct db *db, struct slice key);
/* Detach a value without freeing it (RENAME/MOVE); returns NULL if absent.
 * The TTL, if any, is returned in *expire (-1 if none). */
struct obj *db_take(struct db *db, struct slice key, int64_t *expire);

int64_t db_get_expire(struct db *db, struct slice key); /* -1 if none */
void db_set_expire(struct db *db, struct slice key, int64_t when_ms);
int db_persist(struct db *db, struct slice key); /* 1 if a TTL was removed */

size_t db_size(const struct db *db);
size_t db_expires_size(const struct db *db);
void db_flush(struct db *db);
void db_swap(struct db *a, struct db *b);
/* Random live key (NULL when empty); key bytes valid until next write. */
const char *db_random_key(struct db *db, size_t *klen);
/* Active expiry: sample up to effort*20 keys with a TTL (resuming a scan
 * cursor over `expires`), delete those past their time; returns the
 * number expired.  effort is active-expire-effort (1..10). */
size_t db_active_expire(struct db *db, int effort);
/* Prefetch hint for a batch of lookups (see dict_prefetch). */
void db_prefetch(const struct db *db, struct slice key, int stage);
/* Tell the modification hook (WATCH / wake-ups). */
void db_signal_modified(struct db *db, struct slice key);

#endif
