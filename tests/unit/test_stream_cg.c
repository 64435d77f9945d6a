/*
 * test_stream_cg.c - unit tests for consumer groups (stream_cg.c).
 *
 * Deterministic tests for groups, consumers, the PEL operations, the
 * NACK zone, entries-read / lag bookkeeping, the reference policies,
 * COPY and the AOF rewrite form; then randomized model tests: the B+tree
 * against a plain sorted array, and the whole PEL/consumer/NACK graph
 * against a simple model, with cg_check after every operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/mem.h"
#include "stream.h"
#include "stream_cg.h"
#include "unit.h"

#define ID(a, b) ((struct stream_id){(a), (b)})

#define CHECK_SOUND(s)                                                                             \
    do {                                                                                           \
        char err_[256];                                                                            \
        if (cg_check((s), err_) != 0) {                                                            \
            fprintf(stderr, "%s:%d: cg_check: %s\n", __FILE__, __LINE__, err_);                    \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* For helpers returning int: report and return -1. */
#define TRY(cond)                                                                                  \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #cond);                      \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static struct slice sl(const char *s)
{
    return (struct slice){s, strlen(s)};
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A stream holding ms-0 for ms in [1, n]. */
static struct stream *make_stream(uint64_t n)
{
    static const struct stream_limits lim = {4096, 100};
    struct stream *s = stream_new();
    for (uint64_t ms = 1; ms <= n; ms++) {
        struct slice fv[2] = {sl("f"), sl("v")};
        stream_append(s, &lim, STREAM_ID_EXPLICIT, ID(ms, 0), 0, fv, 1, NULL);
    }
    return s;
}

static void drop_stream(struct stream *s)
{
    cg_free_all(s);
    stream_free(s);
}

/* ---- groups and consumers -------------------------------------------- */

static void test_groups_sorted_and_unique(void)
{
    struct stream *s = make_stream(3);
    CHECK(cg_group_create(s, sl("beta"), ID(0, 0), -1) != NULL);
    CHECK(cg_group_create(s, sl("alpha"), ID(1, 0), 1) != NULL);
    CHECK(cg_group_create(s, sl("alp"), ID(0, 0), -1) != NULL);
    CHECK(cg_group_create(s, sl("beta"), ID(0, 0), -1) == NULL);
    CHECK_EQ(cg_count(s), 3);
    CHECK_MEM(cg_group_at(s, 0)->name, cg_group_at(s, 0)->name_len, "alp");
    CHECK_MEM(cg_group_at(s, 1)->name, cg_group_at(s, 1)->name_len, "alpha");
    CHECK_MEM(cg_group_at(s, 2)->name, cg_group_at(s, 2)->name_len, "beta");
    CHECK(cg_group_find(s, sl("alpha"))->last_id.ms == 1);
    CHECK(cg_group_find(s, sl("gamma")) == NULL);
    CHECK_EQ(cg_group_destroy(s, sl("alpha")), 1);
    CHECK_EQ(cg_group_destroy(s, sl("alpha")), 0);
    CHECK_EQ(cg_count(s), 2);
    CHECK_SOUND(s);
    drop_stream(s);
}

static void test_consumers(void)
{
    struct stream *s = make_stream(10);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    int created;
    struct cg_consumer *bob = cg_consumer_get(g, sl("bob"), 100, &created);
    CHECK(created);
    CHECK_EQ(bob->seen_time, 100);
    CHECK_EQ(bob->active_time, -1);
    CHECK(cg_consumer_get(g, sl("bob"), 200, &created) == bob && !created);
    struct cg_consumer *al = cg_consumer_get(g, sl("al"), 100, &created);
    CHECK(g->cons[0] == al && g->cons[1] == bob);
    cg_deliver(g, bob, ID(1, 0), 5);
    cg_deliver(g, bob, ID(2, 0), 5);
    cg_deliver(g, al, ID(3, 0), 5);
    CHECK_SOUND(s);
    CHECK_EQ(cg_consumer_delete(g, bob), 2);
    CHECK_EQ(g->pel.count, 1);
    CHECK(cg_consumer_find(g, sl("bob")) == NULL);
    CHECK_EQ(cg_consumer_delete(g, al), 1);
    CHECK_EQ(g->pel.count, 0);
    CHECK_SOUND(s);
    drop_stream(s);
}

/* ---- PEL operations ---------------------------------------------------- */

static void test_deliver_and_ack(void)
{
    struct stream *s = make_stream(100);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    int created;
    struct cg_consumer *c = cg_consumer_get(g, sl("c"), 0, &created);
    for (uint64_t ms = 1; ms <= 100; ms++)
        cg_deliver(g, c, ID(ms, 0), (int64_t)ms);
    CHECK_SOUND(s);
    CHECK_EQ(g->pel.count, 100);
    CHECK_EQ(c->pel.count, 100);
    struct stream_id first, last;
    CHECK(cg_pel_first(&g->pel, &first) && first.ms == 1);
    CHECK(cg_pel_last(&g->pel, &last) && last.ms == 100);
    for (uint64_t ms = 1; ms <= 100; ms += 2)
        cg_pel_remove(g, cg_pel_find(g, ID(ms, 0)));
    CHECK(cg_pel_find(g, ID(1, 0)) == NULL);
    CHECK(cg_pel_find(g, ID(2, 0)) != NULL);
    CHECK_EQ(g->pel.count, 50);
    CHECK_SOUND(s);
    /* re-delivery after SETID backwards reassigns with count 1 */
    struct cg_consumer *d = cg_consumer_get(g, sl("d"), 0, &created);
    struct cg_nack *n = cg_pel_find(g, ID(2, 0));
    cg_pel_assign(g, n, c, 1, 7);
    CHECK(g->thead == n);
    CHECK(cg_deliver(g, d, ID(2, 0), 1000) == n);
    CHECK(n->consumer == d && n->delivery_count == 1 && n->delivery_time == 1000);
    CHECK_EQ(c->pel.count, 49);
    CHECK(g->ttail == n);
    CHECK_SOUND(s);
    drop_stream(s);
}

static void test_iterators(void)
{
    struct stream *s = make_stream(0);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    int created;
    struct cg_consumer *a = cg_consumer_get(g, sl("a"), 0, &created);
    struct cg_consumer *b = cg_consumer_get(g, sl("b"), 0, &created);
    for (uint64_t ms = 1; ms <= 500; ms++)
        cg_pel_add(g, ms % 3 ? a : b, ID(ms, 7), 1, 1);
    struct cg_iter it;
    struct cg_nack *n;
    uint64_t expect = 250;
    cg_iter_seek(&it, &g->pel, ID(250, 0));
    while ((n = cg_iter_next(&it)))
        CHECK_EQ(n->id.ms, expect++);
    CHECK_EQ(expect, 501);
    expect = 3;
    cg_iter_seek(&it, &b->pel, ID(1, 8));
    while ((n = cg_iter_next(&it))) {
        CHECK_EQ(n->id.ms, expect);
        expect += 3;
    }
    CHECK_EQ(expect, 501);
    cg_iter_seek(&it, &a->pel, ID(500, 8));
    CHECK(cg_iter_next(&it) == NULL);
    CHECK_SOUND(s);
    drop_stream(s);
}

static void test_nack_zone(void)
{
    struct stream *s = make_stream(10);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(10, 0), 10);
    int created;
    struct cg_consumer *c = cg_consumer_get(g, sl("c"), 0, &created);
    for (uint64_t ms = 1; ms <= 6; ms++)
        cg_pel_add(g, c, ID(ms, 0), (int64_t)(100 + ms), 2);
    cg_pel_release(g, cg_pel_find(g, ID(4, 0)), 1);
    cg_pel_release(g, cg_pel_find(g, ID(2, 0)), 2);
    struct cg_nack *forced = cg_pel_add(g, NULL, ID(9, 0), 555, CG_COUNT_MAX);
    CHECK_EQ(forced->delivery_time, 0);
    CHECK_SOUND(s);
    CHECK_EQ(g->nacked, 3);
    CHECK_EQ(c->pel.count, 4);
    /* zone order is release order, then owned entries by time */
    const uint64_t order[] = {4, 2, 9, 1, 3, 5, 6};
    size_t k = 0;
    for (struct cg_nack *n = g->thead; n; n = n->tnext, k++)
        CHECK_EQ(n->id.ms, order[k]);
    CHECK_EQ(k, 7);
    CHECK(g->nack_tail == forced);
    /* claiming back takes it out of the zone */
    cg_pel_assign(g, cg_pel_find(g, ID(2, 0)), c, 50, 3);
    CHECK_EQ(g->nacked, 2);
    CHECK_EQ(g->thead->tnext->tnext->id.ms, 2); /* time 50 < 101 */
    cg_pel_remove(g, cg_pel_find(g, ID(9, 0)));
    CHECK(g->nack_tail == g->thead);
    CHECK_SOUND(s);
    drop_stream(s);
}

