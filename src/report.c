#include "report.h"
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

struct row {
    char *ip, *sni, *subject_cn, *not_after, *reason, *old_sha256, *old_not_after, *new_sha256,
        *new_not_after, *check_id, *detail;
    uint16_t port;
    enum cs_severity severity;
    long days_left;
    enum cs_status status;
};

struct grid {
    uint64_t total;
    struct row *rows;
    size_t nrows;
};

struct cs_report {
    enum cs_job_kind kind;
    char *network;
    unsigned expiry_days, max_rows;
    time_t now;
    uint64_t scanned;
    uint64_t counts[CS_STATUS_COUNT];
    struct grid expiring, no_certificate, changed;
    /* vulnscan: findings seen, by severity; those new or back; those fixed */
    uint64_t findings[CS_SEVERITY_CRITICAL + 1];
    struct grid findings_new, findings_fixed;
};

bool cs_report_format_parse(const char *name, enum cs_report_format *out)
{
    static const char *const names[] = {"text", "json", "html"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum cs_report_format)i;
            return true;
        }
    return false;
}

struct cs_report *cs_report_new(enum cs_job_kind kind, const char *network, unsigned expiry_days,
                                unsigned max_rows, time_t now)
{
    struct cs_report *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->kind = kind;
    r->network = strdup(network);
    r->expiry_days = expiry_days;
    r->max_rows = max_rows;
    r->now = now;
    r->expiring.rows = calloc(max_rows ? max_rows : 1, sizeof(struct row));
    r->no_certificate.rows = calloc(max_rows ? max_rows : 1, sizeof(struct row));
    r->changed.rows = calloc(max_rows ? max_rows : 1, sizeof(struct row));
    r->findings_new.rows = calloc(max_rows ? max_rows : 1, sizeof(struct row));
    r->findings_fixed.rows = calloc(max_rows ? max_rows : 1, sizeof(struct row));
    if (!r->network || !r->expiring.rows || !r->no_certificate.rows || !r->changed.rows ||
        !r->findings_new.rows || !r->findings_fixed.rows)
        cs_report_free(&r);
    return r;
}

static void row_clear(struct row *row)
{
    free(row->ip);
    free(row->sni);
    free(row->subject_cn);
    free(row->not_after);
    free(row->reason);
    free(row->old_sha256);
    free(row->old_not_after);
    free(row->new_sha256);
    free(row->new_not_after);
    free(row->check_id);
    free(row->detail);
}

static void grid_clear(struct grid *g)
{
    for (size_t i = 0; i < g->nrows; i++)
        row_clear(&g->rows[i]);
    free(g->rows);
}

