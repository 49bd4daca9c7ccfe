/* sqlite_rank.c - the BM25 the keyword index ranks by: FTS5 auxiliary functions registered on
 * every connection.
 *
 * assistd_bm25(chunks_fts, skip, dfs) scores the current chunk. FTS5's own bm25() takes an
 * idf of log((N - n + 0.5) / (n + 0.5)), which is negative (floored to 1e-6) for any word in
 * more than half the chunks: a small vector store then scores nearly everything 0. This one
 * takes Lucene's idf, log(1 + (N - n + 0.5) / (n + 0.5)), always positive, with k1 = 1.2 and
 * b = 0.75, which measured better on SciFact than Anserini's 0.9 and 0.4 (BENCHMARKS.md).
 * The first skip phrases of the query (the vector stores' scope words) take no part; dfs
 * gives the document frequency n of each later phrase, space-separated, -1 for a phrase that
 * counts for nothing (sqlite_terms.c builds both). Lengths are the text column's. The score
 * is divided by the most the query could score (every word matching a short chunk many
 * times: the sum of idf * (k1 + 1)), so it lies in 0..1 and says how much of the query's
 * weight a chunk matches, in a small store as in a big one.
 * assistd_rows(chunks_fts) is the number of chunks indexed. The index's tokenizer is also
 * lent out here (sqlite_tokenizer_open), to turn query words into index terms. */
#include <math.h>
#include <stdlib.h>

#include "../base/alloc.h"
#include "sqlite_int.h"

/* Per-query statistics, computed on the first row and kept as the query's auxdata. */
struct bm25_query {
	int nphrase;
	double avgdl;
	double max;   /* the highest score possible: sum of idf * (k1 + 1) */
	double *idf;  /* per phrase; 0 for the scope and ignored phrases */
	double *freq; /* scratch: per-phrase frequency in the current row */
};

static void query_free(void *p)
{
	struct bm25_query *q = p;

	free(q->idf);
	free(q->freq);
	free(q);
}

/* Fills q->idf from the dfs list: phrase skip + i gets the i-th number. */
static void idfs(struct bm25_query *q, int skip, const char *dfs, sqlite3_int64 rows)
{
	char *end;

	for (int i = skip; i < q->nphrase && dfs && *dfs; i++) {
		double n = strtod(dfs, &end);

		if (end == dfs)
			break;
		dfs = end;
		if (n < 0)
			continue;
		q->idf[i] = log(1.0 + ((double)rows - n + 0.5) / (n + 0.5));
		q->max += q->idf[i] * (SQ_BM25_K1 + 1);
	}
}

static int query_stats(const Fts5ExtensionApi *api, Fts5Context *ctx, int skip,
		       const char *dfs, struct bm25_query **out)
{
	struct bm25_query *q = xcalloc(1, sizeof(*q));
	sqlite3_int64 rows = 0, tokens = 0;
	int rc = api->xRowCount(ctx, &rows);

	if (rc == SQLITE_OK)
		rc = api->xColumnTotalSize(ctx, 0, &tokens);
	q->nphrase = api->xPhraseCount(ctx);
	q->avgdl = rows > 0 && tokens > 0 ? (double)tokens / (double)rows : 1.0;
	q->idf = xcalloc((size_t)q->nphrase + 1, sizeof(*q->idf));
	q->freq = xcalloc((size_t)q->nphrase + 1, sizeof(*q->freq));
	idfs(q, skip, dfs, rows);
	if (rc == SQLITE_OK)
		rc = api->xSetAuxdata(ctx, q, query_free);
	else
		query_free(q);
	*out = rc == SQLITE_OK ? q : NULL;
	return rc;
}

