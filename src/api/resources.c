/* resources.c - tools and tool_resources handling shared by assistants, threads and runs,
 * including the check that the files they name exist. */
#include "resources.h"

#include <stdio.h>
#include <string.h>

#include "../base/err.h"
#include "../base/id.h"
#include "vs.h"
#include "files.h"

static void tool_defaults(jv *tool)
{
	jv *fn = jv_get(tool, "function");

	if (fn && (!jv_get(fn, "strict") || jv_is_null(jv_get(fn, "strict"))))
		jv_set_bool(fn, "strict", false);
}

jv *res_tools(const jv *in)
{
	jv *tools = jv_get(in, "tools");
	jv *out;

	if (!jv_is_array(tools))
		return jv_array();
	out = jv_copy(tools);
	for (size_t i = 0; i < jv_size(out); i++)
		tool_defaults(jv_at(out, i));
	return out;
}

/* Creates the stores of the vector_stores helper (at most one, says the schema) and puts their
 * ids in fs's vector_store_ids instead, as the object will show them. */
static int create_inline(struct http_req *req, jv *fs, const char *param)
{
	const jv *helpers = jv_get(fs, "vector_stores");
	jv *ids = jv_array();
	char path[192];
	char id[ID_MAX + 1];
	int err = 0;

	for (size_t i = 0; i < jv_size(helpers) && !err; i++) {
		snprintf(path, sizeof(path), "%s.vector_stores[%zu]", param, i);
		err = vs_create(req, jv_at(helpers, i), path, id, NULL);
		if (!err)
			jv_push(ids, jv_string(id));
	}
	if (err) {
		jv_free(ids);
		return err;
	}
	jv_del(fs, "vector_stores");
	jv_set(fs, "vector_store_ids", ids);
	return 0;
}

/* Every id of tool_resources.code_interpreter.file_ids must be a file of the project. */
static int check_code_files(struct http_req *req, const jv *tr, const char *param)
{
	const jv *ids = jv_get(jv_get(tr, "code_interpreter"), "file_ids");
	char path[160];
	int err = 0;

	for (size_t i = 0; !err && jv_is_array(ids) && i < jv_size(ids); i++) {
		snprintf(path, sizeof(path), "%s.code_interpreter.file_ids[%zu]", param, i);
		err = files_check_ref(req, jv_str(jv_at(ids, i)), path);
	}
	return err;
}

int res_check_tool_resources(struct http_req *req, jv *in, const char *param)
{
	jv *fs = jv_get(jv_get(in, "tool_resources"), "file_search");
	char path[128];
	int err = check_code_files(req, jv_get(in, "tool_resources"), param);

	if (err || !fs)
		return err;
	snprintf(path, sizeof(path), "%s.file_search", param);
	if (jv_get(fs, "vector_store_ids") && jv_get(fs, "vector_stores"))
		return http_fail(req, ERR_INVALID, path,
				 "Invalid '%s': give either vector_store_ids or vector_stores, not "
				 "both.", path);
	if (jv_get(fs, "vector_stores"))
		return create_inline(req, fs, path);
	snprintf(path, sizeof(path), "%s.file_search.vector_store_ids", param);
	return vs_check_ids(req, jv_get(fs, "vector_store_ids"), path);
}

jv *res_tool_resources(const jv *in)
{
	jv *tr = jv_get(in, "tool_resources");

	return jv_is_object(tr) ? jv_copy(tr) : jv_object();
}

void res_merge_tool_resources(jv *obj, const jv *in)
{
	jv *tr = jv_get(in, "tool_resources");
	jv *cur;

	if (!tr)
		return;
	if (!jv_is_object(tr) || !jv_is_object(jv_get(obj, "tool_resources"))) {
		jv_set(obj, "tool_resources", res_tool_resources(in));
		return;
	}
	cur = jv_get(obj, "tool_resources");
	for (void *it = jv_iter(tr); it; it = jv_next(tr, it))
		jv_set(cur, jv_iter_key(it), jv_copy(jv_iter_value(it)));
}
