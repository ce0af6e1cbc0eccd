#include "probe.h"
#include "certcache.h"
#include "fastshake.h"
#include "log.h"
#include "timerheap.h"
#include "tlsrec.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* How often a paused scan looks whether it may go on. */
#define PAUSE_POLL_MS 250
/*
 * Fresh handshakes in flight at most, whatever --concurrency allows. A
 * handshake is CPU work on both ends, so past a few hundred at once more
 * only queue up, at the server and in this loop, and each endpoint's
 * elapsed time (and its download deadline) fills with waiting that is ours,
 * not the server's. A handshake is fresh for its first BUSY_MS at most:
 * one that takes longer is a slow or silent server (a tarpit, a SYN proxy
 * answering every address), which costs nothing while it waits. The window
 * shrinks so that MAX_BUSY_HANDSHAKES per window is never fewer launches
 * than --concurrency over --download-timeout: a range of silent servers
 * goes as fast as it did without the cap. Connects are not capped: a range
 * that drops SYNs still has --concurrency of them in flight.
 */
#define MAX_BUSY_HANDSHAKES 512
#define BUSY_MS 250

enum conn_state { CONN_CONNECTING, CONN_HANDSHAKING };

struct scanner;

/* One endpoint in flight. Allocated when its connect starts and recycled
 * through a free list, so a scan allocates at most `concurrency` of them. */
struct conn {
    struct cs_timer timer; /* first member: the heap hands back this address */
    struct scanner *sc;
    struct conn *next_free;
    enum conn_state state;
    int fd;
    bool want_write; /* ClientHello not fully sent yet */
    bool sniffed;    /* the first bytes were judged to be TLS */
    struct cs_endpoint ep;
    uint64_t start_us;
    size_t bytes_in;
    unsigned char head[CS_SNIFF_MAX];
    size_t head_len;
    int alert; /* last TLS alert received, -1 if none */
    char reason[64];
    SSL *ssl;
    BIO *net_in, *net_out; /* bytes from / for the socket; owned by ssl */
    STACK_OF(X509) * chain;
    /* The fast path (fastshake.h), tried first on each endpoint. */
    struct cs_fastshake *fs;
    size_t fs_sent;                     /* bytes of its ClientHello sent */
    unsigned fs_hellos;                 /* ClientHellos it has written (2 after a retry) */
    bool fallback;                      /* this is the second connection, for OpenSSL */
    const char *fs_version, *fs_cipher; /* what the fast path negotiated */
    /* In the scanner's list of fresh handshakes (see MAX_BUSY_HANDSHAKES). */
    bool busy;
    uint64_t busy_since;
    struct conn *busy_prev, *busy_next;
};

struct scanner {
    const struct cs_plan *plan;
    const struct cs_scan_opts *opts;
    const struct cs_scan_callbacks *cb;
    struct cs_plan_cursor cursor;
    struct cs_timerheap timers;
    SSL_CTX *ctx;
    struct cs_fastshake_keys *fs_keys; /* NULL: OpenSSL alone */
    struct cs_x509_cache *x509s;       /* parsed certificates of the fast path */
    uint64_t fast_done, fast_fallbacks, x509_hits;
    int epfd;
    struct conn *free_conns;
    unsigned inflight;
    /* Fresh handshakes, oldest first, and how long one stays fresh. */
    struct conn *busy_head, *busy_tail;
    unsigned busy;
    uint64_t busy_window_us;
    bool blocked; /* out of sockets or ports: wait for a connection to end */
    uint64_t started, done;
    uint64_t t0_us, next_progress_us;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- TLS context --------------------------------------------------------- */

static int conn_ex_index = -1;

/* Called by OpenSSL when the server's Certificate message has been parsed.
 * Keeps the chain as sent and suspends the handshake: discovery needs no
 * more, and the remaining steps (CertificateVerify, key exchange, Finished)
 * would cost CPU on both sides for nothing. */
static int capture_chain(X509_STORE_CTX *store, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct conn *c = ssl ? SSL_get_ex_data(ssl, conn_ex_index) : NULL;
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store);

