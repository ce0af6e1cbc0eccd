/*
 * The webhook channel: one [webhook.NAME] section, one HTTP client kept
 * for the session, one POST per message. The body depends on the type
 * (docs/webhooks.md has each, with examples); the answer is turned into
 * the outbox's verdict (notify.h), mostly by cs_http_failure(), with the
 * receiver's own words where it has some: PagerDuty's "message" and
 * "errors" on a 400, Slack's plain-string error codes.
 *
 * A Slack, Teams or generic webhook URL is a secret (whoever has it can
 * post), and so are the PagerDuty routing key and the bearer token: none of
 * them reaches an error message or the log. Messages show the URL as
 * cs_webhook_url_shown() makes it, and every error text is scrubbed of the
 * secrets before it is handed back, whatever wrote it (http.c, libcurl, a
 * receiver that echoes its input): the HTTP client knows the URL is a
 * secret (cs_http_url_secret) and is told the routing key and the bearer
 * token, and cs_http_scrub() takes them out.
 */
#include "webhook.h"
#include "store.h"
#include "http.h"
#include "log.h"
#include "sbuf.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 30000
#define IDEM_KEY_MAX 200
/* PagerDuty Events v2: payload.summary is at most 1024 characters and
 * dedup_key at most 255. */
#define PD_SUMMARY_MAX 1024
#define PD_DEDUP_KEY_MAX 255
/* How much of a receiver's answer an error message quotes. */
#define EXCERPT_MAX 200

struct cs_channel_session {
    const struct cs_remote_config *rc; /* the caller's cfg outlives the session */
    const char *source;                /* cfg->public_url, or "certsweep" */
    struct cs_http *http;
    struct cs_store *store; /* where raised problems are remembered; may be NULL */
    char shown[256];        /* the URL for messages (cs_webhook_url_shown) */
};

enum action { ACTION_RAISE, ACTION_RESOLVE, ACTION_NOTIFY };

/* The fields of ticket.h's payload; strings point into the payload, and
 * absent optional ones are NULL. */
struct event {
    enum action action;
    const char *action_name;
    const char *key, *kind, *subject, *description, *note, *severity;
};

/* ---- the URL and secrets in messages ------------------------------------- */

void cs_webhook_url_shown(const char *url, bool keep_path, char *buf, size_t buflen)
{
    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : url;
    size_t authority_len = strcspn(authority, "/?#");
    const char *host = authority;
    const char *path = authority + authority_len;
    size_t path_len = strcspn(path, "?#");

    if (buflen == 0)
        return;
    /* user:password@ goes; the last '@' of the authority ends it. */
    for (size_t i = 0; i < authority_len; i++)
        if (authority[i] == '@')
            host = authority + i + 1;
    int n = snprintf(buf, buflen, "%.*s%.*s", (int)(authority - url), url,
                     (int)(authority + authority_len - host), host);
    if (n < 0 || (size_t)n >= buflen)
        return;
    if (keep_path)
        snprintf(buf + n, buflen - (size_t)n, "%.*s", (int)path_len, path);
    else if (path_len > 1 || path[path_len] != '\0')
        snprintf(buf + n, buflen - (size_t)n, "/...");
}

/* The start of a receiver's answer on one line: printable ASCII, other
 * bytes as '?', line ends as spaces, "..." when cut. */
