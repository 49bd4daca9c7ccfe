/* run_tools.c - server-side tools in a run (see tools/tool.h), on the engine thread.
 *
 * A turn that ends with calls of server tools (file_search) does not wait for the client:
 * each call becomes a job that runs off the engine thread; when every job of the turn is
 * back, the results go into the tool_calls step and, unless the model also called
 * functions (the run then asks the client for their outputs as usual), the step completes
 * and the next model turn starts. A job that fails fails the run with its last_error.
 * A job whose run ended meanwhile (cancelled, expired, deleted) is dropped when it is back.
 *
 * Jobs run on the engine's worker pool and come back through its loop. A job that is not
 * ready (file_search waiting for files still being ingested) goes back to the pool after a
 * loop timer, holding no worker meanwhile. */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "events.h"

void tools_classify(struct exec *x, struct pending_call *c)
{
	if (c->name && !c->tool)
		c->tool = tool_by_function(jv_get(x->run, "tools"), c->name);
}

jv *tools_call_delta(const struct exec *x, int index, const struct pending_call *c)
{
	jv *call = jv_object();

	jv_set_int(call, "index", index);
	jv_set_str(call, "id", c->id ? c->id : "call_missing");
	jv_set_str(call, "type", tool_name(c->tool));
	jv_set(call, tool_name(c->tool), jv_object());
	return run_step_delta(x, call);
}

void tools_remember(struct exec *x, const jv *step)
{
	const jv *calls = jv_get(jv_get(step, "step_details"), "tool_calls");

	if (!x->cites)
		x->cites = jv_array();
	for (size_t i = 0; i < jv_size(calls); i++) {
		const jv *c = jv_at(calls, i);
		const struct tool *t = tool_find(jv_get_str(c, "type"));

		if (t && tool_citable(t))
			jv_push(x->cites, jv_copy(c));
	}
}

/* A job waiting to go back to the pool (engine thread only). */
struct tool_retry {
	struct timer t;
	struct tool_job *j;
	struct engine *e;
	struct tool_retry *next;
};

static void job_back(struct engine *e, struct tool_job *j);
static void submit(struct engine *e, struct tool_job *j);

/* On a pool worker. */
static void job_work(void *arg)
{
	tool_run(arg);
}

static void retry_due(void *arg)
{
	struct tool_retry *r = arg;
	struct tool_retry **p = &r->e->retries;

	while (*p && *p != r)
		p = &(*p)->next;
	if (*p)
		*p = r->next;
	r->j->again = false;
	submit(r->e, r->j);
	free(r);
}

/* Back on the engine thread: the result, or the job asks to run again later. */
static void job_done(void *arg)
{
	struct tool_job *j = arg;
	struct engine *e = j->owner;
	struct tool_retry *r;

	if (engine_stopping(e) || !j->again)
		e->tool_jobs--;
	if (engine_stopping(e)) {
		tool_job_free(j);
		return;
	}
	if (!j->again) {
		job_back(e, j);
		tool_job_free(j);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->j = j;
	r->e = e;
	r->next = e->retries;
	e->retries = r;
	timer_init(&r->t, retry_due, r);
	loop_timer_start(e->loop, &r->t, TOOL_AGAIN_MS);
}

static void submit(struct engine *e, struct tool_job *j)
{
	j->owner = e;
	pool_submit(e->pool, job_work, job_done, j);
}

bool tools_start(struct exec *x)
{
	int ordinal = (int)jv_size(x->cites);
	int n = 0;

	for (size_t i = 0; i < x->ncalls; i++) {
		struct pending_call *c = &x->calls[i];
		struct tool_job *j;

		if (!c->tool)
			continue;
		j = tool_job_new(c->tool, &x->e->tools, x->project, x->run, c->id, c->args.p,
				 ordinal++);
		n++;
		x->e->tool_jobs++; /* until its result is back */
		submit(x->e, j);
	}
	x->tools_running = n;
	return n > 0;
}

static struct pending_call *call_by_id(struct exec *x, const char *id)
{
	for (size_t i = 0; i < x->ncalls; i++) {
		if (x->calls[i].id && strcmp(x->calls[i].id, id) == 0)
			return &x->calls[i];
	}
	return NULL;
}

static bool has_functions(const struct exec *x)
{
	for (size_t i = 0; i < x->ncalls; i++) {
		if (!x->calls[i].tool)
			return true;
	}
	return false;
}

/* Every job of the turn is back: record the results and go on. */
static void carry_on(struct exec *x)
{
	jv *details = jv_get(x->tool_step, "step_details");

	jv_set(details, "tool_calls", run_calls_json(x, true));
	tools_remember(x, x->tool_step);
	if (has_functions(x)) {
		run_require_action(x);
		return;
	}
	close_step(x, x->tool_step, &x->tool_step_version, STEP_COMPLETED, NULL, NULL, true);
	jv_free(x->tool_step);
	x->tool_step = NULL;
	run_clear_calls(x);
	run_turn(x);
}

/* The job's run, if it still waits for it. */
static struct exec *waiting_run(struct engine *e, const struct tool_job *j)
{
	const char *run_id = jv_get_str(j->run, "id");

	for (struct exec *x = e->execs; x; x = x->next) {
		if (strcmp(jv_get_str(x->run, "id"), run_id) == 0 && !x->finished &&
		    x->tools_running > 0 && x->status == RUN_IN_PROGRESS)
			return x;
	}
	return NULL;
}

static void job_back(struct engine *e, struct tool_job *j)
{
	struct exec *x = waiting_run(e, j);
	struct pending_call *c = x ? call_by_id(x, j->call_id) : NULL;

	if (!c)
		return; /* its run ended meanwhile */
	x->tools_running--;
	if (j->err) {
		run_finish(x, RUN_FAILED, j->fail_code, j->fail_message);
	} else {
		c->result = j->call;
		j->call = NULL;
		if (x->tools_running == 0)
			carry_on(x);
	}
	engine_settle(e, x);
}

void tools_stop(struct engine *e)
{
	while (e->retries) {
		struct tool_retry *r = e->retries;

		e->tool_jobs--;
		e->retries = r->next;
		loop_timer_stop(e->loop, &r->t);
		tool_job_free(r->j);
		free(r);
	}
}
