/* tok_split.c - pre-tokenization: cutting text into the pieces that are merged separately.
 *
 * A hand-written scanner that matches exactly what tiktoken's patterns match, leftmost
 * alternative first, with the backtracking they imply worked out below. o200k_base:
 *
 *   [^\r\n\p{L}\p{N}]?[UP]*[LO]+(?:C)?  |  [^\r\n\p{L}\p{N}]?[UP]+[LO]*(?:C)?  |  \p{N}{1,3}
 *   |  ?[^\s\p{L}\p{N}]+[\r\n/]*  |  \s*[\r\n]+  |  \s+(?!\S)  |  \s+
 *
 * with UP = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], LO = [\p{Ll}\p{Lm}\p{Lo}\p{M}] and C the
 * contractions 's 't 're 've 'm 'll 'd in either case; cl100k_base:
 *
 *   C  |  [^\r\n\p{L}\p{N}]?\p{L}+  |  \p{N}{1,3}  |   ?[^\s\p{L}\p{N}]+[\r\n]*  |  \s+$
 *   |  \s*[\r\n]  |  \s+(?!\S)  |  \s
 *
 * \s is Unicode White_Space, as in tiktoken (Rust regex). The classes come from a table
 * generated with PCRE2 (gen/classgen.c); the unit tests compare this scanner with the
 * patterns themselves run by PCRE2. Bytes that are not valid UTF-8 belong to no class and
 * match nothing (a lookahead sees them as the end of the text); each run of them is a piece
 * of its own. */
#include "../base/utf8.h"
#include "tok_int.h"

#define VALID TOK_C_VALID
#define OTHER_MASK (VALID | TOK_C_L | TOK_C_N | TOK_C_NL) /* [^\r\n\p{L}\p{N}] when == VALID */
#define PUNCT_MASK (VALID | TOK_C_L | TOK_C_N | TOK_C_WS) /* [^\s\p{L}\p{N}] when == VALID */

struct scan {
	const uint8_t *p;
	size_t len;
	const struct tok_classes *cls;
};

/* A character: its TOK_C_* bits and its length in bytes (0 at the end, 1 for a bad byte). */
struct ch {
	uint8_t bits;
	uint8_t n;
};

static inline __attribute__((always_inline)) struct ch at(const struct scan *s, size_t i)
{
	uint32_t cp;
	size_t n;

	if (i >= s->len)
		return (struct ch){ 0, 0 };
	if (s->p[i] < 0x80) /* ASCII is in row 0 (tok_table.c checks) */
		return (struct ch){ (uint8_t)(s->cls->bits[s->p[i]] | VALID), 1 };
	n = utf8_get(s->p + i, s->len - i, &cp);
	if (!n)
		return (struct ch){ 0, 1 };
	return (struct ch){ (uint8_t)(s->cls->bits[(size_t)s->cls->block[cp >> 8] * 256 +
						   (cp & 0xff)] | VALID),
			    (uint8_t)n };
}

static inline int is(struct ch c, uint8_t mask, uint8_t want)
{
	return (c.bits & mask) == want;
}

/* The end of the run of at most max characters from i whose bits & mask == want. */
static size_t run(const struct scan *s, size_t i, uint8_t mask, uint8_t want, size_t max)
{
	struct ch c;

	for (; max > 0 && (c = at(s, i)).n && is(c, mask, want); max--)
		i += c.n;
	return i;
}

static size_t run_of(const struct scan *s, size_t i, uint8_t bit)
{
	return run(s, i, bit, bit, SIZE_MAX);
}

