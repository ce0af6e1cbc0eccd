#include "vulnscan.h"
#include "log.h"
#include "probe.h"
#include "revocation.h"
#include "timerheap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Most bytes read for one probe: a ServerHello up to ServerHelloDone with a
 * large chain, or a heartbeat answer, fit many times over. */
#define MAX_ANSWER (1024 * 1024)
#define HOST_BUCKETS 1024

/* An endpoint as the discovery pass left it. */
struct endpoint {
    struct cs_addr addr;
    uint16_t port;
    char *sni;
    enum cs_status status;
    char reason[64];
    STACK_OF(X509) * chain;
    uint64_t discovery_ms;
};

/* The connections in flight to one address, for the per-host cap. */
struct host {
    struct cs_addr addr;
    unsigned inflight, sessions;
    struct host *next;
};

/* The checks of one endpoint while they run. */
struct session {
    struct endpoint *ep;
    struct cs_vcheck *check;
    struct host *host;
    unsigned inflight;
    uint64_t start_us;
    struct session *prev, *next;
};

enum conn_state { CONN_CONNECTING, CONN_TALKING };

struct conn {
    struct cs_timer timer; /* first member: the heap hands back this address */
    struct session *s;
    struct cs_vprobe *probe;
    struct conn *next_free;
    enum conn_state state;
    int fd;
    bool heartbeat_sent;
    unsigned char out[CS_HELLO_MAX + 16];
    size_t out_len, out_off;
    unsigned char *in;
    size_t in_len, in_cap;
};

