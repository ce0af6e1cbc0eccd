#include "output.h"
#include "certcache.h"
#include "vulnscan.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the records are: scan results, or vulnerability scan results. */
enum output_kind { KIND_SCAN, KIND_VULN };

/* Scan table rows wait until the end to come out in address order (a scan
 * finishes endpoints in any order). Past TABLE_SORT_MAX rows, those kept
 * are written sorted and the rest as they come, so that a huge scan does
 * not hold them all. */
#define TABLE_SORT_MAX 262144

struct table_row {
    bool has_addr; /* false: a name that did not resolve (sni:port) */
    struct cs_addr addr;
    unsigned port;
    char *sni;  /* may be NULL */
    char *line; /* as printed */
};

struct cs_output {
    enum cs_format format;
    enum output_kind kind;
    uint64_t severities[CS_SEVERITY_CRITICAL + 1]; /* findings written, for the table's end */
    struct cs_cert_cache *cache;
    FILE *f;
    char *path;     /* final name, NULL for stdout */
    char *tmp_path; /* where it is written until close */
    bool failed;
    uint64_t counts[CS_STATUS_COUNT];
    struct table_row *rows; /* scan tables, until written */
    size_t nrows, rows_cap;
    bool streaming; /* TABLE_SORT_MAX was reached: rows are written as they come */
};

bool cs_format_parse(const char *name, enum cs_format *out)
{
    static const struct {
        const char *name;
        enum cs_format format;
    } formats[] = {{"table", CS_FORMAT_TABLE}, {"jsonl", CS_FORMAT_JSONL}, {"csv", CS_FORMAT_CSV}};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].format;
            return true;
        }
    return false;
}

static const char csv_header[] =
    "ip,port,sni,status,reason,elapsed_ms,tls_version,cipher,subject_cn,subject,issuer,"
    "not_before,not_after,serial,sha256,sans,key_type,key_bits,sig_alg,self_signed,"
    "chain_length\n";

static const char vuln_csv_header[] = "ip,port,sni,status,severity,finding,title,detail,cve\n";

static void write_header(struct cs_output *out)
{
    if (out->kind == KIND_VULN && out->format == CS_FORMAT_CSV)
        fputs(vuln_csv_header, out->f);
    else if (out->kind == KIND_VULN && out->format == CS_FORMAT_TABLE)
        fprintf(out->f, "%-36s %-8s %-22s %s\n", "ENDPOINT", "SEVERITY", "FINDING", "DETAIL");
    else if (out->format == CS_FORMAT_CSV)
        fputs(csv_header, out->f);
    else if (out->format == CS_FORMAT_TABLE)
        fprintf(out->f, "%-36s %-22s %-26s %-8s %-10s %s\n", "ENDPOINT", "STATUS", "REASON", "TLS",
                "NOT_AFTER", "SUBJECT_CN");
}

/* Whether -o PATH is written to a temporary file renamed over it at the
 * end (so that a stopped scan never leaves half a report): only when PATH
 * is absent or a regular file. A rename would put a regular file in place
 * of /dev/null, a FIFO or a symlink, so those are written in place. */
static bool write_by_rename(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT;
    return S_ISREG(st.st_mode);
}

