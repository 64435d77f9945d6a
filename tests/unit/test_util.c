/*
 * test_util.c - unit tests for lib/util.c.
 *
 * Number parsing is checked with tables of edge cases plus a randomized
 * comparison against a reference built from strtoll/snprintf.  Glob
 * matching is checked with a table covering every syntax element, a
 * randomized comparison against a naive recursive matcher on a small
 * alphabet, and pathological patterns that must finish quickly.
 */
#include "lib/util.h"
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#define STRLEN(s) (sizeof(s) - 1)

struct ll_case {
    const char *s;
    size_t len;
    int ok;
    long long v;
};

#define LL_OK(s, v) s, STRLEN(s), 1, v
#define LL_BAD(s) s, STRLEN(s), 0, 0

static const struct ll_case ll_cases[] = {
    {LL_OK("0", 0)},
    {LL_OK("1", 1)},
    {LL_OK("-1", -1)},
    {LL_OK("10", 10)},
    {LL_OK("-10", -10)},
    {LL_OK("100", 100)},
    {LL_OK("123456789", 123456789)},
    {LL_OK("9223372036854775807", LLONG_MAX)},
    {LL_OK("-9223372036854775807", -LLONG_MAX)},
    {LL_OK("-9223372036854775808", LLONG_MIN)},
    {LL_BAD("")},
    {LL_BAD("-")},
    {LL_BAD("+")},
    {LL_BAD("+1")},
    {LL_BAD("--1")},
    {LL_BAD("-+1")},
    {LL_BAD("01")},
    {LL_BAD("00")},
    {LL_BAD("-0")},
    {LL_BAD("-00")},
    {LL_BAD("-01")},
    {LL_BAD(" 1")},
    {LL_BAD("1 ")},
    {LL_BAD("\t1")},
    {LL_BAD("1\n")},
    {LL_BAD("1a")},
    {LL_BAD("a")},
    {LL_BAD("0x10")},
    {LL_BAD("1.0")},
    {LL_BAD("1e3")},
    {LL_BAD("1\0")},
    {LL_BAD("\0001")},
    {LL_BAD("9223372036854775808")},
    {LL_BAD("-9223372036854775809")},
    {LL_BAD("18446744073709551615")},
    {LL_BAD("18446744073709551616")},
    {LL_BAD("99999999999999999999")},
    {LL_BAD("-99999999999999999999")},
    {LL_BAD("123456789012345678901")},
    {LL_BAD("100000000000000000000000000000")},
};

static void test_parse_ll_table(void)
{
    for (size_t i = 0; i < sizeof(ll_cases) / sizeof(ll_cases[0]); i++) {
        const struct ll_case *c = &ll_cases[i];
        long long v = 77;
        int rc = util_parse_ll(c->s, c->len, &v);
        if (c->ok) {
            CHECK_EQ(rc, 0);
            CHECK_EQ(v, c->v);
        } else {
            if (rc != -1)
                fprintf(stderr, "case %zu accepted: \"%.*s\"\n", i, (int)c->len, c->s);
            CHECK_EQ(rc, -1);
            CHECK_EQ(v, 77); /* output untouched on failure */
        }
    }
}

struct ull_case {
    const char *s;
    size_t len;
    int ok;
    unsigned long long v;
};

static const struct ull_case ull_cases[] = {
    {"0", 1, 1, 0},
    {"7", 1, 1, 7},
    {"42", 2, 1, 42},
    {"9223372036854775808", 19, 1, 9223372036854775808ULL},
    {"18446744073709551615", 20, 1, ULLONG_MAX},
    {"18446744073709551616", 20, 0, 0},
    {"99999999999999999999", 20, 0, 0},
    {"100000000000000000000", 21, 0, 0},
    {"", 0, 0, 0},
    {"-1", 2, 0, 0},
    {"-0", 2, 0, 0},
    {"+1", 2, 0, 0},
    {"01", 2, 0, 0},
    {"00", 2, 0, 0},
    {" 1", 2, 0, 0},
    {"1 ", 2, 0, 0},
    {"1x", 2, 0, 0},
    {"1\0", 2, 0, 0},
};

static void test_parse_ull_table(void)
{
    for (size_t i = 0; i < sizeof(ull_cases) / sizeof(ull_cases[0]); i++) {
        const struct ull_case *c = &ull_cases[i];
        unsigned long long v = 77;
        int rc = util_parse_ull(c->s, c->len, &v);
        if (c->ok) {
            CHECK_EQ(rc, 0);
            CHECK(v == c->v);
        } else {
            if (rc != -1)
                fprintf(stderr, "case %zu accepted: \"%.*s\"\n", i, c->len > 0 ? 1 : 0, c->s);
            CHECK_EQ(rc, -1);
            CHECK(v == 77);
        }
    }
}

