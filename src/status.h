/*
 * What one probe of one endpoint found: its status (the classes of the
 * discovery email), the finer reason, and the certificate chain if any.
 */
#ifndef CS_STATUS_H
#define CS_STATUS_H

#include "target.h"

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

enum cs_status {
    CS_STATUS_TIMED_OUT_CONNECTING,
    CS_STATUS_TIMED_OUT_DOWNLOADING,
    CS_STATUS_CONNECTION_REFUSED,
    CS_STATUS_HOST_UNREACHABLE,
    CS_STATUS_DNS_FAILED,
    CS_STATUS_NOT_SSL,
    CS_STATUS_BAD_SSL_HANDSHAKE,
    CS_STATUS_CERTIFICATE_FOUND,
    CS_STATUS_COUNT
};

/* The wire name of a status, e.g. "timed_out_connecting". */
const char *cs_status_name(enum cs_status status);

/* Whether an endpoint with this status accepted a TCP connection: the
 * endpoints that discovery keeps in the inventory. */
bool cs_status_accepted_tcp(enum cs_status status);

/* The status of a wire name; false for an unknown name. */
bool cs_status_parse(const char *name, enum cs_status *out);

/*
 * One endpoint's outcome, handed to the caller's result callback. Everything
 * it points to belongs to the scanner and is valid only during the callback.
 */
struct cs_probe_result {
    const struct cs_addr *addr; /* NULL only for CS_STATUS_DNS_FAILED */
    uint16_t port;
    const char *sni; /* NULL when no SNI was sent */
    enum cs_status status;
    const char *reason;      /* e.g. "alert:handshake_failure" */
    uint64_t elapsed_ms;     /* from the start of connect to the outcome */
    const char *tls_version; /* "TLSv1.2"...; NULL before a ServerHello */
    const char *cipher;      /* IANA name; NULL before a ServerHello */
    STACK_OF(X509) * chain;  /* leaf first as sent; NULL without certificate */
};

#endif
