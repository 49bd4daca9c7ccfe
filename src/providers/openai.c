/* openai.c - the OpenAI-compatible Chat Completions backend.
 *
 * Each call POSTs {upstream_url}/chat/completions with "stream": true and turns the
 * reply into callbacks as it arrives (openai_wire.c reads the chunks). A server that
 * ignores "stream" and answers application/json is read as one chat.completion.
 *
 * Failures: 429, 5xx and connection errors are retried with exponential backoff (0.5 s
 * doubling to 8 s, with jitter, or the upstream's retry-after-ms / Retry-After, capped at
 * 60 s) up to max_retries times, but only while nothing of the reply has been delivered.
 * Then 429 ends the call with "rate_limit_exceeded", 400/404/422 with "invalid_prompt"
 * (quoting the upstream's message), and anything else with "server_error". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "httpc.h"
#include "openai_wire.h"
#include "prov_int.h"
#include "sse_parse.h"

#define OAI_MAX_EVENT (4 << 20)       /* largest server-sent event accepted */
#define OAI_MAX_JSON (16 << 20)       /* largest non-streamed reply accepted */
#define OAI_MAX_ERROR_BODY 65536      /* bytes of an error reply kept for its message */
#define OAI_BACKOFF_MS 500
#define OAI_BACKOFF_CAP_MS 8000
#define OAI_RETRY_AFTER_CAP_MS 60000
#define OAI_STOP (-1)                 /* an SSE handler's "stop feeding" */

struct oai {
	struct httpc *http; /* owned */
	char *endpoint;     /* owned: {upstream_url}/chat/completions */
	char *auth;         /* owned "Authorization: Bearer ..." header, or NULL */
	uint64_t rng;       /* xorshift state for backoff jitter */
};

enum oai_mode { MODE_NONE, MODE_SSE, MODE_JSON, MODE_ERROR };

struct oai_call {
	struct prov_call base;  /* first: a struct prov_call * is a struct oai_call * */
	char *body;             /* owned request JSON, sent again on retries */
	struct httpc_req *req;  /* borrowed; NULL while waiting to retry */
	int attempt;            /* retries made so far */
	enum oai_mode mode;     /* how this attempt's response body is read */
	struct sse_parser sse;
	struct buf raw;         /* a JSON reply or an error body */
	struct oai_parse ps;
	bool saw_done;          /* "data: [DONE]" arrived */
	const char *fail_code;  /* static; set once the call is known to have failed */
	char *fail_msg;         /* owned, with fail_code */
};

