/* cli.h - the command-line subcommands: `assistd keys ...` (create, list and revoke API keys,
 * cli.c), `assistd limits ...` (cli_limits.c), `assistd tokenize` (cli_tokenize.c) and
 * `assistd backup` (cli_backup.c). */
#ifndef ASSISTD_CLI_H
#define ASSISTD_CLI_H

#include <stdbool.h>

struct config;
struct store;

/* Runs `assistd keys <verb> ...` (argv[1] is "keys"). Returns the process exit code. */
int cli_keys(int argc, char **argv);
/* Runs `assistd limits <verb> ...` (argv[1] is "limits"). Returns the process exit code. */
int cli_limits(int argc, char **argv);
/* Takes argv[*i] (advancing *i past a value it takes too) when it is one of the command's
 * own arguments; false leaves it to the server's options. */
typedef bool cli_take(void *ctx, int argc, char **argv, int *i);
/* Parses `assistd CMD VERB ARGS...`: each of ARGS goes to take, or else (with its value) to
 * config_load, which fills cfg (--data, --database-url, ...). Returns 0 or ERR_INVALID. */
int cli_parse(int argc, char **argv, cli_take *take, void *ctx, struct config *cfg);
/* Sets the log to warnings (unless cfg asks for fewer) and opens cfg's store for the command
 * cmd ("keys"); *st is owned (store_close). Returns 0, or 1 (the exit code) after saying on
 * stderr why not. */
int cli_store_open(const struct config *cfg, const char *cmd, struct store **st);
/* Whether p is a valid project name: letters, digits, '-' and '_', at most 64. */
bool cli_project_ok(const char *p);
/* 0 when a key with this id exists (revoked or not); else ERR_NOT_FOUND, said on stderr,
 * or ERR_DB. */
int cli_key_exists(struct store *st, const char *id);
/* Runs `assistd tokenize ...` (argv[1] is "tokenize"). Returns the process exit code. */
int cli_tokenize(int argc, char **argv);

/* Runs `assistd backup --to DEST [--data DIR]` (cli_backup.c). Returns the exit code. */
int cli_backup(int argc, char **argv);

#endif
