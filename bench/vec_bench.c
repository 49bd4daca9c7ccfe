/* vec_bench.c - the vector ranker's own cost: store_vec_search over N random 256-dim vectors.
 *
 *   bench/out/vec_bench DIR N
 *
 * Opens a store in DIR (which must not exist), writes N chunks with random normalised 256-dim
 * vectors into one completed file of one vector store, then runs 100 searches (20 hits each,
 * each query one of the stored vectors) after a first one that loads the in-memory copy. Prints
 * one JSON line: the first search's wall time, and the p50 and p90 of the others in wall time
 * and in this thread's CPU time (on a shared machine the CPU time is the steadier number).
 * No HTTP, no keyword search, no embedding call: what the vector ranker adds to a search. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../src/base/alloc.h"
#include "../src/providers/embed.h"
#include "../src/store/vecstore.h"
#include "timing.h"

#define DIMS 256
#define BATCH 1000
#define SEARCHES 100

static const char vs_body[] =
	"{\"id\":\"vs_bench\",\"status\":\"completed\",\"usage_bytes\":0,\"file_counts\":"
	"{\"in_progress\":0,\"completed\":0,\"failed\":0,\"cancelled\":0,\"total\":0}}";

static float *random_vectors(int n)
{
	float *v = xmalloc((size_t)n * DIMS * sizeof(float));

	srand(1);
	for (size_t i = 0; i < (size_t)n * DIMS; i++)
		v[i] = (float)rand() / (float)RAND_MAX - 0.5f;
	for (int i = 0; i < n; i++)
		embed_normalise(v + (size_t)i * DIMS, DIMS);
	return v;
}

/* One vector store with one completed file of n chunks carrying the vectors v. */
static int fill(struct store *st, const float *v, int n)
{
	struct store_obj vs = { .kind = STORE_VECTOR_STORE, .id = "vs_bench", .created_at = 1,
				.body = vs_body };
	struct vsf_new f = { .file_id = "file-bench", .filename = "bench.txt", .created_at = 1,
			     .body = "{\"id\":\"file-bench\",\"status\":\"in_progress\"}" };
	static struct store_chunk ch[BATCH];
	struct vs_job job = { 0 };
	size_t nj = 0;
	int err = store_vsf_attach(st, "p", "vs_bench", &vs, NULL, NULL, 0);

	if (!err)
		err = store_vsf_attach(st, "p", "vs_bench", NULL, NULL, &f, 1);
	if (!err)
		err = store_jobs_next(st, NULL, NULL, &job, 1, &nj);
	for (int i = 0; !err && i < n; i += BATCH) {
		for (int j = 0; j < BATCH; j++)
			ch[j] = (struct store_chunk){ .text = "chunk", .len = 5, .dims = DIMS,
						      .vec = v + (size_t)((i + j) % n) * DIMS };
		err = store_chunks_add(st, &job, i, ch, BATCH);
	}
	if (!err)
		err = store_job_finish(st, &job, "completed", NULL, NULL, 1);
	vs_job_cleanup(&job);
	return err;
}

static int search(struct store *st, const float *q, double *wall, double *cpu)
{
	const char *ids[] = { "vs_bench" };
	struct store_vsearch s = { .vs = ids, .nvs = 1, .vec = q, .dims = DIMS, .limit = 20 };
	struct store_hit *hits = NULL;
	size_t n = 0;
	double w = ms(CLOCK_MONOTONIC), c = ms(CLOCK_THREAD_CPUTIME_ID);
	int err = store_vec_search(st, "p", &s, &hits, &n);

	*wall = ms(CLOCK_MONOTONIC) - w;
	*cpu = ms(CLOCK_THREAD_CPUTIME_ID) - c;
	store_hits_free(hits, n);
	return err;
}

int main(int argc, char **argv)
{
	double wall[SEARCHES], cpu[SEARCHES], first, ignore;
	int n = argc == 3 ? atoi(argv[2]) : 0;
	struct store *st = NULL;
	float *v;
	int err;

	if (n < BATCH || n % BATCH) {
		fprintf(stderr, "usage: vec_bench DIR N (N a multiple of %d)\n", BATCH);
		return 2;
	}
	v = random_vectors(n);
	err = store_open(argv[1], &st);
	if (!err)
		err = fill(st, v, n);
	if (!err)
		err = search(st, v, &first, &ignore);
	for (int i = 0; !err && i < SEARCHES; i++)
		err = search(st, v + (size_t)((i * 7919) % n) * DIMS, &wall[i], &cpu[i]);
	store_close(st);
	free(v);
	if (err)
		return 1;
	qsort(wall, SEARCHES, sizeof(double), cmp_double);
	qsort(cpu, SEARCHES, sizeof(double), cmp_double);
	printf("{\"chunks\": %d, \"first_ms\": %.1f, \"p50_ms\": %.2f, \"p90_ms\": %.2f, "
	       "\"cpu_p50_ms\": %.2f, \"cpu_p90_ms\": %.2f}\n", n, first, wall[SEARCHES / 2],
	       wall[SEARCHES * 9 / 10], cpu[SEARCHES / 2], cpu[SEARCHES * 9 / 10]);
	return 0;
}
