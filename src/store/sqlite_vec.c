/* sqlite_vec.c - vector search for the SQLite store (vecstore.h).
 *
 * The vectors live in chunks.vec (float32); searching reads them from memory. The cache keeps,
 * per vector store, every chunk id, the index of its file and its vector quantised to int8 (a
 * quarter of the memory and of the bytes a scan reads), loaded in one scan and tagged with the
 * store's vec_gen.gen (bumped by triggers whenever a chunk with a vector comes or goes,
 * whichever process did it). A search reads the gen of each searched store, reloads a copy
 * that is behind, asks SQLite which files are completed and pass the filter, compares the
 * query with the vectors of those files, keeps twice the hits wanted, reads them (text, file,
 * float32 vector), scores them again exactly and keeps the best. A copy is reference counted,
 * so a reload never frees one a search still reads; a copy no search used for VEC_IDLE_MS is
 * dropped. */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "sqlite_int.h"
#include "vecstore.h"

#define VEC_MAX_STORES 8
#define VEC_FIRST_FILTER_PARAM 11 /* ?2 project, ?3..?10 stores, then the filter's values */
#define VEC_IDLE_MS (10 * 60 * 1000)
#define VEC_RESCORE 2 /* the scan keeps this many candidates per hit wanted, then rescores */

/* One vector store's vectors. */
struct vec_set {
	char *key;        /* owned "project/vs" */
	int64_t gen;      /* vec_gen.gen when loaded */
	int dims;         /* of every vector kept (others are left out) */
	size_t n, cap;
	int64_t *ids;     /* chunk ids, n of them */
	uint32_t *file;   /* the index in files of each chunk's file */
	int8_t *q8;       /* n * dims: each vector quantised to int8 (see quantise) */
	float *scale;     /* n: what a vector's int8 values are multiplied by */
	char **files;     /* owned file ids, sorted */
	size_t nfiles;
	int refs;         /* the cache's, plus one per search reading it; under vc->mu */
	int64_t used_ms;
	struct vec_set *next;
};

struct vec_cache {
	pthread_mutex_t mu;
	struct vec_set *sets;
};

int sqlite_vec_bind(sqlite3_stmt *s, int i, const float *vec, int dims)
{
	if (!vec)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_blob(s, i, vec, dims * (int)sizeof(float), SQLITE_STATIC);
}

/* --- The cache --- */

struct vec_cache *sqlite_vec_cache_new(void)
{
	struct vec_cache *vc = xcalloc(1, sizeof(*vc));

	pthread_mutex_init(&vc->mu, NULL);
	return vc;
}

static void set_free(struct vec_set *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	free(s->ids);
	free(s->file);
	free(s->q8);
	free(s->scale);
	free(s->key);
	free(s);
}

static void set_unref(struct vec_cache *vc, struct vec_set *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&vc->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&vc->mu);
	if (last)
		set_free(s);
}

void sqlite_vec_cache_free(struct vec_cache *vc)
{
	if (!vc)
		return;
	while (vc->sets) {
		struct vec_set *s = vc->sets;

		vc->sets = s->next;
		set_unref(vc, s);
	}
	pthread_mutex_destroy(&vc->mu);
	free(vc);
}

/* Unlinks s (under vc->mu) and drops the cache's reference; returns true if it was the last. */
static bool unlink_locked(struct vec_cache *vc, struct vec_set **at)
{
	struct vec_set *s = *at;

	*at = s->next;
	return --s->refs == 0;
}

/* The copy for key at gen, with a reference taken, or NULL; drops stale and idle copies. */
static struct vec_set *cache_get(struct vec_cache *vc, const char *key, int64_t gen)
{
	struct vec_set *found = NULL, *dead = NULL;
	int64_t now = clock_ms();

	pthread_mutex_lock(&vc->mu);
	for (struct vec_set **at = &vc->sets; *at;) {
		struct vec_set *s = *at;
		bool match = strcmp(s->key, key) == 0;

		if ((match && s->gen != gen) || (!match && now - s->used_ms > VEC_IDLE_MS)) {
			if (unlink_locked(vc, at)) {
				s->next = dead;
				dead = s;
			}
			continue;
		}
		if (match) {
			found = s;
			s->refs++;
			s->used_ms = now;
		}
		at = &s->next;
	}
	pthread_mutex_unlock(&vc->mu);
	for (struct vec_set *next; dead; dead = next) {
		next = dead->next;
		set_free(dead);
	}
	return found;
}

