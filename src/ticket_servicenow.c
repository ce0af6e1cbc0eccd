/*
 * ServiceNow, Table API (ticket.h's ops), on the section's table
 * (incident by default): JSON in and out, basic auth or an OAuth bearer
 * token. The key of a problem is the record's correlation_id, the field
 * ServiceNow keeps for an outside system's identifier, with
 * correlation_display "certsweep"; an open record is one whose active
 * flag is true (ServiceNow clears it on Resolved, Closed and Canceled).
 *
 * Errors come as {"error": {"message": ..., "detail": ...}}, which go into
 * err in place of the raw JSON.
 */
#include "ticket.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* correlation_id is a String(100) field. */
#define CORRELATION_MAX 100
/* Resolved, in the incident table's state choices, and the incident
 * table's out-of-box close code for a problem solved. */
#define STATE_RESOLVED "6"
#define CLOSE_CODE "Solution provided"
#define SYSTEM "ServiceNow"

/* ---- helpers ------------------------------------------------------------- */

static const char *table_of(const struct cs_remote_config *rc)
{
    return rc->table && rc->table[0] ? rc->table : "incident";
}

/*
 * The correlation_id of key: the key itself when it fits the field and
 * cannot disturb an encoded query ('^' separates its terms, and a
 * condition ends at the first operator); else "certsweep:sha256:" and the
 * key's SHA-256, which always fits.
 */
static void correlation_of(const char *key, char *buf, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (strlen(key) <= CORRELATION_MAX && strpbrk(key, "^=<>!") == NULL && strlen(key) < len) {
        snprintf(buf, len, "%s", key);
        return;
    }
    EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL);
    size_t used = (size_t)snprintf(buf, len, "certsweep:sha256:");
    for (unsigned int i = 0; i < mdlen && used + 2 < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%02x", md[i]);
}

/* ---- one call ------------------------------------------------------------ */

/* {"error": {"message": ..., "detail": ...}} as "message: detail". */
static void snow_words(const cJSON *answer, char *buf, size_t len)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(answer, "error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(e, "message");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(e, "detail");

    buf[0] = '\0';
    if (cJSON_IsString(message))
        snprintf(buf, len, "%s%s%s", message->valuestring,
                 cJSON_IsString(detail) && detail->valuestring[0] ? ": " : "",
                 cJSON_IsString(detail) ? detail->valuestring : "");
}

static const struct cs_ticket_api snow_api = {
    .accept = "Accept: application/json",
    .words = snow_words,
};

/*
 * One API call: method to {url}{path_query} with body (JSON, may be NULL).
 * On CS_OK *answer is the parsed answer (NULL when there was no body; the
 * caller deletes it) of a 2xx. A 404 is CS_ERR_NOT_FOUND when missing_ok.
 * Basic auth, or an OAuth bearer token (ticket.h).
 */
static enum cs_rc snow_call(struct cs_http *http, const struct cs_remote_config *rc,
                            const char *method, const char *path_query, const cJSON *body,
                            bool missing_ok, cJSON **answer, unsigned *retry_after_s, char *err,
                            size_t errlen)
{
    char *json = NULL, *token_url = NULL;
    struct cs_ticket_auth auth = {.user = rc->username ? rc->username : "",
                                  .password = rc->password};
    enum cs_rc result;

    *answer = NULL;
    if (body != NULL && (json = cJSON_PrintUnformatted(body)) == NULL)
        goto nomem;
    if (rc->auth != NULL && strcmp(rc->auth, "oauth") == 0) {
        /* The default token URL is the instance's own. */
        const char *t = rc->oauth_token_url;
        if (t == NULL || strncmp(t, "{url}", 5) == 0)
            token_url = cs_ticket_strf("%.*s%s", cs_ticket_base_len(rc->url), rc->url,
                                       t ? t + 5 : "/oauth_token.do");
        else
            token_url = strdup(t);
        if (token_url == NULL)
            goto nomem;
        auth = (struct cs_ticket_auth){.token_url = token_url, .token_scheme = "Bearer"};
    }
    struct cs_ticket_request req = {
        .method = method,
        .path = path_query,
        .content_type = "application/json",
        .body = json,
        .missing_ok = missing_ok,
    };
    result =
        cs_ticket_call(http, rc, &snow_api, &auth, &req, NULL, answer, retry_after_s, err, errlen);
    goto out;

nomem:
    result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    free(json);
    free(token_url);
    return result;
}

