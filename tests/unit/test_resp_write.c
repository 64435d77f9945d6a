/*
 * test_resp_write.c - byte-exact tests of the reply encoder in RESP2 and
 * RESP3, plus the struct buf primitives it is built on.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "resp_write.h"
#include "unit.h"

static struct buf out;
static struct resp_out o2 = {&out, 2}, o3 = {&out, 3};

/* Start a new expectation: empty the shared output buffer. */
static struct resp_out *w2(void)
{
    buf_clear(&out);
    return &o2;
}

static struct resp_out *w3(void)
{
    buf_clear(&out);
    return &o3;
}

#define OUT_IS(s) CHECK_MEM(out.data, out.len, s)

static void test_simple(void)
{
    resp_simple(w2(), "PONG");
    OUT_IS("+PONG\r\n");
    resp_simple(w3(), "");
    OUT_IS("+\r\n");
    resp_simple_len(w2(), "QUEUEDxx", 6);
    OUT_IS("+QUEUED\r\n");
    resp_ok(w3());
    OUT_IS("+OK\r\n");
    resp_raw(w2(), "$1\r\nx\r\n", 7);
    OUT_IS("$1\r\nx\r\n");
}

static void test_errors(void)
{
    resp_error(w2(), "ERR unknown command");
    OUT_IS("-ERR unknown command\r\n");
    resp_error(w3(), "WRONGTYPE Operation against a key");
    OUT_IS("-WRONGTYPE Operation against a key\r\n");
    resp_error(w2(), "NOGROUP No such key");
    OUT_IS("-NOGROUP No such key\r\n");
    resp_error(w2(), "BUSY_2 x");
    OUT_IS("-BUSY_2 x\r\n");
    resp_error(w2(), "-FOO bar");
    OUT_IS("-FOO bar\r\n");
    resp_error(w2(), "-nospace");
    OUT_IS("-nospace\r\n");
    resp_error(w2(), "syntax error");
    OUT_IS("-ERR syntax error\r\n");
    resp_error(w2(), "Err lower");
    OUT_IS("-ERR Err lower\r\n");
    resp_error(w2(), "NOSCRIPT");
    OUT_IS("-ERR NOSCRIPT\r\n");
    resp_error(w2(), " leading");
    OUT_IS("-ERR  leading\r\n");
    resp_error(w2(), "");
    OUT_IS("-ERR \r\n");
    resp_error(w3(), "ERR bad\r\nline\n");
    OUT_IS("-ERR bad  line \r\n");
    resp_error(w3(), "-X a\rb");
    OUT_IS("-X a b\r\n");
}

static void test_errorf(void)
{
    char big[1000];

    resp_errorf(w2(), "value is %s: %d", "bad", 42);
    OUT_IS("-ERR value is bad: 42\r\n");
    resp_errorf(w3(), "WRONGPASS %s", "invalid\npassword");
    OUT_IS("-WRONGPASS invalid password\r\n");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    resp_errorf(w2(), "ERR %s!", big);
    CHECK_EQ(out.len, 5 + 999 + 1 + 2);
    CHECK(memcmp(out.data, "-ERR xxx", 8) == 0);
    CHECK(memcmp(out.data + out.len - 4, "x!\r\n", 4) == 0);
}

static void test_int(void)
{
    resp_int(w2(), 0);
    OUT_IS(":0\r\n");
    resp_int(w3(), 7);
    OUT_IS(":7\r\n");
    resp_int(w2(), -1);
    OUT_IS(":-1\r\n");
    resp_int(w2(), 1234567890123LL);
    OUT_IS(":1234567890123\r\n");
    resp_int(w2(), LLONG_MAX);
    OUT_IS(":9223372036854775807\r\n");
    resp_int(w3(), LLONG_MIN);
    OUT_IS(":-9223372036854775808\r\n");
}

static void test_bulk(void)
{
    char big[1000];

    resp_bulk(w2(), "hello", 5);
    OUT_IS("$5\r\nhello\r\n");
    resp_bulk(w3(), "", 0);
    OUT_IS("$0\r\n\r\n");
    resp_bulk(w2(), NULL, 0);
    OUT_IS("$0\r\n\r\n");
    resp_bulk(w2(), "a\0\r\nb", 5);
    CHECK_EQ(out.len, 11);
    CHECK(memcmp(out.data, "$5\r\na\0\r\nb\r\n", 11) == 0);
    resp_bulk(w2(), "0123456789", 10);
    OUT_IS("$10\r\n0123456789\r\n");
    memset(big, 'z', sizeof(big));
    resp_bulk(w2(), big, sizeof(big));
    CHECK_EQ(out.len, 7 + 1000 + 2);
    CHECK(memcmp(out.data, "$1000\r\nzz", 9) == 0);
    resp_bulk_str(w3(), "key");
    OUT_IS("$3\r\nkey\r\n");
    resp_bulk_ll(w2(), -42);
    OUT_IS("$3\r\n-42\r\n");
    resp_bulk_ll(w3(), LLONG_MIN);
    OUT_IS("$20\r\n-9223372036854775808\r\n");
}