/* Adds a freshly loaded copy (one reference is the caller's), replacing one of the same key. */
static void cache_put(struct vec_cache *vc, struct vec_set *s)
{
	struct vec_set *old = NULL;

	pthread_mutex_lock(&vc->mu);
	for (struct vec_set **at = &vc->sets; *at; at = &(*at)->next) {
		if (strcmp((*at)->key, s->key) == 0) {
			old = *at;
			if (!unlink_locked(vc, at))
				old = NULL;
			break;
		}
	}
	s->refs = 2;
	s->used_ms = clock_ms();
	s->next = vc->sets;
	vc->sets = s;
	pthread_mutex_unlock(&vc->mu);
	if (old)
		set_free(old);
}

/* --- Loading a store's vectors --- */

static int read_gen(sqlite3 *db, const char *vs, int64_t *gen)
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(db, "SELECT gen FROM vec_gen WHERE vector_store_id = ?1", &s,
			       "vector gen", "s", vs);

	if (!err)
		err = sqlite_step(db, s, "vector gen", &row);
	*gen = row ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return err;
}

/* Writes v (dims floats, unaligned) as int8 values out[i] = round(v[i] / scale), scale being
 * max |v[i]| / 127, and returns scale. A quarter of the memory, and a scan four times lighter
 * on memory bandwidth; the best hits are scored again exactly (hit_fill). */
static float quantise(const void *v, int dims, int8_t *out)
{
	float max = 0;
	float x;

	for (int i = 0; i < dims; i++) {
		memcpy(&x, (const char *)v + (size_t)i * sizeof(float), sizeof(x));
		max = fabsf(x) > max ? fabsf(x) : max;
	}
	for (int i = 0; i < dims; i++) {
		memcpy(&x, (const char *)v + (size_t)i * sizeof(float), sizeof(x));
		out[i] = (int8_t)lrintf(max > 0 ? x * 127 / max : 0);
	}
	return max / 127;
}

/* Appends the row's chunk when its vector has the set's length (the first one sets it). */
static void set_add(struct vec_set *v, sqlite3_stmt *s)
{
	const char *file = (const char *)sqlite3_column_text(s, 1);
	int bytes = sqlite3_column_bytes(s, 2);
	const void *blob = sqlite3_column_blob(s, 2);

	if (v->dims == 0)
		v->dims = bytes / (int)sizeof(float);
	if (!blob || v->dims == 0 || bytes != v->dims * (int)sizeof(float))
		return;
	if (v->nfiles == 0 || strcmp(v->files[v->nfiles - 1], file) != 0) {
		v->files = xrealloc(v->files, (v->nfiles + 1) * sizeof(*v->files));
		v->files[v->nfiles++] = xstrdup(file);
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->ids = xrealloc(v->ids, v->cap * sizeof(*v->ids));
		v->file = xrealloc(v->file, v->cap * sizeof(*v->file));
		v->q8 = xrealloc(v->q8, v->cap * (size_t)v->dims);
		v->scale = xrealloc(v->scale, v->cap * sizeof(*v->scale));
	}
	v->ids[v->n] = sqlite3_column_int64(s, 0);
	v->file[v->n] = (uint32_t)(v->nfiles - 1);
	v->scale[v->n] = quantise(blob, v->dims, v->q8 + v->n * (size_t)v->dims);
	v->n++;
}

/* Reads the vectors of vs, grouped by file in file id order (the chunks_file index's). */
static int set_load(sqlite3 *db, const char *project, const char *vs, struct vec_set *v)
{
	sqlite3_stmt *s = NULL;
	bool row = true;
	int err = sqlite_query(db, "SELECT id, file_id, vec FROM chunks WHERE project = ?1 AND "
			       "vector_store_id = ?2 AND vec IS NOT NULL ORDER BY file_id", &s,
			       "vectors", "ss", project, vs);

	while (!err) {
		err = sqlite_step(db, s, "vectors", &row);
		if (err || !row)
			break;
		set_add(v, s);
	}
	sqlite3_finalize(s);
	return err;
}

