/* windows.h - a long text's tokens, window by window, tokenized ahead on a thread of their own.
 *
 * An ingestion job cuts the token stream into chunks and writes them to the store; the
 * tokenizing (o200k_base) is about a quarter of its work and needs nothing from the writing, so
 * a second thread tokenizes the next windows of the text while the job writes the chunks of the
 * previous ones. The windows come out in order, each a run of token start offsets (bytes into
 * the text), what tokenizing the whole text at once would give: a window ends where no
 * pre-token crosses (windows.c says where; a text without such places, say one long line of
 * Chinese, is cut between characters). At most WINDOWS_AHEAD windows wait, so memory stays
 * bounded whatever the text's size. */
#ifndef ASSISTD_WINDOWS_H
#define ASSISTD_WINDOWS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

#define WINDOWS_AHEAD 4

/* One window's tokens: offs[0..n), ascending, owned by the windows until the next call. */
struct window {
	size_t *offs;
	size_t n;
};

struct windows {
	const char *text;        /* borrowed until windows_stop */
	size_t len;
	pthread_t thread;
	pthread_mutex_t mu;      /* guards the fields below */
	pthread_cond_t cv;       /* a window was made or taken, or stop */
	struct window ring[WINDOWS_AHEAD];
	size_t made, taken;      /* windows made and taken so far; ring index: count % AHEAD */
	struct window current;   /* owned: the window last handed out */
	bool done, stop;         /* the thread made the last window; the reader wants no more */
	int err;                 /* the tokenizer's error, if any */
};

/* Starts tokenizing text[0..len) (borrowed until windows_stop). Errors: ERR_INTERNAL when
 * the thread cannot start. */
int windows_start(struct windows *w, const char *text, size_t len) MUST_CHECK;
/* Waits for the next window: *out is borrowed until the next call or windows_stop. Returns 0
 * with out->n == 0 at the end of the text, or the tokenizer's error. */
int windows_next(struct windows *w, struct window *out) MUST_CHECK;
/* Stops the thread (at once if it is still going) and frees what is left. */
void windows_stop(struct windows *w);

#endif
