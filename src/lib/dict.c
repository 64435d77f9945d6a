/*
 * dict.c - chained hash table with incremental rehashing; see dict.h.
 *
 * Layout: two bucket arrays.  tab[0] is the live table; while a resize is
 * in progress tab[1] is the destination and rehash_idx is the first
 * bucket of tab[0] not yet moved (all buckets below it are empty).  New
 * entries always go to tab[1] during a rehash, so tab[0] only drains.
 *
 * Sizing: bucket counts are powers of two, at least DICT_MIN_BUCKETS.  A
 * table grows (doubles) when an insert finds used >= buckets and shrinks
 * to the smallest power of two >= used when a delete leaves it less than
 * 1/8 full.  Each insert/delete moves one bucket; dict_rehash_step lets
 * the server cron drive the rest.  Lookups never move buckets, so GET
 * stays a pure read.
 *
 * Live iterators (and dict_scan while it calls back) hold d->paused > 0,
 * which freezes rehashing and resizing so bucket positions stay put.
 *
 * Entries are one allocation: header plus the key bytes plus a NUL.  The
 * bytes of all live entries are tracked incrementally so that
 * dict_mem_usage is O(1).
 */
#include "lib/dict.h"

#include "lib/mem.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define DICT_MIN_BUCKETS 4
#define DICT_SHRINK_RATIO 8
#define DICT_EMPTY_VISITS 10 /* empty buckets skipped per bucket move */

struct dict_entry {
    struct dict_entry *next;
    void *val;
    uint32_t klen;
    char key[];
};

struct dict {
    struct dict_entry **tab[2];
    size_t mask[2]; /* buckets - 1; meaningless when tab[i] is NULL */
    size_t used[2];
    size_t rehash_idx;  /* valid while tab[1] != NULL */
    size_t entry_bytes; /* mem_size() sum of all entries */
    int paused;         /* live iterators / scans */
};

static uint64_t hash_seed;
static int hash_seed_set;

static inline uint64_t dict_hash(const void *key, size_t klen)
{
    return XXH3_64bits_withSeed(key, klen, hash_seed);
}

static inline int is_rehashing(const struct dict *d)
{
    return d->tab[1] != NULL;
}

struct dict *dict_new(void)
{
    if (!hash_seed_set) {
        hash_seed = util_random();
        hash_seed_set = 1;
    }
    return mem_calloc(sizeof(struct dict));
}

size_t dict_size(const struct dict *d)
{
    return d->used[0] + d->used[1];
}

/* ---- entries ----------------------------------------------------------- */

static struct dict_entry *entry_new(struct dict *d, const void *key, size_t klen)
{
    struct dict_entry *e;

    if (klen > UINT32_MAX) {
        fprintf(stderr, "weir: dict key too long (%zu bytes)\n", klen);
        abort();
    }
    e = mem_alloc(offsetof(struct dict_entry, key) + klen + 1);
    e->val = NULL;
    e->klen = (uint32_t)klen;
    if (klen)
        memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    d->entry_bytes += mem_size(e);
    return e;
}

static void entry_free(struct dict *d, struct dict_entry *e)
{
    d->entry_bytes -= mem_size(e);
    mem_free(e);
}

const char *dict_entry_key(const struct dict_entry *e, size_t *klen)
{
    if (klen)
        *klen = e->klen;
    return e->key;
}

void *dict_entry_val(const struct dict_entry *e)
{
    return e->val;
}

void dict_entry_set_val(struct dict_entry *e, void *val)
{
    e->val = val;
}

/* ---- rehashing --------------------------------------------------------- */

static size_t buckets_for(size_t n)
{
    size_t b = DICT_MIN_BUCKETS;

    while (b < n)
        b <<= 1;
    return b;
}

static void finish_rehash(struct dict *d)
{
    mem_free(d->tab[0]);
    d->tab[0] = d->tab[1];
    d->mask[0] = d->mask[1];
    d->used[0] = d->used[1];
    d->tab[1] = NULL;
    d->mask[1] = 0;
    d->used[1] = 0;
    d->rehash_idx = 0;
}

