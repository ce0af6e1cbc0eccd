/*
 * The table of checks (finding.h) and the list of findings of one endpoint.
 * A check's id is what reports, tickets and the inventory key on: an id,
 * once released, keeps its meaning.
 */
#include "finding.h"

#include "sbuf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Default severities follow what an attacker gains and how easily: a
 * memory leak (Heartbleed) or a decryptable session (DROWN, NULL suites)
 * is critical; old protocol versions with no practical attack left are
 * low. Callers raise or lower a severity where the detail warrants it. */
static const struct cs_check checks[] = {
    {"sslv2", CS_SEVERITY_CRITICAL, "SSLv2 is offered (DROWN)", "CVE-2016-0800"},
    {"sslv3", CS_SEVERITY_HIGH, "SSLv3 is offered", NULL},
    {"tls1_0", CS_SEVERITY_LOW, "TLS 1.0 is offered", NULL},
    {"tls1_1", CS_SEVERITY_LOW, "TLS 1.1 is offered", NULL},
    {"weak_cipher", CS_SEVERITY_HIGH, "Weak cipher suites are accepted", NULL},
    {"heartbleed", CS_SEVERITY_CRITICAL, "Heartbleed: the server leaks memory", "CVE-2014-0160"},
    {"poodle", CS_SEVERITY_HIGH, "POODLE: SSLv3 is offered with CBC suites", "CVE-2014-3566"},
    {"no_fallback_scsv", CS_SEVERITY_LOW, "The server ignores TLS_FALLBACK_SCSV", NULL},
    {"insecure_renegotiation", CS_SEVERITY_MEDIUM,
     "The server does not support secure renegotiation", "CVE-2009-3555"},
    {"compression", CS_SEVERITY_MEDIUM, "TLS compression is enabled (CRIME)", "CVE-2012-4929"},
    {"expired", CS_SEVERITY_HIGH, "The certificate has expired", NULL},
    {"not_yet_valid", CS_SEVERITY_MEDIUM, "The certificate is not yet valid", NULL},
    {"expiring", CS_SEVERITY_MEDIUM, "The certificate expires soon", NULL},
    {"weak_signature", CS_SEVERITY_MEDIUM, "A certificate is signed with a weak hash", NULL},
    {"weak_key", CS_SEVERITY_HIGH, "A certificate has a weak key", NULL},
    {"self_signed", CS_SEVERITY_MEDIUM, "The certificate is self-signed", NULL},
    {"untrusted_chain", CS_SEVERITY_HIGH, "The certificate chain is not trusted", NULL},
    {"incomplete_chain", CS_SEVERITY_MEDIUM, "The server does not send the whole chain", NULL},
    {"hostname_mismatch", CS_SEVERITY_HIGH, "The certificate does not match the host name", NULL},
    {"revoked_ocsp", CS_SEVERITY_CRITICAL, "The certificate is revoked (OCSP)", NULL},
    {"revoked_crl", CS_SEVERITY_CRITICAL, "The certificate is revoked (CRL)", NULL},
    {"ocsp_unknown", CS_SEVERITY_LOW, "The OCSP responder does not know the certificate", NULL},
    {"ocsp_unreachable", CS_SEVERITY_LOW, "The OCSP responder cannot be reached", NULL},
    {"crl_unreachable", CS_SEVERITY_LOW, "The CRL cannot be fetched", NULL},
    {"inconclusive", CS_SEVERITY_INFO, "Some checks were inconclusive", NULL},
};

/* Indexed by enum cs_severity. */
static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *cs_severity_name(enum cs_severity severity)
{
    if ((unsigned)severity >= COUNT(severity_names))
        return "unknown";
    return severity_names[severity];
}

bool cs_severity_parse(const char *name, enum cs_severity *out)
{
    for (size_t i = 0; i < COUNT(severity_names); i++) {
        if (strcasecmp(name, severity_names[i]) == 0) {
            *out = (enum cs_severity)i;
            return true;
        }
    }
    return false;
}

const struct cs_check *cs_check_find(const char *id)
{
    for (size_t i = 0; i < COUNT(checks); i++)
        if (strcmp(checks[i].id, id) == 0)
            return &checks[i];
    return NULL;
}

const struct cs_check *cs_check_list(size_t *count)
{
    *count = COUNT(checks);
    return checks;
}

static enum cs_rc add_v(struct cs_findings *list, const char *id, const enum cs_severity *severity,
                        const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* The one place findings are added: severity NULL takes the check's. */
static enum cs_rc add_v(struct cs_findings *list, const char *id, const enum cs_severity *severity,
                        const char *fmt, va_list ap)
{
    const struct cs_check *check = cs_check_find(id);
    struct cs_sbuf detail = {0};

    if (check == NULL)
        return CS_ERR_USAGE;
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        struct cs_finding *items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL)
            return CS_ERR_NOMEM;
        list->items = items;
        list->cap = cap;
    }
    /* An empty format still allocates, so that detail is "" and not NULL. */
    cs_sbuf_add(&detail, "", 0);
    cs_sbuf_vprintf(&detail, fmt, ap);
    char *text = cs_sbuf_take(&detail);
    if (text == NULL)
        return CS_ERR_NOMEM;
    list->items[list->count++] = (struct cs_finding){
        .check = check,
        .severity = severity ? *severity : check->severity,
        .detail = text,
    };
    return CS_OK;
}

enum cs_rc cs_findings_add(struct cs_findings *list, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum cs_rc rc = add_v(list, id, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

enum cs_rc cs_findings_add_severity(struct cs_findings *list, const char *id,
                                    enum cs_severity severity, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum cs_rc rc = add_v(list, id, &severity, fmt, ap);
    va_end(ap);
    return rc;
}

bool cs_findings_has(const struct cs_findings *list, const char *id)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].check->id, id) == 0)
            return true;
    return false;
}

void cs_findings_clear(struct cs_findings *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].detail);
    free(list->items);
    memset(list, 0, sizeof(*list));
}
