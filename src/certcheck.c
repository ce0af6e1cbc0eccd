/*
 * The certificate checks of a vulnerability scan (certcheck.h). Each check
 * reads the chain as the server sent it and adds at most one finding per
 * id: when several certificates are at fault (two weak keys, say), the
 * detail names each of them, so that a report or a ticket has one line per
 * problem and endpoint.
 */
#include "certcheck.h"

#include "sbuf.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECONDS_PER_DAY 86400

/* ---- naming certificates ------------------------------------------------ */

/* How details name a certificate: "CN=leaf.test" (the last CN, as in
 * x509info.c), else the whole name in RFC 4514 form, else "(unnamed)".
 * Cut to fit buf, never inside a UTF-8 character. */
static void name_text(const X509_NAME *name, char *buf, size_t len)
{
    int idx = -1, last = -1;

    while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
        last = idx;
    if (last >= 0) {
        const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
        unsigned char *utf8 = NULL;
        if (ASN1_STRING_to_UTF8(&utf8, cn) >= 0) {
            const char *s = (const char *)utf8;
            snprintf(buf, len, "CN=%.*s", (int)cs_utf8_cut(s, len - 4), s);
            OPENSSL_free(utf8);
            return;
        }
    }
    /* RFC 2253 order and escaping, UTF-8 kept as is (RFC 4514). */
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    if (bio != NULL && X509_NAME_print_ex(bio, name, 0, flags) > 0 && BIO_write(bio, "", 1) == 1 &&
        BIO_get_mem_data(bio, &data) > 0)
        snprintf(buf, len, "%.*s", (int)cs_utf8_cut(data, len - 1), data);
    else
        snprintf(buf, len, "(unnamed)");
    BIO_free(bio);
}

static void cert_name(X509 *cert, char *buf, size_t len)
{
    name_text(X509_get_subject_name(cert), buf, len);
}

/* ---- validity ----------------------------------------------------------- */

/* t as seconds since the epoch and as RFC 3339 UTC text; false if t does
 * not parse (then the dates are not judged: nothing is invented). */
static bool cert_time(const ASN1_TIME *t, time_t *epoch, char *text, size_t len)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return false;
    *epoch = timegm(&tm);
    return strftime(text, len, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
}

/* "8 days", "1 day", "less than a day": whole days, rounded down. */
static const char *days_text(time_t seconds, char *buf, size_t len)
{
    long long days = (long long)(seconds / SECONDS_PER_DAY);
    if (days == 0)
        snprintf(buf, len, "less than a day");
    else
        snprintf(buf, len, "%lld day%s", days, days == 1 ? "" : "s");
    return buf;
}

/* Only the leaf's dates give expired, not_yet_valid and expiring. An
 * intermediate or root out of its validity period fails the verification
 * in check_trust, which reports it as untrusted_chain. */
static enum cs_rc check_validity(X509 *leaf, time_t now, int expiring_days,
                                 struct cs_findings *findings)
{
    char text[32], days[32];
    time_t from, until;
    enum cs_rc rc = CS_OK;

    if (cert_time(X509_get0_notBefore(leaf), &from, text, sizeof(text)) && now < from)
        rc = cs_findings_add(findings, "not_yet_valid", "valid from %s, in %s", text,
                             days_text(from - now, days, sizeof(days)));
    if (rc != CS_OK || !cert_time(X509_get0_notAfter(leaf), &until, text, sizeof(text)))
        return rc;
    /* RFC 5280 4.1.2.5: the certificate is valid through notAfter itself. */
    if (now > until)
        return cs_findings_add(findings, "expired", "expired %s, %s ago", text,
                               days_text(now - until, days, sizeof(days)));
    if (expiring_days > 0 && until - now < (time_t)expiring_days * SECONDS_PER_DAY)
        return cs_findings_add(findings, "expiring", "expires %s, in %s", text,
                               days_text(until - now, days, sizeof(days)));
    return CS_OK;
}

/* ---- signature and key -------------------------------------------------- */

/* The severity of cert's signature hash, or -1 when it is strong enough. */
static int weak_hash_severity(X509 *cert)
{
    int md_nid = NID_undef, pk_nid;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, &pk_nid))
        return -1;
    switch (md_nid) {
    case NID_md2:
    case NID_md4:
    case NID_md5:
        return CS_SEVERITY_HIGH; /* collisions are cheap: certificates have been forged */
    case NID_sha1:
        return CS_SEVERITY_MEDIUM; /* chosen-prefix collisions cost a fortune, still */
    default:
        return -1;
    }
}

