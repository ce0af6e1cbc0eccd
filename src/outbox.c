/* The outbox: queue messages with results, deliver them afterwards. */
#include "outbox.h"
#include "log.h"
#include "notify.h"

#include <stdlib.h>
#include <string.h>

enum cs_rc cs_outbox_add(struct cs_store *s, const char *idem_key, const char *channel,
                         const char *kind, int64_t job_id, const cJSON *payload, time_t now,
                         char *err, size_t errlen)
{
    char *text = cJSON_PrintUnformatted(payload);
    if (text == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory queuing a message");
    struct cs_outbox_row row = {
        .idem_key = (char *)idem_key,
        .channel = (char *)channel,
        .kind = (char *)kind,
        .job_id = job_id,
        .payload = text,
        .created_at = now,
        .next_attempt_at = now,
    };
    enum cs_rc rc = cs_store_outbox_add(s, &row, err, errlen);
    free(text);
    return rc;
}

time_t cs_outbox_next_attempt(const struct cs_outbox_config *policy, unsigned attempts, time_t now)
{
    /* retry_min, 2 x retry_min, 4 x ..., capped; the shift is bounded so
     * that it cannot overflow whatever the number of attempts. */
    unsigned shift = attempts > 1 ? attempts - 1 : 0;
    unsigned long long wait = policy->retry_min_s;
    while (shift-- > 0 && wait < policy->retry_max_s)
        wait *= 2;
    if (wait > policy->retry_max_s)
        wait = policy->retry_max_s;
    return now + (time_t)wait;
}

/* The due rows, copied out of the listing callback so that delivering
 * (which writes to the store) happens outside of it. */
struct due_list {
    struct cs_outbox_row *rows;
    size_t n, cap;
    bool nomem;
};

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static void collect_due(const struct cs_outbox_row *row, void *arg)
{
    struct due_list *list = arg;
    if (list->nomem)
        return;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        struct cs_outbox_row *rows = realloc(list->rows, cap * sizeof(*rows));
        if (rows == NULL) {
            list->nomem = true;
            return;
        }
        list->rows = rows;
        list->cap = cap;
    }
    struct cs_outbox_row *copy = &list->rows[list->n];
    *copy = *row;
    copy->idem_key = dup_or_empty(row->idem_key);
    copy->channel = dup_or_empty(row->channel);
    copy->kind = dup_or_empty(row->kind);
    copy->payload = dup_or_empty(row->payload);
    copy->last_error = dup_or_empty(row->last_error);
    list->n++;
    if (!copy->idem_key || !copy->channel || !copy->kind || !copy->payload || !copy->last_error)
        list->nomem = true;
}

/* One open session per outbox channel, opened at its first message. */
struct channel_slot {
    const char *name; /* the row's channel: "email", "ticketing.sdp", ... */
    const struct cs_channel_ops *ops;
    struct cs_channel_session *session;
    bool tried;
    unsigned waiting;    /* messages left pending because it would not open */
    time_t paused_until; /* rate-limited: no more attempts in this run before this */
    enum cs_rc open_rc;
    char open_err[CS_ERRLEN];
};

struct slots {
    struct channel_slot *items;
    size_t n;
};

/* The slot of a channel, added at its first message; NULL when out of
 * memory or for a kind of channel this certsweep does not know. */
static struct channel_slot *slot_for(struct slots *slots, const char *name)
{
    for (size_t i = 0; i < slots->n; i++)
        if (strcmp(slots->items[i].name, name) == 0)
            return &slots->items[i];
    const struct cs_channel_ops *ops = cs_channel_find(name);
    if (ops == NULL)
        return NULL;
    struct channel_slot *items = realloc(slots->items, (slots->n + 1) * sizeof(*items));
    if (items == NULL)
        return NULL;
    slots->items = items;
    struct channel_slot *slot = &items[slots->n++];
    *slot = (struct channel_slot){.name = name, .ops = ops};
    return slot;
}

/* How long a claimed message is kept from other processes: longer than
 * any one send can take (a syslog send may connect twice). */
static time_t lease_seconds(const struct cs_config *cfg)
{
    unsigned longest = cfg->smtp.timeout_ms;
    if (2 * cfg->syslog.timeout_ms > longest)
        longest = 2 * cfg->syslog.timeout_ms;
    for (size_t i = 0; i < cfg->nremotes; i++)
        /* a ticket may take a few requests: look up, create, record */
        if (4 * cfg->remotes[i].timeout_ms > longest)
            longest = 4 * cfg->remotes[i].timeout_ms;
    time_t lease = 2 * (time_t)(longest / 1000) + 60;
    return lease > CS_OUTBOX_LEASE_S ? lease : CS_OUTBOX_LEASE_S;
}

/*
 * One attempt at one message: claim, send, record. Returns CS_OK unless
 * the store fails; the outcome of the delivery is counted in stats, and
 * *sent_or_tried says whether this process made the attempt (not when the
 * channel is not configured or another process claimed the message).
 */
static enum cs_rc attempt(struct cs_store *s, const struct cs_config *cfg, time_t now,
                          struct cs_outbox_row *row, struct channel_slot *slot,
                          struct cs_outbox_stats *stats, bool *tried, char *err, size_t errlen)
{
    *tried = false;
    char note[64], when[21], send_err[CS_ERRLEN] = "";
    enum cs_rc rc;

