/*
 * The SQLite backend of the inventory (store_int.h): one database file in
 * WAL mode, so that `certsweep report` can read while a job writes.
 *
 * Every statement is prepared the first time it is needed and kept for the
 * life of the store: a discovery job of 65k endpoints runs endpoint_put,
 * history_add and cert_put once per endpoint, and preparing them each time
 * would cost more than running them. A statement is reset (which ends its
 * read transaction) as soon as the function that used it returns.
 *
 * The per-network job lock is an flock() on a file beside the database,
 * "<path>.network-<id>.lock", held until the store is closed. The kernel
 * drops it when the process dies, which is how the next job learns that
 * jobs still marked running are dead.
 */
#include "store_int.h"
#include "store_schema.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- schema and migrations ------------------------------------------------ */

/* Version 1, as in docs/inventory.md. */
static const char schema_v1[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);" CS_STORE_SCHEMA_V1(
        "INTEGER PRIMARY KEY", "BLOB");

/* The steps from an empty database to CS_STORE_SCHEMA_VERSION, in order.
 * Step N turns a version N-1 database into version N; each runs in its own
 * transaction, after which schema_version holds N. The last entry must be
 * CS_STORE_SCHEMA_VERSION: version 6 is one more line here. */
static const struct migration {
    int version;
    const char *sql;
} migrations[] = {
    {1, schema_v1},
    {2, CS_STORE_SCHEMA_V2("INTEGER PRIMARY KEY", "BLOB")},
    {3, CS_STORE_SCHEMA_V3("INTEGER PRIMARY KEY", "BLOB")},
    {4, CS_STORE_SCHEMA_V4("INTEGER PRIMARY KEY", "BLOB")},
    {5, CS_STORE_SCHEMA_V5("INTEGER PRIMARY KEY", "BLOB")},
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == CS_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

/* ---- prepared statements -------------------------------------------------- */

/* Column lists shared by the statements that read rows, and the readers
 * below that take them apart; keep each list and its reader together. */
#define NETWORK_COLS                                                                               \
    "id, name, description, ranges, excludes, ports, snis, alert_to, connect_timeout_ms, "         \
    "download_timeout_ms, expiry_days, max_email_rows, auto_monitor, enabled, webhooks, tickets, " \
    "discover_every, monitor_every, vulnscan_every, quiet_hours, revocation"
/* The eight counts are in the order of enum cs_status. */
#define JOB_COLS                                                                                   \
    "j.id, j.network_id, j.kind, j.state, j.started_at, j.finished_at, j.endpoints_scanned, "      \
    "j.timed_out_connecting, j.timed_out_downloading, j.connection_refused, "                      \
    "j.host_unreachable, j.dns_failed, j.not_ssl, j.bad_ssl_handshake, j.certificate_found, "      \
    "j.report_json, n.name, j.progress_done, j.progress_total"
#define CERT_COLS                                                                                  \
    "c.sha256, c.subject, c.subject_cn, c.issuer, c.serial, c.not_before, c.not_after, c.sans, "   \
    "c.key_type, c.key_bits, c.sig_alg, c.self_signed, c.der, c.first_seen"
#define CERT_NCOLS 14
#define ENDPOINT_COLS                                                                              \
    "e.id, e.network_id, e.ip, e.port, e.sni, e.first_seen, e.last_seen, e.last_status, "          \
    "e.last_reason, e.cert_sha256, e.monitored, e.last_job_id"
#define OUTBOX_COLS                                                                                \
    "id, idem_key, channel, kind, job_id, payload, state, attempts, created_at, "                  \
    "next_attempt_at, last_attempt_at, sent_at, last_error"
/* network_name comes from a LEFT JOIN: NULL for an alert of every network. */
#define ALERT_COLS                                                                                 \
    "a.id, a.name, a.days, a.network_id, n.name, a.recipients, a.syslog, a.subject, a.body, "      \
    "a.repeat_every_days, a.created_at, a.last_run_at, a.channels, a.run_every"
#define ALERT_FROM " FROM alerts a LEFT JOIN networks n ON n.id = a.network_id"
#define TOKEN_COLS "id, name, sha256, created_at, last_used_at"
#define TICKET_COLS                                                                                \
    "id, channel, key, remote_id, remote_number, state, opened_at, updated_at, closed_at"
/* A finding with its endpoint and network, read by read_finding(). */
#define FINDING_COLS                                                                               \
    "f.id, f.endpoint_id, f.check_id, f.severity, f.title, f.detail, f.cve, f.cert_sha256, "       \
    "f.first_seen, f.last_seen, f.fixed_at, f.job_id, e.network_id, n.name, e.ip, e.port, e.sni"
#define FINDING_FROM                                                                               \
    " FROM findings f JOIN endpoints e ON e.id = f.endpoint_id "                                   \
    "JOIN networks n ON n.id = e.network_id"

/* An endpoint whose two newest history rows (by id: the order the probes
 * were recorded) differ in status or certificate; one with fewer rows has
 * not changed. The same text in store_pg.c. */
#define CHANGED_AT_LAST_PROBE                                                                      \
    "EXISTS (SELECT 1 FROM endpoint_history h1 JOIN endpoint_history h2 "                          \
    "ON h2.endpoint_id = h1.endpoint_id "                                                          \
    "WHERE h1.id = (SELECT max(id) FROM endpoint_history WHERE endpoint_id = e.id) "               \
    "AND h2.id = (SELECT max(id) FROM endpoint_history WHERE endpoint_id = e.id AND id < h1.id) "  \
    "AND (h1.status <> h2.status OR coalesce(h1.cert_sha256, '') <> coalesce(h2.cert_sha256, "     \
    "'')))"

enum stmt_id {
    ST_NETWORK_ADD,
    ST_NETWORK_UPDATE,
    ST_NETWORK_REMOVE,
    ST_NETWORK_GET,
    ST_NETWORK_LIST,
    ST_NETWORK_NAME,
    ST_JOB_INTERRUPT,
    ST_JOB_BEGIN,
    ST_JOB_FINISH,
    ST_JOB_GET,
    ST_JOB_LIST,
    ST_CERT_PUT,
    ST_CERT_GET,
    ST_CERT_LIST,
    ST_ENDPOINT_GET,
    ST_ENDPOINT_PUT,
    ST_ENDPOINT_LIST,
    ST_HISTORY_ADD,
    ST_OUTBOX_ADD,
    ST_OUTBOX_ID,
    ST_OUTBOX_GET,
    ST_OUTBOX_LIST,
    ST_OUTBOX_CLAIM,
    ST_OUTBOX_FINISH,
    ST_OUTBOX_RETRY,
    ST_OUTBOX_SENT_AT,
    ST_ALERT_ADD,
    ST_ALERT_GET,
    ST_ALERT_LIST,
    ST_ALERT_REMOVE,
    ST_ALERT_RAN,
    ST_REPORTED_GET,
    ST_REPORTED_MARK,
    ST_TICKET_GET,
    ST_TICKET_ADD,
    ST_TICKET_UPDATE,
    ST_TICKET_LIST_OPEN,
    ST_FINDING_PUT,
    ST_FINDING_LIST,
    ST_JOB_LATEST,
    ST_JOB_PROGRESS,
    ST_ENDPOINT_GET_BY_ID,
    ST_HISTORY_LIST,
    ST_TOKEN_ADD,
    ST_TOKEN_FIND,
    ST_TOKEN_LIST,
    ST_TOKEN_REMOVE,
    ST_TOKEN_USED,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_NETWORK_ADD] = "INSERT INTO networks (name, description, ranges, excludes, ports, snis, "
                       "alert_to, connect_timeout_ms, download_timeout_ms, expiry_days, "
                       "max_email_rows, auto_monitor, enabled, webhooks, tickets, discover_every, "
                       "monitor_every, vulnscan_every, quiet_hours, revocation, created_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                       "?16, ?17, ?18, ?19, ?20, ?21)",
    [ST_NETWORK_UPDATE] = "UPDATE networks SET name = ?1, description = ?2, ranges = ?3, "
                          "excludes = ?4, ports = ?5, snis = ?6, alert_to = ?7, "
                          "connect_timeout_ms = ?8, download_timeout_ms = ?9, expiry_days = ?10, "
                          "max_email_rows = ?11, auto_monitor = ?12, enabled = ?13, "
                          "webhooks = ?14, tickets = ?15, discover_every = ?16, "
                          "monitor_every = ?17, vulnscan_every = ?18, quiet_hours = ?19, "
                          "revocation = ?20 WHERE id = ?21",
    [ST_NETWORK_REMOVE] = "DELETE FROM networks WHERE name = ?1",
    [ST_NETWORK_GET] = "SELECT " NETWORK_COLS " FROM networks WHERE name = ?1",
    [ST_NETWORK_LIST] = "SELECT " NETWORK_COLS " FROM networks ORDER BY name",
    [ST_NETWORK_NAME] = "SELECT name FROM networks WHERE id = ?1",
    [ST_JOB_INTERRUPT] = "UPDATE jobs SET state = 'interrupted', finished_at = ?1 "
                         "WHERE network_id = ?2 AND state = 'running'",
    [ST_JOB_BEGIN] = "INSERT INTO jobs (network_id, kind, state, started_at) "
                     "VALUES (?1, ?2, 'running', ?3)",
    [ST_JOB_FINISH] = "UPDATE jobs SET state = ?1, finished_at = ?2, endpoints_scanned = ?3, "
                      "timed_out_connecting = ?4, timed_out_downloading = ?5, "
                      "connection_refused = ?6, host_unreachable = ?7, dns_failed = ?8, "
                      "not_ssl = ?9, bad_ssl_handshake = ?10, certificate_found = ?11, "
                      "report_json = ?12 WHERE id = ?13",
    [ST_JOB_GET] = "SELECT " JOB_COLS " FROM jobs j JOIN networks n ON n.id = j.network_id "
                   "WHERE j.id = ?1",
    [ST_JOB_LIST] = "SELECT " JOB_COLS " FROM jobs j JOIN networks n ON n.id = j.network_id "
                    "WHERE ?1 = 0 OR j.network_id = ?1 ORDER BY j.id DESC",
    [ST_CERT_PUT] = "INSERT INTO certificates (sha256, subject, subject_cn, issuer, serial, "
                    "not_before, not_after, sans, key_type, key_bits, sig_alg, self_signed, der, "
                    "first_seen) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
                    "ON CONFLICT (sha256) DO NOTHING",
    [ST_CERT_GET] = "SELECT " CERT_COLS " FROM certificates c WHERE c.sha256 = ?1",
    [ST_CERT_LIST] = "SELECT " CERT_COLS ", " ENDPOINT_COLS " FROM endpoints e "
                     "JOIN certificates c ON c.sha256 = e.cert_sha256 "
                     "WHERE (?1 = 0 OR e.network_id = ?1) AND (?2 IS NULL OR c.not_after < ?2) "
                     "AND (?3 IS NULL OR instr(c.issuer, ?3) > 0) "
                     "ORDER BY c.not_after, e.ip, e.port, e.sni",
    [ST_ENDPOINT_GET] = "SELECT " ENDPOINT_COLS " FROM endpoints e WHERE e.network_id = ?1 "
                        "AND e.ip = ?2 AND e.port = ?3 AND e.sni = ?4",
    /* first_seen is set on insert only: an update keeps the first sighting. */
    [ST_ENDPOINT_PUT] = "INSERT INTO endpoints (network_id, ip, port, sni, first_seen, last_seen, "
                        "last_status, last_reason, cert_sha256, monitored, last_job_id) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                        "ON CONFLICT (network_id, ip, port, sni) DO UPDATE SET "
                        "last_seen = excluded.last_seen, last_status = excluded.last_status, "
                        "last_reason = excluded.last_reason, cert_sha256 = excluded.cert_sha256, "
                        "monitored = excluded.monitored, last_job_id = excluded.last_job_id "
                        "RETURNING id",
    [ST_ENDPOINT_LIST] = "SELECT " ENDPOINT_COLS " FROM endpoints e "
                         "WHERE (?1 = 0 OR e.network_id = ?1) "
                         "AND (?2 IS NULL OR e.last_status = ?2) AND (?3 = 0 OR e.monitored = 1) "
                         "AND (?4 = 0 OR " CHANGED_AT_LAST_PROBE ") "
                         "ORDER BY e.ip, e.port, e.sni",
    [ST_HISTORY_ADD] = "INSERT INTO endpoint_history (endpoint_id, job_id, probed_at, status, "
                       "reason, cert_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* RETURNING gives no row when the key is there already. */
    [ST_OUTBOX_ADD] = "INSERT INTO outbox (idem_key, channel, kind, job_id, payload, state, "
                      "attempts, created_at, next_attempt_at, last_error) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7, '') "
                      "ON CONFLICT (idem_key) DO NOTHING RETURNING id",
    [ST_OUTBOX_ID] = "SELECT id FROM outbox WHERE idem_key = ?1",
    [ST_OUTBOX_GET] = "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?1",
    /* A negative LIMIT is no limit. */
    [ST_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " FROM outbox WHERE (?1 IS NULL OR state = ?1) "
                       "AND (?2 IS NULL OR (state = 'pending' AND next_attempt_at <= ?2)) "
                       "ORDER BY id LIMIT ?3",
    /* The claim: one statement, which takes the row only if it is still
     * pending and due, so that of two processes only one gets it. */
    [ST_OUTBOX_CLAIM] = "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2, "
                        "next_attempt_at = ?3, last_error = ?4 "
                        "WHERE id = ?1 AND state = 'pending' AND next_attempt_at <= ?2",
    [ST_OUTBOX_FINISH] = "UPDATE outbox SET state = ?2, last_error = ?3, "
                         "next_attempt_at = coalesce(?4, next_attempt_at), "
                         "sent_at = coalesce(?5, sent_at) WHERE id = ?1 AND attempts = ?6",
    [ST_OUTBOX_RETRY] = "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, attempts = 0 "
                        "WHERE id = ?1 AND state <> 'sent'",
    [ST_OUTBOX_SENT_AT] = "SELECT sent_at FROM outbox WHERE id = ?1",
    [ST_ALERT_ADD] = "INSERT INTO alerts (name, days, network_id, recipients, syslog, subject, "
                     "body, repeat_every_days, created_at, channels, run_every) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                     "ON CONFLICT (name) DO NOTHING RETURNING id",
    [ST_ALERT_GET] = "SELECT " ALERT_COLS ALERT_FROM " WHERE a.name = ?1",
    [ST_ALERT_LIST] = "SELECT " ALERT_COLS ALERT_FROM " ORDER BY a.name",
    [ST_ALERT_REMOVE] = "DELETE FROM alerts WHERE name = ?1",
    [ST_ALERT_RAN] = "UPDATE alerts SET last_run_at = ?2 WHERE id = ?1",
    [ST_REPORTED_GET] = "SELECT reported_at FROM alert_reports "
                        "WHERE alert_id = ?1 AND cert_sha256 = ?2",
    [ST_REPORTED_MARK] = "INSERT INTO alert_reports (alert_id, cert_sha256, reported_at) "
                         "VALUES (?1, ?2, ?3) ON CONFLICT (alert_id, cert_sha256) "
                         "DO UPDATE SET reported_at = excluded.reported_at",
    /* The newest row of (channel, key) is the current ticket. */
    [ST_TICKET_GET] = "SELECT " TICKET_COLS " FROM tickets WHERE channel = ?1 AND key = ?2 "
                      "ORDER BY id DESC LIMIT 1",
    [ST_TICKET_ADD] = "INSERT INTO tickets (channel, key, remote_id, remote_number, state, "
                      "opened_at, updated_at, closed_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_TICKET_UPDATE] = "UPDATE tickets SET remote_id = ?2, remote_number = ?3, state = ?4, "
                         "updated_at = ?5, closed_at = ?6 WHERE id = ?1",
    /* The prefix is compared with substr(), not LIKE: keys hold '_', and
     * may hold '%'. */
    [ST_TICKET_LIST_OPEN] = "SELECT " TICKET_COLS " FROM tickets WHERE state = 'open' "
                            "AND (?1 IS NULL OR channel = ?1) "
                            "AND (?2 IS NULL OR substr(key, 1, length(?2)) = ?2) ORDER BY id",
    /* first_seen is set on insert only: a finding seen again, or back
     * after a fix, keeps its first sighting. */
    [ST_FINDING_PUT] = "INSERT INTO findings (endpoint_id, check_id, severity, title, detail, cve, "
                       "cert_sha256, first_seen, last_seen, fixed_at, job_id) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                       "ON CONFLICT (endpoint_id, check_id) DO UPDATE SET "
                       "severity = excluded.severity, title = excluded.title, "
                       "detail = excluded.detail, cve = excluded.cve, "
                       "cert_sha256 = excluded.cert_sha256, last_seen = excluded.last_seen, "
                       "fixed_at = excluded.fixed_at, job_id = excluded.job_id RETURNING id",
    [ST_FINDING_LIST] = "SELECT " FINDING_COLS FINDING_FROM
                        " WHERE (?1 = 0 OR e.network_id = ?1) AND (?2 = 0 OR f.endpoint_id = ?2) "
                        "AND (?3 = 0 OR " CS_STORE_SEVERITY_RANK(
                            "f.severity") " >= ?3) "
                                          "AND (?4 <> 0 OR f.fixed_at IS NULL) "
                                          "ORDER BY " CS_STORE_SEVERITY_RANK(
                                              "f.severity") " DESC, e.ip, e.port, "
                                                            "e.sni, f.check_id, f.id",
    [ST_JOB_LATEST] = "SELECT " JOB_COLS " FROM jobs j JOIN networks n ON n.id = j.network_id "
                      "WHERE j.network_id = ?1 AND j.kind = ?2 ORDER BY j.id DESC LIMIT 1",
    [ST_JOB_PROGRESS] = "UPDATE jobs SET progress_done = ?2, progress_total = ?3 WHERE id = ?1",
    [ST_ENDPOINT_GET_BY_ID] = "SELECT " ENDPOINT_COLS " FROM endpoints e WHERE e.id = ?1",
    /* Newest first in the order the probes were recorded; a negative LIMIT
     * is no limit. */
    [ST_HISTORY_LIST] = "SELECT job_id, probed_at, status, reason, cert_sha256 "
                        "FROM endpoint_history WHERE endpoint_id = ?1 ORDER BY id DESC LIMIT ?2",
    /* RETURNING gives no row when the name is taken. */
    [ST_TOKEN_ADD] = "INSERT INTO api_tokens (name, sha256, created_at) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (name) DO NOTHING RETURNING id",
    [ST_TOKEN_FIND] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE sha256 = ?1",
    [ST_TOKEN_LIST] = "SELECT " TOKEN_COLS " FROM api_tokens ORDER BY name",
    [ST_TOKEN_REMOVE] = "DELETE FROM api_tokens WHERE name = ?1",
    [ST_TOKEN_USED] = "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
};

