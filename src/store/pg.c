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
	.key_insert = pg_key_insert,
	.key_project = pg_key_project,
	.key_ever = pg_key_ever,
	.key_list = pg_key_list,
	.key_revoke = pg_key_revoke,
	.vsf_attach = pg_vsf_attach,
	.vsf_get = pg_vsf_get,
	.vsf_list = pg_vsf_list,
	.vsf_set_attributes = pg_vsf_set_attributes,
	.vsf_detach = pg_vsf_detach,
	.vsf_cancel_batch = pg_vsf_cancel_batch,
	.vs_touch = pg_vs_touch,
	.vs_expire = pg_vs_expire,
	.jobs_next = pg_jobs_next,
	.chunks_clear = pg_chunks_clear,
	.chunks_add = pg_chunks_add,
	.job_finish = pg_job_finish,
	.chunks_of = pg_chunks_of,
	.search = pg_search,
	.vec_search = pg_vec_search,
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
	err = pg_migrate(st);
	if (!err)
		st->vs = pg_vs_open(url);
	if (err) {
		pg_close(&st->base);
		return err;
	}
	*out = &st->base;
	return 0;
}

int pg_ping(struct store *base)
{
	struct pg_store *st = pg_of(base);
	struct pg_conn *c;
	int err = pg_acquire(st, &c);

	if (err)
		return err;
	err = pg_exec(c, "SELECT 1", "ping");
	pg_release(st, c);
	return err;
}

/* Reads the object into *body and *version; parent, when set, must match. */
static int get_row(struct pg_conn *c, const char *project, enum store_kind kind,
		   const char *id, const char *parent, char **body, int64_t *version)
{
	static const char sql[] = "SELECT body, version FROM objects WHERE project = $1 "
				  "AND id = $2 AND kind = $3 AND ($4::text IS NULL OR parent = $4)";
	struct pg_args a = { 0 };
	PGresult *res;
	int err;

	pg_arg_s(&a, project);
	pg_arg_s(&a, id);
	pg_arg_s(&a, store_kind_name(kind));
	pg_arg_s(&a, parent);
	err = pg_run(c, PQ_GET, sql, "get", &a, &res);
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

int pg_get(struct store *base, const char *project, enum store_kind kind, const char *id,
	   const char *parent, char **body, int64_t *version)
{
	struct pg_store *st = pg_of(base);
	struct pg_conn *c;
	int err;

	*body = NULL;
	err = pg_acquire(st, &c);
	if (err)
		return err;
	err = get_row(c, project, kind, id, parent, body, version);
	pg_release(st, c);
	return err;
}
