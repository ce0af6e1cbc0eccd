/* certsweep serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] */
#include "cli.h"
#include "serve/serve.h"

#include <getopt.h>
#include <stdio.h>

static const char serve_help[] =
    "usage: certsweep [--db PATH|URL] [--config FILE] serve [OPTIONS]\n"
    "\n"
    "Runs the service: the schedules of every network (discovery, monitoring,\n"
    "vulnscan) and alert, quiet hours, the outbox, the REST API under /api/v1/,\n"
    "metrics at /metrics and the dashboard at /. Stops on SIGTERM or SIGINT\n"
    "once the running jobs have recorded what they have; SIGHUP reloads the\n"
    "configuration. See docs/service.md, docs/api.md and docs/dashboard.md.\n"
    "\n"
    "  --listen ADDR:PORT   where the API listens (default: [serve] listen, else\n"
    "                       127.0.0.1:8080; [::1]:8080 for IPv6). An address\n"
    "                       that is not loopback needs TLS and an API token\n"
    "  --tls-cert FILE      serve HTTPS with this PEM certificate chain\n"
    "  --tls-key FILE       and this PEM private key\n"
    "\n"
    "API tokens: 'certsweep token create NAME'.\n";

int cs_cmd_serve(int argc, char **argv)
{
    enum { OPT_LISTEN = 256, OPT_TLS_CERT, OPT_TLS_KEY };
    static const struct option long_options[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cs_serve_opts opts = {.db = cs_cli_db(), .config_path = cs_cli_config_named()};
    char err[CS_ERRLEN];
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_LISTEN:
            opts.listen = optarg;
            break;
        case OPT_TLS_CERT:
            opts.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            opts.tls_key = optarg;
            break;
        case 'h':
            fputs(serve_help, stdout);
            return CS_EXIT_OK;
        default:
            return CS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "certsweep serve: unexpected '%s'; try 'certsweep serve --help'\n",
                argv[optind]);
        return CS_EXIT_USAGE;
    }
    enum cs_rc rc = cs_serve_run(&opts, err, sizeof(err));
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep serve: %s\n", err);
        return cs_cli_exit_for(rc);
    }
    return CS_EXIT_OK;
}
