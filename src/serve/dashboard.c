/*
 * The dashboard's files (dashboard.h): a lookup in the table the build
 * generates from src/serve/dashboard/. The pages are a hash-routed
 * single-page application, so every page is "/" and only "/" and the
 * files under "/ui/" exist here.
 */
#include "dashboard.h"

#include <string.h>

bool cs_dashboard_asset(const char *path, const unsigned char **data, size_t *len,
                        const char **content_type)
{
    /* "/ui" and "/ui/" are the dashboard too, for whoever types them. */
    if (strcmp(path, "/ui") == 0 || strcmp(path, "/ui/") == 0 || strcmp(path, "/index.html") == 0)
        path = "/";
    for (const struct cs_dashboard_file *f = cs_dashboard_files; f->path != NULL; f++) {
        if (strcmp(f->path, path) == 0) {
            *data = f->data;
            *len = f->len;
            *content_type = f->content_type;
            return true;
        }
    }
    return false;
}
