/* certsweep: find and watch the TLS certificates of a network. */
#include "cli.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"scan", cs_cmd_scan, "probe targets and report every endpoint's status and certificate"},
    {"vuln", cs_cmd_vuln,
     "check targets for old protocols, weak suites, Heartbleed, bad certificates"},
    {"vulnscan", cs_cmd_vulnscan,
     "check a network's endpoints for vulnerabilities, store findings"},
    {"findings", cs_cmd_findings, "list the stored findings of vulnerability scans"},
    {"network", cs_cmd_network, "add, list, show, edit, remove, enable, disable networks"},
    {"discover", cs_cmd_discover, "scan a network into the inventory, print the discovery report"},
    {"monitor", cs_cmd_monitor, "re-probe a network's monitored endpoints, print the report"},
    {"jobs", cs_cmd_jobs, "list past jobs"},
    {"report", cs_cmd_report, "print a past job's report (text, json or html)"},
    {"endpoints", cs_cmd_endpoints, "list endpoints; endpoints monitor|unmonitor IP:PORT[/SNI]"},
    {"certs", cs_cmd_certs, "list the certificates endpoints present, by expiry"},
    {"alert", cs_cmd_alert, "expiration alerts: add, list, show, remove, run"},
    {"token", cs_cmd_token, "create, list, revoke the bearer tokens of the REST API"},
    {"outbox", cs_cmd_outbox, "messages waiting or failed; outbox send | retry ID"},
    {"serve", cs_cmd_serve, "run the service: schedules, REST API, metrics, dashboard"},
    {"config", cs_cmd_config, "config check: validate the configuration file"},
    {"test-email", cs_cmd_test_email, "send a test email to check the [smtp] setup"},
    {"test-syslog", cs_cmd_test_syslog, "send a test syslog message to check [syslog]"},
    {"test-channel", cs_cmd_test_channel, "send a test ticket or webhook event to check a channel"},
};

/* "--NAME VALUE" or "--NAME=VALUE" at argv[1]: returns the value (and
 * consumes the separate value word), NULL if argv[1] is not that option. */
static const char *global_value(int *argc, char ***argv, const char *name)
{
    size_t n = strlen(name);
    char *arg = (*argv)[1];

    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] != '\0' || *argc < 3)
        return NULL;
    (*argv)++;
    (*argc)--;
    return (*argv)[1];
}

static void usage(FILE *f)
{
    fprintf(f, "usage: certsweep [--db PATH|URL] [--config FILE] [--insecure-smtp] COMMAND ...\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n--db names the inventory: an SQLite file or postgresql://user@host/db\n"
               "(default: $CERTSWEEP_DB, else ~/.local/share/certsweep/inventory.db).\n"
               "--config names the configuration file (default: $CERTSWEEP_CONFIG, else\n"
               "~/.config/certsweep/certsweep.conf; see docs/config.md).\n"
               "--insecure-smtp accepts any certificate from the SMTP server.\n"
               "'certsweep COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    cs_log_init_from_env();
    /* Global options come before the command. */
    while (argc >= 2) {
        const char *value = NULL;
        if (strcmp(argv[1], "--insecure-smtp") == 0) {
            cs_cli_set_insecure_smtp();
        } else if ((value = global_value(&argc, &argv, "--db")) != NULL) {
            cs_cli_set_db(value);
        } else if ((value = global_value(&argc, &argv, "--config")) != NULL) {
            cs_cli_set_config(value);
        } else {
            break;
        }
        argv++;
        argc--;
    }
    if (argc < 2) {
        usage(stderr);
        return CS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("certsweep %s\n", CERTSWEEP_VERSION);
        return CS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            int status = commands[i].run(argc - 1, argv + 1);
            cs_cli_config_release();
            return status;
        }
    }
    fprintf(stderr, "certsweep: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CS_EXIT_USAGE;
}
