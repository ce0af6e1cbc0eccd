/* Listings as table, JSON lines or CSV (listing.h). */
#include "listing.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void cs_listing_emit(struct cs_listing *l, const char *const *values)
{
    if (!l->header_done && l->format != CS_FORMAT_JSONL) {
        for (size_t i = 0; i < l->ncols; i++) {
            if (l->format == CS_FORMAT_CSV)
                printf("%s%s", i ? "," : "", l->cols[i].name);
            else
                printf("%-*s ", l->cols[i].width, l->cols[i].name);
        }
        putchar('\n');
    }
    l->header_done = true;
    if (values == NULL)
        return;
    if (l->format == CS_FORMAT_JSONL) {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < l->ncols; i++)
            cJSON_AddItemToObject(o, l->cols[i].name,
                                  values[i] ? cJSON_CreateString(values[i]) : cJSON_CreateNull());
        char *text = cJSON_PrintUnformatted(o);
        if (text)
            puts(text);
        free(text);
        cJSON_Delete(o);
        return;
    }
    for (size_t i = 0; i < l->ncols; i++) {
        if (l->format == CS_FORMAT_CSV) {
            if (i)
                putchar(',');
            cs_output_csv_field(stdout, values[i]);
        } else {
            printf("%-*s ", l->cols[i].width, values[i] ? values[i] : "-");
        }
    }
    putchar('\n');
}

bool cs_listing_parse_format(const char *text, enum cs_format *out, const char *cmd)
{
    if (cs_format_parse(text, out))
        return true;
    fprintf(stderr, "certsweep %s: invalid --format '%s': expected table, jsonl or csv\n", cmd,
            text);
    return false;
}

enum cs_format cs_listing_default_format(void)
{
    return isatty(STDOUT_FILENO) ? CS_FORMAT_TABLE : CS_FORMAT_JSONL;
}
