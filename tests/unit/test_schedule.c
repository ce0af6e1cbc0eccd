/*
 * The contract of schedule.h: intervals, cron expressions and quiet hours,
 * in UTC unless a test says otherwise (setenv TZ + tzset), and in
 * Europe/Paris across both daylight saving changes of 2026 when the zone
 * database has it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void use_zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static int setup_utc(void **state)
{
    use_zone("UTC");
    return 0;
}

/* A local time of the zone in use. */
static time_t local(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_isdst = -1};
    time_t t = mktime(&tm);
    assert_true(t != (time_t)-1);
    return t;
}

/* "2026-01-05 03:00" in the zone in use, for messages that say what went
 * wrong. */
static const char *show(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (t == (time_t)-1) {
        snprintf(buf, len, "never");
        return buf;
    }
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm);
    return buf;
}

#define ASSERT_TIME(got, want)                                                                     \
    do {                                                                                           \
        time_t got_ = (got), want_ = (want);                                                       \
        char a_[64], b_[64];                                                                       \
        if (got_ != want_)                                                                         \
            fail_msg("%s: got %s, want %s", #got, show(got_, a_, sizeof(a_)),                      \
                     show(want_, b_, sizeof(b_)));                                                 \
    } while (0)

static struct cs_schedule *parse_ok(const char *text)
{
    struct cs_schedule *s = NULL;
    char err[CS_ERRLEN];
    if (cs_schedule_parse(text, &s, err, sizeof(err)) != CS_OK)
        fail_msg("cs_schedule_parse(%s): %s", text, err);
    assert_non_null(s);
    return s;
}

/* The next run after `from` of the expression text. */
static time_t next_of(const char *text, time_t from)
{
    struct cs_schedule *s = parse_ok(text);
    time_t t = cs_schedule_next(s, from, 0);
    cs_schedule_free(&s);
    assert_null(s);
    return t;
}

/* Parsing text fails, and the message says `word`. */
static void schedule_refused(const char *text, const char *word)
{
    struct cs_schedule *s = (struct cs_schedule *)&s; /* not NULL: parse must set it */
    char err[CS_ERRLEN] = "";
    assert_int_equal(cs_schedule_parse(text, &s, err, sizeof(err)), CS_ERR_USAGE);
    assert_null(s);
    if (strstr(err, word) == NULL)
        fail_msg("cs_schedule_parse(%s): '%s' does not say '%s'", text, err, word);
}

static struct cs_quiet *quiet_ok(const char *text)
{
    struct cs_quiet *q = NULL;
    char err[CS_ERRLEN];
    if (cs_quiet_parse(text, &q, err, sizeof(err)) != CS_OK)
        fail_msg("cs_quiet_parse(%s): %s", text, err);
    assert_non_null(q);
    return q;
}

static void quiet_refused(const char *text, const char *word)
{
    struct cs_quiet *q = (struct cs_quiet *)&q;
    char err[CS_ERRLEN] = "";
    assert_int_equal(cs_quiet_parse(text, &q, err, sizeof(err)), CS_ERR_USAGE);
    assert_null(q);
    if (strstr(err, word) == NULL)
        fail_msg("cs_quiet_parse(%s): '%s' does not say '%s'", text, err, word);
}

/* Whether text is quiet at t, and until when (-1 when it is not). */
static time_t quiet_until(const char *text, time_t t)
{
    struct cs_quiet *q = quiet_ok(text);
    time_t end = 0;
    bool quiet = cs_quiet_at(q, t, &end);
    /* The answer does not depend on whether the end is asked for. */
    assert_int_equal(cs_quiet_at(q, t, NULL), quiet);
    cs_quiet_free(&q);
    assert_null(q);
    return quiet ? end : (time_t)-1;
}

/* 2026-01-01 is a Thursday. */

/* ---- empty and intervals ------------------------------------------------- */

