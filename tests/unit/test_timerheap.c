/*
 * Unit tests of timerheap.c: the earliest deadline is always on top,
 * whatever order timers are armed, moved and disarmed in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "timerheap.h"

#include <stdlib.h>
#include <string.h>

#define NTIMERS 1000

/* A fixed-seed generator, so that a failure replays the same way. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void arm(struct cs_timerheap *heap, struct cs_timer *t, uint64_t deadline)
{
    assert_true(cs_timerheap_arm(heap, t, deadline));
    assert_true(cs_timer_armed(t));
    assert_int_equal(t->deadline, deadline);
}

/* Every timer knows its slot, and no child is earlier than its parent. */
static void assert_heap_valid(const struct cs_timerheap *heap)
{
    for (size_t i = 0; i < heap->count; i++) {
        assert_int_equal(heap->items[i]->slot, i + 1);
        if (i > 0)
            assert_true(heap->items[(i - 1) / 2]->deadline <= heap->items[i]->deadline);
    }
}

/* Pops everything (peek then disarm), asserting non-decreasing deadlines;
 * returns how many timers there were. */
static size_t drain_in_order(struct cs_timerheap *heap)
{
    struct cs_timer *t;
    uint64_t prev = 0;
    size_t n = 0;

    while ((t = cs_timerheap_peek(heap)) != NULL) {
        assert_heap_valid(heap);
        assert_true(t->deadline >= prev);
        prev = t->deadline;
        cs_timerheap_disarm(heap, t);
        assert_false(cs_timer_armed(t));
        n++;
    }
    assert_int_equal(heap->count, 0);
    return n;
}

static void test_empty_heap_peeks_null(void **state)
{
    struct cs_timerheap heap = {0};
    assert_null(cs_timerheap_peek(&heap));
    cs_timerheap_free(&heap);
}

static void test_new_timer_is_unarmed(void **state)
{
    struct cs_timer t = {0};
    assert_false(cs_timer_armed(&t));
}

static void test_peek_order_with_random_deadlines(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer *timers = calloc(NTIMERS, sizeof(*timers));
    assert_non_null(timers);

    for (size_t i = 0; i < NTIMERS; i++)
        arm(&heap, &timers[i], rng() % 5000); /* duplicates on purpose */
    assert_int_equal(heap.count, NTIMERS);
    assert_int_equal(drain_in_order(&heap), NTIMERS);
    cs_timerheap_free(&heap);
    free(timers);
}

static void test_peek_returns_earliest_without_removing_it(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer a = {0}, b = {0}, c = {0};

    arm(&heap, &a, 30);
    arm(&heap, &b, 10);
    arm(&heap, &c, 20);
    assert_ptr_equal(cs_timerheap_peek(&heap), &b);
    assert_ptr_equal(cs_timerheap_peek(&heap), &b);
    assert_int_equal(heap.count, 3);
    cs_timerheap_free(&heap);
}

static void test_disarm_from_the_middle_keeps_order(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer *timers = calloc(NTIMERS, sizeof(*timers));
    assert_non_null(timers);

    for (size_t i = 0; i < NTIMERS; i++)
        arm(&heap, &timers[i], rng() % 100000);
    /* Every third timer, wherever it sits in the heap. */
    for (size_t i = 0; i < NTIMERS; i += 3) {
        cs_timerheap_disarm(&heap, &timers[i]);
        assert_false(cs_timer_armed(&timers[i]));
        assert_heap_valid(&heap);
    }
    assert_int_equal(drain_in_order(&heap), NTIMERS - (NTIMERS + 2) / 3);
    cs_timerheap_free(&heap);
    free(timers);
}

static void test_disarmed_timer_is_never_peeked(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer a = {0}, b = {0}, c = {0};

    arm(&heap, &a, 10);
    arm(&heap, &b, 20);
    arm(&heap, &c, 30);
    cs_timerheap_disarm(&heap, &a);
    assert_ptr_equal(cs_timerheap_peek(&heap), &b);
    cs_timerheap_disarm(&heap, &c);
    assert_ptr_equal(cs_timerheap_peek(&heap), &b);
    cs_timerheap_disarm(&heap, &b);
    assert_null(cs_timerheap_peek(&heap));
    cs_timerheap_free(&heap);
}

