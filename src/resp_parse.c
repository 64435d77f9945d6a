/*
 * resp_parse.c - incremental request parser (see resp_parse.h).
 *
 * Design
 *
 * The parser is a pure function of (buffer, limits, resume state).  A
 * request starting with '*' is a multibulk, anything else an inline line.
 *
 * Multibulk: the "*N" header is parsed once; st->argc_total then records
 * N.  Each "$len" header sets st->bulk_len and advances st->pos past the
 * header; the payload is taken only when all len+2 bytes are present, by
 * length, never by scanning it.  Each finished argument bumps
 * st->argc_done, so a resumed call continues with the next header and
 * never looks at earlier arguments again.  If the caller's buffer moved
 * (realloc) between calls, the slices already in argv are shifted by the
 * address difference (integer arithmetic on uintptr_t, so no pointer into
 * a freed block is ever formed by pointer arithmetic).
 *
 * Header lines follow Redis: the line ends at the first '\r', the byte
 * after it is assumed to be '\n' and skipped unchecked, the number between
 * the type byte and the '\r' must satisfy string2ll rules (optional '-',
 * no '+', no spaces, no leading zeros).  A payload's trailing two bytes
 * are skipped unchecked as Redis does.  The common case "$3\r" is decoded
 * by a fused digit loop; anything unusual goes through the general path
 * (memchr for '\r', then the strict number parser).
 *
 * Size limits are applied so that the outcome never depends on how the
 * bytes were split across reads: a header or inline line is "too big"
 * when its terminator is not within the first 64 KB + 1 bytes of the
 * line, whether or not more bytes have arrived yet.  Redis checks the same
 * threshold on whatever happens to be buffered, which is the same thing
 * for clients that send the line in pieces.
 *
 * NEED_ARGV is returned lazily for multibulks: only when argument number
 * argv_cap is about to be parsed.  The caller grows argv keeping its
 * contents (realloc), e.g. straight to st->argc_total, and calls again.
 *
 * Inline lines are split like Redis's sdssplitargs and unescaped in place.
 * A first pass counts and validates without writing; a second, writing
 * pass runs only if the line has quotes and the arguments fit, so a
 * NEED_ARGV or an error leaves the buffer untouched.  Unquoted arguments
 * need no writing at all.  Deliberate deviation: a NUL byte in an inline
 * line is an ordinary byte (Redis's strchr-based scan would stall on it).
 */
#include "resp_parse.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define LINE_SCAN_MAX ((size_t)RESP_MAX_INLINE + 1)
#define UNAUTH_MAX_MULTIBULK 10
#define UNAUTH_MAX_BULK 16384
#define DEFAULT_MAX_BULK (512LL * 1024 * 1024)

#define PROTO_ERR "ERR Protocol error: "
static const char err_mbulk_len[] = PROTO_ERR "invalid multibulk length";
static const char err_bulk_len[] = PROTO_ERR "invalid bulk length";
static const char err_mbulk_big[] = PROTO_ERR "too big mbulk count string";
static const char err_bulk_big[] = PROTO_ERR "too big bulk count string";
static const char err_unauth_mbulk[] = PROTO_ERR "unauthenticated multibulk length";
static const char err_unauth_bulk[] = PROTO_ERR "unauthenticated bulk length";
static const char err_quotes[] = PROTO_ERR "unbalanced quotes in request";
static const char err_inline_big[] = PROTO_ERR "too big inline request";

/* Result of reading a header line. */
enum { HDR_TOO_BIG = -1, HDR_INCOMPLETE = 0, HDR_OK = 1 };

