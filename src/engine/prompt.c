/* prompt.c - the model's input for a run's next turn, built from the store on the worker
 * pool.
 *
 * The prompt is: the run's instructions as a system message; the thread's messages (those
 * not written by this run), cut by the truncation strategy; then what this run has done so
 * far, step by step: its messages, and its tool calls with their outputs (a server tool's
 * call, such as file_search, reads back through tool_output).
 *
 * A thread may hold many thousands of messages, and the thread that relays tokens must never
 * wait for the store: so the prompt is built by a pool worker (prompt_start) from a copy of
 * the run, and the thread's messages are read newest first, a page at a time, only as far
 * as the budget goes: truncation_strategy.last_messages, max_prompt_tokens and the model's
 * context window. Tokens are counted in the run model's encoding (estimate, through
 * prov_message_tokens), as max_prompt_tokens is checked. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/log.h"

#define PAGE 100
#define PROMPT_CONTEXT_DEFAULT 128000 /* tokens, for a model the table below does not know */

/* Context windows (tokens) by model name prefix; the first match wins. */
static const struct {
	const char *prefix;
	int64_t tokens;
} contexts[] = {
	{ "gpt-3.5-turbo", 16385 },
	{ "gpt-4-32k", 32768 },
	{ "gpt-4-turbo", 128000 },
	{ "gpt-4-1106", 128000 },
	{ "gpt-4-0125", 128000 },
	{ "gpt-4o", 128000 },
	{ "gpt-4.1", 1047576 },
	{ "gpt-4", 8192 },
	{ "o1", 200000 },
	{ "o3", 200000 },
};

/* One prompt being built. The engine thread fills the first part and reads the result;
 * the worker reads the copies and writes the result; never both at once. */
struct prompt_job {
	struct exec *x;   /* the engine thread's: never touched by the worker */
	void (*ready)(struct exec *x, const struct prov_request *rq, int err, const char *why);
	struct store *st; /* shared, thread-safe */
	char *project;    /* owned copy */
	jv *run;          /* owned copy of the run */
	struct prov_request rq; /* the result; its jv members owned */
	int err;
	char *why;        /* owned: why a server tool fails the run (ERR_INVALID), or NULL */
};

