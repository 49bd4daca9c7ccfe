/* test_vstore.c - unit tests for the store's vector-store files, ingestion jobs and keyword
 * search (src/store/vstore.h), on both backends: suite "vstore" on SQLite, "vstore_pg" on
 * PostgreSQL (t_store.h), plus the PostgreSQL-only claims of several nodes. */
#include <math.h>
#include <unistd.h>

#include "../../src/base/alloc.h"
#include "../../src/base/buf.h"
#include "../../src/base/err.h"
#include "../../src/json/json.h"
#include "../../src/store/vstore.h"
#include "suites.h"
#include "t_store.h"

#define P "proj"
#define VS "vs_one"

static const char counts0[] =
	"{\"in_progress\":0,\"completed\":0,\"failed\":0,\"cancelled\":0,\"total\":0}";

/* A fresh store holding the empty vector store VS (expiring after 2 days unused). */
static void open_vs(struct tstore *t)
{
	char *body = xasprintf("{\"id\":\"%s\",\"status\":\"completed\",\"usage_bytes\":0,"
			       "\"file_counts\":%s,\"expires_after\":{\"anchor\":"
			       "\"last_active_at\",\"days\":2},\"expires_at\":null}", VS, counts0);
	struct store_obj vs = { .kind = STORE_VECTOR_STORE, .id = VS, .created_at = 1,
				.body = body };

	tstore_open(t);
	ASSERT_OK(store_vsf_attach(t->st, P, VS, &vs, NULL, NULL, 0));
	free(body);
}

/* Attaches file (created at `at`, attributes attrs) to VS, in batch when not NULL. */
static void attach(struct store *st, const char *file, int64_t at, const char *attrs,
		   const char *batch)
{
	char *body = xasprintf("{\"id\":\"%s\",\"status\":\"in_progress\",\"attributes\":%s}",
			       file, attrs ? attrs : "null");
	struct vsf_new f = { .file_id = file, .filename = file, .created_at = at, .body = body };

	ASSERT_OK(store_vsf_attach(st, P, VS, NULL, batch, &f, 1));
	free(body);
}

/* The job of file (owned in *j: vs_job_cleanup), taken through store_jobs_next. */
static void job_of(struct store *st, const char *file, struct vs_job *j)
{
	struct vs_job jobs[16] = { { 0 } };
	size_t n = 0;
	bool found = false;

	ASSERT_OK(store_jobs_next(st, NULL, NULL, jobs, 16, &n));
	for (size_t i = 0; i < n; i++) {
		if (!found && strcmp(jobs[i].file, file) == 0) {
			*j = jobs[i];
			found = true;
		} else {
			vs_job_cleanup(&jobs[i]);
		}
	}
	ASSERT(found);
}

/* Ingests file: its chunks are the texts, then it completes with usage bytes. */
static void ingest(struct store *st, const char *file, const char *const *texts, size_t n,
		   int64_t usage)
{
	struct store_chunk ch[8];
	struct vs_job j = { 0 };

	ASSERT(n <= 8);
	job_of(st, file, &j);
	for (size_t i = 0; i < n; i++)
		ch[i] = (struct store_chunk){ .text = texts[i], .len = strlen(texts[i]) };
	ASSERT_OK(store_chunks_add(st, &j, 0, ch, n));
	ASSERT_OK(store_job_finish(st, &j, "completed", NULL, NULL, usage));
	vs_job_cleanup(&j);
}

/* The value at path (a.b) of object id's stored JSON, as compact JSON text. Owned. */
static char *member(struct store *st, enum store_kind kind, const char *id, const char *a,
		    const char *b)
{
	char *body = NULL;
	jv *v;
	const jv *m;
	char *out;

	ASSERT_OK(store_get(st, P, kind, id, NULL, &body, NULL));
	v = jv_parse(body, strlen(body), NULL, 0);
	ASSERT(v != NULL);
	m = jv_get(v, a);
	if (b)
		m = jv_get(m, b);
	out = m ? jv_dump(m) : xstrdup("missing");
	jv_free(v);
	free(body);
	return out;
}

#define ASSERT_MEMBER(st, kind, id, a, b, expect)                                         \
	do {                                                                              \
		char *got_ = member((st), (kind), (id), (a), (b));                        \
		ASSERT_STR_EQ(got_, (expect));                                            \
		free(got_);                                                               \
	} while (0)

