/*
 * client.h - the state of one connection as command handlers see it.
 *
 * conn.c owns the socket side (buffers, reads, writes); handlers may read
 * and update the protocol-level fields here (selected db, RESP version,
 * name, transaction state).
 */
#ifndef WEIR_CLIENT_H
#define WEIR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "resp_parse.h"
#include "resp_write.h"

enum {
    CLIENT_MULTI = 1 << 0,      /* inside MULTI */
    CLIENT_DIRTY_CAS = 1 << 1,  /* a WATCHed key changed */
    CLIENT_DIRTY_EXEC = 1 << 2, /* a command failed to queue */
    CLIENT_CLOSE_AFTER_REPLY = 1 << 3,
    CLIENT_CLOSE_ASAP = 1 << 4,
    CLIENT_BLOCKED = 1 << 5,
    CLIENT_PSEUDO = 1 << 6, /* AOF loader: no socket */
    CLIENT_NO_EVICT = 1 << 7,
    CLIENT_NO_TOUCH = 1 << 8,
    CLIENT_REPLY_OFF = 1 << 9,
    CLIENT_REPLY_SKIP_NEXT = 1 << 10,
    CLIENT_REPLY_SKIP = 1 << 11,
    CLIENT_UNIX = 1 << 12,
    CLIENT_IN_EXEC = 1 << 13,
    CLIENT_PENDING_WRITE = 1 << 14,
    CLIENT_WATCHING = 1 << 15,
};

struct multi_cmd {
    const struct cmd_def *cmd;
    int argc;
    struct slice *argv; /* owned copies */
};

struct block_state; /* block.c */

struct client {
    uint64_t id;
    int fd;
    uint32_t flags;
    int db_index;
    int resp; /* 2 or 3 */
    int authenticated;
    char *name;               /* CLIENT SETNAME, owned, NULL if none */
    char *lib_name, *lib_ver; /* CLIENT SETINFO */
    char addr[64], laddr[64];
    int64_t ctime_ms; /* connection time */
    int64_t last_interaction_ms;
    const char *last_cmd; /* fullname of the last command */

    /* input side (conn.c) */
    struct buf in;
    struct resp_state pstate;
    struct slice *argv;
    size_t argv_cap;
    size_t qbuf_peak;

    /* output side */
    struct buf out;
    size_t out_sent;    /* bytes of out already written */
    struct resp_out ro; /* {&out, resp} */

    /* transactions */
    struct multi_cmd *mq;
    int mq_len, mq_cap;
    struct watched_key *watched; /* list, watch.c */

    /* blocking (XREAD/XREADGROUP BLOCK) */
    struct block_state *bstate;

    /* list links (core->clients) */
    struct client *prev, *next;
    struct client *pending_next; /* clients with output to flush */
    int64_t tot_cmds;
    void *srv; /* the owning server (server.c) */
};

#endif