static void test_time_order(void)
{
    struct stream *s = make_stream(10);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(10, 0), 10);
    int created;
    struct cg_consumer *c = cg_consumer_get(g, sl("c"), 0, &created);
    const int64_t times[] = {50, 10, 30, 30, 70, 5, 30};
    for (size_t i = 0; i < 7; i++)
        cg_pel_add(g, c, ID(i + 1, 0), times[i], 1);
    const uint64_t order[] = {6, 2, 3, 4, 7, 1, 5};
    size_t k = 0;
    for (struct cg_nack *n = g->thead; n; n = n->tnext, k++)
        CHECK_EQ(n->id.ms, order[k]);
    CHECK_SOUND(s);
    drop_stream(s);
}

/* ---- entries-read and lag ------------------------------------------------ */

static int64_t lag_of(struct stream *s, struct cg_group *g)
{
    int64_t lag;
    return cg_lag(s, g, &lag) ? lag : -999;
}

static void test_lag_plain(void)
{
    struct stream *s = make_stream(0);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    CHECK_EQ(lag_of(s, g), 0); /* nothing ever added */
    drop_stream(s);
    s = make_stream(8);
    g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    CHECK_EQ(lag_of(s, g), 8);
    cg_advance(s, g, ID(1, 0));
    CHECK_EQ(g->entries_read, 1);
    CHECK_EQ(lag_of(s, g), 7);
    cg_advance(s, g, ID(2, 0));
    cg_advance(s, g, ID(3, 0));
    CHECK_EQ(g->entries_read, 3);
    CHECK_EQ(lag_of(s, g), 5);
    cg_advance(s, g, ID(2, 0)); /* not past last-delivered-id: no-op */
    CHECK_EQ(g->entries_read, 3);
    struct cg_group *h = cg_group_create(s, sl("h"), ID(5, 0), -1);
    CHECK_EQ(lag_of(s, h), -999); /* arbitrary ID: unknown */
    struct cg_group *k = cg_group_create(s, sl("k"), ID(8, 0), -1);
    CHECK_EQ(lag_of(s, k), 0); /* the last entry: known */
    drop_stream(s);
}

