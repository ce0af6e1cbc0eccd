/*
 * Unit tests of output.c: the report file appears only when committed, and
 * the jsonl and csv records carry the fields docs/scan-output.md promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "output.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each test gets an empty directory, removed with what is left in it. */
struct fixture {
    char dir[PATH_MAX];
    char path[PATH_MAX + 16];
};

static int setup_dir(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/certsweep-output-XXXXXX", tmp);
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/report", fx->dir);
    *state = fx;
    return 0;
}

static int teardown_dir(void **state)
{
    struct fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    char path[2 * PATH_MAX];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx->dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Number of entries in dir (other than . and ..). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The whole file as a string (caller frees). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long len;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    rewind(f);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static struct cs_output *open_output(enum cs_format format, const char *path)
{
    struct cs_output *out = NULL;
    char err[CS_ERRLEN] = "";
    if (cs_output_open(format, path, &out, err, sizeof(err)) != CS_OK)
        fail_msg("cs_output_open: %s", err);
    assert_non_null(out);
    return out;
}

static void close_output(struct cs_output **out, bool commit)
{
    char err[CS_ERRLEN] = "";
    if (cs_output_close(out, commit, err, sizeof(err)) != CS_OK)
        fail_msg("cs_output_close: %s", err);
    assert_null(*out);
}

static struct cs_addr addr_v4(const char *text)
{
    struct in_addr in;
    assert_int_equal(inet_pton(AF_INET, text, &in), 1);
    return (struct cs_addr){AF_INET, ntohl(in.s_addr)};
}

static const struct cs_addr refused_addr = {AF_INET, 0x0a000005}; /* 10.0.0.5 */

static struct cs_probe_result refused(void)
{
    return (struct cs_probe_result){
        .addr = &refused_addr,
        .port = 443,
        .status = CS_STATUS_CONNECTION_REFUSED,
        .reason = "rst",
        .elapsed_ms = 12,
    };
}

static struct cs_probe_result dns_failed(void)
{
    return (struct cs_probe_result){
        .addr = NULL,
        .port = 8443,
        .sni = "gone.test",
        .status = CS_STATUS_DNS_FAILED,
        .reason = "not_found",
    };
}

/* A small self-signed EC certificate for certificate_found records. */
static X509 *make_cert(const char *cn, const char *org)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    X509_NAME *name = X509_get_subject_name(cert);
    assert_non_null(key);
    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 0x1234);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ASN1_TIME_set_string_X509(X509_getm_notBefore(cert), "20260101000000Z");
    ASN1_TIME_set_string_X509(X509_getm_notAfter(cert), "20270101000000Z");
    X509_set_pubkey(cert, key);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    EVP_PKEY_free(key);
    return cert;
}

/* Splits one CSV line (RFC 4180 quoting) into at most max fields, each
 * malloc'd; returns the count. */
static size_t csv_split(const char *line, char **fields, size_t max)
{
    size_t n = 0;
    const char *p = line;
    for (;;) {
        char *f = calloc(1, strlen(line) + 1);
        size_t len = 0;
        assert_non_null(f);
        if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"' && p[1] == '"')
                    f[len++] = *p++;
                else if (*p == '"')
                    break;
                else
                    f[len++] = *p;
            }
            assert_int_equal(*p, '"');
            p++;
        } else {
            while (*p && *p != ',' && *p != '\n')
                f[len++] = *p++;
        }
        assert_true(n < max);
        fields[n++] = f;
        if (*p != ',')
            break;
        p++;
    }
    return n;
}

static void csv_free(char **fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(fields[i]);
}

/* ---- the file ----------------------------------------------------------- */

static void test_file_appears_only_after_commit(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = open_output(CS_FORMAT_JSONL, fx->path);
    struct cs_probe_result r = refused();

    cs_output_write(out, &r);
    assert_false(exists(fx->path));
    assert_int_equal(count_entries(fx->dir), 1); /* the temporary file */
    close_output(&out, true);
    assert_true(exists(fx->path));
    assert_int_equal(count_entries(fx->dir), 1); /* renamed, nothing left over */
}

static void test_file_removed_without_commit(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = open_output(CS_FORMAT_CSV, fx->path);
    struct cs_probe_result r = refused();

    cs_output_write(out, &r);
    close_output(&out, false);
    assert_false(exists(fx->path));
    assert_int_equal(count_entries(fx->dir), 0);
}