/* Counts, status and usage follow every change of a file, in the store's own JSON. */
static void vs_counts_follow_files(void)
{
	static const char *const texts[] = { "alpha beta", "gamma" };
	struct vs_job j = { 0 };
	struct tstore t;
	char *body = NULL;
	int64_t jobs = -1;

	open_vs(&t);
	attach(t.st, "file-a", 1, NULL, NULL);
	attach(t.st, "file-b", 2, NULL, NULL);
	attach(t.st, "file-c", 3, NULL, NULL);
	ASSERT_OK(store_jobs_count(t.st, &jobs));
	ASSERT_EQ_INT(jobs, 3);
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "file_counts", "in_progress", "3");
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "status", NULL, "\"in_progress\"");
	ingest(t.st, "file-a", texts, 2, 100);
	job_of(t.st, "file-b", &j);
	ASSERT_OK(store_job_finish(t.st, &j, "failed", "invalid_file", "no text", 0));
	ASSERT_EQ_INT(store_job_finish(t.st, &j, "failed", "invalid_file", "no text", 0),
		      ERR_NOT_FOUND);
	vs_job_cleanup(&j);
	ASSERT_OK(store_vsf_get(t.st, P, VS, "file-b", &body));
	ASSERT(strstr(body, "\"invalid_file\"") && strstr(body, "\"failed\""));
	free(body);
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "file_counts", "completed", "1");
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "file_counts", "failed", "1");
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "usage_bytes", NULL, "100");
	ASSERT_OK(store_jobs_count(t.st, &jobs));
	ASSERT_EQ_INT(jobs, 1);
	ASSERT_OK(store_vsf_detach(t.st, P, VS, "file-c"));
	ASSERT_EQ_INT(store_vsf_detach(t.st, P, VS, "file-c"), ERR_NOT_FOUND);
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "file_counts", "total", "2");
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "status", NULL, "\"completed\"");
	ASSERT_OK(store_vsf_detach(t.st, P, VS, "file-a"));
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "usage_bytes", NULL, "0");
	ASSERT_EQ_INT(store_vsf_get(t.st, P, VS, "file-a", &body), ERR_NOT_FOUND);
	tstore_close(&t);
}

/* The ids of a page, joined by ",". Owned. */
static char *page_ids(struct store *st, const char *batch, const char *status,
		      const struct store_page *pg, bool *more)
{
	struct store_list l = { 0 };
	char *out = xstrdup("");

	ASSERT_OK(store_vsf_list(st, P, VS, batch, status, pg, &l));
	for (size_t i = 0; i < l.n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? "," : "", l.items[i].id);

		free(out);
		out = next;
	}
	*more = l.has_more;
	store_list_cleanup(&l);
	return out;
}

#define ASSERT_PAGE(st, batch, status, pg, expect, more)                                  \
	do {                                                                              \
		bool more_;                                                               \
		char *got_ = page_ids((st), (batch), (status), (pg), &more_);             \
		ASSERT_STR_EQ(got_, (expect));                                            \
		ASSERT_EQ_INT(more_, (more));                                             \
		free(got_);                                                               \
	} while (0)

static void vs_lists_page_and_filter(void)
{
	static const char *const texts[] = { "text" };
	struct store_page pg = { .limit = 2 };
	struct store_list l = { 0 };
	struct tstore t;

	open_vs(&t);
	attach(t.st, "file-a", 1, NULL, NULL);
	attach(t.st, "file-b", 2, NULL, NULL);
	attach(t.st, "file-c", 2, NULL, NULL);
	attach(t.st, "file-d", 3, NULL, NULL);
	ingest(t.st, "file-c", texts, 1, 4);
	ASSERT_PAGE(t.st, NULL, NULL, &pg, "file-a,file-b", true);
	pg.after = "file-b";
	ASSERT_PAGE(t.st, NULL, NULL, &pg, "file-c,file-d", false);
	pg.after = NULL;
	pg.before = "file-d";
	ASSERT_PAGE(t.st, NULL, NULL, &pg, "file-b,file-c", true);
	pg.before = NULL;
	pg.desc = true;
	ASSERT_PAGE(t.st, NULL, NULL, &pg, "file-d,file-c", true);
	pg.limit = 10;
	ASSERT_PAGE(t.st, NULL, "in_progress", &pg, "file-d,file-b,file-a", false);
	ASSERT_PAGE(t.st, NULL, "completed", &pg, "file-c", false);
	pg.after = "file-zz";
	ASSERT_EQ_INT(store_vsf_list(t.st, P, VS, NULL, NULL, &pg, &l), ERR_INVALID);
	tstore_close(&t);
}

