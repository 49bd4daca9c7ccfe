/* router.h - matching a method and path against the route table.
 *
 * Patterns are literal text with {name} segments, each matching one non-empty path segment.
 * The router only reports where the params are in the path; it copies and decodes nothing
 * (libmicrohttpd hands over the path already URL-decoded). Private to src/http. */
#ifndef ASSISTD_ROUTER_H
#define ASSISTD_ROUTER_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/err.h"

struct http_route;

#define ROUTER_MAX_PARAMS 8

struct router_param {
	const char *name; /* borrowed from the pattern; not NUL-terminated */
	size_t nlen;
	size_t off; /* where the value is in the path */
	size_t len;
};

struct router_match {
	const struct http_route *route; /* borrowed from the table */
	size_t nparams;
	struct router_param params[ROUTER_MAX_PARAMS];
};

/* The number of '/' in a path or pattern: routes whose count differs from the path's are
 * skipped without a walk. */
unsigned router_depth(const char *s);
/* Finds the route for method and path; depths holds router_depth of each pattern (or is
 * NULL). Returns 0 with *m filled, ERR_METHOD when only another method's route matches the
 * path, or ERR_NOT_FOUND. */
int router_match(const struct http_route *routes, const unsigned *depths, size_t n,
		 const char *method, const char *path, struct router_match *m) MUST_CHECK;
/* Appends the methods whose routes match path to b, as "GET, POST" (for Allow). */
void router_allow(const struct http_route *routes, size_t n, const char *path, struct buf *b);

#endif
