/* What the handlers of the REST API share (api.h). */
#include "api.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cs_api_text(struct cs_api_resp *resp, unsigned status, const char *content_type,
                 const char *text, size_t len)
{
    free(resp->body);
    resp->body = malloc(len + 1);
    if (resp->body == NULL) {
        resp->status = 500;
        resp->len = 0;
        resp->content_type = "application/json";
        return;
    }
    memcpy(resp->body, text, len);
    resp->body[len] = '\0';
    resp->len = len;
    resp->status = status;
    resp->content_type = content_type;
}

void cs_api_json(struct cs_api_resp *resp, unsigned status, cJSON *json)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;

    cJSON_Delete(json);
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
    if (text == NULL) {
        static const char nomem[] = "{\"error\":\"out of memory\"}";
        cs_api_text(resp, 500, "application/json", nomem, sizeof(nomem) - 1);
        return;
    }
    resp->body = text;
    resp->len = strlen(text);
    resp->status = status;
    resp->content_type = "application/json";
}

void cs_api_error(struct cs_api_resp *resp, unsigned status, const char *fmt, ...)
{
    char msg[CS_ERRLEN];
    va_list ap;
    cJSON *json = cJSON_CreateObject();

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (json != NULL && cJSON_AddStringToObject(json, "error", msg) == NULL) {
        cJSON_Delete(json);
        json = NULL;
    }
    cs_api_json(resp, status, json);
}

void cs_api_fail(struct cs_api_resp *resp, enum cs_rc rc, const char *err)
{
    unsigned status = rc == CS_ERR_NOT_FOUND ? 404
                      : rc == CS_ERR_USAGE   ? 400
                      : rc == CS_ERR_BUSY    ? 409
                                             : 500;
    cs_api_error(resp, status, "%s", err && err[0] ? err : "the inventory failed");
}

const char *cs_api_query(const struct cs_api_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_check {
    const char *allowed;
    const char *unknown;
};

static enum MHD_Result check_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct query_check *qc = cls;
    size_t n = strlen(key);

    for (const char *p = qc->allowed; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, key, n) == 0)
            return MHD_YES;
        p += len + (comma != NULL);
    }
    qc->unknown = key;
    return MHD_NO;
}

bool cs_api_query_check(const struct cs_api_req *req, struct cs_api_resp *resp, const char *allowed)
{
    struct query_check qc = {.allowed = allowed};

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_one, &qc);
    if (qc.unknown != NULL) {
        cs_api_error(resp, 400, "unknown query parameter '%.64s'%s%s", qc.unknown,
                     allowed[0] ? "; this route takes " : "; this route takes none", allowed);
        return false;
    }
    return true;
}

bool cs_api_query_bool(const struct cs_api_req *req, struct cs_api_resp *resp, const char *name,
                       bool *out)
{
    const char *v = cs_api_query(req, name);

    if (v == NULL)
        return true;
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0) {
        *out = true;
    } else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0) {
        *out = false;
    } else {
        cs_api_error(resp, 400, "invalid %s '%.64s': expected true or false", name, v);
        return false;
    }
    return true;
}

bool cs_api_query_uint(const struct cs_api_req *req, struct cs_api_resp *resp, const char *name,
                       unsigned max, unsigned *out)
{
    const char *v = cs_api_query(req, name);
    char *end;

    if (v == NULL)
        return true;
    unsigned long n = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || n > max) {
        cs_api_error(resp, 400, "invalid %s '%.64s': expected a number from 0 to %u", name, v, max);
        return false;
    }
    *out = (unsigned)n;
    return true;
}

cJSON *cs_api_body(const struct cs_api_req *req, struct cs_api_resp *resp)
{
    const char *end = NULL;
    /* The body is NUL-terminated: the NUL is counted so that cJSON can
     * check that nothing follows the value (a NUL inside fails). */
    cJSON *json = cJSON_ParseWithLengthOpts(req->body, req->body_len + 1, &end, true);

    if (json == NULL) {
        size_t at = end && end >= req->body ? (size_t)(end - req->body) : 0;
        cs_api_error(resp, 400, "the body is not valid JSON (at byte %zu)", at);
        return NULL;
    }
    if (!cJSON_IsObject(json)) {
        cJSON_Delete(json);
        cs_api_error(resp, 400, "the body must be a JSON object");
        return NULL;
    }
    return json;
}

