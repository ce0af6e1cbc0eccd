/* certsweep scan: probe targets, print one record per endpoint. */
#include "cli.h"
#include "log.h"
#include "output.h"
#include "probe.h"
#include "progress.h"
#include "target.h"

#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scan_args {
    unsigned connect_timeout_ms;
    unsigned download_timeout_ms;
    unsigned concurrency;
    unsigned rate;
    unsigned dns_timeout_ms;
    bool concurrency_given;
    const char *ports;
    const char *sni;
    const char *format;
    const char *output;
    const char *dns_servers;
    bool quiet;
    bool open_only;
    bool allow_large;
};

/* The numeric options: name, bounds and default in one place. */
static const struct number_option {
    const char *name;
    unsigned min, max, fallback;
    size_t offset;
} number_options[] = {
    {"connect-timeout", 1, 600000, 2000, offsetof(struct scan_args, connect_timeout_ms)},
    {"download-timeout", 1, 600000, 5000, offsetof(struct scan_args, download_timeout_ms)},
    {"concurrency", 1, 1000000, 8192, offsetof(struct scan_args, concurrency)},
    {"rate", 0, 10000000, 0, offsetof(struct scan_args, rate)},
    {"dns-timeout", 1, 60000, 3000, offsetof(struct scan_args, dns_timeout_ms)},
};
#define NUMBER_OPTION_BASE 1000

enum { OPT_EXCLUDE = 256, OPT_SNI, OPT_FORMAT, OPT_OPEN, OPT_ALLOW_LARGE, OPT_DNS_SERVER };

static const char scan_help[] =
    "usage: certsweep scan [OPTIONS] TARGET...\n"
    "\n"
    "Connects to every endpoint of the targets, fetches the certificate chain\n"
    "and reports one status per endpoint: timed_out_connecting,\n"
    "timed_out_downloading, connection_refused, host_unreachable, dns_failed,\n"
    "not_ssl, bad_ssl_handshake or certificate_found, with a finer reason.\n"
    "\n"
    "TARGET is an address (10.0.0.5, ::1, [::1]), a CIDR block (10.0.0.0/24,\n"
    "2001:db8::/120), a range (10.0.0.1-10.0.0.40) or a hostname (resolved to\n"
    "every A/AAAA address and sent as SNI), optionally followed by :PORTS\n"
    "(10.0.0.0/24:443,8443; [::1]:443). @FILE reads targets from FILE, one a\n"
    "line, '#' starts a comment.\n"
    "\n"
    "options:\n"
    "  -p, --ports LIST           ports for targets without their own, e.g.\n"
    "                             443,8443,9000-9010 (default 443)\n"
    "      --exclude TARGET       never connect to these; repeatable, same syntax\n"
    "      --sni NAME             SNI sent to address targets (default none)\n"
    "      --connect-timeout MS   TCP connect deadline (default 2000)\n"
    "      --download-timeout MS  deadline from TCP connected to certificate\n"
    "                             received (default 5000)\n"
    "      --concurrency N        connections in flight (default 8192, capped by\n"
    "                             the open-file limit)\n"
    "      --rate N               new connections per second (default 0 = no limit)\n"
    "      --format FORMAT        table, jsonl or csv (default: table on a\n"
    "                             terminal, jsonl otherwise)\n"
    "  -o, --output FILE          write there instead of standard output\n"
    "      --open                 report only endpoints that accepted a connection\n"
    "      --allow-large          allow ranges of more than 16M addresses\n"
    "      --dns-server IP[:PORT] resolve hostnames with these servers (comma-\n"
    "                             separated) instead of /etc/resolv.conf\n"
    "      --dns-timeout MS       per DNS try (default 3000)\n"
    "  -q, --quiet                no progress line, summary or warnings\n"
    "  -v, --verbose              more diagnostics (twice for debug)\n"
    "  -h, --help                 this help\n"
    "\n"
    "Exit status: 0 when the scan ran, whatever the endpoints answered;\n"
    "2 on a usage error (nothing is sent); 1 on a runtime failure.\n";

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
    stop_requested = 1;
}

