/* cli_limits.c - limits per API key or project from the command line (src/limits).
 *
 *   assistd limits set (--key KEY_ID | --project NAME) [--requests N] [--runs N]
 *                      [--tokens N] [--period day|month]
 *   assistd limits list
 *   assistd limits remove (--key KEY_ID | --project NAME)
 *
 * --requests and --runs are per minute (per --limit-window-ms), --tokens is a budget of run
 * tokens (prompt + completion) per UTC day or calendar month (--period, month unless given).
 * `set` changes only what it names (0 removes that limit) and keeps the rest. Each takes
 * --data DIR (or ASSISTD_DATA); every server on that store applies a change within its next
 * sync (--limit-sync-ms, 200 ms). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cli.h"
#include "config.h"
#include "store/store.h"

struct limits_args {
	const char *verb;
	const char *key;
	const char *project;
	const char *values[4]; /* --requests, --runs, --tokens, --period as given, or NULL */
	struct config cfg;
};

static const char *const value_flags[] = { "--requests", "--runs", "--tokens", "--period" };
#define NVALUES (sizeof(value_flags) / sizeof(value_flags[0]))

static int usage(void)
{
	fprintf(stderr,
		"usage: assistd limits set (--key KEY_ID | --project NAME) [--requests N] "
		"[--runs N] [--tokens N] [--period day|month] [--data DIR]\n"
		"       assistd limits list [--data DIR]\n"
		"       assistd limits remove (--key KEY_ID | --project NAME) [--data DIR]\n"
		"--requests and --runs are per minute; --tokens is a budget of run tokens per "
		"--period (default month); 0 removes that limit\n");
	return 2;
}

/* Takes argv[*i] and its value when it is one of ours (a cli_take). */
static bool take(void *ctx, int argc, char **argv, int *i)
{
	struct limits_args *a = ctx;

	if (*i + 1 >= argc)
		return false;
	for (size_t v = 0; v < NVALUES; v++) {
		if (strcmp(argv[*i], value_flags[v]) == 0) {
			a->values[v] = argv[++*i];
			return true;
		}
	}
	if (strcmp(argv[*i], "--key") == 0)
		a->key = argv[++*i];
	else if (strcmp(argv[*i], "--project") == 0)
		a->project = argv[++*i];
	else
		return false;
	return true;
}

static int parse(int argc, char **argv, struct limits_args *a)
{
	a->verb = argc > 2 ? argv[2] : "";
	return cli_parse(argc, argv, take, a, &a->cfg);
}

static int parse_count(const char *flag, const char *s, int64_t *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || *end || n < 0) {
		fprintf(stderr, "assistd limits: %s takes a whole number of 0 or more, not '%s'\n",
			flag, s);
		return ERR_INVALID;
	}
	*out = n;
	return 0;
}

/* Fills the scope and subject of l from --key or --project (exactly one). */
static int subject_of(struct store *st, const struct limits_args *a, struct store_limit *l)
{
	if (!a->key == !a->project) {
		fprintf(stderr, "assistd limits: name either --key KEY_ID or --project NAME\n");
		return ERR_INVALID;
	}
	l->scope = a->key ? STORE_LIMIT_KEY : STORE_LIMIT_PROJECT;
	l->subject = (char *)(a->key ? a->key : a->project);
	if (a->project && !cli_project_ok(a->project)) {
		fprintf(stderr, "assistd limits: '%s' is not a project name (letters, digits, '-' "
				"and '_')\n", a->project);
		return ERR_INVALID;
	}
	return a->key ? cli_key_exists(st, a->key) : 0;
}

/* The limit as it is now, when there is one (else l is left as it was). */
static int current(struct store *st, struct store_limit *l)
{
	struct store_limit *all = NULL;
	size_t n = 0;
	int err = store_limit_list(st, &all, &n);

	for (size_t i = 0; !err && i < n; i++) {
		if (all[i].scope == l->scope && strcmp(all[i].subject, l->subject) == 0) {
			l->requests = all[i].requests;
			l->runs = all[i].runs;
			l->tokens = all[i].tokens;
			l->monthly = all[i].monthly;
		}
	}
	store_limits_free(all, n);
	return err;
}

static int apply_values(const struct limits_args *a, struct store_limit *l)
{
	int64_t *fields[] = { &l->requests, &l->runs, &l->tokens };
	const char *period = a->values[3];
	int err = 0;

	for (size_t v = 0; v < 3 && !err; v++) {
		if (a->values[v])
			err = parse_count(value_flags[v], a->values[v], fields[v]);
	}
	if (err || !period)
		return err;
	if (strcmp(period, "day") && strcmp(period, "month")) {
		fprintf(stderr, "assistd limits: --period is day or month, not '%s'\n", period);
		return ERR_INVALID;
	}
	l->monthly = strcmp(period, "month") == 0;
	return 0;
}

static void print_limit(const struct store_limit *l)
{
	printf("%-8s %-30s %10lld %10lld %14lld %s\n",
	       l->scope == STORE_LIMIT_KEY ? "key" : "project", l->subject,
	       (long long)l->requests, (long long)l->runs, (long long)l->tokens,
	       l->monthly ? "month" : "day");
}

static int set(struct store *st, const struct limits_args *a)
{
	struct store_limit l = { .monthly = true };
	int err = subject_of(st, a, &l);

	if (!err)
		err = current(st, &l);
	if (!err)
		err = apply_values(a, &l);
	if (!err)
		err = store_limit_set(st, &l);
	if (err)
		return err == ERR_INVALID ? 2 : 1;
	printf("%-8s %-30s %10s %10s %14s %s\n", "SCOPE", "SUBJECT", "REQ/MIN", "RUNS/MIN",
	       "TOKENS", "PER");
	print_limit(&l);
	return 0;
}

static int list(struct store *st, const struct limits_args *a)
{
	struct store_limit *all = NULL;
	size_t n = 0;

	if (store_limit_list(st, &all, &n))
		return 1;
	printf("%-8s %-30s %10s %10s %14s %s\n", "SCOPE", "SUBJECT", "REQ/MIN", "RUNS/MIN",
	       "TOKENS", "PER");
	for (size_t i = 0; i < n; i++)
		print_limit(&all[i]);
	if (n == 0)
		printf("(no limits: every key and project may use the server without bounds)\n");
	store_limits_free(all, n);
	return 0;
}

static int remove_limit(struct store *st, const struct limits_args *a)
{
	struct store_limit l = { 0 };
	int err = subject_of(st, a, &l);

	if (err == ERR_INVALID)
		return 2;
	if (!err)
		err = store_limit_delete(st, l.scope, l.subject);
	if (err == ERR_NOT_FOUND)
		fprintf(stderr, "assistd limits remove: %s '%s' has no limits (see assistd limits "
				"list)\n", a->key ? "key" : "project", l.subject);
	if (err)
		return 1;
	printf("removed the limits of %s %s\n", a->key ? "key" : "project", l.subject);
	return 0;
}

int cli_limits(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct store *st, const struct limits_args *a);
	} verbs[] = { { "set", set }, { "list", list }, { "remove", remove_limit } };
	struct limits_args a = { 0 };
	struct store *st = NULL;
	size_t v = 0;
	int rc;

	if (parse(argc, argv, &a))
		return usage();
	while (v < sizeof(verbs) / sizeof(verbs[0]) && strcmp(a.verb, verbs[v].name) != 0)
		v++;
	if (v == sizeof(verbs) / sizeof(verbs[0]))
		return usage();
	if (cli_store_open(&a.cfg, "limits", &st))
		return 1;
	rc = verbs[v].fn(st, &a);
	store_close(st);
	return rc;
}
