/* store.c - the public functions of store.h, vstore.h and vecstore.h: opening a store with
 * the backend its URL names, then one-line dispatchers to that backend's operations
 * (backend.h), and the frees every backend's results share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/status.h"
#include "backend.h"

/* objects.kind values, indexed by enum store_kind. Stored in the database: never rename. */
static const char *const kind_names[STORE_KIND_COUNT] = {
	[STORE_ASSISTANT] = "assistant",
	[STORE_THREAD] = "thread",
	[STORE_MESSAGE] = "message",
	[STORE_RUN] = "run",
	[STORE_STEP] = "step",
	[STORE_FILE] = "file",
	[STORE_VECTOR_STORE] = "vector_store",
	[STORE_VS_BATCH] = "vector_store_batch",
};

const char *store_kind_name(enum store_kind kind)
{
	if ((unsigned)kind >= STORE_KIND_COUNT)
		return "invalid";
	return kind_names[kind];
}

const struct store_edge store_tree[STORE_TREE_LEN] = {
	{ STORE_THREAD, STORE_MESSAGE },
	{ STORE_THREAD, STORE_RUN },
	{ STORE_RUN, STORE_STEP },
	{ STORE_VECTOR_STORE, STORE_VS_BATCH },
};

bool store_parent_kind(enum store_kind child, enum store_kind *parent)
{
	for (size_t i = 0; i < STORE_TREE_LEN; i++) {
		if (store_tree[i].child == child) {
			*parent = store_tree[i].parent;
			return true;
		}
	}
	return false;
}

int store_check_move(const struct store_obj *o, const char *old)
{
	enum run_status run_from, run_to;
	enum step_status step_from, step_to;
	bool ok = true;

	if (!o->status || strcmp(old, o->status) == 0)
		return 0;
	if (o->kind == STORE_RUN && !status_run_parse(old, &run_from) &&
	    !status_run_parse(o->status, &run_to))
		ok = status_run_legal(run_from, run_to);
	if (o->kind == STORE_STEP && !status_step_parse(old, &step_from) &&
	    !status_step_parse(o->status, &step_to))
		ok = status_step_legal(step_from, step_to);
	if (!ok)
		log_error("store: refused to move %s from %s to %s", o->id, old, o->status);
	return ok ? 0 : ERR_INTERNAL;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

void store_stored_fill(struct store_stored *s, const struct store_obj *o, const char *kind,
		       const char *parent, int64_t version, const char *status)
{
	s->found = true;
	s->same = str_eq(kind, store_kind_name(o->kind)) && str_eq(parent, o->parent);
	s->version = version;
	snprintf(s->status, sizeof(s->status), "%s", status ? status : "");
}

int store_put_decide(const struct store_op *op, const struct store_stored *old, bool *insert)
{
	*insert = op->expect_version < 0 || (!old->found && op->expect_version == 0);
	if (*insert)
		return 0;
	if (!old->found)
		return ERR_NOT_FOUND;
	/* The id is taken by an object of another kind or collection: the object the put
	 * addresses does not exist, and its id cannot be used. */
	if (!old->same)
		return op->expect_version == 0 ? ERR_CONFLICT : ERR_NOT_FOUND;
	if (op->expect_version > 0 && old->version != op->expect_version)
		return ERR_CONFLICT;
	return store_check_move(&op->obj, old->status);
}

int store_delete_below(enum store_kind kind, const char *id,
		       int (*del)(void *ctx, enum store_kind kind, enum store_kind via,
				  const char *id),
		       void *ctx)
{
	int err = 0;

	for (size_t i = 0; i < STORE_TREE_LEN && !err; i++) {
		if (store_tree[i].parent != kind)
			continue;
		for (size_t j = 0; j < STORE_TREE_LEN && !err; j++) {
			if (store_tree[j].parent == store_tree[i].child)
				err = del(ctx, store_tree[j].child, store_tree[i].child, id);
		}
		if (!err)
			err = del(ctx, store_tree[i].child, STORE_KIND_COUNT, id);
	}
	return err;
}

/* The schemes of database URLs that name PostgreSQL. */
static const char *const pg_schemes[] = { "postgres://", "postgresql://" };

static bool url_is_pg(const char *url)
{
	for (size_t i = 0; i < sizeof(pg_schemes) / sizeof(pg_schemes[0]); i++)
		if (strncmp(url, pg_schemes[i], strlen(pg_schemes[i])) == 0)
			return true;
	return false;
}

bool store_url_pg(const char *url)
{
	return url && url_is_pg(url);
}

int store_open(const char *dir, struct store **out)
{
	return sqlite_open(dir, out);
}

int store_open_url(const char *url, const char *dir, struct store **out)
{
	*out = NULL;
	if (!url || !*url)
		return sqlite_open(dir, out);
	if (url_is_pg(url))
		return pg_open(url, out);
	log_error("store: the database URL must start with postgres:// or postgresql://");
	return ERR_INVALID;
}

void store_close(struct store *st)
{
	if (st)
		st->be->close(st);
}

int store_ping(struct store *st)
{
	return st->be->ping(st);
}

int store_backup(const char *dir, const char *dest)
{
	return sqlite_backup_dir(dir, dest);
}

int store_write(struct store *st, const char *project, const struct store_op *ops, size_t n)
{
	return st->be->write(st, project, ops, n);
}

int store_put(struct store *st, const char *project, const struct store_obj *obj,
	      int64_t expect_version)
{
	struct store_op op = { .type = STORE_PUT, .obj = *obj, .expect_version = expect_version };

	return store_write(st, project, &op, 1);
}

int store_delete(struct store *st, const char *project, enum store_kind kind, const char *id,
		 const char *parent)
{
	struct store_op op = {
		.type = STORE_DELETE,
		.obj = { .kind = kind, .id = id, .parent = parent },
	};

	return store_write(st, project, &op, 1);
}

int store_get(struct store *st, const char *project, enum store_kind kind, const char *id,
	      const char *parent, char **body, int64_t *version)
{
	return st->be->get(st, project, kind, id, parent, body, version);
}

int store_list(struct store *st, const char *project, enum store_kind kind, const char *parent,
	       const struct store_page *pg, struct store_list *out)
{
	return st->be->list(st, project, kind, parent, pg, out);
}

void store_list_cleanup(struct store_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].id);
		free(l->items[i].body);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void store_list_reverse(struct store_list *l)
{
	for (size_t i = 0; i < l->n / 2; i++) {
		struct store_item t = l->items[i];

		l->items[i] = l->items[l->n - 1 - i];
		l->items[l->n - 1 - i] = t;
	}
}

