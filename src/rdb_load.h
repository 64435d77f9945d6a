/*
 * rdb_load.h - read an RDB snapshot (as written by Redis up to 7.x,
 * RDB versions 1..12) and turn its dataset into commands.
 *
 * Weir has no RDB persistence of its own; this exists so that an AOF
 * directory written by redis-server with its default
 * "aof-use-rdb-preamble yes" can be loaded: the base file is then an RDB
 * (appendonly.aof.<seq>.base.rdb), or an RDB followed by commands (the
 * old single-file preamble form).  The dataset is not built here: each
 * key becomes the same commands a rewrite writes (aof_rewrite.c), which
 * the caller runs through the dispatcher.  The file format and the
 * commands produced are described at the top of rdb_load.c.
 */
#ifndef WEIR_RDB_LOAD_H
#define WEIR_RDB_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/* Receives each command; a non-zero return stops the load. */
typedef int (*rdb_cmd_fn)(void *priv, int argc, const struct slice *argv);

struct rdb_result {
    size_t consumed; /* bytes up to and including the checksum */
    int version;     /* RDB version of the header */
    uint64_t nkeys;  /* keys read */
    uint64_t ncmds;  /* commands delivered */
    size_t err_at;   /* on error: offset of the record that failed */
    int stopped;     /* the callback stopped the load */
    char err[256];   /* on error: what is wrong */
};

/* Is this the start of an RDB file ("REDIS" magic)? */
int rdb_is_rdb(const char *data, size_t len);

/* Parse len bytes holding an RDB file (possibly followed by other data,
 * which is left alone: see r->consumed), calling fn for every command
 * (fn may be NULL: validate only).  0 on success, -1 with r->err set on a
 * malformed, truncated or unsupported file, or when fn stopped it. */
int rdb_load(const char *data, size_t len, rdb_cmd_fn fn, void *priv, struct rdb_result *r);

/* CRC-64 as Redis checksums RDB files (Jones polynomial, reflected,
 * init 0, no final xor); crc is the value so far (0 to start). */
uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n);

#endif
