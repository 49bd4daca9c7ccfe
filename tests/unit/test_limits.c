/* test_limits.c - unit tests for src/limits: the checks, windows and budget periods, the
 * header texts, and two instances on one store (two nodes) sharing their counts through
 * store_count_sync (the store's side, on both backends, is in test_store.c), and what those
 * syncs, a write every 200 ms whatever the traffic, must not do to the SQLite store's readers
 * (their reused snapshots) and its WAL. Also the /metrics series added with them:
 * rate-limited responses and the ingestion queue's depth. */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "../../src/base/alloc.h"
#include "../../src/base/buf.h"
#include "../../src/base/clock.h"
#include "../../src/base/metrics.h"
#include "../../src/limits/limits.h"
#include "../../src/limits/limits_int.h"
#include "../../src/store/sqlite_int.h"
#include "../../src/store/store.h"
#include "../../src/store/vstore.h"
#include "suites.h"

#define SLOW_SYNC 60000 /* the thread never syncs by itself during a test */

struct tdir {
	char root[64];
	struct store *st;
};

static void tdir_open(struct tdir *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/assistd-limits-XXXXXX");
	ASSERT(mkdtemp(t->root) != NULL);
	ASSERT_OK(store_open(t->root, &t->st));
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void tdir_close(struct tdir *t)
{
	store_close(t->st);
	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void set_limit(struct store *st, enum store_limit_scope scope, const char *subject,
		      int64_t requests, int64_t runs, int64_t tokens)
{
	struct store_limit l = { .scope = scope, .subject = (char *)subject, .requests = requests,
				 .runs = runs, .tokens = tokens, .monthly = true };

	ASSERT_OK(store_limit_set(st, &l));
}

static struct limits *start(struct store *st, int64_t window_ms)
{
	struct limits_config cfg = { .st = st, .window_ms = window_ms, .sync_ms = SLOW_SYNC };
	struct limits *lim = NULL;

	ASSERT_OK(limits_start(&cfg, &lim));
	return lim;
}

static void duration_text(void)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0ms" },          { 20, "20ms" },      { 999, "999ms" },
		{ 1000, "1s" },        { 1500, "1.5s" },    { 59999, "59.999s" },
		{ 360000, "6m0s" },    { 61250, "1m1.25s" }, { 93780000, "26h3m0s" },
		{ -5, "0ms" },
	};
	char out[LIMITS_TEXT_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		limits_duration(cases[i].ms, out);
		ASSERT_STR_EQ(out, cases[i].text);
	}
	limits_duration(INT64_MAX, out); /* the longest there is fits */
	ASSERT_STR_EQ(out, "2562047788015h12m55.807s");
	limits_decimal(INT64_MAX, out);
	ASSERT_STR_EQ(out, "9223372036854775807");
	limits_decimal(-3, out);
	ASSERT_STR_EQ(out, "0");
}

static void budget_periods_follow_the_utc_calendar(void)
{
	struct limits lim = { .window_ms = 60000 };
	struct lim_rule r = { .l = { .monthly = true } };
	int64_t feb15 = (int64_t)1771156800 * 1000; /* 2026-02-15T12:00:00Z */
	int64_t dec31 = (int64_t)1798718400 * 1000; /* 2026-12-31T12:00:00Z */
	int64_t start;
	int64_t end;

	lim_window(&lim, &r, STORE_COUNT_TOKENS, feb15, &start, &end);
	ASSERT_EQ_INT(start, (int64_t)1769904000 * 1000); /* 2026-02-01 */
	ASSERT_EQ_INT(end, (int64_t)1772323200 * 1000);   /* 2026-03-01 */
	lim_window(&lim, &r, STORE_COUNT_TOKENS, dec31, &start, &end);
	ASSERT_EQ_INT(end, (int64_t)1798761600 * 1000);   /* 2027-01-01 */
	r.l.monthly = false;
	lim_window(&lim, &r, STORE_COUNT_TOKENS, feb15, &start, &end);
	ASSERT_EQ_INT(start, (int64_t)1771113600 * 1000); /* 2026-02-15T00:00Z */
	ASSERT_EQ_INT(end - start, 86400000);
	lim_window(&lim, &r, STORE_COUNT_REQUESTS, feb15 + 61234, &start, &end);
	ASSERT_EQ_INT(start, feb15 + 60000);
	ASSERT_EQ_INT(end, feb15 + 120000);
}

