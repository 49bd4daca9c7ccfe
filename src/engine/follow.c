/* follow.c - streams of runs this engine does not drive: an events channel filled from the
 * run event log (see engine_follow), on any node.
 *
 * A follower reads the run's log past its position when it starts and again on every
 * "events:<run>" topic (engine.c's store watcher calls follow_kick), appending what it
 * reads to its channel; the event that ends the stretch (evlog_final) closes the channel
 * and ends the follower. Followers are kept in one list under follow_mu, which also
 * serialises their reads, so each one appends in log order. The reads happen on the thread
 * that delivers the topic (the store's watch thread for another node's run), not on the
 * engine's loop, which goes on relaying tokens meanwhile. A follower whose stream went away
 * (only its own reference to the channel is left) is dropped at the next topic.
 *
 * A follower also takes over the channel of a stream this node was sending while it drove
 * the run, when another node takes the run over (follow_handover). The client saw every
 * event this node logged in the stretch, but the log may hold the new owner's first events
 * between them: this node goes on logging (model deltas) until it notices the loss. So the
 * follower starts after the first event this node logged in the stretch and skips the ids
 * this node wrote (evlog_seen): the client gets every event of the new owner, in log order,
 * and none of this node's twice. */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "evlog.h"

#define FOLLOW_BATCH 256 /* events read per query */

struct follower {
	char *project;
	char *run_id;
	int64_t after;     /* the id of the last event appended to ch */
	int64_t *skip;     /* ids not to append (growing): a handed-over stream's, already sent */
	size_t nskip, iskip; /* how many; the first not yet passed */
	struct events *ch; /* the follower's own reference */
	bool done;         /* ch is closed: the stretch ended, or the log cannot be read */
	struct follower *next;
};

static void follower_free(struct follower *f)
{
	if (!f->done)
		events_close(f->ch);
	events_unref(f->ch);
	free(f->skip);
	free(f->project);
	free(f->run_id);
	free(f);
}

/* True when id is one of f's ids to skip; the ids are growing, as the log is read. */
static bool skipped(struct follower *f, int64_t id)
{
	while (f->iskip < f->nskip && f->skip[f->iskip] < id)
		f->iskip++;
	return f->iskip < f->nskip && f->skip[f->iskip] == id;
}

/* Appends what the log holds past f->after to f's channel. Called with follow_mu held. */
static void follower_read(struct engine *e, struct follower *f)
{
	struct store_events l = { 0 };
	size_t got = FOLLOW_BATCH;

	while (!f->done && got == FOLLOW_BATCH) {
		if (store_events_read(e->st, f->project, f->run_id, f->after, FOLLOW_BATCH, &l)) {
			log_warn("engine: the event log of run %s could not be read", f->run_id);
			events_close(f->ch);
			f->done = true;
			return;
		}
		got = l.n;
		for (size_t i = 0; i < l.n && !f->done; i++) {
			f->after = l.items[i].id;
			if (skipped(f, f->after))
				continue;
			events_append(f->ch, l.items[i].name, l.items[i].data);
			f->done = l.items[i].final;
		}
		store_events_cleanup(&l);
	}
	if (f->done)
		events_close(f->ch);
}

/* Drops the followers that are done or whose stream went away. Called with follow_mu held. */
static void sweep(struct engine *e)
{
	struct follower **p = &e->followers;

	while (*p) {
		struct follower *f = *p;

		if (f->done || events_orphaned(f->ch)) {
			*p = f->next;
			follower_free(f);
		} else {
			p = &f->next;
		}
	}
}

void follow_kick(struct engine *e, const char *run_id)
{
	pthread_mutex_lock(&e->follow_mu);
	for (struct follower *f = e->followers; f; f = f->next)
		if (!f->done && (!run_id || strcmp(f->run_id, run_id) == 0))
			follower_read(e, f);
	sweep(e);
	pthread_mutex_unlock(&e->follow_mu);
}

/* Fills ch (the caller's reference, handed over) from run_id's log past seen->after,
 * skipping seen's ids (taken); closes ch at once when the engine is stopping. Any thread. */
static void follow_into(struct engine *e, const char *project, const char *run_id,
			struct evlog_seen *seen, struct events *ch)
{
	struct follower *f = xcalloc(1, sizeof(*f));

	f->project = xstrdup(project);
	f->run_id = xstrdup(run_id);
	f->after = seen->after;
	f->skip = seen->skip;
	f->nskip = seen->nskip;
	seen->skip = NULL;
	f->ch = ch;
	/* Listed before the first read, under the lock the topic's reads take: an event
	 * appended after this read's snapshot brings a topic that reads it. */
	pthread_mutex_lock(&e->follow_mu);
	if (e->follow_stopped) {
		follower_free(f);
	} else {
		f->next = e->followers;
		e->followers = f;
		follower_read(e, f);
	}
	pthread_mutex_unlock(&e->follow_mu);
}

struct events *engine_follow(struct engine *e, const char *project, const char *run_id,
			     int64_t after)
{
	struct events *ch = events_new();
	struct evlog_seen seen = { .after = after };

	follow_into(e, project, run_id, &seen, events_ref(ch));
	return ch;
}

/* A stream handed over (follow_handover), waiting for its run's events to be written. */
struct handover {
	struct engine *e;
	char *project;
	char *run_id;
	struct events *ch; /* the stream's reference, given to the follower; NULL: none */
};

/* evlog_mark_fn: this node's events of the run are in the log, with the ids seen. */
static void handover_ready(void *ctx, struct evlog_seen *seen)
{
	struct handover *h = ctx;

	if (h->ch)
		follow_into(h->e, h->project, h->run_id, seen, h->ch); /* takes seen->skip */
	free(seen->skip);
	free(h->project);
	free(h->run_id);
	free(h);
}

void follow_handover(struct exec *x)
{
	struct handover *h = xcalloc(1, sizeof(*h));

	/* Without a stream too: the mark ends the run's entry in the log writer. */
	h->e = x->e;
	h->project = xstrdup(x->project);
	h->run_id = xstrdup(jv_get_str(x->run, "id"));
	h->ch = x->ch;
	x->ch = NULL;
	evlog_mark(x->e->log, h->project, h->run_id, handover_ready, h);
}

void follow_stop_all(struct engine *e)
{
	pthread_mutex_lock(&e->follow_mu);
	e->follow_stopped = true;
	while (e->followers) {
		struct follower *f = e->followers;

		e->followers = f->next;
		follower_free(f);
	}
	pthread_mutex_unlock(&e->follow_mu);
}
