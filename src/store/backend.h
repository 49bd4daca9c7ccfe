/* backend.h - the store as a table of operations: what a storage backend implements.
 *
 * Like curl's TLS backends: store.h's public functions (store.c) each forward to one member of
 * struct store_backend, the backend the store was opened with. A backend's own state is a
 * struct whose first member is a struct store, so the handle the rest of the server holds is
 * the backend's state too (sqlite_of and pg_of convert). Two backends exist: SQLite
 * (sqlite*.c, the default, one node) and PostgreSQL (pg*.c, any number of nodes).
 *
 * Each operation has the contract of the public function of the same name in store.h,
 * vstore.h or vecstore.h. Private to src/store: the rest of the server sees only those
 * headers. */
#ifndef ASSISTD_STORE_BACKEND_H
#define ASSISTD_STORE_BACKEND_H

#include "store.h"
#include "vecstore.h"
#include "vstore.h"

struct store_backend {
	const char *name; /* "sqlite", "postgresql" */
	void (*close)(struct store *st);
	int (*ping)(struct store *st);
	/* objects (store.h) */
	int (*write)(struct store *st, const char *project, const struct store_op *ops,
		     size_t n);
	int (*get)(struct store *st, const char *project, enum store_kind kind, const char *id,
		   const char *parent, char **body, int64_t *version);
	int (*list)(struct store *st, const char *project, enum store_kind kind,
		    const char *parent, const struct store_page *pg, struct store_list *out);
	int (*runs_by_status)(struct store *st, const char *const *statuses, size_t n,
			      struct store_list *out, char ***projects);
	int (*expired)(struct store *st, const char *project, enum store_kind kind, int64_t now,
		       int limit, struct store_list *out, char ***projects);
	int (*id_exists)(struct store *st, enum store_kind kind, const char *id, bool *found);
	/* run leases and commands (store.h) */
	int (*lease_claim)(struct store *st, const char *project, const char *run_id,
			   const struct store_claim *c, bool *got);
	int (*lease_renew)(struct store *st, const char *owner, int64_t until, int64_t *held);
	int (*lease_lapsed)(struct store *st, const struct store_claim *c, int limit,
			    struct store_list *out, char ***projects);
	int (*lease_owner)(struct store *st, const char *project, const char *run_id,
			   char **owner);
	int (*cmd_post)(struct store *st, const char *id, const char *project,
			const char *run_id, const char *owner, const char *kind, int64_t now);
	int (*cmd_take)(struct store *st, const char *owner, struct store_cmd **cmds, size_t *n,
			int64_t *held);
	int (*cmd_answer)(struct store *st, const char *id, int err, const char *answer);
	int (*cmd_result)(struct store *st, const char *id, bool *done, int *err, char **answer);
	int (*cmd_remove)(struct store *st, const char *id);
	int (*cmd_prune)(struct store *st, int64_t before, int64_t *removed);
	int (*run_origin)(struct store *st, const char *project, const char *run_id,
			  char **key_hash, int64_t *include);
	int (*session_hold)(struct store *st, const char *project, const char *thread_id,
			    const char *owner, int64_t until);
	int (*session_owner)(struct store *st, const char *project, const char *thread_id,
			     int64_t now, char **owner);
	/* API keys (store.h) */
	int (*key_insert)(struct store *st, const struct store_key *key, const char *hash_hex);
	int (*key_project)(struct store *st, const char *hash_hex, char **project);
	int (*key_ever)(struct store *st, bool *ever);
	int (*key_list)(struct store *st, struct store_key **keys, size_t *n);
	int (*key_revoke)(struct store *st, const char *id, int64_t now);
	/* limits per key or project and their shared counters (store.h) */
	int (*limit_set)(struct store *st, const struct store_limit *l);
	int (*limit_delete)(struct store *st, enum store_limit_scope scope, const char *subject);
	int (*limit_list)(struct store *st, struct store_limit **out, size_t *n);
	int (*count_sync)(struct store *st, struct store_count *c, size_t n, int64_t now_ms);
	/* vector store files, jobs and chunks (vstore.h) */
	int (*vsf_attach)(struct store *st, const char *project, const char *vs,
			  const struct store_obj *create, const char *batch,
			  const struct vsf_new *files, size_t n);
	int (*vsf_get)(struct store *st, const char *project, const char *vs, const char *file,
		       char **body);
	int (*vsf_list)(struct store *st, const char *project, const char *vs, const char *batch,
			const char *status, const struct store_page *pg, struct store_list *out);
	int (*vsf_set_attributes)(struct store *st, const char *project, const char *vs,
				  const char *file, const char *attrs, char **body);
	int (*vsf_detach)(struct store *st, const char *project, const char *vs,
			  const char *file);
	int (*vsf_cancel_batch)(struct store *st, const char *project, const char *vs,
				const char *batch, char **body);
	int (*vs_touch)(struct store *st, const char *project, const char *vs, int64_t now,
			int64_t day_s);
	int (*vs_expire)(struct store *st, int64_t now);
	int (*jobs_next)(struct store *st, bool (*skip)(void *ctx, const struct vs_job *j),
			 void *ctx, struct vs_job *jobs, size_t max, size_t *n);
	int (*jobs_count)(struct store *st, int64_t *n);
	int (*chunks_clear)(struct store *st, const struct vs_job *j);
	int (*chunks_add)(struct store *st, const struct vs_job *j, int64_t first,
			  const struct store_chunk *c, size_t n);
	int (*chunks_compact)(struct store *st, bool *more);
	int (*job_finish)(struct store *st, const struct vs_job *j, const char *status,
			  const char *code, const char *message, int64_t usage_bytes);
	int (*chunks_of)(struct store *st, const char *project, const char *vs,
			 const char *file, struct store_list *out);
	/* searches (vstore.h, vecstore.h) */
	int (*search)(struct store *st, const char *project, const struct store_search *q,
		      struct store_hit **hits, size_t *n);
	int (*vec_search)(struct store *st, const char *project, const struct store_vsearch *q,
			  struct store_hit **hits, size_t *n);
	/* change notifications and the run event log (store.h) */
	int (*notify)(struct store *st, const char *topic);
	void *(*watch)(struct store *st, store_watch_fn *fn, void *ctx);
	void (*unwatch)(struct store *st, void *registration);
	int (*events_append)(struct store *st, const struct store_event *evs, size_t n,
			     const char *const *topics, size_t ntopics, int64_t *ids);
	int (*events_read)(struct store *st, const char *project, const char *run_id,
			   int64_t after, int limit, struct store_events *out);
	int (*events_last)(struct store *st, const char *project, const char *run_id,
			   int64_t *id);
	int (*events_prune)(struct store *st, int64_t now);
};

