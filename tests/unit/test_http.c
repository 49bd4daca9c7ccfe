/* test_http.c - unit tests for src/http. */
#include "suites.h"

const struct t_case http_tests[] = {
	{ NULL, NULL },
};
