/* engine_int.h - what the engine's files share (engine.c, run.c, run_client.c, run_tools.c,
 * run_cite.c, run_files.c, objects.c, prompt.c).
 *
 * Threads: struct engine's queue and watch list are shared with API threads under `lock`;
 * everything else, including every struct exec, belongs to the engine thread alone (the
 * loop's thread). Work handed to the pool carries copies, never an exec. */
#ifndef ASSISTD_ENGINE_INT_H
#define ASSISTD_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/loop.h"
#include "../base/pool.h"
#include "../base/status.h"
#include "../json/json.h"
#include "../providers/provider.h"
#include "../store/store.h"
#include "../tools/cite.h"
#include "../tools/tool.h"
#include "engine.h"

struct cmd;
struct evlog;
struct follower;
struct tool_retry;
struct watch;
struct model_wait;

/* The model list (models.c): shared with API threads under its own mutex. */
struct model_cache {
	pthread_mutex_t mu;
	char *body;               /* the ListModelsResponse JSON text; NULL before the first */
	int64_t fresh_until_ms;   /* clock_ms() until which body is served without a fetch */
	bool fetching;            /* a fetch is posted or under way */
	struct model_wait *waits; /* who waits for it to end */
};

/* One tool call the model is asking for, as it streams in. */
struct pending_call {
	char *id;
	char *name;
	struct buf args;
	const struct tool *tool; /* a server tool's call, or NULL for a function call */
	jv *result;              /* a server tool's call object, once its job is done */
	size_t shown;            /* bytes of a server tool's input the stream has shown */
	bool announced;          /* the stream has shown the server tool's call */
};

/* A run the engine is responsible for: active (queued, in_progress, cancelling) or waiting
 * for tool outputs (requires_action). */
struct exec {
	struct engine *e;
	char *project;
	char *key;          /* the hash of the API key that created the run (its budget), or
			     * NULL: open mode (exec_load reads it back for a stored run) */
	jv *run;            /* the run object as stored */
	enum run_status status; /* its "status", changed only by run_move */
	int64_t version;    /* its store version */
	struct events *ch;  /* where events go, or NULL when nobody streams this stretch */
	struct prov_call *call; /* the model turn in flight, or NULL */
	bool cancelling;    /* the turn in flight was told to stop (cancel, expiry, deletion) */
	enum run_status end_as; /* what the run ends as when that turn stops */
	bool gone;          /* its thread was deleted: nothing is written any more, but the
			       run still ends (cancelled) so that its streams see the end */
	bool finished;      /* the run reached a terminal status: drop the exec */
	bool building;      /* its next turn's prompt is being built on the pool */
	bool leased;        /* this node holds the run's lease: its writes carry it */
	bool lost;          /* another node took the run over: nothing is written or sent
			       any more, and the exec goes as soon as its call has stopped */
	bool replied;       /* taken over after its last turn ended with its reply (stored):
			       the run ends as replied_as without another turn */
	enum run_status replied_as;

	/* The current turn's message (message_creation step), if one is open. */
	jv *msg;
	int64_t msg_version;
	jv *msg_step;
	int64_t msg_step_version;
	struct buf text;
	struct cite cite;   /* citation markers being read in the text */
	jv *annots;         /* the message's annotations so far */
	jv *msg_images;     /* the message's image_file parts' file ids (its first parts) */
	int text_index;     /* the content index of its text part (after the images) */
	jv *outfiles;       /* the files the run's tool calls wrote, [{name, file_id, image}] */
	jv *images;         /* images not yet shown in a message (file ids) */

	/* The current turn's tool calls (tool_calls step), if any. */
	jv *tool_step;
	int64_t tool_step_version;
	struct pending_call *calls;
	size_t ncalls;
	int tools_running;  /* server tool jobs of this turn not yet back */
	jv *cites;          /* the run's citable tool calls (file_search), by marker number */
	bool step_content;  /* events show file_search result contents (include[]) */