/* The frequency of each phrase in the current row, into q->freq. */
static int row_freqs(const Fts5ExtensionApi *api, Fts5Context *ctx, struct bm25_query *q)
{
	int ninst = 0;
	int rc = api->xInstCount(ctx, &ninst);

	for (int i = 0; i < q->nphrase; i++)
		q->freq[i] = 0;
	for (int k = 0; k < ninst && rc == SQLITE_OK; k++) {
		int phrase, col, off;

		rc = api->xInst(ctx, k, &phrase, &col, &off);
		if (rc == SQLITE_OK && phrase >= 0 && phrase < q->nphrase)
			q->freq[phrase] += 1;
	}
	return rc;
}

static void bm25(const Fts5ExtensionApi *api, Fts5Context *ctx, sqlite3_context *out,
		 int nval, sqlite3_value **vals)
{
	struct bm25_query *q = api->xGetAuxdata(ctx, 0);
	int dl = 0;
	double score = 0;
	int rc = SQLITE_OK;

	if (!q)
		rc = query_stats(api, ctx, nval > 0 ? sqlite3_value_int(vals[0]) : 0,
				 nval > 1 ? (const char *)sqlite3_value_text(vals[1]) : NULL, &q);
	if (rc == SQLITE_OK)
		rc = api->xColumnSize(ctx, 0, &dl);
	if (rc == SQLITE_OK)
		rc = row_freqs(api, ctx, q);
	for (int i = 0; rc == SQLITE_OK && i < q->nphrase; i++) {
		double f = q->freq[i];

		if (q->idf[i] > 0 && f > 0)
			score += q->idf[i] * f * (SQ_BM25_K1 + 1) /
				 (f + SQ_BM25_K1 * (1 - SQ_BM25_B + SQ_BM25_B * dl / q->avgdl));
	}
	if (rc == SQLITE_OK)
		sqlite3_result_double(out, q->max > 0 ? score / q->max : 0);
	else
		sqlite3_result_error_code(out, rc);
}

static void row_count(const Fts5ExtensionApi *api, Fts5Context *ctx, sqlite3_context *out,
		 int nval, sqlite3_value **vals)
{
	sqlite3_int64 n = 0;
	int rc = api->xRowCount(ctx, &n);

	(void)nval;
	(void)vals;
	if (rc == SQLITE_OK)
		sqlite3_result_int64(out, n);
	else
		sqlite3_result_error_code(out, rc);
}

int sqlite_rank_register(struct sqlite_conn *c)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db, "SELECT fts5(?1)", -1, &s, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
	sqlite3_finalize(s);
	if (rc == SQLITE_OK && api)
		rc = api->xCreateFunction(api, "assistd_bm25", NULL, bm25, NULL);
	if (rc == SQLITE_OK && api)
		rc = api->xCreateFunction(api, "assistd_rows", NULL, row_count, NULL);
	if (rc != SQLITE_OK || !api)
		return sqlite_fail(c->db, "register assistd_bm25");
	c->fts = api;
	return 0;
}

/* SQ_FTS_TOKENIZE split at spaces into argv (at most TOKENIZE_ARGS words); the count. */
#define TOKENIZE_ARGS 8
static int tokenize_args(char *spec, const char **argv)
{
	int n = 0;

	for (char *p = spec; *p && n < TOKENIZE_ARGS;) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p)
			argv[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return n;
}

int sqlite_tokenizer_open(struct sqlite_conn *c, struct sq_tokenizer *tk)
{
	char spec[] = SQ_FTS_TOKENIZE;
	const char *argv[TOKENIZE_ARGS];
	int argc = tokenize_args(spec, argv);
	void *ud = NULL;
	int rc = argc > 0 ? c->fts->xFindTokenizer(c->fts, argv[0], &ud, &tk->api) : SQLITE_ERROR;

	tk->inst = NULL;
	if (rc == SQLITE_OK)
		rc = tk->api.xCreate(ud, argv + 1, argc - 1, &tk->inst);
	return rc == SQLITE_OK ? 0 : sqlite_fail(c->db, "tokenizer");
}

void sqlite_tokenizer_close(struct sq_tokenizer *tk)
{
	if (tk->inst)
		tk->api.xDelete(tk->inst);
	tk->inst = NULL;
}
