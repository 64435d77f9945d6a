/*
 * rdb_load.c - the RDB reader behind rdb_load.h: parse a Redis snapshot
 * and hand its dataset over as commands.
 *
 * File layout (integers little endian unless said otherwise):
 *
 *   file     := "REDIS" <4 ASCII digits: version> { record } 0xFF checksum
 *   checksum := 8 bytes, CRC-64 (Jones, reflected) of every byte before
 *               it, 0xFF included; absent before version 5; 0 = not
 *               computed by the writer (not checked then)
 *   record   := 0xFA AUX       string name, string value    (ignored)
 *             | 0xFB RESIZEDB  length db-size, length expires-size
 *             | 0xFC EXPIRE_MS 8 bytes unix ms, for the next key
 *             | 0xFD EXPIRE    4 bytes unix seconds, for the next key
 *             | 0xFE SELECTDB  length db
 *             | 0xF9 FREQ      1 byte (LFU counter, ignored)
 *             | 0xF8 IDLE      length seconds (LRU idle, ignored)
 *             | 0xF4 SLOTINFO  3 lengths (cluster slot sizes, ignored)
 *             | 0xF7 MODULE_AUX, 0xF6 / 0xF5 FUNCTION  refused
 *             | type string-key value
 *
 *   length := first byte 00xxxxxx        6-bit value
 *                        01xxxxxx yyyyyyyy   14-bit value, big endian
 *                        0x80 + 4 bytes  32-bit value, big endian
 *                        0x81 + 8 bytes  64-bit value, big endian
 *                        11xxxxxx        a special string encoding
 *   string := length n, then n bytes, or a special encoding:
 *             11000000 + 1 byte  / 11000001 + 2 bytes / 11000010 + 4 bytes:
 *                      a signed integer, the string is its decimal form;
 *             11000011 length clen, length ulen, clen bytes of LZF.
 *
 *   LZF: a sequence of control bytes.  ctrl < 32: ctrl + 1 literal bytes
 *   follow.  Otherwise a back reference: n = ctrl >> 5 (7: add the next
 *   byte), distance = ((ctrl & 31) << 8) + next byte + 1; copy n + 2
 *   bytes from that far back in the output (they may overlap).
 *
 * Value types read: 0 string, 15 / 19 / 21 stream (listpacks v1, v2, v3).
 * Every other type (lists, sets, sorted sets, hashes, modules) is refused
 * with the key and type named: Weir has no such data types.
 *
 * Stream value:
 *   length nodes, then per node: string key (16 bytes: master ID ms, seq,
 *     big endian) and string listpack;
 *   length entries, length last-id ms, length last-id seq;
 *   v2+: first-id (2 lengths), max-deleted-id (2 lengths), length
 *     entries-added;
 *   length groups; per group: string name, last-id (2 lengths), v2+:
 *     length entries-read (all ones = unknown, -1); length PEL size, per
 *     pending entry 16 raw bytes ID (big endian), 8 bytes delivery unix
 *     ms, length delivery count; length consumers, per consumer: string
 *     name, 8 bytes seen-time ms, v3: 8 bytes active-time ms, length
 *     PEL size, per entry 16 raw bytes ID (that must be in the group's).
 *
 * Listpack: 4 bytes total size, 2 bytes element count, elements, 0xFF.
 * An element is <encoding+data> <backlen>, backlen being the size of
 * encoding+data in 7-bit groups (1..5 bytes, most significant first):
 *   0xxxxxxx              7-bit unsigned integer
 *   10xxxxxx + data       string up to 63 bytes
 *   110xxxxx yyyyyyyy     13-bit signed integer
 *   1110xxxx yyyyyyyy     string up to 4095 bytes (length big endian)
 *   0xF0 + 4-byte length  string
 *   0xF1 / F2 / F3 / F4   16 / 24 / 32 / 64-bit signed integer
 * Stream node listpack: master entry "count deleted nfields field... 0",
 * then per entry "flags ms-delta seq-delta" followed, when flags has
 * SAMEFIELDS (2), by one value per master field, else by "n f1 v1 ...
 * fn vn"; then lp-count.  Flag DELETED (1) marks an entry that is gone.
 * Entry ID = master ID + deltas.
 *
 * Commands produced, per key (as aof_rewrite.c writes them):
 *   SELECT db                                   on each SELECTDB (and a
 *                                               final SELECT 0 if the last
 *                                               one was not 0, so that what
 *                                               follows starts in db 0)
 *   SET key value [PXAT ms]
 *   XADD key id f v ...                         per live entry
 *   XADD key MAXLEN 0 0-1 x y                   for an empty stream
 *   XSETID key last-id ENTRIESADDED n MAXDELETEDID id
 *                                   (v1: n = length, max-deleted 0-0)
 *   XGROUP CREATE key g last-id [ENTRIESREAD n]  (v1: none)
 *   XGROUP CREATECONSUMER key g c               per consumer
 *   XCLAIM key g c 0 id TIME ms RETRYCOUNT n JUSTID FORCE
 *                                               per entry of its PEL
 *   PEXPIREAT key ms                            stream with an expiry
 * A group PEL entry that no consumer owns is dropped (Redis never writes
 * one).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "rdb_load.h"

enum {
    OP_SLOTINFO = 0xF4,
    OP_FUNCTION2 = 0xF5,
    OP_FUNCTION_PRE_GA = 0xF6,
    OP_MODULE_AUX = 0xF7,
    OP_IDLE = 0xF8,
    OP_FREQ = 0xF9,
    OP_AUX = 0xFA,
    OP_RESIZEDB = 0xFB,
    OP_EXPIRETIME_MS = 0xFC,
    OP_EXPIRETIME = 0xFD,
    OP_SELECTDB = 0xFE,
    OP_EOF = 0xFF,
};

enum { T_STRING = 0, T_STREAM1 = 15, T_STREAM2 = 19, T_STREAM3 = 21 };

#define RDB_MAX_VERSION 12
#define ENC_INT8 0
#define ENC_INT16 1
#define ENC_INT32 2
#define ENC_LZF 3
#define FLAG_DELETED 1
#define FLAG_SAMEFIELDS 2

/* ---- CRC-64 ------------------------------------------------------------ */