/* Install tab[1], the table tab[0] drains into; tab[0] must exist. */
static void start_resize(struct dict *d, size_t buckets)
{
    if (buckets == d->mask[0] + 1)
        return;
    d->tab[1] = mem_calloc(buckets * sizeof(struct dict_entry *));
    d->mask[1] = buckets - 1;
    d->used[1] = 0;
    d->rehash_idx = 0;
    if (d->used[0] == 0)
        finish_rehash(d);
}

static void move_bucket(struct dict *d, size_t idx)
{
    struct dict_entry *e = d->tab[0][idx], *next;

    while (e) {
        size_t to = dict_hash(e->key, e->klen) & d->mask[1];
        next = e->next;
        e->next = d->tab[1][to];
        d->tab[1][to] = e;
        d->used[0]--;
        d->used[1]++;
        e = next;
    }
    d->tab[0][idx] = NULL;
}

/* Called before an insert: allocate the first table or start growing. */
static void grow_if_needed(struct dict *d)
{
    if (d->tab[0] == NULL) {
        d->tab[0] = mem_calloc(DICT_MIN_BUCKETS * sizeof(struct dict_entry *));
        d->mask[0] = DICT_MIN_BUCKETS - 1;
        return;
    }
    if (!is_rehashing(d) && !d->paused && d->used[0] >= d->mask[0] + 1)
        start_resize(d, (d->mask[0] + 1) * 2);
}

/* Called after a delete: start shrinking a sparse table. */
static void shrink_if_needed(struct dict *d)
{
    size_t buckets;

    if (d->tab[0] == NULL || is_rehashing(d) || d->paused)
        return;
    buckets = d->mask[0] + 1;
    if (buckets > DICT_MIN_BUCKETS && d->used[0] * DICT_SHRINK_RATIO < buckets)
        start_resize(d, buckets_for(d->used[0]));
}

