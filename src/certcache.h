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

#endif
