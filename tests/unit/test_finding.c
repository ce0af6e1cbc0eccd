/*
 * Unit tests of finding.c: the table of checks (ids, severities, titles,
 * CVEs), severity names, and the list of findings of one endpoint.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "finding.h"

#include <stdio.h>
#include <string.h>

/* The ids and default severities every report, ticket and inventory row
 * relies on: changing one is a breaking change, and this list says so. */
static const struct {
    const char *id;
    enum cs_severity severity;
    const char *cve;
} expected[] = {
    {"sslv2", CS_SEVERITY_CRITICAL, "CVE-2016-0800"},
    {"sslv3", CS_SEVERITY_HIGH, NULL},
    {"tls1_0", CS_SEVERITY_LOW, NULL},
    {"tls1_1", CS_SEVERITY_LOW, NULL},
    {"weak_cipher", CS_SEVERITY_HIGH, NULL},
    {"heartbleed", CS_SEVERITY_CRITICAL, "CVE-2014-0160"},
    {"poodle", CS_SEVERITY_HIGH, "CVE-2014-3566"},
    {"no_fallback_scsv", CS_SEVERITY_LOW, NULL},
    {"insecure_renegotiation", CS_SEVERITY_MEDIUM, "CVE-2009-3555"},
    {"compression", CS_SEVERITY_MEDIUM, "CVE-2012-4929"},
    {"expired", CS_SEVERITY_HIGH, NULL},
    {"not_yet_valid", CS_SEVERITY_MEDIUM, NULL},
    {"expiring", CS_SEVERITY_MEDIUM, NULL},
    {"weak_signature", CS_SEVERITY_MEDIUM, NULL},
    {"weak_key", CS_SEVERITY_HIGH, NULL},
    {"self_signed", CS_SEVERITY_MEDIUM, NULL},
    {"untrusted_chain", CS_SEVERITY_HIGH, NULL},
    {"incomplete_chain", CS_SEVERITY_MEDIUM, NULL},
    {"hostname_mismatch", CS_SEVERITY_HIGH, NULL},
    {"revoked_ocsp", CS_SEVERITY_CRITICAL, NULL},
    {"revoked_crl", CS_SEVERITY_CRITICAL, NULL},
    {"ocsp_unknown", CS_SEVERITY_LOW, NULL},
    {"ocsp_unreachable", CS_SEVERITY_LOW, NULL},
    {"crl_unreachable", CS_SEVERITY_LOW, NULL},
    {"inconclusive", CS_SEVERITY_INFO, NULL},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the table ---------------------------------------------------------- */

static void test_every_expected_id_has_its_severity_and_cve(void **state)
{
    for (size_t i = 0; i < COUNT(expected); i++) {
        const struct cs_check *check = cs_check_find(expected[i].id);
        if (check == NULL)
            fail_msg("%s is not in the table", expected[i].id);
        assert_string_equal(check->id, expected[i].id);
        assert_int_equal(check->severity, expected[i].severity);
        if (expected[i].cve == NULL)
            assert_null(check->cve);
        else
            assert_string_equal(check->cve, expected[i].cve);
    }
}

static void test_table_holds_exactly_the_expected_ids(void **state)
{
    size_t count = 0;
    const struct cs_check *table = cs_check_list(&count);

    assert_int_equal(count, COUNT(expected));
    for (size_t i = 0; i < count; i++)
        assert_ptr_equal(cs_check_find(table[i].id), &table[i]);
}

static void test_every_check_has_a_title_and_a_valid_severity(void **state)
{
    size_t count = 0;
    const struct cs_check *table = cs_check_list(&count);

    for (size_t i = 0; i < count; i++) {
        assert_non_null(table[i].title);
        if (strlen(table[i].title) < 10)
            fail_msg("%s: title \"%s\" is too short for a ticket", table[i].id, table[i].title);
        /* A ticket subject starts with a capital and has no trailing dot. */
        assert_true(table[i].title[0] >= 'A' && table[i].title[0] <= 'Z');
        assert_int_not_equal(table[i].title[strlen(table[i].title) - 1], '.');
        assert_true(table[i].severity >= CS_SEVERITY_INFO &&
                    table[i].severity <= CS_SEVERITY_CRITICAL);
        assert_string_not_equal(cs_severity_name(table[i].severity), "unknown");
    }
}

static void test_titles_match_the_examples(void **state)
{
    assert_string_equal(cs_check_find("sslv3")->title, "SSLv3 is offered");
    assert_string_equal(cs_check_find("heartbleed")->title, "Heartbleed: the server leaks memory");
    assert_string_equal(cs_check_find("weak_cipher")->title, "Weak cipher suites are accepted");
    assert_string_equal(cs_check_find("expired")->title, "The certificate has expired");
}

static void test_unknown_id_is_not_found(void **state)
{
    assert_null(cs_check_find("sslv4"));
    assert_null(cs_check_find(""));
    assert_null(cs_check_find("SSLV3")); /* ids are lowercase, compared exactly */
}

/* ---- severities --------------------------------------------------------- */

static void test_severity_names_round_trip(void **state)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};

    for (int s = CS_SEVERITY_INFO; s <= CS_SEVERITY_CRITICAL; s++) {
        enum cs_severity back = CS_SEVERITY_INFO;
        assert_string_equal(cs_severity_name((enum cs_severity)s), names[s]);
        assert_true(cs_severity_parse(names[s], &back));
        assert_int_equal(back, s);
    }
}

