#include "vulncheck.h"
#include "sbuf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* What a probe is for. */
enum purpose {
    FOR_VERSION,     /* does the server speak this protocol? */
    FOR_ELIMINATION, /* which suite does it choose among those left? */
    FOR_HEARTBLEED,
    FOR_FALLBACK,
    FOR_STAPLING,
};

#define PROBES_MAX 8 /* in flight at once: 6 version probes, or 5 chains + 3 */

enum phase { PHASE_VERSIONS, PHASE_FOLLOW_UPS, PHASE_DONE };

struct cs_vcheck {
    const char *sni;
    unsigned mask;
    enum phase phase;
    struct cs_vprobe probes[PROBES_MAX];
    unsigned in_flight;
    bool version_started[CS_VV_COUNT];
    /* The answer to each version probe (kept for renegotiation_info,
     * compression and heartbeat, which it carries). */
    bool version_answered[CS_VV_COUNT];
    struct cs_server_hello version_hello[CS_VV_COUNT];
    /* Suites not yet chosen per protocol, while its elimination runs. */
    uint16_t left[CS_VV_COUNT][CS_SUITES_MAX];
    size_t left_count[CS_VV_COUNT];
    bool eliminating[CS_VV_COUNT];
    bool elimination_in_flight[CS_VV_COUNT];
    bool heartbleed_pending, fallback_pending, stapling_pending;
    enum cs_vversion heartbleed_version, fallback_version, stapling_version;
    struct cs_vfacts facts;
    struct cs_findings findings;
    struct cs_sbuf inconclusive; /* "; "-separated notes for the inconclusive finding */
};

static const struct {
    const char *name;
    unsigned flag;
} check_names[] = {
    {"protocols", CS_VCHECK_PROTOCOLS},         {"ciphers", CS_VCHECK_CIPHERS},
    {"heartbleed", CS_VCHECK_HEARTBLEED},       {"fallback", CS_VCHECK_FALLBACK},
    {"renegotiation", CS_VCHECK_RENEGOTIATION}, {"compression", CS_VCHECK_COMPRESSION},
    {"certificate", CS_VCHECK_CERTIFICATE},
};

unsigned cs_vcheck_group_of(const char *id)
{
    static const struct {
        const char *id;
        unsigned flag;
    } groups[] = {
        {"sslv2", CS_VCHECK_PROTOCOLS},
        {"sslv3", CS_VCHECK_PROTOCOLS},
        {"tls1_0", CS_VCHECK_PROTOCOLS},
        {"tls1_1", CS_VCHECK_PROTOCOLS},
        {"poodle", CS_VCHECK_PROTOCOLS},
        {"weak_cipher", CS_VCHECK_CIPHERS},
        {"heartbleed", CS_VCHECK_HEARTBLEED},
        {"no_fallback_scsv", CS_VCHECK_FALLBACK},
        {"insecure_renegotiation", CS_VCHECK_RENEGOTIATION},
        {"compression", CS_VCHECK_COMPRESSION},
        {"expired", CS_VCHECK_CERTIFICATE},
        {"not_yet_valid", CS_VCHECK_CERTIFICATE},
        {"expiring", CS_VCHECK_CERTIFICATE},
        {"weak_signature", CS_VCHECK_CERTIFICATE},
        {"weak_key", CS_VCHECK_CERTIFICATE},
        {"self_signed", CS_VCHECK_CERTIFICATE},
        {"untrusted_chain", CS_VCHECK_CERTIFICATE},
        {"incomplete_chain", CS_VCHECK_CERTIFICATE},
        {"hostname_mismatch", CS_VCHECK_CERTIFICATE},
    };
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (strcmp(groups[i].id, id) == 0)
            return groups[i].flag;
    return 0;
}

bool cs_vcheck_inconclusive_about(const struct cs_findings *findings, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < findings->count; i++) {
        const struct cs_finding *f = &findings->items[i];
        if (strcmp(f->check->id, "inconclusive") != 0)
            continue;
        /* Notes are "name: text", joined by "; " (note_inconclusive). */
        for (const char *p = f->detail; p != NULL;) {
            if (strncmp(p, name, n) == 0 && p[n] == ':')
                return true;
            if ((p = strstr(p, "; ")) != NULL)
                p += 2;
        }
    }
    return false;
}