	int64_t turn_prompt_tokens;  /* usage of the last turn, for its step */
	int64_t turn_completion_tokens;
	int64_t expire_ms;  /* when the run expires (clock_ms), else 0: see engine_expire_at */
	struct timer expiry; /* fires at expire_ms */
	struct exec *next;
};

struct engine {
	struct store *st;
	struct loop *loop;  /* the engine thread's loop: everything below runs on it */
	struct pool *pool;  /* blocking work: prompt building */
	struct prov *prov;
	int run_expiry_s;
	struct limits *lim; /* borrowed, may be NULL: token budgets */
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* guards the fields below it */
	struct cmd *cmds, *cmds_tail;
	struct watch *watches;
	int watch_waking;          /* watch wakes running outside the lock */
	pthread_cond_t watch_idle; /* signalled when watch_waking drops to 0 */
	uint64_t answers;          /* STORE_TOPIC_ANSWER topics seen (lease.c) */
	pthread_cond_t answered;   /* signalled with each of them */
	bool cmd_kicked;           /* a read of this node's commands is posted to the loop */
	bool stopping;
	bool draining;             /* engine_drain: start no new turns */
	int calls;                 /* model turns in flight, as of the last loop iteration */

	struct evlog *log;    /* the run event log's writer (evlog.h) */
	void *store_reg;      /* our store_watch registration: topics of every node */
	pthread_mutex_t follow_mu;    /* guards followers, and serialises their reads */
	struct follower *followers;   /* streams of runs read from the log (follow.c) */
	bool follow_stopped;          /* follow_stop_all ran: no new followers */

	struct exec *execs; /* engine thread only */
	int building;       /* engine thread only: prompts being built on the pool */

	/* Leases (lease.c): owner is "<node>#<boot>", former "<node>#" (see store_claim). */
	char owner[160];
	char former[144];
	int lease_ms;
	int leased;                /* engine thread only: execs holding their lease */
	struct timer lease_tick;   /* every lease_ms / 3: renew the leases */
	struct timer scan_tick;    /* every LEASE_SCAN_MS: take over lapsed runs */
	struct timer cmd_tick;     /* every LEASE_CMD_MS: commands from other nodes (the
				      safety net: their topics wake the node at once) */
	int64_t cmd_prune_at;      /* engine thread only: when to remove stale commands next */
	char cmd_topic[STORE_TOPIC_MAX + 1]; /* the topic of commands posted to this node */

	struct tool_env tools;     /* what server tool jobs use */
	struct tool_retry *retries; /* engine thread only: jobs waiting to run again */
	int tool_jobs;             /* engine thread only: server tool jobs not back yet */
	struct model_cache models; /* GET /v1/models' list */
};

/* --- run.c: the run state machine (engine thread only) --- */
/* Takes a run that is queued (or was, before a restart) and starts its first turn. */
void run_start(struct exec *x);
/* Ends a run now with a terminal status; code/message give last_error (failed) or the
 * incomplete reason. */
void run_finish(struct exec *x, enum run_status status, const char *code, const char *message);
/* Ends a step with status: a failed step gets last_error {code, message}, and its usage is
 * the last turn's when with_usage, else zeros. Saved, then announced. */
void close_step(struct exec *x, jv *step, int64_t *version, enum step_status status,
		const char *code, const char *message, bool with_usage);
/* Frees an exec (unlinked already). */
void exec_free(struct exec *x);

/* --- run_client.c: requests from clients (engine thread only) --- */
/* Carries out a cancel request; see engine_cancel. */
int run_cancel(struct exec *x, char **why);
/* Cancels x because its thread (kind STORE_THREAD) or its assistant was deleted: a deleted
 * thread's run ends unsaved (gone), an assistant's is saved cancelled. See engine_stop_runs. */
void run_stop_deleted(struct exec *x, enum store_kind kind);
/* Carries out engine_take_tool_outputs on a run in requires_action. */
int run_take_tool_outputs(struct exec *x, const jv *outputs, char **why, const char **param);
/* The run's expires_at passed: it ends "expired" (at once, or when its turn stops). */
void run_expire(struct exec *x);

