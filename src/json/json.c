/* json.c - the jansson-backed implementation of json.h.
 *
 * Thin by design: each function maps to one jansson call, plus the parse limits
 * (depth, duplicate keys) that protect the server from hostile input. */
#include "json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"

static size_t depth_of(const json_t *v, size_t limit)
{
	size_t deepest = 0;

	if (limit == 0)
		return 1;
	if (json_is_object(v)) {
		const char *key;
		json_t *m;

		json_object_foreach((json_t *)v, key, m) {
			size_t d = depth_of(m, limit - 1);

			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *m;

		json_array_foreach(v, i, m) {
			size_t d = depth_of(m, limit - 1);

			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	return 0;
}

jv *jv_parse(const char *text, size_t len, char *why, size_t whylen)
{
	json_error_t e;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);

	if (!v) {
		snprintf(why, whylen, "%s at line %d, column %d", e.text, e.line, e.column);
		return NULL;
	}
	if (depth_of(v, JV_MAX_DEPTH + 1) > JV_MAX_DEPTH) {
		snprintf(why, whylen, "nested deeper than %d levels", JV_MAX_DEPTH);
		json_decref(v);
		return NULL;
	}
	return v;
}

char *jv_dump(const jv *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));

	if (!s) {
		fprintf(stderr, "assistd: out of memory encoding JSON\n");
		abort();
	}
	return s;
}

#define SPLIT_MARK "\"\\u0001\"" /* how a string holding only U+0001 dumps */

/* The escaped inside of string s: its dump without the quotes (owned). */
static char *escaped_inside(const jv *s)
{
	char *text = jv_dump(s);
	size_t len = strlen(text);

	memmove(text, text + 1, len - 2);
	text[len - 2] = '\0';
	return text;
}

bool jv_dump_split(const jv *v, jv *obj, const char *key, char **head, char **span,
		   char **tail)
{
	jv *text = jv_ref(jv_get(obj, key));
	char *all = NULL;
	char *at = NULL;
	bool ok = jv_is_string(text);

	if (ok) {
		jv_set(obj, key, jv_string("\x01"));
		all = jv_dump(v);
		at = strstr(all, SPLIT_MARK);
		ok = at && !strstr(at + 1, SPLIT_MARK);
		jv_set(obj, key, jv_ref(text));
	}
	if (ok) {
		*head = xstrndup(all, (size_t)(at - all) + 1);
		*span = escaped_inside(text);
		*tail = xstrdup(at + strlen(SPLIT_MARK) - 1);
	}
	free(all);
	jv_free(text);
	return ok;
}

static jv *must(json_t *v)
{
	if (!v) {
		fprintf(stderr, "assistd: out of memory building JSON\n");
		abort();
	}
	return v;
}

jv *jv_object(void)
{
	return must(json_object());
}

jv *jv_array(void)
{
	return must(json_array());
}

jv *jv_string(const char *s)
{
	return jv_stringn(s, strlen(s));
}

/* Text from outside (a model's reply cut mid-character, say) may not be valid UTF-8:
 * rather than fail, replace every non-ASCII byte of such a string with '?'. */
static json_t *sanitized(const char *s, size_t len)
{
	char *copy = xstrndup(s, len);
	json_t *v;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)copy[i] >= 0x80 || copy[i] == '\0')
			copy[i] = '?';
	}
	v = json_stringn(copy, len);
	free(copy);
	return v;
}

jv *jv_stringn(const char *s, size_t len)
{
	json_t *v = json_stringn(s, len);

	if (!v)
		v = sanitized(s, len);
	return must(v);
}

jv *jv_int(int64_t n)
{
	return must(json_integer((json_int_t)n));
}

jv *jv_real(double d)
{
	return must(json_real(d));
}

jv *jv_bool(bool b)
{
	return must(json_boolean(b));
}

jv *jv_null(void)
{
	return json_null();
}

jv *jv_ref(jv *v)
{
	return json_incref(v);
}