/* string2ll rules over s[0..n): 1 on success. */
static int parse_ll(const char *s, size_t n, long long *out)
{
    unsigned long long v = 0, limit = (unsigned long long)LLONG_MAX;
    size_t i = 0;
    int neg = 0;

    if (n == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (n > 0 && s[0] == '-') {
        neg = 1;
        limit += 1;
        i = 1;
    }
    if (i == n || s[i] < '1' || s[i] > '9')
        return 0;
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > (limit - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = neg ? (long long)(0ULL - v) : (long long)v;
    return 1;
}

/*
 * Read the header line starting at buf[at] (its type byte).  On HDR_OK,
 * *cr is the index of the terminating '\r' (the byte after it exists) and
 * *ok says whether the text between type byte and '\r' is a valid number,
 * stored in *val.
 */
static int read_header(const char *buf, size_t len, size_t at, size_t *cr, long long *val, int *ok)
{
    size_t i = at + 1, avail = len - at;
    unsigned long long v = 0;
    const char *p;

    /* Fast path: 1..18 digits, no leading zero, then '\r' and one more byte. */
    while (i < len && i - at <= 18 && (unsigned)(buf[i] - '0') <= 9)
        v = v * 10 + (unsigned)(buf[i++] - '0');
    if (i > at + 1 && i + 1 < len && buf[i] == '\r' && (buf[at + 1] != '0' || i == at + 2)) {
        *cr = i;
        *val = (long long)v;
        *ok = 1;
        return HDR_OK;
    }
    p = memchr(buf + at, '\r', avail < LINE_SCAN_MAX ? avail : LINE_SCAN_MAX);
    if (!p)
        return avail > RESP_MAX_INLINE ? HDR_TOO_BIG : HDR_INCOMPLETE;
    *cr = (size_t)(p - buf);
    if (*cr + 1 >= len)
        return HDR_INCOMPLETE;
    *ok = *cr > at && parse_ll(buf + at + 1, *cr - at - 1, val);
    return HDR_OK;
}

static long fail(const char **err, const char *msg)
{
    *err = msg;
    return RESP_ERROR;
}

/* Parse "*N\r\n" at buf[0]; 1 when done, else RESP_INCOMPLETE/RESP_ERROR. */
static long mbulk_header(const char *buf, size_t len, const struct resp_limits *lim,
                         long long *total, size_t *pos, const char **err)
{
    size_t cr;
    long long n = 0;
    int ok = 0, r = read_header(buf, len, 0, &cr, &n, &ok);

    if (r == HDR_INCOMPLETE)
        return RESP_INCOMPLETE;
    if (r == HDR_TOO_BIG)
        return fail(err, err_mbulk_big);
    if (!ok || n > RESP_MAX_MULTIBULK)
        return fail(err, err_mbulk_len);
    if (!lim->authenticated && n > UNAUTH_MAX_MULTIBULK)
        return fail(err, err_unauth_mbulk);
    *total = n;
    *pos = cr + 2;
    return 1;
}

static const char *dollar_error(char got)
{
    /* Per thread: the text must outlive the call.  A NUL byte ends the
     * text early, exactly as Redis's printf-into-sds does. */
    static _Thread_local char text[64];

    snprintf(text, sizeof(text), PROTO_ERR "expected '$', got '%c'", got);
    return text;
}

/* Parse "$len\r\n" at buf[*pos]; 1 when done, else INCOMPLETE/ERROR. */
static long bulk_header(const char *buf, size_t len, const struct resp_limits *lim, long long *blen,
                        size_t *pos, const char **err)
{
    size_t cr;
    long long n = 0;
    int ok = 0, r = read_header(buf, len, *pos, &cr, &n, &ok);

    if (r == HDR_INCOMPLETE)
        return RESP_INCOMPLETE;
    if (r == HDR_TOO_BIG)
        return fail(err, err_bulk_big);
    if (buf[*pos] != '$')
        return fail(err, dollar_error(buf[*pos]));
    if (!ok || n < 0 || n > lim->max_bulk_len)
        return fail(err, err_bulk_len);
    if (!lim->authenticated && n > UNAUTH_MAX_BULK)
        return fail(err, err_unauth_bulk);
    *blen = n;
    *pos = cr + 2;
    return 1;
}

static long parse_multibulk(char *buf, size_t len, const struct resp_limits *lim,
                            struct resp_state *st, struct slice *argv, size_t argv_cap,
                            size_t *argc, const char **err)
{
    size_t pos = st->pos, done = st->argc_done;
    long long total = st->argc_total, blen = st->bulk_len;
    long r = RESP_INCOMPLETE;

    if (total < 0) {
        r = mbulk_header(buf, len, lim, &total, &pos, err);
        if (r != 1)
            return r;
    }
    while (total > 0 && done < (size_t)total) {
        if (blen < 0) {
            if (done >= argv_cap) {
                r = RESP_NEED_ARGV;
                break;
            }
            r = bulk_header(buf, len, lim, &blen, &pos, err);
            if (r != 1)
                break;
        }
        if (len - pos < (size_t)blen + 2) {
            r = RESP_INCOMPLETE;
            break;
        }
        argv[done].p = buf + pos;
        argv[done].len = (size_t)blen;
        done++;
        pos += (size_t)blen + 2;
        blen = -1;
    }
    if (total <= 0 || done == (size_t)total) {
        *argc = done;
        resp_state_reset(st);
        return (long)pos;
    }
    st->pos = pos;
    st->argc_done = done;
    st->argc_total = total;
    st->bulk_len = blen;
    return r;
}

/* ---- inline requests ------------------------------------------------- */

struct splitter {
    char *s;
    size_t n;    /* line length */
    size_t r, w; /* read and write index */
    int write;   /* 0: count and validate only */
    int quoted;  /* a quote was seen */
};

/* isspace() in the C locale. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Value of the "\xHH" escape at s[r], or -1 when s[r..] is not one. */
static int hex_escape(const char *s, size_t r, size_t n)
{
    int hi, lo;

    if (r + 3 >= n || s[r] != '\\' || s[r + 1] != 'x')
        return -1;
    hi = hex_val(s[r + 2]);
    lo = hex_val(s[r + 3]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

static void put(struct splitter *sp, char c)
{
    if (sp->write)
        sp->s[sp->w] = c;
    sp->w++;
}

/* After a closing quote: the argument ends; the next byte must be a
 * space or the end of the line. */
static int close_quote(struct splitter *sp)
{
    sp->r++;
    return sp->r < sp->n && !is_space(sp->s[sp->r]) ? -1 : 0;
}

static char unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* "double quoted" part: \xHH and C-like escapes.  0 or -1 (unbalanced). */
static int scan_dquote(struct splitter *sp)
{
    const char *s = sp->s;

    for (sp->r++; sp->r < sp->n;) {
        size_t r = sp->r;
        int hex = hex_escape(s, r, sp->n);
        if (hex >= 0) {
            put(sp, (char)hex);
            sp->r += 4;
        } else if (s[r] == '\\' && r + 1 < sp->n) {
            put(sp, unescape(s[r + 1]));
            sp->r += 2;
        } else if (s[r] == '"') {
            return close_quote(sp);
        } else {
            put(sp, s[r]);
            sp->r++;
        }
    }
    return -1;
}

/* 'single quoted' part: only \' is an escape.  0 or -1 (unbalanced). */
static int scan_squote(struct splitter *sp)
{
    const char *s = sp->s;

    for (sp->r++; sp->r < sp->n;) {
        size_t r = sp->r;
        if (s[r] == '\\' && r + 1 < sp->n && s[r + 1] == '\'') {
            put(sp, '\'');
            sp->r += 2;
        } else if (s[r] == '\'') {
            return close_quote(sp);
        } else {
            put(sp, s[r]);
            sp->r++;
        }
    }
    return -1;
}

/* One argument starting at sp->r (not a space).  0 or -1. */
static int scan_arg(struct splitter *sp)
{
    while (sp->r < sp->n) {
        char c = sp->s[sp->r];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            return 0;
        if (c == '"' || c == '\'') {
            sp->quoted = 1;
            return c == '"' ? scan_dquote(sp) : scan_squote(sp);
        }
        put(sp, c);
        sp->r++;
    }
    return 0;
}

/* Split s[0..n) into argv (at most cap stored); returns the number of
 * arguments, or -1 on unbalanced quotes. */
static long split_args(struct splitter *sp, struct slice *argv, size_t cap)
{
    long count = 0;

    sp->r = 0;
    for (;;) {
        size_t start;
        while (sp->r < sp->n && is_space(sp->s[sp->r]))
            sp->r++;
        if (sp->r == sp->n)
            return count;
        start = sp->w = sp->r;
        if (scan_arg(sp) < 0)
            return -1;
        if ((size_t)count < cap) {
            argv[count].p = sp->s + start;
            argv[count].len = sp->w - start;
        }
        count++;
    }
}

long resp_split_words(char *s, size_t n, struct slice *argv, size_t cap)
{
    struct splitter sp = {s, n, 0, 0, 0, 0};
    long count = split_args(&sp, argv, cap);
    if (count >= 0 && (size_t)count <= cap && sp.quoted) {
        sp.write = 1;
        split_args(&sp, argv, cap);
    }
    return count;
}

static long parse_inline(char *buf, size_t len, struct resp_state *st, struct slice *argv,
                         size_t argv_cap, size_t *argc, const char **err)
{
    size_t lim = len < LINE_SCAN_MAX ? len : LINE_SCAN_MAX;
    size_t from = st->pos < lim ? st->pos : lim, eol;
    const char *nl = memchr(buf + from, '\n', lim - from);
    struct splitter sp = {buf, 0, 0, 0, 0, 0};
    long count;

    if (!nl) {
        if (len > RESP_MAX_INLINE)
            return fail(err, err_inline_big);
        st->pos = lim; /* no need to look at these bytes again */
        return RESP_INCOMPLETE;
    }
    eol = (size_t)(nl - buf);
    sp.n = eol > 0 && buf[eol - 1] == '\r' ? eol - 1 : eol;
    count = split_args(&sp, argv, argv_cap);
    if (count < 0)
        return fail(err, err_quotes);
    if ((size_t)count > argv_cap) {
        st->pos = eol;
        st->argc_total = count;
        return RESP_NEED_ARGV;
    }
    if (sp.quoted) {
        sp.write = 1;
        split_args(&sp, argv, argv_cap);
    }
    *argc = (size_t)count;
    resp_state_reset(st);
    return (long)eol + 1;
}

/* ---- entry points ---------------------------------------------------- */

static void rebase(struct resp_state *st, const char *buf, struct slice *argv)
{
    uintptr_t now = (uintptr_t)buf;

    if (st->argc_done > 0 && st->base != now) {
        uintptr_t delta = now - st->base; /* modular: works both ways */
        for (size_t i = 0; i < st->argc_done; i++)
            argv[i].p = (const char *)((uintptr_t)argv[i].p + delta);
    }
    st->base = now;
}

long resp_parse(char *buf, size_t len, const struct resp_limits *lim, struct resp_state *st,
                struct slice *argv, size_t argv_cap, size_t *argc, const char **err)
{
    static const struct resp_limits defaults = {DEFAULT_MAX_BULK, 1};

    if (len == 0)
        return RESP_INCOMPLETE;
    if (!lim)
        lim = &defaults;
    rebase(st, buf, argv);
    if (buf[0] == '*')
        return parse_multibulk(buf, len, lim, st, argv, argv_cap, argc, err);
    return parse_inline(buf, len, st, argv, argv_cap, argc, err);
}

size_t resp_bulk_remaining(const struct resp_state *st, size_t len)
{
    size_t need;

    if (st->bulk_len < 0)
        return 0;
    need = st->pos + (size_t)st->bulk_len + 2;
    return need > len ? need - len : 0;
}
