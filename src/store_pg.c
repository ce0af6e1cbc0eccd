/*
 * The PostgreSQL backend of the inventory (store.h), over libpq, for teams
 * that share one inventory. The schema and the rules are those of
 * docs/inventory.md, the same as the SQLite backend's.
 *
 * Every value travels as a $n parameter (PQexecParams, PQexecPrepared); SQL
 * text is never built from values. The statements on the per-endpoint path
 * of a job are prepared once per connection. Results are read whole before
 * the callbacks of the list functions run, so a callback may call back into
 * the store.
 *
 * Locks are advisory locks of two int keys: a class of ours first, so that
 * they cannot meet those of another application sharing the database.
 */
#include "store_int.h"
#include "store_schema.h"

#include <libpq-fe.h>

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOCK_CLASS_SCHEMA 0x43530001  /* "CS" 1: held by the migration transaction */
#define LOCK_CLASS_NETWORK 0x43530002 /* "CS" 2: second key is the network id */

struct pg_store {
    struct cs_store base; /* first, as store_int.h asks */
    PGconn *conn;
    char *where;     /* the location without its password, for messages */
    int64_t *locked; /* networks whose lock this connection holds */
    size_t nlocked;
};

static struct pg_store *pg(struct cs_store *s)
{
    return (struct pg_store *)s;
}

/* Length of the first line of a message, without the newline. */
static int first_line(const char *msg)
{
    return (int)strcspn(msg, "\r\n");
}

/* ---- the location, for messages ----------------------------------------- */

/* Appends n bytes of src to the string being built at *o. */
static void put(char **o, const char *src, size_t n)
{
    memcpy(*o, src, n);
    *o += n;
}

/*
 * A copy of a connection URL without any password: neither the one in
 * user:secret@host nor a ?password=secret parameter. NULL if out of memory.
 */
static char *redact_location(const char *location)
{
    size_t len = strlen(location);
    char *out = malloc(len + 1), *o = out;
    const char *rest = location, *scheme, *query;

    if (out == NULL)
        return NULL;
    scheme = strstr(location, "://");
    if (scheme != NULL) {
        const char *auth = scheme + 3, *at = NULL, *colon;
        size_t authlen = strcspn(auth, "/?#");
        for (size_t i = 0; i < authlen; i++)
            if (auth[i] == '@')
                at = auth + i;
        colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon != NULL) {
            put(&o, location, (size_t)(colon - location));
            rest = at;
        }
    }
    query = strchr(rest, '?');
    if (query == NULL) {
        put(&o, rest, strlen(rest));
    } else {
        const char *p = query + 1, *sep = "?";
        put(&o, rest, (size_t)(query - rest));
        while (*p != '\0') {
            size_t n = strcspn(p, "&#");
            if (n > 0 && strncmp(p, "password=", 9) != 0) {
                put(&o, sep, 1);
                put(&o, p, n);
                sep = "&";
            }
            p += n;
            if (*p == '#') {
                put(&o, p, strlen(p));
                break;
            }
            if (*p == '&')
                p++;
        }
    }
    *o = '\0';
    return out;
}

/* ---- running statements -------------------------------------------------- */

#define MAX_PARAMS 24

/* The parameters of one statement: text unless given as bytes. */
struct params {
    int n;
    const char *values[MAX_PARAMS];
    int lengths[MAX_PARAMS];
    int formats[MAX_PARAMS];
    char text[MAX_PARAMS][24]; /* room for an int64 or an RFC 3339 time */
};

static void p_text(struct params *p, const char *value) /* NULL is SQL NULL */
{
    assert(p->n < MAX_PARAMS);
    p->values[p->n++] = value;
}

/* For the NOT NULL text columns: NULL is stored as "", as in SQLite. */
static void p_str(struct params *p, const char *value)
{
    p_text(p, value != NULL ? value : "");
}

/* For the text columns that may be NULL: "" is stored as NULL. */
static void p_opt(struct params *p, const char *value)
{
    p_text(p, value != NULL && value[0] != '\0' ? value : NULL);
}

static void p_int(struct params *p, int64_t value)
{
    assert(p->n < MAX_PARAMS);
    snprintf(p->text[p->n], sizeof(p->text[0]), "%" PRId64, value);
    p_text(p, p->text[p->n]);
}

static void p_ref(struct params *p, int64_t id) /* a row id, where 0 means none */
{
    if (id == 0)
        p_text(p, NULL);
    else
        p_int(p, id);
}

static void p_time(struct params *p, time_t t) /* 0 means now */
{
    assert(p->n < MAX_PARAMS);
    cs_store_format_time(t != 0 ? t : time(NULL), p->text[p->n]);
    p_text(p, p->text[p->n]);
}

static void p_bytes(struct params *p, const unsigned char *data, size_t len)
{
    assert(p->n < MAX_PARAMS);
    p->values[p->n] = data != NULL ? (const char *)data : "";
    p->lengths[p->n] = data != NULL ? (int)len : 0;
    p->formats[p->n] = 1; /* binary: the bytes as they are */
    p->n++;
}

static enum cs_rc fail_conn(struct pg_store *s, const char *what, char *err, size_t errlen)
{
    const char *msg = PQerrorMessage(s->conn);
    return cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': %s: %.*s", s->where, what,
                   first_line(msg), msg);
}

static enum cs_rc fail_result(struct pg_store *s, const PGresult *res, const char *what, char *err,
                              size_t errlen)
{
    const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (msg == NULL)
        return fail_conn(s, what, err, errlen);
    return cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': %s: %.*s", s->where, what,
                   first_line(msg), msg);
}

/*
 * Runs one statement: the prepared statement named stmt, or else sql, with
 * the parameters p (may be NULL). Returns its result, to be PQclear()ed, or
 * NULL with *rc and err set.
 */
static PGresult *run(struct pg_store *s, const char *stmt, const char *sql, const struct params *p,
                     const char *what, enum cs_rc *rc, char *err, size_t errlen)
{
    static const struct params none;
    PGresult *res;
    ExecStatusType st;

    if (p == NULL)
        p = &none;
    if (stmt != NULL)
        res = PQexecPrepared(s->conn, stmt, p->n, p->values, p->lengths, p->formats, 0);
    else
        res = PQexecParams(s->conn, sql, p->n, NULL, p->values, p->lengths, p->formats, 0);
    st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    *rc = fail_result(s, res, what, err, errlen);
    PQclear(res);
    return NULL;
}

/* Runs SQL without parameters or rows: transaction control and DDL. */
static enum cs_rc run_plain(struct pg_store *s, const char *sql, const char *what, char *err,
                            size_t errlen)
{
    PGresult *res = PQexec(s->conn, sql);
    enum cs_rc rc = CS_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = fail_result(s, res, what, err, errlen);
    PQclear(res);
    return rc;
}

/* Number of rows a command touched. */
static long affected(const PGresult *res)
{
    return strtol(PQcmdTuples((PGresult *)res), NULL, 10);
}

/* ---- reading rows -------------------------------------------------------- */

/* Reads the columns of one result row in order. Problems are collected and
 * reported once by r_end(). */
struct reader {
    const PGresult *res;
    int row, col;
    bool oom;
    const char *bad; /* name of a column whose value made no sense */
};

static const char *r_next(struct reader *r)
{
    int col = r->col++;
    return PQgetisnull(r->res, r->row, col) ? NULL : PQgetvalue(r->res, r->row, col);
}

static void r_bad(struct reader *r)
{
    if (r->bad == NULL)
        r->bad = PQfname(r->res, r->col - 1);
}

static char *r_str(struct reader *r) /* SQL NULL is NULL */
{
    const char *v = r_next(r);
    char *copy;
    if (v == NULL)
        return NULL;
    copy = strdup(v);
    if (copy == NULL)
        r->oom = true;
    return copy;
}

static int64_t r_int(struct reader *r) /* SQL NULL is 0 */
{
    const char *v = r_next(r);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static time_t r_time(struct reader *r) /* SQL NULL is 0 */
{
    return cs_store_parse_time(r_next(r));
}

static void r_fixed(struct reader *r, char *buf, size_t size) /* SQL NULL is "" */
{
    const char *v = r_next(r);
    size_t len = v != NULL ? strlen(v) : 0;
    if (len >= size) {
        r_bad(r);
        len = 0;
    }
    memcpy(buf, v != NULL ? v : "", len);
    buf[len] = '\0';
}

static enum cs_status r_status(struct reader *r)
{
    enum cs_status st = CS_STATUS_COUNT;
    const char *v = r_next(r);
    if (v == NULL || !cs_status_parse(v, &st))
        r_bad(r);
    return st;
}

static void r_bytes(struct reader *r, unsigned char **data, size_t *len)
{
    const char *v = r_next(r);
    unsigned char *raw;
    size_t n = 0;

    *data = NULL;
    *len = 0;
    if (v == NULL)
        return;
    raw = PQunescapeBytea((const unsigned char *)v, &n);
    if (raw != NULL)
        *data = malloc(n > 0 ? n : 1);
    if (*data == NULL) {
        r->oom = true;
    } else {
        memcpy(*data, raw, n);
        *len = n;
    }
    PQfreemem(raw);
}

static enum cs_rc r_end(struct pg_store *s, const struct reader *r, char *err, size_t errlen)
{
    if (r->oom)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading the inventory");
    if (r->bad != NULL)
        return cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': unexpected value in column %s",
                       s->where, r->bad);
    return CS_OK;
}

