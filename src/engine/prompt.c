/* prompt.c - the model's input for a run's next turn, built from the store.
 *
 * The prompt is: the run's instructions as a system message; the thread's messages (those
 * not written by this run), cut by the truncation strategy; then what this run has done so
 * far, step by step: its messages, and its tool calls with their outputs. Tokens are counted
 * in the run model's encoding (prov_message_tokens), as max_prompt_tokens is checked. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"

#define PAGE 100

/* Appends every stored body of kind under parent, oldest first, to out (parsed). */
static int load_all(struct exec *x, enum store_kind kind, const char *parent, jv *out)
{
	struct store_page pg = { .limit = PAGE };
	char last[128] = "";
	bool more = true;
	char why[128];
	int err = 0;

	while (more && !err) {
		struct store_list l = { 0 };

		pg.after = last[0] ? last : NULL;
		err = store_list(x->e->st, x->project, kind, parent, &pg, &l);
		for (size_t i = 0; !err && i < l.n; i++) {
			jv *v = jv_parse(l.items[i].body, strlen(l.items[i].body), why, sizeof(why));

			if (v)
				jv_push(out, v);
			snprintf(last, sizeof(last), "%s", l.items[i].id);
		}
		more = !err && l.has_more && l.n > 0;
		store_list_cleanup(&l);
	}
	return err;
}

static jv *chat_message(const char *role, jv *content)
{
	jv *m = jv_object();

	jv_set_str(m, "role", role);
	jv_set(m, "content", content);
	return m;
}

/* A stored content part as a Chat Completions part. */
static jv *chat_part(const jv *part)
{
	const char *type = jv_get_str(part, "type");
	jv *out = jv_object();

	if (strcmp(type, "image_url") == 0) {
		jv_set_str(out, "type", "image_url");
		jv_set(out, "image_url", jv_copy(jv_get(part, "image_url")));
		return out;
	}
	jv_set_str(out, "type", "text");
	if (strcmp(type, "text") == 0)
		jv_set_str(out, "text", jv_get_str(jv_get(part, "text"), "value"));
	else if (strcmp(type, "image_file") == 0)
		jv_set(out, "text", jv_string("[an image file was attached here]"));
	else
		jv_set_str(out, "text", jv_get_str(part, "refusal") ? jv_get_str(part, "refusal") : "");
	return out;
}

/* Appends s to b, after a newline unless b is empty. */
static int append_line(struct buf *b, const char *s)
{
	int err = b->len ? buf_putc(b, '\n') : 0;

	return err ? err : buf_puts(b, s);
}

/* Plain text when every part is text (what every server accepts); parts otherwise. */
static jv *chat_content(const jv *content)
{
	jv *parts = jv_array();
	struct buf text;
	bool all_text = true;

	buf_init(&text, 0);
	for (size_t i = 0; i < jv_size(content); i++) {
		jv *p = chat_part(jv_at(content, i));

		if (strcmp(jv_get_str(p, "type"), "text") != 0)
			all_text = false;
		else if (append_line(&text, jv_get_str(p, "text")))
			all_text = false;
		jv_push(parts, p);
	}
	if (!all_text) {
		buf_cleanup(&text);
		return parts;
	}
	jv_free(parts);
	parts = jv_string(text.p ? text.p : "");
	buf_cleanup(&text);
	return parts;
}

static int64_t estimate(const jv *run, const jv *m)
{
	return prov_message_tokens(tok_enc_for_model(jv_get_str(run, "model")), m);
}

/* The thread's messages not written by this run, oldest first, as chat messages. */
static int history(struct exec *x, jv *out)
{
	const char *run_id = jv_get_str(x->run, "id");
	jv *stored = jv_array();
	int err = load_all(x, STORE_MESSAGE, jv_get_str(x->run, "thread_id"), stored);

	for (size_t i = 0; !err && i < jv_size(stored); i++) {
		const jv *m = jv_at(stored, i);
		const char *mr = jv_get_str(m, "run_id");

		if (mr && strcmp(mr, run_id) == 0)
			continue;
		jv_push(out, chat_message(jv_get_str(m, "role"), chat_content(jv_get(m, "content"))));
	}
	jv_free(stored);
	return err;
}

