/* Expiration alerts: find expiring certificates, queue what is new. */
#include "alert.h"
#include "notify.h"
#include "outbox.h"
#include "report.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cs_rc cs_alert_validate(const struct cs_alert *alert, char *err, size_t errlen)
{
    char why[CS_ERRLEN];

    if (alert->name == NULL || alert->name[0] == '\0' || strpbrk(alert->name, " \t/"))
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid alert name '%s': no spaces or slashes",
                       alert->name ? alert->name : "");
    if (alert->days > 3650)
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid --days %u: expected 0-3650",
                       alert->days);
    if (alert->repeat_every_days > 3650)
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid --repeat-every %u: expected 0-3650",
                       alert->repeat_every_days);
    if (alert->recipients[0] == '\0' && !alert->syslog)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "alert '%s' goes nowhere: give --to EMAIL... or --syslog", alert->name);
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
    return CS_OK;
}

/* One certificate found, with every place it is deployed. */
struct found {
    struct cs_cert_row cert; /* deep copy, without the DER */
    char *locations;         /* "ip:port/sni, ..." */
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
    snprintf(where, sizeof(where), "%s%s%s:%u%s%s", strchr(ep->ip, ':') ? "[" : "", ep->ip,
             strchr(ep->ip, ':') ? "]" : "", ep->port, ep->sni[0] ? "/" : "", ep->sni);
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

/* Queues the messages of one certificate. */
static enum cs_rc queue_hit(struct cs_store *s, const struct cs_alert *alert, const struct found *f,
                            long days_left, time_t now, unsigned *messages, char *err,
                            size_t errlen)
{
    enum cs_rc rc = CS_ERR_NOMEM;
    char days[24], key_text[48], key[160];
    const char *values[CS_TOK_COUNT];
    char *sans = sans_text(f->cert.sans_json);
    char *subject = NULL, *body = NULL;
    cJSON *mail = NULL, *event = NULL;

    snprintf(days, sizeof(days), "%ld", days_left);
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
        (body = cs_template_expand(alert->body, values)) == NULL)
        goto out;
    /* A subject is one line, whatever the template's values hold. */
    for (char *p = subject; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';

    if (alert->recipients[0] != '\0') {
        if ((mail = cs_email_payload_new(alert->recipients, subject, body, NULL)) == NULL)
            goto out;
        snprintf(key, sizeof(key), "alert-%lld-%s-%lld-email", (long long)alert->id, f->cert.sha256,
                 (long long)now);
        if ((rc = cs_outbox_add(s, key, "email", "expiry", 0, mail, now, err, errlen)) != CS_OK)
            goto out;
        (*messages)++;
    }
    if (alert->syslog) {
        bool expired = days_left < 0;
        event = cs_syslog_payload_new(expired ? CS_SYSLOG_ERR : CS_SYSLOG_WARNING,
                                      expired ? "cert_expired" : "cert_expiring", now, "cert@32473",
                                      subject);
        if (event == NULL) {
            rc = CS_ERR_NOMEM;
            goto out;
        }
        cs_syslog_payload_param(event, "cn", values[CS_TOK_CN]);
        cs_syslog_payload_param(event, "sha256", f->cert.sha256);
        cs_syslog_payload_param(event, "not_after", f->cert.not_after);
        cs_syslog_payload_param(event, "days_left", days);
        cs_syslog_payload_param(event, "issuer", f->cert.issuer);
        cs_syslog_payload_param(event, "serial", f->cert.serial);
        cs_syslog_payload_param(event, "locations", f->locations);
        cs_syslog_payload_param(event, "network", f->networks);
        cs_syslog_payload_param(event, "alert", alert->name);
        snprintf(key, sizeof(key), "alert-%lld-%s-%lld-syslog", (long long)alert->id,
                 f->cert.sha256, (long long)now);
        if ((rc = cs_outbox_add(s, key, "syslog", "expiry", 0, event, now, err, errlen)) != CS_OK)
            goto out;
        (*messages)++;
    }
    rc = CS_OK;
out:
    if (rc == CS_ERR_NOMEM)
        cs_fail(err, errlen, rc, "out of memory building the alert message");
    cJSON_Delete(mail);
    cJSON_Delete(event);
    free(sans);
    free(subject);
    free(body);
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
        } else if (!dry_run) {
            if ((rc = queue_hit(s, alert, f, hit->days_left, now, &stats->messages, err, errlen)) !=
                    CS_OK ||
                (rc = cs_store_alert_reported_mark(s, alert->id, f->cert.sha256, now, err,
                                                   errlen)) != CS_OK)
                goto out;
            hit->reported = true;
            stats->reported++;
        }
    }
    if (!dry_run) {
        in_transaction = false;
        if ((rc = cs_store_alert_ran(s, alert->id, now, err, errlen)) != CS_OK) {
            cs_store_rollback(s);
            goto out;
        }
        if ((rc = cs_store_commit(s, err, errlen)) != CS_OK)
            goto out;
    }
    /* Told only once the run is committed, so nothing shown as reported
     * can be rolled back afterwards. */
    for (size_t i = 0; on_hit != NULL && i < list.n; i++)
        on_hit(&list.items[i].hit, arg);
out:
    if (in_transaction)
        cs_store_rollback(s);
    found_list_free(&list);
    return rc;
}
