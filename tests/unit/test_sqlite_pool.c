/* test_sqlite_pool.c - unit tests of the SQLite store's connection pool (suite "sqlite_pool"):
 * when read snapshots are kept for the next reader and when they end (sqlite_pool.c).
 *
 * White-box: the cases look at the pool's connections and its write generation through
 * sqlite_int.h, because what they check (a reader reusing a snapshot instead of starting one)
 * answers the same through store.h either way. */
#include <stdatomic.h>
#include <stdint.h>

#include "../../src/store/sqlite_int.h"
#include "../../src/store/store.h"
#include "suites.h"
#include "t_store.h"

/* Two readers at once, so that two connections go back to the pool, each keeping its
 * snapshot (no write yet). */
static void read_twice(struct sqlite_store *st, struct sqlite_conn **a, struct sqlite_conn **b)
{
	ASSERT_OK(sqlite_read(st, a));
	ASSERT_OK(sqlite_read(st, b));
	ASSERT(*a != *b);
	sqlite_read_done(st, *a, 0);
	sqlite_read_done(st, *b, 0);
	ASSERT((*a)->snap && (*b)->snap);
}

/* A write transaction that changes no row (the ingestion workers' sweep for expired vector
 * stores, every second) leaves the other idle snapshots open and the generation as it was;
 * one that changes a row ends them all, so the next reader sees it. */
static void commit_without_changes_keeps_snapshots(void)
{
	struct store_obj thread = { .kind = STORE_THREAD, .id = "t1", .created_at = 1,
				    .body = "{}" };
	struct sqlite_conn *a, *b;
	struct sqlite_store *st;
	struct tstore t;
	uint64_t gen;

	tstore_open(&t);
	st = sqlite_of(t.st);
	read_twice(st, &a, &b);
	gen = atomic_load(&st->gen);
	/* The writer borrows the connection given back last (b): its snapshot ends. */
	ASSERT_OK(store_vs_expire(t.st, 0));
	ASSERT_EQ_INT(atomic_load(&st->gen), gen);
	ASSERT(a->snap);
	ASSERT_OK(store_put(t.st, "p", &thread, -1));
	ASSERT(atomic_load(&st->gen) != gen);
	ASSERT(!a->snap && !b->snap);
	tstore_close(&t);
}

const struct t_case sqlite_pool_tests[] = {
	T_CASE(commit_without_changes_keeps_snapshots),
	{ NULL, NULL },
};
