/*
 * Jira, REST API v2 (ticket.h's ops), Cloud or Data Center: JSON in and
 * out; Cloud authenticates with basic auth email:api_token, Data Center
 * with a personal access token as a bearer token.
 *
 * The key of a problem is a label, "certsweep-" and the SHA-256 of the key
 * in hex: labels cannot hold spaces, and a digest holds none of the
 * characters JQL would need quoted. find_open asks JQL for an issue with
 * that label whose status is not in the Done category, through
 * /rest/api/2/search; Jira Cloud removed that endpoint (410 Gone) for
 * /rest/api/3/search/jql, which is asked then.
 *
 * An issue is closed by a transition, which workflows name as they like:
 * the one named done_transition (default "Done"), else any that leads to a
 * status of the Done category. The closing comment is added after the
 * transition: a transition that failed and is tried again must not leave
 * a second comment, and once it succeeded, a retry finds the issue closed
 * and does nothing.
 */
#include "ticket.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LABEL_PREFIX "certsweep-"
#define SUMMARY_MAX 255
#define SYSTEM "Jira"

/* ---- helpers ------------------------------------------------------------- */

/* "certsweep-" and 64 hex digits: the label of key. */
static void label_of(const char *key, char *buf, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL);
    size_t used = (size_t)snprintf(buf, len, LABEL_PREFIX);
    for (unsigned int i = 0; i < mdlen && used + 2 < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%02x", md[i]);
}

/* The summary: one line of at most 255 bytes, cut at a character
 * boundary. The caller frees it. */
static char *summary_of(const char *subject)
{
    char *s = strdup(subject);
    if (s == NULL)
        return NULL;
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 127)
            *p = ' ';
    s[cs_utf8_cut(s, SUMMARY_MAX)] = '\0';
    return s;
}

/* ---- one call ------------------------------------------------------------ */

/* "message; field: message" from Jira's {"errorMessages": [...], "errors":
 * {...}}; empty when the answer has neither. */
static void jira_errors(const cJSON *answer, char *buf, size_t len)
{
    const cJSON *m;
    size_t used = 0;

    buf[0] = '\0';
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(answer, "errorMessages"))
    {
        if (!cJSON_IsString(m))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? "; " : "", m->valuestring);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(answer, "errors"))
    {
        /* An "errors" that is an array has no names. */
        if (!cJSON_IsString(m))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s%s%s", used ? "; " : "",
                         m->string ? m->string : "", m->string ? ": " : "", m->valuestring);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

static const struct cs_ticket_api jira_api = {
    .accept = "Accept: application/json",
    .words = jira_errors,
};

/*
 * One API call: method to {url}{path_query} with body (JSON, may be NULL).
 * On CS_OK *answer is the parsed answer of a 2xx (NULL for an empty one,
 * as 204; the caller deletes it). A 404 is CS_ERR_NOT_FOUND when
 * missing_ok; *status is the HTTP status whatever the result.
 */
static enum cs_rc jira_call(struct cs_http *http, const struct cs_remote_config *rc,
                            const char *method, const char *path_query, const cJSON *body,
                            bool missing_ok, long *status, cJSON **answer, unsigned *retry_after_s,
                            char *err, size_t errlen)
{
    char *json = NULL, *header = NULL;
    struct cs_ticket_auth auth = {.user = rc->email ? rc->email : "", .password = rc->api_token};
    enum cs_rc result;

    *answer = NULL;
    *status = 0;
    if (body != NULL && (json = cJSON_PrintUnformatted(body)) == NULL)
        goto nomem;
    if (rc->auth != NULL && strcmp(rc->auth, "pat") == 0) {
        if ((header = cs_ticket_strf("Authorization: Bearer %s", rc->pat ? rc->pat : "")) == NULL)
            goto nomem;
        auth = (struct cs_ticket_auth){.header = header};
    }
    struct cs_ticket_request req = {
        .method = method,
        .path = path_query,
        .content_type = "application/json",
        .body = json,
        .missing_ok = missing_ok,
    };
    result = cs_ticket_call(http, rc, &jira_api, &auth, &req, status, answer, retry_after_s, err,
                            errlen);
    goto out;

nomem:
    result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    if (header != NULL)
        memset(header, 0, strlen(header));
    free(header);
    free(json);
    return result;
}

/* "/rest/api/2/issue/KEY" + suffix, the key escaped. The caller frees it. */
static char *issue_path(const char *key, const char *suffix)
{
    char *enc = cs_http_escape(key);
    char *path = enc ? cs_ticket_strf("/rest/api/2/issue/%s%s", enc, suffix) : NULL;
    free(enc);
    return path;
}

static bool category_done(const cJSON *status)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(status, "statusCategory"), "key");
    return cJSON_IsString(key) && strcmp(key->valuestring, "done") == 0;
}

