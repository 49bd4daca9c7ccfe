/* clock.h - the two clocks the server uses. */
#ifndef ASSISTD_CLOCK_H
#define ASSISTD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Wall-clock Unix time in seconds, as the API's timestamps are. */
int64_t clock_unix(void);
/* Wall-clock Unix time in milliseconds, for what other processes compare (run leases, the
 * windows of rate limits). */
int64_t clock_unix_ms(void);
/* Monotonic milliseconds, for timeouts and durations. */
int64_t clock_ms(void);
/* Monotonic microseconds, for request durations. */
int64_t clock_us(void);
/* The CLOCK_REALTIME time ms milliseconds (us microseconds) from now: a
 * pthread_cond_timedwait deadline. */
struct timespec clock_deadline(int64_t ms);
struct timespec clock_deadline_us(int64_t us);

#endif
