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
 * ("tail") node.  The tail grows geometrically with realloc and is shrunk
 * to fit ("sealed") when a newer node is started.  A new node is started
 * when the tail holds node_max_entries entries or the entry would push the
 * node over node_max_bytes (header included); an entry bigger than that
 * lives alone in its own node.
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
 * Reverse iteration decodes a node forward once, recording a cursor per
 * entry in range, and then walks that table backwards.
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
    struct nslot *v;            /* slots live in v[head .. head+len) */
    size_t head, len, cap;
    size_t bytes;               /* sum of mem_size() over the nodes */
    int tail_open;              /* the last node accepts appends */
    uint32_t tail_cap;          /* capacity of the tail's data[] */
    struct stream_cursor tail;  /* cursor at the end of the tail node */
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
static int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
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

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int stream_id_parse(const char *s, size_t len, uint64_t missing_seq, struct stream_id *out)
{
    const char *dash;
    size_t mlen;
    uint64_t ms, seq = missing_seq;

    if (len == 0 || len > 127)
        return -1;
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

static int read_id(const uint8_t **pp, const uint8_t *end, struct stream_id prev,
                   unsigned flags, struct stream_id *out)
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

/* Decodes the entry at the cursor and steps past it.  Returns 1, 0 at the
 * end of the node, -1 if the bytes are malformed. */
static int cur_next(const struct node *nd, struct stream_id master, struct stream_cursor *c,
                    struct ent *e)
{
    const uint8_t *base = nd->data, *p, *end = base + nd->used;

    if (c->idx >= nd->count)
        return 0;
    p = base + c->pos;
    if (p >= end)
        return -1;
    e->off = c->pos;
    e->flags = *p++;
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
    return 0;
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

    if (ns->len && slot(ns, ns->len - 1)->n->used < hint)
        hint = slot(ns, ns->len - 1)->n->used; /* the last node's size */
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

/* Are all entries of node 0 eligible (ignoring the limit)? */
static int trim_whole(const struct trim_run *r)
{
    const struct stream_nodes *ns = r->s->nodes;
    const struct node *nd = slot(ns, 0)->n;
    struct stream_id minid = r->t->minid;

    if (r->t->strategy == STREAM_TRIM_MAXLEN)
        return r->s->length - nd->live >= r->t->maxlen;
    if (ns->len > 1)
        return stream_id_cmp(slot(ns, 1)->master, minid) <= 0;
    return stream_id_cmp(r->s->last_id, minid) < 0;
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

/* Walks node 0 entry by entry removing what may go (exact trimming and
 * callback policies).  Returns 1 if the node was emptied and freed. */
static int trim_in_node(struct trim_run *r)
{
    const struct nslot *sl = slot(r->s->nodes, 0);
    struct stream_cursor c;
    struct ent e;

    cur_init(&c, sl->master);
    while (cur_next(sl->n, sl->master, &c, &e) > 0) {
        if (e.flags & F_DELETED)
            continue;
        if (trim_satisfied(r, e.id))
            return 0;
        if (r->t->can_delete && !r->t->can_delete(r->t->priv, e.id))
            continue;
        trim_note(r, e.id);
        if (flag_deleted(r->s, 0, e.off))
            return 1;
    }
    return 0;
}

/* Callback policies: entries may be refused, so later nodes are visited
 * too.  Node i is only ever freed when emptied; otherwise move on. */
static void trim_each(struct trim_run *r)
{
    struct stream_nodes *ns = r->s->nodes;
    size_t i = 0;

    while (i < ns->len && !trim_satisfied(r, slot(ns, i)->master)) {
        struct nslot tmp = *slot(ns, 0);
        int freed;
        /* trim_in_node works on node 0: swap node i to the front briefly */
        *slot(ns, 0) = *slot(ns, i);
        *slot(ns, i) = tmp;
        freed = trim_in_node_at(r, i);
        (void)freed;
    }
}
