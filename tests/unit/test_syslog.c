/*
 * Unit tests of the syslog channel (notify_syslog.h): the RFC 5424 format,
 * field by field, the octet-counting frame of RFC 6587, and the sessions
 * over UDP and TCP to receivers this test plays on 127.0.0.1 (one datagram
 * a message, one connection reused, a new one when the receiver closed the
 * old). TLS is covered end to end, by tests/e2e/test_channels.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "notify.h"
#include "notify_syslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BOM "\xef\xbb\xbf"
#define FFFD "\xef\xbf\xbd"

/* ---- helpers ------------------------------------------------------------ */

static struct cs_syslog_config config(void)
{
    return (struct cs_syslog_config){
        .configured = true,
        .facility = 16,
        .hostname = "myhost",
        .app_name = "certsweep",
    };
}

static cJSON *parse(const char *json)
{
    cJSON *payload = cJSON_Parse(json);
    if (payload == NULL)
        fail_msg("bad JSON in the test: %s", json);
    return payload;
}

/* Formats payload (JSON text) into a buffer of buflen bytes and asserts
 * the result is want, byte for byte. */
static void assert_formats_n(const struct cs_syslog_config *cfg, const char *idem, int procid,
                             const char *json, size_t buflen, const char *want)
{
    cJSON *payload = parse(json);
    char *buf = malloc(buflen);
    char err[CS_ERRLEN] = "";
    size_t len = 12345;

    assert_non_null(buf);
    enum cs_rc rc =
        cs_syslog_format(cfg, idem, payload, procid, buf, buflen, &len, err, sizeof(err));
    if (rc != CS_OK)
        fail_msg("refused: %s", err);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
    free(buf);
    cJSON_Delete(payload);
}

static void assert_formats(const struct cs_syslog_config *cfg, const char *idem, int procid,
                           const char *json, const char *want)
{
    assert_formats_n(cfg, idem, procid, json, CS_SYSLOG_STREAM_MAX + 1, want);
}

/* Asserts formatting is refused with CS_ERR_USAGE and a message holding
 * why. */
static void assert_refused_n(const struct cs_syslog_config *cfg, const char *idem, const char *json,
                             size_t buflen, const char *why)
{
    cJSON *payload = parse(json);
    char *buf = malloc(buflen);
    char err[CS_ERRLEN] = "";
    size_t len = 12345;

    assert_non_null(buf);
    enum cs_rc rc = cs_syslog_format(cfg, idem, payload, 42, buf, buflen, &len, err, sizeof(err));
    if (rc == CS_OK)
        fail_msg("accepted %s as: %s", json, buf);
    assert_int_equal(rc, CS_ERR_USAGE);
    assert_int_equal(len, 0);
    if (strstr(err, why) == NULL)
        fail_msg("error '%s' does not say '%s'", err, why);
    free(buf);
    cJSON_Delete(payload);
}

