/*
 * The HTTP client of the ticketing and webhook channels (http.h), over one
 * libcurl easy handle. Each request starts from curl_easy_reset(), which
 * clears the options of the previous one (its method, body, headers) but
 * keeps the live connections and TLS sessions, so the options of one
 * request never leak into the next.
 *
 * What is never done: following a redirect (it would carry the
 * credentials elsewhere), a protocol other than http and https, TLS below
 * 1.2 or without verification, keeping more than CS_HTTP_BODY_MAX of an
 * answer, or writing a header, a password or a URL's query into err.
 *
 * Secrets in error texts. A server or a proxy may echo what it was sent
 * (headers, the URL) into its answer, and libcurl's own messages may name
 * the URL; the client is the one place that knows what it sent. So every
 * credential a request carries (the values of Authorization, authtoken and
 * similar headers, and the part after "Bearer ", "Basic " or
 * "Zoho-oauthtoken "; the basic-auth password, "user:password" and its
 * base64; the OAuth client secret, refresh token and access token; a URL's
 * path and query when the caller said the URL is a secret; what the caller
 * added with cs_http_secret_add) is kept in the client, raw,
 * percent-encoded and percent-decoded, until it is closed, and every
 * failure text it writes is scrubbed of them (cs_http_scrub). The texts
 * are scrubbed before they are cut to length, so that a cut cannot leave
 * the start of a secret behind.
 */
#include "http.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 30000
#define RETRY_AFTER_MAX_S 86400
#define EXCERPT_MAX 200
/* A kept token is given up this long before it expires, so that it does
 * not expire between being handed out and being used. */
#define TOKEN_MARGIN_S 60
#define TOKEN_DEFAULT_LIFE_S 1800
/* Secrets shorter than this are not scrubbed: they would match ordinary
 * words. The oldest are dropped past SECRETS_MAX (a client that lives
 * through many OAuth tokens). */
#define SECRET_MIN 4
#define SECRETS_MAX 64
#define REDACTED "***"
/* What a secret URL's path (and query) is shown as, as webhook.h's
 * cs_webhook_url_shown() does. */
#define REDACTED_PATH "/..."
/* Room for a failure text before it is scrubbed and cut to errlen. */
#define MESSAGE_MAX 2048

/* A value that must not reach an error text, and what replaces it. */
struct secret {
    char *value;
    size_t len;
    const char *label; /* static */
};

struct cs_http {
    CURL *curl;
    char *ca_file;
    unsigned timeout_ms;
    char errbuf[CURL_ERROR_SIZE];

    /* The answer of the current request. */
    char *body;
    size_t len, cap;
    bool too_big;
    unsigned retry_after;

    /* The kept OAuth access token, and what it was asked for with. */
    char *token;
    char *token_url;
    char *token_client;
    time_t token_expires;

    /* What never reaches an error text (see the top of the file). */
    struct secret secrets[SECRETS_MAX];
    size_t nsecrets;
    bool url_secret;
};

/* The test transport (http.h); send is NULL on the real path. */
static struct cs_http_transport transport;

/* ---- small helpers ------------------------------------------------------- */

/* url as it may appear in a message: without userinfo, query or fragment. */
static void url_for_message(const char *url, char *buf, size_t buflen)
{
    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : url;
    size_t authority_len = strcspn(authority, "/?#");
    const char *host = authority;

    for (size_t i = 0; i < authority_len; i++)
        if (authority[i] == '@')
            host = authority + i + 1;
    snprintf(buf, buflen, "%.*s%.*s", (int)(authority - url), url, (int)strcspn(host, "?#"), host);
}

/* Wipes and frees a string that may hold a secret. */
static void free_secret(char **p)
{
    if (*p == NULL)
        return;
    volatile char *v = *p;
    while (*v)
        *v++ = '\0';
    free(*p);
    *p = NULL;
}

/* ---- secrets ------------------------------------------------------------- */

/* Keeps value[0..len) as a secret shown as label; false when out of
 * memory. Short values and ones already kept are skipped. */