static enum cs_rc check_signatures(STACK_OF(X509) * chain, struct cs_findings *findings)
{
    struct cs_sbuf detail = {0};
    int worst = -1;
    char name[256];

    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *cert = sk_X509_value(chain, i);
        /* A self-signed root is trusted for what it is, not for its
         * signature, which no client checks. */
        if (i > 0 && X509_self_signed(cert, 0) == 1)
            continue;
        int severity = weak_hash_severity(cert);
        if (severity < 0)
            continue;
        if (severity > worst)
            worst = severity;
        cert_name(cert, name, sizeof(name));
        cs_sbuf_printf(&detail, "%s%s (%s)", detail.len ? "; " : "",
                       OBJ_nid2ln(X509_get_signature_nid(cert)), name);
    }
    if (worst < 0)
        return CS_OK;
    char *text = cs_sbuf_take(&detail);
    enum cs_rc rc = text == NULL ? CS_ERR_NOMEM
                                 : cs_findings_add_severity(findings, "weak_signature",
                                                            (enum cs_severity)worst, "%s", text);
    free(text);
    return rc;
}

/* Writes "RSA 1024 bits" into buf and returns true when key is too weak:
 * RSA below 2048 bits (NIST SP 800-131A since 2014), EC below 224, and
 * DSA of any size (withdrawn by FIPS 186-5). */
static bool weak_key_text(EVP_PKEY *key, char *buf, size_t len)
{
    int bits = EVP_PKEY_get_bits(key);
    const char *type;

    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        if (bits >= 2048)
            return false;
        type = "RSA";
        break;
    case EVP_PKEY_EC:
        if (bits >= 224)
            return false;
        type = "EC";
        break;
    case EVP_PKEY_DSA:
        type = "DSA";
        break;
    default:
        return false;
    }
    snprintf(buf, len, "%s %d bits", type, bits);
    return true;
}

static enum cs_rc check_keys(STACK_OF(X509) * chain, struct cs_findings *findings)
{
    struct cs_sbuf detail = {0};
    bool weak = false;
    char key[32], name[256];

    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *cert = sk_X509_value(chain, i);
        EVP_PKEY *pkey = X509_get0_pubkey(cert);
        if (pkey == NULL || !weak_key_text(pkey, key, sizeof(key)))
            continue;
        weak = true;
        cert_name(cert, name, sizeof(name));
        cs_sbuf_printf(&detail, "%s%s (%s)", detail.len ? "; " : "", key, name);
    }
    if (!weak)
        return CS_OK;
    char *text = cs_sbuf_take(&detail);
    enum cs_rc rc = text == NULL ? CS_ERR_NOMEM : cs_findings_add(findings, "weak_key", "%s", text);
    free(text);
    return rc;
}

/* ---- trust -------------------------------------------------------------- */

/* The leaf's dates are judged by check_validity, and judging them here
 * again would add untrusted_chain to every expired certificate. Every
 * other certificate's dates still count: an expired intermediate makes
 * the chain untrusted. */
static int ignore_leaf_dates(int ok, X509_STORE_CTX *ctx)
{
    int error = X509_STORE_CTX_get_error(ctx);
    if (!ok && X509_STORE_CTX_get_error_depth(ctx) == 0 &&
        (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID)) {
        X509_STORE_CTX_set_error(ctx, X509_V_OK);
        return 1;
    }
    return ok;
}

static enum cs_rc check_trust(STACK_OF(X509) * chain, X509_STORE *store, time_t now,
                              struct cs_findings *findings)
{
    X509 *leaf = sk_X509_value(chain, 0);
    X509 *last = sk_X509_value(chain, sk_X509_num(chain) - 1);
    X509_STORE_CTX *ctx = NULL;
    char name[256], issuer[256];
    enum cs_rc rc = CS_OK;

    /* Issuer equals subject and its own key verifies the signature (as
     * x509info.c's self_signed): a mere name match is not enough. */
    bool self_signed = X509_self_signed(leaf, 1) == 1;
    if (self_signed) {
        cert_name(leaf, name, sizeof(name));
        if ((rc = cs_findings_add(findings, "self_signed", "%s is its own issuer", name)) != CS_OK)
            goto out;
    }

