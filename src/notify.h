/*
 * Delivery channels: how a message of the outbox reaches the outside. Each
 * channel is one file behind this table of functions (notify_smtp.c,
 * notify_syslog.c), in the manner of the store's backends. A channel opens
 * a session (one SMTP connection reused by libcurl, one syslog socket),
 * sends any number of messages through it, and closes it.
 *
 * Messages are kept in the outbox as JSON, one shape per channel:
 *
 *   email   {"to": ["a@example.com", ...], "subject": "...",
 *            "text": "...", "html": "..."}               (html optional)
 *   syslog  {"severity": 4, "msgid": "cert_expiring",
 *            "timestamp": "2026-11-23T07:00:00Z",
 *            "sd_id": "cert@32473",
 *            "params": [["sha256", "..."], ["not_after", "..."], ...],
 *            "msg": "..."}                                (params optional)
 *
 * The timestamp of a syslog message is when the event happened, not when
 * it is delivered. The idempotency key travels with every message (the
 * email's Message-ID, a syslog parameter) so a receiver can tell a
 * redelivery from a new message.
 */
#ifndef CS_NOTIFY_H
#define CS_NOTIFY_H

#include "config.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <time.h>

/* Each channel defines its own session struct; no file sees two. */
struct cs_channel_session;

struct cs_store;

struct cs_channel_ops {
    const char *name; /* "email", "syslog", or the section kind: "ticketing", "webhook" */
    /* Prepares to send through the channel called `name` in the outbox
     * ("email", "syslog", "ticketing.sdp", "webhook.oncall"). CS_ERR_USAGE
     * when the configuration lacks it ("no [smtp] section in ..."). Sessions
     * may connect lazily, on the first send, and keep pointers to cfg and
     * store (ticket channels record their tickets there): both must
     * outlive the session. */
    enum cs_rc (*open)(const struct cs_config *cfg, const char *name, struct cs_store *store,
                       struct cs_channel_session **out, char *err, size_t errlen);
    /* Delivers one message. On failure err says why, in words a user can
     * act on ("smtp://127.0.0.1:2525: connection refused", "550 no such
     * user"), and the session stays usable for the next message. The
     * result says what the outbox does next:
     *   CS_OK             delivered;
     *   CS_ERR_BUSY       rate-limited: try again after *retry_after_s
     *                     seconds (0: the outbox's own wait);
     *   CS_ERR_USAGE      refused for a reason retrying cannot fix (the
     *                     credentials, a 400): marked failed at once;
     *   anything else     a failure that may pass: retried with backoff. */
    enum cs_rc (*send)(struct cs_channel_session *session, const char *idem_key,
                       const cJSON *payload, unsigned *retry_after_s, char *err, size_t errlen);
    void (*close)(struct cs_channel_session **session);
};

extern const struct cs_channel_ops cs_channel_email;
extern const struct cs_channel_ops cs_channel_syslog;

/* The channel that delivers the outbox's channel `name`: "email",
 * "syslog", "ticketing.X" or "webhook.X"; NULL for an unknown kind. */
const struct cs_channel_ops *cs_channel_find(const char *name);

/* True for an address an email may be sent to: local@domain, printable
 * ASCII, no spaces, commas or angle brackets (nothing that could end a
 * header line or smuggle in a second address). */
bool cs_email_address_valid(const char *address);

/* Syslog severities (RFC 5424) the messages use. */
enum cs_syslog_severity {
    CS_SYSLOG_ERR = 3,
    CS_SYSLOG_WARNING = 4,
    CS_SYSLOG_NOTICE = 5,
    CS_SYSLOG_INFO = 6,
};

/* The payloads of notify.h's comment, built for the outbox; the caller
 * owns them (NULL when out of memory). recipients are space-separated;
 * html may be NULL. A syslog payload starts without parameters;
 * cs_syslog_payload_param() adds one (a NULL value counts as ""; values
 * longer than 160 bytes are cut, with "...", so the message fits a UDP
 * datagram) and returns false when out of memory. */
cJSON *cs_email_payload_new(const char *recipients, const char *subject, const char *text,
                            const char *html);
cJSON *cs_syslog_payload_new(enum cs_syslog_severity severity, const char *msgid, time_t at,
                             const char *sd_id, const char *msg);
bool cs_syslog_payload_param(cJSON *payload, const char *name, const char *value);

#endif
