/* pg_int.h - what the files of the PostgreSQL store share: the connection pool, prepared
 * statements, parameter lists and result helpers (pg_pool.c).
 *
 * Private to src/store/pg*.c, the only files that may include <libpq-fe.h>. Nothing outside
 * src/store includes this header; the rest of the server sees only store.h. */
#ifndef ASSISTD_PG_INT_H
#define ASSISTD_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/* The shapes of the list statement: one per combination of pg_list.c's PL_* flags. */
#define PQ_LIST_VARIANTS 64

/* Slots of the per-connection prepared statements. A slot always holds the same SQL text. */
enum pg_slot {
	PQ_PING,
	PQ_GET,
	PQ_LOCK,
	PQ_CHILD_SEQ,
	PQ_INSERT,
	PQ_UPDATE,
	PQ_EXISTS,
	PQ_LOCK_THREAD,
	PQ_IDLE,
	PQ_DEL_SELF,
	PQ_DEL_CHILDREN,
	PQ_DEL_GRAND,
	PQ_CURSOR,
	PQ_EXPIRED,
	PQ_RUNS,
	PQ_ID_EXISTS,
	PQ_KEY_INSERT,
	PQ_KEY_PROJECT,
	PQ_KEY_EVER,
	PQ_KEY_LIST,
	PQ_KEY_REVOKE,
	PQ_COUNT_ADD,
	PQ_COUNT_GET,
	PQ_COUNT_SWEEP,
	PQ_LEASE_EXPECT,
	PQ_LEASE_SET,
	PQ_ORIGIN_SET,
	PQ_LEASE_CLAIM,
	PQ_LEASE_RENEW,
	PQ_LEASE_LAPSED,
	PQ_LEASE_COUNT,
	PQ_CMD_POST,
	PQ_CMD_TAKE,
	PQ_CMD_ANSWER,
	PQ_CMD_REMOVE,
	PQ_CMD_PRUNE,
	PQ_SESSION_HOLD,
	PQ_SESSION_OWNER,
	PQ_EV_INSERT,
	PQ_EV_READ,
	PQ_EV_LAST,
	PQ_NOTIFY,
	PQ_SEARCH_TERMS,
	PQ_SEARCH_DF,
	PQ_LIST,         /* + the PL_* flags of the page's shape (pg_list.c) */
	PQ_SLOT_COUNT = PQ_LIST + PQ_LIST_VARIANTS
};

/* One connection. Used by one thread at a time: whoever took it from the pool. */
struct pg_conn {
	PGconn *db;
	bool prepared[PQ_SLOT_COUNT]; /* slot i is prepared as statement "s<i>" */
	bool broken;                  /* the connection failed: closed instead of pooled */
	int ran;                      /* statements that succeeded since it left the pool */
	struct pg_conn *next;         /* next idle connection; guarded by pg_store.mu */
};

struct pg_store {
	struct store base;      /* first: the handle callers hold (backend.h) */
	char *url;              /* owned: the libpq connection URI */
	pthread_mutex_t mu;     /* guards idle and nconn */
	pthread_cond_t cv;      /* signalled when a connection goes back to idle */
	struct pg_conn *idle;   /* connections nobody is using */
	int nconn;              /* connections open, idle or not */
	atomic_bool keys_ever;  /* a key was seen once: the answer never turns back */
	struct pg_notify *nt;   /* owned: watchers and the listening thread (pg_notify.c) */
	struct pg_vs_state *vs; /* owned: vector stores' node id and vector cache (pg_vs.c) */
};

/* The PostgreSQL state behind a handle this backend opened. */
static inline struct pg_store *pg_of(struct store *st)
{
	return (struct pg_store *)st;
}

/* Parameters of one statement, as text (libpq's text format). */
#define PG_ARGS_MAX 16
struct pg_args {
	const char *v[PG_ARGS_MAX]; /* borrowed strings, or num[i]; NULL is SQL NULL */
	char num[PG_ARGS_MAX][24];
	int n;
};

