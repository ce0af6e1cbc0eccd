/*
 * What the PostgreSQL inventory does that the backend-agnostic contract test
 * (tests/unit/test_store.c) cannot see: the open of a server that is down,
 * schema creation by processes racing on a new database, sharing a
 * database with other applications' tables, and session locks.
 *
 * Run by run-with-pg.sh against the server of pg-fixture.sh; each test gets
 * a database of its own, created from CERTSWEEP_TEST_STORE and dropped after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *base_url; /* CERTSWEEP_TEST_STORE: postgresql://.../certsweep_test */

struct fixture {
    char dbname[64];
    char url[512];
};

/* Runs SQL on the database at url, failing the test on error. */
static void sql(const char *url, const char *text)
{
    PGconn *conn = PQconnectdb(url);
    PGresult *res = PQexec(conn, text);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", text, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

/* The first value that SQL returns on the database at url, as a number. */
static long sql_value(const char *url, const char *text)
{
    PGconn *conn = PQconnectdb(url);
    PGresult *res = PQexec(conn, text);
    long v = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
        v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    else
        fail_msg("%s: %s", text, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    return v;
}

/* Each test gets an empty database on the fixture's server. */
static int setup_db(void **state)
{
    static int counter;
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *slash = strrchr(base_url, '/');
    char create[128];

    if (fx == NULL)
        return -1;
    snprintf(fx->dbname, sizeof(fx->dbname), "cs_pg_%d_%d", (int)getpid(), ++counter);
    snprintf(fx->url, sizeof(fx->url), "%.*s/%s", (int)(slash - base_url), base_url, fx->dbname);
    snprintf(create, sizeof(create), "CREATE DATABASE %s", fx->dbname);
    sql(base_url, create);
    *state = fx;
    return 0;
}

static int teardown_db(void **state)
{
    struct fixture *fx = *state;
    char drop[128];
    snprintf(drop, sizeof(drop), "DROP DATABASE %s WITH (FORCE)", fx->dbname);
    sql(base_url, drop);
    free(fx);
    return 0;
}

static struct cs_store *open_ok(const char *url)
{
    char err[CS_ERRLEN] = "";
    struct cs_store *s = NULL;
    enum cs_rc rc = cs_store_open(url, &s, err, sizeof(err));
    if (rc != CS_OK)
        fail_msg("open %s: %s", url, err);
    return s;
}

static int64_t add_network(struct cs_store *s, const char *name)
{
    char err[CS_ERRLEN] = "";
    struct cs_network net = {.name = (char *)name,
                             .ranges = "192.0.2.0/24",
                             .ports = "443",
                             .connect_timeout_ms = 1000,
                             .download_timeout_ms = 1000,
                             .expiry_days = 30,
                             .max_email_rows = 10,
                             .enabled = true};
    if (cs_store_network_add(s, &net, err, sizeof(err)) != CS_OK)
        fail_msg("network_add: %s", err);
    return net.id;
}

static void server_down_gives_one_line_without_the_password(void **state)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char url[256], shown[256], err[CS_ERRLEN] = "";
    struct cs_store *s = NULL;

    /* A port that was free a moment ago and that nothing listens on. */
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    snprintf(url, sizeof(url),
             "postgresql://certsweep:hunter2@127.0.0.1:%u/inv?password=hunter3&sslmode=disable",
             ntohs(sa.sin_port));
    snprintf(shown, sizeof(shown), "postgresql://certsweep@127.0.0.1:%u/inv?sslmode=disable",
             ntohs(sa.sin_port));

    assert_int_equal(cs_store_open(url, &s, err, sizeof(err)), CS_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err, shown));
    assert_null(strstr(err, "hunter"));
    assert_null(strchr(err, '\n'));
    assert_non_null(strstr(err, "127.0.0.1")); /* and libpq's own line follows */
    assert_true(strlen(err) > strlen(shown) + 20);
}