int dict_rehash_step(struct dict *d, int n)
{
    size_t empty_left = (size_t)(n > 0 ? n : 0) * DICT_EMPTY_VISITS;

    if (!is_rehashing(d))
        return 0;
    if (d->paused)
        return 1;
    while (n > 0 && d->used[0] != 0) {
        while (d->tab[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (empty_left-- == 0)
                return 1;
        }
        move_bucket(d, d->rehash_idx++);
        n--;
    }
    if (d->used[0] == 0) {
        finish_rehash(d);
        /* Deletes during a shrink may leave the new table sparse too. */
        shrink_if_needed(d);
        return is_rehashing(d);
    }
    return 1;
}

/* ---- lookup / insert / delete ------------------------------------------ */

static inline int key_eq(const struct dict_entry *e, const void *key, size_t klen)
{
    /* klen == 0 skips memcmp so that a NULL key pointer is fine. */
    return e->klen == klen && (klen == 0 || memcmp(e->key, key, klen) == 0);
}

/* Address of the link pointing at key's entry (NULL if absent); the
 * table holding it goes to *table. */
static struct dict_entry **find_link(struct dict *d, const void *key, size_t klen, uint64_t h,
                                     int *table)
{
    for (int t = 0; t < 2; t++) {
        size_t idx = h & d->mask[t];
        struct dict_entry **link;

        if (t == 0 && is_rehashing(d) && idx < d->rehash_idx)
            continue; /* already moved: that bucket is empty */
        for (link = &d->tab[t][idx]; *link; link = &(*link)->next) {
            if (key_eq(*link, key, klen)) {
                *table = t;
                return link;
            }
        }
        if (!is_rehashing(d))
            break;
    }
    return NULL;
}

void dict_prefetch(const struct dict *d, const void *key, size_t klen, int stage)
{
    if (!d->tab[0] || d->tab[1] || d->used[0] == 0)
        return;
    struct dict_entry *const *slot = &d->tab[0][dict_hash(key, klen) & d->mask[0]];
    if (stage == 0) {
        __builtin_prefetch(slot);
    } else if (*slot) {
        if (stage == 1)
            __builtin_prefetch(*slot);
        else
            __builtin_prefetch((*slot)->val);
    }
}

struct dict_entry *dict_find(struct dict *d, const void *key, size_t klen)
{
    struct dict_entry **link;
    int t;

    if (dict_size(d) == 0)
        return NULL;
    link = find_link(d, key, klen, dict_hash(key, klen), &t);
    return link ? *link : NULL;
}

void *dict_get(struct dict *d, const void *key, size_t klen)
{
    struct dict_entry *e = dict_find(d, key, klen);

    return e ? e->val : NULL;
}

struct dict_entry *dict_upsert(struct dict *d, const void *key, size_t klen, int *created)
{
    uint64_t h = dict_hash(key, klen);
    struct dict_entry **link, *e;
    int t;

    if (is_rehashing(d))
        dict_rehash_step(d, 1);
    if (dict_size(d) != 0) {
        link = find_link(d, key, klen, h, &t);
        if (link) {
            if (created)
                *created = 0;
            return *link;
        }
    }
    grow_if_needed(d);
    t = is_rehashing(d) ? 1 : 0;
    e = entry_new(d, key, klen);
    link = &d->tab[t][h & d->mask[t]];
    e->next = *link;
    *link = e;
    d->used[t]++;
    if (created)
        *created = 1;
    return e;
}

int dict_set(struct dict *d, const void *key, size_t klen, void *val, void **old_val)
{
    int created;
    struct dict_entry *e = dict_upsert(d, key, klen, &created);

    if (!created && old_val)
        *old_val = e->val;
    e->val = val;
    return created;
}

int dict_delete(struct dict *d, const void *key, size_t klen, void **old_val)
{
    struct dict_entry **link, *e;
    uint64_t h;
    int t;

    if (dict_size(d) == 0)
        return 0;
    h = dict_hash(key, klen);
    if (is_rehashing(d))
        dict_rehash_step(d, 1);
    link = find_link(d, key, klen, h, &t);
    if (!link)
        return 0;
    e = *link;
    *link = e->next;
    d->used[t]--;
    if (old_val)
        *old_val = e->val;
    entry_free(d, e);
    shrink_if_needed(d);
    return 1;
}

/* ---- whole-table operations -------------------------------------------- */

static void free_table(struct dict *d, int t, void (*free_val)(void *))
{
    size_t left = d->used[t];

    if (d->tab[t] == NULL)
        return;
    for (size_t i = 0; left > 0 && i <= d->mask[t]; i++) {
        struct dict_entry *e = d->tab[t][i], *next;
        for (; e; e = next, left--) {
            next = e->next;
            if (free_val && e->val)
                free_val(e->val);
            entry_free(d, e);
        }
    }
    mem_free(d->tab[t]);
    d->tab[t] = NULL;
    d->mask[t] = 0;
    d->used[t] = 0;
}

void dict_clear(struct dict *d, void (*free_val)(void *))
{
    free_table(d, 0, free_val);
    free_table(d, 1, free_val);
    d->rehash_idx = 0;
}

void dict_free(struct dict *d, void (*free_val)(void *))
{
    if (!d)
        return;
    dict_clear(d, free_val);
    mem_free(d);
}

size_t dict_mem_usage(const struct dict *d)
{
    return mem_size(d) + mem_size(d->tab[0]) + mem_size(d->tab[1]) + d->entry_bytes;
}

/* ---- random ------------------------------------------------------------ */

#define RANDOM_PROBES 32

/* Bucket number r counted over the live part of the table(s): the
 * unmoved buckets of tab[0] first, then tab[1]. */
static struct dict_entry *live_bucket(struct dict *d, size_t r)
{
    size_t n0;

    if (!is_rehashing(d))
        return d->tab[0][r];
    n0 = d->mask[0] + 1 - d->rehash_idx;
    return r < n0 ? d->tab[0][d->rehash_idx + r] : d->tab[1][r - n0];
}

static size_t live_buckets(const struct dict *d)
{
    if (!is_rehashing(d))
        return d->mask[0] + 1;
    return d->mask[0] + 1 - d->rehash_idx + d->mask[1] + 1;
}

struct dict_entry *dict_random(struct dict *d)
{
    struct dict_entry *e = NULL;
    size_t n, r = 0, len = 0;

    if (dict_size(d) == 0)
        return NULL;
    if (is_rehashing(d))
        dict_rehash_step(d, 1);
    n = live_buckets(d);
    /* Random probes are unbiased; a sparse table falls back to walking
     * forward from the last probe, which always terminates. */
    for (int k = 0; k < RANDOM_PROBES && !e; k++) {
        r = util_random() % n;
        e = live_bucket(d, r);
    }
    while (!e) {
        r = (r + 1) % n;
        e = live_bucket(d, r);
    }
    for (struct dict_entry *c = e; c; c = c->next)
        len++;
    for (r = util_random() % len; r > 0; r--)
        e = e->next;
    return e;
}

/* ---- scan -------------------------------------------------------------- */

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    v = ((v >> 8) & 0x00ff00ff00ff00ffULL) | ((v & 0x00ff00ff00ff00ffULL) << 8);
    v = ((v >> 16) & 0x0000ffff0000ffffULL) | ((v & 0x0000ffff0000ffffULL) << 16);
    return (v >> 32) | (v << 32);
}