/* Appends a string (NULL: SQL NULL) or an integer parameter. */
void pg_arg_s(struct pg_args *a, const char *s);
void pg_arg_i(struct pg_args *a, int64_t i);

/* Closes every connection; all must be back in the pool. */
void pg_pool_close(struct pg_store *st);

/* Runs the statement in slot (prepared from sql on first use on c) with a's parameters. On
 * success *res is the owned result (PQclear it); commands and queries both succeed. Errors:
 * ERR_CONFLICT (a unique or exclusion violation), ERR_TIMEOUT (a serialisation failure or a
 * deadlock: the transaction must be retried), ERR_DB (logged with what). */
int pg_run(struct pg_conn *c, enum pg_slot slot, const char *sql, const char *what,
	   const struct pg_args *a, PGresult **res) MUST_CHECK;
/* The same for a statement that is not cached (it varies, or runs rarely). */
int pg_query(struct pg_conn *c, const char *sql, const char *what, const struct pg_args *a,
	     PGresult **res) MUST_CHECK;
/* Checks res, the result of a statement run on c with libpq directly: 0 on success, else
 * the error pg_query would return (then res is cleared). */
int pg_result_check(struct pg_conn *c, PGresult *res, const char *what) MUST_CHECK;
/* Runs a statement without parameters and drops its result (BEGIN, COMMIT, ...). */
int pg_exec(struct pg_conn *c, const char *sql, const char *what) MUST_CHECK;
/* pg_run for a statement whose rows are not needed: *changed (when not NULL) receives the
 * number of rows it changed or returned. */
int pg_do(struct pg_conn *c, enum pg_slot slot, const char *sql, const char *what,
	  const struct pg_args *a, int64_t *changed) MUST_CHECK;

/* The rows a query returned, or a command changed. */
int64_t pg_rows(const PGresult *res);
/* An owned copy of row r, column i of res ("" for NULL). */
char *pg_col_dup(const PGresult *res, int r, int i);
int64_t pg_col_i(const PGresult *res, int r, int i);

/* Runs fn(c, ctx) in a transaction on a pooled connection: commits when it returns 0, rolls
 * back otherwise, and runs it again (a few times) when PostgreSQL aborted it for a deadlock
 * or a serialisation failure, or once when the connection was dead from the start. Returns
 * fn's error or the commit's. */
int pg_tx(struct pg_store *st, int (*fn)(struct pg_conn *c, void *ctx), void *ctx) MUST_CHECK;
/* Runs fn(c, ctx) on a pooled connection without a transaction (each statement commits on its
 * own: reads, and writes of one statement), and once more on a new connection when the pooled
 * one turns out dead at its first statement (pg_tx does the same). Returns fn's error. */
int pg_with(struct pg_store *st, int (*fn)(struct pg_conn *c, void *ctx), void *ctx)
	MUST_CHECK;
/* Runs one statement (pg_run) with pg_with; *res is the owned result. Errors as pg_run. */
int pg_stmt(struct pg_store *st, enum pg_slot slot, const char *sql, const char *what,
	    const struct pg_args *a, PGresult **res) MUST_CHECK;
/* pg_stmt for a statement whose rows are not needed: *rows (when not NULL) receives the
 * number of rows it returned or changed. */
int pg_stmt_rows(struct pg_store *st, enum pg_slot slot, const char *sql, const char *what,
		 const struct pg_args *a, int64_t *rows) MUST_CHECK;
/* The same for a statement that is not cached (pg_query). */
int pg_stmt_once(struct pg_store *st, const char *sql, const char *what,
		 const struct pg_args *a, PGresult **res) MUST_CHECK;

/* Change notifications (pg_notify.c): made at pg_open, freed (the listener stopped, every
 * registration ended) at pg_close. pg_notify_in NOTIFYs topic in the transaction on c. */
void pg_notify_init(struct pg_store *st);
void pg_notify_cleanup(struct pg_store *st);
int pg_notify_in(struct pg_conn *c, const char *topic) MUST_CHECK;

/* Applies one op of a batch inside the transaction on c (pg_write.c). */
int pg_apply(struct pg_conn *c, const char *project, const struct store_op *op) MUST_CHECK;

