/*
 * Unit tests of certcheck.c: every certificate finding, with one chain that
 * shows it and one that does not, on certificates built in-process (a lab
 * root and intermediate, an unknown root, leaves with weak keys, weak
 * signatures, odd dates and names). The lab root is trusted through a CA
 * file written to /tmp, so that the path a scan takes is the one tested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "certcheck.h"

#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY 86400L

/* The time every check runs at: 2027-01-01T00:00:00Z. */
static const time_t NOW = 1798761600;

/* Keys are costly to make (RSA above all): made once for the whole group.
 * dsa_key stays NULL where DSA keys cannot be made; its test says so. */
static EVP_PKEY *root_key, *int_key, *leaf_key, *other_key, *rsa1024_key, *ec192_key, *dsa_key;
static X509 *root, *inter, *other_root, *other_inter;
static char ca_path[64];
static X509_STORE *store;

struct cert_spec {
    const char *cn;
    EVP_PKEY *key;        /* the certificate's key */
    X509 *issuer;         /* NULL: self-signed */
    EVP_PKEY *issuer_key; /* the issuer's key */
    const EVP_MD *md;
    long not_before, not_after; /* seconds from NOW */
    const char *sans;           /* openssl config syntax, or NULL */
    bool ca;
};

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
    static long serial = 1;
    time_t now = NOW;
    X509 *cert = X509_new();
    assert_non_null(cert);

    assert_int_equal(X509_set_version(cert, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++), 1);
    X509_NAME *name = X509_get_subject_name(cert);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                (const unsigned char *)"Lab", -1, -1, 0),
                     1);
    if (spec->cn != NULL)
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                    (const unsigned char *)spec->cn, -1, -1, 0),
                         1);
    X509 *issuer = spec->issuer ? spec->issuer : cert;
    assert_int_equal(X509_set_issuer_name(cert, X509_get_subject_name(issuer)), 1);
    assert_non_null(X509_time_adj_ex(X509_getm_notBefore(cert), 0, spec->not_before, &now));
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(cert), 0, spec->not_after, &now));
    assert_int_equal(X509_set_pubkey(cert, spec->key), 1);

    if (spec->ca) {
        add_ext(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(cert, issuer, NID_ext_key_usage, "serverAuth");
    }
    add_ext(cert, issuer, NID_subject_key_identifier, "hash");
    if (spec->issuer != NULL)
        add_ext(cert, issuer, NID_authority_key_identifier, "keyid:always");
    if (spec->sans != NULL)
        add_ext(cert, issuer, NID_subject_alt_name, spec->sans);
    if (X509_sign(cert, spec->issuer ? spec->issuer_key : spec->key, spec->md) <= 0) {
        ERR_print_errors_fp(stderr);
        fail_msg("cannot sign %s", spec->cn);
    }
    return cert;
}

/* A leaf of the lab intermediate, valid from 30 days ago for a year. */
static struct cert_spec leaf_spec(void)
{
    return (struct cert_spec){
        .cn = "leaf.test",
        .key = leaf_key,
        .issuer = inter,
        .issuer_key = int_key,
        .md = EVP_sha256(),
        .not_before = -30 * DAY,
        .not_after = 365 * DAY,
        .sans = "DNS:leaf.test,DNS:www.leaf.test",
    };
}

static struct cert_spec ca_spec(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    return (struct cert_spec){
        .cn = cn,
        .key = key,
        .issuer = issuer,
        .issuer_key = issuer_key,
        .md = EVP_sha256(),
        .not_before = -365 * DAY,
        .not_after = 3650 * DAY,
        .ca = true,
    };
}

/* What the server sends, leaf first: a NULL-terminated list of
 * certificates, each referenced once more. Free with free_chain. */
static STACK_OF(X509) * chain_of(X509 *first, ...)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    va_list ap;
    assert_non_null(chain);
    va_start(ap, first);
    for (X509 *cert = first; cert != NULL; cert = va_arg(ap, X509 *)) {
        assert_int_equal(X509_up_ref(cert), 1);
        assert_true(sk_X509_push(chain, cert) > 0);
    }
    va_end(ap);
    return chain;
}

