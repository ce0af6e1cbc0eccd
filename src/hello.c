/*
 * ClientHellos built by hand, and the parser of what servers answer to
 * them (see hello.h).
 *
 * The parser walks the records from the first byte on every call and reads
 * handshake messages across record boundaries in place, without copying or
 * allocating: the cost of a call is linear in the bytes received, however
 * the server fragments its messages. It needs the whole ServerHello to
 * report it; every other handshake message it only steps over.
 */
#include "hello.h"

#include "ciphers.h"
#include "tlsrec.h"

#include <openssl/rand.h>
#include <string.h>

enum {
    CT_CHANGE_CIPHER_SPEC = 20,
    CT_ALERT = 21,
    CT_HANDSHAKE = 22,
    CT_APPLICATION_DATA = 23,
    CT_HEARTBEAT = 24,
    RECORD_HEADER = 5,
    RECORD_MAX = 16384 + 2048, /* ciphertext limit of RFC 8446 5.2 */

    HS_HELLO_REQUEST = 0,
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_SERVER_HELLO_DONE = 14,
    HS_CERTIFICATE_STATUS = 22,
    HS_HEADER = 4,

    EXT_SERVER_NAME = 0,
    EXT_STATUS_REQUEST = 5,
    EXT_SUPPORTED_GROUPS = 10,
    EXT_EC_POINT_FORMATS = 11,
    EXT_SIGNATURE_ALGORITHMS = 13,
    EXT_HEARTBEAT = 15,
    EXT_PADDING = 21,
    EXT_SUPPORTED_VERSIONS = 43,
    EXT_PSK_KEY_EXCHANGE_MODES = 45,
    EXT_KEY_SHARE = 51,
    EXT_RENEGOTIATION_INFO = 0xff01,

    GROUP_X25519 = 29,
    HEARTBEAT_REQUEST = 1,
    HEARTBEAT_RESPONSE = 2,
    HEARTBEAT_PEER_ALLOWED_TO_SEND = 1,
    ALERT_WARNING = 1,
    ALERT_CLOSE_NOTIFY = 0,

    RANDOM_LEN = 32,
    SESSION_ID_MAX = 32,
    /* version, random, session id, suite, compression, extensions */
    SERVER_HELLO_MIN = 2 + RANDOM_LEN + 1 + 2 + 1,
    SERVER_HELLO_MAX = SERVER_HELLO_MIN + SESSION_ID_MAX + 2 + 0xffff,

    SSL2_MT_CLIENT_HELLO = 1,
    SSL2_CHALLENGE_LEN = 16,
    /* msg type, session id hit, certificate type, version, three lengths */
    SSL2_SERVER_HELLO_FIXED = 11,
};

/* ---- building ----------------------------------------------------------- */

/* The groups and signature schemes every hello offers (RFC 8446 4.2.7,
 * 4.2.3), broad enough for any certificate and key exchange a server may
 * still have. */
static const uint16_t groups[] = {
    GROUP_X25519,  23 /* secp256r1 */,  24 /* secp384r1 */,  25 /* secp521r1 */,
    30 /* x448 */, 256 /* ffdhe2048 */, 257 /* ffdhe3072 */,
};

static const uint16_t signature_schemes[] = {
    0x0403, 0x0503, 0x0603, /* ecdsa_secp256r1_sha256 .. secp521r1_sha512 */
    0x0807, 0x0808,         /* ed25519, ed448 */
    0x0804, 0x0805, 0x0806, /* rsa_pss_rsae_sha256 .. sha512 */
    0x0809, 0x080a, 0x080b, /* rsa_pss_pss_sha256 .. sha512 */
    0x0401, 0x0501, 0x0601, /* rsa_pkcs1_sha256 .. sha512 */
    0x0402, 0x0502, 0x0602, /* dsa_sha256 .. sha512 (DHE_DSS suites) */
    0x0303, 0x0301, 0x0302, /* sha224 with ecdsa, rsa, dsa */
    0x0203, 0x0201, 0x0202, /* ecdsa_sha1, rsa_pkcs1_sha1, dsa_sha1 */
};

