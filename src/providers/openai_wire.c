/* openai_wire.c - Chat Completions request bodies and replies (see openai_wire.h).
 *
 * Replies are read leniently, because "OpenAI-compatible" servers (vLLM, llama.cpp,
 * Ollama, LiteLLM) differ in small ways: tool call indices may be missing, the name may
 * come after the first argument piece, arguments may be an object instead of a string,
 * and finish_reason may say "stop" after tool calls. Only choices[0] is read. */
#include "openai_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/id.h"

#define OAI_MAX_ARGS (4 << 20)   /* argument bytes held while a tool call has no name */
#define OAI_MAX_ERROR_TEXT 300  /* longest raw error text quoted in a message */
#define OAI_MAX_TOKENS INT32_MAX /* larger token counts are nonsense (and would overflow sums) */

char *oai_body(const struct prov_request *rq, const char *model)
{
	jv *o = jv_object();
	jv *so = jv_object();
	char *s;

	jv_set_str(o, "model", model);
	jv_set(o, "messages", jv_copy(rq->messages));
	jv_set_bool(o, "stream", true);
	jv_set_bool(so, "include_usage", true);
	jv_set(o, "stream_options", so);
	if (jv_size(rq->tools) > 0) {
		jv_set(o, "tools", jv_copy(rq->tools));
		if (rq->tool_choice)
			jv_set(o, "tool_choice", jv_copy(rq->tool_choice));
		jv_set_bool(o, "parallel_tool_calls", rq->parallel_tool_calls);
	}
	if (rq->response_format)
		jv_set(o, "response_format", jv_copy(rq->response_format));
	if (rq->has_temperature)
		jv_set(o, "temperature", jv_real(rq->temperature));
	if (rq->has_top_p)
		jv_set(o, "top_p", jv_real(rq->top_p));
	if (rq->max_tokens > 0)
		jv_set_int(o, "max_tokens", rq->max_tokens);
	s = jv_dump(o);
	jv_free(o);
	return s;
}

void oai_parse_init(struct oai_parse *ps, struct prov_call *c)
{
	memset(ps, 0, sizeof(*ps));
	ps->c = c;
	ps->finish = PROV_STOP;
}

void oai_parse_cleanup(struct oai_parse *ps)
{
	for (size_t i = 0; i < ps->ntools; i++) {
		free(ps->tools[i].id);
		free(ps->tools[i].name);
		buf_cleanup(&ps->tools[i].args);
	}
	free(ps->tools);
	free(ps->error);
	oai_parse_init(ps, ps->c);
}

static int fail(struct oai_parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct oai_parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->error)
		return ERR_UPSTREAM;
	va_start(ap, fmt);
	if (vasprintf(&ps->error, fmt, ap) < 0)
		abort();
	va_end(ap);
	return ERR_UPSTREAM;
}

/* --- Tool calls. --- */

static struct oai_tool *tool_slot(struct oai_parse *ps, int64_t upstream)
{
	struct oai_tool *t;

	for (size_t i = 0; i < ps->ntools; i++) {
		if (ps->tools[i].upstream == upstream)
			return &ps->tools[i];
	}
	ps->tools = xrealloc(ps->tools, (ps->ntools + 1) * sizeof(*ps->tools));
	t = &ps->tools[ps->ntools++];
	memset(t, 0, sizeof(*t));
	t->upstream = upstream;
	buf_init(&t->args, OAI_MAX_ARGS);
	return t;
}

/* The arguments piece of a "function" object as text: owned, never NULL. */
static char *args_text(const jv *fn)
{
	const jv *a = jv_get(fn, "arguments");

	if (jv_is_string(a))
		return xstrdup(jv_str(a));
	if (jv_is_object(a) || jv_is_array(a))
		return jv_dump(a);
	return xstrdup("");
}

/* Delivers id and name with the arguments held so far plus piece. */
static int announce(struct oai_parse *ps, struct oai_tool *t, const char *piece)
{
	char id[64];
	int err;

	if (!t->id) {
		err = id_new(ID_CALL, id, sizeof(id));
		if (err)
			return fail(ps, "no randomness for a tool call id");
		t->id = xstrdup(id);
	}
	if (buf_puts(&t->args, piece))
		return fail(ps, "tool call arguments larger than %d bytes", OAI_MAX_ARGS);
	t->announced = true;
	prov_emit_tool(ps->c, (int)(t - ps->tools), t->id, t->name, t->args.p ? t->args.p : "");
	buf_cleanup(&t->args);
	return 0;
}

static int tool_piece(struct oai_parse *ps, const jv *tc, size_t pos)
{
	const jv *idx = jv_get(tc, "index");
	struct oai_tool *t = tool_slot(ps, jv_is_int(idx) ? jv_int_value(idx) : (int64_t)pos);
	const jv *fn = jv_get(tc, "function");
	const char *name = jv_get_str(fn, "name");
	char *args = args_text(fn);
	int err = 0;

	if (!t->id && jv_get_str(tc, "id") && *jv_get_str(tc, "id"))
		t->id = xstrdup(jv_get_str(tc, "id"));
	if (!t->name && name && *name)
		t->name = xstrdup(name);
	if (t->announced && *args)
		prov_emit_tool(ps->c, (int)(t - ps->tools), NULL, NULL, args);
	else if (!t->announced && t->name)
		err = announce(ps, t, args);
	else if (!t->announced && buf_puts(&t->args, args))
		err = fail(ps, "tool call arguments larger than %d bytes", OAI_MAX_ARGS);
	free(args);
	return err;
}

/* --- Chunks and completions. --- */

