/* sqlite_pool.c - the SQLite store's connections: the pool, read snapshots, write
 * transactions, and the statement helpers the other sqlite*.c files use.
 *
 * A SQLite connection must not be used by two threads at once, so each call borrows one from
 * a pool that grows on demand up to SQ_MAX_CONN (callers past that wait). Each connection
 * caches its prepared statements.
 *
 * Reads reuse snapshots while nothing is being written. Starting and ending a read
 * transaction in WAL mode costs two fcntl() lock calls, about half the cost of a one-row
 * read. So when this process has committed no write for SQ_SNAP_MS, a connection keeps its
 * read transaction open when it goes back to the pool, and the next reader reuses it as long
 * as still no write has committed since it began (store.gen) and it is younger than
 * SQ_SNAP_MS. A write here means a commit that changed a row (sqlite3_total_changes64; DDL
 * runs only in the migrations, before any read): the periodic sweeps of background threads
 * that find nothing to change commit no page, and ending every snapshot for them would make
 * a busy reader pay for a fresh one for SQ_SNAP_MS after each. A reader therefore always
 * sees every write this process has committed, and another process's writes (the `assistd
 * keys` command's) within SQ_SNAP_MS.
 *
 * Snapshots are reused only while this process is alone on the store: servers sharing a data
 * directory behind a balancer must each see what a client just wrote through another (a
 * thread created on one node, then read on the next). Every store handle holds a read lock
 * on DIR/assistd.nodes (an open file description lock, F_OFD_SETLK: its own, so closing
 * another handle of the same process leaves it); each time a connection begins a snapshot,
 * one F_OFD_GETLK asks whether any other handle holds one, and while one does, every read
 * takes a fresh snapshot. A process that starts sharing the
 * store is noticed within SQ_SNAP_MS, before which it serves no client yet. Snapshots are
 * kept only in quiet periods because an open read transaction holds back WAL checkpoints and
 * keeps the WAL from restarting at its start: with readers always holding one while writes
 * stream in, the WAL would grow without bound. So a write ends every idle snapshot, and
 * readers end theirs until writes pause (see release, sqlite_read_done).
 *
 * Small writes that come every few hundred milliseconds whatever the traffic (the limit
 * counts, every --limit-sync-ms) are not a stream: they end the snapshots from before them,
 * as every write does, but not the quiet period, or a node with limits would never keep a
 * snapshot and every read would pay for its own. Readers then always hold a snapshot when
 * SQLite checkpoints at a commit, and the WAL could never be copied back completely and
 * restarted; so every SQ_CKPT_EVERY-th such write, once its commit has ended the idle
 * snapshots, checkpoints the WAL itself, and the next write starts it over.
 *
 * Writes are serialised by store.write_mu and use BEGIN IMMEDIATE, so a writer waits on the
 * busy timeout for another process's writer instead of failing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "sqlite_int.h"

#define SQ_MAX_CONN 16
#define SQ_BUSY_MS 5000

int sqlite_fail(sqlite3 *db, const char *what)
{
	log_error("store: %s: %s", what, sqlite3_errmsg(db));
	return ERR_DB;
}

static void conn_close(struct sqlite_conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < SQ_SLOT_COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	sqlite3_close(c->db); /* rolls back an open read transaction */
	free(c);
}

/* By default SQLite gives each connection, at its first read, a bulk allocation of page cache
 * (20 pages, about 90 KB) and writes a header into every page of it: resident memory for each
 * connection whether or not it ever holds that many pages (an idle server has several). Without
 * it, each page is allocated when first read. Process-wide, so before SQLite initialises: a
 * later call (another store in the same process) is refused by SQLite and changes nothing. */
