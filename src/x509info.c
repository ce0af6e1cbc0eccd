#include "x509info.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *bio_to_string(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *s = malloc((size_t)len + 1);
    if (s == NULL)
        return NULL;
    if (len > 0) /* an empty name leaves the BIO without a buffer */
        memcpy(s, data, (size_t)len);
    s[len] = '\0';
    return s;
}

static char *name_rfc4514(const X509_NAME *name)
{
    /* RFC 2253 order and escaping, but UTF-8 kept as is (RFC 4514). */
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = NULL;
    if (bio != NULL && X509_NAME_print_ex(bio, name, 0, flags) >= 0)
        s = bio_to_string(bio);
    BIO_free(bio);
    return s;
}

static char *name_cn(const X509_NAME *name)
{
    int idx = -1, last = -1;
    while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
        last = idx;
    if (last < 0)
        return NULL;
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0)
        return NULL;
    char *s = malloc((size_t)len + 1);
    if (s != NULL) {
        memcpy(s, utf8, (size_t)len);
        s[len] = '\0';
    }
    OPENSSL_free(utf8);
    return s;
}

static bool format_time(const ASN1_TIME *t, char *buf, size_t len, time_t *epoch)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return false;
    char tmp[64]; /* wide enough for any int, so the compiler sees no truncation */
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    size_t n = strlen(tmp);
    if (n >= len)
        return false;
    memcpy(buf, tmp, n + 1);
    if (epoch != NULL)
        *epoch = timegm(&tm);
    return true;
}

static char *serial_hex(const ASN1_INTEGER *serial)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    char *s = NULL;
    BN_free(bn);
    if (hex == NULL)
        return NULL;
    s = strdup(hex);
    OPENSSL_free(hex);
    for (char *p = s; p && *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return s;
}

static char *san_string(const GENERAL_NAME *gn)
{
    const char *prefix;
    const ASN1_STRING *str;
    char buf[64];

    switch (gn->type) {
    case GEN_DNS:
        prefix = "DNS:";
        str = gn->d.dNSName;
        break;
    case GEN_EMAIL:
        prefix = "email:";
        str = gn->d.rfc822Name;
        break;
    case GEN_URI:
        prefix = "URI:";
        str = gn->d.uniformResourceIdentifier;
        break;
    case GEN_IPADD: {
        const unsigned char *ip = gn->d.iPAddress->data;
        int len = gn->d.iPAddress->length;
        if (len == 4) {
            snprintf(buf, sizeof(buf), "IP:%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
        } else if (len == 16) {
            char *p = buf + snprintf(buf, sizeof(buf), "IP:");
            for (int i = 0; i < 16; i += 2)
                p += snprintf(p, (size_t)(buf + sizeof(buf) - p), "%s%x", i ? ":" : "",
                              (unsigned)(ip[i] << 8 | ip[i + 1]));
        } else {
            snprintf(buf, sizeof(buf), "IP:<invalid>");
        }
        return strdup(buf);
    }
    default:
        return NULL; /* otherName, X.400, directory names: not recorded */
    }
    size_t plen = strlen(prefix), len = (size_t)ASN1_STRING_length(str);
    char *s = malloc(plen + len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, prefix, plen);
    memcpy(s + plen, ASN1_STRING_get0_data(str), len);
    s[plen + len] = '\0';
    /* An embedded NUL would truncate the name silently: make it visible. */
    for (size_t i = plen; i < plen + len; i++)
        if (s[i] == '\0')
            s[i] = '?';
    return s;
}

static bool collect_sans(X509 *cert, struct cs_cert_facts *facts)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    bool ok = true;
    if (names == NULL)
        return true;
    int n = sk_GENERAL_NAME_num(names);
    facts->sans = calloc((size_t)n + 1, sizeof(char *));
    if (facts->sans == NULL) {
        ok = false;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        char *s = san_string(sk_GENERAL_NAME_value(names, i));
        if (s != NULL)
            facts->sans[facts->nsans++] = s;
    }
out:
    GENERAL_NAMES_free(names);
    return ok;
}

