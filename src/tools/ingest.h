/* ingest.h - background ingestion of files into vector stores.
 *
 * A few worker threads take the attached files still "in_progress" (the jobs, kept in the
 * store: see vstore.h), read each file's bytes (blob.h), extract its text (docs), cut it into
 * token chunks (chunk.h), embed them when an embedding model is set (embed.h) and write them to
 * the keyword index and vectors, then mark the file completed,
 * or failed with a last_error saying why. Nothing here runs on an HTTP or engine thread.
 * Jobs left by a previous process are taken up at start; a job whose file was cancelled or
 * detached meanwhile stops at its next write. The workers also mark expired vector stores. */
#ifndef ASSISTD_INGEST_H
#define ASSISTD_INGEST_H

#include <stdint.h>

#include "../base/err.h"
#include "../providers/embed.h"
#include "../store/blob.h"
#include "../store/store.h"

struct ingest;

struct ingest_config {
	struct store *st;   /* borrowed for the workers' lifetime */
	struct blobs *bs;   /* borrowed: where the files' bytes are */
	struct embed *emb;  /* borrowed: embeds the chunks; NULL: keyword index only */
	int workers;        /* threads once there is work (one while idle); 1.. */
};

/* Starts the workers, which at once take up unfinished jobs. On success *out is owned: stop
 * with ingest_stop. Errors: ERR_INTERNAL. */
int ingest_start(const struct ingest_config *cfg, struct ingest **out) MUST_CHECK;
/* Tells the workers new jobs exist. Any thread; ing may be NULL (no-op). */
void ingest_kick(struct ingest *ing);
/* Stops the workers: jobs in flight stop at their next step and stay in progress for the next
 * start. Frees ing; NULL is a no-op. */
void ingest_stop(struct ingest *ing);

#endif
