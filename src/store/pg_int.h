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

/* Slots of the per-connection prepared statements. A slot always holds the same SQL text. */
enum pg_slot {
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
	PQ_LIST,         /* + the SQ_LIST_* style flags of pg_list.c */
	PQ_SLOT_COUNT = PQ_LIST + 64
};

/* One connection. Used by one thread at a time: whoever took it from the pool. */
struct pg_conn {
	PGconn *db;
	bool prepared[PQ_SLOT_COUNT]; /* slot i is prepared as statement "s<i>" */
	bool broken;                  /* the connection failed: closed instead of pooled */
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

/* Takes a connection from the pool (opening one when all are busy and the pool may grow,
 * else waiting); pg_release gives it back. Errors: ERR_DB (logged). */
int pg_acquire(struct pg_store *st, struct pg_conn **out) MUST_CHECK;
void pg_release(struct pg_store *st, struct pg_conn *c);
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

/* An owned copy of row r, column i of res ("" for NULL). */
char *pg_col_dup(const PGresult *res, int r, int i);
int64_t pg_col_i(const PGresult *res, int r, int i);

/* Runs fn(c, ctx) in a transaction on a pooled connection: commits when it returns 0, rolls
 * back otherwise, and runs it again (a few times) when PostgreSQL aborted it for a deadlock
 * or a serialisation failure. Returns fn's error or the commit's. */
int pg_tx(struct pg_store *st, int (*fn)(struct pg_conn *c, void *ctx), void *ctx) MUST_CHECK;

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
int pg_chunks_clear(struct store *base, const struct vs_job *j) MUST_CHECK;
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
