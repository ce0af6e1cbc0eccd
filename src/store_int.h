/*
 * What a storage backend implements: one table of functions, in the manner
 * of curl's vtls backends. store.c picks the backend from the location and
 * forwards every cs_store_* call to it. A backend's struct embeds struct
 * cs_store as its first member.
 */
#ifndef CS_STORE_INT_H
#define CS_STORE_INT_H

#include "store.h"

struct cs_store_ops {
    const char *name; /* "sqlite", "postgresql" */
    enum cs_rc (*open)(const char *location, struct cs_store **out, char *err, size_t errlen);
    void (*close)(struct cs_store *s);
    enum cs_rc (*exec)(struct cs_store *s, const char *sql, char *err, size_t errlen);
    enum cs_rc (*network_add)(struct cs_store *s, struct cs_network *net, char *err, size_t errlen);
    enum cs_rc (*network_update)(struct cs_store *s, const struct cs_network *net, char *err,
                                 size_t errlen);
    enum cs_rc (*network_remove)(struct cs_store *s, const char *name, char *err, size_t errlen);
    enum cs_rc (*network_get)(struct cs_store *s, const char *name, struct cs_network *out,
                              char *err, size_t errlen);
    enum cs_rc (*network_list)(struct cs_store *s,
                               void (*fn)(const struct cs_network *net, void *arg), void *arg,
                               char *err, size_t errlen);
    enum cs_rc (*network_lock)(struct cs_store *s, int64_t network_id, char *err, size_t errlen);
    enum cs_rc (*job_begin)(struct cs_store *s, struct cs_job *job, char *err, size_t errlen);
    enum cs_rc (*job_finish)(struct cs_store *s, const struct cs_job *job, char *err,
                             size_t errlen);
    enum cs_rc (*job_get)(struct cs_store *s, int64_t id, struct cs_job *out, char *err,
                          size_t errlen);
    enum cs_rc (*job_list)(struct cs_store *s, int64_t network_id,
                           void (*fn)(const struct cs_job *job, void *arg), void *arg, char *err,
                           size_t errlen);
    enum cs_rc (*cert_put)(struct cs_store *s, const struct cs_cert_row *cert, char *err,
                           size_t errlen);
    enum cs_rc (*cert_get)(struct cs_store *s, const char *sha256, struct cs_cert_row *out,
                           char *err, size_t errlen);
    enum cs_rc (*cert_list)(struct cs_store *s, const struct cs_cert_filter *filter,
                            void (*fn)(const struct cs_cert_row *cert,
                                       const struct cs_endpoint_row *ep, void *arg),
                            void *arg, char *err, size_t errlen);
    enum cs_rc (*endpoint_get)(struct cs_store *s, int64_t network_id, const char *ip,
                               uint16_t port, const char *sni, struct cs_endpoint_row *out,
                               char *err, size_t errlen);
    enum cs_rc (*endpoint_put)(struct cs_store *s, struct cs_endpoint_row *ep, char *err,
                               size_t errlen);
    enum cs_rc (*endpoint_list)(struct cs_store *s, const struct cs_endpoint_filter *filter,
                                void (*fn)(const struct cs_endpoint_row *ep, void *arg), void *arg,
                                char *err, size_t errlen);
    enum cs_rc (*history_add)(struct cs_store *s, int64_t endpoint_id, int64_t job_id,
                              time_t probed_at, enum cs_status status, const char *reason,
                              const char *cert_sha256, char *err, size_t errlen);

    /* Schema version 2: notifications. */
    enum cs_rc (*outbox_add)(struct cs_store *s, struct cs_outbox_row *row, char *err,
                             size_t errlen);
    enum cs_rc (*outbox_get)(struct cs_store *s, int64_t id, struct cs_outbox_row *out, char *err,
                             size_t errlen);
    enum cs_rc (*outbox_list)(struct cs_store *s, const struct cs_outbox_filter *filter,
                              void (*fn)(const struct cs_outbox_row *row, void *arg), void *arg,
                              char *err, size_t errlen);
    enum cs_rc (*outbox_claim)(struct cs_store *s, int64_t id, time_t now, time_t lease_until,
                               const char *note, char *err, size_t errlen);
    enum cs_rc (*outbox_finish)(struct cs_store *s, int64_t id, unsigned attempts,
                                enum cs_outbox_state state, time_t next_attempt_at, time_t sent_at,
                                const char *error, char *err, size_t errlen);
    enum cs_rc (*outbox_retry)(struct cs_store *s, int64_t id, time_t now, char *err,
                               size_t errlen);
    enum cs_rc (*alert_add)(struct cs_store *s, struct cs_alert *alert, char *err, size_t errlen);
    enum cs_rc (*alert_get)(struct cs_store *s, const char *name, struct cs_alert *out, char *err,
                            size_t errlen);
    enum cs_rc (*alert_list)(struct cs_store *s,
                             void (*fn)(const struct cs_alert *alert, void *arg), void *arg,
                             char *err, size_t errlen);
    enum cs_rc (*alert_remove)(struct cs_store *s, const char *name, char *err, size_t errlen);
    enum cs_rc (*alert_ran)(struct cs_store *s, int64_t alert_id, time_t at, char *err,
                            size_t errlen);
    enum cs_rc (*alert_reported_get)(struct cs_store *s, int64_t alert_id, const char *sha256,
                                     time_t *reported_at, char *err, size_t errlen);
    enum cs_rc (*alert_reported_mark)(struct cs_store *s, int64_t alert_id, const char *sha256,
                                      time_t at, char *err, size_t errlen);

