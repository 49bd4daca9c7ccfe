/* run.c - one run's state machine, on the engine thread.
 *
 *   queued -> in_progress -> (model turn) -> completed | incomplete | failed
 *                                   \-> requires_action -> (tool outputs) -> queued -> ...
 *   in_progress -> cancelling -> cancelled;  queued or requires_action -> cancelled;
 *   queued, in_progress or requires_action -> expired
 *
 * The legal moves are the table in base/status.c; every move goes through run_move and
 * step_move, which refuse any other.
 *
 * A model turn streams in through the provider callbacks: text opens a message_creation step
 * and its message, tool calls open a tool_calls step. Each object is saved to the store when
 * it is created and when it changes status, and announced on the run's event channel after
 * it is saved. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../limits/limits.h"
#include "events.h"

#define RUN_TEXT_MAX (4 * 1024 * 1024) /* the longest reply kept; the rest is dropped */

/* How a run's end closes what its turn left open: the status an open step ends with, and the
 * incomplete_details reason of an open message (NULL: the message completes). */
static const struct {
	enum step_status step;
	const char *msg_reason;
} run_end[RUN_STATUS_COUNT] = {
	[RUN_COMPLETED] = { STEP_COMPLETED, NULL },
	[RUN_INCOMPLETE] = { STEP_COMPLETED, "max_tokens" },
	[RUN_FAILED] = { STEP_FAILED, "run_failed" },
	[RUN_CANCELLED] = { STEP_CANCELLED, "run_cancelled" },
	[RUN_EXPIRED] = { STEP_EXPIRED, "run_expired" },
};

static void on_text(void *ctx, const char *delta, size_t len);
static void on_tool_call(void *ctx, int index, const char *id, const char *name,
			 const char *args_delta);
static void on_done(void *ctx, const struct prov_result *res);
static void turn_done(struct exec *x, const struct prov_result *res);

static const struct prov_callbacks callbacks = { on_text, on_tool_call, on_done };

void run_clear_calls(struct exec *x)
{
	for (size_t i = 0; i < x->ncalls; i++) {
		free(x->calls[i].id);
		free(x->calls[i].name);
		buf_cleanup(&x->calls[i].args);
		jv_free(x->calls[i].result);
	}
	free(x->calls);
	x->calls = NULL;
	x->ncalls = 0;
}

/* Hands the stream its end: the channel closes after what was appended. */
static void end_stream(struct exec *x)
{
	if (x->ch) {
		events_close(x->ch);
		events_unref(x->ch);
		x->ch = NULL;
	}
}

void exec_free(struct exec *x)
{
	end_stream(x);
	run_clear_calls(x);
	buf_cleanup(&x->text);
	cite_cleanup(&x->cite);
	jv_free(x->annots);
	jv_free(x->cites);
	jv_free(x->msg_images);
	jv_free(x->outfiles);
	jv_free(x->images);
	jv_free(x->run);
	jv_free(x->msg);
	jv_free(x->msg_step);
	jv_free(x->tool_step);
	free(x->project);
	free(x->key);
	free(x);
}

static int64_t usage_of(const jv *run, const char *key)
{
	return jv_int_value(jv_get(jv_get(run, "usage"), key));
}

/* --- the message of the current turn --- */

static void open_message(struct exec *x)
{
	jv *details = jv_object();
	jv *creation = jv_object();

	x->msg = message_new_assistant(x);
	jv_set_str(creation, "message_id", jv_get_str(x->msg, "id"));
	jv_set_str(details, "type", "message_creation");
	jv_set(details, "message_creation", creation);
	x->msg_step = step_new(x, "message_creation", details);
	x->msg_step_version = 0;
	x->msg_version = 0;
	buf_init(&x->text, RUN_TEXT_MAX);
	cite_init(&x->cite);
	x->annots = jv_array();
	if (obj_save(x, STORE_STEP, x->msg_step, &x->msg_step_version) ||
	    obj_save(x, STORE_MESSAGE, x->msg, &x->msg_version))
		return;
	emit(x, "thread.run.step.created", x->msg_step);
	emit(x, "thread.run.step.in_progress", x->msg_step);
	emit(x, "thread.message.created", x->msg);
	emit(x, "thread.message.in_progress", x->msg);
	x->text_index = files_show_images(x);
}

/* A thread.message.delta adding text; *holder is the object whose "value" holds it; annots
 * (taken, may be NULL) are the annotations it completes. */
