/*
 * core.h - the server-wide state that command handlers may see.
 *
 * There is one struct core, owned by server.c and handed to handlers in
 * struct cmd_ctx.  It holds configuration, databases, statistics and the
 * client list; it holds no sockets or event-loop objects (server.c keeps
 * those) but offers a few server actions through function pointers.
 */
#ifndef WEIR_CORE_H
#define WEIR_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "config.h"
#include "db.h"

struct cmd_stats {
    uint64_t calls;
    uint64_t ticks; /* time in util_ticks units; INFO converts */
    uint64_t rejected_calls;
    uint64_t failed_calls;
};

struct core_stats {
    uint64_t total_connections_received;
    uint64_t total_commands_processed;
    uint64_t rejected_connections;
    uint64_t expired_keys;
    uint64_t evicted_keys;
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
    uint64_t total_error_replies;
    uint64_t unexpected_error_replies;
    uint64_t client_qbuf_limit_disconnections;
    uint64_t total_reads_processed;
    uint64_t total_writes_processed;
    uint64_t dirty;        /* changes since last save */
    struct cmd_stats *cmd; /* indexed by cmd_def.id */
    struct dict *errors;   /* error code -> (uintptr_t) count */
};

struct prop_sink {
    /* Receives each propagated command (AOF, later replicas). */
    void (*feed)(void *priv, int dbid, int argc, const struct slice *argv);
    void *priv;
};

struct core {
    struct config cfg;
    struct db *dbs;
    int ndbs;
    struct core_stats stats;
    struct client *clients; /* doubly-linked list of connections */
    size_t nclients;
    uint64_t next_client_id;
    int64_t start_time_ms;
    int64_t lastsave_s;
    int64_t now_ms; /* cached at each event-loop iteration */
    struct prop_sink prop;
    int loading;       /* replaying the AOF */
    int shutdown_asap; /* set by SHUTDOWN / signals */
    int shutdown_flags;
    int exec_depth;
    int active_expire_enabled;   /* DEBUG SET-ACTIVE-EXPIRE */
    struct dict *watched_keys;   /* (dbid, key) -> struct watchers*, multi.c */
    struct dict *blocking_keys;  /* (dbid, key) -> struct waiters*, block.c */
    struct dict *ready_keys;     /* (dbid, key) -> NULL: keys to serve, block.c */
    struct client *blocked_head; /* every blocked client, block.c */
    size_t nblocked;
    char run_id[41];
    char executable[1024];

    /* server actions (server.c) */
    void (*kill_client)(struct core *c, struct client *cl); /* close after flush */
    /* serve clients blocked on keys that became ready (after a command) */
    void (*serve_ready)(struct core *c);
    /* a blocked client was unblocked outside the serve path (CLIENT UNBLOCK) */
    void (*client_unblocked)(struct core *c, struct client *cl);
    int (*save)(struct core *c, char *err, size_t errlen); /* SAVE; -1 on error */
    int (*bgrewriteaof)(struct core *c, char *err, size_t errlen);
};

#endif
