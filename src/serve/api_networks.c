/*
 * /api/v1/networks: list, create, read, change and remove networks, and
 * start a job of one now. Values are checked as `network add` checks them
 * (cs_network_validate), schedules and quiet hours with schedule.h.
 */
#include "api.h"
#include "network.h"
#include "schedule.h"
#include "scheduler.h"
#include "serve.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    START_WAIT_MS = 10000, /* how long POST .../jobs waits for the job's row */
    START_POLL_MS = 50,
};

static const char *const kind_keys[] = {"discovery", "monitoring", "vulnscan"};

/* NETWORK of docs/api.md. */
static cJSON *network_json(struct cs_api *api, const struct cs_network *net)
{
    cJSON *j = cJSON_CreateObject(), *schedule, *last, *next;
    time_t now = time(NULL);
    char err[CS_ERRLEN];

    if (j == NULL)
        return NULL;
    cJSON_AddStringToObject(j, "name", net->name);
    cJSON_AddStringToObject(j, "description", net->description ? net->description : "");
    cJSON_AddBoolToObject(j, "enabled", net->enabled);
    cJSON_AddItemToObject(j, "ranges", cs_api_words(net->ranges));
    cJSON_AddItemToObject(j, "excludes", cs_api_words(net->excludes));
    cJSON_AddStringToObject(j, "ports", net->ports ? net->ports : "443");
    cJSON_AddItemToObject(j, "snis", cs_api_words(net->snis));
    cJSON_AddItemToObject(j, "alert_to", cs_api_words(net->alert_to));
    cJSON_AddItemToObject(j, "webhooks", cs_api_words(net->webhooks));
    cJSON_AddItemToObject(j, "tickets", cs_api_words(net->tickets));
    cJSON_AddNumberToObject(j, "connect_timeout_ms", net->connect_timeout_ms);
    cJSON_AddNumberToObject(j, "download_timeout_ms", net->download_timeout_ms);
    cJSON_AddNumberToObject(j, "expiry_days", net->expiry_days);
    cJSON_AddNumberToObject(j, "max_email_rows", net->max_email_rows);
    cJSON_AddBoolToObject(j, "auto_monitor", net->auto_monitor);
    cJSON_AddBoolToObject(j, "revocation", net->revocation);
    if ((schedule = cJSON_AddObjectToObject(j, "schedule")) != NULL) {
        for (int k = 0; k < 3; k++)
            cJSON_AddStringToObject(schedule, kind_keys[k],
                                    cs_sched_network_schedule(net, (enum cs_job_kind)k));
        cJSON_AddStringToObject(schedule, "quiet_hours", net->quiet_hours ? net->quiet_hours : "");
    }
    last = cJSON_AddObjectToObject(j, "last_jobs");
    next = cJSON_AddObjectToObject(j, "next_due");
    for (int k = 0; last != NULL && next != NULL && k < 3; k++) {
        struct cs_job job = {0};
        enum cs_rc rc =
            cs_store_job_latest(api->store, net->id, (enum cs_job_kind)k, &job, err, sizeof(err));
        if (rc == CS_OK && job.network_name == NULL)
            job.network_name = strdup(net->name);
        cJSON_AddItemToObject(last, kind_keys[k],
                              rc == CS_OK ? cs_api_job_json(&job) : cJSON_CreateNull());
        time_t due = cs_sched_next_due(net, (enum cs_job_kind)k, rc == CS_OK ? &job : NULL,
                                       api->shared->started, now);
        cJSON_AddItemToObject(next, kind_keys[k],
                              due == (time_t)-1 ? cJSON_CreateNull() : cs_api_time(due));
        if (rc == CS_OK)
            cs_job_clear(&job);
    }
    return j;
}

struct list_ctx {
    struct cs_api *api;
    cJSON *array;
    struct cs_network *nets;
    size_t count;
    bool nomem;
};

/* Rows are valid during the callback only, and network_json queries the
 * store again: copy the names first, and read each network afterwards. */
