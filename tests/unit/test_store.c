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
#include "store_schema.h" /* the DDL of earlier versions, to make inventories of earlier binaries */

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

/* Runs a script of several statements on an SQLite file. */
static void sqlite_script(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, sqlite3_errmsg(db));
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
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
    net->webhooks = xstrdup("oncall");
    net->tickets = xstrdup("sdp jira");
    net->revocation = true;
    net->discover_every = xstrdup("1d");
    net->monitor_every = xstrdup("*/30 * * * *");
    net->vulnscan_every = xstrdup("0 3 * * sun");
    net->quiet_hours = xstrdup("mon-fri 08:00-18:00");
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

/* "name=webhooks", to check that listings read them. */
static void seen_network_webhooks(const struct cs_network *net, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    assert_non_null(net->webhooks);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s=%s", net->name, net->webhooks);
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
    struct cs_endpoint_filter filter = {
        .network_id = network_id, .status = status, .monitored_only = monitored_only};
    struct seen seen = {0};
    if (cs_store_endpoint_list(fx->store, &filter, seen_endpoint, &seen, fx->err,
                               sizeof(fx->err)) != CS_OK)
        fail_msg("endpoint_list: %s", fx->err);
    return seen;
}

static struct seen list_certs(struct fixture *fx, int64_t network_id, time_t expires_before)
{
    struct cs_cert_filter filter = {.network_id = network_id, .expires_before = expires_before};
    struct seen seen = {0};
    if (cs_store_cert_list(fx->store, &filter, seen_cert, &seen, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("cert_list: %s", fx->err);
    return seen;
}

/* Queues a message under key, created and due at `at`; returns its id. */
static int64_t add_message(struct fixture *fx, const char *key, int64_t job_id, time_t at)
{
    struct cs_outbox_row row = {0};
    row.idem_key = (char *)key;
    row.channel = (char *)"email";
    row.kind = (char *)"expiry";
    row.job_id = job_id;
    row.payload = (char *)"{\"to\":[\"pki@example.com\"]}";
    row.created_at = at;
    row.next_attempt_at = at;
    if (cs_store_outbox_add(fx->store, &row, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("outbox_add(%s): %s", key, fx->err);
    assert_true(row.id > 0);
    return row.id;
}

static void seen_message(const struct cs_outbox_row *row, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s", row->idem_key);
    seen->ids[seen->n++] = row->id;
}

static struct seen list_messages(struct fixture *fx, int state, time_t due, unsigned limit)
{
    struct cs_outbox_filter filter = {.state = state, .due = due, .limit = limit};
    struct seen seen = {0};
    if (cs_store_outbox_list(fx->store, &filter, seen_message, &seen, fx->err, sizeof(fx->err)) !=
        CS_OK)
        fail_msg("outbox_list: %s", fx->err);
    return seen;
}

static void fill_alert(struct cs_alert *alert, const char *name, int64_t network_id)
{
    memset(alert, 0, sizeof(*alert));
    alert->name = xstrdup(name);
    alert->days = 30;
    alert->network_id = network_id;
    alert->recipients = xstrdup("pki@example.com ops@example.com");
    alert->syslog = true;
    alert->subject = xstrdup("SSL Certificate {cn} expiry");
    alert->body = xstrdup("{cn} expires on {not_after}\n");
    alert->repeat_every_days = 7;
    alert->channels = xstrdup("ticketing.sdp webhook.oncall");
    alert->created_at = T0;
    alert->run_every = xstrdup("0 7 * * *");
}

/* Adds an alert with the fields of fill_alert() and returns its id. */
static int64_t add_alert(struct fixture *fx, const char *name, int64_t network_id)
{
    struct cs_alert alert;
    int64_t id;
    fill_alert(&alert, name, network_id);
    if (cs_store_alert_add(fx->store, &alert, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("alert_add(%s): %s", name, fx->err);
    id = alert.id;
    assert_true(id > 0);
    cs_alert_clear(&alert);
    return id;
}

static void seen_alert(const struct cs_alert *alert, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s@%s", alert->name,
             alert->network_name != NULL ? alert->network_name : "*");
    seen->ids[seen->n++] = alert->id;
}

/* Puts a new ticket of (channel, key), open and opened at `at`; returns its
 * id. */
static int64_t open_ticket(struct fixture *fx, const char *channel, const char *key, time_t at)
{
    struct cs_ticket_row row = {0};
    row.channel = (char *)channel;
    row.key = (char *)key;
    row.remote_id = (char *)"r-1";
    row.remote_number = (char *)"INC-1";
    row.state = CS_TICKET_OPEN;
    row.opened_at = at;
    row.updated_at = at;
    if (cs_store_ticket_put(fx->store, &row, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("ticket_put(%s, %s): %s", channel, key, fx->err);
    assert_true(row.id > 0);
    return row.id;
}

/* Closes the ticket of (channel, key) at `at`, through get and put. */
static void close_ticket(struct fixture *fx, const char *channel, const char *key, time_t at)
{
    struct cs_ticket_row row;
    ASSERT_OK(fx, cs_store_ticket_get(fx->store, channel, key, &row, fx->err, sizeof(fx->err)));
    row.state = CS_TICKET_CLOSED;
    row.updated_at = at;
    row.closed_at = at;
    ASSERT_OK(fx, cs_store_ticket_put(fx->store, &row, fx->err, sizeof(fx->err)));
    cs_ticket_row_clear(&row);
}

static void seen_ticket(const struct cs_ticket_row *row, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    assert_int_equal(row->state, CS_TICKET_OPEN);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s %s", row->channel, row->key);
    seen->ids[seen->n++] = row->id;
}

static struct seen list_open_tickets(struct fixture *fx, const char *channel, const char *prefix)
{
    struct seen seen = {0};
    if (cs_store_ticket_list_open(fx->store, channel, prefix, seen_ticket, &seen, fx->err,
                                  sizeof(fx->err)) != CS_OK)
        fail_msg("ticket_list_open: %s", fx->err);
    return seen;
}

/* A list of findings of the given check ids, each with the detail
 * "<id> detail". Release with cs_findings_clear(). */
static struct cs_findings findings_of(const char *const *ids, size_t n)
{
    struct cs_findings list = {0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cs_findings_add(&list, ids[i], "%s detail", ids[i]), CS_OK);
    return list;
}

/* What cs_store_findings_sync reported, as "id:change" words in order. */
struct changes {
    int n;
    char what[16][48];
};

static void seen_change(const struct cs_finding_row *row, enum cs_finding_change change, void *arg)
{
    static const char *const names[] = {"new", "reopened", "seen", "fixed"};
    struct changes *c = arg;
    assert_true(c->n < 16);
    snprintf(c->what[c->n++], sizeof(c->what[0]), "%s:%s", row->check_id, names[change]);
}

/* Records that a scan of endpoint ep at `now` (job 0) found ids, every
 * check having run; returns what changed. */
static struct changes sync_findings(struct fixture *fx, int64_t ep, time_t now,
                                    const char *const *ids, size_t n)
{
    struct cs_findings found = findings_of(ids, n);
    struct changes changes = {0};
    struct cs_findings_sync sync = {
        .endpoint_id = ep, .found = &found, .now = now, .on_change = seen_change, .arg = &changes};
    if (cs_store_findings_sync(fx->store, &sync, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("findings_sync(%" PRId64 "): %s", ep, fx->err);
    cs_findings_clear(&found);
    return changes;
}

/* A listing of findings, as "ip:port/sni id severity" strings and ids. */
static void seen_finding(const struct cs_finding_row *row, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s:%u/%s %s %s%s", row->ip, row->port,
             row->sni, row->check_id, cs_severity_name(row->severity),
             row->fixed_at != 0 ? " fixed" : "");
    seen->ids[seen->n++] = row->id;
}

static struct seen list_findings(struct fixture *fx, int64_t network_id, int64_t endpoint_id,
                                 enum cs_severity min, bool include_fixed)
{
    struct cs_finding_filter filter = {network_id, endpoint_id, min, include_fixed};
    struct seen seen = {0};
    if (cs_store_finding_list(fx->store, &filter, seen_finding, &seen, fx->err, sizeof(fx->err)) !=
        CS_OK)
        fail_msg("finding_list: %s", fx->err);
    return seen;
}

/* The one finding of check_id on endpoint ep, open or fixed; fails when
 * there is none. Release with cs_finding_row_clear(). */
struct finding_pick {
    const char *check_id;
    struct cs_finding_row row;
    int matches;
};

static void pick_finding(const struct cs_finding_row *row, void *arg)
{
    struct finding_pick *pick = arg;
    if (strcmp(row->check_id, pick->check_id) != 0 || pick->matches++ > 0)
        return;
    pick->row = *row;
    pick->row.check_id = xstrdup(row->check_id);
    pick->row.title = xstrdup(row->title);
    pick->row.detail = xstrdup(row->detail);
    pick->row.cve = row->cve != NULL ? xstrdup(row->cve) : NULL;
    pick->row.cert_sha256 = row->cert_sha256 != NULL ? xstrdup(row->cert_sha256) : NULL;
    pick->row.network_name = xstrdup(row->network_name);
    pick->row.sni = xstrdup(row->sni);
}

static struct cs_finding_row get_finding(struct fixture *fx, int64_t ep, const char *check_id)
{
    struct cs_finding_filter filter = {.endpoint_id = ep, .include_fixed = true};
    struct finding_pick pick = {.check_id = check_id};
    ASSERT_OK(fx, cs_store_finding_list(fx->store, &filter, pick_finding, &pick, fx->err,
                                        sizeof(fx->err)));
    if (pick.matches != 1)
        fail_msg("endpoint %" PRId64 " has %d findings %s, want 1", ep, pick.matches, check_id);
    return pick.row;
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
    assert_string_equal(net.webhooks, "oncall");
    assert_string_equal(net.tickets, "sdp jira");
    assert_true(net.revocation);
    assert_string_equal(net.discover_every, "1d");
    assert_string_equal(net.monitor_every, "*/30 * * * *");
    assert_string_equal(net.vulnscan_every, "0 3 * * sun");
    assert_string_equal(net.quiet_hours, "mon-fri 08:00-18:00");
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

static void test_network_webhooks_round_trip_and_default_to_empty(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;
    struct seen seen = {0};

    /* NULL is stored as "", and read back as "". */
    fill_network(&net, "quiet");
    free(net.webhooks);
    net.webhooks = NULL;
    free(net.tickets);
    net.tickets = NULL;
    ASSERT_OK(fx, cs_store_network_add(fx->store, &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    ASSERT_OK(fx, cs_store_network_get(fx->store, "quiet", &net, fx->err, sizeof(fx->err)));
    assert_non_null(net.webhooks);
    assert_string_equal(net.webhooks, "");
    assert_non_null(net.tickets);
    assert_string_equal(net.tickets, "");

    /* update writes them... */
    free(net.webhooks);
    net.webhooks = xstrdup("oncall chat");
    ASSERT_OK(fx, cs_store_network_update(fx->store, &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    ASSERT_OK(fx, cs_store_network_get(fx->store, "quiet", &net, fx->err, sizeof(fx->err)));
    assert_string_equal(net.webhooks, "oncall chat");

    /* ...and clears them with NULL. */
    free(net.webhooks);
    net.webhooks = NULL;
    ASSERT_OK(fx, cs_store_network_update(fx->store, &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    assert_int_equal(count_rows(fx, "networks WHERE webhooks = ''"), 1);

    /* list reads them too. */
    add_network(fx, "loud");
    ASSERT_OK(fx, cs_store_network_get(fx->store, "loud", &net, fx->err, sizeof(fx->err)));
    free(net.webhooks);
    net.webhooks = xstrdup("chat");
    ASSERT_OK(fx, cs_store_network_update(fx->store, &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    ASSERT_OK(fx, cs_store_network_list(fx->store, seen_network_webhooks, &seen, fx->err,
                                        sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "loud=chat");
    assert_string_equal(seen.what[1], "quiet=");
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

/* ---- the outbox ----------------------------------------------------------- */

static void test_outbox_add_then_get_returns_every_field(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_DISCOVERY};
    struct cs_outbox_row got;
    int64_t id;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    id = add_message(fx, "job-1-email", job.id, T0);
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, id);
    assert_string_equal(got.idem_key, "job-1-email");
    assert_string_equal(got.channel, "email");
    assert_string_equal(got.kind, "expiry");
    assert_int_equal(got.job_id, job.id);
    assert_string_equal(got.payload, "{\"to\":[\"pki@example.com\"]}");
    assert_int_equal(got.state, CS_OUTBOX_PENDING);
    assert_int_equal(got.attempts, 0);
    assert_int_equal(got.created_at, T0);
    assert_int_equal(got.next_attempt_at, T0);
    assert_int_equal(got.last_attempt_at, 0);
    assert_int_equal(got.sent_at, 0);
    assert_string_equal(got.last_error, "");
    cs_outbox_row_clear(&got);

    /* A message of no job. */
    id = add_message(fx, "alert-1-aaaa-2026-01-01", 0, T0);
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.job_id, 0);
    cs_outbox_row_clear(&got);
    assert_string_equal(cs_outbox_state_name(CS_OUTBOX_PENDING), "pending");
    assert_string_equal(cs_outbox_state_name(CS_OUTBOX_SENT), "sent");
    assert_string_equal(cs_outbox_state_name(CS_OUTBOX_FAILED), "failed");
}

static void test_outbox_add_of_a_queued_key_gives_its_id_and_adds_nothing(void **state)
{
    struct fixture *fx = *state;
    struct cs_outbox_row again = {0}, got;
    int64_t id = add_message(fx, "job-7-email", 0, T0);

    add_message(fx, "job-8-email", 0, T0);
    again.idem_key = (char *)"job-7-email";
    again.channel = (char *)"syslog";
    again.kind = (char *)"discovery";
    again.payload = (char *)"{}";
    again.created_at = again.next_attempt_at = T0 + DAY;
    ASSERT_OK(fx, cs_store_outbox_add(fx->store, &again, fx->err, sizeof(fx->err)));
    assert_int_equal(again.id, id);
    assert_int_equal(count_rows(fx, "outbox"), 2);

    /* The first message is untouched. */
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.channel, "email");
    assert_int_equal(got.created_at, T0);
    cs_outbox_row_clear(&got);
}

static void test_outbox_add_of_a_queued_key_in_a_transaction_gives_its_id(void **state)
{
    struct fixture *fx = *state;
    int64_t id;

    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    id = add_message(fx, "job-7-email", 0, T0);
    assert_int_equal(add_message(fx, "job-7-email", 0, T0), id);
    ASSERT_OK(fx, cs_store_commit(fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "outbox"), 1);
}

static void test_outbox_list_filters_by_state_due_and_limit(void **state)
{
    struct fixture *fx = *state;
    int64_t m1 = add_message(fx, "m1", 0, T0);
    int64_t m2 = add_message(fx, "m2", 0, T0 + 10);
    int64_t m3 = add_message(fx, "m3", 0, T0 + 20);
    int64_t m4 = add_message(fx, "m4", 0, T0 + 30);
    struct seen seen;

    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, m3, 0, CS_OUTBOX_SENT, 0, T0 + 25, "", fx->err,
                                         sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, m4, 0, CS_OUTBOX_FAILED, 0, 0, "refused",
                                         fx->err, sizeof(fx->err)));

    /* Everything, oldest first. */
    seen = list_messages(fx, 0, 0, 0);
    assert_int_equal(seen.n, 4);
    assert_int_equal(seen.ids[0], m1);
    assert_int_equal(seen.ids[1], m2);
    assert_int_equal(seen.ids[2], m3);
    assert_int_equal(seen.ids[3], m4);

    seen = list_messages(fx, CS_OUTBOX_PENDING + 1, 0, 0);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ids[0], m1);
    assert_int_equal(seen.ids[1], m2);
    seen = list_messages(fx, CS_OUTBOX_SENT + 1, 0, 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], m3);
    seen = list_messages(fx, CS_OUTBOX_FAILED + 1, 0, 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], m4);

    /* Due: pending and next_attempt_at <= due, the bound included. */
    seen = list_messages(fx, 0, T0 + 9, 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], m1);
    seen = list_messages(fx, 0, T0 + 10, 0);
    assert_int_equal(seen.n, 2);
    seen = list_messages(fx, 0, T0 + DAY, 0);
    assert_int_equal(seen.n, 2);
    seen = list_messages(fx, 0, T0 - 1, 0);
    assert_int_equal(seen.n, 0);

    seen = list_messages(fx, 0, 0, 3);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.ids[2], m3);
    seen = list_messages(fx, CS_OUTBOX_PENDING + 1, T0 + DAY, 1);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], m1);
}

static void test_outbox_claim_succeeds_once(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0);
    struct cs_store *other = NULL;
    struct cs_outbox_row got;

    /* Two processes see the message due; the first claim takes it. */
    ASSERT_OK(fx, cs_store_open(fx->location, &other, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_claim(fx->store, id, T0 + 5, T0 + 605,
                                        "attempt started 2026-01-01T00:00:05Z did not finish",
                                        fx->err, sizeof(fx->err)));
    assert_int_equal(
        cs_store_outbox_claim(other, id, T0 + 5, T0 + 605, "other", fx->err, sizeof(fx->err)),
        CS_ERR_BUSY);
    assert_int_equal(
        cs_store_outbox_claim(fx->store, id, T0 + 5, T0 + 605, "again", fx->err, sizeof(fx->err)),
        CS_ERR_BUSY);
    cs_store_close(&other);

    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_PENDING);
    assert_int_equal(got.attempts, 1);
    assert_int_equal(got.last_attempt_at, T0 + 5);
    assert_int_equal(got.next_attempt_at, T0 + 605);
    assert_string_equal(got.last_error, "attempt started 2026-01-01T00:00:05Z did not finish");
    cs_outbox_row_clear(&got);
}

/*
 * Processes that claim the same message at the same moment, each with its
 * own store: exactly one gets it. They start together when the pipe they
 * all wait on is closed.
 */
static void test_outbox_claim_race_between_processes_has_one_winner(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0);
    enum { RACERS = 4 };
    pid_t pids[RACERS];
    int gate[2], won = 0, lost = 0, status;
    struct cs_outbox_row got;

    assert_int_equal(pipe(gate), 0);
    for (int i = 0; i < RACERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct cs_store *s = NULL;
            char err[CS_ERRLEN], c;
            enum cs_rc rc;
            close(gate[1]);
            if (cs_store_open(fx->location, &s, err, sizeof(err)) != CS_OK)
                _exit(3);
            if (read(gate[0], &c, 1) != 0)
                _exit(4);
            rc = cs_store_outbox_claim(s, id, T0 + 1, T0 + 601, "note", err, sizeof(err));
            cs_store_close(&s);
            _exit(rc == CS_OK ? 0 : rc == CS_ERR_BUSY ? 1 : 2);
        }
    }
    close(gate[0]);
    usleep(200 * 1000); /* let them all open their stores */
    close(gate[1]);
    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0)
            won++;
        else if (WEXITSTATUS(status) == 1)
            lost++;
        else
            fail_msg("racer %d exited with %d", i, WEXITSTATUS(status));
    }
    assert_int_equal(won, 1);
    assert_int_equal(lost, RACERS - 1);
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.attempts, 1);
    cs_outbox_row_clear(&got);
}