static void test_rearm_earlier_moves_to_top(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer t[8] = {{0}};

    for (size_t i = 0; i < 8; i++)
        arm(&heap, &t[i], 100 + 10 * i);
    arm(&heap, &t[6], 5);
    assert_int_equal(heap.count, 8); /* moved, not added twice */
    assert_ptr_equal(cs_timerheap_peek(&heap), &t[6]);
    assert_int_equal(drain_in_order(&heap), 8);
    cs_timerheap_free(&heap);
}

static void test_rearm_later_moves_down(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer t[8] = {{0}};

    for (size_t i = 0; i < 8; i++)
        arm(&heap, &t[i], 100 + 10 * i);
    arm(&heap, &t[0], 1000);
    assert_int_equal(heap.count, 8);
    assert_ptr_equal(cs_timerheap_peek(&heap), &t[1]);
    for (size_t i = 1; i < 8; i++) {
        assert_ptr_equal(cs_timerheap_peek(&heap), &t[i]);
        cs_timerheap_disarm(&heap, &t[i]);
    }
    assert_ptr_equal(cs_timerheap_peek(&heap), &t[0]);
    cs_timerheap_free(&heap);
}

static void test_random_rearms_keep_order(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer *timers = calloc(NTIMERS, sizeof(*timers));
    assert_non_null(timers);

    for (size_t i = 0; i < NTIMERS; i++)
        arm(&heap, &timers[i], rng() % 100000);
    for (size_t k = 0; k < 4 * NTIMERS; k++) {
        arm(&heap, &timers[rng() % NTIMERS], rng() % 100000);
        if (k % 97 == 0)
            assert_heap_valid(&heap);
    }
    assert_int_equal(heap.count, NTIMERS);
    assert_int_equal(drain_in_order(&heap), NTIMERS);
    cs_timerheap_free(&heap);
    free(timers);
}

static void test_disarm_of_unarmed_timer_is_a_noop(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer a = {0}, b = {0}, idle = {0};

    arm(&heap, &a, 10);
    arm(&heap, &b, 20);
    cs_timerheap_disarm(&heap, &idle);
    assert_false(cs_timer_armed(&idle));
    assert_int_equal(heap.count, 2);
    cs_timerheap_disarm(&heap, &a);
    cs_timerheap_disarm(&heap, &a); /* a second time: still nothing */
    assert_int_equal(heap.count, 1);
    assert_ptr_equal(cs_timerheap_peek(&heap), &b);
    assert_true(cs_timer_armed(&b));
    cs_timerheap_free(&heap);
}

static void test_disarmed_timer_can_be_armed_again(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer a = {0}, b = {0};

    arm(&heap, &a, 10);
    arm(&heap, &b, 20);
    cs_timerheap_disarm(&heap, &a);
    arm(&heap, &a, 15);
    assert_ptr_equal(cs_timerheap_peek(&heap), &a);
    assert_int_equal(heap.count, 2);
    cs_timerheap_free(&heap);
}

static void test_free_empties_heap(void **state)
{
    struct cs_timerheap heap = {0};
    struct cs_timer a = {0};

    arm(&heap, &a, 1);
    cs_timerheap_free(&heap);
    assert_null(heap.items);
    assert_int_equal(heap.count, 0);
    assert_int_equal(heap.cap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_heap_peeks_null),
        cmocka_unit_test(test_new_timer_is_unarmed),
        cmocka_unit_test(test_peek_order_with_random_deadlines),
        cmocka_unit_test(test_peek_returns_earliest_without_removing_it),
        cmocka_unit_test(test_disarm_from_the_middle_keeps_order),
        cmocka_unit_test(test_disarmed_timer_is_never_peeked),
        cmocka_unit_test(test_rearm_earlier_moves_to_top),
        cmocka_unit_test(test_rearm_later_moves_down),
        cmocka_unit_test(test_random_rearms_keep_order),
        cmocka_unit_test(test_disarm_of_unarmed_timer_is_a_noop),
        cmocka_unit_test(test_disarmed_timer_can_be_armed_again),
        cmocka_unit_test(test_free_empties_heap),
    };
    return cmocka_run_group_tests_name("timerheap", tests, NULL, NULL);
}
