/* The facts cache (src/certcache.c): copies that outlive the cache slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "certcache.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

static X509 *make_cert(EVP_PKEY *key, const char *cn, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    assert_non_null(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, NULL) > 0); /* Ed25519: no digest */
    X509_NAME_free(name);
    return x;
}

static EVP_PKEY *key;

static int setup(void **state)
{
    key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    return key ? 0 : -1;
}

static int teardown(void **state)
{
    EVP_PKEY_free(key);
    return 0;
}

static void test_hit_returns_the_same_facts_as_a_fresh_read(void **state)
{
    struct cs_cert_cache *cache = cs_cert_cache_new();
    X509 *cert = make_cert(key, "cached.test", 1);
    struct cs_cert_facts fresh = {0}, first = {0}, second = {0};

    assert_int_equal(cs_cert_facts_get(cert, &fresh, NULL, 0), CS_OK);
    bool cached = true;
    assert_int_equal(cs_cert_cache_get(cache, cert, &first, &cached), CS_OK);
    assert_false(cached);
    cs_cert_facts_clear(&first); /* the copy is the caller's alone */
    assert_int_equal(cs_cert_cache_get(cache, cert, &second, &cached), CS_OK);
    assert_true(cached);
    assert_string_equal(second.sha256, fresh.sha256);
    assert_string_equal(second.subject_cn, "cached.test");
    assert_string_equal(second.pem, fresh.pem);
    assert_true(second.self_signed);
    cs_cert_facts_clear(&second);
    cs_cert_facts_clear(&fresh);
    X509_free(cert);
    cs_cert_cache_free(&cache);
    assert_null(cache);
}

static void test_many_certificates_each_get_their_own_facts(void **state)
{
    struct cs_cert_cache *cache = cs_cert_cache_new();
    char cn[32];
    /* More certificates than slots: evictions must never mix facts up. */
    for (int round = 0; round < 2; round++)
        for (long i = 0; i < 300; i++) {
            snprintf(cn, sizeof(cn), "c%ld.test", i);
            X509 *cert = make_cert(key, cn, i + 1);
            struct cs_cert_facts facts = {0};
            assert_int_equal(cs_cert_cache_get(cache, cert, &facts, NULL), CS_OK);
            assert_string_equal(facts.subject_cn, cn);
            cs_cert_facts_clear(&facts);
            X509_free(cert);
        }
    cs_cert_cache_free(&cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_returns_the_same_facts_as_a_fresh_read),
        cmocka_unit_test(test_many_certificates_each_get_their_own_facts),
    };
    return cmocka_run_group_tests_name("certcache", tests, setup, teardown);
}
