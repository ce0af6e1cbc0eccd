/* Alert templates: {token} substitution with a fixed set of tokens. */
#include "template.h"
#include "sbuf.h"

#include <stdlib.h>
#include <string.h>

static const char *const token_names[CS_TOK_COUNT] = {
    [CS_TOK_CN] = "cn",
    [CS_TOK_DN] = "dn",
    [CS_TOK_ISSUER_DN] = "issuer_dn",
    [CS_TOK_SANS] = "sans",
    [CS_TOK_SERIAL] = "serial",
    [CS_TOK_SHA256] = "sha256",
    [CS_TOK_NOT_BEFORE] = "not_before",
    [CS_TOK_NOT_AFTER] = "not_after",
    [CS_TOK_DAYS_LEFT] = "days_left",
    [CS_TOK_LOCATIONS] = "locations",
    [CS_TOK_NETWORK] = "network",
    [CS_TOK_KEY] = "key",
    [CS_TOK_SIG_ALG] = "sig_alg",
};

const char *cs_template_token_name(enum cs_template_token token)
{
    return token < CS_TOK_COUNT ? token_names[token] : "?";
}

static int find_token(const char *name, size_t len)
{
    for (int i = 0; i < CS_TOK_COUNT; i++)
        if (strlen(token_names[i]) == len && memcmp(token_names[i], name, len) == 0)
            return i;
    return -1;
}

/*
 * Walks text once. For each literal run and each token it calls emit (when
 * not NULL). Returns the offset of the first error, or -1 when the text is
 * well formed; *why says what is wrong.
 */
static long walk(const char *text, void (*emit)(const char *s, size_t n, void *arg), void *arg,
                 const char *const *values, const char **why)
{
    const char *p = text;

    while (*p != '\0') {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            if (emit)
                emit(p, 1, arg);
            p += 2;
        } else if (*p == '{') {
            const char *end = strchr(p + 1, '}');
            const char *next_open = strchr(p + 1, '{');
            if (end == NULL || (next_open != NULL && next_open < end)) {
                *why = "unclosed '{'";
                return p - text;
            }
            int tok = find_token(p + 1, (size_t)(end - p - 1));
            if (tok < 0) {
                *why = "unknown token";
                return p - text;
            }
            if (emit && values[tok] != NULL)
                emit(values[tok], strlen(values[tok]), arg);
            p = end + 1;
        } else if (*p == '}') {
            *why = "'}' without '{' (write '}}' for a brace)";
            return p - text;
        } else {
            size_t n = strcspn(p, "{}");
            if (emit)
                emit(p, n, arg);
            p += n;
        }
    }
    return -1;
}

enum cs_rc cs_template_check(const char *text, char *err, size_t errlen)
{
    const char *why = NULL;
    long at = walk(text, NULL, NULL, NULL, &why);
    if (at < 0)
        return CS_OK;

    char known[256] = "";
    for (int i = 0; i < CS_TOK_COUNT; i++) {
        strncat(known, i ? " {" : "{", sizeof(known) - strlen(known) - 1);
        strncat(known, token_names[i], sizeof(known) - strlen(known) - 1);
        strncat(known, "}", sizeof(known) - strlen(known) - 1);
    }
    size_t shown = strcspn(text + at + 1, "{} \n") + 2;
    return cs_fail(err, errlen, CS_ERR_USAGE, "%s at offset %ld: '%.*s' (tokens: %s)", why, at,
                   (int)(shown > 40 ? 40 : shown), text + at, known);
}

static void append(const char *s, size_t n, void *arg)
{
    cs_sbuf_add(arg, s, n);
}

char *cs_template_expand(const char *text, const char *const values[CS_TOK_COUNT])
{
    struct cs_sbuf b = {0};
    const char *why = NULL;

    cs_sbuf_add(&b, "", 0); /* an empty template gives "", not NULL */
    if (walk(text, append, &b, values, &why) >= 0) {
        free(cs_sbuf_take(&b));
        return NULL;
    }
    return cs_sbuf_take(&b);
}