void cs_report_free(struct cs_report **r)
{
    if (r == NULL || *r == NULL)
        return;
    grid_clear(&(*r)->expiring);
    grid_clear(&(*r)->no_certificate);
    grid_clear(&(*r)->changed);
    grid_clear(&(*r)->findings_new);
    grid_clear(&(*r)->findings_fixed);
    free((*r)->network);
    free(*r);
    *r = NULL;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* Counts a row and keeps it while the grid has room. */
static struct row *grid_add(struct cs_report *r, struct grid *g, const char *ip, uint16_t port,
                            const char *sni)
{
    g->total++;
    if (g->nrows >= r->max_rows)
        return NULL;
    struct row *row = &g->rows[g->nrows++];
    row->ip = dup_or_null(ip);
    row->port = port;
    row->sni = dup_or_null(sni);
    return row;
}

void cs_report_count(struct cs_report *r, enum cs_status status)
{
    r->scanned++;
    r->counts[status]++;
}

long cs_report_days_left(time_t not_after, time_t now)
{
    /* Rounds down: a certificate expiring in 36 hours has 1 day left, one
     * that expired an hour ago -1, not 0. */
    long days_left = (long)((not_after - now) / 86400);
    if (not_after < now && (now - not_after) % 86400)
        days_left--;
    return days_left;
}

void cs_report_check_expiry(struct cs_report *r, const char *ip, uint16_t port, const char *sni,
                            const char *subject_cn, const char *not_after, time_t not_after_epoch)
{
    if (not_after_epoch - r->now >= (time_t)r->expiry_days * 86400)
        return;
    long days_left = cs_report_days_left(not_after_epoch, r->now);
    struct row *row = grid_add(r, &r->expiring, ip, port, sni);
    if (row == NULL)
        return;
    row->subject_cn = dup_or_null(subject_cn);
    row->not_after = dup_or_null(not_after);
    row->days_left = days_left;
}

void cs_report_add_no_certificate(struct cs_report *r, const char *ip, uint16_t port,
                                  const char *sni, enum cs_status status, const char *reason)
{
    struct row *row = grid_add(r, &r->no_certificate, ip, port, sni);
    if (row == NULL)
        return;
    row->status = status;
    row->reason = dup_or_null(reason);
}

void cs_report_add_changed(struct cs_report *r, const char *ip, uint16_t port, const char *sni,
                           const char *old_sha256, const char *old_not_after,
                           const char *new_sha256, const char *new_not_after)
{
    struct row *row = grid_add(r, &r->changed, ip, port, sni);
    if (row == NULL)
        return;
    row->old_sha256 = dup_or_null(old_sha256);
    row->old_not_after = dup_or_null(old_not_after);
    row->new_sha256 = dup_or_null(new_sha256);
    row->new_not_after = dup_or_null(new_not_after);
}

void cs_report_add_finding(struct cs_report *r, const char *ip, uint16_t port, const char *sni,
                           const char *check_id, enum cs_severity severity, const char *detail,
                           enum cs_report_finding change)
{
    struct row *row = NULL;
    if (change != CS_REPORT_FINDING_FIXED)
        r->findings[severity]++;
    if (change == CS_REPORT_FINDING_NEW)
        row = grid_add(r, &r->findings_new, ip, port, sni);
    else if (change == CS_REPORT_FINDING_FIXED)
        row = grid_add(r, &r->findings_fixed, ip, port, sni);
    if (row == NULL)
        return;
    row->check_id = dup_or_null(check_id);
    row->severity = severity;
    row->detail = dup_or_null(detail);
}

uint64_t cs_report_subject_count(const struct cs_report *r)
{
    if (r->kind != CS_JOB_VULNSCAN)
        return r->expiring.total + r->no_certificate.total;
    uint64_t n = 0;
    for (int s = CS_SEVERITY_LOW; s <= CS_SEVERITY_CRITICAL; s++)
        n += r->findings[s];
    return n;
}

/* ---- JSON ---------------------------------------------------------------- */

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static void add_endpoint(cJSON *o, const struct row *row)
{
    cJSON_AddItemToObject(o, "ip", str_or_null(row->ip));
    cJSON_AddNumberToObject(o, "port", row->port);
    cJSON_AddItemToObject(o, "sni", str_or_null(row->sni));
}

static cJSON *grid_json(const struct grid *g, void (*fill)(cJSON *o, const struct row *row))
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total", (double)g->total);
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = 0; i < g->nrows; i++) {
        cJSON *item = cJSON_CreateObject();
        add_endpoint(item, &g->rows[i]);
        fill(item, &g->rows[i]);
        cJSON_AddItemToArray(rows, item);
    }
    cJSON_AddNumberToObject(o, "not_shown", (double)(g->total - g->nrows));
    return o;
}

static void fill_expiring(cJSON *o, const struct row *row)
{
    cJSON_AddItemToObject(o, "subject_cn", str_or_null(row->subject_cn));
    cJSON_AddItemToObject(o, "not_after", str_or_null(row->not_after));
    cJSON_AddNumberToObject(o, "days_left", (double)row->days_left);
}

static void fill_no_certificate(cJSON *o, const struct row *row)
{
    cJSON_AddStringToObject(o, "status", cs_status_name(row->status));
    cJSON_AddItemToObject(o, "reason", str_or_null(row->reason));
}

