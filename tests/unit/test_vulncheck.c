/*
 * Unit tests of vulncheck.c: the decisions of a vulnerability scan, driven
 * by a model server that answers each probe as a real one would (choose the
 * best common version, then its own preferred suite among those offered).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vulncheck.h"

#include <string.h>

enum heartbeat_mode { HB_IGNORE, HB_LEAK, HB_GARBAGE };

struct model {
    bool versions[CS_VV_COUNT];
    uint16_t suites[CS_VV_COUNT][8]; /* server preference order */
    size_t nsuites[CS_VV_COUNT];
    bool no_reneg, heartbeat_ext, deflate, ignores_scsv, liar, silent, staples;
    enum heartbeat_mode heartbeat;
};

static void set_suites(struct model *m, enum cs_vversion v, const uint16_t *suites, size_t n)
{
    m->versions[v] = true;
    memcpy(m->suites[v], suites, n * sizeof(uint16_t));
    m->nsuites[v] = n;
}

static bool offered(const struct cs_vprobe *p, uint16_t suite)
{
    for (size_t i = 0; i < p->offer.suite_count; i++)
        if (p->offer.suites[i] == suite)
            return true;
    return false;
}

static void alert(struct cs_vprobe *p, int description)
{
    p->end = CS_VPROBE_ANSWERED;
    p->answer.kind = CS_ANSWER_ALERT;
    p->answer.alert = description;
}

/* Fills p's outcome as the model server would answer it. */
static void answer(const struct model *m, struct cs_vprobe *p)
{
    memset(&p->answer, 0, sizeof(p->answer));
    p->answer.alert = -1;
    if (m->silent) {
        p->end = CS_VPROBE_TIMEOUT;
        return;
    }
    if (p->kind == CS_VPROBE_SSL2) {
        if (!m->versions[CS_VV_SSL2]) {
            p->end = CS_VPROBE_CLOSED;
            return;
        }
        p->end = CS_VPROBE_ANSWERED;
        p->answer.kind = CS_ANSWER_SSL2_HELLO;
        p->answer.ssl2_suites[0] = 0x010080;
        p->answer.ssl2_suite_count = 1;
        return;
    }
    int best = -1, top = -1;
    for (int v = CS_VV_SSL3; v < CS_VV_COUNT; v++) {
        if (!m->versions[v])
            continue;
        top = v;
        if (cs_vversion_wire((enum cs_vversion)v) <= p->offer.version)
            best = v;
    }
    if (best < 0) {
        alert(p, 70);
        return;
    }
    if (p->offer.fallback_scsv && best < top && !m->ignores_scsv) {
        alert(p, 86);
        return;
    }
    uint16_t suite = 0;
    bool found = false;
    for (size_t i = 0; i < m->nsuites[best] && !found; i++)
        if (offered(p, m->suites[best][i])) {
            suite = m->suites[best][i];
            found = true;
        }
    if (!found) {
        alert(p, 40);
        return;
    }
    p->end = CS_VPROBE_ANSWERED;
    p->answer.kind = CS_ANSWER_SERVER_HELLO;
    p->answer.hello.version = cs_vversion_wire((enum cs_vversion)best);
    p->answer.hello.suite = m->liar ? 0xcafe : suite;
    p->answer.hello.renegotiation_info = !m->no_reneg;
    p->answer.hello.heartbeat = m->heartbeat_ext && p->offer.heartbeat;
    p->answer.hello.compression = m->deflate && p->offer.deflate;
    if (p->kind == CS_VPROBE_FLIGHT) {
        p->answer.hello_done = true;
        p->answer.cert_status = m->staples && p->offer.status_request;
    }
    if (p->kind == CS_VPROBE_HEARTBEAT) {
        p->answer.hello_done = true;
        p->answer.heartbeat_seen = m->heartbeat != HB_IGNORE;
        p->answer.heartbeat_leak = m->heartbeat == HB_LEAK;
        p->answer.heartbeat_garbage = m->heartbeat == HB_GARBAGE;
        if (m->heartbeat == HB_IGNORE)
            p->end = CS_VPROBE_CLOSED; /* the close_notify after it was obeyed */
    }
}

/* Runs a whole check against m, answering probes in batches as an event
 * loop would. Returns the number of probes sent. */
