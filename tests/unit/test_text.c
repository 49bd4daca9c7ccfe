/* test_text.c - unit tests for src/text: the tokenizer.
 *
 * Known ids (as gpt-tokenizer and tiktoken give them), offsets, decoding, invalid UTF-8, the
 * model table, the heap merge against a plain reference merge, and the hand-written
 * pre-tokenizer against tiktoken's patterns run by PCRE2 on random text (any code point,
 * invalid bytes). The comparison with gpt-tokenizer on a corpus is tests/e2e/tokenizer.test.js. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../../src/base/alloc.h"
#include "../../src/base/utf8.h"
#include "../../src/text/tok_int.h"
#include "../../src/text/tokenizer.h"
#include "suites.h"

#define LEN(a) (sizeof(a) / sizeof(*(a)))

static void expect_ids(enum tok_enc enc, const char *text, const uint32_t *want, size_t nwant)
{
	uint32_t *ids = NULL;
	size_t n = 0;

	ASSERT_OK(tok_encode(enc, text, strlen(text), &ids, NULL, &n));
	ASSERT_EQ_INT(n, nwant);
	for (size_t i = 0; i < n; i++)
		ASSERT_EQ_INT(ids[i], want[i]);
	ASSERT_EQ_INT(tok_count(enc, text, strlen(text)), nwant);
	free(ids);
}

static void known_ids(void)
{
	static const uint32_t o_hello[] = { 24912, 2375 }, c_hello[] = { 15339, 1917 };
	static const uint32_t o_aren[] = { 15390, 2105, 11, 23236, 481, 30 };
	static const uint32_t c_aren[] = { 40, 2846, 1618, 11, 7784, 956, 499, 30 };
	static const uint32_t o_jp[] = { 9048, 40909 }, c_jp[] = { 9080, 22656, 45918, 252 };
	static const uint32_t o_num[] = { 220, 7633, 2548 }, c_num[] = { 220, 4513, 1774 };

	expect_ids(TOK_O200K, "hello world", o_hello, LEN(o_hello));
	expect_ids(TOK_CL100K, "hello world", c_hello, LEN(c_hello));
	expect_ids(TOK_O200K, "I'm here, aren't you?", o_aren, LEN(o_aren));
	expect_ids(TOK_CL100K, "I'm here, aren't you?", c_aren, LEN(c_aren));
	expect_ids(TOK_O200K, "日本語", o_jp, LEN(o_jp));
	expect_ids(TOK_CL100K, "日本語", c_jp, LEN(c_jp));
	expect_ids(TOK_O200K, " 12345", o_num, LEN(o_num));
	expect_ids(TOK_CL100K, " 12345", c_num, LEN(c_num));
	expect_ids(TOK_O200K, "", NULL, 0);
}

static void offsets_and_decode_round_trip(void)
{
	const char *text = "Tokens, offsets: \xf0\x9f\x98\x80 and caf\xc3\xa9  \n\n end";
	uint32_t *ids = NULL;
	size_t *offs = NULL;
	size_t n = 0;
	struct buf b;

	ASSERT_OK(tok_encode(TOK_O200K, text, strlen(text), &ids, &offs, &n));
	ASSERT(n > 5);
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ_INT(offs[i], b.len); /* each token starts where the previous ones end */
		tok_decode(TOK_O200K, ids + i, 1, &b);
	}
	ASSERT_STR_EQ(b.p, text);
	buf_cleanup(&b);
	free(ids);
	free(offs);
}

/* A long text goes through the cache of merged pieces: its tokens and offsets must be those
 * of its parts, each too short for a cache. */
