/* sqlite_search.c - keyword search over vector stores' chunks (vstore.h: store_search).
 *
 * One statement: the FTS5 match ranked by BM25 (assistd_bm25, sqlite_rank.c), joined to the
 * chunks and to their files, keeping completed files of the searched stores whose attributes
 * pass the filter. The filter (a ComparisonFilter/CompoundFilter the API validated) is
 * compiled here into a SQL condition on the file's attributes, every value bound as a
 * parameter. The joins are CROSS JOINs, which SQLite takes as the order to run them in: the
 * match first, then each matched chunk's row and file. This file does not normalise scores
 * or merge queries: that is the search stage's work (src/tools). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "sqlite_int.h"
#include "vstore.h"

#define SEARCH_MAX_STORES 8
/* ?1 match, ?2 project, ?3..?10 stores, ?11 limit, ?12 scope phrases, ?13 candidates */
#define FIRST_FILTER_PARAM 14
#define CANDIDATES_MIN 64         /* the first try ranks this many matches, at least */
#define CANDIDATES_MAX (1 << 22)  /* and a filtered search widens up to this many */

/* A filter compiled to SQL: the condition text and its parameters, in order. */
struct fsql {
	struct buf b;
	const jv **vals; /* the JSON scalar bound to parameter FIRST_FILTER_PARAM + i */
	char **paths;    /* or, when vals[i] is NULL, this JSON path */
	size_t n, cap;
};

/* Adds a parameter (a JSON value, or a path when v is NULL) and returns its number. */
static int param(struct fsql *f, const jv *v, const char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->vals = xrealloc(f->vals, f->cap * sizeof(*f->vals));
		f->paths = xrealloc(f->paths, f->cap * sizeof(*f->paths));
	}
	f->vals[f->n] = v;
	f->paths[f->n] = path ? xstrdup(path) : NULL;
	return FIRST_FILTER_PARAM + (int)f->n++;
}

static const struct {
	const char *type;
	const char *sql;
} cmp_ops[] = {
	{ "eq", "=" }, { "ne", "=" }, { "gt", ">" }, { "gte", ">=" }, { "lt", "<" },
	{ "lte", "<=" }, { "in", "=" }, { "nin", "=" },
};

static const char *cmp_sql(const char *type)
{
	for (size_t i = 0; i < sizeof(cmp_ops) / sizeof(cmp_ops[0]); i++) {
		if (strcmp(cmp_ops[i].type, type) == 0)
			return cmp_ops[i].sql;
	}
	return NULL;
}

/* The attribute at path compared with one scalar: false (0) when the attribute is missing or
 * of another JSON type, so that strings compare with strings and numbers with numbers. */
static int scalar(struct fsql *f, int p, const char *op, const jv *v)
{
	int vp;

	if (jv_is_bool(v)) {
		if (strcmp(op, "=") != 0)
			return buf_puts(&f->b, "0");
		return buf_printf(&f->b, "coalesce(json_type(f.body, ?%d) = '%s', 0)", p,
				  jv_true(v) ? "true" : "false");
	}
	if (!jv_is_string(v) && !jv_is_number(v))
		return buf_puts(&f->b, "0");
	vp = param(f, v, NULL);
	return buf_printf(&f->b, "coalesce(json_type(f.body, ?%d) %s AND json_extract(f.body, "
			  "?%d) %s ?%d, 0)", p, jv_is_string(v) ? "= 'text'" :
			  "IN ('integer', 'real')", p, op, vp);
}

/* Any of the values equal: an "in" list (or an eq with an array value). */
static int any_of(struct fsql *f, int p, const jv *arr)
{
	int err = buf_puts(&f->b, "(0");

	for (size_t i = 0; i < jv_size(arr) && !err; i++) {
		err = buf_puts(&f->b, " OR ");
		if (!err)
			err = scalar(f, p, "=", jv_at(arr, i));
	}
	return err ? err : buf_putc(&f->b, ')');
}

