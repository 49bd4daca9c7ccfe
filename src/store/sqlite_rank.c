/* sqlite_rank.c - the BM25 the keyword index ranks by: an FTS5 auxiliary function,
 * assistd_bm25(chunks_fts, skip), registered on every connection. The first skip phrases of
 * the query (the vector stores' scope words) take no part in the score; lengths are those of
 * the text column.
 *
 * FTS5's own bm25() fixes k1 = 1.2, b = 0.75 and an idf of log((N - n + 0.5) / (n + 0.5)),
 * which is negative (floored to 1e-6) for any word in more than half the chunks: a small
 * vector store then scores nearly everything 0. This one is Lucene's BM25, as Anserini runs
 * it: idf = log(1 + (N - n + 0.5) / (n + 0.5)), always positive, with k1 = 0.9 and b = 0.4,
 * which measured better on SciFact (BENCHMARKS.md). The score is divided by the most the
 * query could score (every word matching a short chunk many times, sum of idf * (k1 + 1)), so
 * it lies in 0..1 and says how much of the query's weight a chunk matches, in a small store
 * as in a big one. Higher is better. */
#include <math.h>
#include <stdlib.h>

#include "../base/alloc.h"
#include "sqlite_int.h"

#define BM25_K1 0.9
#define BM25_B 0.4

/* Per-query statistics, computed on the first row and kept as the query's auxdata. */
struct bm25_query {
	int skip;     /* the first phrases are the search's scope, not its words */
	int nphrase;
	double avgdl;
	double max;   /* the highest score possible: sum of idf * (k1 + 1) */
	double *idf;  /* per phrase */
	double *freq; /* scratch: per-phrase frequency in the current row */
};

static void query_free(void *p)
{
	struct bm25_query *q = p;

	free(q->idf);
	free(q->freq);
	free(q);
}

static int count_row(const Fts5ExtensionApi *api, Fts5Context *ctx, void *user)
{
	(void)api;
	(void)ctx;
	(*(sqlite3_int64 *)user)++;
	return SQLITE_OK;
}

static int query_stats(const Fts5ExtensionApi *api, Fts5Context *ctx, int skip,
		       struct bm25_query **out)
{
	struct bm25_query *q = xcalloc(1, sizeof(*q));
	sqlite3_int64 rows = 0, tokens = 0;
	int rc = api->xRowCount(ctx, &rows);

	if (rc == SQLITE_OK)
		rc = api->xColumnTotalSize(ctx, 0, &tokens);
	q->nphrase = api->xPhraseCount(ctx);
	q->avgdl = rows > 0 ? (double)tokens / (double)rows : 1.0;
	q->idf = xcalloc((size_t)q->nphrase + 1, sizeof(*q->idf));
	q->freq = xcalloc((size_t)q->nphrase + 1, sizeof(*q->freq));
	q->skip = skip < q->nphrase ? skip : q->nphrase;
	for (int i = q->skip; i < q->nphrase && rc == SQLITE_OK; i++) {
		sqlite3_int64 n = 0;

		rc = api->xQueryPhrase(ctx, i, &n, count_row);
		q->idf[i] = log(1.0 + ((double)(rows - n) + 0.5) / ((double)n + 0.5));
		q->max += q->idf[i] * (BM25_K1 + 1);
	}
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
		rc = query_stats(api, ctx, nval > 0 ? sqlite3_value_int(vals[0]) : 0, &q);
	if (rc == SQLITE_OK)
		rc = api->xColumnSize(ctx, 0, &dl);
	if (rc == SQLITE_OK)
		rc = row_freqs(api, ctx, q);
	for (int i = q->skip; rc == SQLITE_OK && i < q->nphrase; i++) {
		double f = q->freq[i];

		score += q->idf[i] * f * (BM25_K1 + 1) /
			 (f + BM25_K1 * (1 - BM25_B + BM25_B * dl / q->avgdl));
	}
	if (rc == SQLITE_OK)
		sqlite3_result_double(out, q->max > 0 ? score / q->max : 0);
	else
		sqlite3_result_error_code(out, rc);
}

int sqlite_rank_register(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
	sqlite3_finalize(s);
	if (rc == SQLITE_OK && api)
		rc = api->xCreateFunction(api, "assistd_bm25", NULL, bm25, NULL);
	if (rc != SQLITE_OK || !api)
		return sqlite_fail(db, "register assistd_bm25");
	return 0;
}
