/*
 * The configuration file (config.h). Every setting is one row of the
 * `settings` table below: its section, the types it applies to, its key,
 * kind of value, bounds, default and what a user must write; the parser,
 * the defaults and the error messages all come from that table, and
 * docs/config.md repeats it.
 *
 * There are two kinds of sections. Fixed ones ([smtp], [syslog], [outbox],
 * [certsweep], [serve]) appear once and their rows point into struct cs_config.
 * Named ones ([ticketing.NAME], [webhook.NAME]) may appear any number of
 * times, each filling one struct cs_remote_config that their rows point
 * into. A named section's `type` says which rows apply (every row carries
 * a mask of the types it is for, so that `category` can be a field of
 * ServiceDesk Plus and another of ServiceNow) and which ways to
 * authenticate are allowed (the `auth` column groups the keys of one way:
 * all of a way's keys or none, and at most one way). Since `type` may come
 * after other keys, the entries read before it wait in the section's block
 * until it is known, and are then checked in the order they were written.
 *
 * libinih splits the text into sections and key = value pairs. It is fed
 * through a reader of our own (next_line) that counts lines, so that every
 * message names one, and that normalises each line first, so that the
 * result does not depend on how the distribution built libinih:
 *   - leading blanks are dropped, so an indented line is never taken for
 *     the continuation of the previous value (multi-line values are off);
 *   - comments are cut: a line starting with ';' or '#', and from a ';'
 *     that follows a blank to the end of the line;
 *   - a line that would not fit libinih's line buffer is an error rather
 *     than being split in two;
 *   - section headers are checked here, since libinih does not report
 *     an empty section to the handler.
 */
#include "config.h"
#include "notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    MAX_FILE_SIZE = 1 << 20,       /* a configuration file larger than this is refused */
    MAX_SECRET_FILE = 4096,        /* bytes of a secret file that are read */
    MAX_SHOWN = 64,                /* characters of a bad value or key quoted in messages */
    MAX_HOST = 253,                /* a DNS name */
    MAX_NAME = 32,                 /* the NAME of [ticketing.NAME] */
    MAX_REMOTES = 64,              /* [ticketing.*] and [webhook.*] sections in one file */
    MAX_ENV = 96,                  /* an environment variable's name, with its NUL */
    PERM_MASK = S_IRWXG | S_IRWXO, /* what group and others must not have on a secret */
};

/* ---- the table ------------------------------------------------------------ */

enum section {
    SEC_SMTP,
    SEC_SYSLOG,
    SEC_OUTBOX,
    SEC_CERTSWEEP,
    SEC_SERVE,
    SEC_TICKETING,
    SEC_WEBHOOK,
    NSECTIONS
};

static const struct section_info {
    const char *name;
    bool named;  /* [name.NAME], any number; rows point into struct cs_remote_config */
    bool always; /* its defaults apply when the section is absent */
} sections[NSECTIONS] = {
    [SEC_SMTP] = {"smtp", false, false},      [SEC_SYSLOG] = {"syslog", false, false},
    [SEC_OUTBOX] = {"outbox", false, true},   [SEC_CERTSWEEP] = {"certsweep", false, true},
    [SEC_SERVE] = {"serve", false, true},     [SEC_TICKETING] = {"ticketing", true, false},
    [SEC_WEBHOOK] = {"webhook", true, false},
};

/* What `type` a named section can have. */
static const struct remote_type {
    const char *name;
    enum section section;
    bool needs_auth; /* one of its ways to authenticate must be configured */
} remote_types[] = {
    [CS_REMOTE_SERVICEDESKPLUS] = {"servicedeskplus", SEC_TICKETING, true},
    [CS_REMOTE_SERVICENOW] = {"servicenow", SEC_TICKETING, true},
    [CS_REMOTE_JIRA] = {"jira", SEC_TICKETING, true},
    [CS_REMOTE_PAGERDUTY] = {"pagerduty", SEC_WEBHOOK, true},
    [CS_REMOTE_SLACK] = {"slack", SEC_WEBHOOK, false},
    [CS_REMOTE_TEAMS] = {"teams", SEC_WEBHOOK, false},
    [CS_REMOTE_GENERIC] = {"generic", SEC_WEBHOOK, false},
};

enum { NTYPES = sizeof(remote_types) / sizeof(remote_types[0]) };

/* Masks of types, for the `types` column. */
#define T(type) (1u << (type))
#define T_SDP T(CS_REMOTE_SERVICEDESKPLUS)
#define T_SNOW T(CS_REMOTE_SERVICENOW)
#define T_JIRA T(CS_REMOTE_JIRA)
#define T_PD T(CS_REMOTE_PAGERDUTY)
#define T_SLACK T(CS_REMOTE_SLACK)
#define T_TEAMS T(CS_REMOTE_TEAMS)
#define T_GENERIC T(CS_REMOTE_GENERIC)
#define T_TICKETING (T_SDP | T_SNOW | T_JIRA)
#define T_WEBHOOK (T_PD | T_SLACK | T_TEAMS | T_GENERIC)

/* The ways a named section authenticates; a row's `auth` says which one
 * its key belongs to. The names are what cs_remote_config.auth reports. */
enum auth {
    A_NONE,
    A_AUTHTOKEN,
    A_OAUTH,
    A_BASIC,
    A_API_TOKEN,
    A_PAT,
    A_ROUTING_KEY,
    A_BEARER,
    NAUTHS
};

static const char *const auth_names[NAUTHS] = {
    [A_AUTHTOKEN] = "authtoken", [A_OAUTH] = "oauth", [A_BASIC] = "basic",
    [A_API_TOKEN] = "api_token", [A_PAT] = "pat",     [A_ROUTING_KEY] = "routing_key",
    [A_BEARER] = "bearer_token",
};

/* What a value is, which says how it is checked and stored. */
enum kind {
    K_SMTP_URL,    /* char *: smtp://HOST[:PORT] or smtps://HOST[:PORT] */
    K_SYSLOG_URL,  /* char *target, plus transport, host and port */
    K_HTTP_URL,    /* char *: http(s)://HOST[:PORT][/PATH], no user, query or fragment */
    K_HOOK_URL,    /* char *: K_HTTP_URL with a query allowed; the URL is itself the
                    * credential (Slack, Teams): never quoted, and a secret for the
                    * file-permission rule */
    K_TYPE,        /* enum cs_remote_type: a name from remote_types of the row's section */
    K_BOOL,        /* bool: one of `choices` */
    K_ENUM,        /* unsigned: one of `choices`, or a number from min to max */
    K_ADDRESS,     /* char *: local@domain */
    K_TEXT,        /* char *: min..max bytes, no control characters */
    K_PRINTABLE,   /* char *: min..max characters from '!' to '~' */
    K_NAME,        /* char *: min..max characters from A-Z a-z 0-9 _ . - */
    K_NUMTEXT,     /* char *: a number from min to max, kept as text */
    K_SECRET,      /* char *: never quoted in a message */
    K_SECRET_FILE, /* the secret of row KEY, for KEY_file: the file to read it from */
    K_FILE,        /* char *: the name of a file that can be read */
    K_UINT,        /* unsigned: a number from min to max */
    K_SECONDS,     /* unsigned milliseconds: seconds from min to max */
};

enum {
    F_REQUIRED = 1 << 0, /* a section without it is an error */
    F_HOSTNAME = 1 << 1, /* the default is gethostname() */
    F_OPTIONAL = 1 << 2, /* a key of its `auth` way that the way does not need */
};

struct choice {
    const char *name;
    unsigned value;
};

static const struct choice starttls_choices[] = {{"required", 1}, {"none", 0}, {NULL, 0}};
static const struct choice yes_no_choices[] = {{"yes", 1}, {"no", 0}, {NULL, 0}};

/* The names of syslog(3) and RFC 5424, as rsyslog spells them. */
static const struct choice facility_choices[] = {
    {"kern", 0},          {"user", 1},    {"mail", 2},    {"daemon", 3},    {"auth", 4},
    {"syslog", 5},        {"lpr", 6},     {"news", 7},    {"uucp", 8},      {"cron", 9},
    {"authpriv", 10},     {"ftp", 11},    {"ntp", 12},    {"security", 13}, {"console", 14},
    {"solaris-cron", 15}, {"local0", 16}, {"local1", 17}, {"local2", 18},   {"local3", 19},
    {"local4", 20},       {"local5", 21}, {"local6", 22}, {"local7", 23},   {NULL, 0},
};

struct setting {
    enum section section;
    unsigned types; /* named sections: the types it applies to (T_*); fixed: 0 */
    const char *key;
    enum kind kind;
    unsigned min, max;            /* numbers: the range; strings: the length */
    const char *def;              /* default, read like a value from the file; NULL: none.
                                   * "{url}..." starts with the section's url */
    unsigned flags;               /* F_* */
    enum auth auth;               /* named sections: the way to authenticate it is part of */
    size_t offset;                /* the field in struct cs_config (fixed sections) or
                                   * struct cs_remote_config (named ones) */
    const struct choice *choices; /* K_BOOL, K_ENUM */
    const char *env;              /* K_SECRET of a fixed section: the environment variable that
                                   * overrides it; named sections derive it from their name */
    const char *expect;           /* what a value must look like, for messages */
};

#define AT(field) offsetof(struct cs_config, field)
#define RAT(field) offsetof(struct cs_remote_config, field)

/* A row of a fixed section: section, key, kind, min, max, default, flags,
 * field, choices, environment, what a value looks like. */
