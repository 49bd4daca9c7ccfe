/* code_interpreter.c - the code_interpreter tool: runs the model's Python in the thread's
 * sandbox session (sandbox.h; one session per thread, so variables and files persist).
 *
 * The model sees a function "code_interpreter" with one argument, `code`. A call runs in
 * three phases (tool.h): on the pool, the input files are gathered (ci_files.c); on the
 * engine's loop, they are put in /mnt/data and the code runs (sbx_exec); on the pool again,
 * the files the code wrote become file objects. The step records the call as {id,
 * type:"code_interpreter", code_interpreter:{input, outputs:[{type:"logs", logs} |
 * {type:"image", image:{file_id}}]}}; the server also keeps there, for itself, the files
 * written (`files`: [{name, file_id, image}]) so later turns can link them. An exception is
 * not a failure: its traceback is in the logs and the model sees it. Without a working
 * sandbox the run fails with the reason (sbx_check); code never runs any other way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../base/utf8.h"
#include "ci_int.h"
#include "sandbox.h"

#define CI_DESCRIPTION                                                                        \
	"Run Python 3 code in a stateful sandbox (variables and imports persist between calls; " \
	"no network). What it prints, and any traceback, comes back. Files under /mnt/data "     \
	"persist; numpy, pandas and matplotlib are installed; figures left open are shown to "   \
	"the user."

/* The description, with the run's files (where the store can tell). Owned. */
static char *describe(const struct tool_scope *sc)
{
	struct ci_from from = { .sc = *sc };
	struct ci_work w = { 0 };
	struct buf b;

	buf_init(&b, 0);
	if (buf_puts(&b, CI_DESCRIPTION))
		abort(); /* unbounded buffer: cannot fail */
	if (ci_inputs_gather(&from, &w) == 0 && w.nin > 0 &&
	    buf_puts(&b, " The user's files in /mnt/data, by id and by name:"))
		abort();
	for (size_t i = 0; i < w.nin; i++) {
		if (buf_printf(&b, " /mnt/data/%s", w.ins[i].file_id) ||
		    (w.ins[i].name && buf_printf(&b, " (also /mnt/data/%s)", w.ins[i].name)) ||
		    buf_puts(&b, i + 1 < w.nin ? ";" : "."))
			abort();
	}
	ci_inputs_free(&w);
	return buf_release(&b);
}

static jv *ci_function(const jv *def, const struct tool_scope *sc)
{
	jv *fn = jv_object();
	jv *out = jv_object();
	char *description = describe(sc);
	static const char params[] =
		"{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\","
		"\"description\":\"Python 3 source to run.\"}},\"required\":[\"code\"]}";

	(void)def;
	jv_set_str(fn, "name", "code_interpreter");
	jv_set_str(fn, "description", description);
	free(description);
	jv_set(fn, "parameters", jv_parse(params, strlen(params), NULL, 0));
	jv_set_str(out, "type", "function");
	jv_set(out, "function", fn);
	return out;
}

char *ci_code_of(const char *args)
{
	jv *a = jv_parse(args, strlen(args), NULL, 0);
	const char *code = jv_get_str(a, "code");
	char *out = xstrdup(code ? code : args); /* not JSON: models sometimes send the code */

	jv_free(a);
	return out;
}

static void work_free(void *p)
{
	struct ci_work *w = p;

	ci_inputs_free(w);
	for (size_t i = 0; i < w->nout; i++)
		free(w->outs[i].name);
	free(w->outs);
	free(w->code);
	free(w->thread_id);
	sbx_result_free(w->res);
	free(w);
}

/* Records this node as the holder of the thread's session, so that the thread's next runs
 * are driven here (engine_session_node). True when the session was held elsewhere, or by
 * nobody: it starts here anew, and gets back the files the thread's calls wrote. */
