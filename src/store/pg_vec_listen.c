/* pg_vec_listen.c - keeps the PostgreSQL store's vector copies (vec_mem.h) in step with the
 * database, whichever node changed it.
 *
 * Inserting or deleting chunks with vectors NOTIFYs "assistd_vec" with "project/vs" in the
 * same transaction (pg_vs_schema.c's triggers), so the notification arrives once the change
 * is committed. A thread of each node holds one connection of its own that LISTENs, and drops
 * the named copy on each notification. Copies are trusted only while it listens: when its
 * connection breaks, every copy is dropped (notifications may have been missed) and none is
 * cached until it listens again. A copy loaded while a notification arrived might predate the
 * change, so pg_vec.c caches a copy only when the epoch (bumped by every notification and
 * reconnection) did not move during its load. */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "pg_vs_int.h"

#define RETRY_MS 1000 /* between attempts to reconnect */

struct pg_vec_cache {
	struct vec_cache *vc;
	char *conninfo;
	pthread_t thread;
	int wake[2];              /* a pipe: writing to it stops the thread */
	atomic_bool listening;
	atomic_uint_fast64_t epoch;
};

struct vec_cache *pg_vec_cache_mem(struct pg_vec_cache *pc)
{
	return pc->vc;
}

bool pg_vec_cache_epoch(struct pg_vec_cache *pc, uint64_t *epoch)
{
	*epoch = atomic_load(&pc->epoch);
	return atomic_load(&pc->listening);
}

/* Forgets copies: one store's (key), or all (NULL). */
static void invalidate(struct pg_vec_cache *pc, const char *key)
{
	atomic_fetch_add(&pc->epoch, 1);
	vec_cache_drop(pc->vc, key);
}

void pg_vs_changed(struct pg_store *ps, const char *project, const char *vs)
{
	char *key = xasprintf("%s/%s", project, vs);

	invalidate(ps->vs->vec, key);
	free(key);
}

/* Opens the listening connection; NULL when the database cannot be reached. */
static PGconn *listen_open(struct pg_vec_cache *pc)
{
	PGconn *db = PQconnectdb(pc->conninfo);
	PGresult *r = NULL;

	if (PQstatus(db) == CONNECTION_OK)
		r = PQexec(db, "LISTEN assistd_vec");
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_warn("store: vector cache: cannot listen for changes: %s",
			 PQerrorMessage(db));
		PQclear(r);
		PQfinish(db);
		return NULL;
	}
	PQclear(r);
	return db;
}

/* Drops the copies the notifications received so far name. */
static void drain(struct pg_vec_cache *pc, PGconn *db)
{
	PGnotify *n;

	for (n = PQnotifies(db); n; n = PQnotifies(db)) {
		invalidate(pc, n->extra);
		PQfreemem(n);
	}
}

/* Waits for the socket or the stop pipe; false when the thread should stop. */
static bool wait_for(struct pg_vec_cache *pc, int fd, int ms)
{
	struct pollfd p[2] = { { .fd = pc->wake[0], .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };

	(void)poll(p, fd >= 0 ? 2 : 1, ms);
	return !(p[0].revents & POLLIN);
}

/* Listens on db until it breaks (true) or the thread is told to stop (false). */
static bool listen_loop(struct pg_vec_cache *pc, PGconn *db)
{
	bool run = true;

	invalidate(pc, NULL);
	atomic_store(&pc->listening, true);
	while (run) {
		run = wait_for(pc, PQsocket(db), -1);
		if (run && !PQconsumeInput(db))
			break;
		drain(pc, db);
	}
	atomic_store(&pc->listening, false);
	invalidate(pc, NULL);
	return run;
}

static void *listen_main(void *arg)
{
	struct pg_vec_cache *pc = arg;
	bool run = true;

	while (run) {
		PGconn *db = listen_open(pc);

		if (db)
			run = listen_loop(pc, db);
		PQfinish(db);
		if (run)
			run = wait_for(pc, -1, RETRY_MS);
	}
	return NULL;
}

struct pg_vec_cache *pg_vec_cache_new(const char *conninfo)
{
	struct pg_vec_cache *pc = xcalloc(1, sizeof(*pc));

	pc->vc = vec_cache_new();
	pc->conninfo = xstrdup(conninfo);
	if (pipe(pc->wake) != 0 || pthread_create(&pc->thread, NULL, listen_main, pc) != 0) {
		log_error("store: vector cache: cannot start the listener; vectors are read "
			  "from the database on every search");
		pc->wake[0] = pc->wake[1] = -1;
	}
	return pc;
}

void pg_vec_cache_free(struct pg_vec_cache *pc)
{
	if (!pc)
		return;
	if (pc->wake[1] >= 0) {
		(void)!write(pc->wake[1], "x", 1);
		pthread_join(pc->thread, NULL);
		close(pc->wake[0]);
		close(pc->wake[1]);
	}
	vec_cache_free(pc->vc);
	free(pc->conninfo);
	free(pc);
}