/* A network lock this store holds: the open lock file. */
struct held_lock {
    int64_t network_id;
    int fd;
};

struct sqlite_store {
    struct cs_store base; /* first, as store_int.h requires */
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[ST_COUNT];
    bool stmt_busy[ST_COUNT]; /* handed out and not yet given back */
    struct held_lock *locks;
    size_t nlocks;
};

static struct sqlite_store *to_sqlite(struct cs_store *s)
{
    return (struct sqlite_store *)s;
}

/* Formats "inventory 'PATH': WHAT: sqlite's message" into err. For errors
 * where the operating system had the last word (a file that cannot be
 * opened or written) its reason is added. Call it before the statement is
 * reset, which may replace the message. */
__attribute__((format(printf, 4, 5))) static enum cs_rc db_fail(struct sqlite_store *s, char *err,
                                                                size_t errlen, const char *fmt, ...)
{
    char what[256];
    char sys[128] = "";
    va_list ap;
    int code = sqlite3_errcode(s->db) & 0xff; /* the primary code */

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if ((code == SQLITE_CANTOPEN || code == SQLITE_IOERR || code == SQLITE_READONLY ||
         code == SQLITE_PERM) &&
        sqlite3_system_errno(s->db) != 0)
        snprintf(sys, sizeof(sys), " (%s)", strerror(sqlite3_system_errno(s->db)));
    return cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': %s: %s%s", s->path, what,
                   sqlite3_errmsg(s->db), sys);
}

