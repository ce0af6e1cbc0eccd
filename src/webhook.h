/*
 * Webhooks: the outbox channel "webhook.NAME" posts the raise and resolve
 * actions of ticket.h's payload (and job summaries) as events:
 *
 *   pagerduty  Events v2: raise -> "trigger", resolve -> "resolve", with
 *              dedup_key = the problem's key, so PagerDuty itself groups
 *              and closes the incident; 202 is success
 *   slack      {"text": ...} to an incoming webhook; 200 "ok" is success
 *   teams      an Adaptive Card message (Workflows webhook); any 2xx
 *   generic    the documented JSON of docs/webhooks.md, with an optional
 *              bearer token; any 2xx
 *
 * A job summary payload is {"action": "notify", "kind": "discovery" |
 * "monitoring", "subject": ..., "description": ..., "severity": ...}:
 * PagerDuty gets no event for it (it is not an incident), the others a
 * message.
 */
#ifndef CS_WEBHOOK_H
#define CS_WEBHOOK_H

#include "config.h"
#include "notify.h"

#include <stddef.h>
#include <time.h>

extern const struct cs_channel_ops cs_channel_webhook;

/*
 * The JSON body the channel posts for payload (ticket.h's shape) to a
 * webhook of rc's type, as docs/webhooks.md shows it: *body is text the
 * caller frees, or NULL when the type sends nothing for that action (a
 * job summary to PagerDuty). source names this installation (PagerDuty's
 * payload.source); now is the generic body's sent_at. CS_ERR_USAGE, with
 * *body NULL, for a payload that lacks what every message needs (a known
 * action, a subject, a key to raise or resolve); CS_ERR_NOMEM.
 */
enum cs_rc cs_webhook_body(const struct cs_remote_config *rc, const char *source,
                           const char *idem_key, const cJSON *payload, time_t now, char **body,
                           char *err, size_t errlen);

/*
 * The webhook's URL as messages show it: scheme://host[:port], without
 * user information, followed by the path only when keep_path (PagerDuty's
 * well-known /v2/enqueue) and "/..." otherwise, since a Slack, Teams or
 * generic webhook URL is itself the secret that lets anyone post. Never a
 * query string. Truncated to buflen.
 */
void cs_webhook_url_shown(const char *url, bool keep_path, char *buf, size_t buflen);

#endif