static void config_once(void)
{
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

static pthread_once_t config = PTHREAD_ONCE_INIT;

/* Opens one connection with the per-connection settings. Each connection is used by one
 * thread at a time, so it needs no SQLite mutex of its own (SQLITE_OPEN_NOMUTEX). The WAL is
 * cut back to 64 MB after a checkpoint, so that a burst of writes does not keep it huge. */
static int conn_open(const char *path, struct sqlite_conn **out)
{
	static const char pragmas[] = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; "
				      "PRAGMA journal_size_limit = 67108864;";
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	struct sqlite_conn *c = xcalloc(1, sizeof(*c));
	int err = 0;

	*out = NULL;
	pthread_once(&config, config_once);
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
		log_error("store: cannot open %s: %s", path, sqlite3_errmsg(c->db));
		err = ERR_DB;
		goto out;
	}
	sqlite3_busy_timeout(c->db, SQ_BUSY_MS);
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		err = sqlite_fail(c->db, "pragmas");
		goto out;
	}
	err = sqlite_rank_register(c);
	if (err)
		goto out;
	*out = c;
	c = NULL;
out:
	conn_close(c);
	return err;
}

/* Runs a statement whose outcome the caller checks another way; failures are logged. */
static void run_quiet(struct sqlite_conn *c, enum sqlite_slot slot, const char *sql)
{
	sqlite3_stmt *s;
	int err = sqlite_prep(c, slot, sql, &s, sql, "");

	if (!err)
		err = sqlite_run(c->db, s, sql);
	(void)err;
}

/* Ends c's open transaction, if any, by rolling it back: for a read snapshot that is the same
 * as a commit, and a write transaction still open here is one that must not commit. Returns
 * false when c is still inside a transaction afterwards and cannot be reused. */
static bool txn_end(struct sqlite_conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		run_quiet(c, SQ_ROLLBACK, "ROLLBACK");
	if (!sqlite3_get_autocommit(c->db))
		return false;
	c->snap = false;
	return true;
}

/* Counts out a connection that was closed or never opened, so a waiting caller may open one. */
static void conn_forget(struct sqlite_store *st)
{
	pthread_mutex_lock(&st->mu);
	st->nconn--;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

/* Closes a connection that cannot be reused instead of returning it to the pool. */
static void discard(struct sqlite_store *st, struct sqlite_conn *c)
{
	log_error("store: closing a connection stuck in a transaction");
	conn_close(c);
	conn_forget(st);
}

int sqlite_acquire(struct sqlite_store *st, struct sqlite_conn **out)
{
	struct sqlite_conn *c;
	int err;

	pthread_mutex_lock(&st->mu);
	while (!st->idle && st->nconn >= SQ_MAX_CONN)
		pthread_cond_wait(&st->cv, &st->mu);
	c = st->idle;
	if (c)
		st->idle = c->next;
	else
		st->nconn++;
	pthread_mutex_unlock(&st->mu);
	*out = c;
	if (c)
		return 0;
	/* Open outside the lock: it touches the file system. */
	err = conn_open(st->path, out);
	if (err)
		conn_forget(st);
	return err;
}

/* Ends the snapshots of idle connections begun before `before` (clock_ms). Called with st->mu
 * held; idle connections belong to the pool, so using them here is safe. */
static void end_snapshots(struct sqlite_store *st, int64_t before)
{
	for (struct sqlite_conn *c = st->idle; c; c = c->next) {
		if (c->snap && c->snap_ms < before)
			(void)txn_end(c); /* on failure, the next user discards it */
	}
}

/* Returns c to the pool. After a write, every idle snapshot is stale: end them all, or they
 * would keep the WAL from being checkpointed and restarted, and it would grow. Otherwise end,
 * now and then, the ones that reached SQ_SNAP_MS. */
static void release(struct sqlite_store *st, struct sqlite_conn *c, bool wrote)
{
	int64_t now = clock_ms();

	pthread_mutex_lock(&st->mu);
	c->next = st->idle;
	st->idle = c;
	if (wrote || now - st->swept_ms >= SQ_SNAP_MS) {
		st->swept_ms = now;
		end_snapshots(st, wrote ? INT64_MAX : now - SQ_SNAP_MS + 1);
	}
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

void sqlite_release(struct sqlite_store *st, struct sqlite_conn *c)
{
	release(st, c, false);
}

void sqlite_pool_close(struct sqlite_store *st)
{
	if (st->peers_fd >= 0)
		close(st->peers_fd); /* and its lock */
	st->peers_fd = -1;
	struct sqlite_conn *next;

	for (struct sqlite_conn *c = st->idle; c; c = next) {
		next = c->next;
		conn_close(c);
	}
	st->idle = NULL;
	st->nconn = 0;
}

/* Ends whatever transaction *c is in (a stale snapshot). When that fails, *c is discarded
 * and set to NULL. Errors: ERR_DB. */
static int clean(struct sqlite_store *st, struct sqlite_conn **c)
{
	if (txn_end(*c))
		return 0;
	discard(st, *c);
	*c = NULL;
	return ERR_DB;
}

void sqlite_peers_open(struct sqlite_store *st, const char *dir)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	char *path = xasprintf("%s/" SQ_PEERS_FILE, dir);

	st->peers_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->peers_fd < 0 || fcntl(st->peers_fd, F_OFD_SETLK, &fl) != 0) {
		log_warn("store: %s could not be locked (%s): every read takes a fresh snapshot",
			 path, strerror(errno));
		atomic_store(&st->shared, true);
	}
	free(path);
}

