/* test_vec.c - unit tests for vector search (src/store/vecstore.h) on both backends (suites
 * "vec" and "vec_pg", see t_store.h), the embeddings client's normalisation
 * (src/providers/embed.h), and, on SQLite, the keyword index's scoring and compaction
 * (src/store/vstore.h).
 *
 * Each test opens a fresh store, attaches files to a vector store, writes their chunks with
 * vectors as an ingestion job does, and searches. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/json/json.h"
#include "../../src/providers/embed.h"
#include "../../src/store/vecstore.h"
#include "suites.h"
#include "t_store.h"

#define DIMS 4
#define PROJECT "proj"
#define VS "vs_test"

static const char vs_body[] =
	"{\"id\":\"vs_test\",\"status\":\"completed\",\"usage_bytes\":0,\"file_counts\":"
	"{\"in_progress\":0,\"completed\":0,\"failed\":0,\"cancelled\":0,\"total\":0}}";

/* A fresh store holding the empty vector store VS. */
static void tvec_open(struct tstore *t)
{
	struct store_obj vs = { .kind = STORE_VECTOR_STORE, .id = VS, .created_at = 1,
				.body = vs_body };

	tstore_open(t);
	ASSERT_OK(store_vsf_attach(t->st, PROJECT, VS, &vs, NULL, NULL, 0));
}

/* Attaches file (its VectorStoreFile JSON body) and writes chunks ch[0..n) as its ingestion
 * job would, in one transaction; completes the file when complete is true. */
static void write_chunks_on(struct store *st, const char *file, const char *body,
			    const struct store_chunk *ch, size_t n, bool complete)
{
	struct vsf_new f = { .file_id = file, .filename = file, .created_at = 1, .body = body };
	struct vs_job jobs[8] = { { 0 } };
	size_t nj = 0, j = 0;

	ASSERT_OK(store_vsf_attach(st, PROJECT, VS, NULL, NULL, &f, 1));
	ASSERT_OK(store_jobs_next(st, NULL, NULL, jobs, 8, &nj));
	while (j < nj && strcmp(jobs[j].file, file) != 0)
		j++;
	ASSERT(j < nj);
	ASSERT_OK(store_chunks_add(st, &jobs[j], 0, ch, n));
	if (complete)
		ASSERT_OK(store_job_finish(st, &jobs[j], "completed", NULL, NULL, 10));
	for (size_t i = 0; i < nj; i++)
		vs_job_cleanup(&jobs[i]);
}

/* Attaches file (attributes {"lang": lang}) and writes its chunks: n vectors of dims, chunk i's
 * text "<file> <i>". Completes the file when complete is true. */
static void add_file_dims_on(struct store *st, const char *file, const char *lang,
			     const float *vecs, int dims, size_t n, bool complete)
{
	char *body = xasprintf("{\"id\":\"%s\",\"status\":\"in_progress\",\"attributes\":"
			       "{\"lang\":\"%s\"}}", file, lang);
	struct store_chunk ch[8];
	char *texts[8];

	ASSERT(n <= 8);
	for (size_t i = 0; i < n; i++) {
		texts[i] = xasprintf("%s %zu", file, i);
		ch[i] = (struct store_chunk){ texts[i], strlen(texts[i]), vecs + i * (size_t)dims,
					      dims };
	}
	write_chunks_on(st, file, body, ch, n, complete);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(body);
}

static void add_file_on(struct store *st, const char *file, const char *lang,
			const float *vecs, size_t n, bool complete)
{
	add_file_dims_on(st, file, lang, vecs, DIMS, n, complete);
}

static void add_file(struct tstore *t, const char *file, const char *lang, const float *vecs,
		     size_t n, bool complete)
{
	add_file_on(t->st, file, lang, vecs, n, complete);
}

/* Searches for q (DIMS floats, or dims of them) and returns the hits' texts joined by ",". */
static char *search_dims(struct tstore *t, const float *q, int dims, const char *filter)
{
	const char *vs = VS;
	jv *f = filter ? jv_parse(filter, strlen(filter), NULL, 0) : NULL;
	struct store_vsearch s = { .vs = &vs, .nvs = 1, .vec = q, .dims = dims, .filters = f,
				   .limit = 10 };
	struct store_hit *hits = NULL;
	size_t n = 0;
	char *out = xstrdup("");

	ASSERT_OK(store_vec_search(t->st, PROJECT, &s, &hits, &n));
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? "," : "", hits[i].text);

		free(out);
		out = next;
		ASSERT(i == 0 || hits[i].cosine <= hits[i - 1].cosine);
	}
	store_hits_free(hits, n);
	jv_free(f);
	return out;
}

