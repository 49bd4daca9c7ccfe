/* evlog.c - the writer of the run event log (see evlog.h): a pending list filled by the
 * engine, emptied by one writer thread in batches.
 *
 * Events of a batch keep their order; a delta is merged only into the last pending event of
 * its own run, so what a reader of the log sees is what a reader of the channel that keeps
 * pace with a slow store would have seen. A failed write is logged and its events dropped:
 * the run's state is in the store, and the next stretch's events go on.
 *
 * A mark (evlog_mark) is a pending item of its own: the writer calls it after writing the
 * batch it is in, with the ids this writer gave the run's events in the stretch under way.
 * For that the writer keeps, per run with a stretch under way, the ids of the events it
 * wrote (8 bytes an event, merged deltas once); a run leaves that list with its stretch's
 * final event, or with a mark. The ids, rather than the last one alone, let a reader tell
 * this node's events from those of a node that took the run over meanwhile, which the log
 * may hold between them. */
#include "evlog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../base/status.h"
#include "events.h"

#define EVLOG_PRUNE_MS 60000
/* A batch is written this long after its first event was added: the stream on the driving
 * node sends the event first (the writer does not compete with it for a core), and under
 * load many events share a transaction (and more deltas merge). */
#define EVLOG_GATHER_US 2000
#define EVLOG_MERGE_LOOK 8 /* pending events a delta looks back through to merge */
#define EVLOG_RUN_PREFIX "thread.run."

struct pend {
	int64_t added_us; /* clock_us() when it was added */
	char *project;
	char *run_id;
	char *name;
	struct buf data;
	bool delta;
	size_t head_len, tail_len; /* a delta's: the parts a merge must match */
	evlog_mark_fn *mark;       /* a mark (evlog_mark), not an event */
	void *mark_ctx;
};

/* The events of a run's stretch under way written by this writer (writer thread only). */
struct written {
	char *run_id;
	int64_t *ids; /* in the order written: growing */
	size_t n, cap;
};

struct evlog {
	struct store *st;
	pthread_t thread;
	pthread_mutex_t mu;  /* guards the fields below */
	pthread_cond_t cv;   /* signalled on an add and on stop */
	struct pend *items;  /* the pending events, in order */
	size_t n, cap;
	bool stop;
	struct written *last; /* writer thread only: runs with a stretch under way */
	size_t nlast, caplast;
};

bool evlog_final(const char *name)
{
	enum run_status s;

	if (strncmp(name, EVLOG_RUN_PREFIX, strlen(EVLOG_RUN_PREFIX)) != 0 ||
	    status_run_parse(name + strlen(EVLOG_RUN_PREFIX), &s))
		return false;
	return status_run_terminal(s) || s == RUN_REQUIRES_ACTION;
}

/* True for thread.run.<status>: the run's status moved. */
static bool status_event(const char *name)
{
	enum run_status s;

	return strncmp(name, EVLOG_RUN_PREFIX, strlen(EVLOG_RUN_PREFIX)) == 0 &&
	       !status_run_parse(name + strlen(EVLOG_RUN_PREFIX), &s);
}

static void must_append(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n))
		abort(); /* a buffer without a limit: only out of memory, which aborts anyway */
}

static void pend_cleanup(struct pend *p)
{
	free(p->project);
	free(p->run_id);
	free(p->name);
	buf_cleanup(&p->data);
}

/* A new pending event at the end of the list; wakes the writer when it was empty. Called
 * with mu held. */
static struct pend *push(struct evlog *lg, const char *project, const char *run_id,
			 const char *name)
{
	struct pend *p;

	if (lg->n == 0)
		pthread_cond_signal(&lg->cv); /* the writer waits only for an empty list */
	if (lg->n == lg->cap) {
		lg->cap = lg->cap ? lg->cap * 2 : 64;
		lg->items = xrealloc(lg->items, lg->cap * sizeof(*lg->items));
	}
	p = &lg->items[lg->n++];
	memset(p, 0, sizeof(*p));
	p->added_us = clock_us();
	p->project = xstrdup(project);
	p->run_id = xstrdup(run_id);
	p->name = xstrdup(name);
	buf_init(&p->data, 0);
	return p;
}

void evlog_add(struct evlog *lg, const char *project, const char *run_id, const char *name,
	       const char *data)
{
	struct pend *p;

	pthread_mutex_lock(&lg->mu);
	p = push(lg, project, run_id, name);
	must_append(&p->data, data, strlen(data));
	pthread_mutex_unlock(&lg->mu);
}

/* The run's last pending event when it is a delta like (name, head, tail) and among the
 * last EVLOG_MERGE_LOOK: merging is for a run that emits fast, whose own events are the last
 * ones; with many runs at once a bounded look keeps an add O(1). Called with mu held. */
