/* sqlite_vec.c - vector search for the SQLite store (vecstore.h).
 *
 * The vectors live in chunks.vec (float32); searching reads them from memory, from the
 * per-store copies of vec_mem.h, each tagged with the store's vec_gen.gen (bumped by triggers
 * whenever a chunk with a vector comes or goes, whichever process did it). A search reads the
 * gen of each searched store, reloads a copy that is behind, asks SQLite which files are
 * completed and pass the filter, scans (vec_mem.c), reads the best candidates (text, file,
 * float32 vector), scores them again exactly and keeps the best. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "sqlite_int.h"
#include "vec_mem.h"
#include "vecstore.h"

#define VEC_FIRST_FILTER_PARAM 11 /* ?2 project, ?3..?10 stores, then the filter's values */
int sqlite_vec_bind(sqlite3_stmt *s, int i, const float *vec, int dims)
{
	if (!vec)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_blob(s, i, vec, dims * (int)sizeof(float), SQLITE_STATIC);
}

struct vec_cache *sqlite_vec_cache_new(void)
{
	return vec_cache_new();
}

void sqlite_vec_cache_free(struct vec_cache *vc)
{
	vec_cache_free(vc);
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
		vec_set_add(v, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
			    sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
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
	v = err ? NULL : vec_cache_get(st->vc, key, gen);
	if (err || v) {
		free(key);
		*out = v;
		return err;
	}
	v = vec_set_new(key, gen);
	err = set_load(db, project, vs, v);
	if (err) {
		vec_set_free(v);
		return err;
	}
	vec_cache_put(st->vc, v);
	*out = v;
	return 0;
}

/* --- A search --- */

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
			 const struct fsql *f, struct vec_run *r)
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
				vec_run_allow(r, k, (const char *)sqlite3_column_text(s, 1));
		}
	}
	sqlite3_finalize(s);
	free(sql);
	return err;
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
	int err = sqlite3_bind_int64(s, 1, id) == SQLITE_OK ? 0 : ERR_DB;

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
		h->cosine = vec_dot(q->vec, sqlite3_column_blob(s, 4), q->dims);
	sqlite3_reset(s);
	return err;
}

/* Takes the copies of the searched stores and marks the files the search may return. */
static int vrun_open(struct sqlite_store *st, sqlite3 *db, const char *project,
		     const struct store_vsearch *q, const struct fsql *f, struct vec_run *r)
{
	int err = 0;

	for (size_t k = 0; k < q->nvs && !err; k++) {
		struct vec_set *v = NULL;

		err = set_for(st, db, project, q->vs[k], &v);
		if (!err)
			vec_run_add(r, v);
	}
	if (!err)
		err = allowed_files(db, project, q, f, r);
	return err;
}

static int vec_search(struct sqlite_store *st, sqlite3 *db, const char *project,
		      const struct store_vsearch *q, const struct fsql *f, struct store_hit *hits,
		      size_t *n)
{
	struct vec_run r = { 0 };
	struct vec_top t = { .max = (size_t)q->limit * VEC_RESCORE };
	int err = vrun_open(st, db, project, q, f, &r);

	sqlite3_stmt *s = NULL;

	t.e = xcalloc(t.max, sizeof(*t.e));
	if (!err)
		vec_scan(&r, q, &t);
	if (!err && t.n)
		err = sqlite_query(db, hit_sql, &s, "vector hit", "");
	for (size_t i = 0; i < t.n && !err; i++) {
		const struct vec_set *v = r.sets[t.e[i].k];

		err = hit_fill(db, s, v->ids[t.e[i].i], q, t.e[i].score, &hits[(*n)++]);
	}
	sqlite3_finalize(s);
	free(t.e);
	vec_run_cleanup(st->vc, &r);
	if (!err)
		vec_hits_best(hits, n, (size_t)q->limit);
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