/* Appends every stored body of kind under parent, oldest first, to out (parsed). */
static int load_all(const struct prompt_job *j, enum store_kind kind, const char *parent,
		    jv *out)
{
	struct store_page pg = { .limit = PAGE };
	char last[128] = "";
	bool more = true;
	char why[128];
	int err = 0;

	while (more && !err) {
		struct store_list l = { 0 };

		pg.after = last[0] ? last : NULL;
		err = store_list(j->st, j->project, kind, parent, &pg, &l);
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

/* The tokens message m costs in the prompt, in the encoding of the run's model. The one
 * place the prompt's tokens are counted. */
static int64_t estimate(const jv *run, const jv *m)
{
	return prov_message_tokens(tok_enc_for_model(jv_get_str(run, "model")), m);
}

/* How far back the thread's messages may go. */
struct window {
	int64_t fixed;   /* tokens spent on the rest of the prompt */
	size_t keep;     /* at most this many messages */
	int64_t budget;  /* and this many tokens, except that the newest is always taken */
	int64_t used;    /* tokens taken so far */
	bool full;       /* nothing older fits */
};

/* Takes the stored message body into out (newest first) if the window has room. */
static void take(const struct prompt_job *j, const char *body, struct window *w, jv *out)
{
	const char *run_id = jv_get_str(j->run, "id");
	char why[128];
	jv *m = jv_parse(body, strlen(body), why, sizeof(why));
	const char *mr = jv_get_str(m, "run_id");
	jv *cm;
	int64_t cost;

	if (!m || (mr && strcmp(mr, run_id) == 0)) {
		jv_free(m); /* this run's own messages come with its steps */
		return;
	}
	cm = chat_message(jv_get_str(m, "role"), chat_content(jv_get(m, "content")));
	jv_free(m);
	cost = estimate(j->run, cm);
	if (jv_size(out) > 0 && w->used + cost > w->budget) {
		jv_free(cm);
		w->full = true;
		return;
	}
	jv_push(out, cm);
	w->used += cost;
	w->full = jv_size(out) >= w->keep;
}

/* The thread's messages not written by this run, newest first, as chat messages, read a
 * page at a time only as far as w allows. */
static int history(const struct prompt_job *j, struct window *w, jv *out)
{
	struct store_page pg = { .limit = PAGE, .desc = true };
	const char *thread_id = jv_get_str(j->run, "thread_id");
	char last[128] = "";
	bool more = w->keep > 0;
	int err = 0;

	while (more) {
		struct store_list l = { 0 };

		pg.after = last[0] ? last : NULL;
		err = store_list(j->st, j->project, STORE_MESSAGE, thread_id, &pg, &l);
		for (size_t i = 0; !err && !w->full && i < l.n; i++) {
			take(j, l.items[i].body, w, out);
			snprintf(last, sizeof(last), "%s", l.items[i].id);
		}
		more = !err && !w->full && l.has_more && l.n > 0;
		store_list_cleanup(&l);
	}
	return err;
}

/* The model's context window in tokens. */
static int64_t context_of(const char *model)
{
	for (size_t i = 0; model && i < sizeof(contexts) / sizeof(contexts[0]); i++) {
		if (strncmp(model, contexts[i].prefix, strlen(contexts[i].prefix)) == 0)
			return contexts[i].tokens;
	}
	return PROMPT_CONTEXT_DEFAULT;
}

/* The window left for the thread's messages once fixed tokens are spent. */
static struct window window_of(const jv *run, int64_t fixed)
{
	const jv *last = jv_get(jv_get(run, "truncation_strategy"), "last_messages");
	const jv *maxp = jv_get(run, "max_prompt_tokens");
	struct window w = { .keep = SIZE_MAX, .fixed = fixed };
	int64_t limit = context_of(jv_get_str(run, "model"));

	if (jv_is_int(last) && jv_int_value(last) >= 0)
		w.keep = (size_t)jv_int_value(last);
	if (jv_is_int(maxp) && jv_int_value(maxp) < limit)
		limit = jv_int_value(maxp);
	w.budget = limit - fixed;
	return w;
}

/* One stored call as the assistant's call (name, arguments) and its tool message's text
 * (all owned); *cites counts the citable calls so far (their marker numbers). */
static void call_view(const jv *c, int *cites, char **name, char **args, char **output)
{
	const struct tool *t = tool_find(jv_get_str(c, "type"));
	const jv *fn = jv_get(c, "function");
	const char *s;

	if (t) {
		*name = xstrdup(tool_name(t));
		tool_output(t, c, *cites, args, output);
		*cites += tool_citable(t);
		return;
	}
	*name = xstrdup(jv_get_str(fn, "name") ? jv_get_str(fn, "name") : "");
	*args = xstrdup(jv_get_str(fn, "arguments") ? jv_get_str(fn, "arguments") : "");
	s = jv_get_str(fn, "output");
	*output = xstrdup(s ? s : "");
}

/* Adds the stored call c to the assistant's tool_calls and its tool message to tools. */
static void add_call(const jv *c, int *cites, jv *tcs, jv *tools)
{
	char *name, *args, *output;
	jv *tc = jv_object();
	jv *f = jv_object();
	jv *t;

	call_view(c, cites, &name, &args, &output);
	jv_set_str(tc, "id", jv_get_str(c, "id"));
	jv_set_str(tc, "type", "function");
	jv_set_str(f, "name", name);
	jv_set_str(f, "arguments", args);
	jv_set(tc, "function", f);
	jv_push(tcs, tc);
	t = chat_message("tool", jv_string(output));
	jv_set_str(t, "tool_call_id", jv_get_str(c, "id"));
	jv_push(tools, t);
	free(name);
	free(args);
	free(output);
}

static void add_tool_step(const jv *step, int *cites, jv *out)
{
	const jv *calls = jv_get(jv_get(step, "step_details"), "tool_calls");
	jv *m = chat_message("assistant", jv_null());
	jv *tcs = jv_array();
	jv *tools = jv_array();

	for (size_t i = 0; i < jv_size(calls); i++)
		add_call(jv_at(calls, i), cites, tcs, tools);
	jv_set(m, "tool_calls", tcs);
	jv_push(out, m);
	for (size_t i = 0; i < jv_size(tools); i++)
		jv_push(out, jv_ref(jv_at(tools, i)));
	jv_free(tools);
}

static int add_message_step(const struct prompt_job *j, const jv *step, jv *out)
{
	const char *id = jv_get_str(jv_get(jv_get(step, "step_details"), "message_creation"),
				    "message_id");
	char *body = NULL;
	char why[128];
	jv *m;
	int err = store_get(j->st, j->project, STORE_MESSAGE, id, NULL, &body, NULL);

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
static int run_turns(const struct prompt_job *j, jv *out)
{
	jv *steps = jv_array();
	int cites = 0;
	int err = load_all(j, STORE_STEP, jv_get_str(j->run, "id"), steps);

	for (size_t i = 0; !err && i < jv_size(steps); i++) {
		const jv *s = jv_at(steps, i);
		const char *type = jv_get_str(s, "type");

		if (strcmp(type, "message_creation") == 0)
			err = add_message_step(j, s, out);
		else if (strcmp(jv_get_str(s, "status"), "completed") == 0)
			add_tool_step(s, &cites, out);
	}
	jv_free(steps);
	return err;
}

static jv *chat_tools(const struct prompt_job *j, const jv *tools)
{
	struct tool_scope sc = { .st = j->st, .project = j->project, .run = j->run };
	jv *out = jv_array();

	for (size_t i = 0; i < jv_size(tools); i++) {
		const jv *t = jv_at(tools, i);
		const struct tool *server = tool_find(jv_get_str(t, "type"));
		jv *ct;

		if (server) {
			jv_push(out, tool_function(server, t, &sc));
			continue;
		}
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

/* tool_choice for the chat API: a server tool ({type:"file_search"}) is its function;
 * another built-in tool means "auto" there. */
static jv *chat_choice(const jv *choice)
{
	const struct tool *t = jv_is_object(choice) ? tool_find(jv_get_str(choice, "type")) : NULL;
	jv *out;
	jv *fn;

	if (jv_is_string(choice))
		return jv_copy(choice);
	if (jv_is_object(choice) && strcmp(jv_get_str(choice, "type"), "function") == 0)
		return jv_copy(choice);
	if (!t)
		return NULL;
	out = jv_object();
	fn = jv_object();
	jv_set_str(fn, "name", tool_name(t));
	jv_set_str(out, "type", "function");
	jv_set(out, "function", fn);
	return out;
}

static jv *chat_format(const jv *format)
{
	const char *type = jv_get_str(format, "type");

	if (type && (strcmp(type, "json_object") == 0 || strcmp(type, "json_schema") == 0))
		return jv_copy(format);
	return NULL;
}

static void options(const struct prompt_job *j, struct prov_request *rq)
{
	const jv *run = j->run;
	const jv *run_usage = jv_get(run, "usage");
	const jv *maxc = jv_get(run, "max_completion_tokens");

	rq->model = jv_get_str(run, "model");
	rq->tools = chat_tools(j, jv_get(run, "tools"));
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

/* The run's instructions, then what its server tools ask of the model. */
static void system_message(const jv *run, const char *instructions, jv *msgs)
{
	const jv *tools = jv_get(run, "tools");
	struct buf b;

	buf_init(&b, 0);
	if (instructions && *instructions && buf_puts(&b, instructions))
		abort(); /* unbounded buffer: cannot fail */
	for (size_t i = 0; i < jv_size(tools); i++) {
		const struct tool *t = tool_find(jv_get_str(jv_at(tools, i), "type"));

		if (t && tool_instructions(t) &&
		    (append_line(&b, "") || buf_puts(&b, tool_instructions(t))))
			abort();
	}
	if (b.len)
		jv_push(msgs, chat_message("system", jv_string(b.p)));
	buf_cleanup(&b);
}


/* The tokens of a list of chat messages. */
static int64_t tokens_of(const jv *run, const jv *msgs)
{
	int64_t n = 0;

	for (size_t i = 0; i < jv_size(msgs); i++)
		n += estimate(run, jv_at(msgs, i));
	return n;
}

/* Appends the items of from to to, in order or last first. */
static void append_all(jv *to, const jv *from, bool reversed)
{
	size_t n = jv_size(from);

	for (size_t i = 0; i < n; i++)
		jv_push(to, jv_ref(jv_at(from, reversed ? n - 1 - i : i)));
}

/* Asks each server tool of the run whether the run may take a turn (see tool_check). */
static int tools_check(const struct prompt_job *j, char **why)
{
	struct tool_scope sc = { .st = j->st, .project = j->project, .run = j->run };
	const jv *tools = jv_get(j->run, "tools");
	int err = 0;

	for (size_t i = 0; i < jv_size(tools) && !err; i++) {
		const struct tool *t = tool_find(jv_get_str(jv_at(tools, i), "type"));

		if (t)
			err = tool_check(t, &sc, why);
	}
	return err;
}

/* Builds the request from the copies in j (on a worker). */
static int build(const struct prompt_job *j, struct prov_request *rq)
{
	const char *instructions = jv_get_str(j->run, "instructions");
	const jv *maxp = jv_get(j->run, "max_prompt_tokens");
	jv *msgs = jv_array();
	jv *hist = jv_array();
	jv *turns = jv_array();
	struct window w;
	int err;

	memset(rq, 0, sizeof(*rq));
	system_message(j->run, instructions, msgs);
	err = run_turns(j, turns);
	/* The reply's priming tokens (the count of a prompt of no messages), then the rest. */
	w = window_of(j->run, prov_prompt_tokens(jv_get_str(j->run, "model"), NULL) +
				      tokens_of(j->run, msgs) + tokens_of(j->run, turns));
	if (!err)
		err = history(j, &w, hist);
	append_all(msgs, hist, true); /* history was read newest first */
	append_all(msgs, turns, false);
	if (!err && jv_is_int(maxp) && w.fixed + w.used > jv_int_value(maxp))
		err = ERR_LIMIT;
	rq->prompt_tokens = w.fixed + w.used; /* what prov_prompt_tokens would count */
	jv_free(hist);
	jv_free(turns);
	rq->messages = msgs;
	options(j, rq);
	return err;
}

/* The request's members are owned jv values built above (cast back from const). */
static void request_free(struct prov_request *rq)
{
	jv_free((jv *)rq->messages);
	jv_free((jv *)rq->tools);
	jv_free((jv *)rq->tool_choice);
	jv_free((jv *)rq->response_format);
	memset(rq, 0, sizeof(*rq));
}

/* On a pool worker. */
static void job_work(void *arg)
{
	struct prompt_job *j = arg;

	j->err = tools_check(j, &j->why);
	if (!j->err)
		j->err = build(j, &j->rq);
}

/* Back on the engine thread. */
static void job_done(void *arg)
{
	struct prompt_job *j = arg;
	struct exec *x = j->x;
	struct engine *e = x->e;

	x->building = false;
	e->building--;
	if (!engine_stopping(e) && !x->finished)
		j->ready(x, &j->rq, j->err, j->why);
	engine_settle(e, x);
	request_free(&j->rq);
	jv_free(j->run);
	free(j->project);
	free(j->why);
	free(j);
}

void prompt_start(struct exec *x, void (*ready)(struct exec *x, const struct prov_request *rq,
						int err, const char *why))
{
	struct prompt_job *j = xcalloc(1, sizeof(*j));

	j->x = x;
	j->ready = ready;
	j->st = x->e->st;
	j->project = xstrdup(x->project);
	j->run = jv_copy(x->run);
	x->building = true;
	x->e->building++;
	pool_submit(x->e->pool, job_work, job_done, j);
}