static void admit_counts_refuses_and_reports(void)
{
	struct limits_state s;
	struct limits *lim;
	struct tdir t;

	tdir_open(&t);
	set_limit(t.st, STORE_LIMIT_PROJECT, "p", 2, 0, 0);
	lim = start(t.st, 60000);
	ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
	ASSERT(s.set[STORE_COUNT_REQUESTS]);
	ASSERT_EQ_INT(s.limit[STORE_COUNT_REQUESTS], 2);
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_REQUESTS], 1);
	ASSERT(s.reset_ms[STORE_COUNT_REQUESTS] > 0 && s.reset_ms[STORE_COUNT_REQUESTS] <= 60000);
	ASSERT(!s.set[STORE_COUNT_TOKENS]);
	ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
	ASSERT_EQ_INT(limits_admit(lim, NULL, "p", false, &s), ERR_REQUESTS);
	ASSERT_EQ_INT(s.refused, STORE_COUNT_REQUESTS);
	ASSERT_EQ_INT(s.scope, STORE_LIMIT_PROJECT);
	ASSERT_STR_EQ(s.subject, "p");
	ASSERT_EQ_INT(s.used, 2);
	ASSERT(s.retry_ms > 0 && s.retry_ms <= 60000);
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_REQUESTS], 0);
	ASSERT_OK(limits_admit(lim, NULL, "q", false, &s)); /* another project: no limits */
	ASSERT(!s.set[STORE_COUNT_REQUESTS]);
	limits_stop(lim);
	tdir_close(&t);
}

/* A key's limit and its project's both apply; the headers show the tighter one, and a
 * refused request counts against neither. */
static void key_and_project_limits_both_apply(void)
{
	struct store_key k = { .id = "key_a", .project = "p", .hint = "sk-...a", .created_at = 1 };
	struct limits_state s;
	struct limits *lim;
	struct tdir t;

	tdir_open(&t);
	ASSERT_OK(store_key_insert(t.st, &k, "hash_a"));
	set_limit(t.st, STORE_LIMIT_KEY, "key_a", 0, 1, 0);
	set_limit(t.st, STORE_LIMIT_PROJECT, "p", 3, 5, 0);
	lim = start(t.st, 60000);
	ASSERT_OK(limits_admit(lim, "hash_a", "p", true, &s));
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_RUNS], 0);    /* the key's 1, not the project's 5 */
	ASSERT_EQ_INT(s.limit[STORE_COUNT_RUNS], 1);
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_REQUESTS], 2); /* the project's */
	ASSERT_EQ_INT(limits_admit(lim, "hash_a", "p", true, &s), ERR_REQUESTS);
	ASSERT_EQ_INT(s.refused, STORE_COUNT_RUNS);
	ASSERT_EQ_INT(s.scope, STORE_LIMIT_KEY);
	ASSERT_OK(limits_admit(lim, "hash_other", "p", true, &s)); /* another key of p */
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_REQUESTS], 1);        /* the refusal used none */
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_RUNS], 3);
	limits_stop(lim);
	tdir_close(&t);
}

static void budget_refuses_runs_once_spent(void)
{
	struct store_key k = { .id = "key_a", .project = "p", .hint = "sk-...a", .created_at = 1 };
	struct limits_state s;
	struct limits *lim;
	char why[400];
	struct tdir t;

	tdir_open(&t);
	ASSERT_OK(store_key_insert(t.st, &k, "hash_a"));
	set_limit(t.st, STORE_LIMIT_KEY, "key_a", 0, 0, 100);
	lim = start(t.st, 60000);
	ASSERT_OK(limits_budget(lim, "hash_a", "p", why, sizeof(why)));
	limits_tokens(lim, "hash_a", "p", 60);
	ASSERT_OK(limits_budget(lim, "hash_a", "p", why, sizeof(why)));
	ASSERT_OK(limits_admit(lim, "hash_a", "p", false, &s));
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_TOKENS], 40);
	limits_tokens(lim, "hash_a", "p", 60);
	ASSERT_EQ_INT(limits_budget(lim, "hash_a", "p", why, sizeof(why)), ERR_QUOTA);
	ASSERT(strstr(why, "token budget of API key 'key_a' (100 tokens per month)") != NULL);
	ASSERT_EQ_INT(limits_admit(lim, "hash_a", "p", true, &s), ERR_QUOTA);
	ASSERT_EQ_INT(s.refused, STORE_COUNT_TOKENS);
	ASSERT_OK(limits_admit(lim, "hash_a", "p", false, &s)); /* other requests go on */
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_TOKENS], 0);
	ASSERT_OK(limits_budget(lim, NULL, "p", why, sizeof(why))); /* the project has none */
	limits_stop(lim);
	tdir_close(&t);
}

