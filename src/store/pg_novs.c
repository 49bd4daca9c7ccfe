/* pg_novs.c - the vector store operations of the PostgreSQL store until their real
 * implementation (pg_vs*.c, helper pgvs) lands: this file goes when it does.
 *
 * Every operation fails with ERR_DB and a log line saying why, so a server on PostgreSQL
 * serves everything else and answers vector store requests with a clean server_error. With no
 * vector store tables there is nothing to remove when an object is deleted. */
#include "../base/log.h"
#include "pg_int.h"

static int none(void)
{
	log_error("store: vector stores are not available on PostgreSQL in this build");
	return ERR_DB;
}

int pg_vsf_attach(struct store *base, const char *project, const char *vs,
		  const struct store_obj *create, const char *batch, const struct vsf_new *files,
		  size_t n)
{
	return none();
}

int pg_vsf_get(struct store *base, const char *project, const char *vs, const char *file,
	       char **body)
{
	return none();
}

int pg_vsf_list(struct store *base, const char *project, const char *vs, const char *batch,
		const char *status, const struct store_page *pg, struct store_list *out)
{
	return none();
}

int pg_vsf_set_attributes(struct store *base, const char *project, const char *vs,
			  const char *file, const char *attrs, char **body)
{
	return none();
}

int pg_vsf_detach(struct store *base, const char *project, const char *vs, const char *file)
{
	return none();
}

int pg_vsf_cancel_batch(struct store *base, const char *project, const char *vs,
			const char *batch, char **body)
{
	return none();
}

int pg_vs_touch(struct store *base, const char *project, const char *vs, int64_t now,
		int64_t day_s)
{
	return none();
}

/* Nothing can expire: the server's sweep calls this whatever the backend. */
int pg_vs_expire(struct store *base, int64_t now)
{
	return 0;
}

/* No jobs: the ingestion loop asks at start whatever the backend. */
int pg_jobs_next(struct store *base, bool (*skip)(void *ctx, const struct vs_job *j),
		 void *ctx, struct vs_job *jobs, size_t max, size_t *n)
{
	*n = 0;
	return 0;
}

/* No vector stores, so no ingestion queue: its depth is 0, not an error on every scrape. */
int pg_jobs_count(struct store *base, int64_t *n)
{
	*n = 0;
	return 0;
}

int pg_chunks_clear(struct store *base, const struct vs_job *j)
{
	return none();
}

int pg_chunks_add(struct store *base, const struct vs_job *j, int64_t first,
		  const struct store_chunk *c, size_t n)
{
	return none();
}

/* Nothing to compact: PostgreSQL's indexes keep no segments to merge. */
int pg_chunks_compact(struct store *base, bool *more)
{
	*more = false;
	return 0;
}

int pg_job_finish(struct store *base, const struct vs_job *j, const char *status,
		  const char *code, const char *message, int64_t usage_bytes)
{
	return none();
}

int pg_chunks_of(struct store *base, const char *project, const char *vs, const char *file,
		 struct store_list *out)
{
	return none();
}

int pg_search(struct store *base, const char *project, const struct store_search *q,
	      struct store_hit **hits, size_t *n)
{
	*hits = NULL;
	*n = 0;
	return none();
}

int pg_vec_search(struct store *base, const char *project, const struct store_vsearch *q,
		  struct store_hit **hits, size_t *n)
{
	*hits = NULL;
	*n = 0;
	return none();
}

int pg_vs_drop(struct pg_conn *c, const char *project, const char *vs)
{
	return 0;
}

int pg_vs_forget(struct pg_conn *c, const char *project, const char *file)
{
	return 0;
}
