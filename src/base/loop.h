/* loop.h - the event loop: file descriptors, timers, cross-thread posts and child processes.
 *
 * Modelled on redis ae.c and libuv's uv_run. One thread runs a loop (loop_run); every
 * callback runs on that thread, one at a time, so the state they share needs no lock. Each
 * iteration runs the timers that are due, then waits in epoll_wait until the next timer,
 * a ready descriptor or a post, and runs what is ready. Watchers (struct loop_io, struct
 * timer) are embedded in their owners; the loop allocates nothing per event.
 *
 * Threads: loop_post and loop_stop may be called from any thread. Everything else is for
 * the loop's own thread (or any one thread while no loop_run is in progress). */
#ifndef ASSISTD_LOOP_H
#define ASSISTD_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "timer.h"

struct loop;

/* What a descriptor is watched for, and (in a callback) what it is ready for. LOOP_ERROR is
 * reported on error or hang-up whatever was asked. */
enum { LOOP_READ = 1, LOOP_WRITE = 2, LOOP_ERROR = 4 };

struct loop_io {
	int fd;
	int events;  /* what it is watched for now; 0 when not watched */
	void (*fn)(void *arg, int fd, int ready);
	void *arg;   /* borrowed */
};

/* Creates a loop. *out is owned: free with loop_free. Errors: ERR_INTERNAL. */
int loop_new(struct loop **out) MUST_CHECK;
/* Frees a loop no thread is running; NULL is a no-op. Posts not yet run are run first, so
 * nothing handed over with loop_post is lost. Watchers still set are forgotten. */
void loop_free(struct loop *l);

/* Runs iterations until loop_stop. */
void loop_run(struct loop *l);
/* Runs one iteration, waiting at most timeout_ms (-1: until something happens). Returns
 * how many callbacks ran. For tests and for code that drives a loop by hand. */
int loop_run_once(struct loop *l, int timeout_ms);
/* Makes loop_run return after the iteration in progress. Any thread. */
void loop_stop(struct loop *l);

/* Timers: t (set up with timer_init) fires once, delay_ms from now (0: in the next
 * iteration). Starting a started timer re-arms it. */
void loop_timer_start(struct loop *l, struct timer *t, int64_t delay_ms);
void loop_timer_stop(struct loop *l, struct timer *t);

/* Descriptors: sets up io for fd; fn(arg, fd, ready) runs when fd is ready. */
void loop_io_init(struct loop_io *io, int fd, void (*fn)(void *arg, int fd, int ready),
		  void *arg);
/* Watches io->fd for events (LOOP_READ | LOOP_WRITE, or 0 to stop, as loop_io_stop).
 * Errors: ERR_INTERNAL (epoll refused the descriptor; logged; io is then not watched). */
int loop_io_set(struct loop *l, struct loop_io *io, int events) MUST_CHECK;
/* Stops watching io: no callback runs for it afterwards, even one already pending in this
 * iteration, so io may be freed (and its descriptor closed) right after. */
void loop_io_stop(struct loop *l, struct loop_io *io);

/* Runs fn(arg) on the loop's thread in a later iteration, in the order posted. Any thread;
 * never blocks on the loop. */
void loop_post(struct loop *l, void (*fn)(void *arg), void *arg);

/* Watches child process pid (of this process): when it exits, cb(arg, status) runs once
 * with its waitpid status, and the child is reaped. Uses a pidfd where the kernel has them,
 * else checks every 50 ms. Errors: ERR_INTERNAL. */
int loop_child_watch(struct loop *l, pid_t pid, void (*cb)(void *arg, int status), void *arg)
	MUST_CHECK;

#endif