static void long_text_repeats_its_parts(void)
{
	static const char unit[] = "Line: tokenizers' caches, na\xc3\xafve caf\xc3\xa9 "
				   "\xf0\x9f\x98\x80 -- 12345 "
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n";
	size_t ulen = strlen(unit), reps = 40000 / ulen + 1;
	char *text = xmalloc(ulen * reps + 1);
	uint32_t *uids = NULL, *ids = NULL;
	size_t *uoffs = NULL, *offs = NULL;
	size_t un = 0, n = 0;

	for (size_t k = 0; k < reps; k++)
		memcpy(text + k * ulen, unit, ulen);
	ASSERT_OK(tok_encode(TOK_O200K, unit, ulen, &uids, &uoffs, &un));
	ASSERT_OK(tok_encode(TOK_O200K, text, ulen * reps, &ids, &offs, &n));
	ASSERT_EQ_INT(n, un * reps);
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ_INT(ids[i], uids[i % un]);
		ASSERT_EQ_INT(offs[i], (i / un) * ulen + uoffs[i % un]);
	}
	ASSERT_EQ_INT(tok_count(TOK_O200K, text, ulen * reps), n);
	free(text);
	free(uids);
	free(uoffs);
	free(ids);
	free(offs);
}

static void invalid_utf8_is_kept_as_bytes(void)
{
	static const char text[] = "ab\xff\xfe cd\xe2\x82";
	/* ab | ff | fe | " cd" | e2 82 */
	static const uint32_t want[] = { 378, 187, 186, 24852, 38207 };
	uint32_t *ids = NULL;
	size_t n = 0;
	struct buf b;

	expect_ids(TOK_O200K, text, want, LEN(want));
	ASSERT_OK(tok_encode(TOK_CL100K, text, strlen(text), &ids, NULL, &n));
	buf_init(&b, 0);
	tok_decode(TOK_CL100K, ids, n, &b);
	ASSERT_EQ_INT(b.len, strlen(text));
	ASSERT(memcmp(b.p, text, b.len) == 0);
	buf_cleanup(&b);
	free(ids);
}

static void decode_skips_unknown_ids_and_stops_at_the_limit(void)
{
	static const uint32_t ids[] = { 24912, 4000000, 2375 };
	struct buf b;

	buf_init(&b, 0);
	tok_decode(TOK_O200K, ids, LEN(ids), &b);
	ASSERT_STR_EQ(b.p, "hello world");
	buf_cleanup(&b);
	buf_init(&b, 7);
	tok_decode(TOK_O200K, ids, LEN(ids), &b);
	ASSERT_STR_EQ(b.p, "hello");
	buf_cleanup(&b);
}

static void models_pick_encodings(void)
{
	static const struct {
		const char *model;
		enum tok_enc enc;
	} cases[] = {
		{ "gpt-4o", TOK_O200K },	  { "gpt-4o-mini", TOK_O200K },
		{ "gpt-4.1", TOK_O200K },	  { "o1", TOK_O200K },
		{ "o3-mini", TOK_O200K },	  { "llama3", TOK_O200K },
		{ "gpt-4", TOK_CL100K },	  { "gpt-4-turbo", TOK_CL100K },
		{ "gpt-4-0613", TOK_CL100K },	  { "gpt-3.5-turbo", TOK_CL100K },
		{ "gpt-3.5-turbo-16k", TOK_CL100K }, { "text-embedding-3-large", TOK_CL100K },
		{ "text-embedding-ada-002", TOK_CL100K }, { "gpt-4x", TOK_O200K },
		{ "ft:gpt-3.5-turbo-0125:acme::abc", TOK_CL100K },
		{ "ft:gpt-4-0613:acme::abc", TOK_CL100K },
		{ "ft:gpt-4o-mini:acme::abc", TOK_O200K },
	};

	for (size_t i = 0; i < LEN(cases); i++)
		ASSERT_EQ_INT(tok_enc_for_model(cases[i].model), cases[i].enc);
	ASSERT_EQ_INT(tok_enc_for_model(NULL), TOK_O200K);
}

/* --- the merge against a plain reference ---------------------------------------------- */

