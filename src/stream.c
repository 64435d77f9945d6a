/*
 * stream.c - the stream storage engine.
 *
 * DESIGN
 *
 * A stream is a sorted vector of nodes.  Each vector slot holds the node's
 * master ID (the ID of its first entry, deleted or not) next to the node
 * pointer, so finding the node that may hold an ID is a binary search over
 * a contiguous array with no pointer chasing.  The vector is a deque: slots
 * live in v[head .. head+len), so dropping the oldest node while trimming
 * costs O(1) amortised.
 *
 * A node is one malloc'd block: a 12-byte header followed by its entries,
 * packed back to back, oldest first.  Appends only ever go to the newest
 * ("tail") node, whose end state (a cursor) is kept in struct
 * stream_nodes so that an append never rescans the node.  A new tail
 * starts at the size the previous node ended with (nodes of one stream
 * tend to fill alike), grows by half with realloc when needed, and is
 * shrunk to fit ("sealed") when a newer node is started.  A new node is
 * started when the tail holds node_max_entries entries or the entry would
 * push the node over node_max_bytes (header included); an entry bigger
 * than that lives alone in its own node.  Whatever the limits a node stays
 * under 2 GiB, and an entry over 1 GiB is refused (STREAM_E_TOO_LARGE).
 *
 * Entries are delta-encoded against the entry physically before them in
 * the node (deleted ones included, so deletion never re-encodes), hence a
 * node is always decoded front to back with a struct stream_cursor, which
 * carries the previous ID and the "blocks in force": the last explicitly
 * written field-name block and value-header block.  An entry whose field
 * names equal those in force sets SAMEF and stores no names; one whose
 * value headers (count, and for each value its kind and length) equal those
 * in force sets SAMEH and stores no headers.  In the common case (same
 * fields, same-sized values, same or next millisecond) an entry is one
 * flags byte followed by the raw value bytes.
 *
 * Values that are canonical decimal integers ("0", "-5", "123"; never
 * "007", "+1", "-0") are stored as 1..8 byte little-endian two's
 * complement numbers and rendered back to the identical text on read.
 *
 * Deletion sets the DELETED flag in place and decrements the node's live
 * count; a node whose live count reaches 0 is freed and its slot removed.
 * Trimming without a policy callback drops whole nodes from the front
 * (approximate trimming stops there), then flags entries one by one.
 * Reverse iteration decodes a node forward once, listing the ID, offset
 * and block state of each entry in range, and then walks that list
 * backwards.
 *
 * NODE (one block; its master ID is kept in the vector slot)
 *
 *   Offset   Size   Description
 *   0        4      used: bytes of entry data after the header
 *   4        4      count: entries in the node, deleted ones included
 *   8        4      live: entries not flagged DELETED (always >= 1)
 *   12       used   entries, oldest first
 *   12+used  ...    spare capacity (open tail node only)
 *
 * ENTRY ("prev" is the entry before it in the node)
 *
 *   Size            Present when          Description
 *   1               always                flags, below
 *   varint          ID mode SEQ           d: seq = prev.seq + 1 + d
 *   varint          ID mode MS or FULL    d >= 1: ms = prev.ms + d
 *   varint          ID mode FULL          seq
 *   varint          neither SAMEF/SAMEH   n, the number of pairs
 *   n x (varint L,  not SAMEF             field names (becomes the field
 *        L bytes)                         block in force)
 *   n x varint      not SAMEH             value headers (becomes the
 *                                         header block in force)
 *   sum of sizes    always                value payloads, concatenated
 *
 *   With SAMEF n is the count of the field block in force, else with
 *   SAMEH that of the header block in force.  The first entry of a node
 *   has neither flag, ID mode NEXT, and its ID is the master ID.
 *
 * FLAGS BYTE
 *
 *   Bit   Meaning
 *   0     DELETED
 *   1     SAMEF: field names are those of the field block in force
 *   2     SAMEH: value headers are those of the header block in force
 *   3-5   ID mode: 0 NEXT (prev.ms, prev.seq+1)   1 SEQ (same ms, gap)
 *                  2 MS1 (prev.ms+1, 0)           3 MS (prev.ms+d, 0)
 *                  4 FULL (prev.ms+d, seq)
 *   6-7   zero
 *
 * VALUE HEADER h (varint): h even: a string of h/2 bytes; h odd: an
 * integer stored in h>>1 (1..8) bytes.  Varints are LEB128, at most 10
 * bytes for 64 bits.
 *
 * EXAMPLE: "XADD s * f1 abcdefghij" twice in one millisecond, new node:
 *   00 | 01 | 02 'f' '1' | 14 | 'abcdefghij'   first: 16 bytes
 *   06 | 'abcdefghij'                          next: 11 bytes (SAMEF,
 *                                              SAMEH, ID mode NEXT)
 * and "XADD s * f1 300" after it: 02 | 05 | 2c 01 (SAMEF, new header:
 * a 2-byte integer, 300 little-endian).
 */
#include "stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/mem.h"

#define F_DELETED 0x01u
#define F_SAMEF 0x02u
#define F_SAMEH 0x04u
#define F_IDSHIFT 3
#define F_IDMASK 0x38u
#define F_RESERVED 0xC0u

enum { ID_NEXT, ID_SEQ, ID_MS1, ID_MS, ID_FULL };

#define NODE_HARD_MAX (1u << 31)          /* node bytes, whatever the limits */
#define ENTRY_MAX_RAW ((uint64_t)1 << 30) /* field+value bytes of one entry */
#define NODE_MIN_CAP 64u
#define DEFAULT_MAX_BYTES 4096u
#define DEFAULT_MAX_ENTRIES 100
#define INT_TEXT_MAX 21 /* "-9223372036854775808" plus one */

struct node {
    uint32_t used;  /* bytes of data[] in use */
    uint32_t count; /* entries, deleted included */
    uint32_t live;  /* entries not deleted */
    uint8_t data[];
};

#define NODE_HDR ((uint32_t)sizeof(struct node))

struct nslot {
    struct stream_id master;
    struct node *n;
};

struct stream_nodes {
    struct nslot *v; /* slots live in v[head .. head+len) */
    size_t head, len, cap;
    size_t bytes;              /* sum of mem_size() over the nodes */
    int tail_open;             /* the last node accepts appends */
    uint32_t tail_cap;         /* capacity of the tail's data[] */
    struct stream_cursor tail; /* cursor at the end of the tail node */
};

/* One decoded entry: where its parts are inside its node. */
struct ent {
    uint32_t off; /* offset of the flags byte */
    unsigned flags;
    struct stream_id id;
    uint32_t n;       /* field/value pairs */
    uint32_t fld_off; /* field-name block */
    uint32_t hdr_off; /* value-header block */
    uint32_t pay_off; /* payloads */
};

/* Encoding decisions for an entry about to be written. */
struct plan {
    unsigned flags;
    uint64_t d1, d2; /* ID mode operands */
    uint64_t size;   /* encoded bytes */
};