/* "/api/now/table/TABLE[/SYS_ID]" + query, the names escaped. The caller
 * frees it. */
static char *table_path(const struct cs_remote_config *rc, const char *sys_id, const char *query)
{
    char *table = cs_http_escape(table_of(rc));
    char *id = sys_id ? cs_http_escape(sys_id) : NULL;
    char *path = NULL;

    if (table != NULL && (sys_id == NULL || id != NULL))
        path = cs_ticket_strf("/api/now/table/%s%s%s%s", table, id ? "/" : "", id ? id : "", query);
    free(table);
    free(id);
    return path;
}

static void set_ref(const cJSON *record, struct cs_ticket_ref *out)
{
    const cJSON *sys_id = cJSON_GetObjectItemCaseSensitive(record, "sys_id");
    const cJSON *number = cJSON_GetObjectItemCaseSensitive(record, "number");
    snprintf(out->id, sizeof(out->id), "%s", sys_id->valuestring);
    snprintf(out->number, sizeof(out->number), "%s",
             cJSON_IsString(number) && number->valuestring[0] ? number->valuestring
                                                              : sys_id->valuestring);
}

static bool has_sys_id(const cJSON *record)
{
    const cJSON *sys_id = cJSON_GetObjectItemCaseSensitive(record, "sys_id");
    return cJSON_IsString(sys_id) && sys_id->valuestring[0] != '\0';
}

/* ---- the ops ------------------------------------------------------------- */

static enum cs_rc snow_find_open(struct cs_http *http, const struct cs_remote_config *rc,
                                 const char *key, const char *subject, struct cs_ticket_ref *out,
                                 unsigned *retry_after_s, char *err, size_t errlen)
{
    char correlation[CORRELATION_MAX + 1];
    char *query = NULL, *enc = NULL, *q = NULL, *path = NULL;
    cJSON *answer = NULL;
    enum cs_rc result;

    correlation_of(key, correlation, sizeof(correlation));
    if ((query = cs_ticket_strf("correlation_id=%s^active=true", correlation)) == NULL ||
        (enc = cs_http_escape(query)) == NULL ||
        (q = cs_ticket_strf("?sysparm_query=%s&sysparm_fields=sys_id,number,state&sysparm_limit=1",
                            enc)) == NULL ||
        (path = table_path(rc, NULL, q)) == NULL) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result = snow_call(http, rc, "GET", path, NULL, false, &answer, retry_after_s, err, errlen);
    if (result != CS_OK)
        goto out;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(answer, "result");
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    /* Without a list, "none found" would open a duplicate. */
    if (!cJSON_IsArray(list))
        result = cs_ticket_shapeless(SYSTEM, 200, "a result list", err, errlen);
    else if (has_sys_id(first))
        set_ref(first, out);
    else
        result = CS_ERR_NOT_FOUND;
out:
    cJSON_Delete(answer);
    free(query);
    free(enc);
    free(q);
    free(path);
    return result;
}

static enum cs_rc snow_is_open(struct cs_http *http, const struct cs_remote_config *rc,
                               const struct cs_ticket_ref *ticket, bool *open,
                               unsigned *retry_after_s, char *err, size_t errlen)
{
    char *path = table_path(rc, ticket->id, "?sysparm_fields=active,state");
    cJSON *answer = NULL;
    enum cs_rc result;

    *open = false;
    if (path == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    result = snow_call(http, rc, "GET", path, NULL, true, &answer, retry_after_s, err, errlen);
    if (result == CS_ERR_NOT_FOUND) {
        result = CS_OK; /* deleted: not open */
    } else if (result == CS_OK) {
        const cJSON *active = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(answer, "result"), "active");
        /* The Table API sends fields as strings ("true"), unless asked
         * for display values; take JSON booleans as well. Anything else
         * (absent, or emptied by an ACL the account does not pass) says
         * nothing: read as "closed", it would open a duplicate at every
         * raise. */
        if (cJSON_IsBool(active))
            *open = cJSON_IsTrue(active);
        else if (cJSON_IsString(active) && (strcmp(active->valuestring, "true") == 0 ||
                                            strcmp(active->valuestring, "false") == 0))
            *open = strcmp(active->valuestring, "true") == 0;
        else
            result = cs_ticket_shapeless(SYSTEM, 200, "result.active", err, errlen);
    }
    cJSON_Delete(answer);
    free(path);
    return result;
}

static bool add_optional(cJSON *o, const char *name, const char *value)
{
    return value == NULL || value[0] == '\0' || cJSON_AddStringToObject(o, name, value) != NULL;
}

