/* A growable string (sbuf.h). */
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cs_sbuf_add(struct cs_sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void cs_sbuf_str(struct cs_sbuf *b, const char *s)
{
    cs_sbuf_add(b, s, strlen(s));
}

char *cs_sbuf_take(struct cs_sbuf *b)
{
    char *p = b->oom ? NULL : b->p;
    if (b->oom)
        free(b->p);
    *b = (struct cs_sbuf){0};
    return p;
}

void cs_sbuf_vprintf(struct cs_sbuf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list again;

    va_copy(again, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        b->oom = true;
    } else if ((size_t)n < sizeof(small)) {
        cs_sbuf_add(b, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big == NULL) {
            b->oom = true;
        } else {
            vsnprintf(big, (size_t)n + 1, fmt, again);
            cs_sbuf_add(b, big, (size_t)n);
            free(big);
        }
    }
    va_end(again);
}

void cs_sbuf_printf(struct cs_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cs_sbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cs_sbuf_free(struct cs_sbuf *b)
{
    free(b->p);
    *b = (struct cs_sbuf){0};
}
