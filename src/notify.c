/* The delivery channels by name, and what both email paths check. */
#include "notify.h"

#include <string.h>

static const struct cs_channel_ops *const channels[] = {&cs_channel_email, &cs_channel_syslog};

const struct cs_channel_ops *cs_channel_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
        if (strcmp(channels[i]->name, name) == 0)
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

    if (at == NULL || at == address || at[1] == '\0' || strlen(address) > 254)
        return false;
    for (const char *p = address; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 127 || strchr("<>()[],;:\\\"", c) != NULL)
            return false;
    }
    return true;
}
