#include "fastshake.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* Record layer limits of RFC 8446 5.1/5.2 (and RFC 5246 6.2). */
#define MAX_PLAIN 16384
#define MAX_CIPHER (MAX_PLAIN + 256)
#define REC_HDR 5
#define HS_HDR 4
/* Handshake messages other than Certificate are small; a longer one is
 * not something the fast path needs to understand. */
#define MAX_OTHER_MSG 65536
#define MAX_SUITES 256
#define MAX_HASH 48
/* More extensions than this in one message: not a server the fast path
 * needs to understand (and the duplicate check stays small). */
#define MAX_EXTENSIONS 64

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23 };
enum { HT_SERVER_HELLO = 2, HT_EE = 8, HT_CERTIFICATE = 11, HT_CERT_REQUEST = 13 };
enum { EXT_KEY_SHARE = 0x0033, EXT_SUPPORTED_VERSIONS = 0x002b };
#define GROUP_X25519 0x001d
#define EXT_COOKIE 0x002c
#define EXT_SUPPORTED_GROUPS 0x000a
#define MAX_SHARE 133 /* an uncompressed P-521 point */

/* The random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const unsigned char hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

enum aead { AEAD_AES128GCM, AEAD_AES256GCM, AEAD_CHACHA, AEAD_COUNT };

/* The groups a HelloRetryRequest may ask for instead of x25519, each with
 * its static key of the scan, made the first time a server asks for it. */
struct retry_group {
    uint16_t id;
    const char *type, *curve; /* EVP_PKEY_Q_keygen's arguments */
    EVP_PKEY *priv;
    unsigned char pub[MAX_SHARE]; /* as sent in key_share */
    size_t pub_len;
};
#define RETRY_GROUPS 4

struct suite_name {
    uint16_t id;
    const char *name;     /* OpenSSL's static string */
    uint16_t min_version; /* 0x0303 for the suites of TLS 1.2 on, else 0 */
};

struct cs_fastshake_keys {
    /* ClientHello template: everything but random, session id and SNI. */
    unsigned char rec_version[2];
    unsigned char legacy_version[2];
    size_t sid_len;
    unsigned char *body; /* suites block, compression block (with lengths) */
    size_t body_len;
    unsigned char *exts; /* the extensions, key share patched, no outer length */
    size_t exts_len;
    struct suite_name suites[MAX_SUITES];
    /* The extension types of the hello: a server may answer only those. */
    uint16_t ext_types[64];
    size_t ext_type_count;
    size_t suite_count;

    EVP_PKEY *priv; /* the scan's static X25519 key */
    unsigned char pub[32];
    struct retry_group retry[RETRY_GROUPS];
    /* supported_groups of the hello: a retry may ask only for one of them. */
    uint16_t groups[32];
    size_t group_count;
    EVP_MD *sha256, *sha384;
    EVP_MD_CTX *md_ctx;
    EVP_CIPHER *cipher[AEAD_COUNT];
    EVP_CIPHER_CTX *cipher_ctx[AEAD_COUNT];
    /* Derive-Secret(Early Secret, "derived", "") for each hash: the same
     * for every handshake without PSK. */
    unsigned char derived256[32], derived384[48];
};

enum state { ST_HELLO, ST_PLAIN, ST_ENCRYPTED, ST_DONE, ST_FALLBACK };

struct cert_ref {
    size_t off, len;
};

struct cs_fastshake {
    struct cs_fastshake_keys *keys;
    enum state state;
    const char *reason;
    unsigned char *hello;
    size_t hello_len;

    /* The record being read: header, then body. */
    unsigned char *rec;
    size_t rec_len, rec_cap;
    /* Handshake bytes not yet consumed as whole messages. */
    unsigned char *hs;
    size_t hs_len, hs_cap;
    bool seen_ee, seen_cert_request;
    bool sni_sent;

    uint16_t version, suite;
    const char *suite_name;
    /* TLS 1.3 read keys. */
    EVP_CIPHER_CTX *cctx;
    unsigned char key[32], iv[12];
    size_t key_len;
    uint64_t seq;

    struct cert_ref *certs; /* into hs, once DONE */
    size_t cert_count;

    /* After a HelloRetryRequest (RFC 8446 4.1.4): the second hello, sent
     * with a share of the group asked for, and what the transcript needs. */
    unsigned hellos; /* ClientHellos written: 1, or 2 after a retry */
    const struct retry_group *retry;
    uint16_t retry_suite;
    unsigned char ch1_hash[MAX_HASH]; /* Hash(ClientHello1) under that suite's hash */
    unsigned char *hrr;
    size_t hrr_len;
    bool seen_ccs;
};

/* ---- small helpers ------------------------------------------------------ */

static uint32_t get16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get24(const unsigned char *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put24(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 16);
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)v;
}

static enum cs_fastshake_rc fall_back(struct cs_fastshake *fs, const char *reason)
{
    fs->state = ST_FALLBACK;
    fs->reason = reason;
    return CS_FASTSHAKE_FALLBACK;
}

