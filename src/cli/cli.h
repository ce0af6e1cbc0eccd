/*
 * The command line: each command parses its arguments and calls the
 * library. Commands return the process exit status.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

enum cs_exit { CS_EXIT_OK = 0, CS_EXIT_RUNTIME = 1, CS_EXIT_USAGE = 2 };

int cs_cmd_scan(int argc, char **argv);

#endif
