/*
 * The syslog channel: RFC 5424 messages over UDP (RFC 5426, one message a
 * datagram), TCP with octet counting (RFC 6587) or TLS (RFC 5425, the same
 * framing). A session holds one socket, opened at its first send; a stream
 * connection that the receiver closed meanwhile is opened again, and a
 * send that fails on a reused connection is tried once more on a new one.
 */
#include "notify_syslog.h"
#include "notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the message --------------------------------------------------------- */

/* A bounded output buffer: an append that does not fit sets full and
 * writes nothing, so a formatter checks once at the end. */
struct out {
    char *buf;
    size_t cap; /* usable bytes, the final NUL excluded */
    size_t len;
    bool full;
};

static void out_add(struct out *o, const void *p, size_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_add(o, s, strlen(s));
}

/* The length of the UTF-8 sequence at p (n bytes available), 0 when the
 * bytes there are not a valid one: RFC 3629 forbids overlong forms,
 * surrogates and anything above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        need = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        need = 3;
        if (p[0] == 0xe0)
            lo = 0xa0;
        else if (p[0] == 0xed)
            hi = 0x9f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        need = 4;
        if (p[0] == 0xf0)
            lo = 0x90;
        else if (p[0] == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return need;
}

/*
 * Appends UTF-8 text with each byte of an invalid sequence replaced by
 * U+FFFD and, when escape is set, '"', '\' and ']' preceded by a backslash
 * (a PARAM-VALUE). With cut set, text that does not fit is cut before the
 * first character that would not, instead of making the buffer full.
 */
static void out_text(struct out *o, const char *text, bool escape, bool cut)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);

    while (n > 0 && !o->full) {
        size_t step = utf8_len(p, n);
        const char *chunk = (const char *)p;
        size_t chunklen = step;
        char esc[2];

        if (step == 0) {
            chunk = "\xef\xbf\xbd";
            chunklen = 3;
            step = 1;
        } else if (escape && (*p == '"' || *p == '\\' || *p == ']')) {
            esc[0] = '\\';
            esc[1] = (char)*p;
            chunk = esc;
            chunklen = 2;
        }
        if (cut && chunklen > o->cap - o->len)
            break;
        out_add(o, chunk, chunklen);
        p += step;
        n -= step;
    }
}

static bool printable(unsigned char c)
{
    return c >= 33 && c <= 126;
}

/* Checks a header field, an SD-ID or a PARAM-NAME: printable ASCII, at
 * most max characters, and for names none of '=', ']' and '"'. */
static enum cs_rc check_token(const char *what, const char *value, size_t max, bool name, char *err,
                              size_t errlen)
{
    size_t n = strlen(value);

    if (n > max)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "syslog %s is %zu characters long, more than the %zu of RFC 5424", what, n,
                       max);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!printable(c))
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "syslog %s has the byte 0x%02x at offset %zu: only printable ASCII "
                           "(33..126) is allowed",
                           what, c, i);
        if (name && (c == '=' || c == ']' || c == '"'))
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "syslog %s '%s' has a '%c', which RFC 5424 forbids in names", what,
                           value, c);
    }
    return CS_OK;
}

/* Appends SP and a header field, "-" when value is NULL or empty. */
static enum cs_rc out_field(struct out *o, const char *what, const char *value, size_t max,
                            char *err, size_t errlen)
{
    enum cs_rc rc;

    out_add(o, " ", 1);
    if (value == NULL || value[0] == '\0') {
        out_add(o, "-", 1);
        return CS_OK;
    }
    if ((rc = check_token(what, value, max, false, err, errlen)) != CS_OK)
        return rc;
    out_str(o, value);
    return CS_OK;
}

/* Reads n decimal digits at s into *v. */
static bool digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

/* Whether s is a TIMESTAMP of RFC 5424 6.2.3: RFC 3339's date-time with an
 * upper-case T and Z, at most six fraction digits and no leap second. */