static bool reserve(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    unsigned char *p = realloc(*buf, n);
    if (p == NULL)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

/* ---- HMAC and the TLS 1.3 key schedule (RFC 8446 7.1) -------------------- */

/* HMAC(key, a || b) with md, through one reused digest context. */
static bool hmac(struct cs_fastshake_keys *k, const EVP_MD *md, const unsigned char *key,
                 size_t key_len, const unsigned char *a, size_t a_len, const unsigned char *b,
                 size_t b_len, unsigned char *out)
{
    unsigned char block[128] = {0}, pad[128], inner[MAX_HASH];
    size_t bs = (size_t)EVP_MD_get_block_size(md), hl = (size_t)EVP_MD_get_size(md);
    unsigned int n;

    if (bs > sizeof(block) || hl > MAX_HASH || key_len > bs)
        return false;
    memcpy(block, key, key_len);
    for (size_t i = 0; i < bs; i++)
        pad[i] = block[i] ^ 0x36;
    if (!EVP_DigestInit_ex(k->md_ctx, md, NULL) || !EVP_DigestUpdate(k->md_ctx, pad, bs) ||
        !EVP_DigestUpdate(k->md_ctx, a, a_len) ||
        (b_len && !EVP_DigestUpdate(k->md_ctx, b, b_len)) ||
        !EVP_DigestFinal_ex(k->md_ctx, inner, &n))
        return false;
    for (size_t i = 0; i < bs; i++)
        pad[i] = block[i] ^ 0x5c;
    return EVP_DigestInit_ex(k->md_ctx, md, NULL) && EVP_DigestUpdate(k->md_ctx, pad, bs) &&
           EVP_DigestUpdate(k->md_ctx, inner, hl) && EVP_DigestFinal_ex(k->md_ctx, out, &n);
}

/* HKDF-Expand-Label(secret, label, context, out_len), out_len <= hash size:
 * one HMAC block suffices. */
static bool expand_label(struct cs_fastshake_keys *k, const EVP_MD *md, const unsigned char *secret,
                         const char *label, const unsigned char *context, size_t context_len,
                         unsigned char *out, size_t out_len)
{
    unsigned char info[2 + 1 + 6 + 32 + 1 + MAX_HASH + 1], t[MAX_HASH];
    size_t label_len = strlen(label), hl = (size_t)EVP_MD_get_size(md), n = 0;

    if (label_len > 32 || context_len > MAX_HASH || out_len > hl)
        return false;
    put16(info, out_len);
    n = 2;
    info[n++] = (unsigned char)(6 + label_len);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = (unsigned char)context_len;
    if (context_len)
        memcpy(info + n, context, context_len);
    n += context_len;
    info[n++] = 1;
    if (!hmac(k, md, secret, hl, info, n, NULL, 0, t))
        return false;
    memcpy(out, t, out_len);
    return true;
}

static bool derived_secret(struct cs_fastshake_keys *k, const EVP_MD *md, unsigned char *out)
{
    unsigned char zeros[MAX_HASH] = {0}, early[MAX_HASH], empty_hash[MAX_HASH];
    size_t hl = (size_t)EVP_MD_get_size(md);
    unsigned int n;

    return hmac(k, md, zeros, hl, zeros, hl, NULL, 0, early) &&
           EVP_Digest("", 0, empty_hash, &n, md, NULL) &&
           expand_label(k, md, early, "derived", empty_hash, hl, out, hl);
}

/* ---- the per-scan template ---------------------------------------------- */

/* Has ctx write its ClientHello into memory. */
static unsigned char *capture_hello(SSL_CTX *ctx, size_t *len)
{
    SSL *ssl = SSL_new(ctx);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    unsigned char *copy = NULL;

    if (ssl == NULL || in == NULL || out == NULL) {
        BIO_free(in);
        BIO_free(out);
        SSL_free(ssl);
        return NULL;
    }
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
    (void)SSL_do_handshake(ssl);
    char *data;
    long n = BIO_get_mem_data(out, &data);
    if (n > 0 && (copy = malloc((size_t)n)) != NULL) {
        memcpy(copy, data, (size_t)n);
        *len = (size_t)n;
    }
    SSL_free(ssl);
    ERR_clear_error();
    return copy;
}

/* Splits OpenSSL's ClientHello into the template and patches the static
 * public key into its key share. */
static bool parse_template(struct cs_fastshake_keys *k, const unsigned char *p, size_t len,
                           const char **why)
{
    *why = "malformed";
    if (len < REC_HDR + HS_HDR + 2 + 32 + 1 || p[0] != CT_HANDSHAKE ||
        get16(p + 3) != len - REC_HDR || p[5] != 1 || get24(p + 6) != len - REC_HDR - HS_HDR)
        return false;
    memcpy(k->rec_version, p + 1, 2);
    size_t o = REC_HDR + HS_HDR;
    memcpy(k->legacy_version, p + o, 2);
    o += 2 + 32;
    k->sid_len = p[o++];
    if (k->sid_len > 32 || o + k->sid_len + 2 > len)
        return false;
    o += k->sid_len;
    size_t body_start = o, suites_len = get16(p + o);
    o += 2 + suites_len;
    if (o + 1 > len)
        return false;
    o += 1 + p[o];
    if (o + 2 > len)
        return false;
    k->body_len = o - body_start;
    size_t exts_len = get16(p + o);
    o += 2;
    if (o + exts_len != len)
        return false;
    k->body = malloc(k->body_len);
    k->exts = malloc(exts_len);
    if (k->body == NULL || k->exts == NULL)
        return false;
    memcpy(k->body, p + body_start, k->body_len);
    memcpy(k->exts, p + o, exts_len);
    k->exts_len = exts_len;

    bool key_patched = false;
    for (size_t e = 0; e + 4 <= exts_len;) {
        unsigned type = get16(k->exts + e);
        size_t elen = get16(k->exts + e + 2);
        if (e + 4 + elen > exts_len)
            return false;
        unsigned char *body = k->exts + e + 4;
        if (k->ext_type_count < sizeof(k->ext_types) / sizeof(k->ext_types[0]))
            k->ext_types[k->ext_type_count++] = (uint16_t)type;
        if (type == 0x0000 || type == 0x0015 || type == 0x0029 || type == 0x002a) {
            *why = "unexpected_extension"; /* server_name, padding, pre_shared_key, early_data */
            return false;
        }
        if (type == EXT_SUPPORTED_GROUPS && elen >= 2 && get16(body) == elen - 2) {
            for (size_t g = 2; g + 2 <= elen && k->group_count < 32; g += 2)
                k->groups[k->group_count++] = (uint16_t)get16(body + g);
        }
        if (type == EXT_KEY_SHARE) {
            if (elen != 2 + 4 + 32 || get16(body) != 4 + 32 || get16(body + 2) != GROUP_X25519 ||
                get16(body + 4) != 32) {
                *why = "key_share_not_x25519_alone";
                return false;
            }
            memcpy(body + 6, k->pub, 32);
            key_patched = true;
        }
        e += 4 + elen;
    }
    if (!key_patched) {
        *why = "no_key_share";
        return false;
    }
    return true;
}

enum cs_rc cs_fastshake_keys_new(SSL_CTX *ctx, struct cs_fastshake_keys **out, char *err,
                                 size_t errlen)
{
    struct cs_fastshake_keys *k = calloc(1, sizeof(*k));
    unsigned char *hello = NULL;
    size_t hello_len = 0, pub_len = 32;
    const char *why = "out of memory";
    static const char *const cipher_names[AEAD_COUNT] = {"AES-128-GCM", "AES-256-GCM",
                                                         "ChaCha20-Poly1305"};

    *out = NULL;
    if (k == NULL)
        goto fail;
    static const struct retry_group retry[RETRY_GROUPS] = {
        {0x0017, "EC", "P-256", NULL, {0}, 0},
        {0x0018, "EC", "P-384", NULL, {0}, 0},
        {0x0019, "EC", "P-521", NULL, {0}, 0},
        {0x001e, "X448", NULL, NULL, {0}, 0},
    };
    memcpy(k->retry, retry, sizeof(retry));
    why = "cannot set up the crypto";
    k->priv = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    k->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    k->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
    k->md_ctx = EVP_MD_CTX_new();
    if (k->priv == NULL || k->sha256 == NULL || k->sha384 == NULL || k->md_ctx == NULL ||
        !EVP_PKEY_get_raw_public_key(k->priv, k->pub, &pub_len) || pub_len != 32)
        goto fail;
    for (int i = 0; i < AEAD_COUNT; i++) {
        k->cipher[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
        k->cipher_ctx[i] = EVP_CIPHER_CTX_new();
        if (k->cipher[i] == NULL || k->cipher_ctx[i] == NULL ||
            !EVP_DecryptInit_ex(k->cipher_ctx[i], k->cipher[i], NULL, NULL, NULL))
            goto fail;
    }
    if (!derived_secret(k, k->sha256, k->derived256) ||
        !derived_secret(k, k->sha384, k->derived384))
        goto fail;

    why = "OpenSSL wrote no ClientHello";
    if ((hello = capture_hello(ctx, &hello_len)) == NULL)
        goto fail;
    if (!parse_template(k, hello, hello_len, &why))
        goto fail;
    STACK_OF(SSL_CIPHER) *ciphers = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; ciphers != NULL && i < sk_SSL_CIPHER_num(ciphers); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(ciphers, i);
        if (k->suite_count < MAX_SUITES) {
            const char *since = SSL_CIPHER_get_version(c); /* "TLSv1.2" for AEAD, SHA-2 */
            k->suites[k->suite_count].id = SSL_CIPHER_get_protocol_id(c);
            k->suites[k->suite_count].name = SSL_CIPHER_standard_name(c);
            k->suites[k->suite_count].min_version =
                strcmp(since, "TLSv1.2") == 0 || strcmp(since, "TLSv1.3") == 0 ? 0x0303 : 0;
            k->suite_count++;
        }
    }
    free(hello);
    *out = k;
    return CS_OK;
fail:
    free(hello);
    cs_fastshake_keys_free(&k);
    cs_fail(err, errlen, CS_ERR_TLS, "fast handshake unavailable: %s", why);
    cs_ssl_errors_append(err, errlen);
    return CS_ERR_TLS;
}

void cs_fastshake_keys_free(struct cs_fastshake_keys **keys)
{
    if (keys == NULL || *keys == NULL)
        return;
    struct cs_fastshake_keys *k = *keys;
    free(k->body);
    free(k->exts);
    EVP_PKEY_free(k->priv);
    for (int i = 0; i < RETRY_GROUPS; i++)
        EVP_PKEY_free(k->retry[i].priv);
    EVP_MD_free(k->sha256);
    EVP_MD_free(k->sha384);
    EVP_MD_CTX_free(k->md_ctx);
    for (int i = 0; i < AEAD_COUNT; i++) {
        EVP_CIPHER_CTX_free(k->cipher_ctx[i]);
        EVP_CIPHER_free(k->cipher[i]);
    }
    free(k);
    *keys = NULL;
}

/* Whether a server may send extension type in a ServerHello: one the
 * hello carried, server_name when it was sent, or renegotiation_info
 * (which OpenSSL always accepts). */
static bool offered_extension(const struct cs_fastshake *fs, unsigned type)
{
    if (type == 0xff01 || (type == 0x0000 && fs->sni_sent))
        return true;
    for (size_t i = 0; i < fs->keys->ext_type_count; i++)
        if (fs->keys->ext_types[i] == type)
            return true;
    return false;
}

/* Whether an extension list (2-byte length, then type-length-value) is
 * well-formed, fills exactly len bytes, has at most MAX_EXTENSIONS entries
 * and names no type twice. */
static bool extensions_ok(const unsigned char *p, size_t len)
{
    size_t count = 0;

    if (len < 2 || get16(p) != len - 2)
        return false;
    for (size_t o = 2; o < len;) {
        if (o + 4 > len || o + 4 + get16(p + o + 2) > len || ++count > MAX_EXTENSIONS)
            return false;
        for (size_t q = 2; q < o; q += 4 + get16(p + q + 2))
            if (get16(p + q) == get16(p + o))
                return false;
        o += 4 + get16(p + o + 2);
    }
    return true;
}

/*
 * The extensions the fast path accepts, each with the body OpenSSL accepts;
 * anything else (an extension OpenSSL would refuse in that message, or one
 * whose body it would check) falls back, so OpenSSL names the error. p
 * points at a list extensions_ok() accepted.
 */
enum ext_context { IN_TLS12_SERVER_HELLO, IN_TLS13_SERVER_HELLO, IN_EE, IN_CERT_REQUEST };

static bool extension_ok(const struct cs_fastshake *fs, enum ext_context where, unsigned type,
                         const unsigned char *body, size_t len)
{
    switch (where) {
    case IN_TLS13_SERVER_HELLO:
        return type == EXT_SUPPORTED_VERSIONS || type == EXT_KEY_SHARE; /* checked by the caller */
    case IN_TLS12_SERVER_HELLO:
        switch (type) {
        case 0xff01: /* renegotiation_info: empty renegotiated_connection */
            return len == 1 && body[0] == 0;
        case 0x0000: /* server_name: empty, and only if one was sent */
            return len == 0 && fs->sni_sent;
        case 0x0016: /* encrypt_then_mac */
        case 0x0017: /* extended_master_secret */
        case 0x0023: /* session_ticket */
            return len == 0;
        case 0x000b: /* ec_point_formats: a list that has uncompressed */
            return len >= 2 && body[0] == len - 1 && memchr(body + 1, 0, len - 1) != NULL;
        default:
            return false;
        }
    case IN_EE:
        switch (type) {
        case 0x0000:
            return len == 0 && fs->sni_sent;
        case 0x000a: /* supported_groups: a non-empty list of 2-byte groups */
            return len >= 4 && get16(body) == len - 2 && len % 2 == 0;
        default:
            return false;
        }
    case IN_CERT_REQUEST:
        /* signature_algorithms(_cert): non-empty lists; certificate_authorities:
         * a non-empty vector of names, which only the client would use. */
        if (type == 0x000d || type == 0x0032)
            return len >= 4 && get16(body) == len - 2 && len % 2 == 0;
        return type == 0x002f && len >= 2 && get16(body) == len - 2 && len > 2;
    }
    return false;
}

/* Whether every extension of the list p (extensions_ok) passes extension_ok;
 * *has_want (if asked) whether one of type want is there. */
static bool extensions_allowed(const struct cs_fastshake *fs, enum ext_context where,
                               const unsigned char *p, size_t len, unsigned want, bool *has_want)
{
    for (size_t o = 2; o < len; o += 4 + get16(p + o + 2)) {
        unsigned type = get16(p + o);
        if (!extension_ok(fs, where, type, p + o + 4, get16(p + o + 2)))
            return false;
        if (has_want != NULL && type == want)
            *has_want = true;
    }
    return true;
}

static const struct suite_name *offered_suite(const struct cs_fastshake_keys *k, uint16_t id)
{
    for (size_t i = 0; i < k->suite_count; i++)
        if (k->suites[i].id == id)
            return &k->suites[i];
    return NULL;
}

/* ---- one handshake ------------------------------------------------------- */

struct cs_fastshake *cs_fastshake_new(struct cs_fastshake_keys *keys, const char *sni)
{
    size_t sni_len = sni ? strlen(sni) : 0;
    if (sni != NULL && (sni_len == 0 || sni_len > 255))
        return NULL;
    struct cs_fastshake *fs = calloc(1, sizeof(*fs));
    if (fs == NULL)
        return NULL;
    fs->keys = keys;
    fs->sni_sent = sni != NULL;
    size_t sni_ext = sni ? 4 + 2 + 1 + 2 + sni_len : 0;
    size_t hs_len = 2 + 32 + 1 + keys->sid_len + keys->body_len + 2 + sni_ext + keys->exts_len;
    fs->hello_len = REC_HDR + HS_HDR + hs_len;
    fs->hello = malloc(fs->hello_len);
    if (fs->hello == NULL || hs_len > MAX_PLAIN - HS_HDR) {
        cs_fastshake_free(&fs);
        return NULL;
    }
    unsigned char *p = fs->hello;
    p[0] = CT_HANDSHAKE;
    memcpy(p + 1, keys->rec_version, 2);
    put16(p + 3, HS_HDR + hs_len);
    p[5] = 1;
    put24(p + 6, hs_len);
    p += REC_HDR + HS_HDR;
    memcpy(p, keys->legacy_version, 2);
    p += 2;
    /* The random and the legacy session id in one call. */
    if (RAND_bytes(p, (int)(32 + 1 + keys->sid_len)) != 1) {
        cs_fastshake_free(&fs);
        return NULL;
    }
    p += 32;
    *p++ = (unsigned char)keys->sid_len;
    p += keys->sid_len;
    memcpy(p, keys->body, keys->body_len);
    p += keys->body_len;
    put16(p, sni_ext + keys->exts_len);
    p += 2;
    if (sni != NULL) {
        put16(p, 0x0000);
        put16(p + 2, 2 + 1 + 2 + sni_len);
        put16(p + 4, 1 + 2 + sni_len);
        p[6] = 0; /* host_name */
        put16(p + 7, sni_len);
        memcpy(p + 9, sni, sni_len);
        p += sni_ext;
    }
    memcpy(p, keys->exts, keys->exts_len);
    fs->hellos = 1;
    return fs;
}

void cs_fastshake_free(struct cs_fastshake **fs)
{
    if (fs == NULL || *fs == NULL)
        return;
    free((*fs)->hello);
    free((*fs)->rec);
    free((*fs)->hs);
    free((*fs)->certs);
    free((*fs)->hrr);
    OPENSSL_cleanse((*fs)->key, sizeof((*fs)->key));
    free(*fs);
    *fs = NULL;
}

unsigned cs_fastshake_hellos(const struct cs_fastshake *fs)
{
    return fs->hellos;
}

const unsigned char *cs_fastshake_hello(const struct cs_fastshake *fs, size_t *len)
{
    *len = fs->hello_len;
    return fs->hello;
}

const char *cs_fastshake_reason(const struct cs_fastshake *fs)
{
    return fs->state == ST_FALLBACK ? fs->reason : NULL;
}

uint16_t cs_fastshake_version(const struct cs_fastshake *fs)
{
    return fs->version;
}

uint16_t cs_fastshake_suite(const struct cs_fastshake *fs)
{
    return fs->suite;
}

const char *cs_fastshake_version_name(const struct cs_fastshake *fs)
{
    /* SSL_get_version()'s spelling, which the OpenSSL path reports. */
    switch (fs->version) {
    case 0x0301:
        return "TLSv1";
    case 0x0302:
        return "TLSv1.1";
    case 0x0303:
        return "TLSv1.2";
    case 0x0304:
        return "TLSv1.3";
    default:
        return NULL;
    }
}

const char *cs_fastshake_suite_name(const struct cs_fastshake *fs)
{
    return fs->suite_name;
}

size_t cs_fastshake_chain_len(const struct cs_fastshake *fs)
{
    return fs->state == ST_DONE ? fs->cert_count : 0;
}

const unsigned char *cs_fastshake_cert(const struct cs_fastshake *fs, size_t i, size_t *len)
{
    if (fs->state != ST_DONE || i >= fs->cert_count) {
        *len = 0;
        return NULL;
    }
    *len = fs->certs[i].len;
    return fs->hs + fs->certs[i].off;
}

/* The hash of a TLS 1.3 suite, NULL for another. */
static const EVP_MD *suite_md(const struct cs_fastshake_keys *k, uint16_t suite)
{
    return suite == 0x1302 ? k->sha384 : suite == 0x1301 || suite == 0x1303 ? k->sha256 : NULL;
}

/* ---- HelloRetryRequest ---------------------------------------------------- */

/* The group id of a retry, with the scan's key for it (made on first use);
 * NULL when the hello did not offer it or the fast path has no key type
 * for it. */
static const struct retry_group *retry_group(struct cs_fastshake_keys *k, uint16_t id)
{
    bool offered = false;
    for (size_t i = 0; i < k->group_count; i++)
        offered = offered || k->groups[i] == id;
    for (int i = 0; offered && i < RETRY_GROUPS; i++) {
        struct retry_group *g = &k->retry[i];
        if (g->id != id)
            continue;
        if (g->priv == NULL) {
            EVP_PKEY *priv = g->curve ? EVP_PKEY_Q_keygen(NULL, NULL, g->type, g->curve)
                                      : EVP_PKEY_Q_keygen(NULL, NULL, g->type);
            size_t n = 0;
            if (priv == NULL ||
                !EVP_PKEY_get_octet_string_param(priv, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, g->pub,
                                                 sizeof(g->pub), &n) ||
                n == 0) {
                EVP_PKEY_free(priv);
                ERR_clear_error();
                return NULL;
            }
            g->priv = priv;
            g->pub_len = n;
        }
        return g;
    }
    return NULL;
}

/* The second hello: the first with a share of g instead of the x25519 one
 * and, when the server sent one, its cookie extension (RFC 8446 4.1.2). */
static bool build_retry_hello(struct cs_fastshake *fs, const struct retry_group *g,
                              const unsigned char *cookie, size_t cookie_len)
{
    size_t head = REC_HDR + HS_HDR + 2 + 32 + 1 + fs->keys->sid_len + fs->keys->body_len;
    const unsigned char *ext = fs->hello + head + 2;
    size_t ext_len = get16(fs->hello + head);
    size_t cap = head + 2 + ext_len + g->pub_len + (cookie ? 4 + cookie_len : 0);
    unsigned char *out = malloc(cap), *p;

    if (out == NULL)
        return false;
    memcpy(out, fs->hello, head);
    p = out + head + 2;
    for (size_t o = 0; o + 4 <= ext_len; o += 4 + get16(ext + o + 2)) {
        size_t elen = get16(ext + o + 2);
        if (get16(ext + o) != EXT_KEY_SHARE) {
            memcpy(p, ext + o, 4 + elen);
            p += 4 + elen;
            continue;
        }
        put16(p, EXT_KEY_SHARE);
        put16(p + 2, 2 + 4 + g->pub_len);
        put16(p + 4, 4 + g->pub_len);
        put16(p + 6, g->id);
        put16(p + 8, g->pub_len);
        memcpy(p + 10, g->pub, g->pub_len);
        p += 10 + g->pub_len;
    }
    if (cookie != NULL) {
        put16(p, EXT_COOKIE);
        put16(p + 2, cookie_len);
        memcpy(p + 4, cookie, cookie_len);
        p += 4 + cookie_len;
    }
    size_t total = (size_t)(p - out);
    if (total - REC_HDR - HS_HDR > MAX_PLAIN - HS_HDR) {
        free(out);
        return false;
    }
    put16(out + head, total - head - 2);
    put24(out + REC_HDR + 1, total - REC_HDR - HS_HDR);
    put16(out + 3, total - REC_HDR);
    free(fs->hello);
    fs->hello = out;
    fs->hello_len = total;
    return true;
}

/*
 * A HelloRetryRequest (RFC 8446 4.1.4): the server wants a share of another
 * group, one the hello offered. The fast path writes the second hello and
 * reads the server's answer to it as a ServerHello; anything it does not
 * expect of a retry (another extension, a second retry, data after it in
 * its record) falls back.
 */
static enum cs_fastshake_rc on_hello_retry(struct cs_fastshake *fs, const unsigned char *msg,
                                           size_t msg_len, bool more_after)
{
    struct cs_fastshake_keys *k = fs->keys;
    const unsigned char *b = msg + HS_HDR, *cookie = NULL;
    size_t len = msg_len - HS_HDR, o = 2 + 32, cookie_len = 0;
    uint16_t group = 0, version = 0;

    if (fs->retry != NULL)
        return fall_back(fs, "second_hello_retry_request");
    size_t sid_len = b[o++];
    if (more_after || get16(b) != 0x0303 || sid_len != k->sid_len || o + sid_len + 3 + 2 > len ||
        memcmp(b + o, fs->hello + REC_HDR + HS_HDR + 2 + 32 + 1, sid_len) != 0)
        return fall_back(fs, "hello_retry_request");
    o += sid_len;
    uint16_t suite = (uint16_t)get16(b + o);
    const EVP_MD *md = suite_md(k, suite);
    if (md == NULL || offered_suite(k, suite) == NULL || b[o + 2] != 0)
        return fall_back(fs, "hello_retry_request");
    o += 3;
    if (!extensions_ok(b + o, len - o))
        return fall_back(fs, "hello_retry_request");
    for (size_t e = o + 2; e < len; e += 4 + get16(b + e + 2)) {
        unsigned type = get16(b + e);
        size_t elen = get16(b + e + 2);
        const unsigned char *body = b + e + 4;
        if (type == EXT_SUPPORTED_VERSIONS && elen == 2) {
            version = (uint16_t)get16(body);
        } else if (type == EXT_KEY_SHARE && elen == 2) {
            group = (uint16_t)get16(body);
        } else if (type == EXT_COOKIE && elen > 2 && get16(body) == elen - 2) {
            cookie = body;
            cookie_len = elen;
        } else {
            return fall_back(fs, "hello_retry_request");
        }
    }
    const struct retry_group *g = version == 0x0304 ? retry_group(k, group) : NULL;
    unsigned int n;
    if (g == NULL)
        return fall_back(fs, "hello_retry_request");
    if (!EVP_Digest(fs->hello + REC_HDR, fs->hello_len - REC_HDR, fs->ch1_hash, &n, md, NULL) ||
        (fs->hrr = malloc(msg_len)) == NULL || !build_retry_hello(fs, g, cookie, cookie_len))
        return fall_back(fs, "hello_retry_request");
    memcpy(fs->hrr, msg, msg_len);
    fs->hrr_len = msg_len;
    fs->retry = g;
    fs->retry_suite = suite;
    fs->hellos = 2;
    return CS_FASTSHAKE_NEED_MORE;
}

/* ---- ServerHello --------------------------------------------------------- */

/* The server's public share as a key that derives with priv. */
static EVP_PKEY *peer_key(EVP_PKEY *priv, const char *raw_type, const unsigned char *share,
                          size_t len)
{
    if (raw_type != NULL)
        return EVP_PKEY_new_raw_public_key_ex(NULL, raw_type, NULL, share, len);
    EVP_PKEY *peer = EVP_PKEY_new();
    if (peer == NULL || !EVP_PKEY_copy_parameters(peer, priv) ||
        !EVP_PKEY_set1_encoded_public_key(peer, share, len)) {
        EVP_PKEY_free(peer);
        return NULL;
    }
    return peer;
}

/* Computes the server handshake traffic keys from the server's share (of
 * x25519, or of the group a retry asked for) and the transcript
 * ClientHello..ServerHello (RFC 8446 4.4.1 for the retry's). */
static bool tls13_keys(struct cs_fastshake *fs, const unsigned char *share, size_t share_len,
                       const unsigned char *sh_msg, size_t sh_len)
{
    struct cs_fastshake_keys *k = fs->keys;
    const EVP_MD *md;
    const unsigned char *derived;
    enum aead aead;
    unsigned char shared[MAX_SHARE], hs_secret[MAX_HASH], traffic[MAX_HASH], th[MAX_HASH];
    size_t shared_len = sizeof(shared);
    unsigned int th_len;
    bool ok = false;

    switch (fs->suite) {
    case 0x1301:
        md = k->sha256, derived = k->derived256, aead = AEAD_AES128GCM, fs->key_len = 16;
        break;
    case 0x1302:
        md = k->sha384, derived = k->derived384, aead = AEAD_AES256GCM, fs->key_len = 32;
        break;
    case 0x1303:
        md = k->sha256, derived = k->derived256, aead = AEAD_CHACHA, fs->key_len = 32;
        break;
    default:
        return false;
    }
    size_t hl = (size_t)EVP_MD_get_size(md);

    EVP_PKEY *priv = fs->retry ? fs->retry->priv : k->priv;
    const char *raw = fs->retry == NULL          ? "X25519"
                      : fs->retry->curve == NULL ? fs->retry->type
                                                 : NULL;
    EVP_PKEY *peer = peer_key(priv, raw, share, share_len);
    EVP_PKEY_CTX *pctx = peer ? EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL) : NULL;
    if (pctx == NULL || EVP_PKEY_derive_init(pctx) <= 0 ||
        EVP_PKEY_derive_set_peer_ex(pctx, peer, raw == NULL) <= 0 ||
        EVP_PKEY_derive(pctx, shared, &shared_len) <= 0 || shared_len == 0)
        goto out;
    /* After a retry the first hello is replaced by message_hash(254). */
    unsigned char synthetic[HS_HDR] = {254, 0, 0, (unsigned char)hl};
    if (!EVP_DigestInit_ex(k->md_ctx, md, NULL) ||
        (fs->retry != NULL && (!EVP_DigestUpdate(k->md_ctx, synthetic, HS_HDR) ||
                               !EVP_DigestUpdate(k->md_ctx, fs->ch1_hash, hl) ||
                               !EVP_DigestUpdate(k->md_ctx, fs->hrr, fs->hrr_len))) ||
        !EVP_DigestUpdate(k->md_ctx, fs->hello + REC_HDR, fs->hello_len - REC_HDR) ||
        !EVP_DigestUpdate(k->md_ctx, sh_msg, sh_len) || !EVP_DigestFinal_ex(k->md_ctx, th, &th_len))
        goto out;
    if (!hmac(k, md, derived, hl, shared, shared_len, NULL, 0, hs_secret) ||
        !expand_label(k, md, hs_secret, "s hs traffic", th, hl, traffic, hl) ||
        !expand_label(k, md, traffic, "key", NULL, 0, fs->key, fs->key_len) ||
        !expand_label(k, md, traffic, "iv", NULL, 0, fs->iv, 12))
        goto out;
    fs->cctx = k->cipher_ctx[aead];
    ok = true;
out:
    OPENSSL_cleanse(shared, sizeof(shared));
    OPENSSL_cleanse(hs_secret, sizeof(hs_secret));
    OPENSSL_cleanse(traffic, sizeof(traffic));
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(peer);
    ERR_clear_error();
    return ok;
}