static char *search(struct tstore *t, const float *q, const char *filter)
{
	return search_dims(t, q, DIMS, filter);
}

#define ASSERT_SEARCH(t, q, filter, expect)                                       \
	do {                                                                      \
		char *got_ = search((t), (q), (filter));                          \
		ASSERT_STR_EQ(got_, (expect));                                    \
		free(got_);                                                       \
	} while (0)

static const float east[DIMS] = { 1, 0, 0, 0 };
static const float north[DIMS] = { 0, 1, 0, 0 };
static const float a_vecs[] = { 1, 0, 0, 0, 0.6f, 0.8f, 0, 0 };
static const float b_vecs[] = { 0, 1, 0, 0 };

static void vec_ranks_by_cosine(void)
{
	struct tstore t;

	tvec_open(&t);
	add_file(&t, "file-a", "en", a_vecs, 2, true);
	add_file(&t, "file-b", "fr", b_vecs, 1, true);
	ASSERT_SEARCH(&t, east, NULL, "file-a 0,file-a 1,file-b 0");
	ASSERT_SEARCH(&t, north, NULL, "file-b 0,file-a 1,file-a 0");
	tstore_close(&t);
}

/* The hits carry the exact cosine of the stored float32 vectors: the scan's int8 one is off
 * by about 0.5 % here (0.604 for 0.601). */
static void vec_rescores_exactly(void)
{
	static const float near[] = { 0.6f, 0.8f, 0, 0, 0.601f, 0.7992f, 0, 0 };
	const char *vs = VS;
	struct store_vsearch s = { .vs = &vs, .nvs = 1, .vec = east, .dims = DIMS, .limit = 1 };
	struct store_hit *hits = NULL;
	size_t n = 0;
	struct tstore t;

	tvec_open(&t);
	add_file(&t, "file-a", "en", near, 2, true);
	ASSERT_OK(store_vec_search(t.st, PROJECT, &s, &hits, &n));
	ASSERT_EQ_INT(n, 1);
	ASSERT_STR_EQ(hits[0].text, "file-a 1");
	ASSERT(fabs(hits[0].cosine - 0.601) < 1e-6);
	store_hits_free(hits, n);
	tstore_close(&t);
}

static void vec_applies_filters(void)
{
	struct tstore t;

	tvec_open(&t);
	add_file(&t, "file-a", "en", a_vecs, 2, true);
	add_file(&t, "file-b", "fr", b_vecs, 1, true);
	ASSERT_SEARCH(&t, east, "{\"type\":\"eq\",\"key\":\"lang\",\"value\":\"fr\"}", "file-b 0");
	ASSERT_SEARCH(&t, east, "{\"type\":\"ne\",\"key\":\"lang\",\"value\":\"fr\"}",
		      "file-a 0,file-a 1");
	ASSERT_SEARCH(&t, east, "{\"type\":\"eq\",\"key\":\"lang\",\"value\":\"de\"}", "");
	tstore_close(&t);
}

/* The in-memory copy follows the store: files completed, attached or detached after a first
 * search are seen by the next; files still in progress are not searched. */
static void vec_follows_changes(void)
{
	static const float c_vecs[] = { 0.9f, 0.1f, 0, 0 };
	struct tstore t;

	tvec_open(&t);
	add_file(&t, "file-a", "en", a_vecs, 2, true);
	ASSERT_SEARCH(&t, east, NULL, "file-a 0,file-a 1");
	add_file(&t, "file-c", "en", c_vecs, 1, false);
	ASSERT_SEARCH(&t, east, NULL, "file-a 0,file-a 1");
	ASSERT_OK(store_vsf_detach(t.st, PROJECT, VS, "file-c"));
	add_file(&t, "file-c", "en", c_vecs, 1, true);
	ASSERT_SEARCH(&t, east, NULL, "file-a 0,file-c 0,file-a 1");
	ASSERT_OK(store_vsf_detach(t.st, PROJECT, VS, "file-a"));
	ASSERT_SEARCH(&t, east, NULL, "file-c 0");
	tstore_close(&t);
}

/* Another node's changes reach this node's copy: a file it completes is found, and one it
 * detaches is gone (on PostgreSQL through the notification the change sends, which this
 * test waits for, up to a minute, since it comes asynchronously). */
