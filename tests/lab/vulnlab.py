#!/usr/bin/python3
"""The vulnerability lab: TLS endpoints with and without known weaknesses,
on loopback, for `certsweep vuln`.

Usage: vulnlab.py --certs DIR [--manifest PATH] [--stdin-eof] [-v]

Started like lab.py (whose listener, manifest and shutdown it reuses): every
endpoint listens on a free port of 127.0.0.1, the manifest {name: port} is
written to PATH (or stdout) once all are listening, and the lab serves until
SIGTERM or SIGINT (or, with --stdin-eof, until its standard input closes).
DIR holds the certificates of gencerts.sh and genvulncerts.sh; they are made
there first if DIR/vulndone is missing.

Real OpenSSL servers (the ssl module; Debian's OpenSSL 3):

  clean        TLS 1.2 + 1.3, ECDHE AEAD suites only, chain vuln.test + int:
               nothing to report with --sni vuln.test --ca-file DIR/ca.pem
  tls10_11     TLS 1.0 and 1.1 only (ECDHE AES-CBC suites, @SECLEVEL=0)
  selfsigned   self-signed leaf        \\
  sha1         leaf signed with SHA-1   |  TLS 1.2 + 1.3, ECDHE AEAD suites,
  rsa1024      RSA 1024 leaf            |  like clean but for the
  expired      leaf expired in 2021     |  certificate
  incomplete   vuln.test leaf without the intermediate
  wronghost    other.test leaf + int   /

Hand-written servers (one class, Fake, with behaviour flags).  They read the
client's whole first flight (a TLS ClientHello, possibly over several
records, or one SSLv2 record), answer ServerHello + Certificate (vuln.test +
int) + ServerHelloDone (a record each, as OpenSSL 1.0 did; des3, no_reneg and
deflate put the three in one record, as OpenSSL 1.1 and later do), and then
read what follows (heartbeat requests) until the client goes.  Unless said otherwise they speak TLS 1.2 only, choose the
first of 0x009C, 0x009D, 0x002F, 0x0035 the client offers (RSA key
exchange, so no ServerKeyExchange is needed), echo renegotiation_info,
refuse a fallback (TLS_FALLBACK_SCSV below their best version) with
inappropriate_fallback, answer a hello they cannot serve with a fatal alert
(protocol_version: no common version, TLS 1.3-only hellos included;
handshake_failure: no common suite, or an SSLv2 hello), and a heartbeat
record with unexpected_message.  None answers SSLv3 to a TLS hello.

  des3              TLS 1.2 with 0x009C, 0x002F and TLS_RSA_WITH_3DES_EDE_CBC_SHA
                    (Debian's OpenSSL 3 has no 3DES suite left to serve)
  sslv3_cbc         SSLv3 only: TLS_RSA_WITH_AES_128_CBC_SHA, else
                    TLS_RSA_WITH_3DES_EDE_CBC_SHA; TLS hellos: protocol_version
  sslv2             SSLv2 only: SERVER-HELLO with SSL_CK_RC4_128_WITH_MD5 and
                    SSL_CK_DES_192_EDE3_CBC_WITH_MD5 (those offered); TLS
                    hellos: handshake_failure
  rc4               TLS 1.0 to 1.2 (the client's version, up to 1.2):
                    TLS_RSA_WITH_RC4_128_SHA, else (TLS 1.2)
                    TLS_RSA_WITH_AES_128_GCM_SHA256
  heartbleed        echoes the heartbeat extension; answers a heartbeat
                    request with as many bytes as it claims (b"LEAKED"...)
                    + 16 of padding, in one record: OpenSSL 1.0.1's bug
  heartbeat_patched echoes the extension; drops requests whose payload is
                    shorter than claimed (RFC 6520), answers honest ones
  heartbeat_garbage echoes the extension; answers a request with a record of
                    random bytes whose first byte is no heartbeat type
  no_reneg          never sends renegotiation_info
  deflate           chooses DEFLATE compression when offered
  no_scsv           TLS 1.0 to 1.2 (the client's version) and ignores
                    TLS_FALLBACK_SCSV
  liar              chooses 0xCAFE, a suite no client offers
  closer            reads the hello and closes without a word

Only the standard library is used.
"""

