/*
 * Schedules and quiet hours (schedule.h).
 *
 * A cron expression is kept as one bit set per field. The next matching
 * minute is found by walking local time forward from the last run, a month
 * at a time while the month does not match, a day at a time while the day
 * does not, then by hours and minutes: a few hundred steps at most per
 * year, whatever the expression. Each step goes through mktime(), so that
 * daylight saving changes are those of the server's zone; a local time that
 * a change skips (02:30 on the night clocks go forward) does not happen,
 * and one that happens twice runs once.
 *
 * Quiet hours are a list of windows, each a set of week days and a span of
 * minutes of the day, which may run past midnight into the next day.
 */
#include "schedule.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How far ahead a cron expression is searched: one that matches no day in
 * five years ("0 0 31 2 *") matches none ever. */
#define CRON_HORIZON ((time_t)5 * 366 * 86400)

/* The longest interval accepted: a schedule is for things that happen. */
#define INTERVAL_MAX ((time_t)366 * 86400)

/* How many joined windows cs_quiet_at() follows: quiet hours that never
 * end report an end about a week ahead, and the caller asks again then. */
#define QUIET_CHAIN_MAX 16

enum schedule_kind { SCHEDULE_NEVER, SCHEDULE_INTERVAL, SCHEDULE_CRON };

struct cs_schedule {
    enum schedule_kind kind;
    time_t interval; /* seconds, SCHEDULE_INTERVAL */
    /* SCHEDULE_CRON: bit n set when n matches. */
    uint64_t minutes;   /* 0-59 */
    uint32_t hours;     /* 0-23 */
    uint32_t days;      /* 1-31 */
    uint16_t months;    /* 1-12 */
    uint8_t weekdays;   /* 0-6, Sunday 0 */
    bool days_star;     /* the day-of-month field began with '*' */
    bool weekdays_star; /* the day-of-week field began with '*' */
};

struct quiet_window {
    uint8_t weekdays; /* bit n: starts on week day n, Sunday 0 */
    int start, end;   /* minutes of the day; end <= start: runs into the next day */
};

struct cs_quiet {
    size_t count;
    struct quiet_window windows[];
};

/* ---- cron ---------------------------------------------------------------- */

struct cron_field {
    const char *name;
    int min, max;
    const char *const *names; /* names of min, min + 1, ...; NULL for none */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const struct cron_field cron_fields[5] = {
    {"minute", 0, 59, NULL},
    {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},
    {"month", 1, 12, month_names},
    /* 7 is Sunday too, as in cron. */
    {"day-of-week", 0, 7, day_names},
};

/* A number or a name of field f at *p; advances *p. */
static bool cron_value(const struct cron_field *f, const char **p, int *out)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        while (isdigit((unsigned char)*s) && v <= 1000)
            v = v * 10 + (*s++ - '0');
        if (isdigit((unsigned char)*s))
            return false;
        *out = (int)v;
        *p = s;
        return true;
    }
    for (int i = 0; f->names != NULL && f->names[i] != NULL; i++)
        if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
            *out = f->min + i;
            *p = s + 3;
            return true;
        }
    return false;
}

/*
 * Parses one cron field (text, len bytes) into the bit set *bits. On error
 * returns CS_ERR_USAGE with err naming the field.
 */
static enum cs_rc cron_parse_field(const struct cron_field *f, const char *text, size_t len,
                                   uint64_t *bits, char *err, size_t errlen)
{
    char buf[64];
    const char *p;

    if (len >= sizeof(buf))
        return cs_fail(err, errlen, CS_ERR_USAGE, "cron %s field is too long", f->name);
    memcpy(buf, text, len);
    buf[len] = '\0';
    *bits = 0;
    p = buf;
    for (;;) {
        int lo = f->min, hi = f->max, step = 1;
        bool star = *p == '*';
        if (star) {
            p++;
        } else {
            if (!cron_value(f, &p, &lo))
                goto bad;
            hi = lo;
            if (*p == '-') {
                p++;
                if (!cron_value(f, &p, &hi))
                    goto bad;
            }
        }
        if (*p == '/') {
            p++;
            if (!cron_value(&(struct cron_field){f->name, 1, 1000, NULL}, &p, &step) || step < 1)
                goto bad;
            /* "5/15" is "5-max/15", as most crons read it. */
            if (!star && hi == lo)
                hi = f->max;
        }
        /* "mon-sun": Sunday is 7 too. */
        if (f->names == day_names && hi == 0 && lo > 0)
            hi = 7;
        if (lo < f->min || hi > f->max || lo > hi) {
            if (lo == hi)
                return cs_fail(err, errlen, CS_ERR_USAGE,
                               "cron %s field '%s': %d is not within %d-%d", f->name, buf, lo,
                               f->min, f->max);
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "cron %s field '%s': %d-%d is not a range within %d-%d", f->name, buf,
                           lo, hi, f->min, f->max);
        }
        for (int v = lo; v <= hi; v += step)
            *bits |= (uint64_t)1 << v;
        if (*p == '\0')
            break;
        if (*p++ != ',')
            goto bad;
    }
    return CS_OK;