static bool search_is(struct tstore *t, const float *q, const char *expect)
{
	char *got = NULL;
	bool same = false;

	for (int i = 0; i < 600 && !same; i++) {
		if (i > 0)
			usleep(100 * 1000);
		free(got);
		got = search(t, q, NULL);
		same = strcmp(got, expect) == 0;
	}
	if (!same)
		fprintf(stderr, "    search gave \"%s\", not \"%s\"\n", got, expect);
	free(got);
	return same;
}

static void vec_sees_other_nodes(void)
{
	static const float c_vecs[] = { 0.9f, 0.1f, 0, 0 };
	struct store *other = NULL;
	struct tstore t;

	tvec_open(&t);
	ASSERT_OK(tstore_reopen(&t, &other));
	add_file(&t, "file-a", "en", a_vecs, 2, true);
	ASSERT_SEARCH(&t, east, NULL, "file-a 0,file-a 1");
	add_file_on(other, "file-c", "en", c_vecs, 1, true);
	ASSERT(search_is(&t, east, "file-a 0,file-c 0,file-a 1"));
	ASSERT_OK(store_vsf_detach(other, PROJECT, VS, "file-a"));
	ASSERT(search_is(&t, east, "file-c 0"));
	store_close(other);
	tstore_close(&t);
}

/* A query of another length than the stored vectors finds nothing; bad arguments are refused. */
static void vec_other_dims_and_bad_args(void)
{
	const float q[3] = { 1, 0, 0 };
	const char *vs = VS;
	struct store_vsearch s = { .vs = &vs, .nvs = 1, .vec = q, .dims = 3, .limit = 0 };
	struct store_hit *hits = NULL;
	size_t n = 0;
	struct tstore t;
	char *got;

	tvec_open(&t);
	add_file(&t, "file-a", "en", a_vecs, 2, true);
	got = search_dims(&t, q, 3, NULL);
	ASSERT_STR_EQ(got, "");
	free(got);
	ASSERT_EQ_INT(store_vec_search(t.st, PROJECT, &s, &hits, &n), ERR_INVALID);
	s.limit = 5;
	s.nvs = 0;
	ASSERT_EQ_INT(store_vec_search(t.st, PROJECT, &s, &hits, &n), ERR_INVALID);
	ASSERT(hits == NULL && n == 0);
	tstore_close(&t);
}

static void embed_normalises(void)
{
	float v[3] = { 3, 0, 4 };
	float zero[2] = { 0, 0 };

	embed_normalise(v, 3);
	ASSERT(fabsf(v[0] - 0.6f) < 1e-6f && v[1] == 0 && fabsf(v[2] - 0.8f) < 1e-6f);
	embed_normalise(zero, 2);
	ASSERT(zero[0] == 0 && zero[1] == 0);
}

/* embed_new refuses what cannot work: no URL, no model, dimensions out of range. */
static void embed_new_checks_config(void)
{
	struct embed_config c = { .url = "http://127.0.0.1:1/v1", .model = "m", .dims = 256 };
	struct embed *e = NULL;

	ASSERT_OK(embed_new(&c, &e));
	ASSERT_STR_EQ(embed_model(e), "m");
	embed_free(e);
	c.dims = EMBED_MAX_DIMS + 1;
	ASSERT_EQ_INT(embed_new(&c, &e), ERR_INVALID);
	c.dims = 0;
	c.model = "";
	ASSERT_EQ_INT(embed_new(&c, &e), ERR_INVALID);
	c.model = "m";
	c.url = NULL;
	ASSERT_EQ_INT(embed_new(&c, &e), ERR_INVALID);
	ASSERT(e == NULL);
}

/* A server that cannot be reached fails the call with a reason (no retries asked for). */
static void embed_unreachable_fails(void)
{
	struct embed_config c = { .url = "http://127.0.0.1:1/v1", .model = "m", .dims = 4,
				  .max_retries = 0 };
	const char *text = "hello";
	size_t len = 5;
	struct embed_req rq = { .texts = &text, .lens = &len, .n = 1 };
	struct embed_out out;
	struct embed *e = NULL;

	ASSERT_OK(embed_new(&c, &e));
	ASSERT_EQ_INT(embed_texts(e, &rq, &out), ERR_UPSTREAM);
	ASSERT(out.vecs == NULL);
	ASSERT_STR_EQ(out.why, "could not connect to the embedding model's server");
	embed_out_cleanup(&out);
	embed_free(e);
}

