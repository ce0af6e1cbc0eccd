/*
 * Revocation checks (revocation.h): the judges of OCSP responses and CRLs,
 * and the checker that fetches them for many leaves with one libcurl multi
 * handle.
 *
 * The fetches are event-driven and bounded: every transfer is an easy
 * handle in one multi handle, at most max_fetches at a time, each with a
 * whole-transfer deadline and a cap on what it may download. Nothing is
 * fetched twice in a run: leaves are kept once per SHA-256 (one OCSP
 * request each), CRLs once per URL, and a URL that failed stays failed
 * until the next run.
 *
 * Only http:// is fetched. OCSP responses and CRLs are signed objects and
 * travel over plain HTTP by design (RFC 5280 4.2.1.13, RFC 6960 A.1); an
 * https:// URL would need the very revocation check it serves. Redirects
 * are not followed: a responder that redirects is reported unreachable.
 */
#include "revocation.h"

#include "log.h"
#include "sbuf.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_FETCHES 16
#define LEAF_BUCKETS 1024
#define URL_MAX 2048 /* longer URLs in a certificate are ignored */
/* How long curl_multi_poll waits at most, so that *stop is seen soon. */
#define POLL_MS 200

/* ---- names and times -------------------------------------------------- */

const char *cs_rev_status_name(enum cs_rev_status status)
{
    switch (status) {
    case CS_REV_GOOD:
        return "good";
    case CS_REV_REVOKED:
        return "revoked";
    case CS_REV_UNKNOWN:
        return "unknown";
    case CS_REV_UNUSABLE:
        return "unusable";
    }
    return "unusable";
}

const char *cs_rev_reason_name(int reason)
{
    /* RFC 5280 5.3.1; 7 is not used. */
    static const char *const names[] = {
        "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
        "superseded",    "cessationOfOperation", "certificateHold", "unspecified",
        "removeFromCRL", "privilegeWithdrawn",   "aACompromise",
    };
    if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]))
        return "unspecified";
    return names[reason];
}

/* t as seconds since the epoch; false when it does not parse. */
static bool asn1_epoch(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return false;
    *out = timegm(&tm);
    return true;
}

static const char *time_text(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "(unreadable time)");
    return buf;
}

static enum cs_rev_status unusable(struct cs_rev_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets v to UNUSABLE with a reason. */
static enum cs_rev_status unusable(struct cs_rev_verdict *v, const char *fmt, ...)
{
    va_list ap;
    v->status = CS_REV_UNUSABLE;
    va_start(ap, fmt);
    vsnprintf(v->why, sizeof(v->why), fmt, ap);
    va_end(ap);
    return v->status;
}

/* Whether [this_update, next_update] covers now, with leeway; else v
 * becomes UNUSABLE saying why. next_update NULL: no end. */
static bool current(const ASN1_TIME *this_update, const ASN1_TIME *next_update, time_t now,
                    struct cs_rev_verdict *v)
{
    time_t from, until;
    char text[32];

    if (!asn1_epoch(this_update, &from)) {
        unusable(v, "unreadable thisUpdate");
        return false;
    }
    if (from > now + CS_REV_LEEWAY_S) {
        unusable(v, "issued in the future (%s)", time_text(from, text, sizeof(text)));
        return false;
    }
    if (next_update == NULL)
        return true;
    if (!asn1_epoch(next_update, &until)) {
        unusable(v, "unreadable nextUpdate");
        return false;
    }
    if (until + CS_REV_LEEWAY_S < now) {
        unusable(v, "stale: nextUpdate %s has passed", time_text(until, text, sizeof(text)));
        return false;
    }
    v->next_update = until;
    return true;
}

/* ---- OCSP ---------------------------------------------------------------- */

/*
 * Whether bs is signed by issuer, or by a responder certificate carried in
 * bs that issuer signed for OCSP signing and that is valid at now. The
 * issuer alone is the trust anchor (PARTIAL_CHAIN lets an intermediate be
 * one): what counts is what the issuer says, not whether the scanner
 * trusts the issuer (that is untrusted_chain's business). NOEXPLICIT
 * keeps OpenSSL from accepting any signer under a self-signed anchor as
 * "explicitly trusted" when the responder checks fail.
 */
static bool ocsp_authentic(OCSP_BASICRESP *bs, X509 *issuer, time_t now)
{
    X509_STORE *anchor = X509_STORE_new();
    STACK_OF(X509) *certs = sk_X509_new_null();
    bool ok = false;

    if (anchor == NULL || certs == NULL || !X509_STORE_add_cert(anchor, issuer) ||
        !sk_X509_push(certs, issuer))
        goto out;
    X509_VERIFY_PARAM *param = X509_STORE_get0_param(anchor);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, now);
    ok = OCSP_basic_verify(bs, certs, anchor, OCSP_NOEXPLICIT) == 1;
out:
    sk_X509_free(certs); /* issuer itself is the caller's */
    X509_STORE_free(anchor);
    return ok;
}

