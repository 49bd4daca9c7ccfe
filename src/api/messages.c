/* messages.c - messages of a thread: create, retrieve, modify, delete, list.
 *
 * A message's content arrives as a string or as parts and is stored in the response shape:
 * text parts become {type:"text", text:{value, annotations:[]}}, image parts get their
 * default detail. A thread with an active run takes no new messages. */
#include "messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/id.h"
#include "../store/obj.h"
#include "attach.h"
#include "common.h"
#include "files.h"
#include "schemas.h"

static bool image_url_ok(const char *url)
{
	return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0 ||
	       strncmp(url, "data:image/", 11) == 0;
}

/* Checks the content part at path: an image URL's scheme, an image file's existence. */
static int part_check(struct http_req *req, const jv *part, const char *path)
{
	const char *url = jv_get_str(jv_get(part, "image_url"), "url");
	const char *file_id = jv_get_str(jv_get(part, "image_file"), "file_id");
	char sub[192];

	if (url && !image_url_ok(url)) {
		snprintf(sub, sizeof(sub), "%s.image_url.url", path);
		return http_fail(req, ERR_INVALID, sub,
				 "Invalid '%s': expected an http(s) URL or a data:image/ URL of a "
				 "jpeg, png, gif or webp image.", sub);
	}
	if (!file_id)
		return 0;
	snprintf(sub, sizeof(sub), "%s.image_file.file_id", path);
	return files_check_ref(req, file_id, sub);
}

/* Calls check on every item of the array member key of in, at "<param>.<key>[i]". */
static int check_items(struct http_req *req, const jv *in, const char *key, const char *param,
		       int (*check)(struct http_req *, const jv *, const char *))
{
	const jv *arr = jv_get(in, key);
	char path[160];
	int err = 0;

	for (size_t i = 0; !err && jv_is_array(arr) && i < jv_size(arr); i++) {
		snprintf(path, sizeof(path), "%s%s%s[%zu]", param, *param ? "." : "", key, i);
		err = check(req, jv_at(arr, i), path);
	}
	return err;
}

static int attachment_check(struct http_req *req, const jv *att, const char *path)
{
	char sub[192];

	snprintf(sub, sizeof(sub), "%s.file_id", path);
	return files_check_ref(req, jv_get_str(att, "file_id"), sub);
}

int message_check(struct http_req *req, const jv *in, const char *param)
{
	int err = check_items(req, in, "content", param, part_check);

	if (!err)
		err = check_items(req, in, "attachments", param, attachment_check);
	return err;
}

int message_check_each(struct http_req *req, const jv *msgs, const char *param)
{
	char path[160];
	int err = 0;

	for (size_t i = 0; !err && i < jv_size(msgs); i++) {
		snprintf(path, sizeof(path), "%s[%zu]", param, i);
		err = message_check(req, jv_at(msgs, i), path);
	}
	return err;
}

static jv *text_part(const char *value)
{
	jv *part = jv_object();
	jv *text = jv_object();

	jv_set_str(text, "value", value);
	jv_set(text, "annotations", jv_array());
	jv_set_str(part, "type", "text");
	jv_set(part, "text", text);
	return part;
}

/* An image part with its "detail" defaulted to "auto". */
static jv *image_part(const jv *in, const char *type)
{
	jv *part = jv_copy(in);
	jv *inner = jv_get(part, type);

	if (!jv_get(inner, "detail"))
		jv_set_str(inner, "detail", "auto");
	return part;
}

static jv *content_out(const jv *content)
{
	jv *out = jv_array();

	if (jv_is_string(content)) {
		jv_push(out, text_part(jv_str(content)));
		return out;
	}
	for (size_t i = 0; i < jv_size(content); i++) {
		const jv *part = jv_at(content, i);
		const char *type = jv_get_str(part, "type");

		if (strcmp(type, "text") == 0)
			jv_push(out, text_part(jv_get_str(part, "text")));
		else
			jv_push(out, image_part(part, type));
	}
	return out;
}

jv *message_new(const char *id, const char *thread_id, const jv *in, int64_t created_at)
{
	jv *m = obj_message_new(id, thread_id, jv_get_str(in, "role"), NULL, NULL, created_at);
	jv *attachments = jv_get(in, "attachments");

	jv_set(m, "content", content_out(jv_get(in, "content")));
	jv_set(m, "attachments", jv_is_array(attachments) ? jv_copy(attachments) : jv_array());
	jv_set(m, "metadata", api_metadata(in));
	jv_set_str(m, "status", "completed");
	jv_set_int(m, "completed_at", created_at);
	return m;
}

