/*
 * fuzz_resp_parse.c - libFuzzer target for the request parser.
 *
 * The input is a connection's byte stream.  It is parsed three ways: all
 * at once, in two pieces split at a point derived from the data, and (for
 * small inputs) one byte at a time.  Every piece is appended into a newly
 * allocated buffer, so the parser has to rebase the arguments it already
 * stored.  Each way records a transcript (consumed bytes, arguments,
 * error text, final resume state); the transcripts must be identical, and
 * every result is checked for internal consistency (slices inside the
 * consumed bytes, counts within the argv capacity).
 *
 * Limits (authenticated or not, small proto-max-bulk-len) and the initial
 * argv capacity are derived from a hash of the data, so corpus files are
 * plain protocol text.  Only resp_parse.c is needed; plain libc malloc is
 * used here since this is a test harness.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp_parse.h"

#define FUZZ_ASSERT(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct conn {
    char *buf;
    size_t len;
    struct resp_state st;
    struct slice *argv;
    size_t cap;
    char *log; /* transcript */
    size_t loglen, logcap;
    int dead;
};

static void conn_init(struct conn *c, size_t cap)
{
    memset(c, 0, sizeof(*c));
    resp_state_reset(&c->st);
    c->cap = cap;
    c->argv = malloc((cap ? cap : 1) * sizeof(*c->argv));
    FUZZ_ASSERT(c->argv);
}

static void conn_free(struct conn *c)
{
    free(c->buf);
    free(c->argv);
    free(c->log);
}

static void log_put(struct conn *c, const void *p, size_t n)
{
    if (c->loglen + n > c->logcap) {
        size_t cap = c->logcap ? c->logcap * 2 : 256;
        while (cap < c->loglen + n)
            cap *= 2;
        c->log = realloc(c->log, cap);
        FUZZ_ASSERT(c->log);
        c->logcap = cap;
    }
    memcpy(c->log + c->loglen, p, n);
    c->loglen += n;
}

static void log_num(struct conn *c, char tag, long long v)
{
    log_put(c, &tag, 1);
    log_put(c, &v, sizeof(v));
}

static void record_request(struct conn *c, long r, size_t argc)
{
    FUZZ_ASSERT(r > 0 && (size_t)r <= c->len);
    FUZZ_ASSERT(argc <= c->cap);
    log_num(c, 'R', r);
    log_num(c, 'n', (long long)argc);
    for (size_t i = 0; i < argc; i++) {
        const char *p = c->argv[i].p;
        FUZZ_ASSERT(p >= c->buf && p + c->argv[i].len <= c->buf + r);
        log_num(c, 'a', (long long)c->argv[i].len);
        log_put(c, p, c->argv[i].len);
    }
    memmove(c->buf, c->buf + r, c->len - (size_t)r);
    c->len -= (size_t)r;
    resp_state_reset(&c->st);
}

static void grow_argv(struct conn *c)
{
    long long want = c->st.argc_total;

    FUZZ_ASSERT(want > (long long)c->cap && want <= RESP_MAX_MULTIBULK);
    c->argv = realloc(c->argv, (size_t)want * sizeof(*c->argv));
    FUZZ_ASSERT(c->argv);
    c->cap = (size_t)want;
}

/* Parse everything parseable in the buffer. */
static void conn_run(struct conn *c, const struct resp_limits *lim)
{
    while (!c->dead) {
        size_t argc = 0;
        const char *err = NULL;
        long r = resp_parse(c->buf, c->len, lim, &c->st, c->argv, c->cap, &argc, &err);
        if (r == RESP_INCOMPLETE) {
            FUZZ_ASSERT(c->st.pos <= c->len);
            return;
        }
        if (r == RESP_NEED_ARGV) {
            grow_argv(c);
        } else if (r == RESP_ERROR) {
            FUZZ_ASSERT(err && strncmp(err, "ERR Protocol error: ", 20) == 0);
            log_put(c, "E", 1);
            log_put(c, err, strlen(err) + 1);
            c->dead = 1;
        } else {
            record_request(c, r, argc);
        }
    }
}

/* Append n bytes in a freshly allocated buffer (the old one is freed
 * after the copy, so the address changes), then parse. */
static void conn_feed(struct conn *c, const uint8_t *p, size_t n, const struct resp_limits *lim)
{
    char *nb;

    if (c->dead)
        return;
    nb = malloc(c->len + n + 1);
    FUZZ_ASSERT(nb);
    if (c->len)
        memcpy(nb, c->buf, c->len);
    if (n)
        memcpy(nb + c->len, p, n);
    free(c->buf);
    c->buf = nb;
    c->len += n;
    conn_run(c, lim);
}

static void conn_finish(struct conn *c)
{
    log_num(c, 'L', c->dead ? -1 : (long long)c->len);
    if (c->dead)
        return;
    log_num(c, 'p', (long long)c->st.pos);
    log_num(c, 'd', (long long)c->st.argc_done);
    log_num(c, 't', c->st.argc_total);
    log_num(c, 'b', c->st.bulk_len);
}

static uint64_t hash(const uint8_t *d, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 1099511628211ULL;
    return h;
}

static void same_transcript(const struct conn *a, const struct conn *b)
{
    FUZZ_ASSERT(a->loglen == b->loglen);
    FUZZ_ASSERT(a->loglen == 0 || memcmp(a->log, b->log, a->loglen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = hash(data, size);
    struct resp_limits lim = {512LL * 1024 * 1024, (h & 3) != 0};
    size_t cap = (size_t)(h >> 5) & 3, split = (size_t)((h >> 8) % (size + 1));
    struct conn whole, two;

    if ((h & 0x1c) == 0)
        lim.max_bulk_len = 64;
    conn_init(&whole, cap);
    conn_feed(&whole, data, size, &lim);
    conn_finish(&whole);
    conn_init(&two, cap);
    conn_feed(&two, data, split, &lim);
    conn_feed(&two, data + split, size - split, &lim);
    conn_finish(&two);
    same_transcript(&whole, &two);
    conn_free(&two);
    if (size <= 2048) {
        struct conn bytes;
        conn_init(&bytes, cap);
        for (size_t i = 0; i < size; i++)
            conn_feed(&bytes, data + i, 1, &lim);
        conn_finish(&bytes);
        same_transcript(&whole, &bytes);
        conn_free(&bytes);
    }
    conn_free(&whole);
    return 0;
}
