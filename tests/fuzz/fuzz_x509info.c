/*
 * libFuzzer harness for x509info.c: whatever DER a server sends as its
 * certificate is decoded by OpenSSL and then read by cs_cert_facts_get().
 * Besides memory errors, the harness checks the facts are well formed:
 * a 64-digit fingerprint, strings where strings are promised.
 */
#include "x509info.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct cs_cert_facts *f, size_t size)
{
    if (strlen(f->sha256) != 64 || strspn(f->sha256, "0123456789abcdef") != 64)
        abort();
    if (f->subject == NULL || f->issuer == NULL || f->serial == NULL || f->pem == NULL)
        abort();
    if (f->key_type == NULL || f->sig_alg == NULL)
        abort();
    if (f->nsans > 0 && f->sans == NULL)
        abort();
    for (size_t i = 0; i < f->nsans; i++)
        if (f->sans[i] == NULL)
            abort();
    if (f->der_len == 0 || f->der_len > size)
        abort();
    if (f->not_before[0] != '\0' && strlen(f->not_before) != 20)
        abort();
    if (f->not_after[0] != '\0' && strlen(f->not_after) != 20)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509 *cert = d2i_X509(NULL, &p, (long)size);
    struct cs_cert_facts facts;
    char err[CS_ERRLEN];

    if (cert != NULL) {
        memset(&facts, 0, sizeof(facts));
        if (cs_cert_facts_get(cert, &facts, err, sizeof(err)) == CS_OK)
            check(&facts, size);
        cs_cert_facts_clear(&facts);
        X509_free(cert);
    }
    ERR_clear_error();
    return 0;
}