static bool hold_session(const struct tool_job *j, const char *thread_id)
{
	const struct tool_env *env = j->env;
	char *owner = NULL;
	bool moved;

	if (!env->node)
		return false;
	if (store_session_owner(env->st, j->project, thread_id, clock_unix_ms(), &owner))
		log_warn("thread %s: its code_interpreter session's node could not be read",
			 thread_id);
	moved = !owner || strcmp(owner, env->node) != 0;
	free(owner);
	if (store_session_hold(env->st, j->project, thread_id, env->node,
			       clock_unix_ms() + env->hold_ms))
		log_warn("thread %s: this node could not be recorded as its code_interpreter "
			 "session's; its next run may start a new session elsewhere", thread_id);
	return moved;
}

static void ci_prepare(struct tool_job *j)
{
	struct ci_work *w = xcalloc(1, sizeof(*w));
	struct ci_from from = { .sc = { .st = j->env->st, .project = j->project, .run = j->run },
				.bs = j->env->bs };

	j->work = w;
	w->code = ci_code_of(j->arguments);
	w->thread_id = xstrdup(jv_get_str(j->run, "thread_id"));
	if ((hold_session(j, w->thread_id) && ci_written_gather(&from, w)) ||
	    ci_inputs_gather(&from, w))
		tool_fail(j, ERR_DB, "server_error",
			  xstrdup("The code_interpreter files could not be read; try again."));
}

struct ci_pending {
	struct tool_job *j;
	tool_done_fn *done;
};

/* Opens the files the call wrote while the session still has them (loop thread). */
static void open_outputs(struct tool_job *j, struct ci_work *w)
{
	w->outs = xcalloc(w->res->nfiles ? w->res->nfiles : 1, sizeof(*w->outs));
	for (size_t i = 0; i < w->res->nfiles; i++) {
		struct sbx_file *f = &w->res->files[i];
		int fd;

		if (!utf8_valid(f->name))
			continue; /* a name JSON cannot carry: the code can rename it */
		if (sbx_open_file(j->env->sbx, w->thread_id, f->name, &fd))
			continue; /* gone already (the code removed it, or the session ended) */
		w->outs[w->nout].name = xstrdup(f->name);
		w->outs[w->nout].fd = fd;
		w->outs[w->nout].figure = f->figure;
		w->nout++;
	}
}

static void exec_done(void *ctx, struct sbx_result *res)
{
	struct ci_pending *p = ctx;
	struct ci_work *w = p->j->work;

	w->res = res;
	if (res->err == ERR_UNAVAILABLE)
		tool_fail(p->j, ERR_UNAVAILABLE, "server_error",
			  xstrdup("The code_interpreter sandbox stopped; try again."));
	else if (!res->err)
		open_outputs(p->j, w); /* a failed start has its reason in the logs */
	p->done(p->j);
	free(p);
}

static void ci_start(struct tool_job *j, tool_done_fn *done)
{
	struct ci_work *w = j->work;
	const char *why = "the sandbox was not set up";
	struct ci_pending *p;

	if (!j->env->sbx || !sbx_check(j->env->sbx, &why)) {
		tool_fail(j, ERR_UNAVAILABLE, "server_error",
			  xasprintf("code_interpreter is unavailable on this server: %s. Ask the "
				    "administrator to install bubblewrap and allow user namespaces, "
				    "or remove the tool from the run.", why));
		done(j);
		return;
	}
	ci_inputs_put(j, w);
	p = xcalloc(1, sizeof(*p));
	p->j = j;
	p->done = done;
	sbx_exec(j->env->sbx, w->thread_id, w->code, exec_done, p);
}

