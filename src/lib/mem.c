/* mem.c - allocation shim with accounting; see mem.h. */
#include "lib/mem.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Atomic because the background fsync/free thread may free blocks. */
static _Atomic size_t used_bytes;

static void *oom(size_t n)
{
    fprintf(stderr, "weir: out of memory allocating %zu bytes\n", n);
    abort();
}

void *mem_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        return oom(n);
    atomic_fetch_add_explicit(&used_bytes, malloc_usable_size(p), memory_order_relaxed);
    return p;
}

void *mem_calloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        return oom(n);
    atomic_fetch_add_explicit(&used_bytes, malloc_usable_size(p), memory_order_relaxed);
    return p;
}

void *mem_realloc(void *p, size_t n)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n ? n : 1);
    if (!q)
        return oom(n);
    atomic_fetch_sub_explicit(&used_bytes, old, memory_order_relaxed);
    atomic_fetch_add_explicit(&used_bytes, malloc_usable_size(q), memory_order_relaxed);
    return q;
}

void mem_free(void *p)
{
    if (!p)
        return;
    atomic_fetch_sub_explicit(&used_bytes, malloc_usable_size(p), memory_order_relaxed);
    free(p);
}

char *mem_strndup(const char *s, size_t n)
{
    char *p = mem_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *mem_memdup(const void *s, size_t n)
{
    void *p = mem_alloc(n);
    if (n)
        memcpy(p, s, n);
    return p;
}

size_t mem_size(const void *p)
{
    return p ? malloc_usable_size((void *)p) : 0;
}

size_t mem_used(void)
{
    return atomic_load_explicit(&used_bytes, memory_order_relaxed);
}
