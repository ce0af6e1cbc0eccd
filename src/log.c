#include "log.h"
#include "cs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cs_log_level cs_log_level = CS_LOG_WARN;
unsigned cs_log_traced;

static const struct {
    const char *name;
    enum cs_log_component comp;
} components[] = {
    {"main", CS_LOGC_MAIN},
    {"target", CS_LOGC_TARGET},
    {"resolve", CS_LOGC_RESOLVE},
    {"probe", CS_LOGC_PROBE},
};

static const char *component_name(enum cs_log_component comp)
{
    for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
        if (components[i].comp == comp)
            return components[i].name;
    return "?";
}

void cs_log_write(enum cs_log_level level, enum cs_log_component comp, const char *fmt, ...)
{
    static const char *const level_names[] = {"error", "warning", "info", "debug"};
    va_list ap;

    fprintf(stderr, "certsweep: %s: ", level_names[level]);
    if (level == CS_LOG_DEBUG)
        fprintf(stderr, "[%s] ", component_name(comp));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cs_log_init_from_env(void)
{
    const char *env = getenv("CERTSWEEP_TRACE");
    if (env == NULL)
        return;
    for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
        const char *p = strstr(env, components[i].name);
        size_t len = strlen(components[i].name);
        if (p != NULL && (p == env || p[-1] == ',') && (p[len] == '\0' || p[len] == ','))
            cs_log_traced |= components[i].comp;
    }
}
