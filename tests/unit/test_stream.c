/*
 * test_stream.c - unit tests for the stream storage engine (stream.c).
 *
 * Deterministic tests for every documented behaviour, a randomized model
 * test comparing the engine with a plain sorted array after thousands of
 * random operations (stream_check after every mutation), and a memory
 * test printing bytes/entry for 1,000,000 appends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/mem.h"
#include "stream.h"
#include "unit.h"

#define ID(a, b) ((struct stream_id){(a), (b)})
#define MAXID ID(UINT64_MAX, UINT64_MAX)

/* Fails the current (void) test if the stream is not sound. */
#define CHECK_SOUND(s)                                                                             \
    do {                                                                                           \
        char err_[256];                                                                            \
        if (stream_check((s), err_) != 0) {                                                        \
            fprintf(stderr, "%s:%d: stream_check: %s\n", __FILE__, __LINE__, err_);                \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_ID(got, ms_, seq_)                                                                   \
    do {                                                                                           \
        struct stream_id g_ = (got);                                                               \
        CHECK_EQ(g_.ms, (ms_));                                                                    \
        CHECK_EQ(g_.seq, (seq_));                                                                  \
    } while (0)

/* For helpers returning int: report and return -1. */
#define TRY(cond)                                                                                  \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #cond);                      \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static const struct stream_limits LIM_DEFAULT = {4096, 100};

static struct slice sl(const char *s)
{
    return (struct slice){s, strlen(s)};
}

static enum stream_status add1(struct stream *s, const struct stream_limits *lim,
                               enum stream_id_mode mode, struct stream_id id, int64_t now,
                               const char *f, const char *v, struct stream_id *out)
{
    struct slice fv[2] = {sl(f), sl(v)};
    return stream_append(s, lim, mode, id, now, fv, 1, out);
}

/* Appends ms-0 for ms in [from, to] with one pair f=v<ms>. */
static void add_range(struct stream *s, const struct stream_limits *lim, uint64_t from, uint64_t to)
{
    for (uint64_t ms = from; ms <= to; ms++) {
        char v[32];
        snprintf(v, sizeof(v), "v%llu", (unsigned long long)ms);
        add1(s, lim, STREAM_ID_EXPLICIT, ID(ms, 0), 0, "f", v, NULL);
    }
}

static size_t collect(struct stream *s, struct stream_id a, struct stream_id b, int rev,
                      struct stream_id *out, size_t max)
{
    struct stream_iter it;
    struct stream_id id;
    size_t n = 0;
    stream_iter_init(&it, s, a, b, rev);
    while (n < max && stream_iter_next(&it, &id, NULL, NULL))
        out[n++] = id;
    stream_iter_done(&it);
    return n;
}

/* ------------------------------------------------------------------ */

static void test_id_parse(void)
{
    struct stream_id id;
    char big[200];

    CHECK(stream_id_parse("0-0", 3, 9, &id) == 0);
    CHECK_ID(id, 0, 0);
    CHECK(stream_id_parse("12-34", 5, 9, &id) == 0);
    CHECK_ID(id, 12, 34);
    CHECK(stream_id_parse("12", 2, 9, &id) == 0);
    CHECK_ID(id, 12, 9);
    CHECK(stream_id_parse("5", 1, UINT64_MAX, &id) == 0);
    CHECK(id.seq == UINT64_MAX);
    CHECK(stream_id_parse("18446744073709551615-18446744073709551615", 41, 0, &id) == 0);
    CHECK(id.ms == UINT64_MAX && id.seq == UINT64_MAX);
    CHECK(stream_id_parse("007-01", 6, 0, &id) == 0);
    CHECK_ID(id, 7, 1);
    /* Like Redis (strict signed parse, then strtoull()): leading blanks and
     * a sign are accepted, "-" negates modulo 2^64 unless the part is a
     * canonical negative number, and an embedded NUL ends the ID. */
    CHECK(stream_id_parse("+1", 2, 9, &id) == 0);
    CHECK_ID(id, 1, 9);
    CHECK(stream_id_parse(" 1-+2", 5, 0, &id) == 0);
    CHECK_ID(id, 1, 2);
    CHECK(stream_id_parse("\t3- 4", 5, 0, &id) == 0);
    CHECK_ID(id, 3, 4);
    CHECK(stream_id_parse("1--0", 4, 0, &id) == 0);
    CHECK_ID(id, 1, 0);
    CHECK(stream_id_parse("1--01", 5, 0, &id) == 0);
    CHECK_ID(id, 1, UINT64_MAX);
    CHECK(stream_id_parse("1\0-2", 4, 7, &id) == 0);
    CHECK_ID(id, 1, 7);
    static const char *const bad[] = {
        "",
        "-",
        "+",
        "*",
        "1-",
        "-1",
        "1-1 ",
        "1 -1",
        "1--1",
        "1--9223372036854775808",
        "1-+",
        "1- ",
        "1-+-1",
        "1-2-3",
        "a-1",
        "1-a",
        "1-*",
        "-1-1",
        "1.5",
        "0x10",
        "1-2\n",
        "18446744073709551616",
        "1-18446744073709551616",
        "99999999999999999999999-0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (stream_id_parse(bad[i], strlen(bad[i]), 0, &id) != -1) {
            fprintf(stderr, "accepted bad id \"%s\"\n", bad[i]);
            CHECK(0);
        }
    }
    CHECK(stream_id_parse("\0-2", 3, 0, &id) == -1);
    memset(big, '0', sizeof(big));
    big[125] = '-';
    big[126] = '1';
    CHECK(stream_id_parse(big, 127, 0, &id) == 0);
    CHECK_ID(id, 0, 1);
    big[126] = '0';
    big[127] = '1';
    CHECK(stream_id_parse(big, 128, 0, &id) == -1);
}

static void test_id_format_cmp(void)
{
    char buf[64];
    struct stream_id id;

    CHECK_MEM(buf, stream_id_format(buf, ID(0, 0)), "0-0");
    CHECK_MEM(buf, stream_id_format(buf, ID(1526919030474, 55)), "1526919030474-55");
    CHECK_MEM(buf, stream_id_format(buf, MAXID), "18446744073709551615-18446744073709551615");
    CHECK(stream_id_cmp(ID(1, 2), ID(1, 2)) == 0);
    CHECK(stream_id_cmp(ID(1, 2), ID(1, 3)) < 0);
    CHECK(stream_id_cmp(ID(2, 0), ID(1, UINT64_MAX)) > 0);
    CHECK(stream_id_cmp(ID(0, UINT64_MAX), ID(1, 0)) < 0);
    id = ID(1, UINT64_MAX);
    CHECK(stream_id_incr(&id) == 0);
    CHECK_ID(id, 2, 0);
    CHECK(stream_id_decr(&id) == 0);
    CHECK(id.ms == 1 && id.seq == UINT64_MAX);
    id = MAXID;
    CHECK(stream_id_incr(&id) == -1);
    id = ID(0, 0);
    CHECK(stream_id_decr(&id) == -1);
    id = ID(0, 1);
    CHECK(stream_id_decr(&id) == 0);
    CHECK_ID(id, 0, 0);
}

static void test_append_auto(void)
{
    struct stream *s = stream_new();
    struct stream_id id;

    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 1000, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 1000, 0);
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 1000, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 1000, 1);
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 999, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 1000, 2); /* clock went back: stay monotonic */
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), -5, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 1000, 3);
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 1001, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 1001, 0);
    /* sequence overflow moves to the next millisecond */
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(1005, UINT64_MAX), 0, "f", "v", &id) == 0);
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 3, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 1006, 0);
    CHECK_EQ(s->length, 7);
    CHECK_EQ(s->entries_added, 7);
    CHECK_ID(s->first_id, 1000, 0);
    CHECK_ID(s->last_id, 1006, 0);
    CHECK_SOUND(s);
    stream_free(s);

    s = stream_new();
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 0, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 0, 1); /* never 0-0 */
    stream_free(s);
}