/* 's 't 're 've 'm 'll 'd in either case at i: their end, else i. */
static size_t contraction(const struct scan *s, size_t i)
{
	const uint8_t *p = s->p + i;
	size_t left = s->len - i;
	int a = left >= 2 ? p[1] | 0x20 : 0;
	int b = left >= 3 ? p[2] | 0x20 : 0;

	if (left < 2 || p[0] != '\'')
		return i;
	if (a == 's' || a == 'd' || a == 'm' || a == 't')
		return i + 2;
	if ((a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e'))
		return i + 3;
	return i;
}

/* ` ?[^\s\p{L}\p{N}]+` then [\r\n] (and '/' when slash) repeated: the end, or 0. */
static size_t punct(const struct scan *s, size_t i, int slash)
{
	size_t st = s->p[i] == ' ' && is(at(s, i + 1), PUNCT_MASK, VALID) ? i + 1 : i;
	size_t e;

	if (!is(at(s, st), PUNCT_MASK, VALID))
		return 0;
	e = run(s, st, PUNCT_MASK, VALID, SIZE_MAX);
	while (e < s->len && (s->p[e] == '\r' || s->p[e] == '\n' || (slash && s->p[e] == '/')))
		e++;
	return e;
}

/* The whitespace alternatives, at a whitespace character i: \s+$ (cl100k_base only), then
 * \s*[\r\n] (up to the run's last newline), \s+(?!\S) (the run, less its last character
 * when a non-space follows), \s. */
static size_t space(const struct scan *s, size_t i, int cl100k)
{
	size_t j = i, last = i, after_nl = 0;
	struct ch c;

	while ((c = at(s, j)).bits & TOK_C_WS) {
		if (c.bits & TOK_C_NL)
			after_nl = j + c.n;
		last = j;
		j += c.n;
	}
	if (cl100k && j == s->len)
		return j;
	if (after_nl)
		return after_nl;
	if (!(c.bits & VALID) || last == i)
		return j;
	return last;
}

/* o200k_base [UP]*[LO]+ from st: greedy, backing off the UP run to its last LO character.
 * The end, or 0. */
static size_t o200k_lower(const struct scan *s, size_t st)
{
	size_t u = st, last_lo = 0;
	struct ch c;

	while ((c = at(s, u)).bits & TOK_C_UP) {
		u += c.n;
		if (c.bits & TOK_C_LO)
			last_lo = u;
	}
	return c.bits & TOK_C_LO ? run_of(s, u, TOK_C_LO) : last_lo;
}

/* o200k_base [UP]+[LO]* from st: the end, or 0. */
static size_t o200k_upper(const struct scan *s, size_t st)
{
	size_t u = run_of(s, st, TOK_C_UP);

	return u > st ? run_of(s, u, TOK_C_LO) : 0;
}

/* The two letter alternatives, each first with the optional prefix character, then without. */
static size_t o200k_word(const struct scan *s, size_t i, struct ch c)
{
	size_t (*const alts[2])(const struct scan *, size_t) = { o200k_lower, o200k_upper };
	int prefix = is(c, OTHER_MASK, VALID);

	for (size_t a = 0; a < 2; a++) {
		size_t e = prefix ? alts[a](s, i + c.n) : 0;
		if (!e)
			e = alts[a](s, i);
		if (e)
			return contraction(s, e);
	}
	return 0;
}

static size_t o200k_piece(const struct scan *s, size_t i, struct ch c)
{
	size_t e = o200k_word(s, i, c);

	if (e)
		return e;
	if (c.bits & TOK_C_N)
		return run(s, i, TOK_C_N, TOK_C_N, 3);
	e = punct(s, i, 1);
	return e ? e : space(s, i, 0);
}

static size_t cl100k_piece(const struct scan *s, size_t i, struct ch c)
{
	size_t e = contraction(s, i);

	if (e > i)
		return e;
	if (is(c, OTHER_MASK, VALID) && (at(s, i + c.n).bits & TOK_C_L))
		return run_of(s, i + c.n, TOK_C_L);
	if (c.bits & TOK_C_L)
		return run_of(s, i, TOK_C_L);
	if (c.bits & TOK_C_N)
		return run(s, i, TOK_C_N, TOK_C_N, 3);
	e = punct(s, i, 0);
	return e ? e : space(s, i, 1);
}

int tok_split(enum tok_enc enc, const char *text, size_t len,
	      void (*fn)(void *arg, size_t start, size_t end), void *arg)
{
	struct scan s = { (const uint8_t *)text, len, tok_classes_get() };

	if (!s.cls || (size_t)enc >= 2)
		return ERR_INTERNAL;
	for (size_t i = 0, e; i < len; i = e) {
		struct ch c = at(&s, i);
		if (!(c.bits & VALID))
			e = run(&s, i, VALID, 0, SIZE_MAX); /* a run of invalid bytes */
		else
			e = enc == TOK_CL100K ? cl100k_piece(&s, i, c) : o200k_piece(&s, i, c);
		fn(arg, i, e);
	}
	return 0;
}