static jv *text_delta(const struct exec *x, const char *delta, size_t len, bool first,
		      jv *annots, jv **holder)
{
	jv *d = jv_object();
	jv *inner = jv_object();
	jv *content = jv_array();
	jv *part = jv_object();
	jv *text = jv_object();

	jv_set(text, "value", jv_stringn(delta, len));
	*holder = text;
	if (first || annots)
		jv_set(text, "annotations", annots ? annots : jv_array());
	jv_set_int(part, "index", x->text_index);
	jv_set_str(part, "type", "text");
	jv_set(part, "text", text);
	jv_push(content, part);
	jv_set(inner, "content", content);
	jv_set_str(d, "id", jv_get_str(x->msg, "id"));
	jv_set_str(d, "object", "thread.message.delta");
	jv_set(d, "delta", inner);
	return d;
}

/* Adds reply text to the message (flush: what the citation scanner holds back) and
 * streams what can be shown. */
static void add_text(struct exec *x, const char *delta, size_t len, bool flush)
{
	bool first = x->text.len == 0;
	jv *annots = NULL;
	char *text = cite_take(x, delta, len, flush, &annots);
	size_t n = strlen(text);
	jv *holder;
	jv *d;

	if (n > 0 && buf_append(&x->text, text, n) == 0) {
		d = text_delta(x, text, n, first, annots, &holder);
		annots = NULL;
		emit_delta(x, "thread.message.delta", d, holder, "value");
		jv_free(d);
	}
	jv_free(annots);
	free(text);
}

static void on_text(void *ctx, const char *delta, size_t len)
{
	struct exec *x = ctx;

	if (x->cancelling || x->gone || x->lost || len == 0)
		return;
	if (!x->msg)
		open_message(x);
	add_text(x, delta, len, false);
}

static jv *text_content(const struct exec *x)
{
	jv *content = jv_array();
	jv *part = jv_object();
	jv *text = jv_object();

	files_parts(x, content);
	jv_set_str(text, "value", x->text.p ? x->text.p : "");
	jv_set(text, "annotations", x->annots ? jv_copy(x->annots) : jv_array());
	jv_set_str(part, "type", "text");
	jv_set(part, "text", text);
	jv_push(content, part);
	return content;
}

/* The text is complete: its links to files the run wrote become annotations. */
static void show_links(struct exec *x)
{
	jv *annots = files_link(x);
	jv *holder;
	jv *d;

	if (!annots)
		return;
	d = text_delta(x, "", 0, false, annots, &holder);
	emit(x, "thread.message.delta", d);
	jv_free(d);
}

/* Ends the open message: reason NULL completes it, else it is incomplete for reason. */
static void close_message(struct exec *x, const char *reason)
{
	jv *details;

	add_text(x, NULL, 0, true);
	show_links(x);
	jv_set(x->msg, "content", text_content(x));
	if (!reason) {
		set_status(x->msg, "completed", "completed_at");
	} else {
		details = jv_object();
		jv_set_str(details, "reason", reason);
		jv_set(x->msg, "incomplete_details", details);
		set_status(x->msg, "incomplete", "incomplete_at");
	}
	if (obj_save(x, STORE_MESSAGE, x->msg, &x->msg_version))
		return;
	emit(x, reason ? "thread.message.incomplete" : "thread.message.completed", x->msg);
}

void close_step(struct exec *x, jv *step, int64_t *version, enum step_status status,
		const char *code, const char *message, bool with_usage)
{
	char name[64];
	jv *err;

	if (step_move(step, status))
		return;
	if (code && status == STEP_FAILED) {
		err = jv_object();
		/* A step's last_error knows only these two codes. */
		jv_set_str(err, "code", strcmp(code, "rate_limit_exceeded") == 0 ?
						code : "server_error");
		jv_set_str(err, "message", message ? message : "the run failed");
		jv_set(step, "last_error", err);
	}
	jv_set(step, "usage", with_usage ? usage_new(x->turn_prompt_tokens,
						     x->turn_completion_tokens) :
					   usage_new(0, 0));
	if (obj_save(x, STORE_STEP, step, version))
		return;
	snprintf(name, sizeof(name), "thread.run.step.%s", status_step_name(status));
	emit(x, name, step);
}

