/* threads.c - create, retrieve, modify and delete threads.
 *
 * Creating a thread with initial messages writes the thread and every message in one store
 * batch: either all exist afterwards or none does. Files attached for file_search go into
 * the thread's vector store first (attach.c). */
#include "threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "attach.h"
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

int thread_build(struct http_req *req, jv *in, const char *param, struct batch *b)
{
	const jv *msgs = jv_get(in, "messages");
	const char *dot = *param ? "." : "";
	char resources_path[128];
	char messages_path[128];
	char id[ID_MAX + 1];
	int64_t now = clock_unix();
	jv *t = NULL;
	int err;

	snprintf(resources_path, sizeof(resources_path), "%s%stool_resources", param, dot);
	snprintf(messages_path, sizeof(messages_path), "%s%smessages", param, dot);
	err = message_check_each(req, msgs, messages_path);
	if (!err)
		err = res_check_tool_resources(req, in, resources_path);
	if (!err)
		err = api_new_id(req, ID_THREAD, id);
	if (!err)
		t = thread_object(id, in, now);
	if (!err)
		err = attach_thread_new(req, t, msgs);
	if (err) {
		jv_free(t);
		return err;
	}
	batch_put(b, STORE_THREAD, t);
	return message_batch_add(req, b, msgs, id, now);
}

int threads_create(struct http_req *req)
{
	struct batch b;
	jv *in = NULL;
	int err = api_parse(req, &sc_create_thread, true, &in);

	batch_init(&b);
	if (!err)
		err = thread_build(req, in, "", &b);
	if (!err)
		err = batch_write(req, &b);
	if (!err)
		err = api_reply_body(req, batch_take_text(&b, 0));
	batch_cleanup(&b);
	jv_free(in);
	return err;
}

/* The query's one metadata[KEY]=VALUE filter, if any, into pg. */
struct meta_filter {
	struct http_req *req;
	struct store_page *pg;
	int count;
};

static int meta_key(void *ctx, const char *key)
{
	struct meta_filter *m = ctx;
	size_t len = strlen(key);

	if (strncmp(key, "metadata[", 9) != 0 || len < 11 || key[len - 1] != ']')
		return 0;
	if (++m->count > 1)
		return http_fail(m->req, ERR_INVALID, "metadata",
				 "Filter by one metadata key at a time: metadata[KEY]=VALUE.");
	m->pg->meta_key = http_keep(m->req, xstrndup(key + 9, len - 10));
	m->pg->meta_value = http_query(m->req, key);
	return 0;
}

int threads_list(struct http_req *req)
{
	struct store_page pg;
	struct meta_filter m = { req, &pg, 0 };
	int err = api_page(req, ID_THREAD, &pg);

	if (!err)
		err = http_query_each(req, meta_key, &m);
	if (!err)
		err = api_list_page(req, STORE_THREAD, NULL, &pg, NULL);
	return err;
}

int threads_get(struct http_req *req)
{
	return api_get_top(req, STORE_THREAD, "thread_id", ID_THREAD, "thread");
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
	int err = api_path_id(req, "thread_id", ID_THREAD, "thread", &id);

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
	return api_delete_top(req, STORE_THREAD, "thread_id", ID_THREAD, "thread",
			      "thread.deleted");
}
