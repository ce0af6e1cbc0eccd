/*
 * The inventory: networks, jobs, endpoints that ever accepted a TCP
 * connection, their probe history, and the certificates seen (deduplicated
 * by the SHA-256 of the DER). One interface, two backends behind it, chosen
 * by the location given to cs_store_open():
 *
 *   /path/to/inventory.db            SQLite (store_sqlite.c), the default
 *   postgresql://user@host/dbname    PostgreSQL (store_pg.c)
 *
 * Both backends keep the same schema (docs/inventory.md), run the same
 * versioned migrations, and pass the same tests (tests/unit/test_store.c).
 *
 * Strings returned inside rows are owned by the row and released by the
 * row's _clear() function. List functions call a callback per row; the row
 * is valid only during the call. Every function returns CS_OK or an error
 * with the detail in err.
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include "cs.h"
#include "finding.h"
#include "status.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The schema version this binary writes. A database with a newer version
 * is refused (CS_ERR_USAGE); an older one is migrated on open. */
#define CS_STORE_SCHEMA_VERSION 5

/* A network definition: what a discovery job scans. Target lists are kept
 * as the user typed them (space-separated tokens) and parsed at job time
 * with target.h, so the stored text is always what `network show` prints. */
struct cs_network {
    int64_t id;
    char *name;
    char *description;
    char *ranges;   /* target tokens, space-separated */
    char *excludes; /* target tokens, space-separated; may be "" */
    char *ports;    /* "443,8443" */
    char *snis;     /* SNI names sent to address targets, space-separated */
    char *alert_to; /* email addresses, space-separated */
    unsigned connect_timeout_ms;
    unsigned download_timeout_ms;
    unsigned expiry_days;
    unsigned max_email_rows;
    bool auto_monitor;
    bool enabled;
    char *webhooks; /* names of the [webhook.NAME] sections that get the job
                     * summaries ("oncall"), space-separated; may be "" (v3) */
    char *tickets;  /* names of the [ticketing.NAME] sections that get one ticket
                     * per vulnscan finding, space-separated; may be "" (v4) */
    /* Schedules of `certsweep serve` (v5, schedule.h): "" for none, an
     * interval ("30m", "1h", "1d", "1w") or a five-field cron expression. */
    char *discover_every;
    char *monitor_every;
    char *vulnscan_every;
    /* When no job of the network starts, and a running one starts no new
     * connection (schedule.h): "" for never, else e.g. "mon-fri 08:00-18:00". */
    char *quiet_hours;
    /* Its vulnscans also ask OCSP responders and CRLs (v5), as
     * `vulnscan --revocation` does: scheduled ones included. */
    bool revocation;
};
void cs_network_clear(struct cs_network *net);

/* A vulnscan job (vulnjob.h, schema version 4) checks the endpoints of a
 * network for vulnerabilities and records findings, not endpoints. */
enum cs_job_kind { CS_JOB_DISCOVERY, CS_JOB_MONITORING, CS_JOB_VULNSCAN };
enum cs_job_state { CS_JOB_RUNNING, CS_JOB_DONE, CS_JOB_INTERRUPTED, CS_JOB_FAILED };
const char *cs_job_kind_name(enum cs_job_kind kind);             /* "discovery" */
bool cs_job_kind_parse(const char *name, enum cs_job_kind *out); /* false for another */
const char *cs_job_state_name(enum cs_job_state state);          /* "running" */

struct cs_job {
    int64_t id;
    int64_t network_id;
    char *network_name; /* filled by reads */
    enum cs_job_kind kind;
    enum cs_job_state state;
    time_t started_at;
    time_t finished_at; /* 0 while running */
    /* Endpoints done and planned, as of the job's last commit (v5): a
     * running job's percent complete is done * 100 / total. */
    uint64_t progress_done, progress_total;
    uint64_t endpoints_scanned;
    uint64_t counts[CS_STATUS_COUNT];
    char *report_json; /* the report as rendered at the end; NULL before */
};
void cs_job_clear(struct cs_job *job);

/* A certificate as stored: the facts of x509info.h plus the DER. */
struct cs_cert_row {
    char sha256[65];
    char *subject, *subject_cn, *issuer, *serial;
    char not_before[21], not_after[21];
    time_t not_after_epoch;
    char *sans_json; /* JSON array of "DNS:..." strings */
    char *key_type;
    int key_bits;
    char *sig_alg;
    bool self_signed;
    unsigned char *der;
    size_t der_len;
    time_t first_seen;
};
void cs_cert_row_clear(struct cs_cert_row *cert);

