/* pg_limits.c - limits per API key or project in the PostgreSQL store, and the counters every
 * node adds its uses to (see store.h and src/limits).
 *
 * The same tables as SQLite (schema.h). A sync adds each node's counts with one upsert per
 * counter in one transaction; every node walks its counters in the same order (by scope,
 * subject and kind), so two nodes syncing at once take the row locks in the same order and
 * never deadlock. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "pg_int.h"

static const char *const scope_names[] = { [STORE_LIMIT_KEY] = "key",
					   [STORE_LIMIT_PROJECT] = "project" };
static const char *const kind_names[] = { [STORE_COUNT_REQUESTS] = "requests",
					  [STORE_COUNT_RUNS] = "runs",
					  [STORE_COUNT_TOKENS] = "tokens" };

/* Runs one uncached statement; *res (when res is not NULL) receives its result, else
 * *changed (when not NULL) the rows it changed. */
static int limits_do(struct pg_store *st, const char *sql, const char *what,
		     const struct pg_args *a, PGresult **res, int64_t *changed)
{
	PGresult *r = NULL;
	int err = pg_stmt_once(st, sql, what, a, &r);

	if (!err && changed)
		*changed = strtoll(PQcmdTuples(r), NULL, 10);
	if (!err && res)
		*res = r;
	else
		PQclear(r);
	return err;
}

int pg_limit_set(struct store *base, const struct store_limit *l)
{
	static const char sql[] = "INSERT INTO limits (scope, subject, requests, runs, tokens, "
				  "period) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, "
				  "subject) DO UPDATE SET requests = $3, runs = $4, tokens = $5, "
				  "period = $6";
	struct pg_args a = { 0 };

	pg_arg_s(&a, scope_names[l->scope]);
	pg_arg_s(&a, l->subject);
	pg_arg_i(&a, l->requests);
	pg_arg_i(&a, l->runs);
	pg_arg_i(&a, l->tokens);
	pg_arg_s(&a, l->monthly ? "month" : "day");
	return limits_do(pg_of(base), sql, "limit set", &a, NULL, NULL);
}

int pg_limit_delete(struct store *base, enum store_limit_scope scope, const char *subject)
{
	static const char sql[] = "DELETE FROM limits WHERE scope = $1 AND subject = $2";
	struct pg_args a = { 0 };
	int64_t rows = 0;
	int err;

	pg_arg_s(&a, scope_names[scope]);
	pg_arg_s(&a, subject);
	err = limits_do(pg_of(base), sql, "limit delete", &a, NULL, &rows);
	return !err && rows == 0 ? ERR_NOT_FOUND : err;
}

/* Copies row r (scope, subject, hash, requests, runs, tokens, period) of res into l. */
static void limit_from_row(const PGresult *res, int r, struct store_limit *l)
{
	l->scope = strcmp(PQgetvalue(res, r, 0), "key") == 0 ? STORE_LIMIT_KEY
							      : STORE_LIMIT_PROJECT;
	l->subject = pg_col_dup(res, r, 1);
	l->key_hash = PQgetisnull(res, r, 2) ? NULL : pg_col_dup(res, r, 2);
	l->requests = pg_col_i(res, r, 3);
	l->runs = pg_col_i(res, r, 4);
	l->tokens = pg_col_i(res, r, 5);
	l->monthly = strcmp(PQgetvalue(res, r, 6), "month") == 0;
}

int pg_limit_list(struct store *base, struct store_limit **out, size_t *n)
{
	static const char sql[] = "SELECT l.scope, l.subject, k.hash, l.requests, l.runs, "
				  "l.tokens, l.period FROM limits l LEFT JOIN api_keys k "
				  "ON l.scope = 'key' AND k.id = l.subject AND k.revoked_at IS NULL "
				  "ORDER BY l.scope COLLATE \"C\", l.subject COLLATE \"C\"";
	PGresult *res;
	int err;

	*out = NULL;
	*n = 0;
	err = limits_do(pg_of(base), sql, "limit list", NULL, &res, NULL);
	if (err)
		return err;
	*n = (size_t)PQntuples(res);
	*out = xcalloc(*n + 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++)
		limit_from_row(res, (int)i, &(*out)[i]);
	PQclear(res);
	return 0;
}

struct sync_ctx {
	struct store_count *c;
	size_t n;
	int64_t now_ms;
};

/* Adds k->add to its row (creating it), or only reads it, into k->total. */
static int count_one(struct pg_conn *c, struct store_count *k)
{
	static const char add[] = "INSERT INTO limit_counts (scope, subject, kind, win_ms, n, "
				  "expires_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, "
				  "subject, kind, win_ms) DO UPDATE SET n = limit_counts.n + "
				  "EXCLUDED.n RETURNING n";
	static const char get[] = "SELECT n FROM limit_counts WHERE scope = $1 AND subject = $2 "
				  "AND kind = $3 AND win_ms = $4";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	pg_arg_s(&a, scope_names[k->scope]);
	pg_arg_s(&a, k->subject);
	pg_arg_s(&a, kind_names[k->kind]);
	pg_arg_i(&a, k->win_ms);
	if (k->add) {
		pg_arg_i(&a, k->add);
		pg_arg_i(&a, k->expires_ms);
	}
	err = k->add ? pg_run(c, PQ_COUNT_ADD, add, "count add", &a, &res)
		     : pg_run(c, PQ_COUNT_GET, get, "count get", &a, &res);
	if (err)
		return err;
	k->total = PQntuples(res) ? pg_col_i(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

static int sync_tx(struct pg_conn *c, void *arg)
{
	static const char sweep[] = "DELETE FROM limit_counts WHERE expires_ms < $1";
	struct sync_ctx *x = arg;
	struct pg_args a = { 0 };
	int err = 0;

	for (size_t i = 0; i < x->n && !err; i++)
		err = count_one(c, &x->c[i]);
	pg_arg_i(&a, x->now_ms);
	if (!err)
		err = pg_do(c, PQ_COUNT_SWEEP, sweep, "count sweep", &a, NULL);
	return err;
}

int pg_count_sync(struct store *base, struct store_count *c, size_t n, int64_t now_ms)
{
	struct sync_ctx x = { c, n, now_ms };

	return n ? pg_tx(pg_of(base), sync_tx, &x) : 0;
}
