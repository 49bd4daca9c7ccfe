/* file_search.c - the file_search tool: searches the vector stores of the run's assistant and
 * thread (tool_resources.file_search.vector_store_ids) for the model's query.
 *
 * The model sees a function "file_search" with one argument, `query`. The results go back
 * to it as blocks, each headed by its source marker 【{call}:{result}†{filename}】 (call: the
 * number of this file_search call in the run, from 0; result: the result's rank, from 0),
 * and the instructions ask it to cite with those markers, as the hosted service did. The
 * step records the call as {id, type:"file_search", file_search:{ranking_options, results:
 * [{file_id, file_name, score, content:[{type:"text", text}]}]}}; `content` is stored and
 * shown to clients only when include[] asks for it (tool_step_redact).
 *
 * max_num_results defaults to 20 (5 for gpt-3.5 models), at most 50; ranking_options
 * defaults to ranker "auto" (reported as default_2024_08_21, the ranker it stands for) and
 * score_threshold 0. A search first waits (up to TOOL_WAIT_MS, asking to run again, so no
 * thread is held) for files still being ingested into the stores, such as those just
 * attached to a message, so that the run sees them; past that it searches what is in. A store
 * that has expired fails the run, as on the hosted service: checked before every model turn
 * (fs_check), so the run fails as it starts, and again when searched. Searching a store
 * counts as using it (its expiry moves on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/clock.h"
#include "../store/vstore.h"
#include "search.h"
#include "tool_int.h"

#define FS_DEFAULT_RESULTS 20
#define FS_GPT35_RESULTS 5
#define FS_MAX_STORES 8
#define FS_RANKER "default_2024_08_21"
#define FS_QUERY "query" /* the model's query, kept in the stored call for later prompts */

static jv *fs_function(const jv *def, const struct tool_scope *sc)
{
	jv *fn = jv_object();
	jv *out = jv_object();
	char why[128];
	static const char params[] =
		"{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\","
		"\"description\":\"What to look for, in a few words, as in a search engine.\"}},"
		"\"required\":[\"query\"]}";

	(void)def;
	(void)sc;
	jv_set_str(fn, "name", "file_search");
	jv_set_str(fn, "description",
		   "Search the files the user has made available (documents, notes, code) and "
		   "return the passages most relevant to the query.");
	jv_set(fn, "parameters", jv_parse(params, strlen(params), why, sizeof(why)));
	jv_set_str(out, "type", "function");
	jv_set(out, "function", fn);
	return out;
}

/* The run's file_search tool entry's options ({max_num_results, ranking_options}). */
static const jv *options_of(const jv *run)
{
	const jv *tools = jv_get(run, "tools");

	for (size_t i = 0; i < jv_size(tools); i++) {
		const char *type = jv_get_str(jv_at(tools, i), "type");

		if (type && strcmp(type, "file_search") == 0)
			return jv_get(jv_at(tools, i), "file_search");
	}
	return NULL;
}

static int max_results(const jv *run)
{
	const jv *max = jv_get(options_of(run), "max_num_results");
	const char *model = jv_get_str(run, "model");

	if (jv_is_int(max) && jv_int_value(max) >= 1 && jv_int_value(max) <= SEARCH_MAX_RESULTS)
		return (int)jv_int_value(max);
	return model && strncmp(model, "gpt-3.5", 7) == 0 ? FS_GPT35_RESULTS : FS_DEFAULT_RESULTS;
}

static jv *ranking_options(const jv *run)
{
	const jv *ro = jv_get(options_of(run), "ranking_options");
	const char *ranker = jv_get_str(ro, "ranker");
	jv *out = jv_object();

	jv_set_str(out, "ranker", ranker && strcmp(ranker, "auto") != 0 ? ranker : FS_RANKER);
	jv_set(out, "score_threshold", jv_real(jv_number(jv_get(ro, "score_threshold"))));
	return out;
}

/* Appends the vector_store_ids of the stored object (kind, id) to ids (no duplicates). */
static int add_stores(struct store *st, const char *project, enum store_kind kind,
		      const char *id, char **ids, size_t *n)
{
	char *body = NULL;
	jv *v = NULL;
	const jv *list;
	int err = id ? store_get(st, project, kind, id, NULL, &body, NULL) : 0;

	if (err == ERR_NOT_FOUND)
		return 0; /* an assistant deleted since: its stores no longer apply */
	if (err || !body)
		return err;
	v = jv_parse(body, strlen(body), NULL, 0);
	list = jv_get(jv_get(jv_get(v, "tool_resources"), "file_search"), "vector_store_ids");
	for (size_t i = 0; i < jv_size(list) && *n < FS_MAX_STORES; i++) {
		const char *vs = jv_str(jv_at(list, i));
		bool seen = false;

		for (size_t k = 0; vs && k < *n; k++)
			seen = seen || strcmp(ids[k], vs) == 0;
		if (vs && !seen)
			ids[(*n)++] = xstrdup(vs);
	}
	jv_free(v);
	free(body);
	return 0;
}

