/*
 * resp_write.c - reply encoder for RESP2 and RESP3 (see resp_write.h).
 *
 * Design
 *
 * Every function appends complete protocol text to the caller's struct
 * buf.  The hot ones (bulk, integer, array and status replies) reserve the
 * worst-case room once and write in place: no printf, one bounds check,
 * integers formatted by buf_fmt_ll.
 *
 * Deferred aggregate lengths write nothing when deferred: the handle is
 * the current buffer offset, and resp_set_deferred_* later inserts the
 * header there with a memmove of the bytes written since.  Consequence:
 * handles must be filled in reverse order of creation (LIFO, innermost
 * first), because filling one shifts every byte after it, including the
 * positions of handles created later.
 *
 * Doubles follow Redis 7.2+/8 (d2string): "nan", "inf", "-inf", "0", "-0";
 * integral values within +-LLONG_MAX/2 print as integers; anything else
 * prints the shortest digit string that reads back to the same double
 * (found with %.{15,16,17}e and strtod), laid out as Redis's fpconv does:
 * plain digits with up to 7 trailing zeros, decimal notation when the
 * exponent is small, else "d.ddde+X" with no exponent padding.
 *
 * Errors: a message starting with '-' is written as is; a message whose
 * first word is an error code ([A-Z0-9_]+ then a space) also; otherwise
 * "ERR " is prepended.  CR and LF become spaces so the reply stays one
 * line.
 */
#include "resp_write.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

#define HDR_MAX 24 /* type byte + 20 digits + sign + CRLF, rounded up */

static int resp3(const struct resp_out *o)
{
    return o->proto >= 3;
}

static char *put_crlf(char *p)
{
    p[0] = '\r';
    p[1] = '\n';
    return p + 2;
}