/* A writer that stops at its capacity: once a write does not fit (or the
 * random generator fails), every later one is dropped and the result is 0. */
struct writer {
    unsigned char *buf;
    size_t len, cap;
    bool failed;
};

static unsigned char *reserve(struct writer *w, size_t n)
{
    if (w->failed || w->cap - w->len < n) {
        w->failed = true;
        return NULL;
    }
    w->len += n;
    return w->buf + w->len - n;
}

static void put(struct writer *w, const void *bytes, size_t n)
{
    unsigned char *p = reserve(w, n);
    if (p != NULL && n > 0)
        memcpy(p, bytes, n);
}

static void put8(struct writer *w, unsigned v)
{
    unsigned char b = v & 0xff;
    put(w, &b, 1);
}

static void put16(struct writer *w, unsigned v)
{
    unsigned char b[2] = {(v >> 8) & 0xff, v & 0xff};
    put(w, b, 2);
}

static void put_random(struct writer *w, size_t n)
{
    unsigned char *p = reserve(w, n);
    if (p != NULL && RAND_bytes(p, (int)n) != 1)
        w->failed = true;
}

/* Writes a length field of `width` bytes as a placeholder; close_length()
 * fills it with the length of what was written after it. Lengths fit: the
 * writer never goes past CS_HELLO_MAX. */
static size_t open_length(struct writer *w, size_t width)
{
    size_t at = w->len;
    (void)reserve(w, width);
    return at;
}

static void close_length(struct writer *w, size_t at, size_t width)
{
    if (w->failed)
        return;
    size_t n = w->len - at - width;
    for (size_t i = 0; i < width; i++)
        w->buf[at + i] = (n >> (8 * (width - 1 - i))) & 0xff;
}

static size_t open_extension(struct writer *w, unsigned type)
{
    put16(w, type);
    return open_length(w, 2);
}

static void put_u16_list(struct writer *w, unsigned type, const uint16_t *list, size_t n)
{
    size_t ext = open_extension(w, type);
    size_t vec = open_length(w, 2);
    for (size_t i = 0; i < n; i++)
        put16(w, list[i]);
    close_length(w, vec, 2);
    close_length(w, ext, 2);
}

/* The length of the host name to send as server_name, 0 for none: RFC 6066
 * 3 wants a DNS name without its trailing dot, never an IP address. */
static size_t sni_length(const char *sni)
{
    if (sni == NULL)
        return 0;
    size_t n = strlen(sni);
    if (n > 0 && sni[n - 1] == '.')
        n--;
    if (n == 0 || n > 255 || memchr(sni, ':', n) != NULL)
        return 0;
    if (strspn(sni, "0123456789.") >= n)
        return 0; /* an IPv4 address */
    return n;
}

static void put_server_name(struct writer *w, const char *sni)
{
    size_t n = sni_length(sni);
    if (n == 0)
        return;
    size_t ext = open_extension(w, EXT_SERVER_NAME);
    size_t list = open_length(w, 2);
    put8(w, 0); /* host_name */
    put16(w, (unsigned)n);
    put(w, sni, n);
    close_length(w, list, 2);
    close_length(w, ext, 2);
}

