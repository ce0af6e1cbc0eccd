#include "timerheap.h"

#include <stdlib.h>

static void place(struct cs_timerheap *heap, size_t i, struct cs_timer *t)
{
    heap->items[i] = t;
    t->slot = i + 1;
}

static void sift_up(struct cs_timerheap *heap, size_t i)
{
    struct cs_timer *t = heap->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap->items[parent]->deadline <= t->deadline)
            break;
        place(heap, i, heap->items[parent]);
        i = parent;
    }
    place(heap, i, t);
}

static void sift_down(struct cs_timerheap *heap, size_t i)
{
    struct cs_timer *t = heap->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap->count)
            break;
        if (child + 1 < heap->count &&
            heap->items[child + 1]->deadline < heap->items[child]->deadline)
            child++;
        if (t->deadline <= heap->items[child]->deadline)
            break;
        place(heap, i, heap->items[child]);
        i = child;
    }
    place(heap, i, t);
}

bool cs_timerheap_arm(struct cs_timerheap *heap, struct cs_timer *t, uint64_t deadline)
{
    if (cs_timer_armed(t)) {
        size_t i = t->slot - 1;
        bool earlier = deadline < t->deadline;
        t->deadline = deadline;
        if (earlier)
            sift_up(heap, i);
        else
            sift_down(heap, i);
        return true;
    }
    if (heap->count == heap->cap) {
        size_t cap = heap->cap ? heap->cap * 2 : 64;
        struct cs_timer **items = realloc(heap->items, cap * sizeof(*items));
        if (items == NULL)
            return false;
        heap->items = items;
        heap->cap = cap;
    }
    t->deadline = deadline;
    heap->items[heap->count] = t;
    sift_up(heap, heap->count++);
    return true;
}

void cs_timerheap_disarm(struct cs_timerheap *heap, struct cs_timer *t)
{
    if (!cs_timer_armed(t))
        return;
    size_t i = t->slot - 1;
    struct cs_timer *last = heap->items[--heap->count];
    t->slot = 0;
    if (last == t)
        return;
    heap->items[i] = last;
    last->slot = i + 1;
    if (i > 0 && heap->items[(i - 1) / 2]->deadline > last->deadline)
        sift_up(heap, i);
    else
        sift_down(heap, i);
}

struct cs_timer *cs_timerheap_peek(const struct cs_timerheap *heap)
{
    return heap->count ? heap->items[0] : NULL;
}

void cs_timerheap_free(struct cs_timerheap *heap)
{
    free(heap->items);
    heap->items = NULL;
    heap->count = heap->cap = 0;
}