static bool after_three(void *ctx)
{
	return ++*(int *)ctx > 3;
}

/* A server that accepts the connection and never answers: the call gives up as soon as its
 * stop callback says so, with ERR_UNAVAILABLE and no vectors. */
static void embed_stop_ends_a_hanging_call(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	const char *text = "hello";
	size_t len = 5;
	int asked = 0;
	struct embed_req rq = { &text, &len, 1, after_three, &asked };
	struct embed_config c = { .model = "m", .dims = 4 };
	struct embed_out out;
	struct embed *e = NULL;
	char *url;

	ASSERT(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 4) == 0);
	ASSERT(getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
	url = xasprintf("http://127.0.0.1:%d/v1", ntohs(a.sin_port));
	c.url = url;
	ASSERT_OK(embed_new(&c, &e));
	ASSERT_EQ_INT(embed_texts(e, &rq, &out), ERR_UNAVAILABLE);
	ASSERT(out.vecs == NULL && asked == 4);
	embed_out_cleanup(&out);
	embed_free(e);
	free(url);
	close(fd);
}

/* The scan reads every value of longer vectors (in blocks of 16, then the rest): with one
 * hit wanted it keeps two by the quantised dot product, and the best one lies in the last
 * values (dimension 37 of 40), the second in the upper half of the first block. */
static void vec_scans_every_dimension(void)
{
	enum { D = 40, N = 5 };
	static const int at[N] = { 20, 12, 37, 37, 37 };
	static const float sign[N] = { 1, 1, 1, -1, -1 };
	float v[N * D] = { 0 };
	float q[D] = { 0 };
	const char *vs = VS;
	struct store_vsearch s = { .vs = &vs, .nvs = 1, .vec = q, .dims = D, .limit = 1 };
	struct store_hit *hits = NULL;
	size_t n = 0;
	char *got;
	struct tstore t;

	for (int i = 0; i < N; i++)
		v[i * D + at[i]] = sign[i];
	v[4 * D + 12] = -1;
	embed_normalise(v + 4 * D, D);
	q[12] = 0.5f;
	q[20] = 0.2f;
	q[37] = 0.84f;
	embed_normalise(q, D);
	tvec_open(&t);
	add_file_dims_on(t.st, "file-a", "en", v, D, N, true);
	got = search_dims(&t, q, D, NULL);
	ASSERT_STR_EQ(got, "file-a 2,file-a 1,file-a 0,file-a 3,file-a 4");
	free(got);
	ASSERT_OK(store_vec_search(t.st, PROJECT, &s, &hits, &n));
	ASSERT_EQ_INT(n, 1);
	ASSERT_STR_EQ(hits[0].text, "file-a 2");
	store_hits_free(hits, n);
	tstore_close(&t);
}

/* --- Keyword search: the document frequencies it scores with, compaction --- */

#define K1 1.2 /* sqlite_int.h's SQ_BM25_K1 and SQ_BM25_B */
#define B 0.75

/* Attaches file and writes texts (n of them) as its chunks, one transaction, completed. */
static void add_texts(struct tstore *t, const char *file, const char *const *texts, size_t n)
{
	char *body = xasprintf("{\"id\":\"%s\",\"status\":\"in_progress\"}", file);
	struct store_chunk ch[8];

	ASSERT(n <= 8);
	for (size_t i = 0; i < n; i++)
		ch[i] = (struct store_chunk){ .text = texts[i], .len = strlen(texts[i]) };
	write_chunks_on(t->st, file, body, ch, n, true);
	free(body);
}

/* The score store_search gives the hit whose text is text, for the query words; -1 when
 * that chunk is not among the hits. */
static double score_of(struct tstore *t, const char *const *words, size_t nwords,
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
	struct tstore t;

	tvec_open(&t);
	add_texts(&t, "file-a", a, 3);
	ASSERT(fabs(score_of(&t, q1, 2, "cells divide") - expected(3, 7.0 / 3, 2, 2, 1)) < 1e-9);
	add_texts(&t, "file-b", b, 1);
	ASSERT(fabs(score_of(&t, q2, 2, "zebra cells") - expected(4, 9.0 / 4, 2, 1, 1)) < 1e-9);
	tstore_close(&t);
}

/* A file that goes leaves the keyword search at once: its chunks match no word, however
 * recently the document frequencies were read. */