static void put_extensions(struct writer *w, const struct cs_hello_offer *offer, size_t hello_at)
{
    size_t all = open_length(w, 2);
    size_t ext;

    put_server_name(w, offer->sni);
    put_u16_list(w, EXT_SUPPORTED_GROUPS, groups, sizeof(groups) / sizeof(groups[0]));

    ext = open_extension(w, EXT_EC_POINT_FORMATS);
    put8(w, 1);
    put8(w, 0); /* uncompressed */
    close_length(w, ext, 2);

    /* RFC 5246 7.4.1.4.1: a client offering only TLS 1.0 or 1.1 must not
     * send signature_algorithms. */
    if (offer->version >= CS_TLS12)
        put_u16_list(w, EXT_SIGNATURE_ALGORITHMS, signature_schemes,
                     sizeof(signature_schemes) / sizeof(signature_schemes[0]));

    ext = open_extension(w, EXT_RENEGOTIATION_INFO);
    put8(w, 0); /* an empty renegotiated_connection: the initial handshake */
    close_length(w, ext, 2);

    if (offer->heartbeat) {
        ext = open_extension(w, EXT_HEARTBEAT);
        put8(w, HEARTBEAT_PEER_ALLOWED_TO_SEND);
        close_length(w, ext, 2);
    }

    if (offer->status_request) {
        ext = open_extension(w, EXT_STATUS_REQUEST);
        put8(w, 1);  /* status_type ocsp */
        put16(w, 0); /* no responder_id_list */
        put16(w, 0); /* no request_extensions */
        close_length(w, ext, 2);
    }

    if (offer->version >= CS_TLS13) {
        ext = open_extension(w, EXT_SUPPORTED_VERSIONS);
        put8(w, 2);
        put16(w, CS_TLS13);
        close_length(w, ext, 2);

        /* A random x25519 public value: the handshake never gets as far as
         * using the shared secret. */
        ext = open_extension(w, EXT_KEY_SHARE);
        size_t shares = open_length(w, 2);
        put16(w, GROUP_X25519);
        put16(w, 32);
        put_random(w, 32);
        close_length(w, shares, 2);
        close_length(w, ext, 2);

        ext = open_extension(w, EXT_PSK_KEY_EXCHANGE_MODES);
        put8(w, 1);
        put8(w, 1); /* psk_dhe_ke */
        close_length(w, ext, 2);
    }

    /* Some load balancers hang on hellos of 256 to 511 bytes: pad those to
     * 512 (RFC 7685), as OpenSSL and browsers do. */
    size_t hello_len = w->len - hello_at;
    if (!w->failed && hello_len >= 256 && hello_len < 512) {
        size_t pad = hello_len + 4 < 512 ? 512 - hello_len - 4 : 0;
        ext = open_extension(w, EXT_PADDING);
        unsigned char *zeros = reserve(w, pad);
        if (zeros != NULL && pad > 0)
            memset(zeros, 0, pad);
        close_length(w, ext, 2);
    }

    close_length(w, all, 2);
}

size_t cs_hello_build(const struct cs_hello_offer *offer, unsigned char *out, size_t cap)
{
    struct writer w = {out, 0, cap < CS_HELLO_MAX ? cap : CS_HELLO_MAX, false};
    uint16_t version = offer->version;
    bool tls13 = version == CS_TLS13;

    if (version < CS_SSL3 || version > CS_TLS13)
        return 0;

    put8(&w, CT_HANDSHAKE);
    put16(&w, version == CS_SSL3 ? CS_SSL3 : CS_TLS10);
    size_t record = open_length(&w, 2);
    size_t hello_at = w.len;
    put8(&w, HS_CLIENT_HELLO);
    size_t hello = open_length(&w, 3);

    put16(&w, tls13 ? CS_TLS12 : version); /* legacy_version for TLS 1.3 */
    put_random(&w, RANDOM_LEN);
    /* TLS 1.3 hellos carry a random legacy session id (the middlebox
     * compatibility mode of RFC 8446 D.4); the others none, so that no
     * server resumes a session. */
    if (tls13) {
        put8(&w, SESSION_ID_MAX);
        put_random(&w, SESSION_ID_MAX);
    } else {
        put8(&w, 0);
    }

    size_t suites = open_length(&w, 2);
    for (size_t i = 0; i < offer->suite_count; i++)
        put16(&w, offer->suites[i]);
    if (version == CS_SSL3)
        put16(&w, CS_SUITE_EMPTY_RENEGOTIATION_INFO_SCSV);
    if (offer->fallback_scsv)
        put16(&w, CS_SUITE_FALLBACK_SCSV);
    close_length(&w, suites, 2);

    if (offer->deflate) {
        put8(&w, 2);
        put8(&w, 1); /* DEFLATE */
        put8(&w, 0);
    } else {
        put8(&w, 1);
        put8(&w, 0);
    }

    if (version != CS_SSL3)
        put_extensions(&w, offer, hello_at);

    close_length(&w, hello, 3);
    close_length(&w, record, 2);
    return w.failed ? 0 : w.len;
}