static void free_chain(STACK_OF(X509) * chain)
{
    sk_X509_pop_free(chain, X509_free);
}

static void run_checks(STACK_OF(X509) * chain, const char *host, int expiring_days,
                       struct cs_findings *findings)
{
    const struct cs_certcheck_opts opts = {
        .ca_file = ca_path, .expiring_days = expiring_days, .now = NOW};
    memset(findings, 0, sizeof(*findings));
    assert_int_equal(cs_certcheck_run(chain, store, host, NULL, &opts, findings), CS_OK);
}

/* Fails unless findings holds exactly the ids given (a NULL-terminated
 * list), listing what it does hold. */
static void expect_ids(const struct cs_findings *findings, ...)
{
    va_list ap;
    size_t n = 0;
    bool ok = true;

    va_start(ap, findings);
    for (const char *id = va_arg(ap, const char *); id != NULL; id = va_arg(ap, const char *)) {
        ok = ok && cs_findings_has(findings, id);
        n++;
    }
    va_end(ap);
    if (ok && n == findings->count)
        return;
    for (size_t i = 0; i < findings->count; i++)
        print_error("finding %s (%s): %s\n", findings->items[i].check->id,
                    cs_severity_name(findings->items[i].severity), findings->items[i].detail);
    fail_msg("expected %zu findings, got %zu (listed above)", n, findings->count);
}

static const struct cs_finding *finding(const struct cs_findings *findings, const char *id)
{
    for (size_t i = 0; i < findings->count; i++)
        if (strcmp(findings->items[i].check->id, id) == 0)
            return &findings->items[i];
    fail_msg("no %s finding", id);
    return NULL;
}

static void expect_detail_has(const struct cs_findings *findings, const char *id, const char *part)
{
    const struct cs_finding *f = finding(findings, id);
    if (strstr(f->detail, part) == NULL)
        fail_msg("%s: \"%s\" is not in \"%s\"", id, part, f->detail);
}

/* ---- setup -------------------------------------------------------------- */

static EVP_PKEY *make_dsa_key(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
    EVP_PKEY *params = NULL, *key = NULL;

    if (ctx == NULL || EVP_PKEY_paramgen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_dsa_paramgen_bits(ctx, 1024) <= 0 || EVP_PKEY_paramgen(ctx, &params) <= 0)
        goto out;
    EVP_PKEY_CTX_free(ctx);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0)
        key = NULL;
out:
    EVP_PKEY_free(params);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return key;
}