static void set_fail(struct oai_call *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_fail(struct oai_call *c, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (c->fail_code)
		return;
	va_start(ap, fmt);
	if (vasprintf(&c->fail_msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	c->fail_code = code;
}

/* --- Reading the response body (on the loop, in curl's write callback). --- */

static enum oai_mode pick_mode(int status, const char *ctype)
{
	if (status / 100 != 2)
		return MODE_ERROR;
	if (ctype && strncasecmp(ctype, "application/json", 16) == 0)
		return MODE_JSON;
	return MODE_SSE;
}

static int on_event(void *ctx, const char *event, const char *data, size_t len)
{
	struct oai_call *c = ctx;
	char why[160];
	jv *v;
	int err;

	if (c->base.cancelled)
		return OAI_STOP;
	if (c->saw_done)
		return 0;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		/* The explicit end: a server that forgot finish_reason has finished too. */
		c->saw_done = true;
		c->ps.finished = true;
		return 0;
	}
	v = jv_parse(data, len, why, sizeof(why));
	if (!v) {
		set_fail(c, "server_error", "the upstream model server sent a malformed stream: %s",
			 why);
		return OAI_STOP;
	}
	err = oai_parse_chunk(&c->ps, v);
	jv_free(v);
	if (err)
		set_fail(c, "server_error", "the upstream model server: %s", c->ps.error);
	return err ? OAI_STOP : 0;
}

static bool feed_stream(struct oai_call *c, const char *p, size_t len)
{
	int err = sse_feed(&c->sse, p, len, on_event, c);

	if (err == ERR_LIMIT)
		set_fail(c, "server_error",
			 "the upstream model server sent an event larger than %d bytes",
			 OAI_MAX_EVENT);
	return err == 0 && !c->base.cancelled;
}

static bool on_body(void *ctx, int status, const char *ctype, const char *p, size_t len)
{
	struct oai_call *c = ctx;
	size_t room;

	if (c->mode == MODE_NONE)
		c->mode = pick_mode(status, ctype);
	if (c->mode == MODE_SSE)
		return feed_stream(c, p, len);
	if (c->mode == MODE_JSON && buf_append(&c->raw, p, len)) {
		set_fail(c, "server_error",
			 "the upstream model server sent a reply larger than %d bytes",
			 OAI_MAX_JSON);
		return false;
	}
	/* An error body is only read for its message: keep the start of it. */
	if (c->mode == MODE_ERROR && c->raw.len < OAI_MAX_ERROR_BODY) {
		room = OAI_MAX_ERROR_BODY - c->raw.len;
		if (buf_append(&c->raw, p, len < room ? len : room))
			return false; /* cannot happen: the buffer's maximum is larger */
	}
	return true;
}

/* --- Sending, retrying and ending. --- */

static void on_done(void *ctx, const struct httpc_result *res);

static void reset_attempt(struct oai_call *c)
{
	c->mode = MODE_NONE;
	c->saw_done = false;
	sse_cleanup(&c->sse);
	sse_init(&c->sse, OAI_MAX_EVENT);
	buf_cleanup(&c->raw);
	buf_init(&c->raw, OAI_MAX_JSON);
	oai_parse_cleanup(&c->ps);
	oai_parse_init(&c->ps, &c->base);
}

static void send_attempt(struct oai_call *c)
{
	struct oai *o = c->base.p->be;
	static const struct httpc_handlers hd = { .body = on_body, .done = on_done };
	const char *headers[4] = {
		"Content-Type: application/json",
		"Accept: text/event-stream, application/json",
		o->auth,
		NULL,
	};

	reset_attempt(c);
	c->req = httpc_post(o->http, o->endpoint, headers, c->body, strlen(c->body), &hd, c);
}

/* The call's timer: the backoff before a retry is over. */
static void retry_now(void *arg)
{
	send_attempt(arg);
}

static uint64_t next_random(struct oai *o)
{
	o->rng ^= o->rng << 13;
	o->rng ^= o->rng >> 7;
	o->rng ^= o->rng << 17;
	return o->rng;
}

/* How long to wait before retry number attempt + 1. */
static int64_t backoff_ms(struct oai *o, int attempt, int64_t retry_after_ms)
{
	int64_t d = OAI_BACKOFF_MS;

	if (retry_after_ms >= 0)
		return retry_after_ms < OAI_RETRY_AFTER_CAP_MS ? retry_after_ms
							       : OAI_RETRY_AFTER_CAP_MS;
	for (int i = 0; i < attempt && d < OAI_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > OAI_BACKOFF_CAP_MS)
		d = OAI_BACKOFF_CAP_MS;
	/* Jitter: somewhere in [d/2, d], so that many calls failing together spread out. */
	return d / 2 + (int64_t)(next_random(o) % (uint64_t)(d / 2 + 1));
}

static bool retryable(const struct oai_call *c, const struct httpc_result *res)
{
	if (c->base.delivered || c->fail_code || c->attempt >= c->base.p->cfg.max_retries)
		return false;
	if (res->fail == HTTPC_CONNECT || res->fail == HTTPC_TIMEOUT ||
	    res->fail == HTTPC_TRANSPORT)
		return true;
	return res->fail == HTTPC_OK && (res->status == 429 || res->status / 100 == 5);
}

/* Records why a finished attempt failed, as the call's final error. The words reach
 * clients: they never name the upstream (its URL is logged, see log_attempt). */
static void fail_from(struct oai_call *c, const struct httpc_result *res)
{
	char *msg;

	if (res->fail == HTTPC_CONNECT) {
		set_fail(c, "server_error", "could not connect to the upstream model server: %s",
			 res->os_error ? res->os_error : res->error);
		return;
	}
	if (res->fail == HTTPC_TIMEOUT) {
		set_fail(c, "server_error", "the upstream model server timed out: %s",
			 res->error);
		return;
	}
	if (res->fail != HTTPC_OK) {
		set_fail(c, "server_error", "the upstream model server failed%s: %s",
			 c->base.delivered ? " in the middle of the reply" : "", res->error);
		return;
	}
	msg = oai_error_message(c->raw.p, c->raw.len);
	if (res->status == 429)
		set_fail(c, "rate_limit_exceeded",
			 "the upstream model server is rate limiting requests: %s",
			 msg ? msg : "429 Too Many Requests");
	else if (res->status == 400 || res->status == 404 || res->status == 422)
		set_fail(c, "invalid_prompt",
			 "the upstream model server rejected the request (%d): %s", res->status,
			 msg ? msg : "no reason given");
	else
		set_fail(c, "server_error", "the upstream model server returned %d%s%s",
			 res->status, msg ? ": " : "", msg ? msg : "");
	free(msg);
}

/* The log line of a failed attempt: the message clients see, the upstream's URL without its
 * userinfo, curl's own words, and what happens next. */
static void log_attempt(const struct oai_call *c, const struct httpc_result *res,
			const char *next)
{
	const char *detail = res->detail ? res->detail : "";

	log_warn("provider: %s (upstream %s%s%s); %s", c->fail_msg, c->base.p->public_url,
		 detail[0] ? ": " : "", detail, next);
}

static void schedule_retry(struct oai_call *c, const struct httpc_result *res)
{
	struct oai *o = c->base.p->be;
	int64_t delay = backoff_ms(o, c->attempt, res->retry_after_ms);
	char next[64];

	snprintf(next, sizeof(next), "retry %d of %d in %lld ms", c->attempt + 1,
		 c->base.p->cfg.max_retries, (long long)delay);
	fail_from(c, res);
	log_attempt(c, res, next);
	free(c->fail_msg);
	c->fail_msg = NULL;
	c->fail_code = NULL;
	c->attempt++;
	prov_call_after(&c->base, delay);
}

/* A 2xx response arrived in full: ends the call with it and returns true, or records
 * why it cannot and returns false. */
static bool complete(struct oai_call *c)
{
	struct prov_result res;
	char why[160];
	jv *v;
	int err = 0;

	if (c->mode == MODE_JSON) {
		v = jv_parse(c->raw.p ? c->raw.p : "", c->raw.len, why, sizeof(why));
		if (!v) {
			set_fail(c, "server_error",
				 "the upstream model server sent malformed JSON: %s", why);
			return false;
		}
		err = oai_parse_completion(&c->ps, v);
		jv_free(v);
	}
	if (!err)
		err = oai_parse_end(&c->ps, &res);
	if (err) {
		set_fail(c, "server_error", "the upstream model server: %s", c->ps.error);
		return false;
	}
	prov_call_end(&c->base, &res);
	return true;
}

/* True when a whole reply arrived, even if the connection broke after its end. */
static bool arrived(const struct oai_call *c, const struct httpc_result *res)
{
	if (c->fail_code || res->status / 100 != 2)
		return false;
	return res->fail == HTTPC_OK || (res->fail == HTTPC_TRANSPORT && c->ps.finished);
}

static void on_done(void *ctx, const struct httpc_result *res)
{
	struct oai_call *c = ctx;

	c->req = NULL;
	if (arrived(c, res)) {
		if (complete(c))
			return; /* c is freed */
	} else if (retryable(c, res)) {
		schedule_retry(c, res);
		return;
	} else {
		fail_from(c, res);
		log_attempt(c, res, "giving up");
	}
	prov_call_fail(&c->base, c->fail_code, "%s", c->fail_msg);
}

/* --- The backend. --- */

static int oai_start(struct prov *p, const struct prov_request *rq,
		     const struct prov_callbacks *cb, void *ctx, struct prov_call **out)
{
	struct oai_call *c;
	char *model;

	if (!rq->model || !*rq->model)
		return ERR_INVALID;
	c = xcalloc(1, sizeof(*c));
	prov_call_init(&c->base, p, rq, cb, ctx, retry_now);
	model = prov_alias(p->cfg.aliases, rq->model);
	c->body = oai_body(rq, model);
	free(model);
	sse_init(&c->sse, OAI_MAX_EVENT);
	buf_init(&c->raw, OAI_MAX_JSON);
	oai_parse_init(&c->ps, &c->base);
	send_attempt(c);
	*out = &c->base;
	return 0;
}

static void oai_stop(struct prov_call *base)
{
	struct oai_call *c = (struct oai_call *)base;

	if (c->req)
		httpc_cancel(c->req);
	c->req = NULL;
}

static void oai_call_free(struct prov_call *base)
{
	struct oai_call *c = (struct oai_call *)base;

	free(c->body);
	sse_cleanup(&c->sse);
	buf_cleanup(&c->raw);
	oai_parse_cleanup(&c->ps);
	free(c->fail_msg);
	free(c);
}

static int oai_open(struct prov *p)
{
	struct httpc_config hc = {
		.connect_timeout_ms = p->cfg.connect_timeout_ms,
		.idle_timeout_ms = p->cfg.idle_timeout_ms,
	};
	struct oai *o = xcalloc(1, sizeof(*o));
	const char *url = p->cfg.upstream_url;
	size_t len = strlen(url);
	int err = httpc_new(&hc, p->loop, &o->http);

	if (err) {
		free(o);
		return err;
	}
	while (len > 0 && url[len - 1] == '/')
		len--;
	o->endpoint = xasprintf("%.*s/chat/completions", (int)len, url);
	if (p->cfg.upstream_key)
		o->auth = xasprintf("Authorization: Bearer %s", p->cfg.upstream_key);
	o->rng = (uint64_t)clock_us() | 1;
	p->be = o;
	log_debug("provider: upstream %s/chat/completions", p->public_url);
	return 0;
}

static void oai_close(struct prov *p)
{
	struct oai *o = p->be;

	httpc_free(o->http);
	free(o->endpoint);
	free(o->auth);
	free(o);
}

const struct prov_ops prov_openai_ops = {
	.name = "openai",
	.open = oai_open,
	.close = oai_close,
	.start = oai_start,
	.stop = oai_stop,
	.call_free = oai_call_free,
};
