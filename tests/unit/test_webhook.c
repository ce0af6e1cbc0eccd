/*
 * Unit tests of the webhook channel's bodies (webhook.h): what each type
 * posts for a raise, a resolve and a job summary, field by field, without
 * a server; and how the webhook URL is shown in messages. Delivery, the
 * answers and the secrets in messages are covered end to end by
 * tests/e2e/test_webhooks.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTING_KEY "R0ut1ngKeyOfThirtyTwoCharacters9"
/* 2026-11-23T07:00:00Z */
#define NOW ((time_t)1795417200)

/* ---- helpers ------------------------------------------------------------ */

static struct cs_remote_config remote(enum cs_remote_type type)
{
    return (struct cs_remote_config){
        .channel = "webhook.test",
        .name = "test",
        .is_webhook = true,
        .type = type,
        .url = "https://hooks.example.com/x",
        .routing_key = type == CS_REMOTE_PAGERDUTY ? ROUTING_KEY : NULL,
    };
}

static cJSON *parse(const char *json)
{
    cJSON *payload = cJSON_Parse(json);
    if (payload == NULL)
        fail_msg("bad JSON in the test: %s", json);
    return payload;
}

/* The body for payload (JSON text), parsed; NULL when nothing is sent.
 * Asserts that building it succeeded. */
static cJSON *body_of_source(enum cs_remote_type type, const char *source, const char *json)
{
    struct cs_remote_config rc = remote(type);
    cJSON *payload = parse(json), *parsed = NULL;
    char err[CS_ERRLEN] = "", *body = (char *)"unset";

    enum cs_rc rc_body =
        cs_webhook_body(&rc, source, "idem-1", payload, NOW, &body, err, sizeof(err));
    if (rc_body != CS_OK)
        fail_msg("cs_webhook_body: %d %s", rc_body, err);
    if (body != NULL) {
        parsed = cJSON_Parse(body);
        if (parsed == NULL)
            fail_msg("not JSON: %s", body);
        free(body);
    }
    cJSON_Delete(payload);
    return parsed;
}

static cJSON *body_of(enum cs_remote_type type, const char *json)
{
    return body_of_source(type, "scanner1.example.com", json);
}

/* The string at a path of object names ("payload", "summary", NULL); NULL
 * when absent or not a string. */
static const char *str_at(const cJSON *json, ...)
{
    va_list ap;
    const char *name;

    va_start(ap, json);
    while (json != NULL && (name = va_arg(ap, const char *)) != NULL)
        json = cJSON_GetObjectItemCaseSensitive(json, name);
    va_end(ap);
    return cJSON_IsString(json) ? json->valuestring : NULL;
}

static int member_count(const cJSON *json)
{
    return cJSON_GetArraySize(json);
}

/* Asserts that building a body for json is refused with CS_ERR_USAGE and
 * that err holds words. */
static void assert_refused(enum cs_remote_type type, const char *json, const char *words)
{
    struct cs_remote_config rc = remote(type);
    cJSON *payload = parse(json);
    char err[CS_ERRLEN] = "", *body = (char *)"unset";

    assert_int_equal(cs_webhook_body(&rc, "src", "idem-1", payload, NOW, &body, err, sizeof(err)),
                     CS_ERR_USAGE);
    assert_null(body);
    if (strstr(err, words) == NULL)
        fail_msg("'%s' does not say '%s'", err, words);
    cJSON_Delete(payload);
}

#define RAISE                                                                                      \
    "{\"action\": \"raise\", \"key\": \"alert:expiry30:ab12\", \"kind\": \"expiry\", "             \
    "\"subject\": \"SSL Certificate www.example.com expiry\", "                                    \
    "\"description\": \"The certificate expires in 5 days\", "                                     \
    "\"note\": \"Still expiring: 5 days left\", \"severity\": \"critical\"}"
