/* demo.c - the built-in demo model: deterministic replies, no network, no threads.
 *
 * Selected when no upstream URL is configured, so assistd can be tried (and the engine
 * tested) without a model server. It answers from the request alone:
 *
 *  - Last message has role "tool" (the turn after tool calls): one line per tool message at
 *    the end of the conversation, "Tool <name> returned: <output>", where <name> comes from
 *    the assistant message's matching tool_calls entry (file_search: see "search" below).
 *  - Else, when the last user message contains "call <name>" for a function tool in the
 *    request's tools and tool_choice isn't "none": a tool call to <name>. Its arguments
 *    are the JSON object right after the name ("call get_weather {"city":"Paris"}"), else
 *    "{}". Several "call <name>" make parallel calls when parallel_tool_calls, else only
 *    the first counts. tool_choice "required" without any "call" calls the first function
 *    tool with "{}"; a named tool_choice calls that function. Ids are "call_" + 24 base62
 *    characters. The turn ends with PROV_TOOL_CALLS.
 *  - Else, when it says "search <query>" and the request offers the file_search function
 *    (the run has the file_search tool): a call to file_search with {"query": the rest of
 *    that line}. Its output comes back as results headed by source markers; the answer
 *    then quotes the first three, each followed by its marker, so the engine turns the
 *    markers into file_citation annotations.
 *  - Else "You said: <text of the last user message>" (text parts joined with a space;
 *    "(no message)" when there is none). With response_format json_object or json_schema
 *    the reply is the JSON text {"reply":"You said: ..."} instead.
 *
 * Text streams word by word (each word keeps its leading spaces, so the deltas concatenate
 * to the reply), one callback per word, with demo_delay_ms between words; tool calls
 * stream one per step the same way. Nothing is delivered inside prov_start, even with no
 * delay. max_tokens > 0 cuts the reply after that many tokens (of the model's encoding, even
 * inside a word) and ends the turn with PROV_LENGTH. "demo:fail" in the last user message
 * fails the turn with server_error "demo model failure requested"; "demo:slow" paces words
 * 200 ms apart whatever the config.
 * Usage: the tokens of the prompt and of what was emitted, counted by provider.c.
 *
 * The reply is decided in demo_reply.c; this file paces it on the calls' timers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "demo_reply.h"
#include "prov_int.h"

#define DEMO_SLOW_MS 200

struct demo_call {
	struct prov_call base; /* first: a struct prov_call * is a struct demo_call * */
	struct demo_plan plan;
	size_t pos;        /* next byte of plan.text to stream */
	size_t end;        /* where the text ends: its length, or the max_tokens cut */
	size_t next_tool;  /* next entry of plan.calls to stream */
	int delay_ms;
};

static void end(struct demo_call *d, enum prov_finish finish)
{
	struct prov_result res = {
		.finish = finish,
		.prompt_tokens = d->base.prompt_tokens,
		.completion_tokens = prov_call_out_tokens(&d->base),
	};

	prov_call_end(&d->base, &res);
}

/* Streams words until the reply (or its max_tokens cut) ends or it is time to pause. */
static void step_text(struct demo_call *d)
{
	const char *text = d->plan.text;

	while (d->pos < d->end) {
		size_t n = demo_word_len(text + d->pos);

		if (n > d->end - d->pos)
			n = d->end - d->pos;
		prov_emit_text(&d->base, text + d->pos, n);
		if (d->base.cancelled)
			return;
		d->pos += n;
		if (d->pos < d->end && d->delay_ms > 0) {
			prov_call_after(&d->base, d->delay_ms);
			return;
		}
	}
	end(d, text[d->pos] != '\0' ? PROV_LENGTH : PROV_STOP);
}

/* Where the reply ends: after max_tokens tokens when it has more, else at its end. */
static size_t text_end(const char *text, enum tok_enc enc, int64_t max_tokens)
{
	size_t len = text ? strlen(text) : 0;
	uint32_t *ids = NULL;
	size_t *offs = NULL;
	size_t n = 0;

	if (max_tokens <= 0 || !len || tok_encode(enc, text, len, &ids, &offs, &n))
		return len;
	if ((size_t)max_tokens < n)
		len = offs[max_tokens];
	free(ids);
	free(offs);
	return len;
}

/* Streams tool calls, all at once or one per step when paced. */
static void step_calls(struct demo_call *d)
{
	while (d->next_tool < jv_size(d->plan.calls)) {
		const jv *tc = jv_at(d->plan.calls, d->next_tool);

		prov_emit_tool(&d->base, (int)d->next_tool, jv_get_str(tc, "id"),
			       jv_get_str(tc, "name"), jv_get_str(tc, "arguments"));
		if (d->base.cancelled)
			return;
		d->next_tool++;
		if (d->next_tool < jv_size(d->plan.calls) && d->delay_ms > 0) {
			prov_call_after(&d->base, d->delay_ms);
			return;
		}
	}
	end(d, PROV_TOOL_CALLS);
}

/* The call's timer: the next step of the turn. */
static void step(void *arg)
{
	struct demo_call *d = arg;

	if (d->plan.fail)
		prov_call_fail(&d->base, "server_error", "demo model failure requested");
	else if (d->plan.calls)
		step_calls(d);
	else
		step_text(d);
}

static int demo_start(struct prov *p, const struct prov_request *rq,
		      const struct prov_callbacks *cb, void *ctx, struct prov_call **out)
{
	struct demo_call *d = xcalloc(1, sizeof(*d));
	int err = demo_plan_make(rq, &d->plan);

	if (err) {
		free(d);
		return err;
	}
	prov_call_init(&d->base, p, rq, cb, ctx, step);
	d->delay_ms = d->plan.slow ? DEMO_SLOW_MS : p->cfg.demo_delay_ms;
	d->end = text_end(d->plan.text, d->base.enc, rq->max_tokens);
	prov_call_after(&d->base, 0);
	*out = &d->base;
	return 0;
}

static void demo_stop(struct prov_call *c)
{
	/* All of a demo call's work is its timer, which provider.c has disarmed. */
}

static void demo_call_free(struct prov_call *c)
{
	struct demo_call *d = (struct demo_call *)c;

	demo_plan_cleanup(&d->plan);
	free(d);
}

static int demo_open(struct prov *p)
{
	log_debug("provider: no upstream configured; using the built-in demo model");
	return 0;
}

static void demo_close(struct prov *p)
{
	/* The demo model keeps no state beyond its calls. */
}

const struct prov_ops prov_demo_ops = {
	.name = "demo",
	.open = demo_open,
	.close = demo_close,
	.start = demo_start,
	.stop = demo_stop,
	.call_free = demo_call_free,
};