static void test_lag_with_deletions(void)
{
    struct stream *s = make_stream(6);
    stream_delete(s, ID(4, 0));
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    CHECK_EQ(lag_of(s, g), -999); /* a tombstone ahead of the group */
    cg_advance(s, g, ID(1, 0));
    CHECK_EQ(g->entries_read, -1);
    cg_advance(s, g, ID(3, 0));
    cg_advance(s, g, ID(5, 0));
    CHECK_EQ(lag_of(s, g), -999);
    cg_advance(s, g, ID(6, 0)); /* reached the last entry */
    CHECK_EQ(g->entries_read, 6);
    CHECK_EQ(lag_of(s, g), 0);
    struct cg_group *h = cg_group_create(s, sl("h"), ID(0, 0), -1);
    struct stream_trim t = {.strategy = STREAM_TRIM_MINID, .minid = ID(5, 0)};
    stream_trim(s, &t); /* the tombstone is now before the first entry */
    CHECK_EQ(lag_of(s, h), 2);
    CHECK_EQ(lag_of(s, g), 0);
    drop_stream(s);
}

/* ---- reference policies, COPY, rewrite ------------------------------------ */

static void test_references(void)
{
    struct stream *s = make_stream(10);
    CHECK(!cg_entry_referenced(s, ID(5, 0)));
    struct cg_group *g1 = cg_group_create(s, sl("g1"), ID(6, 0), -1);
    struct cg_group *g2 = cg_group_create(s, sl("g2"), ID(3, 0), -1);
    int created;
    struct cg_consumer *c1 = cg_consumer_get(g1, sl("c"), 0, &created);
    struct cg_consumer *c2 = cg_consumer_get(g2, sl("c"), 0, &created);
    cg_deliver(g1, c1, ID(2, 0), 1);
    cg_deliver(g2, c2, ID(2, 0), 1);
    CHECK(cg_entry_referenced(s, ID(2, 0)));  /* pending */
    CHECK(cg_entry_referenced(s, ID(4, 0)));  /* g2 has not read it */
    CHECK(!cg_entry_referenced(s, ID(3, 0))); /* read and acked by both */
    cg_remove_refs(s, ID(2, 0));
    CHECK(!cg_entry_referenced(s, ID(2, 0)));
    CHECK_EQ(g1->pel.count + g2->pel.count, 0);
    cg_pel_add(g2, NULL, ID(1, 0), 0, 0);
    cg_remove_refs(s, ID(1, 0));
    CHECK_EQ(g2->nacked, 0);
    CHECK_SOUND(s);
    drop_stream(s);
}

