/*
 * ManageEngine ServiceDesk Plus, REST API v3 (ticket.h's ops). Requests
 * and answers carry JSON, but a request's JSON travels form-encoded as
 * the field input_data (in the body, or in the query of a GET), and every
 * answer says whether it worked in response_status: an HTTP 200 may carry
 * status_code 4000 and messages[] saying why not.
 *
 * On-premises installations take the technician's key in an `authtoken`
 * header; the cloud (sdpondemand) takes a Zoho OAuth access token,
 * "Authorization: Zoho-oauthtoken TOKEN", and names a note request_note
 * where on-premises says note.
 *
 * The key of a problem has no field of its own: the description ends in a
 * line "certsweep-key: KEY", and find_open searches requests by subject
 * (leaving out closed and resolved ones, newest first, a few pages at
 * most) and reads each candidate's description for that line.
 */
#include "ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_LINE "certsweep-key: "
/* A search asks for up to SEARCH_ROWS requests a page (the API's most)
 * and reads at most SEARCH_PAGES pages. */
#define SEARCH_ROWS 100
#define SEARCH_PAGES 5
#define SYSTEM "ServiceDesk Plus"

/* ---- helpers ------------------------------------------------------------- */

static bool is_cloud(const struct cs_remote_config *rc)
{
    return rc->auth != NULL && strcmp(rc->auth, "oauth") == 0;
}

/* text for SDP's HTML fields: & < > " escaped, line ends as <br>. The
 * caller frees it. */
static char *html_text(const char *text)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == '\n' ? 4 : 6;
    char *out = malloc(n), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\r':
            if (p[1] == '\n')
                continue; /* the \n writes the <br> */
            rep = "<br>";
            break;
        case '\n':
            rep = "<br>";
            break;
        default:
            *o++ = *p;
            continue;
        }
        o += sprintf(o, "%s", rep);
    }
    *o = '\0';
    return out;
}

/* A subject on one line (SDP's subject is a single-line field), the same
 * when creating and when searching. The caller frees it. */
static char *one_line(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; p != NULL && *p; p++)
        if ((unsigned char)*p < ' ' || *p == 127)
            *p = ' ';
    return s;
}

/* A field's text, whether SDP sent it as a string or a number. */
static const char *id_text(const cJSON *item, char *buf, size_t len)
{
    if (cJSON_IsString(item) && item->valuestring[0] != '\0')
        return item->valuestring;
    if (cJSON_IsNumber(item) && item->valuedouble >= 0) {
        snprintf(buf, len, "%.0f", item->valuedouble);
        return buf;
    }
    return NULL;
}

static const cJSON *path2(const cJSON *o, const char *a, const char *b)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
}

/* Whether a status name means the request is over. */
static bool status_done(const char *name)
{
    static const char *const done[] = {"Closed", "Resolved", "Cancelled", "Canceled"};
    for (size_t i = 0; name != NULL && i < sizeof(done) / sizeof(done[0]); i++)
        if (strcasecmp(name, done[i]) == 0)
            return true;
    return false;
}

/* ---- one call ------------------------------------------------------------ */

/* response_status of an answer: an object, or (lists) an array of them. */
static const cJSON *response_status(const cJSON *answer)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(answer, "response_status");
    return cJSON_IsArray(rs) ? cJSON_GetArrayItem(rs, 0) : rs;
}

/* "4001 (field subject): message; ..." from response_status.messages. */
static void sdp_messages(const cJSON *rs, char *buf, size_t len)
{
    const cJSON *m;
    size_t used = 0;
    char num[32];

    buf[0] = '\0';
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(rs, "messages"))
    {
        const char *code =
            id_text(cJSON_GetObjectItemCaseSensitive(m, "status_code"), num, sizeof(num));
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(m, "field");
        const cJSON *message = cJSON_GetObjectItemCaseSensitive(m, "message");
        int n = snprintf(buf + used, len - used, "%s%s%s%s%s%s%s", used ? "; " : "",
                         code ? code : "", cJSON_IsString(field) ? " (field " : "",
                         cJSON_IsString(field) ? field->valuestring : "",
                         cJSON_IsString(field) ? ")" : "",
                         cJSON_IsString(message) ? (code ? ": " : "") : "",
                         cJSON_IsString(message) ? message->valuestring : "");
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    if (buf[0] == '\0') {
        const char *code =
            id_text(cJSON_GetObjectItemCaseSensitive(rs, "status_code"), num, sizeof(num));
        snprintf(buf, len, "status_code %s", code ? code : "missing");
    }
}