static void fill_finding(cJSON *o, const struct row *row)
{
    cJSON_AddStringToObject(o, "severity", cs_severity_name(row->severity));
    cJSON_AddItemToObject(o, "check", str_or_null(row->check_id));
    cJSON_AddItemToObject(o, "detail", str_or_null(row->detail));
}

static void fill_changed(cJSON *o, const struct row *row)
{
    cJSON_AddItemToObject(o, "old_sha256", str_or_null(row->old_sha256));
    cJSON_AddItemToObject(o, "old_not_after", str_or_null(row->old_not_after));
    cJSON_AddItemToObject(o, "new_sha256", str_or_null(row->new_sha256));
    cJSON_AddItemToObject(o, "new_not_after", str_or_null(row->new_not_after));
}

cJSON *cs_report_to_json(const struct cs_report *r, int64_t job_id, time_t started_at,
                         time_t finished_at)
{
    char started[21], finished[21], subject[512];
    uint64_t n = cs_report_subject_count(r);
    cJSON *o = cJSON_CreateObject();

    cs_store_format_time(started_at, started);
    cs_store_format_time(finished_at, finished);
    cJSON_AddNumberToObject(o, "job_id", (double)job_id);
    cJSON_AddStringToObject(o, "kind", cs_job_kind_name(r->kind));
    cJSON_AddStringToObject(o, "network", r->network);
    cJSON_AddStringToObject(o, "started_at", started);
    cJSON_AddStringToObject(o, "finished_at", finished);
    cJSON_AddNumberToObject(o, "expiry_days", r->expiry_days);
    cJSON_AddNumberToObject(o, "endpoints_scanned", (double)r->scanned);
    cJSON *counts = cJSON_AddObjectToObject(o, "counts");
    for (int s = 0; s < CS_STATUS_COUNT; s++)
        cJSON_AddNumberToObject(counts, cs_status_name(s), (double)r->counts[s]);
    if (r->kind == CS_JOB_VULNSCAN) {
        cJSON *by_severity = cJSON_AddObjectToObject(o, "findings");
        for (int s = CS_SEVERITY_CRITICAL; s >= CS_SEVERITY_INFO; s--)
            cJSON_AddNumberToObject(by_severity, cs_severity_name(s), (double)r->findings[s]);
        cJSON_AddItemToObject(o, "new_findings", grid_json(&r->findings_new, fill_finding));
        cJSON_AddItemToObject(o, "fixed_findings", grid_json(&r->findings_fixed, fill_finding));
    } else {
        cJSON_AddItemToObject(o, "expired_or_expiring", grid_json(&r->expiring, fill_expiring));
    }
    cJSON_AddItemToObject(o, "no_certificate", grid_json(&r->no_certificate, fill_no_certificate));
    if (r->kind == CS_JOB_MONITORING)
        cJSON_AddItemToObject(o, "changed", grid_json(&r->changed, fill_changed));
    cJSON_AddNumberToObject(o, "subject_count", (double)n);
    if (r->kind == CS_JOB_VULNSCAN)
        snprintf(subject, sizeof(subject),
                 "certsweep vulnscan of %s: %llu finding%s need%s attention", r->network,
                 (unsigned long long)n, n == 1 ? "" : "s", n == 1 ? "s" : "");
    else
        snprintf(subject, sizeof(subject), "certsweep %s of %s: %llu endpoint%s need%s attention",
                 cs_job_kind_name(r->kind), r->network, (unsigned long long)n, n == 1 ? "" : "s",
                 n == 1 ? "s" : "");
    cJSON_AddStringToObject(o, "subject", subject);
    return o;
}