static uint64_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
    const uint64_t poly = 0x95ac9329ac4bc9b5ULL; /* Jones, bit-reversed */
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = 1;
}

uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;
    if (!crc_ready)
        crc_init();
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

/* ---- reader state ------------------------------------------------------ */

/* The command being built: bytes in one buffer, args as offsets (the
 * buffer may move while it grows). */
struct cmdb {
    struct buf data;
    size_t *off, *len;
    struct slice *argv;
    int argc, cap;
};

struct rd {
    const unsigned char *p;
    size_t len, pos;
    int version;
    rdb_cmd_fn fn;
    void *priv;
    struct rdb_result *res;
    struct buf key, val, lp; /* scratch */
    struct cmdb cmd;
};

static int fail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct rd *r, const char *fmt, ...)
{
    va_list ap;
    if (r->res->err[0])
        return -1; /* keep the first, innermost message */
    va_start(ap, fmt);
    vsnprintf(r->res->err, sizeof(r->res->err), fmt, ap);
    va_end(ap);
    return -1;
}

static int need(struct rd *r, size_t n)
{
    if (r->len - r->pos < n)
        return fail(r, "unexpected end of file at offset %zu", r->len);
    return 0;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static int rd_u8(struct rd *r, unsigned *v)
{
    if (need(r, 1) < 0)
        return -1;
    *v = r->p[r->pos++];
    return 0;
}

static int rd_le(struct rd *r, int n, uint64_t *v)
{
    if (need(r, (size_t)n) < 0)
        return -1;
    *v = get_le(r->p + r->pos, n);
    r->pos += (size_t)n;
    return 0;
}

/* A length, or (*special set) the special string encoding in *v. */
static int rd_len_enc(struct rd *r, uint64_t *v, int *special)
{
    unsigned b, b2;
    *special = 0;
    if (rd_u8(r, &b) < 0)
        return -1;
    switch (b >> 6) {
    case 0:
        *v = b & 0x3f;
        return 0;
    case 1:
        if (rd_u8(r, &b2) < 0)
            return -1;
        *v = ((uint64_t)(b & 0x3f) << 8) | b2;
        return 0;
    case 3:
        *special = 1;
        *v = b & 0x3f;
        return 0;
    default:
        break;
    }
    if (b == 0x80 || b == 0x81) {
        int n = b == 0x80 ? 4 : 8;
        if (need(r, (size_t)n) < 0)
            return -1;
        *v = get_be(r->p + r->pos, n);
        r->pos += (size_t)n;
        return 0;
    }
    return fail(r, "bad length encoding 0x%02x at offset %zu", b, r->pos - 1);
}

static int rd_len(struct rd *r, uint64_t *v)
{
    int special;
    if (rd_len_enc(r, v, &special) < 0)
        return -1;
    if (special)
        return fail(r, "a string encoding where a length belongs, at offset %zu", r->pos - 1);
    return 0;
}

/* Decompress LZF in[0..inlen) into exactly outlen bytes at out. */
static int lzf_decode(const unsigned char *in, size_t inlen, unsigned char *out, size_t outlen)
{
    size_t ip = 0, op = 0;
    while (ip < inlen) {
        unsigned ctrl = in[ip++];
        if (ctrl < 32) {
            size_t n = ctrl + 1;
            if (inlen - ip < n || outlen - op < n)
                return -1;
            memcpy(out + op, in + ip, n);
            ip += n;
            op += n;
            continue;
        }
        size_t n = ctrl >> 5;
        if (n == 7) {
            if (ip >= inlen)
                return -1;
            n += in[ip++];
        }
        if (ip >= inlen)
            return -1;
        size_t dist = ((size_t)(ctrl & 31) << 8) + in[ip++] + 1;
        n += 2;
        if (dist > op || outlen - op < n)
            return -1;
        for (size_t i = 0; i < n; i++, op++)
            out[op] = out[op - dist]; /* byte by byte: the ranges may overlap */
    }
    return op == outlen ? 0 : -1;
}

/* Read a string into out (replacing its contents). */
static int rd_string(struct rd *r, struct buf *out)
{
    uint64_t v;
    int special;
    size_t at = r->pos;
    out->len = 0;
    if (rd_len_enc(r, &v, &special) < 0)
        return -1;
    if (!special) {
        if (need(r, v) < 0)
            return -1;
        buf_append(out, r->p + r->pos, v);
        r->pos += v;
        return 0;
    }
    if (v <= ENC_INT32) {
        int n = v == ENC_INT8 ? 1 : v == ENC_INT16 ? 2 : 4;
        uint64_t u;
        if (rd_le(r, n, &u) < 0)
            return -1;
        long long x = n == 1 ? (int8_t)u : n == 2 ? (int16_t)u : (int32_t)u;
        buf_append_ll(out, x);
        return 0;
    }
    if (v != ENC_LZF)
        return fail(r, "unknown string encoding %u at offset %zu", (unsigned)v, at);
    uint64_t clen, ulen;
    if (rd_len(r, &clen) < 0 || rd_len(r, &ulen) < 0 || need(r, clen) < 0)
        return -1;
    if (ulen > ((uint64_t)1 << 32) || ulen > clen * 4096 + 64)
        return fail(r, "implausible LZF string length %llu at offset %zu", (unsigned long long)ulen,
                    at);
    char *dst = buf_reserve(out, ulen ? ulen : 1);
    if (lzf_decode(r->p + r->pos, clen, (unsigned char *)dst, ulen) < 0)
        return fail(r, "corrupt LZF string at offset %zu", at);
    out->len = ulen;
    r->pos += clen;
    return 0;
}

/* ---- building commands --------------------------------------------------- */

static void cb_reset(struct cmdb *c)
{
    c->data.len = 0;
    c->argc = 0;
}

static void cb_push(struct cmdb *c, const void *p, size_t n)
{
    if (c->argc == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->off = mem_realloc(c->off, sizeof(*c->off) * (size_t)c->cap);
        c->len = mem_realloc(c->len, sizeof(*c->len) * (size_t)c->cap);
        c->argv = mem_realloc(c->argv, sizeof(*c->argv) * (size_t)c->cap);
    }
    c->off[c->argc] = c->data.len;
    c->len[c->argc] = n;
    if (n)
        buf_append(&c->data, p, n);
    c->argc++;
}

static void cb_str(struct cmdb *c, const char *s)
{
    cb_push(c, s, strlen(s));
}

static void cb_buf(struct cmdb *c, const struct buf *b)
{
    cb_push(c, b->data, b->len);
}

static void cb_ll(struct cmdb *c, long long v)
{
    char t[24];
    cb_push(c, t, buf_fmt_ll(t, v));
}

static void cb_id(struct cmdb *c, uint64_t ms, uint64_t seq)
{
    char t[48];
    size_t n = buf_fmt_ull(t, ms);
    t[n++] = '-';
    n += buf_fmt_ull(t + n, seq);
    cb_push(c, t, n);
}

static int cb_emit(struct rd *r)
{
    struct cmdb *c = &r->cmd;
    for (int i = 0; i < c->argc; i++)
        c->argv[i] = (struct slice){c->data.data + c->off[i], c->len[i]};
    r->res->ncmds++;
    int rc = r->fn ? r->fn(r->priv, c->argc, c->argv) : 0;
    cb_reset(c);
    if (rc) {
        r->res->stopped = 1;
        return fail(r, "loading stopped by a command that failed");
    }
    return 0;
}

/* Start a command "<name> <key>". */
static void cb_start(struct rd *r, const char *name)
{
    cb_reset(&r->cmd);
    cb_str(&r->cmd, name);
    cb_buf(&r->cmd, &r->key);
}

/* ---- listpacks ------------------------------------------------------------ */

struct lp {
    const unsigned char *p;
    size_t len, pos;
};

struct lpv {
    int is_int;
    int64_t i;
    const char *s;
    size_t slen;
};

static size_t backlen_size(size_t l)
{
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

static int backlen_is(const unsigned char *p, size_t n, size_t l)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 7) | (p[i] & 127);
    return v == l;
}

