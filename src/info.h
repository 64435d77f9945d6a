/*
 * info.h - the INFO text, and the memory and statistics figures it
 * shares with MEMORY STATS, CLIENT LIST and CONFIG RESETSTAT.
 *
 * info.c keeps a little process-wide state of its own: the memory used at
 * startup, the peak, and the samples behind instantaneous_ops_per_sec and
 * the kbps figures.  The server calls info_init once after startup and
 * info_cron about every 100 ms.
 */
#ifndef WEIR_INFO_H
#define WEIR_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define WEIR_REDIS_VERSION "8.8.0"

struct core;
struct client;

struct info_mem {
    size_t used;     /* mem_used() */
    size_t peak;     /* highest used seen (info_cron, INFO, MEMORY) */
    size_t startup;  /* used when info_init ran */
    size_t rss;      /* resident set size, /proc/self/statm */
    size_t clients;  /* structs and buffers of the connected clients */
    size_t keyspace; /* tables of the keys/expires dicts of every db */
    size_t overhead; /* startup + clients + keyspace */
    size_t dataset;  /* used - overhead, or 0 */
    size_t keys;     /* keys in every db */
};

/* Record the startup memory figure (after config load and db creation). */
void info_init(struct core *core);
/* Sample ops/net counters and the memory peak; call every ~100 ms. */
void info_cron(struct core *core);
void info_memory(struct core *core, struct info_mem *m);
/* Bytes a client accounts for (struct, buffers, name, argv). */
size_t info_client_memory(const struct client *c);
/* CONFIG RESETSTAT: zero the counters of core->stats (but `dirty`), the
 * per-command and per-error tables, the peak and the samples. */
void info_reset_stats(struct core *core);
/* Append INFO text for the given section names (case-insensitive;
 * "default", "all", "everything" as Redis; none means "default").
 * Sections come in Redis's canonical order, separated by blank lines. */
void info_render(struct core *core, const char *const *sections, int nsections, struct buf *out);
/* "1.50M" style size, as INFO's *_human fields (dst of 32 bytes). */
void info_bytes_human(char *dst, size_t cap, unsigned long long n);

#endif
