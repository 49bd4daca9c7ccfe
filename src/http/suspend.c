/* suspend.c - suspended connections: the list http_stop resumes, the deadline heap, and
 * the one timer thread that resumes deferred requests whose time is up.
 *
 * Everything here runs under srv->mu. The timer sleeps on a condition variable until the
 * earliest deadline (or a new, earlier one); it never waits for a request. What a resumed
 * request does next is up to defer.c and stream.c. */
#include <stdlib.h>
#include <time.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "http_int.h"

/* --- The deadline heap: a binary min-heap of requests on deadline_ms --- */

static void heap_set(struct http_server *srv, size_t i, struct http_req *req)
{
	srv->heap[i] = req;
	req->heap_idx = i;
}

static void heap_up(struct http_server *srv, size_t i)
{
	struct http_req *req = srv->heap[i];

	while (i > 0 && srv->heap[(i - 1) / 2]->deadline_ms > req->deadline_ms) {
		heap_set(srv, i, srv->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(srv, i, req);
}

static void heap_down(struct http_server *srv, size_t i)
{
	struct http_req *req = srv->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= srv->nheap)
			break;
		if (c + 1 < srv->nheap && srv->heap[c + 1]->deadline_ms < srv->heap[c]->deadline_ms)
			c++;
		if (srv->heap[c]->deadline_ms >= req->deadline_ms)
			break;
		heap_set(srv, i, srv->heap[c]);
		i = c;
	}
	heap_set(srv, i, req);
}

static void heap_push(struct http_server *srv, struct http_req *req)
{
	if (srv->nheap == srv->capheap) {
		srv->capheap = srv->capheap ? srv->capheap * 2 : 16;
		srv->heap = xrealloc(srv->heap, srv->capheap * sizeof(*srv->heap));
	}
	heap_set(srv, srv->nheap++, req);
	heap_up(srv, req->heap_idx);
}

static void heap_remove(struct http_server *srv, struct http_req *req)
{
	size_t i = req->heap_idx;
	struct http_req *last = srv->heap[--srv->nheap];

	req->heap_idx = SIZE_MAX;
	if (last == req)
		return;
	heap_set(srv, i, last);
	heap_up(srv, i);
	heap_down(srv, last->heap_idx);
}

/* --- Suspend and resume --- */

void suspend_locked(struct http_req *req, bool with_deadline)
{
	struct http_server *srv = req->srv;

	MHD_suspend_connection(req->conn);
	req->suspended = true;
	req->sprev = NULL;
	req->snext = srv->susp_head;
	if (srv->susp_head)
		srv->susp_head->sprev = req;
	srv->susp_head = req;
	srv->nsuspended++;
	if (!with_deadline || req->deadline_ms < 0)
		return;
	heap_push(srv, req);
	if (req->heap_idx == 0)
		pthread_cond_signal(&srv->timer_cv);
}

static void resume_locked(struct http_req *req)
{
	struct http_server *srv = req->srv;

	if (req->sprev)
		req->sprev->snext = req->snext;
	else
		srv->susp_head = req->snext;
	if (req->snext)
		req->snext->sprev = req->sprev;
	req->sprev = NULL;
	req->snext = NULL;
	srv->nsuspended--;
	if (req->heap_idx != SIZE_MAX)
		heap_remove(srv, req);
	req->suspended = false;
	MHD_resume_connection(req->conn);
}

void suspend_wake_locked(struct http_req *req)
{
	if (req->suspended)
		resume_locked(req);
	else
		req->woken = true;
}

void suspend_resume_all(struct http_server *srv)
{
	pthread_mutex_lock(&srv->mu);
	while (srv->susp_head)
		resume_locked(srv->susp_head);
	pthread_mutex_unlock(&srv->mu);
}

int suspend_active(struct http_server *srv)
{
	int n;

	pthread_mutex_lock(&srv->mu);
	n = atomic_load(&srv->inflight) - srv->nsuspended;
	pthread_mutex_unlock(&srv->mu);
	return n;
}

/* --- The timer thread --- */

static void wait_until(struct http_server *srv, int64_t deadline_ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ms / 1000),
		.tv_nsec = (long)(deadline_ms % 1000) * 1000000,
	};

	pthread_cond_timedwait(&srv->timer_cv, &srv->mu, &ts);
}

static void *timer_main(void *arg)
{
	struct http_server *srv = arg;

	pthread_mutex_lock(&srv->mu);
	while (!srv->timer_quit) {
		struct http_req *first = srv->nheap ? srv->heap[0] : NULL;

		if (!first)
			pthread_cond_wait(&srv->timer_cv, &srv->mu);
		else if (first->deadline_ms <= clock_ms())
			resume_locked(first);
		else
			wait_until(srv, first->deadline_ms);
	}
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

/* The condition variable runs on the monotonic clock, as clock_ms does. */
static void timer_cv_init(struct http_server *srv)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->timer_cv, &attr);
	pthread_condattr_destroy(&attr);
}

int suspend_timer_start(struct http_server *srv)
{
	int rc;

	pthread_mutex_init(&srv->mu, NULL);
	timer_cv_init(srv);
	rc = pthread_create(&srv->timer, NULL, timer_main, srv);
	if (rc != 0) {
		log_error("http: cannot start the timer thread (error %d)", rc);
		pthread_cond_destroy(&srv->timer_cv);
		pthread_mutex_destroy(&srv->mu);
		return ERR_INTERNAL;
	}
	srv->timer_started = true;
	return 0;
}

void suspend_timer_stop(struct http_server *srv)
{
	if (!srv->timer_started)
		return;
	pthread_mutex_lock(&srv->mu);
	srv->timer_quit = true;
	pthread_cond_signal(&srv->timer_cv);
	pthread_mutex_unlock(&srv->mu);
	pthread_join(srv->timer, NULL);
	pthread_cond_destroy(&srv->timer_cv);
	pthread_mutex_destroy(&srv->mu);
	srv->timer_started = false;
}
