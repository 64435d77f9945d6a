/*
 * resp_write.h - the one reply encoder.  Only this module knows the
 * difference between RESP2 and RESP3.
 *
 * Replies are appended to a struct buf owned by the caller (the client's
 * output buffer).  Aggregates are written with a known length, or with a
 * deferred length: resp_defer_* reserves room and resp_set_deferred_* fills
 * it in later (for ranges whose size is known only after iterating).
 *
 * RESP2 mapping of RESP3 types (as Redis):
 *   map      -> flat array of 2*n      set   -> array
 *   null     -> "$-1" (null bulk)      null array -> "*-1"
 *   double   -> bulk string            bool  -> integer 1/0
 *   verbatim -> bulk string            attribute/push: push -> array
 *   big number -> bulk string
 */
#ifndef WEIR_RESP_WRITE_H
#define WEIR_RESP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct resp_out {
    struct buf *b;
    int proto; /* 2 or 3 */
};

void resp_simple(struct resp_out *o, const char *s); /* +s */
void resp_simple_len(struct resp_out *o, const char *s, size_t n);
void resp_ok(struct resp_out *o); /* +OK */
/* Error: msg is written as "-<msg>\r\n".  If msg does not begin with an
 * uppercase error code word followed by a space (as "ERR x", "WRONGTYPE x"),
 * "ERR " is prepended.  CR/LF in msg are replaced by spaces. */
void resp_error(struct resp_out *o, const char *msg);
void resp_errorf(struct resp_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void resp_int(struct resp_out *o, long long v);              /* :v */
void resp_bulk(struct resp_out *o, const void *p, size_t n); /* $n */
void resp_bulk_str(struct resp_out *o, const char *s);
void resp_bulk_ll(struct resp_out *o, long long v); /* integer as bulk */
void resp_null(struct resp_out *o);                 /* RESP3 "_", RESP2 "$-1" */
void resp_null_array(struct resp_out *o);           /* RESP3 "_", RESP2 "*-1" */
void resp_bool(struct resp_out *o, int v);          /* RESP3 "#t/#f", RESP2 :1/:0 */
/* Double: RESP3 ",<repr>", RESP2 bulk.  Uses %.17g-shortest formatting,
 * "inf"/"-inf" as Redis. */
void resp_double(struct resp_out *o, double v);
/* Verbatim string (RESP3 "=n\r\ntxt:..."), RESP2 plain bulk. */
void resp_verbatim(struct resp_out *o, const char *p, size_t n, const char *fmt3);
void resp_array(struct resp_out *o, long long n); /* *n */
void resp_map(struct resp_out *o, long long n);   /* %n or *2n */
void resp_set(struct resp_out *o, long long n);   /* ~n or *n */
void resp_push(struct resp_out *o, long long n);  /* >n or *n */
void resp_empty_array(struct resp_out *o);

/* Keyed results (XREAD-style): RESP3 a map of n key -> value; RESP2 an
 * array of n two-element arrays.  Call resp_kv_entry before each key. */
void resp_kv_map(struct resp_out *o, long long n);
void resp_kv_entry(struct resp_out *o);

/* Deferred aggregate lengths.  The returned handle is an offset into the
 * buffer; it stays valid while the caller only appends to the same buffer.
 * Setting a length inserts the header at the handle (memmove), which moves
 * every later handle: fill handles in reverse order of creation (LIFO,
 * innermost aggregate first). */
size_t resp_defer_array(struct resp_out *o);
size_t resp_defer_map(struct resp_out *o);
size_t resp_defer_set(struct resp_out *o);
void resp_set_deferred_array(struct resp_out *o, size_t handle, long long n);
void resp_set_deferred_map(struct resp_out *o, size_t handle, long long n);
void resp_set_deferred_set(struct resp_out *o, size_t handle, long long n);

/* Append an already-encoded reply (e.g. a cached shared reply). */
void resp_raw(struct resp_out *o, const void *p, size_t n);

#endif
