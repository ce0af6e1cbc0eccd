/*
 * The ticketing channel (ticket.h): one session per [ticketing.NAME]
 * section, which delivers the outbox's raise and resolve events by the
 * decision table of ticket.h. The remote system is one of the backends of
 * ticket_sdp.c, ticket_servicenow.c and ticket_jira.c; this file knows
 * nothing of their APIs, only of the tickets table that says, per problem
 * key, which remote ticket certsweep opened and whether it is open.
 *
 * The order of the steps matters for what a crash leaves behind. A ticket
 * is created first and recorded after: a crash in between leaves a remote
 * ticket that no row names, which the next raise finds by its key
 * (find_open) instead of opening a second one. A state change is recorded
 * after the remote system made it: a crash in between makes the next
 * attempt ask the system again (is_open), which tells.
 */
#include "ticket.h"
#include "log.h"
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PREFIX "ticketing."

struct cs_channel_session {
    const struct cs_remote_config *rc; /* the caller's, which outlives the session */
    const struct cs_ticket_ops *ops;
    struct cs_store *store; /* the caller's, likewise */
    struct cs_http *http;
};

/* The fields of a payload (ticket.h) this channel reads; pointers into
 * the payload. */
struct event {
    bool raise;
    const char *key;
    const char *subject;
    const char *description;
    const char *note;
    const char *severity;
    bool ensure; /* "ensure": no note on a ticket that is still open */
};

static const char *string_field(const cJSON *payload, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(payload, name);
    return cJSON_IsString(item) && item->valuestring[0] != '\0' ? item->valuestring : NULL;
}

static enum cs_rc read_event(const cJSON *payload, struct event *ev, char *err, size_t errlen)
{
    const char *action = string_field(payload, "action");

    *ev = (struct event){
        .key = string_field(payload, "key"),
        .subject = string_field(payload, "subject"),
        .description = string_field(payload, "description"),
        .note = string_field(payload, "note"),
        .severity = string_field(payload, "severity"),
    };
    if (action == NULL || (strcmp(action, "raise") != 0 && strcmp(action, "resolve") != 0 &&
                           strcmp(action, "ensure") != 0))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "a ticket event needs \"action\": \"raise\", \"ensure\" or \"resolve\"");
    ev->ensure = strcmp(action, "ensure") == 0;
    ev->raise = ev->ensure || strcmp(action, "raise") == 0;
    if (ev->key == NULL || strlen(ev->key) > 255)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "a ticket event needs a \"key\" of 1 to 255 characters");
    if (ev->raise && ev->subject == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "a raise event needs a \"subject\"");
    if (ev->description == NULL)
        ev->description = ev->subject ? ev->subject : ev->key;
    if (ev->severity == NULL)
        ev->severity = "warning";
    return CS_OK;
}

/* ---- what the backends share --------------------------------------------- */

const char *cs_ticket_by_severity(char *const by[CS_TICKET_SEVERITIES], const char *fallback,
                                  const char *severity)
{
    static const char *const names[CS_TICKET_SEVERITIES] = {"critical", "error", "warning", "info"};
    for (int i = 0; severity != NULL && i < CS_TICKET_SEVERITIES; i++)
        if (strcmp(severity, names[i]) == 0)
            return by[i] != NULL ? by[i] : fallback;
    return fallback;
}

char *cs_ticket_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int cs_ticket_base_len(const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return (int)n;
}

enum cs_rc cs_ticket_shapeless(const char *system, long status, const char *what, char *err,
                               size_t errlen)
{
    return cs_fail(err, errlen, CS_ERR_IO,
                   "%s answered %ld without %s (a proxy, or a field the account may not read?)",
                   system, status, what);
}

/* Wipes and frees a header line that holds a credential. */
static void free_header(char **line)
{
    if (*line != NULL)
        memset(*line, 0, strlen(*line));
    free(*line);
    *line = NULL;
}

