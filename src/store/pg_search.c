/* pg_search.c - keyword search over vector stores' chunks on PostgreSQL (vstore.h:
 * store_search), with PostgreSQL's full-text search and the BM25 of the SQLite path.
 *
 * First the query's words become lexemes through the same text search configuration as the
 * chunks (assistd_text), each with how often the query holds it, beside the number of chunks
 * and their total length in tokens (chunk_stats, kept by triggers): one statement. How many
 * chunks hold each lexeme comes from the node's cache (pg_search_df.c). The lexemes are split
 * as terms.h says (MaxScore): the rarest pick the candidates through the GIN index on
 * chunks.tsv, the others only add to their scores. ts_rank_cd is not BM25, so the candidates
 * come with what their tsvectors keep about the query's lexemes (setweight and ts_filter cut
 * them down; binary results) and are scored here: a lexeme's positions are its term
 * frequency, chunks.len the chunk's length. Scoring on the node costs a fraction of what the
 * same sums cost in SQL, per candidate. The formula is sqlite_rank.c's: Lucene's idf,
 * k1 = 1.2, b = 0.75, and the score divided by the most the query could score (the sum of
 * idf * (k1 + 1) over its words, repeats counted), so it lies in 0..1 and a score_threshold
 * means the same on both backends. A second statement takes the best candidates in order,
 * keeps those of completed files whose attributes pass the filter (pg_search_filter.c), up to
 * the limit, and reads their files and texts; a filter that rejects many takes more
 * candidates. When the last hit could be beaten by a chunk holding only the other lexemes,
 * the pass runs again with more of them (terms_exact, terms_widen), so the ranking is exact. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "pg_vs_int.h"
#include "terms.h"

#define SEARCH_MAX_STORES 8
/* The hits' statement: $1..$4 the candidates (ids, scores, stores, files), $5 project,
 * $6 limit */
#define FIRST_FILTER_PARAM 7
#define BM25_K1 1.2
#define BM25_B 0.75
#ifndef PG_CANDIDATE_BUDGET /* -D only to measure alternatives (BENCHMARKS.md) */
#define PG_CANDIDATE_BUDGET 500 /* postings the essential words start with (terms.h) */
#endif
#define SEARCH_MAX_PASSES 66      /* more than the words a query has, plus one */
#define CANDIDATES_MIN 64         /* the first try checks this many candidates, at least */

/* The query's lexemes and how often it holds each, with the number of chunks and their total
 * length, for $1 the query's words. */
static const char terms_sql[] =
	"SELECT q.lexeme, array_length(q.positions, 1), s.rows, s.tokens "
	"FROM unnest(to_tsvector('assistd_text', $1)) AS q CROSS JOIN chunk_stats s";

/* The candidates: the searched stores' chunks holding any of the first $1 lexemes of $2 but
 * none of the ids $12 (an earlier pass's), each with its length and its tsvector cut down to
 * the lexemes of $2 (binary results). */
static const char candidates_sql[] =
	"SELECT c.id, c.len, c.vector_store_id, c.file_id, "
	"ts_filter(setweight(c.tsv, 'A', $2::text[]), '{a}') FROM chunks c "
	"WHERE c.tsv @@ assistd_anyq(($2::text[])[1:$1::int]) AND c.project = $3 AND "
	"c.vector_store_id IN ($4, $5, $6, $7, $8, $9, $10, $11) AND NOT c.id = ANY($12::int8[])";

/* A hit's file, for a scalar subquery. */
#define HIT_FILE                                                                              \
	"FROM vs_files f WHERE f.project = $5 AND f.vector_store_id = hit.vs AND "            \
	"f.file_id = hit.file"

/* The hits among the best candidates, in their order: those whose file is completed and
 * passes the filter's condition cond, up to the limit, with their files and texts. Files are
 * looked up one by one through their primary key (scalar subqueries), which the planner would
 * otherwise trade for a scan of every file. Owned. */
static char *hits_sql(const char *cond)
{
	return xasprintf(
		"WITH hit AS (SELECT u.id, u.r, u.vs, u.file, u.i FROM unnest($1::int8[], "
		"$2::float8[], $3::text[], $4::text[]) WITH ORDINALITY AS u(id, r, vs, file, i) "
		"WHERE (SELECT f.status = 'completed' AND (%s) FROM vs_files f WHERE "
		"f.project = $5 AND f.vector_store_id = u.vs AND f.file_id = u.file) "
		"ORDER BY u.i LIMIT $6) "
		"SELECT hit.id, hit.file, (SELECT f.filename " HIT_FILE "), (SELECT "
		"coalesce(f.body->'attributes', 'null')::text " HIT_FILE "), (SELECT c.text FROM "
		"chunks c WHERE c.id = hit.id), hit.r FROM hit ORDER BY hit.i", cond);
}

