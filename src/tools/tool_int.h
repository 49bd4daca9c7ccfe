/* tool_int.h - what a server tool implements (private to src/tools): one struct tool per
 * tool, listed in tool.c's table. See tool.h for when each member runs. */
#ifndef ASSISTD_TOOL_INT_H
#define ASSISTD_TOOL_INT_H

#include "tool.h"

struct tool {
	const char *name;          /* the run's tool type and the function offered to the model */
	const char *instructions;  /* what the system message adds about it, or NULL */
	/* The Chat Completions definition for the run's tool entry def (owned). */
	jv *(*function)(const jv *def);
	/* The work, on a worker thread. */
	void (*run)(struct tool_job *j);
	/* A stored call object as the model's call arguments and tool message (both owned). */
	void (*output)(const jv *call, int ordinal, char **arguments, char **output);
	/* The file id a citation of result number `result` points to (borrowed), or NULL;
	 * NULL for a tool whose output is never cited. */
	const char *(*source)(const jv *call, int64_t result);
};

extern const struct tool tool_file_search;

/* Sets j's failure: err, the run's last_error code (copied) and message (taken). */
void tool_fail(struct tool_job *j, int err, const char *code, char *message);

#endif
