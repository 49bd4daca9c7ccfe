/* ptimer.h - one-shot timers for the provider poll loop (private to src/providers).
 *
 * The demo model's word pacing and the upstream retry backoff run on these timers, inside
 * prov_poll on the engine thread. A timer is embedded in its owner (no allocation per arm)
 * and the armed ones sit in a binary heap ordered by due time, so thousands of calls cost
 * O(log n) each. Not thread-safe: one thread owns a set of timers. */
#ifndef ASSISTD_PTIMER_H
#define ASSISTD_PTIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTIMER_IDLE ((size_t)-1)

struct ptimer {
	int64_t due;            /* clock_ms() at which it fires */
	uint64_t seq;           /* arming order: equal due times fire first-armed first */
	size_t slot;            /* index in the heap, PTIMER_IDLE when not armed */
	void (*fn)(void *ctx);  /* runs once when the timer fires */
	void *ctx;              /* borrowed */
};

struct ptimers {
	struct ptimer **heap; /* owned array of borrowed timers */
	size_t len;
	size_t cap;
	uint64_t seq;
};

void ptimers_init(struct ptimers *t);
/* Frees the heap; armed timers are simply forgotten. */
void ptimers_cleanup(struct ptimers *t);

/* Prepares a disarmed timer that will call fn(ctx). */
void ptimer_init(struct ptimer *tm, void (*fn)(void *ctx), void *ctx);
/* Fires tm after delay_ms (<= 0: at the next ptimers_run). Re-arms a timer already armed. */
void ptimer_arm(struct ptimers *t, struct ptimer *tm, int64_t delay_ms);
/* Disarms tm; a no-op when it is not armed. */
void ptimer_disarm(struct ptimers *t, struct ptimer *tm);
bool ptimer_armed(const struct ptimer *tm);

/* Milliseconds until the next timer is due, at most max_ms (and never below 0). */
int ptimers_wait_ms(const struct ptimers *t, int max_ms);
/* Fires every timer due now, in order; a callback may arm or disarm any timer. Returns how
 * many fired. */
int ptimers_run(struct ptimers *t);

#endif
