/*
 * The durable outbox: every notification is first a row of the inventory
 * (store.h, struct cs_outbox_row), written in the same transaction as the
 * result that causes it, and only then delivered. Delivery is at least
 * once: a message is claimed for one attempt, sent through its channel
 * (notify.h), then marked sent; a failure waits (retry_min_s, doubling up
 * to retry_max_s) and is tried again by a later run, until max_attempts,
 * when it is marked failed and shown by `certsweep outbox --failed`.
 *
 * A process that dies between sending and marking leaves the message
 * pending with the note "attempt started ... did not finish"; it is sent
 * again after the claim's lease, with the same idempotency key (the same
 * Message-ID), so a duplicate is visible to the receiver and in the outbox.
 */
#ifndef CS_OUTBOX_H
#define CS_OUTBOX_H

#include "config.h"
#include "store.h"

#include <cjson/cJSON.h>

/* How long a claimed message is kept from other processes at least; more
 * when the configured timeouts allow a longer send. */
#define CS_OUTBOX_LEASE_S 600

/*
 * Queues a message: channel "email" or "syslog", payload in that channel's
 * shape (notify.h). The caller's transaction, if one is open, holds the
 * insert. A message whose idem_key is queued already is not queued again.
 */
enum cs_rc cs_outbox_add(struct cs_store *s, const char *idem_key, const char *channel,
                         const char *kind, int64_t job_id, const cJSON *payload, time_t now,
                         char *err, size_t errlen);

/* When a message that failed its attempt-th attempt is tried again. */
time_t cs_outbox_next_attempt(const struct cs_outbox_config *policy, unsigned attempts, time_t now);

struct cs_outbox_stats {
    unsigned sent;    /* delivered in this call */
    unsigned retry;   /* failed, will be tried again later */
    unsigned failed;  /* failed for the last time, now marked failed */
    unsigned waiting; /* left pending: their channel is not configured */
};

/*
 * Delivers every message due at `now`, oldest first, one session per
 * channel. A channel that cannot be opened (not configured) leaves its
 * messages pending with the reason as their error, without counting an
 * attempt. `on_result`, when given, is told of every attempt (row after
 * the attempt; error "" on success). Returns CS_OK unless the store
 * itself fails; delivery failures are in the stats and the rows.
 */
enum cs_rc cs_outbox_deliver(struct cs_store *s, const struct cs_config *cfg, time_t now,
                             void (*on_result)(const struct cs_outbox_row *row, void *arg),
                             void *arg, struct cs_outbox_stats *stats, char *err, size_t errlen);

#endif