static const struct stream_id ID_ZERO = {0, 0};

/* ------------------------------------------------------------------ */
/* Varints and integers                                                */

static unsigned varint_len(uint64_t v)
{
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Bounded read; -1 on truncation or an over-long encoding. */
static inline int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;

    if (p < end && *p < 0x80) { /* the common one-byte case */
        *out = *p;
        *pp = p + 1;
        return 0;
    }
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Is [p, p+len) the canonical decimal text of an int64? */
static int canon_int(const char *p, size_t len, int64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    int neg = 0;

    if (len == 0 || len > 20)
        return 0;
    if (p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len || (p[i] == '0' && len != 1))
        return 0; /* "-", "-0", "07" */
    for (; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)p[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg && v > (uint64_t)INT64_MAX + 1)
        return 0;
    if (!neg && v > (uint64_t)INT64_MAX)
        return 0;
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 1;
}

static unsigned int_nbytes(int64_t v)
{
    unsigned n = 1;
    while (n < 8) {
        int64_t lim = (int64_t)1 << (8 * n - 1);
        if (v >= -lim && v < lim)
            break;
        n++;
    }
    return n;
}

static size_t u64_text(char *dst, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

static size_t i64_text(char *dst, int64_t v)
{
    if (v >= 0)
        return u64_text(dst, (uint64_t)v);
    dst[0] = '-';
    return 1 + u64_text(dst + 1, 0 - (uint64_t)v);
}

/* Header of a value: see VALUE HEADER above. */
static uint64_t val_hdr(struct slice v, int64_t *iv)
{
    if (canon_int(v.p, v.len, iv))
        return ((uint64_t)int_nbytes(*iv) << 1) | 1;
    return (uint64_t)v.len << 1;
}

static int64_t get_int(const uint8_t *p, unsigned nbytes)
{
    uint64_t u = 0;
    for (unsigned i = 0; i < nbytes; i++)
        u |= (uint64_t)p[i] << (8 * i);
    if (nbytes < 8 && (u >> (8 * nbytes - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * nbytes);
    return (int64_t)u;
}

/* ------------------------------------------------------------------ */
/* IDs                                                                 */

int stream_id_cmp(struct stream_id a, struct stream_id b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq)
        return a.seq < b.seq ? -1 : 1;
    return 0;
}

/* Whether s is a negative number in the canonical form Redis's strict
 * signed parser accepts: '-', a nonzero digit, more digits, magnitude at
 * most 2^63. */
static int is_canonical_negative(const char *s, size_t len)
{
    uint64_t v = 0;
    if (len < 2 || s[0] != '-' || s[1] < '1' || s[1] > '9')
        return 0;
    for (size_t i = 1; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9 || v > ((uint64_t)1 << 63) / 10)
            return 0;
        v = v * 10 + d;
        if (v > ((uint64_t)1 << 63))
            return 0;
    }
    return 1;
}

/* One part of a stream ID.  Redis tries a strict signed parse, refuses
 * negative results, and otherwise falls back to strtoull() semantics:
 * leading whitespace, an optional sign ('-' negates modulo 2^64) and at
 * least one digit with nothing after it. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    int neg = 0;

    if (len == 0 || is_canonical_negative(s, len))
        return -1;
    while (i < len && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
        i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == len)
        return -1;
    for (; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? 0 - v : v;
    return 0;
}

int stream_id_parse(const char *s, size_t len, uint64_t missing_seq, struct stream_id *out)
{
    const char *dash;
    size_t mlen;
    uint64_t ms, seq = missing_seq;

    if (len == 0 || len > 127)
        return -1;
    /* Redis parses the ID as a C string: a NUL byte ends it. */
    dash = memchr(s, '\0', len);
    if (dash)
        len = (size_t)(dash - s);
    dash = memchr(s, '-', len);
    mlen = dash ? (size_t)(dash - s) : len;
    if (parse_u64(s, mlen, &ms) < 0)
        return -1;
    if (dash && parse_u64(dash + 1, len - mlen - 1, &seq) < 0)
        return -1;
    out->ms = ms;
    out->seq = seq;
    return 0;
}

size_t stream_id_format(char *dst, struct stream_id id)
{
    size_t n = u64_text(dst, id.ms);
    dst[n++] = '-';
    n += u64_text(dst + n, id.seq);
    dst[n] = '\0';
    return n;
}

int stream_id_incr(struct stream_id *id)
{
    if (id->seq < UINT64_MAX) {
        id->seq++;
    } else if (id->ms < UINT64_MAX) {
        id->ms++;
        id->seq = 0;
    } else {
        return -1;
    }
    return 0;
}

int stream_id_decr(struct stream_id *id)
{
    if (id->seq > 0) {
        id->seq--;
    } else if (id->ms > 0) {
        id->ms--;
        id->seq = UINT64_MAX;
    } else {
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The node vector                                                     */

static struct nslot *slot(const struct stream_nodes *ns, size_t i)
{
    return &ns->v[ns->head + i];
}

/* Number of nodes whose master ID is <= id. */
static size_t nodes_upto(const struct stream_nodes *ns, struct stream_id id)
{
    size_t lo = 0, hi = ns->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (stream_id_cmp(slot(ns, mid)->master, id) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void vec_push(struct stream_nodes *ns, struct stream_id master, struct node *n)
{
    if (ns->head + ns->len == ns->cap) {
        if (ns->head > 0 && ns->head >= ns->len) {
            memmove(ns->v, ns->v + ns->head, ns->len * sizeof(*ns->v));
            ns->head = 0;
        } else {
            ns->cap = ns->cap ? ns->cap * 2 : 4;
            ns->v = mem_realloc(ns->v, ns->cap * sizeof(*ns->v));
        }
    }
    *slot(ns, ns->len) = (struct nslot){master, n};
    ns->len++;
}

/* Removes slot i, moving whichever side is shorter. */
static void vec_remove(struct stream_nodes *ns, size_t i)
{
    struct nslot *v = ns->v + ns->head;
    if (i < ns->len / 2) {
        memmove(v + 1, v, i * sizeof(*v));
        ns->head++;
    } else {
        memmove(v + i, v + i + 1, (ns->len - i - 1) * sizeof(*v));
    }
    ns->len--;
    if (ns->len == 0)
        ns->head = 0;
    if (ns->cap > 16 && ns->len < ns->cap / 4) {
        memmove(ns->v, ns->v + ns->head, ns->len * sizeof(*ns->v));
        ns->head = 0;
        ns->cap /= 2;
        ns->v = mem_realloc(ns->v, ns->cap * sizeof(*ns->v));
    }
}

static void node_remove(struct stream_nodes *ns, size_t i)
{
    struct node *n = slot(ns, i)->n;
    if (i == ns->len - 1)
        ns->tail_open = 0;
    ns->bytes -= mem_size(n);
    mem_free(n);
    vec_remove(ns, i);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

static void cur_init(struct stream_cursor *c, struct stream_id master)
{
    memset(c, 0, sizeof(*c));
    c->id = master;
}

static int read_id(const uint8_t **pp, const uint8_t *end, struct stream_id prev, unsigned flags,
                   struct stream_id *out)
{
    uint64_t a = 0, b = 0;
    unsigned mode = (flags & F_IDMASK) >> F_IDSHIFT;

    if (mode == ID_SEQ || mode == ID_MS || mode == ID_FULL)
        if (get_varint(pp, end, &a) < 0)
            return -1;
    if (mode == ID_FULL && get_varint(pp, end, &b) < 0)
        return -1;
    switch (mode) {
    case ID_NEXT:
    case ID_SEQ:
        if (a >= UINT64_MAX - prev.seq)
            return -1;
        *out = (struct stream_id){prev.ms, prev.seq + 1 + a};
        return 0;
    case ID_MS1:
        a = 1;
        /* fall through */
    case ID_MS:
    case ID_FULL:
        if (a == 0 || a > UINT64_MAX - prev.ms)
            return -1;
        *out = (struct stream_id){prev.ms + a, b};
        return 0;
    default:
        return -1;
    }
}

static int skip_fields(const uint8_t **pp, const uint8_t *end, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len;
        if (get_varint(pp, end, &len) < 0 || len > (uint64_t)(end - *pp))
            return -1;
        *pp += len;
    }
    return 0;
}

static int sum_hdrs(const uint8_t **pp, const uint8_t *end, uint64_t n, uint64_t *total)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t h;
        if (get_varint(pp, end, &h) < 0)
            return -1;
        if ((h & 1) && ((h >> 1) < 1 || (h >> 1) > 8))
            return -1;
        sum += h >> 1;
        if (sum > NODE_HARD_MAX)
            return -1;
    }
    *total = sum;
    return 0;
}

/* Pair count, blocks and payload of the entry at *pp; updates the blocks
 * in force. */
static int read_shape(const uint8_t *base, const uint8_t **pp, const uint8_t *end,
                      struct stream_cursor *c, struct ent *e)
{
    uint64_t n;
    if (e->flags & F_SAMEF) {
        n = c->nfld;
        if ((e->flags & F_SAMEH) && c->nhdr != n)
            return -1;
    } else if (e->flags & F_SAMEH) {
        n = c->nhdr;
    } else if (get_varint(pp, end, &n) < 0 || n > UINT32_MAX) {
        return -1;
    }
    if (!(e->flags & F_SAMEF)) {
        c->fld_off = (uint32_t)(*pp - base);
        c->nfld = (uint32_t)n;
        if (skip_fields(pp, end, n) < 0)
            return -1;
    }
    if (!(e->flags & F_SAMEH)) {
        c->hdr_off = (uint32_t)(*pp - base);
        c->nhdr = (uint32_t)n;
        if (sum_hdrs(pp, end, n, &c->hdr_total) < 0)
            return -1;
    }
    if (c->hdr_total > (uint64_t)(end - *pp))
        return -1;
    e->n = (uint32_t)n;
    e->fld_off = c->fld_off;
    e->hdr_off = c->hdr_off;
    e->pay_off = (uint32_t)(*pp - base);
    *pp += c->hdr_total;
    return 0;
}

/* The common entry: same shape as the one before, next seq or next ms. */
static inline int cur_next_fast(struct stream_cursor *c, struct ent *e, uint32_t left)
{
    unsigned f = e->flags & ~F_DELETED;
    uint64_t ms = c->id.ms, seq = c->id.seq;

    if (c->hdr_total > left || c->nfld != c->nhdr)
        return 0;
    if (f == (F_SAMEF | F_SAMEH | (ID_NEXT << F_IDSHIFT)) && seq != UINT64_MAX) {
        seq++;
    } else if (f == (F_SAMEF | F_SAMEH | (ID_MS1 << F_IDSHIFT)) && ms != UINT64_MAX) {
        ms++;
        seq = 0;
    } else {
        return 0;
    }
    /* (built from locals: no wide reload of just-stored halves) */
    e->id.ms = c->id.ms = ms;
    e->id.seq = c->id.seq = seq;
    e->n = c->nfld;
    e->fld_off = c->fld_off;
    e->hdr_off = c->hdr_off;
    e->pay_off = e->off + 1;
    c->pos = e->pay_off + (uint32_t)c->hdr_total;
    c->idx++;
    return 1;
}

/* The general case of cur_next(), flags byte already read. */
static int cur_next_slow(const struct node *nd, struct stream_id master, struct stream_cursor *c,
                         struct ent *e, const uint8_t *p)
{
    const uint8_t *base = nd->data, *end = base + nd->used;

    if (e->flags & F_RESERVED)
        return -1;
    if (c->idx == 0) {
        if (e->flags & (F_SAMEF | F_SAMEH | F_IDMASK))
            return -1;
        e->id = master;
    } else if (read_id(&p, end, c->id, e->flags, &e->id) < 0) {
        return -1;
    }
    if (read_shape(base, &p, end, c, e) < 0)
        return -1;
    c->pos = (uint32_t)(p - base);
    c->idx++;
    c->id = e->id;
    return 1;
}

/* Decodes the entry at the cursor and steps past it.  Returns 1, 0 at the
 * end of the node, -1 if the bytes are malformed. */
static inline int cur_next(const struct node *nd, struct stream_id master, struct stream_cursor *c,
                           struct ent *e)
{
    const uint8_t *p;

    if (c->idx >= nd->count)
        return 0;
    if (c->pos >= nd->used)
        return -1;
    p = nd->data + c->pos;
    e->off = c->pos;
    e->flags = *p++;
    if (c->idx > 0 && cur_next_fast(c, e, nd->used - c->pos - 1))
        return 1;
    return cur_next_slow(nd, master, c, e, p);
}

/* ------------------------------------------------------------------ */
/* Creation, destruction, copy                                         */

struct stream *stream_new(void)
{
    return mem_calloc(sizeof(struct stream));
}

static void nodes_free(struct stream_nodes *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->len; i++)
        mem_free(slot(ns, i)->n);
    mem_free(ns->v);
    mem_free(ns);
}

void stream_free(struct stream *s)
{
    if (!s)
        return;
    nodes_free(s->nodes);
    mem_free(s);
}

static struct stream_nodes *nodes_dup(const struct stream_nodes *src)
{
    struct stream_nodes *ns = mem_calloc(sizeof(*ns));
    if (src->len) {
        ns->cap = src->len;
        ns->v = mem_alloc(ns->cap * sizeof(*ns->v));
    }
    for (size_t i = 0; i < src->len; i++) {
        const struct nslot *sl = slot(src, i);
        struct node *n = mem_memdup(sl->n, NODE_HDR + sl->n->used);
        ns->bytes += mem_size(n);
        vec_push(ns, sl->master, n);
    }
    return ns;
}

struct stream *stream_dup(const struct stream *s)
{
    struct stream *d = stream_new();
    *d = *s;
    d->groups = NULL;
    d->idmp = NULL;
    d->nodes = s->nodes ? nodes_dup(s->nodes) : NULL;
    return d;
}

/* ------------------------------------------------------------------ */
/* Append                                                              */

static enum stream_status next_id(const struct stream *s, enum stream_id_mode mode,
                                  struct stream_id id, int64_t now_ms, struct stream_id *out)
{
    struct stream_id last = s->last_id;

    if (mode == STREAM_ID_EXPLICIT && id.ms == 0 && id.seq == 0)
        return STREAM_E_ID_ZERO;
    if (last.ms == UINT64_MAX && last.seq == UINT64_MAX)
        return STREAM_E_EXHAUSTED;
    switch (mode) {
    case STREAM_ID_AUTO:
        *out = last;
        if (now_ms > 0 && (uint64_t)now_ms > last.ms)
            *out = (struct stream_id){(uint64_t)now_ms, 0};
        else
            stream_id_incr(out); /* cannot fail: not at the maximum */
        return STREAM_OK;
    case STREAM_ID_MS_AUTO:
        if (id.ms > last.ms)
            *out = (struct stream_id){id.ms, 0};
        else if (id.ms == last.ms && last.seq < UINT64_MAX)
            *out = (struct stream_id){id.ms, last.seq + 1};
        else
            return STREAM_E_ID_TOO_SMALL;
        return STREAM_OK;
    case STREAM_ID_EXPLICIT:
    default:
        if (stream_id_cmp(id, last) <= 0)
            return STREAM_E_ID_TOO_SMALL;
        *out = id;
        return STREAM_OK;
    }
}

enum stream_status stream_check_append(const struct stream *s, enum stream_id_mode mode,
                                       struct stream_id id)
{
    struct stream_id out;
    return next_id(s, mode, id, 0, &out);
}

/* Over 1 GiB of field and value bytes, or an encoding that could pass the
 * node hard cap (worst case: 31 bytes of flags/ID/count, 5+5 per pair). */
static int entry_too_large(const struct slice *fields, size_t npairs)
{
    uint64_t sum = 0;
    if (npairs > ENTRY_MAX_RAW)
        return 1;
    for (size_t i = 0; i < 2 * npairs; i++) {
        sum += fields[i].len;
        if (sum > ENTRY_MAX_RAW)
            return 1;
    }
    return 31 + sum + 10 * (uint64_t)npairs > NODE_HARD_MAX - NODE_HDR;
}

/* Chooses the ID mode of id after prev; returns the bytes it costs. */
static unsigned plan_id(struct plan *pl, struct stream_id prev, struct stream_id id)
{
    unsigned mode;
    pl->d1 = pl->d2 = 0;
    if (id.ms == prev.ms) {
        pl->d1 = id.seq - prev.seq - 1;
        mode = pl->d1 ? ID_SEQ : ID_NEXT;
    } else {
        pl->d1 = id.ms - prev.ms;
        pl->d2 = id.seq;
        if (id.seq != 0)
            mode = ID_FULL;
        else
            mode = pl->d1 == 1 ? ID_MS1 : ID_MS;
    }
    pl->flags |= mode << F_IDSHIFT;
    switch (mode) {
    case ID_SEQ:
    case ID_MS:
        return varint_len(pl->d1);
    case ID_FULL:
        return varint_len(pl->d1) + varint_len(pl->d2);
    default:
        return 0;
    }
}

static int fields_match(const struct node *nd, const struct stream_cursor *c,
                        const struct slice *fields, size_t npairs)
{
    const uint8_t *p = nd->data + c->fld_off, *end = nd->data + nd->used;
    if (c->nfld != npairs)
        return 0;
    for (size_t i = 0; i < npairs; i++) {
        uint64_t len;
        if (get_varint(&p, end, &len) < 0 || len != fields[2 * i].len)
            return 0;
        if (len && memcmp(p, fields[2 * i].p, len) != 0)
            return 0;
        p += len;
    }
    return 1;
}

static int hdrs_match(const struct node *nd, const struct stream_cursor *c,
                      const struct slice *fields, size_t npairs)
{
    const uint8_t *p = nd->data + c->hdr_off, *end = nd->data + nd->used;
    if (c->nhdr != npairs)
        return 0;
    for (size_t i = 0; i < npairs; i++) {
        uint64_t h;
        int64_t iv;
        if (get_varint(&p, end, &h) < 0 || h != val_hdr(fields[2 * i + 1], &iv))
            return 0;
    }
    return 1;
}

/* Encoding of an entry after the cursor `ref` in node nd, or as the first
 * entry of a new node when nd is NULL. */
static void plan_entry(struct plan *pl, const struct node *nd, const struct stream_cursor *ref,
                       struct stream_id id, const struct slice *fields, size_t npairs)
{
    uint64_t size = 1;
    pl->flags = 0;
    pl->d1 = pl->d2 = 0;
    if (nd) {
        size += plan_id(pl, ref->id, id);
        if (fields_match(nd, ref, fields, npairs))
            pl->flags |= F_SAMEF;
        if (hdrs_match(nd, ref, fields, npairs))
            pl->flags |= F_SAMEH;
    }
    if (!(pl->flags & (F_SAMEF | F_SAMEH)))
        size += varint_len(npairs);
    for (size_t i = 0; i < npairs; i++) {
        int64_t iv;
        uint64_t h = val_hdr(fields[2 * i + 1], &iv);
        if (!(pl->flags & F_SAMEF))
            size += varint_len(fields[2 * i].len) + fields[2 * i].len;
        if (!(pl->flags & F_SAMEH))
            size += varint_len(h);
        size += h >> 1;
    }
    pl->size = size;
}

static uint8_t *write_payloads(uint8_t *p, const struct slice *fields, size_t npairs)
{
    for (size_t i = 0; i < npairs; i++) {
        struct slice v = fields[2 * i + 1];
        int64_t iv;
        uint64_t h = val_hdr(v, &iv);
        if (h & 1) {
            for (unsigned b = 0; b < (h >> 1); b++)
                *p++ = (uint8_t)((uint64_t)iv >> (8 * b));
        } else if (v.len) {
            memcpy(p, v.p, v.len);
            p += v.len;
        }
    }
    return p;
}

static void write_entry(uint8_t *p, const struct plan *pl, const struct slice *fields,
                        size_t npairs)
{
    unsigned mode = (pl->flags & F_IDMASK) >> F_IDSHIFT;
    int64_t iv;

    *p++ = (uint8_t)pl->flags;
    if (mode == ID_SEQ || mode == ID_MS || mode == ID_FULL)
        p = put_varint(p, pl->d1);
    if (mode == ID_FULL)
        p = put_varint(p, pl->d2);
    if (!(pl->flags & (F_SAMEF | F_SAMEH)))
        p = put_varint(p, npairs);
    for (size_t i = 0; i < npairs && !(pl->flags & F_SAMEF); i++) {
        p = put_varint(p, fields[2 * i].len);
        if (fields[2 * i].len)
            memcpy(p, fields[2 * i].p, fields[2 * i].len);
        p += fields[2 * i].len;
    }
    for (size_t i = 0; i < npairs && !(pl->flags & F_SAMEH); i++)
        p = put_varint(p, val_hdr(fields[2 * i + 1], &iv));
    write_payloads(p, fields, npairs);
}

/* Re-derives the tail cursor of the last node (after a copy, or after the
 * previous tail was freed). */
static void tail_reopen(struct stream_nodes *ns)
{
    struct nslot *sl = slot(ns, ns->len - 1);
    struct ent e;
    cur_init(&ns->tail, sl->master);
    while (cur_next(sl->n, sl->master, &ns->tail, &e) > 0)
        ;
    ns->tail_cap = (uint32_t)(mem_size(sl->n) - NODE_HDR);
    ns->tail_open = 1;
}

/* Can the entry go into the tail node?  Plans it there if so. */
static int tail_fits(struct stream_nodes *ns, const struct stream_limits *lim, struct plan *pl,
                     struct stream_id id, const struct slice *fields, size_t npairs)
{
    const struct node *nd;
    uint64_t total;

    if (!ns->tail_open && ns->len)
        tail_reopen(ns);
    if (!ns->tail_open)
        return 0;
    nd = slot(ns, ns->len - 1)->n;
    if (lim->node_max_entries > 0 && nd->count >= (uint64_t)lim->node_max_entries)
        return 0;
    if (nd->count >= UINT32_MAX - 1)
        return 0;
    plan_entry(pl, nd, &ns->tail, id, fields, npairs);
    total = (uint64_t)NODE_HDR + nd->used + pl->size;
    if (lim->node_max_bytes && total > lim->node_max_bytes)
        return 0;
    return total <= NODE_HARD_MAX;
}

static void node_resize(struct stream_nodes *ns, size_t i, uint32_t cap)
{
    struct nslot *sl = slot(ns, i);
    ns->bytes -= mem_size(sl->n);
    sl->n = mem_realloc(sl->n, NODE_HDR + (size_t)cap);
    ns->bytes += mem_size(sl->n);
    ns->tail_cap = cap;
}

/* Shrinks the tail to fit: it will not grow any more. */
static void tail_seal(struct stream_nodes *ns)
{
    struct node *nd;
    if (!ns->tail_open)
        return;
    nd = slot(ns, ns->len - 1)->n;
    if (ns->tail_cap > nd->used + 8)
        node_resize(ns, ns->len - 1, nd->used);
    ns->tail_open = 0;
}

/* Starts a new tail node for an entry of `size` bytes. */
static void tail_new(struct stream_nodes *ns, const struct stream_limits *lim,
                     struct stream_id master, uint64_t size)
{
    uint64_t hint = lim->node_max_bytes ? lim->node_max_bytes : DEFAULT_MAX_BYTES;
    uint64_t cap;
    struct node *nd;

    /* Nodes of a stream tend to fill alike: start at the last one's size
     * (a fresh stream starts small). */
    if (ns->len == 0)
        hint = 0;
    else if (slot(ns, ns->len - 1)->n->used < hint)
        hint = slot(ns, ns->len - 1)->n->used;
    cap = size > hint ? size : hint;
    if (cap < NODE_MIN_CAP)
        cap = NODE_MIN_CAP;
    nd = mem_alloc(NODE_HDR + (size_t)cap);
    nd->used = nd->count = nd->live = 0;
    ns->bytes += mem_size(nd);
    vec_push(ns, master, nd);
    cur_init(&ns->tail, master);
    ns->tail_cap = (uint32_t)cap;
    ns->tail_open = 1;
}

/* Makes room for `size` more bytes in the tail, growing geometrically but
 * not past node_max_bytes when the entry fits below it. */
static void tail_reserve(struct stream_nodes *ns, const struct stream_limits *lim, uint64_t size)
{
    struct node *nd = slot(ns, ns->len - 1)->n;
    uint64_t need = (uint64_t)nd->used + size, cap = ns->tail_cap;
    uint64_t lim_data = lim->node_max_bytes > NODE_HDR ? lim->node_max_bytes - NODE_HDR : 0;

    if (need <= cap)
        return;
    cap = cap < NODE_MIN_CAP ? NODE_MIN_CAP : cap + cap / 2;
    if (lim_data && cap > lim_data && need <= lim_data)
        cap = lim_data;
    if (cap < need)
        cap = need;
    if (cap > NODE_HARD_MAX)
        cap = NODE_HARD_MAX;
    node_resize(ns, ns->len - 1, (uint32_t)cap);
}

static void append_entry(struct stream_nodes *ns, const struct stream_limits *lim,
                         struct stream_id id, const struct slice *fields, size_t npairs)
{
    struct plan pl;
    struct nslot *sl;
    struct ent e;

    if (!tail_fits(ns, lim, &pl, id, fields, npairs)) {
        tail_seal(ns);
        plan_entry(&pl, NULL, NULL, id, fields, npairs);
        tail_new(ns, lim, id, pl.size);
    }
    tail_reserve(ns, lim, pl.size);
    sl = slot(ns, ns->len - 1);
    write_entry(sl->n->data + sl->n->used, &pl, fields, npairs);
    sl->n->used += (uint32_t)pl.size;
    sl->n->count++;
    sl->n->live++;
    cur_next(sl->n, sl->master, &ns->tail, &e); /* step the tail cursor */
}

enum stream_status stream_append(struct stream *s, const struct stream_limits *lim,
                                 enum stream_id_mode mode, struct stream_id id, int64_t now_ms,
                                 const struct slice *fields, size_t npairs,
                                 struct stream_id *out_id)
{
    static const struct stream_limits defaults = {DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES};
    struct stream_id nid;
    enum stream_status st = next_id(s, mode, id, now_ms, &nid);

    if (st != STREAM_OK)
        return st;
    if (entry_too_large(fields, npairs))
        return STREAM_E_TOO_LARGE;
    if (!s->nodes)
        s->nodes = mem_calloc(sizeof(*s->nodes));
    append_entry(s->nodes, lim ? lim : &defaults, nid, fields, npairs);
    s->length++;
    s->entries_added++;
    s->last_id = nid;
    if (s->length == 1)
        s->first_id = nid;
    if (out_id)
        *out_id = nid;
    return STREAM_OK;
}

/* ------------------------------------------------------------------ */
/* Lookup and deletion                                                 */

/* Finds the live entry `id`: its node index and decoded entry. */
static int find_entry(const struct stream *s, struct stream_id id, size_t *ni, struct ent *e)
{
    const struct stream_nodes *ns = s->nodes;
    struct stream_cursor c;
    size_t k;

    if (!ns || (k = nodes_upto(ns, id)) == 0)
        return 0;
    const struct nslot *sl = slot(ns, k - 1);
    cur_init(&c, sl->master);
    while (cur_next(sl->n, sl->master, &c, e) > 0) {
        int r = stream_id_cmp(e->id, id);
        if (r > 0)
            return 0;
        if (r == 0) {
            *ni = k - 1;
            return !(e->flags & F_DELETED);
        }
    }
    return 0;
}

int stream_has(const struct stream *s, struct stream_id id)
{
    size_t ni;
    struct ent e;
    return find_entry(s, id, &ni, &e);
}

static void refresh_first_id(struct stream *s)
{
    struct stream_cursor c;
    struct ent e;

    s->first_id = ID_ZERO;
    if (s->length == 0 || !s->nodes || s->nodes->len == 0)
        return;
    const struct nslot *sl = slot(s->nodes, 0);
    cur_init(&c, sl->master);
    while (cur_next(sl->n, sl->master, &c, &e) > 0) {
        if (!(e.flags & F_DELETED)) {
            s->first_id = e.id;
            return;
        }
    }
}

static void note_deleted(struct stream *s, struct stream_id id)
{
    if (stream_id_cmp(id, s->max_deleted_id) > 0)
        s->max_deleted_id = id;
}

/* Flags the live entry at byte `off` of node i.  Returns 1 if the node
 * became empty and was freed.  first_id is the caller's business. */
static int flag_deleted(struct stream *s, size_t i, uint32_t off)
{
    struct node *nd = slot(s->nodes, i)->n;
    nd->data[off] |= F_DELETED;
    nd->live--;
    s->length--;
    if (nd->live == 0) {
        node_remove(s->nodes, i);
        return 1;
    }
    return 0;
}

static int delete_at(struct stream *s, size_t i, uint32_t off, struct stream_id id)
{
    int freed = flag_deleted(s, i, off);
    note_deleted(s, id);
    if (stream_id_cmp(id, s->first_id) == 0)
        refresh_first_id(s);
    return freed;
}

int stream_delete(struct stream *s, struct stream_id id)
{
    size_t ni;
    struct ent e;
    if (!find_entry(s, id, &ni, &e))
        return 0;
    delete_at(s, ni, e.off, id);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Trimming                                                            */

struct trim_run {
    struct stream *s;
    const struct stream_trim *t;
    uint64_t removed;
    uint64_t limit; /* 0: none */
    int any;
    struct stream_id last; /* greatest removed ID */
};

static int trim_satisfied(const struct trim_run *r, struct stream_id next)
{
    if (r->limit && r->removed >= r->limit)
        return 1;
    if (r->s->length == 0)
        return 1;
    if (r->t->strategy == STREAM_TRIM_MAXLEN)
        return r->s->length <= r->t->maxlen;
    return stream_id_cmp(next, r->t->minid) >= 0;
}

static void trim_note(struct trim_run *r, struct stream_id id)
{
    r->removed++;
    r->any = 1;
    r->last = id;
    if (r->t->on_delete)
        r->t->on_delete(r->t->priv, id);
}

/* ID of the last entry of node i, deleted or not. */
static struct stream_id node_last_id(const struct stream_nodes *ns, size_t i)
{
    const struct nslot *sl = slot(ns, i);
    struct stream_cursor c;
    struct ent e;

    if (i + 1 == ns->len && ns->tail_open)
        return ns->tail.id;
    cur_init(&c, sl->master);
    while (cur_next(sl->n, sl->master, &c, &e) > 0)
        ;
    return c.id;
}

/* Are all entries of node 0 eligible (ignoring the limit)?  MINID, as
 * Redis: the node's last entry, deleted or not, is below the threshold. */
static int trim_whole(const struct trim_run *r)
{
    const struct stream_nodes *ns = r->s->nodes;
    const struct node *nd = slot(ns, 0)->n;
    struct stream_id minid = r->t->minid;

    if (r->t->strategy == STREAM_TRIM_MAXLEN)
        return r->s->length - nd->live >= r->t->maxlen;
    if (ns->len > 1 && stream_id_cmp(slot(ns, 1)->master, minid) <= 0)
        return 1; /* no need to decode the node */
    return stream_id_cmp(node_last_id(ns, 0), minid) < 0;
}

/* Removes node 0 whole, reporting its live entries. */
static void trim_drop_node(struct trim_run *r)
{
    struct stream_nodes *ns = r->s->nodes;
    const struct nslot *sl = slot(ns, 0);
    struct stream_cursor c;
    struct ent e;

    cur_init(&c, sl->master);
    while (cur_next(sl->n, sl->master, &c, &e) > 0)
        if (!(e.flags & F_DELETED))
            trim_note(r, e.id);
    r->s->length -= sl->n->live;
    node_remove(ns, 0);
}

enum { TRIM_STOP, TRIM_NEXT, TRIM_FREED };

/* Walks node i entry by entry removing what may go (exact trimming and
 * callback policies).  TRIM_STOP: the trim is satisfied; TRIM_NEXT: node
 * exhausted; TRIM_FREED: node emptied and freed. */
static int trim_in_node(struct trim_run *r, size_t i)
{
    const struct nslot *sl = slot(r->s->nodes, i);
    struct stream_cursor c;
    struct ent e;

    cur_init(&c, sl->master);
    while (cur_next(sl->n, sl->master, &c, &e) > 0) {
        if (e.flags & F_DELETED)
            continue;
        if (trim_satisfied(r, e.id))
            return TRIM_STOP;
        if (r->t->can_delete && !r->t->can_delete(r->t->priv, e.id))
            continue;
        trim_note(r, e.id);
        if (flag_deleted(r->s, i, e.off))
            return TRIM_FREED;
    }
    return TRIM_NEXT;
}

/* Callback policies: refused entries stay, and trimming goes on past
 * them, node after node. */
static void trim_each(struct trim_run *r)
{
    struct stream_nodes *ns = r->s->nodes;
    size_t i = 0;

    while (i < ns->len && !trim_satisfied(r, slot(ns, i)->master)) {
        int st = trim_in_node(r, i);
        if (st == TRIM_STOP)
            break;
        if (st == TRIM_NEXT)
            i++;
    }
}

/* KEEPREF: whole nodes from the front, then (exact only) a partial one. */
static void trim_nodes(struct trim_run *r)
{
    struct stream_nodes *ns = r->s->nodes;

    while (ns->len && !trim_satisfied(r, slot(ns, 0)->master)) {
        uint32_t live = slot(ns, 0)->n->live;
        if (trim_whole(r) && (!r->limit || r->removed + live <= r->limit)) {
            trim_drop_node(r);
            continue;
        }
        if (r->t->approx || trim_in_node(r, 0) != TRIM_FREED)
            break;
    }
}

uint64_t stream_trim(struct stream *s, const struct stream_trim *t)
{
    struct trim_run r;

    if (!s->nodes || s->length == 0 || t->strategy == STREAM_TRIM_NONE)
        return 0;
    memset(&r, 0, sizeof(r));
    r.s = s;
    r.t = t;
    r.limit = t->limit > 0 ? (uint64_t)t->limit : 0;
    if (t->can_delete)
        trim_each(&r);
    else
        trim_nodes(&r);
    if (r.any) {
        /* Redis's trimming leaves max_deleted_entry_id alone (everything
         * removed lies before the new first entry); only the policy walk,
         * which may leave entries in front of removed ones, records it. */
        if (t->can_delete)
            note_deleted(s, r.last);
        refresh_first_id(s);
    }
    return r.removed;
}

/* ------------------------------------------------------------------ */
/* Iteration                                                           */

void stream_iter_init(struct stream_iter *it, struct stream *s, struct stream_id start,
                      struct stream_id end, int rev)
{
    const struct stream_nodes *ns = s->nodes;
    size_t k;

    memset(it, 0, sizeof(*it));
    it->s = s;
    it->start = start;
    it->end = end;
    it->rev = rev;
    if (!ns || ns->len == 0 || stream_id_cmp(start, end) > 0) {
        it->done = 1;
        return;
    }
    k = nodes_upto(ns, rev ? end : start);
    if (rev && k == 0)
        it->done = 1;
    it->node = k ? k - 1 : 0;
}

static int fwd_next(struct stream_iter *it, struct ent *e)
{
    const struct stream_nodes *ns = it->s->nodes;

    while (it->node < ns->len) {
        const struct nslot *sl = slot(ns, it->node);
        if (!it->loaded) {
            if (stream_id_cmp(sl->master, it->end) > 0)
                return 0;
            cur_init(&it->c, sl->master);
            it->loaded = 1;
        }
        if (cur_next(sl->n, sl->master, &it->c, e) <= 0) {
            it->node++;
            it->loaded = 0;
            continue;
        }
        if (e->flags & F_DELETED || stream_id_cmp(e->id, it->start) < 0)
            continue;
        return stream_id_cmp(e->id, it->end) <= 0;
    }
    return 0;
}

static uint32_t rev_push_ref(struct stream_iter *it, const struct stream_cursor *c)
{
    if (it->refs_len == it->refs_cap) {
        it->refs_cap = it->refs_cap ? it->refs_cap * 2 : 4;
        it->refs = mem_realloc(it->refs, it->refs_cap * sizeof(*it->refs));
    }
    it->refs[it->refs_len] = *c;
    return (uint32_t)it->refs_len++;
}

static void rev_push(struct stream_iter *it, const struct ent *e, uint32_t ref)
{
    if (it->tab_len == it->tab_cap) {
        it->tab_cap = it->tab_cap ? it->tab_cap * 2 : 16;
        it->tab = mem_realloc(it->tab, it->tab_cap * sizeof(*it->tab));
    }
    it->tab[it->tab_len].ms = e->id.ms;
    it->tab[it->tab_len].seq = e->id.seq;
    it->tab[it->tab_len].off = e->off;
    it->tab[it->tab_len].ref = ref;
    it->tab_len++;
}

/* Decodes node it->node once, listing the live entries in range with the
 * block state each needs (states only change at explicit blocks). */
static void rev_load(struct stream_iter *it)
{
    const struct nslot *sl = slot(it->s->nodes, it->node);
    struct stream_cursor c;
    struct ent e;
    uint32_t ref;

    it->tab_len = it->refs_len = 0;
    cur_init(&c, sl->master);
    ref = rev_push_ref(it, &c);
    while (cur_next(sl->n, sl->master, &c, &e) > 0) {
        if (stream_id_cmp(e.id, it->end) > 0)
            break;
        if (!(e.flags & F_DELETED) && stream_id_cmp(e.id, it->start) >= 0)
            rev_push(it, &e, ref);
        if ((e.flags & (F_SAMEF | F_SAMEH)) != (F_SAMEF | F_SAMEH))
            ref = rev_push_ref(it, &c);
    }
    it->last_node = stream_id_cmp(sl->master, it->start) <= 0;
    it->loaded = 1;
}

/* Re-decodes a listed entry: its ID is known, its ID bytes are skipped. */
static int rev_decode(struct stream_iter *it, const struct stream_rent *r, struct ent *e)
{
    const struct node *nd = slot(it->s->nodes, it->node)->n;
    const uint8_t *p = nd->data + r->off, *end = nd->data + nd->used;
    struct stream_cursor c = it->refs[r->ref];
    unsigned mode;
    uint64_t skip;

    e->off = r->off;
    e->id = (struct stream_id){r->ms, r->seq};
    e->flags = *p++;
    mode = (e->flags & F_IDMASK) >> F_IDSHIFT;
    if (mode == ID_SEQ || mode == ID_MS || mode == ID_FULL)
        get_varint(&p, end, &skip);
    if (mode == ID_FULL)
        get_varint(&p, end, &skip);
    return read_shape(nd->data, &p, end, &c, e) == 0 && !(e->flags & F_DELETED);
}

static int rev_next(struct stream_iter *it, struct ent *e)
{
    for (;;) {
        if (it->tab_len > 0) {
            if (rev_decode(it, &it->tab[--it->tab_len], e))
                return 1;
            continue;
        }
        if (it->loaded) {
            if (it->last_node || it->node == 0)
                return 0;
            it->node--;
        }
        rev_load(it);
    }
}

static void iter_reserve(struct stream_iter *it, size_t npairs)
{
    if (2 * npairs > it->fv_cap) {
        it->fv_cap = 2 * npairs;
        it->fv = mem_realloc(it->fv, it->fv_cap * sizeof(*it->fv));
    }
    if (npairs * INT_TEXT_MAX > it->scratch_cap) { /* room if all are ints */
        it->scratch_cap = npairs * INT_TEXT_MAX;
        it->scratch = mem_realloc(it->scratch, it->scratch_cap);
    }
}

/* Points it->fv at the entry's fields and values. */
static void iter_fill(struct stream_iter *it, const struct node *nd, const struct ent *e)
{
    const uint8_t *end = nd->data + nd->used, *v = nd->data + e->pay_off;
    const uint8_t *f = nd->data + e->fld_off, *h = nd->data + e->hdr_off;
    char *txt;

    iter_reserve(it, e->n);
    txt = it->scratch;
    for (uint32_t i = 0; i < e->n; i++) {
        uint64_t flen = 0, hv = 0;
        get_varint(&f, end, &flen);
        it->fv[2 * i] = (struct slice){(const char *)f, flen};
        f += flen;
        get_varint(&h, end, &hv);
        if (hv & 1) {
            size_t n = i64_text(txt, get_int(v, (unsigned)(hv >> 1)));
            it->fv[2 * i + 1] = (struct slice){txt, n};
            txt += n;
        } else {
            it->fv[2 * i + 1] = (struct slice){(const char *)v, hv >> 1};
        }
        v += hv >> 1;
    }
}

int stream_iter_next(struct stream_iter *it, struct stream_id *id, const struct slice **fv,
                     size_t *npairs)
{
    struct ent e;

    it->has_cur = 0;
    if (it->done)
        return 0;
    if (!(it->rev ? rev_next(it, &e) : fwd_next(it, &e))) {
        it->done = 1;
        return 0;
    }
    iter_fill(it, slot(it->s->nodes, it->node)->n, &e);
    it->cur = e.id;
    it->cur_off = e.off;
    it->has_cur = 1;
    if (id)
        *id = e.id;
    if (fv)
        *fv = it->fv;
    if (npairs)
        *npairs = e.n;
    return 1;
}

void stream_iter_delete_current(struct stream_iter *it)
{
    if (!it->has_cur)
        return;
    it->has_cur = 0;
    if (!delete_at(it->s, it->node, it->cur_off, it->cur))
        return;
    /* The node was freed.  Forward: the next node now sits at the same
     * index.  Reverse: whatever was left in the table was deleted too. */
    if (it->rev)
        it->tab_len = 0;
    else
        it->loaded = 0;
}

void stream_iter_done(struct stream_iter *it)
{
    mem_free(it->fv);
    mem_free(it->scratch);
    mem_free(it->tab);
    mem_free(it->refs);
    it->fv = NULL;
    it->scratch = NULL;
    it->tab = NULL;
    it->refs = NULL;
    it->fv_cap = it->scratch_cap = it->tab_cap = it->tab_len = 0;
    it->refs_cap = it->refs_len = 0;
    it->done = 1;
    it->has_cur = 0;
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */

size_t stream_node_count(const struct stream *s)
{
    return s->nodes ? s->nodes->len : 0;
}

size_t stream_mem_usage(const struct stream *s)
{
    const struct stream_nodes *ns = s->nodes;
    size_t n = mem_size(s);
    if (ns)
        n += mem_size(ns) + mem_size(ns->v) + ns->bytes;
    return n;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */

__attribute__((format(printf, 2, 3))) static int check_fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, 256, fmt, ap);
    va_end(ap);
    return -1;
}

struct check_state {
    const struct stream *s;
    char *err;
    uint64_t live;
    size_t bytes;
    int have_prev, have_first;
    struct stream_id prev;  /* last entry of the previous node */
    struct stream_id first; /* first live entry */
};

static int check_tail(struct check_state *st, const struct node *nd, const struct stream_cursor *c)
{
    const struct stream_nodes *ns = st->s->nodes;
    const struct stream_cursor *t = &ns->tail;

    if (t->pos != c->pos || t->idx != c->idx || t->fld_off != c->fld_off || t->nfld != c->nfld ||
        t->hdr_off != c->hdr_off || t->nhdr != c->nhdr || t->hdr_total != c->hdr_total ||
        stream_id_cmp(t->id, c->id) != 0)
        return check_fail(st->err, "tail cursor out of date");
    if (ns->tail_cap < nd->used || NODE_HDR + (size_t)ns->tail_cap > mem_size(nd))
        return check_fail(st->err, "tail capacity %u wrong", ns->tail_cap);
    return 0;
}

static int check_entries(struct check_state *st, size_t i, const struct nslot *sl,
                         struct stream_cursor *c)
{
    uint32_t live = 0;
    struct ent e;
    int r;

    cur_init(c, sl->master);
    while ((r = cur_next(sl->n, sl->master, c, &e)) > 0) {
        if (st->have_prev && stream_id_cmp(e.id, st->prev) <= 0)
            return check_fail(st->err, "node %zu entry %u out of order", i, c->idx - 1);
        st->have_prev = 1;
        st->prev = e.id;
        if (e.flags & F_DELETED)
            continue;
        live++;
        if (!st->have_first) {
            st->have_first = 1;
            st->first = e.id;
        }
    }
    if (r < 0)
        return check_fail(st->err, "node %zu entry %u malformed", i, c->idx);
    if (c->pos != sl->n->used)
        return check_fail(st->err, "node %zu: %u bytes used, %u decoded", i, sl->n->used, c->pos);
    if (live != sl->n->live)
        return check_fail(st->err, "node %zu: live %u, flags say %u", i, sl->n->live, live);
    st->live += live;
    return 0;
}

static int check_node(struct check_state *st, size_t i)
{
    const struct stream_nodes *ns = st->s->nodes;
    const struct nslot *sl = slot(ns, i);
    struct stream_cursor c;

    if (!sl->n || sl->n->count == 0 || sl->n->live == 0 || sl->n->live > sl->n->count)
        return check_fail(st->err, "node %zu: bad counts", i);
    if (NODE_HDR + (size_t)sl->n->used > mem_size(sl->n))
        return check_fail(st->err, "node %zu: used %u beyond block", i, sl->n->used);
    if (check_entries(st, i, sl, &c) < 0)
        return -1;
    if (stream_id_cmp(st->prev, st->s->last_id) > 0)
        return check_fail(st->err, "node %zu holds an ID above last_id", i);
    st->bytes += mem_size(sl->n);
    if (ns->tail_open && i == ns->len - 1)
        return check_tail(st, sl->n, &c);
    return 0;
}

static int check_meta(struct check_state *st)
{
    const struct stream *s = st->s;
    struct stream_id first = st->have_first ? st->first : ID_ZERO;

    if (st->live != s->length)
        return check_fail(st->err, "length %llu but %llu live entries",
                          (unsigned long long)s->length, (unsigned long long)st->live);
    if (stream_id_cmp(first, s->first_id) != 0)
        return check_fail(st->err, "first_id %llu-%llu, first entry %llu-%llu",
                          (unsigned long long)s->first_id.ms, (unsigned long long)s->first_id.seq,
                          (unsigned long long)first.ms, (unsigned long long)first.seq);
    if (s->entries_added < s->length)
        return check_fail(st->err, "entries_added below length");
    if (stream_id_cmp(s->max_deleted_id, s->last_id) > 0)
        return check_fail(st->err, "max_deleted_id above last_id");
    if (s->nodes && s->nodes->bytes != st->bytes)
        return check_fail(st->err, "node bytes %zu, counted %zu", s->nodes->bytes, st->bytes);
    return 0;
}

int stream_check(const struct stream *s, char *err)
{
    const struct stream_nodes *ns = s->nodes;
    struct check_state st;

    memset(&st, 0, sizeof(st));
    st.s = s;
    st.err = err;
    if (ns && ns->head + ns->len > ns->cap)
        return check_fail(err, "node vector overflows");
    for (size_t i = 0; ns && i < ns->len; i++) {
        if (i > 0 && stream_id_cmp(slot(ns, i - 1)->master, slot(ns, i)->master) >= 0)
            return check_fail(err, "node %zu master out of order", i);
        if (check_node(&st, i) < 0)
            return -1;
    }
    return check_meta(&st);
}
