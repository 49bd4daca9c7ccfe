/* vs_batches.c - file batches of a vector store: create, retrieve, cancel, list their files.
 *
 * A batch attaches many files in one transaction; its file_counts and status follow its
 * files (the store refreshes them), and cancelling it ends its unfinished files
 * "cancelled". */
#include "vs_batches.h"

#include <stdlib.h>

#include "../base/clock.h"
#include "../base/id.h"
#include "../store/obj.h"
#include "runs.h"
#include "schemas.h"
#include "vs.h"
#include "vs_files.h"

static int path_ids(struct http_req *req, const char **vs, const char **batch)
{
	int err = api_path_id(req, "vector_store_id", ID_VECTOR_STORE, "vector store", vs);

	if (!err)
		err = api_path_id(req, "batch_id", ID_VS_BATCH, "vector store file batch",
				  batch);
	return err;
}

/* A new VectorStoreFileBatch, in progress (owned). */
static jv *batch_build(const char *id, const char *vs)
{
	jv *b = jv_object();

	jv_set_str(b, "id", id);
	jv_set_str(b, "object", "vector_store.files_batch");
	jv_set_int(b, "created_at", clock_unix());
	jv_set_str(b, "vector_store_id", vs);
	jv_set_str(b, "status", "in_progress");
	jv_set(b, "file_counts", vs_counts_zero());
	return b;
}

/* file_ids or files: exactly one of them. */
static int batch_items(struct http_req *req, const jv *in, const jv **items, const char **param)
{
	bool ids = jv_get(in, "file_ids") != NULL;
	bool files = jv_get(in, "files") != NULL;

	if (ids == files)
		return http_fail(req, ERR_INVALID, ids ? "files" : "file_ids",
				 ids ? "Give either 'file_ids' or 'files', not both."
				     : "Missing required parameter: 'file_ids' (or 'files').");
	*param = ids ? "file_ids" : "files";
	*items = jv_get(in, *param);
	return 0;
}

static int create(struct http_req *req, const char *vs, const jv *in)
{
	struct vs_attach a = { 0 };
	char id[ID_MAX + 1];
	const jv *items = NULL;
	const char *param = NULL;
	struct store_obj o;
	char *body = NULL;
	jv *b = NULL;
	int err = batch_items(req, in, &items, &param);

	if (!err)
		err = api_new_id(req, ID_VS_BATCH, id);
	if (!err)
		err = vs_attach_prepare(req, vs, items, jv_get(in, "chunking_strategy"),
					jv_get(in, "attributes"), param, &a);
	if (err)
		goto out;
	b = batch_build(id, vs);
	body = jv_dump(b);
	obj_columns(STORE_VS_BATCH, b, body, &o);
	err = vs_attach_commit(req, vs, &o, id, &a);
	free(body);
	body = NULL;
	if (!err)
		err = store_get(api_ctx(req)->st, api_project(req), STORE_VS_BATCH, id, vs, &body,
				NULL);
	if (!err)
		err = api_reply_body(req, body);
out:
	vs_attach_cleanup(&a);
	jv_free(b);
	return err;
}

int vs_batches_create(struct http_req *req)
{
	const char *vs;
	jv *in = NULL;
	int err = api_path_id(req, "vector_store_id", ID_VECTOR_STORE, "vector store", &vs);

	if (!err)
		err = api_parse(req, &sc_create_vs_batch, false, &in);
	if (!err)
		err = vs_usable(req, vs, NULL);
	if (!err)
		err = create(req, vs, in);
	jv_free(in);
	return err;
}

/* Loads the batch of the path: its ids, and its JSON into *body (owned) when body is not
 * NULL. Replies 404 when either is unknown. */
static int load(struct http_req *req, const char **vs, const char **batch, char **body)
{
	char *text = NULL;
	int err = path_ids(req, vs, batch);

	if (err)
		return err;
	err = store_get(api_ctx(req)->st, api_project(req), STORE_VS_BATCH, *batch, *vs, &text,
			NULL);
	if (err)
		return api_store_err(req, err, "vector store file batch", *batch);
	if (body)
		*body = text;
	else
		free(text);
	return 0;
}

int vs_batches_get(struct http_req *req)
{
	const char *vs, *batch;
	char *body = NULL;
	int err = load(req, &vs, &batch, &body);

	if (err)
		return err;
	runs_poll_header(req);
	return api_reply_body(req, body);
}

int vs_batches_cancel(struct http_req *req)
{
	const char *vs, *batch;
	char *body = NULL;
	int err = path_ids(req, &vs, &batch);

	if (err)
		return err;
	err = store_vsf_cancel_batch(api_ctx(req)->st, api_project(req), vs, batch, &body);
	if (err)
		return api_store_err(req, err, "vector store file batch", batch);
	return api_reply_body(req, body);
}

int vs_batches_files(struct http_req *req)
{
	const char *vs, *batch;
	int err = load(req, &vs, &batch, NULL);

	if (err)
		return err;
	return vs_files_reply_list(req, vs, batch);
}