int store_runs_by_status(struct store *st, const char *const *statuses, size_t n,
			 struct store_list *out, char ***projects)
{
	return st->be->runs_by_status(st, statuses, n, out, projects);
}

int store_expired(struct store *st, const char *project, enum store_kind kind, int64_t now,
		  int limit, struct store_list *out, char ***projects)
{
	return st->be->expired(st, project, kind, now, limit, out, projects);
}

int store_id_exists(struct store *st, enum store_kind kind, const char *id, bool *found)
{
	return st->be->id_exists(st, kind, id, found);
}

void store_projects_free(char **projects, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(projects[i]);
	free(projects);
}

int store_key_insert(struct store *st, const struct store_key *key, const char *hash_hex)
{
	return st->be->key_insert(st, key, hash_hex);
}

int store_key_project(struct store *st, const char *hash_hex, char **project)
{
	return st->be->key_project(st, hash_hex, project);
}

int store_key_ever(struct store *st, bool *ever)
{
	return st->be->key_ever(st, ever);
}

int store_key_list(struct store *st, struct store_key **keys, size_t *n)
{
	return st->be->key_list(st, keys, n);
}

void store_keys_free(struct store_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(keys[i].id);
		free(keys[i].project);
		free(keys[i].hint);
	}
	free(keys);
}

int store_key_revoke(struct store *st, const char *id, int64_t now)
{
	return st->be->key_revoke(st, id, now);
}

int store_limit_set(struct store *st, const struct store_limit *l)
{
	return st->be->limit_set(st, l);
}

int store_limit_delete(struct store *st, enum store_limit_scope scope, const char *subject)
{
	return st->be->limit_delete(st, scope, subject);
}

