/* provider.c - the provider front end: backend choice, the call list, cancellation and the
 * calls' timers on the loop.
 *
 * It does not talk to any model: demo.c and openai.c do, through struct prov_ops. What
 * every backend would otherwise repeat lives here: counting what was delivered, ending a
 * call exactly once, delivering PROV_CANCELLED in a later loop iteration, and model aliases. */
#include "prov_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../base/metrics.h"
#include "../base/url.h"

#define PROV_CONNECT_TIMEOUT_MS 10000
#define PROV_IDLE_TIMEOUT_MS 120000
#define PROV_DEFAULT_RETRIES 3

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void set_config(struct prov *p, const struct prov_config *cfg)
{
	p->cfg = *cfg;
	p->cfg.upstream_url = dup_or_null(cfg->upstream_url);
	p->cfg.upstream_key = dup_or_null(cfg->upstream_key);
	p->cfg.aliases = dup_or_null(cfg->aliases);
	if (p->cfg.connect_timeout_ms <= 0)
		p->cfg.connect_timeout_ms = PROV_CONNECT_TIMEOUT_MS;
	if (p->cfg.idle_timeout_ms <= 0)
		p->cfg.idle_timeout_ms = PROV_IDLE_TIMEOUT_MS;
	if (p->cfg.max_retries < 0)
		p->cfg.max_retries = PROV_DEFAULT_RETRIES;
	if (p->cfg.demo_delay_ms < 0)
		p->cfg.demo_delay_ms = 0;
}

static void set_secrets(struct prov *p)
{
	const char *url = p->cfg.upstream_url;

	if (!url)
		return;
	p->public_url = url_public(url);
	p->secrets[0] = xstrdup(url);
	p->secrets[1] = xstrdup(p->public_url);
	p->secrets[2] = url_userinfo(url);
	p->secrets[3] = dup_or_null(p->cfg.upstream_key);
	p->secrets[4] = url_password(url);
}

static void free_config(struct prov *p)
{
	free((char *)p->cfg.upstream_url);
	free((char *)p->cfg.upstream_key);
	free((char *)p->cfg.aliases);
	for (size_t i = 0; i < PROV_SECRETS; i++)
		free(p->secrets[i]);
	free(p->public_url);
}

/* s with every what replaced by with. Takes ownership of s; owned (free with free()). */
static char *replace_all(char *s, const char *what, const char *with)
{
	size_t wlen = strlen(what);
	size_t n = 0;
	char *out;
	char *o;
	const char *p = s;

	for (const char *hit = strstr(s, what); hit; hit = strstr(hit + wlen, what))
		n++;
	if (n == 0)
		return s;
	out = xmalloc(strlen(s) + n * strlen(with) + 1);
	o = out;
	for (const char *hit = strstr(p, what); hit; hit = strstr(p, what)) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, with, strlen(with));
		o += strlen(with);
		p = hit + wlen;
	}
	memcpy(o, p, strlen(p) + 1);
	free(s);
	return out;
}

/* msg with the upstream's secrets taken out. Takes ownership of msg; owned. */
static char *redact(const struct prov *p, char *msg)
{
	for (size_t i = 0; i < PROV_SECRETS; i++) {
		if (p->secrets[i])
			msg = replace_all(msg, p->secrets[i], "[redacted]");
	}
	return msg;
}

static void end_cancelled(void *arg);

int prov_new(const struct prov_config *cfg, struct loop *l, struct prov **out)
{
	struct prov *p = xcalloc(1, sizeof(*p));
	int err;

	*out = NULL;
	set_config(p, cfg);
	set_secrets(p);
	p->ops = p->cfg.upstream_url ? &prov_openai_ops : &prov_demo_ops;
	p->loop = l;
	timer_init(&p->reap, end_cancelled, p);
	if (!prov_aliases_valid(p->cfg.aliases))
		log_warn("provider: ignoring malformed entries in the model aliases");
	err = p->ops->open(p);
	if (err) {
		free_config(p);
		free(p);
		return err;
	}
	*out = p;
	return 0;
}

static void unlink_call(struct prov_call *c)
{
	struct prov *p = c->p;

	if (c->prev)
		c->prev->next = c->next;
	else
		p->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	p->ncalls--;
	buf_cleanup(&c->out);
}

/* Drops a call without any callback: for prov_free only. */
static void drop_call(struct prov_call *c)
{
	loop_timer_stop(c->p->loop, &c->timer);
	if (!c->cancelled)
		c->p->ops->stop(c);
	unlink_call(c);
	c->p->ops->call_free(c);
}