struct scan_run {
    struct cs_output *out;
    bool open_only;
    bool progress;
    uint64_t counts[CS_STATUS_COUNT];
};

static void on_result(const struct cs_probe_result *r, void *arg)
{
    struct scan_run *run = arg;
    run->counts[r->status]++;
    if (run->open_only && !cs_status_accepted_tcp(r->status))
        return;
    cs_output_write(run->out, r);
}

static void on_progress(uint64_t done, uint64_t total, double elapsed_s, void *arg)
{
    struct scan_run *run = arg;
    if (run->progress)
        cs_progress_draw(done, total, elapsed_s);
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "certsweep scan: %s\n", msg);
    return CS_EXIT_USAGE;
}

static void print_summary(const struct scan_run *run, uint64_t total, double seconds)
{
    fprintf(stderr, "certsweep: %llu endpoints in %.2f s", (unsigned long long)total, seconds);
    const char *sep = ": ";
    for (int s = 0; s < CS_STATUS_COUNT; s++) {
        if (run->counts[s] == 0)
            continue;
        fprintf(stderr, "%s%s %llu", sep, cs_status_name(s), (unsigned long long)run->counts[s]);
        sep = ", ";
    }
    fputc('\n', stderr);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cs_cmd_scan(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"ports", required_argument, NULL, 'p'},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"sni", required_argument, NULL, OPT_SNI},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"open", no_argument, NULL, OPT_OPEN},
        {"allow-large", no_argument, NULL, OPT_ALLOW_LARGE},
        {"dns-server", required_argument, NULL, OPT_DNS_SERVER},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"connect-timeout", required_argument, NULL, NUMBER_OPTION_BASE + 0},
        {"download-timeout", required_argument, NULL, NUMBER_OPTION_BASE + 1},
        {"concurrency", required_argument, NULL, NUMBER_OPTION_BASE + 2},
        {"rate", required_argument, NULL, NUMBER_OPTION_BASE + 3},
        {"dns-timeout", required_argument, NULL, NUMBER_OPTION_BASE + 4},
        {NULL, 0, NULL, 0},
    };
    struct scan_args a = {.ports = "443"};
    const char **exclude_args = calloc((size_t)argc + 1, sizeof(char *));
    size_t nexcludes = 0;
    struct cs_plan *plan = NULL;
    struct scan_run run = {0};
    enum cs_format format;
    char err[CS_ERRLEN] = "";
    int status = CS_EXIT_USAGE;
    int opt;

    if (exclude_args == NULL)
        return CS_EXIT_RUNTIME;
    for (size_t i = 0; i < sizeof(number_options) / sizeof(number_options[0]); i++)
        *(unsigned *)((char *)&a + number_options[i].offset) = number_options[i].fallback;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "p:o:qvh", long_options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            a.ports = optarg;
            break;
        case 'o':
            a.output = optarg;
            break;
        case 'q':
            a.quiet = true;
            break;
        case 'v':
            if (cs_log_level < CS_LOG_DEBUG)
                cs_log_level++;
            break;
        case 'h':
            fputs(scan_help, stdout);
            status = CS_EXIT_OK;
            goto out;
        case OPT_EXCLUDE:
            exclude_args[nexcludes++] = optarg;
            break;
        case OPT_SNI:
            a.sni = optarg;
            break;
        case OPT_FORMAT:
            a.format = optarg;
            break;
        case OPT_OPEN:
            a.open_only = true;
            break;
        case OPT_ALLOW_LARGE:
            a.allow_large = true;
            break;
        case OPT_DNS_SERVER:
            a.dns_servers = optarg;
            break;
        default:
            if (opt >= NUMBER_OPTION_BASE) {
                const struct number_option *no = &number_options[opt - NUMBER_OPTION_BASE];
                if (!cs_cli_parse_uint(optarg, no->min, no->max,
                                       (unsigned *)((char *)&a + no->offset))) {
                    snprintf(err, sizeof(err), "invalid --%s '%s': expected a number %u-%u",
                             no->name, optarg, no->min, no->max);
                    status = usage_error(err);
                    goto out;
                }
                if (opt == NUMBER_OPTION_BASE + 2)
                    a.concurrency_given = true;
                break;
            }
            fprintf(stderr, "Try 'certsweep scan --help'.\n");
            goto out;
        }
    }

    /* Everything the user typed is checked before anything is sent. */
    if (a.format == NULL)
        format = isatty(a.output ? -1 : STDOUT_FILENO) ? CS_FORMAT_TABLE : CS_FORMAT_JSONL;
    else if (!cs_format_parse(a.format, &format)) {
        snprintf(err, sizeof(err), "invalid --format '%s': expected table, jsonl or csv", a.format);
        status = usage_error(err);
        goto out;
    }
    struct cs_cli_target_args ta = {
        .targets = (const char **)argv + optind,
        .ntargets = (size_t)(argc - optind),
        .excludes = exclude_args,
        .nexcludes = nexcludes,
        .ports = a.ports,
        .sni = a.sni,
        .dns_servers = a.dns_servers,
        .dns_timeout_ms = a.dns_timeout_ms,
        .allow_large = a.allow_large,
    };
    status = cs_cli_plan("scan", &ta, &plan);
    if (status != CS_EXIT_OK)
        goto out;
    status = CS_EXIT_RUNTIME;
    cs_cli_fit_concurrency("scan", &a.concurrency, a.quiet);
    if (cs_output_open(format, a.output, &run.out, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep scan: %s\n", err);
        goto out;
    }
    run.open_only = a.open_only;
    run.progress = !a.quiet && isatty(STDERR_FILENO) && !(format == CS_FORMAT_TABLE && !a.output);
    for (size_t i = 0; i < plan->nunresolved; i++) {
        const struct cs_unresolved *u = &plan->unresolved[i];
        struct cs_probe_result r = {.port = u->port,
                                    .sni = u->host,
                                    .status = CS_STATUS_DNS_FAILED,
                                    .reason = u->dns_error};
        run.counts[r.status]++;
        if (!run.open_only)
            cs_output_write(run.out, &r);
    }

    struct cs_scan_opts sopts = {
        .connect_timeout_ms = a.connect_timeout_ms,
        .download_timeout_ms = a.download_timeout_ms,
        .concurrency = a.concurrency,
        .rate = a.rate,
        .stop = &stop_requested,
    };
    /* Ctrl-C ends the scan cleanly: no half-written -o file is left. */
    struct sigaction sa = {.sa_handler = request_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct cs_scan_callbacks cbs = {
        .on_result = on_result,
        .on_progress = on_progress,
        .progress_interval_ms = run.progress ? 250 : 0,
        .arg = &run,
    };
    double t0 = now_seconds();
    enum cs_rc rc = cs_scan_run(plan, &sopts, &cbs, err, sizeof(err));
    if (run.progress)
        cs_progress_clear();
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep scan: %s%s%s%s\n", err, a.output ? "; " : "",
                a.output ? a.output : "", a.output ? " not written" : "");
        cs_output_close(&run.out, false, NULL, 0);
        status = rc == CS_ERR_INTERRUPTED ? 130 : CS_EXIT_RUNTIME;
        goto out;
    }
    if (cs_output_close(&run.out, true, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep scan: %s\n", err);
        goto out;
    }
    if (!a.quiet && (format != CS_FORMAT_TABLE || a.output))
        print_summary(&run, plan->total + plan->nunresolved, now_seconds() - t0);
    status = CS_EXIT_OK;
out:
    cs_output_close(&run.out, false, NULL, 0);
    cs_plan_free(&plan);
    free(exclude_args);
    return status;
}
