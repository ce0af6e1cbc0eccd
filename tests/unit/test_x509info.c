/*
 * Unit tests of x509info.c: every fact of struct cs_cert_facts, read from
 * certificates built in-process with known contents (RSA, EC and Ed25519
 * keys; self-signed and issued by another key).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "x509info.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

/* Keys are costly to make (RSA above all): made once for the whole group. */
static EVP_PKEY *rsa_key, *ec_key, *ec_ca_key, *ed_key, *ed_other_key;

/* What a test certificate is made of. Names are lists of "FIELD=VALUE"
 * entries in DER order (least specific first), NULL-terminated. */
struct cert_spec {
    const char *const *subject;
    const char *const *issuer; /* NULL: same as subject */
    const char *serial_hex;
    const char *not_before, *not_after; /* YYYYMMDDHHMMSSZ */
    const char *sans;                   /* openssl config syntax, or NULL */
    EVP_PKEY *key;                      /* the certificate's key */
    EVP_PKEY *signer;                   /* NULL: self-signed with key */
    const EVP_MD *md;                   /* NULL for Ed25519 */
    bool key_ids;                       /* add SKID and AKID */
};

static const char *const lab_a[] = {"O=Lab", "CN=a.test", NULL};

static X509_NAME *make_name(const char *const *entries)
{
    X509_NAME *name = X509_NAME_new();
    assert_non_null(name);
    for (size_t i = 0; entries[i] != NULL; i++) {
        char field[16];
        const char *eq = strchr(entries[i], '=');
        assert_non_null(eq);
        snprintf(field, sizeof(field), "%.*s", (int)(eq - entries[i]), entries[i]);
        assert_int_equal(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                                    (const unsigned char *)eq + 1, -1, -1, 0),
                         1);
    }
    return name;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

static X509 *make_cert(const struct cert_spec *spec)
{
    X509 *cert = X509_new();
    BIGNUM *serial = NULL;
    assert_non_null(cert);

    assert_int_equal(X509_set_version(cert, X509_VERSION_3), 1);
    assert_true(BN_hex2bn(&serial, spec->serial_hex) > 0);
    assert_non_null(BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)));
    BN_free(serial);

    X509_NAME *subject = make_name(spec->subject);
    X509_NAME *issuer = make_name(spec->issuer ? spec->issuer : spec->subject);
    assert_int_equal(X509_set_subject_name(cert, subject), 1);
    assert_int_equal(X509_set_issuer_name(cert, issuer), 1);
    X509_NAME_free(subject);
    X509_NAME_free(issuer);

    assert_int_equal(ASN1_TIME_set_string_X509(X509_getm_notBefore(cert), spec->not_before), 1);
    assert_int_equal(ASN1_TIME_set_string_X509(X509_getm_notAfter(cert), spec->not_after), 1);
    assert_int_equal(X509_set_pubkey(cert, spec->key), 1);

    if (spec->sans != NULL)
        add_ext(cert, cert, NID_subject_alt_name, spec->sans);
    if (spec->key_ids) {
        add_ext(cert, cert, NID_subject_key_identifier, "hash");
        if (spec->signer == NULL)
            add_ext(cert, cert, NID_authority_key_identifier, "keyid:always");
    }
    assert_true(X509_sign(cert, spec->signer ? spec->signer : spec->key, spec->md) > 0);
    return cert;
}

static void get_facts(X509 *cert, struct cs_cert_facts *facts)
{
    char err[CS_ERRLEN] = "";
    memset(facts, 0, sizeof(*facts));
    if (cs_cert_facts_get(cert, facts, err, sizeof(err)) != CS_OK)
        fail_msg("cs_cert_facts_get: %s", err);
}

static void sha256_hex_of_der(X509 *cert, char hex[65])
{
    unsigned char *der = NULL, md[32];
    unsigned int mdlen = 0;
    int len = i2d_X509(cert, &der);
    assert_true(len > 0);
    assert_int_equal(EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL), 1);
    assert_int_equal(mdlen, 32);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    OPENSSL_free(der);
}

