/* schema.c - the table-driven request validator of schema.h.
 *
 * The checks mirror JSON Schema's (type, enum, lengths, bounds, required, additional
 * properties) and the wording mirrors the hosted service's error messages, so clients that
 * show them to people read familiar text. */
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../base/err.h"

static int check(const struct sc_schema *s, const jv *v, const char *path, struct sc_error *e);

static int fail(struct sc_error *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct sc_error *e, const char *path, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->param, sizeof(e->param), "%s", path);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return ERR_INVALID;
}

static const char *expected_name(enum sc_type t)
{
	switch (t) {
	case SC_STRING:
	case SC_ENUM: return "a string";
	case SC_INT: return "an integer";
	case SC_NUMBER: return "a number";
	case SC_BOOL: return "a boolean";
	case SC_ARRAY: return "an array";
	default: return "an object";
	}
}

static const char *got_name(const jv *v)
{
	switch (jv_typeof(v)) {
	case JV_OBJECT: return "an object";
	case JV_ARRAY: return "an array";
	case JV_STRING: return "a string";
	case JV_INTEGER: return "an integer";
	case JV_REAL: return "a decimal number";
	case JV_TRUE:
	case JV_FALSE: return "a boolean";
	default: return "null";
	}
}

static bool type_matches(enum sc_type t, const jv *v)
{
	switch (t) {
	case SC_STRING:
	case SC_ENUM: return jv_is_string(v);
	case SC_INT: return jv_is_int(v);
	case SC_NUMBER: return jv_is_number(v);
	case SC_BOOL: return jv_is_bool(v);
	case SC_ARRAY: return jv_is_array(v);
	case SC_ANY: return true;
	default: return jv_is_object(v);
	}
}

static int wrong_type(const struct sc_schema *s, const jv *v, const char *path,
		      struct sc_error *e)
{
	return fail(e, path, "Invalid type for '%s': expected %s, but got %s instead.", path,
		    expected_name(s->type), got_name(v));
}

/* Counts UTF-8 characters, as the spec's maxLength does. */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	}
	return n;
}

static bool name_ok(const char *s)
{
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int check_string(const struct sc_schema *s, const jv *v, const char *path,
			struct sc_error *e)
{
	size_t n = utf8_chars(jv_str(v), jv_strlen(v));

	if (s->max_len && n > s->max_len)
		return fail(e, path,
			    "Invalid '%s': string too long. Expected a string with maximum length "
			    "%zu, but got a string with length %zu instead.",
			    path, s->max_len, n);
	if (n < s->min_len)
		return fail(e, path,
			    "Invalid '%s': string too short. Expected a string with minimum length "
			    "%zu, but got a string with length %zu instead.",
			    path, s->min_len, n);
	if (s->name_chars && !name_ok(jv_str(v)))
		return fail(e, path,
			    "Invalid '%s': string does not match pattern. Expected a string that "
			    "matches the pattern '^[a-zA-Z0-9_-]+$'.",
			    path);
	return 0;
}

static int check_number(const struct sc_schema *s, const jv *v, const char *path,
			struct sc_error *e)
{
	double d = jv_number(v);

	if (s->has_min && d < s->min)
		return fail(e, path,
			    "Invalid '%s': %g is lower than the minimum value %g.", path, d, s->min);
	if (s->has_max && d > s->max)
		return fail(e, path,
			    "Invalid '%s': %g is greater than the maximum value %g.", path, d, s->max);
	return 0;
}

static int check_enum(const struct sc_schema *s, const jv *v, const char *path,
		      struct sc_error *e)
{
	char list[256] = "";
	size_t used = 0;

	for (const char *const *p = s->values; *p; p++) {
		if (strcmp(*p, jv_str(v)) == 0)
			return 0;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s'%s'",
					 p == s->values ? "" : ", ", *p);
		if (used >= sizeof(list))
			used = sizeof(list) - 1;
	}
	return fail(e, path,
		    "Invalid value: '%s'. Supported values are: %s.", jv_str(v), list);
}

static void join(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
}

static int check_count(const struct sc_schema *s, size_t n, const char *path,
		       const char *what, struct sc_error *e)
{
	if (s->max_items && n > s->max_items)
		return fail(e, path,
			    "Invalid '%s': %s too long. Expected %s with maximum length %zu, but "
			    "got %s with length %zu instead.",
			    path, s->type == SC_ARRAY ? "array" : "object", what, s->max_items, what,
			    n);
	if (n < s->min_items)
		return fail(e, path,
			    "Invalid '%s': %s too short. Expected %s with minimum length %zu, but "
			    "got %s with length %zu instead.",
			    path, s->type == SC_ARRAY ? "array" : "object", what, s->min_items, what,
			    n);
	return 0;
}

