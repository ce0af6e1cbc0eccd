/* The schedule and quiet-hours options of network and alert (schedule.h). */
#include "cli.h"
#include "schedule.h"

#include <string.h>
#include <strings.h>

const char *cs_cli_schedule_text(const char *arg)
{
    /* Words that read as "no schedule" clear it, as "" does. */
    if (strcasecmp(arg, "none") == 0 || strcasecmp(arg, "off") == 0)
        return "";
    return arg;
}

bool cs_cli_schedule_valid(const char *text, bool quiet_hours, char *why, size_t whylen)
{
    struct cs_schedule *schedule = NULL;
    struct cs_quiet *quiet = NULL;
    enum cs_rc rc = quiet_hours ? cs_quiet_parse(text, &quiet, why, whylen)
                                : cs_schedule_parse(text, &schedule, why, whylen);
    cs_schedule_free(&schedule);
    cs_quiet_free(&quiet);
    return rc == CS_OK;
}
