/* pg_vec.c - vector search for the PostgreSQL store (vecstore.h).
 *
 * Debian 12 has no pgvector, so the vectors live in chunks.vec as bytea (float32, native byte
 * order) and are scored on the node, as on SQLite: from per-store copies in memory
 * (vec_mem.h), which the listener (pg_vec_listen.c) drops when a store's chunks change. A
 * search takes each searched store's copy (loading it in one scan when there is none), asks
 * the database which files are completed and pass the filter, scans, then reads the best
 * candidates' texts, files and float32 vectors in one statement and scores them again
 * exactly. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "pg_vs_int.h"

/* allowed_sql's parameters: $1 project, $2..$9 stores, then the filter's values */
#define VEC_FIRST_FILTER_PARAM 10

/* Reads the vectors of vs into v, grouped by file in file id order (bytewise, as
 * vec_run_allow looks them up). */
static int set_load(struct pg_conn *c, const char *project, const char *vs, struct vec_set *v)
{
	struct pgv_params p;
	PGresult *r = NULL;
	int err;

	pgv_params_init(&p);
	pgv_param_str(&p, project);
	pgv_param_str(&p, vs);
	err = pgv_exec(c, &r, "vectors", "SELECT id, file_id, vec FROM chunks WHERE project = $1 "
		       "AND vector_store_id = $2 AND vec IS NOT NULL ORDER BY file_id COLLATE \"C\"",
		       &p, true);
	for (int i = 0; !err && i < PQntuples(r); i++)
		vec_set_add(v, pgv_be64(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			    (size_t)PQgetlength(r, i, 2));
	PQclear(r);
	pgv_params_cleanup(&p);
	return err;
}

/* The copy of vs's vectors with a reference taken: the cached one, or one loaded now, which
 * is cached only when no change was announced while it loaded. */
static int set_for(struct pg_store *ps, struct pg_conn *c, const char *project, const char *vs,
		   struct vec_set **out)
{
	struct pg_vec_cache *pc = ps->vs->vec;
	char *key = xasprintf("%s/%s", project, vs);
	uint64_t before, after;
	bool live = pg_vec_cache_epoch(pc, &before);
	struct vec_set *v = live ? vec_cache_get(pg_vec_cache_mem(pc), key, 0) : NULL;
	int err;

	*out = v;
	if (v) {
		free(key);
		return 0;
	}
	v = vec_set_new(key, 0);
	err = set_load(c, project, vs, v);
	if (err) {
		vec_set_free(v);
		return err;
	}
	if (live && pg_vec_cache_epoch(pc, &after) && after == before)
		vec_cache_put(pg_vec_cache_mem(pc), v);
	else
		v->refs = 1;
	*out = v;
	return 0;
}

/* Marks in r the completed files of the stores that pass the filter. */
static int allowed_files(struct pg_conn *c, const char *project, const struct store_vsearch *q,
			 const struct pg_fsql *f, struct vec_run *r)
{
	char *sql = xasprintf("SELECT f.vector_store_id, f.file_id FROM vs_files f "
			      "WHERE f.project = $1 AND f.vector_store_id IN ($2, $3, $4, $5, $6, "
			      "$7, $8, $9) AND f.status = 'completed' AND (%s)", f->b.p);
	struct pgv_params p;
	PGresult *res = NULL;
	int err;

	pgv_params_init(&p);
	pgv_param_str(&p, project);
	for (size_t i = 0; i < VEC_MAX_STORES; i++)
		pgv_param_str(&p, i < q->nvs ? q->vs[i] : NULL);
	for (size_t i = 0; i < f->n; i++)
		pgv_param_str(&p, f->vals[i]);
	err = pgv_exec(c, &res, "vector files", sql, &p, false);
	for (int i = 0; !err && i < PQntuples(res); i++) {
		for (size_t k = 0; k < r->nsets; k++) {
			if (strcmp(PQgetvalue(res, i, 0), q->vs[k]) == 0)
				vec_run_allow(r, k, PQgetvalue(res, i, 1));
		}
	}
	PQclear(res);
	pgv_params_cleanup(&p);
	free(sql);
	return err;
}

/* Takes the copies of the searched stores and marks the files the search may return. */
static int run_open(struct pg_store *ps, struct pg_conn *c, const char *project,
		    const struct store_vsearch *q, const struct pg_fsql *f, struct vec_run *r)
{
	int err = 0;

	for (size_t k = 0; k < q->nvs && !err; k++) {
		struct vec_set *v = NULL;

		err = set_for(ps, c, project, q->vs[k], &v);
		if (!err)
			vec_run_add(r, v);
	}
	if (!err)
		err = allowed_files(c, project, q, f, r);
	return err;
}

/* The candidates' chunk ids as an int8[] literal. Owned. */
static char *ids_array(const struct vec_run *r, const struct vec_top *t)
{
	struct buf b;
	int err;

	buf_init(&b, 0); /* unlimited: appends cannot fail */
	err = buf_putc(&b, '{');
	for (size_t i = 0; i < t->n && !err; i++)
		err = buf_printf(&b, "%s%lld", i ? "," : "",
				 (long long)r->sets[t->e[i].k]->ids[t->e[i].i]);
	if (!err)
		err = buf_putc(&b, '}');
	return buf_release(&b);
}

/* Fills hit h from row i of the hits' rows (binary), scoring its vector exactly. */
static void hit_from_row(PGresult *res, int i, const struct store_vsearch *q,
			 struct store_hit *h)
{
	h->chunk = pgv_be64(PQgetvalue(res, i, 0));
	h->file_id = xstrdup(PQgetvalue(res, i, 1));
	h->filename = xstrdup(PQgetvalue(res, i, 2));
	h->attributes = xstrdup(PQgetvalue(res, i, 3));
	h->text = xstrdup(PQgetvalue(res, i, 4));
	if (PQgetlength(res, i, 5) == q->dims * (int)sizeof(float))
		h->cosine = vec_dot(q->vec, PQgetvalue(res, i, 5), q->dims);
}

/* Reads the candidates of t into hits. A chunk deleted since its copy was loaded is left
 * out. */
static int hits_read(struct pg_conn *c, const struct vec_run *r, const struct vec_top *t,
		     const struct store_vsearch *q, struct store_hit *hits, size_t *n)
{
	char *ids = ids_array(r, t);
	struct pgv_params p;
	PGresult *res = NULL;
	int err;

	pgv_params_init(&p);
	pgv_param_str(&p, ids);
	err = pgv_exec(c, &res, "vector hits", "SELECT c.id, c.file_id, f.filename, "
		       "coalesce(f.body->'attributes', 'null')::text, c.text, c.vec FROM chunks c "
		       "JOIN vs_files f ON f.project = c.project AND f.vector_store_id = "
		       "c.vector_store_id AND f.file_id = c.file_id WHERE c.id = "
		       "ANY($1::bigint[])", &p, true);
	for (int i = 0; !err && i < PQntuples(res); i++)
		hit_from_row(res, i, q, &hits[(*n)++]);
	PQclear(res);
	pgv_params_cleanup(&p);
	free(ids);
	return err;
}

/* store_vec_search's call, for pg_with. */
struct vsearch_call {
	struct pg_store *ps;
	const char *project;
	const struct store_vsearch *q;
	const struct pg_fsql *f;
	struct store_hit *hits;
	size_t n;
};

static int vec_search(struct pg_conn *c, void *ctx)
{
	struct vsearch_call *a = ctx;
	struct pg_store *ps = a->ps;
	const char *project = a->project;
	const struct store_vsearch *q = a->q;
	const struct pg_fsql *f = a->f;
	struct store_hit *hits = a->hits;
	size_t *n = &a->n;
	struct vec_run r = { 0 };
	struct vec_top t = { .max = (size_t)q->limit * VEC_RESCORE };
	int err;

	store_hits_clear(hits, n);
	err = run_open(ps, c, project, q, f, &r);
	t.e = xcalloc(t.max, sizeof(*t.e));
	if (!err)
		vec_scan(&r, q, &t);
	if (!err && t.n > 0)
		err = hits_read(c, &r, &t, q, hits, n);
	free(t.e);
	vec_run_cleanup(pg_vec_cache_mem(ps->vs->vec), &r);
	if (!err)
		vec_hits_best(hits, n, (size_t)q->limit);
	return err;
}

int pg_vec_search(struct store *base, const char *project, const struct store_vsearch *q,
		  struct store_hit **hits, size_t *n)
{
	struct vsearch_call a = { .ps = pg_of(base), .project = project, .q = q };
	struct pg_fsql f;
	int err;

	*hits = NULL;
	*n = 0;
	if (q->nvs < 1 || q->nvs > VEC_MAX_STORES || q->limit < 1 || q->dims < 1)
		return ERR_INVALID;
	a.f = &f;
	err = pg_filter_compile(&f, q->filters, VEC_FIRST_FILTER_PARAM);
	if (!err) {
		*hits = xcalloc((size_t)q->limit * VEC_RESCORE, sizeof(**hits));
		a.hits = *hits;
		err = pg_with(a.ps, vec_search, &a);
		*n = a.n;
	}
	pg_filter_cleanup(&f);
	if (err) {
		store_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	return err;
}