static enum cs_fastshake_rc on_server_hello(struct cs_fastshake *fs, const unsigned char *msg,
                                            size_t msg_len, bool more_after)
{
    const unsigned char *b = msg + HS_HDR;
    size_t len = msg_len - HS_HDR, o = 0;
    const unsigned char *share = NULL, *exts = NULL;
    size_t exts_len = 0;
    uint16_t selected = 0;

    if (len < 2 + 32 + 1)
        return fall_back(fs, "server_hello_malformed");
    uint16_t legacy = (uint16_t)get16(b);
    if (memcmp(b + 2, hrr_random, 32) == 0)
        return on_hello_retry(fs, msg, msg_len, more_after);
    /* The share the answer must carry: x25519's, or the retry's group. */
    uint16_t want_group = fs->retry ? fs->retry->id : GROUP_X25519;
    size_t share_len = fs->retry ? fs->retry->pub_len : 32;
    o = 2 + 32;
    size_t sid_len = b[o++];
    if (sid_len > 32 || o + sid_len + 3 > len)
        return fall_back(fs, "server_hello_malformed");
    const unsigned char *sid = b + o;
    o += sid_len;
    fs->suite = (uint16_t)get16(b + o);
    uint8_t compression = b[o + 2];
    o += 3;
    if (o < len) {
        if (!extensions_ok(b + o, len - o))
            return fall_back(fs, "server_hello_malformed");
        exts = b + o;
        exts_len = len - o;
        size_t end = len;
        o += 2;
        bool seen_sv = false, seen_ks = false;
        while (o < end) {
            if (o + 4 > end)
                return fall_back(fs, "server_hello_malformed");
            unsigned type = get16(b + o);
            size_t elen = get16(b + o + 2);
            const unsigned char *e = b + o + 4;
            if (o + 4 + elen > end)
                return fall_back(fs, "server_hello_malformed");
            if (!offered_extension(fs, type))
                return fall_back(fs, "unsolicited_extension");
            if (type == EXT_SUPPORTED_VERSIONS) {
                if (elen != 2 || seen_sv)
                    return fall_back(fs, "server_hello_malformed");
                selected = (uint16_t)get16(e);
                seen_sv = true;
            } else if (type == EXT_KEY_SHARE) {
                if (elen != 4 + share_len || get16(e) != want_group || get16(e + 2) != share_len ||
                    seen_ks)
                    return fall_back(fs,
                                     fs->retry ? "key_share_not_asked" : "key_share_not_x25519");
                share = e + 4;
                seen_ks = true;
            }
            o += 4 + elen;
        }
    }
    const struct suite_name *suite = offered_suite(fs->keys, fs->suite);
    if (suite == NULL)
        return fall_back(fs, "suite_not_offered");
    fs->suite_name = suite->name;
    if (compression != 0)
        return fall_back(fs, "compression");
    bool tls13_suite = (fs->suite >> 8) == 0x13;

    if (selected != 0) {
        /* Only TLS 1.3 is negotiated through supported_versions. */
        if (selected != 0x0304 || legacy != 0x0303 || !tls13_suite || share == NULL ||
            (fs->retry != NULL && fs->suite != fs->retry_suite))
            return fall_back(fs, "server_hello_unexpected");
        if (!extensions_allowed(fs, IN_TLS13_SERVER_HELLO, exts, exts_len, 0, NULL))
            return fall_back(fs, "unexpected_extension");
        if (sid_len != fs->keys->sid_len ||
            memcmp(sid, fs->hello + REC_HDR + HS_HDR + 2 + 32 + 1, sid_len) != 0)
            return fall_back(fs, "session_id_mismatch");
        /* The keys change here: the rest of this record would be in the
         * clear where the server should have encrypted it. */
        if (more_after)
            return fall_back(fs, "data_after_server_hello");
        fs->version = 0x0304;
        if (!tls13_keys(fs, share, share_len, msg, msg_len))
            return fall_back(fs, "key_exchange");
        fs->state = ST_ENCRYPTED;
        return CS_FASTSHAKE_NEED_MORE;
    }
    if (legacy < 0x0301 || legacy > 0x0303 || tls13_suite || share != NULL || fs->retry != NULL)
        return fall_back(fs, "server_hello_unexpected");
    if (exts != NULL && !extensions_allowed(fs, IN_TLS12_SERVER_HELLO, exts, exts_len, 0, NULL))
        return fall_back(fs, "unexpected_extension");
    /* RFC 8446 4.1.3: a TLS 1.3 client must refuse a downgrade sentinel. */
    if (memcmp(b + 2 + 24, "DOWNGRD", 7) == 0 && (b[2 + 31] == 0 || b[2 + 31] == 1))
        return fall_back(fs, "downgrade_sentinel");
    if (legacy < suite->min_version)
        return fall_back(fs, "suite_needs_tls12");
    fs->version = legacy;
    fs->state = ST_PLAIN;
    return CS_FASTSHAKE_NEED_MORE;
}

