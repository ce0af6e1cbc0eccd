/* certsweep alert add|list|show|remove|run */
#include "alert.h"
#include "cli.h"
#include "config.h"
#include "listing.h"
#include "store.h"
#include "template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char alert_help[] =
    "usage: certsweep alert add NAME --days N [--network NAME] [--to EMAIL...] [--syslog]\n"
    "                           [--ticket NAME...] [--webhook NAME...]\n"
    "                           [--subject TEMPLATE] [--body-file FILE] [--repeat-every DAYS]\n"
    "                           [--every SPEC]\n"
    "       certsweep alert list [--format table|jsonl|csv]\n"
    "       certsweep alert show NAME\n"
    "       certsweep alert remove NAME\n"
    "       certsweep alert run [NAME] [--dry-run]\n"
    "\n"
    "An expiration alert finds the certificates of the inventory (of one network,\n"
    "or all) that expire within N days or have expired, and sends one message per\n"
    "certificate: an email to --to, with --syslog a syslog message, a ticket in\n"
    "each --ticket channel ([ticketing.NAME] of the config) and an event to each\n"
    "--webhook channel ([webhook.NAME]). A ticket of a certificate that is no\n"
    "longer found (renewed) is closed by the next run. A run\n"
    "reports only certificates this alert has not reported before; a renewed\n"
    "certificate is a new one; --repeat-every DAYS reports an unrenewed one again\n"
    "every DAYS days. 'alert run' without NAME runs every alert, then delivers\n"
    "the outbox. --dry-run shows what would be sent, and sends nothing.\n"
    "--every SPEC is when 'certsweep serve' runs the alert, in local time: an\n"
    "interval (30m, 6h, 1d, 2w) or a cron expression ('0 7 * * mon-fri').\n"
    "\n"
    "Templates (--subject, the text of --body-file) use these tokens:\n"
    "  {cn} {dn} {issuer_dn} {sans} {serial} {sha256} {not_before} {not_after}\n"
    "  {days_left} {locations} {network} {key} {sig_alg};  {{ and }} for braces.\n"
    "Defaults: subject '" CS_ALERT_SUBJECT "', body 'The SSL Certificate {cn}\n"
    "expiring soon, please take care' followed by the certificate's details.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("certsweep alert: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("; try 'certsweep alert --help'\n", stderr);
    return CS_EXIT_USAGE;
}

static bool parse_days(const char *text, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0' || errno != 0 || v > 100000)
        return false;
    *out = (unsigned)v;
    return true;
}

/* The whole of a small text file, NUL-terminated; NULL with errno set. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(text, cap);
            if (grown == NULL || cap > (1u << 20)) {
                free(grown ? grown : text);
                fclose(f);
                errno = grown ? EFBIG : ENOMEM;
                return NULL;
            }
            text = grown;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (text == NULL)
        text = calloc(1, 1);
    else
        text[len] = '\0';
    return text;
}

/* An alert's --ticket/--webhook NAME must be a section of the
 * configuration: a typo is an error now, not a message that waits for
 * ever. Returns an exit status. */
static int check_channel(const char *opt, const char *prefix, const char *name)
{
    const struct cs_config *cfg = cs_cli_config("alert");
    if (cfg == NULL)
        return CS_EXIT_USAGE;
    if (cs_config_remote(cfg, strcmp(prefix, "webhook.") == 0, name) == NULL) {
        fprintf(stderr, "certsweep alert: %s %s: no [%s%s] section in %s\n", opt, name, prefix,
                name, cs_cli_config_path());
        return CS_EXIT_USAGE;
    }
    return CS_EXIT_OK;
}

