/*
 * What the inventory holds, read through the API: endpoints (and setting
 * one monitored), certificates, findings and the outbox.
 */
#include "api.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { HISTORY_ROWS = 50 };

static cJSON *sni_json(const char *sni)
{
    return sni && sni[0] ? cJSON_CreateString(sni) : cJSON_CreateNull();
}

/* ---- endpoints --------------------------------------------------------------- */

/* What names an endpoint: id, network, ip, port, sni. */
static cJSON *endpoint_ref(struct cs_api *api, struct cs_api_names *names,
                           const struct cs_endpoint_row *ep)
{
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return NULL;
    cJSON_AddNumberToObject(j, "id", (double)ep->id);
    cJSON_AddStringToObject(j, "network", cs_api_network_name(api, names, ep->network_id));
    cJSON_AddStringToObject(j, "ip", ep->ip);
    cJSON_AddNumberToObject(j, "port", ep->port);
    cJSON_AddItemToObject(j, "sni", sni_json(ep->sni));
    return j;
}

/* ENDPOINT of docs/api.md. */
static cJSON *endpoint_json(struct cs_api *api, struct cs_api_names *names,
                            const struct cs_endpoint_row *ep, time_t now)
{
    struct cs_cert_row cert = {0};
    cJSON *j = endpoint_ref(api, names, ep), *c;
    char err[CS_ERRLEN];

    if (j == NULL)
        return NULL;
    cJSON_AddStringToObject(j, "status", cs_status_name(ep->last_status));
    cJSON_AddStringToObject(j, "reason", ep->last_reason ? ep->last_reason : "");
    cJSON_AddItemToObject(j, "first_seen", cs_api_time(ep->first_seen));
    cJSON_AddItemToObject(j, "last_seen", cs_api_time(ep->last_seen));
    cJSON_AddBoolToObject(j, "monitored", ep->monitored);
    if (ep->cert_sha256 == NULL ||
        cs_store_cert_get(api->store, ep->cert_sha256, &cert, err, sizeof(err)) != CS_OK) {
        cJSON_AddItemToObject(j, "cert_sha256",
                              ep->cert_sha256 ? cJSON_CreateString(ep->cert_sha256)
                                              : cJSON_CreateNull());
        cJSON_AddNullToObject(j, "cert");
        goto out;
    }
    cJSON_AddStringToObject(j, "cert_sha256", ep->cert_sha256);
    if ((c = cJSON_AddObjectToObject(j, "cert")) != NULL) {
        cJSON_AddStringToObject(c, "subject_cn", cert.subject_cn ? cert.subject_cn : "");
        cJSON_AddStringToObject(c, "not_after", cert.not_after);
        cJSON_AddNumberToObject(c, "days_left",
                                (double)cs_report_days_left(cert.not_after_epoch, now));
        cJSON_AddStringToObject(c, "issuer", cert.issuer ? cert.issuer : "");
    }
out:
    cs_cert_row_clear(&cert);
    return j;
}

/* Rows are valid during the callback only, and endpoint_json queries the
 * store again: rows are copied, then turned into JSON. */
struct ep_rows {
    struct cs_endpoint_row *rows;
    size_t count;
    bool nomem;
    int monitored;           /* -1: any, else only those with monitored == this */
    const char *cert_sha256; /* only those presenting this; NULL: any */
};

static void copy_endpoint(const struct cs_endpoint_row *ep, void *arg)
{
    struct ep_rows *r = arg;
    if ((r->monitored >= 0 && ep->monitored != (r->monitored == 1)) ||
        (r->cert_sha256 != NULL &&
         (ep->cert_sha256 == NULL || strcmp(ep->cert_sha256, r->cert_sha256) != 0)))
        return;
    struct cs_endpoint_row *grown = realloc(r->rows, (r->count + 1) * sizeof(*grown));
    if (grown == NULL) {
        r->nomem = true;
        return;
    }
    r->rows = grown;
    struct cs_endpoint_row *copy = &r->rows[r->count++];
    *copy = *ep;
    copy->sni = strdup(ep->sni ? ep->sni : "");
    copy->last_reason = strdup(ep->last_reason ? ep->last_reason : "");
    copy->cert_sha256 = ep->cert_sha256 ? strdup(ep->cert_sha256) : NULL;
    r->nomem |= copy->sni == NULL || copy->last_reason == NULL;
}

