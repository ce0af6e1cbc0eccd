/*
 * A small HTTP client for the ticketing and webhook channels, over
 * libcurl: one request at a time, JSON or form bodies, the answer kept in
 * memory up to a cap, TLS verified (against ca_file when given), a
 * whole-request deadline. It also turns an answer into the outbox's
 * classes of failure (notify.h): 429 and 503 with Retry-After are rate
 * limits, 401/403 and other 4xx are configuration errors, 5xx, timeouts
 * and refused connections are failures that may pass.
 */
#ifndef CS_HTTP_H
#define CS_HTTP_H

#include "cs.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cs_http;

/* Opens a client: one libcurl handle, reused so connections are kept.
 * ca_file may be NULL (the system store); timeout_ms 0 is 30 s. Only
 * http:// and https:// URLs are fetched, redirects are not followed, TLS
 * is 1.2 or later and always verified. */
enum cs_rc cs_http_open(const char *ca_file, unsigned timeout_ms, struct cs_http **out, char *err,
                        size_t errlen);
void cs_http_close(struct cs_http **http);

/* One answer. body is NUL-terminated and owned by the client: valid until
 * its next request. */
struct cs_http_response {
    long status;      /* 0 when no answer came */
    const char *body; /* "" when none */
    size_t body_len;
    unsigned retry_after; /* seconds from a Retry-After header, 0 when none */
};

/*
 * Sends method ("GET", "POST", "PUT", "PATCH") to url with the given
 * headers (NULL-terminated list of "Name: value"; may be NULL) and body
 * (NULL for none; content_type names it). Basic auth when user is not
 * NULL. Returns CS_OK whenever an HTTP answer came, whatever its status;
 * otherwise the transport failure (CS_ERR_IO: refused, timed out, TLS,
 * an answer over CS_HTTP_BODY_MAX) with err naming the URL and the
 * reason. The URL's query never reaches err (long, and of no help to a
 * reader), and the credentials the request carries are kept by the
 * client to be scrubbed from this and every later failure text (see
 * cs_http_scrub).
 */
enum cs_rc cs_http_request(struct cs_http *http, const char *method, const char *url,
                           const char *const *headers, const char *content_type, const char *body,
                           const char *user, const char *password, struct cs_http_response *resp,
                           char *err, size_t errlen);

/*
 * The outbox's verdict on an answer that is not a success (notify.h):
 * CS_ERR_BUSY for 429 (and 503 with Retry-After, *retry_after_s set),
 * CS_ERR_USAGE for 401/403 ("the server refused the credentials: check
 * ...") and other 4xx, CS_ERR_IO for 5xx. err gets "METHOD URL: STATUS"
 * and the start of the body (one line, at most ~200 characters), scrubbed
 * of http's secrets (http may be NULL: nothing to scrub).
 */
enum cs_rc cs_http_failure(const struct cs_http *http, const char *method, const char *url,
                           const struct cs_http_response *resp, unsigned *retry_after_s, char *err,
                           size_t errlen);

/*
 * Secrets in error texts. The client keeps every credential its requests
 * carried (sensitive header values such as Authorization and authtoken,
 * the credential after "Bearer ", "Basic " or "Zoho-oauthtoken ", the
 * basic-auth password, "user:password" and its base64, the OAuth client
 * secret, refresh token and access tokens), each raw, percent-encoded and
 * percent-decoded, until cs_http_close() wipes them.
 *
 * cs_http_scrub() replaces each of them in text (a NUL-terminated string
 * in a buffer of textlen bytes) by "***" (or the label it was added with),
 * matching case-insensitively and the longest first; a text that fills
 * its buffer loses an end that starts a secret (it may have been cut
 * there). The client's own failure texts (cs_http_request,
 * cs_http_failure, cs_http_oauth_token) are scrubbed already; callers
 * scrub the texts they build from answers themselves. Secrets shorter
 * than 4 characters are not scrubbed. Accepts a NULL http (does nothing).
 */
void cs_http_scrub(const struct cs_http *http, char *text, size_t textlen);

