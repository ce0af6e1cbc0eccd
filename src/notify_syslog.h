/*
 * The syslog channel's message format, exposed for its unit test: RFC 5424
 * messages and the octet-counting frame of RFC 6587 that TCP and TLS
 * (RFC 5425) carry them in. The channel itself is cs_channel_syslog
 * (notify.h).
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID idem="KEY" ...] BOM MSG
 */
#ifndef CS_NOTIFY_SYSLOG_H
#define CS_NOTIFY_SYSLOG_H

#include "config.h"

#include <cjson/cJSON.h>

/* The longest header fields RFC 5424 allows (section 6). */
#define CS_SYSLOG_HOSTNAME_MAX 255
#define CS_SYSLOG_APP_NAME_MAX 48
#define CS_SYSLOG_PROCID_MAX 128
#define CS_SYSLOG_MSGID_MAX 32
#define CS_SYSLOG_NAME_MAX 32 /* SD-ID and PARAM-NAME */

/* The element that carries the idempotency key when a payload names no
 * sd_id, and the name of that parameter. */
#define CS_SYSLOG_DEFAULT_SD_ID "certsweep@32473"
#define CS_SYSLOG_IDEM_PARAM "idem"

/* Message sizes the channel uses: 2048 octets is what every receiver
 * should accept (RFC 5424 6.1, RFC 5426 3.2), 8192 what a TLS receiver
 * should (RFC 5425 4.3.1). */
#define CS_SYSLOG_UDP_MAX 2048
#define CS_SYSLOG_STREAM_MAX 8192

/*
 * Formats one message of payload (the syslog shape of notify.h) into buf,
 * NUL-terminated, its length without the NUL in *len:
 *
 *  - PRI is cfg->facility * 8 + payload's severity (both checked: 0..23,
 *    0..7);
 *  - TIMESTAMP is payload's timestamp, which must be the RFC 3339 subset of
 *    RFC 5424 6.2.3 (upper-case T and Z, at most 6 fraction digits, no leap
 *    second);
 *  - HOSTNAME and APP-NAME come from cfg, PROCID is procid (< 0: none),
 *    MSGID from payload; each must be printable ASCII (33..126) within its
 *    maximum length;
 *  - the structured data is one element, payload's sd_id (default
 *    CS_SYSLOG_DEFAULT_SD_ID) holding idem="idem_key" (when idem_key is
 *    neither NULL nor empty) and then payload's params, each value escaped
 *    (", \ and ] get a backslash);
 *  - MSG, when payload has one, is the UTF-8 BOM and the text.
 *
 * A missing or empty field is written as "-". Text that is not valid UTF-8
 * has each bad byte replaced by U+FFFD. A MSG too long for buf is cut at a
 * character boundary, so that the message stays valid; anything else that
 * does not fit, and any field out of its bounds, is refused: CS_ERR_USAGE
 * with the reason in err, and nothing usable in buf.
 */
enum cs_rc cs_syslog_format(const struct cs_syslog_config *cfg, const char *idem_key,
                            const cJSON *payload, int procid, char *buf, size_t buflen, size_t *len,
                            char *err, size_t errlen);

/* Frames msg for a stream transport: "LEN SP MSG" (RFC 6587 3.4.1, RFC 5425
 * 4.3), the length in decimal octets. Writes the frame into out, its length
 * in *framelen; CS_ERR_USAGE when out is too small. */
enum cs_rc cs_syslog_frame(const char *msg, size_t msglen, char *out, size_t outlen,
                           size_t *framelen);

#endif
