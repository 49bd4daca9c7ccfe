/* models.c - the models runs may name: the upstream's GET {upstream_url}/models, the names
 * the aliases serve, or the demo model (prov_models, prov_models_configured).
 *
 * One fetch at a time per provider, on an HTTP client of its own kept for the next fetch
 * (the model calls' pool is left alone), with short timeouts: the list is for people
 * choosing a model, and a slow or broken upstream must not hold them up. The upstream's
 * answer is read leniently (what an entry lacks gets a default) but bounded; anything
 * unusable gives the configured models. Caching the list is the caller's business (the
 * engine's). */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/log.h"
#include "httpc.h"
#include "prov_int.h"

#define MODELS_TIMEOUT_MS 5000
#define MODELS_MAX_BODY (4 << 20) /* OpenRouter's list, the longest known, is ~1 MB */
#define MODELS_MAX_ID 256
/* Models kept of a list: the duplicate check is quadratic and runs on the engine thread. */
#define MODELS_MAX 1000

struct models_fetch {
	struct prov *p;          /* borrowed owner */
	prov_models_done *done;
	void *ctx;               /* borrowed, the caller's */
	struct timer later;      /* the demo backend's answer, in the next iteration */
	struct httpc *http;      /* owned, made by the first GET; NULL for the demo backend */
	struct httpc_req *req;   /* borrowed until its done runs */
	struct buf body;         /* the upstream's answer */
	bool busy;               /* a fetch is under way: done has not run yet */
};

/* One Model object (owned). */
static jv *model_new(const char *id, size_t len, int64_t created, const char *owned_by)
{
	jv *m = jv_object();

	jv_set(m, "id", jv_stringn(id, len));
	jv_set_str(m, "object", "model");
	jv_set_int(m, "created", created);
	jv_set_str(m, "owned_by", owned_by);
	return m;
}

static bool listed(const jv *list, const char *id, size_t len)
{
	for (size_t i = 0; i < jv_size(list); i++) {
		const char *have = jv_get_str(jv_at(list, i), "id");

		if (strlen(have) == len && memcmp(have, id, len) == 0)
			return true;
	}
	return false;
}

/* Adds an alias's name to the list (arg), unless listed already; "*" names no model. */
static bool add_alias(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	(void)v;
	(void)vlen;
	if ((klen == 1 && k[0] == '*') || klen > MODELS_MAX_ID || listed(arg, k, klen))
		return false;
	jv_push(arg, model_new(k, klen, 0, "assistd"));
	return false;
}

jv *prov_models_configured(const struct prov *p)
{
	jv *list = jv_array();

	if (prov_is_demo(p)) {
		jv_push(list, model_new(PROV_DEMO_MODEL, strlen(PROV_DEMO_MODEL), 0, "assistd"));
		return list;
	}
	(void)prov_alias_walk(p->cfg.aliases, add_alias, list);
	return list;
}

/* One entry of the upstream's "data", as a Model object (owned), or NULL when it has no
 * usable id. */
static jv *upstream_model(const jv *item)
{
	const char *id = jv_get_str(item, "id");
	const char *owner = jv_get_str(item, "owned_by");
	const jv *created = jv_get(item, "created");

	if (!id || !*id || strlen(id) > MODELS_MAX_ID)
		return NULL;
	return model_new(id, strlen(id), jv_is_int(created) ? jv_int_value(created) : 0,
			 owner ? owner : "upstream");
}

/* The upstream's list from its answer, with the aliases added; NULL when unusable. */
static jv *upstream_list(const struct prov *p, const char *text, size_t len)
{
	char why[160];
	jv *doc = jv_parse(text, len, why, sizeof(why));
	const jv *data = jv_get(doc, "data");
	jv *list = NULL;

	if (!jv_is_array(data)) {
		log_warn("provider: the upstream's model list is not {\"data\": [...]}%s%s",
			 doc ? "" : ": ", doc ? "" : why);
		goto out;
	}
	list = jv_array();
	for (size_t i = 0; i < jv_size(data) && jv_size(list) < MODELS_MAX; i++) {
		jv *m = upstream_model(jv_at(data, i));

		if (m && !listed(list, jv_get_str(m, "id"), strlen(jv_get_str(m, "id"))))
			jv_push(list, m);
		else
			jv_free(m);
	}
	(void)prov_alias_walk(p->cfg.aliases, add_alias, list);
out:
	jv_free(doc);
	return list;
}

