/* runs.c - create (on a thread, or with a new thread), list, modify, cancel a run, and
 * hand it tool outputs (the submit_tool_outputs endpoint).
 *
 * A new run is written to the store as "queued" in the same batch as what it needs (the
 * thread's idleness, additional messages, or the new thread), then handed to the engine,
 * which drives it from there; this file never changes a run's status itself. Cancel and
 * tool outputs are the engine's to decide; they are only parsed and reported here.
 * Retrieval is in runs_poll.c, the SSE replies in runs_stream.c. */
#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/id.h"
#include "../base/clock.h"
#include "../engine/engine.h"
#include "../base/log.h"
#include "attach.h"
#include "common.h"
#include "messages.h"
#include "resources.h"
#include "runs_build.h"
#include "runs_stream.h"
#include "schemas.h"
#include "steps.h"
#include "threads.h"

/* --- Shared with steps.c and runs_poll.c --- */

int runs_path(struct http_req *req, const char **thread_id, const char **run_id)
{
	int err = api_path_id(req, "thread_id", ID_THREAD, "thread", thread_id);

	if (!err)
		err = api_path_id(req, "run_id", ID_RUN, "run", run_id);
	return err;
}

void runs_poll_header(struct http_req *req)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", api_ctx(req)->poll_after_ms);
	http_header_add(req, "openai-poll-after-ms", v);
}

int runs_reply(struct http_req *req, char *body)
{
	runs_poll_header(req);
	return api_reply_body(req, body);
}

/* The engine, or 503 when the server runs without one. */
static int engine_of(struct http_req *req, struct engine **eng)
{
	*eng = api_ctx(req)->eng;
	if (!*eng)
		return http_fail(req, ERR_UNAVAILABLE, NULL,
				 "The run engine is not running, so runs can't be started.");
	return 0;
}

/* Writes a create's batch; a busy thread is the client's error, and one a retry will not
 * fix. */
static int write_batch(struct http_req *req, struct batch *b, const char *thread_id)
{
	int err = batch_write(req, b);

	if (err == ERR_CONFLICT) {
		http_header_add(req, "x-should-retry", "false");
		return http_fail(req, ERR_INVALID, NULL, "Thread %s already has an active run.",
				 thread_id);
	}
	return api_store_err(req, err, "thread", thread_id);
}

/* --- Create --- */

/* Replies to a create with the run's events channel ch (taken), or with the run. */
static int reply_started(struct http_req *req, struct events *ch, const char *run_text,
			 bool stream)
{
	if (stream)
		return runs_reply_stream(req, ch);
	events_decline(ch);
	events_unref(ch);
	return runs_reply(req, xstrdup(run_text));
}

/* Hands the stored run to the engine and replies: the run, or its event stream. */
static int start_and_reply(struct http_req *req, struct engine *eng, const char *run_text,
			   const char *thread_text, bool stream)
{
	struct events *ch = engine_start_run(eng, api_project(req), run_text, thread_text,
					     steps_want_content(req), api_key_hash(req));

	return reply_started(req, ch, run_text, stream);
}

/* Hands the stored run to node owner, which holds its thread's code_interpreter session,
 * and replies: the run, or its event stream read from the run event log. */
static int hand_and_reply(struct http_req *req, struct engine *eng, const char *run_text,
			  const char *thread_text, const char *owner, bool stream)
{
	struct events *ch = engine_hand_run(eng, api_project(req), run_text, thread_text, owner);

	return reply_started(req, ch, run_text, stream);
}

/* The end of both creates: adds the run to the batch (taking ownership of run), writes it
 * all at once, puts the files that the added messages attach for file_search in the
 * thread's vector store, then hands the run to the engine and replies. thread_text is the
 * new thread of create-thread-and-run (its attachments are in already), else NULL. */
