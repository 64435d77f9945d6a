/*
 * test_dict.c - unit tests for lib/dict.c.
 *
 * Besides direct checks of every entry point, the dict is exercised by a
 * randomized model test (a flat array is the reference), by 100k-key
 * grow/shrink cycles, and by SCAN runs where the table grows, shrinks and
 * rehashes between cursor calls: every key present for the whole scan
 * must be reported at least once.  Memory accounting is checked against
 * mem_used() exactly, since the dict allocates only through mem.h.
 */
#include "lib/dict.h"
#include "lib/mem.h"
#include "lib/util.h"
#include "unit.h"

#include <stdlib.h>

#define KEY_MAX 16

/* Binary key number i: its 4 little-endian bytes (so small numbers embed
 * NULs) followed by 0-6 bytes of a per-key pattern. */
static size_t make_key(char *buf, uint32_t i)
{
    size_t n = 4 + i % 7;

    for (int b = 0; b < 4; b++)
        buf[b] = (char)(i >> (8 * b));
    for (size_t b = 4; b < n; b++)
        buf[b] = (char)(i * 31 + b);
    return n;
}

/* Key number of a key built by make_key. */
static uint32_t key_num(const char *k)
{
    uint32_t v = 0;

    for (int b = 0; b < 4; b++)
        v |= (uint32_t)(unsigned char)k[b] << (8 * b);
    return v;
}

static void *num_val(uint32_t i)
{
    return (void *)(uintptr_t)(i + 1);
}

static void test_basic(void)
{
    struct dict *d = dict_new();
    void *old = NULL;
    size_t klen = 99;
    int created = -1;

    CHECK_EQ(dict_size(d), 0);
    CHECK(dict_find(d, "a", 1) == NULL);
    CHECK(dict_get(d, "a", 1) == NULL);
    CHECK_EQ(dict_delete(d, "a", 1, &old), 0);
    CHECK(dict_random(d) == NULL);
    CHECK_EQ(dict_set(d, "foo", 3, (void *)1, &old), 1);
    CHECK_EQ(dict_size(d), 1);
    CHECK(dict_get(d, "foo", 3) == (void *)1);
    CHECK(dict_get(d, "fo", 2) == NULL);
    CHECK(dict_get(d, "fooo", 4) == NULL);
    CHECK_EQ(dict_set(d, "foo", 3, (void *)2, &old), 0);
    CHECK(old == (void *)1);
    CHECK_EQ(dict_size(d), 1);

    struct dict_entry *e = dict_upsert(d, "bar", 3, &created);
    CHECK_EQ(created, 1);
    CHECK(dict_entry_val(e) == NULL);
    dict_entry_set_val(e, (void *)3);
    CHECK(dict_upsert(d, "bar", 3, &created) == e);
    CHECK_EQ(created, 0);
    CHECK(dict_find(d, "bar", 3) == e);
    const char *k = dict_entry_key(e, &klen);
    CHECK_MEM(k, klen, "bar");
    CHECK_EQ(k[klen], '\0');
    CHECK(dict_upsert(d, "baz", 3, NULL) != NULL);
    CHECK_EQ(dict_size(d), 3);

    old = NULL;
    CHECK_EQ(dict_delete(d, "bar", 3, &old), 1);
    CHECK(old == (void *)3);
    CHECK_EQ(dict_delete(d, "bar", 3, &old), 0);
    CHECK_EQ(dict_delete(d, "foo", 3, NULL), 1);
    CHECK_EQ(dict_size(d), 1);
    CHECK(dict_find(d, "foo", 3) == NULL);
    dict_free(d, NULL);
    dict_free(NULL, NULL);
}

