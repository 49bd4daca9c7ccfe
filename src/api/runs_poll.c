/* runs_poll.c - retrieving a run, and holding a poll helper's retrieve until the run moves.
 *
 * The SDKs' createAndPoll & co. retrieve the run again and again, sleeping in between, and
 * mark those requests with X-Stainless-Poll-Helper. For such a retrieve of an active run we
 * park the request (no thread is held) until the engine reports a status change (made by
 * this node or by another sharing the store: engine_watch hears both) or the hold time
 * passes, then answer with the run as it stands: the client sees each change at once and
 * makes fewer requests. The hold never outlasts half the timeout the client states.
 *
 * The parked request's state (the engine registration, our waiter reference) lives in the
 * request's state slot (http_set_state): it survives until the handler runs again, and the
 * request frees it even if it never does. This file does not change runs. */
#include "runs_poll.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/status.h"
#include "../engine/engine.h"
#include "common.h"
#include "runs.h"

struct hold {
	struct engine *eng;    /* borrowed */
	int64_t deadline_ms;   /* clock_ms() at which the hold ends */
	void *reg;             /* engine_watch registration; NULL once released */
	struct http_waiter *w; /* our reference to the request's waiter; NULL once released */
};

/* The engine's waker, on the engine thread (or inside engine_watch). */
static void hold_wake(void *ctx)
{
	struct hold *h = ctx;

	http_waiter_wake(h->w);
}

/* Ends the watch, then drops the waiter: after engine_unwatch no wake can come. */
static void hold_release(struct hold *h)
{
	if (h->reg)
		engine_unwatch(h->eng, h->reg);
	h->reg = NULL;
	http_waiter_unref(h->w);
	h->w = NULL;
}

/* The request's state destructor. */
static void hold_free(void *p)
{
	struct hold *h = p;

	hold_release(h);
	free(h);
}

/* A new hold, owned by the request from now on. */
static struct hold *hold_install(struct http_req *req)
{
	struct hold *h = xcalloc(1, sizeof(*h));

	h->eng = api_ctx(req)->eng;
	http_set_state(req, h, hold_free);
	return h;
}

/* Header name's value as a non-negative number (a fraction allowed) times scale, or -1 when
 * it is absent or not such a number. */
static double header_number(struct http_req *req, const char *name, double scale)
{
	const char *v = http_header(req, name);
	char *end;
	double n;

	if (!v)
		return -1;
	n = strtod(v, &end);
	if (end == v || *end || !(n >= 0 && n <= 86400000))
		return -1;
	return n * scale;
}

/* How long this retrieve may be held: 0 unless it comes from a poll helper. The helper's
 * own interval, when it set one, caps the hold, and so does half the client's timeout in
 * seconds, which the SDKs send (openai-node X-Stainless-Timeout, openai-python
 * X-Stainless-Read-Timeout): a held poll must answer before the client gives up. */
static int hold_ms(struct http_req *req)
{
	static const char *const timeouts[] = { "X-Stainless-Timeout",
						"X-Stainless-Read-Timeout" };
	struct api *api = api_ctx(req);
	double ms = api->poll_hold_ms;
	double cap = header_number(req, "X-Stainless-Custom-Poll-Interval", 1);

	if (!api->eng || !http_header(req, "X-Stainless-Poll-Helper"))
		return 0;
	if (cap >= 0 && cap < ms)
		ms = cap;
	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		cap = header_number(req, timeouts[i], 1000) / 2;
		if (cap >= 0 && cap < ms)
			ms = cap;
	}
	return (int)ms;
}

/* True for the statuses a run leaves by itself: worth waiting on. */
static bool moving(const char *body)
{
	char why[160];
	jv *run = jv_parse(body, strlen(body), why, sizeof(why));
	enum run_status status;
	bool r = !status_run_parse(jv_get_str(run, "status"), &status) &&
		 status_run_moving(status);

	jv_free(run);
	return r;
}

static int load(struct http_req *req, const char *thread_id, const char *run_id, char **body)
{
	int err = store_get(api_ctx(req)->st, api_project(req), STORE_RUN, run_id, thread_id, body,
			    NULL);

	return api_store_err(req, err, "run", run_id);
}

/* Parks a poll helper's retrieve until the run may have left the statuses the helper keeps
 * polling on, or the hold's time is up; the handler reruns on every status change and parks
 * again while the run is still moving (queued -> in_progress is no reason to answer). Watch
 * first, then read, so no change falls in between. */
static int hold(struct http_req *req, struct hold *h, const char *thread_id,
		const char *run_id)
{
	int64_t left = h->deadline_ms - clock_ms();
	struct events_waker w = { hold_wake, h };
	char *body = NULL;
	int err;

	if (left > 0) {
		/* The waiter exists before the watch: a wake that comes at once is recorded. */
		http_defer(req, (int)left, &h->w);
		h->reg = engine_watch(h->eng, run_id, &w);
	}
	err = load(req, thread_id, run_id, &body);
	if (!err && left > 0 && moving(body)) {
		free(body);
		return HTTP_DEFERRED;
	}
	hold_release(h);
	if (err)
		return err;
	return runs_reply(req, body);
}

int runs_get(struct http_req *req)
{
	const char *thread_id;
	const char *run_id;
	struct hold *h;
	char *body = NULL;
	int ms;
	int err = runs_path(req, &thread_id, &run_id);

	if (err)
		return err;
	if (http_reruns(req) > 0) {
		h = http_state(req);
		hold_release(h);
		return hold(req, h, thread_id, run_id);
	}
	ms = hold_ms(req);
	if (ms > 0) {
		h = hold_install(req);
		h->deadline_ms = clock_ms() + ms;
		return hold(req, h, thread_id, run_id);
	}
	err = load(req, thread_id, run_id, &body);
	if (err)
		return err;
	return runs_reply(req, body);
}