#define ROW(sec, key_, kind_, min_, max_, def_, flags_, at_, choices_, env_, expect_)              \
    {                                                                                              \
        .section = (sec), .key = (key_), .kind = (kind_), .min = (min_), .max = (max_),            \
        .def = (def_), .flags = (flags_), .offset = (at_), .choices = (choices_), .env = (env_),   \
        .expect = (expect_)                                                                        \
    }

/* A row of a named section: section, types, key, kind, min, max, default,
 * flags, way to authenticate, field of struct cs_remote_config, what a
 * value looks like. */
#define NROW(sec, types_, key_, kind_, min_, max_, def_, flags_, auth_, field_, expect_)           \
    {                                                                                              \
        .section = (sec), .types = (types_), .key = (key_), .kind = (kind_), .min = (min_),        \
        .max = (max_), .def = (def_), .flags = (flags_), .auth = (auth_), .offset = RAT(field_),   \
        .expect = (expect_)                                                                        \
    }

#define TK SEC_TICKETING
#define WH SEC_WEBHOOK
#define CA_EXPECT "a readable file of PEM certificates"
#define URL_EXPECT "http://HOST[:PORT][/PATH] or https://..., without user, query or fragment"
#define TEXT_EXPECT "1 to 255 characters, no control characters"

static const struct setting settings[] = {
    ROW(SEC_SMTP, "url", K_SMTP_URL, 0, 0, NULL, F_REQUIRED, AT(smtp.url), NULL, NULL,
        "smtp://HOST[:PORT] or smtps://HOST[:PORT]"),
    ROW(SEC_SMTP, "starttls", K_BOOL, 0, 0, "required", 0, AT(smtp.starttls), starttls_choices,
        NULL, "required or none"),
    ROW(SEC_SMTP, "from", K_ADDRESS, 3, 254, NULL, F_REQUIRED, AT(smtp.from), NULL, NULL,
        "an address like certsweep@example.com"),
    ROW(SEC_SMTP, "username", K_TEXT, 1, 255, NULL, 0, AT(smtp.username), NULL, NULL,
        "a user name of 1 to 255 characters"),
    ROW(SEC_SMTP, "password", K_SECRET, 1, 1024, NULL, 0, AT(smtp.password), NULL,
        "CERTSWEEP_SMTP_PASSWORD", "a password of 1 to 1024 characters"),
    ROW(SEC_SMTP, "password_file", K_SECRET_FILE, 0, 0, NULL, 0, AT(smtp.password), NULL, NULL,
        "a file whose first line is the password"),
    ROW(SEC_SMTP, "ca_file", K_FILE, 0, 0, NULL, 0, AT(smtp.ca_file), NULL, NULL, CA_EXPECT),
    ROW(SEC_SMTP, "timeout", K_SECONDS, 1, 600, "30", 0, AT(smtp.timeout_ms), NULL, NULL,
        "seconds from 1 to 600"),

    ROW(SEC_SYSLOG, "target", K_SYSLOG_URL, 0, 0, NULL, F_REQUIRED, AT(syslog.target), NULL, NULL,
        "udp://HOST[:PORT], tcp://HOST[:PORT] or tls://HOST[:PORT]"),
    ROW(SEC_SYSLOG, "facility", K_ENUM, 0, 23, "local0", 0, AT(syslog.facility), facility_choices,
        NULL,
        "a facility name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, "
        "authpriv, ftp, ntp, security, console, solaris-cron, local0 to local7) or a number "
        "from 0 to 23"),
    ROW(SEC_SYSLOG, "app_name", K_PRINTABLE, 1, 48, "certsweep", 0, AT(syslog.app_name), NULL, NULL,
        "1 to 48 printable ASCII characters, no spaces"),
    ROW(SEC_SYSLOG, "hostname", K_PRINTABLE, 1, 255, NULL, F_HOSTNAME, AT(syslog.hostname), NULL,
        NULL, "1 to 255 printable ASCII characters, no spaces"),
    ROW(SEC_SYSLOG, "ca_file", K_FILE, 0, 0, NULL, 0, AT(syslog.ca_file), NULL, NULL, CA_EXPECT),
    ROW(SEC_SYSLOG, "timeout", K_SECONDS, 1, 600, "5", 0, AT(syslog.timeout_ms), NULL, NULL,
        "seconds from 1 to 600"),

    ROW(SEC_OUTBOX, "max_attempts", K_UINT, 1, 1000, "10", 0, AT(outbox.max_attempts), NULL, NULL,
        "a number from 1 to 1000"),
    ROW(SEC_OUTBOX, "retry_min", K_UINT, 1, 86400, "60", 0, AT(outbox.retry_min_s), NULL, NULL,
        "seconds from 1 to 86400"),
    ROW(SEC_OUTBOX, "retry_max", K_UINT, 1, 604800, "21600", 0, AT(outbox.retry_max_s), NULL, NULL,
        "seconds from 1 to 604800, at least retry_min"),

    ROW(SEC_CERTSWEEP, "url", K_HTTP_URL, 0, 0, NULL, F_HOSTNAME, AT(public_url), NULL, NULL,
        URL_EXPECT),

    /* `certsweep serve`: defaults of its flags, checked again when it starts. */
    ROW(SEC_SERVE, "listen", K_PRINTABLE, 3, 64, NULL, 0, AT(serve.listen), NULL, NULL,
        "ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"),
    ROW(SEC_SERVE, "tls_cert", K_FILE, 0, 0, NULL, 0, AT(serve.tls_cert), NULL, NULL,
        "a readable PEM file: the server's certificate chain"),
    ROW(SEC_SERVE, "tls_key", K_FILE, 0, 0, NULL, 0, AT(serve.tls_key), NULL, NULL,
        "a readable PEM file: the server's private key"),
    ROW(SEC_SERVE, "metrics_token", K_BOOL, 0, 0, "no", 0, AT(serve.metrics_token), yes_no_choices,
        NULL, "yes or no"),

    /* [ticketing.NAME], every type. */
    NROW(TK, T_TICKETING, "type", K_TYPE, 0, 0, NULL, F_REQUIRED, A_NONE, type,
         "servicedeskplus, servicenow or jira"),
    NROW(TK, T_TICKETING, "url", K_HTTP_URL, 0, 0, NULL, F_REQUIRED, A_NONE, url, URL_EXPECT),
    NROW(TK, T_TICKETING, "ca_file", K_FILE, 0, 0, NULL, 0, A_NONE, ca_file, CA_EXPECT),
    NROW(TK, T_TICKETING, "timeout", K_SECONDS, 1, 600, "30", 0, A_NONE, timeout_ms,
         "seconds from 1 to 600"),
    {.section = TK,
     .types = T_TICKETING,
     .key = "close_resolved",
     .kind = K_BOOL,
     .def = "yes",
     .offset = RAT(close_resolved),
     .choices = yes_no_choices,
     .expect = "yes or no"},
    /* ServiceDesk Plus: on-premises authtoken, or cloud OAuth (below). */
    NROW(TK, T_SDP, "authtoken", K_SECRET, 1, 1024, NULL, 0, A_AUTHTOKEN, authtoken,
         "a token of 1 to 1024 characters"),
    NROW(TK, T_SDP, "authtoken_file", K_SECRET_FILE, 0, 0, NULL, 0, A_AUTHTOKEN, authtoken,
         "a file whose first line is the token"),
    NROW(TK, T_SDP, "requester", K_TEXT, 1, 255, NULL, 0, A_NONE, requester, TEXT_EXPECT),
    NROW(TK, T_SDP | T_JIRA, "priority", K_TEXT, 1, 255, NULL, 0, A_NONE, priority, TEXT_EXPECT),
    /* ... and per severity of the event (ticket.h), for SDP and Jira. */
    NROW(TK, T_SDP | T_JIRA, "priority_critical", K_TEXT, 1, 255, NULL, 0, A_NONE,
         priority_by[CS_TICKET_CRITICAL], TEXT_EXPECT),
    NROW(TK, T_SDP | T_JIRA, "priority_error", K_TEXT, 1, 255, NULL, 0, A_NONE,
         priority_by[CS_TICKET_ERROR], TEXT_EXPECT),
    NROW(TK, T_SDP | T_JIRA, "priority_warning", K_TEXT, 1, 255, NULL, 0, A_NONE,
         priority_by[CS_TICKET_WARNING], TEXT_EXPECT),
    NROW(TK, T_SDP | T_JIRA, "priority_info", K_TEXT, 1, 255, NULL, 0, A_NONE,
         priority_by[CS_TICKET_INFO], TEXT_EXPECT),
    NROW(TK, T_SDP, "category", K_TEXT, 1, 255, NULL, 0, A_NONE, category, TEXT_EXPECT),
    NROW(TK, T_SDP, "technician_group", K_TEXT, 1, 255, NULL, 0, A_NONE, technician_group,
         TEXT_EXPECT),
    /* ServiceNow: basic authentication, or OAuth (below). */
    NROW(TK, T_SNOW, "username", K_TEXT, 1, 255, NULL, 0, A_BASIC, username,
         "a user name of 1 to 255 characters"),
    NROW(TK, T_SNOW, "password", K_SECRET, 1, 1024, NULL, 0, A_BASIC, password,
         "a password of 1 to 1024 characters"),
    NROW(TK, T_SNOW, "password_file", K_SECRET_FILE, 0, 0, NULL, 0, A_BASIC, password,
         "a file whose first line is the password"),
    NROW(TK, T_SNOW, "caller_id", K_TEXT, 1, 255, NULL, 0, A_NONE, caller_id, TEXT_EXPECT),
    NROW(TK, T_SNOW, "assignment_group", K_TEXT, 1, 255, NULL, 0, A_NONE, assignment_group,
         TEXT_EXPECT),
    NROW(TK, T_SNOW, "category", K_TEXT, 1, 255, NULL, 0, A_NONE, snow_category, TEXT_EXPECT),
    NROW(TK, T_SNOW, "urgency", K_NUMTEXT, 1, 3, NULL, 0, A_NONE, urgency, "1, 2 or 3"),
    NROW(TK, T_SNOW, "impact", K_NUMTEXT, 1, 3, NULL, 0, A_NONE, impact, "1, 2 or 3"),
    NROW(TK, T_SNOW, "urgency_critical", K_NUMTEXT, 1, 3, NULL, 0, A_NONE,
         urgency_by[CS_TICKET_CRITICAL], "1, 2 or 3"),
    NROW(TK, T_SNOW, "urgency_error", K_NUMTEXT, 1, 3, NULL, 0, A_NONE, urgency_by[CS_TICKET_ERROR],
         "1, 2 or 3"),
    NROW(TK, T_SNOW, "urgency_warning", K_NUMTEXT, 1, 3, NULL, 0, A_NONE,
         urgency_by[CS_TICKET_WARNING], "1, 2 or 3"),
    NROW(TK, T_SNOW, "urgency_info", K_NUMTEXT, 1, 3, NULL, 0, A_NONE, urgency_by[CS_TICKET_INFO],
         "1, 2 or 3"),
    NROW(TK, T_SNOW, "impact_critical", K_NUMTEXT, 1, 3, NULL, 0, A_NONE,
         impact_by[CS_TICKET_CRITICAL], "1, 2 or 3"),
    NROW(TK, T_SNOW, "impact_error", K_NUMTEXT, 1, 3, NULL, 0, A_NONE, impact_by[CS_TICKET_ERROR],
         "1, 2 or 3"),
    NROW(TK, T_SNOW, "impact_warning", K_NUMTEXT, 1, 3, NULL, 0, A_NONE,
         impact_by[CS_TICKET_WARNING], "1, 2 or 3"),
    NROW(TK, T_SNOW, "impact_info", K_NUMTEXT, 1, 3, NULL, 0, A_NONE, impact_by[CS_TICKET_INFO],
         "1, 2 or 3"),
    NROW(TK, T_SNOW, "table", K_NAME, 1, 80, "incident", 0, A_NONE, table,
         "a table name of 1 to 80 characters from A-Z, a-z, 0-9, _, . and -"),
    /* Jira: Cloud (email + API token) or Data Center (personal access token). */
    NROW(TK, T_JIRA, "project", K_NAME, 1, 255, NULL, F_REQUIRED, A_NONE, project,
         "a project key like OPS"),
    NROW(TK, T_JIRA, "issuetype", K_TEXT, 1, 255, "Task", 0, A_NONE, issuetype, TEXT_EXPECT),
    NROW(TK, T_JIRA, "done_transition", K_TEXT, 1, 255, "Done", 0, A_NONE, done_transition,
         TEXT_EXPECT),
    NROW(TK, T_JIRA, "email", K_ADDRESS, 3, 254, NULL, 0, A_API_TOKEN, email,
         "an address like certsweep@example.com"),
    NROW(TK, T_JIRA, "api_token", K_SECRET, 1, 1024, NULL, 0, A_API_TOKEN, api_token,
         "a token of 1 to 1024 characters"),
    NROW(TK, T_JIRA, "api_token_file", K_SECRET_FILE, 0, 0, NULL, 0, A_API_TOKEN, api_token,
         "a file whose first line is the token"),
    NROW(TK, T_JIRA, "pat", K_SECRET, 1, 1024, NULL, 0, A_PAT, pat,
         "a token of 1 to 1024 characters"),
    NROW(TK, T_JIRA, "pat_file", K_SECRET_FILE, 0, 0, NULL, 0, A_PAT, pat,
         "a file whose first line is the token"),
    /* OAuth 2 refresh-token grant: ServiceDesk Plus cloud and ServiceNow. */
    NROW(TK, T_SDP | T_SNOW, "oauth_client_id", K_PRINTABLE, 1, 255, NULL, 0, A_OAUTH,
         oauth_client_id, "1 to 255 printable ASCII characters, no spaces"),
    NROW(TK, T_SDP | T_SNOW, "oauth_client_secret", K_SECRET, 1, 1024, NULL, 0, A_OAUTH,
         oauth_client_secret, "a secret of 1 to 1024 characters"),
    NROW(TK, T_SDP | T_SNOW, "oauth_client_secret_file", K_SECRET_FILE, 0, 0, NULL, 0, A_OAUTH,
         oauth_client_secret, "a file whose first line is the client secret"),
    NROW(TK, T_SDP | T_SNOW, "oauth_refresh_token", K_SECRET, 1, 1024, NULL, 0, A_OAUTH,
         oauth_refresh_token, "a token of 1 to 1024 characters"),
    NROW(TK, T_SDP | T_SNOW, "oauth_refresh_token_file", K_SECRET_FILE, 0, 0, NULL, 0, A_OAUTH,
         oauth_refresh_token, "a file whose first line is the refresh token"),
    NROW(TK, T_SDP, "oauth_token_url", K_HTTP_URL, 0, 0, "https://accounts.zoho.com/oauth/v2/token",
         F_OPTIONAL, A_OAUTH, oauth_token_url, URL_EXPECT),
    NROW(TK, T_SNOW, "oauth_token_url", K_HTTP_URL, 0, 0, "{url}/oauth_token.do", F_OPTIONAL,
         A_OAUTH, oauth_token_url, URL_EXPECT),

    /* [webhook.NAME] */
    NROW(WH, T_WEBHOOK, "type", K_TYPE, 0, 0, NULL, F_REQUIRED, A_NONE, type,
         "pagerduty, slack, teams or generic"),
    NROW(WH, T_SLACK | T_TEAMS | T_GENERIC, "url", K_HOOK_URL, 0, 0, NULL, F_REQUIRED, A_NONE, url,
         "http://HOST[:PORT][/PATH][?QUERY] or https://..., without user or fragment"),
    NROW(WH, T_PD, "url", K_HTTP_URL, 0, 0, "https://events.pagerduty.com/v2/enqueue", 0, A_NONE,
         url, URL_EXPECT),
    NROW(WH, T_WEBHOOK, "ca_file", K_FILE, 0, 0, NULL, 0, A_NONE, ca_file, CA_EXPECT),
    NROW(WH, T_WEBHOOK, "timeout", K_SECONDS, 1, 600, "30", 0, A_NONE, timeout_ms,
         "seconds from 1 to 600"),
    NROW(WH, T_PD, "routing_key", K_SECRET, 1, 1024, NULL, 0, A_ROUTING_KEY, routing_key,
         "an integration key of 1 to 1024 characters"),
    NROW(WH, T_PD, "routing_key_file", K_SECRET_FILE, 0, 0, NULL, 0, A_ROUTING_KEY, routing_key,
         "a file whose first line is the integration key"),
    NROW(WH, T_GENERIC, "bearer_token", K_SECRET, 1, 1024, NULL, 0, A_BEARER, bearer_token,
         "a token of 1 to 1024 characters"),
    NROW(WH, T_GENERIC, "bearer_token_file", K_SECRET_FILE, 0, 0, NULL, 0, A_BEARER, bearer_token,
         "a file whose first line is the token"),
};