enum cs_rev_status cs_ocsp_judge(const unsigned char *der, size_t len, X509 *leaf, X509 *issuer,
                                 time_t now, struct cs_rev_verdict *v)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    OCSP_CERTID *id = NULL;
    ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL, *nextupd = NULL;
    int status, reason = -1;

    memset(v, 0, sizeof(*v));
    v->reason = -1;
    /* Whatever OpenSSL queues about a bad answer is no error of the
     * caller's. */
    ERR_set_mark();
    if (len == 0 || len > CS_OCSP_RESPONSE_MAX ||
        (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL) {
        unusable(v, "not an OCSP response");
        goto out;
    }
    status = OCSP_response_status(resp);
    if (status == OCSP_RESPONSE_STATUS_UNAUTHORIZED) {
        /* RFC 5019 2.2.3: the responder does not serve this CA. */
        v->status = CS_REV_UNKNOWN;
        snprintf(v->why, sizeof(v->why), "the responder answered unauthorized");
        goto out;
    }
    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        unusable(v, "the responder answered %s", OCSP_response_status_str(status));
        goto out;
    }
    if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
        unusable(v, "not a basic OCSP response");
        goto out;
    }
    if (!ocsp_authentic(bs, issuer, now)) {
        unusable(v, "the response is not signed by the issuer or its responder");
        goto out;
    }
    if ((id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer)) == NULL) {
        unusable(v, "cannot compute the certificate's OCSP id");
        goto out;
    }
    if (!OCSP_resp_find_status(bs, id, &status, &reason, &revtime, &thisupd, &nextupd)) {
        unusable(v, "the response is not about this certificate");
        goto out;
    }
    if (!current(thisupd, nextupd, now, v))
        goto out;
    switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
        v->status = CS_REV_GOOD;
        break;
    case V_OCSP_CERTSTATUS_REVOKED:
        v->status = CS_REV_REVOKED;
        v->reason = reason;
        if (!asn1_epoch(revtime, &v->revoked_at))
            v->revoked_at = 0;
        break;
    default:
        v->status = CS_REV_UNKNOWN;
        snprintf(v->why, sizeof(v->why), "the responder does not know the certificate");
        break;
    }
out:
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ERR_pop_to_mark();
    return v->status;
}

/* A DER OCSP request for id (no nonce: most responders serve pre-signed
 * answers and ignore it; the freshness window is what guards against an
 * old answer replayed). The caller frees *der with OPENSSL_free. */
static bool ocsp_request_der(X509 *leaf, X509 *issuer, unsigned char **der, int *len)
{
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
    bool ok = false;

    *der = NULL;
    if (req == NULL || id == NULL || OCSP_request_add0_id(req, id) == NULL)
        goto out;
    id = NULL; /* the request owns it now */
    ok = (*len = i2d_OCSP_REQUEST(req, der)) > 0;
out:
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    return ok;
}

/* ---- CRL --------------------------------------------------------------- */

/* data as a CRL, DER or PEM; NULL when it is neither. */
static X509_CRL *crl_parse(const unsigned char *data, size_t len)
{
    static const char pem[] = "-----BEGIN";
    X509_CRL *crl = NULL;

    if (len == 0 || len > CS_CRL_MAX)
        return NULL;
    if (len >= sizeof(pem) - 1 && memcmp(data, pem, sizeof(pem) - 1) == 0) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        if (bio != NULL)
            crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
        BIO_free(bio);
        return crl;
    }
    const unsigned char *p = data;
    return d2i_X509_CRL(NULL, &p, (long)len);
}

/* Whether crl is issuer's, signed by its key, a full CRL, and current;
 * else v says why not. */
