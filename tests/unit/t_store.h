/* t_store.h - opening a store for a test, on either backend (t_store.c): SQLite in a fresh
 * directory under /tmp, or, in the suites that end in "_pg", a fresh database of the
 * throwaway PostgreSQL cluster whose socket directory scripts/test.sh puts in ASSISTD_TEST_PG
 * (scripts/pg.sh). Test files write their cases once and list them in both kinds of suite
 * with T_PG_WRAP. */
#ifndef ASSISTD_T_STORE_H
#define ASSISTD_T_STORE_H

#include <stdbool.h>

#include "../../src/store/store.h"

/* Set by a "_pg" case before it runs (each case runs in a child process of its own). */
extern bool t_on_pg;

/* A store in a temporary directory, and on PostgreSQL its database. */
struct tstore {
	char root[64]; /* the mkdtemp directory, removed by tstore_close */
	char *dir;     /* where the store lives: root/data */
	char db[64];   /* on PostgreSQL: the test's database, dropped by tstore_close */
	char *url;     /* on PostgreSQL: its URL; NULL: SQLite in dir */
	struct store *st;
};

/* Runs scripts/pg.sh VERB on the cluster of ASSISTD_TEST_PG for database db. */
void t_pg_sh(const char *verb, const char *db);
/* Opens t->st on a new empty store. */
void tstore_open(struct tstore *t);
/* Points t at a new empty store (on SQLite: nothing to do); for tests that reopen. */
void tstore_fresh(struct tstore *t);
/* Opens another handle on t's store, as another process or node would. */
int tstore_reopen(const struct tstore *t, struct store **st);
/* Closes t->st and removes the store. */
void tstore_close(struct tstore *t);

/* Defines pg_<fn>: fn run on PostgreSQL, or skipped with a note without a cluster. */
#define T_PG_WRAP(fn)                                                                      \
	static void pg_##fn(void)                                                          \
	{                                                                                  \
		if (!getenv("ASSISTD_TEST_PG")) {                                          \
			fprintf(stderr, "    skipped: no ASSISTD_TEST_PG (scripts/test.sh)\n"); \
			return;                                                            \
		}                                                                          \
		t_on_pg = true;                                                            \
		fn();                                                                      \
	}
#define T_PG_ENTRY(fn) { "pg_" #fn, pg_##fn },
#define T_ENTRY(fn) T_CASE(fn),

#endif
