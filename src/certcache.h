/*
 * Facts of recently seen certificates, by SHA-256 of the DER. Many
 * endpoints of a network present the same certificate (wildcards,
 * load-balanced pools, appliance defaults), and extracting its facts is
 * costly in OpenSSL 3.0 (names, PEM, the self-signature check): the cache
 * computes them once. Direct-mapped on the first byte of the digest, so its
 * size is fixed whatever the scan.
 */
#ifndef CS_CERTCACHE_H
#define CS_CERTCACHE_H

#include "x509info.h"

struct cs_cert_cache;

/* NULL when out of memory. Release with cs_cert_cache_free(). */
struct cs_cert_cache *cs_cert_cache_new(void);
void cs_cert_cache_free(struct cs_cert_cache **cache);

/* Fills facts (zeroed by the caller) with a copy of cert's facts, from the
 * cache or freshly computed into it. The caller clears the copy. *cached
 * (if not NULL) tells whether they were in the cache already. */
enum cs_rc cs_cert_cache_get(struct cs_cert_cache *cache, X509 *cert, struct cs_cert_facts *facts,
                             bool *cached);

/*
 * Parsed certificates by SHA-256 of their DER, for the fast handshake path
 * of the engine (probe.c): a certificate seen on many endpoints is parsed
 * once per scan (d2i_X509 costs OpenSSL 3.0 over a million instructions,
 * most of it setting up a public-key decoder), then each use is a digest,
 * a lookup and a reference. Direct-mapped, CS_X509_CACHE_SLOTS slots;
 * certificates above CS_X509_CACHE_MAX_DER bytes are parsed but not kept,
 * so the cache holds at most 512 x 16 KiB of DER (and their parsed form)
 * whatever the servers send.
 */
#define CS_X509_CACHE_SLOTS 512
#define CS_X509_CACHE_MAX_DER (16 * 1024)

struct cs_x509_cache;

/* NULL when out of memory. Release with cs_x509_cache_free(), which drops
 * the cache's references (certificates handed out stay valid). */
struct cs_x509_cache *cs_x509_cache_new(void);
void cs_x509_cache_free(struct cs_x509_cache **cache);

/* The certificate of der, as a new reference the caller X509_free()s;
 * NULL if der is not exactly one DER certificate (or out of memory). *hit
 * (if not NULL) tells whether it came from the cache. */
X509 *cs_x509_cache_get(struct cs_x509_cache *cache, const unsigned char *der, size_t len,
                        bool *hit);

#endif
