/* clock.c - wall-clock and monotonic time (see clock.h).
 *
 * Test builds (-DASSISTD_TEST) add to the wall clock the number of seconds written in the
 * file named by ASSISTD_TEST_CLOCK_SKEW_FILE, read on every call, so that an end-to-end test
 * can move a running server an hour "later" and see what expires. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef ASSISTD_TEST
static int64_t skew(void)
{
	const char *path = getenv("ASSISTD_TEST_CLOCK_SKEW_FILE");
	long long s = 0;
	FILE *f = path ? fopen(path, "r") : NULL;

	if (!f)
		return 0;
	if (fscanf(f, "%lld", &s) != 1)
		s = 0;
	fclose(f);
	return (int64_t)s;
}
#else
static int64_t skew(void)
{
	return 0;
}
#endif

int64_t clock_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec + skew();
}

int64_t clock_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec + skew()) * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_ms(void)
{
	return clock_us() / 1000;
}

struct timespec clock_deadline_us(int64_t us)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += us / 1000000;
	ts.tv_nsec += (us % 1000000) * 1000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

struct timespec clock_deadline(int64_t ms)
{
	return clock_deadline_us(ms * 1000);
}
