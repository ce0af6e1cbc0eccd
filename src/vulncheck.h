/*
 * The checks of a vulnerability scan on one endpoint, as a state machine
 * without I/O: it says which raw probe (a hand-built ClientHello, see
 * hello.h) to send next, is told what the server answered, and ends with
 * the facts (protocols, suites) and the findings.
 *
 *   versions: one hello per protocol, SSLv2 .. TLS 1.3, in parallel
 *       |
 *   follow-ups, in parallel:
 *       - per protocol, enumerate accepted suites by elimination (offer all
 *         not yet chosen, record the choice, repeat until refused)
 *       - heartbleed, when a hello's answer echoed the heartbeat extension
 *       - fallback SCSV, when two protocols below TLS 1.3's level are on offer
 *       - OCSP stapling, on the best protocol of TLS 1.0 to 1.2
 *       |
 *   findings
 *
 * The engine (vulnscan.c) owns the sockets; this module owns the decisions,
 * so they can be tested with made-up answers.
 */
#ifndef CS_VULNCHECK_H
#define CS_VULNCHECK_H

#include "ciphers.h"
#include "finding.h"
#include "hello.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The groups of checks a user can pick with --checks. */
enum cs_vcheck_flags {
    CS_VCHECK_PROTOCOLS = 1 << 0,     /* sslv2, sslv3, tls1_0, tls1_1, poodle */
    CS_VCHECK_CIPHERS = 1 << 1,       /* weak_cipher, accepted suites */
    CS_VCHECK_HEARTBLEED = 1 << 2,    /* heartbleed */
    CS_VCHECK_FALLBACK = 1 << 3,      /* no_fallback_scsv */
    CS_VCHECK_RENEGOTIATION = 1 << 4, /* insecure_renegotiation */
    CS_VCHECK_COMPRESSION = 1 << 5,   /* compression */
    CS_VCHECK_CERTIFICATE = 1 << 6,   /* certcheck.h */
};
#define CS_VCHECK_ALL 0x7f

/* Parses "protocols,ciphers" into a mask. On error names the bad word. */
enum cs_rc cs_vcheck_parse_list(const char *text, unsigned *mask, char *err, size_t errlen);

/* The group of checks whose run decides check_id (a finding id of
 * finding.h): a stored finding is marked fixed only by a scan that ran its
 * group. 0 for ids no group decides (revocation, inconclusive). */
unsigned cs_vcheck_group_of(const char *check_id);

/* Whether the "inconclusive" finding's detail has a note about name
 * ("protocols: ...; revocation: ..."): then the absent findings of name
 * prove nothing. The groups of enum cs_vcheck_flags with such a note. */
bool cs_vcheck_inconclusive_about(const struct cs_findings *findings, const char *name);
unsigned cs_vcheck_inconclusive_groups(const struct cs_findings *findings);

/* The protocols probed, lowest first. */
enum cs_vversion {
    CS_VV_SSL2,
    CS_VV_SSL3,
    CS_VV_TLS10,
    CS_VV_TLS11,
    CS_VV_TLS12,
    CS_VV_TLS13,
    CS_VV_COUNT
};

/* The wire version of a protocol index (CS_SSL2 .. CS_TLS13). */
uint16_t cs_vversion_wire(enum cs_vversion v);

/* What one protocol looks like from the outside. */
struct cs_vprotocol {
    bool supported;
    uint16_t accepted[CS_SUITES_MAX]; /* TLS suites in the server's order, the preferred first */
    size_t accepted_count;
    uint32_t ssl2_kinds[CS_SSL2_SUITES_MAX]; /* SSLv2 only: the kinds the server lists */
    size_t ssl2_kind_count;
};

struct cs_vfacts {
    struct cs_vprotocol protocols[CS_VV_COUNT];
    /* Whether the server staples an OCSP response when asked (status_request,
     * RFC 6066 8), seen on its best protocol of TLS 1.0 to 1.2: 1 yes, 0 no,
     * -1 unknown (TLS 1.3 only, where it is encrypted, or no full answer). */
    int ocsp_stapling;
};

enum cs_vprobe_kind {
    CS_VPROBE_HELLO,     /* send offer's ClientHello, read up to the ServerHello */
    CS_VPROBE_SSL2,      /* send an SSLv2 CLIENT-HELLO */
    CS_VPROBE_HEARTBEAT, /* hello, then at ServerHelloDone a heartbeat request */
    CS_VPROBE_FLIGHT,    /* hello, read up to the ServerHelloDone */
};

/* How a probe's connection ended. */
enum cs_vprobe_end {
    CS_VPROBE_ANSWERED,       /* the parser decided (answer.kind != NEED_MORE) */
    CS_VPROBE_CLOSED,         /* EOF or RST before that */
    CS_VPROBE_TIMEOUT,        /* the read deadline passed first */
    CS_VPROBE_CONNECT_FAILED, /* no TCP connection */
};

/* One probe: what to send (set by cs_vcheck_next) and what came back (set
 * by the engine before cs_vcheck_done). */
struct cs_vprobe {
    enum cs_vprobe_kind kind;
    struct cs_hello_offer offer; /* suites point into the check's memory */
    enum cs_vprobe_end end;
    struct cs_answer answer; /* as far as parsed when it ended */
    /* Private to vulncheck.c: */
    int purpose;
    enum cs_vversion version;
    bool in_use;
    uint16_t suites[CS_SUITES_MAX];
};

struct cs_vcheck;

/* A check of one endpoint reached with sni (NULL: none), running the
 * groups in mask. Returns NULL when out of memory. Free with
 * cs_vcheck_free(). */
struct cs_vcheck *cs_vcheck_new(const char *sni, unsigned mask);
void cs_vcheck_free(struct cs_vcheck **check);

/* The next probe to start, or NULL when none can start before one in
 * flight ends. The probe belongs to check and stays valid until it is
 * handed back with cs_vcheck_done(). */
struct cs_vprobe *cs_vcheck_next(struct cs_vcheck *check);

/* Hands back a probe with its outcome filled in. */
enum cs_rc cs_vcheck_done(struct cs_vcheck *check, struct cs_vprobe *probe);

/* True once every probe is done and the findings are in. */
bool cs_vcheck_finished(const struct cs_vcheck *check);

/* Results, valid once finished and until the check is freed. */
const struct cs_vfacts *cs_vcheck_facts(const struct cs_vcheck *check);
struct cs_findings *cs_vcheck_findings(struct cs_vcheck *check);

/* Whether the preferred suite of the best protocol has forward secrecy:
 * 1 yes, 0 no, -1 when no TLS protocol is supported. */
int cs_vfacts_forward_secrecy(const struct cs_vfacts *facts);

#endif