static int comparison(struct fsql *f, const jv *c)
{
	const char *type = jv_get_str(c, "type");
	const char *key = jv_get_str(c, "key");
	const jv *v = jv_get(c, "value");
	bool negate = strcmp(type, "ne") == 0 || strcmp(type, "nin") == 0;
	const char *op = cmp_sql(type);
	char path[128];
	int p, err;

	/* A key SQLite's JSON paths cannot quote matches nothing. */
	if (!op || !key || strchr(key, '"') || strlen(key) > 64)
		return buf_puts(&f->b, negate ? "1" : "0");
	snprintf(path, sizeof(path), "$.attributes.\"%s\"", key);
	p = param(f, NULL, path);
	err = buf_puts(&f->b, negate ? "NOT " : "");
	if (!err && jv_is_array(v))
		return strcmp(op, "=") == 0 ? any_of(f, p, v) : buf_puts(&f->b, "0");
	return err ? err : scalar(f, p, op, v);
}

static int compound(struct fsql *f, const jv *c, int depth);

static int filter(struct fsql *f, const jv *c, int depth)
{
	const char *type = jv_get_str(c, "type");

	if (depth > JV_MAX_DEPTH)
		return ERR_INVALID;
	if (type && (strcmp(type, "and") == 0 || strcmp(type, "or") == 0))
		return compound(f, c, depth);
	return comparison(f, c);
}

static int compound(struct fsql *f, const jv *c, int depth)
{
	bool and = strcmp(jv_get_str(c, "type"), "and") == 0;
	const jv *kids = jv_get(c, "filters");
	int err = buf_printf(&f->b, "(%s", and ? "1" : "0");

	for (size_t i = 0; i < jv_size(kids) && !err; i++) {
		err = buf_puts(&f->b, and ? " AND " : " OR ");
		if (!err)
			err = filter(f, jv_at(kids, i), depth + 1);
	}
	return err ? err : buf_putc(&f->b, ')');
}

static void fsql_cleanup(struct fsql *f)
{
	buf_cleanup(&f->b);
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->vals);
}

static int bind_filter(sqlite3_stmt *s, const struct fsql *f)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < f->n && rc == SQLITE_OK; i++) {
		int at = FIRST_FILTER_PARAM + (int)i;
		const jv *v = f->vals[i];

		if (!v)
			rc = sqlite3_bind_text(s, at, f->paths[i], -1, SQLITE_STATIC);
		else if (jv_is_string(v))
			rc = sqlite3_bind_text(s, at, jv_str(v), (int)jv_strlen(v), SQLITE_STATIC);
		else
			rc = sqlite3_bind_double(s, at, jv_number(v));
	}
	return rc;
}

/* The best ?13 matches of the index come first (ranking reads only the index), then their
 * chunks and files, which the filter may still reject. */
static char *search_sql(const char *cond)
{
	return xasprintf(
		"WITH top(id, r) AS MATERIALIZED (SELECT rowid, assistd_bm25(chunks_fts, ?12) "
		"FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY 2 DESC LIMIT ?13) "
		"SELECT c.id, c.file_id, f.filename, coalesce(json_extract(f.body, "
		"'$.attributes'), 'null'), c.text, top.r, (SELECT count(*) FROM top) FROM top "
		"CROSS JOIN chunks c ON c.id = top.id CROSS JOIN vs_files f "
		"ON f.project = c.project AND f.vector_store_id = c.vector_store_id "
		"AND f.file_id = c.file_id WHERE c.project = ?2 AND c.vector_store_id IN (?3, ?4, "
		"?5, ?6, ?7, ?8, ?9, ?10) AND f.status = 'completed' AND (%s) "
		"ORDER BY top.r DESC LIMIT ?11", cond);
}

/* The full match expression: the query's words in the text, within the stores' scope words
 * (the rank skips those first nvs phrases). Owned. */
static char *scoped_match(const struct store_search *q)
{
	struct buf b;
	int err;

	buf_init(&b, 0);
	err = buf_puts(&b, "scope : (");
	for (size_t i = 0; i < q->nvs && !err; i++)
		err = buf_printf(&b, "%s\"%s\"", i ? " OR " : "", sqlite_vs_scope(q->vs[i]));
	if (!err)
		err = buf_printf(&b, ") AND text : (%s)", q->match);
	if (err) {
		buf_cleanup(&b);
		return NULL;
	}
	return buf_release(&b);
}

