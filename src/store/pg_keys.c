/* pg_keys.c - API keys in the PostgreSQL store: insert, look up by hash, list and revoke.
 *
 * Only the SHA-256 hex of a key is stored. Keys are not scoped by project: they are what maps
 * a request to its project. Every node reads the table, and `assistd keys` writes it from
 * anywhere, so lookups always ask the database (a key revoked on one node is refused by all
 * at once); only store_key_ever's yes is remembered, since keys are never deleted. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "pg_int.h"

int pg_key_insert(struct store *base, const struct store_key *key, const char *hash_hex)
{
	static const char sql[] = "INSERT INTO api_keys (id, project, hash, hint, created_at, "
				  "revoked_at) VALUES ($1, $2, $3, $4, $5, NULLIF($6::bigint, 0))";
	struct pg_args a = { 0 };

	pg_arg_s(&a, key->id);
	pg_arg_s(&a, key->project);
	pg_arg_s(&a, hash_hex);
	pg_arg_s(&a, key->hint);
	pg_arg_i(&a, key->created_at);
	pg_arg_i(&a, key->revoked_at);
	return pg_stmt_rows(pg_of(base), PQ_KEY_INSERT, sql, "key insert", &a, NULL);
}

int pg_key_project(struct store *base, const char *hash_hex, char **project)
{
	static const char sql[] = "SELECT project FROM api_keys "
				  "WHERE hash = $1 AND revoked_at IS NULL";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	*project = NULL;
	pg_arg_s(&a, hash_hex);
	err = pg_stmt(pg_of(base), PQ_KEY_PROJECT, sql, "key lookup", &a, &res);
	if (err)
		return err;
	if (PQntuples(res) == 0)
		err = ERR_AUTH;
	else
		*project = pg_col_dup(res, 0, 0);
	PQclear(res);
	return err;
}

int pg_key_ever(struct store *base, bool *ever)
{
	static const char sql[] = "SELECT 1 FROM api_keys LIMIT 1";
	struct pg_store *st = pg_of(base);
	int64_t rows = 0;
	int err;

	*ever = atomic_load(&st->keys_ever);
	if (*ever)
		return 0;
	err = pg_stmt_rows(st, PQ_KEY_EVER, sql, "key ever", NULL, &rows);
	if (err)
		return err;
	*ever = rows > 0;
	if (*ever)
		atomic_store(&st->keys_ever, true);
	return 0;
}

/* Copies row r (id, project, hint, created_at, revoked_at) of res into k. */
static void key_from_row(const PGresult *res, int r, struct store_key *k)
{
	k->id = pg_col_dup(res, r, 0);
	k->project = pg_col_dup(res, r, 1);
	k->hint = pg_col_dup(res, r, 2);
	k->created_at = pg_col_i(res, r, 3);
	k->revoked_at = pg_col_i(res, r, 4); /* NULL reads as 0: active */
}

int pg_key_list(struct store *base, struct store_key **keys, size_t *n)
{
	static const char sql[] = "SELECT id, project, hint, created_at, revoked_at "
				  "FROM api_keys ORDER BY created_at, id";
	PGresult *res;
	int err;

	*keys = NULL;
	*n = 0;
	err = pg_stmt(pg_of(base), PQ_KEY_LIST, sql, "key list", NULL, &res);
	if (err)
		return err;
	*n = (size_t)PQntuples(res);
	*keys = xcalloc(*n + 1, sizeof(**keys));
	for (size_t i = 0; i < *n; i++)
		key_from_row(res, (int)i, &(*keys)[i]);
	PQclear(res);
	return 0;
}

/* Revoking a key that is already revoked succeeds and keeps the first revocation time. */
int pg_key_revoke(struct store *base, const char *id, int64_t now)
{
	static const char sql[] = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) "
				  "WHERE id = $1";
	struct pg_args a = { 0 };
	int64_t rows = 0;
	int err;

	pg_arg_s(&a, id);
	pg_arg_i(&a, now);
	err = pg_stmt_rows(pg_of(base), PQ_KEY_REVOKE, sql, "key revoke", &a, &rows);
	if (!err && rows == 0)
		err = ERR_NOT_FOUND;
	return err;
}