static bool crl_authentic(X509_CRL *crl, X509 *issuer, time_t now, struct cs_rev_verdict *v)
{
    EVP_PKEY *key = X509_get0_pubkey(issuer);

    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
        unusable(v, "the CRL is not the issuer's");
        return false;
    }
    if (key == NULL || X509_CRL_verify(crl, key) != 1) {
        unusable(v, "the CRL's signature does not verify with the issuer's key");
        return false;
    }
    if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
        unusable(v, "a delta CRL");
        return false;
    }
    return current(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl), now, v);
}

/* leaf's entry in an authentic crl; v->next_update is kept. */
static enum cs_rev_status crl_lookup(X509_CRL *crl, X509 *leaf, struct cs_rev_verdict *v)
{
    X509_REVOKED *rev = NULL;

    /* 2: listed with removeFromCRL, which only a delta CRL may say. */
    if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(leaf)) != 1 || rev == NULL) {
        v->status = CS_REV_GOOD;
        return v->status;
    }
    v->status = CS_REV_REVOKED;
    if (!asn1_epoch(X509_REVOKED_get0_revocationDate(rev), &v->revoked_at))
        v->revoked_at = 0;
    ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
    v->reason = reason != NULL ? (int)ASN1_ENUMERATED_get(reason) : -1;
    ASN1_ENUMERATED_free(reason);
    return v->status;
}

enum cs_rev_status cs_crl_judge(const unsigned char *data, size_t len, X509 *leaf, X509 *issuer,
                                time_t now, struct cs_rev_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->reason = -1;
    ERR_set_mark();
    X509_CRL *crl = crl_parse(data, len);
    if (crl == NULL)
        unusable(v, "not a CRL");
    else if (crl_authentic(crl, issuer, now, v))
        crl_lookup(crl, leaf, v);
    X509_CRL_free(crl);
    ERR_pop_to_mark();
    return v->status;
}

/* ---- URLs in the certificate ------------------------------------------ */

/* A copy of an http:// URI, or NULL (noting in *skipped another scheme). */
static char *http_uri(const GENERAL_NAME *gn, bool *skipped)
{
    if (gn == NULL || gn->type != GEN_URI)
        return NULL;
    const char *s = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
    int len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
    /* No NUL inside (a forged name could hide a second URL), no controls. */
    if (len <= 7 || len > URL_MAX || strncasecmp(s, "http://", 7) != 0 ||
        memchr(s, '\0', (size_t)len) != NULL) {
        if (skipped != NULL)
            *skipped = true;
        return NULL;
    }
    for (int i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f) {
            if (skipped != NULL)
                *skipped = true;
            return NULL;
        }
    return strndup(s, (size_t)len);
}

char *cs_ocsp_url(X509 *cert, bool *skipped)
{
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    char *url = NULL;

    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia) && url == NULL; i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) == NID_ad_OCSP)
            url = http_uri(ad->location, skipped);
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    return url;
}

char *cs_crl_url(X509 *cert, bool *skipped)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    char *url = NULL;

    for (int i = 0; i < sk_DIST_POINT_num(dps) && url == NULL; i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        /* A relative name (type 1) names no URL; an indirect CRL (cRLIssuer)
         * is not understood. */
        if (dp->distpoint == NULL || dp->distpoint->type != 0 || dp->CRLissuer != NULL)
            continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names) && url == NULL; j++)
            url = http_uri(sk_GENERAL_NAME_value(names, j), skipped);
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return url;
}

/* ---- the checker ---------------------------------------------------------- */

enum fetch_state { FETCH_WAITING, FETCH_RUNNING, FETCH_DONE, FETCH_FAILED };

/* One CRL URL and what came of it. */
struct crl_source {
    char *url;
    enum fetch_state state;
    X509_CRL *crl;                   /* DONE: parsed, or NULL (then why says it is no CRL) */
    char why[200];                   /* FAILED: the transport failure */
    X509 *checked_for;               /* the issuer `authentic` was decided for (a reference) */
    struct cs_rev_verdict authentic; /* GOOD, or UNUSABLE with why */
    struct crl_source *next;
};

