/*
 * Hand-built ClientHellos and a hand-written parser of what a server answers
 * to them, up to ServerHelloDone: the raw probes of the vulnerability scan.
 * OpenSSL 3 cannot speak SSLv2 or SSLv3, nor offer suites it no longer
 * implements, so these probes never go through it (as sslscan does).
 *
 * The parser is a pure function of the bytes received so far: call it again
 * with the longer buffer whenever more arrive. It reads only within len and
 * never trusts a length the server sent.
 */
#ifndef CS_HELLO_H
#define CS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a ClientHello offers. */
struct cs_hello_offer {
    uint16_t version;       /* CS_SSL3 .. CS_TLS13 (ciphers.h); SSLv2 has its own builder */
    const uint16_t *suites; /* ids, in preference order */
    size_t suite_count;
    const char *sni;    /* server_name to send, or NULL; not sent if an IP address */
    bool fallback_scsv; /* append TLS_FALLBACK_SCSV (RFC 7507) */
    bool deflate;       /* offer DEFLATE compression (CRIME) besides null */
    bool heartbeat;     /* offer the heartbeat extension (RFC 6520) */
    bool status_request; /* ask for a stapled OCSP response (RFC 6066 8) */
};

/* Largest ClientHello cs_hello_build() writes. */
#define CS_HELLO_MAX 4096

/*
 * Writes one TLS record holding a ClientHello for offer into out. The record
 * version is 0x0300 for SSLv3 and 0x0301 otherwise (what servers expect of
 * a first record); the hello carries renegotiation_info (empty, RFC 5746)
 * from TLS 1.0 on, supported_groups, ec_point_formats,
 * signature_algorithms from TLS 1.2 on (RFC 5246 7.4.1.4.1 forbids it
 * earlier), heartbeat and status_request if asked, and for TLS 1.3 supported_versions (1.3
 * alone), psk_key_exchange_modes, an x25519 key_share (a random public
 * value: the handshake is never finished) and a random 32-byte legacy
 * session id; hellos of other versions have an empty session id. Hellos of
 * 256 to 511 bytes are padded to 512 (RFC 7685). SSLv3 hellos carry no
 * extensions and offer TLS_EMPTY_RENEGOTIATION_INFO_SCSV instead. A TLS 1.3
 * server refuses deflate: offer it only below 1.3. Returns the length
 * written, 0 if cap (or CS_HELLO_MAX) is too small, the version is not
 * CS_SSL3 .. CS_TLS13, or the random generator fails.
 */
size_t cs_hello_build(const struct cs_hello_offer *offer, unsigned char *out, size_t cap);

/* Writes an SSLv2 CLIENT-HELLO (record header included) offering every
 * SSLv2 cipher kind. Returns the length, 0 if cap is too small. */
size_t cs_hello_build_ssl2(unsigned char *out, size_t cap);

/* Writes a TLS heartbeat request record (RFC 6520) whose payload_length
 * claims CS_HEARTBEAT_CLAIM bytes while none follow: a server that answers
 * with more than it was sent leaks its memory (Heartbleed, CVE-2014-0160).
 * version is the record version of the handshake it follows. Returns the
 * length (8). */
#define CS_HEARTBEAT_CLAIM 0x4000
size_t cs_heartbeat_build(uint16_t version, unsigned char *out, size_t cap);

enum cs_answer_kind {
    CS_ANSWER_NEED_MORE,    /* nothing decided yet: read more */
    CS_ANSWER_SERVER_HELLO, /* a TLS/SSLv3 ServerHello (hello filled) */
    CS_ANSWER_SSL2_HELLO,   /* an SSLv2 SERVER-HELLO (ssl2_* filled) */
    CS_ANSWER_ALERT,        /* a TLS alert before any ServerHello */
    CS_ANSWER_NOT_TLS,      /* the first bytes are not TLS (reason says what) */
    CS_ANSWER_MALFORMED,    /* TLS framing that breaks its own rules (reason) */
};

struct cs_server_hello {
    uint16_t version; /* negotiated: supported_versions if present, else the hello's */
    uint16_t suite;
    uint8_t compression;     /* 0 null, 1 DEFLATE */
    bool hello_retry;        /* a TLS 1.3 HelloRetryRequest */
    bool renegotiation_info; /* the server sent renegotiation_info (RFC 5746) */
    bool heartbeat;          /* the server sent the heartbeat extension */
};

#define CS_SSL2_SUITES_MAX 32

struct cs_answer {
    enum cs_answer_kind kind;
    struct cs_server_hello hello;
    /* After the ServerHello, what the parser saw further (TLS <= 1.2). */
    bool hello_done;  /* a ServerHelloDone */
    bool cert_status; /* a CertificateStatus (a stapled OCSP response) before it */
    int alert;       /* description of an alert, -1 if none */
    /* Heartbeat records after the ServerHello: */
    bool heartbeat_seen;    /* at least one record of type 24 */
    bool heartbeat_leak;    /* a response (type 2) echoing CS_HEARTBEAT_CLAIM,
                             * with at least that many payload bytes */
    bool heartbeat_garbage; /* a heartbeat record that is not such a response */
    /* SSLv2 SERVER-HELLO: the cipher kinds it lists. */
    uint32_t ssl2_suites[CS_SSL2_SUITES_MAX];
    size_t ssl2_suite_count;
    const char *reason; /* static: why NOT_TLS / MALFORMED, e.g. "http_response",
                         * "record_too_long", "server_hello_truncated" */
};

/*
 * Parses the bytes a server sent in answer to one of the hellos above, from
 * the first byte. Fills *out and returns its kind. Once it returns
 * SERVER_HELLO it keeps doing so for longer buffers, with hello_done,
 * alert and heartbeat_* updated from what follows; broken framing after the
 * ServerHello only ends the walk. After a TLS 1.3 ServerHello or a
 * HelloRetryRequest (what follows is encrypted) and after a
 * ChangeCipherSpec it looks no further. A warning alert before the
 * ServerHello, other than close_notify, is stepped over (servers send
 * unrecognized_name so); any other alert there is the answer (ALERT).
 * NEED_MORE, ALERT, NOT_TLS and MALFORMED never turn into SERVER_HELLO.
 */
enum cs_answer_kind cs_hello_parse(const unsigned char *buf, size_t len, struct cs_answer *out);

#endif
