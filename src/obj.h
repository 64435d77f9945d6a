/*
 * obj.h - value objects stored in the keyspace.
 *
 * A value has a type tag and a payload.  Strings keep their bytes inline
 * in the same allocation as the header (one malloc per string value), NUL
 * terminated for convenience.  Streams point to a struct stream, whose
 * consumer groups and idempotency state are owned by their modules; the
 * object layer frees and copies all three.
 *
 * Ownership: the keyspace owns the objects it holds.  An object is never
 * shared between keys (COPY duplicates).
 */
#ifndef WEIR_OBJ_H
#define WEIR_OBJ_H

#include <stddef.h>
#include <stdint.h>

enum obj_type { OBJ_STRING = 0, OBJ_STREAM = 1 };

/* OBJ_F_RAW: the string was modified in place (APPEND, SETRANGE), so
 * OBJECT ENCODING reports "raw" whatever its content, as Redis does. */
enum { OBJ_F_RAW = 1 };

struct stream;

struct obj {
    uint8_t type;  /* enum obj_type */
    uint8_t flags; /* OBJ_F_* */
    uint16_t pad2;
    uint32_t lru; /* seconds clock of last access (OBJECT IDLETIME) */
    size_t len;   /* OBJ_STRING: byte length */
    union {
        struct stream *stream; /* OBJ_STREAM */
        size_t cap;            /* OBJ_STRING: bytes allocated for data */
    } u;
    char data[]; /* OBJ_STRING: len bytes + NUL */
};

struct obj *obj_new_string(const void *p, size_t len);
/* Grow to at least len bytes (new bytes zeroed); may move: returns the
 * new pointer, the old one is invalid. */
struct obj *obj_string_resize(struct obj *o, size_t len);
struct obj *obj_new_stream(void); /* an empty stream */
void obj_free(struct obj *o);
void obj_free_void(void *o); /* for dict destructors */
struct obj *obj_dup(const struct obj *o);
/* Type name for TYPE ("string", "stream") and OBJECT ENCODING. */
const char *obj_type_name(const struct obj *o);
const char *obj_encoding_name(const struct obj *o);
/* MEMORY USAGE: bytes of the object and everything it owns. */
size_t obj_mem_usage(const struct obj *o);

#endif