    if (c == NULL)
        return 0;
    if (c->chain == NULL && sent != NULL)
        c->chain = X509_chain_up_ref(sent);
    if (c->chain == NULL && X509_STORE_CTX_get0_cert(store) != NULL) {
        c->chain = sk_X509_new_null();
        X509 *leaf = X509_STORE_CTX_get0_cert(store);
        if (c->chain != NULL && X509_up_ref(leaf) && !sk_X509_push(c->chain, leaf))
            X509_free(leaf);
    }
    return SSL_set_retry_verify(ssl);
}

static void note_alert(const SSL *ssl, int where, int ret)
{
    /* SSL_CB_READ_ALERT shares its SSL_CB_ALERT bit with alerts we send:
     * only alerts read from the server name the server's complaint. */
    if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ)) {
        struct conn *c = SSL_get_ex_data(ssl, conn_ex_index);
        if (c != NULL)
            c->alert = ret & 0xff;
    }
}

static SSL_CTX *make_ctx(char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        goto fail;
    /* Discovery records whatever a server presents: every protocol version
     * OpenSSL still speaks, every cipher with a certificate, and keys or
     * signatures of any strength (security level 0). Nothing is verified. */
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, 0) ||
        !SSL_CTX_set_cipher_list(ctx, "ALL:!aNULL:!PSK:!SRP:@SECLEVEL=0"))
        goto fail;
    SSL_CTX_set_security_level(ctx, 0);
    /* Old servers without RFC 5746 would otherwise be refused. */
    SSL_CTX_set_options(ctx,
                        SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, capture_chain, NULL);
    SSL_CTX_set_info_callback(ctx, note_alert);
    SSL_CTX_set_max_cert_list(ctx, CS_PROBE_MAX_CERT_LIST);
    return ctx;
fail:
    cs_fail(err, errlen, CS_ERR_TLS, "cannot set up TLS");
    cs_ssl_errors_append(err, errlen);
    SSL_CTX_free(ctx);
    return NULL;
}

/* ---- fresh handshakes ---------------------------------------------------- */

static void busy_add(struct conn *c, uint64_t now)
{
    struct scanner *sc = c->sc;
    c->busy = true;
    c->busy_since = now;
    c->busy_prev = sc->busy_tail;
    c->busy_next = NULL;
    if (sc->busy_tail != NULL)
        sc->busy_tail->busy_next = c;
    else
        sc->busy_head = c;
    sc->busy_tail = c;
    sc->busy++;
}

static void busy_remove(struct conn *c)
{
    struct scanner *sc = c->sc;
    if (!c->busy)
        return;
    if (c->busy_prev != NULL)
        c->busy_prev->busy_next = c->busy_next;
    else
        sc->busy_head = c->busy_next;
    if (c->busy_next != NULL)
        c->busy_next->busy_prev = c->busy_prev;
    else
        sc->busy_tail = c->busy_prev;
    c->busy = false;
    sc->busy--;
}

static uint64_t busy_window_us(const struct cs_scan_opts *opts)
{
    uint64_t fit = (uint64_t)MAX_BUSY_HANDSHAKES * opts->download_timeout_ms * 1000 /
                   (opts->concurrency ? opts->concurrency : 1);
    return fit < BUSY_MS * 1000 ? fit : BUSY_MS * 1000;
}

/* Handshakes past the window stop counting (the list is in age order). */
static void busy_expire(struct scanner *sc, uint64_t now)
{
    while (sc->busy_head != NULL && sc->busy_head->busy_since + sc->busy_window_us <= now)
        busy_remove(sc->busy_head);
}

/* ---- finishing an endpoint --------------------------------------------- */

static void conn_release(struct conn *c)
{
    struct scanner *sc = c->sc;
    cs_timerheap_disarm(&sc->timers, &c->timer);
    if (c->fd >= 0) {
        /* Close with a reset, not a FIN: the handshake is abandoned anyway,
         * and the scanner keeps no socket in TIME_WAIT for it. */
        struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
        if (c->state == CONN_HANDSHAKING)
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
        close(c->fd); /* also removes it from the epoll set */
    }
    busy_remove(c);
    SSL_free(c->ssl);
    sk_X509_pop_free(c->chain, X509_free);
    cs_fastshake_free(&c->fs);
    memset(c, 0, sizeof(*c));
    c->next_free = sc->free_conns;
    sc->free_conns = c;
    sc->inflight--;
    sc->done++;
    sc->blocked = false;
}