static void test_outbox_claimed_message_is_not_due_until_its_lease_ends(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0);
    struct cs_outbox_row got;

    ASSERT_OK(fx,
              cs_store_outbox_claim(fx->store, id, T0, T0 + 600, "note", fx->err, sizeof(fx->err)));
    assert_int_equal(list_messages(fx, 0, T0 + 599, 0).n, 0);
    assert_int_equal(
        cs_store_outbox_claim(fx->store, id, T0 + 599, T0 + 1199, "note", fx->err, sizeof(fx->err)),
        CS_ERR_BUSY);

    /* The lease ran out (the process died): the message is due again. */
    assert_int_equal(list_messages(fx, 0, T0 + 600, 0).n, 1);
    ASSERT_OK(fx, cs_store_outbox_claim(fx->store, id, T0 + 600, T0 + 1200, "note", fx->err,
                                        sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.attempts, 2);
    assert_int_equal(got.last_attempt_at, T0 + 600);
    cs_outbox_row_clear(&got);
}

static void test_outbox_claim_of_a_message_not_yet_due_is_busy(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0 + 60);
    struct cs_outbox_row got;

    assert_int_equal(
        cs_store_outbox_claim(fx->store, id, T0, T0 + 600, "note", fx->err, sizeof(fx->err)),
        CS_ERR_BUSY);
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.attempts, 0);
    assert_int_equal(got.next_attempt_at, T0 + 60);
    assert_string_equal(got.last_error, "");
    cs_outbox_row_clear(&got);
}

static void test_outbox_finish_records_sent_pending_and_failed(void **state)
{
    struct fixture *fx = *state;
    int64_t sent = add_message(fx, "sent", 0, T0);
    int64_t again = add_message(fx, "again", 0, T0);
    int64_t failed = add_message(fx, "failed", 0, T0);
    struct cs_outbox_row got;

    ASSERT_OK(
        fx, cs_store_outbox_claim(fx->store, sent, T0, T0 + 600, "note", fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, sent, 1, CS_OUTBOX_SENT, T0 + 999, T0 + 3, "",
                                         fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, sent, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_SENT);
    assert_int_equal(got.sent_at, T0 + 3);
    assert_string_equal(got.last_error, "");
    assert_int_equal(got.attempts, 1);
    assert_int_equal(got.next_attempt_at, T0 + 600); /* only pending sets it */
    cs_outbox_row_clear(&got);

    ASSERT_OK(fx, cs_store_outbox_claim(fx->store, again, T0, T0 + 600, "note", fx->err,
                                        sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, again, 1, CS_OUTBOX_PENDING, T0 + 60, T0 + 4,
                                         "smtp: 451 try later", fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, again, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_PENDING);
    assert_int_equal(got.next_attempt_at, T0 + 60);
    assert_int_equal(got.sent_at, 0); /* only sent sets it */
    assert_string_equal(got.last_error, "smtp: 451 try later");
    assert_int_equal(got.attempts, 1);
    cs_outbox_row_clear(&got);
    assert_int_equal(list_messages(fx, 0, T0 + 59, 0).n, 1); /* "failed" only */
    assert_int_equal(list_messages(fx, 0, T0 + 60, 0).n, 2);

    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, failed, 0, CS_OUTBOX_FAILED, T0 + 60, 0,
                                         "smtp: 550 no such user", fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, failed, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_FAILED);
    assert_int_equal(got.next_attempt_at, T0);
    assert_int_equal(got.sent_at, 0);
    assert_string_equal(got.last_error, "smtp: 550 no such user");
    cs_outbox_row_clear(&got);
    assert_int_equal(list_messages(fx, 0, T0 + DAY, 0).n, 1); /* a failed one is never due */
}

static void test_outbox_retry_of_a_failed_message_makes_it_due_with_no_attempts(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0);
    struct cs_outbox_row got;

    for (int i = 0; i < 3; i++)
        ASSERT_OK(fx, cs_store_outbox_claim(fx->store, id, T0 + i * 700, T0 + i * 700 + 600, "note",
                                            fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, id, 3, CS_OUTBOX_FAILED, 0, 0, "refused",
                                         fx->err, sizeof(fx->err)));

    ASSERT_OK(fx, cs_store_outbox_retry(fx->store, id, T0 + DAY, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_PENDING);
    assert_int_equal(got.attempts, 0);
    assert_int_equal(got.next_attempt_at, T0 + DAY);
    cs_outbox_row_clear(&got);
    assert_int_equal(list_messages(fx, CS_OUTBOX_PENDING + 1, T0 + DAY, 0).n, 1);
    ASSERT_OK(fx, cs_store_outbox_claim(fx->store, id, T0 + DAY, T0 + DAY + 600, "note", fx->err,
                                        sizeof(fx->err)));
}

static void test_outbox_retry_of_a_pending_message_makes_it_due_now(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0);
    struct cs_outbox_row got;

    ASSERT_OK(fx,
              cs_store_outbox_claim(fx->store, id, T0, T0 + 600, "note", fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, id, 1, CS_OUTBOX_PENDING, T0 + 3600, 0,
                                         "timeout", fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_retry(fx->store, id, T0 + 60, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_PENDING);
    assert_int_equal(got.attempts, 0);
    assert_int_equal(got.next_attempt_at, T0 + 60);
    cs_outbox_row_clear(&got);
}

static void test_outbox_finish_after_another_claim_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0);
    struct cs_outbox_row got;

    /* Process A claims, its lease runs out, process B claims and sends. */
    ASSERT_OK(fx,
              cs_store_outbox_claim(fx->store, id, T0, T0 + 600, "a", fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_claim(fx->store, id, T0 + 700, T0 + 1300, "b", fx->err,
                                        sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, id, 2, CS_OUTBOX_SENT, 0, T0 + 701, "", fx->err,
                                         sizeof(fx->err)));
    /* A's late result must not undo B's. */
    assert_int_equal(cs_store_outbox_finish(fx->store, id, 1, CS_OUTBOX_PENDING, T0 + 800, 0,
                                            "timeout", fx->err, sizeof(fx->err)),
                     CS_ERR_BUSY);
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_SENT);
    assert_string_equal(got.last_error, "");
    cs_outbox_row_clear(&got);
}