static void test_severities_are_ordered(void **state)
{
    assert_true(CS_SEVERITY_INFO < CS_SEVERITY_LOW);
    assert_true(CS_SEVERITY_LOW < CS_SEVERITY_MEDIUM);
    assert_true(CS_SEVERITY_MEDIUM < CS_SEVERITY_HIGH);
    assert_true(CS_SEVERITY_HIGH < CS_SEVERITY_CRITICAL);
}

static void test_severity_parse_ignores_case_and_refuses_others(void **state)
{
    enum cs_severity s = CS_SEVERITY_INFO;

    assert_true(cs_severity_parse("HIGH", &s));
    assert_int_equal(s, CS_SEVERITY_HIGH);
    s = CS_SEVERITY_LOW;
    assert_false(cs_severity_parse("severe", &s));
    assert_false(cs_severity_parse("", &s));
    assert_false(cs_severity_parse("high ", &s));
    assert_int_equal(s, CS_SEVERITY_LOW); /* untouched on failure */
}

static void test_out_of_range_severity_is_unknown(void **state)
{
    assert_string_equal(cs_severity_name((enum cs_severity)42), "unknown");
}

/* ---- the list of findings ----------------------------------------------- */

static void test_add_keeps_order_detail_and_default_severity(void **state)
{
    struct cs_findings list = {0};

    assert_int_equal(cs_findings_add(&list, "sslv3", "the server accepts %s", "SSLv3"), CS_OK);
    assert_int_equal(cs_findings_add(&list, "heartbleed", "%d bytes leaked", 64), CS_OK);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].check->id, "sslv3");
    assert_int_equal(list.items[0].severity, CS_SEVERITY_HIGH);
    assert_string_equal(list.items[0].detail, "the server accepts SSLv3");
    assert_string_equal(list.items[1].check->id, "heartbleed");
    assert_int_equal(list.items[1].severity, CS_SEVERITY_CRITICAL);
    assert_string_equal(list.items[1].detail, "64 bytes leaked");
    cs_findings_clear(&list);
}

static void test_empty_detail_is_an_empty_string(void **state)
{
    struct cs_findings list = {0};

    assert_int_equal(cs_findings_add(&list, "tls1_0", "%s", ""), CS_OK);
    assert_non_null(list.items[0].detail);
    assert_string_equal(list.items[0].detail, "");
    cs_findings_clear(&list);
}

static void test_long_detail_is_kept_whole(void **state)
{
    struct cs_findings list = {0};
    char want[1001];

    memset(want, 'x', 1000);
    want[1000] = '\0';
    assert_int_equal(cs_findings_add(&list, "weak_cipher", "%s", want), CS_OK);
    assert_string_equal(list.items[0].detail, want);
    cs_findings_clear(&list);
}

