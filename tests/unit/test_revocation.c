/*
 * Unit tests of revocation.c: the OCSP and CRL judges on answers built
 * in-process (good, revoked, unknown, signed by the wrong key, stale,
 * about another certificate, delegated responders), the URLs read from a
 * certificate, and the checker against a forked loopback HTTP server (one
 * fetch per CRL URL and per leaf, findings) and a closed port.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "revocation.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define DAY 86400L

/* The time every judgement is made at: 2027-01-01T00:00:00Z. */
static const time_t NOW = 1798761600;

/* EC keys: cheap to make, and the judges do not care about the kind. */
static EVP_PKEY *root_key, *int_key, *leaf_key, *other_key, *responder_key;
static X509 *root, *inter, *other_ca, *leaf, *leaf2, *responder, *rogue_responder;
static X509 *root_leaf, *root_rogue;

/* ---- certificates ------------------------------------------------------- */

static EVP_PKEY *ec_key(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    return key;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A certificate named cn for key, issued by issuer (NULL: self-signed),
 * valid a year either side of NOW, with the extensions given as (nid,
 * value) pairs ending with 0. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, ...)
{
    static long serial = 100;
    time_t now = NOW;
    X509 *cert = X509_new();
    va_list ap;

    assert_non_null(cert);
    assert_int_equal(X509_set_version(cert, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                                                (const unsigned char *)cn, -1, -1, 0),
                     1);
    X509 *signer = issuer ? issuer : cert;
    assert_int_equal(X509_set_issuer_name(cert, X509_get_subject_name(signer)), 1);
    assert_non_null(X509_time_adj_ex(X509_getm_notBefore(cert), -365, 0, &now));
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(cert), 365, 0, &now));
    assert_int_equal(X509_set_pubkey(cert, key), 1);
    va_start(ap, issuer_key);
    for (int nid = va_arg(ap, int); nid != 0; nid = va_arg(ap, int))
        add_ext(cert, signer, nid, va_arg(ap, const char *));
    va_end(ap);
    assert_true(X509_sign(cert, issuer ? issuer_key : key, EVP_sha256()) > 0);
    return cert;
}

static int setup(void **state)
{
    root_key = ec_key();
    int_key = ec_key();
    leaf_key = ec_key();
    other_key = ec_key();
    responder_key = ec_key();
    const int bc = NID_basic_constraints, ku = NID_key_usage, eku = NID_ext_key_usage;
    root = make_cert("Lab Root", root_key, NULL, NULL, bc, "critical,CA:TRUE", ku,
                     "critical,keyCertSign,cRLSign", 0);
    inter = make_cert("Lab Int", int_key, root, root_key, bc, "critical,CA:TRUE", ku,
                      "critical,keyCertSign,cRLSign", 0);
    /* Same name as inter, another key: answers it signs must not count. */
    other_ca = make_cert("Lab Int", other_key, NULL, NULL, bc, "critical,CA:TRUE", 0);
    leaf = make_cert("leaf.test", leaf_key, inter, int_key, NID_info_access,
                     "OCSP;URI:ldap://ocsp.test/,OCSP;URI:http://127.0.0.1:1/ocsp",
                     NID_crl_distribution_points,
                     "URI:ldap://crl.test/,URI:http://127.0.0.1:1/ca.crl", 0);
    leaf2 = make_cert("leaf2.test", leaf_key, inter, int_key, 0);
    responder = make_cert("Lab OCSP", responder_key, inter, int_key, eku, "OCSPSigning", 0);
    rogue_responder = make_cert("Not OCSP", responder_key, inter, int_key, eku, "serverAuth", 0);
    root_leaf = make_cert("rootleaf.test", leaf_key, root, root_key, 0);
    root_rogue = make_cert("Not OCSP either", responder_key, root, root_key, eku, "serverAuth", 0);
    return 0;
}

static int teardown(void **state)
{
    X509 *certs[] = {root,      inter,           other_ca,  leaf,      leaf2,
                     responder, rogue_responder, root_leaf, root_rogue};
    EVP_PKEY *keys[] = {root_key, int_key, leaf_key, other_key, responder_key};
    for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
        X509_free(certs[i]);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        EVP_PKEY_free(keys[i]);
    return 0;
}