static void test_append_exhausted(void)
{
    struct stream *s = stream_new();
    struct stream_id id;

    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, MAXID, 0, "f", "v", &id) == STREAM_OK);
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 5, "f", "v", &id) == STREAM_E_EXHAUSTED);
    CHECK(add1(s, NULL, STREAM_ID_MS_AUTO, ID(UINT64_MAX, 0), 5, "f", "v", &id) ==
          STREAM_E_EXHAUSTED);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(5, 5), 5, "f", "v", &id) == STREAM_E_EXHAUSTED);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(0, 0), 5, "f", "v", &id) == STREAM_E_ID_ZERO);
    CHECK(stream_check_append(s, STREAM_ID_AUTO, ID(0, 0)) == STREAM_E_EXHAUSTED);
    CHECK(stream_check_append(s, STREAM_ID_EXPLICIT, ID(0, 0)) == STREAM_E_ID_ZERO);
    CHECK_EQ(s->length, 1);
    CHECK_SOUND(s);
    stream_free(s);

    s = stream_new();
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(UINT64_MAX, 7), 0, "f", "v", &id) == 0);
    CHECK(add1(s, NULL, STREAM_ID_AUTO, ID(0, 0), 5, "f", "v", &id) == STREAM_OK);
    CHECK(id.ms == UINT64_MAX && id.seq == 8);
    stream_free(s);
}

static void test_append_ms_auto(void)
{
    struct stream *s = stream_new();
    struct stream_id id;

    CHECK(add1(s, NULL, STREAM_ID_MS_AUTO, ID(0, 0), 0, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 0, 1); /* "0-*" on an empty stream */
    CHECK(add1(s, NULL, STREAM_ID_MS_AUTO, ID(5, 0), 0, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 5, 0);
    CHECK(add1(s, NULL, STREAM_ID_MS_AUTO, ID(5, 0), 0, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 5, 1);
    CHECK(stream_check_append(s, STREAM_ID_MS_AUTO, ID(4, 0)) == STREAM_E_ID_TOO_SMALL);
    CHECK(add1(s, NULL, STREAM_ID_MS_AUTO, ID(4, 0), 0, "f", "v", &id) == STREAM_E_ID_TOO_SMALL);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(7, UINT64_MAX), 0, "f", "v", &id) == 0);
    CHECK(add1(s, NULL, STREAM_ID_MS_AUTO, ID(7, 0), 0, "f", "v", &id) == STREAM_E_ID_TOO_SMALL);
    CHECK(stream_check_append(s, STREAM_ID_MS_AUTO, ID(8, 0)) == STREAM_OK);
    CHECK(add1(s, NULL, STREAM_ID_MS_AUTO, ID(8, 0), 0, "f", "v", &id) == STREAM_OK);
    CHECK_ID(id, 8, 0);
    CHECK_EQ(s->length, 5);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_append_explicit(void)
{
    struct stream *s = stream_new();
    struct stream_id id;

    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(0, 0), 0, "f", "v", &id) == STREAM_E_ID_ZERO);
    CHECK(stream_check_append(s, STREAM_ID_EXPLICIT, ID(0, 0)) == STREAM_E_ID_ZERO);
    CHECK_EQ(s->length, 0);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(0, 1), 0, "f", "v", &id) == STREAM_OK);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(0, 1), 0, "f", "v", &id) == STREAM_E_ID_TOO_SMALL);
    CHECK(stream_check_append(s, STREAM_ID_EXPLICIT, ID(0, 1)) == STREAM_E_ID_TOO_SMALL);
    CHECK(stream_check_append(s, STREAM_ID_EXPLICIT, ID(0, 2)) == STREAM_OK);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(10, 5), 0, "f", "v", &id) == STREAM_OK);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(10, 4), 0, "f", "v", &id) == STREAM_E_ID_TOO_SMALL);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(9, 99), 0, "f", "v", &id) == STREAM_E_ID_TOO_SMALL);
    CHECK(add1(s, NULL, STREAM_ID_EXPLICIT, ID(UINT64_MAX - 1, 3), 0, "f", "v", &id) == 0);
    CHECK_EQ(s->length, 3);
    CHECK_EQ(s->entries_added, 3);
    CHECK_ID(s->first_id, 0, 1);
    CHECK_ID(s->last_id, UINT64_MAX - 1, 3);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_append_too_large(void)
{
    struct stream *s = stream_new();
    static const char small[4] = "abc";
    struct slice fv[2] = {sl("f"), {small, ((size_t)1 << 30) + 1}};
    struct stream_id id;

    CHECK(stream_append(s, NULL, STREAM_ID_AUTO, ID(0, 0), 1, fv, 1, &id) == STREAM_E_TOO_LARGE);
    CHECK_EQ(s->length, 0);
    CHECK_ID(s->last_id, 0, 0);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_iter_bounds(void)
{
    static const struct stream_limits lim = {0, 3};
    struct stream *s = stream_new();
    struct stream_id got[32];
    /* 10-0 10-1 20-0 30-5 30-6 40-0 50-0 (three nodes) */
    static const struct stream_id ids[] = {{10, 0}, {10, 1}, {20, 0}, {30, 5},
                                           {30, 6}, {40, 0}, {50, 0}};
    for (size_t i = 0; i < 7; i++)
        CHECK(add1(s, &lim, STREAM_ID_EXPLICIT, ids[i], 0, "f", "v", NULL) == 0);
    CHECK_EQ(stream_node_count(s), 3);
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 0, got, 32), 7);
    for (size_t i = 0; i < 7; i++)
        CHECK(stream_id_cmp(got[i], ids[i]) == 0);
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 1, got, 32), 7);
    for (size_t i = 0; i < 7; i++)
        CHECK(stream_id_cmp(got[i], ids[6 - i]) == 0);
    CHECK_EQ(collect(s, ID(10, 1), ID(30, 5), 0, got, 32), 3);
    CHECK_ID(got[0], 10, 1);
    CHECK_ID(got[2], 30, 5);
    CHECK_EQ(collect(s, ID(10, 1), ID(30, 5), 1, got, 32), 3);
    CHECK_ID(got[0], 30, 5);
    CHECK_ID(got[2], 10, 1);
    CHECK_EQ(collect(s, ID(15, 0), ID(30, 0), 0, got, 32), 1); /* between entries */
    CHECK_ID(got[0], 20, 0);
    CHECK_EQ(collect(s, ID(15, 0), ID(30, 0), 1, got, 32), 1);
    CHECK_EQ(collect(s, ID(30, 6), ID(30, 6), 0, got, 32), 1);
    CHECK_EQ(collect(s, ID(30, 6), ID(30, 6), 1, got, 32), 1);
    CHECK_EQ(collect(s, ID(30, 7), ID(39, 0), 0, got, 32), 0);
    CHECK_EQ(collect(s, ID(30, 7), ID(39, 0), 1, got, 32), 0);
    CHECK_EQ(collect(s, ID(0, 0), ID(9, UINT64_MAX), 0, got, 32), 0); /* below all */
    CHECK_EQ(collect(s, ID(0, 0), ID(9, UINT64_MAX), 1, got, 32), 0);
    CHECK_EQ(collect(s, ID(50, 1), MAXID, 0, got, 32), 0); /* above all */
    CHECK_EQ(collect(s, ID(50, 1), MAXID, 1, got, 32), 0);
    CHECK_EQ(collect(s, ID(40, 0), ID(20, 0), 0, got, 32), 0); /* start > end */
    CHECK_EQ(collect(s, ID(40, 0), ID(20, 0), 1, got, 32), 0);
    CHECK_EQ(collect(s, ID(30, 6), ID(30, 6), 1, got, 32), 1);
    CHECK_EQ(collect(s, ID(10, 1), MAXID, 1, got, 2), 2);
    CHECK_ID(got[1], 40, 0);
    stream_free(s);

    s = stream_new(); /* empty stream */
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 0, got, 32), 0);
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 1, got, 32), 0);
    stream_free(s);
}