/* An endpoint of a network that accepted a TCP connection at least once. */
struct cs_endpoint_row {
    int64_t id;
    int64_t network_id;
    char ip[46];
    uint16_t port;
    char *sni; /* "" when none is sent */
    time_t first_seen, last_seen;
    enum cs_status last_status;
    char *last_reason;
    char *cert_sha256; /* current certificate, NULL if it returned none */
    bool monitored;
    int64_t last_job_id;
};
void cs_endpoint_row_clear(struct cs_endpoint_row *ep);

/* Filters for listings; zero means "any". */
struct cs_endpoint_filter {
    int64_t network_id;
    int status; /* an enum cs_status + 1, 0 for any */
    bool monitored_only;
    /* Only endpoints whose last two history rows differ in status or
     * certificate: what changed at their last probe (v5). */
    bool changed_only;
};
struct cs_cert_filter {
    int64_t network_id;
    time_t expires_before; /* only certificates with not_after before this; 0 = any */
    const char *issuer;    /* only certificates whose issuer DN contains this; NULL = any (v5) */
};

struct cs_store;

/* Time as stored: RFC 3339 UTC text ("2026-11-23T07:00:00Z"), the same in
 * both backends so that dumps and reports agree. buf holds 21 bytes. */
void cs_store_format_time(time_t t, char *buf);
time_t cs_store_parse_time(const char *text); /* 0 for NULL or bad text */

/* Opens (creating if needed) the inventory at location and migrates its
 * schema. *out is owned by the caller: release it with cs_store_close(). */
enum cs_rc cs_store_open(const char *location, struct cs_store **out, char *err, size_t errlen);
void cs_store_close(struct cs_store **store);

/* Transactions. Writes outside begin/commit are committed one by one. */
enum cs_rc cs_store_begin(struct cs_store *s, char *err, size_t errlen);
enum cs_rc cs_store_commit(struct cs_store *s, char *err, size_t errlen);
void cs_store_rollback(struct cs_store *s);

/* Networks. add fails with CS_ERR_USAGE on a duplicate name; get, update
 * and remove with CS_ERR_USAGE on an unknown one. update matches by id.
 * remove takes the network's job lock first (CS_ERR_BUSY while a job runs)
 * and removes its jobs, endpoints, history and alerts with it; outbox
 * messages of its jobs stay, without their job. */
enum cs_rc cs_store_network_add(struct cs_store *s, struct cs_network *net, char *err,
                                size_t errlen);
enum cs_rc cs_store_network_update(struct cs_store *s, const struct cs_network *net, char *err,
                                   size_t errlen);
enum cs_rc cs_store_network_remove(struct cs_store *s, const char *name, char *err, size_t errlen);
enum cs_rc cs_store_network_get(struct cs_store *s, const char *name, struct cs_network *out,
                                char *err, size_t errlen);
enum cs_rc cs_store_network_list(struct cs_store *s,
                                 void (*fn)(const struct cs_network *net, void *arg), void *arg,
                                 char *err, size_t errlen);

/* Takes the exclusive right to run a job on a network, for as long as the
 * store stays open. Fails with CS_ERR_BUSY if another process has it. Jobs
 * of the network still marked running are then known dead: they are marked
 * interrupted. */
enum cs_rc cs_store_network_lock(struct cs_store *s, int64_t network_id, char *err, size_t errlen);

/* Jobs. begin inserts a running job and sets job->id; finish writes the
 * end state, totals and report. */
enum cs_rc cs_store_job_begin(struct cs_store *s, struct cs_job *job, char *err, size_t errlen);
enum cs_rc cs_store_job_finish(struct cs_store *s, const struct cs_job *job, char *err,
                               size_t errlen);
enum cs_rc cs_store_job_get(struct cs_store *s, int64_t id, struct cs_job *out, char *err,
                            size_t errlen);
/* Jobs newest first, of one network (network_id != 0) or all. */
enum cs_rc cs_store_job_list(struct cs_store *s, int64_t network_id,
                             void (*fn)(const struct cs_job *job, void *arg), void *arg, char *err,
                             size_t errlen);

/*
 * The writes of a long job, grouped into transactions of a few hundred
 * results so that a job killed half way leaves the inventory consistent and
 * another process (SQLite has one writer at a time) never waits long. The
 * first error stops the writing: failed and err keep it. Zero it, then set
 * store and job_id.
 */
