/*
 * certsweep test-email ADDRESS..., test-syslog [MESSAGE] and test-channel
 * NAME: one message through a channel, straight away and not through the
 * outbox, to check the [smtp], [syslog], [ticketing.*] or [webhook.*]
 * settings.
 */
#include "cli.h"
#include "config.h"
#include "notify.h"
#include "notify_smtp.h"
#include "store.h"
#include "webhook.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Parses --help, the only option of both commands: -1 to go on, else the
 * exit status. */
static int parse_help(int argc, char **argv, const char *usage)
{
    static const struct option long_options[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (opt != 'h')
            return CS_EXIT_USAGE;
        printf("%s", usage);
        return CS_EXIT_OK;
    }
    return -1;
}

/* "test-<epoch>-<pid>": a key no outbox message has, new for every run. */
static void test_key(char *buf, size_t len)
{
    snprintf(buf, len, "test-%lld-%ld", (long long)time(NULL), (long)getpid());
}

static const char *config_name(const struct cs_config *cfg)
{
    return cfg->path ? cfg->path : "(no configuration file)";
}

static char *html_escaped(const char *text)
{
    size_t n = strlen(text) * 6 + 1;
    char *out = malloc(n), *p = out;

    if (out == NULL)
        return NULL;
    for (; *text; text++) {
        switch (*text) {
        case '&':
            p += sprintf(p, "&amp;");
            break;
        case '<':
            p += sprintf(p, "&lt;");
            break;
        case '>':
            p += sprintf(p, "&gt;");
            break;
        case '"':
            p += sprintf(p, "&quot;");
            break;
        default:
            *p++ = *text;
        }
    }
    *p = '\0';
    return out;
}

/* Opens a session of the channel called name (store: for ticket
 * channels): NULL after saying why (a configuration without the channel's
 * section), with the exit status in *status. */
static struct cs_channel_session *open_channel(const char *cmd,
                                               const struct cs_channel_ops *channel,
                                               const char *name, struct cs_store *store,
                                               const struct cs_config *cfg, int *status)
{
    struct cs_channel_session *session = NULL;
    char err[CS_ERRLEN];
    enum cs_rc rc = channel->open(cfg, name, store, &session, err, sizeof(err));

    if (rc != CS_OK) {
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
        *status = cs_cli_exit_for(rc);
        return NULL;
    }
    return session;
}

/* Sends payload through session and closes it; prints why on failure.
 * Returns the exit status. */
static int send_and_close(const char *cmd, const struct cs_channel_ops *channel,
                          struct cs_channel_session **session, const cJSON *payload)
{
    char key[64], err[CS_ERRLEN];
    enum cs_rc rc;

    test_key(key, sizeof(key));
    unsigned retry_after_s = 0;
    rc = channel->send(*session, key, payload, &retry_after_s, err, sizeof(err));
    channel->close(session);
    if (rc != CS_OK) { /* a rate limit says so, and how long, in err */
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
        return cs_cli_exit_for(rc);
    }
    return CS_EXIT_OK;
}

int cs_cmd_test_email(int argc, char **argv)
{
    const struct cs_config *cfg;
    struct cs_channel_session *session = NULL;
    cJSON *payload = NULL;
    char host[256] = "this host", url[256], text[2048];
    char *html = NULL, *html_text = NULL;
    int status;

    if ((status = parse_help(argc, argv,
                             "usage: certsweep test-email ADDRESS...\n\n"
                             "Sends a test message to each ADDRESS with the [smtp] settings of\n"
                             "the configuration file, at once and not through the outbox, and\n"
                             "says whether the server took it.\n")) >= 0)
        return status;
    if (optind >= argc) {
        fprintf(stderr, "certsweep test-email: expected at least one address; try "
                        "'certsweep test-email --help'\n");
        return CS_EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (!cs_email_address_valid(argv[i])) {
            fprintf(stderr,
                    "certsweep test-email: '%s' is not a plain address such as "
                    "someone@example.com\n",
                    argv[i]);
            return CS_EXIT_USAGE;
        }
    }
    if ((cfg = cs_cli_config("test-email")) == NULL)
        return CS_EXIT_USAGE;
    if ((session = open_channel("test-email", &cs_channel_email, "email", NULL, cfg, &status)) ==
        NULL)
        return status;

    cs_smtp_url_redacted(cfg->smtp.url, url, sizeof(url));
    gethostname(host, sizeof(host) - 1);
    snprintf(text, sizeof(text),
             "This is a test message from certsweep on %s.\n"
             "\n"
             "It was sent with the [smtp] settings of %s:\n"
             "server %s (%s), sender %s%s%s.\n"
             "\n"
             "If you can read it, certsweep's notifications by email reach you.\n",
             host, config_name(cfg), url,
             strncmp(cfg->smtp.url, "smtps://", 8) == 0 ? "TLS"
             : cfg->smtp.starttls                       ? "STARTTLS required"
                                                        : "no TLS",
             cfg->smtp.from, cfg->smtp.username ? ", user " : "",
             cfg->smtp.username ? cfg->smtp.username : "");
    status = CS_EXIT_RUNTIME;
    if ((html_text = html_escaped(text)) == NULL ||
        (html = malloc(strlen(html_text) + 64)) == NULL) {
        fprintf(stderr, "certsweep test-email: out of memory\n");
        goto out;
    }
    sprintf(html, "<html><body><pre>%s</pre></body></html>\n", html_text);

    /* The addresses, space-separated, as an outbox email has them. */
    size_t len = 1;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *addresses = calloc(1, len);
    for (int i = optind; addresses != NULL && i < argc; i++)
        strcat(strcat(addresses, i > optind ? " " : ""), argv[i]);
    payload =
        addresses ? cs_email_payload_new(addresses, "certsweep test message", text, html) : NULL;
    free(addresses);
    if (payload == NULL) {
        fprintf(stderr, "certsweep test-email: out of memory\n");
        goto out;
    }
    status = send_and_close("test-email", &cs_channel_email, &session, payload);
    if (status == CS_EXIT_OK) {
        printf("sent to ");
        for (int i = optind; i < argc; i++)
            printf("%s%s", i > optind ? ", " : "", argv[i]);
        printf(" via %s\n", url);
    }
out:
    cs_channel_email.close(&session);
    cJSON_Delete(payload);
    free(html);
    free(html_text);
    return status;
}

