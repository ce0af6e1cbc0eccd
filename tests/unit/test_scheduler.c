/*
 * The rules of serve's scheduler (src/serve/scheduler.h): cs_sched_decide
 * on hand-made inputs, in UTC, and cs_sched_plan against an SQLite
 * inventory in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "serve/scheduler.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static time_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return timegm(&tm);
}

static int setup_utc(void **state)
{
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static struct cs_sched_decision decide(struct cs_sched_input in)
{
    struct cs_sched_decision d;
    cs_sched_decide(&in, &d);
    return d;
}

static struct cs_job job_at(time_t started, enum cs_job_state state)
{
    return (struct cs_job){.id = 1, .state = state, .started_at = started};
}

static void test_no_schedule_is_never_due(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0);
    assert_int_equal(decide((struct cs_sched_input){.schedule = "", .now = now}).action,
                     CS_SCHED_NEVER);
    assert_int_equal(decide((struct cs_sched_input){.schedule = NULL, .now = now}).action,
                     CS_SCHED_NEVER);
}

static void test_bad_schedule_says_why(void **state)
{
    struct cs_sched_decision d = decide(
        (struct cs_sched_input){.schedule = "every tuesday", .now = utc(2026, 11, 23, 10, 0)});
    assert_int_equal(d.action, CS_SCHED_BAD);
    assert_non_null(strstr(d.why, "every tuesday"));
    d = decide((struct cs_sched_input){
        .schedule = "1h", .quiet_hours = "sometimes", .now = utc(2026, 11, 23, 10, 0)});
    assert_int_equal(d.action, CS_SCHED_BAD);
    assert_non_null(strstr(d.why, "quiet hours"));
}

static void test_interval_never_run_is_due_at_once(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0);
    struct cs_sched_decision d =
        decide((struct cs_sched_input){.schedule = "1h", .since = now, .now = now});
    assert_int_equal(d.action, CS_SCHED_START);
}

static void test_interval_counts_from_the_last_start(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0);
    struct cs_job last = job_at(now - 1800, CS_JOB_DONE);
    struct cs_sched_decision d = decide(
        (struct cs_sched_input){.schedule = "1h", .latest = &last, .since = now, .now = now});
    assert_int_equal(d.action, CS_SCHED_WAIT);
    assert_int_equal(d.due, now + 1800);
}

static void test_cron_waits_for_its_first_slot(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 5);
    struct cs_sched_decision d =
        decide((struct cs_sched_input){.schedule = "0 3 * * *", .since = now - 60, .now = now});
    assert_int_equal(d.action, CS_SCHED_WAIT);
    assert_int_equal(d.due, utc(2026, 11, 24, 3, 0));
}

static void test_missed_slots_run_once(void **state)
{
    /* Down for three days: due now, once; once started, the next slot. */
    time_t now = utc(2026, 11, 23, 10, 0);
    struct cs_job last = job_at(utc(2026, 11, 20, 3, 0), CS_JOB_DONE);
    struct cs_sched_input in = {.schedule = "0 3 * * *", .latest = &last, .since = now, .now = now};
    assert_int_equal(decide(in).action, CS_SCHED_START);
    in.last_spawn = now;
    struct cs_sched_decision d = decide(in);
    assert_int_equal(d.action, CS_SCHED_WAIT);
    assert_int_equal(d.due, utc(2026, 11, 24, 3, 0));
}

static void test_interrupted_job_is_due_at_once_but_not_in_a_loop(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0);
    struct cs_job last = job_at(now - 600, CS_JOB_INTERRUPTED);
    struct cs_sched_input in = {.schedule = "1d", .latest = &last, .since = now, .now = now};
    assert_int_equal(decide(in).action, CS_SCHED_START);
    /* Started again by this serve a moment ago and interrupted again. */
    last.started_at = now - 5;
    in.last_spawn = now - 6;
    struct cs_sched_decision d = decide(in);
    assert_int_equal(d.action, CS_SCHED_WAIT);
    assert_int_equal(d.due, now - 6 + CS_SCHED_RETRY_S);
}

static void test_failed_job_waits_for_its_next_slot(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0);
    struct cs_job last = job_at(now - 600, CS_JOB_FAILED);
    struct cs_sched_decision d = decide(
        (struct cs_sched_input){.schedule = "1h", .latest = &last, .since = now, .now = now});
    assert_int_equal(d.action, CS_SCHED_WAIT);
    assert_int_equal(d.due, now - 600 + 3600);
}

static void test_busy_network_skips_the_slot(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0);
    struct cs_job last = job_at(now - 7200, CS_JOB_DONE);
    struct cs_sched_input in = {
        .schedule = "1h", .latest = &last, .since = now, .busy = true, .now = now};
    assert_int_equal(decide(in).action, CS_SCHED_BUSY);
    /* Skipped: the next slot counts from the skip, not queued. */
    in.last_skip = now;
    struct cs_sched_decision d = decide(in);
    assert_int_equal(d.action, CS_SCHED_WAIT);
    assert_int_equal(d.due, now + 3600);
}

