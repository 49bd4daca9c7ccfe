/* config.c - settings from defaults, environment and flags (see config.h).
 *
 * The options are one table: flag, environment variable, help text and a setter. Adding a
 * setting means adding a row and a field. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "store/store.h"

struct option {
	const char *flag;
	const char *env;
	const char *meta;
	const char *help;
	int (*set)(struct config *cfg, const char *value);
};

static int copy(char *dst, size_t len, const char *value)
{
	if (strlen(value) >= len)
		return ERR_INVALID;
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int parse_long(const char *value, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < min || n > max)
		return ERR_INVALID;
	*out = n;
	return 0;
}

/* "127.0.0.1:8080", "[::1]:8080" or "localhost:8080". */
static int set_listen(struct config *cfg, const char *value)
{
	const char *colon = strrchr(value, ':');
	const char *host = value;
	size_t hlen;
	long port;

	if (!colon || parse_long(colon + 1, 0, 65535, &port))
		return ERR_INVALID;
	hlen = (size_t)(colon - value);
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(cfg->host))
		return ERR_INVALID;
	if (hlen == 9 && strncmp(host, "localhost", 9) == 0)
		host = "127.0.0.1"; /* same length, so hlen still fits */
	memcpy(cfg->host, host, hlen);
	cfg->host[hlen] = '\0';
	cfg->port = (int)port;
	return 0;
}

static int set_data(struct config *cfg, const char *value)
{
	return copy(cfg->data_dir, sizeof(cfg->data_dir), value);
}

/* Empty, or a PostgreSQL URL: store_open_url says which it opens. */
static int set_database_url(struct config *cfg, const char *value)
{
	if (value[0] && !store_url_pg(value))
		return ERR_INVALID;
	return copy(cfg->database_url, sizeof(cfg->database_url), value);
}

static int set_files_dir(struct config *cfg, const char *value)
{
	return value[0] ? copy(cfg->files_dir, sizeof(cfg->files_dir), value) : ERR_INVALID;
}

static int set_log_level(struct config *cfg, const char *value)
{
	return log_parse_level(value, &cfg->log_level);
}

static int set_max_body(struct config *cfg, const char *value)
{
	long n;
	int err = parse_long(value, 1024, 1L << 30, &n);

	if (!err)
		cfg->max_body = (size_t)n;
	return err;
}

static int set_max_file(struct config *cfg, const char *value)
{
	long n;
	int err = parse_long(value, 1, 1L << 40, &n);

	if (!err)
		cfg->max_file_bytes = (uint64_t)n;
	return err;
}

static int set_max_body_memory(struct config *cfg, const char *value)
{
	long n;
	int err = parse_long(value, 1024 * 1024, 1L << 40, &n);

	if (!err)
		cfg->max_body_memory = (size_t)n;
	return err;
}

static int set_threads(struct config *cfg, const char *value)
{
	long n;
	int err = parse_long(value, 1, 256, &n);

	if (!err)
		cfg->threads = (unsigned)n;
	return err;
}

static int set_workers(struct config *cfg, const char *value)
{
	long n;
	int err = parse_long(value, 1, 64, &n);

	if (!err)
		cfg->workers = (int)n;
	return err;
}

static int set_upstream_url(struct config *cfg, const char *value)
{
	return copy(cfg->upstream_url, sizeof(cfg->upstream_url), value);
}

static int set_upstream_key(struct config *cfg, const char *value)
{
	return copy(cfg->upstream_key, sizeof(cfg->upstream_key), value);
}

static int set_aliases(struct config *cfg, const char *value)
{
	return copy(cfg->model_aliases, sizeof(cfg->model_aliases), value);
}

static int set_int(int *field, const char *value, long min, long max)
{
	long n;
	int err = parse_long(value, min, max, &n);

	if (!err)
		*field = (int)n;
	return err;
}

static int set_vs_day(struct config *cfg, const char *value)
{
	int day = 0;
	int err = set_int(&day, value, 1, 86400);

	cfg->vs_day_s = day;
	return err;
}