static void test_commit_replaces_existing_file(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out;
    struct cs_probe_result r = refused();

    write_file(fx->path, "old report\n");
    out = open_output(CS_FORMAT_JSONL, fx->path);
    cs_output_write(out, &r);
    {
        char *during = slurp(fx->path);
        assert_string_equal(during, "old report\n"); /* readers see the old one */
        free(during);
    }
    close_output(&out, true);
    char *text = slurp(fx->path);
    assert_non_null(strstr(text, "\"connection_refused\""));
    assert_null(strstr(text, "old report"));
    free(text);
}

static void test_no_commit_keeps_existing_file(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out;
    struct cs_probe_result r = refused();

    write_file(fx->path, "old report\n");
    out = open_output(CS_FORMAT_JSONL, fx->path);
    cs_output_write(out, &r);
    close_output(&out, false);
    char *text = slurp(fx->path);
    assert_string_equal(text, "old report\n");
    free(text);
    assert_int_equal(count_entries(fx->dir), 1);
}

static void test_committed_file_has_the_mode_fopen_would_give(void **state)
{
    struct fixture *fx = *state;
    mode_t saved = umask(027);
    struct cs_output *out = open_output(CS_FORMAT_CSV, fx->path);
    struct stat st;

    close_output(&out, true);
    umask(saved);
    assert_int_equal(stat(fx->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
}

static void test_open_in_missing_directory_fails(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = (struct cs_output *)&out; /* not NULL */
    char path[PATH_MAX + 32], err[CS_ERRLEN] = "";

    snprintf(path, sizeof(path), "%s/no/such/dir/report", fx->dir);
    assert_int_equal(cs_output_open(CS_FORMAT_CSV, path, &out, err, sizeof(err)), CS_ERR_IO);
    assert_null(out);
    assert_non_null(strstr(err, path));
}

static void test_close_accepts_null(void **state)
{
    struct cs_output *out = NULL;
    assert_int_equal(cs_output_close(&out, true, NULL, 0), CS_OK);
}

/* ---- jsonl -------------------------------------------------------------- */

/* Writes records as jsonl, commits, and parses line `line` (0-based). */
static cJSON *jsonl_record(const char *path, const struct cs_probe_result *records, size_t n,
                           size_t line)
{
    struct cs_output *out = open_output(CS_FORMAT_JSONL, path);
    for (size_t i = 0; i < n; i++)
        cs_output_write(out, &records[i]);
    close_output(&out, true);

    char *text = slurp(path), *p = text;
    for (size_t i = 0; i < line; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    char *nl = strchr(p, '\n');
    assert_non_null(nl); /* every record ends its line */
    *nl = '\0';
    cJSON *json = cJSON_Parse(p);
    if (json == NULL)
        fail_msg("not JSON: %s", p);
    free(text);
    return json;
}

static void assert_json_string(const cJSON *obj, const char *key, const char *want)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(item))
        fail_msg("\"%s\" is not a string", key);
    assert_string_equal(item->valuestring, want);
}

static void assert_json_null(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNull(item))
        fail_msg("\"%s\" is not null", key);
}

static void assert_json_number(const cJSON *obj, const char *key, double want)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(item))
        fail_msg("\"%s\" is not a number", key);
    assert_true(item->valuedouble == want);
}

static void test_jsonl_connection_refused_record(void **state)
{
    struct fixture *fx = *state;
    struct cs_probe_result r = refused();
    cJSON *json = jsonl_record(fx->path, &r, 1, 0);

    assert_json_string(json, "ip", "10.0.0.5");
    assert_json_number(json, "port", 443);
    assert_json_null(json, "sni");
    assert_json_string(json, "status", "connection_refused");
    assert_json_string(json, "reason", "rst");
    assert_json_number(json, "elapsed_ms", 12);
    assert_json_null(json, "tls_version");
    assert_json_null(json, "cipher");
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(json, "chain");
    assert_true(cJSON_IsArray(chain));
    assert_int_equal(cJSON_GetArraySize(chain), 0);
    assert_int_equal(cJSON_GetArraySize(json), 9); /* nothing more */
    cJSON_Delete(json);
}

static void test_jsonl_dns_failed_record_has_null_ip(void **state)
{
    struct fixture *fx = *state;
    struct cs_probe_result r = dns_failed();
    cJSON *json = jsonl_record(fx->path, &r, 1, 0);

    assert_json_null(json, "ip");
    assert_json_number(json, "port", 8443);
    assert_json_string(json, "sni", "gone.test");
    assert_json_string(json, "status", "dns_failed");
    assert_json_string(json, "reason", "not_found");
    assert_json_number(json, "elapsed_ms", 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "chain")), 0);
    cJSON_Delete(json);
}