static void finish(struct conn *c, enum cs_status status, const char *reason)
{
    struct scanner *sc = c->sc;
    struct cs_probe_result r = {
        .addr = &c->ep.addr,
        .port = c->ep.port,
        .sni = c->ep.sni,
        .status = status,
        .reason = reason,
        .elapsed_ms = (now_us() - c->start_us) / 1000,
        .chain = status == CS_STATUS_CERTIFICATE_FOUND ? c->chain : NULL,
    };
    /* Version and cipher are known once a ServerHello was read. */
    const SSL_CIPHER *cipher = c->ssl ? SSL_get_pending_cipher(c->ssl) : NULL;
    if (cipher == NULL && c->ssl != NULL)
        cipher = SSL_get_current_cipher(c->ssl);
    if (cipher != NULL) {
        r.cipher = SSL_CIPHER_standard_name(cipher);
        r.tls_version = SSL_get_version(c->ssl);
    } else if (c->fs_cipher != NULL) {
        r.cipher = c->fs_cipher;
        r.tls_version = c->fs_version;
    }
    CS_LOG(CS_LOG_DEBUG, CS_LOGC_PROBE, "port %u: %s (%s) after %llu ms", c->ep.port,
           cs_status_name(status), reason, (unsigned long long)r.elapsed_ms);
    sc->cb->on_result(&r, sc->cb->arg);
    ERR_clear_error();
    conn_release(c);
}

static void finish_connect_error(struct conn *c, int error)
{
    switch (error) {
    case ECONNREFUSED:
        finish(c, CS_STATUS_CONNECTION_REFUSED, "rst");
        break;
    case ETIMEDOUT:
        finish(c, CS_STATUS_TIMED_OUT_CONNECTING, "connect_timeout");
        break;
    case ENETUNREACH:
    case EAFNOSUPPORT:
        finish(c, CS_STATUS_HOST_UNREACHABLE, "network_unreachable");
        break;
    case EADDRNOTAVAIL:
    case EAGAIN:
        finish(c, CS_STATUS_HOST_UNREACHABLE, "no_local_address");
        break;
    case EACCES:
    case EPERM:
        finish(c, CS_STATUS_HOST_UNREACHABLE, "blocked_locally");
        break;
    default:
        finish(c, CS_STATUS_HOST_UNREACHABLE, "host_unreachable");
        break;
    }
}

/* Why a handshake failed, from the alert the server sent or from OpenSSL's
 * error queue ("tls:wrong_version_number"). */
static const char *handshake_failure_reason(struct conn *c)
{
    if (c->alert >= 0) {
        const char *name = cs_tls_alert_name(c->alert);
        if (name != NULL)
            snprintf(c->reason, sizeof(c->reason), "alert:%s", name);
        else
            snprintf(c->reason, sizeof(c->reason), "alert:%d", c->alert);
        return c->reason;
    }
    unsigned long e = ERR_peek_error();
    const char *text = e ? ERR_reason_error_string(e) : NULL;
    if (text == NULL) {
        snprintf(c->reason, sizeof(c->reason), "tls:error_%lu", (unsigned long)ERR_GET_REASON(e));
        return c->reason;
    }
    size_t n = (size_t)snprintf(c->reason, sizeof(c->reason), "tls:%s", text);
    for (size_t i = 4; i < n && i < sizeof(c->reason); i++)
        if (c->reason[i] == ' ')
            c->reason[i] = '_';
    return c->reason;
}

/* ---- I/O --------------------------------------------------------------- */

static void watch(struct conn *c, int op, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(c->sc->epfd, op, c->fd, &ev) != 0)
        CS_LOG(CS_LOG_WARN, CS_LOGC_PROBE, "epoll_ctl: %s", strerror(errno));
}

/* Sends what the socket takes of data[*sent..len), moving *sent. Returns
 * false if the connection was finished because the peer went away. */