static void test_dup(void)
{
    struct stream *s = make_stream(20);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(20, 0), 20);
    int created;
    struct cg_consumer *a = cg_consumer_get(g, sl("a"), 11, &created);
    struct cg_consumer *b = cg_consumer_get(g, sl("b"), 12, &created);
    a->active_time = 13;
    for (uint64_t ms = 1; ms <= 20; ms++)
        cg_pel_add(g, ms % 2 ? a : b, ID(ms, 0), (int64_t)(ms * 7 % 11), (int64_t)ms);
    cg_pel_release(g, cg_pel_find(g, ID(8, 0)), 3);
    cg_pel_release(g, cg_pel_find(g, ID(3, 0)), 4);
    cg_group_create(s, sl("empty"), ID(0, 0), -1);
    struct stream *d = stream_dup(s);
    cg_dup_all(s, d);
    CHECK_SOUND(d);
    CHECK_EQ(cg_count(d), 2);
    struct cg_group *dg = cg_group_find(d, sl("g"));
    CHECK(dg != g && dg->entries_read == 20 && dg->nacked == 2);
    struct cg_nack *x = g->thead, *y = dg->thead;
    for (; x && y; x = x->tnext, y = y->tnext) {
        CHECK(x->id.ms == y->id.ms && x->delivery_time == y->delivery_time);
        CHECK(x->delivery_count == y->delivery_count);
        CHECK((x->consumer == NULL) == (y->consumer == NULL));
    }
    CHECK(x == NULL && y == NULL);
    CHECK_EQ(cg_consumer_find(dg, sl("a"))->active_time, 13);
    CHECK_EQ(cg_consumer_find(dg, sl("b"))->seen_time, 12);
    CHECK(cg_mem_usage(d) > 0);
    drop_stream(d);
    drop_stream(s);
}

struct capture {
    char lines[64][160];
    int n;
};