/* Whether another handle holds a lock on DIR/assistd.nodes: it uses the store too. */
static bool peers_seen(const struct sqlite_store *st)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	if (st->peers_fd < 0 || fcntl(st->peers_fd, F_OFD_GETLK, &fl) != 0)
		return true;
	return fl.l_type != F_UNLCK;
}

static bool snap_fresh(const struct sqlite_store *st, const struct sqlite_conn *c,
		       uint64_t gen, int64_t now)
{
	return c->snap && c->snap_gen == gen && now - c->snap_ms < SQ_SNAP_MS &&
	       !atomic_load_explicit(&st->shared, memory_order_relaxed);
}

/* Opens a read transaction on c; its snapshot is taken by the first statement. */
static int snap_begin(struct sqlite_conn *c, uint64_t gen, int64_t now)
{
	sqlite3_stmt *s;
	int err;

	err = sqlite_prep(c, SQ_BEGIN_READ, "BEGIN", &s, "begin read", "");
	if (!err)
		err = sqlite_run(c->db, s, "begin read");
	if (err)
		return err;
	c->snap = true;
	c->snap_gen = gen;
	c->snap_ms = now;
	return 0;
}

/* sqlite_read and sqlite_read_fresh: fresh forces a new snapshot even when a reused one would
 * do. */
static int read_begin(struct sqlite_store *st, struct sqlite_conn **out, bool fresh)
{
	/* Read the generation before the snapshot is taken: a write that commits in between
	 * only makes the snapshot look older than it is. */
	uint64_t gen = atomic_load_explicit(&st->gen, memory_order_acquire);
	int64_t now = clock_ms();
	struct sqlite_conn *c = NULL;
	int err;

	*out = NULL;
	err = sqlite_acquire(st, &c);
	if (err)
		return err;
	if (fresh || !snap_fresh(st, c, gen, now)) {
		atomic_store_explicit(&st->shared, peers_seen(st), memory_order_relaxed);
		err = clean(st, &c);
		if (!err)
			err = snap_begin(c, gen, now);
	}
	if (!err)
		*out = c;
	else if (c)
		sqlite_release(st, c);
	return err;
}

int sqlite_read(struct sqlite_store *st, struct sqlite_conn **out)
{
	return read_begin(st, out, false);
}

int sqlite_read_fresh(struct sqlite_store *st, struct sqlite_conn **out)
{
	return read_begin(st, out, true);
}

/* Whether a snapshot may stay open for the next reader: it is current, and no write has
 * committed for SQ_SNAP_MS (see the top of the file). */
