/*
 * The child processes of `certsweep serve`: every job, alert run and outbox
 * delivery runs as `certsweep` itself (fork + exec of /proc/self/exe) with
 * the same --db and --config, so that a job that crashes takes nothing else
 * with it and records itself exactly as a job run by hand does.
 *
 * The table is shared by the main thread (which spawns scheduled work, reaps
 * and signals) and the HTTP thread (which spawns jobs started through the
 * API and asks whether a network is busy); a mutex guards it. Only the main
 * thread reaps (cs_children_reap). A child runs with PR_SET_PDEATHSIG =
 * SIGTERM: if serve dies (kill -9), its jobs stop and record themselves as
 * interrupted.
 */
#ifndef CS_SERVE_CHILDREN_H
#define CS_SERVE_CHILDREN_H

#include "cs.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum cs_child_what { CS_CHILD_JOB, CS_CHILD_ALERT, CS_CHILD_OUTBOX };

/* A running child, as cs_children_each and the reap callback see it. */
struct cs_child {
    pid_t pid;
    enum cs_child_what what;
    int64_t id;            /* the network's (jobs) or alert's id; 0 for the outbox */
    char name[128];        /* the network's or alert's name */
    enum cs_job_kind kind; /* jobs */
    unsigned timeout_ms;   /* jobs: connect + download timeout of the network */
    time_t started;
    bool paused;  /* sent SIGUSR1 for quiet hours, not yet SIGUSR2 */
    int quiet;    /* its network's quiet hours as last seen: 0 not yet looked at,
                   * 1 outside them, 2 in them (set by cs_children_each's fn) */
    bool stopped; /* sent SIGTERM */
};

struct cs_children;

/* db and config (NULL: none given, the child finds its own) are passed to
 * every child as --db and --config. The caller owns *out:
 * cs_children_free() (which neither signals nor waits for anyone). */
enum cs_rc cs_children_new(const char *db, const char *config, struct cs_children **out, char *err,
                           size_t errlen);
void cs_children_free(struct cs_children **c);

/*
 * Starts `certsweep discover|monitor|vulnscan NETWORK -q --format json` for
 * a network, unless the network already has a job running as a child
 * (CS_ERR_BUSY, err names the pid). Standard output goes to /dev/null (the
 * report is stored), standard error to serve's. *pid may be NULL.
 */
enum cs_rc cs_children_spawn_job(struct cs_children *c, int64_t network_id, const char *network,
                                 enum cs_job_kind kind, unsigned timeout_ms, pid_t *pid, char *err,
                                 size_t errlen);
/* `certsweep alert run NAME`; CS_ERR_BUSY while that alert still runs. */
enum cs_rc cs_children_spawn_alert(struct cs_children *c, int64_t alert_id, const char *name,
                                   pid_t *pid, char *err, size_t errlen);
/* `certsweep outbox send`; CS_ERR_BUSY while one still runs. */
enum cs_rc cs_children_spawn_outbox(struct cs_children *c, pid_t *pid, char *err, size_t errlen);

/* Whether a network has a job running as a child (its pid in *pid if so). */
bool cs_children_network_busy(struct cs_children *c, int64_t network_id, pid_t *pid);
bool cs_children_alert_busy(struct cs_children *c, int64_t alert_id);
/* How many children of that kind run. */
unsigned cs_children_count(struct cs_children *c, enum cs_child_what what);

/* Whether pid has been reaped, and then its wait status; false while it
 * runs (or when it was never ours, or reaped too long ago to remember). */
bool cs_children_exited(struct cs_children *c, pid_t pid, int *status);

/*
 * Reaps every child that has ended (waitpid WNOHANG) and calls fn for each,
 * with the child as it was and its wait status, outside the lock. Main
 * thread only.
 */
void cs_children_reap(struct cs_children *c,
                      void (*fn)(const struct cs_child *child, int status, void *arg), void *arg);

/* Calls fn for a copy of each running child, outside the lock; fn returns
 * a signal to send to it (0: none), which also updates paused (SIGUSR1
 * sets, SIGUSR2 clears) and stopped (SIGTERM). What fn writes into the
 * copy's `quiet` is kept. */
void cs_children_each(struct cs_children *c, int (*fn)(struct cs_child *child, void *arg),
                      void *arg);

/* Sends sig to every running child. */
void cs_children_signal_all(struct cs_children *c, int sig);

/* How many children run, of every kind. */
unsigned cs_children_running(struct cs_children *c);

#endif
