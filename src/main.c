/* main.c - assistd: configuration, store, engine, HTTP server, then wait for a signal.
 *
 * Start-up refuses to serve an open API (no key ever created) on anything but a loopback
 * address. SIGINT and
 * SIGTERM stop the server gracefully: requests in flight finish and the store closes. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "api/api.h"
#include "api/files.h"
#include "base/err.h"
#include "base/log.h"
#include "base/url.h"
#include "cli.h"
#include "config.h"
#include "docs/extract.h"
#include "engine/engine.h"
#include "http/http.h"
#include "limits/limits.h"
#include "providers/embed.h"
#include "store/blob.h"
#include "store/store.h"
#include "tools/ingest.h"

#define SHUTDOWN_GRACE_MS 10000
#define INGEST_WORKERS 2
#define EXPIRY_SWEEP_S 60          /* how often expired files are removed */
#define UPLOAD_FORM_SLACK (1 << 20) /* multipart framing and form fields around a file */

/* Signals are taken by sigwait in main, so no other thread is interrupted by them. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Every open stream is a socket: take the hard limit on open files, not the usual 1024. */
static void raise_file_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("could not raise the open-file limit; many open streams may be refused");
}

/* With no key ever created the server is open; that is only allowed on loopback. */
static int check_access(const struct config *cfg, struct store *st)
{
	bool ever = false;

	if (store_key_ever(st, &ever))
		return ERR_DB;
	if (ever)
		return 0;
	if (!config_is_loopback(cfg)) {
		log_error("no API key exists, and %s is not a loopback address: refusing to serve "
			  "an open API. Create a key with `assistd keys create --project NAME "
			  "--data %s`, or listen on 127.0.0.1.", cfg->host, cfg->data_dir);
		return ERR_PERMISSION;
	}
	log_warn("no API key exists: the API is open to anyone who can reach %s (all objects "
		 "go to project 'default'). Create one with `assistd keys create --project NAME`.",
		 cfg->host);
	return 0;
}

static void log_listening(const struct config *cfg, int port)
{
	bool v6 = strchr(cfg->host, ':') != NULL;

	log_info("listening on http://%s%s%s:%d (data in %s)", v6 ? "[" : "", cfg->host,
		 v6 ? "]" : "", port, cfg->data_dir);
}

static void log_model(const struct config *cfg)
{
	char *url = url_public(cfg->upstream_url);

	if (!cfg->upstream_url[0])
		log_info("no upstream model configured (ASSISTD_UPSTREAM_URL): runs use the "
			 "built-in demo model, which echoes and calls tools on request (see README)");
	else
		log_info("runs use the model server at %s", url);
	free(url);
}

/* Chooses the document reader; without it the server still serves, but PDF, HTML, DOCX and
 * PPTX files cannot be read. (config bounds the path below PATH_MAX, so the choice is never
 * refused.) */
static void choose_docs_reader(const struct config *cfg)
{
	if (doc_reader_set(cfg->docs_reader))
		log_warn("PDF, HTML, DOCX and PPTX files cannot be read: the document reader %s is "
			 "missing or not executable; put assistd-docs beside assistd (make builds "
			 "both) or name it with --docs-reader (ASSISTD_DOCS_READER)", doc_reader());
}

static int start_engine(const struct config *cfg, struct store *st, struct blobs *bs,
			struct embed *emb, struct limits *lim, struct engine **eng)
{
	char node[192];
	struct engine_config ec = {
		.node = node,
		.lease_ms = cfg->lease_ms,
		.st = st,
		.emb = emb,
		.lim = lim,
		.prov = { .upstream_url = cfg->upstream_url, .upstream_key = cfg->upstream_key,
			  .aliases = cfg->model_aliases, .max_retries = -1,
			  .demo_delay_ms = cfg->demo_delay_ms },
		.run_expiry_s = cfg->run_expiry_s,
		.vs_day_s = cfg->vs_day_s,
		.pool_threads = cfg->workers,
		.bs = bs,
		.sandbox = &cfg->sandbox,
	};

	config_node_id(cfg, node, sizeof(node));
	log_model(cfg);
	return engine_start(&ec, eng);
}

/* Reads the limits per key and project and starts sharing their counts with other nodes. */
static int start_limits(const struct config *cfg, struct store *st, struct limits **lim)
{
	struct limits_config lc = { .st = st, .window_ms = cfg->limit_window_ms,
				    .sync_ms = cfg->limit_sync_ms };

	return limits_start(&lc, lim);
}

/* Opens the file blobs and removes what an earlier run left behind. */
static int open_blobs(const struct config *cfg, struct store *st, struct blobs **bs)
{
	int err = blobs_open(cfg->files_dir, bs);

	if (!err)
		err = files_sweep(st, *bs);
	return err;
}

/* The embedding client, when a model is set (*emb stays NULL otherwise); says once which
 * search file_search does. */
