/*
 * loop.h - single-threaded event loop on epoll.
 *
 * File events: readable/writable callbacks per fd.  Timers: a small list
 * of periodic or one-shot callbacks in ms.  A before-sleep hook runs before
 * every wait (AOF flush, then pending writes).  Nothing here knows about
 * clients or commands.
 */
#ifndef WEIR_LOOP_H
#define WEIR_LOOP_H

#include <stdint.h>

#define LOOP_READ 1
#define LOOP_WRITE 2

struct loop;
typedef void (*loop_fd_fn)(struct loop *l, int fd, void *priv, int mask);
/* Return the delay in ms until the next run, or -1 to stop the timer. */
typedef long (*loop_timer_fn)(struct loop *l, long long id, void *priv);
typedef void (*loop_hook_fn)(struct loop *l, void *priv);

struct loop *loop_new(int max_fds);
void loop_free(struct loop *l);
/* Add mask to the fd's interest (callback replaced); -1 on error. */
int loop_add(struct loop *l, int fd, int mask, loop_fd_fn fn, void *priv);
void loop_del(struct loop *l, int fd, int mask);
int loop_mask(struct loop *l, int fd);
long long loop_timer_add(struct loop *l, long ms, loop_timer_fn fn, void *priv);
void loop_timer_del(struct loop *l, long long id);
void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *priv);
/* Bound the next wait to ms (called from before-sleep; one-shot). */
void loop_limit_wait(struct loop *l, long ms);
/* Run until loop_stop. */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Handle ready events once, waiting at most timeout_ms (tests, shutdown). */
int loop_process(struct loop *l, long timeout_ms);

#endif