struct cs_store_batch {
    struct cs_store *store;
    int64_t job_id;
    bool open;         /* a transaction is open */
    unsigned writes;   /* results in it */
    enum cs_rc failed; /* the first error; CS_OK while none */
    char err[CS_ERRLEN];
    uint64_t progress_done, progress_total; /* as last recorded */
};
/* Opens a transaction unless one is open or writing has failed. */
void cs_store_batch_begin(struct cs_store_batch *b);
/* Counts one result written; commits once max of them are pending. */
void cs_store_batch_count(struct cs_store_batch *b, unsigned max);
/* Commits the open transaction, if any; rolls it back when that fails. */
void cs_store_batch_commit(struct cs_store_batch *b);
/* Records the job's progress (for serve's API) when it moved, inside the
 * open transaction if there is one, which costs no commit of its own. A
 * failure is logged, and the job goes on. */
void cs_store_batch_progress(struct cs_store_batch *b, uint64_t done, uint64_t total);

/* The newest job of a network of one kind: CS_ERR_NOT_FOUND when none (v5). */
enum cs_rc cs_store_job_latest(struct cs_store *s, int64_t network_id, enum cs_job_kind kind,
                               struct cs_job *out, char *err, size_t errlen);
/* Records a running job's progress (v5); cheap enough for every commit. */
enum cs_rc cs_store_job_progress(struct cs_store *s, int64_t job_id, uint64_t done, uint64_t total,
                                 char *err, size_t errlen);

/* Certificates: insert unless already known (by sha256). */
enum cs_rc cs_store_cert_put(struct cs_store *s, const struct cs_cert_row *cert, char *err,
                             size_t errlen);
enum cs_rc cs_store_cert_get(struct cs_store *s, const char *sha256, struct cs_cert_row *out,
                             char *err, size_t errlen);
/* Certificates currently presented by an endpoint, with the endpoints. */
enum cs_rc cs_store_cert_list(struct cs_store *s, const struct cs_cert_filter *filter,
                              void (*fn)(const struct cs_cert_row *cert,
                                         const struct cs_endpoint_row *ep, void *arg),
                              void *arg, char *err, size_t errlen);

/* Endpoints. get returns CS_ERR_NOT_FOUND when the endpoint has no row.
 * put inserts or updates by (network_id, ip, port, sni) and sets ep->id. */
enum cs_rc cs_store_endpoint_get(struct cs_store *s, int64_t network_id, const char *ip,
                                 uint16_t port, const char *sni, struct cs_endpoint_row *out,
                                 char *err, size_t errlen);
enum cs_rc cs_store_endpoint_put(struct cs_store *s, struct cs_endpoint_row *ep, char *err,
                                 size_t errlen);
enum cs_rc cs_store_endpoint_list(struct cs_store *s, const struct cs_endpoint_filter *filter,
                                  void (*fn)(const struct cs_endpoint_row *ep, void *arg),
                                  void *arg, char *err, size_t errlen);
/* One row of endpoint history per probe of a known endpoint. */
enum cs_rc cs_store_history_add(struct cs_store *s, int64_t endpoint_id, int64_t job_id,
                                time_t probed_at, enum cs_status status, const char *reason,
                                const char *cert_sha256, char *err, size_t errlen);

/* An endpoint by its id: CS_ERR_NOT_FOUND when there is none (v5). */
enum cs_rc cs_store_endpoint_get_by_id(struct cs_store *s, int64_t id, struct cs_endpoint_row *out,
                                       char *err, size_t errlen);

/* One probe of an endpoint, as history keeps it. */
struct cs_history_row {
    int64_t job_id; /* 0 once its job is gone */
    time_t probed_at;
    enum cs_status status;
    const char *reason;
    const char *cert_sha256; /* NULL when it returned none */
};
/* An endpoint's history, newest first, at most limit rows (0: all) (v5).
 * Rows are valid during the call only. */
enum cs_rc cs_store_history_list(struct cs_store *s, int64_t endpoint_id, unsigned limit,
                                 void (*fn)(const struct cs_history_row *row, void *arg), void *arg,
                                 char *err, size_t errlen);

/* ---- notifications (schema version 2) ------------------------------------ */

/* A message waiting in, or gone through, the durable outbox. It is written
 * in the same transaction as the result that causes it and delivered
 * afterwards (outbox.h). idem_key is unique: adding a message whose key is
 * already there adds nothing, so a result written twice cannot queue its
 * message twice. */