/* Reference: canonical form is "0" or -?[1-9][0-9]*, then range-checked
 * by strtoll. */
static int ref_parse_ll(const char *s, size_t len, long long *out)
{
    char buf[64];
    size_t i = 0;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 0;
    }
    if (s[0] == '-')
        i = 1;
    if (i >= len || s[i] < '1' || s[i] > '9')
        return -1;
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtoll(buf, NULL, 10);
    return errno == ERANGE ? -1 : 0;
}

static void test_parse_ll_random(void)
{
    static const char alphabet[] = "-0123456789+ a";
    char s[24];

    for (int iter = 0; iter < 200000; iter++) {
        size_t len = util_random() % 22;
        long long got = 0, want = 0;
        for (size_t i = 0; i < len; i++) {
            /* Mostly digits so that long valid numbers show up. */
            uint64_t r = util_random();
            s[i] = (r & 7) ? (char)('0' + (r >> 8) % 10) : alphabet[(r >> 8) % STRLEN(alphabet)];
        }
        int rc = util_parse_ll(s, len, &got);
        int ref = ref_parse_ll(s, len, &want);
        if (rc != ref)
            fprintf(stderr, "mismatch on \"%.*s\"\n", (int)len, s);
        CHECK_EQ(rc, ref);
        if (rc == 0)
            CHECK_EQ(got, want);
    }
}

static void test_ll2str(void)
{
    static const long long vals[] = {LLONG_MAX,     LLONG_MIN, LLONG_MAX - 1,
                                     LLONG_MIN + 1, 123456789, -987654321};
    char buf[21], ref[32];

    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        size_t n = util_ll2str(buf, vals[i]);
        snprintf(ref, sizeof(ref), "%lld", vals[i]);
        CHECK_MEM(buf, n, ref);
        CHECK_EQ(buf[n], '\0');
    }
    for (long long v = -10001; v <= 10001; v++) {
        size_t n = util_ll2str(buf, v);
        snprintf(ref, sizeof(ref), "%lld", v);
        CHECK_MEM(buf, n, ref);
    }
    CHECK_EQ(util_ull2str(buf, ULLONG_MAX), 20);
    CHECK_MEM(buf, 20, "18446744073709551615");
    CHECK_EQ(util_ull2str(buf, 0), 1);
    CHECK_MEM(buf, 1, "0");
    for (int iter = 0; iter < 100000; iter++) {
        long long v = (long long)util_random() >> (util_random() % 64), back = 0;
        size_t n = util_ll2str(buf, v);
        snprintf(ref, sizeof(ref), "%lld", v);
        CHECK_MEM(buf, n, ref);
        CHECK_EQ(util_parse_ll(buf, n, &back), 0);
        CHECK_EQ(back, v);
        unsigned long long u = util_random() >> (util_random() % 64), ub = 0;
        n = util_ull2str(buf, u);
        snprintf(ref, sizeof(ref), "%llu", u);
        CHECK_MEM(buf, n, ref);
        CHECK_EQ(util_parse_ull(buf, n, &ub), 0);
        CHECK(ub == u);
    }
}

struct dbl_case {
    const char *s;
    size_t len;
    int ok;
    double v;
};

#define D_OK(s, v) s, STRLEN(s), 1, v
#define D_BAD(s) s, STRLEN(s), 0, 0

static const struct dbl_case dbl_cases[] = {
    {D_OK("0", 0.0)},
    {D_OK("1", 1.0)},
    {D_OK("-1.5", -1.5)},
    {D_OK("+2", 2.0)},
    {D_OK("3.25", 3.25)},
    {D_OK(".5", 0.5)},
    {D_OK("5.", 5.0)},
    {D_OK("1e3", 1000.0)},
    {D_OK("1E3", 1000.0)},
    {D_OK("1e+3", 1000.0)},
    {D_OK("2.5e-3", 0.0025)},
    {D_OK("-1e-2", -0.01)},
    {D_OK("0x10", 16.0)},
    {D_OK("0010", 10.0)},
    {D_OK("1.7976931348623157e308", 1.7976931348623157e308)},
    {D_OK("inf", INFINITY)},
    {D_OK("+inf", INFINITY)},
    {D_OK("-inf", -INFINITY)},
    {D_OK("INF", INFINITY)},
    {D_OK("infinity", INFINITY)},
    {D_OK("-Infinity", -INFINITY)},
    {D_BAD("")},
    {D_BAD(" ")},
    {D_BAD(" 1")},
    {D_BAD("1 ")},
    {D_BAD("\t1")},
    {D_BAD("1\n")},
    {D_BAD("\n1")},
    {D_BAD("nan")},
    {D_BAD("NaN")},
    {D_BAD("-nan")},
    {D_BAD("nan(123)")},
    {D_BAD("1e400")},
    {D_BAD("-1e400")},
    {D_BAD("1e-400")},
    {D_BAD("abc")},
    {D_BAD("1.2.3")},
    {D_BAD("1e")},
    {D_BAD("e1")},
    {D_BAD("-")},
    {D_BAD("+")},
    {D_BAD(".")},
    {D_BAD("1,5")},
    {D_BAD("1\0")},
    {D_BAD("\0001")},
    {D_BAD("inff")},
};

