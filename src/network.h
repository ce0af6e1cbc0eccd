/*
 * Network definitions: checking one as `scan` checks its arguments, and
 * turning one into the target lists a job scans.
 */
#ifndef CS_NETWORK_H
#define CS_NETWORK_H

#include "store.h"
#include "target.h"

/* Defaults of `network add`. */
#define CS_NETWORK_CONNECT_TIMEOUT_MS 2000
#define CS_NETWORK_DOWNLOAD_TIMEOUT_MS 5000
#define CS_NETWORK_EXPIRY_DAYS 30
#define CS_NETWORK_MAX_EMAIL_ROWS 50

/* Checks every target, exclusion, port list, SNI and address of net, the
 * bounds of its numbers, and its schedules and quiet hours (schedule.h).
 * CS_ERR_USAGE names the bad value. */
enum cs_rc cs_network_validate(const struct cs_network *net, char *err, size_t errlen);

/* Fills the lists a discovery of net scans: its ranges (once per SNI when
 * it has several), its exclusions, and its ports. The caller frees them. */
enum cs_rc cs_network_targets(const struct cs_network *net, struct cs_target_list *targets,
                              struct cs_target_list *excludes, struct cs_portlist *ports, char *err,
                              size_t errlen);

#endif
