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

struct cs_channel_ops {
    const char *name; /* "email", "syslog": the outbox's channel column */
    /* Prepares to send. CS_ERR_USAGE when the configuration lacks the
     * channel ("no [smtp] section in /path/certsweep.conf"). Sessions may
     * connect lazily, on the first send, and keep a pointer to cfg: it
     * must outlive the session. */
    enum cs_rc (*open)(const struct cs_config *cfg, struct cs_channel_session **out, char *err,
                       size_t errlen);
    /* Delivers one message. On failure err says why, in words a user can
     * act on ("smtp://127.0.0.1:2525: connection refused", "550 no such
     * user"), and the session stays usable for the next message. */
    enum cs_rc (*send)(struct cs_channel_session *session, const char *idem_key,
                       const cJSON *payload, char *err, size_t errlen);
    void (*close)(struct cs_channel_session **session);
};

extern const struct cs_channel_ops cs_channel_email;
extern const struct cs_channel_ops cs_channel_syslog;

/* The channel of that name, NULL for an unknown one. */
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
 * cs_syslog_payload_param() adds one (a NULL value counts as ""). */
cJSON *cs_email_payload_new(const char *recipients, const char *subject, const char *text,
                            const char *html);
cJSON *cs_syslog_payload_new(enum cs_syslog_severity severity, const char *msgid, time_t at,
                             const char *sd_id, const char *msg);
void cs_syslog_payload_param(cJSON *payload, const char *name, const char *value);

#endif