static void close_message_step(struct exec *x, const char *reason,
			       enum step_status step_status, const char *code,
			       const char *message, bool with_usage)
{
	close_message(x, reason);
	close_step(x, x->msg_step, &x->msg_step_version, step_status, code, message, with_usage);
	jv_free(x->msg);
	jv_free(x->msg_step);
	x->msg = NULL;
	x->msg_step = NULL;
	buf_cleanup(&x->text);
	cite_cleanup(&x->cite);
	jv_free(x->annots);
	x->annots = NULL;
	jv_free(x->msg_images);
	x->msg_images = NULL;
	x->text_index = 0;
}

/* --- tool calls of the current turn --- */

static void open_tool_step(struct exec *x)
{
	jv *details = jv_object();

	jv_set_str(details, "type", "tool_calls");
	jv_set(details, "tool_calls", jv_array());
	x->tool_step = step_new(x, "tool_calls", details);
	x->tool_step_version = 0;
	if (obj_save(x, STORE_STEP, x->tool_step, &x->tool_step_version))
		return;
	emit(x, "thread.run.step.created", x->tool_step);
	emit(x, "thread.run.step.in_progress", x->tool_step);
}

static struct pending_call *call_at(struct exec *x, int index)
{
	size_t want = (size_t)index + 1;

	if (want > x->ncalls) {
		x->calls = xrealloc(x->calls, want * sizeof(*x->calls));
		for (size_t i = x->ncalls; i < want; i++) {
			memset(&x->calls[i], 0, sizeof(x->calls[i]));
			buf_init(&x->calls[i].args, RUN_TEXT_MAX);
		}
		x->ncalls = want;
	}
	return &x->calls[index];
}

jv *run_step_delta(const struct exec *x, jv *call)
{
	jv *d = jv_object();
	jv *inner = jv_object();
	jv *details = jv_object();
	jv *calls = jv_array();

	jv_push(calls, call);
	jv_set_str(details, "type", "tool_calls");
	jv_set(details, "tool_calls", calls);
	jv_set(inner, "step_details", details);
	jv_set_str(d, "id", jv_get_str(x->tool_step, "id"));
	jv_set_str(d, "object", "thread.run.step.delta");
	jv_set(d, "delta", inner);
	return d;
}

/* A thread.run.step.delta adding to a call's arguments; *holder is the object whose
 * "arguments" holds them. */
static jv *call_delta(const struct exec *x, int index, const char *id, const char *name,
		      const char *args, jv **holder)
{
	jv *call = jv_object();
	jv *fn = jv_object();

	jv_set_int(call, "index", index);
	if (id)
		jv_set_str(call, "id", id);
	jv_set_str(call, "type", "function");
	if (name)
		jv_set_str(fn, "name", name);
	jv_set_str(fn, "arguments", args);
	*holder = fn;
	if (id)
		jv_set_null(fn, "output");
	jv_set(call, "function", fn);
	return run_step_delta(x, call);
}

static void on_tool_call(void *ctx, int index, const char *id, const char *name,
			 const char *args_delta)
{
	struct exec *x = ctx;
	struct pending_call *c;
	jv *holder;
	jv *d;

	if (x->cancelling || x->gone || x->lost || index < 0 || index > 127)
		return;
	if (x->msg)
		close_message_step(x, NULL, STEP_COMPLETED, NULL, NULL, false);
	if (!x->tool_step)
		open_tool_step(x);
	c = call_at(x, index);
	if (id && !c->id)
		c->id = xstrdup(id);
	if (name && !c->name)
		c->name = xstrdup(name);
	tools_classify(x, c);
	if (buf_puts(&c->args, args_delta ? args_delta : ""))
		return;
	if (c->tool) {
		tools_call_progress(x, index, c);
		return;
	}
	d = call_delta(x, index, id, name, args_delta ? args_delta : "", &holder);
	emit_delta(x, "thread.run.step.delta", d, holder, "arguments");
	jv_free(d);
}

/* A server tool's call as the step shows it: its result, or the call so far. */
static jv *server_call(const struct pending_call *pc)
{
	jv *c;

	if (pc->result)
		return jv_copy(pc->result);
	c = jv_object();
	jv_set_str(c, "id", pc->id ? pc->id : "call_missing");
	jv_set_str(c, "type", tool_name(pc->tool));
	jv_set(c, tool_name(pc->tool), jv_object());
	return c;
}