static int add(struct cs_store *store, int argc, char **argv)
{
    struct cs_alert alert = {.name = argv[0]};
    const char *network = NULL, *subject = CS_ALERT_SUBJECT, *body_file = NULL;
    char *recipients = calloc(1, 1), *channels = calloc(1, 1), *body = NULL;
    bool have_days = false;
    char err[CS_ERRLEN];
    int status = CS_EXIT_USAGE;

    if (recipients == NULL || channels == NULL)
        goto nomem;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(opt, "--days") == 0 && has_value) {
            if (!parse_days(argv[++i], &alert.days)) {
                status = usage_error("invalid --days '%s': expected a number of days", argv[i]);
                goto out;
            }
            have_days = true;
        } else if (strcmp(opt, "--repeat-every") == 0 && has_value) {
            if (!parse_days(argv[++i], &alert.repeat_every_days)) {
                status =
                    usage_error("invalid --repeat-every '%s': expected a number of days", argv[i]);
                goto out;
            }
        } else if (strcmp(opt, "--network") == 0 && has_value) {
            network = argv[++i];
        } else if (strcmp(opt, "--every") == 0 && has_value) {
            char why[CS_ERRLEN];
            alert.run_every = (char *)cs_cli_schedule_text(argv[++i]);
            if (!cs_cli_schedule_valid(alert.run_every, false, why, sizeof(why))) {
                status = usage_error("invalid --every '%s': %s", argv[i], why);
                goto out;
            }
        } else if (strcmp(opt, "--subject") == 0 && has_value) {
            subject = argv[++i];
        } else if (strcmp(opt, "--body-file") == 0 && has_value) {
            body_file = argv[++i];
        } else if (strcmp(opt, "--syslog") == 0) {
            alert.syslog = true;
        } else if ((strcmp(opt, "--to") == 0 || strcmp(opt, "--ticket") == 0 ||
                    strcmp(opt, "--webhook") == 0) &&
                   has_value) {
            /* These take every word up to the next option. */
            char **list = strcmp(opt, "--to") == 0 ? &recipients : &channels;
            const char *prefix = strcmp(opt, "--ticket") == 0    ? "ticketing."
                                 : strcmp(opt, "--webhook") == 0 ? "webhook."
                                                                 : "";
            while (i + 1 < argc && argv[i + 1][0] != '-') {
                const char *word = argv[++i];
                if (*prefix != '\0' && check_channel(opt, prefix, word) != CS_EXIT_OK)
                    goto out;
                size_t len = strlen(*list), add_len = strlen(prefix) + strlen(word);
                char *grown = realloc(*list, len + add_len + 2);
                if (grown == NULL)
                    goto nomem;
                *list = grown;
                sprintf(*list + len, "%s%s%s", len ? " " : "", prefix, word);
            }
        } else {
            status = usage_error("unexpected '%s' (or a missing value)", opt);
            goto out;
        }
    }
    if (!have_days) {
        status = usage_error("alert add %s: --days N is required", alert.name);
        goto out;
    }
    if (body_file != NULL && (body = read_file(body_file)) == NULL) {
        fprintf(stderr, "certsweep alert: cannot read --body-file %s: %s\n", body_file,
                strerror(errno));
        goto out;
    }
    alert.recipients = recipients;
    alert.channels = channels;
    alert.subject = (char *)subject;
    alert.body = body ? body : (char *)CS_ALERT_BODY;
    if (cs_alert_validate(&alert, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep alert: %s\n", err);
        goto out;
    }
    if (network != NULL) {
        struct cs_network net = {0};
        enum cs_rc rc = cs_store_network_get(store, network, &net, err, sizeof(err));
        alert.network_id = net.id;
        cs_network_clear(&net);
        if (rc != CS_OK) {
            fprintf(stderr, "certsweep alert: %s\n", err);
            status = cs_cli_exit_for(rc);
            goto out;
        }
    }
    enum cs_rc rc = cs_store_alert_add(store, &alert, err, sizeof(err));
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep alert: %s\n", err);
        status = cs_cli_exit_for(rc);
        goto out;
    }
    printf("alert %s added: certificates expiring within %u days%s%s\n", alert.name, alert.days,
           network ? " on " : "", network ? network : "");
    status = CS_EXIT_OK;
    goto out;
nomem:
    fprintf(stderr, "certsweep alert: out of memory\n");
    status = CS_EXIT_RUNTIME;
out:
    free(recipients);
    free(channels);
    free(body);
    return status;
}

static const struct cs_column alert_cols[] = {
    {"name", 16},  {"days", 5},          {"network", 16},     {"to", 32},
    {"syslog", 6}, {"repeat_every", 12}, {"last_run_at", 20},
};

static void print_alert(const struct cs_alert *a, void *arg)
{
    char days[12], repeat[12], last[21] = "";
    snprintf(days, sizeof(days), "%u", a->days);
    snprintf(repeat, sizeof(repeat), "%u", a->repeat_every_days);
    if (a->last_run_at)
        cs_store_format_time(a->last_run_at, last);
    const char *values[] = {a->name,
                            days,
                            a->network_name ? a->network_name : "(all)",
                            a->recipients[0] ? a->recipients : NULL,
                            a->syslog ? "yes" : "no",
                            a->channels[0] ? a->channels : NULL,
                            a->repeat_every_days ? repeat : NULL,
                            last[0] ? last : NULL};
    cs_listing_emit(arg, values);
}

