/*
 * Schedules and quiet hours of `certsweep serve`: when a network's
 * discovery, monitoring or vulnscan, or an alert, is due, and when a
 * network must be left alone. Pure functions of text and time, without I/O.
 *
 * A schedule is "" (never), an interval "N" + unit (m, h, d, w: "30m",
 * "1h", "1d", "2w"; at least 1m), or a five-field cron expression
 * ("minute hour day-of-month month day-of-week", with *, lists, ranges,
 * steps and names: "0 3 * * mon-fri", "*\/15 * * * *"). Cron fields are read
 * in the server's local time zone (TZ), as cron does; day-of-month and
 * day-of-week, when both are restricted, match either (as cron does).
 *
 * Quiet hours are "" (never) or windows separated by ";" or ",", each days
 * and a time span: "mon-fri 08:00-18:00; sat,sun 00:00-24:00", "daily
 * 22:00-06:00" (a span that wraps past midnight belongs to the day it
 * starts on). Local time too.
 */
#ifndef CS_SCHEDULE_H
#define CS_SCHEDULE_H

#include "cs.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cs_schedule;
struct cs_quiet;

/* Parses a schedule. "" gives a schedule that is never due. On error
 * (CS_ERR_USAGE) err names the bad field and *out is NULL. The caller owns
 * *out: cs_schedule_free(). */
enum cs_rc cs_schedule_parse(const char *text, struct cs_schedule **out, char *err,
                             size_t errlen);
void cs_schedule_free(struct cs_schedule **schedule);

/*
 * When a job last started at `last` (0: never) is due next.
 *  - an interval: last + interval; never run: 0 (due at once)
 *  - cron: the first matching minute after last; never run: the first
 *    matching minute after `since` (when the schedule was first seen, so
 *    that a new cron schedule waits for its slot)
 *  - "": (time_t)-1, never.
 * A due time in the past means "run now, once": runs missed while the
 * service was down are not run once per missed slot.
 */
time_t cs_schedule_next(const struct cs_schedule *schedule, time_t last, time_t since);

/* Quiet hours, parsed like a schedule ("" never quiet). */
enum cs_rc cs_quiet_parse(const char *text, struct cs_quiet **out, char *err, size_t errlen);
void cs_quiet_free(struct cs_quiet **quiet);

/* Whether t falls in a quiet window; when it does and end is not NULL,
 * *end is when the window (and any window joined to it) ends. */
bool cs_quiet_at(const struct cs_quiet *quiet, time_t t, time_t *end);

#endif