static void test_empty_schedule_is_never_due(void **state)
{
    struct cs_schedule *s = parse_ok("");
    assert_int_equal(cs_schedule_next(s, 0, 0), (time_t)-1);
    assert_int_equal(cs_schedule_next(s, local(2026, 1, 1, 0, 0), 0), (time_t)-1);
    cs_schedule_free(&s);
    s = parse_ok("   ");
    assert_int_equal(cs_schedule_next(s, 0, local(2026, 1, 1, 0, 0)), (time_t)-1);
    cs_schedule_free(&s);
    cs_schedule_free(&s); /* NULL is fine */
    cs_schedule_free(NULL);
    assert_int_equal(cs_schedule_next(NULL, 0, 0), (time_t)-1);
}

static void test_interval_is_due_at_once_then_every_interval(void **state)
{
    time_t t = local(2026, 1, 1, 10, 7);
    struct cs_schedule *s = parse_ok("30m");
    assert_int_equal(cs_schedule_next(s, 0, t), 0);
    assert_int_equal(cs_schedule_next(s, t, 0), t + 1800);
    cs_schedule_free(&s);
    assert_int_equal(next_of("1h", t), t + 3600);
    assert_int_equal(next_of("1d", t), t + 86400);
    assert_int_equal(next_of("2w", t), t + 14 * 86400);
    assert_int_equal(next_of(" 1m ", t), t + 60);
    assert_int_equal(next_of("90M", t), t + 90 * 60);
}

static void test_bad_intervals_are_refused(void **state)
{
    schedule_refused("0m", "1m");
    schedule_refused("30", "interval");
    schedule_refused("m", "interval");
    schedule_refused("30x", "interval");
    schedule_refused("-5m", "interval");
    schedule_refused("400d", "366d");
    schedule_refused("99999999999999999999w", "interval");
}

/* ---- cron ---------------------------------------------------------------- */

static void test_cron_steps_and_lists(void **state)
{
    time_t t = local(2026, 1, 1, 10, 7);
    ASSERT_TIME(next_of("*/15 * * * *", t), local(2026, 1, 1, 10, 15));
    ASSERT_TIME(next_of("5,50 * * * *", t), local(2026, 1, 1, 10, 50));
    ASSERT_TIME(next_of("5/20 * * * *", t), local(2026, 1, 1, 10, 25));
    ASSERT_TIME(next_of("0 8-10/2 * * *", t), local(2026, 1, 2, 8, 0));
    ASSERT_TIME(next_of("* * * * *", t), local(2026, 1, 1, 10, 8));
}

static void test_cron_is_strictly_after_the_last_run(void **state)
{
    time_t t = local(2026, 1, 1, 3, 0);
    ASSERT_TIME(next_of("0 3 * * *", t), local(2026, 1, 2, 3, 0));
    /* Seconds into the matching minute are still that minute. */
    ASSERT_TIME(next_of("0 3 * * *", t + 30), local(2026, 1, 2, 3, 0));
    ASSERT_TIME(next_of("0 3 * * *", t - 1), t);
}

static void test_cron_never_run_waits_for_its_slot_after_since(void **state)
{
    struct cs_schedule *s = parse_ok("0 3 * * *");
    ASSERT_TIME(cs_schedule_next(s, 0, local(2026, 1, 1, 10, 0)), local(2026, 1, 2, 3, 0));
    /* The last run wins over since. */
    ASSERT_TIME(cs_schedule_next(s, local(2026, 1, 5, 12, 0), local(2026, 1, 1, 10, 0)),
                local(2026, 1, 6, 3, 0));
    cs_schedule_free(&s);
}

