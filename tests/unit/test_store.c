/*
 * The contract of store.h, run against one backend: the location in
 * CERTSWEEP_TEST_STORE (a postgresql:// URL for the PostgreSQL run, or a
 * file path), or a fresh SQLite file in a temporary directory when it is
 * unset. Each test starts from an empty inventory. The tests of what only
 * the SQLite backend does (files that are not inventories, schema versions
 * on disk, read-only files) skip, saying so, on PostgreSQL.
 */
#define _GNU_SOURCE /* nftw() */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fails with the store's message when a call does not succeed. */
#define ASSERT_OK(fx, call)                                                                        \
    do {                                                                                           \
        if ((call) != CS_OK)                                                                       \
            fail_msg("%s: %s", #call, (fx)->err);                                                  \
    } while (0)

/* 2026-01-01T00:00:00Z and the days after it. */
#define T0 ((time_t)1767225600)
#define DAY ((time_t)86400)

struct fixture {
    char dir[512];           /* a temporary directory, always made */
    char location[PATH_MAX]; /* the inventory under test */
    bool pg;                 /* location is a PostgreSQL URL */
    struct cs_store *store;  /* open on location */
    char err[CS_ERRLEN];
};

static bool is_pg(const char *location)
{
    return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

/* ---- the libpq and sqlite3 corners of the fixture ------------------------- */

/* Runs sql on a PostgreSQL location; returns the first value of the first
 * row (malloc'd) for a query, "" for a command. */
static char *pg_run(const char *url, const char *sql)
{
    PGconn *conn = PQconnectdb(url);
    PGresult *res;
    char *value;
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", url, PQerrorMessage(conn));
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(conn));
    value = strdup(PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    PQfinish(conn);
    assert_non_null(value);
    return value;
}

/* The same for an SQLite file, opened beside whatever else has it open. */
static char *sqlite_run(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *value;
    int step;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    step = sqlite3_step(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    value = strdup(step == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL
                       ? (const char *)sqlite3_column_text(st, 0)
                       : "");
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_non_null(value);
    return value;
}

static char *backend_run(struct fixture *fx, const char *sql)
{
    return fx->pg ? pg_run(fx->location, sql) : sqlite_run(fx->location, sql);
}

/* The number of rows of a table, read around the store. */
static long count_rows(struct fixture *fx, const char *table)
{
    char sql[512];
    char *text;
    long n;
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    text = backend_run(fx, sql);
    n = strtol(text, NULL, 10);
    free(text);
    return n;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* ---- fixture -------------------------------------------------------------- */

static int setup_store(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    const char *env = getenv("CERTSWEEP_TEST_STORE");
    char path[PATH_MAX + 8];

    if (fx == NULL)
        return -1;
    if (snprintf(fx->dir, sizeof(fx->dir), "%s/certsweep-store-XXXXXX", tmp) >=
            (int)sizeof(fx->dir) ||
        mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    if (env != NULL && env[0] != '\0') {
        snprintf(fx->location, sizeof(fx->location), "%s", env);
        fx->pg = is_pg(env);
    } else {
        snprintf(fx->location, sizeof(fx->location), "%s/inventory.db", fx->dir);
    }
    /* An empty inventory: a fresh schema, or no file at all. */
    if (fx->pg) {
        free(pg_run(fx->location, "SET client_min_messages = warning; "
                                  "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"));
    } else {
        unlink(fx->location);
        snprintf(path, sizeof(path), "%s-wal", fx->location);
        unlink(path);
        snprintf(path, sizeof(path), "%s-shm", fx->location);
        unlink(path);
    }
    if (cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)) != CS_OK) {
        fprintf(stderr, "cs_store_open(%s): %s\n", fx->location, fx->err);
        nftw(fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown_store(void **state)
{
    struct fixture *fx = *state;
    cs_store_close(&fx->store);
    chmod(fx->dir, 0700);
    nftw(fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static void skip_unless_sqlite(struct fixture *fx)
{
    if (fx->pg) {
        print_message("skipped: this test is of the SQLite backend and the location is %s\n",
                      fx->location);
        skip();
    }
}

/* ---- row builders and collectors ------------------------------------------ */

static char *xstrdup(const char *text)
{
    char *copy = strdup(text);
    assert_non_null(copy);
    return copy;
}

static void fill_network(struct cs_network *net, const char *name)
{
    memset(net, 0, sizeof(*net));
    net->name = xstrdup(name);
    net->description = xstrdup("the lab");
    net->ranges = xstrdup("192.0.2.0/24 lab.example");
    net->excludes = xstrdup("192.0.2.7");
    net->ports = xstrdup("443,8443");
    net->snis = xstrdup("a.example b.example");
    net->alert_to = xstrdup("pki@example.com");
    net->connect_timeout_ms = 2000;
    net->download_timeout_ms = 5000;
    net->expiry_days = 30;
    net->max_email_rows = 50;
    net->auto_monitor = true;
    net->enabled = true;
}

/* Adds a network with the fields of fill_network() and returns its id. */
static int64_t add_network(struct fixture *fx, const char *name)
{
    struct cs_network net;
    int64_t id;
    fill_network(&net, name);
    if (cs_store_network_add(fx->store, &net, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("network_add(%s): %s", name, fx->err);
    id = net.id;
    assert_true(id > 0);
    cs_network_clear(&net);
    return id;
}

/* A certificate whose digest is 64 times the character c. */
static void fill_cert(struct cs_cert_row *cert, char c, time_t not_after)
{
    static const unsigned char der[] = {0x30, 0x82, 0x00, 0x05, 0x00, 0xff, 0x01, 0x7f, 0x80};
    memset(cert, 0, sizeof(*cert));
    memset(cert->sha256, c, 64);
    cert->subject = xstrdup("CN=www.example,O=Example");
    cert->subject_cn = xstrdup("www.example");
    cert->issuer = xstrdup("CN=Example CA,O=Example");
    cert->serial = xstrdup("01ab");
    cs_store_format_time(T0 - 90 * DAY, cert->not_before);
    cs_store_format_time(not_after, cert->not_after);
    cert->not_after_epoch = not_after;
    cert->sans_json = xstrdup("[\"DNS:www.example\",\"DNS:example\"]");
    cert->key_type = xstrdup("EC");
    cert->key_bits = 256;
    cert->sig_alg = xstrdup("ecdsa-with-SHA256");
    cert->self_signed = false;
    cert->der = malloc(sizeof(der));
    assert_non_null(cert->der);
    memcpy(cert->der, der, sizeof(der));
    cert->der_len = sizeof(der);
    cert->first_seen = T0;
}

static void put_cert(struct fixture *fx, char c, time_t not_after)
{
    struct cs_cert_row cert;
    fill_cert(&cert, c, not_after);
    if (cs_store_cert_put(fx->store, &cert, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("cert_put: %s", fx->err);
    cs_cert_row_clear(&cert);
}

/* Puts an endpoint and returns its id; sha256 may be NULL. */
static int64_t put_endpoint(struct fixture *fx, int64_t network_id, const char *ip, uint16_t port,
                            const char *sni, enum cs_status status, const char *sha256,
                            bool monitored)
{
    struct cs_endpoint_row ep = {0};
    int64_t id;
    ep.network_id = network_id;
    snprintf(ep.ip, sizeof(ep.ip), "%s", ip);
    ep.port = port;
    ep.sni = xstrdup(sni);
    ep.first_seen = T0;
    ep.last_seen = T0;
    ep.last_status = status;
    ep.last_reason = xstrdup(status == CS_STATUS_CERTIFICATE_FOUND ? "ok" : "rst");
    ep.cert_sha256 = sha256 != NULL ? xstrdup(sha256) : NULL;
    ep.monitored = monitored;
    if (cs_store_endpoint_put(fx->store, &ep, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("endpoint_put(%s:%u): %s", ip, port, fx->err);
    id = ep.id;
    assert_true(id > 0);
    cs_endpoint_row_clear(&ep);
    return id;
}

/* What a listing passed to its callback, as "ip:port/sni" strings (or job
 * ids, or network names). */
struct seen {
    int n;
    char what[16][128];
    int64_t ids[16];
};

static void seen_network(const struct cs_network *net, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s", net->name);
    seen->ids[seen->n++] = net->id;
}

static void seen_job(const struct cs_job *job, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s", job->network_name);
    seen->ids[seen->n++] = job->id;
}

static void seen_endpoint(const struct cs_endpoint_row *ep, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s:%u/%s", ep->ip, ep->port, ep->sni);
    seen->ids[seen->n++] = ep->id;
}

static void seen_cert(const struct cs_cert_row *cert, const struct cs_endpoint_row *ep, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    assert_string_equal(cert->sha256, ep->cert_sha256);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%c %s:%u", cert->sha256[0], ep->ip,
             ep->port);
    seen->ids[seen->n++] = ep->id;
}

static struct seen list_endpoints(struct fixture *fx, int64_t network_id, int status,
                                  bool monitored_only)
{
    struct cs_endpoint_filter filter = {network_id, status, monitored_only};
    struct seen seen = {0};
    if (cs_store_endpoint_list(fx->store, &filter, seen_endpoint, &seen, fx->err,
                               sizeof(fx->err)) != CS_OK)
        fail_msg("endpoint_list: %s", fx->err);
    return seen;
}

static struct seen list_certs(struct fixture *fx, int64_t network_id, time_t expires_before)
{
    struct cs_cert_filter filter = {network_id, expires_before};
    struct seen seen = {0};
    if (cs_store_cert_list(fx->store, &filter, seen_cert, &seen, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("cert_list: %s", fx->err);
    return seen;
}

/* ---- networks ------------------------------------------------------------- */

static void test_network_add_then_get_returns_every_field(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;
    int64_t id = add_network(fx, "lab");

    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    assert_int_equal(net.id, id);
    assert_string_equal(net.name, "lab");
    assert_string_equal(net.description, "the lab");
    assert_string_equal(net.ranges, "192.0.2.0/24 lab.example");
    assert_string_equal(net.excludes, "192.0.2.7");
    assert_string_equal(net.ports, "443,8443");
    assert_string_equal(net.snis, "a.example b.example");
    assert_string_equal(net.alert_to, "pki@example.com");
    assert_int_equal(net.connect_timeout_ms, 2000);
    assert_int_equal(net.download_timeout_ms, 5000);
    assert_int_equal(net.expiry_days, 30);
    assert_int_equal(net.max_email_rows, 50);
    assert_true(net.auto_monitor);
    assert_true(net.enabled);
    cs_network_clear(&net);
}

static void test_network_list_update_remove(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;
    struct seen seen = {0};
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");

    ASSERT_OK(fx, cs_store_network_list(fx->store, seen_network, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_true((seen.ids[0] == lab && seen.ids[1] == dmz) ||
                (seen.ids[0] == dmz && seen.ids[1] == lab));

    /* update matches by id, so it can rename. */
    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    free(net.name);
    net.name = xstrdup("lab2");
    free(net.ports);
    net.ports = xstrdup("636");
    net.enabled = false;
    net.expiry_days = 14;
    ASSERT_OK(fx, cs_store_network_update(fx->store, &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    assert_int_equal(cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab2", &net, fx->err, sizeof(fx->err)));
    assert_int_equal(net.id, lab);
    assert_string_equal(net.ports, "636");
    assert_false(net.enabled);
    assert_int_equal(net.expiry_days, 14);
    assert_string_equal(net.description, "the lab");
    cs_network_clear(&net);

    ASSERT_OK(fx, cs_store_network_remove(fx->store, "lab2", fx->err, sizeof(fx->err)));
    assert_int_equal(cs_store_network_get(fx->store, "lab2", &net, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    seen.n = 0;
    ASSERT_OK(fx, cs_store_network_list(fx->store, seen_network, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "dmz");
}

static void test_network_duplicate_name_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;
    int64_t dmz;

    add_network(fx, "lab");
    fill_network(&net, "lab");
    assert_int_equal(cs_store_network_add(fx->store, &net, fx->err, sizeof(fx->err)), CS_ERR_USAGE);
    assert_string_equal(fx->err, "network 'lab' already exists");
    cs_network_clear(&net);

    /* Renaming onto an existing name is the same mistake. */
    dmz = add_network(fx, "dmz");
    fill_network(&net, "lab");
    net.id = dmz;
    assert_int_equal(cs_store_network_update(fx->store, &net, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_string_equal(fx->err, "network 'lab' already exists");
    cs_network_clear(&net);
}

static void test_network_unknown_name_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;

    assert_int_equal(cs_store_network_get(fx->store, "nope", &net, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_string_equal(fx->err, "no network named 'nope'");
    assert_int_equal(cs_store_network_remove(fx->store, "nope", fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_string_equal(fx->err, "no network named 'nope'");
    fill_network(&net, "nope");
    net.id = 4242;
    assert_int_equal(cs_store_network_update(fx->store, &net, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_string_equal(fx->err, "no network named 'nope'");
    cs_network_clear(&net);
}

static void test_network_remove_takes_its_jobs_and_endpoints(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_DISCOVERY};
    struct seen seen = {0};
    int64_t ep;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    put_cert(fx, 'a', T0 + 10 * DAY);
    ep = put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND,
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false);
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, job.id, T0, CS_STATUS_CERTIFICATE_FOUND, "ok",
                                       NULL, fx->err, sizeof(fx->err)));
    put_endpoint(fx, dmz, "198.51.100.1", 443, "", CS_STATUS_NOT_SSL, NULL, false);

    ASSERT_OK(fx, cs_store_network_remove(fx->store, "lab", fx->err, sizeof(fx->err)));
    seen = list_endpoints(fx, 0, 0, false);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "198.51.100.1:443/");
    seen.n = 0;
    ASSERT_OK(fx, cs_store_job_list(fx->store, 0, seen_job, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 0);
    assert_int_equal(count_rows(fx, "endpoint_history"), 0);
}

/* ---- jobs ----------------------------------------------------------------- */

static void test_job_begin_finish_get(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_DISCOVERY, .started_at = T0};
    struct cs_job got;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    assert_true(job.id > 0);
    ASSERT_OK(fx, cs_store_job_get(fx->store, job.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, job.id);
    assert_int_equal(got.network_id, lab);
    assert_string_equal(got.network_name, "lab");
    assert_int_equal(got.kind, CS_JOB_DISCOVERY);
    assert_int_equal(got.state, CS_JOB_RUNNING);
    assert_int_equal(got.started_at, T0);
    assert_int_equal(got.finished_at, 0);
    assert_int_equal(got.endpoints_scanned, 0);
    assert_null(got.report_json);
    cs_job_clear(&got);

    job.state = CS_JOB_DONE;
    job.finished_at = T0 + 95;
    job.endpoints_scanned = 65536;
    for (int i = 0; i < CS_STATUS_COUNT; i++)
        job.counts[i] = 100 + (uint64_t)i;
    job.counts[CS_STATUS_CERTIFICATE_FOUND] = 5000000000ULL; /* beyond 32 bits */
    job.report_json = xstrdup("{\"endpoints\":65536}");
    ASSERT_OK(fx, cs_store_job_finish(fx->store, &job, fx->err, sizeof(fx->err)));

    ASSERT_OK(fx, cs_store_job_get(fx->store, job.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_JOB_DONE);
    assert_int_equal(got.started_at, T0);
    assert_int_equal(got.finished_at, T0 + 95);
    assert_int_equal(got.endpoints_scanned, 65536);
    for (int i = 0; i < CS_STATUS_CERTIFICATE_FOUND; i++)
        assert_int_equal(got.counts[i], 100 + i);
    assert_int_equal(got.counts[CS_STATUS_CERTIFICATE_FOUND], 5000000000ULL);
    assert_string_equal(got.report_json, "{\"endpoints\":65536}");
    assert_string_equal(got.network_name, "lab");
    cs_job_clear(&got);
    cs_job_clear(&job);
}

static void test_job_list_is_newest_first_and_filters_by_network(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    struct cs_job j1 = {.network_id = lab, .kind = CS_JOB_DISCOVERY};
    struct cs_job j2 = {.network_id = dmz, .kind = CS_JOB_MONITORING};
    struct cs_job j3 = {.network_id = lab, .kind = CS_JOB_MONITORING};
    struct cs_job got;
    struct seen seen = {0};

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &j1, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &j2, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &j3, fx->err, sizeof(fx->err)));

    ASSERT_OK(fx, cs_store_job_list(fx->store, lab, seen_job, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ids[0], j3.id);
    assert_int_equal(seen.ids[1], j1.id);
    assert_string_equal(seen.what[0], "lab");

    seen.n = 0;
    ASSERT_OK(fx, cs_store_job_list(fx->store, 0, seen_job, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.ids[0], j3.id);
    assert_int_equal(seen.ids[1], j2.id);
    assert_int_equal(seen.ids[2], j1.id);
    assert_string_equal(seen.what[1], "dmz");

    ASSERT_OK(fx, cs_store_job_get(fx->store, j2.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.kind, CS_JOB_MONITORING);
    cs_job_clear(&got);
}

/* ---- the per-network lock ------------------------------------------------- */

static void test_lock_is_exclusive_per_network(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    struct cs_store *other = NULL;
    char expected[128];

    ASSERT_OK(fx, cs_store_network_lock(fx->store, lab, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_open(fx->location, &other, fx->err, sizeof(fx->err)));
    assert_int_equal(cs_store_network_lock(other, lab, fx->err, sizeof(fx->err)), CS_ERR_BUSY);
    assert_non_null(strstr(fx->err, "network 'lab' already has a job running"));
    if (!fx->pg) {
        snprintf(expected, sizeof(expected), "network 'lab' already has a job running (pid %ld)",
                 (long)getpid());
        assert_string_equal(fx->err, expected);
    }
    ASSERT_OK(fx, cs_store_network_lock(other, dmz, fx->err, sizeof(fx->err)));

    /* Closing a store lets go of its locks. */
    cs_store_close(&other);
    assert_null(other);
    ASSERT_OK(fx, cs_store_open(fx->location, &other, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_network_lock(other, dmz, fx->err, sizeof(fx->err)));
    cs_store_close(&other);
}

static void test_lock_marks_jobs_of_a_closed_store_interrupted(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    struct cs_store *dead = NULL;
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_DISCOVERY};
    struct cs_job other = {.network_id = dmz, .kind = CS_JOB_DISCOVERY};
    struct cs_job got;

    ASSERT_OK(fx, cs_store_open(fx->location, &dead, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_network_lock(dead, lab, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(dead, &job, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(dead, &other, fx->err, sizeof(fx->err)));
    cs_store_close(&dead); /* as if the process had died mid-job */

    ASSERT_OK(fx, cs_store_job_get(fx->store, job.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_JOB_RUNNING);
    cs_job_clear(&got);

    ASSERT_OK(fx, cs_store_network_lock(fx->store, lab, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_get(fx->store, job.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_JOB_INTERRUPTED);
    assert_true(got.finished_at >= got.started_at);
    assert_true(got.finished_at != 0);
    cs_job_clear(&got);

    /* Only the locked network's jobs are touched. */
    ASSERT_OK(fx, cs_store_job_get(fx->store, other.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_JOB_RUNNING);
    cs_job_clear(&got);
}

/* ---- certificates --------------------------------------------------------- */

static void test_cert_put_twice_keeps_one_row_with_every_field(void **state)
{
    struct fixture *fx = *state;
    struct cs_cert_row cert, got;

    fill_cert(&cert, 'c', T0 + 30 * DAY);
    ASSERT_OK(fx, cs_store_cert_put(fx->store, &cert, fx->err, sizeof(fx->err)));
    /* The second sighting changes nothing, not even first_seen. */
    free(cert.subject);
    cert.subject = xstrdup("CN=changed");
    cert.first_seen = T0 + DAY;
    ASSERT_OK(fx, cs_store_cert_put(fx->store, &cert, fx->err, sizeof(fx->err)));
    cs_cert_row_clear(&cert);
    assert_int_equal(count_rows(fx, "certificates"), 1);

    fill_cert(&cert, 'c', T0 + 30 * DAY);
    ASSERT_OK(fx, cs_store_cert_get(fx->store, cert.sha256, &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.sha256, cert.sha256);
    assert_string_equal(got.subject, cert.subject);
    assert_string_equal(got.subject_cn, cert.subject_cn);
    assert_string_equal(got.issuer, cert.issuer);
    assert_string_equal(got.serial, cert.serial);
    assert_string_equal(got.not_before, cert.not_before);
    assert_string_equal(got.not_after, cert.not_after);
    assert_int_equal(got.not_after_epoch, T0 + 30 * DAY);
    assert_string_equal(got.sans_json, cert.sans_json);
    assert_string_equal(got.key_type, "EC");
    assert_int_equal(got.key_bits, 256);
    assert_string_equal(got.sig_alg, "ecdsa-with-SHA256");
    assert_false(got.self_signed);
    assert_int_equal(got.der_len, cert.der_len);
    assert_memory_equal(got.der, cert.der, cert.der_len);
    assert_int_equal(got.first_seen, T0);
    cs_cert_row_clear(&got);
    cs_cert_row_clear(&cert);
}

static void test_cert_without_cn_keeps_null_cn(void **state)
{
    struct fixture *fx = *state;
    struct cs_cert_row cert, got;

    fill_cert(&cert, 'd', T0);
    free(cert.subject_cn);
    cert.subject_cn = NULL;
    cert.self_signed = true;
    ASSERT_OK(fx, cs_store_cert_put(fx->store, &cert, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_cert_get(fx->store, cert.sha256, &got, fx->err, sizeof(fx->err)));
    assert_null(got.subject_cn);
    assert_true(got.self_signed);
    cs_cert_row_clear(&got);
    cs_cert_row_clear(&cert);
}

static void test_cert_list_filters_by_expiry_and_network(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    char sha_a[65] = "", sha_b[65] = "", sha_c[65] = "";
    struct seen seen;

    memset(sha_a, 'a', 64);
    memset(sha_b, 'b', 64);
    memset(sha_c, 'c', 64);
    put_cert(fx, 'a', T0 + 5 * DAY);
    put_cert(fx, 'b', T0 + 20 * DAY);
    put_cert(fx, 'c', T0 + 60 * DAY);
    put_cert(fx, 'e', T0 + 1 * DAY); /* presented by no endpoint */
    put_endpoint(fx, lab, "192.0.2.2", 443, "", CS_STATUS_CERTIFICATE_FOUND, sha_b, false);
    put_endpoint(fx, lab, "192.0.2.1", 8443, "", CS_STATUS_CERTIFICATE_FOUND, sha_b, false);
    put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, sha_c, false);
    put_endpoint(fx, dmz, "198.51.100.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, sha_a, false);
    put_endpoint(fx, lab, "192.0.2.3", 443, "", CS_STATUS_NOT_SSL, NULL, false);

    /* Everything presented, soonest expiry first, one row per endpoint. */
    seen = list_certs(fx, 0, 0);
    assert_int_equal(seen.n, 4);
    assert_string_equal(seen.what[0], "a 198.51.100.1:443");
    assert_string_equal(seen.what[1], "b 192.0.2.1:8443");
    assert_string_equal(seen.what[2], "b 192.0.2.2:443");
    assert_string_equal(seen.what[3], "c 192.0.2.1:443");

    seen = list_certs(fx, 0, T0 + 30 * DAY);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.what[2], "b 192.0.2.2:443");

    seen = list_certs(fx, lab, T0 + 30 * DAY);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "b 192.0.2.1:8443");
    assert_string_equal(seen.what[1], "b 192.0.2.2:443");

    seen = list_certs(fx, dmz, 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "a 198.51.100.1:443");

    /* The limit is exclusive. */
    seen = list_certs(fx, 0, T0 + 5 * DAY);
    assert_int_equal(seen.n, 0);
}

/* ---- endpoints and history ------------------------------------------------ */

static void test_endpoint_put_inserts_then_updates(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_MONITORING};
    struct cs_endpoint_row ep = {0}, got;
    char sha[65] = "";
    int64_t id;

    memset(sha, 'f', 64);
    put_cert(fx, 'f', T0 + 90 * DAY);
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));

    ep.network_id = lab;
    snprintf(ep.ip, sizeof(ep.ip), "2001:db8::1");
    ep.port = 8443;
    ep.sni = xstrdup("www.example");
    ep.first_seen = ep.last_seen = T0;
    ep.last_status = CS_STATUS_BAD_SSL_HANDSHAKE;
    ep.last_reason = xstrdup("alert:handshake_failure");
    ASSERT_OK(fx, cs_store_endpoint_put(fx->store, &ep, fx->err, sizeof(fx->err)));
    id = ep.id;
    assert_true(id > 0);

    ASSERT_OK(fx, cs_store_endpoint_get(fx->store, lab, "2001:db8::1", 8443, "www.example", &got,
                                        fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, id);
    assert_int_equal(got.network_id, lab);
    assert_string_equal(got.ip, "2001:db8::1");
    assert_int_equal(got.port, 8443);
    assert_string_equal(got.sni, "www.example");
    assert_int_equal(got.first_seen, T0);
    assert_int_equal(got.last_seen, T0);
    assert_int_equal(got.last_status, CS_STATUS_BAD_SSL_HANDSHAKE);
    assert_string_equal(got.last_reason, "alert:handshake_failure");
    assert_null(got.cert_sha256);
    assert_false(got.monitored);
    assert_int_equal(got.last_job_id, 0);
    cs_endpoint_row_clear(&got);

    /* The next sighting: same key, new facts, and a first_seen that must
     * not replace the stored one. */
    ep.id = 0;
    ep.first_seen = ep.last_seen = T0 + DAY;
    ep.last_status = CS_STATUS_CERTIFICATE_FOUND;
    free(ep.last_reason);
    ep.last_reason = xstrdup("ok");
    ep.cert_sha256 = xstrdup(sha);
    ep.monitored = true;
    ep.last_job_id = job.id;
    ASSERT_OK(fx, cs_store_endpoint_put(fx->store, &ep, fx->err, sizeof(fx->err)));
    assert_int_equal(ep.id, id);

    ASSERT_OK(fx, cs_store_endpoint_get(fx->store, lab, "2001:db8::1", 8443, "www.example", &got,
                                        fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, id);
    assert_int_equal(got.first_seen, T0);
    assert_int_equal(got.last_seen, T0 + DAY);
    assert_int_equal(got.last_status, CS_STATUS_CERTIFICATE_FOUND);
    assert_string_equal(got.last_reason, "ok");
    assert_string_equal(got.cert_sha256, sha);
    assert_true(got.monitored);
    assert_int_equal(got.last_job_id, job.id);
    cs_endpoint_row_clear(&got);
    cs_endpoint_row_clear(&ep);
    assert_int_equal(count_rows(fx, "endpoints"), 1);
}

static void test_endpoint_get_of_missing_one_is_not_found(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_endpoint_row got;

    put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_NOT_SSL, NULL, false);
    /* Each part of the key counts: SNI, port, address and network. */
    assert_int_equal(cs_store_endpoint_get(fx->store, lab, "192.0.2.1", 443, "a.example", &got,
                                           fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_int_equal(
        cs_store_endpoint_get(fx->store, lab, "192.0.2.1", 444, "", &got, fx->err, sizeof(fx->err)),
        CS_ERR_NOT_FOUND);
    assert_int_equal(
        cs_store_endpoint_get(fx->store, lab, "192.0.2.2", 443, "", &got, fx->err, sizeof(fx->err)),
        CS_ERR_NOT_FOUND);
    assert_int_equal(cs_store_endpoint_get(fx->store, lab + 1, "192.0.2.1", 443, "", &got, fx->err,
                                           sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    ASSERT_OK(fx, cs_store_endpoint_get(fx->store, lab, "192.0.2.1", 443, "", &got, fx->err,
                                        sizeof(fx->err)));
    cs_endpoint_row_clear(&got);
}

static void test_endpoint_list_filters_and_orders(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    char sha[65] = "";
    struct seen seen;

    memset(sha, 'a', 64);
    put_cert(fx, 'a', T0 + 10 * DAY);
    put_endpoint(fx, lab, "192.0.2.2", 443, "", CS_STATUS_NOT_SSL, NULL, false);
    put_endpoint(fx, lab, "192.0.2.1", 8443, "", CS_STATUS_CERTIFICATE_FOUND, sha, true);
    put_endpoint(fx, lab, "192.0.2.1", 443, "b.example", CS_STATUS_CERTIFICATE_FOUND, sha, false);
    put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_BAD_SSL_HANDSHAKE, NULL, true);
    put_endpoint(fx, dmz, "198.51.100.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, sha, true);

    seen = list_endpoints(fx, lab, 0, false);
    assert_int_equal(seen.n, 4);
    assert_string_equal(seen.what[0], "192.0.2.1:443/");
    assert_string_equal(seen.what[1], "192.0.2.1:443/b.example");
    assert_string_equal(seen.what[2], "192.0.2.1:8443/");
    assert_string_equal(seen.what[3], "192.0.2.2:443/");

    seen = list_endpoints(fx, 0, 0, false);
    assert_int_equal(seen.n, 5);

    seen = list_endpoints(fx, 0, CS_STATUS_CERTIFICATE_FOUND + 1, false);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.what[0], "192.0.2.1:443/b.example");
    assert_string_equal(seen.what[1], "192.0.2.1:8443/");
    assert_string_equal(seen.what[2], "198.51.100.1:443/");

    seen = list_endpoints(fx, lab, CS_STATUS_CERTIFICATE_FOUND + 1, false);
    assert_int_equal(seen.n, 2);

    seen = list_endpoints(fx, lab, 0, true);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "192.0.2.1:443/");
    assert_string_equal(seen.what[1], "192.0.2.1:8443/");

    seen = list_endpoints(fx, lab, CS_STATUS_CERTIFICATE_FOUND + 1, true);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "192.0.2.1:8443/");

    seen = list_endpoints(fx, dmz, CS_STATUS_NOT_SSL + 1, false);
    assert_int_equal(seen.n, 0);
}

static void test_history_add_records_each_probe(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_MONITORING};
    char sha[65] = "";
    int64_t ep;

    memset(sha, 'a', 64);
    put_cert(fx, 'a', T0 + 10 * DAY);
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    ep = put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, sha, true);

    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, job.id, T0, CS_STATUS_CERTIFICATE_FOUND, "ok",
                                       sha, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx,
              cs_store_history_add(fx->store, ep, job.id, T0 + 60, CS_STATUS_TIMED_OUT_CONNECTING,
                                   "syn", NULL, fx->err, sizeof(fx->err)));
    /* A probe outside any job. */
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, 0, T0 + 120, CS_STATUS_CONNECTION_REFUSED,
                                       "rst", NULL, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "endpoint_history"), 3);
    assert_int_equal(count_rows(fx, "endpoint_history WHERE status = 'timed_out_connecting' "
                                    "AND reason = 'syn' AND cert_sha256 IS NULL "
                                    "AND probed_at = '2026-01-01T00:01:00Z'"),
                     1);
}

/* ---- transactions --------------------------------------------------------- */

static void test_rollback_discards_writes(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;

    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    add_network(fx, "lab");
    put_cert(fx, 'a', T0);
    cs_store_rollback(fx->store);
    assert_int_equal(cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_int_equal(count_rows(fx, "certificates"), 0);
}

static void test_commit_keeps_writes(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;

    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    add_network(fx, "lab");
    put_cert(fx, 'a', T0);
    ASSERT_OK(fx, cs_store_commit(fx->store, fx->err, sizeof(fx->err)));
    /* Visible from another connection, so truly committed. */
    assert_int_equal(count_rows(fx, "networks"), 1);
    assert_int_equal(count_rows(fx, "certificates"), 1);
    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
}

/* ---- SQLite only ---------------------------------------------------------- */

static void test_sqlite_reopen_migrates_nothing_and_keeps_data(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;
    char *schema_before, *schema_after, *version;

    skip_unless_sqlite(fx);
    add_network(fx, "lab");
    cs_store_close(&fx->store);
    schema_before = sqlite_run(fx->location, "SELECT group_concat(sql, ';') FROM sqlite_master");

    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));
    schema_after = sqlite_run(fx->location, "SELECT group_concat(sql, ';') FROM sqlite_master");
    assert_string_equal(schema_after, schema_before);
    version = sqlite_run(fx->location, "SELECT group_concat(version) FROM schema_version");
    assert_string_equal(version, "1");
    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    free(schema_before);
    free(schema_after);
    free(version);
}

static void test_sqlite_creates_missing_directories(void **state)
{
    struct fixture *fx = *state;
    struct cs_store *s = NULL;
    char dir[600], path[PATH_MAX];
    struct stat sb;

    skip_unless_sqlite(fx);
    snprintf(dir, sizeof(dir), "%s/a/b", fx->dir);
    snprintf(path, sizeof(path), "%s/inventory.db", dir);
    ASSERT_OK(fx, cs_store_open(path, &s, fx->err, sizeof(fx->err)));
    cs_store_close(&s);
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(stat(path, &sb), 0);
}

static void test_sqlite_garbage_file_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct cs_store *s = NULL;
    char path[PATH_MAX + 32], expected[PATH_MAX + 128];
    static const char line[] = "192.0.2.0/24 lab.example, not a database\n";
    struct stat sb;
    FILE *f;

    skip_unless_sqlite(fx);
    snprintf(path, sizeof(path), "%s/notes.txt", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs(line, f);
    fclose(f);

    assert_int_equal(cs_store_open(path, &s, fx->err, sizeof(fx->err)), CS_ERR_USAGE);
    assert_null(s);
    snprintf(expected, sizeof(expected),
             "'%s' is not a certsweep inventory (not an SQLite database)", path);
    assert_string_equal(fx->err, expected);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 200 * strlen(line)); /* untouched */
}

static void test_sqlite_unrelated_database_is_refused_untouched(void **state)
{
    struct fixture *fx = *state;
    struct cs_store *s = NULL;
    char path[PATH_MAX + 32], expected[PATH_MAX + 64];
    char *mode;

    skip_unless_sqlite(fx);
    snprintf(path, sizeof(path), "%s/other.db", fx->dir);
    free(sqlite_run(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"));

    assert_int_equal(cs_store_open(path, &s, fx->err, sizeof(fx->err)), CS_ERR_USAGE);
    assert_null(s);
    snprintf(expected, sizeof(expected), "'%s' is not a certsweep inventory", path);
    assert_non_null(strstr(fx->err, expected));
    /* Refused before anything was changed: still in its own journal mode. */
    mode = sqlite_run(path, "PRAGMA journal_mode");
    assert_string_equal(mode, "delete");
    free(mode);
}

static void test_sqlite_newer_schema_is_refused(void **state)
{
    struct fixture *fx = *state;
    char expected[PATH_MAX + 128];

    skip_unless_sqlite(fx);
    cs_store_close(&fx->store);
    free(sqlite_run(fx->location, "UPDATE schema_version SET version = 99"));

    assert_int_equal(cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_null(fx->store);
    snprintf(expected, sizeof(expected),
             "'%s' has inventory schema version 99; this certsweep knows up to %d: upgrade "
             "certsweep",
             fx->location, CS_STORE_SCHEMA_VERSION);
    assert_string_equal(fx->err, expected);
}

/*
 * Opens location as an unprivileged user: directly if we are one, else in a
 * child that drops root (which ignores file modes). Returns the result and
 * fills err, or -1 if no unprivileged user could be had.
 */
static int open_unprivileged(const char *location, char *err, size_t errlen)
{
    struct cs_store *s = NULL;
    int fds[2], status, rc;
    pid_t pid;
    ssize_t n;
    char buf[CS_ERRLEN + 16];

    if (geteuid() != 0) {
        rc = cs_store_open(location, &s, err, errlen);
        cs_store_close(&s);
        return rc;
    }
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (setgid(65534) != 0 || setuid(65534) != 0) {
            n = write(fds[1], "-1\n", 3);
            _exit(n == 3 ? 0 : 1);
        }
        rc = cs_store_open(location, &s, err, errlen);
        cs_store_close(&s);
        n = snprintf(buf, sizeof(buf), "%d\n%s", rc, rc == CS_OK ? "" : err);
        n = write(fds[1], buf, (size_t)n);
        _exit(n > 0 ? 0 : 1);
    }
    close(fds[1]);
    n = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(n > 0);
    buf[n] = '\0';
    rc = (int)strtol(buf, NULL, 10);
    snprintf(err, errlen, "%s", strchr(buf, '\n') ? strchr(buf, '\n') + 1 : "");
    return rc;
}

static void test_sqlite_read_only_file_and_directory_are_refused(void **state)
{
    struct fixture *fx = *state;
    char file[PATH_MAX + 32], dir[PATH_MAX + 32], in_dir[PATH_MAX + 64];
    int rc;

    skip_unless_sqlite(fx);
    /* The tree must be walkable by the unprivileged user. */
    assert_int_equal(chmod(fx->dir, 0755), 0);
    cs_store_close(&fx->store);
    snprintf(file, sizeof(file), "%s", fx->location);
    assert_int_equal(chmod(file, 0444), 0);
    snprintf(dir, sizeof(dir), "%s/ro", fx->dir);
    assert_int_equal(mkdir(dir, 0555), 0);
    snprintf(in_dir, sizeof(in_dir), "%s/inventory.db", dir);

    rc = open_unprivileged(file, fx->err, sizeof(fx->err));
    if (rc == -1) {
        print_message("skipped: cannot switch to an unprivileged user to test file modes\n");
        skip();
    }
    assert_int_equal(rc, CS_ERR_STORE);
    assert_non_null(strstr(fx->err, file));
    assert_null(strchr(fx->err, '\n'));

    rc = open_unprivileged(in_dir, fx->err, sizeof(fx->err));
    assert_int_equal(rc, CS_ERR_STORE);
    assert_non_null(strstr(fx->err, in_dir));
    assert_null(strchr(fx->err, '\n'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup_store, teardown_store)
        T(test_network_add_then_get_returns_every_field),
        T(test_network_list_update_remove),
        T(test_network_duplicate_name_is_refused),
        T(test_network_unknown_name_is_refused),
        T(test_network_remove_takes_its_jobs_and_endpoints),
        T(test_job_begin_finish_get),
        T(test_job_list_is_newest_first_and_filters_by_network),
        T(test_lock_is_exclusive_per_network),
        T(test_lock_marks_jobs_of_a_closed_store_interrupted),
        T(test_cert_put_twice_keeps_one_row_with_every_field),
        T(test_cert_without_cn_keeps_null_cn),
        T(test_cert_list_filters_by_expiry_and_network),
        T(test_endpoint_put_inserts_then_updates),
        T(test_endpoint_get_of_missing_one_is_not_found),
        T(test_endpoint_list_filters_and_orders),
        T(test_history_add_records_each_probe),
        T(test_rollback_discards_writes),
        T(test_commit_keeps_writes),
        T(test_sqlite_reopen_migrates_nothing_and_keeps_data),
        T(test_sqlite_creates_missing_directories),
        T(test_sqlite_garbage_file_is_refused),
        T(test_sqlite_unrelated_database_is_refused_untouched),
        T(test_sqlite_newer_schema_is_refused),
        T(test_sqlite_read_only_file_and_directory_are_refused),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