/* ---- OCSP responses ------------------------------------------------------ */

struct ocsp_spec {
    X509 *about, *issuer;    /* the certificate the response is about, and its issuer */
    int status;              /* V_OCSP_CERTSTATUS_* */
    int reason;              /* for REVOKED */
    long this_off, next_off; /* seconds from NOW; next_off 0: no nextUpdate */
    X509 *signer;
    EVP_PKEY *signer_key;
};

static struct ocsp_spec ocsp_spec(int status)
{
    return (struct ocsp_spec){.about = leaf,
                              .issuer = inter,
                              .status = status,
                              .reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                              .this_off = -3600,
                              .next_off = 7 * DAY,
                              .signer = inter,
                              .signer_key = int_key};
}

/* The DER of a successful response made to spec; free with OPENSSL_free. */
static unsigned char *make_ocsp(const struct ocsp_spec *s, size_t *len)
{
    time_t now = NOW;
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), s->about, s->issuer);
    ASN1_TIME *thisupd = X509_time_adj_ex(NULL, 0, s->this_off, &now);
    ASN1_TIME *nextupd = s->next_off ? X509_time_adj_ex(NULL, 0, s->next_off, &now) : NULL;
    ASN1_TIME *revtime = X509_time_adj_ex(NULL, -10, 0, &now);
    unsigned char *der = NULL;

    assert_non_null(bs);
    assert_non_null(id);
    assert_non_null(OCSP_basic_add1_status(bs, id, s->status,
                                           s->status == V_OCSP_CERTSTATUS_REVOKED ? s->reason : 0,
                                           revtime, thisupd, nextupd));
    assert_int_equal(OCSP_basic_sign(bs, s->signer, s->signer_key, EVP_sha256(), NULL, 0), 1);
    OCSP_RESPONSE *resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    assert_non_null(resp);
    int n = i2d_OCSP_RESPONSE(resp, &der);
    assert_true(n > 0);
    *len = (size_t)n;
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    OCSP_CERTID_free(id);
    ASN1_TIME_free(thisupd);
    ASN1_TIME_free(nextupd);
    ASN1_TIME_free(revtime);
    return der;
}

static enum cs_rev_status judge_ocsp(const struct ocsp_spec *s, struct cs_rev_verdict *v)
{
    size_t len;
    unsigned char *der = make_ocsp(s, &len);
    enum cs_rev_status status = cs_ocsp_judge(der, len, leaf, inter, NOW, v);
    OPENSSL_free(der);
    assert_int_equal(ERR_peek_error(), 0); /* the queue is left as found */
    return status;
}

static void test_ocsp_good(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_GOOD);
    struct cs_rev_verdict v;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_GOOD);
    assert_int_equal(v.next_update, NOW + 7 * DAY);
}

static void test_ocsp_revoked_gives_time_and_reason(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    struct cs_rev_verdict v;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_REVOKED);
    assert_int_equal(v.revoked_at, NOW - 10 * DAY);
    assert_string_equal(cs_rev_reason_name(v.reason), "keyCompromise");
}

static void test_ocsp_unknown(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_UNKNOWN);
    struct cs_rev_verdict v;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_UNKNOWN);
    assert_non_null(strstr(v.why, "does not know"));
}

/* The heart of it: a "revoked" signed by any key but the issuer's (here a
 * CA of the same name) proves nothing. */
static void test_ocsp_revoked_signed_by_another_key_is_unusable(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    struct cs_rev_verdict v;
    s.signer = other_ca;
    s.signer_key = other_key;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "not signed"));
}

static void test_ocsp_delegated_responder_counts(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    struct cs_rev_verdict v;
    s.signer = responder;
    s.signer_key = responder_key;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_REVOKED);
}

static void test_ocsp_responder_without_ocsp_signing_is_unusable(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    struct cs_rev_verdict v;
    s.signer = rogue_responder;
    s.signer_key = responder_key;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_UNUSABLE);
}

/* A certificate the (self-signed) issuer signed for something else is no
 * responder, even though it chains to the issuer: OpenSSL's "explicitly
 * trusted root" path is off in the judge. */