static bool secret_keep(struct cs_http *h, const char *value, size_t len, const char *label)
{
    if (value == NULL || len < SECRET_MIN)
        return true;
    for (size_t i = 0; i < h->nsecrets; i++)
        if (h->secrets[i].len == len && memcmp(h->secrets[i].value, value, len) == 0)
            return true;
    /* value need not end at len: no strndup, which may read on. */
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, value, len);
    copy[len] = '\0';
    if (h->nsecrets == SECRETS_MAX) {
        free_secret(&h->secrets[0].value);
        memmove(&h->secrets[0], &h->secrets[1], (SECRETS_MAX - 1) * sizeof(h->secrets[0]));
        h->nsecrets--;
    }
    h->secrets[h->nsecrets++] = (struct secret){.value = copy, .len = len, .label = label};
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Keeps value[0..len) in the forms it can take in an echo: as it is,
 * percent-encoded (a server quoting its query), and percent-decoded (a
 * URL that carried it encoded). */
static bool secret_keep_forms(struct cs_http *h, const char *value, size_t len, const char *label)
{
    char *raw = NULL, *enc = NULL, *dec = NULL;
    bool ok = false;

    if (value == NULL || len < SECRET_MIN)
        return true;
    if (!secret_keep(h, value, len, label) || (raw = strndup(value, len)) == NULL ||
        (enc = cs_http_escape(raw)) == NULL || !secret_keep(h, enc, strlen(enc), label) ||
        (dec = malloc(len + 1)) == NULL)
        goto out;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (raw[i] == '%' && i + 2 < len && hex_value(raw[i + 1]) >= 0 &&
            hex_value(raw[i + 2]) >= 0) {
            dec[j++] = (char)(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
            i += 2;
        } else {
            dec[j++] = raw[i];
        }
    }
    dec[j] = '\0';
    ok = secret_keep(h, dec, j, label);
out:
    if (dec != NULL)
        memset(dec, 0, len + 1);
    free(dec);
    free_secret(&raw);
    free_secret(&enc);
    return ok;
}

/* base64 (RFC 4648) of data, as basic auth sends "user:password"; the
 * caller frees it. */
