/*
 * test_resp_parse.c - unit tests for the request parser.
 *
 * Every valid request of the table is parsed whole, split at every byte
 * boundary, fed byte by byte (each time in a freshly allocated buffer so
 * the parser must rebase the slices it already stored) and parsed at the
 * very end of a page followed by a PROT_NONE guard page to catch reads
 * past the end.  Every error text is checked, also when the bytes arrive
 * one at a time, and so are the size limits, the NEED_ARGV protocol,
 * pipelines and binary payloads.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "resp_parse.h"
#include "unit.h"

#define MAX_ARGS 16
#define BIG (512LL * 1024 * 1024)

static const struct resp_limits auth_lim = {BIG, 1};

#define PE "ERR Protocol error: "

struct valid_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    long ret;   /* bytes consumed */
    size_t argc;
    const char *args; /* arguments joined by '|' */
};

static const struct valid_case valid[] = {
    {"*1\r\n$4\r\nPING\r\n", 0, 14, 1, "PING"},
    {"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 0, 20, 2, "GET|k"},
    {"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", 0, 26, 3, "SET|k|"},
    {"*1\r\n$0\r\n\r\n", 0, 10, 1, ""},
    {"*0\r\n", 0, 4, 0, ""},
    {"*-1\r\n", 0, 5, 0, ""},
    {"*-7\r\n", 0, 5, 0, ""},
    {"*1\r\n$10\r\n0123456789\r\n", 0, 21, 1, "0123456789"},
    {"*2\r\n$12\r\nabcdefghijkl\r\n$2\r\n:)\r\n", 0, 31, 2, "abcdefghijkl|:)"},
    /* Redis skips the two bytes after a payload / header '\r' unchecked. */
    {"*1\r\n$3\r\nabcXY", 0, 13, 1, "abc"},
    {"*1\rX$1\r\na\r\n", 0, 11, 1, "a"},
    {"PING\r\n", 0, 6, 1, "PING"},
    {"PING\n", 0, 5, 1, "PING"},
    {"  SET  a   b \r\n", 0, 15, 3, "SET|a|b"},
    {"\r\n", 0, 2, 0, ""},
    {"\n", 0, 1, 0, ""},
    {" \t \n", 0, 4, 0, ""},
    {"SET \"a b\" 'c d'\n", 0, 16, 3, "SET|a b|c d"},
    {"\"\\x41\\x4a\\x6b\\n\\r\\t\\b\\a\\\\\\\"z\"\n", 0, 30, 1, "AJk\n\r\t\b\a\\\"z"},
    {"\"\\x4g\" \"\\q\" \"\\x\"\n", 0, 17, 3, "x4g|q|x"},
    {"'it\\'s' 'a\\nb' '\\\"'\n", 0, 20, 3, "it's|a\\nb|\\\""},
    {"foo\"bar baz\"\n", 0, 13, 1, "foobar baz"},
    {"x\"\\x41\" y'z'\n", 0, 13, 2, "xA|yz"},
    {"\"\" ''\n", 0, 6, 2, "|"},
    {"\"a\"\tb\n", 0, 6, 2, "a|b"},
    {"a\vb \va\n", 0, 7, 2, "a\vb|a"},
    {"GET k\r\r\n", 0, 8, 2, "GET|k"},
    {"\"a\"\r\n", 0, 5, 1, "a"},
    {"$3\r\n", 0, 4, 1, "$3"},
};

struct error_case {
    const char *in;
    int authenticated;
    long long max_bulk;
    const char *err;
};

static const struct error_case errors[] = {
    {"*x\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*+1\r\n", 1, BIG, PE "invalid multibulk length"},
    {"* 1\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*1 \r\n", 1, BIG, PE "invalid multibulk length"},
    {"*01\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*-0\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*-\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*99999999999999999999\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*1048577\r\n", 1, BIG, PE "invalid multibulk length"},
    {"*1048577\r\n", 0, BIG, PE "invalid multibulk length"},
    {"*11\r\n", 0, BIG, PE "unauthenticated multibulk length"},
    {"*1\r\nX3\r\n", 1, BIG, PE "expected '$', got 'X'"},
    {"*1\r\n:3\r\n", 1, BIG, PE "expected '$', got ':'"},
    {"*1\r\n\r\n", 1, BIG, PE "expected '$', got '\r'"},
    {"*2\r\n$1\r\na\r\n*1\r\n", 1, BIG, PE "expected '$', got '*'"},
    {"*1\r\n$-1\r\n", 1, BIG, PE "invalid bulk length"},
    {"*1\r\n$-1\r\n", 0, BIG, PE "invalid bulk length"},
    {"*1\r\n$\r\n", 1, BIG, PE "invalid bulk length"},
    {"*1\r\n$01\r\n", 1, BIG, PE "invalid bulk length"},
    {"*1\r\n$+1\r\n", 1, BIG, PE "invalid bulk length"},
    {"*1\r\n$1x\r\n", 1, BIG, PE "invalid bulk length"},
    {"*1\r\n$9223372036854775808\r\n", 1, BIG, PE "invalid bulk length"},
    {"*1\r\n$101\r\n", 1, 100, PE "invalid bulk length"},
    {"*1\r\n$16385\r\n", 0, BIG, PE "unauthenticated bulk length"},
    {"\"abc\n", 1, BIG, PE "unbalanced quotes in request"},
    {"'abc\n", 1, BIG, PE "unbalanced quotes in request"},
    {"\"abc\"def\n", 1, BIG, PE "unbalanced quotes in request"},
    {"'a'b\n", 1, BIG, PE "unbalanced quotes in request"},
    {"a \"b\"c\n", 1, BIG, PE "unbalanced quotes in request"},
    {"\"\\\"\n", 1, BIG, PE "unbalanced quotes in request"},
    {"'a\\\\'\n", 1, BIG, PE "unbalanced quotes in request"},
    {"\"a\\\"\r\n", 1, BIG, PE "unbalanced quotes in request"},
};

#define NVALID (sizeof(valid) / sizeof(valid[0]))
#define NERRORS (sizeof(errors) / sizeof(errors[0]))

static size_t case_len(const struct valid_case *c)
{
    return c->len ? c->len : strlen(c->in);
}

/* Join argv with '|' into out (NUL-terminated). */
static void join(const struct slice *argv, size_t argc, char *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < argc; i++) {
        if (i && n + 1 < cap)
            out[n++] = '|';
        for (size_t j = 0; j < argv[i].len && n + 1 < cap; j++)
            out[n++] = argv[i].p[j];
    }
    out[n] = '\0';
}