static int der_length(X509 *cert)
{
    return i2d_X509(cert, NULL);
}

static int setup_keys(void **state)
{
    rsa_key = EVP_RSA_gen(2048);
    ec_key = EVP_EC_gen("P-256");
    ec_ca_key = EVP_EC_gen("P-256");
    ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    ed_other_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    return rsa_key && ec_key && ec_ca_key && ed_key && ed_other_key ? 0 : -1;
}

static int teardown_keys(void **state)
{
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
    EVP_PKEY_free(ec_ca_key);
    EVP_PKEY_free(ed_key);
    EVP_PKEY_free(ed_other_key);
    return 0;
}

static X509 *rsa_self_signed(void)
{
    const struct cert_spec spec = {
        .subject = lab_a,
        .serial_hex = "7E57C0DE0001",
        .not_before = "20240102030405Z",
        .not_after = "20500630120000Z",
        .sans = "DNS:a.test,DNS:*.a.test,IP:10.0.0.1,IP:2001:db8::1,email:ops@a.test",
        .key = rsa_key,
        .md = EVP_sha256(),
        .key_ids = true,
    };
    return make_cert(&spec);
}

static X509 *ec_issued(void)
{
    static const char *const subject[] = {"C=DE", "O=Ünïcödé Lab", "CN=b.test", NULL};
    static const char *const issuer[] = {"O=Lab", "CN=Lab CA", NULL};
    const struct cert_spec spec = {
        .subject = subject,
        .issuer = issuer,
        .serial_hex = "1A2B3C4D5E6F708192A3B4C5D6E7F80011223344",
        .not_before = "20260101000000Z",
        .not_after = "20270101000000Z",
        .sans = "DNS:b.test",
        .key = ec_key,
        .signer = ec_ca_key,
        .md = EVP_sha256(),
    };
    return make_cert(&spec);
}

/* ---- one self-signed RSA certificate, field by field -------------------- */