void jv_free(jv *v)
{
	json_decref(v);
}

jv *jv_copy(const jv *v)
{
	return must(json_deep_copy(v));
}

enum jv_type jv_typeof(const jv *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return JV_OBJECT;
	case JSON_ARRAY: return JV_ARRAY;
	case JSON_STRING: return JV_STRING;
	case JSON_INTEGER: return JV_INTEGER;
	case JSON_REAL: return JV_REAL;
	case JSON_TRUE: return JV_TRUE;
	case JSON_FALSE: return JV_FALSE;
	default: return JV_NULL;
	}
}

bool jv_is_object(const jv *v)
{
	return v && json_is_object(v);
}

bool jv_is_array(const jv *v)
{
	return v && json_is_array(v);
}

bool jv_is_string(const jv *v)
{
	return v && json_is_string(v);
}

bool jv_is_int(const jv *v)
{
	return v && json_is_integer(v);
}

bool jv_is_number(const jv *v)
{
	return v && json_is_number(v);
}

bool jv_is_bool(const jv *v)
{
	return v && json_is_boolean(v);
}

bool jv_is_null(const jv *v)
{
	return v && json_is_null(v);
}

const char *jv_type_name(const jv *v)
{
	static const char *const names[] = { "object", "array", "string", "integer",
					     "number", "boolean", "boolean", "null" };

	if (!v)
		return "missing";
	return names[jv_typeof(v)];
}

const char *jv_str(const jv *v)
{
	return v ? json_string_value(v) : NULL;
}

size_t jv_strlen(const jv *v)
{
	return v ? json_string_length(v) : 0;
}

int64_t jv_int_value(const jv *v)
{
	return v ? (int64_t)json_integer_value(v) : 0;
}

double jv_number(const jv *v)
{
	return v ? json_number_value(v) : 0.0;
}

bool jv_true(const jv *v)
{
	return v && json_is_true(v);
}

jv *jv_get(const jv *obj, const char *key)
{
	return obj ? json_object_get(obj, key) : NULL;
}

const char *jv_get_str(const jv *obj, const char *key)
{
	return jv_str(jv_get(obj, key));
}

void jv_set(jv *obj, const char *key, jv *val)
{
	if (json_object_set_new(obj, key, val) != 0) {
		fprintf(stderr, "assistd: jv_set(%s) on a non-object\n", key);
		abort();
	}
}

void jv_set_str(jv *obj, const char *key, const char *s)
{
	jv_set(obj, key, s ? jv_string(s) : jv_null());
}

void jv_set_int(jv *obj, const char *key, int64_t n)
{
	jv_set(obj, key, jv_int(n));
}

void jv_set_null(jv *obj, const char *key)
{
	jv_set(obj, key, jv_null());
}

void jv_set_bool(jv *obj, const char *key, bool b)
{
	jv_set(obj, key, jv_bool(b));
}

void jv_del(jv *obj, const char *key)
{
	json_object_del(obj, key);
}

size_t jv_size(const jv *v)
{
	if (jv_is_object(v))
		return json_object_size(v);
	if (jv_is_array(v))
		return json_array_size(v);
	return 0;
}

void *jv_iter(const jv *obj)
{
	return jv_is_object(obj) ? json_object_iter((json_t *)obj) : NULL;
}

void *jv_next(const jv *obj, void *it)
{
	return json_object_iter_next((json_t *)obj, it);
}

const char *jv_iter_key(void *it)
{
	return json_object_iter_key(it);
}

jv *jv_iter_value(void *it)
{
	return json_object_iter_value(it);
}

jv *jv_at(const jv *arr, size_t i)
{
	return arr ? json_array_get(arr, i) : NULL;
}

void jv_push(jv *arr, jv *val)
{
	if (json_array_append_new(arr, val) != 0) {
		fprintf(stderr, "assistd: jv_push on a non-array\n");
		abort();
	}
}

bool jv_equal(const jv *a, const jv *b)
{
	return json_equal(a, b);
}