static void assert_refused(const struct cs_syslog_config *cfg, const char *json, const char *why)
{
    assert_refused_n(cfg, "k", json, CS_SYSLOG_STREAM_MAX + 1, why);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

#define MINIMAL "{\"severity\": 5}"

/* ---- the whole message ---------------------------------------------------- */

static void test_full_message_has_every_field_in_order(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(
        &cfg, "job-7-lost-1", 1234,
        "{\"severity\": 4, \"msgid\": \"cert_expiring\","
        " \"timestamp\": \"2026-11-23T07:00:00Z\", \"sd_id\": \"cert@32473\","
        " \"params\": [[\"sha256\", \"ab12\"], [\"not_after\", \"2026-12-01\"]],"
        " \"msg\": \"expires in 8 days\"}",
        "<132>1 2026-11-23T07:00:00Z myhost certsweep 1234 cert_expiring "
        "[cert@32473 idem=\"job-7-lost-1\" sha256=\"ab12\" not_after=\"2026-12-01\"] " BOM
        "expires in 8 days");
}

static void test_payload_that_is_no_object_is_refused(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_refused(&cfg, "[1, 2]", "not a JSON object");
}

/* ---- PRI ------------------------------------------------------------------ */

static void test_pri_is_facility_times_8_plus_severity(void **state)
{
    static const struct {
        unsigned facility;
        int severity;
        const char *pri;
    } cases[] = {
        {0, 0, "<0>1 "},    {1, 3, "<11>1 "},   {3, 6, "<30>1 "},
        {16, 5, "<133>1 "}, {16, 4, "<132>1 "}, {23, 7, "<191>1 "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cs_syslog_config cfg = config();
        char json[64], want[128];
        cfg.facility = cases[i].facility;
        snprintf(json, sizeof(json), "{\"severity\": %d}", cases[i].severity);
        snprintf(want, sizeof(want), "%s- myhost certsweep - - [certsweep@32473]", cases[i].pri);
        assert_formats(&cfg, NULL, -1, json, want);
    }
}

static void test_facility_past_23_is_refused(void **state)
{
    struct cs_syslog_config cfg = config();
    cfg.facility = 24;
    assert_refused(&cfg, MINIMAL, "facility 24");
}

static void test_severity_must_be_an_integer_0_to_7(void **state)
{
    struct cs_syslog_config cfg = config();
    static const char *const bad[] = {
        "{}",
        "{\"severity\": 8}",
        "{\"severity\": -1}",
        "{\"severity\": 4.5}",
        "{\"severity\": \"4\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_refused(&cfg, bad[i], "severity");
}

/* ---- header fields -------------------------------------------------------- */

static void test_empty_fields_are_nilvalue(void **state)
{
    struct cs_syslog_config cfg = config();
    cfg.hostname = NULL;
    cfg.app_name = "";
    assert_formats(&cfg, NULL, -1, MINIMAL, "<133>1 - - - - - [certsweep@32473]");
    assert_formats(&cfg, "", -1, "{\"severity\": 5, \"msgid\": \"\", \"timestamp\": \"\"}",
                   "<133>1 - - - - - [certsweep@32473]");
}

static void test_procid_is_the_number_given(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(&cfg, NULL, 0, MINIMAL, "<133>1 - myhost certsweep 0 - [certsweep@32473]");
    assert_formats(&cfg, NULL, 2147483647, MINIMAL,
                   "<133>1 - myhost certsweep 2147483647 - [certsweep@32473]");
}

static void test_timestamps_of_rfc5424_are_kept(void **state)
{
    static const char *const good[] = {
        "2026-11-23T07:00:00Z",      "2026-11-23T07:00:00.1Z",        "2026-11-23T07:00:00.123456Z",
        "2026-11-23T07:00:00+01:00", "2026-11-23T07:00:00.003-07:30", "2024-02-29T23:59:59Z",
        "2000-02-29T00:00:00Z",
    };
    struct cs_syslog_config cfg = config();
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char json[128], want[128];
        snprintf(json, sizeof(json), "{\"severity\": 5, \"timestamp\": \"%s\"}", good[i]);
        snprintf(want, sizeof(want), "<133>1 %s myhost certsweep - - [certsweep@32473]", good[i]);
        assert_formats(&cfg, NULL, -1, json, want);
    }
}

static void test_timestamps_outside_rfc5424_are_refused(void **state)
{
    static const char *const bad[] = {
        "2026-11-23t07:00:00Z",         /* lower-case t */
        "2026-11-23T07:00:00z",         /* lower-case z */
        "2026-11-23 07:00:00Z",         /* space */
        "2026-11-23T07:00:00",          /* no offset */
        "2026-11-23T07:00:60Z",         /* leap second: RFC 5424 forbids it */
        "2026-11-23T07:00:00.1234567Z", /* seven fraction digits */
        "2026-11-23T07:00:00.Z",        /* empty fraction */
        "2026-13-01T07:00:00Z",         /* month 13 */
        "2026-02-29T07:00:00Z",         /* not a leap year */
        "1900-02-29T07:00:00Z",         /* not one either */
        "2026-04-31T07:00:00Z",         /* April has 30 days */
        "2026-11-23T24:00:00Z",         /* hour 24 */
        "2026-11-23T07:00:00+0100",     /* offset without colon */
        "2026-11-23T07:00:00Z ",        /* trailing space */
        "26-11-23T07:00:00Z",           /* two-digit year */
    };
    struct cs_syslog_config cfg = config();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"severity\": 5, \"timestamp\": \"%s\"}", bad[i]);
        assert_refused(&cfg, json, "timestamp");
    }
    assert_refused(&cfg, "{\"severity\": 5, \"timestamp\": 1795423550}", "timestamp");
}