#define RESOLVE                                                                                    \
    "{\"action\": \"resolve\", \"key\": \"alert:expiry30:ab12\", \"kind\": \"expiry\", "           \
    "\"subject\": \"SSL Certificate www.example.com expiry\", "                                    \
    "\"description\": \"The certificate expires in 5 days\", "                                     \
    "\"note\": \"Renewed: the endpoints present a new certificate\", \"severity\": \"info\"}"
#define NOTIFY                                                                                     \
    "{\"action\": \"notify\", \"kind\": \"discovery\", "                                           \
    "\"subject\": \"certsweep discovery of dmz: 7 endpoints need attention\", "                    \
    "\"description\": \"42 endpoints scanned\", \"severity\": \"warning\"}"

/* ---- PagerDuty ---------------------------------------------------------- */

static void pagerduty_raise_is_a_trigger_keyed_by_the_problem(void **state)
{
    cJSON *b = body_of(CS_REMOTE_PAGERDUTY, RAISE);

    assert_non_null(b);
    assert_int_equal(member_count(b), 5);
    assert_string_equal(str_at(b, "routing_key", NULL), ROUTING_KEY);
    assert_string_equal(str_at(b, "event_action", NULL), "trigger");
    assert_string_equal(str_at(b, "dedup_key", NULL), "alert:expiry30:ab12");
    assert_string_equal(str_at(b, "client", NULL), "certsweep");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(b, "payload");
    assert_int_equal(member_count(p), 4);
    assert_string_equal(str_at(p, "summary", NULL), "SSL Certificate www.example.com expiry");
    assert_string_equal(str_at(p, "source", NULL), "scanner1.example.com");
    assert_string_equal(str_at(p, "severity", NULL), "critical");
    assert_string_equal(str_at(p, "custom_details", "description", NULL),
                        "The certificate expires in 5 days");
    assert_string_equal(str_at(p, "custom_details", "kind", NULL), "expiry");
    assert_string_equal(str_at(p, "custom_details", "note", NULL), "Still expiring: 5 days left");
    cJSON_Delete(b);
}

static void pagerduty_resolve_has_only_key_action_and_dedup_key(void **state)
{
    cJSON *b = body_of(CS_REMOTE_PAGERDUTY, RESOLVE);

    assert_non_null(b);
    assert_int_equal(member_count(b), 3);
    assert_string_equal(str_at(b, "routing_key", NULL), ROUTING_KEY);
    assert_string_equal(str_at(b, "event_action", NULL), "resolve");
    assert_string_equal(str_at(b, "dedup_key", NULL), "alert:expiry30:ab12");
    cJSON_Delete(b);
}

static void pagerduty_job_summary_sends_nothing(void **state)
{
    assert_null(body_of(CS_REMOTE_PAGERDUTY, NOTIFY));
}

static void pagerduty_severity_is_mapped_to_its_four(void **state)
{
    static const char *const cases[][2] = {
        {"\"critical\"", "critical"}, {"\"error\"", "error"},
        {"\"err\"", "error"},         {"\"warning\"", "warning"},
        {"\"info\"", "info"},         {"\"notice\"", "info"},
        {"\"WARN\"", "warning"},      {"\"bogus\"", "warning"},
        {"null", "warning"},          {"3", "warning"},
    };
    char json[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(json, sizeof(json),
                 "{\"action\": \"raise\", \"key\": \"k\", \"subject\": \"s\", \"severity\": %s}",
                 cases[i][0]);
        cJSON *b = body_of(CS_REMOTE_PAGERDUTY, json);
        assert_string_equal(str_at(b, "payload", "severity", NULL), cases[i][1]);
        cJSON_Delete(b);
    }
}

static void pagerduty_summary_is_cut_to_1024_bytes_between_characters(void **state)
{
    /* 700 two-byte characters: 1400 bytes, cut to 512 whole characters. */
    char json[2048] = "{\"action\": \"raise\", \"key\": \"k\", \"subject\": \"";
    size_t n = strlen(json);
    for (int i = 0; i < 700; i++) {
        json[n++] = (char)0xc3;
        json[n++] = (char)0xa9;
    }
    snprintf(json + n, sizeof(json) - n, "\"}");

    cJSON *b = body_of(CS_REMOTE_PAGERDUTY, json);
    const char *summary = str_at(b, "payload", "summary", NULL);
    assert_non_null(summary);
    assert_int_equal(strlen(summary), 1024);
    assert_int_equal((unsigned char)summary[1022], 0xc3);
    cJSON_Delete(b);
}