static bool send_some(struct conn *c, const unsigned char *data, size_t len, size_t *sent)
{
    while (*sent < len) {
        ssize_t n = send(c->fd, data + *sent, len - *sent, MSG_NOSIGNAL);
        if (n >= 0) {
            *sent += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        finish(c, CS_STATUS_BAD_SSL_HANDSHAKE,
               c->bytes_in ? "reset_during_handshake" : "reset_after_client_hello");
        return false;
    }
    return true;
}

/* Watches for writability while something is left to send. */
static void watch_writable(struct conn *c, bool want)
{
    if (want != c->want_write) {
        c->want_write = want;
        watch(c, EPOLL_CTL_MOD, EPOLLIN | (want ? EPOLLOUT : 0));
    }
}

/* Sends what is left to send: the fast path's ClientHello, or what OpenSSL
 * wrote for the server. Returns false if the connection was finished
 * because the peer went away. */
static bool flush_output(struct conn *c)
{
    if (c->fs != NULL) {
        size_t len;
        const unsigned char *hello = cs_fastshake_hello(c->fs, &len);
        if (!send_some(c, hello, len, &c->fs_sent))
            return false;
        watch_writable(c, c->fs_sent < len);
        return true;
    }
    char *data;
    long pending = BIO_get_mem_data(c->net_out, &data);
    size_t sent = 0;

    if (!send_some(c, (const unsigned char *)data, (size_t)pending, &sent))
        return false;
    if (sent == (size_t)pending) {
        (void)BIO_reset(c->net_out);
    } else {
        char discard[4096];
        for (size_t left = sent; left > 0;) {
            int n = BIO_read(c->net_out, discard, left > 4096 ? 4096 : (int)left);
            if (n <= 0)
                break;
            left -= (size_t)n;
        }
    }
    watch_writable(c, sent < (size_t)pending);
    return true;
}

/* Runs the handshake on what has arrived. Returns false once finished. */
static bool drive_handshake(struct conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        /* Completed without a certificate: an anonymous or PSK suite. */
        if (c->chain != NULL)
            finish(c, CS_STATUS_CERTIFICATE_FOUND, "chain_received");
        else
            finish(c, CS_STATUS_BAD_SSL_HANDSHAKE, "no_certificate");
        return false;
    }
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_RETRY_VERIFY:
        finish(c, CS_STATUS_CERTIFICATE_FOUND, "chain_received");
        return false;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return flush_output(c);
    case SSL_ERROR_ZERO_RETURN:
        finish(c, CS_STATUS_BAD_SSL_HANDSHAKE, "alert:close_notify");
        return false;
    default:
        finish(c, CS_STATUS_BAD_SSL_HANDSHAKE, handshake_failure_reason(c));
        return false;
    }
}

static void on_connected(struct conn *c, uint64_t now);

/* The fast path gave up: the endpoint starts over on a new connection with
 * OpenSSL, which decides its status and reason as it always did. The
 * download deadline armed when the first connection was made stays: the
 * endpoint as a whole gets --download-timeout, so a slow server is not
 * given the time twice (see docs/engine.md). */
static void fall_back_to_openssl(struct conn *c, const char *why)
{
    struct scanner *sc = c->sc;
    struct sockaddr_storage ss;
    socklen_t sslen = cs_addr_to_sockaddr(&c->ep.addr, c->ep.port, &ss);
    struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};

    CS_LOG(CS_LOG_DEBUG, CS_LOGC_PROBE, "port %u: fast handshake falls back to OpenSSL (%s)",
           c->ep.port, why);
    sc->fast_fallbacks++;
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
    close(c->fd);
    cs_fastshake_free(&c->fs);
    sk_X509_pop_free(c->chain, X509_free);
    c->chain = NULL;
    c->fs_version = c->fs_cipher = NULL;
    c->fs_sent = 0;
    c->fs_hellos = 0;
    c->want_write = false;
    c->sniffed = false;
    c->head_len = 0;
    c->bytes_in = 0;
    c->fallback = true;
    c->state = CONN_CONNECTING;
    busy_remove(c);
    /* The socket just closed (with a reset: no TIME_WAIT) freed a
     * descriptor and a local port, so running out of either here, which
     * start_connect() would wait out, does not happen in practice. */
    c->fd = socket(c->ep.addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        finish_connect_error(c, errno);
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&ss, sslen) == 0) {
        watch(c, EPOLL_CTL_ADD, EPOLLIN);
        on_connected(c, now_us());
        return;
    }
    if (errno == EINPROGRESS) {
        watch(c, EPOLL_CTL_ADD, EPOLLOUT);
        return;
    }
    finish_connect_error(c, errno);
}