static const char *key_type_name(const EVP_PKEY *key)
{
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return "RSA";
    case EVP_PKEY_RSA_PSS:
        return "RSA-PSS";
    case EVP_PKEY_EC:
        return "EC";
    case EVP_PKEY_ED25519:
        return "Ed25519";
    case EVP_PKEY_ED448:
        return "Ed448";
    case EVP_PKEY_DSA:
        return "DSA";
    case EVP_PKEY_DH:
        return "DH";
    default:
        return "unknown";
    }
}

static char *cert_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = NULL;
    if (bio != NULL && PEM_write_bio_X509(bio, cert))
        s = bio_to_string(bio);
    BIO_free(bio);
    return s;
}

enum cs_rc cs_cert_sha256(X509 *cert, char *out)
{
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int derlen = i2d_X509(cert, &der);
    bool ok = derlen > 0 && EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL);

    OPENSSL_free(der);
    if (!ok)
        return CS_ERR_TLS;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return CS_OK;
}

enum cs_rc cs_cert_facts_get(X509 *cert, struct cs_cert_facts *facts, char *err, size_t errlen)
{
    int derlen = i2d_X509(cert, NULL);
    if (derlen <= 0 || cs_cert_sha256(cert, facts->sha256) != CS_OK)
        return cs_fail(err, errlen, CS_ERR_TLS, "cannot encode certificate");
    facts->der_len = (size_t)derlen;

    facts->subject = name_rfc4514(X509_get_subject_name(cert));
    facts->issuer = name_rfc4514(X509_get_issuer_name(cert));
    facts->subject_cn = name_cn(X509_get_subject_name(cert));
    facts->serial = serial_hex(X509_get0_serialNumber(cert));
    facts->pem = cert_pem(cert);
    if (facts->subject == NULL || facts->issuer == NULL || facts->serial == NULL ||
        facts->pem == NULL || !collect_sans(cert, facts)) {
        cs_cert_facts_clear(facts);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading a certificate");
    }
    /* A time that does not parse is left empty rather than invented. */
    format_time(X509_get0_notBefore(cert), facts->not_before, sizeof(facts->not_before), NULL);
    format_time(X509_get0_notAfter(cert), facts->not_after, sizeof(facts->not_after),
                &facts->not_after_epoch);

    EVP_PKEY *key = X509_get0_pubkey(cert);
    facts->key_type = key ? key_type_name(key) : "unknown";
    facts->key_bits = key ? EVP_PKEY_get_bits(key) : 0;
    int sig_nid = X509_get_signature_nid(cert);
    facts->sig_alg = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown";
    /* Issuer equals subject and the certificate's own key verifies its
     * signature: a name match alone would call a forged look-alike a root.
     * The name check comes first because the signature check is costly. */
    facts->self_signed = X509_self_signed(cert, 0) == 1 && X509_self_signed(cert, 1) == 1;
    return CS_OK;
}

void cs_cert_facts_clear(struct cs_cert_facts *facts)
{
    free(facts->subject);
    free(facts->subject_cn);
    free(facts->issuer);
    free(facts->serial);
    free(facts->pem);
    for (size_t i = 0; i < facts->nsans; i++)
        free(facts->sans[i]);
    free(facts->sans);
    memset(facts, 0, sizeof(*facts));
}

static bool copy_string(const char *src, char **dst)
{
    *dst = src ? strdup(src) : NULL;
    return src == NULL || *dst != NULL;
}

enum cs_rc cs_cert_facts_copy(const struct cs_cert_facts *src, struct cs_cert_facts *dst)
{
    *dst = *src; /* fixed-size fields and static strings */
    dst->subject = dst->subject_cn = dst->issuer = dst->serial = dst->pem = NULL;
    dst->sans = NULL;
    dst->nsans = 0;
    bool ok = copy_string(src->subject, &dst->subject) &&
              copy_string(src->subject_cn, &dst->subject_cn) &&
              copy_string(src->issuer, &dst->issuer) && copy_string(src->serial, &dst->serial) &&
              copy_string(src->pem, &dst->pem) &&
              (dst->sans = calloc(src->nsans + 1, sizeof(char *))) != NULL;
    for (size_t i = 0; ok && i < src->nsans; i++, dst->nsans++)
        ok = copy_string(src->sans[i], &dst->sans[i]);
    if (!ok) {
        cs_cert_facts_clear(dst);
        return CS_ERR_NOMEM;
    }
    return CS_OK;
}
