/* sqlite_migrate.c - the SQLite store's schema and the numbered migrations that build it.
 *
 * The schema version is PRAGMA user_version: 0 for a new file, n once migrations 1..n ran.
 * Each migration runs in its own BEGIN IMMEDIATE transaction together with the version bump,
 * and re-reads the version inside it, so two processes opening a new database at once (the
 * server and `assistd keys`) apply each step exactly once. Migrations are only ever appended:
 * never edit one that has shipped. The SQL sticks to types and syntax PostgreSQL also takes. */
#include <stddef.h>
#include <stdio.h>

#include "../base/log.h"
#include "sqlite_int.h"

/* The FTS5 tokenizer of the keyword index. Fixed once a database is made; -D overrides it
 * only for measuring alternatives (bench/scifact.sh). */
#ifndef SQ_FTS_TOKENIZE
#define SQ_FTS_TOKENIZE "porter unicode61 remove_diacritics 2"
#endif

/* migrations[i] brings the schema from version i to version i + 1. */
static const char *const migrations[] = {
	/* 1: API objects and API keys.
	 * objects: one row per API object; body is the JSON the API returns. kind is a name from
	 * sqlite_kind(). seq is a store-wide insertion counter, the tie-break after created_at;
	 * it and created_at never change when an object is replaced, so neither does its place
	 * in a list. Ids are unique across projects, but the key includes project so that no
	 * statement can reach another project's row by id alone.
	 * api_keys: hash is the SHA-256 hex of the key; revoked_at is NULL while active. */
	"CREATE TABLE objects ("
	" project TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" parent TEXT,"
	" run_id TEXT,"
	" status TEXT,"
	" created_at BIGINT NOT NULL,"
	" seq BIGINT NOT NULL,"
	" version BIGINT NOT NULL,"
	" body TEXT NOT NULL,"
	" PRIMARY KEY (project, id));"
	"CREATE INDEX objects_list ON objects (project, kind, parent, created_at, seq);"
	"CREATE INDEX objects_status ON objects (kind, status) WHERE status IS NOT NULL;"
	"CREATE INDEX objects_seq ON objects (seq);"
	"CREATE TABLE api_keys ("
	" id TEXT PRIMARY KEY,"
	" project TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE,"
	" hint TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" revoked_at BIGINT);",
	/* 2: files and expiring objects.
	 * tag: a label lists filter on (a file's purpose); expires_at: Unix seconds after which
	 * the object is removed (NULL: never), indexed for the sweep that removes them.
	 * objects_id serves lookups by id alone, across projects (the blob sweep at start). */
	"ALTER TABLE objects ADD COLUMN tag TEXT;"
	"ALTER TABLE objects ADD COLUMN expires_at BIGINT;"
	"CREATE INDEX objects_expiry ON objects (expires_at) WHERE expires_at IS NOT NULL;"
	"CREATE INDEX objects_id ON objects (id);",
	/* 3: vector store files, their chunks and the keyword index.
	 * vs_files: one row per file attached to a vector store; body is the VectorStoreFile
	 * JSON the API returns, status mirrors its status (in_progress rows are the ingestion
	 * jobs), seq orders lists like objects.seq and changes when a file is attached again.
	 * chunks: the parsed text of a file in a store, in order (idx); scope is the store id
	 * without its "vs_" prefix, a word the index keeps so that a search reaches its stores'
	 * chunks only. chunks_fts indexes text and scope (external content, kept in step by the
	 * triggers); its tokenizer was chosen by retrieval quality on SciFact (BENCHMARKS.md). */
	"CREATE TABLE vs_files ("
	" project TEXT NOT NULL,"
	" vector_store_id TEXT NOT NULL,"
	" file_id TEXT NOT NULL,"
	" batch_id TEXT,"
	" status TEXT NOT NULL,"
	" filename TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" seq BIGINT NOT NULL,"
	" usage_bytes BIGINT NOT NULL DEFAULT 0,"
	" body TEXT NOT NULL,"
	" PRIMARY KEY (project, vector_store_id, file_id));"
	"CREATE INDEX vs_files_list ON vs_files (project, vector_store_id, created_at, seq);"
	"CREATE INDEX vs_files_batch ON vs_files (project, batch_id, created_at, seq) "
	" WHERE batch_id IS NOT NULL;"
	"CREATE INDEX vs_files_file ON vs_files (project, file_id);"
	"CREATE INDEX vs_files_jobs ON vs_files (seq) WHERE status = 'in_progress';"
	"CREATE TABLE chunks ("
	" id INTEGER PRIMARY KEY,"
	" project TEXT NOT NULL,"
	" vector_store_id TEXT NOT NULL,"
	" file_id TEXT NOT NULL,"
	" idx BIGINT NOT NULL,"
	" scope TEXT NOT NULL,"
	" text TEXT NOT NULL);"
	"CREATE INDEX chunks_file ON chunks (project, vector_store_id, file_id, idx);"
	"CREATE VIRTUAL TABLE chunks_fts USING fts5(text, scope, content='chunks', "
	" content_rowid='id', tokenize='" SQ_FTS_TOKENIZE "');"
	"CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN"
	" INSERT INTO chunks_fts (rowid, text, scope) VALUES (new.id, new.text, new.scope); END;"
	"CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN"
	" INSERT INTO chunks_fts (chunks_fts, rowid, text, scope)"
	" VALUES ('delete', old.id, old.text, old.scope); END;",
	/* 4: embeddings. chunks.vec is the chunk's vector (float32, normalised, native byte
	 * order), NULL without an embedding model. vec_gen counts the changes to each store's
	 * vectors, so that the in-memory copy searches use (sqlite_vec.c) knows when to reload. */
	"ALTER TABLE chunks ADD COLUMN vec BLOB;"
	"CREATE TABLE vec_gen (vector_store_id TEXT PRIMARY KEY, gen BIGINT NOT NULL);"
	"CREATE TRIGGER chunks_vec_ai AFTER INSERT ON chunks WHEN new.vec IS NOT NULL BEGIN"
	" INSERT INTO vec_gen VALUES (new.vector_store_id, 1)"
	" ON CONFLICT DO UPDATE SET gen = gen + 1; END;"
	"CREATE TRIGGER chunks_vec_ad AFTER DELETE ON chunks WHEN old.vec IS NOT NULL BEGIN"
	" INSERT INTO vec_gen VALUES (old.vector_store_id, 1)"
	" ON CONFLICT DO UPDATE SET gen = gen + 1; END;",
	/* 5: limits per API key or project (src/limits) and their shared counters.
	 * limits: scope is 'key' (subject: the key's id) or 'project' (subject: its name);
	 * requests and runs are per window, tokens per period ('day' or 'month', UTC); 0 is no
	 * limit. limit_counts: what a subject used of one kind ('requests', 'runs', 'tokens') in
	 * the window starting at win_ms, every node's deltas added up; rows go after
	 * expires_ms. */
	"CREATE TABLE limits ("
	" scope TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" requests BIGINT NOT NULL DEFAULT 0,"
	" runs BIGINT NOT NULL DEFAULT 0,"
	" tokens BIGINT NOT NULL DEFAULT 0,"
	" period TEXT NOT NULL DEFAULT 'month',"
	" PRIMARY KEY (scope, subject));"
	"CREATE TABLE limit_counts ("
	" scope TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" win_ms BIGINT NOT NULL,"
	" n BIGINT NOT NULL,"
	" expires_ms BIGINT NOT NULL,"
	" PRIMARY KEY (scope, subject, kind, win_ms));"
	"CREATE INDEX limit_counts_expiry ON limit_counts (expires_ms);",
};

