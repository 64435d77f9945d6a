/*
 * stream.h - the stream data type: ordered entries keyed by 128-bit IDs.
 *
 * This module stores entries and the stream's own metadata.  It knows
 * nothing of clients, replies or commands: every function returns a status
 * and the command layer maps statuses to Redis's error texts.  Consumer
 * groups (stream_cg.h) and idempotency state (stream_idmp.h) hang off the
 * struct but are owned by their own modules.
 *
 * Storage (see stream.c's header comment for the byte layout): a sorted
 * vector of packed nodes, each holding up to node_max_entries entries and
 * about node_max_bytes bytes, IDs delta-encoded against the node's master
 * ID, field names shared with the node's first entry when equal.
 * Deleted entries are flagged inside their node and reclaimed when the
 * node becomes empty (as Redis does).
 *
 * Behaviour mirrored: Redis 8.8 t_stream.c semantics, from the docs.
 */
#ifndef WEIR_STREAM_H
#define WEIR_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

struct stream_id {
    uint64_t ms;
    uint64_t seq;
};

enum stream_status {
    STREAM_OK = 0,
    STREAM_E_ID_TOO_SMALL, /* "equal or smaller than the target stream top item" */
    STREAM_E_ID_ZERO,      /* 0-0 given */
    STREAM_E_EXHAUSTED,    /* last possible ID reached */
    STREAM_E_TOO_LARGE,    /* "Elements are too large to be stored" */
    STREAM_E_NOT_FOUND,
};

struct stream_nodes; /* private storage */
struct cg_set;       /* stream_cg.c */
struct idmp_state;   /* stream_idmp.c */

struct stream {
    struct stream_nodes *nodes;      /* private, stream.c */
    uint64_t length;                 /* live entries */
    struct stream_id last_id;        /* last generated/added ID (0-0 if none) */
    struct stream_id first_id;       /* first live entry ID (0-0 if empty) */
    struct stream_id max_deleted_id; /* greatest ID ever deleted (0-0) */
    uint64_t entries_added;          /* lifetime count of added entries */
    struct cg_set *groups;           /* consumer groups; NULL when none */
    struct idmp_state *idmp;         /* idempotency state; NULL when unused */
};

/* Node limits (CONFIG stream-node-max-bytes / stream-node-max-entries).
 * Read at append time; 0 means unlimited for that dimension. */
struct stream_limits {
    size_t node_max_bytes; /* default 4096 */
    long node_max_entries; /* default 100 */
};

/* ID helpers. */
int stream_id_cmp(struct stream_id a, struct stream_id b);
/* Parse "ms-seq" or "ms" (seq = missing_seq).  Strict: no "-"/"+", no
 * "*", at most 127 bytes, both parts full unsigned 64-bit decimals.
 * Returns 0 on success, -1 on error. */
int stream_id_parse(const char *s, size_t len, uint64_t missing_seq, struct stream_id *out);
/* Format as "ms-seq" into dst (>= 42 bytes); returns length. */
size_t stream_id_format(char *dst, struct stream_id id);
/* id + 1 / id - 1; return -1 on overflow/underflow. */
int stream_id_incr(struct stream_id *id);
int stream_id_decr(struct stream_id *id);

struct stream *stream_new(void);
/* Frees the storage and the struct.  groups/idmp must already be freed
 * (and set to NULL) by their owners: the object layer does that. */
void stream_free(struct stream *s);
/* Deep copy of the entries and metadata (COPY); groups and idmp of the
 * copy are NULL (the object layer copies them through their modules). */
struct stream *stream_dup(const struct stream *s);

/*
 * Append.  The ID is chosen as Redis does:
 *   mode STREAM_ID_AUTO     ("*")     ms = max(now_ms, last.ms), seq next
 *   mode STREAM_ID_MS_AUTO  ("ms-*")  given ms, seq = 0 or last.seq+1
 *   mode STREAM_ID_EXPLICIT ("ms-seq")
 * fields holds 2*npairs slices (field, value, ...).  On success *out_id
 * is the new entry's ID and length/last_id/entries_added/first_id are
 * updated.
 */
enum stream_id_mode { STREAM_ID_AUTO, STREAM_ID_MS_AUTO, STREAM_ID_EXPLICIT };
enum stream_status stream_append(struct stream *s, const struct stream_limits *lim,
                                 enum stream_id_mode mode, struct stream_id id, int64_t now_ms,
                                 const struct slice *fields, size_t npairs,
                                 struct stream_id *out_id);
/* Would an append in this mode fail?  (Checks exhaustion / ordering
 * without appending, so IDMP can decide before recording.) */
enum stream_status stream_check_append(const struct stream *s, enum stream_id_mode mode,
                                       struct stream_id id);

