/* sandbox_bench.c - code_interpreter's sandbox, measured through its C API (bench/cases/
 * sandbox.sh runs it; see BENCHMARKS.md).
 *
 *   sandbox_bench cold N      N new threads' first print(1), with the pool, then without
 *   sandbox_bench warm N      N calls of `pass` in one warm session (the overhead per call)
 *   sandbox_bench idle N      N idle sessions: PSS of their processes
 *
 * Each prints "key value" lines for the case script. Times are from sbx_exec to the done
 * callback, on the caller's loop, as the engine will see them. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/base/clock.h"
#include "../src/base/loop.h"
#include "../src/tools/sandbox.h"

struct call {
	struct sbx_result *res;
	bool done;
};

static void on_done(void *ctx, struct sbx_result *res)
{
	struct call *c = ctx;

	c->res = res;
	c->done = true;
}

/* Microseconds from sbx_exec to its result; exits if the code did not print want. */
static int64_t timed(struct sbx *s, struct loop *l, const char *key, const char *code,
		     const char *want)
{
	struct call c = { 0 };
	int64_t t0 = clock_us();

	sbx_exec(s, key, code, on_done, &c);
	while (!c.done)
		loop_run_once(l, 1000);
	t0 = clock_us() - t0;
	if (c.res->err || strcmp(c.res->logs, want) != 0) {
		fprintf(stderr, "sandbox_bench: %s gave err %d: %s\n", code, c.res->err,
			c.res->logs);
		exit(1);
	}
	sbx_result_free(c.res);
	return t0;
}

static void settle(struct loop *l, int ms)
{
	int64_t end = clock_ms() + ms;

	while (clock_ms() < end)
		loop_run_once(l, 50);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a;
	int64_t y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Prints "NAME_p50 ms" and "NAME_p90 ms" of n samples in microseconds. */
static void report(const char *name, int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp64);
	printf("%s_p50 %.2f\n%s_p90 %.2f\n", name, v[n / 2] / 1000.0, name,
	       v[(n * 9) / 10] / 1000.0);
}

static struct sbx *manager(struct loop *l, int pool)
{
	struct sbx_config cfg = { .pool = pool, .max_sessions = 64 };
	struct sbx *s;
	const char *why;

	if (sbx_new(&cfg, l, &s) || !sbx_check(s, &why)) {
		fprintf(stderr, "sandbox_bench: no sandbox: %s\n", why);
		exit(1);
	}
	settle(l, 1500); /* the pool starts */
	return s;
}

static void cold(struct loop *l, int n, int pool, const char *name)
{
	struct sbx *s = manager(l, pool);
	int64_t *v = calloc((size_t)n, sizeof(*v));
	char key[32];

	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "thread_%d", i);
		v[i] = timed(s, l, key, "print(1)", "1\n");
		sbx_end(s, key);
		settle(l, 700); /* the pool refills, as between two new threads */
	}
	report(name, v, n);
	free(v);
	sbx_free(s);
}

static void warm(struct loop *l, int n)
{
	struct sbx *s = manager(l, 1);
	int64_t *v = calloc((size_t)n, sizeof(*v));

	timed(s, l, "t", "import time", "");
	for (int i = 0; i < n; i++)
		v[i] = timed(s, l, "t", "pass", "");
	report("warm_pass", v, n);
	/* 10 ms of the code's own time: what is added on top of it */
	for (int i = 0; i < n / 4; i++)
		v[i] = timed(s, l, "t", "time.sleep(0.01)", "") - 10000;
	report("warm_sleep10_overhead", v, n / 4);
	free(v);
	sbx_free(s);
}

/* Proportional set size of pid alone, in kB. */
static long own_pss(int pid)
{
	char path[64];
	char line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Pss:", 4) == 0)
			kb += strtol(line + 4, NULL, 10);
	}
	if (f)
		fclose(f);
	return kb;
}

/* PSS of pid's descendants (for this process: the sessions, bubblewrap and what runs in
 * it), in kB. */
static long children_pss(int pid)
{
	char path[64];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	for (int child; f && fscanf(f, "%d", &child) == 1;)
		kb += own_pss(child) + children_pss(child);
	if (f)
		fclose(f);
	return kb;
}

static void idle(struct loop *l, int n)
{
	struct sbx *s = manager(l, -1);
	char key[32];
	long kb;

	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "thread_%d", i);
		timed(s, l, key, "x = 1", "");
	}
	settle(l, 1000);
	kb = children_pss(getpid());
	printf("idle_sessions %d\nidle_pss_kb_each %ld\nidle_fit_1gib %ld\n", n, kb / n,
	       (1024L * 1024) / (kb / n));
	/* the same sessions once their code has imported the usual libraries */
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "thread_%d", i);
		timed(s, l, key, "import numpy, pandas, matplotlib.pyplot", "");
	}
	settle(l, 1000);
	kb = children_pss(getpid());
	printf("loaded_pss_kb_each %ld\nloaded_fit_1gib %ld\n", kb / n, (1024L * 1024) / (kb / n));
	sbx_free(s);
}

int main(int argc, char **argv)
{
	struct loop *l;
	int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20;

	if (argc < 2 || n < 4 || loop_new(&l)) {
		fprintf(stderr, "usage: sandbox_bench cold|warm|idle N (N >= 4)\n");
		return 2;
	}
	if (strcmp(argv[1], "cold") == 0) {
		cold(l, n, 1, "cold_pool");
		cold(l, n, -1, "cold_nopool");
	} else if (strcmp(argv[1], "warm") == 0) {
		warm(l, n);
	} else {
		idle(l, n);
	}
	loop_free(l);
	return 0;
}