import argparse
import os
import ssl
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True          # no __pycache__ in the source tree
import lab                              # noqa: E402  (tests/lab/lab.py)
from lab import Listener, drain, finish, tls_context, u24  # noqa: E402

log = lab.log

SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0300, 0x0301, 0x0302, 0x0303, 0x0304

# Alert descriptions
UNEXPECTED_MESSAGE = 10
HANDSHAKE_FAILURE = 40
DECODE_ERROR = 50
PROTOCOL_VERSION = 70
INAPPROPRIATE_FALLBACK = 86

EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
FALLBACK_SCSV = 0x5600

EXT_STATUS_REQUEST = 0x0005
EXT_HEARTBEAT = 0x000F
EXT_EXTENDED_MASTER_SECRET = 0x0017
EXT_SUPPORTED_VERSIONS = 0x002B
EXT_RENEGOTIATION_INFO = 0xFF01

# The RSA key exchange suites the fakes know; those needing TLS 1.2.
RC4_SHA, DES3_SHA = 0x0005, 0x000A
AES128_SHA, AES256_SHA = 0x002F, 0x0035
AES128_GCM, AES256_GCM = 0x009C, 0x009D
TLS12_ONLY = {0x003C, 0x003D, AES128_GCM, AES256_GCM}
MODERN = (AES128_GCM, AES256_GCM, AES128_SHA, AES256_SHA)

SSL2_RC4_128_WITH_MD5 = 0x010080
SSL2_DES_192_EDE3_CBC_WITH_MD5 = 0x0700C0

MAX_RECORD = 16384 + 2048       # the largest TLSCiphertext
MAX_FIRST_FLIGHT = 64 * 1024


# ---------------------------------------------------------------------------
# What the client sent

class BadHello(Exception):
    pass


class ClientHello:
    """The parts of a ClientHello the fakes look at.  kind is "tls" or
    "ssl2"; for ssl2, version and ssl2_kinds (3-byte cipher kinds)."""

    def __init__(self):
        self.kind = "tls"
        self.version = 0
        self.suites = []
        self.compressions = [0]
        self.extensions = {}
        self.supported_versions = None
        self.ssl2_kinds = []

    def max_version(self):
        if self.supported_versions:
            return max(self.supported_versions)
        return self.version

    def offers(self, version):
        """Whether the client would take a ServerHello of version."""
        if self.supported_versions is not None:
            return version in self.supported_versions
        return version <= self.version


def first_flight_length(buf):
    """How many bytes of buf the client's hello takes: a TLS handshake
    message over one or more records, or one SSLv2 record.  None when more
    must be read; -1 when buf is neither."""
    if not buf:
        return None
    if buf[0] & 0x80:                                   # SSLv2 record
        if len(buf) < 2:
            return None
        n = 2 + (((buf[0] & 0x7F) << 8) | buf[1])
        return n if len(buf) >= n else None
    if buf[0] != 0x16:
        return -1
    payload = b""
    off = 0
    while off + 5 <= len(buf):
        if buf[off] != 0x16:
            return -1
        n = int.from_bytes(buf[off + 3:off + 5], "big")
        if n == 0 or n > MAX_RECORD:
            return -1
        if off + 5 + n > len(buf):
            return None
        payload += buf[off + 5:off + 5 + n]
        off += 5 + n
        if len(payload) >= 4 and \
                len(payload) >= 4 + int.from_bytes(payload[1:4], "big"):
            return off
    return None


def read_first_flight(conn, timeout=10):
    """(hello bytes, what came after them), or (whatever arrived, None) when
    the client closed early, went quiet or sent no hello."""
    conn.settimeout(timeout)
    buf = b""
    try:
        while True:
            n = first_flight_length(buf)
            if n is not None:
                return (buf[:n], buf[n:]) if n > 0 else (buf, None)
            if len(buf) > MAX_FIRST_FLIGHT:
                return buf, None
            chunk = conn.recv(65536)
            if not chunk:
                return buf, None
            buf += chunk
    except OSError:
        return buf, None


