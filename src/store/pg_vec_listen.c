/* pg_vec_listen.c - keeps the PostgreSQL store's vector copies (vec_mem.h) in step with the
 * database, whichever node changed it.
 *
 * Inserting or deleting chunks with vectors NOTIFYs the topic "vec:<project>/<store>" in the
 * same transaction (pg_vs_schema.c's triggers), so it arrives once the change is committed;
 * the cache watches the store's change notifications (pg_notify.c: one LISTENing connection
 * per node, shared with the run event log) and drops the named copy. When that connection
 * broke and came back, STORE_TOPIC_ALL arrives and every copy goes (notifications may have
 * been missed). A copy loaded while a notification arrived might predate the change, so
 * pg_vec.c caches a copy only when the epoch (bumped by every notification) did not move
 * during its load. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "pg_vs_int.h"

#define VEC_TOPIC "vec:" /* what the triggers put before "<project>/<store>" */

struct pg_vec_cache {
	struct vec_cache *vc;
	struct store *st;  /* borrowed: the store watched */
	void *watch;       /* the registration, or NULL when watching failed */
	atomic_uint_fast64_t epoch;
};

struct vec_cache *pg_vec_cache_mem(struct pg_vec_cache *pc)
{
	return pc->vc;
}

bool pg_vec_cache_epoch(struct pg_vec_cache *pc, uint64_t *epoch)
{
	*epoch = atomic_load(&pc->epoch);
	return pc->watch != NULL;
}

/* Forgets copies: one store's (key), or all (NULL). */
static void invalidate(struct pg_vec_cache *pc, const char *key)
{
	atomic_fetch_add(&pc->epoch, 1);
	vec_cache_drop(pc->vc, key);
}

void pg_vs_changed(struct pg_store *ps, const char *project, const char *vs)
{
	char *key = xasprintf("%s/%s", project, vs);

	invalidate(ps->vs->vec, key);
	free(key);
}

/* A change notification (store_watch_fn): the copy it names goes. */
static void on_topic(void *ctx, const char *topic)
{
	struct pg_vec_cache *pc = ctx;

	if (strcmp(topic, STORE_TOPIC_ALL) == 0)
		invalidate(pc, NULL);
	else if (strncmp(topic, VEC_TOPIC, strlen(VEC_TOPIC)) == 0)
		invalidate(pc, topic + strlen(VEC_TOPIC));
}

struct pg_vec_cache *pg_vec_cache_new(struct store *st)
{
	struct pg_vec_cache *pc = xcalloc(1, sizeof(*pc));

	pc->vc = vec_cache_new();
	pc->st = st;
	pc->watch = store_watch(st, on_topic, pc);
	if (!pc->watch)
		log_warn("store: vector cache: cannot watch for changes; vectors are read from the "
			 "database on every search");
	return pc;
}

void pg_vec_cache_free(struct pg_vec_cache *pc)
{
	if (!pc)
		return;
	if (pc->watch)
		store_unwatch(pc->st, pc->watch);
	vec_cache_free(pc->vc);
	free(pc);
}