/* The fast path's chain as the callbacks expect it, each certificate
 * parsed once per scan (certcache.h). */
static bool fast_chain(struct conn *c)
{
    struct scanner *sc = c->sc;
    size_t n = cs_fastshake_chain_len(c->fs);

    c->chain = sk_X509_new_reserve(NULL, (int)n);
    if (c->chain == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const unsigned char *der = cs_fastshake_cert(c->fs, i, &len);
        bool hit;
        X509 *cert = cs_x509_cache_get(sc->x509s, der, len, &hit);
        if (cert == NULL)
            return false;
        sc->x509_hits += hit;
        if (!sk_X509_push(c->chain, cert)) {
            X509_free(cert);
            return false;
        }
    }
    return true;
}

/* Hands server bytes to the fast path. Returns false once the connection
 * is finished or restarted for OpenSSL. */
static bool feed_fast(struct conn *c, const unsigned char *buf, size_t len)
{
    switch (cs_fastshake_feed(c->fs, buf, len)) {
    case CS_FASTSHAKE_NEED_MORE:
        /* A HelloRetryRequest: the second hello goes out whole. */
        if (cs_fastshake_hellos(c->fs) != c->fs_hellos) {
            c->fs_hellos = cs_fastshake_hellos(c->fs);
            c->fs_sent = 0;
            return flush_output(c);
        }
        return true;
    case CS_FASTSHAKE_DONE:
        if (!fast_chain(c)) {
            fall_back_to_openssl(c, "certificate_parse");
            return false;
        }
        c->fs_version = cs_fastshake_version_name(c->fs);
        c->fs_cipher = cs_fastshake_suite_name(c->fs);
        c->sc->fast_done++;
        finish(c, CS_STATUS_CERTIFICATE_FOUND, "chain_received");
        return false;
    case CS_FASTSHAKE_FALLBACK:
    default:
        fall_back_to_openssl(c, cs_fastshake_reason(c->fs));
        return false;
    }
}

/* Judges the first bytes, then hands everything to OpenSSL. Returns false
 * once the connection is finished. */
static bool feed(struct conn *c, const unsigned char *buf, size_t len)
{
    const char *reason = NULL;

    c->bytes_in += len;
    if (!c->sniffed) {
        size_t take = CS_SNIFF_MAX - c->head_len;
        if (take > len)
            take = len;
        memcpy(c->head + c->head_len, buf, take);
        c->head_len += take;
        switch (cs_tlsrec_sniff(c->head, c->head_len, &reason)) {
        case CS_SNIFF_NEED_MORE:
            break;
        case CS_SNIFF_TLS:
            c->sniffed = true;
            break;
        case CS_SNIFF_SSLV2:
            finish(c, CS_STATUS_BAD_SSL_HANDSHAKE, "sslv2_server_hello");
            return false;
        case CS_SNIFF_NOT_TLS:
            /* Name the protocol from everything in this read, not just the
             * first five bytes ("SSH-2.0" vs text). */
            cs_tlsrec_sniff(buf, len, &reason);
            finish(c, CS_STATUS_NOT_SSL, reason);
            return false;
        }
    }
    if (c->bytes_in > CS_PROBE_MAX_BYTES_IN) {
        finish(c, CS_STATUS_BAD_SSL_HANDSHAKE, "too_much_data");
        return false;
    }
    if (c->fs != NULL)
        return feed_fast(c, buf, len);
    if (BIO_write(c->net_in, buf, (int)len) != (int)len) {
        finish(c, CS_STATUS_BAD_SSL_HANDSHAKE, "tls:buffer_failure");
        return false;
    }
    return drive_handshake(c);
}

static void on_readable(struct conn *c)
{
    unsigned char buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n > 0) {
            if (!feed(c, buf, (size_t)n))
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        bool reset = n < 0;
        if (c->bytes_in == 0)
            finish(c, CS_STATUS_BAD_SSL_HANDSHAKE,
                   reset ? "reset_after_client_hello" : "eof_after_client_hello");
        else
            finish(c, CS_STATUS_BAD_SSL_HANDSHAKE,
                   reset ? "reset_during_handshake" : "eof_during_handshake");
        return;
    }
}

