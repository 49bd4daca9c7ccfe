/* kw_bench.c - the keyword ranker's own cost: search_run over an existing data directory.
 *
 *   bench/out/kw_bench DIR PROJECT STORE QUERIES ROUNDS
 *
 * Opens the store in DIR (a data directory a server filled, e.g. vs_search's), reads QUERIES
 * (one query text a line) and runs each through search_run (keyword ranker only, 10 results,
 * as POST /v1/vector_stores/{id}/search does by default), ROUNDS times over. Prints one JSON
 * line: the p50 and p90 of the first round and of the last, in wall time and in this thread's
 * CPU time. No HTTP and no JSON: what the keyword search itself costs. The first round
 * includes whatever the process must learn once (document frequencies, caches); the last
 * shows the steady state. Runs under valgrind --tool=callgrind as well (ROUNDS 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/base/alloc.h"
#include "../src/tools/search.h"
#include "timing.h"

#define QUERIES_MAX 2000
#define LINE_MAX_BYTES 4096

/* The lines of path (at most QUERIES_MAX), each owned; returns how many. */
static size_t read_lines(const char *path, char **lines)
{
	char line[LINE_MAX_BYTES];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	while (f && n < QUERIES_MAX && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (*line)
			lines[n++] = xstrdup(line);
	}
	if (f)
		fclose(f);
	return n;
}

static int one(struct store *st, const char *project, const char *vs, const char *text,
	       double *wall, double *cpu)
{
	const char *ids[] = { vs };
	const char *queries[] = { text };
	struct search_query q = { .project = project, .vs = ids, .nvs = 1, .queries = queries,
				  .nq = 1, .max_results = 10 };
	struct search_result *r = NULL;
	size_t n = 0;
	double w = ms(CLOCK_MONOTONIC), c = ms(CLOCK_THREAD_CPUTIME_ID);
	int err = search_run(st, &q, &r, &n);

	*wall = ms(CLOCK_MONOTONIC) - w;
	*cpu = ms(CLOCK_THREAD_CPUTIME_ID) - c;
	search_results_free(r, n);
	return err;
}

static void print_round(const char *name, double *wall, double *cpu, size_t n)
{
	qsort(wall, n, sizeof(double), cmp_double);
	qsort(cpu, n, sizeof(double), cmp_double);
	printf("\"%s_p50_ms\": %.3f, \"%s_p90_ms\": %.3f, \"%s_cpu_p50_ms\": %.3f", name,
	       wall[n / 2], name, wall[n * 9 / 10], name, cpu[n / 2]);
}

int main(int argc, char **argv)
{
	static char *lines[QUERIES_MAX];
	static double wall[QUERIES_MAX], cpu[QUERIES_MAX];
	struct store *st = NULL;
	int rounds = argc == 6 ? atoi(argv[5]) : 0;
	size_t n = argc == 6 ? read_lines(argv[4], lines) : 0;
	int err;

	if (rounds < 1 || n == 0) {
		fprintf(stderr, "usage: kw_bench DIR PROJECT STORE QUERIES ROUNDS\n");
		return 2;
	}
	err = store_open(argv[1], &st);
	printf("{\"queries\": %zu, ", n);
	for (int r = 0; r < rounds && !err; r++) {
		for (size_t i = 0; i < n && !err; i++)
			err = one(st, argv[2], argv[3], lines[i], &wall[i], &cpu[i]);
		if (!err && (r == 0 || r == rounds - 1))
			print_round(r == 0 ? "first" : "last", wall, cpu, n);
		if (!err && r == 0 && rounds > 1)
			printf(", ");
	}
	printf("}\n");
	store_close(st);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	return err ? 1 : 0;
}
