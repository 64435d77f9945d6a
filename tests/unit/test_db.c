/*
 * test_db.c - unit tests of the keyspace (db.c) and value objects (obj.c):
 * set/lookup/delete, lazy and active expiry on a fake clock, TTL edits,
 * take/replace, swap, flush, random keys, hooks, string encodings.
 */
#include <stdlib.h>

#include "db.h"
#include "lib/dict.h"
#include "obj.h"
#include "unit.h"

#define T0 1000000000000LL /* fake clock start, ms */

static struct hook_log {
    int modified, expired, flushed, swapped;
    char last_key[64];
    size_t last_len;
    int key_present_on_expired; /* was the key gone when key_expired ran? */
} hl;

static struct db *hook_db;

static void on_modified(void *priv, struct db *db, struct slice key)
{
    (void)priv, (void)db;
    hl.modified++;
    hl.last_len = key.len < sizeof(hl.last_key) ? key.len : sizeof(hl.last_key);
    memcpy(hl.last_key, key.p, hl.last_len);
}

static void on_expired(void *priv, struct db *db, struct slice key)
{
    (void)priv;
    hl.expired++;
    hl.key_present_on_expired = dict_get(db->keys, key.p, key.len) != NULL;
}

static void on_flushed(void *priv, struct db *db)
{
    (void)priv;
    hook_db = db;
    hl.flushed++;
}

static void on_swapped(void *priv, struct db *a, struct db *b)
{
    (void)priv, (void)a, (void)b;
    hl.swapped++;
}

static struct db *setup(int n)
{
    struct db_hooks h = {on_modified, on_expired, on_flushed, on_swapped, NULL};

    memset(&hl, 0, sizeof(hl));
    db_set_hooks(&h);
    db_set_now(T0);
    db_set_no_expire(0);
    db_set_no_touch(0);
    return db_new_array(n);
}

static struct slice sl(const char *s)
{
    return (struct slice){s, strlen(s)};
}

static struct obj *str(const char *s)
{
    return obj_new_string(s, strlen(s));
}

static void test_set_lookup_delete(void)
{
    struct db *dbs = setup(2);
    struct db *db = &dbs[0];
    struct obj *o;

    CHECK(db_lookup(db, sl("a")) == NULL);
    db_set(db, sl("a"), str("1"), 0);
    CHECK_EQ(hl.modified, 1);
    CHECK_MEM(hl.last_key, hl.last_len, "a");
    o = db_lookup(db, sl("a"));
    CHECK(o != NULL);
    CHECK_MEM(o->data, o->len, "1");
    db_set(db, sl("a"), str("22"), 0);
    CHECK_EQ(db_size(db), 1);
    CHECK_MEM(db_lookup(db, sl("a"))->data, db_lookup(db, sl("a"))->len, "22");
    CHECK_EQ(db_size(&dbs[1]), 0);
    CHECK_EQ(db_delete(db, sl("a")), 1);
    CHECK_EQ(db_delete(db, sl("a")), 0);
    CHECK_EQ(hl.modified, 3);
    CHECK_EQ(db_size(db), 0);
    db_add(db, sl("b"), str("x"));
    CHECK(db_lookup(db, sl("b")) != NULL);
    db_free_array(dbs, 2);
}

static void test_lazy_expiry(void)
{
    struct db *dbs = setup(1);
    struct db *db = dbs;

    db_set(db, sl("k"), str("v"), 0);
    db_set_expire(db, sl("k"), T0 + 100);
    CHECK_EQ(db_get_expire(db, sl("k")), T0 + 100);
    CHECK_EQ(db_expires_size(db), 1);
    db_set_now(T0 + 99);
    CHECK(db_lookup(db, sl("k")) != NULL);
    CHECK(!db_is_expired(db, sl("k")));
    db_set_now(T0 + 100);
    CHECK(db_is_expired(db, sl("k")));
    CHECK_EQ(db_size(db), 1); /* db_is_expired never deletes */
    hl.modified = 0;
    db_set_no_expire(1);
    CHECK(db_lookup(db, sl("k")) != NULL); /* AOF loading: kept */
    CHECK(!db_is_expired(db, sl("k")));
    db_set_no_expire(0);
    CHECK(db_lookup(db, sl("k")) == NULL);
    CHECK_EQ(hl.expired, 1);
    CHECK_EQ(hl.modified, 1);
    CHECK_EQ(hl.key_present_on_expired, 0);
    CHECK_EQ(db_size(db), 0);
    CHECK_EQ(db_expires_size(db), 0);
    db_free_array(dbs, 1);
}

