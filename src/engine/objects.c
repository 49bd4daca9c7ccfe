/* objects.c - the run, step and message objects the engine writes, and how it saves them.
 *
 * The engine is the main writer of runs, steps and the assistant's messages, but not the
 * only one: a client may change their metadata meanwhile. Saves therefore carry the store
 * version; on a conflict the stored metadata is taken over and the save retried. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "../store/obj.h"
#include "events.h"

#define SAVE_TRIES 5

/* Reloads a stored object after a conflict: takes its metadata and version. */
static int take_metadata(struct exec *x, enum store_kind kind, jv *obj, int64_t *version)
{
	char *body = NULL;
	char why[128];
	jv *stored;
	int err = store_get(x->e->st, x->project, kind, jv_get_str(obj, "id"), NULL, &body,
			    version);

	if (err)
		return err;
	stored = jv_parse(body, strlen(body), why, sizeof(why));
	free(body);
	if (!stored)
		return ERR_DB;
	if (jv_get(stored, "metadata"))
		jv_set(obj, "metadata", jv_copy(jv_get(stored, "metadata")));
	jv_free(stored);
	return 0;
}

int obj_save(struct exec *x, enum store_kind kind, jv *obj, int64_t *version)
{
	int err = ERR_CONFLICT;

	for (int i = 0; i < SAVE_TRIES && err == ERR_CONFLICT; i++) {
		err = obj_put(x->e->st, x->project, kind, obj, *version ? *version : -1, NULL);
		if (!err) {
			*version = *version ? *version + 1 : 1;
			return 0;
		}
		if (err == ERR_CONFLICT && *version)
			err = take_metadata(x, kind, obj, version) ? ERR_NOT_FOUND : ERR_CONFLICT;
	}
	if (err == ERR_NOT_FOUND)
		x->gone = true;
	else
		log_error("engine: saving %s of run %s failed (%s)", jv_get_str(obj, "id"),
			  jv_get_str(x->run, "id"), err_name(err));
	return err;
}

void emit(struct exec *x, const char *name, const jv *obj)
{
	char *text;

	if (!x->ch)
		return;
	text = jv_dump(obj);
	events_append(x->ch, name, text);
	free(text);
}

void emit_delta(struct exec *x, const char *name, const jv *d, jv *holder, const char *key)
{
	char *head;
	char *span;
	char *tail;

	if (!x->ch)
		return;
	if (!jv_dump_split(d, holder, key, &head, &span, &tail)) {
		emit(x, name, d);
		return;
	}
	events_append_delta(x->ch, name, head, span, strlen(span), tail);
	free(head);
	free(span);
	free(tail);
}

int run_save(struct exec *x, bool status_changed)
{
	char name[64];
	int err = obj_save(x, STORE_RUN, x->run, &x->version);

	if (err || !status_changed)
		return err;
	snprintf(name, sizeof(name), "thread.run.%s", jv_get_str(x->run, "status"));
	emit(x, name, x->run);
	engine_fire_watches(x->e, jv_get_str(x->run, "id"));
	return 0;
}

jv *usage_new(int64_t prompt, int64_t completion)
{
	jv *u = jv_object();

	jv_set_int(u, "prompt_tokens", prompt);
	jv_set_int(u, "completion_tokens", completion);
	jv_set_int(u, "total_tokens", prompt + completion);
	return u;
}

void set_status(jv *obj, const char *status, const char *stamp)
{
	jv_set_str(obj, "status", status);
	if (stamp)
		jv_set_int(obj, stamp, clock_unix());
}

static void new_id(const char *prefix, char *out)
{
	/* Randomness failing is a broken system, not a client error: keep going with a
	 * time-based id rather than lose the run. */
	if (id_new(prefix, out, ID_MAX + 1))
		snprintf(out, ID_MAX + 1, "%s%lld", prefix, (long long)clock_us());
}

jv *step_new(const struct exec *x, const char *type, jv *details)
{
	char id[ID_MAX + 1];
	jv *s = jv_object();

	new_id("step_", id);
	jv_set_str(s, "id", id);
	jv_set_str(s, "object", "thread.run.step");
	jv_set_int(s, "created_at", clock_unix());
	jv_set_str(s, "assistant_id", jv_get_str(x->run, "assistant_id"));
	jv_set_str(s, "thread_id", jv_get_str(x->run, "thread_id"));
	jv_set_str(s, "run_id", jv_get_str(x->run, "id"));
	jv_set_str(s, "type", type);
	jv_set_str(s, "status", "in_progress");
	jv_set(s, "step_details", details);
	jv_set_null(s, "last_error");
	jv_set_null(s, "expired_at");
	jv_set_null(s, "cancelled_at");
	jv_set_null(s, "failed_at");
	jv_set_null(s, "completed_at");
	jv_set(s, "metadata", jv_object());
	jv_set_null(s, "usage");
	return s;
}

jv *message_new_assistant(const struct exec *x)
{
	char id[ID_MAX + 1];
	jv *m = jv_object();

	new_id("msg_", id);
	jv_set_str(m, "id", id);
	jv_set_str(m, "object", "thread.message");
	jv_set_int(m, "created_at", clock_unix());
	jv_set_str(m, "assistant_id", jv_get_str(x->run, "assistant_id"));
	jv_set_str(m, "thread_id", jv_get_str(x->run, "thread_id"));
	jv_set_str(m, "run_id", jv_get_str(x->run, "id"));
	jv_set_str(m, "role", "assistant");
	jv_set(m, "content", jv_array());
	jv_set(m, "attachments", jv_array());
	jv_set(m, "metadata", jv_object());
	jv_set_str(m, "status", "in_progress");
	jv_set_null(m, "incomplete_details");
	jv_set_null(m, "completed_at");
	jv_set_null(m, "incomplete_at");
	return m;
}

bool has_status(const jv *obj, const char *status)
{
	const char *s = jv_get_str(obj, "status");

	return s && strcmp(s, status) == 0;
}

bool run_terminal(const jv *run)
{
	return has_status(run, "completed") || has_status(run, "failed") ||
	       has_status(run, "cancelled") || has_status(run, "expired") ||
	       has_status(run, "incomplete");
}