int cs_cmd_test_syslog(int argc, char **argv)
{
    const struct cs_config *cfg;
    struct cs_channel_session *session = NULL;
    cJSON *payload = NULL;
    char host[256] = "this host", text[512];
    int status;

    if ((status = parse_help(argc, argv,
                             "usage: certsweep test-syslog [MESSAGE]\n\n"
                             "Sends one notice-severity message (MSGID test) with the [syslog]\n"
                             "settings of the configuration file, at once and not through the\n"
                             "outbox. Over UDP a message that nobody receives may still count\n"
                             "as sent.\n")) >= 0)
        return status;
    if (argc - optind > 1) {
        fprintf(stderr, "certsweep test-syslog: expected at most one message (quote it); try "
                        "'certsweep test-syslog --help'\n");
        return CS_EXIT_USAGE;
    }
    if ((cfg = cs_cli_config("test-syslog")) == NULL)
        return CS_EXIT_USAGE;
    if ((session = open_channel("test-syslog", &cs_channel_syslog, "syslog", NULL, cfg, &status)) ==
        NULL)
        return status;

    gethostname(host, sizeof(host) - 1);
    if (optind < argc)
        snprintf(text, sizeof(text), "%s", argv[optind]);
    else
        snprintf(text, sizeof(text), "certsweep test message from %s", host);
    status = CS_EXIT_RUNTIME;
    payload = cs_syslog_payload_new(CS_SYSLOG_NOTICE, "test", time(NULL), "certsweep@32473", text);
    if (payload == NULL || !cs_syslog_payload_param(payload, "config", config_name(cfg))) {
        fprintf(stderr, "certsweep test-syslog: out of memory\n");
        goto out;
    }
    status = send_and_close("test-syslog", &cs_channel_syslog, &session, payload);
    if (status == CS_EXIT_OK)
        printf("sent to %s%s\n", cfg->syslog.target,
               cfg->syslog.transport == CS_SYSLOG_UDP ? " (UDP: delivery is not confirmed)" : "");
out:
    cs_channel_syslog.close(&session);
    cJSON_Delete(payload);
    return status;
}

/* The ticket of key in channel as the store has it: id 0 when none. */
static void current_ticket(struct cs_store *store, const char *channel, const char *key,
                           struct cs_ticket_row *out)
{
    char err[CS_ERRLEN];
    memset(out, 0, sizeof(*out));
    if (cs_store_ticket_get(store, channel, key, out, err, sizeof(err)) != CS_OK) {
        cs_ticket_row_clear(out);
        memset(out, 0, sizeof(*out));
    }
}