/* TCP is up: start the download deadline, create the TLS objects and send
 * the ClientHello. */
static void on_connected(struct conn *c, uint64_t now)
{
    struct scanner *sc = c->sc;

    c->state = CONN_HANDSHAKING;
    busy_add(c, now);
    c->alert = -1;
    if (!c->fallback)
        cs_timerheap_arm(&sc->timers, &c->timer,
                         now + (uint64_t)sc->opts->download_timeout_ms * 1000);
    if (sc->fs_keys != NULL && !c->fallback &&
        (c->fs = cs_fastshake_new(sc->fs_keys, c->ep.sni)) != NULL) {
        c->fs_hellos = 1;
        watch(c, EPOLL_CTL_MOD, EPOLLIN);
        flush_output(c);
        return;
    }
    c->ssl = SSL_new(sc->ctx);
    c->net_in = BIO_new(BIO_s_mem());
    c->net_out = BIO_new(BIO_s_mem());
    if (c->ssl == NULL || c->net_in == NULL || c->net_out == NULL) {
        BIO_free(c->net_in);
        BIO_free(c->net_out);
        finish(c, CS_STATUS_BAD_SSL_HANDSHAKE, "tls:out_of_memory");
        return;
    }
    BIO_set_mem_eof_return(c->net_in, -1); /* empty means "wait", not EOF */
    SSL_set_bio(c->ssl, c->net_in, c->net_out);
    SSL_set_ex_data(c->ssl, conn_ex_index, c);
    SSL_set_connect_state(c->ssl);
    if (c->ep.sni != NULL)
        SSL_set_tlsext_host_name(c->ssl, c->ep.sni);
    watch(c, EPOLL_CTL_MOD, EPOLLIN);
    drive_handshake(c);
}

static void on_connect_done(struct conn *c, uint64_t now)
{
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
        error = errno;
    if (error != 0)
        finish_connect_error(c, error);
    else
        on_connected(c, now);
}

static void on_timeout(struct conn *c)
{
    /* A fallback connection exists because the server answered the first. */
    if (c->state == CONN_CONNECTING && !c->fallback)
        finish(c, CS_STATUS_TIMED_OUT_CONNECTING, "connect_timeout");
    else
        finish(c, CS_STATUS_TIMED_OUT_DOWNLOADING,
               c->bytes_in || c->fallback ? "incomplete_handshake" : "no_response");
}

/* ---- launching --------------------------------------------------------- */

enum start_rc { START_OK, START_LATER };

static struct conn *conn_get(struct scanner *sc)
{
    struct conn *c = sc->free_conns;
    if (c != NULL)
        sc->free_conns = c->next_free;
    else
        c = calloc(1, sizeof(*c));
    return c;
}

static void conn_put(struct scanner *sc, struct conn *c)
{
    c->next_free = sc->free_conns;
    sc->free_conns = c;
}

static enum start_rc start_connect(struct scanner *sc, const struct cs_endpoint *ep)
{
    struct sockaddr_storage ss;
    socklen_t sslen = cs_addr_to_sockaddr(&ep->addr, ep->port, &ss);
    struct conn *c = conn_get(sc);

    if (c == NULL)
        return START_LATER;
    c->sc = sc;
    c->ep = *ep;
    c->start_us = now_us(); /* not the batch time: launching thousands takes a while */
    c->state = CONN_CONNECTING;
    c->fd = socket(ep->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        int error = errno;
        if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
            conn_put(sc, c);
            return START_LATER;
        }
        sc->inflight++;
        finish_connect_error(c, error);
        return START_OK;
    }
    sc->inflight++;
    if (connect(c->fd, (struct sockaddr *)&ss, sslen) == 0) {
        watch(c, EPOLL_CTL_ADD, EPOLLIN);
        on_connected(c, c->start_us);
        return START_OK;
    }
    int error = errno;
    if (error == EINPROGRESS) {
        watch(c, EPOLL_CTL_ADD, EPOLLOUT);
        if (!cs_timerheap_arm(&sc->timers, &c->timer,
                              c->start_us + (uint64_t)sc->opts->connect_timeout_ms * 1000)) {
            close(c->fd);
            sc->inflight--;
            conn_put(sc, c);
            return START_LATER;
        }
        return START_OK;
    }
    if ((error == EAGAIN || error == EADDRNOTAVAIL) && sc->inflight > 1) {
        /* No local port free for this destination: retry once one is. With
         * nothing else in flight none will be: then it is this endpoint's
         * result (no source address for it, say), reported below. */
        close(c->fd);
        sc->inflight--;
        conn_put(sc, c);
        return START_LATER;
    }
    finish_connect_error(c, error);
    return START_OK;
}