static void test_ocsp_sibling_under_a_root_is_unusable(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    struct cs_rev_verdict v;
    size_t len;
    s.about = root_leaf;
    s.issuer = root;
    s.signer = root_rogue;
    s.signer_key = responder_key;
    unsigned char *der = make_ocsp(&s, &len);
    assert_int_equal(cs_ocsp_judge(der, len, root_leaf, root, NOW, &v), CS_REV_UNUSABLE);
    OPENSSL_free(der);
    /* Signed by the root itself, the same answer counts. */
    s.signer = root;
    s.signer_key = root_key;
    der = make_ocsp(&s, &len);
    assert_int_equal(cs_ocsp_judge(der, len, root_leaf, root, NOW, &v), CS_REV_REVOKED);
    OPENSSL_free(der);
}

static void test_ocsp_stale_is_unusable(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    struct cs_rev_verdict v;
    s.this_off = -10 * DAY;
    s.next_off = -3 * DAY;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "stale"));
}

static void test_ocsp_within_leeway_is_current(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_GOOD);
    struct cs_rev_verdict v;
    s.this_off = CS_REV_LEEWAY_S - 60; /* the responder's clock runs ahead */
    s.next_off = -(CS_REV_LEEWAY_S - 60);
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_GOOD);
}

static void test_ocsp_from_the_future_is_unusable(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_GOOD);
    struct cs_rev_verdict v;
    s.this_off = DAY;
    s.next_off = 7 * DAY;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "future"));
}

static void test_ocsp_about_another_certificate_is_unusable(void **state)
{
    struct ocsp_spec s = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    struct cs_rev_verdict v;
    s.about = leaf2;
    assert_int_equal(judge_ocsp(&s, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "not about"));
}

static void test_ocsp_error_statuses(void **state)
{
    struct cs_rev_verdict v;
    unsigned char *der = NULL;

    OCSP_RESPONSE *resp = OCSP_response_create(OCSP_RESPONSE_STATUS_UNAUTHORIZED, NULL);
    int n = i2d_OCSP_RESPONSE(resp, &der);
    assert_int_equal(cs_ocsp_judge(der, (size_t)n, leaf, inter, NOW, &v), CS_REV_UNKNOWN);
    assert_non_null(strstr(v.why, "unauthorized"));
    OCSP_RESPONSE_free(resp);
    OPENSSL_free(der);

    der = NULL;
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, NULL);
    n = i2d_OCSP_RESPONSE(resp, &der);
    assert_int_equal(cs_ocsp_judge(der, (size_t)n, leaf, inter, NOW, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "trylater"));
    OCSP_RESPONSE_free(resp);
    OPENSSL_free(der);
}

static void test_ocsp_garbage_is_unusable(void **state)
{
    const unsigned char junk[] = "HTTP/1.1 200 OK\r\n\r\n<html>";
    struct cs_rev_verdict v;
    assert_int_equal(cs_ocsp_judge(junk, sizeof(junk), leaf, inter, NOW, &v), CS_REV_UNUSABLE);
    assert_int_equal(cs_ocsp_judge(junk, 0, leaf, inter, NOW, &v), CS_REV_UNUSABLE);
    assert_int_equal(ERR_peek_error(), 0);
}

/* ---- CRLs ------------------------------------------------------------------ */

struct crl_spec {
    X509 *issuer;  /* whose name the CRL carries */
    EVP_PKEY *key; /* what signs it */
    X509 *revoked; /* listed, or NULL */
    long last_off, next_off;
    bool delta;
};

static struct crl_spec crl_spec(X509 *revoked)
{
    return (struct crl_spec){
        .issuer = inter, .key = int_key, .revoked = revoked, .last_off = -DAY, .next_off = 6 * DAY};
}