/* A candidate: its row in one of the passes' results and its score (not normalised). */
struct cand {
	PGresult *res;
	int row;
	int64_t id;
	double r;
};

/* One search: the query's lexemes and how they split. */
struct search {
	struct store *st;
	const char *project;
	const struct store_search *q;
	const struct pg_fsql *f;
	PGresult *lex;         /* owned: terms_sql's rows, which the plan's words borrow */
	struct terms_plan p;
	double avgdl;
	char *lexes;           /* owned: the plan's lexemes as an array literal */
	PGresult *cands[SEARCH_MAX_PASSES]; /* owned: the candidates each pass added */
	size_t npass;
	struct cand *c;        /* owned: all their scores, best first */
	size_t nc;
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
	free(lex);
	return 0;
}

/* The ids of the candidates so far, as the text of an int8[] parameter. Owned. */
static char *seen_ids(const struct search *s)
{
	struct buf b;
	int err;

	buf_init(&b, 0); /* unlimited: appends cannot fail */
	err = buf_putc(&b, '{');
	for (size_t i = 0; i < s->nc && !err; i++)
		err = buf_printf(&b, "%s%lld", i ? "," : "", (long long)s->c[i].id);
	if (!err)
		err = buf_putc(&b, '}');
	return buf_release(&b);
}

/* Fetches the candidates of the plan's essential lexemes that earlier passes did not. */
static int candidates_get(struct pg_conn *c, struct search *s, PGresult **res)
{
	char *seen = seen_ids(s);
	struct pgv_params p;
	int err;

	pgv_params_init(&p);
	pgv_param_int(&p, (int64_t)s->p.nessential);
	pgv_param_str(&p, s->lexes);
	pgv_param_str(&p, s->project);
	for (size_t i = 0; i < SEARCH_MAX_STORES; i++)
		pgv_param_str(&p, i < s->q->nvs ? s->q->vs[i] : NULL);
	pgv_param_str(&p, seen);
	err = pgv_exec(c, res, "search: candidates", candidates_sql, &p, true);
	pgv_params_cleanup(&p);
	free(seen);
	return err;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The plan's weight of lexeme lex (0 for one the query lacks). */
static double weight_of(const struct terms_plan *p, const char *lex)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->t[i].word, lex) == 0)
			return p->t[i].ub;
	}
	return 0;
}

/* BM25 of a chunk of length dl whose tsvector, cut to the query's lexemes, is v (len bytes in
 * the binary form: the lexeme count, then each lexeme NUL-terminated, its number of positions
 * and the positions, 16 bits each). A lexeme's positions are its term frequency. */
static double score(const struct search *s, const unsigned char *v, int len, double dl)
{
	double k = BM25_K1 * (1 - BM25_B + BM25_B * dl / s->avgdl), r = 0;
	const unsigned char *end = v + len, *lex;
	uint32_t n = len >= 4 ? be32(v) : 0;

	v += 4;
	for (uint32_t i = 0; i < n && v < end; i++) {
		double tf;

		lex = v;
		v = memchr(v, 0, (size_t)(end - v));
		if (!v || end - v < 3)
			break;
		tf = (double)((unsigned)v[1] << 8 | v[2]);
		r += weight_of(&s->p, (const char *)lex) * tf / (tf + k);
		v += 3 + 2 * (size_t)tf;
	}
	return r;
}

static int by_score(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->r != y->r)
		return x->r < y->r ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Scores the candidates of r, kept with those of earlier passes, all best first. */
static void candidates_rank(struct search *s, PGresult *r)
{
	size_t n0 = s->nc;

	s->cands[s->npass++] = r;
	s->nc += (size_t)PQntuples(r);
	s->c = xrealloc(s->c, (s->nc + 1) * sizeof(*s->c));
	for (int i = 0; i < PQntuples(r); i++) {
		const unsigned char *len = (const unsigned char *)PQgetvalue(r, i, 1);
		struct cand *k = &s->c[n0 + (size_t)i];

		k->res = r;
		k->row = i;
		k->id = pgv_be64(PQgetvalue(r, i, 0));
		k->r = score(s, (const unsigned char *)PQgetvalue(r, i, 4), PQgetlength(r, i, 4),
			     (double)be32(len));
	}
	qsort(s->c, s->nc, sizeof(*s->c), by_score);
}