static void write_pem_file(char *path, size_t len, X509 *cert)
{
    snprintf(path, len, "/tmp/certsweep-test-ca-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    if (cert != NULL)
        assert_int_equal(PEM_write_X509(f, cert), 1);
    assert_int_equal(fclose(f), 0);
}

static int setup_lab(void **state)
{
    char err[CS_ERRLEN] = "";

    root_key = EVP_RSA_gen(2048);
    int_key = EVP_RSA_gen(2048);
    rsa1024_key = EVP_RSA_gen(1024);
    leaf_key = EVP_EC_gen("P-256");
    other_key = EVP_EC_gen("P-256");
    ec192_key = EVP_EC_gen("prime192v1");
    dsa_key = make_dsa_key();
    if (!root_key || !int_key || !rsa1024_key || !leaf_key || !other_key || !ec192_key)
        return -1;

    struct cert_spec spec = ca_spec("Lab Root", root_key, NULL, NULL);
    root = make_cert(&spec);
    spec = ca_spec("Lab Int", int_key, root, root_key);
    inter = make_cert(&spec);
    spec = ca_spec("Other Root", other_key, NULL, NULL);
    other_root = make_cert(&spec);
    spec = ca_spec("Other Int", other_key, other_root, other_key);
    other_inter = make_cert(&spec);

    write_pem_file(ca_path, sizeof(ca_path), root);
    const struct cs_certcheck_opts opts = {.ca_file = ca_path};
    if (cs_certcheck_store_new(&opts, &store, err, sizeof(err)) != CS_OK) {
        print_error("cs_certcheck_store_new: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown_lab(void **state)
{
    X509_STORE_free(store);
    unlink(ca_path);
    X509_free(root);
    X509_free(inter);
    X509_free(other_root);
    X509_free(other_inter);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(int_key);
    EVP_PKEY_free(rsa1024_key);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(other_key);
    EVP_PKEY_free(ec192_key);
    EVP_PKEY_free(dsa_key);
    return 0;
}

/* ---- a good chain ------------------------------------------------------- */

static void test_good_chain_has_no_findings(void **state)
{
    struct cert_spec spec = leaf_spec();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_good_chain_with_root_sent_has_no_findings(void **state)
{
    struct cert_spec spec = leaf_spec();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, root, NULL);
    struct cs_findings findings;

    run_checks(chain, "www.leaf.test", 30, &findings);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_empty_chain_adds_nothing(void **state)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    const struct cs_certcheck_opts opts = {.expiring_days = 30, .now = NOW};
    struct cs_findings findings = {0};

    assert_int_equal(cs_certcheck_run(NULL, store, "leaf.test", NULL, &opts, &findings), CS_OK);
    assert_int_equal(cs_certcheck_run(chain, store, "leaf.test", NULL, &opts, &findings), CS_OK);
    assert_int_equal(findings.count, 0);
    sk_X509_free(chain);
}

static void test_findings_are_appended_to_the_list(void **state)
{
    struct cert_spec spec = leaf_spec();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, NULL);
    const struct cs_certcheck_opts opts = {.expiring_days = 30, .now = NOW};
    struct cs_findings findings = {0};

    assert_int_equal(cs_findings_add(&findings, "tls1_0", "%s", "before"), CS_OK);
    assert_int_equal(cs_certcheck_run(chain, store, "leaf.test", NULL, &opts, &findings), CS_OK);
    expect_ids(&findings, "tls1_0", "incomplete_chain", NULL);
    assert_string_equal(findings.items[0].detail, "before");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* Judging a bad chain must not leave OpenSSL errors behind for the next TLS
 * call of the scan, nor take away errors that were already queued. */
static void test_openssl_error_queue_is_left_as_found(void **state)
{
    struct cert_spec spec = ca_spec("Broken", leaf_key, NULL, NULL);
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, other_inter, NULL);
    struct cs_findings findings;

    ERR_clear_error();
    run_checks(chain, "nowhere.test", 30, &findings);
    assert_int_equal(ERR_peek_error(), 0);
    cs_findings_clear(&findings);

    ERR_raise_data(ERR_LIB_USER, 42, "queued before");
    run_checks(chain, "nowhere.test", 30, &findings);
    assert_int_equal(ERR_GET_REASON(ERR_peek_last_error()), 42);
    ERR_clear_error();
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* ---- dates -------------------------------------------------------------- */

static void test_expired_leaf_is_expired(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.not_before = -400 * DAY;
    spec.not_after = -10 * DAY;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    /* Expiry is its own finding: the chain is not called untrusted too. */
    expect_ids(&findings, "expired", NULL);
    assert_string_equal(finding(&findings, "expired")->detail,
                        "expired 2026-12-22T00:00:00Z, 10 days ago");
    assert_int_equal(finding(&findings, "expired")->severity, CS_SEVERITY_HIGH);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_leaf_valid_through_its_last_second_is_not_expired(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.not_after = 0;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 0, &findings);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_future_leaf_is_not_yet_valid(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.not_before = 3 * DAY;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "not_yet_valid", NULL);
    assert_string_equal(finding(&findings, "not_yet_valid")->detail,
                        "valid from 2027-01-04T00:00:00Z, in 3 days");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_leaf_expiring_within_the_days_is_expiring(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.not_after = 5 * DAY;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "expiring", NULL);
    assert_string_equal(finding(&findings, "expiring")->detail,
                        "expires 2027-01-06T00:00:00Z, in 5 days");
    assert_int_equal(finding(&findings, "expiring")->severity, CS_SEVERITY_MEDIUM);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_leaf_expiring_beyond_the_days_is_fine(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.not_after = 5 * DAY;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 3, &findings);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    run_checks(chain, "leaf.test", 0, &findings); /* 0 days: the check is off */
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_leaf_expiring_today_says_less_than_a_day(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.not_after = 3600;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 1, &findings);
    expect_ids(&findings, "expiring", NULL);
    assert_string_equal(finding(&findings, "expiring")->detail,
                        "expires 2027-01-01T01:00:00Z, in less than a day");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* Only the leaf's dates give expired; an expired intermediate makes the
 * chain untrusted. */
static void test_expired_intermediate_is_untrusted_chain(void **state)
{
    struct cert_spec spec = ca_spec("Old Int", int_key, root, root_key);
    spec.not_before = -800 * DAY;
    spec.not_after = -1 * DAY;
    X509 *old_int = make_cert(&spec);
    spec = leaf_spec();
    spec.issuer = old_int;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, old_int, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "untrusted_chain", NULL);
    expect_detail_has(&findings, "untrusted_chain", "certificate has expired");
    expect_detail_has(&findings, "untrusted_chain", "CN=Old Int, depth 1");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
    X509_free(old_int);
}

/* ---- signatures --------------------------------------------------------- */

static void test_sha1_signed_leaf_is_weak_signature(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.md = EVP_sha1();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "weak_signature", NULL);
    assert_string_equal(finding(&findings, "weak_signature")->detail,
                        "sha1WithRSAEncryption (CN=leaf.test)");
    assert_int_equal(finding(&findings, "weak_signature")->severity, CS_SEVERITY_MEDIUM);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_md5_signed_leaf_is_high(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.md = EVP_md5();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "weak_signature", NULL);
    assert_string_equal(finding(&findings, "weak_signature")->detail,
                        "md5WithRSAEncryption (CN=leaf.test)");
    assert_int_equal(finding(&findings, "weak_signature")->severity, CS_SEVERITY_HIGH);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* One finding names every certificate, at the worst severity. */
static void test_sha1_intermediate_and_md5_leaf_make_one_finding(void **state)
{
    struct cert_spec spec = ca_spec("SHA1 Int", int_key, root, root_key);
    spec.md = EVP_sha1();
    X509 *sha1_int = make_cert(&spec);
    spec = leaf_spec();
    spec.issuer = sha1_int;
    spec.md = EVP_md5();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, sha1_int, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "weak_signature", NULL);
    assert_string_equal(finding(&findings, "weak_signature")->detail,
                        "md5WithRSAEncryption (CN=leaf.test); "
                        "sha1WithRSAEncryption (CN=SHA1 Int)");
    assert_int_equal(finding(&findings, "weak_signature")->severity, CS_SEVERITY_HIGH);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
    X509_free(sha1_int);
}

/* Nobody checks the signature of a root: a SHA-1 root sent along is fine. */
static void test_sha1_root_sent_is_not_weak_signature(void **state)
{
    struct cert_spec spec = ca_spec("Lab Root", root_key, NULL, NULL);
    spec.md = EVP_sha1();
    X509 *sha1_root = make_cert(&spec);
    spec = leaf_spec();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, sha1_root, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
    X509_free(sha1_root);
}

/* ---- keys --------------------------------------------------------------- */

static void expect_weak_key(EVP_PKEY *key, const char *detail)
{
    struct cert_spec spec = leaf_spec();
    spec.key = key;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "weak_key", NULL);
    assert_string_equal(finding(&findings, "weak_key")->detail, detail);
    assert_int_equal(finding(&findings, "weak_key")->severity, CS_SEVERITY_HIGH);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_rsa_1024_leaf_is_weak_key(void **state)
{
    expect_weak_key(rsa1024_key, "RSA 1024 bits (CN=leaf.test)");
}

static void test_ec_192_leaf_is_weak_key(void **state)
{
    expect_weak_key(ec192_key, "EC 192 bits (CN=leaf.test)");
}

static void test_dsa_leaf_is_weak_key(void **state)
{
    if (dsa_key == NULL)
        skip(); /* this OpenSSL cannot make DSA keys (no legacy DSA) */
    expect_weak_key(dsa_key, "DSA 1024 bits (CN=leaf.test)");
}

/* A certificate without a CN is named by its whole subject. */
static void test_certificate_without_cn_is_named_by_its_subject(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.cn = NULL;
    spec.key = rsa1024_key;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "weak_key", NULL);
    assert_string_equal(finding(&findings, "weak_key")->detail, "RSA 1024 bits (O=Lab)");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* The good chain's keys (RSA 2048 intermediate, P-256 leaf) are fine: see
 * test_good_chain_has_no_findings. A weak intermediate counts too. */
static void test_weak_intermediate_and_leaf_make_one_finding(void **state)
{
    struct cert_spec spec = ca_spec("Weak Int", rsa1024_key, root, root_key);
    X509 *weak_int = make_cert(&spec);
    spec = leaf_spec();
    spec.key = ec192_key;
    spec.issuer = weak_int;
    spec.issuer_key = rsa1024_key;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, weak_int, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "weak_key", NULL);
    assert_string_equal(finding(&findings, "weak_key")->detail,
                        "EC 192 bits (CN=leaf.test); RSA 1024 bits (CN=Weak Int)");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
    X509_free(weak_int);
}

/* ---- self-signed and trust ---------------------------------------------- */

static void test_self_signed_leaf_is_self_signed_only(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.issuer = NULL;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "self_signed", NULL);
    assert_string_equal(finding(&findings, "self_signed")->detail,
                        "CN=leaf.test is its own issuer");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* Same name as its issuer is not enough: the signature must be its own. */
static void test_leaf_named_like_its_issuer_is_not_self_signed(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.cn = "Lab Int";
    spec.sans = "DNS:leaf.test";
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    assert_false(cs_findings_has(&findings, "self_signed"));
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_leaf_without_intermediate_is_incomplete_chain(void **state)
{
    struct cert_spec spec = leaf_spec();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "incomplete_chain", NULL);
    assert_string_equal(finding(&findings, "incomplete_chain")->detail,
                        "the server does not send the issuer of CN=leaf.test (CN=Lab Int)");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_chain_to_an_unknown_root_is_untrusted_chain(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.issuer = other_inter;
    spec.issuer_key = other_key;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, other_inter, other_root, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "untrusted_chain", NULL);
    assert_string_equal(finding(&findings, "untrusted_chain")->detail,
                        "self-signed certificate in certificate chain (CN=Other Root, depth 2)");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* A chain that ends with an intermediate is complete: when its root is
 * unknown, it is untrusted. */
static void test_intermediate_of_unknown_root_is_untrusted_chain(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.issuer = other_inter;
    spec.issuer_key = other_key;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, other_inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "untrusted_chain", NULL);
    expect_detail_has(&findings, "untrusted_chain", "CN=Other Int, depth 1");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_intermediate_that_is_no_ca_is_untrusted_chain(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.cn = "Not A CA";
    spec.key = int_key;
    spec.issuer = root;
    spec.issuer_key = root_key;
    spec.sans = NULL;
    X509 *not_ca = make_cert(&spec);
    spec = leaf_spec();
    spec.issuer = not_ca;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, not_ca, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "untrusted_chain", NULL);
    expect_detail_has(&findings, "untrusted_chain", "CN=Not A CA, depth 1");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
    X509_free(not_ca);
}

/* ---- host name ---------------------------------------------------------- */

static void test_wrong_host_is_hostname_mismatch(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.sans = "DNS:leaf.test,DNS:www.leaf.test,IP:10.0.0.1,IP:2001:db8::1";
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "other.test", 30, &findings);
    expect_ids(&findings, "hostname_mismatch", NULL);
    assert_string_equal(finding(&findings, "hostname_mismatch")->detail,
                        "other.test is not among the certificate's names: DNS:leaf.test, "
                        "DNS:www.leaf.test, IP:10.0.0.1, IP:2001:db8::1");
    assert_int_equal(finding(&findings, "hostname_mismatch")->severity, CS_SEVERITY_HIGH);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_host_matching_a_wildcard_san_is_fine(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.sans = "DNS:*.leaf.test";
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "api.leaf.test", 30, &findings);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    run_checks(chain, "a.b.leaf.test", 30, &findings); /* one label only */
    expect_ids(&findings, "hostname_mismatch", NULL);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* Without DNS names, clients fall back to the CN: so does the check, and
 * the detail shows the CN. */
static void test_certificate_without_san_is_matched_on_its_cn(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.sans = NULL;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    run_checks(chain, "other.test", 30, &findings);
    expect_ids(&findings, "hostname_mismatch", NULL);
    assert_string_equal(finding(&findings, "hostname_mismatch")->detail,
                        "other.test is not among the certificate's names: CN=leaf.test");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

static void test_certificate_without_names_says_none(void **state)
{
    struct cert_spec spec = leaf_spec();
    spec.cn = NULL;
    spec.sans = NULL;
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    struct cs_findings findings;

    run_checks(chain, "leaf.test", 30, &findings);
    expect_ids(&findings, "hostname_mismatch", NULL);
    assert_string_equal(finding(&findings, "hostname_mismatch")->detail,
                        "leaf.test is not among the certificate's names: (none)");
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* A scan by address is not judged on names: certificates rarely carry the
 * IP SAN such a scan would need. */
static void test_scan_by_address_reports_no_mismatch(void **state)
{
    struct cert_spec spec = leaf_spec();
    X509 *leaf = make_cert(&spec);
    STACK_OF(X509) *chain = chain_of(leaf, inter, NULL);
    const struct cs_certcheck_opts opts = {.expiring_days = 30, .now = NOW};
    struct cs_findings findings = {0};

    assert_int_equal(cs_certcheck_run(chain, store, NULL, "192.0.2.1", &opts, &findings), CS_OK);
    assert_int_equal(cs_certcheck_run(chain, store, NULL, NULL, &opts, &findings), CS_OK);
    expect_ids(&findings, NULL);
    cs_findings_clear(&findings);
    free_chain(chain);
    X509_free(leaf);
}

/* ---- the trust store ---------------------------------------------------- */

static void expect_bad_ca_file(const char *path)
{
    const struct cs_certcheck_opts opts = {.ca_file = path};
    static char sentinel;
    X509_STORE *s = (X509_STORE *)&sentinel; /* must come back NULL */
    char err[CS_ERRLEN] = "";

    assert_int_equal(cs_certcheck_store_new(&opts, &s, err, sizeof(err)), CS_ERR_USAGE);
    assert_null(s);
    if (strstr(err, path) == NULL)
        fail_msg("the error does not name %s: %s", path, err);
    assert_int_equal(ERR_peek_error(), 0); /* drained into err */
}

static void test_missing_ca_file_is_a_usage_error(void **state)
{
    expect_bad_ca_file("/nonexistent/certsweep-ca.pem");
}

static void test_empty_ca_file_is_a_usage_error(void **state)
{
    char path[64];

    write_pem_file(path, sizeof(path), NULL);
    expect_bad_ca_file(path);
    unlink(path);
}

static void test_ca_file_of_text_is_a_usage_error(void **state)
{
    char path[64];

    write_pem_file(path, sizeof(path), NULL);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a certificate\n", f);
    fclose(f);
    expect_bad_ca_file(path);
    unlink(path);
}

/* OpenSSL loads a file of CRLs alone without complaint: certsweep does not
 * take it as a trust store. */
static void test_ca_file_of_a_crl_alone_is_a_usage_error(void **state)
{
    char path[64];
    time_t now = NOW;
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t = X509_time_adj_ex(NULL, 0, 0, &now);

    assert_non_null(crl);
    assert_non_null(t);
    assert_int_equal(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(root)), 1);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
    assert_true(X509_CRL_sign(crl, root_key, EVP_sha256()) > 0);
    write_pem_file(path, sizeof(path), NULL);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509_CRL(f, crl), 1);
    fclose(f);

    expect_bad_ca_file(path);
    const struct cs_certcheck_opts opts = {.ca_file = path};
    X509_STORE *s = NULL;
    char err[CS_ERRLEN] = "";
    cs_certcheck_store_new(&opts, &s, err, sizeof(err));
    assert_non_null(strstr(err, "holds no certificate"));

    unlink(path);
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
}

static void test_system_store_loads(void **state)
{
    const struct cs_certcheck_opts opts = {.ca_file = NULL};
    X509_STORE *s = NULL;
    char err[CS_ERRLEN] = "";

    assert_int_equal(cs_certcheck_store_new(&opts, &s, err, sizeof(err)), CS_OK);
    assert_non_null(s);
    X509_STORE_free(s);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chain_has_no_findings),
        cmocka_unit_test(test_good_chain_with_root_sent_has_no_findings),
        cmocka_unit_test(test_empty_chain_adds_nothing),
        cmocka_unit_test(test_findings_are_appended_to_the_list),
        cmocka_unit_test(test_openssl_error_queue_is_left_as_found),
        cmocka_unit_test(test_expired_leaf_is_expired),
        cmocka_unit_test(test_leaf_valid_through_its_last_second_is_not_expired),
        cmocka_unit_test(test_future_leaf_is_not_yet_valid),
        cmocka_unit_test(test_leaf_expiring_within_the_days_is_expiring),
        cmocka_unit_test(test_leaf_expiring_beyond_the_days_is_fine),
        cmocka_unit_test(test_leaf_expiring_today_says_less_than_a_day),
        cmocka_unit_test(test_expired_intermediate_is_untrusted_chain),
        cmocka_unit_test(test_sha1_signed_leaf_is_weak_signature),
        cmocka_unit_test(test_md5_signed_leaf_is_high),
        cmocka_unit_test(test_sha1_intermediate_and_md5_leaf_make_one_finding),
        cmocka_unit_test(test_sha1_root_sent_is_not_weak_signature),
        cmocka_unit_test(test_rsa_1024_leaf_is_weak_key),
        cmocka_unit_test(test_ec_192_leaf_is_weak_key),
        cmocka_unit_test(test_dsa_leaf_is_weak_key),
        cmocka_unit_test(test_weak_intermediate_and_leaf_make_one_finding),
        cmocka_unit_test(test_certificate_without_cn_is_named_by_its_subject),
        cmocka_unit_test(test_self_signed_leaf_is_self_signed_only),
        cmocka_unit_test(test_leaf_named_like_its_issuer_is_not_self_signed),
        cmocka_unit_test(test_leaf_without_intermediate_is_incomplete_chain),
        cmocka_unit_test(test_chain_to_an_unknown_root_is_untrusted_chain),
        cmocka_unit_test(test_intermediate_of_unknown_root_is_untrusted_chain),
        cmocka_unit_test(test_intermediate_that_is_no_ca_is_untrusted_chain),
        cmocka_unit_test(test_wrong_host_is_hostname_mismatch),
        cmocka_unit_test(test_host_matching_a_wildcard_san_is_fine),
        cmocka_unit_test(test_certificate_without_san_is_matched_on_its_cn),
        cmocka_unit_test(test_certificate_without_names_says_none),
        cmocka_unit_test(test_scan_by_address_reports_no_mismatch),
        cmocka_unit_test(test_missing_ca_file_is_a_usage_error),
        cmocka_unit_test(test_empty_ca_file_is_a_usage_error),
        cmocka_unit_test(test_ca_file_of_text_is_a_usage_error),
        cmocka_unit_test(test_ca_file_of_a_crl_alone_is_a_usage_error),
        cmocka_unit_test(test_system_store_loads),
    };

    return cmocka_run_group_tests_name("certcheck", tests, setup_lab, teardown_lab);
}