/* ---- the ops ------------------------------------------------------------- */

static enum cs_rc jira_find_open(struct cs_http *http, const struct cs_remote_config *rc,
                                 const char *key, const char *subject, struct cs_ticket_ref *out,
                                 unsigned *retry_after_s, char *err, size_t errlen)
{
    char label[sizeof(LABEL_PREFIX) + 2 * EVP_MAX_MD_SIZE];
    char *jql = NULL, *enc = NULL, *path = NULL;
    cJSON *answer = NULL;
    long status = 0;
    enum cs_rc result;

    label_of(key, label, sizeof(label));
    if ((jql = cs_ticket_strf("labels = \"%s\" AND statusCategory != Done", label)) == NULL ||
        (enc = cs_http_escape(jql)) == NULL ||
        (path = cs_ticket_strf("/rest/api/2/search?jql=%s&fields=key,status&maxResults=1", enc)) ==
            NULL) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result =
        jira_call(http, rc, "GET", path, NULL, false, &status, &answer, retry_after_s, err, errlen);
    if (status == 410) {
        /* Jira Cloud: the v2 search is gone; its successor pages by token
         * and takes the same JQL. */
        free(path);
        if ((path = cs_ticket_strf("/rest/api/3/search/jql?jql=%s&fields=key,status&maxResults=1",
                                   enc)) == NULL) {
            result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
            goto out;
        }
        result = jira_call(http, rc, "GET", path, NULL, false, &status, &answer, retry_after_s, err,
                           errlen);
    }
    if (result != CS_OK)
        goto out;
    const cJSON *issue, *issues = cJSON_GetObjectItemCaseSensitive(answer, "issues");
    /* Without a list, "none found" would open a duplicate. */
    if (!cJSON_IsArray(issues)) {
        result = cs_ticket_shapeless(SYSTEM, status, "an issues list", err, errlen);
        goto out;
    }
    result = CS_ERR_NOT_FOUND;
    cJSON_ArrayForEach(issue, issues)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(issue, "key");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(issue, "fields"), "status");
        /* The JQL excluded Done; the answer is checked all the same. */
        if (!cJSON_IsString(k) || k->valuestring[0] == '\0' || category_done(st))
            continue;
        snprintf(out->id, sizeof(out->id), "%s", k->valuestring);
        snprintf(out->number, sizeof(out->number), "%s", k->valuestring);
        result = CS_OK;
        break;
    }
out:
    cJSON_Delete(answer);
    free(jql);
    free(enc);
    free(path);
    return result;
}

static enum cs_rc jira_is_open(struct cs_http *http, const struct cs_remote_config *rc,
                               const struct cs_ticket_ref *ticket, bool *open,
                               unsigned *retry_after_s, char *err, size_t errlen)
{
    char *path = issue_path(ticket->id, "?fields=status");
    cJSON *answer = NULL;
    long status;
    enum cs_rc result;

    *open = false;
    if (path == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    result =
        jira_call(http, rc, "GET", path, NULL, true, &status, &answer, retry_after_s, err, errlen);
    if (result == CS_ERR_NOT_FOUND) {
        result = CS_OK; /* deleted, or moved out of sight: not open */
    } else if (result == CS_OK) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(answer, "fields"), "status");
        /* Without a status category, "closed" would open a duplicate. */
        if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(st, "statusCategory"), "key")))
            *open = !category_done(st);
        else
            result = cs_ticket_shapeless(SYSTEM, status, "fields.status.statusCategory.key", err,
                                         errlen);
    }
    cJSON_Delete(answer);
    free(path);
    return result;
}

