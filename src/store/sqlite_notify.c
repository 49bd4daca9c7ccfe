/* sqlite_notify.c - change notifications on SQLite (store_notify, store_watch): watchers of
 * this process are called at once; other processes on the same data directory learn of a
 * topic from the notify table.
 *
 * Every announced topic is a row of notify, written in the announcing transaction with the
 * random name of the store handle that wrote it (origin). While this process has a watcher,
 * one watch thread asks SQLite every STORE_WATCH_POLL_MS whether any other connection
 * committed (PRAGMA data_version: no page is read for that), and only then reads the rows
 * past the last one it saw, skipping its own (delivered already); it also makes this
 * process's next reads take a fresh snapshot. A server alone on its data directory hears
 * no other process's topics: it looks every SQ_WATCH_IDLE_MS instead until one comes, then
 * every STORE_WATCH_POLL_MS for SQ_WATCH_FAST_MS. With no watcher, the thread sleeps on a
 * condition variable and asks nothing. Old rows are pruned with the event
 * log (store_events_prune). This file does not know what topics mean. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../base/log.h"
#include "sqlite_int.h"
#include "watchers.h"

#define NT_ORIGIN_LEN 16
#define NT_BATCH 256 /* rows read per query */
#define SQ_WATCH_IDLE_MS 50     /* between looks while no other process announces */
#define SQ_WATCH_FAST_MS 600000 /* how long STORE_WATCH_POLL_MS holds after one did */

struct sq_notify {
	struct sqlite_store *st; /* the store this belongs to */
	struct watchers ws;   /* this process's registrations */
	pthread_mutex_t mu;   /* guards the fields below */
	pthread_cond_t cv;    /* wakes the thread: a watcher came, or stop */
	bool started, stop;
	pthread_t thread;
	int64_t last_id;      /* the last notify row the thread has seen */
	int64_t foreign_ms;   /* clock_ms() when it last saw another process's topic */
	char origin[NT_ORIGIN_LEN + 1];
	sqlite3 *db;          /* the watch thread's own connection; opened with the thread */
};

void sqlite_notify_init(struct sqlite_store *st)
{
	struct sq_notify *nt = xcalloc(1, sizeof(*nt));

	pthread_mutex_init(&nt->mu, NULL);
	pthread_cond_init(&nt->cv, NULL);
	watchers_init(&nt->ws);
	nt->st = st;
	if (id_random(nt->origin, NT_ORIGIN_LEN))
		abort(); /* no randomness at all: the system is broken */
	st->nt = nt;
}

void sqlite_notify_cleanup(struct sqlite_store *st)
{
	struct sq_notify *nt = st->nt;

	pthread_mutex_lock(&nt->mu);
	nt->stop = true;
	pthread_cond_broadcast(&nt->cv);
	pthread_mutex_unlock(&nt->mu);
	if (nt->started)
		pthread_join(nt->thread, NULL);
	watchers_cleanup(&nt->ws);
	sqlite3_close(nt->db);
	pthread_cond_destroy(&nt->cv);
	pthread_mutex_destroy(&nt->mu);
	free(nt);
}

/* --- delivery --- */

void sqlite_notify_local(struct sqlite_store *st, const char *topic)
{
	watchers_deliver(&st->nt->ws, &topic, 1);
}

int sqlite_notify_in(struct sqlite_store *st, struct sqlite_conn *c, const char *topic)
{
	static const char sql[] = "INSERT INTO notify (topic, origin, at) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, SQ_NOTIFY_INSERT, sql, &s, "notify", "ssi", topic, st->nt->origin,
			  clock_unix());
	return err ? err : sqlite_run(c->db, s, "notify");
}

int sqlite_notify(struct store *base, const char *topic)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_end(st, c, sqlite_notify_in(st, c, topic));
	if (!err)
		sqlite_notify_local(st, topic);
	return err;
}

/* --- the watch thread --- */

/* Runs a one-column integer query on db into *out. Errors: ERR_DB. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_query(db, sql, &s, sql, "");

	if (!err)
		err = sqlite_step(db, s, sql, &row);
	if (!err && row)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return err;
}

/* Reads the rows past nt->last_id (up to NT_BATCH; *rows of them), keeping the other
 * handles' topics in *topics (owned strings, *n of them). Errors: ERR_DB. */