/* The vector stores the run searches: its assistant's, then its thread's (owned ids). */
static int run_stores(struct store *st, const char *project, const jv *run, char **ids,
		      size_t *n)
{
	int err = add_stores(st, project, STORE_ASSISTANT, jv_get_str(run, "assistant_id"), ids,
			     n);

	if (!err)
		err = add_stores(st, project, STORE_THREAD, jv_get_str(run, "thread_id"), ids, n);
	return err;
}

static bool expired(const jv *v, int64_t now)
{
	const jv *at = jv_get(v, "expires_at");
	const char *status = jv_get_str(v, "status");

	return (status && strcmp(status, "expired") == 0) ||
	       (jv_is_int(at) && jv_int_value(at) <= now);
}

static char *expired_why(const char *id)
{
	return xasprintf("Vector store %s has expired: it was not used within its expires_after "
			 "window. Create a new vector store, add the files and try again.", id);
}

/* Whether vector store id of the project has expired (false when it is gone). */
static int store_expired_now(struct store *st, const char *project, const char *id,
			     bool *out)
{
	char *body = NULL;
	jv *v = NULL;
	int err = store_get(st, project, STORE_VECTOR_STORE, id, NULL, &body, NULL);

	*out = false;
	if (err == ERR_NOT_FOUND)
		return 0; /* the search says so, if the model searches */
	if (!err) {
		v = jv_parse(body, strlen(body), NULL, 0);
		*out = expired(v, clock_unix());
	}
	jv_free(v);
	free(body);
	return err;
}

/* Before each model turn: a run whose assistant's or thread's vector store has expired
 * fails, whether or not the model would search (the hosted service failed such runs). */
