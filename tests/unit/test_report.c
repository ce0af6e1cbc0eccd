/* Report arithmetic and rendering (src/report.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW ((time_t)1800000000) /* 2027-01-15T08:00:00Z */
#define DAY 86400

static const cJSON *get(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, k);
    return o;
}

static double num(const cJSON *o, const char *path)
{
    const cJSON *v = get(o, path);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static char *render(const cJSON *json, enum cs_report_format format)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(cs_report_render(json, format, f, NULL, 0), CS_OK);
    fclose(f);
    return text;
}

static void test_subject_counts_expiring_plus_no_certificate(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_DISCOVERY, "dmz", 30, 50, NOW);
    cs_report_check_expiry(r, "10.0.0.1", 443, NULL, "a", "x", NOW + 5 * DAY);
    cs_report_check_expiry(r, "10.0.0.2", 443, NULL, "b", "x", NOW - 2 * DAY);
    cs_report_check_expiry(r, "10.0.0.3", 443, NULL, "c", "x", NOW + 300 * DAY); /* fine */
    cs_report_add_no_certificate(r, "10.0.0.4", 443, NULL, CS_STATUS_NOT_SSL, "http_response");
    cJSON *json = cs_report_to_json(r, 7, NOW, NOW + 60);

    assert_int_equal(cs_report_subject_count(r), 3);
    assert_int_equal(num(json, "expired_or_expiring.total"), 2);
    assert_int_equal(num(json, "no_certificate.total"), 1);
    assert_int_equal(num(json, "subject_count"), 3);
    assert_string_equal(get(json, "subject")->valuestring,
                        "certsweep discovery of dmz: 3 endpoints need attention");
    assert_null(get(json, "changed")); /* monitoring only */
    cJSON_Delete(json);
    cs_report_free(&r);
    assert_null(r);
}

static void test_one_endpoint_is_singular(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_MONITORING, "web", 30, 50, NOW);
    cs_report_add_no_certificate(r, "10.0.0.4", 443, "w.test", CS_STATUS_CONNECTION_REFUSED, "rst");
    cJSON *json = cs_report_to_json(r, 8, NOW, NOW);
    assert_string_equal(get(json, "subject")->valuestring,
                        "certsweep monitoring of web: 1 endpoint needs attention");
    assert_non_null(get(json, "changed"));
    cJSON_Delete(json);
    cs_report_free(&r);
}

static void test_expiry_boundary_is_exclusive_at_x_days(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_DISCOVERY, "n", 30, 50, NOW);
    cs_report_check_expiry(r, "10.0.0.1", 443, NULL, "in", "x", NOW + 30 * DAY - 1);
    cs_report_check_expiry(r, "10.0.0.2", 443, NULL, "out", "x", NOW + 30 * DAY);
    cJSON *json = cs_report_to_json(r, 1, NOW, NOW);
    assert_int_equal(num(json, "expired_or_expiring.total"), 1);
    const cJSON *row = cJSON_GetArrayItem(get(json, "expired_or_expiring.rows"), 0);
    assert_string_equal(get(row, "subject_cn")->valuestring, "in");
    assert_int_equal(num(row, "days_left"), 29);
    cJSON_Delete(json);
    cs_report_free(&r);
}

static void test_expired_an_hour_ago_is_minus_one_day(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_DISCOVERY, "n", 30, 50, NOW);
    cs_report_check_expiry(r, "10.0.0.1", 443, NULL, "gone", "x", NOW - 3600);
    cJSON *json = cs_report_to_json(r, 1, NOW, NOW);
    const cJSON *row = cJSON_GetArrayItem(get(json, "expired_or_expiring.rows"), 0);
    assert_true(num(row, "days_left") == -1.0);
    cJSON_Delete(json);
    cs_report_free(&r);
}

static void test_grids_are_cut_but_totals_are_not(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_DISCOVERY, "n", 30, 2, NOW);
    char ip[32];
    for (int i = 0; i < 5; i++) {
        snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
        cs_report_add_no_certificate(r, ip, 443, NULL, CS_STATUS_BAD_SSL_HANDSHAKE,
                                     "alert:handshake_failure");
    }
    cJSON *json = cs_report_to_json(r, 1, NOW, NOW);
    assert_int_equal(num(json, "no_certificate.total"), 5);
    assert_int_equal(cJSON_GetArraySize(get(json, "no_certificate.rows")), 2);
    assert_int_equal(num(json, "no_certificate.not_shown"), 3);
    assert_int_equal(num(json, "subject_count"), 5);
    char *text = render(json, CS_REPORT_TEXT);
    assert_non_null(strstr(text, "(3 more not shown)"));
    free(text);
    cJSON_Delete(json);
    cs_report_free(&r);
}

