/* attach.c - message attachments for file_search: their files go into the thread's vector
 * store, which the first such attachment creates.
 *
 * As on the hosted service, a message whose attachment names the file_search tool puts the
 * file in the thread's vector store: the first store in the thread's
 * tool_resources.file_search.vector_store_ids, or, when there is none, a new store (name "",
 * expires_after {anchor: last_active_at, days: 7}) recorded there. The files are ingested in
 * the background; a run that searches waits for them (see tools/file_search.c). */
#include "attach.h"

#include <stdlib.h>
#include <string.h>

#include "../base/id.h"
#include "../store/obj.h"
#include "common.h"
#include "vs.h"

#define ATTACH_EXPIRY_DAYS 7
#define ATTACH_PUT_TRIES 3

static bool for_search(const jv *att)
{
	const jv *tools = jv_get(att, "tools");

	for (size_t i = 0; i < jv_size(tools); i++) {
		const char *type = jv_get_str(jv_at(tools, i), "type");

		if (type && strcmp(type, "file_search") == 0)
			return true;
	}
	return false;
}

/* The file ids attached for file_search in the CreateMessageRequests msgs, each once
 * (owned array). */
static jv *search_files(const jv *msgs)
{
	jv *ids = jv_array();

	for (size_t i = 0; i < jv_size(msgs); i++) {
		const jv *atts = jv_get(jv_at(msgs, i), "attachments");

		for (size_t k = 0; k < jv_size(atts); k++) {
			const jv *id = jv_get(jv_at(atts, k), "file_id");
			bool seen = false;

			for (size_t s = 0; s < jv_size(ids) && !seen; s++)
				seen = jv_equal(jv_at(ids, s), id);
			if (jv_is_string(id) && !seen && for_search(jv_at(atts, k)))
				jv_push(ids, jv_copy(id));
		}
	}
	return ids;
}

/* The thread's vector store (its first file_search one), or NULL: borrowed from t. */
static const char *thread_store(const jv *t)
{
	const jv *fs = jv_get(jv_get(t, "tool_resources"), "file_search");

	return jv_str(jv_at(jv_get(fs, "vector_store_ids"), 0));
}

/* Adds files to store vs. */
static int add_to_store(struct http_req *req, const char *vs, const jv *files)
{
	struct vs_attach a;
	int err = vs_attach_prepare(req, vs, files, NULL, NULL, "attachments", &a);

	if (!err)
		err = vs_attach_commit(req, vs, NULL, NULL, &a);
	vs_attach_cleanup(&a);
	return err;
}

/* Creates the thread's store with files; its id goes to id (ID_MAX + 1). */
static int new_store(struct http_req *req, const jv *files, char *id)
{
	jv *in = jv_object();
	jv *exp = jv_object();
	int err;

	jv_set_str(exp, "anchor", "last_active_at");
	jv_set_int(exp, "days", ATTACH_EXPIRY_DAYS);
	jv_set(in, "expires_after", exp);
	jv_set(in, "file_ids", jv_copy(files));
	err = vs_create(req, in, "attachments", id, NULL);
	jv_free(in);
	return err;
}

/* Records store id as t's file_search store. */
static void set_store(jv *t, const char *id)
{
	jv *res = jv_get(t, "tool_resources");
	jv *fs = jv_object();
	jv *ids = jv_array();

	if (!jv_is_object(res)) {
		res = jv_object();
		jv_set(t, "tool_resources", res);
	}
	jv_push(ids, jv_string(id));
	jv_set(fs, "vector_store_ids", ids);
	jv_set(res, "file_search", fs);
}

int attach_thread_new(struct http_req *req, jv *t, const jv *msgs)
{
	char id[ID_MAX + 1];
	jv *files = search_files(msgs);
	const char *vs = thread_store(t);
	int err = 0;

	if (jv_size(files) > 0 && vs)
		err = add_to_store(req, vs, files);
	else if (jv_size(files) > 0)
		err = new_store(req, files, id);
	if (!err && jv_size(files) > 0 && !vs)
		set_store(t, id);
	jv_free(files);
	return err;
}

/* Writes store id into the stored thread, unless a modify gave it a store meanwhile. */
static int record_store(struct http_req *req, const char *thread_id, const char *id)
{
	struct store *st = api_ctx(req)->st;
	int err = ERR_CONFLICT;

	for (int i = 0; i < ATTACH_PUT_TRIES && err == ERR_CONFLICT; i++) {
		int64_t version = 0;
		jv *t = NULL;

		err = obj_get(st, api_project(req), STORE_THREAD, thread_id, NULL, &t, &version);
		if (!err && !thread_store(t)) {
			set_store(t, id);
			err = obj_put(st, api_project(req), STORE_THREAD, t, version, NULL);
		}
		jv_free(t);
	}
	return api_store_err(req, err, "thread", thread_id);
}

int attach_thread(struct http_req *req, const char *thread_id, const jv *msgs)
{
	char id[ID_MAX + 1];
	jv *files = search_files(msgs);
	jv *t = NULL;
	int err = 0;

	if (jv_size(files) > 0)
		err = obj_get(api_ctx(req)->st, api_project(req), STORE_THREAD, thread_id, NULL,
			      &t, NULL);
	if (err)
		err = api_store_err(req, err, "thread", thread_id);
	else if (jv_size(files) > 0 && thread_store(t))
		err = add_to_store(req, thread_store(t), files);
	else if (jv_size(files) > 0)
		err = new_store(req, files, id);
	if (!err && jv_size(files) > 0 && !thread_store(t))
		err = record_store(req, thread_id, id);
	jv_free(t);
	jv_free(files);
	return err;
}