static bool snap_keep(struct sqlite_store *st, const struct sqlite_conn *c)
{
	uint64_t gen = atomic_load_explicit(&st->gen, memory_order_acquire);
	int64_t write_ms = atomic_load_explicit(&st->write_ms, memory_order_relaxed);

	return c->snap_gen == gen && clock_ms() - write_ms >= SQ_SNAP_MS &&
	       !atomic_load_explicit(&st->shared, memory_order_relaxed);
}

void sqlite_read_done(struct sqlite_store *st, struct sqlite_conn *c, int err)
{
	if ((err == ERR_DB || !snap_keep(st, c)) && !txn_end(c)) {
		discard(st, c);
		return;
	}
	sqlite_release(st, c);
}

int sqlite_begin(struct sqlite_store *st, struct sqlite_conn **out)
{
	sqlite3_stmt *s;
	int err;

	*out = NULL;
	pthread_mutex_lock(&st->write_mu);
	err = sqlite_acquire(st, out);
	if (!err)
		err = clean(st, out);
	if (!err)
		err = sqlite_prep(*out, SQ_BEGIN, "BEGIN IMMEDIATE", &s, "begin", "");
	if (!err)
		err = sqlite_run((*out)->db, s, "begin");
	if (!err) {
		(*out)->changes = sqlite3_total_changes64((*out)->db);
		return 0;
	}
	if (*out)
		sqlite_release(st, *out);
	*out = NULL;
	pthread_mutex_unlock(&st->write_mu);
	return err;
}

/* Commits c's write when *err is 0 (a failure goes to *err) and ends its transaction; sets
 * *changed when the commit changed a row. A periodic write does not end the quiet period
 * (see sqlite_end_periodic). Returns false when c is still inside a transaction and must be
 * discarded. */
static bool write_end(struct sqlite_store *st, struct sqlite_conn *c, int *err, bool periodic,
		      bool *changed)
{
	sqlite3_stmt *s = NULL;

	if (!*err)
		*err = sqlite_prep(c, SQ_COMMIT, "COMMIT", &s, "commit", "");
	if (!*err)
		*err = sqlite_run(c->db, s, "commit");
	*changed = !*err && sqlite3_total_changes64(c->db) != c->changes;
	/* Readers must not reuse snapshots from before this write. A commit that changed no
	 * row (a periodic sweep that found nothing) leaves them current: keep them. */
	if (*changed) {
		if (!periodic)
			atomic_store_explicit(&st->write_ms, clock_ms(), memory_order_relaxed);
		atomic_fetch_add_explicit(&st->gen, 1, memory_order_release);
	}
	/* A failed op or COMMIT leaves the transaction open: roll it back. */
	return txn_end(c);
}

int sqlite_end(struct sqlite_store *st, struct sqlite_conn *c, int err)
{
	bool changed;

	if (write_end(st, c, &err, false, &changed))
		release(st, c, changed);
	else
		discard(st, c);
	pthread_mutex_unlock(&st->write_mu);
	return err;
}

/* Ends every idle snapshot, then checkpoints the WAL on c (outside any transaction): a
 * passive checkpoint, which waits for no one and copies back only what no reader still
 * uses. A reader that began before the commit holds its frames for the microseconds its read
 * lasts, so an incomplete checkpoint is tried again, SQ_CKPT_TRIES times a millisecond apart.
 * Then the snapshots begun meanwhile, which still use the WAL, are made stale: the ones
 * readers take instead need none of it, and the next write can start the WAL over. */
