/* certsweep discover|monitor NETWORK, jobs [NETWORK], report JOB_ID */
#include "cli.h"
#include "job.h"
#include "progress.h"
#include "report.h"
#include "store.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested, pause_requested;

static void request_stop(int sig)
{
    stop_requested = 1;
}

/* `certsweep serve` pauses a job in its network's quiet hours. */
static void request_pause(int sig)
{
    pause_requested = sig == SIGUSR1;
}

static void draw_progress(uint64_t done, uint64_t total, double elapsed_s, void *arg)
{
    cs_progress_draw(done, total, elapsed_s);
}

static int run_job(int argc, char **argv, enum cs_job_kind kind)
{
    static const struct option long_options[] = {
        {"format", required_argument, NULL, 'f'},
        {"dns-server", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = cs_job_kind_name(kind)[0] == 'd' ? "discover" : "monitor";
    enum cs_report_format format = CS_REPORT_TEXT;
    struct cs_job_opts opts = {.stop = &stop_requested, .pause = &pause_requested};
    struct cs_store *store = NULL;
    cJSON *report = NULL;
    char err[CS_ERRLEN];
    bool quiet = false;
    int opt, status;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", long_options, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (!cs_report_format_parse(optarg, &format)) {
                fprintf(stderr,
                        "certsweep %s: invalid --format '%s': expected text, json or html\n", cmd,
                        optarg);
                return CS_EXIT_USAGE;
            }
            break;
        case 'd':
            opts.dns_servers = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            printf("usage: certsweep %s NETWORK [--format text|json|html] [-q]%s\n\n%s\n", cmd,
                   kind == CS_JOB_DISCOVERY ? " [--dns-server IP[:PORT]]" : "",
                   kind == CS_JOB_DISCOVERY
                       ? "Scans every endpoint of the network, records what answered in the\n"
                         "inventory and prints the discovery report. The network's --alert-to\n"
                         "get it by email; with a [syslog] section, syslog gets a summary."
                       : "Re-probes the network's monitored endpoints and prints the monitoring\n"
                         "report: endpoints that no longer return a certificate, and those\n"
                         "whose certificate changed. The network's --alert-to get it by email;\n"
                         "with a [syslog] section, syslog gets a summary and one message per\n"
                         "monitored endpoint that lost its certificate.");
            return CS_EXIT_OK;
        default:
            return CS_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "certsweep %s: expected one network name; try 'certsweep %s --help'\n", cmd,
                cmd);
        return CS_EXIT_USAGE;
    }
    /* A bad configuration stops the job before it starts, not after. */
    if ((opts.config = cs_cli_config(cmd)) == NULL)
        return CS_EXIT_USAGE;
    if ((store = cs_cli_open_store(cmd)) == NULL)
        return CS_EXIT_RUNTIME;
    if (!quiet && isatty(STDERR_FILENO)) {
        opts.on_progress = draw_progress;
    }
    struct sigaction sa = {.sa_handler = request_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = request_pause;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    enum cs_rc rc = cs_job_run(store, argv[optind], kind, &opts, &report, err, sizeof(err));
    if (opts.on_progress)
        cs_progress_clear();
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
        status = rc == CS_ERR_INTERRUPTED ? 130 : cs_cli_exit_for(rc);
    } else if (cs_report_render(report, format, stdout, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
        status = CS_EXIT_RUNTIME;
    } else {
        status = CS_EXIT_OK;
    }
    /* The job's messages are queued whatever happens next; delivering them
     * is best effort here, and failures stay in the outbox for later runs. */
    if (rc == CS_OK)
        cs_cli_deliver_outbox(cmd, store, false);
    cJSON_Delete(report);
    cs_store_close(&store);
    return status;
}

int cs_cmd_discover(int argc, char **argv)
{
    return run_job(argc, argv, CS_JOB_DISCOVERY);
}

int cs_cmd_monitor(int argc, char **argv)
{
    return run_job(argc, argv, CS_JOB_MONITORING);
}

