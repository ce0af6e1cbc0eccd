/*
 * Hand parsing of the first bytes a server sends: is it a TLS record, an
 * SSLv2 hello, or another protocol (and which)? Also the RFC names of TLS
 * alerts. Works on untrusted bytes only by reading within len.
 */
#ifndef CS_TLSREC_H
#define CS_TLSREC_H

#include <stddef.h>

enum cs_sniff {
    CS_SNIFF_NEED_MORE, /* too few bytes to tell */
    CS_SNIFF_TLS,       /* a TLS (or SSLv3) record header */
    CS_SNIFF_SSLV2,     /* an SSLv2 SERVER-HELLO */
    CS_SNIFF_NOT_TLS,   /* something else; *reason says what it looks like */
};

/* Bytes cs_tlsrec_sniff() needs at most to decide. */
#define CS_SNIFF_MAX 5

/* Classifies the first bytes from a server. On CS_SNIFF_NOT_TLS, *reason is
 * set to a static name such as "ssh_banner" or "binary_response". */
enum cs_sniff cs_tlsrec_sniff(const unsigned char *buf, size_t len, const char **reason);

/* The RFC 8446 name of a TLS alert description ("handshake_failure"), or
 * NULL for a value with no name. */
const char *cs_tls_alert_name(int description);

#endif
