/* schema.h - the migrations both backends run alike: the SQL of the tables SQLite and
 * PostgreSQL share, in types and syntax both accept (BIGINT, TEXT, partial indexes).
 *
 * Each backend keeps its own numbered list of migrations (sqlite_migrate.c, pg_migrate.c) and
 * its own record of the version reached; these are the first entries of both lists. A later
 * migration that both can run is added here and appended to both lists; one that must differ
 * (SQLite's FTS5 index, PostgreSQL's sequences and row counters) lives in its backend's list
 * only. Never edit one that has shipped. */
#ifndef ASSISTD_SCHEMA_H
#define ASSISTD_SCHEMA_H

/* 1: API objects and API keys.
 * objects: one row per API object; body is the JSON the API returns. kind is a name from
 * store_kind_name(). seq is an insertion counter, the tie-break after created_at
 * (store-wide on SQLite; see pg_migrate.c for PostgreSQL); it and created_at never change
 * when an object is replaced, so neither does its place in a list. Ids are unique across
 * projects, but the key includes project so that no statement can reach another project's row
 * by id alone.
 * api_keys: hash is the SHA-256 hex of the key; revoked_at is NULL while active. */
#define SCHEMA_1 \
	"CREATE TABLE objects (" \
	" project TEXT NOT NULL," \
	" kind TEXT NOT NULL," \
	" id TEXT NOT NULL," \
	" parent TEXT," \
	" run_id TEXT," \
	" status TEXT," \
	" created_at BIGINT NOT NULL," \
	" seq BIGINT NOT NULL," \
	" version BIGINT NOT NULL," \
	" body TEXT NOT NULL," \
	" PRIMARY KEY (project, id));" \
	"CREATE INDEX objects_list ON objects (project, kind, parent, created_at, seq);" \
	"CREATE INDEX objects_status ON objects (kind, status) WHERE status IS NOT NULL;" \
	"CREATE INDEX objects_seq ON objects (seq);" \
	"CREATE TABLE api_keys (" \
	" id TEXT PRIMARY KEY," \
	" project TEXT NOT NULL," \
	" hash TEXT NOT NULL UNIQUE," \
	" hint TEXT NOT NULL," \
	" created_at BIGINT NOT NULL," \
	" revoked_at BIGINT);"

/* 2: files and expiring objects.
 * tag: a label lists filter on (a file's purpose); expires_at: Unix seconds after which
 * the object is removed (NULL: never), indexed for the sweep that removes them.
 * objects_id serves lookups by id alone, across projects (the blob sweep at start). */
#define SCHEMA_2 \
	"ALTER TABLE objects ADD COLUMN tag TEXT;" \
	"ALTER TABLE objects ADD COLUMN expires_at BIGINT;" \
	"CREATE INDEX objects_expiry ON objects (expires_at) WHERE expires_at IS NOT NULL;" \
	"CREATE INDEX objects_id ON objects (id);"

#endif
