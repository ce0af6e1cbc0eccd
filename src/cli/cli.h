/*
 * The command line: each command parses its arguments and calls the
 * library. Commands return the process exit status.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

enum cs_exit { CS_EXIT_OK = 0, CS_EXIT_RUNTIME = 1, CS_EXIT_USAGE = 2 };

#include "cs.h"

#include <stdbool.h>

struct cs_store;

int cs_cmd_scan(int argc, char **argv);
int cs_cmd_network(int argc, char **argv);
int cs_cmd_discover(int argc, char **argv);
int cs_cmd_monitor(int argc, char **argv);
int cs_cmd_jobs(int argc, char **argv);
int cs_cmd_report(int argc, char **argv);
int cs_cmd_endpoints(int argc, char **argv);
int cs_cmd_certs(int argc, char **argv);
int cs_cmd_config(int argc, char **argv);
int cs_cmd_test_email(int argc, char **argv);
int cs_cmd_test_syslog(int argc, char **argv);
int cs_cmd_test_channel(int argc, char **argv);
int cs_cmd_alert(int argc, char **argv);
int cs_cmd_outbox(int argc, char **argv);
int cs_cmd_vuln(int argc, char **argv);
int cs_cmd_vulnscan(int argc, char **argv);
int cs_cmd_findings(int argc, char **argv);
int cs_cmd_serve(int argc, char **argv);
int cs_cmd_token(int argc, char **argv);

/* The value of a schedule option (--discover-every, --every, ...): "none"
 * and "off" are "", which clears it; anything else as typed. */
const char *cs_cli_schedule_text(const char *arg);
/* Whether text parses as a schedule, or as quiet hours (schedule.h); if
 * not, why says what is wrong with it. */
bool cs_cli_schedule_valid(const char *text, bool quiet_hours, char *why, size_t whylen);

/* The target arguments of scan-like commands (scan, vuln). */
struct cs_cli_target_args {
    const char **targets, **excludes;
    size_t ntargets, nexcludes;
    const char *ports; /* for targets without their own, e.g. "443" */
    const char *sni;
    const char *dns_servers;
    unsigned dns_timeout_ms;
    bool allow_large;
};

/* Parses, resolves and plans a's targets into *plan (the caller frees it
 * with cs_plan_free). On failure prints "certsweep CMD: why" and returns
 * the exit status: 2 for what the user typed, 1 otherwise. */
struct cs_plan;
int cs_cli_plan(const char *cmd, const struct cs_cli_target_args *a, struct cs_plan **plan);

/* Raises the open-file limit as far as allowed and fits *concurrency into
 * it, keeping a few descriptors for output, DNS and the event loop; warns
 * on stderr unless quiet. */
void cs_cli_fit_concurrency(const char *cmd, unsigned *concurrency, bool quiet);

/* A decimal number within [min, max]; false for anything else. */
bool cs_cli_parse_uint(const char *text, unsigned min, unsigned max, unsigned *out);

/* The inventory location: --db, else CERTSWEEP_DB, else
 * $XDG_DATA_HOME/certsweep/inventory.db (~/.local/share/... by default). */
void cs_cli_set_db(const char *location);
const char *cs_cli_db(void);

/* The configuration file: --config, else CERTSWEEP_CONFIG, else
 * $XDG_CONFIG_HOME/certsweep/certsweep.conf (config.h). --insecure-smtp
 * turns off the verification of the SMTP server's certificate. */
void cs_cli_set_config(const char *path);
void cs_cli_set_insecure_smtp(void);
const char *cs_cli_config_path(void);
/* The file the user named (--config, else CERTSWEEP_CONFIG); NULL for the
 * default, where a missing file is an empty configuration. */
const char *cs_cli_config_named(void);
/* Reads the configuration once per process and returns it, or prints
 * "certsweep CMD: why" and returns NULL. Released at exit by
 * cs_cli_config_release(). */
struct cs_config;
const struct cs_config *cs_cli_config(const char *cmd);
void cs_cli_config_release(void);

/* Delivers every message of the outbox that is due (outbox.h), printing
 * on stderr a line per message that failed and, when verbose or anything
 * happened, the totals. Returns an exit status: 0 when nothing failed. */
int cs_cli_deliver_outbox(const char *cmd, struct cs_store *store, bool verbose);

/* Opens the inventory, printing "certsweep CMD: why" on failure. */
struct cs_store *cs_cli_open_store(const char *cmd);

/* The exit status for a failed library call: 2 for CS_ERR_USAGE (and a
 * missing row), 1 otherwise. */
int cs_cli_exit_for(enum cs_rc rc);

#endif
