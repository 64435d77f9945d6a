/*
 * buf.c - growable byte buffer (see buf.h).
 *
 * Design: a plain (data, len, cap) triple.  Growth doubles the capacity
 * (or jumps straight to the requested size when that is larger) so that
 * appending n bytes one at a time costs O(n) amortised.  Integers are
 * formatted with a two-digits-at-a-time table instead of printf because
 * reply headers ("$5\r\n", ":42\r\n") are written for every reply.
 * All memory goes through mem.h.
 */
#include "lib/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/mem.h"

#define BUF_MIN_CAP 64

/* "00" "01" ... "99": the decimal text of every two-digit pair. */
#define PAIR_ROW(d) d "0" d "1" d "2" d "3" d "4" d "5" d "6" d "7" d "8" d "9"
static const char digit_pairs[] = PAIR_ROW("0") PAIR_ROW("1") PAIR_ROW("2") PAIR_ROW("3")
    PAIR_ROW("4") PAIR_ROW("5") PAIR_ROW("6") PAIR_ROW("7") PAIR_ROW("8") PAIR_ROW("9");

size_t buf_fmt_ull(char *dst, unsigned long long v)
{
    char tmp[20];
    char *p = tmp + sizeof(tmp);
    size_t n;

    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    }
    if (v >= 10) {
        unsigned i = (unsigned)v * 2;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    } else {
        *--p = (char)('0' + v);
    }
    n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(dst, p, n);
    return n;
}

size_t buf_fmt_ll(char *dst, long long v)
{
    if (v < 0) {
        *dst = '-';
        /* 0 - v in unsigned arithmetic is exact even for LLONG_MIN. */
        return 1 + buf_fmt_ull(dst + 1, 0ULL - (unsigned long long)v);
    }
    return buf_fmt_ull(dst, (unsigned long long)v);
}

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(struct buf *b)
{
    mem_free(b->data);
    buf_init(b);
}

static void buf_grow(struct buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap * 2 : BUF_MIN_CAP;

    if (cap < need)
        cap = need;
    b->data = mem_realloc(b->data, cap);
    b->cap = cap;
}

char *buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len < n)
        buf_grow(b, b->len + n);
    return b->data + b->len;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    const char *src = p;

    if (n == 0)
        return;
    if (b->cap - b->len < n) {
        /* p may point into our own data, which growing would free. */
        int inside = b->data && src >= b->data && src < b->data + b->len;
        size_t off = inside ? (size_t)(src - b->data) : 0;
        buf_grow(b, b->len + n);
        if (inside)
            src = b->data + off;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

void buf_append_byte(struct buf *b, char c)
{
    if (b->len == b->cap)
        buf_grow(b, b->len + 1);
    b->data[b->len++] = c;
}

void buf_append_str(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_append_ll(struct buf *b, long long v)
{
    char *p = buf_reserve(b, 21);
    b->len += buf_fmt_ll(p, v);
}

void buf_append_ull(struct buf *b, unsigned long long v)
{
    char *p = buf_reserve(b, 20);
    b->len += buf_fmt_ull(p, v);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    size_t room;
    int n;

    buf_reserve(b, BUF_MIN_CAP);
    room = b->cap - b->len;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n >= room) {
        buf_reserve(b, (size_t)n + 1);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    if (n > 0)
        b->len += (size_t)n;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_clear(struct buf *b)
{
    b->len = 0;
}

void buf_shrink(struct buf *b, size_t keep_cap)
{
    size_t want = b->len > keep_cap ? b->len : keep_cap;

    if (b->cap <= want)
        return;
    if (want == 0) {
        buf_free(b);
        return;
    }
    b->data = mem_realloc(b->data, want);
    b->cap = want;
}
