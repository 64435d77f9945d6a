/*
 * db.c - the keyspace: key -> obj dicts with millisecond expiry; see db.h.
 *
 * Every db holds two dicts.  `keys` maps a key to its struct obj; `expires`
 * maps the same key to its absolute expiry time in ms, stored directly in
 * the value pointer.  Invariant: every key of `expires` is in `keys`.
 *
 * Expiry is lazy (a lookup of a key past its time deletes it first) and
 * active (db_active_expire walks `expires` with a scan cursor from the
 * cron, deleting what is due).  An expiry deletion tells the key_expired
 * hook and then the key_modified hook; every other mutation tells only
 * key_modified.  Hooks always receive key bytes that outlive the call:
 * when the key lives inside a dict entry about to be freed, it is copied
 * first.
 *
 * The clock is cached by the server per command (db_set_now), so that a
 * key cannot expire half way through a command or a transaction.
 */
#include "db.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/mem.h"

#define KEY_STACK_BYTES 256
#define SAMPLES_PER_EFFORT 20
#define SCAN_STEPS_PER_SAMPLE 10
#define AVG_TTL_WEIGHT 50

static struct db_hooks hooks;
static int64_t cached_now;
static int no_expire;
static int no_touch;

static inline void *when_to_val(int64_t when)
{
    return (void *)(intptr_t)when;
}

static inline int64_t val_to_when(const void *v)
{
    return (int64_t)(intptr_t)v;
}

/* ---- hooks, clock, modes ------------------------------------------------ */

void db_set_hooks(const struct db_hooks *h)
{
    if (h)
        hooks = *h;
    else
        memset(&hooks, 0, sizeof(hooks));
}

void db_set_now(int64_t now_ms)
{
    cached_now = now_ms;
}

int64_t db_now(void)
{
    return cached_now ? cached_now : util_mstime();
}

void db_set_no_expire(int on)
{
    no_expire = on;
}

void db_set_no_touch(int on)
{
    no_touch = on;
}

uint32_t db_lru_clock(void)
{
    return (uint32_t)(db_now() / 1000);
}

void db_signal_modified(struct db *db, struct slice key)
{
    if (hooks.key_modified)
        hooks.key_modified(hooks.priv, db, key);
}

/* ---- databases ---------------------------------------------------------- */

struct db *db_new_array(int n)
{
    struct db *dbs = mem_calloc(sizeof(struct db) * (size_t)(n > 0 ? n : 1));

    for (int i = 0; i < n; i++) {
        dbs[i].id = i;
        dbs[i].keys = dict_new();
        dbs[i].expires = dict_new();
    }
    return dbs;
}

void db_free_array(struct db *dbs, int n)
{
    if (!dbs)
        return;
    for (int i = 0; i < n; i++) {
        dict_free(dbs[i].expires, NULL);
        dict_free(dbs[i].keys, obj_free_void);
    }
    mem_free(dbs);
}

/* ---- expiry internals --------------------------------------------------- */

/* Delete a key whose TTL passed; tell key_expired, then key_modified. */
static void delete_expired(struct db *db, struct slice key)
{
    void *old;

    if (dict_delete(db->keys, key.p, key.len, &old))
        obj_free(old);
    dict_delete(db->expires, key.p, key.len, NULL);
    if (hooks.key_expired)
        hooks.key_expired(hooks.priv, db, key);
    db_signal_modified(db, key);
}

/* Lazy expiry: delete key if its time has come; returns 1 if it did. */
static int expire_if_needed(struct db *db, struct slice key)
{
    struct dict_entry *e;

    if (no_expire || dict_size(db->expires) == 0)
        return 0;
    e = dict_find(db->expires, key.p, key.len);
    if (!e || val_to_when(dict_entry_val(e)) > db_now())
        return 0;
    delete_expired(db, key);
    return 1;
}

/* expire_if_needed for key bytes that live inside the db: use a copy. */
static int expire_if_needed_copy(struct db *db, const char *k, size_t klen)
{
    char stack[KEY_STACK_BYTES];
    char *p = klen <= sizeof(stack) ? stack : mem_alloc(klen);
    int r;

    memcpy(p, k, klen);
    r = expire_if_needed(db, (struct slice){p, klen});
    if (p != stack)
        mem_free(p);
    return r;
}