static void pagerduty_source_defaults_and_client_url_for_a_url(void **state)
{
    cJSON *b = body_of_source(CS_REMOTE_PAGERDUTY, NULL, RAISE);
    assert_string_equal(str_at(b, "payload", "source", NULL), "certsweep");
    assert_null(cJSON_GetObjectItemCaseSensitive(b, "client_url"));
    cJSON_Delete(b);

    b = body_of_source(CS_REMOTE_PAGERDUTY, "https://certsweep.example.com/", RAISE);
    assert_string_equal(str_at(b, "payload", "source", NULL), "https://certsweep.example.com/");
    assert_string_equal(str_at(b, "client_url", NULL), "https://certsweep.example.com/");
    cJSON_Delete(b);
}

static void pagerduty_refuses_a_key_longer_than_a_dedup_key(void **state)
{
    char json[512];
    char key[257];

    memset(key, 'k', 256);
    key[256] = '\0';
    snprintf(json, sizeof(json), "{\"action\": \"raise\", \"key\": \"%s\", \"subject\": \"s\"}",
             key);
    assert_refused(CS_REMOTE_PAGERDUTY, json, "255");
    key[255] = '\0';
    snprintf(json, sizeof(json), "{\"action\": \"resolve\", \"key\": \"%s\", \"subject\": \"s\"}",
             key);
    cJSON *b = body_of(CS_REMOTE_PAGERDUTY, json);
    assert_int_equal(strlen(str_at(b, "dedup_key", NULL)), 255);
    cJSON_Delete(b);
}

/* ---- Slack -------------------------------------------------------------- */

static void slack_raise_is_the_bold_subject_and_the_description(void **state)
{
    cJSON *b = body_of(CS_REMOTE_SLACK, RAISE);

    assert_int_equal(member_count(b), 1);
    assert_string_equal(str_at(b, "text", NULL), "*SSL Certificate www.example.com expiry*\n"
                                                 "The certificate expires in 5 days");
    cJSON_Delete(b);

    b = body_of(CS_REMOTE_SLACK, "{\"action\": \"raise\", \"key\": \"k\", \"subject\": \"S\", "
                                 "\"note\": \"only a note\"}");
    assert_string_equal(str_at(b, "text", NULL), "*S*\nonly a note");
    cJSON_Delete(b);
}

static void slack_resolve_is_a_resolved_line_and_the_note(void **state)
{
    cJSON *b = body_of(CS_REMOTE_SLACK, RESOLVE);
    assert_string_equal(str_at(b, "text", NULL),
                        ":white_check_mark: Resolved: SSL Certificate www.example.com expiry\n"
                        "Renewed: the endpoints present a new certificate");
    cJSON_Delete(b);

    b = body_of(CS_REMOTE_SLACK, "{\"action\": \"resolve\", \"key\": \"k\", \"subject\": \"S\"}");
    assert_string_equal(str_at(b, "text", NULL), ":white_check_mark: Resolved: S");
    cJSON_Delete(b);
}

static void slack_job_summary_is_a_message(void **state)
{
    cJSON *b = body_of(CS_REMOTE_SLACK, NOTIFY);
    assert_string_equal(str_at(b, "text", NULL),
                        "*certsweep discovery of dmz: 7 endpoints need attention*\n"
                        "42 endpoints scanned");
    cJSON_Delete(b);
}

static void slack_markup_characters_are_escaped(void **state)
{
    cJSON *b = body_of(CS_REMOTE_SLACK,
                       "{\"action\": \"raise\", \"key\": \"k\", \"subject\": \"<!channel> a&b\", "
                       "\"description\": \"<https://evil.example|click> x>y\"}");
    assert_string_equal(str_at(b, "text", NULL),
                        "*&lt;!channel&gt; a&amp;b*\n&lt;https://evil.example|click&gt; x&gt;y");
    cJSON_Delete(b);
}