/* ---- Certificate --------------------------------------------------------- */

static enum cs_fastshake_rc on_certificate(struct cs_fastshake *fs, size_t msg_off, size_t msg_len,
                                           bool tls13)
{
    const unsigned char *b = fs->hs + msg_off + HS_HDR;
    size_t len = msg_len - HS_HDR, o = 0;

    if (tls13) {
        if (len < 1 || b[0] != 0)
            return fall_back(fs, "certificate_malformed");
        o = 1;
    }
    if (o + 3 > len || o + 3 + get24(b + o) != len)
        return fall_back(fs, "certificate_malformed");
    o += 3;
    size_t count = 0, scan = o;
    while (scan < len) {
        if (scan + 3 > len)
            return fall_back(fs, "certificate_malformed");
        size_t clen = get24(b + scan);
        if (clen == 0 || scan + 3 + clen > len)
            return fall_back(fs, "certificate_malformed");
        scan += 3 + clen;
        if (tls13) {
            if (scan + 2 > len || scan + 2 + get16(b + scan) > len)
                return fall_back(fs, "certificate_malformed");
            /* We asked for no status_request or SCT: OpenSSL would refuse
             * them; let it name the error. */
            if (get16(b + scan) != 0)
                return fall_back(fs, "certificate_extensions");
            scan += 2 + get16(b + scan);
        }
        count++;
    }
    if (count == 0)
        return fall_back(fs, "no_certificate");
    fs->certs = calloc(count, sizeof(*fs->certs));
    if (fs->certs == NULL)
        return fall_back(fs, "out_of_memory");
    for (size_t i = 0; i < count; i++) {
        size_t clen = get24(b + o);
        fs->certs[i].off = msg_off + HS_HDR + o + 3;
        fs->certs[i].len = clen;
        o += 3 + clen;
        if (tls13)
            o += 2 + get16(b + o);
    }
    fs->cert_count = count;
    fs->state = ST_DONE;
    return CS_FASTSHAKE_DONE;
}

