/*
 * libFuzzer harness for fastshake.c, the engine's own handshake up to the
 * server's Certificate message. The input's first byte picks a mode:
 *
 *   0  server bytes after a fixed ClientHello, through the record layer
 *      (ServerHello parsing, TLS 1.2 plaintext, TLS 1.3 record decryption)
 *   1  plaintext handshake messages as after TLS 1.3 decryption
 *      (EncryptedExtensions, CertificateRequest, Certificate)
 *   2  plaintext handshake messages as after a TLS 1.2 ServerHello
 *
 * the second byte where to split the rest in two feeds. The state machine
 * must read only within its input, decide the same whatever the split (it
 * is a function of the bytes), give a reason with every FALLBACK, and on
 * DONE a chain of at least one non-empty certificate within the bytes fed.
 */
#include "fastshake.h"

#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

static struct cs_fastshake_keys *keys;

static struct cs_fastshake_keys *the_keys(void)
{
    if (keys == NULL) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        char err[256];
        if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
            !SSL_CTX_set_cipher_list(ctx, "ALL:!aNULL:!PSK:!SRP:@SECLEVEL=0"))
            abort();
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET |
                                     SSL_OP_NO_COMPRESSION);
        if (cs_fastshake_keys_new(ctx, &keys, err, sizeof(err)) != CS_OK)
            abort();
        SSL_CTX_free(ctx);
    }
    return keys;
}

static enum cs_fastshake_rc feed(struct cs_fastshake *fs, int mode, const uint8_t *p, size_t n)
{
    if (mode == 0)
        return cs_fastshake_feed(fs, p, n);
    return cs_fastshake_feed_messages(fs, mode == 1, p, n);
}

static enum cs_fastshake_rc run(int mode, const uint8_t *data, size_t size, size_t split,
                                const char **reason, size_t *chain)
{
    struct cs_fastshake *fs = cs_fastshake_new(the_keys(), "fuzz.test");
    if (fs == NULL)
        abort();
    enum cs_fastshake_rc rc = feed(fs, mode, data, split);
    if (rc == CS_FASTSHAKE_NEED_MORE)
        rc = feed(fs, mode, data + split, size - split);
    *reason = cs_fastshake_reason(fs);
    *chain = cs_fastshake_chain_len(fs);
    if (rc == CS_FASTSHAKE_FALLBACK && (*reason == NULL || (*reason)[0] == '\0'))
        abort();
    if (rc != CS_FASTSHAKE_FALLBACK && *reason != NULL)
        abort();
    if (rc == CS_FASTSHAKE_DONE) {
        if (*chain == 0)
            abort();
        for (size_t i = 0; i < *chain; i++) {
            size_t len;
            const unsigned char *der = cs_fastshake_cert(fs, i, &len);
            if (der == NULL || len == 0 || len > size)
                abort();
            volatile unsigned char touch = der[0] ^ der[len - 1];
            (void)touch;
        }
        if (mode == 0 &&
            (cs_fastshake_version_name(fs) == NULL || cs_fastshake_suite_name(fs) == NULL))
            abort();
    } else if (*chain != 0) {
        abort();
    }
    cs_fastshake_free(&fs);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int mode = data[0] % 3;
    size_t rest = size - 2;
    size_t split = rest ? (size_t)data[1] * rest / 255 : 0;
    const char *reason_a, *reason_b;
    size_t chain_a, chain_b;

    enum cs_fastshake_rc a = run(mode, data + 2, rest, rest, &reason_a, &chain_a);
    enum cs_fastshake_rc b = run(mode, data + 2, rest, split, &reason_b, &chain_b);
    /* A TLS 1.3 flight decrypts under keys from the random of each hello,
     * so in mode 0 only what comes before decryption must agree exactly. */
    if (a != b && !(mode == 0 && ((reason_a && !strcmp(reason_a, "decrypt_failed")) ||
                                  (reason_b && !strcmp(reason_b, "decrypt_failed")))))
        abort();
    if (a == b && a == CS_FASTSHAKE_FALLBACK && strcmp(reason_a, reason_b) != 0 && mode != 0)
        abort();
    if (a == b && chain_a != chain_b)
        abort();
    return 0;
}
