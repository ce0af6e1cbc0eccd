/*
 * Logging to stderr. One macro, which checks the level before anything is
 * formatted, so a disabled debug line on the per-connection path costs one
 * comparison. Components (probe, resolve, ...) can be traced separately with
 * CERTSWEEP_TRACE=probe,resolve.
 */
#ifndef CS_LOG_H
#define CS_LOG_H

enum cs_log_level { CS_LOG_ERROR, CS_LOG_WARN, CS_LOG_INFO, CS_LOG_DEBUG };

enum cs_log_component {
    CS_LOGC_MAIN = 1 << 0,
    CS_LOGC_TARGET = 1 << 1,
    CS_LOGC_RESOLVE = 1 << 2,
    CS_LOGC_PROBE = 1 << 3,
};

extern enum cs_log_level cs_log_level;
extern unsigned cs_log_traced; /* components logged at DEBUG whatever the level */

#define CS_LOG(level, comp, ...)                                                                   \
    do {                                                                                           \
        if ((level) <= cs_log_level || ((level) == CS_LOG_DEBUG && (cs_log_traced & (comp))))      \
            cs_log_write((level), (comp), __VA_ARGS__);                                            \
    } while (0)

void cs_log_write(enum cs_log_level level, enum cs_log_component comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads CERTSWEEP_TRACE (comma-separated component names) into cs_log_traced. */
void cs_log_init_from_env(void);

#endif
