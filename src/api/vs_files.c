/* vs_files.c - the files of a vector store: attach, list (with the status filter), retrieve,
 * update attributes, detach, and read the parsed content.
 *
 * Attaching writes the VectorStoreFile "in_progress" and wakes the ingestion workers
 * (src/tools/ingest.c), which finish it later; nothing here waits for ingestion. */
#include "vs_files.h"

#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "runs.h"
#include "schemas.h"
#include "vs.h"

static const char *const status_values[] = { "in_progress", "completed", "failed", "cancelled",
					     NULL };

/* The ids of the path: vector_store_id, and file_id when file is not NULL. */
static int path_ids(struct http_req *req, const char **vs, const char **file)
{
	int err = api_path_id(req, "vector_store_id", ID_VECTOR_STORE, "vector store", vs);

	if (!err && file)
		err = api_path_id(req, "file_id", ID_FILE, "vector store file", file);
	return err;
}

int vs_files_create(struct http_req *req)
{
	struct vs_attach a = { 0 };
	const char *vs;
	char *body = NULL;
	jv *in = NULL;
	jv *items = jv_array();
	int err = path_ids(req, &vs, NULL);

	if (!err)
		err = api_parse(req, &sc_create_vs_file, false, &in);
	if (!err)
		err = vs_usable(req, vs, NULL);
	if (err)
		goto out;
	jv_push(items, jv_copy(in));
	err = vs_attach_prepare(req, vs, items, NULL, NULL, "file_id", &a);
	if (!err)
		err = vs_attach_commit(req, vs, NULL, NULL, &a);
	if (!err)
		err = store_vsf_get(api_ctx(req)->st, api_project(req), vs,
				    jv_get_str(in, "file_id"), &body);
	if (!err)
		err = api_reply_body(req, body);
out:
	vs_attach_cleanup(&a);
	jv_free(items);
	jv_free(in);
	return err;
}

/* The list's filter query parameter, or NULL. */
static int status_filter(struct http_req *req, const char **status)
{
	const char *f = http_query(req, "filter");

	*status = NULL;
	if (!f || !*f)
		return 0;
	for (size_t i = 0; status_values[i]; i++) {
		if (strcmp(f, status_values[i]) == 0) {
			*status = status_values[i];
			return 0;
		}
	}
	return http_fail(req, ERR_INVALID, "filter",
			 "Invalid value: '%.40s'. Supported values are: 'in_progress', "
			 "'completed', 'failed' and 'cancelled'.", f);
}

/* Replies with the files of vs (of batch, when not NULL), paged and filtered by the query. */
int vs_files_reply_list(struct http_req *req, const char *vs, const char *batch)
{
	struct store_list l = { 0 };
	struct store_page pg;
	const char *status;
	int err = api_page(req, ID_FILE, &pg);

	if (!err)
		err = status_filter(req, &status);
	if (err)
		return err;
	err = store_vsf_list(api_ctx(req)->st, api_project(req), vs, batch, status, &pg, &l);
	if (err == ERR_INVALID)
		err = http_fail(req, ERR_INVALID, pg.after ? "after" : "before",
				"Invalid '%s': no file with id '%.80s' in this vector store.",
				pg.after ? "after" : "before", pg.after ? pg.after : pg.before);
	if (!err)
		err = api_reply_list(req, &l);
	store_list_cleanup(&l);
	return err;
}

int vs_files_list(struct http_req *req)
{
	const char *vs;
	int err = path_ids(req, &vs, NULL);

	if (!err)
		err = vs_find(req, vs);
	if (!err)
		err = vs_files_reply_list(req, vs, NULL);
	return err;
}

/* Loads the file of the path: its ids, and its JSON into *body (owned). Replies 404 when
 * either is unknown. */
static int load(struct http_req *req, const char **vs, const char **file, char **body)
{
	int err = path_ids(req, vs, file);

	if (err)
		return err;
	err = store_vsf_get(api_ctx(req)->st, api_project(req), *vs, *file, body);
	return api_store_err(req, err, "vector store file", *file);
}

int vs_files_get(struct http_req *req)
{
	const char *vs, *file;
	char *body = NULL;
	int err = load(req, &vs, &file, &body);

	if (err)
		return err;
	runs_poll_header(req);
	return api_reply_body(req, body);
}

int vs_files_update(struct http_req *req)
{
	const char *vs, *file;
	char *attrs = NULL;
	char *body = NULL;
	jv *in = NULL;
	int err = path_ids(req, &vs, &file);

	if (!err)
		err = api_parse(req, &sc_update_vs_file, false, &in);
	if (err)
		goto out;
	attrs = jv_dump(jv_get(in, "attributes"));
	err = store_vsf_set_attributes(api_ctx(req)->st, api_project(req), vs, file, attrs, &body);
	if (err)
		err = api_store_err(req, err, "vector store file", file);
	else
		err = api_reply_body(req, body);
out:
	free(attrs);
	jv_free(in);
	return err;
}

int vs_files_delete(struct http_req *req)
{
	const char *vs, *file;
	int err = path_ids(req, &vs, &file);

	if (err)
		return err;
	err = store_vsf_detach(api_ctx(req)->st, api_project(req), vs, file);
	if (err)
		return api_store_err(req, err, "vector store file", file);
	return api_reply_deleted(req, file, "vector_store.file.deleted");
}

/* The VectorStoreFileContentResponse: one text part a chunk (owned). */
static jv *content_page(const struct store_list *chunks)
{
	jv *page = jv_object();
	jv *data = jv_array();

	for (size_t i = 0; i < chunks->n; i++) {
		jv *part = jv_object();

		jv_set_str(part, "type", "text");
		jv_set(part, "text", jv_string(chunks->items[i].body));
		jv_push(data, part);
	}
	jv_set_str(page, "object", "vector_store.file_content.page");
	jv_set(page, "data", data);
	jv_set_bool(page, "has_more", false);
	jv_set_null(page, "next_page");
	return page;
}

int vs_files_content(struct http_req *req)
{
	struct store_list chunks = { 0 };
	const char *vs, *file;
	char *body = NULL;
	int err = load(req, &vs, &file, &body);

	if (err)
		return err;
	free(body);
	err = store_chunks_of(api_ctx(req)->st, api_project(req), vs, file, &chunks);
	if (!err)
		err = api_reply_obj(req, content_page(&chunks));
	store_list_cleanup(&chunks);
	return err;
}
