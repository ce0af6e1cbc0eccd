/*
 * A TLS client handshake of our own, up to the server's Certificate
 * message: the fast path of the scan engine (probe.c). It is a state
 * machine without I/O, like vulncheck.c: it writes a ClientHello, is fed
 * what the server sends, and answers NEED_MORE, DONE (version, suite and
 * the chain as DER blobs, in the order sent) or FALLBACK (a reason).
 *
 *   ClientHello --> ServerHello --TLS <= 1.2--> Certificate (plaintext) --> DONE
 *       ^                |
 *       |                +--TLS 1.3--> X25519 with the scan's static key,
 *                                      key schedule to the server handshake
 *                                      traffic secret, decrypt records:
 *                                      EncryptedExtensions, [CertificateRequest],
 *                                      Certificate --> DONE
 *
 * A HelloRetryRequest for another group the hello offered (P-256, P-384,
 * P-521, X448) gets a second ClientHello with a share of it (the scan's
 * static key of that group), written by the state machine for the engine
 * to send (cs_fastshake_hellos()); the answer is then read as above.
 *
 * Anything else (an alert, a suite or group not offered, a second retry,
 * an oversized or malformed message) is FALLBACK: the engine then
 * does what it always did, with OpenSSL on a new connection, so every
 * status and reason of a failed handshake comes from one place.
 *
 * The ClientHello is OpenSSL's own: cs_fastshake_keys_new() has the
 * engine's SSL_CTX write one into memory and keeps its suites and
 * extensions as a template, so a server picks the version and suite it
 * would pick for the OpenSSL path. Per connection only the random, the
 * legacy session id and server_name differ; the x25519 key share is the
 * scan's single static key (a scanner's ephemeral key protects nothing,
 * and one X25519 operation per connection is half the cost of two).
 */
#ifndef CS_FASTSHAKE_H
#define CS_FASTSHAKE_H

#include "cs.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Per-scan state shared by every connection: the ClientHello template,
 * the static X25519 key, fetched digests and ciphers. Not thread-safe. */
struct cs_fastshake_keys;

/*
 * Captures the ClientHello that ctx (a client SSL_CTX) writes and prepares
 * the key material. Fails (CS_ERR_TLS, detail in err) if OpenSSL cannot be
 * made to write one or the hello has a shape the template does not handle
 * (no x25519 key share, a padding extension): the caller then uses OpenSSL
 * alone. ctx is only used during the call. Free with cs_fastshake_keys_free().
 */
enum cs_rc cs_fastshake_keys_new(SSL_CTX *ctx, struct cs_fastshake_keys **out, char *err,
                                 size_t errlen);
void cs_fastshake_keys_free(struct cs_fastshake_keys **keys);

/* One handshake. Keeps a pointer to keys, which must outlive it. */
struct cs_fastshake;

/* Largest server Certificate message the fast path accepts; a longer one
 * is FALLBACK (OpenSSL then applies its own limit and names the error). */
#define CS_FASTSHAKE_MAX_CERT_MSG (512 * 1024)

/*
 * A handshake that will send sni as server_name (NULL: none). Returns NULL
 * when out of memory or when the name cannot be sent (empty, longer than
 * 255 bytes): use OpenSSL for that endpoint. Free with cs_fastshake_free().
 */
struct cs_fastshake *cs_fastshake_new(struct cs_fastshake_keys *keys, const char *sni);
void cs_fastshake_free(struct cs_fastshake **fs);

/* The ClientHello record to send, owned by fs. */
const unsigned char *cs_fastshake_hello(const struct cs_fastshake *fs, size_t *len);

/* How many ClientHellos fs has written: 1, then 2 after a HelloRetryRequest.
 * When it grows, send cs_fastshake_hello() (the new one) whole. */
unsigned cs_fastshake_hellos(const struct cs_fastshake *fs);

enum cs_fastshake_rc {
    CS_FASTSHAKE_NEED_MORE, /* feed more bytes */
    CS_FASTSHAKE_DONE,      /* version, suite and chain are known */
    CS_FASTSHAKE_FALLBACK,  /* cs_fastshake_reason() says why */
};

/*
 * Feeds the next len bytes the server sent (any split). Returns where the
 * handshake stands; once DONE or FALLBACK, further calls return the same
 * and ignore the bytes. Never reads outside buf, never trusts a length the
 * server sent, and buffers at most one record plus one handshake message
 * (bounded by CS_FASTSHAKE_MAX_CERT_MSG).
 */
enum cs_fastshake_rc cs_fastshake_feed(struct cs_fastshake *fs, const unsigned char *buf,
                                       size_t len);

/* Why FALLBACK, a static string such as "hello_retry_request"; NULL before. */
const char *cs_fastshake_reason(const struct cs_fastshake *fs);

/* After DONE: the negotiated version (0x0301..0x0304), the suite id, and
 * their names as OpenSSL prints them ("TLSv1.3", "TLS_AES_256_GCM_SHA384"). */
uint16_t cs_fastshake_version(const struct cs_fastshake *fs);
uint16_t cs_fastshake_suite(const struct cs_fastshake *fs);
const char *cs_fastshake_version_name(const struct cs_fastshake *fs);
const char *cs_fastshake_suite_name(const struct cs_fastshake *fs);

/* After DONE: the certificates as sent, leaf first. The DER of the i-th
 * stays valid until fs is freed. */
size_t cs_fastshake_chain_len(const struct cs_fastshake *fs);
const unsigned char *cs_fastshake_cert(const struct cs_fastshake *fs, size_t i, size_t *len);

/*
 * For tests and the fuzzer: feeds plaintext handshake messages as if they
 * had been decrypted after a TLS 1.3 ServerHello (tls13) or read after a
 * TLS 1.2 one, skipping the record layer and the key schedule. Only valid
 * on a fresh fs; version and suite stay 0.
 */
enum cs_fastshake_rc cs_fastshake_feed_messages(struct cs_fastshake *fs, bool tls13,
                                                const unsigned char *buf, size_t len);

#endif