static void collect(const struct cs_network *net, void *arg)
{
    struct list_ctx *ctx = arg;
    struct cs_network *grown = realloc(ctx->nets, (ctx->count + 1) * sizeof(*grown));
    if (grown == NULL || (grown[ctx->count].name = strdup(net->name)) == NULL) {
        ctx->nomem = true;
        if (grown != NULL)
            ctx->nets = grown;
        return;
    }
    ctx->nets = grown;
    ctx->count++;
}

void cs_api_networks_list(struct cs_api *api, const struct cs_api_req *req,
                          struct cs_api_resp *resp)
{
    struct list_ctx ctx = {.api = api};
    cJSON *root = NULL;
    char err[CS_ERRLEN];
    enum cs_rc rc;

    if (!cs_api_query_check(req, resp, ""))
        return;
    if ((rc = cs_store_network_list(api->store, collect, &ctx, err, sizeof(err))) != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    root = cJSON_CreateObject();
    cJSON *array = root ? cJSON_AddArrayToObject(root, "networks") : NULL;
    for (size_t i = 0; array != NULL && i < ctx.count; i++) {
        struct cs_network net = {0};
        if (cs_store_network_get(api->store, ctx.nets[i].name, &net, err, sizeof(err)) == CS_OK)
            cJSON_AddItemToArray(array, network_json(api, &net));
        cs_network_clear(&net);
    }
    cs_api_json(resp, 200, ctx.nomem ? (cJSON_Delete(root), NULL) : root);
out:
    for (size_t i = 0; i < ctx.count; i++)
        free(ctx.nets[i].name);
    free(ctx.nets);
}

/* Reads the network named by the route; false with 404 or 500 answered. */
static bool load_network(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp,
                         struct cs_network *net)
{
    char err[CS_ERRLEN];
    enum cs_rc rc = cs_store_network_get(api->store, req->arg, net, err, sizeof(err));