enum { NSETTINGS = sizeof(settings) / sizeof(settings[0]) };

/* ---- parsing state -------------------------------------------------------- */

/* An entry of a named section read before its `type`: checked once the
 * type is known. */
struct pending {
    int slot; /* key_slot() of the key; -1: not a key of the section */
    unsigned line;
    char *key;
    char *value; /* may be a secret: wiped when freed */
};

/* What the parser keeps of one section as written. Arrays indexed by
 * key_slot(): the rows of one key (which differ by type) share a slot. */
struct block {
    enum section section;
    int remote;                   /* named sections: the index in cfg->remotes; -1: fixed */
    unsigned line;                /* of its header; 0: absent */
    unsigned types;               /* named sections: T(type) once `type` is read; 0 before */
    unsigned key_line[NSETTINGS]; /* where each key was given; 0: absent */
    char *secret_file[NSETTINGS]; /* KEY_file rows: the file named */
    struct pending *pending;
    size_t npending;
};

struct parse {
    struct cs_config *cfg;
    const char *name; /* the file, as messages name it */
    const char *text; /* the whole file */
    size_t len, pos;
    unsigned lineno;               /* of the line last handed to libinih */
    struct block *cur;             /* the open section; NULL before the first */
    struct block fixed[NSECTIONS]; /* the fixed sections (named ones' entries are unused) */
    struct block *remotes;         /* one per cfg->remotes, in the same order */
    bool check_perms;              /* refuse secret files open to group/others */
    enum cs_rc rc;                 /* the first error */
    unsigned err_line;             /* its line; 0: none */
    char *err;
    size_t errlen;
    char why[CS_ERRLEN]; /* a setter's own complaint; "" for "expected ..." */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Copies s for a message: at most MAX_SHOWN characters, anything that is not
 * printable ASCII as '?'. */
static const char *shown(const char *s, char *buf, size_t buflen)
{
    size_t n = 0;
    for (; *s && n + 4 < buflen && n < MAX_SHOWN; s++)
        buf[n++] = *s >= ' ' && *s <= '~' ? *s : '?';
    if (*s) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

static bool fail(struct parse *st, enum cs_rc rc, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first error, "NAME:LINE: ..." (no line when line is 0). */
static bool fail(struct parse *st, enum cs_rc rc, unsigned line, const char *fmt, ...)
{
    char msg[CS_ERRLEN];
    va_list ap;

    if (st->rc != CS_OK)
        return false;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0)
        cs_fail(st->err, st->errlen, rc, "%s:%u: %s", st->name, line, msg);
    else
        cs_fail(st->err, st->errlen, rc, "%s: %s", st->name, msg);
    st->rc = rc;
    st->err_line = line;
    return false;
}

static bool nomem(struct parse *st)
{
    return fail(st, CS_ERR_NOMEM, 0, "out of memory");
}

/* The section as messages name it: "smtp", "ticketing.sdp". */
static const char *label(const struct parse *st, const struct block *b)
{
    return b->remote >= 0 ? st->cfg->remotes[b->remote].channel : sections[b->section].name;
}

/* The field row s fills in the struct of block b. */
static void *field(struct parse *st, const struct block *b, const struct setting *s)
{
    char *base = b->remote >= 0 ? (char *)&st->cfg->remotes[b->remote] : (char *)st->cfg;
    return base + s->offset;
}

/* The slot of a key of a section (its first row); -1 if no row has it. */
static int key_slot(enum section sec, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].section == sec && strcmp(settings[i].key, key) == 0)
            return (int)i;
    return -1;
}

