/* threads.c - create, retrieve, modify and delete threads.
 *
 * Creating a thread with initial messages writes the thread and every message in one store
 * batch: either all exist afterwards or none does. */
#include "threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../store/obj.h"
#include "common.h"
#include "messages.h"
#include "resources.h"
#include "schemas.h"

static jv *thread_object(const char *id, const jv *in, int64_t now)
{
	jv *t = jv_object();

	jv_set_str(t, "id", id);
	jv_set_str(t, "object", "thread");
	jv_set_int(t, "created_at", now);
	jv_set(t, "tool_resources", res_tool_resources(in));
	jv_set(t, "metadata", api_metadata(in));
	return t;
}

static int check_messages(struct http_req *req, const jv *msgs, const char *param)
{
	char path[128];
	int err = 0;

	for (size_t i = 0; !err && i < jv_size(msgs); i++) {
		snprintf(path, sizeof(path), "%s%smessages[%zu]", param, *param ? "." : "", i);
		err = message_check(req, jv_at(msgs, i), path);
	}
	return err;
}

static void add_put(struct thread_new *tn, size_t i, enum store_kind kind, jv *obj)
{
	tn->texts[i] = jv_dump(obj);
	tn->ops[i].type = STORE_PUT;
	tn->ops[i].expect_version = -1;
	obj_columns(kind, obj, tn->texts[i], &tn->ops[i].obj);
}

int thread_build(struct http_req *req, const jv *in, const char *param, struct thread_new *tn)
{
	const jv *msgs = jv_get(in, "messages");
	char prefix[128];
	char id[ID_MAX + 1];
	int64_t now = clock_unix();
	int err;

	memset(tn, 0, sizeof(*tn));
	snprintf(prefix, sizeof(prefix), "%s%stool_resources", param, *param ? "." : "");
	err = res_check_tool_resources(req, in, prefix);
	if (!err)
		err = check_messages(req, msgs, param);
	if (!err)
		err = api_new_id(req, THREAD_PREFIX, id);
	if (err)
		return err;
	tn->nmessages = jv_size(msgs);
	tn->messages = xcalloc(tn->nmessages, sizeof(jv *));
	tn->texts = xcalloc(tn->nmessages + 1, sizeof(char *));
	tn->ops = xcalloc(tn->nmessages + 1, sizeof(struct store_op));
	tn->thread = thread_object(id, in, now);
	add_put(tn, 0, STORE_THREAD, tn->thread);
	for (size_t i = 0; !err && i < tn->nmessages; i++) {
		err = api_new_id(req, MSG_PREFIX, id);
		if (err)
			break;
		tn->messages[i] = message_new(id, jv_get_str(tn->thread, "id"), jv_at(msgs, i), now);
		add_put(tn, i + 1, STORE_MESSAGE, tn->messages[i]);
	}
	return err;
}

void thread_new_cleanup(struct thread_new *tn)
{
	for (size_t i = 0; i < tn->nmessages; i++)
		jv_free(tn->messages[i]);
	for (size_t i = 0; tn->texts && i <= tn->nmessages; i++)
		free(tn->texts[i]);
	free(tn->messages);
	free(tn->texts);
	free(tn->ops);
	jv_free(tn->thread);
	memset(tn, 0, sizeof(*tn));
}

int threads_create(struct http_req *req)
{
	struct thread_new tn = { 0 };
	jv *in = NULL;
	int err = api_parse(req, &sc_create_thread, true, &in);

	if (!err)
		err = thread_build(req, in, "", &tn);
	if (!err)
		err = store_write(api_ctx(req)->st, api_project(req), tn.ops, tn.nmessages + 1);
	if (!err) {
		err = api_reply_body(req, tn.texts[0]); /* the reply owns the thread's text */
		tn.texts[0] = NULL;
	}
	thread_new_cleanup(&tn);
	jv_free(in);
	return err;
}

int threads_get(struct http_req *req)
{
	return api_get_top(req, STORE_THREAD, "thread_id", THREAD_PREFIX, "thread");
}

static int apply(struct http_req *req, jv *t, const jv *in)
{
	res_merge_tool_resources(t, in);
	return api_apply_metadata(req, t, in);
}

int threads_modify(struct http_req *req)
{
	const char *id;
	jv *in = NULL;
	int err = api_path_id(req, "thread_id", THREAD_PREFIX, "thread", &id);

	if (!err)
		err = api_parse(req, &sc_modify_thread, false, &in);
	if (!err)
		err = res_check_tool_resources(req, in, "tool_resources");
	if (!err)
		err = api_modify(req, STORE_THREAD, id, NULL, "thread", in, apply);
	jv_free(in);
	return err;
}

int threads_delete(struct http_req *req)
{
	return api_delete_top(req, STORE_THREAD, "thread_id", THREAD_PREFIX, "thread",
			      "thread.deleted");
}