/* Brings the schema of the database up to date (pg_migrate.c). Errors: ERR_DB. */
int pg_migrate(struct pg_store *st) MUST_CHECK;

/* The backend's operations (backend.h). */
int pg_ping(struct store *base) MUST_CHECK;
int pg_get(struct store *base, const char *project, enum store_kind kind, const char *id,
	   const char *parent, char **body, int64_t *version) MUST_CHECK;
int pg_write(struct store *base, const char *project, const struct store_op *ops, size_t n)
	MUST_CHECK;
int pg_list(struct store *base, const char *project, enum store_kind kind, const char *parent,
	    const struct store_page *pg, struct store_list *out) MUST_CHECK;
int pg_runs_by_status(struct store *base, const char *const *statuses, size_t n,
		      struct store_list *out, char ***projects) MUST_CHECK;
int pg_expired(struct store *base, const char *project, enum store_kind kind, int64_t now,
	       int limit, struct store_list *out, char ***projects) MUST_CHECK;
int pg_id_exists(struct store *base, enum store_kind kind, const char *id, bool *found)
	MUST_CHECK;
int pg_key_insert(struct store *base, const struct store_key *key, const char *hash_hex)
	MUST_CHECK;
int pg_key_project(struct store *base, const char *hash_hex, char **project) MUST_CHECK;
int pg_key_ever(struct store *base, bool *ever) MUST_CHECK;
int pg_key_list(struct store *base, struct store_key **keys, size_t *n) MUST_CHECK;
int pg_key_revoke(struct store *base, const char *id, int64_t now) MUST_CHECK;
int pg_notify(struct store *base, const char *topic) MUST_CHECK;
void *pg_watch(struct store *base, store_watch_fn *fn, void *ctx);
void pg_unwatch(struct store *base, void *registration);
int pg_events_append(struct store *base, const struct store_event *evs, size_t n,
		     const char *const *topics, size_t ntopics, int64_t *ids) MUST_CHECK;
int pg_events_read(struct store *base, const char *project, const char *run_id, int64_t after,
		   int limit, struct store_events *out) MUST_CHECK;
int pg_events_last(struct store *base, const char *project, const char *run_id, int64_t *id)
	MUST_CHECK;
int pg_events_prune(struct store *base, int64_t now) MUST_CHECK;
int pg_limit_set(struct store *base, const struct store_limit *l) MUST_CHECK;
int pg_limit_delete(struct store *base, enum store_limit_scope scope, const char *subject)
	MUST_CHECK;
int pg_limit_list(struct store *base, struct store_limit **out, size_t *n) MUST_CHECK;
int pg_count_sync(struct store *base, struct store_count *c, size_t n, int64_t now_ms)
	MUST_CHECK;

/* Runs the statement in slot, a scan returning (project, id, body) rows, into out and
 * *projects (pg_list.c). Errors: as pg_run. */
int pg_scan(struct pg_store *st, enum pg_slot slot, const char *sql, const char *what,
	    const struct pg_args *a, struct store_list *out, char ***projects) MUST_CHECK;
/* The active statuses of runs as a PostgreSQL array literal, "{queued,...}" (pg_write.c). */
void pg_active_statuses(char *out, size_t len);

/* Run leases and commands (pg_lease.c): STORE_EXPECT_LEASE, STORE_SET_LEASE and
 * STORE_SET_RUN_ORIGIN inside a write on c, and the backend's operations. */
int pg_lease_expect(struct pg_conn *c, const char *project, const struct store_op *op)
	MUST_CHECK;
int pg_lease_set(struct pg_conn *c, const char *project, const struct store_op *op)
	MUST_CHECK;
int pg_origin_set(struct pg_conn *c, const char *project, const struct store_op *op)
	MUST_CHECK;
int pg_lease_claim(struct store *base, const char *project, const char *run_id,
		   const struct store_claim *c, bool *got) MUST_CHECK;
int pg_lease_renew(struct store *base, const char *owner, int64_t until, int64_t *held)
	MUST_CHECK;