/* Two instances on one store, as two nodes: each sees the other's counts after a sync. */
static void two_nodes_share_counts_through_the_store(void)
{
	struct limits_state s;
	struct limits *a;
	struct limits *b;
	struct store *st2;
	struct tdir t;

	tdir_open(&t);
	ASSERT_OK(store_open(t.root, &st2));
	set_limit(t.st, STORE_LIMIT_PROJECT, "p", 3, 0, 50);
	a = start(t.st, 60000);
	b = start(st2, 60000);
	ASSERT_OK(limits_admit(a, NULL, "p", false, &s));
	ASSERT_OK(limits_admit(a, NULL, "p", false, &s));
	limits_tokens(a, NULL, "p", 50);
	ASSERT_OK(lim_sync_once(a));
	ASSERT_OK(lim_sync_once(b));
	ASSERT_OK(limits_admit(b, NULL, "p", false, &s));
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_REQUESTS], 0);
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_TOKENS], 0);
	ASSERT_EQ_INT(limits_admit(b, NULL, "p", false, &s), ERR_REQUESTS);
	ASSERT_OK(lim_sync_once(b));
	ASSERT_OK(lim_sync_once(a));
	ASSERT_EQ_INT(limits_admit(a, NULL, "p", false, &s), ERR_REQUESTS);
	ASSERT_EQ_INT(s.used, 3);
	limits_stop(a);
	limits_stop(b);
	store_close(st2);
	tdir_close(&t);
}

/* A limit set while running applies after the next sync; one removed stops applying. */
static void limits_reload_and_keep_counts(void)
{
	struct limits_state s;
	struct limits *lim;
	struct tdir t;

	tdir_open(&t);
	lim = start(t.st, 60000);
	ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
	ASSERT(!s.set[STORE_COUNT_REQUESTS]);
	set_limit(t.st, STORE_LIMIT_PROJECT, "p", 2, 0, 0);
	ASSERT_OK(lim_sync_once(lim));
	ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_REQUESTS], 1);
	set_limit(t.st, STORE_LIMIT_PROJECT, "p", 3, 0, 0);
	ASSERT_OK(lim_sync_once(lim)); /* a changed limit keeps what was counted */
	ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
	ASSERT_EQ_INT(s.remaining[STORE_COUNT_REQUESTS], 1);
	ASSERT_OK(store_limit_delete(t.st, STORE_LIMIT_PROJECT, "p"));
	ASSERT_OK(lim_sync_once(lim));
	ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
	ASSERT(!s.set[STORE_COUNT_REQUESTS]);
	limits_stop(lim);
	tdir_close(&t);
}

/* A count sync is a write that readers see (the generation moves on, so older snapshots are
 * not reused), but not one that stops them keeping snapshots for the next reader: the clock
 * of the quiet period stays where the last other write set it. */
static void count_syncs_leave_readers_their_snapshots(void)
{
	struct timespec gap = { .tv_nsec = 5000000 };
	struct limits_state s;
	struct sqlite_store *sq;
	struct limits *lim;
	uint64_t gen;
	int64_t wrote;
	struct tdir t;

	tdir_open(&t);
	sq = sqlite_of(t.st);
	set_limit(t.st, STORE_LIMIT_PROJECT, "p", 10, 0, 0);
	lim = start(t.st, 60000);
	gen = atomic_load(&sq->gen);
	wrote = atomic_load(&sq->write_ms);
	nanosleep(&gap, NULL);
	ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
	ASSERT_OK(lim_sync_once(lim));
	ASSERT(atomic_load(&sq->gen) > gen);
	ASSERT_EQ_INT(atomic_load(&sq->write_ms), wrote);
	limits_stop(lim);
	tdir_close(&t);
}

#define WAL_SYNCS 600
#define WAL_MAX (3 << 19) /* under 400 KB when right; 2.8 MB and growing when not */

struct reader {
	struct store *st;
	atomic_bool *stop;
	pthread_t tid;
};

/* Reads one object over and over, as a busy read path does, until stopped. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char *body;

	while (!atomic_load(r->stop)) {
		ASSERT_OK(store_get(r->st, "p", STORE_THREAD, "t", NULL, &body, NULL));
		free(body);
	}
	return NULL;
}

/* The counts go to the store every sync whatever the traffic; readers that keep their
 * snapshots meanwhile (the syncs do not stop them) must not keep the WAL from being copied
 * back and started over, or it grows by every sync's pages for as long as reads go on. */
