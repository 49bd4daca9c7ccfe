/* run_tools.c - server-side tools in a run (see tools/tool.h), on the engine thread.
 *
 * A turn that ends with calls of server tools (file_search) does not wait for the client:
 * each call becomes a job that runs off the engine thread; when every job of the turn is
 * back, the results go into the tool_calls step and, unless the model also called
 * functions (the run then asks the client for their outputs as usual), the step completes
 * and the next model turn starts. A job that fails fails the run with its last_error.
 * A job whose run ended meanwhile (cancelled, expired, deleted) is dropped when it is back.
 *
 * Jobs run their phases (tool.h) on the engine's worker pool, or on its loop for work that
 * is asynchronous there (code_interpreter's sandbox), and come back through the loop;
 * a job's next phase starts as its last one ends. A job that is not
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

/* A step delta for call number index showing member (taken); the first shows its id. */
static void call_delta(struct exec *x, int index, const struct pending_call *c, bool first,
		       jv *member)
{
	jv *call = jv_object();
	jv *d;

	jv_set_int(call, "index", index);
	if (first)
		jv_set_str(call, "id", c->id ? c->id : "call_missing");
	jv_set_str(call, "type", tool_name(c->tool));
	jv_set(call, tool_name(c->tool), member);
	d = run_step_delta(x, call);
	if (!first && jv_is_string(jv_get(member, "input")))
		emit_delta(x, "thread.run.step.delta", d, member, "input");
	else
		emit(x, "thread.run.step.delta", d);
	jv_free(d);
}

void tools_call_progress(struct exec *x, int index, struct pending_call *c)
{
	jv *member = tool_input_delta(c->tool, c->args.p, &c->shown);
	bool first = !c->announced;

	c->announced = true;
	if (first || member)
		call_delta(x, index, c, first, member ? member : jv_object());
}

void tools_remember(struct exec *x, const jv *step, bool fresh)
{
	const jv *calls = jv_get(jv_get(step, "step_details"), "tool_calls");

	if (!x->cites)
		x->cites = jv_array();
	for (size_t i = 0; i < jv_size(calls); i++) {
		const jv *c = jv_at(calls, i);
		const struct tool *t = tool_find(jv_get_str(c, "type"));

		if (t && tool_citable(t))
			jv_push(x->cites, jv_copy(c));
		files_remember(x, c, fresh);
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

/* On a pool worker: the job's phase that runs there. */
static void job_work(void *arg)
{
	struct tool_job *j = arg;

	if (j->phase == TOOL_PREPARE)
		tool_prepare(j);
	else
		tool_run(j);
}

/* The job's next phase after `after` (0: its first), or 0 when it has none left. */
static int phase_after(const struct tool_job *j, int after)
{
	unsigned have = tool_phases(j->tool);

	for (int p = after ? after << 1 : TOOL_PREPARE; p <= TOOL_RUN; p <<= 1) {
		if (have & (unsigned)p)
			return p;
	}
	return 0;
}

static void job_done(void *arg);

/* tool_start's done, on the loop thread. */
static void start_done(struct tool_job *j)
{
	job_done(j);
}

/* Runs the job's current phase where it runs: the loop, or the pool. */
static void run_phase(struct engine *e, struct tool_job *j)
{
	if (j->phase == TOOL_START)
		tool_start(j, start_done);
	else
		pool_submit(e->pool, job_work, job_done, j);
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
	int next = j->err || j->again ? 0 : phase_after(j, j->phase);
	struct tool_retry *r;

	if (next && !engine_stopping(e)) {
		j->phase = next;
		run_phase(e, j);
		return;
	}
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
	j->phase = phase_after(j, 0);
	run_phase(e, j);
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
	tools_remember(x, x->tool_step, true);
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

/* The streamed step shows the call's results (code_interpreter's outputs). */
static void show_result(struct exec *x, const struct pending_call *c)
{
	jv *member = tool_result_delta(c->tool, c->result);

	if (member)
		call_delta(x, (int)(c - x->calls), c, false, member);
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
		show_result(x, c);
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