static void test_ttl_edits(void)
{
    struct db *dbs = setup(1);
    struct db *db = dbs;

    db_set(db, sl("k"), str("v"), 0);
    CHECK_EQ(db_get_expire(db, sl("k")), -1);
    db_set_expire(db, sl("nokey"), T0 + 5); /* ignored: key absent */
    CHECK_EQ(db_expires_size(db), 0);
    db_set_expire(db, sl("k"), T0 + 500);
    db_set(db, sl("k"), str("w"), 1); /* KEEPTTL */
    CHECK_EQ(db_get_expire(db, sl("k")), T0 + 500);
    db_set(db, sl("k"), str("x"), 0); /* plain SET drops the TTL */
    CHECK_EQ(db_get_expire(db, sl("k")), -1);
    db_set_expire(db, sl("k"), T0 + 500);
    hl.modified = 0;
    CHECK_EQ(db_persist(db, sl("k")), 1);
    CHECK_EQ(db_persist(db, sl("k")), 0);
    CHECK_EQ(hl.modified, 1);
    CHECK_EQ(db_get_expire(db, sl("k")), -1);
    /* overwriting an expired key does not inherit its TTL */
    db_set_expire(db, sl("k"), T0 + 10);
    db_set_now(T0 + 20);
    db_set(db, sl("k"), str("y"), 1);
    CHECK_EQ(db_get_expire(db, sl("k")), -1);
    CHECK_EQ(hl.expired, 1);
    db_free_array(dbs, 1);
}

static void test_delete_expired_counts_zero(void)
{
    struct db *dbs = setup(1);
    struct db *db = dbs;

    db_set(db, sl("k"), str("v"), 0);
    db_set_expire(db, sl("k"), T0 + 1);
    db_set_now(T0 + 1);
    CHECK_EQ(db_delete(db, sl("k")), 0);
    CHECK_EQ(hl.expired, 1);
    CHECK_EQ(db_size(db), 0);
    db_free_array(dbs, 1);
}

static void test_active_expiry(void)
{
    struct db *dbs = setup(1);
    struct db *db = dbs;
    char key[32];
    size_t total = 0;

    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        db_set(db, sl(key), str("v"), 0);
        if (i % 2 == 0)
            db_set_expire(db, sl(key), T0 + 10);
        else if (i % 3 == 0)
            db_set_expire(db, sl(key), T0 + 100000);
    }
    CHECK_EQ(db_size(db), 1000);
    db_set_now(T0 + 11);
    hl.expired = 0;
    db_set_no_expire(1);
    CHECK_EQ(db_active_expire(db, 1), 0);
    db_set_no_expire(0);
    for (int round = 0; round < 1000 && total < 500; round++) {
        size_t n = db_active_expire(db, 1);

        CHECK(n <= 60); /* bounded work per call */
        total += n;
    }
    CHECK_EQ(total, 500);
    CHECK_EQ(hl.expired, 500);
    CHECK_EQ(db_size(db), 500);
    CHECK(db->avg_ttl > 0);
    CHECK(db_lookup(db, sl("key:3")) != NULL);
    CHECK(db_lookup(db, sl("key:4")) == NULL);
    db_free_array(dbs, 1);
}

static void test_take_replace(void)
{
    struct db *dbs = setup(1);
    struct db *db = dbs;
    struct obj *o, *n;
    int64_t exp;

    db_set(db, sl("src"), str("hello"), 0);
    db_set_expire(db, sl("src"), T0 + 50);
    hl.modified = 0;
    o = db_take(db, sl("src"), &exp);
    CHECK(o != NULL);
    CHECK_EQ(exp, T0 + 50);
    CHECK_EQ(hl.modified, 1);
    CHECK_EQ(db_size(db), 0);
    CHECK_EQ(db_expires_size(db), 0);
    CHECK(db_take(db, sl("src"), &exp) == NULL);
    CHECK_EQ(exp, -1);
    db_add(db, sl("dst"), o);
    n = obj_string_resize(o, 5000);
    memcpy(n->data + 5, "!", 1);
    db_replace(db, sl("dst"), n);
    CHECK_EQ(hl.modified, 3);
    o = db_lookup(db, sl("dst"));
    CHECK(o == n);
    CHECK_EQ(o->len, 5000);
    CHECK_MEM(o->data, 6, "hello!");
    CHECK_EQ(o->data[5000], 0);
    CHECK_EQ(o->data[6], 0);
    db_free_array(dbs, 1);
}

static void test_swap_flush(void)
{
    struct db *dbs = setup(3);

    db_set(&dbs[0], sl("a"), str("0"), 0);
    db_set_expire(&dbs[0], sl("a"), T0 + 1000);
    db_set(&dbs[1], sl("b"), str("1"), 0);
    db_set(&dbs[1], sl("c"), str("1"), 0);
    db_swap(&dbs[0], &dbs[1]);
    CHECK_EQ(hl.swapped, 1);
    CHECK_EQ(dbs[0].id, 0);
    CHECK_EQ(dbs[1].id, 1);
    CHECK_EQ(db_size(&dbs[0]), 2);
    CHECK_EQ(db_size(&dbs[1]), 1);
    CHECK_EQ(db_get_expire(&dbs[1], sl("a")), T0 + 1000);
    CHECK(db_lookup(&dbs[0], sl("a")) == NULL);
    db_swap(&dbs[2], &dbs[2]);
    CHECK_EQ(hl.swapped, 1);
    db_flush(&dbs[2]); /* empty: no hook */
    CHECK_EQ(hl.flushed, 0);
    db_flush(&dbs[1]);
    CHECK_EQ(hl.flushed, 1);
    CHECK(hook_db == &dbs[1]);
    CHECK_EQ(db_size(&dbs[1]), 0);
    CHECK_EQ(db_expires_size(&dbs[1]), 0);
    db_free_array(dbs, 3);
}