static void vs_cancel_batch_stops_its_files(void)
{
	char *bbody = xasprintf("{\"id\":\"vsfb_1\",\"status\":\"in_progress\",\"file_counts\":"
				"%s}", counts0);
	struct store_obj b = { .kind = STORE_VS_BATCH, .id = "vsfb_1", .parent = VS,
			       .created_at = 5, .body = bbody };
	struct vsf_new f = { .file_id = "file-b", .filename = "b", .created_at = 5,
			     .body = "{\"id\":\"file-b\",\"status\":\"in_progress\"}" };
	struct store_chunk ch = { .text = "late", .len = 4 };
	struct store_page pg = { .limit = 10 };
	struct vs_job j = { 0 };
	struct tstore t;
	char *body = NULL;

	open_vs(&t);
	attach(t.st, "file-a", 1, NULL, NULL);
	ASSERT_OK(store_vsf_attach(t.st, P, VS, &b, "vsfb_1", &f, 1));
	ASSERT_MEMBER(t.st, STORE_VS_BATCH, "vsfb_1", "file_counts", "total", "1");
	ASSERT_PAGE(t.st, "vsfb_1", NULL, &pg, "file-b", false);
	job_of(t.st, "file-b", &j);
	ASSERT_OK(store_vsf_cancel_batch(t.st, P, VS, "vsfb_1", &body));
	ASSERT(strstr(body, "\"cancelled\""));
	free(body);
	ASSERT_EQ_INT(store_chunks_add(t.st, &j, 0, &ch, 1), ERR_NOT_FOUND);
	vs_job_cleanup(&j);
	ASSERT_MEMBER(t.st, STORE_VS_BATCH, "vsfb_1", "file_counts", "cancelled", "1");
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "file_counts", "cancelled", "1");
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "file_counts", "in_progress", "1");
	ASSERT_EQ_INT(store_vsf_cancel_batch(t.st, P, VS, "vsfb_9", &body), ERR_NOT_FOUND);
	free(bbody);
	tstore_close(&t);
}

static void vs_attributes_touch_and_expire(void)
{
	struct tstore t;
	char *body = NULL;

	open_vs(&t);
	attach(t.st, "file-a", 1, "{\"lang\":\"en\"}", NULL);
	ASSERT_OK(store_vsf_set_attributes(t.st, P, VS, "file-a", "{\"n\":3}", &body));
	ASSERT(strstr(body, "\"n\"") && !strstr(body, "lang"));
	free(body);
	ASSERT_EQ_INT(store_vsf_set_attributes(t.st, P, VS, "file-z", "{}", &body),
		      ERR_NOT_FOUND);
	ASSERT_OK(store_vs_touch(t.st, P, VS, 1000, 100));
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "last_active_at", NULL, "1000");
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "expires_at", NULL, "1200");
	ASSERT_OK(store_vs_expire(t.st, 1199));
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "status", NULL, "\"in_progress\"");
	ASSERT_OK(store_vs_expire(t.st, 1200));
	ASSERT_MEMBER(t.st, STORE_VECTOR_STORE, VS, "status", NULL, "\"expired\"");
	tstore_close(&t);
}

/* Searches VS for the words (space-separated); the hits' file ids joined by ",", and their
 * scores into scores[] when not NULL. Owned. */
static char *keyword(struct store *st, const char *query, const char *filter, double *scores)
{
	char *copy = xstrdup(query);
	const char *words[16];
	size_t nw = 0;
	const char *vs = VS;
	jv *f = filter ? jv_parse(filter, strlen(filter), NULL, 0) : NULL;
	struct store_search q = { .vs = &vs, .nvs = 1, .words = words, .filters = f,
				  .limit = 10 };
	struct store_hit *hits = NULL;
	size_t n = 0;
	char *out = xstrdup("");

	for (char *w = strtok(copy, " "); w && nw < 16; w = strtok(NULL, " "))
		words[nw++] = w;
	q.nwords = nw;
	ASSERT_OK(store_search(st, P, &q, &hits, &n));
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? "," : "", hits[i].file_id);

		free(out);
		out = next;
		ASSERT(hits[i].bm25 > 0 && hits[i].bm25 <= 1);
		ASSERT(i == 0 || hits[i].bm25 <= hits[i - 1].bm25);
		if (scores)
			scores[i] = hits[i].bm25;
	}
	store_hits_free(hits, n);
	jv_free(f);
	free(copy);
	return out;
}

#define ASSERT_KEYWORD(st, query, filter, expect)                                        \
	do {                                                                              \
		char *got_ = keyword((st), (query), (filter), NULL);                      \
		ASSERT_STR_EQ(got_, (expect));                                            \
		free(got_);                                                               \
	} while (0)