/* ---- the schema ---------------------------------------------------------- */

/*
 * The migration steps: steps[i] takes a database from version i to i + 1
 * (version 0 has no tables). Each runs in its own transaction, after which
 * schema_version is set to its number. Version 6 is one more entry.
 */
static const char *const steps[] = {
    /* 0 -> 1: the schema of docs/inventory.md */
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version (version) VALUES (0);" CS_STORE_SCHEMA_V1(
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA"),
    /* 1 -> 2: notifications */
    CS_STORE_SCHEMA_V2("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA"),
    /* 2 -> 3: tickets and webhooks */
    CS_STORE_SCHEMA_V3("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA"),
    /* 3 -> 4: findings */
    CS_STORE_SCHEMA_V4("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA"),
    /* 4 -> 5: schedules, job progress and API tokens */
    CS_STORE_SCHEMA_V5("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA"),
};

_Static_assert(sizeof(steps) / sizeof(steps[0]) == CS_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

/*
 * The schema version of the database, read inside the migration transaction:
 * 0 when none of our tables exist. A database holding some of our table
 * names but no schema_version is someone else's and is refused; other
 * tables may share the database.
 */
static enum cs_rc read_version(struct pg_store *s, int *version, char *err, size_t errlen)
{
    PGresult *res = NULL;
    enum cs_rc rc = CS_OK;
    bool has_version = false;
    char names[200] = "";

    *version = 0;
    res = run(s, NULL,
              "SELECT table_name FROM information_schema.tables"
              " WHERE table_schema = current_schema() AND table_name IN"
              " ('schema_version', 'networks', 'jobs', 'certificates', 'endpoints',"
              " 'endpoint_history', 'outbox', 'alerts', 'alert_reports', 'tickets', 'findings',"
              " 'api_tokens')"
              " ORDER BY table_name",
              NULL, "reading the schema", &rc, err, errlen);
    if (res == NULL)
        goto out;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        size_t used = strlen(names);
        if (strcmp(name, "schema_version") == 0)
            has_version = true;
        else
            snprintf(names + used, sizeof(names) - used, "%s%s", used > 0 ? ", " : "", name);
    }
    if (!has_version) {
        if (names[0] != '\0')
            rc = cs_fail(err, errlen, CS_ERR_USAGE,
                         "'%s' is not a certsweep inventory (it has tables named %s but no "
                         "schema_version)",
                         s->where, names);
        goto out;
    }
    PQclear(res);
    res = run(s, NULL, "SELECT max(version) FROM schema_version", NULL,
              "reading the schema version", &rc, err, errlen);
    if (res == NULL)
        goto out;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        rc = cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': schema_version has no row",
                     s->where);
        goto out;
    }
    *version = atoi(PQgetvalue(res, 0, 0));
    if (*version > CS_STORE_SCHEMA_VERSION)
        rc = cs_fail(err, errlen, CS_ERR_USAGE,
                     "'%s' has inventory schema version %d; this certsweep knows up to %d: "
                     "upgrade certsweep",
                     s->where, *version, CS_STORE_SCHEMA_VERSION);
    else if (*version < 0)
        rc = cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': bad schema version %d", s->where,
                     *version);
out:
    PQclear(res);
    return rc;
}

/*
 * Brings the schema to CS_STORE_SCHEMA_VERSION, one step per transaction.
 * Each transaction first takes the schema lock and then reads the version,
 * so that of two processes opening a new database at once, the second
 * waits and then finds the schema made.
 */
static enum cs_rc migrate(struct pg_store *s, char *err, size_t errlen)
{
    enum cs_rc rc;
    for (;;) {
        struct params p = {0};
        PGresult *res;
        int version;

        rc = run_plain(s, "BEGIN", "migrating the schema", err, errlen);
        if (rc != CS_OK)
            return rc;
        p_int(&p, LOCK_CLASS_SCHEMA);
        p_int(&p, 0);
        res = run(s, NULL, "SELECT pg_advisory_xact_lock($1::integer, $2::integer)", &p,
                  "locking the schema", &rc, err, errlen);
        if (res == NULL)
            goto fail;
        PQclear(res);
        rc = read_version(s, &version, err, errlen);
        if (rc != CS_OK)
            goto fail;
        if (version == CS_STORE_SCHEMA_VERSION)
            return run_plain(s, "COMMIT", "migrating the schema", err, errlen);

        rc = run_plain(s, steps[version], "creating the schema", err, errlen);
        if (rc != CS_OK)
            goto fail;
        p.n = 0;
        p_int(&p, version + 1);
        res = run(s, NULL, "UPDATE schema_version SET version = $1::integer", &p,
                  "setting the schema version", &rc, err, errlen);
        if (res == NULL)
            goto fail;
        PQclear(res);
        rc = run_plain(s, "COMMIT", "migrating the schema", err, errlen);
        if (rc != CS_OK)
            return rc;
    }
fail:
    PQclear(PQexec(s->conn, "ROLLBACK"));
    return rc;
}

/* ---- statements ---------------------------------------------------------- */

/* The columns of each row struct, in the order the fill_* functions read. */
#define NETWORK_COLS                                                                               \
    "n.id, n.name, n.description, n.ranges, n.excludes, n.ports, n.snis, n.alert_to,"              \
    " n.connect_timeout_ms, n.download_timeout_ms, n.expiry_days, n.max_email_rows,"               \
    " n.auto_monitor, n.enabled, n.webhooks, n.tickets, n.discover_every, n.monitor_every,"        \
    " n.vulnscan_every, n.quiet_hours, n.revocation"
#define JOB_COLS                                                                                   \
    "j.id, j.network_id, n.name, j.kind, j.state, j.started_at, j.finished_at,"                    \
    " j.endpoints_scanned, j.timed_out_connecting, j.timed_out_downloading,"                       \
    " j.connection_refused, j.host_unreachable, j.dns_failed, j.not_ssl, j.bad_ssl_handshake,"     \
    " j.certificate_found, j.report_json, j.progress_done, j.progress_total"
#define CERT_COLS                                                                                  \
    "c.sha256, c.subject, c.subject_cn, c.issuer, c.serial, c.not_before, c.not_after, c.sans,"    \
    " c.key_type, c.key_bits, c.sig_alg, c.self_signed, c.der, c.first_seen"
#define ENDPOINT_COLS                                                                              \
    "e.id, e.network_id, e.ip, e.port, e.sni, e.first_seen, e.last_seen, e.last_status,"           \
    " e.last_reason, e.cert_sha256, e.monitored, e.last_job_id"
#define OUTBOX_COLS                                                                                \
    "o.id, o.idem_key, o.channel, o.kind, o.job_id, o.payload, o.state, o.attempts,"               \
    " o.created_at, o.next_attempt_at, o.last_attempt_at, o.sent_at, o.last_error"
/* network_name comes from a LEFT JOIN: NULL for an alert of every network. */
#define ALERT_COLS                                                                                 \
    "a.id, a.name, a.days, a.network_id, n.name, a.recipients, a.syslog, a.subject, a.body,"       \
    " a.repeat_every_days, a.created_at, a.last_run_at, a.channels, a.run_every"
#define ALERT_FROM " FROM alerts a LEFT JOIN networks n ON n.id = a.network_id"
#define TICKET_COLS                                                                                \
    "t.id, t.channel, t.key, t.remote_id, t.remote_number, t.state, t.opened_at, t.updated_at,"    \
    " t.closed_at"
/* A finding with its endpoint and network. */
#define FINDING_COLS                                                                               \
    "f.id, f.endpoint_id, f.check_id, f.severity, f.title, f.detail, f.cve, f.cert_sha256,"        \
    " f.first_seen, f.last_seen, f.fixed_at, f.job_id, e.network_id, n.name, e.ip, e.port, e.sni"

#define TOKEN_COLS "t.id, t.name, t.sha256, t.created_at, t.last_used_at"
/* An endpoint whose two newest history rows (by id: the order the probes
 * were recorded) differ in status or certificate; one with fewer rows has
 * not changed. The same text in store_sqlite.c. */
#define CHANGED_AT_LAST_PROBE                                                                      \
    "EXISTS (SELECT 1 FROM endpoint_history h1 JOIN endpoint_history h2"                           \
    " ON h2.endpoint_id = h1.endpoint_id"                                                          \
    " WHERE h1.id = (SELECT max(id) FROM endpoint_history WHERE endpoint_id = e.id)"               \
    " AND h2.id = (SELECT max(id) FROM endpoint_history WHERE endpoint_id = e.id AND id < h1.id)"  \
    " AND (h1.status <> h2.status"                                                                 \
    " OR coalesce(h1.cert_sha256, '') <> coalesce(h2.cert_sha256, '')))"

/* The job counters are the columns named for the statuses, in enum order. */
_Static_assert(CS_STATUS_COUNT == 8, "jobs has one counter column per status");

