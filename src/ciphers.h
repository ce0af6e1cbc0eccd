/*
 * The cipher suites a vulnerability scan offers by hand: every IANA TLS
 * suite (RFC 5246, 8446 and the registry) with what makes it weak, and the
 * seven SSLv2 cipher kinds. Hand-built ClientHellos need these ids because
 * Debian's OpenSSL 3 no longer implements many of the suites worth finding
 * (EXPORT, RC4, NULL, SSLv2).
 */
#ifndef CS_CIPHERS_H
#define CS_CIPHERS_H

#include <stddef.h>
#include <stdint.h>

/* Protocol versions as they appear on the wire. */
#define CS_SSL2 0x0002
#define CS_SSL3 0x0300
#define CS_TLS10 0x0301
#define CS_TLS11 0x0302
#define CS_TLS12 0x0303
#define CS_TLS13 0x0304

/* Signalling suites (RFC 5746, RFC 7507): offered, never chosen. */
#define CS_SUITE_EMPTY_RENEGOTIATION_INFO_SCSV 0x00ff
#define CS_SUITE_FALLBACK_SCSV 0x5600

enum cs_suite_flags {
    CS_SUITE_NULL_ENC = 1 << 0, /* no encryption */
    CS_SUITE_ANON = 1 << 1,     /* no authentication (DH_anon, ECDH_anon) */
    CS_SUITE_EXPORT = 1 << 2,   /* export-grade (40/56-bit) */
    CS_SUITE_RC4 = 1 << 3,
    CS_SUITE_DES = 1 << 4,      /* single DES */
    CS_SUITE_3DES = 1 << 5,     /* triple DES: SWEET32 */
    CS_SUITE_MD5 = 1 << 6,      /* HMAC-MD5 */
    CS_SUITE_CBC = 1 << 7,      /* a block cipher in CBC mode: POODLE on SSLv3 */
    CS_SUITE_FS = 1 << 8,       /* forward secrecy: (EC)DHE key exchange, or TLS 1.3 */
    CS_SUITE_TLS13 = 1 << 9,    /* a TLS 1.3 suite (offered only in TLS 1.3 hellos) */
    CS_SUITE_TLS12 = 1 << 10,   /* needs TLS 1.2 (AEAD or SHA-256/384 MAC) */
    CS_SUITE_PSK_SRP = 1 << 11, /* PSK, SRP, KRB5: needs a shared secret; not offered */
};

/* What a weak_cipher finding reports: any of these. */
#define CS_SUITE_WEAK                                                                              \
    (CS_SUITE_NULL_ENC | CS_SUITE_ANON | CS_SUITE_EXPORT | CS_SUITE_RC4 | CS_SUITE_DES |           \
     CS_SUITE_3DES | CS_SUITE_MD5)

struct cs_suite {
    uint16_t id;
    const char *name; /* IANA name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA" */
    unsigned flags;   /* enum cs_suite_flags */
};

/* The suite of an id, or NULL for an id not in the table. */
const struct cs_suite *cs_suite_find(uint16_t id);

/* Writes into out (up to cap ids) the suites a ClientHello of `version`
 * offers when it offers everything: for TLS 1.3 the TLS 1.3 suites; for
 * TLS 1.2 every non-TLS 1.3 suite but PSK/SRP/KRB5; for SSLv3 to TLS 1.1
 * those minus CS_SUITE_TLS12. Returns the number written. CS_SUITES_MAX is
 * always enough. */
#define CS_SUITES_MAX 512
size_t cs_suites_for_version(uint16_t version, uint16_t *out, size_t cap);

/* The name of a protocol version as reports print it: "SSLv2", "SSLv3",
 * "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"; NULL for another value. */
const char *cs_version_name(uint16_t version);

/* SSLv2 cipher kinds (3-byte ids) and their names ("SSL_CK_RC4_128_WITH_MD5"). */
struct cs_ssl2_suite {
    uint32_t id;
    const char *name;
    unsigned flags; /* every SSLv2 kind is weak by today's measure */
};
extern const struct cs_ssl2_suite cs_ssl2_suites[];
extern const size_t cs_ssl2_suite_count;
const struct cs_ssl2_suite *cs_ssl2_suite_find(uint32_t id);

#endif