static void test_null_bool(void)
{
    resp_null(w2());
    OUT_IS("$-1\r\n");
    resp_null(w3());
    OUT_IS("_\r\n");
    resp_null_array(w2());
    OUT_IS("*-1\r\n");
    resp_null_array(w3());
    OUT_IS("_\r\n");
    resp_bool(w2(), 1);
    OUT_IS(":1\r\n");
    resp_bool(w2(), 0);
    OUT_IS(":0\r\n");
    resp_bool(w3(), 5);
    OUT_IS("#t\r\n");
    resp_bool(w3(), 0);
    OUT_IS("#f\r\n");
}

static void test_aggregates(void)
{
    resp_array(w2(), 3);
    OUT_IS("*3\r\n");
    resp_array(w3(), 12);
    OUT_IS("*12\r\n");
    resp_array(w2(), -1);
    OUT_IS("*-1\r\n");
    resp_map(w2(), 2);
    OUT_IS("*4\r\n");
    resp_map(w3(), 2);
    OUT_IS("%2\r\n");
    resp_set(w2(), 5);
    OUT_IS("*5\r\n");
    resp_set(w3(), 5);
    OUT_IS("~5\r\n");
    resp_push(w2(), 3);
    OUT_IS("*3\r\n");
    resp_push(w3(), 3);
    OUT_IS(">3\r\n");
    resp_empty_array(w2());
    OUT_IS("*0\r\n");
    resp_empty_array(w3());
    OUT_IS("*0\r\n");
}

static void test_verbatim(void)
{
    resp_verbatim(w3(), "hello", 5, "txt");
    OUT_IS("=9\r\ntxt:hello\r\n");
    resp_verbatim(w3(), "# Server", 8, "mkd");
    OUT_IS("=12\r\nmkd:# Server\r\n");
    resp_verbatim(w3(), "", 0, NULL);
    OUT_IS("=4\r\ntxt:\r\n");
    resp_verbatim(w2(), "hello", 5, "txt");
    OUT_IS("$5\r\nhello\r\n");
}

struct dcase {
    double v;
    const char *text;
};

