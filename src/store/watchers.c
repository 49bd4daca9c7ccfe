/* watchers.c - store_watch registrations (see watchers.h). A delivery copies the list under
 * the lock and calls it outside, counted, so that a watcher may take locks of its own and a
 * removal knows when no call can reach the removed one any more. */
#include "watchers.h"

#include <stdlib.h>

#include "../base/alloc.h"

struct watcher {
	store_watch_fn *fn;
	void *ctx;
	struct watcher *next;
};

void watchers_init(struct watchers *ws)
{
	pthread_mutex_init(&ws->mu, NULL);
	pthread_cond_init(&ws->idle, NULL);
	ws->list = NULL;
	ws->calling = 0;
}

void watchers_cleanup(struct watchers *ws)
{
	while (ws->list) {
		struct watcher *w = ws->list;

		ws->list = w->next;
		free(w);
	}
	pthread_cond_destroy(&ws->idle);
	pthread_mutex_destroy(&ws->mu);
}

void *watchers_add(struct watchers *ws, store_watch_fn *fn, void *ctx)
{
	struct watcher *w = xcalloc(1, sizeof(*w));

	w->fn = fn;
	w->ctx = ctx;
	pthread_mutex_lock(&ws->mu);
	w->next = ws->list;
	ws->list = w;
	pthread_mutex_unlock(&ws->mu);
	return w;
}

void watchers_remove(struct watchers *ws, void *registration)
{
	struct watcher **p = &ws->list;

	pthread_mutex_lock(&ws->mu);
	while (*p && *p != registration)
		p = &(*p)->next;
	if (*p)
		*p = (*p)->next;
	while (ws->calling)
		pthread_cond_wait(&ws->idle, &ws->mu);
	pthread_mutex_unlock(&ws->mu);
	free(registration);
}

bool watchers_any(struct watchers *ws)
{
	bool any;

	pthread_mutex_lock(&ws->mu);
	any = ws->list != NULL;
	pthread_mutex_unlock(&ws->mu);
	return any;
}

void watchers_deliver(struct watchers *ws, const char *const *topics, size_t n)
{
	struct watcher *list = NULL;
	size_t nw = 0;

	pthread_mutex_lock(&ws->mu);
	for (struct watcher *w = ws->list; w; w = w->next) {
		list = xrealloc(list, (nw + 1) * sizeof(*list));
		list[nw++] = *w;
	}
	if (nw)
		ws->calling++;
	pthread_mutex_unlock(&ws->mu);
	if (!nw)
		return;
	for (size_t t = 0; t < n; t++)
		for (size_t i = 0; i < nw; i++)
			list[i].fn(list[i].ctx, topics[t]);
	free(list);
	pthread_mutex_lock(&ws->mu);
	if (--ws->calling == 0)
		pthread_cond_broadcast(&ws->idle);
	pthread_mutex_unlock(&ws->mu);
}