static void ep_rows_clear(struct ep_rows *r)
{
    for (size_t i = 0; i < r->count; i++)
        cs_endpoint_row_clear(&r->rows[i]);
    free(r->rows);
}

void cs_api_endpoints_list(struct cs_api *api, const struct cs_api_req *req,
                           struct cs_api_resp *resp)
{
    struct cs_endpoint_filter filter = {0};
    struct ep_rows rows = {.monitored = -1};
    struct cs_api_names names = {0};
    const char *status = cs_api_query(req, "status");
    bool monitored = false, changed = false;
    enum cs_status st;
    char err[CS_ERRLEN];
    time_t now = time(NULL);

    if (!cs_api_query_check(req, resp, "network,status,monitored,changed") ||
        !cs_api_query_bool(req, resp, "monitored", &monitored) ||
        !cs_api_query_bool(req, resp, "changed", &changed) ||
        !cs_api_network_param(api, req, resp, &filter.network_id))
        goto out;
    if (status != NULL) {
        if (!cs_status_parse(status, &st)) {
            cs_api_error(resp, 400, "invalid status '%.64s'", status);
            goto out;
        }
        filter.status = (int)st + 1;
    }
    if (cs_api_query(req, "monitored") != NULL)
        rows.monitored = monitored;
    filter.monitored_only = rows.monitored == 1;
    filter.changed_only = changed;
    enum cs_rc rc =
        cs_store_endpoint_list(api->store, &filter, copy_endpoint, &rows, err, sizeof(err));
    if (rc != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    cJSON *root = rows.nomem ? NULL : cJSON_CreateObject();
    cJSON *array = root ? cJSON_AddArrayToObject(root, "endpoints") : NULL;
    for (size_t i = 0; array != NULL && i < rows.count; i++)
        cJSON_AddItemToArray(array, endpoint_json(api, &names, &rows.rows[i], now));
    cs_api_json(resp, 200, root);
out:
    ep_rows_clear(&rows);
    cs_api_names_clear(&names);
}

/* The endpoint whose id is the route's argument; false with 404 answered. */
static bool load_endpoint(struct cs_api *api, const struct cs_api_req *req,
                          struct cs_api_resp *resp, struct cs_endpoint_row *ep)
{
    char err[CS_ERRLEN], *end;
    long long id = strtoll(req->arg, &end, 10);