int cs_cmd_test_channel(int argc, char **argv)
{
    static const char usage[] =
        "usage: certsweep test-channel NAME [--resolve] [--key KEY]\n\n"
        "Sends a test event through a [ticketing.NAME] or [webhook.NAME] section\n"
        "(NAME as 'ticketing.sdp', or just 'sdp' when only one section has it),\n"
        "at once and not through the outbox, and prints what the system did: a\n"
        "ticketing channel opens a test ticket (a second run adds a note to it);\n"
        "--resolve closes it again; a webhook gets a trigger or a resolve event.\n"
        "--key names the problem (default test:NAME).\n";
    static const struct option long_options[] = {
        {"resolve", no_argument, NULL, 'r'},
        {"key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key_arg = NULL;
    bool resolve = false;
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (opt == 'r') {
            resolve = true;
        } else if (opt == 'k') {
            key_arg = optarg;
        } else if (opt == 'h') {
            fputs(usage, stdout);
            return CS_EXIT_OK;
        } else {
            return CS_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "certsweep test-channel: expected one channel name; try "
                        "'certsweep test-channel --help'\n");
        return CS_EXIT_USAGE;
    }
    const struct cs_config *cfg = cs_cli_config("test-channel");
    if (cfg == NULL)
        return CS_EXIT_USAGE;

    /* "sdp" stands for the one section of that name. */
    const char *arg = argv[optind], *name = NULL;
    const struct cs_remote_config *remote = NULL;
    for (size_t i = 0; i < cfg->nremotes; i++) {
        const struct cs_remote_config *r = &cfg->remotes[i];
        if (strcmp(r->channel, arg) == 0 || strcmp(r->name, arg) == 0) {
            if (remote != NULL && strcmp(r->channel, arg) != 0) {
                fprintf(stderr,
                        "certsweep test-channel: both [%s] and [%s] are called %s: give the "
                        "whole name\n",
                        remote->channel, r->channel, arg);
                return CS_EXIT_USAGE;
            }
            remote = r;
        }
    }
    if (remote == NULL) {
        if (strchr(arg, '.') != NULL)
            fprintf(stderr, "certsweep test-channel: no [%s] section in %s\n", arg,
                    config_name(cfg));
        else
            fprintf(stderr,
                    "certsweep test-channel: no [ticketing.%s] or [webhook.%s] section in %s\n",
                    arg, arg, config_name(cfg));
        return CS_EXIT_USAGE;
    }
    name = remote->channel;

    char key[256], host[256] = "this host", description[1024];
    snprintf(key, sizeof(key), "%s", key_arg ? key_arg : "");
    if (key_arg == NULL)
        snprintf(key, sizeof(key), "test:%s", name);
    gethostname(host, sizeof(host) - 1);
    snprintf(description, sizeof(description),
             "This is a test from certsweep running at %s, sent with the [%s] settings of "
             "%s.\nIt can be closed.",
             cfg->public_url ? cfg->public_url : host, name, config_name(cfg));

    struct cs_store *store = cs_cli_open_store("test-channel");
    if (store == NULL)
        return CS_EXIT_RUNTIME;
    int status;
    const struct cs_channel_ops *channel = cs_channel_find(name);
    struct cs_channel_session *session =
        open_channel("test-channel", channel, name, store, cfg, &status);
    cJSON *payload = cJSON_CreateObject();
    struct cs_ticket_row before, after;
    current_ticket(store, name, key, &before);
    if (session == NULL || payload == NULL) {
        status = session == NULL ? status : CS_EXIT_RUNTIME;
        goto out;
    }
    cJSON_AddStringToObject(payload, "action", resolve ? "resolve" : "raise");
    cJSON_AddStringToObject(payload, "key", key);
    cJSON_AddStringToObject(payload, "kind", "test");
    cJSON_AddStringToObject(payload, "subject", "certsweep test ticket");
    cJSON_AddStringToObject(payload, "description", description);
    cJSON_AddStringToObject(payload, "note",
                            resolve ? "certsweep test: resolved" : "certsweep test: raised again");
    cJSON_AddStringToObject(payload, "severity", "info");
    status = send_and_close("test-channel", channel, &session, payload);
    if (status != CS_EXIT_OK)
        goto out;
    current_ticket(store, name, key, &after);
    if (remote->is_webhook) {
        /* A Slack or Teams URL is its own credential: only its host. */
        char shown[256];
        cs_webhook_url_shown(remote->url, remote->type == CS_REMOTE_PAGERDUTY, shown,
                             sizeof(shown));
        printf("%s: %s event for %s delivered to %s\n", name, resolve ? "resolve" : "raise", key,
               shown);
    } else if (after.id == 0)
        printf("%s: no open ticket for %s: nothing to resolve\n", name, key);
    else if (resolve && after.state == CS_TICKET_CLOSED && before.state == CS_TICKET_OPEN &&
             before.id == after.id)
        printf("%s: ticket %s closed\n", name, after.remote_number);
    else if (resolve)
        printf("%s: no open ticket for %s: nothing to resolve\n", name, key);
    else if (before.id == after.id)
        printf("%s: ticket %s is open: note added\n", name, after.remote_number);
    else
        printf("%s: ticket %s opened\n", name, after.remote_number);
    cs_ticket_row_clear(&after);
out:
    cs_ticket_row_clear(&before);
    if (session != NULL)
        channel->close(&session);
    cJSON_Delete(payload);
    cs_store_close(&store);
    return status;
}