/*
 * Hands out the prepared statement id, preparing it on first use. If it is
 * already handed out (a list callback calling back into the store with the
 * same statement), a one-off copy is prepared instead, which stmt_put()
 * finalizes. Give every statement back with stmt_put().
 */
static enum cs_rc stmt_get(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt **out, char *err,
                           size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (s->stmt[id] != NULL && !s->stmt_busy[id]) {
        s->stmt_busy[id] = true;
        *out = s->stmt[id];
        return CS_OK;
    }
    if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
                           s->stmt[id] == NULL ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                           NULL) != SQLITE_OK)
        return db_fail(s, err, errlen, "cannot prepare a statement");
    if (s->stmt[id] == NULL) {
        s->stmt[id] = st;
        s->stmt_busy[id] = true;
    }
    *out = st;
    return CS_OK;
}

/* Gives back a statement of stmt_get(): reset, so that it holds no read
 * transaction open, and unbound, so that it keeps no pointer to the
 * caller's strings. NULL is accepted. */
static void stmt_put(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    if (st != s->stmt[id]) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    s->stmt_busy[id] = false;
}

/* ---- binding and reading values ------------------------------------------- */

/* NULL binds as '' for the NOT NULL text columns. The strings must live
 * until the statement is given back. */
static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
    sqlite3_bind_text(st, i, text != NULL ? text : "", -1, SQLITE_STATIC);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *text)
{
    if (text != NULL && text[0] != '\0')
        sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Row ids are never 0, which the rows use for "none". */
static void bind_id_or_null(sqlite3_stmt *st, int i, int64_t id)
{
    if (id != 0)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

/* Binds t as RFC 3339 text into buf, which must live as long as the
 * binding; 0 means now. Returns the time bound. */
static time_t bind_time(sqlite3_stmt *st, int i, time_t t, char *buf)
{
    if (t == 0)
        t = time(NULL);
    cs_store_format_time(t, buf);
    sqlite3_bind_text(st, i, buf, -1, SQLITE_STATIC);
    return t;
}

/* A copy of a text column, NULL for SQL NULL; *oom is set if the copy could
 * not be made. */
static char *col_dup(sqlite3_stmt *st, int i, bool *oom)
{
    const char *text = (const char *)sqlite3_column_text(st, i);
    char *copy;
    if (text == NULL)
        return NULL;
    copy = strdup(text);
    if (copy == NULL)
        *oom = true;
    return copy;
}

/* Copies a text column into a fixed buffer, "" for NULL. */
static void col_copy(sqlite3_stmt *st, int i, char *buf, size_t size)
{
    const char *text = (const char *)sqlite3_column_text(st, i);
    snprintf(buf, size, "%s", text != NULL ? text : "");
}

static time_t col_time(sqlite3_stmt *st, int i)
{
    return cs_store_parse_time((const char *)sqlite3_column_text(st, i));
}

static enum cs_rc read_network(struct sqlite_store *s, sqlite3_stmt *st, struct cs_network *net,
                               char *err, size_t errlen)
{
    bool oom = false;
    memset(net, 0, sizeof(*net));
    net->id = sqlite3_column_int64(st, 0);
    net->name = col_dup(st, 1, &oom);
    net->description = col_dup(st, 2, &oom);
    net->ranges = col_dup(st, 3, &oom);
    net->excludes = col_dup(st, 4, &oom);
    net->ports = col_dup(st, 5, &oom);
    net->snis = col_dup(st, 6, &oom);
    net->alert_to = col_dup(st, 7, &oom);
    net->connect_timeout_ms = (unsigned)sqlite3_column_int64(st, 8);
    net->download_timeout_ms = (unsigned)sqlite3_column_int64(st, 9);
    net->expiry_days = (unsigned)sqlite3_column_int64(st, 10);
    net->max_email_rows = (unsigned)sqlite3_column_int64(st, 11);
    net->auto_monitor = sqlite3_column_int(st, 12) != 0;
    net->enabled = sqlite3_column_int(st, 13) != 0;
    net->webhooks = col_dup(st, 14, &oom);
    net->tickets = col_dup(st, 15, &oom);
    net->discover_every = col_dup(st, 16, &oom);
    net->monitor_every = col_dup(st, 17, &oom);
    net->vulnscan_every = col_dup(st, 18, &oom);
    net->quiet_hours = col_dup(st, 19, &oom);
    net->revocation = sqlite3_column_int(st, 20) != 0;
    if (oom) {
        cs_network_clear(net);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading network %" PRId64,
                       (int64_t)sqlite3_column_int64(st, 0));
    }
    return CS_OK;
}

static bool state_parse(const char *text, enum cs_job_state *out)
{
    static const enum cs_job_state states[] = {CS_JOB_RUNNING, CS_JOB_DONE, CS_JOB_INTERRUPTED,
                                               CS_JOB_FAILED};
    for (size_t i = 0; text != NULL && i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(text, cs_job_state_name(states[i])) == 0) {
            *out = states[i];
            return true;
        }
    return false;
}

static enum cs_rc read_job(struct sqlite_store *s, sqlite3_stmt *st, struct cs_job *job, char *err,
                           size_t errlen)
{
    bool oom = false;
    const char *kind = (const char *)sqlite3_column_text(st, 2);
    const char *state = (const char *)sqlite3_column_text(st, 3);

    memset(job, 0, sizeof(*job));
    job->id = sqlite3_column_int64(st, 0);
    if (!cs_job_kind_parse(kind, &job->kind) || !state_parse(state, &job->state))
        return cs_fail(err, errlen, CS_ERR_STORE,
                       "inventory '%s': job %" PRId64 " has unknown kind '%s' or state '%s'",
                       s->path, job->id, kind ? kind : "", state ? state : "");
    job->network_id = sqlite3_column_int64(st, 1);
    job->started_at = col_time(st, 4);
    job->finished_at = col_time(st, 5);
    job->endpoints_scanned = (uint64_t)sqlite3_column_int64(st, 6);
    for (int i = 0; i < CS_STATUS_COUNT; i++)
        job->counts[i] = (uint64_t)sqlite3_column_int64(st, 7 + i);
    job->report_json = col_dup(st, 7 + CS_STATUS_COUNT, &oom);
    job->network_name = col_dup(st, 8 + CS_STATUS_COUNT, &oom);
    job->progress_done = (uint64_t)sqlite3_column_int64(st, 9 + CS_STATUS_COUNT);
    job->progress_total = (uint64_t)sqlite3_column_int64(st, 10 + CS_STATUS_COUNT);
    if (oom) {
        cs_job_clear(job);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading job %" PRId64,
                       (int64_t)sqlite3_column_int64(st, 0));
    }
    return CS_OK;
}

/* Reads the CERT_COLS starting at column base. */
static enum cs_rc read_cert(sqlite3_stmt *st, int base, struct cs_cert_row *cert, char *err,
                            size_t errlen)
{
    bool oom = false;
    const void *der = sqlite3_column_blob(st, base + 12);
    int der_len = sqlite3_column_bytes(st, base + 12);

    memset(cert, 0, sizeof(*cert));
    col_copy(st, base + 0, cert->sha256, sizeof(cert->sha256));
    cert->subject = col_dup(st, base + 1, &oom);
    cert->subject_cn = col_dup(st, base + 2, &oom);
    cert->issuer = col_dup(st, base + 3, &oom);
    cert->serial = col_dup(st, base + 4, &oom);
    col_copy(st, base + 5, cert->not_before, sizeof(cert->not_before));
    col_copy(st, base + 6, cert->not_after, sizeof(cert->not_after));
    cert->not_after_epoch = cs_store_parse_time(cert->not_after);
    cert->sans_json = col_dup(st, base + 7, &oom);
    cert->key_type = col_dup(st, base + 8, &oom);
    cert->key_bits = sqlite3_column_int(st, base + 9);
    cert->sig_alg = col_dup(st, base + 10, &oom);
    cert->self_signed = sqlite3_column_int(st, base + 11) != 0;
    if (der != NULL && der_len > 0) {
        cert->der = malloc((size_t)der_len);
        if (cert->der != NULL) {
            memcpy(cert->der, der, (size_t)der_len);
            cert->der_len = (size_t)der_len;
        } else {
            oom = true;
        }
    }
    cert->first_seen = col_time(st, base + 13);
    if (oom) {
        cs_cert_row_clear(cert);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading a certificate");
    }
    return CS_OK;
}

/* Reads the ENDPOINT_COLS starting at column base. */
static enum cs_rc read_endpoint(struct sqlite_store *s, sqlite3_stmt *st, int base,
                                struct cs_endpoint_row *ep, char *err, size_t errlen)
{
    bool oom = false;
    const char *status = (const char *)sqlite3_column_text(st, base + 7);

    memset(ep, 0, sizeof(*ep));
    ep->id = sqlite3_column_int64(st, base + 0);
    if (status == NULL || !cs_status_parse(status, &ep->last_status))
        return cs_fail(err, errlen, CS_ERR_STORE,
                       "inventory '%s': endpoint %" PRId64 " has unknown status '%s'", s->path,
                       ep->id, status ? status : "");
    ep->network_id = sqlite3_column_int64(st, base + 1);
    col_copy(st, base + 2, ep->ip, sizeof(ep->ip));
    ep->port = (uint16_t)sqlite3_column_int(st, base + 3);
    ep->sni = col_dup(st, base + 4, &oom);
    ep->first_seen = col_time(st, base + 5);
    ep->last_seen = col_time(st, base + 6);
    ep->last_reason = col_dup(st, base + 8, &oom);
    ep->cert_sha256 = col_dup(st, base + 9, &oom);
    ep->monitored = sqlite3_column_int(st, base + 10) != 0;
    ep->last_job_id = sqlite3_column_int64(st, base + 11);
    if (oom) {
        cs_endpoint_row_clear(ep);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading endpoint %" PRId64,
                       (int64_t)sqlite3_column_int64(st, base + 0));
    }
    return CS_OK;
}