static void excerpt(const char *text, size_t len, char *buf, size_t buflen)
{
    size_t j = 0, max = buflen > EXCERPT_MAX + 4 ? EXCERPT_MAX : buflen - 4;

    while (len > 0 && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    for (size_t i = 0; i < len && j < max; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[j++] = c == '\n' || c == '\r' || c == '\t' ? ' ' : c >= ' ' && c < 127 ? (char)c : '?';
    }
    buf[j] = '\0';
    if (j < len && j == max)
        memcpy(buf + j, "...", 4);
}

/* excerpt() of an answer's text, scrubbed of the session's secrets (a
 * receiver may echo the URL, the routing key or the token) before it is
 * cut, so that the cut cannot leave the start of one. Only the first
 * SCRUB_MAX bytes are read: the excerpt is far shorter. */
#define SCRUB_MAX 2048
static void scrubbed_excerpt(const struct cs_http *http, const char *text, size_t len, char *buf,
                             size_t buflen)
{
    /* Room for labels longer than what they replace. */
    char copy[4 * SCRUB_MAX];

    /* Blanks first go as excerpt() drops them, so that the text cut here
     * is far longer than the excerpt. */
    while (len > 0 && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    if (len > SCRUB_MAX - 1)
        len = SCRUB_MAX - 1;
    /* A NUL in the answer would end the text early; excerpt() shows it
     * as '?' anyway. */
    for (size_t i = 0; i < len; i++)
        copy[i] = text[i] != '\0' ? text[i] : '?';
    copy[len] = '\0';
    cs_http_scrub(http, copy, sizeof(copy));
    excerpt(copy, strlen(copy), buf, buflen);
}

/* ---- the payload --------------------------------------------------------- */

/* An optional string field: NULL when absent, null, or not a string. */
static const char *field(const cJSON *payload, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(payload, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static enum cs_rc read_event(const cJSON *payload, struct event *ev, char *err, size_t errlen)
{
    static const char *const names[] = {"raise", "resolve", "notify"};
    const char *action = field(payload, "action");

    memset(ev, 0, sizeof(*ev));
    if (!cJSON_IsObject(payload))
        return cs_fail(err, errlen, CS_ERR_USAGE, "a webhook payload must be a JSON object");
    for (size_t i = 0; action != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(action, names[i]) == 0) {
            ev->action = (enum action)i;
            ev->action_name = names[i];
        }
    if (ev->action_name == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "a webhook payload needs an action: raise, resolve or notify");
    ev->key = field(payload, "key");
    ev->kind = field(payload, "kind");
    ev->subject = field(payload, "subject");
    ev->description = field(payload, "description");
    ev->note = field(payload, "note");
    ev->severity = field(payload, "severity");
    if (ev->subject == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "a webhook payload needs a subject");
    if (ev->action != ACTION_NOTIFY && (ev->key == NULL || ev->key[0] == '\0'))
        return cs_fail(err, errlen, CS_ERR_USAGE, "a webhook payload to %s needs a key",
                       ev->action_name);
    return CS_OK;
}

/* What a chat message says under its subject: for a raise, what the
 * problem is (the description; the note when there is none); for a
 * resolve, the closing note; for a job summary, the description. */
static const char *event_text(const struct event *ev)
{
    if (ev->action == ACTION_RESOLVE)
        return ev->note;
    return ev->description ? ev->description : ev->note;
}

/* ---- the bodies ---------------------------------------------------------- */

/* A string member, or null when value is NULL. */
static bool add_string_or_null(cJSON *obj, const char *name, const char *value)
{
    return value ? cJSON_AddStringToObject(obj, name, value) != NULL
                 : cJSON_AddNullToObject(obj, name) != NULL;
}

/* PagerDuty's four severities; the payload's own words when they are one
 * of them, the usual synonyms mapped, anything else "warning". */
static const char *pagerduty_severity(const char *severity)
{
    static const struct {
        const char *word, *severity;
    } map[] = {
        {"critical", "critical"}, {"crit", "critical"},   {"emergency", "critical"},
        {"alert", "critical"},    {"error", "error"},     {"err", "error"},
        {"high", "error"},        {"warning", "warning"}, {"warn", "warning"},
        {"info", "info"},         {"notice", "info"},     {"low", "info"},
    };

    for (size_t i = 0; severity != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcasecmp(severity, map[i].word) == 0)
            return map[i].severity;
    return "warning";
}

static cJSON *pagerduty_body(const struct cs_remote_config *rc, const char *source,
                             const struct event *ev)
{
    cJSON *body = cJSON_CreateObject(), *pl = NULL, *details = NULL;
    char *summary = NULL;
    bool ok = body != NULL &&
              cJSON_AddStringToObject(body, "routing_key", rc->routing_key ? rc->routing_key : "");

    ok = ok && cJSON_AddStringToObject(body, "event_action",
                                       ev->action == ACTION_RAISE ? "trigger" : "resolve");
    ok = ok && cJSON_AddStringToObject(body, "dedup_key", ev->key);
    if (ok && ev->action == ACTION_RAISE) {
        /* The details show in the incident; the summary is its title. */
        ok = (summary = strndup(ev->subject, cs_utf8_cut(ev->subject, PD_SUMMARY_MAX))) != NULL &&
             (pl = cJSON_AddObjectToObject(body, "payload")) != NULL &&
             cJSON_AddStringToObject(pl, "summary", summary) &&
             cJSON_AddStringToObject(pl, "source", source) &&
             cJSON_AddStringToObject(pl, "severity", pagerduty_severity(ev->severity)) &&
             (details = cJSON_AddObjectToObject(pl, "custom_details")) != NULL &&
             add_string_or_null(details, "description", ev->description) &&
             add_string_or_null(details, "kind", ev->kind) &&
             (ev->note == NULL || cJSON_AddStringToObject(details, "note", ev->note)) &&
             cJSON_AddStringToObject(body, "client", "certsweep");
        /* client_url makes the incident link back, when there is a URL. */
        if (ok &&
            (strncasecmp(source, "https://", 8) == 0 || strncasecmp(source, "http://", 7) == 0))
            ok = cJSON_AddStringToObject(body, "client_url", source) != NULL;
    }
    free(summary);
    if (!ok) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

/* Slack's mrkdwn takes &, < and > as markup (<!channel> notifies a whole
 * channel, <URL|text> is a link): a subject or a certificate's name must
 * not be able to do either, so they are written as entities. */
static void slack_escaped(struct cs_sbuf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        size_t n = strcspn(p, "&<>");
        cs_sbuf_add(b, p, n);
        p += n;
        if (*p == '\0')
            break;
        cs_sbuf_str(b, *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : "&gt;");
    }
}

static cJSON *slack_body(const struct event *ev)
{
    struct cs_sbuf text = {0};
    const char *more = event_text(ev);
    cJSON *body = NULL;
    char *s;

    if (ev->action == ACTION_RESOLVE) {
        cs_sbuf_str(&text, ":white_check_mark: Resolved: ");
        slack_escaped(&text, ev->subject);
    } else {
        cs_sbuf_str(&text, "*");
        slack_escaped(&text, ev->subject);
        cs_sbuf_str(&text, "*");
    }
    if (more != NULL && more[0] != '\0') {
        cs_sbuf_str(&text, "\n");
        slack_escaped(&text, more);
    }
    if ((s = cs_sbuf_take(&text)) == NULL)
        return NULL;
    if ((body = cJSON_CreateObject()) != NULL && cJSON_AddStringToObject(body, "text", s) == NULL) {
        cJSON_Delete(body);
        body = NULL;
    }
    free(s);
    return body;
}

/* One TextBlock of an Adaptive Card. */
static bool add_text_block(cJSON *blocks, const char *text, bool bold)
{
    cJSON *block = cJSON_CreateObject();

    if (block == NULL || !cJSON_AddItemToArray(blocks, block)) {
        cJSON_Delete(block);
        return false;
    }
    return cJSON_AddStringToObject(block, "type", "TextBlock") &&
           cJSON_AddStringToObject(block, "text", text) &&
           (!bold || cJSON_AddStringToObject(block, "weight", "Bolder")) &&
           cJSON_AddBoolToObject(block, "wrap", true);
}

/* A Workflows webhook takes an Adaptive Card in a message envelope; 1.2 is
 * a version every Teams client renders. */
static cJSON *teams_body(const struct event *ev)
{
    cJSON *body = cJSON_CreateObject(), *attachments = NULL, *attachment = NULL, *card = NULL;
    cJSON *blocks = NULL;
    const char *more = event_text(ev);
    char *title = NULL;
    bool ok;

    if (ev->action == ACTION_RESOLVE) {
        size_t n = strlen(ev->subject) + sizeof("Resolved: ");
        if ((title = malloc(n)) != NULL)
            snprintf(title, n, "Resolved: %s", ev->subject);
    } else {
        title = strdup(ev->subject);
    }
    ok = body != NULL && title != NULL && cJSON_AddStringToObject(body, "type", "message") &&
         (attachments = cJSON_AddArrayToObject(body, "attachments")) != NULL &&
         (attachment = cJSON_CreateObject()) != NULL;
    if (ok && !cJSON_AddItemToArray(attachments, attachment)) {
        cJSON_Delete(attachment);
        ok = false;
    }
    ok = ok &&
         cJSON_AddStringToObject(attachment, "contentType",
                                 "application/vnd.microsoft.card.adaptive") &&
         (card = cJSON_AddObjectToObject(attachment, "content")) != NULL &&
         cJSON_AddStringToObject(card, "$schema",
                                 "http://adaptivecards.io/schemas/adaptive-card.json") &&
         cJSON_AddStringToObject(card, "type", "AdaptiveCard") &&
         cJSON_AddStringToObject(card, "version", "1.2") &&
         (blocks = cJSON_AddArrayToObject(card, "body")) != NULL &&
         add_text_block(blocks, title, true) &&
         (more == NULL || more[0] == '\0' || add_text_block(blocks, more, false));
    free(title);
    if (!ok) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

static cJSON *generic_body(const char *idem_key, const struct event *ev, time_t now)
{
    cJSON *body = cJSON_CreateObject();
    char sent_at[32];
    struct tm tm;

    strftime(sent_at, sizeof(sent_at), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    if (body == NULL || !cJSON_AddStringToObject(body, "source", "certsweep") ||
        !cJSON_AddNumberToObject(body, "version", 1) ||
        !add_string_or_null(body, "idempotency_key", idem_key) ||
        !cJSON_AddStringToObject(body, "action", ev->action_name) ||
        !add_string_or_null(body, "key", ev->key) || !add_string_or_null(body, "kind", ev->kind) ||
        !cJSON_AddStringToObject(body, "subject", ev->subject) ||
        !add_string_or_null(body, "description", ev->description) ||
        !add_string_or_null(body, "note", ev->note) ||
        !add_string_or_null(body, "severity", ev->severity) ||
        !cJSON_AddStringToObject(body, "sent_at", sent_at)) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

enum cs_rc cs_webhook_body(const struct cs_remote_config *rc, const char *source,
                           const char *idem_key, const cJSON *payload, time_t now, char **body,
                           char *err, size_t errlen)
{
    struct event ev;
    cJSON *json = NULL;
    enum cs_rc rc_read;

    *body = NULL;
    if ((rc_read = read_event(payload, &ev, err, errlen)) != CS_OK)
        return rc_read;
    switch (rc->type) {
    case CS_REMOTE_PAGERDUTY:
        /* A job summary is news, not an incident: PagerDuty gets nothing. */
        if (ev.action == ACTION_NOTIFY)
            return CS_OK;
        if (strlen(ev.key) > PD_DEDUP_KEY_MAX)
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "the key '%.40s...' is longer than PagerDuty's %d characters for a "
                           "dedup_key",
                           ev.key, PD_DEDUP_KEY_MAX);
        json = pagerduty_body(rc, source ? source : "certsweep", &ev);
        break;
    case CS_REMOTE_SLACK:
        json = slack_body(&ev);
        break;
    case CS_REMOTE_TEAMS:
        json = teams_body(&ev);
        break;
    case CS_REMOTE_GENERIC:
        json = generic_body(idem_key, &ev, now);
        break;
    default:
        return cs_fail(err, errlen, CS_ERR_USAGE, "[%s] is not a webhook section",
                       rc->channel ? rc->channel : "?");
    }
    if (json == NULL || (*body = cJSON_PrintUnformatted(json)) == NULL) {
        cJSON_Delete(json);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    cJSON_Delete(json);
    return CS_OK;
}

/* ---- answers ------------------------------------------------------------- */

/* PagerDuty's 400: {"status": "invalid event", "message": "Event object is
 * invalid", "errors": ["Length of 'routing_key' is incorrect ..."]}. */
static enum cs_rc pagerduty_refused(const struct cs_channel_session *s,
                                    const struct cs_http_response *resp, char *err, size_t errlen)
{
    cJSON *json = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(json, "errors"), *e;
    const char *message = field(json, "message");
    struct cs_sbuf why = {0};
    char text[EXCERPT_MAX + 4], hint[160] = "";
    const char *sep = "";
    char *all;

    /* "Event object is invalid: first error; second error" */
    if (message != NULL) {
        cs_sbuf_str(&why, message);
        sep = ": ";
    }
    if (!cJSON_IsArray(errors))
        errors = NULL;
    cJSON_ArrayForEach(e, errors)
    {
        if (!cJSON_IsString(e))
            continue;
        cs_sbuf_str(&why, sep);
        cs_sbuf_str(&why, e->valuestring);
        sep = "; ";
    }
    all = cs_sbuf_take(&why);
    if (all != NULL && all[0] != '\0')
        scrubbed_excerpt(s->http, all, strlen(all), text, sizeof(text));
    else
        scrubbed_excerpt(s->http, resp->body, resp->body_len, text, sizeof(text));
    /* PagerDuty says "routing_key" for a key of the wrong length and
     * "Invalid routing key" for one it does not know. */
    if (strstr(text, "routing") != NULL)
        snprintf(hint, sizeof(hint), "; check [%s] routing_key", s->rc->channel);
    cs_fail(err, errlen, CS_ERR_USAGE, "POST %s: 400: PagerDuty refused the event: %s%s", s->shown,
            text[0] ? text : "no reason given", hint);
    free(all);
    cJSON_Delete(json);
    return CS_ERR_USAGE;
}

/* Slack answers with a plain string: "invalid_payload", "no_service",
 * "channel_is_archived", ... What the common ones mean for the user. */
static const char *slack_hint(const char *code)
{
    static const struct {
        const char *code, *hint;
    } hints[] = {
        {"invalid_payload", "Slack did not accept the message's JSON"},
        {"no_service", "the webhook URL is wrong or was revoked: check the url"},
        {"no_team", "the webhook's workspace is gone"},
        {"team_disabled", "the webhook's workspace is disabled"},
        {"channel_not_found", "the webhook's channel is gone: make a new webhook"},
        {"channel_is_archived", "the webhook's channel is archived"},
        {"action_prohibited", "a workspace admin restricted posting to the channel"},
        {"posting_to_general_channel_denied", "only admins may post to the channel"},
        {"too_many_attachments", "the message had too many attachments"},
    };

    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
        if (strcmp(code, hints[i].code) == 0)
            return hints[i].hint;
    return NULL;
}

/* The verdict on an answer to the POST: CS_OK, or why not. */
static enum cs_rc judge(struct cs_channel_session *s, const struct cs_http_response *resp,
                        unsigned *retry_after_s, char *err, size_t errlen)
{
    enum cs_remote_type type = s->rc->type;
    char text[EXCERPT_MAX + 4];
    enum cs_rc rc;

    scrubbed_excerpt(s->http, resp->body, resp->body_len, text, sizeof(text));
    if (resp->status >= 200 && resp->status <= 299) {
        /* Slack's only success is 200 "ok"; anything else in a 2xx came
         * from something that is not Slack (a proxy, a captive portal). */
        if (type == CS_REMOTE_SLACK && strcmp(text, "ok") != 0)
            return cs_fail(err, errlen, CS_ERR_IO, "POST %s: %ld: '%s' is not Slack's answer 'ok'",
                           s->shown, resp->status, text);
        return CS_OK;
    }
    if (type == CS_REMOTE_PAGERDUTY && resp->status == 400)
        return pagerduty_refused(s, resp, err, errlen);

    rc = cs_http_failure(s->http, "POST", s->shown, resp, retry_after_s, err, errlen);
    if (type == CS_REMOTE_SLACK && rc == CS_ERR_USAGE) {
        const char *hint = slack_hint(text);
        cs_fail(err, errlen, rc, "POST %s: %ld: Slack refused the message: %s%s%s", s->shown,
                resp->status, text[0] ? text : "no reason given", hint ? ": " : "",
                hint ? hint : "");
    }
    return rc;
}

/* ---- the channel --------------------------------------------------------- */

static bool type_is_webhook(enum cs_remote_type type)
{
    return type == CS_REMOTE_PAGERDUTY || type == CS_REMOTE_SLACK || type == CS_REMOTE_TEAMS ||
           type == CS_REMOTE_GENERIC;
}

static enum cs_rc webhook_open(const struct cs_config *cfg, const char *name,
                               struct cs_store *store, struct cs_channel_session **out, char *err,
                               size_t errlen)
{
    const char *prefix = "webhook.";
    const struct cs_remote_config *rc = NULL;
    struct cs_channel_session *s = NULL;
    enum cs_rc result;

    *out = NULL;
    if (name != NULL && strncmp(name, prefix, strlen(prefix)) == 0)
        rc = cs_config_remote(cfg, true, name + strlen(prefix));
    if (rc == NULL) {
        if (cfg->path != NULL)
            return cs_fail(err, errlen, CS_ERR_USAGE, "no [%s] section in %s",
                           name ? name : "webhook.?", cfg->path);
        return cs_fail(err, errlen, CS_ERR_USAGE, "no [%s] section in the configuration",
                       name ? name : "webhook.?");
    }
    if (!type_is_webhook(rc->type))
        return cs_fail(err, errlen, CS_ERR_USAGE, "[%s] is not a webhook section", rc->channel);
    if (rc->url == NULL || !cs_http_url_ok(rc->url))
        return cs_fail(err, errlen, CS_ERR_USAGE, "[%s] url must be https:// (or http://)",
                       rc->channel);
    if (rc->type == CS_REMOTE_PAGERDUTY && (rc->routing_key == NULL || rc->routing_key[0] == '\0'))
        return cs_fail(err, errlen, CS_ERR_USAGE, "[%s] needs a routing_key", rc->channel);
    /* The token goes into a header line, which a line end would split. */
    if (rc->bearer_token != NULL && strpbrk(rc->bearer_token, "\r\n") != NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "[%s] bearer_token holds a line end (not the value)", rc->channel);

    if ((s = calloc(1, sizeof(*s))) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    s->rc = rc;
    s->store = store;
    s->source = cfg->public_url && cfg->public_url[0] ? cfg->public_url : "certsweep";
    cs_webhook_url_shown(rc->url, rc->type == CS_REMOTE_PAGERDUTY, s->shown, sizeof(s->shown));
    if (strncasecmp(rc->url, "http://", 7) == 0)
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN,
               "[%s] url is %s: events%s travel unencrypted; use https://", rc->channel, s->shown,
               rc->type == CS_REMOTE_PAGERDUTY ? " and the routing key"
               : rc->bearer_token              ? " and the bearer token"
                                               : " and the webhook URL (a secret)");
    result = cs_http_open(rc->ca_file, rc->timeout_ms ? rc->timeout_ms : DEFAULT_TIMEOUT_MS,
                          &s->http, err, errlen);
    if (result != CS_OK) {
        free(s);
        return result;
    }
    /* Named in messages by what they are, so that a user can tell which
     * one a receiver complained about. */
    cs_http_url_secret(s->http, rc->type != CS_REMOTE_PAGERDUTY);
    if (cs_http_secret_add(s->http, rc->routing_key, "[routing_key]") != CS_OK ||
        cs_http_secret_add(s->http, rc->bearer_token, "[bearer_token]") != CS_OK) {
        cs_http_close(&s->http);
        free(s);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    *out = s;
    return CS_OK;
}

/* "Name: prefixvalue" in memory the caller frees; NULL when out of
 * memory. */
static char *header_line(const char *name, const char *prefix, const char *value)
{
    size_t n = strlen(name) + strlen(prefix) + strlen(value) + sizeof(": ");
    char *line = malloc(n);

    if (line != NULL)
        snprintf(line, n, "%s: %s%s", name, prefix, value);
    return line;
}

/* Whether the idempotency key can go into a header line as it is. */
static bool idem_key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;

    if (n == 0 || n > IDEM_KEY_MAX)
        return false;
    for (const char *p = key; *p; p++)
        if (*p <= ' ' || *p >= 127)
            return false;
    return true;
}

/*
 * Remembers, in the inventory's tickets table, that a problem was raised
 * on this webhook (an open row whose remote id is the key) or resolved, so
 * that the alert that raised it sends the resolve event once the problem
 * is gone, as it does for tickets. The event went out already: a failure
 * here is only logged, and at worst the resolve is not sent.
 */
static void remember(struct cs_channel_session *s, const cJSON *payload)
{
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(payload, "action");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(payload, "key");
    struct cs_ticket_row row = {0};
    char err[CS_ERRLEN];
    enum cs_rc rc;

    if (s->store == NULL || !cJSON_IsString(action) || !cJSON_IsString(key))
        return;
    bool raise = strcmp(action->valuestring, "raise") == 0;
    if (!raise && strcmp(action->valuestring, "resolve") != 0)
        return;
    rc = cs_store_ticket_get(s->store, s->rc->channel, key->valuestring, &row, err, sizeof(err));
    bool open = rc == CS_OK && row.state == CS_TICKET_OPEN;
    if (rc == CS_OK || rc == CS_ERR_NOT_FOUND) {
        rc = CS_OK;
        if (raise && !open) {
            cs_ticket_row_clear(&row);
            row = (struct cs_ticket_row){.channel = s->rc->channel,
                                         .key = key->valuestring,
                                         .remote_id = key->valuestring,
                                         .remote_number = "",
                                         .state = CS_TICKET_OPEN};
            rc = cs_store_ticket_put(s->store, &row, err, sizeof(err));
            row = (struct cs_ticket_row){0}; /* borrowed strings: nothing to free */
        } else if (!raise && open) {
            row.state = CS_TICKET_CLOSED;
            row.updated_at = row.closed_at = 0; /* now */
            rc = cs_store_ticket_put(s->store, &row, err, sizeof(err));
        }
    }
    if (rc != CS_OK)
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN, "[%s] %s was delivered but not recorded: %s",
               s->rc->channel, key->valuestring, err);
    cs_ticket_row_clear(&row);
}

static enum cs_rc webhook_send(struct cs_channel_session *s, const char *idem_key,
                               const cJSON *payload, unsigned *retry_after_s, char *err,
                               size_t errlen)
{
    const struct cs_remote_config *rc = s->rc;
    struct cs_http_response resp = {0};
    char *body = NULL, *idem_line = NULL, *auth_line = NULL;
    const char *headers[3] = {NULL};
    size_t nheaders = 0;
    enum cs_rc result;

    *retry_after_s = 0;
    if (!idem_key_ok(idem_key))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "a webhook message needs an idempotency key of 1 to %d printable ASCII "
                       "characters without spaces",
                       IDEM_KEY_MAX);
    result = cs_webhook_body(rc, s->source, idem_key, payload, time(NULL), &body, err, errlen);
    if (result != CS_OK || body == NULL)
        goto out; /* refused, or nothing to send (a job summary to PagerDuty) */

    /* Every type gets the key: receivers that know the header drop a
     * redelivery, the others ignore it. */
    if ((idem_line = header_line("Idempotency-Key", "", idem_key)) == NULL)
        goto nomem;
    headers[nheaders++] = idem_line;
    if (rc->type == CS_REMOTE_GENERIC && rc->bearer_token != NULL) {
        if ((auth_line = header_line("Authorization", "Bearer ", rc->bearer_token)) == NULL)
            goto nomem;
        headers[nheaders++] = auth_line;
    }
    result = cs_http_request(s->http, "POST", rc->url, headers, "application/json", body, NULL,
                             NULL, &resp, err, errlen);
    if (result == CS_OK)
        result = judge(s, &resp, retry_after_s, err, errlen);
    if (result == CS_OK)
        remember(s, payload);
    goto out;

nomem:
    result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    if (result != CS_OK)
        cs_http_scrub(s->http, err, errlen);
    /* The token and the routing key should not linger in freed memory. */
    if (auth_line != NULL)
        OPENSSL_cleanse(auth_line, strlen(auth_line));
    free(auth_line);
    if (body != NULL && rc->type == CS_REMOTE_PAGERDUTY)
        OPENSSL_cleanse(body, strlen(body));
    free(idem_line);
    free(body);
    return result;
}

static void webhook_close(struct cs_channel_session **session)
{
    if (session == NULL || *session == NULL)
        return;
    cs_http_close(&(*session)->http);
    free(*session);
    *session = NULL;
}

const struct cs_channel_ops cs_channel_webhook = {
    .name = "webhook",
    .open = webhook_open,
    .send = webhook_send,
    .close = webhook_close,
};
