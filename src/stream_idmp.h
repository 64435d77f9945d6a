/*
 * stream_idmp.h - idempotent production state of one stream (Redis 8.6+
 * IDMP): producers -> insertion-ordered iids -> the entry ID each was
 * recorded with, per-stream retention settings, lifetime counters.
 *
 * Behaviour reference: shared/design/idmp-reference.md (Redis 8.8).
 * This module knows no clients, replies or keys.  Every state with at
 * least one producer is linked in a module-level registry so that the
 * once-a-second expiry job (idmp_expire_all) finds it wherever its key
 * was renamed, moved or swapped; the link follows the state's lifetime.
 */
#ifndef WEIR_STREAM_IDMP_H
#define WEIR_STREAM_IDMP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "stream.h"

#define IDMP_DURATION_MIN 1
#define IDMP_DURATION_MAX 86400
#define IDMP_MAXSIZE_MIN 1
#define IDMP_MAXSIZE_MAX 10000

struct idmp_state;

/* A new, empty state with the given settings (server defaults at stream
 * creation time). */
struct idmp_state *idmp_new(long duration_s, long maxsize);
void idmp_free(struct idmp_state *st);
/* Deep copy: settings, counters, every producer's iids in order (COPY). */
struct idmp_state *idmp_dup(const struct idmp_state *st);

/* Look (pid, iid) up; returns 1 and the recorded entry ID when present.
 * Exact byte comparison; no time check (expiry is the cron's job). */
int idmp_lookup(const struct idmp_state *st, struct slice pid, struct slice iid,
                struct stream_id *id);
/* Record a new (pid, iid) -> id at the producer's tail; evicts the
 * producer's oldest iid beyond maxsize; iids_added++.  The pair must not
 * already be present. */
void idmp_record(struct idmp_state *st, struct slice pid, struct slice iid, struct stream_id id);
void idmp_count_duplicate(struct idmp_state *st); /* iids_duplicates++ */

/* XCFGSET: pass -1 for a setting not given.  Each given value that
 * differs from the current one is stored; if any changed, every producer
 * map is cleared (counters kept).  Returns 1 if something changed. */
int idmp_configure(struct idmp_state *st, long duration_s, long maxsize);

/* Drop iids whose entry ID's ms + duration*1000 <= now_ms (per producer,
 * oldest first), then empty producers.  Returns the number dropped. */
size_t idmp_expire(struct idmp_state *st, int64_t now_ms);
/* Run idmp_expire on every registered state (cron, once a second). */
size_t idmp_expire_all(int64_t now_ms);

long idmp_duration(const struct idmp_state *st);
long idmp_maxsize(const struct idmp_state *st);
size_t idmp_pids_tracked(const struct idmp_state *st);
size_t idmp_iids_tracked(const struct idmp_state *st);
uint64_t idmp_iids_added(const struct idmp_state *st);
uint64_t idmp_iids_duplicates(const struct idmp_state *st);
/* Restore lifetime counters (AOF replay form that keeps them). */
void idmp_set_counters(struct idmp_state *st, uint64_t added, uint64_t duplicates);

/* Every producer in lexicographic pid order, each iid oldest -> newest
 * (AOF rewrite emits XIDMPRECORD in this order). */
typedef void (*idmp_visit_fn)(void *priv, struct slice pid, struct slice iid, struct stream_id id);
void idmp_foreach(const struct idmp_state *st, idmp_visit_fn fn, void *priv);

/* IDMPAUTO: the 16-byte iid of a field/value list, byte-identical to
 * Redis 8.6.2+ (XXH3-128 per pair over field, field length as 8-byte LE,
 * value; order-independent sum/xor combination; see the reference §3.1). */
void idmp_auto_iid(const struct slice *fv, size_t npairs, unsigned char out[16]);

size_t idmp_mem_usage(const struct idmp_state *st);
/* Validate internal invariants (tests); 0 ok, -1 with message in err. */
int idmp_check(const struct idmp_state *st, char *err);

#endif