static void take_finish(struct oai_parse *ps, const char *reason)
{
	if (!reason)
		return;
	ps->finished = true;
	if (strcmp(reason, "length") == 0)
		ps->finish = PROV_LENGTH;
	else if (strcmp(reason, "tool_calls") == 0 || strcmp(reason, "function_call") == 0)
		ps->finish = PROV_TOOL_CALLS;
	else
		ps->finish = PROV_STOP;
}

/* A token count from the upstream: an integer from 0 to OAI_MAX_TOKENS, else -1. */
static int64_t token_count(const jv *v)
{
	int64_t n = jv_int_value(v);

	return jv_is_int(v) && n >= 0 && n <= OAI_MAX_TOKENS ? n : -1;
}

/* Takes the usage when both counts are sane; otherwise the end estimates them. */
static void take_usage(struct oai_parse *ps, const jv *usage)
{
	int64_t prompt = token_count(jv_get(usage, "prompt_tokens"));
	int64_t completion = token_count(jv_get(usage, "completion_tokens"));

	if (prompt < 0 || completion < 0)
		return;
	ps->has_usage = true;
	ps->prompt_tokens = prompt;
	ps->completion_tokens = completion;
}

static int take_error(struct oai_parse *ps, const jv *e)
{
	const char *msg = jv_is_string(e) ? jv_str(e) : jv_get_str(e, "message");

	return fail(ps, "upstream reported an error: %s", msg ? msg : "(no message)");
}

/* The content text and tool calls of a delta or message object. */
static int take_parts(struct oai_parse *ps, const jv *m)
{
	const jv *content = jv_get(m, "content");
	const jv *calls = jv_get(m, "tool_calls");
	int err = 0;

	if (jv_strlen(content) > 0)
		prov_emit_text(ps->c, jv_str(content), jv_strlen(content));
	for (size_t i = 0; i < jv_size(calls) && !err; i++)
		err = tool_piece(ps, jv_at(calls, i), i);
	return err;
}

int oai_parse_chunk(struct oai_parse *ps, const jv *chunk)
{
	const jv *choice = jv_at(jv_get(chunk, "choices"), 0);
	int err;

	if (!jv_is_object(chunk))
		return fail(ps, "a chunk is a JSON %s, not an object", jv_type_name(chunk));
	if (jv_get(chunk, "error") && !jv_is_null(jv_get(chunk, "error")))
		return take_error(ps, jv_get(chunk, "error"));
	take_usage(ps, jv_get(chunk, "usage"));
	if (!choice)
		return 0;
	err = take_parts(ps, jv_get(choice, "delta"));
	if (err)
		return err;
	take_finish(ps, jv_get_str(choice, "finish_reason"));
	return 0;
}

int oai_parse_completion(struct oai_parse *ps, const jv *obj)
{
	const jv *choice = jv_at(jv_get(obj, "choices"), 0);
	int err;

	if (jv_get(obj, "error") && !jv_is_null(jv_get(obj, "error")))
		return take_error(ps, jv_get(obj, "error"));
	if (!jv_is_object(choice))
		return fail(ps, "the reply has no choices");
	err = take_parts(ps, jv_get(choice, "message"));
	if (err)
		return err;
	take_usage(ps, jv_get(obj, "usage"));
	take_finish(ps, jv_get_str(choice, "finish_reason"));
	/* A whole reply is finished even when a server leaves finish_reason out. */
	ps->finished = true;
	return 0;
}

int oai_parse_end(struct oai_parse *ps, struct prov_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!ps->finished)
		return fail(ps, "the stream ended before the reply was finished");
	for (size_t i = 0; i < ps->ntools; i++) {
		if (!ps->tools[i].announced)
			return fail(ps, "a tool call came without a function name");
	}
	res->finish = ps->finish;
	/* Some servers say "stop" after tool calls; the calls are what matters. */
	if (ps->ntools > 0 && ps->finish == PROV_STOP)
		res->finish = PROV_TOOL_CALLS;
	res->prompt_tokens = ps->has_usage ? ps->prompt_tokens : ps->c->prompt_tokens;
	res->completion_tokens = ps->has_usage ? ps->completion_tokens
					       : prov_call_out_tokens(ps->c);
	return 0;
}

/* --- Error bodies. --- */

static char *raw_text(const char *body, size_t len)
{
	char *s;

	while (len > 0 && (*body == ' ' || *body == '\n' || *body == '\r' || *body == '\t')) {
		body++;
		len--;
	}
	while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\n' ||
			   body[len - 1] == '\r' || body[len - 1] == '\t'))
		len--;
	if (len == 0)
		return NULL;
	if (len > OAI_MAX_ERROR_TEXT)
		len = OAI_MAX_ERROR_TEXT;
	s = xstrndup(body, len);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20)
			s[i] = ' ';
	}
	return s;
}

/* The message inside a parsed error body, owned, or NULL. */
static char *json_message(const jv *v)
{
	const jv *e = jv_get(v, "error");
	const char *msg = jv_get_str(e, "message");
	const jv *detail = jv_get(v, "detail");

	if (!msg)
		msg = jv_str(e);
	if (!msg)
		msg = jv_get_str(v, "message");
	if (!msg)
		msg = jv_str(detail);
	if (msg)
		return xstrdup(msg);
	return detail ? jv_dump(detail) : NULL;
}

char *oai_error_message(const char *body, size_t len)
{
	char why[128];
	jv *v = len > 0 ? jv_parse(body, len, why, sizeof(why)) : NULL;
	char *msg = json_message(v);

	jv_free(v);
	return msg ? msg : raw_text(body, len);
}