static char *base64(const char *data, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    const unsigned char *p = (const unsigned char *)data;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? abc[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Whether a header of this name carries a credential. */
static bool header_is_secret(const char *name, size_t len)
{
    static const char *const names[] = {"authorization",  "proxy-authorization", "authtoken",
                                        "technician_key", "x-api-key",           "cookie"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
            return true;
    return false;
}

/* Keeps the credentials one request carries: sensitive header values (the
 * credential after an auth scheme), the basic-auth password, user:password
 * and its base64, the password of a URL's userinfo, and the URL's path
 * and query when the client's URLs are secret. */
static bool secrets_of_request(struct cs_http *h, const char *url, const char *const *headers,
                               const char *user, const char *password)
{
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        const char *line = headers[i], *colon = strchr(line, ':');
        if (colon == NULL || !header_is_secret(line, (size_t)(colon - line)))
            continue;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        /* "Bearer TOKEN": the token is the secret, the scheme is not (and
         * "Bearer" left in a message says which credential it was). */
        const char *space = strchr(v, ' ');
        if (space != NULL && strncasecmp(line, "authorization", 13) == 0) {
            v = space + 1;
            while (*v == ' ')
                v++;
        }
        if (!secret_keep_forms(h, v, strlen(v), REDACTED))
            return false;
    }
    if (user != NULL) {
        const char *pw = password ? password : "";
        size_t n = strlen(user) + 1 + strlen(pw);
        char *pair = malloc(n + 1), *b64 = NULL;
        bool ok = pair != NULL;
        if (ok) {
            snprintf(pair, n + 1, "%s:%s", user, pw);
            ok = (b64 = base64(pair, n)) != NULL && secret_keep(h, b64, strlen(b64), REDACTED) &&
                 secret_keep_forms(h, pair, n, REDACTED) &&
                 secret_keep_forms(h, pw, strlen(pw), REDACTED);
        }
        free_secret(&pair);
        free_secret(&b64);
        if (!ok)
            return false;
    }

    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : url;
    size_t authority_len = strcspn(authority, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < authority_len; i++)
        if (authority[i] == '@')
            at = authority + i;
    if (at != NULL) {
        const char *colon = memchr(authority, ':', (size_t)(at - authority));
        if (colon != NULL && !secret_keep_forms(h, colon + 1, (size_t)(at - colon - 1), REDACTED))
            return false;
    }
    if (h->url_secret) {
        const char *path = authority + authority_len;
        size_t path_len = strcspn(path, "?#");
        const char *query = path + path_len;
        /* The whole of it, the path alone (messages name a URL without
         * its query), the query alone and each value in it (Teams' sig=). */
        if ((strlen(path) > 1 && !secret_keep_forms(h, path, strlen(path), REDACTED_PATH)) ||
            (path_len > 1 && !secret_keep_forms(h, path, path_len, REDACTED_PATH)) ||
            (*query == '?' && !secret_keep_forms(h, query + 1, strcspn(query + 1, "#"), REDACTED)))
            return false;
        for (const char *p = *query == '?' ? query + 1 : ""; *p && *p != '#';) {
            size_t n = strcspn(p, "&#");
            const char *eq = memchr(p, '=', n);
            if (eq != NULL && !secret_keep_forms(h, eq + 1, n - (size_t)(eq + 1 - p), REDACTED))
                return false;
            p += n;
            if (*p == '&')
                p++;
        }
    }
    return true;
}

enum cs_rc cs_http_secret_add(struct cs_http *http, const char *value, const char *label)
{
    if (http == NULL || value == NULL)
        return CS_OK;
    return secret_keep_forms(http, value, strlen(value), label ? label : REDACTED) ? CS_OK
                                                                                   : CS_ERR_NOMEM;
}

void cs_http_url_secret(struct cs_http *http, bool secret)
{
    if (http != NULL)
        http->url_secret = secret;
}

/* The kept secret that text starts with (the longest), or NULL. */
static const struct secret *secret_at(const struct cs_http *h, const char *text, size_t left)
{
    const struct secret *best = NULL;
    for (size_t i = 0; i < h->nsecrets; i++) {
        const struct secret *s = &h->secrets[i];
        if (s->len <= left && (best == NULL || s->len > best->len) &&
            strncasecmp(text, s->value, s->len) == 0)
            best = s;
    }
    return best;
}

/* Whether text (all of what is left) is the start of a kept secret. */
static bool secret_starts(const struct cs_http *h, const char *text, size_t left)
{
    for (size_t i = 0; i < h->nsecrets; i++)
        if (left >= SECRET_MIN && left < h->secrets[i].len &&
            strncasecmp(text, h->secrets[i].value, left) == 0)
            return true;
    return false;
}

void cs_http_scrub(const struct cs_http *http, char *text, size_t textlen)
{
    size_t n, j = 0;
    char *out;

    if (http == NULL || http->nsecrets == 0 || text == NULL || textlen == 0)
        return;
    n = strnlen(text, textlen - 1);
    text[n] = '\0';
    if ((out = malloc(textlen)) == NULL) {
        /* Cannot be sure: say nothing rather than a secret. */
        snprintf(text, textlen, "(error text withheld: out of memory while hiding secrets)");
        return;
    }
    /* One pass, matching the longest secret at each place (case aside:
     * percent-encodings differ in case), so that a replacement is never
     * matched again. A text that filled its buffer may have been cut in
     * the middle of a secret: its end is dropped if it starts one. */
    for (size_t i = 0; i < n && j < textlen - 1;) {
        const struct secret *s = secret_at(http, text + i, n - i);
        if (s != NULL) {
            size_t take = strlen(s->label);
            if (take > textlen - 1 - j)
                take = textlen - 1 - j;
            memcpy(out + j, s->label, take);
            j += take;
            i += s->len;
        } else if (n == textlen - 1 && secret_starts(http, text + i, n - i)) {
            size_t take = strlen(REDACTED) < textlen - 1 - j ? strlen(REDACTED) : textlen - 1 - j;
            memcpy(out + j, REDACTED, take);
            j += take;
            break;
        } else {
            out[j++] = text[i++];
        }
    }
    out[j] = '\0';
    memcpy(text, out, j + 1);
    memset(out, 0, textlen);
    free(out);
}

/* cs_fail() with the text scrubbed of the client's secrets before it is
 * cut to errlen. http may be NULL. */
static enum cs_rc fail_scrubbed(const struct cs_http *http, char *err, size_t errlen, enum cs_rc rc,
                                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum cs_rc fail_scrubbed(const struct cs_http *http, char *err, size_t errlen, enum cs_rc rc,
                                const char *fmt, ...)
{
    char msg[MESSAGE_MAX];
    va_list ap;

    if (err == NULL || errlen == 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cs_http_scrub(http, msg, sizeof(msg));
    snprintf(err, errlen, "%s", msg);
    return rc;
}

/* ---- libcurl callbacks --------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct cs_http *h = arg;
    size_t n = size * nmemb;

    if (h->len + n > CS_HTTP_BODY_MAX) {
        h->too_big = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    if (h->len + n + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < h->len + n + 1)
            cap *= 2;
        char *p = realloc(h->body, cap);
        if (p == NULL)
            return 0;
        h->body = p;
        h->cap = cap;
    }
    memcpy(h->body + h->len, data, n);
    h->len += n;
    h->body[h->len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct cs_http *h = arg;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    char value[128];

    /* A new status line starts a new answer (after a 100 Continue). */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        h->retry_after = 0;
        return n;
    }
    if (n <= sizeof(name) - 1 || strncasecmp(data, name, sizeof(name) - 1) != 0)
        return n;
    size_t vlen = n - (sizeof(name) - 1);
    const char *v = data + sizeof(name) - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    if (vlen >= sizeof(value))
        return n;
    memcpy(value, v, vlen);
    value[vlen] = '\0';
    h->retry_after = cs_http_retry_after_parse(value, time(NULL));
    return n;
}

/* ---- the client ---------------------------------------------------------- */

enum cs_rc cs_http_open(const char *ca_file, unsigned timeout_ms, struct cs_http **out, char *err,
                        size_t errlen)
{
    static bool curl_ready;
    struct cs_http *h;

    *out = NULL;
    /* Not thread-safe, and need not be: certsweep has one thread. */
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return cs_fail(err, errlen, CS_ERR_RUNTIME, "cannot initialize libcurl");
        curl_ready = true;
    }
    if ((h = calloc(1, sizeof(*h))) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    if ((h->curl = curl_easy_init()) == NULL ||
        (ca_file != NULL && (h->ca_file = strdup(ca_file)) == NULL)) {
        cs_http_close(&h);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "cannot create a libcurl handle");
    }
    h->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
    *out = h;
    return CS_OK;
}

void cs_http_close(struct cs_http **http)
{
    if (http == NULL || *http == NULL)
        return;
    struct cs_http *h = *http;
    if (h->curl != NULL)
        curl_easy_cleanup(h->curl);
    free(h->ca_file);
    free(h->body);
    free_secret(&h->token);
    free(h->token_url);
    free(h->token_client);
    for (size_t i = 0; i < h->nsecrets; i++)
        free_secret(&h->secrets[i].value);
    free(h);
    *http = NULL;
}

/* The reason a transfer failed, with a hint for the common ones. */
static enum cs_rc transfer_failed(struct cs_http *h, CURLcode cc, const char *method,
                                  const char *shown, char *err, size_t errlen)
{
    const char *what = h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc);
    size_t what_len = strlen(what);
    const char *hint = "";

    if (h->too_big || cc == CURLE_FILESIZE_EXCEEDED)
        return fail_scrubbed(h, err, errlen, CS_ERR_IO, "%s %s: the answer is larger than %d bytes",
                             method, shown, CS_HTTP_BODY_MAX);
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        hint = h->ca_file ? "; is ca_file the CA that signed the server's certificate?"
                          : "; name the CA that signed the server's certificate in ca_file";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        hint = "; raise the section's timeout if the server is only slow";
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        hint = "; only http:// and https:// URLs are fetched";
        break;
    default:
        break;
    }
    /* libcurl's sentences may end in a period, which the hint would follow. */
    if (what_len > 0 && what[what_len - 1] == '.')
        what_len--;
    return fail_scrubbed(h, err, errlen, CS_ERR_IO, "%s %s: %.*s%s", method, shown, (int)what_len,
                         what, hint);
}