bad:
    return cs_fail(err, errlen, CS_ERR_USAGE,
                   "cron %s field '%s' is not *, a value, a range or a list of them (with "
                   "optional /step)",
                   f->name, buf);
}

static enum cs_rc cron_parse(const char *text, struct cs_schedule *sch, char *err, size_t errlen)
{
    uint64_t bits[5];
    const char *p = text;
    enum cs_rc rc;

    for (int i = 0; i < 5; i++) {
        size_t len;
        p += strspn(p, " \t");
        len = strcspn(p, " \t");
        if (len == 0)
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "cron expression '%s' has %d fields; expected five (minute hour "
                           "day-of-month month day-of-week)",
                           text, i);
        if ((rc = cron_parse_field(&cron_fields[i], p, len, &bits[i], err, errlen)) != CS_OK)
            return rc;
        if (i == 2)
            sch->days_star = *p == '*';
        if (i == 4)
            sch->weekdays_star = *p == '*';
        p += len;
    }
    p += strspn(p, " \t");
    if (*p != '\0')
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "cron expression '%s' has more than five fields (minute hour "
                       "day-of-month month day-of-week)",
                       text);
    sch->kind = SCHEDULE_CRON;
    sch->minutes = bits[0];
    sch->hours = (uint32_t)bits[1];
    sch->days = (uint32_t)bits[2];
    sch->months = (uint16_t)bits[3];
    /* Sunday is 0 and 7. */
    sch->weekdays = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f);
    return CS_OK;
}

/* An interval, "30m": CS_ERR_USAGE unless text is one. */
static enum cs_rc interval_parse(const char *text, struct cs_schedule *sch, char *err,
                                 size_t errlen)
{
    const char *p = text;
    long long n = 0;
    time_t unit;

    while (isdigit((unsigned char)*p) && n <= INTERVAL_MAX)
        n = n * 10 + (*p++ - '0');
    switch (p > text && *p != '\0' && p[1] == '\0' ? tolower((unsigned char)*p) : 0) {
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7 * 86400;
        break;
    default:
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "'%s' is neither an interval (a number and m, h, d or w: 30m, 1h, 1d, "
                       "2w) nor a cron expression of five fields",
                       text);
    }
    if (n < 1 || n > INTERVAL_MAX / unit)
        return cs_fail(err, errlen, CS_ERR_USAGE, "interval '%s' is not between 1m and 366d", text);
    sch->kind = SCHEDULE_INTERVAL;
    sch->interval = (time_t)n * unit;
    return CS_OK;
}

enum cs_rc cs_schedule_parse(const char *text, struct cs_schedule **out, char *err, size_t errlen)
{
    struct cs_schedule *sch = calloc(1, sizeof(*sch));
    char *trimmed = NULL;
    enum cs_rc rc = CS_OK;
    size_t len;