enum cs_rc cs_ticket_call(struct cs_http *http, const struct cs_remote_config *rc,
                          const struct cs_ticket_api *api, const struct cs_ticket_auth *auth,
                          const struct cs_ticket_request *req, long *status, cJSON **answer,
                          unsigned *retry_after_s, char *err, size_t errlen)
{
    struct cs_http_response resp = {0};
    const char *headers[3] = {api->accept, NULL, NULL};
    char *url = NULL, *line = NULL, *shown = NULL;
    cJSON *parsed = NULL;
    enum cs_rc result;

    *answer = NULL;
    if (status != NULL)
        *status = 0;
    if ((url = cs_ticket_strf("%.*s%s", cs_ticket_base_len(rc->url), rc->url, req->path)) == NULL)
        goto nomem;

    /* With OAuth, a 401 is tried once more with a new token: the kept one
     * may have been revoked. */
    for (int attempt = 0;; attempt++) {
        free_header(&line);
        if (auth->token_scheme != NULL) {
            const char *token;
            result = cs_http_oauth_token(http, auth->token_url, rc->oauth_client_id,
                                         rc->oauth_client_secret, rc->oauth_refresh_token, &token,
                                         retry_after_s, err, errlen);
            if (result != CS_OK)
                goto out;
            if ((line = cs_ticket_strf("Authorization: %s %s", auth->token_scheme, token)) == NULL)
                goto nomem;
            headers[1] = line;
        } else {
            headers[1] = auth->header;
        }
        result = cs_http_request(
            http, req->method, url, headers, req->body ? req->content_type : NULL, req->body,
            auth->token_scheme == NULL && auth->header == NULL ? auth->user : NULL, auth->password,
            &resp, err, errlen);
        if (result != CS_OK)
            goto out;
        if (resp.status == 401 && auth->token_scheme != NULL && attempt == 0) {
            cs_http_oauth_forget(http);
            continue;
        }
        break;
    }
    if (status != NULL)
        *status = resp.status;

    parsed = cJSON_ParseWithLength(resp.body, resp.body_len);
    if (resp.status == 404 && req->missing_ok) {
        result = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "%s %s: 404", req->method, req->path);
        goto out;
    }
    if (resp.status < 200 || resp.status > 299) {
        /* The system's own words, when it gave some, instead of its JSON:
         * read from a copy of the answer scrubbed of what was sent first,
         * so that cutting the words can never leave half a secret behind
         * (the scrub only knows whole ones). */
        char words[400] = "";
        struct cs_http_response shown_resp = resp;
        char *clean = api->words != NULL ? malloc(resp.body_len + 1) : NULL;
        cJSON *clean_parsed = NULL;
        if (clean != NULL) {
            memcpy(clean, resp.body, resp.body_len + 1); /* body ends in a NUL */
            cs_http_scrub(http, clean, resp.body_len + 1);
            clean_parsed = cJSON_Parse(clean);
        }
        if (clean_parsed != NULL)
            api->words(clean_parsed, words, sizeof(words));
        cJSON_Delete(clean_parsed);
        free(clean);
        if (words[0] != '\0') {
            shown_resp.body = words;
            shown_resp.body_len = strlen(words);
        }
        result = cs_http_failure(http, req->method, url, &shown_resp, retry_after_s, err, errlen);
        goto out;
    }
    if ((shown = cs_ticket_strf("%s %.*s", req->method, (int)strcspn(url, "?#"), url)) == NULL)
        goto nomem;
    if (api->check_2xx != NULL) {
        if ((result = api->check_2xx(parsed, resp.status, shown, err, errlen)) != CS_OK)
            goto out;
    } else if (resp.body_len > 0 && parsed == NULL) {
        result =
            cs_fail(err, errlen, CS_ERR_IO, "%s: %ld: the answer is not JSON", shown, resp.status);
        goto out;
    }
    *answer = parsed;
    parsed = NULL;
    result = CS_OK;
    goto out;

nomem:
    result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    /* The words of an answer may echo what was sent. */
    if (result != CS_OK)
        cs_http_scrub(http, err, errlen);
    cJSON_Delete(parsed);
    free_header(&line);
    free(url);
    free(shown);
    return result;
}

/* ---- the decision table -------------------------------------------------- */

/* Records a new open ticket of key. */
static enum cs_rc record_open(struct cs_channel_session *s, const char *key,
                              const struct cs_ticket_ref *ref, time_t now, char *err, size_t errlen)
{
    struct cs_ticket_row row = {
        .channel = s->rc->channel,
        .key = (char *)key,
        .remote_id = (char *)ref->id,
        .remote_number = (char *)(ref->number[0] ? ref->number : ref->id),
        .state = CS_TICKET_OPEN,
        .opened_at = now,
        .updated_at = now,
    };
    return cs_store_ticket_put(s->store, &row, err, errlen);
}

static enum cs_rc record_closed(struct cs_channel_session *s, struct cs_ticket_row *row, time_t now,
                                char *err, size_t errlen)
{
    row->state = CS_TICKET_CLOSED;
    row->updated_at = now;
    row->closed_at = now;
    return cs_store_ticket_put(s->store, row, err, errlen);
}

static void ref_of(const struct cs_ticket_row *row, struct cs_ticket_ref *ref)
{
    snprintf(ref->id, sizeof(ref->id), "%s", row->remote_id ? row->remote_id : "");
    snprintf(ref->number, sizeof(ref->number), "%s",
             row->remote_number ? row->remote_number : ref->id);
}

