/*
 * The HTTP server of `certsweep serve` (httpd.h): request bodies, routing,
 * authentication and answers. Every answer of the API is JSON, errors
 * included; the handlers in api_*.c fill it.
 */
#include "httpd.h"
#include "api.h"
#include "dashboard.h"
#include "metrics.h"
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum {
    MAX_CONNECTIONS = 64,    /* bodies are buffered: this bounds the memory */
    CONNECTION_TIMEOUT = 30, /* seconds of silence before a connection is closed */
    TOKEN_USED_EVERY = 60,   /* last_used_at is written at most once a minute */
    TOKENS_REMEMBERED = 32,
};

#define API_PREFIX "/api/v1"

struct cs_httpd {
    struct MHD_Daemon *daemon;
    struct cs_api api;
    int listen_fd;
    unsigned port;
    /* When each token's use was last recorded (HTTP thread only). */
    struct {
        int64_t id;
        time_t at;
    } used[TOKENS_REMEMBERED];
    size_t next_used;
};

/* One request, from its first call to its completion. */
struct request {
    char *body;
    size_t len;
    bool too_large;
};

/* ---- routes ------------------------------------------------------------------ */

static const struct route {
    const char *pattern; /* segments after /api/v1/; "*" is the handler's argument */
    struct {
        const char *method;
        cs_api_handler *fn;
    } methods[3];
} routes[] = {
    {"networks", {{"GET", cs_api_networks_list}, {"POST", cs_api_network_create}}},
    {"networks/*",
     {{"GET", cs_api_network_get},
      {"PATCH", cs_api_network_patch},
      {"DELETE", cs_api_network_delete}}},
    {"networks/*/jobs", {{"POST", cs_api_network_start_job}}},
    {"jobs", {{"GET", cs_api_jobs_list}}},
    {"jobs/*", {{"GET", cs_api_job_get}}},
    {"jobs/*/report", {{"GET", cs_api_job_report}}},
    {"endpoints", {{"GET", cs_api_endpoints_list}}},
    {"endpoints/*", {{"GET", cs_api_endpoint_get}, {"PATCH", cs_api_endpoint_patch}}},
    {"certificates", {{"GET", cs_api_certificates_list}}},
    {"certificates/*", {{"GET", cs_api_certificate_get}}},
    {"findings", {{"GET", cs_api_findings_list}}},
    {"outbox", {{"GET", cs_api_outbox_list}}},
};

/* Whether path (after the prefix, without leading '/') matches pattern; the
 * segment matched by "*" is copied into arg. */
static bool match(const char *pattern, const char *path, char *arg, size_t arglen)
{
    arg[0] = '\0';
    while (*pattern && *path) {
        const char *pend = strchr(pattern, '/'), *send = strchr(path, '/');
        size_t plen = pend ? (size_t)(pend - pattern) : strlen(pattern);
        size_t slen = send ? (size_t)(send - path) : strlen(path);
        if (slen == 0)
            return false;
        if (plen == 1 && pattern[0] == '*') {
            if (slen >= arglen)
                return false;
            memcpy(arg, path, slen);
            arg[slen] = '\0';
        } else if (plen != slen || strncmp(pattern, path, slen) != 0) {
            return false;
        }
        pattern += plen + (pend != NULL);
        path += slen + (send != NULL);
        if ((pend == NULL) != (send == NULL))
            return false;
    }
    return *pattern == '\0' && *path == '\0';
}

/* Routes an authenticated API request. */
static void route(struct cs_httpd *h, const char *path, struct cs_api_req *req,
                  struct cs_api_resp *resp)
{
    char arg[512], allow[64], trimmed[1024];
    size_t n = strlen(path);

    /* "/api/v1/networks/" is "/api/v1/networks". */
    if (n >= sizeof(trimmed)) {
        cs_api_error(resp, 404, "no such route");
        return;
    }
    memcpy(trimmed, path, n + 1);
    if (n > 0 && trimmed[n - 1] == '/')
        trimmed[n - 1] = '\0';
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        if (!match(r->pattern, trimmed, arg, sizeof(arg)))
            continue;
        allow[0] = '\0';
        for (size_t m = 0; m < 3 && r->methods[m].method; m++) {
            const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
            if (strcmp(r->methods[m].method, method) == 0) {
                req->arg = arg[0] ? arg : NULL;
                r->methods[m].fn(&h->api, req, resp);
                return;
            }
            snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
                     allow[0] ? ", " : "", r->methods[m].method);
        }
        cs_api_error(resp, 405, "%s is not allowed here; allowed: %s", req->method, allow);
        return;
    }
    cs_api_error(resp, 404, "no such route: %.200s", path[0] ? path : "/");
}

/* The methods a path takes, for the Allow header of a 405. */
static void allowed_methods(const char *path, char *allow, size_t len)
{
    char arg[512], trimmed[1024];
    size_t n = strlen(path);

    allow[0] = '\0';
    if (n >= sizeof(trimmed))
        return;
    memcpy(trimmed, path, n + 1);
    if (n > 0 && trimmed[n - 1] == '/')
        trimmed[n - 1] = '\0';
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match(routes[i].pattern, trimmed, arg, sizeof(arg)))
            continue;
        for (size_t m = 0; m < 3 && routes[i].methods[m].method; m++)
            snprintf(allow + strlen(allow), len - strlen(allow), "%s%s", allow[0] ? ", " : "",
                     routes[i].methods[m].method);
        return;
    }
}