/* Reads the OUTBOX_COLS. */
static enum cs_rc read_outbox(struct sqlite_store *s, sqlite3_stmt *st, struct cs_outbox_row *row,
                              char *err, size_t errlen)
{
    bool oom = false;
    const char *state = (const char *)sqlite3_column_text(st, 6);

    memset(row, 0, sizeof(*row));
    row->id = sqlite3_column_int64(st, 0);
    if (!cs_outbox_state_parse(state, &row->state))
        return cs_fail(err, errlen, CS_ERR_STORE,
                       "inventory '%s': outbox message %" PRId64 " has unknown state '%s'", s->path,
                       row->id, state ? state : "");
    row->idem_key = col_dup(st, 1, &oom);
    row->channel = col_dup(st, 2, &oom);
    row->kind = col_dup(st, 3, &oom);
    row->job_id = sqlite3_column_int64(st, 4);
    row->payload = col_dup(st, 5, &oom);
    row->attempts = (unsigned)sqlite3_column_int64(st, 7);
    row->created_at = col_time(st, 8);
    row->next_attempt_at = col_time(st, 9);
    row->last_attempt_at = col_time(st, 10);
    row->sent_at = col_time(st, 11);
    row->last_error = col_dup(st, 12, &oom);
    if (oom) {
        cs_outbox_row_clear(row);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading outbox message %" PRId64,
                       (int64_t)sqlite3_column_int64(st, 0));
    }
    return CS_OK;
}

/* Reads the ALERT_COLS. */
static enum cs_rc read_alert(sqlite3_stmt *st, struct cs_alert *alert, char *err, size_t errlen)
{
    bool oom = false;

    memset(alert, 0, sizeof(*alert));
    alert->id = sqlite3_column_int64(st, 0);
    alert->name = col_dup(st, 1, &oom);
    alert->days = (unsigned)sqlite3_column_int64(st, 2);
    alert->network_id = sqlite3_column_int64(st, 3);
    alert->network_name = col_dup(st, 4, &oom);
    alert->recipients = col_dup(st, 5, &oom);
    alert->syslog = sqlite3_column_int(st, 6) != 0;
    alert->subject = col_dup(st, 7, &oom);
    alert->body = col_dup(st, 8, &oom);
    alert->repeat_every_days = (unsigned)sqlite3_column_int64(st, 9);
    alert->created_at = col_time(st, 10);
    alert->last_run_at = col_time(st, 11);
    alert->channels = col_dup(st, 12, &oom);
    alert->run_every = col_dup(st, 13, &oom);
    if (oom) {
        cs_alert_clear(alert);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading alert %" PRId64,
                       (int64_t)sqlite3_column_int64(st, 0));
    }
    return CS_OK;
}

static const char *ticket_state_name(enum cs_ticket_state state)
{
    return state == CS_TICKET_CLOSED ? "closed" : "open";
}

static bool ticket_state_parse(const char *text, enum cs_ticket_state *out)
{
    static const enum cs_ticket_state states[] = {CS_TICKET_OPEN, CS_TICKET_CLOSED};
    for (size_t i = 0; text != NULL && i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(text, ticket_state_name(states[i])) == 0) {
            *out = states[i];
            return true;
        }
    return false;
}

/* Reads the TICKET_COLS. */
static enum cs_rc read_ticket(struct sqlite_store *s, sqlite3_stmt *st, struct cs_ticket_row *row,
                              char *err, size_t errlen)
{
    bool oom = false;
    const char *state = (const char *)sqlite3_column_text(st, 5);

    memset(row, 0, sizeof(*row));
    row->id = sqlite3_column_int64(st, 0);
    if (!ticket_state_parse(state, &row->state))
        return cs_fail(err, errlen, CS_ERR_STORE,
                       "inventory '%s': ticket %" PRId64 " has unknown state '%s'", s->path,
                       row->id, state ? state : "");
    row->channel = col_dup(st, 1, &oom);
    row->key = col_dup(st, 2, &oom);
    row->remote_id = col_dup(st, 3, &oom);
    row->remote_number = col_dup(st, 4, &oom);
    row->opened_at = col_time(st, 6);
    row->updated_at = col_time(st, 7);
    row->closed_at = col_time(st, 8);
    if (oom) {
        cs_ticket_row_clear(row);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading ticket %" PRId64,
                       (int64_t)sqlite3_column_int64(st, 0));
    }
    return CS_OK;
}

/* Reads the FINDING_COLS. */
static enum cs_rc read_finding(struct sqlite_store *s, sqlite3_stmt *st, struct cs_finding_row *row,
                               char *err, size_t errlen)
{
    bool oom = false;
    const char *severity = (const char *)sqlite3_column_text(st, 3);

    memset(row, 0, sizeof(*row));
    row->id = sqlite3_column_int64(st, 0);
    if (severity == NULL || !cs_severity_parse(severity, &row->severity))
        return cs_fail(err, errlen, CS_ERR_STORE,
                       "inventory '%s': finding %" PRId64 " has unknown severity '%s'", s->path,
                       row->id, severity ? severity : "");
    row->endpoint_id = sqlite3_column_int64(st, 1);
    row->check_id = col_dup(st, 2, &oom);
    row->title = col_dup(st, 4, &oom);
    row->detail = col_dup(st, 5, &oom);
    row->cve = col_dup(st, 6, &oom);
    row->cert_sha256 = col_dup(st, 7, &oom);
    row->first_seen = col_time(st, 8);
    row->last_seen = col_time(st, 9);
    row->fixed_at = col_time(st, 10);
    row->job_id = sqlite3_column_int64(st, 11);
    row->network_id = sqlite3_column_int64(st, 12);
    row->network_name = col_dup(st, 13, &oom);
    col_copy(st, 14, row->ip, sizeof(row->ip));
    row->port = (uint16_t)sqlite3_column_int(st, 15);
    row->sni = col_dup(st, 16, &oom);
    if (oom) {
        cs_finding_row_clear(row);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading finding %" PRId64,
                       (int64_t)sqlite3_column_int64(st, 0));
    }
    return CS_OK;
}

/* ---- open and close ------------------------------------------------------- */

/* Creates the missing directories above path, mode 0700: the inventory
 * holds the map of a network's TLS endpoints. */
static enum cs_rc make_parents(const char *path, char *err, size_t errlen)
{
    enum cs_rc rc = CS_OK;
    char *dir = strdup(path);
    struct stat sb;
    int saved;

    if (dir == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && (saved = errno) != EEXIST &&
            !(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))) {
            rc = cs_fail(err, errlen, CS_ERR_STORE,
                         "cannot create directory '%s' for the inventory '%s': %s", dir, path,
                         strerror(saved));
            goto out;
        }
        *p = '/';
    }
out:
    free(dir);
    return rc;
}

/* SQLite creates its -wal and -shm files beside the database, and
 * network_lock() its lock files: without a writable directory the open
 * would fail later with a message about something else. */
static enum cs_rc check_directory(const char *path, char *err, size_t errlen)
{
    enum cs_rc rc = CS_OK;
    const char *slash = strrchr(path, '/');
    char *dir = strdup(path);

    if (dir == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    if (slash == NULL)
        strcpy(dir, ".");
    else
        dir[slash == path ? 1 : slash - path] = '\0';
    if (access(dir, W_OK | X_OK) != 0)
        rc = cs_fail(err, errlen, CS_ERR_STORE,
                     "cannot use the inventory '%s': directory '%s' is not writable (%s)", path,
                     dir, strerror(errno));
    free(dir);
    return rc;
}

/* Runs one or more statements that return no rows. */
static enum cs_rc run(struct sqlite_store *s, const char *sql, const char *what, char *err,
                      size_t errlen)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, err, errlen, "%s", what);
    return CS_OK;
}

/*
 * Reads the schema version: 0 for a database without any table (new), -1
 * for one with tables but no schema_version (not ours). A file that is not
 * an SQLite database is refused here, the first time SQLite reads it.
 */
static enum cs_rc read_version(struct sqlite_store *s, int *version, char *err, size_t errlen)
{
    enum cs_rc rc = CS_OK;
    sqlite3_stmt *st = NULL;
    int tables = 0, has_version = 0;

    *version = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT count(*), coalesce(sum(name = 'schema_version'), 0) "
                           "FROM sqlite_master WHERE type = 'table' "
                           "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        if ((sqlite3_errcode(s->db) & 0xff) == SQLITE_NOTADB)
            rc = cs_fail(err, errlen, CS_ERR_USAGE,
                         "'%s' is not a certsweep inventory (not an SQLite database)", s->path);
        else
            rc = db_fail(s, err, errlen, "cannot read the schema");
        goto out;
    }
    tables = sqlite3_column_int(st, 0);
    has_version = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    st = NULL;
    if (tables == 0)
        goto out;
    if (!has_version) {
        *version = -1;
        goto out;
    }
    if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = db_fail(s, err, errlen, "cannot read the schema version");
        goto out;
    }
    *version = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 0);
out:
    sqlite3_finalize(st);
    return rc;
}

/*
 * Brings the schema from version `from` to CS_STORE_SCHEMA_VERSION, one
 * step per transaction. BEGIN IMMEDIATE takes the write lock before the
 * version is read again, so that two processes opening a new inventory at
 * once do not both create it.
 */
