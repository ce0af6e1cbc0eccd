/*
 * The certificate checks of a vulnerability scan, on the chain a server
 * presented: validity, expiry within N days, weak signature or key,
 * self-signed, trust (system store or a CA file), completeness, and the
 * host name.
 */
#ifndef CS_CERTCHECK_H
#define CS_CERTCHECK_H

#include "finding.h"

#include <openssl/x509.h>
#include <time.h>

struct cs_certcheck_opts {
    const char *ca_file; /* PEM bundle to trust instead of the system store; NULL = system */
    int expiring_days;   /* "expiring" when not_after is within this many days */
    time_t now;          /* the time to check against (0 = now) */
};

/* A trust store for cs_certcheck_run, loaded once per scan: opts->ca_file
 * alone when given, else the system's. The caller owns *store
 * (X509_STORE_free). A CA file that cannot be read or holds no certificate
 * is CS_ERR_USAGE, with the file's name and OpenSSL's reasons in err; the
 * system store failing to load is CS_ERR_TLS. On error *store is NULL. */
enum cs_rc cs_certcheck_store_new(const struct cs_certcheck_opts *opts, X509_STORE **store,
                                  char *err, size_t errlen);

/*
 * Adds to findings what is wrong with chain (leaf first, as sent; NULL or
 * empty adds nothing) for a server reached by `host` (the SNI name), at
 * opts->now. Ids: expired, not_yet_valid, expiring (the leaf's dates),
 * weak_signature, weak_key, self_signed, untrusted_chain (verified against
 * store; an expired intermediate lands here), incomplete_chain, and
 * hostname_mismatch, which is reported only when host is given: an
 * endpoint scanned by address (host NULL) is not judged on its names, and
 * `ip` is not checked against IP SANs (few certificates carry them).
 * At most one finding per id; its detail names every certificate at fault.
 * Fails only on allocation failure (findings then holds what was added).
 */
enum cs_rc cs_certcheck_run(STACK_OF(X509) * chain, X509_STORE *store, const char *host,
                            const char *ip, const struct cs_certcheck_opts *opts,
                            struct cs_findings *findings);

#endif
