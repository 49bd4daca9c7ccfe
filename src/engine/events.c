/* events.c - the per-run event channel of events.h: an append-only list of SSE events,
 * read by any number of readers at their own pace, with wake-ups instead of blocking. */
#include "events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/sse.h"

struct event {
	char *name;
	char *data;
};

struct waiter {
	struct events_waker w;
	struct waiter *next;
};

struct events {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled when waking drops to 0 */
	int waking;          /* wakes running outside the lock right now */
	int refs;
	bool closed;
	struct event *items; /* n of them, capacity cap */
	size_t n, cap;
	struct waiter *waiters; /* readers to wake on the next append or close */
};

struct events *events_new(void)
{
	struct events *ch = xcalloc(1, sizeof(*ch));

	pthread_mutex_init(&ch->lock, NULL);
	pthread_cond_init(&ch->idle, NULL);
	ch->refs = 1;
	return ch;
}

struct events *events_ref(struct events *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->refs++;
	pthread_mutex_unlock(&ch->lock);
	return ch;
}

static void destroy(struct events *ch)
{
	for (size_t i = 0; i < ch->n; i++) {
		free(ch->items[i].name);
		free(ch->items[i].data);
	}
	while (ch->waiters) {
		struct waiter *w = ch->waiters;

		ch->waiters = w->next;
		free(w);
	}
	free(ch->items);
	pthread_cond_destroy(&ch->idle);
	pthread_mutex_destroy(&ch->lock);
	free(ch);
}

void events_unref(struct events *ch)
{
	int refs;

	if (!ch)
		return;
	pthread_mutex_lock(&ch->lock);
	refs = --ch->refs;
	pthread_mutex_unlock(&ch->lock);
	if (refs == 0)
		destroy(ch);
}

/* Takes the waiter list under the lock and counts the wakes about to run: they run after
 * the lock is released (a waker takes locks of its own), and events_forget waits for them. */
static struct waiter *take_waiters(struct events *ch)
{
	struct waiter *list = ch->waiters;

	ch->waiters = NULL;
	if (list)
		ch->waking++;
	return list;
}

static void wake_all(struct events *ch, struct waiter *list)
{
	if (!list)
		return;
	while (list) {
		struct waiter *next = list->next;

		list->w.wake(list->w.ctx);
		free(list);
		list = next;
	}
	pthread_mutex_lock(&ch->lock);
	if (--ch->waking == 0)
		pthread_cond_broadcast(&ch->idle);
	pthread_mutex_unlock(&ch->lock);
}

void events_append(struct events *ch, const char *name, const char *data)
{
	struct waiter *list;

	pthread_mutex_lock(&ch->lock);
	if (ch->n == ch->cap) {
		ch->cap = ch->cap ? ch->cap * 2 : 16;
		ch->items = xrealloc(ch->items, ch->cap * sizeof(*ch->items));
	}
	ch->items[ch->n].name = xstrdup(name);
	ch->items[ch->n].data = xstrdup(data);
	ch->n++;
	list = take_waiters(ch);
	pthread_mutex_unlock(&ch->lock);
	wake_all(ch, list);
}

void events_close(struct events *ch)
{
	struct waiter *list;

	pthread_mutex_lock(&ch->lock);
	ch->closed = true;
	list = take_waiters(ch);
	pthread_mutex_unlock(&ch->lock);
	wake_all(ch, list);
}

/* Removes the waiter registered with ctx, if any. Called with the lock held. */
static void unregister(struct events *ch, void *ctx)
{
	struct waiter **p = &ch->waiters;

	while (*p) {
		if ((*p)->w.ctx == ctx) {
			struct waiter *gone = *p;

			*p = gone->next;
			free(gone);
			return;
		}
		p = &(*p)->next;
	}
}

static void register_waker(struct events *ch, const struct events_waker *w)
{
	struct waiter *wt = xmalloc(sizeof(*wt));

	unregister(ch, w->ctx);
	wt->w = *w;
	wt->next = ch->waiters;
	ch->waiters = wt;
}

enum events_read events_read(struct events *ch, size_t *pos, struct buf *out, size_t max_bytes,
			     const struct events_waker *w)
{
	enum events_read r = EVENTS_MORE;

	pthread_mutex_lock(&ch->lock);
	if (*pos >= ch->n) {
		r = ch->closed ? EVENTS_END : EVENTS_WAIT;
		if (r == EVENTS_WAIT && w)
			register_waker(ch, w);
	}
	while (r == EVENTS_MORE && *pos < ch->n && out->len < max_bytes) {
		if (sse_frame(out, ch->items[*pos].name, ch->items[*pos].data))
			break;
		(*pos)++;
	}
	pthread_mutex_unlock(&ch->lock);
	return r;
}

void events_forget(struct events *ch, void *ctx)
{
	pthread_mutex_lock(&ch->lock);
	unregister(ch, ctx);
	/* A wake for ctx may have been taken off the list already: after this returns, none
	 * is running or will run, so the reader may free ctx. */
	while (ch->waking)
		pthread_cond_wait(&ch->idle, &ch->lock);
	pthread_mutex_unlock(&ch->lock);
}

const char *events_name_at(struct events *ch, size_t pos)
{
	const char *name;

	pthread_mutex_lock(&ch->lock);
	name = pos < ch->n ? ch->items[pos].name : NULL;
	pthread_mutex_unlock(&ch->lock);
	return name;
}

size_t events_count(struct events *ch)
{
	size_t n;

	pthread_mutex_lock(&ch->lock);
	n = ch->n;
	pthread_mutex_unlock(&ch->lock);
	return n;
}
