/* demo_reply.h - what the built-in demo model answers (private to src/providers).
 *
 * The whole reply of a demo turn is decided up front from the request, by the rules at the
 * top of demo.c; demo.c then streams it. Pure: no I/O, no timers. */
#ifndef ASSISTD_DEMO_REPLY_H
#define ASSISTD_DEMO_REPLY_H

#include <stdbool.h>

#include "provider.h"

struct demo_plan {
	bool fail;  /* the last user message asks for "demo:fail" */
	bool slow;  /* ... or for "demo:slow": 200 ms between words */
	char *text; /* owned reply text; NULL when calls is set */
	jv *calls;  /* owned array of {"id","name","arguments"}; NULL for a text reply */
};

/* Decides the reply to rq into *pl (caller's storage; free with demo_plan_cleanup).
 * Errors: ERR_INTERNAL (no randomness for tool call ids), with nothing to clean up. */
int demo_plan_make(const struct prov_request *rq, struct demo_plan *pl) MUST_CHECK;
void demo_plan_cleanup(struct demo_plan *pl);

/* Length of the next streamed word at s: leading spaces plus one run of non-spaces, so
 * that the words concatenate back to the text exactly. 0 at the end of s. */
size_t demo_word_len(const char *s);

#endif