    if (rc == CS_ERR_USAGE || rc == CS_ERR_NOT_FOUND)
        cs_api_error(resp, 404, "no network '%.128s'", req->arg);
    else if (rc != CS_OK)
        cs_api_fail(resp, rc, err);
    return rc == CS_OK;
}

void cs_api_network_get(struct cs_api *api, const struct cs_api_req *req, struct cs_api_resp *resp)
{
    struct cs_network net = {0};

    if (cs_api_query_check(req, resp, "") && load_network(api, req, resp, &net))
        cs_api_json(resp, 200, network_json(api, &net));
    cs_network_clear(&net);
}

/* ---- reading a NETWORK from a body ------------------------------------------ */

enum field_kind { F_TEXT, F_WORDS, F_UINT, F_BOOL };

static const struct field {
    const char *key;
    enum field_kind kind;
    size_t offset;
} fields[] = {
    {"description", F_TEXT, offsetof(struct cs_network, description)},
    {"ranges", F_WORDS, offsetof(struct cs_network, ranges)},
    {"excludes", F_WORDS, offsetof(struct cs_network, excludes)},
    {"ports", F_TEXT, offsetof(struct cs_network, ports)},
    {"snis", F_WORDS, offsetof(struct cs_network, snis)},
    {"alert_to", F_WORDS, offsetof(struct cs_network, alert_to)},
    {"webhooks", F_WORDS, offsetof(struct cs_network, webhooks)},
    {"tickets", F_WORDS, offsetof(struct cs_network, tickets)},
    {"connect_timeout_ms", F_UINT, offsetof(struct cs_network, connect_timeout_ms)},
    {"download_timeout_ms", F_UINT, offsetof(struct cs_network, download_timeout_ms)},
    {"expiry_days", F_UINT, offsetof(struct cs_network, expiry_days)},
    {"max_email_rows", F_UINT, offsetof(struct cs_network, max_email_rows)},
    {"auto_monitor", F_BOOL, offsetof(struct cs_network, auto_monitor)},
    {"revocation", F_BOOL, offsetof(struct cs_network, revocation)},
    {"enabled", F_BOOL, offsetof(struct cs_network, enabled)},
};

static void replace(char **field, char *value)
{
    free(*field);
    *field = value;
}

/* An array of strings (or one string of space-separated words) as the
 * space-separated text the store keeps; NULL with why set when bad. */
static char *words_of(const cJSON *v, char *why, size_t whylen)
{
    size_t len = 1;
    const cJSON *item;
    char *text;

    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (!cJSON_IsArray(v)) {
        snprintf(why, whylen, "expected an array of strings");
        return NULL;
    }
    cJSON_ArrayForEach(item, v)
    {
        if (!cJSON_IsString(item) || item->valuestring[0] == '\0' ||
            strpbrk(item->valuestring, " \t\r\n")) {
            snprintf(why, whylen, "expected an array of strings without spaces");
            return NULL;
        }
        len += strlen(item->valuestring) + 1;
    }
    if ((text = calloc(1, len)) == NULL) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    cJSON_ArrayForEach(item, v)
    {
        if (text[0] != '\0')
            strcat(text, " ");
        strcat(text, item->valuestring);
    }
    return text;
}

/* The schedule object: {"discovery": "1d", "monitoring": "1h",
 * "vulnscan": "", "quiet_hours": "..."}, each checked with schedule.h. */
static bool apply_schedule(struct cs_network *net, const cJSON *v, struct cs_api_resp *resp)
{
    char *const *slots[] = {&net->discover_every, &net->monitor_every, &net->vulnscan_every,
                            &net->quiet_hours};
    static const char *const keys[] = {"discovery", "monitoring", "vulnscan", "quiet_hours"};
    char why[CS_ERRLEN];
    const cJSON *item;

    if (!cJSON_IsObject(v)) {
        cs_api_error(resp, 400,
                     "invalid schedule: expected an object with discovery, "
                     "monitoring, vulnscan and quiet_hours");
        return false;
    }
    cJSON_ArrayForEach(item, v)
    {
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(item->string, keys[i]) == 0)
                k = i;
        if (k < 0) {
            cs_api_error(resp, 400,
                         "unknown field 'schedule.%.64s'; expected discovery, monitoring, "
                         "vulnscan or quiet_hours",
                         item->string);
            return false;
        }
        if (!cJSON_IsString(item)) {
            cs_api_error(resp, 400, "invalid schedule.%s: expected a string", keys[k]);
            return false;
        }
        enum cs_rc rc;
        if (k < 3) {
            struct cs_schedule *sched = NULL;
            rc = cs_schedule_parse(item->valuestring, &sched, why, sizeof(why));
            cs_schedule_free(&sched);
        } else {
            struct cs_quiet *quiet = NULL;
            rc = cs_quiet_parse(item->valuestring, &quiet, why, sizeof(why));
            cs_quiet_free(&quiet);
        }
        if (rc != CS_OK) {
            cs_api_error(resp, 400, "invalid schedule.%s '%.100s': %s", keys[k], item->valuestring,
                         why);
            return false;
        }
        char *copy = strdup(item->valuestring);
        if (copy == NULL) {
            cs_api_error(resp, 500, "out of memory");
            return false;
        }
        replace((char **)slots[k], copy);
    }
    return true;
}

/* Every webhook and ticket name must be a section of the configuration, as
 * `network add --webhook/--ticket` requires. */
static bool check_channels(struct cs_api *api, const char *names, bool is_webhook,
                           struct cs_api_resp *resp)
{
    char *list = strdup(names ? names : ""), *save = NULL;
    bool ok = list != NULL;

    pthread_mutex_lock(&api->shared->config_lock);
    for (char *n = list ? strtok_r(list, " ", &save) : NULL; n && ok;
         n = strtok_r(NULL, " ", &save))
        if (cs_config_remote(&api->shared->config, is_webhook, n) == NULL) {
            cs_api_error(resp, 400, "invalid %s: no [%s.%.64s] section in the configuration",
                         is_webhook ? "webhooks" : "tickets", is_webhook ? "webhook" : "ticketing",
                         n);
            ok = false;
        }
    pthread_mutex_unlock(&api->shared->config_lock);
    if (list == NULL)
        cs_api_error(resp, 500, "out of memory");
    free(list);
    return ok;
}

/* Applies the fields of body to net; false with a 400 answered. */
static bool apply_body(struct cs_api *api, struct cs_network *net, const cJSON *body, bool creating,
                       struct cs_api_resp *resp)
{
    char why[CS_ERRLEN];
    const cJSON *item;
    bool webhooks = false, tickets = false;