static bool valid_timestamp(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, mon, day, hour, min, sec, oh, om;

    if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
        !digits(s + 8, 2, &day) || s[10] != 'T' || !digits(s + 11, 2, &hour) || s[13] != ':' ||
        !digits(s + 14, 2, &min) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hour > 23 || min > 59 || sec > 59)
        return false;
    if (mon == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return false;
    s += 19;
    if (*s == '.') {
        int n = 0;
        while (s[1 + n] >= '0' && s[1 + n] <= '9')
            n++;
        if (n < 1 || n > 6)
            return false;
        s += 1 + n;
    }
    if (s[0] == 'Z')
        return s[1] == '\0';
    return (s[0] == '+' || s[0] == '-') && digits(s + 1, 2, &oh) && s[3] == ':' &&
           digits(s + 4, 2, &om) && s[6] == '\0' && oh <= 23 && om <= 59;
}

/* Appends SP NAME="VALUE" to the structured data, the value escaped. */
static enum cs_rc out_param(struct out *o, const char *name, const char *value, char *err,
                            size_t errlen)
{
    enum cs_rc rc;

    if (name[0] == '\0')
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog PARAM-NAME is empty");
    if ((rc = check_token("PARAM-NAME", name, CS_SYSLOG_NAME_MAX, true, err, errlen)) != CS_OK)
        return rc;
    out_add(o, " ", 1);
    out_str(o, name);
    out_add(o, "=\"", 2);
    out_text(o, value, true, false);
    out_add(o, "\"", 1);
    return CS_OK;
}

/* A payload parameter: [name, value] with a string or a number for value
 * (an integer is written without a fraction). */
static enum cs_rc out_payload_param(struct out *o, const cJSON *param, char *err, size_t errlen)
{
    const cJSON *name = cJSON_GetArrayItem(param, 0);
    const cJSON *value = cJSON_GetArrayItem(param, 1);
    char num[32];

    if (!cJSON_IsArray(param) || cJSON_GetArraySize(param) != 2 || !cJSON_IsString(name))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "syslog params: each must be a [name, value] pair");
    if (cJSON_IsString(value))
        return out_param(o, name->valuestring, value->valuestring, err, errlen);
    if (!cJSON_IsNumber(value))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "syslog parameter %s: the value is neither a string nor a number",
                       name->valuestring);
    double d = value->valuedouble;
    if (d > -9007199254740992.0 && d < 9007199254740992.0 && d == (double)(long long)d)
        snprintf(num, sizeof(num), "%lld", (long long)d);
    else
        snprintf(num, sizeof(num), "%.17g", d);
    return out_param(o, name->valuestring, num, err, errlen);
}

