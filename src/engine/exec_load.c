/* exec_load.c - a run's exec: built from a run just created (exec_new), or from the store
 * for a request about a run this engine is not holding, and for every run this node takes
 * over (lease.c: at start-up, those its former process left unfinished, and any whose
 * lease lapsed).
 *
 * A stored run that is not finished may have steps still marked in_progress. A run waiting
 * for tool outputs has its tool_calls step open: it is taken into the exec, so that the
 * outputs or the run's end close it. A moving run (queued, in_progress, cancelling) has open
 * steps only when the node driving it died mid-turn: that turn is **replaced**. Its open
 * steps and the message it was writing are deleted and the turn runs again from the last
 * completed step, so the thread ends with one whole reply, never a cut one followed by a
 * repeat. Steps and messages that completed stay as they are. */
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

static bool step_open(const jv *s)
{
	enum step_status status;

	return !status_step_parse(jv_get_str(s, "status"), &status) &&
	       status == STEP_IN_PROGRESS;
}

/* One stored step, as load_open_steps finds it (oldest first). */
static int load_step(struct exec *x, const char *id, const jv *s)
{
	bool open = step_open(s);

	if (open && x->status != RUN_REQUIRES_ACTION)
		return x->leased ? discard_step(x, s) : 0;
	if (strcmp(jv_get_str(s, "type"), "tool_calls") == 0)
		tools_remember(x, s, false); /* its citable calls and files */
	return open ? adopt_step(x, id) : 0;
}

/* Loads the run's steps (see the top of the file). */
static int load_open_steps(struct exec *x)
{
	struct store_page pg = { .limit = 100, .desc = true };
	struct store_list l = { 0 };
	char why[128];
	int err = store_list(x->e->st, x->project, STORE_STEP, jv_get_str(x->run, "id"), &pg, &l);

	for (size_t i = l.n; !err && i > 0; i--) { /* oldest first, for the citable calls */
		jv *s = jv_parse(l.items[i - 1].body, strlen(l.items[i - 1].body), why,
				 sizeof(why));

		if (s)
			err = load_step(x, l.items[i - 1].id, s);
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
	if (!status_run_terminal((*out)->status))
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
		run_resume(x);
		break;
	default:
		run_start(x); /* queued starts; cancelling ends cancelled */
		break;
	}
}