static void count_syncs_keep_the_wal_small_under_reads(void)
{
	struct store_obj o = { .kind = STORE_THREAD, .id = "t", .created_at = 1, .body = "{}" };
	struct timespec gap = { .tv_nsec = 2000000 };
	struct reader r[2];
	atomic_bool stop = false;
	struct limits_state s;
	struct limits *lim;
	struct stat sb;
	char *wal;
	struct tdir t;

	tdir_open(&t);
	ASSERT_OK(store_put(t.st, "p", &o, 0));
	set_limit(t.st, STORE_LIMIT_PROJECT, "p", 1000000000, 0, 0);
	lim = start(t.st, 60000);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct reader){ .st = t.st, .stop = &stop };
		ASSERT_OK(pthread_create(&r[i].tid, NULL, reader_main, &r[i]));
	}
	for (int i = 0; i < WAL_SYNCS; i++) {
		ASSERT_OK(limits_admit(lim, NULL, "p", false, &s));
		ASSERT_OK(lim_sync_once(lim));
		nanosleep(&gap, NULL); /* syncs are apart: readers renew their snapshots between */
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		ASSERT_OK(pthread_join(r[i].tid, NULL));
	wal = xasprintf("%s/assistd.db-wal", t.root);
	ASSERT_OK(stat(wal, &sb));
	if (sb.st_size >= WAL_MAX)
		T_FAIL("WAL is %lld bytes after %d syncs", (long long)sb.st_size, WAL_SYNCS);
	free(wal);
	limits_stop(lim);
	tdir_close(&t);
}

static void limited_responses_are_counted_in_metrics(void)
{
	struct buf b;

	buf_init(&b, 0);
	metrics_limited(METRICS_LIMIT_RUNS);
	metrics_limited(METRICS_LIMIT_RUNS);
	metrics_limited(99); /* ignored */
	metrics_write(&b);
	ASSERT(strstr(b.p, "# TYPE assistd_rate_limited_total counter\n") != NULL);
	ASSERT(strstr(b.p, "assistd_rate_limited_total{limit=\"runs\"} 2\n") != NULL);
	ASSERT(strstr(b.p, "assistd_rate_limited_total{limit=\"requests\"} 0\n") != NULL);
	buf_cleanup(&b);
}

static void ingest_queue_depth_counts_jobs(void)
{
	static const char vs_body[] = "{\"id\":\"vs_a\",\"object\":\"vector_store\","
				      "\"file_counts\":{\"in_progress\":0,\"completed\":0,"
				      "\"failed\":0,\"cancelled\":0,\"total\":0}}";
	struct store_obj vs = { .kind = STORE_VECTOR_STORE, .id = "vs_a", .created_at = 1,
				.body = vs_body };
	struct vsf_new f[2] = {
		{ "file-a", "a.txt", 1, "{\"id\":\"file-a\",\"status\":\"in_progress\"}" },
		{ "file-b", "b.txt", 1, "{\"id\":\"file-b\",\"status\":\"in_progress\"}" },
	};
	struct vs_job jobs[2] = { { 0 } };
	size_t nj = 0;
	int64_t n = -1;
	struct tdir t;

	tdir_open(&t);
	ASSERT_OK(store_jobs_count(t.st, &n));
	ASSERT_EQ_INT(n, 0);
	ASSERT_OK(store_vsf_attach(t.st, "p", "vs_a", &vs, NULL, f, 2));
	ASSERT_OK(store_jobs_count(t.st, &n));
	ASSERT_EQ_INT(n, 2);
	ASSERT_OK(store_jobs_next(t.st, NULL, NULL, jobs, 2, &nj));
	ASSERT_EQ_INT(nj, 2);
	ASSERT_OK(store_job_finish(t.st, &jobs[0], "completed", NULL, NULL, 10));
	ASSERT_OK(store_jobs_count(t.st, &n));
	ASSERT_EQ_INT(n, 1);
	vs_job_cleanup(&jobs[0]);
	vs_job_cleanup(&jobs[1]);
	tdir_close(&t);
}

const struct t_case limits_tests[] = {
	T_CASE(duration_text),
	T_CASE(budget_periods_follow_the_utc_calendar),
	T_CASE(admit_counts_refuses_and_reports),
	T_CASE(key_and_project_limits_both_apply),
	T_CASE(budget_refuses_runs_once_spent),
	T_CASE(two_nodes_share_counts_through_the_store),
	T_CASE(limits_reload_and_keep_counts),
	T_CASE(count_syncs_leave_readers_their_snapshots),
	T_CASE(count_syncs_keep_the_wal_small_under_reads),
	T_CASE(limited_responses_are_counted_in_metrics),
	T_CASE(ingest_queue_depth_counts_jobs),
	{ NULL, NULL },
};