unsigned cs_vcheck_inconclusive_groups(const struct cs_findings *findings)
{
    unsigned mask = 0;
    for (size_t k = 0; k < sizeof(check_names) / sizeof(check_names[0]); k++)
        if (cs_vcheck_inconclusive_about(findings, check_names[k].name))
            mask |= check_names[k].flag;
    return mask;
}

enum cs_rc cs_vcheck_parse_list(const char *text, unsigned *mask, char *err, size_t errlen)
{
    unsigned out = 0;
    const char *p = text;

    for (;;) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (size_t i = 0; i < sizeof(check_names) / sizeof(check_names[0]); i++) {
            if (strlen(check_names[i].name) == n && strncmp(p, check_names[i].name, n) == 0) {
                out |= check_names[i].flag;
                known = true;
            }
        }
        if (!known)
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "unknown check '%.*s' (known: protocols, ciphers, heartbleed, "
                           "fallback, renegotiation, compression, certificate)",
                           (int)n, p);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *mask = out;
    return CS_OK;
}

uint16_t cs_vversion_wire(enum cs_vversion v)
{
    static const uint16_t wire[CS_VV_COUNT] = {CS_SSL2,  CS_SSL3,  CS_TLS10,
                                               CS_TLS11, CS_TLS12, CS_TLS13};
    return wire[v];
}

struct cs_vcheck *cs_vcheck_new(const char *sni, unsigned mask)
{
    struct cs_vcheck *c = calloc(1, sizeof(*c));
    if (c != NULL) {
        c->sni = sni;
        c->mask = mask;
        c->facts.ocsp_stapling = -1;
        /* The certificate checks need no raw probe. */
        if ((mask & ~(unsigned)CS_VCHECK_CERTIFICATE) == 0)
            c->phase = PHASE_DONE;
    }
    return c;
}

void cs_vcheck_free(struct cs_vcheck **check)
{
    if (check == NULL || *check == NULL)
        return;
    cs_findings_clear(&(*check)->findings);
    cs_sbuf_free(&(*check)->inconclusive);
    free(*check);
    *check = NULL;
}

/* Notes something that keeps a check from an answer; it becomes one
 * "inconclusive" finding at the end. */