static void test_delete(void)
{
    static const struct stream_limits lim = {0, 3};
    struct stream *s = stream_new();
    struct stream_id got[16];

    add_range(s, &lim, 1, 9); /* nodes: 1-3, 4-6, 7-9 */
    CHECK_EQ(stream_node_count(s), 3);
    CHECK(stream_delete(s, ID(5, 0)) == 1);
    CHECK(stream_delete(s, ID(5, 0)) == 0);
    CHECK(stream_delete(s, ID(5, 1)) == 0);
    CHECK(stream_delete(s, ID(100, 0)) == 0);
    CHECK(!stream_has(s, ID(5, 0)));
    CHECK(stream_has(s, ID(4, 0)));
    CHECK_ID(s->max_deleted_id, 5, 0);
    CHECK_EQ(s->length, 8);
    CHECK_SOUND(s);
    CHECK(stream_delete(s, ID(1, 0)) == 1); /* first entry */
    CHECK_ID(s->first_id, 2, 0);
    CHECK_ID(s->max_deleted_id, 5, 0); /* not greater */
    CHECK(stream_delete(s, ID(2, 0)) == 1);
    CHECK(stream_delete(s, ID(3, 0)) == 1); /* node 1-3 now empty: freed */
    CHECK_EQ(stream_node_count(s), 2);
    CHECK_ID(s->first_id, 4, 0);
    CHECK_SOUND(s);
    CHECK(stream_delete(s, ID(4, 0)) == 1);
    CHECK(stream_delete(s, ID(6, 0)) == 1);
    CHECK_EQ(stream_node_count(s), 1);
    CHECK_ID(s->first_id, 7, 0);
    CHECK_ID(s->max_deleted_id, 6, 0);
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 0, got, 16), 3);
    CHECK(stream_delete(s, ID(9, 0)) == 1); /* last entry: last_id stays */
    CHECK_ID(s->last_id, 9, 0);
    CHECK(stream_delete(s, ID(7, 0)) == 1);
    CHECK(stream_delete(s, ID(8, 0)) == 1);
    CHECK_EQ(s->length, 0);
    CHECK_EQ(stream_node_count(s), 0);
    CHECK_ID(s->first_id, 0, 0);
    CHECK_ID(s->max_deleted_id, 9, 0);
    CHECK_ID(s->last_id, 9, 0);
    CHECK_SOUND(s);
    CHECK(add1(s, &lim, STREAM_ID_EXPLICIT, ID(9, 0), 0, "f", "v", NULL) == STREAM_E_ID_TOO_SMALL);
    CHECK(add1(s, &lim, STREAM_ID_AUTO, ID(0, 0), 0, "f", "v", NULL) == STREAM_OK);
    CHECK_ID(s->first_id, 9, 1);
    CHECK_EQ(s->entries_added, 10);
    CHECK_SOUND(s);
    stream_free(s);
}

/* Deleting the tail node's entries must not confuse later appends. */
static void test_delete_tail_then_append(void)
{
    static const struct stream_limits lim = {0, 4};
    struct stream *s = stream_new();
    struct stream_id got[16];

    add_range(s, &lim, 1, 6); /* nodes 1-4, 5-6 (open tail) */
    CHECK(stream_delete(s, ID(5, 0)) == 1);
    CHECK(stream_delete(s, ID(6, 0)) == 1); /* tail freed */
    CHECK_EQ(stream_node_count(s), 1);
    CHECK_SOUND(s);
    add_range(s, &lim, 7, 8);
    CHECK_SOUND(s);
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 0, got, 16), 6);
    CHECK_ID(got[4], 7, 0);
    CHECK_ID(got[5], 8, 0);
    CHECK(stream_delete(s, ID(2, 0)) == 1); /* keep a deleted entry inside */
    add_range(s, &lim, 9, 12);
    CHECK_SOUND(s);
    CHECK_EQ(s->length, 9);
    stream_free(s);
}

static void test_iter_delete(void)
{
    static const struct stream_limits lim = {0, 3};
    struct stream *s = stream_new();
    struct stream_iter it;
    struct stream_id id, got[32];
    size_t n = 0;

    add_range(s, &lim, 1, 10);
    stream_iter_init(&it, s, ID(2, 0), ID(9, 0), 0);
    while (stream_iter_next(&it, &id, NULL, NULL)) {
        got[n++] = id;
        if (id.ms != 5) {
            stream_iter_delete_current(&it);
            stream_iter_delete_current(&it); /* second call is a no-op */
        }
    }
    stream_iter_done(&it);
    CHECK_EQ(n, 8);
    for (size_t i = 0; i < n; i++)
        CHECK_ID(got[i], i + 2, 0);
    CHECK_EQ(s->length, 3);
    CHECK_ID(s->first_id, 1, 0);
    CHECK_ID(s->max_deleted_id, 9, 0);
    CHECK_SOUND(s);
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 0, got, 32), 3);
    CHECK_ID(got[1], 5, 0);
    stream_free(s);

    s = stream_new();
    add_range(s, &lim, 1, 10);
    n = 0;
    stream_iter_init(&it, s, ID(0, 0), MAXID, 1);
    while (stream_iter_next(&it, &id, NULL, NULL)) {
        got[n++] = id;
        stream_iter_delete_current(&it);
        CHECK_SOUND(s);
    }
    stream_iter_done(&it);
    CHECK_EQ(n, 10);
    for (size_t i = 0; i < n; i++)
        CHECK_ID(got[i], 10 - i, 0);
    CHECK_EQ(s->length, 0);
    CHECK_EQ(stream_node_count(s), 0);
    CHECK_ID(s->first_id, 0, 0);
    stream_free(s);
}

/* ------------------------------------------------------------------ */
/* Trimming                                                            */

struct trim_log {
    struct stream_id ids[256];
    size_t n;
    int refuse; /* 1: refuse even ms; 2: refuse ms % 3 == 0 */
};

static int cb_can_delete(void *priv, struct stream_id id)
{
    struct trim_log *l = priv;
    if (l->refuse == 1)
        return id.ms % 2 != 0;
    if (l->refuse == 2)
        return id.ms % 3 != 0;
    return 1;
}

static void cb_on_delete(void *priv, struct stream_id id)
{
    struct trim_log *l = priv;
    if (l->n < 256)
        l->ids[l->n++] = id;
}