    *out = NULL;
    if (sch == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    if (text == NULL)
        text = "";
    text += strspn(text, " \t");
    len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if ((trimmed = strndup(text, len)) == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (len == 0)
        sch->kind = SCHEDULE_NEVER;
    else if (strpbrk(trimmed, " \t") != NULL)
        rc = cron_parse(trimmed, sch, err, errlen);
    else
        rc = interval_parse(trimmed, sch, err, errlen);
out:
    free(trimmed);
    if (rc == CS_OK)
        *out = sch;
    else
        free(sch);
    return rc;
}

void cs_schedule_free(struct cs_schedule **schedule)
{
    if (schedule == NULL)
        return;
    free(*schedule);
    *schedule = NULL;
}

static bool cron_day_matches(const struct cs_schedule *sch, const struct tm *tm)
{
    bool dom = sch->days >> tm->tm_mday & 1;
    bool dow = sch->weekdays >> tm->tm_wday & 1;
    /* As cron: when both fields are restricted, either one will do. */
    if (sch->days_star || sch->weekdays_star)
        return dom && dow;
    return dom || dow;
}

/* The first minute after `from` that the cron expression matches, or
 * (time_t)-1 when none does within CRON_HORIZON. */
static time_t cron_next(const struct cs_schedule *sch, time_t from)
{
    struct tm tm;
    time_t t, next;

    if (localtime_r(&from, &tm) == NULL)
        return (time_t)-1;
    tm.tm_sec = 0;
    tm.tm_min++;
    tm.tm_isdst = -1;
    if ((t = mktime(&tm)) == (time_t)-1)
        return (time_t)-1;
    while (t - from <= CRON_HORIZON) {
        if (localtime_r(&t, &tm) == NULL)
            return (time_t)-1;
        if (!(sch->months >> (tm.tm_mon + 1) & 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!cron_day_matches(sch, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!(sch->hours >> tm.tm_hour & 1)) {
            tm.tm_hour++;
            tm.tm_min = 0;
        } else if (!(sch->minutes >> tm.tm_min & 1)) {
            tm.tm_min++;
        } else {
            return t;
        }
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        if ((next = mktime(&tm)) == (time_t)-1)
            return (time_t)-1;
        /* Around a daylight saving change, the local time asked for can
         * come out at or before t: go on from the next real minute. */
        t = next > t ? next : t + 60;
    }
    return (time_t)-1;
}

time_t cs_schedule_next(const struct cs_schedule *schedule, time_t last, time_t since)
{
    if (schedule == NULL)
        return (time_t)-1;
    switch (schedule->kind) {
    case SCHEDULE_INTERVAL:
        return last == 0 ? 0 : last + schedule->interval;
    case SCHEDULE_CRON:
        return cron_next(schedule, last != 0 ? last : since);
    case SCHEDULE_NEVER:
    default:
        return (time_t)-1;
    }
}

/* ---- quiet hours --------------------------------------------------------- */

static const char quiet_help[] =
    "expected windows such as 'mon-fri 08:00-18:00; sat,sun 00:00-24:00' or 'daily 22:00-06:00'";

/* A week day by its name (mon..sun, or the whole name); -1 for another
 * word. len is the length of the word at text. */
static int weekday_of(const char *text, size_t len)
{
    static const char *const full[] = {"sunday",   "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
    for (int i = 0; i < 7; i++)
        if ((len == 3 && strncasecmp(text, day_names[i], 3) == 0) ||
            (len == strlen(full[i]) && strncasecmp(text, full[i], len) == 0))
            return i;
    return -1;
}

/* A days token: "daily", a day, or a range of days ("mon-fri", or one that
 * wraps past Sunday, "fri-mon"). Returns the bit set, 0 for none. */
static uint8_t days_of(const char *text, size_t len)
{
    const char *dash = memchr(text, '-', len);
    int from, to;

    if (len == 5 && strncasecmp(text, "daily", 5) == 0)
        return 0x7f;
    if (dash == NULL) {
        from = weekday_of(text, len);
        return from < 0 ? 0 : (uint8_t)(1u << from);
    }
    from = weekday_of(text, (size_t)(dash - text));
    to = weekday_of(dash + 1, len - (size_t)(dash - text) - 1);
    if (from < 0 || to < 0)
        return 0;
    uint8_t bits = 0;
    for (int d = from;; d = (d + 1) % 7) {
        bits |= (uint8_t)(1u << d);
        if (d == to)
            break;
    }
    return bits;
}

/* "HH:MM" at text (5 bytes): minutes of the day, -1 if not a time. 24:00
 * only when allow_24 is true. */
static int clock_of(const char *text, bool allow_24)
{
    int h, m;
    if (!isdigit((unsigned char)text[0]) || !isdigit((unsigned char)text[1]) || text[2] != ':' ||
        !isdigit((unsigned char)text[3]) || !isdigit((unsigned char)text[4]))
        return -1;
    h = (text[0] - '0') * 10 + (text[1] - '0');
    m = (text[3] - '0') * 10 + (text[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
        return -1;
    return h * 60 + m;
}

/*
 * Reads quiet hours as a stream of words separated by blanks, ',' and ';':
 * day words (mon, mon-fri, daily) name the days of the spans that follow
 * them, and a span (HH:MM-HH:MM) makes a window of those days. A day word
 * after a span starts new days, so that "sat,sun 00:00-24:00" and
 * "mon 08:00-10:00, 14:00-16:00" read as they look.
 */
enum cs_rc cs_quiet_parse(const char *text, struct cs_quiet **out, char *err, size_t errlen)
{
    struct cs_quiet *q = NULL;
    const char *p = text != NULL ? text : "";
    const char *seps = " \t,;";
    size_t cap = 0, words = 0;
    uint8_t days = 0;
    bool after_span = true;
    enum cs_rc rc = CS_OK;

    *out = NULL;
    /* At most one window per word. */
    for (const char *w = p + strspn(p, seps); *w != '\0';
         w += strcspn(w, seps), w += strspn(w, seps))
        words++;
    cap = words;
    if ((q = calloc(1, sizeof(*q) + cap * sizeof(q->windows[0]))) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");

    for (p += strspn(p, seps); *p != '\0'; p += strspn(p, seps)) {
        size_t len = strcspn(p, seps);
        if (len == 11 && p[5] == '-') {
            int start = clock_of(p, false), end = clock_of(p + 6, true);
            if (start < 0 || end < 0) {
                rc = cs_fail(err, errlen, CS_ERR_USAGE,
                             "quiet hours: '%.*s' is not a span of HH:MM-HH:MM (00:00 to 24:00)",
                             (int)len, p);
                goto out;
            }
            if (days == 0) {
                rc = cs_fail(err, errlen, CS_ERR_USAGE,
                             "quiet hours: the span '%.*s' has no days before it; %s", (int)len, p,
                             quiet_help);
                goto out;
            }
            if (start == end) {
                rc = cs_fail(err, errlen, CS_ERR_USAGE, "quiet hours: the span '%.*s' is empty",
                             (int)len, p);
                goto out;
            }
            q->windows[q->count++] = (struct quiet_window){days, start, end % (24 * 60)};
            /* 24:00 ends at midnight: a window of the whole day is
             * 00:00-24:00, kept as start 0, end 0 (the next midnight). */
            after_span = true;
        } else {
            uint8_t d = days_of(p, len);
            if (d == 0) {
                rc = cs_fail(err, errlen, CS_ERR_USAGE,
                             "quiet hours: '%.*s' is neither days (mon..sun, mon-fri, daily) nor "
                             "a span (HH:MM-HH:MM); %s",
                             (int)len, p, quiet_help);
                goto out;
            }
            days = after_span ? d : (uint8_t)(days | d);
            after_span = false;
        }
        p += len;
    }
    if (!after_span) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "quiet hours: the days at the end have no span; %s",
                     quiet_help);
        goto out;
    }
out:
    if (rc == CS_OK)
        *out = q;
    else
        free(q);
    return rc;
}

void cs_quiet_free(struct cs_quiet **quiet)
{
    if (quiet == NULL)
        return;
    free(*quiet);
    *quiet = NULL;
}

/* The time of minute `minute` of the local day `day_offset` days after the
 * day of *base (minute may be 24 * 60: the next midnight). */
static time_t local_at(const struct tm *base, int day_offset, int minute)
{
    struct tm tm = *base;
    tm.tm_mday += day_offset;
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

/* Whether a window covers t; if so *end is the latest end of those that
 * do. Windows are half open: a window that ends at t does not cover it. */
static bool quiet_covers(const struct cs_quiet *q, time_t t, time_t *end)
{
    struct tm tm;
    bool covered = false;
    int minute, today, yesterday;

    if (q == NULL || q->count == 0 || localtime_r(&t, &tm) == NULL)
        return false;
    minute = tm.tm_hour * 60 + tm.tm_min;
    today = tm.tm_wday;
    yesterday = (today + 6) % 7;
    for (size_t i = 0; i < q->count; i++) {
        const struct quiet_window *w = &q->windows[i];
        bool wraps = w->end <= w->start;
        time_t e;
        if ((w->weekdays >> today & 1) && minute >= w->start && (wraps || minute < w->end))
            e = local_at(&tm, wraps ? 1 : 0, w->end);
        else if (wraps && (w->weekdays >> yesterday & 1) && minute < w->end)
            e = local_at(&tm, 0, w->end);
        else
            continue;
        if (e == (time_t)-1 || e <= t)
            continue;
        if (!covered || e > *end)
            *end = e;
        covered = true;
    }
    return covered;
}

bool cs_quiet_at(const struct cs_quiet *quiet, time_t t, time_t *end)
{
    time_t until, later;

    if (!quiet_covers(quiet, t, &until))
        return false;
    /* A window that begins where this one ends, or overlaps it, makes one
     * quiet time with it. */
    for (int i = 0; i < QUIET_CHAIN_MAX && quiet_covers(quiet, until, &later) && later > until; i++)
        until = later;
    if (end != NULL)
        *end = until;
    return true;
}