/* Consumes the whole handshake messages in fs->hs. */
static enum cs_fastshake_rc on_handshake_bytes(struct cs_fastshake *fs, bool record_end)
{
    size_t o = 0;
    enum cs_fastshake_rc rc = CS_FASTSHAKE_NEED_MORE;

    while (fs->state != ST_DONE && fs->state != ST_FALLBACK && o + HS_HDR <= fs->hs_len) {
        unsigned type = fs->hs[o];
        size_t body = get24(fs->hs + o + 1);
        size_t limit = type == HT_CERTIFICATE ? CS_FASTSHAKE_MAX_CERT_MSG : MAX_OTHER_MSG;
        if (body > limit)
            return fall_back(fs,
                             type == HT_CERTIFICATE ? "certificate_too_long" : "message_too_long");
        if (o + HS_HDR + body > fs->hs_len)
            break;
        size_t msg_len = HS_HDR + body;
        const unsigned char *m = fs->hs + o + HS_HDR; /* the message's body */
        switch (fs->state) {
        case ST_HELLO:
            if (type != HT_SERVER_HELLO)
                return fall_back(fs, "unexpected_message");
            rc = on_server_hello(fs, fs->hs + o, msg_len, o + msg_len < fs->hs_len || !record_end);
            break;
        case ST_PLAIN:
            if (type != HT_CERTIFICATE)
                return fall_back(fs, "unexpected_message");
            return on_certificate(fs, o, msg_len, false);
        case ST_ENCRYPTED:
            if (type == HT_EE && !fs->seen_ee) {
                if (!extensions_ok(m, body) || !extensions_allowed(fs, IN_EE, m, body, 0, NULL))
                    return fall_back(fs, "encrypted_extensions_unexpected");
                fs->seen_ee = true;
            } else if (type == HT_CERT_REQUEST && fs->seen_ee && !fs->seen_cert_request) {
                /* A request for our certificate: we have none to send, and
                 * the server's own comes next. Empty context, then the
                 * extensions, signature_algorithms among them (RFC 8446
                 * 4.3.2). */
                bool sigalgs = false;
                if (body < 3 || m[0] != 0 || !extensions_ok(m + 1, body - 1) ||
                    !extensions_allowed(fs, IN_CERT_REQUEST, m + 1, body - 1, 0x000d, &sigalgs) ||
                    !sigalgs)
                    return fall_back(fs, "certificate_request_unexpected");
                fs->seen_cert_request = true;
            } else if (type == HT_CERTIFICATE && fs->seen_ee) {
                return on_certificate(fs, o, msg_len, true);
            } else {
                return fall_back(fs, "unexpected_message");
            }
            break;
        default:
            return rc;
        }
        if (rc != CS_FASTSHAKE_NEED_MORE)
            return rc;
        o += msg_len;
    }
    if (fs->state == ST_DONE || fs->state == ST_FALLBACK)
        return rc;
    memmove(fs->hs, fs->hs + o, fs->hs_len - o);
    fs->hs_len -= o;
    return CS_FASTSHAKE_NEED_MORE;
}

