/*
 * The discovery and monitoring reports: the counts a team acts on and the
 * grids behind them, as the notification emails carry them. A report is
 * built while a job runs, kept as JSON in the job's row, and rendered from
 * that JSON as text, JSON or HTML, so a past job's report reads the same.
 *
 * The subject number is expired-or-expiring plus did-not-return-a-
 * certificate; for a vulnscan job, the findings seen of severity low and
 * above. Grids keep at most max_rows rows; totals count every row.
 */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include "finding.h"
#include "status.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <stdio.h>

enum cs_report_format { CS_REPORT_TEXT, CS_REPORT_JSON, CS_REPORT_HTML };
bool cs_report_format_parse(const char *name, enum cs_report_format *out);

struct cs_report;

/* Starts a report; now is the time days_left is counted from. */
struct cs_report *cs_report_new(enum cs_job_kind kind, const char *network, unsigned expiry_days,
                                unsigned max_rows, time_t now);
void cs_report_free(struct cs_report **report);

/* Every probed endpoint is counted once, by status. */
void cs_report_count(struct cs_report *r, enum cs_status status);

/* An endpoint whose leaf certificate expires within expiry_days (or has
 * expired) is listed; others are ignored. */
void cs_report_check_expiry(struct cs_report *r, const char *ip, uint16_t port, const char *sni,
                            const char *subject_cn, const char *not_after, time_t not_after_epoch);
/* An endpoint that did not return a certificate. */
void cs_report_add_no_certificate(struct cs_report *r, const char *ip, uint16_t port,
                                  const char *sni, enum cs_status status, const char *reason);
/* A monitored endpoint whose certificate changed (renewed or replaced). */
void cs_report_add_changed(struct cs_report *r, const char *ip, uint16_t port, const char *sni,
                           const char *old_sha256, const char *old_not_after,
                           const char *new_sha256, const char *new_not_after);

/* A vulnscan's finding on an endpoint: counted by severity unless fixed,
 * listed when new (or back after a fix) or fixed. */
enum cs_report_finding { CS_REPORT_FINDING_NEW, CS_REPORT_FINDING_SEEN, CS_REPORT_FINDING_FIXED };
void cs_report_add_finding(struct cs_report *r, const char *ip, uint16_t port, const char *sni,
                           const char *check_id, enum cs_severity severity, const char *detail,
                           enum cs_report_finding change);

/* Whole days from now to not_after, rounded down (negative once expired). */
long cs_report_days_left(time_t not_after, time_t now);

/* Totals, for tests and the caller. */
uint64_t cs_report_subject_count(const struct cs_report *r);

/* The report as JSON (the stored form); the caller owns it. */
cJSON *cs_report_to_json(const struct cs_report *r, int64_t job_id, time_t started_at,
                         time_t finished_at);

/* Writes a stored report in a format. */
enum cs_rc cs_report_render(const cJSON *report, enum cs_report_format format, FILE *f, char *err,
                            size_t errlen);

#endif