static char *put_ll(char *p, long long v)
{
    if ((unsigned long long)v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    return p + buf_fmt_ll(p, v);
}

/* "<type><n>\r\n" written into p; returns the end. */
static char *put_header(char *p, char type, long long n)
{
    *p++ = type;
    return put_crlf(put_ll(p, n));
}

static void header(struct resp_out *o, char type, long long n)
{
    struct buf *b = o->b;
    char *s = buf_reserve(b, HDR_MAX);

    b->len += (size_t)(put_header(s, type, n) - s);
}

void resp_raw(struct resp_out *o, const void *p, size_t n)
{
    buf_append(o->b, p, n);
}

void resp_simple_len(struct resp_out *o, const char *s, size_t n)
{
    struct buf *b = o->b;
    char *d = buf_reserve(b, n + 3);

    *d = '+';
    if (n)
        memcpy(d + 1, s, n);
    put_crlf(d + 1 + n);
    b->len += n + 3;
}

void resp_simple(struct resp_out *o, const char *s)
{
    resp_simple_len(o, s, strlen(s));
}

void resp_ok(struct resp_out *o)
{
    resp_raw(o, "+OK\r\n", 5);
}

/* Does msg start with an error code word followed by a space? */
static int has_error_code(const char *msg)
{
    size_t i = 0;

    while ((msg[i] >= 'A' && msg[i] <= 'Z') || (msg[i] >= '0' && msg[i] <= '9') || msg[i] == '_')
        i++;
    return i > 0 && msg[i] == ' ';
}

void resp_error(struct resp_out *o, const char *msg)
{
    struct buf *b = o->b;
    const char *prefix = "";
    size_t n, plen;
    char *d;

    if (msg[0] == '-')
        msg++;
    else if (!has_error_code(msg))
        prefix = "ERR ";
    n = strlen(msg);
    plen = strlen(prefix);
    d = buf_reserve(b, 1 + plen + n + 2);
    *d++ = '-';
    memcpy(d, prefix, plen);
    d += plen;
    for (size_t i = 0; i < n; i++)
        d[i] = msg[i] == '\r' || msg[i] == '\n' ? ' ' : msg[i];
    put_crlf(d + n);
    b->len += 1 + plen + n + 2;
}

void resp_errorf(struct resp_out *o, const char *fmt, ...)
{
    char small[256];
    char *text = small;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        resp_error(o, "ERR error message formatting failed");
        return;
    }
    if ((size_t)n >= sizeof(small)) {
        text = mem_alloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    resp_error(o, text);
    if (text != small)
        mem_free(text);
}

void resp_int(struct resp_out *o, long long v)
{
    header(o, ':', v);
}

void resp_bulk(struct resp_out *o, const void *p, size_t n)
{
    struct buf *b = o->b;
    char *s = buf_reserve(b, n + HDR_MAX + 2), *d = s;

    *d++ = '$';
    if (n < 10)
        *d++ = (char)('0' + n);
    else
        d += buf_fmt_ull(d, n);
    d = put_crlf(d);
    if (n)
        memcpy(d, p, n);
    d = put_crlf(d + n);
    b->len += (size_t)(d - s);
}

void resp_bulk_str(struct resp_out *o, const char *s)
{
    resp_bulk(o, s, strlen(s));
}

void resp_bulk_ll(struct resp_out *o, long long v)
{
    char tmp[24];

    resp_bulk(o, tmp, buf_fmt_ll(tmp, v));
}

void resp_null(struct resp_out *o)
{
    if (resp3(o))
        resp_raw(o, "_\r\n", 3);
    else
        resp_raw(o, "$-1\r\n", 5);
}

void resp_null_array(struct resp_out *o)
{
    if (resp3(o))
        resp_raw(o, "_\r\n", 3);
    else
        resp_raw(o, "*-1\r\n", 5);
}

void resp_bool(struct resp_out *o, int v)
{
    if (resp3(o))
        resp_raw(o, v ? "#t\r\n" : "#f\r\n", 4);
    else
        resp_raw(o, v ? ":1\r\n" : ":0\r\n", 4);
}

/* ---- doubles ---------------------------------------------------------- */

/* Shortest decimal digits of v > 0 that read back as v: digits[0..*nd),
 * no trailing zeros, value = 0.d1d2... * 10^(*exp10 + 1). */
static void shortest_digits(double v, char *digits, int *nd, int *exp10)
{
    /* For normal doubles a <= 15-digit form, if one exists, is what
     * %.14e prints; subnormals may need fewer digits, so start at 1. */
    int prec = v < DBL_MIN ? 0 : 14;
    char tmp[40], *e;
    int n = 0;

    for (;; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
        if (prec >= 16 || strtod(tmp, NULL) == v)
            break;
    }
    e = strchr(tmp, 'e');
    for (const char *p = tmp; p < e; p++)
        if (*p != '.')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    *nd = n;
    *exp10 = (int)strtol(e + 1, NULL, 10);
}

static char *put_digits(char *p, const char *d, int n)
{
    memcpy(p, d, (size_t)n);
    return p + n;
}

/* Lay out digits (n of them, decimal exponent e of the first) as fpconv. */
static char *layout_digits(char *p, const char *d, int n, int e)
{
    int k = e - n + 1; /* value = digits * 10^k */
    int ae = e < 0 ? -e : e;

    if (k >= 0 && k < 8) {
        p = put_digits(p, d, n);
        memset(p, '0', (size_t)k);
        return p + k;
    }
    if (k < 0 && (k > -7 || ae < 4)) {
        int point = n + k; /* digits before the decimal point */
        if (point <= 0) {
            *p++ = '0';
            *p++ = '.';
            memset(p, '0', (size_t)-point);
            return put_digits(p - point, d, n);
        }
        p = put_digits(p, d, point);
        *p++ = '.';
        return put_digits(p, d + point, n - point);
    }
    *p++ = d[0];
    if (n > 1) {
        *p++ = '.';
        p = put_digits(p, d + 1, n - 1);
    }
    *p++ = 'e';
    *p++ = e < 0 ? '-' : '+';
    return put_ll(p, ae);
}

/* Redis's d2string rules; dst needs 40 bytes.  Returns the length. */
static size_t format_double(char *dst, double v)
{
    char digits[24];
    int n, e;
    char *p = dst;

    if (isnan(v) || isinf(v) || v == 0) {
        const char *s = isnan(v)   ? "nan"
                        : isinf(v) ? (v > 0 ? "inf" : "-inf")
                                   : (signbit(v) ? "-0" : "0");
        size_t len = strlen(s);
        memcpy(dst, s, len);
        return len;
    }
    if (v >= (double)(-LLONG_MAX / 2) && v <= (double)(LLONG_MAX / 2) && (double)(long long)v == v)
        return buf_fmt_ll(dst, (long long)v);
    if (v < 0)
        *p++ = '-';
    shortest_digits(fabs(v), digits, &n, &e);
    return (size_t)(layout_digits(p, digits, n, e) - dst);
}

void resp_double(struct resp_out *o, double v)
{
    char text[40];
    size_t n = format_double(text, v);

    if (resp3(o)) {
        struct buf *b = o->b;
        char *s = buf_reserve(b, n + 3);
        *s = ',';
        memcpy(s + 1, text, n);
        put_crlf(s + 1 + n);
        b->len += n + 3;
    } else {
        resp_bulk(o, text, n);
    }
}

/* ---- aggregates ------------------------------------------------------- */

void resp_verbatim(struct resp_out *o, const char *p, size_t n, const char *fmt3)
{
    struct buf *b;
    char *s, *d;

    if (!resp3(o)) {
        resp_bulk(o, p, n);
        return;
    }
    b = o->b;
    s = d = buf_reserve(b, n + HDR_MAX + 6);
    d = put_header(d, '=', (long long)n + 4);
    memcpy(d, fmt3 ? fmt3 : "txt", 3);
    d[3] = ':';
    d += 4;
    if (n)
        memcpy(d, p, n);
    d = put_crlf(d + n);
    b->len += (size_t)(d - s);
}

void resp_array(struct resp_out *o, long long n)
{
    header(o, '*', n);
}

void resp_map(struct resp_out *o, long long n)
{
    if (resp3(o))
        header(o, '%', n);
    else
        header(o, '*', n * 2);
}

void resp_set(struct resp_out *o, long long n)
{
    header(o, resp3(o) ? '~' : '*', n);
}

void resp_push(struct resp_out *o, long long n)
{
    header(o, resp3(o) ? '>' : '*', n);
}

void resp_empty_array(struct resp_out *o)
{
    resp_raw(o, "*0\r\n", 4);
}

/* ---- deferred lengths ------------------------------------------------- */

size_t resp_defer_array(struct resp_out *o)
{
    return o->b->len;
}

size_t resp_defer_map(struct resp_out *o)
{
    return o->b->len;
}

size_t resp_defer_set(struct resp_out *o)
{
    return o->b->len;
}

/* Insert "<type><n>\r\n" at offset at, shifting what follows. */
static void insert_header(struct buf *b, size_t at, char type, long long n)
{
    char hdr[HDR_MAX];
    size_t hl = (size_t)(put_header(hdr, type, n) - hdr);

    buf_reserve(b, hl);
    memmove(b->data + at + hl, b->data + at, b->len - at);
    memcpy(b->data + at, hdr, hl);
    b->len += hl;
}

void resp_set_deferred_array(struct resp_out *o, size_t handle, long long n)
{
    insert_header(o->b, handle, '*', n);
}

void resp_set_deferred_map(struct resp_out *o, size_t handle, long long n)
{
    if (resp3(o))
        insert_header(o->b, handle, '%', n);
    else
        insert_header(o->b, handle, '*', n * 2);
}

void resp_set_deferred_set(struct resp_out *o, size_t handle, long long n)
{
    insert_header(o->b, handle, resp3(o) ? '~' : '*', n);
}

void resp_kv_map(struct resp_out *o, long long n)
{
    if (o->proto == 3)
        resp_map(o, n);
    else
        resp_array(o, n);
}

void resp_kv_entry(struct resp_out *o)
{
    if (o->proto != 3)
        resp_array(o, 2);
}
