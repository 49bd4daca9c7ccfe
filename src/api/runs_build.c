/* runs_build.c - a create-run request plus its assistant, made into a queued Run object.
 *
 * Every member of the spec's RunObject is written, in the spec's order, with null where the
 * run has nothing yet. The run keeps its own copy of everything the engine needs (model,
 * instructions, tools, sampling settings), so later edits of the assistant do not change a
 * run in flight. reasoning_effort is kept too: the schema does not list it, but the engine
 * reads the run alone and the object allows extra members. */
#include "runs_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/id.h"
#include "../base/status.h"
#include "../store/obj.h"
#include "common.h"
#include "resources.h"

/* in's member key when given and not null, else the assistant's, else NULL (borrowed). */
static jv *pick(const jv *in, const jv *asst, const char *key)
{
	jv *v = jv_get(in, key);

	if (v && !jv_is_null(v))
		return v;
	v = jv_get(asst, key);
	return v && !jv_is_null(v) ? v : NULL;
}

static void set_picked(jv *run, const jv *in, const jv *asst, const char *key, jv *dflt)
{
	jv *v = pick(in, asst, key);

	jv_set(run, key, v ? jv_copy(v) : dflt);
	if (v)
		jv_free(dflt);
}

/* A nullable member taken from the request only: its value, else null. */
static void set_given(jv *run, const jv *in, const char *key, jv *dflt)
{
	jv *v = jv_get(in, key);

	jv_set(run, key, v && !jv_is_null(v) ? jv_copy(v) : dflt);
	if (v && !jv_is_null(v))
		jv_free(dflt);
}

/* The run's instructions, or the assistant's, or ""; then additional_instructions after a
 * blank line. */
static jv *instructions(const jv *in, const jv *asst)
{
	jv *base = pick(in, asst, "instructions");
	const char *b = jv_is_string(base) ? jv_str(base) : "";
	const char *extra = jv_get_str(in, "additional_instructions");
	size_t n;
	char *s;
	jv *v;

	if (!extra || !*extra)
		return jv_string(b);
	n = strlen(b) + strlen(extra) + 3;
	s = xmalloc(n);
	snprintf(s, n, "%s%s%s", b, *b ? "\n\n" : "", extra);
	v = jv_string(s);
	free(s);
	return v;
}

/* The run's tools when it names them (not null), else the assistant's. */
static jv *tools(const jv *in, const jv *asst)
{
	jv *t = jv_get(in, "tools");

	if (t && !jv_is_null(t))
		return res_tools(in);
	return res_tools(asst);
}

/* The truncation strategy with last_messages always present; "auto" when not given. */
static jv *truncation(const jv *in)
{
	jv *t = jv_get(in, "truncation_strategy");
	jv *out;

	if (jv_is_object(t)) {
		out = jv_copy(t);
		if (!jv_get(out, "last_messages"))
			jv_set_null(out, "last_messages");
		return out;
	}
	out = jv_object();
	jv_set_str(out, "type", "auto");
	jv_set_null(out, "last_messages");
	return out;
}

/* The lifecycle members a queued run has: all null but its expiry. */
static void set_lifecycle(jv *run, int64_t now, int expiry_s)
{
	jv_set_str(run, "status", status_run_name(RUN_QUEUED));
	jv_set_null(run, "required_action");
	jv_set_null(run, "last_error");
	jv_set_int(run, "expires_at", now + expiry_s);
	jv_set_null(run, "started_at");
	jv_set_null(run, "cancelled_at");
	jv_set_null(run, "failed_at");
	jv_set_null(run, "completed_at");
	jv_set_null(run, "incomplete_details");
}

static void set_settings(jv *run, const jv *in, const jv *asst)
{
	jv *parallel = jv_get(in, "parallel_tool_calls");

	set_picked(run, in, asst, "model", jv_string(""));
	jv_set(run, "instructions", instructions(in, asst));
	jv_set(run, "tools", tools(in, asst));
	jv_set(run, "metadata", api_metadata(in));
	jv_set_null(run, "usage");
	set_picked(run, in, asst, "temperature", jv_real(1.0));
	set_picked(run, in, asst, "top_p", jv_real(1.0));
	set_given(run, in, "max_prompt_tokens", jv_null());
	set_given(run, in, "max_completion_tokens", jv_null());
	jv_set(run, "truncation_strategy", truncation(in));
	set_given(run, in, "tool_choice", jv_string("auto"));
	jv_set_bool(run, "parallel_tool_calls", jv_is_bool(parallel) ? jv_true(parallel) : true);
	set_picked(run, in, asst, "response_format", jv_string("auto"));
	set_picked(run, in, asst, "reasoning_effort", jv_null());
}

/* True when tools has one of type (and, for functions, named fn). */
static bool has_tool(const jv *tools, const char *type, const char *fn)
{
	for (size_t i = 0; i < jv_size(tools); i++) {
		const jv *t = jv_at(tools, i);
		const char *name = jv_get_str(jv_get(t, "function"), "name");

		if (strcmp(jv_get_str(t, "type"), type) != 0)
			continue;
		if (!fn || (name && strcmp(name, fn) == 0))
			return true;
	}
	return false;
}

/* A named tool_choice must name a tool the run has. */
static int check_choice(struct http_req *req, const jv *run)
{
	const jv *c = jv_get(run, "tool_choice");
	const char *type = jv_get_str(c, "type");
	const char *fn = jv_get_str(jv_get(c, "function"), "name");
	bool is_fn = type && strcmp(type, "function") == 0;

	if (!type)
		return 0;
	if (is_fn && !fn)
		return http_fail(req, ERR_INVALID, "tool_choice.function",
				 "Missing required parameter: 'tool_choice.function'. A tool_choice of "
				 "type 'function' must name the function.");
	if (has_tool(jv_get(run, "tools"), type, is_fn ? fn : NULL))
		return 0;
	if (is_fn)
		return http_fail(req, ERR_INVALID, "tool_choice",
				 "Invalid 'tool_choice': the function '%s' is not one of the run's "
				 "tools.", fn);
	return http_fail(req, ERR_INVALID, "tool_choice",
			 "Invalid 'tool_choice': the run has no '%s' tool.", type);
}

int run_build(struct http_req *req, const jv *in, const jv *asst, const char *thread_id,
	      int64_t now, jv **out)
{
	char id[ID_MAX + 1];
	jv *run;
	int err = api_new_id(req, ID_RUN, id);

	*out = NULL;
	if (err)
		return err;
	run = jv_object();
	jv_set_str(run, "id", id);
	jv_set_str(run, "object", "thread.run");
	jv_set_int(run, "created_at", now);
	jv_set_str(run, "thread_id", thread_id);
	jv_set_str(run, "assistant_id", jv_get_str(asst, "id"));
	set_lifecycle(run, now, api_ctx(req)->run_expiry_s);
	set_settings(run, in, asst);
	err = check_choice(req, run);
	if (err) {
		jv_free(run);
		return err;
	}
	*out = run;
	return 0;
}

int run_load_assistant(struct http_req *req, const jv *in, jv **asst)
{
	const char *id = jv_get_str(in, "assistant_id");
	int err = ERR_NOT_FOUND;

	*asst = NULL;
	if (id && id_valid(id, ID_ASSISTANT))
		err = obj_get(api_ctx(req)->st, api_project(req), STORE_ASSISTANT, id, NULL, asst,
			      NULL);
	if (err == ERR_NOT_FOUND)
		return http_fail(req, err, "assistant_id", "No assistant found with id '%.80s'.",
				 id ? id : "");
	return err;
}