static int slot_of(const struct setting *s)
{
    return key_slot(s->section, s->key);
}

/* Whether row s belongs to block b's section and, for a named one, to its
 * type (any type while it is not known). */
static bool applies(const struct setting *s, const struct block *b)
{
    return s->section == b->section && (b->types == 0 || (s->types & b->types) != 0);
}

static const struct setting *find_setting(const struct block *b, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (applies(&settings[i], b) && strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

/* Where a key of block b was given; 0: not given. */
static unsigned key_line(const struct block *b, const char *key)
{
    int slot = key_slot(b->section, key);
    return slot < 0 ? 0 : b->key_line[slot];
}

/* The environment variable that overrides secret row s of block b:
 * CERTSWEEP_<SECTION>[_<NAME>]_<KEY>, upper case, '.' and '-' as '_'. */
static const char *env_name(const struct parse *st, const struct block *b, const struct setting *s,
                            char *buf, size_t len)
{
    char *p;

    if (s->env != NULL)
        return s->env;
    snprintf(buf, len, "CERTSWEEP_%s_%s", label(st, b), s->key);
    for (p = buf; *p; p++) {
        if (*p == '.' || *p == '-')
            *p = '_';
        else if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    }
    return buf;
}

/* ---- values --------------------------------------------------------------- */

/* Reads a decimal number without sign; false if it is not one or overflows. */
static bool parse_number(const char *v, unsigned long *out)
{
    unsigned long n = 0;
    if (*v == '\0')
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (ULONG_MAX - 9) / 10)
            return false;
        n = n * 10 + (unsigned long)(*v - '0');
    }
    *out = n;
    return true;
}

static bool valid_hostname(const char *h, size_t len)
{
    if (len == 0 || len > MAX_HOST)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

/* An IPv6 literal, optionally with a zone ("fe80::1%eth0"). */
static bool valid_ipv6(const char *h, size_t len)
{
    char buf[INET6_ADDRSTRLEN + 32];
    unsigned char addr[16];
    const char *zone = memchr(h, '%', len);
    size_t alen = zone ? (size_t)(zone - h) : len;

    if (alen == 0 || alen >= INET6_ADDRSTRLEN || len >= sizeof(buf))
        return false;
    if (zone && !valid_hostname(zone + 1, len - alen - 1))
        return false;
    memcpy(buf, h, alen);
    buf[alen] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1;
}

/*
 * Splits "HOST[:PORT][/]" after a URL's scheme: host is a name, an IPv4
 * address or an IPv6 address in brackets (stored without them). *port is 0
 * when none is given. On failure, st->why may say more than `expect`;
 * user_hint says where credentials go instead of the URL.
 */
static bool split_authority(struct parse *st, const char *rest, char **host, unsigned *port,
                            const char *user_hint)
{
    const char *h = rest, *end;
    size_t hlen;

    *port = 0;
    if (strchr(rest, '@') != NULL) {
        snprintf(st->why, sizeof(st->why), "expected no user in the URL: %s", user_hint);
        return false;
    }
    if (*h == '[') {
        end = strchr(h, ']');
        if (end == NULL)
            return false;
        h++;
        hlen = (size_t)(end - h);
        if (!valid_ipv6(h, hlen))
            return false;
        end++;
    } else {
        end = h + strcspn(h, ":/");
        hlen = (size_t)(end - h);
        if (*end == ':' && strchr(end + 1, ':') != NULL) {
            snprintf(st->why, sizeof(st->why),
                     "expected an IPv6 address in brackets, as in [::1]:514");
            return false;
        }
        if (!valid_hostname(h, hlen))
            return false;
    }
    if (*end == ':') {
        char digits[8];
        unsigned long p;
        size_t n = strcspn(end + 1, "/");
        if (n == 0 || n >= sizeof(digits))
            return false;
        memcpy(digits, end + 1, n);
        digits[n] = '\0';
        if (!parse_number(digits, &p) || p < 1 || p > 65535)
            return false;
        *port = (unsigned)p;
        end += 1 + n;
    }
    if (strcmp(end, "") != 0 && strcmp(end, "/") != 0)
        return false;
    *host = strndup(h, hlen);
    if (*host == NULL)
        return nomem(st);
    return true;
}

/* Stores a copy of v into the char * at *slot, replacing what was there. */
static bool store_string(struct parse *st, char **slot, const char *v)
{
    char *copy = strdup(v);
    if (copy == NULL)
        return nomem(st);
    free(*slot);
    *slot = copy;
    return true;
}

static bool set_smtp_url(struct parse *st, char **f, const char *v)
{
    const char *rest;
    char *host = NULL;
    unsigned port;

    if (strncasecmp(v, "smtp://", 7) == 0)
        rest = v + 7;
    else if (strncasecmp(v, "smtps://", 8) == 0)
        rest = v + 8;
    else
        return false;
    if (!split_authority(st, rest, &host, &port,
                         "give it with username (and the password with password or "
                         "password_file)"))
        return false;
    free(host);
    return store_string(st, f, v);
}

static bool set_syslog_url(struct parse *st, char **f, const char *v)
{
    static const struct {
        const char *scheme;
        enum cs_syslog_transport transport;
        const char *port;
    } schemes[] = {
        {"udp://", CS_SYSLOG_UDP, "514"},
        {"tcp://", CS_SYSLOG_TCP, "514"},
        {"tls://", CS_SYSLOG_TLS, "6514"},
    };
    struct cs_syslog_config *sl = &st->cfg->syslog;
    char *host = NULL, portbuf[12];
    unsigned port;

    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strncasecmp(v, schemes[i].scheme, 6) != 0)
            continue;
        if (!split_authority(st, v + 6, &host, &port, "syslog has no authentication"))
            return false;
        if (port != 0)
            snprintf(portbuf, sizeof(portbuf), "%u", port);
        else
            snprintf(portbuf, sizeof(portbuf), "%s", schemes[i].port);
        free(sl->host);
        sl->host = host;
        sl->transport = schemes[i].transport;
        return store_string(st, &sl->port, portbuf) && store_string(st, f, v);
    }
    return false;
}

/*
 * http://HOST[:PORT][/PATH] or https://...: the API of a ticketing system,
 * a webhook, or how tickets name this installation. Credentials belong in
 * the section's keys (where they are secrets), not in the URL, and so do
 * parameters: no user, no query, no fragment. Plain http:// is accepted
 * (on-premises ServiceDesk Plus often runs so); the channel warns.
 */
static bool set_http_url(struct parse *st, char **f, const char *v, bool query_allowed)
{
    char authority[MAX_HOST + 16], *host = NULL;
    const char *rest;
    unsigned port;
    size_t n;

    if (strncasecmp(v, "https://", 8) == 0)
        rest = v + 8;
    else if (strncasecmp(v, "http://", 7) == 0)
        rest = v + 7;
    else
        return false;
    n = strcspn(rest, "/?#");
    if (memchr(rest, '@', n) != NULL) {
        snprintf(st->why, sizeof(st->why),
                 "expected no user or password in the URL: give them with the section's keys");
        return false;
    }
    if (strchr(rest, '#') != NULL || (!query_allowed && strchr(rest, '?') != NULL)) {
        snprintf(st->why, sizeof(st->why), "expected no %sfragment (#) in the URL",
                 query_allowed ? "" : "query (?) or ");
        return false;
    }
    if (n >= sizeof(authority))
        return false;
    memcpy(authority, rest, n);
    authority[n] = '\0';
    if (!split_authority(st, authority, &host, &port, ""))
        return false;
    free(host);
    for (const char *p = rest + n; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p > '~')
            return false;
    return store_string(st, f, v);
}

/* A named section's type, which decides which of its keys apply. */
static bool set_type(struct parse *st, struct block *b, const struct setting *s,
                     enum cs_remote_type *f, const char *v)
{
    for (size_t i = 0; i < NTYPES; i++) {
        if (remote_types[i].section != s->section || strcasecmp(remote_types[i].name, v) != 0)
            continue;
        *f = (enum cs_remote_type)i;
        b->types = T(i);
        return true;
    }
    return false;
}

static bool set_choice(const struct setting *s, void *f, const char *v)
{
    unsigned long n;

    for (const struct choice *c = s->choices; c->name != NULL; c++) {
        if (strcasecmp(c->name, v) != 0)
            continue;
        if (s->kind == K_BOOL)
            *(bool *)f = c->value != 0;
        else
            *(unsigned *)f = c->value;
        return true;
    }
    if (s->kind == K_ENUM && s->max > 0 && parse_number(v, &n) && n >= s->min && n <= s->max) {
        *(unsigned *)f = (unsigned)n;
        return true;
    }
    return false;
}

