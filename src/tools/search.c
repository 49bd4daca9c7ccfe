/* search.c - ranking chunks for a search (see search.h): query words, the rankers, score
 * normalisation and fusion. */
#include "search.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../store/vstore.h"
#include "search_int.h"

#define QUERY_MAX_WORDS 64
#define WORD_MAX 64
/* Each ranker returns this many candidates per wanted result, so fusion has room to reorder. */
#define CANDIDATES_PER_RESULT 2
/* The rankers' weights in the fused score (a weighted mean of their 0..1 scores), chosen on
 * SciFact with the fake upstream's hashed embeddings, the only model this project can run:
 * 0.1 scored best of 0.5, 0.3, 0.15, 0.1 and 0.05 (and 1 and reciprocal rank fusion were far
 * worse; BENCHMARKS.md). A real model ranks better than those and may deserve more. */
#define SEARCH_KEYWORD_WEIGHT 1.0
#define SEARCH_VECTOR_WEIGHT 0.1

/* The stop words of the query side (Lucene's English set, as Anserini's BM25 uses), sorted. */
static const char *const stop_words[] = {
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
	"it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
	"these", "they", "this", "to", "was", "will", "with",
};

static int cmp_word(const void *key, const void *item)
{
	return strcmp(key, *(const char *const *)item);
}

static bool is_stop(const char *w)
{
	return bsearch(w, stop_words, sizeof(stop_words) / sizeof(stop_words[0]),
		       sizeof(stop_words[0]), cmp_word) != NULL;
}

/* Letters, digits and any non-ASCII byte (UTF-8 letters) make words. */
static bool word_byte(unsigned char c)
{
	return c >= 0x80 || isalnum(c);
}

/* Calls fn for each query word (lower-cased, stop words and over-long words skipped), at most
 * QUERY_MAX_WORDS of them. */
static int each_word(const char *q, int (*fn)(void *ctx, const char *w), void *ctx)
{
	char w[WORD_MAX + 1];
	int words = 0;
	int err = 0;

	for (const char *p = q; *p && !err && words < QUERY_MAX_WORDS;) {
		size_t n = 0;

		while (*p && !word_byte((unsigned char)*p))
			p++;
		while (word_byte((unsigned char)p[n]))
			n++;
		if (n > 0 && n <= WORD_MAX) {
			for (size_t i = 0; i < n; i++)
				w[i] = (char)tolower((unsigned char)p[i]);
			w[n] = '\0';
			if (!is_stop(w)) {
				err = fn(ctx, w);
				words++;
			}
		}
		p += n;
	}
	return err;
}

/* The words of a query, owned (free each, then the array). */
struct words {
	char **w;
	size_t n;
};

static int add_word(void *ctx, const char *w)
{
	struct words *ws = ctx;

	ws->w = xrealloc(ws->w, (ws->n + 1) * sizeof(*ws->w));
	ws->w[ws->n++] = xstrdup(w);
	return 0;
}

static void words_cleanup(struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i]);
	free(ws->w);
}

static int put_plain_word(void *ctx, const char *w)
{
	struct buf *b = ctx;

	return buf_printf(b, "%s%s", b->len ? " " : "", w);
}

char *search_rewrite(const char *query)
{
	struct buf b;

	buf_init(&b, 0);
	if (each_word(query, put_plain_word, &b) || b.len == 0) {
		buf_cleanup(&b);
		return xstrdup(query);
	}
	return buf_release(&b);
}

/* --- Rankers: each turns one query into candidates scored 0..1 --- */

typedef int ranker_fn(struct store *st, const struct search_query *q, const char *query,
		      int limit, struct search_result **out, size_t *n);

void search_take_hit(struct store_hit *h, struct search_result *r, double score)
{
	r->file_id = h->file_id;
	r->filename = h->filename;
	r->attributes = h->attributes;
	r->text = h->text;
	r->chunk = h->chunk;
	r->score = score;
	memset(h, 0, sizeof(*h));
}

static int keyword_rank(struct store *st, const struct search_query *q, const char *query,
			int limit, struct search_result **out, size_t *n)
{
	struct store_search s = { .vs = q->vs, .nvs = q->nvs, .filters = q->filters,
				  .limit = limit };
	struct store_hit *hits = NULL;
	struct words ws = { 0 };
	size_t nh = 0;
	int err = each_word(query, add_word, &ws);

	*out = NULL;
	*n = 0;
	s.words = (const char *const *)ws.w;
	s.nwords = ws.n;
	if (!err && ws.n)
		err = store_search(st, q->project, &s, &hits, &nh);
	words_cleanup(&ws);
	if (err || nh == 0) {
		store_hits_free(hits, nh);
		return err;
	}
	*out = xcalloc(nh, sizeof(**out));
	for (size_t i = 0; i < nh; i++)
		search_take_hit(&hits[i], &(*out)[i], hits[i].bm25);
	*n = nh;
	store_hits_free(hits, nh);
	return 0;
}

static bool with_embeddings(const struct search_query *q)
{
	return q->emb != NULL;
}

/* Each ranker, whether it takes part in a search (NULL: always), and its weight in the mean. */
static const struct {
	const char *name;
	ranker_fn *rank;
	bool (*active)(const struct search_query *q);
	double weight;
} rankers[] = {
	{ "keyword", keyword_rank, NULL, SEARCH_KEYWORD_WEIGHT },
	{ "vector", search_vector_rank, with_embeddings, SEARCH_VECTOR_WEIGHT },
};

#define RANKERS (sizeof(rankers) / sizeof(rankers[0]))

