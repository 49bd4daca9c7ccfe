/* ratelimit.c - the API's side of the limits per key and project (see ratelimit.h).
 *
 * api_auth calls ratelimit_check once it knows the caller, before the body is read, so a
 * refused request costs no body and no handler. The x-ratelimit-limit-, -remaining- and
 * -reset-requests headers, the same for -tokens (the token budget: hosted sends tokens per
 * minute there) and assistd's own -runs go where the hosted API sent them: with the replies
 * of the routes that call the model (its inference endpoints; its other endpoints, the
 * Assistants API's reads among them, sent none) and with every 429. Nothing else carries
 * them: the SDKs read none of them, and six headers cost a cached GET more than the check
 * (libmicrohttpd copies each one three times). A rate limit's 429 has retry-after (seconds,
 * rounded up) and retry-after-ms, which openai-node and openai-python wait for before
 * retrying; a spent budget's 429 has x-should-retry: false, since it renews only with its
 * day or month. */
#include "ratelimit.h"

#include "../base/metrics.h"
#include "../limits/limits.h"
#include "common.h"
#include "runs.h"

/* What a route is to the limits: the routes that call the model get the headers, and the
 * ones among them that create a run count against the runs limit too. */
enum route_kind { ROUTE_OTHER, ROUTE_MODEL, ROUTE_RUN };

static const struct {
	http_handler *fn;
	enum route_kind kind;
} model_routes[] = {
	{ runs_create, ROUTE_RUN },
	{ runs_create_thread_and_run, ROUTE_RUN },
	{ runs_submit_tool_outputs, ROUTE_MODEL },
};

static const struct {
	const char *limit;
	const char *remaining;
	const char *reset;
	const char *what; /* for the 429's message */
} kinds[LIMITS_KINDS] = {
	[STORE_COUNT_REQUESTS] = { "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
				   "x-ratelimit-reset-requests", "requests" },
	[STORE_COUNT_RUNS] = { "x-ratelimit-limit-runs", "x-ratelimit-remaining-runs",
			       "x-ratelimit-reset-runs", "runs created" },
	[STORE_COUNT_TOKENS] = { "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
				 "x-ratelimit-reset-tokens", "tokens" },
};

static enum route_kind route_kind(const struct http_req *req)
{
	const struct http_route *r = http_route_of(req);

	for (size_t i = 0; r && i < sizeof(model_routes) / sizeof(model_routes[0]); i++) {
		if (r->fn == model_routes[i].fn)
			return model_routes[i].kind;
	}
	return ROUTE_OTHER;
}

static void add_int(struct http_req *req, const char *name, int64_t v)
{
	char text[LIMITS_TEXT_LEN];

	limits_decimal(v, text);
	http_header_add(req, name, text);
}

/* The -runs headers go only with the replies of the routes that create runs. */
static void add_headers(struct http_req *req, const struct limits_state *s, bool run)
{
	char reset[LIMITS_TEXT_LEN];

	for (int k = 0; k < LIMITS_KINDS; k++) {
		if (!s->set[k] || (k == STORE_COUNT_RUNS && !run))
			continue;
		limits_duration(s->reset_ms[k], reset);
		add_int(req, kinds[k].limit, s->limit[k]);
		add_int(req, kinds[k].remaining, s->remaining[k]);
		http_header_add(req, kinds[k].reset, reset);
	}
}

static int rate_fail(struct http_req *req, const struct limits_state *s)
{
	int64_t window = limits_window_ms(api_ctx(req)->lim);
	char wait[LIMITS_TEXT_LEN];
	char per[LIMITS_TEXT_LEN];

	limits_duration(s->retry_ms, wait);
	limits_duration(window, per);
	add_int(req, "retry-after", (s->retry_ms + 999) / 1000);
	add_int(req, "retry-after-ms", s->retry_ms);
	http_fail_code(req, "rate_limit_exceeded");
	return http_fail(req, ERR_REQUESTS, NULL,
			 "Rate limit reached for %s per %s of %s '%s': limit %lld, used %lld. "
			 "Please try again in %s, or ask the server's operator to raise the limit "
			 "(`assistd limits set`).",
			 kinds[s->refused].what, window == 60000 ? "minute" : per,
			 s->scope == STORE_LIMIT_KEY ? "API key" : "project", s->subject,
			 (long long)s->max, (long long)s->used, wait);
}

static int quota_fail(struct http_req *req, const struct limits_state *s)
{
	char why[400];

	limits_quota_message(s, why, sizeof(why));
	http_header_add(req, "x-should-retry", "false");
	http_fail_code(req, "insufficient_quota");
	return http_fail(req, ERR_QUOTA, NULL, "%s", why);
}

int ratelimit_check(struct http_req *req, const char *key_hash, const char *project)
{
	struct limits_state s;
	enum route_kind kind = route_kind(req);
	bool run = kind == ROUTE_RUN;
	int err = limits_admit(api_ctx(req)->lim, key_hash, project, run, &s);

	if (err || kind != ROUTE_OTHER)
		add_headers(req, &s, run);
	if (!err)
		return 0;
	metrics_limited((int)s.refused);
	return err == ERR_QUOTA ? quota_fail(req, &s) : rate_fail(req, &s);
}
