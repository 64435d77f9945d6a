/*
 * net.h - socket helpers: listen, accept, socket options.  Errors are
 * written into the caller's err buffer (NET_ERR_LEN bytes); functions
 * return -1 on error.
 */
#ifndef WEIR_NET_H
#define WEIR_NET_H

#include <stddef.h>

#define NET_ERR_LEN 256

/* Listen on addr:port (addr may be IPv4, IPv6, "*" for 0.0.0.0 or "::*"
 * for [::]). Returns the fd (non-blocking). */
int net_tcp_listen(const char *addr, int port, int backlog, char *err);
int net_unix_listen(const char *path, unsigned perm, int backlog, char *err);
/* Accept one connection; returns fd (non-blocking, cloexec) or -1 with
 * errno EAGAIN when none is pending.  ip/lip get "ip:port" text. */
int net_accept(int lfd, char *peer, size_t peerlen, char *local, size_t locallen, int is_unix);
void net_set_nodelay(int fd);
void net_set_keepalive(int fd, int interval);

#endif
