/* fuzz_json.c - libFuzzer target for JSON decoding (src/json).
 *
 * Parses the input as a request body would be parsed. What parses must dump to text that
 * parses again to an equal value (the server stores and re-sends dumped text), and the split
 * dump the event channel uses must join back into the whole dump. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits v around its first string member, when it has one, and checks the pieces. */
static void check_split(jv *v, const char *all)
{
	char *head;
	char *span;
	char *tail;
	size_t n;

	for (void *it = jv_iter(v); it; it = jv_next(v, it)) {
		if (!jv_is_string(jv_iter_value(it)))
			continue;
		if (!jv_dump_split(v, v, jv_iter_key(it), &head, &span, &tail))
			return;
		n = strlen(head);
		if (strncmp(all, head, n) != 0 || strncmp(all + n, span, strlen(span)) != 0 ||
		    strcmp(all + n + strlen(span), tail) != 0)
			abort();
		free(head);
		free(span);
		free(tail);
		return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160];
	jv *v = jv_parse((const char *)data, size, why, sizeof(why));
	jv *again;
	char *text;

	if (!v)
		return 0;
	text = jv_dump(v);
	again = jv_parse(text, strlen(text), why, sizeof(why));
	if (!again || !jv_equal(v, again)) {
		fprintf(stderr, "dump does not parse back: %s\n", text);
		abort();
	}
	if (jv_is_object(v))
		check_split(v, text);
	jv_free(again);
	jv_free(v);
	free(text);
	return 0;
}