static void test_raised_and_lowered_severity_is_kept(void **state)
{
    struct cs_findings list = {0};

    assert_int_equal(cs_findings_add_severity(&list, "weak_cipher", CS_SEVERITY_CRITICAL,
                                              "TLS 1.2: %s", "NULL-SHA"),
                     CS_OK);
    assert_int_equal(
        cs_findings_add_severity(&list, "weak_cipher", CS_SEVERITY_MEDIUM, "%s", "DES-CBC3-SHA"),
        CS_OK);
    assert_int_equal(list.items[0].severity, CS_SEVERITY_CRITICAL);
    assert_string_equal(list.items[0].detail, "TLS 1.2: NULL-SHA");
    assert_int_equal(list.items[1].severity, CS_SEVERITY_MEDIUM);
    /* The check itself keeps its default. */
    assert_int_equal(list.items[0].check->severity, CS_SEVERITY_HIGH);
    cs_findings_clear(&list);
}

static void test_unknown_id_is_refused_and_list_unchanged(void **state)
{
    struct cs_findings list = {0};

    assert_int_equal(cs_findings_add(&list, "sslv3", "%s", "first"), CS_OK);
    assert_int_equal(cs_findings_add(&list, "no_such_check", "%s", "x"), CS_ERR_USAGE);
    assert_int_equal(cs_findings_add_severity(&list, "no_such_check", CS_SEVERITY_LOW, "%s", "x"),
                     CS_ERR_USAGE);
    assert_int_equal(list.count, 1);
    assert_false(cs_findings_has(&list, "no_such_check"));
    cs_findings_clear(&list);
}

static void test_has_finds_only_added_ids(void **state)
{
    struct cs_findings list = {0};

    assert_false(cs_findings_has(&list, "expired"));
    assert_int_equal(cs_findings_add(&list, "expired", "%s", "long ago"), CS_OK);
    assert_true(cs_findings_has(&list, "expired"));
    assert_false(cs_findings_has(&list, "expiring"));
    assert_false(cs_findings_has(&list, "expire"));
    cs_findings_clear(&list);
}

static void test_many_findings_grow_the_array(void **state)
{
    struct cs_findings list = {0};

    for (int i = 0; i < 100; i++)
        assert_int_equal(cs_findings_add(&list, "inconclusive", "probe %d", i), CS_OK);
    assert_int_equal(list.count, 100);
    assert_true(list.cap >= 100);
    for (int i = 0; i < 100; i++) {
        char want[32];
        snprintf(want, sizeof(want), "probe %d", i);
        assert_string_equal(list.items[i].detail, want);
    }
    cs_findings_clear(&list);
}

static void test_clear_frees_and_zeroes_and_list_is_reusable(void **state)
{
    struct cs_findings list = {0}, zero = {0};

    assert_int_equal(cs_findings_add(&list, "poodle", "%s", "CBC"), CS_OK);
    assert_int_equal(cs_findings_add(&list, "compression", "%s", "DEFLATE"), CS_OK);
    cs_findings_clear(&list);
    assert_memory_equal(&list, &zero, sizeof(list));
    assert_false(cs_findings_has(&list, "poodle"));
    cs_findings_clear(&list); /* a cleared list can be cleared again */

    assert_int_equal(cs_findings_add(&list, "sslv2", "%s", "again"), CS_OK);
    assert_int_equal(list.count, 1);
    cs_findings_clear(&list);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_expected_id_has_its_severity_and_cve),
        cmocka_unit_test(test_table_holds_exactly_the_expected_ids),
        cmocka_unit_test(test_every_check_has_a_title_and_a_valid_severity),
        cmocka_unit_test(test_titles_match_the_examples),
        cmocka_unit_test(test_unknown_id_is_not_found),
        cmocka_unit_test(test_severity_names_round_trip),
        cmocka_unit_test(test_severities_are_ordered),
        cmocka_unit_test(test_severity_parse_ignores_case_and_refuses_others),
        cmocka_unit_test(test_out_of_range_severity_is_unknown),
        cmocka_unit_test(test_add_keeps_order_detail_and_default_severity),
        cmocka_unit_test(test_empty_detail_is_an_empty_string),
        cmocka_unit_test(test_long_detail_is_kept_whole),
        cmocka_unit_test(test_raised_and_lowered_severity_is_kept),
        cmocka_unit_test(test_unknown_id_is_refused_and_list_unchanged),
        cmocka_unit_test(test_has_finds_only_added_ids),
        cmocka_unit_test(test_many_findings_grow_the_array),
        cmocka_unit_test(test_clear_frees_and_zeroes_and_list_is_reusable),
    };

    return cmocka_run_group_tests_name("finding", tests, NULL, NULL);
}
