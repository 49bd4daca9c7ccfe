/* test_api.c - unit tests for the request validator (src/api/schema.c) and the request
 * schemas built on it (src/api/schemas.c). */
#include "../../src/api/schema.h"
#include "../../src/api/schemas.h"
#include "../../src/base/err.h"
#include "../../src/json/json.h"
#include "suites.h"

/* Checks text against s; returns the error code and leaves the detail in *e. */
static int check(const struct sc_schema *s, const char *text, struct sc_error *e)
{
	char why[128];
	jv *v = jv_parse(text, strlen(text), why, sizeof(why));
	int err;

	if (!v)
		T_FAIL("bad test JSON %s: %s", text, why);
	err = sc_check(s, v, e);
	jv_free(v);
	return err;
}

static void expect_bad(const struct sc_schema *s, const char *text, const char *param)
{
	struct sc_error e;

	if (check(s, text, &e) != ERR_INVALID)
		T_FAIL("accepted %s", text);
	if (strcmp(e.param, param) != 0)
		T_FAIL("%s: param '%s', expected '%s' (%s)", text, e.param, param, e.message);
}

static void expect_ok(const struct sc_schema *s, const char *text)
{
	struct sc_error e;

	if (check(s, text, &e) != 0)
		T_FAIL("rejected %s: %s (%s)", text, e.message, e.param);
}

static void assistant_accepts_every_field(void)
{
	expect_ok(&sc_create_assistant,
		  "{\"model\":\"gpt-4o\",\"name\":\"n\",\"description\":null,\"instructions\":\"i\","
		  "\"reasoning_effort\":\"low\",\"tools\":[{\"type\":\"code_interpreter\"},"
		  "{\"type\":\"file_search\",\"file_search\":{\"max_num_results\":5,"
		  "\"ranking_options\":{\"ranker\":\"auto\",\"score_threshold\":0.5}}},"
		  "{\"type\":\"function\",\"function\":{\"name\":\"f_1\",\"description\":\"d\","
		  "\"parameters\":{\"type\":\"object\"},\"strict\":true}}],"
		  "\"tool_resources\":{\"code_interpreter\":{\"file_ids\":[\"file-a\"]},"
		  "\"file_search\":{\"vector_store_ids\":[\"vs_a\"]}},\"metadata\":{\"k\":\"v\"},"
		  "\"temperature\":0.2,\"top_p\":1,\"response_format\":{\"type\":\"json_schema\","
		  "\"json_schema\":{\"name\":\"x\",\"schema\":{},\"strict\":null}}}");
	expect_ok(&sc_create_assistant, "{\"model\":\"m\",\"response_format\":\"auto\"}");
}

static void assistant_rejects_bad_fields(void)
{
	expect_bad(&sc_create_assistant, "{}", "model");
	expect_bad(&sc_create_assistant, "{\"model\":5}", "model");
	expect_bad(&sc_create_assistant, "{\"model\":\"m\",\"bogus\":1}", "bogus");
	expect_bad(&sc_create_assistant, "{\"model\":\"m\",\"temperature\":3}", "temperature");
	expect_bad(&sc_create_assistant, "{\"model\":\"m\",\"top_p\":-1}", "top_p");
	expect_bad(&sc_create_assistant,
		   "{\"model\":\"m\",\"tools\":[{\"type\":\"function\",\"function\":"
		   "{\"name\":\"has space\"}}]}", "tools[0].function.name");
	expect_bad(&sc_create_assistant, "{\"model\":\"m\",\"tools\":[{\"type\":\"nope\"}]}",
		   "tools[0].type");
	expect_bad(&sc_create_assistant, "{\"model\":\"m\",\"response_format\":\"json\"}",
		   "response_format");
	expect_bad(&sc_create_assistant, "{\"model\":\"m\",\"reasoning_effort\":\"huge\"}",
		   "reasoning_effort");
}

