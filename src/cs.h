/*
 * Definitions every module of certsweep shares: the result codes that
 * fallible functions return, and the size of error buffers.
 */
#ifndef CS_H
#define CS_H

#include <stddef.h>

/* Result of every function that can fail. 0 is success. The human-readable
 * detail goes into the caller's error buffer, never into a global. */
enum cs_rc {
    CS_OK = 0,
    CS_ERR_USAGE,       /* bad input from the user: target, port, option */
    CS_ERR_NOMEM,       /* allocation failed */
    CS_ERR_IO,          /* a file or socket operation failed */
    CS_ERR_TLS,         /* OpenSSL could not be set up */
    CS_ERR_DNS,         /* the resolver could not be set up */
    CS_ERR_RUNTIME,     /* anything else that stops the run */
    CS_ERR_INTERRUPTED, /* the user asked to stop */
    CS_ERR_NOT_FOUND,   /* a looked-up row does not exist */
    CS_ERR_BUSY,        /* another process holds what is needed */
    CS_ERR_STORE,       /* the inventory database failed */
};

/* Size callers give to error buffers: long enough for one line naming the
 * bad token and where it came from. */
#define CS_ERRLEN 512

/* Writes a formatted message into err (if not NULL) and returns rc, so that
 * error paths read `return cs_fail(err, errlen, CS_ERR_USAGE, "...", ...)`. */
enum cs_rc cs_fail(char *err, size_t errlen, enum cs_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The length of the longest prefix of text of at most max bytes that does
 * not end inside a UTF-8 character: where to cut a text to fit. */
size_t cs_utf8_cut(const char *text, size_t max);

/* Appends ": reason" for every error in OpenSSL's queue to the message
 * in buf, emptying the queue (as nginx's ngx_ssl_error does): the first
 * error alone is often not the cause. */
void cs_ssl_errors_append(char *buf, size_t len);

#endif