static void note_inconclusive(struct cs_vcheck *c, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_inconclusive(struct cs_vcheck *c, const char *check, const char *fmt, ...)
{
    va_list ap;
    if (c->inconclusive.len > 0)
        cs_sbuf_str(&c->inconclusive, "; ");
    cs_sbuf_printf(&c->inconclusive, "%s: ", check);
    va_start(ap, fmt);
    cs_sbuf_vprintf(&c->inconclusive, fmt, ap);
    va_end(ap);
}

/* ---- probes ------------------------------------------------------------- */

static struct cs_vprobe *probe_new(struct cs_vcheck *c, enum purpose purpose,
                                   enum cs_vversion version)
{
    for (int i = 0; i < PROBES_MAX; i++) {
        struct cs_vprobe *p = &c->probes[i];
        if (p->in_use)
            continue;
        memset(p, 0, offsetof(struct cs_vprobe, suites));
        p->in_use = true;
        p->purpose = purpose;
        p->version = version;
        p->kind = version == CS_VV_SSL2 ? CS_VPROBE_SSL2 : CS_VPROBE_HELLO;
        p->offer.version = cs_vversion_wire(version);
        p->offer.sni = c->sni;
        p->offer.suites = p->suites;
        c->in_flight++;
        return p;
    }
    return NULL;
}

/* A version probe offers everything of its protocol, and asks for DEFLATE
 * and heartbeats too: one hello answers several checks. */
static struct cs_vprobe *version_probe(struct cs_vcheck *c, enum cs_vversion v)
{
    struct cs_vprobe *p = probe_new(c, FOR_VERSION, v);
    if (p == NULL)
        return NULL;
    c->version_started[v] = true;
    if (v != CS_VV_SSL2) {
        p->offer.suite_count = cs_suites_for_version(p->offer.version, p->suites, CS_SUITES_MAX);
        p->offer.deflate = v != CS_VV_TLS13;
        p->offer.heartbeat = v != CS_VV_TLS13 && v != CS_VV_SSL3;
    }
    return p;
}

static struct cs_vprobe *elimination_probe(struct cs_vcheck *c, enum cs_vversion v)
{
    struct cs_vprobe *p = probe_new(c, FOR_ELIMINATION, v);
    if (p == NULL)
        return NULL;
    memcpy(p->suites, c->left[v], c->left_count[v] * sizeof(p->suites[0]));
    p->offer.suite_count = c->left_count[v];
    c->elimination_in_flight[v] = true;
    return p;
}

static struct cs_vprobe *heartbleed_probe(struct cs_vcheck *c)
{
    struct cs_vprobe *p = probe_new(c, FOR_HEARTBLEED, c->heartbleed_version);
    if (p == NULL)
        return NULL;
    p->kind = CS_VPROBE_HEARTBEAT;
    p->offer.suite_count = cs_suites_for_version(p->offer.version, p->suites, CS_SUITES_MAX);
    p->offer.heartbeat = true;
    c->heartbleed_pending = false;
    return p;
}

static struct cs_vprobe *fallback_probe(struct cs_vcheck *c)
{
    struct cs_vprobe *p = probe_new(c, FOR_FALLBACK, c->fallback_version);
    if (p == NULL)
        return NULL;
    p->offer.suite_count = cs_suites_for_version(p->offer.version, p->suites, CS_SUITES_MAX);
    p->offer.fallback_scsv = true;
    c->fallback_pending = false;
    return p;
}

/* A full first flight with status_request: does a CertificateStatus come? */
static struct cs_vprobe *stapling_probe(struct cs_vcheck *c)
{
    struct cs_vprobe *p = probe_new(c, FOR_STAPLING, c->stapling_version);
    if (p == NULL)
        return NULL;
    p->kind = CS_VPROBE_FLIGHT;
    p->offer.suite_count = cs_suites_for_version(p->offer.version, p->suites, CS_SUITES_MAX);
    p->offer.status_request = true;
    c->stapling_pending = false;
    return p;
}

/* ---- what the answers mean ---------------------------------------------- */

static bool offered(const struct cs_vprobe *p, uint16_t suite)
{
    for (size_t i = 0; i < p->offer.suite_count; i++)
        if (p->suites[i] == suite)
            return true;
    return false;
}

static void accept_suite(struct cs_vcheck *c, enum cs_vversion v, uint16_t suite)
{
    struct cs_vprotocol *proto = &c->facts.protocols[v];
    size_t k = 0;

    if (proto->accepted_count < CS_SUITES_MAX)
        proto->accepted[proto->accepted_count++] = suite;
    for (size_t i = 0; i < c->left_count[v]; i++)
        if (c->left[v][i] != suite)
            c->left[v][k++] = c->left[v][i];
    c->left_count[v] = k;
}

static const char *end_name(const struct cs_vprobe *p)
{
    switch (p->end) {
    case CS_VPROBE_ANSWERED:
        return "answered";
    case CS_VPROBE_CLOSED:
        return "connection closed";
    case CS_VPROBE_TIMEOUT:
        return "no answer in time";
    case CS_VPROBE_CONNECT_FAILED:
        return "could not connect";
    }
    return "?";
}

static void version_done(struct cs_vcheck *c, const struct cs_vprobe *p)
{
    const char *name = cs_version_name(cs_vversion_wire(p->version));
    const struct cs_answer *a = &p->answer;

    if (p->end != CS_VPROBE_ANSWERED) {
        /* Silence or a closed connection is how many servers refuse a
         * protocol; only a connection that never came up hides the answer. */
        if (p->end == CS_VPROBE_CONNECT_FAILED || p->end == CS_VPROBE_TIMEOUT)
            note_inconclusive(c, "protocols", "%s probe: %s", name, end_name(p));
        return;
    }
    if (p->version == CS_VV_SSL2) {
        if (a->kind == CS_ANSWER_SSL2_HELLO && a->ssl2_suite_count > 0) {
            struct cs_vprotocol *proto = &c->facts.protocols[CS_VV_SSL2];
            proto->supported = true;
            proto->ssl2_kind_count = a->ssl2_suite_count;
            memcpy(proto->ssl2_kinds, a->ssl2_suites, a->ssl2_suite_count * sizeof(uint32_t));
        }
        return;
    }
    if (a->kind == CS_ANSWER_MALFORMED) {
        note_inconclusive(c, "protocols", "%s probe: %s", name, a->reason);
        return;
    }
    if (a->kind != CS_ANSWER_SERVER_HELLO)
        return; /* an alert or not TLS: the protocol is refused */
    if (a->hello.version != p->offer.version) {
        /* A lower version is the server's way to say "not this one"; a
         * higher one than offered is a server that does not follow TLS. */
        if (a->hello.version > p->offer.version)
            note_inconclusive(c, "protocols", "%s probe: the server answered with 0x%04x", name,
                              a->hello.version);
        return;
    }
    if (!offered(p, a->hello.suite)) {
        note_inconclusive(c, "protocols", "%s probe: the server chose suite 0x%04x, not offered",
                          name, a->hello.suite);
        return;
    }
    c->facts.protocols[p->version].supported = true;
    c->version_answered[p->version] = true;
    c->version_hello[p->version] = a->hello;
    c->left_count[p->version] =
        cs_suites_for_version(p->offer.version, c->left[p->version], CS_SUITES_MAX);
    accept_suite(c, p->version, a->hello.suite);
}

static void elimination_done(struct cs_vcheck *c, const struct cs_vprobe *p)
{
    enum cs_vversion v = p->version;
    const struct cs_answer *a = &p->answer;
    const char *name = cs_version_name(cs_vversion_wire(v));

    c->elimination_in_flight[v] = false;
    if (p->end == CS_VPROBE_ANSWERED && a->kind == CS_ANSWER_SERVER_HELLO &&
        a->hello.version == p->offer.version) {
        /* A HelloRetryRequest too names the suite the server would use. */
        if (offered(p, a->hello.suite)) {
            accept_suite(c, v, a->hello.suite);
            if (c->left_count[v] == 0)
                c->eliminating[v] = false;
            return;
        }
        note_inconclusive(c, "ciphers", "%s: the server chose suite 0x%04x, not offered", name,
                          a->hello.suite);
    } else if (p->end == CS_VPROBE_TIMEOUT || p->end == CS_VPROBE_CONNECT_FAILED) {
        note_inconclusive(c, "ciphers", "%s: enumeration cut short (%s)", name, end_name(p));
    } else if (p->end == CS_VPROBE_ANSWERED && a->kind == CS_ANSWER_MALFORMED) {
        note_inconclusive(c, "ciphers", "%s: %s", name, a->reason);
    }
    /* Refused (an alert, a close, a lower version): no suite is left. */
    c->eliminating[v] = false;
}

static void heartbleed_done(struct cs_vcheck *c, const struct cs_vprobe *p)
{
    const struct cs_answer *a = &p->answer;

    if (a->heartbeat_leak) {
        cs_findings_add(&c->findings, "heartbleed",
                        "the server answered a heartbeat claiming %u bytes with %u bytes of "
                        "its memory (%s)",
                        CS_HEARTBEAT_CLAIM, CS_HEARTBEAT_CLAIM, cs_version_name(p->offer.version));
        return;
    }
    if (a->heartbeat_garbage) {
        note_inconclusive(c, "heartbleed",
                          "the answer to the heartbeat is not a heartbeat response");
        return;
    }
    if (a->kind != CS_ANSWER_SERVER_HELLO || !a->hello_done) {
        note_inconclusive(c, "heartbleed", "the handshake did not reach ServerHelloDone (%s)",
                          a->kind == CS_ANSWER_MALFORMED ? a->reason : end_name(p));
        return;
    }
    if (a->heartbeat_seen) {
        note_inconclusive(c, "heartbleed", "the heartbeat answer was cut short (%s)", end_name(p));
        return;
    }
    /* No heartbeat came back before the server closed or the deadline:
     * the request was discarded, as RFC 6520 says it must be. */
}

static void stapling_done(struct cs_vcheck *c, const struct cs_vprobe *p)
{
    const struct cs_answer *a = &p->answer;

    /* Only a whole flight says "no"; a server may leave out the status of
     * a response it does not have yet, which is also a "no" for now. */
    if (a->kind == CS_ANSWER_SERVER_HELLO && a->hello_done && a->alert < 0)
        c->facts.ocsp_stapling = a->cert_status;
}

static void fallback_done(struct cs_vcheck *c, const struct cs_vprobe *p)
{
    const struct cs_answer *a = &p->answer;
    const char *name = cs_version_name(p->offer.version);

    if (p->end == CS_VPROBE_ANSWERED && a->kind == CS_ANSWER_SERVER_HELLO) {
        cs_findings_add(&c->findings, "no_fallback_scsv",
                        "the server accepted a %s hello marked as a fallback (TLS_FALLBACK_SCSV) "
                        "although it supports a higher version",
                        name);
        return;
    }
    if (p->end == CS_VPROBE_ANSWERED && a->kind == CS_ANSWER_ALERT && a->alert == 86)
        return; /* inappropriate_fallback: as RFC 7507 asks */
    if (p->end == CS_VPROBE_ANSWERED && a->kind == CS_ANSWER_ALERT)
        note_inconclusive(c, "fallback", "a %s fallback hello got alert %d", name, a->alert);
    else
        note_inconclusive(c, "fallback", "a %s fallback hello: %s", name,
                          a->kind == CS_ANSWER_MALFORMED ? a->reason : end_name(p));
}

/* ---- planning ----------------------------------------------------------- */

static bool supported(const struct cs_vcheck *c, enum cs_vversion v)
{
    return c->facts.protocols[v].supported;
}

/* Once every protocol has answered: what to probe further. */
static void plan_follow_ups(struct cs_vcheck *c)
{
    c->phase = PHASE_FOLLOW_UPS;
    if (c->mask & (CS_VCHECK_CIPHERS | CS_VCHECK_PROTOCOLS)) {
        /* Enumeration also serves POODLE (any CBC suite on SSLv3). */
        for (int v = CS_VV_SSL3; v < CS_VV_COUNT; v++)
            c->eliminating[v] = supported(c, (enum cs_vversion)v) && c->left_count[v] > 0 &&
                                ((c->mask & CS_VCHECK_CIPHERS) || v == CS_VV_SSL3);
    }
    if (c->mask & CS_VCHECK_HEARTBLEED) {
        /* Only a server that says it does heartbeats can leak through them. */
        for (int v = CS_VV_TLS12; v >= CS_VV_TLS10; v--) {
            if (c->version_answered[v] && c->version_hello[v].heartbeat) {
                c->heartbleed_pending = true;
                c->heartbleed_version = (enum cs_vversion)v;
                break;
            }
        }
    }
    /* Stapling is a fact of the endpoint, looked at whatever the groups. */
    for (int v = CS_VV_TLS12; v >= CS_VV_TLS10; v--) {
        if (supported(c, (enum cs_vversion)v)) {
            c->stapling_pending = true;
            c->stapling_version = (enum cs_vversion)v;
            break;
        }
    }
    if (c->mask & CS_VCHECK_FALLBACK) {
        /* A hello for the second-best protocol, marked as a fallback. */
        int best = -1;
        for (int v = CS_VV_TLS13; v >= CS_VV_TLS10; v--) {
            if (!supported(c, (enum cs_vversion)v))
                continue;
            if (best < 0) {
                best = v;
                continue;
            }
            c->fallback_pending = true;
            c->fallback_version = (enum cs_vversion)v;
            break;
        }
    }
}

/* ---- findings ------------------------------------------------------------ */

static void protocol_findings(struct cs_vcheck *c)
{
    static const struct {
        enum cs_vversion v;
        const char *id;
    } old[] = {
        {CS_VV_SSL2, "sslv2"},
        {CS_VV_SSL3, "sslv3"},
        {CS_VV_TLS10, "tls1_0"},
        {CS_VV_TLS11, "tls1_1"},
    };
    for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
        const struct cs_vprotocol *proto = &c->facts.protocols[old[i].v];
        if (!proto->supported)
            continue;
        const char *name = cs_version_name(cs_vversion_wire(old[i].v));
        if (old[i].v == CS_VV_SSL2) {
            const struct cs_ssl2_suite *k = cs_ssl2_suite_find(proto->ssl2_kinds[0]);
            cs_findings_add(&c->findings, old[i].id,
                            "the server speaks %s (%zu cipher kinds, "
                            "first %s)",
                            name, proto->ssl2_kind_count, k ? k->name : "unknown");
        } else {
            const struct cs_suite *s = cs_suite_find(proto->accepted[0]);
            cs_findings_add(&c->findings, old[i].id, "the server accepts %s (preferred suite %s)",
                            name, s ? s->name : "unknown");
        }
    }
    const struct cs_vprotocol *ssl3 = &c->facts.protocols[CS_VV_SSL3];
    for (size_t i = 0; ssl3->supported && i < ssl3->accepted_count; i++) {
        const struct cs_suite *s = cs_suite_find(ssl3->accepted[i]);
        if (s != NULL && (s->flags & CS_SUITE_CBC)) {
            cs_findings_add(&c->findings, "poodle", "SSLv3 is accepted with the CBC suite %s",
                            s->name);
            break;
        }
    }
}

