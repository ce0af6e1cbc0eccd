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

#include "notify.h"

extern const struct cs_channel_ops cs_channel_webhook;

#endif
