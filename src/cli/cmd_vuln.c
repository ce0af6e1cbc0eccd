/* certsweep vuln: check targets for weak protocols, suites, known TLS
 * vulnerabilities and certificate problems; one record per endpoint. */
#include "cli.h"
#include "log.h"
#include "output.h"
#include "progress.h"
#include "target.h"
#include "vulnscan.h"

#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct vuln_args {
    unsigned connect_timeout_ms;
    unsigned read_timeout_ms;
    unsigned concurrency;
    unsigned per_host;
    unsigned expiring_days;
    unsigned dns_timeout_ms;
    unsigned revocation_timeout_ms;
    unsigned rate;
    const char *ports;
    const char *sni;
    const char *ca_file;
    const char *checks;
    const char *format;
    const char *output;
    const char *dns_servers;
    bool quiet;
    bool revocation;
};

/* The numeric options: name, bounds and default in one place. */
static const struct number_option {
    const char *name;
    unsigned min, max, fallback;
    size_t offset;
} number_options[] = {
    {"connect-timeout", 1, 600000, 2000, offsetof(struct vuln_args, connect_timeout_ms)},
    {"read-timeout", 1, 600000, 5000, offsetof(struct vuln_args, read_timeout_ms)},
    {"concurrency", 1, 1000000, 1024, offsetof(struct vuln_args, concurrency)},
    {"per-host", 1, 1000, 5, offsetof(struct vuln_args, per_host)},
    {"expiring-days", 0, 36500, 30, offsetof(struct vuln_args, expiring_days)},
    {"dns-timeout", 1, 60000, 3000, offsetof(struct vuln_args, dns_timeout_ms)},
    {"revocation-timeout", 1, 600000, 10000, offsetof(struct vuln_args, revocation_timeout_ms)},
    {"rate", 0, 1000000, 0, offsetof(struct vuln_args, rate)},
};
#define NUMBER_OPTION_BASE 1000

enum {
    OPT_EXCLUDE = 256,
    OPT_SNI,
    OPT_FORMAT,
    OPT_CA_FILE,
    OPT_CHECKS,
    OPT_DNS_SERVER,
    OPT_REVOCATION
};

static const char vuln_help[] =
    "usage: certsweep vuln [OPTIONS] TARGET...\n"
    "\n"
    "Checks every endpoint of the targets for old protocols (SSLv2, SSLv3,\n"
    "TLS 1.0, TLS 1.1), weak cipher suites (NULL, anonymous, EXPORT, RC4, DES,\n"
    "3DES, MD5), Heartbleed, POODLE, a missing fallback SCSV, insecure\n"
    "renegotiation, TLS compression, and certificate problems (expired, not\n"
    "yet valid, expiring, weak signature or key, self-signed, untrusted or\n"
    "incomplete chain, host name mismatch). Probes are hand-built hellos: no\n"
    "handshake is completed and nothing is sent that could harm a server.\n"
    "With --revocation, whether the issuer revoked the certificate (OCSP, CRL).\n"
    "\n"
    "TARGET is as for 'certsweep scan' (address, CIDR, range, hostname, :PORTS,\n"
    "@FILE).\n"
    "\n"
    "options:\n"
    "  -p, --ports LIST           ports for targets without their own (default 443)\n"
    "      --exclude TARGET       never connect to these; repeatable\n"
    "      --sni NAME             SNI sent to address targets, and the name the\n"
    "                             certificate must match\n"
    "      --ca-file FILE         trust these CAs (PEM) instead of the system store\n"
    "      --checks LIST          comma-separated: protocols, ciphers, heartbleed,\n"
    "                             fallback, renegotiation, compression, certificate\n"
    "                             (default: all)\n"
    "      --expiring-days N      report certificates expiring within N days\n"
    "                             (default 30)\n"
    "      --revocation           also ask the OCSP responders and fetch the CRLs\n"
    "                             named in the certificates (http:// only): this\n"
    "                             calls out to those servers, so it is off by\n"
    "                             default\n"
    "      --revocation-timeout MS  deadline per OCSP request or CRL download\n"
    "                             (default 10000)\n"
    "      --connect-timeout MS   TCP connect deadline per probe (default 2000)\n"
    "      --read-timeout MS      deadline for each probe's answer (default 5000)\n"
    "      --per-host N           connections at once to one address (default 5)\n"
    "      --rate N               new connections per second in all (default 0:\n"
    "                             unlimited)\n"
    "      --concurrency N        connections at once in all (default 1024)\n"
    "      --format FORMAT        table, jsonl or csv (default: table on a\n"
    "                             terminal, jsonl otherwise)\n"
    "  -o, --output FILE          write there instead of standard output\n"
    "      --dns-server IP[:PORT] resolve hostnames with these servers\n"
    "      --dns-timeout MS       per DNS try (default 3000)\n"
    "  -q, --quiet                no progress line or summary\n"
    "  -v, --verbose              more diagnostics (twice for debug)\n"
    "  -h, --help                 this help\n"
    "\n"
    "Exit status: 0 when the scan ran, whatever it found; 2 on a usage error\n"
    "(nothing is sent); 1 on a runtime failure.\n";

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
    stop_requested = 1;
}

struct vuln_run {
    struct cs_output *out;
    bool progress;
    uint64_t endpoints, findings;
};