/* A copy of p[0..n) in a new block; the old block (if any) is freed only
 * after the new one exists, so the address always changes. */
static char *moved_copy(char *old, const char *p, size_t n)
{
    char *b = malloc(n ? n : 1);

    memcpy(b, p, n);
    free(old);
    return b;
}

/* Print s[0..n) with C escapes (for failure diagnostics). */
static void print_escaped(const char *what, const char *s, size_t n)
{
    fprintf(stderr, "  %s: \"", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 32 && c < 127 && c != '\\' && c != '"')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "\"\n");
}

static long parse_fresh(char *buf, size_t len, const struct resp_limits *lim, struct slice *argv,
                        size_t *argc, const char **err)
{
    struct resp_state st;

    resp_state_reset(&st);
    return resp_parse(buf, len, lim, &st, argv, MAX_ARGS, argc, err);
}

static void check_valid_result(const struct valid_case *c, long r, const struct slice *argv,
                               size_t argc)
{
    char got[256];

    if (r != c->ret)
        print_escaped("input", c->in, case_len(c));
    CHECK_EQ(r, c->ret);
    CHECK_EQ(argc, c->argc);
    join(argv, argc, got, sizeof(got));
    CHECK_MEM(got, strlen(got), c->args);
}

static void test_valid_whole(void)
{
    for (size_t i = 0; i < NVALID; i++) {
        size_t len = case_len(&valid[i]), argc = 99;
        struct slice argv[MAX_ARGS];
        const char *err = NULL;
        char *buf = moved_copy(NULL, valid[i].in, len);
        long r = parse_fresh(buf, len, &auth_lim, argv, &argc, &err);
        int before = unit_failures;
        check_valid_result(&valid[i], r, argv, argc);
        free(buf);
        if (unit_failures != before)
            return;
    }
}

