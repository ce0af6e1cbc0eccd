/* Expiration alerts: find expiring certificates, queue what is new. */
#include "alert.h"
#include "notify.h"
#include "outbox.h"
#include "output.h"
#include "report.h"
#include "schedule.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum cs_rc cs_alert_validate(const struct cs_alert *alert, char *err, size_t errlen)
{
    char why[CS_ERRLEN];

    /* The name is part of the keys of the alert's tickets ("alert:NAME:"):
     * a ':' in it would let one alert's prefix match another's keys. */
    if (alert->name == NULL || alert->name[0] == '\0' || strpbrk(alert->name, " \t/:"))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "invalid alert name '%s': no spaces, slashes or colons",
                       alert->name ? alert->name : "");
    if (alert->days > 3650)
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid --days %u: expected 0-3650",
                       alert->days);
    if (alert->repeat_every_days > 3650)
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid --repeat-every %u: expected 0-3650",
                       alert->repeat_every_days);
    if (alert->recipients[0] == '\0' && !alert->syslog &&
        (alert->channels == NULL || alert->channels[0] == '\0'))
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "alert '%s' goes nowhere: give --to EMAIL..., --syslog, --ticket NAME... "
                       "or --webhook NAME...",
                       alert->name);
    char *addresses = strdup(alert->recipients);
    if (addresses == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    enum cs_rc rc = CS_OK;
    for (char *save = NULL, *a = strtok_r(addresses, " ", &save); a && rc == CS_OK;
         a = strtok_r(NULL, " ", &save))
        if (!cs_email_address_valid(a))
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "invalid email address '%s'", a);
    free(addresses);
    if (rc != CS_OK)
        return rc;
    if (cs_template_check(alert->subject, why, sizeof(why)) != CS_OK)
        return cs_fail(err, errlen, CS_ERR_USAGE, "--subject: %s", why);
    if (cs_template_check(alert->body, why, sizeof(why)) != CS_OK)
        return cs_fail(err, errlen, CS_ERR_USAGE, "--body-file: %s", why);
    if (alert->run_every != NULL && alert->run_every[0] != '\0') {
        struct cs_schedule *schedule = NULL;
        rc = cs_schedule_parse(alert->run_every, &schedule, why, sizeof(why));
        cs_schedule_free(&schedule);
        if (rc != CS_OK)
            return cs_fail(err, errlen, rc, "invalid --every '%s': %s", alert->run_every, why);
    }
    return CS_OK;
}

/* One certificate found, with every place it is deployed. */
struct found {
    struct cs_cert_row cert; /* deep copy, without the DER */
    bool presented;          /* an endpoint answered with it at its last probe */
    char *locations;         /* "ip:port/sni, ..." of those endpoints */
    char *networks;          /* "dmz, lab" */
    struct cs_alert_hit hit; /* what the run decided */
};

struct found_list {
    struct found *items;
    size_t n, cap;
    int64_t *network_ids; /* id -> name lookup for {network} */
    char **network_names;
    size_t nnetworks;
    bool nomem;
};