enum cs_rc cs_syslog_format(const struct cs_syslog_config *cfg, const char *idem_key,
                            const cJSON *payload, int procid, char *buf, size_t buflen, size_t *len,
                            char *err, size_t errlen)
{
    struct out o = {.buf = buf, .cap = buflen > 0 ? buflen - 1 : 0, .full = buflen == 0};
    const cJSON *severity = cJSON_GetObjectItemCaseSensitive(payload, "severity");
    const cJSON *timestamp = cJSON_GetObjectItemCaseSensitive(payload, "timestamp");
    const cJSON *msgid = cJSON_GetObjectItemCaseSensitive(payload, "msgid");
    const cJSON *sd_id = cJSON_GetObjectItemCaseSensitive(payload, "sd_id");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(payload, "params");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(payload, "msg");
    const cJSON *param;
    char num[32];
    enum cs_rc rc;

    *len = 0;
    if (!cJSON_IsObject(payload))
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog payload is not a JSON object");
    if (!cJSON_IsNumber(severity) || severity->valuedouble < 0 || severity->valuedouble > 7 ||
        severity->valuedouble != (double)severity->valueint)
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog severity must be an integer 0..7");
    if (cfg->facility > 23)
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog facility %u is not one of 0..23",
                       cfg->facility);
    snprintf(num, sizeof(num), "<%u>1", cfg->facility * 8 + (unsigned)severity->valuedouble);
    out_str(&o, num);

    if (timestamp != NULL && !cJSON_IsString(timestamp))
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog timestamp is not a string");
    if (timestamp != NULL && timestamp->valuestring[0] != '\0' &&
        !valid_timestamp(timestamp->valuestring))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "syslog timestamp is not of the form YYYY-MM-DDThh:mm:ss[.ffffff] "
                       "followed by Z or +hh:mm (RFC 5424 6.2.3)");
    out_add(&o, " ", 1);
    out_str(&o, timestamp != NULL && timestamp->valuestring[0] ? timestamp->valuestring : "-");

    if ((rc = out_field(&o, "hostname", cfg->hostname, CS_SYSLOG_HOSTNAME_MAX, err, errlen)) !=
            CS_OK ||
        (rc = out_field(&o, "app_name", cfg->app_name, CS_SYSLOG_APP_NAME_MAX, err, errlen)) !=
            CS_OK)
        return rc;
    if (procid >= 0)
        snprintf(num, sizeof(num), "%d", procid);
    else
        num[0] = '\0';
    if ((rc = out_field(&o, "procid", num, CS_SYSLOG_PROCID_MAX, err, errlen)) != CS_OK)
        return rc;
    if (msgid != NULL && !cJSON_IsString(msgid))
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog msgid is not a string");
    if ((rc = out_field(&o, "msgid", msgid ? msgid->valuestring : NULL, CS_SYSLOG_MSGID_MAX, err,
                        errlen)) != CS_OK)
        return rc;

    /* One SD-ELEMENT: the idempotency key first, then the payload's
     * parameters in their order. */
    if (sd_id != NULL && !cJSON_IsString(sd_id))
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog sd_id is not a string");
    const char *id = sd_id && sd_id->valuestring[0] ? sd_id->valuestring : CS_SYSLOG_DEFAULT_SD_ID;
    if ((rc = check_token("SD-ID", id, CS_SYSLOG_NAME_MAX, true, err, errlen)) != CS_OK)
        return rc;
    out_add(&o, " [", 2);
    out_str(&o, id);
    if (idem_key != NULL && idem_key[0] != '\0' &&
        (rc = out_param(&o, CS_SYSLOG_IDEM_PARAM, idem_key, err, errlen)) != CS_OK)
        return rc;
    if (params != NULL && !cJSON_IsArray(params))
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog params is not an array");
    cJSON_ArrayForEach(param, params)
    {
        if ((rc = out_payload_param(&o, param, err, errlen)) != CS_OK)
            return rc;
    }
    out_add(&o, "]", 1);

    if (msg != NULL && !cJSON_IsString(msg))
        return cs_fail(err, errlen, CS_ERR_USAGE, "syslog msg is not a string");
    if (msg != NULL) {
        out_add(&o, " \xef\xbb\xbf", 4);
        out_text(&o, msg->valuestring, false, true);
    }
    if (o.full)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "the syslog message's header and structured data do not fit in %zu bytes",
                       o.cap);
    buf[o.len] = '\0';
    *len = o.len;
    return CS_OK;
}

enum cs_rc cs_syslog_frame(const char *msg, size_t msglen, char *out, size_t outlen,
                           size_t *framelen)
{
    char prefix[24];
    int n = snprintf(prefix, sizeof(prefix), "%zu ", msglen);

    *framelen = 0;
    /* MSG-LEN is NONZERO-DIGIT *DIGIT: there is no empty message. */
    if (msglen == 0 || (size_t)n > outlen || msglen > outlen - (size_t)n)
        return CS_ERR_USAGE;
    memcpy(out, prefix, (size_t)n);
    memcpy(out + n, msg, msglen);
    *framelen = (size_t)n + msglen;
    return CS_OK;
}

/* ---- the connection ------------------------------------------------------ */

#define DEFAULT_TIMEOUT_MS 5000

struct cs_channel_session {
    const struct cs_syslog_config *cfg; /* the caller's, which outlives the session */
    int fd;                             /* -1: not connected */
    SSL_CTX *ctx;                       /* tls: made at the first connection, then kept */
    SSL *ssl;                           /* tls: while connected */
    char msg[CS_SYSLOG_STREAM_MAX + 1];
    char frame[CS_SYSLOG_STREAM_MAX + 24];
};

/* OpenSSL writes to its socket with write(2), which raises SIGPIPE on a
 * connection the peer has closed. Like curl, the channel ignores the signal
 * while it works, so such a write fails with EPIPE instead of killing the
 * process, and puts the caller's disposition back afterwards. */
struct sigpipe {
    struct sigaction old;
    bool saved;
};

static void sigpipe_ignore(struct sigpipe *sp)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};

    sigemptyset(&ign.sa_mask);
    sp->saved = sigaction(SIGPIPE, &ign, &sp->old) == 0;
}

