/* models.c - GET /v1/models, GET and DELETE /v1/models/{model}.
 *
 * The list is the engine's (engine_models: fetched from the upstream on the engine thread,
 * kept for a minute). Only the first requests after start can find none: they park until
 * the engine's fetch ends and run again, answering with whatever the engine has by then. */
#include "models.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../engine/engine.h"
#include "common.h"

/* The engine's waker: wakes the parked request and drops the reference the engine held. */
static void wake_once(void *ctx)
{
	http_waiter_wake(ctx);
	http_waiter_unref(ctx);
}

/* The list's JSON text (owned), or NULL when the request is parked: return HTTP_DEFERRED. */
static char *load(struct http_req *req)
{
	struct engine *eng = api_ctx(req)->eng;
	struct http_waiter *w;
	struct events_waker wk;
	char *body;

	if (http_reruns(req) > 0)
		return engine_models(eng, NULL);
	http_defer(req, MODELS_WAIT_MS, &w);
	wk = (struct events_waker){ wake_once, w };
	body = engine_models(eng, &wk);
	/* A list came back at once: the engine kept no waker, so our reference is ours. */
	if (body)
		http_waiter_unref(w);
	return body;
}

int models_list(struct http_req *req)
{
	char *body = load(req);

	if (!body)
		return HTTP_DEFERRED;
	return http_reply_json(req, 200, body);
}

/* The model id of the path: {model}, or {org}/{model}. Borrowed until the request ends. */
static const char *path_model(struct http_req *req)
{
	const char *org = http_param(req, "org");
	const char *model = http_param(req, "model");

	if (!org)
		return model;
	return http_keep(req, xasprintf("%s/%s", org, model));
}

/* Finds the listed Model with the path's id: 0 and *m (owned), HTTP_DEFERRED when the
 * request is parked, or ERR_NOT_FOUND recorded as the hosted API gave it. */
static int find(struct http_req *req, jv **m)
{
	const char *id = path_model(req);
	char *body = load(req);
	jv *list;

	*m = NULL;
	if (!body)
		return HTTP_DEFERRED;
	list = jv_parse(body, strlen(body), NULL, 0);
	free(body);
	for (size_t i = 0; !*m && i < jv_size(jv_get(list, "data")); i++) {
		const jv *item = jv_at(jv_get(list, "data"), i);
		const char *have = jv_get_str(item, "id");

		if (have && strcmp(have, id) == 0)
			*m = jv_copy(item);
	}
	jv_free(list);
	if (*m)
		return 0;
	http_fail_code(req, "model_not_found");
	return http_fail(req, ERR_NOT_FOUND, "model",
			 "The model '%.200s' does not exist or you do not have access to it. "
			 "GET /v1/models lists the models this server offers.", id);
}

int models_get(struct http_req *req)
{
	jv *m;
	int err = find(req, &m);

	if (err)
		return err;
	return api_reply_obj(req, m);
}

int models_delete(struct http_req *req)
{
	jv *m;
	int err = find(req, &m);

	if (err)
		return err;
	jv_free(m);
	return http_fail(req, ERR_PERMISSION, "model",
			 "You may not delete the model '%.200s': only fine-tuned models you own "
			 "can be deleted, and the models of this server are served, not owned, "
			 "by its projects.", path_model(req));
}
