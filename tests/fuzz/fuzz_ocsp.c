/*
 * libFuzzer harness for revocation.c: cs_ocsp_judge() on whatever bytes an
 * OCSP responder, or anyone on the path of its plain HTTP, sends. Besides
 * memory errors and leaks, the harness checks that the verdict is in the
 * enum, that an answer which proves nothing says why, and that OpenSSL's
 * error queue is left empty. The seeds (corpus/ocsp, made with rev_lab.h
 * by make_rev_seeds.py) are signed by rev_lab.h's issuer, so mutations
 * start past the signature check: good, revoked, unknown, a delegated
 * responder, a wrong signer, an unsuccessful status.
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
    enum cs_rev_status status = cs_ocsp_judge(buf, size, leaf, issuer, REV_LAB_NOW, &v);
    if (status != v.status || (unsigned)status > CS_REV_UNUSABLE)
        abort();
    if (status == CS_REV_UNUSABLE && v.why[0] == '\0')
        abort();
    if (memchr(v.why, '\0', sizeof(v.why)) == NULL || ERR_peek_error() != 0)
        abort();
    free(buf);
    return 0;
}