static int read_rows(struct sq_notify *nt, char ***topics, size_t *n, int *rows)
{
	static const char sql[] = "SELECT id, topic, origin = ?2 FROM notify WHERE id > ?1 "
				  "ORDER BY id LIMIT ?3";
	sqlite3_stmt *s = NULL;
	bool row = true;
	int err = sqlite_query(nt->db, sql, &s, "notify read", "isi", nt->last_id, nt->origin,
			       (int64_t)NT_BATCH);

	*rows = 0;
	while (!err && row) {
		err = sqlite_step(nt->db, s, "notify read", &row);
		if (err || !row)
			break;
		(*rows)++;
		nt->last_id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_int(s, 2))
			continue; /* ours: delivered when it was written */
		nt->foreign_ms = clock_ms();
		*topics = xrealloc(*topics, (*n + 1) * sizeof(**topics));
		(*topics)[(*n)++] = sqlite_col_dup(s, 1);
	}
	sqlite3_finalize(s);
	return err;
}

/* One look: when another connection committed since the last, delivers the new topics.
 * Before that, it ends this process's reuse of older read snapshots (store.gen, see
 * sqlite_pool.c): a watcher that reads the store on a topic must see the write behind it,
 * and every read sees other processes' writes within STORE_WATCH_POLL_MS, not SQ_SNAP_MS. */
static void poll_once(struct sq_notify *nt, int64_t *version)
{
	int64_t v = 0;
	char **topics = NULL;
	size_t n = 0;
	int rows = 0;

	if (query_int(nt->db, "PRAGMA data_version", &v) || v == *version)
		return;
	*version = v;
	atomic_fetch_add_explicit(&nt->st->gen, 1, memory_order_release);
	do {
		if (read_rows(nt, &topics, &n, &rows))
			break;
	} while (rows == NT_BATCH);
	if (n)
		watchers_deliver(&nt->ws, (const char *const *)topics, n);
	for (size_t i = 0; i < n; i++)
		free(topics[i]);
	free(topics);
}

/* Sleeps until someone watches (or stop); then STORE_WATCH_POLL_MS, or SQ_WATCH_IDLE_MS
 * when no other process has announced anything for SQ_WATCH_FAST_MS (one server alone on
 * its data directory). False on stop. */
static bool wait_turn(struct sq_notify *nt)
{
	bool fast = nt->foreign_ms && clock_ms() - nt->foreign_ms < SQ_WATCH_FAST_MS;
	struct timespec ts;
	bool go;

	pthread_mutex_lock(&nt->mu);
	while (!nt->stop && !watchers_any(&nt->ws))
		pthread_cond_wait(&nt->cv, &nt->mu);
	ts = clock_deadline(fast ? STORE_WATCH_POLL_MS : SQ_WATCH_IDLE_MS);
	if (!nt->stop)
		pthread_cond_timedwait(&nt->cv, &nt->mu, &ts);
	go = !nt->stop;
	pthread_mutex_unlock(&nt->mu);
	return go;
}

static void *watch_main(void *arg)
{
	struct sq_notify *nt = arg;
	int64_t version = -1;

	while (wait_turn(nt))
		poll_once(nt, &version);
	return NULL;
}

/* Opens the thread's connection, learns where the notify table ends and starts the thread.
 * Called with mu held, by the first store_watch. */
static void start_thread(struct sqlite_store *st, struct sq_notify *nt)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	nt->started = true;
	if (sqlite3_open_v2(st->path, &nt->db, flags, NULL) != SQLITE_OK ||
	    query_int(nt->db, "SELECT COALESCE(MAX(id), 0) FROM notify", &nt->last_id)) {
		log_error("store: watching for other processes' changes failed: %s",
			  sqlite3_errmsg(nt->db));
		sqlite3_close(nt->db);
		nt->db = NULL;
		nt->started = false;
		return;
	}
	sqlite3_busy_timeout(nt->db, 1000);
	if (pthread_create(&nt->thread, NULL, watch_main, nt) != 0) {
		log_error("store: cannot start the watch thread");
		nt->started = false;
	}
}

void *sqlite_watch(struct store *base, store_watch_fn *fn, void *ctx)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sq_notify *nt = st->nt;
	void *w;

	/* The thread learns where the table ends before the watcher is added: whatever is
	 * committed after that point reaches the watcher at the thread's next look. */
	pthread_mutex_lock(&nt->mu);
	if (!nt->started && !nt->stop)
		start_thread(st, nt);
	w = watchers_add(&nt->ws, fn, ctx);
	pthread_cond_broadcast(&nt->cv);
	pthread_mutex_unlock(&nt->mu);
	return w;
}

void sqlite_unwatch(struct store *base, void *registration)
{
	watchers_remove(&sqlite_of(base)->nt->ws, registration);
}
