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

enum appendfsync { FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO };
enum loglevel { LL_DEBUG, LL_VERBOSE, LL_NOTICE, LL_WARNING, LL_NOTHING };

struct config {
    char *config_file;          /* absolute path or NULL */
    long port;
    char *bind;                 /* space-separated addresses */
    char *unixsocket;
    long unixsocketperm;
    char *dir;
    char *logfile;
    int loglevel;
    long databases;
    long timeout;               /* idle client timeout, s; 0 = never */
    long tcp_keepalive;
    long maxclients;
    long tcp_backlog;
    int daemonize;              /* only "no" is supported */
    int protected_mode;
    char *requirepass;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long maxmemory;
    long hz;
    int enable_debug_command;   /* 0 no, 1 yes, 2 local */
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
    char *save;
    long slowlog_log_slower_than;
    long slowlog_max_len;
    int lazyfree_lazy_user_flush;
    char *pidfile;
    long active_expire_effort;
    long long latency_tracking;
    char *notify_keyspace_events;
};

void config_init_defaults(struct config *c);
void config_free(struct config *c);
/* Apply one "name value..." directive; returns 0 or -1 with err set
 * (static text or written into errbuf of errlen bytes). */
int config_apply(struct config *c, const char *name, const char *const *vals, int nvals,
                 int at_startup, char *errbuf, size_t errlen);
/* Load a file (redis.conf syntax, "include" supported); -1 on error with
 * "file:line: message" in errbuf. */
int config_load_file(struct config *c, const char *path, char *errbuf, size_t errlen);
/* Parse argv of the server binary: [config-file] [--name value ...]. */
int config_load_argv(struct config *c, int argc, char **argv, char *errbuf, size_t errlen);

/* Iterate parameters matching a glob for CONFIG GET: calls fn(name, value). */
void config_get_matching(const struct config *c, const char *pattern, size_t plen,
                         void (*fn)(void *priv, const char *name, const char *value),
                         void *priv);
/* CONFIG SET of one parameter at runtime (validates, applies). */
int config_set(struct config *c, const char *name, const char *value, char *errbuf,
               size_t errlen);
int config_exists(const char *name);
/* Write the current config back to c->config_file (CONFIG REWRITE). */
int config_rewrite(const struct config *c, char *errbuf, size_t errlen);

#endif