/* 100 entries 1-0 .. 100-0 in nodes of 10. */
static struct stream *hundred(void)
{
    static const struct stream_limits lim = {0, 10};
    struct stream *s = stream_new();
    add_range(s, &lim, 1, 100);
    return s;
}

static uint64_t do_trim(struct stream *s, enum stream_trim_strategy st, int approx, uint64_t maxlen,
                        struct stream_id minid, long long limit, struct trim_log *log)
{
    struct stream_trim t = {st, approx, maxlen, minid, limit, NULL, NULL, NULL};
    if (log) {
        t.can_delete = log->refuse ? cb_can_delete : NULL;
        t.on_delete = cb_on_delete;
        t.priv = log;
    }
    return stream_trim(s, &t);
}

static void test_trim_maxlen(void)
{
    struct stream *s = hundred();
    struct trim_log log = {.n = 0};

    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 1, 55, ID(0, 0), 0, &log), 40);
    CHECK_EQ(s->length, 60);
    CHECK_ID(s->first_id, 41, 0);
    CHECK_ID(s->max_deleted_id, 0, 0); /* trimming is not a deletion (Redis) */
    CHECK_EQ(stream_node_count(s), 6);
    CHECK_EQ(log.n, 40);
    for (size_t i = 0; i < 40; i++)
        CHECK_ID(log.ids[i], i + 1, 0);
    CHECK_SOUND(s);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 1, 55, ID(0, 0), 0, NULL), 0);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 0, 55, ID(0, 0), 0, NULL), 5);
    CHECK_ID(s->first_id, 46, 0);
    CHECK_EQ(s->length, 55);
    CHECK_SOUND(s);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 0, 100, ID(0, 0), 0, NULL), 0);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 0, 0, ID(0, 0), 0, NULL), 55);
    CHECK_EQ(s->length, 0);
    CHECK_EQ(stream_node_count(s), 0);
    CHECK_ID(s->first_id, 0, 0);
    CHECK_ID(s->last_id, 100, 0);
    CHECK_ID(s->max_deleted_id, 0, 0);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_trim_limit(void)
{
    struct stream *s = hundred();

    /* nodes hold 10: the third would exceed the limit of 25 */
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 1, 55, ID(0, 0), 25, NULL), 20);
    CHECK_ID(s->first_id, 21, 0);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 1, 55, ID(0, 0), 5, NULL), 0);
    CHECK_SOUND(s);
    /* exact trimming honours a limit too */
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 0, 55, ID(0, 0), 7, NULL), 7);
    CHECK_ID(s->first_id, 28, 0);
    CHECK_SOUND(s);
    /* deleted entries do not count: node 28-30 has 3 live entries */
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 1, 10, ID(0, 0), 13, NULL), 13);
    CHECK_ID(s->first_id, 41, 0);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_trim_minid(void)
{
    struct stream *s = hundred();

    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 1, 0, ID(35, 0), 0, NULL), 30);
    CHECK_ID(s->first_id, 31, 0);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 0, 0, ID(35, 0), 0, NULL), 4);
    CHECK_ID(s->first_id, 35, 0);
    CHECK_ID(s->max_deleted_id, 0, 0);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 0, 0, ID(35, 0), 0, NULL), 0);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 0, 0, ID(0, 0), 0, NULL), 0);
    CHECK_SOUND(s);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 1, 0, ID(57, 0), 12, NULL), 6);
    CHECK_ID(s->first_id, 41, 0);
    CHECK_SOUND(s);
    /* approx removes the last node when last_id < minid */
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 1, 0, ID(100, 1), 0, NULL), 60);
    CHECK_EQ(s->length, 0);
    CHECK_EQ(stream_node_count(s), 0);
    CHECK_SOUND(s);
    stream_free(s);

    s = hundred();
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 1, 0, ID(100, 0), 0, NULL), 90);
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 0, 0, MAXID, 0, NULL), 10);
    CHECK_ID(s->last_id, 100, 0);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_trim_callbacks(void)
{
    struct stream *s = hundred();
    struct trim_log log = {.n = 0, .refuse = 1};

    /* odd IDs may go: all 50 of them, oldest first */
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 0, 50, ID(0, 0), 0, &log), 50);
    CHECK_EQ(log.n, 50);
    for (size_t i = 0; i < 50; i++)
        CHECK_ID(log.ids[i], 2 * i + 1, 0);
    CHECK_EQ(s->length, 50);
    CHECK_ID(s->first_id, 2, 0);
    CHECK_ID(s->max_deleted_id, 99, 0);
    CHECK_SOUND(s);
    log.n = 0; /* nothing more may go */
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 1, 10, ID(0, 0), 0, &log), 0);
    CHECK_EQ(stream_node_count(s), 10);
    stream_free(s);

    s = hundred();
    log.n = 0;
    log.refuse = 2;
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 0, 0, ID(21, 0), 0, &log), 14);
    CHECK_ID(s->first_id, 3, 0);
    CHECK_ID(s->max_deleted_id, 20, 0);
    CHECK_SOUND(s);
    log.n = 0; /* limit caps removals */
    CHECK_EQ(do_trim(s, STREAM_TRIM_MINID, 1, 0, ID(60, 0), 5, &log), 5);
    CHECK_ID(log.ids[4], 28, 0); /* 22 23 25 26 28: 24 and 27 refused */
    CHECK_SOUND(s);
    log.refuse = 0; /* on_delete alone: the node fast path */
    log.n = 0;
    CHECK_EQ(do_trim(s, STREAM_TRIM_MAXLEN, 0, 0, ID(0, 0), 0, &log), 100 - 14 - 5);
    CHECK_EQ(log.n, 81);
    CHECK_ID(log.ids[0], 3, 0);
    CHECK_SOUND(s);
    stream_free(s);
}

/* ------------------------------------------------------------------ */
/* Node limits and encodings                                           */

static void test_node_limits(void)
{
    static const struct stream_limits l3 = {0, 3}, unl = {0, 0}, b64 = {64, 0};
    static const struct stream_limits b100 = {100, 100};
    struct stream *s = stream_new();
    char big[1000];
    struct slice fv[2] = {sl("f"), {big, sizeof(big)}};

    add_range(s, &l3, 1, 10);
    CHECK_EQ(stream_node_count(s), 4);
    CHECK_SOUND(s);
    stream_free(s);

    s = stream_new();
    add_range(s, &unl, 1, 1000);
    CHECK_EQ(stream_node_count(s), 1);
    CHECK_SOUND(s);
    stream_free(s);

    /* f1=<10 bytes>: the first entry of a node takes 16 bytes (flags, count,
     * name, header, value), the next ones 11 (flags, value): with the
     * 12-byte node header, 64 bytes hold 4 entries */
    s = stream_new();
    for (int i = 1; i <= 120; i++) {
        CHECK(add1(s, &b64, STREAM_ID_AUTO, ID(0, 0), i, "f1", "abcdefghij", NULL) == 0);
        CHECK(stream_mem_usage(s) < 64 * (size_t)i + 1024);
    }
    CHECK_EQ(stream_node_count(s), 30);
    CHECK_SOUND(s);
    stream_free(s);

    s = stream_new(); /* a big entry gets a node of its own */
    memset(big, 'x', sizeof(big));
    add_range(s, &b100, 1, 1);
    CHECK(stream_append(s, &b100, STREAM_ID_EXPLICIT, ID(2, 0), 0, fv, 1, NULL) == 0);
    add_range(s, &b100, 3, 3);
    CHECK_EQ(stream_node_count(s), 3);
    CHECK_SOUND(s);
    stream_free(s);
}