static enum cs_rc jira_create(struct cs_http *http, const struct cs_remote_config *rc,
                              const char *key, const char *subject, const char *description,
                              const char *severity, struct cs_ticket_ref *out,
                              unsigned *retry_after_s, char *err, size_t errlen)
{
    char label[sizeof(LABEL_PREFIX) + 2 * EVP_MAX_MD_SIZE];
    cJSON *body = cJSON_CreateObject(), *fields = NULL, *labels = NULL, *answer = NULL;
    char *summary = summary_of(subject);
    const char *priority;
    long status;
    enum cs_rc result;

    label_of(key, label, sizeof(label));
    if (body == NULL || summary == NULL ||
        (fields = cJSON_AddObjectToObject(body, "fields")) == NULL ||
        cJSON_AddStringToObject(cJSON_AddObjectToObject(fields, "project"), "key",
                                rc->project ? rc->project : "") == NULL ||
        cJSON_AddStringToObject(fields, "summary", summary) == NULL ||
        cJSON_AddStringToObject(fields, "description", description) == NULL ||
        cJSON_AddStringToObject(cJSON_AddObjectToObject(fields, "issuetype"), "name",
                                rc->issuetype && rc->issuetype[0] ? rc->issuetype : "Task") ==
            NULL ||
        (labels = cJSON_AddArrayToObject(fields, "labels")) == NULL ||
        ((priority = cs_ticket_by_severity(rc->priority_by, rc->priority, severity)) != NULL &&
         cJSON_AddStringToObject(cJSON_AddObjectToObject(fields, "priority"), "name", priority) ==
             NULL) ||
        !cJSON_AddItemToArray(labels, cJSON_CreateString("certsweep")) ||
        !cJSON_AddItemToArray(labels, cJSON_CreateString(label))) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result = jira_call(http, rc, "POST", "/rest/api/2/issue", body, false, &status, &answer,
                       retry_after_s, err, errlen);
    if (result != CS_OK)
        goto out;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(answer, "key");
    if (!cJSON_IsString(k) || k->valuestring[0] == '\0') {
        result = cs_fail(err, errlen, CS_ERR_IO,
                         "POST %.*s/rest/api/2/issue: %ld: the answer names no issue key",
                         cs_ticket_base_len(rc->url), rc->url, status);
        goto out;
    }
    snprintf(out->id, sizeof(out->id), "%s", k->valuestring);
    snprintf(out->number, sizeof(out->number), "%s", k->valuestring);
out:
    cJSON_Delete(body);
    cJSON_Delete(answer);
    free(summary);
    return result;
}

static enum cs_rc jira_add_note(struct cs_http *http, const struct cs_remote_config *rc,
                                const struct cs_ticket_ref *ticket, const char *text,
                                unsigned *retry_after_s, char *err, size_t errlen)
{
    char *path = issue_path(ticket->id, "/comment");
    cJSON *body = cJSON_CreateObject(), *answer = NULL;
    long status;
    enum cs_rc result;

    if (path == NULL || body == NULL || cJSON_AddStringToObject(body, "body", text) == NULL)
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    else
        result = jira_call(http, rc, "POST", path, body, false, &status, &answer, retry_after_s,
                           err, errlen);
    cJSON_Delete(body);
    cJSON_Delete(answer);
    free(path);
    return result;
}

/* The id of the transition that closes the issue, from the answer of
 * GET .../transitions; NULL when the workflow offers none. */
static const char *done_transition(const cJSON *answer, const char *wanted)
{
    const cJSON *t;
    const char *by_category = NULL;

    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(answer, "transitions"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
        if (!cJSON_IsString(id))
            continue;
        if (cJSON_IsString(name) && strcasecmp(name->valuestring, wanted) == 0)
            return id->valuestring;
        if (by_category == NULL && category_done(cJSON_GetObjectItemCaseSensitive(t, "to")))
            by_category = id->valuestring;
    }
    return by_category;
}

static enum cs_rc jira_close(struct cs_http *http, const struct cs_remote_config *rc,
                             const struct cs_ticket_ref *ticket, const char *text,
                             unsigned *retry_after_s, char *err, size_t errlen)
{
    const char *wanted =
        rc->done_transition && rc->done_transition[0] ? rc->done_transition : "Done";
    char *path = issue_path(ticket->id, "/transitions");
    cJSON *transitions = NULL, *body = NULL, *answer = NULL;
    long status;
    enum cs_rc result;

    if (path == NULL) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* The transition first, the comment after it (see the top of the
     * file); a workflow without a closing transition fails before either. */
    result = jira_call(http, rc, "GET", path, NULL, false, &status, &transitions, retry_after_s,
                       err, errlen);
    if (result != CS_OK)
        goto out;
    const char *id = done_transition(transitions, wanted);
    if (id == NULL) {
        result = cs_fail(err, errlen, CS_ERR_USAGE,
                         "issue %s offers no transition named '%s' nor one to a Done status: "
                         "set done_transition to the one that closes it",
                         ticket->number, wanted);
        goto out;
    }
    if ((body = cJSON_CreateObject()) == NULL ||
        cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "transition"), "id", id) == NULL) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result = jira_call(http, rc, "POST", path, body, false, &status, &answer, retry_after_s, err,
                       errlen);
    if (result != CS_OK)
        goto out;
    result = jira_add_note(http, rc, ticket, text, retry_after_s, err, errlen);
out:
    cJSON_Delete(transitions);
    cJSON_Delete(body);
    cJSON_Delete(answer);
    free(path);
    return result;
}

const struct cs_ticket_ops cs_ticket_jira = {
    .type = "jira",
    .find_open = jira_find_open,
    .is_open = jira_is_open,
    .create = jira_create,
    .add_note = jira_add_note,
    .close = jira_close,
};