struct vscan {
    const struct cs_vuln_opts *opts;
    const struct cs_vuln_callbacks *cb;
    X509_STORE *store;
    struct cs_revcheck *rev; /* NULL without --revocation */
    struct endpoint *eps;
    size_t ep_count, ep_cap;
    size_t *queue; /* indexes of endpoints for the raw probes, in order */
    size_t queue_len, queue_next;
    struct session *active;
    struct host *hosts[HOST_BUCKETS];
    struct cs_timerheap timers;
    struct conn *free_conns;
    int epfd;
    unsigned inflight;
    uint64_t started;    /* raw probes started, for the rate */
    uint64_t rate_t0_us; /* when the raw probes began */
    uint64_t done, total;
    uint64_t t0_us, next_progress_us;
    bool oom;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool paused(const struct vscan *vs)
{
    return vs->opts->pause != NULL && *vs->opts->pause;
}

/* The earliest time the next probe may start under --rate (0: now). */
static uint64_t rate_slot(const struct vscan *vs)
{
    if (vs->opts->rate == 0)
        return 0;
    return vs->rate_t0_us + vs->started * 1000000u / vs->opts->rate;
}

/* Whether a new connection may start now: not paused, not ahead of the rate. */
static bool may_start(const struct vscan *vs)
{
    return !paused(vs) && (vs->opts->rate == 0 || rate_slot(vs) <= now_us());
}

/* ---- results ------------------------------------------------------------ */

static void report_progress(struct vscan *vs, uint64_t now)
{
    if (vs->cb->on_progress)
        vs->cb->on_progress(vs->done, vs->total, (double)(now - vs->t0_us) / 1e6, vs->cb->arg);
    vs->next_progress_us = now + (uint64_t)vs->cb->progress_interval_ms * 1000;
}

/* Hands one endpoint's outcome to the caller; check may be NULL (no raw
 * probe ran). The certificate checks run here, on the discovery chain, and
 * the revocation verdicts (fetched before the raw probes) are added. */
static void emit(struct vscan *vs, const struct endpoint *ep, struct cs_vcheck *check,
                 uint64_t start_us)
{
    struct cs_findings none = {0};
    struct cs_findings *findings = check ? cs_vcheck_findings(check) : &none;
    char ip[64];

    cs_addr_format(&ep->addr, ip, sizeof(ip));
    if (ep->chain != NULL && (vs->opts->checks & CS_VCHECK_CERTIFICATE) &&
        cs_certcheck_run(ep->chain, vs->store, ep->sni, ip, &vs->opts->cert, findings) != CS_OK)
        vs->oom = true;
    if (ep->chain != NULL && vs->rev != NULL &&
        cs_revcheck_findings(vs->rev, ep->chain, findings) != CS_OK)
        vs->oom = true;
    struct cs_vuln_result r = {
        .addr = &ep->addr,
        .port = ep->port,
        .sni = ep->sni,
        .status = ep->status,
        .reason = ep->reason,
        .facts = check ? cs_vcheck_facts(check) : NULL,
        .chain = ep->chain,
        .findings = findings,
        .elapsed_ms = ep->discovery_ms + (start_us ? (now_us() - start_us) / 1000 : 0),
    };
    vs->cb->on_result(&r, vs->cb->arg);
    cs_findings_clear(&none);
    vs->done++;
}

/* ---- the discovery pass ----------------------------------------------- */

static void on_discovered(const struct cs_probe_result *r, void *arg)
{
    struct vscan *vs = arg;

    if (vs->ep_count == vs->ep_cap) {
        size_t cap = vs->ep_cap ? vs->ep_cap * 2 : 64;
        struct endpoint *eps = realloc(vs->eps, cap * sizeof(*eps));
        if (eps == NULL) {
            vs->oom = true;
            return;
        }
        vs->eps = eps;
        vs->ep_cap = cap;
    }
    struct endpoint *ep = &vs->eps[vs->ep_count];
    memset(ep, 0, sizeof(*ep));
    if (r->addr != NULL)
        ep->addr = *r->addr;
    ep->port = r->port;
    ep->status = r->status;
    snprintf(ep->reason, sizeof(ep->reason), "%s", r->reason ? r->reason : "");
    ep->discovery_ms = r->elapsed_ms;
    if (r->sni != NULL && (ep->sni = strdup(r->sni)) == NULL) {
        vs->oom = true;
        return;
    }
    if (r->chain != NULL && (ep->chain = X509_chain_up_ref(r->chain)) == NULL) {
        free(ep->sni);
        vs->oom = true;
        return;
    }
    vs->ep_count++;
}

/* Whether the raw probes have anything to talk to: the endpoint answered
 * with TLS, even if OpenSSL could not finish with it (SSLv2, SSLv3, an
 * alert). */
static bool answered_tls(const struct endpoint *ep)
{
    return ep->status == CS_STATUS_CERTIFICATE_FOUND || ep->status == CS_STATUS_BAD_SSL_HANDSHAKE;
}

/* ---- hosts -------------------------------------------------------------- */

static size_t host_bucket(const struct cs_addr *addr)
{
    uint64_t h = (uint64_t)addr->v ^ (uint64_t)(addr->v >> 64) ^ (uint64_t)addr->family;
    h *= 0x9e3779b97f4a7c15u;
    return (size_t)(h >> 54) % HOST_BUCKETS;
}

static struct host *host_get(struct vscan *vs, const struct cs_addr *addr)
{
    struct host **bucket = &vs->hosts[host_bucket(addr)];
    for (struct host *h = *bucket; h != NULL; h = h->next)
        if (h->addr.family == addr->family && h->addr.v == addr->v) {
            h->sessions++;
            return h;
        }
    struct host *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->addr = *addr;
    h->sessions = 1;
    h->next = *bucket;
    *bucket = h;
    return h;
}

static void host_put(struct vscan *vs, struct host *host)
{
    if (--host->sessions > 0)
        return;
    for (struct host **p = &vs->hosts[host_bucket(&host->addr)]; *p != NULL; p = &(*p)->next)
        if (*p == host) {
            *p = host->next;
            break;
        }
    free(host);
}

/* ---- connections ---------------------------------------------------------- */

static void conn_end(struct vscan *vs, struct conn *c, enum cs_vprobe_end end)
{
    struct session *s = c->s;

    cs_timerheap_disarm(&vs->timers, &c->timer);
    if (c->fd >= 0) {
        /* A reset, not a FIN: nothing is left to say, and no socket of ours
         * waits in TIME_WAIT for it. */
        struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
        if (c->state == CONN_TALKING)
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
        close(c->fd);
    }
    free(c->in);
    c->probe->end = end;
    if (cs_vcheck_done(s->check, c->probe) != CS_OK)
        vs->oom = true;
    s->inflight--;
    s->host->inflight--;
    vs->inflight--;
    memset(c, 0, sizeof(*c));
    c->next_free = vs->free_conns;
    vs->free_conns = c;
}

static bool send_pending(struct vscan *vs, struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        conn_end(vs, c, CS_VPROBE_CLOSED);
        return false;
    }
    struct epoll_event ev = {.events = EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0),
                             .data.ptr = c};
    epoll_ctl(vs->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    return true;
}

/* After ServerHelloDone: the heartbeat request, then close_notify. A server
 * handles records in order, so one that does not answer the heartbeat
 * closes at once instead of leaving us to wait for the deadline. */
