/* defer.c - parking a request until a wake or a timeout (http_defer and its waiter).
 *
 * A waiter is a small refcounted handle: one reference for the request, one for the caller.
 * Its mutex guards the link to the request, which is cut before the handler reruns and when
 * the request ends, so a wake that comes late finds nothing to do. The parking itself and
 * the deadline are in suspend.c. */
#include <stdlib.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "http_int.h"

int http_defer(struct http_req *req, int timeout_ms, struct http_waiter **w)
{
	struct http_waiter *wt = xcalloc(1, sizeof(*wt));

	/* A second http_defer in one run replaces the first. */
	defer_detach(req);
	metrics_add(METRICS_POLLS, 1);
	pthread_mutex_init(&wt->mu, NULL);
	atomic_init(&wt->refs, 2);
	wt->req = req;
	req->waiter = wt;
	req->deadline_ms = timeout_ms < 0 ? -1 : clock_ms() + timeout_ms;
	*w = wt;
	return HTTP_DEFERRED;
}

int http_reruns(const struct http_req *req)
{
	return req->reruns;
}

void http_waiter_wake(struct http_waiter *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->req) {
		struct http_server *srv = w->req->srv;

		pthread_mutex_lock(&srv->mu);
		suspend_wake_locked(w->req);
		pthread_mutex_unlock(&srv->mu);
	}
	pthread_mutex_unlock(&w->mu);
}

void http_waiter_unref(struct http_waiter *w)
{
	if (!w || atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void defer_detach(struct http_req *req)
{
	struct http_waiter *w = req->waiter;
	struct http_server *srv = req->srv;

	if (!w)
		return;
	metrics_add(METRICS_POLLS, -1);
	req->waiter = NULL;
	pthread_mutex_lock(&w->mu);
	w->req = NULL;
	pthread_mutex_unlock(&w->mu);
	/* A wake that came between the resume and the cut is spent. */
	pthread_mutex_lock(&srv->mu);
	req->woken = false;
	pthread_mutex_unlock(&srv->mu);
	http_waiter_unref(w);
}

/* Under srv->mu: what a stopping server does with a request that wants to wait. */
static int park_stopping(struct http_req *req)
{
	if (req->stop_rerun)
		return http_fail(req, ERR_UNAVAILABLE, NULL, NULL);
	req->stop_rerun = true;
	return 0;
}

int defer_park(struct http_req *req, enum defer_next *next)
{
	struct http_server *srv = req->srv;
	int err = 0;

	*next = DEFER_RERUN;
	if (!req->waiter) {
		log_error("http: %s %s returned HTTP_DEFERRED without http_defer", req->method,
			  req->path);
		return ERR_INTERNAL;
	}
	pthread_mutex_lock(&srv->mu);
	if (server_stopping(srv)) {
		err = park_stopping(req);
	} else if (!req->woken) {
		/* Even a deadline already past goes through the timer, so a handler that
		 * defers with timeout 0 over and over cannot keep the worker thread. */
		suspend_locked(req, true);
		req->stage = REQ_PARKED;
		*next = DEFER_PARKED;
	}
	pthread_mutex_unlock(&srv->mu);
	return err;
}
