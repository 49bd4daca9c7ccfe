/* models.c - the engine's copy of the model list (engine_models), for GET /v1/models.
 *
 * API threads read the list under the cache's mutex; the fetch itself (prov_models) runs on
 * the engine thread, posted there by the first reader that finds the list missing or old.
 * Readers that find no list at all leave a waker, woken when the fetch ends. A list older
 * than its time is still served while the next one is fetched, so after the first fetch no
 * reader waits for the upstream. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "engine_int.h"

struct model_wait {
	struct events_waker w;
	struct model_wait *next;
};

void model_cache_init(struct model_cache *mc)
{
	memset(mc, 0, sizeof(*mc));
	pthread_mutex_init(&mc->mu, NULL);
}

/* Runs and frees a list of wakers (outside the mutex). */
static void wake_all(struct model_wait *w)
{
	while (w) {
		struct model_wait *next = w->next;

		w->w.wake(w->w.ctx);
		free(w);
		w = next;
	}
}

void model_cache_cleanup(struct model_cache *mc)
{
	wake_all(mc->waits);
	mc->waits = NULL;
	free(mc->body);
	mc->body = NULL;
	pthread_mutex_destroy(&mc->mu);
}

/* The list's JSON text as GET /v1/models sends it. Takes ownership of data; owned. */
static char *list_body(jv *data)
{
	jv *list = jv_object();
	char *body;

	jv_set_str(list, "object", "list");
	jv_set(list, "data", data);
	body = jv_dump(list);
	jv_free(list);
	return body;
}

/* prov_models' answer, on the engine thread: keeps the list and wakes the readers. */
static void on_models(void *ctx, jv *models, bool complete)
{
	struct engine *e = ctx;
	struct model_cache *mc = &e->models;
	char *body = list_body(models);
	int ttl_s = complete ? ENGINE_MODELS_TTL_S : ENGINE_MODELS_RETRY_S;
	struct model_wait *waits;

	pthread_mutex_lock(&mc->mu);
	free(mc->body);
	mc->body = body;
	mc->fresh_until_ms = clock_ms() + ttl_s * 1000LL;
	mc->fetching = false;
	waits = mc->waits;
	mc->waits = NULL;
	pthread_mutex_unlock(&mc->mu);
	wake_all(waits);
}

/* Posted to the engine thread by the reader that found the list missing or old. */
static void fetch(void *arg)
{
	struct engine *e = arg;

	/* engine_stop frees the provider before the last posts run; its cleanup wakes the
	 * readers. */
	if (!e->prov)
		return;
	if (prov_models(e->prov, on_models, e) != 0)
		on_models(e, prov_models_configured(e->prov), false);
}

/* Under mc->mu: what a reader gets when there is no fresh list. */
static char *stale_or_wait(struct engine *e, const struct events_waker *w)
{
	struct model_cache *mc = &e->models;
	struct model_wait *mw;

	if (!mc->fetching) {
		mc->fetching = true;
		loop_post(e->loop, fetch, e);
	}
	if (mc->body)
		return xstrdup(mc->body);
	if (!w)
		return list_body(prov_models_configured(e->prov));
	mw = xcalloc(1, sizeof(*mw));
	mw->w = *w;
	mw->next = mc->waits;
	mc->waits = mw;
	return NULL;
}

char *engine_models(struct engine *e, const struct events_waker *w)
{
	struct model_cache *mc = &e->models;
	char *body;

	pthread_mutex_lock(&mc->mu);
	if (mc->body && clock_ms() < mc->fresh_until_ms)
		body = xstrdup(mc->body);
	else
		body = stale_or_wait(e, w);
	pthread_mutex_unlock(&mc->mu);
	return body;
}