static unsigned run(struct cs_vcheck *c, const struct model *m)
{
    unsigned probes = 0;
    while (!cs_vcheck_finished(c)) {
        struct cs_vprobe *batch[16];
        size_t n = 0;
        struct cs_vprobe *p;
        while (n < 16 && (p = cs_vcheck_next(c)) != NULL)
            batch[n++] = p;
        assert_true(n > 0); /* never stuck: something to send or done */
        for (size_t i = 0; i < n; i++) {
            answer(m, batch[i]);
            assert_int_equal(cs_vcheck_done(c, batch[i]), CS_OK);
            probes++;
        }
        assert_true(probes < 1000);
    }
    return probes;
}

static const struct cs_finding *finding(struct cs_vcheck *c, const char *id)
{
    const struct cs_findings *f = cs_vcheck_findings(c);
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].check->id, id) == 0)
            return &f->items[i];
    return NULL;
}

static const uint16_t modern12[] = {0xc030, 0xc02f}; /* ECDHE-RSA AES-256/128-GCM */
static const uint16_t modern13[] = {0x1302, 0x1301};

static struct model modern(void)
{
    struct model m = {0};
    set_suites(&m, CS_VV_TLS12, modern12, 2);
    set_suites(&m, CS_VV_TLS13, modern13, 2);
    return m;
}

static void test_modern_server_has_no_findings(void **state)
{
    struct model m = modern();
    struct cs_vcheck *c = cs_vcheck_new("modern.test", CS_VCHECK_ALL);
    run(c, &m);
    assert_int_equal(cs_vcheck_findings(c)->count, 0);
    const struct cs_vfacts *f = cs_vcheck_facts(c);
    assert_false(f->protocols[CS_VV_SSL3].supported);
    assert_false(f->protocols[CS_VV_TLS11].supported);
    assert_true(f->protocols[CS_VV_TLS12].supported);
    assert_int_equal(f->protocols[CS_VV_TLS12].accepted_count, 2);
    assert_int_equal(f->protocols[CS_VV_TLS12].accepted[0], 0xc030);
    assert_int_equal(f->protocols[CS_VV_TLS12].accepted[1], 0xc02f);
    assert_int_equal(f->protocols[CS_VV_TLS13].accepted[0], 0x1302);
    assert_int_equal(cs_vfacts_forward_secrecy(f), 1);
    assert_int_equal(f->ocsp_stapling, 0);
    cs_vcheck_free(&c);
    assert_null(c);
}

static void test_ocsp_stapling_is_noted(void **state)
{
    struct model m = modern();
    m.staples = true;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_PROTOCOLS);
    run(c, &m);
    assert_int_equal(cs_vcheck_facts(c)->ocsp_stapling, 1);
    assert_int_equal(cs_vcheck_findings(c)->count, 0); /* a fact, not a finding */
    cs_vcheck_free(&c);

    /* TLS 1.3 alone encrypts the status: unknown, not "no". */
    struct model tls13 = {0};
    set_suites(&tls13, CS_VV_TLS13, modern13, 2);
    tls13.staples = true;
    c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &tls13);
    assert_int_equal(cs_vcheck_facts(c)->ocsp_stapling, -1);
    cs_vcheck_free(&c);

    /* A silent server says nothing either way. */
    struct model silent = modern();
    silent.silent = true;
    c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &silent);
    assert_int_equal(cs_vcheck_facts(c)->ocsp_stapling, -1);
    cs_vcheck_free(&c);
}

static void test_old_protocols_are_findings(void **state)
{
    static const uint16_t cbc[] = {0x002f};
    struct model m = {0};
    set_suites(&m, CS_VV_TLS10, cbc, 1);
    set_suites(&m, CS_VV_TLS11, cbc, 1);
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_non_null(finding(c, "tls1_0"));
    assert_non_null(finding(c, "tls1_1"));
    assert_null(finding(c, "sslv3"));
    assert_null(finding(c, "weak_cipher"));
    assert_int_equal(cs_vfacts_forward_secrecy(cs_vcheck_facts(c)), 0);
    cs_vcheck_free(&c);
}

