/*
 * stream_idmp.c - idempotent production state of one stream; see
 * stream_idmp.h for the contract and shared/design/idmp-reference.md
 * (sections 2 to 7) for the behaviour.
 *
 * Data layout
 * -----------
 *   struct idmp_state
 *     prods[]  sorted array of producer pointers, binary memcmp order of
 *              the pid (a shorter prefix sorts first); binary search.
 *     settings, lifetime counters, total tracked iids, registry links.
 *
 *   struct prod (one malloc: header + pid bytes inline), owning three
 *   blocks that hold its iids:
 *
 *     recs   ring of rcap records, oldest at rhead, count live.  A record
 *            (struct rec, 20 bytes, 4-byte aligned) is the entry ID as
 *            four 32-bit halves plus the 32-bit logical offset of its
 *            iid in the byte FIFO:
 *                +-------+-------+--------+--------+-------+
 *                | ms_lo | ms_hi | seq_lo | seq_hi |  off  |
 *                +-------+-------+--------+--------+-------+
 *            The iid length is not stored: iids are appended to the FIFO
 *            in record order, so a length is the next record's offset
 *            (or the FIFO tail for the newest record) minus its own.
 *            rcap grows by doubling but never beyond maxsize, so a full
 *            producer has no spare records.
 *
 *     slots  open-addressing index, linear probing, mask + 1 slots (a
 *            power of two, load <= 3/4 at rcap).  A slot is 32 bits:
 *                bits 31..14  tag  = the top 18 bits of XXH3-64(iid)
 *                bits 13..0   ring position + 1   (0 = empty slot)
 *            The home bucket is tag & mask, so deletions (backward shift,
 *            no tombstones) never need to touch records, and a probe
 *            compares tags before it reads any record.  Positions are
 *            physical ring indices: they only change when the ring is
 *            resized, and then the index is rebuilt.
 *
 *     bytes  FIFO of iid bytes.  Offsets are logical and wrap modulo
 *            2^32: bytes[0] holds logical offset bbase, the newest iid
 *            ends at btail, the oldest starts at recs[rhead].off.  When
 *            an append does not fit at the end, the live bytes are moved
 *            to the front (only if that leaves >= 1/8 of the block free,
 *            which amortizes the moves) or into a new block of 5/4 of the
 *            need.  Live bytes per producer are capped below 4 GiB; a
 *            record that would cross that evicts older iids first.
 *
 *   Eviction (maxsize) and expiry both pop the ring head: O(1) plus one
 *   hash of the popped iid to find its slot.  Lookup: binary search of
 *   the pid, one hash, a short probe, one memcmp.
 *
 * Memory per tracked iid (full producer, mem_size() of every block):
 *   20 bytes record + 4 * (mask + 1) / count of index (6.6 bytes at
 *   10,000 iids, 5.1 at the default 100) + the iid bytes + FIFO slack of
 *   about 1/8..1/4 of the iid bytes; plus per producer a 64-byte header
 *   with the pid bytes inline and an 8-byte pointer in prods[].  The
 *   unit test measures 27 bytes per 16-byte iid beyond the iid bytes
 *   after 10,000 inserts and 31 in the eviction steady state (glibc).
 *
 * Module-level state
 * ------------------
 *   registry   intrusive doubly-linked list of every state that has at
 *              least one producer (st->reg_prev / reg_next).  A state is
 *              linked when its first producer appears and unlinked when
 *              its last one goes (expiry, XCFGSET) or it is freed, so
 *              idmp_expire_all() visits only states with producers.
 *              Main thread only: idmp_free() must not run on a
 *              background thread while the state is linked.
 *   hash_seed  per-process random seed of the index hash (flooding).
 */
#define XXH_STATIC_LINKING_ONLY
#include "stream_idmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "lib/mem.h"

#define POS_BITS 14
#define POS_MASK ((1u << POS_BITS) - 1)
#define TAG_BITS (32 - POS_BITS)
#define RING_MIN 2
#define ERR_LEN 128

_Static_assert(IDMP_MAXSIZE_MAX < POS_MASK, "ring positions must fit a slot");