/* Drops history from the front: to the last N messages, or to fit max_prompt_tokens. */
static jv *truncate(jv *hist, const jv *run, int64_t fixed_tokens)
{
	const jv *ts = jv_get(run, "truncation_strategy");
	const jv *maxp = jv_get(run, "max_prompt_tokens");
	size_t keep = jv_size(hist);
	size_t first = 0;
	int64_t total = fixed_tokens;
	jv *out = jv_array();

	if (jv_is_int(jv_get(ts, "last_messages")) &&
	    (size_t)jv_int_value(jv_get(ts, "last_messages")) < keep)
		keep = (size_t)jv_int_value(jv_get(ts, "last_messages"));
	first = jv_size(hist) - keep;
	for (size_t i = first; i < jv_size(hist); i++)
		total += estimate(run, jv_at(hist, i));
	while (jv_is_int(maxp) && total > jv_int_value(maxp) && first + 1 < jv_size(hist))
		total -= estimate(run, jv_at(hist, first++));
	for (size_t i = first; i < jv_size(hist); i++)
		jv_push(out, jv_ref(jv_at(hist, i)));
	jv_free(hist);
	return out;
}

static jv *assistant_tool_calls(const jv *calls)
{
	jv *out = jv_array();

	for (size_t i = 0; i < jv_size(calls); i++) {
		const jv *c = jv_at(calls, i);
		const jv *fn = jv_get(c, "function");
		jv *tc = jv_object();
		jv *f = jv_object();

		jv_set_str(tc, "id", jv_get_str(c, "id"));
		jv_set_str(tc, "type", "function");
		jv_set_str(f, "name", jv_get_str(fn, "name"));
		jv_set_str(f, "arguments", jv_get_str(fn, "arguments"));
		jv_set(tc, "function", f);
		jv_push(out, tc);
	}
	return out;
}

static void add_tool_step(const jv *step, jv *out)
{
	const jv *calls = jv_get(jv_get(step, "step_details"), "tool_calls");
	jv *m = chat_message("assistant", jv_null());

	jv_set(m, "tool_calls", assistant_tool_calls(calls));
	jv_push(out, m);
	for (size_t i = 0; i < jv_size(calls); i++) {
		const jv *c = jv_at(calls, i);
		const char *output = jv_get_str(jv_get(c, "function"), "output");
		jv *t = chat_message("tool", jv_string(output ? output : ""));

		jv_set_str(t, "tool_call_id", jv_get_str(c, "id"));
		jv_push(out, t);
	}
}

static int add_message_step(struct exec *x, const jv *step, jv *out)
{
	const char *id = jv_get_str(jv_get(jv_get(step, "step_details"), "message_creation"),
				    "message_id");
	char *body = NULL;
	char why[128];
	jv *m;
	int err = store_get(x->e->st, x->project, STORE_MESSAGE, id, NULL, &body, NULL);

	if (err == ERR_NOT_FOUND)
		return 0; /* the client deleted it: the model no longer sees it */
	if (err)
		return err;
	m = jv_parse(body, strlen(body), why, sizeof(why));
	free(body);
	if (m)
		jv_push(out, chat_message("assistant", chat_content(jv_get(m, "content"))));
	jv_free(m);
	return 0;
}

/* What this run has done so far, in step order. */
static int run_turns(struct exec *x, jv *out)
{
	jv *steps = jv_array();
	int err = load_all(x, STORE_STEP, jv_get_str(x->run, "id"), steps);

	for (size_t i = 0; !err && i < jv_size(steps); i++) {
		const jv *s = jv_at(steps, i);
		const char *type = jv_get_str(s, "type");

		if (strcmp(type, "message_creation") == 0)
			err = add_message_step(x, s, out);
		else if (strcmp(jv_get_str(s, "status"), "completed") == 0)
			add_tool_step(s, out);
	}
	jv_free(steps);
	return err;
}

