/*
 * The scheduler of `certsweep serve`: which network jobs and alerts are due,
 * computed from the inventory's rows, the time, and what serve itself still
 * runs. It starts nothing: the main loop (serve.c) acts on the plan.
 *
 * The rules (docs/service.md):
 *  - A network's discovery, monitoring and vulnscan schedules, and each
 *    alert's run_every, are parsed with schedule.h. The last run is the
 *    started_at of the newest job of that kind (an alert's last_run_at), or
 *    the last time serve started or skipped it, whichever is later: a run
 *    that failed before it could record a job is not retried in a loop.
 *  - A job whose newest row is `interrupted` (serve was killed, the machine
 *    rebooted) is due again at once, but at most once a minute per entry.
 *    A `failed` job waits for its next slot: a failure that repeats (a bad
 *    range, a broken store) must not run in a loop.
 *  - Runs missed while serve was down run once (schedule.h).
 *  - A due job of a network in its quiet hours waits for the window to end.
 *  - A due job of a network that has a job running (serve's own child, or a
 *    row still `running` from another process) is skipped: the slot counts
 *    as used, and the next one is computed from now.
 */
#ifndef CS_SERVE_SCHEDULER_H
#define CS_SERVE_SCHEDULER_H

#include "cs.h"
#include "store.h"

#include <stdbool.h>
#include <time.h>

/* The shortest wait before an interrupted entry is started again by serve. */
#define CS_SCHED_RETRY_S 60

enum cs_sched_action {
    CS_SCHED_NEVER, /* no schedule, or the network is disabled */
    CS_SCHED_WAIT,  /* due at `due`, in the future */
    CS_SCHED_START, /* due now: start it */
    CS_SCHED_QUIET, /* due, but the network is quiet until `until` */
    CS_SCHED_BUSY,  /* due, but a job of the network still runs: skip this slot */
    CS_SCHED_BAD,   /* the schedule or quiet hours do not parse: `why` says how */
};
const char *cs_sched_action_name(enum cs_sched_action action); /* "start" */

/* What one entry is: a job of a network, or an alert. */
enum cs_sched_what { CS_SCHED_JOB, CS_SCHED_ALERT };

/* The facts cs_sched_decide works from, all given by the caller. */
struct cs_sched_input {
    const char *schedule;        /* schedule.h text; "" or NULL: never */
    const char *quiet_hours;     /* schedule.h text; "" or NULL: never quiet */
    const struct cs_job *latest; /* jobs: the newest job of this kind; NULL for none */
    time_t last_run;             /* alerts: last_run_at (0: never) */
    time_t since;                /* when serve first saw this schedule text */
    time_t last_spawn;           /* when serve last started it (0: never) */
    time_t last_skip;            /* when serve last skipped it as busy (0: never) */
    bool busy;                   /* a job of the network (an alert: that alert) runs */
    time_t now;
};

/* The decision on one entry. */
struct cs_sched_decision {
    enum cs_sched_action action;
    time_t due;          /* (time_t)-1: never */
    time_t until;        /* CS_SCHED_QUIET: when the window ends */
    bool quiet_now;      /* the network is in quiet hours now (whether due or not) */
    time_t quiet_end;    /* and when that window ends */
    char why[CS_ERRLEN]; /* CS_SCHED_BAD: the parse error */
};

/* Applies the rules above to one entry. Pure: no I/O, no clock. */
void cs_sched_decide(const struct cs_sched_input *in, struct cs_sched_decision *out);

/* One entry of a plan. Strings are owned by the plan. */
struct cs_sched_entry {
    enum cs_sched_what what;
    int64_t id;            /* the network's or the alert's id */
    char *name;            /* the network's or the alert's name */
    enum cs_job_kind kind; /* jobs */
    char *quiet_hours;     /* jobs: the network's quiet hours */
    unsigned timeout_ms;   /* jobs: the network's connect + download timeouts */
    struct cs_sched_decision d;
};

struct cs_sched_plan {
    struct cs_sched_entry *entries;
    size_t count;
    time_t next_wake; /* the earliest future due time or window end; 0: none */
};
void cs_sched_plan_clear(struct cs_sched_plan *plan);

/* What serve remembers between plans: since, last_spawn, last_skip per
 * entry, and when serve started. Owned by the caller: cs_sched_free(). */
struct cs_sched;
enum cs_rc cs_sched_new(time_t started, struct cs_sched **out, char *err, size_t errlen);
void cs_sched_free(struct cs_sched **sched);

/* Whether serve runs a job of a network (busy) or an alert; the callbacks
 * of cs_sched_plan. */
struct cs_sched_running {
    bool (*network_busy)(int64_t network_id, void *arg);
    bool (*alert_busy)(int64_t alert_id, void *arg);
    void *arg;
};

/*
 * Reads every network and alert from s and decides on each entry at now:
 * three per network (discovery, monitoring, vulnscan), one per alert. A
 * network also counts as busy when the newest job of any kind is still
 * `running` (a job started by hand, or one whose process died and that the
 * caller has not marked interrupted yet). The caller releases *plan with
 * cs_sched_plan_clear() whatever the result.
 */
enum cs_rc cs_sched_plan(struct cs_sched *sched, struct cs_store *s, time_t now,
                         const struct cs_sched_running *running, struct cs_sched_plan *plan,
                         char *err, size_t errlen);

/* Records that serve started (spawned) or skipped an entry at now. */
void cs_sched_note_spawn(struct cs_sched *sched, const struct cs_sched_entry *e, time_t now);
void cs_sched_note_skip(struct cs_sched *sched, const struct cs_sched_entry *e, time_t now);
/* For a CS_SCHED_BAD entry: true the first time for its current text, so
 * that the error is logged once, not at every plan. */
bool cs_sched_note_bad(struct cs_sched *sched, const struct cs_sched_entry *e);

/*
 * When the next job of one kind of net is due, as a user reads it: now
 * when it is due already, the end of the quiet window when that holds it,
 * (time_t)-1 when never (no schedule, disabled, or a bad one). For the API,
 * whose thread has no cs_sched: since is serve's start.
 */
time_t cs_sched_next_due(const struct cs_network *net, enum cs_job_kind kind,
                         const struct cs_job *latest, time_t since, time_t now);

/* The schedule text of one kind of a network ("" when none). */
const char *cs_sched_network_schedule(const struct cs_network *net, enum cs_job_kind kind);

#endif
