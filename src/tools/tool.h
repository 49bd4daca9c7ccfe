/* tool.h - server-side tools: tools the server runs itself during a run (file_search today,
 * code_interpreter next), as opposed to function tools, whose outputs the client submits.
 *
 * A tool is a row in one table (tool.c): its type name as runs list it, the function
 * definition offered to the model, a line for the model's instructions, the work itself and
 * how a stored step's call reads back as the model's input. The engine drives it:
 *
 *  1. Building a prompt, it offers tool_function() for each server tool the run has, and
 *     adds tool_instructions() to the system message.
 *  2. When the model calls one, the engine fills a struct tool_job (copies only) and hands
 *     it to its worker pool: tool_run() runs there, off the engine thread, and may block on
 *     the store or the disk. The engine picks the job up on its own thread afterwards.
 *  3. The job's `call` is the step's tool call object (id, type, and the tool's own member,
 *     e.g. file_search.results), saved in the run's tool_calls step; `sources` lists what a
 *     citation marker may point to. The engine then starts the next model turn by itself.
 *  4. Later turns rebuild the model's view of that call from the stored step with
 *     tool_output().
 *
 * Threads: tool_run runs on a worker thread and touches only its job; everything else is
 * pure and may run anywhere. */
#ifndef ASSISTD_TOOL_H
#define ASSISTD_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"
#include "../json/json.h"
#include "../store/store.h"

struct tool;
struct embed;

#define TOOL_WAIT_MS 30000 /* how long a job may keep asking to run again (see `again`) */
#define TOOL_AGAIN_MS 50   /* how soon a job that asked runs again */

/* What every job may use, set up once by the engine (borrowed: outlives every job). */
struct tool_env {
	struct store *st;
	int64_t vs_day_s; /* seconds in a "day" of vector store expiry (touching a store) */
	struct embed *emb; /* the embedding client for hybrid search, or NULL (keyword only) */
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
	/* Out, set by tool_run. */
	bool again;          /* not ready (files still being ingested): run the job again
				TOOL_AGAIN_MS later, without holding a thread meanwhile */
	jv *call;            /* the step's tool call object */
	int err;             /* 0, or the run fails with fail_code and fail_message */
	char *fail_code;     /* a run last_error code ("server_error", "invalid_prompt") */
	char *fail_message;
};

/* The server tool of a run's tool type ("file_search"), or NULL (function, unknown). */
const struct tool *tool_find(const char *type);
/* The server tool the run offers to the model under function name, or NULL. */
const struct tool *tool_by_function(const jv *run_tools, const char *name);
/* The tool's type name ("file_search"). */
const char *tool_name(const struct tool *t);

/* The Chat Completions tool definition ({type:"function", function:{...}}) for the run's
 * tool entry def. Owned. */
jv *tool_function(const struct tool *t, const jv *def);
/* What the system message says about the tool (static), or NULL. */
const char *tool_instructions(const struct tool *t);

/* A new job for a call of t (arguments borrowed, copied); run is borrowed and copied.
 * Owned: free with tool_job_free. */
struct tool_job *tool_job_new(const struct tool *t, const struct tool_env *env,
			      const char *project, const jv *run, const char *call_id,
			      const char *arguments, int ordinal);
void tool_job_free(struct tool_job *j);
/* Does the work (a worker thread): fills j->call, or j->err and the fail members, or sets
 * j->again (then nothing else; clear it before running the job again). */
void tool_run(struct tool_job *j);

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

/* Makes a stored step what clients see: takes out what only the server keeps (the model's
 * file_search query) and, unless with_content, the results' contents (include[] asks for
 * them). */
void tool_step_redact(jv *step, bool with_content);

#endif