jv *run_calls_json(const struct exec *x, bool with_output)
{
	jv *out = jv_array();

	for (size_t i = 0; i < x->ncalls; i++) {
		jv *c;
		jv *fn;

		if (x->calls[i].tool) {
			if (with_output) /* the step lists it; required_action does not */
				jv_push(out, server_call(&x->calls[i]));
			continue;
		}
		c = jv_object();
		fn = jv_object();

		jv_set_str(c, "id", x->calls[i].id ? x->calls[i].id : "call_missing");
		jv_set_str(c, "type", "function");
		jv_set_str(fn, "name", x->calls[i].name ? x->calls[i].name : "");
		jv_set_str(fn, "arguments", x->calls[i].args.p ? x->calls[i].args.p : "");
		if (with_output)
			jv_set_null(fn, "output");
		jv_set(c, "function", fn);
		jv_push(out, c);
	}
	return out;
}

static void set_usage(struct exec *x)
{
	jv_set(x->run, "usage", usage_new(usage_of(x->run, "prompt_tokens"),
					  usage_of(x->run, "completion_tokens")));
}

void run_require_action(struct exec *x)
{
	jv *ra = jv_object();
	jv *sto = jv_object();
	int64_t expiry = x->e->run_expiry_s;

	if (x->msg)
		close_message_step(x, NULL, STEP_COMPLETED, NULL, NULL, false);
	jv_set(jv_get(x->tool_step, "step_details"), "tool_calls", run_calls_json(x, true));
	if (obj_save(x, STORE_STEP, x->tool_step, &x->tool_step_version))
		return;
	jv_set(sto, "tool_calls", run_calls_json(x, false));
	jv_set_str(ra, "type", "submit_tool_outputs");
	jv_set(ra, "submit_tool_outputs", sto);
	jv_set(x->run, "required_action", ra);
	jv_set_int(x->run, "expires_at", clock_unix() + expiry);
	if (run_move(x, RUN_REQUIRES_ACTION))
		return;
	engine_expire_at(x, clock_ms() + expiry * 1000);
	run_clear_calls(x);
	if (run_save(x, true))
		return;
	end_stream(x);
}

/* --- starting turns and finishing --- */

static bool over_budget(struct exec *x)
{
	const jv *maxp = jv_get(x->run, "max_prompt_tokens");
	const jv *maxc = jv_get(x->run, "max_completion_tokens");

	if (jv_is_int(maxc) && usage_of(x->run, "completion_tokens") >= jv_int_value(maxc)) {
		run_finish(x, RUN_INCOMPLETE, "max_completion_tokens", NULL);
		return true;
	}
	if (jv_is_int(maxp) && usage_of(x->run, "prompt_tokens") >= jv_int_value(maxp)) {
		run_finish(x, RUN_INCOMPLETE, "max_prompt_tokens", NULL);
		return true;
	}
	return false;
}

/* The prompt of x's next turn is built (see prompt_start): start the model call. */
static void turn_ready(struct exec *x, const struct prov_request *rq, int err, const char *why)
{
	if (x->gone) {
		run_finish(x, RUN_CANCELLED, NULL, NULL); /* deleted while the prompt was built */
		return;
	}
	if (err == ERR_INVALID && why) {
		run_finish(x, RUN_FAILED, "server_error", why); /* a server tool said no */
		return;
	}
	if (err == ERR_LIMIT) {
		run_finish(x, RUN_INCOMPLETE, "max_prompt_tokens", NULL);
		return;
	}
	if (!err)
		err = prov_start(x->e->prov, rq, &callbacks, x, &x->call);
	if (err)
		run_finish(x, RUN_FAILED, "server_error",
			   err == ERR_DB ? "The server could not read the thread; try again."
					 : "The model request could not be made.");
}

/* A token budget of the run's key or project is spent: the run fails as hosted runs did
 * when the quota ran out. */
static bool over_quota(struct exec *x)
{
	char why[400];

	if (!limits_budget(x->e->lim, x->key, x->project, why, sizeof(why)))
		return false;
	run_finish(x, RUN_FAILED, "rate_limit_exceeded", why);
	return true;
}

void run_turn(struct exec *x)
{
	if (x->gone)
		run_finish(x, RUN_CANCELLED, NULL, NULL); /* its thread is deleted: no new turn */
	else if (!over_budget(x) && !over_quota(x))
		prompt_start(x, turn_ready);
}

void run_resume(struct exec *x)
{
	if (!x->expire_ms)
		engine_expire_at(x, clock_ms() + (jv_int_value(jv_get(x->run, "expires_at")) -
						  clock_unix()) * 1000);
	run_turn(x);
}

void run_lose(struct exec *x)
{
	log_warn("run %s: another node took it over; this node lets it go",
		 jv_get_str(x->run, "id"));
	x->lost = true;
	x->finished = true;
	lease_mark(x, false);
	engine_expire_at(x, 0);
	follow_handover(x); /* its stream goes on with the new owner's events */
}

