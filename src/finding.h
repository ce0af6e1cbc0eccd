/*
 * Findings of a vulnerability scan: what each check id means (severity,
 * title, CVE) in one table, and the list of findings of one endpoint.
 */
#ifndef CS_FINDING_H
#define CS_FINDING_H

#include "cs.h"

#include <stdbool.h>
#include <stddef.h>

enum cs_severity {
    CS_SEVERITY_INFO,
    CS_SEVERITY_LOW,
    CS_SEVERITY_MEDIUM,
    CS_SEVERITY_HIGH,
    CS_SEVERITY_CRITICAL,
};

/* "critical", "high", "medium", "low", "info" ("unknown" for a value out of
 * the enum); cs_severity_parse takes those names in any case and is false
 * for another name. */
const char *cs_severity_name(enum cs_severity severity);
bool cs_severity_parse(const char *name, enum cs_severity *out);

/* What a check id stands for. */
struct cs_check {
    const char *id; /* "heartbleed" */
    enum cs_severity severity;
    const char *title; /* "Heartbleed: the server leaks memory" */
    const char *cve;   /* "CVE-2014-0160", or NULL */
};

/* The check of an id ("sslv3", "weak_cipher", ...), or NULL. */
const struct cs_check *cs_check_find(const char *id);

/* The whole table, *count entries long, in a fixed order (protocols,
 * suites, handshake flaws, then certificates): for listing the checks. */
const struct cs_check *cs_check_list(size_t *count);

struct cs_finding {
    const struct cs_check *check;
    enum cs_severity severity; /* the check's, unless the caller raised or lowered it */
    char *detail;              /* owned */
};

struct cs_findings {
    struct cs_finding *items;
    size_t count, cap;
};

/* Appends a finding of check `id` with a printf-style detail (the finding
 * owns a copy; "" gives an empty detail, never NULL). Returns CS_ERR_USAGE
 * for an id not in the table (a programming error: the list is unchanged)
 * and CS_ERR_NOMEM on allocation failure. */
enum cs_rc cs_findings_add(struct cs_findings *list, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As cs_findings_add, with a severity other than the check's default
 * (weak_cipher is critical for NULL or EXPORT suites, say). */
enum cs_rc cs_findings_add_severity(struct cs_findings *list, const char *id,
                                    enum cs_severity severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether list holds a finding of id. */
bool cs_findings_has(const struct cs_findings *list, const char *id);

/* Frees every detail and the array and zeroes list, which can be used
 * again; a zeroed list can be cleared. */
void cs_findings_clear(struct cs_findings *list);

#endif