class Reader:
    """Bytes of a message, read with bounds checks (BadHello past the end)."""

    def __init__(self, data):
        self.data = data
        self.off = 0

    def take(self, n):
        if self.off + n > len(self.data):
            raise BadHello("truncated")
        out = self.data[self.off:self.off + n]
        self.off += n
        return out

    def num(self, n):
        return int.from_bytes(self.take(n), "big")

    def vec(self, nlen):
        return self.take(self.num(nlen))

    def left(self):
        return len(self.data) - self.off


def parse_hello(flight):
    h = ClientHello()
    if flight[0] & 0x80:
        r = Reader(flight[2:])
        if r.num(1) != 1:
            raise BadHello("SSLv2 record that is no CLIENT-HELLO")
        h.kind = "ssl2"
        h.version = r.num(2)
        specs_len, sid_len, challenge_len = r.num(2), r.num(2), r.num(2)
        specs = r.take(specs_len)
        r.take(sid_len + challenge_len)
        if specs_len % 3:
            raise BadHello("SSLv2 cipher specs not a multiple of 3")
        h.ssl2_kinds = [int.from_bytes(specs[i:i + 3], "big")
                        for i in range(0, specs_len, 3)]
        h.suites = [k for k in h.ssl2_kinds if k <= 0xFFFF]
        return h
    payload = b""
    off = 0
    while off < len(flight):
        n = int.from_bytes(flight[off + 3:off + 5], "big")
        payload += flight[off + 5:off + 5 + n]
        off += 5 + n
    r = Reader(payload)
    if r.num(1) != 1:
        raise BadHello("first handshake message is not a ClientHello")
    r = Reader(r.vec(3))
    h.version = r.num(2)
    r.take(32)
    r.vec(1)
    suites = r.vec(2)
    if len(suites) % 2:
        raise BadHello("odd cipher_suites length")
    h.suites = [int.from_bytes(suites[i:i + 2], "big")
                for i in range(0, len(suites), 2)]
    h.compressions = list(r.vec(1))
    if r.left():
        exts = Reader(r.vec(2))
        while exts.left():
            typ = exts.num(2)
            h.extensions[typ] = exts.vec(2)
    sv = h.extensions.get(EXT_SUPPORTED_VERSIONS)
    if sv is not None:
        body = Reader(sv).vec(1)
        h.supported_versions = [int.from_bytes(body[i:i + 2], "big")
                                for i in range(0, len(body) - 1, 2)]
    return h


# ---------------------------------------------------------------------------
# What the fakes send

def alert_record(version, description):
    return bytes([0x15]) + struct.pack(">HH", version, 2) + \
        bytes([2, description])


def tls_record(version, content_type, payload):
    return bytes([content_type]) + struct.pack(">HH", version, len(payload)) \
        + payload


def handshake(msg_type, body):
    return bytes([msg_type]) + u24(len(body)) + body


def ext(typ, body):
    return struct.pack(">HH", typ, len(body)) + body


def pem_chain_ders(path):
    """The DER certificates of a PEM file, in order."""
    with open(path) as f:
        text = f.read()
    end = "-----END CERTIFICATE-----"
    return [ssl.PEM_cert_to_DER_cert(block.strip() + "\n" + end + "\n")
            for block in text.split(end) if "-----BEGIN" in block]