int store_limit_list(struct store *st, struct store_limit **out, size_t *n)
{
	return st->be->limit_list(st, out, n);
}

void store_limits_free(struct store_limit *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].subject);
		free(l[i].key_hash);
	}
	free(l);
}

int store_count_sync(struct store *st, struct store_count *c, size_t n, int64_t now_ms)
{
	return st->be->count_sync(st, c, n, now_ms);
}

int store_lease_claim(struct store *st, const char *project, const char *run_id,
		      const struct store_claim *c, bool *got)
{
	return st->be->lease_claim(st, project, run_id, c, got);
}

int store_lease_renew(struct store *st, const char *owner, int64_t until, int64_t *held)
{
	return st->be->lease_renew(st, owner, until, held);
}

int store_lease_lapsed(struct store *st, const struct store_claim *c, int limit,
		       struct store_list *out, char ***projects)
{
	return st->be->lease_lapsed(st, c, limit, out, projects);
}

int store_lease_owner(struct store *st, const char *project, const char *run_id, char **owner)
{
	return st->be->lease_owner(st, project, run_id, owner);
}

void store_cmd_topic(char *topic, const char *owner)
{
	snprintf(topic, STORE_TOPIC_MAX + 1, "%s%s", STORE_TOPIC_CMD, owner);
}

int store_session_hold(struct store *st, const char *project, const char *thread_id,
		       const char *owner, int64_t until)
{
	return st->be->session_hold(st, project, thread_id, owner, until);
}

int store_session_owner(struct store *st, const char *project, const char *thread_id,
			int64_t now, char **owner)
{
	return st->be->session_owner(st, project, thread_id, now, owner);
}

int store_cmd_post(struct store *st, const char *id, const char *project, const char *run_id,
		   const char *owner, const char *kind, int64_t now)
{
	return st->be->cmd_post(st, id, project, run_id, owner, kind, now);
}

int store_cmd_take(struct store *st, const char *owner, struct store_cmd **cmds, size_t *n,
		   int64_t *held)
{
	return st->be->cmd_take(st, owner, cmds, n, held);
}

int store_cmd_answer(struct store *st, const char *id, int err, const char *answer)
{
	return st->be->cmd_answer(st, id, err, answer);
}

int store_cmd_result(struct store *st, const char *id, bool *done, int *err, char **answer)
{
	return st->be->cmd_result(st, id, done, err, answer);
}

int store_cmd_remove(struct store *st, const char *id)
{
	return st->be->cmd_remove(st, id);
}

int store_cmd_prune(struct store *st, int64_t before, int64_t *removed)
{
	int64_t n = 0;
	int err = st->be->cmd_prune(st, before, &n);

	if (removed)
		*removed = err ? 0 : n;
	return err;
}

int store_run_origin(struct store *st, const char *project, const char *run_id,
		     char **key_hash, int64_t *include)
{
	*key_hash = NULL;
	*include = 0;
	return st->be->run_origin(st, project, run_id, key_hash, include);
}

void store_cmds_free(struct store_cmd *cmds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cmds[i].id);
		free(cmds[i].project);
		free(cmds[i].run_id);
		free(cmds[i].kind);
	}
	free(cmds);
}

int store_vsf_attach(struct store *st, const char *project, const char *vs,
		     const struct store_obj *create, const char *batch,
		     const struct vsf_new *files, size_t n)
{
	return st->be->vsf_attach(st, project, vs, create, batch, files, n);
}

int store_vsf_get(struct store *st, const char *project, const char *vs, const char *file,
		  char **body)
{
	return st->be->vsf_get(st, project, vs, file, body);
}

int store_vsf_list(struct store *st, const char *project, const char *vs, const char *batch,
		   const char *status, const struct store_page *pg, struct store_list *out)
{
	return st->be->vsf_list(st, project, vs, batch, status, pg, out);
}

int store_vsf_set_attributes(struct store *st, const char *project, const char *vs,
			     const char *file, const char *attrs, char **body)
{
	return st->be->vsf_set_attributes(st, project, vs, file, attrs, body);
}

