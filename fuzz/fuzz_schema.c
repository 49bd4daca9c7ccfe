/* fuzz_schema.c - libFuzzer target for the request validator (src/api/schema.c with the
 * schema tables of src/api/schemas.c).
 *
 * The first byte picks a request body's schema, the rest is its JSON. Whatever the body,
 * the check must end with 0 or ERR_INVALID and, on ERR_INVALID, a non-empty message and a
 * NUL-terminated param (they go into the error envelope). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/api/schema.h"
#include "../src/api/schemas.h"
#include "../src/base/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sc_schema *const schemas[] = {
	&sc_create_assistant, &sc_modify_assistant, &sc_create_thread,
	&sc_modify_thread, &sc_create_message, &sc_modify_metadata,
	&sc_create_run, &sc_create_thread_and_run, &sc_submit_tool_outputs,
};

#define NSCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_error e;
	char why[160];
	jv *v;
	int err;

	if (size < 1)
		return 0;
	v = jv_parse((const char *)data + 1, size - 1, why, sizeof(why));
	if (!v)
		return 0;
	memset(&e, 0x55, sizeof(e)); /* a check that fails must fill in both fields */
	err = sc_check(schemas[data[0] % NSCHEMAS], v, &e);
	if (err != 0 && err != ERR_INVALID)
		abort();
	if (err && (!memchr(e.param, '\0', sizeof(e.param)) ||
		    !memchr(e.message, '\0', sizeof(e.message)) || e.message[0] == '\0')) {
		fprintf(stderr, "a failed check left its error unfinished\n");
		abort();
	}
	jv_free(v);
	return 0;
}