static jv *chat_tools(const jv *tools)
{
	jv *out = jv_array();

	for (size_t i = 0; i < jv_size(tools); i++) {
		const jv *t = jv_at(tools, i);
		jv *ct;

		if (strcmp(jv_get_str(t, "type"), "function") != 0)
			continue;
		ct = jv_object();
		jv_set_str(ct, "type", "function");
		jv_set(ct, "function", jv_copy(jv_get(t, "function")));
		jv_push(out, ct);
	}
	if (jv_size(out) == 0) {
		jv_free(out);
		return NULL;
	}
	return out;
}

/* tool_choice for the chat API: built-in tool names mean "auto" there. */
static jv *chat_choice(const jv *choice)
{
	if (jv_is_string(choice))
		return jv_copy(choice);
	if (jv_is_object(choice) && strcmp(jv_get_str(choice, "type"), "function") == 0)
		return jv_copy(choice);
	return NULL;
}

static jv *chat_format(const jv *format)
{
	const char *type = jv_get_str(format, "type");

	if (type && (strcmp(type, "json_object") == 0 || strcmp(type, "json_schema") == 0))
		return jv_copy(format);
	return NULL;
}

static void options(const jv *run, struct prov_request *rq)
{
	const jv *run_usage = jv_get(run, "usage");
	const jv *maxc = jv_get(run, "max_completion_tokens");

	rq->model = jv_get_str(run, "model");
	rq->tools = chat_tools(jv_get(run, "tools"));
	rq->tool_choice = rq->tools ? chat_choice(jv_get(run, "tool_choice")) : NULL;
	rq->response_format = chat_format(jv_get(run, "response_format"));
	rq->parallel_tool_calls = !jv_is_bool(jv_get(run, "parallel_tool_calls")) ||
				  jv_true(jv_get(run, "parallel_tool_calls"));
	rq->has_temperature = jv_is_number(jv_get(run, "temperature"));
	rq->temperature = jv_number(jv_get(run, "temperature"));
	rq->has_top_p = jv_is_number(jv_get(run, "top_p"));
	rq->top_p = jv_number(jv_get(run, "top_p"));
	if (jv_is_int(maxc)) {
		rq->max_tokens = jv_int_value(maxc) -
				 jv_int_value(jv_get(run_usage, "completion_tokens"));
		if (rq->max_tokens < 1)
			rq->max_tokens = 1;
	}
}

int prompt_build(struct exec *x, struct prov_request *rq)
{
	const char *instructions = jv_get_str(x->run, "instructions");
	const jv *maxp = jv_get(x->run, "max_prompt_tokens");
	jv *msgs = jv_array();
	jv *hist = jv_array();
	jv *turns = jv_array();
	int64_t fixed = prov_prompt_tokens(jv_get_str(x->run, "model"), NULL); /* no messages */
	int err;

	memset(rq, 0, sizeof(*rq));
	if (instructions && *instructions)
		jv_push(msgs, chat_message("system", jv_string(instructions)));
	err = history(x, hist);
	if (!err)
		err = run_turns(x, turns);
	for (size_t i = 0; i < jv_size(msgs); i++)
		fixed += estimate(x->run, jv_at(msgs, i));
	for (size_t i = 0; i < jv_size(turns); i++)
		fixed += estimate(x->run, jv_at(turns, i));
	hist = truncate(hist, x->run, fixed);
	for (size_t i = 0; i < jv_size(hist); i++) {
		fixed += estimate(x->run, jv_at(hist, i));
		jv_push(msgs, jv_ref(jv_at(hist, i)));
	}
	for (size_t i = 0; i < jv_size(turns); i++)
		jv_push(msgs, jv_ref(jv_at(turns, i)));
	jv_free(hist);
	jv_free(turns);
	if (!err && jv_is_int(maxp) && fixed > jv_int_value(maxp))
		err = ERR_LIMIT;
	rq->messages = msgs;
	rq->prompt_tokens = fixed; /* all of msgs, counted: the provider need not count again */
	options(x->run, rq);
	return err;
}

/* The request's members are owned jv values built above (cast back from const). */
void prompt_free(struct prov_request *rq)
{
	jv_free((jv *)rq->messages);
	jv_free((jv *)rq->tools);
	jv_free((jv *)rq->tool_choice);
	jv_free((jv *)rq->response_format);
	memset(rq, 0, sizeof(*rq));
}
