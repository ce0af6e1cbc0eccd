/*
 * libFuzzer harness for config.c: cs_config_parse() on arbitrary text.
 *
 * Input: one flags byte, then the file. Besides memory errors and leaks,
 * the harness checks what config.h promises: a configured section has its
 * required keys, values stay within their bounds, an error is a message
 * naming the file. And that no message depends on a password: the text is
 * parsed a second time with the letters and digits of every `password`
 * value rotated, which keeps the value valid or invalid alike, and both
 * results must be the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    FLAG_SHORT_ERR = 1 << 0, /* a small error buffer: messages are cut */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char rotate(char c)
{
    if (c >= 'a' && c <= 'z')
        return c == 'z' ? 'a' : (char)(c + 1);
    if (c >= 'A' && c <= 'Z')
        return c == 'Z' ? 'A' : (char)(c + 1);
    if (c >= '0' && c <= '9')
        return c == '9' ? '0' : (char)(c + 1);
    return c;
}

/* Rotates what follows a secret key ("password =", "authtoken =", ... or
 * with ":") on every line; true if any. */
static bool rotate_secrets(char *text)
{
    bool changed = false;
    char *line = text;

    if (strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    while (line != NULL && *line) {
        char *p = line, *end = strchr(line, '\n');
        while (is_blank(*p))
            p++;
        static const char *const secret_keys[] = {
            "password",  "authtoken", "oauth_client_secret", "oauth_refresh_token",
            "api_token", "pat",       "routing_key",         "bearer_token",
        };
        size_t klen = 0;
        for (size_t k = 0; k < sizeof(secret_keys) / sizeof(secret_keys[0]) && !klen; k++)
            if (strncmp(p, secret_keys[k], strlen(secret_keys[k])) == 0)
                klen = strlen(secret_keys[k]);
        if (klen > 0) {
            p += klen;
            while (is_blank(*p))
                p++;
            if (*p == '=' || *p == ':') {
                for (p++; *p && *p != '\n'; p++) {
                    char r = rotate(*p);
                    changed |= r != *p;
                    *p = r;
                }
            }
        }
        line = end ? end + 1 : NULL;
    }
    return changed;
}

static void check_config(const struct cs_config *cfg)
{
    const struct cs_smtp_config *smtp = &cfg->smtp;
    const struct cs_syslog_config *sl = &cfg->syslog;
    const struct cs_outbox_config *ob = &cfg->outbox;

    if (smtp->configured &&
        (smtp->url == NULL || smtp->from == NULL || smtp->timeout_ms < 1000 ||
         smtp->timeout_ms > 600000 || (smtp->password == NULL) != (smtp->password_source == NULL)))
        abort();
    if (!smtp->configured && (smtp->url != NULL || smtp->password != NULL))
        abort();
    if (sl->configured &&
        (sl->target == NULL || sl->host == NULL || sl->port == NULL || sl->app_name == NULL ||
         sl->hostname == NULL || sl->facility > 23 || strlen(sl->app_name) < 1 ||
         strlen(sl->app_name) > 48 || strlen(sl->hostname) > 255 || sl->timeout_ms < 1000 ||
         sl->timeout_ms > 600000 || atoi(sl->port) < 1 || atoi(sl->port) > 65535))
        abort();
    if (!sl->configured && sl->target != NULL)
        abort();
    if (ob->max_attempts < 1 || ob->max_attempts > 1000 || ob->retry_min_s < 1 ||
        ob->retry_min_s > ob->retry_max_s)
        abort();
    if (cfg->path != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cs_config cfg = {0}, again = {0};
    char err[CS_ERRLEN], err2[CS_ERRLEN];
    size_t errlen;
    enum cs_rc rc, rc2;
    char *text;

    if (size == 0)
        return 0;
    errlen = data[0] & FLAG_SHORT_ERR ? 16 : sizeof(err);
    text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    rc = cs_config_parse(text, "fuzz.conf", &cfg, err, errlen);
    if (rc == CS_OK) {
        check_config(&cfg);
    } else {
        if (rc != CS_ERR_USAGE && rc != CS_ERR_IO && rc != CS_ERR_NOMEM)
            abort();
        if (strncmp(err, "fuzz.conf", errlen - 1 < 9 ? errlen - 1 : 9) != 0)
            abort();
    }

    if (rotate_secrets(text)) {
        rc2 = cs_config_parse(text, "fuzz.conf", &again, err2, errlen);
        if (rc2 != rc || (rc != CS_OK && strcmp(err, err2) != 0))
            abort();
    }

    cs_config_clear(&cfg);
    cs_config_clear(&again);
    free(text);
    return 0;
}