/* Appends one entry of the given pairs, then reads it back. */
static int roundtrip(struct stream *s, const struct stream_limits *lim, const struct slice *fv,
                     size_t npairs)
{
    struct stream_iter it;
    struct stream_id id, got;
    const struct slice *rfv;
    size_t n;
    int ok;

    TRY(stream_append(s, lim, STREAM_ID_AUTO, ID(0, 0), 1, fv, npairs, &id) == STREAM_OK);
    stream_iter_init(&it, s, id, id, 0);
    ok = stream_iter_next(&it, &got, &rfv, &n) && n == npairs;
    for (size_t i = 0; ok && i < 2 * npairs; i++)
        ok = rfv[i].len == fv[i].len && memcmp(rfv[i].p, fv[i].p, fv[i].len) == 0;
    stream_iter_done(&it);
    TRY(ok);
    return 0;
}

static void test_int_roundtrip(void)
{
    static const char *const vals[] = {
        "0",
        "-1",
        "123",
        "9223372036854775807",
        "-9223372036854775808",
        "007",
        "+1",
        "1.0",
        "",
        "-0",
        "-",
        "00",
        " 1",
        "1 ",
        "9223372036854775808",
        "-9223372036854775809",
        "127",
        "128",
        "-128",
        "-129",
        "32767",
        "-32768",
        "4294967296",
        "12345678901234567890",
        "1e5",
        "0x1f",
        "18446744073709551615",
    };
    size_t nv = sizeof(vals) / sizeof(vals[0]);
    struct slice fv[2 * 32];
    struct stream *s = stream_new();

    for (size_t i = 0; i < nv; i++) { /* each alone, and all in one entry */
        struct slice one[2] = {sl("n"), sl(vals[i])};
        CHECK(roundtrip(s, &LIM_DEFAULT, one, 1) == 0);
        fv[2 * i] = sl(vals[(i + 3) % nv]);
        fv[2 * i + 1] = sl(vals[i]);
    }
    CHECK(roundtrip(s, &LIM_DEFAULT, fv, nv) == 0);
    CHECK(roundtrip(s, &LIM_DEFAULT, fv, nv) == 0); /* SAMEF|SAMEH path */
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_binary_and_shapes(void)
{
    struct stream *s = stream_new();
    static const char f0[] = "a\0b", v0[] = "\0\0\xff\x80";
    struct slice bin[4] = {{f0, 3}, {v0, 4}, {v0, 0}, {f0, 1}};
    struct slice two[4] = {sl("f1"), sl("x"), sl("f2"), sl("yy")};
    struct slice other[4] = {sl("f1"), sl("xx"), sl("f2"), sl("y")};
    struct slice renamed[4] = {sl("g1"), sl("x"), sl("f2"), sl("yy")};

    CHECK(roundtrip(s, &LIM_DEFAULT, bin, 2) == 0);
    CHECK(roundtrip(s, &LIM_DEFAULT, two, 2) == 0);
    CHECK(roundtrip(s, &LIM_DEFAULT, other, 2) == 0);   /* same fields */
    CHECK(roundtrip(s, &LIM_DEFAULT, renamed, 2) == 0); /* same lengths */
    CHECK(roundtrip(s, &LIM_DEFAULT, two, 1) == 0);
    CHECK(roundtrip(s, &LIM_DEFAULT, two, 0) == 0); /* no pairs at all */
    CHECK(roundtrip(s, &LIM_DEFAULT, bin, 2) == 0);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_big_values(void)
{
    static const struct stream_limits lims[] = {{4096, 100}, {0, 0}, {64, 2}};
    size_t n = 1 << 20;
    char *big = malloc(n);
    struct stream *s = stream_new();

    CHECK(big != NULL);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i * 7 + (i >> 9));
    for (int k = 0; k < 6; k++) {
        struct slice fv[4] = {sl("big"), {big, n - (size_t)k}, {big, 5}, sl("-42")};
        if (roundtrip(s, &lims[k % 3], fv, 2) != 0) {
            free(big);
            CHECK(0);
        }
    }
    free(big);
    CHECK_EQ(s->length, 6);
    CHECK(stream_mem_usage(s) > 6 * n - 100);
    CHECK_SOUND(s);
    stream_free(s);
}

static void test_dup_and_usage(void)
{
    static const struct stream_limits lim = {0, 4};
    size_t before = mem_used(), usage;
    struct stream *s = stream_new(), *d;
    struct stream_id a[32], b[32];

    add_range(s, &lim, 1, 10);
    stream_delete(s, ID(3, 0));
    usage = stream_mem_usage(s);
    CHECK(usage > 0);
    CHECK_EQ(usage, mem_used() - before);
    d = stream_dup(s);
    CHECK(d->groups == NULL && d->idmp == NULL);
    CHECK_SOUND(d);
    CHECK_EQ(d->length, 9);
    CHECK_ID(d->max_deleted_id, 3, 0);
    CHECK_EQ(collect(d, ID(0, 0), MAXID, 0, a, 32), 9);
    add_range(d, &lim, 11, 12); /* appends to a copied (sealed) tail */
    stream_delete(s, ID(1, 0));
    CHECK_SOUND(d);
    CHECK_SOUND(s);
    CHECK_EQ(collect(d, ID(0, 0), MAXID, 0, b, 32), 11);
    CHECK_EQ(collect(s, ID(0, 0), MAXID, 0, a, 32), 8);
    CHECK_ID(b[0], 1, 0);
    CHECK_ID(b[10], 12, 0);
    stream_free(d);
    stream_free(s);
    CHECK_EQ(mem_used(), before);
}

/* ------------------------------------------------------------------ */
/* Randomized model test                                               */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

struct mentry {
    struct stream_id id;
    size_t npairs;
    struct slice *fv; /* 2*npairs slices into buf */
    char *buf;
};

struct model {
    struct mentry *e;
    size_t n, cap;
    struct stream_id last, first, maxdel;
    uint64_t added;
};

static void model_add(struct model *m, struct stream_id id, const struct slice *fv, size_t np)
{
    struct mentry *e;
    size_t total = 0, off = 0;

    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->e = realloc(m->e, m->cap * sizeof(*m->e));
    }
    e = &m->e[m->n++];
    for (size_t i = 0; i < 2 * np; i++)
        total += fv[i].len;
    e->id = id;
    e->npairs = np;
    e->buf = malloc(total + 1);
    e->fv = malloc((2 * np + 1) * sizeof(*e->fv));
    for (size_t i = 0; i < 2 * np; i++) {
        memcpy(e->buf + off, fv[i].p, fv[i].len);
        e->fv[i] = (struct slice){e->buf + off, fv[i].len};
        off += fv[i].len;
    }
    m->last = id;
    m->added++;
    m->first = m->e[0].id;
}

static void model_del_at(struct model *m, size_t i)
{
    if (stream_id_cmp(m->e[i].id, m->maxdel) > 0)
        m->maxdel = m->e[i].id;
    free(m->e[i].buf);
    free(m->e[i].fv);
    memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(*m->e));
    m->n--;
    m->first = m->n ? m->e[0].id : ID(0, 0);
}

