#include "certcache.h"

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
