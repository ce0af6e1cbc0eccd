/*
 * Tickets: the outbox channel "ticketing.NAME" opens, annotates and closes
 * tickets in ServiceDesk Plus, ServiceNow or Jira, one ticket per problem.
 *
 * A problem has a stable key (e.g. "alert:expiry30:<sha256>"). The outbox
 * carries three actions for it (payload below): "raise" (the problem is
 * there, with news), "ensure" (it is still there: keep a ticket open for
 * it) and "resolve" (it is gone). ticket.c keeps, in the inventory's
 * tickets table, the remote ticket of each (channel, key), and decides:
 *
 *   raise, no ticket known     look for an open one carrying the key (a
 *                              crash after creating it and before
 *                              recording it), else create one; record it
 *   raise, ticket known open   if the system says it is still open, add a
 *                              note; if someone closed it by hand, record
 *                              that and create a new one
 *   ensure                     as raise, but no note on a ticket still
 *                              open: the problem stays, nothing new to say
 *   resolve, ticket known open add the closing note and, if the section's
 *                              close_resolved (default), resolve/close it
 *   resolve, none open         nothing
 *
 * Payload (JSON) of an outbox row of a ticketing channel:
 *   {"action": "raise" | "ensure" | "resolve",
 *    "key": "alert:expiry30:ab12...",
 *    "kind": "expiry" | "vulnerability",
 *    "subject": "SSL Certificate www.example.com expiry",
 *    "description": "The SSL Certificate ... please take care\n...",
 *    "note": "Still expiring: 5 days left ...",   (raise on a known ticket)
 *    "severity": "critical" | "error" | "warning" | "info"}
 * Webhook channels (webhook.h) take the same payload.
 */
#ifndef CS_TICKET_H
#define CS_TICKET_H

#include "config.h"
#include "http.h"
#include "notify.h"

/* A ticket in a remote system. */
struct cs_ticket_ref {
    char id[128];     /* what the API addresses it by: SDP id, ServiceNow sys_id, Jira key */
    char number[128]; /* what people call it: SDP id, INC0010002, OPS-12 */
};

/*
 * One ticketing system. Each function makes the requests it needs through
 * http and returns CS_OK, or the outbox's verdict (notify.h: CS_ERR_BUSY
 * with *retry_after_s, CS_ERR_USAGE, or a failure that may pass, usually
 * from cs_http_failure()) with err saying why. A system's answer that
 * reports failure inside a 2xx (ServiceDesk Plus's response_status) is a
 * failure.
 */
struct cs_ticket_ops {
    const char *type; /* "servicedeskplus", "servicenow", "jira" */
    /* An open ticket that carries key (ServiceNow correlation_id, Jira
     * label, ServiceDesk Plus subject search + the key line in the
     * description): CS_OK and *out, or CS_ERR_NOT_FOUND. */
    enum cs_rc (*find_open)(struct cs_http *http, const struct cs_remote_config *rc,
                            const char *key, const char *subject, struct cs_ticket_ref *out,
                            unsigned *retry_after_s, char *err, size_t errlen);
    /* Whether the ticket is still open (not resolved, closed, done or
     * cancelled); a ticket that no longer exists is not open. */
    enum cs_rc (*is_open)(struct cs_http *http, const struct cs_remote_config *rc,
                          const struct cs_ticket_ref *ticket, bool *open, unsigned *retry_after_s,
                          char *err, size_t errlen);
    /* Creates a ticket carrying key, with the section's fields (requester,
     * priority, caller_id, project, ...). */
    enum cs_rc (*create)(struct cs_http *http, const struct cs_remote_config *rc, const char *key,
                         const char *subject, const char *description, const char *severity,
                         struct cs_ticket_ref *out, unsigned *retry_after_s, char *err,
                         size_t errlen);
    /* Adds a note/comment (ServiceNow work_notes, Jira comment, SDP note). */
    enum cs_rc (*add_note)(struct cs_http *http, const struct cs_remote_config *rc,
                           const struct cs_ticket_ref *ticket, const char *text,
                           unsigned *retry_after_s, char *err, size_t errlen);
    /* Resolves/closes the ticket with a closing text (ServiceNow state 6
     * Resolved with close_code and close_notes, Jira the done transition,
     * SDP close with closure_info). */
    enum cs_rc (*close)(struct cs_http *http, const struct cs_remote_config *rc,
                        const struct cs_ticket_ref *ticket, const char *text,
                        unsigned *retry_after_s, char *err, size_t errlen);
};

