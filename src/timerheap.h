/*
 * A binary min-heap of deadlines. Timers are embedded in the objects they
 * time (intrusive, like libuv's), so starting and stopping one allocates
 * nothing once the heap has grown to the number in flight; each timer knows
 * its slot, so removal is O(log n).
 */
#ifndef CS_TIMERHEAP_H
#define CS_TIMERHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cs_timer {
    uint64_t deadline; /* any monotonic unit; the heap only compares */
    size_t slot;       /* index in the heap + 1; 0 when not armed */
};

struct cs_timerheap {
    struct cs_timer **items;
    size_t count, cap;
};

/* Arms t at deadline, or moves it there if already armed. Fails only when
 * the heap cannot grow (returns false, t unchanged). */
bool cs_timerheap_arm(struct cs_timerheap *heap, struct cs_timer *t, uint64_t deadline);

/* Disarms t; a disarmed timer is left as it is. */
void cs_timerheap_disarm(struct cs_timerheap *heap, struct cs_timer *t);

/* The earliest timer, or NULL when the heap is empty. */
struct cs_timer *cs_timerheap_peek(const struct cs_timerheap *heap);

static inline bool cs_timer_armed(const struct cs_timer *t)
{
    return t->slot != 0;
}

void cs_timerheap_free(struct cs_timerheap *heap);

#endif
