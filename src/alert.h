/*
 * Expiration alerts: find the certificates that endpoints of the inventory
 * present now and that expire within an alert's days (or have expired),
 * and queue one message per certificate it has not reported yet: by email
 * to its recipients, to syslog if asked, and a "raise" event to each of
 * its ticketing and webhook channels (ticket.h). A certificate is
 * reported again only after the alert's repeat_every_days; a renewed
 * certificate has a new SHA-256 and is a new certificate. An open ticket
 * whose certificate the run no longer finds gets a "resolve" event. A run
 * is one transaction: messages, "reported" marks and resolves together.
 */
#ifndef CS_ALERT_H
#define CS_ALERT_H

#include "store.h"

/* The defaults the seed gives for expiry notifications. */
#define CS_ALERT_SUBJECT "SSL Certificate {cn} expiry"
#define CS_ALERT_BODY                                                                              \
    "The SSL Certificate {cn} expiring soon, please take care\n"                                   \
    "\n"                                                                                           \
    "Common name: {cn}\n"                                                                          \
    "Subject:     {dn}\n"                                                                          \
    "Issuer:      {issuer_dn}\n"                                                                   \
    "Names:       {sans}\n"                                                                        \
    "Serial:      {serial}\n"                                                                      \
    "SHA-256:     {sha256}\n"                                                                      \
    "Valid from:  {not_before}\n"                                                                  \
    "Expires:     {not_after} ({days_left} days left)\n"                                           \
    "Deployed at: {locations}\n"                                                                   \
    "Network:     {network}\n"

/* Checks an alert before it is stored: its name, days (0-3650),
 * recipients, repeat (0-3650), both templates and its schedule (run_every,
 * schedule.h; NULL or "" for none). CS_ERR_USAGE says what is wrong,
 * naming the option. */
enum cs_rc cs_alert_validate(const struct cs_alert *alert, char *err, size_t errlen);

/* One certificate an alert run found, as the run reports it. */
struct cs_alert_hit {
    const struct cs_cert_row *cert;
    const char *locations; /* "ip:port/sni, ..." */
    const char *networks;  /* names, ", "-separated */
    long days_left;        /* negative once expired */
    bool due;              /* never reported, or due again by repeat_every_days */
    bool reported;         /* queued by this run (false when not due, or a dry run) */
    time_t last_reported;  /* 0: never */
};

struct cs_alert_run_stats {
    unsigned found;    /* certificates within the alert's days */
    unsigned reported; /* queued now */
    unsigned skipped;  /* reported before, not due again */
    unsigned messages; /* outbox rows queued */
};

/*
 * Runs one alert at `now`. With dry_run nothing is queued or remembered.
 * on_hit, when given, sees every certificate found, after the run is
 * committed. Messages go to the outbox whether or not their channel is
 * configured; there they wait, visibly, until it is.
 */
enum cs_rc cs_alert_run(struct cs_store *s, const struct cs_alert *alert, time_t now, bool dry_run,
                        void (*on_hit)(const struct cs_alert_hit *hit, void *arg), void *arg,
                        struct cs_alert_run_stats *stats, char *err, size_t errlen);

/*
 * Removes the alert named name, and queues a resolve event for each of its
 * open tickets and webhook incidents (*resolves of them), in one
 * transaction: nothing it opened stays open for ever. CS_ERR_NOT_FOUND for
 * an unknown name.
 */
enum cs_rc cs_alert_remove(struct cs_store *s, const char *name, unsigned *resolves, char *err,
                           size_t errlen);

#endif