size_t cs_hello_build_ssl2(unsigned char *out, size_t cap)
{
    struct writer w = {out, 0, cap, false};
    size_t body = 1 + 2 + 6 + 3 * cs_ssl2_suite_count + SSL2_CHALLENGE_LEN;

    put16(&w, 0x8000 | (unsigned)body); /* two-byte header, no padding */
    put8(&w, SSL2_MT_CLIENT_HELLO);
    put16(&w, CS_SSL2);
    put16(&w, (unsigned)(3 * cs_ssl2_suite_count));
    put16(&w, 0); /* session id length */
    put16(&w, SSL2_CHALLENGE_LEN);
    for (size_t i = 0; i < cs_ssl2_suite_count; i++) {
        uint32_t id = cs_ssl2_suites[i].id;
        put8(&w, id >> 16);
        put16(&w, id & 0xffff);
    }
    put_random(&w, SSL2_CHALLENGE_LEN);
    return w.failed ? 0 : w.len;
}

size_t cs_heartbeat_build(uint16_t version, unsigned char *out, size_t cap)
{
    struct writer w = {out, 0, cap, false};
    put8(&w, CT_HEARTBEAT);
    put16(&w, version);
    put16(&w, 3);
    put8(&w, HEARTBEAT_REQUEST);
    put16(&w, CS_HEARTBEAT_CLAIM); /* and no payload at all */
    return w.failed ? 0 : w.len;
}

/* ---- parsing ------------------------------------------------------------ */

/* How a step of the walk ended. */
enum step {
    STEP_OK,        /* go on */
    STEP_NEED_MORE, /* the bytes ran out */
    STEP_MALFORMED, /* the server broke the framing; walk.reason says how */
    STEP_STOP,      /* decided: nothing further is worth reading */
};

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        enum step step_ = (expr);                                                                  \
        if (step_ != STEP_OK)                                                                      \
            return step_;                                                                          \
    } while (0)

/* The walk over the records of an answer. */
struct walk {
    const unsigned char *buf;
    size_t len;
    size_t pos;      /* next byte to read */
    size_t rec_left; /* bytes of the current record not read yet */
    unsigned rec_type;
    const char *reason; /* on STEP_MALFORMED */
};

/* A handshake message being read: reading past the length it declared is
 * the server's length lie. */
struct message {
    struct walk *walk;
    size_t left;
};

/* RFC 8446 4.1.3: the random of a HelloRetryRequest, SHA-256 of
 * "HelloRetryRequest". */
static const unsigned char hello_retry_random[RANDOM_LEN] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static enum step malformed(struct walk *w, const char *reason)
{
    w->reason = reason;
    return STEP_MALFORMED;
}

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Reads the header of the record at w->pos. */
static enum step next_record(struct walk *w)
{
    if (w->len - w->pos < RECORD_HEADER)
        return STEP_NEED_MORE;
    const unsigned char *h = w->buf + w->pos;
    size_t length = be16(h + 3);
    if (h[0] < CT_CHANGE_CIPHER_SPEC || h[0] > CT_HEARTBEAT)
        return malformed(w, "record_type");
    if (h[1] != 3 || h[2] > 4)
        return malformed(w, "record_version");
    if (length > RECORD_MAX)
        return malformed(w, "record_too_long");
    /* RFC 5246 6.2.1: no empty handshake, alert or ChangeCipherSpec. */
    if (length == 0 && h[0] <= CT_HANDSHAKE)
        return malformed(w, "record_empty");
    w->rec_type = h[0];
    w->rec_left = length;
    w->pos += RECORD_HEADER;
    return STEP_OK;
}

/* Steps over the rest of the current record. */
static enum step skip_record(struct walk *w)
{
    size_t avail = w->len - w->pos;
    size_t n = w->rec_left < avail ? w->rec_left : avail;
    w->pos += n;
    w->rec_left -= n;
    return w->rec_left == 0 ? STEP_OK : STEP_NEED_MORE;
}

