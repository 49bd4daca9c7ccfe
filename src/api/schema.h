/* schema.h - request bodies described as data, and one validator for all of them.
 *
 * Each request body of the API is a table of struct sc_schema / struct sc_field (see
 * schemas.c). sc_check walks a parsed JSON value against one, and reports the first problem
 * the way the hosted service does: a message for people and the dotted path of the field
 * ("tools[2].function.name") as the error's param. Unknown fields are rejected: the spec's
 * request schemas forbid them. This file knows JSON shapes, not Assistants. */
#ifndef ASSISTD_SCHEMA_H
#define ASSISTD_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "../json/json.h"

enum sc_type {
	SC_STRING,
	SC_INT,
	SC_NUMBER,
	SC_BOOL,
	SC_ENUM,     /* a string from values[] */
	SC_OBJECT,   /* fields[]; unknown keys rejected unless open */
	SC_MAP,      /* an object whose values all match items (metadata, attributes) */
	SC_ARRAY,    /* items, min_items..max_items */
	SC_UNION,    /* an object chosen by its "type" member: variants[] */
	SC_ANYOF,    /* the first of alts[] whose JSON type matches the value */
	SC_ANY,      /* any JSON value (a function's parameters schema, say) */
};

struct sc_field;
struct sc_variant;

struct sc_schema {
	enum sc_type type;
	bool nullable;                     /* JSON null is accepted */
	size_t min_len, max_len;           /* strings; max 0 = no limit */
	bool name_chars;                   /* strings: only a-z A-Z 0-9 _ - */
	bool has_min, has_max;             /* numbers */
	double min, max;
	const char *const *values;         /* SC_ENUM: NULL-terminated */
	const struct sc_field *fields;     /* SC_OBJECT: terminated by a NULL name */
	bool open;                         /* SC_OBJECT: accept unknown keys */
	const struct sc_schema *items;     /* SC_ARRAY, SC_MAP */
	size_t min_items, max_items;       /* SC_ARRAY, SC_MAP: max 0 = no limit */
	size_t max_key_len;                /* SC_MAP */
	const struct sc_variant *variants; /* SC_UNION: terminated by a NULL type */
	const struct sc_schema *const *alts; /* SC_ANYOF: NULL-terminated */
};

struct sc_field {
	const char *name;
	const struct sc_schema *schema;
	bool required;
};

struct sc_variant {
	const char *type;              /* the value of the "type" member */
	const struct sc_schema *schema; /* an SC_OBJECT that lists "type" too */
};

/* What went wrong, for the error envelope. */
struct sc_error {
	char param[256];   /* dotted path of the offending field, "" for the whole body */
	char message[512];
};

/* Checks v against s. Returns 0, or ERR_INVALID with *e filled in. */
int sc_check(const struct sc_schema *s, const jv *v, struct sc_error *e);

/* Checks v against s at the dotted path prefix (for checks made by hand after sc_check). */
int sc_check_at(const struct sc_schema *s, const jv *v, const char *path, struct sc_error *e);

#endif