/* ---- for the backends ---------------------------------------------------- */

/* How a call authenticates: OAuth (token_scheme set: an access token from
 * token_url by the refresh-token grant, sent as "Authorization:
 * token_scheme TOKEN", and asked for again once when the API answers
 * 401), else a fixed header line (header), else basic auth (user,
 * password). */
struct cs_ticket_auth {
    const char *token_url;
    const char *token_scheme; /* "Bearer", "Zoho-oauthtoken" */
    const char *header;       /* "authtoken: KEY", "Authorization: Bearer PAT" */
    const char *user, *password;
};

/* What differs between the systems in a call. */
struct cs_ticket_api {
    const char *accept; /* the Accept header line */
    /* The system's own words in an error answer (answer may be NULL), in
     * place of its raw JSON; buf[0] = '\0' when there are none. */
    void (*words)(const cJSON *answer, char *buf, size_t len);
    /* When set, judges a 2xx answer (answer NULL when it is not JSON or
     * empty) instead of the common "the answer is not JSON"; shown is
     * "METHOD URL" without the query. */
    enum cs_rc (*check_2xx)(const cJSON *answer, long status, const char *shown, char *err,
                            size_t errlen);
};

/* One request of a backend. */
struct cs_ticket_request {
    const char *method;
    const char *path;         /* after the section's url (its trailing '/' dropped), with a query */
    const char *content_type; /* of body; NULL without one */
    const char *body;         /* NULL for none */
    bool missing_ok;          /* a 404 is CS_ERR_NOT_FOUND */
};

/*
 * One API call of a backend: authenticates by auth, sends req with the
 * api's Accept header, and judges the answer. CS_OK for a 2xx, with
 * *answer its parsed JSON (NULL when empty; the caller deletes it);
 * CS_ERR_NOT_FOUND for a 404 when req->missing_ok; otherwise
 * cs_http_failure()'s verdict with the system's words, or CS_ERR_IO for a
 * 2xx that is not JSON (or api->check_2xx's verdict). *status (may be
 * NULL) is the HTTP status, 0 when no answer came. Every failure text is
 * scrubbed of the credentials (http.h).
 */
enum cs_rc cs_ticket_call(struct cs_http *http, const struct cs_remote_config *rc,
                          const struct cs_ticket_api *api, const struct cs_ticket_auth *auth,
                          const struct cs_ticket_request *req, long *status, cJSON **answer,
                          unsigned *retry_after_s, char *err, size_t errlen);

/* The value of a per-severity setting (by, e.g. rc->priority_by) for an
 * event's severity ("critical", "error", "warning", "info"), else
 * fallback (the section's own; may be NULL). */
const char *cs_ticket_by_severity(char *const by[CS_TICKET_SEVERITIES], const char *fallback,
                                  const char *severity);

/* A string printf makes, which the caller frees; NULL when out of memory. */
char *cs_ticket_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The length of a section's url without its trailing slashes, for
 * "%.*s" (URLs are far shorter than INT_MAX). */
int cs_ticket_base_len(const char *url);

/* A 2xx answer without what it must carry (a proxy, an ACL hiding a
 * field): CS_ERR_IO "SYSTEM answered STATUS without WHAT", so that it is
 * never read as "closed" or "none found" (which would open a duplicate). */
enum cs_rc cs_ticket_shapeless(const char *system, long status, const char *what, char *err,
                               size_t errlen);

extern const struct cs_ticket_ops cs_ticket_servicedeskplus;
extern const struct cs_ticket_ops cs_ticket_servicenow;
extern const struct cs_ticket_ops cs_ticket_jira;

/* The outbox channel of every [ticketing.*] section. */
extern const struct cs_channel_ops cs_channel_ticketing;

#endif
