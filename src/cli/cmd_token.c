/* certsweep token create|list|revoke: bearer tokens of the REST API */
#include "cli.h"
#include "listing.h"
#include "store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char token_help[] =
    "usage: certsweep token create NAME\n"
    "       certsweep token list [--format table|jsonl|csv]\n"
    "       certsweep token revoke NAME\n"
    "\n"
    "Bearer tokens of the REST API of 'certsweep serve' (Authorization: Bearer\n"
    "TOKEN). 'create' prints a new token, cst_ and 64 hex digits, once: the\n"
    "inventory keeps only its SHA-256, so it cannot be shown again. 'list'\n"
    "shows each token's name, when it was created and last used. 'revoke'\n"
    "removes a token; requests that bear it are refused from then on.\n";

/* "cst_" and the hex of 32 random bytes. */
#define TOKEN_PREFIX "cst_"
#define TOKEN_RANDOM_BYTES 32
#define TOKEN_LEN (sizeof(TOKEN_PREFIX) - 1 + 2 * TOKEN_RANDOM_BYTES)

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
    va_list ap;
    fputs("certsweep token: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("; try 'certsweep token --help'\n", stderr);
    return CS_EXIT_USAGE;
}

static void hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* A new token into token (TOKEN_LEN + 1 bytes) and the hex of its SHA-256
 * into sha256 (65 bytes). */
static enum cs_rc new_token(char *token, char *sha256, char *err, size_t errlen)
{
    unsigned char random[TOKEN_RANDOM_BYTES], digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;

    if (RAND_bytes(random, sizeof(random)) != 1) {
        cs_fail(err, errlen, CS_ERR_TLS, "cannot draw random bytes for a token");
        cs_ssl_errors_append(err, errlen);
        return CS_ERR_TLS;
    }
    memcpy(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
    hex(random, sizeof(random), token + sizeof(TOKEN_PREFIX) - 1);
    OPENSSL_cleanse(random, sizeof(random));
    if (EVP_Digest(token, TOKEN_LEN, digest, &digest_len, EVP_sha256(), NULL) != 1 ||
        digest_len != 32) {
        cs_fail(err, errlen, CS_ERR_TLS, "cannot hash a token");
        cs_ssl_errors_append(err, errlen);
        return CS_ERR_TLS;
    }
    hex(digest, digest_len, sha256);
    return CS_OK;
}

static const struct cs_column token_cols[] = {
    {"name", 24},
    {"created_at", 20},
    {"last_used_at", 20},
};

static void print_token(const struct cs_token_row *row, void *arg)
{
    char created[21], used[21] = "";
    cs_store_format_time(row->created_at, created);
    if (row->last_used_at != 0)
        cs_store_format_time(row->last_used_at, used);
    /* Never the hash: it is what a stolen listing would be tried with. */
    const char *values[] = {row->name, created, used[0] ? used : NULL};
    cs_listing_emit(arg, values);
}

int cs_cmd_token(int argc, char **argv)
{
    struct cs_store *store = NULL;
    char err[CS_ERRLEN], token[TOKEN_LEN + 1], sha256[65];
    const char *action = argc >= 2 ? argv[1] : NULL;
    int status = CS_EXIT_OK;
    enum cs_rc rc = CS_OK;

    if (action == NULL || strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0) {
        fputs(token_help, action ? stdout : stderr);
        return action ? CS_EXIT_OK : CS_EXIT_USAGE;
    }
    bool is_list = strcmp(action, "list") == 0;
    if (!is_list && strcmp(action, "create") != 0 && strcmp(action, "revoke") != 0)
        return usage("unknown action '%s'", action);
    if (!is_list && (argc != 3 || argv[2][0] == '-'))
        return usage("token %s: expected one token name", action);

    struct cs_listing l = {.format = cs_listing_default_format(),
                           .cols = token_cols,
                           .ncols = sizeof(token_cols) / sizeof(token_cols[0])};
    if (is_list) {
        if (argc == 4 && strcmp(argv[2], "--format") == 0) {
            if (!cs_listing_parse_format(argv[3], &l.format, "token"))
                return CS_EXIT_USAGE;
        } else if (argc != 2) {
            return usage("token list: unexpected '%s'", argv[2]);
        }
    }
    if ((store = cs_cli_open_store("token")) == NULL)
        return CS_EXIT_RUNTIME;

    if (strcmp(action, "create") == 0) {
        rc = new_token(token, sha256, err, sizeof(err));
        if (rc == CS_OK)
            rc = cs_store_token_add(store, argv[2], sha256, 0, err, sizeof(err));
        if (rc == CS_OK) {
            /* The token alone on stdout, for scripts; the advice beside. */
            printf("%s\n", token);
            fprintf(stderr, "certsweep token: token '%s' created; it is shown only this once\n",
                    argv[2]);
        }
        OPENSSL_cleanse(token, sizeof(token));
    } else if (is_list) {
        rc = cs_store_token_list(store, print_token, &l, err, sizeof(err));
        if (rc == CS_OK && l.format != CS_FORMAT_JSONL)
            cs_listing_emit(&l, NULL);
    } else {
        rc = cs_store_token_remove(store, argv[2], err, sizeof(err));
        if (rc == CS_OK)
            printf("token %s revoked\n", argv[2]);
    }
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep token: %s\n", err);
        status = cs_cli_exit_for(rc);
    }
    cs_store_close(&store);
    return status;
}