/* One leaf, once per SHA-256. */
struct leaf {
    unsigned char sha256[32];
    X509 *cert, *issuer; /* references */
    char *ocsp_url;      /* NULL: no OCSP */
    struct crl_source *crl;
    enum fetch_state ocsp_state;
    char ocsp_failure[200]; /* FAILED: why */
    struct cs_rev_verdict ocsp, crl_verdict;
    bool judged; /* the last run decided everything above */
    struct leaf *next_in_bucket, *next;
};

/* One transfer in flight. */
struct fetch {
    CURL *easy;
    struct leaf *leaf;      /* an OCSP request, or */
    struct crl_source *crl; /* a CRL download */
    unsigned char *request; /* the OCSP request (OPENSSL_free) */
    struct curl_slist *headers;
    unsigned char *body;
    size_t len, cap, max;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
    struct fetch *prev, *next;
};

struct cs_revcheck {
    struct cs_revcheck_opts opts;
    CURLM *multi;
    struct leaf *buckets[LEAF_BUCKETS];
    struct leaf *leaves; /* every leaf, newest first */
    struct crl_source *crls;
    struct fetch *fetches; /* in flight */
    unsigned inflight;
    time_t now; /* of the current run */
};

static size_t bucket_of(const unsigned char sha256[32])
{
    size_t h;
    memcpy(&h, sha256, sizeof(h)); /* a digest: any bytes of it are a hash */
    return h % LEAF_BUCKETS;
}

static struct leaf *leaf_find(const struct cs_revcheck *rc, const unsigned char sha256[32])
{
    for (struct leaf *l = rc->buckets[bucket_of(sha256)]; l != NULL; l = l->next_in_bucket)
        if (memcmp(l->sha256, sha256, 32) == 0)
            return l;
    return NULL;
}

static struct crl_source *crl_source_get(struct cs_revcheck *rc, const char *url)
{
    for (struct crl_source *s = rc->crls; s != NULL; s = s->next)
        if (strcmp(s->url, url) == 0)
            return s;
    struct crl_source *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->url = strdup(url)) == NULL) {
        free(s);
        return NULL;
    }
    s->next = rc->crls;
    rc->crls = s;
    return s;
}

enum cs_rc cs_revcheck_new(const struct cs_revcheck_opts *opts, struct cs_revcheck **out, char *err,
                           size_t errlen)
{
    static bool curl_ready;
    struct cs_revcheck *rc;

    *out = NULL;
    /* Not thread-safe, and need not be: certsweep has one thread. */
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return cs_fail(err, errlen, CS_ERR_RUNTIME, "cannot initialize libcurl");
        curl_ready = true;
    }
    if ((rc = calloc(1, sizeof(*rc))) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    rc->opts = *opts;
    if (rc->opts.timeout_ms == 0)
        rc->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (rc->opts.max_fetches == 0)
        rc->opts.max_fetches = DEFAULT_MAX_FETCHES;
    if ((rc->multi = curl_multi_init()) == NULL) {
        free(rc);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "cannot create a libcurl multi handle");
    }
    *out = rc;
    return CS_OK;
}

static void abort_all(struct cs_revcheck *rc);

void cs_revcheck_free(struct cs_revcheck **rcp)
{
    struct cs_revcheck *rc = rcp ? *rcp : NULL;
    if (rc == NULL)
        return;
    abort_all(rc);
    while (rc->leaves != NULL) {
        struct leaf *l = rc->leaves;
        rc->leaves = l->next;
        X509_free(l->cert);
        X509_free(l->issuer);
        free(l->ocsp_url);
        free(l);
    }
    while (rc->crls != NULL) {
        struct crl_source *s = rc->crls;
        rc->crls = s->next;
        free(s->url);
        X509_CRL_free(s->crl);
        X509_free(s->checked_for);
        free(s);
    }
    curl_multi_cleanup(rc->multi);
    free(rc);
    *rcp = NULL;
}

/* The issuer of chain's leaf: the first later certificate that issued it,
 * else one from store. A new reference, or NULL. */
static X509 *find_issuer(STACK_OF(X509) * chain, X509_STORE *store)
{
    X509 *leaf = sk_X509_value(chain, 0), *issuer = NULL;

    for (int i = 1; i < sk_X509_num(chain); i++) {
        X509 *c = sk_X509_value(chain, i);
        if (X509_check_issued(c, leaf) == X509_V_OK && X509_up_ref(c))
            return c;
    }
    if (store == NULL)
        return NULL;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (ctx != NULL && X509_STORE_CTX_init(ctx, store, leaf, chain) &&
        X509_STORE_CTX_get1_issuer(&issuer, ctx, leaf) != 1)
        issuer = NULL;
    X509_STORE_CTX_free(ctx);
    return issuer;
}