/* Statements prepared once per connection: those a job runs per endpoint. */
enum {
    PREP_CERT_PUT,
    PREP_ENDPOINT_GET,
    PREP_ENDPOINT_PUT,
    PREP_HISTORY_ADD,
    PREP_FINDING_PUT,
    PREP_COUNT
};
static const struct {
    const char *name;
    const char *sql;
} prepared[PREP_COUNT] = {
    [PREP_CERT_PUT] = {"cs_cert_put",
                       "INSERT INTO certificates (sha256, subject, subject_cn, issuer, serial,"
                       " not_before, not_after, sans, key_type, key_bits, sig_alg, self_signed,"
                       " der, first_seen)"
                       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                       " ON CONFLICT (sha256) DO NOTHING"},
    [PREP_ENDPOINT_GET] = {"cs_endpoint_get",
                           "SELECT " ENDPOINT_COLS " FROM endpoints e"
                           " WHERE e.network_id = $1 AND e.ip = $2 AND e.port = $3"
                           " AND e.sni = $4"},
    [PREP_ENDPOINT_PUT] = {"cs_endpoint_put",
                           "INSERT INTO endpoints (network_id, ip, port, sni, first_seen,"
                           " last_seen, last_status, last_reason, cert_sha256, monitored,"
                           " last_job_id)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                           " ON CONFLICT (network_id, ip, port, sni) DO UPDATE SET"
                           " last_seen = EXCLUDED.last_seen, last_status = EXCLUDED.last_status,"
                           " last_reason = EXCLUDED.last_reason,"
                           " cert_sha256 = EXCLUDED.cert_sha256,"
                           " monitored = EXCLUDED.monitored, last_job_id = EXCLUDED.last_job_id"
                           " RETURNING id"},
    [PREP_HISTORY_ADD] = {"cs_history_add",
                          "INSERT INTO endpoint_history (endpoint_id, job_id, probed_at, status,"
                          " reason, cert_sha256) VALUES ($1, $2, $3, $4, $5, $6)"},
    /* first_seen is set on insert only: a finding seen again, or back
     * after a fix, keeps its first sighting. */
    [PREP_FINDING_PUT] = {"cs_finding_put",
                          "INSERT INTO findings (endpoint_id, check_id, severity, title, detail,"
                          " cve, cert_sha256, first_seen, last_seen, fixed_at, job_id)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                          " ON CONFLICT (endpoint_id, check_id) DO UPDATE SET"
                          " severity = EXCLUDED.severity, title = EXCLUDED.title,"
                          " detail = EXCLUDED.detail, cve = EXCLUDED.cve,"
                          " cert_sha256 = EXCLUDED.cert_sha256, last_seen = EXCLUDED.last_seen,"
                          " fixed_at = EXCLUDED.fixed_at, job_id = EXCLUDED.job_id"
                          " RETURNING id"},
};

static enum cs_rc prepare_all(struct pg_store *s, char *err, size_t errlen)
{
    for (int i = 0; i < PREP_COUNT; i++) {
        PGresult *res = PQprepare(s->conn, prepared[i].name, prepared[i].sql, 0, NULL);
        enum cs_rc rc = CS_OK;
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = fail_result(s, res, "preparing statements", err, errlen);
        PQclear(res);
        if (rc != CS_OK)
            return rc;
    }
    return CS_OK;
}

/* ---- open, close, transactions ------------------------------------------- */

/* Server notices (such as "there is no transaction in progress") are not
 * errors and must not reach the terminal: the library does not print. */
static void ignore_notice(void *arg, const char *message) {}

static void pg_close(struct cs_store *base)
{
    struct pg_store *s = pg(base);
    /* The server would roll back and release the locks itself, but only
     * once it has noticed the hang-up: a store opened right after this one
     * could still find a network locked. So release them first. */
    if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK) {
        if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
            PQclear(PQexec(s->conn, "ROLLBACK"));
        if (s->nlocked > 0)
            PQclear(PQexec(s->conn, "SELECT pg_advisory_unlock_all()"));
    }
    PQfinish(s->conn);
    free(s->where);
    free(s->locked);
    free(s);
}

static enum cs_rc pg_open(const char *location, struct cs_store **out, char *err, size_t errlen)
{
    /* Entries before dbname are defaults that the URL overrides. */
    const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *values[] = {getenv("PGCONNECT_TIMEOUT") == NULL ? "10" : NULL, "certsweep",
                            location, NULL};
    struct pg_store *s = calloc(1, sizeof(*s));
    enum cs_rc rc = CS_OK;

    *out = NULL;
    if (s == NULL || (s->where = redact_location(location)) == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory opening the inventory");
        goto out;
    }
    s->conn = PQconnectdbParams(keys, values, 1);
    if (s->conn == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory opening the inventory");
        goto out;
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(s->conn);
        rc = cs_fail(err, errlen, CS_ERR_STORE, "cannot open inventory '%s': %.*s", s->where,
                     first_line(msg), msg);
        goto out;
    }
    PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
    if (PQserverVersion(s->conn) < 100000) {
        rc = cs_fail(err, errlen, CS_ERR_STORE,
                     "inventory '%s': the server runs PostgreSQL %d, and identity columns need "
                     "PostgreSQL 10 or later",
                     s->where, PQserverVersion(s->conn) / 10000);
        goto out;
    }
    if (PQsetClientEncoding(s->conn, "UTF8") != 0) {
        rc = fail_conn(s, "setting the client encoding", err, errlen);
        goto out;
    }
    rc = migrate(s, err, errlen);
    if (rc == CS_OK)
        rc = prepare_all(s, err, errlen);
out:
    if (rc == CS_OK)
        *out = &s->base;
    else if (s != NULL)
        pg_close(&s->base);
    return rc;
}

/*
 * Transaction control from store.c. Unlike PostgreSQL, which only warns,
 * a BEGIN inside a transaction is an error, as in SQLite; and a COMMIT of a
 * transaction that an error has aborted, which PostgreSQL turns into a
 * silent ROLLBACK, fails.
 */
static enum cs_rc pg_exec(struct cs_store *base, const char *sql, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    PGTransactionStatusType tx = PQtransactionStatus(s->conn);
    PGresult *res;
    enum cs_rc rc = CS_OK;

    if (strcmp(sql, "BEGIN") == 0 && (tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR))
        return cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': a transaction is already open",
                       s->where);
    res = PQexec(s->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = fail_result(s, res, sql, err, errlen);
    else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        rc = cs_fail(err, errlen, CS_ERR_STORE,
                     "inventory '%s': COMMIT: the transaction was rolled back after an error in "
                     "it",
                     s->where);
    PQclear(res);
    return rc;
}

/* ---- networks ------------------------------------------------------------ */

static enum cs_rc fill_network(struct pg_store *s, const PGresult *res, int row,
                               struct cs_network *net, char *err, size_t errlen)
{
    struct reader r = {.res = res, .row = row};
    memset(net, 0, sizeof(*net));
    net->id = r_int(&r);
    net->name = r_str(&r);
    net->description = r_str(&r);
    net->ranges = r_str(&r);
    net->excludes = r_str(&r);
    net->ports = r_str(&r);
    net->snis = r_str(&r);
    net->alert_to = r_str(&r);
    net->connect_timeout_ms = (unsigned)r_int(&r);
    net->download_timeout_ms = (unsigned)r_int(&r);
    net->expiry_days = (unsigned)r_int(&r);
    net->max_email_rows = (unsigned)r_int(&r);
    net->auto_monitor = r_int(&r) != 0;
    net->enabled = r_int(&r) != 0;
    net->webhooks = r_str(&r);
    net->tickets = r_str(&r);
    net->discover_every = r_str(&r);
    net->monitor_every = r_str(&r);
    net->vulnscan_every = r_str(&r);
    net->quiet_hours = r_str(&r);
    net->revocation = r_int(&r) != 0;
    enum cs_rc rc = r_end(s, &r, err, errlen);
    if (rc != CS_OK)
        cs_network_clear(net);
    return rc;
}

/* The parameters $1..$20 of a network's settings, name first. */
static void network_params(struct params *p, const struct cs_network *net)
{
    p_str(p, net->name);
    p_str(p, net->description);
    p_str(p, net->ranges);
    p_str(p, net->excludes);
    p_str(p, net->ports);
    p_str(p, net->snis);
    p_str(p, net->alert_to);
    p_int(p, net->connect_timeout_ms);
    p_int(p, net->download_timeout_ms);
    p_int(p, net->expiry_days);
    p_int(p, net->max_email_rows);
    p_int(p, net->auto_monitor);
    p_int(p, net->enabled);
    p_str(p, net->webhooks);
    p_str(p, net->tickets);
    p_str(p, net->discover_every);
    p_str(p, net->monitor_every);
    p_str(p, net->vulnscan_every);
    p_str(p, net->quiet_hours);
    p_int(p, net->revocation);
}

