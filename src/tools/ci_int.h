/* ci_int.h - what code_interpreter's files share (code_interpreter.c: the tool; ci_files.c:
 * input and output files; ci_delta.c: what the streamed step shows). Private to src/tools. */
#ifndef ASSISTD_CI_INT_H
#define ASSISTD_CI_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "tool_int.h"

#define CI_FILES "files" /* the server's own list of files a call wrote (never shown) */

struct sbx_result;

/* A file for /mnt/data: a File of the user's, open for reading. */
struct ci_input {
	char *file_id;
	char *name; /* its filename, when usable as a name in /mnt/data, else NULL */
	int fd;
	bool written; /* a file an earlier call wrote: put back under its name only */
};

/* A file the code wrote, open for reading. */
struct ci_output {
	char *name;
	int fd;
	bool figure;
};

/* One call's state between its phases (tool_job.work). */
struct ci_work {
	char *code;
	char *thread_id;
	struct ci_input *ins;
	size_t nin;
	struct sbx_result *res; /* the sandbox's result, once back */
	struct ci_output *outs;
	size_t nout;
};

/* The code in the model's arguments ({"code": ...}; text that is not JSON is the code
 * itself). Owned. */
char *ci_code_of(const char *args);

/* --- ci_files.c --- */
/* Where to find a run's input files; bs NULL: only their names, nothing opened. */
struct ci_from {
	struct tool_scope sc;
	struct blobs *bs;
};

/* Finds (and opens, with from->bs) the files of the run's assistant's and thread's
 * tool_resources and of the thread's messages' code_interpreter attachments (a worker
 * thread). Errors: ERR_DB. */
int ci_inputs_gather(const struct ci_from *from, struct ci_work *w);
/* Finds and opens the files that the code_interpreter calls of the thread's latest runs
 * wrote (saved as Files), the latest of each name, for a session that starts anew (a
 * worker thread). Call before ci_inputs_gather: a written file wins over an input of the
 * same name, as the code left it. Errors: ERR_DB. */
int ci_written_gather(const struct ci_from *from, struct ci_work *w);
/* Places them in the thread's /mnt/data, as <file id> and as their name (loop thread), and
 * closes them. */
void ci_inputs_put(struct tool_job *j, struct ci_work *w);
void ci_inputs_free(struct ci_work *w);
/* Stores the files the code wrote as Files (purpose assistants_output) and lists them in
 * files as {name, file_id, image} (a worker thread). Errors: ERR_INTERNAL, ERR_DB. */
int ci_outputs_save(struct tool_job *j, struct ci_work *w, jv *files);

/* --- ci_delta.c --- */
/* The tool's input_delta and result_delta (tool_int.h): owned members, or NULL. */
jv *ci_input_delta(const char *args, size_t *shown);
jv *ci_result_delta(const jv *call);

#endif