    if (req->arg[0] < '0' || req->arg[0] > '9' || *end != '\0' || id <= 0) {
        cs_api_error(resp, 404, "no endpoint '%.64s': endpoint ids are numbers", req->arg);
        return false;
    }
    enum cs_rc rc = cs_store_endpoint_get_by_id(api->store, id, ep, err, sizeof(err));
    if (rc == CS_ERR_NOT_FOUND)
        cs_api_error(resp, 404, "no endpoint %lld", id);
    else if (rc != CS_OK)
        cs_api_fail(resp, rc, err);
    return rc == CS_OK;
}

static void add_history(const struct cs_history_row *h, void *arg)
{
    cJSON *row = cJSON_CreateObject();
    if (row == NULL)
        return;
    cJSON_AddItemToObject(row, "probed_at", cs_api_time(h->probed_at));
    cJSON_AddItemToObject(row, "job_id",
                          h->job_id ? cJSON_CreateNumber((double)h->job_id) : cJSON_CreateNull());
    cJSON_AddStringToObject(row, "status", cs_status_name(h->status));
    cJSON_AddStringToObject(row, "reason", h->reason ? h->reason : "");
    cJSON_AddItemToObject(row, "cert_sha256",
                          h->cert_sha256 ? cJSON_CreateString(h->cert_sha256) : cJSON_CreateNull());
    cJSON_AddItemToArray(arg, row);
}

void cs_api_endpoint_get(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp)
{
    struct cs_endpoint_row ep = {0};
    struct cs_api_names names = {0};
    char err[CS_ERRLEN];

    if (!cs_api_query_check(req, resp, "") || !load_endpoint(api, req, resp, &ep))
        goto out;
    cJSON *j = endpoint_json(api, &names, &ep, time(NULL));
    cJSON *history = j ? cJSON_AddArrayToObject(j, "history") : NULL;
    enum cs_rc rc = history ? cs_store_history_list(api->store, ep.id, HISTORY_ROWS, add_history,
                                                    history, err, sizeof(err))
                            : CS_ERR_NOMEM;
    if (rc != CS_OK) {
        cJSON_Delete(j);
        cs_api_fail(resp, rc, rc == CS_ERR_NOMEM ? "out of memory" : err);
        goto out;
    }
    cs_api_json(resp, 200, j);
out:
    cs_endpoint_row_clear(&ep);
    cs_api_names_clear(&names);
}

void cs_api_endpoint_patch(struct cs_api *api, const struct cs_api_req *req,
                           struct cs_api_resp *resp)
{
    struct cs_endpoint_row ep = {0};
    struct cs_api_names names = {0};
    cJSON *body = NULL;
    const cJSON *item;
    char err[CS_ERRLEN];

