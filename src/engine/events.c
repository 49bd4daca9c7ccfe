/* events.c - the per-run event channel of events.h: a queue of SSE events read by any number
 * of readers at their own pace, with wake-ups instead of blocking. Events are numbered from 0
 * in append order; the queue holds the ones from number `base` on, and drops from its front
 * what no reader needs any more. */
#include "events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/sse.h"

struct event {
	char *name;
	struct buf data; /* the JSON text; a delta's is its head, span and tail */
	bool delta;
	size_t head_len, tail_len; /* a delta's: the parts a merge must match */
};

struct reader {
	void *id;
	size_t pos;            /* number of the next event to read */
	struct events_waker w; /* called on the next append or close when armed */
	bool armed;
	struct reader *next;
};

struct events {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled when waking drops to 0 */
	int waking;          /* wakes running outside the lock right now */
	int refs;
	bool closed;
	bool expecting;        /* not yet attached nor declined: keep everything */
	struct event *items;   /* the events kept are items[first..n), numbered base.. */
	size_t first, n, cap;
	size_t base;
	struct reader *readers;
};

struct events *events_new(void)
{
	struct events *ch = xcalloc(1, sizeof(*ch));

	pthread_mutex_init(&ch->lock, NULL);
	pthread_cond_init(&ch->idle, NULL);
	ch->refs = 1;
	ch->expecting = true;
	return ch;
}

struct events *events_ref(struct events *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->refs++;
	pthread_mutex_unlock(&ch->lock);
	return ch;
}

static void event_cleanup(struct event *ev)
{
	free(ev->name);
	buf_cleanup(&ev->data);
}

static void destroy(struct events *ch)
{
	for (size_t i = ch->first; i < ch->n; i++)
		event_cleanup(&ch->items[i]);
	while (ch->readers) {
		struct reader *r = ch->readers;

		ch->readers = r->next;
		free(r);
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

/* --- keeping and dropping (all with the lock held) --- */

/* The number one past the last event appended. */
static size_t end_of(const struct events *ch)
{
	return ch->base + (ch->n - ch->first);
}

/* The number of the first event some reader still needs: the end when none does. */
static size_t needed_from(const struct events *ch)
{
	size_t from = end_of(ch);

	if (ch->expecting)
		return ch->base;
	for (const struct reader *r = ch->readers; r; r = r->next)
		if (r->pos < from)
			from = r->pos;
	return from;
}

/* Frees the events no reader needs, and moves the rest to the front once half is free. */
static void drop_passed(struct events *ch)
{
	size_t from = needed_from(ch);

	while (ch->base < from) {
		event_cleanup(&ch->items[ch->first++]);
		ch->base++;
	}
	if (ch->first == ch->n) {
		ch->first = ch->n = 0;
	} else if (ch->first >= 16 && ch->first * 2 >= ch->n) {
		memmove(ch->items, ch->items + ch->first, (ch->n - ch->first) * sizeof(*ch->items));
		ch->n -= ch->first;
		ch->first = 0;
	}
}

/* Appends to a buffer made without a limit, which cannot refuse (out of memory aborts). */
static void must_append(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n))
		abort();
}

static struct event *push_event(struct events *ch, const char *name)
{
	struct event *ev;

	if (ch->n == ch->cap) {
		ch->cap = ch->cap ? ch->cap * 2 : 16;
		ch->items = xrealloc(ch->items, ch->cap * sizeof(*ch->items));
	}
	ev = &ch->items[ch->n++];
	memset(ev, 0, sizeof(*ev));
	ev->name = xstrdup(name);
	buf_init(&ev->data, 0);
	return ev;
}

bool events_delta_alike(const struct buf *data, size_t head_len, size_t tail_len,
			const char *head, const char *tail)
{
	return head_len == strlen(head) && memcmp(data->p, head, head_len) == 0 &&
	       tail_len == strlen(tail) &&
	       memcmp(data->p + data->len - tail_len, tail, tail_len) == 0;
}

/* The last event kept, when it is a delta like (name, head, tail) that no reader has read. */
static struct event *mergeable(struct events *ch, const char *name, const char *head,
			       const char *tail)
{
	struct event *last = ch->n > ch->first ? &ch->items[ch->n - 1] : NULL;
	size_t last_no = end_of(ch) - 1;

	if (!last || !last->delta || strcmp(last->name, name) != 0 ||
	    !events_delta_alike(&last->data, last->head_len, last->tail_len, head, tail))
		return NULL;
	for (const struct reader *r = ch->readers; r; r = r->next)
		if (r->pos > last_no)
			return NULL;
	return last;
}

/* --- waking --- */

/* Takes the wakers of the waiting readers under the lock and counts the wakes about to run:
 * they run after the lock is released (a waker takes locks of its own), and events_detach
 * waits for them. Returns an owned array of *n wakers, or NULL. */
static struct events_waker *take_wakers(struct events *ch, size_t *n)
{
	struct events_waker *list = NULL;

	*n = 0;
	for (struct reader *r = ch->readers; r; r = r->next) {
		if (!r->armed)
			continue;
		list = xrealloc(list, (*n + 1) * sizeof(*list));
		list[(*n)++] = r->w;
		r->armed = false;
	}
	if (list)
		ch->waking++;
	return list;
}