static enum cs_rc snow_create(struct cs_http *http, const struct cs_remote_config *rc,
                              const char *key, const char *subject, const char *description,
                              const char *severity, struct cs_ticket_ref *out,
                              unsigned *retry_after_s, char *err, size_t errlen)
{
    char correlation[CORRELATION_MAX + 1];
    cJSON *body = cJSON_CreateObject(), *answer = NULL;
    char *path = table_path(rc, NULL, "");
    enum cs_rc result;

    correlation_of(key, correlation, sizeof(correlation));
    /* The description also goes into comments (Additional comments, the
     * journal people read), as ServiceNow users expect it there. */
    if (body == NULL || path == NULL ||
        cJSON_AddStringToObject(body, "short_description", subject) == NULL ||
        cJSON_AddStringToObject(body, "description", description) == NULL ||
        cJSON_AddStringToObject(body, "comments", description) == NULL ||
        cJSON_AddStringToObject(body, "correlation_id", correlation) == NULL ||
        cJSON_AddStringToObject(body, "correlation_display", "certsweep") == NULL ||
        !add_optional(body, "caller_id", rc->caller_id) ||
        !add_optional(body, "assignment_group", rc->assignment_group) ||
        !add_optional(body, "category", rc->snow_category) ||
        !add_optional(body, "urgency",
                      cs_ticket_by_severity(rc->urgency_by, rc->urgency, severity)) ||
        !add_optional(body, "impact", cs_ticket_by_severity(rc->impact_by, rc->impact, severity))) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result = snow_call(http, rc, "POST", path, body, false, &answer, retry_after_s, err, errlen);
    if (result != CS_OK)
        goto out;
    const cJSON *record = cJSON_GetObjectItemCaseSensitive(answer, "result");
    if (!has_sys_id(record)) {
        result = cs_fail(err, errlen, CS_ERR_IO,
                         "POST %.*s/api/now/table/%s: the answer names no sys_id",
                         cs_ticket_base_len(rc->url), rc->url, table_of(rc));
        goto out;
    }
    set_ref(record, out);
out:
    cJSON_Delete(body);
    cJSON_Delete(answer);
    free(path);
    return result;
}

static enum cs_rc snow_patch(struct cs_http *http, const struct cs_remote_config *rc,
                             const struct cs_ticket_ref *ticket, cJSON *body,
                             unsigned *retry_after_s, char *err, size_t errlen)
{
    char *path = table_path(rc, ticket->id, "");
    cJSON *answer = NULL;
    enum cs_rc result;

    if (path == NULL || body == NULL) {
        free(path);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    result = snow_call(http, rc, "PATCH", path, body, false, &answer, retry_after_s, err, errlen);
    cJSON_Delete(answer);
    free(path);
    return result;
}

static enum cs_rc snow_add_note(struct cs_http *http, const struct cs_remote_config *rc,
                                const struct cs_ticket_ref *ticket, const char *text,
                                unsigned *retry_after_s, char *err, size_t errlen)
{
    cJSON *body = cJSON_CreateObject();
    enum cs_rc result;

    if (body != NULL && cJSON_AddStringToObject(body, "work_notes", text) == NULL) {
        cJSON_Delete(body);
        body = NULL;
    }
    result = snow_patch(http, rc, ticket, body, retry_after_s, err, errlen);
    cJSON_Delete(body);
    return result;
}

static enum cs_rc snow_close(struct cs_http *http, const struct cs_remote_config *rc,
                             const struct cs_ticket_ref *ticket, const char *text,
                             unsigned *retry_after_s, char *err, size_t errlen)
{
    cJSON *body = cJSON_CreateObject();
    enum cs_rc result;

    if (body != NULL && (cJSON_AddStringToObject(body, "state", STATE_RESOLVED) == NULL ||
                         cJSON_AddStringToObject(body, "close_code", CLOSE_CODE) == NULL ||
                         cJSON_AddStringToObject(body, "close_notes", text) == NULL)) {
        cJSON_Delete(body);
        body = NULL;
    }
    result = snow_patch(http, rc, ticket, body, retry_after_s, err, errlen);
    cJSON_Delete(body);
    return result;
}

const struct cs_ticket_ops cs_ticket_servicenow = {
    .type = "servicenow",
    .find_open = snow_find_open,
    .is_open = snow_is_open,
    .create = snow_create,
    .add_note = snow_add_note,
    .close = snow_close,
};
