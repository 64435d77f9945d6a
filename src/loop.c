/*
 * loop.c - epoll event loop; see loop.h.
 *
 * Per-fd state lives in an array indexed by fd (sized max_fds, grown on
 * demand).  Timers are a short unsorted list: the server has a handful
 * (cron, blocking timeouts), so a scan is cheaper than a heap.
 */
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/mem.h"
#include "lib/util.h"

struct fd_state {
    int mask;
    loop_fd_fn fn;
    void *priv;
};

struct timer {
    long long id;
    int64_t when_us;
    loop_timer_fn fn;
    void *priv;
    struct timer *next;
};

struct loop {
    int epfd;
    int nfds;
    struct fd_state *fds;
    struct epoll_event *events;
    int nevents;
    struct timer *timers;
    long long next_timer_id;
    loop_hook_fn before_sleep;
    void *before_sleep_priv;
    long max_wait; /* one-shot bound of the next wait, -1 none */
    int stop;
};

struct loop *loop_new(int max_fds)
{
    struct loop *l = mem_calloc(sizeof(*l));
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        mem_free(l);
        return NULL;
    }
    l->nfds = max_fds > 16 ? max_fds : 16;
    l->fds = mem_calloc(sizeof(*l->fds) * (size_t)l->nfds);
    l->nevents = 1024;
    l->max_wait = -1;
    l->events = mem_alloc(sizeof(*l->events) * (size_t)l->nevents);
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    while (l->timers) {
        struct timer *t = l->timers;
        l->timers = t->next;
        mem_free(t);
    }
    close(l->epfd);
    mem_free(l->fds);
    mem_free(l->events);
    mem_free(l);
}

static void grow_fds(struct loop *l, int fd)
{
    int n = l->nfds;
    while (n <= fd)
        n *= 2;
    l->fds = mem_realloc(l->fds, sizeof(*l->fds) * (size_t)n);
    memset(l->fds + l->nfds, 0, sizeof(*l->fds) * (size_t)(n - l->nfds));
    l->nfds = n;
}

static int epoll_mask(int mask)
{
    return ((mask & LOOP_READ) ? EPOLLIN : 0) | ((mask & LOOP_WRITE) ? EPOLLOUT : 0);
}

int loop_add(struct loop *l, int fd, int mask, loop_fd_fn fn, void *priv)
{
    if (fd >= l->nfds)
        grow_fds(l, fd);
    struct fd_state *s = &l->fds[fd];
    struct epoll_event ev = {.events = (uint32_t)epoll_mask(s->mask | mask), .data.fd = fd};
    int op = s->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
        return -1;
    s->mask |= mask;
    s->fn = fn;
    s->priv = priv;
    return 0;
}

void loop_del(struct loop *l, int fd, int mask)
{
    if (fd < 0 || fd >= l->nfds || !l->fds[fd].mask)
        return;
    struct fd_state *s = &l->fds[fd];
    int left = s->mask & ~mask;
    struct epoll_event ev = {.events = (uint32_t)epoll_mask(left), .data.fd = fd};
    epoll_ctl(l->epfd, left ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, &ev);
    s->mask = left;
}

int loop_mask(struct loop *l, int fd)
{
    return (fd >= 0 && fd < l->nfds) ? l->fds[fd].mask : 0;
}

long long loop_timer_add(struct loop *l, long ms, loop_timer_fn fn, void *priv)
{
    struct timer *t = mem_alloc(sizeof(*t));
    t->id = ++l->next_timer_id;
    t->when_us = util_monotonic_us() + (int64_t)ms * 1000;
    t->fn = fn;
    t->priv = priv;
    t->next = l->timers;
    l->timers = t;
    return t->id;
}

void loop_timer_del(struct loop *l, long long id)
{
    for (struct timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct timer *t = *pp;
            *pp = t->next;
            mem_free(t);
            return;
        }
    }
}

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *priv)
{
    l->before_sleep = fn;
    l->before_sleep_priv = priv;
}

static long next_timeout_ms(struct loop *l)
{
    if (!l->timers)
        return -1;
    int64_t now = util_monotonic_us(), first = INT64_MAX;
    for (struct timer *t = l->timers; t; t = t->next)
        if (t->when_us < first)
            first = t->when_us;
    if (first <= now)
        return 0;
    return (long)((first - now + 999) / 1000);
}

static void run_timers(struct loop *l)
{
    int64_t now = util_monotonic_us();
    for (struct timer **pp = &l->timers; *pp;) {
        struct timer *t = *pp;
        if (t->when_us > now) {
            pp = &t->next;
            continue;
        }
        long again = t->fn(l, t->id, t->priv);
        /* the callback may have deleted other timers, but not itself */
        if (again < 0) {
            *pp = t->next;
            mem_free(t);
        } else {
            t->when_us = util_monotonic_us() + (int64_t)again * 1000;
            pp = &t->next;
        }
    }
}

int loop_process(struct loop *l, long timeout_ms)
{
    long t = next_timeout_ms(l);
    if (t < 0 || (timeout_ms >= 0 && timeout_ms < t))
        t = timeout_ms;
    if (l->max_wait >= 0 && (t < 0 || l->max_wait < t))
        t = l->max_wait;
    l->max_wait = -1;
    int n = epoll_wait(l->epfd, l->events, l->nevents, (int)t);
    if (n < 0 && errno != EINTR)
        return -1;
    for (int i = 0; i < n; i++) {
        int fd = l->events[i].data.fd;
        uint32_t e = l->events[i].events;
        int mask = 0;
        if (e & (EPOLLIN | EPOLLERR | EPOLLHUP))
            mask |= LOOP_READ;
        if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            mask |= LOOP_WRITE;
        /* state may change under us: re-read it for each callback */
        struct fd_state *s = &l->fds[fd];
        if ((mask & LOOP_READ) && (s->mask & LOOP_READ))
            s->fn(l, fd, s->priv, LOOP_READ);
        s = &l->fds[fd];
        if ((mask & LOOP_WRITE) && (s->mask & LOOP_WRITE))
            s->fn(l, fd, s->priv, LOOP_WRITE);
    }
    run_timers(l);
    return n > 0 ? n : 0;
}

void loop_limit_wait(struct loop *l, long ms)
{
    if (l->max_wait < 0 || ms < l->max_wait)
        l->max_wait = ms < 0 ? 0 : ms;
}

void loop_run(struct loop *l)
{
    l->stop = 0;
    while (!l->stop) {
        if (l->before_sleep)
            l->before_sleep(l, l->before_sleep_priv);
        if (l->stop)
            break;
        loop_process(l, -1);
    }
}

void loop_stop(struct loop *l)
{
    l->stop = 1;
}
