/* /api/v1/jobs: the jobs of every network, one job, and its report. */
#define _GNU_SOURCE /* open_memstream */
#include "api.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_LIMIT = 50, MAX_LIMIT = 10000 };

struct list_ctx {
    cJSON *array;
    int kind; /* an enum cs_job_kind, -1 for any */
    unsigned limit, count;
};

static void add_job(const struct cs_job *job, void *arg)
{
    struct list_ctx *ctx = arg;
    if ((ctx->kind >= 0 && (int)job->kind != ctx->kind) || ctx->count >= ctx->limit)
        return;
    cJSON_AddItemToArray(ctx->array, cs_api_job_json(job));
    ctx->count++;
}

void cs_api_jobs_list(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp)
{
    struct list_ctx ctx = {.kind = -1, .limit = DEFAULT_LIMIT};
    const char *kind = cs_api_query(req, "kind");
    enum cs_job_kind k;
    int64_t network_id;
    char err[CS_ERRLEN];

    if (!cs_api_query_check(req, resp, "network,kind,limit") ||
        !cs_api_query_uint(req, resp, "limit", MAX_LIMIT, &ctx.limit) ||
        !cs_api_network_param(api, req, resp, &network_id))
        return;
    if (kind != NULL) {
        if (!cs_job_kind_parse(kind, &k)) {
            cs_api_error(resp, 400,
                         "invalid kind '%.64s': expected discovery, monitoring or vulnscan", kind);
            return;
        }
        ctx.kind = (int)k;
    }
    cJSON *root = cJSON_CreateObject();
    if (root == NULL || (ctx.array = cJSON_AddArrayToObject(root, "jobs")) == NULL) {
        cs_api_json(resp, 500, NULL);
        cJSON_Delete(root);
        return;
    }
    enum cs_rc rc = cs_store_job_list(api->store, network_id, add_job, &ctx, err, sizeof(err));
    if (rc != CS_OK) {
        cJSON_Delete(root);
        cs_api_fail(resp, rc, err);
        return;
    }
    cs_api_json(resp, 200, root);
}

/* The job whose id is the route's argument; false with 404 answered. */
static bool load_job(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp,
                     struct cs_job *job)
{
    char err[CS_ERRLEN], *end;
    long long id = strtoll(req->arg, &end, 10);

    if (req->arg[0] < '0' || req->arg[0] > '9' || *end != '\0' || id <= 0) {
        cs_api_error(resp, 404, "no job '%.64s': job ids are numbers", req->arg);
        return false;
    }
    enum cs_rc rc = cs_store_job_get(api->store, id, job, err, sizeof(err));
    if (rc == CS_ERR_NOT_FOUND || rc == CS_ERR_USAGE)
        cs_api_error(resp, 404, "no job %lld", id);
    else if (rc != CS_OK)
        cs_api_fail(resp, rc, err);
    return rc == CS_OK;
}

void cs_api_job_get(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp)
{
    struct cs_job job = {0};

    if (cs_api_query_check(req, resp, "") && load_job(api, req, resp, &job))
        cs_api_json(resp, 200, cs_api_job_json(&job));
    cs_job_clear(&job);
}

void cs_api_job_report(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp)
{
    struct cs_job job = {0};
    enum cs_report_format format = CS_REPORT_JSON;
    const char *name = cs_api_query(req, "format");
    cJSON *report = NULL;
    char err[CS_ERRLEN], *text = NULL;
    size_t len = 0;
    FILE *f = NULL;

    if (!cs_api_query_check(req, resp, "format"))
        goto out;
    if (name != NULL && !cs_report_format_parse(name, &format)) {
        cs_api_error(resp, 400, "invalid format '%.64s': expected json, text or html", name);
        goto out;
    }
    if (!load_job(api, req, resp, &job))
        goto out;
    if (job.report_json == NULL) {
        cs_api_error(resp, 404, "job %lld has no report (it is %s)", (long long)job.id,
                     cs_job_state_name(job.state));
        goto out;
    }
    if (format == CS_REPORT_JSON) {
        cs_api_text(resp, 200, "application/json", job.report_json, strlen(job.report_json));
        goto out;
    }
    if ((report = cJSON_Parse(job.report_json)) == NULL) {
        cs_api_error(resp, 500, "the stored report of job %lld is not valid JSON",
                     (long long)job.id);
        goto out;
    }
    if ((f = open_memstream(&text, &len)) == NULL) {
        cs_api_error(resp, 500, "out of memory");
        goto out;
    }
    enum cs_rc rc = cs_report_render(report, format, f, err, sizeof(err));
    fclose(f);
    if (rc != CS_OK)
        cs_api_fail(resp, rc, err);
    else
        cs_api_text(resp, 200,
                    format == CS_REPORT_HTML ? "text/html; charset=utf-8"
                                             : "text/plain; charset=utf-8",
                    text, len);
out:
    free(text);
    cJSON_Delete(report);
    cs_job_clear(&job);
}
