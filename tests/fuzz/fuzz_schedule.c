/*
 * libFuzzer harness for schedule.c: the input, as typed into --every or
 * --quiet-hours (or sent to the API), parsed both as a schedule and as
 * quiet hours. What parses is then asked when it is next due and whether
 * it is quiet at a few times around daylight saving changes, in a zone
 * that has them when the system knows one. Besides memory errors and leaks
 * (and endless loops, which libFuzzer reports as timeouts), the harness
 * checks the contract: a failed parse gives NULL and a message, a due time
 * is after the last run or never, and a quiet window ends after the time
 * asked about.
 */
#include "schedule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("TZ", access("/usr/share/zoneinfo/Europe/Paris", R_OK) == 0 ? "Europe/Paris" : "UTC", 1);
    tzset();
    return 0;
}

/* 2026-01-01, the night before the spring change, the night of the autumn
 * change, and the last second of a leap year's February. */
static const time_t times[] = {1767225600, 1774738800, 1792886400, 1835481599};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[CS_ERRLEN];
    char *text = malloc(size + 1);
    struct cs_schedule *schedule = NULL;
    struct cs_quiet *quiet = NULL;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    err[0] = '\0';
    if (cs_schedule_parse(text, &schedule, err, sizeof(err)) == CS_OK) {
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
            time_t next = cs_schedule_next(schedule, times[i], 0);
            if (next != (time_t)-1 && next <= times[i])
                abort();
            next = cs_schedule_next(schedule, 0, times[i]);
            if (next != (time_t)-1 && next != 0 && next <= times[i])
                abort();
        }
        cs_schedule_free(&schedule);
    } else if (schedule != NULL || err[0] == '\0') {
        abort();
    }

    err[0] = '\0';
    if (cs_quiet_parse(text, &quiet, err, sizeof(err)) == CS_OK) {
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
            for (time_t t = times[i]; t < times[i] + 86400; t += 5400) {
                time_t end = 0;
                if (cs_quiet_at(quiet, t, &end) && end <= t)
                    abort();
            }
        }
        cs_quiet_free(&quiet);
    } else if (quiet != NULL || err[0] == '\0') {
        abort();
    }
    free(text);
    return 0;
}
