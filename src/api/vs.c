/* vs.c - the pieces the vector store handlers share (see vs.h). */
#include "vs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/id.h"
#include "../store/obj.h"
#include "../tools/chunk.h"
#include "../tools/ingest.h"
#include "files.h"

jv *vs_counts_zero(void)
{
	static const char *const names[] = { "in_progress", "completed", "failed", "cancelled",
					     "total" };
	jv *c = jv_object();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		jv_set_int(c, names[i], 0);
	return c;
}

/* {"type":"static","static":{max, overlap}} (owned). */
static jv *static_strategy(int64_t max, int64_t overlap)
{
	jv *s = jv_object();
	jv *st = jv_object();

	jv_set_int(st, "max_chunk_size_tokens", max);
	jv_set_int(st, "chunk_overlap_tokens", overlap);
	jv_set_str(s, "type", "static");
	jv_set(s, "static", st);
	return s;
}

/* The strategy a file reports: auto is written out as static 800/400, as hosted. The schema
 * checked the ranges; the overlap rule is checked here. */
static int chunking(struct http_req *req, const jv *strategy, const char *param, jv **out)
{
	const jv *st = jv_get(strategy, "static");
	int64_t max = jv_int_value(jv_get(st, "max_chunk_size_tokens"));
	int64_t overlap = jv_int_value(jv_get(st, "chunk_overlap_tokens"));

	*out = NULL;
	if (!st) {
		*out = static_strategy(CHUNK_AUTO_MAX, CHUNK_AUTO_OVERLAP);
		return 0;
	}
	if (overlap > max / 2)
		return http_fail(req, ERR_INVALID, param,
				 "Invalid '%s': chunk_overlap_tokens (%lld) must not exceed half "
				 "of max_chunk_size_tokens (%lld). Lower the overlap or raise the "
				 "chunk size.", param, (long long)overlap, (long long)max);
	*out = static_strategy(max, overlap);
	return 0;
}

/* The filename of file id in the project; an unknown id is refused naming param (as every
 * file reference is: files_check_ref). */
static int file_name(struct http_req *req, const char *id, const char *param, char **name)
{
	char *body = NULL;
	jv *f = NULL;
	int err = files_check_ref(req, id, param);

	*name = NULL;
	if (!err)
		err = store_get(api_ctx(req)->st, api_project(req), STORE_FILE, id, NULL, &body,
				NULL);
	if (err)
		return api_store_err(req, err, "file", id);
	f = jv_parse(body, strlen(body), NULL, 0);
	*name = xstrdup(jv_get_str(f, "filename") ? jv_get_str(f, "filename") : "");
	jv_free(f);
	free(body);
	return 0;
}

/* A new VectorStoreFile, in progress (owned); takes ownership of strategy. */
static jv *file_body(const char *vs, const char *id, int64_t now, jv *strategy,
		     const jv *attrs)
{
	jv *o = jv_object();

	jv_set_str(o, "id", id);
	jv_set_str(o, "object", "vector_store.file");
	jv_set_int(o, "usage_bytes", 0);
	jv_set_int(o, "created_at", now);
	jv_set_str(o, "vector_store_id", vs);
	jv_set_str(o, "status", "in_progress");
	jv_set_null(o, "last_error");
	jv_set(o, "chunking_strategy", strategy);
	jv_set(o, "attributes", jv_is_object(attrs) ? jv_copy(attrs) : jv_object());
	return o;
}

/* Prepares item i of items: a file id, or an object with its own strategy and attributes. */
static int prepare_one(struct http_req *req, const char *vs, const jv *item, const jv *strategy,
		       const jv *attrs, const char *param, struct vs_attach *a)
{
	const char *id = jv_is_string(item) ? jv_str(item) : jv_get_str(item, "file_id");
	char where[160];
	jv *chunks = NULL;
	jv *body;
	int err;

	if (a->indexed)
		snprintf(where, sizeof(where), "%s[%zu]", param, a->n);
	else
		snprintf(where, sizeof(where), "%s", param);
	if (jv_is_object(item)) {
		strategy = jv_get(item, "chunking_strategy");
		attrs = jv_get(item, "attributes");
	}
	err = file_name(req, id, where, &a->names[a->n]);
	if (!err)
		err = chunking(req, strategy, "chunking_strategy", &chunks);
	if (err)
		return err;
	body = file_body(vs, id, clock_unix(), chunks, attrs);
	a->bodies[a->n] = jv_dump(body);
	a->files[a->n] = (struct vsf_new){ .file_id = id, .filename = a->names[a->n],
					   .created_at = jv_int_value(jv_get(body, "created_at")),
					   .body = a->bodies[a->n] };
	a->n++;
	jv_free(body);
	return 0;
}

int vs_attach_prepare(struct http_req *req, const char *vs, const jv *items, const jv *strategy,
		      const jv *attrs, const char *param, struct vs_attach *a)
{
	size_t n = jv_size(items);
	int err = 0;

	memset(a, 0, sizeof(*a));
	a->indexed = strcmp(param, "file_id") != 0;
	a->files = xcalloc(n + 1, sizeof(*a->files));
	a->names = xcalloc(n + 1, sizeof(*a->names));
	a->bodies = xcalloc(n + 1, sizeof(*a->bodies));
	for (size_t i = 0; i < n && !err; i++)
		err = prepare_one(req, vs, jv_at(items, i), strategy, attrs, param, a);
	if (err)
		vs_attach_cleanup(a);
	return err;
}

