/* timer.h - one-shot timers in a binary min-heap: the one timer structure in assistd.
 *
 * A timer is embedded in its owner (nothing is allocated per start) and the started ones sit
 * in a heap ordered by due time, then by start order, so starting, stopping and re-arming
 * cost O(log n) whatever the count. The heap knows nothing about waiting or threads: the
 * event loop (loop.c) and the HTTP layer's deadline thread (http/suspend.c) each own one and
 * ask it how long they may sleep. Not thread-safe: one thread (or one lock) owns a heap. */
#ifndef ASSISTD_TIMER_H
#define ASSISTD_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_IDLE ((size_t)-1)

struct timer {
	int64_t due;           /* clock_ms() at which it fires */
	uint64_t seq;          /* start order: equal due times fire first-started first */
	size_t slot;           /* index in the heap, TIMER_IDLE when not started */
	void (*fn)(void *arg); /* what firing runs (see timer_heap_run) */
	void *arg;             /* borrowed */
};

struct timer_heap {
	struct timer **heap;   /* owned array of borrowed timers */
	size_t len;
	size_t cap;
	uint64_t seq;
};

void timer_heap_init(struct timer_heap *h);
/* Forgets every started timer (they read as stopped) and frees the array. */
void timer_heap_cleanup(struct timer_heap *h);

/* Sets up a stopped timer that runs fn(arg) when it fires. */
void timer_init(struct timer *t, void (*fn)(void *arg), void *arg);
/* Starts t to fire at due (clock_ms); a started timer is re-armed. */
void timer_start(struct timer_heap *h, struct timer *t, int64_t due);
/* Stops t; a stopped timer is left alone. */
void timer_stop(struct timer_heap *h, struct timer *t);
bool timer_active(const struct timer *t);

/* The earliest started timer, borrowed, or NULL when none is. */
struct timer *timer_heap_first(const struct timer_heap *h);
/* Milliseconds from now until the first timer is due (0 if it already is), at most
 * max_ms; max_ms (which may be -1: "no limit") when no timer is started. */
int timer_heap_wait_ms(const struct timer_heap *h, int64_t now, int max_ms);
/* Stops and runs, in order, every timer due at or before now that was started before this
 * call: one started by a callback with no delay waits for the next call, so a timer that
 * re-arms itself cannot starve the caller. Returns how many ran. */
int timer_heap_run(struct timer_heap *h, int64_t now);

#endif
