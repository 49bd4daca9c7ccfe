/* json.h - JSON values for the rest of assistd; the only file pair that uses jansson.
 *
 * A value is a `struct json_t *` handled through these jv_ functions (the jansson names
 * json_* are taken by the library itself). Values are reference counted: functions that
 * return "owned" values must be released with jv_free; "borrowed" values live as long as
 * the container they came from. Setters that take a value take ownership of it ("steal").
 * No function here fails on out-of-memory: that aborts, like xmalloc. */
#ifndef ASSISTD_JSON_H
#define ASSISTD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;
typedef struct json_t jv;

enum jv_type { JV_OBJECT, JV_ARRAY, JV_STRING, JV_INTEGER, JV_REAL, JV_TRUE, JV_FALSE, JV_NULL };

#define JV_MAX_DEPTH 32 /* deepest nesting accepted from a client */

/* Parses text of length len. Returns an owned value, or NULL and writes a one-line
 * explanation ("unexpected '}' at line 1, column 7") into why (size whylen). Text nested
 * deeper than JV_MAX_DEPTH is rejected. */
jv *jv_parse(const char *text, size_t len, char *why, size_t whylen);
/* Returns owned compact JSON text (free with free()); never NULL. */
char *jv_dump(const jv *v);
/* Dumps v split around one string: the member key of obj, an object inside v (or v itself),
 * which must be a string. *head is the text up to and including its opening quote, *span its
 * escaped inside, *tail the text from its closing quote on; all three owned (free()). The
 * joined texts are jv_dump(v). Returns false, setting nothing, when key is not a string or
 * the split is ambiguous (another string of v holds the U+0001 used to find it). */
bool jv_dump_split(const jv *v, jv *obj, const char *key, char **head, char **span,
		   char **tail);

/* Constructors: all return owned values. */
jv *jv_object(void);
jv *jv_array(void);
jv *jv_string(const char *s); /* s must be valid UTF-8 */
jv *jv_stringn(const char *s, size_t len);
jv *jv_int(int64_t n);
jv *jv_real(double d);
jv *jv_bool(bool b);
jv *jv_null(void);

jv *jv_ref(jv *v); /* returns v with one more reference; NULL stays NULL */
void jv_free(jv *v); /* drops one reference; NULL is a no-op */
jv *jv_copy(const jv *v); /* owned deep copy */

enum jv_type jv_typeof(const jv *v);
bool jv_is_object(const jv *v);
bool jv_is_array(const jv *v);
bool jv_is_string(const jv *v);
bool jv_is_int(const jv *v);
bool jv_is_number(const jv *v); /* integer or real */
bool jv_is_bool(const jv *v);
bool jv_is_null(const jv *v); /* true for JSON null, false for a NULL pointer */
const char *jv_type_name(const jv *v); /* "object", "string", "integer", ... */

/* Scalars. Each returns a default for a value of the wrong type (NULL, 0, false). */
const char *jv_str(const jv *v); /* borrowed */
size_t jv_strlen(const jv *v);
int64_t jv_int_value(const jv *v);
double jv_number(const jv *v);
bool jv_true(const jv *v);

/* Objects. jv_get returns a borrowed member or NULL. jv_set steals val. */
jv *jv_get(const jv *obj, const char *key);
const char *jv_get_str(const jv *obj, const char *key); /* NULL when absent or not a string */
void jv_set(jv *obj, const char *key, jv *val);
void jv_set_str(jv *obj, const char *key, const char *s); /* s NULL sets JSON null */
void jv_set_int(jv *obj, const char *key, int64_t n);
void jv_set_null(jv *obj, const char *key);
void jv_set_bool(jv *obj, const char *key, bool b);
void jv_del(jv *obj, const char *key);
size_t jv_size(const jv *v); /* members of an object, items of an array, else 0 */

/* Object iteration in insertion order:
 *	for (void *it = jv_iter(obj); it; it = jv_next(obj, it))
 *		use(jv_iter_key(it), jv_iter_value(it));
 */
void *jv_iter(const jv *obj);
void *jv_next(const jv *obj, void *it);
const char *jv_iter_key(void *it);
jv *jv_iter_value(void *it);

/* Arrays. jv_at returns a borrowed item or NULL. jv_push steals val. */
jv *jv_at(const jv *arr, size_t i);
void jv_push(jv *arr, jv *val);

/* True when a and b are equal JSON values. */
bool jv_equal(const jv *a, const jv *b);

#endif