static void sigpipe_restore(struct sigpipe *sp)
{
    if (sp->saved)
        sigaction(SIGPIPE, &sp->old, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes: 1, 0 on
 * timeout, -1 on a poll error (errno). */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

/* Connects a non-blocking socket to one address before the deadline; on
 * failure says why in why. */
static int connect_addr(const struct addrinfo *ai, int64_t deadline, char *why, size_t whylen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int soerr = 0;
    socklen_t sl = sizeof(soerr);

    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        snprintf(why, whylen, "%s", strerror(errno));
        goto fail;
    }
    switch (wait_fd(fd, POLLOUT, deadline)) {
    case 0:
        snprintf(why, whylen, "no connection within the timeout");
        goto fail;
    case -1:
        snprintf(why, whylen, "poll: %s", strerror(errno));
        goto fail;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (soerr == 0)
        return fd;
    snprintf(why, whylen, "%s", strerror(soerr));
fail:
    close(fd);
    return -1;
}

static bool ip_literal(const char *host)
{
    unsigned char addr[16];

    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* The TLS handshake on s->fd, verifying the receiver's certificate against
 * [syslog] ca_file (else the system store) and its name against the host
 * of the target. */
static enum cs_rc tls_start(struct cs_channel_session *s, int64_t deadline, char *err,
                            size_t errlen)
{
    const struct cs_syslog_config *cfg = s->cfg;
    const char *anchors = cfg->ca_file ? cfg->ca_file : "the system's trust store";

    ERR_clear_error();
    if (s->ctx == NULL) {
        s->ctx = SSL_CTX_new(TLS_client_method());
        if (s->ctx == NULL || !SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION)) {
            cs_fail(err, errlen, CS_ERR_TLS, "%s: cannot set up TLS", cfg->target);
            goto ssl_fail;
        }
        SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
        if (cfg->ca_file ? !SSL_CTX_load_verify_locations(s->ctx, cfg->ca_file, NULL)
                         : !SSL_CTX_set_default_verify_paths(s->ctx)) {
            cs_fail(err, errlen, CS_ERR_TLS, "%s: cannot load the trust anchors of %s", cfg->target,
                    anchors);
            goto ssl_fail;
        }
    }
    if ((s->ssl = SSL_new(s->ctx)) == NULL || !SSL_set_fd(s->ssl, s->fd)) {
        cs_fail(err, errlen, CS_ERR_TLS, "%s: cannot set up TLS", cfg->target);
        goto ssl_fail;
    }
    /* The name checked is the one the target was written with, as an
     * HTTPS client checks the URL's: a DNS name against the DNS SANs (and
     * sent as SNI), an address against the IP SANs. */
    bool named;
    if (ip_literal(cfg->host))
        named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), cfg->host);
    else
        named = SSL_set_tlsext_host_name(s->ssl, cfg->host) && SSL_set1_host(s->ssl, cfg->host);
    if (!named) {
        cs_fail(err, errlen, CS_ERR_TLS, "%s: cannot set the name to verify", cfg->target);
        goto ssl_fail;
    }
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(s->ssl);
        if (r == 1)
            return CS_OK;
        int e = SSL_get_error(s->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int n = wait_fd(s->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (n == 0)
                return cs_fail(err, errlen, CS_ERR_IO, "%s: no TLS handshake within %u ms",
                               cfg->target, cfg->timeout_ms);
            if (n < 0)
                return cs_fail(err, errlen, CS_ERR_IO, "%s: poll: %s", cfg->target,
                               strerror(errno));
            continue;
        }
        long verify = SSL_get_verify_result(s->ssl);
        if (verify != X509_V_OK) {
            ERR_clear_error();
            return cs_fail(err, errlen, CS_ERR_TLS,
                           "%s: the receiver's certificate does not verify against %s: %s",
                           cfg->target, anchors, X509_verify_cert_error_string(verify));
        }
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            return cs_fail(err, errlen, CS_ERR_IO, "%s: TLS handshake: %s", cfg->target,
                           errno ? strerror(errno) : "the receiver closed the connection");
        cs_fail(err, errlen, CS_ERR_TLS, "%s: TLS handshake failed", cfg->target);
        goto ssl_fail;
    }
ssl_fail:
    cs_ssl_errors_append(err, errlen);
    return CS_ERR_TLS;
}

