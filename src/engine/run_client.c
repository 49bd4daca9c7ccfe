/* run_client.c - what clients ask of a run, carried out on the engine thread: cancel it
 * (also when its thread or assistant is deleted), hand it tool outputs, and (the engine's
 * timer asking) expire it.
 *
 * Each check here is what the hosted service refuses with a 400: cancelling a finished run,
 * outputs for a run that is not waiting for them, an output for an unknown or repeated tool
 * call, or a pending call left without one. */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "events.h"

int run_cancel(struct exec *x, char **why)
{
	if (status_run_terminal(x->status)) {
		*why = xasprintf("Cannot cancel run with status '%s'.",
				 status_run_name(x->status));
		return ERR_INVALID;
	}
	if (x->status == RUN_CANCELLING)
		return 0;
	if (!x->call) {
		run_finish(x, RUN_CANCELLED, NULL, NULL);
		return 0;
	}
	x->cancelling = true;
	x->end_as = RUN_CANCELLED;
	if (!run_move(x, RUN_CANCELLING))
		run_save(x, true);
	prov_cancel(x->call);
	return 0;
}

void run_stop_deleted(struct exec *x, enum store_kind kind)
{
	char *why = NULL;

	x->gone = x->gone || kind == STORE_THREAD;
	if (run_cancel(x, &why) == 0)
		log_info("run %s stopped: its %s was deleted", jv_get_str(x->run, "id"),
			 kind == STORE_THREAD ? "thread" : "assistant");
	free(why);
}

/* A function call: the client gives its output (a server tool's call has its result). */
static bool is_function(const jv *call)
{
	const char *type = jv_get_str(call, "type");

	return type && strcmp(type, "function") == 0;
}

/* Index of the pending function call with this id in the step, or -1. */
static int pending_index(const jv *calls, const char *id)
{
	for (size_t i = 0; i < jv_size(calls); i++) {
		if (is_function(jv_at(calls, i)) &&
		    strcmp(jv_get_str(jv_at(calls, i), "id"), id) == 0)
			return (int)i;
	}
	return -1;
}

static int check_outputs(const jv *calls, const jv *outputs, char **why, const char **param)
{
	bool seen[128] = { false };

	for (size_t i = 0; i < jv_size(outputs); i++) {
		const char *id = jv_get_str(jv_at(outputs, i), "tool_call_id");
		int at = id ? pending_index(calls, id) : -1;

		*param = "tool_outputs";
		if (!id) {
			*why = xasprintf("Missing 'tool_call_id' in tool_outputs[%zu].", i);
			return ERR_INVALID;
		}
		if (at < 0 || at >= 128 || seen[at]) {
			*why = xasprintf(at < 0 ? "No tool output is expected for tool call '%s'."
						: "Tool call '%s' has more than one output.", id);
			return ERR_INVALID;
		}
		seen[at] = true;
	}
	for (size_t i = 0; i < jv_size(calls); i++) {
		if (!seen[i] && is_function(jv_at(calls, i))) {
			*param = "tool_outputs";
			*why = xasprintf("Missing tool output for tool call '%s'. Submit every "
					 "output in one request.", jv_get_str(jv_at(calls, i), "id"));
			return ERR_INVALID;
		}
	}
	return 0;
}

static void fill_outputs(jv *calls, const jv *outputs)
{
	for (size_t i = 0; i < jv_size(outputs); i++) {
		const jv *o = jv_at(outputs, i);
		const char *out = jv_get_str(o, "output");
		int at = pending_index(calls, jv_get_str(o, "tool_call_id"));

		jv_set_str(jv_get(jv_at(calls, (size_t)at), "function"), "output", out ? out : "");
	}
}

int run_take_tool_outputs(struct exec *x, const jv *outputs, char **why, const char **param)
{
	jv *calls = jv_get(jv_get(x->tool_step, "step_details"), "tool_calls");
	int err;

	if (x->status != RUN_REQUIRES_ACTION || !x->tool_step) {
		*why = xasprintf("Runs in status '%s' do not accept tool outputs.",
				 status_run_name(x->status));
		*param = NULL;
		return ERR_INVALID;
	}
	err = check_outputs(calls, outputs, why, param);
	if (err)
		return err;
	fill_outputs(calls, outputs);
	x->ch = events_new();
	close_step(x, x->tool_step, &x->tool_step_version, STEP_COMPLETED, NULL, NULL, true);
	jv_free(x->tool_step);
	x->tool_step = NULL;
	jv_set_null(x->run, "required_action");
	jv_set_int(x->run, "expires_at", clock_unix() + x->e->run_expiry_s);
	err = run_move(x, RUN_QUEUED);
	engine_expire_at(x, clock_ms() + (int64_t)x->e->run_expiry_s * 1000);
	return err ? err : run_save(x, true);
}

/* Called by the engine's timer: the run's expires_at has passed. */
void run_expire(struct exec *x)
{
	if (x->call) {
		x->cancelling = true;
		x->end_as = RUN_EXPIRED;
		prov_cancel(x->call);
		return;
	}
	run_finish(x, RUN_EXPIRED, NULL, NULL);
}