/* Appends ", text" (or "text" to an empty string) unless it is there. */
static bool append_unique(char **list, const char *text)
{
    size_t len = *list ? strlen(*list) : 0, add = strlen(text);
    if (*list != NULL) {
        for (const char *p = *list; (p = strstr(p, text)) != NULL; p += add)
            if ((p == *list || p[-1] == ' ') && (p[add] == ',' || p[add] == '\0'))
                return true;
    }
    char *grown = realloc(*list, len + add + 3);
    if (grown == NULL)
        return false;
    sprintf(grown + len, "%s%s", len ? ", " : "", text);
    *list = grown;
    return true;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool copy_cert(struct cs_cert_row *dst, const struct cs_cert_row *src)
{
    *dst = *src;
    dst->der = NULL;
    dst->der_len = 0;
    dst->subject = dup_or_null(src->subject);
    dst->subject_cn = dup_or_null(src->subject_cn);
    dst->issuer = dup_or_null(src->issuer);
    dst->serial = dup_or_null(src->serial);
    dst->sans_json = dup_or_null(src->sans_json);
    dst->key_type = dup_or_null(src->key_type);
    dst->sig_alg = dup_or_null(src->sig_alg);
    return dst->subject && dst->issuer && dst->serial && dst->sans_json && dst->key_type &&
           dst->sig_alg;
}

static const char *network_name(const struct found_list *list, int64_t id)
{
    for (size_t i = 0; i < list->nnetworks; i++)
        if (list->network_ids[i] == id)
            return list->network_names[i];
    return "?";
}

static void collect_network(const struct cs_network *net, void *arg)
{
    struct found_list *list = arg;
    int64_t *ids = realloc(list->network_ids, (list->nnetworks + 1) * sizeof(*ids));
    if (ids != NULL)
        list->network_ids = ids;
    char **names = realloc(list->network_names, (list->nnetworks + 1) * sizeof(*names));
    if (names != NULL)
        list->network_names = names;
    char *name = strdup(net->name);
    if (ids == NULL || names == NULL || name == NULL) {
        free(name);
        list->nomem = true;
        return;
    }
    ids[list->nnetworks] = net->id;
    names[list->nnetworks++] = name;
}

static void collect_cert(const struct cs_cert_row *cert, const struct cs_endpoint_row *ep,
                         void *arg)
{
    struct found_list *list = arg;
    struct found *f = NULL;
    char where[320];

    if (list->nomem)
        return;
    /* Rows come by expiry, then endpoint: a certificate's rows are close
     * together but not always adjacent, so look back. */
    for (size_t i = list->n; i-- > 0;) {
        if (strcmp(list->items[i].cert.sha256, cert->sha256) == 0) {
            f = &list->items[i];
            break;
        }
        if (list->items[i].cert.not_after_epoch != cert->not_after_epoch)
            break;
    }
    if (f == NULL) {
        if (list->n == list->cap) {
            size_t cap = list->cap ? list->cap * 2 : 32;
            struct found *items = realloc(list->items, cap * sizeof(*items));
            if (items == NULL) {
                list->nomem = true;
                return;
            }
            list->items = items;
            list->cap = cap;
        }
        f = &list->items[list->n++];
        memset(f, 0, sizeof(*f));
        if (!copy_cert(&f->cert, cert)) {
            list->nomem = true;
            return;
        }
    }
    /* An endpoint that stopped answering keeps its last certificate in the
     * inventory: such a certificate is not reported (an alert is about
     * certificates presented now), but neither is it gone, so its ticket
     * stays open through an outage of the endpoint. */
    if (ep->last_status != CS_STATUS_CERTIFICATE_FOUND)
        return;
    f->presented = true;
    cs_endpoint_format(where, sizeof(where), ep->ip, ep->port, ep->sni);
    if (!append_unique(&f->locations, where) ||
        !append_unique(&f->networks, network_name(list, ep->network_id)))
        list->nomem = true;
}

static void found_list_free(struct found_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        cs_cert_row_clear(&list->items[i].cert);
        free(list->items[i].locations);
        free(list->items[i].networks);
    }
    for (size_t i = 0; i < list->nnetworks; i++)
        free(list->network_names[i]);
    free(list->items);
    free(list->network_ids);
    free(list->network_names);
}

/* "DNS:a.example, IP:10.0.0.1" from the stored JSON array. */
static char *sans_text(const char *sans_json)
{
    char *text = NULL;
    cJSON *sans = cJSON_Parse(sans_json);
    const cJSON *san;
    cJSON_ArrayForEach(san, sans)
    {
        if (cJSON_IsString(san) && !append_unique(&text, san->valuestring))
            break;
    }
    cJSON_Delete(sans);
    return text ? text : strdup("");
}

/* The severity of a ticket or webhook event for a certificate. */
static const char *event_severity(long days_left)
{
    return days_left < 0 ? "critical" : days_left <= 7 ? "error" : "warning";
}

