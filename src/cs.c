#include "cs.h"

#include <stdarg.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

enum cs_rc cs_fail(char *err, size_t errlen, enum cs_rc rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

void cs_ssl_errors_append(char *buf, size_t len)
{
    unsigned long e;
    size_t used = strlen(buf);

    while ((e = ERR_get_error()) != 0) {
        if (used + 3 < len) {
            buf[used++] = ':';
            buf[used++] = ' ';
            ERR_error_string_n(e, buf + used, len - used);
            used += strlen(buf + used);
        }
    }
}

size_t cs_utf8_cut(const char *text, size_t max)
{
    size_t n = strlen(text);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--; /* text[n] continues a character: cut before its start */
    return n;
}