static void test_jsonl_one_line_per_record(void **state)
{
    struct fixture *fx = *state;
    struct cs_probe_result r[] = {refused(), dns_failed(), refused()};
    cJSON *json = jsonl_record(fx->path, r, 3, 1);

    assert_json_string(json, "status", "dns_failed");
    cJSON_Delete(json);
    char *text = slurp(fx->path);
    size_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    free(text);
}

static void test_jsonl_certificate_found_record_has_chain(void **state)
{
    struct fixture *fx = *state;
    X509 *cert = make_cert("c.test", "Lab");
    STACK_OF(X509) *chain = sk_X509_new_null();
    struct cs_addr addr = addr_v4("127.0.0.1");
    struct cs_probe_result r = {
        .addr = &addr,
        .port = 8443,
        .sni = "c.test",
        .status = CS_STATUS_CERTIFICATE_FOUND,
        .reason = "chain_received",
        .elapsed_ms = 3,
        .tls_version = "TLSv1.3",
        .cipher = "TLS_AES_256_GCM_SHA384",
        .chain = chain,
    };
    sk_X509_push(chain, cert);
    cJSON *json = jsonl_record(fx->path, &r, 1, 0);

    assert_json_string(json, "ip", "127.0.0.1");
    assert_json_string(json, "sni", "c.test");
    assert_json_string(json, "tls_version", "TLSv1.3");
    assert_json_string(json, "cipher", "TLS_AES_256_GCM_SHA384");
    const cJSON *certs = cJSON_GetObjectItemCaseSensitive(json, "chain");
    assert_int_equal(cJSON_GetArraySize(certs), 1);
    const cJSON *leaf = cJSON_GetArrayItem(certs, 0);
    assert_json_string(leaf, "subject", "CN=c.test,O=Lab");
    assert_json_string(leaf, "subject_cn", "c.test");
    assert_json_string(leaf, "issuer", "CN=c.test,O=Lab");
    assert_json_string(leaf, "serial", "1234");
    assert_json_string(leaf, "not_before", "2026-01-01T00:00:00Z");
    assert_json_string(leaf, "not_after", "2027-01-01T00:00:00Z");
    assert_json_string(leaf, "key_type", "EC");
    assert_json_number(leaf, "key_bits", 256);
    assert_json_string(leaf, "sig_alg", "ecdsa-with-SHA256");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(leaf, "self_signed")));
    assert_int_equal(strlen(cJSON_GetObjectItemCaseSensitive(leaf, "sha256")->valuestring), 64);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(leaf, "sans")), 0);
    cJSON_Delete(json);
    sk_X509_pop_free(chain, X509_free);
}

/* ---- csv ---------------------------------------------------------------- */

static const char csv_header[] =
    "ip,port,sni,status,reason,elapsed_ms,tls_version,cipher,subject_cn,subject,issuer,"
    "not_before,not_after,serial,sha256,sans,key_type,key_bits,sig_alg,self_signed,"
    "chain_length\n";

static void test_csv_header_line(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = open_output(CS_FORMAT_CSV, fx->path);
    close_output(&out, true);
    char *text = slurp(fx->path);
    assert_string_equal(text, csv_header);
    free(text);
}

static void test_csv_refused_row_leaves_absent_fields_empty(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = open_output(CS_FORMAT_CSV, fx->path);
    struct cs_probe_result r = refused();

    cs_output_write(out, &r);
    close_output(&out, true);
    char *text = slurp(fx->path);
    assert_int_equal(strncmp(text, csv_header, strlen(csv_header)), 0);
    assert_string_equal(text + strlen(csv_header),
                        "10.0.0.5,443,,connection_refused,rst,12,,,,,,,,,,,,,,,\n");
    free(text);
}

static void test_csv_dns_failed_row_has_empty_ip(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = open_output(CS_FORMAT_CSV, fx->path);
    struct cs_probe_result r = dns_failed();

    cs_output_write(out, &r);
    close_output(&out, true);
    char *text = slurp(fx->path);
    assert_string_equal(text + strlen(csv_header),
                        ",8443,gone.test,dns_failed,not_found,0,,,,,,,,,,,,,,,\n");
    free(text);
}