static void wake_all(struct events *ch, struct events_waker *list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		list[i].wake(list[i].ctx);
	free(list);
	pthread_mutex_lock(&ch->lock);
	if (--ch->waking == 0)
		pthread_cond_broadcast(&ch->idle);
	pthread_mutex_unlock(&ch->lock);
}

/* Ends an append or a close: drops what nobody needs, unlocks, wakes the waiting readers. */
static void publish(struct events *ch)
{
	struct events_waker *list;
	size_t n;

	drop_passed(ch);
	list = take_wakers(ch, &n);
	pthread_mutex_unlock(&ch->lock);
	wake_all(ch, list, n);
}

/* --- the producer --- */

/* True when some reader may read the event about to be appended. When none can, the event
 * is only numbered, as if appended and dropped at once. */
static bool keeps_next(struct events *ch)
{
	if (ch->expecting || ch->readers)
		return true;
	ch->base++;
	return false;
}

void events_append(struct events *ch, const char *name, const char *data)
{
	struct event *ev;

	pthread_mutex_lock(&ch->lock);
	if (keeps_next(ch)) {
		ev = push_event(ch, name);
		must_append(&ev->data, data, strlen(data));
	}
	publish(ch);
}

void events_append_delta(struct events *ch, const char *name, const char *head,
			 const char *span, size_t span_len, const char *tail)
{
	struct event *ev;

	pthread_mutex_lock(&ch->lock);
	if (!keeps_next(ch)) {
		publish(ch);
		return;
	}
	ev = mergeable(ch, name, head, tail);
	if (ev) {
		ev->data.len -= ev->tail_len; /* the span goes before the tail */
	} else {
		ev = push_event(ch, name);
		ev->delta = true;
		ev->head_len = strlen(head);
		ev->tail_len = strlen(tail);
		must_append(&ev->data, head, ev->head_len);
	}
	must_append(&ev->data, span, span_len);
	must_append(&ev->data, tail, ev->tail_len);
	publish(ch);
}

void events_close(struct events *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->closed = true;
	publish(ch);
}

/* --- readers --- */

/* The reader attached as id, or NULL. Called with the lock held. */
static struct reader *find_reader(struct events *ch, const void *id)
{
	struct reader *r = ch->readers;

	while (r && r->id != id)
		r = r->next;
	return r;
}

void events_attach(struct events *ch, void *reader)
{
	struct reader *r = xcalloc(1, sizeof(*r));

	r->id = reader;
	pthread_mutex_lock(&ch->lock);
	r->pos = ch->base;
	r->next = ch->readers;
	ch->readers = r;
	ch->expecting = false;
	pthread_mutex_unlock(&ch->lock);
}

void events_decline(struct events *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->expecting = false;
	drop_passed(ch);
	pthread_mutex_unlock(&ch->lock);
}

/* Formats r's unread events into out, up to about max_bytes. Called with the lock held. */
static void read_into(struct events *ch, struct reader *r, struct buf *out, size_t max_bytes)
{
	while (r->pos < end_of(ch) && out->len < max_bytes) {
		const struct event *ev = &ch->items[ch->first + (r->pos - ch->base)];

		if (sse_frame(out, ev->name, ev->data.p))
			break;
		r->pos++;
	}
}

enum events_read events_read(struct events *ch, void *reader, struct buf *out,
			     size_t max_bytes, const struct events_waker *w)
{
	enum events_read res = EVENTS_MORE;
	struct reader *r;

	pthread_mutex_lock(&ch->lock);
	r = find_reader(ch, reader);
	if (!r || r->pos >= end_of(ch)) {
		res = ch->closed || !r ? EVENTS_END : EVENTS_WAIT;
		if (res == EVENTS_WAIT && w) {
			r->w = *w;
			r->armed = true;
		}
	} else {
		read_into(ch, r, out, max_bytes);
		drop_passed(ch);
	}
	pthread_mutex_unlock(&ch->lock);
	return res;
}

void events_detach(struct events *ch, void *reader)
{
	struct reader **p = &ch->readers;

	pthread_mutex_lock(&ch->lock);
	while (*p && (*p)->id != reader)
		p = &(*p)->next;
	if (*p) {
		struct reader *gone = *p;

		*p = gone->next;
		free(gone);
	}
	drop_passed(ch);
	/* A wake for reader may have been taken already: after this returns, none is running
	 * or will run, so the reader may free itself. */
	while (ch->waking)
		pthread_cond_wait(&ch->idle, &ch->lock);
	pthread_mutex_unlock(&ch->lock);
}

bool events_orphaned(struct events *ch)
{
	bool alone;

	pthread_mutex_lock(&ch->lock);
	alone = ch->refs == 1;
	pthread_mutex_unlock(&ch->lock);
	return alone;
}

size_t events_kept(struct events *ch)
{
	size_t n;

	pthread_mutex_lock(&ch->lock);
	n = ch->n - ch->first;
	pthread_mutex_unlock(&ch->lock);
	return n;
}
