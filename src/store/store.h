/* store.h - the storage interface: every object the API serves lives behind it.
 *
 * The store keeps API objects as JSON documents (the exact body the API returns) plus a few
 * indexed columns it needs to find, order and guard them. It never interprets the bodies.
 * Every call is scoped by a project: an object of another project does not exist.
 * The API layer never writes SQL. Each function forwards to the backend the store was opened
 * with (backend.h, store.c): SQLite (sqlite*.c) or PostgreSQL (pg*.c).
 * All functions are thread-safe: callers on any thread share one struct store. */
#ifndef ASSISTD_STORE_H
#define ASSISTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

struct store;

enum store_kind {
	STORE_ASSISTANT,
	STORE_THREAD,
	STORE_MESSAGE, /* parent: thread id */
	STORE_RUN,     /* parent: thread id */
	STORE_STEP,    /* parent: run id */
	STORE_FILE,    /* metadata only: the bytes are blobs (blob.h); tag: the purpose */
	STORE_VECTOR_STORE, /* its files and chunks live beside it (vstore.h) */
	STORE_VS_BATCH,     /* parent: vector store id */
	STORE_KIND_COUNT
};

/* One object. All strings are borrowed for the duration of the call. */
struct store_obj {
	enum store_kind kind;
	const char *id;
	const char *parent;  /* see enum store_kind; NULL for top-level kinds */
	const char *run_id;  /* messages: the run that wrote it, or NULL */
	const char *status;  /* runs and steps: the status ("queued", ...); NULL for others */
	const char *tag;     /* a label lists can filter on (files: the purpose), or NULL */
	int64_t expires_at;  /* Unix seconds after which the object is gone; 0: never */
	int64_t created_at;  /* Unix seconds */
	const char *body;    /* the JSON document, NUL-terminated */
	int64_t version;     /* store_get fills it; 1 for a new object, +1 on every put */
};

/* Writes are batches of operations applied atomically: all or nothing. */
enum store_op_type {
	STORE_PUT,           /* insert, or replace by id (see expect_version) */
	STORE_DELETE,        /* delete obj.id of obj.kind and everything below it */
	STORE_EXPECT_EXISTS, /* fail with ERR_NOT_FOUND unless obj.kind/obj.id exists */
	STORE_EXPECT_IDLE,   /* fail with ERR_CONFLICT if thread obj.id has an active run
				(status_run_active: queued, in_progress, requires_action,
				cancelling) */
};

struct store_op {
	enum store_op_type type;
	struct store_obj obj;
	/* STORE_PUT only: -1 the id must be new (else ERR_CONFLICT); 0 insert or replace;
	 * n > 0 replace only if the stored version is n (else ERR_CONFLICT, or ERR_NOT_FOUND
	 * when the object is gone). A put that creates a message, run or step fails with
	 * ERR_NOT_FOUND unless its parent exists; a replace that moves a run's or step's
	 * status in a way base/status.h does not allow fails with ERR_INTERNAL. */
	int64_t expect_version;
};

#define STORE_LIST_MAX 10000

/* Page request for store_list. after/before are object ids (or NULL); an id that is not in
 * the listed collection gives ERR_INVALID. Objects are ordered by creation (created_at, then
 * insertion order): ascending when desc is false. */
struct store_page {
	int limit;            /* 1..STORE_LIST_MAX (the API layer applies each list's own cap) */
	bool desc;
	const char *after;    /* return objects after this id in the chosen order */
	const char *before;   /* return objects before this id in the chosen order */
	const char *run_id;   /* messages only: keep those with this run_id; NULL for all */
	const char *tag;      /* keep those with this tag (see store_obj); NULL for all */
	/* Keep those whose body's "metadata" object has meta_key set to meta_value; NULL for
	 * all. Both or neither. */
	const char *meta_key, *meta_value;
};

struct store_item {
	char *id;   /* owned by the list */
	char *body; /* owned by the list */
};

struct store_list {
	struct store_item *items; /* owned; n of them, in page order */
	size_t n;
	bool has_more; /* more objects exist past the last item in the same direction */
};

/* Opens (creating if needed) the store in directory dir and brings its schema up to date.
 * On success *out is owned by the caller: close with store_close. Errors: ERR_DB with the
 * reason logged. */
int store_open(const char *dir, struct store **out) MUST_CHECK;
/* Opens the store the database URL names: NULL or "" is the SQLite store in dir (as
 * store_open); "postgres://..." or "postgresql://..." (libpq's URI syntax) is PostgreSQL,
 * whose schema is brought up to date too. Errors: ERR_INVALID (an unknown scheme), ERR_DB
 * (logged). */
