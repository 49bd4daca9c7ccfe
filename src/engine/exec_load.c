/* exec_load.c - a run's exec: built from a run just created (exec_new), or from the store
 * for a request about a run this engine is not holding, and at start-up for every run a
 * previous process left unfinished.
 *
 * A stored run that is not finished may have steps still marked in_progress (the one that
 * waits for tool outputs, or whatever a crash interrupted); they are taken into the exec so
 * that finishing the run closes them too. */
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

/* Loads the run's in_progress steps (a run waiting for outputs has its tool_calls step;
 * a run interrupted by a crash may have either kind open). */
static int load_open_steps(struct exec *x)
{
	struct store_page pg = { .limit = 100, .desc = true };
	struct store_list l = { 0 };
	char why[128];
	int err = store_list(x->e->st, x->project, STORE_STEP, jv_get_str(x->run, "id"), &pg, &l);

	for (size_t i = l.n; !err && i > 0; i--) { /* oldest first, for the citable calls */
		jv *s = jv_parse(l.items[i - 1].body, strlen(l.items[i - 1].body), why,
				 sizeof(why));

		if (s && strcmp(jv_get_str(s, "type"), "tool_calls") == 0)
			tools_remember(x, s);
		jv_free(s);
	}
	for (size_t i = 0; !err && i < l.n; i++) {
		jv *s = jv_parse(l.items[i].body, strlen(l.items[i].body), why, sizeof(why));
		enum step_status status;

		if (!status_step_parse(jv_get_str(s, "status"), &status) &&
		    status == STEP_IN_PROGRESS)
			err = adopt_step(x, l.items[i].id);
		jv_free(s);
	}
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

int exec_load(struct engine *e, const char *project, const char *thread_id,
	      const char *run_id, struct exec **out)
{
	int64_t version = 0;
	jv *run = NULL;
	int err = obj_get(e->st, project, STORE_RUN, run_id, thread_id, &run, &version);

	if (!err)
		err = exec_new(e, project, run, version, out);
	if (err)
		return err;
	if (!status_run_terminal((*out)->status))
		err = load_open_steps(*out);
	if (err)
		engine_drop(e, *out);
	return err;
}

static void resume_one(struct engine *e, const char *project, const char *run_id)
{
	struct exec *x = NULL;
	enum run_status was;

	if (exec_load(e, project, NULL, run_id, &x))
		return;
	was = x->status;
	if (was == RUN_REQUIRES_ACTION) {
		engine_expire_at(x, clock_ms() + (jv_int_value(jv_get(x->run, "expires_at")) -
						  clock_unix()) * 1000);
	} else if (was == RUN_IN_PROGRESS) {
		run_finish(x, RUN_FAILED, "server_error",
			   "The server stopped while this run was in progress. Create a new run "
			   "to try again.");
	} else {
		run_start(x); /* queued starts; cancelling ends cancelled */
	}
	log_info("resumed run %s (was %s)", run_id, status_run_name(was));
	engine_settle(e, x);
}

int exec_resume_all(struct engine *e)
{
	const char *active[RUN_STATUS_COUNT];
	struct store_list l = { 0 };
	char **projects = NULL;
	size_t n = 0;
	int err;

	for (int s = 0; s < RUN_STATUS_COUNT; s++) {
		if (status_run_active(s))
			active[n++] = status_run_name(s);
	}
	err = store_runs_by_status(e->st, active, n, &l, &projects);
	for (size_t i = 0; !err && i < l.n; i++)
		resume_one(e, projects[i], l.items[i].id);
	for (size_t i = 0; projects && i < l.n; i++)
		free(projects[i]);
	free(projects);
	store_list_cleanup(&l);
	return err;
}
