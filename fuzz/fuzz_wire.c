/* fuzz_wire.c - libFuzzer target for what an upstream model server sends back: its SSE
 * stream decoded into chat.completion.chunk objects (src/providers/sse_parse.c and
 * openai_wire.c, the way openai.c chains them), its whole-JSON chat.completion, and its error
 * bodies.
 *
 * Whatever the bytes, decoding ends with a result or an upstream error, and every piece of
 * text and every tool call it delivers is well formed: text of its stated length, a tool call
 * index from 0 whose id and name come once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/buf.h"
#include "../src/base/err.h"
#include "../src/json/json.h"
#include "../src/providers/openai_wire.h"
#include "../src/providers/sse_parse.h"

#define FUZZ_WIRE_MAX_EVENT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_text(void *ctx, const char *delta, size_t len)
{
	if (len == 0 || memchr(delta, '\0', len) != NULL)
		abort(); /* empty pieces are not delivered; NULs are replaced */
}

static void on_tool(void *ctx, int index, const char *id, const char *name, const char *args)
{
	if (index < 0 || !args || (id == NULL) != (name == NULL))
		abort();
}

/* As openai.c's on_event: [DONE] ends the stream, anything else is a chunk. */
static int on_event(void *ctx, const char *event, const char *data, size_t len)
{
	struct oai_parse *ps = ctx;
	char why[160];
	jv *v;
	int err;

	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		ps->finished = true;
		return 1;
	}
	v = jv_parse(data, len, why, sizeof(why));
	if (!v)
		return 1;
	err = oai_parse_chunk(ps, v);
	jv_free(v);
	return err;
}

/* Ends a reply: a finished one has a finish reason and token counts that are not negative. */
static void check_end(struct oai_parse *ps)
{
	struct prov_result res;

	if (oai_parse_end(ps, &res) == 0 && (res.prompt_tokens < 0 || res.completion_tokens < 0))
		abort();
}

static void decode_stream(const uint8_t *data, size_t size, struct prov_call *c)
{
	struct sse_parser sp;
	struct oai_parse ps;

	oai_parse_init(&ps, c);
	sse_init(&sp, FUZZ_WIRE_MAX_EVENT);
	(void)sse_feed(&sp, (const char *)data, size, on_event, &ps);
	check_end(&ps);
	sse_cleanup(&sp);
	oai_parse_cleanup(&ps);
}

static void decode_whole(const uint8_t *data, size_t size, struct prov_call *c)
{
	struct oai_parse ps;
	char why[160];
	jv *v = jv_parse((const char *)data, size, why, sizeof(why));

	if (!v)
		return;
	oai_parse_init(&ps, c);
	if (oai_parse_completion(&ps, v) == 0)
		check_end(&ps);
	oai_parse_cleanup(&ps);
	jv_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_call c;

	memset(&c, 0, sizeof(c));
	c.cb.text = on_text;
	c.cb.tool_call = on_tool;
	decode_stream(data, size, &c);
	decode_whole(data, size, &c);
	free(oai_error_message((const char *)data, size));
	buf_cleanup(&c.out); /* what the call delivered, kept for usage */
	return 0;
}
