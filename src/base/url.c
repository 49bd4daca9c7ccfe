/* url.c - finding and removing a URL's userinfo (see url.h). */
#include "url.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Where the userinfo starts (just past "://") and its length, or false when there is none. */
static bool userinfo_span(const char *url, size_t *start, size_t *len)
{
	const char *p = strstr(url, "://");
	size_t auth;
	const char *at = NULL;

	if (!p)
		return false;
	p += 3;
	auth = strcspn(p, "/?#");
	for (size_t i = 0; i < auth; i++) {
		if (p[i] == '@')
			at = p + i;
	}
	if (!at)
		return false;
	*start = (size_t)(p - url);
	*len = (size_t)(at - p);
	return true;
}

char *url_public(const char *url)
{
	size_t start;
	size_t len;

	if (!userinfo_span(url, &start, &len))
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)start, url, url + start + len + 1);
}

char *url_userinfo(const char *url)
{
	size_t start;
	size_t len;

	if (!userinfo_span(url, &start, &len))
		return NULL;
	return xasprintf("%.*s", (int)len, url + start);
}

char *url_password(const char *url)
{
	char *info = url_userinfo(url);
	char *colon = info ? strchr(info, ':') : NULL;
	char *pw = colon ? xstrdup(colon + 1) : NULL;

	free(info);
	return pw;
}