static X509_CRL *make_crl(const struct crl_spec *s)
{
    time_t now = NOW;
    X509_CRL *crl = X509_CRL_new();
    assert_non_null(crl);
    assert_int_equal(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(s->issuer)), 1);
    ASN1_TIME *last = X509_time_adj_ex(NULL, 0, s->last_off, &now);
    ASN1_TIME *next = X509_time_adj_ex(NULL, 0, s->next_off, &now);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, last), 1);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, next), 1);
    /* Another serial first, so that the lookup has something to pass. */
    X509 *listed[] = {leaf2, s->revoked};
    for (size_t i = 0; i < 2 && listed[i] != NULL; i++) {
        X509_REVOKED *rev = X509_REVOKED_new();
        ASN1_TIME *when = X509_time_adj_ex(NULL, -20 + (int)i, 0, &now);
        ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
        assert_int_equal(ASN1_ENUMERATED_set(reason, i ? 4 : 1), 1); /* superseded */
        assert_int_equal(X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(listed[i])), 1);
        assert_int_equal(X509_REVOKED_set_revocationDate(rev, when), 1);
        assert_int_equal(X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0), 1);
        assert_int_equal(X509_CRL_add0_revoked(crl, rev), 1);
        ASN1_TIME_free(when);
        ASN1_ENUMERATED_free(reason);
    }
    if (s->delta) {
        ASN1_INTEGER *base = ASN1_INTEGER_new();
        ASN1_INTEGER_set(base, 1);
        assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0), 1);
        ASN1_INTEGER_free(base);
    }
    assert_int_equal(X509_CRL_sort(crl), 1);
    assert_true(X509_CRL_sign(crl, s->key, EVP_sha256()) > 0);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    return crl;
}

static unsigned char *crl_der(const struct crl_spec *s, size_t *len)
{
    X509_CRL *crl = make_crl(s);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0);
    *len = (size_t)n;
    X509_CRL_free(crl);
    return der;
}

static enum cs_rev_status judge_crl(const struct crl_spec *s, struct cs_rev_verdict *v)
{
    size_t len;
    unsigned char *der = crl_der(s, &len);
    enum cs_rev_status status = cs_crl_judge(der, len, leaf, inter, NOW, v);
    OPENSSL_free(der);
    assert_int_equal(ERR_peek_error(), 0);
    return status;
}

static void test_crl_revoked(void **state)
{
    struct crl_spec s = crl_spec(leaf);
    struct cs_rev_verdict v;
    assert_int_equal(judge_crl(&s, &v), CS_REV_REVOKED);
    assert_string_equal(cs_rev_reason_name(v.reason), "superseded");
    assert_int_equal(v.revoked_at, NOW - 19 * DAY);
    assert_int_equal(v.next_update, NOW + 6 * DAY);
}

static void test_crl_not_listed_is_good(void **state)
{
    struct crl_spec s = crl_spec(NULL);
    struct cs_rev_verdict v;
    assert_int_equal(judge_crl(&s, &v), CS_REV_GOOD);
}

static void test_crl_past_next_update_is_unusable(void **state)
{
    struct crl_spec s = crl_spec(leaf);
    struct cs_rev_verdict v;
    s.last_off = -10 * DAY;
    s.next_off = -DAY;
    assert_int_equal(judge_crl(&s, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "stale"));
}

static void test_crl_signed_by_another_key_is_unusable(void **state)
{
    struct crl_spec s = crl_spec(leaf);
    struct cs_rev_verdict v;
    s.key = other_key; /* same issuer name, wrong key */
    assert_int_equal(judge_crl(&s, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "signature"));
}

static void test_crl_of_another_issuer_is_unusable(void **state)
{
    struct crl_spec s = crl_spec(leaf);
    struct cs_rev_verdict v;
    s.issuer = root;
    s.key = root_key;
    assert_int_equal(judge_crl(&s, &v), CS_REV_UNUSABLE);
    assert_non_null(strstr(v.why, "not the issuer's"));
}

static void test_delta_crl_is_unusable(void **state)
{
    struct crl_spec s = crl_spec(leaf);
    struct cs_rev_verdict v;
    s.delta = true;
    assert_int_equal(judge_crl(&s, &v), CS_REV_UNUSABLE);
}

static void test_crl_in_pem_is_read(void **state)
{
    struct crl_spec s = crl_spec(leaf);
    struct cs_rev_verdict v;
    X509_CRL *crl = make_crl(&s);
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    assert_int_equal(PEM_write_bio_X509_CRL(bio, crl), 1);
    long n = BIO_get_mem_data(bio, &pem);
    assert_int_equal(cs_crl_judge((unsigned char *)pem, (size_t)n, leaf, inter, NOW, &v),
                     CS_REV_REVOKED);
    BIO_free(bio);
    X509_CRL_free(crl);
}