static void test_cron_weekday_ranges_and_names(void **state)
{
    /* Friday 04:00: the next weekday 03:00 is Monday. */
    time_t fri = local(2026, 1, 2, 4, 0);
    ASSERT_TIME(next_of("0 3 * * mon-fri", fri), local(2026, 1, 5, 3, 0));
    ASSERT_TIME(next_of("0 3 * * 1-5", fri), local(2026, 1, 5, 3, 0));
    ASSERT_TIME(next_of("0 3 * * SAT,Sun", fri), local(2026, 1, 3, 3, 0));
    /* Sunday is 0 and 7; mon-sun is every day. */
    ASSERT_TIME(next_of("0 3 * * 7", fri), local(2026, 1, 4, 3, 0));
    ASSERT_TIME(next_of("0 3 * * 0", fri), local(2026, 1, 4, 3, 0));
    ASSERT_TIME(next_of("0 3 * * mon-sun", fri), local(2026, 1, 3, 3, 0));
    ASSERT_TIME(next_of("0 0 1 jan *", fri), local(2027, 1, 1, 0, 0));
    ASSERT_TIME(next_of("0 0 1 jun-aug *", fri), local(2026, 6, 1, 0, 0));
    ASSERT_TIME(next_of("0 0 1 */3 *", fri), local(2026, 4, 1, 0, 0));
}

static void test_cron_day_of_month_or_day_of_week(void **state)
{
    time_t t = local(2026, 1, 1, 12, 0);
    /* Both restricted: either matches (Friday the 2nd, then the 9th, then
     * Tuesday the 13th). */
    time_t a = next_of("0 0 13 * fri", t);
    ASSERT_TIME(a, local(2026, 1, 2, 0, 0));
    time_t b = next_of("0 0 13 * fri", a);
    ASSERT_TIME(b, local(2026, 1, 9, 0, 0));
    ASSERT_TIME(next_of("0 0 13 * fri", b), local(2026, 1, 13, 0, 0));
    /* One unrestricted: only the other counts. */
    ASSERT_TIME(next_of("0 0 13 * *", t), local(2026, 1, 13, 0, 0));
    ASSERT_TIME(next_of("0 0 * * fri", t), local(2026, 1, 2, 0, 0));
    /* A star with a step still counts as a star, as in cron: the 13th of
     * a month that falls on an even week day is Tuesday 2026-01-13. */
    ASSERT_TIME(next_of("0 0 13 * */2", t), local(2026, 1, 13, 0, 0));
}

static void test_cron_february_29_and_impossible_dates(void **state)
{
    time_t t = local(2026, 1, 1, 0, 0);
    ASSERT_TIME(next_of("0 0 29 2 *", t), local(2028, 2, 29, 0, 0));
    assert_int_equal(next_of("0 0 31 2 *", t), (time_t)-1);
    assert_int_equal(next_of("0 0 30 feb *", t), (time_t)-1);
    assert_int_equal(next_of("0 0 31 apr,jun,sep,nov *", t), (time_t)-1);
}

static void test_cron_errors_name_the_field(void **state)
{
    schedule_refused("61 * * * *", "minute");
    schedule_refused("* 24 * * *", "hour");
    schedule_refused("0 0 0 * *", "day-of-month");
    schedule_refused("0 0 1 13 *", "month");
    schedule_refused("0 0 1 foo *", "month");
    schedule_refused("0 0 * * 8", "day-of-week");
    schedule_refused("0 0 * * fri-mon", "day-of-week");
    schedule_refused("*/0 * * * *", "minute");
    schedule_refused("1,,2 * * * *", "minute");
    schedule_refused("* * *", "five");
    schedule_refused("* * * * * *", "five");
}

/* The server's zone counts: 09:00 in Paris is 08:00 UTC in winter and
 * 07:00 UTC in summer. The hour clocks skip is skipped, and the hour they
 * repeat runs once. */
