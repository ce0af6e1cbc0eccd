#include "output.h"
#include "certcache.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cs_output {
    enum cs_format format;
    struct cs_cert_cache *cache;
    FILE *f;
    char *path;     /* final name, NULL for stdout */
    char *tmp_path; /* where it is written until close */
    bool failed;
    uint64_t counts[CS_STATUS_COUNT];
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

static void write_header(struct cs_output *out)
{
    if (out->format == CS_FORMAT_CSV)
        fputs(csv_header, out->f);
    else if (out->format == CS_FORMAT_TABLE)
        fprintf(out->f, "%-36s %-22s %-26s %-8s %-10s %s\n", "ENDPOINT", "STATUS", "REASON", "TLS",
                "NOT_AFTER", "SUBJECT_CN");
}

enum cs_rc cs_output_open(enum cs_format format, const char *path, struct cs_output **out,
                          char *err, size_t errlen)
{
    struct cs_output *o = calloc(1, sizeof(*o));
    *out = NULL;
    if (o == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    o->format = format;
    o->cache = cs_cert_cache_new();
    if (o->cache == NULL) {
        free(o);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    if (path == NULL) {
        o->f = stdout;
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

static void write_table(struct cs_output *out, const struct cs_probe_result *r, const char *ip,
                        const struct cs_cert_facts *leaf)
{
    char endpoint[512], cn[256], expires[11] = "";
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
    fprintf(out->f, "%-36s %-22s %-26s %-8s %-10s %s\n", endpoint, cs_status_name(r->status),
            r->reason, r->tls_version ? r->tls_version : "-", leaf ? expires : "-",
            leaf ? cn : "-");
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
    if (out->f != NULL && commit && out->format == CS_FORMAT_TABLE) {
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

void cs_endpoint_format(char *buf, size_t len, const char *ip, unsigned port, const char *sni)
{
    bool v6 = strchr(ip, ':') != NULL;
    snprintf(buf, len, "%s%s%s:%u%s%s", v6 ? "[" : "", ip, v6 ? "]" : "", port,
             sni && sni[0] ? "/" : "", sni ? sni : "");
}
