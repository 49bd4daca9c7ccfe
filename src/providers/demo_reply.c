/* demo_reply.c - decides the demo model's reply (see the rules at the top of demo.c).
 *
 * Reads the Chat Completions messages and tools the engine built and returns plain text or
 * a list of tool calls. It never fails on odd input: anything it cannot read is treated as
 * absent. Streaming, pacing and usage are demo.c's job. */
#include "demo_reply.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/id.h"

#define DEMO_JSON_MAX 65536 /* longest JSON arguments object read from a message */

/* The text of a message's content: a string, or its text parts joined with a space.
 * Returns an owned string, or NULL when there is no text at all. */
static char *content_text(const jv *content)
{
	struct buf b;
	bool any = false;

	if (jv_is_string(content))
		return xstrdup(jv_str(content));
	buf_init(&b, 0);
	for (size_t i = 0; i < jv_size(content); i++) {
		const char *t = jv_get_str(jv_at(content, i), "text");

		if (!t)
			continue;
		if ((any && buf_putc(&b, ' ')) || buf_puts(&b, t))
			abort(); /* unbounded buffer: cannot fail */
		any = true;
	}
	if (!any) {
		buf_cleanup(&b);
		return NULL;
	}
	return buf_release(&b);
}

static bool role_is(const jv *msg, const char *role)
{
	const char *r = jv_get_str(msg, "role");

	return r && strcmp(r, role) == 0;
}

/* Owned text of the last user message, or NULL. */
static char *last_user_text(const jv *messages)
{
	for (size_t i = jv_size(messages); i > 0; i--) {
		const jv *m = jv_at(messages, i - 1);

		if (role_is(m, "user"))
			return content_text(jv_get(m, "content"));
	}
	return NULL;
}

/* --- "Tool <name> returned: <output>" after tool messages. --- */

/* The function name of tool call id in the assistant messages before index end. */
static const char *tool_name(const jv *messages, size_t end, const char *id)
{
	for (size_t i = end; i > 0 && id; i--) {
		const jv *calls = jv_get(jv_at(messages, i - 1), "tool_calls");

		for (size_t k = 0; k < jv_size(calls); k++) {
			const jv *tc = jv_at(calls, k);
			const char *tid = jv_get_str(tc, "id");

			if (tid && strcmp(tid, id) == 0)
				return jv_get_str(jv_get(tc, "function"), "name");
		}
	}
	return NULL;
}

/* --- "search <query>": a file_search call, then a cited answer --- */

#define DEMO_CITED 3      /* results the answer quotes */
#define DEMO_QUOTE 160    /* bytes quoted from each */
#define MARK_OPEN "\xe3\x80\x90" /* 【, which begins a result's source marker */
#define MARK_CLOSE "\xe3\x80\x91"

/* Appends up to DEMO_QUOTE bytes of text (to the end of its first paragraph, newlines as
 * spaces, never cutting a UTF-8 character) to b. */
