/* test_json.c - unit tests for src/json: parsing limits, string safety, split dumps. */
#include "../../src/json/json.h"
#include "suites.h"

static jv *parse(const char *text, char *why, size_t len)
{
	return jv_parse(text, strlen(text), why, len);
}

static void parse_reports_position(void)
{
	char why[128];

	ASSERT(parse("{\"a\":}", why, sizeof(why)) == NULL);
	ASSERT(strstr(why, "line 1") != NULL);
	ASSERT(strstr(why, "column") != NULL);
}

static void parse_rejects_duplicate_keys(void)
{
	char why[128];

	ASSERT(parse("{\"a\":1,\"a\":2}", why, sizeof(why)) == NULL);
}

static void parse_limits_depth(void)
{
	char text[2 * (JV_MAX_DEPTH + 2) + 1];
	char why[128];
	size_t n = 0;
	jv *v;

	for (int i = 0; i < JV_MAX_DEPTH; i++)
		text[n++] = '[';
	for (int i = 0; i < JV_MAX_DEPTH; i++)
		text[n++] = ']';
	text[n] = '\0';
	v = parse(text, why, sizeof(why));
	ASSERT(v != NULL);
	jv_free(v);
	memmove(text + 1, text, n + 1);
	text[0] = '[';
	strcat(text, "]");
	ASSERT(parse(text, why, sizeof(why)) == NULL);
	ASSERT(strstr(why, "nested") != NULL);
}

static void invalid_utf8_is_replaced_not_fatal(void)
{
	jv *s = jv_stringn("ok\xff\xfe.", 5);
	char *text = jv_dump(s);

	ASSERT_STR_EQ(jv_str(s), "ok??.");
	ASSERT_STR_EQ(text, "\"ok??.\"");
	free(text);
	jv_free(s);
}

static void setters_steal_and_getters_borrow(void)
{
	jv *o = jv_object();
	char *text;

	jv_set_str(o, "s", "x");
	jv_set_str(o, "n", NULL);
	jv_set_int(o, "i", 42);
	jv_set_bool(o, "b", true);
	jv_set(o, "a", jv_array());
	jv_push(jv_get(o, "a"), jv_int(1));
	ASSERT_STR_EQ(jv_get_str(o, "s"), "x");
	ASSERT(jv_is_null(jv_get(o, "n")));
	ASSERT_EQ_INT(jv_int_value(jv_get(o, "i")), 42);
	ASSERT(jv_get(o, "missing") == NULL);
	text = jv_dump(o);
	ASSERT_STR_EQ(text, "{\"s\":\"x\",\"n\":null,\"i\":42,\"b\":true,\"a\":[1]}");
	free(text);
	jv_free(o);
}

static void type_names(void)
{
	jv *r = jv_real(1.5);

	ASSERT_STR_EQ(jv_type_name(r), "number");
	ASSERT_STR_EQ(jv_type_name(NULL), "missing");
	ASSERT(jv_is_number(r) && !jv_is_int(r));
	jv_free(r);
}

static void dump_split_around_one_string(void)
{
	char why[128];
	jv *v = parse("{\"id\":\"m\",\"d\":{\"value\":\"a\\\"\\u0001\\n\",\"k\":[]}}", why,
		      sizeof(why));
	char *head = NULL;
	char *span = NULL;
	char *tail = NULL;
	char *all = jv_dump(v);
	char joined[256];

	ASSERT(jv_dump_split(v, jv_get(v, "d"), "value", &head, &span, &tail));
	ASSERT_STR_EQ(head, "{\"id\":\"m\",\"d\":{\"value\":\"");
	ASSERT_STR_EQ(span, "a\\\"\\u0001\\n");
	ASSERT_STR_EQ(tail, "\",\"k\":[]}}");
	snprintf(joined, sizeof(joined), "%s%s%s", head, span, tail);
	ASSERT_STR_EQ(joined, all);
	/* v is as it was, and a member that is not a string cannot be split around. */
	ASSERT_STR_EQ(jv_get_str(jv_get(v, "d"), "value"), "a\"\x01\n");
	ASSERT(!jv_dump_split(v, jv_get(v, "d"), "k", &head, &span, &tail));
	free(head);
	free(span);
	free(tail);
	free(all);
	jv_free(v);
}

static void dump_split_refuses_ambiguity(void)
{
	char why[128];
	jv *v = parse("{\"name\":\"\\u0001\",\"value\":\"x\"}", why, sizeof(why));
	char *head = NULL;
	char *span = NULL;
	char *tail = NULL;

	ASSERT(!jv_dump_split(v, v, "value", &head, &span, &tail));
	ASSERT(head == NULL && span == NULL && tail == NULL);
	ASSERT_STR_EQ(jv_get_str(v, "value"), "x");
	jv_free(v);
}

const struct t_case json_tests[] = {
	T_CASE(parse_reports_position),
	T_CASE(parse_rejects_duplicate_keys),
	T_CASE(parse_limits_depth),
	T_CASE(invalid_utf8_is_replaced_not_fatal),
	T_CASE(setters_steal_and_getters_borrow),
	T_CASE(type_names),
	T_CASE(dump_split_around_one_string),
	T_CASE(dump_split_refuses_ambiguity),
	{ NULL, NULL },
};