static void kw_deleted_files_are_gone_at_once(void)
{
	static const char *const a[] = { "cells divide", "cell walls", "dogs bark loudly" };
	static const char *const b[] = { "zebra cells" };
	static const char *const q1[] = { "cells", "zebra" };
	struct tstore t;

	tvec_open(&t);
	add_texts(&t, "file-a", a, 3);
	add_texts(&t, "file-b", b, 1);
	ASSERT(score_of(&t, q1, 2, "zebra cells") > 0);
	ASSERT_OK(store_vsf_detach(t.st, PROJECT, VS, "file-b"));
	ASSERT(score_of(&t, q1, 2, "zebra cells") == -1);
	ASSERT(score_of(&t, q1, 2, "cells divide") > 0);
	ASSERT(score_of(&t, q1 + 1, 1, "zebra cells") == -1);
	tstore_close(&t);
}

/* The number of segments of the keyword index, read from the database file. */
static int segments(struct tstore *t)
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
	struct tstore t;

	tvec_open(&t);
	for (int i = 0; i < 3; i++)
		add_texts(&t, files[i], &texts[i], 1);
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
	tstore_close(&t);
}
/* The chunks of one write go into the keyword index as one segment (a segment a chunk
 * before: FTS5 wrote its pending terms out whenever a trigger opened a savepoint), and a
 * search finds each of them. */
static void kw_one_segment_a_write(void)
{
	static const char *const texts[] = { "gamma one", "gamma two", "gamma three",
					     "gamma four", "gamma five" };
	static const char *const q[] = { "gamma", "four" };
	struct tstore t;

	tvec_open(&t);
	add_texts(&t, "file-1", texts, 5);
	ASSERT_EQ_INT(segments(&t), 1);
	ASSERT(score_of(&t, q, 2, "gamma four") > score_of(&t, q, 2, "gamma one"));
	ASSERT(score_of(&t, q, 2, "gamma five") > 0);
	tstore_close(&t);
}

/* A text of n distinct words, each made of tag and a number (owned). */
static char *distinct_words(char tag, int n)
{
	struct buf b;

	buf_init(&b, 0);
	for (int i = 0; i < n; i++)
		ASSERT_OK(buf_printf(&b, "%c%dq ", tag, i));
	return buf_release(&b);
}

/* Commits leave their segments for the compaction at the end of an ingestion to merge, all at
 * once: with FTS5's default (automerge 4), writes this large start merging as they come. */
static void kw_commits_leave_merging_to_compaction(void)
{
	static const char *const files[] = { "file-1", "file-2", "file-3",
					     "file-4", "file-5", "file-6" };
	bool more = true;
	struct tstore t;

	tvec_open(&t);
	for (int i = 0; i < 6; i++) {
		char *text = distinct_words((char)('a' + i), 20000);
		const char *texts[] = { text };
		add_texts(&t, files[i], texts, 1);
		free(text);
	}
	ASSERT_EQ_INT(segments(&t), 6);
	for (int steps = 0; more && steps < 100; steps++)
		ASSERT_OK(store_chunks_compact(t.st, &more));
	ASSERT_EQ_INT(segments(&t), 1);
	tstore_close(&t);
}

/* The vector search cases, run on both backends. */
#define VEC_CASES(X)                                                                       \
	X(vec_ranks_by_cosine) X(vec_rescores_exactly) X(vec_applies_filters)                 \
	X(vec_follows_changes) X(vec_sees_other_nodes) X(vec_other_dims_and_bad_args)           \
	X(vec_scans_every_dimension)

VEC_CASES(T_PG_WRAP)

T_PG_WRAP(kw_scores_with_stemmed_document_frequencies)
T_PG_WRAP(kw_deleted_files_are_gone_at_once)

const struct t_case vec_pg_tests[] = {
	VEC_CASES(T_PG_ENTRY)
	T_PG_ENTRY(kw_scores_with_stemmed_document_frequencies)
	T_PG_ENTRY(kw_deleted_files_are_gone_at_once)
	{ NULL, NULL },
};

const struct t_case vec_tests[] = {
	VEC_CASES(T_ENTRY)
	T_CASE(embed_normalises),
	T_CASE(embed_new_checks_config),
	T_CASE(embed_unreachable_fails),
	T_CASE(embed_stop_ends_a_hanging_call),
	T_CASE(kw_scores_with_stemmed_document_frequencies),
	T_CASE(kw_deleted_files_are_gone_at_once),
	T_CASE(kw_compact_merges_segments),
	T_CASE(kw_one_segment_a_write),
	T_CASE(kw_commits_leave_merging_to_compaction),
	{ NULL, NULL },
};