static void checkpoint(struct sqlite_store *st, struct sqlite_conn *c)
{
	const struct timespec pause = { .tv_nsec = 1000000 };
	int frames = 1;
	int copied = 0;

	pthread_mutex_lock(&st->mu);
	end_snapshots(st, INT64_MAX);
	pthread_mutex_unlock(&st->mu);
	for (int i = 0; i < SQ_CKPT_TRIES && copied < frames; i++) {
		if (i > 0)
			nanosleep(&pause, NULL);
		if (sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
					      &copied) != SQLITE_OK) {
			log_debug("store: checkpoint: %s", sqlite3_errmsg(c->db));
			break;
		}
	}
	atomic_fetch_add_explicit(&st->gen, 1, memory_order_release);
}

/* Counts a periodic write; true for every SQ_CKPT_EVERY-th. */
static bool checkpoint_due(struct sqlite_store *st)
{
	uint64_t n = atomic_fetch_add_explicit(&st->periodic, 1, memory_order_relaxed) + 1;

	return n % SQ_CKPT_EVERY == 0;
}

int sqlite_end_periodic(struct sqlite_store *st, struct sqlite_conn *c, int err)
{
	bool changed;
	bool ended = write_end(st, c, &err, true, &changed);

	pthread_mutex_unlock(&st->write_mu);
	if (!ended) {
		discard(st, c);
		return err;
	}
	if (changed && checkpoint_due(st))
		checkpoint(st, c);
	release(st, c, changed);
	return err;
}

static int bind_va(sqlite3_stmt *s, const char *types, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		if (types[i] == 'i') {
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		} else if (types[i] == 'd') {
			rc = sqlite3_bind_double(s, i + 1, va_arg(ap, double));
		} else {
			const char *v = va_arg(ap, const char *);

			rc = v ? sqlite3_bind_text(s, i + 1, v, -1, SQLITE_STATIC)
			       : sqlite3_bind_null(s, i + 1);
		}
	}
	return rc;
}

int sqlite_bind(sqlite3_stmt *s, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = bind_va(s, types, ap);
	va_end(ap);
	return rc;
}

int sqlite_prep(struct sqlite_conn *c, enum sqlite_slot slot, const char *sql,
		sqlite3_stmt **out, const char *what, const char *types, ...)
{
	va_list ap;
	int rc;

	*out = NULL;
	if (!c->stmts[slot] && sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						   &c->stmts[slot], NULL) != SQLITE_OK)
		return sqlite_fail(c->db, what);
	va_start(ap, types);
	rc = bind_va(c->stmts[slot], types, ap);
	va_end(ap);
	if (rc != SQLITE_OK)
		return sqlite_fail(c->db, what);
	*out = c->stmts[slot];
	return 0;
}

int sqlite_query(sqlite3 *db, const char *sql, sqlite3_stmt **out, const char *what,
		 const char *types, ...)
{
	va_list ap;
	int rc;

	*out = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK)
		return sqlite_fail(db, what);
	va_start(ap, types);
	rc = bind_va(*out, types, ap);
	va_end(ap);
	if (rc == SQLITE_OK)
		return 0;
	rc = sqlite_fail(db, what);
	sqlite3_finalize(*out);
	*out = NULL;
	return rc;
}

int sqlite_exec(sqlite3 *db, const char *sql, const char *what, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int err = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return sqlite_fail(db, what);
	va_start(ap, types);
	if (bind_va(s, types, ap) != SQLITE_OK)
		err = sqlite_fail(db, what);
	va_end(ap);
	if (!err)
		err = sqlite_run(db, s, what);
	sqlite3_finalize(s);
	return err;
}

int sqlite_step(sqlite3 *db, sqlite3_stmt *s, const char *what, bool *row)
{
	int rc = sqlite3_step(s);
	int err;

	*row = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		log_warn("store: %s: %s", what, sqlite3_errmsg(db));
		err = ERR_CONFLICT;
	} else {
		err = sqlite_fail(db, what);
	}
	sqlite3_reset(s);
	return err;
}

int sqlite_run(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	bool row;
	int err = sqlite_step(db, s, what, &row);

	sqlite3_reset(s);
	return err;
}

char *sqlite_col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	if (!t)
		return xstrdup("");
	return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
}
