/* resources.c - tools and tool_resources handling shared by assistants, threads and runs,
 * including the check that the files they name exist. */
#include "resources.h"

#include <stdio.h>
#include <string.h>

#include "../base/err.h"
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

int res_check_tool_resources(struct http_req *req, const jv *in, const char *param)
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
	snprintf(path, sizeof(path), "%s.file_search.vector_stores", param);
	if (jv_get(fs, "vector_stores"))
		return http_fail(req, ERR_INVALID, path,
				 "Invalid '%s': this server does not create vector stores inline; "
				 "create the vector store first and pass its id in "
				 "vector_store_ids.", path);
	return 0;
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