    if (!slot->tried) {
        slot->tried = true;
        slot->open_rc = slot->ops->open(cfg, slot->name, s, &slot->session, slot->open_err,
                                        sizeof(slot->open_err));
    }
    /* A channel that said "too many requests" gets no more of them in this
     * run: its other messages wait, without spending an attempt. */
    if (slot->paused_until > time(NULL))
        return CS_OK;
    if (slot->open_rc != CS_OK) {
        /* Not configured: leave the message due, with the reason, and
         * without spending one of its attempts. */
        slot->waiting++;
        stats->waiting++;
        rc = cs_store_outbox_finish(s, row->id, row->attempts, CS_OUTBOX_PENDING,
                                    row->next_attempt_at, 0, slot->open_err, err, errlen);
        return rc == CS_ERR_BUSY ? CS_OK : rc; /* being sent by another process */
    }

    /* The lease starts when the message is taken, not when the run began,
     * and outlasts the slowest send the configuration allows. */
    time_t claimed_at = time(NULL);
    cs_store_format_time(claimed_at, when);
    snprintf(note, sizeof(note), "attempt started %s did not finish", when);
    if (row->attempts > 0 && strncmp(row->last_error, "attempt started", 15) == 0)
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN,
               "outbox: message %lld (%s): an earlier %s; it may have gone out already and is "
               "sent again with the same idempotency key",
               (long long)row->id, row->idem_key, row->last_error);
    rc = cs_store_outbox_claim(s, row->id, claimed_at, claimed_at + lease_seconds(cfg), note, err,
                               errlen);
    if (rc == CS_ERR_BUSY)
        return CS_OK; /* another process has it */
    if (rc != CS_OK)
        return rc;
    row->attempts++;
    *tried = true;

    cJSON *payload = cJSON_Parse(row->payload);
    unsigned retry_after_s = 0;
    enum cs_rc send_rc;
    if (payload == NULL) {
        send_rc = cs_fail(send_err, sizeof(send_err), CS_ERR_RUNTIME,
                          "the stored message is not valid JSON");
    } else {
        send_rc = slot->ops->send(slot->session, row->idem_key, payload, &retry_after_s, send_err,
                                  sizeof(send_err));
        cJSON_Delete(payload);
    }

    time_t done = time(NULL);
    if (send_rc == CS_OK) {
        row->state = CS_OUTBOX_SENT;
        row->sent_at = done;
        stats->sent++;
    } else if (send_rc == CS_ERR_USAGE || row->attempts >= cfg->outbox.max_attempts) {
        /* Refused for a reason a retry cannot fix, or retried enough. */
        row->state = CS_OUTBOX_FAILED;
        stats->failed++;
    } else {
        row->state = CS_OUTBOX_PENDING;
        row->next_attempt_at = cs_outbox_next_attempt(&cfg->outbox, row->attempts, done);
        /* A rate limit says when to come back; never sooner than asked. */
        if (send_rc == CS_ERR_BUSY && done + (time_t)retry_after_s > row->next_attempt_at)
            row->next_attempt_at = done + (time_t)retry_after_s;
        if (send_rc == CS_ERR_BUSY)
            slot->paused_until = row->next_attempt_at;
        stats->retry++;
    }
    free(row->last_error);
    row->last_error = strdup(send_err);
    if (row->last_error == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    row->last_attempt_at = claimed_at;
    rc = cs_store_outbox_finish(s, row->id, row->attempts, row->state, row->next_attempt_at,
                                row->sent_at, send_err, err, errlen);
    if (rc == CS_ERR_BUSY) {
        /* Our lease ran out and another process took the message: what
         * it records stands. */
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN, "outbox: message %lld: %s", (long long)row->id, err);
        rc = CS_OK;
    }
    return rc;
}

enum cs_rc cs_outbox_deliver(struct cs_store *s, const struct cs_config *cfg, time_t now,
                             void (*on_result)(const struct cs_outbox_row *row, void *arg),
                             void *arg, struct cs_outbox_stats *stats, char *err, size_t errlen)
{
    struct slots slots = {0};
    struct cs_outbox_filter due = {.state = CS_OUTBOX_PENDING + 1, .due = now};
    struct due_list list = {0};
    enum cs_rc rc;

    memset(stats, 0, sizeof(*stats));
    rc = cs_store_outbox_list(s, &due, collect_due, &list, err, errlen);
    if (rc == CS_OK && list.nomem)
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading the outbox");
    for (size_t i = 0; rc == CS_OK && i < list.n; i++) {
        struct cs_outbox_row *row = &list.rows[i];
        struct channel_slot *slot = slot_for(&slots, row->channel);
        if (slot == NULL) {
            /* Written by a newer certsweep, perhaps: not ours to fail. */
            CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN, "outbox: message %lld has unknown channel '%s'",
                   (long long)row->id, row->channel);
            continue;
        }
        bool tried;
        rc = attempt(s, cfg, now, row, slot, stats, &tried, err, errlen);
        if (rc == CS_OK && tried && on_result != NULL)
            on_result(row, arg);
    }
    for (size_t j = 0; j < slots.n; j++) {
        struct channel_slot *slot = &slots.items[j];
        if (slot->session != NULL)
            slot->ops->close(&slot->session);
        if (slot->waiting > 0)
            CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN, "outbox: %u %s message%s wait%s: %s", slot->waiting,
                   slot->name, slot->waiting == 1 ? "" : "s", slot->waiting == 1 ? "s" : "",
                   slot->open_err);
    }
    free(slots.items);
    for (size_t i = 0; i < list.n; i++)
        cs_outbox_row_clear(&list.rows[i]);
    free(list.rows);
    return rc;
}