    cJSON_ArrayForEach(item, body)
    {
        const struct field *f = NULL;
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (strcmp(item->string, fields[i].key) == 0)
                f = &fields[i];
        if (strcmp(item->string, "name") == 0) {
            if (!cJSON_IsString(item) || (!creating && strcmp(item->valuestring, net->name) != 0)) {
                cs_api_error(resp, 400,
                             creating ? "invalid name: expected a string"
                                      : "a network cannot be renamed");
                return false;
            }
            continue;
        }
        if (strcmp(item->string, "last_jobs") == 0 || strcmp(item->string, "next_due") == 0)
            continue;
        if (strcmp(item->string, "schedule") == 0) {
            if (!apply_schedule(net, item, resp))
                return false;
            continue;
        }
        if (f == NULL) {
            cs_api_error(resp, 400, "unknown field '%.64s'", item->string);
            return false;
        }
        void *slot = (char *)net + f->offset;
        webhooks |= f->offset == offsetof(struct cs_network, webhooks);
        tickets |= f->offset == offsetof(struct cs_network, tickets);
        switch (f->kind) {
        case F_TEXT:
            if (!cJSON_IsString(item)) {
                cs_api_error(resp, 400, "invalid %s: expected a string", f->key);
                return false;
            }
            replace(slot, strdup(item->valuestring));
            break;
        case F_WORDS: {
            char *text = words_of(item, why, sizeof(why));
            if (text == NULL) {
                cs_api_error(resp, 400, "invalid %s: %s", f->key, why);
                return false;
            }
            replace(slot, text);
            break;
        }
        case F_UINT:
            if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 100000000 ||
                item->valuedouble != (double)(unsigned)item->valuedouble) {
                cs_api_error(resp, 400, "invalid %s: expected a whole number", f->key);
                return false;
            }
            *(unsigned *)slot = (unsigned)item->valuedouble;
            break;
        case F_BOOL:
            if (!cJSON_IsBool(item)) {
                cs_api_error(resp, 400, "invalid %s: expected true or false", f->key);
                return false;
            }
            *(bool *)slot = cJSON_IsTrue(item);
            break;
        }
    }
    /* As `network edit`: only the lists given are checked against the
     * configuration, so that a section gone since does not block edits. */
    if ((webhooks && !check_channels(api, net->webhooks, true, resp)) ||
        (tickets && !check_channels(api, net->tickets, false, resp)))
        return false;
    if (cs_network_validate(net, why, sizeof(why)) != CS_OK) {
        cs_api_error(resp, 400, "%s", why);
        return false;
    }
    return true;
}

/* Replaces NULL text fields by their defaults, as `network add` does. */
static bool fill_defaults(struct cs_network *net)
{
    char **texts[] = {&net->description,   &net->ranges,         &net->excludes,
                      &net->ports,         &net->snis,           &net->alert_to,
                      &net->webhooks,      &net->tickets,        &net->discover_every,
                      &net->monitor_every, &net->vulnscan_every, &net->quiet_hours};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (*texts[i] == NULL && (*texts[i] = strdup(texts[i] == &net->ports ? "443" : "")) == NULL)
            return false;
    return true;
}

void cs_api_network_create(struct cs_api *api, const struct cs_api_req *req,
                           struct cs_api_resp *resp)
{
    struct cs_network net =
                          {
                              .connect_timeout_ms = CS_NETWORK_CONNECT_TIMEOUT_MS,
                              .download_timeout_ms = CS_NETWORK_DOWNLOAD_TIMEOUT_MS,
                              .expiry_days = CS_NETWORK_EXPIRY_DAYS,
                              .max_email_rows = CS_NETWORK_MAX_EMAIL_ROWS,
                              .enabled = true,
                          },
                      existing = {0};
    cJSON *body = NULL;
    const cJSON *name, *ranges;
    char err[CS_ERRLEN];
    enum cs_rc rc;

