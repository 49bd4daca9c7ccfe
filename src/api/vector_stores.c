/* vector_stores.c - create, retrieve, modify, delete and list vector stores.
 *
 * A vector store is stored as the JSON the API returns; its counters, usage and status are
 * kept current by the store as its files change (vstore.h). Files and batches have their own
 * files (vs_files.c, vs_batches.c), the search endpoint too (vs_search.c). */
#include "vector_stores.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "schemas.h"
#include "vs.h"

int vector_stores_create(struct http_req *req)
{
	char id[ID_MAX + 1];
	char *text = NULL;
	jv *in = NULL;
	int err = api_parse(req, &sc_create_vector_store, true, &in);

	if (!err)
		err = vs_create(req, in, "", id, &text);
	if (!err)
		err = api_reply_body(req, text);
	jv_free(in);
	return err;
}

/* A store past its expires_at reads as expired even before the workers' sweep marks it. */
int vector_stores_get(struct http_req *req)
{
	const char *id;
	char *body = NULL;
	jv *v;
	int err = api_path_id(req, "vector_store_id", ID_VECTOR_STORE, "vector store", &id);

	if (!err)
		err = store_get(api_ctx(req)->st, api_project(req), STORE_VECTOR_STORE, id, NULL,
				&body, NULL);
	if (err)
		return api_store_err(req, err, "vector store", id);
	v = jv_parse(body, strlen(body), NULL, 0);
	free(body);
	if (jv_is_int(jv_get(v, "expires_at")) &&
	    jv_int_value(jv_get(v, "expires_at")) <= clock_unix())
		jv_set_str(v, "status", "expired");
	return api_reply_obj(req, v);
}

static int apply(struct http_req *req, jv *v, const jv *in)
{
	const jv *exp = jv_get(in, "expires_after");

	if (jv_get(in, "name"))
		jv_set_str(v, "name", jv_get_str(in, "name") ? jv_get_str(in, "name") : "");
	if (jv_is_object(exp)) {
		jv_set(v, "expires_after", jv_copy(exp));
		jv_set_int(v, "expires_at", jv_int_value(jv_get(v, "last_active_at")) +
			   jv_int_value(jv_get(exp, "days")) * api_ctx(req)->vs_day_s);
	} else if (exp) {
		jv_del(v, "expires_after");
		jv_set_null(v, "expires_at");
	}
	return api_apply_metadata(req, v, in);
}

int vector_stores_modify(struct http_req *req)
{
	const char *id;
	jv *in = NULL;
	int err = api_path_id(req, "vector_store_id", ID_VECTOR_STORE, "vector store", &id);

	if (!err)
		err = api_parse(req, &sc_update_vector_store, false, &in);
	if (!err)
		err = api_modify(req, STORE_VECTOR_STORE, id, NULL, "vector store", in, apply);
	jv_free(in);
	return err;
}

int vector_stores_delete(struct http_req *req)
{
	return api_delete_top(req, STORE_VECTOR_STORE, "vector_store_id", ID_VECTOR_STORE,
			      "vector store", "vector_store.deleted");
}

int vector_stores_list(struct http_req *req)
{
	return api_list(req, STORE_VECTOR_STORE, NULL, ID_VECTOR_STORE, NULL);
}