static void test_3des_alone_is_a_medium_weak_cipher(void **state)
{
    static const uint16_t suites[] = {0xc02f, 0x000a};
    struct model m = {0};
    set_suites(&m, CS_VV_TLS12, suites, 2);
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    const struct cs_finding *w = finding(c, "weak_cipher");
    assert_non_null(w);
    assert_int_equal(w->severity, CS_SEVERITY_MEDIUM);
    assert_non_null(strstr(w->detail, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
    assert_null(strstr(w->detail, "GCM"));
    cs_vcheck_free(&c);
}

static void test_export_suite_is_critical(void **state)
{
    static const uint16_t suites[] = {0x0005, 0x0003}; /* RC4-SHA, EXP-RC4-MD5 */
    struct model m = {0};
    set_suites(&m, CS_VV_TLS10, suites, 2);
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    const struct cs_finding *w = finding(c, "weak_cipher");
    assert_non_null(w);
    assert_int_equal(w->severity, CS_SEVERITY_CRITICAL);
    assert_non_null(strstr(w->detail, "TLS_RSA_WITH_RC4_128_SHA"));
    assert_non_null(strstr(w->detail, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"));
    cs_vcheck_free(&c);
}

static void test_sslv3_with_cbc_is_poodle(void **state)
{
    static const uint16_t suites[] = {0x0005, 0x002f}; /* RC4 preferred, CBC accepted */
    struct model m = {0};
    set_suites(&m, CS_VV_SSL3, suites, 2);
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_PROTOCOLS);
    run(c, &m);
    assert_non_null(finding(c, "sslv3"));
    assert_non_null(finding(c, "poodle"));
    /* Ciphers were not asked for: RC4 is not reported. */
    assert_null(finding(c, "weak_cipher"));
    cs_vcheck_free(&c);
}

static void test_sslv3_with_rc4_only_is_not_poodle(void **state)
{
    static const uint16_t suites[] = {0x0005};
    struct model m = {0};
    set_suites(&m, CS_VV_SSL3, suites, 1);
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_non_null(finding(c, "sslv3"));
    assert_null(finding(c, "poodle"));
    cs_vcheck_free(&c);
}

static void test_sslv2_is_critical(void **state)
{
    struct model m = modern();
    m.versions[CS_VV_SSL2] = true;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    const struct cs_finding *f = finding(c, "sslv2");
    assert_non_null(f);
    assert_int_equal(f->severity, CS_SEVERITY_CRITICAL);
    assert_int_equal(cs_vcheck_facts(c)->protocols[CS_VV_SSL2].ssl2_kind_count, 1);
    cs_vcheck_free(&c);
}

static void test_heartbleed_leak(void **state)
{
    struct model m = modern();
    m.heartbeat_ext = true;
    m.heartbeat = HB_LEAK;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    const struct cs_finding *f = finding(c, "heartbleed");
    assert_non_null(f);
    assert_string_equal(f->check->cve, "CVE-2014-0160");
    assert_null(finding(c, "inconclusive"));
    cs_vcheck_free(&c);
}

static void test_heartbeat_ignored_is_not_heartbleed(void **state)
{
    struct model m = modern();
    m.heartbeat_ext = true;
    m.heartbeat = HB_IGNORE;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_int_equal(cs_vcheck_findings(c)->count, 0);
    cs_vcheck_free(&c);
}

static void test_heartbeat_garbage_is_inconclusive(void **state)
{
    struct model m = modern();
    m.heartbeat_ext = true;
    m.heartbeat = HB_GARBAGE;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_null(finding(c, "heartbleed"));
    const struct cs_finding *f = finding(c, "inconclusive");
    assert_non_null(f);
    assert_memory_equal(f->detail, "heartbleed: ", 12);
    cs_vcheck_free(&c);
}

static void test_no_heartbeat_extension_means_no_heartbleed_probe(void **state)
{
    struct model with = modern(), without = modern();
    with.heartbeat_ext = true;
    struct cs_vcheck *a = cs_vcheck_new(NULL, CS_VCHECK_HEARTBLEED);
    struct cs_vcheck *b = cs_vcheck_new(NULL, CS_VCHECK_HEARTBLEED);
    assert_int_equal(run(a, &with), run(b, &without) + 1);
    cs_vcheck_free(&a);
    cs_vcheck_free(&b);
}

static void test_fallback_scsv_ignored(void **state)
{
    struct model m = modern();
    m.ignores_scsv = true;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_non_null(finding(c, "no_fallback_scsv"));
    cs_vcheck_free(&c);
}

static void test_single_protocol_needs_no_fallback_probe(void **state)
{
    struct model m = {0};
    set_suites(&m, CS_VV_TLS12, modern12, 2);
    m.ignores_scsv = true;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_null(finding(c, "no_fallback_scsv"));
    cs_vcheck_free(&c);
}

static void test_renegotiation_and_compression(void **state)
{
    struct model m = modern();
    m.no_reneg = true;
    m.deflate = true;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_non_null(finding(c, "insecure_renegotiation"));
    assert_non_null(finding(c, "compression"));
    cs_vcheck_free(&c);

    c = cs_vcheck_new(NULL, CS_VCHECK_PROTOCOLS);
    run(c, &m);
    assert_null(finding(c, "insecure_renegotiation"));
    assert_null(finding(c, "compression"));
    cs_vcheck_free(&c);
}

static void test_a_liar_is_inconclusive_not_vulnerable(void **state)
{
    static const uint16_t suites[] = {0x0005};
    struct model m = {0};
    set_suites(&m, CS_VV_TLS10, suites, 1);
    m.liar = true;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    run(c, &m);
    assert_null(finding(c, "weak_cipher"));
    assert_null(finding(c, "tls1_0"));
    assert_non_null(finding(c, "inconclusive"));
    cs_vcheck_free(&c);
}

static void test_silent_server_is_inconclusive(void **state)
{
    struct model m = modern();
    m.silent = true;
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_ALL);
    assert_int_equal(run(c, &m), CS_VV_COUNT);
    assert_int_equal(cs_vcheck_findings(c)->count, 1);
    assert_non_null(finding(c, "inconclusive"));
    assert_int_equal(cs_vfacts_forward_secrecy(cs_vcheck_facts(c)), -1);
    cs_vcheck_free(&c);
}

static void test_certificate_only_sends_no_probe(void **state)
{
    struct model m = modern();
    struct cs_vcheck *c = cs_vcheck_new(NULL, CS_VCHECK_CERTIFICATE);
    assert_true(cs_vcheck_finished(c));
    assert_int_equal(run(c, &m), 0);
    cs_vcheck_free(&c);
}

static void test_check_list_parses(void **state)
{
    unsigned mask = 0;
    char err[256];
    assert_int_equal(cs_vcheck_parse_list("protocols,heartbleed", &mask, err, sizeof(err)), CS_OK);
    assert_int_equal(mask, CS_VCHECK_PROTOCOLS | CS_VCHECK_HEARTBLEED);
    assert_int_equal(cs_vcheck_parse_list("protocols,bogus", &mask, err, sizeof(err)),
                     CS_ERR_USAGE);
    assert_non_null(strstr(err, "'bogus'"));
    assert_int_equal(cs_vcheck_parse_list("", &mask, err, sizeof(err)), CS_ERR_USAGE);
    assert_int_equal(cs_vcheck_parse_list("ciphers,", &mask, err, sizeof(err)), CS_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modern_server_has_no_findings),
        cmocka_unit_test(test_ocsp_stapling_is_noted),
        cmocka_unit_test(test_old_protocols_are_findings),
        cmocka_unit_test(test_3des_alone_is_a_medium_weak_cipher),
        cmocka_unit_test(test_export_suite_is_critical),
        cmocka_unit_test(test_sslv3_with_cbc_is_poodle),
        cmocka_unit_test(test_sslv3_with_rc4_only_is_not_poodle),
        cmocka_unit_test(test_sslv2_is_critical),
        cmocka_unit_test(test_heartbleed_leak),
        cmocka_unit_test(test_heartbeat_ignored_is_not_heartbleed),
        cmocka_unit_test(test_heartbeat_garbage_is_inconclusive),
        cmocka_unit_test(test_no_heartbeat_extension_means_no_heartbleed_probe),
        cmocka_unit_test(test_fallback_scsv_ignored),
        cmocka_unit_test(test_single_protocol_needs_no_fallback_probe),
        cmocka_unit_test(test_renegotiation_and_compression),
        cmocka_unit_test(test_a_liar_is_inconclusive_not_vulnerable),
        cmocka_unit_test(test_silent_server_is_inconclusive),
        cmocka_unit_test(test_certificate_only_sends_no_probe),
        cmocka_unit_test(test_check_list_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
