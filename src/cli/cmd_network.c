/* certsweep network add|list|show|edit|remove|enable|disable */
#include "cli.h"
#include "config.h"
#include "network.h"
#include "schedule.h"
#include "store.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char network_help[] =
    "usage: certsweep network add NAME --range TARGET... [OPTIONS]\n"
    "       certsweep network edit NAME [OPTIONS]\n"
    "       certsweep network list | show NAME | remove NAME | enable NAME | disable NAME\n"
    "\n"
    "A network is what discovery jobs scan. TARGETs use the syntax of\n"
    "'certsweep scan'; options that take several values take them up to the\n"
    "next option, and on edit replace the old values.\n"
    "\n"
    "options:\n"
    "  --range TARGET...         what to scan (required on add)\n"
    "  --exclude TARGET...       never connect to these\n"
    "  --ports LIST              ports for targets without their own (default 443)\n"
    "  --sni NAME...             SNI names sent to address targets (each is a probe)\n"
    "  --connect-timeout MS      default 2000\n"
    "  --download-timeout MS     default 5000\n"
    "  --expiry-days X           a certificate expiring within X days needs\n"
    "                            attention (default 30)\n"
    "  --alert-to EMAIL...       who gets the discovery and monitoring emails\n"
    "  --webhook NAME...         [webhook.NAME] sections of the config that get\n"
    "                            the job summaries\n"
    "  --ticket NAME...          [ticketing.NAME] sections of the config that get\n"
    "                            one ticket per vulnerability found by vulnscan\n"
    "  --auto-monitor            monitor every endpoint that returns a certificate\n"
    "  --no-auto-monitor         (edit) stop doing so\n"
    "  --revocation              its vulnscans also ask OCSP responders and CRLs\n"
    "  --no-revocation           (edit) stop doing so\n"
    "  --max-email-rows N        rows of each grid in reports (default 50)\n"
    "  --description TEXT\n"
    "\n"
    "schedules of 'certsweep serve' (local time; '' or none clears one):\n"
    "  --discover-every SPEC     how often to discover the network\n"
    "  --monitor-every SPEC      how often to monitor its monitored endpoints\n"
    "  --vulnscan-every SPEC     how often to scan it for vulnerabilities\n"
    "                            SPEC: an interval (30m, 6h, 1d, 2w) or a cron\n"
    "                            expression ('0 3 * * mon-fri')\n"
    "  --quiet-hours TEXT        when no job starts and a running one pauses:\n"
    "                            'mon-fri 08:00-18:00; sat,sun 00:00-24:00',\n"
    "                            'daily 22:00-06:00'\n";

enum opt_kind { OPT_LIST, OPT_TEXT, OPT_NUMBER, OPT_TRUE, OPT_FALSE, OPT_SCHEDULE, OPT_QUIET };

/* The options of add and edit, and where each lands in struct cs_network. */
static const struct net_option {
    const char *name;
    enum opt_kind kind;
    size_t offset;
} net_options[] = {
    {"--range", OPT_LIST, offsetof(struct cs_network, ranges)},
    {"--exclude", OPT_LIST, offsetof(struct cs_network, excludes)},
    {"--sni", OPT_LIST, offsetof(struct cs_network, snis)},
    {"--alert-to", OPT_LIST, offsetof(struct cs_network, alert_to)},
    {"--webhook", OPT_LIST, offsetof(struct cs_network, webhooks)},
    {"--ticket", OPT_LIST, offsetof(struct cs_network, tickets)},
    {"--ports", OPT_TEXT, offsetof(struct cs_network, ports)},
    {"--description", OPT_TEXT, offsetof(struct cs_network, description)},
    {"--connect-timeout", OPT_NUMBER, offsetof(struct cs_network, connect_timeout_ms)},
    {"--download-timeout", OPT_NUMBER, offsetof(struct cs_network, download_timeout_ms)},
    {"--expiry-days", OPT_NUMBER, offsetof(struct cs_network, expiry_days)},
    {"--max-email-rows", OPT_NUMBER, offsetof(struct cs_network, max_email_rows)},
    {"--auto-monitor", OPT_TRUE, offsetof(struct cs_network, auto_monitor)},
    {"--no-auto-monitor", OPT_FALSE, offsetof(struct cs_network, auto_monitor)},
    {"--revocation", OPT_TRUE, offsetof(struct cs_network, revocation)},
    {"--no-revocation", OPT_FALSE, offsetof(struct cs_network, revocation)},
    {"--discover-every", OPT_SCHEDULE, offsetof(struct cs_network, discover_every)},
    {"--monitor-every", OPT_SCHEDULE, offsetof(struct cs_network, monitor_every)},
    {"--vulnscan-every", OPT_SCHEDULE, offsetof(struct cs_network, vulnscan_every)},
    {"--quiet-hours", OPT_QUIET, offsetof(struct cs_network, quiet_hours)},
};