static void test_parse_double_table(void)
{
    for (size_t i = 0; i < sizeof(dbl_cases) / sizeof(dbl_cases[0]); i++) {
        const struct dbl_case *c = &dbl_cases[i];
        double v = 77.0;
        int rc = util_parse_double(c->s, c->len, &v);
        if (rc != (c->ok ? 0 : -1))
            fprintf(stderr, "double case %zu: \"%s\" rc %d\n", i, c->s, rc);
        if (c->ok) {
            CHECK_EQ(rc, 0);
            CHECK(v == c->v);
        } else {
            CHECK_EQ(rc, -1);
            CHECK(v == 77.0);
        }
    }
}

static void test_parse_double_misc(void)
{
    static char big[6000];
    double v = 0;

    /* -0 keeps its sign; tiny denormals are accepted (non-zero). */
    CHECK_EQ(util_parse_double("-0", 2, &v), 0);
    CHECK(v == 0.0 && signbit(v));
    CHECK_EQ(util_parse_double("4.9e-324", 8, &v), 0);
    CHECK(v > 0.0);
    /* Long but legal inputs are accepted up to the limit. */
    memset(big, '0', sizeof(big));
    big[4999] = '7';
    CHECK_EQ(util_parse_double(big, 5000, &v), 0);
    CHECK(v == 7.0);
    big[5119] = '1';
    CHECK_EQ(util_parse_double(big, 5120, &v), 0);
    memset(big, '0', sizeof(big));
    big[5120] = '1';
    CHECK_EQ(util_parse_double(big, 5121, &v), -1);
    CHECK_EQ(util_parse_double(big, sizeof(big), &v), -1);
    /* Input need not be NUL-terminated: only len bytes are read. */
    CHECK_EQ(util_parse_double("12345", 2, &v), 0);
    CHECK(v == 12.0);
}

struct glob_case {
    const char *pat;
    size_t plen;
    const char *str;
    size_t slen;
    int nocase;
    int want;
};

#define G(p, s, nc, w) p, STRLEN(p), s, STRLEN(s), nc, w

