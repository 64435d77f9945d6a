/*
 * stream_cg.h - consumer groups of a stream: groups, consumers, the
 * pending entries list (PEL) and the NACK zone (Redis 8.8 XNACK).
 *
 * Data-type module: no clients, no replies, no propagation.  The command
 * layer (cmd_cgroup.c) parses, calls these functions and writes replies.
 *
 * Ownership
 *   struct stream owns one struct cg_set through s->groups (NULL when the
 *   stream has no group).  The set owns its groups; a group owns its
 *   consumers and every PEL entry (struct cg_nack) of the group.  A
 *   consumer's PEL holds borrowed pointers to the group's entries.
 *   Names are owned copies (binary safe, NUL terminated for printing).
 *
 * The PEL / consumer / NACK graph
 *
 *   cg_group.pel      B+tree  ID -> cg_nack*   every pending entry, once
 *   cg_consumer.pel   B+tree  ID -> cg_nack*   the entries it owns
 *   cg_group.thead..ttail     doubly linked list of every cg_nack
 *                             through tprev/tnext, "time order":
 *
 *     thead -> [NACK zone: unowned, FIFO] -> [owned: delivery_time asc] -> ttail
 *                         ^ nack_tail (last of the zone, NULL if empty)
 *
 *   An entry with consumer == NULL is unowned: it was released by XNACK
 *   (or created by XNACK FORCE), its delivery_time is 0, it sits in the
 *   NACK zone and in no consumer PEL.  Every other entry is in exactly
 *   one consumer PEL (its owner's) and in the owned part of the list.
 *   The list gives XREADGROUP CLAIM its order: NACKed entries first,
 *   then the longest idle.  Invariants are checked by cg_check().
 *
 * B+tree (struct cg_idtree): nodes of up to 32 (ID, pointer) pairs kept
 * sorted; inner nodes store for each child a lower bound of its keys;
 * leaves are chained for ordered scans; a lone root leaf starts small and
 * grows.  Appending above the maximum and finding near either end avoid
 * the descent, which is the common XREADGROUP/XACK pattern.
 *
 * Behaviour mirrored: Redis 8.8 consumer groups (t_stream.c semantics,
 * learnt from the docs): entries-read/lag bookkeeping, delivery counters,
 * consumer seen/active times.
 */
#ifndef WEIR_STREAM_CG_H
#define WEIR_STREAM_CG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "stream.h"

/* Reference policies of XADD/XTRIM/XDELEX/XACKDEL (Redis 8.2). */
enum ref_policy { REF_KEEPREF = 0, REF_DELREF, REF_ACKED };

/* Delivery counters saturate here (XNACK FATAL sets it). */
#define CG_COUNT_MAX INT64_MAX
/* entries_read when unknown (Redis's "invalid" read counter). */
#define CG_ENTRIES_READ_INVALID (-1)

struct cg_btnode; /* private, stream_cg.c */

struct cg_idtree {
    struct cg_btnode *root;
    struct cg_btnode *first, *last; /* leaf chain ends */
    size_t count;
    int height; /* 0 empty, 1 root is a leaf */
};

struct cg_consumer;

struct cg_nack {
    struct stream_id id;
    int64_t delivery_time; /* ms; 0 while in the NACK zone */
    int64_t delivery_count;
    struct cg_consumer *consumer;  /* owner; NULL: unowned (NACK zone) */
    struct cg_nack *tprev, *tnext; /* time-order list of the group */
};

struct cg_consumer {
    char *name;
    size_t name_len;
    int64_t seen_time;   /* last attempted interaction (ms) */
    int64_t active_time; /* last successful interaction, -1 never */
    struct cg_idtree pel;
};

struct cg_group {
    char *name;
    size_t name_len;
    struct stream_id last_id; /* last-delivered-id */
    int64_t entries_read;     /* CG_ENTRIES_READ_INVALID if unknown */
    struct cg_idtree pel;
    struct cg_nack *thead, *ttail; /* time-order list, see above */
    struct cg_nack *nack_tail;     /* end of the NACK zone, NULL if empty */
    size_t nacked;                 /* entries in the NACK zone */
    struct cg_consumer **cons;     /* sorted by name (byte order) */
    size_t ncons, cons_cap;
};

struct cg_set {
    struct cg_group **g; /* sorted by name (byte order) */
    size_t n, cap;
};

/* ---- whole-set operations (object layer, stream commands) ---------------- */

/* Free / copy the groups of s (obj layer: DEL, COPY). */
void cg_free_all(struct stream *s);
void cg_dup_all(const struct stream *src, struct stream *dst);
size_t cg_count(const struct stream *s);
size_t cg_mem_usage(const struct stream *s);