struct rec {
    uint32_t ms_lo, ms_hi, seq_lo, seq_hi;
    uint32_t off; /* logical offset of the iid's first byte */
};

struct prod {
    struct rec *recs;
    uint32_t *slots;
    char *bytes;
    size_t bcap;   /* usable size of bytes */
    uint32_t rcap; /* records in recs */
    uint32_t rhead;
    uint32_t count;
    uint32_t mask; /* slots - 1 */
    uint32_t bbase;
    uint32_t btail;
    size_t pidlen;
    char pid[];
};

struct idmp_state {
    struct prod **prods;
    size_t nprods, prods_cap;
    size_t iids;
    uint64_t added, dups;
    long duration, maxsize;
    struct idmp_state *reg_prev, *reg_next;
};

static struct idmp_state *registry;
static uint64_t hash_seed;
static int hash_seeded;

/* ---------------------------------------------------------------- */
/* Small helpers                                                     */
/* ---------------------------------------------------------------- */

static void seed_hash(void)
{
    struct timespec ts;

    if (hash_seeded)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    hash_seed = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^ (uint64_t)ts.tv_sec ^
                (uint64_t)(uintptr_t)&hash_seed;
    hash_seeded = 1;
}

static uint32_t iid_tag(const char *p, size_t len)
{
    return (uint32_t)(XXH3_64bits_withSeed(p, len, hash_seed) >> (64 - TAG_BITS));
}

static int pid_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;

    if (c)
        return c;
    return (alen > blen) - (alen < blen);
}