cJSON *cs_api_time(time_t t)
{
    char buf[21];
    if (t == 0)
        return cJSON_CreateNull();
    cs_store_format_time(t, buf);
    return cJSON_CreateString(buf);
}

cJSON *cs_api_words(const char *list)
{
    cJSON *array = cJSON_CreateArray();
    char *copy = strdup(list ? list : ""), *save = NULL;

    if (array == NULL || copy == NULL) {
        cJSON_Delete(array);
        array = NULL;
        goto out;
    }
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
        cJSON_AddItemToArray(array, cJSON_CreateString(w));
out:
    free(copy);
    return array;
}

bool cs_api_network_param(struct cs_api *api, const struct cs_api_req *req,
                          struct cs_api_resp *resp, int64_t *id)
{
    struct cs_network net = {0};
    const char *name = cs_api_query(req, "network");
    char err[CS_ERRLEN];

    *id = 0;
    if (name == NULL)
        return true;
    enum cs_rc rc = cs_store_network_get(api->store, name, &net, err, sizeof(err));
    *id = net.id;
    cs_network_clear(&net);
    if (rc == CS_ERR_USAGE || rc == CS_ERR_NOT_FOUND)
        cs_api_error(resp, 404, "no network '%.128s'", name);
    else if (rc != CS_OK)
        cs_api_fail(resp, rc, err);
    return rc == CS_OK;
}

static bool names_add(struct cs_api_names *cache, int64_t id, const char *name)
{
    int64_t *ids = realloc(cache->ids, (cache->count + 1) * sizeof(*ids));
    if (ids != NULL)
        cache->ids = ids;
    char **names = realloc(cache->names, (cache->count + 1) * sizeof(*names));
    if (names != NULL)
        cache->names = names;
    if (ids == NULL || names == NULL)
        return false;
    cache->ids[cache->count] = id;
    cache->names[cache->count] = name ? strdup(name) : NULL;
    cache->count++;
    return true;
}

static void add_network(const struct cs_network *net, void *arg)
{
    names_add(arg, net->id, net->name);
}

const char *cs_api_network_name(struct cs_api *api, struct cs_api_names *cache, int64_t id)
{
    char err[CS_ERRLEN];

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cache->count; i++)
            if (cache->ids[i] == id)
                return cache->names[i] ? cache->names[i] : "";
        /* One listing fills the cache for every network at once; an id
         * still missing after it is remembered as unknown. */
        if (pass == 0 &&
            cs_store_network_list(api->store, add_network, cache, err, sizeof(err)) != CS_OK)
            break;
    }
    names_add(cache, id, NULL);
    return "";
}

void cs_api_names_clear(struct cs_api_names *cache)
{
    for (size_t i = 0; i < cache->count; i++)
        free(cache->names[i]);
    free(cache->ids);
    free(cache->names);
    memset(cache, 0, sizeof(*cache));
}

cJSON *cs_api_job_json(const struct cs_job *job)
{
    cJSON *j = cJSON_CreateObject(), *progress, *counts;
    double percent = 0;

    if (j == NULL)
        return NULL;
    if (job->state == CS_JOB_DONE)
        percent = 100;
    else if (job->progress_total > 0)
        percent = (double)(job->progress_done * 1000 / job->progress_total) / 10.0;
    cJSON_AddNumberToObject(j, "id", (double)job->id);
    cJSON_AddStringToObject(j, "network", job->network_name ? job->network_name : "");
    cJSON_AddStringToObject(j, "kind", cs_job_kind_name(job->kind));
    cJSON_AddStringToObject(j, "state", cs_job_state_name(job->state));
    cJSON_AddItemToObject(j, "started_at", cs_api_time(job->started_at));
    cJSON_AddItemToObject(j, "finished_at", cs_api_time(job->finished_at));
    if ((progress = cJSON_AddObjectToObject(j, "progress")) != NULL) {
        cJSON_AddNumberToObject(progress, "done", (double)job->progress_done);
        cJSON_AddNumberToObject(progress, "total", (double)job->progress_total);
        cJSON_AddNumberToObject(progress, "percent", percent);
    }
    cJSON_AddNumberToObject(j, "endpoints_scanned", (double)job->endpoints_scanned);
    if ((counts = cJSON_AddObjectToObject(j, "counts")) != NULL)
        for (int s = 0; s < CS_STATUS_COUNT; s++)
            cJSON_AddNumberToObject(counts, cs_status_name((enum cs_status)s),
                                    (double)job->counts[s]);
    return j;
}