/* Ends the fetch: hands the list (owned; NULL for the configured models) to its caller. The
 * fetch stays for the next one, with its client and connection. */
static void finish(struct models_fetch *f, jv *list, bool complete)
{
	f->busy = false;
	f->req = NULL;
	buf_cleanup(&f->body);
	buf_init(&f->body, MODELS_MAX_BODY);
	f->done(f->ctx, list ? list : prov_models_configured(f->p), complete);
}

static bool on_body(void *ctx, int status, const char *content_type, const char *p, size_t len)
{
	struct models_fetch *f = ctx;

	(void)content_type;
	/* An error's body is not read; a list past the bound ends the transfer. */
	return status / 100 != 2 || buf_append(&f->body, p, len) == 0;
}

static void on_done(void *ctx, const struct httpc_result *res)
{
	struct models_fetch *f = ctx;
	jv *list;

	if (res->fail != HTTPC_OK || res->status / 100 != 2) {
		log_warn("provider: the upstream's model list failed (%s, status %d); listing "
			 "the configured models", res->fail != HTTPC_OK ? res->error : "HTTP",
			 res->status);
		finish(f, NULL, false);
		return;
	}
	list = upstream_list(f->p, f->body.p ? f->body.p : "", f->body.len);
	finish(f, list, list != NULL);
}

/* The timer: the demo backend's answer, or the configured models when no GET could start. */
static void answer_configured(void *arg)
{
	struct models_fetch *f = arg;

	finish(f, NULL, prov_is_demo(f->p));
}

/* Starts the GET; false when there is no client to send it with. */
static bool fetch_start(struct models_fetch *f)
{
	static const struct httpc_handlers hd = { .body = on_body, .done = on_done };
	struct httpc_config hc = { MODELS_TIMEOUT_MS, MODELS_TIMEOUT_MS };
	const char *url = f->p->cfg.upstream_url;
	size_t len = strlen(url);
	char *endpoint;
	char *auth = NULL;
	const char *headers[3] = { "Accept: application/json", NULL, NULL };

	if (!f->http && httpc_new(&hc, f->p->loop, &f->http))
		return false;
	while (len > 0 && url[len - 1] == '/')
		len--;
	endpoint = xasprintf("%.*s/models", (int)len, url);
	if (f->p->cfg.upstream_key)
		auth = xasprintf("Authorization: Bearer %s", f->p->cfg.upstream_key);
	headers[1] = auth;
	f->req = httpc_get(f->http, endpoint, headers, &hd, f);
	free(endpoint);
	free(auth);
	return true;
}

int prov_models(struct prov *p, prov_models_done *done, void *ctx)
{
	struct models_fetch *f = p->models;

	if (f && f->busy)
		return ERR_CONFLICT;
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		f->p = p;
		buf_init(&f->body, MODELS_MAX_BODY);
		timer_init(&f->later, answer_configured, f);
		p->models = f;
	}
	f->busy = true;
	f->done = done;
	f->ctx = ctx;
	if (prov_is_demo(p) || !fetch_start(f))
		loop_timer_start(p->loop, &f->later, 0);
	return 0;
}

void prov_models_free(struct prov *p)
{
	struct models_fetch *f = p->models;

	if (!f)
		return;
	p->models = NULL;
	loop_timer_stop(p->loop, &f->later);
	/* Aborts the GET under way, if any, without calling its handlers. */
	httpc_free(f->http);
	buf_cleanup(&f->body);
	free(f);
}
