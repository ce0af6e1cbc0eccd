/*
 * A growable NUL-terminated string for building messages and bodies. An
 * allocation failure is remembered rather than reported at every call:
 * the builder appends freely and checks once, at cs_sbuf_take().
 */
#ifndef CS_SBUF_H
#define CS_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct cs_sbuf {
    char *p; /* NUL-terminated once anything was added; NULL before */
    size_t len, cap;
    bool oom;
};

/* Appends n bytes of s (s need not be NUL-terminated). */
void cs_sbuf_add(struct cs_sbuf *b, const char *s, size_t n);
void cs_sbuf_str(struct cs_sbuf *b, const char *s);
/* Appends printf-style. */
void cs_sbuf_printf(struct cs_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cs_sbuf_vprintf(struct cs_sbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The string built, owned by the caller (b is left empty); NULL if memory
 * ran out at any point. */
char *cs_sbuf_take(struct cs_sbuf *b);
/* Frees what was built and empties b. */
void cs_sbuf_free(struct cs_sbuf *b);

#endif
