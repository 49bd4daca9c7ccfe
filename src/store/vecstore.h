/* vecstore.h - vector search over vector stores' chunk embeddings.
 *
 * Chunks carry their embedding (store_chunk.vec, written by store_chunks_add). A search
 * compares the query's vector with every vector of the searched stores by brute force, over
 * an in-memory copy of each store's vectors that the store keeps and reloads when the store's
 * vectors change (chunks added or removed, by any process). Like the keyword search it sees
 * the completed files of the stores only, and only those whose attributes pass the filter. */
#ifndef ASSISTD_VECSTORE_H
#define ASSISTD_VECSTORE_H

#include <stddef.h>

#include "vstore.h"

struct store_vsearch {
	const char *const *vs; /* the vector stores searched, nvs of them (1..8) */
	size_t nvs;
	const float *vec;      /* the query's vector, normalised */
	int dims;              /* its length; vectors of another length are not compared */
	const jv *filters;     /* a validated ComparisonFilter/CompoundFilter, or NULL */
	int limit;             /* most hits returned (1..) */
};

/* The hits closest to q->vec, best first, their cosine in hit.cosine (bm25 is 0). *hits is
 * owned: free with store_hits_free. Errors: ERR_INVALID (bad nvs or limit), ERR_DB. */
int store_vec_search(struct store *st, const char *project, const struct store_vsearch *q,
		     struct store_hit **hits, size_t *n) MUST_CHECK;

#endif