static enum cs_rc pg_network_add(struct cs_store *base, struct cs_network *net, char *err,
                                 size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* ON CONFLICT rather than a unique violation, which would abort the
     * caller's transaction. */
    network_params(&p, net);
    p_time(&p, time(NULL));
    res = run(s, NULL,
              "INSERT INTO networks (name, description, ranges, excludes, ports, snis,"
              " alert_to, connect_timeout_ms, download_timeout_ms, expiry_days,"
              " max_email_rows, auto_monitor, enabled, webhooks, tickets, discover_every,"
              " monitor_every, vulnscan_every, quiet_hours, revocation, created_at)"
              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
              " $17, $18, $19, $20, $21)"
              " ON CONFLICT (name) DO NOTHING RETURNING id",
              &p, "adding a network", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 1)
        net->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "network '%s' already exists", net->name);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_network_update(struct cs_store *base, const struct cs_network *net, char *err,
                                    size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* A rename onto another network's name is caught by NOT EXISTS rather
     * than by a unique violation, which would abort the transaction. */
    network_params(&p, net);
    p_int(&p, net->id);
    res = run(s, NULL,
              "UPDATE networks SET name = $1, description = $2, ranges = $3, excludes = $4,"
              " ports = $5, snis = $6, alert_to = $7,"
              " connect_timeout_ms = $8, download_timeout_ms = $9, expiry_days = $10,"
              " max_email_rows = $11, auto_monitor = $12, enabled = $13, webhooks = $14,"
              " tickets = $15, discover_every = $16, monitor_every = $17, vulnscan_every = $18,"
              " quiet_hours = $19, revocation = $20 WHERE id = $21 AND NOT EXISTS"
              " (SELECT 1 FROM networks o WHERE o.name = $1 AND o.id <> $21)",
              &p, "updating a network", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0) {
        PQclear(res);
        p.n = 0;
        p_int(&p, net->id);
        res = run(s, NULL, "SELECT 1 FROM networks WHERE id = $1::bigint", &p, "updating a network",
                  &rc, err, errlen);
        if (res == NULL)
            return rc;
        if (PQntuples(res) > 0)
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "network '%s' already exists", net->name);
        else
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network named '%s'", net->name);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_network_remove(struct cs_store *base, const char *name, char *err,
                                    size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, name);
    res = run(s, NULL, "DELETE FROM networks WHERE name = $1", &p, "removing a network", &rc, err,
              errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network named '%s'", name);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_network_get(struct cs_store *base, const char *name, struct cs_network *out,
                                 char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, name);
    res = run(s, NULL, "SELECT " NETWORK_COLS " FROM networks n WHERE n.name = $1", &p,
              "reading a network", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network named '%s'", name);
    else
        rc = fill_network(s, res, 0, out, err, errlen);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_network_list(struct cs_store *base,
                                  void (*fn)(const struct cs_network *net, void *arg), void *arg,
                                  char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    enum cs_rc rc = CS_OK;
    PGresult *res;

    res = run(s, NULL, "SELECT " NETWORK_COLS " FROM networks n ORDER BY n.name COLLATE \"C\"",
              NULL, "listing networks", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct cs_network net;
        rc = fill_network(s, res, i, &net, err, errlen);
        if (rc == CS_OK) {
            fn(&net, arg);
            cs_network_clear(&net);
        }
    }
    PQclear(res);
    return rc;
}

/*
 * The session advisory lock (LOCK_CLASS_NETWORK, id): PostgreSQL drops it
 * when the connection ends, however the process ends. A lock this store
 * already holds is granted again without touching the jobs: the running
 * one may be its own.
 */
static enum cs_rc pg_network_lock(struct cs_store *base, int64_t network_id, char *err,
                                  size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res = NULL;
    int64_t *locked;

    for (size_t i = 0; i < s->nlocked; i++)
        if (s->locked[i] == network_id)
            return CS_OK;
    locked = realloc(s->locked, (s->nlocked + 1) * sizeof(*locked));
    if (locked == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory locking a network");
    s->locked = locked;

    /* The second key is an int: ids past 2^31 share a lock with another
     * network, which can only refuse a job, never let two run. */
    p_int(&p, LOCK_CLASS_NETWORK);
    p_int(&p, (int32_t)(uint32_t)network_id);
    p_int(&p, network_id);
    res = run(s, NULL,
              "SELECT n.name, pg_try_advisory_lock($1::integer, $2::integer)"
              " FROM networks n WHERE n.id = $3::bigint",
              &p, "locking a network", &rc, err, errlen);
    if (res == NULL)
        goto out;
    if (PQntuples(res) == 0) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network with id %" PRId64, network_id);
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        rc = cs_fail(err, errlen, CS_ERR_BUSY, "network '%s' already has a job running",
                     PQgetvalue(res, 0, 0));
        goto out;
    }
    s->locked[s->nlocked++] = network_id;
    PQclear(res);

    p.n = 0;
    p_int(&p, network_id);
    p_time(&p, time(NULL));
    res = run(s, NULL,
              "UPDATE jobs SET state = 'interrupted', finished_at = $2"
              " WHERE network_id = $1 AND state = 'running'",
              &p, "marking interrupted jobs", &rc, err, errlen);
out:
    PQclear(res);
    return rc;
}

/* ---- jobs ---------------------------------------------------------------- */

static bool job_state_parse(const char *name, enum cs_job_state *out)
{
    for (int st = CS_JOB_RUNNING; st <= CS_JOB_FAILED; st++)
        if (name != NULL && strcmp(name, cs_job_state_name((enum cs_job_state)st)) == 0) {
            *out = (enum cs_job_state)st;
            return true;
        }
    return false;
}

static enum cs_rc fill_job(struct pg_store *s, const PGresult *res, int row, struct cs_job *job,
                           char *err, size_t errlen)
{
    struct reader r = {.res = res, .row = row};
    memset(job, 0, sizeof(*job));
    job->id = r_int(&r);
    job->network_id = r_int(&r);
    job->network_name = r_str(&r);
    if (!cs_job_kind_parse(r_next(&r), &job->kind))
        r_bad(&r);
    if (!job_state_parse(r_next(&r), &job->state))
        r_bad(&r);
    job->started_at = r_time(&r);
    job->finished_at = r_time(&r);
    job->endpoints_scanned = (uint64_t)r_int(&r);
    for (int st = 0; st < CS_STATUS_COUNT; st++)
        job->counts[st] = (uint64_t)r_int(&r);
    job->report_json = r_str(&r);
    job->progress_done = (uint64_t)r_int(&r);
    job->progress_total = (uint64_t)r_int(&r);
    enum cs_rc rc = r_end(s, &r, err, errlen);
    if (rc != CS_OK)
        cs_job_clear(job);
    return rc;
}

static enum cs_rc pg_job_begin(struct cs_store *base, struct cs_job *job, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    if (job->started_at == 0)
        job->started_at = time(NULL); /* stored and returned alike */
    p_int(&p, job->network_id);
    p_text(&p, cs_job_kind_name(job->kind));
    p_time(&p, job->started_at);
    res = run(s, NULL,
              "INSERT INTO jobs (network_id, kind, state, started_at)"
              " VALUES ($1, $2, 'running', $3) RETURNING id",
              &p, "starting a job", &rc, err, errlen);
    if (res == NULL)
        return rc;
    job->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    job->state = CS_JOB_RUNNING;
    PQclear(res);
    return CS_OK;
}

static enum cs_rc pg_job_finish(struct cs_store *base, const struct cs_job *job, char *err,
                                size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, job->id);
    p_text(&p, cs_job_state_name(job->state));
    p_time(&p, job->finished_at);
    p_int(&p, (int64_t)job->endpoints_scanned);
    for (int st = 0; st < CS_STATUS_COUNT; st++)
        p_int(&p, (int64_t)job->counts[st]);
    p_text(&p, job->report_json);
    res = run(s, NULL,
              "UPDATE jobs SET state = $2, finished_at = $3, endpoints_scanned = $4,"
              " timed_out_connecting = $5, timed_out_downloading = $6,"
              " connection_refused = $7, host_unreachable = $8, dns_failed = $9,"
              " not_ssl = $10, bad_ssl_handshake = $11, certificate_found = $12,"
              " report_json = $13 WHERE id = $1",
              &p, "finishing a job", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no job %" PRId64, job->id);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_job_get(struct cs_store *base, int64_t id, struct cs_job *out, char *err,
                             size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, id);
    res = run(s, NULL,
              "SELECT " JOB_COLS " FROM jobs j JOIN networks n ON n.id = j.network_id"
              " WHERE j.id = $1",
              &p, "reading a job", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no job %" PRId64, id);
    else
        rc = fill_job(s, res, 0, out, err, errlen);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_job_list(struct cs_store *base, int64_t network_id,
                              void (*fn)(const struct cs_job *job, void *arg), void *arg, char *err,
                              size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, network_id);
    res = run(s, NULL,
              "SELECT " JOB_COLS " FROM jobs j JOIN networks n ON n.id = j.network_id"
              " WHERE $1::bigint = 0 OR j.network_id = $1::bigint"
              " ORDER BY j.id DESC",
              &p, "listing jobs", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct cs_job job;
        rc = fill_job(s, res, i, &job, err, errlen);
        if (rc == CS_OK) {
            fn(&job, arg);
            cs_job_clear(&job);
        }
    }
    PQclear(res);
    return rc;
}

/* ---- certificates and endpoints ------------------------------------------ */

/* Reads CERT_COLS from column r->col on. */
static void read_cert(struct reader *r, struct cs_cert_row *cert)
{
    memset(cert, 0, sizeof(*cert));
    r_fixed(r, cert->sha256, sizeof(cert->sha256));
    cert->subject = r_str(r);
    cert->subject_cn = r_str(r);
    cert->issuer = r_str(r);
    cert->serial = r_str(r);
    r_fixed(r, cert->not_before, sizeof(cert->not_before));
    r_fixed(r, cert->not_after, sizeof(cert->not_after));
    cert->not_after_epoch = cs_store_parse_time(cert->not_after);
    cert->sans_json = r_str(r);
    cert->key_type = r_str(r);
    cert->key_bits = (int)r_int(r);
    cert->sig_alg = r_str(r);
    cert->self_signed = r_int(r) != 0;
    r_bytes(r, &cert->der, &cert->der_len);
    cert->first_seen = r_time(r);
}

/* Reads ENDPOINT_COLS from column r->col on. */
static void read_endpoint(struct reader *r, struct cs_endpoint_row *ep)
{
    int64_t port;
    memset(ep, 0, sizeof(*ep));
    ep->id = r_int(r);
    ep->network_id = r_int(r);
    r_fixed(r, ep->ip, sizeof(ep->ip));
    port = r_int(r);
    if (port < 0 || port > UINT16_MAX)
        r_bad(r);
    ep->port = (uint16_t)port;
    ep->sni = r_str(r);
    ep->first_seen = r_time(r);
    ep->last_seen = r_time(r);
    ep->last_status = r_status(r);
    ep->last_reason = r_str(r);
    ep->cert_sha256 = r_str(r);
    ep->monitored = r_int(r) != 0;
    ep->last_job_id = r_int(r);
}

static enum cs_rc pg_cert_put(struct cs_store *base, const struct cs_cert_row *cert, char *err,
                              size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, cert->sha256);
    p_str(&p, cert->subject);
    p_opt(&p, cert->subject_cn);
    p_str(&p, cert->issuer);
    p_str(&p, cert->serial);
    p_opt(&p, cert->not_before);
    /* A row built by hand may carry only the epoch. */
    if (cert->not_after[0] == '\0' && cert->not_after_epoch != 0)
        p_time(&p, cert->not_after_epoch);
    else
        p_opt(&p, cert->not_after);
    p_str(&p, cert->sans_json != NULL ? cert->sans_json : "[]");
    p_str(&p, cert->key_type);
    p_int(&p, cert->key_bits);
    p_str(&p, cert->sig_alg);
    p_int(&p, cert->self_signed);
    p_bytes(&p, cert->der, cert->der_len);
    p_time(&p, cert->first_seen);
    res = run(s, prepared[PREP_CERT_PUT].name, NULL, &p, "storing a certificate", &rc, err, errlen);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_cert_get(struct cs_store *base, const char *sha256, struct cs_cert_row *out,
                              char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, sha256);
    res = run(s, NULL, "SELECT " CERT_COLS " FROM certificates c WHERE c.sha256 = $1", &p,
              "reading a certificate", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0) {
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no certificate %s", sha256);
    } else {
        struct reader r = {.res = res};
        read_cert(&r, out);
        rc = r_end(s, &r, err, errlen);
        if (rc != CS_OK)
            cs_cert_row_clear(out);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_cert_list(struct cs_store *base, const struct cs_cert_filter *filter,
                               void (*fn)(const struct cs_cert_row *cert,
                                          const struct cs_endpoint_row *ep, void *arg),
                               void *arg, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* RFC 3339 UTC text of one length sorts and compares as time does,
     * byte by byte: hence COLLATE "C", whatever the database's collation. */
    p_int(&p, filter != NULL ? filter->network_id : 0);
    if (filter != NULL && filter->expires_before != 0)
        p_time(&p, filter->expires_before);
    else
        p_text(&p, NULL);
    p_text(&p, filter != NULL ? filter->issuer : NULL);
    res = run(s, NULL,
              "SELECT " CERT_COLS ", " ENDPOINT_COLS
              " FROM endpoints e JOIN certificates c ON c.sha256 = e.cert_sha256"
              " WHERE ($1::bigint = 0 OR e.network_id = $1::bigint)"
              " AND ($2::text IS NULL OR c.not_after COLLATE \"C\" < $2::text)"
              " AND ($3::text IS NULL OR strpos(c.issuer, $3::text) > 0)"
              " ORDER BY c.not_after COLLATE \"C\" NULLS FIRST, e.ip COLLATE \"C\", e.port,"
              " e.sni COLLATE \"C\", e.id",
              &p, "listing certificates", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct reader r = {.res = res, .row = i};
        struct cs_cert_row cert;
        struct cs_endpoint_row ep;
        read_cert(&r, &cert);
        read_endpoint(&r, &ep);
        rc = r_end(s, &r, err, errlen);
        if (rc == CS_OK)
            fn(&cert, &ep, arg);
        cs_cert_row_clear(&cert);
        cs_endpoint_row_clear(&ep);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_endpoint_get(struct cs_store *base, int64_t network_id, const char *ip,
                                  uint16_t port, const char *sni, struct cs_endpoint_row *out,
                                  char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, network_id);
    p_str(&p, ip);
    p_int(&p, port);
    p_str(&p, sni);
    res =
        run(s, prepared[PREP_ENDPOINT_GET].name, NULL, &p, "reading an endpoint", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0) {
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no endpoint %s:%u%s%s in network %" PRId64, ip,
                     port, sni != NULL && sni[0] != '\0' ? " sni " : "", sni != NULL ? sni : "",
                     network_id);
    } else {
        struct reader r = {.res = res};
        read_endpoint(&r, out);
        rc = r_end(s, &r, err, errlen);
        if (rc != CS_OK)
            cs_endpoint_row_clear(out);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_endpoint_put(struct cs_store *base, struct cs_endpoint_row *ep, char *err,
                                  size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, ep->network_id);
    p_str(&p, ep->ip);
    p_int(&p, ep->port);
    p_str(&p, ep->sni);
    p_time(&p, ep->first_seen);
    p_time(&p, ep->last_seen);
    p_text(&p, cs_status_name(ep->last_status));
    p_str(&p, ep->last_reason);
    p_opt(&p, ep->cert_sha256);
    p_int(&p, ep->monitored);
    p_ref(&p, ep->last_job_id);
    res =
        run(s, prepared[PREP_ENDPOINT_PUT].name, NULL, &p, "storing an endpoint", &rc, err, errlen);
    if (res == NULL)
        return rc;
    ep->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return CS_OK;
}

static enum cs_rc pg_endpoint_list(struct cs_store *base, const struct cs_endpoint_filter *filter,
                                   void (*fn)(const struct cs_endpoint_row *ep, void *arg),
                                   void *arg, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;
    int status = filter != NULL ? filter->status : 0;

    if (status < 0 || status > CS_STATUS_COUNT)
        return cs_fail(err, errlen, CS_ERR_USAGE, "no endpoint status number %d", status - 1);
    p_int(&p, filter != NULL ? filter->network_id : 0);
    p_text(&p, status > 0 ? cs_status_name((enum cs_status)(status - 1)) : NULL);
    p_int(&p, filter != NULL && filter->monitored_only);
    p_int(&p, filter != NULL && filter->changed_only);
    res = run(s, NULL,
              "SELECT " ENDPOINT_COLS " FROM endpoints e"
              " WHERE ($1::bigint = 0 OR e.network_id = $1::bigint)"
              " AND ($2::text IS NULL OR e.last_status = $2::text)"
              " AND ($3::integer = 0 OR e.monitored <> 0)"
              " AND ($4::integer = 0 OR " CHANGED_AT_LAST_PROBE ")"
              " ORDER BY e.ip COLLATE \"C\", e.port, e.sni COLLATE \"C\", e.id",
              &p, "listing endpoints", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct reader r = {.res = res, .row = i};
        struct cs_endpoint_row ep;
        read_endpoint(&r, &ep);
        rc = r_end(s, &r, err, errlen);
        if (rc == CS_OK)
            fn(&ep, arg);
        cs_endpoint_row_clear(&ep);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_history_add(struct cs_store *base, int64_t endpoint_id, int64_t job_id,
                                 time_t probed_at, enum cs_status status, const char *reason,
                                 const char *cert_sha256, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, endpoint_id);
    p_ref(&p, job_id);
    p_time(&p, probed_at);
    p_text(&p, cs_status_name(status));
    p_str(&p, reason);
    p_opt(&p, cert_sha256);
    res = run(s, prepared[PREP_HISTORY_ADD].name, NULL, &p, "adding endpoint history", &rc, err,
              errlen);
    PQclear(res);
    return rc;
}

/* ---- the outbox ---------------------------------------------------------- */

static enum cs_rc fill_outbox(struct pg_store *s, const PGresult *res, int row,
                              struct cs_outbox_row *out, char *err, size_t errlen)
{
    struct reader r = {.res = res, .row = row};
    memset(out, 0, sizeof(*out));
    out->id = r_int(&r);
    out->idem_key = r_str(&r);
    out->channel = r_str(&r);
    out->kind = r_str(&r);
    out->job_id = r_int(&r);
    out->payload = r_str(&r);
    if (!cs_outbox_state_parse(r_next(&r), &out->state))
        r_bad(&r);
    out->attempts = (unsigned)r_int(&r);
    out->created_at = r_time(&r);
    out->next_attempt_at = r_time(&r);
    out->last_attempt_at = r_time(&r);
    out->sent_at = r_time(&r);
    out->last_error = r_str(&r);
    enum cs_rc rc = r_end(s, &r, err, errlen);
    if (rc != CS_OK)
        cs_outbox_row_clear(out);
    return rc;
}

static enum cs_rc pg_outbox_add(struct cs_store *base, struct cs_outbox_row *row, char *err,
                                size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* Stored and returned alike. */
    if (row->created_at == 0)
        row->created_at = time(NULL);
    if (row->next_attempt_at == 0)
        row->next_attempt_at = row->created_at;
    p_str(&p, row->idem_key);
    p_str(&p, row->channel);
    p_str(&p, row->kind);
    p_ref(&p, row->job_id);
    p_str(&p, row->payload);
    p_time(&p, row->created_at);
    p_time(&p, row->next_attempt_at);
    /* DO NOTHING returns no row when the key is there already; a message
     * being queued under it by another transaction is waited for. */
    res = run(s, NULL,
              "INSERT INTO outbox (idem_key, channel, kind, job_id, payload, state, attempts,"
              " created_at, next_attempt_at, last_error)"
              " VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, '')"
              " ON CONFLICT (idem_key) DO NOTHING RETURNING id",
              &p, "queuing a message", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 1) {
        row->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        return CS_OK;
    }
    PQclear(res);
    p.n = 0;
    p_str(&p, row->idem_key);
    res = run(s, NULL, "SELECT id FROM outbox WHERE idem_key = $1", &p, "queuing a message", &rc,
              err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 1)
        row->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        rc = cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': message '%s' vanished", s->where,
                     row->idem_key);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_outbox_get(struct cs_store *base, int64_t id, struct cs_outbox_row *out,
                                char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, id);
    res = run(s, NULL, "SELECT " OUTBOX_COLS " FROM outbox o WHERE o.id = $1", &p,
              "reading an outbox message", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no outbox message %" PRId64, id);
    else
        rc = fill_outbox(s, res, 0, out, err, errlen);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_outbox_list(struct cs_store *base, const struct cs_outbox_filter *filter,
                                 void (*fn)(const struct cs_outbox_row *row, void *arg), void *arg,
                                 char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;
    int state = filter != NULL ? filter->state : 0;

    /* Times compare as RFC 3339 text, byte by byte: see pg_cert_list(). */
    p_text(&p, state > 0 ? cs_outbox_state_name((enum cs_outbox_state)(state - 1)) : NULL);
    if (filter != NULL && filter->due != 0)
        p_time(&p, filter->due);
    else
        p_text(&p, NULL);
    if (filter != NULL && filter->limit > 0)
        p_int(&p, filter->limit);
    else
        p_text(&p, NULL); /* LIMIT NULL: no limit */
    res = run(s, NULL,
              "SELECT " OUTBOX_COLS " FROM outbox o"
              " WHERE ($1::text IS NULL OR o.state = $1::text)"
              " AND ($2::text IS NULL OR (o.state = 'pending'"
              " AND o.next_attempt_at COLLATE \"C\" <= $2::text))"
              " ORDER BY o.id LIMIT $3::bigint",
              &p, "listing the outbox", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct cs_outbox_row row;
        rc = fill_outbox(s, res, i, &row, err, errlen);
        if (rc == CS_OK) {
            fn(&row, arg);
            cs_outbox_row_clear(&row);
        }
    }
    PQclear(res);
    return rc;
}

/*
 * One UPDATE whose condition is the claim: at READ COMMITTED, a second
 * process updating the same row waits for the first to commit, then
 * checks the condition again against the updated row, finds it no longer
 * due, and updates nothing.
 */
static enum cs_rc pg_outbox_claim(struct cs_store *base, int64_t id, time_t now, time_t lease_until,
                                  const char *note, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, id);
    p_time(&p, now);
    p_time(&p, lease_until);
    p_str(&p, note);
    res = run(s, NULL,
              "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = $2,"
              " next_attempt_at = $3, last_error = $4"
              " WHERE id = $1 AND state = 'pending' AND next_attempt_at COLLATE \"C\" <= $2",
              &p, "claiming an outbox message", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_BUSY,
                     "outbox message %" PRId64 " is not pending and due: another process took "
                     "it, or it is gone",
                     id);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_outbox_finish(struct cs_store *base, int64_t id, unsigned attempts,
                                   enum cs_outbox_state state, time_t next_attempt_at,
                                   time_t sent_at, const char *error, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, id);
    p_text(&p, cs_outbox_state_name(state));
    p_str(&p, error);
    if (state == CS_OUTBOX_PENDING)
        p_time(&p, next_attempt_at);
    else
        p_text(&p, NULL);
    if (state == CS_OUTBOX_SENT)
        p_time(&p, sent_at);
    else
        p_text(&p, NULL);
    p_int(&p, attempts);
    res = run(s, NULL,
              "UPDATE outbox SET state = $2, last_error = $3,"
              " next_attempt_at = coalesce($4, next_attempt_at), sent_at = coalesce($5, sent_at)"
              " WHERE id = $1 AND attempts = $6",
              &p, "recording an outbox attempt", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_BUSY,
                     "outbox message %" PRId64 " is unknown or was claimed again meanwhile", id);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_outbox_retry(struct cs_store *base, int64_t id, time_t now, char *err,
                                  size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, id);
    p_time(&p, now);
    res = run(s, NULL,
              "UPDATE outbox SET state = 'pending', next_attempt_at = $2, attempts = 0"
              " WHERE id = $1 AND state <> 'sent'",
              &p, "retrying an outbox message", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) > 0) {
        PQclear(res);
        return CS_OK;
    }
    /* Nothing changed: the message is unknown, or was sent. */
    PQclear(res);
    p.n = 0;
    p_int(&p, id);
    res = run(s, NULL, "SELECT sent_at FROM outbox WHERE id = $1", &p, "retrying an outbox message",
              &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no outbox message %" PRId64, id);
    else
        rc = cs_fail(err, errlen, CS_ERR_USAGE,
                     "message %" PRId64 " was sent at %s; nothing to retry", id,
                     PQgetisnull(res, 0, 0) ? "an unknown time" : PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* ---- alerts -------------------------------------------------------------- */

static enum cs_rc fill_alert(struct pg_store *s, const PGresult *res, int row,
                             struct cs_alert *alert, char *err, size_t errlen)
{
    struct reader r = {.res = res, .row = row};
    memset(alert, 0, sizeof(*alert));
    alert->id = r_int(&r);
    alert->name = r_str(&r);
    alert->days = (unsigned)r_int(&r);
    alert->network_id = r_int(&r);
    alert->network_name = r_str(&r);
    alert->recipients = r_str(&r);
    alert->syslog = r_int(&r) != 0;
    alert->subject = r_str(&r);
    alert->body = r_str(&r);
    alert->repeat_every_days = (unsigned)r_int(&r);
    alert->created_at = r_time(&r);
    alert->last_run_at = r_time(&r);
    alert->channels = r_str(&r);
    alert->run_every = r_str(&r);
    enum cs_rc rc = r_end(s, &r, err, errlen);
    if (rc != CS_OK)
        cs_alert_clear(alert);
    return rc;
}

static enum cs_rc pg_alert_add(struct cs_store *base, struct cs_alert *alert, char *err,
                               size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    if (alert->created_at == 0)
        alert->created_at = time(NULL); /* stored and returned alike */
    p_str(&p, alert->name);
    p_int(&p, alert->days);
    p_ref(&p, alert->network_id);
    p_str(&p, alert->recipients);
    p_int(&p, alert->syslog);
    p_str(&p, alert->subject);
    p_str(&p, alert->body);
    p_int(&p, alert->repeat_every_days);
    p_time(&p, alert->created_at);
    p_str(&p, alert->channels);
    p_str(&p, alert->run_every);
    /* ON CONFLICT rather than a unique violation, which would abort the
     * caller's transaction. */
    res = run(s, NULL,
              "INSERT INTO alerts (name, days, network_id, recipients, syslog, subject, body,"
              " repeat_every_days, created_at, channels, run_every)"
              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
              " ON CONFLICT (name) DO NOTHING RETURNING id",
              &p, "adding an alert", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 1)
        alert->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "an alert named '%s' exists already", alert->name);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_alert_get(struct cs_store *base, const char *name, struct cs_alert *out,
                               char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, name);
    res = run(s, NULL, "SELECT " ALERT_COLS ALERT_FROM " WHERE a.name = $1", &p, "reading an alert",
              &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no alert named '%s'", name);
    else
        rc = fill_alert(s, res, 0, out, err, errlen);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_alert_list(struct cs_store *base,
                                void (*fn)(const struct cs_alert *alert, void *arg), void *arg,
                                char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    enum cs_rc rc = CS_OK;
    PGresult *res;

    res = run(s, NULL, "SELECT " ALERT_COLS ALERT_FROM " ORDER BY a.name COLLATE \"C\"", NULL,
              "listing alerts", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct cs_alert alert;
        rc = fill_alert(s, res, i, &alert, err, errlen);
        if (rc == CS_OK) {
            fn(&alert, arg);
            cs_alert_clear(&alert);
        }
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_alert_remove(struct cs_store *base, const char *name, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, name);
    res = run(s, NULL, "DELETE FROM alerts WHERE name = $1", &p, "removing an alert", &rc, err,
              errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no alert named '%s'", name);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_alert_ran(struct cs_store *base, int64_t alert_id, time_t at, char *err,
                               size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, alert_id);
    p_time(&p, at);
    res = run(s, NULL, "UPDATE alerts SET last_run_at = $2 WHERE id = $1", &p,
              "recording an alert run", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no alert with id %" PRId64, alert_id);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_alert_reported_get(struct cs_store *base, int64_t alert_id, const char *sha256,
                                        time_t *reported_at, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    *reported_at = 0;
    p_int(&p, alert_id);
    p_str(&p, sha256);
    res = run(s, NULL,
              "SELECT reported_at FROM alert_reports WHERE alert_id = $1 AND cert_sha256 = $2", &p,
              "reading an alert report", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) > 0)
        *reported_at = cs_store_parse_time(PQgetvalue(res, 0, 0));
    PQclear(res);
    return CS_OK;
}

static enum cs_rc pg_alert_reported_mark(struct cs_store *base, int64_t alert_id,
                                         const char *sha256, time_t at, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, alert_id);
    p_str(&p, sha256);
    p_time(&p, at);
    res = run(s, NULL,
              "INSERT INTO alert_reports (alert_id, cert_sha256, reported_at)"
              " VALUES ($1, $2, $3) ON CONFLICT (alert_id, cert_sha256)"
              " DO UPDATE SET reported_at = EXCLUDED.reported_at",
              &p, "recording an alert report", &rc, err, errlen);
    PQclear(res);
    return rc;
}

/* ---- tickets ------------------------------------------------------------- */

static const char *ticket_state_name(enum cs_ticket_state state)
{
    return state == CS_TICKET_CLOSED ? "closed" : "open";
}

static bool ticket_state_parse(const char *name, enum cs_ticket_state *out)
{
    for (int st = CS_TICKET_OPEN; st <= CS_TICKET_CLOSED; st++)
        if (name != NULL && strcmp(name, ticket_state_name((enum cs_ticket_state)st)) == 0) {
            *out = (enum cs_ticket_state)st;
            return true;
        }
    return false;
}

static enum cs_rc fill_ticket(struct pg_store *s, const PGresult *res, int row,
                              struct cs_ticket_row *out, char *err, size_t errlen)
{
    struct reader r = {.res = res, .row = row};
    memset(out, 0, sizeof(*out));
    out->id = r_int(&r);
    out->channel = r_str(&r);
    out->key = r_str(&r);
    out->remote_id = r_str(&r);
    out->remote_number = r_str(&r);
    if (!ticket_state_parse(r_next(&r), &out->state))
        r_bad(&r);
    out->opened_at = r_time(&r);
    out->updated_at = r_time(&r);
    out->closed_at = r_time(&r);
    enum cs_rc rc = r_end(s, &r, err, errlen);
    if (rc != CS_OK)
        cs_ticket_row_clear(out);
    return rc;
}

static enum cs_rc pg_ticket_get(struct cs_store *base, const char *channel, const char *key,
                                struct cs_ticket_row *out, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* The newest row of (channel, key) is the current ticket. */
    p_str(&p, channel);
    p_str(&p, key);
    res = run(s, NULL,
              "SELECT " TICKET_COLS " FROM tickets t WHERE t.channel = $1 AND t.key = $2"
              " ORDER BY t.id DESC LIMIT 1",
              &p, "reading a ticket", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no ticket for %s in %s", key, channel);
    else
        rc = fill_ticket(s, res, 0, out, err, errlen);
    PQclear(res);
    return rc;
}

/* The times are settled by store.c: none is 0 but closed_at while open. */
static enum cs_rc pg_ticket_put(struct cs_store *base, struct cs_ticket_row *row, char *err,
                                size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    if (row->id == 0) {
        p_str(&p, row->channel);
        p_str(&p, row->key);
        p_str(&p, row->remote_id);
        p_str(&p, row->remote_number);
        p_text(&p, ticket_state_name(row->state));
        p_time(&p, row->opened_at);
        p_time(&p, row->updated_at);
        if (row->closed_at != 0)
            p_time(&p, row->closed_at);
        else
            p_text(&p, NULL);
        res = run(s, NULL,
                  "INSERT INTO tickets (channel, key, remote_id, remote_number, state, opened_at,"
                  " updated_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                  &p, "recording a ticket", &rc, err, errlen);
        if (res == NULL)
            return rc;
        row->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        return CS_OK;
    }
    p_int(&p, row->id);
    p_str(&p, row->remote_id);
    p_str(&p, row->remote_number);
    p_text(&p, ticket_state_name(row->state));
    p_time(&p, row->updated_at);
    if (row->closed_at != 0)
        p_time(&p, row->closed_at);
    else
        p_text(&p, NULL);
    res = run(s, NULL,
              "UPDATE tickets SET remote_id = $2, remote_number = $3, state = $4,"
              " updated_at = $5, closed_at = $6 WHERE id = $1",
              &p, "updating a ticket", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no ticket %" PRId64, row->id);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_ticket_list_open(struct cs_store *base, const char *channel,
                                      const char *key_prefix,
                                      void (*fn)(const struct cs_ticket_row *row, void *arg),
                                      void *arg, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* The prefix is compared with substr(), not LIKE: keys hold '_', and
     * may hold '%'. */
    p_text(&p, channel);
    p_opt(&p, key_prefix);
    res = run(s, NULL,
              "SELECT " TICKET_COLS " FROM tickets t WHERE t.state = 'open'"
              " AND ($1::text IS NULL OR t.channel = $1::text)"
              " AND ($2::text IS NULL OR substr(t.key, 1, length($2::text)) = $2::text)"
              " ORDER BY t.id",
              &p, "listing open tickets", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct cs_ticket_row row;
        rc = fill_ticket(s, res, i, &row, err, errlen);
        if (rc == CS_OK) {
            fn(&row, arg);
            cs_ticket_row_clear(&row);
        }
    }
    PQclear(res);
    return rc;
}

/* ---- findings ------------------------------------------------------------ */

static enum cs_rc fill_finding(struct pg_store *s, const PGresult *res, int row,
                               struct cs_finding_row *out, char *err, size_t errlen)
{
    struct reader r = {.res = res, .row = row};
    int64_t port;
    memset(out, 0, sizeof(*out));
    out->id = r_int(&r);
    out->endpoint_id = r_int(&r);
    out->check_id = r_str(&r);
    const char *severity = r_next(&r);
    if (severity == NULL || !cs_severity_parse(severity, &out->severity))
        r_bad(&r);
    out->title = r_str(&r);
    out->detail = r_str(&r);
    out->cve = r_str(&r);
    out->cert_sha256 = r_str(&r);
    out->first_seen = r_time(&r);
    out->last_seen = r_time(&r);
    out->fixed_at = r_time(&r);
    out->job_id = r_int(&r);
    out->network_id = r_int(&r);
    out->network_name = r_str(&r);
    r_fixed(&r, out->ip, sizeof(out->ip));
    port = r_int(&r);
    if (port < 0 || port > UINT16_MAX)
        r_bad(&r);
    out->port = (uint16_t)port;
    out->sni = r_str(&r);
    enum cs_rc rc = r_end(s, &r, err, errlen);
    if (rc != CS_OK)
        cs_finding_row_clear(out);
    return rc;
}

static enum cs_rc pg_finding_put(struct cs_store *base, struct cs_finding_row *row, char *err,
                                 size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* Stored and returned alike: 0 is now. */
    if (row->first_seen == 0)
        row->first_seen = time(NULL);
    if (row->last_seen == 0)
        row->last_seen = time(NULL);
    p_int(&p, row->endpoint_id);
    p_str(&p, row->check_id);
    p_text(&p, cs_severity_name(row->severity));
    p_str(&p, row->title);
    p_str(&p, row->detail);
    p_opt(&p, row->cve);
    p_opt(&p, row->cert_sha256);
    p_time(&p, row->first_seen);
    p_time(&p, row->last_seen);
    if (row->fixed_at != 0)
        p_time(&p, row->fixed_at);
    else
        p_text(&p, NULL);
    p_ref(&p, row->job_id);
    res =
        run(s, prepared[PREP_FINDING_PUT].name, NULL, &p, "recording a finding", &rc, err, errlen);
    if (res == NULL)
        return rc;
    row->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return CS_OK;
}

static enum cs_rc pg_finding_list(struct cs_store *base, const struct cs_finding_filter *filter,
                                  void (*fn)(const struct cs_finding_row *row, void *arg),
                                  void *arg, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, filter != NULL ? filter->network_id : 0);
    p_int(&p, filter != NULL ? filter->endpoint_id : 0);
    p_int(&p, filter != NULL ? (int64_t)filter->min_severity : 0);
    p_int(&p, filter != NULL && filter->include_fixed);
    res = run(s, NULL,
              "SELECT " FINDING_COLS " FROM findings f JOIN endpoints e ON e.id = f.endpoint_id"
              " JOIN networks n ON n.id = e.network_id"
              " WHERE ($1::bigint = 0 OR e.network_id = $1::bigint)"
              " AND ($2::bigint = 0 OR f.endpoint_id = $2::bigint)"
              " AND ($3::integer = 0 OR " CS_STORE_SEVERITY_RANK(
                  "f.severity") " >= $3::integer)"
                                " AND ($4::integer <> 0 OR f.fixed_at IS NULL)"
                                " ORDER BY " CS_STORE_SEVERITY_RANK(
                                    "f.severity") " DESC, e.ip COLLATE \"C\","
                                                  " e.port, e.sni COLLATE \"C\", f.check_id "
                                                  "COLLATE \"C\", f.id",
              &p, "listing findings", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct cs_finding_row row;
        rc = fill_finding(s, res, i, &row, err, errlen);
        if (rc == CS_OK) {
            fn(&row, arg);
            cs_finding_row_clear(&row);
        }
    }
    PQclear(res);
    return rc;
}

/* ---- schema version 5 ---------------------------------------------------- */

static enum cs_rc pg_job_latest(struct cs_store *base, int64_t network_id, enum cs_job_kind kind,
                                struct cs_job *out, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, network_id);
    p_text(&p, cs_job_kind_name(kind));
    res = run(s, NULL,
              "SELECT " JOB_COLS " FROM jobs j JOIN networks n ON n.id = j.network_id"
              " WHERE j.network_id = $1::bigint AND j.kind = $2::text ORDER BY j.id DESC LIMIT 1",
              &p, "reading the last job of a network", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "network %" PRId64 " has no %s job", network_id,
                     cs_job_kind_name(kind));
    else
        rc = fill_job(s, res, 0, out, err, errlen);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_job_progress(struct cs_store *base, int64_t job_id, uint64_t done,
                                  uint64_t total, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, job_id);
    p_int(&p, (int64_t)done);
    p_int(&p, (int64_t)total);
    res = run(s, NULL,
              "UPDATE jobs SET progress_done = $2::bigint, progress_total = $3::bigint"
              " WHERE id = $1::bigint",
              &p, "recording the progress of a job", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no job %" PRId64, job_id);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_endpoint_get_by_id(struct cs_store *base, int64_t id,
                                        struct cs_endpoint_row *out, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, id);
    res = run(s, NULL, "SELECT " ENDPOINT_COLS " FROM endpoints e WHERE e.id = $1::bigint", &p,
              "reading an endpoint", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0) {
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no endpoint %" PRId64, id);
    } else {
        struct reader r = {.res = res};
        read_endpoint(&r, out);
        rc = r_end(s, &r, err, errlen);
        if (rc != CS_OK)
            cs_endpoint_row_clear(out);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_history_list(struct cs_store *base, int64_t endpoint_id, unsigned limit,
                                  void (*fn)(const struct cs_history_row *row, void *arg),
                                  void *arg, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    /* Newest first in the order the probes were recorded; LIMIT NULL is no
     * limit. */
    p_int(&p, endpoint_id);
    if (limit > 0)
        p_int(&p, limit);
    else
        p_text(&p, NULL);
    res = run(s, NULL,
              "SELECT h.job_id, h.probed_at, h.status, h.reason, h.cert_sha256"
              " FROM endpoint_history h WHERE h.endpoint_id = $1::bigint"
              " ORDER BY h.id DESC LIMIT $2::bigint",
              &p, "listing the history of an endpoint", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct reader r = {.res = res, .row = i};
        struct cs_history_row row = {0};
        row.job_id = r_int(&r);
        row.probed_at = r_time(&r);
        row.status = r_status(&r);
        row.reason = r_next(&r);
        row.cert_sha256 = r_next(&r);
        if (row.reason == NULL)
            row.reason = "";
        rc = r_end(s, &r, err, errlen);
        if (rc == CS_OK)
            fn(&row, arg);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_token_add(struct cs_store *base, const char *name, const char *sha256,
                               time_t now, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, name);
    p_str(&p, sha256);
    p_time(&p, now);
    /* ON CONFLICT rather than a unique violation, which would abort the
     * caller's transaction. */
    res = run(s, NULL,
              "INSERT INTO api_tokens (name, sha256, created_at) VALUES ($1, $2, $3)"
              " ON CONFLICT (name) DO NOTHING RETURNING id",
              &p, "adding a token", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) != 1)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "a token named '%s' exists already", name);
    PQclear(res);
    return rc;
}

/* Reads TOKEN_COLS from column r->col on. */
static void read_token(struct reader *r, struct cs_token_row *row)
{
    memset(row, 0, sizeof(*row));
    row->id = r_int(r);
    r_fixed(r, row->name, sizeof(row->name));
    r_fixed(r, row->sha256, sizeof(row->sha256));
    row->created_at = r_time(r);
    row->last_used_at = r_time(r);
}

static enum cs_rc pg_token_find(struct cs_store *base, const char *sha256, struct cs_token_row *out,
                                char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, sha256);
    res = run(s, NULL, "SELECT " TOKEN_COLS " FROM api_tokens t WHERE t.sha256 = $1", &p,
              "looking up a token", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (PQntuples(res) == 0) {
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no such token");
    } else {
        struct reader r = {.res = res};
        read_token(&r, out);
        rc = r_end(s, &r, err, errlen);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_token_list(struct cs_store *base,
                                void (*fn)(const struct cs_token_row *row, void *arg), void *arg,
                                char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    enum cs_rc rc = CS_OK;
    PGresult *res;

    res = run(s, NULL, "SELECT " TOKEN_COLS " FROM api_tokens t ORDER BY t.name COLLATE \"C\"",
              NULL, "listing tokens", &rc, err, errlen);
    if (res == NULL)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == CS_OK; i++) {
        struct reader r = {.res = res, .row = i};
        struct cs_token_row row;
        read_token(&r, &row);
        rc = r_end(s, &r, err, errlen);
        if (rc == CS_OK)
            fn(&row, arg);
    }
    PQclear(res);
    return rc;
}

static enum cs_rc pg_token_remove(struct cs_store *base, const char *name, char *err, size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_str(&p, name);
    res = run(s, NULL, "DELETE FROM api_tokens WHERE name = $1", &p, "removing a token", &rc, err,
              errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no token named '%s'", name);
    PQclear(res);
    return rc;
}

static enum cs_rc pg_token_used(struct cs_store *base, int64_t id, time_t at, char *err,
                                size_t errlen)
{
    struct pg_store *s = pg(base);
    struct params p = {0};
    enum cs_rc rc = CS_OK;
    PGresult *res;

    p_int(&p, id);
    p_time(&p, at);
    res = run(s, NULL, "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1::bigint", &p,
              "recording a use of a token", &rc, err, errlen);
    if (res == NULL)
        return rc;
    if (affected(res) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no token with id %" PRId64, id);
    PQclear(res);
    return rc;
}

const struct cs_store_ops cs_store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .network_add = pg_network_add,
    .network_update = pg_network_update,
    .network_remove = pg_network_remove,
    .network_get = pg_network_get,
    .network_list = pg_network_list,
    .network_lock = pg_network_lock,
    .job_begin = pg_job_begin,
    .job_finish = pg_job_finish,
    .job_get = pg_job_get,
    .job_list = pg_job_list,
    .cert_put = pg_cert_put,
    .cert_get = pg_cert_get,
    .cert_list = pg_cert_list,
    .endpoint_get = pg_endpoint_get,
    .endpoint_put = pg_endpoint_put,
    .endpoint_list = pg_endpoint_list,
    .history_add = pg_history_add,
    .outbox_add = pg_outbox_add,
    .outbox_get = pg_outbox_get,
    .outbox_list = pg_outbox_list,
    .outbox_claim = pg_outbox_claim,
    .outbox_finish = pg_outbox_finish,
    .outbox_retry = pg_outbox_retry,
    .alert_add = pg_alert_add,
    .alert_get = pg_alert_get,
    .alert_list = pg_alert_list,
    .alert_remove = pg_alert_remove,
    .alert_ran = pg_alert_ran,
    .alert_reported_get = pg_alert_reported_get,
    .alert_reported_mark = pg_alert_reported_mark,
    .ticket_get = pg_ticket_get,
    .ticket_put = pg_ticket_put,
    .ticket_list_open = pg_ticket_list_open,
    .finding_put = pg_finding_put,
    .finding_list = pg_finding_list,
    .job_latest = pg_job_latest,
    .job_progress = pg_job_progress,
    .endpoint_get_by_id = pg_endpoint_get_by_id,
    .history_list = pg_history_list,
    .token_add = pg_token_add,
    .token_find = pg_token_find,
    .token_list = pg_token_list,
    .token_remove = pg_token_remove,
    .token_used = pg_token_used,
};
