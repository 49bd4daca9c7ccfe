/* pg_events.c - the run event log on PostgreSQL (store_events_*): append, read, prune.
 *
 * The same table and contract as sqlite_events.c; an append is one statement (one round
 * trip) whose topics are NOTIFYs in its transaction (pg_notify.c). Every statement reads what was committed before it started, so
 * a read after a notification sees the write behind it. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "pg_int.h"

/* The column of evs that field picks, as text. */
typedef const char *column_fn(const struct store_event *ev);

static const char *col_project(const struct store_event *ev)
{
	return ev->project;
}

static const char *col_run(const struct store_event *ev)
{
	return ev->run_id;
}

static const char *col_name(const struct store_event *ev)
{
	return ev->name;
}

static const char *col_data(const struct store_event *ev)
{
	return ev->data;
}

static const char *col_final(const struct store_event *ev)
{
	return ev->final ? "1" : "0";
}

/* Appends s to b as an element of a PostgreSQL array literal: quoted, with backslashes and
 * quotes escaped. */
static void array_elem(struct buf *b, const char *s)
{
	int err = buf_putc(b, '"');

	for (; *s && !err; s++) {
		if (*s == '"' || *s == '\\')
			err = buf_putc(b, '\\');
		if (!err)
			err = buf_putc(b, *s);
	}
	if (err || buf_putc(b, '"'))
		abort(); /* a buffer without a limit: only out of memory, which aborts anyway */
}

/* The array literal {"v0","v1",...} of n strings, each picked from item i by col (or, with
 * col NULL, strs[i]). Owned: free with buf_cleanup. */
static void array_of(struct buf *b, const struct store_event *evs, column_fn *col,
		     const char *const *strs, size_t n)
{
	buf_init(b, 0);
	if (buf_putc(b, '{'))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (i && buf_putc(b, ','))
			abort();
		array_elem(b, col ? col(&evs[i]) : strs[i]);
	}
	if (buf_append(b, "}", 2)) /* with the NUL: the literal is a C string */
		abort();
}

/* Fills ids[0..n) from the statement's rows: the new ids, in order, then one 0 per topic. */
static void take_ids(const PGresult *res, int64_t *ids, size_t n)
{
	size_t got = 0;

	for (int r = 0; r < PQntuples(res) && got < n; r++)
		if (pg_col_i(res, r, 0) > 0)
			ids[got++] = pg_col_i(res, r, 0);
}

int pg_events_append(struct store *base, const struct store_event *evs, size_t n,
		     const char *const *topics, size_t ntopics, int64_t *ids)
{
	/* One statement, so one round trip: the rows in order (their ids come from the
	 * sequence in that order, and come back in it), and the topics NOTIFYd in the same
	 * implicit transaction (each branch of a UNION ALL runs). */
	static const char sql[] =
		"WITH e AS (INSERT INTO run_events (project, run_id, name, data, final, at) "
		"SELECT p, r, n, d, f, $6 FROM unnest($1::text[], $2::text[], $3::text[], "
		"$4::text[], $5::int[]) WITH ORDINALITY AS u(p, r, n, d, f, o) ORDER BY o "
		"RETURNING id) "
		"(SELECT id FROM e ORDER BY id) UNION ALL "
		"SELECT 0 FROM (SELECT pg_notify('assistd', t) FROM unnest($7::text[]) AS t) AS x";
	static column_fn *const cols[] = { col_project, col_run, col_name, col_data, col_final };
	struct pg_store *st = pg_of(base);
	struct buf arrays[6];
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	for (size_t i = 0; i < 5; i++) {
		array_of(&arrays[i], evs, cols[i], NULL, n);
		pg_arg_s(&a, arrays[i].p);
	}
	pg_arg_i(&a, clock_unix());
	array_of(&arrays[5], NULL, NULL, topics, ntopics);
	pg_arg_s(&a, arrays[5].p);
	err = pg_stmt(st, PQ_EV_INSERT, sql, "event append", &a, &res);
	if (!err && ids)
		take_ids(res, ids, n);
	if (!err)
		PQclear(res);
	for (size_t i = 0; i < 6; i++)
		buf_cleanup(&arrays[i]);
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
	err = pg_stmt(pg_of(base), PQ_EV_READ, sql, "event read", &a, &res);
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
	err = pg_stmt(pg_of(base), PQ_EV_LAST, sql, "event last", &a, &res);
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
