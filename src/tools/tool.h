/* tool.h - server-side tools: tools the server runs itself during a run (file_search,
 * code_interpreter), as opposed to function tools, whose outputs the client submits.
 *
 * A tool is a row in one table (tool.c): its type name as runs list it, the function
 * definition offered to the model, a line for the model's instructions, the work itself and
 * how a stored step's call reads back as the model's input. The engine drives it:
 *
 *  1. Building a prompt, it offers tool_function() for each server tool the run has, and
 *     adds tool_instructions() to the system message.
 *  2. When the model calls one, the engine fills a struct tool_job (copies only) and runs
 *     it. One interface, two ways to run, in this order, each optional for a tool:
 *     - tool_prepare() on the worker pool (blocking work before: the store, the disk);
 *     - tool_start() on the engine's loop thread, for work that is itself asynchronous on
 *       that loop (the sandbox): it returns at once and calls done(j) later, on the loop;
 *     - tool_run() on the worker pool (blocking work after, or the whole work).
 *     tool_phases() says which a tool has. The engine picks the job up on its own thread
 *     afterwards. While the model writes the arguments, tool_input_delta() lets the step
 *     show what is written so far (code_interpreter's input).
 *  3. The job's `call` is the step's tool call object (id, type, and the tool's own member,
 *     e.g. file_search.results), saved in the run's tool_calls step; `sources` lists what a
 *     citation marker may point to. The engine then starts the next model turn by itself.
 *  4. Later turns rebuild the model's view of that call from the stored step with
 *     tool_output().
 *
 * Threads: tool_prepare and tool_run run on a worker thread and touch only their job;
 * tool_start and its done run on the engine's loop thread; everything else is pure and may
 * run anywhere. */
#ifndef ASSISTD_TOOL_H
#define ASSISTD_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"
#include "../json/json.h"
#include "../store/store.h"

struct tool;
struct sbx;
struct blobs;
struct embed;

#define TOOL_WAIT_MS 30000 /* how long a job may keep asking to run again (see `again`) */
#define TOOL_AGAIN_MS 50   /* how soon a job that asked runs again */

/* What every job may use, set up once by the engine (borrowed: outlives every job). */
struct tool_env {
	struct store *st;
	int64_t vs_day_s; /* seconds in a "day" of vector store expiry (touching a store) */
	struct blobs *bs; /* file bytes (code_interpreter's input and output files) */
	struct sbx *sbx;  /* code_interpreter's sandbox, on the engine's loop */
	struct embed *emb; /* the embedding client for hybrid search, or NULL (keyword only) */
	const char *node;  /* this node's owner id: the holder of the sessions it runs code in */
	int64_t hold_ms;   /* how long such a hold lasts unrenewed (the run lease time) */
};

/* One call of a server tool, from the engine to a worker and back. Everything is owned by
 * the job (free with tool_job_free). */
struct tool_job {
	const struct tool *tool;
	/* In: copies made on the engine thread. */
	const struct tool_env *env; /* borrowed */
	char *project;
	char *call_id;       /* the model's id for the call */
	char *arguments;     /* the model's arguments (JSON text, possibly malformed) */
	jv *run;             /* the run object (model, tools, assistant_id, thread_id) */
	int ordinal;         /* this call's number among the run's calls of this tool */
	int64_t wait_until_ms; /* until when (clock_ms) the job may ask to run again */
	void *owner;         /* borrowed: whoever runs the job (the engine) */
	int phase;           /* the engine's: which of the job's phases runs next */
	void *work;          /* the tool's own state between phases (freed by tool_job_free) */
	/* Out, set by tool_run. */
	bool again;          /* not ready (files still being ingested): run the job again
				TOOL_AGAIN_MS later, without holding a thread meanwhile */
	jv *call;            /* the step's tool call object */
	int err;             /* 0, or the run fails with fail_code and fail_message */
	char *fail_code;     /* a run last_error code ("server_error", "invalid_prompt") */
	char *fail_message;
};

/* True when a message attachment ({file_id, tools:[{type}]}) names the tool type. */
bool tool_attached_for(const jv *attachment, const char *type);