/* Index of id, or -1. */
static long model_find(const struct model *m, struct stream_id id)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = stream_id_cmp(m->e[mid].id, id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void model_free(struct model *m)
{
    while (m->n)
        model_del_at(m, m->n - 1);
    free(m->e);
}

/* The XADD ID rules, written independently of stream.c. */
static enum stream_status model_id(const struct model *m, enum stream_id_mode mode,
                                   struct stream_id id, int64_t now, struct stream_id *out)
{
    struct stream_id l = m->last;
    if (mode == STREAM_ID_EXPLICIT && id.ms == 0 && id.seq == 0)
        return STREAM_E_ID_ZERO;
    if (l.ms == UINT64_MAX && l.seq == UINT64_MAX)
        return STREAM_E_EXHAUSTED;
    if (mode == STREAM_ID_AUTO) {
        if (now > 0 && (uint64_t)now > l.ms)
            *out = ID((uint64_t)now, 0);
        else
            *out = l.seq == UINT64_MAX ? ID(l.ms + 1, 0) : ID(l.ms, l.seq + 1);
        return STREAM_OK;
    }
    if (mode == STREAM_ID_MS_AUTO) {
        if (id.ms < l.ms || (id.ms == l.ms && l.seq == UINT64_MAX))
            return STREAM_E_ID_TOO_SMALL;
        *out = id.ms > l.ms ? ID(id.ms, 0) : ID(l.ms, l.seq + 1);
        return STREAM_OK;
    }
    if (stream_id_cmp(id, l) <= 0)
        return STREAM_E_ID_TOO_SMALL;
    *out = id;
    return STREAM_OK;
}

static int model_compare_meta(const struct stream *s, const struct model *m)
{
    char err[256];
    if (stream_check(s, err) != 0) {
        fprintf(stderr, "stream_check: %s\n", err);
        return -1;
    }
    TRY(s->length == m->n);
    TRY(stream_id_cmp(s->last_id, m->last) == 0);
    TRY(stream_id_cmp(s->first_id, m->first) == 0);
    TRY(stream_id_cmp(s->max_deleted_id, m->maxdel) == 0);
    TRY(s->entries_added == m->added);
    return 0;
}

static int same_entry(const struct mentry *e, struct stream_id id, const struct slice *fv,
                      size_t np)
{
    TRY(stream_id_cmp(e->id, id) == 0);
    TRY(e->npairs == np);
    for (size_t i = 0; i < 2 * np; i++) {
        TRY(e->fv[i].len == fv[i].len);
        TRY(fv[i].len == 0 || memcmp(e->fv[i].p, fv[i].p, fv[i].len) == 0);
    }
    return 0;
}

/* Model indexes [lo, hi) of the entries within [a, b]. */
static void model_span(const struct model *m, struct stream_id a, struct stream_id b, size_t *lo,
                       size_t *hi)
{
    size_t i = 0, j;
    while (i < m->n && stream_id_cmp(m->e[i].id, a) < 0)
        i++;
    j = i;
    while (j < m->n && stream_id_cmp(m->e[j].id, b) <= 0)
        j++;
    *lo = i;
    *hi = j < i ? i : j;
}

/* Iterates [a, b] (optionally deleting some entries on the way) and
 * compares with the model; at most `count` entries when count > 0. */
static int model_range(struct stream *s, struct model *m, struct stream_id a, struct stream_id b,
                       int rev, size_t count, int del_pct)
{
    struct stream_iter it;
    struct stream_id id;
    const struct slice *fv;
    size_t np, lo, hi, k = 0, ndel = 0;
    struct stream_id *dels;
    int bad = 0;

    model_span(m, a, b, &lo, &hi);
    dels = malloc((hi - lo + 1) * sizeof(*dels));
    stream_iter_init(&it, s, a, b, rev);
    while ((!count || k < count) && stream_iter_next(&it, &id, &fv, &np)) {
        size_t mi = rev ? hi - 1 - k : lo + k;
        if (lo + k >= hi || same_entry(&m->e[mi], id, fv, np) != 0) {
            bad = 1;
            break;
        }
        k++;
        if ((int)rnd_below(100) < del_pct) {
            stream_iter_delete_current(&it);
            dels[ndel++] = id;
        }
    }
    stream_iter_done(&it);
    if (!bad && !count && k != hi - lo)
        bad = 1;
    for (size_t i = 0; i < ndel; i++)
        model_del_at(m, (size_t)model_find(m, dels[i]));
    free(dels);
    TRY(!bad);
    return 0;
}

/* ---- random entries ---- */

static char gen_pool[1 << 16];
static size_t gen_used;

static struct slice gen_bytes(size_t len, int printable)
{
    char *p = gen_pool + gen_used;
    for (size_t i = 0; i < len; i++)
        p[i] = printable ? (char)('a' + rnd_below(26)) : (char)rnd();
    gen_used += len;
    return (struct slice){p, len};
}

static struct slice gen_text(const char *t)
{
    size_t n = strlen(t);
    memcpy(gen_pool + gen_used, t, n);
    gen_used += n;
    return (struct slice){gen_pool + gen_used - n, n};
}

static struct slice gen_int(void)
{
    static const long long edges[] = {0,
                                      -1,
                                      1,
                                      127,
                                      128,
                                      -128,
                                      -129,
                                      255,
                                      32767,
                                      -32768,
                                      65536,
                                      1 << 23,
                                      -(1 << 23),
                                      4294967295LL,
                                      9223372036854775807LL,
                                      -9223372036854775807LL - 1};
    char t[32];
    long long v;
    switch (rnd_below(3)) {
    case 0:
        v = edges[rnd_below(sizeof(edges) / sizeof(edges[0]))];
        break;
    case 1:
        v = (long long)rnd_below(100000) - 500;
        break;
    default:
        v = (long long)rnd();
        break;
    }
    snprintf(t, sizeof(t), "%lld", v);
    return gen_text(t);
}

static struct slice gen_value(void)
{
    static const char *const odd[] = {"007",
                                      "+1",
                                      "-0",
                                      "1.0",
                                      "",
                                      "-",
                                      " 1",
                                      "1 ",
                                      "00",
                                      "9223372036854775808",
                                      "-9223372036854775809",
                                      "123456789012345678901",
                                      "0x10"};
    unsigned k = (unsigned)rnd_below(100);
    if (k < 25)
        return gen_int();
    if (k < 32)
        return gen_text(odd[rnd_below(sizeof(odd) / sizeof(odd[0]))]);
    if (k < 55)
        return gen_bytes(rnd_below(13), 0);
    if (k < 92)
        return gen_bytes(10, 1);
    if (k < 99)
        return gen_bytes(100 + rnd_below(300), 0);
    return gen_bytes(3000 + rnd_below(2000), 1);
}

static const char *const schema_names[] = {"f1", "f2", "name", "", "temperature", "k", "f3"};

/* Fills fv with random pairs; mostly following the current "schema". */
static size_t gen_pairs(struct slice *fv, const size_t *schema, size_t schema_n)
{
    size_t np;
    int follow = rnd_below(10) < 7;

    gen_used = 0;
    np = follow ? schema_n : rnd_below(20) == 0 ? 0 : 1 + rnd_below(5);
    for (size_t i = 0; i < np; i++) {
        if (follow)
            fv[2 * i] = gen_text(schema_names[schema[i]]);
        else if (rnd_below(4) == 0)
            fv[2 * i] = gen_bytes(rnd_below(6), 0);
        else
            fv[2 * i] = gen_text(schema_names[rnd_below(7)]);
        fv[2 * i + 1] = gen_value();
    }
    return np;
}

/* ---- operations ---- */

struct mtest {
    struct stream *s;
    struct model m;
    struct stream_limits lim;
    size_t schema[5], schema_n;
    int64_t now;
    int grow;       /* phase: mostly appends, or a mix that churns */
    int fixed_lims; /* keep the default node limits throughout */
};

static struct stream_id explicit_candidate(const struct model *m)
{
    struct stream_id l = m->last;
    switch (rnd_below(8)) {
    case 0:
        return l; /* equal: too small */
    case 1:
        stream_id_decr(&l);
        return l;
    case 2:
        return ID(0, 0);
    case 3:
        return ID(l.ms + 1 + rnd_below(1000), rnd_below(3) ? 0 : rnd());
    default:
        if (l.seq < UINT64_MAX - 10)
            return ID(l.ms, l.seq + 1 + rnd_below(3));
        return ID(l.ms + 1, rnd_below(3));
    }
}

static int op_append(struct mtest *t)
{
    struct slice fv[12];
    size_t np = gen_pairs(fv, t->schema, t->schema_n);
    unsigned k = (unsigned)rnd_below(10);
    enum stream_id_mode mode = k < 6   ? STREAM_ID_AUTO
                               : k < 8 ? STREAM_ID_MS_AUTO
                                       : STREAM_ID_EXPLICIT;
    struct stream_id id = ID(0, 0), want = ID(0, 0), got = ID(0, 0);
    enum stream_status st, wst;

    t->now += (int64_t)rnd_below(3) - (rnd_below(20) == 0);
    if (mode == STREAM_ID_MS_AUTO)
        id.ms = t->m.last.ms + rnd_below(3) - (t->m.last.ms > 0);
    else if (mode == STREAM_ID_EXPLICIT)
        id = explicit_candidate(&t->m);
    st = stream_append(t->s, &t->lim, mode, id, t->now, fv, np, &got);
    wst = model_id(&t->m, mode, id, t->now, &want);
    TRY(st == wst);
    if (st == STREAM_OK) {
        TRY(stream_id_cmp(got, want) == 0);
        model_add(&t->m, got, fv, np);
    }
    return model_compare_meta(t->s, &t->m);
}

static struct stream_id rand_bound(const struct model *m)
{
    struct stream_id id;
    switch (rnd_below(8)) {
    case 0:
        return ID(0, 0);
    case 1:
        return MAXID;
    case 2:
    case 3:
    case 4:
        if (m->n == 0)
            return ID(0, 0);
        id = m->e[rnd_below(m->n)].id;
        if (rnd_below(4) == 0)
            stream_id_incr(&id);
        else if (rnd_below(4) == 0)
            stream_id_decr(&id);
        return id;
    default:
        id.ms = m->first.ms + rnd_below(m->last.ms - m->first.ms + 3);
        id.ms = id.ms ? id.ms - 1 : 0;
        id.seq = rnd_below(4) == 0 ? UINT64_MAX : rnd_below(4);
        return id;
    }
}

static int op_delete(struct mtest *t)
{
    struct stream_id id = rand_bound(&t->m);
    long i;
    if (t->m.n && rnd_below(3))
        id = t->m.e[rnd_below(t->m.n)].id;
    i = model_find(&t->m, id);
    TRY(stream_has(t->s, id) == (i >= 0));
    TRY(stream_delete(t->s, id) == (i >= 0));
    if (i >= 0)
        model_del_at(&t->m, (size_t)i);
    return model_compare_meta(t->s, &t->m);
}

struct rlog {
    struct stream_id *ids;
    size_t n, cap;
    unsigned refuse; /* 0: accept all; else refuse ids hashing to 0 mod refuse */
};

static int rl_can_delete(void *priv, struct stream_id id)
{
    const struct rlog *l = priv;
    return (id.ms * 31 + id.seq) % l->refuse != 0;
}

static void rl_on_delete(void *priv, struct stream_id id)
{
    struct rlog *l = priv;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->ids = realloc(l->ids, l->cap * sizeof(*l->ids));
    }
    l->ids[l->n++] = id;
}