static void show_alert(const struct cs_alert *a)
{
    char last[21] = "never";
    if (a->last_run_at)
        cs_store_format_time(a->last_run_at, last);
    printf("name            %s\n", a->name);
    printf("days            %u\n", a->days);
    printf("network         %s\n", a->network_name ? a->network_name : "(all)");
    printf("to              %s\n", a->recipients[0] ? a->recipients : "-");
    printf("syslog          %s\n", a->syslog ? "yes" : "no");
    printf("channels        %s\n", a->channels[0] ? a->channels : "-");
    if (a->repeat_every_days)
        printf("repeat every    %u days\n", a->repeat_every_days);
    else
        printf("repeat every    never (a certificate is reported once)\n");
    printf("run every       %s\n", a->run_every && a->run_every[0] ? a->run_every : "-");
    printf("last run        %s\n", last);
    printf("subject         %s\n", a->subject);
    printf("body\n%s%s", a->body, a->body[0] && a->body[strlen(a->body) - 1] == '\n' ? "" : "\n");
}

static void print_hit(const struct cs_alert_hit *hit, void *arg)
{
    const bool *dry_run = arg;
    const char *what = hit->reported ? "reported"
                       : hit->due    ? (*dry_run ? "would report" : "due")
                                     : "reported before";
    printf("%-15s %-32s %5ld days  %s  %s  %s\n", what,
           hit->cert->subject_cn ? hit->cert->subject_cn : hit->cert->subject, hit->days_left,
           hit->cert->not_after, hit->locations, hit->cert->sha256);
}

/* Runs one alert; returns an exit status. */
static int run_one(struct cs_store *store, const struct cs_alert *alert, bool dry_run)
{
    struct cs_alert_run_stats st;
    char err[CS_ERRLEN];

    printf("alert %s: certificates expiring within %u days%s%s\n", alert->name, alert->days,
           alert->network_name ? " on " : "", alert->network_name ? alert->network_name : "");
    enum cs_rc rc =
        cs_alert_run(store, alert, time(NULL), dry_run, print_hit, &dry_run, &st, err, sizeof(err));
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep alert run %s: %s\n", alert->name, err);
        return cs_cli_exit_for(rc);
    }
    printf("alert %s: %u found, %u %s, %u reported before; %u message%s queued\n", alert->name,
           st.found, dry_run ? st.found - st.skipped : st.reported,
           dry_run ? "would be reported" : "reported", st.skipped, st.messages,
           st.messages == 1 ? "" : "s");
    return CS_EXIT_OK;
}

struct alert_vec {
    struct cs_alert *items;
    size_t n;
    bool nomem;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void collect_alert(const struct cs_alert *a, void *arg)
{
    struct alert_vec *v = arg;
    struct cs_alert *items = realloc(v->items, (v->n + 1) * sizeof(*items));
    if (items == NULL) {
        v->nomem = true;
        return;
    }
    v->items = items;
    struct cs_alert *copy = &items[v->n++];
    *copy = *a;
    copy->name = strdup(a->name);
    copy->network_name = dup_or_null(a->network_name);
    copy->recipients = strdup(a->recipients);
    copy->subject = strdup(a->subject);
    copy->body = strdup(a->body);
    copy->channels = strdup(a->channels);
    copy->run_every = strdup(a->run_every ? a->run_every : "");
    if (!copy->name || !copy->recipients || !copy->subject || !copy->body || !copy->channels ||
        !copy->run_every || (a->network_name && !copy->network_name))
        v->nomem = true;
}

static int run(struct cs_store *store, int argc, char **argv)
{
    const char *name = NULL;
    bool dry_run = false;
    char err[CS_ERRLEN];
    int status = CS_EXIT_OK;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = true;
        else if (name == NULL && argv[i][0] != '-')
            name = argv[i];
        else
            return usage_error("unexpected '%s'", argv[i]);
    }
    /* A bad configuration is reported before anything is queued. */
    if (!dry_run && cs_cli_config("alert") == NULL)
        return CS_EXIT_USAGE;

