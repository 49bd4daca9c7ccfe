/* vec_mem.h - the in-memory side of vector search that both store backends share
 * (vec_mem.c): per-store copies of the vectors (quantised to int8) in a reference-counted
 * cache, and the brute-force scan that picks the best chunks of a search from them. Each
 * backend loads the copies from its database and decides when one is stale (sqlite_vec.c:
 * a generation counter the database keeps; pg_vec.c: LISTEN/NOTIFY), and reads the hits'
 * texts. Private to src/store. */
#ifndef ASSISTD_VEC_MEM_H
#define ASSISTD_VEC_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vecstore.h"

#define VEC_MAX_STORES 8
#define VEC_RESCORE 2 /* the scan keeps this many candidates per hit wanted, then rescores */

/* One vector store's vectors. */
struct vec_set {
	char *key;        /* owned "project/vs" */
	int64_t gen;      /* the backend's generation of the store's vectors when loaded */
	int dims;         /* of every vector kept (others are left out) */
	size_t n, cap;
	int64_t *ids;     /* chunk ids, n of them */
	uint32_t *file;   /* the index in files of each chunk's file */
	int8_t *q8;       /* n * dims: each vector quantised to int8 */
	float *scale;     /* n: what a vector's int8 values are multiplied by */
	char **files;     /* owned file ids, sorted */
	size_t nfiles;
	int refs;         /* the cache's, plus one per search reading it; under the cache's mu */
	int64_t used_ms;
	struct vec_set *next;
};

struct vec_cache;

/* The cache: owned, free with vec_cache_free. */
struct vec_cache *vec_cache_new(void);
void vec_cache_free(struct vec_cache *vc);
/* The copy for key at gen, with a reference taken (give it back with vec_set_unref), or
 * NULL; drops a copy of key at another gen, and copies nobody used for a while. */
struct vec_set *vec_cache_get(struct vec_cache *vc, const char *key, int64_t gen);
/* Adds a freshly loaded copy s, whose one reference is the caller's, replacing one of the
 * same key. */
void vec_cache_put(struct vec_cache *vc, struct vec_set *s);
/* Drops the copy of key (NULL: every copy); searches holding one keep it until they end. */
void vec_cache_drop(struct vec_cache *vc, const char *key);
void vec_set_unref(struct vec_cache *vc, struct vec_set *s);

/* A new empty copy for key (owned by it) at gen: fill it with vec_set_add in file id order,
 * then vec_cache_put it or vec_set_free it. */
struct vec_set *vec_set_new(char *key, int64_t gen);
void vec_set_free(struct vec_set *s);
/* Appends chunk id of file with its vector (bytes of floats, unaligned), when the vector has
 * the set's length (the first one sets it). */
void vec_set_add(struct vec_set *v, int64_t id, const char *file, const void *vec,
		 size_t bytes);

/* One search: the copies of the searched stores, and per copy which of its files may be
 * returned (the completed ones whose attributes pass the filter). */
struct vec_run {
	struct vec_set *sets[VEC_MAX_STORES];
	bool *allow[VEC_MAX_STORES];
	size_t nsets;
};

/* Adds a copy (the run takes over the caller's reference). */
void vec_run_add(struct vec_run *r, struct vec_set *s);
/* Lets file id of copy k be returned. */
void vec_run_allow(struct vec_run *r, size_t k, const char *id);
void vec_run_cleanup(struct vec_cache *vc, struct vec_run *r);

/* The best candidates of a scan, best first: copy k, row i, approximate cosine. */
struct vec_top {
	struct { float score; uint32_t k; size_t i; } *e; /* owned */
	size_t n, max;
};

/* Scans every allowed vector of r with the quantised dot product into t, which keeps the
 * limit * VEC_RESCORE best; free t->e with free(). */
void vec_scan(const struct vec_run *r, const struct store_vsearch *q, struct vec_top *t);
/* The exact cosine of the query and a stored vector (dims floats, unaligned). */
float vec_dot(const float *q, const void *vec, int dims);
/* Sorts rescored hits by cosine (ties by chunk id) and frees all past the best max. */
void vec_hits_best(struct store_hit *hits, size_t *n, size_t max);

#endif
