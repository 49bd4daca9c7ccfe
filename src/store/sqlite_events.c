/* sqlite_events.c - the run event log on SQLite (store_events_*): append, read, prune.
 *
 * One row per event in run_events, in one store-wide id order; an append writes its events
 * and records its topics (sqlite_notify.c) in one transaction, and this process's watchers
 * hear of them once it committed. Reads always take a fresh snapshot: a stream reads the log
 * right after a notification and must see the write that caused it. The log holds the events
 * as the driving node formatted them; this file does not interpret them. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "sqlite_int.h"

/* Inserts ev; *id (when not NULL) receives its id. */
static int insert_event(struct sqlite_conn *c, const struct store_event *ev, int64_t now,
			int64_t *id)
{
	static const char sql[] = "INSERT INTO run_events (project, run_id, name, data, final, at) "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *s;
	int err = sqlite_prep(c, SQ_EV_INSERT, sql, &s, "event append", "ssssii", ev->project,
			      ev->run_id, ev->name, ev->data, (int64_t)ev->final, now);

	if (!err)
		err = sqlite_run(c->db, s, "event append");
	if (!err && id)
		*id = sqlite3_last_insert_rowid(c->db);
	return err;
}

int sqlite_events_append(struct store *base, const struct store_event *evs, size_t n,
			 const char *const *topics, size_t ntopics, int64_t *ids)
{
	struct sqlite_store *st = sqlite_of(base);
	int64_t now = clock_unix();
	struct sqlite_conn *c;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = insert_event(c, &evs[i], now, ids ? &ids[i] : NULL);
	for (size_t i = 0; i < ntopics && !err; i++)
		err = sqlite_notify_in(st, c, topics[i]);
	err = sqlite_end(st, c, err);
	for (size_t i = 0; i < ntopics && !err; i++)
		sqlite_notify_local(st, topics[i]);
	return err;
}

static void take_row(sqlite3_stmt *s, struct store_events *out)
{
	struct store_logged *ev;

	out->items = xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
	ev = &out->items[out->n++];
	ev->id = sqlite3_column_int64(s, 0);
	ev->name = sqlite_col_dup(s, 1);
	ev->data = sqlite_col_dup(s, 2);
	ev->final = sqlite3_column_int(s, 3) != 0;
}

int sqlite_events_read(struct store *base, const char *project, const char *run_id,
		       int64_t after, int limit, struct store_events *out)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "SELECT id, name, data, final FROM run_events "
				  "WHERE run_id = ?1 AND id > ?2 AND project = ?3 ORDER BY id LIMIT ?4";
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	bool row = true;
	int err;

	memset(out, 0, sizeof(*out));
	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_EV_READ, sql, &s, "event read", "sisi", run_id, after, project,
			  (int64_t)limit);
	while (!err && row) {
		err = sqlite_step(c->db, s, "event read", &row);
		if (!err && row)
			take_row(s, out);
	}
	if (s)
		sqlite3_reset(s);
	sqlite_read_done(st, c, err);
	if (err)
		store_events_cleanup(out);
	return err;
}

int sqlite_events_last(struct store *base, const char *project, const char *run_id,
		       int64_t *id)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "SELECT COALESCE(MAX(id), 0) FROM run_events "
				  "WHERE run_id = ?1 AND project = ?2";
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err;

	*id = 0;
	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_EV_LAST, sql, &s, "event last", "ss", run_id, project);
	if (!err)
		err = sqlite_step(c->db, s, "event last", &row);
	if (!err && row)
		*id = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	sqlite_read_done(st, c, err);
	return err;
}

int sqlite_events_prune(struct store *base, int64_t now)
{
	struct sqlite_store *st = sqlite_of(base);
	/* The logs whose last event is final and older than the keep time, then whatever is
	 * past the longest time, then old notifications. */
	static const char ended[] =
		"DELETE FROM run_events WHERE run_id IN (SELECT e.run_id FROM run_events e "
		"WHERE e.final = 1 AND e.at < ?1 AND NOT EXISTS (SELECT 1 FROM run_events l "
		"WHERE l.run_id = e.run_id AND l.id > e.id))";
	struct sqlite_conn *c;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_exec(c->db, ended, "event prune", "i", now - STORE_EVENTS_KEEP_S);
	if (!err)
		err = sqlite_exec(c->db, "DELETE FROM run_events WHERE at < ?1", "event prune",
				  "i", now - STORE_EVENTS_MAX_S);
	if (!err)
		err = sqlite_exec(c->db, "DELETE FROM notify WHERE at < ?1", "notify prune", "i",
				  now - 60);
	return sqlite_end(st, c, err);
}