static int set_run_expiry(struct config *cfg, const char *value)
{
	return set_int(&cfg->run_expiry_s, value, 1, 86400);
}

/* A node id is a name of [A-Za-z0-9._:-]: no '#', which separates it from the boot word. */
static int set_node_id(struct config *cfg, const char *value)
{
	if (!*value || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789._:-") != strlen(value))
		return ERR_INVALID;
	return copy(cfg->node_id, sizeof(cfg->node_id), value);
}

static int set_lease_ms(struct config *cfg, const char *value)
{
	return set_int(&cfg->lease_ms, value, 300, 600000);
}

static int set_poll_after(struct config *cfg, const char *value)
{
	return set_int(&cfg->poll_after_ms, value, 1, 60000);
}

static int set_poll_hold(struct config *cfg, const char *value)
{
	return set_int(&cfg->poll_hold_ms, value, 0, 60000);
}

static int set_limit_window(struct config *cfg, const char *value)
{
	return set_int(&cfg->limit_window_ms, value, 100, 60000);
}

static int set_limit_sync(struct config *cfg, const char *value)
{
	return set_int(&cfg->limit_sync_ms, value, 10, 5000);
}

static int set_embedding_model(struct config *cfg, const char *value)
{
	return copy(cfg->embedding_model, sizeof(cfg->embedding_model), value);
}

static int set_embedding_dims(struct config *cfg, const char *value)
{
	return set_int(&cfg->embedding_dims, value, 0, 8192);
}

static int set_demo_delay(struct config *cfg, const char *value)
{
	return set_int(&cfg->demo_delay_ms, value, 0, 10000);
}

static int set_mib(int64_t *field, const char *value, long max)
{
	long n;
	int err = parse_long(value, 1, max, &n);

	if (!err)
		*field = (int64_t)n << 20;
	return err;
}

/* code_interpreter's sandbox */
static int set_sbx_cpu(struct config *cfg, const char *value)
{
	return set_int(&cfg->sandbox.cpu_s, value, 1, 3600);
}

static int set_sbx_wall(struct config *cfg, const char *value)
{
	return set_int(&cfg->sandbox.wall_s, value, 1, 3600);
}

static int set_sbx_memory(struct config *cfg, const char *value)
{
	return set_mib(&cfg->sandbox.memory, value, 1L << 20);
}

static int set_sbx_procs(struct config *cfg, const char *value)
{
	return set_int(&cfg->sandbox.nproc, value, 4, 4096);
}

static int set_sbx_file_size(struct config *cfg, const char *value)
{
	return set_mib(&cfg->sandbox.file_size, value, 1L << 20);
}

static int set_sbx_disk(struct config *cfg, const char *value)
{
	return set_mib(&cfg->sandbox.disk, value, 1L << 20);
}

static int set_sbx_tmp(struct config *cfg, const char *value)
{
	return set_mib(&cfg->sandbox.tmp, value, 1L << 20);
}

static int set_sbx_files(struct config *cfg, const char *value)
{
	return set_int(&cfg->sandbox.max_files, value, 10, 10000000);
}

static int set_sbx_output(struct config *cfg, const char *value)
{
	long n;
	int err = parse_long(value, 1024, 64L << 20, &n);

	if (!err)
		cfg->sandbox.output = (size_t)n;
	return err;
}

static int set_sbx_idle(struct config *cfg, const char *value)
{
	return set_int(&cfg->sandbox.idle_s, value, 1, 7 * 86400);
}

static int set_sbx_sessions(struct config *cfg, const char *value)
{
	return set_int(&cfg->sandbox.max_sessions, value, 1, 10000);
}

static int set_sbx_pool(struct config *cfg, const char *value)
{
	int err = set_int(&cfg->sandbox.pool, value, 0, 64);

	if (!err && cfg->sandbox.pool == 0)
		cfg->sandbox.pool = -1; /* the sandbox's "none" */
	return err;
}

static int set_sbx_uid(struct config *cfg, const char *value)
{
	long n;
	int err = parse_long(value, 1, 0x7fffffff, &n);

	if (!err)
		cfg->sandbox.sandbox_uid = (unsigned)n;
	return err;
}

static int set_sbx_bwrap(struct config *cfg, const char *value)
{
	int err = copy(cfg->sandbox_bwrap, sizeof(cfg->sandbox_bwrap), value);

	cfg->sandbox.bwrap = err || !value[0] ? NULL : cfg->sandbox_bwrap;
	return err;
}

static int set_docs_reader(struct config *cfg, const char *value)
{
	return copy(cfg->docs_reader, sizeof(cfg->docs_reader), value);
}

static const struct option options[] = {
	{ "--listen", "ASSISTD_LISTEN", "HOST:PORT",
	  "address to serve on (default 127.0.0.1:8080)", set_listen },
	{ "--data", "ASSISTD_DATA", "DIR", "directory for the database (default ./data)",
	  set_data },
	{ "--database-url", "ASSISTD_DATABASE_URL", "URL",
	  "postgres://... to keep the store in PostgreSQL, shared by any number of nodes "
	  "(default: SQLite in the data directory)", set_database_url },
	{ "--files-dir", "ASSISTD_FILES_DIR", "DIR",
	  "directory for uploaded files' bytes (default DATA/files); nodes on one database "
	  "share it (NFS or similar)", set_files_dir },
	{ "--log-level", "ASSISTD_LOG_LEVEL", "LEVEL", "debug, info, warn or error (default info)",
	  set_log_level },
	{ "--max-body", "ASSISTD_MAX_BODY", "BYTES",
	  "largest request body accepted (default 4194304)", set_max_body },
	{ "--max-file-bytes", "ASSISTD_MAX_FILE_BYTES", "BYTES",
	  "largest file accepted by POST /v1/files (default 536870912, 512 MB)", set_max_file },
	{ "--max-body-memory", "ASSISTD_MAX_BODY_MEMORY", "BYTES",
	  "memory all request bodies may hold at once; past it, 503 (default 67108864, at "
	  "least --max-body)", set_max_body_memory },
	{ "--threads", "ASSISTD_THREADS", "N", "HTTP worker threads (default 2)", set_threads },
	{ "--workers", "ASSISTD_WORKERS", "N",
	  "threads that build prompts from the store, off the engine thread (default 2)",
	  set_workers },
	{ "--upstream-url", "ASSISTD_UPSTREAM_URL", "URL",
	  "OpenAI-compatible base URL ending in /v1; unset uses the built-in demo model",
	  set_upstream_url },
	{ "--upstream-key", "ASSISTD_UPSTREAM_KEY", "KEY", "bearer token for the upstream",
	  set_upstream_key },
	{ "--model-aliases", "ASSISTD_MODEL_ALIASES", "A=B,...",
	  "serve model A with upstream model B, e.g. gpt-4o=llama3.1:8b", set_aliases },
	{ "--embedding-model", "ASSISTD_EMBEDDING_MODEL", "MODEL",
	  "embed file chunks and search queries with this model of the upstream's /embeddings "
	  "(hybrid search); unset: keyword search alone", set_embedding_model },
	{ "--embedding-dimensions", "ASSISTD_EMBEDDING_DIMENSIONS", "N",
	  "\"dimensions\" asked of the embedding model (default 256; 0: the model's own size)",
	  set_embedding_dims },
	{ "--vs-day", "ASSISTD_VS_DAY", "SECONDS",
	  "length of a day in vector store expiry (default 86400; shorter for tests)",
	  set_vs_day },
	{ "--run-expiry", "ASSISTD_RUN_EXPIRY", "SECONDS",
	  "a run waiting for tool outputs expires after this (default 600)", set_run_expiry },
	{ "--node-id", "ASSISTD_NODE_ID", "NAME",
	  "this node's name among the nodes sharing the store, kept across restarts (default "
	  "HOSTNAME:PORT)", set_node_id },
	{ "--lease-ms", "ASSISTD_LEASE_MS", "MS",
	  "how long a node's claim on a run lasts unrenewed: another node takes over a dead "
	  "node's runs after this (default 10000)", set_lease_ms },
	{ "--poll-after-ms", "ASSISTD_POLL_AFTER_MS", "MS",
	  "openai-poll-after-ms sent with runs (default 500)", set_poll_after },
	{ "--poll-hold-ms", "ASSISTD_POLL_HOLD_MS", "MS",
	  "how long an SDK poll waits for a run to change, at most half the SDK's timeout "
	  "(default 5000)", set_poll_hold },
	{ "--limit-window-ms", "ASSISTD_LIMIT_WINDOW_MS", "MS",
	  "the window of the requests and runs limits set with `assistd limits` (default "
	  "60000, a minute; shorter for tests; the same on every node)", set_limit_window },
	{ "--limit-sync-ms", "ASSISTD_LIMIT_SYNC_MS", "MS",
	  "how often a node shares its limit counts through the store (default 200)",
	  set_limit_sync },
	{ "--demo-delay-ms", "ASSISTD_DEMO_DELAY_MS", "MS",
	  "the demo model's pause between streamed words (default 20)", set_demo_delay },
	{ "--docs-reader", "ASSISTD_DOCS_READER", "PATH",
	  "the program that reads PDF, HTML, DOCX and PPTX files (default: assistd-docs beside "
	  "assistd)", set_docs_reader },
	{ "--sandbox-bwrap", "ASSISTD_SANDBOX_BWRAP", "PATH",
	  "code_interpreter: the bubblewrap program (default /usr/bin/bwrap)", set_sbx_bwrap },
	{ "--sandbox-cpu", "ASSISTD_SANDBOX_CPU", "SECONDS",
	  "code_interpreter: CPU time per call (default 60)", set_sbx_cpu },
	{ "--sandbox-wall", "ASSISTD_SANDBOX_WALL", "SECONDS",
	  "code_interpreter: wall time per call (default 60)", set_sbx_wall },
	{ "--sandbox-memory", "ASSISTD_SANDBOX_MEMORY", "MIB",
	  "code_interpreter: address space per process (default 1024)", set_sbx_memory },
	{ "--sandbox-procs", "ASSISTD_SANDBOX_PROCS", "N",
	  "code_interpreter: processes per session (default 64)", set_sbx_procs },
	{ "--sandbox-file-size", "ASSISTD_SANDBOX_FILE_SIZE", "MIB",
	  "code_interpreter: largest file the code may write (default 256)", set_sbx_file_size },
	{ "--sandbox-disk", "ASSISTD_SANDBOX_DISK", "MIB",
	  "code_interpreter: size of each session's /mnt/data, in memory (default 512)",
	  set_sbx_disk },
	{ "--sandbox-tmp", "ASSISTD_SANDBOX_TMP", "MIB",
	  "code_interpreter: size of each session's /tmp, in memory (default 64)", set_sbx_tmp },
	{ "--sandbox-files", "ASSISTD_SANDBOX_FILES", "N",
	  "code_interpreter: files and directories in /mnt/data (default 10000)", set_sbx_files },
	{ "--sandbox-output", "ASSISTD_SANDBOX_OUTPUT", "BYTES",
	  "code_interpreter: logs kept per call, the rest cut with a note (default 65536)",
	  set_sbx_output },
	{ "--sandbox-idle", "ASSISTD_SANDBOX_IDLE", "SECONDS",
	  "code_interpreter: an idle session ends after this (default 1800)", set_sbx_idle },
	{ "--sandbox-sessions", "ASSISTD_SANDBOX_SESSIONS", "N",
	  "code_interpreter: live sessions; past it the least recently used ends (default 16)",
	  set_sbx_sessions },
	{ "--sandbox-pool", "ASSISTD_SANDBOX_POOL", "N",
	  "code_interpreter: sessions started ahead for new threads (default 1)", set_sbx_pool },
	{ "--sandbox-uid", "ASSISTD_SANDBOX_UID", "UID",
	  "code_interpreter: the uid sessions run as when the server runs as root (default "
	  "65534)", set_sbx_uid },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
	cfg->port = 8080;
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "./data");
	cfg->log_level = LOG_INFO;
	cfg->max_body = 4 * 1024 * 1024;
	cfg->max_file_bytes = 512ULL * 1024 * 1024;
	cfg->max_body_memory = 64 * 1024 * 1024;
	cfg->threads = 2;
	cfg->workers = 2;
	cfg->run_expiry_s = 600;
	cfg->lease_ms = 10000;
	cfg->vs_day_s = 86400;
	cfg->embedding_dims = 256;
	cfg->poll_after_ms = 500;
	cfg->poll_hold_ms = 5000;
	cfg->limit_window_ms = 60000;
	cfg->limit_sync_ms = 200;
	cfg->demo_delay_ms = 20;
}