/* What the trim may remove, oldest first, per the model: with a callback
 * the exact set; without, the exact-trim prefix (approx removes a prefix of
 * it).  Returns the count, with the IDs' indexes in want[]. */
static size_t model_trim_plan(const struct model *m, const struct stream_trim *tr,
                              const struct rlog *log, size_t *want)
{
    size_t k = 0, len = m->n;
    for (size_t i = 0; i < m->n; i++) {
        struct stream_id id = m->e[i].id;
        if (tr->limit > 0 && k >= (size_t)tr->limit)
            break;
        if (tr->strategy == STREAM_TRIM_MAXLEN && len <= tr->maxlen)
            break;
        if (tr->strategy == STREAM_TRIM_MINID && stream_id_cmp(id, tr->minid) >= 0)
            break;
        if (log->refuse && !rl_can_delete((void *)log, id))
            continue;
        want[k++] = i;
        len--;
    }
    return k;
}

static void rand_trim(const struct model *m, struct stream_trim *tr, struct rlog *log)
{
    memset(tr, 0, sizeof(*tr));
    tr->strategy = rnd_below(2) ? STREAM_TRIM_MAXLEN : STREAM_TRIM_MINID;
    tr->approx = (int)rnd_below(2);
    tr->maxlen = rnd_below(m->n + 5);
    if (rnd_below(4)) /* mostly gentle: cut up to a quarter */
        tr->maxlen = m->n - rnd_below(m->n / 4 + 2);
    if (tr->maxlen > m->n + 5)
        tr->maxlen = 0;
    tr->minid = rand_bound(m);
    if (m->n && rnd_below(4))
        tr->minid = m->e[rnd_below(m->n / 4 + 1)].id;
    tr->limit = rnd_below(3) ? 0 : (long long)rnd_below(m->n + 2);
    log->refuse = rnd_below(3) ? 0 : 2 + (unsigned)rnd_below(3);
    tr->can_delete = log->refuse ? rl_can_delete : NULL;
    tr->on_delete = rl_on_delete;
    tr->priv = log;
}

static int op_trim(struct mtest *t)
{
    struct stream_trim tr;
    struct rlog log = {NULL, 0, 0, 0};
    size_t *want = malloc((t->m.n + 1) * sizeof(*want)), k;
    uint64_t removed;
    int bad = 0;

    rand_trim(&t->m, &tr, &log);
    k = model_trim_plan(&t->m, &tr, &log, want);
    removed = stream_trim(t->s, &tr);
    bad |= removed != log.n;
    if (tr.approx && !log.refuse)
        bad |= removed > k; /* a prefix of the exact plan */
    else
        bad |= removed != k;
    for (size_t i = 0; !bad && i < log.n; i++)
        bad |= stream_id_cmp(log.ids[i], t->m.e[want[i]].id) != 0;
    struct stream_id maxdel = t->m.maxdel;
    for (size_t i = log.n; !bad && i-- > 0;)
        model_del_at(&t->m, want[i]);
    if (!log.refuse) /* a plain trim is not a deletion: no max_deleted_id */
        t->m.maxdel = maxdel;
    free(want);
    free(log.ids);
    TRY(!bad);
    return model_compare_meta(t->s, &t->m);
}

static int op_range(struct mtest *t, int del_pct)
{
    struct stream_id a = rand_bound(&t->m), b = rand_bound(&t->m);
    size_t count = rnd_below(3) ? 0 : 1 + rnd_below(12);
    if (rnd_below(4) && stream_id_cmp(a, b) > 0) {
        struct stream_id x = a;
        a = b;
        b = x;
    }
    TRY(model_range(t->s, &t->m, a, b, (int)rnd_below(2), count, del_pct) == 0);
    return model_compare_meta(t->s, &t->m);
}

