#include "tlsrec.h"

#include <stdbool.h>
#include <string.h>

enum {
    TLS_CT_CHANGE_CIPHER_SPEC = 20,
    TLS_CT_HEARTBEAT = 24,
    TLS_MAX_RECORD = 16384 + 2048, /* ciphertext limit of RFC 8446 5.2 */
    SSL2_MT_SERVER_HELLO = 4,
};

static bool has_prefix(const unsigned char *buf, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(buf, prefix, n) == 0;
}

static const char *name_protocol(const unsigned char *buf, size_t len)
{
    static const struct {
        const char *prefix, *reason;
    } banners[] = {
        {"SSH-", "ssh_banner"}, {"HTTP/", "http_response"}, {"220", "smtp_or_ftp_banner"},
        {"+OK", "pop3_banner"}, {"* OK", "imap_banner"},
    };
    for (size_t i = 0; i < sizeof(banners) / sizeof(banners[0]); i++)
        if (has_prefix(buf, len, banners[i].prefix))
            return banners[i].reason;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = buf[i];
        if ((c < 0x20 || c > 0x7e) && c != '\r' && c != '\n' && c != '\t')
            return "binary_response";
    }
    return "text_response";
}

enum cs_sniff cs_tlsrec_sniff(const unsigned char *buf, size_t len, const char **reason)
{
    if (len == 0)
        return CS_SNIFF_NEED_MORE;

    /* TLS record: type, version major 3, minor 0 (SSLv3) to 4, length. */
    if (buf[0] >= TLS_CT_CHANGE_CIPHER_SPEC && buf[0] <= TLS_CT_HEARTBEAT) {
        if (len >= 2 && buf[1] != 3)
            goto not_tls;
        if (len >= 3 && buf[2] > 4)
            goto not_tls;
        if (len >= 5 && ((size_t)buf[3] << 8 | buf[4]) > TLS_MAX_RECORD)
            goto not_tls;
        return len >= 5 ? CS_SNIFF_TLS : CS_SNIFF_NEED_MORE;
    }

    /* SSLv2: two-byte header with the top bit set, then SERVER-HELLO. */
    if (buf[0] & 0x80) {
        if (len < 3)
            return CS_SNIFF_NEED_MORE;
        if (buf[2] == SSL2_MT_SERVER_HELLO)
            return CS_SNIFF_SSLV2;
    }

not_tls:
    *reason = name_protocol(buf, len);
    return CS_SNIFF_NOT_TLS;
}

const char *cs_tls_alert_name(int description)
{
    switch (description) {
    case 0:
        return "close_notify";
    case 10:
        return "unexpected_message";
    case 20:
        return "bad_record_mac";
    case 21:
        return "decryption_failed";
    case 22:
        return "record_overflow";
    case 30:
        return "decompression_failure";
    case 40:
        return "handshake_failure";
    case 41:
        return "no_certificate";
    case 42:
        return "bad_certificate";
    case 43:
        return "unsupported_certificate";
    case 44:
        return "certificate_revoked";
    case 45:
        return "certificate_expired";
    case 46:
        return "certificate_unknown";
    case 47:
        return "illegal_parameter";
    case 48:
        return "unknown_ca";
    case 49:
        return "access_denied";
    case 50:
        return "decode_error";
    case 51:
        return "decrypt_error";
    case 60:
        return "export_restriction";
    case 70:
        return "protocol_version";
    case 71:
        return "insufficient_security";
    case 80:
        return "internal_error";
    case 86:
        return "inappropriate_fallback";
    case 90:
        return "user_canceled";
    case 100:
        return "no_renegotiation";
    case 109:
        return "missing_extension";
    case 110:
        return "unsupported_extension";
    case 111:
        return "certificate_unobtainable";
    case 112:
        return "unrecognized_name";
    case 113:
        return "bad_certificate_status_response";
    case 114:
        return "bad_certificate_hash_value";
    case 115:
        return "unknown_psk_identity";
    case 116:
        return "certificate_required";
    case 120:
        return "no_application_protocol";
    default:
        return NULL;
    }
}
