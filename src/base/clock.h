/* clock.h - the two clocks the server uses. */
#ifndef ASSISTD_CLOCK_H
#define ASSISTD_CLOCK_H

#include <stdint.h>

/* Wall-clock Unix time in seconds, as the API's timestamps are. */
int64_t clock_unix(void);
/* Wall-clock Unix time in milliseconds, for what other processes compare (run leases). */
int64_t clock_unix_ms(void);
/* Monotonic milliseconds, for timeouts and durations. */
int64_t clock_ms(void);
/* Monotonic microseconds, for request durations. */
int64_t clock_us(void);

#endif
