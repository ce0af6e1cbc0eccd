/*
 * Revocation checks of a vulnerability scan (certsweep vuln --revocation):
 * does the issuer of an endpoint's certificate say it is revoked? Asked
 * over OCSP (the responder named in the certificate's Authority
 * Information Access) and by the CRL (its CRL Distribution Points), both
 * plain HTTP by design, fetched with one libcurl multi handle: many chains
 * in, every fetch at once (bounded), no thread.
 *
 * Two layers. cs_ocsp_judge() and cs_crl_judge() are pure: bytes of an
 * answer in, a verdict out, no I/O; they are what the unit tests and the
 * fuzz harnesses drive. struct cs_revcheck does the I/O: it collects the
 * leaves of many chains, fetches what they need once (one OCSP request per
 * certificate, one download per CRL URL), judges, and turns the verdicts
 * into findings.
 *
 * An answer proves something only when it is signed by the certificate's
 * issuer (or, for OCSP, by a responder the issuer delegated to) and is
 * current. Anything else (unparseable, signed by another key, stale, about
 * another certificate) is CS_REV_UNUSABLE: never "revoked".
 */
#ifndef CS_REVOCATION_H
#define CS_REVOCATION_H

#include "finding.h"

#include <openssl/x509.h>
#include <signal.h>
#include <time.h>

/* The largest answers kept. An OCSP response for one certificate is a few
 * KB even with the responder's chain; 1 MiB is a generous bound that still
 * stops a server streaming without end. CRLs of big public CAs reach a few
 * MB (tens of thousands of entries); 20 MiB keeps them while bounding the
 * memory of the scan (a few downloads at once). */
#define CS_OCSP_RESPONSE_MAX (1024 * 1024)
#define CS_CRL_MAX (20 * 1024 * 1024)

/* How far thisUpdate may lie in the future and nextUpdate in the past:
 * clocks of responders and scanners drift. */
#define CS_REV_LEEWAY_S 300

enum cs_rev_status {
    CS_REV_GOOD,     /* the issuer says it is not revoked */
    CS_REV_REVOKED,  /* the issuer says it is revoked */
    CS_REV_UNKNOWN,  /* OCSP: the responder does not know the certificate */
    CS_REV_UNUSABLE, /* the answer proves nothing; why says why */
};

/* "good", "revoked", "unknown", "unusable". */
const char *cs_rev_status_name(enum cs_rev_status status);

struct cs_rev_verdict {
    enum cs_rev_status status;
    time_t revoked_at;  /* REVOKED: when, 0 when the answer does not parse */
    int reason;         /* REVOKED: CRLReason (RFC 5280 5.3.1), -1 when not given */
    time_t next_update; /* when the answer goes stale; 0 when it does not say */
    char why[200];      /* UNUSABLE and UNKNOWN: one line, for a finding's detail */
};

/* "keyCompromise", "superseded", ... for a CRLReason code; "unspecified"
 * for -1 or a code out of the list. */
const char *cs_rev_reason_name(int reason);

/*
 * Judges an OCSP response (DER, len bytes) about leaf, issued by issuer, at
 * `now`. The response must be successful, signed by issuer or by a
 * responder certificate it carries that issuer signed for OCSP signing
 * (RFC 6960 4.2.2.2; the trust store plays no part: whether the issuer is
 * trusted is certcheck.c's question), hold a single response for leaf's
 * CertID (SHA-1, as requested), and be current (thisUpdate not after now,
 * nextUpdate not before now, CS_REV_LEEWAY_S either way). Returns the
 * status, also in *v. A response status of "unauthorized" (the responder
 * does not serve this CA) is CS_REV_UNKNOWN. Never fails: whatever the
 * bytes, the verdict says what they prove. OpenSSL's error queue is left
 * as it was found.
 */
enum cs_rev_status cs_ocsp_judge(const unsigned char *der, size_t len, X509 *leaf, X509 *issuer,
                                 time_t now, struct cs_rev_verdict *v);

/*
 * Judges a CRL (DER, or PEM) about leaf, issued by issuer, at `now`: the
 * CRL must parse, name issuer as its issuer, be signed by issuer's key,
 * and be current (lastUpdate not after now, nextUpdate, when present, not
 * before now, with CS_REV_LEEWAY_S). Then leaf's serial in it is
 * CS_REV_REVOKED (removeFromCRL excepted), absent CS_REV_GOOD. Indirect
 * and delta CRLs are not understood (a delta CRL is UNUSABLE). As
 * cs_ocsp_judge otherwise.
 */
enum cs_rev_status cs_crl_judge(const unsigned char *data, size_t len, X509 *leaf, X509 *issuer,
                                time_t now, struct cs_rev_verdict *v);

/* The first http:// OCSP responder in cert's AIA, or the first http://
 * URI of its CRL distribution points; NULL when there is none (other
 * schemes, ldap:// say, are skipped: OCSP and CRLs travel over plain
 * HTTP). The caller frees the result. *skipped, when not NULL, is set when
 * a URL of another scheme was passed over. */
char *cs_ocsp_url(X509 *cert, bool *skipped);
char *cs_crl_url(X509 *cert, bool *skipped);

struct cs_revcheck_opts {
    unsigned timeout_ms;  /* whole transfer of one fetch; 0 = 10000 */
    unsigned max_fetches; /* transfers in flight; 0 = 16 */
    X509_STORE *store;    /* where to look for an issuer a chain lacks; may be NULL; borrowed */
    time_t now;           /* the time to judge at; 0 = the time of the run */
};

struct cs_revcheck;

/* A checker with no leaves yet; *out is the caller's (cs_revcheck_free).
 * Fails on allocation failure or when libcurl cannot start; err says. */
enum cs_rc cs_revcheck_new(const struct cs_revcheck_opts *opts, struct cs_revcheck **out, char *err,
                           size_t errlen);
void cs_revcheck_free(struct cs_revcheck **rc);

/*
 * Queues the leaf of chain (leaf first; the next certificates, then
 * opts->store, give its issuer) for the next run. A leaf seen before (same
 * SHA-256) is not queued twice; a leaf without issuer, a self-signed one,
 * or one naming no http:// URL needs no fetch and gets no finding. The
 * checker keeps references of its own: chain may be freed. Fails only on
 * allocation failure.
 */
enum cs_rc cs_revcheck_add(struct cs_revcheck *rc, STACK_OF(X509) * chain);

/*
 * Fetches what the queued leaves need (only http:// URLs; every OCSP
 * request and CRL URL once; a URL that failed is not tried again in the
 * run), at most opts->max_fetches at a time, and judges them. A CRL is
 * kept by URL until its nextUpdate: a later run on the same checker
 * fetches it again only then. Whatever a server does is a verdict; the run
 * fails only on allocation failure, a libcurl failure, or *stop becoming
 * non-zero (CS_ERR_INTERRUPTED), err saying which.
 */
enum cs_rc cs_revcheck_run(struct cs_revcheck *rc, const volatile sig_atomic_t *stop, char *err,
                           size_t errlen);

/*
 * Adds to findings what the last run found about chain's leaf: revoked_ocsp,
 * revoked_crl, ocsp_unknown, ocsp_unreachable, crl_unreachable, or an
 * inconclusive finding whose detail starts with "revocation:" for an
 * answer that proves nothing. A leaf never added or not judged yet adds
 * nothing. Fails only on allocation failure.
 */
enum cs_rc cs_revcheck_findings(const struct cs_revcheck *rc, STACK_OF(X509) * chain,
                                struct cs_findings *findings);

#endif
