/* test_ingest.c - unit tests of the ingestion workers' life (src/tools/ingest.c, suite
 * "ingest"): an idle server runs one worker, and the others start with the first job. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../src/base/alloc.h"
#include "../../src/store/vstore.h"
#include "../../src/tools/ingest.h"
#include "suites.h"
#include "t_store.h"

/* The threads of this process (the test's forked child), from /proc. */
static int threads_now(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	ASSERT(f);
	while (n < 0 && fgets(line, sizeof(line), f))
		(void)sscanf(line, "Threads: %d", &n);
	fclose(f);
	return n;
}

/* Polls for up to 10 s until the process runs n threads. */
static bool threads_reach(int n)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000000 };

	for (int i = 0; i < 1000 && threads_now() != n; i++)
		nanosleep(&tick, NULL);
	return threads_now() == n;
}

/* The vector store "vs" with one file in progress (a job) whose bytes were never stored. */
static void add_job(struct store *st)
{
	static const char vs_body[] = "{\"id\":\"vs\",\"status\":\"in_progress\",\"usage_bytes\":0,"
				      "\"file_counts\":{\"in_progress\":1,\"completed\":0,"
				      "\"failed\":0,\"cancelled\":0,\"total\":1},"
				      "\"expires_after\":null,\"expires_at\":null}";
	struct store_obj vs = { .kind = STORE_VECTOR_STORE, .id = "vs", .created_at = 1,
				.body = vs_body };
	struct vsf_new f = { .file_id = "file-a", .filename = "a.txt", .created_at = 1,
			     .body = "{\"id\":\"file-a\",\"status\":\"in_progress\"}" };

	ASSERT_OK(store_vsf_attach(st, "p", "vs", &vs, NULL, &f, 1));
}

static void workers_start_with_the_first_job(void)
{
	struct tstore t;
	struct blobs *bs = NULL;
	struct ingest *ing = NULL;
	char *dir;
	int before;

	tstore_open(&t);
	dir = xasprintf("%s/files", t.dir);
	ASSERT_OK(blobs_open(dir, &bs));
	before = threads_now();
	ASSERT_OK(ingest_start(&(struct ingest_config){ .st = t.st, .bs = bs, .workers = 3 },
			       &ing));
	ASSERT_EQ_INT(threads_now(), before + 1);
	add_job(t.st);
	ingest_kick(ing);
	if (!threads_reach(before + 3))
		T_FAIL("%d threads, not %d, once a job was claimed", threads_now(), before + 3);
	ingest_stop(ing);
	ASSERT_EQ_INT(threads_now(), before);
	blobs_close(bs);
	free(dir);
	tstore_close(&t);
}

const struct t_case ingest_tests[] = {
	T_CASE(workers_start_with_the_first_job),
	{ NULL, NULL },
};