static void test_binary_keys(void)
{
    static const struct {
        const char *k;
        size_t len;
    } keys[] = {{"", 0},     {"\0", 1},   {"\0\0", 2}, {"a", 1},       {"a\0", 2},
                {"a\0b", 3}, {"a\0c", 3}, {"\0a", 2},  {"\xff\xfe", 2}};
    const size_t n = sizeof(keys) / sizeof(keys[0]);
    struct dict *d = dict_new();

    for (size_t i = 0; i < n; i++)
        CHECK_EQ(dict_set(d, keys[i].k, keys[i].len, num_val((uint32_t)i), NULL), 1);
    CHECK_EQ(dict_size(d), n);
    for (size_t i = 0; i < n; i++) {
        struct dict_entry *e = dict_find(d, keys[i].k, keys[i].len);
        size_t klen;
        CHECK(e != NULL);
        CHECK(dict_entry_val(e) == num_val((uint32_t)i));
        const char *k = dict_entry_key(e, &klen);
        CHECK_EQ(klen, keys[i].len);
        CHECK(memcmp(k, keys[i].k, klen) == 0);
        CHECK_EQ(k[klen], '\0');
    }
    CHECK_EQ(dict_delete(d, "a\0", 2, NULL), 1);
    CHECK(dict_get(d, "a", 1) == num_val(3));
    CHECK(dict_get(d, "a\0b", 3) == num_val(5));
    CHECK(dict_get(d, "a\0", 2) == NULL);
    CHECK_EQ(dict_delete(d, "", 0, NULL), 1);
    CHECK(dict_get(d, "\0", 1) == num_val(1));
    CHECK_EQ(dict_size(d), n - 2);
    dict_free(d, NULL);
}

static void test_grow_shrink(void)
{
    const uint32_t n = 100000;
    size_t base = mem_used();
    struct dict *d = dict_new();
    char k[KEY_MAX];

    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < n; i++)
            CHECK_EQ(dict_set(d, k, make_key(k, i), num_val(i), NULL), 1);
        CHECK_EQ(dict_size(d), n);
        CHECK_EQ(mem_used() - base, dict_mem_usage(d));
        CHECK(dict_mem_usage(d) > n * 24);
        for (uint32_t i = 0; i < n; i++)
            CHECK(dict_get(d, k, make_key(k, i)) == num_val(i));
        CHECK(dict_get(d, k, make_key(k, n)) == NULL);
        for (uint32_t i = 10; i < n; i++)
            CHECK_EQ(dict_delete(d, k, make_key(k, i), NULL), 1);
        CHECK_EQ(dict_size(d), 10);
        while (dict_rehash_step(d, 100))
            ;
        for (uint32_t i = 0; i < 10; i++)
            CHECK(dict_get(d, k, make_key(k, i)) == num_val(i));
        /* Only a 16-bucket table and ten small entries are left. */
        CHECK(dict_mem_usage(d) < 2048);
        CHECK_EQ(mem_used() - base, dict_mem_usage(d));
        for (uint32_t i = 0; i < 10; i++)
            CHECK_EQ(dict_delete(d, k, make_key(k, i), NULL), 1);
        CHECK_EQ(dict_size(d), 0);
    }
    dict_free(d, NULL);
    CHECK_EQ(mem_used(), base);
}

struct model {
    uint32_t nkeys;
    char *present;
    void **vals;
    size_t size;
};

/* Walk the dict with an iterator and compare it with the model. */
static int model_matches(struct dict *d, const struct model *m)
{
    char *seen = calloc(m->nkeys, 1);
    struct dict_iter it;
    struct dict_entry *e;
    size_t count = 0;
    int ok = dict_size(d) == m->size;

    dict_iter_init(&it, d);
    while ((e = dict_next(&it)) != NULL) {
        size_t klen;
        char k[KEY_MAX];
        const char *ek = dict_entry_key(e, &klen);
        uint32_t i = key_num(ek);
        count++;
        if (i >= m->nkeys || seen[i] || !m->present[i] || m->vals[i] != dict_entry_val(e) ||
            make_key(k, i) != klen || memcmp(k, ek, klen) != 0)
            ok = 0;
        else
            seen[i] = 1;
    }
    dict_iter_done(&it);
    free(seen);
    return ok && count == m->size;
}

static void model_op(struct dict *d, struct model *m, int insert_bias)
{
    char k[KEY_MAX];
    uint32_t i = (uint32_t)(util_random() % m->nkeys);
    size_t klen = make_key(k, i);
    void *v = (void *)(uintptr_t)(util_random() | 1), *old = NULL;
    int op = (int)(util_random() % 100);

    if (op < insert_bias) {
        int created = dict_set(d, k, klen, v, &old);
        if (created != !m->present[i] || (!created && old != m->vals[i]))
            m->size = (size_t)-1; /* poison: reported by the caller */
        m->size += created;
        m->present[i] = 1;
        m->vals[i] = v;
    } else if (op < 90) {
        int existed = dict_delete(d, k, klen, &old);
        if (existed != m->present[i] || (existed && old != m->vals[i]))
            m->size = (size_t)-1;
        m->size -= (size_t)existed;
        m->present[i] = 0;
    } else if (op < 97) {
        void *got = dict_get(d, k, klen);
        if (got != (m->present[i] ? m->vals[i] : NULL))
            m->size = (size_t)-1;
    } else {
        dict_rehash_step(d, (int)(util_random() % 4));
    }
}