static void test_quiet_hours_hold_a_due_job_until_they_end(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0); /* a Monday */
    struct cs_sched_decision d = decide((struct cs_sched_input){
        .schedule = "1h", .quiet_hours = "mon-fri 08:00-18:00", .since = now, .now = now});
    assert_int_equal(d.action, CS_SCHED_QUIET);
    assert_int_equal(d.until, utc(2026, 11, 23, 18, 0));
    assert_true(d.quiet_now);
    /* Quiet hours do not make a job busy-skipped: it waits. */
    d = decide((struct cs_sched_input){.schedule = "1h",
                                       .quiet_hours = "mon-fri 08:00-18:00",
                                       .busy = true,
                                       .since = now,
                                       .now = now});
    assert_int_equal(d.action, CS_SCHED_QUIET);
    /* Outside them, started. */
    d = decide((struct cs_sched_input){.schedule = "1h",
                                       .quiet_hours = "mon-fri 08:00-18:00",
                                       .since = now,
                                       .now = utc(2026, 11, 23, 19, 0)});
    assert_int_equal(d.action, CS_SCHED_START);
    assert_false(d.quiet_now);
}

/* ---- plans against an inventory ---------------------------------------------- */

struct fixture {
    char dir[64];
    char path[96];
    struct cs_store *store;
};

static int setup_store(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[CS_ERRLEN];

    setup_utc(state);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/cs-sched-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof(fx->path), "%s/inv.db", fx->dir);
    assert_int_equal(cs_store_open(fx->path, &fx->store, err, sizeof(err)), CS_OK);
    *state = fx;
    return 0;
}

