/* Alert templates (src/template.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const values[CS_TOK_COUNT] = {
    [CS_TOK_CN] = "www.example.com",
    [CS_TOK_DN] = "CN=www.example.com,O=Example",
    [CS_TOK_ISSUER_DN] = "CN=Example CA",
    [CS_TOK_SANS] = "DNS:www.example.com, DNS:example.com",
    [CS_TOK_SERIAL] = "0a1b",
    [CS_TOK_SHA256] = "ab12",
    [CS_TOK_NOT_BEFORE] = "2026-01-01T00:00:00Z",
    [CS_TOK_NOT_AFTER] = "2026-12-01T00:00:00Z",
    [CS_TOK_DAYS_LEFT] = "7",
    [CS_TOK_LOCATIONS] = "10.0.0.1:443, [::1]:8443/www.example.com",
    [CS_TOK_NETWORK] = "dmz",
    [CS_TOK_KEY] = "RSA 2048",
    [CS_TOK_SIG_ALG] = "sha256WithRSAEncryption",
};

static void expands_to(const char *tpl, const char *want)
{
    assert_int_equal(cs_template_check(tpl, NULL, 0), CS_OK);
    char *got = cs_template_expand(tpl, values);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void refused_with(const char *tpl, const char *needle)
{
    char err[CS_ERRLEN] = "";
    assert_int_equal(cs_template_check(tpl, err, sizeof(err)), CS_ERR_USAGE);
    assert_non_null(strstr(err, needle));
    assert_null(cs_template_expand(tpl, values));
}

static void every_token_expands(void **state)
{
    expands_to("{cn}|{dn}|{issuer_dn}|{sans}|{serial}|{sha256}|{not_before}|{not_after}|"
               "{days_left}|{locations}|{network}|{key}|{sig_alg}",
               "www.example.com|CN=www.example.com,O=Example|CN=Example CA|"
               "DNS:www.example.com, DNS:example.com|0a1b|ab12|2026-01-01T00:00:00Z|"
               "2026-12-01T00:00:00Z|7|10.0.0.1:443, [::1]:8443/www.example.com|dmz|RSA 2048|"
               "sha256WithRSAEncryption");
}

static void seed_default_subject(void **state)
{
    expands_to("SSL Certificate {cn} expiry", "SSL Certificate www.example.com expiry");
}

static void text_without_tokens_is_unchanged(void **state)
{
    expands_to("", "");
    expands_to("plain text\nwith lines", "plain text\nwith lines");
}

static void doubled_braces_are_literal(void **state)
{
    expands_to("{{cn}} is {cn}; }}{{", "{cn} is www.example.com; }{");
}

static void token_repeated_expands_each_time(void **state)
{
    expands_to("{cn}{cn}", "www.example.comwww.example.com");
}

static void missing_value_is_empty(void **state)
{
    const char *none[CS_TOK_COUNT] = {0};
    char *got = cs_template_expand("[{cn}]", none);
    assert_string_equal(got, "[]");
    free(got);
}

static void unknown_token_is_an_error(void **state)
{
    refused_with("Cert {common_name} expiry", "unknown token at offset 5: '{common_name}'");
    refused_with("{CN}", "unknown token"); /* tokens are lower case */
    refused_with("{}", "unknown token");
}

static void error_lists_the_known_tokens(void **state)
{
    char err[CS_ERRLEN];
    cs_template_check("{nope}", err, sizeof(err));
    for (int t = 0; t < CS_TOK_COUNT; t++) {
        char want[32];
        snprintf(want, sizeof(want), "{%s}", cs_template_token_name(t));
        assert_non_null(strstr(err, want));
    }
}

static void unclosed_brace_is_an_error(void **state)
{
    refused_with("expires {not_after", "unclosed '{' at offset 8");
    refused_with("{cn {dn}", "unclosed '{'");
}

static void lone_closing_brace_is_an_error(void **state)
{
    refused_with("a } b", "'}' without '{'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_token_expands),
        cmocka_unit_test(seed_default_subject),
        cmocka_unit_test(text_without_tokens_is_unchanged),
        cmocka_unit_test(doubled_braces_are_literal),
        cmocka_unit_test(token_repeated_expands_each_time),
        cmocka_unit_test(missing_value_is_empty),
        cmocka_unit_test(unknown_token_is_an_error),
        cmocka_unit_test(error_lists_the_known_tokens),
        cmocka_unit_test(unclosed_brace_is_an_error),
        cmocka_unit_test(lone_closing_brace_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
