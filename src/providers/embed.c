/* embed.c - the embeddings client (see embed.h).
 *
 * A call cuts its inputs into batches and sends each as one POST {url}/embeddings on a client
 * of its own (an event loop with an httpc on it, taken from the shared free list and given
 * back afterwards), running that loop itself until the reply is in. A batch that fails with
 * 429, 5xx or a connection error is sent again after a backoff (0.5 s doubling to 8 s with
 * jitter, or the upstream's Retry-After capped at 60 s), up to max_retries times; anything
 * else fails the call. */
#include "embed.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../json/json.h"
#include "httpc.h"
#include "openai_wire.h"

#define EMBED_BATCH 64
#define EMBED_MAX_REPLY (256 << 20)  /* largest reply read */
#define EMBED_BACKOFF_MS 500
#define EMBED_BACKOFF_CAP_MS 8000
#define EMBED_RETRY_AFTER_CAP_MS 60000
#define EMBED_TICK_MS 200            /* how often a waiting call asks rq->stop */

struct embed {
	char *endpoint;  /* owned: {url}/embeddings */
	char *auth;      /* owned "Authorization: Bearer ..." header, or NULL */
	char *model;     /* owned */
	int dims;
	int max_retries;
	int batch;
	struct httpc_config hc;
	pthread_mutex_t mu;    /* guards idle, nidle and rng */
	struct client **idle;  /* clients no call is using, owned */
	size_t nidle;
	uint64_t rng;          /* xorshift state for backoff jitter */
};

/* A connection pool for one call at a time: a loop of its own that the calling thread runs. */
struct client {
	struct loop *loop;  /* owned */
	struct httpc *http; /* owned, on loop */
};

/* One attempt's response. */
struct attempt {
	struct buf body;
	bool done;
	enum httpc_fail fail;
	int status;
	int64_t retry_after_ms;
};

/* --- The client pool --- */

static void client_free(struct client *c)
{
	if (!c)
		return;
	httpc_free(c->http);
	loop_free(c->loop);
	free(c);
}

/* An idle client, or a new one. Owned: give back with client_give. NULL when none can be made. */
static struct client *client_take(struct embed *e)
{
	struct client *c = NULL;

	pthread_mutex_lock(&e->mu);
	if (e->nidle > 0)
		c = e->idle[--e->nidle];
	pthread_mutex_unlock(&e->mu);
	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	if (loop_new(&c->loop) != 0 || httpc_new(&e->hc, c->loop, &c->http) != 0) {
		client_free(c);
		return NULL;
	}
	return c;
}

static void client_give(struct embed *e, struct client *h)
{
	pthread_mutex_lock(&e->mu);
	e->idle = xrealloc(e->idle, (e->nidle + 1) * sizeof(*e->idle));
	e->idle[e->nidle++] = h;
	pthread_mutex_unlock(&e->mu);
}

/* The numbers of cfg, defaults filled in. */
static void settings(struct embed *e, const struct embed_config *cfg)
{
	e->dims = cfg->dims;
	e->max_retries = cfg->max_retries < 0 ? 3 : cfg->max_retries;
	e->batch = cfg->batch > 0 ? cfg->batch : EMBED_BATCH;
	e->hc.connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	e->hc.idle_timeout_ms = cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : 120000;
}

int embed_new(const struct embed_config *cfg, struct embed **out)
{
	struct embed *e;
	size_t len = cfg->url ? strlen(cfg->url) : 0;

	*out = NULL;
	if (len == 0 || !cfg->model || !*cfg->model || cfg->dims < 0 ||
	    cfg->dims > EMBED_MAX_DIMS)
		return ERR_INVALID;
	while (len > 0 && cfg->url[len - 1] == '/')
		len--;
	e = xcalloc(1, sizeof(*e));
	e->endpoint = xasprintf("%.*s/embeddings", (int)len, cfg->url);
	if (cfg->key && *cfg->key)
		e->auth = xasprintf("Authorization: Bearer %s", cfg->key);
	e->model = xstrdup(cfg->model);
	settings(e, cfg);
	pthread_mutex_init(&e->mu, NULL);
	e->rng = (uint64_t)clock_us() | 1;
	*out = e;
	return 0;
}

void embed_free(struct embed *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nidle; i++)
		client_free(e->idle[i]);
	free(e->idle);
	pthread_mutex_destroy(&e->mu);
	free(e->endpoint);
	free(e->auth);
	free(e->model);
	free(e);
}

const char *embed_model(const struct embed *e)
{
	return e->model;
}

/* --- One request --- */

static bool on_body(void *ctx, int status, const char *content_type, const char *p, size_t len)
{
	struct attempt *a = ctx;

	return buf_append(&a->body, p, len) == 0;
}

