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
    {"network", cs_cmd_network, "add, list, show, edit, remove, enable, disable networks"},
    {"discover", cs_cmd_discover, "scan a network into the inventory, print the discovery report"},
    {"monitor", cs_cmd_monitor, "re-probe a network's monitored endpoints, print the report"},
    {"jobs", cs_cmd_jobs, "list past jobs"},
    {"report", cs_cmd_report, "print a past job's report (text, json or html)"},
    {"endpoints", cs_cmd_endpoints, "list endpoints; endpoints monitor|unmonitor IP:PORT[/SNI]"},
    {"certs", cs_cmd_certs, "list the certificates endpoints present, by expiry"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: certsweep [--db PATH|URL] COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n--db names the inventory: an SQLite file or postgresql://user@host/db\n"
               "(default: $CERTSWEEP_DB, else ~/.local/share/certsweep/inventory.db).\n"
               "'certsweep COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    cs_log_init_from_env();
    /* Global options come before the command. */
    while (argc >= 2 && strncmp(argv[1], "--db", 4) == 0) {
        if (argv[1][4] == '=') {
            cs_cli_set_db(argv[1] + 5);
        } else if (argv[1][4] == '\0' && argc >= 3) {
            cs_cli_set_db(argv[2]);
            argv++;
            argc--;
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
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "certsweep: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CS_EXIT_USAGE;
}
