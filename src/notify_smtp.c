/*
 * The email channel: SMTP through libcurl. A session is one easy handle,
 * so that libcurl keeps the connection (and its TLS session) from one
 * message to the next; each message is one MAIL FROM, RCPT TO..., DATA
 * transaction carrying a multipart/alternative body, text and HTML.
 *
 * TLS is never optional once asked for: smtps:// is TLS from the first
 * byte, and smtp:// with starttls = required uses CURLUSESSL_ALL, which
 * fails the transfer when the server offers no STARTTLS instead of
 * sending the message (and the password) in clear, as CURLUSESSL_TRY would.
 */
#include "notify_smtp.h"
#include "log.h"
#include "sbuf.h"
#include "notify.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 30000
/* RFC 5322 2.1.1: lines SHOULD be at most 78 characters; RFC 2047 2: those
 * with encoded-words at most 76, each encoded-word at most 75. */
#define LINE_MAX_PLAIN 78
#define LINE_MAX_ENCODED 76
#define IDEM_KEY_MAX 200

struct cs_channel_session {
    const struct cs_smtp_config *cfg; /* the caller's, which outlives the session */
    CURL *curl;
    char url[256]; /* cfg->url without userinfo, for messages */
    char errbuf[CURL_ERROR_SIZE];
    char reply[256]; /* the server's first error reply in this transaction */
};

/* ---- the message's header ------------------------------------------------ */

void cs_smtp_url_redacted(const char *url, char *buf, size_t buflen)
{
    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : url;
    size_t authority_len = strcspn(authority, "/?#");
    const char *host = authority;

    for (size_t i = 0; i < authority_len; i++)
        if (authority[i] == '@')
            host = authority + i + 1;
    snprintf(buf, buflen, "%.*s%s", (int)(authority - url), url, host);
}

/* "Subject: text", folded at spaces into lines of at most 78 characters,
 * when text is printable ASCII and holds no "=?" that a reader could take
 * for an encoded-word. */
static void subject_plain(struct cs_sbuf *b, const char *text)
{
    size_t line = strlen("Subject:");
    bool first = true;

    cs_sbuf_str(b, "Subject:");
    /* Each word goes after the space that precedes it; a fold puts CRLF
     * before that space, which unfolding takes away again (RFC 5322 2.2.3). */
    for (const char *word = text;; first = false) {
        size_t n = strcspn(word, " ");
        if (!first && line + 1 + n > LINE_MAX_PLAIN) {
            cs_sbuf_str(b, "\r\n");
            line = 0;
        }
        cs_sbuf_add(b, " ", 1);
        cs_sbuf_add(b, word, n);
        line += 1 + n;
        if (word[n] == '\0')
            break;
        word += n + 1;
    }
}

/* "Subject: =?UTF-8?B?...?=", one encoded-word per line, each of whole
 * UTF-8 characters (RFC 2047 5: an encoded-word must not split one). */
static void subject_encoded(struct cs_sbuf *b, const char *text)
{
    size_t n = strlen(text);
    /* 45 bytes are 60 base64 characters, 72 with "=?UTF-8?B?" and "?=":
     * with the leading space 73 on a continuation line. The first line
     * also holds "Subject:", so it gets 39 bytes (52 + 12 + 9 = 73). */
    size_t room = 39;
    unsigned char b64[64];
    bool first = true;

    cs_sbuf_str(b, "Subject:");
    do {
        size_t take = n < room ? n : room;
        /* Back off to the start of a character, unless the bytes are no
         * UTF-8 at all (more than three continuation bytes in a row). */
        size_t cut = take;
        while (cut < n && cut > take - 3 && ((unsigned char)text[cut] & 0xc0) == 0x80)
            cut--;
        if (cut < n && ((unsigned char)text[cut] & 0xc0) != 0x80)
            take = cut;
        EVP_EncodeBlock(b64, (const unsigned char *)text, (int)take);
        if (!first)
            cs_sbuf_str(b, "\r\n");
        cs_sbuf_str(b, " =?UTF-8?B?");
        cs_sbuf_str(b, (const char *)b64);
        cs_sbuf_str(b, "?=");
        text += take;
        n -= take;
        room = 45;
        first = false;
    } while (n > 0);
}

/* The Subject header of text; controls (a CR or LF would end the header)
 * are made spaces first. The caller frees it; NULL when out of memory. */
static char *subject_header(const char *text)
{
    char *clean = strdup(text);
    struct cs_sbuf b = {0};
    bool ascii = true;

    if (clean == NULL)
        return NULL;
    for (unsigned char *p = (unsigned char *)clean; *p; p++) {
        if (*p < ' ' || *p == 127)
            *p = ' ';
        if (*p >= 127)
            ascii = false;
    }
    if (ascii && strstr(clean, "=?") == NULL)
        subject_plain(&b, clean);
    else
        subject_encoded(&b, clean);
    free(clean);
    return cs_sbuf_take(&b);
}