static const struct sc_field *find_field(const struct sc_field *f, const char *key)
{
	for (; f && f->name; f++) {
		if (strcmp(f->name, key) == 0)
			return f;
	}
	return NULL;
}

static int check_object(const struct sc_schema *s, const jv *v, const char *path,
			struct sc_error *e)
{
	char sub[256];
	int err;

	for (void *it = jv_iter(v); it; it = jv_next(v, it)) {
		const struct sc_field *f = find_field(s->fields, jv_iter_key(it));

		join(sub, sizeof(sub), path, jv_iter_key(it));
		if (!f && s->open)
			continue;
		if (!f)
			return fail(e, sub, "Unknown parameter: '%s'.", sub);
		err = check(f->schema, jv_iter_value(it), sub, e);
		if (err)
			return err;
	}
	for (const struct sc_field *f = s->fields; f && f->name; f++) {
		join(sub, sizeof(sub), path, f->name);
		if (f->required && !jv_get(v, f->name))
			return fail(e, sub, "Missing required parameter: '%s'.", sub);
	}
	return 0;
}

static int check_map(const struct sc_schema *s, const jv *v, const char *path,
		     struct sc_error *e)
{
	char sub[256];
	int err = check_count(s, jv_size(v), path, "an object", e);

	for (void *it = jv_iter(v); !err && it; it = jv_next(v, it)) {
		const char *key = jv_iter_key(it);

		join(sub, sizeof(sub), path, key);
		if (s->max_key_len && utf8_chars(key, strlen(key)) > s->max_key_len)
			return fail(e, sub,
				    "Invalid '%s': key too long. Expected keys with maximum length "
				    "%zu, but got a key with length %zu instead.",
				    path, s->max_key_len, utf8_chars(key, strlen(key)));
		err = check(s->items, jv_iter_value(it), sub, e);
	}
	return err;
}

static int check_array(const struct sc_schema *s, const jv *v, const char *path,
		       struct sc_error *e)
{
	char sub[256];
	int err = check_count(s, jv_size(v), path, "an array", e);

	for (size_t i = 0; !err && i < jv_size(v); i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		err = check(s->items, jv_at(v, i), sub, e);
	}
	return err;
}

static int check_union(const struct sc_schema *s, const jv *v, const char *path,
		       struct sc_error *e)
{
	const char *type = jv_get_str(v, "type");
	char sub[256];
	char list[256] = "";
	size_t used = 0;

	join(sub, sizeof(sub), path, "type");
	if (!jv_get(v, "type"))
		return fail(e, sub, "Missing required parameter: '%s'.", sub);
	if (!type)
		return fail(e, sub, "Invalid type for '%s': expected a string, but got %s instead.",
			    sub, got_name(jv_get(v, "type")));
	for (const struct sc_variant *var = s->variants; var->type; var++) {
		if (strcmp(var->type, type) == 0)
			return check(var->schema, v, path, e);
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s'%s'",
					 var == s->variants ? "" : ", ", var->type);
		if (used >= sizeof(list))
			used = sizeof(list) - 1;
	}
	return fail(e, sub, "Invalid value: '%s'. Supported values are: %s.", type, list);
}

static int check_anyof(const struct sc_schema *s, const jv *v, const char *path,
		       struct sc_error *e)
{
	for (const struct sc_schema *const *a = s->alts; *a; a++) {
		if (type_matches((*a)->type, v))
			return check(*a, v, path, e);
	}
	return fail(e, path, "Invalid type for '%s': expected %s, but got %s instead.", path,
		    expected_name(s->alts[0]->type), got_name(v));
}

static int check(const struct sc_schema *s, const jv *v, const char *path, struct sc_error *e)
{
	if (jv_is_null(v) && (s->nullable || s->type == SC_ANY))
		return 0;
	if (s->type == SC_ANYOF)
		return check_anyof(s, v, path, e);
	if (!type_matches(s->type, v))
		return wrong_type(s, v, path, e);
	switch (s->type) {
	case SC_STRING: return check_string(s, v, path, e);
	case SC_INT:
	case SC_NUMBER: return check_number(s, v, path, e);
	case SC_ENUM: return check_enum(s, v, path, e);
	case SC_OBJECT: return check_object(s, v, path, e);
	case SC_MAP: return check_map(s, v, path, e);
	case SC_ARRAY: return check_array(s, v, path, e);
	case SC_UNION: return check_union(s, v, path, e);
	default: return 0;
	}
}

int sc_check_at(const struct sc_schema *s, const jv *v, const char *path, struct sc_error *e)
{
	return check(s, v, path, e);
}

int sc_check(const struct sc_schema *s, const jv *v, struct sc_error *e)
{
	if (!jv_is_object(v) && s->type == SC_OBJECT)
		return fail(e, "", "The request body must be a JSON object, but got %s.",
			    got_name(v));
	return check(s, v, "", e);
}