/* ---- authentication ---------------------------------------------------------- */

bool cs_httpd_is_loopback(const struct sockaddr *addr)
{
    if (addr == NULL)
        return false;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

static bool peer_is_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info != NULL && cs_httpd_is_loopback(info->client_addr);
}

/* The hex SHA-256 of a token, as the store keeps it. */
static bool token_hash(const char *token, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return false;
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return true;
}

/* Records that a token was used, at most once a minute per token. */
static void note_use(struct cs_httpd *h, int64_t id)
{
    time_t now = time(NULL);
    char err[CS_ERRLEN];

    for (size_t i = 0; i < TOKENS_REMEMBERED; i++) {
        if (h->used[i].id != id)
            continue;
        if (now - h->used[i].at < TOKEN_USED_EVERY)
            return;
        h->used[i].at = now;
        cs_store_token_used(h->api.store, id, now, err, sizeof(err));
        return;
    }
    h->used[h->next_used].id = id;
    h->used[h->next_used].at = now;
    h->next_used = (h->next_used + 1) % TOKENS_REMEMBERED;
    cs_store_token_used(h->api.store, id, now, err, sizeof(err));
}

/* Checks the bearer token of a request; false with a 401 (or 500) answered. */
static bool authenticate(struct cs_httpd *h, struct MHD_Connection *conn, struct cs_api_resp *resp)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    struct cs_token_row row;
    char hex[65], err[CS_ERRLEN];

    if (auth == NULL) {
        cs_api_error(resp, 401,
                     "a bearer token is needed: Authorization: Bearer TOKEN "
                     "('certsweep token create NAME' makes one)");
        return false;
    }
    if (strncasecmp(auth, "Bearer ", 7) != 0) {
        cs_api_error(resp, 401, "expected Authorization: Bearer TOKEN");
        return false;
    }
    auth += 7;
    while (*auth == ' ')
        auth++;
    if (*auth == '\0' || !token_hash(auth, hex)) {
        cs_api_error(resp, 401, "the token is empty");
        return false;
    }
    enum cs_rc rc = cs_store_token_find(h->api.store, hex, &row, err, sizeof(err));
    if (rc == CS_ERR_NOT_FOUND) {
        cs_api_error(resp, 401, "unknown token");
        return false;
    }
    if (rc != CS_OK) {
        cs_api_fail(resp, rc, err);
        return false;
    }
    note_use(h, row.id);
    return true;
}

/* ---- answering ------------------------------------------------------------------ */

