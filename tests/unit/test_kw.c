/* test_kw.c - unit tests for the keyword index of vector stores (src/store/vstore.h):
 * compaction of its segments and the document frequencies searches score with.
 *
 * Each test opens a store in a fresh directory under /tmp, attaches files to a vector store,
 * writes their chunks as an ingestion job does, and searches with store_search. */
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/base/err.h"
#include "../../src/store/vstore.h"
#include "suites.h"

#define PROJECT "proj"
#define VS "vs_kw"
#define K1 1.2 /* sqlite_int.h's SQ_BM25_K1 and SQ_BM25_B */
#define B 0.75

static const char vs_body[] =
	"{\"id\":\"vs_kw\",\"status\":\"completed\",\"usage_bytes\":0,\"file_counts\":"
	"{\"in_progress\":0,\"completed\":0,\"failed\":0,\"cancelled\":0,\"total\":0}}";

struct tkw {
	char root[64];
	char *dir;
	struct store *st;
};

static void tkw_open(struct tkw *t)
{
	struct store_obj vs = { .kind = STORE_VECTOR_STORE, .id = VS, .created_at = 1,
				.body = vs_body };

	snprintf(t->root, sizeof(t->root), "/tmp/assistd-kw-XXXXXX");
	ASSERT(mkdtemp(t->root) != NULL);
	t->dir = xasprintf("%s/data", t->root);
	ASSERT_OK(store_open(t->dir, &t->st));
	ASSERT_OK(store_vsf_attach(t->st, PROJECT, VS, &vs, NULL, NULL, 0));
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void tkw_close(struct tkw *t)
{
	store_close(t->st);
	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t->dir);
}

/* Attaches file and writes texts (n of them) as its chunks, one transaction, completed. */
static void add_file(struct tkw *t, const char *file, const char *const *texts, size_t n)
{
	char *body = xasprintf("{\"id\":\"%s\",\"status\":\"in_progress\"}", file);
	struct vsf_new f = { .file_id = file, .filename = file, .created_at = 1, .body = body };
	struct store_chunk ch[8];
	struct vs_job jobs[8] = { { 0 } };
	size_t nj = 0, j = 0;

	ASSERT(n <= 8);
	ASSERT_OK(store_vsf_attach(t->st, PROJECT, VS, NULL, NULL, &f, 1));
	ASSERT_OK(store_jobs_next(t->st, NULL, NULL, jobs, 8, &nj));
	while (j < nj && strcmp(jobs[j].file, file) != 0)
		j++;
	ASSERT(j < nj);
	for (size_t i = 0; i < n; i++)
		ch[i] = (struct store_chunk){ .text = texts[i], .len = strlen(texts[i]) };
	ASSERT_OK(store_chunks_add(t->st, &jobs[j], 0, ch, n));
	ASSERT_OK(store_job_finish(t->st, &jobs[j], "completed", NULL, NULL, 10));
	for (size_t i = 0; i < nj; i++)
		vs_job_cleanup(&jobs[i]);
	free(body);
}

/* The score store_search gives the hit whose text is text, for the query words; -1 when
 * that chunk is not among the hits. */
static double score_of(struct tkw *t, const char *const *words, size_t nwords,
		       const char *text)
{
	const char *vs = VS;
	struct store_search s = { .vs = &vs, .nvs = 1, .words = words, .nwords = nwords,
				  .limit = 10 };
	struct store_hit *hits = NULL;
	size_t n = 0;
	double score = -1;

	ASSERT_OK(store_search(t->st, PROJECT, &s, &hits, &n));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(hits[i].text, text) == 0)
			score = hits[i].bm25;
	}
	store_hits_free(hits, n);
	return score;
}

static double idf(double rows, double df)
{
	return log(1.0 + (rows - df + 0.5) / (df + 0.5));
}

/* BM25 of a chunk of length dl holding the first query word once (document frequency df1)
 * and not the second (df2), over the most the two words could score (sqlite_rank.c). */
static double expected(double rows, double avgdl, double dl, double df1, double df2)
{
	double part = idf(rows, df1) * (K1 + 1) / (1 + K1 * (1 - B + B * dl / avgdl));

	return part / ((idf(rows, df1) + idf(rows, df2)) * (K1 + 1));
}

/* Document frequencies come from the index's stemmed terms: "cells" counts the chunks
 * holding "cell" and "cells" alike. A word added after they were read is counted too. */
static void kw_scores_with_stemmed_document_frequencies(void)
{
	static const char *const a[] = { "cells divide", "cell walls", "dogs bark loudly" };
	static const char *const b[] = { "zebra cells" };
	static const char *const q1[] = { "cells", "dog" };
	static const char *const q2[] = { "zebra", "dog" };
	struct tkw t;

	tkw_open(&t);
	add_file(&t, "file-a", a, 3);
	ASSERT(fabs(score_of(&t, q1, 2, "cells divide") - expected(3, 7.0 / 3, 2, 2, 1)) < 1e-9);
	add_file(&t, "file-b", b, 1);
	ASSERT(fabs(score_of(&t, q2, 2, "zebra cells") - expected(4, 9.0 / 4, 2, 1, 1)) < 1e-9);
	tkw_close(&t);
}

/* The number of segments of the keyword index, read from the database file. */
static int segments(struct tkw *t)
{
	char *path = xasprintf("%s/assistd.db", t->dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int n = -1;

	ASSERT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	ASSERT(sqlite3_prepare_v2(db, "SELECT count(DISTINCT segid) FROM chunks_fts_idx", -1, &s,
				  NULL) == SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
	return n;
}

/* Each commit of chunks adds a segment; compaction merges them into one, and searches find
 * the same chunks afterwards. */
static void kw_compact_merges_segments(void)
{
	static const char *const texts[] = { "alpha one", "alpha two", "alpha three" };
	static const char *const files[] = { "file-1", "file-2", "file-3" };
	static const char *const q[] = { "alpha", "two" };
	double before;
	bool more = true;
	int steps = 0;
	struct tkw t;

	tkw_open(&t);
	for (int i = 0; i < 3; i++)
		add_file(&t, files[i], &texts[i], 1);
	ASSERT_EQ_INT(segments(&t), 3);
	before = score_of(&t, q, 2, "alpha two");
	while (more && steps < 10) {
		ASSERT_OK(store_chunks_compact(t.st, &more));
		steps++;
	}
	ASSERT(!more && steps >= 2);
	ASSERT_EQ_INT(segments(&t), 1);
	ASSERT(before > 0 && fabs(score_of(&t, q, 2, "alpha two") - before) < 1e-12);
	ASSERT_OK(store_chunks_compact(t.st, &more));
	ASSERT(!more);
	tkw_close(&t);
}

const struct t_case kw_tests[] = {
	T_CASE(kw_scores_with_stemmed_document_frequencies),
	T_CASE(kw_compact_merges_segments),
	{ NULL, NULL },
};
