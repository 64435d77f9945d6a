/*
 * aof_int.h - what aof.c, aof_load.c, aof_rewrite.c and the
 * weir-check-aof tool share: the manifest, the file scanner, the
 * rewrite writer.  Nothing outside the AOF modules includes this header.
 *
 * Directory layout (the Redis 7 "multi part" layout, byte compatible):
 *
 *   <dir>/<appenddirname>/
 *       <appendfilename>.manifest          which files make up the log
 *       <appendfilename>.<seq>.base.aof    the dataset at a rewrite
 *       <appendfilename>.<seq>.incr.aof    writes after it, in order
 *
 * Manifest grammar (one file entry per line, "\n" terminated):
 *
 *   manifest := { line }
 *   line     := comment | entry
 *   comment  := "#" <anything up to end of line>
 *   entry    := pair { " " pair }           (pairs in any order)
 *   pair     := "file" " " name | "seq" " " number | "type" " " kind
 *   kind     := "b" (base) | "i" (incremental) | "h" (history)
 *   name     := bare word, or a "double quoted" string with the escapes
 *               \n \r \t \\ \" \xHH when the name has spaces, quotes or
 *               bytes outside 0x21..0x7e
 *
 * Unknown keys are ignored (forward compatibility, as Redis does); a line
 * longer than 1024 bytes, a missing key, a second base, incremental seqs
 * that do not increase, or a manifest without any file are errors.  The
 * load order is: the base (at most one), then the incremental files in
 * manifest order.  History entries name files left over from a rewrite;
 * they are never loaded and are deleted at start-up.  Weir writes:
 *
 *   file appendonly.aof.1.base.aof seq 1 type b
 *   file appendonly.aof.1.incr.aof seq 1 type i
 *
 * The manifest is replaced atomically: written to
 * temp-<appendfilename>.manifest, fsynced, renamed over the real name,
 * then the directory is fsynced.
 *
 * AOF grammar (base and incremental files alike):
 *
 *   file       := { command | annotation }
 *   command    := "*" count CRLF { "$" len CRLF bytes CRLF }   (count args)
 *   annotation := "#" <anything> LF          (e.g. Redis's "#TS:<unix>")
 *
 * Every command is a full RESP multibulk.  "SELECT <db>" switches the
 * database of the commands that follow; "MULTI" ... "EXEC" groups
 * commands that must be applied together: a file that ends inside such
 * a group is treated as truncated at the MULTI.
 *
 * A base file written by Redis with aof-use-rdb-preamble yes is in RDB
 * form instead: <appendfilename>.<seq>.base.rdb, or (old single-file
 * layout) an RDB followed by commands.  Such a base (a ".rdb" name or the
 * "REDIS" magic) is read by rdb_load.c, whose keys arrive as commands on
 * the same pseudo client; whatever follows the RDB's EOF and checksum is
 * scanned as above.  Weir itself always writes the command form.
 */
#ifndef WEIR_AOF_INT_H
#define WEIR_AOF_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/util.h"

#define AOF_MANIFEST_MAX_LINE 1024

/* ---- manifest ------------------------------------------------------- */

struct aof_file {
    char *name; /* owned; file name inside the AOF directory */
    long long seq;
    char type; /* 'b', 'i' or 'h' */
};

struct aof_manifest {
    struct aof_file base; /* name == NULL: no base file */
    struct aof_file *incr;
    size_t nincr, cap_incr;
    struct aof_file *hist;
    size_t nhist, cap_hist;
    long long base_seq; /* highest base seq used (0 = none yet) */
    long long incr_seq; /* highest incremental seq used */
};

void aof_manifest_init(struct aof_manifest *m);
void aof_manifest_free(struct aof_manifest *m);
void aof_manifest_copy(struct aof_manifest *dst, const struct aof_manifest *src);
/* Parse manifest text; -1 with a message in err on a malformed one. */
int aof_manifest_parse(struct aof_manifest *m, const char *text, size_t len, char *err,
                       size_t errlen);
void aof_manifest_format(const struct aof_manifest *m, struct buf *out);
/* Read <dir>/<fname>.manifest: 0 loaded, 1 no such file, -1 error. */
int aof_manifest_read(const char *dir, const char *fname, struct aof_manifest *m, char *err,
                      size_t errlen);
/* Persist atomically (temp file, fsync, rename, fsync dir); -1 with err. */
int aof_manifest_write(const char *dir, const char *fname, const struct aof_manifest *m, char *err,
                       size_t errlen);
void aof_manifest_push(struct aof_file **arr, size_t *n, size_t *cap, const char *name,
                       long long seq, char type);

/* "<dir>/<name>", allocated (mem_free). */
char *aof_path(const char *dir, const char *name);
/* "<fname>.<seq>.base.aof" / "<fname>.<seq>.incr.aof", allocated. */
char *aof_base_name(const char *fname, long long seq);
char *aof_incr_name(const char *fname, long long seq);
int aof_fsync_dir(const char *dir);

/* ---- scanning a file ------------------------------------------------ */

enum aof_scan_status { AOF_SCAN_OK, AOF_SCAN_TRUNCATED, AOF_SCAN_CORRUPT };

struct aof_scan {
    enum aof_scan_status status;
    size_t valid;   /* bytes up to the end of the last whole command (or
                       the start of an unterminated MULTI) */
    size_t bad_at;  /* AOF_SCAN_CORRUPT: offset of the bad command */
    char err[160];  /* what is wrong there */
    uint64_t ncmds; /* commands delivered */
    int in_multi;   /* the file ended inside MULTI */
};

/* Called for every command, in order; commands of a MULTI/EXEC block are
 * delivered when its EXEC is read (MULTI and EXEC themselves are not).
 * off is the command's byte offset.  A non-zero return stops the scan
 * (status AOF_SCAN_CORRUPT, err left to the callback). */
typedef int (*aof_cmd_fn)(void *priv, int argc, const struct slice *argv, size_t off);

/* Scan len bytes of an AOF (fn may be NULL: check only). */
void aof_scan(const char *data, size_t len, aof_cmd_fn fn, void *priv, struct aof_scan *r);
/* Map a whole file read-only (len 0: *data = NULL); -1 and errno. */
int aof_map_file(const char *path, const char **data, size_t *len);
void aof_unmap_file(const char *data, size_t len);

struct core;
/* Replay the base and incremental files of m (in dir) through the
 * dispatcher on a pseudo client, core->loading set.  A torn tail of the
 * last file is truncated when aof-load-truncated is yes.  -1 (reason
 * logged) when the server must not go on. */
int aof_load_files(struct core *core, const char *dir, const struct aof_manifest *m);

/* ---- rewrite output --------------------------------------------------- */

/* Buffered writer of RESP commands to an fd (the rewrite child). */
struct aof_writer {
    int fd;
    struct buf b;
    off_t written;
    int err; /* first errno, 0 if none */
};
void aof_writer_cmd(struct aof_writer *w, int argc, const struct slice *argv);
void aof_writer_flush(struct aof_writer *w);

/* Append one command in RESP to b. */
void aof_encode_cmd(struct buf *b, int argc, const struct slice *argv);

/* Write the command form of the whole dataset to fd (SELECT per db,
 * then each key; see aof_rewrite.c).  Returns 0, or -1 with errno. */
int aof_rewrite_dataset(struct core *core, int fd);

#endif