enum cs_outbox_state { CS_OUTBOX_PENDING, CS_OUTBOX_SENT, CS_OUTBOX_FAILED };
const char *cs_outbox_state_name(enum cs_outbox_state state); /* "pending" */

struct cs_outbox_row {
    int64_t id;
    char
        *idem_key; /* e.g. "job-17.1795000000-email", "alert-3.1794000000-<sha256>-after-0-email" */
    char *channel; /* "email", "syslog" (notify.h) */
    char *kind;    /* "discovery", "monitoring", "expiry", "endpoint_lost", "job_summary", ... */
    int64_t job_id; /* the job that caused it, 0 for none */
    char *payload;  /* the message as JSON, in the channel's shape (notify.h) */
    enum cs_outbox_state state;
    unsigned attempts;
    time_t created_at;
    time_t next_attempt_at; /* pending: not delivered before this */
    time_t last_attempt_at; /* 0: never tried */
    time_t sent_at;         /* 0: not sent */
    char *last_error;       /* "" when none */
};
void cs_outbox_row_clear(struct cs_outbox_row *row);

/* Which rows a listing returns; a state out of range is CS_ERR_USAGE. */
struct cs_outbox_filter {
    int state;      /* an enum cs_outbox_state + 1, 0 for any */
    time_t due;     /* only pending rows with next_attempt_at <= due; 0 = no such condition */
    unsigned limit; /* 0 = all */
};

/* Inserts row (state pending, attempts 0, last_error "") unless its idem_key
 * is already there; sets row->id either way (the existing row's id on a
 * duplicate, whose other fields are left as they were). created_at and
 * next_attempt_at are taken from row; 0 means now, and is written back. */
enum cs_rc cs_store_outbox_add(struct cs_store *s, struct cs_outbox_row *row, char *err,
                               size_t errlen);
enum cs_rc cs_store_outbox_get(struct cs_store *s, int64_t id, struct cs_outbox_row *out, char *err,
                               size_t errlen);
/* get: CS_ERR_NOT_FOUND for an unknown id. list: rows oldest first (by
 * id). */
enum cs_rc cs_store_outbox_list(struct cs_store *s, const struct cs_outbox_filter *filter,
                                void (*fn)(const struct cs_outbox_row *row, void *arg), void *arg,
                                char *err, size_t errlen);
/* Takes a pending, due message for one delivery attempt: in one statement,
 * only if it is still pending and next_attempt_at <= now, counts the
 * attempt, sets last_attempt_at = now, next_attempt_at = lease_until (so no
 * other process takes it meanwhile) and last_error = the given note (which
 * stays if the process dies during delivery). CS_ERR_BUSY when another
 * process took it first, it is no longer due or pending, or there is no
 * such message: the one statement cannot tell these apart. */
enum cs_rc cs_store_outbox_claim(struct cs_store *s, int64_t id, time_t now, time_t lease_until,
                                 const char *note, char *err, size_t errlen);
/* Records the end of an attempt: state, next_attempt_at (pending only,
 * otherwise kept), sent_at (sent only, otherwise kept) and last_error (""
 * on success). A time of 0 means now. Only if the row still counts
 * `attempts` attempts: CS_ERR_BUSY when another process has claimed it
 * since (its lease ran out), or for an unknown id; nothing changes then. */
enum cs_rc cs_store_outbox_finish(struct cs_store *s, int64_t id, unsigned attempts,
                                  enum cs_outbox_state state, time_t next_attempt_at,
                                  time_t sent_at, const char *error, char *err, size_t errlen);
/* Makes a pending or failed message due now (state pending,
 * next_attempt_at = now) with a fresh count of attempts; last_error stays
 * until the next attempt. CS_ERR_NOT_FOUND for an unknown id, CS_ERR_USAGE
 * for a sent one. */
enum cs_rc cs_store_outbox_retry(struct cs_store *s, int64_t id, time_t now, char *err,
                                 size_t errlen);

/* An expiration alert: which certificates (expiring within `days`, or
 * expired; of one network or all), to whom, and with which templates
 * (template.h). */