static int write_and_start(struct http_req *req, struct engine *eng, struct batch *b,
			   jv *run, const char *thread_text, const jv *added, bool stream)
{
	const char *thread_id = jv_get_str(run, "thread_id");
	const char *text = batch_put(b, STORE_RUN, run);
	const char *owner;
	int64_t until;
	int err;

	char *other = engine_session_node(eng, api_project(req), run);

	engine_lease(eng, &owner, &until); /* the run is born this node's to drive, */
	batch_lease(b, jv_get_str(run, "id"), other ? other : owner, until); /* or the session's */
	batch_origin(b, jv_get_str(run, "id"), api_key_hash(req), /* for a node that resumes it */
		     steps_want_content(req) ? STORE_INCLUDE_CONTENT : 0);
	err = write_batch(req, b, thread_id);

	/* The run is stored: it starts even if the store write fails (logged), never left
	 * queued with nobody to start it. */
	if (!err && attach_thread(req, thread_id, added))
		log_warn("run %s: the attachments of its messages could not be added to the "
			 "thread's vector store", jv_get_str(run, "id"));

	if (!err && other)
		err = hand_and_reply(req, eng, text, thread_text, other, stream);
	else if (!err)
		err = start_and_reply(req, eng, text, thread_text, stream);
	free(other);
	return err;
}

/* Checks the request and loads what the run is built from: the body, its assistant. */
static int create_input(struct http_req *req, const struct sc_schema *s, jv **in, jv **asst)
{
	int err = steps_check_include(req);

	if (!err)
		err = api_parse(req, s, false, in);
	if (!err)
		err = message_check_each(req, jv_get(*in, "additional_messages"),
					 "additional_messages");
	if (!err)
		err = res_check_tool_resources(req, *in, "tool_resources");
	if (!err)
		err = run_load_assistant(req, *in, asst);
	return err;
}

int runs_create(struct http_req *req)
{
	const char *thread_id;
	struct engine *eng;
	struct batch b = { 0 };
	int64_t now = clock_unix();
	jv *in = NULL;
	jv *asst = NULL;
	jv *run = NULL;
	int err = api_path_id(req, "thread_id", ID_THREAD, "thread", &thread_id);

	if (!err)
		err = engine_of(req, &eng);
	if (!err)
		err = create_input(req, &sc_create_run, &in, &asst);
	if (!err)
		err = run_build(req, in, asst, thread_id, now, &run);
	if (err)
		goto out;
	batch_expect(&b, STORE_EXPECT_EXISTS, STORE_THREAD, thread_id);
	batch_expect(&b, STORE_EXPECT_IDLE, STORE_THREAD, thread_id);
	err = message_batch_add(req, &b, jv_get(in, "additional_messages"), thread_id, now);
	if (err)
		goto out;
	err = write_and_start(req, eng, &b, run, NULL, jv_get(in, "additional_messages"),
			      jv_true(jv_get(in, "stream")));
	run = NULL; /* the batch owns it */
out:
	batch_cleanup(&b);
	jv_free(run);
	jv_free(asst);
	jv_free(in);
	return err;
}

/* The CreateThreadRequest inside a create-thread-and-run: in's "thread", or empty when the
 * request has none (borrowed either way). */
static jv *thread_in(const jv *in, jv *empty)
{
	jv *t = jv_get(in, "thread");

	return jv_is_object(t) ? t : empty;
}

int runs_create_thread_and_run(struct http_req *req)
{
	struct batch b = { 0 };
	struct engine *eng;
	const char *thread_id;
	jv *empty = jv_object();
	jv *in = NULL;
	jv *asst = NULL;
	jv *run = NULL;
	int err = engine_of(req, &eng);

	if (!err)
		err = create_input(req, &sc_create_thread_and_run, &in, &asst);
	if (!err)
		err = thread_build(req, thread_in(in, empty), "thread", &b); /* op 0: the thread */
	if (err)
		goto out;
	thread_id = jv_get_str(b.objs[0], "id");
	err = run_build(req, in, asst, thread_id, clock_unix(), &run);
	if (err)
		goto out;
	err = write_and_start(req, eng, &b, run, b.texts[0], NULL,
			      jv_true(jv_get(in, "stream")));
	run = NULL; /* the batch owns it */
out:
	batch_cleanup(&b);
	jv_free(run);
	jv_free(asst);
	jv_free(in);
	jv_free(empty);
	return err;
}

/* --- List, modify --- */

