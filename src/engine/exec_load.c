/* exec_load.c - a run's exec: built from a run just created (exec_new), or from the store
 * for a request about a run this engine is not holding, and for every run this node takes
 * over (lease.c: at start-up, those its former process left unfinished, and any whose
 * lease lapsed).
 *
 * A stored run that is not finished may have steps still marked in_progress. A run waiting
 * for tool outputs has its tool_calls step open: it is taken into the exec, so that the
 * outputs or the run's end close it. A moving run (queued, in_progress, cancelling) that this
 * node just took over may have been cut off mid-turn: that turn is **replaced**. The turn's
 * steps (those after the last completed tool_calls step, open or not: a message the model
 * wrote before calling a tool is part of it) and their messages are deleted, and the turn
 * runs again, so the thread ends with one whole reply, never a cut one followed by a repeat.
 * Earlier turns stay as they are. A turn that had ended with its reply (its message step
 * completed with the turn's usage) and whose run's end alone was not saved is not run
 * again: the run ends as its reply did.
 *
 * What only the creating node's memory had is read back from the run's origin
 * (store_run_origin): the key that created it, whose token budget its turns count against,
 * and whether its create's include[] asked for file_search result contents in step details
 * and events. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../store/obj.h"

/* Takes an in_progress step into the exec's slots: a tool_calls step as the pending one, a
 * message_creation step with its message as the open message. */
static int adopt_step(struct exec *x, const char *id)
{
	jv *step = NULL;
	int64_t version = 0;
	const char *msg_id;
	int err = obj_get(x->e->st, x->project, STORE_STEP, id, NULL, &step, &version);

	if (err)
		return err;
	if (strcmp(jv_get_str(step, "type"), "tool_calls") == 0 && !x->tool_step) {
		x->tool_step = step;
		x->tool_step_version = version;
		return 0;
	}
	if (x->msg_step) {
		jv_free(step);
		return 0;
	}
	msg_id = jv_get_str(jv_get(jv_get(step, "step_details"), "message_creation"),
			    "message_id");
	x->msg_step = step;
	x->msg_step_version = version;
	buf_init(&x->text, 4 * 1024 * 1024);
	err = obj_get(x->e->st, x->project, STORE_MESSAGE, msg_id, NULL, &x->msg,
		      &x->msg_version);
	if (err == ERR_NOT_FOUND) {
		x->msg = message_new_assistant(x); /* deleted by a client: write it anew */
		x->msg_version = 0;
		err = 0;
	}
	return err;
}

/* Deletes the open step id of a turn cut off, and the message it was writing, each in a
 * write fenced by the lease; one already gone (a client deleted the message) is fine. */
static int discard_step(struct exec *x, const jv *step)
{
	const char *msg_id = jv_get_str(jv_get(jv_get(step, "step_details"), "message_creation"),
					"message_id");
	struct store_op ops[2] = {
		{ .type = STORE_EXPECT_LEASE, .obj = { .kind = STORE_RUN,
						       .id = jv_get_str(x->run, "id") },
		  .lease = x->e->owner },
		{ .type = STORE_DELETE, .obj = { .kind = STORE_STEP, .id = jv_get_str(step, "id") } },
	};
	int err = store_write(x->e->st, x->project, ops, 2);

	if (!err && msg_id) {
		ops[1].obj.kind = STORE_MESSAGE;
		ops[1].obj.id = msg_id;
		err = store_write(x->e->st, x->project, ops, 2);
	}
	if (!err)
		log_info("run %s: its cut-off step %s is replaced by a new turn",
			 jv_get_str(x->run, "id"), jv_get_str(step, "id"));
	return err == ERR_NOT_FOUND ? 0 : err;
}

static bool step_is(const jv *s, enum step_status want)
{
	enum step_status status;

	return !status_step_parse(jv_get_str(s, "status"), &status) && status == want;
}

static bool tool_step(const jv *s)
{
	return strcmp(jv_get_str(s, "type"), "tool_calls") == 0;
}

/* A run waiting for outputs: its tool_calls step is taken (adopt_step). Oldest first. */
static int load_waiting(struct exec *x, jv **steps, size_t n)
{
	int err = 0;

	for (size_t i = n; !err && i > 0; i--) {
		if (tool_step(steps[i - 1]))
			tools_remember(x, steps[i - 1], false); /* its citable calls and files */
		if (step_is(steps[i - 1], STEP_IN_PROGRESS))
			err = adopt_step(x, jv_get_str(steps[i - 1], "id"));
	}
	return err;
}

/* How many of the newest steps (steps[0] is the newest) are the turn that was going on:
 * those after the last completed tool_calls step, since each of those ends a turn. */
static size_t turn_steps(jv **steps, size_t n)
{
	size_t i = 0;

	while (i < n && !(tool_step(steps[i]) && step_is(steps[i], STEP_COMPLETED)))
		i++;
	return i;
}