void run_start(struct exec *x)
{
	if (x->status == RUN_CANCELLING) {
		run_finish(x, RUN_CANCELLED, NULL, NULL);
		return;
	}
	if (run_move(x, RUN_IN_PROGRESS)) {
		x->finished = true; /* not a run to start: leave it as the store has it */
		return;
	}
	if (jv_is_null(jv_get(x->run, "started_at")) || !jv_get(x->run, "started_at"))
		jv_set_int(x->run, "started_at", clock_unix());
	if (!x->expire_ms)
		engine_expire_at(x, clock_ms() + (jv_int_value(jv_get(x->run, "expires_at")) -
						  clock_unix()) * 1000);
	if (run_save(x, true))
		return;
	run_turn(x);
}

static void on_done(void *ctx, const struct prov_result *res)
{
	struct exec *x = ctx;

	x->call = NULL;
	if (engine_stopping(x->e))
		return; /* engine_stop cleans up; the store keeps the run for the next start */
	if (!x->finished)
		turn_done(x, res);
	if (x->finished)
		engine_drop(x->e, x);
}

static void turn_done(struct exec *x, const struct prov_result *res)
{
	x->turn_prompt_tokens = res->prompt_tokens;
	x->turn_completion_tokens = res->completion_tokens;
	limits_tokens(x->e->lim, x->key, x->project, res->prompt_tokens + res->completion_tokens);
	jv_set(x->run, "usage", usage_new(usage_of(x->run, "prompt_tokens") + res->prompt_tokens,
					  usage_of(x->run, "completion_tokens") +
						  res->completion_tokens));
	if (x->cancelling || x->gone || res->finish == PROV_CANCELLED)
		run_finish(x, x->end_as, NULL, NULL);
	else if (res->finish == PROV_FAILED)
		run_finish(x, RUN_FAILED, res->error_code, res->error_message);
	else if (res->finish == PROV_LENGTH)
		run_finish(x, RUN_INCOMPLETE, "max_completion_tokens", NULL);
	else if (x->ncalls == 0)
		run_finish(x, RUN_COMPLETED, NULL, NULL);
	else if (!tools_start(x)) /* else its server tools' jobs carry it on */
		run_require_action(x);
}

static void close_open_steps(struct exec *x, enum run_status status, const char *code,
			     const char *message)
{
	if (status == RUN_COMPLETED && !x->msg && !x->tool_step && !x->replied)
		open_message(x); /* a finished run always leaves its reply, even an empty one */
	if (x->msg)
		close_message_step(x, run_end[status].msg_reason, run_end[status].step, code,
				   message, true);
	if (x->tool_step) {
		close_step(x, x->tool_step, &x->tool_step_version, run_end[status].step, code,
			   message, true);
		jv_free(x->tool_step);
		x->tool_step = NULL;
	}
}

static void set_outcome(struct exec *x, enum run_status status, const char *code,
			const char *message)
{
	jv *v;

	if (status == RUN_FAILED) {
		v = jv_object();
		jv_set_str(v, "code", code ? code : "server_error");
		jv_set_str(v, "message", message ? message : "The run failed.");
		jv_set(x->run, "last_error", v);
	}
	if (status == RUN_INCOMPLETE) {
		v = jv_object();
		jv_set_str(v, "reason", code ? code : "max_completion_tokens");
		jv_set(x->run, "incomplete_details", v);
	}
}

void run_finish(struct exec *x, enum run_status status, const char *code, const char *message)
{
	const char *stamp = status_run_stamp(status);

	x->finished = true;
	engine_expire_at(x, 0);
	x->tools_running = 0; /* jobs still out are dropped when they are back */
	if (x->lost) {
		end_stream(x);
		return;
	}
	if (run_move(x, status)) {
		end_stream(x); /* a bug, logged: the store keeps the run as it was */
		return;
	}
	close_open_steps(x, status, code, message);
	set_outcome(x, status, code, message);
	jv_set_null(x->run, "required_action");
	if (status != RUN_EXPIRED)
		jv_set_null(x->run, "expires_at");
	if (stamp)
		jv_set_int(x->run, stamp, clock_unix());
	set_usage(x);
	run_save(x, true);
	end_stream(x);
	log_info("run %s %s%s%s", jv_get_str(x->run, "id"), status_run_name(status),
		 message ? ": " : "", message ? message : "");
}