    if (!cs_api_query_check(req, resp, "") || (body = cs_api_body(req, resp)) == NULL)
        goto out;
    name = cJSON_GetObjectItemCaseSensitive(body, "name");
    ranges = cJSON_GetObjectItemCaseSensitive(body, "ranges");
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0') {
        cs_api_error(resp, 400, "a network needs a name (a string)");
        goto out;
    }
    if (ranges == NULL) {
        cs_api_error(resp, 400, "a network needs ranges (an array of targets)");
        goto out;
    }
    if ((net.name = strdup(name->valuestring)) == NULL || !fill_defaults(&net)) {
        cs_api_error(resp, 500, "out of memory");
        goto out;
    }
    if (!apply_body(api, &net, body, true, resp))
        goto out;
    rc = cs_store_network_get(api->store, net.name, &existing, err, sizeof(err));
    if (rc == CS_OK) {
        cs_api_error(resp, 409, "network '%.128s' exists already", net.name);
        goto out;
    }
    if ((rc = cs_store_network_add(api->store, &net, err, sizeof(err))) != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    cs_serve_log("network '%s' added through the API", net.name);
    cs_shared_wake(api->shared);
    cs_api_json(resp, 201, network_json(api, &net));
out:
    cJSON_Delete(body);
    cs_network_clear(&net);
    cs_network_clear(&existing);
}

void cs_api_network_patch(struct cs_api *api, const struct cs_api_req *req,
                          struct cs_api_resp *resp)
{
    struct cs_network net = {0};
    cJSON *body = NULL;
    char err[CS_ERRLEN];
    enum cs_rc rc;

    if (!cs_api_query_check(req, resp, "") || (body = cs_api_body(req, resp)) == NULL ||
        !load_network(api, req, resp, &net))
        goto out;
    if (!fill_defaults(&net)) {
        cs_api_error(resp, 500, "out of memory");
        goto out;
    }
    if (!apply_body(api, &net, body, false, resp))
        goto out;
    if ((rc = cs_store_network_update(api->store, &net, err, sizeof(err))) != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    cs_shared_wake(api->shared);
    cs_api_json(resp, 200, network_json(api, &net));
out:
    cJSON_Delete(body);
    cs_network_clear(&net);
}

void cs_api_network_delete(struct cs_api *api, const struct cs_api_req *req,
                           struct cs_api_resp *resp)
{
    struct cs_network net = {0};
    struct cs_store *own = NULL;
    char err[CS_ERRLEN];
    pid_t pid;
    enum cs_rc rc;

    if (!cs_api_query_check(req, resp, "") || !load_network(api, req, resp, &net))
        goto out;
    if (cs_children_network_busy(api->shared->children, net.id, &pid)) {
        cs_api_error(resp, 409, "network '%.128s' has a job running (pid %ld)", net.name,
                     (long)pid);
        goto out;
    }
    /* Removing takes the network's job lock until the store is closed: on
     * a connection of its own, so that the lock goes with it (SQLite may
     * give the same id to the next network). */
    if ((rc = cs_store_open(api->shared->db, &own, err, sizeof(err))) == CS_OK)
        rc = cs_store_network_remove(own, net.name, err, sizeof(err));
    cs_store_close(&own);
    if (rc != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    cs_serve_log("network '%s' removed through the API", net.name);
    cs_shared_wake(api->shared);
    resp->status = 204;
out:
    cs_network_clear(&net);
}

/* ---- starting a job --------------------------------------------------------- */

/* The id of the newest job of a kind of a network; 0 when none. */
static int64_t latest_id(struct cs_api *api, int64_t network_id, enum cs_job_kind kind,
                         enum cs_job_state *state)
{
    struct cs_job job = {0};
    char err[CS_ERRLEN];
    int64_t id = 0;

