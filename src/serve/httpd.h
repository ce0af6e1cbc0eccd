/*
 * The HTTP side of `certsweep serve`: libmicrohttpd with one internal
 * thread on epoll (event-driven, no thread per connection), which routes
 * /api/v1/ to the handlers of api.h after checking the bearer token,
 * /metrics to metrics.h and / and /ui/ to dashboard.h. The thread has its
 * own store connection, used by it alone.
 */
#ifndef CS_SERVE_HTTPD_H
#define CS_SERVE_HTTPD_H

#include "shared.h"

#include <sys/socket.h>

/* The largest request body taken; a larger one is answered 413. */
#define CS_HTTPD_MAX_BODY (64 * 1024)

struct cs_httpd;

/*
 * Listens on addr (bound here, so that a taken port is a clear error) and
 * starts the HTTP thread. With cert_pem and key_pem (PEM text, not file
 * names) it speaks HTTPS only. The caller owns *out: cs_httpd_stop(),
 * which closes the listening socket, ends the thread and its connections.
 * shared must outlive it.
 */
enum cs_rc cs_httpd_start(const struct sockaddr *addr, socklen_t addrlen, const char *cert_pem,
                          const char *key_pem, struct cs_serve_shared *shared,
                          struct cs_httpd **out, char *err, size_t errlen);
/* The port it listens on (the one the kernel chose for port 0). */
unsigned cs_httpd_port(const struct cs_httpd *h);
void cs_httpd_stop(struct cs_httpd **h);

/* Whether an address is a loopback one: 127.0.0.0/8, ::1, or
 * ::ffff:127.0.0.0/104. */
bool cs_httpd_is_loopback(const struct sockaddr *addr);

#endif
