/*
 * digest.c - see digest.h.  Each value is hashed with streaming XXH3-128
 * (type byte, then the contents with explicit lengths so that no two
 * values share an input); the 16-byte result is widened to 20 bytes with
 * an XXH3-64 of itself.  The dataset digest XORs, over every key, the
 * digest of (db id, key, value digest, TTL), so key order does not matter.
 */
#include "digest.h"

#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "lib/dict.h"
#include "stream.h"

static void put_u64(XXH3_state_t *st, uint64_t v)
{
    XXH3_128bits_update(st, &v, sizeof(v));
}

static void put_bytes(XXH3_state_t *st, const void *p, size_t n)
{
    put_u64(st, n);
    XXH3_128bits_update(st, p, n);
}

static void put_id(XXH3_state_t *st, struct stream_id id)
{
    put_u64(st, id.ms);
    put_u64(st, id.seq);
}

static void hash_stream(XXH3_state_t *st, struct stream *s)
{
    put_u64(st, s->length);
    put_id(st, s->last_id);
    put_id(st, s->max_deleted_id);
    put_u64(st, s->entries_added);
    struct stream_iter it;
    struct stream_id id;
    const struct slice *fv;
    size_t np;
    stream_iter_init(&it, s, (struct stream_id){0, 0}, (struct stream_id){UINT64_MAX, UINT64_MAX},
                     0);
    while (stream_iter_next(&it, &id, &fv, &np)) {
        put_id(st, id);
        put_u64(st, np);
        for (size_t i = 0; i < 2 * np; i++)
            put_bytes(st, fv[i].p, fv[i].len);
    }
    stream_iter_done(&it);
}

static void finish(XXH3_state_t *st, unsigned char out[DIGEST_LEN])
{
    XXH128_hash_t h = XXH3_128bits_digest(st);
    uint64_t extra = XXH3_64bits(&h, sizeof(h));
    memcpy(out, &h.low64, 8);
    memcpy(out + 8, &h.high64, 8);
    memcpy(out + 16, &extra, 4);
}

void digest_obj(const struct obj *o, unsigned char out[DIGEST_LEN])
{
    XXH3_state_t st;
    XXH3_128bits_reset(&st);
    put_u64(&st, o->type);
    if (o->type == OBJ_STRING)
        put_bytes(&st, o->data, o->len);
    else
        hash_stream(&st, o->u.stream);
    finish(&st, out);
}

void digest_dataset(struct db *dbs, int n, unsigned char out[DIGEST_LEN])
{
    memset(out, 0, DIGEST_LEN);
    for (int i = 0; i < n; i++) {
        struct dict_iter it;
        struct dict_entry *e;
        dict_iter_init(&it, dbs[i].keys);
        while ((e = dict_next(&it))) {
            size_t klen;
            const char *k = dict_entry_key(e, &klen);
            unsigned char vd[DIGEST_LEN], kd[DIGEST_LEN];
            digest_obj(dict_entry_val(e), vd);
            XXH3_state_t st;
            XXH3_128bits_reset(&st);
            put_u64(&st, (uint64_t)dbs[i].id);
            put_bytes(&st, k, klen);
            XXH3_128bits_update(&st, vd, sizeof(vd));
            put_u64(&st, (uint64_t)db_get_expire(&dbs[i], (struct slice){k, klen}));
            finish(&st, kd);
            for (int b = 0; b < DIGEST_LEN; b++)
                out[b] ^= kd[b];
        }
        dict_iter_done(&it);
    }
}

void digest_hex(const unsigned char d[DIGEST_LEN], char out[2 * DIGEST_LEN + 1])
{
    for (int i = 0; i < DIGEST_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}
