/* engine.h - the run engine: executes runs asynchronously, one thread for all of them.
 *
 * The API layer writes a new run to the store (status "queued") and hands it to
 * engine_start_run. The engine thread, an event loop, then drives every active run as a
 * state machine: have the prompt built from the store (on a small worker pool, so that a
 * long thread never holds up the others), call the model provider (streaming), create run
 * steps and messages, call for tool outputs, finish. Every transition is written to the
 * store before it is announced, so a retrieve never sees a state the store does not hold;
 * streamed events go to the run's events channel (events.h). A run waiting for tool outputs holds no resources
 * but a timer.
 *
 * Threads: engine_* functions may be called from any thread. The ones that change a run
 * (cancel, tool outputs, stopping the runs of a deleted thread or assistant) are carried out
 * on the engine thread; the caller waits for the answer, which takes microseconds, never a
 * model call. */
#ifndef ASSISTD_ENGINE_H
#define ASSISTD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../json/json.h"
#include "../providers/provider.h"
#include "../store/store.h"
#include "events.h"

struct blobs;
struct limits;
struct sbx_config;

struct engine;

struct engine_config {
	struct store *st;        /* borrowed for the engine's lifetime */
	struct prov_config prov; /* model backend settings */
	int run_expiry_s;        /* requires_action runs expire after this many seconds */
	int64_t vs_day_s;        /* a "day" of vector store expiry, in seconds (0: 86400) */
	struct embed *emb;       /* borrowed, may be NULL: file_search's query embeddings */
	struct limits *lim;      /* borrowed, may be NULL: token budgets, counted per turn */
	int pool_threads;        /* worker threads for blocking work (prompts); <= 0: 2 */
	struct blobs *bs;        /* file bytes (code_interpreter's files); borrowed */
	const struct sbx_config *sandbox; /* code_interpreter's sandbox (borrowed while
					   * engine_start runs); NULL: no code_interpreter */
	const char *node;        /* this node's name, unique among the nodes sharing the store
				    and kept across restarts (copied) */
	int lease_ms;            /* how long a run lease lasts unrenewed; <= 0: 10000 */
};

/* Starts the engine thread and resumes runs a previous process of this node left
 * unfinished, and runs whose lease lapsed (queued or in_progress runs are restarted from
 * their last completed step; cancelling ones end cancelled; requires_action ones get their
 * expiry timers); from then on it takes over lapsed runs every lease_ms / 3. *out is owned: engine_stop.
 * Errors: ERR_INTERNAL, ERR_DB. */
int engine_start(const struct engine_config *cfg, struct engine **out) MUST_CHECK;
/* The first step of a graceful stop: lets the model turns in flight finish, waiting up to
 * grace_ms, and starts no new ones (runs submitted from now on stay queued in the store
 * and start at the next start-up). Streams and polls keep working meanwhile. */
void engine_drain(struct engine *e, int grace_ms);
/* Stops the thread. Runs in flight stay in the store as they are and are resumed at the next
 * start. Open event channels are closed. NULL is a no-op. */
void engine_stop(struct engine *e);

/* The lease a run created on this node is born with (STORE_SET_LEASE in its create's
 * batch): *owner borrowed for the engine's lifetime, *until in Unix ms. Any thread. */
void engine_lease(const struct engine *e, const char **owner, int64_t *until);

/* Starts a run just stored with status "queued" and leased to this node (engine_lease: the
 * create's batch has STORE_SET_LEASE). run_json is the stored run (its text),
 * thread_json, when not NULL, the thread just created with it (for create-thread-and-run).
 * Returns the run's events channel, already holding thread.created (if thread_json),
 * thread.run.created and thread.run.queued; the caller owns that reference (events_unref).
 * Every event of the run also goes to the store's run event log (engine_follow).
 * step_content: the streamed steps show file_search result contents (the request's
 * include[] asked for them). key_hash, when not NULL, is the hash of the API key that
 * created the run: its tokens count against that key's budget as well as the project's.
 * Never fails: a run the engine cannot start ends "failed" with a last_error. */
struct events *engine_start_run(struct engine *e, const char *project, const char *run_json,
				const char *thread_json, bool step_content, const char *key_hash);

/* code_interpreter sessions across nodes (session.c). The node that should drive a new run
 * (stored JSON run) instead of this one: when the run may call code_interpreter and another
 * live node holds its thread's sandbox session, that node's owner id (owned), else NULL.
 * Any thread. */
char *engine_session_node(struct engine *e, const char *project, const jv *run);
/* The node that holds thread_id's code_interpreter session, when another live node does
 * (owned), else NULL: read it before deleting the thread (the hold goes with the thread),
 * for engine_end_session after. Any thread. */