static void test_header_fields_at_their_maximum_length_are_kept(void **state)
{
    struct cs_syslog_config cfg = config();
    char *host = repeat('h', CS_SYSLOG_HOSTNAME_MAX), *app = repeat('a', CS_SYSLOG_APP_NAME_MAX);
    char *msgid = repeat('m', CS_SYSLOG_MSGID_MAX);
    char json[128], want[1024];

    cfg.hostname = host;
    cfg.app_name = app;
    snprintf(json, sizeof(json), "{\"severity\": 5, \"msgid\": \"%s\"}", msgid);
    snprintf(want, sizeof(want), "<133>1 - %s %s 7 %s [certsweep@32473]", host, app, msgid);
    assert_formats(&cfg, NULL, 7, json, want);
    free(host);
    free(app);
    free(msgid);
}

static void test_header_fields_over_their_maximum_length_are_refused(void **state)
{
    struct cs_syslog_config cfg = config();
    char *host = repeat('h', CS_SYSLOG_HOSTNAME_MAX + 1);
    char *app = repeat('a', CS_SYSLOG_APP_NAME_MAX + 1);
    char *msgid = repeat('m', CS_SYSLOG_MSGID_MAX + 1);
    char json[128];

    cfg.hostname = host;
    assert_refused(&cfg, MINIMAL, "hostname is 256 characters long, more than the 255");
    cfg = config();
    cfg.app_name = app;
    assert_refused(&cfg, MINIMAL, "app_name is 49 characters long, more than the 48");
    cfg = config();
    snprintf(json, sizeof(json), "{\"severity\": 5, \"msgid\": \"%s\"}", msgid);
    assert_refused(&cfg, json, "msgid is 33 characters long, more than the 32");
    free(host);
    free(app);
    free(msgid);
}

static void test_header_fields_outside_printable_ascii_are_refused(void **state)
{
    struct cs_syslog_config cfg = config();

    cfg.hostname = "my host";
    assert_refused(&cfg, MINIMAL, "hostname has the byte 0x20 at offset 2");
    cfg.hostname = "my\x7fhost";
    assert_refused(&cfg, MINIMAL, "hostname has the byte 0x7f at offset 2");
    cfg = config();
    cfg.app_name = "cert\tsweep";
    assert_refused(&cfg, MINIMAL, "app_name has the byte 0x09 at offset 4");
    cfg = config();
    assert_refused(&cfg, "{\"severity\": 5, \"msgid\": \"caf\xc3\xa9\"}",
                   "msgid has the byte 0xc3 at offset 3");
    assert_refused(&cfg, "{\"severity\": 5, \"msgid\": \"a\\nb\"}",
                   "msgid has the byte 0x0a at offset 1");
    assert_refused(&cfg, "{\"severity\": 5, \"msgid\": 3}", "msgid is not a string");
}

/* ---- structured data ------------------------------------------------------ */

static void test_idempotency_key_is_the_first_parameter(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(&cfg, "alert-3-ab12-7", -1,
                   "{\"severity\": 5, \"sd_id\": \"cert@32473\", \"params\": [[\"a\", \"1\"]]}",
                   "<133>1 - myhost certsweep - - [cert@32473 idem=\"alert-3-ab12-7\" a=\"1\"]");
}

static void test_no_key_and_no_params_leave_an_empty_element(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(&cfg, NULL, -1, "{\"severity\": 5, \"sd_id\": \"cert@32473\", \"params\": []}",
                   "<133>1 - myhost certsweep - - [cert@32473]");
}

static void test_param_values_escape_quote_backslash_and_bracket(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(&cfg, "k\"]\\", -1,
                   "{\"severity\": 5, \"params\": [[\"dn\", \"CN=a\\\"b\\\\c]d, O=[x]\"]]}",
                   "<133>1 - myhost certsweep - - [certsweep@32473 idem=\"k\\\"\\]\\\\\" "
                   "dn=\"CN=a\\\"b\\\\c\\]d, O=[x\\]\"]");
}

static void test_param_values_keep_utf8_and_numbers(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(&cfg, NULL, -1,
                   "{\"severity\": 5, \"params\": [[\"cn\", \"b\xc3\xbc"
                   "cher.test\"], [\"days\", 12], [\"ratio\", 1.5], [\"neg\", -3]]}",
                   "<133>1 - myhost certsweep - - [certsweep@32473 cn=\"b\xc3\xbc"
                   "cher.test\" days=\"12\" ratio=\"1.5\" neg=\"-3\"]");
}