/* The turn's steps say it ended with its reply, and only the run's own end was not saved:
 * one completed message step, closed with the turn's usage (a message that tool calls
 * followed is closed without). Sets x->replied and x->replied_as. */
static int turn_ended(struct exec *x, jv **steps, size_t n)
{
	const jv *step = n == 1 ? steps[0] : NULL;
	const char *msg_id = jv_get_str(jv_get(jv_get(step, "step_details"), "message_creation"),
					"message_id");
	jv *msg = NULL;
	int err;

	if (!msg_id || !step_is(step, STEP_COMPLETED) ||
	    jv_int_value(jv_get(jv_get(step, "usage"), "total_tokens")) <= 0)
		return 0;
	err = obj_get(x->e->st, x->project, STORE_MESSAGE, msg_id, NULL, &msg, NULL);
	if (err)
		return err == ERR_NOT_FOUND ? 0 : err;
	x->replied = true;
	x->replied_as = strcmp(jv_get_str(msg, "status"), "incomplete") == 0 ? RUN_INCOMPLETE
									  : RUN_COMPLETED;
	jv_free(msg);
	return 0;
}

/* A moving run: the turn that was cut off goes (see the top of the file), unless it ended. */
static int load_moving(struct exec *x, jv **steps, size_t n)
{
	size_t cut = turn_steps(steps, n);
	int err = x->leased ? turn_ended(x, steps, cut) : 0;

	if (x->replied)
		cut = 0;
	for (size_t i = 0; !err && x->leased && i < cut; i++)
		err = discard_step(x, steps[i]);
	for (size_t i = n; !err && i > cut; i--) {
		if (tool_step(steps[i - 1]))
			tools_remember(x, steps[i - 1], false);
	}
	return err;
}

/* Loads the run's steps (see the top of the file). */
static int load_open_steps(struct exec *x)
{
	struct store_page pg = { .limit = 100, .desc = true };
	struct store_list l = { 0 };
	char why[128];
	jv **steps;
	size_t n = 0;
	int err = store_list(x->e->st, x->project, STORE_STEP, jv_get_str(x->run, "id"), &pg, &l);

	steps = xcalloc(l.n + 1, sizeof(*steps));
	for (size_t i = 0; !err && i < l.n; i++) { /* newest first */
		steps[n] = jv_parse(l.items[i].body, strlen(l.items[i].body), why, sizeof(why));
		n += steps[n] != NULL;
	}
	if (!err)
		err = x->status == RUN_REQUIRES_ACTION ? load_waiting(x, steps, n)
						       : load_moving(x, steps, n);
	for (size_t i = 0; i < n; i++)
		jv_free(steps[i]);
	free(steps);
	store_list_cleanup(&l);
	return err;
}

int exec_new(struct engine *e, const char *project, jv *run, int64_t version,
	     struct exec **out)
{
	struct exec *x = xcalloc(1, sizeof(*x));

	x->e = e;
	x->project = xstrdup(project);
	timer_init(&x->expiry, engine_expiry_due, x);
	x->run = run;
	x->version = version;
	x->end_as = RUN_CANCELLED;
	if (status_run_parse(jv_get_str(run, "status"), &x->status)) {
		log_error("engine: run %s has an unknown status", jv_get_str(run, "id"));
		exec_free(x);
		return ERR_DB;
	}
	x->next = e->execs;
	e->execs = x;
	*out = x;
	return 0;
}

/* Restores what x was created with (see the top of the file). */
static int load_origin(struct exec *x)
{
	int64_t include = 0;
	int err = store_run_origin(x->e->st, x->project, jv_get_str(x->run, "id"), &x->key,
				   &include);

	x->step_content = (include & STORE_INCLUDE_CONTENT) != 0;
	return err;
}

int exec_load(struct engine *e, const char *project, const char *thread_id,
	      const char *run_id, bool leased, struct exec **out)
{
	int64_t version = 0;
	jv *run = NULL;
	int err = obj_get(e->st, project, STORE_RUN, run_id, thread_id, &run, &version);

	if (!err)
		err = exec_new(e, project, run, version, out);
	if (err)
		return err;
	lease_mark(*out, leased);
	err = load_origin(*out);
	if (!err && !status_run_terminal((*out)->status))
		err = load_open_steps(*out);
	if (err)
		engine_drop(e, *out);
	return err;
}

void exec_continue(struct exec *x)
{
	switch (x->status) {
	case RUN_REQUIRES_ACTION:
		engine_expire_at(x, clock_ms() + (jv_int_value(jv_get(x->run, "expires_at")) -
						  clock_unix()) * 1000);
		break;
	case RUN_IN_PROGRESS:
		if (x->replied) /* the turn ended; only the run's end was not saved */
			run_finish(x, x->replied_as, "max_completion_tokens", NULL);
		else
			run_resume(x);
		break;
	default:
		run_start(x); /* queued starts; cancelling ends cancelled */
		break;
	}
}
