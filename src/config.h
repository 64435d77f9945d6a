/*
 * config.h - server configuration: one table of parameters with defaults,
 * parsed from a redis.conf-style file and "--name value" arguments, and
 * read/written by CONFIG GET/SET/REWRITE.
 */
#ifndef WEIR_CONFIG_H
#define WEIR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum appendfsync { FSYNC_EVERYSEC, FSYNC_ALWAYS, FSYNC_NO }; /* order of config.c names */
enum loglevel { LL_DEBUG, LL_VERBOSE, LL_NOTICE, LL_WARNING, LL_NOTHING };

struct config {
    char *config_file; /* absolute path or NULL */
    long port;
    char *bind;       /* space-separated addresses */
    char *unixsocket; /* NULL when empty */
    long unixsocketperm;
    char *dir; /* as given at startup; absolute after CONFIG SET */
    char *logfile;
    int loglevel;
    long databases;
    long timeout; /* idle client timeout, s; 0 = never */
    long tcp_keepalive;
    long maxclients;
    long tcp_backlog;
    int daemonize; /* only "no" is supported */
    int protected_mode;
    char *requirepass; /* NULL when empty */
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long maxmemory;
    long hz;
    int enable_debug_command; /* 0 no, 1 yes, 2 local */
    long stream_node_max_bytes;
    long stream_node_max_entries;
    long stream_idmp_duration;
    long stream_idmp_maxsize;
    int appendonly;
    int appendfsync;
    char *appenddirname;
    char *appendfilename;
    long auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    int aof_load_truncated;
    int aof_use_rdb_preamble;
    char *dbfilename;
    char *save; /* "secs changes ..." normalized, "" = none */
    long slowlog_log_slower_than;
    long slowlog_max_len;
    int lazyfree_lazy_user_flush;
    char *pidfile; /* NULL when empty */
    long active_expire_effort;
    int latency_tracking; /* yes/no, as Redis's latency-tracking */
    char *notify_keyspace_events;
};

void config_init_defaults(struct config *c);
void config_free(struct config *c);
/* Apply one "name value..." directive; returns 0 or -1 with the bare
 * reason in errbuf ("argument must be 'yes' or 'no'", "Bad directive or
 * wrong number of arguments").  save and bind join several values with
 * spaces; other parameters take exactly one.  at_startup == 0 refuses
 * immutable parameters and makes "dir" chdir. */
int config_apply(struct config *c, const char *name, const char *const *vals, int nvals,
                 int at_startup, char *errbuf, size_t errlen);
/* Load a file (redis.conf syntax, "include" with globs supported; several
 * "save" lines accumulate); -1 on error with a report in errbuf:
 *   "Reading the configuration file <path>, at line N\n>>> '<line>'\n<reason>"
 * (the caller prints the "*** FATAL CONFIG FILE ERROR ***" banner). */
int config_load_file(struct config *c, const char *path, char *errbuf, size_t errlen);
/* Parse argv of the server binary: [config-file] [-] [--name value ...].
 * The file is loaded first and c->config_file set to its absolute path;
 * "-" reads more config from stdin; each --name takes the values up to the
 * next "--" argument ("--save" alone means save ""). */
int config_load_argv(struct config *c, int argc, char **argv, char *errbuf, size_t errlen);

/* Iterate parameters matching a glob (case-insensitive) for CONFIG GET:
 * calls fn(name, value).  Memory sizes are plain bytes, bools yes/no,
 * "dir" is the current working directory. */
void config_get_matching(const struct config *c, const char *pattern, size_t plen,
                         void (*fn)(void *priv, const char *name, const char *value), void *priv);
/* CONFIG SET at runtime, all or nothing: every name is checked (unknown,
 * immutable, repeated) and every value parsed before any is applied.
 * Errors are Redis's texts without the "ERR " prefix:
 *   "Unknown option or number of arguments for CONFIG SET - 'x'"
 *   "CONFIG SET failed (possibly related to argument 'x') - <reason>" */
int config_set_many(struct config *c, int n, const char *const *names, const char *const *values,
                    char *errbuf, size_t errlen);
int config_set(struct config *c, const char *name, const char *value, char *errbuf, size_t errlen);
int config_exists(const char *name);
/* Write the current config back to c->config_file (CONFIG REWRITE):
 * comments and unknown lines are kept, the first line of each known
 * parameter is replaced by its value (repeats dropped), changed parameters
 * absent from the file are appended.  Written to a temp file and renamed.
 * Errors (no "ERR " prefix): "The server is running without a config file",
 * "Rewriting config file: <strerror>". */
int config_rewrite(const struct config *c, char *errbuf, size_t errlen);

#endif
