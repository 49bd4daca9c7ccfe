/* embed.h - text embeddings through an OpenAI-compatible POST {url}/embeddings.
 *
 * Used by ingestion (a file's chunks) and by search (the query), each on its own thread:
 * embed_texts blocks its caller until the vectors are in, and any number of threads may call
 * it at once (each takes a connection pool of its own from a shared free list, so connections
 * are reused). Inputs are sent in batches; 429, 5xx and connection errors are retried with
 * backoff honouring the upstream's Retry-After. Vectors come back float32 and normalised to
 * length 1, so that a dot product is their cosine. Works with OpenAI, Ollama, vLLM and
 * llama.cpp, which all serve this endpoint. */
#ifndef ASSISTD_EMBED_H
#define ASSISTD_EMBED_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

#define EMBED_DEFAULT_DIMS 256 /* as the hosted file_search (text-embedding-3-large at 256) */
#define EMBED_MAX_DIMS 8192

struct embed;

struct embed_config {
	const char *url;        /* base URL ending in /v1 */
	const char *key;        /* bearer token, or NULL */
	const char *model;      /* sent as "model" */
	int dims;               /* sent as "dimensions"; 0: the model's own size, not sent */
	int connect_timeout_ms; /* 0: 10 s */
	int idle_timeout_ms;    /* no byte for this long fails an attempt; 0: 120 s */
	int max_retries;        /* retries of one batch; -1: default 3 */
	int batch;              /* inputs per request; 0: 64 */
};

/* What to embed: n texts (texts[i] of lens[i] bytes, UTF-8), borrowed for the call. stop, when
 * not NULL, is asked between attempts and while waiting: true gives up with ERR_UNAVAILABLE. */
struct embed_req {
	const char *const *texts;
	const size_t *lens;
	size_t n;
	bool (*stop)(void *ctx);
	void *ctx;
};

/* The answer: vecs holds n * dims floats, vector i at vecs + i * dims. On failure why says
 * what went wrong in words for the user (it never names the upstream's address). */
struct embed_out {
	float *vecs; /* owned (free with embed_out_cleanup) */
	int dims;
	char *why;   /* owned; set on failure only */
};

/* Creates a client. *out is owned: free with embed_free. Errors: ERR_INVALID (no url or model,
 * dims out of range). */
int embed_new(const struct embed_config *cfg, struct embed **out) MUST_CHECK;
/* Frees the client; no call may be in flight. NULL is a no-op. */
void embed_free(struct embed *e);
/* The model's name (borrowed for the client's lifetime). */
const char *embed_model(const struct embed *e);

/* Embeds rq's texts into out (zeroed first). Errors: ERR_UPSTREAM (after retries; out->why
 * says why), ERR_UNAVAILABLE (rq->stop said so). Any thread. */
int embed_texts(struct embed *e, const struct embed_req *rq, struct embed_out *out) MUST_CHECK;
void embed_out_cleanup(struct embed_out *out);

/* Scales v[0..dims) to length 1; a zero vector stays zero. */
void embed_normalise(float *v, int dims);

#endif