/* ACKED policy: is the entry still needed by some group, i.e. not yet
 * delivered to it (its last-delivered-id is below id) or pending in it?
 * With no groups nothing is referenced. */
int cg_entry_referenced(const struct stream *s, struct stream_id id);
/* DELREF policy: remove id from every group's PEL (and consumers). */
void cg_remove_refs(struct stream *s, struct stream_id id);

/* ---- groups ---------------------------------------------------------------- */

struct cg_group *cg_group_find(const struct stream *s, struct slice name);
/* The i-th group in name order (i < cg_count(s)). */
struct cg_group *cg_group_at(const struct stream *s, size_t i);
/* Create; NULL if a group with this name exists. */
struct cg_group *cg_group_create(struct stream *s, struct slice name, struct stream_id last_id,
                                 int64_t entries_read);
/* Destroy; returns 1 if it existed. */
int cg_group_destroy(struct stream *s, struct slice name);

/* A delivery of id moved past last-delivered-id: update last_id and the
 * entries-read counter as Redis does (no-op when id <= last_id). */
void cg_advance(const struct stream *s, struct cg_group *g, struct stream_id id);
/* Lag of the group; returns 0 when it cannot be known (nil). */
int cg_lag(const struct stream *s, const struct cg_group *g, int64_t *lag);

/* ---- consumers ---------------------------------------------------------------- */

struct cg_consumer *cg_consumer_find(const struct cg_group *g, struct slice name);
/* Find or create (seen_time = now, active_time = -1); *created tells. */
struct cg_consumer *cg_consumer_get(struct cg_group *g, struct slice name, int64_t now,
                                    int *created);
/* Delete the consumer and its pending entries; returns how many it had. */
size_t cg_consumer_delete(struct cg_group *g, struct cg_consumer *c);

/* ---- the PEL --------------------------------------------------------------------- */

struct cg_nack *cg_pel_find(const struct cg_group *g, struct stream_id id);
/* New entry owned by c at (time, count); c == NULL puts it in the NACK
 * zone (time forced to 0).  id must not be pending. */
struct cg_nack *cg_pel_add(struct cg_group *g, struct cg_consumer *c, struct stream_id id,
                           int64_t time, int64_t count);
/* Give n to c (non-NULL) with a new delivery time and count. */
void cg_pel_assign(struct cg_group *g, struct cg_nack *n, struct cg_consumer *c, int64_t time,
                   int64_t count);
/* XNACK: make n unowned, time 0, count, at the end of the NACK zone. */
void cg_pel_release(struct cg_group *g, struct cg_nack *n, int64_t count);
/* Remove n from every index and free it. */
void cg_pel_remove(struct cg_group *g, struct cg_nack *n);
/* XREADGROUP ">" delivering id to c: a new entry with count 1, or (after
 * SETID moved the group back) the existing one reassigned with count 1. */
struct cg_nack *cg_deliver(struct cg_group *g, struct cg_consumer *c, struct stream_id id,
                           int64_t now);
/* Smallest / greatest pending ID; 0 when the PEL is empty. */
int cg_pel_first(const struct cg_idtree *t, struct stream_id *id);
int cg_pel_last(const struct cg_idtree *t, struct stream_id *id);

/* Ordered scan of a PEL (group or consumer) from the first ID >= from.
 * Modifying that tree invalidates the iterator (seek again). */
struct cg_iter {
    struct cg_btnode *leaf;
    unsigned pos;
};
void cg_iter_seek(struct cg_iter *it, const struct cg_idtree *t, struct stream_id from);
struct cg_nack *cg_iter_next(struct cg_iter *it);

/* Saturating increment of a delivery counter. */
int64_t cg_count_inc(int64_t count);

/* ---- AOF rewrite and validation ---------------------------------------------------- */

/* Emit the commands that rebuild every group of s (AOF rewrite, command
 * form): XGROUP CREATE key g last-id ENTRIESREAD n; per consumer either
 * XGROUP CREATECONSUMER (empty PEL) or one XCLAIM key g c 0 id TIME ms
 * RETRYCOUNT n JUSTID FORCE per entry; then the NACK zone in order as
 * XNACK key g FAIL IDS 1 id RETRYCOUNT n FORCE. */
typedef void (*cg_emit_fn)(void *priv, int argc, const struct slice *argv);
void cg_rewrite(const struct stream *s, struct slice key, cg_emit_fn emit, void *priv);

/* Validate every invariant of every group (trees, ownership, list order,
 * counts); returns 0 if sound, else -1 and a message in err (>= 256
 * bytes).  For tests. */
int cg_check(const struct stream *s, char *err);

#endif
