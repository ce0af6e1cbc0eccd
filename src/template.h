/*
 * Message templates of expiration alerts: text with {token}s that name a
 * certificate's facts. "{{" and "}}" stand for literal braces. An unknown
 * token or an unclosed brace is an error when the template is checked (at
 * `alert add`), never a silent blank when it is used.
 */
#ifndef CS_TEMPLATE_H
#define CS_TEMPLATE_H

#include "cs.h"

/* The tokens, in the order of enum cs_template_token. */
enum cs_template_token {
    CS_TOK_CN,
    CS_TOK_DN,
    CS_TOK_ISSUER_DN,
    CS_TOK_SANS,
    CS_TOK_SERIAL,
    CS_TOK_SHA256,
    CS_TOK_NOT_BEFORE,
    CS_TOK_NOT_AFTER,
    CS_TOK_DAYS_LEFT,
    CS_TOK_LOCATIONS,
    CS_TOK_NETWORK,
    CS_TOK_KEY,
    CS_TOK_SIG_ALG,
    CS_TOK_COUNT
};

/* "cn", "dn", ...: the name written between braces. */
const char *cs_template_token_name(enum cs_template_token token);

/* Checks text; CS_ERR_USAGE names the first bad token and its offset and
 * lists the known ones. */
enum cs_rc cs_template_check(const char *text, char *err, size_t errlen);

/* Expands a checked template with values[token] (NULL counts as ""). The
 * caller frees the result; NULL on allocation failure or a bad template. */
char *cs_template_expand(const char *text, const char *const values[CS_TOK_COUNT]);

#endif
