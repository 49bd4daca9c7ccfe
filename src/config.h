/* config.h - the server's settings, from flags and environment alike.
 *
 * Every setting has a flag and an environment variable (the flag wins). The struct is filled
 * once at start-up and read-only afterwards. config_usage prints the --help text. */
#ifndef ASSISTD_CONFIG_H
#define ASSISTD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/log.h"
#include "tools/sandbox.h"

struct config {
	char host[64];         /* numeric listen address */
	int port;
	char data_dir[1024];
	char database_url[1024]; /* "" : SQLite in data_dir; postgres://... : PostgreSQL */
	char files_dir[1024];  /* the file blobs; <data_dir>/files unless set */
	enum log_level log_level;
	size_t max_body;       /* bytes */
	uint64_t max_file_bytes; /* largest upload */
	size_t max_body_memory; /* bytes all request bodies may hold together */
	unsigned threads;      /* HTTP worker threads */
	int workers;           /* engine worker pool threads (prompt building) */
	char upstream_url[1024]; /* "" selects the built-in demo model */
	char upstream_key[1024];
	char model_aliases[1024];
	char embedding_model[256]; /* "" : no embeddings, keyword search alone */
	int embedding_dims;        /* "dimensions" sent; 0: the model's own */
	int run_expiry_s;      /* a run waiting in requires_action expires after this */
	char node_id[128];     /* this node's name among those sharing the store; "": the
				  host name and listen port (config_node_id) */
	int lease_ms;          /* how long a run lease lasts unrenewed */
	int64_t vs_day_s;      /* a "day" of vector store expiry, in seconds */
	int poll_after_ms;     /* openai-poll-after-ms on run responses */
	int poll_hold_ms;      /* how long a poll-helper retrieve waits for a change */
	int limit_window_ms;   /* the window of the requests and runs limits */
	int limit_sync_ms;     /* how often limit counts are shared through the store */
	int demo_delay_ms;     /* the demo model's pause between words */
	char docs_reader[PATH_MAX]; /* the document reader; "" for assistd-docs beside assistd */
	struct sbx_config sandbox; /* code_interpreter's limits (0: the sandbox's default) */
	char sandbox_bwrap[PATH_MAX]; /* bubblewrap for the sandbox; "" for /usr/bin/bwrap */
};

/* Fills cfg from defaults, then the environment, then argv[first..argc). Unknown flags and bad
 * values are reported on stderr. Returns 0, or ERR_INVALID. */
int config_load(struct config *cfg, int argc, char **argv, int first);
void config_usage(FILE *out);
/* Writes this node's name into out: --node-id, else "<host name>:<port>", which stays the
 * same across restarts (a port of 0 adds the process id: no two processes share it). */
void config_node_id(const struct config *cfg, char *out, size_t len);
/* True when the listen host is a loopback address (127.0.0.0/8 or ::1). */
bool config_is_loopback(const struct config *cfg);

#endif