static void test_outbox_retry_of_a_sent_message_is_refused(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0);
    struct cs_outbox_row got;
    char expected[128];

    ASSERT_OK(fx, cs_store_outbox_finish(fx->store, id, 0, CS_OUTBOX_SENT, 0, T0 + 5, "", fx->err,
                                         sizeof(fx->err)));
    assert_int_equal(cs_store_outbox_retry(fx->store, id, T0 + DAY, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    snprintf(expected, sizeof(expected),
             "message %" PRId64 " was sent at 2026-01-01T00:00:05Z; nothing to retry", id);
    assert_string_equal(fx->err, expected);
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.state, CS_OUTBOX_SENT);
    cs_outbox_row_clear(&got);
}

static void test_outbox_unknown_id_is_not_found(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_message(fx, "m1", 0, T0) + 100;
    struct cs_outbox_row got;
    char expected[64];

    snprintf(expected, sizeof(expected), "no outbox message %" PRId64, id);
    assert_int_equal(cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_string_equal(fx->err, expected);
    assert_int_equal(cs_store_outbox_finish(fx->store, id, 0, CS_OUTBOX_SENT, 0, T0, "", fx->err,
                                            sizeof(fx->err)),
                     CS_ERR_BUSY);
    assert_int_equal(cs_store_outbox_retry(fx->store, id, T0, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_string_equal(fx->err, expected);
    /* A claim cannot tell an unknown message from one taken. */
    assert_int_equal(
        cs_store_outbox_claim(fx->store, id, T0, T0 + 600, "note", fx->err, sizeof(fx->err)),
        CS_ERR_BUSY);
}

static void test_outbox_keeps_messages_of_removed_jobs_without_their_job(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_DISCOVERY};
    struct cs_outbox_row got;
    int64_t id;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    id = add_message(fx, "job-1-email", job.id, T0);
    /* Jobs go with their network. */
    ASSERT_OK(fx, cs_store_network_remove(fx->store, "lab", fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "jobs"), 0);
    ASSERT_OK(fx, cs_store_outbox_get(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.job_id, 0);
    assert_string_equal(got.idem_key, "job-1-email");
    cs_outbox_row_clear(&got);
}

/* ---- alerts --------------------------------------------------------------- */

static void test_alert_add_then_get_returns_every_field(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t id = add_alert(fx, "lab-30", lab);
    struct cs_alert got;

    ASSERT_OK(fx, cs_store_alert_get(fx->store, "lab-30", &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, id);
    assert_string_equal(got.name, "lab-30");
    assert_int_equal(got.days, 30);
    assert_int_equal(got.network_id, lab);
    assert_string_equal(got.network_name, "lab");
    assert_string_equal(got.recipients, "pki@example.com ops@example.com");
    assert_true(got.syslog);
    assert_string_equal(got.subject, "SSL Certificate {cn} expiry");
    assert_string_equal(got.body, "{cn} expires on {not_after}\n");
    assert_int_equal(got.repeat_every_days, 7);
    assert_string_equal(got.channels, "ticketing.sdp webhook.oncall");
    assert_int_equal(got.created_at, T0);
    assert_int_equal(got.last_run_at, 0);
    assert_string_equal(got.run_every, "0 7 * * *");
    cs_alert_clear(&got);
}

static void test_alert_of_every_network_has_no_network(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert alert, got;

    fill_alert(&alert, "all", 0);
    alert.syslog = false;
    alert.repeat_every_days = 0;
    free(alert.recipients);
    alert.recipients = xstrdup("");
    ASSERT_OK(fx, cs_store_alert_add(fx->store, &alert, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_alert_get(fx->store, "all", &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, alert.id);
    assert_int_equal(got.network_id, 0);
    assert_null(got.network_name);
    assert_string_equal(got.recipients, "");
    assert_false(got.syslog);
    assert_int_equal(got.repeat_every_days, 0);
    cs_alert_clear(&got);
    cs_alert_clear(&alert);
    assert_int_equal(count_rows(fx, "alerts WHERE network_id IS NULL"), 1);
}

/* "name=channels", to check that listings read them. */
static void seen_alert_channels(const struct cs_alert *alert, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    assert_non_null(alert->channels);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s=%s", alert->name, alert->channels);
    seen->ids[seen->n++] = alert->id;
}

static void test_alert_channels_round_trip_and_default_to_empty(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert alert, got;
    struct seen seen = {0};

    add_alert(fx, "ticketed", 0);
    /* NULL is stored as "", and read back as "". */
    fill_alert(&alert, "mail-only", 0);
    free(alert.channels);
    alert.channels = NULL;
    ASSERT_OK(fx, cs_store_alert_add(fx->store, &alert, fx->err, sizeof(fx->err)));
    cs_alert_clear(&alert);
    assert_int_equal(count_rows(fx, "alerts WHERE channels = ''"), 1);

    ASSERT_OK(fx, cs_store_alert_get(fx->store, "mail-only", &got, fx->err, sizeof(fx->err)));
    assert_non_null(got.channels);
    assert_string_equal(got.channels, "");
    cs_alert_clear(&got);
    ASSERT_OK(fx, cs_store_alert_get(fx->store, "ticketed", &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.channels, "ticketing.sdp webhook.oncall");
    cs_alert_clear(&got);

    ASSERT_OK(fx,
              cs_store_alert_list(fx->store, seen_alert_channels, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "mail-only=");
    assert_string_equal(seen.what[1], "ticketed=ticketing.sdp webhook.oncall");
}

static void test_alert_list_is_ordered_by_name(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct seen seen = {0};

    add_alert(fx, "weekly", lab);
    add_alert(fx, "daily", 0);
    add_alert(fx, "monthly", lab);
    ASSERT_OK(fx, cs_store_alert_list(fx->store, seen_alert, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.what[0], "daily@*");
    assert_string_equal(seen.what[1], "monthly@lab");
    assert_string_equal(seen.what[2], "weekly@lab");
}

static void test_alert_duplicate_name_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert alert;

    add_alert(fx, "lab-30", 0);
    fill_alert(&alert, "lab-30", 0);
    alert.days = 7;
    assert_int_equal(cs_store_alert_add(fx->store, &alert, fx->err, sizeof(fx->err)), CS_ERR_USAGE);
    assert_string_equal(fx->err, "an alert named 'lab-30' exists already");
    cs_alert_clear(&alert);
    assert_int_equal(count_rows(fx, "alerts"), 1);

    /* Refused without spoiling the caller's transaction. */
    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    fill_alert(&alert, "lab-30", 0);
    assert_int_equal(cs_store_alert_add(fx->store, &alert, fx->err, sizeof(fx->err)), CS_ERR_USAGE);
    cs_alert_clear(&alert);
    add_alert(fx, "lab-7", 0);
    ASSERT_OK(fx, cs_store_commit(fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "alerts"), 2);
}

static void test_alert_unknown_name_is_not_found(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert got;

    add_alert(fx, "lab-30", 0);
    assert_int_equal(cs_store_alert_get(fx->store, "nope", &got, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_string_equal(fx->err, "no alert named 'nope'");
    assert_int_equal(cs_store_alert_remove(fx->store, "nope", fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_string_equal(fx->err, "no alert named 'nope'");
    assert_int_equal(count_rows(fx, "alerts"), 1);
}

static void test_alert_remove_takes_its_reports(void **state)
{
    struct fixture *fx = *state;
    int64_t keep = add_alert(fx, "keep", 0);
    int64_t gone = add_alert(fx, "gone", 0);
    struct cs_alert got;
    struct seen seen = {0};
    time_t at;

    ASSERT_OK(fx,
              cs_store_alert_reported_mark(fx->store, keep, "aa", T0, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx,
              cs_store_alert_reported_mark(fx->store, gone, "aa", T0, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_alert_remove(fx->store, "gone", fx->err, sizeof(fx->err)));
    assert_int_equal(cs_store_alert_get(fx->store, "gone", &got, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    ASSERT_OK(fx, cs_store_alert_list(fx->store, seen_alert, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], keep);
    assert_int_equal(count_rows(fx, "alert_reports"), 1);
    ASSERT_OK(fx,
              cs_store_alert_reported_get(fx->store, keep, "aa", &at, fx->err, sizeof(fx->err)));
    assert_int_equal(at, T0);
}

static void test_alert_ran_records_the_last_run(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_alert(fx, "lab-30", 0);
    struct cs_alert got;

    ASSERT_OK(fx, cs_store_alert_ran(fx->store, id, T0 + DAY, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_alert_ran(fx->store, id, T0 + 2 * DAY, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_alert_get(fx->store, "lab-30", &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.last_run_at, T0 + 2 * DAY);
    assert_int_equal(got.created_at, T0);
    cs_alert_clear(&got);
    assert_int_equal(cs_store_alert_ran(fx->store, id + 100, T0, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
}

static void test_network_remove_takes_its_alerts(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    int64_t lab_alert = add_alert(fx, "lab-30", lab);
    struct seen seen = {0};

    add_alert(fx, "dmz-30", dmz);
    add_alert(fx, "all-30", 0);
    ASSERT_OK(
        fx, cs_store_alert_reported_mark(fx->store, lab_alert, "aa", T0, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_network_remove(fx->store, "lab", fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_alert_list(fx->store, seen_alert, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "all-30@*");
    assert_string_equal(seen.what[1], "dmz-30@dmz");
    assert_int_equal(count_rows(fx, "alert_reports"), 0);
}

static void test_alert_reported_get_is_zero_until_marked_and_mark_updates(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_alert(fx, "a", 0);
    int64_t b = add_alert(fx, "b", 0);
    char sha[65] = "";
    time_t at = 1;

    memset(sha, 'a', 64);
    ASSERT_OK(fx, cs_store_alert_reported_get(fx->store, a, sha, &at, fx->err, sizeof(fx->err)));
    assert_int_equal(at, 0);

    ASSERT_OK(fx, cs_store_alert_reported_mark(fx->store, a, sha, T0, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_alert_reported_get(fx->store, a, sha, &at, fx->err, sizeof(fx->err)));
    assert_int_equal(at, T0);
    ASSERT_OK(fx, cs_store_alert_reported_mark(fx->store, a, sha, T0 + 7 * DAY, fx->err,
                                               sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_alert_reported_get(fx->store, a, sha, &at, fx->err, sizeof(fx->err)));
    assert_int_equal(at, T0 + 7 * DAY);
    assert_int_equal(count_rows(fx, "alert_reports"), 1);

    /* Per alert and per certificate. */
    ASSERT_OK(fx, cs_store_alert_reported_get(fx->store, b, sha, &at, fx->err, sizeof(fx->err)));
    assert_int_equal(at, 0);
    sha[0] = 'b';
    ASSERT_OK(fx, cs_store_alert_reported_get(fx->store, a, sha, &at, fx->err, sizeof(fx->err)));
    assert_int_equal(at, 0);
}

/* ---- tickets -------------------------------------------------------------- */

static void test_ticket_put_then_get_returns_every_field(void **state)
{
    struct fixture *fx = *state;
    struct cs_ticket_row row = {0}, got;

    row.channel = (char *)"ticketing.sdp";
    row.key = (char *)"alert:expiry30:aa";
    row.remote_id = (char *)"90210";
    row.remote_number = (char *)"REQ-17";
    row.state = CS_TICKET_OPEN;
    row.opened_at = T0;
    row.updated_at = T0 + 60;
    ASSERT_OK(fx, cs_store_ticket_put(fx->store, &row, fx->err, sizeof(fx->err)));
    assert_true(row.id > 0);

    ASSERT_OK(fx, cs_store_ticket_get(fx->store, "ticketing.sdp", "alert:expiry30:aa", &got,
                                      fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, row.id);
    assert_string_equal(got.channel, "ticketing.sdp");
    assert_string_equal(got.key, "alert:expiry30:aa");
    assert_string_equal(got.remote_id, "90210");
    assert_string_equal(got.remote_number, "REQ-17");
    assert_int_equal(got.state, CS_TICKET_OPEN);
    assert_int_equal(got.opened_at, T0);
    assert_int_equal(got.updated_at, T0 + 60);
    assert_int_equal(got.closed_at, 0);
    cs_ticket_row_clear(&got);

    /* An update by id writes the state, remote ids and times. */
    row.remote_id = (char *)"90211";
    row.remote_number = (char *)"REQ-18";
    row.state = CS_TICKET_CLOSED;
    row.updated_at = T0 + DAY;
    row.closed_at = T0 + DAY + 1;
    ASSERT_OK(fx, cs_store_ticket_put(fx->store, &row, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_ticket_get(fx->store, "ticketing.sdp", "alert:expiry30:aa", &got,
                                      fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, row.id);
    assert_string_equal(got.remote_id, "90211");
    assert_string_equal(got.remote_number, "REQ-18");
    assert_int_equal(got.state, CS_TICKET_CLOSED);
    assert_int_equal(got.opened_at, T0);
    assert_int_equal(got.updated_at, T0 + DAY);
    assert_int_equal(got.closed_at, T0 + DAY + 1);
    cs_ticket_row_clear(&got);
    assert_int_equal(count_rows(fx, "tickets"), 1);
}

/* Times of 0 are settled and written back: a new ticket is opened and
 * updated now, a ticket closed without a time was closed when last updated,
 * and an open one has no closed_at. remote_number may be left NULL. */
static void test_ticket_put_settles_zero_times(void **state)
{
    struct fixture *fx = *state;
    struct cs_ticket_row row = {0}, got;
    time_t before = time(NULL);

    row.channel = (char *)"ticketing.jira";
    row.key = (char *)"k";
    row.remote_id = (char *)"10001";
    row.state = CS_TICKET_OPEN;
    row.closed_at = T0; /* not closed: dropped */
    ASSERT_OK(fx, cs_store_ticket_put(fx->store, &row, fx->err, sizeof(fx->err)));
    assert_true(row.opened_at >= before && row.opened_at <= time(NULL));
    assert_int_equal(row.updated_at, row.opened_at);
    assert_int_equal(row.closed_at, 0);
    ASSERT_OK(
        fx, cs_store_ticket_get(fx->store, "ticketing.jira", "k", &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.opened_at, row.opened_at);
    assert_int_equal(got.updated_at, row.opened_at);
    assert_int_equal(got.closed_at, 0);
    assert_string_equal(got.remote_number, "");
    cs_ticket_row_clear(&got);

    row.state = CS_TICKET_CLOSED;
    row.updated_at = T0 + 2 * DAY;
    row.closed_at = 0;
    ASSERT_OK(fx, cs_store_ticket_put(fx->store, &row, fx->err, sizeof(fx->err)));
    assert_int_equal(row.closed_at, T0 + 2 * DAY);
    ASSERT_OK(
        fx, cs_store_ticket_get(fx->store, "ticketing.jira", "k", &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.closed_at, T0 + 2 * DAY);
    cs_ticket_row_clear(&got);
}

static void test_ticket_get_returns_the_newest_row_after_a_close_and_a_new_open(void **state)
{
    struct fixture *fx = *state;
    struct cs_ticket_row got;
    int64_t first, second;

    first = open_ticket(fx, "ticketing.sdp", "alert:expiry30:aa", T0);
    close_ticket(fx, "ticketing.sdp", "alert:expiry30:aa", T0 + DAY);
    /* The problem comes back: a new ticket, the old row stays as history. */
    second = open_ticket(fx, "ticketing.sdp", "alert:expiry30:aa", T0 + 5 * DAY);
    assert_true(second > first);
    assert_int_equal(count_rows(fx, "tickets"), 2);

    ASSERT_OK(fx, cs_store_ticket_get(fx->store, "ticketing.sdp", "alert:expiry30:aa", &got,
                                      fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, second);
    assert_int_equal(got.state, CS_TICKET_OPEN);
    assert_int_equal(got.opened_at, T0 + 5 * DAY);
    assert_int_equal(got.closed_at, 0);
    cs_ticket_row_clear(&got);

    /* The newest row wins even when it is the closed one. */
    close_ticket(fx, "ticketing.sdp", "alert:expiry30:aa", T0 + 6 * DAY);
    ASSERT_OK(fx, cs_store_ticket_get(fx->store, "ticketing.sdp", "alert:expiry30:aa", &got,
                                      fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, second);
    assert_int_equal(got.state, CS_TICKET_CLOSED);
    cs_ticket_row_clear(&got);
}

static void test_ticket_get_of_an_unknown_key_is_not_found(void **state)
{
    struct fixture *fx = *state;
    struct cs_ticket_row got;

    open_ticket(fx, "ticketing.sdp", "alert:expiry30:aa", T0);
    assert_int_equal(cs_store_ticket_get(fx->store, "ticketing.sdp", "alert:expiry30:bb", &got,
                                         fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_string_equal(fx->err, "no ticket for alert:expiry30:bb in ticketing.sdp");
    /* Per channel. */
    assert_int_equal(cs_store_ticket_get(fx->store, "ticketing.jira", "alert:expiry30:aa", &got,
                                         fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_string_equal(fx->err, "no ticket for alert:expiry30:aa in ticketing.jira");
}

static void test_ticket_update_of_an_unknown_id_is_not_found(void **state)
{
    struct fixture *fx = *state;
    struct cs_ticket_row row = {0};
    int64_t id = open_ticket(fx, "ticketing.sdp", "k", T0);

    row.id = id + 100;
    row.channel = (char *)"ticketing.sdp";
    row.key = (char *)"k";
    row.remote_id = (char *)"r-2";
    row.state = CS_TICKET_CLOSED;
    assert_int_equal(cs_store_ticket_put(fx->store, &row, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_non_null(strstr(fx->err, "no ticket"));
    assert_int_equal(count_rows(fx, "tickets"), 1);
    assert_int_equal(count_rows(fx, "tickets WHERE state = 'open'"), 1);
}

/*
 * The prefix is a prefix, not a LIKE pattern: '_' in "expiry_30" would
 * match the 'X' of "expiryX30", and '%' in "100%" would match anything.
 */
static void test_ticket_list_open_filters_by_channel_and_prefix(void **state)
{
    struct fixture *fx = *state;
    struct seen seen;
    int64_t a = open_ticket(fx, "ticketing.sdp", "alert:expiry_30:aa", T0);
    int64_t b = open_ticket(fx, "ticketing.sdp", "alert:expiryX30:bb", T0);
    int64_t c = open_ticket(fx, "ticketing.jira", "alert:expiry_30:cc", T0);
    int64_t d = open_ticket(fx, "ticketing.sdp", "job:100%:dd", T0);
    int64_t e = open_ticket(fx, "ticketing.sdp", "job:100abc:ee", T0);

    open_ticket(fx, "ticketing.sdp", "alert:expiry_30:closed", T0);
    close_ticket(fx, "ticketing.sdp", "alert:expiry_30:closed", T0 + DAY);

    /* Every channel, every key: open ones only, oldest first. */
    seen = list_open_tickets(fx, NULL, NULL);
    assert_int_equal(seen.n, 5);
    assert_int_equal(seen.ids[0], a);
    assert_int_equal(seen.ids[1], b);
    assert_int_equal(seen.ids[2], c);
    assert_int_equal(seen.ids[3], d);
    assert_int_equal(seen.ids[4], e);
    assert_int_equal(list_open_tickets(fx, NULL, "").n, 5);

    seen = list_open_tickets(fx, "ticketing.sdp", "alert:expiry_30:");
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "ticketing.sdp alert:expiry_30:aa");

    seen = list_open_tickets(fx, NULL, "alert:expiry_30:");
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ids[0], a);
    assert_int_equal(seen.ids[1], c);

    seen = list_open_tickets(fx, "ticketing.sdp", "job:100%");
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], d);

    seen = list_open_tickets(fx, "ticketing.jira", NULL);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], c);

    /* A whole key is its own prefix; a longer one matches nothing. */
    seen = list_open_tickets(fx, "ticketing.sdp", "job:100abc:ee");
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], e);
    assert_int_equal(list_open_tickets(fx, "ticketing.sdp", "job:100abc:eee").n, 0);
    assert_int_equal(list_open_tickets(fx, "ticketing.none", NULL).n, 0);
}

/* ---- findings ------------------------------------------------------------- */

static void test_job_of_kind_vulnscan_round_trips(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_VULNSCAN};
    struct cs_job got;
    enum cs_job_kind kind;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_get(fx->store, job.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.kind, CS_JOB_VULNSCAN);
    cs_job_clear(&got);
    assert_string_equal(cs_job_kind_name(CS_JOB_VULNSCAN), "vulnscan");
    assert_true(cs_job_kind_parse("vulnscan", &kind));
    assert_int_equal(kind, CS_JOB_VULNSCAN);
    assert_false(cs_job_kind_parse("vuln", &kind));
}

/* A finding never seen on the endpoint is new: every field is stored, and
 * first_seen and last_seen are both the time of the scan. */
static void test_findings_sync_records_a_new_finding_with_every_field(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_VULNSCAN};
    int64_t ep = put_endpoint(fx, lab, "192.0.2.1", 443, "www.example", CS_STATUS_CERTIFICATE_FOUND,
                              NULL, false);
    struct cs_findings found = {0};
    struct changes changes = {0};
    struct cs_finding_row got;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    assert_int_equal(cs_findings_add(&found, "heartbleed", "leaked %d bytes", 16384), CS_OK);
    assert_int_equal(cs_findings_add(&found, "tls1_0", "%s", ""), CS_OK);
    struct cs_findings_sync sync = {
        .endpoint_id = ep,
        .job_id = job.id,
        .cert_sha256 = "abababababababababababababababababababababababababababababababab",
        .found = &found,
        .now = T0,
        .on_change = seen_change,
        .arg = &changes,
    };
    ASSERT_OK(fx, cs_store_findings_sync(fx->store, &sync, fx->err, sizeof(fx->err)));
    cs_findings_clear(&found);
    assert_int_equal(changes.n, 2);
    assert_string_equal(changes.what[0], "heartbleed:new");
    assert_string_equal(changes.what[1], "tls1_0:new");

    got = get_finding(fx, ep, "heartbleed");
    assert_true(got.id > 0);
    assert_int_equal(got.endpoint_id, ep);
    assert_int_equal(got.severity, CS_SEVERITY_CRITICAL);
    assert_string_equal(got.title, cs_check_find("heartbleed")->title);
    assert_string_equal(got.detail, "leaked 16384 bytes");
    assert_string_equal(got.cve, "CVE-2014-0160");
    assert_string_equal(got.cert_sha256,
                        "abababababababababababababababababababababababababababababababab");
    assert_int_equal(got.first_seen, T0);
    assert_int_equal(got.last_seen, T0);
    assert_int_equal(got.fixed_at, 0);
    assert_int_equal(got.job_id, job.id);
    assert_int_equal(got.network_id, lab);
    assert_string_equal(got.network_name, "lab");
    assert_string_equal(got.ip, "192.0.2.1");
    assert_int_equal(got.port, 443);
    assert_string_equal(got.sni, "www.example");
    cs_finding_row_clear(&got);

    /* No CVE is NULL, an empty detail is "". */
    got = get_finding(fx, ep, "tls1_0");
    assert_null(got.cve);
    assert_non_null(got.detail);
    assert_string_equal(got.detail, "");
    cs_finding_row_clear(&got);
    assert_int_equal(count_rows(fx, "findings"), 2);
}

/* A finding seen again keeps its row and first_seen; last_seen, the job,
 * the detail and the certificate are those of the latest scan. */
static void test_findings_seen_again_keep_first_seen_and_move_last_seen(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t ep =
        put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    struct cs_job j1 = {.network_id = lab, .kind = CS_JOB_VULNSCAN};
    struct cs_job j2 = {.network_id = lab, .kind = CS_JOB_VULNSCAN};
    struct cs_findings found = {0};
    struct changes changes = {0};
    struct cs_finding_row first, got;
    static const char *const ids[] = {"self_signed"};

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &j1, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &j2, fx->err, sizeof(fx->err)));
    found = findings_of(ids, 1);
    struct cs_findings_sync sync = {
        .endpoint_id = ep, .job_id = j1.id, .cert_sha256 = "aa", .found = &found, .now = T0};
    ASSERT_OK(fx, cs_store_findings_sync(fx->store, &sync, fx->err, sizeof(fx->err)));
    first = get_finding(fx, ep, "self_signed");

    free(found.items[0].detail);
    found.items[0].detail = xstrdup("now with another key");
    sync.job_id = j2.id;
    sync.cert_sha256 = "bb";
    sync.now = T0 + DAY;
    sync.on_change = seen_change;
    sync.arg = &changes;
    ASSERT_OK(fx, cs_store_findings_sync(fx->store, &sync, fx->err, sizeof(fx->err)));
    cs_findings_clear(&found);
    assert_int_equal(changes.n, 1);
    assert_string_equal(changes.what[0], "self_signed:seen");

    got = get_finding(fx, ep, "self_signed");
    assert_int_equal(got.id, first.id);
    assert_int_equal(got.first_seen, T0);
    assert_int_equal(got.last_seen, T0 + DAY);
    assert_int_equal(got.fixed_at, 0);
    assert_int_equal(got.job_id, j2.id);
    assert_string_equal(got.detail, "now with another key");
    assert_string_equal(got.cert_sha256, "bb");
    cs_finding_row_clear(&got);
    cs_finding_row_clear(&first);
    assert_int_equal(count_rows(fx, "findings"), 1);
}

/* A finding the next scan does not find is fixed then, and keeps what it
 * was; one that comes back is open again, reported as reopened, with its
 * first sighting kept. */
static void test_findings_gone_are_fixed_and_back_are_reopened(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t ep =
        put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    static const char *const both[] = {"tls1_0", "self_signed"};
    static const char *const one[] = {"tls1_0"};
    struct changes changes;
    struct cs_finding_row got;

    sync_findings(fx, ep, T0, both, 2);
    changes = sync_findings(fx, ep, T0 + DAY, one, 1);
    assert_int_equal(changes.n, 2);
    assert_string_equal(changes.what[0], "tls1_0:seen");
    assert_string_equal(changes.what[1], "self_signed:fixed");
    got = get_finding(fx, ep, "self_signed");
    assert_int_equal(got.fixed_at, T0 + DAY);
    assert_int_equal(got.first_seen, T0);
    assert_int_equal(got.last_seen, T0);
    cs_finding_row_clear(&got);

    /* Fixed stays fixed, at the time it was fixed. */
    changes = sync_findings(fx, ep, T0 + 2 * DAY, one, 1);
    assert_int_equal(changes.n, 1);
    got = get_finding(fx, ep, "self_signed");
    assert_int_equal(got.fixed_at, T0 + DAY);
    cs_finding_row_clear(&got);

    changes = sync_findings(fx, ep, T0 + 3 * DAY, both, 2);
    assert_int_equal(changes.n, 2);
    assert_string_equal(changes.what[0], "tls1_0:seen");
    assert_string_equal(changes.what[1], "self_signed:reopened");
    got = get_finding(fx, ep, "self_signed");
    assert_int_equal(got.fixed_at, 0);
    assert_int_equal(got.first_seen, T0);
    assert_int_equal(got.last_seen, T0 + 3 * DAY);
    cs_finding_row_clear(&got);

    /* Nothing found: everything is fixed. */
    changes = sync_findings(fx, ep, T0 + 4 * DAY, NULL, 0);
    assert_int_equal(changes.n, 2);
    assert_int_equal(list_findings(fx, 0, ep, CS_SEVERITY_INFO, false).n, 0);
    assert_int_equal(list_findings(fx, 0, ep, CS_SEVERITY_INFO, true).n, 2);
}

static bool only_protocols(const char *check_id, void *arg)
{
    return strcmp(check_id, "tls1_0") == 0 || strcmp(check_id, "tls1_1") == 0;
}

/* A scan that did not look for a check leaves that check's findings open. */
static void test_findings_sync_fixes_only_what_was_looked_for(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t ep =
        put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    int64_t other =
        put_endpoint(fx, lab, "192.0.2.2", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    static const char *const three[] = {"tls1_0", "tls1_1", "expired"};
    struct cs_findings none = {0};
    struct changes changes = {0};
    struct seen seen;

    sync_findings(fx, ep, T0, three, 3);
    sync_findings(fx, other, T0, three, 3);
    struct cs_findings_sync sync = {.endpoint_id = ep,
                                    .found = &none,
                                    .now = T0 + DAY,
                                    .checked = only_protocols,
                                    .on_change = seen_change,
                                    .arg = &changes};
    ASSERT_OK(fx, cs_store_findings_sync(fx->store, &sync, fx->err, sizeof(fx->err)));
    assert_int_equal(changes.n, 2);
    seen = list_findings(fx, 0, ep, CS_SEVERITY_INFO, false);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "192.0.2.1:443/ expired high");
    /* The other endpoint's findings are its own. */
    assert_int_equal(list_findings(fx, 0, other, CS_SEVERITY_INFO, false).n, 3);
}

/* Two findings of one check in a scan make one row: the higher severity,
 * both details. */
static void test_findings_of_one_check_make_one_row(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t ep =
        put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    struct cs_findings found = {0};
    struct changes changes = {0};
    struct cs_finding_row got;

    assert_int_equal(cs_findings_add(&found, "weak_key", "leaf: RSA 1024"), CS_OK);
    assert_int_equal(
        cs_findings_add_severity(&found, "weak_key", CS_SEVERITY_CRITICAL, "intermediate: RSA 512"),
        CS_OK);
    struct cs_findings_sync sync = {
        .endpoint_id = ep, .found = &found, .now = T0, .on_change = seen_change, .arg = &changes};
    ASSERT_OK(fx, cs_store_findings_sync(fx->store, &sync, fx->err, sizeof(fx->err)));
    cs_findings_clear(&found);
    assert_int_equal(changes.n, 1);
    assert_string_equal(changes.what[0], "weak_key:new");
    got = get_finding(fx, ep, "weak_key");
    assert_int_equal(got.severity, CS_SEVERITY_CRITICAL);
    assert_string_equal(got.detail, "leaf: RSA 1024; intermediate: RSA 512");
    cs_finding_row_clear(&got);
}

/* Writes in a transaction that is rolled back leave nothing. */
static void test_findings_sync_is_part_of_the_callers_transaction(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t ep =
        put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    static const char *const ids[] = {"tls1_0"};

    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    sync_findings(fx, ep, T0, ids, 1);
    cs_store_rollback(fx->store);
    assert_int_equal(count_rows(fx, "findings"), 0);
    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    sync_findings(fx, ep, T0, ids, 1);
    ASSERT_OK(fx, cs_store_commit(fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "findings"), 1);
}

/* Findings go with their endpoint, and with its network; a job removed
 * leaves its findings without their job. */
static void test_findings_go_with_their_endpoint(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    int64_t a =
        put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    int64_t b =
        put_endpoint(fx, lab, "192.0.2.2", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    int64_t c =
        put_endpoint(fx, dmz, "198.51.100.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    static const char *const ids[] = {"tls1_0", "self_signed"};
    char sql[160];

    sync_findings(fx, a, T0, ids, 2);
    sync_findings(fx, b, T0, ids, 2);
    sync_findings(fx, c, T0, ids, 2);
    assert_int_equal(count_rows(fx, "findings"), 6);

    /* An endpoint row deleted around the store (SQLite enforces foreign
     * keys per connection, when asked). */
    snprintf(sql, sizeof(sql), "%sDELETE FROM endpoints WHERE id = %" PRId64,
             fx->pg ? "" : "PRAGMA foreign_keys = ON; ", a);
    if (fx->pg)
        free(pg_run(fx->location, sql));
    else
        sqlite_script(fx->location, sql);
    assert_int_equal(count_rows(fx, "findings"), 4);
    assert_int_equal(list_findings(fx, 0, a, CS_SEVERITY_INFO, true).n, 0);

    ASSERT_OK(fx, cs_store_network_remove(fx->store, "lab", fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "findings"), 2);
    assert_int_equal(list_findings(fx, dmz, 0, CS_SEVERITY_INFO, true).n, 2);
}

static void test_findings_keep_their_row_when_their_job_is_removed(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t ep =
        put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_VULNSCAN};
    struct cs_findings found = {0};
    struct cs_finding_row got;
    char sql[160];

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    assert_int_equal(cs_findings_add(&found, "tls1_1", "old"), CS_OK);
    struct cs_findings_sync sync = {
        .endpoint_id = ep, .job_id = job.id, .found = &found, .now = T0};
    ASSERT_OK(fx, cs_store_findings_sync(fx->store, &sync, fx->err, sizeof(fx->err)));
    cs_findings_clear(&found);
    snprintf(sql, sizeof(sql), "%sDELETE FROM jobs WHERE id = %" PRId64,
             fx->pg ? "" : "PRAGMA foreign_keys = ON; ", job.id);
    if (fx->pg)
        free(pg_run(fx->location, sql));
    else
        sqlite_script(fx->location, sql);
    got = get_finding(fx, ep, "tls1_1");
    assert_int_equal(got.job_id, 0);
    cs_finding_row_clear(&got);
}

/* The listing: open ones unless asked, at least a severity, of one
 * network or all; by severity, then endpoint, then check. */
static void test_finding_list_filters_and_orders(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    int64_t a =
        put_endpoint(fx, lab, "192.0.2.2", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    int64_t b = put_endpoint(fx, lab, "192.0.2.1", 8443, "b.example", CS_STATUS_CERTIFICATE_FOUND,
                             NULL, false);
    int64_t c =
        put_endpoint(fx, dmz, "198.51.100.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    static const char *const on_a[] = {"tls1_0", "heartbleed", "self_signed", "inconclusive"};
    static const char *const on_b[] = {"tls1_1", "expired"};
    static const char *const on_b_later[] = {"expired"};
    static const char *const on_c[] = {"sslv2"};
    struct seen seen;

    sync_findings(fx, a, T0, on_a, 4);
    sync_findings(fx, b, T0, on_b, 2);
    sync_findings(fx, b, T0 + DAY, on_b_later, 1); /* tls1_1 is fixed */
    sync_findings(fx, c, T0, on_c, 1);

    seen = list_findings(fx, 0, 0, CS_SEVERITY_INFO, false);
    assert_int_equal(seen.n, 6);
    assert_string_equal(seen.what[0], "192.0.2.2:443/ heartbleed critical");
    assert_string_equal(seen.what[1], "198.51.100.1:443/ sslv2 critical");
    assert_string_equal(seen.what[2], "192.0.2.1:8443/b.example expired high");
    assert_string_equal(seen.what[3], "192.0.2.2:443/ self_signed medium");
    assert_string_equal(seen.what[4], "192.0.2.2:443/ tls1_0 low");
    assert_string_equal(seen.what[5], "192.0.2.2:443/ inconclusive info");

    seen = list_findings(fx, lab, 0, CS_SEVERITY_INFO, true);
    assert_int_equal(seen.n, 6);
    assert_string_equal(seen.what[3], "192.0.2.1:8443/b.example tls1_1 low fixed");
    assert_string_equal(seen.what[4], "192.0.2.2:443/ tls1_0 low");
    assert_string_equal(seen.what[5], "192.0.2.2:443/ inconclusive info");

    seen = list_findings(fx, lab, 0, CS_SEVERITY_HIGH, false);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "192.0.2.2:443/ heartbleed critical");
    assert_string_equal(seen.what[1], "192.0.2.1:8443/b.example expired high");

    seen = list_findings(fx, dmz, 0, CS_SEVERITY_CRITICAL, true);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "198.51.100.1:443/ sslv2 critical");
    assert_int_equal(list_findings(fx, 0, c, CS_SEVERITY_LOW, false).n, 1);
}

/* ---- schema version 5 ----------------------------------------------------- */

/* "name=discover|monitor|vulnscan|quiet", to check that listings read the
 * schedules. */
static void seen_network_schedules(const struct cs_network *net, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s=%s|%s|%s|%s", net->name,
             net->discover_every, net->monitor_every, net->vulnscan_every, net->quiet_hours);
    seen->ids[seen->n++] = net->id;
}

static void test_network_schedules_round_trip_and_default_to_empty(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;
    struct seen seen = {0};

    /* NULL is stored as "", and read back as "". */
    fill_network(&net, "plain");
    free(net.discover_every);
    free(net.monitor_every);
    free(net.vulnscan_every);
    free(net.quiet_hours);
    net.discover_every = net.monitor_every = net.vulnscan_every = net.quiet_hours = NULL;
    ASSERT_OK(fx, cs_store_network_add(fx->store, &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    assert_int_equal(count_rows(fx, "networks WHERE discover_every = '' AND monitor_every = '' "
                                    "AND vulnscan_every = '' AND quiet_hours = ''"),
                     1);
    ASSERT_OK(fx, cs_store_network_get(fx->store, "plain", &net, fx->err, sizeof(fx->err)));
    assert_string_equal(net.discover_every, "");
    assert_string_equal(net.quiet_hours, "");

    /* update writes them. */
    free(net.monitor_every);
    net.monitor_every = xstrdup("1h");
    free(net.quiet_hours);
    net.quiet_hours = xstrdup("daily 22:00-06:00");
    ASSERT_OK(fx, cs_store_network_update(fx->store, &net, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);

    add_network(fx, "full");
    ASSERT_OK(fx, cs_store_network_list(fx->store, seen_network_schedules, &seen, fx->err,
                                        sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "full=1d|*/30 * * * *|0 3 * * sun|mon-fri 08:00-18:00");
    assert_string_equal(seen.what[1], "plain=|1h||daily 22:00-06:00");
}

static void test_alert_run_every_round_trips_and_defaults_to_empty(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert alert, got;

    fill_alert(&alert, "unscheduled", 0);
    free(alert.run_every);
    alert.run_every = NULL;
    ASSERT_OK(fx, cs_store_alert_add(fx->store, &alert, fx->err, sizeof(fx->err)));
    cs_alert_clear(&alert);
    ASSERT_OK(fx, cs_store_alert_get(fx->store, "unscheduled", &got, fx->err, sizeof(fx->err)));
    assert_non_null(got.run_every);
    assert_string_equal(got.run_every, "");
    cs_alert_clear(&got);
    add_alert(fx, "daily", 0);
    ASSERT_OK(fx, cs_store_alert_get(fx->store, "daily", &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.run_every, "0 7 * * *");
    cs_alert_clear(&got);
}

/* "id:done/total" of each job listed. */
static void seen_job_progress(const struct cs_job *job, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%" PRIu64 "/%" PRIu64, job->progress_done,
             job->progress_total);
    seen->ids[seen->n++] = job->id;
}

static void test_job_progress_is_recorded_and_read_back(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_DISCOVERY};
    struct cs_job got;
    struct seen seen = {0};

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_get(fx->store, job.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.progress_done, 0);
    assert_int_equal(got.progress_total, 0);
    cs_job_clear(&got);

    /* Inside a transaction, as the jobs record it, and beyond 32 bits. */
    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_progress(fx->store, job.id, 300, 65536, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_commit(fx->store, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_progress(fx->store, job.id, 5000000000ULL, 6000000000ULL, fx->err,
                                        sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_get(fx->store, job.id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.progress_done, 5000000000ULL);
    assert_int_equal(got.progress_total, 6000000000ULL);
    cs_job_clear(&got);

    /* finish keeps it. */
    job.state = CS_JOB_DONE;
    ASSERT_OK(fx, cs_store_job_finish(fx->store, &job, fx->err, sizeof(fx->err)));
    ASSERT_OK(
        fx, cs_store_job_list(fx->store, lab, seen_job_progress, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "5000000000/6000000000");
    ASSERT_OK(
        fx, cs_store_job_latest(fx->store, lab, CS_JOB_DISCOVERY, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.progress_done, 5000000000ULL);
    cs_job_clear(&got);

    assert_int_equal(cs_store_job_progress(fx->store, job.id + 100, 1, 2, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
}

static void test_job_latest_is_the_newest_of_its_network_and_kind(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    struct cs_job d1 = {.network_id = lab, .kind = CS_JOB_DISCOVERY, .started_at = T0};
    struct cs_job m1 = {.network_id = lab, .kind = CS_JOB_MONITORING, .started_at = T0 + 10};
    struct cs_job d2 = {.network_id = lab, .kind = CS_JOB_DISCOVERY, .started_at = T0 + 20};
    struct cs_job x = {.network_id = dmz, .kind = CS_JOB_DISCOVERY, .started_at = T0 + 30};
    struct cs_job got;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &d1, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &m1, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &d2, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &x, fx->err, sizeof(fx->err)));

    ASSERT_OK(
        fx, cs_store_job_latest(fx->store, lab, CS_JOB_DISCOVERY, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, d2.id);
    assert_int_equal(got.started_at, T0 + 20);
    assert_string_equal(got.network_name, "lab");
    assert_int_equal(got.state, CS_JOB_RUNNING);
    cs_job_clear(&got);
    ASSERT_OK(
        fx, cs_store_job_latest(fx->store, lab, CS_JOB_MONITORING, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, m1.id);
    cs_job_clear(&got);
    assert_int_equal(
        cs_store_job_latest(fx->store, lab, CS_JOB_VULNSCAN, &got, fx->err, sizeof(fx->err)),
        CS_ERR_NOT_FOUND);
    assert_int_equal(
        cs_store_job_latest(fx->store, dmz, CS_JOB_MONITORING, &got, fx->err, sizeof(fx->err)),
        CS_ERR_NOT_FOUND);
}

static void test_endpoint_get_by_id(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_endpoint_row got;
    char sha[65] = "";
    int64_t id;

    memset(sha, 'a', 64);
    put_cert(fx, 'a', T0 + 10 * DAY);
    put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_NOT_SSL, NULL, false);
    id = put_endpoint(fx, lab, "192.0.2.2", 8443, "b.example", CS_STATUS_CERTIFICATE_FOUND, sha,
                      true);
    ASSERT_OK(fx, cs_store_endpoint_get_by_id(fx->store, id, &got, fx->err, sizeof(fx->err)));
    assert_int_equal(got.id, id);
    assert_int_equal(got.network_id, lab);
    assert_string_equal(got.ip, "192.0.2.2");
    assert_int_equal(got.port, 8443);
    assert_string_equal(got.sni, "b.example");
    assert_int_equal(got.last_status, CS_STATUS_CERTIFICATE_FOUND);
    assert_string_equal(got.cert_sha256, sha);
    assert_true(got.monitored);
    cs_endpoint_row_clear(&got);
    assert_int_equal(
        cs_store_endpoint_get_by_id(fx->store, id + 100, &got, fx->err, sizeof(fx->err)),
        CS_ERR_NOT_FOUND);
}

/* "job status reason sha-first-char" of each history row. */
static void seen_history(const struct cs_history_row *row, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    assert_non_null(row->reason);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s %s %c", cs_status_name(row->status),
             row->reason, row->cert_sha256 != NULL ? row->cert_sha256[0] : '-');
    seen->ids[seen->n++] = (int64_t)row->probed_at;
}

static void test_history_list_is_newest_first_with_a_limit(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_MONITORING};
    char sha[65] = "";
    struct seen seen = {0};
    int64_t ep, other;

    memset(sha, 'a', 64);
    put_cert(fx, 'a', T0 + 10 * DAY);
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    ep = put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, sha, true);
    other = put_endpoint(fx, lab, "192.0.2.2", 443, "", CS_STATUS_NOT_SSL, NULL, false);
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, job.id, T0, CS_STATUS_CERTIFICATE_FOUND, "ok",
                                       sha, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_history_add(fx->store, other, job.id, T0, CS_STATUS_NOT_SSL, "http",
                                       NULL, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, 0, T0 + 60, CS_STATUS_CONNECTION_REFUSED,
                                       "rst", NULL, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, job.id, T0 + 120, CS_STATUS_CERTIFICATE_FOUND,
                                       "ok", sha, fx->err, sizeof(fx->err)));

    ASSERT_OK(
        fx, cs_store_history_list(fx->store, ep, 0, seen_history, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.what[0], "certificate_found ok a");
    assert_int_equal(seen.ids[0], T0 + 120);
    assert_string_equal(seen.what[1], "connection_refused rst -");
    assert_string_equal(seen.what[2], "certificate_found ok a");
    assert_int_equal(seen.ids[2], T0);

    seen.n = 0;
    ASSERT_OK(
        fx, cs_store_history_list(fx->store, ep, 2, seen_history, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ids[1], T0 + 60);

    seen.n = 0;
    ASSERT_OK(fx, cs_store_history_list(fx->store, ep + other + 100, 0, seen_history, &seen,
                                        fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 0);
}

static void seen_history_job(const struct cs_history_row *row, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    seen->ids[seen->n++] = row->job_id;
}

static void test_history_list_gives_the_job_of_each_probe(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    struct cs_job job = {.network_id = lab, .kind = CS_JOB_MONITORING};
    struct seen seen = {0};
    int64_t ep;

    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    ep = put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_NOT_SSL, NULL, false);
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, job.id, T0, CS_STATUS_NOT_SSL, "http", NULL,
                                       fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, 0, T0 + 1, CS_STATUS_NOT_SSL, "http", NULL,
                                       fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_history_list(fx->store, ep, 0, seen_history_job, &seen, fx->err,
                                        sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.ids[0], 0); /* a probe outside any job */
    assert_int_equal(seen.ids[1], job.id);
}

static struct seen list_changed(struct fixture *fx, int64_t network_id)
{
    struct cs_endpoint_filter filter = {.network_id = network_id, .changed_only = true};
    struct seen seen = {0};
    if (cs_store_endpoint_list(fx->store, &filter, seen_endpoint, &seen, fx->err,
                               sizeof(fx->err)) != CS_OK)
        fail_msg("endpoint_list: %s", fx->err);
    return seen;
}

static void probe(struct fixture *fx, int64_t ep, time_t at, enum cs_status status,
                  const char *sha256)
{
    ASSERT_OK(fx, cs_store_history_add(fx->store, ep, 0, at, status, "r", sha256, fx->err,
                                       sizeof(fx->err)));
}

static void test_endpoint_list_changed_only_compares_the_last_two_probes(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    int64_t dmz = add_network(fx, "dmz");
    char a[65] = "", b[65] = "";
    int64_t same, cert, lost, once, back, other;
    struct seen seen;

    memset(a, 'a', 64);
    memset(b, 'b', 64);
    put_cert(fx, 'a', T0 + 10 * DAY);
    put_cert(fx, 'b', T0 + 20 * DAY);
    same = put_endpoint(fx, lab, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, a, true);
    cert = put_endpoint(fx, lab, "192.0.2.2", 443, "", CS_STATUS_CERTIFICATE_FOUND, b, true);
    lost = put_endpoint(fx, lab, "192.0.2.3", 443, "", CS_STATUS_CONNECTION_REFUSED, a, true);
    once = put_endpoint(fx, lab, "192.0.2.4", 443, "", CS_STATUS_CERTIFICATE_FOUND, a, true);
    back = put_endpoint(fx, lab, "192.0.2.5", 443, "", CS_STATUS_CERTIFICATE_FOUND, a, true);
    other = put_endpoint(fx, dmz, "198.51.100.1", 443, "", CS_STATUS_NOT_SSL, NULL, false);

    probe(fx, same, T0, CS_STATUS_CERTIFICATE_FOUND, a);
    probe(fx, same, T0 + 60, CS_STATUS_CERTIFICATE_FOUND, a);
    probe(fx, cert, T0, CS_STATUS_CERTIFICATE_FOUND, a);
    probe(fx, cert, T0 + 60, CS_STATUS_CERTIFICATE_FOUND, b); /* a new certificate */
    probe(fx, lost, T0, CS_STATUS_CERTIFICATE_FOUND, a);
    probe(fx, lost, T0 + 60, CS_STATUS_CONNECTION_REFUSED, NULL); /* gone */
    probe(fx, once, T0, CS_STATUS_CERTIFICATE_FOUND, a);          /* one probe: no change */
    /* Changed once, then the same twice: only the last two count. */
    probe(fx, back, T0, CS_STATUS_NOT_SSL, NULL);
    probe(fx, back, T0 + 60, CS_STATUS_CERTIFICATE_FOUND, a);
    probe(fx, back, T0 + 120, CS_STATUS_CERTIFICATE_FOUND, a);
    probe(fx, other, T0, CS_STATUS_NOT_SSL, NULL);
    probe(fx, other, T0 + 60, CS_STATUS_TIMED_OUT_DOWNLOADING, NULL);

    seen = list_changed(fx, lab);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "192.0.2.2:443/");
    assert_string_equal(seen.what[1], "192.0.2.3:443/");
    seen = list_changed(fx, 0);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.what[2], "198.51.100.1:443/");
    /* With the other filters. */
    struct cs_endpoint_filter filter = {
        .network_id = lab, .status = CS_STATUS_CERTIFICATE_FOUND + 1, .changed_only = true};
    seen = (struct seen){0};
    ASSERT_OK(fx, cs_store_endpoint_list(fx->store, &filter, seen_endpoint, &seen, fx->err,
                                         sizeof(fx->err)));
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "192.0.2.2:443/");
}

static struct seen list_certs_by_issuer(struct fixture *fx, const char *issuer)
{
    struct cs_cert_filter filter = {.issuer = issuer};
    struct seen seen = {0};
    if (cs_store_cert_list(fx->store, &filter, seen_cert, &seen, fx->err, sizeof(fx->err)) != CS_OK)
        fail_msg("cert_list: %s", fx->err);
    return seen;
}

static void put_cert_from(struct fixture *fx, char c, const char *issuer)
{
    struct cs_cert_row cert;
    fill_cert(&cert, c, T0 + (c - 'a' + 1) * DAY);
    free(cert.issuer);
    cert.issuer = xstrdup(issuer);
    ASSERT_OK(fx, cs_store_cert_put(fx->store, &cert, fx->err, sizeof(fx->err)));
    cs_cert_row_clear(&cert);
}

static void test_cert_list_filters_by_issuer_substring(void **state)
{
    struct fixture *fx = *state;
    int64_t lab = add_network(fx, "lab");
    char sha[65] = "";
    struct seen seen;

    put_cert_from(fx, 'a', "CN=R3,O=Let's Encrypt,C=US");
    put_cert_from(fx, 'b', "CN=Example CA 100%,O=Example_Corp");
    put_cert_from(fx, 'c', "CN=ExampleXCA,O=Example Corp");
    for (char c = 'a'; c <= 'c'; c++) {
        char ip[32];
        memset(sha, c, 64);
        snprintf(ip, sizeof(ip), "192.0.2.%d", c - 'a' + 1);
        put_endpoint(fx, lab, ip, 443, "", CS_STATUS_CERTIFICATE_FOUND, sha, false);
    }

    seen = list_certs_by_issuer(fx, "Let's Encrypt");
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "a 192.0.2.1:443");
    /* The text as it is: no LIKE wildcards, and case counts. */
    seen = list_certs_by_issuer(fx, "100%");
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.what[0], "b 192.0.2.2:443");
    seen = list_certs_by_issuer(fx, "Example_Corp");
    assert_int_equal(seen.n, 1);
    seen = list_certs_by_issuer(fx, "Example%");
    assert_int_equal(seen.n, 0);
    seen = list_certs_by_issuer(fx, "let's encrypt");
    assert_int_equal(seen.n, 0);
    seen = list_certs_by_issuer(fx, "Example");
    assert_int_equal(seen.n, 2);
    seen = list_certs_by_issuer(fx, NULL);
    assert_int_equal(seen.n, 3);
}

/* ---- API tokens ----------------------------------------------------------- */

/* A token digest of 64 times c. */
static const char *digest(char c)
{
    static char buf[4][65];
    static int next;
    char *d = buf[next++ % 4];
    memset(d, c, 64);
    d[64] = '\0';
    return d;
}

static void seen_token(const struct cs_token_row *row, void *arg)
{
    struct seen *seen = arg;
    assert_true(seen->n < 16);
    snprintf(seen->what[seen->n], sizeof(seen->what[0]), "%s %c %ld", row->name, row->sha256[0],
             (long)row->last_used_at);
    seen->ids[seen->n++] = row->id;
}

static void test_token_add_find_list_used_remove(void **state)
{
    struct fixture *fx = *state;
    struct cs_token_row row;
    struct seen seen = {0};

    ASSERT_OK(fx, cs_store_token_add(fx->store, "ci", digest('a'), T0, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_token_add(fx->store, "dashboard", digest('b'), T0 + 60, fx->err,
                                     sizeof(fx->err)));

    ASSERT_OK(fx, cs_store_token_find(fx->store, digest('b'), &row, fx->err, sizeof(fx->err)));
    assert_true(row.id > 0);
    assert_string_equal(row.name, "dashboard");
    assert_string_equal(row.sha256, digest('b'));
    assert_int_equal(row.created_at, T0 + 60);
    assert_int_equal(row.last_used_at, 0);

    ASSERT_OK(fx, cs_store_token_used(fx->store, row.id, T0 + 3600, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_token_list(fx->store, seen_token, &seen, fx->err, sizeof(fx->err)));
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.what[0], "ci a 0");
    char want[64];
    snprintf(want, sizeof(want), "dashboard b %ld", (long)(T0 + 3600));
    assert_string_equal(seen.what[1], want);

    ASSERT_OK(fx, cs_store_token_remove(fx->store, "ci", fx->err, sizeof(fx->err)));
    assert_int_equal(cs_store_token_find(fx->store, digest('a'), &row, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_int_equal(count_rows(fx, "api_tokens"), 1);
}

static void test_token_mistakes_are_refused(void **state)
{
    struct fixture *fx = *state;
    struct cs_token_row row;
    char long_name[CS_TOKEN_NAME_MAX + 2];

    ASSERT_OK(fx, cs_store_token_add(fx->store, "ci", digest('a'), 0, fx->err, sizeof(fx->err)));
    /* A duplicate name, even in a transaction that goes on. */
    ASSERT_OK(fx, cs_store_begin(fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(cs_store_token_add(fx->store, "ci", digest('b'), 0, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_string_equal(fx->err, "a token named 'ci' exists already");
    ASSERT_OK(fx, cs_store_token_add(fx->store, "ci2", digest('c'), 0, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_commit(fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "api_tokens"), 2);

    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(
        cs_store_token_add(fx->store, long_name, digest('d'), 0, fx->err, sizeof(fx->err)),
        CS_ERR_USAGE);
    long_name[CS_TOKEN_NAME_MAX] = '\0'; /* the longest allowed */
    ASSERT_OK(fx,
              cs_store_token_add(fx->store, long_name, digest('d'), 0, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_token_find(fx->store, digest('d'), &row, fx->err, sizeof(fx->err)));
    assert_string_equal(row.name, long_name);
    assert_true(row.created_at > T0); /* 0 is now */
    assert_int_equal(cs_store_token_add(fx->store, "", digest('e'), 0, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_int_equal(cs_store_token_add(fx->store, "a b", digest('e'), 0, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_int_equal(
        cs_store_token_add(fx->store, "x", "not-a-digest", 0, fx->err, sizeof(fx->err)),
        CS_ERR_USAGE);

    assert_int_equal(cs_store_token_remove(fx->store, "nope", fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_string_equal(fx->err, "no token named 'nope'");
    assert_int_equal(cs_store_token_find(fx->store, digest('f'), &row, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
    assert_int_equal(cs_store_token_used(fx->store, 4242, T0, fx->err, sizeof(fx->err)),
                     CS_ERR_NOT_FOUND);
}

/* ---- migrations ----------------------------------------------------------- */

/*
 * Makes the inventory at fx->location as a certsweep of schema version
 * `version` (1 to 4) left it, with a network 'lab' in it, and from
 * version 2 on an alert 'lab-30' of that network. The store must be closed.
 */
static void make_old_inventory(struct fixture *fx, int version)
{
    char sql[256];

    if (fx->pg) {
        free(pg_run(fx->location,
                    "SET client_min_messages = warning; DROP SCHEMA public CASCADE; "
                    "CREATE SCHEMA public; "
                    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                    "INSERT INTO schema_version (version) VALUES (1);" CS_STORE_SCHEMA_V1(
                        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA")));
        if (version >= 2)
            free(pg_run(fx->location,
                        CS_STORE_SCHEMA_V2("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                           "BYTEA")));
        if (version >= 3)
            free(pg_run(fx->location,
                        CS_STORE_SCHEMA_V3("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                           "BYTEA")));
        if (version >= 4)
            free(pg_run(fx->location,
                        CS_STORE_SCHEMA_V4("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                           "BYTEA")));
    } else {
        unlink(fx->location);
        sqlite_script(fx->location, "PRAGMA journal_mode = WAL;"
                                    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                                    "INSERT INTO schema_version (version) VALUES (1);"
                                    " " CS_STORE_SCHEMA_V1("INTEGER PRIMARY KEY", "BLOB"));
        if (version >= 2)
            sqlite_script(fx->location, CS_STORE_SCHEMA_V2("INTEGER PRIMARY KEY", "BLOB"));
        if (version >= 3)
            sqlite_script(fx->location, CS_STORE_SCHEMA_V3("INTEGER PRIMARY KEY", "BLOB"));
        if (version >= 4)
            sqlite_script(fx->location, CS_STORE_SCHEMA_V4("INTEGER PRIMARY KEY", "BLOB"));
    }
    snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", version);
    free(backend_run(fx, sql));
    free(backend_run(fx, "INSERT INTO networks (name, ranges, connect_timeout_ms, "
                         "download_timeout_ms, expiry_days, max_email_rows, created_at) "
                         "VALUES ('lab', '192.0.2.0/24', 2000, 5000, 30, 50, "
                         "'2025-06-01T00:00:00Z')"));
    if (version >= 2)
        free(backend_run(fx, "INSERT INTO alerts (name, days, network_id, subject, body, "
                             "created_at) SELECT 'lab-30', 30, id, 's', 'b', "
                             "'2025-06-01T00:00:00Z' FROM networks WHERE name = 'lab'"));
    snprintf(sql, sizeof(sql), "schema_version WHERE version = %d", version);
    assert_int_equal(count_rows(fx, sql), 1);
}

/* Checks what every migration to version 5 leaves: the version recorded
 * once, network 'lab' kept with no webhooks and no schedules, the tables
 * of versions 3, 4 and 5 usable. */
static void check_migrated(struct fixture *fx)
{
    struct cs_network net;
    struct cs_ticket_row got;
    static const char *const ids[] = {"tls1_0"};
    char *version;
    int64_t ep;

    assert_int_equal(CS_STORE_SCHEMA_VERSION, 5);
    version = backend_run(fx, "SELECT max(version) FROM schema_version");
    assert_int_equal(strtol(version, NULL, 10), CS_STORE_SCHEMA_VERSION);
    free(version);
    assert_int_equal(count_rows(fx, "schema_version"), 1);

    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    assert_string_equal(net.ranges, "192.0.2.0/24");
    assert_non_null(net.webhooks);
    assert_string_equal(net.webhooks, "");
    assert_non_null(net.tickets);
    assert_string_equal(net.tickets, "");
    assert_string_equal(net.discover_every, "");
    assert_string_equal(net.monitor_every, "");
    assert_string_equal(net.vulnscan_every, "");
    assert_string_equal(net.quiet_hours, "");
    assert_false(net.revocation);
    cs_network_clear(&net);

    ASSERT_OK(fx, cs_store_token_add(fx->store, "migrated",
                                     "abababababababababababababababab"
                                     "abababababababababababababababab",
                                     T0, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "api_tokens"), 1);

    open_ticket(fx, "ticketing.sdp", "alert:lab-30:aa", T0);
    ASSERT_OK(fx, cs_store_ticket_get(fx->store, "ticketing.sdp", "alert:lab-30:aa", &got, fx->err,
                                      sizeof(fx->err)));
    assert_int_equal(got.state, CS_TICKET_OPEN);
    cs_ticket_row_clear(&got);

    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    ep = put_endpoint(fx, net.id, "192.0.2.1", 443, "", CS_STATUS_CERTIFICATE_FOUND, NULL, false);
    cs_network_clear(&net);
    assert_int_equal(sync_findings(fx, ep, T0, ids, 1).n, 1);
    assert_int_equal(list_findings(fx, 0, 0, CS_SEVERITY_INFO, false).n, 1);
}

/*
 * An inventory as a certsweep of schema version 4 left it, with a network,
 * an alert, jobs of each kind and a finding in it, opened by this one:
 * migrated in place to version 5, the data kept, the new columns at their
 * defaults (no schedules, no progress), the tokens table usable.
 */
static void test_v4_inventory_migrates_to_v5_in_place(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert alert;
    struct cs_job job;
    struct cs_network net;
    char *id;

    cs_store_close(&fx->store);
    make_old_inventory(fx, 4);
    free(backend_run(fx, "INSERT INTO jobs (network_id, kind, state, started_at, finished_at, "
                         "endpoints_scanned) SELECT id, 'vulnscan', 'done', "
                         "'2025-06-01T00:00:00Z', '2025-06-01T00:01:00Z', 7 FROM networks "
                         "WHERE name = 'lab'"));
    free(backend_run(fx, "INSERT INTO endpoints (network_id, ip, port, first_seen, last_seen, "
                         "last_status, last_reason) SELECT id, '192.0.2.9', 443, "
                         "'2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z', 'certificate_found', "
                         "'ok' FROM networks WHERE name = 'lab'"));
    /* Fixed since, so that check_migrated() finds only the one it makes. */
    free(backend_run(fx, "INSERT INTO findings (endpoint_id, check_id, severity, title, "
                         "first_seen, last_seen, fixed_at) SELECT id, 'tls1_0', 'medium', "
                         "'TLS 1.0', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z', "
                         "'2025-06-02T00:00:00Z' FROM endpoints"));
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));

    ASSERT_OK(fx, cs_store_alert_get(fx->store, "lab-30", &alert, fx->err, sizeof(fx->err)));
    assert_non_null(alert.run_every);
    assert_string_equal(alert.run_every, "");
    cs_alert_clear(&alert);
    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    ASSERT_OK(fx, cs_store_job_latest(fx->store, net.id, CS_JOB_VULNSCAN, &job, fx->err,
                                      sizeof(fx->err)));
    assert_int_equal(job.endpoints_scanned, 7);
    assert_int_equal(job.progress_done, 0);
    assert_int_equal(job.progress_total, 0);
    ASSERT_OK(fx, cs_store_job_progress(fx->store, job.id, 7, 7, fx->err, sizeof(fx->err)));
    cs_job_clear(&job);
    cs_network_clear(&net);
    assert_int_equal(list_findings(fx, 0, 0, CS_SEVERITY_INFO, true).n, 1);
    check_migrated(fx);
    assert_int_equal(count_rows(fx, "findings"), 2);

    /* Opening it again migrates nothing. */
    cs_store_close(&fx->store);
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "schema_version"), 1);
    assert_int_equal(count_rows(fx, "api_tokens"), 1);
    id = backend_run(fx, "SELECT progress_done FROM jobs WHERE kind = 'vulnscan'");
    assert_string_equal(id, "7");
    free(id);
}

/*
 * An inventory as a certsweep of schema version 3 left it, with a network,
 * an alert, a job and a ticket in it, opened by this one: migrated in place
 * through version 4 to version 5, the data kept, the findings table usable.
 */
static void test_v3_inventory_migrates_to_v5_in_place(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert got;
    struct cs_network net;
    struct cs_job job;

    cs_store_close(&fx->store);
    make_old_inventory(fx, 3);
    free(backend_run(fx, "INSERT INTO tickets (channel, key, remote_id, state, opened_at, "
                         "updated_at) VALUES ('ticketing.jira', 'alert:lab-30:bb', 'r-9', "
                         "'open', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z')"));
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));

    ASSERT_OK(fx, cs_store_alert_get(fx->store, "lab-30", &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.network_name, "lab");
    cs_alert_clear(&got);
    assert_int_equal(list_open_tickets(fx, "ticketing.jira", NULL).n, 1);
    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    job = (struct cs_job){.network_id = net.id, .kind = CS_JOB_VULNSCAN};
    ASSERT_OK(fx, cs_store_job_begin(fx->store, &job, fx->err, sizeof(fx->err)));
    cs_network_clear(&net);
    check_migrated(fx);
    assert_int_equal(count_rows(fx, "findings"), 1);

    /* Opening it again migrates nothing. */
    cs_store_close(&fx->store);
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "schema_version"), 1);
    assert_int_equal(count_rows(fx, "findings"), 1);
    assert_int_equal(count_rows(fx, "tickets"), 2);
}

/*
 * An inventory as a certsweep of schema version 2 left it, with a network
 * and an alert in it, opened by this one: migrated in place through
 * versions 3 and 4 to version 5, the data kept, the new columns at their defaults,
 * the new tables usable.
 */
static void test_v2_inventory_migrates_to_v5_in_place(void **state)
{
    struct fixture *fx = *state;
    struct cs_alert got;

    cs_store_close(&fx->store);
    make_old_inventory(fx, 2);
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));
    check_migrated(fx);

    ASSERT_OK(fx, cs_store_alert_get(fx->store, "lab-30", &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.network_name, "lab");
    assert_string_equal(got.subject, "s");
    assert_non_null(got.channels);
    assert_string_equal(got.channels, "");
    cs_alert_clear(&got);
    add_alert(fx, "lab-7", 0);
    ASSERT_OK(fx, cs_store_alert_get(fx->store, "lab-7", &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.channels, "ticketing.sdp webhook.oncall");
    cs_alert_clear(&got);

    /* Opening it again migrates nothing. */
    cs_store_close(&fx->store);
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "schema_version"), 1);
    assert_int_equal(count_rows(fx, "alerts"), 2);
    assert_int_equal(count_rows(fx, "tickets"), 1);
}

/*
 * An inventory of schema version 1, with a network in it, opened by this
 * certsweep: migrated in place through versions 2, 3 and 4 to version 5, the
 * data kept, the tables of every step usable.
 */
static void test_v1_inventory_migrates_through_every_version_in_place(void **state)
{
    struct fixture *fx = *state;
    struct cs_network net;
    struct cs_alert got;
    int64_t lab, alert;

    cs_store_close(&fx->store);
    make_old_inventory(fx, 1);
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));
    check_migrated(fx);

    ASSERT_OK(fx, cs_store_network_get(fx->store, "lab", &net, fx->err, sizeof(fx->err)));
    lab = net.id;
    cs_network_clear(&net);
    alert = add_alert(fx, "lab-30", lab);
    ASSERT_OK(fx, cs_store_alert_get(fx->store, "lab-30", &got, fx->err, sizeof(fx->err)));
    assert_string_equal(got.network_name, "lab");
    assert_string_equal(got.channels, "ticketing.sdp webhook.oncall");
    cs_alert_clear(&got);
    ASSERT_OK(fx,
              cs_store_alert_reported_mark(fx->store, alert, "aa", T0, fx->err, sizeof(fx->err)));
    add_message(fx, "m1", 0, T0);
    assert_int_equal(list_messages(fx, 0, T0, 0).n, 1);

    /* Opening it again migrates nothing. */
    cs_store_close(&fx->store);
    ASSERT_OK(fx, cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)));
    assert_int_equal(count_rows(fx, "schema_version"), 1);
    assert_int_equal(count_rows(fx, "outbox"), 1);
    assert_int_equal(count_rows(fx, "alerts"), 1);
    assert_int_equal(count_rows(fx, "tickets"), 1);
}

/* An inventory of a later certsweep is refused, on either backend, and left
 * as it was. */
static void test_newer_schema_is_refused(void **state)
{
    struct fixture *fx = *state;
    char sql[96], expected[64], *version;

    cs_store_close(&fx->store);
    snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
             CS_STORE_SCHEMA_VERSION + 1);
    free(backend_run(fx, sql));
    assert_int_equal(cs_store_open(fx->location, &fx->store, fx->err, sizeof(fx->err)),
                     CS_ERR_USAGE);
    assert_null(fx->store);
    snprintf(expected, sizeof(expected),
             "has inventory schema version %d; this certsweep knows up to %d",
             CS_STORE_SCHEMA_VERSION + 1, CS_STORE_SCHEMA_VERSION);
    assert_non_null(strstr(fx->err, expected));
    version = backend_run(fx, "SELECT max(version) FROM schema_version");
    assert_int_equal(strtol(version, NULL, 10), CS_STORE_SCHEMA_VERSION + 1);
    free(version);
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
    assert_int_equal(strtol(version, NULL, 10), CS_STORE_SCHEMA_VERSION);
    assert_null(strchr(version, ','));
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
        T(test_network_webhooks_round_trip_and_default_to_empty),
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
        T(test_outbox_add_then_get_returns_every_field),
        T(test_outbox_add_of_a_queued_key_gives_its_id_and_adds_nothing),
        T(test_outbox_add_of_a_queued_key_in_a_transaction_gives_its_id),
        T(test_outbox_list_filters_by_state_due_and_limit),
        T(test_outbox_claim_succeeds_once),
        T(test_outbox_claim_race_between_processes_has_one_winner),
        T(test_outbox_claimed_message_is_not_due_until_its_lease_ends),
        T(test_outbox_claim_of_a_message_not_yet_due_is_busy),
        T(test_outbox_finish_records_sent_pending_and_failed),
        T(test_outbox_finish_after_another_claim_changes_nothing),
        T(test_outbox_retry_of_a_failed_message_makes_it_due_with_no_attempts),
        T(test_outbox_retry_of_a_pending_message_makes_it_due_now),
        T(test_outbox_retry_of_a_sent_message_is_refused),
        T(test_outbox_unknown_id_is_not_found),
        T(test_outbox_keeps_messages_of_removed_jobs_without_their_job),
        T(test_alert_add_then_get_returns_every_field),
        T(test_alert_of_every_network_has_no_network),
        T(test_alert_channels_round_trip_and_default_to_empty),
        T(test_alert_list_is_ordered_by_name),
        T(test_alert_duplicate_name_is_refused),
        T(test_alert_unknown_name_is_not_found),
        T(test_alert_remove_takes_its_reports),
        T(test_alert_ran_records_the_last_run),
        T(test_network_remove_takes_its_alerts),
        T(test_alert_reported_get_is_zero_until_marked_and_mark_updates),
        T(test_ticket_put_then_get_returns_every_field),
        T(test_ticket_put_settles_zero_times),
        T(test_ticket_get_returns_the_newest_row_after_a_close_and_a_new_open),
        T(test_ticket_get_of_an_unknown_key_is_not_found),
        T(test_ticket_update_of_an_unknown_id_is_not_found),
        T(test_ticket_list_open_filters_by_channel_and_prefix),
        T(test_job_of_kind_vulnscan_round_trips),
        T(test_findings_sync_records_a_new_finding_with_every_field),
        T(test_findings_seen_again_keep_first_seen_and_move_last_seen),
        T(test_findings_gone_are_fixed_and_back_are_reopened),
        T(test_findings_sync_fixes_only_what_was_looked_for),
        T(test_findings_of_one_check_make_one_row),
        T(test_findings_sync_is_part_of_the_callers_transaction),
        T(test_findings_go_with_their_endpoint),
        T(test_findings_keep_their_row_when_their_job_is_removed),
        T(test_finding_list_filters_and_orders),
        T(test_network_schedules_round_trip_and_default_to_empty),
        T(test_alert_run_every_round_trips_and_defaults_to_empty),
        T(test_job_progress_is_recorded_and_read_back),
        T(test_job_latest_is_the_newest_of_its_network_and_kind),
        T(test_endpoint_get_by_id),
        T(test_history_list_is_newest_first_with_a_limit),
        T(test_history_list_gives_the_job_of_each_probe),
        T(test_endpoint_list_changed_only_compares_the_last_two_probes),
        T(test_cert_list_filters_by_issuer_substring),
        T(test_token_add_find_list_used_remove),
        T(test_token_mistakes_are_refused),
        T(test_v4_inventory_migrates_to_v5_in_place),
        T(test_v3_inventory_migrates_to_v5_in_place),
        T(test_v2_inventory_migrates_to_v5_in_place),
        T(test_v1_inventory_migrates_through_every_version_in_place),
        T(test_newer_schema_is_refused),
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
