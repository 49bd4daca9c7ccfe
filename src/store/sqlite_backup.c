/* sqlite_backup.c - the store's health check and its online backup (store.h).
 *
 * The backup copies <data>/assistd.db with SQLite's online backup API in a single step, so
 * the copy is one read transaction: a consistent snapshot taken while the server keeps
 * writing (WAL mode lets writers go on during the copy). It opens the database file on its
 * own connection, so it works from another process than the server's. */
#include <stdio.h>
#include <unistd.h>

#include "../base/log.h"
#include "sqlite_int.h"

#define BACKUP_BUSY_MS 10000

int sqlite_ping(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	struct sqlite_conn *c;
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err = sqlite_read(st, &c);

	if (err)
		return err;
	err = sqlite_query(c->db, "SELECT 1 FROM sqlite_schema LIMIT 1", &s, "ping", "");
	if (!err)
		err = sqlite_step(c->db, s, "ping", &row);
	sqlite3_finalize(s);
	sqlite_read_done(st, c, err);
	return err;
}

/* Opens path with flags and the busy timeout; *db is set even on failure (close it). */
static int open_db(const char *path, int flags, sqlite3 **db)
{
	if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
		log_error("backup: cannot open %s: %s", path, sqlite3_errmsg(*db));
		return ERR_DB;
	}
	sqlite3_busy_timeout(*db, BACKUP_BUSY_MS);
	return 0;
}

/* Copies every page of src into dst in one step (one read transaction on src). */
static int copy_all(sqlite3 *src, sqlite3 *dst)
{
	sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
	int rc;

	if (!bk)
		return sqlite_fail(dst, "backup");
	rc = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		log_error("backup: copying the database failed: %s", sqlite3_errstr(rc));
		return ERR_DB;
	}
	return 0;
}

int sqlite_backup_dir(const char *dir, const char *dest)
{
	char path[4096];
	sqlite3 *src = NULL;
	sqlite3 *dst = NULL;
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, SQ_FILE) >= sizeof(path))
		return ERR_INVALID;
	if (access(path, R_OK) != 0) {
		log_error("backup: %s: no readable store there", path);
		return ERR_NOT_FOUND;
	}
	err = open_db(path, SQLITE_OPEN_READWRITE, &src);
	if (!err)
		err = open_db(dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst);
	if (!err)
		err = copy_all(src, dst);
	sqlite3_close(dst);
	sqlite3_close(src);
	return err;
}