static bool send_heartbeat(struct vscan *vs, struct conn *c)
{
    uint16_t version = c->probe->offer.version;
    size_t n = cs_heartbeat_build(version, c->out, sizeof(c->out));
    const unsigned char close_notify[] = {21, version >> 8, version & 0xff, 0, 2, 1, 0};

    memcpy(c->out + n, close_notify, sizeof(close_notify));
    c->out_len = n + sizeof(close_notify);
    c->out_off = 0;
    c->heartbeat_sent = true;
    return send_pending(vs, c);
}

/* Parses what arrived; ends the connection once the probe has its answer. */
static void judge(struct vscan *vs, struct conn *c)
{
    struct cs_vprobe *p = c->probe;
    enum cs_answer_kind kind = cs_hello_parse(c->in, c->in_len, &p->answer);

    if (kind == CS_ANSWER_NEED_MORE)
        return;
    if (p->kind == CS_VPROBE_FLIGHT && kind == CS_ANSWER_SERVER_HELLO && p->answer.alert < 0 &&
        !p->answer.hello_done)
        return;
    if (p->kind != CS_VPROBE_HEARTBEAT || kind != CS_ANSWER_SERVER_HELLO || p->answer.alert >= 0) {
        conn_end(vs, c, CS_VPROBE_ANSWERED);
        return;
    }
    if (!c->heartbeat_sent) {
        if (p->answer.hello_done)
            send_heartbeat(vs, c);
        return;
    }
    if (p->answer.heartbeat_leak || p->answer.heartbeat_garbage)
        conn_end(vs, c, CS_VPROBE_ANSWERED);
}