struct cs_alert {
    int64_t id;
    char *name;
    unsigned days;
    int64_t network_id;         /* 0: every network */
    char *network_name;         /* filled by reads; NULL for every network */
    char *recipients;           /* email addresses, space-separated; may be "" */
    bool syslog;                /* also one syslog message per certificate */
    char *subject;              /* template */
    char *body;                 /* template */
    unsigned repeat_every_days; /* 0: report a certificate once */
    char *channels;             /* ticketing and webhook channels, space-separated:
                                 * "ticketing.sdp webhook.oncall"; may be "" (v3) */
    time_t created_at;
    time_t last_run_at; /* 0: never run */
    char *run_every;    /* schedule of `certsweep serve` (v5); "" for none */
};
void cs_alert_clear(struct cs_alert *alert);

/* add sets alert->id and, when 0, alert->created_at (to now); it fails with
 * CS_ERR_USAGE on a duplicate name. get and remove fail with
 * CS_ERR_NOT_FOUND on an unknown name; list goes by name. ran records
 * last_run_at (CS_ERR_NOT_FOUND for an unknown id). Removing an alert
 * removes what it reported; removing a network removes its alerts. */
enum cs_rc cs_store_alert_add(struct cs_store *s, struct cs_alert *alert, char *err, size_t errlen);
enum cs_rc cs_store_alert_get(struct cs_store *s, const char *name, struct cs_alert *out, char *err,
                              size_t errlen);
enum cs_rc cs_store_alert_list(struct cs_store *s,
                               void (*fn)(const struct cs_alert *alert, void *arg), void *arg,
                               char *err, size_t errlen);
enum cs_rc cs_store_alert_remove(struct cs_store *s, const char *name, char *err, size_t errlen);
enum cs_rc cs_store_alert_ran(struct cs_store *s, int64_t alert_id, time_t at, char *err,
                              size_t errlen);

/* When an alert last reported a certificate: *reported_at = 0 when never.
 * mark inserts or updates the time. */
enum cs_rc cs_store_alert_reported_get(struct cs_store *s, int64_t alert_id, const char *sha256,
                                       time_t *reported_at, char *err, size_t errlen);
enum cs_rc cs_store_alert_reported_mark(struct cs_store *s, int64_t alert_id, const char *sha256,
                                        time_t at, char *err, size_t errlen);

/* ---- tickets (schema version 3) ------------------------------------------ */

/* The remote ticket of one problem (key) in one ticketing channel. */
enum cs_ticket_state { CS_TICKET_OPEN, CS_TICKET_CLOSED };

struct cs_ticket_row {
    int64_t id;
    char *channel;       /* "ticketing.sdp" */
    char *key;           /* "alert:expiry30:<sha256>" */
    char *remote_id;     /* what the API addresses it by */
    char *remote_number; /* what people call it */
    enum cs_ticket_state state;
    time_t opened_at;
    time_t updated_at; /* last note or state change */
    time_t closed_at;  /* 0 while open */
};
void cs_ticket_row_clear(struct cs_ticket_row *row);

/* The newest ticket of (channel, key): CS_ERR_NOT_FOUND when there is
 * none. A problem that comes back after its ticket was closed gets a new
 * row; old rows stay as history. */
enum cs_rc cs_store_ticket_get(struct cs_store *s, const char *channel, const char *key,
                               struct cs_ticket_row *out, char *err, size_t errlen);
/* Inserts row (row->id 0; sets it) or updates it by id (state, remote ids,
 * updated_at, closed_at; CS_ERR_NOT_FOUND for an unknown id). Times of 0
 * mean now (opened_at on insert, updated_at), closed_at follows the state
 * (0 while open, updated_at when closed without one), and what was used is
 * written back into row. */
enum cs_rc cs_store_ticket_put(struct cs_store *s, struct cs_ticket_row *row, char *err,
                               size_t errlen);
/* Open tickets of one channel (NULL: every channel) whose key starts with
 * key_prefix (NULL or "": any), oldest first. */
enum cs_rc cs_store_ticket_list_open(struct cs_store *s, const char *channel,
                                     const char *key_prefix,
                                     void (*fn)(const struct cs_ticket_row *row, void *arg),
                                     void *arg, char *err, size_t errlen);

/* ---- findings (schema version 4) ----------------------------------------- */

/* What a vulnerability scan found wrong with an endpoint (finding.h), as
 * stored: one row per (endpoint, check id), kept once fixed. */
