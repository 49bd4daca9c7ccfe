/* assistants.c - create, retrieve, modify, delete and list assistants.
 *
 * An assistant is stored as the JSON object the API returns; create fills in every default
 * the spec documents, and modify replaces the members a request names. */
#include "assistants.h"

#include <stdlib.h>

#include "../base/clock.h"
#include "../base/id.h"
#include "../store/obj.h"
#include "common.h"
#include "resources.h"
#include "schemas.h"


/* A nullable member: the input's value when given, else null. */
static void set_nullable(jv *obj, const jv *in, const char *key)
{
	jv *v = jv_get(in, key);

	jv_set(obj, key, v ? jv_copy(v) : jv_null());
}

/* temperature and top_p: the input's number, else the documented default of 1. */
static void set_number(jv *obj, const jv *in, const char *key)
{
	jv *v = jv_get(in, key);

	jv_set(obj, key, jv_is_number(v) ? jv_copy(v) : jv_real(1.0));
}

static void set_format(jv *obj, const jv *in)
{
	jv *v = jv_get(in, "response_format");

	jv_set(obj, "response_format", v && !jv_is_null(v) ? jv_copy(v) : jv_string("auto"));
}

static jv *build(const char *id, const jv *in)
{
	jv *a = jv_object();

	jv_set_str(a, "id", id);
	jv_set_str(a, "object", "assistant");
	jv_set_int(a, "created_at", clock_unix());
	set_nullable(a, in, "name");
	set_nullable(a, in, "description");
	jv_set_str(a, "model", jv_get_str(in, "model"));
	set_nullable(a, in, "instructions");
	jv_set(a, "tools", res_tools(in));
	jv_set(a, "tool_resources", res_tool_resources(in));
	jv_set(a, "metadata", api_metadata(in));
	set_number(a, in, "temperature");
	set_number(a, in, "top_p");
	set_format(a, in);
	set_nullable(a, in, "reasoning_effort");
	return a;
}

int assistants_create(struct http_req *req)
{
	char id[ID_MAX + 1];
	char *text = NULL;
	jv *in = NULL;
	jv *a = NULL;
	int err = api_parse(req, &sc_create_assistant, false, &in);

	if (!err)
		err = res_check_tool_resources(req, in, "tool_resources");
	if (!err)
		err = api_new_id(req, ID_ASSISTANT, id);
	if (err)
		goto out;
	a = build(id, in);
	err = obj_put(api_ctx(req)->st, api_project(req), STORE_ASSISTANT, a, -1, &text);
	if (!err)
		err = api_reply_body(req, text);
out:
	jv_free(in);
	jv_free(a);
	return err;
}

int assistants_get(struct http_req *req)
{
	return api_get_top(req, STORE_ASSISTANT, "assistant_id", ID_ASSISTANT, "assistant");
}

static int apply(struct http_req *req, jv *a, const jv *in)
{
	static const char *const plain[] = { "model", "name", "description", "instructions",
					     "reasoning_effort" };

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (jv_get(in, plain[i]))
			set_nullable(a, in, plain[i]);
	}
	if (jv_get(in, "tools"))
		jv_set(a, "tools", res_tools(in));
	res_merge_tool_resources(a, in);
	if (jv_get(in, "temperature"))
		set_number(a, in, "temperature");
	if (jv_get(in, "top_p"))
		set_number(a, in, "top_p");
	if (jv_get(in, "response_format"))
		set_format(a, in);
	return api_apply_metadata(req, a, in);
}

int assistants_modify(struct http_req *req)
{
	const char *id;
	jv *in = NULL;
	int err = api_path_id(req, "assistant_id", ID_ASSISTANT, "assistant", &id);

	if (!err)
		err = api_parse(req, &sc_modify_assistant, false, &in);
	if (!err)
		err = res_check_tool_resources(req, in, "tool_resources");
	if (!err)
		err = api_modify(req, STORE_ASSISTANT, id, NULL, "assistant", in, apply);
	jv_free(in);
	return err;
}

int assistants_delete(struct http_req *req)
{
	return api_delete_top(req, STORE_ASSISTANT, "assistant_id", ID_ASSISTANT, "assistant",
			      "assistant.deleted");
}

int assistants_list(struct http_req *req)
{
	return api_list(req, STORE_ASSISTANT, NULL, ID_ASSISTANT, NULL);
}
