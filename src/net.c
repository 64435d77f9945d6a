/*
 * net.c - socket helpers; see net.h.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(char *err, const char *what, int fd)
{
    snprintf(err, NET_ERR_LEN, "%s: %s", what, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

int net_tcp_listen(const char *addr, int port, int backlog, char *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    int v6 = strchr(addr, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        const char *a = strcmp(addr, "::*") == 0 ? "::" : addr;
        if (inet_pton(AF_INET6, a, &s6->sin6_addr) != 1) {
            snprintf(err, NET_ERR_LEN, "invalid bind address '%s'", addr);
            return -1;
        }
        sl = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        const char *a = strcmp(addr, "*") == 0 ? "0.0.0.0" : addr;
        if (inet_pton(AF_INET, a, &s4->sin_addr) != 1) {
            snprintf(err, NET_ERR_LEN, "invalid bind address '%s'", addr);
            return -1;
        }
        sl = sizeof(*s4);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(err, "socket", -1);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (v6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
        return fail(err, "bind", fd);
    if (listen(fd, backlog) < 0)
        return fail(err, "listen", fd);
    return fd;
}

int net_unix_listen(const char *path, unsigned perm, int backlog, char *err)
{
    struct sockaddr_un su;
    memset(&su, 0, sizeof(su));
    su.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(su.sun_path)) {
        snprintf(err, NET_ERR_LEN, "unix socket path too long: %s", path);
        return -1;
    }
    strcpy(su.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(err, "socket", -1);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&su, sizeof(su)) < 0)
        return fail(err, "bind", fd);
    if (perm)
        chmod(path, (mode_t)perm);
    if (listen(fd, backlog) < 0)
        return fail(err, "listen", fd);
    return fd;
}

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        port = ntohs(s->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        port = ntohs(s->sin6_port);
    }
    snprintf(out, len, "%s:%d", ip, port);
}

int net_accept(int lfd, char *peer, size_t peerlen, char *local, size_t locallen, int is_unix)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd;
    do {
        fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    if (is_unix) {
        snprintf(peer, peerlen, "/unixsocket:0");
        snprintf(local, locallen, "/unixsocket:0");
        return fd;
    }
    format_addr(&ss, peer, peerlen);
    sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        format_addr(&ss, local, locallen);
    else
        snprintf(local, locallen, "?:0");
    return fd;
}

void net_set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void net_set_keepalive(int fd, int interval)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    if (interval <= 0)
        return;
    int idle = interval, intvl = interval / 3 ? interval / 3 : 1, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}
