/* sqlite_search.c - keyword search over vector stores' chunks (vstore.h: store_search).
 *
 * One statement: the best chunks of the FTS5 match ranked by BM25 (assistd_bm25,
 * sqlite_rank.c; which words pick the candidates: sqlite_terms.c), then joined to their
 * chunks and files, keeping completed files of the searched stores whose attributes pass the
 * filter (sqlite_filter.c). The joins are CROSS JOINs, which SQLite takes as the order to run
 * them in. A filter that rejects many candidates widens the candidate set and runs again.
 * Merging queries and rankers is the search stage's work (src/tools/search.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "sqlite_int.h"
#include "vstore.h"

#define SEARCH_MAX_STORES 8
/* ?1 match, ?2 project, ?3..?10 stores, ?11 limit, ?12 scope phrases, ?13 candidates,
 * ?14 document frequencies */
#define FIRST_FILTER_PARAM 15
#define CANDIDATES_MIN 64         /* the first try ranks this many matches, at least */
#define CANDIDATES_MAX (1 << 22)  /* and a filtered search widens up to this many */

/* The best ?13 matches of the index come first (ranking reads only the index), then their
 * chunks and files, which the filter may still reject. Owned. */
static char *search_sql(const char *cond)
{
	return xasprintf(
		"WITH top(id, r) AS MATERIALIZED (SELECT rowid, assistd_bm25(chunks_fts, ?12, ?14) "
		"FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY 2 DESC LIMIT ?13) "
		"SELECT c.id, c.file_id, f.filename, coalesce(json_extract(f.body, "
		"'$.attributes'), 'null'), c.text, top.r, (SELECT count(*) FROM top) FROM top "
		"CROSS JOIN chunks c ON c.id = top.id CROSS JOIN vs_files f "
		"ON f.project = c.project AND f.vector_store_id = c.vector_store_id "
		"AND f.file_id = c.file_id WHERE c.project = ?2 AND c.vector_store_id IN (?3, ?4, "
		"?5, ?6, ?7, ?8, ?9, ?10) AND f.status = 'completed' AND (%s) "
		"ORDER BY top.r DESC LIMIT ?11", cond);
}

/* One way of running the search: its expression and ranking argument. */
struct pass {
	char *match;
	char *dfs;
	int64_t candidates;
};

static int bind_query(sqlite3 *db, sqlite3_stmt *s, const char *project,
		      const struct store_search *q, const struct fsql *f, const struct pass *ps)
{
	int rc = sqlite_bind(s, "ss", ps->match, project);

	for (size_t i = 0; i < SEARCH_MAX_STORES && rc == SQLITE_OK; i++) {
		rc = i < q->nvs ? sqlite3_bind_text(s, 3 + (int)i, q->vs[i], -1, SQLITE_STATIC)
				: sqlite3_bind_null(s, 3 + (int)i);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 11, q->limit);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 12, (int64_t)q->nvs);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 13, ps->candidates);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 14, ps->dfs, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite_filter_bind(s, f);
	return rc == SQLITE_OK ? 0 : sqlite_fail(db, "search");
}

static void hit_from_row(sqlite3_stmt *s, struct store_hit *h)
{
	h->chunk = sqlite3_column_int64(s, 0);
	h->file_id = sqlite_col_dup(s, 1);
	h->filename = sqlite_col_dup(s, 2);
	h->attributes = sqlite_col_dup(s, 3);
	h->text = sqlite_col_dup(s, 4);
	h->bm25 = sqlite3_column_double(s, 5);
}

/* Reads the hits; *full tells whether the candidates ran out (more may pass the filter). */
static int hits_read(sqlite3 *db, sqlite3_stmt *s, int limit, int64_t candidates,
		     struct store_hit *hits, size_t *n, bool *full)
{
	bool row = true;
	int err = 0;

	*full = true;
	while (!err && *n < (size_t)limit) {
		err = sqlite_step(db, s, "search", &row);
		if (err || !row)
			break;
		hit_from_row(s, &hits[(*n)++]);
		*full = sqlite3_column_int64(s, 6) >= candidates;
	}
	return err;
}

/* Runs one pass with more and more candidates until enough pass the filter, or the index has
 * no more matches. */
static int run_pass(sqlite3 *db, sqlite3_stmt *s, const char *project,
		    const struct store_search *q, const struct fsql *f, struct pass *ps,
		    struct store_hit *hits, size_t *n)
{
	bool full = true;
	int err = 0;

	ps->candidates = q->limit * 4 > CANDIDATES_MIN ? q->limit * 4 : CANDIDATES_MIN;
	for (; !err && full && *n < (size_t)q->limit && ps->candidates <= CANDIDATES_MAX;
	     ps->candidates *= 8) {
		store_hits_clear(hits, n);
		err = bind_query(db, s, project, q, f, ps);
		if (!err)
			err = hits_read(db, s, q->limit, ps->candidates, hits, n, &full);
		sqlite3_reset(s);
	}
	return err;
}

/* The search with only the essential words picking candidates is exact when the last result
 * outscores anything the other words alone could reach; else it runs again with more. Known
 * gap: a pass that already found as many hits as wanted does not run again (run_pass stops
 * at once), so those hits stay, the best of the chunks holding an essential word; ranking
 * exactly costs six times the CPU on 100k chunks (BENCHMARKS.md, vs_search_pg). */
static int run_search(sqlite3 *db, const char *project, const struct store_search *q,
		      struct terms_plan *p, const struct fsql *f, struct store_hit *hits, size_t *n)
{
	const char *scopes[SEARCH_MAX_STORES];
	char *sql = search_sql(f->b.p);
	sqlite3_stmt *s = NULL;
	struct pass ps = { 0 };
	bool more = true;
	double last;
	int err = 0;

	for (size_t i = 0; i < q->nvs; i++)
		scopes[i] = sqlite_vs_scope(q->vs[i]);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		err = sqlite_fail(db, "search");
	while (!err && more) {
		err = sqlite_terms_match(p, scopes, q->nvs, &ps.match, &ps.dfs);
		if (!err)
			err = run_pass(db, s, project, q, f, &ps, hits, n);
		free(ps.match);
		free(ps.dfs);
		ps.match = ps.dfs = NULL;
		last = *n > 0 ? hits[*n - 1].bm25 : 0;
		if (*n > 0 && terms_exact(p, *n, q->limit, last))
			break;
		more = terms_widen(p, *n, q->limit, last);
	}
	sqlite3_finalize(s);
	free(sql);
	return err;
}

int sqlite_search(struct store *base, const char *project, const struct store_search *q,
		 struct store_hit **hits, size_t *n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c = NULL;
	struct terms_plan p = { 0 };
	struct fsql f;
	int err;

	*hits = NULL;
	*n = 0;
	if (q->nvs < 1 || q->nvs > SEARCH_MAX_STORES || q->limit < 1)
		return ERR_INVALID;
	*hits = xcalloc((size_t)q->limit, sizeof(**hits));
	err = sqlite_filter_compile(&f, q->filters, FIRST_FILTER_PARAM);
	if (!err)
		err = sqlite_read(st, &c);
	if (!err) {
		err = sqlite_terms_plan(st, c, q->words, q->nwords, &p);
		if (!err && p.n > 0)
			err = run_search(c->db, project, q, &p, &f, *hits, n);
		sqlite_read_done(st, c, err);
	}
	terms_cleanup(&p);
	sqlite_filter_cleanup(&f);
	if (err) {
		store_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	return err;
}