static void string_limits_count_characters(void)
{
	char text[600];

	/* 256 two-byte characters are 256 characters, not 512 bytes: accepted. */
	strcpy(text, "{\"model\":\"m\",\"name\":\"");
	for (int i = 0; i < 256; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\"}");
	expect_ok(&sc_create_assistant, text);
	strcpy(text + strlen(text) - 2, "x\"}");
	expect_bad(&sc_create_assistant, text, "name");
}

static void metadata_limits(void)
{
	char text[2048] = "{\"model\":\"m\",\"metadata\":{";

	for (int i = 0; i < 17; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\"k%d\":\"v\"",
			 i ? "," : "", i);
	strcat(text, "}}");
	expect_bad(&sc_create_assistant, text, "metadata");
	expect_bad(&sc_create_assistant, "{\"model\":\"m\",\"metadata\":{\"k\":1}}", "metadata.k");
	expect_ok(&sc_create_assistant, "{\"model\":\"m\",\"metadata\":null}");
}

static void message_content_forms(void)
{
	expect_ok(&sc_create_message, "{\"role\":\"user\",\"content\":\"hi\"}");
	expect_ok(&sc_create_message,
		  "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
		  "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\","
		  "\"detail\":\"low\"}},{\"type\":\"image_file\",\"image_file\":{\"file_id\":\"f\"}}],"
		  "\"attachments\":[{\"file_id\":\"file-1\",\"tools\":[{\"type\":\"file_search\"}]}]}");
	expect_bad(&sc_create_message, "{\"role\":\"system\",\"content\":\"hi\"}", "role");
	expect_bad(&sc_create_message, "{\"role\":\"user\",\"content\":[]}", "content");
	expect_bad(&sc_create_message, "{\"role\":\"user\",\"content\":5}", "content");
	expect_bad(&sc_create_message,
		   "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":1}]}",
		   "content[0].text");
	expect_bad(&sc_create_message, "{\"role\":\"user\"}", "content");
}

static void thread_nests_messages(void)
{
	expect_ok(&sc_create_thread, "{}");
	expect_bad(&sc_create_thread, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
				      "{\"role\":\"user\",\"content\":\"b\",\"x\":1}]}",
		   "messages[1].x");
	expect_bad(&sc_modify_thread,
		   "{\"tool_resources\":{\"file_search\":{\"vector_stores\":[]}}}",
		   "tool_resources.file_search.vector_stores");
}

static void run_requests(void)
{
	expect_ok(&sc_create_run, "{\"assistant_id\":\"asst_1\",\"tool_choice\":{\"type\":"
				  "\"function\",\"function\":{\"name\":\"f\"}},\"truncation_strategy\":"
				  "{\"type\":\"last_messages\",\"last_messages\":2}}");
	expect_bad(&sc_create_run, "{\"assistant_id\":\"a\",\"max_prompt_tokens\":10}",
		   "max_prompt_tokens");
	expect_bad(&sc_create_run, "{\"assistant_id\":\"a\",\"tool_choice\":\"sometimes\"}",
		   "tool_choice");
	expect_bad(&sc_submit_tool_outputs, "{\"tool_outputs\":[{\"output\":1}]}",
		   "tool_outputs[0].output");
	expect_bad(&sc_submit_tool_outputs, "{}", "tool_outputs");
}

static void body_must_be_object(void)
{
	expect_bad(&sc_create_assistant, "[1,2]", "");
	expect_bad(&sc_create_assistant, "\"model\"", "");
}

const struct t_case api_tests[] = {
	T_CASE(assistant_accepts_every_field),
	T_CASE(assistant_rejects_bad_fields),
	T_CASE(string_limits_count_characters),
	T_CASE(metadata_limits),
	T_CASE(message_content_forms),
	T_CASE(thread_nests_messages),
	T_CASE(run_requests),
	T_CASE(body_must_be_object),
	{ NULL, NULL },
};