/* The key of a certificate's problem in the alert's ticket channels. */
static void problem_key(char *buf, size_t len, const struct cs_alert *alert, const char *sha256)
{
    snprintf(buf, len, "alert:%s:%s", alert->name, sha256);
}

/*
 * The raise (or ensure) event of a certificate for a ticketing or webhook
 * channel (ticket.h). The note is what a ticket already open for it gets.
 */
static cJSON *raise_payload(const struct cs_alert *alert, const struct found *f, long days_left,
                            const char *action, const char *subject, const char *body)
{
    char key[256], note[1024];
    problem_key(key, sizeof(key), alert, f->cert.sha256);
    snprintf(note, sizeof(note), "Still not renewed: %ld day%s left (expires %s). Deployed at: %s",
             days_left, days_left == 1 || days_left == -1 ? "" : "s", f->cert.not_after,
             f->locations);
    cJSON *p = cJSON_CreateObject();
    if (p == NULL || !cJSON_AddStringToObject(p, "action", action) ||
        !cJSON_AddStringToObject(p, "key", key) || !cJSON_AddStringToObject(p, "kind", "expiry") ||
        !cJSON_AddStringToObject(p, "subject", subject) ||
        !cJSON_AddStringToObject(p, "description", body) ||
        !cJSON_AddStringToObject(p, "note", note) ||
        !cJSON_AddStringToObject(p, "severity", event_severity(days_left))) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* Whether the alert's ticket of a certificate in channel is open, as far
 * as the inventory knows. */
static bool ticket_open(struct cs_store *s, const char *channel, const struct cs_alert *alert,
                        const char *sha256)
{
    struct cs_ticket_row row = {0};
    char key[256], e[CS_ERRLEN];
    problem_key(key, sizeof(key), alert, sha256);
    bool open = cs_store_ticket_get(s, channel, key, &row, e, sizeof(e)) == CS_OK &&
                row.state == CS_TICKET_OPEN;
    cs_ticket_row_clear(&row);
    return open;
}

/*
 * Queues the messages of one certificate. Their idempotency keys name the
 * report they follow (base: "alert-ID.CREATED-SHA256-after-LAST"), so two
 * runs that read the same state at once queue each message once, and a
 * later report of the same certificate is a new message.
 *
 * A certificate reported before and not due again (ensure_only) gets no
 * email, syslog or webhook event; each ticketing channel where its ticket
 * is open gets an "ensure": should someone have closed that ticket by hand
 * while the certificate still expires, a new one is opened.
 */
static enum cs_rc queue_hit(struct cs_store *s, const struct cs_alert *alert, const struct found *f,
                            const struct cs_alert_hit *hit, time_t now, bool ensure_only,
                            unsigned *messages, char *err, size_t errlen)
{
    enum cs_rc rc = CS_ERR_NOMEM;
    char days[24], key_text[48], base[200], key[300];
    const char *values[CS_TOK_COUNT];
    char *sans = sans_text(f->cert.sans_json);
    char *subject = NULL, *body = NULL, *channels = NULL;
    cJSON *msg = NULL;

    if (ensure_only)
        snprintf(base, sizeof(base), "alert-%lld.%lld-%s-ensure-%lld", (long long)alert->id,
                 (long long)alert->created_at, f->cert.sha256, (long long)now);
    else
        snprintf(base, sizeof(base), "alert-%lld.%lld-%s-after-%lld", (long long)alert->id,
                 (long long)alert->created_at, f->cert.sha256, (long long)hit->last_reported);
    snprintf(days, sizeof(days), "%ld", hit->days_left);
    snprintf(key_text, sizeof(key_text), "%s %d", f->cert.key_type, f->cert.key_bits);
    values[CS_TOK_CN] = f->cert.subject_cn ? f->cert.subject_cn : f->cert.subject;
    values[CS_TOK_DN] = f->cert.subject;
    values[CS_TOK_ISSUER_DN] = f->cert.issuer;
    values[CS_TOK_SANS] = sans;
    values[CS_TOK_SERIAL] = f->cert.serial;
    values[CS_TOK_SHA256] = f->cert.sha256;
    values[CS_TOK_NOT_BEFORE] = f->cert.not_before;
    values[CS_TOK_NOT_AFTER] = f->cert.not_after;
    values[CS_TOK_DAYS_LEFT] = days;
    values[CS_TOK_LOCATIONS] = f->locations;
    values[CS_TOK_NETWORK] = f->networks;
    values[CS_TOK_KEY] = key_text;
    values[CS_TOK_SIG_ALG] = f->cert.sig_alg;
    if (sans == NULL || (subject = cs_template_expand(alert->subject, values)) == NULL ||
        (body = cs_template_expand(alert->body, values)) == NULL ||
        (channels = strdup(alert->channels)) == NULL)
        goto out;
    /* A subject is one line, whatever the template's values hold. */
    for (char *p = subject; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';

    if (alert->recipients[0] != '\0' && !ensure_only) {
        if ((msg = cs_email_payload_new(alert->recipients, subject, body, NULL)) == NULL)
            goto out;
        snprintf(key, sizeof(key), "%s-email", base);
        if ((rc = cs_outbox_add(s, key, "email", "expiry", 0, msg, now, err, errlen)) != CS_OK)
            goto out;
        (*messages)++;
        cJSON_Delete(msg);
        msg = NULL;
    }
    if (alert->syslog && !ensure_only) {
        bool expired = hit->days_left < 0;
        msg = cs_syslog_payload_new(expired ? CS_SYSLOG_ERR : CS_SYSLOG_WARNING,
                                    expired ? "cert_expired" : "cert_expiring", now, "cert@32473",
                                    subject);
        bool ok = msg != NULL;
        ok = ok && cs_syslog_payload_param(msg, "cn", values[CS_TOK_CN]);
        ok &= cs_syslog_payload_param(msg, "sha256", f->cert.sha256);
        ok &= cs_syslog_payload_param(msg, "not_after", f->cert.not_after);
        ok &= cs_syslog_payload_param(msg, "days_left", days);
        ok &= cs_syslog_payload_param(msg, "issuer", f->cert.issuer);
        ok &= cs_syslog_payload_param(msg, "serial", f->cert.serial);
        ok &= cs_syslog_payload_param(msg, "locations", f->locations);
        ok &= cs_syslog_payload_param(msg, "network", f->networks);
        ok &= cs_syslog_payload_param(msg, "alert", alert->name);
        if (!ok) {
            rc = CS_ERR_NOMEM;
            goto out;
        }
        snprintf(key, sizeof(key), "%s-syslog", base);
        if ((rc = cs_outbox_add(s, key, "syslog", "expiry", 0, msg, now, err, errlen)) != CS_OK)
            goto out;
        (*messages)++;
        cJSON_Delete(msg);
        msg = NULL;
    }
    for (char *save = NULL, *ch = strtok_r(channels, " ", &save); ch != NULL;
         ch = strtok_r(NULL, " ", &save)) {
        if (ensure_only &&
            (strncmp(ch, "ticketing.", 10) != 0 || !ticket_open(s, ch, alert, f->cert.sha256)))
            continue;
        if ((msg = raise_payload(alert, f, hit->days_left, ensure_only ? "ensure" : "raise",
                                 subject, body)) == NULL) {
            rc = CS_ERR_NOMEM;
            goto out;
        }
        snprintf(key, sizeof(key), "%s-%s", base, ch);
        if ((rc = cs_outbox_add(s, key, ch, "expiry", 0, msg, now, err, errlen)) != CS_OK)
            goto out;
        (*messages)++;
        cJSON_Delete(msg);
        msg = NULL;
    }
    rc = CS_OK;
out:
    if (rc == CS_ERR_NOMEM)
        cs_fail(err, errlen, rc, "out of memory building the alert message");
    cJSON_Delete(msg);
    free(sans);
    free(subject);
    free(body);
    free(channels);
    return rc;
}

/* Open tickets of one channel, collected to be resolved after the listing. */
struct open_tickets {
    struct cs_ticket_row *rows;
    size_t n;
    bool nomem;
};

static void collect_ticket(const struct cs_ticket_row *row, void *arg)
{
    struct open_tickets *t = arg;
    struct cs_ticket_row *rows = realloc(t->rows, (t->n + 1) * sizeof(*rows));
    if (rows == NULL) {
        t->nomem = true;
        return;
    }
    t->rows = rows;
    struct cs_ticket_row *copy = &rows[t->n++];
    *copy = (struct cs_ticket_row){.id = row->id, .key = strdup(row->key)};
    if (copy->key == NULL)
        t->nomem = true;
}

/* Whether an endpoint still has the certificate: presented at its last
 * probe, or kept as its last one while it does not answer. */
static bool found_sha256(const struct found_list *list, const char *sha256)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].cert.sha256, sha256) == 0)
            return true;
    return false;
}

