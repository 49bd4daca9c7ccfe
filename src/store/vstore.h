/* vstore.h - the store's side of vector stores: the files attached to them, their chunks, the
 * ingestion jobs and the keyword index (SQLite FTS5 with BM25).
 *
 * Vector stores (STORE_VECTOR_STORE) and file batches (STORE_VS_BATCH) are ordinary objects
 * (store.h). The files of a store are rows of their own, since one File may sit in several
 * stores under the same id. A few members of the stored JSON are kept up to date here, in the
 * same transaction as the change that moves them: a vector store's and a batch's
 * "file_counts", "status" and the store's "usage_bytes"; a file's "status", "last_error",
 * "usage_bytes" and "attributes"; a store's "last_active_at", "expires_at" and "status"
 * "expired". Everything else in the bodies is the API's. All calls are scoped by project. */
#ifndef ASSISTD_VSTORE_H
#define ASSISTD_VSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../json/json.h"
#include "store.h"

/* A file to attach. Strings are borrowed for the call. */
struct vsf_new {
	const char *file_id;
	const char *filename;
	int64_t created_at;
	const char *body; /* the VectorStoreFile JSON, status "in_progress" */
};

/* Attaches files[0..n) to vector store vs in one transaction: first inserts create when not
 * NULL (the vector store itself, or a STORE_VS_BATCH), then checks vs exists (else
 * ERR_NOT_FOUND). With batch (an id) the files are recorded as its members. A file already in
 * the store is replaced: its chunks go and its ingestion starts over. Errors: ERR_NOT_FOUND,
 * ERR_CONFLICT, ERR_DB. */
int store_vsf_attach(struct store *st, const char *project, const char *vs,
		     const struct store_obj *create, const char *batch,
		     const struct vsf_new *files, size_t n) MUST_CHECK;

/* One attached file's JSON: *body is owned (free with free()). Errors: ERR_NOT_FOUND, ERR_DB. */
int store_vsf_get(struct store *st, const char *project, const char *vs, const char *file,
		  char **body) MUST_CHECK;

/* Lists the files of vs (only batch's when batch is not NULL; only those in status when it is
 * not NULL), paged like store_list (pg->run_id is ignored). Free *out with
 * store_list_cleanup. Errors: ERR_INVALID (a cursor that is not in the list), ERR_DB. */
int store_vsf_list(struct store *st, const char *project, const char *vs, const char *batch,
		   const char *status, const struct store_page *pg, struct store_list *out)
	MUST_CHECK;

/* Replaces a file's "attributes" with the JSON text attrs; *body receives the owned new JSON.
 * Errors: ERR_NOT_FOUND, ERR_DB. */
int store_vsf_set_attributes(struct store *st, const char *project, const char *vs,
			     const char *file, const char *attrs, char **body) MUST_CHECK;

/* Detaches a file from vs: its row and chunks go; the File stays. (Deleting the File itself,
 * a STORE_FILE object, detaches it from every store in the same transaction.) Errors:
 * ERR_NOT_FOUND, ERR_DB. */
int store_vsf_detach(struct store *st, const char *project, const char *vs, const char *file)
	MUST_CHECK;

/* Cancels batch of vs: the batch becomes "cancelled" and its files still in progress end
 * "cancelled" (their chunks go). *body receives the owned batch JSON. Errors: ERR_NOT_FOUND,
 * ERR_DB. */
int store_vsf_cancel_batch(struct store *st, const char *project, const char *vs,
			   const char *batch, char **body) MUST_CHECK;

/* Records that vs was used at now: "last_active_at" = now and, when the store has
 * "expires_after", "expires_at" = now + days * day_s. Errors: ERR_NOT_FOUND, ERR_DB. */
int store_vs_touch(struct store *st, const char *project, const char *vs, int64_t now,
		   int64_t day_s) MUST_CHECK;
/* Marks every vector store whose "expires_at" is not after now "expired". */
int store_vs_expire(struct store *st, int64_t now) MUST_CHECK;

