/*
 * Unit tests of the HTTP client (http.h): the outbox's verdict on an
 * answer (cs_http_failure), Retry-After in both forms, escaping and URL
 * checks, and requests to a one-shot server that a child process plays on
 * 127.0.0.1 (the answer and its Retry-After, the 1 MiB cap, the deadline,
 * basic auth, the OAuth refresh-token grant and its kept token), and
 * the secrets of a request scrubbed from what a server echoes back.
 */
#define _GNU_SOURCE /* strcasestr */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- a one-shot server --------------------------------------------------- */

struct server {
    pid_t pid;
    unsigned short port;
    int request_fd; /* what the client sent, written by the child */
};

/* Reads one request (headers and a Content-Length body) from fd. */
static size_t read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
        if (len >= (size_t)(end + 4 - buf) + want)
            break;
    }
    return len;
}

/* Starts a child that accepts one connection on 127.0.0.1, passes the
 * request it reads to the parent, waits delay_ms and then sends answer
 * (answer_len bytes) and closes. */
static struct server serve(const char *answer, size_t answer_len, int delay_ms)
{
    struct server s = {0};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int p[2];
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    assert_int_equal(pipe(p), 0);
    s.port = ntohs(a.sin_port);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        static char req[65536];
        close(p[0]);
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            _exit(1);
        size_t n = read_request(c, req, sizeof(req));
        if (write(p[1], req, n) < 0)
            _exit(1);
        close(p[1]);
        if (delay_ms > 0)
            usleep((useconds_t)delay_ms * 1000);
        for (size_t off = 0; off < answer_len;) {
            ssize_t w = write(c, answer + off, answer_len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        shutdown(c, SHUT_WR);
        char sink[256];
        while (read(c, sink, sizeof(sink)) > 0)
            ;
        _exit(0);
    }
    close(lfd);
    close(p[1]);
    s.request_fd = p[0];
    return s;
}

/* The request the child received (the caller frees it), and the child
 * reaped. */
static char *server_finish(struct server *s)
{
    char *buf = calloc(1, 65536);
    size_t len = 0;
    ssize_t n;

    assert_non_null(buf);
    /* By now the child wrote what it received (it does so before it
     * answers); what is in the pipe stays readable once it is gone. */
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    while ((n = read(s->request_fd, buf + len, 65535 - len)) > 0)
        len += (size_t)n;
    close(s->request_fd);
    return buf;
}

static void url_of(const struct server *s, const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "http://127.0.0.1:%u%s", s->port, path);
}

static struct cs_http *client(unsigned timeout_ms)
{
    struct cs_http *h = NULL;
    char err[CS_ERRLEN];
    assert_int_equal(cs_http_open(NULL, timeout_ms, &h, err, sizeof(err)), CS_OK);
    return h;
}

#define ANSWER(s) (s), strlen(s)

/* ---- cs_http_failure ----------------------------------------------------- */

static enum cs_rc verdict(long status, const char *body, unsigned retry_after, unsigned *wait,
                          char *err, size_t errlen)
{
    struct cs_http_response r = {
        .status = status, .body = body, .body_len = strlen(body), .retry_after = retry_after};
    *wait = 12345;
    return cs_http_failure(NULL, "POST",
                           "https://user:pw@sdp.example.com/api/v3/requests?input_data=x", &r, wait,
                           err, errlen);
}

static void test_failure_429_is_busy_with_wait(void **state)
{
    char err[CS_ERRLEN];
    unsigned wait;
    assert_int_equal(verdict(429, "slow down", 30, &wait, err, sizeof(err)), CS_ERR_BUSY);
    assert_int_equal(wait, 30);
    assert_non_null(strstr(err, "rate-limited"));
    assert_non_null(strstr(err, "30 s"));
    assert_int_equal(verdict(429, "", 0, &wait, err, sizeof(err)), CS_ERR_BUSY);
    assert_int_equal(wait, 0);
}

static void test_failure_503_busy_only_with_retry_after(void **state)
{
    char err[CS_ERRLEN];
    unsigned wait;
    assert_int_equal(verdict(503, "", 7, &wait, err, sizeof(err)), CS_ERR_BUSY);
    assert_int_equal(wait, 7);
    assert_int_equal(verdict(503, "", 0, &wait, err, sizeof(err)), CS_ERR_IO);
    assert_int_equal(wait, 0);
}