char *engine_session_holder(struct engine *e, const char *project, const char *thread_id);
/* After thread_id was deleted: ends its code_interpreter session on node holder
 * (engine_session_holder's answer; NULL: nothing to do) through a command row, announced
 * to that node as a cancel is. Never fails: a command that cannot be posted is logged, and
 * the session then ends once idle. Any thread. */
void engine_end_session(struct engine *e, const char *project, const char *thread_id,
			const char *holder);
/* Hands a run just stored "queued" and leased to owner (engine_session_node's answer) to
 * that node: logs its first events (as engine_start_run: thread.created when thread_json is
 * not NULL) and posts the node a command to start it. Returns a stream of the run read from
 * the event log (engine_follow; the caller owns the reference), to be attached or
 * declined. Never fails: when the store refuses, the run's lease is let go (logged), and
 * the first node to look for lapsed runs starts it. Any thread. */
struct events *engine_hand_run(struct engine *e, const char *project, const char *run_json,
			       const char *thread_json, const char *owner);

/* Cancels a run: queued or requires_action runs end "cancelled" at once; in_progress runs
 * become "cancelling" and end "cancelled" once the model call has stopped (within
 * milliseconds). On success *run_json is the run as it now stands (owned). Errors:
 * ERR_NOT_FOUND; ERR_INVALID when the run is already finished (the message says so, in
 * *why, owned); ERR_UNAVAILABLE (with *why) when another node drives the run and did not
 * answer. A run another node drives is cancelled by that node (a command through the store,
 * see lease.c): the caller waits for its answer. */
int engine_cancel(struct engine *e, const char *project, const char *thread_id,
		  const char *run_id, char **run_json, char **why) MUST_CHECK;

/* Hands tool outputs to a run in requires_action, which then starts its next turn on this
 * node (a run another node made wait is taken over: it holds no model call there). outputs is the validated tool_outputs
 * array [{tool_call_id, output}]. Every pending tool call must get exactly one output.
 * On success *run_json is the run (now "queued", owned) and *ch, when ch is not NULL, a
 * new events channel for the rest of the run (starting with thread.run.step.completed for
 * the tool-calls step), owned by the caller. Errors: ERR_NOT_FOUND; ERR_INVALID with *why
 * (owned) and *param (static) naming the problem. */
int engine_take_tool_outputs(struct engine *e, const char *project, const char *thread_id,
			     const char *run_id, const jv *outputs, char **run_json,
			     struct events **ch, char **why, const char **param) MUST_CHECK;

/* The thread or assistant (kind STORE_THREAD or STORE_ASSISTANT) id of project was just
 * deleted: every run of it that has not ended is cancelled now, its model call stopped, and
 * its open streams end with thread.run.cancelled. A deleted thread's runs went with it and
 * are not written again; an assistant's runs stay, cancelled. Call after the delete. */
void engine_stop_runs(struct engine *e, const char *project, enum store_kind kind,
		      const char *id);

/* A stream of a run driven anywhere (this node or another sharing the store), read from the
 * run event log: the events logged after the event numbered after (0: from the run's
 * start; see store_events_last), then each one as it is logged, until the event that ends
 * the stretch (a terminal status, or requires_action), after which the channel closes.
 * Returns a channel with one reference owned by the caller, to be attached or declined like
 * engine_start_run's. A log that cannot be read closes it early (logged). */
struct events *engine_follow(struct engine *e, const char *project, const char *run_id,
			     int64_t after);

/* Calls w->wake once when the run's status next changes, on this node or any other sharing
 * the store. Used to hold a polling retrieve until something happens (the caller reads the store after registering, so a change just
 * before cannot be missed, and bounds the wait itself). Returns a registration to pass to
 * engine_unwatch when the caller no longer cares; w->ctx must stay valid until then. When
 * engine_unwatch returns, no wake with w->ctx is running or will run. */
void *engine_watch(struct engine *e, const char *run_id, const struct events_waker *w);
void engine_unwatch(struct engine *e, void *registration);

/* The models runs may name, as the text of a ListModelsResponse {"object":"list","data":[
 * Model...]}: the upstream's own list with the aliases' names, or the demo model (see
 * prov_models). The list is fetched on the engine thread and kept for ENGINE_MODELS_TTL_S
 * (ENGINE_MODELS_RETRY_S when the upstream failed and only the configured models are
 * known); past that, the list kept is still returned while a new one is fetched. Returns an
 * owned string, or NULL when no list is kept yet: a fetch is then under way, and w->wake(
 * w->ctx) runs exactly once when it is over (on the engine thread, or in engine_stop). With
 * w NULL, NULL never comes back: the configured models stand in for the missing list. */
char *engine_models(struct engine *e, const struct events_waker *w);
#define ENGINE_MODELS_TTL_S 60
#define ENGINE_MODELS_RETRY_S 10

#endif
