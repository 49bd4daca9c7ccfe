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
	STORE_EXPECT_LEASE,  /* fail with ERR_LEASE unless run obj.id is leased to op.lease
				(ERR_NOT_FOUND when the run is gone): fences a node's writes */
	STORE_SET_LEASE,     /* lease run obj.id to op.lease until op.lease_until; a NULL
				lease releases it */
	STORE_SET_RUN_ORIGIN, /* record on run obj.id what it was created with that only the
				 server reads (op.run_key, op.run_include; store_run_origin) */
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
	/* STORE_EXPECT_LEASE, STORE_SET_LEASE: the lease owner (a node's id, see
	 * store_lease_claim) and, for STORE_SET_LEASE, its expiry in Unix milliseconds. */
	const char *lease;
	int64_t lease_until;
	/* STORE_SET_RUN_ORIGIN: the hash of the API key that created the run (NULL: none, open
	 * mode) and what its create's include[] asked for (STORE_INCLUDE_* flags). */
	const char *run_key;
	int64_t run_include;
};

/* include[] values of a run's create, as STORE_SET_RUN_ORIGIN records them. */
#define STORE_INCLUDE_CONTENT 1 /* file_search result contents in step details */

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

/* --- Run leases and commands (sqlite_lease.c) ---
 * A run is driven by one node at a time: the one holding its lease (owner, expiry in Unix
 * milliseconds). A run is born leased to the node that creates it (STORE_SET_LEASE in the
 * create's batch); the owner renews all its leases at once while it works and releases each
 * one when the run stops moving; another node claims a run whose lease lapsed. */
struct store_claim {
	const char *owner;  /* the claiming node's lease owner id, "<node>#<boot>" */
	const char *former; /* NULL, or "<node>#": leases of a former process of this node
			       are taken at once (it is dead: this node's name is its own) */
	int64_t now;        /* Unix ms */
	int64_t until;      /* the new lease's expiry, Unix ms */
	bool parked;        /* also take a run in requires_action (it holds no model call)
			       from a live owner */
};

/* Leases run_id of project to c->owner when it is free, lapsed, already c->owner's or
 * claimable as c says; *got tells whether it is now c->owner's. Errors: ERR_DB. */
int store_lease_claim(struct store *st, const char *project, const char *run_id,
		      const struct store_claim *c, bool *got) MUST_CHECK;
/* Moves the expiry of every lease owner holds to until (Unix ms), in one statement; *held
 * receives how many runs it holds. Errors: ERR_DB. */
int store_lease_renew(struct store *st, const char *owner, int64_t until, int64_t *held)
	MUST_CHECK;
/* The active runs (any project) c->owner could claim under c (parked aside), oldest
 * first, at most limit. Fills *out (ids and bodies) and *projects as store_runs_by_status.
 * Errors: ERR_DB. */
int store_lease_lapsed(struct store *st, const struct store_claim *c, int limit,
		       struct store_list *out, char ***projects) MUST_CHECK;
/* *owner receives the owner of run_id's lease (owned; NULL when nobody holds it). Errors:
 * ERR_NOT_FOUND, ERR_DB. */
int store_lease_owner(struct store *st, const char *project, const char *run_id,
		      char **owner) MUST_CHECK;

/* What run_id was created with (STORE_SET_RUN_ORIGIN), for a node that loads it: *key_hash
 * (owned; NULL when none was recorded) and *include (STORE_INCLUDE_* flags). Never part of
 * the run's body: the API does not show them. Errors: ERR_NOT_FOUND, ERR_DB. */
int store_run_origin(struct store *st, const char *project, const char *run_id,
		     char **key_hash, int64_t *include) MUST_CHECK;

/* code_interpreter sessions: the node holding thread_id's live sandbox session, kept in the
 * thread's lease columns (renewed with the owner's run leases by store_lease_renew, gone
 * with the thread). Hold records owner as the holder until until (Unix ms). Errors:
 * ERR_NOT_FOUND (no such thread), ERR_DB. */
int store_session_hold(struct store *st, const char *project, const char *thread_id,
		       const char *owner, int64_t until) MUST_CHECK;
/* *owner receives the holder of thread_id's session whose hold has not lapsed at now (Unix
 * ms; owned), or NULL. Errors: ERR_DB. */
int store_session_owner(struct store *st, const char *project, const char *thread_id,
			int64_t now, char **owner) MUST_CHECK;

/* A command for another node: a cancel for the node driving a run, a run handed to the
 * node of its thread's code_interpreter session, the end of a deleted thread's session. */
struct store_cmd {
	char *id;
	char *project;
	char *run_id;
	char *kind;  /* "cancel", "start", "end" (run_id is then a thread's id): engine's lease.c */
};