static bool set_address(struct parse *st, const struct setting *s, char **f, const char *v)
{
    /* The same rule as every address certsweep sends to, so that a sender
     * `config check` accepts is one delivery accepts. */
    size_t len = strlen(v);
    if (len < s->min || len > s->max || !cs_email_address_valid(v))
        return false;
    return store_string(st, f, v);
}

static bool set_text(struct parse *st, const struct setting *s, char **f, const char *v)
{
    size_t len = strlen(v);

    if (len < s->min || len > s->max)
        return false;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < ' ' || c == 0x7f || (s->kind == K_PRINTABLE && (c == ' ' || c > '~')))
            return false;
        if (s->kind == K_NAME && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                   (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    if (s->kind == K_SECRET) {
        char *copy = strdup(v);
        if (copy == NULL)
            return nomem(st);
        if (*f != NULL) {
            OPENSSL_cleanse(*f, strlen(*f));
            free(*f);
        }
        *f = copy;
        return true;
    }
    return store_string(st, f, v);
}

static bool set_file(struct parse *st, char **f, const char *v)
{
    char name[MAX_SHOWN + 4];
    struct stat sb;

    if (*v == '\0')
        return false;
    if (access(v, R_OK) != 0 || stat(v, &sb) != 0) {
        snprintf(st->why, sizeof(st->why), "cannot read '%s': %s", shown(v, name, sizeof(name)),
                 strerror(errno));
        return false;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(st->why, sizeof(st->why), "'%s' is not a regular file",
                 shown(v, name, sizeof(name)));
        return false;
    }
    return store_string(st, f, v);
}

static bool set_number(const struct setting *s, unsigned *f, const char *v)
{
    unsigned long n;

    if (!parse_number(v, &n) || n < s->min || n > s->max)
        return false;
    *f = (unsigned)(s->kind == K_SECONDS ? n * 1000 : n);
    return true;
}

/* A number kept as text (ServiceNow's urgency and impact), without leading zeros. */
static bool set_numtext(struct parse *st, const struct setting *s, char **f, const char *v)
{
    char buf[24];
    unsigned long n;

    if (!parse_number(v, &n) || n < s->min || n > s->max)
        return false;
    snprintf(buf, sizeof(buf), "%lu", n);
    return store_string(st, f, buf);
}

/* Checks and stores one value of block b; false with the error recorded. */
static bool set_value(struct parse *st, struct block *b, const struct setting *s, const char *v,
                      unsigned line)
{
    char shown_value[MAX_SHOWN + 4];
    void *f = field(st, b, s);
    bool ok = false;

    st->why[0] = '\0';
    switch (s->kind) {
    case K_SMTP_URL:
        ok = set_smtp_url(st, f, v);
        break;
    case K_SYSLOG_URL:
        ok = set_syslog_url(st, f, v);
        break;
    case K_HTTP_URL:
    case K_HOOK_URL:
        ok = set_http_url(st, f, v, s->kind == K_HOOK_URL);
        break;
    case K_TYPE:
        ok = set_type(st, b, s, f, v);
        break;
    case K_BOOL:
    case K_ENUM:
        ok = set_choice(s, f, v);
        break;
    case K_ADDRESS:
        ok = set_address(st, s, f, v);
        break;
    case K_TEXT:
    case K_PRINTABLE:
    case K_NAME:
    case K_SECRET:
        ok = set_text(st, s, f, v);
        break;
    case K_NUMTEXT:
        ok = set_numtext(st, s, f, v);
        break;
    case K_SECRET_FILE:
        /* The name only; the file is read once the whole section is known. */
        ok = *v != '\0' && store_string(st, &b->secret_file[slot_of(s)], v);
        break;
    case K_FILE:
        ok = set_file(st, f, v);
        break;
    case K_UINT:
    case K_SECONDS:
        ok = set_number(s, f, v);
        break;
    }
    if (ok || st->rc != CS_OK)
        return ok;
    if (st->why[0] != '\0')
        return fail(st, CS_ERR_USAGE, line, "[%s] %s: %s", label(st, b), s->key, st->why);
    if (s->kind == K_SECRET || s->kind == K_HOOK_URL)
        return fail(st, CS_ERR_USAGE, line, "[%s] %s: expected %s, not the value", label(st, b),
                    s->key, s->expect);
    return fail(st, CS_ERR_USAGE, line, "[%s] %s: expected %s, not '%s'", label(st, b), s->key,
                s->expect, shown(v, shown_value, sizeof(shown_value)));
}

/* ---- lines and entries ---------------------------------------------------- */

/* The keys of block b's section (and type), comma-separated. */
static void list_keys(const struct block *b, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NSETTINGS && n < len; i++)
        if (applies(&settings[i], b))
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", settings[i].key);
}

static void free_pending(struct block *b)
{
    for (size_t i = 0; i < b->npending; i++) {
        free(b->pending[i].key);
        if (b->pending[i].value != NULL) {
            OPENSSL_cleanse(b->pending[i].value, strlen(b->pending[i].value));
            free(b->pending[i].value);
        }
    }
    free(b->pending);
    b->pending = NULL;
    b->npending = 0;
}

/* Checks and stores key = value of block b, whose type (if named) is known. */
static bool apply_entry(struct parse *st, struct block *b, const char *key, const char *value,
                        unsigned line)
{
    char name[MAX_SHOWN + 4], keys[512];
    const struct setting *s = find_setting(b, key);

    if (s == NULL) {
        list_keys(b, keys, sizeof(keys));
        if (b->remote < 0)
            return fail(st, CS_ERR_USAGE, line, "[%s] unknown key '%s'; valid keys: %s",
                        label(st, b), shown(key, name, sizeof(name)), keys);
        return fail(st, CS_ERR_USAGE, line, "[%s] '%s' is not a key of type %s; its keys are %s",
                    label(st, b), shown(key, name, sizeof(name)),
                    remote_types[st->cfg->remotes[b->remote].type].name, keys);
    }
    b->key_line[slot_of(s)] = line;
    return set_value(st, b, s, value, line);
}

/* Keeps an entry of a named section until its type is known. Only the
 * first entry that is no key of the section is kept: checking stops there. */
static bool defer_entry(struct parse *st, struct block *b, int slot, const char *key,
                        const char *value, unsigned line)
{
    struct pending *p;

    for (size_t i = 0; slot < 0 && i < b->npending; i++)
        if (b->pending[i].slot < 0)
            return true;
    p = realloc(b->pending, (b->npending + 1) * sizeof(*p));
    if (p == NULL)
        return nomem(st);
    b->pending = p;
    p += b->npending;
    *p = (struct pending){.slot = slot, .line = line, .key = strdup(key), .value = strdup(value)};
    b->npending++;
    if (p->key == NULL || p->value == NULL)
        return nomem(st);
    if (slot >= 0)
        b->key_line[slot] = line;
    return true;
}

/* Checks, in the order they were written, the entries read before the type. */
static bool apply_pending(struct parse *st, struct block *b)
{
    bool ok = true;

    for (size_t i = 0; ok && i < b->npending; i++)
        ok = apply_entry(st, b, b->pending[i].key, b->pending[i].value, b->pending[i].line);
    free_pending(b);
    return ok;
}

/* The end of the open section: a named one must have said its type. */
static bool close_section(struct parse *st)
{
    struct block *b = st->cur;
    const struct setting *type;

    if (b == NULL || b->remote < 0 || b->types != 0)
        return true;
    type = find_setting(b, "type");
    return fail(st, CS_ERR_USAGE, b->line, "[%s] needs type (%s)", label(st, b), type->expect);
}

static bool valid_name(const char *p, size_t n)
{
    if (n == 0 || n > MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_' ||
              p[i] == '-'))
            return false;
    return true;
}

/* Opens [ticketing.NAME] or [webhook.NAME]: a new remote and its block. */
static bool open_named(struct parse *st, enum section sec, const char *p, size_t n)
{
    struct cs_config *cfg = st->cfg;
    struct cs_remote_config *remotes, *r;
    struct block *blocks, *b;
    bool is_webhook = sec == SEC_WEBHOOK;
    char shown_name[MAX_SHOWN + 4], text[MAX_SHOWN + 4];

    if (!valid_name(p, n)) {
        snprintf(text, sizeof(text), "%.*s", (int)(n < MAX_SHOWN ? n : MAX_SHOWN), p);
        return fail(st, CS_ERR_USAGE, st->lineno,
                    "[%s.%s]: expected a name of 1 to %d characters from a-z, 0-9, _ and -, as "
                    "in [%s.main]",
                    sections[sec].name, shown(text, shown_name, sizeof(shown_name)), MAX_NAME,
                    sections[sec].name);
    }
    for (size_t i = 0; i < cfg->nremotes; i++)
        if (cfg->remotes[i].is_webhook == is_webhook && strlen(cfg->remotes[i].name) == n &&
            memcmp(cfg->remotes[i].name, p, n) == 0)
            return fail(st, CS_ERR_USAGE, st->lineno, "[%s] given twice (first at line %u)",
                        cfg->remotes[i].channel, st->remotes[i].line);
    if (cfg->nremotes >= MAX_REMOTES)
        return fail(st, CS_ERR_USAGE, st->lineno,
                    "more than %d [ticketing.*] and [webhook.*] sections", MAX_REMOTES);

    remotes = realloc(cfg->remotes, (cfg->nremotes + 1) * sizeof(*remotes));
    if (remotes == NULL)
        return nomem(st);
    cfg->remotes = remotes;
    blocks = realloc(st->remotes, (cfg->nremotes + 1) * sizeof(*blocks));
    if (blocks == NULL)
        return nomem(st);
    st->remotes = blocks;
    r = &remotes[cfg->nremotes];
    b = &blocks[cfg->nremotes];
    memset(r, 0, sizeof(*r));
    memset(b, 0, sizeof(*b));
    b->section = sec;
    b->remote = (int)cfg->nremotes;
    b->line = st->lineno;
    cfg->nremotes++;
    r->is_webhook = is_webhook;
    r->name = strndup(p, n);
    if (r->name == NULL)
        return nomem(st);
    r->channel = malloc(strlen(sections[sec].name) + n + 2);
    if (r->channel == NULL)
        return nomem(st);
    sprintf(r->channel, "%s.%s", sections[sec].name, r->name);
    st->cur = b;
    return true;
}