/* "To: a, b, ..." folded after commas into lines of at most 78. */
static char *to_header(const cJSON *to)
{
    struct cs_sbuf b = {0};
    size_t line = strlen("To:");
    const cJSON *address;

    cs_sbuf_str(&b, "To:");
    cJSON_ArrayForEach(address, to)
    {
        size_t n = strlen(address->valuestring);
        if (address != to->child) {
            cs_sbuf_add(&b, ",", 1);
            line++;
            if (line + 1 + n > LINE_MAX_PLAIN) {
                cs_sbuf_str(&b, "\r\n");
                line = 0;
            }
        }
        cs_sbuf_add(&b, " ", 1);
        cs_sbuf_str(&b, address->valuestring);
        line += 1 + n;
    }
    return cs_sbuf_take(&b);
}

/* RFC 5322 3.3, in UTC and in English whatever the locale. */
static void date_header(time_t t, char *buf, size_t len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(buf, len, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * "Message-ID: <KEY@DOMAIN>" (DOMAIN: the sender's), the same for every
 * delivery of a message,
 * so that a receiver (and a threading mail reader) sees a redelivery as
 * the same message. The left part must be a dot-atom (RFC 5322 3.6.4):
 * characters of the key that are not atext, '=' itself, and dots that
 * would lead, trail or double are written =XX, so that two keys never give
 * the same identifier.
 */
static void message_id_header(const char *key, const char *from, char *buf, size_t len)
{
    static const char atext_specials[] = "!#$%&'*+-/?^_`{|}~";
    char hex[4];
    size_t used = (size_t)snprintf(buf, len, "Message-ID: <"); /* len fits any key */
    for (const char *p = key; *p && used + 4 < len; p++) {
        unsigned char c = (unsigned char)*p;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     (c != '\0' && strchr(atext_specials, c) != NULL) ||
                     (c == '.' && p != key && p[1] != '\0' && p[-1] != '.');
        if (plain) {
            buf[used++] = (char)c;
        } else {
            snprintf(hex, sizeof(hex), "=%02X", c);
            memcpy(buf + used, hex, 3);
            used += 3;
        }
    }
    snprintf(buf + used, len - used, "@%s>", strrchr(from, '@') + 1); /* checked by config.c */
}

/* Text with its line ends made CRLF, as SMTP carries them (a lone LF would
 * otherwise be encoded as =0A). The caller frees it. */
static char *crlf_text(const char *text)
{
    struct cs_sbuf b = {0};

    cs_sbuf_add(&b, "", 0);
    for (const char *p = text; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue; /* the LF writes the pair */
        if (*p == '\r' || *p == '\n')
            cs_sbuf_str(&b, "\r\n");
        else
            cs_sbuf_add(&b, p, 1);
    }
    return cs_sbuf_take(&b);
}

/* ---- the channel --------------------------------------------------------- */

/* libcurl hands every line the server sends to the header callback. The
 * first 4xx or 5xx reply of a transaction is the one that explains a
 * failure (later ones answer RSET or QUIT); it is kept, made printable. */
static size_t keep_reply(char *data, size_t size, size_t nmemb, void *arg)
{
    struct cs_channel_session *s = arg;
    size_t n = size * nmemb, j = 0;

    if (s->reply[0] != '\0' || n < 3 || (data[0] != '4' && data[0] != '5'))
        return n;
    for (size_t i = 0; i < n && j + 1 < sizeof(s->reply); i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\r' || c == '\n')
            break;
        s->reply[j++] = c >= ' ' && c < 127 ? (char)c : '?';
    }
    s->reply[j] = '\0';
    return n;
}

static enum cs_rc smtp_open(const struct cs_config *cfg, const char *name, struct cs_store *store,
                            struct cs_channel_session **out, char *err, size_t errlen)
{
    static bool curl_ready;
    const struct cs_smtp_config *smtp = &cfg->smtp;
    struct cs_channel_session *s = NULL;
    bool failed = false;

    *out = NULL;
    if (smtp->configured && smtp->insecure)
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN, "--insecure-smtp: the certificate of %s is not verified",
               smtp->url);
    if (!smtp->configured) {
        if (cfg->path != NULL)
            return cs_fail(err, errlen, CS_ERR_USAGE, "no [smtp] section in %s", cfg->path);
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "no [smtp] section in the configuration (there is no %s)",
                       cs_config_default_path());
    }
    if (smtp->url == NULL || smtp->from == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "[smtp] %s is not set",
                       smtp->url == NULL ? "url" : "from");
    if (!cs_email_address_valid(smtp->from))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "[smtp] from '%s' is not a plain address such as certsweep@example.com",
                       smtp->from);
    /* Not thread-safe, and need not be: certsweep has one thread. */
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return cs_fail(err, errlen, CS_ERR_RUNTIME, "cannot initialize libcurl");
        curl_ready = true;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL || (s->curl = curl_easy_init()) == NULL) {
        free(s);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "cannot create a libcurl handle");
    }
    s->cfg = smtp;
    cs_smtp_url_redacted(smtp->url, s->url, sizeof(s->url));

    CURL *c = s->curl;
    bool implicit_tls = strncmp(smtp->url, "smtps://", 8) == 0;
    unsigned timeout_ms = smtp->timeout_ms ? smtp->timeout_ms : DEFAULT_TIMEOUT_MS;
    /* Each option that can fail is checked: an unknown protocol list or a
     * TLS option the libcurl build lacks must not quietly weaken TLS. */
    failed |= curl_easy_setopt(c, CURLOPT_URL, smtp->url) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK;
    failed |=
        curl_easy_setopt(
            c, CURLOPT_USE_SSL,
            (long)(smtp->starttls || implicit_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE)) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, smtp->insecure ? 0L : 1L) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, smtp->insecure ? 0L : 2L) != CURLE_OK;
    if (smtp->ca_file != NULL)
        failed |= curl_easy_setopt(c, CURLOPT_CAINFO, smtp->ca_file) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_MAIL_FROM, smtp->from) != CURLE_OK;
    if (smtp->username != NULL) {
        failed |= curl_easy_setopt(c, CURLOPT_USERNAME, smtp->username) != CURLE_OK;
        failed |=
            curl_easy_setopt(c, CURLOPT_PASSWORD, smtp->password ? smtp->password : "") != CURLE_OK;
    }
    failed |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_reply) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_HEADERDATA, s) != CURLE_OK;
    if (failed) {
        cs_fail(err, errlen, CS_ERR_RUNTIME,
                "%s: libcurl refused an SMTP option (is it built with SMTP and TLS?)", s->url);
        curl_easy_cleanup(s->curl);
        free(s);
        return CS_ERR_RUNTIME;
    }
    *out = s;
    return CS_OK;
}