    if (!cs_api_query_check(req, resp, "") || (body = cs_api_body(req, resp)) == NULL)
        goto out;
    cJSON_ArrayForEach(item, body)
    {
        if (strcmp(item->string, "monitored") != 0) {
            cs_api_error(resp, 400, "unknown field '%.64s'; only monitored can be changed",
                         item->string);
            goto out;
        }
        if (!cJSON_IsBool(item)) {
            cs_api_error(resp, 400, "invalid monitored: expected true or false");
            goto out;
        }
    }
    if (!load_endpoint(api, req, resp, &ep))
        goto out;
    if ((item = cJSON_GetObjectItemCaseSensitive(body, "monitored")) != NULL) {
        ep.monitored = cJSON_IsTrue(item);
        enum cs_rc rc = cs_store_endpoint_put(api->store, &ep, err, sizeof(err));
        if (rc != CS_OK) {
            cs_api_fail(resp, rc, err);
            goto out;
        }
    }
    cs_api_json(resp, 200, endpoint_json(api, &names, &ep, time(NULL)));
out:
    cJSON_Delete(body);
    cs_endpoint_row_clear(&ep);
    cs_api_names_clear(&names);
}

/* ---- certificates ------------------------------------------------------------ */

/* CERT of docs/api.md, without its endpoints. */
static cJSON *cert_json(const struct cs_cert_row *c, time_t now)
{
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return NULL;
    cJSON_AddStringToObject(j, "sha256", c->sha256);
    cJSON_AddStringToObject(j, "subject", c->subject ? c->subject : "");
    cJSON_AddItemToObject(j, "subject_cn",
                          c->subject_cn ? cJSON_CreateString(c->subject_cn) : cJSON_CreateNull());
    cJSON_AddStringToObject(j, "issuer", c->issuer ? c->issuer : "");
    cJSON_AddStringToObject(j, "serial", c->serial ? c->serial : "");
    cJSON_AddStringToObject(j, "not_before", c->not_before);
    cJSON_AddStringToObject(j, "not_after", c->not_after);
    cJSON_AddNumberToObject(j, "days_left", (double)cs_report_days_left(c->not_after_epoch, now));
    cJSON *sans = c->sans_json ? cJSON_Parse(c->sans_json) : NULL;
    cJSON_AddItemToObject(j, "sans", sans ? sans : cJSON_CreateArray());
    cJSON_AddStringToObject(j, "key_type", c->key_type ? c->key_type : "");
    cJSON_AddNumberToObject(j, "key_bits", c->key_bits);
    cJSON_AddStringToObject(j, "sig_alg", c->sig_alg ? c->sig_alg : "");
    cJSON_AddBoolToObject(j, "self_signed", c->self_signed);
    cJSON_AddArrayToObject(j, "endpoints");
    return j;
}

/* The certificate listing comes as (certificate, endpoint) pairs, soonest
 * expiry first; certificates are grouped as they come. Network names are
 * filled afterwards: the callback must not query the store. */
struct cert_ctx {
    cJSON *array;
    cJSON *last; /* the CERT of the previous pair */
    time_t now;
    struct cs_endpoint_row *eps; /* id and network of each endpoint reference */
    cJSON **refs;
    size_t count;
};

static void add_cert(const struct cs_cert_row *c, const struct cs_endpoint_row *ep, void *arg)
{
    struct cert_ctx *ctx = arg;
    cJSON *ref = cJSON_CreateObject();

    if (ctx->last == NULL ||
        strcmp(cJSON_GetObjectItemCaseSensitive(ctx->last, "sha256")->valuestring, c->sha256)) {
        cJSON *seen;
        ctx->last = NULL;
        cJSON_ArrayForEach(seen, ctx->array)
        {
            if (strcmp(cJSON_GetObjectItemCaseSensitive(seen, "sha256")->valuestring, c->sha256) ==
                0)
                ctx->last = seen;
        }
        if (ctx->last == NULL && (ctx->last = cert_json(c, ctx->now)) != NULL)
            cJSON_AddItemToArray(ctx->array, ctx->last);
    }
    struct cs_endpoint_row *eps = realloc(ctx->eps, (ctx->count + 1) * sizeof(*eps));
    cJSON **refs = eps ? realloc(ctx->refs, (ctx->count + 1) * sizeof(*refs)) : NULL;
    if (eps != NULL)
        ctx->eps = eps;
    if (refs != NULL)
        ctx->refs = refs;
    if (ref == NULL || ctx->last == NULL || eps == NULL || refs == NULL) {
        cJSON_Delete(ref);
        return;
    }
    cJSON_AddNumberToObject(ref, "id", (double)ep->id);
    cJSON_AddStringToObject(ref, "ip", ep->ip);
    cJSON_AddNumberToObject(ref, "port", ep->port);
    cJSON_AddItemToObject(ref, "sni", sni_json(ep->sni));
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(ctx->last, "endpoints"), ref);
    ctx->eps[ctx->count] = (struct cs_endpoint_row){.id = ep->id, .network_id = ep->network_id};
    ctx->refs[ctx->count++] = ref;
}

void cs_api_certificates_list(struct cs_api *api, const struct cs_api_req *req,
                              struct cs_api_resp *resp)
{
    struct cs_cert_filter filter = {0};
    struct cert_ctx ctx = {.now = time(NULL)};
    struct cs_api_names names = {0};
    unsigned days = 0;
    char err[CS_ERRLEN];
    cJSON *root = NULL;

