/* vector_stores.c - create, retrieve, modify, delete and list vector stores, and search one.
 *
 * A vector store is stored as the JSON the API returns; its counters, usage and status are
 * kept current by the store as its files change (vstore.h). Files and batches have their own
 * files (vs_files.c, vs_batches.c); the ranking itself is src/tools/search.c. */
#include "vector_stores.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../tools/search.h"
#include "schemas.h"
#include "vs.h"

#define SEARCH_DEFAULT_RESULTS 10

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

/* --- Search --- */

/* The queries searched: the input's string or list, rewritten when asked. Owned strings. */
static size_t search_queries(const jv *in, char **out, size_t max)
{
	const jv *q = jv_get(in, "query");
	bool rewrite = jv_true(jv_get(in, "rewrite_query"));
	size_t n = jv_is_array(q) ? jv_size(q) : 1;

	for (size_t i = 0; i < n && i < max; i++) {
		const char *s = jv_str(jv_is_array(q) ? jv_at(q, i) : q);

		out[i] = rewrite ? search_rewrite(s) : xstrdup(s);
	}
	return n < max ? n : max;
}

/* One result of the search page (owned). */
static jv *result_json(const struct search_result *r)
{
	jv *o = jv_object();
	jv *part = jv_object();
	jv *content = jv_array();

	jv_set_str(o, "file_id", r->file_id);
	jv_set_str(o, "filename", r->filename);
	jv_set(o, "score", jv_real(r->score));
	jv_set(o, "attributes", jv_parse(r->attributes, strlen(r->attributes), NULL, 0));
	jv_set_str(part, "type", "text");
	jv_set(part, "text", jv_string(r->text));
	jv_push(content, part);
	jv_set(o, "content", content);
	return o;
}

/* The VectorStoreSearchResultsPage (owned). */
static jv *page_json(char **queries, size_t nq, const struct search_result *r, size_t n)
{
	jv *page = jv_object();
	jv *sq = jv_array();
	jv *data = jv_array();

	for (size_t i = 0; i < nq; i++)
		jv_push(sq, jv_string(queries[i]));
	for (size_t i = 0; i < n; i++)
		jv_push(data, result_json(&r[i]));
	jv_set_str(page, "object", "vector_store.search_results.page");
	jv_set(page, "search_query", sq);
	jv_set(page, "data", data);
	jv_set_bool(page, "has_more", false);
	jv_set_null(page, "next_page");
	return page;
}

static int search(struct http_req *req, const char *vs, const jv *in)
{
	const jv *max = jv_get(in, "max_num_results");
	char *queries[10] = { 0 };
	struct search_query q = {
		.project = api_project(req), .vs = &vs, .nvs = 1,
		.filters = jv_get(in, "filters"),
		.max_results = max ? (int)jv_int_value(max) : SEARCH_DEFAULT_RESULTS,
		.score_threshold = jv_number(jv_get(jv_get(in, "ranking_options"),
						    "score_threshold")),
		.emb = api_ctx(req)->emb,
	};
	struct search_result *r = NULL;
	size_t n = 0;
	int err;

	q.nq = search_queries(in, queries, 10);
	q.queries = (const char *const *)queries;
	err = search_run(api_ctx(req)->st, &q, &r, &n);
	if (!err)
		err = store_vs_touch(api_ctx(req)->st, api_project(req), vs, clock_unix(),
				     api_ctx(req)->vs_day_s);
	if (!err)
		err = api_reply_obj(req, page_json(queries, q.nq, r, n));
	search_results_free(r, n);
	for (size_t i = 0; i < q.nq; i++)
		free(queries[i]);
	return err;
}

int vector_stores_search(struct http_req *req)
{
	const char *id;
	jv *in = NULL;
	int err = api_path_id(req, "vector_store_id", ID_VECTOR_STORE, "vector store", &id);

	if (!err)
		err = api_parse(req, &sc_search_vector_store, false, &in);
	if (!err)
		err = vs_usable(req, id, NULL);
	if (!err)
		err = search(req, id, in);
	jv_free(in);
	return err;
}
