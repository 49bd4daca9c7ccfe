/* test_json.c - unit tests for src/json. */
#include "suites.h"

const struct t_case json_tests[] = {
	{ NULL, NULL },
};