    if (!cs_api_query_check(req, resp, "expiring_days,issuer,network") ||
        !cs_api_query_uint(req, resp, "expiring_days", 36500, &days) ||
        !cs_api_network_param(api, req, resp, &filter.network_id))
        goto out;
    if (cs_api_query(req, "expiring_days") != NULL)
        filter.expires_before = ctx.now + (time_t)days * 86400;
    filter.issuer = cs_api_query(req, "issuer");
    if ((root = cJSON_CreateObject()) == NULL ||
        (ctx.array = cJSON_AddArrayToObject(root, "certificates")) == NULL) {
        cs_api_error(resp, 500, "out of memory");
        goto out;
    }
    enum cs_rc rc = cs_store_cert_list(api->store, &filter, add_cert, &ctx, err, sizeof(err));
    if (rc != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    for (size_t i = 0; i < ctx.count; i++)
        cJSON_AddStringToObject(ctx.refs[i], "network",
                                cs_api_network_name(api, &names, ctx.eps[i].network_id));
    cs_api_json(resp, 200, root);
    root = NULL;
out:
    cJSON_Delete(root);
    free(ctx.eps);
    free(ctx.refs);
    cs_api_names_clear(&names);
}

void cs_api_certificate_get(struct cs_api *api, const struct cs_api_req *req,
                            struct cs_api_resp *resp)
{
    struct cs_cert_row cert = {0};
    struct ep_rows rows = {.monitored = -1, .cert_sha256 = req->arg};
    struct cs_endpoint_filter filter = {0};
    struct cs_api_names names = {0};
    char err[CS_ERRLEN];
    enum cs_rc rc;

    if (!cs_api_query_check(req, resp, ""))
        goto out;
    rc = cs_store_cert_get(api->store, req->arg, &cert, err, sizeof(err));
    if (rc == CS_ERR_NOT_FOUND || rc == CS_ERR_USAGE) {
        cs_api_error(resp, 404, "no certificate '%.80s'", req->arg);
        goto out;
    }
    if (rc != CS_OK || (rc = cs_store_endpoint_list(api->store, &filter, copy_endpoint, &rows, err,
                                                    sizeof(err))) != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    cJSON *j = cert_json(&cert, time(NULL));
    cJSON *eps = j ? cJSON_GetObjectItemCaseSensitive(j, "endpoints") : NULL;
    for (size_t i = 0; eps != NULL && i < rows.count; i++)
        cJSON_AddItemToArray(eps, endpoint_ref(api, &names, &rows.rows[i]));
    cs_api_json(resp, 200, j);
out:
    cs_cert_row_clear(&cert);
    ep_rows_clear(&rows);
    cs_api_names_clear(&names);
}

/* ---- findings ------------------------------------------------------------------ */

static void add_finding(const struct cs_finding_row *f, void *arg)
{
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return;
    cJSON_AddNumberToObject(j, "id", (double)f->id);
    cJSON_AddNumberToObject(j, "endpoint_id", (double)f->endpoint_id);
    cJSON_AddStringToObject(j, "network", f->network_name ? f->network_name : "");
    cJSON_AddStringToObject(j, "ip", f->ip);
    cJSON_AddNumberToObject(j, "port", f->port);
    cJSON_AddItemToObject(j, "sni", sni_json(f->sni));
    cJSON_AddStringToObject(j, "check", f->check_id ? f->check_id : "");
    cJSON_AddStringToObject(j, "severity", cs_severity_name(f->severity));
    cJSON_AddStringToObject(j, "title", f->title ? f->title : "");
    cJSON_AddStringToObject(j, "detail", f->detail ? f->detail : "");
    cJSON_AddItemToObject(j, "cve", f->cve ? cJSON_CreateString(f->cve) : cJSON_CreateNull());
    cJSON_AddItemToObject(j, "first_seen", cs_api_time(f->first_seen));
    cJSON_AddItemToObject(j, "last_seen", cs_api_time(f->last_seen));
    cJSON_AddItemToObject(j, "fixed_at", cs_api_time(f->fixed_at));
    cJSON_AddItemToArray(arg, j);
}

void cs_api_findings_list(struct cs_api *api, const struct cs_api_req *req,
                          struct cs_api_resp *resp)
{
    struct cs_finding_filter filter = {.min_severity = CS_SEVERITY_INFO};
    const char *severity = cs_api_query(req, "severity");
    char err[CS_ERRLEN];

