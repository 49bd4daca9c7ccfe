/* text.c - plain text files (txt, md, json, csv, source code) as UTF-8.
 *
 * Accepts UTF-8 (a leading byte order mark is dropped; ASCII is UTF-8) and UTF-16 LE or BE
 * with a byte order mark, which it converts. Anything else fails the file, as the hosted
 * service did rather than guess: invalid UTF-8, unpaired UTF-16 surrogates, and NUL
 * characters (binary data). The file is decoded in chunks, so the only large memory is the
 * text itself. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/utf8.h"
#include "docs_int.h"

#define TEXT_CHUNK (64u << 10)

struct dec {
	enum doc_enc enc;
	unsigned long long at; /* offset in the file of the next byte to decode */
	bool last;             /* the bytes given are the end of the file */
	struct doc_out *o;
};

/* The valid UTF-8 sequences by lead byte: its length and the range of the second byte
 * (which rules out overlong forms, surrogates and code points past U+10FFFF). */
static const struct {
	unsigned char first, last, len, lo, hi;
} leads[] = {
	{ 0x00, 0x7f, 1, 0, 0 },       { 0xc2, 0xdf, 2, 0x80, 0xbf }, { 0xe0, 0xe0, 3, 0xa0, 0xbf },
	{ 0xe1, 0xec, 3, 0x80, 0xbf }, { 0xed, 0xed, 3, 0x80, 0x9f }, { 0xee, 0xef, 3, 0x80, 0xbf },
	{ 0xf0, 0xf0, 4, 0x90, 0xbf }, { 0xf1, 0xf3, 4, 0x80, 0xbf }, { 0xf4, 0xf4, 4, 0x80, 0x8f },
};

/* The length of the UTF-8 sequence at p (n bytes available): its length when valid, 0 when
 * invalid, -1 when what is there is a valid start but the rest is not read yet. */
static int utf8_seq(const unsigned char *p, size_t n)
{
	size_t n_leads = sizeof(leads) / sizeof(leads[0]);
	size_t k = 0;
	size_t i;

	while (k < n_leads && (p[0] < leads[k].first || p[0] > leads[k].last))
		k++;
	if (k == n_leads)
		return 0;
	for (i = 1; i < leads[k].len && i < n; i++) {
		unsigned char lo = i == 1 ? leads[k].lo : 0x80;
		unsigned char hi = i == 1 ? leads[k].hi : 0xbf;

		if (p[i] < lo || p[i] > hi)
			return 0;
	}
	return i < leads[k].len ? -1 : (int)leads[k].len;
}

/* The length of the run of ASCII other than NUL at p, read 8 bytes at a time: most text is
 * ASCII, and this keeps decoding near memory speed. */
static size_t ascii_run(const unsigned char *p, size_t n)
{
	const uint64_t high = 0x8080808080808080ull;
	const uint64_t ones = 0x0101010101010101ull;
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if ((w & high) || ((w - ones) & ~w & high))
			break;
	}
	while (i < n && p[i] && p[i] < 0x80)
		i++;
	return i;
}

static int fail_nul(struct dec *d, unsigned long long at)
{
	return doc_fail(d->o, "invalid_file", "The file holds binary data (a NUL character at "
			"byte %llu), not text; upload a text file, or name the file with the "
			"extension of its real format.", at);
}

static int fail_utf8(struct dec *d, unsigned long long at)
{
	return doc_fail(d->o, "invalid_file",
			"The file is not valid UTF-8 text (byte %llu is not part of a UTF-8 "
			"character); save it as UTF-8, or as UTF-16 with a byte order mark, and "
			"upload it again.", at);
}

static int fail_utf16(struct dec *d, unsigned long long at)
{
	return doc_fail(d->o, "invalid_file", "The file is not valid UTF-16 text (at byte %llu: "
			"a cut-off character or an unpaired surrogate); save it as UTF-8 or UTF-16 "
			"and upload it again.", at);
}