static void cipher_findings(struct cs_vcheck *c)
{
    struct cs_sbuf detail = {0};
    unsigned weak_flags = 0;

    for (int v = CS_VV_SSL3; v < CS_VV_COUNT; v++) {
        const struct cs_vprotocol *proto = &c->facts.protocols[v];
        bool first = true;
        for (size_t i = 0; i < proto->accepted_count; i++) {
            const struct cs_suite *s = cs_suite_find(proto->accepted[i]);
            if (s == NULL || !(s->flags & CS_SUITE_WEAK))
                continue;
            weak_flags |= s->flags & CS_SUITE_WEAK;
            if (first)
                cs_sbuf_printf(&detail, "%s%s: ", detail.len ? "; " : "",
                               cs_version_name(cs_vversion_wire((enum cs_vversion)v)));
            cs_sbuf_printf(&detail, "%s%s", first ? "" : ", ", s->name);
            first = false;
        }
    }
    if (weak_flags != 0) {
        enum cs_severity severity = CS_SEVERITY_HIGH;
        if (weak_flags & (CS_SUITE_NULL_ENC | CS_SUITE_ANON | CS_SUITE_EXPORT))
            severity = CS_SEVERITY_CRITICAL;
        else if (weak_flags == CS_SUITE_3DES)
            severity = CS_SEVERITY_MEDIUM; /* SWEET32 needs hundreds of GB on one connection */
        cs_findings_add_severity(&c->findings, "weak_cipher", severity, "%s",
                                 detail.p ? detail.p : "");
    }
    cs_sbuf_free(&detail);
}