/* The earliest time the next connection may start under --rate. */
static uint64_t rate_slot(const struct scanner *sc)
{
    if (sc->opts->rate == 0)
        return 0;
    return sc->t0_us + sc->started * 1000000u / sc->opts->rate;
}

static bool paused(const struct scanner *sc)
{
    return sc->opts->pause != NULL && *sc->opts->pause;
}

/* Whether a connection may start as soon as --rate allows. */
static bool room_to_launch(struct scanner *sc, uint64_t now)
{
    busy_expire(sc, now);
    return sc->inflight < sc->opts->concurrency && sc->busy < MAX_BUSY_HANDSHAKES && !sc->blocked &&
           sc->started < sc->plan->total && !paused(sc);
}

/* Whether another connection may start now. */
static bool can_launch(struct scanner *sc, uint64_t now)
{
    return room_to_launch(sc, now) && rate_slot(sc) <= now;
}

/* Starts connections up to the limits, at most a batch per turn of the loop
 * so that the answers to earlier ones are read promptly and their elapsed
 * times stay true. */
static void launch_more(struct scanner *sc)
{
    uint64_t now = now_us();
    struct cs_endpoint ep;
    unsigned batch = 256;

    while (batch-- > 0 && can_launch(sc, now)) {
        if (!cs_plan_peek(sc->plan, &sc->cursor, &ep))
            break;
        if (start_connect(sc, &ep) == START_LATER) {
            sc->blocked = true;
            break;
        }
        cs_plan_advance(sc->plan, &sc->cursor);
        sc->started++;
    }
}

/* ---- the loop ---------------------------------------------------------- */

static int next_wait_ms(struct scanner *sc, uint64_t now)
{
    uint64_t wake = UINT64_MAX;
    struct cs_timer *t = cs_timerheap_peek(&sc->timers);

    /* More to launch now: only poll. */
    if (can_launch(sc, now))
        return 0;
    if (t != NULL)
        wake = t->deadline;
    /* Held back by fresh handshakes: the oldest stops counting then. */
    if (sc->busy >= MAX_BUSY_HANDSHAKES && sc->busy_head->busy_since + sc->busy_window_us < wake)
        wake = sc->busy_head->busy_since + sc->busy_window_us;
    /* Paused: look again now and then, as the signal that resumes the scan
     * may come just before epoll_wait and not interrupt it. */
    if (paused(sc) && now + PAUSE_POLL_MS * 1000 < wake)
        wake = now + PAUSE_POLL_MS * 1000;
    /* The next --rate slot matters only when nothing else holds launching
     * back (a slot already past would have the loop spin). */
    if (sc->opts->rate && room_to_launch(sc, now) && rate_slot(sc) < wake)
        wake = rate_slot(sc);
    if (sc->cb->on_progress && sc->cb->progress_interval_ms && sc->next_progress_us < wake)
        wake = sc->next_progress_us;
    if (wake == UINT64_MAX)
        return -1;
    if (wake <= now)
        return 0;
    /* Round up so we never wake just before a deadline and spin. */
    return (int)((wake - now + 999) / 1000);
}

static void report_progress(struct scanner *sc, uint64_t now)
{
    if (sc->cb->on_progress)
        sc->cb->on_progress(sc->done, sc->plan->total, (double)(now - sc->t0_us) / 1e6,
                            sc->cb->arg);
    sc->next_progress_us = now + (uint64_t)sc->cb->progress_interval_ms * 1000;
}