struct cs_finding_row {
    int64_t id;
    int64_t endpoint_id;
    char *check_id; /* "tls1_0" */
    enum cs_severity severity;
    char *title;
    char *detail;      /* "" when none */
    char *cve;         /* NULL when none */
    char *cert_sha256; /* the certificate presented when last seen; NULL for none */
    time_t first_seen; /* first seen ever: a finding that comes back keeps it */
    time_t last_seen;  /* by the last vulnscan that found it */
    time_t fixed_at;   /* 0 while open; when a vulnscan no longer found it */
    int64_t job_id;    /* the last vulnscan that found it; 0 once that job is gone */
    /* Filled by reads, ignored by writes: the endpoint and its network. */
    int64_t network_id;
    char *network_name;
    char ip[46];
    uint16_t port;
    char *sni; /* "" when none is sent */
};
void cs_finding_row_clear(struct cs_finding_row *row);

/* What became of a finding in cs_store_findings_sync. */
enum cs_finding_change {
    CS_FINDING_NEW,      /* never seen on this endpoint before */
    CS_FINDING_REOPENED, /* seen before, fixed since, and back */
    CS_FINDING_SEEN,     /* open, and seen again */
    CS_FINDING_FIXED,    /* open, and not found any more */
};

/* One vulnscan's outcome for one endpoint, for cs_store_findings_sync. */
struct cs_findings_sync {
    int64_t endpoint_id;
    int64_t job_id;          /* 0: none */
    const char *cert_sha256; /* the certificate presented, NULL for none */
    const struct cs_findings *found;
    time_t now; /* 0: now */
    /* Which check ids the scan looked for: an open finding of the endpoint
     * that is not in found is marked fixed only if checked(id) is true, so
     * that a scan of some checks (or one that was inconclusive) leaves the
     * findings of the others alone. NULL: every id was looked for. */
    bool (*checked)(const char *check_id, void *arg);
    /* Called for each finding found (NEW, REOPENED or SEEN) and each one
     * marked FIXED, with the row as written; may be NULL. */
    void (*on_change)(const struct cs_finding_row *row, enum cs_finding_change change, void *arg);
    void *arg;
};

/* Records what a vulnscan found on one endpoint, in the caller's
 * transaction (it begins and commits none): inserts the findings never seen
 * there, updates those seen before (severity, title, detail, cve,
 * certificate, last_seen, job; first_seen stays, fixed_at is cleared), and
 * sets fixed_at = now on the endpoint's open findings that were looked for
 * and not found. Two findings of one check id in found make one row (the
 * higher severity, the details joined by "; "). CS_ERR_USAGE when found
 * holds a finding without a check. */
enum cs_rc cs_store_findings_sync(struct cs_store *s, const struct cs_findings_sync *sync,
                                  char *err, size_t errlen);

/* Which findings a listing returns; zero means "any". */
struct cs_finding_filter {
    int64_t network_id;
    int64_t endpoint_id;
    enum cs_severity min_severity; /* CS_SEVERITY_INFO: all */
    bool include_fixed;            /* false: open findings only */
};

/* Findings by severity (critical first), then endpoint (ip, port, sni),
 * then check id. */
enum cs_rc cs_store_finding_list(struct cs_store *s, const struct cs_finding_filter *filter,
                                 void (*fn)(const struct cs_finding_row *row, void *arg), void *arg,
                                 char *err, size_t errlen);

/* ---- API tokens (schema version 5) --------------------------------------- */

/* A bearer token of the REST API (`certsweep token create NAME`). Only the
 * SHA-256 of the token is stored (hex); the token itself is shown once. */
#define CS_TOKEN_NAME_MAX 64
struct cs_token_row {
    int64_t id;
    char name[CS_TOKEN_NAME_MAX + 1];
    char sha256[65]; /* hex of the SHA-256 of the token */
    time_t created_at;
    time_t last_used_at; /* 0: never */
};
/* add fails with CS_ERR_USAGE on a duplicate name or one longer than
 * CS_TOKEN_NAME_MAX; find (by hash) and remove (by name) with
 * CS_ERR_NOT_FOUND. used records last_used_at. */
enum cs_rc cs_store_token_add(struct cs_store *s, const char *name, const char *sha256, time_t now,
                              char *err, size_t errlen);
enum cs_rc cs_store_token_find(struct cs_store *s, const char *sha256, struct cs_token_row *out,
                               char *err, size_t errlen);
enum cs_rc cs_store_token_list(struct cs_store *s,
                               void (*fn)(const struct cs_token_row *row, void *arg), void *arg,
                               char *err, size_t errlen);
enum cs_rc cs_store_token_remove(struct cs_store *s, const char *name, char *err, size_t errlen);
enum cs_rc cs_store_token_used(struct cs_store *s, int64_t id, time_t at, char *err, size_t errlen);

#endif