void cs_http_set_transport(const struct cs_http_transport *t)
{
    transport = t != NULL ? *t : (struct cs_http_transport){0};
}

/* One request answered by the test transport (http.h). The answer goes
 * through on_body() as libcurl's would, for the same cap and the same
 * NUL-terminated copy. */
static enum cs_rc request_by_transport(struct cs_http *h, const char *method, const char *url,
                                       const char *shown, const char *const *headers,
                                       const char *content_type, const char *body,
                                       struct cs_http_response *resp, char *err, size_t errlen)
{
    struct cs_http_response answer = {.body = ""};
    char why[MESSAGE_MAX] = "";
    enum cs_rc rc;

    rc = transport.send(transport.arg, method, url, headers, content_type, body, &answer, why,
                        sizeof(why));
    if (rc != CS_OK)
        return fail_scrubbed(h, err, errlen, rc, "%s %s: %s", method, shown,
                             why[0] ? why : "the test transport failed");
    if (answer.body != NULL && answer.body_len > 0 &&
        on_body((char *)answer.body, 1, answer.body_len, h) != answer.body_len) {
        if (h->too_big)
            return fail_scrubbed(h, err, errlen, CS_ERR_IO,
                                 "%s %s: the answer is larger than %d bytes", method, shown,
                                 CS_HTTP_BODY_MAX);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    resp->status = answer.status;
    resp->body = h->body ? h->body : "";
    resp->body_len = h->len;
    resp->retry_after =
        answer.retry_after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : answer.retry_after;
    return CS_OK;
}

enum cs_rc cs_http_request(struct cs_http *http, const char *method, const char *url,
                           const char *const *headers, const char *content_type, const char *body,
                           const char *user, const char *password, struct cs_http_response *resp,
                           char *err, size_t errlen)
{
    struct cs_http *h = http;
    struct curl_slist *list = NULL;
    char shown[512], ctype[160];
    enum cs_rc rc = CS_OK;
    bool failed = false;
    CURL *c = h->curl;

    *resp = (struct cs_http_response){.body = ""};
    url_for_message(url, shown, sizeof(shown));
    h->len = 0;
    h->too_big = false;
    h->retry_after = 0;
    h->errbuf[0] = '\0';
    if (h->body != NULL)
        h->body[0] = '\0';
    if (!secrets_of_request(h, url, headers, user, password))
        goto nomem;
    if (transport.send != NULL) {
        rc = request_by_transport(h, method, url, shown, headers, content_type, body, resp, err,
                                  errlen);
        goto out;
    }

    /* "Expect:" keeps libcurl from waiting for a 100 Continue on a large
     * body, which some proxies never send. */
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        struct curl_slist *l = curl_slist_append(list, headers[i]);
        if (l == NULL)
            goto nomem;
        list = l;
    }
    if (body != NULL && content_type != NULL) {
        snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
        struct curl_slist *l = curl_slist_append(list, ctype);
        if (l == NULL)
            goto nomem;
        list = l;
    }
    struct curl_slist *l = curl_slist_append(list, "Expect:");
    if (l == NULL)
        goto nomem;
    list = l;

