/*
 * dict.h - hash table from binary-safe keys to void* values.
 *
 * Chained buckets, power-of-two sizes, incremental rehashing (a few buckets
 * moved on every write and on dict_rehash_step) so that no single call
 * pays for a full resize.  Keys are copied into the entry (one allocation
 * per entry: next pointer, value, key length, key bytes).  Values are
 * borrowed: the dict never frees them except through dict_free's callback.
 *
 * Hash: XXH3-64 (libxxhash) with a per-process random seed.
 *
 * dict_scan follows the reverse-binary cursor contract of Redis SCAN:
 * every element present for the whole scan is returned at least once,
 * even across resizes; cursor 0 starts and ends the scan.
 */
#ifndef WEIR_DICT_H
#define WEIR_DICT_H

#include <stddef.h>
#include <stdint.h>

struct dict;
struct dict_entry;

struct dict *dict_new(void);
/* Free the table (d may be NULL); free_val (may be NULL) is called on every
 * non-NULL value. */
void dict_free(struct dict *d, void (*free_val)(void *));
/* Remove all entries (calling free_val on each non-NULL value), keep the
 * dict. */
void dict_clear(struct dict *d, void (*free_val)(void *));
size_t dict_size(const struct dict *d);

/* Lookup: the entry or NULL. */
struct dict_entry *dict_find(struct dict *d, const void *key, size_t klen);
/* Insert key if absent.  Returns the (new or existing) entry; *created is
 * set to 1 when a new entry was made (its value is NULL). */
struct dict_entry *dict_upsert(struct dict *d, const void *key, size_t klen, int *created);
/* Remove key; returns 1 and stores the old value in *old_val (may be NULL)
 * when it existed, 0 otherwise. */
int dict_delete(struct dict *d, const void *key, size_t klen, void **old_val);

const char *dict_entry_key(const struct dict_entry *e, size_t *klen);
void *dict_entry_val(const struct dict_entry *e);
void dict_entry_set_val(struct dict_entry *e, void *val);

/* Convenience wrappers. */
void *dict_get(struct dict *d, const void *key, size_t klen); /* NULL if absent */
/* Set key -> val; returns 1 if inserted, 0 if replaced (old value in *old_val). */
int dict_set(struct dict *d, const void *key, size_t klen, void *val, void **old_val);

/* A uniformly-ish random entry, or NULL when empty. */
struct dict_entry *dict_random(struct dict *d);

/* SCAN step: calls fn for every entry of the bucket(s) at cursor, returns
 * the next cursor (0 when done). */
typedef void (*dict_scan_fn)(void *priv, const struct dict_entry *e);
uint64_t dict_scan(struct dict *d, uint64_t cursor, dict_scan_fn fn, void *priv);

/* Iterator.  Deleting the entry last returned by dict_next is allowed;
 * any other insert/delete during iteration is not.  Rehashing pauses while
 * an iterator is live (dict_iter_done must be called). */
struct dict_iter {
    struct dict *d;
    int table;
    size_t index;
    struct dict_entry *entry, *next;
};
void dict_iter_init(struct dict_iter *it, struct dict *d);
struct dict_entry *dict_next(struct dict_iter *it);
void dict_iter_done(struct dict_iter *it);

/* Memory-latency hiding for batches of lookups (pipelined requests):
 * stage 0 prefetches key's bucket slot, stage 1 the first entry of that
 * bucket, stage 2 that entry's value.  Run each stage over the whole batch
 * before the next.  Only a hint: no effect while rehashing. */
void dict_prefetch(const struct dict *d, const void *key, size_t klen, int stage);

/* Do up to n bucket moves of a pending rehash; returns 1 if more remain. */
int dict_rehash_step(struct dict *d, int n);
/* Bytes used by the table and its entries (keys included, values not). */
size_t dict_mem_usage(const struct dict *d);

#endif