/* The upstream's URL (it may carry a password) and key are never echoed back. */
static bool secret(const struct option *o)
{
	return o->set == set_upstream_url || o->set == set_upstream_key ||
	       o->set == set_database_url;
}

static int apply(struct config *cfg, const struct option *o, const char *value, const char *from)
{
	if (o->set(cfg, value) == 0)
		return 0;
	if (secret(o))
		fprintf(stderr, "assistd: %s: the value (%zu characters, not shown) is not a valid "
			"%s (see assistd --help)\n", from, strlen(value), o->meta);
	else
		fprintf(stderr, "assistd: %s: '%s' is not a valid %s (see assistd --help)\n", from,
			value, o->meta);
	return ERR_INVALID;
}

static const struct option *find(const char *flag)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (strcmp(options[i].flag, flag) == 0)
			return &options[i];
	}
	return NULL;
}

static int load_env(struct config *cfg)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const char *value = getenv(options[i].env);

		if (value && *value && apply(cfg, &options[i], value, options[i].env))
			return ERR_INVALID;
	}
	return 0;
}

int config_load(struct config *cfg, int argc, char **argv, int first)
{
	defaults(cfg);
	if (load_env(cfg))
		return ERR_INVALID;
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		char flag[64];
		const struct option *o;

		snprintf(flag, sizeof(flag), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		o = find(flag);
		if (!o) {
			fprintf(stderr, "assistd: unknown option '%s' (see assistd --help)\n", arg);
			return ERR_INVALID;
		}
		if (!eq && i + 1 >= argc) {
			fprintf(stderr, "assistd: %s needs a value: %s\n", flag, o->meta);
			return ERR_INVALID;
		}
		if (apply(cfg, o, eq ? eq + 1 : argv[++i], flag))
			return ERR_INVALID;
	}
	if (!cfg->files_dir[0] &&
	    (size_t)snprintf(cfg->files_dir, sizeof(cfg->files_dir), "%s/files", cfg->data_dir) >=
		    sizeof(cfg->files_dir)) {
		fprintf(stderr, "assistd: the data directory's path is too long\n");
		return ERR_INVALID;
	}
	return 0;
}

