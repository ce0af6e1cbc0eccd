/*
 * Unit tests of fastshake.c: the ClientHello it sends (OpenSSL's own, with
 * only random, session id, server_name and key share of its own), and the
 * state machine fed real server flights. The server is OpenSSL in-process
 * behind memory BIOs, with a certificate made here, so TLS 1.3 flights are
 * genuinely encrypted under the key share the fast path sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "certcache.h"
#include "fastshake.h"
#include "probe.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The client context of probe.c (make_ctx), whose hello the fast path copies. */
static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    assert_true(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION));
    assert_true(SSL_CTX_set_cipher_list(ctx, "ALL:!aNULL:!PSK:!SRP:@SECLEVEL=0"));
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_options(ctx,
                        SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
    return ctx;
}

struct server {
    SSL_CTX *ctx;
    EVP_PKEY *key;
    X509 *cert;
};

static void server_init(struct server *s, const char *key_type, int max_version)
{
    if (strcmp(key_type, "EC") == 0)
        s->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else if (strcmp(key_type, "RSA") == 0)
        s->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    else
        s->key = EVP_PKEY_Q_keygen(NULL, NULL, key_type);
    assert_non_null(s->key);
    s->cert = X509_new();
    assert_non_null(s->cert);
    X509_set_version(s->cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(s->cert), 42);
    X509_gmtime_adj(X509_getm_notBefore(s->cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(s->cert), 86400);
    X509_NAME *name = X509_get_subject_name(s->cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(s->cert, name);
    X509_set_pubkey(s->cert, s->key);
    const EVP_MD *md = strcmp(key_type, "ED25519") == 0 ? NULL : EVP_sha256();
    assert_true(X509_sign(s->cert, s->key, md) > 0);
    s->ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(s->ctx);
    SSL_CTX_set_security_level(s->ctx, 0);
    assert_true(SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION));
    assert_true(SSL_CTX_set_max_proto_version(s->ctx, max_version));
    SSL_CTX_set_cipher_list(s->ctx, "ALL:@SECLEVEL=0");
    assert_true(SSL_CTX_use_certificate(s->ctx, s->cert));
    assert_true(SSL_CTX_use_PrivateKey(s->ctx, s->key));
}

static void server_free(struct server *s)
{
    SSL_CTX_free(s->ctx);
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
}

/* Hands hello to a server of ctx; returns the bytes it answers (malloc'd). */
static unsigned char *server_answer(SSL_CTX *ctx, const unsigned char *hello, size_t hello_len,
                                    size_t *len)
{
    SSL *ssl = SSL_new(ctx);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    assert_non_null(ssl);
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_accept_state(ssl);
    assert_int_equal(BIO_write(in, hello, (int)hello_len), (int)hello_len);
    (void)SSL_do_handshake(ssl);
    char *data;
    long n = BIO_get_mem_data(out, &data);
    assert_true(n > 0);
    unsigned char *copy = malloc((size_t)n);
    assert_non_null(copy);
    memcpy(copy, data, (size_t)n);
    *len = (size_t)n;
    SSL_free(ssl);
    return copy;
}

struct run {
    struct cs_fastshake_keys *keys;
    struct cs_fastshake *fs;
    enum cs_fastshake_rc rc;
    unsigned char *answer;
    size_t answer_len;
};

/* A fast handshake against server s, the answer fed in pieces of step
 * bytes (0: all at once), after tamper (if set) changed it. */
static void run_against(struct run *r, SSL_CTX *server, size_t step,
                        void (*tamper)(unsigned char *, size_t))
{
    SSL_CTX *client = client_ctx();
    char err[256];
    assert_int_equal(cs_fastshake_keys_new(client, &r->keys, err, sizeof(err)), CS_OK);
    SSL_CTX_free(client);
    r->fs = cs_fastshake_new(r->keys, "localhost");
    assert_non_null(r->fs);
    size_t hello_len;
    const unsigned char *hello = cs_fastshake_hello(r->fs, &hello_len);
    r->answer = server_answer(server, hello, hello_len, &r->answer_len);
    if (tamper)
        tamper(r->answer, r->answer_len);
    r->rc = CS_FASTSHAKE_NEED_MORE;
    for (size_t o = 0; o < r->answer_len && r->rc == CS_FASTSHAKE_NEED_MORE;) {
        size_t n = step && step < r->answer_len - o ? step : r->answer_len - o;
        r->rc = cs_fastshake_feed(r->fs, r->answer + o, n);
        o += n;
    }
}

static struct cs_fastshake_keys *test_keys(void);

static void run_free(struct run *r)
{
    cs_fastshake_free(&r->fs);
    cs_fastshake_keys_free(&r->keys);
    free(r->answer);
}

static void assert_chain_is(const struct cs_fastshake *fs, X509 *cert)
{
    unsigned char *der = NULL;
    int der_len = i2d_X509(cert, &der);
    assert_true(der_len > 0);
    assert_int_equal(cs_fastshake_chain_len(fs), 1);
    size_t len;
    const unsigned char *got = cs_fastshake_cert(fs, 0, &len);
    assert_int_equal(len, (size_t)der_len);
    assert_memory_equal(got, der, len);
    OPENSSL_free(der);
}

static void tls13_case(const char *key_type, const char *suites, const char *want_suite,
                       size_t step)
{
    struct server s;
    struct run r = {0};
    server_init(&s, key_type, TLS1_3_VERSION);
    if (suites)
        assert_true(SSL_CTX_set_ciphersuites(s.ctx, suites));
    run_against(&r, s.ctx, step, NULL);
    assert_int_equal(r.rc, CS_FASTSHAKE_DONE);
    assert_int_equal(cs_fastshake_version(r.fs), 0x0304);
    assert_string_equal(cs_fastshake_version_name(r.fs), "TLSv1.3");
    assert_string_equal(cs_fastshake_suite_name(r.fs), want_suite);
    assert_chain_is(r.fs, s.cert);
    run_free(&r);
    server_free(&s);
}

static void test_tls13_flight_gives_the_chain(void **state)
{
    (void)state;
    tls13_case("EC", NULL, "TLS_AES_256_GCM_SHA384", 0);
}

static void test_tls13_aes128_and_chacha_decrypt(void **state)
{
    (void)state;
    tls13_case("EC", "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", 0);
    tls13_case("RSA", "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", 0);
}

static void test_tls13_fed_byte_by_byte(void **state)
{
    (void)state;
    tls13_case("ED25519", NULL, "TLS_AES_256_GCM_SHA384", 1);
    tls13_case("EC", NULL, "TLS_AES_256_GCM_SHA384", 7);
}

static void test_tls13_certificate_request_is_stepped_over(void **state)
{
    (void)state;
    struct server s;
    struct run r = {0};
    server_init(&s, "EC", TLS1_3_VERSION);
    SSL_CTX_set_verify(s.ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    run_against(&r, s.ctx, 0, NULL);
    assert_int_equal(r.rc, CS_FASTSHAKE_DONE);
    assert_chain_is(r.fs, s.cert);
    run_free(&r);
    server_free(&s);
}

static void test_tls12_plaintext_certificate(void **state)
{
    (void)state;
    struct server s;
    struct run r = {0};
    server_init(&s, "EC", TLS1_2_VERSION);
    run_against(&r, s.ctx, 3, NULL);
    assert_int_equal(r.rc, CS_FASTSHAKE_DONE);
    assert_int_equal(cs_fastshake_version(r.fs), 0x0303);
    assert_string_equal(cs_fastshake_version_name(r.fs), "TLSv1.2");
    assert_non_null(cs_fastshake_suite_name(r.fs));
    assert_chain_is(r.fs, s.cert);
    run_free(&r);
    server_free(&s);
}

static void test_tls10_plaintext_certificate(void **state)
{
    (void)state;
    struct server s;
    struct run r = {0};
    server_init(&s, "RSA", TLS1_VERSION);
    run_against(&r, s.ctx, 0, NULL);
    assert_int_equal(r.rc, CS_FASTSHAKE_DONE);
    assert_string_equal(cs_fastshake_version_name(r.fs), "TLSv1");
    assert_null(strstr(cs_fastshake_suite_name(r.fs), "GCM"));
    assert_chain_is(r.fs, s.cert);
    run_free(&r);
    server_free(&s);
}

/* What a server of ctx, in the middle of one handshake (ssl), answers to
 * bytes; malloc'd. */
static unsigned char *server_step(SSL *ssl, const unsigned char *in, size_t in_len, size_t *len)
{
    assert_int_equal(BIO_write(SSL_get_rbio(ssl), in, (int)in_len), (int)in_len);
    (void)SSL_do_handshake(ssl);
    char *data;
    long n = BIO_get_mem_data(SSL_get_wbio(ssl), &data);
    assert_true(n > 0);
    unsigned char *copy = malloc((size_t)n);
    assert_non_null(copy);
    memcpy(copy, data, (size_t)n);
    (void)BIO_reset(SSL_get_wbio(ssl));
    *len = (size_t)n;
    return copy;
}

/* A server that wants another group than x25519 sends a HelloRetryRequest;
 * the fast path writes a second hello with a share of that group and reads
 * the chain from the answer, for each group it has a key type for. */
static void test_hello_retry_request_is_answered(void **state)
{
    (void)state;
    static const char *const groups[] = {"P-256", "P-384", "P-521", "X448"};
    struct server s;
    server_init(&s, "EC", TLS1_3_VERSION);
    struct cs_fastshake_keys *keys = test_keys();
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        assert_true(SSL_CTX_set1_groups_list(s.ctx, groups[i]));
        SSL *ssl = SSL_new(s.ctx);
        BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
        assert_non_null(ssl);
        BIO_set_mem_eof_return(in, -1);
        SSL_set_bio(ssl, in, out);
        SSL_set_accept_state(ssl);
        struct cs_fastshake *fs = cs_fastshake_new(keys, "localhost");
        size_t hello_len, answer_len;
        const unsigned char *hello = cs_fastshake_hello(fs, &hello_len);
        unsigned char *answer = server_step(ssl, hello, hello_len, &answer_len);
        assert_int_equal(cs_fastshake_feed(fs, answer, answer_len), CS_FASTSHAKE_NEED_MORE);
        free(answer);
        if (cs_fastshake_hellos(fs) != 2)
            fail_msg("%s: no second hello", groups[i]);
        hello = cs_fastshake_hello(fs, &hello_len);
        answer = server_step(ssl, hello, hello_len, &answer_len);
        enum cs_fastshake_rc rc = cs_fastshake_feed(fs, answer, answer_len);
        if (rc != CS_FASTSHAKE_DONE)
            fail_msg("%s: rc %d (%s)", groups[i], rc, cs_fastshake_reason(fs));
        assert_string_equal(cs_fastshake_version_name(fs), "TLSv1.3");
        assert_chain_is(fs, s.cert);
        free(answer);
        cs_fastshake_free(&fs);
        SSL_free(ssl);
    }
    cs_fastshake_keys_free(&keys);
    server_free(&s);
}

/* A retry for a group the fast path has no key type for (finite-field
 * Diffie-Hellman, which OpenSSL's hello offers) falls back. */
static void test_hello_retry_request_for_ffdhe_falls_back(void **state)
{
    (void)state;
    struct server s;
    struct run r = {0};
    server_init(&s, "EC", TLS1_3_VERSION);
    assert_true(SSL_CTX_set1_groups_list(s.ctx, "ffdhe2048"));
    run_against(&r, s.ctx, 0, NULL);
    assert_int_equal(r.rc, CS_FASTSHAKE_FALLBACK);
    assert_string_equal(cs_fastshake_reason(r.fs), "hello_retry_request");
    assert_int_equal(cs_fastshake_chain_len(r.fs), 0);
    run_free(&r);
    server_free(&s);
}

/* Flips a byte in the second encrypted record: OpenSSL writes one record
 * per message, so that is the one with the Certificate. */
static void break_certificate_record(unsigned char *buf, size_t len)
{
    int seen = 0;
    for (size_t o = 0; o + 5 <= len; o += 5 + ((size_t)buf[o + 3] << 8 | buf[o + 4])) {
        if (buf[o] == 23 && ++seen == 2) {
            buf[o + 5 + 10] ^= 1;
            return;
        }
    }
    fail_msg("no second encrypted record");
}

static void test_tampered_record_falls_back(void **state)
{
    (void)state;
    struct server s;
    struct run r = {0};
    server_init(&s, "EC", TLS1_3_VERSION);
    run_against(&r, s.ctx, 0, break_certificate_record);
    assert_int_equal(r.rc, CS_FASTSHAKE_FALLBACK);
    assert_string_equal(cs_fastshake_reason(r.fs), "decrypt_failed");
    run_free(&r);
    server_free(&s);
}

static void test_alert_falls_back(void **state)
{
    (void)state;
    struct run r = {0};
    SSL_CTX *client = client_ctx();
    char err[256];
    assert_int_equal(cs_fastshake_keys_new(client, &r.keys, err, sizeof(err)), CS_OK);
    SSL_CTX_free(client);
    r.fs = cs_fastshake_new(r.keys, NULL);
    assert_non_null(r.fs);
    static const unsigned char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    assert_int_equal(cs_fastshake_feed(r.fs, alert, 3), CS_FASTSHAKE_NEED_MORE);
    assert_int_equal(cs_fastshake_feed(r.fs, alert + 3, 4), CS_FASTSHAKE_FALLBACK);
    assert_string_equal(cs_fastshake_reason(r.fs), "alert");
    /* Decided: more bytes change nothing. */
    assert_int_equal(cs_fastshake_feed(r.fs, alert, sizeof(alert)), CS_FASTSHAKE_FALLBACK);
    run_free(&r);
}

static void test_oversized_lengths_fall_back(void **state)
{
    (void)state;
    SSL_CTX *client = client_ctx();
    struct cs_fastshake_keys *keys;
    char err[256];
    assert_int_equal(cs_fastshake_keys_new(client, &keys, err, sizeof(err)), CS_OK);
    SSL_CTX_free(client);

    struct cs_fastshake *fs = cs_fastshake_new(keys, NULL);
    static const unsigned char long_record[] = {0x16, 0x03, 0x03, 0x50, 0x00};
    assert_int_equal(cs_fastshake_feed(fs, long_record, sizeof(long_record)),
                     CS_FASTSHAKE_FALLBACK);
    assert_string_equal(cs_fastshake_reason(fs), "record_too_long");
    cs_fastshake_free(&fs);

    /* A Certificate message declaring more than the engine accepts. */
    fs = cs_fastshake_new(keys, NULL);
    unsigned char msg[] = {11, 0x08, 0x00, 0x01, 0x00};
    assert_int_equal(cs_fastshake_feed_messages(fs, false, msg, sizeof(msg)),
                     CS_FASTSHAKE_FALLBACK);
    assert_string_equal(cs_fastshake_reason(fs), "certificate_too_long");
    cs_fastshake_free(&fs);

    /* A certificate entry running past its list. */
    fs = cs_fastshake_new(keys, NULL);
    unsigned char bad[] = {11, 0, 0, 7, 0, 0, 4, 0, 0, 9, 0xaa};
    assert_int_equal(cs_fastshake_feed_messages(fs, false, bad, sizeof(bad)),
                     CS_FASTSHAKE_FALLBACK);
    assert_string_equal(cs_fastshake_reason(fs), "certificate_malformed");
    cs_fastshake_free(&fs);

    /* A name that cannot be sent as server_name: no fast handshake. */
    char name[300];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_null(cs_fastshake_new(keys, name));
    assert_null(cs_fastshake_new(keys, ""));
    cs_fastshake_keys_free(&keys);
    assert_null(keys);
}

/* The hello offers exactly what OpenSSL's does for the same name: only the
 * random, the session id and the key share differ. */
static void test_hello_is_openssls_own(void **state)
{
    (void)state;
    SSL_CTX *client = client_ctx();
    struct cs_fastshake_keys *keys;
    char err[256];
    assert_int_equal(cs_fastshake_keys_new(client, &keys, err, sizeof(err)), CS_OK);
    struct cs_fastshake *fs = cs_fastshake_new(keys, "www.example.test");
    size_t ours_len;
    const unsigned char *ours = cs_fastshake_hello(fs, &ours_len);

    SSL *ssl = SSL_new(client);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
    SSL_set_tlsext_host_name(ssl, "www.example.test");
    (void)SSL_do_handshake(ssl);
    char *theirs;
    long theirs_len = BIO_get_mem_data(out, &theirs);
    assert_int_equal((size_t)theirs_len, ours_len);
    /* Header and version, then after random and session id up to the key. */
    size_t skip_from = 11, skip_to = 11 + 32 + 1 + 32;
    assert_memory_equal(ours, theirs, skip_from);
    assert_memory_equal(ours + skip_to, theirs + skip_to, ours_len - skip_to - 32);
    assert_memory_not_equal(ours + ours_len - 32, theirs + ours_len - 32, 32);
    SSL_free(ssl);
    SSL_CTX_free(client);
    cs_fastshake_free(&fs);
    cs_fastshake_keys_free(&keys);
}

/* Feeds keys' fast path (SNI "localhost" sent) a TLS 1.2 ServerHello
 * record whose extension block is exts (exts_len bytes, without the block's
 * own length). Returns what it says; *reason the fallback reason or "". */
static enum cs_fastshake_rc feed_tls12_hello(struct cs_fastshake_keys *keys,
                                             const unsigned char *exts, size_t exts_len,
                                             const char **reason)
{
    unsigned char rec[5 + 4 + 2 + 32 + 1 + 2 + 1 + 2 + 1024];
    size_t body = 2 + 32 + 1 + 2 + 1 + 2 + exts_len, o = 0;
    assert_true(exts_len <= 1024);
    rec[o++] = 0x16;
    rec[o++] = 3;
    rec[o++] = 3;
    rec[o++] = (unsigned char)((4 + body) >> 8);
    rec[o++] = (unsigned char)(4 + body);
    rec[o++] = 2;
    rec[o++] = 0;
    rec[o++] = (unsigned char)(body >> 8);
    rec[o++] = (unsigned char)body;
    rec[o++] = 3;
    rec[o++] = 3;
    memset(rec + o, 0x11, 32);
    o += 32;
    rec[o++] = 0; /* session id */
    rec[o++] = 0xc0;
    rec[o++] = 0x2b;
    rec[o++] = 0; /* compression */
    rec[o++] = (unsigned char)(exts_len >> 8);
    rec[o++] = (unsigned char)exts_len;
    memcpy(rec + o, exts, exts_len);
    o += exts_len;
    struct cs_fastshake *fs = cs_fastshake_new(keys, "localhost");
    enum cs_fastshake_rc rc = cs_fastshake_feed(fs, rec, o);
    static char why[64];
    snprintf(why, sizeof(why), "%s", cs_fastshake_reason(fs) ? cs_fastshake_reason(fs) : "");
    *reason = why;
    cs_fastshake_free(&fs);
    return rc;
}

static struct cs_fastshake_keys *test_keys(void)
{
    SSL_CTX *client = client_ctx();
    struct cs_fastshake_keys *keys;
    char err[256];
    assert_int_equal(cs_fastshake_keys_new(client, &keys, err, sizeof(err)), CS_OK);
    SSL_CTX_free(client);
    return keys;
}

/* Each extension of a TLS 1.2 ServerHello is accepted only as OpenSSL
 * accepts it; anything else goes to OpenSSL, which names the error. */
static void test_server_hello_extensions_as_openssl_takes_them(void **state)
{
    (void)state;
    struct cs_fastshake_keys *keys = test_keys();
    const char *reason;
    static const struct {
        const char *what;
        unsigned char ext[8];
        size_t len;
        enum cs_fastshake_rc rc;
        const char *reason;
    } cases[] = {
        {"renegotiation_info, empty", {0xff, 0x01, 0, 1, 0}, 5, CS_FASTSHAKE_NEED_MORE, ""},
        {"renegotiation_info, not empty",
         {0xff, 0x01, 0, 3, 2, 0xaa, 0xbb},
         7,
         CS_FASTSHAKE_FALLBACK,
         "unexpected_extension"},
        {"ec_point_formats, uncompressed", {0, 0x0b, 0, 2, 1, 0}, 6, CS_FASTSHAKE_NEED_MORE, ""},
        {"ec_point_formats, empty list",
         {0, 0x0b, 0, 1, 0},
         5,
         CS_FASTSHAKE_FALLBACK,
         "unexpected_extension"},
        {"ec_point_formats, list past its end",
         {0, 0x0b, 0, 1, 5},
         5,
         CS_FASTSHAKE_FALLBACK,
         "unexpected_extension"},
        {"server_name, empty", {0, 0, 0, 0}, 4, CS_FASTSHAKE_NEED_MORE, ""},
        {"server_name, not empty",
         {0, 0, 0, 2, 0xaa, 0xbb},
         6,
         CS_FASTSHAKE_FALLBACK,
         "unexpected_extension"},
        {"extended_master_secret", {0, 0x17, 0, 0}, 4, CS_FASTSHAKE_NEED_MORE, ""},
        {"extended_master_secret with a body",
         {0, 0x17, 0, 1, 0},
         5,
         CS_FASTSHAKE_FALLBACK,
         "unexpected_extension"},
        /* session_ticket was not offered (SSL_OP_NO_TICKET). */
        {"session_ticket", {0, 0x23, 0, 0}, 4, CS_FASTSHAKE_FALLBACK, "unsolicited_extension"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum cs_fastshake_rc rc = feed_tls12_hello(keys, cases[i].ext, cases[i].len, &reason);
        if (rc != cases[i].rc || strcmp(reason, cases[i].reason) != 0)
            fail_msg("%s: rc %d reason '%s', want %d '%s'", cases[i].what, rc, reason, cases[i].rc,
                     cases[i].reason);
    }

    /* Hundreds of extensions: not parsed at length, OpenSSL decides. */
    unsigned char many[4 * 200];
    for (size_t i = 0; i < 200; i++) {
        many[4 * i] = 0x40;
        many[4 * i + 1] = (unsigned char)i;
        many[4 * i + 2] = 0;
        many[4 * i + 3] = 0;
    }
    assert_int_equal(feed_tls12_hello(keys, many, sizeof(many), &reason), CS_FASTSHAKE_FALLBACK);
    assert_string_equal(reason, "server_hello_malformed");
    cs_fastshake_keys_free(&keys);
}

/* TLS 1.3 messages after the ServerHello, in the clear (as decrypted). */
static void test_tls13_messages_as_openssl_takes_them(void **state)
{
    (void)state;
    struct cs_fastshake_keys *keys = test_keys();
    static const unsigned char alpn_ee[] = {8, 0, 0, 11, 0, 9, 0, 0x10, 0, 5, 0, 3, 2, 'h', '2'};
    static const unsigned char empty_ee[] = {8, 0, 0, 2, 0, 0};
    static const unsigned char cert_request[] = {13, 0, 0, 11, 0, 0, 8, 0, 0x0d, 0, 4, 0, 2, 4, 3};
    static const unsigned char no_sigalgs[] = {13, 0, 0, 3, 0, 0, 0};
    static const unsigned char with_context[] = {13, 0,    0, 12, 1, 7, 0, 8,
                                                 0,  0x0d, 0, 4,  0, 2, 4, 3};
    static const struct {
        const char *what;
        const unsigned char *first, *second;
        size_t first_len, second_len;
        const char *reason;
    } cases[] = {
        {"ALPN not asked for", alpn_ee, NULL, sizeof(alpn_ee), 0,
         "encrypted_extensions_unexpected"},
        {"two CertificateRequests", empty_ee, cert_request, sizeof(empty_ee), sizeof(cert_request),
         NULL},
        {"CertificateRequest without signature_algorithms", empty_ee, no_sigalgs, sizeof(empty_ee),
         sizeof(no_sigalgs), "certificate_request_unexpected"},
        {"CertificateRequest with a context", empty_ee, with_context, sizeof(empty_ee),
         sizeof(with_context), "certificate_request_unexpected"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cs_fastshake *fs = cs_fastshake_new(keys, NULL);
        enum cs_fastshake_rc rc =
            cs_fastshake_feed_messages(fs, true, cases[i].first, cases[i].first_len);
        if (cases[i].second != NULL && rc == CS_FASTSHAKE_NEED_MORE)
            rc = cs_fastshake_feed_messages(fs, true, cases[i].second, cases[i].second_len);
        if (cases[i].reason == NULL) { /* a good request; the second is one too many */
            assert_int_equal(rc, CS_FASTSHAKE_NEED_MORE);
            rc = cs_fastshake_feed_messages(fs, true, cases[i].second, cases[i].second_len);
        }
        if (rc != CS_FASTSHAKE_FALLBACK)
            fail_msg("%s: rc %d, want a fallback", cases[i].what, rc);
        const char *want = cases[i].reason ? cases[i].reason : "unexpected_message";
        if (strcmp(cs_fastshake_reason(fs), want) != 0)
            fail_msg("%s: reason '%s', want '%s'", cases[i].what, cs_fastshake_reason(fs), want);
        cs_fastshake_free(&fs);
    }
    cs_fastshake_keys_free(&keys);
}

static void test_x509_cache_parses_once(void **state)
{
    (void)state;
    struct server s;
    server_init(&s, "EC", TLS1_3_VERSION);
    unsigned char *der = NULL;
    int len = i2d_X509(s.cert, &der);
    struct cs_x509_cache *cache = cs_x509_cache_new();
    bool hit = true;
    X509 *a = cs_x509_cache_get(cache, der, (size_t)len, &hit);
    assert_non_null(a);
    assert_false(hit);
    X509 *b = cs_x509_cache_get(cache, der, (size_t)len, &hit);
    assert_true(hit);
    assert_ptr_equal(a, b);
    assert_int_equal(X509_cmp(a, s.cert), 0);
    /* Not a certificate, or one with bytes after it: NULL. */
    assert_null(cs_x509_cache_get(cache, der, (size_t)len - 1, &hit));
    cs_x509_cache_free(&cache);
    assert_null(cache);
    /* The references handed out outlive the cache. */
    assert_int_equal(X509_cmp(a, s.cert), 0);
    X509_free(a);
    X509_free(b);
    OPENSSL_free(der);
    server_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_is_openssls_own),
        cmocka_unit_test(test_tls13_flight_gives_the_chain),
        cmocka_unit_test(test_tls13_aes128_and_chacha_decrypt),
        cmocka_unit_test(test_tls13_fed_byte_by_byte),
        cmocka_unit_test(test_tls13_certificate_request_is_stepped_over),
        cmocka_unit_test(test_tls12_plaintext_certificate),
        cmocka_unit_test(test_tls10_plaintext_certificate),
        cmocka_unit_test(test_hello_retry_request_is_answered),
        cmocka_unit_test(test_hello_retry_request_for_ffdhe_falls_back),
        cmocka_unit_test(test_tampered_record_falls_back),
        cmocka_unit_test(test_alert_falls_back),
        cmocka_unit_test(test_oversized_lengths_fall_back),
        cmocka_unit_test(test_server_hello_extensions_as_openssl_takes_them),
        cmocka_unit_test(test_tls13_messages_as_openssl_takes_them),
        cmocka_unit_test(test_x509_cache_parses_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
