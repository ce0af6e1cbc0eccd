/*
 * The configuration file: the delivery channels (SMTP, syslog, ticketing
 * systems in [ticketing.NAME], webhooks in [webhook.NAME]), the outbox's
 * retry policy and how tickets name this installation ([certsweep]), in
 * INI form, read with libinih. Every setting is one row of a table in
 * config.c (section, types, key, kind, bounds, default), so `certsweep
 * config check` and docs/config.md list the same thing.
 *
 * Where it is read from: --config PATH, else $CERTSWEEP_CONFIG, else
 * $XDG_CONFIG_HOME/certsweep/certsweep.conf (~/.config/... by default). A
 * missing file at the XDG default is an empty configuration; a missing
 * file that was named (--config, or CERTSWEEP_CONFIG, which the command
 * line passes as path) is an error.
 *
 * Secrets (the smtp password, and the tokens, passwords and keys of the
 * named sections, marked below) come from the key itself, from `KEY_file`
 * naming a file whose first line is the secret, or from an environment
 * variable (CERTSWEEP_SMTP_PASSWORD, CERTSWEEP_TICKETING_SDP_AUTHTOKEN), in
 * that order of precedence: environment, file, key. A configuration file
 * that holds any secret inline and can be read by group or others is
 * refused, as ssh refuses such a key, and so is a secret file with those
 * permissions. No error or log line ever contains a secret's value.
 */
#ifndef CS_CONFIG_H
#define CS_CONFIG_H

#include "cs.h"

#include <stdbool.h>

enum cs_syslog_transport { CS_SYSLOG_UDP, CS_SYSLOG_TCP, CS_SYSLOG_TLS };

struct cs_smtp_config {
    bool configured;     /* an [smtp] section was present */
    char *url;           /* smtp://host[:port] or smtps://host[:port] */
    bool starttls;       /* smtp:// only: STARTTLS required (the default) or not used */
    char *from;          /* envelope and header sender */
    char *username;      /* NULL: no authentication */
    char *password;      /* the secret, whichever way it came; NULL when none */
    char *ca_file;       /* trust anchors for the server; NULL: the system store */
    bool insecure;       /* do not verify the server (set by --insecure-smtp only) */
    unsigned timeout_ms; /* whole-transfer deadline per message (default 30000) */
    /* Where the password came from, for messages: "CERTSWEEP_SMTP_PASSWORD",
     * "password_file" or "password" (static strings); NULL when none. */
    const char *password_source;
};

struct cs_syslog_config {
    bool configured; /* a [syslog] section was present */
    char *target;    /* as written: udp://host:port, tcp://..., tls://... */
    enum cs_syslog_transport transport;
    char *host;          /* from target; an IPv6 literal without brackets */
    char *port;          /* from target; default 514 (udp, tcp) or 6514 (tls) */
    unsigned facility;   /* 0..23; default 16 (local0) */
    char *app_name;      /* default "certsweep"; <= 48 printable ASCII */
    char *hostname;      /* default: gethostname(); <= 255 printable ASCII */
    char *ca_file;       /* tls: trust anchors; NULL: the system store */
    unsigned timeout_ms; /* connect + send deadline (default 5000) */
};

struct cs_outbox_config {
    unsigned max_attempts; /* then the message is marked failed (default 10) */
    unsigned retry_min_s;  /* wait after the first failure (default 60) */
    unsigned retry_max_s;  /* the wait doubles up to this (default 21600) */
};

/* What a [ticketing.NAME] or [webhook.NAME] section talks to. */
enum cs_remote_type {
    CS_REMOTE_SERVICEDESKPLUS, /* [ticketing.*] type = servicedeskplus */
    CS_REMOTE_SERVICENOW,      /* [ticketing.*] type = servicenow */
    CS_REMOTE_JIRA,            /* [ticketing.*] type = jira */
    CS_REMOTE_PAGERDUTY,       /* [webhook.*] type = pagerduty */
    CS_REMOTE_SLACK,           /* [webhook.*] type = slack */
    CS_REMOTE_TEAMS,           /* [webhook.*] type = teams */
    CS_REMOTE_GENERIC,         /* [webhook.*] type = generic */
};

/* The most secrets one section's authentication uses (OAuth: two). */
#define CS_REMOTE_MAX_SECRETS 4

/* Where one secret of a [ticketing.*] or [webhook.*] section came from,
 * for `config check` and messages; never its value. */
struct cs_secret_source {
    const char *key; /* "authtoken" (a static string); NULL: an unused slot */
    char from[96];   /* the key itself when written inline ("authtoken"),
                      * "authtoken_file", or the environment variable's name
                      * ("CERTSWEEP_TICKETING_SDP_AUTHTOKEN") */
};

/*
 * One [ticketing.NAME] or [webhook.NAME] section: an HTTP API certsweep
 * opens tickets in or posts events to. `channel` is the section's name as
 * written ("ticketing.sdp"), which is also the outbox's channel column and
 * what `--ticket sdp` / `--webhook oncall` refer to. Fields a type does not
 * use stay NULL. Secrets (marked) come, like the SMTP password, from the
 * key, from KEY_file, or from the environment variable
 * CERTSWEEP_<SECTION>_<NAME>_<KEY> in upper case with '.' and '-' as '_'
 * (CERTSWEEP_TICKETING_SDP_AUTHTOKEN).
 */
/* The severities of a ticket event (ticket.h), in the order of the
 * per-severity settings of a ticketing section. */