enum cs_rc cs_revcheck_add(struct cs_revcheck *rc, STACK_OF(X509) * chain)
{
    unsigned char sha256[32];
    unsigned int n = 0;
    bool skipped = false;
    char *crl_url = NULL;
    struct leaf *l = NULL;
    enum cs_rc result = CS_OK;

    if (chain == NULL || sk_X509_num(chain) == 0)
        return CS_OK;
    X509 *leaf = sk_X509_value(chain, 0);
    ERR_set_mark();
    if (!X509_digest(leaf, EVP_sha256(), sha256, &n) || n != sizeof(sha256) ||
        leaf_find(rc, sha256) != NULL)
        goto out;
    /* A self-signed certificate has nobody to revoke it. */
    if (X509_self_signed(leaf, 0) == 1)
        goto out;
    if ((l = calloc(1, sizeof(*l))) == NULL) {
        result = CS_ERR_NOMEM;
        goto out;
    }
    memcpy(l->sha256, sha256, sizeof(sha256));
    l->ocsp_url = cs_ocsp_url(leaf, &skipped);
    crl_url = cs_crl_url(leaf, &skipped);
    if (skipped)
        CS_LOG(CS_LOG_DEBUG, CS_LOGC_MAIN, "revocation: a URL other than http:// skipped");
    if (l->ocsp_url == NULL && crl_url == NULL)
        goto out; /* nothing to ask: no finding either */
    if ((l->issuer = find_issuer(chain, rc->opts.store)) == NULL) {
        CS_LOG(CS_LOG_DEBUG, CS_LOGC_MAIN, "revocation: the issuer of a leaf is unknown");
        goto out;
    }
    if (crl_url != NULL && (l->crl = crl_source_get(rc, crl_url)) == NULL) {
        result = CS_ERR_NOMEM;
        goto out;
    }
    X509_up_ref(leaf);
    l->cert = leaf;
    size_t b = bucket_of(sha256);
    l->next_in_bucket = rc->buckets[b];
    rc->buckets[b] = l;
    l->next = rc->leaves;
    rc->leaves = l;
    l = NULL;
out:
    if (l != NULL) {
        X509_free(l->issuer);
        free(l->ocsp_url);
        free(l);
    }
    free(crl_url);
    ERR_pop_to_mark();
    return result;
}

/* ---- fetching -------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fetch *f = arg;
    size_t n = size * nmemb;

    if (n > f->max - f->len) {
        f->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 16384;
        while (cap < f->len + n)
            cap *= 2;
        if (cap > f->max)
            cap = f->max;
        unsigned char *body = realloc(f->body, cap);
        if (body == NULL)
            return 0;
        f->body = body;
        f->cap = cap;
    }
    memcpy(f->body + f->len, data, n);
    f->len += n;
    return n;
}

static void fetch_free(struct fetch *f)
{
    if (f == NULL)
        return;
    curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    OPENSSL_free(f->request);
    free(f->body);
    free(f);
}

/* Starts a transfer for a leaf's OCSP request or a CRL; false when it
 * cannot be set up (then the caller marks it failed). */
static bool fetch_start(struct cs_revcheck *rc, struct leaf *leaf, struct crl_source *crl)
{
    struct fetch *f = calloc(1, sizeof(*f));
    int request_len = 0;
    bool failed = false;

    if (f == NULL || (f->easy = curl_easy_init()) == NULL)
        goto fail;
    f->leaf = leaf;
    f->crl = crl;
    f->max = leaf ? CS_OCSP_RESPONSE_MAX : CS_CRL_MAX;
    CURL *c = f->easy;
    failed |= curl_easy_setopt(c, CURLOPT_URL, leaf ? leaf->ocsp_url : crl->url) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)rc->opts.timeout_ms) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_USERAGENT, "certsweep") != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->errbuf) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_WRITEDATA, f) != CURLE_OK;
    failed |= curl_easy_setopt(c, CURLOPT_PRIVATE, f) != CURLE_OK;
    if (leaf != NULL) {
        /* RFC 6960 A.1: POST, the DER request as the body. */
        if (!ocsp_request_der(leaf->cert, leaf->issuer, &f->request, &request_len) ||
            (f->headers = curl_slist_append(NULL, "Content-Type: application/ocsp-request")) ==
                NULL)
            goto fail;
        failed |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->headers) != CURLE_OK;
        failed |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)request_len) != CURLE_OK;
        failed |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, f->request) != CURLE_OK;
    }
    if (failed || curl_multi_add_handle(rc->multi, c) != CURLM_OK)
        goto fail;
    f->next = rc->fetches;
    if (rc->fetches != NULL)
        rc->fetches->prev = f;
    rc->fetches = f;
    rc->inflight++;
    return true;