class Fake:
    """A hand-written TLS server; see the module's docstring for the flags.

    versions: what it accepts (wire values), suites: its preference order,
    ssl2_kinds: SSLv2 cipher kinds it offers (an SSLv2 server), reneg: send
    renegotiation_info, deflate: choose DEFLATE, honor_scsv: refuse a
    fallback, heartbeat: None, "leak", "patched" or "garbage", liar: choose
    a suite not offered, closer: close after the hello, coalesce: send
    ServerHello, Certificate and ServerHelloDone in one record (as OpenSSL
    1.1 and later do) rather than one record each (as OpenSSL 1.0 did),
    staple: answer status_request with a CertificateStatus (RFC 6066 8)."""

    def __init__(self, name, chain, versions=(TLS12,), suites=MODERN,
                 ssl2_kinds=(), reneg=True, deflate=False, honor_scsv=True,
                 heartbeat=None, liar=False, closer=False, coalesce=False,
                 staple=False):
        self.name = name
        self.chain = chain
        self.versions = versions
        self.suites = suites
        self.ssl2_kinds = ssl2_kinds
        self.reneg = reneg
        self.deflate = deflate
        self.honor_scsv = honor_scsv
        self.heartbeat = heartbeat
        self.liar = liar
        self.closer = closer
        self.coalesce = coalesce
        self.staple = staple

    def log(self, msg):
        log(f"{self.name}: {msg}")

    # -- the connection ------------------------------------------------

    def __call__(self, conn):
        flight, rest = read_first_flight(conn)
        if rest is None:
            self.log(f"no hello ({len(flight)} bytes)")
            finish(conn, 5)
            return
        if self.closer:
            self.log("closing after the hello")
            finish(conn, 5)
            return
        try:
            hello = parse_hello(flight)
        except BadHello as e:
            self.log(f"bad hello: {e}")
            conn.sendall(alert_record(TLS10, DECODE_ERROR))
            finish(conn, 5)
            return
        if hello.kind == "ssl2":
            self.ssl2(conn, hello)
            return
        answer, version = self.answer(hello)
        conn.sendall(answer)
        if version is None:
            finish(conn, 5)
            return
        self.after_hello(conn, version, rest)

    def refuse(self, version, description, why):
        self.log(f"alert {description}: {why}")
        return alert_record(version, description), None

    def answer(self, hello):
        """(bytes to send, the version chosen or None after an alert)."""
        rv = min(max(hello.version, TLS10), TLS12)     # record version of alerts
        if hello.version == SSL3 and not hello.supported_versions:
            rv = SSL3
        if not self.versions:                           # SSLv2 only
            return self.refuse(rv, HANDSHAKE_FAILURE, "a TLS hello")
        # The best version both speak; SSLv3 only for an SSLv3 client.
        common = [v for v in self.versions if hello.offers(v)
                  and (v != SSL3 or hello.max_version() == SSL3)]
        if not common:
            return self.refuse(rv, PROTOCOL_VERSION,
                               f"no common version with {hello.max_version():#06x}")
        version = max(common)
        if (self.honor_scsv and FALLBACK_SCSV in hello.suites
                and version < max(self.versions)):
            return self.refuse(version, INAPPROPRIATE_FALLBACK,
                               f"fallback to {version:#06x}")
        if self.liar:
            suite = 0xCAFF if 0xCAFE in hello.suites else 0xCAFE
        else:
            usable = [s for s in self.suites if s in hello.suites
                      and (version >= TLS12 or s not in TLS12_ONLY)]
            if not usable:
                return self.refuse(version, HANDSHAKE_FAILURE, "no common suite")
            suite = usable[0]
        compression = 1 if self.deflate and 1 in hello.compressions else 0

        exts = b""
        if version > SSL3:
            if self.reneg and (EXT_RENEGOTIATION_INFO in hello.extensions or
                               EMPTY_RENEGOTIATION_INFO_SCSV in hello.suites):
                exts += ext(EXT_RENEGOTIATION_INFO, b"\x00")
            if EXT_EXTENDED_MASTER_SECRET in hello.extensions:
                exts += ext(EXT_EXTENDED_MASTER_SECRET, b"")
            if self.heartbeat and EXT_HEARTBEAT in hello.extensions:
                exts += ext(EXT_HEARTBEAT, b"\x01")    # peer_allowed_to_send
        staple = self.staple and EXT_STATUS_REQUEST in hello.extensions
        if staple:
            exts += ext(EXT_STATUS_REQUEST, b"")
        body = (struct.pack(">H", version) + os.urandom(32) + b"\x20"
                + os.urandom(32) + struct.pack(">H", suite)
                + bytes([compression]))
        if exts:
            body += struct.pack(">H", len(exts)) + exts
        certs = b"".join(u24(len(d)) + d for d in self.chain)
        messages = [handshake(2, body), handshake(11, u24(len(certs)) + certs)]
        if staple:
            # A DER OCSPResponse (status malformedRequest): its content is
            # not judged, its presence is the fact.
            response = bytes.fromhex("30030a0101")
            messages.append(handshake(22, b"\x01" + u24(len(response)) + response))
        messages.append(handshake(14, b""))
        self.log(f"ServerHello {version:#06x} suite {suite:#06x} "
                 f"compression {compression} extensions {len(exts)} bytes")
        if self.coalesce:
            return tls_record(version, 0x16, b"".join(messages)), version
        return b"".join(tls_record(version, 0x16, m) for m in messages), version

    def after_hello(self, conn, version, buf):
        """Read the client's records until it goes, answering heartbeats."""
        conn.settimeout(10)
        while True:
            while len(buf) >= 5:
                n = int.from_bytes(buf[3:5], "big")
                if buf[0] not in range(0x14, 0x19) or n > MAX_RECORD:
                    self.log("the client sent no TLS record")
                    finish(conn, 5)
                    return
                if len(buf) < 5 + n:
                    break
                typ, payload, buf = buf[0], buf[5:5 + n], buf[5 + n:]
                if typ == 0x15:
                    self.log(f"client alert {payload.hex()}")
                    finish(conn, 5)
                    return
                if typ == 0x18 and not self.heartbeat_record(conn, version,
                                                             payload):
                    finish(conn, 5)
                    return
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk

    def heartbeat_record(self, conn, version, payload):
        """Answer one heartbeat record; False to end the connection."""
        if not self.heartbeat:
            self.log("heartbeat record: unexpected_message")
            conn.sendall(alert_record(version, UNEXPECTED_MESSAGE))
            return False
        if len(payload) < 3 or payload[0] != 1:
            self.log(f"heartbeat record that is no request: {payload[:3].hex()}")
            return True
        claimed = int.from_bytes(payload[1:3], "big")
        honest = 3 + claimed + 16 <= len(payload)
        if self.heartbeat == "garbage":
            junk = bytearray(os.urandom(64))
            junk[0] = 0x07
            self.log("heartbeat request: answering garbage")
            conn.sendall(tls_record(version, 0x18, bytes(junk)))
        elif self.heartbeat == "leak":
            memory = (b"LEAKED" * (claimed // 6 + 1))[:claimed] if not honest \
                else payload[3:3 + claimed]
            response = b"\x02" + payload[1:3] + memory + os.urandom(16)
            self.log(f"heartbeat request claiming {claimed} bytes, "
                     f"{len(payload) - 3} sent: answering {len(response)}")
            # One record, as OpenSSL 1.0.1 does for claims that fit in one
            # (up to 16 KB); a larger answer is cut into 16 KB records.
            if len(response) <= MAX_RECORD:
                conn.sendall(tls_record(version, 0x18, response))
            else:
                conn.sendall(b"".join(tls_record(version, 0x18,
                                                 response[i:i + 16384])
                                      for i in range(0, len(response), 16384)))
        elif not honest:
            self.log(f"heartbeat request claiming {claimed} bytes, "
                     f"{len(payload) - 3} sent: dropped (RFC 6520)")
        else:
            self.log(f"heartbeat request of {claimed} bytes: answered")
            conn.sendall(tls_record(version, 0x18, b"\x02" + payload[1:3 + claimed]
                                    + os.urandom(16)))
        return True

    def ssl2(self, conn, hello):
        if not self.ssl2_kinds:
            self.log("SSLv2 hello: handshake_failure")
            conn.sendall(alert_record(TLS10, HANDSHAKE_FAILURE))
            finish(conn, 5)
            return
        kinds = [k for k in self.ssl2_kinds if k in hello.ssl2_kinds]
        if not kinds:
            self.log("SSLv2 hello without a common kind: NO-CIPHER-ERROR")
            msg = b"\x00\x00\x01"                   # ERROR, NO-CIPHER-ERROR
        else:
            cert = self.chain[0]
            specs = b"".join(k.to_bytes(3, "big") for k in kinds)
            conn_id = os.urandom(16)
            msg = (b"\x04\x00\x01\x00\x02" + struct.pack(
                ">HHH", len(cert), len(specs), len(conn_id))
                + cert + specs + conn_id)
            self.log(f"SSLv2 SERVER-HELLO with {len(kinds)} kinds")
        conn.sendall(struct.pack(">H", 0x8000 | len(msg)) + msg)
        drain(conn, 10)


# ---------------------------------------------------------------------------
# The endpoints

def openssl_endpoints(certs):
    """name -> ssl.SSLContext of the real OpenSSL servers."""
    V = ssl.TLSVersion
    aead = "ECDHE+AESGCM:ECDHE+CHACHA20"
    old = aead + ":@SECLEVEL=0"     # lets OpenSSL load SHA-1 and RSA 1024 leaves

    def modern(cert, ciphers=aead):
        return tls_context(certs, cert, minv=V.TLSv1_2, ciphers=ciphers)

    return {
        "clean": modern("vuln"),
        "tls10_11": tls_context(certs, "vuln", V.TLSv1, V.TLSv1_1,
                                "ECDHE+AES:@SECLEVEL=0"),
        "selfsigned": modern("selfsigned"),
        "sha1": modern("sha1", old),
        "rsa1024": modern("rsa1024", old),
        "expired": modern("expired"),
        "incomplete": modern("incomplete"),
        "wronghost": modern("other"),
    }


def fake_endpoints(certs):
    chain = pem_chain_ders(os.path.join(certs, "vuln.chain.pem"))
    old = (TLS10, TLS11, TLS12)
    fakes = [
        Fake("des3", chain, suites=(AES128_GCM, AES128_SHA, DES3_SHA),
             coalesce=True),
        Fake("sslv3_cbc", chain, versions=(SSL3,), suites=(AES128_SHA, DES3_SHA)),
        Fake("sslv2", chain, versions=(),
             ssl2_kinds=(SSL2_RC4_128_WITH_MD5, SSL2_DES_192_EDE3_CBC_WITH_MD5)),
        Fake("rc4", chain, versions=old, suites=(RC4_SHA, AES128_GCM)),
        Fake("heartbleed", chain, heartbeat="leak"),
        Fake("heartbeat_patched", chain, heartbeat="patched"),
        Fake("heartbeat_garbage", chain, heartbeat="garbage"),
        Fake("no_reneg", chain, reneg=False, coalesce=True),
        Fake("deflate", chain, deflate=True, coalesce=True),
        Fake("no_scsv", chain, versions=old, honor_scsv=False),
        Fake("liar", chain, liar=True),
        Fake("closer", chain, closer=True),
        Fake("stapled", chain, staple=True),
    ]
    return {f.name: f for f in fakes}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--certs", required=True,
                    help="certificate directory (made by genvulncerts.sh)")
    ap.add_argument("--manifest", help="write the {name: port} JSON here")
    ap.add_argument("--stdin-eof", action="store_true",
                    help="exit when standard input reaches end of file")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="log connections on stderr")
    args = ap.parse_args()
    lab.verbose = args.verbose

    if not os.path.exists(os.path.join(args.certs, "vulndone")):
        subprocess.run([os.path.join(HERE, "genvulncerts.sh"), args.certs],
                       check=True)
    lab.exit_on_sigterm(args.stdin_eof)

    lab.tls_contexts.update(openssl_endpoints(args.certs))
    listeners = [Listener(name, lab.tls_handler(name))
                 for name in lab.tls_contexts]
    listeners += [Listener(name, fake)
                  for name, fake in fake_endpoints(args.certs).items()]
    for l in listeners:
        l.start()
    lab.write_manifest({l.name: l.port for l in listeners}, args.manifest)
    lab.serve_forever()


if __name__ == "__main__":
    main()
