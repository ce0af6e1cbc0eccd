#include "certcache.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256

struct slot {
    bool used;
    struct cs_cert_facts facts;
};

struct cs_cert_cache {
    struct slot slots[SLOTS];
};

struct cs_cert_cache *cs_cert_cache_new(void)
{
    return calloc(1, sizeof(struct cs_cert_cache));
}

void cs_cert_cache_free(struct cs_cert_cache **cache)
{
    if (cache == NULL || *cache == NULL)
        return;
    for (int i = 0; i < SLOTS; i++)
        cs_cert_facts_clear(&(*cache)->slots[i].facts);
    free(*cache);
    *cache = NULL;
}

static unsigned hex_byte(const char *hex)
{
    unsigned v = 0;
    for (int i = 0; i < 2; i++)
        v = v * 16 + (unsigned)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
    return v;
}

enum cs_rc cs_cert_cache_get(struct cs_cert_cache *cache, X509 *cert, struct cs_cert_facts *facts,
                             bool *cached)
{
    char sha256[65];
    enum cs_rc rc = cs_cert_sha256(cert, sha256);
    if (rc != CS_OK)
        return rc;
    struct slot *slot = &cache->slots[hex_byte(sha256) % SLOTS];
    bool hit = slot->used && strcmp(slot->facts.sha256, sha256) == 0;
    if (cached != NULL)
        *cached = hit;
    if (!hit) {
        cs_cert_facts_clear(&slot->facts);
        slot->used = false;
        if ((rc = cs_cert_facts_get(cert, &slot->facts, NULL, 0)) != CS_OK)
            return rc;
        slot->used = true;
    }
    return cs_cert_facts_copy(&slot->facts, facts);
}

/* ---- parsed certificates by DER ------------------------------------------ */

struct x509_slot {
    X509 *cert; /* NULL: empty */
    size_t der_len;
    unsigned char sha256[32];
};

struct cs_x509_cache {
    EVP_MD *sha256;
    struct x509_slot slots[CS_X509_CACHE_SLOTS];
};

struct cs_x509_cache *cs_x509_cache_new(void)
{
    struct cs_x509_cache *cache = calloc(1, sizeof(*cache));
    if (cache != NULL && (cache->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
        free(cache);
        cache = NULL;
    }
    return cache;
}

void cs_x509_cache_free(struct cs_x509_cache **cache)
{
    if (cache == NULL || *cache == NULL)
        return;
    for (int i = 0; i < CS_X509_CACHE_SLOTS; i++)
        X509_free((*cache)->slots[i].cert);
    EVP_MD_free((*cache)->sha256);
    free(*cache);
    *cache = NULL;
}

static X509 *parse_der(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    if (len > LONG_MAX)
        return NULL;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    /* Trailing bytes would make the chain differ from what was sent. */
    if (cert != NULL && p != der + len) {
        X509_free(cert);
        cert = NULL;
    }
    return cert;
}

X509 *cs_x509_cache_get(struct cs_x509_cache *cache, const unsigned char *der, size_t len,
                        bool *hit)
{
    unsigned char md[32];
    unsigned int md_len = 0;

    if (hit != NULL)
        *hit = false;
    if (len > CS_X509_CACHE_MAX_DER || !EVP_Digest(der, len, md, &md_len, cache->sha256, NULL))
        return parse_der(der, len);
    struct x509_slot *slot = &cache->slots[((unsigned)md[0] << 8 | md[1]) % CS_X509_CACHE_SLOTS];
    if (slot->cert != NULL && slot->der_len == len && memcmp(slot->sha256, md, 32) == 0 &&
        X509_up_ref(slot->cert)) {
        if (hit != NULL)
            *hit = true;
        return slot->cert;
    }
    X509 *cert = parse_der(der, len);
    if (cert != NULL && X509_up_ref(cert)) {
        X509_free(slot->cert);
        slot->cert = cert;
        slot->der_len = len;
        memcpy(slot->sha256, md, 32);
    }
    return cert;
}