static enum cs_rc raise_event(struct cs_channel_session *s, const struct event *ev,
                              unsigned *retry_after_s, char *err, size_t errlen)
{
    const struct cs_ticket_ops *ops = s->ops;
    const struct cs_remote_config *rc = s->rc;
    struct cs_ticket_row row = {0};
    struct cs_ticket_ref ref = {0};
    bool open = false;
    enum cs_rc result = cs_store_ticket_get(s->store, rc->channel, ev->key, &row, err, errlen);

    if (result != CS_OK && result != CS_ERR_NOT_FOUND)
        goto out;
    if (result == CS_OK && row.state == CS_TICKET_OPEN) {
        ref_of(&row, &ref);
        if ((result = ops->is_open(s->http, rc, &ref, &open, retry_after_s, err, errlen)) != CS_OK)
            goto out;
        if (open && ev->ensure)
            goto out; /* still open, and nothing new to say */
        if (open) {
            result = ops->add_note(s->http, rc, &ref, ev->note ? ev->note : ev->description,
                                   retry_after_s, err, errlen);
            if (result != CS_OK)
                goto out;
            row.updated_at = time(NULL);
            result = cs_store_ticket_put(s->store, &row, err, errlen);
            CS_LOG(CS_LOG_INFO, CS_LOGC_MAIN, "%s: %s: note added to ticket %s", rc->channel,
                   ev->key, ref.number);
            goto out;
        }
        /* Closed by hand while the problem stays: that ticket is history,
         * and the problem gets a new one (below). */
        CS_LOG(CS_LOG_INFO, CS_LOGC_MAIN, "%s: %s: ticket %s was closed in %s; opening a new one",
               rc->channel, ev->key, ref.number, ops->type);
        if ((result = record_closed(s, &row, time(NULL), err, errlen)) != CS_OK)
            goto out;
    }

    /* No open ticket known: one may still be open in the system, opened by
     * an attempt that did not live to record it. */
    memset(&ref, 0, sizeof(ref));
    result = ops->find_open(s->http, rc, ev->key, ev->subject, &ref, retry_after_s, err, errlen);
    if (result == CS_OK) {
        CS_LOG(CS_LOG_INFO, CS_LOGC_MAIN,
               "%s: %s: ticket %s carries the key and is open; recording it", rc->channel, ev->key,
               ref.number);
    } else if (result == CS_ERR_NOT_FOUND) {
        memset(&ref, 0, sizeof(ref));
        result = ops->create(s->http, rc, ev->key, ev->subject, ev->description, ev->severity, &ref,
                             retry_after_s, err, errlen);
        if (result != CS_OK)
            goto out;
        CS_LOG(CS_LOG_INFO, CS_LOGC_MAIN, "%s: %s: ticket %s opened", rc->channel, ev->key,
               ref.number);
    } else {
        goto out;
    }
    result = record_open(s, ev->key, &ref, time(NULL), err, errlen);
out:
    cs_ticket_row_clear(&row);
    return result;
}

static enum cs_rc resolve_event(struct cs_channel_session *s, const struct event *ev,
                                unsigned *retry_after_s, char *err, size_t errlen)
{
    const struct cs_ticket_ops *ops = s->ops;
    const struct cs_remote_config *rc = s->rc;
    struct cs_ticket_row row = {0};
    struct cs_ticket_ref ref = {0};
    const char *text = ev->note ? ev->note : ev->description;
    bool open = false;
    enum cs_rc result = cs_store_ticket_get(s->store, rc->channel, ev->key, &row, err, errlen);

    if (result == CS_ERR_NOT_FOUND || (result == CS_OK && row.state != CS_TICKET_OPEN)) {
        CS_LOG(CS_LOG_DEBUG, CS_LOGC_MAIN, "%s: %s: no open ticket to resolve", rc->channel,
               ev->key);
        result = CS_OK;
        goto out;
    }
    if (result != CS_OK)
        goto out;
    ref_of(&row, &ref);
    if ((result = ops->is_open(s->http, rc, &ref, &open, retry_after_s, err, errlen)) != CS_OK)
        goto out;
    if (!open) {
        CS_LOG(CS_LOG_INFO, CS_LOGC_MAIN, "%s: %s: ticket %s was already closed in %s", rc->channel,
               ev->key, ref.number, ops->type);
    } else if (rc->close_resolved) {
        if ((result = ops->close(s->http, rc, &ref, text, retry_after_s, err, errlen)) != CS_OK)
            goto out;
        CS_LOG(CS_LOG_INFO, CS_LOGC_MAIN, "%s: %s: ticket %s closed", rc->channel, ev->key,
               ref.number);
    } else {
        /* close_resolved = no: people close it; certsweep only says the
         * problem is gone, and is done with the ticket. */
        if ((result = ops->add_note(s->http, rc, &ref, text, retry_after_s, err, errlen)) != CS_OK)
            goto out;
        CS_LOG(CS_LOG_INFO, CS_LOGC_MAIN, "%s: %s: closing note added to ticket %s, left open",
               rc->channel, ev->key, ref.number);
    }
    result = record_closed(s, &row, time(NULL), err, errlen);
out:
    cs_ticket_row_clear(&row);
    return result;
}

