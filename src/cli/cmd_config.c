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
