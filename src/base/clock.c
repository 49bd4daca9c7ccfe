/* clock.c - wall-clock and monotonic time (see clock.h).
 *
 * Test builds (-DASSISTD_TEST) add ASSISTD_TEST_CLOCK_SKEW_S seconds to the wall clock, so an
 * end-to-end test can restart the server an hour "later" and see what expires. */
#include "clock.h"

#include <stdlib.h>
#include <time.h>

#ifdef ASSISTD_TEST
#include <pthread.h>

static pthread_once_t skew_once = PTHREAD_ONCE_INIT;
static int64_t skew_s;

static void skew_read(void)
{
	const char *s = getenv("ASSISTD_TEST_CLOCK_SKEW_S");

	skew_s = s ? strtoll(s, NULL, 10) : 0;
}

static int64_t skew(void)
{
	pthread_once(&skew_once, skew_read);
	return skew_s;
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