/* The reason a transfer failed, with the server's reply when there was
 * one, and what to do about the common ones. */
static enum cs_rc transfer_failed(struct cs_channel_session *s, CURLcode cc, char *err,
                                  size_t errlen)
{
    const char *what = s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc);
    size_t what_len = strlen(what);
    const char *hint = "";
    char reply[sizeof(s->reply) + 32] = "";
    long code = 0;

    switch (cc) {
    case CURLE_USE_SSL_FAILED:
        hint = "; [smtp] starttls = required, so nothing was sent in clear";
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        hint = s->cfg->ca_file ? "; is [smtp] ca_file the CA that signed the server's certificate?"
                               : "; name the CA that signed the server's certificate in "
                                 "[smtp] ca_file";
        break;
    case CURLE_LOGIN_DENIED:
        hint = "; check [smtp] username and the password";
        break;
    default:
        break;
    }
    if (s->reply[0] != '\0')
        snprintf(reply, sizeof(reply), " (server replied: %s)", s->reply);
    else if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code >= 400)
        snprintf(reply, sizeof(reply), " (server replied %ld)", code);
    /* libcurl's sentences may end in a period, which the hint would follow. */
    if (what_len > 0 && what[what_len - 1] == '.')
        what_len--;
    return cs_fail(err, errlen, CS_ERR_IO, "%s: %.*s%s%s", s->url, (int)what_len, what, reply,
                   hint);
}

/* Checks payload's fields (notify.h's email shape) and the key. */
static enum cs_rc check_payload(const char *idem_key, const cJSON *payload, char *err,
                                size_t errlen)
{
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(payload, "to");
    const cJSON *html = cJSON_GetObjectItemCaseSensitive(payload, "html");
    const cJSON *address;

    if (idem_key == NULL || idem_key[0] == '\0' || strlen(idem_key) > IDEM_KEY_MAX)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "an email needs an idempotency key of 1 to %d characters", IDEM_KEY_MAX);
    for (const char *p = idem_key; *p; p++)
        if (*p <= ' ' || *p >= 127)
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "the idempotency key has a character outside printable ASCII");
    if (!cJSON_IsArray(to) || cJSON_GetArraySize(to) == 0)
        return cs_fail(err, errlen, CS_ERR_USAGE, "an email needs at least one recipient");
    cJSON_ArrayForEach(address, to)
    {
        if (!cJSON_IsString(address))
            return cs_fail(err, errlen, CS_ERR_USAGE, "a recipient is not a string");
        if (!cs_email_address_valid(address->valuestring))
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "'%s' is not a plain address such as someone@example.com",
                           address->valuestring);
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(payload, "subject")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(payload, "text")))
        return cs_fail(err, errlen, CS_ERR_USAGE, "an email needs a subject and a text");
    if (html != NULL && !cJSON_IsNull(html) && !cJSON_IsString(html))
        return cs_fail(err, errlen, CS_ERR_USAGE, "the html of an email is not a string");
    return CS_OK;
}

