/* fuzz_sse.c - libFuzzer target for the upstream SSE parser (src/providers/sse_parse.c).
 *
 * Feeds the input to one parser in one piece and to another in pieces whose sizes come from
 * the input itself: both must report the same events, each data NUL-terminated at its
 * length, and the same result (a stream's bytes arrive in any chunking). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/buf.h"
#include "../src/providers/sse_parse.h"

#define FUZZ_SSE_MAX 4096 /* small, so the limit is reached too */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every event seen, as "name\0data\0" records. */
static int record(void *ctx, const char *event, const char *data, size_t len)
{
	struct buf *b = ctx;

	if (data[len] != '\0' || strlen(event) > FUZZ_SSE_MAX)
		abort();
	if (buf_append(b, event, strlen(event) + 1) || buf_append(b, data, len + 1))
		return 1;
	return 0;
}

static int feed_whole(const uint8_t *data, size_t size, struct buf *seen)
{
	struct sse_parser sp;
	int err;

	sse_init(&sp, FUZZ_SSE_MAX);
	err = sse_feed(&sp, (const char *)data, size, record, seen);
	sse_cleanup(&sp);
	return err;
}

/* Feeds in pieces of 1 to 8 bytes, chosen by the low bits of the bytes themselves. */
static int feed_pieces(const uint8_t *data, size_t size, struct buf *seen)
{
	struct sse_parser sp;
	size_t at = 0;
	int err = 0;

	sse_init(&sp, FUZZ_SSE_MAX);
	while (at < size && !err) {
		size_t n = (size_t)(data[at] & 7) + 1;

		if (n > size - at)
			n = size - at;
		err = sse_feed(&sp, (const char *)data + at, n, record, seen);
		at += n;
	}
	sse_cleanup(&sp);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole;
	struct buf pieces;
	int a;
	int b;

	buf_init(&whole, 0);
	buf_init(&pieces, 0);
	a = feed_whole(data, size, &whole);
	b = feed_pieces(data, size, &pieces);
	if (a != b || whole.len != pieces.len ||
	    (whole.len && memcmp(whole.p, pieces.p, whole.len) != 0)) {
		fprintf(stderr, "chunking changed the result: %d/%d, %zu/%zu bytes of events\n",
			a, b, whole.len, pieces.len);
		abort();
	}
	buf_cleanup(&whole);
	buf_cleanup(&pieces);
	return 0;
}
