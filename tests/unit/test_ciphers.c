/*
 * Unit tests of ciphers.c: the suite table (unique ids and names, flags
 * that match the names), the offers per protocol version, version names
 * and the SSLv2 cipher kinds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ciphers.h"

#include <stdbool.h>
#include <string.h>

/* Every suite in the table, found by asking for each of the 65536 ids. */
static size_t all_suites(const struct cs_suite **out)
{
    size_t n = 0;
    for (uint32_t id = 0; id <= 0xffff; id++) {
        const struct cs_suite *suite = cs_suite_find((uint16_t)id);
        if (suite != NULL)
            out[n++] = suite;
    }
    return n;
}

static bool offers(const uint16_t *ids, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static unsigned flags_of(uint16_t id)
{
    const struct cs_suite *suite = cs_suite_find(id);
    assert_non_null(suite);
    return suite->flags;
}

/* ---- the table ---------------------------------------------------------- */

static void test_find_returns_the_suite_asked_for(void **state)
{
    static const struct cs_suite *suites[0x10000];
    size_t n = all_suites(suites);
    assert_true(n >= 300);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(cs_suite_find(suites[i]->id), suites[i]);
        if (i > 0)
            assert_true(suites[i - 1]->id < suites[i]->id);
    }
}

static void test_names_are_unique_and_start_with_tls(void **state)
{
    static const struct cs_suite *suites[0x10000];
    size_t n = all_suites(suites);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(suites[i]->name);
        assert_memory_equal(suites[i]->name, "TLS_", 4);
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(suites[i]->name, suites[j]->name);
    }
}

