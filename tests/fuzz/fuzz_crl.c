/*
 * libFuzzer harness for revocation.c: cs_crl_judge() on whatever bytes a
 * CRL server, or anyone on the path of its plain HTTP, sends (DER or PEM).
 * Besides memory errors and leaks, the harness checks that the verdict is
 * good, revoked or unusable (a CRL has no "unknown"), that an unusable one
 * says why, and that OpenSSL's error queue is left empty. The seeds
 * (corpus/crl, made with rev_lab.h by make_rev_seeds.py) are signed by
 * rev_lab.h's issuer: listing the leaf, not listing it, in PEM, a delta
 * CRL, and one signed by another key.
 */
#include "rev_lab.h"
#include "revocation.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static X509 *pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (cert == NULL)
        abort();
    return cert;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Made once; kept (reachable) for the whole run. */
    static X509 *issuer, *leaf;
    struct cs_rev_verdict v;

    if (issuer == NULL) {
        issuer = pem_cert(REV_LAB_ISSUER);
        leaf = pem_cert(REV_LAB_LEAF);
    }
    /* Exactly size bytes, so that ASan sees a read past them. */
    unsigned char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    enum cs_rev_status status = cs_crl_judge(buf, size, leaf, issuer, REV_LAB_NOW, &v);
    if (status != v.status ||
        (status != CS_REV_GOOD && status != CS_REV_REVOKED && status != CS_REV_UNUSABLE))
        abort();
    if (status == CS_REV_UNUSABLE && v.why[0] == '\0')
        abort();
    if (memchr(v.why, '\0', sizeof(v.why)) == NULL || ERR_peek_error() != 0)
        abort();
    free(buf);
    return 0;
}