/* --- run_tools.c: server-side tools (engine thread only) --- */
/* The turn ended with tool calls: when some are server tools', their jobs start and the
 * run goes on when they are back (tools_back). Returns false when there are none. */
bool tools_start(struct exec *x);
/* Drops the jobs waiting to run again (engine_stop, after the pool is gone). */
void tools_stop(struct engine *e);
/* Marks the call at index as a server tool's when its name is one the run offers. */
void tools_classify(struct exec *x, struct pending_call *c);
/* Shows a server tool's call number index in the stream as its arguments arrive: its
 * first piece announces it, later pieces show what the tool shows of them. */
void tools_call_progress(struct exec *x, int index, struct pending_call *c);
/* Remembers a stored tool_calls step's citable calls (in step order), for markers, and the
 * files its calls wrote (fresh: see files_remember). */
void tools_remember(struct exec *x, const jv *step, bool fresh);

/* --- run_files.c: the files tools wrote, in messages (engine thread only) --- */
/* Remembers the files a stored tool call wrote; fresh: a call of this turn, whose images
 * the next message shows. */
void files_remember(struct exec *x, const jv *call, bool fresh);
/* The message just opened: takes the images waiting to be shown as its first parts and
 * streams them; returns how many (the text part's index). */
int files_show_images(struct exec *x);
/* Appends the message's image_file parts to content. */
void files_parts(const struct exec *x, jv *content);
/* The message's text is complete: adds a file_path annotation to x->annots for each link
 * to a file of the run; returns them as delta items (owned), or NULL when there are none. */
jv *files_link(struct exec *x);

/* --- run_cite.c: annotations from citation markers (engine thread only) --- */
/* Feeds reply text through the citation scanner: returns the text that can be shown now
 * (owned, possibly empty) and adds the annotations it completes to x->annots; *fresh
 * receives those new annotations as a delta array (owned; NULL when none). */
char *cite_take(struct exec *x, const char *s, size_t len, bool flush, jv **fresh);

/* --- run.c: used by run_tools.c --- */
/* Starts the run's next model turn. */
void run_turn(struct exec *x);
/* Asks the client for the outputs of the function calls of the turn. */
void run_require_action(struct exec *x);
/* A thread.run.step.delta of the tool_calls step carrying call (taken). Owned. */
jv *run_step_delta(const struct exec *x, jv *call);
/* Forgets the tool calls of the turn. */
void run_clear_calls(struct exec *x);
/* The tool calls of the turn as the step shows them (owned). */
jv *run_calls_json(const struct exec *x, bool with_output);

/* --- objects.c: building and saving run, step and message objects --- */
/* Writes obj (kind) with *version, merging a concurrent metadata change if there was one;
 * updates *version. A message a client deleted meanwhile is written anew. When the run's
 * thread is gone, x->gone is set and nothing is written, then or later: the save counts as
 * done, so the run still reaches its end for its readers. Errors: ERR_DB, ERR_INTERNAL. */
int obj_save(struct exec *x, enum store_kind kind, jv *obj, int64_t *version);
/* Moves the run to status `to` (x->status and x->run's member), if the status table allows
 * it. Errors: ERR_INTERNAL for an illegal move (logged; nothing changes). */
int run_move(struct exec *x, enum run_status to) MUST_CHECK;
/* Moves step to status `to` and stamps the matching member (completed_at, ...). Errors:
 * ERR_INTERNAL for an illegal move (logged; nothing changes). */
int step_move(jv *step, enum step_status to) MUST_CHECK;
/* Writes x->run; on success announces it as event "thread.run.<status>" when the status
 * changed (the event log's "run:<id>" topic then wakes the watchers on every node). */