/* ---- Teams -------------------------------------------------------------- */

/* The card's TextBlocks: asserts the envelope and returns body. */
static const cJSON *card_body(const cJSON *b)
{
    assert_int_equal(member_count(b), 2);
    assert_string_equal(str_at(b, "type", NULL), "message");
    const cJSON *attachments = cJSON_GetObjectItemCaseSensitive(b, "attachments");
    assert_int_equal(cJSON_GetArraySize(attachments), 1);
    const cJSON *a = cJSON_GetArrayItem(attachments, 0);
    assert_int_equal(member_count(a), 2);
    assert_string_equal(str_at(a, "contentType", NULL), "application/vnd.microsoft.card.adaptive");
    const cJSON *card = cJSON_GetObjectItemCaseSensitive(a, "content");
    assert_string_equal(str_at(card, "$schema", NULL),
                        "http://adaptivecards.io/schemas/adaptive-card.json");
    assert_string_equal(str_at(card, "type", NULL), "AdaptiveCard");
    assert_string_equal(str_at(card, "version", NULL), "1.2");
    return cJSON_GetObjectItemCaseSensitive(card, "body");
}

static void teams_raise_is_a_card_of_subject_and_description(void **state)
{
    cJSON *b = body_of(CS_REMOTE_TEAMS, RAISE);
    const cJSON *blocks = card_body(b);
    cJSON *want = parse("[{\"type\": \"TextBlock\", \"text\": \"SSL Certificate www.example.com "
                        "expiry\", \"weight\": \"Bolder\", \"wrap\": true}, "
                        "{\"type\": \"TextBlock\", \"text\": \"The certificate expires in 5 "
                        "days\", \"wrap\": true}]");

    assert_true(cJSON_Compare(blocks, want, true));
    cJSON_Delete(want);
    cJSON_Delete(b);
}

static void teams_resolve_title_says_resolved(void **state)
{
    cJSON *b = body_of(CS_REMOTE_TEAMS, RESOLVE);
    const cJSON *blocks = card_body(b);

    assert_int_equal(cJSON_GetArraySize(blocks), 2);
    assert_string_equal(str_at(cJSON_GetArrayItem(blocks, 0), "text", NULL),
                        "Resolved: SSL Certificate www.example.com expiry");
    assert_string_equal(str_at(cJSON_GetArrayItem(blocks, 1), "text", NULL),
                        "Renewed: the endpoints present a new certificate");
    cJSON_Delete(b);

    /* Nothing to say under the title: no empty TextBlock. */
    b = body_of(CS_REMOTE_TEAMS, "{\"action\": \"resolve\", \"key\": \"k\", \"subject\": \"S\"}");
    assert_int_equal(cJSON_GetArraySize(card_body(b)), 1);
    cJSON_Delete(b);
}

/* ---- generic ------------------------------------------------------------ */

static void generic_body_is_the_documented_one(void **state)
{
    cJSON *b = body_of(CS_REMOTE_GENERIC, RAISE);
    cJSON *want =
        parse("{\"source\": \"certsweep\", \"version\": 1, \"idempotency_key\": \"idem-1\", "
              "\"action\": \"raise\", \"key\": \"alert:expiry30:ab12\", \"kind\": \"expiry\", "
              "\"subject\": \"SSL Certificate www.example.com expiry\", "
              "\"description\": \"The certificate expires in 5 days\", "
              "\"note\": \"Still expiring: 5 days left\", \"severity\": \"critical\", "
              "\"sent_at\": \"2026-11-23T07:00:00Z\"}");

    if (!cJSON_Compare(b, want, true)) {
        char *got = cJSON_Print(b);
        fail_msg("got %s", got);
    }
    cJSON_Delete(want);
    cJSON_Delete(b);
}

