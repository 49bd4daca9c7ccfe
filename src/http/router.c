/* router.c - route table matching (see router.h).
 *
 * A linear scan in table order (the first match wins): the table has a few dozen routes.
 * Routes of another depth or method are skipped before the path is walked; a second scan,
 * run only when nothing matched, tells 405 from 404. HEAD takes the GET route. */
#include "router.h"

#include <stdbool.h>
#include <string.h>

#include "http.h"

/* Matches one {name} segment at *pat against *path, advancing both. */
static bool match_param(const char **pat, const char **path, const char *start,
			struct router_match *m)
{
	const char *close = strchr(*pat, '}');
	size_t len = strcspn(*path, "/");
	struct router_param *p;

	if (!close || len == 0 || m->nparams == ROUTER_MAX_PARAMS)
		return false;
	p = &m->params[m->nparams++];
	p->name = *pat + 1;
	p->nlen = (size_t)(close - *pat - 1);
	p->off = (size_t)(*path - start);
	p->len = len;
	*pat = close + 1;
	*path += len;
	return true;
}

static bool match_path(const char *pat, const char *path, struct router_match *m)
{
	const char *start = path;

	m->nparams = 0;
	while (*pat) {
		if (*pat == '{') {
			if (!match_param(&pat, &path, start, m))
				return false;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *path == '\0';
}

unsigned router_depth(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* A HEAD request is served by the GET route: MHD leaves the body out. */
static bool method_ok(const struct http_route *r, const char *method)
{
	if (strcmp(r->method, method) == 0)
		return true;
	return strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
}

static bool depth_ok(const unsigned *depths, size_t i, unsigned depth)
{
	return !depths || depths[i] == depth;
}

int router_match(const struct http_route *routes, const unsigned *depths, size_t n,
		 const char *method, const char *path, struct router_match *m)
{
	unsigned depth = router_depth(path);

	for (size_t i = 0; i < n; i++) {
		if (!depth_ok(depths, i, depth) || !method_ok(&routes[i], method))
			continue;
		if (match_path(routes[i].pattern, path, m)) {
			m->route = &routes[i];
			return 0;
		}
	}
	m->route = NULL;
	for (size_t i = 0; i < n; i++) {
		if (depth_ok(depths, i, depth) && match_path(routes[i].pattern, path, m)) {
			m->nparams = 0;
			return ERR_METHOD;
		}
	}
	m->nparams = 0;
	return ERR_NOT_FOUND;
}

void router_allow(const struct http_route *routes, size_t n, const char *path, struct buf *b)
{
	struct router_match m;

	for (size_t i = 0; i < n; i++) {
		if (!match_path(routes[i].pattern, path, &m))
			continue;
		/* An Allow header that hits the buffer's limit is only shorter. */
		if (b->len > 0 && buf_puts(b, ", ") != 0)
			return;
		if (buf_puts(b, routes[i].method) != 0)
			return;
	}
}