/* Closes the connection; graceful sends TLS's close_notify, which must not
 * be tried after a fatal TLS error. */
static void conn_drop(struct cs_channel_session *s, bool graceful)
{
    if (s->ssl != NULL) {
        if (graceful)
            SSL_shutdown(s->ssl);
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    ERR_clear_error();
}

static enum cs_rc conn_open(struct cs_channel_session *s, int64_t deadline, char *err,
                            size_t errlen)
{
    const struct cs_syslog_config *cfg = s->cfg;
    struct addrinfo hints = {
        .ai_socktype = cfg->transport == CS_SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM,
    };
    struct addrinfo *res = NULL;
    char why[128] = "no address";
    enum cs_rc rc = CS_OK;

    int gai = getaddrinfo(cfg->host, cfg->port, &hints, &res);
    if (gai != 0)
        return cs_fail(err, errlen, CS_ERR_IO, "%s: cannot resolve %s: %s", cfg->target, cfg->host,
                       gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
    for (const struct addrinfo *ai = res; ai != NULL && s->fd < 0; ai = ai->ai_next)
        s->fd = connect_addr(ai, deadline, why, sizeof(why));
    if (s->fd < 0) {
        rc = cs_fail(err, errlen, CS_ERR_IO, "%s: cannot connect: %s", cfg->target, why);
        goto out;
    }
    if (cfg->transport == CS_SYSLOG_TLS && (rc = tls_start(s, deadline, err, errlen)) != CS_OK)
        conn_drop(s, false);
out:
    freeaddrinfo(res);
    return rc;
}

/*
 * Whether a stream connection kept from an earlier send is still open. A
 * syslog receiver sends nothing but TLS records (session tickets, alerts,
 * close_notify), so a readable socket is either such a record to consume
 * or one the receiver closed or reset.
 */
static bool conn_alive(struct cs_channel_session *s)
{
    char scratch[4096];

    for (int round = 0; round < 64; round++) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 0) < 0)
            return errno == EINTR;
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
            return false;
        if (!(p.revents & POLLIN))
            return true;
        if (s->ssl != NULL) {
            size_t n;
            ERR_clear_error();
            if (SSL_read_ex(s->ssl, scratch, sizeof(scratch), &n) == 1)
                continue;
            int e = SSL_get_error(s->ssl, 0);
            ERR_clear_error();
            return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
        }
        ssize_t n = recv(s->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
        if (n > 0)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
    return true;
}

/* Writes all of data before the deadline. *broken tells a connection that
 * failed under the write (reset, closed) from a timeout. */
static enum cs_rc conn_write(struct cs_channel_session *s, const char *data, size_t len,
                             int64_t deadline, bool *broken, char *err, size_t errlen)
{
    const char *target = s->cfg->target;
    size_t done = 0;
    short wait_for = POLLOUT;

    *broken = false;
    while (done < len) {
        if (s->ssl != NULL) {
            size_t n = 0;
            ERR_clear_error();
            if (SSL_write_ex(s->ssl, data + done, len - done, &n) == 1) {
                done += n;
                continue;
            }
            int e = SSL_get_error(s->ssl, 0);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                *broken = true;
                if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
                    return cs_fail(err, errlen, CS_ERR_IO, "%s: cannot send: %s", target,
                                   errno ? strerror(errno) : "connection closed");
                cs_fail(err, errlen, CS_ERR_TLS, "%s: cannot send", target);
                cs_ssl_errors_append(err, errlen);
                return CS_ERR_TLS;
            }
            wait_for = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        } else {
            ssize_t n = send(s->fd, data + done, len - done, MSG_NOSIGNAL);
            if (n >= 0) {
                done += (size_t)n;
                continue;
            }
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                *broken = errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN;
                if (errno == ECONNREFUSED && s->cfg->transport == CS_SYSLOG_UDP)
                    return cs_fail(err, errlen, CS_ERR_IO,
                                   "%s: connection refused: an earlier message came back as "
                                   "ICMP port unreachable; is the receiver listening?",
                                   target);
                return cs_fail(err, errlen, CS_ERR_IO, "%s: cannot send: %s", target,
                               strerror(errno));
            }
            wait_for = POLLOUT;
        }
        int n = wait_fd(s->fd, wait_for, deadline);
        if (n == 0)
            return cs_fail(err, errlen, CS_ERR_IO, "%s: the message was not sent within %u ms",
                           target, s->cfg->timeout_ms);
        if (n < 0)
            return cs_fail(err, errlen, CS_ERR_IO, "%s: poll: %s", target, strerror(errno));
    }
    return CS_OK;
}

