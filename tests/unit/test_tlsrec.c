/*
 * Unit tests of tlsrec.c: classifying the first bytes a server sends, and
 * the names of TLS alerts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tlsrec.h"

#include <string.h>

/* Sniffs bytes; returns the verdict and stores the reason (NULL if unset). */
static enum cs_sniff sniff(const void *bytes, size_t len, const char **reason)
{
    *reason = NULL;
    return cs_tlsrec_sniff(bytes, len, reason);
}

static void assert_not_tls(const void *bytes, size_t len, const char *want)
{
    const char *reason;
    assert_int_equal(sniff(bytes, len, &reason), CS_SNIFF_NOT_TLS);
    assert_non_null(reason);
    assert_string_equal(reason, want);
}

static void assert_text_not_tls(const char *text, const char *want)
{
    assert_not_tls(text, strlen(text), want);
}

/* ---- TLS records -------------------------------------------------------- */

static void test_handshake_record_header_is_tls(void **state)
{
    static const unsigned char hello[] = {0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76};
    const char *reason;
    assert_int_equal(sniff(hello, sizeof(hello), &reason), CS_SNIFF_TLS);
}

static void test_five_byte_header_is_enough(void **state)
{
    static const unsigned char header[] = {0x16, 0x03, 0x01, 0x00, 0x2a};
    const char *reason;
    assert_int_equal(sniff(header, sizeof(header), &reason), CS_SNIFF_TLS);
    assert_int_equal(CS_SNIFF_MAX, sizeof(header));
}

static void test_alert_record_is_tls(void **state)
{
    static const unsigned char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    const char *reason;
    assert_int_equal(sniff(alert, sizeof(alert), &reason), CS_SNIFF_TLS);
}

static void test_sslv3_record_is_tls(void **state)
{
    static const unsigned char header[] = {0x16, 0x03, 0x00, 0x00, 0x4a};
    const char *reason;
    assert_int_equal(sniff(header, sizeof(header), &reason), CS_SNIFF_TLS);
}

static void test_largest_record_length_is_tls(void **state)
{
    /* 16384 + 2048 = 0x4800, the ciphertext limit. */
    static const unsigned char header[] = {0x17, 0x03, 0x03, 0x48, 0x00};
    const char *reason;
    assert_int_equal(sniff(header, sizeof(header), &reason), CS_SNIFF_TLS);
}

static void test_partial_header_needs_more(void **state)
{
    static const unsigned char header[] = {0x16, 0x03, 0x03, 0x00, 0x7a};
    const char *reason;
    for (size_t len = 0; len < sizeof(header); len++)
        assert_int_equal(sniff(header, len, &reason), CS_SNIFF_NEED_MORE);
}

static void test_wrong_version_major_is_not_tls(void **state)
{
    static const unsigned char header[] = {0x16, 0x04, 0x03, 0x00, 0x7a};
    assert_not_tls(header, sizeof(header), "binary_response");
}

static void test_wrong_version_minor_is_not_tls(void **state)
{
    static const unsigned char header[] = {0x16, 0x03, 0x05, 0x00, 0x7a};
    assert_not_tls(header, sizeof(header), "binary_response");
}

static void test_wrong_version_decided_from_two_bytes(void **state)
{
    static const unsigned char header[] = {0x16, 0x09};
    assert_not_tls(header, sizeof(header), "binary_response");
}

static void test_oversize_record_length_is_not_tls(void **state)
{
    static const unsigned char header[] = {0x16, 0x03, 0x03, 0x48, 0x01};
    assert_not_tls(header, sizeof(header), "binary_response");
}

/* ---- other protocols ---------------------------------------------------- */

static void test_ssh_banner(void **state)
{
    assert_text_not_tls("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "ssh_banner");
}

static void test_http_response(void **state)
{
    assert_text_not_tls("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n", "http_response");
}

static void test_smtp_or_ftp_banner(void **state)
{
    assert_text_not_tls("220 mail.example.com ESMTP Postfix\r\n", "smtp_or_ftp_banner");
}

static void test_pop3_banner(void **state)
{
    assert_text_not_tls("+OK Dovecot ready.\r\n", "pop3_banner");
}

static void test_imap_banner(void **state)
{
    assert_text_not_tls("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "imap_banner");
}

static void test_plain_text(void **state)
{
    assert_text_not_tls("hello there\r\n\tindented\n", "text_response");
}

static void test_binary(void **state)
{
    static const unsigned char junk[] = {0x00, 0x01, 0xfe, 0x42, 0x13, 0x37};
    assert_not_tls(junk, sizeof(junk), "binary_response");
}

static void test_high_bit_without_sslv2_hello_is_binary(void **state)
{
    static const unsigned char junk[] = {0x80, 0x2e, 0x01, 0x00, 0x02};
    assert_not_tls(junk, sizeof(junk), "binary_response");
}

/* ---- SSLv2 -------------------------------------------------------------- */

static void test_sslv2_server_hello(void **state)
{
    /* Two-byte header (length 0x2e with the top bit set), SERVER-HELLO. */
    static const unsigned char hello[] = {0x80, 0x2e, 0x04, 0x00, 0x01, 0x00, 0x02};
    const char *reason;
    assert_int_equal(sniff(hello, sizeof(hello), &reason), CS_SNIFF_SSLV2);
}

static void test_sslv2_needs_three_bytes(void **state)
{
    static const unsigned char hello[] = {0x80, 0x2e};
    const char *reason;
    assert_int_equal(sniff(hello, sizeof(hello), &reason), CS_SNIFF_NEED_MORE);
}

/* ---- alert names -------------------------------------------------------- */

static void test_alert_names(void **state)
{
    assert_string_equal(cs_tls_alert_name(40), "handshake_failure");
    assert_string_equal(cs_tls_alert_name(70), "protocol_version");
    assert_string_equal(cs_tls_alert_name(112), "unrecognized_name");
    assert_string_equal(cs_tls_alert_name(0), "close_notify");
}

static void test_unnamed_alert_is_null(void **state)
{
    assert_null(cs_tls_alert_name(1));
    assert_null(cs_tls_alert_name(255));
    assert_null(cs_tls_alert_name(-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_record_header_is_tls),
        cmocka_unit_test(test_five_byte_header_is_enough),
        cmocka_unit_test(test_alert_record_is_tls),
        cmocka_unit_test(test_sslv3_record_is_tls),
        cmocka_unit_test(test_largest_record_length_is_tls),
        cmocka_unit_test(test_partial_header_needs_more),
        cmocka_unit_test(test_wrong_version_major_is_not_tls),
        cmocka_unit_test(test_wrong_version_minor_is_not_tls),
        cmocka_unit_test(test_wrong_version_decided_from_two_bytes),
        cmocka_unit_test(test_oversize_record_length_is_not_tls),
        cmocka_unit_test(test_ssh_banner),
        cmocka_unit_test(test_http_response),
        cmocka_unit_test(test_smtp_or_ftp_banner),
        cmocka_unit_test(test_pop3_banner),
        cmocka_unit_test(test_imap_banner),
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_high_bit_without_sslv2_hello_is_binary),
        cmocka_unit_test(test_sslv2_server_hello),
        cmocka_unit_test(test_sslv2_needs_three_bytes),
        cmocka_unit_test(test_alert_names),
        cmocka_unit_test(test_unnamed_alert_is_null),
    };
    return cmocka_run_group_tests_name("tlsrec", tests, NULL, NULL);
}