int db_is_expired(struct db *db, struct slice key)
{
    struct dict_entry *e;

    if (no_expire || dict_size(db->expires) == 0)
        return 0;
    e = dict_find(db->expires, key.p, key.len);
    return e && val_to_when(dict_entry_val(e)) <= db_now();
}

/* ---- lookups and writes ------------------------------------------------- */

static struct obj *lookup(struct db *db, struct slice key, int touch)
{
    struct dict_entry *e = dict_find(db->keys, key.p, key.len);
    struct obj *o;

    if (!e || expire_if_needed(db, key))
        return NULL;
    o = dict_entry_val(e);
    if (touch)
        o->lru = db_lru_clock();
    return o;
}

struct obj *db_lookup(struct db *db, struct slice key)
{
    return lookup(db, key, !no_touch);
}

struct obj *db_peek(struct db *db, struct slice key)
{
    return lookup(db, key, 0);
}

void db_set(struct db *db, struct slice key, struct obj *val, int keep_ttl)
{
    struct dict_entry *e;
    int created;

    expire_if_needed(db, key);
    e = dict_upsert(db->keys, key.p, key.len, &created);
    if (!created) {
        obj_free(dict_entry_val(e));
        if (!keep_ttl && dict_size(db->expires))
            dict_delete(db->expires, key.p, key.len, NULL);
    }
    val->lru = db_lru_clock();
    dict_entry_set_val(e, val);
    db_signal_modified(db, key);
}

void db_add(struct db *db, struct slice key, struct obj *val)
{
    /* Same as an overwrite without TTL: robust if the caller's check was
     * made before a lazy expiry or if the key exists after all. */
    db_set(db, key, val, 0);
}

void db_replace(struct db *db, struct slice key, struct obj *val)
{
    struct dict_entry *e = dict_find(db->keys, key.p, key.len);

    if (e)
        dict_entry_set_val(e, val);
    db_signal_modified(db, key);
}

int db_delete(struct db *db, struct slice key)
{
    void *old;

    if (expire_if_needed(db, key))
        return 0;
    if (!dict_delete(db->keys, key.p, key.len, &old))
        return 0;
    if (dict_size(db->expires))
        dict_delete(db->expires, key.p, key.len, NULL);
    obj_free(old);
    db_signal_modified(db, key);
    return 1;
}

struct obj *db_take(struct db *db, struct slice key, int64_t *expire)
{
    void *old, *when;

    if (expire)
        *expire = -1;
    if (expire_if_needed(db, key))
        return NULL;
    if (!dict_delete(db->keys, key.p, key.len, &old))
        return NULL;
    if (dict_size(db->expires) && dict_delete(db->expires, key.p, key.len, &when) && expire)
        *expire = val_to_when(when);
    db_signal_modified(db, key);
    return old;
}

/* ---- TTLs --------------------------------------------------------------- */

int64_t db_get_expire(struct db *db, struct slice key)
{
    struct dict_entry *e;

    if (dict_size(db->expires) == 0)
        return -1;
    e = dict_find(db->expires, key.p, key.len);
    return e ? val_to_when(dict_entry_val(e)) : -1;
}

void db_set_expire(struct db *db, struct slice key, int64_t when_ms)
{
    struct dict_entry *e;
    int created;

    if (!dict_find(db->keys, key.p, key.len))
        return;
    e = dict_upsert(db->expires, key.p, key.len, &created);
    dict_entry_set_val(e, when_to_val(when_ms));
    db_signal_modified(db, key);
}

int db_persist(struct db *db, struct slice key)
{
    if (dict_size(db->expires) == 0 || !dict_delete(db->expires, key.p, key.len, NULL))
        return 0;
    db_signal_modified(db, key);
    return 1;
}

/* ---- whole-db operations ------------------------------------------------ */

size_t db_size(const struct db *db)
{
    return dict_size(db->keys);
}

size_t db_expires_size(const struct db *db)
{
    return dict_size(db->expires);
}