    /* The whole chain goes in as untrusted: OpenSSL builds the path from
     * it, and the leaf's presence there is harmless. */
    ctx = X509_STORE_CTX_new();
    if (ctx == NULL || !X509_STORE_CTX_init(ctx, store, leaf, chain)) {
        rc = CS_ERR_NOMEM;
        goto out;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    X509_STORE_CTX_set_verify_cb(ctx, ignore_leaf_dates);
    /* A self-signed leaf cannot chain to anything: self_signed says it. */
    if (X509_verify_cert(ctx) == 1 || self_signed)
        goto out;

    int error = X509_STORE_CTX_get_error(ctx);
    X509 *at = X509_STORE_CTX_get_current_cert(ctx);
    if (at == NULL)
        at = last;
    cert_name(at, name, sizeof(name));
    /* The issuer is neither sent nor known, and what the server sent ends
     * with a certificate that is no CA: the server leaves out an
     * intermediate, which browsers fetch or cache and other clients do not.
     * A chain that ends with an intermediate whose root is unknown is
     * complete but untrusted. */
    if ((error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) &&
        X509_self_signed(last, 0) != 1 && X509_check_ca(last) == 0) {
        name_text(X509_get_issuer_name(at), issuer, sizeof(issuer));
        rc = cs_findings_add(findings, "incomplete_chain",
                             "the server does not send the issuer of %s (%s)", name, issuer);
    } else {
        rc = cs_findings_add(findings, "untrusted_chain", "%s (%s, depth %d)",
                             X509_verify_cert_error_string(error), name,
                             X509_STORE_CTX_get_error_depth(ctx));
    }
out:
    X509_STORE_CTX_free(ctx);
    return rc;
}

/* ---- host name ---------------------------------------------------------- */

/* Appends the names a client matches a host name against: the DNS and IP
 * subjectAltNames, and the last CN when there is no DNS name (X509_check_host
 * falls back to it then). */
static void add_cert_names(X509 *cert, struct cs_sbuf *out)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    bool dns = false;
    char ip[INET6_ADDRSTRLEN], cn[256];

    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        const char *sep = out->len ? ", " : "";
        if (gn->type == GEN_DNS) {
            dns = true;
            cs_sbuf_printf(out, "%sDNS:%.*s", sep, ASN1_STRING_length(gn->d.dNSName),
                           (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
        } else if (gn->type == GEN_IPADD) {
            int len = ASN1_STRING_length(gn->d.iPAddress);
            int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : AF_UNSPEC;
            if (family != AF_UNSPEC &&
                inet_ntop(family, ASN1_STRING_get0_data(gn->d.iPAddress), ip, sizeof(ip)))
                cs_sbuf_printf(out, "%sIP:%s", sep, ip);
        }
    }
    GENERAL_NAMES_free(names);
    if (!dns && X509_NAME_get_index_by_NID(X509_get_subject_name(cert), NID_commonName, -1) >= 0) {
        cert_name(cert, cn, sizeof(cn));
        cs_sbuf_printf(out, "%s%s", out->len ? ", " : "", cn);
    }
}

static enum cs_rc check_host(X509 *leaf, const char *host, struct cs_findings *findings)
{
    struct cs_sbuf names = {0};

    if (X509_check_host(leaf, host, 0, 0, NULL) == 1)
        return CS_OK;
    cs_sbuf_str(&names, ""); /* so that a certificate without names gives "" */
    add_cert_names(leaf, &names);
    char *text = cs_sbuf_take(&names);
    if (text == NULL)
        return CS_ERR_NOMEM;
    enum cs_rc rc = cs_findings_add(findings, "hostname_mismatch",
                                    "%s is not among the certificate's names: %s", host,
                                    *text ? text : "(none)");
    free(text);
    return rc;
}

/* ---- the checks --------------------------------------------------------- */

static bool holds_certificate(X509_STORE *store)
{
    STACK_OF(X509_OBJECT) *objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); i++)
        if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objects, i)) == X509_LU_X509)
            return true;
    return false;
}

enum cs_rc cs_certcheck_store_new(const struct cs_certcheck_opts *opts, X509_STORE **store,
                                  char *err, size_t errlen)
{
    X509_STORE *s = X509_STORE_new();
    enum cs_rc rc = CS_OK;

    *store = NULL;
    if (s == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory creating a trust store");
        goto out;
    }
    if (opts->ca_file != NULL) {
        /* A file without a certificate fails to load in OpenSSL 3 ("no
         * certificate or crl found"); one with CRLs alone does not. */
        if (X509_STORE_load_file(s, opts->ca_file) != 1) {
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "cannot load the CA file %s", opts->ca_file);
            cs_ssl_errors_append(err, errlen);
            goto out;
        }
        if (!holds_certificate(s)) {
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "the CA file %s holds no certificate",
                         opts->ca_file);
            goto out;
        }
    } else if (X509_STORE_set_default_paths(s) != 1) {
        rc = cs_fail(err, errlen, CS_ERR_TLS, "cannot load the system's trusted certificates");
        cs_ssl_errors_append(err, errlen);
        goto out;
    }
    *store = s;
    s = NULL;
out:
    X509_STORE_free(s);
    return rc;
}

enum cs_rc cs_certcheck_run(STACK_OF(X509) * chain, X509_STORE *store, const char *host,
                            const char *ip, const struct cs_certcheck_opts *opts,
                            struct cs_findings *findings)
{
    time_t now = opts->now ? opts->now : time(NULL);
    enum cs_rc rc;

    if (chain == NULL || sk_X509_num(chain) == 0)
        return CS_OK;
    X509 *leaf = sk_X509_value(chain, 0);

    /* What OpenSSL queues while judging a bad certificate is no error of
     * the caller's, and a stale error would confuse its next TLS call. */
    ERR_set_mark();
    if ((rc = check_validity(leaf, now, opts->expiring_days, findings)) != CS_OK ||
        (rc = check_signatures(chain, findings)) != CS_OK ||
        (rc = check_keys(chain, findings)) != CS_OK ||
        (rc = check_trust(chain, store, now, findings)) != CS_OK)
        goto out;
    /* A scan by address (host NULL) checks no name at all, not even ip
     * against the IP subjectAltNames: certificates name hosts, few carry
     * IP SANs, and a mismatch on nearly every endpoint scanned without a
     * name would bury the findings that matter. */
    if (host != NULL)
        rc = check_host(leaf, host, findings);
out:
    ERR_pop_to_mark();
    return rc;
}
