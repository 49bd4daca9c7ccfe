/* ptimer.c - the timer heap of ptimer.h.
 *
 * A classic binary min-heap keyed by (due, seq); each timer remembers its slot so that
 * disarming is O(log n). It knows nothing about polling: the provider asks how long it may
 * sleep and then runs what is due. */
#include "ptimer.h"

#include <stdlib.h>

#include "../base/alloc.h"
#include "../base/clock.h"

void ptimers_init(struct ptimers *t)
{
	t->heap = NULL;
	t->len = 0;
	t->cap = 0;
	t->seq = 0;
}

void ptimers_cleanup(struct ptimers *t)
{
	for (size_t i = 0; i < t->len; i++)
		t->heap[i]->slot = PTIMER_IDLE;
	free(t->heap);
	ptimers_init(t);
}

void ptimer_init(struct ptimer *tm, void (*fn)(void *ctx), void *ctx)
{
	tm->due = 0;
	tm->seq = 0;
	tm->slot = PTIMER_IDLE;
	tm->fn = fn;
	tm->ctx = ctx;
}

bool ptimer_armed(const struct ptimer *tm)
{
	return tm->slot != PTIMER_IDLE;
}

static bool earlier(const struct ptimer *a, const struct ptimer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void place(struct ptimers *t, size_t i, struct ptimer *tm)
{
	t->heap[i] = tm;
	tm->slot = i;
}

static void sift_up(struct ptimers *t, size_t i)
{
	struct ptimer *tm = t->heap[i];

	while (i > 0 && earlier(tm, t->heap[(i - 1) / 2])) {
		place(t, i, t->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(t, i, tm);
}

static void sift_down(struct ptimers *t, size_t i)
{
	struct ptimer *tm = t->heap[i];

	for (;;) {
		size_t kid = 2 * i + 1;

		if (kid >= t->len)
			break;
		if (kid + 1 < t->len && earlier(t->heap[kid + 1], t->heap[kid]))
			kid++;
		if (!earlier(t->heap[kid], tm))
			break;
		place(t, i, t->heap[kid]);
		i = kid;
	}
	place(t, i, tm);
}

void ptimer_disarm(struct ptimers *t, struct ptimer *tm)
{
	size_t i = tm->slot;
	struct ptimer *last;

	if (i == PTIMER_IDLE)
		return;
	tm->slot = PTIMER_IDLE;
	last = t->heap[--t->len];
	if (last == tm)
		return;
	/* Move the last timer into the hole and restore the order in whichever direction. */
	place(t, i, last);
	sift_down(t, i);
	sift_up(t, last->slot);
}

void ptimer_arm(struct ptimers *t, struct ptimer *tm, int64_t delay_ms)
{
	ptimer_disarm(t, tm);
	if (t->len == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->heap = xrealloc(t->heap, t->cap * sizeof(*t->heap));
	}
	tm->due = clock_ms() + (delay_ms > 0 ? delay_ms : 0);
	tm->seq = t->seq++;
	place(t, t->len++, tm);
	sift_up(t, t->len - 1);
}

int ptimers_wait_ms(const struct ptimers *t, int max_ms)
{
	int64_t left;

	if (max_ms < 0)
		max_ms = 0;
	if (t->len == 0)
		return max_ms;
	left = t->heap[0]->due - clock_ms();
	if (left < 0)
		return 0;
	return left < max_ms ? (int)left : max_ms;
}

int ptimers_run(struct ptimers *t)
{
	int64_t now = clock_ms();
	int fired = 0;

	while (t->len > 0 && t->heap[0]->due <= now) {
		struct ptimer *tm = t->heap[0];

		ptimer_disarm(t, tm);
		fired++;
		tm->fn(tm->ctx);
	}
	return fired;
}