void db_flush(struct db *db)
{
    if (dict_size(db->keys) && hooks.db_flushed)
        hooks.db_flushed(hooks.priv, db);
    dict_clear(db->expires, NULL);
    dict_clear(db->keys, obj_free_void);
    db->avg_ttl = 0;
    db->expires_cursor = 0;
}

void db_swap(struct db *a, struct db *b)
{
    struct db tmp;

    if (a == b)
        return;
    tmp = *a;
    a->keys = b->keys;
    a->expires = b->expires;
    a->avg_ttl = b->avg_ttl;
    a->expires_cursor = b->expires_cursor;
    b->keys = tmp.keys;
    b->expires = tmp.expires;
    b->avg_ttl = tmp.avg_ttl;
    b->expires_cursor = tmp.expires_cursor;
    if (hooks.db_swapped)
        hooks.db_swapped(hooks.priv, a, b);
}

const char *db_random_key(struct db *db, size_t *klen)
{
    /* Each round either returns or deletes one key, so this ends. */
    for (;;) {
        struct dict_entry *e = dict_random(db->keys);
        const char *k;

        if (!e)
            return NULL;
        k = dict_entry_key(e, klen);
        if (!expire_if_needed_copy(db, k, *klen))
            return k;
    }
}

/* ---- active expiry ------------------------------------------------------ */

struct expire_scan {
    int64_t now;
    size_t sampled;
    struct buf due;   /* keys past their time: size_t length, bytes, ... */
    uint64_t ttl_sum; /* remaining TTLs of the live samples */
    size_t ttl_n;
};

static void expire_scan_cb(void *priv, const struct dict_entry *e)
{
    struct expire_scan *st = priv;
    int64_t when = val_to_when(dict_entry_val(e));
    size_t klen;
    const char *k = dict_entry_key(e, &klen);

    st->sampled++;
    if (when <= st->now) {
        buf_append(&st->due, &klen, sizeof(klen));
        buf_append(&st->due, k, klen);
    } else {
        st->ttl_sum += (uint64_t)(when - st->now);
        st->ttl_n++;
    }
}

/* Delete the collected keys that are still due; returns how many. */
static size_t expire_collected(struct db *db, const struct buf *due)
{
    size_t off = 0, n = 0;

    while (off < due->len) {
        struct slice key;

        memcpy(&key.len, due->data + off, sizeof(key.len));
        key.p = due->data + off + sizeof(key.len);
        off += sizeof(key.len) + key.len;
        n += (size_t)expire_if_needed(db, key);
    }
    return n;
}

static void update_avg_ttl(struct db *db, const struct expire_scan *st)
{
    uint64_t avg;

    if (st->ttl_n == 0)
        return;
    avg = st->ttl_sum / st->ttl_n;
    if (db->avg_ttl == 0)
        db->avg_ttl = avg;
    else
        db->avg_ttl = db->avg_ttl / AVG_TTL_WEIGHT * (AVG_TTL_WEIGHT - 1) + avg / AVG_TTL_WEIGHT;
}

size_t db_active_expire(struct db *db, int effort)
{
    struct expire_scan st;
    size_t want, steps, n;

    if (no_expire || dict_size(db->expires) == 0) {
        if (dict_size(db->expires) == 0)
            db->avg_ttl = 0;
        return 0;
    }
    if (effort < 1)
        effort = 1;
    want = (size_t)effort * SAMPLES_PER_EFFORT;
    memset(&st, 0, sizeof(st));
    st.now = db_now();
    buf_init(&st.due);
    for (steps = 0; st.sampled < want && steps < want * SCAN_STEPS_PER_SAMPLE; steps++) {
        db->expires_cursor = dict_scan(db->expires, db->expires_cursor, expire_scan_cb, &st);
        if (db->expires_cursor == 0)
            break;
    }
    n = expire_collected(db, &st.due);
    buf_free(&st.due);
    update_avg_ttl(db, &st);
    return n;
}

void db_prefetch(const struct db *db, struct slice key, int stage)
{
    dict_prefetch(db->keys, key.p, key.len, stage);
}