static enum MHD_Result send_answer(struct MHD_Connection *conn, const char *path,
                                   struct cs_api_resp *resp)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (resp->body != NULL) {
        r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (r != NULL)
            resp->body = NULL;
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL) {
        free(resp->body);
        resp->body = NULL;
        return MHD_NO;
    }
    if (resp->content_type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (resp->status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"certsweep\"");
    if (resp->status == 405) {
        char allow[64];
        if (strcmp(path, "/metrics") == 0 || strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0)
            snprintf(allow, sizeof(allow), "GET, HEAD");
        else
            allowed_methods(path + strlen(API_PREFIX "/"), allow, sizeof(allow));
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    }
    ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Answers a whole request. */
static void answer(struct cs_httpd *h, struct MHD_Connection *conn, const char *url,
                   const char *method, struct request *rq, struct cs_api_resp *resp)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    char err[CS_ERRLEN];

    if (rq->too_large) {
        cs_api_error(resp, 413, "the request body is over %d bytes", CS_HTTPD_MAX_BODY);
        return;
    }
    if (strcmp(url, "/metrics") == 0) {
        char *text = NULL;
        size_t len = 0;
        /* The metrics need no token from this host, unless configured. */
        bool need_token = !peer_is_loopback(conn) || atomic_load(&h->api.shared->metrics_token);
        if (!get) {
            cs_api_error(resp, 405, "%s is not allowed here; allowed: GET", method);
        } else if (!need_token || authenticate(h, conn, resp)) {
            enum cs_rc rc = cs_metrics_render(h->api.store, h->api.shared->children, time(NULL),
                                              &text, &len, err, sizeof(err));
            if (rc != CS_OK)
                cs_api_fail(resp, rc, err);
            else
                cs_api_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
            free(text);
        }
        return;
    }
    if (strcmp(url, API_PREFIX) == 0 || strncmp(url, API_PREFIX "/", strlen(API_PREFIX "/")) == 0) {
        struct cs_api_req req = {
            .method = method,
            .conn = conn,
            .body = rq->body ? rq->body : "",
            .body_len = rq->len,
        };
        if (authenticate(h, conn, resp))
            route(h, url[strlen(API_PREFIX)] ? url + strlen(API_PREFIX "/") : "", &req, resp);
        return;
    }
    const unsigned char *data;
    const char *type;
    size_t len;
    if (cs_dashboard_asset(url, &data, &len, &type)) {
        if (get)
            cs_api_text(resp, 200, type, (const char *)data, len);
        else
            cs_api_error(resp, 405, "%s is not allowed here; allowed: GET", method);
        return;
    }
    cs_api_error(resp, 404, "no such page: %.200s; the API is under " API_PREFIX "/", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct cs_httpd *h = cls;
    struct request *rq = *con_cls;
    struct cs_api_resp resp = {.status = 500};

    if (rq == NULL) {
        const char *length =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if ((rq = calloc(1, sizeof(*rq))) == NULL)
            return MHD_NO;
        *con_cls = rq;
        /* Refused before a byte of it is read. */
        if (length != NULL && strtoull(length, NULL, 10) > CS_HTTPD_MAX_BODY) {
            rq->too_large = true;
            cs_api_error(&resp, 413, "the request body is over %d bytes", CS_HTTPD_MAX_BODY);
            return send_answer(conn, url, &resp);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!rq->too_large && rq->len + *upload_data_size <= CS_HTTPD_MAX_BODY) {
            char *grown = realloc(rq->body, rq->len + *upload_data_size + 1);
            if (grown == NULL)
                return MHD_NO;
            memcpy(grown + rq->len, upload_data, *upload_data_size);
            rq->body = grown;
            rq->len += *upload_data_size;
            rq->body[rq->len] = '\0';
        } else {
            rq->too_large = true;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    answer(h, conn, url, method, rq, &resp);
    if (resp.status >= 500)
        cs_serve_log("%s %s: %d %.*s", method, url, resp.status, (int)resp.len,
                     resp.body ? resp.body : "");
    return send_answer(conn, url, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;
    if (rq != NULL) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* libmicrohttpd's own complaints (TLS handshakes that fail, ...). */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[CS_ERRLEN];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    cs_serve_log("http: %s", msg);
}

/* ---- starting and stopping ------------------------------------------------------- */

static enum cs_rc listen_on(const struct sockaddr *addr, socklen_t addrlen, int *fd_out,
                            unsigned *port, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    struct sockaddr_storage bound;
    socklen_t boundlen = sizeof(bound);
    enum cs_rc rc = CS_OK;
    int one = 1;
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof(host));
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host, sizeof(host));
    if (fd < 0) {
        rc = cs_fail(err, errlen, CS_ERR_IO, "cannot open a socket: %s", strerror(errno));
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (addr->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, addr, addrlen) != 0 || listen(fd, 64) != 0) {
        unsigned p =
            ntohs(addr->sa_family == AF_INET ? ((const struct sockaddr_in *)addr)->sin_port
                                             : ((const struct sockaddr_in6 *)addr)->sin6_port);
        rc = cs_fail(err, errlen, CS_ERR_IO, "cannot listen on %s port %u: %s", host, p,
                     strerror(errno));
        goto out;
    }
    if (getsockname(fd, (struct sockaddr *)&bound, &boundlen) == 0)
        *port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                 : ((struct sockaddr_in6 *)&bound)->sin6_port);
    *fd_out = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

enum cs_rc cs_httpd_start(const struct sockaddr *addr, socklen_t addrlen, const char *cert_pem,
                          const char *key_pem, struct cs_serve_shared *shared,
                          struct cs_httpd **out, char *err, size_t errlen)
{
    struct cs_httpd *h = calloc(1, sizeof(*h));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    enum cs_rc rc;

    *out = NULL;
    if (h == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    h->listen_fd = -1;
    h->api.shared = shared;
    if ((rc = cs_store_open(shared->db, &h->api.store, err, errlen)) != CS_OK ||
        (rc = listen_on(addr, addrlen, &h->listen_fd, &h->port, err, errlen)) != CS_OK)
        goto out;
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "this libmicrohttpd has no TLS support");
            goto out;
        }
        flags |= MHD_USE_TLS;
    }
    /* The logger comes first, so that it gets every message. The TLS
     * options come last: without TLS, the list ends before them. */
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
                                 on_mhd_log, h, MHD_OPTION_LISTEN_SOCKET, h->listen_fd,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert_pem,
                                 MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
    if (h->daemon == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_RUNTIME,
                     "cannot start the HTTP server%s (libmicrohttpd's log above says why)",
                     cert_pem ? " with the TLS certificate and key given" : "");
        goto out;
    }
    h->listen_fd = -1; /* the daemon's now */
    *out = h;
    h = NULL;
out:
    cs_httpd_stop(&h);
    return rc;
}

unsigned cs_httpd_port(const struct cs_httpd *h)
{
    return h->port;
}

void cs_httpd_stop(struct cs_httpd **h)
{
    if (h == NULL || *h == NULL)
        return;
    /* The daemon closes the listening socket it was given. */
    if ((*h)->daemon != NULL)
        MHD_stop_daemon((*h)->daemon);
    if ((*h)->listen_fd >= 0)
        close((*h)->listen_fd);
    cs_store_close(&(*h)->api.store);
    free(*h);
    *h = NULL;
}