void prov_free(struct prov *p)
{
	if (!p)
		return;
	if (p->calls)
		log_warn("provider: freed with calls in flight; dropping them");
	while (p->calls)
		drop_call(p->calls);
	loop_timer_stop(p->loop, &p->reap);
	prov_models_free(p);
	p->ops->close(p);
	free_config(p);
	free(p);
}

bool prov_is_demo(const struct prov *p)
{
	return p->ops == &prov_demo_ops;
}

int prov_start(struct prov *p, const struct prov_request *rq, const struct prov_callbacks *cb,
	       void *ctx, struct prov_call **call)
{
	*call = NULL;
	if (!jv_is_array(rq->messages) || !cb->text || !cb->tool_call || !cb->done)
		return ERR_INVALID;
	if (rq->tools && !jv_is_array(rq->tools))
		return ERR_INVALID;
	return p->ops->start(p, rq, cb, ctx, call);
}

void prov_cancel(struct prov_call *c)
{
	struct prov *p = c->p;

	if (c->cancelled)
		return;
	c->cancelled = true;
	loop_timer_stop(p->loop, &c->timer);
	p->ops->stop(c);
	c->cnext = p->cancelled;
	p->cancelled = c;
	loop_timer_start(p->loop, &p->reap, 0);
}

int prov_calls(const struct prov *p)
{
	return p->ncalls;
}

/* The reap timer: runs the done callback of every cancelled call. */
static void end_cancelled(void *arg)
{
	struct prov *p = arg;

	while (p->cancelled) {
		struct prov_call *c = p->cancelled;
		struct prov_result res = {
			.finish = PROV_CANCELLED,
			.prompt_tokens = c->prompt_tokens,
			.completion_tokens = prov_call_out_tokens(c),
		};

		p->cancelled = c->cnext;
		unlink_call(c);
		c->cb.done(c->ctx, &res);
		p->ops->call_free(c);
	}
}

/* --- For the backends (prov_int.h). --- */

#define MSG_FRAME_TOKENS 3   /* <|im_start|>, the role's end, <|im_end|> */
#define REPLY_PRIME_TOKENS 3 /* <|im_start|>assistant<|message|> */

static int64_t str_tokens(enum tok_enc enc, const jv *s)
{
	return jv_is_string(s) ? (int64_t)tok_count(enc, jv_str(s), jv_strlen(s)) : 0;
}

int64_t prov_message_tokens(enum tok_enc enc, const jv *m)
{
	const jv *content = jv_get(m, "content");
	const jv *calls = jv_get(m, "tool_calls");
	int64_t n = MSG_FRAME_TOKENS + str_tokens(enc, jv_get(m, "role"));

	if (jv_get(m, "name"))
		n += 1 + str_tokens(enc, jv_get(m, "name"));
	n += str_tokens(enc, content);
	for (size_t i = 0; jv_is_array(content) && i < jv_size(content); i++)
		n += str_tokens(enc, jv_get(jv_at(content, i), "text"));
	for (size_t i = 0; jv_is_array(calls) && i < jv_size(calls); i++) {
		const jv *f = jv_get(jv_at(calls, i), "function");
		n += str_tokens(enc, jv_get(f, "name")) + str_tokens(enc, jv_get(f, "arguments"));
	}
	return n;
}

int64_t prov_prompt_tokens(const char *model, const jv *messages)
{
	enum tok_enc enc = tok_enc_for_model(model);
	int64_t n = REPLY_PRIME_TOKENS;

	for (size_t i = 0; i < jv_size(messages); i++)
		n += prov_message_tokens(enc, jv_at(messages, i));
	return n;
}

int64_t prov_call_out_tokens(const struct prov_call *c)
{
	return (int64_t)tok_count(c->enc, c->out.p, c->out.len);
}

void prov_call_init(struct prov_call *c, struct prov *p, const struct prov_request *rq,
		    const struct prov_callbacks *cb, void *ctx, void (*timer_fn)(void *c))
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->cb = *cb;
	c->ctx = ctx;
	c->start_us = clock_us();
	timer_init(&c->timer, timer_fn, c);
	c->enc = tok_enc_for_model(rq->model);
	/* Counting a long prompt takes a while: the engine counts it off its thread. */
	c->prompt_tokens = rq->prompt_tokens > 0 ? rq->prompt_tokens
					       : prov_prompt_tokens(rq->model, rq->messages);
	buf_init(&c->out, 0);
	c->next = p->calls;
	if (p->calls)
		p->calls->prev = c;
	p->calls = c;
	p->ncalls++;
}

void prov_call_after(struct prov_call *c, int64_t delay_ms)
{
	loop_timer_start(c->p->loop, &c->timer, delay_ms);
}