/* Feed c in two pieces split at k, in a buffer that moves in between. */
static void feed_split(const struct valid_case *c, size_t k)
{
    size_t len = case_len(c), argc = 99;
    struct slice argv[MAX_ARGS];
    struct resp_state st;
    const char *err = NULL;
    char *buf = moved_copy(NULL, c->in, k);
    long r;

    resp_state_reset(&st);
    r = resp_parse(buf, k, &auth_lim, &st, argv, MAX_ARGS, &argc, &err);
    CHECK_EQ(r, RESP_INCOMPLETE);
    buf = moved_copy(buf, c->in, len);
    r = resp_parse(buf, len, &auth_lim, &st, argv, MAX_ARGS, &argc, &err);
    check_valid_result(c, r, argv, argc);
    free(buf);
}

static void test_valid_split(void)
{
    for (size_t i = 0; i < NVALID; i++) {
        int before = unit_failures;
        for (size_t k = 1; k < case_len(&valid[i]); k++)
            feed_split(&valid[i], k);
        if (unit_failures != before)
            return;
    }
}

static void feed_bytewise(const struct valid_case *c)
{
    size_t len = case_len(c), argc = 99;
    struct slice argv[MAX_ARGS];
    struct resp_state st;
    const char *err = NULL;
    char *buf = NULL;
    long r = RESP_INCOMPLETE;

    resp_state_reset(&st);
    for (size_t k = 1; k <= len; k++) {
        CHECK_EQ(r, RESP_INCOMPLETE);
        buf = moved_copy(buf, c->in, k);
        r = resp_parse(buf, k, &auth_lim, &st, argv, MAX_ARGS, &argc, &err);
    }
    check_valid_result(c, r, argv, argc);
    free(buf);
}

static void test_valid_bytewise(void)
{
    for (size_t i = 0; i < NVALID; i++)
        feed_bytewise(&valid[i]);
}

/* End of a read-write page that is followed by a PROT_NONE page. */
static char *guard_page_end(void)
{
    static char *end;
    long page = sysconf(_SC_PAGESIZE);

    if (!end) {
        char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (m == MAP_FAILED)
            abort();
        mprotect(m + page, (size_t)page, PROT_NONE);
        end = m + page;
    }
    return end;
}

/* Parse every prefix of in[0..len) placed flush against the guard page. */
static long parse_guarded(const char *in, size_t len, const struct resp_limits *lim,
                          struct slice *argv, size_t *argc, const char **err)
{
    char *end = guard_page_end();
    long r = RESP_INCOMPLETE;

    for (size_t k = 0; k <= len; k++) {
        memcpy(end - k, in, k);
        r = parse_fresh(end - k, k, lim, argv, argc, err);
    }
    return r;
}

static void test_guard_page(void)
{
    for (size_t i = 0; i < NVALID; i++) {
        size_t argc = 99;
        struct slice argv[MAX_ARGS];
        const char *err = NULL;
        long r = parse_guarded(valid[i].in, case_len(&valid[i]), &auth_lim, argv, &argc, &err);
        check_valid_result(&valid[i], r, argv, argc);
    }
    for (size_t i = 0; i < NERRORS; i++) {
        struct resp_limits lim = {errors[i].max_bulk, errors[i].authenticated};
        struct slice argv[MAX_ARGS];
        size_t argc;
        const char *err = NULL;
        long r = parse_guarded(errors[i].in, strlen(errors[i].in), &lim, argv, &argc, &err);
        CHECK_EQ(r, RESP_ERROR);
        CHECK_MEM(err, strlen(err), errors[i].err);
    }
}

static void check_error_case(const struct error_case *c)
{
    struct resp_limits lim = {c->max_bulk, c->authenticated};
    size_t len = strlen(c->in), argc;
    struct slice argv[MAX_ARGS];
    struct resp_state st;
    const char *err = NULL;
    char *buf = moved_copy(NULL, c->in, len);
    long r = parse_fresh(buf, len, &lim, argv, &argc, &err);

    if (r != RESP_ERROR)
        print_escaped("input", c->in, len);
    CHECK_EQ(r, RESP_ERROR);
    CHECK_MEM(err, strlen(err), c->err);
    /* Byte by byte: incomplete until the error, never anything else. */
    resp_state_reset(&st);
    r = RESP_INCOMPLETE;
    for (size_t k = 1; k <= len && r == RESP_INCOMPLETE; k++) {
        buf = moved_copy(buf, c->in, k);
        r = resp_parse(buf, k, &lim, &st, argv, MAX_ARGS, &argc, &err);
    }
    free(buf);
    CHECK_EQ(r, RESP_ERROR);
    CHECK_MEM(err, strlen(err), c->err);
}