    /* Schema version 3: tickets. */
    enum cs_rc (*ticket_get)(struct cs_store *s, const char *channel, const char *key,
                             struct cs_ticket_row *out, char *err, size_t errlen);
    enum cs_rc (*ticket_put)(struct cs_store *s, struct cs_ticket_row *row, char *err,
                             size_t errlen);
    enum cs_rc (*ticket_list_open)(struct cs_store *s, const char *channel, const char *key_prefix,
                                   void (*fn)(const struct cs_ticket_row *row, void *arg),
                                   void *arg, char *err, size_t errlen);

    /* Schema version 4: findings. put inserts row or updates it by
     * (endpoint_id, check_id): every field but first_seen, which only an
     * insert writes; it sets row->id. list follows cs_store_finding_list,
     * with the endpoint's columns filled in. store.c builds
     * cs_store_findings_sync on the two. */
    enum cs_rc (*finding_put)(struct cs_store *s, struct cs_finding_row *row, char *err,
                              size_t errlen);
    enum cs_rc (*finding_list)(struct cs_store *s, const struct cs_finding_filter *filter,
                               void (*fn)(const struct cs_finding_row *row, void *arg), void *arg,
                               char *err, size_t errlen);

    /* Schema version 5: what `certsweep serve` needs. The token functions
     * follow store.h; store.c checks the name of token_add first. */
    enum cs_rc (*job_latest)(struct cs_store *s, int64_t network_id, enum cs_job_kind kind,
                             struct cs_job *out, char *err, size_t errlen);
    enum cs_rc (*job_progress)(struct cs_store *s, int64_t job_id, uint64_t done, uint64_t total,
                               char *err, size_t errlen);
    enum cs_rc (*endpoint_get_by_id)(struct cs_store *s, int64_t id, struct cs_endpoint_row *out,
                                     char *err, size_t errlen);
    enum cs_rc (*history_list)(struct cs_store *s, int64_t endpoint_id, unsigned limit,
                               void (*fn)(const struct cs_history_row *row, void *arg), void *arg,
                               char *err, size_t errlen);
    enum cs_rc (*token_add)(struct cs_store *s, const char *name, const char *sha256, time_t now,
                            char *err, size_t errlen);
    enum cs_rc (*token_find)(struct cs_store *s, const char *sha256, struct cs_token_row *out,
                             char *err, size_t errlen);
    enum cs_rc (*token_list)(struct cs_store *s,
                             void (*fn)(const struct cs_token_row *row, void *arg), void *arg,
                             char *err, size_t errlen);
    enum cs_rc (*token_remove)(struct cs_store *s, const char *name, char *err, size_t errlen);
    enum cs_rc (*token_used)(struct cs_store *s, int64_t id, time_t at, char *err, size_t errlen);
};

struct cs_store {
    const struct cs_store_ops *ops;
};

/* The state of its wire name ("pending"); false for another text. */
bool cs_outbox_state_parse(const char *name, enum cs_outbox_state *out);

/* The rank of a severity column in SQL, for comparing and sorting: the
 * value of enum cs_severity (info 0 .. critical 4), -1 for another text. */
#define CS_STORE_SEVERITY_RANK(col)                                                                \
    "(CASE " col " WHEN 'info' THEN 0 WHEN 'low' THEN 1 WHEN 'medium' THEN 2 "                     \
    "WHEN 'high' THEN 3 WHEN 'critical' THEN 4 ELSE -1 END)"

extern const struct cs_store_ops cs_store_sqlite_ops;
extern const struct cs_store_ops cs_store_pg_ops;

#endif