static void test_well_known_suites(void **state)
{
    assert_string_equal(cs_suite_find(0x000a)->name, "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    assert_string_equal(cs_suite_find(0xc02f)->name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_string_equal(cs_suite_find(0x1301)->name, "TLS_AES_128_GCM_SHA256");
    assert_string_equal(cs_suite_find(0x0003)->name, "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
    assert_string_equal(cs_suite_find(0xcca8)->name, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
}

static void test_signalling_and_unassigned_ids_are_not_suites(void **state)
{
    assert_null(cs_suite_find(CS_SUITE_EMPTY_RENEGOTIATION_INFO_SCSV));
    assert_null(cs_suite_find(CS_SUITE_FALLBACK_SCSV));
    assert_null(cs_suite_find(0x0000)); /* TLS_NULL_WITH_NULL_NULL: never chosen */
    assert_null(cs_suite_find(0x1306));
    assert_null(cs_suite_find(0xffff));
}

static void test_flags_of_well_known_suites(void **state)
{
    assert_int_equal(flags_of(0x000a), CS_SUITE_3DES | CS_SUITE_CBC);
    assert_int_equal(flags_of(0xc02f), CS_SUITE_FS | CS_SUITE_TLS12);
    assert_int_equal(flags_of(0x1301), CS_SUITE_TLS13 | CS_SUITE_FS);
    assert_int_equal(flags_of(0x0003), CS_SUITE_EXPORT | CS_SUITE_RC4 | CS_SUITE_MD5);
    assert_int_equal(flags_of(0x002f), CS_SUITE_CBC);
    assert_int_equal(flags_of(0x0033), CS_SUITE_FS | CS_SUITE_CBC);
    assert_int_equal(flags_of(0xc027), CS_SUITE_FS | CS_SUITE_CBC | CS_SUITE_TLS12);
    assert_int_equal(flags_of(0x0001), CS_SUITE_NULL_ENC | CS_SUITE_MD5);
    assert_int_equal(flags_of(0x0018), CS_SUITE_ANON | CS_SUITE_RC4 | CS_SUITE_MD5);
    assert_int_equal(flags_of(0xc018), CS_SUITE_ANON | CS_SUITE_CBC);
    assert_int_equal(flags_of(0x0009), CS_SUITE_DES | CS_SUITE_CBC);
    assert_int_equal(flags_of(0x008c), CS_SUITE_PSK_SRP | CS_SUITE_CBC);
}

static void test_weak_families_are_flagged(void **state)
{
    static const uint16_t export[] = {0x0003, 0x0006, 0x0008, 0x000b, 0x000e, 0x0011,
                                      0x0014, 0x0017, 0x0019, 0x0062, 0x0064};
    static const uint16_t rc4[] = {0x0004, 0x0005, 0x0018, 0xc002, 0xc007,
                                   0xc00c, 0xc011, 0xc016, 0x0066};
    static const uint16_t des[] = {0x0009, 0x000c, 0x000f, 0x0012, 0x0015, 0x001a, 0x0063};
    static const uint16_t null[] = {0x0001, 0x0002, 0x003b, 0xc001, 0xc006, 0xc00b, 0xc010, 0xc015};
    for (size_t i = 0; i < sizeof(export) / sizeof(export[0]); i++)
        assert_true(flags_of(export[i]) & CS_SUITE_EXPORT);
    for (size_t i = 0; i < sizeof(rc4) / sizeof(rc4[0]); i++)
        assert_true(flags_of(rc4[i]) & CS_SUITE_RC4);
    for (size_t i = 0; i < sizeof(des) / sizeof(des[0]); i++)
        assert_true(flags_of(des[i]) & CS_SUITE_DES);
    for (size_t i = 0; i < sizeof(null) / sizeof(null[0]); i++)
        assert_true(flags_of(null[i]) & CS_SUITE_NULL_ENC);
    /* 0x0065 is the 56-bit export RC4 of the 1024-bit export draft. */
    assert_int_equal(flags_of(0x0065), CS_SUITE_EXPORT | CS_SUITE_RC4 | CS_SUITE_FS);
}

static void test_every_family_is_present(void **state)
{
    static const char *const families[] = {"CAMELLIA",   "ARIA",  "SEED",    "IDEA",
                                           "CHACHA20",   "_CCM",  "DH_anon", "ECDH_anon",
                                           "ECDH_ECDSA", "DH_RSA"};
    static const struct cs_suite *suites[0x10000];
    size_t n = all_suites(suites);
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strstr(suites[i]->name, families[f]) != NULL;
        assert_true(found);
    }
    for (uint16_t id = 0x1301; id <= 0x1305; id++)
        assert_non_null(cs_suite_find(id));
}

/* Each flag says what the IANA name says, for every suite of the table. */
static void test_flags_agree_with_names(void **state)
{
    static const struct cs_suite *suites[0x10000];
    size_t n = all_suites(suites);
    for (size_t i = 0; i < n; i++) {
        const char *name = suites[i]->name;
        unsigned flags = suites[i]->flags;
        size_t len = strlen(name);
        bool tls13 = suites[i]->id >> 8 == 0x13;
        bool psk = strstr(name, "PSK") || strstr(name, "SRP") || strstr(name, "KRB5") ||
                   strstr(name, "ECCPWD");
        bool aead = strstr(name, "GCM") || strstr(name, "CCM") || strstr(name, "POLY1305");
        bool sha2_mac =
            strcmp(name + len - 7, "_SHA256") == 0 || strcmp(name + len - 7, "_SHA384") == 0;

        assert_int_equal(!!(flags & CS_SUITE_TLS13), tls13);
        assert_int_equal(!!(flags & CS_SUITE_NULL_ENC), strstr(name, "_WITH_NULL_") != NULL);
        assert_int_equal(!!(flags & CS_SUITE_ANON), strstr(name, "_anon_") != NULL);
        assert_int_equal(!!(flags & CS_SUITE_EXPORT), strstr(name, "EXPORT") != NULL);
        assert_int_equal(!!(flags & CS_SUITE_RC4), strstr(name, "_RC4_") != NULL);
        assert_int_equal(!!(flags & CS_SUITE_3DES), strstr(name, "_3DES_") != NULL);
        assert_int_equal(!!(flags & CS_SUITE_DES),
                         strstr(name, "_DES_") != NULL || strstr(name, "_DES40_") != NULL);
        assert_int_equal(!!(flags & CS_SUITE_MD5), strcmp(name + len - 4, "_MD5") == 0);
        assert_int_equal(!!(flags & CS_SUITE_CBC), strstr(name, "CBC") != NULL);
        assert_int_equal(!!(flags & CS_SUITE_PSK_SRP), psk);
        assert_int_equal(!!(flags & CS_SUITE_TLS12), !tls13 && (aead || sha2_mac));
        assert_int_equal(!!(flags & CS_SUITE_FS),
                         tls13 || strstr(name, "DHE_") != NULL || strstr(name, "_DHE") != NULL);
    }
}

/* ---- offers ------------------------------------------------------------- */

static void test_tls13_offers_the_tls13_suites(void **state)
{
    uint16_t ids[CS_SUITES_MAX];
    size_t n = cs_suites_for_version(CS_TLS13, ids, CS_SUITES_MAX);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], 0x1301 + i);
}

static void test_tls12_offers_all_but_tls13_and_psk(void **state)
{
    uint16_t ids[CS_SUITES_MAX];
    size_t n = cs_suites_for_version(CS_TLS12, ids, CS_SUITES_MAX);
    assert_true(n >= 200 && n <= CS_SUITES_MAX);
    assert_true(offers(ids, n, 0xc02f));
    assert_true(offers(ids, n, 0x000a));
    assert_true(offers(ids, n, 0x0003));
    assert_true(offers(ids, n, 0x0001));
    assert_false(offers(ids, n, 0x1301));
    assert_false(offers(ids, n, 0x008c)); /* PSK */
    assert_false(offers(ids, n, 0xc01d)); /* SRP */
    assert_false(offers(ids, n, 0x001e)); /* KRB5 */
    for (size_t i = 0; i < n; i++)
        assert_false(flags_of(ids[i]) & (CS_SUITE_TLS13 | CS_SUITE_PSK_SRP));
}

