/* events.c - the per-run event channel of events.h: a list of SSE events, read by any
 * number of readers at their own pace, with wake-ups instead of blocking.
 *
 * What a channel holds is bounded by what its readers still need, not by the length of the
 * reply (a reply of 300,000 one-character deltas must not cost 300,000 events):
 *  - an event no reader has reached yet absorbs the next delta of the same text (a message's
 *    text, a tool call's arguments): the event stays open, its text growing in a buffer, and
 *    is written out as JSON when a reader first reads it;
 *  - events every reader has read are dropped, once every reader is known (each registers
 *    with its first read that waits);
 *  - once no reader is left (every reference but the writer's is gone), nothing is kept.
 * Positions are event numbers since the channel began, so dropping moves no reader. A
 * channel is handed to its readers when it is made (engine_start_run,
 * engine_take_tool_outputs), so none comes late and finds its first events gone. */
#include "events.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/sse.h"
#include "../json/json.h"

/* A kind of delta whose text a later delta of the same kind may continue. */
struct delta_kind {
	const char *name;   /* the event name */
	const char *member; /* the growing string member of the holder */
	/* The object holding member, and the item (content part, tool call) it belongs to,
	 * or NULL when ev is not a delta of one item. */
	jv *(*holder)(const jv *ev, const jv **item);
};

struct event {
	char *name;
	char *data;                   /* JSON text; NULL while the event is open */
	jv *open;                     /* open: the parsed event, its member's text in grow */
	const struct delta_kind *kind; /* open: what it is */
	struct buf grow;
};

struct waiter {
	struct events_waker w;
	struct waiter *next;
};

/* A reader known by its waker's ctx, and the position it has read to. */
struct reader {
	void *ctx;
	size_t pos;
};

struct events {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled when waking drops to 0 */
	int waking;          /* wakes running outside the lock right now */
	int refs;
	bool closed;
	bool unread;         /* no reader is left: events are counted, not kept */
	struct event *items; /* n of them, capacity cap; items[0] is event number base */
	size_t n, cap;
	size_t base;
	size_t high;         /* the furthest position any reader has read to */
	struct reader *readers; /* nreaders of them, capacity capreaders */
	size_t nreaders, capreaders;
	struct waiter *waiters; /* readers to wake on the next append or close */
};

/* --- Deltas that merge --- */

static jv *message_text(const jv *ev, const jv **item)
{
	const jv *content = jv_get(jv_get(ev, "delta"), "content");

	*item = jv_size(content) == 1 ? jv_at(content, 0) : NULL;
	if (!*item || !jv_is_string(jv_get(jv_get(*item, "text"), "value")))
		return NULL;
	return jv_get(*item, "text");
}

static jv *call_function(const jv *ev, const jv **item)
{
	const jv *calls = jv_get(jv_get(jv_get(ev, "delta"), "step_details"), "tool_calls");

	*item = jv_size(calls) == 1 ? jv_at(calls, 0) : NULL;
	if (!*item || !jv_is_string(jv_get(jv_get(*item, "function"), "arguments")))
		return NULL;
	return jv_get(*item, "function");
}

static const struct delta_kind kinds[] = {
	{ "thread.message.delta", "value", message_text },
	{ "thread.run.step.delta", "arguments", call_function },
};

static const struct delta_kind *kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	}
	return NULL;
}

static jv *parse(const char *data)
{
	char why[64];

	return jv_parse(data, strlen(data), why, sizeof(why));
}

/* Opens ev for merging: parses it and takes its growing text into grow. */
static bool open_event(struct event *ev, const struct delta_kind *k)
{
	const jv *item;
	jv *v = parse(ev->data);
	jv *h = v ? k->holder(v, &item) : NULL;

	if (!h) {
		jv_free(v);
		return false;
	}
	buf_init(&ev->grow, 0);
	if (buf_append(&ev->grow, jv_str(jv_get(h, k->member)), jv_strlen(jv_get(h, k->member)))) {
		jv_free(v);
		return false;
	}
	ev->open = v;
	ev->kind = k;
	free(ev->data);
	ev->data = NULL;
	return true;
}

/* Writes an open event out as JSON text: it takes no more deltas. */
static void close_event(struct event *ev)
{
	const jv *item;
	jv *h = ev->kind->holder(ev->open, &item);

	jv_set(h, ev->kind->member, jv_stringn(ev->grow.p ? ev->grow.p : "", ev->grow.len));
	ev->data = jv_dump(ev->open);
	jv_free(ev->open);
	ev->open = NULL;
	buf_cleanup(&ev->grow);
}

/* Appends next's text to the open event ev if next only continues it: the same object
 * (id), the same item (index), and nothing but more text. */
static bool continue_event(struct event *ev, const jv *next)
{
	const jv *item, *next_item;
	jv *nh = ev->kind->holder(next, &next_item);
	const jv *text;

	if (!ev->kind->holder(ev->open, &item) || !nh || jv_size(nh) != 1 ||
	    jv_get(next_item, "id") ||
	    !jv_equal(jv_get(ev->open, "id"), jv_get(next, "id")) ||
	    !jv_equal(jv_get(item, "index"), jv_get(next_item, "index")))
		return false;
	text = jv_get(nh, ev->kind->member);
	return buf_append(&ev->grow, jv_str(text), jv_strlen(text)) == 0;
}

