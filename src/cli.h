/* cli.h - the command-line subcommands: `assistd keys ...` (create, list and revoke API keys,
 * cli.c), `assistd tokenize` (cli_tokenize.c) and `assistd backup` (cli_backup.c). */
#ifndef ASSISTD_CLI_H
#define ASSISTD_CLI_H

/* Runs `assistd keys <verb> ...` (argv[1] is "keys"). Returns the process exit code. */
int cli_keys(int argc, char **argv);
/* Runs `assistd tokenize ...` (argv[1] is "tokenize"). Returns the process exit code. */
int cli_tokenize(int argc, char **argv);

/* Runs `assistd backup --to DEST [--data DIR]` (cli_backup.c). Returns the exit code. */
int cli_backup(int argc, char **argv);

#endif