    curl_easy_reset(c);
    /* Each option that can fail is checked: an unknown protocol list or a
     * TLS option the libcurl build lacks must not quietly weaken TLS. */
    failed |= curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    if (h->ca_file != NULL)
        failed |= curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms) != CURLE_OK;
    failed |=
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CS_HTTP_BODY_MAX) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_USERAGENT, "certsweep") != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_WRITEDATA, h) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_HEADERDATA, h) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, list) != CURLE_OK;
    if (user != NULL) {
        failed |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
        failed |= curl_easy_setopt(c, CURLOPT_USERNAME, user) != CURLE_OK;
        failed |= curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "") != CURLE_OK;
    }
    if (strcmp(method, "GET") == 0) {
        failed |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK;
    } else {
        /* POSTFIELDS makes the request a POST; any other method is named. */
        failed |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                                   (curl_off_t)(body ? strlen(body) : 0)) != CURLE_OK;
        failed |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "") != CURLE_OK;
        if (strcmp(method, "POST") != 0)
            failed |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK;
    }
    if (failed) {
        rc = fail_scrubbed(h, err, errlen, CS_ERR_RUNTIME,
                           "%s %s: libcurl refused an option (is it built with HTTPS?)", method,
                           shown);
        goto out;
    }

    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = transfer_failed(h, cc, method, shown, err, errlen);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->body = h->body ? h->body : "";
    resp->body_len = h->len;
    resp->retry_after = h->retry_after;
    goto out;

