/* ingest.c - the ingestion workers (see ingest.h).
 *
 * Each worker claims one job at a time (claims live in memory: the store's "in_progress" says
 * a job exists, the claim list says which thread of this process has it), runs it, and goes
 * back for the next; with nothing to do it sleeps until kicked, or a second, when it also
 * marks expired vector stores. A job: extract the text, tokenize it window by window (ahead, on
 * a thread of the job's own: windows.h), cut the token stream into chunks and write them in
 * batches, compact the keyword index, then finish the file. Only the text and a few windows'
 * tokens are in memory at a time. */
#include "ingest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../docs/extract.h"
#include "../store/vstore.h"
#include "chunk.h"
#include "windows.h"

#define INGEST_IDLE_MS 1000       /* sleep without work; also the expiry sweep's period */
/* A transaction writes at most INGEST_BATCH chunks and about INGEST_BATCH_BYTES of their text:
 * some 40 ms of work, so that API writes wait little, yet few enough commits that FTS5 is not
 * kept merging small segments (64 chunks a transaction cost 15 % more CPU; BENCHMARKS.md). */
#define INGEST_BATCH 256
#define INGEST_BATCH_BYTES (1 << 20)

struct ingest {
	struct store *st;
	struct blobs *bs;
	struct embed *emb;   /* borrowed, or NULL */
	pthread_t *threads;
	int want;            /* workers to run once there is work */
	pthread_mutex_t mu;  /* guards the fields below */
	int nthreads;        /* workers started: one at start, the rest with the first job */
	pthread_cond_t cv;   /* kicks and stop */
	bool stopping;
	uint64_t kicks;      /* bumped by ingest_kick */
	char **claims;       /* "project/vs/file" of the jobs being run */
	size_t nclaims;
};

/* --- Claims --- */

/* "project/vs/file" (owned). */
static char *job_key(const struct vs_job *j)
{
	return xasprintf("%s/%s/%s", j->project, j->vs, j->file);
}

/* Called by store_jobs_next with ing->mu held. */
static bool claimed(void *ctx, const struct vs_job *j)
{
	struct ingest *ing = ctx;
	char *key = job_key(j);
	bool found = false;

	for (size_t i = 0; i < ing->nclaims && !found; i++)
		found = strcmp(ing->claims[i], key) == 0;
	free(key);
	return found;
}

/* Takes the oldest unclaimed job into *j. Returns false when there is none. */
static bool claim_next(struct ingest *ing, struct vs_job *j)
{
	size_t n = 0;
	int err;

	pthread_mutex_lock(&ing->mu);
	err = store_jobs_next(ing->st, claimed, ing, j, 1, &n);
	if (!err && n == 1) {
		ing->claims = xrealloc(ing->claims, (ing->nclaims + 1) * sizeof(*ing->claims));
		ing->claims[ing->nclaims++] = job_key(j);
	}
	pthread_mutex_unlock(&ing->mu);
	return !err && n == 1;
}

static void unclaim(struct ingest *ing, const struct vs_job *j)
{
	char *key = job_key(j);

	pthread_mutex_lock(&ing->mu);
	for (size_t i = 0; i < ing->nclaims; i++) {
		if (strcmp(ing->claims[i], key) == 0) {
			free(ing->claims[i]);
			ing->claims[i] = ing->claims[--ing->nclaims];
			break;
		}
	}
	pthread_mutex_unlock(&ing->mu);
	free(key);
}

static bool stopping(struct ingest *ing)
{
	bool s;

	pthread_mutex_lock(&ing->mu);
	s = ing->stopping;
	pthread_mutex_unlock(&ing->mu);
	return s;
}

/* --- One job --- */

/* What a job is doing: its chunks so far and the batch waiting to be written. */
struct run {
	struct ingest *ing;
	const struct vs_job *j;
	const char *text;
	size_t len;
	struct chunker ch;
	struct store_chunk batch[INGEST_BATCH];
	size_t nbatch;
	size_t batch_bytes; /* the batch's text */
	int64_t written;   /* chunks written */
	int64_t usage;     /* their bytes */
	char *why;         /* owned: why embedding failed */
};

/* Chunk spans start and end on UTF-8 character boundaries (a token may split a character). */
static void snap(const char *text, size_t len, struct chunk_span *sp)
{
	while (sp->start > 0 && ((unsigned char)text[sp->start] & 0xC0) == 0x80)
		sp->start--;
	while (sp->end < len && ((unsigned char)text[sp->end] & 0xC0) == 0x80)
		sp->end++;
}

static bool stop_asked(void *ctx)
{
	return stopping(ctx);
}

/* Gives the batch's chunks their embeddings (out holds them until the batch is written). */
static int embed_batch(struct run *r, struct embed_out *out)
{
	const char *texts[INGEST_BATCH];
	size_t lens[INGEST_BATCH];
	struct embed_req rq = { texts, lens, r->nbatch, stop_asked, r->ing };
	int err;

	for (size_t i = 0; i < r->nbatch; i++) {
		texts[i] = r->batch[i].text;
		lens[i] = r->batch[i].len;
	}
	err = embed_texts(r->ing->emb, &rq, out);
	for (size_t i = 0; i < r->nbatch && !err; i++) {
		r->batch[i].vec = out->vecs + i * (size_t)out->dims;
		r->batch[i].dims = out->dims;
	}
	if (err && out->why)
		r->why = xstrdup(out->why);
	return err;
}