static const struct glob_case glob_cases[] = {
    {G("", "", 0, 1)},
    {G("", "a", 0, 0)},
    {G("a", "", 0, 0)},
    {G("abc", "abc", 0, 1)},
    {G("abc", "abd", 0, 0)},
    {G("abc", "ab", 0, 0)},
    {G("ab", "abc", 0, 0)},
    {G("*", "", 0, 1)},
    {G("**", "", 0, 1)},
    {G("*", "anything", 0, 1)},
    {G("a*", "a", 0, 1)},
    {G("a*", "abc", 0, 1)},
    {G("a*", "bac", 0, 0)},
    {G("*c", "abc", 0, 1)},
    {G("*c", "abd", 0, 0)},
    {G("*c", "", 0, 0)},
    {G("a*c", "ac", 0, 1)},
    {G("a*c", "abbbc", 0, 1)},
    {G("a*c", "abbbcd", 0, 0)},
    {G("a*c*", "abbbcd", 0, 1)},
    {G("a**c", "abc", 0, 1)},
    {G("*ab", "aab", 0, 1)},
    {G("*aab", "aaab", 0, 1)},
    {G("a*b*c", "abcbc", 0, 1)},
    {G("*x*y", "xay", 0, 1)},
    {G("*a*b*c*", "xxaxxbxxcxx", 0, 1)},
    {G("*a*b*c*", "xxcxxbxxa", 0, 0)},
    {G("?", "a", 0, 1)},
    {G("?", "", 0, 0)},
    {G("?", "ab", 0, 0)},
    {G("??", "ab", 0, 1)},
    {G("*?", "", 0, 0)},
    {G("*?", "a", 0, 1)},
    {G("h?llo", "hello", 0, 1)},
    {G("h?llo", "hllo", 0, 0)},
    {G("h*llo", "hllo", 0, 1)},
    {G("h*llo", "heeeello", 0, 1)},
    {G("h[ae]llo", "hallo", 0, 1)},
    {G("h[ae]llo", "hello", 0, 1)},
    {G("h[ae]llo", "hillo", 0, 0)},
    {G("h[^e]llo", "hallo", 0, 1)},
    {G("h[^e]llo", "hello", 0, 0)},
    {G("h[a-b]llo", "hbllo", 0, 1)},
    {G("h[a-b]llo", "hcllo", 0, 0)},
    {G("h[b-a]llo", "hallo", 0, 1)},
    {G("[a-cx-z]", "y", 0, 1)},
    {G("[a-cx-z]", "m", 0, 0)},
    {G("[^a-c]", "d", 0, 1)},
    {G("[^a-c]", "b", 0, 0)},
    {G("[abc]", "", 0, 0)},
    {G("[abc]", "ab", 0, 0)},
    {G("[abc]*", "cab", 0, 1)},
    {G("[]", "a", 0, 0)},
    {G("[^]", "a", 0, 1)},
    {G("[", "a", 0, 0)},
    {G("[", "", 0, 0)},
    {G("[a", "a", 0, 1)},
    {G("[a", "b", 0, 0)},
    {G("[^a", "b", 0, 1)},
    {G("[a-]", "_", 0, 1)}, /* Redis quirk: "a-]" is the range ']'..'a' */
    {G("[-a]", "-", 0, 1)},
    {G("[a-z", "q", 0, 1)},
    {G("\\*", "*", 0, 1)},
    {G("\\*", "a", 0, 0)},
    {G("\\?", "?", 0, 1)},
    {G("\\?", "x", 0, 0)},
    {G("\\[a]", "[a]", 0, 1)},
    {G("\\[a]", "a", 0, 0)},
    {G("\\a", "a", 0, 1)},
    {G("\\\\", "\\", 0, 1)},
    {G("a\\", "a\\", 0, 1)},
    {G("\\", "\\", 0, 1)},
    {G("[\\]]", "]", 0, 1)},
    {G("[\\]]", "\\", 0, 0)},
    {G("[\\^a]", "^", 0, 1)},
    {G("[\\-]", "-", 0, 1)},
    {G("[\\", "\\", 0, 1)},
    {G("*\\*", "abc*", 0, 1)},
    {G("*\\*", "abc", 0, 0)},
    {G("HELLO", "hello", 1, 1)},
    {G("HELLO", "hello", 0, 0)},
    {G("h?LLO*", "HeLlOworld", 1, 1)},
    {G("[A-Z]", "q", 1, 1)},
    {G("[a-z]", "Q", 1, 1)},
    {G("[a-z]", "Q", 0, 0)},
    {G("[^A]", "a", 1, 0)},
    {G("[^A]", "a", 0, 1)},
    {G("[XY]", "y", 1, 1)},
    {G("\\X", "x", 1, 1)},
    {G("a\0*", "a\0bc", 0, 1)},
    {G("a\0*", "abc", 0, 0)},
    {G("?\0", "\0\0", 0, 1)},
    {G("\xff*", "\xff\x01", 0, 1)},
    {G("[\x80-\xff]", "\xc3", 0, 1)},
    {G("[\x80-\xff]", "a", 0, 0)},
    {G("user:*:name", "user:1000:name", 0, 1)},
    {G("user:*:name", "user:1000:email", 0, 0)},
};

static void test_glob_table(void)
{
    for (size_t i = 0; i < sizeof(glob_cases) / sizeof(glob_cases[0]); i++) {
        const struct glob_case *c = &glob_cases[i];
        int got = util_glob_match(c->pat, c->plen, c->str, c->slen, c->nocase);
        if (got != c->want)
            fprintf(stderr, "glob case %zu: \"%s\" vs \"%s\"\n", i, c->pat, c->str);
        CHECK_EQ(got, c->want);
    }
}

/* Naive recursive matcher for patterns over {a, b, ?, *}. */
static int ref_glob(const char *p, size_t pl, const char *s, size_t sl)
{
    if (pl == 0)
        return sl == 0;
    if (p[0] == '*')
        return ref_glob(p + 1, pl - 1, s, sl) || (sl > 0 && ref_glob(p, pl, s + 1, sl - 1));
    if (sl == 0)
        return 0;
    if (p[0] != '?' && p[0] != s[0])
        return 0;
    return ref_glob(p + 1, pl - 1, s + 1, sl - 1);
}