static int open_embed(const struct config *cfg, struct embed **emb)
{
	struct embed_config ec = { .url = cfg->upstream_url, .key = cfg->upstream_key,
				   .model = cfg->embedding_model, .dims = cfg->embedding_dims,
				   .max_retries = -1 };

	*emb = NULL;
	if (!cfg->embedding_model[0]) {
		log_info("file_search: keyword search alone (SQLite FTS5, BM25); set "
			 "ASSISTD_EMBEDDING_MODEL for hybrid search with embeddings");
		return 0;
	}
	if (!cfg->upstream_url[0]) {
		log_error("ASSISTD_EMBEDDING_MODEL needs a model server: set ASSISTD_UPSTREAM_URL "
			  "to one that serves /v1/embeddings");
		return ERR_INVALID;
	}
	log_info("file_search: hybrid search, keyword (BM25) and embeddings of %s (%d "
		 "dimensions)", cfg->embedding_model, cfg->embedding_dims);
	return embed_new(&ec, emb);
}

/* Starts the workers that index files attached to vector stores (and take up what a previous
 * process left unfinished). */
static int start_ingest(struct store *st, struct blobs *bs, struct embed *emb,
			struct ingest **ing)
{
	struct ingest_config ic = { .st = st, .bs = bs, .emb = emb, .workers = INGEST_WORKERS };

	return ingest_start(&ic, ing);
}

/* Waits for SIGINT or SIGTERM, removing expired files now and then; returns the signal. */
static int wait_signal(const sigset_t *set, struct store *st, struct blobs *bs)
{
	const struct timespec every = { .tv_sec = EXPIRY_SWEEP_S };
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &every);
		if (sig > 0)
			return sig;
		if (files_expire(st, bs, NULL) != 0)
			log_warn("removing expired files failed; trying again in %d s",
				 EXPIRY_SWEEP_S);
	}
}

static int serve(const struct config *cfg)
{
	struct store *st = NULL;
	struct blobs *bs = NULL;
	struct engine *eng = NULL;
	struct ingest *ing = NULL;
	struct embed *emb = NULL;
	struct limits *lim = NULL;
	struct http_server *srv = NULL;
	struct api api = { .poll_after_ms = cfg->poll_after_ms, .poll_hold_ms = cfg->poll_hold_ms,
			   .run_expiry_s = cfg->run_expiry_s, .open_ok = config_is_loopback(cfg),
			   .max_file_bytes = cfg->max_file_bytes, .vs_day_s = cfg->vs_day_s };
	struct http_config hc = { .host = cfg->host, .port = cfg->port, .threads = cfg->threads,
				  .max_body = cfg->max_body, .max_body_memory = cfg->max_body_memory,
				  .before = api_auth, .error_body = api_error_body, .app = &api,
				  .max_sink_body = cfg->max_file_bytes + UPLOAD_FORM_SLACK };
	sigset_t set;
	int sig = 0;
	int err;

	block_signals(&set);
	raise_file_limit();
	choose_docs_reader(cfg);
	err = store_open_url(cfg->database_url, cfg->data_dir, &st);
	if (!err)
		err = check_access(cfg, st);
	if (!err)
		err = open_blobs(cfg, st, &bs);
	if (!err)
		err = open_embed(cfg, &emb);
	if (!err)
		err = start_limits(cfg, st, &lim);
	if (!err)
		err = start_engine(cfg, st, bs, emb, lim, &eng);
	if (err)
		goto out;
	err = start_ingest(st, bs, emb, &ing);
	if (err)
		goto out;
	api.st = st;
	api.blobs = bs;
	api.eng = eng;
	api.ing = ing;
	api.emb = emb;
	api.lim = lim;
	hc.routes = api_routes(&hc.nroutes);
	err = http_start(&hc, &srv);
	if (err)
		goto out;
	log_listening(cfg, http_port(srv));
	/* Start-up is over: hand back the pages of what it freed (the store's migration cache,
	 * among others), which malloc would otherwise keep for later. */
	malloc_trim(0);
	sig = wait_signal(&set, st, bs);
	log_info("received %s: finishing runs and requests in flight, then stopping",
		 sig == SIGINT ? "SIGINT" : "SIGTERM");
	atomic_store(&api.draining, true);
	engine_drain(eng, SHUTDOWN_GRACE_MS);
	http_stop(srv, SHUTDOWN_GRACE_MS);
out:
	ingest_stop(ing);
	engine_stop(eng);
	limits_stop(lim); /* after the engine, which counts tokens */
	embed_free(emb); /* after both: file_search and ingestion use it */
	blobs_close(bs);
	store_close(st);
	if (!err)
		log_info("stopped cleanly");
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	int first = 1;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		config_usage(stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "keys") == 0)
		return cli_keys(argc, argv);
	if (argc > 1 && strcmp(argv[1], "limits") == 0)
		return cli_limits(argc, argv);
	if (argc > 1 && strcmp(argv[1], "backup") == 0)
		return cli_backup(argc, argv);
	if (argc > 1 && strcmp(argv[1], "tokenize") == 0)
		return cli_tokenize(argc, argv);
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		first = 2;
	if (config_load(&cfg, argc, argv, first))
		return 2;
	log_set_level(cfg.log_level);
	return serve(&cfg);
}
