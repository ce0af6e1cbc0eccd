#include "resolve.h"
#include "log.h"

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

static const char *dns_error_name(int status)
{
    switch (status) {
    case ARES_ENOTFOUND:
        return "not_found";
    case ARES_ENODATA:
        return "no_data";
    case ARES_ETIMEOUT:
        return "timeout";
    case ARES_ESERVFAIL:
        return "server_failure";
    case ARES_EREFUSED:
        return "refused";
    case ARES_ECONNREFUSED:
        return "server_unreachable";
    default:
        return "dns_error";
    }
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct cs_target *t = arg;
    size_t n = 0;

    if (status != ARES_SUCCESS) {
        t->dns_error = dns_error_name(status);
        CS_LOG(CS_LOG_DEBUG, CS_LOGC_RESOLVE, "%s: %s", t->host, ares_strerror(status));
        goto out;
    }
    for (struct ares_addrinfo_node *node = res->nodes; node; node = node->ai_next)
        n++;
    t->addrs = calloc(n ? n : 1, sizeof(*t->addrs));
    if (t->addrs == NULL) {
        t->dns_error = "dns_error";
        goto out;
    }
    for (struct ares_addrinfo_node *node = res->nodes; node; node = node->ai_next) {
        struct cs_addr a = {.family = node->ai_family};
        const unsigned char *bytes;
        int len;
        if (node->ai_family == AF_INET) {
            bytes = (const unsigned char *)&((struct sockaddr_in *)node->ai_addr)->sin_addr;
            len = 4;
        } else if (node->ai_family == AF_INET6) {
            bytes = ((struct sockaddr_in6 *)node->ai_addr)->sin6_addr.s6_addr;
            len = 16;
        } else {
            continue;
        }
        for (int i = 0; i < len; i++)
            a.v = (a.v << 8) | bytes[i];
        bool dup = false;
        for (size_t k = 0; k < t->naddrs && !dup; k++)
            dup = t->addrs[k].family == a.family && t->addrs[k].v == a.v;
        if (!dup)
            t->addrs[t->naddrs++] = a;
    }
    if (t->naddrs == 0)
        t->dns_error = "no_data";
    CS_LOG(CS_LOG_DEBUG, CS_LOGC_RESOLVE, "%s: %zu addresses", t->host, t->naddrs);
out:
    if (res != NULL)
        ares_freeaddrinfo(res);
}

/* Runs the c-ares channel until every query has called back. */
static void drain(ares_channel channel)
{
    for (;;) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        int bitmask = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
        nfds_t n = 0;

        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short events = 0;
            /* c-ares's ARES_GETSOCK_WRITABLE shifts a signed 1 into the sign
             * bit for the last socket (undefined behaviour): test unsigned. */
            unsigned bits = (unsigned)bitmask;
            if ((bits >> i) & 1u)
                events |= POLLIN;
            if ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u)
                events |= POLLOUT;
            if (events)
                pfd[n++] = (struct pollfd){.fd = socks[i], .events = events};
        }
        if (n == 0)
            return;
        struct timeval tv, *tvp = ares_timeout(channel, NULL, &tv);
        int ms = tvp ? (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000) : -1;
        int ready = poll(pfd, n, ms);
        if (ready <= 0) {
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            continue;
        }
        for (nfds_t i = 0; i < n; i++) {
            short ev = pfd[i].revents;
            if (ev == 0)
                continue;
            ares_process_fd(channel,
                            (ev & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
                            (ev & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
        }
    }
}

enum cs_rc cs_resolve_targets(struct cs_target_list *const *lists, size_t nlists,
                              const struct cs_resolve_opts *opts, char *err, size_t errlen)
{
    struct ares_options options = {.timeout = opts->timeout_ms, .tries = 2};
    ares_channel channel = NULL;
    enum cs_rc rc = CS_OK;
    bool any = false;
    int status;

    for (size_t l = 0; l < nlists && !any; l++)
        for (size_t i = 0; i < lists[l]->count && !any; i++)
            any = lists[l]->items[i].kind == CS_TARGET_HOST;
    if (!any)
        return CS_OK;

    status = ares_library_init(ARES_LIB_INIT_ALL);
    if (status != ARES_SUCCESS)
        return cs_fail(err, errlen, CS_ERR_DNS, "cannot start the resolver: %s",
                       ares_strerror(status));
    status = ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (status != ARES_SUCCESS) {
        rc = cs_fail(err, errlen, CS_ERR_DNS, "cannot start the resolver: %s",
                     ares_strerror(status));
        goto out;
    }
    if (opts->servers != NULL) {
        status = ares_set_servers_ports_csv(channel, opts->servers);
        if (status != ARES_SUCCESS) {
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "invalid --dns-server '%s': %s", opts->servers,
                         ares_strerror(status));
            goto out;
        }
    }
    for (size_t l = 0; l < nlists; l++) {
        for (size_t i = 0; i < lists[l]->count; i++) {
            struct cs_target *t = &lists[l]->items[i];
            struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
            if (t->kind == CS_TARGET_HOST)
                ares_getaddrinfo(channel, t->host, NULL, &hints, on_addrinfo, t);
        }
    }
    drain(channel);
out:
    if (channel != NULL)
        ares_destroy(channel);
    ares_library_cleanup();
    return rc;
}
