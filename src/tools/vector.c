/* vector.c - the search stage's vector ranker (search_int.h): the query's embedding, one
 * embeddings call per query string, compared by cosine with the chunks' (vecstore.h). The
 * embedding call is the caller's wait, bounded by QUERY_EMBED_MS; the comparison itself reads
 * vectors from memory. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../store/vecstore.h"
#include "search_int.h"

/* A search waits this long at most for its query's embedding (retries included). */
#define QUERY_EMBED_MS 20000

static bool past(void *ctx)
{
	return clock_ms() > *(const int64_t *)ctx;
}

/* The query's vector. *vec is owned (free with free()). Errors: ERR_UPSTREAM, ERR_TIMEOUT. */
static int embed_query(struct embed *emb, const char *query, float **vec, int *dims)
{
	int64_t deadline = clock_ms() + QUERY_EMBED_MS;
	size_t len = strlen(query);
	struct embed_req rq = { .texts = &query, .lens = &len, .n = 1, .stop = past,
				.ctx = &deadline };
	struct embed_out out;
	int err = embed_texts(emb, &rq, &out);

	if (err == ERR_UNAVAILABLE)
		err = ERR_TIMEOUT;
	if (err) {
		log_warn("search: embedding the query failed: %s", out.why ? out.why : "");
		embed_out_cleanup(&out);
		return err;
	}
	*vec = out.vecs;
	*dims = out.dims;
	out.vecs = NULL;
	embed_out_cleanup(&out);
	return 0;
}

int search_vector_rank(struct store *st, const struct search_query *q, const char *query,
		       int limit, struct search_result **out, size_t *n)
{
	struct store_vsearch vq = { .vs = q->vs, .nvs = q->nvs, .filters = q->filters,
				    .limit = limit };
	struct store_hit *hits = NULL;
	float *vec = NULL;
	size_t nh = 0;
	int err = embed_query(q->emb, query, &vec, &vq.dims);

	*out = NULL;
	*n = 0;
	vq.vec = vec;
	if (!err)
		err = store_vec_search(st, q->project, &vq, &hits, &nh);
	free(vec);
	if (err)
		return err;
	*out = xcalloc(nh ? nh : 1, sizeof(**out));
	for (size_t i = 0; i < nh && hits[i].cosine > 0; i++)
		search_take_hit(&hits[i], &(*out)[(*n)++], hits[i].cosine);
	store_hits_free(hits, nh);
	return 0;
}