fail:
    fetch_free(f);
    return false;
}

/* Copies text into buf (len > 0), cut to fit: a reason may be longer than
 * the line it goes in. */
static void cut_copy(char *buf, size_t len, const char *text)
{
    size_t n = strnlen(text, len - 1);
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* Why a transfer failed, as a finding's detail continues it. */
static void failure_text(struct fetch *f, CURLcode result, char *buf, size_t len)
{
    long status = 0;

    if (f->too_big)
        snprintf(buf, len, "the answer is larger than %zu bytes", f->max);
    else if (result != CURLE_OK)
        cut_copy(buf, len, f->errbuf[0] ? f->errbuf : curl_easy_strerror(result));
    else if (curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
             status != 200)
        snprintf(buf, len, "HTTP status %ld", status);
    else
        buf[0] = '\0';
}

/* Judges what a finished transfer brought. */
static void fetch_done(struct cs_revcheck *rc, struct fetch *f, CURLcode result)
{
    char why[200];

    failure_text(f, result, why, sizeof(why));
    if (f->leaf != NULL) {
        struct leaf *l = f->leaf;
        if (why[0] != '\0') {
            l->ocsp_state = FETCH_FAILED;
            snprintf(l->ocsp_failure, sizeof(l->ocsp_failure), "%s", why);
        } else {
            l->ocsp_state = FETCH_DONE;
            cs_ocsp_judge(f->body, f->len, l->cert, l->issuer, rc->now, &l->ocsp);
        }
        CS_LOG(CS_LOG_DEBUG, CS_LOGC_MAIN, "revocation: OCSP %s: %s", l->ocsp_url,
               why[0] ? why : cs_rev_status_name(l->ocsp.status));
        return;
    }
    struct crl_source *s = f->crl;
    if (why[0] != '\0') {
        s->state = FETCH_FAILED;
        snprintf(s->why, sizeof(s->why), "%s", why);
    } else {
        s->state = FETCH_DONE;
        ERR_set_mark();
        s->crl = crl_parse(f->body, f->len);
        ERR_pop_to_mark();
    }
    CS_LOG(CS_LOG_DEBUG, CS_LOGC_MAIN, "revocation: CRL %s: %s", s->url,
           why[0]   ? why
           : s->crl ? "fetched"
                    : "not a CRL");
}

/* Starts transfers for what waits, within max_fetches. */
static void fill(struct cs_revcheck *rc)
{
    for (struct crl_source *s = rc->crls; s != NULL && rc->inflight < rc->opts.max_fetches;
         s = s->next) {
        if (s->state != FETCH_WAITING)
            continue;
        s->state = FETCH_RUNNING;
        if (!fetch_start(rc, NULL, s)) {
            s->state = FETCH_FAILED;
            snprintf(s->why, sizeof(s->why), "cannot set up the transfer");
        }
    }
    for (struct leaf *l = rc->leaves; l != NULL && rc->inflight < rc->opts.max_fetches;
         l = l->next) {
        if (l->judged || l->ocsp_url == NULL || l->ocsp_state != FETCH_WAITING)
            continue;
        l->ocsp_state = FETCH_RUNNING;
        if (!fetch_start(rc, l, NULL)) {
            l->ocsp_state = FETCH_FAILED;
            snprintf(l->ocsp_failure, sizeof(l->ocsp_failure), "cannot set up the request");
        }
    }
}

static bool waiting(const struct cs_revcheck *rc)
{
    for (const struct crl_source *s = rc->crls; s != NULL; s = s->next)
        if (s->state == FETCH_WAITING)
            return true;
    for (const struct leaf *l = rc->leaves; l != NULL; l = l->next)
        if (!l->judged && l->ocsp_url != NULL && l->ocsp_state == FETCH_WAITING)
            return true;
    return false;
}

/* Takes f out of the multi handle and the list of transfers in flight. */
static void fetch_unlink(struct cs_revcheck *rc, struct fetch *f)
{
    curl_multi_remove_handle(rc->multi, f->easy);
    if (f->prev)
        f->prev->next = f->next;
    else
        rc->fetches = f->next;
    if (f->next)
        f->next->prev = f->prev;
    rc->inflight--;
}

/* Collects the finished transfers. */
static void reap(struct cs_revcheck *rc)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(rc->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        CURLcode result = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        struct fetch *f = (struct fetch *)priv;
        fetch_unlink(rc, f);
        fetch_done(rc, f, result);
        fetch_free(f);
    }
}

