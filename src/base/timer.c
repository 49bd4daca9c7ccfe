/* timer.c - the timer heap of timer.h.
 *
 * A classic binary min-heap keyed by (due, seq); each timer remembers its slot so that
 * stopping one is O(log n). It neither sleeps nor reads the clock: its owner does both. */
#include "timer.h"

#include <stdlib.h>

#include "alloc.h"

void timer_heap_init(struct timer_heap *h)
{
	h->heap = NULL;
	h->len = 0;
	h->cap = 0;
	h->seq = 0;
}

void timer_heap_cleanup(struct timer_heap *h)
{
	for (size_t i = 0; i < h->len; i++)
		h->heap[i]->slot = TIMER_IDLE;
	free(h->heap);
	timer_heap_init(h);
}

void timer_init(struct timer *t, void (*fn)(void *arg), void *arg)
{
	t->due = 0;
	t->seq = 0;
	t->slot = TIMER_IDLE;
	t->fn = fn;
	t->arg = arg;
}

bool timer_active(const struct timer *t)
{
	return t->slot != TIMER_IDLE;
}

static bool earlier(const struct timer *a, const struct timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void place(struct timer_heap *h, size_t i, struct timer *t)
{
	h->heap[i] = t;
	t->slot = i;
}

static void sift_up(struct timer_heap *h, size_t i)
{
	struct timer *t = h->heap[i];

	while (i > 0 && earlier(t, h->heap[(i - 1) / 2])) {
		place(h, i, h->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(h, i, t);
}

static void sift_down(struct timer_heap *h, size_t i)
{
	struct timer *t = h->heap[i];

	for (;;) {
		size_t kid = 2 * i + 1;

		if (kid >= h->len)
			break;
		if (kid + 1 < h->len && earlier(h->heap[kid + 1], h->heap[kid]))
			kid++;
		if (!earlier(h->heap[kid], t))
			break;
		place(h, i, h->heap[kid]);
		i = kid;
	}
	place(h, i, t);
}

void timer_stop(struct timer_heap *h, struct timer *t)
{
	size_t i = t->slot;
	struct timer *last;

	if (i == TIMER_IDLE)
		return;
	t->slot = TIMER_IDLE;
	last = h->heap[--h->len];
	if (last == t)
		return;
	/* Move the last timer into the hole and restore the order in whichever direction. */
	place(h, i, last);
	sift_down(h, i);
	sift_up(h, last->slot);
}

void timer_start(struct timer_heap *h, struct timer *t, int64_t due)
{
	timer_stop(h, t);
	if (h->len == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->heap = xrealloc(h->heap, h->cap * sizeof(*h->heap));
	}
	t->due = due;
	t->seq = h->seq++;
	place(h, h->len++, t);
	sift_up(h, h->len - 1);
}

struct timer *timer_heap_first(const struct timer_heap *h)
{
	return h->len ? h->heap[0] : NULL;
}

int timer_heap_wait_ms(const struct timer_heap *h, int64_t now, int max_ms)
{
	int64_t left;

	if (h->len == 0)
		return max_ms;
	left = h->heap[0]->due - now;
	if (left <= 0)
		return 0;
	return max_ms >= 0 && left > max_ms ? max_ms : (int)(left < INT32_MAX ? left : INT32_MAX);
}

int timer_heap_run(struct timer_heap *h, int64_t now)
{
	uint64_t before = h->seq;
	int fired = 0;

	/* Order is (due, seq), so a timer started during this call with due <= now sorts
	 * after every older one that is due: meeting one means the older ones are done. */
	while (h->len > 0 && h->heap[0]->due <= now && h->heap[0]->seq < before) {
		struct timer *t = h->heap[0];

		timer_stop(h, t);
		fired++;
		t->fn(t->arg);
	}
	return fired;
}
