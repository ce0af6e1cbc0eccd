/*
 * The REST API of `certsweep serve` (docs/api.md): the request and response
 * as the handlers see them, the helpers that build JSON answers and errors,
 * and the handlers, one file per group of resources. httpd.c routes,
 * authenticates and sends; handlers only read the request and fill the
 * response. All run on the HTTP thread, with its own store connection.
 */
#ifndef CS_SERVE_API_H
#define CS_SERVE_API_H

#include "shared.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;

struct cs_api {
    struct cs_store *store; /* the HTTP thread's own */
    struct cs_serve_shared *shared;
};

struct cs_api_req {
    const char *method;
    const char *arg; /* the variable segment of the route (NAME, ID, SHA256); NULL: none */
    struct MHD_Connection *conn;
    const char *body; /* NUL-terminated; "" when none */
    size_t body_len;
};

struct cs_api_resp {
    unsigned status;
    char *body; /* owned; NULL: empty */
    size_t len;
    const char *content_type; /* static */
};

/* A JSON answer; takes json (NULL: out of memory, answered 500). */
void cs_api_json(struct cs_api_resp *resp, unsigned status, cJSON *json);
/* A JSON error {"error": MESSAGE}. */
void cs_api_error(struct cs_api_resp *resp, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The error of a failed store call: 404 for CS_ERR_NOT_FOUND, 400 for
 * CS_ERR_USAGE, 409 for CS_ERR_BUSY, 500 otherwise. */
void cs_api_fail(struct cs_api_resp *resp, enum cs_rc rc, const char *err);
/* Text as is (reports, metrics); copies it. */
void cs_api_text(struct cs_api_resp *resp, unsigned status, const char *content_type,
                 const char *text, size_t len);

/* A query parameter, NULL when absent. */
const char *cs_api_query(const struct cs_api_req *req, const char *name);
/* False, with a 400 answered, when the query holds a parameter that is not
 * in allowed (comma-separated names). */
bool cs_api_query_check(const struct cs_api_req *req, struct cs_api_resp *resp,
                        const char *allowed);
/* Query values: false with a 400 answered when bad; *out untouched when
 * absent. */
bool cs_api_query_bool(const struct cs_api_req *req, struct cs_api_resp *resp, const char *name,
                       bool *out);
bool cs_api_query_uint(const struct cs_api_req *req, struct cs_api_resp *resp, const char *name,
                       unsigned max, unsigned *out);
/* Parses the body as a JSON object: NULL with a 400 answered if it is not. */
cJSON *cs_api_body(const struct cs_api_req *req, struct cs_api_resp *resp);

/* An RFC 3339 time, or null for 0. */
cJSON *cs_api_time(time_t t);
/* A space-separated list as a JSON array of strings. */
cJSON *cs_api_words(const char *list);
/* The id of the network named by the `network` query parameter (0 when
 * absent); false with a 404 answered for an unknown one. */
bool cs_api_network_param(struct cs_api *api, const struct cs_api_req *req,
                          struct cs_api_resp *resp, int64_t *id);
/* A network's name by id, for listings; "" when unknown. Looks each id up
 * once per request in *cache. */
struct cs_api_names {
    int64_t *ids;
    char **names;
    size_t count;
};
const char *cs_api_network_name(struct cs_api *api, struct cs_api_names *cache, int64_t id);
void cs_api_names_clear(struct cs_api_names *cache);

/* A job as the API shows it (JOB in docs/api.md). */
cJSON *cs_api_job_json(const struct cs_job *job);

/* The handlers: each answers one route, for the methods the route table of
 * httpd.c lists. */
typedef void cs_api_handler(struct cs_api *api, const struct cs_api_req *req,
                            struct cs_api_resp *resp);
cs_api_handler cs_api_networks_list, cs_api_network_create, cs_api_network_get,
    cs_api_network_patch, cs_api_network_delete, cs_api_network_start_job;
cs_api_handler cs_api_jobs_list, cs_api_job_get, cs_api_job_report;
cs_api_handler cs_api_endpoints_list, cs_api_endpoint_get, cs_api_endpoint_patch;
cs_api_handler cs_api_certificates_list, cs_api_certificate_get;
cs_api_handler cs_api_findings_list, cs_api_outbox_list;

#endif
