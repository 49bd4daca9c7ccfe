/* vec_mem.c - the vector copies, their cache and the scan that both store backends' vector
 * searches use (vec_mem.h).
 *
 * A copy keeps, per vector store, every chunk id, the index of its file and its vector
 * quantised to int8 (a quarter of the memory and of the bytes a scan reads), loaded in one
 * scan of the database by the backend. A copy is reference counted, so dropping a stale one
 * never frees one a search still reads; a copy no search used for VEC_IDLE_MS is dropped. A
 * scan compares the query with every allowed vector, keeps VEC_RESCORE times the hits
 * wanted, and the backend scores those again exactly from their float32 vectors. */
#include "vec_mem.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "../base/alloc.h"
#include "../base/clock.h"

#define VEC_IDLE_MS (10 * 60 * 1000)

struct vec_cache {
	pthread_mutex_t mu;
	struct vec_set *sets;
};

/* --- The cache --- */

struct vec_cache *vec_cache_new(void)
{
	struct vec_cache *vc = xcalloc(1, sizeof(*vc));

	pthread_mutex_init(&vc->mu, NULL);
	return vc;
}

void vec_set_free(struct vec_set *s)
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

void vec_set_unref(struct vec_cache *vc, struct vec_set *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&vc->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&vc->mu);
	if (last)
		vec_set_free(s);
}

void vec_cache_free(struct vec_cache *vc)
{
	if (!vc)
		return;
	while (vc->sets) {
		struct vec_set *s = vc->sets;

		vc->sets = s->next;
		vec_set_unref(vc, s);
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
struct vec_set *vec_cache_get(struct vec_cache *vc, const char *key, int64_t gen)
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
		vec_set_free(dead);
	}
	return found;
}

void vec_cache_put(struct vec_cache *vc, struct vec_set *s)
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
		vec_set_free(old);
}

void vec_cache_drop(struct vec_cache *vc, const char *key)
{
	struct vec_set *dead = NULL;

	pthread_mutex_lock(&vc->mu);
	for (struct vec_set **at = &vc->sets; *at;) {
		struct vec_set *s = *at;

		if (key && strcmp(s->key, key) != 0) {
			at = &s->next;
			continue;
		}
		if (unlink_locked(vc, at)) {
			s->next = dead;
			dead = s;
		}
	}
	pthread_mutex_unlock(&vc->mu);
	for (struct vec_set *next; dead; dead = next) {
		next = dead->next;
		vec_set_free(dead);
	}
}

/* --- Loading a copy --- */

struct vec_set *vec_set_new(char *key, int64_t gen)
{
	struct vec_set *v = xcalloc(1, sizeof(*v));

	v->key = key;
	v->gen = gen;
	return v;
}

/* Writes v (dims floats, unaligned) as int8 values out[i] = round(v[i] / scale), scale being
 * max |v[i]| / 127, and returns scale. A quarter of the memory, and a scan four times lighter
 * on memory bandwidth; the backends score the best hits again exactly (vec_dot). */
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

void vec_set_add(struct vec_set *v, int64_t id, const char *file, const void *vec,
		 size_t bytes)
{
	if (v->dims == 0)
		v->dims = (int)(bytes / sizeof(float));
	if (!vec || v->dims == 0 || bytes != (size_t)v->dims * sizeof(float))
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
	v->ids[v->n] = id;
	v->file[v->n] = (uint32_t)(v->nfiles - 1);
	v->scale[v->n] = quantise(vec, v->dims, v->q8 + v->n * (size_t)v->dims);
	v->n++;
}

/* --- A search --- */

void vec_run_add(struct vec_run *r, struct vec_set *s)
{
	r->allow[r->nsets] = xcalloc(s->nfiles + 1, sizeof(bool));
	r->sets[r->nsets++] = s;
}

static int cmp_file(const void *key, const void *item)
{
	return strcmp(key, *(char *const *)item);
}

void vec_run_allow(struct vec_run *r, size_t k, const char *id)
{
	struct vec_set *v = r->sets[k];
	char **at = v->nfiles ? bsearch(id, v->files, v->nfiles, sizeof(*v->files), cmp_file)
			      : NULL;

	if (at)
		r->allow[k][at - v->files] = true;
}

void vec_run_cleanup(struct vec_cache *vc, struct vec_run *r)
{
	for (size_t k = 0; k < r->nsets; k++) {
		free(r->allow[k]);
		vec_set_unref(vc, r->sets[k]);
	}
	r->nsets = 0;
}

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

float vec_dot(const float *q, const void *vec, int dims)
{
	float sum = 0;
	float x;

	for (int i = 0; i < dims; i++) {
		memcpy(&x, (const char *)vec + (size_t)i * sizeof(float), sizeof(x));
		sum += q[i] * x;
	}
	return sum;
}

static void top_offer(struct vec_top *t, float score, uint32_t k, size_t i)
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

void vec_scan(const struct vec_run *r, const struct store_vsearch *q, struct vec_top *t)
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

static int by_cosine(const void *a, const void *b)
{
	const struct store_hit *x = a, *y = b;

	if (x->cosine != y->cosine)
		return x->cosine < y->cosine ? 1 : -1;
	return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}

void vec_hits_best(struct store_hit *hits, size_t *n, size_t max)
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