/* Checks the UTF-8 in p and appends the whole characters; *used says how many bytes that was
 * (a character cut by the end of p waits for the next chunk). */
static int utf8_step(struct dec *d, const unsigned char *p, size_t n, size_t *used)
{
	size_t i = 0;
	int len;

	while (i < n) {
		i += ascii_run(p + i, n - i);
		if (i == n)
			break;
		if (!p[i])
			return fail_nul(d, d->at + i);
		len = utf8_seq(p + i, n - i);
		if (len == 0 || (len < 0 && d->last))
			return fail_utf8(d, d->at + i);
		if (len < 0)
			break;
		i += (size_t)len;
	}
	*used = i;
	d->at += i;
	return doc_put(d->o, (const char *)p, i);
}

static unsigned utf16_unit(const struct dec *d, const unsigned char *p)
{
	return d->enc == DOC_ENC_UTF16LE ? p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1];
}

/* Decodes one UTF-16 character at p (n bytes available) into *c. Returns its size in bytes,
 * 0 when invalid, or -1 when it needs bytes not read yet. */
static int utf16_char(const struct dec *d, const unsigned char *p, size_t n, unsigned *c)
{
	unsigned lo;

	if (n < 2)
		return -1;
	*c = utf16_unit(d, p);
	if (*c >= 0xdc00 && *c <= 0xdfff)
		return 0;
	if (*c < 0xd800 || *c > 0xdbff)
		return 2;
	if (n < 4)
		return -1;
	lo = utf16_unit(d, p + 2);
	if (lo < 0xdc00 || lo > 0xdfff)
		return 0;
	*c = 0x10000 + ((*c - 0xd800) << 10) + (lo - 0xdc00);
	return 4;
}

/* Converts the UTF-16 in p to UTF-8 and appends it, like utf8_step. */
static int utf16_step(struct dec *d, const unsigned char *p, size_t n, size_t *used)
{
	char out[4096];
	size_t len = 0;
	size_t i = 0;
	unsigned c = 0;
	int size;
	int err = 0;

	while (!err && i < n) {
		size = utf16_char(d, p + i, n - i, &c);
		if (size == 0 || (size < 0 && d->last))
			return fail_utf16(d, d->at + i);
		if (size < 0)
			break;
		if (!c)
			return fail_nul(d, d->at + i);
		len += utf8_put(c, (uint8_t *)out + len);
		i += (size_t)size;
		if (len > sizeof(out) - UTF8_MAX) {
			err = doc_put(d->o, out, len);
			len = 0;
		}
	}
	*used = i;
	d->at += i;
	return err ? err : doc_put(d->o, out, len);
}

/* Decodes the bytes at p: skips a byte order mark at the start of the file, then appends the
 * whole characters; *used says how many bytes that took. */
static int decode(struct dec *d, const unsigned char *p, size_t n, size_t *used)
{
	size_t bom = d->at ? 0 : doc_bom(p, n, &d->enc);
	int err;

	d->at += bom;
	*used = 0;
	if (d->enc == DOC_ENC_UTF8)
		err = utf8_step(d, p + bom, n - bom, used);
	else
		err = utf16_step(d, p + bom, n - bom, used);
	*used += bom;
	return err;
}

int doc_text(int fd, struct doc_out *o)
{
	unsigned char *b = xmalloc(TEXT_CHUNK + 4);
	struct dec d = { DOC_ENC_UTF8, 0, false, o };
	size_t have = 0;
	size_t got;
	size_t used = 0;
	int err = 0;

	while (!err && !d.last) {
		got = doc_read(fd, b + have, TEXT_CHUNK);
		if (got == (size_t)-1) {
			err = doc_fail_io(o);
			break;
		}
		have += got;
		d.last = got < TEXT_CHUNK;
		err = decode(&d, b, have, &used);
		memmove(b, b + used, have - used);
		have -= used;
	}
	free(b);
	return err;
}