/* The handle every caller holds: the first member of each backend's state. */
struct store {
	const struct store_backend *be;
};

/* Opens the SQLite store in dir (sqlite.c), as store_open does. */
int sqlite_open(const char *dir, struct store **out) MUST_CHECK;
/* store_backup for the SQLite store in dir (sqlite_backup.c). */
int sqlite_backup_dir(const char *dir, const char *dest) MUST_CHECK;

/* Opens the PostgreSQL store at url (pg.c), as store_open_url does. */
int pg_open(const char *url, struct store **out) MUST_CHECK;

/* The name kind is stored under in objects.kind, the same in every backend. */
const char *store_kind_name(enum store_kind kind);

/* The rules both backends enforce in their write transactions (store.c). */
/* Which kinds live under which. Deleting an object deletes its children and their children:
 * the tree is two levels deep (thread -> run -> step), and the backends' deletes rely on
 * that. Deleting a file is the place to also detach it from whatever refers to it by id. */
struct store_edge {
	enum store_kind parent;
	enum store_kind child;
};
#define STORE_TREE_LEN 4
extern const struct store_edge store_tree[STORE_TREE_LEN];
/* Sets *parent to the kind child hangs under; false for top-level kinds. */
bool store_parent_kind(enum store_kind child, enum store_kind *parent);
/* Fails with ERR_INTERNAL when replacing the stored status old (a name, "" for none) with
 * o's is a move the status table (base/status.h) does not list: that write would be a bug.
 * Staying put and statuses the table does not know (none, for older rows) pass. */
int store_check_move(const struct store_obj *o, const char *old) MUST_CHECK;

/* What the database holds under the id a put is about to write. */
struct store_stored {
	bool found;      /* some object of the project has this id */
	bool same;       /* and it has the put's kind and parent */
	int64_t version; /* its version, when found */
	char status[32]; /* its status column, "" when NULL */
};

/* Fills *s from a stored row's kind, parent, version and status (NULL for SQL NULL) for a put
 * of o. */
void store_stored_fill(struct store_stored *s, const struct store_obj *o, const char *kind,
		       const char *parent, int64_t version, const char *status);
/* Decides what a put of op does over old (old is not read when expect_version < 0): sets
 * *insert (a new row) and returns 0 when the put goes ahead, as an insert or a replace; else
 * returns the put's error (ERR_NOT_FOUND, ERR_CONFLICT, ERR_INTERNAL: see store_op). */
int store_put_decide(const struct store_op *op, const struct store_stored *old, bool *insert)
	MUST_CHECK;

/* Calls del(ctx, kind, via, id) for each set of objects that deleting object id of kind
 * removes below it, deepest first: the objects of kind under its children of kind via, then
 * its children of kind (via is STORE_KIND_COUNT). Stops at the first error and returns it. */
int store_delete_below(enum store_kind kind, const char *id,
		       int (*del)(void *ctx, enum store_kind kind, enum store_kind via,
				  const char *id),
		       void *ctx) MUST_CHECK;

/* Reverses the items of l: a page read backwards from `before` into page order. */
void store_list_reverse(struct store_list *l);

/* Frees the hits' strings and empties the list (keeping the array). */
void store_hits_clear(struct store_hit *hits, size_t *n);

#endif
