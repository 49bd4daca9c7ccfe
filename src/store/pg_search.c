/* pg_search.c - keyword search over vector stores' chunks on PostgreSQL (vstore.h:
 * store_search), with PostgreSQL's full-text search and the BM25 of the SQLite path.
 *
 * One statement. The query's words become lexemes through the same text search configuration
 * as the chunks (assistd_text), each with how often the query holds it. The GIN index on
 * chunks.tsv finds the chunks of the searched stores that hold any of them. ts_rank_cd is not
 * BM25, so each candidate is scored from what its tsvector keeps: a lexeme's positions are
 * its term frequency (setweight and ts_filter cut the tsvector down to the query's lexemes
 * before it is unnested), chunks.len the chunk's length in tokens; the document frequency of
 * each lexeme is counted through the same index, and the number of chunks and their total
 * length come from chunk_stats, which triggers keep. The formula is sqlite_rank.c's: Lucene's idf, k1 = 1.2, b = 0.75,
 * and the score divided by the most the query could score (the sum of idf * (k1 + 1) over
 * its words, repeats counted), so it lies in 0..1 and a score_threshold means the same on
 * both backends. The best chunks are then joined to their files, keeping completed files
 * whose attributes pass the filter (pg_search_filter.c). */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "pg_vs_int.h"

#define SEARCH_MAX_STORES 8
/* $1 the words, $2 project, $3..$10 stores, $11 limit, $12 k1, $13 b */
#define FIRST_FILTER_PARAM 14
#define BM25_K1 1.2
#define BM25_B 0.75

/* The statement, with the filter's condition cond. Owned. */
static char *search_sql(const char *cond)
{
	return xasprintf(
		"WITH q AS (SELECT lexeme AS lex, array_length(positions, 1) AS qtf "
		"FROM unnest(to_tsvector('assistd_text', $1))), "
		"l AS (SELECT array_agg(lex) AS lexes FROM q), "
		"n AS (SELECT rows::float8 AS rows, CASE WHEN rows > 0 THEN tokens::float8 / rows "
		"ELSE 1 END AS avgdl FROM chunk_stats), "
		"w AS (SELECT q.lex, q.qtf * ln(1 + (greatest(n.rows, d.df) - d.df + 0.5) / "
		"(d.df + 0.5)) * ($12::float8 + 1) AS w FROM q CROSS JOIN n CROSS JOIN LATERAL "
		"(SELECT count(*)::float8 AS df FROM chunks WHERE tsv @@ assistd_anyq(ARRAY[q.lex])) "
		"AS d), "
		"m AS (SELECT c.id, c.len, ts_filter(setweight(c.tsv, 'A', l.lexes), '{a}') AS hit "
		"FROM chunks c CROSS JOIN l WHERE c.project = $2 AND "
		"c.vector_store_id IN ($3, $4, $5, $6, $7, $8, $9, $10) AND "
		"c.tsv @@ assistd_anyq(l.lexes)), "
		"s AS (SELECT m.id, sum(w.w * t.tf / (t.tf + $12::float8 * (1 - $13::float8 + "
		"$13::float8 * m.len / n.avgdl))) AS r FROM m CROSS JOIN n CROSS JOIN LATERAL "
		"unnest(m.hit) AS u JOIN w ON w.lex = u.lexeme CROSS JOIN LATERAL (SELECT "
		"array_length(u.positions, 1)::float8 AS tf) AS t GROUP BY m.id) "
		"SELECT c.id, c.file_id, f.filename, coalesce(f.body->'attributes', 'null')::text, "
		"c.text, s.r / (SELECT sum(w) FROM w) FROM s JOIN chunks c ON c.id = s.id "
		"JOIN vs_files f ON f.project = c.project AND "
		"f.vector_store_id = c.vector_store_id AND f.file_id = c.file_id "
		"WHERE f.status = 'completed' AND (%s) ORDER BY s.r DESC, c.id LIMIT $11", cond);
}

/* The query's words, space-separated, as the text the configuration parses. Owned. */
static char *words_text(const struct store_search *q)
{
	struct buf b;
	int err = 0;

	buf_init(&b, 0); /* unlimited: appends cannot fail */
	for (size_t i = 0; i < q->nwords && !err; i++)
		err = buf_printf(&b, "%s%s", i ? " " : "", q->words[i]);
	return buf_release(&b);
}

static void params_fill(struct pgv_params *p, const char *words, const char *project,
			const struct store_search *q, const struct pg_fsql *f)
{
	pgv_param_str(p, words);
	pgv_param_str(p, project);
	for (size_t i = 0; i < SEARCH_MAX_STORES; i++)
		pgv_param_str(p, i < q->nvs ? q->vs[i] : NULL);
	pgv_param_int(p, q->limit);
	pgv_param_double(p, BM25_K1);
	pgv_param_double(p, BM25_B);
	for (size_t i = 0; i < f->n; i++)
		pgv_param_str(p, f->vals[i]);
}

/* Moves the rows of r into hits. */
static void hits_read(PGresult *r, struct store_hit *hits, size_t *n)
{
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_hit *h = &hits[(*n)++];

		h->chunk = pg_col_i(r, i, 0);
		h->file_id = xstrdup(PQgetvalue(r, i, 1));
		h->filename = xstrdup(PQgetvalue(r, i, 2));
		h->attributes = xstrdup(PQgetvalue(r, i, 3));
		h->text = xstrdup(PQgetvalue(r, i, 4));
		h->bm25 = strtod(PQgetvalue(r, i, 5), NULL);
	}
}

/* store_search's call, for pg_with. */
struct search_call {
	const char *project;
	const struct store_search *q;
	const struct pg_fsql *f;
	struct store_hit *hits;
	size_t n;
};

static int run_search(struct pg_conn *c, void *ctx)
{
	struct search_call *a = ctx;
	const char *project = a->project;
	const struct store_search *q = a->q;
	const struct pg_fsql *f = a->f;
	char *sql = search_sql(f->b.p);
	char *words = words_text(q);
	struct pgv_params p;
	PGresult *r = NULL;
	int err;

	pgv_params_init(&p);
	params_fill(&p, words, project, q, f);
	err = pgv_exec(c, &r, "search", sql, &p, false);
	store_hits_clear(a->hits, &a->n);
	if (!err)
		hits_read(r, a->hits, &a->n);
	PQclear(r);
	pgv_params_cleanup(&p);
	free(words);
	free(sql);
	return err;
}

int pg_search(struct store *base, const char *project, const struct store_search *q,
	      struct store_hit **hits, size_t *n)
{
	struct search_call a = { .project = project, .q = q };
	struct pg_fsql f;
	int err;

	*hits = NULL;
	*n = 0;
	if (q->nvs < 1 || q->nvs > SEARCH_MAX_STORES || q->limit < 1)
		return ERR_INVALID;
	*hits = xcalloc((size_t)q->limit, sizeof(**hits));
	a.hits = *hits;
	a.f = &f;
	err = pg_filter_compile(&f, q->filters, FIRST_FILTER_PARAM);
	if (!err && q->nwords > 0)
		err = pg_with(pg_of(base), run_search, &a);
	*n = a.n;
	pg_filter_cleanup(&f);
	if (err) {
		store_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	return err;
}
