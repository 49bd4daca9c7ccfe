/* objects.c - the run, step and message objects the engine writes, how it saves them, and
 * how their statuses move.
 *
 * The engine is the main writer of runs, steps and the assistant's messages, but not the
 * only one: a client may change their metadata meanwhile, delete the reply being written,
 * or delete the whole thread. Saves therefore carry the store version; on a conflict the
 * stored metadata is taken over and the save retried. The objects' shapes are the store's
 * (store/obj.h); statuses move only as base/status.h allows. Every save carries the run's
 * lease, so a node that lost the run to another stops writing it (lease.c). */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "../store/obj.h"
#include "events.h"
#include "evlog.h"

#define SAVE_TRIES 5

/* Reloads a stored object after a conflict: takes its metadata and version. */
static int take_metadata(struct exec *x, enum store_kind kind, jv *obj, int64_t *version)
{
	jv *stored = NULL;
	int err = obj_get(x->e->st, x->project, kind, jv_get_str(obj, "id"), NULL, &stored,
			  version);

	if (err)
		return err;
	if (jv_get(stored, "metadata"))
		jv_set(obj, "metadata", jv_copy(jv_get(stored, "metadata")));
	jv_free(stored);
	return 0;
}

/* Writes obj with expect (see store_op), fenced by the run's lease (lease.c): a node that
 * lost the run gets ERR_LEASE and changes nothing. The write that ends the run lets its
 * lease go. */
static int put_fenced(struct exec *x, enum store_kind kind, const jv *obj, int64_t expect)
{
	const char *run_id = jv_get_str(x->run, "id");
	char *text = jv_dump(obj);
	struct store_op ops[3] = {
		{ .type = STORE_EXPECT_LEASE, .obj = { .kind = STORE_RUN, .id = run_id },
		  .lease = x->e->owner },
		{ .type = STORE_PUT, .expect_version = expect },
		{ .type = STORE_SET_LEASE, .obj = { .kind = STORE_RUN, .id = run_id } },
	};
	bool release = kind == STORE_RUN && x->leased && status_run_terminal(x->status);
	size_t first = x->leased ? 0 : 1;
	int err;

	obj_columns(kind, obj, text, &ops[1].obj);
	err = store_write(x->e->st, x->project, ops + first, (release ? 3 : 2) - first);
	if (!err && release)
		lease_mark(x, false);
	free(text);
	return err;
}

/* Writes obj, retrying on a concurrent metadata change. */
static int put_merging(struct exec *x, enum store_kind kind, jv *obj, int64_t *version)
{
	int err = ERR_CONFLICT;

	for (int i = 0; i < SAVE_TRIES && err == ERR_CONFLICT; i++) {
		err = put_fenced(x, kind, obj, *version ? *version : -1);
		if (!err) {
			*version = *version ? *version + 1 : 1;
			return 0;
		}
		if (err == ERR_CONFLICT && *version)
			err = take_metadata(x, kind, obj, version) ? ERR_NOT_FOUND : ERR_CONFLICT;
	}
	return err;
}

int obj_save(struct exec *x, enum store_kind kind, jv *obj, int64_t *version)
{
	int err;

	if (x->gone || x->lost)
		return 0;
	err = put_merging(x, kind, obj, version);
	if (err == ERR_LEASE) {
		run_lose(x);
		return err;
	}
	if (err == ERR_NOT_FOUND && kind == STORE_MESSAGE && *version) {
		*version = 0; /* a client deleted the reply in the making: it is written anew */
		err = put_merging(x, kind, obj, version);
	}
	if (err == ERR_NOT_FOUND) {
		/* Only a deleted thread takes a run, or the parent of a new object, away. */
		log_info("run %s: its thread is gone; it ends unsaved", jv_get_str(x->run, "id"));
		x->gone = true;
		return 0;
	}
	if (err)
		log_error("engine: saving %s of run %s failed (%s)", jv_get_str(obj, "id"),
			  jv_get_str(x->run, "id"), err_name(err));
	return err;
}

int run_move(struct exec *x, enum run_status to)
{
	int err = status_run_move(&x->status, to, jv_get_str(x->run, "id"));

	if (!err)
		jv_set_str(x->run, "status", status_run_name(to));
	return err;
}

int step_move(jv *step, enum step_status to)
{
	enum step_status cur;
	const char *stamp = status_step_stamp(to);
	int err = status_step_parse(jv_get_str(step, "status"), &cur);

	if (!err)
		err = status_step_move(&cur, to, jv_get_str(step, "id"));
	if (err)
		return ERR_INTERNAL;
	jv_set_str(step, "status", status_step_name(to));
	if (stamp)
		jv_set_int(step, stamp, clock_unix());
	return 0;
}

void emit(struct exec *x, const char *name, const jv *obj)
{
	char *text;

	if (x->lost)
		return; /* the node that took the run over shows it now */
	if (jv_get(jv_get(obj, "step_details"), "tool_calls")) {
		jv *copy = jv_copy(obj);

		tool_step_redact(copy, x->step_content);
		text = jv_dump(copy);
		jv_free(copy);
	} else {
		text = jv_dump(obj);
	}
	evlog_add(x->e->log, x->project, jv_get_str(x->run, "id"), name, text);
	if (x->ch)
		events_append(x->ch, name, text);
	free(text);
}

void emit_delta(struct exec *x, const char *name, const jv *d, jv *holder, const char *key)
{
	char *head;
	char *span;
	char *tail;
	size_t len;

	if (x->lost)
		return;
	if (!jv_dump_split(d, holder, key, &head, &span, &tail)) {
		emit(x, name, d);
		return;
	}
	len = strlen(span);
	evlog_add_delta(x->e->log, x->project, jv_get_str(x->run, "id"), name, head, span, len,
			tail);
	if (x->ch)
		events_append_delta(x->ch, name, head, span, len, tail);
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
	snprintf(name, sizeof(name), "thread.run.%s", status_run_name(x->status));
	emit(x, name, x->run);
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

	new_id(ID_STEP, id);
	return obj_step_new(id, x->run, type, details, clock_unix());
}

jv *message_new_assistant(const struct exec *x)
{
	char id[ID_MAX + 1];

	new_id(ID_MESSAGE, id);
	return obj_message_new(id, jv_get_str(x->run, "thread_id"), "assistant",
			       jv_get_str(x->run, "assistant_id"), jv_get_str(x->run, "id"),
			       clock_unix());
}