/* Reads n bytes of the handshake stream into dst (NULL: steps over them).
 * A handshake message may go on in the next record, but nothing else may
 * come between its fragments. */
static enum step handshake_read(struct walk *w, unsigned char *dst, size_t n)
{
    while (n > 0) {
        if (w->rec_left == 0) {
            TRY(next_record(w));
            if (w->rec_type != CT_HANDSHAKE)
                return malformed(w, "handshake_interleaved");
        }
        size_t avail = w->len - w->pos;
        if (avail == 0)
            return STEP_NEED_MORE;
        size_t take = n < w->rec_left ? n : w->rec_left;
        if (take > avail)
            take = avail;
        if (dst != NULL) {
            memcpy(dst, w->buf + w->pos, take);
            dst += take;
        }
        w->pos += take;
        w->rec_left -= take;
        n -= take;
    }
    return STEP_OK;
}

static enum step message_read(struct message *m, void *dst, size_t n, const char *reason)
{
    if (n > m->left)
        return malformed(m->walk, reason);
    m->left -= n;
    return handshake_read(m->walk, dst, n);
}

static enum step message_u8(struct message *m, uint8_t *v, const char *reason)
{
    return message_read(m, v, 1, reason);
}

static enum step message_u16(struct message *m, uint16_t *v, const char *reason)
{
    unsigned char b[2];
    TRY(message_read(m, b, 2, reason));
    *v = (uint16_t)be16(b);
    return STEP_OK;
}

/* The extensions of a ServerHello that say something about the server. */
static enum step server_hello_extension(struct message *ext, uint16_t type,
                                        struct cs_server_hello *hello)
{
    uint8_t n;
    switch (type) {
    case EXT_SUPPORTED_VERSIONS:
        if (ext->left != 2)
            return malformed(ext->walk, "supported_versions_length");
        return message_u16(ext, &hello->version, "supported_versions_length");
    case EXT_RENEGOTIATION_INFO:
        TRY(message_u8(ext, &n, "renegotiation_info_length"));
        if (ext->left != n)
            return malformed(ext->walk, "renegotiation_info_length");
        hello->renegotiation_info = true;
        return STEP_OK;
    case EXT_HEARTBEAT:
        if (ext->left != 1)
            return malformed(ext->walk, "heartbeat_length");
        hello->heartbeat = true;
        return STEP_OK;
    default:
        return STEP_OK;
    }
}

/* Reads the body of a ServerHello of `length` bytes (RFC 5246 7.4.1.3,
 * RFC 8446 4.1.3), every length checked against the one around it. */
static enum step server_hello(struct walk *w, size_t length, struct cs_server_hello *hello)
{
    struct message m = {w, length};
    unsigned char random[RANDOM_LEN];
    uint16_t extensions_len;
    uint8_t session_id_len;

    if (length < SERVER_HELLO_MIN)
        return malformed(w, "server_hello_too_short");
    if (length > SERVER_HELLO_MAX)
        return malformed(w, "server_hello_too_long");

    TRY(message_u16(&m, &hello->version, "server_hello_truncated"));
    if (hello->version >> 8 != 3)
        return malformed(w, "server_hello_version");
    TRY(message_read(&m, random, RANDOM_LEN, "server_hello_truncated"));
    hello->hello_retry = memcmp(random, hello_retry_random, RANDOM_LEN) == 0;
    TRY(message_u8(&m, &session_id_len, "server_hello_truncated"));
    if (session_id_len > SESSION_ID_MAX)
        return malformed(w, "session_id_too_long");
    TRY(message_read(&m, NULL, session_id_len, "server_hello_truncated"));
    TRY(message_u16(&m, &hello->suite, "server_hello_truncated"));
    TRY(message_u8(&m, &hello->compression, "server_hello_truncated"));
    if (m.left == 0)
        return STEP_OK; /* no extensions (SSLv3, or a server that sends none) */