/* ---- the channel --------------------------------------------------------- */

static const struct cs_ticket_ops *ops_of(enum cs_remote_type type)
{
    switch (type) {
    case CS_REMOTE_SERVICEDESKPLUS:
        return &cs_ticket_servicedeskplus;
    case CS_REMOTE_SERVICENOW:
        return &cs_ticket_servicenow;
    case CS_REMOTE_JIRA:
        return &cs_ticket_jira;
    default:
        return NULL;
    }
}

static bool has_control(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; p != NULL && *p; p++)
        if (*p < ' ' || *p == 127)
            return true;
    return false;
}

static enum cs_rc ticketing_open(const struct cs_config *cfg, const char *name,
                                 struct cs_store *store, struct cs_channel_session **out, char *err,
                                 size_t errlen)
{
    const struct cs_remote_config *rc = NULL;
    struct cs_channel_session *s = NULL;
    enum cs_rc result;

    *out = NULL;
    if (name != NULL && strncmp(name, PREFIX, strlen(PREFIX)) == 0)
        rc = cs_config_remote(cfg, false, name + strlen(PREFIX));
    if (rc == NULL) {
        if (cfg->path != NULL)
            return cs_fail(err, errlen, CS_ERR_USAGE, "no [%s] section in %s",
                           name ? name : PREFIX "?", cfg->path);
        return cs_fail(err, errlen, CS_ERR_USAGE, "no [%s] section in the configuration",
                       name ? name : PREFIX "?");
    }
    const struct cs_ticket_ops *ops = ops_of(rc->type);
    if (ops == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "[%s] is not a ticketing system", rc->channel);
    if (rc->url == NULL || !cs_http_url_ok(rc->url))
        return cs_fail(err, errlen, CS_ERR_USAGE, "[%s] url must be https:// (or http://)",
                       rc->channel);
    /* These go into a header line as they are, which a line end would
     * split (the environment can hand one over). */
    const char *header_secret = has_control(rc->authtoken) ? "authtoken"
                                : has_control(rc->pat)     ? "pat"
                                                           : NULL;
    if (header_secret != NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "[%s] %s holds a line end or another control character (not shown)",
                       rc->channel, header_secret);
    if (store == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "%s keeps its tickets in the inventory, and none is open", rc->channel);
    if (strncasecmp(rc->url, "http://", 7) == 0)
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN,
               "[%s] url is %s: tickets and the %s travel unencrypted; use https://", rc->channel,
               rc->url,
               rc->auth != NULL && strcmp(rc->auth, "oauth") == 0 ? "access token" : "credentials");

    if ((s = calloc(1, sizeof(*s))) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    s->rc = rc;
    s->ops = ops;
    s->store = store;
    if ((result = cs_http_open(rc->ca_file, rc->timeout_ms, &s->http, err, errlen)) != CS_OK) {
        free(s);
        return result;
    }
    *out = s;
    return CS_OK;
}

static enum cs_rc ticketing_send(struct cs_channel_session *s, const char *idem_key,
                                 const cJSON *payload, unsigned *retry_after_s, char *err,
                                 size_t errlen)
{
    struct event ev;
    char why[CS_ERRLEN] = "";
    enum cs_rc result;

    *retry_after_s = 0;
    if ((result = read_event(payload, &ev, why, sizeof(why))) == CS_OK)
        result = ev.raise ? raise_event(s, &ev, retry_after_s, why, sizeof(why))
                          : resolve_event(s, &ev, retry_after_s, why, sizeof(why));
    /* The channel's name first: "the server refused the credentials" must
     * say which section's. Whatever wrote the text, no credential of the
     * section leaves in it. */
    if (result != CS_OK) {
        cs_http_scrub(s->http, why, sizeof(why));
        cs_fail(err, errlen, result, "%s: %s", s->rc->channel, why);
        cs_http_scrub(s->http, err, errlen);
    }
    return result;
}

static void ticketing_close(struct cs_channel_session **session)
{
    if (session == NULL || *session == NULL)
        return;
    cs_http_close(&(*session)->http);
    free(*session);
    *session = NULL;
}

const struct cs_channel_ops cs_channel_ticketing = {
    .name = "ticketing",
    .open = ticketing_open,
    .send = ticketing_send,
    .close = ticketing_close,
};