/* ---- rendering ----------------------------------------------------------- */

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void endpoint_text(const cJSON *row, char *buf, size_t len)
{
    const char *ip = str(row, "ip"), *sni = str(row, "sni");
    int n = snprintf(buf, len, strchr(ip, ':') ? "[%s]:%.0f" : "%s:%.0f", ip, num(row, "port"));
    if (*sni && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (%s)", sni);
}

/* Column sets of the three grids: JSON key and heading. */
struct column {
    const char *key, *heading;
};
static const struct column expiring_cols[] = {
    {"subject_cn", "SUBJECT_CN"}, {"not_after", "NOT_AFTER"}, {"days_left", "DAYS_LEFT"}, {0}};
static const struct column no_cert_cols[] = {{"status", "STATUS"}, {"reason", "REASON"}, {0}};
static const struct column finding_cols[] = {
    {"severity", "SEVERITY"}, {"check", "CHECK"}, {"detail", "DETAIL"}, {0}};
static const struct column changed_cols[] = {{"old_not_after", "OLD_NOT_AFTER"},
                                             {"new_not_after", "NEW_NOT_AFTER"},
                                             {"old_sha256", "OLD_SHA256"},
                                             {"new_sha256", "NEW_SHA256"},
                                             {0}};

static void cell_text(const cJSON *row, const struct column *c, char *buf, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, c->key);
    if (cJSON_IsNumber(v))
        snprintf(buf, len, "%.0f", v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(buf, len, "%s", v->valuestring);
    else
        snprintf(buf, len, "-");
}

static void grid_text(FILE *f, const cJSON *report, const char *key, const char *title,
                      const struct column *cols)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(report, key);
    const cJSON *row;
    char buf[256];
    if (g == NULL)
        return;
    fprintf(f, "\n%s: %.0f\n", title, num(g, "total"));
    if (num(g, "total") == 0)
        return;
    fprintf(f, "  %-40s", "ENDPOINT");
    for (const struct column *c = cols; c->key; c++)
        fprintf(f, " %-24s", c->heading);
    fputc('\n', f);
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(g, "rows"))
    {
        endpoint_text(row, buf, sizeof(buf));
        fprintf(f, "  %-40s", buf);
        for (const struct column *c = cols; c->key; c++) {
            cell_text(row, c, buf, sizeof(buf));
            fprintf(f, " %-24s", buf);
        }
        fputc('\n', f);
    }
    if (num(g, "not_shown") > 0)
        fprintf(f, "  (%.0f more not shown)\n", num(g, "not_shown"));
}

static void render_text(const cJSON *report, FILE *f)
{
    const cJSON *count;
    char title[128];
    fprintf(f, "%s\n", str(report, "subject"));
    fprintf(f, "job %.0f (%s), %s to %s\n\n", num(report, "job_id"), str(report, "kind"),
            str(report, "started_at"), str(report, "finished_at"));
    fprintf(f, "  %-24s %.0f\n", "endpoints scanned", num(report, "endpoints_scanned"));
    cJSON_ArrayForEach(count, cJSON_GetObjectItemCaseSensitive(report, "counts"))
        fprintf(f, "  %-24s %.0f\n", count->string, count->valuedouble);
    if (cJSON_GetObjectItemCaseSensitive(report, "findings") != NULL) {
        fputs("\n  findings seen\n", f);
        cJSON_ArrayForEach(count, cJSON_GetObjectItemCaseSensitive(report, "findings"))
            fprintf(f, "  %-24s %.0f\n", count->string, count->valuedouble);
    }
    grid_text(f, report, "new_findings", "new findings (or back after a fix)", finding_cols);
    grid_text(f, report, "fixed_findings", "fixed findings", finding_cols);
    snprintf(title, sizeof(title), "expired or expiring within %.0f days",
             num(report, "expiry_days"));
    grid_text(f, report, "expired_or_expiring", title, expiring_cols);
    grid_text(f, report, "no_certificate", "did not return a certificate", no_cert_cols);
    grid_text(f, report, "changed", "changed certificates", changed_cols);
}

