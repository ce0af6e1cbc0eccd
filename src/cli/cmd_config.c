/* certsweep config check | config path: the configuration file (docs/config.md). */
#include "cli.h"
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char config_help[] =
    "usage: certsweep config check\n"
    "       certsweep config path\n"
    "\n"
    "  check   read the configuration file, report the first error (with its\n"
    "          line) and exit 2, or print what is configured; secrets are\n"
    "          never printed, only where they come from\n"
    "  path    print the file that would be read: --config, else\n"
    "          $CERTSWEEP_CONFIG, else $XDG_CONFIG_HOME/certsweep/certsweep.conf\n"
    "          (~/.config/certsweep/certsweep.conf)\n"
    "\n"
    "The keys, their defaults and the rules for secrets are in docs/config.md.\n";

static void print_smtp(const struct cs_smtp_config *smtp)
{
    bool smtps = strncasecmp(smtp->url, "smtps:", 6) == 0;

    printf("smtp: %s, %s, from %s", smtp->url,
           smtps            ? "TLS"
           : smtp->starttls ? "STARTTLS required"
                            : "no STARTTLS (plain text)",
           smtp->from);
    if (smtp->username != NULL)
        printf(", user %s", smtp->username);
    else
        printf(", no authentication");
    if (smtp->password_source != NULL && strcmp(smtp->password_source, "password") == 0)
        printf(", password in the file");
    else if (smtp->password_source != NULL)
        printf(", password from %s", smtp->password_source);
    if (smtp->ca_file != NULL)
        printf(", CA file %s", smtp->ca_file);
    if (smtp->insecure)
        printf(", server certificate NOT verified (--insecure-smtp)");
    printf(", timeout %us\n", smtp->timeout_ms / 1000);
}

static void print_syslog(const struct cs_syslog_config *sl)
{
    const char *facility = cs_config_facility_name(sl->facility);

    printf("syslog: %s facility %s, app_name %s, hostname %s", sl->target,
           facility ? facility : "?", sl->app_name, sl->hostname);
    if (sl->ca_file != NULL)
        printf(", CA file %s", sl->ca_file);
    printf(", timeout %us\n", sl->timeout_ms / 1000);
}

/* Where a secret came from, never its value: "authtoken in the file",
 * "password from password_file", "pat from $CERTSWEEP_TICKETING_JIRA_PAT". */
static void print_secret_source(const struct cs_secret_source *s)
{
    if (strcmp(s->from, s->key) == 0)
        printf("%s in the file", s->key);
    else if (strncmp(s->from, "CERTSWEEP_", 10) == 0)
        printf("%s from $%s", s->key, s->from);
    else
        printf("%s from %s", s->key, s->from);
}

/* The URL as it may be shown: Slack and Teams webhook URLs carry their
 * secret in the path, so only the scheme and host are printed. */
static void print_url(const struct cs_remote_config *r)
{
    const char *host = strstr(r->url, "://");
    size_t n;

    if (r->type != CS_REMOTE_SLACK && r->type != CS_REMOTE_TEAMS) {
        printf("%s", r->url);
        return;
    }
    host = host ? host + 3 : r->url;
    n = (size_t)(host - r->url) + strcspn(host, "/");
    printf("%.*s/... (the path, which holds the webhook's secret, is not shown)", (int)n, r->url);
}

static const char *const type_names[] = {
    [CS_REMOTE_SERVICEDESKPLUS] = "servicedeskplus",
    [CS_REMOTE_SERVICENOW] = "servicenow",
    [CS_REMOTE_JIRA] = "jira",
    [CS_REMOTE_PAGERDUTY] = "pagerduty",
    [CS_REMOTE_SLACK] = "slack",
    [CS_REMOTE_TEAMS] = "teams",
    [CS_REMOTE_GENERIC] = "generic",
};

/* One line per [ticketing.NAME] or [webhook.NAME] section. */
static void print_remote(const struct cs_remote_config *r)
{
    bool any = false;

    printf("%s: %s, ", r->channel, type_names[r->type]);
    print_url(r);
    if (strncasecmp(r->url, "http:", 5) == 0)
        printf(" (plain http: not encrypted)");
    if (r->auth == NULL) {
        printf(", no authentication");
    } else {
        printf(", auth %s", r->auth);
        if (r->username != NULL)
            printf(" as %s", r->username);
        else if (r->email != NULL)
            printf(" as %s", r->email);
        for (size_t i = 0; i < CS_REMOTE_MAX_SECRETS; i++) {
            if (r->secrets[i].key == NULL)
                continue;
            printf(any ? ", " : " (");
            print_secret_source(&r->secrets[i]);
            any = true;
        }
        if (any)
            printf(")");
        if (r->oauth_token_url != NULL)
            printf(", token URL %s", r->oauth_token_url);
    }
    if (r->project != NULL)
        printf(", project %s", r->project);
    if (r->ca_file != NULL)
        printf(", CA file %s", r->ca_file);
    printf(", timeout %us", r->timeout_ms / 1000);
    if (!r->is_webhook)
        printf(", close_resolved %s", r->close_resolved ? "yes" : "no");
    printf("\n");
}

static int check(void)
{
    const struct cs_config *cfg = cs_cli_config("config check");

    if (cfg == NULL)
        return CS_EXIT_USAGE;
    if (cfg->path == NULL)
        printf("%s: not found: nothing configured\n", cs_cli_config_path());
    else
        printf("%s: ok\n", cfg->path);
    if (cfg->smtp.configured)
        print_smtp(&cfg->smtp);
    if (cfg->syslog.configured)
        print_syslog(&cfg->syslog);
    printf("outbox: max_attempts %u, retry after %us doubling up to %us\n",
           cfg->outbox.max_attempts, cfg->outbox.retry_min_s, cfg->outbox.retry_max_s);
    for (size_t i = 0; i < cfg->nremotes; i++)
        print_remote(&cfg->remotes[i]);
    printf("certsweep: url %s\n", cfg->public_url ? cfg->public_url : "(none)");
    return CS_EXIT_OK;
}

int cs_cmd_config(int argc, char **argv)
{
    const char *action = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(config_help, stdout);
            return CS_EXIT_OK;
        } else if (action == NULL &&
                   (strcmp(argv[i], "check") == 0 || strcmp(argv[i], "path") == 0)) {
            action = argv[i];
        } else {
            fprintf(stderr, "certsweep config: unexpected '%s'; try 'certsweep config --help'\n",
                    argv[i]);
            return CS_EXIT_USAGE;
        }
    }
    if (action == NULL) {
        fputs(config_help, stderr);
        return CS_EXIT_USAGE;
    }
    if (strcmp(action, "path") == 0) {
        puts(cs_cli_config_path());
        return CS_EXIT_OK;
    }
    return check();
}