/* Merges the delta (name, data) into the last event if no reader has reached that event
 * and the delta continues it. Called with the lock held. */
static bool merge(struct events *ch, const char *name, const char *data)
{
	struct event *last = ch->n ? &ch->items[ch->n - 1] : NULL;
	const struct delta_kind *k = kind_of(name);
	jv *next;
	bool ok;

	if (!last || !k || ch->high > ch->base + ch->n - 1 || strcmp(last->name, name) != 0)
		return false;
	if (!last->open && !open_event(last, k))
		return false;
	next = parse(data);
	ok = next && continue_event(last, next);
	jv_free(next);
	return ok;
}

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

static void event_cleanup(struct event *ev)
{
	free(ev->name);
	free(ev->data);
	if (ev->open) {
		jv_free(ev->open);
		buf_cleanup(&ev->grow);
	}
}

/* Drops the first k events held. Called with the lock held. */
static void drop(struct events *ch, size_t k)
{
	for (size_t i = 0; i < k; i++)
		event_cleanup(&ch->items[i]);
	memmove(ch->items, ch->items + k, (ch->n - k) * sizeof(*ch->items));
	ch->n -= k;
	ch->base += k;
}

/* Drops what every reader has read, once every reader is known: while the channel is
 * open, every reference but the writer's is a reader's. Called with the lock held. */
static void compact(struct events *ch)
{
	size_t min = SIZE_MAX;

	if (ch->closed || ch->nreaders == 0 || ch->nreaders + 1 != (size_t)ch->refs)
		return;
	for (size_t i = 0; i < ch->nreaders; i++) {
		if (ch->readers[i].pos < min)
			min = ch->readers[i].pos;
	}
	if (min > ch->base)
		drop(ch, (min - ch->base < ch->n ? min - ch->base : ch->n));
}

static void destroy(struct events *ch)
{
	drop(ch, ch->n);
	free(ch->readers);
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
	/* The writer closes before it lets go: an open channel down to one reference has no
	 * reader left, and none can come. */
	if (refs == 1 && !ch->closed) {
		ch->unread = true;
		drop(ch, ch->n);
	}
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
	if (ch->unread) {
		ch->base++; /* counted, for events_count */
	} else if (!merge(ch, name, data)) {
		if (ch->n == ch->cap) {
			ch->cap = ch->cap ? ch->cap * 2 : 16;
			ch->items = xrealloc(ch->items, ch->cap * sizeof(*ch->items));
		}
		memset(&ch->items[ch->n], 0, sizeof(ch->items[ch->n]));
		ch->items[ch->n].name = xstrdup(name);
		ch->items[ch->n].data = xstrdup(data);
		ch->n++;
	}
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

/* The record of the reader with this waker ctx, made at its first read. */
static struct reader *reader_of(struct events *ch, void *ctx, size_t pos)
{
	for (size_t i = 0; i < ch->nreaders; i++) {
		if (ch->readers[i].ctx == ctx)
			return &ch->readers[i];
	}
	if (ch->nreaders == ch->capreaders) {
		ch->capreaders = ch->capreaders ? ch->capreaders * 2 : 2;
		ch->readers = xrealloc(ch->readers, ch->capreaders * sizeof(*ch->readers));
	}
	ch->readers[ch->nreaders] = (struct reader){ .ctx = ctx, .pos = pos };
	return &ch->readers[ch->nreaders++];
}

static void reader_forget(struct events *ch, void *ctx)
{
	for (size_t i = 0; i < ch->nreaders; i++) {
		if (ch->readers[i].ctx == ctx) {
			ch->readers[i] = ch->readers[--ch->nreaders];
			return;
		}
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

/* Frames an event, writing an open one out first. */
static int format(struct buf *out, struct event *ev)
{
	if (ev->open)
		close_event(ev);
	return sse_frame(out, ev->name, ev->data);
}

enum events_read events_read(struct events *ch, size_t *pos, struct buf *out, size_t max_bytes,
			     const struct events_waker *w)
{
	enum events_read r = EVENTS_MORE;

	pthread_mutex_lock(&ch->lock);
	if (*pos < ch->base)
		*pos = ch->base; /* cannot happen: see the top of the file */
	if (*pos >= ch->base + ch->n) {
		r = ch->closed ? EVENTS_END : EVENTS_WAIT;
		if (r == EVENTS_WAIT && w)
			register_waker(ch, w);
	}
	while (r == EVENTS_MORE && *pos < ch->base + ch->n && out->len < max_bytes) {
		if (format(out, &ch->items[*pos - ch->base]))
			break;
		(*pos)++;
	}
	if (*pos > ch->high)
		ch->high = *pos;
	if (w)
		reader_of(ch, w->ctx, *pos)->pos = *pos;
	compact(ch);
	pthread_mutex_unlock(&ch->lock);
	return r;
}

void events_forget(struct events *ch, void *ctx)
{
	pthread_mutex_lock(&ch->lock);
	unregister(ch, ctx);
	reader_forget(ch, ctx);
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
	name = pos >= ch->base && pos < ch->base + ch->n ? ch->items[pos - ch->base].name : NULL;
	pthread_mutex_unlock(&ch->lock);
	return name;
}

size_t events_count(struct events *ch)
{
	size_t n;

	pthread_mutex_lock(&ch->lock);
	n = ch->base + ch->n;
	pthread_mutex_unlock(&ch->lock);
	return n;
}