static void html_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void grid_html(FILE *f, const cJSON *report, const char *key, const char *title,
                      const struct column *cols)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(report, key);
    const cJSON *row;
    char buf[256];
    if (g == NULL)
        return;
    fputs("<h2>", f);
    html_escaped(f, title);
    fprintf(f, " <span class=\"n\">%.0f</span></h2>\n", num(g, "total"));
    if (num(g, "total") == 0)
        return;
    fputs("<table><tr><th>Endpoint</th>", f);
    for (const struct column *c = cols; c->key; c++) {
        fputs("<th>", f);
        html_escaped(f, c->heading);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(g, "rows"))
    {
        endpoint_text(row, buf, sizeof(buf));
        fputs("<tr><td>", f);
        html_escaped(f, buf);
        fputs("</td>", f);
        for (const struct column *c = cols; c->key; c++) {
            cell_text(row, c, buf, sizeof(buf));
            fputs("<td>", f);
            html_escaped(f, buf);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (num(g, "not_shown") > 0)
        fprintf(f, "<p class=\"more\">%.0f more not shown</p>\n", num(g, "not_shown"));
}

static void render_html(const cJSON *report, FILE *f)
{
    const cJSON *count;
    char title[128];
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
    html_escaped(f, str(report, "subject"));
    fputs("</title>\n<style>body{font-family:sans-serif;color:#222;margin:2em}"
          "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;"
          "padding:.25em .6em;text-align:left;font-size:90%}th{background:#f0f0f0}"
          ".n{color:#a00}.summary td:last-child{text-align:right}.more{color:#666}"
          "</style></head><body>\n<h1>",
          f);
    html_escaped(f, str(report, "subject"));
    fputs("</h1>\n<p>", f);
    html_escaped(f, str(report, "kind"));
    fprintf(f, " job %.0f of network <b>", num(report, "job_id"));
    html_escaped(f, str(report, "network"));
    fputs("</b>, ", f);
    html_escaped(f, str(report, "started_at"));
    fputs(" to ", f);
    html_escaped(f, str(report, "finished_at"));
    fprintf(f, "</p>\n<table class=\"summary\"><tr><td>endpoints scanned</td><td>%.0f</td></tr>\n",
            num(report, "endpoints_scanned"));
    cJSON_ArrayForEach(count, cJSON_GetObjectItemCaseSensitive(report, "counts"))
    {
        fputs("<tr><td>", f);
        html_escaped(f, count->string);
        fprintf(f, "</td><td>%.0f</td></tr>\n", count->valuedouble);
    }
    fputs("</table>\n", f);
    if (cJSON_GetObjectItemCaseSensitive(report, "findings") != NULL) {
        fputs("<h2>Findings seen</h2>\n<table class=\"summary\">", f);
        cJSON_ArrayForEach(count, cJSON_GetObjectItemCaseSensitive(report, "findings"))
        {
            fputs("<tr><td>", f);
            html_escaped(f, count->string);
            fprintf(f, "</td><td>%.0f</td></tr>\n", count->valuedouble);
        }
        fputs("</table>\n", f);
    }
    grid_html(f, report, "new_findings", "New findings (or back after a fix)", finding_cols);
    grid_html(f, report, "fixed_findings", "Fixed findings", finding_cols);
    snprintf(title, sizeof(title), "Expired or expiring within %.0f days",
             num(report, "expiry_days"));
    grid_html(f, report, "expired_or_expiring", title, expiring_cols);
    grid_html(f, report, "no_certificate", "Did not return a certificate", no_cert_cols);
    grid_html(f, report, "changed", "Changed certificates", changed_cols);
    fputs("</body></html>\n", f);
}

enum cs_rc cs_report_render(const cJSON *report, enum cs_report_format format, FILE *f, char *err,
                            size_t errlen)
{
    switch (format) {
    case CS_REPORT_JSON: {
        char *text = cJSON_PrintUnformatted(report);
        if (text == NULL)
            return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        fprintf(f, "%s\n", text);
        free(text);
        break;
    }
    case CS_REPORT_TEXT:
        render_text(report, f);
        break;
    case CS_REPORT_HTML:
        render_html(report, f);
        break;
    }
    return ferror(f) ? cs_fail(err, errlen, CS_ERR_IO, "cannot write the report") : CS_OK;
}