int run_save(struct exec *x, bool status_changed);
/* Sends an event with obj's JSON to the run event log and to the stream, if there is one. */
void emit(struct exec *x, const char *name, const jv *obj);
/* Sends a delta event whose added text is the string member key of holder (an object inside
 * d) to the log and the stream: both may merge it with the delta before it
 * (events_append_delta, evlog_add_delta). */
void emit_delta(struct exec *x, const char *name, const jv *d, jv *holder, const char *key);
/* New step and message objects of the run (owned). */
jv *step_new(const struct exec *x, const char *type, jv *details);
jv *message_new_assistant(const struct exec *x);
/* {"prompt_tokens","completion_tokens","total_tokens"} (owned). */
jv *usage_new(int64_t prompt, int64_t completion);
/* Sets a message's status and, when stamp is not NULL, that member to now. */
void set_status(jv *obj, const char *status, const char *stamp);

/* --- prompt.c --- */
/* Builds the provider request for x's next turn on the worker pool, from copies of what it
 * needs, and then, on the engine thread, calls ready(x, rq, err, why) with it (rq borrowed
 * for the call; err ERR_DB when the store failed, ERR_LIMIT when the prompt cannot fit
 * max_prompt_tokens, ERR_INVALID with why (borrowed) when a server tool fails the run, see
 * tool_check) and engine_settle. x->building is set meanwhile. Should x finish, or
 * the engine stop, before the prompt is built, ready is not called (and a finished x is
 * dropped); ready must check x->gone (its thread deleted meanwhile). */
void prompt_start(struct exec *x, void (*ready)(struct exec *x, const struct prov_request *rq,
						int err, const char *why));

/* --- exec_load.c --- */
/* Builds the exec of run (taken: freed on error too), stored with version, and adds it to
 * the engine. Errors: ERR_DB when its status is not one the table knows. */
int exec_new(struct engine *e, const char *project, jv *run, int64_t version,
	     struct exec **out) MUST_CHECK;
/* Builds the exec of a stored run (thread_id NULL: any thread) and adds it to the engine;
 * leased: this node has just claimed its lease. A run waiting for tool outputs takes its
 * open tool_calls step; a moving run's open steps (a turn cut off) are deleted with their
 * messages, for the turn to run again (only when leased; see exec_continue). Errors:
 * ERR_NOT_FOUND, ERR_DB, ERR_LEASE. */
int exec_load(struct engine *e, const char *project, const char *thread_id,
	      const char *run_id, bool leased, struct exec **out) MUST_CHECK;

/* Carries a run this node just took over (or took back after a restart) on from where
 * the store has it: queued starts, in_progress re-runs its turn (run_resume), cancelling
 * ends cancelled, requires_action waits with its expiry timer. */
void exec_continue(struct exec *x);

/* --- run.c: resuming --- */
/* Another node took x over: x stops here without a word (no write, no event) and its
 * stream ends; the exec goes once its model call has stopped. */
void run_lose(struct exec *x);
/* Re-runs the turn of an in_progress run whose turn was cut off (its open steps and their
 * messages already discarded by exec_load). */
void run_resume(struct exec *x);

/* --- lease.c: run leases and commands between nodes (engine thread unless said) --- */
/* Sets the node's owner id and starts the lease and command timers. */
void lease_init(struct engine *e, const char *node, int lease_ms);
/* A new lease's expiry (Unix ms). Any thread. */
int64_t lease_until(const struct engine *e);
/* Marks x as holding its lease, or not; keeps the count and the metric. */
void lease_mark(struct exec *x, bool held);
/* Takes over every run whose lease lapsed, or that this node's former process held, and
 * carries it on. Errors: ERR_DB. */
int lease_take_lapsed(struct engine *e) MUST_CHECK;
/* The exec of a run a client's command names, for this node to act on: its own, or the
 * run claimed (a run waiting for tool outputs is taken from a live owner too) and loaded.
 * Errors: ERR_NOT_FOUND, ERR_DB, ERR_LEASE with *owner (owned) when another node drives
 * it. */
int lease_lookup(struct engine *e, const char *project, const char *thread_id,
		 const char *run_id, struct exec **out, char **owner) MUST_CHECK;