static int flush(struct run *r)
{
	struct embed_out vecs = { 0 };
	int err = 0;

	if (r->nbatch == 0)
		return 0;
	if (stopping(r->ing))
		return ERR_UNAVAILABLE;
	if (r->ing->emb)
		err = embed_batch(r, &vecs);
	if (!err)
		err = store_chunks_add(r->ing->st, r->j, r->written, r->batch, r->nbatch);
	embed_out_cleanup(&vecs);
	r->written += (int64_t)r->nbatch;
	r->nbatch = 0;
	r->batch_bytes = 0;
	return err;
}

/* Moves the chunks the chunker has ready into the batch, writing full batches. */
static int drain(struct run *r, bool final)
{
	struct chunk_span sp;
	int err = 0;

	while (!err && chunker_next(&r->ch, final, r->len, &sp)) {
		snap(r->text, r->len, &sp);
		r->batch[r->nbatch++] = (struct store_chunk){ .text = r->text + sp.start,
							      .len = sp.end - sp.start };
		r->usage += (int64_t)(sp.end - sp.start);
		r->batch_bytes += sp.end - sp.start;
		if (r->nbatch == INGEST_BATCH || r->batch_bytes >= INGEST_BATCH_BYTES)
			err = flush(r);
	}
	return err;
}

/* Merges the keyword index's segments that this file's commits added, before the file is
 * reported completed: a search then finds each word in few places. Stops early when the
 * server is stopping (the job resumes at the next start). */
static int compact(struct run *r)
{
	bool more = true;
	int err = 0;

	while (!err && more) {
		if (stopping(r->ing))
			return ERR_UNAVAILABLE;
		err = store_chunks_compact(r->ing->st, &more);
	}
	return err;
}

/* Feeds the chunker the text's tokens, tokenized ahead on another thread (windows.h), and
 * writes the chunks as they become complete. */
static int feed_windows(struct run *r)
{
	struct windows w;
	struct window win = { 0 };
	int err = windows_start(&w, r->text, r->len);

	if (err)
		return err;
	do {
		err = windows_next(&w, &win);
		if (!err && win.n > 0) {
			chunker_feed(&r->ch, win.offs, win.n);
			err = drain(r, false);
		}
	} while (!err && win.n > 0);
	windows_stop(&w);
	return err;
}

static int chunk_text(struct run *r)
{
	int err = feed_windows(r);

	if (!err)
		err = drain(r, true);
	if (!err)
		err = flush(r);
	if (!err && r->written > 0)
		err = compact(r);
	return err;
}

