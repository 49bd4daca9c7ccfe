/* search_int.h - what the search stage (search.c) shares with its rankers in other files;
 * private to src/tools.
 *
 * A ranker turns one query string into candidates scored 0..1, best first: *out is owned
 * (free with search_results_free). Errors are the store's or the embedding client's. */
#ifndef ASSISTD_SEARCH_INT_H
#define ASSISTD_SEARCH_INT_H

#include "../store/vstore.h"
#include "search.h"

/* Moves hit h's strings into r with the given score (h is left empty). */
void search_take_hit(struct store_hit *h, struct search_result *r, double score);

/* The vector ranker (vector.c): embeds query with q->emb and returns the chunks nearest to it
 * by cosine, the cosine as their score (a cosine of 0 or less is no candidate). Errors:
 * ERR_UPSTREAM (the embedding failed), ERR_TIMEOUT (it took too long), ERR_DB. */
int search_vector_rank(struct store *st, const struct search_query *q, const char *query,
		       int limit, struct search_result **out, size_t *n) MUST_CHECK;

#endif