int store_open_url(const char *url, const char *dir, struct store **out) MUST_CHECK;
/* True when url names a PostgreSQL database (see store_open_url). */
bool store_url_pg(const char *url);
/* Closes the store; all calls must have returned. NULL is a no-op. */
void store_close(struct store *st);
/* Runs a trivial query: 0 when the store answers. Errors: ERR_DB (logged). */
int store_ping(struct store *st) MUST_CHECK;
/* Writes a consistent copy of the store in directory dir to the new database file dest,
 * while a server may be using it (another process too). Errors: ERR_NOT_FOUND (no store in
 * dir), ERR_INVALID (path too long), ERR_DB (logged). */
int store_backup(const char *dir, const char *dest) MUST_CHECK;

/* Applies ops[0..n) atomically in project. Errors: ERR_NOT_FOUND, ERR_CONFLICT, ERR_DB. */
int store_write(struct store *st, const char *project, const struct store_op *ops, size_t n)
	MUST_CHECK;
/* Convenience for a one-op batch. */
int store_put(struct store *st, const char *project, const struct store_obj *obj,
	      int64_t expect_version) MUST_CHECK;
int store_delete(struct store *st, const char *project, enum store_kind kind, const char *id,
		 const char *parent) MUST_CHECK;

/* Fetches one object. parent, when not NULL, must match the stored parent (else
 * ERR_NOT_FOUND). On success *body is an owned string (free with free()) and *version, when
 * not NULL, is the stored version. Errors: ERR_NOT_FOUND, ERR_DB. */
int store_get(struct store *st, const char *project, enum store_kind kind, const char *id,
	      const char *parent, char **body, int64_t *version) MUST_CHECK;

/* Lists objects of kind under parent (NULL for top-level kinds). Fills *out; free it with
 * store_list_cleanup. Errors: ERR_INVALID (unknown cursor id), ERR_DB. */
int store_list(struct store *st, const char *project, enum store_kind kind, const char *parent,
	       const struct store_page *pg, struct store_list *out) MUST_CHECK;
void store_list_cleanup(struct store_list *l);

/* The ids of runs in any project whose status is one of statuses[0..n), oldest first, for
 * resuming work after a restart. Fills *out (bodies included); free with store_list_cleanup.
 * *projects receives an owned array of n owned project names, parallel to out->items (free
 * each, then the array). */
int store_runs_by_status(struct store *st, const char *const *statuses, size_t n,
			 struct store_list *out, char ***projects) MUST_CHECK;

/* Objects of kind (in any project when project is NULL) whose expires_at is set and not after
 * now, oldest first, at most limit of them: for removing what has expired. Fills *out (bodies
 * included); free with store_list_cleanup. *projects receives an owned array of out->n owned
 * project names, parallel to out->items. Errors: ERR_DB. */
int store_expired(struct store *st, const char *project, enum store_kind kind, int64_t now,
		  int limit, struct store_list *out, char ***projects) MUST_CHECK;
/* Sets *found to whether an object of kind with this id exists in any project (for sweeping
 * blobs that lost their row). Errors: ERR_DB. */
int store_id_exists(struct store *st, enum store_kind kind, const char *id, bool *found)
	MUST_CHECK;
/* Frees an array of n owned project names from store_runs_by_status or store_expired. */
void store_projects_free(char **projects, size_t n);

/* API keys. Keys are stored only as SHA-256 hex hashes. */
struct store_key {
	char *id;         /* "key_..." */
	char *project;
	char *hint;       /* the key's first and last characters, "sk-assistd-Ab...xY" */
	int64_t created_at;
	int64_t revoked_at; /* 0 while active */
};

int store_key_insert(struct store *st, const struct store_key *key, const char *hash_hex)
	MUST_CHECK;
/* Finds the active key with this hash. On success *project is owned (free with free()).
 * Errors: ERR_AUTH when no active key has that hash, ERR_DB. */
int store_key_project(struct store *st, const char *hash_hex, char **project) MUST_CHECK;
/* Sets *ever to whether a key was ever created in this store, revoked or not: once true,
 * the API is never open again. */
int store_key_ever(struct store *st, bool *ever) MUST_CHECK;
/* Lists all keys, oldest first. *keys is owned: free with store_keys_free. */
int store_key_list(struct store *st, struct store_key **keys, size_t *n) MUST_CHECK;
void store_keys_free(struct store_key *keys, size_t n);
/* Revokes the key with this id. Errors: ERR_NOT_FOUND, ERR_DB. */
int store_key_revoke(struct store *st, const char *id, int64_t now) MUST_CHECK;

#endif