static void test_random_key(void)
{
    struct db *dbs = setup(1);
    struct db *db = dbs;
    size_t klen;
    const char *k;
    char key[16];

    CHECK(db_random_key(db, &klen) == NULL);
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "e%d", i);
        db_set(db, sl(key), str("v"), 0);
        db_set_expire(db, sl(key), T0 + 1);
    }
    db_set(db, sl("live"), str("v"), 0);
    db_set_now(T0 + 2);
    k = db_random_key(db, &klen);
    CHECK(k != NULL);
    CHECK_MEM(k, klen, "live");
    db_delete(db, sl("live"));
    CHECK(db_random_key(db, &klen) == NULL);
    CHECK_EQ(db_size(db), 0);
    db_free_array(dbs, 1);
}

static void test_access_time(void)
{
    struct db *dbs = setup(1);
    struct db *db = dbs;
    struct obj *o;

    db_set(db, sl("k"), str("v"), 0);
    o = db_peek(db, sl("k"));
    CHECK_EQ(o->lru, T0 / 1000);
    db_set_now(T0 + 5000);
    CHECK(db_peek(db, sl("k")) != NULL);
    CHECK_EQ(o->lru, T0 / 1000);
    db_set_no_touch(1);
    CHECK(db_lookup(db, sl("k")) != NULL);
    CHECK_EQ(o->lru, T0 / 1000);
    db_set_no_touch(0);
    CHECK(db_lookup(db, sl("k")) != NULL);
    CHECK_EQ(o->lru, T0 / 1000 + 5);
    CHECK_EQ(db_lru_clock(), T0 / 1000 + 5);
    db_free_array(dbs, 1);
}

static void test_obj_strings(void)
{
    struct obj *o = str("12345");
    struct obj *d;
    char big[100];

    CHECK(strcmp(obj_type_name(o), "string") == 0);
    CHECK(strcmp(obj_encoding_name(o), "int") == 0);
    CHECK(o->u.cap >= o->len);
    obj_free(o);
    o = str("-9223372036854775808");
    CHECK(strcmp(obj_encoding_name(o), "int") == 0);
    obj_free(o);
    o = str("9223372036854775808"); /* overflows */
    CHECK(strcmp(obj_encoding_name(o), "embstr") == 0);
    obj_free(o);
    o = str("012");
    CHECK(strcmp(obj_encoding_name(o), "embstr") == 0);
    obj_free(o);
    memset(big, 'x', sizeof(big));
    o = obj_new_string(big, 44);
    CHECK(strcmp(obj_encoding_name(o), "embstr") == 0);
    obj_free(o);
    o = obj_new_string(big, 45);
    CHECK(strcmp(obj_encoding_name(o), "raw") == 0);
    d = obj_dup(o);
    CHECK(d != o);
    CHECK_EQ(d->len, 45);
    CHECK(memcmp(d->data, big, 45) == 0);
    CHECK(obj_mem_usage(d) >= 45 + sizeof(struct obj));
    obj_free(o);
    obj_free(d);
    o = str("1");
    o = obj_string_resize(o, 2);
    o->data[1] = '2';
    o->flags |= OBJ_F_RAW;
    CHECK(strcmp(obj_encoding_name(o), "raw") == 0);
    d = obj_dup(o);
    CHECK(strcmp(obj_encoding_name(d), "raw") == 0);
    obj_free(o);
    obj_free(d);
    o = obj_new_string(NULL, 0);
    o = obj_string_resize(o, 10);
    CHECK_EQ(o->len, 10);
    CHECK_EQ(o->data[9], 0);
    obj_free(o);
}

static void test_obj_stream(void)
{
    struct obj *o = obj_new_stream();
    struct obj *d;

    CHECK(strcmp(obj_type_name(o), "stream") == 0);
    CHECK(strcmp(obj_encoding_name(o), "stream") == 0);
    CHECK(o->u.stream != NULL);
    CHECK(obj_mem_usage(o) > sizeof(struct obj));
    d = obj_dup(o);
    CHECK(d->u.stream != o->u.stream);
    obj_free(o);
    obj_free(d);
}

int main(void)
{
    RUN(test_set_lookup_delete);
    RUN(test_lazy_expiry);
    RUN(test_ttl_edits);
    RUN(test_delete_expired_counts_zero);
    RUN(test_active_expiry);
    RUN(test_take_replace);
    RUN(test_swap_flush);
    RUN(test_random_key);
    RUN(test_access_time);
    RUN(test_obj_strings);
    RUN(test_obj_stream);
    UNIT_DONE();
}
