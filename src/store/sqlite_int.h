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

#include "../base/buf.h"
#include "../json/json.h"
#include "backend.h"
#include "terms.h"

/* Variant flags of the list query; slot SQ_LIST + flags caches that variant. */
enum {
	SQ_LIST_RUN = 1,  /* filter by run_id */
	SQ_LIST_GT = 2,   /* lower bound on (created_at, seq) */
	SQ_LIST_LT = 4,   /* upper bound on (created_at, seq) */
	SQ_LIST_DESC = 8, /* walk newest first */
	SQ_LIST_TAG = 16, /* filter by tag */
	SQ_LIST_META = 32, /* filter by one metadata key and value */
	SQ_LIST_VARIANTS = 64
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
	SQ_COUNT_ADD,
	SQ_COUNT_GET,
	SQ_COUNT_SWEEP,
	SQ_LEASE_EXPECT,
	SQ_LEASE_SET,
	SQ_ORIGIN_SET,
	SQ_LEASE_RENEW,
	SQ_CMD_TAKE,
	SQ_LEASE_COUNT,
	SQ_EV_INSERT,
	SQ_EV_READ,
	SQ_EV_LAST,
	SQ_NOTIFY_INSERT,
	SQ_LIST,
	SQ_SLOT_COUNT = SQ_LIST + SQ_LIST_VARIANTS
};

/* One database connection. Used by one thread at a time: whoever took it from the pool, or
 * the pool itself (under store.mu) while it is idle. */
struct sq_vocab;

struct sqlite_conn {
	sqlite3 *db;
	sqlite3_stmt *stmts[SQ_SLOT_COUNT]; /* prepared on first use, kept until close */
	struct sqlite_conn *next;           /* next idle connection; guarded by store.mu */
	bool snap;                          /* a read transaction is open (see sqlite_read) */
	uint64_t snap_gen;                  /* store.gen when it began */
	int64_t snap_ms;                    /* clock_ms() when it began */
	int64_t changes;                    /* sqlite3_total_changes64 at BEGIN IMMEDIATE */
	fts5_api *fts;                      /* FTS5's API on db (sqlite_rank.c) */
};

#define SQ_FILE "assistd.db" /* the database, in the data directory */
#define SQ_PEERS_FILE "assistd.nodes" /* read-locked by every process using the store */
/* How old a reused read snapshot (or a remembered answer) may get: the longest another
 * process's write can stay unseen. */
#define SQ_SNAP_MS 100
/* How many periodic writes (sqlite_end_periodic) make one checkpoint of the WAL. */
#define SQ_CKPT_EVERY 16
#define SQ_CKPT_TRIES 3 /* and how many times it tries to copy the whole WAL back */

struct sqlite_store {
	struct store base;         /* first: the handle callers hold (backend.h) */
	char *path;               /* owned: <dir>/assistd.db */
	pthread_mutex_t mu;       /* guards idle, nconn and swept_ms */
	pthread_cond_t cv;        /* signalled when a connection goes back to idle */
	struct sqlite_conn *idle; /* connections nobody is using */
	int nconn;                /* connections open, idle or not */
	int64_t swept_ms;         /* when idle connections' old snapshots were last closed */
	pthread_mutex_t write_mu; /* serialises this process's write transactions */
	atomic_uint_fast64_t gen; /* bumped by each commit here that changed rows */
	atomic_int_fast64_t write_ms; /* clock_ms() of the last such write, periodic ones aside */
	atomic_uint_fast64_t periodic; /* periodic writes committed (sqlite_end_periodic) */
	int peers_fd;             /* DIR/assistd.nodes, read-locked while open (sqlite_peers_open) */
	atomic_bool shared;       /* another handle has the store open: no snapshot is reused */
	/* store_key_ever's answer, asked on every request. A yes is kept for good (it cannot
	 * turn back); a no is reused while no write of this process has happened since and it
	 * is under SQ_SNAP_MS old, the staleness reads already allow for other processes'
	 * writes (the keys CLI). */
	struct vec_cache *vc;     /* owned: the vectors searches compare (sqlite_vec.c) */
	atomic_bool keys_ever;
	atomic_uint_fast64_t keys_gen;      /* gen when keys_ever was read */
	atomic_int_fast64_t keys_read_ms;   /* clock_ms() when it was read; 0: never */
	struct sq_notify *nt;     /* owned: watchers and the watch thread (sqlite_notify.c) */
	pthread_mutex_t vocab_mu; /* guards vocab and vocab_reading */
	struct sq_vocab *vocab;   /* owned: document frequencies (sqlite_vocab.c), or NULL */
	bool vocab_reading;       /* a search is reading it again */
};

