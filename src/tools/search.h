/* search.h - the file_search retrieval path: from query strings to ranked chunks with scores
 * from 0 to 1.
 *
 * A search runs each query through every ranker (at once: each ranker but the first on a
 * thread of its own), each scoring chunks 0..1 (today the keyword
 * ranker: BM25 over the chunks divided by the most the query could score), fuses the scores
 * per chunk (a weighted mean over rankers, the best over queries), drops what is under the
 * score threshold and keeps the best max_results. With an embedding client the vector ranker
 * (vector.c: the query's embedding against the chunks', by cosine) joins the keyword one.
 * Used by POST /v1/vector_stores/{id}/search and, later, by the file_search tool. */
#ifndef ASSISTD_SEARCH_H
#define ASSISTD_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../json/json.h"
#include "../providers/embed.h"
#include "../store/store.h"

#define SEARCH_MAX_RESULTS 50

struct search_query {
	const char *project;
	const char *const *vs;       /* vector store ids, nvs of them (1..8) */
	size_t nvs;
	const char *const *queries;  /* nq of them, each a user's text */
	size_t nq;
	const jv *filters;           /* validated ComparisonFilter/CompoundFilter, or NULL */
	int max_results;             /* 1..SEARCH_MAX_RESULTS */
	double score_threshold;      /* 0..1 */
	struct embed *emb;           /* borrowed; NULL: keyword search alone */
};

struct search_result {
	char *file_id;    /* owned */
	char *filename;   /* owned */
	char *attributes; /* owned JSON text ("null" when the file has none) */
	char *text;       /* owned: the chunk's text */
	double score;     /* 0..1, higher is better */
	int64_t chunk;
};

/* Runs q. *out is owned (free with search_results_free), best first. Errors: ERR_DB. */
int search_run(struct store *st, const struct search_query *q, struct search_result **out,
	       size_t *n) MUST_CHECK;
void search_results_free(struct search_result *r, size_t n);

/* The query as a search engine would take it without a model: its words, lower-cased, minus
 * punctuation and common English stop words, joined by spaces (the original text when nothing
 * is left). Owned (free with free()). */
char *search_rewrite(const char *query);

#endif