static void test_crl_garbage_is_unusable(void **state)
{
    const unsigned char junk[] = "-----BEGIN X509 CRL-----\nnot base64\n";
    struct cs_rev_verdict v;
    assert_int_equal(cs_crl_judge(junk, sizeof(junk) - 1, leaf, inter, NOW, &v), CS_REV_UNUSABLE);
    assert_int_equal(cs_crl_judge(junk + 5, 10, leaf, inter, NOW, &v), CS_REV_UNUSABLE);
    assert_int_equal(ERR_peek_error(), 0);
}

/* ---- URLs ------------------------------------------------------------------ */

static void test_urls_are_the_first_http_ones(void **state)
{
    bool skipped = false;
    char *ocsp = cs_ocsp_url(leaf, &skipped);
    assert_string_equal(ocsp, "http://127.0.0.1:1/ocsp");
    assert_true(skipped); /* the ldap:// one before it */
    skipped = false;
    char *crl = cs_crl_url(leaf, &skipped);
    assert_string_equal(crl, "http://127.0.0.1:1/ca.crl");
    assert_true(skipped);
    free(ocsp);
    free(crl);
    assert_null(cs_ocsp_url(leaf2, NULL));
    assert_null(cs_crl_url(leaf2, NULL));
}

/* ---- the checker ----------------------------------------------------------- */

/* A loopback HTTP server in a child process: answers every request with
 * body (status 200) and writes one byte per request to a pipe, so that the
 * test can count the fetches. */
struct server {
    pid_t pid;
    int port;
    int count_fd;
};

static void serve(int fd, const unsigned char *body, size_t len, int count_fd)
{
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            _exit(0);
        char buf[8192];
        size_t got = 0;
        ssize_t n;
        /* The request line and headers (the OCSP body, if any, is read and
         * ignored: every request gets the same answer). */
        while (got < sizeof(buf) - 1 && (n = read(c, buf + got, sizeof(buf) - 1 - got)) > 0) {
            got += (size_t)n;
            buf[got] = '\0';
            if (strstr(buf, "\r\n\r\n") != NULL)
                break;
        }
        char head[128];
        int hn =
            snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", len);
        if (write(count_fd, "x", 1) != 1 || write(c, head, (size_t)hn) != hn ||
            write(c, body, len) != (ssize_t)len)
            _exit(1);
        close(c);
    }
}

/* Listens on a free port of 127.0.0.1 (s->port), so that certificates can
 * name it before the answer is made. */
static void server_listen(struct server *s, int *fd)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t slen = sizeof(sin);
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*fd >= 0);
    assert_int_equal(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(*fd, 16), 0);
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&sin, &slen), 0);
    s->port = ntohs(sin.sin_port);
}

/* Serves body on fd from a child process. */
static void server_serve(struct server *s, int fd, const unsigned char *body, size_t len)
{
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        close(pipefd[0]);
        serve(fd, body, len, pipefd[1]);
    }
    close(fd);
    close(pipefd[1]);
    s->count_fd = pipefd[0];
}

/* Stops the server; returns how many requests it answered. */
static int server_stop(struct server *s)
{
    char buf[256];
    int count = 0;
    ssize_t n;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    while ((n = read(s->count_fd, buf, sizeof(buf))) > 0)
        count += (int)n;
    close(s->count_fd);
    return count;
}

/* A port on 127.0.0.1 where nothing listens. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t slen = sizeof(sin);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

/* A leaf of inter (leaf_key) with the given OCSP and CRL URLs (NULL: none). */
static X509 *leaf_with(const char *cn, const char *ocsp, const char *crl)
{
    char aia[256], cdp[256];
    snprintf(aia, sizeof(aia), "OCSP;URI:%s", ocsp ? ocsp : "");
    snprintf(cdp, sizeof(cdp), "URI:%s", crl ? crl : "");
    if (ocsp && crl)
        return make_cert(cn, leaf_key, inter, int_key, NID_info_access, aia,
                         NID_crl_distribution_points, cdp, 0);
    if (ocsp)
        return make_cert(cn, leaf_key, inter, int_key, NID_info_access, aia, 0);
    return make_cert(cn, leaf_key, inter, int_key, NID_crl_distribution_points, cdp, 0);
}