/* Stops every transfer in flight; what they were for waits again. */
static void abort_all(struct cs_revcheck *rc)
{
    while (rc->fetches != NULL) {
        struct fetch *f = rc->fetches;
        fetch_unlink(rc, f);
        if (f->leaf)
            f->leaf->ocsp_state = FETCH_WAITING;
        else
            f->crl->state = FETCH_WAITING;
        fetch_free(f);
    }
}

/* The CRL verdict of leaf l, from its source (fetched, failed or not). */
static void judge_crl(struct cs_revcheck *rc, struct leaf *l)
{
    struct crl_source *s = l->crl;

    memset(&l->crl_verdict, 0, sizeof(l->crl_verdict));
    l->crl_verdict.reason = -1;
    if (s == NULL || s->state != FETCH_DONE)
        return;
    if (s->crl == NULL) {
        unusable(&l->crl_verdict, "not a CRL");
        return;
    }
    /* The signature is checked once per issuer: a CRL of 20 MiB is hashed
     * once, not once per leaf. */
    if (s->checked_for == NULL || X509_cmp(s->checked_for, l->issuer) != 0) {
        X509_free(s->checked_for);
        s->checked_for = NULL;
        memset(&s->authentic, 0, sizeof(s->authentic));
        ERR_set_mark();
        if (crl_authentic(s->crl, l->issuer, rc->now, &s->authentic))
            s->authentic.status = CS_REV_GOOD;
        ERR_pop_to_mark();
        if (X509_up_ref(l->issuer))
            s->checked_for = l->issuer;
    }
    l->crl_verdict = s->authentic;
    if (s->authentic.status == CS_REV_GOOD)
        crl_lookup(s->crl, l->cert, &l->crl_verdict);
}

/* At the start of a run: CRLs past their nextUpdate, failed URLs and
 * the issuer checks of the last run are forgotten. */
static void refresh(struct cs_revcheck *rc)
{
    for (struct crl_source *s = rc->crls; s != NULL; s = s->next) {
        X509_free(s->checked_for);
        s->checked_for = NULL;
        time_t until = 0;
        bool stale = s->crl == NULL || !asn1_epoch(X509_CRL_get0_nextUpdate(s->crl), &until) ||
                     until < rc->now;
        if (s->state == FETCH_FAILED || (s->state == FETCH_DONE && stale)) {
            X509_CRL_free(s->crl);
            s->crl = NULL;
            s->state = FETCH_WAITING;
        }
    }
}

enum cs_rc cs_revcheck_run(struct cs_revcheck *rc, const volatile sig_atomic_t *stop, char *err,
                           size_t errlen)
{
    enum cs_rc result = CS_OK;

    rc->now = rc->opts.now ? rc->opts.now : time(NULL);
    refresh(rc);
    for (;;) {
        if (stop != NULL && *stop) {
            result = cs_fail(err, errlen, CS_ERR_INTERRUPTED, "interrupted");
            goto out;
        }
        fill(rc);
        int running = 0;
        CURLMcode mc = curl_multi_perform(rc->multi, &running);
        if (mc != CURLM_OK) {
            result = cs_fail(err, errlen, CS_ERR_RUNTIME, "libcurl: %s", curl_multi_strerror(mc));
            goto out;
        }
        reap(rc);
        if (rc->inflight == 0 && !waiting(rc))
            break;
        if (rc->inflight > 0 &&
            (mc = curl_multi_poll(rc->multi, NULL, 0, POLL_MS, NULL)) != CURLM_OK) {
            result = cs_fail(err, errlen, CS_ERR_RUNTIME, "libcurl: %s", curl_multi_strerror(mc));
            goto out;
        }
    }
    for (struct leaf *l = rc->leaves; l != NULL; l = l->next) {
        if (l->judged)
            continue;
        judge_crl(rc, l);
        l->judged = true;
    }
out:
    if (result != CS_OK)
        abort_all(rc);
    return result;
}