/* BM25 over the completed files: rarer words weigh more, more occurrences and shorter chunks
 * score higher, a word twice in the query counts twice, stemming matches word forms, and the
 * attribute filter applies. */
static void vs_keyword_search_ranks_bm25(void)
{
	static const char *const a[] = { "salmon swim upstream to spawn in the river" };
	static const char *const b[] = { "the river flows to the sea, the river is wide" };
	static const char *const c[] = { "a dog sleeps by the fire" };
	static const char *const d[] = { "salmon salmon salmon everywhere" };
	double s[4], s2[4];
	struct tstore t;
	char *got;

	open_vs(&t);
	attach(t.st, "file-a", 1, "{\"kind\":\"fish\",\"n\":1}", NULL);
	attach(t.st, "file-b", 2, "{\"kind\":\"water\",\"n\":2}", NULL);
	attach(t.st, "file-c", 3, "{\"kind\":\"pet\",\"n\":3}", NULL);
	attach(t.st, "file-d", 4, "{\"kind\":\"fish\",\"n\":4}", NULL);
	ingest(t.st, "file-a", a, 1, 1);
	ingest(t.st, "file-b", b, 1, 1);
	ingest(t.st, "file-c", c, 1, 1);
	ASSERT_KEYWORD(t.st, "river", NULL, "file-b,file-a");
	ASSERT_KEYWORD(t.st, "salmon", NULL, "file-a");
	ASSERT_KEYWORD(t.st, "sleeping dogs", NULL, "file-c");
	got = keyword(t.st, "salmon river", NULL, s);
	ASSERT_STR_EQ(got, "file-a,file-b");
	free(got);
	got = keyword(t.st, "salmon river river", NULL, s2);
	ASSERT_STR_EQ(got, "file-a,file-b");
	ASSERT(s2[1] > s[1] + 0.05); /* river weighs twice: file-b matches more of the query */
	ASSERT(fabs(s2[0] - s[0]) < 1e-6);
	free(got);
	ASSERT_KEYWORD(t.st, "river", "{\"type\":\"eq\",\"key\":\"kind\",\"value\":\"fish\"}",
		       "file-a");
	ASSERT_KEYWORD(t.st, "river the", "{\"type\":\"or\",\"filters\":[{\"type\":\"gte\","
		       "\"key\":\"n\",\"value\":3},{\"type\":\"nin\",\"key\":\"kind\",\"value\":"
		       "[\"fish\",\"water\"]}]}", "file-c");
	ASSERT_KEYWORD(t.st, "nothing matches", NULL, "");
	ingest(t.st, "file-d", d, 1, 1);
	got = keyword(t.st, "salmon", NULL, s);
	ASSERT_STR_EQ(got, "file-d,file-a");
	ASSERT(s[0] > s[1]);
	free(got);
	tstore_close(&t);
}

/* Writes n chunks of texts[i % 2] as file's ingestion job would, completing the file. */
static void ingest_many(struct store *st, const char *file, const char *const texts[2],
			size_t n)
{
	struct store_chunk ch[100];
	struct vs_job j = { 0 };

	job_of(st, file, &j);
	for (size_t i = 0; i < 100; i++)
		ch[i] = (struct store_chunk){ .text = texts[i % 2], .len = strlen(texts[i % 2]) };
	for (size_t first = 0; first < n; first += 100)
		ASSERT_OK(store_chunks_add(st, &j, (int64_t)first, ch, n - first < 100 ? n - first
										  : 100));
	ASSERT_OK(store_job_finish(st, &j, "completed", NULL, NULL, 1));
	vs_job_cleanup(&j);
}

/* The rarest words pick the candidates first (terms.h): here "zebra", in ten long chunks,
 * while "common" is in 600 of 1,210 chunks, past the first budget of postings. The short
 * chunks holding only "common" outscore the zebra chunks, so the search must widen to them
 * rather than stop at the rare word's candidates, which are as many as the hits wanted. A filter that no file passes widens the
 * candidates and the words until none are left, and finds nothing. */