static void print_job(const struct cs_job *j, void *arg)
{
    char started[21] = "-", finished[21] = "-";
    if (j->started_at)
        cs_store_format_time(j->started_at, started);
    if (j->finished_at)
        cs_store_format_time(j->finished_at, finished);
    printf("%-6lld %-16s %-10s %-11s %-20s %-20s %9llu %9llu\n", (long long)j->id,
           j->network_name ? j->network_name : "?", cs_job_kind_name(j->kind),
           cs_job_state_name(j->state), started, finished, (unsigned long long)j->endpoints_scanned,
           (unsigned long long)j->counts[CS_STATUS_CERTIFICATE_FOUND]);
    (void)arg;
}

int cs_cmd_jobs(int argc, char **argv)
{
    struct cs_store *store;
    struct cs_network net = {0};
    char err[CS_ERRLEN];
    enum cs_rc rc = CS_OK;
    int64_t network_id = 0;

    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fputs(argc == 2 && strcmp(argv[1], "--help") == 0
                  ? "usage: certsweep jobs [NETWORK]\n\nLists past jobs, newest first.\n"
                  : "usage: certsweep jobs [NETWORK]\n",
              argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? CS_EXIT_OK : CS_EXIT_USAGE;
    }
    if ((store = cs_cli_open_store("jobs")) == NULL)
        return CS_EXIT_RUNTIME;
    if (argc == 2 && (rc = cs_store_network_get(store, argv[1], &net, err, sizeof(err))) == CS_OK)
        network_id = net.id;
    if (rc == CS_OK) {
        printf("%-6s %-16s %-10s %-11s %-20s %-20s %9s %9s\n", "ID", "NETWORK", "KIND", "STATE",
               "STARTED", "FINISHED", "ENDPOINTS", "CERTS");
        rc = cs_store_job_list(store, network_id, print_job, NULL, err, sizeof(err));
    }
    if (rc != CS_OK)
        fprintf(stderr, "certsweep jobs: %s\n", err);
    cs_network_clear(&net);
    cs_store_close(&store);
    return rc == CS_OK ? CS_EXIT_OK : cs_cli_exit_for(rc);
}

int cs_cmd_report(int argc, char **argv)
{
    enum cs_report_format format = CS_REPORT_TEXT;
    struct cs_store *store;
    struct cs_job job = {0};
    char err[CS_ERRLEN], *end;
    const char *id_text = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (!cs_report_format_parse(argv[++i], &format)) {
                fprintf(stderr,
                        "certsweep report: invalid --format '%s': expected text, json "
                        "or html\n",
                        argv[i]);
                return CS_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: certsweep report JOB_ID [--format text|json|html]\n");
            return CS_EXIT_OK;
        } else if (id_text == NULL) {
            id_text = argv[i];
        } else {
            fprintf(stderr, "certsweep report: unexpected '%s'\n", argv[i]);
            return CS_EXIT_USAGE;
        }
    }
    long long id = id_text ? strtoll(id_text, &end, 10) : 0;
    if (id_text == NULL || *end != '\0' || id <= 0) {
        fprintf(stderr, "certsweep report: expected a job id (see 'certsweep jobs')\n");
        return CS_EXIT_USAGE;
    }
    if ((store = cs_cli_open_store("report")) == NULL)
        return CS_EXIT_RUNTIME;
    enum cs_rc rc = cs_store_job_get(store, id, &job, err, sizeof(err));
    cJSON *report = NULL;
    if (rc == CS_OK && (job.report_json == NULL || !(report = cJSON_Parse(job.report_json))))
        rc = cs_fail(err, sizeof(err), CS_ERR_USAGE, "job %lld has no report (it is %s)", id,
                     cs_job_state_name(job.state));
    if (rc == CS_OK)
        rc = cs_report_render(report, format, stdout, err, sizeof(err));
    if (rc != CS_OK)
        fprintf(stderr, "certsweep report: %s\n", err);
    cJSON_Delete(report);
    cs_job_clear(&job);
    cs_store_close(&store);
    return rc == CS_OK ? CS_EXIT_OK : cs_cli_exit_for(rc);
}
