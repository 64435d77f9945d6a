/*
 * stream_cg.h - consumer groups of a stream: groups, consumers, the
 * pending entries list (PEL) and the NACK zone (Redis 8.8 XNACK).
 *
 * Data-type module: no clients, no replies.  The stream owns a
 * struct cg_set through s->groups (NULL when the stream has no group).
 */
#ifndef WEIR_STREAM_CG_H
#define WEIR_STREAM_CG_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

/* Reference policies of XADD/XTRIM/XDELEX/XACKDEL (Redis 8.2). */
enum ref_policy { REF_KEEPREF = 0, REF_DELREF, REF_ACKED };

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

#endif
