/* pg_search.c - keyword search over vector stores' chunks on PostgreSQL (vstore.h:
 * store_search), with PostgreSQL's full-text search and the BM25 of the SQLite path.
 *
 * First the query's words become lexemes through the same text search configuration as the
 * chunks (assistd_text), each with how often the query holds it, beside the number of chunks
 * and their total length in tokens (chunk_stats, kept by triggers): one statement. How many
 * chunks hold each lexeme comes from the node's cache (pg_search_df.c). The lexemes are split as terms.h says (MaxScore): the
 * rarest pick the candidates through the GIN index on chunks.tsv, the others only add to
 * their scores. ts_rank_cd is not BM25, so each candidate is scored from what its tsvector
 * keeps: a lexeme's positions are its term frequency (setweight and ts_filter cut the
 * tsvector down to the query's lexemes before it is unnested), chunks.len the chunk's length.
 * The formula is sqlite_rank.c's: Lucene's idf, k1 = 1.2, b = 0.75, and the score divided by
 * the most the query could score (the sum of idf * (k1 + 1) over its words, repeats counted),
 * so it lies in 0..1 and a score_threshold means the same on both backends. The best
 * candidates are then joined to their files, keeping completed files whose attributes pass
 * the filter (pg_search_filter.c), and only the hits' texts are read. A filter that rejects
 * many candidates widens the candidates, and a last hit that the other words alone could beat
 * widens the words that pick them (terms_exact), as on SQLite (sqlite_search.c). */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "pg_vs_int.h"
#include "terms.h"

#define SEARCH_MAX_STORES 8
/* $1 essential lexemes, $2 lexemes, $3 their weights, $4 mean length, $5 k1, $6 b,
 * $7 project, $8..$15 stores, $16 candidates, $17 limit, $18 the query's maximum */
#define FIRST_FILTER_PARAM 19
#define BM25_K1 1.2
#define BM25_B 0.75
#ifndef PG_CANDIDATE_BUDGET /* -D only to measure alternatives (BENCHMARKS.md) */
#define PG_CANDIDATE_BUDGET 500 /* postings the essential words start with (terms.h) */
#endif
#define CANDIDATES_MIN 64         /* the first try ranks this many matches, at least */
#define CANDIDATES_MAX (1 << 22)  /* and a filtered search widens up to this many */

/* The query's lexemes and how often it holds each, with the number of chunks and their total
 * length, for $1 the query's words. */
static const char terms_sql[] =
	"SELECT q.lexeme, array_length(q.positions, 1), s.rows, s.tokens "
	"FROM unnest(to_tsvector('assistd_text', $1)) AS q CROSS JOIN chunk_stats s";

/* A hit's file, for a scalar subquery. */
#define HIT_FILE                                                                              \
	"FROM vs_files f WHERE f.project = $7 AND f.vector_store_id = hit.vs AND "            \
	"f.file_id = hit.file_id"

/* The statement of one pass, with the filter's condition cond. The candidates are ranked
 * from the index and tsvectors alone (top); then, best first, those whose file is completed
 * and passes the filter (hit), and the files and texts of the hits last. The files are looked
 * up one by one through their primary key (scalar subqueries), which the planner would
 * otherwise trade for a scan of every file. The count of candidates comes with every row,
 * and alone in one row when no candidate passed. Owned. */
static char *search_sql(const char *cond)
{
	return xasprintf(
		"WITH top AS MATERIALIZED (SELECT c.id, c.vector_store_id AS vs, c.file_id, "
		"(SELECT sum(($3::float8[])[array_position($2::text[], u.lexeme)] * t.tf / "
		"(t.tf + $5::float8 * (1 - $6::float8 + $6::float8 * c.len / $4::float8))) "
		"FROM unnest(ts_filter(setweight(c.tsv, 'A', $2::text[]), '{a}')) AS u "
		"CROSS JOIN LATERAL (SELECT array_length(u.positions, 1)::float8 AS tf) AS t) AS r "
		"FROM chunks c WHERE c.tsv @@ assistd_anyq(($2::text[])[1:$1::int]) AND "
		"c.project = $7 AND c.vector_store_id IN ($8, $9, $10, $11, $12, $13, $14, $15) "
		"ORDER BY r DESC, c.id LIMIT $16), "
		"hit AS (SELECT top.id, top.vs, top.file_id, top.r FROM top WHERE (SELECT "
		"f.status = 'completed' AND (%s) FROM vs_files f WHERE f.project = $7 AND "
		"f.vector_store_id = top.vs AND f.file_id = top.file_id) "
		"ORDER BY top.r DESC, top.id LIMIT $17) "
		"SELECT hit.id, hit.file_id, (SELECT f.filename " HIT_FILE "), (SELECT "
		"coalesce(f.body->'attributes', 'null')::text " HIT_FILE "), (SELECT c.text FROM "
		"chunks c WHERE c.id = hit.id), hit.r / $18::float8, k.n FROM (SELECT count(*) AS n "
		"FROM top) AS k LEFT JOIN hit ON true ORDER BY hit.r DESC, hit.id", cond);
}

