/*
 * The command line: each command parses its arguments and calls the
 * library. Commands return the process exit status.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

enum cs_exit { CS_EXIT_OK = 0, CS_EXIT_RUNTIME = 1, CS_EXIT_USAGE = 2 };

#include "cs.h"

struct cs_store;

int cs_cmd_scan(int argc, char **argv);
int cs_cmd_network(int argc, char **argv);
int cs_cmd_discover(int argc, char **argv);
int cs_cmd_monitor(int argc, char **argv);
int cs_cmd_jobs(int argc, char **argv);
int cs_cmd_report(int argc, char **argv);
int cs_cmd_endpoints(int argc, char **argv);
int cs_cmd_certs(int argc, char **argv);

/* The inventory location: --db, else CERTSWEEP_DB, else
 * $XDG_DATA_HOME/certsweep/inventory.db (~/.local/share/... by default). */
void cs_cli_set_db(const char *location);
const char *cs_cli_db(void);

/* Opens the inventory, printing "certsweep CMD: why" on failure. */
struct cs_store *cs_cli_open_store(const char *cmd);

/* The exit status for a failed library call: 2 for CS_ERR_USAGE (and a
 * missing row), 1 otherwise. */
int cs_cli_exit_for(enum cs_rc rc);

#endif
