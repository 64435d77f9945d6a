/*
 * test_rdb_load.c - the RDB reader (src/rdb_load.c) on hand-built files:
 * length and string encodings (6/14/32/64-bit, int8/16/32, LZF), expiry,
 * SELECTDB, AUX/RESIZEDB, the checksum, streams (v1/v2/v3 layouts with
 * deleted entries, groups, PELs, consumers), refusals, and every
 * truncation / single-byte corruption of a file without crashing.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "rdb_load.h"
#include "unit.h"

/* ---- building files ------------------------------------------------------ */

static void put(struct buf *b, const void *p, size_t n)
{
    buf_append(b, p, n);
}

static void put_u8(struct buf *b, unsigned v)
{
    buf_append_byte(b, (char)v);
}

static void put_le(struct buf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        put_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

static void put_be(struct buf *b, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        put_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

/* Length in the smallest RDB form. */
static void put_len(struct buf *b, uint64_t v)
{
    if (v < 64) {
        put_u8(b, (unsigned)v);
    } else if (v < 16384) {
        put_u8(b, 0x40 | (unsigned)(v >> 8));
        put_u8(b, (unsigned)v & 0xff);
    } else if (v <= 0xffffffffULL) {
        put_u8(b, 0x80);
        put_be(b, v, 4);
    } else {
        put_u8(b, 0x81);
        put_be(b, v, 8);
    }
}

static void put_str(struct buf *b, const char *s, size_t n)
{
    put_len(b, n);
    put(b, s, n);
}

static void put_cstr(struct buf *b, const char *s)
{
    put_str(b, s, strlen(s));
}

static void header(struct buf *b, const char *version)
{
    buf_init(b);
    put(b, "REDIS", 5);
    put(b, version, 4);
}

static void finish(struct buf *b)
{
    put_u8(b, 0xFF);
    put_le(b, rdb_crc64(0, b->data, b->len), 8);
}

/* ---- collecting commands ------------------------------------------------- */

struct got {
    struct buf text; /* commands, args joined by ' ', one per line */
    int stop_at;     /* stop (return 1) at this command number, 0 = never */
    int n;
};

static int collect(void *priv, int argc, const struct slice *argv)
{
    struct got *g = priv;
    for (int i = 0; i < argc; i++) {
        if (i)
            buf_append_byte(&g->text, ' ');
        buf_append(&g->text, argv[i].p, argv[i].len);
    }
    buf_append_byte(&g->text, '\n');
    return ++g->n == g->stop_at;
}

/* Load b, expect success and exactly want. */
static int load_ok(const struct buf *b, const char *want)
{
    struct got g;
    struct rdb_result r;
    memset(&g, 0, sizeof(g));
    buf_init(&g.text);
    int rc = rdb_load(b->data, b->len, collect, &g, &r);
    int good = rc == 0 && r.consumed == b->len && g.text.len == strlen(want) &&
               memcmp(g.text.data, want, g.text.len) == 0;
    if (!good)
        fprintf(stderr, "rc %d err '%s' consumed %zu/%zu\ngot:\n%.*s\nwant:\n%s\n", rc, r.err,
                r.consumed, b->len, (int)g.text.len, g.text.data, want);
    buf_free(&g.text);
    return good;
}

/* Load b, expect an error containing msg. */
static int load_err(const struct buf *b, const char *msg)
{
    struct got g;
    struct rdb_result r;
    memset(&g, 0, sizeof(g));
    buf_init(&g.text);
    int rc = rdb_load(b->data, b->len, collect, &g, &r);
    buf_free(&g.text);
    if (rc == 0 || !strstr(r.err, msg)) {
        fprintf(stderr, "rc %d err '%s', want an error with '%s'\n", rc, r.err, msg);
        return 0;
    }
    return 1;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_crc64(void)
{
    CHECK(rdb_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    CHECK(rdb_crc64(rdb_crc64(0, "1234", 4), "56789", 5) == 0xe9c6d914c4b8d9caULL);
    CHECK(rdb_is_rdb("REDIS0010", 9));
    CHECK(!rdb_is_rdb("*2\r\n", 4));
}

static void test_lengths_and_strings(void)
{
    struct buf b, want;
    header(&b, "0010");
    put_u8(&b, 0xFA); /* AUX */
    put_cstr(&b, "redis-ver");
    put_cstr(&b, "7.0.15");
    put_u8(&b, 0xFE); /* SELECTDB 0 */
    put_u8(&b, 0);
    put_u8(&b, 0xFB); /* RESIZEDB */
    put_len(&b, 9);
    put_len(&b, 1);
    /* 6-bit */
    put_u8(&b, 0);
    put_cstr(&b, "k6");
    put_cstr(&b, "v");
    /* 14-bit */
    char big[70000];
    memset(big, 'z', sizeof(big));
    put_u8(&b, 0);
    put_cstr(&b, "k14");
    put_str(&b, big, 300);
    /* 32-bit */
    put_u8(&b, 0);
    put_cstr(&b, "k32");
    put_str(&b, big, sizeof(big));
    /* 64-bit form of a small length */
    put_u8(&b, 0);
    put_cstr(&b, "k64");
    put_u8(&b, 0x81);
    put_be(&b, 3, 8);
    put(&b, "abc", 3);
    /* int8 / int16 / int32 */
    put_u8(&b, 0);
    put_cstr(&b, "i8");
    put_u8(&b, 0xC0);
    put_u8(&b, 0xFB); /* -5 */
    put_u8(&b, 0);
    put_cstr(&b, "i16");
    put_u8(&b, 0xC1);
    put_le(&b, 1000, 2);
    put_u8(&b, 0);
    put_cstr(&b, "i32");
    put_u8(&b, 0xC2);
    put_le(&b, (uint32_t)-100000, 4);
    /* an int-encoded key, an expiry in ms and one in seconds */
    put_u8(&b, 0xFC);
    put_le(&b, 1700000000123ULL, 8);
    put_u8(&b, 0);
    put_u8(&b, 0xC0);
    put_u8(&b, 42);
    put_cstr(&b, "ttl-ms");
    put_u8(&b, 0xFD);
    put_le(&b, 1800000000, 4);
    put_u8(&b, 0xF8); /* IDLE */
    put_len(&b, 100);
    put_u8(&b, 0);
    put_cstr(&b, "ttl-s");
    put_cstr(&b, "x");
    put_u8(&b, 0xF9); /* FREQ */
    put_u8(&b, 5);
    put_u8(&b, 0);
    put_cstr(&b, "nottl");
    put_cstr(&b, "");
    finish(&b);

    buf_init(&want);
    buf_append_str(&want, "SELECT 0\nSET k6 v\nSET k14 ");
    buf_append(&want, big, 300);
    buf_append_str(&want, "\nSET k32 ");
    buf_append(&want, big, sizeof(big));
    buf_append_str(&want, "\nSET k64 abc\nSET i8 -5\nSET i16 1000\nSET i32 -100000\n"
                          "SET 42 ttl-ms PXAT 1700000000123\n"
                          "SET ttl-s x PXAT 1800000000000\nSET nottl \n");
    buf_append_byte(&want, '\0');
    int good = load_ok(&b, want.data);
    buf_free(&want);
    buf_free(&b);
    CHECK(good);
}

static void test_lzf(void)
{
    struct buf b;
    /* "abc" literal, 9 bytes back 3 (long form), "xy", 3 bytes back 2 */
    static const unsigned char lzf[] = {0x02, 'a',  'b', 'c', 0xE0, 0x00,
                                        0x02, 0x01, 'x', 'y', 0x20, 0x01};
    header(&b, "0009");
    put_u8(&b, 0);
    put_cstr(&b, "z");
    put_u8(&b, 0xC3);
    put_len(&b, sizeof(lzf));
    put_len(&b, 17);
    put(&b, lzf, sizeof(lzf));
    finish(&b);
    CHECK(load_ok(&b, "SET z abcabcabcabcxyxyx\n"));
    /* a wrong uncompressed length is corrupt */
    buf_free(&b);
    header(&b, "0009");
    put_u8(&b, 0);
    put_cstr(&b, "z");
    put_u8(&b, 0xC3);
    put_len(&b, sizeof(lzf));
    put_len(&b, 16);
    put(&b, lzf, sizeof(lzf));
    finish(&b);
    CHECK(load_err(&b, "corrupt LZF"));
    buf_free(&b);
}

static void test_select_and_checksum(void)
{
    struct buf b;
    header(&b, "0010");
    put_u8(&b, 0xFE);
    put_len(&b, 2);
    put_u8(&b, 0);
    put_cstr(&b, "a");
    put_cstr(&b, "1");
    finish(&b);
    CHECK(load_ok(&b, "SELECT 2\nSET a 1\nSELECT 0\n"));
    /* a wrong checksum */
    b.data[b.len - 1] ^= 1;
    CHECK(load_err(&b, "checksum"));
    /* no checksum computed (0) is accepted */
    memset(b.data + b.len - 8, 0, 8);
    CHECK(load_ok(&b, "SELECT 2\nSET a 1\nSELECT 0\n"));
    /* commands after the RDB are left to the caller */
    size_t end = b.len;
    buf_append_str(&b, "*1\r\n$4\r\nPING\r\n");
    struct rdb_result r;
    CHECK_EQ(rdb_load(b.data, b.len, NULL, NULL, &r), 0);
    CHECK_EQ(r.consumed, end);
    CHECK_EQ(r.nkeys, 1);
    CHECK_EQ(r.version, 10);
    buf_free(&b);
}

/* ---- streams ---------------------------------------------------------------- */

static void lp_backlen(struct buf *b, size_t l)
{
    if (l < 128) {
        put_u8(b, (unsigned)l);
    } else {
        put_u8(b, (unsigned)(l >> 7));
        put_u8(b, (unsigned)(l & 127) | 128);
    }
}

static void lp_str(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n < 64) {
        put_u8(b, 0x80 | (unsigned)n);
        put(b, s, n);
        lp_backlen(b, n + 1);
    } else {
        put_u8(b, 0xE0 | (unsigned)(n >> 8));
        put_u8(b, (unsigned)n & 0xff);
        put(b, s, n);
        lp_backlen(b, n + 2);
    }
}

static void lp_int(struct buf *b, long long v)
{
    if (v >= 0 && v < 128) {
        put_u8(b, (unsigned)v);
        lp_backlen(b, 1);
    } else if (v >= -4096 && v < 4096) {
        unsigned u = (unsigned)v & 0x1fff;
        put_u8(b, 0xC0 | (u >> 8));
        put_u8(b, u & 0xff);
        lp_backlen(b, 2);
    } else {
        put_u8(b, 0xF3);
        put_le(b, (uint64_t)v, 4);
        lp_backlen(b, 5);
    }
}

static void lp_begin(struct buf *lp)
{
    buf_init(lp);
    put_le(lp, 0, 4);
    put_le(lp, 0, 2);
}

static void lp_end(struct buf *lp, unsigned count)
{
    put_u8(lp, 0xFF);
    for (int i = 0; i < 4; i++)
        lp->data[i] = (char)((lp->len >> (8 * i)) & 0xff);
    lp->data[4] = (char)(count & 0xff);
    lp->data[5] = (char)(count >> 8);
}

/* One node, master ID 1000-0: three entries, the middle one deleted. */
static void stream_node(struct buf *b)
{
    struct buf lp;
    char longval[200];
    memset(longval, 'L', sizeof(longval) - 1);
    longval[sizeof(longval) - 1] = '\0';
    lp_begin(&lp);
    lp_int(&lp, 2); /* count */
    lp_int(&lp, 1); /* deleted */
    lp_int(&lp, 2); /* master fields */
    lp_str(&lp, "f1");
    lp_str(&lp, "f2");
    lp_int(&lp, 0);
    /* 1000-0, same fields: a, 7 */
    lp_int(&lp, 2);
    lp_int(&lp, 0);
    lp_int(&lp, 0);
    lp_str(&lp, "a");
    lp_int(&lp, 7);
    lp_int(&lp, 5);
    /* 1001-0, deleted */
    lp_int(&lp, 3);
    lp_int(&lp, 1);
    lp_int(&lp, 0);
    lp_str(&lp, "zz");
    lp_int(&lp, -1);
    lp_int(&lp, 5);
    /* 1005-2, own fields: x -3000, long 200000 */
    lp_int(&lp, 0);
    lp_int(&lp, 5);
    lp_int(&lp, 2);
    lp_int(&lp, 2);
    lp_str(&lp, "x");
    lp_int(&lp, -3000);
    lp_str(&lp, longval);
    lp_int(&lp, 200000);
    lp_int(&lp, 8);
    lp_end(&lp, 27);
    put_len(b, 1);
    put_len(b, 16);
    put_be(b, 1000, 8);
    put_be(b, 0, 8);
    put_str(b, lp.data, lp.len);
    buf_free(&lp);
}

static void stream_tail(struct buf *b, int type, int entries_read_unknown)
{
    put_len(b, 2);
    put_len(b, 1005);
    put_len(b, 2);
    if (type >= 19) {
        put_len(b, 1000); /* first */
        put_len(b, 0);
        put_len(b, 1001); /* max deleted */
        put_len(b, 0);
        put_len(b, 3);
    }
    put_len(b, 1);
    put_cstr(b, "g");
    put_len(b, 1005);
    put_len(b, 2);
    if (type >= 19) {
        if (entries_read_unknown) {
            put_u8(b, 0x81);
            put_be(b, UINT64_MAX, 8);
        } else {
            put_len(b, 3);
        }
    }
    put_len(b, 2); /* group PEL */
    put_be(b, 1000, 8);
    put_be(b, 0, 8);
    put_le(b, 123456, 8);
    put_len(b, 2);
    put_be(b, 1005, 8);
    put_be(b, 2, 8);
    put_le(b, 777, 8);
    put_len(b, 1);
    put_len(b, 2); /* consumers */
    put_cstr(b, "c");
    put_le(b, 99, 8);
    if (type >= 21)
        put_le(b, 98, 8);
    put_len(b, 2);
    put_be(b, 1000, 8);
    put_be(b, 0, 8);
    put_be(b, 1005, 8);
    put_be(b, 2, 8);
    put_cstr(b, "idle");
    put_le(b, 99, 8);
    if (type >= 21)
        put_le(b, 98, 8);
    put_len(b, 0);
}

static const char *long_l(void)
{
    static char s[200];
    memset(s, 'L', sizeof(s) - 1);
    return s;
}

static void build_stream(struct buf *b, int type, int unknown_read)
{
    header(b, type >= 21 ? "0011" : "0010");
    put_u8(b, 0xFE);
    put_u8(b, 0);
    put_u8(b, (unsigned)type);
    put_cstr(b, "s");
    stream_node(b);
    stream_tail(b, type, unknown_read);
    finish(b);
}

static int stream_want(struct buf *w, int type, int unknown_read)
{
    buf_init(w);
    buf_printf(w,
               "SELECT 0\nXADD s 1000-0 f1 a f2 7\nXADD s 1005-2 x -3000 %s 200000\n"
               "XSETID s 1005-2 ENTRIESADDED %s MAXDELETEDID %s\n"
               "XGROUP CREATE s g 1005-2%s\n"
               "XGROUP CREATECONSUMER s g c\n"
               "XCLAIM s g c 0 1000-0 TIME 123456 RETRYCOUNT 2 JUSTID FORCE\n"
               "XCLAIM s g c 0 1005-2 TIME 777 RETRYCOUNT 1 JUSTID FORCE\n"
               "XGROUP CREATECONSUMER s g idle\n",
               long_l(), type >= 19 ? "3" : "2", type >= 19 ? "1001-0" : "0-0",
               type < 19      ? ""
               : unknown_read ? " ENTRIESREAD -1"
                              : " ENTRIESREAD 3");
    buf_append_byte(w, '\0');
    return 0;
}

static void test_stream_versions(void)
{
    static const int types[] = {15, 19, 21};
    for (int i = 0; i < 3; i++) {
        for (int unknown = 0; unknown < 2; unknown++) {
            struct buf b, w;
            build_stream(&b, types[i], unknown);
            stream_want(&w, types[i], unknown);
            int good = load_ok(&b, w.data);
            buf_free(&b);
            buf_free(&w);
            if (!good)
                fprintf(stderr, "type %d unknown %d\n", types[i], unknown);
            CHECK(good);
        }
    }
}

static void test_empty_stream_and_expiry(void)
{
    struct buf b;
    header(&b, "0010");
    put_u8(&b, 0xFC);
    put_le(&b, 1900000000000ULL, 8);
    put_u8(&b, 19);
    put_cstr(&b, "e");
    put_len(&b, 0); /* no nodes */
    put_len(&b, 0); /* length */
    put_len(&b, 5);
    put_len(&b, 5);
    put_len(&b, 0);
    put_len(&b, 0);
    put_len(&b, 5);
    put_len(&b, 5);
    put_len(&b, 7);
    put_len(&b, 0); /* groups */
    finish(&b);
    CHECK(load_ok(&b, "XADD e MAXLEN 0 0-1 x y\n"
                      "XSETID e 5-5 ENTRIESADDED 7 MAXDELETEDID 5-5\n"
                      "PEXPIREAT e 1900000000000\n"));
    buf_free(&b);
}

static void test_refusals(void)
{
    struct buf b;
    header(&b, "0010");
    put_u8(&b, 14); /* quicklist */
    put_cstr(&b, "mylist");
    put_len(&b, 0);
    finish(&b);
    CHECK(load_err(&b, "key 'mylist' has RDB type 14 (list)"));
    buf_free(&b);

    header(&b, "0010");
    put_u8(&b, 0xF7);
    put_len(&b, 12345);
    finish(&b);
    CHECK(load_err(&b, "MODULE_AUX"));
    buf_free(&b);

    header(&b, "0010");
    put_u8(&b, 0xF5);
    put_cstr(&b, "#!lua name=x");
    finish(&b);
    CHECK(load_err(&b, "functions"));
    buf_free(&b);

    header(&b, "0099");
    finish(&b);
    CHECK(load_err(&b, "version 99"));
    buf_free(&b);

    buf_init(&b);
    buf_append_str(&b, "*1\r\n$4\r\nPING\r\n");
    CHECK(load_err(&b, "not an RDB"));
    buf_free(&b);
}

static void test_callback_stops(void)
{
    struct buf b;
    struct got g;
    struct rdb_result r;
    build_stream(&b, 19, 0);
    memset(&g, 0, sizeof(g));
    buf_init(&g.text);
    g.stop_at = 3;
    int rc = rdb_load(b.data, b.len, collect, &g, &r);
    buf_free(&g.text);
    buf_free(&b);
    CHECK_EQ(rc, -1);
    CHECK(r.stopped);
    CHECK_EQ(g.n, 3);
}

/* Every prefix fails cleanly; every single-byte change either loads or
 * fails cleanly (the sanitizers watch for the rest). */
static void test_truncation_and_corruption(void)
{
    struct buf b;
    struct rdb_result r;
    build_stream(&b, 21, 0);
    for (size_t n = 0; n < b.len; n++)
        CHECK_EQ(rdb_load(b.data, n, NULL, NULL, &r), -1);
    CHECK_EQ(rdb_load(b.data, b.len, NULL, NULL, &r), 0);
    memset(b.data + b.len - 8, 0, 8); /* no checksum: corruption reaches the parser */
    for (size_t i = 9; i < b.len - 9; i++) {
        static const unsigned char flips[] = {0x01, 0x80, 0xff, 0x3f};
        for (size_t f = 0; f < sizeof(flips); f++) {
            char *copy = malloc(b.len);
            memcpy(copy, b.data, b.len);
            copy[i] ^= (char)flips[f];
            struct got g;
            memset(&g, 0, sizeof(g));
            buf_init(&g.text);
            (void)rdb_load(copy, b.len, collect, &g, &r);
            buf_free(&g.text);
            free(copy);
        }
    }
    buf_free(&b);
}

int main(void)
{
    RUN(test_crc64);
    RUN(test_lengths_and_strings);
    RUN(test_lzf);
    RUN(test_select_and_checksum);
    RUN(test_stream_versions);
    RUN(test_empty_stream_and_expiry);
    RUN(test_refusals);
    RUN(test_callback_stops);
    RUN(test_truncation_and_corruption);
    UNIT_DONE();
}