static void test_errors(void)
{
    for (size_t i = 0; i < NERRORS; i++) {
        int before = unit_failures;
        check_error_case(&errors[i]);
        if (unit_failures != before)
            return;
    }
}

/* ---- sessions: a connection's input, fed in arbitrary pieces ---------- */

struct session {
    char *buf;
    size_t len;
    struct resp_state st;
    struct slice *argv;
    size_t cap;
    char log[1024]; /* "args;" per request, "E:<err>;" on error */
    size_t loglen;
    int dead;
};

static void session_init(struct session *s, size_t cap)
{
    memset(s, 0, sizeof(*s));
    resp_state_reset(&s->st);
    s->cap = cap;
    s->argv = cap ? malloc(cap * sizeof(*s->argv)) : NULL;
}

static void session_log(struct session *s, const char *text)
{
    size_t n = strlen(text);

    if (s->loglen + n + 2 > sizeof(s->log))
        abort();
    memcpy(s->log + s->loglen, text, n);
    s->loglen += n;
    s->log[s->loglen++] = ';';
    s->log[s->loglen] = '\0';
}

static void session_run(struct session *s, const struct resp_limits *lim)
{
    for (;;) {
        size_t argc = 0;
        const char *err = NULL;
        char text[600];
        long r = resp_parse(s->buf, s->len, lim, &s->st, s->argv, s->cap, &argc, &err);
        if (r == RESP_INCOMPLETE)
            return;
        if (r == RESP_NEED_ARGV) {
            s->cap = (size_t)s->st.argc_total;
            s->argv = realloc(s->argv, s->cap * sizeof(*s->argv));
            continue;
        }
        if (r == RESP_ERROR) {
            snprintf(text, sizeof(text), "E:%s", err);
            session_log(s, text);
            s->dead = 1;
            return;
        }
        join(s->argv, argc, text, sizeof(text));
        session_log(s, text);
        memmove(s->buf, s->buf + r, s->len - (size_t)r);
        s->len -= (size_t)r;
        resp_state_reset(&s->st);
    }
}

static void session_feed(struct session *s, const char *p, size_t n, const struct resp_limits *lim)
{
    char *nb;

    if (s->dead)
        return;
    nb = malloc(s->len + n + 1);
    if (s->len)
        memcpy(nb, s->buf, s->len);
    memcpy(nb + s->len, p, n);
    free(s->buf);
    s->buf = nb;
    s->len += n;
    session_run(s, lim);
}

static void session_free(struct session *s)
{
    free(s->buf);
    free(s->argv);
}

static const char pipeline[] = "*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                               "*0\r\n\n*-1\r\nSET \"x y\" 'z'\n*3\r\n$1\r\na\r\n$1\r\nb\r\n"
                               "$1\r\nc\r\n*1\r\n$2\r\nhi";
static const char pipeline_log[] = "PING;PING;GET|k;;;;SET|x y|z;a|b|c;";

static void test_pipeline(void)
{
    size_t n = sizeof(pipeline) - 1;

    for (size_t k = 0; k <= n; k++) {
        struct session s;
        session_init(&s, 2);
        session_feed(&s, pipeline, k, &auth_lim);
        session_feed(&s, pipeline + k, n - k, &auth_lim);
        CHECK_MEM(s.log, s.loglen, pipeline_log);
        CHECK_EQ(s.len, 10); /* "*1\r\n$2\r\nhi" still pending */
        CHECK_EQ(resp_bulk_remaining(&s.st, s.len), 2);
        session_free(&s);
    }
}

static void test_pipeline_bytewise(void)
{
    struct session s;

    session_init(&s, 0);
    for (size_t k = 0; k < sizeof(pipeline) - 1; k++)
        session_feed(&s, pipeline + k, 1, &auth_lim);
    CHECK_MEM(s.log, s.loglen, pipeline_log);
    session_free(&s);
}