/* The system's words in an answer that is not a 2xx: its messages, when
 * it sent a response_status. */
static void sdp_words(const cJSON *answer, char *buf, size_t len)
{
    const cJSON *rs = response_status(answer);
    buf[0] = '\0';
    if (rs != NULL)
        sdp_messages(rs, buf, len);
}

/* A 2xx succeeded only if its response_status says 2000. */
static enum cs_rc sdp_check_2xx(const cJSON *answer, long status, const char *shown, char *err,
                                size_t errlen)
{
    const cJSON *rs = response_status(answer);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(rs, "status_code");
    char words[400];

    if (answer != NULL && cJSON_IsNumber(code) && code->valuedouble == 2000)
        return CS_OK;
    if (rs != NULL)
        sdp_messages(rs, words, sizeof(words));
    else
        snprintf(words, sizeof(words), "no response_status in the answer");
    /* Refused inside a 200: retrying the same request cannot help. */
    return cs_fail(err, errlen, CS_ERR_USAGE, "%s: %ld, but ServiceDesk Plus failed: %s", shown,
                   status, words);
}

static const struct cs_ticket_api sdp_api = {
    .accept = "Accept: application/vnd.manageengine.sdp.v3+json",
    .words = sdp_words,
    .check_2xx = sdp_check_2xx,
};

/*
 * One API call: method to {url}{path}, input (may be NULL) as input_data,
 * in the query of a GET and form-encoded in the body otherwise. On CS_OK
 * *answer is the parsed answer (the caller deletes it), whose
 * response_status said 2000. A 404 is CS_ERR_NOT_FOUND when missing_ok.
 * The cloud authenticates by OAuth (ticket.h), on-premises by authtoken.
 */
static enum cs_rc sdp_call(struct cs_http *http, const struct cs_remote_config *rc,
                           const char *method, const char *path, const cJSON *input,
                           bool missing_ok, cJSON **answer, unsigned *retry_after_s, char *err,
                           size_t errlen)
{
    char *json = NULL, *enc = NULL, *target = NULL, *body = NULL, *header = NULL;
    bool get = strcmp(method, "GET") == 0;
    struct cs_ticket_auth auth = {0};
    enum cs_rc result;

    *answer = NULL;
    if (input != NULL &&
        ((json = cJSON_PrintUnformatted(input)) == NULL || (enc = cs_http_escape(json)) == NULL))
        goto nomem;
    if (get && enc != NULL)
        target = cs_ticket_strf("%s?input_data=%s", path, enc);
    else
        target = strdup(path);
    if (target == NULL ||
        (!get && (body = cs_ticket_strf("input_data=%s", enc ? enc : "%7B%7D")) == NULL))
        goto nomem;
    if (is_cloud(rc)) {
        auth.token_url = rc->oauth_token_url;
        auth.token_scheme = "Zoho-oauthtoken";
    } else {
        if ((header = cs_ticket_strf("authtoken: %s", rc->authtoken ? rc->authtoken : "")) == NULL)
            goto nomem;
        auth.header = header;
    }
    struct cs_ticket_request req = {
        .method = method,
        .path = target,
        .content_type = get ? NULL : "application/x-www-form-urlencoded",
        .body = body,
        .missing_ok = missing_ok,
    };
    result =
        cs_ticket_call(http, rc, &sdp_api, &auth, &req, NULL, answer, retry_after_s, err, errlen);
    goto out;

nomem:
    result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    if (header != NULL)
        memset(header, 0, strlen(header));
    free(header);
    free(json);
    free(enc);
    free(target);
    free(body);
    return result;
}

