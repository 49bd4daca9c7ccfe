/* api.h - the Assistants API: its route table and the context its handlers share.
 *
 * main.c builds one struct api and hands api_routes() to the HTTP server. Each resource has
 * its own file (assistants.c, threads.c, messages.c, ...) whose handlers follow one recipe:
 * parse, validate, one call into the store or engine, encode. */
#ifndef ASSISTD_API_H
#define ASSISTD_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"
#include "../store/store.h"

struct engine;
struct blobs;
struct ingest;
struct embed;
struct limits;

struct api {
	struct store *st;     /* borrowed for the server's lifetime */
	struct blobs *blobs;  /* borrowed: uploaded files' bytes */
	uint64_t max_file_bytes; /* larger uploads get 413 */
	struct engine *eng;   /* borrowed; runs are handed to it */
	int poll_after_ms;    /* value of openai-poll-after-ms on run responses */
	int poll_hold_ms;     /* how long a poll-helper retrieve may wait for a change */
	int run_expiry_s;     /* requires_action runs expire after this */
	struct ingest *ing;   /* borrowed; told when files are attached to vector stores */
	struct embed *emb;    /* borrowed; embeds search queries, or NULL (keyword search) */
	struct limits *lim;   /* borrowed; rate limits and token budgets, or NULL (none) */
	int64_t vs_day_s;     /* seconds in a "day" of vector store expiry (86400; less in tests) */
	/* The server listens on loopback: requests need no key while the store has never had
	 * one. Otherwise every request needs a valid key, always. */
	bool open_ok;
	atomic_bool draining; /* set when the server starts stopping: /readyz answers 503 */
};

/* The route table (static storage). */
const struct http_route *api_routes(size_t *n);

/* The http_config.before hook: resolves the API key to a project (the probes and the
 * playground page's files need none). Open mode (no key, project
 * "default") holds only while the store has never had a key and api->open_ok is set. */
int api_auth(struct http_req *req);
/* The http_config.error_body hook: the OpenAI error envelope
 * {"error":{"message","type","param","code"}}, all four always present, the type from
 * err's row in base/err.h. Owned (free with free()). */
char *api_error_body(int err, const char *message, const char *param, const char *code);

#endif