enum cs_rc cs_scan_run(const struct cs_plan *plan, const struct cs_scan_opts *opts,
                       const struct cs_scan_callbacks *callbacks, char *err, size_t errlen)
{
    struct scanner sc = {.plan = plan,
                         .opts = opts,
                         .cb = callbacks,
                         .epfd = -1,
                         .busy_window_us = busy_window_us(opts)};
    struct epoll_event events[512];
    enum cs_rc rc = CS_OK;

    if (conn_ex_index < 0)
        conn_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    sc.ctx = make_ctx(err, errlen);
    if (sc.ctx == NULL)
        return CS_ERR_TLS;
    /* The fast path, unless CERTSWEEP_ENGINE=openssl asks for OpenSSL
     * alone (benchmarks compare both; see docs/engine.md). */
    const char *engine = getenv("CERTSWEEP_ENGINE");
    if (engine == NULL || strcmp(engine, "openssl") != 0) {
        char why[256];
        if (cs_fastshake_keys_new(sc.ctx, &sc.fs_keys, why, sizeof(why)) != CS_OK)
            CS_LOG(CS_LOG_WARN, CS_LOGC_PROBE, "%s; using OpenSSL for every handshake", why);
        else if ((sc.x509s = cs_x509_cache_new()) == NULL)
            cs_fastshake_keys_free(&sc.fs_keys);
    }
    sc.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (sc.epfd < 0) {
        rc = cs_fail(err, errlen, CS_ERR_IO, "epoll_create1: %s", strerror(errno));
        goto out;
    }
    sc.t0_us = now_us();
    sc.next_progress_us = sc.t0_us + (uint64_t)callbacks->progress_interval_ms * 1000;

    for (;;) {
        if (opts->stop != NULL && *opts->stop) {
            rc = cs_fail(err, errlen, CS_ERR_INTERRUPTED, "interrupted");
            goto out;
        }
        launch_more(&sc);
        if (sc.inflight == 0) {
            if (sc.blocked) {
                rc = cs_fail(err, errlen, CS_ERR_RUNTIME,
                             "cannot open any connection: out of sockets or local ports");
                goto out;
            }
            if (sc.started == plan->total)
                break;
        }
        uint64_t now = now_us();
        int n = epoll_wait(sc.epfd, events, (int)(sizeof(events) / sizeof(events[0])),
                           next_wait_ms(&sc, now));
        if (n < 0 && errno != EINTR) {
            rc = cs_fail(err, errlen, CS_ERR_IO, "epoll_wait: %s", strerror(errno));
            goto out;
        }
        now = now_us();
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state == CONN_CONNECTING)
                on_connect_done(c, now);
            else if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(c);
            else if (events[i].events & EPOLLOUT)
                flush_output(c);
        }
        /* A deadline is met when it has passed, whatever else happened. */
        struct cs_timer *t;
        while ((t = cs_timerheap_peek(&sc.timers)) != NULL && t->deadline <= now)
            on_timeout((struct conn *)t);
        if (callbacks->progress_interval_ms && now >= sc.next_progress_us)
            report_progress(&sc, now);
    }
    report_progress(&sc, now_us());
    CS_LOG(CS_LOG_INFO, CS_LOGC_PROBE,
           "engine: %s; fast handshakes %llu, fallbacks to OpenSSL %llu, certificates parsed "
           "once and reused %llu times",
           sc.fs_keys ? "fast path" : "openssl", (unsigned long long)sc.fast_done,
           (unsigned long long)sc.fast_fallbacks, (unsigned long long)sc.x509_hits);
out:
    /* Only reached early (a local failure or a stop): drop what is in flight. */
    for (size_t i = sc.timers.count; i > 0; i--) {
        struct conn *c = (struct conn *)sc.timers.items[i - 1];
        conn_release(c);
    }
    while (sc.free_conns != NULL) {
        struct conn *c = sc.free_conns;
        sc.free_conns = c->next_free;
        free(c);
    }
    cs_timerheap_free(&sc.timers);
    if (sc.epfd >= 0)
        close(sc.epfd);
    SSL_CTX_free(sc.ctx);
    cs_fastshake_keys_free(&sc.fs_keys);
    cs_x509_cache_free(&sc.x509s);
    return rc;
}