/* tiktoken's merge, simply: find the lowest-ranked adjacent pair, join it, again. */
static size_t reference_merge(const struct tok_table *t, const uint8_t *p, size_t n,
			      uint32_t *out)
{
	size_t *bnd = xmalloc((n + 1) * sizeof(*bnd));
	size_t np = n;

	for (size_t i = 0; i <= n; i++)
		bnd[i] = i;
	for (;;) {
		uint32_t best = TOK_NONE;
		size_t at = 0;
		for (size_t i = 0; i + 1 < np; i++) {
			uint32_t r = tok_rank(t, p + bnd[i], bnd[i + 2] - bnd[i]);
			if (r < best) {
				best = r;
				at = i;
			}
		}
		if (best == TOK_NONE)
			break;
		memmove(bnd + at + 1, bnd + at + 2, (np - at - 1) * sizeof(*bnd));
		np--;
	}
	for (size_t i = 0; i < np; i++)
		out[i] = tok_rank(t, p + bnd[i], bnd[i + 1] - bnd[i]);
	free(bnd);
	return np;
}

static void long_pieces_merge_like_the_reference(void)
{
	static const char letters[] = "abcdeeeeinostt";
	const struct tok_table *t = tok_table_get(TOK_O200K);
	uint8_t text[3000];
	uint32_t want[3000];
	uint32_t seed = 12345;

	ASSERT(t);
	for (int round = 0; round < 12; round++) {
		size_t n = 65 + (size_t)round * 240;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* lower-case letters only: the whole text is one pre-token */
			text[i] = (uint8_t)(round % 3 ? letters[(seed >> 16) % 14] : 'a');
		}
		struct tok_out o = { 0 };
		size_t nwant = reference_merge(t, text, n, want);
		tok_bpe(t, text, n, 0, &o);
		ASSERT_EQ_INT(o.n, nwant);
		for (size_t i = 0; i < nwant; i++)
			ASSERT_EQ_INT(o.ids[i], want[i]);
		free(o.ids);
	}
}

/* --- the pre-tokenizer against tiktoken's patterns, run by PCRE2 ------------------------ */

#define WS TOK_WS_CLASS
#define CONTR "'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE])"
#define UP "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]"
#define LO "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]"
#define PRE "[^\\r\\n\\p{L}\\p{N}]?"

static const char *const patterns[] = {
	[TOK_O200K] = PRE UP "*" LO "+(?:" CONTR ")?|" PRE UP "+" LO "*(?:" CONTR ")?"
		      "|\\p{N}{1,3}| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n/]*|[" WS "]*[\\r\\n]+"
		      "|[" WS "]+(?![^" WS "])|[" WS "]+",
	[TOK_CL100K] = CONTR "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
		       "| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n]*|[" WS "]+$|[" WS "]*[\\r\\n]"
		       "|[" WS "]+(?![^" WS "])|[" WS "]",
};

struct pieces {
	size_t ends[4096];
	size_t n;
};

static void piece_end(void *arg, size_t start, size_t end)
{
	struct pieces *ps = arg;

	ASSERT(ps->n < LEN(ps->ends));
	ps->ends[ps->n++] = end;
}

/* The pieces the pattern gives: its matches, and the unmatched bytes between them. */
static void oracle_split(pcre2_code *re, const uint8_t *text, size_t len, struct pieces *ps)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	size_t pos = 0;

	ps->n = 0;
	while (pos < len) {
		int m = pcre2_match(re, text, len, pos, 0, md, NULL);
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		ASSERT(m > 0 || m == PCRE2_ERROR_NOMATCH);
		if (m < 0 || ov[0] > pos)
			piece_end(ps, pos, m < 0 ? len : ov[0]);
		if (m < 0)
			break;
		piece_end(ps, ov[0], ov[1]);
		pos = ov[1];
	}
	pcre2_match_data_free(md);
}