static long clamp(long v, long lo, long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static struct stream_id rec_id(const struct rec *r)
{
    struct stream_id id;

    id.ms = (uint64_t)r->ms_hi << 32 | r->ms_lo;
    id.seq = (uint64_t)r->seq_hi << 32 | r->seq_lo;
    return id;
}

static uint32_t ring_next(const struct prod *p, uint32_t pos)
{
    return pos + 1 == p->rcap ? 0 : pos + 1;
}

/* Physical ring position of the i-th oldest record. */
static uint32_t ring_pos(const struct prod *p, uint32_t i)
{
    uint32_t pos = p->rhead + i;

    return pos >= p->rcap ? pos - p->rcap : pos;
}

/* Inverse of ring_pos: how many records are older than position pos. */
static uint32_t ring_age(const struct prod *p, uint32_t pos)
{
    return pos >= p->rhead ? pos - p->rhead : pos + p->rcap - p->rhead;
}

static uint32_t bytes_head(const struct prod *p)
{
    return p->count ? p->recs[p->rhead].off : p->btail;
}

/* The iid bytes of the record at ring position pos. */
static struct slice rec_iid(const struct prod *p, uint32_t pos)
{
    uint32_t off = p->recs[pos].off;
    uint32_t end;
    struct slice s;

    if (pos == ring_pos(p, p->count - 1))
        end = p->btail;
    else
        end = p->recs[ring_next(p, pos)].off;
    s.p = p->bytes + (uint32_t)(off - p->bbase);
    s.len = (uint32_t)(end - off);
    return s;
}

static int slice_eq(struct slice a, const char *p, size_t len)
{
    return a.len == len && (len == 0 || memcmp(a.p, p, len) == 0);
}

/* ---------------------------------------------------------------- */
/* Per-producer index                                                */
/* ---------------------------------------------------------------- */

/* Ring position + 1 of iid, or 0 when absent. */
static uint32_t index_find(const struct prod *p, const char *iid, size_t len)
{
    uint32_t tag, i, s;

    if (!p->count)
        return 0;
    tag = iid_tag(iid, len);
    for (i = tag & p->mask; (s = p->slots[i]) != 0; i = (i + 1) & p->mask) {
        if (s >> POS_BITS == tag && slice_eq(rec_iid(p, (s & POS_MASK) - 1), iid, len))
            return s & POS_MASK;
    }
    return 0;
}

static void index_put(struct prod *p, uint32_t tag, uint32_t pos)
{
    uint32_t i = tag & p->mask;

    while (p->slots[i])
        i = (i + 1) & p->mask;
    p->slots[i] = tag << POS_BITS | (pos + 1);
}

/* Empty slot i and shift later members of its probe run back. */
static void index_unslot(struct prod *p, uint32_t i)
{
    uint32_t j = i, s, home;

    for (;;) {
        j = (j + 1) & p->mask;
        s = p->slots[j];
        if (!s)
            break;
        home = (s >> POS_BITS) & p->mask;
        if (((j - home) & p->mask) >= ((j - i) & p->mask)) {
            p->slots[i] = s;
            i = j;
        }
    }
    p->slots[i] = 0;
}

static void index_remove(struct prod *p, uint32_t pos)
{
    struct slice iid = rec_iid(p, pos);
    uint32_t i = iid_tag(iid.p, iid.len) & p->mask;

    while ((p->slots[i] & POS_MASK) != pos + 1)
        i = (i + 1) & p->mask;
    index_unslot(p, i);
}

static uint32_t index_size_for(uint32_t rcap)
{
    uint32_t size = 2;

    while ((uint64_t)size * 3 < (uint64_t)rcap * 4)
        size <<= 1;
    return size;
}

/* Move the records to a new ring of newcap (>= count) and rebuild the
 * index for the new positions. */
static void ring_resize(struct prod *p, uint32_t newcap)
{
    struct rec *nr = mem_alloc((size_t)newcap * sizeof(*nr));
    uint32_t i, size = index_size_for(newcap);

    for (i = 0; i < p->count; i++)
        nr[i] = p->recs[ring_pos(p, i)];
    mem_free(p->recs);
    mem_free(p->slots);
    p->recs = nr;
    p->rcap = newcap;
    p->rhead = 0;
    p->slots = mem_calloc((size_t)size * sizeof(*p->slots));
    p->mask = size - 1;
    for (i = 0; i < p->count; i++) {
        struct slice iid = rec_iid(p, i);

        index_put(p, iid_tag(iid.p, iid.len), i);
    }
}

/* ---------------------------------------------------------------- */
/* Per-producer byte FIFO and records                                */
/* ---------------------------------------------------------------- */

/* Move the live bytes to the front of a block of cap bytes (a new one
 * when cap differs from the current capacity). */
static void bytes_rebase(struct prod *p, size_t cap)
{
    uint32_t head = bytes_head(p);
    size_t live = (uint32_t)(p->btail - head);
    size_t start = (uint32_t)(head - p->bbase);

    if (cap == p->bcap) {
        if (live)
            memmove(p->bytes, p->bytes + start, live);
    } else {
        char *nb = mem_alloc(cap);

        if (live)
            memcpy(nb, p->bytes + start, live);
        mem_free(p->bytes);
        p->bytes = nb;
        p->bcap = mem_size(nb);
    }
    p->bbase = head;
}

static void bytes_make_room(struct prod *p, size_t len)
{
    uint32_t head = bytes_head(p);
    size_t live = (uint32_t)(p->btail - head);
    size_t need = live + len;

    /* The first append allocates even for an empty iid: p->bytes is
     * never NULL while records exist. */
    if (p->bytes && (size_t)(uint32_t)(p->btail - p->bbase) + len <= p->bcap)
        return;
    if (need <= p->bcap - p->bcap / 8 && need >= p->bcap / 4)
        bytes_rebase(p, p->bcap);
    else
        bytes_rebase(p, need + need / 4 + 16);
}

/* Drop the oldest record (its bytes are released implicitly). */
static void prod_pop(struct prod *p)
{
    index_remove(p, p->rhead);
    p->rhead = ring_next(p, p->rhead);
    p->count--;
}

/* Append (iid, id) at the tail; the caller made room within maxsize. */
static void prod_append(struct prod *p, uint32_t maxsize, struct slice iid, struct stream_id id)
{
    struct rec *r;
    uint32_t pos;

    if (p->count == p->rcap) {
        uint32_t cap = p->rcap < RING_MIN ? RING_MIN : p->rcap * 2;

        ring_resize(p, cap < maxsize ? cap : maxsize);
    }
    bytes_make_room(p, iid.len);
    pos = ring_pos(p, p->count);
    r = &p->recs[pos];
    r->ms_lo = (uint32_t)id.ms;
    r->ms_hi = (uint32_t)(id.ms >> 32);
    r->seq_lo = (uint32_t)id.seq;
    r->seq_hi = (uint32_t)(id.seq >> 32);
    r->off = p->btail;
    if (iid.len)
        memcpy(p->bytes + (uint32_t)(p->btail - p->bbase), iid.p, iid.len);
    p->btail += (uint32_t)iid.len;
    p->count++;
    index_put(p, iid_tag(iid.p, iid.len), pos);
}

static struct prod *prod_new(struct slice pid)
{
    struct prod *p = mem_calloc(sizeof(*p) + pid.len);

    if (pid.len)
        memcpy(p->pid, pid.p, pid.len);
    p->pidlen = pid.len;
    return p;
}

static void prod_free(struct prod *p)
{
    mem_free(p->recs);
    mem_free(p->slots);
    mem_free(p->bytes);
    mem_free(p);
}

static struct prod *prod_clone(const struct prod *p)
{
    struct prod *n = mem_alloc(sizeof(*n) + p->pidlen);
    uint32_t head = bytes_head(p);
    size_t live = (uint32_t)(p->btail - head);

    memcpy(n, p, sizeof(*n) + p->pidlen);
    n->recs = mem_memdup(p->recs, (size_t)p->rcap * sizeof(*p->recs));
    n->slots = mem_memdup(p->slots, ((size_t)p->mask + 1) * sizeof(*p->slots));
    n->bytes = mem_alloc(live);
    if (live)
        memcpy(n->bytes, p->bytes + (uint32_t)(head - p->bbase), live);
    n->bcap = mem_size(n->bytes);
    n->bbase = head;
    return n;
}

/* Give memory back after a large expiry. */
static void prod_shrink(struct prod *p)
{
    size_t live = (uint32_t)(p->btail - bytes_head(p));

    if (p->rcap > 8 && p->count * 4 <= p->rcap)
        ring_resize(p, p->count * 2 > RING_MIN ? p->count * 2 : RING_MIN);
    if (p->bcap > 256 && live * 4 < p->bcap)
        bytes_rebase(p, live + live / 4 + 16);
}

/* Pop records whose ID ms <= cutoff from the head; returns how many.
 * When every record expires nothing is popped and *all is set: the
 * caller frees the producer wholesale. */
static uint32_t prod_expire(struct prod *p, uint64_t cutoff, int *all)
{
    uint32_t n = 0;

    while (n < p->count && rec_id(&p->recs[ring_pos(p, n)]).ms <= cutoff)
        n++;
    *all = n == p->count;
    if (n == 0 || *all)
        return n;
    for (uint32_t i = 0; i < n; i++)
        prod_pop(p);
    prod_shrink(p);
    return n;
}

/* ---------------------------------------------------------------- */
/* Registry and producer set                                         */
/* ---------------------------------------------------------------- */

static void reg_link(struct idmp_state *st)
{
    st->reg_prev = NULL;
    st->reg_next = registry;
    if (registry)
        registry->reg_prev = st;
    registry = st;
}

static void reg_unlink(struct idmp_state *st)
{
    if (st->reg_prev)
        st->reg_prev->reg_next = st->reg_next;
    else
        registry = st->reg_next;
    if (st->reg_next)
        st->reg_next->reg_prev = st->reg_prev;
    st->reg_prev = st->reg_next = NULL;
}

/* Index of pid in prods, or of where it would be inserted; *found set. */
static size_t prod_search(const struct idmp_state *st, struct slice pid, int *found)
{
    size_t lo = 0, hi = st->nprods;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct prod *p = st->prods[mid];
        int c = pid_cmp(p->pid, p->pidlen, pid.p, pid.len);

        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static struct prod *prod_get_or_create(struct idmp_state *st, struct slice pid)
{
    int found;
    size_t at = prod_search(st, pid, &found);

    if (found)
        return st->prods[at];
    if (st->nprods == st->prods_cap) {
        st->prods_cap = st->prods_cap ? st->prods_cap * 2 : 2;
        st->prods = mem_realloc(st->prods, st->prods_cap * sizeof(*st->prods));
    }
    memmove(st->prods + at + 1, st->prods + at, (st->nprods - at) * sizeof(*st->prods));
    st->prods[at] = prod_new(pid);
    if (st->nprods++ == 0)
        reg_link(st);
    return st->prods[at];
}

/* Free every producer; unlink from the registry. */
static void prods_clear(struct idmp_state *st)
{
    for (size_t i = 0; i < st->nprods; i++)
        prod_free(st->prods[i]);
    mem_free(st->prods);
    if (st->nprods)
        reg_unlink(st);
    st->prods = NULL;
    st->nprods = st->prods_cap = 0;
    st->iids = 0;
}

/* ---------------------------------------------------------------- */
/* Public API                                                        */
/* ---------------------------------------------------------------- */

struct idmp_state *idmp_new(long duration_s, long maxsize)
{
    struct idmp_state *st = mem_calloc(sizeof(*st));

    seed_hash();
    st->duration = clamp(duration_s, IDMP_DURATION_MIN, IDMP_DURATION_MAX);
    st->maxsize = clamp(maxsize, IDMP_MAXSIZE_MIN, IDMP_MAXSIZE_MAX);
    return st;
}

void idmp_free(struct idmp_state *st)
{
    if (!st)
        return;
    prods_clear(st);
    mem_free(st);
}

struct idmp_state *idmp_dup(const struct idmp_state *st)
{
    struct idmp_state *n = idmp_new(st->duration, st->maxsize);

    n->added = st->added;
    n->dups = st->dups;
    if (!st->nprods)
        return n;
    n->prods = mem_alloc(st->nprods * sizeof(*n->prods));
    for (size_t i = 0; i < st->nprods; i++)
        n->prods[i] = prod_clone(st->prods[i]);
    n->nprods = n->prods_cap = st->nprods;
    n->iids = st->iids;
    reg_link(n);
    return n;
}

int idmp_lookup(const struct idmp_state *st, struct slice pid, struct slice iid,
                struct stream_id *id)
{
    int found;
    size_t at = prod_search(st, pid, &found);
    const struct prod *p;
    uint32_t pos1;

    if (!found)
        return 0;
    p = st->prods[at];
    pos1 = index_find(p, iid.p, iid.len);
    if (!pos1)
        return 0;
    if (id)
        *id = rec_id(&p->recs[pos1 - 1]);
    return 1;
}

void idmp_record(struct idmp_state *st, struct slice pid, struct slice iid, struct stream_id id)
{
    struct prod *p;

    if (iid.len >= UINT32_MAX) {
        fprintf(stderr, "weir: idmp iid of %zu bytes is too large\n", iid.len);
        abort();
    }
    p = prod_get_or_create(st, pid);
    while (p->count >= (uint32_t)st->maxsize ||
           (p->count && (uint64_t)(uint32_t)(p->btail - bytes_head(p)) + iid.len >= UINT32_MAX)) {
        prod_pop(p);
        st->iids--;
    }
    prod_append(p, (uint32_t)st->maxsize, iid, id);
    st->iids++;
    st->added++;
}

void idmp_count_duplicate(struct idmp_state *st)
{
    st->dups++;
}

int idmp_configure(struct idmp_state *st, long duration_s, long maxsize)
{
    int changed = 0;

    if (duration_s >= 0) {
        duration_s = clamp(duration_s, IDMP_DURATION_MIN, IDMP_DURATION_MAX);
        if (duration_s != st->duration) {
            st->duration = duration_s;
            changed = 1;
        }
    }
    if (maxsize >= 0) {
        maxsize = clamp(maxsize, IDMP_MAXSIZE_MIN, IDMP_MAXSIZE_MAX);
        if (maxsize != st->maxsize) {
            st->maxsize = maxsize;
            changed = 1;
        }
    }
    if (changed)
        prods_clear(st);
    return changed;
}

size_t idmp_expire(struct idmp_state *st, int64_t now_ms)
{
    int64_t span = (int64_t)st->duration * 1000;
    size_t dropped = 0, keep = 0;
    uint64_t cutoff;
    int all;

    if (!st->nprods || now_ms < span)
        return 0;
    cutoff = (uint64_t)(now_ms - span);
    for (size_t i = 0; i < st->nprods; i++) {
        struct prod *p = st->prods[i];

        dropped += prod_expire(p, cutoff, &all);
        if (all)
            prod_free(p);
        else
            st->prods[keep++] = p;
    }
    st->nprods = keep;
    st->iids -= dropped;
    if (keep == 0) {
        mem_free(st->prods);
        st->prods = NULL;
        st->prods_cap = 0;
        reg_unlink(st);
    } else if (keep * 4 < st->prods_cap && st->prods_cap > 8) {
        st->prods_cap = keep * 2;
        st->prods = mem_realloc(st->prods, st->prods_cap * sizeof(*st->prods));
    }
    return dropped;
}

size_t idmp_expire_all(int64_t now_ms)
{
    size_t dropped = 0;
    struct idmp_state *st = registry, *next;

    while (st) {
        next = st->reg_next;
        dropped += idmp_expire(st, now_ms);
        st = next;
    }
    return dropped;
}

long idmp_duration(const struct idmp_state *st)
{
    return st->duration;
}

long idmp_maxsize(const struct idmp_state *st)
{
    return st->maxsize;
}

size_t idmp_pids_tracked(const struct idmp_state *st)
{
    return st->nprods;
}

size_t idmp_iids_tracked(const struct idmp_state *st)
{
    return st->iids;
}

uint64_t idmp_iids_added(const struct idmp_state *st)
{
    return st->added;
}

uint64_t idmp_iids_duplicates(const struct idmp_state *st)
{
    return st->dups;
}

void idmp_set_counters(struct idmp_state *st, uint64_t added, uint64_t duplicates)
{
    st->added = added;
    st->dups = duplicates;
}

void idmp_foreach(const struct idmp_state *st, idmp_visit_fn fn, void *priv)
{
    for (size_t i = 0; i < st->nprods; i++) {
        const struct prod *p = st->prods[i];
        struct slice pid = {p->pid, p->pidlen};

        for (uint32_t k = 0; k < p->count; k++) {
            uint32_t pos = ring_pos(p, k);

            fn(priv, pid, rec_iid(p, pos), rec_id(&p->recs[pos]));
        }
    }
}

/* ---------------------------------------------------------------- */
/* IDMPAUTO hash                                                     */
/* ---------------------------------------------------------------- */

static void put_le64(unsigned char *o, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        o[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t rotl1(uint64_t v)
{
    return v << 1 | v >> 63;
}

void idmp_auto_iid(const struct slice *fv, size_t npairs, unsigned char out[16])
{
    uint64_t sum_lo = 0, sum_hi = 0, xor_lo = 0, xor_hi = 0;
    unsigned char flen[8];
    XXH3_state_t hs;
    XXH128_hash_t h;

    XXH3_INITSTATE(&hs);
    for (size_t i = 0; i < npairs; i++) {
        const struct slice *f = &fv[2 * i], *v = &fv[2 * i + 1];

        put_le64(flen, (uint64_t)f->len);
        XXH3_128bits_reset(&hs);
        XXH3_128bits_update(&hs, f->p, f->len);
        XXH3_128bits_update(&hs, flen, sizeof(flen));
        XXH3_128bits_update(&hs, v->p, v->len);
        h = XXH3_128bits_digest(&hs);
        sum_lo += h.low64;
        sum_hi += h.high64;
        xor_lo ^= h.low64;
        xor_hi ^= h.high64;
    }
    put_le64(out, sum_lo ^ rotl1(xor_hi));
    put_le64(out + 8, sum_hi ^ rotl1(xor_lo));
}

/* ---------------------------------------------------------------- */
/* Introspection                                                     */
/* ---------------------------------------------------------------- */

size_t idmp_mem_usage(const struct idmp_state *st)
{
    size_t n = mem_size(st) + mem_size(st->prods);

    for (size_t i = 0; i < st->nprods; i++) {
        const struct prod *p = st->prods[i];

        n += mem_size(p) + mem_size(p->recs) + mem_size(p->slots) + mem_size(p->bytes);
    }
    return n;
}

__attribute__((format(printf, 2, 3))) static int check_fail(char *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

/* Ring geometry and byte offsets: every iid lies inside the block, in
 * record order. */
static int check_prod_layout(const struct idmp_state *st, const struct prod *p, char *err)
{
    uint32_t head = bytes_head(p), prev = 0;
    size_t live = (uint32_t)(p->btail - head);

    if (p->count == 0)
        return check_fail(err, "empty producer kept");
    if (p->count > p->rcap || p->rcap > (uint32_t)st->maxsize || p->rhead >= p->rcap)
        return check_fail(err, "ring count %u cap %u head %u maxsize %ld", p->count, p->rcap,
                          p->rhead, st->maxsize);
    if ((p->mask & (p->mask + 1)) || ((uint64_t)p->mask + 1) * 3 < (uint64_t)p->rcap * 4)
        return check_fail(err, "index size %u for ring %u", p->mask + 1, p->rcap);
    if ((uint32_t)(head - p->bbase) + live > p->bcap || p->bcap > mem_size(p->bytes))
        return check_fail(err, "byte FIFO out of its block");
    for (uint32_t k = 0; k < p->count; k++) {
        uint32_t rel = p->recs[ring_pos(p, k)].off - head;

        if (rel < prev || rel > live)
            return check_fail(err, "iid offsets out of order at record %u", k);
        prev = rel;
    }
    return 0;
}

/* Index: a bijection slot <-> live record, correct tags, reachable from
 * the home bucket, and no iid stored twice. */
static int check_prod_index(const struct prod *p, char *err)
{
    unsigned char *seen = mem_calloc(p->rcap);
    uint32_t used = 0, pos, i;
    int rc = 0;

    for (i = 0; i <= p->mask && rc == 0; i++) {
        uint32_t s = p->slots[i], home;
        struct slice iid;

        if (!s)
            continue;
        used++;
        pos = (s & POS_MASK) - 1;
        if (pos >= p->rcap || ring_age(p, pos) >= p->count || seen[pos]++) {
            rc = check_fail(err, "slot %u points at bad or repeated position %u", i, pos);
            break;
        }
        iid = rec_iid(p, pos);
        if (iid_tag(iid.p, iid.len) != s >> POS_BITS)
            rc = check_fail(err, "slot %u has a stale tag", i);
        for (home = (s >> POS_BITS) & p->mask; rc == 0 && home != i; home = (home + 1) & p->mask)
            if (!p->slots[home])
                rc = check_fail(err, "slot %u unreachable from its home", i);
    }
    if (rc == 0 && used != p->count)
        rc = check_fail(err, "index holds %u slots for %u records", used, p->count);
    for (i = 0; i < p->count && rc == 0; i++) {
        struct slice iid = rec_iid(p, pos = ring_pos(p, i));

        if (index_find(p, iid.p, iid.len) != pos + 1)
            rc = check_fail(err, "duplicate iid at record %u", i);
    }
    mem_free(seen);
    return rc;
}

static int check_registry(const struct idmp_state *st, char *err)
{
    int linked = 0;

    for (const struct idmp_state *r = registry; r; r = r->reg_next) {
        if (r->reg_next && r->reg_next->reg_prev != r)
            return check_fail(err, "registry back link broken");
        linked += r == st;
    }
    if (linked != (st->nprods > 0))
        return check_fail(err, "registry membership %d with %zu producers", linked, st->nprods);
    return 0;
}

int idmp_check(const struct idmp_state *st, char *err)
{
    size_t total = 0;

    if (st->nprods > st->prods_cap || (st->prods_cap && !st->prods))
        return check_fail(err, "producer array %zu of %zu", st->nprods, st->prods_cap);
    for (size_t i = 0; i < st->nprods; i++) {
        const struct prod *p = st->prods[i];

        if (i && pid_cmp(st->prods[i - 1]->pid, st->prods[i - 1]->pidlen, p->pid, p->pidlen) >= 0)
            return check_fail(err, "producers out of order at %zu", i);
        if (check_prod_layout(st, p, err) || check_prod_index(p, err))
            return -1;
        total += p->count;
    }
    if (total != st->iids)
        return check_fail(err, "iids tracked %zu, producers hold %zu", st->iids, total);
    return check_registry(st, err);
}
