/* sqlite.c - the SQLite store: opening the database, the connection pool, the statement
 * cache and store_get.
 *
 * The database is <dir>/assistd.db in WAL mode with synchronous=NORMAL: a committed write
 * survives the process being killed (not necessarily a power cut). Each thread that calls in
 * borrows a connection of its own from a small pool, and each connection keeps its prepared
 * statements, so a call costs one bind/step/reset. Writes are serialised inside the process
 * and use BEGIN IMMEDIATE, so they wait on the busy timeout instead of failing when another
 * process (the `assistd keys` command) writes too. Writes, lists and keys live in
 * sqlite_write.c, sqlite_list.c and sqlite_keys.c; the schema in sqlite_migrate.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "sqlite_int.h"

#define SQ_FILE "assistd.db"
#define SQ_MAX_CONN 16
#define SQ_BUSY_MS 5000

/* objects.kind values, indexed by enum store_kind. Stored in the database: never rename. */
static const char *const kind_names[STORE_KIND_COUNT] = {
	[STORE_ASSISTANT] = "assistant",
	[STORE_THREAD] = "thread",
	[STORE_MESSAGE] = "message",
	[STORE_RUN] = "run",
	[STORE_STEP] = "step",
};

const char *sqlite_kind(enum store_kind kind)
{
	if ((unsigned)kind >= STORE_KIND_COUNT)
		return "invalid";
	return kind_names[kind];
}

int sqlite_fail(sqlite3 *db, const char *what)
{
	log_error("store: %s: %s", what, sqlite3_errmsg(db));
	return ERR_DB;
}

/* Creates one directory of the path; an existing one is fine. */
static int mkdir_one(const char *path)
{
	struct stat sb;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	log_error("store: cannot create directory %s: %s", path, strerror(errno));
	return ERR_DB;
}

/* mkdir -p dir, each new directory with mode 0700. */
static int mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	int err = 0;

	for (char *s = p + 1; !err; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		err = mkdir_one(p);
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return err;
}

static void conn_close(struct sqlite_conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < SQ_SLOT_COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	sqlite3_close(c->db);
	free(c);
}

/* Opens one connection with the per-connection settings. Each connection is used by one
 * thread at a time, so it needs no SQLite mutex of its own (SQLITE_OPEN_NOMUTEX). */
static int conn_open(const char *path, struct sqlite_conn **out)
{
	/* The WAL is cut back to 64 MB after a checkpoint, so a burst does not keep it huge. */
	static const char pragmas[] = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; "
				      "PRAGMA journal_size_limit = 67108864;";
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	struct sqlite_conn *c = xcalloc(1, sizeof(*c));
	int err = 0;

	*out = NULL;
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
	*out = c;
	c = NULL;
out:
	conn_close(c);
	return err;
}

/* Runs sql, "PRAGMA journal_mode" or "PRAGMA journal_mode = WAL", and sets *wal to whether
 * the database is now in WAL mode. Returns a SQLite result code. */
static int journal_mode(sqlite3 *db, const char *sql, bool *wal)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	int rc;

	*wal = false;
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		mode = (const char *)sqlite3_column_text(s, 0);
		*wal = mode && strcmp(mode, "wal") == 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Switches the database to WAL. The mode is stored in the file, so this happens once per
 * file. Processes that open a new file at the same moment race for the switch, and the loser
 * gets SQLITE_BUSY without the busy timeout applying, so it retries for a while. */
static int wal_on(sqlite3 *db)
{
	bool wal = false;
	int rc = journal_mode(db, "PRAGMA journal_mode", &wal);

	for (int i = 0; rc == SQLITE_OK && !wal && i < SQ_BUSY_MS / 10; i++) {
		rc = journal_mode(db, "PRAGMA journal_mode = WAL", &wal);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			sqlite3_sleep(10);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_OK && !wal) {
			break;
		}
	}
	if (rc != SQLITE_OK)
		return sqlite_fail(db, "journal_mode");
	if (!wal) {
		log_error("store: the database could not switch to WAL mode");
		return ERR_DB;
	}
	return 0;
}