static void test_model_random(void)
{
    struct model m = {3000, NULL, NULL, 0};
    struct dict *d = dict_new();
    size_t base = mem_used();

    m.present = calloc(m.nkeys, 1);
    m.vals = calloc(m.nkeys, sizeof(void *));
    /* Alternate insert-heavy and delete-heavy phases to force resizes. */
    for (int phase = 0; phase < 12; phase++) {
        int bias = phase % 2 ? 20 : 75;
        for (int op = 0; op < 5000; op++) {
            model_op(d, &m, bias);
            CHECK(m.size != (size_t)-1);
            CHECK_EQ(dict_size(d), m.size);
        }
        CHECK(model_matches(d, &m));
        struct dict_entry *e = dict_random(d);
        CHECK((e == NULL) == (m.size == 0));
    }
    CHECK(mem_used() - base == dict_mem_usage(d) - mem_size(d));
    dict_free(d, NULL);
    free(m.present);
    free(m.vals);
}

/* Iterate over keys [0, n), deleting the current entry when its number is
 * a multiple of modulo; every key must be visited exactly once. */
static int iter_delete(struct dict *d, uint32_t n, uint32_t modulo)
{
    char *seen = calloc(n, 1);
    struct dict_iter it;
    struct dict_entry *e;
    size_t visited = 0;
    int ok = 1;

    dict_iter_init(&it, d);
    while ((e = dict_next(&it)) != NULL) {
        size_t klen;
        const char *k = dict_entry_key(e, &klen);
        uint32_t i = key_num(k);
        visited++;
        if (i >= n || seen[i]++)
            ok = 0;
        if (i % modulo == 0 && dict_delete(d, k, klen, NULL) != 1)
            ok = 0;
    }
    if (dict_next(&it) != NULL) /* stays exhausted */
        ok = 0;
    dict_iter_done(&it);
    free(seen);
    return ok && visited == n;
}

static void test_iter_delete(void)
{
    struct dict *d = dict_new();
    char k[KEY_MAX];
    const uint32_t n = 10000;
    struct dict_iter it;

    /* Empty dict: nothing to visit. */
    dict_iter_init(&it, d);
    CHECK(dict_next(&it) == NULL);
    dict_iter_done(&it);
    for (uint32_t i = 0; i < n; i++)
        dict_set(d, k, make_key(k, i), num_val(i), NULL);
    CHECK(iter_delete(d, n, 2));
    CHECK_EQ(dict_size(d), n / 2);
    for (uint32_t i = 0; i < n; i++)
        CHECK((dict_get(d, k, make_key(k, i)) != NULL) == (i % 2 == 1));
    /* Delete everything through the iterator; the dict shrinks after. */
    size_t before = dict_mem_usage(d);
    for (uint32_t i = 0; i < n; i += 2)
        dict_set(d, k, make_key(k, i), num_val(i), NULL);
    CHECK(iter_delete(d, n, 1));
    CHECK_EQ(dict_size(d), 0);
    while (dict_rehash_step(d, 10))
        ;
    CHECK(dict_mem_usage(d) < before / 16);
    dict_free(d, NULL);
}

static void test_iter_mid_rehash(void)
{
    struct dict *d = dict_new();
    char k[KEY_MAX];
    const uint32_t n = 1025; /* the 1025th insert starts growing 1024 -> 2048 */

    for (uint32_t i = 0; i < n; i++)
        dict_set(d, k, make_key(k, i), num_val(i), NULL);
    CHECK(dict_rehash_step(d, 0) == 1); /* rehash in progress */
    CHECK(iter_delete(d, n, 3));
    CHECK_EQ(dict_size(d), n - (n + 2) / 3);
    while (dict_rehash_step(d, 1))
        ;
    for (uint32_t i = 0; i < n; i++)
        CHECK((dict_get(d, k, make_key(k, i)) != NULL) == (i % 3 != 0));
    dict_free(d, NULL);
}