nomem:
    rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    /* The handle must not keep pointers to the caller's strings or to the
     * list freed here; the next request resets it anyway. */
    curl_easy_reset(c);
    curl_slist_free_all(list);
    return rc;
}

/* ---- verdicts ------------------------------------------------------------ */

/* The start of body on one line: controls and runs of blanks become one
 * space, at most max bytes, cut at a character boundary. */
static void excerpt(const char *body, char *buf, size_t buflen, size_t max)
{
    size_t j = 0;

    if (max > buflen - 1)
        max = buflen - 1;
    bool space = true; /* no leading space */
    const unsigned char *p = (const unsigned char *)body;

    for (; *p && j < max; p++) {
        if (*p < ' ' || *p == 127 || *p == ' ') {
            if (!space)
                buf[j++] = ' ';
            space = true;
            continue;
        }
        buf[j++] = (char)*p;
        space = false;
    }
    /* Cut inside a UTF-8 character: drop its first bytes as well. */
    if ((*p & 0xc0) == 0x80) {
        while (j > 0 && ((unsigned char)buf[j - 1] & 0xc0) == 0x80)
            j--;
        if (j > 0 && (unsigned char)buf[j - 1] >= 0xc0)
            j--;
    }
    while (j > 0 && buf[j - 1] == ' ')
        j--;
    buf[j] = '\0';
}

enum cs_rc cs_http_failure(const struct cs_http *http, const char *method, const char *url,
                           const struct cs_http_response *resp, unsigned *retry_after_s, char *err,
                           size_t errlen)
{
    char shown[512], text[MESSAGE_MAX], body[EXCERPT_MAX + 4] = "";
    long status = resp->status;
    enum cs_rc rc;
    const char *what;

    url_for_message(url, shown, sizeof(shown));
    /* A long excerpt is scrubbed first and cut after, so that the cut
     * cannot fall inside a secret and leave its start. */
    excerpt(resp->body ? resp->body : "", text, sizeof(text), sizeof(text) - 1);
    cs_http_scrub(http, text, sizeof(text));
    excerpt(text, body + 2, sizeof(body) - 2, EXCERPT_MAX);
    if (body[2] != '\0')
        memcpy(body, ": ", 2);
    else
        body[0] = '\0';
    if (retry_after_s != NULL)
        *retry_after_s = 0;

    if (status == 429 || (status == 503 && resp->retry_after > 0)) {
        if (retry_after_s != NULL)
            *retry_after_s = resp->retry_after;
        if (resp->retry_after > 0)
            return fail_scrubbed(http, err, errlen, CS_ERR_BUSY,
                                 "%s %s: %ld: rate-limited by the server, retry after %u s%s",
                                 method, shown, status, resp->retry_after, body);
        return fail_scrubbed(http, err, errlen, CS_ERR_BUSY,
                             "%s %s: %ld: rate-limited by the server%s", method, shown, status,
                             body);
    }
    if (status == 401) {
        rc = CS_ERR_USAGE;
        what = ": the server refused the credentials: check them in the configuration";
    } else if (status == 403) {
        rc = CS_ERR_USAGE;
        what = ": the server refused the credentials or their rights: check the account and "
               "its roles";
    } else if (status == 404) {
        rc = CS_ERR_USAGE;
        what = ": not found: check the url (and table or project) in the configuration";
    } else if (status == 408 || status == 425) {
        rc = CS_ERR_IO; /* timing, not the request */
        what = "";
    } else if (status >= 400 && status < 500) {
        rc = CS_ERR_USAGE;
        what = ": the server refused the request";
    } else if (status >= 500) {
        rc = CS_ERR_IO;
        what = ": server error";
    } else {
        /* A 1xx, 2xx or 3xx where the caller wanted another: a redirect is
         * not followed (it would take the credentials along), so the url
         * is likely wrong. */
        rc = CS_ERR_USAGE;
        what = status >= 300 && status < 400 ? ": redirected; set the url the server redirects to"
                                             : ": unexpected answer";
    }
    return fail_scrubbed(http, err, errlen, rc, "%s %s: %ld%s%s", method, shown, status, what,
                         body);
}