static void racing_opens_of_a_new_database_create_the_schema_once(void **state)
{
    struct fixture *fx = *state;
    enum { N = 8 };
    pid_t pids[N];

    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char err[CS_ERRLEN] = "";
            struct cs_store *s = NULL;
            enum cs_rc rc = cs_store_open(fx->url, &s, err, sizeof(err));
            if (rc != CS_OK)
                fprintf(stderr, "child %d: %s\n", i, err);
            cs_store_close(&s);
            _exit(rc == CS_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(sql_value(fx->url, "SELECT count(*) FROM schema_version"), 1);
    assert_int_equal(sql_value(fx->url, "SELECT version FROM schema_version"),
                     CS_STORE_SCHEMA_VERSION);
}

static void other_applications_tables_may_share_the_database(void **state)
{
    struct fixture *fx = *state;
    struct cs_store *s;

    sql(fx->url, "CREATE TABLE billing (id INTEGER); INSERT INTO billing VALUES (42)");
    s = open_ok(fx->url);
    add_network(s, "lab");
    cs_store_close(&s);
    assert_int_equal(sql_value(fx->url, "SELECT id FROM billing"), 42);
    assert_int_equal(sql_value(fx->url, "SELECT count(*) FROM networks"), 1);
}

static void our_table_names_without_schema_version_are_refused(void **state)
{
    struct fixture *fx = *state;
    char err[CS_ERRLEN] = "";
    struct cs_store *s = NULL;

    sql(fx->url, "CREATE TABLE networks (router TEXT)");
    assert_int_equal(cs_store_open(fx->url, &s, err, sizeof(err)), CS_ERR_USAGE);
    assert_null(s);
    assert_non_null(strstr(err, "not a certsweep inventory"));
    assert_non_null(strstr(err, "networks"));
    /* Nothing was created beside it. */
    assert_int_equal(sql_value(fx->url, "SELECT count(*) FROM information_schema.tables"
                                        " WHERE table_name = 'schema_version'"),
                     0);
}

static void a_newer_schema_is_refused_naming_both_versions(void **state)
{
    struct fixture *fx = *state;
    char err[CS_ERRLEN] = "", newer[32], ours[32];
    struct cs_store *s = open_ok(fx->url);

    cs_store_close(&s);
    sql(fx->url, "UPDATE schema_version SET version = version + 1");
    assert_int_equal(cs_store_open(fx->url, &s, err, sizeof(err)), CS_ERR_USAGE);
    assert_null(s);
    snprintf(newer, sizeof(newer), "schema version %d", CS_STORE_SCHEMA_VERSION + 1);
    snprintf(ours, sizeof(ours), "up to %d", CS_STORE_SCHEMA_VERSION);
    assert_non_null(strstr(err, newer));
    assert_non_null(strstr(err, ours));
}

static void network_lock_is_held_until_the_holder_disconnects(void **state)
{
    struct fixture *fx = *state;
    char err[CS_ERRLEN] = "";
    struct cs_store *a = open_ok(fx->url), *b = open_ok(fx->url);
    int64_t id = add_network(a, "dmz");
    struct cs_job job = {.network_id = id, .kind = CS_JOB_DISCOVERY};
    struct cs_job got = {0};

    assert_int_equal(cs_store_network_lock(a, id, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_store_job_begin(a, &job, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_store_network_lock(b, id, err, sizeof(err)), CS_ERR_BUSY);
    assert_string_equal(err, "network 'dmz' already has a job running");

    /* The holder dies without finishing its job: its connection ends. */
    cs_store_close(&a);
    assert_int_equal(cs_store_network_lock(b, id, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_store_job_get(b, job.id, &got, err, sizeof(err)), CS_OK);
    assert_int_equal(got.state, CS_JOB_INTERRUPTED);
    assert_true(got.finished_at != 0);
    cs_job_clear(&got);
    cs_store_close(&b);
}

static void commit_after_a_failed_statement_fails(void **state)
{
    struct fixture *fx = *state;
    char err[CS_ERRLEN] = "";
    struct cs_store *s = open_ok(fx->url);
    struct cs_job job = {.network_id = 999999, .kind = CS_JOB_DISCOVERY};

    /* PostgreSQL aborts the transaction at the failed insert and would turn
     * the COMMIT into a silent ROLLBACK; the store says so instead. */
    assert_int_equal(cs_store_begin(s, err, sizeof(err)), CS_OK);
    add_network(s, "lost");
    assert_int_equal(cs_store_job_begin(s, &job, err, sizeof(err)), CS_ERR_STORE);
    assert_int_equal(cs_store_commit(s, err, sizeof(err)), CS_ERR_STORE);
    cs_store_rollback(s);
    assert_int_equal(sql_value(fx->url, "SELECT count(*) FROM networks"), 0);
    cs_store_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server_down_gives_one_line_without_the_password),
        cmocka_unit_test_setup_teardown(racing_opens_of_a_new_database_create_the_schema_once,
                                        setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(other_applications_tables_may_share_the_database, setup_db,
                                        teardown_db),
        cmocka_unit_test_setup_teardown(our_table_names_without_schema_version_are_refused,
                                        setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(a_newer_schema_is_refused_naming_both_versions, setup_db,
                                        teardown_db),
        cmocka_unit_test_setup_teardown(network_lock_is_held_until_the_holder_disconnects, setup_db,
                                        teardown_db),
        cmocka_unit_test_setup_teardown(commit_after_a_failed_statement_fails, setup_db,
                                        teardown_db),
    };
    base_url = getenv("CERTSWEEP_TEST_STORE");
    if (base_url == NULL || strncmp(base_url, "postgresql://", 13) != 0 ||
        strrchr(base_url, '/') < base_url + 13) {
        printf(
            "SKIP: CERTSWEEP_TEST_STORE names no PostgreSQL database (run-with-pg.sh sets it)\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
