/*
 * digest.h - content digests of values and of the whole dataset, for
 * DEBUG DIGEST / DEBUG DIGEST-VALUE (tests compare them across reloads,
 * rewrites and restarts).  20 bytes, shown as 40 hex digits like Redis's;
 * the dataset digest is all zeros when the dataset is empty.  The values
 * are Weir's own (XXH3-128 based), not byte-identical to Redis's.
 */
#ifndef WEIR_DIGEST_H
#define WEIR_DIGEST_H

#include <stdint.h>

#include "db.h"
#include "obj.h"

#define DIGEST_LEN 20

/* Digest of one value (type, contents; for streams also the metadata,
 * groups are not included). */
void digest_obj(const struct obj *o, unsigned char out[DIGEST_LEN]);
/* Order-independent digest of every key, value and TTL of n databases. */
void digest_dataset(struct db *dbs, int n, unsigned char out[DIGEST_LEN]);
/* 40 lowercase hex digits + NUL. */
void digest_hex(const unsigned char d[DIGEST_LEN], char out[2 * DIGEST_LEN + 1]);

#endif