static void on_done(void *ctx, const struct httpc_result *res)
{
	struct attempt *a = ctx;

	a->done = true;
	a->fail = res->fail;
	a->status = res->status;
	a->retry_after_ms = res->retry_after_ms;
}

/* The request JSON for texts [from, to). Owned. */
static char *request_body(const struct embed *e, const struct embed_req *rq, size_t from,
			  size_t to)
{
	jv *o = jv_object();
	jv *in = jv_array();
	char *s;

	for (size_t i = from; i < to; i++)
		jv_push(in, jv_stringn(rq->texts[i], rq->lens[i]));
	jv_set_str(o, "model", e->model);
	jv_set(o, "input", in);
	jv_set_str(o, "encoding_format", "float");
	if (e->dims > 0)
		jv_set_int(o, "dimensions", e->dims);
	s = jv_dump(o);
	jv_free(o);
	return s;
}

/* Sends body once and waits for the whole reply (or for rq->stop). */
static int post_once(struct embed *e, struct client *c, const char *body,
		     const struct embed_req *rq, struct attempt *a)
{
	static const struct httpc_handlers hd = { .body = on_body, .done = on_done };
	const char *headers[] = { "Content-Type: application/json", e->auth, NULL };
	struct httpc_req *r;

	buf_init(&a->body, EMBED_MAX_REPLY);
	a->done = false;
	r = httpc_post(c->http, e->endpoint, headers, body, strlen(body), &hd, a);
	while (!a->done) {
		if (rq->stop && rq->stop(rq->ctx)) {
			httpc_cancel(r);
			return ERR_UNAVAILABLE;
		}
		loop_run_once(c->loop, EMBED_TICK_MS);
	}
	return 0;
}

/* --- Retries --- */

static bool retryable(const struct attempt *a)
{
	if (a->fail == HTTPC_CONNECT || a->fail == HTTPC_TIMEOUT || a->fail == HTTPC_TRANSPORT)
		return true;
	return a->fail == HTTPC_OK && (a->status == 429 || a->status / 100 == 5);
}

/* How long to wait before retry number attempt + 1. */
static int64_t backoff_ms(struct embed *e, int attempt, int64_t retry_after_ms)
{
	int64_t d = EMBED_BACKOFF_MS << (attempt < 5 ? attempt : 5);
	uint64_t r;

	if (retry_after_ms >= 0)
		return retry_after_ms < EMBED_RETRY_AFTER_CAP_MS ? retry_after_ms
								 : EMBED_RETRY_AFTER_CAP_MS;
	d = d < EMBED_BACKOFF_CAP_MS ? d : EMBED_BACKOFF_CAP_MS;
	pthread_mutex_lock(&e->mu);
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 7;
	e->rng ^= e->rng << 17;
	r = e->rng;
	pthread_mutex_unlock(&e->mu);
	return d / 2 + (int64_t)(r % (uint64_t)(d / 2 + 1));
}