/* "[name]" or "[name.NAME]", comments and blanks already cut. */
static bool open_section(struct parse *st, const char *p, size_t n)
{
    char name[MAX_SHOWN + 4], text[MAX_SHOWN + 4];
    const char *close = memchr(p, ']', n), *dot;

    if (close == NULL || close != p + n - 1)
        return fail(st, CS_ERR_USAGE, st->lineno, "expected a section header like [smtp]");
    if (!close_section(st))
        return false;
    p++;
    n -= 2;
    while (n > 0 && is_blank(*p))
        p++, n--;
    while (n > 0 && is_blank(p[n - 1]))
        n--;
    snprintf(text, sizeof(text), "%.*s", (int)(n < MAX_SHOWN ? n : MAX_SHOWN), p);
    dot = memchr(p, '.', n);
    for (int i = 0; i < NSECTIONS; i++) {
        size_t len = strlen(sections[i].name);
        struct block *b = &st->fixed[i];
        if (sections[i].named && dot != NULL && (size_t)(dot - p) == len &&
            memcmp(sections[i].name, p, len) == 0)
            return open_named(st, (enum section)i, dot + 1, n - len - 1);
        if (len != n || memcmp(sections[i].name, p, n) != 0)
            continue;
        if (sections[i].named)
            return fail(st, CS_ERR_USAGE, st->lineno, "[%s] needs a name, as in [%s.main]",
                        sections[i].name, sections[i].name);
        if (b->line != 0)
            return fail(st, CS_ERR_USAGE, st->lineno, "[%s] given twice (first at line %u)",
                        sections[i].name, b->line);
        b->line = st->lineno;
        st->cur = b;
        if (i == SEC_SMTP)
            st->cfg->smtp.configured = true;
        else if (i == SEC_SYSLOG)
            st->cfg->syslog.configured = true;
        return true;
    }
    return fail(st, CS_ERR_USAGE, st->lineno,
                "unknown section [%s]; valid sections: [smtp], [syslog], [outbox], [certsweep], "
                "[serve], [ticketing.NAME], [webhook.NAME]",
                shown(text, name, sizeof(name)));
}

/*
 * The ini_reader: hands libinih the next line, normalised as the comment
 * at the top says, and ends the file early (NULL) once an error is known.
 */
static char *next_line(char *buf, int size, void *arg)
{
    struct parse *st = arg;
    const char *p, *nl;
    size_t n;

    if (st->rc != CS_OK || st->pos >= st->len)
        return NULL;
    p = st->text + st->pos;
    nl = memchr(p, '\n', st->len - st->pos);
    n = nl ? (size_t)(nl - p) : st->len - st->pos;
    st->pos += n + (nl != NULL);
    st->lineno++;

    if (st->lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3, n -= 3;
    if (memchr(p, '\0', n) != NULL) {
        fail(st, CS_ERR_USAGE, st->lineno, "a NUL byte: not a text file");
        return NULL;
    }
    while (n > 0 && is_blank(*p))
        p++, n--;
    if (n > 0 && (*p == ';' || *p == '#'))
        n = 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] == ';' && is_blank(p[i - 1])) {
            n = i;
            break;
        }
    }
    while (n > 0 && is_blank(p[n - 1]))
        n--;

    if (size < 3 || n > (size_t)size - 2) {
        fail(st, CS_ERR_USAGE, st->lineno, "line longer than %d characters",
             size < 3 ? 0 : size - 2);
        return NULL;
    }
    if (n > 0 && *p == '[' && !open_section(st, p, n))
        return NULL;
    memcpy(buf, p, n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    return buf;
}

/* The ini_handler: one key = value of the current line. */
static int on_entry(void *arg, const char *section, const char *key, const char *value)
{
    struct parse *st = arg;
    struct block *b = st->cur;
    char name[MAX_SHOWN + 4];
    unsigned line = st->lineno;
    int slot;

    (void)section; /* next_line tracks it, empty sections included */
    if (st->rc != CS_OK)
        return 0;
    if (b == NULL)
        return fail(st, CS_ERR_USAGE, line,
                    "'%s' is outside any section: start with [smtp], [syslog], [outbox], "
                    "[certsweep], [serve], [ticketing.NAME] or [webhook.NAME]",
                    shown(key, name, sizeof(name)));
    value = value ? value : "";
    slot = key_slot(b->section, key);
    if (slot >= 0 && b->key_line[slot] != 0)
        return fail(st, CS_ERR_USAGE, line, "[%s] %s given twice (first at line %u)", label(st, b),
                    settings[slot].key, b->key_line[slot]);
    if (b->remote >= 0 && b->types == 0 && strcmp(key, "type") != 0)
        return defer_entry(st, b, slot, key, value, line);
    if (!apply_entry(st, b, key, value, line))
        return 0;
    return b->npending == 0 || apply_pending(st, b);
}

/* ---- after the last line -------------------------------------------------- */

/* Reads the first line of the secret file of row s (KEY_file) of block b
 * into *out (the caller wipes it). */
static bool read_secret_file(struct parse *st, struct block *b, const struct setting *s, size_t max,
                             const char *path, char **out)
{
    char buf[MAX_SECRET_FILE + 1], name[MAX_SHOWN + 4];
    unsigned line = b->key_line[slot_of(s)];
    const char *sec = label(st, b);
    struct stat sb;
    ssize_t got = 0, r;
    const char *nl;
    size_t n;
    int fd;
    bool ok = false;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        fail(st, CS_ERR_IO, line, "[%s] %s: cannot read '%s': %s", sec, s->key,
             shown(path, name, sizeof(name)), strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        fail(st, CS_ERR_USAGE, line, "[%s] %s: '%s' is not a regular file", sec, s->key,
             shown(path, name, sizeof(name)));
        goto out;
    }
    if (st->check_perms && (sb.st_mode & PERM_MASK) != 0) {
        fail(st, CS_ERR_USAGE, line,
             "[%s] %s: '%s' is readable by others (mode %04o); chmod 600 it", sec, s->key,
             shown(path, name, sizeof(name)), (unsigned)(sb.st_mode & 07777));
        goto out;
    }
    while ((size_t)got < MAX_SECRET_FILE &&
           (r = read(fd, buf + got, MAX_SECRET_FILE - (size_t)got)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(st, CS_ERR_IO, line, "[%s] %s: cannot read '%s': %s", sec, s->key,
                 shown(path, name, sizeof(name)), strerror(errno));
            goto out;
        }
        got += r;
    }
    nl = memchr(buf, '\n', (size_t)got);
    n = nl ? (size_t)(nl - buf) : (size_t)got;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (n == 0 || memchr(buf, '\0', n) != NULL || n > max) {
        fail(st, CS_ERR_USAGE, line,
             "[%s] %s: the first line of '%s' must hold the secret (1 to %zu bytes, no NUL)", sec,
             s->key, shown(path, name, sizeof(name)), max);
        goto out;
    }
    *out = strndup(buf, n);
    ok = *out != NULL || nomem(st);
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Replaces a secret, wiping the old one. */
static void replace_secret(char **slot, char *value)
{
    if (*slot != NULL) {
        OPENSSL_cleanse(*slot, strlen(*slot));
        free(*slot);
    }
    *slot = value;
}

/* The row of KEY_file for secret row s in block b; NULL if none. */
static const struct setting *file_row_of(const struct block *b, const struct setting *s)
{
    char file_key[64];
    snprintf(file_key, sizeof(file_key), "%s_file", s->key);
    return find_setting(b, file_key);
}

/* Notes where secret row s of block b came from: from is the key, the
 * KEY_file key or the environment variable's name. */
static void record_source(struct parse *st, struct block *b, const struct setting *s,
                          const char *from)
{
    struct cs_remote_config *r;

    if (b->remote < 0) {
        /* [smtp] password: from is one of the table's static strings. */
        st->cfg->smtp.password_source = from;
        return;
    }
    r = &st->cfg->remotes[b->remote];
    for (size_t i = 0; i < CS_REMOTE_MAX_SECRETS; i++) {
        if (r->secrets[i].key != NULL)
            continue;
        r->secrets[i].key = s->key;
        snprintf(r->secrets[i].from, sizeof(r->secrets[i].from), "%s", from);
        return;
    }
}

/* Where secret row s of block b comes from: the environment, else its
 * file, else the key. */
static bool resolve_secret(struct parse *st, struct block *b, const struct setting *s)
{
    const struct setting *file_row = file_row_of(b, s);
    char envbuf[MAX_ENV], *value = NULL;
    unsigned line = b->key_line[slot_of(s)], file_line = 0;
    const char *env_var = env_name(st, b, s, envbuf, sizeof(envbuf));
    const char *env = getenv(env_var), *path = NULL;

    if (file_row != NULL) {
        file_line = b->key_line[slot_of(file_row)];
        path = b->secret_file[slot_of(file_row)];
    }
    if (line != 0 && file_line != 0)
        return fail(st, CS_ERR_USAGE, line > file_line ? line : file_line,
                    "[%s] %s and %s are both set; keep one", label(st, b), s->key, file_row->key);
    if (env != NULL && *env != '\0') {
        if (strlen(env) > s->max)
            return fail(st, CS_ERR_USAGE, 0, "%s: expected %s, not the value", env_var, s->expect);
        value = strdup(env);
        if (value == NULL)
            return nomem(st);
        replace_secret(field(st, b, s), value);
        record_source(st, b, s, env_var);
        return true;
    }
    if (path != NULL) {
        if (!read_secret_file(st, b, file_row, s->max, path, &value))
            return false;
        replace_secret(field(st, b, s), value);
        record_source(st, b, s, file_row->key);
        return true;
    }
    if (line != 0)
        record_source(st, b, s, s->key);
    return true;
}

static bool default_hostname(struct parse *st, struct block *b, const struct setting *s)
{
    char host[256];
    const char *v = "-"; /* RFC 5424's NILVALUE: the name is unknown */

    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        v = host;
        for (const char *p = host; *p; p++)
            if (*p <= ' ' || *p > '~')
                v = "-";
        if (*host == '\0')
            v = "-";
    }
    return store_string(st, field(st, b, s), v);
}

