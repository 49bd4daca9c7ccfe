/* t_main.c - runs every unit test suite, each case in its own forked child.
 *
 * Usage: unit [substring]   runs the cases whose "suite.name" contains substring. A substring
 * that matches no case is a failure (a mistyped filter must not pass silently). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suites.h"
#include "t.h"

#define T_TIMEOUT_SECONDS 20

struct t_suite {
	const char *name;
	const struct t_case *cases;
};

static const struct t_suite suites[] = {
	{ "base", base_tests },
	{ "loop", loop_tests },
	{ "json", json_tests },
	{ "store", store_tests },
	{ "store_events", store_events_tests },
	{ "store_events_pg", store_events_pg_tests },
	{ "store_pg", store_pg_tests },
	{ "sqlite_pool", sqlite_pool_tests },
	{ "blob", blob_tests },
	{ "http", http_tests },
	{ "api", api_tests },
	{ "engine", engine_tests },
	{ "providers", providers_tests },
	{ "docs", docs_tests },
	{ "tools", tools_tests },
	{ "ingest", ingest_tests },
	{ "docs_reader", docs_reader_tests },
	{ "sandbox", sandbox_tests },
	{ "text", text_tests },
	{ "server_tools", server_tools_tests },
	{ "vec", vec_tests },
	{ "vec_pg", vec_pg_tests },
	{ "vstore", vstore_tests },
	{ "vstore_pg", vstore_pg_tests },
	{ "limits", limits_tests },
	{ "lease", lease_tests },
	{ "lease_pg", lease_pg_tests },
};

static int run_case(const struct t_case *c)
{
	pid_t pid = fork();
	int status = 0;

	if (pid < 0)
		return 1;
	if (pid == 0) {
		alarm(T_TIMEOUT_SECONDS);
		c->fn();
		exit(0);
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "    killed by signal %d%s\n", WTERMSIG(status),
			WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return 1;
	}
	return WEXITSTATUS(status) != 0;
}

/* Runs the cases of s whose full name contains filter (all when filter is NULL). */
static void run_suite(const struct t_suite *s, const char *filter, int *passed, int *failed)
{
	char full[256];

	for (const struct t_case *c = s->cases; c->name; c++) {
		snprintf(full, sizeof(full), "%s.%s", s->name, c->name);
		if (filter && !strstr(full, filter))
			continue;
		if (run_case(c)) {
			printf("not ok - %s\n", full);
			(*failed)++;
		} else {
			printf("ok - %s\n", full);
			(*passed)++;
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0;
	int failed = 0;

	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		run_suite(&suites[s], filter, &passed, &failed);
	if (filter && passed + failed == 0) {
		printf("not ok - no test case matches \"%s\"\n", filter);
		failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