/*
 * Queues a resolve event for every open ticket (or triggered webhook
 * incident) of the alert whose certificate the run no longer finds: it was
 * renewed, or no endpoint presents it any more.
 */
static enum cs_rc queue_resolves(struct cs_store *s, const struct cs_alert *alert,
                                 const struct found_list *list, time_t now, unsigned *messages,
                                 char *err, size_t errlen)
{
    char prefix[160], key[400], note[512];
    char *channels = strdup(alert->channels);
    enum cs_rc rc = channels ? CS_OK : CS_ERR_NOMEM;

    snprintf(prefix, sizeof(prefix), "alert:%s:", alert->name);
    for (char *save = NULL, *ch = strtok_r(channels, " ", &save); rc == CS_OK && ch != NULL;
         ch = strtok_r(NULL, " ", &save)) {
        struct open_tickets open = {0};
        rc = cs_store_ticket_list_open(s, ch, prefix, collect_ticket, &open, err, errlen);
        if (rc == CS_OK && open.nomem)
            rc = CS_ERR_NOMEM;
        for (size_t i = 0; rc == CS_OK && i < open.n; i++) {
            const char *sha256 = open.rows[i].key + strlen(prefix);
            if (found_sha256(list, sha256))
                continue;
            snprintf(note, sizeof(note),
                     "Resolved: no endpoint presents the certificate %s any more (renewed or "
                     "removed); certsweep closes this.",
                     sha256);
            cJSON *p = cJSON_CreateObject();
            if (p == NULL || !cJSON_AddStringToObject(p, "action", "resolve") ||
                !cJSON_AddStringToObject(p, "key", open.rows[i].key) ||
                !cJSON_AddStringToObject(p, "kind", "expiry") ||
                !cJSON_AddStringToObject(p, "subject", "Resolved: certificate renewed") ||
                !cJSON_AddStringToObject(p, "note", note) ||
                !cJSON_AddStringToObject(p, "severity", "info")) {
                cJSON_Delete(p);
                rc = CS_ERR_NOMEM;
                break;
            }
            /* One resolve per ticket, however many runs see it before
             * it is delivered. */
            snprintf(key, sizeof(key), "%s-resolve-%lld", ch, (long long)open.rows[i].id);
            rc = cs_outbox_add(s, key, ch, "expiry_resolved", 0, p, now, err, errlen);
            cJSON_Delete(p);
            if (rc == CS_OK)
                (*messages)++;
        }
        for (size_t i = 0; i < open.n; i++)
            free(open.rows[i].key);
        free(open.rows);
    }
    free(channels);
    if (rc == CS_ERR_NOMEM)
        cs_fail(err, errlen, rc, "out of memory resolving tickets");
    return rc;
}