static void on_result(const struct cs_vuln_result *r, void *arg)
{
    struct vuln_run *run = arg;
    run->endpoints++;
    run->findings += r->findings->count;
    cs_output_write_vuln(run->out, r);
}

static void on_progress(uint64_t done, uint64_t total, double elapsed_s, void *arg)
{
    struct vuln_run *run = arg;
    if (run->progress)
        cs_progress_draw(done, total, elapsed_s);
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "certsweep vuln: %s\n", msg);
    return CS_EXIT_USAGE;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cs_cmd_vuln(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"ports", required_argument, NULL, 'p'},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"sni", required_argument, NULL, OPT_SNI},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"checks", required_argument, NULL, OPT_CHECKS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"dns-server", required_argument, NULL, OPT_DNS_SERVER},
        {"revocation", no_argument, NULL, OPT_REVOCATION},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"connect-timeout", required_argument, NULL, NUMBER_OPTION_BASE + 0},
        {"read-timeout", required_argument, NULL, NUMBER_OPTION_BASE + 1},
        {"concurrency", required_argument, NULL, NUMBER_OPTION_BASE + 2},
        {"per-host", required_argument, NULL, NUMBER_OPTION_BASE + 3},
        {"expiring-days", required_argument, NULL, NUMBER_OPTION_BASE + 4},
        {"dns-timeout", required_argument, NULL, NUMBER_OPTION_BASE + 5},
        {"revocation-timeout", required_argument, NULL, NUMBER_OPTION_BASE + 6},
        {"rate", required_argument, NULL, NUMBER_OPTION_BASE + 7},
        {NULL, 0, NULL, 0},
    };
    struct vuln_args a = {.ports = "443"};
    const char **exclude_args = calloc((size_t)argc + 1, sizeof(char *));
    size_t nexcludes = 0;
    struct cs_plan *plan = NULL;
    struct vuln_run run = {0};
    enum cs_format format;
    unsigned checks = CS_VCHECK_ALL;
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
            fputs(vuln_help, stdout);
            status = CS_EXIT_OK;
            goto out;
        case OPT_EXCLUDE:
            exclude_args[nexcludes++] = optarg;
            break;
        case OPT_SNI:
            a.sni = optarg;
            break;
        case OPT_CA_FILE:
            a.ca_file = optarg;
            break;
        case OPT_CHECKS:
            a.checks = optarg;
            break;
        case OPT_FORMAT:
            a.format = optarg;
            break;
        case OPT_DNS_SERVER:
            a.dns_servers = optarg;
            break;
        case OPT_REVOCATION:
            a.revocation = true;
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
                break;
            }
            fprintf(stderr, "Try 'certsweep vuln --help'.\n");
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
    if (a.checks != NULL && cs_vcheck_parse_list(a.checks, &checks, err, sizeof(err)) != CS_OK) {
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
    };
    status = cs_cli_plan("vuln", &ta, &plan);
    if (status != CS_EXIT_OK)
        goto out;

    status = CS_EXIT_RUNTIME;
    cs_cli_fit_concurrency("vuln", &a.concurrency, a.quiet);
    if (cs_output_open_vuln(format, a.output, &run.out, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep vuln: %s\n", err);
        goto out;
    }
    run.progress = !a.quiet && isatty(STDERR_FILENO) && !(format == CS_FORMAT_TABLE && !a.output);
    for (size_t i = 0; i < plan->nunresolved; i++)
        fprintf(stderr, "certsweep vuln: %s: %s\n", plan->unresolved[i].host,
                plan->unresolved[i].dns_error);

    struct cs_vuln_opts vopts = {
        .connect_timeout_ms = a.connect_timeout_ms,
        .read_timeout_ms = a.read_timeout_ms,
        .concurrency = a.concurrency,
        .per_host = a.per_host,
        .checks = checks,
        .cert = {.ca_file = a.ca_file, .expiring_days = (int)a.expiring_days},
        .revocation = a.revocation,
        .revocation_timeout_ms = a.revocation_timeout_ms,
        .rate = a.rate,
        .stop = &stop_requested,
    };
    /* Ctrl-C ends the scan cleanly: no half-written -o file is left. */
    struct sigaction sa = {.sa_handler = request_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct cs_vuln_callbacks cbs = {
        .on_result = on_result,
        .on_progress = on_progress,
        .progress_interval_ms = run.progress ? 250 : 0,
        .arg = &run,
    };
    double t0 = now_seconds();
    enum cs_rc rc = cs_vuln_run(plan, &vopts, &cbs, err, sizeof(err));
    if (run.progress)
        cs_progress_clear();
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep vuln: %s%s%s%s\n", err, a.output ? "; " : "",
                a.output ? a.output : "", a.output ? " not written" : "");
        cs_output_close(&run.out, false, NULL, 0);
        status = rc == CS_ERR_INTERRUPTED ? 130 : cs_cli_exit_for(rc);
        goto out;
    }
    if (cs_output_close(&run.out, true, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep vuln: %s\n", err);
        goto out;
    }
    if (!a.quiet && (format != CS_FORMAT_TABLE || a.output))
        fprintf(stderr, "certsweep: %llu endpoints in %.2f s, %llu findings\n",
                (unsigned long long)run.endpoints, now_seconds() - t0,
                (unsigned long long)run.findings);
    status = CS_EXIT_OK;
out:
    cs_output_close(&run.out, false, NULL, 0);
    cs_plan_free(&plan);
    free(exclude_args);
    return status;
}
