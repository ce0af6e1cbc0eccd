/* The delivery channels by name, and what both email paths check. */
#include "notify.h"
#include "ticket.h"
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SYSLOG_PARAM_MAX = 160 }; /* bytes of one structured-data value */

static const struct cs_channel_ops *const channels[] = {&cs_channel_email, &cs_channel_syslog,
                                                        &cs_channel_ticketing, &cs_channel_webhook};

const struct cs_channel_ops *cs_channel_find(const char *name)
{
    if (name == NULL)
        return NULL;
    /* "ticketing.sdp" is delivered by the channel "ticketing". */
    size_t kind = strcspn(name, ".");
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
        if (strlen(channels[i]->name) == kind && strncmp(channels[i]->name, name, kind) == 0)
            return channels[i];
    return NULL;
}

/* The address goes as it is into RCPT TO:<...> and into the To header, so
 * it may hold nothing that ends either or starts header syntax: controls,
 * spaces, angle brackets, commas, and also the comment, group, quote and
 * literal characters ()[];:\" (no quoted local parts, no address literals).
 * Non-ASCII would need SMTPUTF8 (RFC 6531). 254 is RFC 5321's path limit
 * less the brackets. */
bool cs_email_address_valid(const char *address)
{
    const char *at = address ? strrchr(address, '@') : NULL;

    if (at == NULL || at == address || at[1] == '\0' || strchr(address, '@') != at ||
        strlen(address) > 254)
        return false;
    for (const char *p = address; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 127 || strchr("<>()[],;:\\\"", c) != NULL)
            return false;
    }
    return true;
}

cJSON *cs_email_payload_new(const char *recipients, const char *subject, const char *text,
                            const char *html)
{
    cJSON *p = cJSON_CreateObject();
    cJSON *to = cJSON_AddArrayToObject(p, "to");
    char *list = strdup(recipients);

    if (p == NULL || to == NULL || list == NULL ||
        cJSON_AddStringToObject(p, "subject", subject) == NULL ||
        cJSON_AddStringToObject(p, "text", text) == NULL ||
        (html != NULL && cJSON_AddStringToObject(p, "html", html) == NULL)) {
        free(list);
        cJSON_Delete(p);
        return NULL;
    }
    for (char *save = NULL, *a = strtok_r(list, " ", &save); a != NULL;
         a = strtok_r(NULL, " ", &save))
        cJSON_AddItemToArray(to, cJSON_CreateString(a));
    free(list);
    return p;
}

cJSON *cs_syslog_payload_new(enum cs_syslog_severity severity, const char *msgid, time_t at,
                             const char *sd_id, const char *msg)
{
    char when[21];
    struct tm tm;
    cJSON *p = cJSON_CreateObject();

    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&at, &tm));
    if (p == NULL || cJSON_AddNumberToObject(p, "severity", severity) == NULL ||
        cJSON_AddStringToObject(p, "msgid", msgid) == NULL ||
        cJSON_AddStringToObject(p, "timestamp", when) == NULL ||
        cJSON_AddStringToObject(p, "sd_id", sd_id) == NULL ||
        cJSON_AddArrayToObject(p, "params") == NULL ||
        cJSON_AddStringToObject(p, "msg", msg) == NULL) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

bool cs_syslog_payload_param(cJSON *payload, const char *name, const char *value)
{
    /* Values are cut so that a message with every parameter still fits a
     * UDP datagram (2048 bytes, RFC 5426); the whole text is in the email
     * and the inventory. The cut falls on a UTF-8 character boundary. */
    char cut[SYSLOG_PARAM_MAX + 4];
    size_t len = value ? strlen(value) : 0;
    if (len > SYSLOG_PARAM_MAX) {
        len = cs_utf8_cut(value, SYSLOG_PARAM_MAX - 3);
        snprintf(cut, sizeof(cut), "%.*s...", (int)len, value);
        value = cut;
    }
    cJSON *params = cJSON_GetObjectItemCaseSensitive(payload, "params");
    cJSON *pair = params ? cJSON_CreateArray() : NULL;
    if (pair == NULL || !cJSON_AddItemToArray(params, pair) ||
        !cJSON_AddItemToArray(pair, cJSON_CreateString(name)) ||
        !cJSON_AddItemToArray(pair, cJSON_CreateString(value ? value : "")))
        return false;
    return true;
}
