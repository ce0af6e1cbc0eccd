#!/usr/bin/python3
"""The certsweep test lab: every kind of server a scan can meet, on loopback.

Usage: lab.py --certs DIR [--manifest PATH] [--stdin-eof] [--control] [-v]

Starts all endpoints on 127.0.0.1 (tls_v6 on ::1, sni on both) on free ports,
then writes the manifest, a JSON object {endpoint name: port}, to PATH (or to
stdout without --manifest) once every socket is listening, and serves until
SIGTERM or SIGINT.  The manifest is written to PATH.tmp and renamed, so a
reader that sees PATH sees all of it.  DIR holds the certificates made by
gencerts.sh; they are generated there first if DIR/done is missing.  With
--stdin-eof the lab also exits when its standard input closes, so a lab
started by a test never outlives it.  Where the host has no ::1, tls_v6 is
left out of the manifest and sni listens on 127.0.0.1 only (with a warning).

The endpoints, by manifest name (see tests/e2e/README.md for what a scan
should report for each):

  tls13_rsa    TLS 1.3 only, RSA leaf + intermediate
  tls12_ecdsa  TLS up to 1.2, P-256 leaf + intermediate
  tls10_rsa    TLS 1.0 only, RSA chain, ciphers ALL:@SECLEVEL=0
  tls11        TLS 1.1 only, RSA chain, @SECLEVEL=0
  ed25519      Ed25519 leaf + intermediate
  sha1         RSA leaf signed with sha1WithRSAEncryption (@SECLEVEL=0)
  expired      RSA leaf that expired on 2021-01-01
  selfsigned   self-signed RSA leaf, chain of one
  big          RSA leaf of more than 40 KB (1600 DNS SANs)
  sni          a.test cert, or b.test cert when the client asks for b.test;
               listens on 127.0.0.1 and ::1 with the same port
  clientcert   RSA chain, demands a client certificate (after sending its own)
  tls_v6       on ::1, P-256 leaf
  http         answers anything with HTTP/1.1 400 Bad Request
  ssh          sends an OpenSSH banner on accept
  smtp         sends "220 lab ESMTP" on accept
  silent       accepts and reads, never answers
  tarpit       after the ClientHello, sends a TLS ServerHello one byte a second
  garbage      after the ClientHello, 4 KB of binary bytes starting with 0x00
  alert        after the ClientHello, a fatal handshake_failure alert, then FIN
  eof          after the ClientHello, FIN without a byte
  reset        after the ClientHello, 20 bytes of a handshake record, then RST
  huge         ServerHello, then a Certificate message declaring 10 MB (sent)
  closed       a port that was bound and closed again: connect is refused
  backlog      a listener with a full accept queue: SYNs are dropped
  dns          UDP DNS server: a.test A 127.0.0.1 + AAAA ::1, b.test A
               127.0.0.1, NXDOMAIN for every other name

With --control the manifest also holds "control", a TCP port on 127.0.0.1
that takes one command per connection, a line of text, and answers "ok" or
"error: WHY" (then closes).  It lets a test change the lab under a running
certsweep:

  stop NAME         stop listening on endpoint NAME (its open connections
                    go on); from then on a connect there is refused
  swap NAME CERT    from now on, TLS endpoint NAME serves the chain of CERT
                    (a name in DIR, such as ec or selfsigned), or with CERT
                    "fresh" a new self-signed RSA leaf (CN=fresh.test, valid
                    90 days) made with the openssl CLI for this command

By hand, in bash: exec 3<>/dev/tcp/127.0.0.1/PORT; echo "stop ssh" >&3;
cat <&3.  Without --control there is no such port and no "control" entry.

Only the standard library is used; the TLS endpoints are real OpenSSL servers
through the ssl module, the others write their bytes by hand.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
V4 = "127.0.0.1"
V6 = "::1"

# TLS 1.0 and 1.1 are deprecated in the ssl module; the lab needs them anyway.
warnings.filterwarnings("ignore", category=DeprecationWarning)

verbose = False


def log(msg):
    if verbose:
        print(f"lab: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Sockets and connection plumbing

class Listener:
    """A TCP listening socket that runs handler(conn) in a thread per
    accepted connection.  With v6_too, ::1 is bound on the same port as
    127.0.0.1 and served the same way.

    A listener on ::1 alone also holds its port on 127.0.0.1 (bound, never
    listening: a connection there is refused), so that no other listener
    gets the same number: the tests name an endpoint by its port."""

    def __init__(self, name, handler, host=V4, v6_too=False, backlog=128):
        self.name = name
        self.handler = handler
        self.socks = []
        self.held = None
        v6_too = v6_too and have_ipv6()
        for _ in range(50):
            first = bind_tcp(host, 0)
            self.port = first.getsockname()[1]
            if host == V4 and not v6_too:
                self.socks = [first]
                break
            try:
                # The holder goes without SO_REUSEADDR, which would let a
                # later bind share its port.
                other = bind_tcp(V4 if host == V6 else V6, self.port,
                                 reuse=host != V6)
            except OSError:
                first.close()
                continue
            if host == V6:
                self.socks, self.held = [first], other
            else:
                self.socks = [first, other]
            break
        else:
            raise RuntimeError(f"{name}: no port free on both {V4} and {V6}")
        for s in self.socks:
            s.listen(backlog)

    def start(self):
        for s in self.socks:
            threading.Thread(target=self._accept_loop, args=(s,),
                             name=f"{self.name}-accept", daemon=True).start()

    def stop(self):
        """Stop listening.  shutdown() wakes the thread blocked in accept()
        (close() alone would leave the socket listening under it)."""
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        if self.held:
            self.held.close()

    def _accept_loop(self, sock):
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            log(f"{self.name}: connection from {peer[0]} port {peer[1]}")
            threading.Thread(target=self._run, args=(conn,),
                             name=self.name, daemon=True).start()

    def _run(self, conn):
        try:
            self.handler(conn)
        except Exception as e:  # a client hanging up is business as usual
            log(f"{self.name}: {type(e).__name__}: {e}")
        finally:
            conn.close()


def have_ipv6():
    try:
        bind_tcp(V6, 0).close()
        return True
    except OSError:
        return False


def bind_tcp(host, port, reuse=True):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
    except OSError:
        s.close()
        raise
    return s


def finish(conn, timeout=10):
    """Close gracefully: FIN our side, then wait for the client's FIN, so that
    nothing unread turns our close into a reset."""
    try:
        conn.shutdown(socket.SHUT_WR)
        drain(conn, timeout)
    except OSError:
        pass


def drain(conn, timeout=None):
    """Read and discard until the client closes (or timeout seconds pass)."""
    conn.settimeout(timeout)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def hello_complete(data):
    """True once data holds a whole TLS handshake message (the ClientHello),
    or once it is clearly not TLS, so that what arrived is all there is."""
    if not data:
        return False
    if data[0] != 0x16:
        return True
    payload = b""
    off = 0
    while off + 5 <= len(data):
        n = int.from_bytes(data[off + 3:off + 5], "big")
        if off + 5 + n > len(data):
            return False
        payload += data[off + 5:off + 5 + n]
        off += 5 + n
        if len(payload) >= 4 and \
                len(payload) >= 4 + int.from_bytes(payload[1:4], "big"):
            return True
    return False


def read_client_hello(conn, timeout=5):
    """Read the client's first flight: all of a ClientHello, or whatever
    non-TLS bytes arrive first.  Returns b"" when the client sent nothing."""
    conn.settimeout(timeout)
    data = b""
    try:
        while not hello_complete(data):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


def client_hello_info(data):
    """The cipher suites and extension types of a ClientHello record, as
    (suites, extensions); empty lists when data is not one."""
    try:
        if data[0] != 0x16 or data[5] != 0x01:
            return [], []
        p = 5 + 4 + 2 + 32                      # headers, version, random
        p += 1 + data[p]                        # session_id
        n = int.from_bytes(data[p:p + 2], "big")
        suites = [int.from_bytes(data[i:i + 2], "big")
                  for i in range(p + 2, p + 2 + n, 2)]
        p += 2 + n
        p += 1 + data[p]                        # compression methods
        end = p + 2 + int.from_bytes(data[p:p + 2], "big")
        p += 2
        exts = []
        while p + 4 <= end:
            exts.append(int.from_bytes(data[p:p + 2], "big"))
            p += 4 + int.from_bytes(data[p + 2:p + 4], "big")
        return suites, exts
    except IndexError:
        return [], []


def u24(n):
    return n.to_bytes(3, "big")


def record(content_type, payload):
    return bytes([content_type, 3, 3]) + struct.pack(">H", len(payload)) + payload


def server_hello(hello=b""):
    """A TLS 1.2 ServerHello record that an OpenSSL client accepts for the
    given ClientHello: a TLS 1.2 suite the client offered, and only the
    extensions it offered (secure renegotiation, which OpenSSL 3 requires,
    and extended master secret)."""
    suites, exts = client_hello_info(hello)
    usable = [s for s in suites
              if s >> 8 != 0x13 and s not in (0x00FF, 0x5600)
              and (s & 0x0F0F) != 0x0A0A]
    cipher = 0xC02F
    for s in (0xC02F, 0xC030, 0xC02B, 0xC02C, 0xC013, 0x009C, 0x002F):
        if s in usable:
            cipher = s
            break
    else:
        if usable:
            cipher = usable[0]
    ext = b""
    if 0xFF01 in exts or 0x00FF in suites:
        ext += b"\xff\x01\x00\x01\x00"
    if 0x0017 in exts:
        ext += b"\x00\x17\x00\x00"
    body = (b"\x03\x03" + os.urandom(32) + b"\x00" + struct.pack(">H", cipher)
            + b"\x00" + struct.pack(">H", len(ext)) + ext)
    return record(0x16, b"\x02" + u24(len(body)) + body)


# ---------------------------------------------------------------------------
# TLS endpoints (real OpenSSL servers)

def tls_context(certs, name, minv=None, maxv=None, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if ciphers:
        # Before loading the certificate: the security level also decides
        # whether a SHA-1 signed one may be used at all.
        ctx.set_ciphers(ciphers)
    if minv:
        ctx.minimum_version = minv
    if maxv:
        ctx.maximum_version = maxv
    ctx.load_cert_chain(os.path.join(certs, f"{name}.chain.pem"),
                        os.path.join(certs, f"{name}.key"))
    return ctx


# The context each TLS endpoint serves with, by name; `swap` replaces one.
tls_contexts = {}


def tls_handler(name):
    def handle(conn):
        ctx = tls_contexts[name]
        conn.settimeout(10)
        try:
            with ctx.wrap_socket(conn, server_side=True) as s:
                log(f"handshake done: {s.version()} {s.cipher()[0]}")
                drain(s, 10)
        except (OSError, ssl.SSLError) as e:
            log(f"handshake ended: {e}")
    return handle


def tls_endpoints(certs):
    V = ssl.TLSVersion
    old = "ALL:@SECLEVEL=0"
    sni_a = tls_context(certs, "a")
    sni_b = tls_context(certs, "b")

    def pick_sni(sslobj, server_name, ctx):
        if server_name and server_name.lower() == "b.test":
            sslobj.context = sni_b
        return None                     # anything else keeps the a.test cert
    sni_a.sni_callback = pick_sni

    client = tls_context(certs, "rsa")
    client.verify_mode = ssl.CERT_REQUIRED
    client.load_verify_locations(os.path.join(certs, "clientca.pem"))

    return {
        "tls13_rsa": tls_context(certs, "rsa", minv=V.TLSv1_3),
        "tls12_ecdsa": tls_context(certs, "ec", maxv=V.TLSv1_2),
        "tls10_rsa": tls_context(certs, "rsa", V.TLSv1, V.TLSv1, old),
        "tls11": tls_context(certs, "rsa", V.TLSv1_1, V.TLSv1_1, old),
        "ed25519": tls_context(certs, "ed25519"),
        "sha1": tls_context(certs, "sha1", ciphers="DEFAULT:@SECLEVEL=0"),
        "expired": tls_context(certs, "expired"),
        "selfsigned": tls_context(certs, "selfsigned"),
        "big": tls_context(certs, "big"),
        "sni": sni_a,
        "clientcert": client,
        "tls_v6": tls_context(certs, "ec"),
    }


# ---------------------------------------------------------------------------
# Hand-written endpoints

HTTP_BODY = b"<html><body><h1>400 Bad Request</h1></body></html>\r\n"
HTTP_400 = (b"HTTP/1.1 400 Bad Request\r\n"
            b"Server: certsweep-lab\r\n"
            b"Content-Type: text/html\r\n"
            b"Content-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % len(HTTP_BODY)) + HTTP_BODY


def handle_http(conn):
    read_client_hello(conn)
    conn.sendall(HTTP_400)
    finish(conn)


def banner_handler(banner):
    def handle(conn):
        conn.sendall(banner)
        drain(conn, 30)
    return handle


def handle_silent(conn):
    drain(conn)


def tarpit_bytes(hello):
    """A ServerHello record, then a Certificate record that never ends."""
    yield from server_hello(hello)
    yield from b"\x16\x03\x03" + struct.pack(">H", 16384)
    yield from b"\x0b" + u24(16380)
    while True:
        yield 0


def handle_tarpit(conn):
    hello = read_client_hello(conn)
    conn.settimeout(None)
    for b in tarpit_bytes(hello):
        conn.send(bytes([b]))           # raises once the client has gone
        time.sleep(1)


def handle_garbage(conn):
    read_client_hello(conn)
    # 0x00 starts no TLS record (0x14-0x18) nor an SSLv2 one (high bit set).
    junk = bytearray(os.urandom(4096))
    junk[0:4] = b"\x00\xff\x00\xfe"
    conn.sendall(bytes(junk))
    finish(conn)


def handle_alert(conn):
    read_client_hello(conn)
    conn.sendall(bytes.fromhex("15030300020228"))   # fatal handshake_failure
    finish(conn)


def handle_eof(conn):
    read_client_hello(conn)
    finish(conn)


def handle_reset(conn):
    hello = read_client_hello(conn)
    conn.sendall(server_hello(hello)[:20])
    # Give the client time to read those bytes before the reset, which
    # would otherwise discard them.
    time.sleep(0.2)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


HUGE = 10 * 1024 * 1024


def handle_huge(conn):
    hello = read_client_hello(conn)
    conn.sendall(server_hello(hello))
    # Certificate message: certificate_list, then one "certificate" whose
    # DER header agrees with the declared lengths, then zeros.
    head = (b"\x0b" + u24(HUGE) + u24(HUGE - 3) + u24(HUGE - 6)
            + b"\x30\x83" + u24(HUGE - 10))
    zeros = bytes(16384)
    left = 4 + HUGE
    first = True
    conn.settimeout(30)
    while left > 0:
        n = min(16384, left)
        chunk = head + zeros[:n - len(head)] if first else zeros[:n]
        first = False
        conn.sendall(record(0x16, chunk))
        left -= n
    finish(conn)


# ---------------------------------------------------------------------------
# closed, backlog and dns

def closed_port():
    s = bind_tcp(V4, 0)
    port = s.getsockname()[1]
    s.close()
    return port


def backlog_listener():
    """A socket listening with backlog 0 that is never accepted.  Linux
    queues one connection for backlog 0; once that one is queued the accept
    queue is full and further SYNs are dropped, so connects time out.
    Returns (listening socket, the lab's own filler connections, port)."""
    lsock = bind_tcp(V4, 0)
    lsock.listen(0)
    port = lsock.getsockname()[1]
    fillers = []
    for _ in range(3):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex((V4, port))
        fillers.append(c)
    time.sleep(0.05)
    return lsock, fillers, port


DNS_ZONE = {
    "a.test": [(1, socket.inet_pton(socket.AF_INET, V4)),
               (28, socket.inet_pton(socket.AF_INET6, V6))],
    "b.test": [(1, socket.inet_pton(socket.AF_INET, V4))],
}


def dns_answer(query):
    """The response to one DNS query, or None to ignore it."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack(">HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    off = 12
    labels = []
    try:
        while query[off]:
            n = query[off]
            if n & 0xC0:
                return None
            labels.append(query[off + 1:off + 1 + n])
            off += 1 + n
        off += 1
        qtype, _ = struct.unpack(">HH", query[off:off + 4])
    except (IndexError, struct.error):
        return None
    off += 4
    name = b".".join(labels).decode("ascii", "replace").lower()
    answers = []
    rcode = 0
    if name in DNS_ZONE:
        for rtype, rdata in DNS_ZONE[name]:
            if qtype in (rtype, 255):
                answers.append(b"\xc0\x0c" + struct.pack(">HHIH", rtype, 1, 60,
                                                         len(rdata)) + rdata)
    else:
        rcode = 3                                   # NXDOMAIN
    rflags = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080 | rcode
    log(f"dns: {name} type {qtype} -> rcode {rcode}, {len(answers)} answers")
    return (struct.pack(">HHHHHH", qid, rflags, 1, len(answers), 0, 0)
            + query[12:off] + b"".join(answers))


def dns_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((V4, 0))

    def serve():
        while True:
            try:
                query, peer = s.recvfrom(4096)
                answer = dns_answer(query)
                if answer:
                    s.sendto(answer, peer)
            except OSError:
                return
    return s, serve


# ---------------------------------------------------------------------------
# The control port (--control)

def fresh_context(certs):
    """A context serving a new self-signed RSA leaf, made now."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="lab-fresh-") as d:
        key, pem = os.path.join(d, "fresh.key"), os.path.join(d, "fresh.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-subj", "/CN=fresh.test", "-days", "90",
                        "-keyout", key, "-out", pem],
                       check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pem, key)
        return ctx


