/* pg_migrate.c - the PostgreSQL store's schema and the numbered migrations that build it.
 *
 * The version reached is the one row of schema_version (none yet: 0). Each migration runs in
 * its own transaction together with the version bump, under a transaction-scoped advisory
 * lock, and re-reads the version inside it, so nodes starting at once on a new database apply
 * each step exactly once (PostgreSQL's DDL is transactional: a failed step leaves nothing).
 * The first migrations are the SQL both backends share (schema.h); the rest are PostgreSQL's
 * own. Migrations are only ever appended: never edit one that has shipped. */
#include <stdio.h>

#include "../base/log.h"
#include "pg_vs_int.h"
#include "schema.h"

/* The key of the advisory lock migrations hold: any number, fixed for good. */
#define PG_MIGRATE_LOCK "7461636973"

/* migrations[i] brings the schema from version i to version i + 1. */
static const char *const migrations[] = {
	/* 1, 2: objects, API keys, files and expiry (shared with SQLite). */
	SCHEMA_1,
	SCHEMA_2,
	/* 3: ordering under concurrent writers. Top-level objects take seq from the sequence
	 * objects_order. A child (message, run, step, batch) takes it from its parent's child_seq,
	 * which the insert increments in its own transaction: that row lock orders the children
	 * of one parent by commit, so a thread's messages keep the order their writers
	 * committed in whatever the number of nodes, and it is what makes the parent check and a
	 * concurrent delete of the parent serialise (pg_write.c). */
	"CREATE SEQUENCE objects_order;"
	"ALTER TABLE objects ADD COLUMN child_seq BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE objects ADD CONSTRAINT objects_version CHECK (version > 0);",
	/* 4: run leases and commands (schema.h, shared with SQLite). */
	SCHEMA_LEASES,
	/* 5: the run event log (schema.h; pg_events.c), without SQLite's notify table: topics
	 * are NOTIFYs (pg_notify.c). Ids come from a sequence; one run's events are appended
	 * by one writer thread of the node driving it, so they commit in id order. */
	SCHEMA_RUN_EVENTS("BIGSERIAL PRIMARY KEY"),
	/* 6: limits per API key or project and their counters (shared with SQLite). */
	SCHEMA_LIMITS,
	/* 7: vector store files, chunks and the keyword index (pg_vs_schema.c). */
	pg_vs_schema,
	/* 8: what a run was created with, for the node that resumes it (schema.h). */
	SCHEMA_RUN_ORIGIN,
};

#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int version_get(struct pg_conn *c, int *version)
{
	PGresult *res;
	int err = pg_query(c, "SELECT version FROM schema_version", "schema version", NULL, &res);

	if (err)
		return err;
	*version = PQntuples(res) ? (int)pg_col_i(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

/* Applies migration number to (1-based) unless another node already did. */
static int migrate_step(struct pg_conn *c, void *ctx)
{
	int to = *(const int *)ctx;
	char bump[96];
	int version = 0;
	int err;

	err = pg_exec(c, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", "migrate: lock");
	if (!err)
		err = pg_exec(c, "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)",
			      "schema version");
	if (!err)
		err = version_get(c, &version);
	if (err || version >= to)
		return err;
	log_info("store: migrating the PostgreSQL schema to version %d", to);
	snprintf(bump, sizeof(bump), "DELETE FROM schema_version; "
				     "INSERT INTO schema_version VALUES (%d)", to);
	err = pg_exec(c, migrations[to - 1], "migrate");
	if (!err)
		err = pg_exec(c, bump, "migrate: version");
	return err;
}

/* Fails when the database was migrated by a newer assistd than this one. */
static int check_newer(struct pg_conn *c, void *ctx)
{
	int version = 0;
	int err = version_get(c, &version);

	if (!err && version > MIGRATION_COUNT) {
		log_error("store: the database has schema version %d; this assistd knows up to %d",
			  version, MIGRATION_COUNT);
		err = ERR_DB;
	}
	return err;
}

int pg_migrate(struct pg_store *st)
{
	int err = 0;

	for (int to = 1; to <= MIGRATION_COUNT && !err; to++)
		err = pg_tx(st, migrate_step, &to);
	if (!err)
		err = pg_with(st, check_newer, NULL);
	return err;
}