static struct pend *mergeable(struct evlog *lg, const char *run_id, const char *name,
			      const char *head, const char *tail)
{
	struct pend *p = NULL;
	size_t stop = lg->n > EVLOG_MERGE_LOOK ? lg->n - EVLOG_MERGE_LOOK : 0;

	for (size_t i = lg->n; i > stop && !p; i--)
		if (strcmp(lg->items[i - 1].run_id, run_id) == 0)
			p = &lg->items[i - 1];
	if (!p || !p->delta || strcmp(p->name, name) != 0 ||
	    !events_delta_alike(&p->data, p->head_len, p->tail_len, head, tail))
		return NULL;
	return p;
}

void evlog_mark(struct evlog *lg, const char *project, const char *run_id, evlog_mark_fn *fn,
		void *ctx)
{
	struct pend *p;

	pthread_mutex_lock(&lg->mu);
	p = push(lg, project, run_id, "");
	p->mark = fn;
	p->mark_ctx = ctx;
	pthread_mutex_unlock(&lg->mu);
}

void evlog_add_delta(struct evlog *lg, const char *project, const char *run_id,
		     const char *name, const char *head, const char *span, size_t span_len,
		     const char *tail)
{
	struct pend *p;

	pthread_mutex_lock(&lg->mu);
	p = mergeable(lg, run_id, name, head, tail);
	if (p) {
		p->data.len -= p->tail_len; /* the span goes before the tail */
	} else {
		p = push(lg, project, run_id, name);
		p->delta = true;
		p->head_len = strlen(head);
		p->tail_len = strlen(tail);
		must_append(&p->data, head, p->head_len);
	}
	must_append(&p->data, span, span_len);
	must_append(&p->data, tail, p->tail_len);
	pthread_mutex_unlock(&lg->mu);
}

/* --- the writer --- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts topics[0..*n) and frees the repeats. */
static void unique(char **topics, size_t *n)
{
	size_t kept = 0;

	qsort(topics, *n, sizeof(*topics), cmp_str);
	for (size_t i = 0; i < *n; i++) {
		if (kept && strcmp(topics[kept - 1], topics[i]) == 0)
			free(topics[i]);
		else
			topics[kept++] = topics[i];
	}
	*n = kept;
}

/* The slot of run_id in lg->last, or NULL. */
static struct written *written_find(struct evlog *lg, const char *run_id)
{
	for (size_t i = 0; i < lg->nlast; i++)
		if (strcmp(lg->last[i].run_id, run_id) == 0)
			return &lg->last[i];
	return NULL;
}

static void written_forget(struct evlog *lg, struct written *w)
{
	free(w->run_id);
	free(w->ids);
	*w = lg->last[--lg->nlast];
}

/* run_id's entry, made when it has none. */
static struct written *written_get(struct evlog *lg, const char *run_id)
{
	struct written *w = written_find(lg, run_id);

	if (w)
		return w;
	if (lg->nlast == lg->caplast) {
		lg->caplast = lg->caplast ? lg->caplast * 2 : 16;
		lg->last = xrealloc(lg->last, lg->caplast * sizeof(*lg->last));
	}
	w = &lg->last[lg->nlast++];
	*w = (struct written){ .run_id = xstrdup(run_id) };
	return w;
}

/* Records that this writer wrote run_id's event id; a final event ends the run's entry. */
static void written_note(struct evlog *lg, const char *run_id, int64_t id, bool final)
{
	struct written *w;

	if (final) {
		w = written_find(lg, run_id);
		if (w)
			written_forget(lg, w);
		return;
	}
	w = written_get(lg, run_id);
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->ids = xrealloc(w->ids, w->cap * sizeof(*w->ids));
	}
	w->ids[w->n++] = id;
}

/* Calls mark p with the ids of its run's stretch written here (see evlog_mark_fn), and
 * ends the run's entry. */
static void call_mark(struct evlog *lg, const struct pend *p)
{
	struct written *w = written_find(lg, p->run_id);
	struct evlog_seen seen = { 0 };

	if (w && w->n) {
		seen.after = w->ids[0];
		seen.skip = w->ids; /* the mark takes them */
		seen.nskip = w->n;
		w->ids = NULL;
	} else if (store_events_last(lg->st, p->project, p->run_id, &seen.after)) {
		log_warn("engine: the event log of run %s could not be read", p->run_id);
		seen.after = 0;
	}
	if (w)
		written_forget(lg, w);
	p->mark(p->mark_ctx, &seen);
}

/* After items[0..n) were written (ids[k] for the k-th event among them; ids NULL when the
 * write failed): notes the ids and calls the marks, in order. */