/* Keeps what was delivered, to count it when the turn ends; the buffer has no limit. */
static void append_out(struct prov_call *c, const char *p, size_t len)
{
	if (p && buf_append(&c->out, p, len))
		abort();
}

void prov_emit_text(struct prov_call *c, const char *delta, size_t len)
{
	if (c->cancelled)
		return;
	c->delivered = true;
	append_out(c, delta, len);
	c->cb.text(c->ctx, delta, len);
}

void prov_emit_tool(struct prov_call *c, int index, const char *id, const char *name,
		    const char *args_delta)
{
	if (c->cancelled)
		return;
	c->delivered = true;
	if (id && name)
		append_out(c, name, strlen(name));
	append_out(c, args_delta, strlen(args_delta));
	c->cb.tool_call(c->ctx, index, id, name, args_delta);
}

/* Counts an ended call in the process's metrics. */
static void count_call(const struct prov_call *c, const struct prov_result *res)
{
	metrics_add(METRICS_UPSTREAM_CALLS, 1);
	if (res->finish == PROV_FAILED)
		metrics_add(METRICS_UPSTREAM_ERRORS, 1);
	metrics_add(METRICS_TOKENS_IN, res->prompt_tokens);
	metrics_add(METRICS_TOKENS_OUT, res->completion_tokens);
	metrics_upstream_time(clock_us() - c->start_us);
}

void prov_call_end(struct prov_call *c, const struct prov_result *res)
{
	struct prov *p = c->p;

	if (c->cancelled)
		return;
	loop_timer_stop(p->loop, &c->timer);
	unlink_call(c);
	count_call(c, res);
	c->cb.done(c->ctx, res);
	p->ops->call_free(c);
}

void prov_call_fail(struct prov_call *c, const char *code, const char *fmt, ...)
{
	struct prov_result res = { .finish = PROV_FAILED, .error_code = code };
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	/* The message reaches clients (a run's last_error): no upstream secret goes with it. */
	msg = redact(c->p, msg);
	res.prompt_tokens = c->prompt_tokens;
	res.completion_tokens = prov_call_out_tokens(c);
	res.error_message = msg;
	log_warn("provider: call failed: %s: %s", code, msg);
	prov_call_end(c, &res);
	free(msg);
}

/* --- Model aliases. --- */

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return end;
}

/* Splits the entry [s, end) into trimmed key and value; false when it has no '=' or an
 * empty side. */
static bool alias_entry(const char *s, const char *end, const char **k, size_t *klen,
			const char **v, size_t *vlen)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));

	if (!eq)
		return false;
	*k = skip_space(s, eq);
	*klen = (size_t)(trim_end(*k, eq) - *k);
	*v = skip_space(eq + 1, end);
	*vlen = (size_t)(trim_end(*v, end) - *v);
	return *klen > 0 && *vlen > 0;
}

bool prov_alias_walk(const char *aliases, prov_alias_fn *fn, void *arg)
{
	const char *s = aliases;
	bool ok = true;

	while (s && *s) {
		const char *end = strchr(s, ',');
		const char *k = NULL;
		const char *v = NULL;
		size_t klen = 0;
		size_t vlen = 0;

		if (!end)
			end = s + strlen(s);
		/* An empty entry, as in "a=b,", is fine and skipped. */
		if (skip_space(s, end) < end) {
			if (!alias_entry(s, end, &k, &klen, &v, &vlen))
				ok = false;
			else if (fn(arg, k, klen, v, vlen))
				return ok;
		}
		s = *end ? end + 1 : end;
	}
	return ok;
}

struct alias_find {
	const char *model;
	const char *hit;
	size_t hitlen;
	const char *any;
	size_t anylen;
};

static bool alias_match(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct alias_find *f = arg;

	if (klen == 1 && *k == '*' && !f->any) {
		f->any = v;
		f->anylen = vlen;
	}
	if (klen == strlen(f->model) && memcmp(k, f->model, klen) == 0) {
		f->hit = v;
		f->hitlen = vlen;
		return true;
	}
	return false;
}

char *prov_alias(const char *aliases, const char *model)
{
	struct alias_find f = { .model = model ? model : "" };

	(void)prov_alias_walk(aliases, alias_match, &f);
	if (f.hit)
		return xstrndup(f.hit, f.hitlen);
	if (f.any)
		return xstrndup(f.any, f.anylen);
	return xstrdup(f.model);
}

static bool alias_ignore(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	return false;
}

bool prov_aliases_valid(const char *aliases)
{
	return prov_alias_walk(aliases, alias_ignore, NULL);
}