/* After a command: an exec that stays (a run still moving or waiting) is carried on, one
 * that ended is dropped, and one left finished by someone else is let go. */
void lease_after(struct engine *e, struct exec *x);
/* Cancels the active runs of assistant id that other nodes drive (engine_cancel each: a
 * command to their node), after the assistant was deleted. On the caller's thread (any). */
void lease_stop_assistant(struct engine *e, const char *project, const char *id);
/* The topics of commands (STORE_TOPIC_CMD; rest is what follows it, NULL for every topic):
 * one for this node reads its commands at once; and of their answers (STORE_TOPIC_ANSWER):
 * wakes the posters waiting in lease_cancel_remote. Any thread. */
void lease_topic_cmd(struct engine *e, const char *rest);
void lease_topic_answer(struct engine *e, const char *rest);
/* Kinds of commands between nodes (store_cmd.kind). */
#define LEASE_CMD_CANCEL "cancel"
#define LEASE_CMD_START "start" /* a run handed to this node (session.c); not answered */
#define LEASE_CMD_END "end"     /* a thread deleted (run_id is its id: session.c); not
				   answered */

/* --- session.c: code_interpreter sessions across nodes (engine thread) --- */
/* Carry out a "start" command (claims and starts the run handed to this node) and an "end"
 * command (ends the session of the deleted thread the command names). */
void session_start_handed(struct engine *e, const struct store_cmd *cmd);
void session_end_handed(struct engine *e, const struct store_cmd *cmd);
/* Ends this node's session of thread_id, which was deleted, if it has one. */
void session_end_deleted(struct engine *e, const char *thread_id);

/* Lets every lease of this node lapse at once (a clean stop: others take over now). */
void lease_stop(struct engine *e);
/* Cancels run_id, which owner drives, through a command row; waits for its answer (on
 * the caller's thread, any). Errors: as engine_cancel; ERR_LEASE when owner stopped
 * answering (the caller retries: its lease lapses). */
int lease_cancel_remote(struct engine *e, const char *project, const char *run_id,
			const char *owner, char **run_json, char **why) MUST_CHECK;

/* --- models.c --- */
void model_cache_init(struct model_cache *mc);
/* Wakes whoever still waits for the list (the engine's loop is gone) and frees the rest. */
void model_cache_cleanup(struct model_cache *mc);

/* --- engine.c --- */
/* Sets when x expires (clock_ms; 0: never) and its timer, which calls run_expire. */
void engine_expire_at(struct exec *x, int64_t when_ms);
/* The expiry timer's function (arg: the exec), for timer_init. */
void engine_expiry_due(void *arg);
/* True once engine_stop has begun. Any thread (reads under the lock). */
bool engine_stopping(struct engine *e);
/* Drops x if it is done with (once its model call, if one still runs, has stopped: the done
 * callback drops it then). x must not be used after this. */
void engine_settle(struct engine *e, struct exec *x);
/* The exec of run_id this engine holds, or NULL. */
struct exec *engine_find(struct engine *e, const char *run_id);
/* Wakes everybody watching run_id (NULL: every run). Any thread. */
void engine_fire_watches(struct engine *e, const char *run_id);
/* Unlinks and frees x. */
void engine_drop(struct engine *e, struct exec *x);

/* --- follow.c: streams read from the run event log (any thread) --- */
/* The log of run_id (NULL: of any run) grew: its followers read what is new. */
void follow_kick(struct engine *e, const char *run_id);
/* Closes and frees every follower (engine_stop); later follows close their channel at
 * once. */
void follow_stop_all(struct engine *e);
/* Another node took x over (run_lose, engine thread): hands x's open stream, if any, to a
 * follower of the run's log, once this node's events are written, that sends the events
 * of the stretch this node did not write (evlog_seen), so that the stream goes on with the
 * new owner's events. x->ch is NULL after. */
void follow_handover(struct exec *x);

#endif
