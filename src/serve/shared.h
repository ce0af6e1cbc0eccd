/*
 * What the main thread and the HTTP thread of `certsweep serve` share: the
 * children (which have their own lock), the configuration (reloaded on
 * SIGHUP, hence behind a lock), and a way for the HTTP thread to wake the
 * main loop after it changed what the scheduler looks at.
 */
#ifndef CS_SERVE_SHARED_H
#define CS_SERVE_SHARED_H

#include "children.h"
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

struct cs_serve_shared {
    const char *db;               /* the inventory location */
    struct cs_children *children; /* thread-safe */
    time_t started;               /* when serve started: `since` of new schedules */
    int wake_fd;                  /* eventfd: write 1 to make the main loop plan again */

    pthread_mutex_t config_lock; /* guards config */
    struct cs_config config;     /* the current configuration */
    atomic_bool metrics_token;   /* [serve] metrics_token of the current configuration */
};

/* Makes the main loop plan again now (a network changed, a job started). */
void cs_shared_wake(struct cs_serve_shared *shared);

/*
 * Marks interrupted the jobs of a network still recorded as running by a
 * process that is gone: takes the network's job lock on a connection of its
 * own (cs_store_network_lock does the marking) and closes it, which
 * releases the lock. CS_ERR_BUSY when a live process holds the lock: its
 * job really runs.
 */
enum cs_rc cs_shared_recover(const char *db, int64_t network_id, char *err, size_t errlen);

#endif