/* The copy of vs's vectors as of the reader's snapshot, with a reference taken. */
static int set_for(struct sqlite_store *st, sqlite3 *db, const char *project, const char *vs,
		   struct vec_set **out)
{
	char *key = xasprintf("%s/%s", project, vs);
	struct vec_set *v;
	int64_t gen = 0;
	int err = read_gen(db, vs, &gen);

	*out = NULL;
	v = err ? NULL : cache_get(st->vc, key, gen);
	if (err || v) {
		free(key);
		*out = v;
		return err;
	}
	v = xcalloc(1, sizeof(*v));
	v->key = key;
	v->gen = gen;
	err = set_load(db, project, vs, v);
	if (err) {
		set_free(v);
		return err;
	}
	cache_put(st->vc, v);
	*out = v;
	return 0;
}

/* --- A search --- */

/* What one search holds: the copies, and per copy which of its files may be searched (the
 * completed ones that pass the filter). */
struct vrun {
	struct vec_set *sets[VEC_MAX_STORES];
	bool *allow[VEC_MAX_STORES];
	size_t nsets;
};

static int cmp_file(const void *key, const void *item)
{
	return strcmp(key, *(char *const *)item);
}

/* Marks file id of store k as searched. */
static void allow_file(struct vrun *r, size_t k, const char *id)
{
	struct vec_set *v = r->sets[k];
	char **at = v->nfiles ? bsearch(id, v->files, v->nfiles, sizeof(*v->files), cmp_file)
			      : NULL;

	if (at)
		r->allow[k][at - v->files] = true;
}

static int bind_files(sqlite3 *db, sqlite3_stmt *s, const char *project,
		      const struct store_vsearch *q, const struct fsql *f)
{
	int rc = sqlite3_bind_text(s, 2, project, -1, SQLITE_STATIC);

	for (size_t i = 0; i < VEC_MAX_STORES && rc == SQLITE_OK; i++) {
		rc = i < q->nvs ? sqlite3_bind_text(s, 3 + (int)i, q->vs[i], -1, SQLITE_STATIC)
				: sqlite3_bind_null(s, 3 + (int)i);
	}
	if (rc == SQLITE_OK)
		rc = sqlite_filter_bind(s, f);
	return rc == SQLITE_OK ? 0 : sqlite_fail(db, "vector files");
}

/* Fills r->allow from the completed files of the stores that pass the filter. */
static int allowed_files(sqlite3 *db, const char *project, const struct store_vsearch *q,
			 const struct fsql *f, struct vrun *r)
{
	char *sql = xasprintf("SELECT f.vector_store_id, f.file_id FROM vs_files f "
			      "WHERE f.project = ?2 AND f.vector_store_id IN (?3, ?4, ?5, ?6, ?7, "
			      "?8, ?9, ?10) AND f.status = 'completed' AND (%s)", f->b.p);
	sqlite3_stmt *s = NULL;
	bool row = true;
	int err = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		err = sqlite_fail(db, "vector files");
	if (!err)
		err = bind_files(db, s, project, q, f);
	while (!err) {
		err = sqlite_step(db, s, "vector files", &row);
		if (err || !row)
			break;
		for (size_t k = 0; k < r->nsets; k++) {
			if (strcmp((const char *)sqlite3_column_text(s, 0), q->vs[k]) == 0)
				allow_file(r, k, (const char *)sqlite3_column_text(s, 1));
		}
	}
	sqlite3_finalize(s);
	free(sql);
	return err;
}

/* GNU C vectors: eight lanes at a time, whatever the target's SIMD (SSE2 at least on x86-64).
 * An int8 product fits int16 (127 * 127), which has a plain SIMD multiply; sums go to int32. */
/* The dot product of two int8 vectors of n values. On x86-64 (SSE2 is always there) 16
 * values a step: sign-extended to 16 bits, multiplied and added in pairs to 32 bits
 * (pmaddwd), the sums kept in four lanes; elsewhere plain C, which compilers vectorise. */