/* ---- Retry-After --------------------------------------------------------- */

unsigned cs_http_retry_after_parse(const char *value, time_t now)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char wday[4], mon[4], zone[4];
    struct tm tm = {0};
    int consumed = 0;

    if (value == NULL)
        return 0;
    while (*value == ' ' || *value == '\t')
        value++;
    if (isdigit((unsigned char)*value)) {
        unsigned long long s = 0;
        const char *p = value;
        for (; isdigit((unsigned char)*p); p++)
            if (s <= RETRY_AFTER_MAX_S)
                s = s * 10 + (unsigned)(*p - '0');
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '\0')
            return 0;
        return s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (unsigned)s;
    }

    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". The obsolete forms
     * (RFC 850, asctime) are not read: servers no longer send them. */
    if (sscanf(value, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wday, &tm.tm_mday,
               mon, &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, zone, &consumed) != 8 ||
        value[consumed] != '\0' || strcmp(zone, "GMT") != 0)
        return 0;
    tm.tm_mon = -1;
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, months[i]) == 0)
            tm.tm_mon = i;
    if (tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60 || tm.tm_year < 1970)
        return 0;
    tm.tm_year -= 1900;
    time_t at = timegm(&tm);
    if (at == (time_t)-1 || at <= now)
        return 0;
    return at - now > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (unsigned)(at - now);
}

/* ---- OAuth 2 ------------------------------------------------------------- */

void cs_http_oauth_forget(struct cs_http *http)
{
    if (http == NULL)
        return;
    free_secret(&http->token);
    http->token_expires = 0;
}

/* "name=value&" with value percent-encoded, appended to a form body. */
static bool form_add(char **form, size_t *len, const char *name, const char *value)
{
    char *enc = cs_http_escape(value ? value : "");
    if (enc == NULL)
        return false;
    size_t add = strlen(name) + 1 + strlen(enc) + 1;
    char *p = realloc(*form, *len + add + 1);
    if (p == NULL) {
        free_secret(&enc);
        return false;
    }
    *form = p;
    *len += (size_t)snprintf(p + *len, add + 1, "%s%s=%s", *len ? "&" : "", name, enc);
    free_secret(&enc);
    return true;
}