/* --- Fusion --- */

static void result_cleanup(struct search_result *r)
{
	free(r->file_id);
	free(r->filename);
	free(r->attributes);
	free(r->text);
}

/* The results so far, one per chunk. */
struct pool {
	struct search_result *r;
	size_t n, cap;
};

/* The result of chunk in the pool (borrowed), or NULL. */
static struct search_result *pool_find(struct pool *p, int64_t chunk)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->r[i].chunk == chunk)
			return &p->r[i];
	}
	return NULL;
}

/* Adds ranker k's candidates for one query: each chunk's fused score is the weighted mean of
 * its rankers' scores (a ranker that did not return it counts 0), kept as the best over
 * queries in score; sums holds this query's running sums, parallel to p->r. */
static void pool_add(struct pool *p, double **sums, struct search_result *c, size_t n,
		     double weight)
{
	for (size_t i = 0; i < n; i++) {
		struct search_result *r = pool_find(p, c[i].chunk);
		double score = c[i].score;

		if (!r) {
			if (p->n == p->cap) {
				p->cap = p->cap ? p->cap * 2 : 32;
				p->r = xrealloc(p->r, p->cap * sizeof(*p->r));
				*sums = xrealloc(*sums, p->cap * sizeof(**sums));
			}
			r = &p->r[p->n];
			*r = c[i];
			r->score = 0;
			(*sums)[p->n++] = 0;
			memset(&c[i], 0, sizeof(c[i]));
		}
		(*sums)[r - p->r] += weight * score;
	}
}

/* One ranker's work for one query: run on a thread of its own when another ranker runs
 * beside it (the keyword search and the query's embedding plus vector scan take similar
 * time, so together they take the longer of the two, not the sum). */
struct rank_job {
	struct store *st;
	const struct search_query *q;
	const char *query;
	int limit;
	ranker_fn *rank;
	double weight;
	struct search_result *c; /* owned: the candidates */
	size_t n;
	int err;
	pthread_t thread;
	bool threaded;
};

static void *rank_run(void *arg)
{
	struct rank_job *j = arg;

	j->err = j->rank(j->st, j->q, j->query, j->limit, &j->c, &j->n);
	return NULL;
}

/* Runs jobs[0..n): all but the first on threads of their own (or here, when no thread can
 * be had), the first on this one; returns when all are done. */
static void rank_all(struct rank_job *jobs, size_t n)
{
	for (size_t k = 1; k < n; k++) {
		jobs[k].threaded = pthread_create(&jobs[k].thread, NULL, rank_run, &jobs[k]) == 0;
		if (!jobs[k].threaded)
			rank_run(&jobs[k]);
	}
	if (n > 0)
		rank_run(&jobs[0]);
	for (size_t k = 1; k < n; k++) {
		if (jobs[k].threaded)
			pthread_join(jobs[k].thread, NULL);
	}
}

/* Adds each job's candidates to the pool (in ranker order), then keeps each chunk's best
 * fused score over the queries so far. Frees the candidates. */
static int fuse(struct rank_job *jobs, size_t nj, struct pool *p, double **sums)
{
	double total = 0;
	int err = 0;

	for (size_t i = 0; i < p->n; i++)
		(*sums)[i] = 0;
	for (size_t j = 0; j < nj; j++) {
		err = err ? err : jobs[j].err;
		if (!err)
			pool_add(p, sums, jobs[j].c, jobs[j].n, jobs[j].weight);
		search_results_free(jobs[j].c, jobs[j].n);
		total += jobs[j].weight;
	}
	for (size_t i = 0; i < p->n && !err; i++) {
		if ((*sums)[i] / total > p->r[i].score)
			p->r[i].score = (*sums)[i] / total;
	}
	return err;
}

static int one_query(struct store *st, const struct search_query *q, const char *query,
		     struct pool *p, double **sums)
{
	struct rank_job jobs[RANKERS];
	size_t nj = 0;

	for (size_t k = 0; k < RANKERS; k++) {
		if (rankers[k].active && !rankers[k].active(q))
			continue;
		jobs[nj++] = (struct rank_job){ .st = st, .q = q, .query = query,
						.limit = q->max_results * CANDIDATES_PER_RESULT,
						.rank = rankers[k].rank,
						.weight = rankers[k].weight };
	}
	rank_all(jobs, nj);
	return fuse(jobs, nj, p, sums);
}

static int by_score(const void *a, const void *b)
{
	const struct search_result *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}

/* Sorts, drops results under the threshold and keeps the best max_results. */
static void pool_finish(struct pool *p, const struct search_query *q)
{
	size_t keep = 0;

	if (p->n > 1)
		qsort(p->r, p->n, sizeof(*p->r), by_score);
	while (keep < p->n && keep < (size_t)q->max_results &&
	       p->r[keep].score >= q->score_threshold)
		keep++;
	for (size_t i = keep; i < p->n; i++)
		result_cleanup(&p->r[i]);
	p->n = keep;
}

int search_run(struct store *st, const struct search_query *q, struct search_result **out,
	       size_t *n)
{
	struct pool p = { 0 };
	double *sums = NULL;
	int err = 0;

	for (size_t i = 0; i < q->nq && !err; i++)
		err = one_query(st, q, q->queries[i], &p, &sums);
	free(sums);
	if (err) {
		search_results_free(p.r, p.n);
		*out = NULL;
		*n = 0;
		return err;
	}
	pool_finish(&p, q);
	*out = p.r;
	*n = p.n;
	return 0;
}

void search_results_free(struct search_result *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		result_cleanup(&r[i]);
	free(r);
}