static enum cs_fastshake_rc add_handshake(struct cs_fastshake *fs, const unsigned char *p, size_t n,
                                          bool record_end)
{
    if (n == 0)
        return fall_back(fs, "empty_record");
    if (!reserve(&fs->hs, &fs->hs_cap, fs->hs_len + n))
        return fall_back(fs, "out_of_memory");
    memcpy(fs->hs + fs->hs_len, p, n);
    fs->hs_len += n;
    return on_handshake_bytes(fs, record_end);
}

/* ---- records ------------------------------------------------------------- */

/* Decrypts the TLS 1.3 record in fs->rec in place; returns the inner
 * content type (0 on failure) and sets *plain_len. */
static int decrypt_record(struct cs_fastshake *fs, size_t *plain_len)
{
    unsigned char nonce[12];
    size_t body = fs->rec_len - REC_HDR;
    int n = 0, m = 0;

    if (body < 17 || body > MAX_CIPHER || fs->seq == UINT64_MAX)
        return 0;
    memcpy(nonce, fs->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (unsigned char)(fs->seq >> (56 - 8 * i));
    fs->seq++;
    unsigned char *ct = fs->rec + REC_HDR;
    size_t ct_len = body - 16;
    if (!EVP_DecryptInit_ex(fs->cctx, NULL, NULL, fs->key, nonce) ||
        !EVP_DecryptUpdate(fs->cctx, NULL, &n, fs->rec, REC_HDR) ||
        !EVP_DecryptUpdate(fs->cctx, ct, &n, ct, (int)ct_len) ||
        !EVP_CIPHER_CTX_ctrl(fs->cctx, EVP_CTRL_AEAD_SET_TAG, 16, ct + ct_len) ||
        EVP_DecryptFinal_ex(fs->cctx, ct + n, &m) <= 0) {
        ERR_clear_error();
        return 0;
    }
    size_t len = (size_t)n + (size_t)m;
    while (len > 0 && ct[len - 1] == 0)
        len--;
    if (len == 0 || len - 1 > MAX_PLAIN)
        return 0;
    *plain_len = len - 1;
    return ct[len - 1];
}

static enum cs_fastshake_rc on_record(struct cs_fastshake *fs)
{
    unsigned type = fs->rec[0];
    const unsigned char *body = fs->rec + REC_HDR;
    size_t len = fs->rec_len - REC_HDR;

    if (type == CT_ALERT)
        return fall_back(fs, "alert");
    if (fs->state == ST_ENCRYPTED) {
        /* A compatibility ChangeCipherSpec (RFC 8446 D.4) comes before
         * the first encrypted record. */
        if (type == CT_CCS) {
            if (len != 1 || body[0] != 1 || fs->seq != 0 || fs->seen_ccs)
                return fall_back(fs, "bad_ccs");
            fs->seen_ccs = true;
            return CS_FASTSHAKE_NEED_MORE;
        }
        if (type != CT_APPDATA || get16(fs->rec + 1) != 0x0303)
            return fall_back(fs, "unexpected_record");
        size_t plain;
        int inner = decrypt_record(fs, &plain);
        if (inner == 0)
            return fall_back(fs, "decrypt_failed");
        if (inner != CT_HANDSHAKE)
            return fall_back(fs, inner == CT_ALERT ? "alert" : "unexpected_record");
        return add_handshake(fs, body, plain, true);
    }
    /* The compatibility ChangeCipherSpec may also follow a retry request. */
    if (type == CT_CCS && fs->state == ST_HELLO && fs->retry != NULL && !fs->seen_ccs && len == 1 &&
        body[0] == 1) {
        fs->seen_ccs = true;
        return CS_FASTSHAKE_NEED_MORE;
    }
    if (type != CT_HANDSHAKE)
        return fall_back(fs, "unexpected_record");
    /* Once a version is agreed, its records carry it. */
    if (fs->state == ST_PLAIN && get16(fs->rec + 1) != fs->version)
        return fall_back(fs, "wrong_version_number");
    if (len > MAX_PLAIN)
        return fall_back(fs, "record_too_long");
    return add_handshake(fs, body, len, true);
}

enum cs_fastshake_rc cs_fastshake_feed(struct cs_fastshake *fs, const unsigned char *buf,
                                       size_t len)
{
    while (len > 0) {
        if (fs->state == ST_DONE)
            return CS_FASTSHAKE_DONE;
        if (fs->state == ST_FALLBACK)
            return CS_FASTSHAKE_FALLBACK;
        size_t want = REC_HDR;
        if (fs->rec_len >= REC_HDR) {
            size_t body = get16(fs->rec + 3);
            if (body > MAX_CIPHER)
                return fall_back(fs, "record_too_long");
            want = REC_HDR + body;
        }
        size_t take = want - fs->rec_len;
        if (take > len)
            take = len;
        if (!reserve(&fs->rec, &fs->rec_cap, fs->rec_len + take))
            return fall_back(fs, "out_of_memory");
        memcpy(fs->rec + fs->rec_len, buf, take);
        fs->rec_len += take;
        buf += take;
        len -= take;
        if (fs->rec_len == REC_HDR) {
            /* OpenSSL refuses a record of another major version at once. */
            if (fs->rec[1] != 3)
                return fall_back(fs, "wrong_version_number");
            if (get16(fs->rec + 3) == 0)
                return fall_back(fs, "empty_record");
            if (get16(fs->rec + 3) > MAX_CIPHER)
                return fall_back(fs, "record_too_long");
            continue;
        }
        if (fs->rec_len < REC_HDR || fs->rec_len < REC_HDR + get16(fs->rec + 3))
            continue;
        enum cs_fastshake_rc rc = on_record(fs);
        fs->rec_len = 0;
        if (rc != CS_FASTSHAKE_NEED_MORE)
            return rc;
    }
    return fs->state == ST_DONE       ? CS_FASTSHAKE_DONE
           : fs->state == ST_FALLBACK ? CS_FASTSHAKE_FALLBACK
                                      : CS_FASTSHAKE_NEED_MORE;
}

enum cs_fastshake_rc cs_fastshake_feed_messages(struct cs_fastshake *fs, bool tls13,
                                                const unsigned char *buf, size_t len)
{
    if (fs->state == ST_HELLO) {
        fs->state = tls13 ? ST_ENCRYPTED : ST_PLAIN;
        fs->version = 0;
    }
    if (fs->state == ST_DONE)
        return CS_FASTSHAKE_DONE;
    if (fs->state == ST_FALLBACK)
        return CS_FASTSHAKE_FALLBACK;
    if (len == 0)
        return CS_FASTSHAKE_NEED_MORE;
    return add_handshake(fs, buf, len, true);
}