/* Increment the cursor's bits under mask, most significant bit first. */
static uint64_t cursor_next(uint64_t v, size_t mask)
{
    v |= ~(uint64_t)mask;
    return rev64(rev64(v) + 1);
}

static void scan_bucket(const struct dict_entry *e, dict_scan_fn fn, void *priv)
{
    while (e) {
        const struct dict_entry *next = e->next;
        fn(priv, e);
        e = next;
    }
}

/*
 * The cursor walks bucket indexes in bit-reversed order.  Growing a table
 * from 2^n to 2^m buckets splits bucket i into the buckets whose low n bits
 * are i, and those all come after i in reversed order, so nothing visited
 * is revisited and nothing unvisited is skipped; shrinking merges buckets
 * and at worst repeats some.  During a rehash both tables are live: visit
 * the small table's bucket, then every bucket of the large one that
 * expands from it, then move on.
 */
uint64_t dict_scan(struct dict *d, uint64_t cursor, dict_scan_fn fn, void *priv)
{
    uint64_t v = cursor;

    if (dict_size(d) == 0)
        return 0;
    d->paused++;
    if (!is_rehashing(d)) {
        scan_bucket(d->tab[0][v & d->mask[0]], fn, priv);
        v = cursor_next(v, d->mask[0]);
    } else {
        int s = d->mask[0] < d->mask[1] ? 0 : 1;
        size_t ms = d->mask[s], ml = d->mask[!s];
        scan_bucket(d->tab[s][v & ms], fn, priv);
        do {
            scan_bucket(d->tab[!s][v & ml], fn, priv);
            v = cursor_next(v, ml);
        } while (v & (ms ^ ml));
    }
    d->paused--;
    return v;
}

/* ---- iterator ---------------------------------------------------------- */

void dict_iter_init(struct dict_iter *it, struct dict *d)
{
    it->d = d;
    it->table = 0;
    /* Buckets of tab[0] below rehash_idx are known to be empty. */
    it->index = is_rehashing(d) ? d->rehash_idx : 0;
    it->entry = NULL;
    it->next = NULL;
    d->paused++;
}

struct dict_entry *dict_next(struct dict_iter *it)
{
    struct dict *d = it->d;

    for (;;) {
        if (it->next) {
            it->entry = it->next;
            it->next = it->entry->next;
            return it->entry;
        }
        if (d->tab[it->table] == NULL || it->index > d->mask[it->table]) {
            if (it->table == 0 && is_rehashing(d)) {
                it->table = 1;
                it->index = 0;
                continue;
            }
            it->entry = NULL;
            return NULL;
        }
        it->next = d->tab[it->table][it->index++];
    }
}

void dict_iter_done(struct dict_iter *it)
{
    struct dict *d = it->d;

    if (!d)
        return;
    it->d = NULL;
    if (--d->paused == 0)
        shrink_if_needed(d);
}
