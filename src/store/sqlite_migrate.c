/* sqlite_migrate.c - the SQLite store's schema and the numbered migrations that build it.
 *
 * The schema version is PRAGMA user_version: 0 for a new file, n once migrations 1..n ran.
 * Each migration runs in its own BEGIN IMMEDIATE transaction together with the version bump,
 * and re-reads the version inside it, so two processes opening a new database at once (the
 * server and `assistd keys`) apply each step exactly once. Migrations are only ever appended:
 * never edit one that has shipped. The SQL sticks to types and syntax PostgreSQL also takes;
 * the migrations both backends run alike are in schema.h. */
#include <stddef.h>
#include <stdio.h>

#include "../base/log.h"
#include "schema.h"
#include "sqlite_int.h"

/* migrations[i] brings the schema from version i to version i + 1. */
static const char *const migrations[] = {
	/* 1, 2: objects, API keys, files and expiry (schema.h, shared with PostgreSQL). */
	SCHEMA_1,
	SCHEMA_2,
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
	/* 5: run leases and commands (schema.h, shared with PostgreSQL). */
	SCHEMA_LEASES,
	/* 6: the run event log (schema.h; sqlite_events.c) and change notifications
	 * (sqlite_notify.c). AUTOINCREMENT, so that an id is never handed out twice after a
	 * prune: readers go by "id above the last one seen". notify: one row per announced
	 * topic, read by the watch thread of every other process on the data directory
	 * (origin: the announcing store handle's random name). */
	SCHEMA_RUN_EVENTS("INTEGER PRIMARY KEY AUTOINCREMENT")
	"CREATE TABLE notify ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" topic TEXT NOT NULL,"
	" origin TEXT NOT NULL,"
	" at BIGINT NOT NULL);"
	"CREATE INDEX notify_at ON notify (at);",
	/* 7: limits per API key or project and their counters (shared with PostgreSQL). */
	SCHEMA_LIMITS,
	/* 8: the keyword index merges any two segments of a level when asked to (FTS5's
	 * "usermerge"; the default waits for four), so that store_chunks_compact leaves at most
	 * one segment a level: fewer lookups for every word of every search. chunks_vocab lists
	 * the index's terms with their chunk counts (sqlite_vocab.c reads it whole). */
	"INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('usermerge', 2);"
	"CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'col');",
	/* 9: what a run was created with, for the node that resumes it (schema.h). */
	SCHEMA_RUN_ORIGIN,
	/* 10: new chunks reach the keyword index through their own INSERT, after the chunks rows
	 * of their transaction (sqlite_chunks.c, index_rows), no longer through a trigger, which
	 * made FTS5 write a segment for every chunk. Deletes still go through chunks_ad. Commits
	 * no longer merge segments as they go (automerge 0): each ingestion merges them all once
	 * at its end (store_chunks_compact), which writes each page fewer times; FTS5's crisis
	 * merge (16 segments on a level) still bounds them meanwhile. */
	"DROP TRIGGER chunks_ai;"
	"INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('automerge', 0);",
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