int pg_lease_lapsed(struct store *base, const struct store_claim *c, int limit,
		    struct store_list *out, char ***projects) MUST_CHECK;
int pg_session_hold(struct store *base, const char *project, const char *thread_id,
		    const char *owner, int64_t until) MUST_CHECK;
int pg_session_owner(struct store *base, const char *project, const char *thread_id,
		     int64_t now, char **owner) MUST_CHECK;
int pg_lease_owner(struct store *base, const char *project, const char *run_id,
		   char **owner) MUST_CHECK;
int pg_cmd_post(struct store *base, const char *id, const char *project, const char *run_id,
		const char *owner, const char *kind, int64_t now) MUST_CHECK;
int pg_cmd_take(struct store *base, const char *owner, struct store_cmd **cmds, size_t *n,
		int64_t *held) MUST_CHECK;
int pg_cmd_answer(struct store *base, const char *id, int err, const char *answer)
	MUST_CHECK;
int pg_cmd_result(struct store *base, const char *id, bool *done, int *err, char **answer)
	MUST_CHECK;
int pg_cmd_remove(struct store *base, const char *id) MUST_CHECK;
int pg_cmd_prune(struct store *base, int64_t before, int64_t *removed) MUST_CHECK;
int pg_run_origin(struct store *base, const char *project, const char *run_id,
		  char **key_hash, int64_t *include) MUST_CHECK;

/* Vector stores (vstore.h, vecstore.h): the operations, and what deleting a vector store or
 * a File must also remove, in the deleting transaction on c. */
int pg_vsf_attach(struct store *base, const char *project, const char *vs,
		  const struct store_obj *create, const char *batch, const struct vsf_new *files,
		  size_t n) MUST_CHECK;
int pg_vsf_get(struct store *base, const char *project, const char *vs, const char *file,
	       char **body) MUST_CHECK;
int pg_vsf_list(struct store *base, const char *project, const char *vs, const char *batch,
		const char *status, const struct store_page *pg, struct store_list *out)
	MUST_CHECK;
int pg_vsf_set_attributes(struct store *base, const char *project, const char *vs,
			  const char *file, const char *attrs, char **body) MUST_CHECK;
int pg_vsf_detach(struct store *base, const char *project, const char *vs, const char *file)
	MUST_CHECK;
int pg_vsf_cancel_batch(struct store *base, const char *project, const char *vs,
			const char *batch, char **body) MUST_CHECK;
int pg_vs_touch(struct store *base, const char *project, const char *vs, int64_t now,
		int64_t day_s) MUST_CHECK;
int pg_vs_expire(struct store *base, int64_t now) MUST_CHECK;
int pg_jobs_next(struct store *base, bool (*skip)(void *ctx, const struct vs_job *j),
		 void *ctx, struct vs_job *jobs, size_t max, size_t *n) MUST_CHECK;
int pg_jobs_count(struct store *base, int64_t *n) MUST_CHECK;
int pg_chunks_clear(struct store *base, const struct vs_job *j) MUST_CHECK;
int pg_chunks_compact(struct store *base, bool *more) MUST_CHECK;
int pg_chunks_add(struct store *base, const struct vs_job *j, int64_t first,
		  const struct store_chunk *c, size_t n) MUST_CHECK;
int pg_job_finish(struct store *base, const struct vs_job *j, const char *status,
		  const char *code, const char *message, int64_t usage_bytes) MUST_CHECK;
int pg_chunks_of(struct store *base, const char *project, const char *vs, const char *file,
		 struct store_list *out) MUST_CHECK;
int pg_search(struct store *base, const char *project, const struct store_search *q,
	      struct store_hit **hits, size_t *n) MUST_CHECK;
int pg_vec_search(struct store *base, const char *project, const struct store_vsearch *q,
		  struct store_hit **hits, size_t *n) MUST_CHECK;
int pg_vs_drop(struct pg_conn *c, const char *project, const char *vs) MUST_CHECK;
int pg_vs_forget(struct pg_conn *c, const char *project, const char *file) MUST_CHECK;

#endif
