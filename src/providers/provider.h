/* provider.h - model backends: one streaming chat-completion call at a time, many at once.
 *
 * The engine asks a provider for one model turn (prompt in, streamed text or tool calls out)
 * and gets the result through callbacks. Two backends implement it: openai.c (any
 * OpenAI-compatible Chat Completions server, over libcurl's multi interface, in httpc.c)
 * and demo.c (a deterministic built-in model for trying assistd without an upstream).
 *
 * Threads: a provider runs on an event loop (base/loop.h), the engine's: its sockets and
 * timers are watched by that loop, and every callback runs on the loop's thread. Every
 * function here is for that thread. */
#ifndef ASSISTD_PROVIDER_H
#define ASSISTD_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/loop.h"
#include "../json/json.h"
#include "../text/tokenizer.h"

struct prov;      /* a backend plus its connection pool */
struct prov_call; /* one model turn in flight */

struct prov_config {
	const char *upstream_url; /* base URL ending in /v1; NULL or "" selects the demo model */
	const char *upstream_key; /* bearer token, may be NULL */
	const char *aliases;      /* "gpt-4o=llama3.1:8b,gpt-4o-mini=qwen2.5" or NULL */
	int connect_timeout_ms;   /* 0: 10 s */
	int idle_timeout_ms;      /* no byte from upstream for this long fails the call; 0: 120 s */
	int max_retries;          /* on 429, 5xx and connection errors; 0: none. -1: default 3 */
	int demo_delay_ms;        /* demo model: pause between streamed words; 0: none */
};

/* One model turn. Everything is borrowed for the duration of prov_start. */
struct prov_request {
	const char *model;        /* as the run names it; aliases are applied by the provider */
	const jv *messages;       /* Chat Completions "messages" array (system/user/assistant/tool) */
	const jv *tools;          /* Chat Completions "tools" array of functions, or NULL */
	const jv *tool_choice;    /* "none"|"auto"|"required"|{type:function,...}, or NULL */
	const jv *response_format;/* {type:json_object} | {type:json_schema,...}, or NULL */
	bool parallel_tool_calls;
	bool has_temperature;
	double temperature;
	bool has_top_p;
	double top_p;
	int64_t max_tokens;       /* 0: no limit */
	int64_t prompt_tokens;    /* prov_prompt_tokens(model, messages) when the caller has
				   * counted them already; 0: the provider counts */
};

/* The tokens a Chat Completions message ({role, content, name, tool_calls}) takes in a prompt
 * in encoding enc: its strings, text parts, tool names and arguments, plus the 3 tokens that
 * frame every message in OpenAI's chat format. */
int64_t prov_message_tokens(enum tok_enc enc, const jv *msg);
/* The prompt_tokens of a request for model: its messages plus the 3 that prime the reply. */
int64_t prov_prompt_tokens(const char *model, const jv *messages);

/* Why a turn ended. */
enum prov_finish {
	PROV_STOP,       /* the model finished its reply */
	PROV_TOOL_CALLS, /* the model asked for tool calls */
	PROV_LENGTH,     /* cut by max_tokens */
	PROV_FAILED,     /* see prov_result.error_code / error_message */
	PROV_CANCELLED,  /* prov_cancel was called */
};

struct prov_result {
	enum prov_finish finish;
	int64_t prompt_tokens;
	int64_t completion_tokens;
	/* PROV_FAILED only: a run last_error code ("server_error", "rate_limit_exceeded",
	 * "invalid_prompt") and a message for people; both borrowed for the callback. */
	const char *error_code;
	const char *error_message;
};

/* Callbacks, all on the loop's thread, from the loop. Strings are borrowed for the call. */
struct prov_callbacks {
	/* A piece of the reply text. */
	void (*text)(void *ctx, const char *delta, size_t len);
	/* A piece of tool call number index (0, 1, ...). id and name are given (non-NULL) only
	 * the first time an index appears; args_delta is the next piece of the arguments JSON
	 * text, possibly empty. */
	void (*tool_call)(void *ctx, int index, const char *id, const char *name,
			  const char *args_delta);
	/* The turn is over; called exactly once per prov_start that returned 0, after which the
	 * call handle is freed and must not be used. */
	void (*done)(void *ctx, const struct prov_result *res);
};

/* Creates a provider whose I/O and timers run on l (borrowed; it must outlive the
 * provider). *out is owned: free with prov_free. Errors: ERR_INTERNAL. */
int prov_new(const struct prov_config *cfg, struct loop *l, struct prov **out) MUST_CHECK;
void prov_free(struct prov *p);
/* True when this provider is the built-in demo model. */
bool prov_is_demo(const struct prov *p);

/* Starts a turn; nothing is delivered inside this call. On success *call is a borrowed
 * handle valid until cb->done runs. Errors:
 * ERR_INVALID (bad request), ERR_INTERNAL. No callback runs for a failed start. */
int prov_start(struct prov *p, const struct prov_request *rq, const struct prov_callbacks *cb,
	       void *ctx, struct prov_call **call) MUST_CHECK;
/* Cancels a turn; its done callback follows (finish PROV_CANCELLED) in a later iteration
 * of the loop, never inside this call. */
void prov_cancel(struct prov_call *call);
/* Model turns started and not yet over (their done callback has not run). */
int prov_calls(const struct prov *p);

/* --- The models runs may name (what GET /v1/models lists). --- */

#define PROV_DEMO_MODEL "assistd-demo" /* the demo model's name in the list */

/* The list is ready: models is a JSON array of Model objects {id, object: "model", created,
 * owned_by}, owned by the callee (jv_free). from_upstream is false when the upstream could
 * not be asked or gave no usable list: models then holds the configured ones alone. */
typedef void prov_models_done(void *ctx, jv *models, bool from_upstream);

/* Asks for the models: the upstream's own list (GET {upstream_url}/models, up to 5 s), with
 * the names the aliases serve added; for the demo backend, the demo model. done runs once,
 * in a later loop iteration, never inside this call, unless the provider is freed first.
 * One fetch at a time: ERR_CONFLICT while one is under way. */
int prov_models(struct prov *p, prov_models_done *done, void *ctx) MUST_CHECK;
/* The configured models alone, as prov_models gives them when the upstream fails: the
 * aliases' names (none for an upstream without aliases), or the demo model. Owned JSON
 * array. Reads only the provider's fixed settings, so any thread may call it. */
jv *prov_models_configured(const struct prov *p);

#endif