    TRY(message_u16(&m, &extensions_len, "extensions_truncated"));
    if (extensions_len != m.left)
        return malformed(w, "extensions_length");
    while (m.left > 0) {
        uint16_t type, ext_len;
        TRY(message_u16(&m, &type, "extension_truncated"));
        TRY(message_u16(&m, &ext_len, "extension_truncated"));
        if (ext_len > m.left)
            return malformed(w, "extension_length");
        m.left -= ext_len;
        struct message ext = {w, ext_len};
        TRY(server_hello_extension(&ext, type, hello));
        TRY(message_read(&ext, NULL, ext.left, "extension_length"));
    }
    return STEP_OK;
}

/* One handshake message, from its header on. */
static enum step handshake_message(struct walk *w, struct cs_answer *out)
{
    unsigned char header[HS_HEADER];
    TRY(handshake_read(w, header, HS_HEADER));
    size_t length = (size_t)header[1] << 16 | (size_t)header[2] << 8 | header[3];

    if (out->kind != CS_ANSWER_SERVER_HELLO) {
        struct cs_server_hello hello = {0};
        if (header[0] == HS_HELLO_REQUEST && length == 0)
            return STEP_OK; /* RFC 5246 7.4.1.1: to be ignored here */
        if (header[0] != HS_SERVER_HELLO)
            return malformed(w, "unexpected_handshake_message");
        TRY(server_hello(w, length, &hello));
        out->kind = CS_ANSWER_SERVER_HELLO;
        out->hello = hello;
        /* TLS 1.3 encrypts everything after the ServerHello, and after a
         * HelloRetryRequest the server waits for a second ClientHello. */
        if (hello.version >= CS_TLS13 || hello.hello_retry)
            return STEP_STOP;
        return STEP_OK;
    }

    if (header[0] == HS_SERVER_HELLO_DONE) {
        if (length != 0)
            return malformed(w, "server_hello_done_length");
        out->hello_done = true;
        return STEP_OK;
    }
    /* RFC 6066 8: status_type ocsp (1), then a non-empty OCSPResponse. */
    if (header[0] == HS_CERTIFICATE_STATUS && !out->hello_done) {
        unsigned char status[4];
        if (length < 5)
            return malformed(w, "certificate_status_length");
        TRY(handshake_read(w, status, 4));
        size_t inner = (size_t)status[1] << 16 | (size_t)status[2] << 8 | status[3];
        if (status[0] != 1 || inner != length - 4 || inner == 0)
            return malformed(w, "certificate_status_length");
        out->cert_status = true;
        return handshake_read(w, NULL, inner);
    }
    return handshake_read(w, NULL, length); /* Certificate, ServerKeyExchange... */
}

static enum step alert_record(struct walk *w, struct cs_answer *out)
{
    if (w->rec_left < 2)
        return malformed(w, "alert_length");
    if (w->len - w->pos < 2)
        return STEP_NEED_MORE;
    unsigned level = w->buf[w->pos], description = w->buf[w->pos + 1];

    if (out->kind != CS_ANSWER_SERVER_HELLO) {
        /* A warning before the hello (unrecognized_name, from servers that
         * have no certificate for the name sent) is no answer yet. */
        if (level == ALERT_WARNING && description != ALERT_CLOSE_NOTIFY)
            return skip_record(w);
        out->kind = CS_ANSWER_ALERT;
        out->alert = (int)description;
        return STEP_STOP;
    }
    if (out->alert < 0)
        out->alert = (int)description;
    return skip_record(w);
}

/* A heartbeat record after the hello, judged once all of it has arrived. */
static enum step heartbeat_record(struct walk *w, struct cs_answer *out)
{
    size_t n = w->rec_left;
    const unsigned char *p = w->buf + w->pos;

    out->heartbeat_seen = true;
    if (w->len - w->pos < n)
        return STEP_NEED_MORE;
    if (n >= 3 + CS_HEARTBEAT_CLAIM && p[0] == HEARTBEAT_RESPONSE &&
        be16(p + 1) == CS_HEARTBEAT_CLAIM)
        out->heartbeat_leak = true;
    else
        out->heartbeat_garbage = true;
    return skip_record(w);
}

