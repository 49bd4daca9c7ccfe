/* sqlite_int.h - what the files of the SQLite store share: the connection pool, the
 * per-connection statement cache and a few step/bind helpers (sqlite_pool.c).
 *
 * Private to src/store/sqlite*.c, the only files that may include <sqlite3.h>. Nothing outside
 * src/store includes this header; the rest of the server sees only store.h. */
#ifndef ASSISTD_SQLITE_INT_H
#define ASSISTD_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Variant flags of the list query; slot SQ_LIST + flags caches that variant. */
enum {
	SQ_LIST_RUN = 1,  /* filter by run_id */
	SQ_LIST_GT = 2,   /* lower bound on (created_at, seq) */
	SQ_LIST_LT = 4,   /* upper bound on (created_at, seq) */
	SQ_LIST_DESC = 8, /* walk newest first */
	SQ_LIST_TAG = 16, /* filter by tag */
	SQ_LIST_VARIANTS = 32
};

/* Slots of the per-connection statement cache. A slot always holds the same SQL text. */
enum sqlite_slot {
	SQ_BEGIN,
	SQ_BEGIN_READ,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_GET,
	SQ_CURSOR,
	SQ_PEEK,
	SQ_INSERT,
	SQ_UPDATE,
	SQ_DEL_SELF,
	SQ_DEL_CHILDREN,
	SQ_DEL_GRAND,
	SQ_EXISTS,
	SQ_IDLE,
	SQ_ID_EXISTS,
	SQ_EXPIRED,
	SQ_KEY_INSERT,
	SQ_KEY_PROJECT,
	SQ_KEY_EVER,
	SQ_KEY_LIST,
	SQ_KEY_REVOKE,
	SQ_LIST,
	SQ_SLOT_COUNT = SQ_LIST + SQ_LIST_VARIANTS
};

/* One database connection. Used by one thread at a time: whoever took it from the pool, or
 * the pool itself (under store.mu) while it is idle. */
struct sqlite_conn {
	sqlite3 *db;
	sqlite3_stmt *stmts[SQ_SLOT_COUNT]; /* prepared on first use, kept until close */
	struct sqlite_conn *next;           /* next idle connection; guarded by store.mu */
	bool snap;                          /* a read transaction is open (see sqlite_read) */
	uint64_t snap_gen;                  /* store.gen when it began */
	int64_t snap_ms;                    /* clock_ms() when it began */
};

/* How old a reused read snapshot (or a remembered answer) may get: the longest another
 * process's write can stay unseen. */
#define SQ_SNAP_MS 100

struct store {
	char *path;               /* owned: <dir>/assistd.db */
	pthread_mutex_t mu;       /* guards idle, nconn and swept_ms */
	pthread_cond_t cv;        /* signalled when a connection goes back to idle */
	struct sqlite_conn *idle; /* connections nobody is using */
	int nconn;                /* connections open, idle or not */
	int64_t swept_ms;         /* when idle connections' old snapshots were last closed */
	pthread_mutex_t write_mu; /* serialises this process's write transactions */
	atomic_uint_fast64_t gen; /* bumped after each write this process commits */
	atomic_int_fast64_t write_ms; /* clock_ms() of the last such write */
	/* store_key_ever's answer, asked on every request. A yes is kept for good (it cannot
	 * turn back); a no is reused while no write of this process has happened since and it
	 * is under SQ_SNAP_MS old, the staleness reads already allow for other processes'
	 * writes (the keys CLI). */
	atomic_bool keys_ever;
	atomic_uint_fast64_t keys_gen;      /* gen when keys_ever was read */
	atomic_int_fast64_t keys_read_ms;   /* clock_ms() when it was read; 0: never */
};

/* Takes a connection from the pool as it is (see sqlite_read for reads), opening one if all
 * are busy and the pool may grow, else waiting; sqlite_release gives it back. For store_open.
 * Errors: ERR_DB. */
int sqlite_acquire(struct store *st, struct sqlite_conn **out) MUST_CHECK;
void sqlite_release(struct store *st, struct sqlite_conn *c);
/* Closes every connection; all must be back in the pool. */
void sqlite_pool_close(struct store *st);

/* Reads: sqlite_read takes a connection whose read transaction (snapshot) sees every write
 * this process has committed, and writes of other processes up to SQ_SNAP_MS old;
 * sqlite_read_done gives it back, keeping the snapshot for the next reader while no writes
 * are happening (see sqlite_pool.c). Errors: ERR_DB. */
int sqlite_read(struct store *st, struct sqlite_conn **out) MUST_CHECK;
void sqlite_read_done(struct store *st, struct sqlite_conn *c, int err);

/* Sets *out to the statement cached in slot (preparing sql on first use; sql may be NULL once
 * the slot is filled) with parameters 1.. bound from the arguments that follow, one per
 * character of types: 's' const char * (NULL binds NULL), 'i' int64_t. Strings are bound
 * without copying: they must outlive the use. The statement is borrowed from c; whoever steps
 * it resets it before giving c back, so every cached statement is idle between calls.
 * Errors: ERR_DB (logged with what). */
int sqlite_prep(struct sqlite_conn *c, enum sqlite_slot slot, const char *sql,
		sqlite3_stmt **out, const char *what, const char *types, ...) MUST_CHECK;
/* Binds parameters 1.. as sqlite_prep does; returns a SQLite result code. */
int sqlite_bind(sqlite3_stmt *s, const char *types, ...);
/* Steps s once. *row tells whether a row is ready. A failure resets s and returns ERR_DB
 * (logged with what), or ERR_CONFLICT for a constraint violation. */
int sqlite_step(sqlite3 *db, sqlite3_stmt *s, const char *what, bool *row) MUST_CHECK;
/* Steps a statement that returns no rows, then resets it. Errors as sqlite_step. */
int sqlite_run(sqlite3 *db, sqlite3_stmt *s, const char *what) MUST_CHECK;
/* Logs "store: what: <SQLite's message>" and returns ERR_DB. */
int sqlite_fail(sqlite3 *db, const char *what);
/* Returns an owned copy of text column i ("" for NULL). */
char *sqlite_col_dup(sqlite3_stmt *s, int i);

/* Write transactions: sqlite_begin takes the process's write lock and a connection and runs
 * BEGIN IMMEDIATE; sqlite_end commits when err is 0 (else rolls back), gives both back and
 * returns err or the commit's error. */
int sqlite_begin(struct store *st, struct sqlite_conn **out) MUST_CHECK;
int sqlite_end(struct store *st, struct sqlite_conn *c, int err) MUST_CHECK;

/* The name kind is stored under in objects.kind. */
const char *sqlite_kind(enum store_kind kind);

/* Brings the schema of db up to date (sqlite_migrate.c). Errors: ERR_DB. */
int sqlite_migrate(sqlite3 *db) MUST_CHECK;

#endif