enum cs_rc cs_alert_run(struct cs_store *s, const struct cs_alert *alert, time_t now, bool dry_run,
                        void (*on_hit)(const struct cs_alert_hit *hit, void *arg), void *arg,
                        struct cs_alert_run_stats *stats, char *err, size_t errlen)
{
    struct found_list list = {0};
    struct cs_cert_filter filter = {
        .network_id = alert->network_id,
        .expires_before = now + (time_t)alert->days * 86400,
    };
    bool in_transaction = false;
    enum cs_rc rc;

    memset(stats, 0, sizeof(*stats));
    if ((rc = cs_store_network_list(s, collect_network, &list, err, errlen)) != CS_OK ||
        (rc = cs_store_cert_list(s, &filter, collect_cert, &list, err, errlen)) != CS_OK)
        goto out;
    if (list.nomem) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading the certificates");
        goto out;
    }
    /* The whole run is one transaction: every certificate reported is
     * remembered together with its messages, or none is. */
    if (!dry_run) {
        if ((rc = cs_store_begin(s, err, errlen)) != CS_OK)
            goto out;
        in_transaction = true;
    }
    for (size_t i = 0; i < list.n; i++) {
        struct found *f = &list.items[i];
        struct cs_alert_hit *hit = &f->hit;
        if (!f->presented)
            continue;
        hit->cert = &f->cert;
        hit->locations = f->locations;
        hit->networks = f->networks;
        hit->days_left = cs_report_days_left(f->cert.not_after_epoch, now);
        rc = cs_store_alert_reported_get(s, alert->id, f->cert.sha256, &hit->last_reported, err,
                                         errlen);
        if (rc != CS_OK)
            goto out;
        hit->due = hit->last_reported == 0 ||
                   (alert->repeat_every_days > 0 &&
                    now - hit->last_reported >= (time_t)alert->repeat_every_days * 86400);
        stats->found++;
        if (!hit->due) {
            stats->skipped++;
            if (!dry_run && alert->channels[0] != '\0' &&
                (rc = queue_hit(s, alert, f, hit, now, true, &stats->messages, err, errlen)) !=
                    CS_OK)
                goto out;
        } else if (!dry_run) {
            if ((rc = queue_hit(s, alert, f, hit, now, false, &stats->messages, err, errlen)) !=
                    CS_OK ||
                (rc = cs_store_alert_reported_mark(s, alert->id, f->cert.sha256, now, err,
                                                   errlen)) != CS_OK)
                goto out;
            hit->reported = true;
            stats->reported++;
        }
    }
    if (!dry_run) {
        if ((rc = queue_resolves(s, alert, &list, now, &stats->messages, err, errlen)) != CS_OK ||
            (rc = cs_store_alert_ran(s, alert->id, now, err, errlen)) != CS_OK ||
            (rc = cs_store_commit(s, err, errlen)) != CS_OK)
            goto out; /* rolled back there, commit failures included */
        in_transaction = false;
    }
    /* Told only once the run is committed, so nothing shown as reported
     * can be rolled back afterwards. */
    for (size_t i = 0; on_hit != NULL && i < list.n; i++)
        if (list.items[i].presented)
            on_hit(&list.items[i].hit, arg);
out:
    if (in_transaction)
        cs_store_rollback(s);
    found_list_free(&list);
    return rc;
}

enum cs_rc cs_alert_remove(struct cs_store *s, const char *name, unsigned *resolves, char *err,
                           size_t errlen)
{
    struct cs_alert alert = {0};
    struct found_list none = {0};
    enum cs_rc rc;

    *resolves = 0;
    if ((rc = cs_store_begin(s, err, errlen)) != CS_OK)
        return rc;
    if ((rc = cs_store_alert_get(s, name, &alert, err, errlen)) != CS_OK ||
        (rc = queue_resolves(s, &alert, &none, time(NULL), resolves, err, errlen)) != CS_OK ||
        (rc = cs_store_alert_remove(s, name, err, errlen)) != CS_OK ||
        (rc = cs_store_commit(s, err, errlen)) != CS_OK)
        cs_store_rollback(s);
    cs_alert_clear(&alert);
    return rc;
}