    struct alert_vec alerts = {0};
    enum cs_rc rc;
    if (name != NULL) {
        struct cs_alert one = {0};
        if ((rc = cs_store_alert_get(store, name, &one, err, sizeof(err))) == CS_OK)
            collect_alert(&one, &alerts);
        cs_alert_clear(&one);
    } else {
        rc = cs_store_alert_list(store, collect_alert, &alerts, err, sizeof(err));
    }
    if (rc == CS_OK && alerts.nomem)
        rc = cs_fail(err, sizeof(err), CS_ERR_NOMEM, "out of memory");
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep alert: %s\n", err);
        status = cs_cli_exit_for(rc);
    } else if (alerts.n == 0) {
        fprintf(stderr, "certsweep alert run: no alerts; add one with 'certsweep alert add'\n");
    }
    for (size_t i = 0; rc == CS_OK && i < alerts.n; i++) {
        int one = run_one(store, &alerts.items[i], dry_run);
        if (one != CS_EXIT_OK)
            status = one;
    }
    for (size_t i = 0; i < alerts.n; i++)
        cs_alert_clear(&alerts.items[i]);
    free(alerts.items);
    if (rc == CS_OK && !dry_run)
        cs_cli_deliver_outbox("alert run", store, false);
    return status;
}

int cs_cmd_alert(int argc, char **argv)
{
    struct cs_store *store = NULL;
    char err[CS_ERRLEN];
    int status = CS_EXIT_OK;
    enum cs_rc rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(alert_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CS_EXIT_USAGE : CS_EXIT_OK;
    }
    const char *action = argv[1];
    bool needs_name =
        strcmp(action, "add") == 0 || strcmp(action, "show") == 0 || strcmp(action, "remove") == 0;
    if (!needs_name && strcmp(action, "list") != 0 && strcmp(action, "run") != 0)
        return usage_error("unknown action '%s'", action);
    if (needs_name && (argc < 3 || argv[2][0] == '-'))
        return usage_error("alert %s: expected an alert name", action);
    if ((store = cs_cli_open_store("alert")) == NULL)
        return CS_EXIT_RUNTIME;

    if (strcmp(action, "add") == 0) {
        status = add(store, argc - 2, argv + 2);
    } else if (strcmp(action, "run") == 0) {
        status = run(store, argc - 2, argv + 2);
    } else if (strcmp(action, "list") == 0) {
        struct cs_listing l = {.format = cs_listing_default_format(),
                               .cols = alert_cols,
                               .ncols = sizeof(alert_cols) / sizeof(alert_cols[0])};
        if (argc == 4 && strcmp(argv[2], "--format") == 0) {
            if (!cs_listing_parse_format(argv[3], &l.format, "alert"))
                status = CS_EXIT_USAGE;
        } else if (argc != 2) {
            status = usage_error("alert list: unexpected '%s'", argv[2]);
        }
        if (status == CS_EXIT_OK) {
            if ((rc = cs_store_alert_list(store, print_alert, &l, err, sizeof(err))) != CS_OK) {
                fprintf(stderr, "certsweep alert: %s\n", err);
                status = cs_cli_exit_for(rc);
            } else if (l.format != CS_FORMAT_JSONL) {
                cs_listing_emit(&l, NULL);
            }
        }
    } else if (argc != 3) {
        status = usage_error("alert %s: unexpected argument '%s'", action, argv[3]);
    } else if (strcmp(action, "show") == 0) {
        struct cs_alert a = {0};
        if ((rc = cs_store_alert_get(store, argv[2], &a, err, sizeof(err))) == CS_OK)
            show_alert(&a);
        else
            fprintf(stderr, "certsweep alert: %s\n", err);
        status = rc == CS_OK ? CS_EXIT_OK : cs_cli_exit_for(rc);
        cs_alert_clear(&a);
    } else {
        unsigned resolves = 0;
        if ((rc = cs_alert_remove(store, argv[2], &resolves, err, sizeof(err))) == CS_OK)
            printf("alert %s removed%s\n", argv[2],
                   resolves ? "; its open tickets and incidents are resolved" : "");
        else
            fprintf(stderr, "certsweep alert: %s\n", err);
        status = rc == CS_OK ? CS_EXIT_OK : cs_cli_exit_for(rc);
        if (rc == CS_OK && resolves > 0)
            cs_cli_deliver_outbox("alert remove", store, false);
    }
    cs_store_close(&store);
    return status;
}
