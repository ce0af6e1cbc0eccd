/* certsweep vulnscan NETWORK, findings [--network NAME] [--severity S] [--all] */
#include "cli.h"
#include "listing.h"
#include "progress.h"
#include "report.h"
#include "store.h"
#include "vulncheck.h"
#include "vulnjob.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested, pause_requested;

static void request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* `certsweep serve` pauses a job in its network's quiet hours. */
static void request_pause(int sig)
{
    pause_requested = sig == SIGUSR1;
}

static void draw_progress(uint64_t done, uint64_t total, double elapsed_s, void *arg)
{
    (void)arg;
    cs_progress_draw(done, total, elapsed_s);
}

static const char vulnscan_help[] =
    "usage: certsweep vulnscan NETWORK [OPTIONS]\n"
    "\n"
    "Checks every endpoint of the network that returned a certificate at its\n"
    "last probe (run 'certsweep discover NETWORK' first) for old protocols,\n"
    "weak suites, Heartbleed, POODLE and certificate flaws, stores the\n"
    "findings and prints the report: findings new or back since the last\n"
    "scan, and those fixed. The network's --alert-to get the report by email,\n"
    "its --ticket channels one ticket per finding (closed once it is fixed),\n"
    "and with a [syslog] section syslog gets one message per new finding.\n"
    "\n"
    "  --checks LIST        comma-separated: protocols, ciphers, heartbleed,\n"
    "                       fallback, renegotiation, compression, certificate\n"
    "                       (default: all); findings of other checks stay as they are\n"
    "  --revocation         also ask OCSP responders and CRLs (calls out)\n"
    "  --ca-file FILE       trust these CAs (PEM) instead of the system store\n"
    "  --per-host N         connections at once to one address (default 5)\n"
    "  --concurrency N      connections at once in all (default 1024)\n"
    "  --format FMT         text (default), json or html\n"
    "  -q, --quiet          no progress line\n";