/* Counts out a connection that was closed or never opened, so a waiting caller may open one. */
static void conn_forget(struct store *st)
{
	pthread_mutex_lock(&st->mu);
	st->nconn--;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

int sqlite_acquire(struct store *st, struct sqlite_conn **out)
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

void sqlite_release(struct store *st, struct sqlite_conn *c)
{
	pthread_mutex_lock(&st->mu);
	c->next = st->idle;
	st->idle = c;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static int bind_va(sqlite3_stmt *s, const char *types, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		if (types[i] == 'i') {
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
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

int sqlite_begin(struct store *st, struct sqlite_conn **out)
{
	sqlite3_stmt *s;
	int err;

	pthread_mutex_lock(&st->write_mu);
	err = sqlite_acquire(st, out);
	if (!err)
		err = sqlite_prep(*out, SQ_BEGIN, "BEGIN IMMEDIATE", &s, "begin", "");
	if (!err)
		err = sqlite_run((*out)->db, s, "begin");
	if (!err)
		return 0;
	if (*out)
		sqlite_release(st, *out);
	*out = NULL;
	pthread_mutex_unlock(&st->write_mu);
	return err;
}

/* Rolls back the open transaction of c. Returns false if c is still inside one afterwards. */
static bool rollback(struct sqlite_conn *c)
{
	sqlite3_stmt *s;

	if (sqlite_prep(c, SQ_ROLLBACK, "ROLLBACK", &s, "rollback", "") == 0 &&
	    sqlite_run(c->db, s, "rollback") == 0)
		return true;
	return sqlite3_get_autocommit(c->db) != 0;
}

/* Closes a connection that cannot be reused instead of returning it to the pool. */
static void discard(struct store *st, struct sqlite_conn *c)
{
	log_error("store: closing a connection stuck in a transaction");
	conn_close(c);
	conn_forget(st);
}

int sqlite_end(struct store *st, struct sqlite_conn *c, int err)
{
	sqlite3_stmt *s = NULL;
	bool reusable = true;

	if (!err)
		err = sqlite_prep(c, SQ_COMMIT, "COMMIT", &s, "commit", "");
	if (!err)
		err = sqlite_run(c->db, s, "commit");
	/* After a failed COMMIT the transaction may still be open: roll it back too. */
	if (err && !sqlite3_get_autocommit(c->db))
		reusable = rollback(c);
	if (reusable)
		sqlite_release(st, c);
	else
		discard(st, c);
	pthread_mutex_unlock(&st->write_mu);
	return err;
}

static struct store *store_new(const char *dir)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->path = xasprintf("%s/%s", dir, SQ_FILE);
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	pthread_mutex_init(&st->write_mu, NULL);
	return st;
}

int store_open(const char *dir, struct store **out)
{
	struct store *st = NULL;
	struct sqlite_conn *c = NULL;
	int err;

	*out = NULL;
	err = mkdirs(dir);
	if (err)
		return err;
	st = store_new(dir);
	err = sqlite_acquire(st, &c);
	if (!err)
		err = wal_on(c->db);
	if (!err)
		err = sqlite_migrate(c->db);
	if (c)
		sqlite_release(st, c);
	if (err) {
		store_close(st);
		return err;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	struct sqlite_conn *next;

	if (!st)
		return;
	for (struct sqlite_conn *c = st->idle; c; c = next) {
		next = c->next;
		conn_close(c);
	}
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->write_mu);
	free(st->path);
	free(st);
}

/* True when parent is NULL (no check asked) or equals the stored parent in column i. */
static bool parent_ok(sqlite3_stmt *s, int i, const char *parent)
{
	const unsigned char *stored;

	if (!parent)
		return true;
	stored = sqlite3_column_text(s, i);
	return stored && strcmp((const char *)stored, parent) == 0;
}

int store_get(struct store *st, const char *project, enum store_kind kind, const char *id,
	      const char *parent, char **body, int64_t *version)
{
	static const char sql[] = "SELECT body, version, parent FROM objects "
				  "WHERE project = ?1 AND id = ?2 AND kind = ?3";
	struct sqlite_conn *c = NULL;
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err;

	*body = NULL;
	err = sqlite_acquire(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_GET, sql, &s, "get", "sss", project, id, sqlite_kind(kind));
	if (!err)
		err = sqlite_step(c->db, s, "get", &row);
	if (err)
		goto out;
	if (!row || !parent_ok(s, 2, parent)) {
		err = ERR_NOT_FOUND;
		goto out;
	}
	*body = sqlite_col_dup(s, 0);
	if (version)
		*version = sqlite3_column_int64(s, 1);
out:
	if (s)
		sqlite3_reset(s);
	sqlite_release(st, c);
	return err;
}