/* The SQLite state behind a handle this backend opened. */
static inline struct sqlite_store *sqlite_of(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* The backend's operations (backend.h), each in the file of its concern. */
int sqlite_ping(struct store *base) MUST_CHECK;
int sqlite_write(struct store *base, const char *project, const struct store_op *ops,
		 size_t n) MUST_CHECK;
int sqlite_get(struct store *base, const char *project, enum store_kind kind, const char *id,
	       const char *parent, char **body, int64_t *version) MUST_CHECK;
int sqlite_list(struct store *base, const char *project, enum store_kind kind,
		const char *parent, const struct store_page *pg, struct store_list *out)
	MUST_CHECK;
int sqlite_runs_by_status(struct store *base, const char *const *statuses, size_t n,
			  struct store_list *out, char ***projects) MUST_CHECK;
int sqlite_expired(struct store *base, const char *project, enum store_kind kind,
		   int64_t now, int limit, struct store_list *out, char ***projects) MUST_CHECK;
int sqlite_id_exists(struct store *base, enum store_kind kind, const char *id, bool *found)
	MUST_CHECK;
int sqlite_lease_claim(struct store *base, const char *project, const char *run_id,
		       const struct store_claim *c, bool *got) MUST_CHECK;
int sqlite_lease_renew(struct store *base, const char *owner, int64_t until,
		       int64_t *held) MUST_CHECK;
int sqlite_lease_lapsed(struct store *base, const struct store_claim *c, int limit,
			struct store_list *out, char ***projects) MUST_CHECK;
int sqlite_session_hold(struct store *base, const char *project, const char *thread_id,
			const char *owner, int64_t until) MUST_CHECK;
int sqlite_session_owner(struct store *base, const char *project, const char *thread_id,
			 int64_t now, char **owner) MUST_CHECK;
int sqlite_lease_owner(struct store *base, const char *project, const char *run_id,
		       char **owner) MUST_CHECK;
int sqlite_cmd_post(struct store *base, const char *id, const char *project,
		    const char *run_id, const char *owner, const char *kind, int64_t now)
	MUST_CHECK;
int sqlite_cmd_take(struct store *base, const char *owner, struct store_cmd **cmds,
		    size_t *n, int64_t *held) MUST_CHECK;
int sqlite_cmd_answer(struct store *base, const char *id, int err, const char *answer)
	MUST_CHECK;
int sqlite_cmd_result(struct store *base, const char *id, bool *done, int *err,
		      char **answer) MUST_CHECK;
int sqlite_cmd_remove(struct store *base, const char *id) MUST_CHECK;
int sqlite_cmd_prune(struct store *base, int64_t before, int64_t *removed) MUST_CHECK;
int sqlite_run_origin(struct store *base, const char *project, const char *run_id,
		      char **key_hash, int64_t *include) MUST_CHECK;
int sqlite_key_insert(struct store *base, const struct store_key *key, const char *hash_hex)
	MUST_CHECK;
int sqlite_key_project(struct store *base, const char *hash_hex, char **project) MUST_CHECK;
int sqlite_key_ever(struct store *base, bool *ever) MUST_CHECK;
int sqlite_key_list(struct store *base, struct store_key **keys, size_t *n) MUST_CHECK;
int sqlite_key_revoke(struct store *base, const char *id, int64_t now) MUST_CHECK;
int sqlite_limit_set(struct store *base, const struct store_limit *l) MUST_CHECK;
int sqlite_limit_delete(struct store *base, enum store_limit_scope scope, const char *subject)
	MUST_CHECK;
int sqlite_limit_list(struct store *base, struct store_limit **out, size_t *n) MUST_CHECK;
int sqlite_count_sync(struct store *base, struct store_count *c, size_t n, int64_t now_ms)
	MUST_CHECK;
int sqlite_vsf_attach(struct store *base, const char *project, const char *vs,
		      const struct store_obj *create, const char *batch,
		      const struct vsf_new *files, size_t n) MUST_CHECK;
int sqlite_vsf_get(struct store *base, const char *project, const char *vs, const char *file,
		   char **body) MUST_CHECK;
int sqlite_vsf_list(struct store *base, const char *project, const char *vs,
		    const char *batch, const char *status, const struct store_page *pg,
		    struct store_list *out) MUST_CHECK;
int sqlite_vsf_set_attributes(struct store *base, const char *project, const char *vs,
			      const char *file, const char *attrs, char **body) MUST_CHECK;
int sqlite_vsf_detach(struct store *base, const char *project, const char *vs,
		      const char *file) MUST_CHECK;
int sqlite_vsf_cancel_batch(struct store *base, const char *project, const char *vs,
			    const char *batch, char **body) MUST_CHECK;
int sqlite_vs_touch(struct store *base, const char *project, const char *vs, int64_t now,
		    int64_t day_s) MUST_CHECK;
int sqlite_vs_expire(struct store *base, int64_t now) MUST_CHECK;
int sqlite_jobs_next(struct store *base, bool (*skip)(void *ctx, const struct vs_job *j),
		     void *ctx, struct vs_job *jobs, size_t max, size_t *n) MUST_CHECK;
int sqlite_jobs_count(struct store *base, int64_t *n) MUST_CHECK;
int sqlite_chunks_clear(struct store *base, const struct vs_job *j) MUST_CHECK;
int sqlite_chunks_add(struct store *base, const struct vs_job *j, int64_t first,
		      const struct store_chunk *c, size_t n) MUST_CHECK;
int sqlite_chunks_compact(struct store *base, bool *more) MUST_CHECK;
int sqlite_job_finish(struct store *base, const struct vs_job *j, const char *status,
		      const char *code, const char *message, int64_t usage_bytes) MUST_CHECK;
int sqlite_chunks_of(struct store *base, const char *project, const char *vs,
		     const char *file, struct store_list *out) MUST_CHECK;
int sqlite_search(struct store *base, const char *project, const struct store_search *q,
		  struct store_hit **hits, size_t *n) MUST_CHECK;
int sqlite_vec_search(struct store *base, const char *project, const struct store_vsearch *q,
		      struct store_hit **hits, size_t *n) MUST_CHECK;
int sqlite_notify(struct store *base, const char *topic) MUST_CHECK;
void *sqlite_watch(struct store *base, store_watch_fn *fn, void *ctx);
void sqlite_unwatch(struct store *base, void *registration);
int sqlite_events_append(struct store *base, const struct store_event *evs, size_t n,
			 const char *const *topics, size_t ntopics, int64_t *ids) MUST_CHECK;
int sqlite_events_read(struct store *base, const char *project, const char *run_id,
		       int64_t after, int limit, struct store_events *out) MUST_CHECK;
int sqlite_events_last(struct store *base, const char *project, const char *run_id,
		       int64_t *id) MUST_CHECK;
int sqlite_events_prune(struct store *base, int64_t now) MUST_CHECK;

/* Takes a connection from the pool as it is (see sqlite_read for reads), opening one if all
 * are busy and the pool may grow, else waiting; sqlite_release gives it back. For store_open.
 * Errors: ERR_DB. */
int sqlite_acquire(struct sqlite_store *st, struct sqlite_conn **out) MUST_CHECK;
void sqlite_release(struct sqlite_store *st, struct sqlite_conn *c);
/* Closes every connection; all must be back in the pool. */
void sqlite_pool_close(struct sqlite_store *st);
/* Takes a read lock on DIR/assistd.nodes for as long as st is open: every handle of the store
 * does, so each can tell whether it is alone on it (see sqlite_pool.c). */
void sqlite_peers_open(struct sqlite_store *st, const char *dir);

/* Reads: sqlite_read takes a connection whose read transaction (snapshot) sees every write
 * this process has committed, and writes of other processes up to SQ_SNAP_MS old;
 * sqlite_read_done gives it back, keeping the snapshot for the next reader while no writes
 * are happening (see sqlite_pool.c). Errors: ERR_DB. */
int sqlite_read(struct sqlite_store *st, struct sqlite_conn **out) MUST_CHECK;
/* The same with a new snapshot, which sees every write committed so far by any process. */
int sqlite_read_fresh(struct sqlite_store *st, struct sqlite_conn **out) MUST_CHECK;
void sqlite_read_done(struct sqlite_store *st, struct sqlite_conn *c, int err);

/* Sets *out to the statement cached in slot (preparing sql on first use; sql may be NULL once
 * the slot is filled) with parameters 1.. bound from the arguments that follow, one per
 * character of types: 's' const char * (NULL binds NULL), 'i' int64_t, 'd' double. Strings
 * are bound without copying: they must outlive the use. The statement is borrowed from c; whoever steps
 * it resets it before giving c back, so every cached statement is idle between calls.
 * Errors: ERR_DB (logged with what). */
int sqlite_prep(struct sqlite_conn *c, enum sqlite_slot slot, const char *sql,
		sqlite3_stmt **out, const char *what, const char *types, ...) MUST_CHECK;
/* Binds parameters 1.. as sqlite_prep does; returns a SQLite result code. */
int sqlite_bind(sqlite3_stmt *s, const char *types, ...);
/* Prepares sql uncached (for statements that vary, or run rarely) and binds the arguments as
 * sqlite_prep does. *out is owned: sqlite3_finalize it. Errors: ERR_DB. */
int sqlite_query(sqlite3 *db, const char *sql, sqlite3_stmt **out, const char *what,
		 const char *types, ...) MUST_CHECK;
/* Prepares, binds and runs sql, a statement that returns no rows (sqlite3_changes tells how
 * many rows it changed). Errors as sqlite_step. */
int sqlite_exec(sqlite3 *db, const char *sql, const char *what, const char *types, ...)
	MUST_CHECK;
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
int sqlite_begin(struct sqlite_store *st, struct sqlite_conn **out) MUST_CHECK;
int sqlite_end(struct sqlite_store *st, struct sqlite_conn *c, int err) MUST_CHECK;
/* sqlite_end for a small write repeated every few hundred milliseconds whatever the traffic
 * (the limit counts): readers still see it, but it does not stop them keeping snapshots, and
 * every SQ_CKPT_EVERY-th one checkpoints the WAL (see sqlite_pool.c). */
int sqlite_end_periodic(struct sqlite_store *st, struct sqlite_conn *c, int err) MUST_CHECK;

/* Reads up to limit rows (columns: id, body) of s into out, and one more to learn has_more;
 * resets s (sqlite_list.c). Errors: as sqlite_step. */
int sqlite_page_rows(sqlite3 *db, sqlite3_stmt *s, int limit, struct store_list *out)
	MUST_CHECK;
/* Reads the rows (project, id, body) of s into out and *projects (see store_runs_by_status)
 * until the statement ends; resets s (sqlite_list.c). Errors: as sqlite_step. */
int sqlite_push_all(sqlite3 *db, sqlite3_stmt *s, const char *what, struct store_list *out,
		    char ***projects) MUST_CHECK;
/* Writes into sql (size len) the list of active run statuses, "'queued', ...", for an IN
 * clause (sqlite_write.c). */
void sqlite_active_list(char *sql, size_t len);
/* Apply STORE_EXPECT_LEASE and STORE_SET_LEASE inside a write (sqlite_lease.c). */
int sqlite_lease_expect(struct sqlite_conn *c, const char *project, const struct store_op *op)
	MUST_CHECK;
int sqlite_lease_set(struct sqlite_conn *c, const char *project, const struct store_op *op)
	MUST_CHECK;
/* Applies STORE_SET_RUN_ORIGIN inside a write (sqlite_lease.c). */
int sqlite_origin_set(struct sqlite_conn *c, const char *project, const struct store_op *op)
	MUST_CHECK;

/* Applies one op of a batch inside the write transaction on c (sqlite_write.c). */
int sqlite_apply(struct sqlite_conn *c, const char *project, const struct store_op *op)
	MUST_CHECK;

/* Moves one file of vs (and of batch, when not NULL) from counter `from` to counter `to`
 * (statuses; NULL from: a new file, NULL to: a file removed), adds usage to the store's
 * usage_bytes, and updates the objects' status (sqlite_vs.c). Errors: ERR_DB. */
int sqlite_vs_count(struct sqlite_conn *c, const char *project, const char *vs,
		    const char *batch, const char *from, const char *to, int64_t usage)
	MUST_CHECK;

/* Detaches file from every vector store of project, when the File is deleted. */
int sqlite_vs_forget(struct sqlite_conn *c, const char *project, const char *file) MUST_CHECK;

/* Removes the files, chunks and index entries of vector store vs (sqlite_vs.c), when the
 * store object is deleted. */
int sqlite_vs_drop(struct sqlite_conn *c, const char *project, const char *vs) MUST_CHECK;

/* The word that scopes vector store vs's chunks in the keyword index: its id without the
 * "vs_" prefix (borrowed from vs). */
const char *sqlite_vs_scope(const char *vs);

/* A search's attribute filter compiled to SQL (sqlite_filter.c): the condition text, and the
 * values bound to parameters first, first + 1, ... */
struct fsql {
	struct buf b;    /* the condition ("1" without a filter) */
	int first;       /* the number of the first parameter */
	const jv **vals; /* the JSON scalar bound to parameter first + i */
	char **paths;    /* or, when vals[i] is NULL, this JSON path */
	size_t n, cap;
};

/* Compiles filters (NULL: none) into f; free with sqlite_filter_cleanup even on failure.
 * Errors: ERR_INVALID (nested too deep). */
int sqlite_filter_compile(struct fsql *f, const jv *filters, int first) MUST_CHECK;
/* Binds f's values to s; returns a SQLite result code. */
int sqlite_filter_bind(sqlite3_stmt *s, const struct fsql *f);
void sqlite_filter_cleanup(struct fsql *f);

/* --- Keyword search terms (sqlite_terms.c) --- */
#ifndef SQ_BM25_K1 /* -D only to measure alternatives (BENCHMARKS.md) */
#define SQ_BM25_K1 1.2
#endif
#ifndef SQ_BM25_B
#define SQ_BM25_B 0.75
#endif
#define SQ_WORD_MAX 64
#ifndef SQ_CANDIDATE_BUDGET
#define SQ_CANDIDATE_BUDGET 500 /* postings the essential words start with (terms.h) */
#endif
/* The FTS5 tokenizer of the keyword index: its name, then its arguments (BENCHMARKS.md says
 * why). Fixed once a database is made; -D overrides it only for measuring alternatives. */
#ifndef SQ_FTS_TOKENIZE
#define SQ_FTS_TOKENIZE "porter unicode61 remove_diacritics 2"
#endif

void sqlite_vocab_init(struct sqlite_store *st);
void sqlite_vocab_cleanup(struct sqlite_store *st);
/* The document frequency of each query word in the keyword index's text column into
 * dfs[0..n): from the in-memory vocabulary (read again when stale), or -1 for a word it
 * cannot answer for (the caller counts those). *rows receives the number of chunks indexed.
 * Errors: ERR_DB. */
int sqlite_vocab_dfs(struct sqlite_store *st, struct sqlite_conn *c, const char *const *words,
		     size_t n, int64_t *dfs, int64_t *rows) MUST_CHECK;
/* Looks up (or counts) each word's document frequency and splits the words (terms.h). Words
 * that could not be quoted are left out. Free p with terms_cleanup. Errors: ERR_DB. */
int sqlite_terms_plan(struct sqlite_store *st, struct sqlite_conn *c, const char *const *words,
		      size_t n, struct terms_plan *p) MUST_CHECK;
/* The FTS5 expression for the plan within the scope words and the matching
 * document-frequency argument of assistd_bm25. Both owned. */
int sqlite_terms_match(const struct terms_plan *p, const char *const *scopes, size_t nscopes,
		       char **match, char **dfs) MUST_CHECK;

/* Registers the keyword index's functions on c->db (sqlite_rank.c): assistd_bm25(chunks_fts,
 * skip, dfs), the score, and assistd_rows(chunks_fts), the number of chunks indexed; sets
 * c->fts. Errors: ERR_DB. */
int sqlite_rank_register(struct sqlite_conn *c) MUST_CHECK;

/* An instance of the keyword index's tokenizer (SQ_FTS_TOKENIZE) on a connection. */
struct sq_tokenizer {
	fts5_tokenizer api;
	Fts5Tokenizer *inst;
};

/* Creates one (sqlite_rank.c); close it with sqlite_tokenizer_close. Errors: ERR_DB. */
int sqlite_tokenizer_open(struct sqlite_conn *c, struct sq_tokenizer *tk) MUST_CHECK;
void sqlite_tokenizer_close(struct sq_tokenizer *tk);

/* The cache of vectors (sqlite_vec.c): made at store_open, freed at store_close. */
struct vec_cache *sqlite_vec_cache_new(void);
void sqlite_vec_cache_free(struct vec_cache *vc);
/* Binds vec (dims floats) as a blob at parameter i, or NULL when vec is NULL; a result code. */
int sqlite_vec_bind(sqlite3_stmt *s, int i, const float *vec, int dims);

/* --- Change notifications (sqlite_notify.c) --- */
void sqlite_notify_init(struct sqlite_store *st);
/* Stops the watch thread and ends every registration left. */
void sqlite_notify_cleanup(struct sqlite_store *st);
/* Records topic inside the write transaction on c, for the other processes' watch threads.
 * Errors: ERR_DB. */
int sqlite_notify_in(struct sqlite_store *st, struct sqlite_conn *c, const char *topic)
	MUST_CHECK;
/* Calls this process's watchers with topic; after the transaction that recorded it
 * committed. */
void sqlite_notify_local(struct sqlite_store *st, const char *topic);

/* Brings the schema of db up to date (sqlite_migrate.c). Errors: ERR_DB. */
int sqlite_migrate(sqlite3 *db) MUST_CHECK;

#endif