#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *s = NULL;
	int err = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW)
		err = sqlite_fail(db, "user_version");
	else
		*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return err;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(db, what);
	return 0;
}

/* Applies migration number to (1-based) unless another process already did. */
static int migrate_step(sqlite3 *db, int to)
{
	char bump[64];
	int version = 0;
	int err;

	err = exec(db, "BEGIN IMMEDIATE", "migrate: begin");
	if (err)
		return err;
	err = user_version(db, &version);
	if (err || version >= to)
		goto out;
	log_info("store: migrating the schema to version %d", to);
	snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", to);
	err = exec(db, migrations[to - 1], "migrate");
	if (!err)
		err = exec(db, bump, "migrate: user_version");
out:
	if (!err)
		return exec(db, "COMMIT", "migrate: commit");
	(void)exec(db, "ROLLBACK", "migrate: rollback");
	return err;
}

int sqlite_migrate(sqlite3 *db)
{
	int version = 0;
	int err;

	err = user_version(db, &version);
	if (err)
		return err;
	if (version > MIGRATION_COUNT) {
		log_error("store: the database has schema version %d; this assistd knows up to %d",
			  version, MIGRATION_COUNT);
		return ERR_DB;
	}
	for (int to = version + 1; to <= MIGRATION_COUNT && !err; to++)
		err = migrate_step(db, to);
	return err;
}