static void vs_keyword_search_widens_past_rare_words(void)
{
	static const char *const many[2] = { "common filler", "plain filler" };
	struct buf zebra;
	const char *text[2];
	double s[10];
	struct tstore t;
	char *got;

	buf_init(&zebra, 0);
	ASSERT_OK(buf_puts(&zebra, "zebra"));
	for (int i = 0; i < 150; i++)
		ASSERT_OK(buf_puts(&zebra, " filler"));
	text[0] = text[1] = zebra.p;
	open_vs(&t);
	attach(t.st, "file-z", 1, NULL, NULL);
	attach(t.st, "file-m", 2, NULL, NULL);
	ingest_many(t.st, "file-z", text, 10);
	ingest_many(t.st, "file-m", many, 1200);
	got = keyword(t.st, "zebra common common common", NULL, s);
	ASSERT_STR_EQ(got, "file-m,file-m,file-m,file-m,file-m,file-m,file-m,file-m,file-m,"
		      "file-m");
	free(got);
	ASSERT_KEYWORD(t.st, "zebra", NULL, "file-z,file-z,file-z,file-z,file-z,file-z,file-z,"
		       "file-z,file-z,file-z");
	ASSERT_KEYWORD(t.st, "zebra plain", "{\"type\":\"eq\",\"key\":\"x\",\"value\":1}",
		       "");
	buf_cleanup(&zebra);
	tstore_close(&t);
}

/* The cases both backends run. */
#define VSTORE_CASES(X)                                                                    \
	X(vs_counts_follow_files) X(vs_lists_page_and_filter)                                 \
	X(vs_cancel_batch_stops_its_files) X(vs_attributes_touch_and_expire)                  \
	X(vs_keyword_search_ranks_bm25)

const struct t_case vstore_tests[] = {
	VSTORE_CASES(T_ENTRY)
	{ NULL, NULL },
};

VSTORE_CASES(T_PG_WRAP)
/* PostgreSQL only: SQLite's search keeps its first pass's hits when that pass found as many
 * as wanted without proving them the best (sqlite_search.c), which this case shows. */
T_PG_WRAP(vs_keyword_search_widens_past_rare_words)

/* --- Several nodes on PostgreSQL --- */

/* Two nodes asking for jobs at once get different ones; a node that dies (its claims
 * connection closes) leaves its jobs to the other as soon as the database ends its session
 * (waited for, up to a minute), and the node that took a job over is the only one that may
 * write its chunks. */
static void pg_jobs_are_claimed_by_one_node(void)
{
	struct store_chunk ch = { .text = "x", .len = 1 };
	struct vs_job ja[4] = { { 0 } }, jb[4] = { { 0 } }, jc[4] = { { 0 } };
	size_t na = 0, nb = 0, nc = 0;
	struct store *b = NULL;
	struct tstore t;

	if (!getenv("ASSISTD_TEST_PG")) {
		fprintf(stderr, "    skipped: no ASSISTD_TEST_PG (scripts/test.sh)\n");
		return;
	}
	t_on_pg = true;
	open_vs(&t);
	ASSERT_OK(tstore_reopen(&t, &b));
	attach(t.st, "file-a", 1, NULL, NULL);
	attach(t.st, "file-b", 2, NULL, NULL);
	ASSERT_OK(store_jobs_next(t.st, NULL, NULL, ja, 1, &na));
	ASSERT_OK(store_jobs_next(b, NULL, NULL, jb, 4, &nb));
	ASSERT_EQ_INT(na, 1);
	ASSERT_EQ_INT(nb, 1);
	ASSERT(strcmp(ja[0].file, jb[0].file) != 0);
	ASSERT_OK(store_jobs_next(b, NULL, NULL, jc, 4, &nc));
	ASSERT_EQ_INT(nc, 1); /* its own job again: it may pick it up after a failure */
	vs_job_cleanup(&jc[0]);
	store_close(t.st); /* node a dies: the database ends its session, soon */
	t.st = NULL;
	for (int i = 0; i < 600 && nc != 2; i++) {
		for (size_t k = 0; k < nc; k++)
			vs_job_cleanup(&jc[k]);
		if (i > 0)
			usleep(100 * 1000);
		ASSERT_OK(store_jobs_next(b, NULL, NULL, jc, 4, &nc));
	}
	ASSERT_EQ_INT(nc, 2);
	ASSERT_OK(tstore_reopen(&t, &t.st));
	ASSERT_EQ_INT(store_chunks_add(t.st, &ja[0], 0, &ch, 1), ERR_NOT_FOUND);
	ASSERT_OK(store_chunks_add(b, &ja[0], 0, &ch, 1));
	for (size_t i = 0; i < nc; i++)
		vs_job_cleanup(&jc[i]);
	vs_job_cleanup(&ja[0]);
	vs_job_cleanup(&jb[0]);
	store_close(b);
	tstore_close(&t);
}

const struct t_case vstore_pg_tests[] = {
	VSTORE_CASES(T_PG_ENTRY)
	T_PG_ENTRY(vs_keyword_search_widens_past_rare_words)
	T_CASE(pg_jobs_are_claimed_by_one_node),
	{ NULL, NULL },
};