static int teardown_store(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    cs_store_close(&fx->store);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

static int64_t add_network(struct fixture *fx, const char *name, const char *discover,
                           const char *quiet, bool enabled)
{
    struct cs_network net = {
        .name = (char *)name,
        .description = "",
        .ranges = "127.0.0.1",
        .excludes = "",
        .ports = "443",
        .snis = "",
        .alert_to = "",
        .webhooks = "",
        .tickets = "",
        .connect_timeout_ms = 1000,
        .download_timeout_ms = 2000,
        .expiry_days = 30,
        .max_email_rows = 50,
        .enabled = enabled,
        .discover_every = (char *)discover,
        .monitor_every = "",
        .vulnscan_every = "",
        .quiet_hours = (char *)quiet,
    };
    char err[CS_ERRLEN];
    assert_int_equal(cs_store_network_add(fx->store, &net, err, sizeof(err)), CS_OK);
    return net.id;
}

static const struct cs_sched_entry *entry(const struct cs_sched_plan *plan, int64_t id,
                                          enum cs_job_kind kind)
{
    for (size_t i = 0; i < plan->count; i++)
        if (plan->entries[i].what == CS_SCHED_JOB && plan->entries[i].id == id &&
            plan->entries[i].kind == kind)
            return &plan->entries[i];
    fail_msg("no entry for network %lld", (long long)id);
    return NULL;
}

static bool never_busy(int64_t id, void *arg)
{
    return false;
}

static bool busy_if_listed(int64_t id, void *arg)
{
    return *(int64_t *)arg == id;
}

static void test_plan_reads_networks_and_jobs(void **state)
{
    struct fixture *fx = *state;
    struct cs_sched *sched = NULL;
    struct cs_sched_plan plan;
    struct cs_sched_running running = {never_busy, never_busy, NULL};
    char err[CS_ERRLEN];
    time_t now = time(NULL);

    int64_t fresh = add_network(fx, "fresh", "1h", "", true);
    int64_t off = add_network(fx, "off", "1h", "", false);
    int64_t recent = add_network(fx, "recent", "1h", "", true);
    int64_t hung = add_network(fx, "hung", "1m", "", true);
    struct cs_job job = {.network_id = recent, .kind = CS_JOB_DISCOVERY, .started_at = now - 60};
    assert_int_equal(cs_store_job_begin(fx->store, &job, err, sizeof(err)), CS_OK);
    job.state = CS_JOB_DONE;
    job.finished_at = now - 50;
    assert_int_equal(cs_store_job_finish(fx->store, &job, err, sizeof(err)), CS_OK);
    /* A row still running (another process, or one that died). */
    struct cs_job other = {.network_id = hung, .kind = CS_JOB_MONITORING, .started_at = now - 600};
    assert_int_equal(cs_store_job_begin(fx->store, &other, err, sizeof(err)), CS_OK);

    assert_int_equal(cs_sched_new(now, &sched, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_sched_plan(sched, fx->store, now, &running, &plan, err, sizeof(err)),
                     CS_OK);
    assert_int_equal(entry(&plan, fresh, CS_JOB_DISCOVERY)->d.action, CS_SCHED_START);
    assert_int_equal(entry(&plan, fresh, CS_JOB_MONITORING)->d.action, CS_SCHED_NEVER);
    assert_int_equal(entry(&plan, off, CS_JOB_DISCOVERY)->d.action, CS_SCHED_NEVER);
    assert_int_equal(entry(&plan, recent, CS_JOB_DISCOVERY)->d.action, CS_SCHED_WAIT);
    assert_int_equal(entry(&plan, recent, CS_JOB_DISCOVERY)->d.due, now - 60 + 3600);
    /* Its discovery is due, but a monitoring row is still running. */
    assert_int_equal(entry(&plan, hung, CS_JOB_DISCOVERY)->d.action, CS_SCHED_BUSY);
    assert_int_equal(entry(&plan, fresh, CS_JOB_DISCOVERY)->timeout_ms, 3000);
    assert_int_equal(plan.next_wake, now - 60 + 3600);

    /* Started: not started again by the next plan. */
    cs_sched_note_spawn(sched, entry(&plan, fresh, CS_JOB_DISCOVERY), now);
    cs_sched_plan_clear(&plan);
    assert_int_equal(cs_sched_plan(sched, fx->store, now + 1, &running, &plan, err, sizeof(err)),
                     CS_OK);
    assert_int_equal(entry(&plan, fresh, CS_JOB_DISCOVERY)->d.action, CS_SCHED_WAIT);
    assert_int_equal(entry(&plan, fresh, CS_JOB_DISCOVERY)->d.due, now + 3600);
    cs_sched_plan_clear(&plan);

    /* serve's own child makes a network busy too. */
    running.network_busy = busy_if_listed;
    running.arg = &fresh;
    assert_int_equal(cs_sched_plan(sched, fx->store, now + 7200, &running, &plan, err, sizeof(err)),
                     CS_OK);
    assert_int_equal(entry(&plan, fresh, CS_JOB_DISCOVERY)->d.action, CS_SCHED_BUSY);
    assert_int_equal(entry(&plan, recent, CS_JOB_DISCOVERY)->d.action, CS_SCHED_START);
    cs_sched_plan_clear(&plan);
    cs_sched_free(&sched);
    assert_null(sched);
}

static void test_plan_marks_quiet_networks(void **state)
{
    struct fixture *fx = *state;
    struct cs_sched *sched = NULL;
    struct cs_sched_plan plan;
    struct cs_sched_running running = {never_busy, never_busy, NULL};
    char err[CS_ERRLEN];
    time_t now = time(NULL);

    int64_t id = add_network(fx, "quiet", "1m", "daily 00:00-24:00", true);
    assert_int_equal(cs_sched_new(now, &sched, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_sched_plan(sched, fx->store, now, &running, &plan, err, sizeof(err)),
                     CS_OK);
    const struct cs_sched_entry *e = entry(&plan, id, CS_JOB_DISCOVERY);
    assert_int_equal(e->d.action, CS_SCHED_QUIET);
    assert_true(e->d.quiet_now);
    assert_true(e->d.until > now);
    assert_true(entry(&plan, id, CS_JOB_VULNSCAN)->d.quiet_now);
    cs_sched_plan_clear(&plan);
    cs_sched_free(&sched);
}

static void test_next_due_for_the_api(void **state)
{
    time_t now = utc(2026, 11, 23, 10, 0);
    struct cs_network net = {.enabled = true, .discover_every = "1h", .quiet_hours = ""};
    struct cs_job last = job_at(now - 600, CS_JOB_DONE);

    assert_int_equal(cs_sched_next_due(&net, CS_JOB_DISCOVERY, &last, now, now), now + 3000);
    assert_int_equal(cs_sched_next_due(&net, CS_JOB_DISCOVERY, NULL, now, now), now);
    assert_int_equal(cs_sched_next_due(&net, CS_JOB_MONITORING, NULL, now, now), (time_t)-1);
    net.enabled = false;
    assert_int_equal(cs_sched_next_due(&net, CS_JOB_DISCOVERY, NULL, now, now), (time_t)-1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_schedule_is_never_due, setup_utc),
        cmocka_unit_test_setup(test_bad_schedule_says_why, setup_utc),
        cmocka_unit_test_setup(test_interval_never_run_is_due_at_once, setup_utc),
        cmocka_unit_test_setup(test_interval_counts_from_the_last_start, setup_utc),
        cmocka_unit_test_setup(test_cron_waits_for_its_first_slot, setup_utc),
        cmocka_unit_test_setup(test_missed_slots_run_once, setup_utc),
        cmocka_unit_test_setup(test_interrupted_job_is_due_at_once_but_not_in_a_loop, setup_utc),
        cmocka_unit_test_setup(test_failed_job_waits_for_its_next_slot, setup_utc),
        cmocka_unit_test_setup(test_busy_network_skips_the_slot, setup_utc),
        cmocka_unit_test_setup(test_quiet_hours_hold_a_due_job_until_they_end, setup_utc),
        cmocka_unit_test_setup_teardown(test_plan_reads_networks_and_jobs, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_plan_marks_quiet_networks, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup(test_next_due_for_the_api, setup_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