/* Is there a live entry with this ID? */
int stream_has(const struct stream *s, struct stream_id id);
/* Delete one entry; returns 1 if it existed.  Updates length, first_id,
 * max_deleted_id. */
int stream_delete(struct stream *s, struct stream_id id);

/*
 * Trimming.  Returns the number of entries removed.
 *   strategy MAXLEN: keep at most `maxlen` entries; MINID: remove entries
 *   with ID < minid.
 *   approx: only whole nodes are removed (never goes below the threshold);
 *   limit > 0 caps the number of entries removed (approx only; 0 = none).
 *   can_delete: NULL removes everything eligible (KEEPREF).  Otherwise it
 *   is asked for every candidate entry (DELREF/ACKED policies); returning
 *   0 keeps the entry (ACKED) and trimming goes on with the next entries;
 *   with a callback the node fast path is disabled.
 *   on_delete (may be NULL) is told each removed ID (DELREF cleanup).
 */
enum stream_trim_strategy { STREAM_TRIM_NONE, STREAM_TRIM_MAXLEN, STREAM_TRIM_MINID };
struct stream_trim {
    enum stream_trim_strategy strategy;
    int approx;
    uint64_t maxlen;
    struct stream_id minid;
    long long limit;
    int (*can_delete)(void *priv, struct stream_id id);
    void (*on_delete)(void *priv, struct stream_id id);
    void *priv;
};
uint64_t stream_trim(struct stream *s, const struct stream_trim *t);

/*
 * Range iteration, inclusive bounds [start, end], forward or reverse.
 * Each step yields one live entry: its ID and its field/value pairs as
 * slices, valid until the next stream_iter_next / stream_iter_done call
 * (they may point into node memory or into the iterator's scratch space).
 * stream_iter_delete_current removes the entry last returned (its slices
 * become invalid); iteration then continues with the next entry.  While an
 * iterator is live the stream may be appended to, but entries may only be
 * deleted through stream_iter_delete_current (no stream_delete/trim).
 */
/* A decoding position inside one node.  Private to stream.c; declared
 * here only so that the iterator can embed it. */
struct stream_cursor {
    uint32_t pos;     /* byte offset of the next entry in the node */
    uint32_t idx;     /* index of the next entry in the node */
    uint32_t fld_off; /* field-name block in force (offset, count) */
    uint32_t nfld;
    uint32_t hdr_off; /* value-header block in force (offset, count) */
    uint32_t nhdr;
    uint64_t hdr_total;  /* payload bytes that header block describes */
    struct stream_id id; /* ID of the entry before pos (delta base) */
};

/* Reverse iteration: one entry of a node still to be returned.  Private.
 * (ms and seq are kept apart on purpose: copying them as two scalars
 * avoids a store-forwarding stall on the just-decoded ID.) */
struct stream_rent {
    uint64_t ms;
    uint32_t off; /* byte offset of the entry in its node */
    uint32_t ref; /* index in stream_iter.refs: the blocks in force */
    uint64_t seq;
};

struct stream_iter {
    struct stream *s;
    struct stream_id start, end;
    int rev;
    /* private */
    size_t node;   /* index in the node vector */
    int loaded;    /* cursor (forward) or table (reverse) set up */
    int last_node; /* reverse: no older node can hold an entry in range */
    int has_cur;   /* an entry was returned and not deleted since */
    int done;
    struct stream_id cur;    /* ID last returned */
    uint32_t cur_off;        /* its byte offset in its node */
    struct stream_cursor c;  /* forward: position in the node */
    struct stream_rent *tab; /* reverse: entries to return, oldest first */
    size_t tab_len, tab_cap;
    struct stream_cursor *refs; /* reverse: block states of the node */
    size_t refs_len, refs_cap;
    struct slice *fv; /* decoded pairs */
    size_t fv_cap;
    char *scratch; /* text of packed integers */
    size_t scratch_cap;
};
void stream_iter_init(struct stream_iter *it, struct stream *s, struct stream_id start,
                      struct stream_id end, int rev);
/* Returns 1 with an entry, 0 at the end. */
int stream_iter_next(struct stream_iter *it, struct stream_id *id, const struct slice **fv,
                     size_t *npairs);
void stream_iter_delete_current(struct stream_iter *it);
void stream_iter_done(struct stream_iter *it);

/* Storage statistics for XINFO STREAM and MEMORY USAGE. */
size_t stream_node_count(const struct stream *s); /* "radix-tree-keys" */
size_t stream_mem_usage(const struct stream *s);  /* bytes, storage only */

/* Validate every invariant (node order, counts, metadata); returns 0 if
 * sound, else -1 and a message in err (>= 256 bytes).  For tests. */
int stream_check(const struct stream *s, char *err);

#endif