def control_handler(certs, listeners):
    by_name = {l.name: l for l in listeners}

    def run(words):
        if len(words) == 2 and words[0] == "stop" and words[1] in by_name:
            by_name[words[1]].stop()
        elif len(words) == 3 and words[0] == "swap" and words[1] in tls_contexts:
            if words[2] == "fresh":
                tls_contexts[words[1]] = fresh_context(certs)
            elif os.path.exists(os.path.join(certs, f"{words[2]}.chain.pem")):
                tls_contexts[words[1]] = tls_context(certs, words[2])
            else:
                return f"error: no certificate {words[2]} in {certs}"
        else:
            return "error: expected 'stop NAME' or 'swap TLS_NAME CERT|fresh'"
        return "ok"

    def handle(conn):
        conn.settimeout(10)
        line = b""
        while b"\n" not in line:
            chunk = conn.recv(4096)
            if not chunk:
                break
            line += chunk
        words = line.decode("utf-8", "replace").split()
        try:
            answer = run(words)
        except (OSError, ssl.SSLError, subprocess.CalledProcessError) as e:
            answer = f"error: {e}"
        log(f"control: {' '.join(words)} -> {answer}")
        conn.sendall(answer.encode() + b"\n")
    return handle


# ---------------------------------------------------------------------------
# Starting and stopping (shared with vulnlab.py)