void config_usage(FILE *out)
{
	fprintf(out,
		"usage: assistd [serve] [options]      run the server\n"
		"       assistd keys create --project NAME [--data DIR]\n"
		"       assistd keys list [--data DIR]\n"
		"       assistd keys revoke KEY_ID [--data DIR]\n"
		"       assistd backup --to DEST [--data DIR]   online copy of the data directory\n"
		"       assistd tokenize [--model NAME | --encoding o200k_base|cl100k_base] [--count]"
		" < TEXT\n"
		"\n"
		"options (each also read from its environment variable; the flag wins):\n");
	for (size_t i = 0; i < NOPTIONS; i++)
		fprintf(out, "  %-19s %-10s %-25s %s\n", options[i].flag, options[i].meta,
			options[i].env, options[i].help);
}

bool config_is_loopback(const struct config *cfg)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, cfg->host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, cfg->host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return false;
}

void config_node_id(const struct config *cfg, char *out, size_t len)
{
	char host[64] = "localhost";

	if (cfg->node_id[0]) {
		snprintf(out, len, "%s", cfg->node_id);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, "#")] = '\0';
	if (cfg->port)
		snprintf(out, len, "%s:%d", host, cfg->port);
	else
		snprintf(out, len, "%s:0.%d", host, (int)getpid());
}