/* The first m candidates' ids, scores (normalised), stores and files, as parameters. */
static void hits_params(struct pgv_params *p, char **arrays, const struct search *s,
			size_t m)
{
	const char **vs = xcalloc(m + 1, sizeof(*vs)), **files = xcalloc(m + 1, sizeof(*files));
	struct buf ids, rs;
	int err;

	buf_init(&ids, 0); /* unlimited: appends cannot fail */
	buf_init(&rs, 0);
	err = buf_putc(&ids, '{') || buf_putc(&rs, '{');
	for (size_t i = 0; i < m && !err; i++) {
		vs[i] = PQgetvalue(s->c[i].res, s->c[i].row, 2);
		files[i] = PQgetvalue(s->c[i].res, s->c[i].row, 3);
		err = buf_printf(&ids, "%s%lld", i ? "," : "", (long long)s->c[i].id) ||
		      buf_printf(&rs, "%s%.17g", i ? "," : "", s->c[i].r / s->p.ub_all);
	}
	err = err || buf_putc(&ids, '}') || buf_putc(&rs, '}');
	arrays[0] = buf_release(&ids);
	arrays[1] = buf_release(&rs);
	arrays[2] = pgv_text_array(vs, m, NULL);
	arrays[3] = pgv_text_array(files, m, NULL);
	for (int i = 0; i < 4; i++)
		pgv_param_str(p, arrays[i]);
	pgv_param_str(p, s->project);
	pgv_param_int(p, s->q->limit);
	for (size_t i = 0; i < s->f->n; i++)
		pgv_param_str(p, s->f->vals[i]);
	free(vs);
	free(files);
}

static void hits_read(PGresult *r, struct search *s)
{
	for (int i = 0; i < PQntuples(r) && s->n < (size_t)s->q->limit; i++) {
		struct store_hit *h = &s->hits[s->n++];

		h->chunk = pg_col_i(r, i, 0);
		h->file_id = xstrdup(PQgetvalue(r, i, 1));
		h->filename = xstrdup(PQgetvalue(r, i, 2));
		h->attributes = xstrdup(PQgetvalue(r, i, 3));
		h->text = xstrdup(PQgetvalue(r, i, 4));
		h->bm25 = strtod(PQgetvalue(r, i, 5), NULL);
	}
}

/* The hits among the first m candidates. */
static int hits_get(struct pg_conn *c, const char *sql, struct search *s, size_t m)
{
	struct pgv_params p;
	char *arrays[4];
	PGresult *r = NULL;
	int err;

	pgv_params_init(&p);
	hits_params(&p, arrays, s, m);
	store_hits_clear(s->hits, &s->n);
	err = pgv_exec(c, &r, "search", sql, &p, false);
	if (!err)
		hits_read(r, s);
	PQclear(r);
	pgv_params_cleanup(&p);
	for (int i = 0; i < 4; i++)
		free(arrays[i]);
	return err;
}

/* Runs one pass: the candidates the essential lexemes add, ranked here with the earlier
 * passes', then the hits among more and more of the best of them until enough pass the
 * filter or none are left. */
static int run_pass(struct pg_conn *c, const char *sql, struct search *s)
{
	size_t limit = (size_t)s->q->limit;
	size_t m = limit * 4 > CANDIDATES_MIN ? limit * 4 : CANDIDATES_MIN;
	PGresult *r = NULL;
	int err = s->npass < SEARCH_MAX_PASSES ? candidates_get(c, s, &r) : ERR_INTERNAL;

	if (!err)
		candidates_rank(s, r);
	store_hits_clear(s->hits, &s->n);
	for (bool more = true; !err && more; m *= 8) {
		more = m < s->nc;
		err = hits_get(c, sql, s, more ? m : s->nc);
		more = more && s->n < limit;
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
		sql = hits_sql(s->f->b.p);
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
	for (size_t i = 0; i < s->npass; i++)
		PQclear(s->cands[i]);
	free(s->c);
	terms_cleanup(&s->p);
	free(s->lexes);
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