def exit_on_sigterm(stdin_eof=False):
    """Exit on SIGTERM; with stdin_eof, also once standard input closes."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if stdin_eof:
        def watch_stdin():
            # os.read, not sys.stdin: a thread blocked in the buffered
            # reader holds its lock, and the interpreter aborts on it at
            # exit ("could not acquire lock for <stdin>", SIGABRT).
            while os.read(0, 4096):
                pass
            os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=watch_stdin, daemon=True).start()


def write_manifest(manifest, path=None):
    """The {name: port} JSON to path (through path.tmp and a rename, so a
    reader that sees path sees all of it), or to stdout without a path."""
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def serve_forever():
    """Wait for SIGTERM or SIGINT while the listener threads serve."""
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass


# ---------------------------------------------------------------------------

def main():
    global verbose
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--certs", required=True,
                    help="certificate directory (made by gencerts.sh)")
    ap.add_argument("--manifest", help="write the {name: port} JSON here")
    ap.add_argument("--stdin-eof", action="store_true",
                    help="exit when standard input reaches end of file")
    ap.add_argument("--control", action="store_true",
                    help="serve the control port (stop, swap) as \"control\"")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="log connections on stderr")
    args = ap.parse_args()
    verbose = args.verbose

    if not os.path.exists(os.path.join(args.certs, "done")):
        subprocess.run([os.path.join(HERE, "gencerts.sh"), args.certs],
                       check=True)

    exit_on_sigterm(args.stdin_eof)

    tls_contexts.update(tls_endpoints(args.certs))
    if not have_ipv6():
        print("lab: warning: no ::1 here; tls_v6 is left out and sni listens "
              "on 127.0.0.1 only", file=sys.stderr)
        del tls_contexts["tls_v6"]
    listeners = [Listener(name, tls_handler(name),
                          host=V6 if name == "tls_v6" else V4,
                          v6_too=(name == "sni"))
                 for name in tls_contexts]
    listeners += [
        Listener("http", handle_http),
        Listener("ssh", banner_handler(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")),
        Listener("smtp", banner_handler(b"220 lab ESMTP\r\n")),
        Listener("silent", handle_silent),
        Listener("tarpit", handle_tarpit),
        Listener("garbage", handle_garbage),
        Listener("alert", handle_alert),
        Listener("eof", handle_eof),
        Listener("reset", handle_reset),
        Listener("huge", handle_huge),
    ]
    manifest = {l.name: l.port for l in listeners}
    if args.control:
        control = Listener("control", control_handler(args.certs, listeners))
        manifest["control"] = control.port
        listeners.append(control)
    backlog_sock, fillers, manifest["backlog"] = backlog_listener()
    dns_sock, dns_serve = dns_server()
    manifest["dns"] = dns_sock.getsockname()[1]
    # Last, so that no listener above can be given the port again.
    manifest["closed"] = closed_port()

    for l in listeners:
        l.start()
    threading.Thread(target=dns_serve, name="dns", daemon=True).start()

    write_manifest(manifest, args.manifest)
    serve_forever()


if __name__ == "__main__":
    main()