    if (!cs_api_query_check(req, resp, "network,severity,all") ||
        !cs_api_query_bool(req, resp, "all", &filter.include_fixed) ||
        !cs_api_network_param(api, req, resp, &filter.network_id))
        return;
    if (severity != NULL && !cs_severity_parse(severity, &filter.min_severity)) {
        cs_api_error(resp, 400,
                     "invalid severity '%.64s': expected critical, high, medium, low or info",
                     severity);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *array = root ? cJSON_AddArrayToObject(root, "findings") : NULL;
    enum cs_rc rc =
        array ? cs_store_finding_list(api->store, &filter, add_finding, array, err, sizeof(err))
              : CS_ERR_NOMEM;
    if (rc != CS_OK) {
        cJSON_Delete(root);
        cs_api_fail(resp, rc, rc == CS_ERR_NOMEM ? "out of memory" : err);
        return;
    }
    cs_api_json(resp, 200, root);
}

/* ---- outbox ---------------------------------------------------------------------- */

struct outbox_ctx {
    cJSON *array;
    bool all;
};

/* The fields of `certsweep outbox --format jsonl`, plus the message's ids
 * and times. */
static void add_message(const struct cs_outbox_row *row, void *arg)
{
    struct outbox_ctx *ctx = arg;
    if (row->state == CS_OUTBOX_SENT && !ctx->all)
        return;
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return;
    cJSON *payload = cJSON_Parse(row->payload);
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(payload, "subject");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(payload, "msg");
    cJSON_AddNumberToObject(j, "id", (double)row->id);
    cJSON_AddStringToObject(j, "state", cs_outbox_state_name(row->state));
    cJSON_AddStringToObject(j, "channel", row->channel ? row->channel : "");
    cJSON_AddStringToObject(j, "kind", row->kind ? row->kind : "");
    cJSON_AddNumberToObject(j, "attempts", row->attempts);
    cJSON_AddItemToObject(j, "created_at", cs_api_time(row->created_at));
    cJSON_AddItemToObject(j, "next_attempt_at",
                          row->state == CS_OUTBOX_PENDING ? cs_api_time(row->next_attempt_at)
                                                          : cJSON_CreateNull());
    cJSON_AddItemToObject(j, "last_attempt_at", cs_api_time(row->last_attempt_at));
    cJSON_AddItemToObject(j, "sent_at", cs_api_time(row->sent_at));
    cJSON_AddStringToObject(j, "summary",
                            cJSON_IsString(subject) ? subject->valuestring
                            : cJSON_IsString(msg)   ? msg->valuestring
                                                    : "");
    cJSON_AddItemToObject(j, "last_error",
                          row->last_error && row->last_error[0]
                              ? cJSON_CreateString(row->last_error)
                              : cJSON_CreateNull());
    cJSON_AddItemToObject(
        j, "job_id", row->job_id ? cJSON_CreateNumber((double)row->job_id) : cJSON_CreateNull());
    cJSON_AddStringToObject(j, "idem_key", row->idem_key ? row->idem_key : "");
    cJSON_Delete(payload);
    cJSON_AddItemToArray(ctx->array, j);
}

void cs_api_outbox_list(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp)
{
    struct cs_outbox_filter filter = {0};
    struct outbox_ctx ctx = {0};
    bool failed = false;
    char err[CS_ERRLEN];

    if (!cs_api_query_check(req, resp, "failed,all") ||
        !cs_api_query_bool(req, resp, "failed", &failed) ||
        !cs_api_query_bool(req, resp, "all", &ctx.all))
        return;
    if (failed)
        filter.state = CS_OUTBOX_FAILED + 1;
    cJSON *root = cJSON_CreateObject();
    ctx.array = root ? cJSON_AddArrayToObject(root, "messages") : NULL;
    enum cs_rc rc =
        ctx.array ? cs_store_outbox_list(api->store, &filter, add_message, &ctx, err, sizeof(err))
                  : CS_ERR_NOMEM;
    if (rc != CS_OK) {
        cJSON_Delete(root);
        cs_api_fail(resp, rc, rc == CS_ERR_NOMEM ? "out of memory" : err);
        return;
    }
    cs_api_json(resp, 200, root);
}