/* One search: the query's lexemes and how they split. */
struct search {
	struct store *st;
	const char *project;
	const struct store_search *q;
	const struct pg_fsql *f;
	PGresult *lex;         /* owned: terms_sql's rows, which the plan's words borrow */
	struct terms_plan p;
	double avgdl;
	char *lexes, *weights; /* owned: the plan's lexemes and weights as array literals */
	int64_t candidates;
	struct store_hit *hits;
	size_t n;
};

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

/* The plan's words from terms_sql's rows, their document frequencies (pg_search_df.c) and
 * the mean chunk length. */
static int plan_read(struct pg_conn *c, struct search *s)
{
	int rows = PQntuples(s->lex);
	const char **lex = xcalloc((size_t)rows + 1, sizeof(*lex));
	int64_t *df = xcalloc((size_t)rows + 1, sizeof(*df));
	int64_t chunks = rows ? pg_col_i(s->lex, 0, 2) : 0;
	int64_t tokens = rows ? pg_col_i(s->lex, 0, 3) : 0;
	int err;

	for (int i = 0; i < rows; i++)
		lex[i] = PQgetvalue(s->lex, i, 0);
	err = pg_df_get(pg_of(s->st)->vs->df, c, lex, (size_t)rows, chunks, tokens, df);
	s->p.t = xcalloc((size_t)rows + 1, sizeof(*s->p.t));
	for (int i = 0; i < rows && !err; i++) {
		s->p.t[s->p.n++] = (struct term){ .word = lex[i], .df = df[i], .rows = chunks,
						  .repeats = (int)pg_col_i(s->lex, i, 1) };
	}
	s->avgdl = chunks > 0 ? (double)tokens / (double)chunks : 1;
	free(lex);
	free(df);
	return err;
}

/* The plan's weights, rarest lexeme first, as the text of a float8[] parameter. Owned. */
static char *plan_weights(const struct terms_plan *p)
{
	struct buf b;
	int err;

	buf_init(&b, 0); /* unlimited: appends cannot fail */
	err = buf_putc(&b, '{');
	for (size_t i = 0; i < p->n && !err; i++)
		err = buf_printf(&b, "%s%.17g", i ? "," : "", p->t[i].ub);
	if (!err)
		err = buf_putc(&b, '}');
	return buf_release(&b);
}

static int plan_make(struct pg_conn *c, struct search *s)
{
	char *words = words_text(s->q);
	const char **lex;
	struct pg_args a = { 0 };
	int err;

	pg_arg_s(&a, words);
	err = pg_run(c, PQ_SEARCH_TERMS, terms_sql, "search terms", &a, &s->lex);
	free(words);
	if (!err)
		err = plan_read(c, s);
	if (err)
		return err;
	terms_bounds(&s->p, BM25_K1, PG_CANDIDATE_BUDGET);
	lex = xcalloc(s->p.n + 1, sizeof(*lex));
	for (size_t i = 0; i < s->p.n; i++)
		lex[i] = s->p.t[i].word;
	s->lexes = pgv_text_array(lex, s->p.n, NULL);
	s->weights = plan_weights(&s->p);
	free(lex);
	return 0;
}

