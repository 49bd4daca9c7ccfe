/* pg_notify.c - change notifications on PostgreSQL (store_notify, store_watch): a topic is
 * a NOTIFY on the channel "assistd", sent in the announcing transaction, so it is delivered
 * once that commits, to every node.
 *
 * While a handle has a watcher, one thread holds a connection of its own that LISTENs, waits
 * on its socket (and on a pipe that stops it), and hands each notification's payload (the
 * topic) to the watchers, this node's own topics included. The first watch LISTENs before it
 * returns. When that connection breaks, the thread connects again every PN_RETRY_MS and,
 * once it listens again, delivers STORE_TOPIC_ALL: notifications may have been missed. This file does not know what topics mean. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "pg_int.h"
#include "watchers.h"

#define PN_CHANNEL "assistd"
#define PN_RETRY_MS 1000

struct pg_notify {
	struct watchers ws;
	pthread_mutex_t mu; /* guards started */
	bool started;
	pthread_t thread;
	PGconn *first;      /* the connection pg_watch opened, handed to the thread */
	int stop[2];        /* a pipe: writing to it stops the thread */
	char *url;          /* owned copy of the store's URL */
};

void pg_notify_init(struct pg_store *st)
{
	struct pg_notify *nt = xcalloc(1, sizeof(*nt));

	watchers_init(&nt->ws);
	pthread_mutex_init(&nt->mu, NULL);
	nt->stop[0] = nt->stop[1] = -1;
	nt->url = xstrdup(st->url);
	st->nt = nt;
}

void pg_notify_cleanup(struct pg_store *st)
{
	struct pg_notify *nt = st->nt;

	if (nt->started) {
		if (write(nt->stop[1], "x", 1) != 1)
			log_warn("store: cannot stop the PostgreSQL listener");
		pthread_join(nt->thread, NULL);
	}
	if (nt->stop[0] >= 0) {
		close(nt->stop[0]);
		close(nt->stop[1]);
	}
	watchers_cleanup(&nt->ws);
	pthread_mutex_destroy(&nt->mu);
	free(nt->url);
	free(nt);
}

int pg_notify_in(struct pg_conn *c, const char *topic)
{
	struct pg_args a = { 0 };

	pg_arg_s(&a, topic);
	return pg_do(c, PQ_NOTIFY, "SELECT pg_notify('" PN_CHANNEL "', $1)", "notify", &a, NULL);
}

static int notify_tx(struct pg_conn *c, void *ctx)
{
	return pg_notify_in(c, ctx);
}

int pg_notify(struct store *base, const char *topic)
{
	return pg_tx(pg_of(base), notify_tx, (void *)topic);
}

/* --- the listening thread --- */

/* A listening connection, or NULL when the database cannot be reached. */
static PGconn *listen_open(const char *url)
{
	PGconn *db = PQconnectdb(url);
	PGresult *r = NULL;

	if (PQstatus(db) == CONNECTION_OK)
		r = PQexec(db, "LISTEN " PN_CHANNEL);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_warn("store: cannot listen for changes: %s", PQerrorMessage(db));
		PQclear(r);
		PQfinish(db);
		return NULL;
	}
	PQclear(r);
	return db;
}

/* Waits for fd (when >= 0) or the stop pipe, ms at most (-1: no limit). False on stop. */
static bool wait_for(struct pg_notify *nt, int fd, int ms)
{
	struct pollfd p[2] = { { .fd = nt->stop[0], .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };

	(void)poll(p, fd >= 0 ? 2 : 1, ms);
	return !(p[0].revents & POLLIN);
}

/* Delivers the notifications that arrived on db. */
static void drain(struct pg_notify *nt, PGconn *db)
{
	PGnotify *n;

	for (n = PQnotifies(db); n; n = PQnotifies(db)) {
		const char *topic = n->extra;

		watchers_deliver(&nt->ws, &topic, 1);
		PQfreemem(n);
	}
}

/* Listens on db until it breaks (true) or the thread is told to stop (false). */
static bool listen_loop(struct pg_notify *nt, PGconn *db)
{
	bool run = true;

	while (run) {
		run = wait_for(nt, PQsocket(db), -1);
		if (run && !PQconsumeInput(db)) {
			log_warn("store: the listening connection broke: %s", PQerrorMessage(db));
			break;
		}
		drain(nt, db);
	}
	return run;
}

static void *listen_main(void *arg)
{
	const char *all = STORE_TOPIC_ALL;
	struct pg_notify *nt = arg;
	PGconn *db = nt->first;
	bool run = true;

	nt->first = NULL;
	if (db)
		run = listen_loop(nt, db);
	while (run) {
		PQfinish(db);
		run = wait_for(nt, -1, PN_RETRY_MS);
		db = run ? listen_open(nt->url) : NULL;
		if (db) {
			/* Listening again: what happened meanwhile went unheard. */
			watchers_deliver(&nt->ws, &all, 1);
			run = listen_loop(nt, db);
		}
	}
	PQfinish(db);
	return NULL;
}

/* Starts the listener; called with mu held by the first pg_watch. The first LISTEN is done
 * here, before pg_watch returns: whatever is committed after that reaches the watcher. */
static void start_thread(struct pg_notify *nt)
{
	nt->first = listen_open(nt->url);
	if (pipe(nt->stop) != 0) {
		log_error("store: cannot make the listener's pipe; changes of other nodes go "
			  "unnoticed");
		PQfinish(nt->first);
		nt->first = NULL;
		return;
	}
	if (pthread_create(&nt->thread, NULL, listen_main, nt) != 0) {
		log_error("store: cannot start the listener; changes of other nodes go "
			  "unnoticed");
		PQfinish(nt->first);
		nt->first = NULL;
		return;
	}
	nt->started = true;
}

void *pg_watch(struct store *base, store_watch_fn *fn, void *ctx)
{
	struct pg_notify *nt = pg_of(base)->nt;
	void *w = watchers_add(&nt->ws, fn, ctx);

	pthread_mutex_lock(&nt->mu);
	if (!nt->started && nt->stop[0] < 0)
		start_thread(nt);
	pthread_mutex_unlock(&nt->mu);
	return w;
}

void pg_unwatch(struct store *base, void *registration)
{
	watchers_remove(&pg_of(base)->nt->ws, registration);
}