static int fail(const char *msg)
{
    fprintf(stderr, "certsweep network: %s\n", msg);
    return CS_EXIT_USAGE;
}

/* Joins argv[from..to) with spaces. */
static char *join(char **argv, int from, int to)
{
    size_t len = 1;
    for (int i = from; i < to; i++)
        len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    for (int i = from; s && i < to; i++) {
        if (i > from)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Every --webhook NAME must be a [webhook.NAME] of the configuration, and
 * every --ticket NAME a [ticketing.NAME], so that a typo is an error now
 * rather than events that wait for ever. */
static int check_channels(const char *names, bool is_webhook)
{
    const char *option = is_webhook ? "--webhook" : "--ticket";
    const char *section = is_webhook ? "webhook" : "ticketing";
    char msg[CS_ERRLEN], *list = strdup(names ? names : "");
    const struct cs_config *cfg = NULL;
    int status = 0;

    if (list == NULL)
        return fail("out of memory");
    for (char *save = NULL, *n = strtok_r(list, " ", &save); n && status == 0;
         n = strtok_r(NULL, " ", &save)) {
        if (cfg == NULL && (cfg = cs_cli_config("network")) == NULL) {
            status = CS_EXIT_USAGE;
        } else if (cs_config_remote(cfg, is_webhook, n) == NULL) {
            snprintf(msg, sizeof(msg), "%s %s: no [%s.%s] section in %s", option, n, section, n,
                     cs_cli_config_path());
            status = fail(msg);
        }
    }
    free(list);
    return status;
}

/* Applies the options in argv to net. Returns 0 or an exit status. */
static int apply_options(struct cs_network *net, int argc, char **argv)
{
    bool webhooks_given = false, tickets_given = false;
    char msg[CS_ERRLEN];
    for (int i = 0; i < argc;) {
        const struct net_option *o = NULL;
        for (size_t k = 0; k < sizeof(net_options) / sizeof(net_options[0]); k++)
            if (strcmp(argv[i], net_options[k].name) == 0)
                o = &net_options[k];
        if (o == NULL) {
            snprintf(msg, sizeof(msg), "unknown option '%s'; try 'certsweep network --help'",
                     argv[i]);
            return fail(msg);
        }
        char *field = (char *)net + o->offset;
        webhooks_given |= o->offset == offsetof(struct cs_network, webhooks);
        tickets_given |= o->offset == offsetof(struct cs_network, tickets);
        int end = i + 1;
        switch (o->kind) {
        case OPT_LIST:
            while (end < argc && strncmp(argv[end], "--", 2) != 0)
                end++;
            if (end == i + 1) {
                snprintf(msg, sizeof(msg), "%s needs at least one value", o->name);
                return fail(msg);
            }
            free(*(char **)field);
            *(char **)field = join(argv, i + 1, end);
            break;
        case OPT_SCHEDULE:
        case OPT_QUIET: {
            char why[CS_ERRLEN / 2];
            if (end >= argc) {
                snprintf(msg, sizeof(msg), "%s needs a value ('' or none to clear)", o->name);
                return fail(msg);
            }
            const char *value = cs_cli_schedule_text(argv[end++]);
            if (!cs_cli_schedule_valid(value, o->kind == OPT_QUIET, why, sizeof(why))) {
                snprintf(msg, sizeof(msg), "invalid %s '%s': %s", o->name, argv[i + 1], why);
                return fail(msg);
            }
            free(*(char **)field);
            *(char **)field = strdup(value);
            break;
        }
        case OPT_TEXT:
        case OPT_NUMBER:
            if (end >= argc) {
                snprintf(msg, sizeof(msg), "%s needs a value", o->name);
                return fail(msg);
            }
            end++;
            if (o->kind == OPT_TEXT) {
                free(*(char **)field);
                *(char **)field = strdup(argv[i + 1]);
            } else {
                char *stop;
                unsigned long v = strtoul(argv[i + 1], &stop, 10);
                if (argv[i + 1][0] < '0' || argv[i + 1][0] > '9' || *stop || v > 100000000) {
                    snprintf(msg, sizeof(msg), "invalid %s '%s': expected a number", o->name,
                             argv[i + 1]);
                    return fail(msg);
                }
                *(unsigned *)field = (unsigned)v;
            }
            break;
        case OPT_TRUE:
        case OPT_FALSE:
            *(bool *)field = o->kind == OPT_TRUE;
            break;
        }
        i = end;
    }
    /* Checked only when given: an edit of something else must not fail
     * because a section went away since. */
    int status = webhooks_given ? check_channels(net->webhooks, true) : 0;
    return status == 0 && tickets_given ? check_channels(net->tickets, false) : status;
}

/* Replaces NULL text fields by "" so that every field has a value. */
static bool fill_defaults(struct cs_network *net)
{
    char **texts[] = {&net->description,   &net->ranges,         &net->excludes,
                      &net->ports,         &net->snis,           &net->alert_to,
                      &net->webhooks,      &net->tickets,        &net->discover_every,
                      &net->monitor_every, &net->vulnscan_every, &net->quiet_hours};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (*texts[i] == NULL && (*texts[i] = strdup(i == 3 ? "443" : "")) == NULL)
            return false;
    return true;
}

static void print_network(const struct cs_network *n, void *arg)
{
    printf("%-16s %-8s %-7s %-12s %-30s %s\n", n->name, n->enabled ? "enabled" : "disabled",
           n->auto_monitor ? "yes" : "no", n->ports, n->ranges, n->description);
    (void)arg;
}

static void show_network(const struct cs_network *n)
{
    printf("name              %s\n", n->name);
    printf("description       %s\n", n->description);
    printf("state             %s\n", n->enabled ? "enabled" : "disabled");
    printf("ranges            %s\n", n->ranges);
    printf("excludes          %s\n", n->excludes);
    printf("ports             %s\n", n->ports);
    printf("sni               %s\n", n->snis);
    printf("connect timeout   %u ms\n", n->connect_timeout_ms);
    printf("download timeout  %u ms\n", n->download_timeout_ms);
    printf("expiry days       %u\n", n->expiry_days);
    printf("alert to          %s\n", n->alert_to);
    printf("webhooks          %s\n", n->webhooks);
    printf("tickets           %s\n", n->tickets);
    printf("auto monitor      %s\n", n->auto_monitor ? "yes" : "no");
    printf("revocation        %s\n", n->revocation ? "yes" : "no");
    printf("max email rows    %u\n", n->max_email_rows);
    printf("discover every    %s\n", n->discover_every[0] ? n->discover_every : "-");
    printf("monitor every     %s\n", n->monitor_every[0] ? n->monitor_every : "-");
    printf("vulnscan every    %s\n", n->vulnscan_every[0] ? n->vulnscan_every : "-");
    printf("quiet hours       %s\n", n->quiet_hours[0] ? n->quiet_hours : "-");
}

int cs_cmd_network(int argc, char **argv)
{
    struct cs_network net = {0};
    struct cs_store *store = NULL;
    char err[CS_ERRLEN];
    enum cs_rc rc = CS_OK;
    int status = CS_EXIT_USAGE;
    const char *sub = argc >= 2 ? argv[1] : NULL;
    const char *name = argc >= 3 ? argv[2] : NULL;

    if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(network_help, sub ? stdout : stderr);
        return sub ? CS_EXIT_OK : CS_EXIT_USAGE;
    }
    bool is_list = strcmp(sub, "list") == 0;
    if (!is_list && name == NULL)
        return fail("a network name is needed; try 'certsweep network --help'");

    if (strcmp(sub, "add") == 0) {
        net.name = strdup(name);
        net.connect_timeout_ms = CS_NETWORK_CONNECT_TIMEOUT_MS;
        net.download_timeout_ms = CS_NETWORK_DOWNLOAD_TIMEOUT_MS;
        net.expiry_days = CS_NETWORK_EXPIRY_DAYS;
        net.max_email_rows = CS_NETWORK_MAX_EMAIL_ROWS;
        net.enabled = true;
        if ((status = apply_options(&net, argc - 3, argv + 3)) != 0)
            goto out;
        status = CS_EXIT_USAGE;
        if (!fill_defaults(&net) || cs_network_validate(&net, err, sizeof(err)) != CS_OK) {
            fail(err);
            goto out;
        }
        if ((store = cs_cli_open_store("network")) == NULL) {
            status = CS_EXIT_RUNTIME;
            goto out;
        }
        rc = cs_store_network_add(store, &net, err, sizeof(err));
    } else if (is_list) {
        if ((store = cs_cli_open_store("network")) == NULL) {
            status = CS_EXIT_RUNTIME;
            goto out;
        }
        printf("%-16s %-8s %-7s %-12s %-30s %s\n", "NAME", "STATE", "MONITOR", "PORTS", "RANGES",
               "DESCRIPTION");
        rc = cs_store_network_list(store, print_network, NULL, err, sizeof(err));
    } else if (strcmp(sub, "show") == 0 || strcmp(sub, "edit") == 0 || strcmp(sub, "enable") == 0 ||
               strcmp(sub, "disable") == 0) {
        if ((store = cs_cli_open_store("network")) == NULL) {
            status = CS_EXIT_RUNTIME;
            goto out;
        }
        rc = cs_store_network_get(store, name, &net, err, sizeof(err));
        if (rc == CS_OK && strcmp(sub, "show") == 0) {
            show_network(&net);
        } else if (rc == CS_OK) {
            if (strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0)
                net.enabled = strcmp(sub, "enable") == 0;
            else if ((status = apply_options(&net, argc - 3, argv + 3)) != 0)
                goto out;
            status = CS_EXIT_USAGE;
            if (cs_network_validate(&net, err, sizeof(err)) != CS_OK) {
                fail(err);
                goto out;
            }
            rc = cs_store_network_update(store, &net, err, sizeof(err));
        }
    } else if (strcmp(sub, "remove") == 0) {
        if ((store = cs_cli_open_store("network")) == NULL) {
            status = CS_EXIT_RUNTIME;
            goto out;
        }
        rc = cs_store_network_remove(store, name, err, sizeof(err));
    } else {
        char msg[CS_ERRLEN];
        snprintf(msg, sizeof(msg), "unknown subcommand '%s'; try 'certsweep network --help'", sub);
        fail(msg);
        goto out;
    }
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep network: %s\n", err);
        status = cs_cli_exit_for(rc);
        goto out;
    }
    status = CS_EXIT_OK;
out:
    cs_store_close(&store);
    cs_network_clear(&net);
    return status;
}
