/* ratelimit.h - the API's side of the limits per key and project (src/limits): the check on
 * every request, the x-ratelimit-* headers and the 429 answers. */
#ifndef ASSISTD_RATELIMIT_H
#define ASSISTD_RATELIMIT_H

#include "../http/http.h"

/* Counts the request (and the run it creates, for the run-creating routes) of the key with
 * hash key_hash (NULL in open mode) in project, before its body is read. Adds the
 * x-ratelimit-* headers of the limits that apply to the reply, whatever it is, of the routes
 * that call the model (create run, create thread and run, submit tool outputs) and to every
 * 429. Errors:
 * ERR_REQUESTS (rate_limit_exceeded, with retry-after), ERR_QUOTA (insufficient_quota: a spent
 * token budget refuses new runs), all recorded. */
int ratelimit_check(struct http_req *req, const char *key_hash, const char *project) MUST_CHECK;

#endif