static void test_csv_quotes_field_with_comma_and_quote(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = open_output(CS_FORMAT_CSV, fx->path);
    struct cs_probe_result r = refused();
    char *fields[32];

    r.reason = "odd, \"quoted\" reason";
    cs_output_write(out, &r);
    close_output(&out, true);
    char *text = slurp(fx->path), *row = text + strlen(csv_header);
    assert_non_null(strstr(row, ",\"odd, \"\"quoted\"\" reason\","));
    size_t n = csv_split(row, fields, 32);
    assert_int_equal(n, 21);
    assert_string_equal(fields[4], "odd, \"quoted\" reason");
    csv_free(fields, n);
    free(text);
}

static void test_csv_certificate_row_has_leaf_fields(void **state)
{
    struct fixture *fx = *state;
    X509 *cert = make_cert("d.test", "Lab \"Q\"");
    STACK_OF(X509) *chain = sk_X509_new_null();
    struct cs_addr addr = addr_v4("127.0.0.1");
    struct cs_probe_result r = {
        .addr = &addr,
        .port = 443,
        .status = CS_STATUS_CERTIFICATE_FOUND,
        .reason = "chain_received",
        .tls_version = "TLSv1.2",
        .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .chain = chain,
    };
    char *fields[32];
    sk_X509_push(chain, cert);

    struct cs_output *out = open_output(CS_FORMAT_CSV, fx->path);
    cs_output_write(out, &r);
    close_output(&out, true);
    char *text = slurp(fx->path);
    size_t n = csv_split(text + strlen(csv_header), fields, 32);
    assert_int_equal(n, 21);
    assert_string_equal(fields[8], "d.test");
    assert_string_equal(fields[9], "CN=d.test,O=Lab \\\"Q\\\"");
    assert_string_equal(fields[12], "2027-01-01T00:00:00Z");
    assert_string_equal(fields[16], "EC");
    assert_string_equal(fields[17], "256");
    assert_string_equal(fields[19], "true");
    assert_string_equal(fields[20], "1");
    csv_free(fields, n);
    free(text);
    sk_X509_pop_free(chain, X509_free);
}

/* ---- table and formats -------------------------------------------------- */

static void test_table_ends_with_counts_on_commit(void **state)
{
    struct fixture *fx = *state;
    struct cs_output *out = open_output(CS_FORMAT_TABLE, fx->path);
    struct cs_probe_result r[] = {refused(), refused(), dns_failed()};

    for (size_t i = 0; i < 3; i++)
        cs_output_write(out, &r[i]);
    close_output(&out, true);
    char *text = slurp(fx->path);
    assert_int_equal(strncmp(text, "ENDPOINT", 8), 0);
    assert_non_null(strstr(text, "10.0.0.5:443"));
    assert_non_null(strstr(text, "gone.test:8443"));
    assert_non_null(strstr(text, "\nconnection_refused     2\n"));
    assert_non_null(strstr(text, "\ndns_failed             1\n"));
    free(text);
}

static void test_format_names(void **state)
{
    enum cs_format f;
    assert_true(cs_format_parse("table", &f));
    assert_int_equal(f, CS_FORMAT_TABLE);
    assert_true(cs_format_parse("jsonl", &f));
    assert_int_equal(f, CS_FORMAT_JSONL);
    assert_true(cs_format_parse("csv", &f));
    assert_int_equal(f, CS_FORMAT_CSV);
    assert_false(cs_format_parse("json", &f));
    assert_false(cs_format_parse("", &f));
}

#define fx_test(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        fx_test(test_file_appears_only_after_commit),
        fx_test(test_file_removed_without_commit),
        fx_test(test_commit_replaces_existing_file),
        fx_test(test_no_commit_keeps_existing_file),
        fx_test(test_committed_file_has_the_mode_fopen_would_give),
        fx_test(test_open_in_missing_directory_fails),
        cmocka_unit_test(test_close_accepts_null),
        fx_test(test_jsonl_connection_refused_record),
        fx_test(test_jsonl_dns_failed_record_has_null_ip),
        fx_test(test_jsonl_one_line_per_record),
        fx_test(test_jsonl_certificate_found_record_has_chain),
        fx_test(test_csv_header_line),
        fx_test(test_csv_refused_row_leaves_absent_fields_empty),
        fx_test(test_csv_dns_failed_row_has_empty_ip),
        fx_test(test_csv_quotes_field_with_comma_and_quote),
        fx_test(test_csv_certificate_row_has_leaf_fields),
        fx_test(test_table_ends_with_counts_on_commit),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