static int op_dup(struct mtest *t)
{
    struct stream *d = stream_dup(t->s);
    TRY(model_compare_meta(d, &t->m) == 0);
    TRY(model_range(d, &t->m, ID(0, 0), MAXID, 0, 0, 0) == 0);
    if (rnd_below(2)) {
        stream_free(t->s);
        t->s = d;
    } else {
        stream_free(d);
    }
    return 0;
}

static void op_config(struct mtest *t)
{
    static const struct stream_limits lims[] = {{4096, 100}, {0, 3},   {64, 0},   {0, 0},
                                                {0, 1},      {200, 5}, {100, 100}};
    if (!t->fixed_lims)
        t->lim = lims[rnd_below(sizeof(lims) / sizeof(lims[0]))];
    t->schema_n = 1 + rnd_below(5);
    for (size_t i = 0; i < t->schema_n; i++)
        t->schema[i] = rnd_below(7);
}

/* Grow phase: mostly appends and reads; churn phase: many removals. */
static int model_step(struct mtest *t)
{
    unsigned k = (unsigned)rnd_below(100);
    int grow = t->grow;

    if (k < (grow ? 60u : 45u))
        return op_append(t);
    if (k < (grow ? 62u : 60u))
        return op_delete(t);
    if (k < 67)
        return grow && rnd_below(10) ? 0 : op_trim(t);
    if (k < 82)
        return op_range(t, 0);
    if (k < 87)
        return op_range(t, grow ? (int)rnd_below(4) : 10 + (int)rnd_below(91));
    if (k < 88)
        return op_dup(t);
    if (k < 91)
        op_config(t);
    return 0;
}

static int model_run(uint64_t seed, int ops, struct stream_id start, int fixed_lims)
{
    struct mtest t;
    int rc = 0;

    memset(&t, 0, sizeof(t));
    rng_state = seed;
    t.s = stream_new();
    t.now = 1000;
    t.lim = LIM_DEFAULT;
    t.fixed_lims = fixed_lims;
    op_config(&t);
    if (start.ms || start.seq) {
        struct slice fv[2] = {sl("f"), sl("v")};
        TRY(stream_append(t.s, &t.lim, STREAM_ID_EXPLICIT, start, 0, fv, 1, NULL) == 0);
        model_add(&t.m, start, fv, 1);
    }
    for (int i = 0; i < ops && rc == 0; i++) {
        if (i % 3000 == 0)
            t.grow = !t.grow;
        rc = model_step(&t);
        if (rc == 0 && i % 64 == 0)
            rc = model_range(t.s, &t.m, ID(0, 0), MAXID, 0, 0, 0);
        if (rc != 0)
            fprintf(stderr, "model mismatch: seed %llu op %d\n", (unsigned long long)seed, i);
    }
    stream_free(t.s);
    model_free(&t.m);
    return rc;
}

static void test_model_random(void)
{
    const char *env = getenv("STREAM_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : 12345;
    size_t before = mem_used();

    for (uint64_t k = 0; k < 4; k++) /* node limits changing on the way */
        CHECK(model_run(seed + k, 15000, ID(0, 0), 0) == 0);
    for (uint64_t k = 10; k < 12; k++) /* default limits: full-size nodes */
        CHECK(model_run(seed + k, 15000, ID(0, 0), 1) == 0);
    /* near the top of the ID space: big deltas, rollover, exhaustion */
    CHECK(model_run(seed + 100, 3000, ID(UINT64_MAX - 1, UINT64_MAX - 300), 0) == 0);
    CHECK(model_run(seed + 101, 3000, ID(UINT64_MAX, UINT64_MAX - 400), 0) == 0);
    CHECK(model_run(seed + 102, 3000, ID((uint64_t)1 << 40, (uint64_t)1 << 60), 0) == 0);
    CHECK_EQ(mem_used(), before);
}

/* ------------------------------------------------------------------ */
/* Memory and speed                                                    */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void range_speed(struct stream *s, size_t n)
{
    struct stream_iter it;
    struct stream_id id, lo = s->first_id;
    uint64_t span = s->last_id.ms - lo.ms + 1, total = 0;
    double t0 = now_sec();

    for (size_t q = 0; q < n; q++) {
        int rev = (int)(q & 1), k = 0;
        struct stream_id a = ID(lo.ms + rnd_below(span), 0);
        stream_iter_init(&it, s, rev ? ID(0, 0) : a, rev ? a : MAXID, rev);
        while (k < 10 && stream_iter_next(&it, &id, NULL, NULL))
            k++;
        total += (uint64_t)k;
        stream_iter_done(&it);
    }
    printf("    range COUNT 10 (fwd/rev alternating): %.0f ns/query (%llu entries)\n",
           (now_sec() - t0) * 1e9 / (double)n, (unsigned long long)total);
}

static double mem_case(size_t npairs, size_t n)
{
    static const char *const names[] = {"f1", "f2", "f3", "f4", "f5"};
    char vals[5][16];
    struct slice fv[10];
    struct stream *s;
    size_t before = mem_used(), after;
    int64_t now = 1700000000000;
    double t0 = now_sec(), per;

    for (size_t k = 0; k < npairs; k++) { /* "va00000000", "vb00000000", ... */
        snprintf(vals[k], sizeof(vals[k]), "v%c00000000", (char)('a' + k));
        fv[2 * k] = sl(names[k]);
        fv[2 * k + 1] = (struct slice){vals[k], 10};
    }
    s = stream_new();
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < npairs; k++) /* count in the last 8 digits */
            for (size_t d = 9, x = i; d >= 2; d--, x /= 10)
                vals[k][d] = (char)('0' + x % 10);
        if (i % 10 == 0)
            now++;
        stream_append(s, NULL, STREAM_ID_AUTO, ID(0, 0), now, fv, npairs, NULL);
    }
    after = mem_used();
    per = (double)(after - before) / (double)n;
    printf("    %zu x 10-byte value(s): %.2f bytes/entry, %.0f ns/append, %zu nodes\n", npairs, per,
           (now_sec() - t0) * 1e9 / (double)n, stream_node_count(s));
    range_speed(s, 200000);
    stream_free(s);
    return per;
}

static void test_memory(void)
{
    double one, five;
    printf("stream memory, 1,000,000 AUTO-ID appends (mem_used delta):\n");
    one = mem_case(1, 1000000);
    five = mem_case(5, 1000000);
    CHECK(one <= 16.0);
    CHECK(five <= 53.0);
}

int main(void)
{
    RUN(test_id_parse);
    RUN(test_id_format_cmp);
    RUN(test_append_auto);
    RUN(test_append_exhausted);
    RUN(test_append_ms_auto);
    RUN(test_append_explicit);
    RUN(test_append_too_large);
    RUN(test_iter_bounds);
    RUN(test_delete);
    RUN(test_delete_tail_then_append);
    RUN(test_iter_delete);
    RUN(test_trim_maxlen);
    RUN(test_trim_limit);
    RUN(test_trim_minid);
    RUN(test_trim_callbacks);
    RUN(test_node_limits);
    RUN(test_int_roundtrip);
    RUN(test_binary_and_shapes);
    RUN(test_big_values);
    RUN(test_dup_and_usage);
    RUN(test_model_random);
    RUN(test_memory);
    UNIT_DONE();
}
