/*
 * certsweep test-email ADDRESS... and test-syslog [MESSAGE]: one message
 * through a channel, straight away and not through the outbox, to check
 * the [smtp] or [syslog] settings.
 */
#include "cli.h"
#include "config.h"
#include "notify.h"
#include "notify_smtp.h"

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

/* Opens a session of channel: NULL after saying why (a configuration
 * without the channel's section), with the exit status in *status. */
static struct cs_channel_session *open_channel(const char *cmd,
                                               const struct cs_channel_ops *channel,
                                               const struct cs_config *cfg, int *status)
{
    struct cs_channel_session *session = NULL;
    char err[CS_ERRLEN];
    enum cs_rc rc = channel->open(cfg, channel->name, NULL, &session, err, sizeof(err));

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
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
        return cs_cli_exit_for(rc);
    }
    return CS_EXIT_OK;
}

int cs_cmd_test_email(int argc, char **argv)
{
    const struct cs_config *cfg;
    struct cs_channel_session *session = NULL;
    cJSON *payload = NULL, *to;
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
    if ((session = open_channel("test-email", &cs_channel_email, cfg, &status)) == NULL)
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

    if ((payload = cJSON_CreateObject()) == NULL ||
        (to = cJSON_AddArrayToObject(payload, "to")) == NULL ||
        !cJSON_AddStringToObject(payload, "subject", "certsweep test message") ||
        !cJSON_AddStringToObject(payload, "text", text) ||
        !cJSON_AddStringToObject(payload, "html", html)) {
        fprintf(stderr, "certsweep test-email: out of memory\n");
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        cJSON *address = cJSON_CreateString(argv[i]);
        if (address == NULL || !cJSON_AddItemToArray(to, address)) {
            cJSON_Delete(address);
            fprintf(stderr, "certsweep test-email: out of memory\n");
            goto out;
        }
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
    cJSON *payload = NULL, *params, *param;
    char host[256] = "this host", stamp[32], text[512];
    time_t now = time(NULL);
    struct tm tm;
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
    if ((session = open_channel("test-syslog", &cs_channel_syslog, cfg, &status)) == NULL)
        return status;

    gethostname(host, sizeof(host) - 1);
    if (optind < argc)
        snprintf(text, sizeof(text), "%s", argv[optind]);
    else
        snprintf(text, sizeof(text), "certsweep test message from %s", host);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

    status = CS_EXIT_RUNTIME;
    if ((payload = cJSON_CreateObject()) == NULL ||
        !cJSON_AddNumberToObject(payload, "severity", CS_SYSLOG_NOTICE) ||
        !cJSON_AddStringToObject(payload, "msgid", "test") ||
        !cJSON_AddStringToObject(payload, "timestamp", stamp) ||
        !cJSON_AddStringToObject(payload, "sd_id", "certsweep@32473") ||
        (params = cJSON_AddArrayToObject(payload, "params")) == NULL ||
        (param = cJSON_CreateArray()) == NULL || !cJSON_AddItemToArray(params, param) ||
        !cJSON_AddItemToArray(param, cJSON_CreateString("config")) ||
        !cJSON_AddItemToArray(param, cJSON_CreateString(config_name(cfg))) ||
        !cJSON_AddStringToObject(payload, "msg", text)) {
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
