/* vs_search.c - POST /v1/vector_stores/{id}/search: the queries, the ranked chunks (the
 * ranking itself is src/tools/search.c) and the results page.
 *
 * A keyword search takes milliseconds and runs on the HTTP worker. A hybrid search first
 * embeds each query through the embedding provider, which may take up to 20 s when it is
 * slow or retrying; so that no HTTP worker waits on it, the request is parked (http_defer)
 * and the whole search runs on a thread of its own, which wakes the request when done; the
 * handler, run again, replies. At most SEARCH_THREADS such searches run at once; past that
 * a search runs on the HTTP worker as keyword searches do. */
#include "vector_stores.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../tools/search.h"
#include "schemas.h"
#include "vs.h"

#define SEARCH_DEFAULT_RESULTS 10
#define SEARCH_QUERIES_MAX 10
#define SEARCH_THREADS 64
/* How long a parked search may take: the embedding's own bound (20 s) and then some. */
#define SEARCH_WAIT_MS 30000

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

/* One search, with copies of everything it reads, and its outcome. Shared by the request
 * (its state) and, for a parked search, the thread running it: freed by the last of them. */
struct vs_search {
	atomic_int refs;
	struct store *st;
	char *project;
	char *vs;
	char *queries[SEARCH_QUERIES_MAX];
	jv *filters;
	struct search_query q;
	struct http_waiter *w;  /* the parked request's, or NULL */
	struct search_result *r;
	size_t n;
	int err;
	atomic_bool done;
};

static atomic_int searching; /* parked searches whose thread is running */

static struct vs_search *vs_search_new(struct http_req *req, const char *vs, const jv *in)
{
	const jv *max = jv_get(in, "max_num_results");
	struct vs_search *s = xcalloc(1, sizeof(*s));

	atomic_init(&s->refs, 1);
	s->st = api_ctx(req)->st;
	s->project = xstrdup(api_project(req));
	s->vs = xstrdup(vs);
	s->filters = jv_get(in, "filters") ? jv_copy(jv_get(in, "filters")) : NULL;
	s->q = (struct search_query){
		.project = s->project, .vs = (const char *const *)&s->vs, .nvs = 1,
		.queries = (const char *const *)s->queries, .filters = s->filters,
		.max_results = max ? (int)jv_int_value(max) : SEARCH_DEFAULT_RESULTS,
		.score_threshold = jv_number(jv_get(jv_get(in, "ranking_options"),
						    "score_threshold")),
		.emb = api_ctx(req)->emb,
	};
	s->q.nq = search_queries(in, s->queries, SEARCH_QUERIES_MAX);
	return s;
}

static void vs_search_unref(void *p)
{
	struct vs_search *s = p;

	if (!s || atomic_fetch_sub(&s->refs, 1) > 1)
		return;
	for (size_t i = 0; i < s->q.nq; i++)
		free(s->queries[i]);
	search_results_free(s->r, s->n);
	jv_free(s->filters);
	http_waiter_unref(s->w);
	free(s->project);
	free(s->vs);
	free(s);
}

static void vs_search_run(struct vs_search *s)
{
	s->err = search_run(s->st, &s->q, &s->r, &s->n);
	atomic_store(&s->done, true);
}

static void *search_thread(void *arg)
{
	struct vs_search *s = arg;

	vs_search_run(s);
	atomic_fetch_sub(&searching, 1);
	http_waiter_wake(s->w);
	vs_search_unref(s);
	return NULL;
}

/* Parks the request and runs s on a thread of its own (here, when the system gives no
 * thread: the rerun replies all the same). False when too many already run. */
static bool park(struct http_req *req, struct vs_search *s)
{
	pthread_attr_t attr;
	pthread_t t;
	bool ok;

	if (atomic_fetch_add(&searching, 1) >= SEARCH_THREADS) {
		atomic_fetch_sub(&searching, 1);
		return false;
	}
	http_defer(req, SEARCH_WAIT_MS, &s->w);
	atomic_fetch_add(&s->refs, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ok = pthread_create(&t, &attr, search_thread, s) == 0;
	pthread_attr_destroy(&attr);
	if (!ok)
		search_thread(s);
	return true;
}

/* The reply to a finished search: the store counts as used, then the page. */
static int reply(struct http_req *req, struct vs_search *s)
{
	int err = s->err;

	if (!err)
		err = store_vs_touch(s->st, s->project, s->vs, clock_unix(),
				     api_ctx(req)->vs_day_s);
	if (!err)
		err = api_reply_obj(req, page_json(s->queries, s->q.nq, s->r, s->n));
	return err;
}

static int search(struct http_req *req, const char *vs, const jv *in)
{
	struct vs_search *s = http_state(req);

	if (s && !atomic_load(&s->done))
		return http_fail(req, ERR_TIMEOUT, NULL, "The search took too long (the query's "
				 "embedding did not come back in time); try again.");
	if (s)
		return reply(req, s);
	s = vs_search_new(req, vs, in);
	http_set_state(req, s, vs_search_unref);
	if (s->q.emb && park(req, s))
		return HTTP_DEFERRED;
	vs_search_run(s);
	return reply(req, s);
}

int vector_stores_search(struct http_req *req)
{
	const char *id;
	jv *in = NULL;
	int err = api_path_id(req, "vector_store_id", ID_VECTOR_STORE, "vector store", &id);

	if (!err)
		err = api_parse(req, &sc_search_vector_store, false, &in);
	if (!err && !http_state(req))
		err = vs_usable(req, id, NULL);
	if (!err)
		err = search(req, id, in);
	jv_free(in);
	return err;
}
