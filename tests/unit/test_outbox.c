/* The outbox's retry schedule (src/outbox.c). Delivery itself is tested
 * end to end against real servers (tests/e2e/test_notify.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "outbox.h"

#define NOW ((time_t)1800000000)

static const struct cs_outbox_config policy = {
    .max_attempts = 10, .retry_min_s = 60, .retry_max_s = 3600};

static void first_failure_waits_retry_min(void **state)
{
    assert_int_equal(cs_outbox_next_attempt(&policy, 1, NOW) - NOW, 60);
}

static void wait_doubles_with_each_failure(void **state)
{
    assert_int_equal(cs_outbox_next_attempt(&policy, 2, NOW) - NOW, 120);
    assert_int_equal(cs_outbox_next_attempt(&policy, 3, NOW) - NOW, 240);
    assert_int_equal(cs_outbox_next_attempt(&policy, 6, NOW) - NOW, 1920);
}

static void wait_stops_at_retry_max(void **state)
{
    assert_int_equal(cs_outbox_next_attempt(&policy, 7, NOW) - NOW, 3600);
    assert_int_equal(cs_outbox_next_attempt(&policy, 1000, NOW) - NOW, 3600);
    assert_int_equal(cs_outbox_next_attempt(&policy, 4000000000u, NOW) - NOW, 3600);
}

static void equal_bounds_give_a_constant_wait(void **state)
{
    const struct cs_outbox_config flat = {.max_attempts = 3, .retry_min_s = 1, .retry_max_s = 1};
    for (unsigned a = 0; a < 5; a++)
        assert_int_equal(cs_outbox_next_attempt(&flat, a, NOW) - NOW, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_failure_waits_retry_min),
        cmocka_unit_test(wait_doubles_with_each_failure),
        cmocka_unit_test(wait_stops_at_retry_max),
        cmocka_unit_test(equal_bounds_give_a_constant_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