static void test_failure_401_403_say_credentials(void **state)
{
    char err[CS_ERRLEN];
    unsigned wait;
    assert_int_equal(verdict(401, "{\"error\":\"x\"}", 0, &wait, err, sizeof(err)), CS_ERR_USAGE);
    assert_non_null(strstr(err, "refused the credentials"));
    assert_non_null(strstr(err, ": 401"));
    assert_int_equal(verdict(403, "", 0, &wait, err, sizeof(err)), CS_ERR_USAGE);
    assert_non_null(strstr(err, "refused the credentials"));
}

static void test_failure_other_4xx_final_5xx_may_pass(void **state)
{
    char err[CS_ERRLEN];
    unsigned wait;
    assert_int_equal(verdict(400, "bad", 0, &wait, err, sizeof(err)), CS_ERR_USAGE);
    assert_int_equal(verdict(404, "", 0, &wait, err, sizeof(err)), CS_ERR_USAGE);
    assert_int_equal(verdict(422, "", 0, &wait, err, sizeof(err)), CS_ERR_USAGE);
    assert_int_equal(verdict(408, "", 0, &wait, err, sizeof(err)), CS_ERR_IO);
    assert_int_equal(verdict(500, "", 0, &wait, err, sizeof(err)), CS_ERR_IO);
    assert_int_equal(verdict(502, "", 0, &wait, err, sizeof(err)), CS_ERR_IO);
    assert_int_equal(verdict(302, "", 0, &wait, err, sizeof(err)), CS_ERR_USAGE);
}

static void test_failure_message_hides_userinfo_and_query(void **state)
{
    char err[CS_ERRLEN];
    unsigned wait;
    verdict(500, "oops", 0, &wait, err, sizeof(err));
    assert_string_equal(err,
                        "POST https://sdp.example.com/api/v3/requests: 500: server error: oops");
}

