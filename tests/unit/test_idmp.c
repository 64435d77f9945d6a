/*
 * test_idmp.c - unit tests for stream_idmp.c.
 *
 * Direct tests cover recording and lookup (binary iids, 64 KB iids, long
 * unicode pids), per-producer maxsize eviction, counters, XCFGSET
 * semantics, expiry by entry-ID ms (head-only rule), removal of empty
 * producers, the expiry registry, deep copies, iteration order and the
 * IDMPAUTO hash vectors.  A randomized test runs thousands of operations
 * against a simple reference model with idmp_check after every mutation,
 * and a measurement prints the bytes per tracked iid.
 */
#include "lib/mem.h"
#include "stream_idmp.h"
#include "unit.h"

#include <stdlib.h>
#include <time.h>

#define ID(a, b) ((struct stream_id){(a), (b)})
#define S(lit) SLICE_LIT(lit)

/* Fails the current test if the state is not sound. */
#define CHECK_SOUND(st)                                                                            \
    do {                                                                                           \
        char err_[256];                                                                            \
        if (idmp_check((st), err_) != 0) {                                                         \
            fprintf(stderr, "%s:%d: idmp_check: %s\n", __FILE__, __LINE__, err_);                  \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Fails the current test unless (pid, iid) maps to ms-seq. */
#define CHECK_HIT(st, pid, iid, ms_, seq_)                                                         \
    do {                                                                                           \
        struct stream_id g_ = ID(0, 0);                                                            \
        CHECK(idmp_lookup((st), (pid), (iid), &g_));                                               \
        CHECK_EQ(g_.ms, (ms_));                                                                    \
        CHECK_EQ(g_.seq, (seq_));                                                                  \
    } while (0)

#define CHECK_MISS(st, pid, iid) CHECK(!idmp_lookup((st), (pid), (iid), NULL))

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

static struct slice mk(const char *p, size_t len)
{
    struct slice s = {p, len};
    return s;
}

/* ---------------------------------------------------------------- */

static void test_record_lookup(void)
{
    struct idmp_state *st = idmp_new(100, 100);

    CHECK_MISS(st, S("p1"), S("a"));
    CHECK_EQ(idmp_pids_tracked(st), 0);
    idmp_record(st, S("p1"), S("a"), ID(1000, 0));
    idmp_record(st, S("p1"), S("b"), ID(1000, 1));
    idmp_record(st, S("p2"), S("a"), ID(2000, 7));
    CHECK_SOUND(st);
    CHECK_HIT(st, S("p1"), S("a"), 1000, 0);
    CHECK_HIT(st, S("p1"), S("b"), 1000, 1);
    CHECK_HIT(st, S("p2"), S("a"), 2000, 7);
    CHECK_MISS(st, S("p2"), S("b"));
    CHECK_MISS(st, S("p1"), S("ab"));
    CHECK_MISS(st, S("p"), S("a"));
    CHECK_MISS(st, S("p10"), S("a"));
    CHECK(idmp_lookup(st, S("p1"), S("a"), NULL));
    CHECK_EQ(idmp_pids_tracked(st), 2);
    CHECK_EQ(idmp_iids_tracked(st), 3);
    CHECK_EQ(idmp_iids_added(st), 3);
    CHECK_EQ(idmp_iids_duplicates(st), 0);
    CHECK_EQ(idmp_duration(st), 100);
    CHECK_EQ(idmp_maxsize(st), 100);
    /* Maximal IDs round-trip through the split 32-bit halves. */
    idmp_record(st, S("p3"), S("x"), ID(UINT64_MAX, UINT64_MAX - 1));
    CHECK_HIT(st, S("p3"), S("x"), UINT64_MAX, UINT64_MAX - 1);
    idmp_set_counters(st, 42, 9);
    CHECK_EQ(idmp_iids_added(st), 42);
    CHECK_EQ(idmp_iids_duplicates(st), 9);
    CHECK_SOUND(st);
    idmp_free(st);
}

static void test_binary_iids(void)
{
    struct idmp_state *st = idmp_new(100, 100);
    const char a[] = {'x', 0, 'y'}, b[] = {'x', 0, 'z'}, c[] = {0}, d[] = {0, 0};

    idmp_record(st, S("p"), mk(a, 3), ID(1, 1));
    idmp_record(st, S("p"), mk(b, 3), ID(1, 2));
    idmp_record(st, S("p"), mk(c, 1), ID(1, 3));
    idmp_record(st, S("p"), mk(d, 2), ID(1, 4));
    CHECK_SOUND(st);
    CHECK_HIT(st, S("p"), mk(a, 3), 1, 1);
    CHECK_HIT(st, S("p"), mk(b, 3), 1, 2);
    CHECK_HIT(st, S("p"), mk(c, 1), 1, 3);
    CHECK_HIT(st, S("p"), mk(d, 2), 1, 4);
    CHECK_MISS(st, S("p"), mk(a, 2));
    CHECK_MISS(st, S("p"), mk(a, 1));
    CHECK_MISS(st, mk("p\0", 2), mk(a, 3));
    /* Binary pid */
    idmp_record(st, mk("p\0q", 3), mk(a, 3), ID(5, 5));
    CHECK_HIT(st, mk("p\0q", 3), mk(a, 3), 5, 5);
    CHECK_HIT(st, S("p"), mk(a, 3), 1, 1);
    CHECK_EQ(idmp_pids_tracked(st), 2);
    /* The module itself accepts an empty iid (the command layer does not). */
    idmp_record(st, S("e"), mk(NULL, 0), ID(6, 0));
    idmp_record(st, S("e"), S("x"), ID(6, 1));
    CHECK_HIT(st, S("e"), mk(NULL, 0), 6, 0);
    CHECK_HIT(st, S("e"), S("x"), 6, 1);
    CHECK_SOUND(st);
    idmp_free(st);
}

static void test_large_iids(void)
{
    enum { BIG = 65536 };
    struct idmp_state *st = idmp_new(100, 10);
    char *buf = mem_alloc(BIG);

    for (int i = 0; i < 40; i++) {
        memset(buf, 'a' + i % 26, BIG);
        memcpy(buf + BIG - 4, &i, sizeof(i));
        idmp_record(st, S("big"), mk(buf, BIG), ID((uint64_t)i, 0));
        CHECK_SOUND(st);
    }
    CHECK_EQ(idmp_iids_tracked(st), 10);
    for (int i = 0; i < 40; i++) {
        struct stream_id id;

        memset(buf, 'a' + i % 26, BIG);
        memcpy(buf + BIG - 4, &i, sizeof(i));
        CHECK_EQ(idmp_lookup(st, S("big"), mk(buf, BIG), &id), i >= 30);
        if (i >= 30)
            CHECK_EQ(id.ms, i);
    }
    /* A 64 KB iid differing in its last byte only is a different iid. */
    buf[BIG - 1] ^= 1;
    CHECK_MISS(st, S("big"), mk(buf, BIG));
    CHECK(idmp_mem_usage(st) >= 10 * (size_t)BIG);
    mem_free(buf);
    idmp_free(st);
}

/* Builds a pid of n bytes from repeated multi-byte UTF-8 characters. */
static void unicode_pid(char *out, size_t n, int variant)
{
    static const char *chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    size_t i = 0;

    while (i < n) {
        const char *ch = chars[(i + (size_t)variant) % 3];
        size_t l = strlen(ch);

        for (size_t k = 0; k < l && i < n; k++)
            out[i++] = ch[k];
    }
    out[n - 1] = (char)('0' + variant);
}

static void test_unicode_pids(void)
{
    struct idmp_state *st = idmp_new(100, 100);
    char pids[5][1000];

    for (int v = 0; v < 5; v++) {
        unicode_pid(pids[v], sizeof(pids[v]), v);
        idmp_record(st, mk(pids[v], 1000), S("same-iid"), ID((uint64_t)v, 0));
        idmp_record(st, mk(pids[v], 1000), S("\xe2\x9c\x93"), ID((uint64_t)v, 1));
    }
    CHECK_SOUND(st);
    CHECK_EQ(idmp_pids_tracked(st), 5);
    for (int v = 0; v < 5; v++) {
        CHECK_HIT(st, mk(pids[v], 1000), S("same-iid"), v, 0);
        CHECK_HIT(st, mk(pids[v], 1000), S("\xe2\x9c\x93"), v, 1);
        CHECK_MISS(st, mk(pids[v], 999), S("same-iid"));
    }
    idmp_free(st);
}

static void test_eviction_per_producer(void)
{
    struct idmp_state *st = idmp_new(100, 8);
    char iid[32];

    for (int i = 1; i <= 3; i++) {
        snprintf(iid, sizeof(iid), "other-%d", i);
        idmp_record(st, S("p2"), mk(iid, strlen(iid)), ID(1, (uint64_t)i));
    }
    for (int i = 1; i <= 100; i++) {
        snprintf(iid, sizeof(iid), "req-%d", i);
        idmp_record(st, S("p1"), mk(iid, strlen(iid)), ID(2, (uint64_t)i));
        CHECK_SOUND(st);
    }
    for (int i = 1; i <= 100; i++) {
        snprintf(iid, sizeof(iid), "req-%d", i);
        CHECK_EQ(idmp_lookup(st, S("p1"), mk(iid, strlen(iid)), NULL), i >= 93);
    }
    for (int i = 1; i <= 3; i++) {
        snprintf(iid, sizeof(iid), "other-%d", i);
        CHECK_HIT(st, S("p2"), mk(iid, strlen(iid)), 1, i);
    }
    CHECK_EQ(idmp_iids_tracked(st), 11);
    CHECK_EQ(idmp_iids_added(st), 103);
    CHECK_EQ(idmp_pids_tracked(st), 2);
    idmp_free(st);

    /* maxsize 1: every record replaces the previous one. */
    st = idmp_new(100, 1);
    idmp_record(st, S("p"), S("a"), ID(1, 0));
    idmp_record(st, S("p"), S("b"), ID(2, 0));
    CHECK_MISS(st, S("p"), S("a"));
    CHECK_HIT(st, S("p"), S("b"), 2, 0);
    CHECK_SOUND(st);
    idmp_free(st);
}

static void test_duplicates_counter(void)
{
    struct idmp_state *st = idmp_new(100, 100);

    idmp_record(st, S("p"), S("a"), ID(1, 0));
    for (int i = 0; i < 5; i++) {
        CHECK(idmp_lookup(st, S("p"), S("a"), NULL));
        idmp_count_duplicate(st);
    }
    CHECK_EQ(idmp_iids_duplicates(st), 5);
    CHECK_EQ(idmp_iids_added(st), 1);
    CHECK_EQ(idmp_iids_tracked(st), 1);
    idmp_free(st);
}

static void test_configure(void)
{
    struct idmp_state *st = idmp_new(100, 100);

    idmp_record(st, S("p"), S("a"), ID(1, 0));
    idmp_record(st, S("q"), S("b"), ID(2, 0));
    idmp_count_duplicate(st);
    CHECK_EQ(idmp_configure(st, 100, -1), 0);
    CHECK_EQ(idmp_configure(st, -1, 100), 0);
    CHECK_EQ(idmp_configure(st, 100, 100), 0);
    CHECK_EQ(idmp_configure(st, -1, -1), 0);
    CHECK_EQ(idmp_iids_tracked(st), 2);
    CHECK_HIT(st, S("p"), S("a"), 1, 0);
    CHECK_SOUND(st);

    CHECK_EQ(idmp_configure(st, 200, -1), 1);
    CHECK_EQ(idmp_duration(st), 200);
    CHECK_EQ(idmp_maxsize(st), 100);
    CHECK_EQ(idmp_pids_tracked(st), 0);
    CHECK_EQ(idmp_iids_tracked(st), 0);
    CHECK_EQ(idmp_iids_added(st), 2);
    CHECK_EQ(idmp_iids_duplicates(st), 1);
    CHECK_MISS(st, S("p"), S("a"));
    CHECK_SOUND(st);

    idmp_record(st, S("p"), S("a"), ID(3, 0));
    CHECK_EQ(idmp_configure(st, 200, 50), 1); /* only maxsize differs */
    CHECK_EQ(idmp_maxsize(st), 50);
    CHECK_EQ(idmp_iids_tracked(st), 0);
    CHECK_EQ(idmp_iids_added(st), 3);
    CHECK_SOUND(st);
    idmp_free(st);
}

static void test_expiry_by_ms(void)
{
    struct idmp_state *st = idmp_new(1, 100);

    idmp_record(st, S("p"), S("a"), ID(1000, 0));
    idmp_record(st, S("p"), S("b"), ID(1500, 0));
    CHECK_EQ(idmp_expire(st, 1999), 0);
    CHECK_EQ(idmp_expire(st, 2000), 1); /* 1000 + 1000 <= 2000 */
    CHECK_MISS(st, S("p"), S("a"));
    CHECK_HIT(st, S("p"), S("b"), 1500, 0);
    CHECK_SOUND(st);
    CHECK_EQ(idmp_expire(st, 2499), 0);
    CHECK_EQ(idmp_expire(st, 2500), 1);
    CHECK_EQ(idmp_pids_tracked(st), 0);
    CHECK_SOUND(st);

    /* Head-only: an older ID behind a newer one outlives its time. */
    idmp_record(st, S("p"), S("new"), ID(5000, 0));
    idmp_record(st, S("p"), S("old"), ID(1000, 0));
    CHECK_EQ(idmp_expire(st, 3000), 0);
    CHECK_HIT(st, S("p"), S("old"), 1000, 0);
    CHECK_EQ(idmp_expire(st, 6000), 2);
    CHECK_EQ(idmp_iids_tracked(st), 0);
    CHECK_SOUND(st);

    /* Clock values before the span and huge IDs do not misbehave. */
    idmp_record(st, S("p"), S("far"), ID(UINT64_MAX, 0));
    CHECK_EQ(idmp_expire(st, -5), 0);
    CHECK_EQ(idmp_expire(st, 0), 0);
    CHECK_EQ(idmp_expire(st, INT64_MAX), 0);
    idmp_record(st, S("p"), S("zero"), ID(0, 1));
    CHECK_EQ(idmp_expire(st, 999), 0);
    CHECK_EQ(idmp_iids_tracked(st), 2);
    CHECK_SOUND(st);
    idmp_free(st);
}

static void test_empty_producers_removed(void)
{
    struct idmp_state *st = idmp_new(10, 100);
    char iid[16];

    for (int i = 0; i < 50; i++) {
        snprintf(iid, sizeof(iid), "i%d", i);
        idmp_record(st, S("old"), mk(iid, strlen(iid)), ID((uint64_t)i, 0));
        idmp_record(st, S("mixed"), mk(iid, strlen(iid)), ID((uint64_t)(i < 45 ? i : 90000), 0));
        idmp_record(st, S("young"), mk(iid, strlen(iid)), ID(50000, (uint64_t)i));
    }
    CHECK_EQ(idmp_pids_tracked(st), 3);
    CHECK_EQ(idmp_expire(st, 20000), 50 + 45);
    CHECK_SOUND(st);
    CHECK_EQ(idmp_pids_tracked(st), 2);
    CHECK_EQ(idmp_iids_tracked(st), 55);
    CHECK_MISS(st, S("old"), S("i49"));
    CHECK_MISS(st, S("mixed"), S("i44"));
    CHECK_HIT(st, S("mixed"), S("i45"), 90000, 0);
    CHECK_HIT(st, S("young"), S("i0"), 50000, 0);
    CHECK_EQ(idmp_expire(st, 60000), 50);
    CHECK_EQ(idmp_pids_tracked(st), 1);
    CHECK_SOUND(st);
    CHECK_EQ(idmp_expire(st, 100000), 5);
    CHECK_EQ(idmp_pids_tracked(st), 0);
    CHECK_SOUND(st);
    idmp_free(st);
}

static void test_registry(void)
{
    struct idmp_state *a = idmp_new(1, 100), *b = idmp_new(1, 100), *c = idmp_new(1, 100);

    CHECK_EQ(idmp_expire_all(1000000), 0);
    idmp_record(a, S("p"), S("x"), ID(1000, 0));
    idmp_record(b, S("p"), S("x"), ID(1000, 0));
    idmp_record(b, S("p"), S("y"), ID(3000, 0));
    idmp_record(c, S("p"), S("x"), ID(9000, 0));
    CHECK_SOUND(a);
    CHECK_SOUND(b);
    CHECK_SOUND(c);
    CHECK_EQ(idmp_expire_all(2000), 2);
    CHECK_SOUND(a);
    CHECK_SOUND(b);
    CHECK_EQ(idmp_pids_tracked(a), 0);
    CHECK_EQ(idmp_iids_tracked(b), 1);
    /* Freeing a linked state unlinks it; the others keep expiring. */
    idmp_free(c);
    CHECK_EQ(idmp_expire_all(4000), 1);
    CHECK_SOUND(a);
    CHECK_SOUND(b);
    idmp_record(a, S("p"), S("z"), ID(5000, 0));
    CHECK_SOUND(a);
    CHECK_EQ(idmp_configure(a, 2, -1), 1);
    CHECK_SOUND(a);
    CHECK_EQ(idmp_expire_all(INT64_MAX), 0);
    idmp_free(a);
    idmp_free(b);
}

static void collect_visit(void *priv, struct slice pid, struct slice iid, struct stream_id id)
{
    char *out = priv;
    size_t n = strlen(out);

    snprintf(out + n, 4096 - n, "%.*s/%.*s/%llu;", (int)pid.len, pid.p, (int)iid.len, iid.p,
             (unsigned long long)id.ms);
}

static void test_dup_independent(void)
{
    struct idmp_state *st = idmp_new(5, 4), *cp;
    char before[4096] = "", after[4096] = "";

    idmp_record(st, S("p"), S("a"), ID(1000, 0));
    for (int i = 0; i < 6; i++) /* wraps the ring */
        idmp_record(st, S("q"), mk(&"abcdef"[i], 1), ID((uint64_t)i * 1000, 0));
    idmp_count_duplicate(st);
    cp = idmp_dup(st);
    CHECK_SOUND(cp);
    idmp_foreach(st, collect_visit, before);
    idmp_foreach(cp, collect_visit, after);
    CHECK(strcmp(before, after) == 0);
    CHECK_EQ(idmp_iids_added(cp), 7);
    CHECK_EQ(idmp_iids_duplicates(cp), 1);
    CHECK_EQ(idmp_duration(cp), 5);
    CHECK_EQ(idmp_maxsize(cp), 4);

    idmp_record(st, S("p"), S("b"), ID(9, 0));
    idmp_record(st, S("r"), S("c"), ID(9, 0));
    CHECK_EQ(idmp_configure(st, 6, -1), 1);
    idmp_free(st);
    CHECK_SOUND(cp);
    after[0] = '\0';
    idmp_foreach(cp, collect_visit, after);
    CHECK(strcmp(before, after) == 0);
    idmp_record(cp, S("q"), S("z"), ID(1, 0));
    CHECK_MISS(cp, S("q"), S("c"));
    CHECK_HIT(cp, S("q"), S("z"), 1, 0);
    CHECK_EQ(idmp_expire_all(1000000), 5);
    CHECK_SOUND(cp);
    idmp_free(cp);

    st = idmp_new(100, 100);
    cp = idmp_dup(st);
    CHECK_SOUND(cp);
    CHECK_EQ(idmp_pids_tracked(cp), 0);
    idmp_free(cp);
    idmp_free(st);
}

static void test_foreach_order(void)
{
    struct idmp_state *st = idmp_new(100, 3);
    char got[4096] = "";
    const char *want = "\x01/x/1;a/x/1;a\x01/x/1;ab/x/1;b/2/3;b/3/4;b/4/5;\xff/x/1;";

    idmp_record(st, S("b"), S("1"), ID(2, 0));
    idmp_record(st, S("\xff"), S("x"), ID(1, 0));
    idmp_record(st, S("ab"), S("x"), ID(1, 0));
    idmp_record(st, S("a"), S("x"), ID(1, 0));
    idmp_record(st, S("a\x01"), S("x"), ID(1, 0));
    idmp_record(st, S("\x01"), S("x"), ID(1, 0));
    idmp_record(st, S("b"), S("2"), ID(3, 0));
    idmp_record(st, S("b"), S("3"), ID(4, 0));
    idmp_record(st, S("b"), S("4"), ID(5, 0));
    CHECK_SOUND(st);
    idmp_foreach(st, collect_visit, got);
    CHECK_MEM(got, strlen(got), want);
    idmp_free(st);
}

static void hexify(const unsigned char *in, char *out)
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void check_vector(const char *const *args, size_t nargs, const char *want, int *ok)
{
    struct slice fv[8];
    unsigned char iid[16];
    char hex[33];

    for (size_t i = 0; i < nargs; i++)
        fv[i] = mk(args[i], strlen(args[i]));
    idmp_auto_iid(fv, nargs / 2, iid);
    hexify(iid, hex);
    if (strcmp(hex, want) != 0) {
        fprintf(stderr, "auto iid mismatch: got %s want %s\n", hex, want);
        *ok = 0;
    }
}

static void test_auto_iid_vectors(void)
{
    static const char *const fv1[] = {"f", "v"};
    static const char *const fv2[] = {"amount", "100", "currency", "USD"};
    static const char *const fv3[] = {"currency", "USD", "amount", "100"};
    static const char *const fv4[] = {"f", "v", "f", "v"};
    static const char *const fv5[] = {"a", "bc"};
    static const char *const fv6[] = {"ab", "c"};
    int ok = 1;

    check_vector(fv1, 2, "6e95729ee727f0814aedffba55730079", &ok);
    check_vector(fv2, 4, "e11c9a7017ea4839b25824062c8d8c50", &ok);
    check_vector(fv3, 4, "e11c9a7017ea4839b25824062c8d8c50", &ok);
    check_vector(fv4, 4, "9a79073b2d2a35cba229f103f1b26a64", &ok);
    check_vector(fv5, 2, "cd716045a670276ba36d448ef5da2ace", &ok);
    check_vector(fv6, 2, "16a40e6f34744cb4db57cd2b7d195a72", &ok);
    CHECK(ok);
    /* An empty value is fine and differs from a non-empty one. */
    unsigned char e[16], v[16];
    struct slice s1[2] = {S("f"), S("")}, s2[2] = {S("f"), S("v")};
    idmp_auto_iid(s1, 1, e);
    idmp_auto_iid(s2, 1, v);
    CHECK(memcmp(e, v, 16) != 0);
}

/* ---------------------------------------------------------------- */
/* Randomized comparison with a reference model                      */
/* ---------------------------------------------------------------- */

enum { M_PIDS = 6, M_MAX = 12, M_IIDLEN = 300 };

struct m_entry {
    char iid[M_IIDLEN];
    size_t len;
    struct stream_id id;
};

struct model {
    struct m_entry e[M_PIDS][M_MAX];
    size_t n[M_PIDS];
    long duration, maxsize;
    uint64_t added, dups;
};

/* In lexicographic order, as idmp_foreach visits them. */
static const char *const m_pids[M_PIDS] = {"a", "ab", "b", "p\x00", "producer", "\xff"};

static struct slice m_pid(size_t k)
{
    return mk(m_pids[k], k == 3 ? 2 : strlen(m_pids[k]));
}

static int m_find(const struct model *m, size_t k, const char *iid, size_t len)
{
    for (size_t i = 0; i < m->n[k]; i++)
        if (m->e[k][i].len == len && memcmp(m->e[k][i].iid, iid, len) == 0)
            return (int)i;
    return -1;
}

static void m_drop_head(struct model *m, size_t k, size_t cnt)
{
    memmove(m->e[k], m->e[k] + cnt, (m->n[k] - cnt) * sizeof(m->e[k][0]));
    m->n[k] -= cnt;
}

/* Random iid from a small alphabet so collisions and repeats happen. */
static size_t m_rand_iid(char *buf)
{
    size_t len = rnd_below(8) == 0 ? 200 + rnd_below(M_IIDLEN - 200) : 1 + rnd_below(3);

    for (size_t i = 0; i < len; i++)
        buf[i] = "ab\0c"[rnd_below(4)];
    return len;
}

struct m_walk {
    const struct model *m;
    size_t k, i, visited;
    int bad;
};

static void m_walk_visit(void *priv, struct slice pid, struct slice iid, struct stream_id id)
{
    struct m_walk *w = priv;

    while (w->k < M_PIDS && w->i >= w->m->n[w->k]) {
        w->k++;
        w->i = 0;
    }
    if (w->k >= M_PIDS) {
        w->bad = 1;
        return;
    }
    const struct m_entry *e = &w->m->e[w->k][w->i++];
    struct slice want = m_pid(w->k);
    if (pid.len != want.len || memcmp(pid.p, want.p, pid.len) || iid.len != e->len ||
        memcmp(iid.p, e->iid, e->len) || id.ms != e->id.ms || id.seq != e->id.seq)
        w->bad = 1;
    w->visited++;
}

/* Full comparison of the state with the model. */
static int m_same(const struct idmp_state *st, const struct model *m)
{
    struct m_walk w = {m, 0, 0, 0, 0};
    size_t total = 0, pids = 0;

    for (size_t k = 0; k < M_PIDS; k++) {
        total += m->n[k];
        pids += m->n[k] > 0;
    }
    idmp_foreach(st, m_walk_visit, &w);
    return !w.bad && w.visited == total && idmp_iids_tracked(st) == total &&
           idmp_pids_tracked(st) == pids && idmp_iids_added(st) == m->added &&
           idmp_iids_duplicates(st) == m->dups && idmp_duration(st) == m->duration &&
           idmp_maxsize(st) == m->maxsize;
}

static void m_op_add(struct idmp_state *st, struct model *m, uint64_t ms)
{
    char iid[M_IIDLEN];
    size_t len = m_rand_iid(iid), k = rnd_below(M_PIDS);
    int at = m_find(m, k, iid, len);
    struct stream_id got, id = ID(ms, rnd_below(3));

    if (at >= 0) {
        if (!idmp_lookup(st, m_pid(k), mk(iid, len), &got) || got.ms != m->e[k][at].id.ms ||
            got.seq != m->e[k][at].id.seq)
            m->dups = UINT64_MAX; /* forces a mismatch */
        idmp_count_duplicate(st);
        m->dups++;
        return;
    }
    if (idmp_lookup(st, m_pid(k), mk(iid, len), NULL))
        m->added = UINT64_MAX;
    idmp_record(st, m_pid(k), mk(iid, len), id);
    m->added++;
    if (m->n[k] == (size_t)m->maxsize)
        m_drop_head(m, k, 1);
    memcpy(m->e[k][m->n[k]].iid, iid, len);
    m->e[k][m->n[k]].len = len;
    m->e[k][m->n[k]++].id = id;
}

static size_t m_op_expire(struct idmp_state *st, struct model *m, int64_t now)
{
    int64_t cut = now - m->duration * 1000;
    size_t dropped = 0;

    for (size_t k = 0; k < M_PIDS && cut >= 0; k++) {
        size_t c = 0;

        while (c < m->n[k] && m->e[k][c].id.ms <= (uint64_t)cut)
            c++;
        m_drop_head(m, k, c);
        dropped += c;
    }
    return idmp_expire(st, now) == dropped;
}

static void m_op_configure(struct idmp_state *st, struct model *m)
{
    long d = rnd_below(3) ? -1 : 1 + (long)rnd_below(3);
    long x = rnd_below(3) ? -1 : 1 + (long)rnd_below(M_MAX);
    int changed = (d != -1 && d != m->duration) || (x != -1 && x != m->maxsize);

    if (d != -1)
        m->duration = d;
    if (x != -1)
        m->maxsize = x;
    if (changed)
        memset(m->n, 0, sizeof(m->n));
    if (idmp_configure(st, d, x) != changed)
        m->added = UINT64_MAX;
}

static void test_random_model(void)
{
    static struct model m;
    struct idmp_state *st = idmp_new(2, 4);
    uint64_t clock_ms = 1000;

    memset(&m, 0, sizeof(m));
    m.duration = 2;
    m.maxsize = 4;
    for (int op = 0; op < 40000; op++) {
        size_t r = rnd_below(100);

        clock_ms += rnd_below(40);
        if (r < 70) {
            /* IDs mostly follow the clock, sometimes lag behind it */
            m_op_add(st, &m, rnd_below(10) ? clock_ms : clock_ms - rnd_below(3000));
        } else if (r < 90) {
            CHECK(m_op_expire(st, &m, (int64_t)clock_ms));
        } else if (r < 92) {
            m_op_configure(st, &m);
        } else if (r < 93) {
            struct idmp_state *cp = idmp_dup(st);

            idmp_free(st);
            st = cp;
        } else {
            char iid[M_IIDLEN];
            size_t len = m_rand_iid(iid), k = rnd_below(M_PIDS);

            CHECK_EQ(idmp_lookup(st, m_pid(k), mk(iid, len), NULL), m_find(&m, k, iid, len) >= 0);
            continue;
        }
        CHECK_SOUND(st);
        CHECK(m_same(st, &m));
    }
    idmp_free(st);
}

/* Many producers: sorted insertion, lookups and wholesale expiry. */
static void test_many_producers(void)
{
    struct idmp_state *st = idmp_new(1, 100);
    char pid[32];

    for (int i = 0; i < 10000; i++) {
        int k = (int)((uint64_t)i * 7919 % 10000);

        snprintf(pid, sizeof(pid), "producer-%d", k);
        idmp_record(st, mk(pid, strlen(pid)), S("iid"), ID((uint64_t)k, 0));
    }
    CHECK_EQ(idmp_pids_tracked(st), 10000);
    CHECK_SOUND(st);
    for (int k = 0; k < 10000; k += 97) {
        snprintf(pid, sizeof(pid), "producer-%d", k);
        CHECK_HIT(st, mk(pid, strlen(pid)), S("iid"), k, 0);
    }
    CHECK_EQ(idmp_expire(st, 1000 + 4999), 5000);
    CHECK_EQ(idmp_pids_tracked(st), 5000);
    CHECK_SOUND(st);
    CHECK_EQ(idmp_expire(st, 1000 + 9989), 4990);
    CHECK_EQ(idmp_pids_tracked(st), 10);
    CHECK_HIT(st, S("producer-9999"), S("iid"), 9999, 0);
    CHECK_SOUND(st);
    CHECK_EQ(idmp_expire_all(1000000), 10);
    CHECK_EQ(idmp_pids_tracked(st), 0);
    CHECK_SOUND(st);
    idmp_free(st);
}

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_memory_per_iid(void)
{
    enum { N = 10000 };
    struct idmp_state *st = idmp_new(100, IDMP_MAXSIZE_MAX);
    size_t base = idmp_mem_usage(st), used;
    char iid[16];
    char *keys = mem_alloc(16 * N + 1);
    double t0, dt;
    int hits = 0;

    for (int i = 0; i < N; i++) {
        snprintf(iid, sizeof(iid), "%015d", i);
        idmp_record(st, S("producer-1"), mk(iid, 16), ID(1700000000000ULL + (uint64_t)i, 0));
    }
    CHECK_SOUND(st);
    used = idmp_mem_usage(st) - base;
    fprintf(stderr,
            "  memory: 1 producer x %d iids of 16 bytes: %zu bytes, %.1f bytes/iid "
            "beyond the iid bytes (%.1f total)\n",
            N, used, (double)(used - 16 * N) / N, (double)used / N);
    CHECK((used - 16 * N) / N <= 40);
    for (int i = 0; i < N; i++)
        snprintf(keys + 16 * i, 17, "%015d", (i * 7919) % N);
    t0 = now_sec();
    for (int r = 0; r < 20; r++)
        for (int i = 0; i < N; i++)
            hits += idmp_lookup(st, S("producer-1"), mk(keys + 16 * i, 16), NULL);
    dt = now_sec() - t0;
    fprintf(stderr, "  lookup hit: %.0f ns\n", dt * 1e9 / (20.0 * N));
    CHECK_EQ(hits, 20 * N);
    /* Steady-state eviction keeps the footprint flat. */
    for (int i = N; i < 5 * N; i++) {
        snprintf(iid, sizeof(iid), "%015d", i);
        idmp_record(st, S("producer-1"), mk(iid, 16), ID(1700000000000ULL + (uint64_t)i, 0));
    }
    CHECK_SOUND(st);
    fprintf(stderr, "  after 40000 evictions: %.1f bytes/iid beyond the iid bytes\n",
            (double)(idmp_mem_usage(st) - base - 16 * N) / N);
    CHECK((idmp_mem_usage(st) - base - 16 * N) / N <= 40);
    mem_free(keys);
    idmp_free(st);
}

int main(void)
{
    RUN(test_record_lookup);
    RUN(test_binary_iids);
    RUN(test_large_iids);
    RUN(test_unicode_pids);
    RUN(test_eviction_per_producer);
    RUN(test_duplicates_counter);
    RUN(test_configure);
    RUN(test_expiry_by_ms);
    RUN(test_empty_producers_removed);
    RUN(test_registry);
    RUN(test_dup_independent);
    RUN(test_foreach_order);
    RUN(test_auto_iid_vectors);
    RUN(test_random_model);
    RUN(test_many_producers);
    RUN(test_memory_per_iid);
    UNIT_DONE();
}