static void capture_emit(void *priv, int argc, const struct slice *argv)
{
    struct capture *c = priv;
    size_t off = 0;
    for (int i = 0; i < argc && c->n < 64; i++)
        off += (size_t)snprintf(c->lines[c->n] + off, sizeof(c->lines[0]) - off, "%s%.*s",
                                i ? " " : "", (int)argv[i].len, argv[i].p);
    c->n++;
}

static void test_rewrite_form(void)
{
    struct stream *s = make_stream(5);
    struct cg_group *g = cg_group_create(s, sl("grp"), ID(4, 0), 4);
    int created;
    struct cg_consumer *a = cg_consumer_get(g, sl("alice"), 0, &created);
    cg_consumer_get(g, sl("bob"), 0, &created);
    cg_pel_add(g, a, ID(2, 0), 1000, 3);
    cg_pel_add(g, a, ID(3, 0), 1001, 1);
    cg_pel_release(g, cg_pel_find(g, ID(3, 0)), 0);
    cg_pel_add(g, NULL, ID(1, 0), 0, CG_COUNT_MAX);
    cg_group_create(s, sl("h"), ID(0, 0), -1);
    struct capture cap = {.n = 0};
    cg_rewrite(s, sl("k"), capture_emit, &cap);
    CHECK_EQ(cap.n, 6);
    CHECK(!strcmp(cap.lines[0], "XGROUP CREATE k grp 4-0 ENTRIESREAD 4"));
    CHECK(!strcmp(cap.lines[1], "XCLAIM k grp alice 0 2-0 TIME 1000 RETRYCOUNT 3 JUSTID FORCE"));
    CHECK(!strcmp(cap.lines[2], "XGROUP CREATECONSUMER k grp bob"));
    CHECK(!strcmp(cap.lines[3], "XNACK k grp FAIL IDS 1 3-0 RETRYCOUNT 0 FORCE"));
    CHECK(!strcmp(cap.lines[4], "XNACK k grp FAIL IDS 1 1-0 RETRYCOUNT 9223372036854775807 FORCE"));
    CHECK(!strcmp(cap.lines[5], "XGROUP CREATE k h 0-0 ENTRIESREAD -1"));
    drop_stream(s);
}

/* ---- randomized: B+tree against a sorted array ------------------------------ */

static int model_find(const uint64_t *keys, size_t n, uint64_t k)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && keys[lo] == k ? (int)lo : -1 - (int)lo;
}

static int tree_matches(struct cg_group *g, const uint64_t *keys, size_t n)
{
    struct cg_iter it;
    struct cg_nack *x;
    size_t i = 0;
    TRY(g->pel.count == n);
    cg_iter_seek(&it, &g->pel, ID(0, 0));
    while ((x = cg_iter_next(&it)))
        TRY(i < n && x->id.ms == keys[i++]);
    TRY(i == n);
    return 0;
}

static void test_tree_random(void)
{
    enum { SPACE = 30000, OPS = 120000 };
    struct stream *s = make_stream(0);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    int created;
    struct cg_consumer *c = cg_consumer_get(g, sl("c"), 0, &created);
    uint64_t *keys = malloc(sizeof(*keys) * SPACE);
    size_t n = 0;
    char err[256];
    for (int op = 0; op < OPS; op++) {
        /* phases: grow, mixed, shrink, so every tree height is visited */
        int phase = op * 3 / OPS;
        uint64_t k = rnd() % SPACE;
        if (op % 5 == 0 && phase == 0)
            k = n ? keys[n - 1] + 1 + rnd() % 3 : 0; /* append pattern */
        int at = model_find(keys, n, k);
        int insert = phase == 0 ? rnd() % 4 != 0 : phase == 1 ? rnd() % 2 : rnd() % 4 == 0;
        if (op % 7 == 0 && n) /* delete-the-minimum pattern */
            at = 0, k = keys[0], insert = 0;
        if (insert && at < 0 && k < SPACE) {
            size_t pos = (size_t)(-1 - at);
            memmove(keys + pos + 1, keys + pos, sizeof(*keys) * (n - pos));
            keys[pos] = k;
            n++;
            cg_pel_add(g, c, ID(k, 0), op, 1);
        } else if (!insert && at >= 0) {
            CHECK(cg_pel_find(g, ID(k, 0)) != NULL);
            cg_pel_remove(g, cg_pel_find(g, ID(k, 0)));
            memmove(keys + at, keys + at + 1, sizeof(*keys) * (n - (size_t)at - 1));
            n--;
        } else if (at < 0) {
            CHECK(cg_pel_find(g, ID(k, 0)) == NULL);
        }
        if (op % 997 == 0 || op == OPS - 1) {
            if (cg_check(s, err) != 0) {
                fprintf(stderr, "op %d: %s\n", op, err);
                unit_failures++;
                break;
            }
            CHECK(tree_matches(g, keys, n) == 0);
        }
    }
    free(keys);
    drop_stream(s);
}

