/* watchers.h - the list of store_watch registrations of one store handle, shared by the
 * backends' change notifications (sqlite_notify.c, pg_notify.c): adding, removing, and
 * calling every watcher with a topic, such that a removal waits for calls in flight.
 * Private to src/store. */
#ifndef ASSISTD_STORE_WATCHERS_H
#define ASSISTD_STORE_WATCHERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct watcher;

struct watchers {
	pthread_mutex_t mu;   /* guards the fields below */
	pthread_cond_t idle;  /* signalled when calling drops to 0 */
	struct watcher *list;
	int calling;          /* deliveries running outside mu */
};

void watchers_init(struct watchers *ws);
/* Frees the registrations left (no delivery may be running). */
void watchers_cleanup(struct watchers *ws);
/* Adds fn(ctx, topic); returns the registration (owned by ws until watchers_remove). */
void *watchers_add(struct watchers *ws, store_watch_fn *fn, void *ctx);
/* Removes a registration and frees it once no delivery is running. */
void watchers_remove(struct watchers *ws, void *registration);
/* True when there is at least one registration. */
bool watchers_any(struct watchers *ws);
/* Calls every watcher with each of topics[0..n), outside mu. */
void watchers_deliver(struct watchers *ws, const char *const *topics, size_t n);

#endif