void vs_attach_cleanup(struct vs_attach *a)
{
	for (size_t i = 0; a->names && i <= a->n; i++) {
		free(a->names[i]);
		free(a->bodies[i]);
	}
	free(a->names);
	free(a->bodies);
	free(a->files);
	memset(a, 0, sizeof(*a));
}

int vs_attach_commit(struct http_req *req, const char *vs, const struct store_obj *create,
		     const char *batch, const struct vs_attach *a)
{
	int err = store_vsf_attach(api_ctx(req)->st, api_project(req), vs, create, batch,
				   a->files, a->n);

	if (err == ERR_NOT_FOUND)
		return api_not_found(req, "vector store", vs);
	if (!err && a->n)
		ingest_kick(api_ctx(req)->ing);
	return err;
}

/* The VectorStore object for a new store (owned). */
static jv *vs_build(struct http_req *req, const char *id, const jv *in)
{
	int64_t now = clock_unix();
	const jv *exp = jv_get(in, "expires_after");
	jv *v = jv_object();

	jv_set_str(v, "id", id);
	jv_set_str(v, "object", "vector_store");
	jv_set_int(v, "created_at", now);
	jv_set_str(v, "name", jv_get_str(in, "name") ? jv_get_str(in, "name") : "");
	jv_set_int(v, "usage_bytes", 0);
	jv_set(v, "file_counts", vs_counts_zero());
	jv_set_str(v, "status", "completed");
	jv_set_int(v, "last_active_at", now);
	jv_set(v, "metadata", api_metadata(in));
	if (jv_is_object(exp)) {
		jv_set(v, "expires_after", jv_copy(exp));
		jv_set_int(v, "expires_at",
			   now + jv_int_value(jv_get(exp, "days")) * api_ctx(req)->vs_day_s);
	} else {
		jv_set_null(v, "expires_at");
	}
	return v;
}

static void join_param(char *out, size_t len, const char *param, const char *key)
{
	snprintf(out, len, "%s%s%s", param, *param ? "." : "", key);
}

int vs_create(struct http_req *req, const jv *in, const char *param, char *id, char **text)
{
	struct vs_attach a = { 0 };
	char where[160];
	struct store_obj o;
	char *body = NULL;
	jv *v = NULL;
	jv *strategy = NULL;
	int err = api_new_id(req, ID_VECTOR_STORE, id);

	join_param(where, sizeof(where), param, "chunking_strategy");
	if (!err)
		err = chunking(req, jv_get(in, "chunking_strategy"), where, &strategy);
	join_param(where, sizeof(where), param, "file_ids");
	if (!err)
		err = vs_attach_prepare(req, id, jv_get(in, "file_ids"),
					jv_get(in, "chunking_strategy"), NULL, where, &a);
	if (err)
		goto out;
	v = vs_build(req, id, in);
	body = jv_dump(v);
	obj_columns(STORE_VECTOR_STORE, v, body, &o);
	err = vs_attach_commit(req, id, &o, NULL, &a);
	if (!err && text)
		err = store_get(api_ctx(req)->st, api_project(req), STORE_VECTOR_STORE, id, NULL,
				text, NULL);
out:
	vs_attach_cleanup(&a);
	jv_free(strategy);
	jv_free(v);
	free(body);
	return err;
}

static bool expired(const jv *v)
{
	const jv *at = jv_get(v, "expires_at");
	const char *status = jv_get_str(v, "status");

	return (status && strcmp(status, "expired") == 0) ||
	       (jv_is_int(at) && jv_int_value(at) <= clock_unix());
}

int vs_usable(struct http_req *req, const char *vs, char **body)
{
	char *text = NULL;
	jv *v = NULL;
	int err = ERR_NOT_FOUND;

	if (id_valid(vs, ID_VECTOR_STORE))
		err = store_get(api_ctx(req)->st, api_project(req), STORE_VECTOR_STORE, vs, NULL,
				&text, NULL);
	if (err)
		return api_store_err(req, err, "vector store", vs);
	v = jv_parse(text, strlen(text), NULL, 0);
	if (expired(v))
		err = http_fail(req, ERR_INVALID, NULL,
				"Vector store %s has expired: it was not used within its "
				"expires_after window. Create a new vector store and add the files "
				"again.", vs);
	jv_free(v);
	if (!err && body)
		*body = text;
	else
		free(text);
	return err;
}

int vs_find(struct http_req *req, const char *vs)
{
	char *body = NULL;
	int err = store_get(api_ctx(req)->st, api_project(req), STORE_VECTOR_STORE, vs, NULL,
			    &body, NULL);

	free(body);
	return api_store_err(req, err, "vector store", vs);
}

int vs_check_ids(struct http_req *req, const jv *ids, const char *param)
{
	int err = 0;

	for (size_t i = 0; i < jv_size(ids) && !err; i++) {
		const char *id = jv_str(jv_at(ids, i));

		err = vs_usable(req, id ? id : "", NULL);
		if (err == ERR_NOT_FOUND)
			err = http_fail(req, ERR_NOT_FOUND, param,
					"No vector store found with id '%.80s' (%s[%zu]). Create "
					"it with POST /v1/vector_stores first.", id ? id : "",
					param, i);
	}
	return err;
}