static void test_before_tls12_offers_no_tls12_suites(void **state)
{
    static const uint16_t versions[] = {CS_SSL3, CS_TLS10, CS_TLS11};
    uint16_t ids[CS_SUITES_MAX], first[CS_SUITES_MAX];
    size_t first_n = cs_suites_for_version(CS_SSL3, first, CS_SUITES_MAX);
    assert_true(first_n >= 80);
    for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
        size_t n = cs_suites_for_version(versions[v], ids, CS_SUITES_MAX);
        assert_int_equal(n, first_n);
        assert_memory_equal(ids, first, n * sizeof(ids[0]));
        assert_true(offers(ids, n, 0x002f));
        assert_true(offers(ids, n, 0x0003));
        assert_false(offers(ids, n, 0xc02f));
        assert_false(offers(ids, n, 0x003c));
        for (size_t i = 0; i < n; i++)
            assert_false(flags_of(ids[i]) & (CS_SUITE_TLS12 | CS_SUITE_TLS13 | CS_SUITE_PSK_SRP));
    }
}

static void test_offer_stops_at_cap(void **state)
{
    uint16_t ids[10];
    assert_int_equal(cs_suites_for_version(CS_TLS12, ids, 10), 10);
    assert_int_equal(cs_suites_for_version(CS_TLS12, ids, 0), 0);
}

static void test_other_versions_offer_nothing(void **state)
{
    uint16_t ids[CS_SUITES_MAX];
    assert_int_equal(cs_suites_for_version(CS_SSL2, ids, CS_SUITES_MAX), 0);
    assert_int_equal(cs_suites_for_version(0x0305, ids, CS_SUITES_MAX), 0);
    assert_int_equal(cs_suites_for_version(0x0000, ids, CS_SUITES_MAX), 0);
}

/* ---- version names ------------------------------------------------------ */

static void test_version_names(void **state)
{
    assert_string_equal(cs_version_name(CS_SSL2), "SSLv2");
    assert_string_equal(cs_version_name(CS_SSL3), "SSLv3");
    assert_string_equal(cs_version_name(CS_TLS10), "TLSv1.0");
    assert_string_equal(cs_version_name(CS_TLS11), "TLSv1.1");
    assert_string_equal(cs_version_name(CS_TLS12), "TLSv1.2");
    assert_string_equal(cs_version_name(CS_TLS13), "TLSv1.3");
    assert_null(cs_version_name(0x0305));
    assert_null(cs_version_name(0x7f1c));
}

/* ---- SSLv2 -------------------------------------------------------------- */

static void test_ssl2_kinds(void **state)
{
    assert_int_equal(cs_ssl2_suite_count, 7);
    for (size_t i = 0; i < cs_ssl2_suite_count; i++) {
        const struct cs_ssl2_suite *suite = &cs_ssl2_suites[i];
        assert_ptr_equal(cs_ssl2_suite_find(suite->id), suite);
        assert_memory_equal(suite->name, "SSL_CK_", 7);
        assert_true(suite->flags & CS_SUITE_WEAK);
    }
    assert_string_equal(cs_ssl2_suite_find(0x010080)->name, "SSL_CK_RC4_128_WITH_MD5");
    assert_string_equal(cs_ssl2_suite_find(0x0700c0)->name, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5");
    assert_true(cs_ssl2_suite_find(0x020080)->flags & CS_SUITE_EXPORT);
    assert_true(cs_ssl2_suite_find(0x060040)->flags & CS_SUITE_DES);
    assert_null(cs_ssl2_suite_find(0x080080));
    assert_null(cs_ssl2_suite_find(0x00002f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_returns_the_suite_asked_for),
        cmocka_unit_test(test_names_are_unique_and_start_with_tls),
        cmocka_unit_test(test_well_known_suites),
        cmocka_unit_test(test_signalling_and_unassigned_ids_are_not_suites),
        cmocka_unit_test(test_flags_of_well_known_suites),
        cmocka_unit_test(test_weak_families_are_flagged),
        cmocka_unit_test(test_every_family_is_present),
        cmocka_unit_test(test_flags_agree_with_names),
        cmocka_unit_test(test_tls13_offers_the_tls13_suites),
        cmocka_unit_test(test_tls12_offers_all_but_tls13_and_psk),
        cmocka_unit_test(test_before_tls12_offers_no_tls12_suites),
        cmocka_unit_test(test_offer_stops_at_cap),
        cmocka_unit_test(test_other_versions_offer_nothing),
        cmocka_unit_test(test_version_names),
        cmocka_unit_test(test_ssl2_kinds),
    };
    return cmocka_run_group_tests_name("ciphers", tests, NULL, NULL);
}
