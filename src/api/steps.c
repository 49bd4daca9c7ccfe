/* steps.c - listing and retrieving the steps of a run.
 *
 * Steps are written by the engine only; this file reads them, checking first that the run
 * belongs to the thread in the path, so a step is never reached through the wrong thread.
 * A file_search call's results are stored with their contents and the model's query; the
 * query is never shown, the contents only when include[] asks for them. */
#include "steps.h"

#include <stdlib.h>
#include <string.h>

#include "../base/id.h"
#include "../tools/tool.h"
#include "common.h"
#include "runs.h"

#define INCLUDE_MAX 8
#define INCLUDE_CONTENT "step_details.tool_calls[*].file_search.results[*].content"

int steps_check_include(struct http_req *req)
{
	const char *vals[INCLUDE_MAX];
	size_t n = http_query_all(req, "include[]", vals, INCLUDE_MAX);

	if (n > INCLUDE_MAX)
		return http_fail(req, ERR_INVALID, "include",
				 "Invalid 'include': expected at most %d values, but got %zu.",
				 INCLUDE_MAX, n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(vals[i], INCLUDE_CONTENT) != 0)
			return http_fail(req, ERR_INVALID, "include",
					 "Invalid value for 'include': '%.80s'. Supported values "
					 "are: '" INCLUDE_CONTENT "'.", vals[i]);
	}
	return 0;
}

bool steps_want_content(struct http_req *req)
{
	const char *vals[INCLUDE_MAX];
	size_t n = http_query_all(req, "include[]", vals, INCLUDE_MAX);

	return n > 0; /* checked: every value is INCLUDE_CONTENT */
}

/* A stored step's body as clients see it, with or without its file_search result
 * contents. Takes body; owned. */
static char *shown(char *body, bool with_content)
{
	jv *step = jv_parse(body, strlen(body), NULL, 0);
	char *out;

	if (!jv_get(jv_get(step, "step_details"), "tool_calls")) {
		jv_free(step);
		return body;
	}
	tool_step_redact(step, with_content);
	out = jv_dump(step);
	jv_free(step);
	free(body);
	return out;
}

static char *shown_bare(char *body)
{
	return shown(body, false);
}

static char *shown_full(char *body)
{
	return shown(body, true);
}

/* Checks that the run exists under the thread: 404 "No run found" otherwise. */
static int run_exists(struct http_req *req, const char *thread_id, const char *run_id)
{
	char *body = NULL;
	int err = store_get(api_ctx(req)->st, api_project(req), STORE_RUN, run_id, thread_id,
			    &body, NULL);

	free(body);
	return api_store_err(req, err, "run", run_id);
}

int steps_list(struct http_req *req)
{
	const char *thread_id = NULL;
	const char *run_id = NULL;
	int err = runs_path(req, &thread_id, &run_id);
	struct api_parent run = { STORE_RUN, run_id, "run" };

	if (!err)
		err = steps_check_include(req);
	/* Checked up front, not only for an empty page: the run must be the thread's. */
	if (!err)
		err = run_exists(req, thread_id, run_id);
	if (!err)
		err = api_list_rewritten(req, STORE_STEP, &run, ID_STEP, NULL,
					 steps_want_content(req) ? shown_full : shown_bare);
	if (!err)
		runs_poll_header(req);
	return err;
}

int steps_get(struct http_req *req)
{
	const char *thread_id;
	const char *run_id;
	const char *id;
	char *body = NULL;
	int err = runs_path(req, &thread_id, &run_id);

	if (!err)
		err = api_path_id(req, "step_id", ID_STEP, "run step", &id);
	if (!err)
		err = steps_check_include(req);
	if (!err)
		err = run_exists(req, thread_id, run_id);
	if (err)
		return err;
	err = store_get(api_ctx(req)->st, api_project(req), STORE_STEP, id, run_id, &body, NULL);
	if (err)
		return api_store_err(req, err, "run step", id);
	return runs_reply(req, shown(body, steps_want_content(req)));
}