static STACK_OF(X509) * chain2(X509 *a, X509 *b)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509_up_ref(a);
    sk_X509_push(chain, a);
    if (b != NULL) {
        X509_up_ref(b);
        sk_X509_push(chain, b);
    }
    return chain;
}

static const struct cs_finding *find(const struct cs_findings *f, const char *id)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].check->id, id) == 0)
            return &f->items[i];
    for (size_t i = 0; i < f->count; i++)
        print_error("finding %s: %s\n", f->items[i].check->id, f->items[i].detail);
    fail_msg("no %s finding", id);
    return NULL;
}

/* Two leaves, three chains (one leaf twice), one CRL URL: one download;
 * the listed leaf is revoked_crl, the other has no finding. */
static void test_checker_fetches_a_crl_once(void **state)
{
    struct server srv;
    char url[64];
    size_t len;
    int fd;

    server_listen(&srv, &fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ca.crl", srv.port);
    X509 *revoked = leaf_with("revoked.test", NULL, url);
    X509 *fine = leaf_with("fine.test", NULL, url);
    struct crl_spec spec = crl_spec(revoked);
    unsigned char *der = crl_der(&spec, &len);
    server_serve(&srv, fd, der, len);

    STACK_OF(X509) *
        chains[] = {chain2(revoked, inter), chain2(fine, inter), chain2(revoked, NULL)};
    /* The third chain lacks its intermediate: the store has it. */
    X509_STORE *store = X509_STORE_new();
    assert_int_equal(X509_STORE_add_cert(store, inter), 1);
    struct cs_revcheck_opts opts = {
        .timeout_ms = 5000, .max_fetches = 2, .store = store, .now = NOW};
    struct cs_revcheck *rc = NULL;
    struct cs_findings findings[3] = {{0}};
    char err[CS_ERRLEN];

    assert_int_equal(cs_revcheck_new(&opts, &rc, err, sizeof(err)), CS_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cs_revcheck_add(rc, chains[i]), CS_OK);
    assert_int_equal(cs_revcheck_run(rc, NULL, err, sizeof(err)), CS_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cs_revcheck_findings(rc, chains[i], &findings[i]), CS_OK);
    assert_int_equal(server_stop(&srv), 1);

    assert_int_equal(findings[0].count, 1);
    const struct cs_finding *f = find(&findings[0], "revoked_crl");
    assert_int_equal(f->severity, CS_SEVERITY_CRITICAL);
    assert_non_null(strstr(f->detail, "superseded"));
    assert_non_null(strstr(f->detail, url));
    assert_int_equal(findings[1].count, 0);
    assert_int_equal(findings[2].count, 1);

    /* A second run fetches nothing: the CRL is current until nextUpdate. */
    assert_int_equal(cs_revcheck_run(rc, NULL, err, sizeof(err)), CS_OK);

    for (int i = 0; i < 3; i++) {
        cs_findings_clear(&findings[i]);
        sk_X509_pop_free(chains[i], X509_free);
    }
    cs_revcheck_free(&rc);
    X509_STORE_free(store);
    X509_free(revoked);
    X509_free(fine);
    OPENSSL_free(der);
}

/* An OCSP responder answering with a revocation signed by another key:
 * inconclusive, never revoked_ocsp; and an inconclusive finding already
 * there gets the note appended rather than a second finding. */
static void test_checker_forged_ocsp_is_inconclusive(void **state)
{
    struct server srv;
    char url[64];
    size_t len;
    int fd;

    server_listen(&srv, &fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
    X509 *cert = leaf_with("forged.test", url, NULL);
    struct ocsp_spec spec = ocsp_spec(V_OCSP_CERTSTATUS_REVOKED);
    spec.about = cert;
    spec.signer = other_ca;
    spec.signer_key = other_key;
    unsigned char *der = make_ocsp(&spec, &len);
    server_serve(&srv, fd, der, len);

    STACK_OF(X509) *chain = chain2(cert, inter);
    struct cs_revcheck_opts opts = {.now = NOW};
    struct cs_revcheck *rc = NULL;
    struct cs_findings findings = {0};
    char err[CS_ERRLEN];

    assert_int_equal(cs_findings_add(&findings, "inconclusive", "protocols: something"), CS_OK);
    assert_int_equal(cs_revcheck_new(&opts, &rc, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_revcheck_add(rc, chain), CS_OK);
    assert_int_equal(cs_revcheck_add(rc, chain), CS_OK);
    assert_int_equal(cs_revcheck_run(rc, NULL, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_revcheck_findings(rc, chain, &findings), CS_OK);
    assert_int_equal(server_stop(&srv), 1);
    assert_int_equal(findings.count, 1);
    const char *detail = find(&findings, "inconclusive")->detail;
    assert_non_null(strstr(detail, "protocols: something; revocation: "));
    assert_non_null(strstr(detail, "not signed"));

    cs_findings_clear(&findings);
    cs_revcheck_free(&rc);
    sk_X509_pop_free(chain, X509_free);
    X509_free(cert);
    OPENSSL_free(der);
}

static void test_checker_unreachable(void **state)
{
    char ocsp[64], crl[64];
    int port = closed_port();
    snprintf(ocsp, sizeof(ocsp), "http://127.0.0.1:%d/ocsp", port);
    snprintf(crl, sizeof(crl), "http://127.0.0.1:%d/ca.crl", port);
    X509 *cert = leaf_with("down.test", ocsp, crl);
    STACK_OF(X509) *chain = chain2(cert, inter);
    struct cs_revcheck_opts opts = {.timeout_ms = 5000, .now = NOW};
    struct cs_revcheck *rc = NULL;
    struct cs_findings findings = {0};
    char err[CS_ERRLEN];

    assert_int_equal(cs_revcheck_new(&opts, &rc, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_revcheck_add(rc, chain), CS_OK);
    assert_int_equal(cs_revcheck_run(rc, NULL, err, sizeof(err)), CS_OK);
    assert_int_equal(cs_revcheck_findings(rc, chain, &findings), CS_OK);
    assert_int_equal(findings.count, 2);
    assert_non_null(strstr(find(&findings, "ocsp_unreachable")->detail, ocsp));
    assert_non_null(strstr(find(&findings, "crl_unreachable")->detail, crl));
    cs_findings_clear(&findings);
    cs_revcheck_free(&rc);
    assert_null(rc);
    sk_X509_pop_free(chain, X509_free);
    X509_free(cert);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ocsp_good),
        cmocka_unit_test(test_ocsp_revoked_gives_time_and_reason),
        cmocka_unit_test(test_ocsp_unknown),
        cmocka_unit_test(test_ocsp_revoked_signed_by_another_key_is_unusable),
        cmocka_unit_test(test_ocsp_delegated_responder_counts),
        cmocka_unit_test(test_ocsp_responder_without_ocsp_signing_is_unusable),
        cmocka_unit_test(test_ocsp_sibling_under_a_root_is_unusable),
        cmocka_unit_test(test_ocsp_stale_is_unusable),
        cmocka_unit_test(test_ocsp_within_leeway_is_current),
        cmocka_unit_test(test_ocsp_from_the_future_is_unusable),
        cmocka_unit_test(test_ocsp_about_another_certificate_is_unusable),
        cmocka_unit_test(test_ocsp_error_statuses),
        cmocka_unit_test(test_ocsp_garbage_is_unusable),
        cmocka_unit_test(test_crl_revoked),
        cmocka_unit_test(test_crl_not_listed_is_good),
        cmocka_unit_test(test_crl_past_next_update_is_unusable),
        cmocka_unit_test(test_crl_signed_by_another_key_is_unusable),
        cmocka_unit_test(test_crl_of_another_issuer_is_unusable),
        cmocka_unit_test(test_delta_crl_is_unusable),
        cmocka_unit_test(test_crl_in_pem_is_read),
        cmocka_unit_test(test_crl_garbage_is_unusable),
        cmocka_unit_test(test_urls_are_the_first_http_ones),
        cmocka_unit_test(test_checker_fetches_a_crl_once),
        cmocka_unit_test(test_checker_forged_ocsp_is_inconclusive),
        cmocka_unit_test(test_checker_unreachable),
    };
    return cmocka_run_group_tests_name("revocation", tests, setup, teardown);
}
