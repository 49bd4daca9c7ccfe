/* windows.c - tokenizing a long text ahead of its reader, on a thread of its own (windows.h).
 *
 * The thread walks the text in windows of WINDOW_BYTES, tokenizes each, and puts its token
 * offsets in a ring of WINDOWS_AHEAD slots, waiting while the ring is full; the reader takes
 * them in order. Either side wakes the other through one condition variable. */
#include "windows.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../text/tokenizer.h"

#define WINDOW_BYTES (64 * 1024) /* bytes of text tokenized at once */

/* Last bytes of the characters the pre-tokenizers count as whitespace: ASCII's, and the last
 * byte of each Unicode space's UTF-8 (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000); some letters end in these bytes too, which only makes
 * fewer places to cut. */
static const char space_tails[] = "\t\n\v\f\r \x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a"
				  "\x9f\xa0\xa8\xa9\xaf";

/* Whether a window may end at byte i (0 < i): before a space that follows a character other
 * than whitespace. No pre-token runs across such a place: a space starts a word's token or a
 * run of whitespace, and the token before it ends there (only whitespace runs, and
 * punctuation followed by newlines, reach further; a cut inside those changes the tokens). */
static bool cut_before_space(const char *text, size_t i)
{
	return text[i] == ' ' && text[i - 1] != '\0' && !strchr(space_tails, text[i - 1]);
}

/* Whether a window may end at byte i, after a newline and before a character that is neither
 * whitespace nor '/' (which punctuation's tokens take in after newlines); for texts without
 * spaces, such as Chinese or Japanese. Lead bytes of whitespace (and of some letters) refused:
 * C2, E1, E2, E3. */
static bool cut_after_newline(const char *text, size_t i)
{
	unsigned char c = (unsigned char)text[i];

	if (text[i - 1] != '\n' || c == '/')
		return false;
	return c >= 0x80 ? !strchr("\xc2\xe1\xe2\xe3", c) : c > ' ' && c < 0x7f;
}

/* Places to end a window, the best first. */
static bool (*const cuts[])(const char *text, size_t i) = { cut_before_space, cut_after_newline };

/* The end of the window starting at pos: WINDOW_BYTES bytes, pulled back to a place where
 * tokenizing the two sides apart gives the tokens of the whole (cuts). A text with no such
 * place in the window's second half is cut on a character boundary. */
static size_t window_end(const char *text, size_t len, size_t pos)
{
	size_t end = pos + WINDOW_BYTES;

	if (end >= len)
		return len;
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		for (size_t back = end; back > pos + WINDOW_BYTES / 2; back--) {
			if (cuts[k](text, back))
				return back;
		}
	}
	while (end < len && ((unsigned char)text[end] & 0xC0) == 0x80)
		end++;
	return end;
}

/* Tokenizes text[pos..end) into *win, offsets counted from the start of the text. */
static int tokenize(const char *text, size_t pos, size_t end, struct window *win)
{
	uint32_t *ids = NULL;
	int err = tok_encode(TOK_O200K, text + pos, end - pos, &ids, &win->offs, &win->n);

	free(ids);
	for (size_t i = 0; !err && i < win->n; i++)
		win->offs[i] += pos;
	return err;
}

/* Puts win in the ring once there is room. Returns false when the reader stopped (win freed). */
static bool put(struct windows *w, struct window win)
{
	bool stopped;

	pthread_mutex_lock(&w->mu);
	while (!w->stop && w->made - w->taken == WINDOWS_AHEAD)
		pthread_cond_wait(&w->cv, &w->mu);
	stopped = w->stop;
	if (!stopped)
		w->ring[w->made++ % WINDOWS_AHEAD] = win;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (stopped)
		free(win.offs);
	return !stopped;
}

static void *run(void *arg)
{
	struct windows *w = arg;
	int err = 0;
	bool more = true;

	for (size_t pos = 0; pos < w->len && more && !err;) {
		size_t end = window_end(w->text, w->len, pos);
		struct window win = { 0 };

		err = tokenize(w->text, pos, end, &win);
		more = !err && put(w, win);
		pos = end;
	}
	pthread_mutex_lock(&w->mu);
	w->err = err;
	w->done = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int windows_start(struct windows *w, const char *text, size_t len)
{
	memset(w, 0, sizeof(*w));
	w->text = text;
	w->len = len;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		return ERR_INTERNAL;
	}
	return 0;
}

int windows_next(struct windows *w, struct window *out)
{
	int err;

	free(w->current.offs);
	w->current = (struct window){ 0 };
	pthread_mutex_lock(&w->mu);
	while (w->made == w->taken && !w->done)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->made > w->taken)
		w->current = w->ring[w->taken++ % WINDOWS_AHEAD];
	err = w->made == w->taken && w->done ? w->err : 0;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	*out = w->current;
	return out->n ? 0 : err;
}

void windows_stop(struct windows *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (size_t i = w->taken; i < w->made; i++)
		free(w->ring[i % WINDOWS_AHEAD].offs);
	free(w->current.offs);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	memset(w, 0, sizeof(*w));
}