static void test_sha256_is_of_the_der(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts;
    char want[65];

    get_facts(cert, &facts);
    sha256_hex_of_der(cert, want);
    assert_string_equal(facts.sha256, want);
    assert_int_equal(strlen(facts.sha256), 64);
    assert_int_equal(facts.der_len, der_length(cert));
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_subject_is_rfc4514_most_specific_first(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.subject, "CN=a.test,O=Lab");
    assert_string_equal(facts.subject_cn, "a.test");
    assert_string_equal(facts.issuer, "CN=a.test,O=Lab");
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_serial_is_lowercase_hex(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.serial, "7e57c0de0001");
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_times_are_rfc3339_utc(void **state)
{
    X509 *cert = rsa_self_signed(); /* notBefore UTCTime, notAfter GeneralizedTime */
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.not_before, "2024-01-02T03:04:05Z");
    assert_string_equal(facts.not_after, "2050-06-30T12:00:00Z");
    assert_int_equal(facts.not_after_epoch, 2540203200);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_sans_keep_order_and_type_prefix(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_int_equal(facts.nsans, 5);
    assert_string_equal(facts.sans[0], "DNS:a.test");
    assert_string_equal(facts.sans[1], "DNS:*.a.test");
    assert_string_equal(facts.sans[2], "IP:10.0.0.1");
    /* IPv6 as eight groups of lowercase hex, not compressed. */
    assert_string_equal(facts.sans[3], "IP:2001:db8:0:0:0:0:0:1");
    assert_string_equal(facts.sans[4], "email:ops@a.test");
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_rsa_key_and_signature(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.key_type, "RSA");
    assert_int_equal(facts.key_bits, 2048);
    assert_string_equal(facts.sig_alg, "sha256WithRSAEncryption");
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_self_signed_with_key_ids(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_true(facts.self_signed);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_pem_round_trips(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_non_null(facts.pem);
    assert_int_equal(strncmp(facts.pem, "-----BEGIN CERTIFICATE-----\n", 28), 0);
    BIO *bio = BIO_new_mem_buf(facts.pem, -1);
    X509 *back = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(back);
    assert_int_equal(X509_cmp(back, cert), 0);
    assert_int_equal(der_length(back), der_length(cert));
    X509_free(back);
    BIO_free(bio);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_clear_frees_and_zeroes(void **state)
{
    X509 *cert = rsa_self_signed();
    struct cs_cert_facts facts, zero;

    get_facts(cert, &facts);
    cs_cert_facts_clear(&facts);
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&facts, &zero, sizeof(facts));
    cs_cert_facts_clear(&facts); /* a cleared struct can be cleared again */
    X509_free(cert);
}

/* ---- an EC certificate issued by a CA ----------------------------------- */

static void test_issued_ec_certificate(void **state)
{
    X509 *cert = ec_issued();
    struct cs_cert_facts facts;
    char want[65];

    get_facts(cert, &facts);
    sha256_hex_of_der(cert, want);
    assert_string_equal(facts.sha256, want);
    assert_int_equal(facts.der_len, der_length(cert));
    assert_string_equal(facts.subject, "CN=b.test,O=Ünïcödé Lab,C=DE");
    assert_string_equal(facts.subject_cn, "b.test");
    assert_string_equal(facts.issuer, "CN=Lab CA,O=Lab");
    assert_string_equal(facts.serial, "1a2b3c4d5e6f708192a3b4c5d6e7f80011223344");
    assert_string_equal(facts.not_before, "2026-01-01T00:00:00Z");
    assert_string_equal(facts.not_after, "2027-01-01T00:00:00Z");
    assert_int_equal(facts.not_after_epoch, 1798761600);
    assert_int_equal(facts.nsans, 1);
    assert_string_equal(facts.sans[0], "DNS:b.test");
    assert_string_equal(facts.key_type, "EC");
    assert_int_equal(facts.key_bits, 256);
    assert_string_equal(facts.sig_alg, "ecdsa-with-SHA256");
    assert_false(facts.self_signed);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

/* ---- Ed25519 ------------------------------------------------------------ */

static void test_ed25519_self_signed(void **state)
{
    static const char *const subject[] = {"CN=ed.test", NULL};
    const struct cert_spec spec = {
        .subject = subject,
        .serial_hex = "01",
        .not_before = "20250101000000Z",
        .not_after = "20350101000000Z",
        .key = ed_key,
    };
    X509 *cert = make_cert(&spec);
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.subject, "CN=ed.test");
    assert_string_equal(facts.issuer, "CN=ed.test");
    assert_string_equal(facts.serial, "01");
    assert_string_equal(facts.key_type, "Ed25519");
    assert_int_equal(facts.key_bits, 256); /* what OpenSSL 3 reports */
    assert_string_equal(facts.sig_alg, "ED25519");
    assert_int_equal(facts.nsans, 0);
    assert_null(facts.sans);
    assert_true(facts.self_signed);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

/* ---- names -------------------------------------------------------------- */

static void test_subject_without_cn_has_null_cn(void **state)
{
    static const char *const subject[] = {"O=Lab", "OU=Ops", NULL};
    const struct cert_spec spec = {
        .subject = subject,
        .serial_hex = "02",
        .not_before = "20250101000000Z",
        .not_after = "20350101000000Z",
        .key = ec_key,
        .md = EVP_sha256(),
    };
    X509 *cert = make_cert(&spec);
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.subject, "OU=Ops,O=Lab");
    assert_null(facts.subject_cn);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_subject_cn_is_the_last_cn(void **state)
{
    static const char *const subject[] = {"O=Lab", "CN=first.test", "CN=last.test", NULL};
    const struct cert_spec spec = {
        .subject = subject,
        .serial_hex = "03",
        .not_before = "20250101000000Z",
        .not_after = "20350101000000Z",
        .key = ec_key,
        .md = EVP_sha256(),
    };
    X509 *cert = make_cert(&spec);
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.subject_cn, "last.test");
    assert_string_equal(facts.subject, "CN=last.test,CN=first.test,O=Lab");
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

static void test_subject_special_characters_are_escaped(void **state)
{
    static const char *const subject[] = {"O=Lab, Inc.", "CN=a+b.test", NULL};
    const struct cert_spec spec = {
        .subject = subject,
        .serial_hex = "04",
        .not_before = "20250101000000Z",
        .not_after = "20350101000000Z",
        .key = ec_key,
        .md = EVP_sha256(),
    };
    X509 *cert = make_cert(&spec);
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.subject, "CN=a\\+b.test,O=Lab\\, Inc.");
    assert_string_equal(facts.subject_cn, "a+b.test");
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

/* ---- self_signed -------------------------------------------------------- */

static void test_not_self_signed_when_names_differ(void **state)
{
    static const char *const issuer[] = {"CN=Other CA", NULL};
    const struct cert_spec spec = {
        .subject = lab_a,
        .issuer = issuer,
        .serial_hex = "05",
        .not_before = "20250101000000Z",
        .not_after = "20350101000000Z",
        .key = ed_key,
        .signer = ed_other_key,
    };
    X509 *cert = make_cert(&spec);
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_false(facts.self_signed);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

/* Names and missing key identifiers alike are not enough: a certificate
 * signed by another key under the same name is not self-signed. */
static void test_not_self_signed_when_names_match_but_another_key_signed(void **state)
{
    const struct cert_spec spec = {
        .subject = lab_a,
        .serial_hex = "06",
        .not_before = "20250101000000Z",
        .not_after = "20350101000000Z",
        .key = ed_key,
        .signer = ed_other_key,
    };
    X509 *cert = make_cert(&spec);
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_false(facts.self_signed);
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

/* RFC 5280 4.1.2.6 allows an empty subject when the names are in a
 * critical subjectAltName: it reads as an empty string, not as an error. */
static void test_empty_subject_is_an_empty_string(void **state)
{
    static const char *const empty[] = {NULL};
    static const char *const issuer[] = {"CN=Lab CA", NULL};
    const struct cert_spec spec = {
        .subject = empty,
        .issuer = issuer,
        .serial_hex = "07",
        .not_before = "20250101000000Z",
        .not_after = "20350101000000Z",
        .sans = "critical,DNS:empty.test",
        .key = ec_key,
        .signer = ec_ca_key,
        .md = EVP_sha256(),
    };
    X509 *cert = make_cert(&spec);
    struct cs_cert_facts facts;

    get_facts(cert, &facts);
    assert_string_equal(facts.subject, "");
    assert_null(facts.subject_cn);
    assert_string_equal(facts.issuer, "CN=Lab CA");
    assert_string_equal(facts.sans[0], "DNS:empty.test");
    cs_cert_facts_clear(&facts);
    X509_free(cert);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_is_of_the_der),
        cmocka_unit_test(test_subject_is_rfc4514_most_specific_first),
        cmocka_unit_test(test_serial_is_lowercase_hex),
        cmocka_unit_test(test_times_are_rfc3339_utc),
        cmocka_unit_test(test_sans_keep_order_and_type_prefix),
        cmocka_unit_test(test_rsa_key_and_signature),
        cmocka_unit_test(test_self_signed_with_key_ids),
        cmocka_unit_test(test_pem_round_trips),
        cmocka_unit_test(test_clear_frees_and_zeroes),
        cmocka_unit_test(test_issued_ec_certificate),
        cmocka_unit_test(test_ed25519_self_signed),
        cmocka_unit_test(test_subject_without_cn_has_null_cn),
        cmocka_unit_test(test_subject_cn_is_the_last_cn),
        cmocka_unit_test(test_subject_special_characters_are_escaped),
        cmocka_unit_test(test_not_self_signed_when_names_differ),
        cmocka_unit_test(test_not_self_signed_when_names_match_but_another_key_signed),
        cmocka_unit_test(test_empty_subject_is_an_empty_string),
    };

    return cmocka_run_group_tests_name("x509info", tests, setup_keys, teardown_keys);
}