/* ---- randomized: the PEL graph against a model --------------------------------- */

enum { M_IDS = 400, M_CONS = 5 };

struct model_ent {
    int state; /* -1 absent, -2 NACKed, else consumer index */
    int64_t time, count;
    uint64_t seq; /* order of (re)insertion into the time list */
};

struct model {
    struct model_ent e[M_IDS + 1];
    uint64_t seq;
    int alive[M_CONS];
};

static const char *const cons_names[M_CONS] = {"c0", "c1", "c2", "c3", "c4"};

static struct cg_consumer *mcons(struct cg_group *g, struct model *m, int k, int64_t now)
{
    int created;
    m->alive[k] = 1;
    return cg_consumer_get(g, sl(cons_names[k]), now, &created);
}

/* One random operation on both the group and the model. */
static void model_step(struct stream *s, struct cg_group *g, struct model *m, int64_t now)
{
    uint64_t ms = 1 + rnd() % M_IDS;
    struct model_ent *e = &m->e[ms];
    struct cg_nack *n = cg_pel_find(g, ID(ms, 0));
    int k = (int)(rnd() % M_CONS), op = (int)(rnd() % 8);
    int64_t t = now - (int64_t)(rnd() % 50);
    if (op <= 1) { /* deliver (">" semantics) */
        cg_deliver(g, mcons(g, m, k, now), ID(ms, 0), t);
        *e = (struct model_ent){k, t, 1, ++m->seq};
    } else if (op == 2 && n) { /* claim / redeliver with explicit count */
        int64_t cnt = (int64_t)(rnd() % 9);
        cg_pel_assign(g, n, mcons(g, m, k, now), t, cnt);
        *e = (struct model_ent){k, t, cnt, ++m->seq};
    } else if (op == 3 && n) { /* XNACK */
        cg_pel_release(g, n, e->count ? e->count - 1 : 0);
        *e = (struct model_ent){-2, 0, e->count ? e->count - 1 : 0, ++m->seq};
    } else if (op == 4 && !n && rnd() % 2) { /* XNACK FORCE */
        cg_pel_add(g, NULL, ID(ms, 0), 0, 5);
        *e = (struct model_ent){-2, 0, 5, ++m->seq};
    } else if (op == 5 && n) { /* XACK */
        cg_pel_remove(g, n);
        e->state = -1;
    } else if (op == 6 && n && rnd() % 4 == 0) { /* DELREF */
        cg_remove_refs(s, ID(ms, 0));
        e->state = -1;
    } else if (op == 7 && rnd() % 40 == 0 && m->alive[k]) { /* DELCONSUMER */
        cg_consumer_delete(g, cg_consumer_find(g, sl(cons_names[k])));
        m->alive[k] = 0;
        for (int i = 1; i <= M_IDS; i++)
            if (m->e[i].state == k)
                m->e[i].state = -1;
    }
}