static void test_counts_cover_every_status(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_DISCOVERY, "n", 30, 50, NOW);
    cs_report_count(r, CS_STATUS_CONNECTION_REFUSED);
    cs_report_count(r, CS_STATUS_CONNECTION_REFUSED);
    cs_report_count(r, CS_STATUS_CERTIFICATE_FOUND);
    cJSON *json = cs_report_to_json(r, 1, NOW, NOW);
    assert_int_equal(num(json, "endpoints_scanned"), 3);
    assert_int_equal(num(json, "counts.connection_refused"), 2);
    assert_int_equal(num(json, "counts.certificate_found"), 1);
    assert_int_equal(num(json, "counts.timed_out_connecting"), 0);
    assert_int_equal(cJSON_GetArraySize(get(json, "counts")), CS_STATUS_COUNT);
    cJSON_Delete(json);
    cs_report_free(&r);
}

static void test_changed_rows_carry_old_and_new(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_MONITORING, "n", 30, 50, NOW);
    cs_report_add_changed(r, "::1", 8443, "a.test", "aa", "2027-01-01T00:00:00Z", "bb",
                          "2028-01-01T00:00:00Z");
    cJSON *json = cs_report_to_json(r, 1, NOW, NOW);
    const cJSON *row = cJSON_GetArrayItem(get(json, "changed.rows"), 0);
    assert_string_equal(get(row, "old_sha256")->valuestring, "aa");
    assert_string_equal(get(row, "new_not_after")->valuestring, "2028-01-01T00:00:00Z");
    assert_string_equal(get(row, "sni")->valuestring, "a.test");
    assert_int_equal(num(json, "subject_count"), 0); /* a renewal needs no attention */
    char *text = render(json, CS_REPORT_TEXT);
    assert_non_null(strstr(text, "[::1]:8443 (a.test)"));
    free(text);
    cJSON_Delete(json);
    cs_report_free(&r);
}

static void test_html_escapes_what_servers_control(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_DISCOVERY, "n", 30, 50, NOW);
    cs_report_check_expiry(r, "10.0.0.1", 443, NULL, "<script>alert(1)</script>", "x", NOW);
    cJSON *json = cs_report_to_json(r, 1, NOW, NOW);
    char *html = render(json, CS_REPORT_HTML);
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;"));
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_null(strstr(html, "http://"));
    free(html);
    cJSON_Delete(json);
    cs_report_free(&r);
}

static void test_stored_json_renders_the_same(void **state)
{
    struct cs_report *r = cs_report_new(CS_JOB_DISCOVERY, "n", 30, 50, NOW);
    cs_report_add_no_certificate(r, "10.0.0.9", 25, NULL, CS_STATUS_NOT_SSL, "smtp_or_ftp_banner");
    cJSON *json = cs_report_to_json(r, 3, NOW, NOW);
    char *stored = cJSON_PrintUnformatted(json);
    cJSON *reparsed = cJSON_Parse(stored);
    char *a = render(json, CS_REPORT_TEXT), *b = render(reparsed, CS_REPORT_TEXT);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(stored);
    cJSON_Delete(reparsed);
    cJSON_Delete(json);
    cs_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_counts_expiring_plus_no_certificate),
        cmocka_unit_test(test_one_endpoint_is_singular),
        cmocka_unit_test(test_expiry_boundary_is_exclusive_at_x_days),
        cmocka_unit_test(test_expired_an_hour_ago_is_minus_one_day),
        cmocka_unit_test(test_grids_are_cut_but_totals_are_not),
        cmocka_unit_test(test_counts_cover_every_status),
        cmocka_unit_test(test_changed_rows_carry_old_and_new),
        cmocka_unit_test(test_html_escapes_what_servers_control),
        cmocka_unit_test(test_stored_json_renders_the_same),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