/* Reads the file's bytes through a descriptor the extractor opens by path. */
static int extract(struct ingest *ing, const struct vs_job *j, char **text, size_t *len,
		   const char **code, char **why)
{
	char path[64];
	int fd = -1;
	int err = blob_open_read(ing->bs, j->file, &fd, NULL);

	if (err) {
		*code = err == ERR_NOT_FOUND ? "invalid_file" : "server_error";
		*why = xstrdup(err == ERR_NOT_FOUND ? "The file's bytes are gone (was the file "
			       "deleted?). Upload it again and attach the new file."
			       : "The server could not read the file; try attaching it again.");
		return err;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = doc_extract(path, j->filename, text, len, code, why);
	close(fd);
	return err;
}

static void chunk_settings(const struct vs_job *j, size_t *max, size_t *overlap)
{
	jv *v = jv_parse(j->body, strlen(j->body), NULL, 0);
	const jv *st = jv_get(jv_get(v, "chunking_strategy"), "static");

	*max = (size_t)jv_int_value(jv_get(st, "max_chunk_size_tokens"));
	*overlap = (size_t)jv_int_value(jv_get(st, "chunk_overlap_tokens"));
	if (*max == 0 || *overlap >= *max) {
		*max = CHUNK_AUTO_MAX;
		*overlap = CHUNK_AUTO_OVERLAP;
	}
	jv_free(v);
}

/* Ends the job; a file that was cancelled or detached meanwhile is left as it is. */
static void finish(struct ingest *ing, const struct vs_job *j, const char *status,
		   const char *code, const char *why, int64_t usage)
{
	int err = store_job_finish(ing->st, j, status, code, why, usage);

	if (err && err != ERR_NOT_FOUND)
		log_warn("ingest: %s in %s: could not record the result: %s", j->file, j->vs,
			 err_name(err));
}

static void embed_failed(struct ingest *ing, const struct vs_job *j, const char *why)
{
	char *msg = xasprintf("Embedding the file's text failed: %s. Check the embedding model "
			      "(ASSISTD_EMBEDDING_MODEL), then attach the file again.",
			      why ? why : "no reason given");

	log_warn("ingest: %s in %s: %s", j->file, j->vs, msg);
	finish(ing, j, "failed", "server_error", msg, 0);
	free(msg);
}

static void run_job(struct ingest *ing, const struct vs_job *j)
{
	struct run r = { .ing = ing, .j = j };
	const char *code = NULL;
	char *text = NULL;
	char *why = NULL;
	size_t max, overlap;
	int err = store_chunks_clear(ing->st, j);

	if (!err)
		err = extract(ing, j, &text, &r.len, &code, &why);
	if (err && code) {
		finish(ing, j, "failed", code, why, 0);
		goto out;
	}
	chunk_settings(j, &max, &overlap);
	chunker_init(&r.ch, max, overlap);
	r.text = text;
	if (!err)
		err = chunk_text(&r);
	chunker_cleanup(&r.ch);
	if (!err && r.written == 0)
		finish(ing, j, "failed", "invalid_file", "The file contains no text to index. "
		       "Check that it is the right file, then upload it again.", 0);
	else if (!err)
		finish(ing, j, "completed", NULL, NULL, r.usage);
	else if (err == ERR_UPSTREAM)
		embed_failed(ing, j, r.why);
	else if (err != ERR_NOT_FOUND && err != ERR_UNAVAILABLE)
		finish(ing, j, "failed", "server_error", "The server failed while indexing the "
		       "file; attach it again to retry.", 0);
out:
	free(text);
	free(why);
	free(r.why);
}

/* --- Workers --- */

static void *worker(void *arg);

/* Starts workers up to ing->want; false when none could start. One worker is enough to
 * wait for jobs and sweep, so an idle server runs one thread; the others start with the
 * first job claimed (and pay their stack and malloc arena only then). */
static bool workers_grow(struct ingest *ing, int want)
{
	bool ok = true;

	pthread_mutex_lock(&ing->mu);
	while (ok && !ing->stopping && ing->nthreads < want) {
		ok = pthread_create(&ing->threads[ing->nthreads], NULL, worker, ing) == 0;
		if (ok)
			ing->nthreads++;
		else
			log_error("ingest: cannot start worker threads");
	}
	ok = ing->nthreads > 0;
	pthread_mutex_unlock(&ing->mu);
	return ok;
}

static void sweep(struct ingest *ing, int64_t *last_ms)
{
	int64_t now = clock_ms();

	if (now - *last_ms < INGEST_IDLE_MS)
		return;
	*last_ms = now;
	if (store_vs_expire(ing->st, clock_unix()))
		log_warn("ingest: marking expired vector stores failed");
}

static void idle(struct ingest *ing, uint64_t seen)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += INGEST_IDLE_MS / 1000;
	pthread_mutex_lock(&ing->mu);
	if (!ing->stopping && ing->kicks == seen)
		pthread_cond_timedwait(&ing->cv, &ing->mu, &ts);
	pthread_mutex_unlock(&ing->mu);
}

static void *worker(void *arg)
{
	struct ingest *ing = arg;
	int64_t swept = 0;

	while (!stopping(ing)) {
		struct vs_job j = { 0 };
		uint64_t seen;

		pthread_mutex_lock(&ing->mu);
		seen = ing->kicks;
		pthread_mutex_unlock(&ing->mu);
		sweep(ing, &swept);
		if (!claim_next(ing, &j)) {
			idle(ing, seen);
			continue;
		}
		(void)workers_grow(ing, ing->want);
		run_job(ing, &j);
		unclaim(ing, &j);
		vs_job_cleanup(&j);
	}
	return NULL;
}

int ingest_start(const struct ingest_config *cfg, struct ingest **out)
{
	struct ingest *ing = xcalloc(1, sizeof(*ing));

	ing->st = cfg->st;
	ing->bs = cfg->bs;
	ing->emb = cfg->emb;
	pthread_mutex_init(&ing->mu, NULL);
	pthread_cond_init(&ing->cv, NULL);
	ing->want = cfg->workers;
	ing->threads = xcalloc((size_t)cfg->workers, sizeof(*ing->threads));
	if (!workers_grow(ing, 1)) {
		ingest_stop(ing);
		*out = NULL;
		return ERR_INTERNAL;
	}
	*out = ing;
	return 0;
}

void ingest_kick(struct ingest *ing)
{
	if (!ing)
		return;
	pthread_mutex_lock(&ing->mu);
	ing->kicks++;
	pthread_cond_broadcast(&ing->cv);
	pthread_mutex_unlock(&ing->mu);
}

void ingest_stop(struct ingest *ing)
{
	if (!ing)
		return;
	pthread_mutex_lock(&ing->mu);
	ing->stopping = true; /* no worker starts after this */
	pthread_cond_broadcast(&ing->cv);
	pthread_mutex_unlock(&ing->mu);
	for (int i = 0; i < ing->nthreads; i++)
		pthread_join(ing->threads[i], NULL);
	for (size_t i = 0; i < ing->nclaims; i++)
		free(ing->claims[i]);
	free(ing->claims);
	free(ing->threads);
	pthread_mutex_destroy(&ing->mu);
	pthread_cond_destroy(&ing->cv);
	free(ing);
}