static int fs_check(const struct tool_scope *sc, char **why)
{
	char *ids[FS_MAX_STORES];
	size_t n = 0;
	bool gone = false;
	int err = run_stores(sc->st, sc->project, sc->run, ids, &n);

	for (size_t i = 0; i < n && !err && !gone; i++) {
		err = store_expired_now(sc->st, sc->project, ids[i], &gone);
		if (!err && gone)
			*why = expired_why(ids[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	return !err && gone ? ERR_INVALID : err;
}

/* Checks the store exists and has not expired (else the job fails), and records its use. */
static int use_store(struct tool_job *j, const char *id, int64_t now)
{
	char *body = NULL;
	jv *v = NULL;
	int err = store_get(j->env->st, j->project, STORE_VECTOR_STORE, id, NULL, &body, NULL);

	if (!err)
		v = jv_parse(body, strlen(body), NULL, 0);
	if (!err && expired(v, now))
		tool_fail(j, ERR_INVALID, "server_error", expired_why(id));
	else if (err == ERR_NOT_FOUND)
		tool_fail(j, err, "server_error",
			  xasprintf("Vector store %s no longer exists. Remove it from the "
				    "tool_resources, or create a new one.", id));
	if (!err && !j->err)
		err = store_vs_touch(j->env->st, j->project, id, now, j->env->vs_day_s);
	jv_free(v);
	free(body);
	return err ? err : j->err;
}

static int use_stores(struct tool_job *j, char **ids, size_t n)
{
	int64_t now = clock_unix();
	int err = 0;

	for (size_t i = 0; i < n && !err; i++)
		err = use_store(j, ids[i], now);
	return err;
}

/* True when some file of the stores is still being ingested. */
static bool ingesting(struct tool_job *j, char **ids, size_t n)
{
	bool busy = false;

	for (size_t i = 0; i < n && !busy; i++) {
		char *body = NULL;
		jv *v = NULL;

		if (store_get(j->env->st, j->project, STORE_VECTOR_STORE, ids[i], NULL, &body,
			      NULL) == 0)
			v = jv_parse(body, strlen(body), NULL, 0);
		busy = jv_int_value(jv_get(jv_get(v, "file_counts"), "in_progress")) > 0;
		jv_free(v);
		free(body);
	}
	return busy;
}

static jv *result_json(const struct search_result *r)
{
	jv *o = jv_object();
	jv *content = jv_array();
	jv *part = jv_object();

	jv_set_str(o, "file_id", r->file_id);
	jv_set_str(o, "file_name", r->filename);
	jv_set(o, "score", jv_real(r->score));
	jv_set_str(part, "type", "text");
	jv_set_str(part, "text", r->text);
	jv_push(content, part);
	jv_set(o, "content", content);
	return o;
}

/* The model's query: its `query` argument (or `queries`' first item), else "". Owned. */
static char *query_of(const char *arguments)
{
	jv *args = jv_parse(arguments, strlen(arguments), NULL, 0);
	const char *q = jv_get_str(args, "query");
	char *out;

	if (!q)
		q = jv_str(jv_at(jv_get(args, "queries"), 0));
	out = xstrdup(q ? q : "");
	jv_free(args);
	return out;
}

static int search(struct tool_job *j, const char *query, char **ids, size_t n, jv *results,
		  jv *ro)
{
	const char *queries[1] = { query };
	struct search_query q = {
		.project = j->project, .vs = (const char *const *)ids, .nvs = n,
		.queries = queries, .nq = 1, .max_results = max_results(j->run),
		.score_threshold = jv_number(jv_get(ro, "score_threshold")),
		.emb = j->env->emb,
	};
	struct search_result *r = NULL;
	size_t nr = 0;
	int err = n && *query ? search_run(j->env->st, &q, &r, &nr) : 0;

	for (size_t i = 0; i < nr; i++)
		jv_push(results, result_json(&r[i]));
	search_results_free(r, nr);
	return err;
}

static jv *call_json(const char *id, const char *query, jv *ro, jv *results)
{
	jv *call = jv_object();
	jv *fs = jv_object();

	jv_set(fs, "ranking_options", ro);
	jv_set(fs, "results", results);
	jv_set_str(fs, FS_QUERY, query);
	jv_set_str(call, "id", id);
	jv_set_str(call, "type", "file_search");
	jv_set(call, "file_search", fs);
	return call;
}

static void fs_run(struct tool_job *j)
{
	char *ids[FS_MAX_STORES];
	size_t n = 0;
	jv *ro = ranking_options(j->run);
	jv *results = jv_array();
	char *query = query_of(j->arguments);
	int err = run_stores(j->env->st, j->project, j->run, ids, &n);

	if (!err)
		err = use_stores(j, ids, n);
	if (!err && clock_ms() < j->wait_until_ms && ingesting(j, ids, n))
		j->again = true;
	else if (!err)
		err = search(j, query, ids, n, results, ro);
	if (err && !j->err)
		tool_fail(j, err, "server_error",
			  xstrdup("The file search could not read the vector stores; try again."));
	if (!err && !j->again)
		j->call = call_json(j->call_id, query, jv_ref(ro), jv_ref(results));
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	jv_free(ro);
	jv_free(results);
	free(query);
}

/* The model's arguments for query (NULL: none kept), as JSON text. Owned. */
static char *args_json(const char *query)
{
	jv *a = jv_object();
	char *out;

	if (query)
		jv_set_str(a, FS_QUERY, query);
	out = jv_dump(a);
	jv_free(a);
	return out;
}

/* Owned: `name` with the characters that would end a marker (】) left as they are but
 * newlines turned to spaces, so the marker stays on one line. */
static char *marker_name(const char *name)
{
	char *out = xstrdup(name ? name : "file");

	for (char *p = out; *p; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	return out;
}

static void fs_output(const jv *call, int ordinal, char **arguments, char **output)
{
	const jv *results = jv_get(jv_get(call, "file_search"), "results");
	struct buf b;

	buf_init(&b, 0);
	if (jv_size(results) == 0 &&
	    buf_puts(&b, "No results: the files hold nothing on this query."))
		abort(); /* unbounded buffer: cannot fail */
	for (size_t i = 0; i < jv_size(results); i++) {
		const jv *r = jv_at(results, i);
		const char *text = jv_get_str(jv_at(jv_get(r, "content"), 0), "text");
		char *name = marker_name(jv_get_str(r, "file_name"));

		if (buf_printf(&b, "%s\u3010%d:%zu\u2020%s\u3011\n%s", i ? "\n\n" : "", ordinal, i,
			       name, text ? text : ""))
			abort(); /* unbounded buffer: cannot fail */
		free(name);
	}
	*arguments = args_json(jv_get_str(jv_get(call, "file_search"), FS_QUERY));
	*output = buf_release(&b);
}

static const char *fs_source(const jv *call, int64_t result)
{
	const jv *results = jv_get(jv_get(call, "file_search"), "results");

	if (result < 0 || (size_t)result >= jv_size(results))
		return NULL;
	return jv_get_str(jv_at(results, (size_t)result), "file_id");
}

void tool_step_redact(jv *step, bool with_content)
{
	const jv *calls = jv_get(jv_get(step, "step_details"), "tool_calls");

	for (size_t i = 0; i < jv_size(calls); i++) {
		jv *fs = jv_get(jv_at(calls, i), "file_search");
		const jv *results = jv_get(fs, "results");

		jv *ci = jv_get(jv_at(calls, i), "code_interpreter");

		if (jv_is_object(fs))
			jv_del(fs, FS_QUERY);
		if (jv_is_object(ci))
			jv_del(ci, "files"); /* the server's (ci_int.h CI_FILES) */
		for (size_t k = 0; !with_content && k < jv_size(results); k++)
			jv_del(jv_at(results, k), "content");
	}
}

const struct tool tool_file_search = {
	.name = "file_search",
	.instructions =
		"You can search the user's files with the file_search tool. Each result it "
		"returns starts with a source marker such as \u30100:1\u2020notes.txt\u3011. When "
		"your answer uses a result, cite it by writing its marker, exactly as given, "
		"right after the sentence it supports.",
	.function = fs_function,
	.check = fs_check,
	.run = fs_run,
	.output = fs_output,
	.source = fs_source,
};