/* One part of the body: type, quoted-printable, the text's line ends CRLF. */
static bool add_part(curl_mime *mime, const char *type, const char *text)
{
    curl_mimepart *part = curl_mime_addpart(mime);
    char *body = crlf_text(text);
    bool ok = part != NULL && body != NULL &&
              curl_mime_data(part, body, CURL_ZERO_TERMINATED) == CURLE_OK &&
              curl_mime_type(part, type) == CURLE_OK &&
              curl_mime_encoder(part, "quoted-printable") == CURLE_OK;

    free(body); /* curl_mime_data copied it */
    return ok;
}

static enum cs_rc smtp_send(struct cs_channel_session *s, const char *idem_key,
                            const cJSON *payload, unsigned *retry_after_s, char *err, size_t errlen)
{
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(payload, "to");
    const cJSON *html = cJSON_GetObjectItemCaseSensitive(payload, "html");
    const cJSON *address;
    struct curl_slist *rcpts = NULL, *headers = NULL;
    curl_mime *mime = NULL;
    char *subject = NULL, *to_line = NULL, *from_line = NULL, *key_line = NULL;
    char date[64], message_id[32 + 3 * IDEM_KEY_MAX + 256];
    enum cs_rc rc;
    CURLcode cc;

    if ((rc = check_payload(idem_key, payload, err, errlen)) != CS_OK)
        return rc;
    cJSON_ArrayForEach(address, to)
    {
        struct curl_slist *l = curl_slist_append(rcpts, address->valuestring);
        if (l == NULL)
            goto nomem;
        rcpts = l;
    }

    date_header(time(NULL), date, sizeof(date));
    message_id_header(idem_key, s->cfg->from, message_id, sizeof(message_id));
    subject = subject_header(cJSON_GetObjectItemCaseSensitive(payload, "subject")->valuestring);
    to_line = to_header(to);
    size_t from_len = strlen(s->cfg->from) + sizeof("From: ");
    size_t key_len = strlen(idem_key) + sizeof("X-Certsweep-Idempotency-Key: ");
    from_line = malloc(from_len);
    key_line = malloc(key_len);
    if (subject == NULL || to_line == NULL || from_line == NULL || key_line == NULL)
        goto nomem;
    snprintf(from_line, from_len, "From: %s", s->cfg->from);
    snprintf(key_line, key_len, "X-Certsweep-Idempotency-Key: %s", idem_key);
    /* The top-level Content-Type named here is the one libcurl gives the
     * MIME structure (with its boundary) instead of multipart/mixed. */
    const char *lines[] = {date,
                           from_line,
                           to_line,
                           subject,
                           message_id,
                           key_line,
                           "Content-Type: multipart/alternative"};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct curl_slist *l = curl_slist_append(headers, lines[i]);
        if (l == NULL)
            goto nomem;
        headers = l;
    }

    /* The plain text first: readers show the last alternative they can. */
    if ((mime = curl_mime_init(s->curl)) == NULL ||
        !add_part(mime, "text/plain; charset=utf-8",
                  cJSON_GetObjectItemCaseSensitive(payload, "text")->valuestring) ||
        (cJSON_IsString(html) && !add_part(mime, "text/html; charset=utf-8", html->valuestring)))
        goto nomem;

    s->errbuf[0] = '\0';
    s->reply[0] = '\0';
    if (curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts) != CURLE_OK ||
        curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
        curl_easy_setopt(s->curl, CURLOPT_MIMEPOST, mime) != CURLE_OK) {
        rc = cs_fail(err, errlen, CS_ERR_RUNTIME, "%s: cannot set up the message", s->url);
        goto out;
    }
    cc = curl_easy_perform(s->curl);
    rc = cc == CURLE_OK ? CS_OK : transfer_failed(s, cc, err, errlen);
    goto out;

nomem:
    rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    /* The handle keeps the connection, not these: they go with the message. */
    curl_easy_setopt(s->curl, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_slist_free_all(rcpts);
    free(subject);
    free(to_line);
    free(from_line);
    free(key_line);
    return rc;
}

static void smtp_close(struct cs_channel_session **session)
{
    if (session == NULL || *session == NULL)
        return;
    curl_easy_cleanup((*session)->curl); /* sends QUIT on a kept connection */
    free(*session);
    *session = NULL;
}

const struct cs_channel_ops cs_channel_email = {
    .name = "email",
    .open = smtp_open,
    .send = smtp_send,
    .close = smtp_close,
};
