/* resources.h - shapes shared by several resources: tools, tool_resources, response_format.
 *
 * Assistants, threads and runs all accept tools and tool_resources; these functions turn a
 * validated request member into the object member the API returns, and apply the checks a
 * schema table cannot express (mutually exclusive fields). */
#ifndef ASSISTD_RESOURCES_H
#define ASSISTD_RESOURCES_H

#include "../http/http.h"
#include "../json/json.h"

/* The tools array as returned: a copy of in's "tools" with defaults filled in (function
 * strict: false), or [] when absent (owned). */
jv *res_tools(const jv *in);

/* Checks in's "tool_resources" (at the dotted path param) for what the schema cannot say:
 * every vector store id names a usable store of the project (else 404 or 400), and a
 * vector_stores helper creates its store, replaced in in by its vector_store_ids. Call it after
 * the request's other checks, so that a refused request creates no store. Returns 0 or an
 * error (recorded). */
int res_check_tool_resources(struct http_req *req, jv *in, const char *param);

/* tool_resources as returned: a copy of in's member, or {} when absent or null (owned). */
jv *res_tool_resources(const jv *in);

/* Replaces in obj those parts of tool_resources that in names (code_interpreter,
 * file_search), as a modify request does. */
void res_merge_tool_resources(jv *obj, const jv *in);

#endif