static void after_batch(struct evlog *lg, const struct pend *items, size_t n,
			const int64_t *ids)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (items[i].mark)
			call_mark(lg, &items[i]);
		else if (ids)
			written_note(lg, items[i].run_id, ids[k++], evlog_final(items[i].name));
	}
}

/* Appends the events of items[0..n) and announces their topics in one transaction, then
 * calls the marks among them. */
static void write_batch(struct evlog *lg, struct pend *items, size_t n)
{
	struct store_event *evs = xcalloc(n, sizeof(*evs));
	int64_t *ids = xcalloc(n, sizeof(*ids));
	char **topics = xcalloc(2 * n, sizeof(*topics));
	size_t ntopics = 0, nevs = 0;

	for (size_t i = 0; i < n; i++) {
		if (items[i].mark)
			continue;
		evs[nevs++] = (struct store_event){ .project = items[i].project,
						    .run_id = items[i].run_id,
						    .name = items[i].name,
						    .data = items[i].data.p,
						    .final = evlog_final(items[i].name) };
		topics[ntopics++] = xasprintf(EVLOG_TOPIC_EVENTS "%s", items[i].run_id);
		if (status_event(items[i].name))
			topics[ntopics++] = xasprintf(EVLOG_TOPIC_RUN "%s", items[i].run_id);
	}
	unique(topics, &ntopics);
	if (nevs && store_events_append(lg->st, evs, nevs, (const char *const *)topics, ntopics,
					ids)) {
		log_error("engine: %zu event(s) could not be written to the run event log", nevs);
		free(ids);
		ids = NULL;
	}
	after_batch(lg, items, n, ids);
	for (size_t i = 0; i < ntopics; i++)
		free(topics[i]);
	free(topics);
	free(ids);
	free(evs);
}

/* Waits for events, the prune time, or stop, and then until the first event is
 * EVLOG_GATHER_US old; takes the pending list. False once stopping with nothing left. */
static bool take(struct evlog *lg, int64_t prune_at, struct pend **items, size_t *n)
{
	struct timespec ts;
	int64_t wait_us;
	bool go;

	pthread_mutex_lock(&lg->mu);
	while (!lg->n && !lg->stop && clock_ms() < prune_at) {
		ts = clock_deadline(prune_at - clock_ms());
		pthread_cond_timedwait(&lg->cv, &lg->mu, &ts);
	}
	for (;;) {
		wait_us = lg->n ? lg->items[0].added_us + EVLOG_GATHER_US - clock_us() : 0;
		if (lg->stop || wait_us <= 0)
			break;
		ts = clock_deadline_us(wait_us);
		pthread_cond_timedwait(&lg->cv, &lg->mu, &ts);
	}
	*items = lg->items;
	*n = lg->n;
	lg->items = NULL;
	lg->n = lg->cap = 0;
	go = *n || !lg->stop;
	pthread_mutex_unlock(&lg->mu);
	return go;
}

static void *writer_main(void *arg)
{
	struct evlog *lg = arg;
	int64_t prune_at = clock_ms() + EVLOG_PRUNE_MS;
	struct pend *items;
	size_t n;

	while (take(lg, prune_at, &items, &n)) {
		if (n)
			write_batch(lg, items, n);
		for (size_t i = 0; i < n; i++)
			pend_cleanup(&items[i]);
		free(items);
		if (clock_ms() >= prune_at) {
			prune_at = clock_ms() + EVLOG_PRUNE_MS;
			if (store_events_prune(lg->st, clock_unix()))
				log_warn("engine: pruning the run event log failed");
		}
	}
	return NULL;
}

int evlog_new(struct store *st, struct evlog **out)
{
	struct evlog *lg = xcalloc(1, sizeof(*lg));

	lg->st = st;
	pthread_mutex_init(&lg->mu, NULL);
	pthread_cond_init(&lg->cv, NULL);
	if (pthread_create(&lg->thread, NULL, writer_main, lg) != 0) {
		pthread_cond_destroy(&lg->cv);
		pthread_mutex_destroy(&lg->mu);
		free(lg);
		return ERR_INTERNAL;
	}
	*out = lg;
	return 0;
}

void evlog_free(struct evlog *lg)
{
	if (!lg)
		return;
	pthread_mutex_lock(&lg->mu);
	lg->stop = true;
	pthread_cond_signal(&lg->cv);
	pthread_mutex_unlock(&lg->mu);
	pthread_join(lg->thread, NULL);
	pthread_cond_destroy(&lg->cv);
	pthread_mutex_destroy(&lg->mu);
	while (lg->nlast)
		written_forget(lg, &lg->last[0]);
	free(lg->last);
	free(lg);
}