static enum cs_rc migrate(struct sqlite_store *s, int from, char *err, size_t errlen)
{
    enum cs_rc rc = CS_OK;
    char sql[128];
    int now_at;

    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= from)
            continue;
        if ((rc = run(s, "BEGIN IMMEDIATE", "cannot start the schema migration", err, errlen)) !=
            CS_OK)
            return rc;
        if ((rc = read_version(s, &now_at, err, errlen)) != CS_OK)
            goto fail;
        if (now_at >= m->version) {
            /* Another process did this step while we waited. */
            if ((rc = run(s, "COMMIT", "cannot end the schema migration", err, errlen)) != CS_OK)
                goto fail;
            continue;
        }
        snprintf(sql, sizeof(sql),
                 "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (%d)",
                 m->version);
        if ((rc = run(s, m->sql, "cannot migrate the schema", err, errlen)) != CS_OK ||
            (rc = run(s, sql, "cannot record the schema version", err, errlen)) != CS_OK ||
            (rc = run(s, "COMMIT", "cannot commit the schema migration", err, errlen)) != CS_OK)
            goto fail;
    }
    return CS_OK;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void sqlite_close(struct cs_store *base)
{
    struct sqlite_store *s = to_sqlite(base);
    if (s == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    /* Closing the lock files releases the locks. */
    for (size_t i = 0; i < s->nlocks; i++)
        close(s->locks[i].fd);
    free(s->locks);
    free(s->path);
    free(s);
}

static enum cs_rc sqlite_open(const char *location, struct cs_store **out, char *err, size_t errlen)
{
    enum cs_rc rc = CS_OK;
    struct sqlite_store *s = calloc(1, sizeof(*s));
    int version = 0;

    *out = NULL;
    if (s == NULL || (s->path = strdup(location)) == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory opening the inventory");
        goto out;
    }
    if ((rc = make_parents(location, err, errlen)) != CS_OK ||
        (rc = check_directory(location, err, errlen)) != CS_OK)
        goto out;
    if (sqlite3_open_v2(location, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        if (s->db == NULL)
            rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory opening the inventory");
        else
            rc = db_fail(s, err, errlen, "cannot open");
        goto out;
    }
    /* SQLite silently falls back to read-only for a file it cannot write;
     * certsweep always writes (a report records its job), so say so now. */
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        rc = cs_fail(err, errlen, CS_ERR_STORE,
                     "inventory '%s' is read-only: certsweep needs to write to it", location);
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);

    /* Look before changing anything: a database that is not ours must not
     * be switched to WAL mode on the way to being refused. */
    if ((rc = read_version(s, &version, err, errlen)) != CS_OK)
        goto out;
    if (version < 0) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE,
                     "'%s' is not a certsweep inventory (an SQLite database without "
                     "schema_version)",
                     location);
        goto out;
    }
    if (version > CS_STORE_SCHEMA_VERSION) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE,
                     "'%s' has inventory schema version %d; this certsweep knows up to %d: "
                     "upgrade certsweep",
                     location, version, CS_STORE_SCHEMA_VERSION);
        goto out;
    }
    if ((rc = run(s, "PRAGMA journal_mode = WAL", "cannot switch to WAL mode", err, errlen)) !=
            CS_OK ||
        (rc = run(s, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", err, errlen)) !=
            CS_OK)
        goto out;
    if (version < CS_STORE_SCHEMA_VERSION && (rc = migrate(s, version, err, errlen)) != CS_OK)
        goto out;
    *out = &s->base;
    s = NULL;
out:
    sqlite_close(s != NULL ? &s->base : NULL);
    return rc;
}

static enum cs_rc sqlite_exec(struct cs_store *base, const char *sql, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    /* A store transaction is for writing: take the write lock at BEGIN,
     * where the busy timeout applies, rather than at the first write,
     * where a WAL snapshot conflict would fail without waiting. */
    if (strcmp(sql, "BEGIN") == 0)
        sql = "BEGIN IMMEDIATE";
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, err, errlen, "%s failed", sql);
    return CS_OK;
}

/* ---- networks ------------------------------------------------------------- */

/* Binds ?1..?19 of ST_NETWORK_ADD and ST_NETWORK_UPDATE. */
static void bind_network(sqlite3_stmt *st, const struct cs_network *net)
{
    bind_text(st, 1, net->name);
    bind_text(st, 2, net->description);
    bind_text(st, 3, net->ranges);
    bind_text(st, 4, net->excludes);
    bind_text(st, 5, net->ports);
    bind_text(st, 6, net->snis);
    bind_text(st, 7, net->alert_to);
    sqlite3_bind_int64(st, 8, net->connect_timeout_ms);
    sqlite3_bind_int64(st, 9, net->download_timeout_ms);
    sqlite3_bind_int64(st, 10, net->expiry_days);
    sqlite3_bind_int64(st, 11, net->max_email_rows);
    sqlite3_bind_int(st, 12, net->auto_monitor);
    sqlite3_bind_int(st, 13, net->enabled);
    bind_text(st, 14, net->webhooks);
    bind_text(st, 15, net->tickets);
    bind_text(st, 16, net->discover_every);
    bind_text(st, 17, net->monitor_every);
    bind_text(st, 18, net->vulnscan_every);
    bind_text(st, 19, net->quiet_hours);
    sqlite3_bind_int(st, 20, net->revocation);
}

static enum cs_rc sqlite_network_add(struct cs_store *base, struct cs_network *net, char *err,
                                     size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char now[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_NETWORK_ADD, &st, err, errlen)) != CS_OK)
        return rc;
    bind_network(st, net);
    bind_time(st, 21, 0, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "network '%s' already exists", net->name);
        else
            rc = db_fail(s, err, errlen, "cannot add network '%s'", net->name);
        goto out;
    }
    net->id = sqlite3_last_insert_rowid(s->db);
out:
    stmt_put(s, ST_NETWORK_ADD, st);
    return rc;
}

static enum cs_rc sqlite_network_update(struct cs_store *base, const struct cs_network *net,
                                        char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_NETWORK_UPDATE, &st, err, errlen)) != CS_OK)
        return rc;
    bind_network(st, net);
    sqlite3_bind_int64(st, 21, net->id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "network '%s' already exists", net->name);
        else
            rc = db_fail(s, err, errlen, "cannot update network '%s'", net->name);
        goto out;
    }
    if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network named '%s'", net->name);
out:
    stmt_put(s, ST_NETWORK_UPDATE, st);
    return rc;
}

static enum cs_rc sqlite_network_remove(struct cs_store *base, const char *name, char *err,
                                        size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_NETWORK_REMOVE, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, name);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot remove network '%s'", name);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network named '%s'", name);
    stmt_put(s, ST_NETWORK_REMOVE, st);
    return rc;
}

static enum cs_rc sqlite_network_get(struct cs_store *base, const char *name,
                                     struct cs_network *out, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_NETWORK_GET, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, name);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_network(s, st, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network named '%s'", name);
    else
        rc = db_fail(s, err, errlen, "cannot read network '%s'", name);
    stmt_put(s, ST_NETWORK_GET, st);
    return rc;
}

static enum cs_rc sqlite_network_list(struct cs_store *base,
                                      void (*fn)(const struct cs_network *net, void *arg),
                                      void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_network net;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_NETWORK_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_network(s, st, &net, err, errlen)) != CS_OK)
            goto out;
        fn(&net, arg);
        cs_network_clear(&net);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list networks");
out:
    stmt_put(s, ST_NETWORK_LIST, st);
    return rc;
}

/* ---- the per-network lock ------------------------------------------------- */

/* The name of a network, into name; CS_ERR_USAGE if there is none. */
static enum cs_rc network_name(struct sqlite_store *s, int64_t id, char *name, size_t size,
                               char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_NETWORK_NAME, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        col_copy(st, 0, name, size);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "no network with id %" PRId64, id);
    else
        rc = db_fail(s, err, errlen, "cannot read network %" PRId64, id);
    stmt_put(s, ST_NETWORK_NAME, st);
    return rc;
}

/* Marks the jobs of a network still recorded as running as interrupted. */
static enum cs_rc interrupt_jobs(struct sqlite_store *s, int64_t network_id, char *err,
                                 size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char now[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_JOB_INTERRUPT, &st, err, errlen)) != CS_OK)
        return rc;
    bind_time(st, 1, 0, now);
    sqlite3_bind_int64(st, 2, network_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot mark the dead jobs of network %" PRId64, network_id);
    stmt_put(s, ST_JOB_INTERRUPT, st);
    return rc;
}

static enum cs_rc sqlite_network_lock(struct cs_store *base, int64_t network_id, char *err,
                                      size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    struct held_lock *grown;
    enum cs_rc rc;
    char name[256], pidtext[32];
    char *path = NULL;
    size_t pathlen = strlen(s->path) + 48;
    ssize_t n;
    long pid;
    int fd = -1;

    /* Locked already by this store: the running jobs are its own. */
    for (size_t i = 0; i < s->nlocks; i++)
        if (s->locks[i].network_id == network_id)
            return CS_OK;
    if ((rc = network_name(s, network_id, name, sizeof(name), err, errlen)) != CS_OK)
        return rc;
    if ((path = malloc(pathlen)) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    snprintf(path, pathlen, "%s.network-%" PRId64 ".lock", s->path, network_id);

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = cs_fail(err, errlen, CS_ERR_STORE, "cannot open the lock file '%s': %s", path,
                     strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            rc = cs_fail(err, errlen, CS_ERR_STORE, "cannot lock '%s': %s", path, strerror(errno));
            goto out;
        }
        /* The holder writes its pid right after taking the lock; it may
         * not be there yet. */
        n = pread(fd, pidtext, sizeof(pidtext) - 1, 0);
        pidtext[n > 0 ? n : 0] = '\0';
        pid = strtol(pidtext, NULL, 10);
        if (pid > 0)
            rc = cs_fail(err, errlen, CS_ERR_BUSY,
                         "network '%s' already has a job running (pid %ld)", name, pid);
        else
            rc = cs_fail(err, errlen, CS_ERR_BUSY, "network '%s' already has a job running", name);
        goto out;
    }
    n = snprintf(pidtext, sizeof(pidtext), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pidtext, (size_t)n, 0) != n) {
        rc = cs_fail(err, errlen, CS_ERR_STORE, "cannot write the lock file '%s': %s", path,
                     strerror(errno));
        goto out;
    }
    if ((rc = interrupt_jobs(s, network_id, err, errlen)) != CS_OK)
        goto out;
    grown = realloc(s->locks, (s->nlocks + 1) * sizeof(*s->locks));
    if (grown == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    s->locks = grown;
    s->locks[s->nlocks].network_id = network_id;
    s->locks[s->nlocks].fd = fd;
    s->nlocks++;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

/* ---- jobs ----------------------------------------------------------------- */

static enum cs_rc sqlite_job_begin(struct cs_store *base, struct cs_job *job, char *err,
                                   size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char started[21];
    enum cs_rc rc;
    time_t t;

    if ((rc = stmt_get(s, ST_JOB_BEGIN, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, job->network_id);
    sqlite3_bind_text(st, 2, cs_job_kind_name(job->kind), -1, SQLITE_STATIC);
    t = bind_time(st, 3, job->started_at, started);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(s, err, errlen, "cannot record a job of network %" PRId64, job->network_id);
        goto out;
    }
    job->id = sqlite3_last_insert_rowid(s->db);
    job->state = CS_JOB_RUNNING;
    job->started_at = t;
out:
    stmt_put(s, ST_JOB_BEGIN, st);
    return rc;
}

static enum cs_rc sqlite_job_finish(struct cs_store *base, const struct cs_job *job, char *err,
                                    size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char finished[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_JOB_FINISH, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_text(st, 1, cs_job_state_name(job->state), -1, SQLITE_STATIC);
    bind_time(st, 2, job->finished_at, finished);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)job->endpoints_scanned);
    for (int i = 0; i < CS_STATUS_COUNT; i++)
        sqlite3_bind_int64(st, 4 + i, (sqlite3_int64)job->counts[i]);
    if (job->report_json != NULL)
        sqlite3_bind_text(st, 12, job->report_json, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 12);
    sqlite3_bind_int64(st, 13, job->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record the end of job %" PRId64, job->id);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no job %" PRId64, job->id);
    stmt_put(s, ST_JOB_FINISH, st);
    return rc;
}

static enum cs_rc sqlite_job_get(struct cs_store *base, int64_t id, struct cs_job *out, char *err,
                                 size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_JOB_GET, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_job(s, st, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no job %" PRId64, id);
    else
        rc = db_fail(s, err, errlen, "cannot read job %" PRId64, id);
    stmt_put(s, ST_JOB_GET, st);
    return rc;
}

static enum cs_rc sqlite_job_list(struct cs_store *base, int64_t network_id,
                                  void (*fn)(const struct cs_job *job, void *arg), void *arg,
                                  char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_job job;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_JOB_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, network_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_job(s, st, &job, err, errlen)) != CS_OK)
            goto out;
        fn(&job, arg);
        cs_job_clear(&job);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list jobs");
out:
    stmt_put(s, ST_JOB_LIST, st);
    return rc;
}