struct scan_state {
    uint32_t nstable;
    unsigned *seen;
    size_t calls;
};

static void scan_cb(void *priv, const struct dict_entry *e)
{
    struct scan_state *st = priv;
    size_t klen;
    uint32_t i = key_num(dict_entry_key(e, &klen));

    st->calls++;
    if (i < st->nstable)
        st->seen[i]++;
}

/* Keys [0, nstable) stay throughout; keys [base, base + ntemp) are
 * "temporary" and mutate() inserts/deletes them between scan calls. */
typedef void (*mutate_fn)(struct dict *d, uint64_t step);

static int scan_covers(struct dict *d, uint32_t nstable, mutate_fn mutate, int exact)
{
    struct scan_state st = {nstable, calloc(nstable, sizeof(unsigned)), 0};
    uint64_t cursor = 0, steps = 0;
    int ok = 1;

    do {
        cursor = dict_scan(d, cursor, scan_cb, &st);
        if (mutate)
            mutate(d, steps);
        if (++steps > 10000000)
            ok = 0;
    } while (cursor != 0 && ok);
    for (uint32_t i = 0; i < nstable; i++) {
        if (st.seen[i] == 0 || (exact && st.seen[i] != 1))
            ok = 0;
    }
    if (exact && st.calls != dict_size(d))
        ok = 0;
    free(st.seen);
    return ok;
}

#define TEMP_BASE 0x01000000u

static void fill(struct dict *d, uint32_t from, uint32_t to)
{
    char k[KEY_MAX];

    for (uint32_t i = from; i < to; i++)
        dict_set(d, k, make_key(k, i), num_val(i), NULL);
}

static void drop(struct dict *d, uint32_t from, uint32_t to)
{
    char k[KEY_MAX];

    for (uint32_t i = from; i < to; i++)
        dict_delete(d, k, make_key(k, i), NULL);
}

static void mutate_grow(struct dict *d, uint64_t step)
{
    uint32_t from = TEMP_BASE + (uint32_t)step * 300;

    if (step < 200)
        fill(d, from, from + 300);
}

static void mutate_shrink(struct dict *d, uint64_t step)
{
    uint32_t from = TEMP_BASE + (uint32_t)step * 500;

    if (step < 120)
        drop(d, from, from + 500);
    dict_rehash_step(d, (int)(step % 3));
}

static void mutate_chaos(struct dict *d, uint64_t step)
{
    /* Mostly small bursts, sometimes a big one that forces a resize. */
    uint32_t span = 1 + (uint32_t)(util_random() % (step % 64 ? 16 : 8000));
    uint32_t from = TEMP_BASE + (uint32_t)(util_random() % 30000);

    if (util_random() % 2)
        fill(d, from, from + span);
    else
        drop(d, from, from + span);
    dict_rehash_step(d, (int)(util_random() % 5));
}

static void test_scan_static(void)
{
    struct dict *d = dict_new();
    struct scan_state st = {0, NULL, 0};

    CHECK_EQ(dict_scan(d, 0, scan_cb, &st), 0);
    fill(d, 0, 5000);
    while (dict_rehash_step(d, 100))
        ;
    CHECK(scan_covers(d, 5000, NULL, 1));
    /* Frozen in the middle of a grow: still exactly once. */
    fill(d, 5000, 8193);
    CHECK(dict_rehash_step(d, 0) == 1);
    CHECK(scan_covers(d, 8193, NULL, 1));
    dict_free(d, NULL);
}

static void test_scan_grow(void)
{
    struct dict *d = dict_new();

    fill(d, 0, 1000);
    CHECK(scan_covers(d, 1000, mutate_grow, 0));
    CHECK(dict_size(d) > 50000);
    dict_free(d, NULL);
}

static void test_scan_shrink(void)
{
    struct dict *d = dict_new();

    fill(d, 0, 500);
    fill(d, TEMP_BASE, TEMP_BASE + 60000);
    CHECK(scan_covers(d, 500, mutate_shrink, 0));
    CHECK_EQ(dict_size(d), 500);
    dict_free(d, NULL);
}