static void test_need_argv(void)
{
    char in[] = "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n";
    struct slice *argv = malloc(2 * sizeof(*argv));
    struct resp_state st;
    size_t argc = 0;
    const char *err = NULL;
    char got[64];
    long r;

    resp_state_reset(&st);
    r = resp_parse(in, sizeof(in) - 1, &auth_lim, &st, argv, 2, &argc, &err);
    CHECK_EQ(r, RESP_NEED_ARGV);
    CHECK_EQ(st.argc_total, 5);
    CHECK_EQ(st.argc_done, 2);
    argv = realloc(argv, 5 * sizeof(*argv));
    r = resp_parse(in, sizeof(in) - 1, &auth_lim, &st, argv, 5, &argc, &err);
    CHECK_EQ(r, (long)sizeof(in) - 1);
    join(argv, argc, got, sizeof(got));
    CHECK_MEM(got, strlen(got), "a|b|c|d|e");
    /* No argv at all: asks right after the header. */
    resp_state_reset(&st);
    r = resp_parse(in, sizeof(in) - 1, &auth_lim, &st, NULL, 0, &argc, &err);
    CHECK_EQ(r, RESP_NEED_ARGV);
    CHECK_EQ(st.argc_total, 5);
    CHECK_EQ(st.argc_done, 0);
    free(argv);
}

static void test_need_argv_incremental(void)
{
    static const char in[] = "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n";
    size_t n = sizeof(in) - 1;

    for (size_t k = 0; k <= n; k++) {
        for (size_t cap = 0; cap <= 5; cap++) {
            struct session s;
            session_init(&s, cap);
            session_feed(&s, in, k, &auth_lim);
            session_feed(&s, in + k, n - k, &auth_lim);
            CHECK_MEM(s.log, s.loglen, "a|b|c|d|e;");
            session_free(&s);
        }
    }
}

static void test_need_argv_inline(void)
{
    char in[] = "a \"b c\" 'd' e\n";
    char orig[sizeof(in)];
    struct slice argv[4];
    struct resp_state st;
    size_t argc = 0;
    const char *err = NULL;
    char got[64];
    long r;

    memcpy(orig, in, sizeof(in));
    resp_state_reset(&st);
    r = resp_parse(in, sizeof(in) - 1, &auth_lim, &st, argv, 2, &argc, &err);
    CHECK_EQ(r, RESP_NEED_ARGV);
    CHECK_EQ(st.argc_total, 4);
    CHECK(memcmp(in, orig, sizeof(in)) == 0); /* nothing unescaped yet */
    r = resp_parse(in, sizeof(in) - 1, &auth_lim, &st, argv, 4, &argc, &err);
    CHECK_EQ(r, (long)sizeof(in) - 1);
    join(argv, argc, got, sizeof(got));
    CHECK_MEM(got, strlen(got), "a|b c|d|e");
    /* A bad line reports the error before any NEED_ARGV and stays intact. */
    char bad[] = "a b c \"d\n";
    memcpy(orig, bad, sizeof(bad));
    resp_state_reset(&st);
    r = resp_parse(bad, sizeof(bad) - 1, &auth_lim, &st, argv, 1, &argc, &err);
    CHECK_EQ(r, RESP_ERROR);
    CHECK(memcmp(bad, orig, sizeof(bad)) == 0);
}