/* ---- certificates --------------------------------------------------------- */

static enum cs_rc sqlite_cert_put(struct cs_store *base, const struct cs_cert_row *cert, char *err,
                                  size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char not_after[21], first_seen[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_CERT_PUT, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_text(st, 1, cert->sha256, -1, SQLITE_STATIC);
    bind_text(st, 2, cert->subject);
    bind_text_or_null(st, 3, cert->subject_cn);
    bind_text(st, 4, cert->issuer);
    bind_text(st, 5, cert->serial);
    bind_text_or_null(st, 6, cert->not_before);
    /* A row built by hand may carry only the epoch. */
    if (cert->not_after[0] == '\0' && cert->not_after_epoch != 0)
        bind_time(st, 7, cert->not_after_epoch, not_after);
    else
        bind_text_or_null(st, 7, cert->not_after);
    bind_text(st, 8, cert->sans_json != NULL ? cert->sans_json : "[]");
    bind_text(st, 9, cert->key_type);
    sqlite3_bind_int(st, 10, cert->key_bits);
    bind_text(st, 11, cert->sig_alg);
    sqlite3_bind_int(st, 12, cert->self_signed);
    if (cert->der_len > 0)
        sqlite3_bind_blob64(st, 13, cert->der, cert->der_len, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st, 13, 0);
    bind_time(st, 14, cert->first_seen, first_seen);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record certificate %s", cert->sha256);
    stmt_put(s, ST_CERT_PUT, st);
    return rc;
}

static enum cs_rc sqlite_cert_get(struct cs_store *base, const char *sha256,
                                  struct cs_cert_row *out, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_CERT_GET, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, sha256);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_cert(st, 0, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no certificate %s", sha256);
    else
        rc = db_fail(s, err, errlen, "cannot read certificate %s", sha256);
    stmt_put(s, ST_CERT_GET, st);
    return rc;
}

static enum cs_rc sqlite_cert_list(struct cs_store *base, const struct cs_cert_filter *filter,
                                   void (*fn)(const struct cs_cert_row *cert,
                                              const struct cs_endpoint_row *ep, void *arg),
                                   void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_cert_row cert;
    struct cs_endpoint_row ep;
    char before[21];
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_CERT_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, filter != NULL ? filter->network_id : 0);
    if (filter != NULL && filter->expires_before != 0)
        bind_time(st, 2, filter->expires_before, before);
    else
        sqlite3_bind_null(st, 2);
    if (filter != NULL && filter->issuer != NULL)
        sqlite3_bind_text(st, 3, filter->issuer, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_cert(st, 0, &cert, err, errlen)) != CS_OK)
            goto out;
        if ((rc = read_endpoint(s, st, CERT_NCOLS, &ep, err, errlen)) != CS_OK) {
            cs_cert_row_clear(&cert);
            goto out;
        }
        fn(&cert, &ep, arg);
        cs_cert_row_clear(&cert);
        cs_endpoint_row_clear(&ep);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list certificates");
out:
    stmt_put(s, ST_CERT_LIST, st);
    return rc;
}

/* ---- endpoints ------------------------------------------------------------ */

static enum cs_rc sqlite_endpoint_get(struct cs_store *base, int64_t network_id, const char *ip,
                                      uint16_t port, const char *sni, struct cs_endpoint_row *out,
                                      char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_ENDPOINT_GET, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, network_id);
    bind_text(st, 2, ip);
    sqlite3_bind_int(st, 3, port);
    bind_text(st, 4, sni);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_endpoint(s, st, 0, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc =
            cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no endpoint %s:%u%s%s in network %" PRId64, ip,
                    port, sni != NULL && sni[0] != '\0' ? " sni " : "", sni ? sni : "", network_id);
    else
        rc = db_fail(s, err, errlen, "cannot read endpoint %s:%u", ip, port);
    stmt_put(s, ST_ENDPOINT_GET, st);
    return rc;
}

static enum cs_rc sqlite_endpoint_put(struct cs_store *base, struct cs_endpoint_row *ep, char *err,
                                      size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char first_seen[21], last_seen[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_ENDPOINT_PUT, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, ep->network_id);
    bind_text(st, 2, ep->ip);
    sqlite3_bind_int(st, 3, ep->port);
    bind_text(st, 4, ep->sni);
    bind_time(st, 5, ep->first_seen, first_seen);
    bind_time(st, 6, ep->last_seen, last_seen);
    sqlite3_bind_text(st, 7, cs_status_name(ep->last_status), -1, SQLITE_STATIC);
    bind_text(st, 8, ep->last_reason);
    bind_text_or_null(st, 9, ep->cert_sha256);
    sqlite3_bind_int(st, 10, ep->monitored);
    bind_id_or_null(st, 11, ep->last_job_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_fail(s, err, errlen, "cannot record endpoint %s:%u", ep->ip, ep->port);
        goto out;
    }
    ep->id = sqlite3_column_int64(st, 0);
    /* RETURNING rows come out before the statement is done: finish it so
     * that the write is complete before the statement is reset. */
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record endpoint %s:%u", ep->ip, ep->port);
out:
    stmt_put(s, ST_ENDPOINT_PUT, st);
    return rc;
}

static enum cs_rc sqlite_endpoint_list(struct cs_store *base,
                                       const struct cs_endpoint_filter *filter,
                                       void (*fn)(const struct cs_endpoint_row *ep, void *arg),
                                       void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_endpoint_row ep;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_ENDPOINT_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, filter != NULL ? filter->network_id : 0);
    if (filter != NULL && filter->status != 0)
        sqlite3_bind_text(st, 2, cs_status_name((enum cs_status)(filter->status - 1)), -1,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int(st, 3, filter != NULL && filter->monitored_only);
    sqlite3_bind_int(st, 4, filter != NULL && filter->changed_only);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_endpoint(s, st, 0, &ep, err, errlen)) != CS_OK)
            goto out;
        fn(&ep, arg);
        cs_endpoint_row_clear(&ep);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list endpoints");
out:
    stmt_put(s, ST_ENDPOINT_LIST, st);
    return rc;
}

static enum cs_rc sqlite_history_add(struct cs_store *base, int64_t endpoint_id, int64_t job_id,
                                     time_t probed_at, enum cs_status status, const char *reason,
                                     const char *cert_sha256, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char probed[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_HISTORY_ADD, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, endpoint_id);
    bind_id_or_null(st, 2, job_id);
    bind_time(st, 3, probed_at, probed);
    sqlite3_bind_text(st, 4, cs_status_name(status), -1, SQLITE_STATIC);
    bind_text(st, 5, reason);
    bind_text_or_null(st, 6, cert_sha256);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record a probe of endpoint %" PRId64, endpoint_id);
    stmt_put(s, ST_HISTORY_ADD, st);
    return rc;
}

/* ---- the outbox ----------------------------------------------------------- */

/* The id of the message queued under idem_key. */
static enum cs_rc outbox_id(struct sqlite_store *s, const char *idem_key, int64_t *id, char *err,
                            size_t errlen)
{
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_OUTBOX_ID, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, idem_key);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_STORE, "inventory '%s': message '%s' vanished", s->path,
                     idem_key);
    else
        rc = db_fail(s, err, errlen, "cannot read queued message '%s'", idem_key);
    stmt_put(s, ST_OUTBOX_ID, st);
    return rc;
}

static enum cs_rc sqlite_outbox_add(struct cs_store *base, struct cs_outbox_row *row, char *err,
                                    size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char created[21], next[21];
    bool added = false;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_OUTBOX_ADD, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, row->idem_key);
    bind_text(st, 2, row->channel);
    bind_text(st, 3, row->kind);
    bind_id_or_null(st, 4, row->job_id);
    bind_text(st, 5, row->payload);
    row->created_at = bind_time(st, 6, row->created_at, created);
    row->next_attempt_at =
        bind_time(st, 7, row->next_attempt_at != 0 ? row->next_attempt_at : row->created_at, next);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        row->id = sqlite3_column_int64(st, 0);
        added = true;
        /* Finish the statement, as in sqlite_endpoint_put(). */
        step = sqlite3_step(st);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot queue message '%s'", row->idem_key);
    stmt_put(s, ST_OUTBOX_ADD, st);
    /* No row returned: the key was there already, and so is the message. */
    if (rc == CS_OK && !added)
        rc = outbox_id(s, row->idem_key, &row->id, err, errlen);
    return rc;
}