static enum cs_rc open_output(enum output_kind kind, enum cs_format format, const char *path,
                              struct cs_output **out, char *err, size_t errlen)
{
    struct cs_output *o = calloc(1, sizeof(*o));
    *out = NULL;
    if (o == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    o->format = format;
    o->kind = kind;
    o->cache = cs_cert_cache_new();
    if (o->cache == NULL) {
        free(o);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    if (path == NULL) {
        o->f = stdout;
    } else if (!write_by_rename(path)) {
        if ((o->path = strdup(path)) == NULL) {
            cs_output_close(&o, false, NULL, 0);
            return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        }
        if ((o->f = fopen(path, "w")) == NULL) {
            enum cs_rc rc =
                cs_fail(err, errlen, CS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
            cs_output_close(&o, false, NULL, 0);
            return rc;
        }
    } else {
        size_t len = strlen(path) + sizeof(".tmp.XXXXXX");
        o->path = strdup(path);
        o->tmp_path = malloc(len);
        if (o->path == NULL || o->tmp_path == NULL) {
            cs_output_close(&o, false, NULL, 0);
            return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        }
        snprintf(o->tmp_path, len, "%s.tmp.XXXXXX", path);
        int fd = mkstemp(o->tmp_path);
        /* mkstemp makes the file 0600; give it the mode a plain fopen
         * would, so the report is readable as the user expects. */
        mode_t mask = umask(0);
        umask(mask);
        if (fd >= 0)
            (void)fchmod(fd, 0666 & ~mask);
        if (fd < 0 || (o->f = fdopen(fd, "w")) == NULL) {
            enum cs_rc rc =
                cs_fail(err, errlen, CS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            free(o->tmp_path);
            o->tmp_path = NULL; /* nothing to remove */
            cs_output_close(&o, false, NULL, 0);
            return rc;
        }
    }
    write_header(o);
    *out = o;
    return CS_OK;
}

enum cs_rc cs_output_open(enum cs_format format, const char *path, struct cs_output **out,
                          char *err, size_t errlen)
{
    return open_output(KIND_SCAN, format, path, out, err, errlen);
}

enum cs_rc cs_output_open_vuln(enum cs_format format, const char *path, struct cs_output **out,
                               char *err, size_t errlen)
{
    return open_output(KIND_VULN, format, path, out, err, errlen);
}

/* ---- jsonl ------------------------------------------------------------- */

static cJSON *string_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *cert_json(const struct cs_cert_facts *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sha256", f->sha256);
    cJSON_AddStringToObject(o, "subject", f->subject);
    cJSON_AddItemToObject(o, "subject_cn", string_or_null(f->subject_cn));
    cJSON_AddStringToObject(o, "issuer", f->issuer);
    cJSON_AddStringToObject(o, "serial", f->serial);
    cJSON_AddItemToObject(o, "not_before", string_or_null(f->not_before[0] ? f->not_before : NULL));
    cJSON_AddItemToObject(o, "not_after", string_or_null(f->not_after[0] ? f->not_after : NULL));
    cJSON *sans = cJSON_AddArrayToObject(o, "sans");
    for (size_t i = 0; i < f->nsans; i++)
        cJSON_AddItemToArray(sans, cJSON_CreateString(f->sans[i]));
    cJSON_AddStringToObject(o, "key_type", f->key_type);
    cJSON_AddNumberToObject(o, "key_bits", f->key_bits);
    cJSON_AddStringToObject(o, "sig_alg", f->sig_alg);
    cJSON_AddBoolToObject(o, "self_signed", f->self_signed);
    cJSON_AddStringToObject(o, "pem", f->pem);
    return o;
}

static void write_jsonl(struct cs_output *out, const struct cs_probe_result *r, const char *ip,
                        const struct cs_cert_facts *const *facts, int nfacts)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "ip", string_or_null(r->addr ? ip : NULL));
    cJSON_AddNumberToObject(o, "port", r->port);
    cJSON_AddItemToObject(o, "sni", string_or_null(r->sni));
    cJSON_AddStringToObject(o, "status", cs_status_name(r->status));
    cJSON_AddStringToObject(o, "reason", r->reason);
    cJSON_AddNumberToObject(o, "elapsed_ms", (double)r->elapsed_ms);
    cJSON_AddItemToObject(o, "tls_version", string_or_null(r->tls_version));
    cJSON_AddItemToObject(o, "cipher", string_or_null(r->cipher));
    cJSON *chain = cJSON_AddArrayToObject(o, "chain");
    for (int i = 0; i < nfacts; i++)
        cJSON_AddItemToArray(chain, cert_json(facts[i]));
    char *text = cJSON_PrintUnformatted(o);
    if (text == NULL || fputs(text, out->f) < 0 || fputc('\n', out->f) < 0)
        out->failed = true;
    free(text);
    cJSON_Delete(o);
}

/* ---- csv --------------------------------------------------------------- */

void cs_output_csv_field(FILE *f, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_field(FILE *f, const char *s, bool last)
{
    cs_output_csv_field(f, s);
    fputc(last ? '\n' : ',', f);
}

static void write_csv(struct cs_output *out, const struct cs_probe_result *r, const char *ip,
                      const struct cs_cert_facts *leaf, int chain_len)
{
    char port[8], elapsed[24], bits[16], len[16];
    char *sans = NULL;
    snprintf(port, sizeof(port), "%u", r->port);
    snprintf(elapsed, sizeof(elapsed), "%llu", (unsigned long long)r->elapsed_ms);
    if (leaf != NULL) {
        size_t total = 1;
        for (size_t i = 0; i < leaf->nsans; i++)
            total += strlen(leaf->sans[i]) + 1;
        sans = calloc(1, total);
        for (size_t i = 0; sans && i < leaf->nsans; i++) {
            if (i)
                strcat(sans, " ");
            strcat(sans, leaf->sans[i]);
        }
        snprintf(bits, sizeof(bits), "%d", leaf->key_bits);
        snprintf(len, sizeof(len), "%d", chain_len);
    }
    FILE *f = out->f;
    csv_field(f, r->addr ? ip : NULL, false);
    csv_field(f, port, false);
    csv_field(f, r->sni, false);
    csv_field(f, cs_status_name(r->status), false);
    csv_field(f, r->reason, false);
    csv_field(f, elapsed, false);
    csv_field(f, r->tls_version, false);
    csv_field(f, r->cipher, false);
    csv_field(f, leaf ? leaf->subject_cn : NULL, false);
    csv_field(f, leaf ? leaf->subject : NULL, false);
    csv_field(f, leaf ? leaf->issuer : NULL, false);
    csv_field(f, leaf ? leaf->not_before : NULL, false);
    csv_field(f, leaf ? leaf->not_after : NULL, false);
    csv_field(f, leaf ? leaf->serial : NULL, false);
    csv_field(f, leaf ? leaf->sha256 : NULL, false);
    csv_field(f, sans, false);
    csv_field(f, leaf ? leaf->key_type : NULL, false);
    csv_field(f, leaf ? bits : NULL, false);
    csv_field(f, leaf ? leaf->sig_alg : NULL, false);
    csv_field(f, leaf ? (leaf->self_signed ? "true" : "false") : NULL, false);
    csv_field(f, leaf ? len : NULL, true);
    free(sans);
}

/* ---- table ------------------------------------------------------------- */

/* Copies s for a terminal: control characters from a hostile certificate
 * must not move the cursor or change colours. */
static void printable(char *dst, size_t len, const char *s)
{
    size_t i = 0;
    for (; s && *s && i + 1 < len; s++)
        dst[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    dst[i] = '\0';
}

static int row_cmp(const void *pa, const void *pb)
{
    const struct table_row *a = pa, *b = pb;
    if (a->has_addr != b->has_addr)
        return a->has_addr ? -1 : 1;
    if (a->has_addr && a->addr.family != b->addr.family)
        return a->addr.family == AF_INET ? -1 : 1;
    if (a->has_addr && a->addr.v != b->addr.v)
        return a->addr.v < b->addr.v ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    return strcmp(a->sni ? a->sni : "", b->sni ? b->sni : "");
}

/* Writes the rows kept so far in address order and lets them go. */
static void flush_rows(struct cs_output *out)
{
    if (out->nrows > 1)
        qsort(out->rows, out->nrows, sizeof(out->rows[0]), row_cmp);
    for (size_t i = 0; i < out->nrows; i++) {
        fputs(out->rows[i].line, out->f);
        free(out->rows[i].line);
        free(out->rows[i].sni);
    }
    free(out->rows);
    out->rows = NULL;
    out->nrows = out->rows_cap = 0;
}

/* Keeps a table line for flush_rows(); writes it now once streaming, or
 * when out of memory. */
static void keep_row(struct cs_output *out, const struct cs_probe_result *r, const char *line)
{
    if (!out->streaming && out->nrows == TABLE_SORT_MAX) {
        flush_rows(out);
        out->streaming = true;
    }
    if (!out->streaming && out->nrows == out->rows_cap) {
        size_t cap = out->rows_cap ? out->rows_cap * 2 : 256;
        struct table_row *rows = realloc(out->rows, cap * sizeof(*rows));
        if (rows != NULL) {
            out->rows = rows;
            out->rows_cap = cap;
        }
    }
    struct table_row row = {.has_addr = r->addr != NULL, .port = r->port};
    if (r->addr != NULL)
        row.addr = *r->addr;
    if (out->streaming || out->nrows == out->rows_cap || (row.line = strdup(line)) == NULL ||
        (r->sni != NULL && (row.sni = strdup(r->sni)) == NULL)) {
        free(row.line);
        fputs(line, out->f);
        return;
    }
    out->rows[out->nrows++] = row;
}

static void write_table(struct cs_output *out, const struct cs_probe_result *r, const char *ip,
                        const struct cs_cert_facts *leaf)
{
    char endpoint[512], cn[256], expires[11] = "", line[1024];
    int n;
    if (r->addr == NULL)
        n = snprintf(endpoint, sizeof(endpoint), "%s:%u", r->sni, r->port);
    else if (r->addr->family == AF_INET6)
        n = snprintf(endpoint, sizeof(endpoint), "[%s]:%u", ip, r->port);
    else
        n = snprintf(endpoint, sizeof(endpoint), "%s:%u", ip, r->port);
    if (r->addr != NULL && r->sni != NULL && n > 0 && (size_t)n < sizeof(endpoint))
        snprintf(endpoint + n, sizeof(endpoint) - (size_t)n, " (%s)", r->sni);
    printable(cn, sizeof(cn), leaf ? leaf->subject_cn : "");
    if (leaf != NULL)
        snprintf(expires, sizeof(expires), "%.10s", leaf->not_after);
    snprintf(line, sizeof(line), "%-36s %-22s %-26s %-8s %-10s %s\n", endpoint,
             cs_status_name(r->status), r->reason, r->tls_version ? r->tls_version : "-",
             leaf ? expires : "-", leaf ? cn : "-");
    keep_row(out, r, line);
}

void cs_output_write(struct cs_output *out, const struct cs_probe_result *r)
{
    char ip[64] = "";
    int n = r->chain ? sk_X509_num(r->chain) : 0;
    struct cs_cert_facts *facts = n ? calloc((size_t)n, sizeof(*facts)) : NULL;
    const struct cs_cert_facts **chain = n ? calloc((size_t)n, sizeof(*chain)) : NULL;
    int nfacts = 0;

    if (r->addr != NULL)
        cs_addr_format(r->addr, ip, sizeof(ip));
    for (int i = 0; facts && chain && i < n; i++)
        if (cs_cert_cache_get(out->cache, sk_X509_value(r->chain, i), &facts[nfacts], NULL) ==
            CS_OK) {
            chain[nfacts] = &facts[nfacts];
            nfacts++;
        }
    out->counts[r->status]++;
    switch (out->format) {
    case CS_FORMAT_JSONL:
        write_jsonl(out, r, ip, chain, nfacts);
        break;
    case CS_FORMAT_CSV:
        write_csv(out, r, ip, nfacts ? chain[0] : NULL, nfacts);
        break;
    case CS_FORMAT_TABLE:
        write_table(out, r, ip, nfacts ? chain[0] : NULL);
        break;
    }
    for (int i = 0; i < nfacts; i++)
        cs_cert_facts_clear(&facts[i]);
    free(facts);
    free(chain);
    if (ferror(out->f))
        out->failed = true;
}

enum cs_rc cs_output_close(struct cs_output **outp, bool commit, char *err, size_t errlen)
{
    struct cs_output *out = outp ? *outp : NULL;
    enum cs_rc rc = CS_OK;
    if (out == NULL)
        return CS_OK;
    /* Even a stopped scan shows on standard output what it finished. */
    if (out->f != NULL && out->format == CS_FORMAT_TABLE)
        flush_rows(out);
    if (out->f != NULL && commit && out->format == CS_FORMAT_TABLE && out->kind == KIND_VULN) {
        fputc('\n', out->f);
        for (int s = CS_SEVERITY_CRITICAL; s >= CS_SEVERITY_INFO; s--)
            if (out->severities[s])
                fprintf(out->f, "%-22s %llu\n", cs_severity_name(s),
                        (unsigned long long)out->severities[s]);
    } else if (out->f != NULL && commit && out->format == CS_FORMAT_TABLE) {
        fputc('\n', out->f);
        for (int s = 0; s < CS_STATUS_COUNT; s++)
            if (out->counts[s])
                fprintf(out->f, "%-22s %llu\n", cs_status_name(s),
                        (unsigned long long)out->counts[s]);
    }
    if (out->f != NULL && fflush(out->f) != 0)
        out->failed = true;
    if (out->f != NULL && out->f != stdout && fclose(out->f) != 0)
        out->failed = true;
    if (out->failed && commit)
        rc = cs_fail(err, errlen, CS_ERR_IO, "cannot write '%s': %s",
                     out->path ? out->path : "standard output", strerror(errno));
    if (out->tmp_path != NULL) {
        if (commit && rc == CS_OK && rename(out->tmp_path, out->path) != 0)
            rc = cs_fail(err, errlen, CS_ERR_IO, "cannot rename '%s' to '%s': %s", out->tmp_path,
                         out->path, strerror(errno));
        if (!commit || rc != CS_OK)
            unlink(out->tmp_path);
    }
    cs_cert_cache_free(&out->cache);
    free(out->path);
    free(out->tmp_path);
    free(out);
    *outp = NULL;
    return rc;
}

/* ---- vulnerability scan records ------------------------------------------ */

static cJSON *vuln_json(const struct cs_vuln_result *r, const char *ip, const char *sha256)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "ip", string_or_null(r->addr ? ip : NULL));
    cJSON_AddNumberToObject(o, "port", r->port);
    cJSON_AddItemToObject(o, "sni", string_or_null(r->sni));
    cJSON_AddStringToObject(o, "status", cs_status_name(r->status));
    cJSON_AddStringToObject(o, "reason", r->reason);
    cJSON *versions = cJSON_AddArrayToObject(o, "tls_versions");
    cJSON *preferred = cJSON_AddObjectToObject(o, "preferred_ciphers");
    cJSON *accepted = cJSON_AddObjectToObject(o, "accepted_ciphers");
    for (int v = 0; r->facts && v < CS_VV_COUNT; v++) {
        const struct cs_vprotocol *p = &r->facts->protocols[v];
        const char *name = cs_version_name(cs_vversion_wire((enum cs_vversion)v));
        if (!p->supported)
            continue;
        cJSON_AddItemToArray(versions, cJSON_CreateString(name));
        cJSON *list = cJSON_AddArrayToObject(accepted, name);
        for (size_t i = 0; i < p->ssl2_kind_count; i++) {
            const struct cs_ssl2_suite *k = cs_ssl2_suite_find(p->ssl2_kinds[i]);
            cJSON_AddItemToArray(list, cJSON_CreateString(k ? k->name : "unknown"));
        }
        for (size_t i = 0; i < p->accepted_count; i++) {
            const struct cs_suite *s = cs_suite_find(p->accepted[i]);
            cJSON_AddItemToArray(list, cJSON_CreateString(s ? s->name : "unknown"));
        }
        cJSON *first = cJSON_GetArrayItem(list, 0);
        if (first != NULL)
            cJSON_AddStringToObject(preferred, name, first->valuestring);
    }
    int fs = r->facts ? cs_vfacts_forward_secrecy(r->facts) : -1;
    cJSON_AddItemToObject(o, "forward_secrecy", fs < 0 ? cJSON_CreateNull() : cJSON_CreateBool(fs));
    int stapling = r->facts ? r->facts->ocsp_stapling : -1;
    cJSON_AddItemToObject(o, "ocsp_stapling",
                          stapling < 0 ? cJSON_CreateNull() : cJSON_CreateBool(stapling));
    cJSON_AddItemToObject(o, "cert_sha256", string_or_null(sha256));
    cJSON *findings = cJSON_AddArrayToObject(o, "findings");
    for (size_t i = 0; i < r->findings->count; i++) {
        const struct cs_finding *f = &r->findings->items[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "id", f->check->id);
        cJSON_AddStringToObject(item, "severity", cs_severity_name(f->severity));
        cJSON_AddStringToObject(item, "title", f->check->title);
        cJSON_AddStringToObject(item, "detail", f->detail);
        cJSON_AddItemToObject(item, "cve", string_or_null(f->check->cve));
        cJSON_AddItemToArray(findings, item);
    }
    cJSON_AddNumberToObject(o, "elapsed_ms", (double)r->elapsed_ms);
    return o;
}

static void write_vuln_table(struct cs_output *out, const struct cs_vuln_result *r, const char *ip)
{
    char endpoint[512], detail[1024];
    const char *versions[CS_VV_COUNT];
    int n = 0;

    cs_endpoint_format(endpoint, sizeof(endpoint), r->addr ? ip : "-", r->port, r->sni);
    for (size_t i = 0; i < r->findings->count; i++) {
        const struct cs_finding *f = &r->findings->items[i];
        printable(detail, sizeof(detail), f->detail);
        fprintf(out->f, "%-36s %-8s %-22s %s\n", endpoint, cs_severity_name(f->severity),
                f->check->id, detail);
    }
    if (r->findings->count > 0)
        return;
    for (int v = 0; r->facts != NULL && v < CS_VV_COUNT; v++)
        if (r->facts->protocols[v].supported)
            versions[n++] = cs_version_name(cs_vversion_wire((enum cs_vversion)v));
    if (n == 0) {
        /* Nothing spoke TLS to the probes: say what discovery saw. */
        fprintf(out->f, "%-36s %-8s %-22s %s\n", endpoint, "-", cs_status_name(r->status),
                r->reason);
        return;
    }
    fprintf(out->f, "%-36s %-8s %-22s ", endpoint, "-", "ok");
    for (int i = 0; i < n; i++)
        fprintf(out->f, "%s%s", i ? ", " : "", versions[i]);
    fputc('\n', out->f);
}

static void write_vuln_csv(struct cs_output *out, const struct cs_vuln_result *r, const char *ip)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", r->port);
    for (size_t i = 0; i < r->findings->count; i++) {
        const struct cs_finding *f = &r->findings->items[i];
        csv_field(out->f, r->addr ? ip : NULL, false);
        csv_field(out->f, port, false);
        csv_field(out->f, r->sni, false);
        csv_field(out->f, cs_status_name(r->status), false);
        csv_field(out->f, cs_severity_name(f->severity), false);
        csv_field(out->f, f->check->id, false);
        csv_field(out->f, f->check->title, false);
        csv_field(out->f, f->detail, false);
        csv_field(out->f, f->check->cve, true);
    }
}

void cs_output_write_vuln(struct cs_output *out, const struct cs_vuln_result *r)
{
    char ip[64] = "", sha256[65] = "";

    if (r->addr != NULL)
        cs_addr_format(r->addr, ip, sizeof(ip));
    if (r->chain != NULL && sk_X509_num(r->chain) > 0)
        cs_cert_sha256(sk_X509_value(r->chain, 0), sha256);
    out->counts[r->status]++;
    for (size_t i = 0; i < r->findings->count; i++)
        out->severities[r->findings->items[i].severity]++;
    switch (out->format) {
    case CS_FORMAT_JSONL: {
        cJSON *o = vuln_json(r, ip, sha256[0] ? sha256 : NULL);
        char *text = o ? cJSON_PrintUnformatted(o) : NULL;
        if (text == NULL || fputs(text, out->f) < 0 || fputc('\n', out->f) < 0)
            out->failed = true;
        free(text);
        cJSON_Delete(o);
        break;
    }
    case CS_FORMAT_CSV:
        write_vuln_csv(out, r, ip);
        break;
    case CS_FORMAT_TABLE:
        write_vuln_table(out, r, ip);
        break;
    }
    if (ferror(out->f))
        out->failed = true;
}

void cs_endpoint_format(char *buf, size_t len, const char *ip, unsigned port, const char *sni)
{
    bool v6 = strchr(ip, ':') != NULL;
    snprintf(buf, len, "%s%s%s:%u%s%s", v6 ? "[" : "", ip, v6 ? "]" : "", port,
             sni && sni[0] ? "/" : "", sni ? sni : "");
}
