/* ci_delta.c - what a streamed code_interpreter step shows: the code as the model writes it
 * (the JSON string `code` of its arguments, decoded as far as it has arrived, never past
 * half an escape), then the outputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/buf.h"
#include "../base/utf8.h"
#include "ci_int.h"

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Where the value of "code" starts (after its opening quote), or NULL (not yet, or never). */
static const char *code_start(const char *args)
{
	const char *p = skip_ws(args);

	if (*p != '{')
		return NULL;
	p = skip_ws(p + 1);
	if (strncmp(p, "\"code\"", 6) != 0)
		return NULL;
	p = skip_ws(p + 6);
	if (*p != ':')
		return NULL;
	p = skip_ws(p + 1);
	return *p == '"' ? p + 1 : NULL;
}

static int hex4(const char *p, uint32_t *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return -1;
		*out = *out << 4 | (uint32_t)v;
	}
	return 0;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	uint8_t u[UTF8_MAX];

	if (buf_append(b, u, utf8_put(cp, u)))
		abort(); /* unbounded buffer: cannot fail */
}

/* A \u escape at p (after the backslash and 'u'), with its low surrogate; the bytes it
 * takes, or 0 when it has not fully arrived (or is malformed: nothing more is shown). */
static size_t unicode_escape(const char *p, struct buf *b)
{
	uint32_t hi, lo;

	if (hex4(p, &hi))
		return 0;
	if (hi < 0xd800 || hi > 0xdbff) {
		put_utf8(b, hi >= 0xdc00 && hi <= 0xdfff ? 0xfffd : hi);
		return 4;
	}
	if (p[4] != '\\' || p[5] != 'u' || hex4(p + 6, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return 0;
	put_utf8(b, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
	return 10;
}

static const char simple_escapes[][2] = {
	{ 'n', '\n' }, { 't', '\t' }, { 'r', '\r' }, { 'b', '\b' },
	{ 'f', '\f' }, { '"', '"' },  { '\\', '\\' }, { '/', '/' },
};

/* One escape at p (after the backslash); the bytes it takes, or 0 (see unicode_escape). */
static size_t escape(const char *p, struct buf *b)
{
	if (*p == 'u') {
		size_t n = unicode_escape(p + 1, b);

		return n ? n + 1 : 0;
	}
	for (size_t i = 0; i < sizeof(simple_escapes) / sizeof(simple_escapes[0]); i++) {
		if (*p == simple_escapes[i][0]) {
			if (buf_append(b, &simple_escapes[i][1], 1))
				abort(); /* unbounded buffer: cannot fail */
			return 1;
		}
	}
	return 0;
}

/* The code decoded as far as it has arrived (owned buffer in b). */
static void decode_partial(const char *p, struct buf *b)
{
	while (*p && *p != '"') {
		size_t n;

		if (*p != '\\') {
			if (buf_append(b, p++, 1))
				abort(); /* unbounded buffer: cannot fail */
			continue;
		}
		n = p[1] ? escape(p + 1, b) : 0;
		if (n == 0)
			return;
		p += 1 + n;
	}
}

jv *ci_input_delta(const char *args, size_t *shown)
{
	const char *start = code_start(args);
	struct buf b;
	jv *member = NULL;

	if (!start)
		return NULL;
	buf_init(&b, 0);
	decode_partial(start, &b);
	if (b.len > *shown) {
		member = jv_object();
		jv_set(member, "input", jv_stringn(b.p + *shown, b.len - *shown));
		*shown = b.len;
	}
	buf_cleanup(&b);
	return member;
}

jv *ci_result_delta(const jv *call)
{
	const jv *outputs = jv_get(jv_get(call, "code_interpreter"), "outputs");
	jv *list = jv_array();
	jv *member = jv_object();

	for (size_t i = 0; i < jv_size(outputs); i++) {
		jv *o = jv_copy(jv_at(outputs, i));

		jv_set_int(o, "index", (int64_t)i);
		jv_push(list, o);
	}
	jv_set(member, "outputs", list);
	return member;
}
