/* A growable string (sbuf.h). */
#include "sbuf.h"

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