static void on_readable(struct vscan *vs, struct conn *c)
{
    for (;;) {
        if (c->in_len == c->in_cap) {
            if (c->in_cap >= MAX_ANSWER) {
                conn_end(vs, c, CS_VPROBE_CLOSED);
                return;
            }
            size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
            unsigned char *in = realloc(c->in, cap);
            if (in == NULL) {
                vs->oom = true;
                conn_end(vs, c, CS_VPROBE_CLOSED);
                return;
            }
            c->in = in;
            c->in_cap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            struct session *s = c->s;
            unsigned before = s->inflight;
            judge(vs, c);
            if (s->inflight != before)
                return; /* ended */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_end(vs, c, CS_VPROBE_CLOSED);
        return;
    }
}

static void on_connect_done(struct vscan *vs, struct conn *c)
{
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
        error = errno;
    if (error != 0) {
        conn_end(vs, c, CS_VPROBE_CONNECT_FAILED);
        return;
    }
    c->state = CONN_TALKING;
    cs_timerheap_arm(&vs->timers, &c->timer, now_us() + (uint64_t)vs->opts->read_timeout_ms * 1000);
    send_pending(vs, c);
}

static void on_timeout(struct vscan *vs, struct conn *c)
{
    conn_end(vs, c, c->state == CONN_CONNECTING ? CS_VPROBE_CONNECT_FAILED : CS_VPROBE_TIMEOUT);
}

/* Starts probe p of session s. Whatever fails here is the probe's outcome
 * (CONNECT_FAILED), handed back at once. */
static void start_probe(struct vscan *vs, struct session *s, struct cs_vprobe *p)
{
    struct conn *c = vs->free_conns;
    if (c != NULL)
        vs->free_conns = c->next_free;
    else
        c = malloc(sizeof(*c));
    if (c == NULL) {
        vs->oom = true;
        p->end = CS_VPROBE_CONNECT_FAILED;
        cs_vcheck_done(s->check, p);
        return;
    }
    s->inflight++;
    s->host->inflight++;
    vs->inflight++;
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->probe = p;
    c->state = CONN_CONNECTING;
    c->out_len = p->kind == CS_VPROBE_SSL2 ? cs_hello_build_ssl2(c->out, sizeof(c->out))
                                           : cs_hello_build(&p->offer, c->out, sizeof(c->out));
    c->fd = socket(s->ep->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->out_len == 0 || c->fd < 0) {
        conn_end(vs, c, CS_VPROBE_CONNECT_FAILED);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = cs_addr_to_sockaddr(&s->ep->addr, s->ep->port, &ss);
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(vs->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0 ||
        (connect(c->fd, (struct sockaddr *)&ss, sslen) != 0 && errno != EINPROGRESS)) {
        conn_end(vs, c, CS_VPROBE_CONNECT_FAILED);
        return;
    }
    if (!cs_timerheap_arm(&vs->timers, &c->timer,
                          now_us() + (uint64_t)vs->opts->connect_timeout_ms * 1000)) {
        vs->oom = true;
        conn_end(vs, c, CS_VPROBE_CONNECT_FAILED);
    }
}

/* ---- sessions ------------------------------------------------------------ */

/* Starts the probes session s may start now, within both caps. */
static void fill(struct vscan *vs, struct session *s)
{
    while (vs->inflight < vs->opts->concurrency && s->host->inflight < vs->opts->per_host &&
           may_start(vs)) {
        struct cs_vprobe *p = cs_vcheck_next(s->check);
        if (p == NULL)
            return;
        vs->started++;
        start_probe(vs, s, p);
    }
}

static bool start_session(struct vscan *vs, struct endpoint *ep)
{
    struct session *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return false;
    s->ep = ep;
    s->start_us = now_us();
    s->check = cs_vcheck_new(ep->sni, vs->opts->checks);
    s->host = s->check ? host_get(vs, &ep->addr) : NULL;
    if (s->host == NULL) {
        cs_vcheck_free(&s->check);
        free(s);
        return false;
    }
    s->next = vs->active;
    if (vs->active)
        vs->active->prev = s;
    vs->active = s;
    return true;
}

static void end_session(struct vscan *vs, struct session *s)
{
    emit(vs, s->ep, s->check, s->start_us);
    if (s->prev)
        s->prev->next = s->next;
    else
        vs->active = s->next;
    if (s->next)
        s->next->prev = s->prev;
    host_put(vs, s->host);
    cs_vcheck_free(&s->check);
    free(s);
}

/* Fills the running sessions, starts new ones while connections are free,
 * and reports those that are done. */
static void schedule(struct vscan *vs)
{
    struct session *s, *next;

    for (s = vs->active; s != NULL && may_start(vs); s = s->next)
        fill(vs, s);
    while (may_start(vs) && vs->inflight < vs->opts->concurrency &&
           vs->queue_next < vs->queue_len) {
        struct endpoint *ep = &vs->eps[vs->queue[vs->queue_next]];
        if (!start_session(vs, ep)) {
            vs->oom = true;
            break;
        }
        vs->queue_next++;
        fill(vs, vs->active);
        /* Its host is at the cap: wait rather than pile more sessions on it
         * (the next endpoints are likely on the same address). */
        if (vs->active->inflight == 0 && !cs_vcheck_finished(vs->active->check))
            break;
    }
    for (s = vs->active; s != NULL; s = next) {
        next = s->next;
        if (s->inflight == 0 && cs_vcheck_finished(s->check))
            end_session(vs, s);
    }
}

/* ---- the loop --------------------------------------------------------- */

static int next_wait_ms(const struct vscan *vs, uint64_t now)
{
    uint64_t wake = UINT64_MAX;
    struct cs_timer *t = cs_timerheap_peek(&vs->timers);
    if (t != NULL)
        wake = t->deadline;
    if (vs->cb->on_progress && vs->cb->progress_interval_ms && vs->next_progress_us < wake)
        wake = vs->next_progress_us;
    /* Paused: look again now and then (see probe.c). */
    if (paused(vs) && now + 250000 < wake)
        wake = now + 250000;
    else if (!paused(vs) && rate_slot(vs) > now && rate_slot(vs) < wake)
        wake = rate_slot(vs); /* held back by --rate */
    if (wake == UINT64_MAX)
        return -1;
    if (wake <= now)
        return 0;
    return (int)((wake - now + 999) / 1000);
}

static enum cs_rc raw_probes(struct vscan *vs, char *err, size_t errlen)
{
    struct epoll_event events[256];

    vs->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (vs->epfd < 0)
        return cs_fail(err, errlen, CS_ERR_IO, "epoll_create1: %s", strerror(errno));
    vs->rate_t0_us = now_us();
    for (;;) {
        if (vs->opts->stop != NULL && *vs->opts->stop)
            return cs_fail(err, errlen, CS_ERR_INTERRUPTED, "interrupted");
        schedule(vs);
        if (vs->active == NULL && vs->queue_next == vs->queue_len)
            return CS_OK;
        uint64_t now = now_us();
        int n = epoll_wait(vs->epfd, events, (int)(sizeof(events) / sizeof(events[0])),
                           next_wait_ms(vs, now));
        if (n < 0 && errno != EINTR)
            return cs_fail(err, errlen, CS_ERR_IO, "epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state == CONN_CONNECTING)
                on_connect_done(vs, c);
            else if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(vs, c);
            else if (events[i].events & EPOLLOUT)
                send_pending(vs, c);
        }
        now = now_us();
        struct cs_timer *t;
        while ((t = cs_timerheap_peek(&vs->timers)) != NULL && t->deadline <= now)
            on_timeout(vs, (struct conn *)t);
        if (vs->cb->progress_interval_ms && now >= vs->next_progress_us)
            report_progress(vs, now);
    }
}

/* Fetches the OCSP answers and CRLs of every chain the discovery pass got,
 * all at once, before the raw probes: emit() then only looks the verdicts
 * up. */
static enum cs_rc check_revocation(struct vscan *vs, char *err, size_t errlen)
{
    struct cs_revcheck_opts ropts = {
        .timeout_ms = vs->opts->revocation_timeout_ms,
        .store = vs->store,
        .now = vs->opts->cert.now,
    };
    enum cs_rc rc = cs_revcheck_new(&ropts, &vs->rev, err, errlen);

    for (size_t i = 0; rc == CS_OK && i < vs->ep_count; i++)
        if (vs->eps[i].chain != NULL && cs_revcheck_add(vs->rev, vs->eps[i].chain) != CS_OK)
            rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    if (rc == CS_OK)
        rc = cs_revcheck_run(vs->rev, vs->opts->stop, err, errlen);
    return rc;
}

enum cs_rc cs_vuln_run(const struct cs_plan *plan, const struct cs_vuln_opts *opts,
                       const struct cs_vuln_callbacks *callbacks, char *err, size_t errlen)
{
    struct vscan vs = {.opts = opts, .cb = callbacks, .epfd = -1, .total = plan->total};
    enum cs_rc rc;

    if ((opts->checks & CS_VCHECK_CERTIFICATE || opts->revocation) &&
        (rc = cs_certcheck_store_new(&opts->cert, &vs.store, err, errlen)) != CS_OK)
        return rc;
    vs.t0_us = now_us();
    vs.next_progress_us = vs.t0_us + (uint64_t)callbacks->progress_interval_ms * 1000;

    struct cs_scan_opts discovery = {
        .connect_timeout_ms = opts->connect_timeout_ms,
        .download_timeout_ms = opts->read_timeout_ms,
        .concurrency = opts->concurrency,
        .stop = opts->stop,
        .pause = opts->pause,
        .rate = opts->rate,
    };
    struct cs_scan_callbacks on_discovery = {.on_result = on_discovered, .arg = &vs};
    rc = cs_scan_run(plan, &discovery, &on_discovery, err, errlen);
    if (rc != CS_OK)
        goto out;
    if (vs.oom) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }

    if (opts->revocation && (rc = check_revocation(&vs, err, errlen)) != CS_OK)
        goto out;

    vs.queue = calloc(vs.ep_count ? vs.ep_count : 1, sizeof(*vs.queue));
    if (vs.queue == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < vs.ep_count; i++) {
        if (answered_tls(&vs.eps[i]))
            vs.queue[vs.queue_len++] = i;
        else
            emit(&vs, &vs.eps[i], NULL, 0);
    }
    rc = raw_probes(&vs, err, errlen);
    if (rc == CS_OK)
        report_progress(&vs, now_us());
    if (rc == CS_OK && vs.oom)
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
out:
    for (size_t i = vs.timers.count; i > 0; i--)
        conn_end(&vs, (struct conn *)vs.timers.items[i - 1], CS_VPROBE_CLOSED);
    while (vs.active != NULL) {
        struct session *s = vs.active;
        vs.active = s->next;
        host_put(&vs, s->host);
        cs_vcheck_free(&s->check);
        free(s);
    }
    while (vs.free_conns != NULL) {
        struct conn *c = vs.free_conns;
        vs.free_conns = c->next_free;
        free(c);
    }
    for (size_t i = 0; i < vs.ep_count; i++) {
        free(vs.eps[i].sni);
        sk_X509_pop_free(vs.eps[i].chain, X509_free);
    }
    free(vs.eps);
    free(vs.queue);
    cs_timerheap_free(&vs.timers);
    if (vs.epfd >= 0)
        close(vs.epfd);
    cs_revcheck_free(&vs.rev);
    X509_STORE_free(vs.store);
    return rc;
}