/* The call's outputs: the logs (the sandbox makes them valid UTF-8), then the images. Owned. */
static jv *outputs_of(const struct ci_work *w, const jv *files)
{
	jv *outputs = jv_array();

	if (w->res->logs_len) {
		jv *logs = jv_object();

		jv_set_str(logs, "type", "logs");
		jv_set(logs, "logs", jv_stringn(w->res->logs, w->res->logs_len));
		jv_push(outputs, logs);
	}
	for (size_t i = 0; i < jv_size(files); i++) {
		const jv *f = jv_at(files, i);
		jv *img;
		jv *file;

		if (!jv_true(jv_get(f, "image")))
			continue;
		img = jv_object();
		file = jv_object();
		jv_set_str(file, "file_id", jv_get_str(f, "file_id"));
		jv_set_str(img, "type", "image");
		jv_set(img, "image", file);
		jv_push(outputs, img);
	}
	return outputs;
}

/* The call object into j->call: input, outputs, and the files for later turns (taken). */
static void ci_build(struct tool_job *j, struct ci_work *w, jv *files)
{
	jv *ci = jv_object();
	jv *outputs = outputs_of(w, files);
	jv *call = jv_object();

	jv_set_str(ci, "input", w->code);
	jv_set(ci, "outputs", outputs);
	jv_set(ci, CI_FILES, files);
	jv_set_str(call, "id", j->call_id);
	jv_set_str(call, "type", "code_interpreter");
	jv_set(call, "code_interpreter", ci);
	j->call = call;
}

static void ci_run(struct tool_job *j)
{
	struct ci_work *w = j->work;
	jv *files = jv_array();

	if (ci_outputs_save(j, w, files)) {
		jv_free(files);
		tool_fail(j, ERR_INTERNAL, "server_error",
			  xstrdup("The files the code wrote could not be stored; try again."));
		return;
	}
	ci_build(j, w, files);
}

/* The model's view of a call: its code, and what came back, with the files written. */
static void ci_output(const jv *call, int ordinal, char **arguments, char **output)
{
	const jv *ci = jv_get(call, "code_interpreter");
	const jv *outputs = jv_get(ci, "outputs");
	const jv *files = jv_get(ci, CI_FILES);
	jv *a = jv_object();
	struct buf b;

	(void)ordinal;
	buf_init(&b, 0);
	for (size_t i = 0; i < jv_size(outputs); i++) {
		const char *logs = jv_get_str(jv_at(outputs, i), "logs");

		if (logs && buf_puts(&b, logs))
			abort(); /* unbounded buffer: cannot fail */
	}
	for (size_t i = 0; i < jv_size(files); i++) {
		const jv *f = jv_at(files, i);
		bool image = jv_true(jv_get(f, "image"));
		const char *name = jv_get_str(f, "name");

		if (image ? buf_printf(&b, "\n[An image was shown to the user: /mnt/data/%s]", name)
			  : buf_printf(&b, "\n[File written: /mnt/data/%s; link it as "
				       "sandbox:/mnt/data/%s]", name, name))
			abort(); /* unbounded buffer: cannot fail */
	}
	if (b.len == 0 && buf_puts(&b, "(no output)"))
		abort(); /* unbounded buffer: cannot fail */
	jv_set_str(a, "code", jv_get_str(ci, "input"));
	*arguments = jv_dump(a);
	*output = buf_release(&b);
	jv_free(a);
}

static const jv *ci_files(const jv *call)
{
	return jv_get(jv_get(call, "code_interpreter"), CI_FILES);
}

const struct tool tool_code_interpreter = {
	.name = "code_interpreter",
	.instructions =
		"You can run Python with the code_interpreter tool. The user's files are in "
		"/mnt/data, each as /mnt/data/<file id> and under its own name (the tool's "
		"description lists them). To give the user a file, write it under /mnt/data and "
		"link it in your answer as sandbox:/mnt/data/<name>, e.g. "
		"[report.csv](sandbox:/mnt/data/report.csv). Charts you draw with matplotlib are "
		"shown to the user by themselves.",
	.function = ci_function,
	.prepare = ci_prepare,
	.start = ci_start,
	.run = ci_run,
	.output = ci_output,
	.input_delta = ci_input_delta,
	.result_delta = ci_result_delta,
	.files = ci_files,
	.work_free = work_free,
};