/* Fills in the default of row s, which block b did not give. */
static bool set_default(struct parse *st, struct block *b, const struct setting *s)
{
    char *url, *v;
    size_t n;
    bool ok;

    if (s->flags & F_HOSTNAME)
        return default_hostname(st, b, s);
    if (s->def == NULL)
        return true;
    if (strncmp(s->def, "{url}", 5) != 0)
        return set_value(st, b, s, s->def, b->line);
    /* "{url}/oauth_token.do": after the section's url, without its final '/'. */
    url = st->cfg->remotes[b->remote].url;
    n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    v = malloc(n + strlen(s->def + 5) + 1);
    if (v == NULL)
        return nomem(st);
    memcpy(v, url, n);
    strcpy(v + n, s->def + 5);
    ok = set_value(st, b, s, v, b->line);
    free(v);
    return ok;
}

/*
 * Whether row s (not a KEY_file row) of block b is given: by its key, by
 * KEY_file or, for a secret, by the environment. *who names it for
 * messages (the key or the variable, never the value), *line is where it
 * was written (0: the environment).
 */
static bool is_given(struct parse *st, struct block *b, const struct setting *s, char *who,
                     size_t wholen, unsigned *line)
{
    const struct setting *file_row;
    const char *env;

    *line = b->key_line[slot_of(s)];
    snprintf(who, wholen, "%s", s->key);
    if (*line != 0 || s->kind != K_SECRET)
        return *line != 0;
    file_row = file_row_of(b, s);
    if (file_row != NULL && (*line = b->key_line[slot_of(file_row)]) != 0) {
        snprintf(who, wholen, "%s", file_row->key);
        return true;
    }
    env_name(st, b, s, who, wholen);
    env = getenv(who);
    return env != NULL && *env != '\0';
}

/* The required keys of each way block b's type may authenticate, in table
 * order: "authtoken, or oauth_client_id + oauth_client_secret +
 * oauth_refresh_token". *nways counts the ways, *last is the last key. */
static void list_auths(const struct block *b, char *buf, size_t len, int *nways,
                       const struct setting **last)
{
    bool listed[NAUTHS] = {false};
    size_t n = 0;

    buf[0] = '\0';
    *nways = 0;
    for (size_t i = 0; i < NSETTINGS; i++) {
        enum auth way = settings[i].auth;
        if (!applies(&settings[i], b) || way == A_NONE || listed[way])
            continue;
        listed[way] = true;
        ++*nways;
        for (size_t j = i; j < NSETTINGS && n < len; j++) {
            const struct setting *s = &settings[j];
            if (!applies(s, b) || s->auth != way || s->kind == K_SECRET_FILE ||
                (s->flags & F_OPTIONAL))
                continue;
            n += (size_t)snprintf(buf + n, len - n, "%s%s", j == i ? (n ? ", or " : "") : " + ",
                                  s->key);
            *last = s;
        }
    }
}

/* "password (or password_file, or $CERTSWEEP_TICKETING_SN_PASSWORD)". */
static const char *describe_key(struct parse *st, struct block *b, const struct setting *s,
                                char *buf, size_t len)
{
    const struct setting *file_row = file_row_of(b, s);
    char env[MAX_ENV];

    if (s->kind != K_SECRET || file_row == NULL)
        snprintf(buf, len, "%s", s->key);
    else
        snprintf(buf, len, "%s (or %s, or $%s)", s->key, file_row->key,
                 env_name(st, b, s, env, sizeof(env)));
    return buf;
}

/*
 * Decides how block b authenticates: the one way whose keys it gives, all
 * of the way's required keys; at most one way; and one at all if its type
 * needs it. Sets the remote's `auth`.
 */
static bool choose_auth(struct parse *st, struct block *b)
{
    struct cs_remote_config *r = &st->cfg->remotes[b->remote];
    char who[2][MAX_ENV], ways[CS_ERRLEN / 2], what[CS_ERRLEN / 2];
    unsigned line, first_line = 0;
    enum auth way = A_NONE;
    const struct setting *missing = NULL, *last = NULL;
    int nways;

    list_auths(b, ways, sizeof(ways), &nways, &last);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (!applies(s, b) || s->auth == A_NONE || s->kind == K_SECRET_FILE)
            continue;
        if (!is_given(st, b, s, who[way == A_NONE ? 0 : 1], sizeof(who[0]), &line))
            continue;
        if (way != A_NONE && s->auth != way) {
            if (line == 0 || first_line > line)
                line = first_line ? first_line : b->line;
            return fail(st, CS_ERR_USAGE, line,
                        "[%s] %s and %s are two ways to authenticate; keep one: %s", label(st, b),
                        who[0], who[1], ways);
        }
        if (way == A_NONE)
            first_line = line;
        way = s->auth;
    }
    if (way == A_NONE) {
        if (!remote_types[r->type].needs_auth)
            return true;
        if (nways == 1 && strcmp(ways, last->key) == 0)
            return fail(st, CS_ERR_USAGE, b->line, "[%s] needs %s", label(st, b),
                        describe_key(st, b, last, what, sizeof(what)));
        return fail(st, CS_ERR_USAGE, b->line, "[%s] needs authentication: %s", label(st, b), ways);
    }
    for (size_t i = 0; i < NSETTINGS && missing == NULL; i++) {
        const struct setting *s = &settings[i];
        if (applies(s, b) && s->auth == way && s->kind != K_SECRET_FILE &&
            !(s->flags & F_OPTIONAL) && !is_given(st, b, s, who[1], sizeof(who[1]), &line))
            missing = s;
    }
    if (missing != NULL)
        return fail(st, CS_ERR_USAGE, b->line, "[%s] %s is set but not %s: authenticate with %s",
                    label(st, b), who[0], describe_key(st, b, missing, what, sizeof(what)), ways);
    r->auth = auth_names[way];
    return true;
}

/* Required keys, defaults, authentication and secrets of a named section. */
static bool finish_remote(struct parse *st, struct block *b)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (!applies(s, b) || s->auth != A_NONE || b->key_line[slot_of(s)] != 0)
            continue;
        if (s->flags & F_REQUIRED)
            return fail(st, CS_ERR_USAGE, b->line, "[%s] needs %s (%s)", label(st, b), s->key,
                        s->expect);
        if (!set_default(st, b, s))
            return false;
    }
    if (!choose_auth(st, b))
        return false;
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (!applies(s, b) || s->auth == A_NONE || s->kind == K_SECRET_FILE)
            continue;
        if (s->kind == K_SECRET && !resolve_secret(st, b, s))
            return false;
        /* The defaults of the way in use only (oauth_token_url). */
        if (st->cfg->remotes[b->remote].auth != NULL &&
            strcmp(st->cfg->remotes[b->remote].auth, auth_names[s->auth]) == 0 &&
            b->key_line[slot_of(s)] == 0 && s->kind != K_SECRET && !set_default(st, b, s))
            return false;
    }
    return true;
}

