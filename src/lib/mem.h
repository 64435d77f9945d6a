/*
 * mem.h - the one allocator shim of Weir.
 *
 * Every allocation of the server goes through these functions so that
 * INFO memory / MEMORY USAGE can report true numbers.  Policy on OOM:
 * abort with a message, as Redis does (callers never check for NULL).
 * Accounting uses malloc_usable_size(), so mem_used() is the real heap
 * footprint of live blocks, not the requested sizes.
 */
#ifndef WEIR_MEM_H
#define WEIR_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n);
void *mem_calloc(size_t n);
void *mem_realloc(void *p, size_t n);
void mem_free(void *p);
char *mem_strndup(const char *s, size_t n); /* NUL-terminated copy */
void *mem_memdup(const void *s, size_t n);
size_t mem_size(const void *p); /* usable size of a live block, 0 for NULL */
size_t mem_used(void);          /* bytes in live blocks */

#endif