static pcre2_code *oracle_compile(enum tok_enc enc)
{
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)patterns[enc], PCRE2_ZERO_TERMINATED, opts,
				       &errcode, &erroff, NULL);

	ASSERT(re);
	ASSERT_OK(pcre2_jit_compile(re, PCRE2_JIT_COMPLETE));
	return re;
}

/* Pieces of text the patterns treat differently, as UTF-8 or raw (invalid) bytes. */
static const char *const atoms[] = {
	"a", "Z", "the", " the", "HTTP", "ing", " ", "  ", "\t", "\n", "\r", "\r\n", "\x0b", "\f",
	"0", "42", "2024", ".", ",", "!", "'", "'s", "'T", "'ll", "'VE", "'re", "'d", "'M", "/",
	"-", "(", "\"", "#", "\xc2\x85", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\xa8", "\xef\xbb\xbf",
	"\xc3\xa9", "\xc3\x89", "\xc7\x85", "\xca\xb0", "\xc2\xaa", "\xcc\x81", "\xe6\x97\xa5",
	"\xed\x95\x9c", "\xe0\xa4\x95", "\xe0\xa5\x8d", "\xd9\xa3", "\xc2\xb2", "\xe2\x85\xab",
	"\xf0\x9f\x98\x80", "\xe2\x80\x8d", "\xff", "\xc3", "\xe2\x82", "\x80", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\xc0\xaf", "\xf0\x9f\x98",
};

static size_t random_text(uint32_t *seed, uint8_t *out)
{
	size_t len = 0;
	size_t natoms = 1 + (*seed >> 8) % 40;

	for (size_t k = 0; k < natoms; k++) {
		*seed = *seed * 1664525u + 1013904223u;
		if ((*seed >> 24) < 40) { /* any code point but a surrogate */
			uint32_t cp = (*seed >> 3) % 0x110000;
			len += utf8_put(cp >= 0xd800 && cp < 0xe000 ? cp + 0x800 : cp, out + len);
		} else {
			const char *a = atoms[(*seed >> 4) % LEN(atoms)];
			memcpy(out + len, a, strlen(a));
			len += strlen(a);
		}
	}
	return len;
}

static void split_matches_the_patterns(enum tok_enc enc)
{
	pcre2_code *re = oracle_compile(enc);
	static struct pieces got, want;
	uint8_t text[512];
	uint32_t seed = 42;

	for (int round = 0; round < 20000; round++) {
		size_t len = random_text(&seed, text);
		got.n = 0;
		ASSERT_OK(tok_split(enc, (const char *)text, len, piece_end, &got));
		oracle_split(re, text, len, &want);
		for (size_t i = 0; i < got.n || i < want.n; i++) {
			if (i < got.n && i < want.n && got.ends[i] == want.ends[i])
				continue;
			fprintf(stderr, "    text (%zu bytes):", len);
			for (size_t k = 0; k < len; k++)
				fprintf(stderr, " %02x", text[k]);
			fprintf(stderr, "\n");
			T_FAIL("piece %zu ends at %zu, the pattern says %zu", i,
			       i < got.n ? got.ends[i] : 0, i < want.n ? want.ends[i] : 0);
		}
	}
	pcre2_code_free(re);
}

static void split_o200k_matches_the_pattern(void)
{
	split_matches_the_patterns(TOK_O200K);
}

static void split_cl100k_matches_the_pattern(void)
{
	split_matches_the_patterns(TOK_CL100K);
}

const struct t_case text_tests[] = {
	T_CASE(known_ids),
	T_CASE(offsets_and_decode_round_trip),
	T_CASE(long_text_repeats_its_parts),
	T_CASE(invalid_utf8_is_kept_as_bytes),
	T_CASE(decode_skips_unknown_ids_and_stops_at_the_limit),
	T_CASE(models_pick_encodings),
	T_CASE(long_pieces_merge_like_the_reference),
	T_CASE(split_o200k_matches_the_pattern),
	T_CASE(split_cl100k_matches_the_pattern),
	{ NULL, NULL },
};