/* Adds a secret the client cannot see in a request (one that travels in
 * the body, as PagerDuty's routing key), shown as label ("***" when
 * NULL; a static string). CS_ERR_NOMEM when it cannot be kept. */
enum cs_rc cs_http_secret_add(struct cs_http *http, const char *value, const char *label);

/* Marks the URLs the client fetches as secrets (Slack, Teams and generic
 * webhooks: whoever knows the URL can post): their path is shown as
 * "/...", and the path, the query and each value in the query (Teams'
 * sig=) are scrubbed like the other secrets. */
void cs_http_url_secret(struct cs_http *http, bool secret);

/* The largest answer kept; a longer one fails the request. */
#define CS_HTTP_BODY_MAX (1024 * 1024)

/*
 * A Retry-After value (RFC 9110 10.2.3) as seconds to wait from now:
 * delay-seconds ("120") or an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00
 * GMT"). 0 for a date already past or a value it cannot read; at most one
 * day, whatever the server asks.
 */
unsigned cs_http_retry_after_parse(const char *value, time_t now);

/*
 * An OAuth 2 access token by the refresh-token grant (RFC 6749 6), as
 * ServiceDesk Plus cloud (Zoho accounts /oauth/v2/token) and ServiceNow
 * (/oauth_token.do) issue them: POSTs grant_type=refresh_token, client_id,
 * client_secret and refresh_token, form-encoded, to token_url, and reads
 * access_token and expires_in from the JSON answer. The token is kept in
 * http and given again, without a request, until 60 s before it expires
 * (expires_in absent: after 30 minutes), as long as token_url and
 * client_id are the same. *token points into http: valid until the next
 * call, cs_http_oauth_forget() or cs_http_close(). The request replaces
 * the client's last answer.
 *
 * Failures as cs_http_failure(), except that an endpoint refusing the
 * grant (400 or 401, or Zoho's {"error": "invalid_code"} inside a 200) is
 * CS_ERR_USAGE naming the error code. No secret reaches err.
 */
enum cs_rc cs_http_oauth_token(struct cs_http *http, const char *token_url, const char *client_id,
                               const char *client_secret, const char *refresh_token,
                               const char **token, unsigned *retry_after_s, char *err,
                               size_t errlen);

/* Drops the kept access token (when the API refused it with a 401), so
 * that the next cs_http_oauth_token() asks for a new one. Accepts NULL. */
void cs_http_oauth_forget(struct cs_http *http);

/* ---- for tests and fuzzing only ------------------------------------------ */

/*
 * A transport that answers cs_http_request() in place of libcurl, so that
 * a test or a fuzz harness can hand the ticketing and webhook channels
 * answers without a network. Never set in certsweep itself.
 *
 * send gets what the request would send (method, url, the caller's header
 * lines, content_type and body, NULL when none; no basic-auth line) and
 * fills resp: status, retry_after (seconds, as cs_http_retry_after_parse()
 * would read the header) and body_len bytes at body, which need not be
 * NUL-terminated and need only stay valid until send returns. A result
 * other than CS_OK is a transport failure (a refused connection, a
 * timeout) with err saying why.
 *
 * Everything else is done as on the network: the request's secrets are
 * kept, the answer is copied into the client (CS_ERR_IO past
 * CS_HTTP_BODY_MAX), and failure texts are scrubbed.
 */
struct cs_http_transport {
    enum cs_rc (*send)(void *arg, const char *method, const char *url, const char *const *headers,
                       const char *content_type, const char *body, struct cs_http_response *resp,
                       char *err, size_t errlen);
    void *arg;
};

/* Sends every request of every client, open or opened later, through t
 * (copied) until it is called again with NULL, which restores libcurl.
 * Process-wide, so that it reaches the clients channels open for
 * themselves; certsweep has one thread. */
void cs_http_set_transport(const struct cs_http_transport *t);

/* "a%20b": percent-encodes text for a URL query or a form field. The
 * caller frees the result; NULL when out of memory. */
char *cs_http_escape(const char *text);

/* Whether url is https://, or http:// (accepted with a warning). */
bool cs_http_url_ok(const char *url);

#endif