int cs_cmd_vulnscan(int argc, char **argv)
{
    enum {
        OPT_CHECKS = 256,
        OPT_REVOCATION,
        OPT_CA_FILE,
        OPT_PER_HOST,
        OPT_CONCURRENCY,
        OPT_RATE,
        OPT_FORMAT
    };
    static const struct option long_options[] = {
        {"checks", required_argument, NULL, OPT_CHECKS},
        {"revocation", no_argument, NULL, OPT_REVOCATION},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"per-host", required_argument, NULL, OPT_PER_HOST},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"rate", required_argument, NULL, OPT_RATE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cs_vulnjob_opts opts = {.stop = &stop_requested, .pause = &pause_requested};
    struct cs_vulnjob_summary summary = {0};
    enum cs_report_format format = CS_REPORT_TEXT;
    char err[CS_ERRLEN];
    bool quiet = false;
    int opt, status;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_CHECKS:
            if (cs_vcheck_parse_list(optarg, &opts.checks, err, sizeof(err)) != CS_OK) {
                fprintf(stderr, "certsweep vulnscan: --checks: %s\n", err);
                return CS_EXIT_USAGE;
            }
            break;
        case OPT_REVOCATION:
            opts.revocation = true;
            break;
        case OPT_CA_FILE:
            opts.ca_file = optarg;
            break;
        case OPT_PER_HOST:
        case OPT_CONCURRENCY:
            if (!cs_cli_parse_uint(optarg, 1, opt == OPT_PER_HOST ? 1000 : 1000000,
                                   opt == OPT_PER_HOST ? &opts.per_host : &opts.concurrency)) {
                fprintf(stderr, "certsweep vulnscan: invalid --%s '%s'\n",
                        opt == OPT_PER_HOST ? "per-host" : "concurrency", optarg);
                return CS_EXIT_USAGE;
            }
            break;
        case OPT_RATE:
            if (!cs_cli_parse_uint(optarg, 0, 1000000, &opts.rate)) {
                fprintf(stderr, "certsweep vulnscan: invalid --rate '%s'\n", optarg);
                return CS_EXIT_USAGE;
            }
            break;
        case OPT_FORMAT:
            if (!cs_report_format_parse(optarg, &format)) {
                fprintf(stderr,
                        "certsweep vulnscan: invalid --format '%s': expected text, json or html\n",
                        optarg);
                return CS_EXIT_USAGE;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(vulnscan_help, stdout);
            return CS_EXIT_OK;
        default:
            return CS_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs("certsweep vulnscan: expected one network name; try 'certsweep vulnscan --help'\n",
              stderr);
        return CS_EXIT_USAGE;
    }
    unsigned concurrency = opts.concurrency ? opts.concurrency : 1024;
    cs_cli_fit_concurrency("vulnscan", &concurrency, quiet);
    opts.concurrency = concurrency;
    if ((opts.config = cs_cli_config("vulnscan")) == NULL)
        return CS_EXIT_USAGE;
    struct cs_store *store = cs_cli_open_store("vulnscan");
    if (store == NULL)
        return CS_EXIT_RUNTIME;
    if (!quiet && isatty(STDERR_FILENO))
        opts.on_progress = draw_progress;
    struct sigaction sa = {.sa_handler = request_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = request_pause;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    enum cs_rc rc = cs_vulnjob_run(store, argv[optind], &opts, &summary, err, sizeof(err));
    if (opts.on_progress)
        cs_progress_clear();
    cJSON *report = summary.report_json ? cJSON_Parse(summary.report_json) : NULL;
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep vulnscan: %s\n", err);
        status = rc == CS_ERR_INTERRUPTED ? 130 : cs_cli_exit_for(rc);
    } else if (report == NULL) {
        fputs("certsweep vulnscan: out of memory reading the report\n", stderr);
        status = CS_EXIT_RUNTIME;
    } else if (cs_report_render(report, format, stdout, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep vulnscan: %s\n", err);
        status = CS_EXIT_RUNTIME;
    } else {
        status = CS_EXIT_OK;
    }
    /* The messages are queued whatever happens next; delivering them is
     * best effort here, and failures stay in the outbox for later runs. */
    if (rc == CS_OK)
        cs_cli_deliver_outbox("vulnscan", store, false);
    cJSON_Delete(report);
    cs_vulnjob_summary_clear(&summary);
    cs_store_close(&store);
    return status;
}

/* ---- findings --------------------------------------------------------------- */

static const struct cs_column finding_cols[] = {
    {"severity", 8},  {"check", 22}, {"network", 12},    {"ip", 16},
    {"port", 5},      {"sni", 16},   {"first_seen", 20}, {"last_seen", 20},
    {"fixed_at", 20}, {"cve", 14},   {"detail", 0},
};

static void print_finding(const struct cs_finding_row *f, void *arg)
{
    char port[8], first[21], last[21], fixed[21];
    snprintf(port, sizeof(port), "%u", f->port);
    cs_store_format_time(f->first_seen, first);
    cs_store_format_time(f->last_seen, last);
    if (f->fixed_at)
        cs_store_format_time(f->fixed_at, fixed);
    const char *values[] = {
        cs_severity_name(f->severity),
        f->check_id,
        f->network_name,
        f->ip,
        port,
        f->sni && f->sni[0] ? f->sni : NULL,
        first,
        last,
        f->fixed_at ? fixed : NULL,
        f->cve,
        f->detail && f->detail[0] ? f->detail : NULL,
    };
    cs_listing_emit(arg, values);
}

int cs_cmd_findings(int argc, char **argv)
{
    struct cs_listing l = {.format = cs_listing_default_format(),
                           .cols = finding_cols,
                           .ncols = sizeof(finding_cols) / sizeof(finding_cols[0])};
    struct cs_finding_filter filter = {.min_severity = CS_SEVERITY_INFO};
    struct cs_network net = {0};
    const char *network = NULL;
    char err[CS_ERRLEN];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--network") == 0 && i + 1 < argc) {
            network = argv[++i];
        } else if (strcmp(argv[i], "--severity") == 0 && i + 1 < argc) {
            if (!cs_severity_parse(argv[++i], &filter.min_severity)) {
                fprintf(stderr,
                        "certsweep findings: invalid --severity '%s': expected critical, high, "
                        "medium, low or info\n",
                        argv[i]);
                return CS_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--all") == 0) {
            filter.include_fixed = true;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (!cs_listing_parse_format(argv[++i], &l.format, "findings"))
                return CS_EXIT_USAGE;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: certsweep findings [--network NAME] [--severity S] [--all]\n"
                   "                          [--format table|jsonl|csv]\n\n"
                   "Lists the open findings of vulnerability scans (vulnscan), most severe\n"
                   "first. --severity S keeps S and above; --all adds the fixed ones.\n");
            return CS_EXIT_OK;
        } else {
            fprintf(stderr, "certsweep findings: unexpected '%s'; try --help\n", argv[i]);
            return CS_EXIT_USAGE;
        }
    }
    struct cs_store *s = cs_cli_open_store("findings");
    if (s == NULL)
        return CS_EXIT_RUNTIME;
    enum cs_rc rc = CS_OK;
    if (network != NULL && (rc = cs_store_network_get(s, network, &net, err, sizeof(err))) == CS_OK)
        filter.network_id = net.id;
    if (rc == CS_OK) {
        cs_listing_emit(&l, NULL);
        rc = cs_store_finding_list(s, &filter, print_finding, &l, err, sizeof(err));
    }
    if (rc != CS_OK)
        fprintf(stderr, "certsweep findings: %s\n", err);
    cs_network_clear(&net);
    cs_store_close(&s);
    return rc == CS_OK ? CS_EXIT_OK : cs_cli_exit_for(rc);
}
