/* sqlite.c - the SQLite store (store.h): opening and closing it, and store_get.
 *
 * The database is <dir>/assistd.db in WAL mode with synchronous=NORMAL: a committed write
 * survives the process being killed (not necessarily a power cut). Calls borrow a pooled
 * connection with cached prepared statements, so a get is one bind/step/reset
 * (sqlite_pool.c). The rest is split by concern: writes in sqlite_write.c, lists in
 * sqlite_list.c, API keys in sqlite_keys.c, the schema in sqlite_migrate.c. This file also
 * holds the backend's table of operations (backend.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "sqlite_int.h"

#define SQ_WAL_TRIES 500 /* 10 ms apart */

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

	for (int i = 0; rc == SQLITE_OK && !wal && i < SQ_WAL_TRIES; i++) {
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

/* Frees the state of a store whose connections are all back in the pool. */
static void store_free(struct sqlite_store *st)
{
	sqlite_notify_cleanup(st);
	sqlite_pool_close(st);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->write_mu);
	sqlite_vocab_cleanup(st);
	sqlite_vec_cache_free(st->vc);
	free(st->path);
	free(st);
}

static void sqlite_close(struct store *base)
{
	store_free(sqlite_of(base));
}

static const struct store_backend sqlite_backend = {
	.name = "sqlite",
	.close = sqlite_close,
	.ping = sqlite_ping,
	.write = sqlite_write,
	.get = sqlite_get,
	.list = sqlite_list,
	.runs_by_status = sqlite_runs_by_status,
	.expired = sqlite_expired,
	.id_exists = sqlite_id_exists,
	.lease_claim = sqlite_lease_claim,
	.lease_renew = sqlite_lease_renew,
	.lease_lapsed = sqlite_lease_lapsed,
	.lease_owner = sqlite_lease_owner,
	.cmd_post = sqlite_cmd_post,
	.cmd_take = sqlite_cmd_take,
	.cmd_answer = sqlite_cmd_answer,
	.cmd_result = sqlite_cmd_result,
	.cmd_remove = sqlite_cmd_remove,
	.cmd_prune = sqlite_cmd_prune,
	.run_origin = sqlite_run_origin,
	.session_hold = sqlite_session_hold,
	.session_owner = sqlite_session_owner,
	.key_insert = sqlite_key_insert,
	.key_project = sqlite_key_project,
	.key_ever = sqlite_key_ever,
	.key_list = sqlite_key_list,
	.key_revoke = sqlite_key_revoke,
	.limit_set = sqlite_limit_set,
	.limit_delete = sqlite_limit_delete,
	.limit_list = sqlite_limit_list,
	.count_sync = sqlite_count_sync,
	.vsf_attach = sqlite_vsf_attach,
	.vsf_get = sqlite_vsf_get,
	.vsf_list = sqlite_vsf_list,
	.vsf_set_attributes = sqlite_vsf_set_attributes,
	.vsf_detach = sqlite_vsf_detach,
	.vsf_cancel_batch = sqlite_vsf_cancel_batch,
	.vs_touch = sqlite_vs_touch,
	.vs_expire = sqlite_vs_expire,
	.jobs_next = sqlite_jobs_next,
	.jobs_count = sqlite_jobs_count,
	.chunks_clear = sqlite_chunks_clear,
	.chunks_add = sqlite_chunks_add,
	.chunks_compact = sqlite_chunks_compact,
	.job_finish = sqlite_job_finish,
	.chunks_of = sqlite_chunks_of,
	.search = sqlite_search,
	.vec_search = sqlite_vec_search,
	.notify = sqlite_notify,
	.watch = sqlite_watch,
	.unwatch = sqlite_unwatch,
	.events_append = sqlite_events_append,
	.events_read = sqlite_events_read,
	.events_last = sqlite_events_last,
	.events_prune = sqlite_events_prune,
};

static struct sqlite_store *store_new(const char *dir)
{
	struct sqlite_store *st = xcalloc(1, sizeof(*st));

	st->base.be = &sqlite_backend;
	st->path = xasprintf("%s/%s", dir, SQ_FILE);
	st->peers_fd = -1;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	pthread_mutex_init(&st->write_mu, NULL);
	atomic_init(&st->gen, 0);
	atomic_init(&st->write_ms, 0);
	sqlite_vocab_init(st);
	st->vc = sqlite_vec_cache_new();
	sqlite_notify_init(st);
	return st;
}

int sqlite_open(const char *dir, struct store **out)
{
	struct sqlite_store *st = NULL;
	struct sqlite_conn *c = NULL;
	int err;

	*out = NULL;
	err = mkdirs(dir);
	if (err)
		return err;
	st = store_new(dir);
	sqlite_peers_open(st, dir);
	err = sqlite_acquire(st, &c);
	if (!err)
		err = wal_on(c->db);
	if (!err)
		err = sqlite_migrate(c->db);
	/* The migrations wrote every page of a new database through c, and its cache would keep
	 * them all (about 180 KB) for as long as c lives; readers fetch what they need. */
	if (!err)
		sqlite3_db_release_memory(c->db);
	if (c)
		sqlite_release(st, c);
	if (err) {
		store_free(st);
		return err;
	}
	*out = &st->base;
	return 0;
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

int sqlite_get(struct store *base, const char *project, enum store_kind kind, const char *id,
	      const char *parent, char **body, int64_t *version)
{
	struct sqlite_store *st = sqlite_of(base);
	static const char sql[] = "SELECT body, version, parent FROM objects "
				  "WHERE project = ?1 AND id = ?2 AND kind = ?3";
	struct sqlite_conn *c = NULL;
	sqlite3_stmt *s = NULL;
	bool row = false;
	int err;

	*body = NULL;
	err = sqlite_read(st, &c);
	if (err)
		return err;
	err = sqlite_prep(c, SQ_GET, sql, &s, "get", "sss", project, id, store_kind_name(kind));
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
	sqlite_read_done(st, c, err);
	return err;
}