static int64_t sign_extend(uint64_t v, int bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    return (int64_t)((v ^ m) - m);
}

/* Next element: 1, 0 at the end marker, -1 when malformed. */
static int lp_next(struct lp *lp, struct lpv *v)
{
    if (lp->pos >= lp->len)
        return -1;
    const unsigned char *e = lp->p + lp->pos;
    size_t room = lp->len - lp->pos, hdr, data = 0;
    unsigned b = e[0];
    memset(v, 0, sizeof(*v));
    if (b == 0xFF)
        return 0;
    if (!(b & 0x80)) {
        hdr = 1;
        v->is_int = 1;
        v->i = b;
    } else if ((b & 0xC0) == 0x80) {
        hdr = 1;
        data = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {
        if (room < 2)
            return -1;
        hdr = 2;
        v->is_int = 1;
        v->i = sign_extend(((uint64_t)(b & 0x1f) << 8) | e[1], 13);
    } else if ((b & 0xF0) == 0xE0) {
        if (room < 2)
            return -1;
        hdr = 2;
        data = ((size_t)(b & 0x0f) << 8) | e[1];
    } else if (b == 0xF0) {
        if (room < 5)
            return -1;
        hdr = 5;
        data = (size_t)get_le(e + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF4) {
        static const int width[] = {2, 3, 4, 8};
        int w = width[b - 0xF1];
        if (room < (size_t)w + 1)
            return -1;
        hdr = (size_t)w + 1;
        v->is_int = 1;
        v->i = sign_extend(get_le(e + 1, w), w * 8);
    } else {
        return -1;
    }
    if (room - hdr < data)
        return -1;
    if (!v->is_int) {
        v->s = (const char *)e + hdr;
        v->slen = data;
    }
    size_t l = hdr + data, n = backlen_size(l);
    if (room - l >= n && backlen_is(e + l, n, l)) {
        lp->pos += l + n;
    } else if (n < 5 && room - l >= n + 1 && backlen_is(e + l, n + 1, l)) {
        lp->pos += l + n + 1;
    } else {
        return -1;
    }
    return 1;
}

static int lp_int(struct lp *lp, int64_t *out)
{
    struct lpv v;
    long long x;
    if (lp_next(lp, &v) != 1)
        return -1;
    if (v.is_int) {
        *out = v.i;
        return 0;
    }
    if (util_parse_ll(v.s, v.slen, &x) < 0)
        return -1;
    *out = x;
    return 0;
}

/* Push an element as a command argument. */
static int lp_push(struct lp *lp, struct cmdb *c)
{
    struct lpv v;
    if (lp_next(lp, &v) != 1)
        return -1;
    if (v.is_int)
        cb_ll(c, v.i);
    else
        cb_push(c, v.s, v.slen);
    return 0;
}

/* ---- streams ------------------------------------------------------------- */

struct master_field {
    int is_int;
    int64_t i;
    const char *s;
    size_t slen;
};

static void push_field(struct cmdb *c, const struct master_field *f)
{
    if (f->is_int)
        cb_ll(c, f->i);
    else
        cb_push(c, f->s, f->slen);
}

/* The entries of one node listpack (in r->lp): an XADD per live one. */
static int stream_node(struct rd *r, uint64_t mms, uint64_t mseq, uint64_t *emitted)
{
    struct lp lp = {(const unsigned char *)r->lp.data, r->lp.len, 6};
    int64_t count, deleted, nf, zero;
    struct master_field *mf = NULL;
    int rc = -1;
    if (r->lp.len < 7 || get_le(lp.p, 4) != r->lp.len || lp.p[r->lp.len - 1] != 0xFF)
        return fail(r, "bad listpack header");
    if (lp_int(&lp, &count) < 0 || lp_int(&lp, &deleted) < 0 || lp_int(&lp, &nf) < 0 || count < 0 ||
        deleted < 0 || nf < 0 || (size_t)nf > r->lp.len)
        return fail(r, "bad stream master entry");
    if (count + deleted == 0)
        return fail(r, "empty listpack in a stream");
    mf = mem_calloc(sizeof(*mf) * ((size_t)nf + 1));
    for (int64_t i = 0; i < nf; i++) {
        struct lpv v;
        if (lp_next(&lp, &v) != 1)
            goto bad;
        mf[i] = (struct master_field){v.is_int, v.i, v.s, v.slen};
    }
    if (lp_int(&lp, &zero) < 0 || zero != 0)
        goto bad;
    for (int64_t e = 0; e < count + deleted; e++) {
        int64_t flags, dms, dseq, n, lpcount;
        if (lp_int(&lp, &flags) < 0 || lp_int(&lp, &dms) < 0 || lp_int(&lp, &dseq) < 0)
            goto bad;
        cb_start(r, "XADD");
        cb_id(&r->cmd, mms + (uint64_t)dms, mseq + (uint64_t)dseq);
        if (flags & FLAG_SAMEFIELDS) {
            for (int64_t i = 0; i < nf; i++) {
                push_field(&r->cmd, &mf[i]);
                if (lp_push(&lp, &r->cmd) < 0)
                    goto bad;
            }
        } else {
            if (lp_int(&lp, &n) < 0 || n < 0 || (size_t)n > r->lp.len)
                goto bad;
            for (int64_t i = 0; i < 2 * n; i++)
                if (lp_push(&lp, &r->cmd) < 0)
                    goto bad;
        }
        if (lp_int(&lp, &lpcount) < 0)
            goto bad;
        if (flags & FLAG_DELETED) {
            cb_reset(&r->cmd);
            continue;
        }
        if (r->cmd.argc < 5) {
            fail(r, "stream entry without fields");
            goto out;
        }
        if (cb_emit(r) < 0)
            goto out;
        (*emitted)++;
    }
    struct lpv end;
    if (lp_next(&lp, &end) != 0)
        goto bad;
    rc = 0;
    goto out;
bad:
    fail(r, "malformed stream listpack");
out:
    cb_reset(&r->cmd);
    mem_free(mf);
    return rc;
}

static int rd_id(struct rd *r, uint64_t *ms, uint64_t *seq)
{
    return rd_len(r, ms) < 0 || rd_len(r, seq) < 0 ? -1 : 0;
}

static int rd_raw_id(struct rd *r, uint64_t *ms, uint64_t *seq)
{
    if (need(r, 16) < 0)
        return -1;
    *ms = get_be(r->p + r->pos, 8);
    *seq = get_be(r->p + r->pos + 8, 8);
    r->pos += 16;
    return 0;
}

struct pel_entry {
    uint64_t ms, seq;
    int64_t time;
    uint64_t count;
};

static int id_cmp(uint64_t ams, uint64_t aseq, uint64_t bms, uint64_t bseq)
{
    if (ams != bms)
        return ams < bms ? -1 : 1;
    return aseq < bseq ? -1 : aseq > bseq;
}

static const struct pel_entry *pel_find(const struct pel_entry *pel, size_t n, uint64_t ms,
                                        uint64_t seq)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = id_cmp(pel[mid].ms, pel[mid].seq, ms, seq);
        if (c == 0)
            return &pel[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int stream_consumers(struct rd *r, int type, const struct buf *group,
                            const struct pel_entry *pel, size_t npel)
{
    uint64_t ncons, n, ms, seq, t;
    struct buf name;
    int rc = -1;
    buf_init(&name);
    if (rd_len(r, &ncons) < 0)
        goto out;
    for (uint64_t c = 0; c < ncons; c++) {
        if (rd_string(r, &name) < 0 || rd_le(r, 8, &t) < 0 ||
            (type >= T_STREAM3 && rd_le(r, 8, &t) < 0) || rd_len(r, &n) < 0)
            goto out;
        cb_reset(&r->cmd);
        cb_str(&r->cmd, "XGROUP");
        cb_str(&r->cmd, "CREATECONSUMER");
        cb_buf(&r->cmd, &r->key);
        cb_buf(&r->cmd, group);
        cb_buf(&r->cmd, &name);
        if (cb_emit(r) < 0)
            goto out;
        for (uint64_t i = 0; i < n; i++) {
            if (rd_raw_id(r, &ms, &seq) < 0)
                goto out;
            const struct pel_entry *pe = pel_find(pel, npel, ms, seq);
            if (!pe) {
                fail(r, "consumer PEL entry missing from the group PEL");
                goto out;
            }
            cb_start(r, "XCLAIM");
            cb_buf(&r->cmd, group);
            cb_buf(&r->cmd, &name);
            cb_str(&r->cmd, "0");
            cb_id(&r->cmd, ms, seq);
            cb_str(&r->cmd, "TIME");
            cb_ll(&r->cmd, pe->time);
            cb_str(&r->cmd, "RETRYCOUNT");
            cb_ll(&r->cmd, (long long)pe->count);
            cb_str(&r->cmd, "JUSTID");
            cb_str(&r->cmd, "FORCE");
            if (cb_emit(r) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    buf_free(&name);
    return rc;
}

static int stream_groups(struct rd *r, int type)
{
    uint64_t ngroups, ms, seq, er, npel, t;
    struct buf name;
    struct pel_entry *pel = NULL;
    int rc = -1;
    buf_init(&name);
    if (rd_len(r, &ngroups) < 0)
        goto out;
    for (uint64_t g = 0; g < ngroups; g++) {
        if (rd_string(r, &name) < 0 || rd_id(r, &ms, &seq) < 0)
            goto out;
        cb_reset(&r->cmd);
        cb_str(&r->cmd, "XGROUP");
        cb_str(&r->cmd, "CREATE");
        cb_buf(&r->cmd, &r->key);
        cb_buf(&r->cmd, &name);
        cb_id(&r->cmd, ms, seq);
        if (type >= T_STREAM2) {
            if (rd_len(r, &er) < 0)
                goto out;
            cb_str(&r->cmd, "ENTRIESREAD");
            cb_ll(&r->cmd, (long long)er);
        }
        if (cb_emit(r) < 0 || rd_len(r, &npel) < 0)
            goto out;
        if (npel > (r->len - r->pos) / 17) {
            fail(r, "group PEL of %llu entries does not fit in the file", (unsigned long long)npel);
            goto out;
        }
        mem_free(pel);
        pel = mem_alloc(sizeof(*pel) * (npel ? npel : 1));
        for (uint64_t i = 0; i < npel; i++) {
            if (rd_raw_id(r, &pel[i].ms, &pel[i].seq) < 0 || rd_le(r, 8, &t) < 0 ||
                rd_len(r, &pel[i].count) < 0)
                goto out;
            pel[i].time = (int64_t)t;
            if (i && id_cmp(pel[i - 1].ms, pel[i - 1].seq, pel[i].ms, pel[i].seq) >= 0) {
                fail(r, "group PEL out of order");
                goto out;
            }
        }
        if (stream_consumers(r, type, &name, pel, npel) < 0)
            goto out;
    }
    rc = 0;
out:
    mem_free(pel);
    buf_free(&name);
    return rc;
}

static int load_stream(struct rd *r, int type)
{
    uint64_t nodes, length, lms, lseq, fms, fseq, dms = 0, dseq = 0, added, emitted = 0;
    if (rd_len(r, &nodes) < 0)
        return -1;
    for (uint64_t i = 0; i < nodes; i++) {
        if (rd_string(r, &r->val) < 0)
            return -1;
        if (r->val.len != 16)
            return fail(r, "stream node key of %zu bytes", r->val.len);
        uint64_t mms = get_be((const unsigned char *)r->val.data, 8);
        uint64_t mseq = get_be((const unsigned char *)r->val.data + 8, 8);
        if (rd_string(r, &r->lp) < 0 || stream_node(r, mms, mseq, &emitted) < 0)
            return -1;
    }
    if (rd_len(r, &length) < 0 || rd_id(r, &lms, &lseq) < 0)
        return -1;
    added = length;
    if (type >= T_STREAM2 &&
        (rd_id(r, &fms, &fseq) < 0 || rd_id(r, &dms, &dseq) < 0 || rd_len(r, &added) < 0))
        return -1;
    if (emitted != length)
        return fail(r, "stream length %llu but %llu live entries", (unsigned long long)length,
                    (unsigned long long)emitted);
    if (length == 0) {
        cb_start(r, "XADD");
        cb_str(&r->cmd, "MAXLEN");
        cb_str(&r->cmd, "0");
        cb_str(&r->cmd, "0-1");
        cb_str(&r->cmd, "x");
        cb_str(&r->cmd, "y");
        if (cb_emit(r) < 0)
            return -1;
    }
    cb_start(r, "XSETID");
    cb_id(&r->cmd, lms, lseq);
    cb_str(&r->cmd, "ENTRIESADDED");
    cb_ll(&r->cmd, (long long)added);
    cb_str(&r->cmd, "MAXDELETEDID");
    cb_id(&r->cmd, dms, dseq);
    if (cb_emit(r) < 0)
        return -1;
    return stream_groups(r, type);
}

/* ---- the file ------------------------------------------------------------ */

static const char *type_name(unsigned t)
{
    switch (t) {
    case 1:
    case 10:
    case 14:
    case 18:
        return "list";
    case 2:
    case 11:
    case 20:
        return "set";
    case 3:
    case 5:
    case 12:
    case 17:
        return "zset";
    case 4:
    case 9:
    case 13:
    case 16:
    case 22:
    case 23:
    case 24:
    case 25:
        return "hash";
    case 6:
    case 7:
        return "module";
    default:
        return "unknown";
    }
}

static int load_key(struct rd *r, unsigned type, int64_t expire)
{
    if (rd_string(r, &r->key) < 0)
        return -1;
    r->res->nkeys++;
    if (type == T_STRING) {
        if (rd_string(r, &r->val) < 0)
            return -1;
        cb_start(r, "SET");
        cb_buf(&r->cmd, &r->val);
        if (expire >= 0) {
            cb_str(&r->cmd, "PXAT");
            cb_ll(&r->cmd, expire);
        }
        return cb_emit(r);
    }
    if (type != T_STREAM1 && type != T_STREAM2 && type != T_STREAM3)
        return fail(r, "key '%.*s' has RDB type %u (%s), which Weir does not support",
                    (int)(r->key.len > 64 ? 64 : r->key.len), r->key.data, type, type_name(type));
    if (load_stream(r, (int)type) < 0)
        return -1;
    if (expire >= 0) {
        cb_start(r, "PEXPIREAT");
        cb_ll(&r->cmd, expire);
        return cb_emit(r);
    }
    return 0;
}

static int check_header(struct rd *r)
{
    if (r->len < 9 || memcmp(r->p, "REDIS", 5) != 0)
        return fail(r, "not an RDB file (no REDIS magic)");
    int v = 0;
    for (int i = 5; i < 9; i++) {
        if (r->p[i] < '0' || r->p[i] > '9')
            return fail(r, "bad RDB version field");
        v = v * 10 + (r->p[i] - '0');
    }
    if (v < 1 || v > RDB_MAX_VERSION)
        return fail(r, "RDB version %d is not supported (1..%d)", v, RDB_MAX_VERSION);
    r->version = r->res->version = v;
    r->pos = 9;
    return 0;
}

static int check_eof(struct rd *r)
{
    uint64_t want;
    if (r->version < 5)
        return 0;
    size_t upto = r->pos;
    if (rd_le(r, 8, &want) < 0)
        return -1;
    if (want != 0 && rdb_crc64(0, r->p, upto) != want)
        return fail(r, "RDB checksum mismatch");
    return 0;
}

static int select_db(struct rd *r, uint64_t db)
{
    cb_reset(&r->cmd);
    cb_str(&r->cmd, "SELECT");
    cb_ll(&r->cmd, (long long)db);
    return cb_emit(r);
}

static int load_records(struct rd *r)
{
    int64_t expire = -1;
    uint64_t a, b, c, db = 0;
    unsigned op;
    for (;;) {
        size_t at = r->pos;
        r->res->err_at = at;
        if (rd_u8(r, &op) < 0)
            return -1;
        switch (op) {
        case OP_EOF:
            if (check_eof(r) < 0)
                return -1;
            return db != 0 ? select_db(r, 0) : 0;
        case OP_AUX:
            if (rd_string(r, &r->key) < 0 || rd_string(r, &r->val) < 0)
                return -1;
            break;
        case OP_RESIZEDB:
            if (rd_len(r, &a) < 0 || rd_len(r, &b) < 0)
                return -1;
            break;
        case OP_SLOTINFO:
            if (rd_len(r, &a) < 0 || rd_len(r, &b) < 0 || rd_len(r, &c) < 0)
                return -1;
            break;
        case OP_EXPIRETIME_MS:
        case OP_EXPIRETIME:
            if (rd_le(r, op == OP_EXPIRETIME ? 4 : 8, &a) < 0)
                return -1;
            expire = op == OP_EXPIRETIME ? (int64_t)(uint32_t)a * 1000 : (int64_t)a;
            if (expire < 0)
                return fail(r, "bad expire time");
            break;
        case OP_SELECTDB:
            if (rd_len(r, &db) < 0 || db > 1000000 || select_db(r, db) < 0)
                return -1;
            break;
        case OP_FREQ:
            if (rd_u8(r, &op) < 0)
                return -1;
            break;
        case OP_IDLE:
            if (rd_len(r, &a) < 0)
                return -1;
            break;
        case OP_MODULE_AUX:
            return fail(r, "module data (MODULE_AUX) is not supported");
        case OP_FUNCTION2:
        case OP_FUNCTION_PRE_GA:
            return fail(r, "functions (FUNCTION records) are not supported");
        default:
            if (load_key(r, op, expire) < 0)
                return -1;
            expire = -1;
            break;
        }
    }
}

int rdb_is_rdb(const char *data, size_t len)
{
    return len >= 5 && memcmp(data, "REDIS", 5) == 0;
}

int rdb_load(const char *data, size_t len, rdb_cmd_fn fn, void *priv, struct rdb_result *res)
{
    struct rd r;
    memset(res, 0, sizeof(*res));
    memset(&r, 0, sizeof(r));
    r.p = (const unsigned char *)data;
    r.len = len;
    r.fn = fn;
    r.priv = priv;
    r.res = res;
    buf_init(&r.key);
    buf_init(&r.val);
    buf_init(&r.lp);
    buf_init(&r.cmd.data);
    int rc = check_header(&r) < 0 ? -1 : load_records(&r);
    if (rc == 0)
        res->consumed = r.pos;
    buf_free(&r.key);
    buf_free(&r.val);
    buf_free(&r.lp);
    buf_free(&r.cmd.data);
    mem_free(r.cmd.off);
    mem_free(r.cmd.len);
    mem_free(r.cmd.argv);
    return rc;
}