static void quote(struct buf *b, const char *text)
{
	size_t n = 0;

	while (text[n] && n < DEMO_QUOTE && !(text[n] == '\n' && text[n + 1] == '\n'))
		n++;
	while (n > 0 && text[n] && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	for (size_t i = 0; i < n; i++) {
		if (buf_putc(b, text[i] == '\n' ? ' ' : text[i]))
			abort(); /* unbounded buffer: cannot fail */
	}
}

/* The answer to a file_search output: its first results quoted, each followed by its
 * marker. */
static void cited_answer(struct buf *b, const char *output)
{
	const char *p = output ? strstr(output, MARK_OPEN) : NULL;
	int n = 0;

	if (!p && buf_puts(b, "I found nothing about that in the files."))
		abort();
	if (p && buf_puts(b, "Here is what the files say:"))
		abort();
	for (; p && n < DEMO_CITED; p = strstr(p, MARK_OPEN), n++) {
		const char *end = strstr(p, MARK_CLOSE);
		const char *text;

		if (!end)
			break;
		end += strlen(MARK_CLOSE);
		text = *end == '\n' ? end + 1 : end;
		if (buf_printf(b, "\n%d. ", n + 1))
			abort();
		quote(b, text);
		if (buf_puts(b, " ") || buf_append(b, p, (size_t)(end - p)))
			abort();
		p = end;
	}
}

static char *tool_lines(const jv *messages)
{
	size_t n = jv_size(messages);
	size_t first = n;
	struct buf b;

	while (first > 0 && role_is(jv_at(messages, first - 1), "tool"))
		first--;
	buf_init(&b, 0);
	for (size_t i = first; i < n; i++) {
		const jv *m = jv_at(messages, i);
		const char *name = tool_name(messages, first, jv_get_str(m, "tool_call_id"));
		char *out = content_text(jv_get(m, "content"));

		if (i > first && buf_putc(&b, '\n'))
			abort(); /* unbounded buffer: cannot fail */
		if (name && strcmp(name, "file_search") == 0)
			cited_answer(&b, out);
		else if (buf_printf(&b, "Tool %s returned: %s", name ? name : "unknown",
				    out ? out : ""))
			abort();
		free(out);
	}
	return buf_release(&b);
}

/* --- "You said: ..." --- */

static bool wants_json(const jv *response_format)
{
	const char *type = jv_get_str(response_format, "type");

	return type && (strcmp(type, "json_object") == 0 || strcmp(type, "json_schema") == 0);
}

static char *echo(const struct prov_request *rq, const char *user)
{
	char *text = xasprintf("You said: %s", user ? user : "(no message)");
	jv *obj;

	if (!wants_json(rq->response_format))
		return text;
	obj = jv_object();
	jv_set(obj, "reply", jv_string(text));
	free(text);
	text = jv_dump(obj);
	jv_free(obj);
	return text;
}

/* --- "call <name> {json}" --- */

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static bool is_function_tool(const jv *tools, const char *name, size_t len)
{
	for (size_t i = 0; i < jv_size(tools); i++) {
		const jv *t = jv_at(tools, i);
		const jv *fn = jv_get(t, "function");
		const char *type = jv_get_str(t, "type");
		const char *tn = jv_get_str(fn, "name");

		if (type && strcmp(type, "function") == 0 && tn && strlen(tn) == len &&
		    memcmp(tn, name, len) == 0)
			return true;
	}
	return false;
}

/* Length of the balanced {...} at s (strings and escapes respected), or 0. */
static size_t object_span(const char *s)
{
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; s[i] && i < DEMO_JSON_MAX; i++) {
		char ch = s[i];

		if (in_str && ch == '\\' && s[i + 1])
			i++;
		else if (ch == '"')
			in_str = !in_str;
		else if (!in_str && (ch == '{' || ch == '['))
			depth++;
		else if (!in_str && (ch == '}' || ch == ']')) {
			depth--;
			if (depth == 0)
				return i + 1;
		}
	}
	return 0;
}

/* The JSON object text right after s (spaces allowed before it), owned; "{}" when there
 * is no valid one. */
static char *args_after(const char *s)
{
	char why[128];
	size_t len;
	jv *v;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	len = *s == '{' ? object_span(s) : 0;
	v = len ? jv_parse(s, len, why, sizeof(why)) : NULL;
	if (!jv_is_object(v)) {
		jv_free(v);
		return xstrdup("{}");
	}
	jv_free(v);
	return xstrndup(s, len);
}

static int add_call(jv *calls, const char *name, size_t len, const char *args)
{
	char id[64];
	jv *tc;
	int err = id_new(ID_CALL, id, sizeof(id));

	if (err)
		return err;
	tc = jv_object();
	jv_set_str(tc, "id", id);
	jv_set(tc, "name", jv_stringn(name, len));
	jv_set_str(tc, "arguments", args);
	jv_push(calls, tc);
	return 0;
}

