/* cli.h - the `assistd keys ...` subcommands: create, list and revoke API keys. */
#ifndef ASSISTD_CLI_H
#define ASSISTD_CLI_H

/* Runs `assistd keys <verb> ...` (argv[1] is "keys"). Returns the process exit code. */
int cli_keys(int argc, char **argv);

#endif
