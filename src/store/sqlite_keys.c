/* sqlite_keys.c - API keys in the SQLite store: insert, look up by hash, list and revoke.
 *
 * Only the SHA-256 hex of a key is stored (hashing is the caller's job). Keys are not scoped by
 * project: they are what maps a request to its project. The `assistd keys` command writes this
 * table from another process while the server runs, so writes use the same BEGIN IMMEDIATE
 * transactions as objects and wait on the busy timeout. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "sqlite_int.h"

int sqlite_key_insert(struct store *base, const struct store_key *key, const char *hash_hex)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "INSERT INTO api_keys (id, project, hash, hint, created_at, "
				  "revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0))";
	struct sqlite_conn *c;
	sqlite3_stmt *s;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_KEY_INSERT, sql, &s, "key insert", "ssssii", key->id,
			  key->project, hash_hex, key->hint, (int64_t)key->created_at,
			  (int64_t)key->revoked_at);
	if (!err)
		err = sqlite_run(c->db, s, "key insert");
	return sqlite_end(st, c, err);
}

/* Looks the key up in a snapshot, fresh or possibly reused (see sqlite_pool.c). */
static int key_lookup(struct sqlite_store *st, const char *hash_hex, bool fresh, char **project)
{
	static const char sql[] = "SELECT project FROM api_keys "
				  "WHERE hash = ?1 AND revoked_at IS NULL";
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err;

	*project = NULL;
	err = fresh ? sqlite_read_fresh(st, &c) : sqlite_read(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_KEY_PROJECT, sql, &s, "key lookup", "s", hash_hex);
	if (!err)
		err = sqlite_step(c->db, s, "key lookup", &row);
	if (!err && row)
		*project = sqlite_col_dup(s, 0);
	else if (!err)
		err = ERR_AUTH;
	if (s)
		sqlite3_reset(s);
	sqlite_read_done(st, c, err);
	return err;
}

/* A key another process (assistd keys create) has just written may not be in a reused
 * snapshot yet: an unknown key is looked up once more in a fresh one, so a new key works at
 * once. */
int sqlite_key_project(struct store *base, const char *hash_hex, char **project)
{
	struct sqlite_store *st = sqlite_of(base);
	int err = key_lookup(st, hash_hex, false, project);

	if (err == ERR_AUTH)
		err = key_lookup(st, hash_hex, true, project);
	return err;
}

/* The remembered answer of store_key_ever, when it is still good (see struct sqlite_store). A yes
 * is good for ever: keys are revoked, never deleted. */
static bool key_ever_cached(struct sqlite_store *st, bool *ever)
{
	int64_t read_ms = atomic_load(&st->keys_read_ms);

	*ever = atomic_load(&st->keys_ever);
	if (*ever)
		return true;
	return read_ms && clock_ms() - read_ms < SQ_SNAP_MS &&
	       atomic_load(&st->keys_gen) == atomic_load(&st->gen);
}

static void key_ever_remember(struct sqlite_store *st, uint64_t gen, bool ever)
{
	atomic_store(&st->keys_ever, ever);
	atomic_store(&st->keys_gen, gen);
	atomic_store(&st->keys_read_ms, clock_ms());
}

int sqlite_key_ever(struct store *base, bool *ever)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "SELECT 1 FROM api_keys LIMIT 1";
	uint64_t gen = atomic_load(&st->gen);
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	int err;

	if (key_ever_cached(st, ever))
		return 0;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_KEY_EVER, sql, &s, "key ever", "");
	if (!err)
		err = sqlite_step(c->db, s, "key ever", ever);
	if (s)
		sqlite3_reset(s);
	sqlite_read_done(st, c, err);
	if (!err)
		key_ever_remember(st, gen, *ever);
	return err;
}

/* Appends the current row (id, project, hint, created_at, revoked_at) to *keys. */
static void push_key(sqlite3_stmt *s, struct store_key **keys, size_t *n, size_t *cap)
{
	struct store_key *k;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*keys = xrealloc(*keys, *cap * sizeof(**keys));
	}
	k = &(*keys)[(*n)++];
	k->id = sqlite_col_dup(s, 0);
	k->project = sqlite_col_dup(s, 1);
	k->hint = sqlite_col_dup(s, 2);
	k->created_at = sqlite3_column_int64(s, 3);
	k->revoked_at = sqlite3_column_int64(s, 4); /* NULL reads as 0: active */
}

static int read_keys(struct sqlite_conn *c, struct store_key **keys, size_t *n)
{
	static const char sql[] = "SELECT id, project, hint, created_at, revoked_at "
				  "FROM api_keys ORDER BY created_at, id";
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	bool row = true;
	int err;

	err = sqlite_prep(c, SQ_KEY_LIST, sql, &s, "key list", "");
	while (!err && row) {
		err = sqlite_step(c->db, s, "key list", &row);
		if (!err && row)
			push_key(s, keys, n, &cap);
	}
	if (s)
		sqlite3_reset(s);
	return err;
}

int sqlite_key_list(struct store *base, struct store_key **keys, size_t *n)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	int err;

	*keys = NULL;
	*n = 0;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = read_keys(c, keys, n);
	sqlite_read_done(st, c, err);
	if (err) {
		store_keys_free(*keys, *n);
		*keys = NULL;
		*n = 0;
	}
	return err;
}

/* Revoking a key that is already revoked succeeds and keeps the first revocation time. */
int sqlite_key_revoke(struct store *base, const char *id, int64_t now)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) "
				  "WHERE id = ?1";
	struct sqlite_conn *c;
	sqlite3_stmt *s;
	int err;

	err = sqlite_begin(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_KEY_REVOKE, sql, &s, "key revoke", "si", id, now);
	if (!err)
		err = sqlite_run(c->db, s, "key revoke");
	if (!err && sqlite3_changes(c->db) == 0)
		err = ERR_NOT_FOUND;
	return sqlite_end(st, c, err);
}