static void walk_records(const unsigned char *buf, size_t len, struct cs_answer *out)
{
    struct walk w = {.buf = buf, .len = len};
    enum step step = STEP_OK;

    while (step == STEP_OK) {
        if (w.rec_left == 0 && (step = next_record(&w)) != STEP_OK)
            break;
        bool after_hello = out->kind == CS_ANSWER_SERVER_HELLO;
        switch (w.rec_type) {
        case CT_HANDSHAKE:
            step = handshake_message(&w, out);
            break;
        case CT_ALERT:
            step = alert_record(&w, out);
            break;
        case CT_HEARTBEAT:
            step = after_hello ? heartbeat_record(&w, out) : malformed(&w, "unexpected_heartbeat");
            break;
        default:
            /* ChangeCipherSpec or application data: what follows is
             * encrypted, or the server skipped its hello. */
            step = after_hello ? STEP_STOP : malformed(&w, "unexpected_record");
            break;
        }
    }

    /* After the ServerHello, broken framing only ends the walk. */
    if (step == STEP_MALFORMED && out->kind == CS_ANSWER_NEED_MORE) {
        out->kind = CS_ANSWER_MALFORMED;
        out->reason = w.reason;
    }
}

/* An SSLv2 SERVER-HELLO (draft-hickman-netscape-ssl-00), whole. */
static void ssl2_server_hello(const unsigned char *buf, size_t len, struct cs_answer *out)
{
    size_t length = (size_t)(buf[0] & 0x7f) << 8 | buf[1];
    const unsigned char *p = buf + 2;

    if (length < SSL2_SERVER_HELLO_FIXED) {
        out->kind = CS_ANSWER_MALFORMED;
        out->reason = "ssl2_server_hello_too_short";
        return;
    }
    if (len - 2 < length)
        return; /* NEED_MORE */

    size_t certificate_len = be16(p + 5), specs_len = be16(p + 7), connection_id_len = be16(p + 9);
    if (SSL2_SERVER_HELLO_FIXED + certificate_len + specs_len + connection_id_len != length) {
        out->kind = CS_ANSWER_MALFORMED;
        out->reason = "ssl2_server_hello_length";
        return;
    }
    if (specs_len % 3 != 0) {
        out->kind = CS_ANSWER_MALFORMED;
        out->reason = "ssl2_cipher_specs_length";
        return;
    }

    const unsigned char *spec = p + SSL2_SERVER_HELLO_FIXED + certificate_len;
    for (size_t i = 0; i < specs_len / 3 && i < CS_SSL2_SUITES_MAX; i++, spec += 3)
        out->ssl2_suites[i] = (uint32_t)spec[0] << 16 | (uint32_t)be16(spec + 1);
    out->ssl2_suite_count = specs_len / 3 < CS_SSL2_SUITES_MAX ? specs_len / 3 : CS_SSL2_SUITES_MAX;
    out->kind = CS_ANSWER_SSL2_HELLO;
}

/* Whether the first bytes are a TLS record header, however wrong its
 * length: then a bad length is MALFORMED rather than another protocol. */
static bool starts_like_record(const unsigned char *buf, size_t len)
{
    return len >= 3 && buf[0] >= CT_CHANGE_CIPHER_SPEC && buf[0] <= CT_HEARTBEAT && buf[1] == 3 &&
           buf[2] <= 4;
}

enum cs_answer_kind cs_hello_parse(const unsigned char *buf, size_t len, struct cs_answer *out)
{
    const char *reason = NULL;

    memset(out, 0, sizeof(*out));
    out->kind = CS_ANSWER_NEED_MORE;
    out->alert = -1;

    switch (cs_tlsrec_sniff(buf, len, &reason)) {
    case CS_SNIFF_NEED_MORE:
        break;
    case CS_SNIFF_SSLV2:
        ssl2_server_hello(buf, len, out);
        break;
    case CS_SNIFF_NOT_TLS:
        if (!starts_like_record(buf, len)) {
            out->kind = CS_ANSWER_NOT_TLS;
            out->reason = reason;
            break;
        }
        walk_records(buf, len, out);
        break;
    case CS_SNIFF_TLS:
        walk_records(buf, len, out);
        break;
    }
    return out->kind;
}