static void hello_findings(struct cs_vcheck *c)
{
    /* Renegotiation: judged on the best protocol below TLS 1.3, which has
     * no renegotiation at all. */
    if (c->mask & CS_VCHECK_RENEGOTIATION) {
        for (int v = CS_VV_TLS12; v >= CS_VV_SSL3; v--) {
            if (!c->version_answered[v])
                continue;
            if (!c->version_hello[v].renegotiation_info)
                cs_findings_add(&c->findings, "insecure_renegotiation",
                                "the %s ServerHello has no renegotiation_info (RFC 5746)",
                                cs_version_name(cs_vversion_wire((enum cs_vversion)v)));
            break;
        }
    }
    if (c->mask & CS_VCHECK_COMPRESSION) {
        for (int v = CS_VV_TLS12; v >= CS_VV_SSL3; v--) {
            if (c->version_answered[v] && c->version_hello[v].compression != 0) {
                cs_findings_add(&c->findings, "compression",
                                "the server chose TLS compression (method %u) with %s",
                                c->version_hello[v].compression,
                                cs_version_name(cs_vversion_wire((enum cs_vversion)v)));
                break;
            }
        }
    }
}

static void finish(struct cs_vcheck *c)
{
    c->phase = PHASE_DONE;
    if (c->mask & CS_VCHECK_PROTOCOLS)
        protocol_findings(c);
    if (c->mask & CS_VCHECK_CIPHERS)
        cipher_findings(c);
    hello_findings(c);
    if (c->inconclusive.len > 0)
        cs_findings_add(&c->findings, "inconclusive", "%s", c->inconclusive.p);
}

