/* pg_vs_int.h - what the PostgreSQL store's vector-store files share (pg_vs*.c, pg_search*.c,
 * pg_vec*.c), beside the backend operations pg_int.h declares: the store lock and counters,
 * statements with many or binary parameters, the compiled attribute filter, the node's state
 * (its id, its job claims, the vector cache) and the schema. Private to src/store. */
#ifndef ASSISTD_PG_VS_INT_H
#define ASSISTD_PG_VS_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "pg_int.h"
#include "vec_mem.h"
#include "vecstore.h"
#include "vstore.h"

/* Locks vector store vs's object row until the transaction on c ends: every change to a
 * store's files does so first (pg_vs.c). Errors: ERR_NOT_FOUND (no such store), ERR_DB. */
int pg_vs_lock(struct pg_conn *c, const char *project, const char *vs) MUST_CHECK;
/* Moves one file of vs (and of batch, when not NULL) from counter `from` to counter `to`
 * (statuses; NULL from: a new file, NULL to: a file removed) and adds usage to the store's
 * usage_bytes, in the objects' JSON. Errors: ERR_DB. */
int pg_vs_move(struct pg_conn *c, const char *project, const char *vs, const char *batch,
	       const char *from, const char *to, int64_t usage) MUST_CHECK;

/* --- Statements (pg_vs_sql.c) --- */

/* Runs sql (uncached) with parameters from the arguments, one per character of types: 's'
 * const char * (NULL: NULL), 'i' int64_t; at most PG_ARGS_MAX. *res (NULL when the rows are
 * not wanted) receives the owned result. Errors as pg_query. */
int pgv_query(struct pg_conn *c, PGresult **res, const char *what, const char *sql,
	      const char *types, ...) MUST_CHECK;

/* The parameters of a statement with many, or binary, parameters: $1 first. */
#define PGV_PARAMS_MAX 1024
struct pgv_params {
	const char *vals[PGV_PARAMS_MAX];
	int lens[PGV_PARAMS_MAX];
	int fmts[PGV_PARAMS_MAX];
	char *owned[PGV_PARAMS_MAX]; /* the texts of numbers */
	int n;
};

void pgv_params_init(struct pgv_params *p);
void pgv_params_cleanup(struct pgv_params *p);
/* Adds a NUL-terminated text (NULL: SQL NULL), borrowed until the statement ran. */
void pgv_param_str(struct pgv_params *p, const char *s);
void pgv_param_int(struct pgv_params *p, int64_t v);
void pgv_param_double(struct pgv_params *p, double v);
/* Adds len bytes at data in binary (NULL: SQL NULL), borrowed; as text, no NUL inside. */
void pgv_param_bin(struct pgv_params *p, const void *data, size_t len);

/* Runs sql with p's parameters; with binary, every result column comes in binary (int8 as 8
 * big-endian bytes, text and bytea as they are). *res (NULL when the rows are not wanted)
 * receives the owned result. Errors as pg_query. */
int pgv_exec(struct pg_conn *c, PGresult **res, const char *what, const char *sql,
	     const struct pgv_params *p, bool binary) MUST_CHECK;
/* A big-endian 64-bit integer, as binary results send int8. */
int64_t pgv_be64(const char *p);
/* The text of a text[] parameter holding items[i] for each i that take marks (NULL: all).
 * Owned. */
char *pgv_text_array(const char *const *items, size_t n, const bool *take);

/* The schema of vector-store files, chunks and the keyword index: one migration's SQL
 * (pg_vs_schema.c). */
extern const char pg_vs_schema[];

/* A search's attribute filter compiled to a SQL condition on "f.body" (pg_search_filter.c),
 * with its values in params first, first + 1, ... (all text: numbers are cast in the SQL). */
struct pg_fsql {
	struct buf b;     /* the condition ("true" without a filter) */
	int first;        /* the number of the first parameter */
	char **vals;      /* owned texts of parameters first + i */
	size_t n, cap;
};

/* Compiles filters (NULL: none); free with pg_filter_cleanup even on failure. Errors:
 * ERR_INVALID (nested too deep). */
int pg_filter_compile(struct pg_fsql *f, const jv *filters, int first) MUST_CHECK;
void pg_filter_cleanup(struct pg_fsql *f);

/* --- The keyword index's document frequencies, cached on the node (pg_search_df.c) --- */

/* Owned: free with pg_df_free (NULL is fine). */
struct pg_df_cache *pg_df_new(void);
void pg_df_free(struct pg_df_cache *dc);
/* Fills df[i] with the number of chunks (in any store) holding lexeme lex[i], for n lexemes:
 * from dc, or counted on c and kept. rows and tokens are chunk_stats as the caller just read
 * it: counts made at other values are used only while young. Errors: ERR_DB. */
int pg_df_get(struct pg_df_cache *dc, struct pg_conn *c, const char *const *lex, size_t n,
	      int64_t rows, int64_t tokens, int64_t *df) MUST_CHECK;

/* --- The vector-store side's state in a PostgreSQL store --- */

struct pg_vs_state {
	struct pg_vec_cache *vec; /* owned */
	struct pg_df_cache *df;   /* owned: the keyword index's document frequencies */
	char node[40];            /* this process's name in job claims: host, pid, random */
	char *conninfo;           /* owned: the database URL */
	pthread_mutex_t claim_mu; /* guards claims */
	PGconn *claims;           /* owned: holds this node's job claims (pg_vs_claim.c) */
};

/* Made by pg_open once the schema is up to date (owned: free with pg_vs_close, before the
 * store's notifications are cleaned up): conninfo is the database URL, for the claims
 * connection; the vector cache watches st's change notifications. */
struct pg_vs_state *pg_vs_open(struct store *st, const char *conninfo);
void pg_vs_close(struct pg_vs_state *s);

/* Drops this node's copy of vs's vectors after this node changed its chunks, so that its
 * next search sees the change without waiting for the notification (pg_vec_listen.c). */
void pg_vs_changed(struct pg_store *ps, const char *project, const char *vs);

/* Claims job j for this node: false when another node holds it (pg_vs_claim.c). */
bool pg_claim_take(struct pg_vs_state *s, const struct vs_job *j);
/* Gives up this node's claim on j (when the job ended, or turned out gone). */
void pg_claim_drop(struct pg_vs_state *s, const struct vs_job *j);

/* The vector cache (pg_vec_listen.c): it watches st's change notifications and drops a
 * store's copy when one names it. Owned: free with pg_vec_cache_free. */
struct pg_vec_cache *pg_vec_cache_new(struct store *st);
void pg_vec_cache_free(struct pg_vec_cache *pc);
/* The copies (borrowed). */
struct vec_cache *pg_vec_cache_mem(struct pg_vec_cache *pc);
/* Sets *epoch to the count of changes announced so far; true while the listener listens (a
 * copy may be cached only then, and only if the epoch did not move while it loaded). */
bool pg_vec_cache_epoch(struct pg_vec_cache *pc, uint64_t *epoch);

#endif