static int thread_busy(struct http_req *req, const char *thread_id)
{
	http_header_add(req, "x-should-retry", "false");
	return http_fail(req, ERR_INVALID, NULL,
			 "Can't add messages to %s while a run is active on it. Wait for the run "
			 "to finish, or cancel it.", thread_id);
}

int message_batch_add(struct http_req *req, struct batch *b, const jv *msgs,
		      const char *thread_id, int64_t now)
{
	char id[ID_MAX + 1];
	int err = 0;

	for (size_t i = 0; !err && i < jv_size(msgs); i++) {
		err = api_new_id(req, ID_MESSAGE, id);
		if (!err)
			batch_put(b, STORE_MESSAGE, message_new(id, thread_id, jv_at(msgs, i), now));
	}
	return err;
}

int messages_create(struct http_req *req)
{
	const char *thread_id;
	struct batch b;
	jv *in = NULL;
	jv *one = jv_array();
	int err = api_path_id(req, "thread_id", ID_THREAD, "thread", &thread_id);

	batch_init(&b);
	if (!err)
		err = api_parse(req, &sc_create_message, false, &in);
	if (!err)
		err = message_check(req, in, "");
	if (err)
		goto out;
	jv_push(one, jv_ref(in));
	batch_expect(&b, STORE_EXPECT_EXISTS, STORE_THREAD, thread_id);
	batch_expect(&b, STORE_EXPECT_IDLE, STORE_THREAD, thread_id);
	err = message_batch_add(req, &b, one, thread_id, clock_unix());
	if (!err)
		err = batch_write(req, &b);
	if (err == ERR_CONFLICT)
		err = thread_busy(req, thread_id);
	else if (err)
		err = api_store_err(req, err, "thread", thread_id);
	if (!err)
		err = attach_thread(req, thread_id, one);
	if (!err)
		err = api_reply_body(req, batch_take_text(&b, 2));
out:
	batch_cleanup(&b);
	jv_free(one);
	jv_free(in);
	return err;
}

/* The thread and message ids of a /messages/{message_id} path (borrowed). */
static int path_ids(struct http_req *req, const char **thread_id, const char **id)
{
	int err = api_path_id(req, "thread_id", ID_THREAD, "thread", thread_id);

	if (!err)
		err = api_path_id(req, "message_id", ID_MESSAGE, "message", id);
	return err;
}

int messages_get(struct http_req *req)
{
	const char *thread_id;
	const char *id;
	char *body = NULL;
	int err = path_ids(req, &thread_id, &id);

	if (err)
		return err;
	err = store_get(api_ctx(req)->st, api_project(req), STORE_MESSAGE, id, thread_id, &body,
			NULL);
	if (err)
		return api_store_err(req, err, "message", id);
	return api_reply_body(req, body);
}

int messages_modify(struct http_req *req)
{
	const char *thread_id;
	const char *id;
	jv *in = NULL;
	int err = path_ids(req, &thread_id, &id);

	if (!err)
		err = api_parse(req, &sc_modify_metadata, false, &in);
	if (!err)
		err = api_modify(req, STORE_MESSAGE, id, thread_id, "message", in,
				 api_apply_metadata);
	jv_free(in);
	return err;
}

int messages_delete(struct http_req *req)
{
	const char *thread_id;
	const char *id;
	int err = path_ids(req, &thread_id, &id);

	if (err)
		return err;
	err = store_delete(api_ctx(req)->st, api_project(req), STORE_MESSAGE, id, thread_id);
	if (err)
		return api_store_err(req, err, "message", id);
	return api_reply_deleted(req, id, "thread.message.deleted");
}

int messages_list(struct http_req *req)
{
	const char *thread_id;
	const char *run_id = http_query(req, "run_id");
	int err = api_path_id(req, "thread_id", ID_THREAD, "thread", &thread_id);
	struct api_parent thread = { STORE_THREAD, thread_id, "thread" };

	if (err)
		return err;
	if (run_id && !id_valid(run_id, ID_RUN))
		return http_fail(req, ERR_INVALID, "run_id",
				 "Invalid 'run_id': expected an id starting with 'run_'.");
	return api_list(req, STORE_MESSAGE, &thread, ID_MESSAGE, run_id);
}