/* ---- findings -------------------------------------------------------------- */

static enum cs_rc add_revoked(struct cs_findings *findings, const char *id,
                              const struct cs_rev_verdict *v, const char *how, const char *url)
{
    char when[48] = "at an unknown time";
    char text[40];

    if (v->revoked_at != 0)
        snprintf(when, sizeof(when), "on %s", time_text(v->revoked_at, text, sizeof(text)));
    return cs_findings_add(findings, id, "revoked %s (%s), %s %s", when,
                           cs_rev_reason_name(v->reason), how, url);
}

/* Appends "; revocation: ..." notes to the endpoint's one inconclusive
 * finding, or adds it. */
static enum cs_rc add_inconclusive(struct cs_findings *findings, const char *notes)
{
    for (size_t i = 0; i < findings->count; i++) {
        struct cs_finding *f = &findings->items[i];
        if (strcmp(f->check->id, "inconclusive") != 0)
            continue;
        size_t old = strlen(f->detail), add = strlen(notes);
        char *detail = realloc(f->detail, old + 2 + add + 1);
        if (detail == NULL)
            return CS_ERR_NOMEM;
        snprintf(detail + old, 2 + add + 1, "%s%s", old ? "; " : "", notes);
        f->detail = detail;
        return CS_OK;
    }
    return cs_findings_add(findings, "inconclusive", "%s", notes);
}

enum cs_rc cs_revcheck_findings(const struct cs_revcheck *rc, STACK_OF(X509) * chain,
                                struct cs_findings *findings)
{
    unsigned char sha256[32];
    unsigned int n = 0;
    struct cs_sbuf notes = {0};
    enum cs_rc result = CS_OK;

    if (chain == NULL || sk_X509_num(chain) == 0)
        return CS_OK;
    if (!X509_digest(sk_X509_value(chain, 0), EVP_sha256(), sha256, &n) || n != sizeof(sha256)) {
        ERR_clear_error();
        return CS_OK;
    }
    const struct leaf *l = leaf_find(rc, sha256);
    if (l == NULL || !l->judged)
        return CS_OK;

    if (l->ocsp_url != NULL) {
        const struct cs_rev_verdict *v = &l->ocsp;
        if (l->ocsp_state == FETCH_FAILED)
            result = cs_findings_add(findings, "ocsp_unreachable", "%s: %s", l->ocsp_url,
                                     l->ocsp_failure);
        else if (v->status == CS_REV_REVOKED)
            result =
                add_revoked(findings, "revoked_ocsp", v, "says the OCSP responder", l->ocsp_url);
        else if (v->status == CS_REV_UNKNOWN)
            result = cs_findings_add(findings, "ocsp_unknown", "%s: %s", l->ocsp_url, v->why);
        else if (v->status == CS_REV_UNUSABLE)
            cs_sbuf_printf(&notes, "revocation: the OCSP answer of %s proves nothing: %s",
                           l->ocsp_url, v->why);
    }
    if (result == CS_OK && l->crl != NULL) {
        const struct cs_rev_verdict *v = &l->crl_verdict;
        if (l->crl->state == FETCH_FAILED)
            result =
                cs_findings_add(findings, "crl_unreachable", "%s: %s", l->crl->url, l->crl->why);
        else if (v->status == CS_REV_REVOKED)
            result = add_revoked(findings, "revoked_crl", v, "in the CRL", l->crl->url);
        else if (v->status == CS_REV_UNUSABLE)
            cs_sbuf_printf(&notes, "%srevocation: the CRL %s proves nothing: %s",
                           notes.len ? "; " : "", l->crl->url, v->why);
    }
    if (result == CS_OK && notes.len > 0) {
        char *text = cs_sbuf_take(&notes);
        result = text ? add_inconclusive(findings, text) : CS_ERR_NOMEM;
        free(text);
    }
    cs_sbuf_free(&notes);
    return result;
}