enum cs_rc cs_http_oauth_token(struct cs_http *http, const char *token_url, const char *client_id,
                               const char *client_secret, const char *refresh_token,
                               const char **token, unsigned *retry_after_s, char *err,
                               size_t errlen)
{
    static const char *const headers[] = {"Accept: application/json", NULL};
    struct cs_http_response resp;
    char shown[512];
    char *form = NULL;
    size_t form_len = 0;
    cJSON *answer = NULL;
    enum cs_rc rc;
    time_t now = time(NULL);

    *token = NULL;
    if (retry_after_s != NULL)
        *retry_after_s = 0;
    if (token_url == NULL || refresh_token == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "OAuth needs oauth_token_url and oauth_refresh_token");
    url_for_message(token_url, shown, sizeof(shown));
    if (http->token != NULL && now + TOKEN_MARGIN_S < http->token_expires &&
        http->token_url != NULL && strcmp(http->token_url, token_url) == 0 &&
        strcmp(http->token_client ? http->token_client : "", client_id ? client_id : "") == 0) {
        *token = http->token;
        return CS_OK;
    }
    cs_http_oauth_forget(http);

    if (cs_http_secret_add(http, client_secret, NULL) != CS_OK ||
        cs_http_secret_add(http, refresh_token, NULL) != CS_OK) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!form_add(&form, &form_len, "grant_type", "refresh_token") ||
        !form_add(&form, &form_len, "client_id", client_id) ||
        !form_add(&form, &form_len, "client_secret", client_secret) ||
        !form_add(&form, &form_len, "refresh_token", refresh_token)) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = cs_http_request(http, "POST", token_url, headers, "application/x-www-form-urlencoded",
                         form, NULL, NULL, &resp, err, errlen);
    if (rc != CS_OK)
        goto out;

    answer = cJSON_ParseWithLength(resp.body, resp.body_len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(answer, "error");
    const cJSON *access = cJSON_GetObjectItemCaseSensitive(answer, "access_token");
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(answer, "expires_in");
    if ((resp.status == 400 || resp.status == 401 || resp.status == 200) && cJSON_IsString(error)) {
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(answer, "error_description");
        char e[81], d[161] = "";
        excerpt(error->valuestring, e, sizeof(e), EXCERPT_MAX);
        if (cJSON_IsString(desc))
            excerpt(desc->valuestring, d, sizeof(d), EXCERPT_MAX);
        rc = fail_scrubbed(
            http, err, errlen, CS_ERR_USAGE,
            "POST %s: %ld: the token endpoint refused the refresh token: %s%s%s (check "
            "oauth_client_id, oauth_client_secret and oauth_refresh_token)",
            shown, resp.status, e, d[0] ? ": " : "", d);
        goto out;
    }
    if (resp.status != 200) {
        rc = cs_http_failure(http, "POST", token_url, &resp, retry_after_s, err, errlen);
        goto out;
    }
    if (!cJSON_IsString(access) || access->valuestring[0] == '\0') {
        rc = cs_fail(err, errlen, CS_ERR_IO, "POST %s: %ld: the answer carries no access_token",
                     shown, resp.status);
        goto out;
    }
    /* The token goes into a header line: nothing that could end it. */
    for (const unsigned char *p = (const unsigned char *)access->valuestring; *p; p++) {
        if (*p <= ' ' || *p >= 127) {
            rc = cs_fail(err, errlen, CS_ERR_IO,
                         "POST %s: %ld: the access_token is not printable ASCII", shown,
                         resp.status);
            goto out;
        }
    }
    double life = cJSON_IsNumber(expires) ? expires->valuedouble : 0;
    if (cJSON_IsString(expires)) /* some servers quote it */
        life = strtod(expires->valuestring, NULL);
    if (!(life > 0) || life > 86400.0 * 366)
        life = TOKEN_DEFAULT_LIFE_S;
    if (cs_http_secret_add(http, access->valuestring, NULL) != CS_OK) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    free(http->token_url);
    free(http->token_client);
    http->token = strdup(access->valuestring);
    http->token_url = strdup(token_url);
    http->token_client = strdup(client_id ? client_id : "");
    if (http->token == NULL || http->token_url == NULL || http->token_client == NULL) {
        cs_http_oauth_forget(http);
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    http->token_expires = now + (time_t)life;
    *token = http->token;
    rc = CS_OK;

out:
    if (answer != NULL) {
        /* The answer held the token: wipe the parsed copy and the body. */
        const cJSON *access_item = cJSON_GetObjectItemCaseSensitive(answer, "access_token");
        if (cJSON_IsString(access_item))
            memset(access_item->valuestring, 0, strlen(access_item->valuestring));
        cJSON_Delete(answer);
    }
    if (http->body != NULL)
        memset(http->body, 0, http->len);
    http->len = 0;
    free_secret(&form);
    return rc;
}

/* ---- URLs ---------------------------------------------------------------- */

char *cs_http_escape(const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(text);
    char *out = malloc(3 * n + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        /* RFC 3986 2.3's unreserved characters, whatever the locale. */
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

bool cs_http_url_ok(const char *url)
{
    size_t scheme;

    if (url == NULL)
        return false;
    if (strncasecmp(url, "https://", 8) == 0)
        scheme = 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        scheme = 7;
    else
        return false;
    /* A host must follow; no spaces or controls anywhere. */
    if (url[scheme] == '\0' || url[scheme] == '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 127)
            return false;
    return true;
}
