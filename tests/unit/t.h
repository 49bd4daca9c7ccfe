/* t.h - the unit test harness: test functions, suites and assertions.
 *
 * A test is `static void name(void)` using the ASSERT_ macros. Each test file exports one
 * suite (a NULL-terminated table of cases); t_main.c lists the suites, runs each case in a
 * forked child with a timeout, and prints "N passed, N failed" last. */
#ifndef ASSISTD_T_H
#define ASSISTD_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t_case {
	const char *name;
	void (*fn)(void);
};

#define T_CASE(fn) { #fn, fn }

#define T_FAIL(...)                                                              \
	do {                                                                     \
		fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__);             \
		fprintf(stderr, __VA_ARGS__);                                    \
		fprintf(stderr, "\n");                                           \
		exit(1);                                                         \
	} while (0)

#define ASSERT(cond)                                                             \
	do {                                                                     \
		if (!(cond))                                                     \
			T_FAIL("assertion failed: %s", #cond);                   \
	} while (0)

#define ASSERT_EQ_INT(a, b)                                                      \
	do {                                                                     \
		long long a_ = (long long)(a), b_ = (long long)(b);              \
		if (a_ != b_)                                                    \
			T_FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_);        \
	} while (0)

#define ASSERT_OK(err) ASSERT_EQ_INT((err), 0)

#define ASSERT_STR_EQ(a, b)                                                      \
	do {                                                                     \
		const char *a_ = (a), *b_ = (b);                                 \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                           \
			T_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,             \
			       a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
	} while (0)

#endif
