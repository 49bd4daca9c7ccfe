/* openai_wire.h - the Chat Completions wire format (private to src/providers).
 *
 * Builds the request body openai.c sends, and turns what comes back (streamed
 * chat.completion.chunk objects, or one chat.completion object from a server that ignored
 * "stream") into provider callbacks. It does no I/O and makes no decision about retries. */
#ifndef ASSISTD_OPENAI_WIRE_H
#define ASSISTD_OPENAI_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "prov_int.h"

/* Returns the owned JSON text of a streaming Chat Completions request for rq, naming the
 * upstream model (aliases already applied). */
char *oai_body(const struct prov_request *rq, const char *model);

/* One tool call of the reply, by the upstream's index. */
struct oai_tool {
	int64_t upstream; /* the index the upstream gave it */
	bool announced;   /* its id and name have been delivered */
	char *id;         /* owned; NULL until known */
	char *name;       /* owned; NULL until known */
	struct buf args;  /* argument pieces received before the name */
};

/* What a reply has said so far. */
struct oai_parse {
	struct prov_call *c;    /* borrowed: where text and tool calls go */
	struct oai_tool *tools; /* owned array, in order of first appearance */
	size_t ntools;
	bool finished;          /* a finish_reason arrived */
	enum prov_finish finish;
	bool has_usage;
	int64_t prompt_tokens;
	int64_t completion_tokens;
	char *error;            /* owned: what is wrong with the reply, once something is */
};

void oai_parse_init(struct oai_parse *ps, struct prov_call *c);
void oai_parse_cleanup(struct oai_parse *ps);
/* Takes one chat.completion.chunk. Returns 0, or ERR_UPSTREAM with ps->error set (an
 * error object in the stream, a tool call too large). */
int oai_parse_chunk(struct oai_parse *ps, const jv *chunk) MUST_CHECK;
/* Takes a whole chat.completion. Returns 0 or ERR_UPSTREAM with ps->error set. */
int oai_parse_completion(struct oai_parse *ps, const jv *obj) MUST_CHECK;
/* The reply is over: checks it is complete and fills res (finish and usage, estimated
 * when the upstream sent none). Returns 0 or ERR_UPSTREAM with ps->error set. */
int oai_parse_end(struct oai_parse *ps, struct prov_result *res) MUST_CHECK;

/* The message in an upstream error body: error.message, error (a string), message or
 * detail, else the text itself, trimmed and shortened. Owned; NULL when the body is
 * empty. */
char *oai_error_message(const char *body, size_t len);

#endif