static void test_glob_random(void)
{
    static const char pchars[] = "ab?*";
    char p[10], s[12];

    for (int iter = 0; iter < 100000; iter++) {
        size_t pl = util_random() % sizeof(p), sl = util_random() % sizeof(s);
        for (size_t i = 0; i < pl; i++)
            p[i] = pchars[util_random() % 4];
        for (size_t i = 0; i < sl; i++)
            s[i] = (char)('a' + util_random() % 2);
        int want = ref_glob(p, pl, s, sl);
        int got = util_glob_match(p, pl, s, sl, 0);
        if (got != want)
            fprintf(stderr, "glob \"%.*s\" vs \"%.*s\"\n", (int)pl, p, (int)sl, s);
        CHECK_EQ(got, want);
    }
}

static void test_glob_pathological(void)
{
    size_t plen = 200001, slen = 20000;
    char *pat = malloc(plen), *str = malloc(slen);
    int64_t start = util_monotonic_us();

    /* "a*a*a*...a*b" against "aaaa...": exponential for naive matchers. */
    for (size_t i = 0; i + 1 < 201; i += 2) {
        pat[i] = 'a';
        pat[i + 1] = '*';
    }
    pat[200] = 'b';
    memset(str, 'a', slen);
    CHECK_EQ(util_glob_match(pat, 201, str, slen, 0), 0);
    CHECK_EQ(util_glob_match(pat, 201, str, slen, 1), 0);
    /* A huge run of stars must not recurse. */
    memset(pat, '*', plen);
    CHECK_EQ(util_glob_match(pat, plen, str, slen, 0), 1);
    pat[plen - 1] = 'b';
    CHECK_EQ(util_glob_match(pat, plen, str, slen, 0), 0);
    /* Many star-separated classes. */
    for (size_t i = 0; i + 5 < 1000; i += 5)
        memcpy(pat + i, "*[a]?", 5);
    memcpy(pat + 995, "*[b]", 4);
    CHECK_EQ(util_glob_match(pat, 999, str, slen, 0), 0);
    free(pat);
    free(str);
    CHECK(util_monotonic_us() - start < 5 * 1000000);
}

static void test_eq_nocase(void)
{
    CHECK(util_eq_nocase(SLICE_LIT("get"), "GET"));
    CHECK(util_eq_nocase(SLICE_LIT("GeT"), "get"));
    CHECK(util_eq_nocase(SLICE_LIT(""), ""));
    CHECK(!util_eq_nocase(SLICE_LIT("GE"), "GET"));
    CHECK(!util_eq_nocase(SLICE_LIT("GETX"), "GET"));
    CHECK(!util_eq_nocase(SLICE_LIT("GE\0"), "GE"));
    CHECK(!util_eq_nocase(SLICE_LIT("G@T"), "G`T"));
    CHECK(!util_eq_nocase(SLICE_LIT("SET"), "GET"));
}

static void test_time(void)
{
    int64_t ms = util_mstime(), us = util_ustime();
    int64_t m1 = util_monotonic_us(), m2;

    CHECK(ms > 1600000000000LL);
    CHECK(us / 1000 - ms >= 0 && us / 1000 - ms < 1000);
    for (int i = 0; i < 1000; i++) {
        m2 = util_monotonic_us();
        CHECK(m2 >= m1);
        m1 = m2;
    }
}

static void test_random(void)
{
    int bits[64] = {0};
    uint64_t prev = util_random(), v;
    const int n = 20000;

    for (int i = 0; i < n; i++) {
        v = util_random();
        CHECK(v != prev);
        prev = v;
        for (int b = 0; b < 64; b++)
            bits[b] += (int)((v >> b) & 1);
    }
    for (int b = 0; b < 64; b++) {
        CHECK(bits[b] > n / 2 - n / 20);
        CHECK(bits[b] < n / 2 + n / 20);
    }
}

int main(void)
{
    RUN(test_parse_ll_table);
    RUN(test_parse_ull_table);
    RUN(test_parse_ll_random);
    RUN(test_ll2str);
    RUN(test_parse_double_table);
    RUN(test_parse_double_misc);
    RUN(test_glob_table);
    RUN(test_glob_random);
    RUN(test_glob_pathological);
    RUN(test_eq_nocase);
    RUN(test_time);
    RUN(test_random);
    UNIT_DONE();
}