static void test_rebase(void)
{
    static const char part[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n";
    static const char all[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    struct slice argv[3];
    struct resp_state st;
    size_t argc = 0;
    const char *err = NULL;
    char *a = moved_copy(NULL, part, sizeof(part) - 1), *b;
    long r;

    resp_state_reset(&st);
    r = resp_parse(a, sizeof(part) - 1, &auth_lim, &st, argv, 3, &argc, &err);
    CHECK_EQ(r, RESP_INCOMPLETE);
    CHECK_EQ(st.argc_done, 2);
    CHECK(argv[0].p == a + 8);
    b = moved_copy(a, all, sizeof(all) - 1);
    r = resp_parse(b, sizeof(all) - 1, &auth_lim, &st, argv, 3, &argc, &err);
    CHECK_EQ(r, (long)sizeof(all) - 1);
    CHECK_EQ(argc, 3);
    CHECK(argv[0].p == b + 8);
    CHECK(argv[1].p == b + 17);
    CHECK(argv[2].p == b + 24);
    free(b);
}

static void test_binary(void)
{
    static const char in[] = "*2\r\n$3\r\nSET\r\n$6\r\na\0\r\nb\n\r\n*1\r\n$4\r\n\r\n\r\n\r\n";
    char in2[] = "a\0b \"\\x00\\xff\"\n";
    char in3[] = "*1\r\n\0\r\n";
    struct slice argv[MAX_ARGS];
    size_t argc = 0;
    const char *err = NULL;
    char buf[sizeof(in)];
    long r;

    memcpy(buf, in, sizeof(in));
    r = parse_fresh(buf, sizeof(in) - 1, &auth_lim, argv, &argc, &err);
    CHECK_EQ(r, 25);
    CHECK_EQ(argc, 2);
    CHECK(argv[1].len == 6 && memcmp(argv[1].p, "a\0\r\nb\n", 6) == 0);
    r = parse_fresh(buf + 25, sizeof(in) - 1 - 25, &auth_lim, argv, &argc, &err);
    CHECK_EQ(r, 14);
    CHECK(argv[0].len == 4 && memcmp(argv[0].p, "\r\n\r\n", 4) == 0);
    r = parse_fresh(in2, sizeof(in2) - 1, &auth_lim, argv, &argc, &err);
    CHECK_EQ(r, (long)sizeof(in2) - 1);
    CHECK_EQ(argc, 2);
    CHECK(argv[0].len == 3 && memcmp(argv[0].p, "a\0b", 3) == 0);
    CHECK(argv[1].len == 2 && memcmp(argv[1].p, "\0\xff", 2) == 0);
    /* As Redis, a NUL byte cuts the "got" text short. */
    r = parse_fresh(in3, sizeof(in3) - 1, &auth_lim, argv, &argc, &err);
    CHECK_EQ(r, RESP_ERROR);
    CHECK_MEM(err, strlen(err), PE "expected '$', got '");
}

/* A buffer of n copies of c, then the NUL-terminated tail. */
static char *filled(char first, char c, size_t n, const char *tail, size_t *len)
{
    size_t t = strlen(tail);
    char *b = malloc(n + t + 1);

    memset(b, c, n);
    b[0] = first;
    memcpy(b + n, tail, t + 1);
    *len = n + t;
    return b;
}

static void expect(char *buf, size_t len, const struct resp_limits *lim, long want,
                   const char *want_err)
{
    struct slice argv[MAX_ARGS];
    size_t argc;
    const char *err = NULL;
    long r = parse_fresh(buf, len, lim, argv, &argc, &err);

    free(buf);
    CHECK_EQ(r, want);
    if (want_err)
        CHECK_MEM(err, strlen(err), want_err);
}

/* Parse first, n-1 copies of c, then tail; expect want (and want_err). */
static void expect_filled(char first, char c, size_t n, const char *tail, long want,
                          const char *want_err)
{
    size_t len;
    char *buf = filled(first, c, n, tail, &len);

    expect(buf, len, &auth_lim, want, want_err);
}

static void test_line_limits(void)
{
    expect_filled('a', 'a', 65536, "\n", 65537, NULL);
    expect_filled('a', 'a', 65536, "", RESP_INCOMPLETE, NULL);
    expect_filled('a', 'a', 65537, "", RESP_ERROR, PE "too big inline request");
    expect_filled('a', 'a', 65537, "\n", RESP_ERROR, PE "too big inline request");
    expect_filled('*', '1', 65536, "", RESP_INCOMPLETE, NULL);
    expect_filled('*', '1', 65537, "", RESP_ERROR, PE "too big mbulk count string");
    expect_filled('*', '1', 65536, "\r\n", RESP_ERROR, PE "invalid multibulk length");
    expect_filled('*', '1', 65537, "\r\n", RESP_ERROR, PE "too big mbulk count string");
}

static void test_bulk_header_limit(void)
{
    size_t n;
    char *b = filled('$', '1', 65537, "", &n);
    char *in = malloc(n + 4);

    memcpy(in, "*1\r\n", 4);
    memcpy(in + 4, b, n);
    free(b);
    expect(in, n + 4, &auth_lim, RESP_ERROR, PE "too big bulk count string");
    in = malloc(n + 3);
    memcpy(in, "*1\r\n", 4);
    memset(in + 4, '1', n - 1);
    in[4] = '$';
    expect(in, n + 3, &auth_lim, RESP_INCOMPLETE, NULL);
}

static void test_count_limits(void)
{
    static const struct resp_limits unauth = {BIG, 0}, small = {100, 1};
    size_t argc;
    struct slice argv[MAX_ARGS];
    const char *err;
    char in1[] = "*1048576\r\n", in2[] = "*10\r\n", in3[] = "*1\r\n$16384\r\n";
    char in4[] = "*1\r\n$100\r\n", in5[] = "*1\r\n$1\r\n";

    CHECK_EQ(parse_fresh(in1, strlen(in1), &auth_lim, argv, &argc, &err), RESP_INCOMPLETE);
    CHECK_EQ(parse_fresh(in2, strlen(in2), &unauth, argv, &argc, &err), RESP_INCOMPLETE);
    CHECK_EQ(parse_fresh(in3, strlen(in3), &unauth, argv, &argc, &err), RESP_INCOMPLETE);
    CHECK_EQ(parse_fresh(in4, strlen(in4), &small, argv, &argc, &err), RESP_INCOMPLETE);
    /* NULL limits: authenticated, 512 MB. */
    CHECK_EQ(parse_fresh(in5, strlen(in5), NULL, argv, &argc, &err), RESP_INCOMPLETE);
}

static void test_big_bulk(void)
{
    size_t payload = 3 * 1024 * 1024 + 7, total = 0, pos = 0;
    char head[32];
    int hl = snprintf(head, sizeof(head), "*1\r\n$%zu\r\n", payload);
    char *msg = malloc((size_t)hl + payload + 2), *buf = NULL;
    struct slice argv[1];
    struct resp_state st;
    size_t argc = 0;
    const char *err = NULL;
    long r = RESP_INCOMPLETE;

    memcpy(msg, head, (size_t)hl);
    for (size_t i = 0; i < payload; i++)
        msg[hl + i] = "\r\n$*x"[i % 5];
    memcpy(msg + hl + payload, "\r\n", 2);
    total = (size_t)hl + payload + 2;
    resp_state_reset(&st);
    while (r == RESP_INCOMPLETE && pos < total) {
        size_t step = pos < 16 ? 3 : 65536 + 11;
        pos = pos + step > total ? total : pos + step;
        buf = moved_copy(buf, msg, pos);
        r = resp_parse(buf, pos, &auth_lim, &st, argv, 1, &argc, &err);
        if (r == RESP_INCOMPLETE && pos > (size_t)hl)
            CHECK_EQ(resp_bulk_remaining(&st, pos), total - pos);
    }
    CHECK_EQ(r, (long)total);
    CHECK(argv[0].p == buf + hl && argv[0].len == payload);
    CHECK(memcmp(argv[0].p, msg + hl, payload) == 0);
    free(buf);
    free(msg);
}

static void test_bulk_remaining(void)
{
    char in[] = "*1\r\n$100\r\nabc";
    struct slice argv[1];
    struct resp_state st;
    size_t argc;
    const char *err;

    resp_state_reset(&st);
    CHECK_EQ(resp_bulk_remaining(&st, 0), 0);
    CHECK_EQ(resp_parse(in, 6, &auth_lim, &st, argv, 1, &argc, &err), RESP_INCOMPLETE);
    CHECK_EQ(resp_bulk_remaining(&st, 6), 0); /* header not complete yet */
    CHECK_EQ(resp_parse(in, 13, &auth_lim, &st, argv, 1, &argc, &err), RESP_INCOMPLETE);
    CHECK_EQ(resp_bulk_remaining(&st, 13), 99);
}

int main(void)
{
    RUN(test_valid_whole);
    RUN(test_valid_split);
    RUN(test_valid_bytewise);
    RUN(test_guard_page);
    RUN(test_errors);
    RUN(test_pipeline);
    RUN(test_pipeline_bytewise);
    RUN(test_need_argv);
    RUN(test_need_argv_incremental);
    RUN(test_need_argv_inline);
    RUN(test_rebase);
    RUN(test_binary);
    RUN(test_line_limits);
    RUN(test_bulk_header_limit);
    RUN(test_count_limits);
    RUN(test_big_bulk);
    RUN(test_bulk_remaining);
    UNIT_DONE();
}