static enum cs_rc sqlite_outbox_get(struct cs_store *base, int64_t id, struct cs_outbox_row *out,
                                    char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_OUTBOX_GET, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_outbox(s, st, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no outbox message %" PRId64, id);
    else
        rc = db_fail(s, err, errlen, "cannot read outbox message %" PRId64, id);
    stmt_put(s, ST_OUTBOX_GET, st);
    return rc;
}

static enum cs_rc sqlite_outbox_list(struct cs_store *base, const struct cs_outbox_filter *filter,
                                     void (*fn)(const struct cs_outbox_row *row, void *arg),
                                     void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_outbox_row row;
    char due[21];
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_OUTBOX_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    if (filter != NULL && filter->state != 0)
        sqlite3_bind_text(st, 1, cs_outbox_state_name((enum cs_outbox_state)(filter->state - 1)),
                          -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
    if (filter != NULL && filter->due != 0)
        bind_time(st, 2, filter->due, due);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3,
                       filter != NULL && filter->limit > 0 ? (sqlite3_int64)filter->limit : -1);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_outbox(s, st, &row, err, errlen)) != CS_OK)
            goto out;
        fn(&row, arg);
        cs_outbox_row_clear(&row);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list the outbox");
out:
    stmt_put(s, ST_OUTBOX_LIST, st);
    return rc;
}

static enum cs_rc sqlite_outbox_claim(struct cs_store *base, int64_t id, time_t now,
                                      time_t lease_until, const char *note, char *err,
                                      size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char at[21], until[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_OUTBOX_CLAIM, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    bind_time(st, 2, now, at);
    bind_time(st, 3, lease_until, until);
    bind_text(st, 4, note);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot claim outbox message %" PRId64, id);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_BUSY,
                     "outbox message %" PRId64 " is not pending and due: another process took "
                     "it, or it is gone",
                     id);
    stmt_put(s, ST_OUTBOX_CLAIM, st);
    return rc;
}

static enum cs_rc sqlite_outbox_finish(struct cs_store *base, int64_t id, unsigned attempts,
                                       enum cs_outbox_state state, time_t next_attempt_at,
                                       time_t sent_at, const char *error, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char next[21], sent[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_OUTBOX_FINISH, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cs_outbox_state_name(state), -1, SQLITE_STATIC);
    bind_text(st, 3, error);
    sqlite3_bind_int64(st, 6, attempts);
    if (state == CS_OUTBOX_PENDING)
        bind_time(st, 4, next_attempt_at, next);
    else
        sqlite3_bind_null(st, 4);
    if (state == CS_OUTBOX_SENT)
        bind_time(st, 5, sent_at, sent);
    else
        sqlite3_bind_null(st, 5);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record an attempt of outbox message %" PRId64, id);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_BUSY,
                     "outbox message %" PRId64 " is unknown or was claimed again meanwhile", id);
    stmt_put(s, ST_OUTBOX_FINISH, st);
    return rc;
}

/* Why a retry changed nothing: the message is unknown, or was sent. */
static enum cs_rc retry_refused(struct sqlite_store *s, int64_t id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_OUTBOX_SENT_AT, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = cs_fail(
            err, errlen, CS_ERR_USAGE, "message %" PRId64 " was sent at %s; nothing to retry", id,
            sqlite3_column_type(st, 0) == SQLITE_NULL ? "an unknown time"
                                                      : (const char *)sqlite3_column_text(st, 0));
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no outbox message %" PRId64, id);
    else
        rc = db_fail(s, err, errlen, "cannot read outbox message %" PRId64, id);
    stmt_put(s, ST_OUTBOX_SENT_AT, st);
    return rc;
}

static enum cs_rc sqlite_outbox_retry(struct cs_store *base, int64_t id, time_t now, char *err,
                                      size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char at[21];
    bool changed = false;
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_OUTBOX_RETRY, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    bind_time(st, 2, now, at);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot retry outbox message %" PRId64, id);
    else
        changed = sqlite3_changes(s->db) > 0;
    stmt_put(s, ST_OUTBOX_RETRY, st);
    if (rc == CS_OK && !changed)
        rc = retry_refused(s, id, err, errlen);
    return rc;
}

/* ---- alerts --------------------------------------------------------------- */

static enum cs_rc sqlite_alert_add(struct cs_store *base, struct cs_alert *alert, char *err,
                                   size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char created[21];
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_ALERT_ADD, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, alert->name);
    sqlite3_bind_int64(st, 2, alert->days);
    bind_id_or_null(st, 3, alert->network_id);
    bind_text(st, 4, alert->recipients);
    sqlite3_bind_int(st, 5, alert->syslog);
    bind_text(st, 6, alert->subject);
    bind_text(st, 7, alert->body);
    sqlite3_bind_int64(st, 8, alert->repeat_every_days);
    alert->created_at = bind_time(st, 9, alert->created_at, created);
    bind_text(st, 10, alert->channels);
    bind_text(st, 11, alert->run_every);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "an alert named '%s' exists already", alert->name);
        goto out;
    }
    if (step == SQLITE_ROW) {
        alert->id = sqlite3_column_int64(st, 0);
        step = sqlite3_step(st);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot add alert '%s'", alert->name);
out:
    stmt_put(s, ST_ALERT_ADD, st);
    return rc;
}

static enum cs_rc sqlite_alert_get(struct cs_store *base, const char *name, struct cs_alert *out,
                                   char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_ALERT_GET, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, name);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_alert(st, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no alert named '%s'", name);
    else
        rc = db_fail(s, err, errlen, "cannot read alert '%s'", name);
    stmt_put(s, ST_ALERT_GET, st);
    return rc;
}

static enum cs_rc sqlite_alert_list(struct cs_store *base,
                                    void (*fn)(const struct cs_alert *alert, void *arg), void *arg,
                                    char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_alert alert;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_ALERT_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_alert(st, &alert, err, errlen)) != CS_OK)
            goto out;
        fn(&alert, arg);
        cs_alert_clear(&alert);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list alerts");
out:
    stmt_put(s, ST_ALERT_LIST, st);
    return rc;
}

static enum cs_rc sqlite_alert_remove(struct cs_store *base, const char *name, char *err,
                                      size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_ALERT_REMOVE, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, name);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot remove alert '%s'", name);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no alert named '%s'", name);
    stmt_put(s, ST_ALERT_REMOVE, st);
    return rc;
}

static enum cs_rc sqlite_alert_ran(struct cs_store *base, int64_t alert_id, time_t at, char *err,
                                   size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char ran[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_ALERT_RAN, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, alert_id);
    bind_time(st, 2, at, ran);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record a run of alert %" PRId64, alert_id);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no alert with id %" PRId64, alert_id);
    stmt_put(s, ST_ALERT_RAN, st);
    return rc;
}

static enum cs_rc sqlite_alert_reported_get(struct cs_store *base, int64_t alert_id,
                                            const char *sha256, time_t *reported_at, char *err,
                                            size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    *reported_at = 0;
    if ((rc = stmt_get(s, ST_REPORTED_GET, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, alert_id);
    bind_text(st, 2, sha256);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *reported_at = col_time(st, 0);
    else if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot read when alert %" PRId64 " reported %s", alert_id,
                     sha256);
    stmt_put(s, ST_REPORTED_GET, st);
    return rc;
}

static enum cs_rc sqlite_alert_reported_mark(struct cs_store *base, int64_t alert_id,
                                             const char *sha256, time_t at, char *err,
                                             size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char reported[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_REPORTED_MARK, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, alert_id);
    bind_text(st, 2, sha256);
    bind_time(st, 3, at, reported);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record that alert %" PRId64 " reported %s", alert_id,
                     sha256);
    stmt_put(s, ST_REPORTED_MARK, st);
    return rc;
}

/* ---- tickets -------------------------------------------------------------- */

static enum cs_rc sqlite_ticket_get(struct cs_store *base, const char *channel, const char *key,
                                    struct cs_ticket_row *out, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_TICKET_GET, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, channel);
    bind_text(st, 2, key);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_ticket(s, st, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no ticket for %s in %s", key, channel);
    else
        rc = db_fail(s, err, errlen, "cannot read the ticket for %s in %s", key, channel);
    stmt_put(s, ST_TICKET_GET, st);
    return rc;
}

/* closed_at binds as NULL while it is 0 (store.c settles the times). */
static void bind_closed_at(sqlite3_stmt *st, int i, time_t closed_at, char *buf)
{
    if (closed_at != 0)
        bind_time(st, i, closed_at, buf);
    else
        sqlite3_bind_null(st, i);
}

static enum cs_rc ticket_add(struct sqlite_store *s, struct cs_ticket_row *row, char *err,
                             size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char opened[21], updated[21], closed[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_TICKET_ADD, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, row->channel);
    bind_text(st, 2, row->key);
    bind_text(st, 3, row->remote_id);
    bind_text(st, 4, row->remote_number);
    sqlite3_bind_text(st, 5, ticket_state_name(row->state), -1, SQLITE_STATIC);
    row->opened_at = bind_time(st, 6, row->opened_at, opened);
    row->updated_at = bind_time(st, 7, row->updated_at, updated);
    bind_closed_at(st, 8, row->closed_at, closed);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record the ticket for %s in %s", row->key,
                     row->channel);
    else
        row->id = sqlite3_last_insert_rowid(s->db);
    stmt_put(s, ST_TICKET_ADD, st);
    return rc;
}

static enum cs_rc ticket_update(struct sqlite_store *s, struct cs_ticket_row *row, char *err,
                                size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char updated[21], closed[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_TICKET_UPDATE, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, row->id);
    bind_text(st, 2, row->remote_id);
    bind_text(st, 3, row->remote_number);
    sqlite3_bind_text(st, 4, ticket_state_name(row->state), -1, SQLITE_STATIC);
    row->updated_at = bind_time(st, 5, row->updated_at, updated);
    bind_closed_at(st, 6, row->closed_at, closed);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot update ticket %" PRId64, row->id);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no ticket %" PRId64, row->id);
    stmt_put(s, ST_TICKET_UPDATE, st);
    return rc;
}

static enum cs_rc sqlite_ticket_put(struct cs_store *base, struct cs_ticket_row *row, char *err,
                                    size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    return row->id == 0 ? ticket_add(s, row, err, errlen) : ticket_update(s, row, err, errlen);
}

