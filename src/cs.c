#include "cs.h"

#include <stdarg.h>
#include <stdio.h>

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