static void params_fill(struct pgv_params *p, const struct search *s)
{
	pgv_param_int(p, (int64_t)s->p.nessential);
	pgv_param_str(p, s->lexes);
	pgv_param_str(p, s->weights);
	pgv_param_double(p, s->avgdl);
	pgv_param_double(p, BM25_K1);
	pgv_param_double(p, BM25_B);
	pgv_param_str(p, s->project);
	for (size_t i = 0; i < SEARCH_MAX_STORES; i++)
		pgv_param_str(p, i < s->q->nvs ? s->q->vs[i] : NULL);
	pgv_param_int(p, s->candidates);
	pgv_param_int(p, s->q->limit);
	pgv_param_double(p, s->p.ub_all);
	for (size_t i = 0; i < s->f->n; i++)
		pgv_param_str(p, s->f->vals[i]);
}

/* Moves the rows of r into the hits (a row without a chunk: none passed); true when the
 * candidates were as many as asked for (more may pass the filter). */
static bool hits_read(PGresult *r, struct search *s)
{
	bool full = false;

	for (int i = 0; i < PQntuples(r); i++) {
		struct store_hit *h = &s->hits[s->n];

		full = pg_col_i(r, i, 6) >= s->candidates;
		if (PQgetisnull(r, i, 0))
			continue;
		s->n++;
		h->chunk = pg_col_i(r, i, 0);
		h->file_id = xstrdup(PQgetvalue(r, i, 1));
		h->filename = xstrdup(PQgetvalue(r, i, 2));
		h->attributes = xstrdup(PQgetvalue(r, i, 3));
		h->text = xstrdup(PQgetvalue(r, i, 4));
		h->bm25 = strtod(PQgetvalue(r, i, 5), NULL);
	}
	return full;
}

/* Runs one pass with the plan's essential words and more and more candidates until enough
 * pass the filter, or the index has no more matches. */
static int run_pass(struct pg_conn *c, const char *sql, struct search *s)
{
	int limit = s->q->limit;
	bool full = true;
	int err = 0;

	s->candidates = limit * 4 > CANDIDATES_MIN ? limit * 4 : CANDIDATES_MIN;
	store_hits_clear(s->hits, &s->n); /* an earlier pass's hits go: this one ranks anew */
	for (; !err && full && s->n < (size_t)limit && s->candidates <= CANDIDATES_MAX;
	     s->candidates *= 8) {
		struct pgv_params p;
		PGresult *r = NULL;

		store_hits_clear(s->hits, &s->n);
		pgv_params_init(&p);
		params_fill(&p, s);
		err = pgv_exec(c, &r, "search", sql, &p, false);
		if (!err)
			full = hits_read(r, s);
		PQclear(r);
		pgv_params_cleanup(&p);
	}
	return err;
}

/* The search with only the essential words picking candidates is exact when the last result
 * outscores anything the other words alone could reach; else it runs again with more. */
static int run_search(struct pg_conn *c, void *ctx)
{
	struct search *s = ctx;
	char *sql = NULL;
	bool more = true;
	double last;
	int err = plan_make(c, s);

	if (!err && s->p.n > 0)
		sql = search_sql(s->f->b.p);
	while (!err && sql && more) {
		err = run_pass(c, sql, s);
		last = s->n > 0 ? s->hits[s->n - 1].bm25 : 0;
		if (!err && s->n > 0 && terms_exact(&s->p, s->n, s->q->limit, last))
			break;
		more = terms_widen(&s->p, s->n, s->q->limit, last);
	}
	free(sql);
	return err;
}

static void search_cleanup(struct search *s)
{
	PQclear(s->lex);
	terms_cleanup(&s->p);
	free(s->lexes);
	free(s->weights);
}

int pg_search(struct store *base, const char *project, const struct store_search *q,
	      struct store_hit **hits, size_t *n)
{
	struct search s = { .st = base, .project = project, .q = q };
	struct pg_fsql f;
	int err;

	*hits = NULL;
	*n = 0;
	if (q->nvs < 1 || q->nvs > SEARCH_MAX_STORES || q->limit < 1)
		return ERR_INVALID;
	*hits = xcalloc((size_t)q->limit, sizeof(**hits));
	s.hits = *hits;
	s.f = &f;
	err = pg_filter_compile(&f, q->filters, FIRST_FILTER_PARAM);
	if (!err && q->nwords > 0)
		err = pg_with(pg_of(base), run_search, &s);
	*n = s.n;
	search_cleanup(&s);
	pg_filter_cleanup(&f);
	if (err) {
		store_hits_free(*hits, *n);
		*hits = NULL;
		*n = 0;
	}
	return err;
}