/* Topics of commands (see store_watch). Posting a command announces STORE_TOPIC_CMD and the
 * owner (store_cmd_topic), answering it STORE_TOPIC_ANSWER and its id, in the same
 * transaction; STORE_TOPIC_CMD_ALL asks every node to read its commands and count its leases
 * (a thread was deleted: its runs' leases went with it). */
#define STORE_TOPIC_CMD "cmd:"
#define STORE_TOPIC_CMD_ALL STORE_TOPIC_CMD "*"
#define STORE_TOPIC_ANSWER "answer:"

/* Writes to topic (STORE_TOPIC_MAX + 1 bytes) the topic announced with the commands posted
 * to owner: STORE_TOPIC_CMD and owner, cut to fit (a wake-up shared by two owners with one
 * long prefix costs the other one read). */
void store_cmd_topic(char *topic, const char *owner);
/* Posts command id (unique, made by the caller) of kind for run_id to the node owner, and
 * announces it (store_cmd_topic). Errors: ERR_DB. */
int store_cmd_post(struct store *st, const char *id, const char *project, const char *run_id,
		   const char *owner, const char *kind, int64_t now) MUST_CHECK;
/* The commands posted to owner and not yet answered, oldest first (*cmds owned: free with
 * store_cmds_free), and in *held how many run leases owner holds (fewer than it thinks:
 * a run was deleted with its thread, or taken over). Reads every write committed so far.
 * Errors: ERR_DB. */
int store_cmd_take(struct store *st, const char *owner, struct store_cmd **cmds, size_t *n,
		   int64_t *held) MUST_CHECK;
void store_cmds_free(struct store_cmd *cmds, size_t n);
/* Answers command id: err (0 for success) and answer (the run's JSON, or the error's
 * message; may be NULL), and announces STORE_TOPIC_ANSWER and id. Errors: ERR_DB. */
int store_cmd_answer(struct store *st, const char *id, int err, const char *answer)
	MUST_CHECK;
/* Removes the commands posted before before (Unix s), answered or not: their node died
 * before reading them (a "start" for a node gone), or their poster before reading the
 * answer. *removed (may be NULL) receives how many. Errors: ERR_DB. */
int store_cmd_prune(struct store *st, int64_t before, int64_t *removed) MUST_CHECK;
/* Reads command id's answer: *done false while it has none; else *err and *answer (owned,
 * may be NULL) are the answer's, and the command is removed. Errors: ERR_NOT_FOUND, ERR_DB. */
int store_cmd_result(struct store *st, const char *id, bool *done, int *err, char **answer)
	MUST_CHECK;
/* Removes command id whether answered or not (a poster that gives up). Errors: ERR_DB. */
int store_cmd_remove(struct store *st, const char *id) MUST_CHECK;

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

/* --- Change notifications ---
 * A topic is a short string ("run:<id>"...; at most STORE_TOPIC_MAX bytes) that a writer
 * announces and every watcher, on every node sharing the store, receives once the writing
 * transaction has committed. On SQLite, watchers in this process are called at once, on the
 * notifying thread; those in other processes on the same data directory within about
 * STORE_WATCH_POLL_MS (50 ms until the first topic of another process: a server alone on its
 * data directory looks less often), on the store's watch thread, which runs only while
 * someone watches.
 * On PostgreSQL, topics are NOTIFYs on one channel, which one connection per store handle
 * LISTENs to (its thread delivers them all, this process's too). Delivery is a wake-up, not
 * a queue: a topic may arrive more than once, so receivers re-read the store; when topics may
 * have been missed (PostgreSQL's listening connection broke and came back), STORE_TOPIC_ALL
 * is delivered: everything may have changed. */
#define STORE_TOPIC_MAX 96
#define STORE_WATCH_POLL_MS 5
#define STORE_TOPIC_ALL "*"

/* Called with each topic (borrowed for the call) on the notifying thread or the store's
 * watch thread: it must be quick (post to a loop, signal a condition variable). */
typedef void store_watch_fn(void *ctx, const char *topic);

/* Announces topic to every watcher, after a write of its own. Errors: ERR_INVALID (topic
 * too long), ERR_DB. */
int store_notify(struct store *st, const char *topic) MUST_CHECK;
/* Registers fn(ctx, topic) for every topic from now on. Returns the registration for
 * store_unwatch (owned by the store). */
void *store_watch(struct store *st, store_watch_fn *fn, void *ctx);
/* Ends a registration; when it returns, fn is not running and will not run again. Must not
 * be called from inside fn. */
void store_unwatch(struct store *st, void *registration);

