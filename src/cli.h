/* cli.h - the command-line subcommands: `assistd keys ...` (create, list and revoke API keys,
 * cli.c) and `assistd tokenize` (cli_tokenize.c). */
#ifndef ASSISTD_CLI_H
#define ASSISTD_CLI_H

/* Runs `assistd keys <verb> ...` (argv[1] is "keys"). Returns the process exit code. */
int cli_keys(int argc, char **argv);
/* Runs `assistd tokenize ...` (argv[1] is "tokenize"). Returns the process exit code. */
int cli_tokenize(int argc, char **argv);

#endif
