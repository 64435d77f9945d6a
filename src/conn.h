/*
 * conn.h - client connections: input buffering, request parsing and
 * dispatch, output buffering.  conn.c is the only module that reads from
 * or writes to client sockets; the event loop registration is server.c's.
 */
#ifndef WEIR_CONN_H
#define WEIR_CONN_H

#include <stdint.h>

#include "client.h"
#include "core.h"

/* Create a client for fd (or -1 for a pseudo client) and link it into
 * core->clients.  peer/local are "ip:port" texts. */
struct client *conn_new(struct core *core, int fd, const char *peer, const char *local,
                        uint32_t flags);
/* Unlink and free (does not close the fd). */
void conn_free(struct core *core, struct client *c);
/* Read what the socket has; returns -1 when the connection is gone or
 * over its query-buffer limit, 0 otherwise. */
int conn_read(struct core *core, struct client *c);
/* Parse and run every complete request in the input buffer (stops while
 * the client is blocked or closing). */
void conn_process(struct core *core, struct client *c);
/* Does the client have output to send? */
int conn_has_output(const struct client *c);
/* Write pending output; returns 1 when all was written, 0 when the socket
 * is full, -1 on error. */
int conn_write(struct core *core, struct client *c);
/* Run one command on a pseudo client (AOF loading, tests); the reply is
 * discarded.  Returns 0 if the command succeeded, -1 if it failed. */
int conn_run_pseudo(struct core *core, struct client *c, int argc, const struct slice *argv);

#endif