static void test_sd_id_and_param_names_follow_rfc5424(void **state)
{
    struct cs_syslog_config cfg = config();
    char json[256];
    char *name32 = repeat('n', CS_SYSLOG_NAME_MAX), *name33 = repeat('n', CS_SYSLOG_NAME_MAX + 1);

    snprintf(json, sizeof(json), "{\"severity\": 5, \"sd_id\": \"%s\"}", name32);
    char want[256];
    snprintf(want, sizeof(want), "<133>1 - myhost certsweep - - [%s]", name32);
    assert_formats(&cfg, NULL, -1, json, want);

    snprintf(json, sizeof(json), "{\"severity\": 5, \"sd_id\": \"%s\"}", name33);
    assert_refused(&cfg, json, "SD-ID is 33 characters long");
    assert_refused(&cfg, "{\"severity\": 5, \"sd_id\": \"a b\"}", "SD-ID has the byte 0x20");
    assert_refused(&cfg, "{\"severity\": 5, \"sd_id\": \"a=b\"}", "has a '='");
    assert_refused(&cfg, "{\"severity\": 5, \"sd_id\": \"a]b\"}", "has a ']'");
    assert_refused(&cfg, "{\"severity\": 5, \"sd_id\": \"a\\\"b\"}", "has a '\"'");
    assert_refused(&cfg, "{\"severity\": 5, \"sd_id\": 7}", "sd_id is not a string");

    snprintf(json, sizeof(json), "{\"severity\": 5, \"params\": [[\"%s\", \"v\"]]}", name33);
    assert_refused(&cfg, json, "PARAM-NAME is 33 characters long");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [[\"a b\", \"v\"]]}",
                   "PARAM-NAME has the byte 0x20");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [[\"a=b\", \"v\"]]}", "has a '='");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [[\"\", \"v\"]]}", "PARAM-NAME is empty");
    free(name32);
    free(name33);
}

static void test_malformed_params_are_refused(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_refused(&cfg, "{\"severity\": 5, \"params\": {\"a\": \"b\"}}", "params is not an array");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [[\"a\"]]}", "[name, value] pair");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [[\"a\", \"b\", \"c\"]]}",
                   "[name, value] pair");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [[1, \"b\"]]}", "[name, value] pair");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [\"a\"]}", "[name, value] pair");
    assert_refused(&cfg, "{\"severity\": 5, \"params\": [[\"a\", true]]}",
                   "neither a string nor a number");
}

/* ---- MSG -------------------------------------------------------------------- */

static void test_msg_starts_with_the_bom(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(&cfg, NULL, -1, "{\"severity\": 5, \"msg\": \"h\xc3\xa9llo\"}",
                   "<133>1 - myhost certsweep - - [certsweep@32473] " BOM "h\xc3\xa9llo");
    assert_formats(&cfg, NULL, -1, "{\"severity\": 5, \"msg\": \"\"}",
                   "<133>1 - myhost certsweep - - [certsweep@32473] " BOM);
}

static void test_no_msg_means_no_bom(void **state)
{
    struct cs_syslog_config cfg = config();
    assert_formats(&cfg, NULL, -1, MINIMAL, "<133>1 - myhost certsweep - - [certsweep@32473]");
    assert_refused(&cfg, "{\"severity\": 5, \"msg\": 1}", "msg is not a string");
}

static void test_invalid_utf8_becomes_replacement_characters(void **state)
{
    struct cs_syslog_config cfg = config();
    /* A stray byte, an overlong '/', a surrogate, a code point past
     * U+10FFFF, a truncated sequence at the end. */
    assert_formats(&cfg, NULL, -1,
                   "{\"severity\": 5, \"params\": [[\"v\", \"a\xff"
                   "b\"]], \"msg\": \"1\xc0\xaf"
                   "2\xed\xa0\x80"
                   "3\xf4\x90\x80\x80"
                   "4\xe2\x82\"}",
                   "<133>1 - myhost certsweep - - [certsweep@32473 v=\"a" FFFD "b\"] " BOM
                   "1" FFFD FFFD "2" FFFD FFFD FFFD "3" FFFD FFFD FFFD FFFD "4" FFFD FFFD);
}

static void test_long_msg_is_cut_at_a_character_boundary(void **state)
{
    struct cs_syslog_config cfg = config();
    const char *head = "<133>1 - myhost certsweep - - [certsweep@32473] " BOM;
    size_t room = strlen(head) + 5; /* "abcd" and one byte of the 2-byte "é" */
    char want[256];

    snprintf(want, sizeof(want), "%sabcd", head);
    assert_formats_n(&cfg, NULL, -1, "{\"severity\": 5, \"msg\": \"abcd\xc3\xa9xyz\"}", room + 1,
                     want);
    snprintf(want, sizeof(want), "%sabcd\xc3\xa9", head);
    assert_formats_n(&cfg, NULL, -1, "{\"severity\": 5, \"msg\": \"abcd\xc3\xa9xyz\"}", room + 2,
                     want);
}

static void test_message_at_the_channel_limits(void **state)
{
    struct cs_syslog_config cfg = config();
    char *text = repeat('x', 3 * CS_SYSLOG_STREAM_MAX);
    cJSON *payload = cJSON_CreateObject();
    char buf[CS_SYSLOG_STREAM_MAX + 1];
    char err[CS_ERRLEN];
    size_t len;

    cJSON_AddNumberToObject(payload, "severity", 5);
    cJSON_AddStringToObject(payload, "msg", text);
    assert_int_equal(
        cs_syslog_format(&cfg, "k", payload, 1, buf, CS_SYSLOG_UDP_MAX + 1, &len, err, sizeof(err)),
        CS_OK);
    assert_int_equal(len, CS_SYSLOG_UDP_MAX);
    assert_int_equal(
        cs_syslog_format(&cfg, "k", payload, 1, buf, sizeof(buf), &len, err, sizeof(err)), CS_OK);
    assert_int_equal(len, CS_SYSLOG_STREAM_MAX);
    assert_int_equal(strlen(buf), len);
    cJSON_Delete(payload);
    free(text);
}

static void test_header_and_sd_that_do_not_fit_are_refused(void **state)
{
    struct cs_syslog_config cfg = config();
    char *value = repeat('v', 100);
    char json[256];

    assert_refused_n(&cfg, NULL, MINIMAL, 20, "do not fit in 19 bytes");
    snprintf(json, sizeof(json), "{\"severity\": 5, \"params\": [[\"v\", \"%s\"]]}", value);
    assert_refused_n(&cfg, NULL, json, 100, "do not fit");
    /* The BOM is part of what must fit. */
    assert_refused_n(&cfg, NULL, "{\"severity\": 5, \"msg\": \"x\"}",
                     strlen("<133>1 - myhost certsweep - - [certsweep@32473] ") + 1, "do not fit");
    free(value);
}

/* ---- the frame ------------------------------------------------------------ */

static void test_frame_is_length_space_message(void **state)
{
    char out[64];
    size_t n = 0;

    assert_int_equal(cs_syslog_frame("hello", 5, out, sizeof(out), &n), CS_OK);
    assert_int_equal(n, 7);
    assert_memory_equal(out, "5 hello", 7);

    const char *msg = "<133>1 - h a - - [x@1] " BOM "h\xc3\xa9";
    assert_int_equal(cs_syslog_frame(msg, strlen(msg), out, sizeof(out), &n), CS_OK);
    char want[64];
    snprintf(want, sizeof(want), "%zu %s", strlen(msg), msg); /* octets, not characters */
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
}

static void test_frame_of_a_large_message(void **state)
{
    char *msg = repeat('m', CS_SYSLOG_STREAM_MAX);
    char *out = malloc(CS_SYSLOG_STREAM_MAX + 16);
    size_t n = 0;

    assert_non_null(out);
    assert_int_equal(cs_syslog_frame(msg, CS_SYSLOG_STREAM_MAX, out, CS_SYSLOG_STREAM_MAX + 16, &n),
                     CS_OK);
    assert_int_equal(n, CS_SYSLOG_STREAM_MAX + 5);
    assert_memory_equal(out, "8192 mmm", 8);
    free(msg);
    free(out);
}

static void test_frame_refuses_empty_message_and_small_buffer(void **state)
{
    char out[8];
    size_t n = 99;

    assert_int_equal(cs_syslog_frame("", 0, out, sizeof(out), &n), CS_ERR_USAGE);
    assert_int_equal(n, 0);
    assert_int_equal(cs_syslog_frame("hello!", 6, out, 7, &n), CS_ERR_USAGE);
    assert_int_equal(cs_syslog_frame("hello!", 6, out, 8, &n), CS_OK);
    assert_memory_equal(out, "6 hello!", 8);
}

/* ---- the channel table ---------------------------------------------------- */

static void test_channels_are_found_by_name(void **state)
{
    assert_ptr_equal(cs_channel_find("syslog"), &cs_channel_syslog);
    assert_ptr_equal(cs_channel_find("email"), &cs_channel_email);
    assert_null(cs_channel_find("sms"));
    assert_null(cs_channel_find(NULL));
}

static void test_open_without_a_syslog_section_is_a_usage_error(void **state)
{
    struct cs_config cfg = {.path = "/etc/certsweep.conf"};
    struct cs_channel_session *session = (struct cs_channel_session *)&cfg;
    char err[CS_ERRLEN] = "";

    assert_int_equal(cs_channel_syslog.open(&cfg, "syslog", NULL, &session, err, sizeof(err)),
                     CS_ERR_USAGE);
    assert_null(session);
    assert_string_equal(err, "no [syslog] section in /etc/certsweep.conf");
    assert_int_equal(cs_channel_email.open(&cfg, "email", NULL, &session, err, sizeof(err)),
                     CS_ERR_USAGE);
    assert_string_equal(err, "no [smtp] section in /etc/certsweep.conf");
    cs_channel_syslog.close(&session); /* NULL is fine */
}

/* ---- sessions on loopback ------------------------------------------------ */

/* A receiver's socket on 127.0.0.1 (port 0: any), its port in port. */
static int receiver(int type, unsigned short want, char port[8])
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(want)};
    socklen_t len = sizeof(sin);
    struct timeval tv = {.tv_sec = 5};
    int one = 1;
    int fd = socket(AF_INET, type, 0);

    assert_true(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    snprintf(port, 8, "%u", ntohs(sin.sin_port));
    return fd;
}

struct channel {
    struct cs_config cfg;
    char target[64];
    char port[8];
    struct cs_channel_session *session;
};

static void channel_open(struct channel *ch, enum cs_syslog_transport transport)
{
    char err[CS_ERRLEN] = "";

    snprintf(ch->target, sizeof(ch->target), "%s://127.0.0.1:%s",
             transport == CS_SYSLOG_UDP ? "udp" : "tcp", ch->port);
    ch->cfg = (struct cs_config){.path = "test.conf"};
    ch->cfg.syslog = config();
    ch->cfg.syslog.target = ch->target;
    ch->cfg.syslog.transport = transport;
    ch->cfg.syslog.host = "127.0.0.1";
    ch->cfg.syslog.port = ch->port;
    ch->cfg.syslog.timeout_ms = 2000;
    if (cs_channel_syslog.open(&ch->cfg, "syslog", NULL, &ch->session, err, sizeof(err)) != CS_OK)
        fail_msg("open: %s", err);
}

/* Sends one notice with msg text and key; returns the result, the error
 * in err. */
static enum cs_rc channel_send(struct channel *ch, const char *key, const char *text, char *err,
                               size_t errlen)
{
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddNumberToObject(payload, "severity", 5);
    cJSON_AddStringToObject(payload, "msgid", "test");
    cJSON_AddStringToObject(payload, "msg", text);
    unsigned retry_after_s = 0;
    enum cs_rc rc = cs_channel_syslog.send(ch->session, key, payload, &retry_after_s, err, errlen);
    cJSON_Delete(payload);
    return rc;
}

static void channel_send_ok(struct channel *ch, const char *key, const char *text)
{
    char err[CS_ERRLEN] = "";
    if (channel_send(ch, key, text, err, sizeof(err)) != CS_OK)
        fail_msg("send %s: %s", key, err);
}

/* Asserts msg is the one channel_send makes of key and text. */
static void assert_message(const char *msg, size_t len, const char *key, const char *text)
{
    char want[256];
    snprintf(want, sizeof(want),
             "<133>1 - myhost certsweep %d test [certsweep@32473 idem=\"%s\"] " BOM "%s",
             (int)getpid(), key, text);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(msg, want, len);
}

/* Reads one octet-counted frame from a stream and checks its message. */
static void assert_frame(int fd, const char *key, const char *text)
{
    char buf[512];
    size_t have = 0, msglen = 0;
    char *space = NULL;

    while (space == NULL || have < (size_t)(space - buf) + 1 + msglen) {
        /* Byte by byte up to the space, so the next frame stays unread. */
        size_t want = space == NULL ? 1 : (size_t)(space - buf) + 1 + msglen - have;
        ssize_t n = recv(fd, buf + have, want, 0);
        if (n <= 0)
            fail_msg("no frame for %s: %s", key, n == 0 ? "EOF" : strerror(errno));
        have += (size_t)n;
        if (space == NULL && buf[have - 1] == ' ') {
            space = buf + have - 1;
            *space = '\0';
            msglen = strtoul(buf, NULL, 10);
            assert_true(msglen > 0 && msglen < sizeof(buf) - 16);
        }
    }
    assert_message(space + 1, msglen, key, text);
}

/* Asserts no connection is waiting to be accepted. */
static void assert_no_connection(int listener)
{
    struct timeval tv = {.tv_usec = 100000};
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int fd = accept(listener, NULL, NULL);
    if (fd >= 0)
        fail_msg("a second connection");
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int accept_one(int listener)
{
    int fd = accept(listener, NULL, NULL);
    struct timeval tv = {.tv_sec = 5};
    if (fd < 0)
        fail_msg("no connection: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void test_udp_sends_one_datagram_per_message(void **state)
{
    struct channel ch = {0};
    char buf[CS_SYSLOG_UDP_MAX + 16];
    int rx = receiver(SOCK_DGRAM, 0, ch.port);

    channel_open(&ch, CS_SYSLOG_UDP);
    channel_send_ok(&ch, "k1", "first");
    channel_send_ok(&ch, "k2", "second");
    ssize_t n = recv(rx, buf, sizeof(buf), 0);
    assert_true(n > 0);
    assert_message(buf, (size_t)n, "k1", "first");
    n = recv(rx, buf, sizeof(buf), 0);
    assert_true(n > 0);
    assert_message(buf, (size_t)n, "k2", "second");
    cs_channel_syslog.close(&ch.session);
    assert_null(ch.session);
    close(rx);
}

static void test_udp_to_a_closed_port_fails_and_the_session_recovers(void **state)
{
    struct channel ch = {0};
    char err[CS_ERRLEN] = "", buf[512];
    int rx = receiver(SOCK_DGRAM, 0, ch.port);

    close(rx); /* nothing listens on the port now */
    channel_open(&ch, CS_SYSLOG_UDP);
    /* On loopback the ICMP port unreachable is back before send() returns. */
    assert_int_equal(channel_send(&ch, "k1", "lost", err, sizeof(err)), CS_ERR_IO);
    if (strstr(err, ch.target) == NULL || strstr(err, "connection refused") == NULL)
        fail_msg("error: %s", err);
    rx = receiver(SOCK_DGRAM, (unsigned short)atoi(ch.port), ch.port);
    channel_send_ok(&ch, "k2", "back");
    ssize_t n = recv(rx, buf, sizeof(buf), 0);
    assert_true(n > 0);
    assert_message(buf, (size_t)n, "k2", "back");
    cs_channel_syslog.close(&ch.session);
    close(rx);
}

static void test_tcp_frames_messages_on_one_connection(void **state)
{
    struct channel ch = {0};
    int listener = receiver(SOCK_STREAM, 0, ch.port);

    channel_open(&ch, CS_SYSLOG_TCP);
    channel_send_ok(&ch, "k1", "first");
    channel_send_ok(&ch, "k2", "second");
    channel_send_ok(&ch, "k3", "third");
    int fd = accept_one(listener);
    assert_frame(fd, "k1", "first");
    assert_frame(fd, "k2", "second");
    assert_frame(fd, "k3", "third");
    assert_no_connection(listener);
    cs_channel_syslog.close(&ch.session);
    char c;
    assert_int_equal(recv(fd, &c, 1, 0), 0); /* closed, nothing more */
    close(fd);
    close(listener);
}

static void test_tcp_reconnects_after_the_receiver_closed(void **state)
{
    struct channel ch = {0};
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    int listener = receiver(SOCK_STREAM, 0, ch.port);

    channel_open(&ch, CS_SYSLOG_TCP);
    channel_send_ok(&ch, "k1", "first");
    int fd = accept_one(listener);
    assert_frame(fd, "k1", "first");
    close(fd); /* FIN: a receiver that restarted */
    usleep(50000);
    channel_send_ok(&ch, "k2", "after FIN");
    fd = accept_one(listener);
    assert_frame(fd, "k2", "after FIN");
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    close(fd); /* RST */
    usleep(50000);
    channel_send_ok(&ch, "k3", "after RST");
    fd = accept_one(listener);
    assert_frame(fd, "k3", "after RST");
    assert_no_connection(listener);
    cs_channel_syslog.close(&ch.session);
    close(fd);
    close(listener);
}

static void test_tcp_refused_then_usable(void **state)
{
    struct channel ch = {0};
    char err[CS_ERRLEN] = "";
    int listener = receiver(SOCK_STREAM, 0, ch.port);

    close(listener);
    channel_open(&ch, CS_SYSLOG_TCP);
    assert_int_equal(channel_send(&ch, "k1", "lost", err, sizeof(err)), CS_ERR_IO);
    if (strstr(err, ch.target) == NULL || strstr(err, "cannot connect") == NULL)
        fail_msg("error: %s", err);
    listener = receiver(SOCK_STREAM, (unsigned short)atoi(ch.port), ch.port);
    channel_send_ok(&ch, "k2", "back");
    int fd = accept_one(listener);
    assert_frame(fd, "k2", "back");
    cs_channel_syslog.close(&ch.session);
    close(fd);
    close(listener);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_message_has_every_field_in_order),
        cmocka_unit_test(test_payload_that_is_no_object_is_refused),
        cmocka_unit_test(test_pri_is_facility_times_8_plus_severity),
        cmocka_unit_test(test_facility_past_23_is_refused),
        cmocka_unit_test(test_severity_must_be_an_integer_0_to_7),
        cmocka_unit_test(test_empty_fields_are_nilvalue),
        cmocka_unit_test(test_procid_is_the_number_given),
        cmocka_unit_test(test_timestamps_of_rfc5424_are_kept),
        cmocka_unit_test(test_timestamps_outside_rfc5424_are_refused),
        cmocka_unit_test(test_header_fields_at_their_maximum_length_are_kept),
        cmocka_unit_test(test_header_fields_over_their_maximum_length_are_refused),
        cmocka_unit_test(test_header_fields_outside_printable_ascii_are_refused),
        cmocka_unit_test(test_idempotency_key_is_the_first_parameter),
        cmocka_unit_test(test_no_key_and_no_params_leave_an_empty_element),
        cmocka_unit_test(test_param_values_escape_quote_backslash_and_bracket),
        cmocka_unit_test(test_param_values_keep_utf8_and_numbers),
        cmocka_unit_test(test_sd_id_and_param_names_follow_rfc5424),
        cmocka_unit_test(test_malformed_params_are_refused),
        cmocka_unit_test(test_msg_starts_with_the_bom),
        cmocka_unit_test(test_no_msg_means_no_bom),
        cmocka_unit_test(test_invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(test_long_msg_is_cut_at_a_character_boundary),
        cmocka_unit_test(test_message_at_the_channel_limits),
        cmocka_unit_test(test_header_and_sd_that_do_not_fit_are_refused),
        cmocka_unit_test(test_frame_is_length_space_message),
        cmocka_unit_test(test_frame_of_a_large_message),
        cmocka_unit_test(test_frame_refuses_empty_message_and_small_buffer),
        cmocka_unit_test(test_channels_are_found_by_name),
        cmocka_unit_test(test_open_without_a_syslog_section_is_a_usage_error),
        cmocka_unit_test(test_udp_sends_one_datagram_per_message),
        cmocka_unit_test(test_udp_to_a_closed_port_fails_and_the_session_recovers),
        cmocka_unit_test(test_tcp_frames_messages_on_one_connection),
        cmocka_unit_test(test_tcp_reconnects_after_the_receiver_closed),
        cmocka_unit_test(test_tcp_refused_then_usable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