/* The server tool of a run's tool type ("file_search"), or NULL (function, unknown). */
const struct tool *tool_find(const char *type);
/* The server tool the run offers to the model under function name, or NULL. */
const struct tool *tool_by_function(const jv *run_tools, const char *name);
/* The tool's type name ("file_search"). */
const char *tool_name(const struct tool *t);

/* Where a run is, for what a tool tells the model about it (all borrowed). */
struct tool_scope {
	struct store *st;
	const char *project;
	const jv *run;
};

/* The Chat Completions tool definition ({type:"function", function:{...}}) for the run's
 * tool entry def; it may read the store (code_interpreter lists the run's files), so it
 * runs where the prompt is built (a worker thread). Owned. */
jv *tool_function(const struct tool *t, const jv *def, const struct tool_scope *sc);
/* Whether the run may take a model turn with the tool, asked where the prompt is built (a
 * worker thread): 0, or ERR_INVALID with *why (owned) saying why the run fails instead
 * (file_search: a vector store of the run has expired, as the hosted service failed such
 * runs). Errors: the store's. */
int tool_check(const struct tool *t, const struct tool_scope *sc, char **why) MUST_CHECK;
/* What the system message says about the tool (static), or NULL. */
const char *tool_instructions(const struct tool *t);

/* A new job for a call of t (arguments borrowed, copied); run is borrowed and copied.
 * Owned: free with tool_job_free. */
struct tool_job *tool_job_new(const struct tool *t, const struct tool_env *env,
			      const char *project, const jv *run, const char *call_id,
			      const char *arguments, int ordinal);
void tool_job_free(struct tool_job *j);
/* Which of the three ways a tool runs (TOOL_PREPARE | TOOL_START | TOOL_RUN). */
enum { TOOL_PREPARE = 1, TOOL_START = 2, TOOL_RUN = 4 };
unsigned tool_phases(const struct tool *t);
/* Work before tool_start (a worker thread); may set the fail members (the job then ends). */
void tool_prepare(struct tool_job *j);
typedef void tool_done_fn(struct tool_job *j);
/* Starts asynchronous work on the engine's loop thread; done(j) runs later on that thread,
 * exactly once (from tool_start itself when it fails at once). */
void tool_start(struct tool_job *j, tool_done_fn *done);
/* Does the work (a worker thread): fills j->call, or j->err and the fail members, or sets
 * j->again (then nothing else; clear it before running the job again). */
void tool_run(struct tool_job *j);

/* While the model writes a call's arguments (args: all of them so far): the step delta's
 * member for what is new since *shown bytes of input were shown (owned; NULL when nothing
 * is new or the tool shows nothing), updating *shown. */
jv *tool_input_delta(const struct tool *t, const char *args, size_t *shown);
/* The delta that shows the finished call's results (owned; NULL when the tool has none). */
jv *tool_result_delta(const struct tool *t, const jv *call);

/* The model's view of a stored tool call object of this tool (see tool_find on its "type"):
 * *arguments and *output are owned strings (free with free()): the arguments of the
 * assistant's call and the tool message's text. ordinal is the call's number among the
 * run's calls of the tool. */
void tool_output(const struct tool *t, const jv *call, int ordinal, char **arguments,
		 char **output);

/* True when the tool's results can be cited with markers (see tool_source). */
bool tool_citable(const struct tool *t);
/* The file a citation marker points to: result number result of the run's ordinal-th call
 * of t, found in the stored call object. Borrowed from call, or NULL. */
const char *tool_source(const struct tool *t, const jv *call, int64_t result);

/* The files a stored call wrote, [{name, file_id, image}] (borrowed from call), or NULL
 * (none, or a tool that writes none): the run's message shows the images and links the
 * others (sandbox:/mnt/data/<name>). */
const jv *tool_files(const struct tool *t, const jv *call);

/* Makes a stored step what clients see: takes out what only the server keeps (the model's
 * file_search query) and, unless with_content, the results' contents (include[] asks for
 * them). */
void tool_step_redact(jv *step, bool with_content);

#endif