static void test_failure_body_is_one_short_line(void **state)
{
    char body[1000], err[CS_ERRLEN];
    unsigned wait;
    memset(body, 'a', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    memcpy(body, "line one\r\n\tline two", 19);
    verdict(400, body, 0, &wait, err, sizeof(err));
    assert_null(strchr(err, '\n'));
    assert_null(strchr(err, '\r'));
    assert_non_null(strstr(err, "line one line two"));
    const char *start = strstr(err, "line one");
    assert_true(strlen(start) <= 200);
}

static void test_failure_excerpt_never_splits_utf8(void **state)
{
    char body[400], err[CS_ERRLEN];
    unsigned wait;
    /* 199 ASCII bytes, then "é" (2 bytes) straddling the 200-byte cut. */
    memset(body, 'b', 199);
    strcpy(body + 199, "\xc3\xa9 tail");
    verdict(400, body, 0, &wait, err, sizeof(err));
    size_t n = strlen(err);
    assert_true(n > 0);
    assert_int_not_equal((unsigned char)err[n - 1], 0xc3);
}

/* ---- Retry-After --------------------------------------------------------- */

static void test_retry_after_seconds(void **state)
{
    assert_int_equal(cs_http_retry_after_parse("120", 0), 120);
    assert_int_equal(cs_http_retry_after_parse(" 5 ", 0), 5);
    assert_int_equal(cs_http_retry_after_parse("0", 0), 0);
    assert_int_equal(cs_http_retry_after_parse("99999999999999999999", 0), 86400);
    assert_int_equal(cs_http_retry_after_parse("12abc", 0), 0);
    assert_int_equal(cs_http_retry_after_parse("-3", 0), 0);
    assert_int_equal(cs_http_retry_after_parse("", 0), 0);
    assert_int_equal(cs_http_retry_after_parse(NULL, 0), 0);
}

static void test_retry_after_http_date(void **state)
{
    /* 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT. */
    const char *date = "Wed, 21 Oct 2015 07:28:00 GMT";
    assert_int_equal(cs_http_retry_after_parse(date, 1445412480 - 90), 90);
    assert_int_equal(cs_http_retry_after_parse(date, 1445412480), 0);
    assert_int_equal(cs_http_retry_after_parse(date, 1445412480 + 5), 0);
    assert_int_equal(cs_http_retry_after_parse(date, 0), 86400);
    assert_int_equal(cs_http_retry_after_parse("Wed, 21 Foo 2015 07:28:00 GMT", 0), 0);
    assert_int_equal(cs_http_retry_after_parse("Wed, 21 Oct 2015 07:28:00 PST", 0), 0);
    assert_int_equal(cs_http_retry_after_parse("Wednesday, 21-Oct-15 07:28:00 GMT", 0), 0);
}

/* ---- escaping and URLs --------------------------------------------------- */

static void test_escape_keeps_only_unreserved(void **state)
{
    char *e = cs_http_escape("a b&c=d/é~._-\"");
    assert_non_null(e);
    assert_string_equal(e, "a%20b%26c%3Dd%2F%C3%A9~._-%22");
    free(e);
    e = cs_http_escape("");
    assert_string_equal(e, "");
    free(e);
}

static void test_url_ok(void **state)
{
    assert_true(cs_http_url_ok("https://sdp.example.com"));
    assert_true(cs_http_url_ok("HTTP://127.0.0.1:8080/app"));
    assert_false(cs_http_url_ok("ftp://example.com"));
    assert_false(cs_http_url_ok("https://"));
    assert_false(cs_http_url_ok("https:///path"));
    assert_false(cs_http_url_ok("https://a b"));
    assert_false(cs_http_url_ok("example.com"));
    assert_false(cs_http_url_ok(NULL));
}

/* ---- requests ------------------------------------------------------------ */

static void test_request_gets_status_body_and_retry_after(void **state)
{
    struct server s = serve(ANSWER("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 42\r\n"
                                   "Content-Length: 4\r\nConnection: close\r\n\r\nslow"),
                            0);
    struct cs_http *h = client(5000);
    struct cs_http_response r;
    char url[128], err[CS_ERRLEN] = "";
    static const char *const headers[] = {"Accept: application/json", "X-Test: 1", NULL};

    url_of(&s, "/api/now/table/incident", url, sizeof(url));
    assert_int_equal(cs_http_request(h, "PATCH", url, headers, "application/json", "{\"a\":1}",
                                     "admin", "s3cret", &r, err, sizeof(err)),
                     CS_OK);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.body, "slow");
    assert_int_equal(r.body_len, 4);
    assert_int_equal(r.retry_after, 42);
    char *req = server_finish(&s);
    assert_non_null(strstr(req, "PATCH /api/now/table/incident HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "\r\nX-Test: 1\r\n"));
    assert_non_null(strstr(req, "\r\nContent-Type: application/json\r\n"));
    /* admin:s3cret */
    assert_non_null(strstr(req, "\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\n"));
    assert_non_null(strstr(req, "\r\n\r\n{\"a\":1}"));
    free(req);
    cs_http_close(&h);
    assert_null(h);
}

static void test_request_answer_over_cap_fails(void **state)
{
    size_t big = CS_HTTP_BODY_MAX + 10;
    char head[128];
    int hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    char *answer = malloc((size_t)hn + big);
    assert_non_null(answer);
    memcpy(answer, head, (size_t)hn);
    memset(answer + hn, 'x', big);
    /* No Content-Length: the cap must hold while reading, not only from
     * the header. */
    struct server s = serve(answer, (size_t)hn + big, 0);
    struct cs_http *h = client(5000);
    struct cs_http_response r;
    char url[128], err[CS_ERRLEN] = "";

    url_of(&s, "/", url, sizeof(url));
    assert_int_equal(
        cs_http_request(h, "GET", url, NULL, NULL, NULL, NULL, NULL, &r, err, sizeof(err)),
        CS_ERR_IO);
    assert_non_null(strstr(err, "larger than"));
    free(server_finish(&s));
    free(answer);
    cs_http_close(&h);
}

static void test_request_announced_over_cap_fails_at_once(void **state)
{
    /* A Content-Length over the cap: refused before any of it is read. */
    struct server s = serve(ANSWER("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n"
                                   "Connection: close\r\n\r\nxxxx"),
                            0);
    struct cs_http *h = client(5000);
    struct cs_http_response r;
    char url[128], err[CS_ERRLEN] = "";

    url_of(&s, "/", url, sizeof(url));
    assert_int_equal(
        cs_http_request(h, "GET", url, NULL, NULL, NULL, NULL, NULL, &r, err, sizeof(err)),
        CS_ERR_IO);
    assert_non_null(strstr(err, "larger than"));
    free(server_finish(&s));
    cs_http_close(&h);
}

static void test_request_times_out_and_says_so(void **state)
{
    struct server s = serve(ANSWER("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 3000);
    struct cs_http *h = client(500);
    struct cs_http_response r;
    char url[128], err[CS_ERRLEN] = "";
    struct timespec t0, t1;

    url_of(&s, "/slow?secret=zzz", url, sizeof(url));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cs_http_request(h, "POST", url, NULL, "application/json", "{}", "u", "hunter2",
                                     &r, err, sizeof(err)),
                     CS_ERR_IO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(took < 2.0);
    assert_non_null(strstr(err, "timed out"));
    assert_null(strstr(err, "hunter2"));
    assert_null(strstr(err, "zzz"));
    free(server_finish(&s));
    cs_http_close(&h);
}

static void test_request_refused_connection_is_io(void **state)
{
    struct server s = serve(ANSWER("x"), 0);
    char url[128], err[CS_ERRLEN] = "";
    url_of(&s, "/", url, sizeof(url));
    free(server_finish(&s)); /* the port is closed now */
    struct cs_http *h = client(2000);
    struct cs_http_response r;
    assert_int_equal(
        cs_http_request(h, "GET", url, NULL, NULL, NULL, NULL, NULL, &r, err, sizeof(err)),
        CS_ERR_IO);
    assert_non_null(strstr(err, "GET http://127.0.0.1:"));
    cs_http_close(&h);
}

static void test_request_refuses_other_protocols(void **state)
{
    struct cs_http *h = client(2000);
    struct cs_http_response r;
    char err[CS_ERRLEN] = "";
    assert_int_equal(cs_http_request(h, "GET", "file:///etc/passwd", NULL, NULL, NULL, NULL, NULL,
                                     &r, err, sizeof(err)),
                     CS_ERR_IO);
    assert_int_equal(r.status, 0);
    cs_http_close(&h);
}

/* ---- OAuth --------------------------------------------------------------- */

static void test_oauth_token_is_asked_once_and_kept(void **state)
{
    struct server s =
        serve(ANSWER("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: 53\r\nConnection: close\r\n\r\n"
                     "{\"access_token\":\"tok-123\",\"expires_in\":3600,\"x\":\"yy\"}"),
              0);
    struct cs_http *h = client(5000);
    char url[128], err[CS_ERRLEN] = "";
    const char *token = NULL;
    unsigned wait = 0;

    url_of(&s, "/oauth_token.do", url, sizeof(url));
    assert_int_equal(
        cs_http_oauth_token(h, url, "cid", "c s", "r&t", &token, &wait, err, sizeof(err)), CS_OK);
    assert_string_equal(token, "tok-123");
    char *req = server_finish(&s);
    assert_non_null(strstr(req, "POST /oauth_token.do HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "application/x-www-form-urlencoded"));
    assert_non_null(strstr(req, "\r\n\r\ngrant_type=refresh_token&client_id=cid&client_secret=c%"
                                "20s&refresh_token=r%26t"));
    free(req);

    /* The server is gone: the kept token must come without a request. */
    token = NULL;
    assert_int_equal(
        cs_http_oauth_token(h, url, "cid", "c s", "r&t", &token, &wait, err, sizeof(err)), CS_OK);
    assert_string_equal(token, "tok-123");

    /* Forgotten, it is asked for again, and the server is gone. */
    cs_http_oauth_forget(h);
    assert_int_equal(
        cs_http_oauth_token(h, url, "cid", "c s", "r&t", &token, &wait, err, sizeof(err)),
        CS_ERR_IO);
    assert_null(token);
    cs_http_close(&h);
}

static void test_oauth_refused_grant_is_usage_without_secrets(void **state)
{
    /* Zoho answers a bad refresh token with 200 and an error. */
    struct server s = serve(ANSWER("HTTP/1.1 200 OK\r\nContent-Length: 24\r\n"
                                   "Connection: close\r\n\r\n{\"error\":\"invalid_code\"}"),
                            0);
    struct cs_http *h = client(5000);
    char url[128], err[CS_ERRLEN] = "";
    const char *token = NULL;
    unsigned wait = 0;

    url_of(&s, "/oauth/v2/token", url, sizeof(url));
    assert_int_equal(cs_http_oauth_token(h, url, "cid", "topsecret", "refresh-secret", &token,
                                         &wait, err, sizeof(err)),
                     CS_ERR_USAGE);
    assert_non_null(strstr(err, "invalid_code"));
    assert_null(strstr(err, "topsecret"));
    assert_null(strstr(err, "refresh-secret"));
    free(server_finish(&s));
    cs_http_close(&h);
}

static void test_oauth_token_with_a_line_end_is_refused(void **state)
{
    /* The token goes into a header line; a server cannot smuggle in a
     * second header through it. */
    struct server s = serve(ANSWER("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                                   "{\"access_token\":\"tok\\r\\nX-Evil: 1\",\"expires_in\":60}"),
                            0);
    struct cs_http *h = client(5000);
    char url[128], err[CS_ERRLEN] = "";
    const char *token = NULL;
    unsigned wait = 0;

    url_of(&s, "/oauth_token.do", url, sizeof(url));
    assert_int_equal(
        cs_http_oauth_token(h, url, "cid", "cs", "rt", &token, &wait, err, sizeof(err)), CS_ERR_IO);
    assert_null(token);
    assert_non_null(strstr(err, "not printable"));
    free(server_finish(&s));
    cs_http_close(&h);
}

/* ---- secrets in failure texts -------------------------------------------- */

/* A server that answers status with the request it read as the body (its
 * body alone when body_only), as a proxy or a debugging endpoint that
 * echoes its input does. */
static struct server serve_echo(int status, bool body_only)
{
    struct server s = {0};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int p[2];
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    assert_int_equal(pipe(p), 0);
    s.port = ntohs(a.sin_port);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        static char req[65536], answer[70000];
        close(p[0]);
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            _exit(1);
        size_t n = read_request(c, req, sizeof(req));
        if (write(p[1], req, n) < 0)
            _exit(1);
        close(p[1]);
        const char *echo = req, *end = strstr(req, "\r\n\r\n");
        if (body_only && end != NULL)
            echo = end + 4;
        int len = snprintf(answer, sizeof(answer),
                           "HTTP/1.1 %d Echo\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                           status, strlen(echo), echo);
        if (write(c, answer, (size_t)len) < 0)
            _exit(1);
        shutdown(c, SHUT_WR);
        char sink[256];
        while (read(c, sink, sizeof(sink)) > 0)
            ;
        _exit(0);
    }
    close(lfd);
    close(p[1]);
    s.request_fd = p[0];
    return s;
}

/* Sends one request with headers (and basic auth when user is set) to an
 * echoing server answering status, and returns cs_http_failure()'s text
 * in err. */
static void echoed(struct cs_http *h, const char *path, const char *const *headers,
                   const char *user, const char *password, int status, char *err, size_t errlen)
{
    struct server s = serve_echo(status, false);
    struct cs_http_response resp;
    char url[512];

    url_of(&s, path, url, sizeof(url));
    assert_int_equal(
        cs_http_request(h, "GET", url, headers, NULL, NULL, user, password, &resp, err, errlen),
        CS_OK);
    assert_int_equal(resp.status, status);
    cs_http_failure(h, "GET", url, &resp, NULL, err, errlen);
    free(server_finish(&s));
}

static void test_echoed_header_secrets_are_scrubbed(void **state)
{
    static const char *const headers[] = {"authtoken: SDP-KEY-0042",
                                          "Authorization: Zoho-oauthtoken zoho.tok.99", NULL};
    struct cs_http *h = client(5000);
    char err[CS_ERRLEN];

    echoed(h, "/api", headers, NULL, NULL, 500, err, sizeof(err));
    assert_non_null(strstr(err, ": 500: server error: GET /api HTTP/1.1"));
    assert_null(strstr(err, "SDP-KEY-0042"));
    assert_null(strstr(err, "zoho.tok.99"));
    assert_non_null(strstr(err, "authtoken: ***"));
    assert_non_null(strstr(err, "Zoho-oauthtoken ***"));
    cs_http_close(&h);
}

static void test_echoed_basic_auth_is_scrubbed(void **state)
{
    struct cs_http *h = client(5000);
    char err[CS_ERRLEN];

    /* libcurl sends "Authorization: Basic base64(user:password)". */
    echoed(h, "/api", NULL, "admin", "Pa55-word!", 400, err, sizeof(err));
    assert_non_null(strstr(err, "Authorization: Basic ***"));
    assert_null(strstr(err, "YWRtaW46UGE1NS13b3JkIQ")); /* base64 of admin:Pa55-word! */
    cs_http_close(&h);
}

static void test_bearer_token_is_scrubbed_also_percent_encoded(void **state)
{
    struct cs_http *h = client(5000);
    struct cs_http_response resp = {.status = 502};
    char err[CS_ERRLEN], body[256];
    static const char *const headers[] = {"Authorization: Bearer tok/with+chars=", NULL};

    /* The client keeps what it sent even after the request. */
    echoed(h, "/x", headers, NULL, NULL, 401, err, sizeof(err));
    assert_null(strstr(err, "tok/with+chars="));
    snprintf(body, sizeof(body), "bad token tok%%2Fwith%%2Bchars%%3D and TOK/WITH+CHARS=");
    resp.body = body;
    resp.body_len = strlen(body);
    cs_http_failure(h, "POST", "https://api.example.com/x", &resp, NULL, err, sizeof(err));
    assert_string_equal(err, "POST https://api.example.com/x: 502: server error: bad token *** "
                             "and ***");
    cs_http_close(&h);
}

static void test_secret_url_path_and_sig_are_scrubbed(void **state)
{
    struct cs_http *h = client(5000);
    struct cs_http_response resp = {.status = 500};
    char err[CS_ERRLEN], url[512], body[512];
    struct server s = serve_echo(404, false);

    /* A Teams workflow URL: the sig= of its query is the credential. */
    cs_http_url_secret(h, true);
    url_of(&s, "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=Sig%2BSecret99", url,
           sizeof(url));
    assert_int_equal(cs_http_request(h, "POST", url, NULL, "application/json", "{}", NULL, NULL,
                                     &resp, err, sizeof(err)),
                     CS_OK);
    free(server_finish(&s));
    cs_http_failure(h, "POST", url, &resp, NULL, err, sizeof(err));
    assert_null(strstr(err, "Sig%2BSecret99"));
    assert_null(strstr(err, "/workflows/abc"));
    assert_non_null(strstr(err, "/...: 404"));
    /* The value alone, raw or decoded, in a receiver's words. */
    snprintf(body, sizeof(body), "signature Sig+Secret99 invalid (sig=Sig%%2BSecret99)");
    resp.body = body;
    resp.body_len = strlen(body);
    cs_http_failure(h, "POST", url, &resp, NULL, err, sizeof(err));
    assert_null(strstr(err, "Secret99"));
    assert_non_null(strstr(err, "signature *** invalid (sig=***)"));

    /* A transport failure names the URL without its secret path. */
    url_of(&s, "/services/T000/B000/XXXXsecret", url, sizeof(url));
    assert_int_equal(cs_http_request(h, "POST", url, NULL, "application/json", "{}", NULL, NULL,
                                     &resp, err, sizeof(err)),
                     CS_ERR_IO);
    assert_null(strstr(err, "XXXXsecret"));
    assert_non_null(strstr(err, "/..."));
    cs_http_close(&h);
}

static void test_scrub_drops_a_secret_cut_at_the_end(void **state)
{
    struct cs_http *h = client(5000);
    char text[24];

    assert_int_equal(cs_http_secret_add(h, "ABCDEFGHIJKLMNOP", "[key]"), CS_OK);
    /* The text filled its buffer: it may have been cut inside the key. */
    memcpy(text, "the key is ABCDEFGHIJKL", sizeof(text)); /* 23 bytes and the NUL */
    cs_http_scrub(h, text, sizeof(text));
    assert_string_equal(text, "the key is ***");
    snprintf(text, sizeof(text), "key abcdefghijklmnop.");
    cs_http_scrub(h, text, sizeof(text));
    assert_string_equal(text, "key [key].");
    cs_http_close(&h);
}

static void test_oauth_secrets_are_scrubbed_from_echoes(void **state)
{
    /* A token endpoint that echoes the form it was sent in a 500. */
    struct server s = serve_echo(500, true);
    struct cs_http *h = client(5000);
    char url[128], err[CS_ERRLEN] = "";
    const char *token = NULL;

    url_of(&s, "/oauth_token.do", url, sizeof(url));
    assert_int_equal(cs_http_oauth_token(h, url, "cid", "client secret!", "refresh/tok", &token,
                                         NULL, err, sizeof(err)),
                     CS_ERR_IO);
    free(server_finish(&s));
    assert_non_null(strstr(err, "500"));
    assert_non_null(strstr(err, "client_secret=***"));
    assert_non_null(strstr(err, "refresh_token=***"));
    assert_null(strstr(err, "client%20secret"));
    assert_null(strstr(err, "refresh%2Ftok"));
    cs_http_close(&h);
}

/* The test transport of http.h: answers "okay" (4 bytes of a longer
 * text, not NUL-terminated) with 201, or fails echoing the request's
 * Authorization header. */
static enum cs_rc transport_send(void *arg, const char *method, const char *url,
                                 const char *const *headers, const char *content_type,
                                 const char *body, struct cs_http_response *resp, char *err,
                                 size_t errlen)
{
    (void)method, (void)url, (void)content_type, (void)body;
    if (*(bool *)arg)
        return cs_fail(err, errlen, CS_ERR_IO, "proxy said no to '%s'", headers[0]);
    resp->status = 201;
    resp->retry_after = 999999;
    resp->body = "okay, and more";
    resp->body_len = 4;
    return CS_OK;
}

static void test_transport_answers_in_place_of_libcurl(void **state)
{
    static const char *const headers[] = {"Authorization: Bearer Tr4nsp0rtT0ken", NULL};
    bool fail = false;
    struct cs_http_transport t = {.send = transport_send, .arg = &fail};
    struct cs_http *h = client(5000);
    struct cs_http_response resp;
    char err[CS_ERRLEN] = "";

    cs_http_set_transport(&t);
    /* No server listens there: only the transport can answer. */
    assert_int_equal(cs_http_request(h, "GET", "http://127.0.0.1:1/x", headers, NULL, NULL, NULL,
                                     NULL, &resp, err, sizeof(err)),
                     CS_OK);
    assert_int_equal(resp.status, 201);
    assert_int_equal(resp.body_len, 4);
    assert_string_equal(resp.body, "okay");
    assert_int_equal(resp.retry_after, 86400);

    /* A transport failure is scrubbed of the request's secrets. */
    fail = true;
    assert_int_equal(cs_http_request(h, "GET", "http://127.0.0.1:1/x?q=1", headers, NULL, NULL,
                                     NULL, NULL, &resp, err, sizeof(err)),
                     CS_ERR_IO);
    assert_string_equal(err,
                        "GET http://127.0.0.1:1/x: proxy said no to 'Authorization: Bearer ***'");
    cs_http_set_transport(NULL);
    cs_http_close(&h);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_429_is_busy_with_wait),
        cmocka_unit_test(test_failure_503_busy_only_with_retry_after),
        cmocka_unit_test(test_failure_401_403_say_credentials),
        cmocka_unit_test(test_failure_other_4xx_final_5xx_may_pass),
        cmocka_unit_test(test_failure_message_hides_userinfo_and_query),
        cmocka_unit_test(test_failure_body_is_one_short_line),
        cmocka_unit_test(test_failure_excerpt_never_splits_utf8),
        cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_retry_after_http_date),
        cmocka_unit_test(test_escape_keeps_only_unreserved),
        cmocka_unit_test(test_url_ok),
        cmocka_unit_test(test_request_gets_status_body_and_retry_after),
        cmocka_unit_test(test_request_answer_over_cap_fails),
        cmocka_unit_test(test_request_announced_over_cap_fails_at_once),
        cmocka_unit_test(test_request_times_out_and_says_so),
        cmocka_unit_test(test_request_refused_connection_is_io),
        cmocka_unit_test(test_request_refuses_other_protocols),
        cmocka_unit_test(test_oauth_token_is_asked_once_and_kept),
        cmocka_unit_test(test_oauth_refused_grant_is_usage_without_secrets),
        cmocka_unit_test(test_oauth_token_with_a_line_end_is_refused),
        cmocka_unit_test(test_echoed_header_secrets_are_scrubbed),
        cmocka_unit_test(test_echoed_basic_auth_is_scrubbed),
        cmocka_unit_test(test_bearer_token_is_scrubbed_also_percent_encoded),
        cmocka_unit_test(test_secret_url_path_and_sig_are_scrubbed),
        cmocka_unit_test(test_scrub_drops_a_secret_cut_at_the_end),
        cmocka_unit_test(test_oauth_secrets_are_scrubbed_from_echoes),
        cmocka_unit_test(test_transport_answers_in_place_of_libcurl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