int store_vsf_detach(struct store *st, const char *project, const char *vs, const char *file)
{
	return st->be->vsf_detach(st, project, vs, file);
}

int store_vsf_cancel_batch(struct store *st, const char *project, const char *vs,
			   const char *batch, char **body)
{
	return st->be->vsf_cancel_batch(st, project, vs, batch, body);
}

int store_vs_touch(struct store *st, const char *project, const char *vs, int64_t now,
		   int64_t day_s)
{
	return st->be->vs_touch(st, project, vs, now, day_s);
}

int store_vs_expire(struct store *st, int64_t now)
{
	return st->be->vs_expire(st, now);
}

int store_jobs_next(struct store *st, bool (*skip)(void *ctx, const struct vs_job *j),
		    void *ctx, struct vs_job *jobs, size_t max, size_t *n)
{
	return st->be->jobs_next(st, skip, ctx, jobs, max, n);
}

int store_jobs_count(struct store *st, int64_t *n)
{
	return st->be->jobs_count(st, n);
}

void vs_job_cleanup(struct vs_job *j)
{
	if (!j)
		return;
	free(j->project);
	free(j->vs);
	free(j->file);
	free(j->filename);
	free(j->batch);
	free(j->body);
	memset(j, 0, sizeof(*j));
}

int store_chunks_clear(struct store *st, const struct vs_job *j)
{
	return st->be->chunks_clear(st, j);
}

int store_chunks_add(struct store *st, const struct vs_job *j, int64_t first,
		     const struct store_chunk *c, size_t n)
{
	return st->be->chunks_add(st, j, first, c, n);
}

int store_chunks_compact(struct store *st, bool *more)
{
	return st->be->chunks_compact(st, more);
}

int store_job_finish(struct store *st, const struct vs_job *j, const char *status,
		     const char *code, const char *message, int64_t usage_bytes)
{
	return st->be->job_finish(st, j, status, code, message, usage_bytes);
}

int store_chunks_of(struct store *st, const char *project, const char *vs, const char *file,
		    struct store_list *out)
{
	return st->be->chunks_of(st, project, vs, file, out);
}

int store_search(struct store *st, const char *project, const struct store_search *q,
		 struct store_hit **hits, size_t *n)
{
	return st->be->search(st, project, q, hits, n);
}

void store_hits_clear(struct store_hit *hits, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(hits[i].file_id);
		free(hits[i].filename);
		free(hits[i].attributes);
		free(hits[i].text);
	}
	*n = 0;
}

void store_hits_free(struct store_hit *hits, size_t n)
{
	store_hits_clear(hits, &n);
	free(hits);
}

int store_vec_search(struct store *st, const char *project, const struct store_vsearch *q,
		     struct store_hit **hits, size_t *n)
{
	return st->be->vec_search(st, project, q, hits, n);
}

/* --- change notifications and the run event log --- */

int store_notify(struct store *st, const char *topic)
{
	if (strlen(topic) > STORE_TOPIC_MAX)
		return ERR_INVALID;
	return st->be->notify(st, topic);
}

void *store_watch(struct store *st, store_watch_fn *fn, void *ctx)
{
	return st->be->watch(st, fn, ctx);
}

void store_unwatch(struct store *st, void *registration)
{
	st->be->unwatch(st, registration);
}

int store_events_append(struct store *st, const struct store_event *evs, size_t n,
			const char *const *topics, size_t ntopics, int64_t *ids)
{
	for (size_t i = 0; i < ntopics; i++)
		if (strlen(topics[i]) > STORE_TOPIC_MAX)
			return ERR_INVALID;
	return st->be->events_append(st, evs, n, topics, ntopics, ids);
}

int store_events_read(struct store *st, const char *project, const char *run_id, int64_t after,
		      int limit, struct store_events *out)
{
	return st->be->events_read(st, project, run_id, after, limit, out);
}

int store_events_last(struct store *st, const char *project, const char *run_id, int64_t *id)
{
	return st->be->events_last(st, project, run_id, id);
}

int store_events_prune(struct store *st, int64_t now)
{
	return st->be->events_prune(st, now);
}

void store_events_cleanup(struct store_events *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].data);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