#ifdef __SSE2__
static int32_t dot8(const int8_t *a, const int8_t *b, int n)
{
	__m128i acc = _mm_setzero_si128();
	int32_t lanes[4];
	int32_t sum = 0;
	int i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		__m128i xs = _mm_cmpgt_epi8(_mm_setzero_si128(), x);
		__m128i ys = _mm_cmpgt_epi8(_mm_setzero_si128(), y);

		acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpacklo_epi8(x, xs),
							_mm_unpacklo_epi8(y, ys)));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpackhi_epi8(x, xs),
							_mm_unpackhi_epi8(y, ys)));
	}
	_mm_storeu_si128((__m128i *)(void *)lanes, acc);
	for (; i < n; i++)
		sum += (int32_t)a[i] * b[i];
	return sum + lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#else
static int32_t dot8(const int8_t *a, const int8_t *b, int n)
{
	int32_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += (int32_t)a[i] * b[i];
	return sum;
}
#endif

/* The exact cosine of the query and a stored vector (blob: dims floats, unaligned). */
static float dot_blob(const float *q, const void *blob, int dims)
{
	float sum = 0;
	float x;

	for (int i = 0; i < dims; i++) {
		memcpy(&x, (const char *)blob + (size_t)i * sizeof(float), sizeof(x));
		sum += q[i] * x;
	}
	return sum;
}

/* The best hits so far, best first: which chunk (copy k, row i) and its cosine. */
struct top {
	struct { float score; uint32_t k; size_t i; } *e;
	size_t n, max;
};

static void top_offer(struct top *t, float score, uint32_t k, size_t i)
{
	size_t at = t->n < t->max ? t->n : t->max - 1;

	if (t->n == t->max && score <= t->e[at].score)
		return;
	while (at > 0 && t->e[at - 1].score < score) {
		t->e[at] = t->e[at - 1];
		at--;
	}
	t->e[at].score = score;
	t->e[at].k = k;
	t->e[at].i = i;
	if (t->n < t->max)
		t->n++;
}

/* Offers every searched vector, scored by the quantised dot product. */
static void scan(const struct vrun *r, const struct store_vsearch *q, struct top *t)
{
	int8_t *q8 = xmalloc((size_t)q->dims);
	float qscale = quantise(q->vec, q->dims, q8);

	for (size_t k = 0; k < r->nsets; k++) {
		const struct vec_set *v = r->sets[k];

		if (!v || v->dims != q->dims)
			continue;
		for (size_t i = 0; i < v->n; i++) {
			if (r->allow[k][v->file[i]])
				top_offer(t, (float)dot8(q8, v->q8 + i * (size_t)v->dims, v->dims) *
					  qscale * v->scale[i], (uint32_t)k, i);
		}
	}
	free(q8);
}

/* What a hit is read with (?1 the chunk id); prepared once a search. */
static const char hit_sql[] =
	"SELECT c.file_id, f.filename, coalesce(json_extract(f.body, '$.attributes'), 'null'), "
	"c.text, c.vec FROM chunks c CROSS JOIN vs_files f ON f.project = c.project AND "
	"f.vector_store_id = c.vector_store_id AND f.file_id = c.file_id WHERE c.id = ?1";

/* Fills hit h for chunk id with s (hit_sql), reading its text, its file's name and
 * attributes, and its vector for the exact cosine with q (the scan's quantised one, approx,
 * when the vector is gone). */
static int hit_fill(sqlite3 *db, sqlite3_stmt *s, int64_t id, const struct store_vsearch *q,
		    float approx, struct store_hit *h)
{
	bool row = false;
	int err = sqlite3_bind_int64(s, 1, id) == SQLITE_OK ? 0 : sqlite_fail(db, "vector hit");

	if (!err)
		err = sqlite_step(db, s, "vector hit", &row);
	/* The copy matched this snapshot's gen, so the chunk is there; still, never a NULL. */
	h->chunk = id;
	h->file_id = row ? sqlite_col_dup(s, 0) : xstrdup("");
	h->filename = row ? sqlite_col_dup(s, 1) : xstrdup("");
	h->attributes = row ? sqlite_col_dup(s, 2) : xstrdup("null");
	h->text = row ? sqlite_col_dup(s, 3) : xstrdup("");
	h->cosine = approx;
	if (row && sqlite3_column_bytes(s, 4) == q->dims * (int)sizeof(float))
		h->cosine = dot_blob(q->vec, sqlite3_column_blob(s, 4), q->dims);
	sqlite3_reset(s);
	return err;
}