/* Adds a call for every "call <tool>" in text (only the first unless parallel). */
static int scan_calls(const struct prov_request *rq, const char *text, jv *calls)
{
	for (const char *p = text ? strstr(text, "call ") : NULL; p; p = strstr(p + 1, "call ")) {
		const char *name = p + 5;
		size_t len = 0;
		char *args;
		int err;

		if (p > text && name_char(p[-1]))
			continue;
		while (name_char(name[len]))
			len++;
		if (len == 0 || !is_function_tool(rq->tools, name, len))
			continue;
		args = args_after(name + len);
		err = add_call(calls, name, len, args);
		free(args);
		if (err || !rq->parallel_tool_calls)
			return err;
	}
	return 0;
}

/* Text following "call <name>" in text, for a named tool_choice's arguments. */
static char *named_args(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = text ? strstr(text, "call ") : NULL; p; p = strstr(p + 1, "call ")) {
		if (strncmp(p + 5, name, len) == 0 && !name_char(p[5 + len]))
			return args_after(p + 5 + len);
	}
	return xstrdup("{}");
}

static const char *first_function(const jv *tools)
{
	for (size_t i = 0; i < jv_size(tools); i++) {
		const jv *t = jv_at(tools, i);
		const char *type = jv_get_str(t, "type");
		const char *name = jv_get_str(jv_get(t, "function"), "name");

		if (type && strcmp(type, "function") == 0 && name)
			return name;
	}
	return NULL;
}

/* A file_search call for "search <query>" (the rest of its line) in text, when the request
 * offers file_search. */
static int search_call(const struct prov_request *rq, const char *text, jv *calls)
{
	const char *p = text ? strstr(text, "search ") : NULL;
	size_t len;
	char *args;
	jv *a;
	int err;

	while (p && p > text && name_char(p[-1]))
		p = strstr(p + 1, "search ");
	if (!p || !is_function_tool(rq->tools, "file_search", strlen("file_search")))
		return 0;
	p += strlen("search ");
	len = strcspn(p, "\n");
	a = jv_object();
	jv_set(a, "query", jv_stringn(p, len));
	args = jv_dump(a);
	err = add_call(calls, "file_search", strlen("file_search"), args);
	free(args);
	jv_free(a);
	return err;
}

/* Fills calls from the tool_choice and the user's text. */
static int plan_calls(const struct prov_request *rq, const char *text, jv *calls)
{
	const char *choice = jv_str(rq->tool_choice);
	const char *named = jv_get_str(jv_get(rq->tool_choice, "function"), "name");
	const char *first = first_function(rq->tools);
	char *args;
	int err;

	if (choice && strcmp(choice, "none") == 0)
		return 0;
	if (named) {
		args = named_args(text, named);
		err = add_call(calls, named, strlen(named), args);
		free(args);
		return err;
	}
	err = scan_calls(rq, text, calls);
	if (!err && jv_size(calls) == 0)
		err = search_call(rq, text, calls);
	if (!err && jv_size(calls) == 0 && choice && strcmp(choice, "required") == 0 && first)
		err = add_call(calls, first, strlen(first), "{}");
	return err;
}

int demo_plan_make(const struct prov_request *rq, struct demo_plan *pl)
{
	size_t n = jv_size(rq->messages);
	char *user = last_user_text(rq->messages);
	jv *calls = NULL;
	int err = 0;

	memset(pl, 0, sizeof(*pl));
	pl->fail = user && strstr(user, "demo:fail");
	pl->slow = user && strstr(user, "demo:slow");
	if (n > 0 && role_is(jv_at(rq->messages, n - 1), "tool")) {
		pl->text = tool_lines(rq->messages);
		goto out;
	}
	calls = jv_array();
	err = plan_calls(rq, user, calls);
	if (err)
		goto out;
	if (jv_size(calls) > 0) {
		pl->calls = calls;
		calls = NULL;
	} else {
		pl->text = echo(rq, user);
	}
out:
	jv_free(calls);
	free(user);
	if (err)
		demo_plan_cleanup(pl);
	return err;
}

void demo_plan_cleanup(struct demo_plan *pl)
{
	free(pl->text);
	jv_free(pl->calls);
	memset(pl, 0, sizeof(*pl));
}

size_t demo_word_len(const char *s)
{
	size_t i = 0;

	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	while (s[i] && !isspace((unsigned char)s[i]))
		i++;
	return i;
}
