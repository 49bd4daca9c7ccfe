/* test_tools.c - the index side of file_search: token chunking and query rewriting. */
#include <stdlib.h>
#include <string.h>

#include "../../src/base/alloc.h"
#include "../../src/tools/chunk.h"
#include "../../src/text/tokenizer.h"
#include "../../src/tools/search.h"
#include "../../src/tools/windows.h"
#include "t.h"

/* Chunks n tokens of 2 bytes each, fed `window` tokens at a time; writes the spans as
 * "start-end," into out. */
static void chunk_all(size_t n, size_t max, size_t overlap, size_t window, char *out,
		      size_t len)
{
	struct chunker ch;
	struct chunk_span sp;
	size_t used = 0;

	out[0] = '\0';
	chunker_init(&ch, max, overlap);
	for (size_t i = 0; i < n; i += window) {
		size_t offs[64];
		size_t k = n - i < window ? n - i : window;

		for (size_t j = 0; j < k; j++)
			offs[j] = (i + j) * 2;
		chunker_feed(&ch, offs, k);
		while (chunker_next(&ch, false, n * 2, &sp))
			used += (size_t)snprintf(out + used, len - used, "%zu-%zu,", sp.start,
						 sp.end);
	}
	while (chunker_next(&ch, true, n * 2, &sp))
		used += (size_t)snprintf(out + used, len - used, "%zu-%zu,", sp.start, sp.end);
	chunker_cleanup(&ch);
}

/* n tokens of 2 bytes, max tokens a chunk, overlap: the spans expected. */
static const struct {
	size_t n, max, overlap;
	const char *spans;
} chunk_cases[] = {
	/* starts 0, 2, 4, 6: the one at 6 reaches the end */
	{ 10, 4, 2, "0-8,4-12,8-16,12-20," },
	/* one token more: one more chunk for it, from token 8 */
	{ 11, 4, 2, "0-8,4-12,8-16,12-20,16-22," },
	/* a text of one chunk or less makes one; an empty one none */
	{ 4, 4, 2, "0-8," },
	{ 3, 800, 400, "0-6," },
	{ 0, 4, 2, "" },
	/* without overlap the chunks tile the text */
	{ 7, 3, 0, "0-6,6-12,12-14," },
};

static void chunks_overlap_and_the_last_takes_the_rest(void)
{
	char got[256];

	for (size_t i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
		chunk_all(chunk_cases[i].n, chunk_cases[i].max, chunk_cases[i].overlap, 64, got,
			  sizeof(got));
		ASSERT_STR_EQ(got, chunk_cases[i].spans);
	}
}

static void windows_give_the_same_chunks_as_one_feed(void)
{
	char whole[512], windowed[512];

	for (size_t w = 1; w <= 7; w++) {
		chunk_all(29, 5, 2, 64, whole, sizeof(whole));
		chunk_all(29, 5, 2, w, windowed, sizeof(windowed));
		ASSERT_STR_EQ(windowed, whole);
	}
}

/* A text of about n bytes: words, numbers, punctuation, runs of spaces and newlines, and
 * multi-byte characters, so that windows end in all kinds of places (owned). */
static char *mixed_text(size_t n)
{
	static const char *const parts[] = { "Cells ", "divide\n", "  quickly, ", "1234567 ",
					     "naïve ", "日本語 ", "x\n\n", "don't ", "über-fast " };
	char *text = xmalloc(n + 32);
	size_t len = 0;

	for (size_t i = 0; len < n; i = (i * 7 + 3) % 9) {
		size_t k = strlen(parts[i]);
		memcpy(text + len, parts[i], k);
		len += k;
	}
	text[len] = '\0';
	return text;
}

/* A text of about n bytes of Chinese in lines, without a space (owned). */
static char *spaceless_text(size_t n)
{
	static const char *const parts[] = { "细胞分裂", "迅速。\n", "研究表明", "，蛋白质\n\n",
					     "2024年", "“结果”\n" };
	char *text = xmalloc(n + 32);
	size_t len = 0;

	for (size_t i = 0; len < n; i = (i + 1) % 6) {
		size_t k = strlen(parts[i]);
		memcpy(text + len, parts[i], k);
		len += k;
	}
	text[len] = '\0';
	return text;
}

/* Tokenized ahead window by window, a text gives the very offsets of tokenizing it whole
 * (windows that ended before any space or newline split "\n\n" and such into two tokens). */
static void tokenize_as_the_whole_text(char *text)
{
	size_t len = strlen(text), *offs = NULL, n = 0, k = 0;
	uint32_t *ids = NULL;
	struct windows w;
	struct window win;

	ASSERT_OK(tok_encode(TOK_O200K, text, len, &ids, &offs, &n));
	ASSERT_OK(windows_start(&w, text, len));
	ASSERT_OK(windows_next(&w, &win));
	while (win.n > 0) {
		ASSERT(k + win.n <= n);
		ASSERT(memcmp(win.offs, offs + k, win.n * sizeof(*offs)) == 0);
		k += win.n;
		ASSERT_OK(windows_next(&w, &win));
	}
	ASSERT(k == n && n > 100000);
	windows_stop(&w);
	free(ids);
	free(offs);
	free(text);
}

static void windows_tokenize_as_the_whole_text(void)
{
	tokenize_as_the_whole_text(mixed_text(600 * 1024));
	tokenize_as_the_whole_text(spaceless_text(600 * 1024));
}

/* A reader that stops after the first window ends the thread, which was waiting with the
 * ring full; an empty text has no window. */
static void windows_stop_early_and_empty(void)
{
	char *text = mixed_text(2 * 1024 * 1024);
	struct windows w;
	struct window win;

	ASSERT_OK(windows_start(&w, text, strlen(text)));
	ASSERT_OK(windows_next(&w, &win));
	ASSERT(win.n > 1000);
	windows_stop(&w);
	ASSERT_OK(windows_start(&w, "", 0));
	ASSERT_OK(windows_next(&w, &win));
	ASSERT(win.n == 0);
	windows_stop(&w);
	free(text);
}

static void rewrite_keeps_content_words(void)
{
	char *r = search_rewrite("What is the return policy of THE store?");

	ASSERT_STR_EQ(r, "what return policy store");
	free(r);
	r = search_rewrite("?! the");
	ASSERT_STR_EQ(r, "?! the");
	free(r);
	r = search_rewrite("café — naïve");
	ASSERT_STR_EQ(r, "café — naïve");
	free(r);
}

const struct t_case tools_tests[] = {
	T_CASE(chunks_overlap_and_the_last_takes_the_rest),
	T_CASE(windows_give_the_same_chunks_as_one_feed),
	T_CASE(windows_tokenize_as_the_whole_text),
	T_CASE(windows_stop_early_and_empty),
	T_CASE(rewrite_keeps_content_words),
	{ NULL, NULL },
};