/* "/api/v3/requests/ID" plus suffix, ID escaped. The caller frees it. */
static char *request_path(const char *id, const char *suffix)
{
    char *enc = cs_http_escape(id);
    char *path = enc ? cs_ticket_strf("/api/v3/requests/%s%s", enc, suffix) : NULL;
    free(enc);
    return path;
}

/* ---- the ops ------------------------------------------------------------- */

/* Whether an SDP description (HTML) holds the key line of key. */
static bool carries_key(const char *description, const char *key)
{
    char *enc = html_text(key);
    char *line = enc ? cs_ticket_strf("%s%s", KEY_LINE, enc) : NULL;
    bool found = false;

    for (const char *p = description; line != NULL && (p = strstr(p, line)) != NULL; p++) {
        char next = p[strlen(line)];
        /* The whole key, not the start of a longer one. */
        if (next == '\0' || next == '<' || next == '\r' || next == '\n' || next == ' ' ||
            next == '"') {
            found = true;
            break;
        }
    }
    free(enc);
    free(line);
    return found;
}

static enum cs_rc sdp_is_open(struct cs_http *http, const struct cs_remote_config *rc,
                              const struct cs_ticket_ref *ticket, bool *open,
                              unsigned *retry_after_s, char *err, size_t errlen)
{
    char *path = request_path(ticket->id, "");
    cJSON *answer = NULL;
    enum cs_rc result;

    *open = false;
    if (path == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    result = sdp_call(http, rc, "GET", path, NULL, true, &answer, retry_after_s, err, errlen);
    if (result == CS_ERR_NOT_FOUND) {
        result = CS_OK; /* deleted: not open */
    } else if (result == CS_OK) {
        const cJSON *status =
            path2(cJSON_GetObjectItemCaseSensitive(answer, "request"), "status", "name");
        /* Without a status, "closed" would open a duplicate at every raise. */
        if (cJSON_IsString(status) && status->valuestring[0] != '\0')
            *open = !status_done(status->valuestring);
        else
            result = cs_ticket_shapeless(SYSTEM, 200, "request.status.name", err, errlen);
    }
    cJSON_Delete(answer);
    free(path);
    return result;
}

/*
 * input_data of one page of the search for requests titled line that are
 * not over, newest first. Closed and Resolved are excluded by the server
 * (every installation has them); other final statuses (Cancelled, which
 * some spell Canceled) are left to the caller, as naming a status the
 * installation lacks could make the search fail. The caller deletes it.
 */
static cJSON *search_input(const char *line, int start_index)
{
    static const char *const over[] = {"Closed", "Resolved"};
    cJSON *input = cJSON_CreateObject(), *list, *criteria, *subject, *status;

    if (input == NULL || (list = cJSON_AddObjectToObject(input, "list_info")) == NULL ||
        cJSON_AddNumberToObject(list, "row_count", SEARCH_ROWS) == NULL ||
        cJSON_AddNumberToObject(list, "start_index", start_index) == NULL ||
        cJSON_AddStringToObject(list, "sort_field", "created_time") == NULL ||
        cJSON_AddStringToObject(list, "sort_order", "desc") == NULL ||
        (criteria = cJSON_AddArrayToObject(list, "search_criteria")) == NULL ||
        (subject = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(criteria, subject) ||
        cJSON_AddStringToObject(subject, "field", "subject") == NULL ||
        cJSON_AddStringToObject(subject, "condition", "is") == NULL ||
        cJSON_AddStringToObject(subject, "value", line) == NULL ||
        (status = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(criteria, status) ||
        cJSON_AddStringToObject(status, "field", "status.name") == NULL ||
        cJSON_AddStringToObject(status, "condition", "is not") == NULL ||
        !cJSON_AddItemToObject(status, "values", cJSON_CreateStringArray(over, 2)) ||
        cJSON_AddStringToObject(status, "logical_operator", "AND") == NULL) {
        cJSON_Delete(input);
        return NULL;
    }
    return input;
}

/* Whether one request of a search is the open one of key: its description
 * (from the list when the list carries it, else from the request itself)
 * holds the key line, and its status is not final. CS_OK and *found. */
static enum cs_rc candidate(struct cs_http *http, const struct cs_remote_config *rc,
                            const cJSON *listed, const char *key, const char *id, bool *found,
                            unsigned *retry_after_s, char *err, size_t errlen)
{
    const cJSON *description = cJSON_GetObjectItemCaseSensitive(listed, "description");
    const cJSON *status = path2(listed, "status", "name");
    cJSON *full = NULL;
    char *path = NULL;
    enum cs_rc result = CS_OK;

    *found = false;
    if (!cJSON_IsString(description)) {
        if ((path = request_path(id, "")) == NULL)
            return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        result = sdp_call(http, rc, "GET", path, NULL, true, &full, retry_after_s, err, errlen);
        if (result == CS_ERR_NOT_FOUND)
            result = CS_OK; /* deleted since the search */
        if (result != CS_OK || full == NULL)
            goto out;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(full, "request");
        description = cJSON_GetObjectItemCaseSensitive(r, "description");
        status = path2(r, "status", "name");
    }
    *found = cJSON_IsString(description) && carries_key(description->valuestring, key) &&
             !(cJSON_IsString(status) && status_done(status->valuestring));
out:
    cJSON_Delete(full);
    free(path);
    return result;
}

static enum cs_rc sdp_find_open(struct cs_http *http, const struct cs_remote_config *rc,
                                const char *key, const char *subject, struct cs_ticket_ref *out,
                                unsigned *retry_after_s, char *err, size_t errlen)
{
    char *line = subject ? one_line(subject) : NULL;
    cJSON *input = NULL, *answer = NULL;
    enum cs_rc result = CS_ERR_NOT_FOUND;
    int start = 1; /* SDP counts rows from 1 */

    if (subject == NULL)
        goto out;
    if (line == NULL) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Newest first, a few pages at most: the open request of a problem is
     * its newest, and the search skips the closed ones. */
    for (int page = 0; page < SEARCH_PAGES; page++) {
        cJSON_Delete(input);
        cJSON_Delete(answer);
        answer = NULL;
        if ((input = search_input(line, start)) == NULL) {
            result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
            goto out;
        }
        result = sdp_call(http, rc, "GET", "/api/v3/requests", input, false, &answer, retry_after_s,
                          err, errlen);
        if (result != CS_OK)
            goto out;
        const cJSON *requests = cJSON_GetObjectItemCaseSensitive(answer, "requests");
        if (!cJSON_IsArray(requests)) {
            result = cs_ticket_shapeless(SYSTEM, 200, "a requests list", err, errlen);
            goto out;
        }
        const cJSON *request;
        cJSON_ArrayForEach(request, requests)
        {
            char num[32];
            bool found;
            const char *id =
                id_text(cJSON_GetObjectItemCaseSensitive(request, "id"), num, sizeof(num));
            const cJSON *status = path2(request, "status", "name");
            if (id == NULL || (cJSON_IsString(status) && status_done(status->valuestring)))
                continue;
            result = candidate(http, rc, request, key, id, &found, retry_after_s, err, errlen);
            if (result != CS_OK)
                goto out;
            if (found) {
                snprintf(out->id, sizeof(out->id), "%s", id);
                snprintf(out->number, sizeof(out->number), "%s", id);
                goto out; /* CS_OK */
            }
        }
        result = CS_ERR_NOT_FOUND;
        int rows = cJSON_GetArraySize(requests);
        if (rows == 0 || !cJSON_IsTrue(path2(answer, "list_info", "has_more_rows")))
            break;
        start += rows;
    }
out:
    cJSON_Delete(input);
    cJSON_Delete(answer);
    free(line);
    return result;
}

/* {"name": value} under parent's name, when value is set. */
static bool add_named(cJSON *parent, const char *name, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return true;
    cJSON *o = cJSON_AddObjectToObject(parent, name);
    return o != NULL && cJSON_AddStringToObject(o, "name", value) != NULL;
}

static enum cs_rc sdp_create(struct cs_http *http, const struct cs_remote_config *rc,
                             const char *key, const char *subject, const char *description,
                             const char *severity, struct cs_ticket_ref *out,
                             unsigned *retry_after_s, char *err, size_t errlen)
{
    cJSON *input = cJSON_CreateObject(), *request = NULL, *answer = NULL;
    char *line = one_line(subject), *html = html_text(description), *html_key = html_text(key);
    char *full = NULL;
    enum cs_rc result;

    if (input == NULL || line == NULL || html == NULL || html_key == NULL ||
        (full = cs_ticket_strf("%s<br><br>" KEY_LINE "%s", html, html_key)) == NULL ||
        (request = cJSON_AddObjectToObject(input, "request")) == NULL ||
        cJSON_AddStringToObject(request, "subject", line) == NULL ||
        cJSON_AddStringToObject(request, "description", full) == NULL ||
        !add_named(request, "requester", rc->requester) ||
        !add_named(request, "priority",
                   cs_ticket_by_severity(rc->priority_by, rc->priority, severity)) ||
        !add_named(request, "category", rc->category) ||
        !add_named(request, "group", rc->technician_group)) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result = sdp_call(http, rc, "POST", "/api/v3/requests", input, false, &answer, retry_after_s,
                      err, errlen);
    if (result != CS_OK)
        goto out;
    char num[32];
    const char *id = id_text(path2(answer, "request", "id"), num, sizeof(num));
    if (id == NULL) {
        result = cs_fail(err, errlen, CS_ERR_IO,
                         "POST %.*s/api/v3/requests: the answer names no request id",
                         cs_ticket_base_len(rc->url), rc->url);
        goto out;
    }
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->number, sizeof(out->number), "%s", id);
out:
    cJSON_Delete(input);
    cJSON_Delete(answer);
    free(line);
    free(html);
    free(html_key);
    free(full);
    return result;
}

static enum cs_rc sdp_add_note(struct cs_http *http, const struct cs_remote_config *rc,
                               const struct cs_ticket_ref *ticket, const char *text,
                               unsigned *retry_after_s, char *err, size_t errlen)
{
    cJSON *input = cJSON_CreateObject(), *note = NULL, *answer = NULL;
    char *html = html_text(text), *path = request_path(ticket->id, "/notes");
    enum cs_rc result;

    if (input == NULL || html == NULL || path == NULL ||
        (note = cJSON_AddObjectToObject(input, is_cloud(rc) ? "request_note" : "note")) == NULL ||
        cJSON_AddStringToObject(note, "description", html) == NULL ||
        cJSON_AddBoolToObject(note, "show_to_requester", true) == NULL) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result = sdp_call(http, rc, "POST", path, input, false, &answer, retry_after_s, err, errlen);
out:
    cJSON_Delete(input);
    cJSON_Delete(answer);
    free(html);
    free(path);
    return result;
}

static enum cs_rc sdp_close(struct cs_http *http, const struct cs_remote_config *rc,
                            const struct cs_ticket_ref *ticket, const char *text,
                            unsigned *retry_after_s, char *err, size_t errlen)
{
    cJSON *input = cJSON_CreateObject(), *info = NULL, *answer = NULL;
    char *path = request_path(ticket->id, "/close");
    enum cs_rc result;

    if (input == NULL || path == NULL ||
        (info = cJSON_AddObjectToObject(cJSON_AddObjectToObject(input, "request"),
                                        "closure_info")) == NULL ||
        cJSON_AddStringToObject(info, "closure_comments", text) == NULL ||
        !add_named(info, "closure_code", "Success")) {
        result = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    result = sdp_call(http, rc, "PUT", path, input, false, &answer, retry_after_s, err, errlen);
out:
    cJSON_Delete(input);
    cJSON_Delete(answer);
    free(path);
    return result;
}

const struct cs_ticket_ops cs_ticket_servicedeskplus = {
    .type = "servicedeskplus",
    .find_open = sdp_find_open,
    .is_open = sdp_is_open,
    .create = sdp_create,
    .add_note = sdp_add_note,
    .close = sdp_close,
};
