/* test_api.c - unit tests for src/api. */
#include "suites.h"

const struct t_case api_tests[] = {
	{ NULL, NULL },
};