static int by_cosine(const void *a, const void *b)
{
	const struct store_hit *x = a, *y = b;

	if (x->cosine != y->cosine)
		return x->cosine < y->cosine ? 1 : -1;
	return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}

/* Sorts the rescored hits and keeps the best max. */
static void hits_best(struct store_hit *hits, size_t *n, size_t max)
{
	if (*n > 1)
		qsort(hits, *n, sizeof(*hits), by_cosine);
	for (; *n > max; (*n)--) {
		struct store_hit *h = &hits[*n - 1];

		free(h->file_id);
		free(h->filename);
		free(h->attributes);
		free(h->text);
	}
}

static void vrun_cleanup(struct sqlite_store *st, struct vrun *r)
{
	for (size_t k = 0; k < r->nsets; k++) {
		free(r->allow[k]);
		set_unref(st->vc, r->sets[k]);
	}
}

/* Takes the copies of the searched stores and marks the files the search may return. */
static int vrun_open(struct sqlite_store *st, sqlite3 *db, const char *project,
		     const struct store_vsearch *q, const struct fsql *f, struct vrun *r)
{
	int err = 0;

	for (size_t k = 0; k < q->nvs && !err; k++) {
		err = set_for(st, db, project, q->vs[k], &r->sets[k]);
		if (err)
			break;
		r->nsets++;
		r->allow[k] = xcalloc(r->sets[k]->nfiles + 1, sizeof(bool));
	}
	if (!err)
		err = allowed_files(db, project, q, f, r);
	return err;
}

/* Reads the top hits, each scored again exactly. */
static int hits_read(sqlite3 *db, const struct vrun *r, const struct top *t,
		     const struct store_vsearch *q, struct store_hit *hits, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int err = t->n ? sqlite_query(db, hit_sql, &s, "vector hit", "") : 0;

	for (size_t i = 0; i < t->n && !err; i++) {
		const struct vec_set *v = r->sets[t->e[i].k];

		err = hit_fill(db, s, v->ids[t->e[i].i], q, t->e[i].score, &hits[(*n)++]);
	}
	sqlite3_finalize(s);
	return err;
}

static int vec_search(struct sqlite_store *st, sqlite3 *db, const char *project,
		      const struct store_vsearch *q, const struct fsql *f, struct store_hit *hits,
		      size_t *n)
{
	struct vrun r = { 0 };
	struct top t = { .max = (size_t)q->limit * VEC_RESCORE };
	int err = vrun_open(st, db, project, q, f, &r);

	t.e = xcalloc(t.max, sizeof(*t.e));
	if (!err)
		scan(&r, q, &t);
	if (!err)
		err = hits_read(db, &r, &t, q, hits, n);
	free(t.e);
	vrun_cleanup(st, &r);
	if (!err)
		hits_best(hits, n, (size_t)q->limit);
	return err;
}

int sqlite_vec_search(struct store *base, const char *project, const struct store_vsearch *q,
		     struct store_hit **hits, size_t *n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c = NULL;
	struct fsql f;
	int err;

	*hits = NULL;
	*n = 0;
	if (q->nvs < 1 || q->nvs > VEC_MAX_STORES || q->limit < 1 || q->dims < 1)
		return ERR_INVALID;
	err = sqlite_filter_compile(&f, q->filters, VEC_FIRST_FILTER_PARAM);
	if (!err)
		err = sqlite_read(st, &c);
	if (!err) {
		*hits = xcalloc((size_t)q->limit * VEC_RESCORE, sizeof(**hits));
		err = vec_search(st, c->db, project, q, &f, *hits, n);
		sqlite_read_done(st, c, err);
	}
	sqlite_filter_cleanup(&f);
	if (err) {
		store_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	return err;
}
