/* cli.c - API key administration from the command line.
 *
 *   assistd keys create --project NAME   prints a new key; only its hash is stored
 *   assistd keys list                    id, project, hint, created, revoked
 *   assistd keys revoke KEY_ID
 *
 * Each takes --data DIR (or ASSISTD_DATA) to find the store. It opens the same database the
 * server uses; the server sees a new or revoked key on its next request. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/id.h"
#include "base/sha256.h"
#include "config.h"
#include "store/store.h"

#define KEY_PREFIX "sk-assistd-"
#define KEY_RANDOM_LEN 40
#define PROJECT_MAX 64

struct keys_args {
	const char *verb;
	const char *project;
	const char *key_id;
	struct config cfg;
};

static int usage(void)
{
	fprintf(stderr, "usage: assistd keys create --project NAME [--data DIR]\n"
			"       assistd keys list [--data DIR]\n"
			"       assistd keys revoke KEY_ID [--data DIR]\n");
	return 2;
}

int cli_parse(int argc, char **argv, cli_take *take, void *ctx, struct config *cfg)
{
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0;
	int err = 0;

	rest[nrest++] = argv[0];
	for (int i = 3; i < argc; i++) {
		if (take(ctx, argc, argv, &i))
			continue;
		/* A server option, with its value in the next argument unless "--x=v". */
		rest[nrest++] = argv[i];
		if (argv[i][0] == '-' && !strchr(argv[i], '=') && i + 1 < argc)
			rest[nrest++] = argv[++i];
	}
	err = config_load(cfg, nrest, rest, 1);
	free(rest);
	return err;
}

/* keys' own arguments: --project NAME and a key id. */
static bool keys_take(void *ctx, int argc, char **argv, int *i)
{
	struct keys_args *a = ctx;

	if (strcmp(argv[*i], "--project") == 0 && *i + 1 < argc)
		a->project = argv[++*i];
	else if (argv[*i][0] != '-' && !a->key_id)
		a->key_id = argv[*i];
	else
		return false;
	return true;
}

static int parse(int argc, char **argv, struct keys_args *a)
{
	a->verb = argc > 2 ? argv[2] : "";
	return cli_parse(argc, argv, keys_take, a, &a->cfg);
}

bool cli_project_ok(const char *p)
{
	size_t n = strlen(p);

	return n > 0 && n <= PROJECT_MAX && id_valid(p, "");
}

int cli_key_exists(struct store *st, const char *id)
{
	struct store_key *keys = NULL;
	size_t n = 0;
	int err = store_key_list(st, &keys, &n);

	for (size_t i = 0; !err && i < n; i++) {
		if (strcmp(keys[i].id, id) == 0)
			goto out;
	}
	if (!err) {
		fprintf(stderr, "assistd: no key with id '%s' (see assistd keys list)\n", id);
		err = ERR_NOT_FOUND;
	}
out:
	store_keys_free(keys, n);
	return err;
}

static int create(struct store *st, const char *project)
{
	char key[sizeof(KEY_PREFIX) + KEY_RANDOM_LEN];
	char hash[SHA256_HEX_LEN + 1];
	char id[ID_MAX + 1];
	char hint[32];
	struct store_key k = { .id = id, .project = (char *)project, .hint = hint };
	int err;

	if (!project || !cli_project_ok(project)) {
		fprintf(stderr, "assistd keys create: --project NAME is required (letters, digits, "
				"'-' and '_', at most %d)\n", PROJECT_MAX);
		return 2;
	}
	memcpy(key, KEY_PREFIX, strlen(KEY_PREFIX));
	err = id_random(key + strlen(KEY_PREFIX), KEY_RANDOM_LEN);
	if (!err)
		err = id_new(ID_KEY, id, sizeof(id));
	if (err)
		return 1;
	key[sizeof(key) - 1] = '\0';
	snprintf(hint, sizeof(hint), "%.14s...%s", key, key + sizeof(key) - 5);
	sha256_hex(key, strlen(key), hash);
	k.created_at = clock_unix();
	if (store_key_insert(st, &k, hash))
		return 1;
	printf("%s\n", key);
	fprintf(stderr, "created %s for project '%s'; the key is shown only this once\n", id,
		project);
	return 0;
}

static void print_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		snprintf(out, len, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool any_active(const struct store_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].revoked_at == 0)
			return true;
	}
	return false;
}

static int list(struct store *st)
{
	struct store_key *keys = NULL;
	size_t n = 0;
	char created[32];
	char revoked[32];

	if (store_key_list(st, &keys, &n))
		return 1;
	printf("%-30s %-20s %-22s %-21s %s\n", "ID", "PROJECT", "KEY", "CREATED", "REVOKED");
	for (size_t i = 0; i < n; i++) {
		print_time(keys[i].created_at, created, sizeof(created));
		print_time(keys[i].revoked_at, revoked, sizeof(revoked));
		printf("%-30s %-20s %-22s %-21s %s\n", keys[i].id, keys[i].project, keys[i].hint,
		       created, revoked);
	}
	if (n == 0)
		printf("(no keys: the server is open to anyone who can reach it on loopback)\n");
	else if (!any_active(keys, n))
		printf("(every key is revoked: every request is refused until a key is created)\n");
	store_keys_free(keys, n);
	return 0;
}

static int revoke(struct store *st, const char *id)
{
	int err;

	if (!id)
		return usage();
	err = store_key_revoke(st, id, clock_unix());
	if (err == ERR_NOT_FOUND) {
		fprintf(stderr, "assistd keys revoke: no key with id '%s' (see assistd keys list)\n",
			id);
		return 1;
	}
	if (err)
		return 1;
	printf("revoked %s\n", id);
	return 0;
}

int cli_store_open(const struct config *cfg, const char *cmd, struct store **st)
{
	log_set_level(cfg->log_level > LOG_WARN ? cfg->log_level : LOG_WARN);
	if (store_open_url(cfg->database_url, cfg->data_dir, st) == 0)
		return 0;
	fprintf(stderr, "assistd %s: cannot open the store (see above)\n", cmd);
	return 1;
}

int cli_keys(int argc, char **argv)
{
	struct keys_args a = { 0 };
	struct store *st = NULL;
	int rc;

	if (parse(argc, argv, &a))
		return usage();
	if (strcmp(a.verb, "create") && strcmp(a.verb, "list") && strcmp(a.verb, "revoke"))
		return usage();
	if (cli_store_open(&a.cfg, "keys", &st))
		return 1;
	if (strcmp(a.verb, "create") == 0)
		rc = create(st, a.project);
	else if (strcmp(a.verb, "list") == 0)
		rc = list(st);
	else
		rc = revoke(st, a.key_id);
	store_close(st);
	return rc;
}