int runs_list(struct http_req *req)
{
	const char *thread_id;
	int err = api_path_id(req, "thread_id", ID_THREAD, "thread", &thread_id);
	struct api_parent thread = { STORE_THREAD, thread_id, "thread" };

	if (err)
		return err;
	runs_poll_header(req);
	return api_list(req, STORE_RUN, &thread, ID_RUN, NULL);
}

int runs_modify(struct http_req *req)
{
	const char *thread_id;
	const char *run_id;
	jv *in = NULL;
	int err = runs_path(req, &thread_id, &run_id);

	if (!err)
		err = api_parse(req, &sc_modify_metadata, false, &in);
	/* The engine writes runs too; api_modify retries when it wrote first. */
	if (!err)
		err = api_modify(req, STORE_RUN, run_id, thread_id, "run", in, api_apply_metadata);
	if (!err)
		runs_poll_header(req);
	jv_free(in);
	return err;
}

/* --- Cancel, tool outputs: the engine decides --- */

/* Reports an engine refusal: ERR_INVALID with its message (why, taken) and param. */
static int engine_err(struct http_req *req, int err, char *why, const char *param,
		      const char *run_id)
{
	if (err == ERR_INVALID || why) /* why: ERR_UNAVAILABLE when another node is silent */
		err = http_fail(req, err, param, "%s", why ? why : "The run can't do that now.");
	else
		err = api_store_err(req, err, "run", run_id);
	free(why);
	return err;
}

/* The body is ignored: the spec sends none, and Python sends an empty one labelled JSON. */
int runs_cancel(struct http_req *req)
{
	const char *thread_id;
	const char *run_id;
	struct engine *eng;
	char *json = NULL;
	char *why = NULL;
	int err = runs_path(req, &thread_id, &run_id);

	if (!err)
		err = engine_of(req, &eng);
	if (err)
		return err;
	err = engine_cancel(eng, api_project(req), thread_id, run_id, &json, &why);
	if (err)
		return engine_err(req, err, why, NULL, run_id);
	free(why);
	return runs_reply(req, json);
}

/* What the schema can't say about tool_outputs and needs no run to check: each output names
 * its tool call, and no call gets two. Whether the calls are the run's is the engine's to say. */
static int check_outputs(struct http_req *req, const jv *outs)
{
	char param[64];

	for (size_t i = 0; i < jv_size(outs); i++) {
		const char *id = jv_get_str(jv_at(outs, i), "tool_call_id");

		snprintf(param, sizeof(param), "tool_outputs[%zu].tool_call_id", i);
		if (!id)
			return http_fail(req, ERR_INVALID, param,
					 "Missing required parameter: '%s'.", param);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(id, jv_get_str(jv_at(outs, j), "tool_call_id")) == 0)
				return http_fail(req, ERR_INVALID, param,
						 "Invalid '%s': tool call '%.80s' already has an "
						 "output, in tool_outputs[%zu].", param, id, j);
		}
	}
	return 0;
}

int runs_submit_tool_outputs(struct http_req *req)
{
	const char *thread_id;
	const char *run_id;
	const char *param = NULL;
	struct engine *eng;
	struct events *ch = NULL;
	char *json = NULL;
	char *why = NULL;
	jv *in = NULL;
	bool stream;
	int err = runs_path(req, &thread_id, &run_id);

	if (!err)
		err = engine_of(req, &eng);
	if (!err)
		err = api_parse(req, &sc_submit_tool_outputs, false, &in);
	if (!err)
		err = check_outputs(req, jv_get(in, "tool_outputs"));
	if (err)
		goto out;
	stream = jv_true(jv_get(in, "stream"));
	err = engine_take_tool_outputs(eng, api_project(req), thread_id, run_id,
				       jv_get(in, "tool_outputs"), &json, stream ? &ch : NULL, &why,
				       &param);
	if (err) {
		err = engine_err(req, err, why, param, run_id);
		goto out;
	}
	free(why);
	if (stream) {
		free(json);
		err = runs_reply_stream(req, ch);
	} else {
		err = runs_reply(req, json);
	}
out:
	jv_free(in);
	return err;
}
