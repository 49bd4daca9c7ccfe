/* fuzz_cite.c - libFuzzer target for the citation marker scanner (src/tools/cite.c).
 *
 * Feeds the input to one scanner in one piece and to another in pieces whose sizes come
 * from the input itself: both must release exactly the input, find the same markers at the
 * same places, and hold back no more than CITE_MARKER_MAX bytes at any time (a reply arrives
 * in any chunking, even inside a UTF-8 character). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/buf.h"
#include "../src/tools/cite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Adds what o released to text and its markers, as "start end call result off" records
 * (off counted from the start of the whole reply), to marks. */
static void collect(const struct cite_out *o, struct buf *text, struct buf *marks)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct cite_mark *m = &o->marks[i];

		if (m->off + m->len > o->text.len)
			abort();
		if (buf_printf(marks, "%lld %lld %lld %lld %zu\n", (long long)m->start,
			       (long long)m->end, (long long)m->call, (long long)m->result,
			       text->len + m->off))
			abort();
	}
	if (buf_append(text, o->text.p ? o->text.p : "", o->text.len))
		abort();
}

/* Feeds data in pieces (step 0: one piece; else 1 to 8 bytes, chosen by the bytes). */
static void feed(const uint8_t *data, size_t size, bool pieces, struct buf *text,
		 struct buf *marks)
{
	struct cite c;
	struct cite_out o;
	size_t at = 0;

	cite_init(&c);
	while (at < size) {
		size_t n = pieces ? (size_t)(data[at] & 7) + 1 : size;

		if (n > size - at)
			n = size - at;
		cite_feed(&c, (const char *)data + at, n, &o);
		collect(&o, text, marks);
		cite_out_cleanup(&o);
		if (c.held.len > CITE_MARKER_MAX)
			abort();
		at += n;
	}
	cite_flush(&c, &o);
	collect(&o, text, marks);
	cite_out_cleanup(&o);
	cite_cleanup(&c);
}

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf text[2];
	struct buf marks[2];

	for (int i = 0; i < 2; i++) {
		buf_init(&text[i], 0);
		buf_init(&marks[i], 0);
		feed(data, size, i == 1, &text[i], &marks[i]);
	}
	if (text[0].len != size || (size && memcmp(text[0].p, data, size) != 0) ||
	    !same(&text[0], &text[1]) || !same(&marks[0], &marks[1])) {
		fprintf(stderr, "chunking changed the result\n");
		abort();
	}
	for (int i = 0; i < 2; i++) {
		buf_cleanup(&text[i]);
		buf_cleanup(&marks[i]);
	}
	return 0;
}
