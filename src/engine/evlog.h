/* evlog.h - the engine's writer of the run event log (store_events_append): every event a
 * run's stream shows also goes to the store, so that a stream on any node can read it.
 *
 * The engine adds events as it emits them, from any thread, without waiting; one writer
 * thread appends what has gathered in one transaction per batch, merging a text delta into
 * the unwritten delta of the same object before it (as events.c merges for slow readers), and
 * announces per batch "events:<run>" for each run with new events and "run:<run>" for each
 * run whose status moved (a thread.run.<status> event). A batch is written EVLOG_GATHER_US
 * (2 ms) after its first event was added: the local stream sends the event before the
 * writer competes with it for a core, an event is in the store within that and one
 * transaction's time, and under load many events share a transaction. The writer also
 * prunes old logs once a minute. */
#ifndef ASSISTD_EVLOG_H
#define ASSISTD_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../store/store.h"

#define EVLOG_TOPIC_EVENTS "events:" /* + run id: the run's log grew */
#define EVLOG_TOPIC_RUN "run:"       /* + run id: the run's status moved */

struct evlog;

/* Starts the writer thread on st (borrowed for the log's lifetime). *out is owned: free with
 * evlog_free. Errors: ERR_INTERNAL (no thread). */
int evlog_new(struct store *st, struct evlog **out) MUST_CHECK;
/* Writes what is pending, then stops the thread. NULL is a no-op. */
void evlog_free(struct evlog *lg);

/* Adds an event of run_id in project; data is JSON text. All strings are copied. */
void evlog_add(struct evlog *lg, const char *project, const char *run_id, const char *name,
	       const char *data);
/* Adds a delta event whose data is head, span and tail joined (see events_append_delta);
 * merged into the last pending event of the run when that is a delta with the same name,
 * head and tail. All strings are copied. */
void evlog_add_delta(struct evlog *lg, const char *project, const char *run_id,
		     const char *name, const char *head, const char *span, size_t span_len,
		     const char *tail);

/* Where a reader that saw this writer's events of a run's stretch (a stream of the node that
 * drove it) goes on in the log: past after, skipping the ids in skip. after is the id of
 * the first event of the stretch this writer wrote, skip the ids of all it wrote (growing,
 * after first); the events past after that are not in skip are other writers' (a node that
 * took the run over). When this writer wrote none since the run's last stretch ended, after
 * is the id of the run's last event in the log (0 when unknown) and skip is empty. */
struct evlog_seen {
	int64_t after;
	int64_t *skip; /* owned by the mark's callee (free with free()); NULL when nskip is 0 */
	size_t nskip;
};

/* Called by evlog_mark on the writer thread; seen->skip is the callee's. */
typedef void evlog_mark_fn(void *ctx, struct evlog_seen *seen);

/* Calls fn(ctx, after) on the writer thread once every event of run_id added before this
 * call is written (or dropped: see evlog.c), and before any added after it. The strings
 * are copied; fn is always called, also by evlog_free. */
void evlog_mark(struct evlog *lg, const char *project, const char *run_id, evlog_mark_fn *fn,
		void *ctx);

/* True for the events that end a stretch of a run's stream: a terminal status's and
 * thread.run.requires_action. */
bool evlog_final(const char *name);

#endif
