/* suspend.c - suspended connections: the list http_stop resumes, their deadlines, and the
 * one timer thread that resumes deferred requests whose time is up.
 *
 * Everything here runs under srv->mu. The deadlines are timers in a timer heap
 * (base/timer.h, the one the event loop uses too). They are started and stopped by
 * libmicrohttpd's threads and by wakers, always under srv->mu, so the timer thread sleeps
 * on a condition variable tied to that mutex (rather than in an event loop, whose timers
 * belong to its own thread) until the earliest deadline or a new, earlier one; it never
 * waits for a request. What a resumed request does next is up to defer.c and stream.c. */
#include <stdlib.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "http_int.h"

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
	timer_start(&srv->deadlines, &req->deadline, req->deadline_ms);
	if (timer_heap_first(&srv->deadlines) == &req->deadline)
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
	timer_stop(&srv->deadlines, &req->deadline);
	req->suspended = false;
	MHD_resume_connection(req->conn);
}

void suspend_deadline_due(void *arg)
{
	resume_locked(arg);
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
		struct timer *first = timer_heap_first(&srv->deadlines);

		if (!first)
			pthread_cond_wait(&srv->timer_cv, &srv->mu);
		else if (timer_heap_run(&srv->deadlines, clock_ms()) == 0)
			wait_until(srv, first->due);
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
	timer_heap_init(&srv->deadlines);
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