static void test_scan_chaos(void)
{
    for (int round = 0; round < 8; round++) {
        struct dict *d = dict_new();
        uint32_t nstable = 1 + (uint32_t)(util_random() % 3000);
        fill(d, 0, nstable);
        fill(d, TEMP_BASE, TEMP_BASE + (uint32_t)(util_random() % 30000));
        CHECK(scan_covers(d, nstable, mutate_chaos, 0));
        dict_free(d, NULL);
    }
}

static void test_random_entry(void)
{
    struct dict *d = dict_new();
    char k[KEY_MAX];
    unsigned hits[100] = {0};
    struct dict_iter it;
    struct dict_entry *e;

    fill(d, 0, 1);
    e = dict_random(d);
    CHECK(e != NULL && dict_entry_val(e) == num_val(0));
    fill(d, 1, 100);
    for (int i = 0; i < 20000; i++) {
        size_t klen;
        e = dict_random(d);
        CHECK(e != NULL);
        uint32_t n = key_num(dict_entry_key(e, &klen));
        CHECK(n < 100);
        CHECK(dict_entry_val(e) == num_val(n));
        hits[n]++;
    }
    for (int i = 0; i < 100; i++)
        CHECK(hits[i] > 0);
    /* A very sparse table (resizing paused by a live iterator). */
    fill(d, 100, 20000);
    dict_iter_init(&it, d);
    while ((e = dict_next(&it)) != NULL) {
        size_t klen;
        const char *key = dict_entry_key(e, &klen);
        if (key_num(key) >= 3)
            dict_delete(d, key, klen, NULL);
    }
    CHECK_EQ(dict_size(d), 3);
    for (int i = 0; i < 1000; i++) {
        size_t klen;
        e = dict_random(d);
        CHECK(e != NULL && key_num(dict_entry_key(e, &klen)) < 3);
    }
    dict_iter_done(&it);
    CHECK(dict_get(d, k, make_key(k, 2)) == num_val(2));
    dict_free(d, NULL);
}

static unsigned destroyed[3000];

static void count_free(void *v)
{
    destroyed[(unsigned *)v - destroyed]++;
}

static void test_destructor(void)
{
    struct dict *d = dict_new();
    char k[KEY_MAX];
    const uint32_t n = 3000;

    for (int round = 0; round < 3; round++) {
        memset(destroyed, 0, sizeof(destroyed));
        /* 1025 keys leaves a rehash in progress on the first rounds. */
        uint32_t count = round == 2 ? n : 1025;
        for (uint32_t i = 0; i < count; i++)
            dict_set(d, k, make_key(k, i), &destroyed[i], NULL);
        /* Entries without a value are not passed to the destructor. */
        dict_upsert(d, "novalue", 7, NULL);
        if (round < 2) {
            dict_clear(d, count_free);
            CHECK_EQ(dict_size(d), 0);
            CHECK(dict_get(d, k, make_key(k, 0)) == NULL);
        } else {
            dict_free(d, count_free);
        }
        for (uint32_t i = 0; i < n; i++)
            CHECK_EQ(destroyed[i], i < count ? 1 : 0);
    }
}

static void test_mem_usage(void)
{
    size_t base = mem_used();
    struct dict *d = dict_new();
    char k[KEY_MAX];

    CHECK_EQ(mem_used() - base, dict_mem_usage(d));
    size_t empty = dict_mem_usage(d);
    fill(d, 0, 1000);
    CHECK_EQ(mem_used() - base, dict_mem_usage(d));
    CHECK(dict_mem_usage(d) > empty + 1000 * (24 + 4));
    dict_set(d, k, make_key(k, 5), num_val(77), NULL);
    CHECK_EQ(mem_used() - base, dict_mem_usage(d));
    drop(d, 0, 1000);
    CHECK_EQ(mem_used() - base, dict_mem_usage(d));
    dict_clear(d, NULL);
    CHECK_EQ(dict_mem_usage(d), empty);
    dict_free(d, NULL);
    CHECK_EQ(mem_used(), base);
}

int main(void)
{
    RUN(test_basic);
    RUN(test_binary_keys);
    RUN(test_grow_shrink);
    RUN(test_model_random);
    RUN(test_iter_delete);
    RUN(test_iter_mid_rehash);
    RUN(test_scan_static);
    RUN(test_scan_grow);
    RUN(test_scan_shrink);
    RUN(test_scan_chaos);
    RUN(test_random_entry);
    RUN(test_destructor);
    RUN(test_mem_usage);
    UNIT_DONE();
}