/* Required keys, defaults, secrets and the rules that tie keys together. */
static bool finish(struct parse *st)
{
    struct cs_config *cfg = st->cfg;

    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        struct block *b = &st->fixed[s->section];
        if (sections[s->section].named || (b->line == 0 && !sections[s->section].always))
            continue;
        if (b->key_line[i] != 0)
            continue;
        if (s->flags & F_REQUIRED)
            return fail(st, CS_ERR_USAGE, b->line, "[%s] needs %s (%s)", sections[s->section].name,
                        s->key, s->expect);
        if (!set_default(st, b, s))
            return false;
    }
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (s->kind == K_SECRET && !sections[s->section].named && st->fixed[s->section].line != 0 &&
            !resolve_secret(st, &st->fixed[s->section], s))
            return false;
    }

    if (cfg->outbox.retry_max_s < cfg->outbox.retry_min_s) {
        unsigned line = key_line(&st->fixed[SEC_OUTBOX], "retry_max");
        if (line == 0)
            line = key_line(&st->fixed[SEC_OUTBOX], "retry_min");
        return fail(st, CS_ERR_USAGE, line,
                    "[outbox] retry_max (%u) must be at least retry_min (%u)",
                    cfg->outbox.retry_max_s, cfg->outbox.retry_min_s);
    }
    if (cfg->smtp.configured && strncasecmp(cfg->smtp.url, "smtps:", 6) == 0) {
        unsigned line = key_line(&st->fixed[SEC_SMTP], "starttls");
        if (line != 0)
            return fail(st, CS_ERR_USAGE, line,
                        "[smtp] starttls: only for smtp:// URLs; smtps:// is TLS from the "
                        "first byte");
    }
    /* A password over a connection without TLS would cross the network in
     * clear: refused, as curl's CURLUSESSL_TRY is never used either. */
    if (cfg->smtp.configured && cfg->smtp.password != NULL && !cfg->smtp.starttls &&
        strncasecmp(cfg->smtp.url, "smtps:", 6) != 0) {
        unsigned line = key_line(&st->fixed[SEC_SMTP], "starttls");
        return fail(st, CS_ERR_USAGE, line,
                    "[smtp] starttls = none with a password would send the password in clear; "
                    "use starttls = required or an smtps:// URL");
    }
    if (cfg->syslog.configured && cfg->syslog.transport != CS_SYSLOG_TLS) {
        unsigned line = key_line(&st->fixed[SEC_SYSLOG], "ca_file");
        if (line != 0)
            return fail(st, CS_ERR_USAGE, line, "[syslog] ca_file: only for tls:// targets");
    }

    for (size_t i = 0; i < cfg->nremotes; i++)
        if (!finish_remote(st, &st->remotes[i]))
            return false;
    return true;
}

/* Parses len bytes of text into cfg (zeroed first). */
static enum cs_rc parse_text(struct parse *st, const char *text, size_t len)
{
    int rc;

    for (int i = 0; i < NSECTIONS; i++) {
        st->fixed[i].section = (enum section)i;
        st->fixed[i].remote = -1;
    }
    st->text = text;
    st->len = len;
    st->cur = NULL;
    rc = ini_parse_stream(next_line, st, on_entry, st);
    /* libinih reports the first line it could not parse (or whose entry
     * on_entry refused); a line before our own first error wins. */
    if (rc == -2) {
        st->rc = CS_OK;
        nomem(st);
    } else if (rc > 0 && (st->err_line == 0 || (unsigned)rc < st->err_line)) {
        st->rc = CS_OK;
        fail(st, CS_ERR_USAGE, (unsigned)rc, "expected [section] or key = value");
    }
    if (st->rc == CS_OK && close_section(st))
        finish(st);
    return st->rc;
}

static void free_block(struct block *b)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        free(b->secret_file[i]);
    free_pending(b);
}

static void parse_done(struct parse *st)
{
    for (size_t i = 0; i < NSECTIONS; i++)
        free_block(&st->fixed[i]);
    for (size_t i = 0; st->remotes != NULL && i < st->cfg->nremotes; i++)
        free_block(&st->remotes[i]);
    free(st->remotes);
    st->remotes = NULL;
}

/* ---- the interface ---------------------------------------------------------- */

const char *cs_config_default_path(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("CERTSWEEP_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;

    if (env != NULL && *env != '\0')
        n = snprintf(path, sizeof(path), "%s", env);
    else if (xdg != NULL && *xdg == '/')
        n = snprintf(path, sizeof(path), "%s/certsweep/certsweep.conf", xdg);
    else {
        if (home == NULL || *home == '\0') {
            struct passwd *pw = getpwuid(getuid());
            home = pw && pw->pw_dir ? pw->pw_dir : "";
        }
        n = snprintf(path, sizeof(path), "%s/.config/certsweep/certsweep.conf", home);
    }
    /* Too long to hold: an empty name, which cs_config_load refuses,
     * rather than another file's. */
    if (n < 0 || (size_t)n >= sizeof(path))
        path[0] = '\0';
    return path;
}

enum cs_rc cs_config_parse(const char *text, const char *name, struct cs_config *cfg, char *err,
                           size_t errlen)
{
    struct parse st = {.cfg = cfg, .name = name ? name : "(config)", .err = err, .errlen = errlen};
    enum cs_rc rc;

    memset(cfg, 0, sizeof(*cfg));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    rc = parse_text(&st, text ? text : "", text ? strlen(text) : 0);
    parse_done(&st);
    return rc;
}

/* Refuses a file readable by group or others (mode) that holds a secret
 * inline, naming the first such key. */
static void refuse_inline_secret(struct parse *st, unsigned mode)
{
    struct block *first = NULL;
    const struct setting *key = NULL;
    unsigned line = 0;

    for (size_t i = 0; i < NSECTIONS + st->cfg->nremotes; i++) {
        struct block *b = i < NSECTIONS ? &st->fixed[i] : &st->remotes[i - NSECTIONS];
        for (size_t j = 0; j < NSETTINGS; j++) {
            const struct setting *s = &settings[j];
            unsigned at = b->key_line[slot_of(s)];
            if ((s->kind == K_SECRET || s->kind == K_HOOK_URL) && applies(s, b) && at != 0 &&
                (line == 0 || at < line)) {
                first = b;
                key = s;
                line = at;
            }
        }
    }
    if (key != NULL && key->kind == K_HOOK_URL)
        fail(st, CS_ERR_USAGE, line,
             "[%s] %s: the file holds a webhook URL, which is a credential, but is readable by "
             "others (mode %04o); chmod 600 it",
             label(st, first), key->key, mode);
    else if (key != NULL)
        fail(st, CS_ERR_USAGE, line,
             "[%s] %s: the file holds this secret but is readable by others (mode %04o); "
             "chmod 600 it or use %s_file",
             label(st, first), key->key, mode, key->key);
}

enum cs_rc cs_config_load(const char *path, struct cs_config *cfg, char *err, size_t errlen)
{
    struct parse st = {.cfg = cfg, .err = err, .errlen = errlen, .check_perms = true};
    bool explicit = path != NULL;
    char *text = NULL;
    struct stat sb;
    size_t got = 0;
    int fd = -1;

    memset(cfg, 0, sizeof(*cfg));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (path == NULL)
        path = cs_config_default_path();
    st.name = path;
    if (!explicit && *path == '\0') {
        fail(&st, CS_ERR_IO, 0, "no configuration path: $HOME or $XDG_CONFIG_HOME is too long");
        goto out;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT && !explicit) {
        /* No file where one is looked for by default: nothing configured,
         * and the outbox keeps its defaults. */
        parse_text(&st, "", 0);
        goto out;
    }
    if (fd < 0 || fstat(fd, &sb) != 0) {
        fail(&st, CS_ERR_IO, 0, "%s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        fail(&st, CS_ERR_IO, 0, "not a regular file");
        goto out;
    }
    if (sb.st_size > MAX_FILE_SIZE) {
        fail(&st, CS_ERR_USAGE, 0, "larger than %d bytes", MAX_FILE_SIZE);
        goto out;
    }
    text = malloc((size_t)sb.st_size + 1);
    if (text == NULL) {
        nomem(&st);
        goto out;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, text + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(&st, CS_ERR_IO, 0, "%s", strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    text[got] = '\0';

    cfg->path = strdup(path);
    if (cfg->path == NULL) {
        nomem(&st);
        goto out;
    }
    if (parse_text(&st, text, got) != CS_OK)
        goto out;
    if (sb.st_mode & PERM_MASK)
        refuse_inline_secret(&st, (unsigned)(sb.st_mode & 07777));

out:
    if (text != NULL) {
        OPENSSL_cleanse(text, got);
        free(text);
    }
    if (fd >= 0)
        close(fd);
    parse_done(&st);
    return st.rc;
}

const char *cs_config_facility_name(unsigned facility)
{
    for (const struct choice *c = facility_choices; c->name != NULL; c++)
        if (c->value == facility)
            return c->name;
    return NULL;
}

const struct cs_remote_config *cs_config_remote(const struct cs_config *cfg, bool is_webhook,
                                                const char *name)
{
    for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->nremotes; i++)
        if (cfg->remotes[i].is_webhook == is_webhook && cfg->remotes[i].name != NULL &&
            strcmp(cfg->remotes[i].name, name) == 0)
            return &cfg->remotes[i];
    return NULL;
}

/* Frees the strings of a remote that its rows fill (each field once),
 * wiping the secrets. */
static void clear_remote(struct cs_remote_config *r)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        bool seen = false;
        if (!sections[s->section].named || s->kind == K_TYPE || s->kind == K_BOOL ||
            s->kind == K_SECONDS || s->kind == K_SECRET_FILE)
            continue;
        for (size_t j = 0; j < i && !seen; j++)
            seen = sections[settings[j].section].named && settings[j].offset == s->offset;
        if (seen)
            continue;
        if (s->kind == K_SECRET)
            replace_secret((char **)((char *)r + s->offset), NULL);
        else
            free(*(char **)((char *)r + s->offset));
    }
    free(r->channel);
    free(r->name);
}

void cs_config_clear(struct cs_config *cfg)
{
    if (cfg == NULL)
        return;
    replace_secret(&cfg->smtp.password, NULL);
    for (size_t i = 0; i < cfg->nremotes; i++)
        clear_remote(&cfg->remotes[i]);
    free(cfg->remotes);
    free(cfg->public_url);
    free(cfg->serve.listen);
    free(cfg->serve.tls_cert);
    free(cfg->serve.tls_key);
    free(cfg->path);
    free(cfg->smtp.url);
    free(cfg->smtp.from);
    free(cfg->smtp.username);
    free(cfg->smtp.ca_file);
    free(cfg->syslog.target);
    free(cfg->syslog.host);
    free(cfg->syslog.port);
    free(cfg->syslog.app_name);
    free(cfg->syslog.hostname);
    free(cfg->syslog.ca_file);
    memset(cfg, 0, sizeof(*cfg));
}
