/* utf8.h - encoding and strictly decoding one UTF-8 character.
 *
 * Strict as RFC 3629 and PCRE2 are: no overlong forms, no surrogates, nothing above
 * U+10FFFF. Inline, because the tokenizer decodes every character of its input with it. */
#ifndef ASSISTD_UTF8_H
#define ASSISTD_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UTF8_MAX 4 /* bytes of the longest character */

/* Writes code point cp (< 0x110000, not a surrogate) to out; returns its length. */
static inline size_t utf8_put(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

static inline int utf8_cont(uint8_t b)
{
	return (b & 0xc0) == 0x80;
}

/* The characters (code points) in s[0..len): the bytes that begin one. */
static inline int64_t utf8_count(const char *s, size_t len)
{
	int64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += !utf8_cont((uint8_t)s[i]);
	return n;
}

/* Decodes the character at p[0..left) (left >= 1) into *cp; returns its length, or 0 when the
 * bytes there are not a whole valid character. */
static inline size_t utf8_get(const uint8_t *p, size_t left, uint32_t *cp)
{
	uint8_t b = p[0];

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf && left >= 2 && utf8_cont(p[1])) {
		*cp = (uint32_t)(b & 0x1f) << 6 | (p[1] & 0x3f);
		return 2;
	}
	if (b >= 0xe0 && b <= 0xef && left >= 3 && utf8_cont(p[1]) && utf8_cont(p[2])) {
		*cp = (uint32_t)(b & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		return *cp >= 0x800 && (*cp < 0xd800 || *cp > 0xdfff) ? 3 : 0;
	}
	if (b >= 0xf0 && b <= 0xf4 && left >= 4 && utf8_cont(p[1]) && utf8_cont(p[2]) &&
	    utf8_cont(p[3])) {
		*cp = (uint32_t)(b & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		      (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		return *cp >= 0x10000 && *cp <= 0x10ffff ? 4 : 0;
	}
	return 0;
}

/* True when s (NUL-terminated) is valid UTF-8 throughout. */
static inline int utf8_valid(const char *s)
{
	size_t left = strlen(s);
	uint32_t cp;

	while (left > 0) {
		size_t n = utf8_get((const uint8_t *)s, left, &cp);

		if (n == 0)
			return 0;
		s += n;
		left -= n;
	}
	return 1;
}

#endif