/* ---- the machine ---------------------------------------------------------- */

struct cs_vprobe *cs_vcheck_next(struct cs_vcheck *c)
{
    if (c->phase == PHASE_DONE)
        return NULL;
    if (c->phase == PHASE_VERSIONS) {
        for (int v = 0; v < CS_VV_COUNT; v++)
            if (!c->version_started[v])
                return version_probe(c, (enum cs_vversion)v);
        return NULL;
    }
    for (int v = 0; v < CS_VV_COUNT; v++)
        if (c->eliminating[v] && !c->elimination_in_flight[v])
            return elimination_probe(c, (enum cs_vversion)v);
    if (c->heartbleed_pending)
        return heartbleed_probe(c);
    if (c->fallback_pending)
        return fallback_probe(c);
    if (c->stapling_pending)
        return stapling_probe(c);
    return NULL;
}

static bool follow_ups_left(const struct cs_vcheck *c)
{
    if (c->heartbleed_pending || c->fallback_pending || c->stapling_pending)
        return true;
    for (int v = 0; v < CS_VV_COUNT; v++)
        if (c->eliminating[v])
            return true;
    return false;
}

enum cs_rc cs_vcheck_done(struct cs_vcheck *c, struct cs_vprobe *p)
{
    switch ((enum purpose)p->purpose) {
    case FOR_VERSION:
        version_done(c, p);
        break;
    case FOR_ELIMINATION:
        elimination_done(c, p);
        break;
    case FOR_HEARTBLEED:
        heartbleed_done(c, p);
        break;
    case FOR_FALLBACK:
        fallback_done(c, p);
        break;
    case FOR_STAPLING:
        stapling_done(c, p);
        break;
    }
    p->in_use = false;
    c->in_flight--;
    if (c->in_flight > 0)
        return CS_OK;
    if (c->phase == PHASE_VERSIONS) {
        bool all_started = true;
        for (int v = 0; v < CS_VV_COUNT; v++)
            all_started = all_started && c->version_started[v];
        if (!all_started)
            return CS_OK;
        plan_follow_ups(c);
    }
    if (c->phase == PHASE_FOLLOW_UPS && !follow_ups_left(c))
        finish(c);
    return CS_OK;
}

bool cs_vcheck_finished(const struct cs_vcheck *c)
{
    return c->phase == PHASE_DONE;
}

const struct cs_vfacts *cs_vcheck_facts(const struct cs_vcheck *c)
{
    return &c->facts;
}

struct cs_findings *cs_vcheck_findings(struct cs_vcheck *c)
{
    return &c->findings;
}

int cs_vfacts_forward_secrecy(const struct cs_vfacts *facts)
{
    for (int v = CS_VV_TLS13; v >= CS_VV_SSL3; v--) {
        const struct cs_vprotocol *proto = &facts->protocols[v];
        if (!proto->supported || proto->accepted_count == 0)
            continue;
        const struct cs_suite *s = cs_suite_find(proto->accepted[0]);
        return s != NULL && (s->flags & CS_SUITE_FS);
    }
    return -1;
}