static enum cs_rc sqlite_ticket_list_open(struct cs_store *base, const char *channel,
                                          const char *key_prefix,
                                          void (*fn)(const struct cs_ticket_row *row, void *arg),
                                          void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_ticket_row row;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_TICKET_LIST_OPEN, &st, err, errlen)) != CS_OK)
        return rc;
    if (channel != NULL)
        sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
    bind_text_or_null(st, 2, key_prefix);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_ticket(s, st, &row, err, errlen)) != CS_OK)
            goto out;
        fn(&row, arg);
        cs_ticket_row_clear(&row);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list open tickets");
out:
    stmt_put(s, ST_TICKET_LIST_OPEN, st);
    return rc;
}

/* ---- findings ------------------------------------------------------------- */

static enum cs_rc sqlite_finding_put(struct cs_store *base, struct cs_finding_row *row, char *err,
                                     size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char first[21], last[21], fixed[21];
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_FINDING_PUT, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, row->endpoint_id);
    bind_text(st, 2, row->check_id);
    sqlite3_bind_text(st, 3, cs_severity_name(row->severity), -1, SQLITE_STATIC);
    bind_text(st, 4, row->title);
    bind_text(st, 5, row->detail);
    bind_text_or_null(st, 6, row->cve);
    bind_text_or_null(st, 7, row->cert_sha256);
    row->first_seen = bind_time(st, 8, row->first_seen, first);
    row->last_seen = bind_time(st, 9, row->last_seen, last);
    bind_closed_at(st, 10, row->fixed_at, fixed);
    bind_id_or_null(st, 11, row->job_id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        row->id = sqlite3_column_int64(st, 0);
        step = sqlite3_step(st);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record finding %s of endpoint %" PRId64,
                     row->check_id ? row->check_id : "", row->endpoint_id);
    stmt_put(s, ST_FINDING_PUT, st);
    return rc;
}

static enum cs_rc sqlite_finding_list(struct cs_store *base, const struct cs_finding_filter *filter,
                                      void (*fn)(const struct cs_finding_row *row, void *arg),
                                      void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_finding_row row;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_FINDING_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, filter != NULL ? filter->network_id : 0);
    sqlite3_bind_int64(st, 2, filter != NULL ? filter->endpoint_id : 0);
    sqlite3_bind_int(st, 3, filter != NULL ? (int)filter->min_severity : 0);
    sqlite3_bind_int(st, 4, filter != NULL && filter->include_fixed);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_finding(s, st, &row, err, errlen)) != CS_OK)
            goto out;
        fn(&row, arg);
        cs_finding_row_clear(&row);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list findings");
out:
    stmt_put(s, ST_FINDING_LIST, st);
    return rc;
}

/* ---- schema version 5 ----------------------------------------------------- */

static enum cs_rc sqlite_job_latest(struct cs_store *base, int64_t network_id,
                                    enum cs_job_kind kind, struct cs_job *out, char *err,
                                    size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_JOB_LATEST, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, network_id);
    sqlite3_bind_text(st, 2, cs_job_kind_name(kind), -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_job(s, st, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "network %" PRId64 " has no %s job", network_id,
                     cs_job_kind_name(kind));
    else
        rc = db_fail(s, err, errlen, "cannot read the last %s job of network %" PRId64,
                     cs_job_kind_name(kind), network_id);
    stmt_put(s, ST_JOB_LATEST, st);
    return rc;
}

static enum cs_rc sqlite_job_progress(struct cs_store *base, int64_t job_id, uint64_t done,
                                      uint64_t total, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_JOB_PROGRESS, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, job_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)done);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)total);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record the progress of job %" PRId64, job_id);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no job %" PRId64, job_id);
    stmt_put(s, ST_JOB_PROGRESS, st);
    return rc;
}

static enum cs_rc sqlite_endpoint_get_by_id(struct cs_store *base, int64_t id,
                                            struct cs_endpoint_row *out, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_ENDPOINT_GET_BY_ID, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_endpoint(s, st, 0, out, err, errlen);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no endpoint %" PRId64, id);
    else
        rc = db_fail(s, err, errlen, "cannot read endpoint %" PRId64, id);
    stmt_put(s, ST_ENDPOINT_GET_BY_ID, st);
    return rc;
}

static enum cs_rc sqlite_history_list(struct cs_store *base, int64_t endpoint_id, unsigned limit,
                                      void (*fn)(const struct cs_history_row *row, void *arg),
                                      void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_HISTORY_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, endpoint_id);
    sqlite3_bind_int64(st, 2, limit > 0 ? (sqlite3_int64)limit : -1);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 2);
        struct cs_history_row row = {
            .job_id = sqlite3_column_int64(st, 0),
            .probed_at = col_time(st, 1),
            .reason = (const char *)sqlite3_column_text(st, 3),
            .cert_sha256 = (const char *)sqlite3_column_text(st, 4),
        };
        if (status == NULL || !cs_status_parse(status, &row.status)) {
            rc = cs_fail(err, errlen, CS_ERR_STORE,
                         "inventory '%s': a probe of endpoint %" PRId64 " has unknown status '%s'",
                         s->path, endpoint_id, status ? status : "");
            goto out;
        }
        if (row.reason == NULL)
            row.reason = "";
        fn(&row, arg);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list the history of endpoint %" PRId64, endpoint_id);
out:
    stmt_put(s, ST_HISTORY_LIST, st);
    return rc;
}

static enum cs_rc sqlite_token_add(struct cs_store *base, const char *name, const char *sha256,
                                   time_t now, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char created[21];
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_TOKEN_ADD, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, name);
    bind_text(st, 2, sha256);
    bind_time(st, 3, now, created);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "a token named '%s' exists already", name);
        goto out;
    }
    if (step == SQLITE_ROW)
        step = sqlite3_step(st); /* finish it, as in sqlite_endpoint_put() */
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot add token '%s'", name);
out:
    stmt_put(s, ST_TOKEN_ADD, st);
    return rc;
}

/* Reads the TOKEN_COLS. */
static void read_token(sqlite3_stmt *st, struct cs_token_row *row)
{
    memset(row, 0, sizeof(*row));
    row->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, row->name, sizeof(row->name));
    col_copy(st, 2, row->sha256, sizeof(row->sha256));
    row->created_at = col_time(st, 3);
    row->last_used_at = col_time(st, 4);
}

static enum cs_rc sqlite_token_find(struct cs_store *base, const char *sha256,
                                    struct cs_token_row *out, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_TOKEN_FIND, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, sha256);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_token(st, out);
    else if (step == SQLITE_DONE)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no such token");
    else
        rc = db_fail(s, err, errlen, "cannot look up a token");
    stmt_put(s, ST_TOKEN_FIND, st);
    return rc;
}

static enum cs_rc sqlite_token_list(struct cs_store *base,
                                    void (*fn)(const struct cs_token_row *row, void *arg),
                                    void *arg, char *err, size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    struct cs_token_row row;
    enum cs_rc rc;
    int step;

    if ((rc = stmt_get(s, ST_TOKEN_LIST, &st, err, errlen)) != CS_OK)
        return rc;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        read_token(st, &row);
        fn(&row, arg);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot list tokens");
    stmt_put(s, ST_TOKEN_LIST, st);
    return rc;
}

static enum cs_rc sqlite_token_remove(struct cs_store *base, const char *name, char *err,
                                      size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_TOKEN_REMOVE, &st, err, errlen)) != CS_OK)
        return rc;
    bind_text(st, 1, name);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot remove token '%s'", name);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no token named '%s'", name);
    stmt_put(s, ST_TOKEN_REMOVE, st);
    return rc;
}

static enum cs_rc sqlite_token_used(struct cs_store *base, int64_t id, time_t at, char *err,
                                    size_t errlen)
{
    struct sqlite_store *s = to_sqlite(base);
    sqlite3_stmt *st = NULL;
    char used[21];
    enum cs_rc rc;

    if ((rc = stmt_get(s, ST_TOKEN_USED, &st, err, errlen)) != CS_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    bind_time(st, 2, at, used);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, errlen, "cannot record a use of token %" PRId64, id);
    else if (sqlite3_changes(s->db) == 0)
        rc = cs_fail(err, errlen, CS_ERR_NOT_FOUND, "no token with id %" PRId64, id);
    stmt_put(s, ST_TOKEN_USED, st);
    return rc;
}

const struct cs_store_ops cs_store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .network_add = sqlite_network_add,
    .network_update = sqlite_network_update,
    .network_remove = sqlite_network_remove,
    .network_get = sqlite_network_get,
    .network_list = sqlite_network_list,
    .network_lock = sqlite_network_lock,
    .job_begin = sqlite_job_begin,
    .job_finish = sqlite_job_finish,
    .job_get = sqlite_job_get,
    .job_list = sqlite_job_list,
    .cert_put = sqlite_cert_put,
    .cert_get = sqlite_cert_get,
    .cert_list = sqlite_cert_list,
    .endpoint_get = sqlite_endpoint_get,
    .endpoint_put = sqlite_endpoint_put,
    .endpoint_list = sqlite_endpoint_list,
    .history_add = sqlite_history_add,
    .outbox_add = sqlite_outbox_add,
    .outbox_get = sqlite_outbox_get,
    .outbox_list = sqlite_outbox_list,
    .outbox_claim = sqlite_outbox_claim,
    .outbox_finish = sqlite_outbox_finish,
    .outbox_retry = sqlite_outbox_retry,
    .alert_add = sqlite_alert_add,
    .alert_get = sqlite_alert_get,
    .alert_list = sqlite_alert_list,
    .alert_remove = sqlite_alert_remove,
    .alert_ran = sqlite_alert_ran,
    .alert_reported_get = sqlite_alert_reported_get,
    .alert_reported_mark = sqlite_alert_reported_mark,
    .ticket_get = sqlite_ticket_get,
    .ticket_put = sqlite_ticket_put,
    .ticket_list_open = sqlite_ticket_list_open,
    .finding_put = sqlite_finding_put,
    .finding_list = sqlite_finding_list,
    .job_latest = sqlite_job_latest,
    .job_progress = sqlite_job_progress,
    .endpoint_get_by_id = sqlite_endpoint_get_by_id,
    .history_list = sqlite_history_list,
    .token_add = sqlite_token_add,
    .token_find = sqlite_token_find,
    .token_list = sqlite_token_list,
    .token_remove = sqlite_token_remove,
    .token_used = sqlite_token_used,
};