/* Sleeps ms, waking every tick to ask rq->stop. */
static int pause_ms(const struct embed_req *rq, int64_t ms)
{
	int64_t until = clock_ms() + ms;

	for (int64_t now = clock_ms(); now < until; now = clock_ms()) {
		int64_t step = until - now < EMBED_TICK_MS ? until - now : EMBED_TICK_MS;
		struct timespec ts = { step / 1000, (step % 1000) * 1000000 };

		if (rq->stop && rq->stop(rq->ctx))
			return ERR_UNAVAILABLE;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Why a last attempt failed, in words for the user. Owned. */
static char *fail_why(const struct attempt *a)
{
	char *msg;
	char *why;

	if (a->fail == HTTPC_CONNECT)
		return xstrdup("could not connect to the embedding model's server");
	if (a->fail == HTTPC_TIMEOUT)
		return xstrdup("the embedding model's server did not answer in time");
	if (a->fail != HTTPC_OK)
		return xstrdup("the connection to the embedding model's server broke");
	msg = oai_error_message(a->body.p, a->body.len);
	why = xasprintf("the embedding model's server answered %d%s%s", a->status,
			msg ? ": " : "", msg ? msg : "");
	free(msg);
	return why;
}

/* Posts body until a 2xx reply is in a->body, retrying what may pass. */
static int post(struct embed *e, struct client *h, const char *body, const struct embed_req *rq,
		struct attempt *a, char **why)
{
	int64_t delay;
	int err = 0;

	for (int attempt = 0; !err; attempt++) {
		err = post_once(e, h, body, rq, a);
		if (err || (a->fail == HTTPC_OK && a->status / 100 == 2))
			break;
		if (!retryable(a) || attempt >= e->max_retries) {
			*why = fail_why(a);
			err = ERR_UPSTREAM;
			break;
		}
		delay = backoff_ms(e, attempt, a->retry_after_ms);
		log_warn("embeddings: %s; retry %d of %d in %lld ms", a->fail == HTTPC_OK ?
			 "upstream error" : "connection failed", attempt + 1, e->max_retries,
			 (long long)delay);
		buf_cleanup(&a->body);
		err = pause_ms(rq, delay);
	}
	return err;
}

/* --- Reading the reply --- */

void embed_normalise(float *v, int dims)
{
	double sum = 0;

	for (int i = 0; i < dims; i++)
		sum += (double)v[i] * v[i];
	if (sum <= 0)
		return;
	sum = 1 / sqrt(sum);
	for (int i = 0; i < dims; i++)
		v[i] = (float)(v[i] * sum);
}

/* Checks one embedding's length against what this call has (or, first, sets it). */
static int check_dims(const struct embed *e, const jv *emb, struct embed_out *out)
{
	int n = (int)jv_size(emb);

	if (!jv_is_array(emb) || n < 1 || n > EMBED_MAX_DIMS)
		return ERR_UPSTREAM;
	if (out->dims == 0 && e->dims > 0 && n != e->dims) {
		out->why = xasprintf("the embedding model returned %d dimensions, not the %d "
				     "asked for; set ASSISTD_EMBEDDING_DIMENSIONS to %d, or to 0 "
				     "to use the model's own size", n, e->dims, n);
		return ERR_UPSTREAM;
	}
	if (out->dims == 0)
		out->dims = n;
	return n == out->dims ? 0 : ERR_UPSTREAM;
}

/* Copies item (one of data[]) into out->vecs at row first + its index. */
static int take_item(const struct embed *e, const jv *item, size_t pos, size_t first,
		     size_t total, struct embed_out *out)
{
	const jv *emb = jv_get(item, "embedding");
	const jv *idx = jv_get(item, "index");
	size_t at = first + (jv_is_int(idx) ? (size_t)jv_int_value(idx) : pos);
	int err = check_dims(e, emb, out);
	float *v;

	if (err || at >= total)
		return ERR_UPSTREAM;
	if (!out->vecs)
		out->vecs = xcalloc(total * (size_t)out->dims, sizeof(float));
	v = out->vecs + at * (size_t)out->dims;
	for (int i = 0; i < out->dims; i++)
		v[i] = (float)jv_number(jv_at(emb, (size_t)i));
	embed_normalise(v, out->dims);
	return 0;
}

/* Reads a reply for texts [first, first + count) of total. */
static int read_reply(const struct embed *e, const struct buf *body, size_t first, size_t count,
		      size_t total, struct embed_out *out)
{
	jv *v = jv_parse(body->p ? body->p : "", body->len, NULL, 0);
	const jv *data = jv_get(v, "data");
	int err = jv_size(data) == count ? 0 : ERR_UPSTREAM;

	for (size_t i = 0; i < count && !err; i++)
		err = take_item(e, jv_at(data, i), i, first, total, out);
	jv_free(v);
	if (err && !out->why)
		out->why = xasprintf("the embedding model's server sent a reply that is not a list "
				     "of %zu embeddings", count);
	return err;
}

static int one_batch(struct embed *e, struct client *h, const struct embed_req *rq,
		     size_t from, size_t to, struct embed_out *out)
{
	char *body = request_body(e, rq, from, to);
	struct attempt a = { 0 };
	int err = post(e, h, body, rq, &a, &out->why);

	if (!err)
		err = read_reply(e, &a.body, from, to - from, rq->n, out);
	buf_cleanup(&a.body);
	free(body);
	return err;
}

int embed_texts(struct embed *e, const struct embed_req *rq, struct embed_out *out)
{
	struct client *h;
	int err = 0;

	memset(out, 0, sizeof(*out));
	h = client_take(e);
	if (!h) {
		out->why = xstrdup("the server could not start an HTTP client");
		return ERR_UPSTREAM;
	}
	for (size_t i = 0; i < rq->n && !err; i += (size_t)e->batch) {
		size_t to = i + (size_t)e->batch < rq->n ? i + (size_t)e->batch : rq->n;

		err = one_batch(e, h, rq, i, to, out);
	}
	client_give(e, h);
	if (err) {
		free(out->vecs);
		out->vecs = NULL;
	}
	return err;
}

void embed_out_cleanup(struct embed_out *out)
{
	free(out->vecs);
	free(out->why);
	memset(out, 0, sizeof(*out));
}