/* Expected time-list order: NACKed by seq, then owned by (time, seq). */
static int ent_before(const struct model *m, int a, int b)
{
    const struct model_ent *x = &m->e[a], *y = &m->e[b];
    int xz = x->state == -2, yz = y->state == -2;
    if (xz != yz)
        return xz;
    if (!xz && x->time != y->time)
        return x->time < y->time;
    return x->seq < y->seq;
}

static int model_matches(struct cg_group *g, const struct model *m)
{
    int order[M_IDS], n = 0;
    size_t per[M_CONS] = {0};
    for (int i = 1; i <= M_IDS; i++) {
        const struct model_ent *e = &m->e[i];
        struct cg_nack *x = cg_pel_find(g, ID((uint64_t)i, 0));
        TRY((x != NULL) == (e->state != -1));
        if (!x)
            continue;
        TRY(x->delivery_count == e->count && x->delivery_time == e->time);
        TRY(e->state == -2 ? x->consumer == NULL
                           : x->consumer && !strcmp(x->consumer->name, cons_names[e->state]));
        if (e->state >= 0)
            per[e->state]++;
        int j = n++; /* insertion sort by expected order */
        while (j > 0 && ent_before(m, i, order[j - 1])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    int j = 0;
    for (struct cg_nack *x = g->thead; x; x = x->tnext)
        TRY(j < n && x->id.ms == (uint64_t)order[j++]);
    for (int k = 0; k < M_CONS; k++) {
        struct cg_consumer *c = cg_consumer_find(g, sl(cons_names[k]));
        TRY((c != NULL) == m->alive[k]);
        TRY(!c || c->pel.count == per[k]);
    }
    return 0;
}

static void test_pel_model_random(void)
{
    struct stream *s = make_stream(M_IDS);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    static struct model m;
    memset(&m, 0, sizeof(m));
    for (int i = 0; i <= M_IDS; i++)
        m.e[i].state = -1;
    char err[256];
    for (int op = 0; op < 30000; op++) {
        model_step(s, g, &m, 1000 + op / 10);
        if (cg_check(s, err) != 0) {
            fprintf(stderr, "op %d: cg_check: %s\n", op, err);
            unit_failures++;
            break;
        }
        if (op % 50 == 0 && model_matches(g, &m) != 0) {
            fprintf(stderr, "op %d: model mismatch\n", op);
            unit_failures++;
            break;
        }
    }
    CHECK(model_matches(g, &m) == 0);
    drop_stream(s);
}

/* ---- memory figure ---------------------------------------------------------------- */

static void test_memory_per_pending(void)
{
    struct stream *s = make_stream(0);
    struct cg_group *g = cg_group_create(s, sl("g"), ID(0, 0), -1);
    int created;
    struct cg_consumer *c = cg_consumer_get(g, sl("c"), 0, &created);
    size_t before = mem_used();
    for (uint64_t i = 1; i <= 100000; i++)
        cg_deliver(g, c, ID(1700000000000ULL + i / 3, i % 3), (int64_t)i);
    double per = (double)(mem_used() - before) / 100000.0;
    fprintf(stderr, "     %.1f bytes per pending entry (group + consumer index)\n", per);
    CHECK(per < 160);
    CHECK_SOUND(s);
    drop_stream(s);
}

int main(void)
{
    rng_state ^= (uint64_t)time(NULL);
    fprintf(stderr, "seed %llu\n", (unsigned long long)rng_state);
    RUN(test_groups_sorted_and_unique);
    RUN(test_consumers);
    RUN(test_deliver_and_ack);
    RUN(test_iterators);
    RUN(test_nack_zone);
    RUN(test_time_order);
    RUN(test_lag_plain);
    RUN(test_lag_with_deletions);
    RUN(test_references);
    RUN(test_dup);
    RUN(test_rewrite_form);
    RUN(test_tree_random);
    RUN(test_pel_model_random);
    RUN(test_memory_per_pending);
    UNIT_DONE();
}
