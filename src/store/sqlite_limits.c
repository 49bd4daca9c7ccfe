/* sqlite_limits.c - limits per API key or project in the SQLite store, and the counters
 * every node adds its uses to (see store.h and src/limits).
 *
 * The `assistd limits` command writes the limits table from another process while servers
 * run; each server reads it again every sync (src/limits). Counters are one row per subject,
 * kind and window: a node adds what it counted since its last sync and reads the sums back
 * in the same transaction, a few times a second, never once per request. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "sqlite_int.h"

static const char *const scope_names[] = { [STORE_LIMIT_KEY] = "key",
					   [STORE_LIMIT_PROJECT] = "project" };
static const char *const kind_names[] = { [STORE_COUNT_REQUESTS] = "requests",
					  [STORE_COUNT_RUNS] = "runs",
					  [STORE_COUNT_TOKENS] = "tokens" };

int sqlite_limit_set(struct store *base, const struct store_limit *l)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "INSERT INTO limits (scope, subject, requests, runs, tokens, "
				  "period) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE "
				  "SET requests = ?3, runs = ?4, tokens = ?5, period = ?6";
	struct sqlite_conn *c;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_exec(c->db, sql, "limit set", "ssiiis", scope_names[l->scope], l->subject,
			  l->requests, l->runs, l->tokens, l->monthly ? "month" : "day");
	return sqlite_end(st, c, err);
}

int sqlite_limit_delete(struct store *base, enum store_limit_scope scope, const char *subject)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "DELETE FROM limits WHERE scope = ?1 AND subject = ?2";
	struct sqlite_conn *c;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_exec(c->db, sql, "limit delete", "ss", scope_names[scope], subject);
	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_NOT_FOUND;
	return sqlite_end(st, c, err);
}

/* Appends the current row (scope, subject, hash, requests, runs, tokens, period). */
static void push_limit(sqlite3_stmt *s, struct store_limit **out, size_t *n, size_t *cap)
{
	struct store_limit *l;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*out = xrealloc(*out, *cap * sizeof(**out));
	}
	l = &(*out)[(*n)++];
	l->scope = strcmp((const char *)sqlite3_column_text(s, 0), "key") == 0
			   ? STORE_LIMIT_KEY
			   : STORE_LIMIT_PROJECT;
	l->subject = sqlite_col_dup(s, 1);
	l->key_hash = sqlite3_column_type(s, 2) == SQLITE_NULL ? NULL : sqlite_col_dup(s, 2);
	l->requests = sqlite3_column_int64(s, 3);
	l->runs = sqlite3_column_int64(s, 4);
	l->tokens = sqlite3_column_int64(s, 5);
	l->monthly = strcmp((const char *)sqlite3_column_text(s, 6), "month") == 0;
}

static int read_limits(struct sqlite_conn *c, struct store_limit **out, size_t *n)
{
	static const char sql[] = "SELECT l.scope, l.subject, k.hash, l.requests, l.runs, "
				  "l.tokens, l.period FROM limits l LEFT JOIN api_keys k "
				  "ON l.scope = 'key' AND k.id = l.subject AND k.revoked_at IS NULL "
				  "ORDER BY l.scope, l.subject";
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	bool row = true;
	int err;

	err = sqlite_query(c->db, sql, &s, "limit list", "");
	while (!err && row) {
		err = sqlite_step(c->db, s, "limit list", &row);
		if (!err && row)
			push_limit(s, out, n, &cap);
	}
	sqlite3_finalize(s);
	return err;
}

/* A fresh snapshot: a limit the CLI has just set counts from the next sync. */
int sqlite_limit_list(struct store *base, struct store_limit **out, size_t *n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	*out = NULL;
	*n = 0;
	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	err = read_limits(c, out, n);
	sqlite_read_done(st, c, err);
	if (err) {
		store_limits_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

/* Adds c->add to its row (creating it) and reads the total back into c->total. */
static int count_add(struct sqlite_conn *c, struct store_count *k)
{
	static const char sql[] = "INSERT INTO limit_counts (scope, subject, kind, win_ms, n, "
				  "expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO "
				  "UPDATE SET n = n + ?5 RETURNING n";
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err;

	err = sqlite_prep(c, SQ_COUNT_ADD, sql, &s, "count add", "sssiii", scope_names[k->scope],
			  k->subject, kind_names[k->kind], k->win_ms, k->add, k->expires_ms);
	if (!err)
		err = sqlite_step(c->db, s, "count add", &row);
	k->total = !err && row ? sqlite3_column_int64(s, 0) : 0;
	if (s)
		sqlite3_reset(s);
	return err;
}

/* Reads c->total (0 when no node counted anything in that window yet). */
static int count_get(struct sqlite_conn *c, struct store_count *k)
{
	static const char sql[] = "SELECT n FROM limit_counts WHERE scope = ?1 AND subject = ?2 "
				  "AND kind = ?3 AND win_ms = ?4";
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err;

	err = sqlite_prep(c, SQ_COUNT_GET, sql, &s, "count get", "sssi", scope_names[k->scope],
			  k->subject, kind_names[k->kind], k->win_ms);
	if (!err)
		err = sqlite_step(c->db, s, "count get", &row);
	k->total = !err && row ? sqlite3_column_int64(s, 0) : 0;
	if (s)
		sqlite3_reset(s);
	return err;
}

static int counts_write(struct sqlite_store *st, struct store_count *k, size_t n, int64_t now_ms)
{
	static const char sweep[] = "DELETE FROM limit_counts WHERE expires_ms < ?1";
	struct sqlite_conn *c;
	sqlite3_stmt *s;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = k[i].add ? count_add(c, &k[i]) : count_get(c, &k[i]);
	if (!err)
		err = sqlite_prep(c, SQ_COUNT_SWEEP, sweep, &s, "count sweep", "i", now_ms);
	if (!err)
		err = sqlite_run(c->db, s, "count sweep");
	return sqlite_end_periodic(st, c, err);
}

/* Nothing to add: a fresh read, so other nodes' counts are seen at once. */
static int counts_read(struct sqlite_store *st, struct store_count *k, size_t n)
{
	struct sqlite_conn *c;
	int err;

	err = sqlite_read_fresh(st, &c);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = count_get(c, &k[i]);
	sqlite_read_done(st, c, err);
	return err;
}

int sqlite_count_sync(struct store *base, struct store_count *c, size_t n, int64_t now_ms)
{
	struct sqlite_store *st = sqlite_of(base);

	for (size_t i = 0; i < n; i++) {
		if (c[i].add)
			return counts_write(st, c, n, now_ms);
	}
	return n ? counts_read(st, c, n) : 0;
}
