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

/* Run leases and commands (sqlite_lease.c, pg_lease.c; SQLite's 5, PostgreSQL's 4).
 * lease_owner is the node driving a run ("<node>#<boot>"), lease_until when its lease lapses
 * (Unix ms); both NULL when no node holds it. run_commands: a command for the node that
 * drives a run, posted by another node (a cancel), answered by the owner in place (err,
 * answer) and removed by the poster once read. */
#define SCHEMA_LEASES \
	"ALTER TABLE objects ADD COLUMN lease_owner TEXT;" \
	"ALTER TABLE objects ADD COLUMN lease_until BIGINT;" \
	"CREATE INDEX objects_lease ON objects (lease_owner) WHERE lease_owner IS NOT NULL;" \
	"CREATE TABLE run_commands (" \
	" id TEXT PRIMARY KEY," \
	" project TEXT NOT NULL," \
	" run_id TEXT NOT NULL," \
	" owner TEXT NOT NULL," \
	" kind TEXT NOT NULL," \
	" created_at BIGINT NOT NULL," \
	" answered BOOLEAN NOT NULL DEFAULT FALSE," \
	" err BIGINT NOT NULL DEFAULT 0," \
	" answer TEXT);" \
	"CREATE INDEX run_commands_owner ON run_commands (owner, created_at) WHERE NOT answered;"
/* What a run was created with that only the server reads (SQLite migration 9, PostgreSQL
 * migration 8; STORE_SET_RUN_ORIGIN in sqlite_lease.c, pg_lease.c): run_key, the hash of
 * the API key that created it (its token budget), and run_include, its create's include[]
 * (STORE_INCLUDE_* flags). A node that takes the run over (or is handed it) reads them
 * back; the API never shows them. */
#define SCHEMA_RUN_ORIGIN \
	"ALTER TABLE objects ADD COLUMN run_key TEXT;" \
	"ALTER TABLE objects ADD COLUMN run_include BIGINT NOT NULL DEFAULT 0;"

/* Limits per API key or project (src/limits) and their shared counters; SQLite's 6th
 * migration, PostgreSQL's 5th.
 * limits: scope is 'key' (subject: the key's id) or 'project' (subject: its name); requests
 * and runs are per window, tokens per period ('day' or 'month', UTC); 0 is no limit.
 * limit_counts: what a subject used of one kind ('requests', 'runs', 'tokens') in the window
 * starting at win_ms, every node's deltas added up; rows go after expires_ms. */
#define SCHEMA_LIMITS \
	"CREATE TABLE limits (" \
	" scope TEXT NOT NULL," \
	" subject TEXT NOT NULL," \
	" requests BIGINT NOT NULL DEFAULT 0," \
	" runs BIGINT NOT NULL DEFAULT 0," \
	" tokens BIGINT NOT NULL DEFAULT 0," \
	" period TEXT NOT NULL DEFAULT 'month'," \
	" PRIMARY KEY (scope, subject));" \
	"CREATE TABLE limit_counts (" \
	" scope TEXT NOT NULL," \
	" subject TEXT NOT NULL," \
	" kind TEXT NOT NULL," \
	" win_ms BIGINT NOT NULL," \
	" n BIGINT NOT NULL," \
	" expires_ms BIGINT NOT NULL," \
	" PRIMARY KEY (scope, subject, kind, win_ms));" \
	"CREATE INDEX limit_counts_expiry ON limit_counts (expires_ms);"

/* The run event log (SQLite migration 6, PostgreSQL migration 5): the server-sent events of
 * runs, appended by the node driving each run, in id order (id_type: the backend's growing
 * key, never handed out twice); final marks the last event of a stretch (terminal or
 * requires_action); at is Unix seconds, for pruning. */
#define SCHEMA_RUN_EVENTS(id_type) \
	"CREATE TABLE run_events (" \
	" id " id_type "," \
	" project TEXT NOT NULL," \
	" run_id TEXT NOT NULL," \
	" name TEXT NOT NULL," \
	" data TEXT NOT NULL," \
	" final INTEGER NOT NULL," \
	" at BIGINT NOT NULL);" \
	"CREATE INDEX run_events_run ON run_events (run_id, id);" \
	"CREATE INDEX run_events_final ON run_events (at) WHERE final = 1;" \
	"CREATE INDEX run_events_at ON run_events (at);"

#endif
