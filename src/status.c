#include "status.h"

#include <string.h>

static const char *const status_names[CS_STATUS_COUNT] = {
    [CS_STATUS_TIMED_OUT_CONNECTING] = "timed_out_connecting",
    [CS_STATUS_TIMED_OUT_DOWNLOADING] = "timed_out_downloading",
    [CS_STATUS_CONNECTION_REFUSED] = "connection_refused",
    [CS_STATUS_HOST_UNREACHABLE] = "host_unreachable",
    [CS_STATUS_DNS_FAILED] = "dns_failed",
    [CS_STATUS_NOT_SSL] = "not_ssl",
    [CS_STATUS_BAD_SSL_HANDSHAKE] = "bad_ssl_handshake",
    [CS_STATUS_CERTIFICATE_FOUND] = "certificate_found",
};

const char *cs_status_name(enum cs_status status)
{
    return (unsigned)status < CS_STATUS_COUNT ? status_names[status] : "unknown";
}

bool cs_status_parse(const char *name, enum cs_status *out)
{
    for (int s = 0; s < CS_STATUS_COUNT; s++)
        if (strcmp(name, status_names[s]) == 0) {
            *out = (enum cs_status)s;
            return true;
        }
    return false;
}

bool cs_status_accepted_tcp(enum cs_status status)
{
    return status == CS_STATUS_TIMED_OUT_DOWNLOADING || status == CS_STATUS_NOT_SSL ||
           status == CS_STATUS_BAD_SSL_HANDSHAKE || status == CS_STATUS_CERTIFICATE_FOUND;
}
