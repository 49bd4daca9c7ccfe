/* pg.c - the PostgreSQL store (store.h): opening and closing it, its table of operations,
 * store_get and store_ping.
 *
 * Any number of assistd processes (nodes) may share one database: nothing here assumes a
 * single writer. Writes take row locks in the database (pg_write.c), lists read one committed
 * snapshot per statement (pg_list.c), keys are in pg_keys.c, the schema in pg_migrate.c and
 * the connections in pg_pool.c. The vector store operations are pg_vs*.c's. */
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "pg_vs_int.h"

static void pg_close(struct store *base)
{
	struct pg_store *st = pg_of(base);

	pg_vs_close(st->vs);
	pg_notify_cleanup(st);
	pg_pool_close(st);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st->url);
	free(st);
}

static const struct store_backend pg_backend = {
	.name = "postgresql",
	.close = pg_close,
	.ping = pg_ping,
	.write = pg_write,
	.get = pg_get,
	.list = pg_list,
	.runs_by_status = pg_runs_by_status,
	.expired = pg_expired,
	.id_exists = pg_id_exists,
	.lease_claim = pg_lease_claim,
	.lease_renew = pg_lease_renew,
	.lease_lapsed = pg_lease_lapsed,
	.lease_owner = pg_lease_owner,
	.cmd_post = pg_cmd_post,
	.cmd_take = pg_cmd_take,
	.cmd_answer = pg_cmd_answer,
	.cmd_result = pg_cmd_result,
	.cmd_remove = pg_cmd_remove,
	.cmd_prune = pg_cmd_prune,
	.run_origin = pg_run_origin,
	.session_hold = pg_session_hold,
	.session_owner = pg_session_owner,
	.key_insert = pg_key_insert,
	.key_project = pg_key_project,
	.key_ever = pg_key_ever,
	.key_list = pg_key_list,
	.key_revoke = pg_key_revoke,
	.limit_set = pg_limit_set,
	.limit_delete = pg_limit_delete,
	.limit_list = pg_limit_list,
	.count_sync = pg_count_sync,
	.vsf_attach = pg_vsf_attach,
	.vsf_get = pg_vsf_get,
	.vsf_list = pg_vsf_list,
	.vsf_set_attributes = pg_vsf_set_attributes,
	.vsf_detach = pg_vsf_detach,
	.vsf_cancel_batch = pg_vsf_cancel_batch,
	.vs_touch = pg_vs_touch,
	.vs_expire = pg_vs_expire,
	.jobs_next = pg_jobs_next,
	.jobs_count = pg_jobs_count,
	.chunks_clear = pg_chunks_clear,
	.chunks_add = pg_chunks_add,
	.chunks_compact = pg_chunks_compact,
	.job_finish = pg_job_finish,
	.chunks_of = pg_chunks_of,
	.search = pg_search,
	.vec_search = pg_vec_search,
	.notify = pg_notify,
	.watch = pg_watch,
	.unwatch = pg_unwatch,
	.events_append = pg_events_append,
	.events_read = pg_events_read,
	.events_last = pg_events_last,
	.events_prune = pg_events_prune,
};

int pg_open(const char *url, struct store **out)
{
	struct pg_store *st = xcalloc(1, sizeof(*st));
	int err;

	*out = NULL;
	st->base.be = &pg_backend;
	st->url = xstrdup(url);
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	atomic_init(&st->keys_ever, false);
	pg_notify_init(st);
	err = pg_migrate(st);
	if (!err)
		st->vs = pg_vs_open(&st->base, url);
	if (err) {
		pg_close(&st->base);
		return err;
	}
	*out = &st->base;
	return 0;
}

int pg_ping(struct store *base)
{
	static const char sql[] = "SELECT 1";
	PGresult *res;
	int err = pg_stmt(pg_of(base), PQ_PING, sql, "ping", NULL, &res);

	if (!err)
		PQclear(res);
	return err;
}

int pg_get(struct store *base, const char *project, enum store_kind kind, const char *id,
	   const char *parent, char **body, int64_t *version)
{
	static const char sql[] = "SELECT body, version FROM objects WHERE project = $1 "
				  "AND id = $2 AND kind = $3 AND ($4::text IS NULL OR parent = $4)";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	*body = NULL;
	pg_arg_s(&a, project);
	pg_arg_s(&a, id);
	pg_arg_s(&a, store_kind_name(kind));
	pg_arg_s(&a, parent);
	err = pg_stmt(pg_of(base), PQ_GET, sql, "get", &a, &res);
	if (err)
		return err;
	if (PQntuples(res) == 0) {
		err = ERR_NOT_FOUND;
	} else {
		*body = pg_col_dup(res, 0, 0);
		if (version)
			*version = pg_col_i(res, 0, 1);
	}
	PQclear(res);
	return err;
}