enum cs_ticket_severity {
    CS_TICKET_CRITICAL,
    CS_TICKET_ERROR,
    CS_TICKET_WARNING,
    CS_TICKET_INFO,
    CS_TICKET_SEVERITIES
};

struct cs_remote_config {
    char *channel; /* "ticketing.sdp", "webhook.oncall" */
    char *name;    /* "sdp", "oncall" */
    bool is_webhook;
    enum cs_remote_type type;
    char *url;           /* base URL (ticketing) or the URL to POST to (webhook);
                          * http:// is accepted with a warning, https:// is verified */
    char *ca_file;       /* trust anchors; NULL: the system store */
    unsigned timeout_ms; /* per request (default 30000) */
    bool close_resolved; /* ticketing: resolve/close a ticket whose problem is gone (default yes) */

    /* ServiceDesk Plus: on-premises authtoken, or cloud OAuth (below). */
    char *authtoken; /* secret */
    char *requester, *priority, *category, *technician_group;
    /* ServiceNow: basic auth, or OAuth (below). */
    char *username;
    char *password; /* secret */
    char *caller_id, *assignment_group, *urgency, *impact, *snow_category;
    char *table; /* default "incident" */
    /* Per event severity (priority_critical = ..., urgency_error = ...):
     * what replaces priority (ServiceDesk Plus, Jira) or urgency and impact
     * (ServiceNow) for that severity; NULL: the section's own. */
    char *priority_by[CS_TICKET_SEVERITIES];
    char *urgency_by[CS_TICKET_SEVERITIES], *impact_by[CS_TICKET_SEVERITIES];
    /* Jira: Cloud (email + API token) or Data Center (personal access token). */
    char *email;
    char *api_token;           /* secret */
    char *pat;                 /* secret */
    char *project, *issuetype; /* issuetype default "Task" */
    char *done_transition;     /* the transition that closes an issue (default "Done") */
    /* OAuth 2 refresh-token grant (ServiceDesk Plus cloud, ServiceNow). */
    char *oauth_token_url; /* SDP cloud: https://accounts.zoho.com/oauth/v2/token;
                            * ServiceNow: {url}/oauth_token.do */
    char *oauth_client_id;
    char *oauth_client_secret; /* secret */
    char *oauth_refresh_token; /* secret */
    /* PagerDuty Events v2. */
    char *routing_key; /* secret */
    /* Generic webhooks: an optional shared secret sent as
     * "Authorization: Bearer <token>". */
    char *bearer_token; /* secret */

    /* How the section authenticates, a static string: "authtoken",
     * "oauth" (SDP, ServiceNow), "basic" (ServiceNow), "api_token" (Jira
     * Cloud: email + api_token), "pat" (Jira Data Center), "routing_key"
     * (PagerDuty), "bearer_token" (generic); NULL: none (Slack, Teams, a
     * generic webhook without a token). */
    const char *auth;
    /* Where each secret in use came from, in table order; unused slots
     * have key NULL. */
    struct cs_secret_source secrets[CS_REMOTE_MAX_SECRETS];
};

/* [serve]: `certsweep serve` (docs/service.md). */
struct cs_serve_config {
    char *listen;   /* default of --listen; NULL: 127.0.0.1:8080 */
    char *tls_cert; /* defaults of --tls-cert and --tls-key; NULL: none */
    char *tls_key;
    bool metrics_token; /* /metrics needs a token from loopback too (default no) */
};

struct cs_config {
    char *path; /* the file read; NULL when there was none */
    struct cs_smtp_config smtp;
    struct cs_syslog_config syslog;
    struct cs_outbox_config outbox;
    struct cs_remote_config *remotes; /* [ticketing.*] and [webhook.*], in file order */
    size_t nremotes;
    char *public_url; /* [certsweep] url: how tickets name this installation
                       * ("Scanned by: certsweep running at URL"); default
                       * the hostname */
    struct cs_serve_config serve;
};

/* The [ticketing.NAME] (is_webhook false) or [webhook.NAME] section of
 * that NAME, or NULL. */
const struct cs_remote_config *cs_config_remote(const struct cs_config *cfg, bool is_webhook,
                                                const char *name);

/* The file read when no path is given: $CERTSWEEP_CONFIG, else the XDG
 * default. Returns a pointer into a static buffer. */
const char *cs_config_default_path(void);

/*
 * Reads path (NULL: cs_config_default_path(), where a missing file is an
 * empty configuration) into *cfg, which the caller releases with
 * cs_config_clear() whatever the result. CS_ERR_USAGE names the file and
 * line of the first bad entry ("certsweep.conf:7: [smtp] starttls: expected
 * required or none, not 'maybe'"), an unknown section or key, a bad value,
 * a missing required key, or a secret readable by others; CS_ERR_IO a file
 * that cannot be read.
 */
enum cs_rc cs_config_load(const char *path, struct cs_config *cfg, char *err, size_t errlen);

/* Same, from text in memory (for tests and the fuzz harness); name is used
 * in messages. Secret files and the environment are still consulted; file
 * permissions are not. */
enum cs_rc cs_config_parse(const char *text, const char *name, struct cs_config *cfg, char *err,
                           size_t errlen);

/* Frees what cfg holds, wiping every secret first, and zeroes it. Accepts
 * a cfg that was never filled, if it was zeroed. */
void cs_config_clear(struct cs_config *cfg);

/* The name of a syslog facility number ("local0" for 16); NULL past 23. */
const char *cs_config_facility_name(unsigned facility);

#endif
