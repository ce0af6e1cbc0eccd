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
#include "status.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The schema version this binary writes. A database with a newer version
 * is refused (CS_ERR_USAGE); an older one is migrated on open. */
#define CS_STORE_SCHEMA_VERSION 1

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
};
void cs_network_clear(struct cs_network *net);

enum cs_job_kind { CS_JOB_DISCOVERY, CS_JOB_MONITORING };
enum cs_job_state { CS_JOB_RUNNING, CS_JOB_DONE, CS_JOB_INTERRUPTED, CS_JOB_FAILED };
const char *cs_job_kind_name(enum cs_job_kind kind);    /* "discovery" */
const char *cs_job_state_name(enum cs_job_state state); /* "running" */

struct cs_job {
    int64_t id;
    int64_t network_id;
    char *network_name; /* filled by reads */
    enum cs_job_kind kind;
    enum cs_job_state state;
    time_t started_at;
    time_t finished_at; /* 0 while running */
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
};
struct cs_cert_filter {
    int64_t network_id;
    time_t expires_before; /* only certificates with not_after before this; 0 = any */
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
 * and removes its jobs, endpoints and history with it. */
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

#endif