/* --- Ingestion jobs: the attached files still "in_progress", in any project. --- */
struct vs_job {
	char *project;
	char *vs;
	char *file;
	char *filename;
	char *batch;  /* the batch it came in, or NULL */
	int64_t seq;  /* changes when the file is attached again: a stale job stops */
	char *body; /* the VectorStoreFile JSON (its chunking_strategy says how to chunk) */
};

/* Fills jobs[0..max) with the oldest jobs for which skip(ctx, job) is false; *n receives the
 * count. Each job is owned: free with vs_job_cleanup. Errors: ERR_DB. */
int store_jobs_next(struct store *st, bool (*skip)(void *ctx, const struct vs_job *j),
		    void *ctx, struct vs_job *jobs, size_t max, size_t *n) MUST_CHECK;
void vs_job_cleanup(struct vs_job *j);
/* Sets *n to the number of jobs (files waiting or being ingested), in every project: the
 * queue depth /metrics reports. Errors: ERR_DB. */
int store_jobs_count(struct store *st, int64_t *n) MUST_CHECK;

/* A piece of a file's text. */
struct store_chunk {
	const char *text; /* borrowed; need not be NUL-terminated */
	size_t len;
	const float *vec; /* borrowed: its embedding, dims floats of length 1; NULL: none */
	int dims;
};

/* Removes the chunks a job wrote so far (when it starts over). */
int store_chunks_clear(struct store *st, const struct vs_job *j) MUST_CHECK;
/* Appends chunks c[0..n) numbered from first, in one transaction, while the job's file is
 * still in progress. Errors: ERR_NOT_FOUND when it is not (cancelled or detached), ERR_DB. */
int store_chunks_add(struct store *st, const struct vs_job *j, int64_t first,
		     const struct store_chunk *c, size_t n) MUST_CHECK;
/* One step of compacting the keyword index, in a transaction of its own: merges its segments
 * (each commit of chunks writes one; a search looks a word up in every one) for up to a few
 * hundred pages of work. *more tells whether another step would still find work. Ingestion
 * compacts after a file's last chunks, so that searches see an index of few segments.
 * Errors: ERR_DB. */
int store_chunks_compact(struct store *st, bool *more) MUST_CHECK;
/* Ends a job: status "completed" (usage_bytes is the stored size) or "failed"/"cancelled"
 * with last_error {code, message} (the file's chunks go). Errors: ERR_NOT_FOUND when the
 * file is no longer in progress, ERR_DB. */
int store_job_finish(struct store *st, const struct vs_job *j, const char *status,
		     const char *code, const char *message, int64_t usage_bytes) MUST_CHECK;

/* The chunks of an attached file, in order: out->items[i].body is a chunk's text (id is its
 * number). Free with store_list_cleanup. Errors: ERR_NOT_FOUND, ERR_DB. */
int store_chunks_of(struct store *st, const char *project, const char *vs, const char *file,
		    struct store_list *out) MUST_CHECK;

/* --- Keyword search --- */
struct store_hit {
	int64_t chunk;    /* chunk id, unique across stores */
	char *file_id;    /* owned */
	char *filename;   /* owned */
	char *attributes; /* owned JSON text: the file's attributes or "null" */
	char *text;       /* owned: the chunk's text */
	double bm25;      /* BM25 over the most the query could score: 0..1, higher is better */
	double cosine;    /* vector search (vecstore.h): cosine of chunk and query, -1..1 */
};

struct store_search {
	const char *const *vs; /* the vector stores searched, nvs of them (1..8) */
	size_t nvs;
	const char *const *words; /* the query's words, lower-cased, no quote characters */
	size_t nwords;
	const jv *filters;     /* a validated ComparisonFilter/CompoundFilter, or NULL */
	int limit;             /* most hits returned */
};

/* The best hits of a keyword search over the completed files of the given stores: chunks
 * holding any of the words, ranked by BM25 (the same word twice counts twice), best first.
 * *hits is owned: free with store_hits_free. Errors: ERR_DB. */
int store_search(struct store *st, const char *project, const struct store_search *q,
		 struct store_hit **hits, size_t *n) MUST_CHECK;
void store_hits_free(struct store_hit *hits, size_t n);

#endif
