/*
 * Unit tests of probe.c's pause (quiet hours of `certsweep serve`): a scan
 * whose pause flag is set starts no connection until the flag is cleared,
 * then finishes. The endpoints are closed ports on 127.0.0.1, so each one
 * is refused at once and nothing else on the machine is touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "probe.h"

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* A port of 127.0.0.1 that nothing listens on: bound, then closed. */
static unsigned closed_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

struct watch {
    volatile sig_atomic_t pause;
    unsigned ticks;         /* progress calls while paused */
    uint64_t done_in_pause; /* results seen while paused */
    uint64_t results;       /* results in all */
    unsigned resume_after;  /* ticks */
};

static void on_result(const struct cs_probe_result *r, void *arg)
{
    struct watch *w = arg;
    assert_int_equal(r->status, CS_STATUS_CONNECTION_REFUSED);
    w->results++;
    if (w->pause)
        w->done_in_pause++;
}

static void on_progress(uint64_t done, uint64_t total, double elapsed_s, void *arg)
{
    struct watch *w = arg;
    if (!w->pause)
        return;
    if (++w->ticks >= w->resume_after)
        w->pause = 0; /* as SIGUSR2 would */
}

static void test_paused_scan_starts_nothing_until_resumed(void **state)
{
    struct cs_target_list targets = {0};
    struct cs_portlist ports = {0};
    struct cs_plan *plan = NULL;
    char err[CS_ERRLEN] = "", token[32];
    struct watch w = {.pause = 1, .resume_after = 4};

    snprintf(token, sizeof(token), "127.0.0.1:%u", closed_port());
    assert_int_equal(cs_target_parse(&targets, token, 0, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_portlist_parse("443", &ports, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_plan_build(&targets, NULL, &ports, NULL, &plan, err, sizeof(err)), CS_OK);

    struct cs_scan_opts opts = {.connect_timeout_ms = 1000,
                                .download_timeout_ms = 1000,
                                .concurrency = 16,
                                .pause = &w.pause};
    struct cs_scan_callbacks cbs = {
        .on_result = on_result, .on_progress = on_progress, .progress_interval_ms = 50, .arg = &w};
    assert_int_equal(cs_scan_run(plan, &opts, &cbs, err, sizeof(err)), CS_OK);

    /* Four ticks of 50 ms went by with nothing started, then it ran. */
    assert_true(w.ticks >= 4);
    assert_int_equal(w.done_in_pause, 0);
    assert_int_equal(w.results, 1);

    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_portlist_free(&ports);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paused_scan_starts_nothing_until_resumed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
