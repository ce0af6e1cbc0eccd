/*
 * The web dashboard of `certsweep serve`: static files served without a
 * token at / and /ui/ (the pages ask for a token and call the API with
 * it). The files are those of src/serve/dashboard/, compiled into the binary by
 * the build (src/serve/dashboard/embed.cmake writes cs_dashboard_files[]);
 * docs/dashboard.md says what the pages show.
 */
#ifndef CS_SERVE_DASHBOARD_H
#define CS_SERVE_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

/* The file at path ("/", "/ui/app.js"): true with its bytes (static, not
 * to be freed) and content type, false when there is none. The query
 * string, if any, is not part of path. */
bool cs_dashboard_asset(const char *path, const unsigned char **data, size_t *len,
                        const char **content_type);

/* One embedded file. The table ends with a row whose path is NULL. */
struct cs_dashboard_file {
    const char *path;          /* "/" for index.html, "/ui/NAME" for the others */
    const char *content_type;  /* "text/javascript; charset=utf-8" */
    const unsigned char *data; /* followed by a NUL not counted in len */
    size_t len;
};

/* Generated at build time from src/serve/dashboard/ (embed.cmake). */
extern const struct cs_dashboard_file cs_dashboard_files[];

#endif
