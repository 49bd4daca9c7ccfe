/* tool_int.h - what a server tool implements (private to src/tools): one struct tool per
 * tool, listed in tool.c's table. See tool.h for when each member runs. */
#ifndef ASSISTD_TOOL_INT_H
#define ASSISTD_TOOL_INT_H

#include "tool.h"

struct tool {
	const char *name;          /* the run's tool type and the function offered to the model */
	const char *instructions;  /* what the system message adds about it, or NULL */
	/* The Chat Completions definition for the run's tool entry def (owned). */
	jv *(*function)(const jv *def, const struct tool_scope *sc);
	/* Whether the run may take a turn with the tool (see tool_check), or NULL. */
	int (*check)(const struct tool_scope *sc, char **why);
	/* The work: before, on a worker thread; on the loop, asynchronous; after (or all of
	 * it), on a worker thread. Any may be NULL. */
	void (*prepare)(struct tool_job *j);
	void (*start)(struct tool_job *j, tool_done_fn *done);
	void (*run)(struct tool_job *j);
	/* The step delta member for the arguments so far (see tool_input_delta), or NULL. */
	jv *(*input_delta)(const char *args, size_t *shown);
	/* The step delta member for the results (see tool_result_delta), or NULL. */
	jv *(*result_delta)(const jv *call);
	/* The files a stored call wrote (borrowed), or NULL. */
	const jv *(*files)(const jv *call);
	/* Frees j->work. */
	void (*work_free)(void *work);
	/* A stored call object as the model's call arguments and tool message (both owned). */
	void (*output)(const jv *call, int ordinal, char **arguments, char **output);
	/* The file id a citation of result number `result` points to (borrowed), or NULL;
	 * NULL for a tool whose output is never cited. */
	const char *(*source)(const jv *call, int64_t result);
};

extern const struct tool tool_file_search;
extern const struct tool tool_code_interpreter;

/* Sets j's failure: err, the run's last_error code (copied) and message (taken). */
void tool_fail(struct tool_job *j, int err, const char *code, char *message);

#endif