static void generic_absent_fields_are_null(void **state)
{
    cJSON *b = body_of(CS_REMOTE_GENERIC, "{\"action\": \"notify\", \"subject\": \"S\"}");

    assert_int_equal(member_count(b), 11);
    assert_string_equal(str_at(b, "action", NULL), "notify");
    static const char *const nulls[] = {"key", "kind", "description", "note", "severity"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, nulls[i])));
    cJSON_Delete(b);
}

/* ---- what every body needs ---------------------------------------------- */

static void payload_without_what_a_message_needs_is_refused(void **state)
{
    static const enum cs_remote_type types[] = {CS_REMOTE_PAGERDUTY, CS_REMOTE_SLACK,
                                                CS_REMOTE_TEAMS, CS_REMOTE_GENERIC};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        assert_refused(types[i], "[1, 2]", "JSON object");
        assert_refused(types[i], "{\"subject\": \"S\", \"key\": \"k\"}", "action");
        assert_refused(types[i], "{\"action\": \"close\", \"subject\": \"S\", \"key\": \"k\"}",
                       "raise, resolve or notify");
        assert_refused(types[i], "{\"action\": \"raise\", \"key\": \"k\"}", "subject");
        assert_refused(types[i], "{\"action\": \"raise\", \"subject\": \"S\"}", "needs a key");
        assert_refused(types[i], "{\"action\": \"resolve\", \"subject\": \"S\", \"key\": \"\"}",
                       "needs a key");
    }
}

/* ---- the URL in messages ------------------------------------------------ */

static void url_shown_hides_the_secret_parts(void **state)
{
    static const struct {
        const char *url;
        bool keep_path;
        const char *want;
    } cases[] = {
        {"https://hooks.slack.com/services/T000/B000/XXXXSECRET", false,
         "https://hooks.slack.com/..."},
        {"https://prod.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/"
         "invoke?api-version=1&sig=SECRET",
         false, "https://prod.westus.logic.azure.com:443/..."},
        {"https://events.pagerduty.com/v2/enqueue", true,
         "https://events.pagerduty.com/v2/enqueue"},
        {"https://user:pw@events.example.com/v2/enqueue?token=SECRET", true,
         "https://events.example.com/v2/enqueue"},
        {"https://hooks.example.com", false, "https://hooks.example.com"},
        {"https://hooks.example.com/", false, "https://hooks.example.com"},
        {"https://hooks.example.com?key=SECRET", false, "https://hooks.example.com/..."},
        {"http://[::1]:8080/hook", false, "http://[::1]:8080/..."},
    };
    char buf[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cs_webhook_url_shown(cases[i].url, cases[i].keep_path, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].want);
    }
    /* Cut to the buffer, NUL-terminated. */
    cs_webhook_url_shown("https://hooks.slack.com/services/T/B/X", false, buf, 12);
    assert_string_equal(buf, "https://hoo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pagerduty_raise_is_a_trigger_keyed_by_the_problem),
        cmocka_unit_test(pagerduty_resolve_has_only_key_action_and_dedup_key),
        cmocka_unit_test(pagerduty_job_summary_sends_nothing),
        cmocka_unit_test(pagerduty_severity_is_mapped_to_its_four),
        cmocka_unit_test(pagerduty_summary_is_cut_to_1024_bytes_between_characters),
        cmocka_unit_test(pagerduty_source_defaults_and_client_url_for_a_url),
        cmocka_unit_test(pagerduty_refuses_a_key_longer_than_a_dedup_key),
        cmocka_unit_test(slack_raise_is_the_bold_subject_and_the_description),
        cmocka_unit_test(slack_resolve_is_a_resolved_line_and_the_note),
        cmocka_unit_test(slack_job_summary_is_a_message),
        cmocka_unit_test(slack_markup_characters_are_escaped),
        cmocka_unit_test(teams_raise_is_a_card_of_subject_and_description),
        cmocka_unit_test(teams_resolve_title_says_resolved),
        cmocka_unit_test(generic_body_is_the_documented_one),
        cmocka_unit_test(generic_absent_fields_are_null),
        cmocka_unit_test(payload_without_what_a_message_needs_is_refused),
        cmocka_unit_test(url_shown_hides_the_secret_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
