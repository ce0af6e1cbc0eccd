/*
 * The facts certsweep records about a certificate: fingerprints, names,
 * validity, key and signature. Everything is read from the certificate as
 * the server sent it; nothing is verified.
 */
#ifndef CS_X509INFO_H
#define CS_X509INFO_H

#include "cs.h"

#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

struct cs_cert_facts {
    char sha256[65];     /* hex of the SHA-256 of the DER */
    char *subject;       /* RFC 4514, UTF-8 */
    char *subject_cn;    /* last CN of the subject, or NULL */
    char *issuer;        /* RFC 4514, UTF-8 */
    char *serial;        /* lowercase hex, no separators */
    char not_before[21]; /* RFC 3339 UTC: 2026-01-01T00:00:00Z */
    char not_after[21];
    time_t not_after_epoch;
    char **sans; /* "DNS:a.example", "IP:10.0.0.1", "email:...", "URI:..." */
    size_t nsans;
    const char *key_type; /* "RSA", "EC", "Ed25519", ...: static */
    int key_bits;
    const char *sig_alg; /* OpenSSL long name, e.g. "sha256WithRSAEncryption": static */
    bool self_signed;    /* issuer equals subject, signed by its own key */
    char *pem;
    size_t der_len;
};

/* Writes the lowercase hex SHA-256 of cert's DER into out (65 bytes with
 * the NUL): the identity of a certificate everywhere in certsweep. */
enum cs_rc cs_cert_sha256(X509 *cert, char *out);

/* Extracts the facts of cert into facts (which the caller zeroes). On error
 * whatever was filled is freed. Release with cs_cert_facts_clear(). */
enum cs_rc cs_cert_facts_get(X509 *cert, struct cs_cert_facts *facts, char *err, size_t errlen);
void cs_cert_facts_clear(struct cs_cert_facts *facts);

/* Deep copy of src into dst (zeroed by the caller); on error dst is left
 * cleared. */
enum cs_rc cs_cert_facts_copy(const struct cs_cert_facts *src, struct cs_cert_facts *dst);

#endif
