/*
 * /metrics of `certsweep serve`: the inventory in the Prometheus text
 * format 0.0.4, named after blackbox_exporter's where they fit
 * (docs/service.md lists them). Read from the store at each scrape.
 */
#ifndef CS_SERVE_METRICS_H
#define CS_SERVE_METRICS_H

#include "children.h"
#include "store.h"

#include <stddef.h>
#include <time.h>

/* Renders every metric into *text (the caller frees it), as of now. */
enum cs_rc cs_metrics_render(struct cs_store *s, struct cs_children *children, time_t now,
                             char **text, size_t *len, char *err, size_t errlen);

#endif