/* A UDP datagram that met a closed port comes back as an ICMP error that
 * the connected socket keeps: on loopback it is there as soon as send()
 * returns, farther away it fails the next send. */
static enum cs_rc udp_check(struct cs_channel_session *s, char *err, size_t errlen)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);

    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr == 0)
        return CS_OK;
    if (soerr == ECONNREFUSED)
        return cs_fail(err, errlen, CS_ERR_IO,
                       "%s: connection refused (ICMP port unreachable): is the receiver "
                       "listening?",
                       s->cfg->target);
    return cs_fail(err, errlen, CS_ERR_IO, "%s: %s", s->cfg->target, strerror(soerr));
}

/* ---- the channel --------------------------------------------------------- */

static enum cs_rc syslog_open(const struct cs_config *cfg, const char *name, struct cs_store *store,
                              struct cs_channel_session **out, char *err, size_t errlen)
{
    struct cs_channel_session *s;

    *out = NULL;
    if (!cfg->syslog.configured) {
        if (cfg->path != NULL)
            return cs_fail(err, errlen, CS_ERR_USAGE, "no [syslog] section in %s", cfg->path);
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "no [syslog] section in the configuration (there is no %s)",
                       cs_config_default_path());
    }
    if (cfg->syslog.host == NULL || cfg->syslog.port == NULL || cfg->syslog.target == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "[syslog] target is not set");
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    s->cfg = &cfg->syslog;
    s->fd = -1;
    *out = s;
    return CS_OK;
}

static enum cs_rc syslog_send(struct cs_channel_session *s, const char *idem_key,
                              const cJSON *payload, unsigned *retry_after_s, char *err,
                              size_t errlen)
{
    const struct cs_syslog_config *cfg = s->cfg;
    bool stream = cfg->transport != CS_SYSLOG_UDP;
    unsigned timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    size_t msglen, datalen;
    const char *data = s->msg;
    struct sigpipe sp;
    enum cs_rc rc;

    rc = cs_syslog_format(cfg, idem_key, payload, (int)getpid(), s->msg,
                          (stream ? CS_SYSLOG_STREAM_MAX : CS_SYSLOG_UDP_MAX) + 1, &msglen, err,
                          errlen);
    if (rc != CS_OK)
        return rc;
    datalen = msglen;
    if (stream) {
        if (cs_syslog_frame(s->msg, msglen, s->frame, sizeof(s->frame), &datalen) != CS_OK)
            return cs_fail(err, errlen, CS_ERR_RUNTIME, "cannot frame a syslog message");
        data = s->frame;
    }

    sigpipe_ignore(&sp);
    for (int attempt = 0; attempt < 2; attempt++) {
        int64_t deadline = now_ms() + timeout_ms;
        bool reused = s->fd >= 0, broken = false;

        if (reused && stream && !conn_alive(s)) {
            conn_drop(s, false);
            reused = false;
        }
        if (s->fd < 0 && (rc = conn_open(s, deadline, err, errlen)) != CS_OK)
            break;
        rc = conn_write(s, data, datalen, deadline, &broken, err, errlen);
        if (rc == CS_OK && !stream)
            rc = udp_check(s, err, errlen);
        if (rc == CS_OK || !stream)
            break;
        /* A stream cut mid-frame cannot carry another message. */
        conn_drop(s, false);
        if (!reused || !broken)
            break;
    }
    sigpipe_restore(&sp);
    return rc;
}

static void syslog_close(struct cs_channel_session **session)
{
    struct sigpipe sp;

    if (session == NULL || *session == NULL)
        return;
    sigpipe_ignore(&sp);
    conn_drop(*session, true);
    sigpipe_restore(&sp);
    SSL_CTX_free((*session)->ctx);
    free(*session);
    *session = NULL;
}

const struct cs_channel_ops cs_channel_syslog = {
    .name = "syslog",
    .open = syslog_open,
    .send = syslog_send,
    .close = syslog_close,
};
