/* timing.h - what the benchmark helper programs (vec_bench.c, kw_bench.c) time with: a
 * clock in milliseconds and the order to sort samples in. */
#ifndef ASSISTD_BENCH_TIMING_H
#define ASSISTD_BENCH_TIMING_H

#include <time.h>

/* clock (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID) now, in milliseconds. */
static inline double ms(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* qsort's order for doubles, smallest first. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
