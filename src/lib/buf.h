/*
 * buf.h - growable byte buffer.
 *
 * Ownership: a struct buf owns its data.  Any call that may grow the
 * buffer (buf_reserve, buf_append*, ...) may move b->data: pointers into
 * the data are invalid after such a call.
 */
#ifndef WEIR_BUF_H
#define WEIR_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data;
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b); /* releases data, leaves an empty buffer */
/* Ensure room for n more bytes; returns a pointer to data + len. */
char *buf_reserve(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_byte(struct buf *b, char c);
void buf_append_str(struct buf *b, const char *s); /* NUL-terminated s */
void buf_append_ll(struct buf *b, long long v);    /* decimal text */
void buf_append_ull(struct buf *b, unsigned long long v);
/* Write the decimal text of v at dst (no NUL; room for 20 bytes, 21 for
 * the signed form); return its length.  Fast, no printf. */
size_t buf_fmt_ull(char *dst, unsigned long long v);
size_t buf_fmt_ll(char *dst, long long v);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (memmove). */
void buf_consume(struct buf *b, size_t n);
void buf_clear(struct buf *b); /* len = 0, keeps memory */
/* Release memory when cap is much larger than needed (after big replies). */
void buf_shrink(struct buf *b, size_t keep_cap);

#endif