static void test_cron_follows_daylight_saving_in_paris(void **state)
{
    if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) != 0) {
        print_message("skipped: no /usr/share/zoneinfo/Europe/Paris\n");
        skip();
    }
    use_zone("Europe/Paris");
    ASSERT_TIME(next_of("0 9 * * *", local(2026, 1, 1, 12, 0)), (time_t)1767312000 + 8 * 3600);
    ASSERT_TIME(next_of("0 9 * * *", local(2026, 7, 1, 12, 0)), (time_t)1782950400 + 7 * 3600);
    /* 2026-03-29: 02:00 CET is 03:00 CEST, and 02:30 does not happen. */
    ASSERT_TIME(next_of("30 2 * * *", local(2026, 3, 28, 12, 0)), local(2026, 3, 30, 2, 30));
    ASSERT_TIME(next_of("30 3 * * *", local(2026, 3, 28, 12, 0)), local(2026, 3, 29, 3, 30));
    /* 2026-10-25: 03:00 CEST is 02:00 CET, and 02:30 happens twice. */
    time_t first = next_of("30 2 * * *", local(2026, 10, 24, 12, 0));
    ASSERT_TIME(first, (time_t)1792888200); /* 2026-10-25T00:30:00Z, CEST */
    ASSERT_TIME(next_of("30 2 * * *", first), local(2026, 10, 26, 2, 30));
    /* Every hour: the repeated hour counts, and nothing goes backwards. */
    time_t t = local(2026, 10, 25, 1, 30);
    for (int i = 0; i < 5; i++) {
        time_t n = next_of("0 * * * *", t);
        assert_true(n > t);
        assert_int_equal(n % 3600, 0);
        t = n;
    }
}

/* ---- quiet hours --------------------------------------------------------- */

static void test_empty_quiet_hours_are_never_quiet(void **state)
{
    assert_int_equal(quiet_until("", local(2026, 1, 1, 10, 0)), (time_t)-1);
    assert_int_equal(quiet_until(" ; ", local(2026, 1, 1, 10, 0)), (time_t)-1);
    assert_false(cs_quiet_at(NULL, 0, NULL));
}

static void test_quiet_weekdays_span(void **state)
{
    const char *q = "mon-fri 08:00-18:00";
    ASSERT_TIME(quiet_until(q, local(2026, 1, 1, 10, 0)), local(2026, 1, 1, 18, 0));
    ASSERT_TIME(quiet_until(q, local(2026, 1, 1, 8, 0)), local(2026, 1, 1, 18, 0));
    /* Spans are half open: the end is not quiet. */
    assert_int_equal(quiet_until(q, local(2026, 1, 1, 18, 0)), (time_t)-1);
    assert_int_equal(quiet_until(q, local(2026, 1, 1, 7, 59)), (time_t)-1);
    assert_int_equal(quiet_until(q, local(2026, 1, 3, 10, 0)), (time_t)-1); /* Saturday */
    ASSERT_TIME(quiet_until("Thursday 10:00-11:00", local(2026, 1, 1, 10, 0)),
                local(2026, 1, 1, 11, 0));
}

static void test_quiet_span_past_midnight_belongs_to_its_start_day(void **state)
{
    ASSERT_TIME(quiet_until("daily 22:00-06:00", local(2026, 1, 1, 23, 0)),
                local(2026, 1, 2, 6, 0));
    ASSERT_TIME(quiet_until("daily 22:00-06:00", local(2026, 1, 2, 5, 0)), local(2026, 1, 2, 6, 0));
    assert_int_equal(quiet_until("daily 22:00-06:00", local(2026, 1, 2, 12, 0)), (time_t)-1);
    /* Friday night runs into Saturday morning; Friday morning is Thursday
     * night's, which is not quiet. */
    ASSERT_TIME(quiet_until("fri 22:00-06:00", local(2026, 1, 3, 5, 0)), local(2026, 1, 3, 6, 0));
    assert_int_equal(quiet_until("fri 22:00-06:00", local(2026, 1, 2, 5, 0)), (time_t)-1);
    /* A span to 24:00 ends at midnight. */
    ASSERT_TIME(quiet_until("thu 20:00-24:00", local(2026, 1, 1, 23, 59)), local(2026, 1, 2, 0, 0));
}

