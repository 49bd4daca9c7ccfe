/* tok_split.c - pre-tokenization: the regexes that cut text into pieces before the merge.
 *
 * These are tiktoken's patterns for o200k_base and cl100k_base, compiled once with PCRE2
 * (UTF, Unicode properties, JIT). Two deliberate spellings keep them identical to tiktoken
 * (Rust regex) rather than to PCRE2's own defaults: \s is written out as Unicode White_Space,
 * and the contractions use explicit [sS] classes instead of (?i), which in PCRE2 would also
 * fold U+017F and U+212A. `$` matches only at the very end (DOLLAR_ENDONLY). Invalid UTF-8
 * never matches; each run of it becomes a pre-token of its own. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include "../base/log.h"
#include "tok_int.h"

#define WS "\\t\\n\\x0b\\f\\r \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}" \
	   "\\x{202f}\\x{205f}\\x{3000}"
#define CONTRACTION "'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE])"
#define UPPER "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]"
#define LOWER "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]"
#define PREFIX "[^\\r\\n\\p{L}\\p{N}]?"

static const char *const patterns[] = {
	[TOK_O200K] = PREFIX UPPER "*" LOWER "+(?:" CONTRACTION ")?"
		"|" PREFIX UPPER "+" LOWER "*(?:" CONTRACTION ")?"
		"|\\p{N}{1,3}"
		"| ?[^" WS "\\p{L}\\p{N}]++[\\r\\n/]*+"
		"|[" WS "]*[\\r\\n]++"
		"|[" WS "]+(?![^" WS "])"
		"|[" WS "]++",
	[TOK_CL100K] = CONTRACTION
		"|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++"
		"|\\p{N}{1,3}+"
		"| ?[^" WS "\\p{L}\\p{N}]++[\\r\\n]*+"
		"|[" WS "]++$"
		"|[" WS "]*[\\r\\n]"
		"|[" WS "]+(?![^" WS "])"
		"|[" WS "]",
};

static pcre2_code *codes[2];
static pthread_once_t split_once = PTHREAD_ONCE_INIT;

static void split_init(void)
{
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF;
	int errcode;
	PCRE2_SIZE erroff;

	for (size_t i = 0; i < 2; i++) {
		codes[i] = pcre2_compile((PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED, opts,
					 &errcode, &erroff, NULL);
		if (!codes[i]) {
			log_error("tokenizer: pattern %zu does not compile at %zu (%d)", i,
				  (size_t)erroff, errcode);
			continue;
		}
		if (pcre2_jit_compile(codes[i], PCRE2_JIT_COMPLETE))
			log_warn("tokenizer: no PCRE2 JIT; pre-tokenizing interpreted");
	}
}

int tok_split(enum tok_enc enc, const char *text, size_t len,
	      void (*fn)(void *arg, size_t start, size_t end), void *arg)
{
	pcre2_match_data *md;
	size_t pos = 0;
	int rc = 0;

	pthread_once(&split_once, split_init);
	if ((size_t)enc >= 2 || !codes[enc])
		return ERR_INTERNAL;
	md = pcre2_match_data_create(1, NULL);
	while (pos < len) {
		int m = pcre2_match(codes[enc], (PCRE2_SPTR)text, len, pos, 0, md, NULL);
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t start = m > 0 ? ov[0] : len;
		if (m < 0 && m != PCRE2_ERROR_NOMATCH) {
			rc = ERR_INTERNAL;
			break;
		}
		if (start > pos)
			fn(arg, pos, start); /* invalid UTF-8 the regex skipped */
		if (m < 0)
			break;
		fn(arg, start, ov[1]);
		pos = ov[1];
	}
	pcre2_match_data_free(md);
	return rc;
}
