/*
 * obj.c - value objects: inline strings and stream handles; see obj.h.
 *
 * A string object is one allocation: the header followed by its bytes and
 * a NUL.  u.cap records how many data bytes fit (the allocator's rounding
 * slack included, so small in-place rewrites such as INCR rarely need to
 * reallocate).  Growth through obj_string_resize is greedy, as for append
 * heavy workloads: double below 1 MB, then 1 MB more at a time (an empty
 * string grows to the exact size asked).
 *
 * Stream objects hold a struct stream owned by stream.c; its consumer
 * groups and idempotency state belong to stream_cg.c / stream_idmp.c.
 */
#include "obj.h"

#include <string.h>

#include "lib/mem.h"
#include "lib/util.h"
#include "stream.h"
#include "stream_cg.h"
#include "stream_idmp.h"

#define OBJ_GREEDY_LIMIT (1024 * 1024)
#define OBJ_EMBSTR_MAX 44
#define OBJ_INT_MAX_LEN 20

/* Data bytes usable in a block of this many bytes (one kept for NUL). */
static size_t string_cap_of(const struct obj *o)
{
    return mem_size(o) - sizeof(struct obj) - 1;
}

struct obj *obj_new_string(const void *p, size_t len)
{
    struct obj *o = mem_alloc(sizeof(struct obj) + len + 1);

    o->type = OBJ_STRING;
    o->flags = 0;
    o->pad2 = 0;
    o->lru = 0;
    o->len = len;
    if (len)
        memcpy(o->data, p, len);
    o->data[len] = '\0';
    o->u.cap = string_cap_of(o);
    return o;
}

struct obj *obj_string_resize(struct obj *o, size_t len)
{
    size_t old = o->len;

    if (len <= old)
        return o;
    if (len > o->u.cap) {
        /* An empty string grows to the exact size (SETRANGE on a new key);
         * a growing one greedily, for the appends likely to follow. */
        size_t want = old == 0 ? len : len < OBJ_GREEDY_LIMIT ? len * 2 : len + OBJ_GREEDY_LIMIT;

        o = mem_realloc(o, sizeof(struct obj) + want + 1);
        o->u.cap = string_cap_of(o);
    }
    memset(o->data + old, 0, len - old);
    o->len = len;
    o->data[len] = '\0';
    return o;
}

struct obj *obj_new_stream(void)
{
    struct obj *o = mem_alloc(sizeof(struct obj));

    o->type = OBJ_STREAM;
    o->flags = 0;
    o->pad2 = 0;
    o->lru = 0;
    o->len = 0;
    o->u.stream = stream_new();
    return o;
}

static void free_stream(struct stream *s)
{
    cg_free_all(s);
    idmp_free(s->idmp);
    s->groups = NULL;
    s->idmp = NULL;
    stream_free(s);
}

void obj_free(struct obj *o)
{
    if (!o)
        return;
    if (o->type == OBJ_STREAM)
        free_stream(o->u.stream);
    mem_free(o);
}

void obj_free_void(void *o)
{
    obj_free(o);
}

struct obj *obj_dup(const struct obj *o)
{
    struct obj *n;

    if (o->type == OBJ_STRING) {
        n = obj_new_string(o->data, o->len);
        n->flags = o->flags;
        n->lru = o->lru;
        return n;
    }
    n = mem_alloc(sizeof(struct obj));
    *n = *o;
    n->u.stream = stream_dup(o->u.stream);
    cg_dup_all(o->u.stream, n->u.stream);
    n->u.stream->idmp = o->u.stream->idmp ? idmp_dup(o->u.stream->idmp) : NULL;
    return n;
}

const char *obj_type_name(const struct obj *o)
{
    return o->type == OBJ_STREAM ? "stream" : "string";
}

const char *obj_encoding_name(const struct obj *o)
{
    long long v;

    if (o->type == OBJ_STREAM)
        return "stream";
    if (o->flags & OBJ_F_RAW)
        return "raw";
    if (o->len <= OBJ_INT_MAX_LEN && util_parse_ll(o->data, o->len, &v) == 0)
        return "int";
    return o->len <= OBJ_EMBSTR_MAX ? "embstr" : "raw";
}

size_t obj_mem_usage(const struct obj *o)
{
    size_t n = mem_size(o);

    if (o->type == OBJ_STREAM) {
        const struct stream *s = o->u.stream;
        n += mem_size(s) + stream_mem_usage(s) + cg_mem_usage(s);
        if (s->idmp)
            n += idmp_mem_usage(s->idmp);
    }
    return n;
}