    if (cs_store_job_latest(api->store, network_id, kind, &job, err, sizeof(err)) == CS_OK) {
        id = job.id;
        if (state != NULL)
            *state = job.state;
        cs_job_clear(&job);
    }
    return id;
}

/* Whether a job of the network runs in another process than serve's
 * children: a row still `running` whose process holds the network's lock.
 * A row left by a dead process is marked interrupted on the way. */
static bool runs_elsewhere(struct cs_api *api, int64_t network_id)
{
    char err[CS_ERRLEN];
    for (int k = 0; k < 3; k++) {
        enum cs_job_state state = CS_JOB_DONE;
        if (latest_id(api, network_id, (enum cs_job_kind)k, &state) != 0 && state == CS_JOB_RUNNING)
            return cs_shared_recover(api->shared->db, network_id, err, sizeof(err)) == CS_ERR_BUSY;
    }
    return false;
}

void cs_api_network_start_job(struct cs_api *api, const struct cs_api_req *req,
                              struct cs_api_resp *resp)
{
    struct cs_network net = {0};
    struct cs_job job = {0};
    cJSON *body = NULL;
    const cJSON *kind_item, *item;
    enum cs_job_kind kind;
    char err[CS_ERRLEN];
    pid_t pid;
    int status;

    if (!cs_api_query_check(req, resp, "") || (body = cs_api_body(req, resp)) == NULL)
        goto out;
    cJSON_ArrayForEach(item, body)
    {
        if (strcmp(item->string, "kind") != 0) {
            cs_api_error(resp, 400, "unknown field '%.64s'; a job takes only kind", item->string);
            goto out;
        }
    }
    kind_item = cJSON_GetObjectItemCaseSensitive(body, "kind");
    if (!cJSON_IsString(kind_item) || !cs_job_kind_parse(kind_item->valuestring, &kind)) {
        cs_api_error(resp, 400, "invalid kind: expected discovery, monitoring or vulnscan");
        goto out;
    }
    if (!load_network(api, req, resp, &net))
        goto out;
    if (!net.enabled) {
        cs_api_error(resp, 409, "network '%.128s' is disabled", net.name);
        goto out;
    }
    pid_t running;
    if (cs_children_network_busy(api->shared->children, net.id, &running)) {
        cs_api_error(resp, 409, "network '%.128s' has a job running (pid %ld)", net.name,
                     (long)running);
        goto out;
    }
    if (runs_elsewhere(api, net.id)) {
        cs_api_error(resp, 409, "network '%.128s' has a job running in another process", net.name);
        goto out;
    }
    int64_t before = latest_id(api, net.id, kind, NULL);
    enum cs_rc rc = cs_children_spawn_job(api->shared->children, net.id, net.name, kind,
                                          net.connect_timeout_ms + net.download_timeout_ms, &pid,
                                          err, sizeof(err));
    if (rc != CS_OK) {
        cs_api_fail(resp, rc, err);
        goto out;
    }
    cs_serve_log("job started: pid %ld, network '%s', %s (through the API)", (long)pid, net.name,
                 cs_job_kind_name(kind));
    cs_shared_wake(api->shared);
    /* The job records its row once it has resolved its targets; the
     * answer carries that row, so that the caller can follow it. */
    for (int waited = 0; waited < START_WAIT_MS; waited += START_POLL_MS) {
        if (cs_store_job_latest(api->store, net.id, kind, &job, err, sizeof(err)) == CS_OK) {
            if (job.id > before) {
                if (job.network_name == NULL)
                    job.network_name = strdup(net.name);
                cs_api_json(resp, 202, cs_api_job_json(&job));
                goto out;
            }
            cs_job_clear(&job);
        }
        if (cs_children_exited(api->shared->children, pid, &status)) {
            cs_api_error(resp, 500,
                         "the %s job of '%.128s' ended before it recorded a job (wait status "
                         "%d); serve's log says why",
                         cs_job_kind_name(kind), net.name, status);
            goto out;
        }
        usleep(START_POLL_MS * 1000);
    }
    /* Still resolving: answer without a job id rather than hold the API. */
    cJSON *pending = cJSON_CreateObject();
    if (pending != NULL) {
        cJSON_AddNullToObject(pending, "id");
        cJSON_AddStringToObject(pending, "network", net.name);
        cJSON_AddStringToObject(pending, "kind", cs_job_kind_name(kind));
        cJSON_AddStringToObject(pending, "state", "starting");
        cJSON_AddNumberToObject(pending, "pid", pid);
    }
    cs_api_json(resp, 202, pending);
out:
    cs_job_clear(&job);
    cJSON_Delete(body);
    cs_network_clear(&net);
}