/* --- The run event log ---
 * The server-sent events of runs, appended by the node that drives each run and read by
 * streams on any node. Ids grow with every append, in commit order, across all runs. A
 * run's log goes once STORE_EVENTS_KEEP_S have passed after its last event, when that one
 * was final (the run ended), and after STORE_EVENTS_MAX_S in any case. */
#define STORE_EVENTS_KEEP_S 600
#define STORE_EVENTS_MAX_S 86400

struct store_event {
	const char *project;
	const char *run_id;
	const char *name; /* "thread.run.created"... */
	const char *data; /* the JSON text */
	bool final;       /* the last event of a stretch (a terminal or requires_action one) */
};

/* Appends evs[0..n) (strings borrowed for the call), in order, and announces
 * topics[0..ntopics) in the same transaction; ids (when not NULL) receives each event's id,
 * ids[i] for evs[i]. Errors: ERR_INVALID (a topic too long), ERR_DB. */
int store_events_append(struct store *st, const struct store_event *evs, size_t n,
			const char *const *topics, size_t ntopics, int64_t *ids) MUST_CHECK;

struct store_logged {
	int64_t id;
	char *name; /* owned by the list */
	char *data; /* owned by the list */
	bool final;
};

struct store_events {
	struct store_logged *items; /* owned; n of them, oldest first */
	size_t n;
};

/* Reads up to limit events of run run_id in project with an id above after, oldest first,
 * from a snapshot that sees every committed write. Fills *out; free with
 * store_events_cleanup. Errors: ERR_DB. */
int store_events_read(struct store *st, const char *project, const char *run_id, int64_t after,
		      int limit, struct store_events *out) MUST_CHECK;
void store_events_cleanup(struct store_events *l);
/* Sets *id to the id of run_id's last event (0 when it has none). Errors: ERR_DB. */
int store_events_last(struct store *st, const char *project, const char *run_id, int64_t *id)
	MUST_CHECK;
/* Removes the logs that are past their time at now (Unix seconds; see above), and the
 * notifications older than a minute. Errors: ERR_DB. */
int store_events_prune(struct store *st, int64_t now) MUST_CHECK;
/* Limits set by the operator (`assistd limits`): rate limits per window and a token budget,
 * for one API key or one project. Read by every node (src/limits). */
enum store_limit_scope { STORE_LIMIT_KEY, STORE_LIMIT_PROJECT };

struct store_limit {
	enum store_limit_scope scope;
	char *subject;     /* the key's id ("key_...") or the project's name */
	char *key_hash;    /* store_limit_list, a key's limit: the key's hash; NULL when revoked
			    * or unknown, and for projects */
	int64_t requests;  /* requests per window; 0: no limit */
	int64_t runs;      /* runs created per window; 0: no limit */
	int64_t tokens;    /* run tokens (in + out) per period; 0: no budget */
	bool monthly;      /* the budget's period is the calendar month (UTC), else the day */
};

/* Sets (inserts or replaces) the limit of l->scope and l->subject. Errors: ERR_DB. */
int store_limit_set(struct store *st, const struct store_limit *l) MUST_CHECK;
/* Removes a limit. Errors: ERR_NOT_FOUND, ERR_DB. */
int store_limit_delete(struct store *st, enum store_limit_scope scope, const char *subject)
	MUST_CHECK;
/* Lists every limit, keys' first, each scope by subject. *out is owned: free with
 * store_limits_free. Errors: ERR_DB. */
int store_limit_list(struct store *st, struct store_limit **out, size_t *n) MUST_CHECK;
void store_limits_free(struct store_limit *l, size_t n);

/* One shared counter of a limit: what one subject used of one kind (STORE_COUNT_*) in the
 * window starting at win_ms (Unix milliseconds), shared by every node. */
enum store_count_kind { STORE_COUNT_REQUESTS, STORE_COUNT_RUNS, STORE_COUNT_TOKENS };

struct store_count {
	enum store_limit_scope scope;
	const char *subject;   /* borrowed */
	enum store_count_kind kind;
	int64_t win_ms;        /* the window's start */
	int64_t expires_ms;    /* after this the row may be removed */
	int64_t add;           /* this node's uncounted uses, added by store_count_sync */
	int64_t total;         /* out: the window's count, every node's uses, after the add */
};

/* Adds each counter's add to its shared row (one transaction; no write when every add is
 * 0) and reads the totals back into total; removes rows that expired before now_ms.
 * Errors: ERR_DB (nothing was added). */
int store_count_sync(struct store *st, struct store_count *c, size_t n, int64_t now_ms)
	MUST_CHECK;

#endif
