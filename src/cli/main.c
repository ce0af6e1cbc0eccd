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
};

static void usage(FILE *f)
{
    fprintf(f, "usage: certsweep COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'certsweep COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    cs_log_init_from_env();
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