static int bind_query(sqlite3 *db, sqlite3_stmt *s, const char *project, const char *match,
		      const struct store_search *q, const struct fsql *f, int64_t candidates)
{
	int rc = sqlite_bind(s, "ss", match, project);

	for (size_t i = 0; i < SEARCH_MAX_STORES && rc == SQLITE_OK; i++) {
		rc = i < q->nvs ? sqlite3_bind_text(s, 3 + (int)i, q->vs[i], -1, SQLITE_STATIC)
				: sqlite3_bind_null(s, 3 + (int)i);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 11, q->limit);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 12, (int64_t)q->nvs);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 13, candidates);
	if (rc == SQLITE_OK)
		rc = bind_filter(s, f);
	return rc == SQLITE_OK ? 0 : sqlite_fail(db, "search");
}

static void store_hits_clear(struct store_hit *hits, size_t *n);

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

/* Runs the search with more and more candidates until enough pass the filter, or the index
 * has no more matches. */
static int run_search(sqlite3 *db, const char *project, const struct store_search *q,
		      struct fsql *f, struct store_hit *hits, size_t *n)
{
	char *sql = search_sql(f->b.len ? f->b.p : "1");
	char *match = scoped_match(q);
	int64_t candidates = q->limit * 4 > CANDIDATES_MIN ? q->limit * 4 : CANDIDATES_MIN;
	sqlite3_stmt *s = NULL;
	bool full = true;
	int err = 0;

	if (!match || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		err = sqlite_fail(db, "search");
	for (; !err && full && *n < (size_t)q->limit && candidates <= CANDIDATES_MAX;
	     candidates *= 8) {
		store_hits_clear(hits, n);
		err = bind_query(db, s, project, match, q, f, candidates);
		if (!err)
			err = hits_read(db, s, q->limit, candidates, hits, n, &full);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	free(match);
	free(sql);
	return err;
}

int store_search(struct store *st, const char *project, const struct store_search *q,
		 struct store_hit **hits, size_t *n)
{
	struct sqlite_conn *c = NULL;
	struct fsql f = { 0 };
	int err = 0;

	*hits = NULL;
	*n = 0;
	if (q->nvs < 1 || q->nvs > SEARCH_MAX_STORES || q->limit < 1)
		return ERR_INVALID;
	*hits = xcalloc((size_t)q->limit, sizeof(**hits));
	buf_init(&f.b, 0);
	if (q->filters)
		err = filter(&f, q->filters, 0);
	if (!err)
		err = sqlite_read(st, &c);
	if (!err) {
		err = run_search(c->db, project, q, &f, *hits, n);
		sqlite_read_done(st, c, err);
	}
	fsql_cleanup(&f);
	if (err) {
		store_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	return err;
}

/* Frees the hits' strings and empties the list (keeping the array). */
static void store_hits_clear(struct store_hit *hits, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(hits[i].file_id);
		free(hits[i].filename);
		free(hits[i].attributes);
		free(hits[i].text);
	}
	*n = 0;
}

void store_hits_free(struct store_hit *hits, size_t n)
{
	store_hits_clear(hits, &n);
	free(hits);
}

/* --- The filter, for the vector search (sqlite_int.h) --- */

int sqlite_filter_new(const jv *filters, struct fsql **out)
{
	struct fsql *f = xcalloc(1, sizeof(*f));
	int err = 0;

	buf_init(&f->b, 0);
	if (filters)
		err = filter(f, filters, 0);
	if (err) {
		sqlite_filter_free(f);
		f = NULL;
	}
	*out = f;
	return err;
}

const char *sqlite_filter_sql(const struct fsql *f)
{
	return f->b.len ? f->b.p : "1";
}

int sqlite_filter_bind(sqlite3_stmt *s, const struct fsql *f)
{
	return bind_filter(s, f);
}

void sqlite_filter_free(struct fsql *f)
{
	if (!f)
		return;
	fsql_cleanup(f);
	free(f);
}
