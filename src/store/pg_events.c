/* pg_events.c - the run event log on PostgreSQL (store_events_*): append, read, prune.
 *
 * The same table and contract as sqlite_events.c; an append's topics are NOTIFYs in its
 * transaction (pg_notify.c). Every statement reads what was committed before it started, so
 * a read after a notification sees the write behind it. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "pg_int.h"

struct append {
	const struct store_event *evs;
	size_t n;
	const char *const *topics;
	size_t ntopics;
};

static int insert_event(struct pg_conn *c, const struct store_event *ev, int64_t now)
{
	static const char sql[] = "INSERT INTO run_events (project, run_id, name, data, final, at) "
				  "VALUES ($1, $2, $3, $4, $5, $6)";
	struct pg_args a = { 0 };

	pg_arg_s(&a, ev->project);
	pg_arg_s(&a, ev->run_id);
	pg_arg_s(&a, ev->name);
	pg_arg_s(&a, ev->data);
	pg_arg_i(&a, ev->final);
	pg_arg_i(&a, now);
	return pg_do(c, PQ_EV_INSERT, sql, "event append", &a, NULL);
}

static int append_tx(struct pg_conn *c, void *ctx)
{
	const struct append *ap = ctx;
	int64_t now = clock_unix();
	int err = 0;

	for (size_t i = 0; i < ap->n && !err; i++)
		err = insert_event(c, &ap->evs[i], now);
	for (size_t i = 0; i < ap->ntopics && !err; i++)
		err = pg_notify_in(c, ap->topics[i]);
	return err;
}

int pg_events_append(struct store *base, const struct store_event *evs, size_t n,
		     const char *const *topics, size_t ntopics)
{
	struct append ap = { evs, n, topics, ntopics };

	return pg_tx(pg_of(base), append_tx, &ap);
}

/* Runs a read on a pooled connection: one statement, parameters a, result *res (owned). */
static int read_one(struct store *base, enum pg_slot slot, const char *sql, const char *what,
		    const struct pg_args *a, PGresult **res)
{
	struct pg_store *st = pg_of(base);
	struct pg_conn *c;
	int err = pg_acquire(st, &c);

	if (err)
		return err;
	err = pg_run(c, slot, sql, what, a, res);
	pg_release(st, c);
	return err;
}

int pg_events_read(struct store *base, const char *project, const char *run_id, int64_t after,
		   int limit, struct store_events *out)
{
	static const char sql[] = "SELECT id, name, data, final FROM run_events "
				  "WHERE run_id = $1 AND id > $2 AND project = $3 ORDER BY id LIMIT $4";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	memset(out, 0, sizeof(*out));
	pg_arg_s(&a, run_id);
	pg_arg_i(&a, after);
	pg_arg_s(&a, project);
	pg_arg_i(&a, limit);
	err = read_one(base, PQ_EV_READ, sql, "event read", &a, &res);
	if (err)
		return err;
	out->n = (size_t)PQntuples(res);
	out->items = out->n ? xcalloc(out->n, sizeof(*out->items)) : NULL;
	for (size_t i = 0; i < out->n; i++) {
		out->items[i].id = pg_col_i(res, (int)i, 0);
		out->items[i].name = pg_col_dup(res, (int)i, 1);
		out->items[i].data = pg_col_dup(res, (int)i, 2);
		out->items[i].final = pg_col_i(res, (int)i, 3) != 0;
	}
	PQclear(res);
	return 0;
}

int pg_events_last(struct store *base, const char *project, const char *run_id, int64_t *id)
{
	static const char sql[] = "SELECT COALESCE(MAX(id), 0) FROM run_events "
				  "WHERE run_id = $1 AND project = $2";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	*id = 0;
	pg_arg_s(&a, run_id);
	pg_arg_s(&a, project);
	err = read_one(base, PQ_EV_LAST, sql, "event last", &a, &res);
	if (err)
		return err;
	*id = pg_col_i(res, 0, 0);
	PQclear(res);
	return 0;
}

static int prune_tx(struct pg_conn *c, void *ctx)
{
	/* As sqlite_events.c: ended logs past the keep time, then anything past the longest. */
	static const char ended[] =
		"DELETE FROM run_events WHERE run_id IN (SELECT e.run_id FROM run_events e "
		"WHERE e.final = 1 AND e.at < $1 AND NOT EXISTS (SELECT 1 FROM run_events l "
		"WHERE l.run_id = e.run_id AND l.id > e.id))";
	int64_t now = *(const int64_t *)ctx;
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	pg_arg_i(&a, now - STORE_EVENTS_KEEP_S);
	err = pg_query(c, ended, "event prune", &a, &res);
	if (err)
		return err;
	PQclear(res);
	a.n = 0;
	pg_arg_i(&a, now - STORE_EVENTS_MAX_S);
	err = pg_query(c, "DELETE FROM run_events WHERE at < $1", "event prune", &a, &res);
	if (!err)
		PQclear(res);
	return err;
}

int pg_events_prune(struct store *base, int64_t now)
{
	return pg_tx(pg_of(base), prune_tx, &now);
}