static void test_quiet_joins_adjacent_and_overlapping_windows(void **state)
{
    /* Friday evening to Monday morning is one quiet time. */
    const char *weekend = "fri 18:00-24:00; sat,sun 00:00-24:00, mon 00:00-08:00";
    ASSERT_TIME(quiet_until(weekend, local(2026, 1, 2, 20, 0)), local(2026, 1, 5, 8, 0));
    ASSERT_TIME(quiet_until(weekend, local(2026, 1, 4, 12, 0)), local(2026, 1, 5, 8, 0));
    ASSERT_TIME(quiet_until("thu 08:00-12:00; thu 10:00-14:00", local(2026, 1, 1, 9, 0)),
                local(2026, 1, 1, 14, 0));
    /* Several spans after one set of days. */
    const char *two = "thu 08:00-09:00, 10:00-11:00";
    ASSERT_TIME(quiet_until(two, local(2026, 1, 1, 10, 30)), local(2026, 1, 1, 11, 0));
    assert_int_equal(quiet_until(two, local(2026, 1, 1, 9, 30)), (time_t)-1);
}

static void test_quiet_all_the_time_still_has_an_end(void **state)
{
    time_t t = local(2026, 1, 1, 10, 0);
    time_t end = quiet_until("daily 00:00-24:00", t);
    assert_true(end > t + 86400);
    assert_true(end <= t + 30 * 86400);
}

static void test_bad_quiet_hours_are_refused(void **state)
{
    quiet_refused("mon-fri", "no span");
    quiet_refused("08:00-18:00", "no days");
    quiet_refused("funday 08:00-09:00", "funday");
    quiet_refused("mon 25:00-26:00", "25:00-26:00");
    quiet_refused("mon 08:60-09:00", "08:60-09:00");
    quiet_refused("mon 24:00-01:00", "24:00-01:00");
    quiet_refused("mon 08:00-08:00", "empty");
    quiet_refused("mon 8:00-9:00", "8:00-9:00");
    quiet_refused("mon-xyz 08:00-09:00", "mon-xyz");
}

/* Paris local time, across the spring change: the window is of local time. */
static void test_quiet_hours_are_local_time(void **state)
{
    if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) != 0) {
        print_message("skipped: no /usr/share/zoneinfo/Europe/Paris\n");
        skip();
    }
    use_zone("Europe/Paris");
    /* 2026-03-28 23:00 CET to 2026-03-29 06:00 CEST: six real hours. */
    time_t t = local(2026, 3, 28, 23, 0);
    time_t end = quiet_until("daily 22:00-06:00", t);
    ASSERT_TIME(end, local(2026, 3, 29, 6, 0));
    assert_int_equal(end - t, 6 * 3600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup(name, setup_utc)
        T(test_empty_schedule_is_never_due),
        T(test_interval_is_due_at_once_then_every_interval),
        T(test_bad_intervals_are_refused),
        T(test_cron_steps_and_lists),
        T(test_cron_is_strictly_after_the_last_run),
        T(test_cron_never_run_waits_for_its_slot_after_since),
        T(test_cron_weekday_ranges_and_names),
        T(test_cron_day_of_month_or_day_of_week),
        T(test_cron_february_29_and_impossible_dates),
        T(test_cron_errors_name_the_field),
        T(test_cron_follows_daylight_saving_in_paris),
        T(test_empty_quiet_hours_are_never_quiet),
        T(test_quiet_weekdays_span),
        T(test_quiet_span_past_midnight_belongs_to_its_start_day),
        T(test_quiet_joins_adjacent_and_overlapping_windows),
        T(test_quiet_all_the_time_still_has_an_end),
        T(test_bad_quiet_hours_are_refused),
        T(test_quiet_hours_are_local_time),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