static void test_doubles(void)
{
    static const struct dcase cases[] = {
        {1.5, "1.5"},
        {0.1, "0.1"},
        {3.0, "3"},
        {-2.0, "-2"},
        {0.0, "0"},
        {-0.0, "-0"},
        {1e100, "1e+100"},
        {-1.5e300, "-1.5e+300"},
        {1e20, "1e+20"},
        {200000000.0, "200000000"},
        {4611686018427387904.0, "4611686018427387904"},
        {9223372036854775808.0, "9223372036854776000"},
        {1.0 / 3, "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666"},
        {123456.789, "123456.789"},
        {0.0001, "0.0001"},
        {0.001234, "0.001234"},
        {0.00001234, "1.234e-5"},
        {1e-7, "1e-7"},
        {1.5e-7, "1.5e-7"},
        {12345.678901234567, "1.2345678901234567e+4"},
        {1.2345678901234567, "1.2345678901234567"},
        {3.14159, "3.14159"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {5e-324, "5e-324"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
    };
    char want[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        resp_double(w3(), cases[i].v);
        snprintf(want, sizeof(want), ",%s\r\n", cases[i].text);
        OUT_IS(want);
        resp_double(w2(), cases[i].v);
        snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(cases[i].text), cases[i].text);
        OUT_IS(want);
    }
}

/* Every double printed must read back exactly. */
static void test_double_roundtrip(void)
{
    unsigned long long x = 88172645463325252ULL;

    for (int i = 0; i < 20000; i++) {
        double v, back;
        char text[64];
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(&v, &x, sizeof(v));
        if (isnan(v) || isinf(v))
            continue;
        resp_double(w3(), v);
        CHECK(out.len > 3 && out.len < sizeof(text));
        memcpy(text, out.data + 1, out.len - 3);
        text[out.len - 3] = '\0';
        back = strtod(text, NULL);
        if (memcmp(&back, &v, sizeof(v)) != 0)
            fprintf(stderr, "  %s\n", text);
        CHECK(memcmp(&back, &v, sizeof(v)) == 0);
    }
}

static void test_deferred(void)
{
    struct resp_out *o = w2();
    size_t h;

    resp_bulk_str(o, "pre");
    h = resp_defer_array(o);
    CHECK_EQ(out.len, 9); /* nothing written yet */
    resp_bulk_str(o, "a");
    resp_bulk_str(o, "b");
    resp_set_deferred_array(o, h, 2);
    OUT_IS("$3\r\npre\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    o = w2();
    h = resp_defer_map(o);
    resp_bulk_str(o, "k");
    resp_int(o, 1);
    resp_set_deferred_map(o, h, 1);
    OUT_IS("*2\r\n$1\r\nk\r\n:1\r\n");
    o = w3();
    h = resp_defer_map(o);
    resp_bulk_str(o, "k");
    resp_int(o, 1);
    resp_set_deferred_map(o, h, 1);
    OUT_IS("%1\r\n$1\r\nk\r\n:1\r\n");
    o = w3();
    h = resp_defer_set(o);
    resp_int(o, 1);
    resp_set_deferred_set(o, h, 1);
    OUT_IS("~1\r\n:1\r\n");
    o = w2();
    h = resp_defer_set(o);
    resp_set_deferred_set(o, h, 0);
    OUT_IS("*0\r\n");
}

/* Nested: [[1, 2], [], x], filled innermost first. */
static void test_deferred_nested(void)
{
    struct resp_out *o = w3();
    size_t outer = resp_defer_array(o), inner1, inner2;

    inner1 = resp_defer_array(o);
    resp_int(o, 1);
    resp_int(o, 2);
    resp_set_deferred_array(o, inner1, 2);
    inner2 = resp_defer_map(o);
    resp_set_deferred_map(o, inner2, 0);
    resp_bulk_str(o, "x");
    resp_set_deferred_array(o, outer, 3);
    OUT_IS("*3\r\n*2\r\n:1\r\n:2\r\n%0\r\n$1\r\nx\r\n");
    /* Three levels deep, set in LIFO order after everything is written. */
    o = w2();
    outer = resp_defer_array(o);
    inner1 = resp_defer_array(o);
    inner2 = resp_defer_array(o);
    resp_int(o, 7);
    resp_set_deferred_array(o, inner2, 1);
    resp_set_deferred_array(o, inner1, 1);
    resp_set_deferred_array(o, outer, 1);
    OUT_IS("*1\r\n*1\r\n*1\r\n:7\r\n");
}

static void test_buf_basics(void)
{
    struct buf b;
    char *p;

    buf_init(&b);
    buf_append_str(&b, "ab");
    buf_append_byte(&b, 'c');
    buf_append(&b, b.data, b.len); /* self-append */
    CHECK_MEM(b.data, b.len, "abcabc");
    buf_consume(&b, 2);
    CHECK_MEM(b.data, b.len, "cabc");
    buf_consume(&b, 100);
    CHECK_EQ(b.len, 0);
    p = buf_reserve(&b, 1000);
    CHECK(p == b.data && b.cap >= 1000);
    buf_append_ll(&b, LLONG_MIN);
    buf_append_byte(&b, ' ');
    buf_append_ull(&b, ULLONG_MAX);
    buf_append_byte(&b, ' ');
    buf_append_ll(&b, 0);
    buf_append_byte(&b, ' ');
    buf_append_ll(&b, 99);
    buf_append_byte(&b, ' ');
    buf_append_ll(&b, 100);
    CHECK_MEM(b.data, b.len, "-9223372036854775808 18446744073709551615 0 99 100");
    buf_shrink(&b, 0);
    CHECK_EQ(b.cap, b.len);
    buf_clear(&b);
    buf_shrink(&b, 0);
    CHECK(b.data == NULL && b.cap == 0);
    buf_free(&b);
}

static void test_buf_growth(void)
{
    struct buf b;
    char big[300];

    buf_init(&b);
    for (int i = 0; i < 100000; i++)
        buf_append_byte(&b, (char)('a' + i % 26));
    CHECK_EQ(b.len, 100000);
    CHECK(b.data[99999] == (char)('a' + 99999 % 26));
    buf_clear(&b);
    buf_printf(&b, "%d-%s", 12, "x");
    CHECK_MEM(b.data, b.len, "12-x");
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_clear(&b);
    buf_shrink(&b, 0);
    buf_printf(&b, "[%s]", big);
    CHECK_EQ(b.len, 301);
    CHECK(b.data[0] == '[' && b.data[300] == ']');
    for (unsigned long long v = 1, k = 0; k < 20; k++, v *= 10) {
        char want[32], got[32];
        size_t n = buf_fmt_ull(got, v - 1);
        snprintf(want, sizeof(want), "%llu", v - 1);
        CHECK_MEM(got, n, want);
    }
    buf_free(&b);
}

int main(void)
{
    buf_init(&out);
    RUN(test_simple);
    RUN(test_errors);
    RUN(test_errorf);
    RUN(test_int);
    RUN(test_bulk);
    RUN(test_null_bool);
    RUN(test_aggregates);
    RUN(test_verbatim);
    RUN(test_doubles);
    RUN(test_double_roundtrip);
    RUN(test_deferred);
    RUN(test_deferred_nested);
    RUN(test_buf_basics);
    RUN(test_buf_growth);
    buf_free(&out);
    UNIT_DONE();
}
