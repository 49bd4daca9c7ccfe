/* test_store.c - unit tests for src/store. */
#include "suites.h"

const struct t_case store_tests[] = {
	{ NULL, NULL },
};
