#!/usr/bin/python3
"""The revocation lab: TLS endpoints whose certificates name an OCSP
responder and a CRL on loopback, for `certsweep vuln --revocation`.

Usage: revlab.py --certs DIR [--manifest PATH] [--stdin-eof] [-v]

Started like lab.py (whose listener, manifest and shutdown it reuses).  The
ports of the responder and the CRL server are chosen first, then a CA and
its leaves are made (Debian's python3-cryptography) with those URLs in
them, into DIR/rev*.pem: the certificates exist only once the lab runs.

  ocsp       OCSP responder (HTTP POST, RFC 6960), signed by the CA:
             /ocsp answers good or revoked from the CA's index (unauthorized
             for a serial it does not know); /forged answers "revoked" for
             anything, signed by a key that is not the CA's
  crl        HTTP server of /ca.crl (DER, lists rev_revoked's serial, signed
             by the CA, valid a week) and /garbage.crl (not a CRL); GET
             /stats answers {"ocsp": N, "forged": N, "crl": N, "garbage": N},
             the requests each path got

TLS endpoints (real OpenSSL servers, leaf + nothing: the CA is the issuer,
given to certsweep as --ca-file DIR/revca.pem), every leaf for rev.test:

  rev_good        OCSP /ocsp and /ca.crl: good in both
  rev_good_twice  the same certificate as rev_good (one OCSP request for both)
  rev_revoked     OCSP /ocsp and /ca.crl: revoked in both (keyCompromise)
  rev_ocsp_down   OCSP on a closed port, /ca.crl: good
  rev_forged      OCSP /forged and /garbage.crl: nothing that proves anything
  rev_openssl_good     OCSP of openssl_ocsp, no CRL DP: good
  rev_openssl_revoked  OCSP of openssl_ocsp, no CRL DP: revoked (superseded)

  openssl_ocsp  a real `openssl ocsp -index DIR/revindex.txt -port 0` responder
             (signing with the CA, DIR/revca.key), serving the two
             rev_openssl_* leaves from an OpenSSL CA database.  Their CRL
             DP is left out, so that their verdict is the OCSP one alone.
             OpenSSL 3.0 binds it to the wildcard address ([::], dual
             stack): there is no way to bind it to loopback only.  So it is
             started only where loopback is the only interface (the e2e
             tests' private network namespace); elsewhere the lab leaves it
             and the rev_openssl_* endpoints out (it says so on stderr) and
             the manifest has no openssl_ocsp.  It answers one request
             after another, for as long as the lab runs, and dies with it.
"""

import argparse
import atexit
import ctypes
import datetime
import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
import lab                              # noqa: E402  (tests/lab/lab.py)
from lab import Listener, V4, bind_tcp, closed_port  # noqa: E402

log = lab.log
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)

# What each path was asked, for /stats.
counts = {"ocsp": 0, "forged": 0, "crl": 0, "garbage": 0}
counts_lock = threading.Lock()


def count(what):
    with counts_lock:
        counts[what] += 1


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "certsweep lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class CA:
    """The revocation CA, its leaves by serial, and what it revoked."""

    def __init__(self):
        now = datetime.datetime.utcnow()
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.rogue_key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (x509.CertificateBuilder().subject_name(name("Revocation Lab CA"))
                     .issuer_name(name("Revocation Lab CA"))
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(now - DAY).not_valid_after(now + 365 * DAY)
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False, True,
                                                  True, False, False), True)
                     .sign(self.key, hashes.SHA256()))
        # Same name as the CA, another key: what a forger would sign with.
        self.rogue_cert = (x509.CertificateBuilder().subject_name(self.cert.subject)
                           .issuer_name(self.cert.subject)
                           .public_key(self.rogue_key.public_key())
                           .serial_number(x509.random_serial_number())
                           .not_valid_before(now - DAY).not_valid_after(now + 365 * DAY)
                           .sign(self.rogue_key, hashes.SHA256()))
        self.leaves = {}        # serial -> certificate
        self.revoked = {}       # serial -> revocation time

    def leaf(self, key, ocsp_url, crl_url, serial=None, not_after=None):
        """A leaf for rev.test naming ocsp_url and crl_url (None: no CRL
        DP); serial and not_after as given (the openssl responder's index
        is written before the leaf is made), else random and in 90 days."""
        now = datetime.datetime.utcnow()
        b = (x509.CertificateBuilder().subject_name(name("rev.test"))
             .issuer_name(self.cert.subject).public_key(key.public_key())
             .serial_number(serial or x509.random_serial_number())
             .not_valid_before(now - DAY).not_valid_after(not_after or now + 90 * DAY)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
             .add_extension(x509.SubjectAlternativeName([x509.DNSName("rev.test")]),
                            False)
             .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                 AuthorityInformationAccessOID.OCSP,
                 x509.UniformResourceIdentifier(ocsp_url))]), False))
        if crl_url:
            b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), False)
        cert = b.sign(self.key, hashes.SHA256())
        self.leaves[cert.serial_number] = cert
        return cert

    def crl(self):
        now = datetime.datetime.utcnow()
        b = (x509.CertificateRevocationListBuilder().issuer_name(self.cert.subject)
             .last_update(now - MINUTE).next_update(now + 7 * DAY)
             .add_extension(x509.CRLNumber(1), False))
        for serial, when in self.revoked.items():
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(when)
                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), False)
                .build())
        return b.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_answer(self, request_der, forged=False):
        req = ocsp.load_der_ocsp_request(request_der)
        cert = self.leaves.get(req.serial_number)
        if cert is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
        now = datetime.datetime.utcnow()
        revoked = forged or cert.serial_number in self.revoked
        when = self.revoked.get(cert.serial_number, now - DAY)
        b = ocsp.OCSPResponseBuilder().add_response(
            cert=cert, issuer=self.cert, algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now - MINUTE, next_update=now + DAY,
            revocation_time=when if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None)
        signer, key = (self.rogue_cert, self.rogue_key) if forged else (self.cert, self.key)
        b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
        return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def http_server(sock, handler):
    """A threading HTTP server on the bound (not yet listening) sock."""
    server = ThreadingHTTPServer((V4, sock.getsockname()[1]), handler,
                                 bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_activate()
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def handlers(ca):
    class Base(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            log(f"http: {fmt % args}")

        def answer(self, status, ctype, body):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Responder(Base):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            forged = self.path.startswith("/forged")
            count("forged" if forged else "ocsp")
            try:
                der = ca.ocsp_answer(body, forged)
            except ValueError as e:
                log(f"ocsp: bad request: {e}")
                der = ocsp.OCSPResponseBuilder.build_unsuccessful(
                    ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
                        serialization.Encoding.DER)
            self.answer(200, "application/ocsp-response", der)

    class Crl(Base):
        def do_GET(self):
            if self.path == "/ca.crl":
                count("crl")
                self.answer(200, "application/pkix-crl", ca.crl())
            elif self.path == "/garbage.crl":
                count("garbage")
                self.answer(200, "application/pkix-crl", b"<html>not a CRL</html>")
            elif self.path == "/stats":
                with counts_lock:
                    text = json.dumps(counts)
                self.answer(200, "application/json", text.encode())
            else:
                self.answer(404, "text/plain", b"not found\n")

    return Responder, Crl


# The reason the openssl responder gives for rev_openssl_revoked (a name of
# OpenSSL's index, which is also certsweep's): not rev_revoked's
# keyCompromise, so that a detail naming it came from this responder.
OPENSSL_REASON = "superseded"


def loopback_only():
    """Whether no interface but loopback is up here (the e2e tests' private
    network namespace), so that a wildcard bind reaches loopback only."""
    for _, ifname in socket.if_nameindex():
        if ifname == "lo":
            continue
        try:
            with open(f"/sys/class/net/{ifname}/flags") as f:
                if int(f.read(), 16) & 1:       # IFF_UP
                    return False
        except (OSError, ValueError):
            return False
    return True


def die_with_parent():
    """In the child before exec: SIGTERM when the lab dies, even killed."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)      # PR_SET_PDEATHSIG


def utctime(when):
    """when as OpenSSL's index writes it: YYMMDDHHMMSSZ."""
    return when.strftime("%y%m%d%H%M%SZ")


class OpensslResponder:
    """`openssl ocsp` serving an OpenSSL CA database (DIR/revindex.txt) of
    two leaves to come, good and revoked: their serials and notAfter are
    chosen, and the index written, before the responder starts; it picks
    its own port (-port 0) and says which (ACCEPT [::]:PORT), so the leaves
    can name it."""

    def __init__(self, certs, ca):
        now = datetime.datetime.utcnow().replace(microsecond=0)
        self.not_after = now + 90 * DAY
        self.serials = {"rev_openssl_good": x509.random_serial_number(),
                        "rev_openssl_revoked": x509.random_serial_number()}
        revoked_at = now - 2 * DAY
        # The serial as the responder looks it up (BN_bn2hex: upper case,
        # whole bytes), or it answers "unknown".
        rows = []
        for leaf_name, serial in self.serials.items():
            hexs = f"{serial:X}"
            hexs = "0" * (len(hexs) % 2) + hexs
            subject = f"/O=certsweep lab/CN=rev.test/OU={leaf_name}"
            if leaf_name == "rev_openssl_revoked":
                rows.append(["R", utctime(self.not_after),
                             f"{utctime(revoked_at)},{OPENSSL_REASON}", hexs,
                             "unknown", subject])
            else:
                rows.append(["V", utctime(self.not_after), "", hexs, "unknown",
                             subject])
        index = os.path.join(certs, "revindex.txt")
        with open(index, "w") as f:
            f.writelines("\t".join(r) + "\n" for r in rows)
        key = os.path.join(certs, "revca.key")
        write_pem(key, ca.key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        ca_pem = os.path.join(certs, "revca.pem")
        write_pem(ca_pem, ca.cert.public_bytes(serialization.Encoding.PEM))
        # No -nrequest (it serves until killed), -ignore_err (a malformed
        # request is not the end of it), no -nmin/-ndays (its answers then
        # have no nextUpdate, as its default is).
        cmd = ["openssl", "ocsp", "-index", index, "-port", "0",
               "-rsigner", ca_pem, "-rkey", key, "-CA", ca_pem, "-ignore_err"]
        log("openssl_ocsp: " + " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     preexec_fn=die_with_parent)
        self.port = self._accept_port()
        log(f"openssl_ocsp: pid {self.proc.pid} on port {self.port}")
        threading.Thread(target=self._drain, daemon=True).start()

    def _accept_port(self, timeout=10):
        deadline = time.monotonic() + timeout
        out = self.proc.stdout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([out], [], [], 0.2)
            if ready:
                line = out.readline().decode(errors="replace")
                if not line:
                    break
                m = re.match(r"ACCEPT \S*:(\d+)", line)
                if m:
                    return int(m.group(1))
                sys.stderr.write(f"openssl_ocsp: {line}")
        self.stop()
        raise RuntimeError("openssl ocsp did not say its port")

    def _drain(self):
        for line in self.proc.stdout:
            log(f"openssl_ocsp: {line.decode(errors='replace').rstrip()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def write_pem(path, *items):
    with open(path, "wb") as f:
        for item in items:
            f.write(item)


def tls_context(certs, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(certs, f"{name}.chain.pem"),
                        os.path.join(certs, f"{name}.key"))
    return ctx


def make_certs(certs, ca, ocsp_port, crl_port, openssl=None):
    """The leaves, as DIR/NAME.chain.pem and NAME.key; the CA as revca.pem.
    With openssl (an OpensslResponder), also the leaves of its index."""
    pem = serialization.Encoding.PEM
    write_pem(os.path.join(certs, "revca.pem"), ca.cert.public_bytes(pem))
    down = closed_port()
    ocsp_url = f"http://127.0.0.1:{ocsp_port}/ocsp"
    crl_url = f"http://127.0.0.1:{crl_port}/ca.crl"
    plan = {
        "rev_good": (ocsp_url, crl_url),
        "rev_revoked": (ocsp_url, crl_url),
        "rev_ocsp_down": (f"http://127.0.0.1:{down}/ocsp", crl_url),
        "rev_forged": (f"http://127.0.0.1:{ocsp_port}/forged",
                       f"http://127.0.0.1:{crl_port}/garbage.crl"),
    }
    if openssl:
        # The responder takes any path; a URL without one is the usual form.
        for leaf_name in openssl.serials:
            plan[leaf_name] = (f"http://127.0.0.1:{openssl.port}/", None)
    for leaf_name, (o, c) in plan.items():
        key = ec.generate_private_key(ec.SECP256R1())
        if openssl and leaf_name in openssl.serials:
            cert = ca.leaf(key, o, c, openssl.serials[leaf_name], openssl.not_after)
        else:
            cert = ca.leaf(key, o, c)
        if leaf_name == "rev_revoked":
            ca.revoked[cert.serial_number] = datetime.datetime.utcnow() - 3 * DAY
        write_pem(os.path.join(certs, f"{leaf_name}.chain.pem"), cert.public_bytes(pem))
        write_pem(os.path.join(certs, f"{leaf_name}.key"),
                  key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return list(plan)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--certs", required=True, help="where the certificates go")
    ap.add_argument("--manifest", help="write the {name: port} JSON here")
    ap.add_argument("--stdin-eof", action="store_true",
                    help="exit when standard input reaches end of file")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="log connections on stderr")
    args = ap.parse_args()
    lab.verbose = args.verbose
    os.makedirs(args.certs, exist_ok=True)
    lab.exit_on_sigterm(args.stdin_eof)

    # The ports first: the certificates name them.
    ocsp_sock, crl_sock = bind_tcp(V4, 0), bind_tcp(V4, 0)
    ocsp_port, crl_port = ocsp_sock.getsockname()[1], crl_sock.getsockname()[1]
    ca = CA()
    openssl = None
    if loopback_only():
        openssl = OpensslResponder(args.certs, ca)
        atexit.register(openssl.stop)
    else:
        print("revlab: an interface other than loopback is up and openssl "
              "ocsp binds the wildcard address: no openssl_ocsp, no "
              "rev_openssl_* endpoints", file=sys.stderr)
    names = make_certs(args.certs, ca, ocsp_port, crl_port, openssl)
    responder, crl = handlers(ca)
    http_server(ocsp_sock, responder)
    http_server(crl_sock, crl)

    for n in names:
        lab.tls_contexts[n] = tls_context(args.certs, n)
    lab.tls_contexts["rev_good_twice"] = tls_context(args.certs, "rev_good")
    listeners = [Listener(n, lab.tls_handler(n)) for n in lab.tls_contexts]
    for listener in listeners:
        listener.start()
    manifest = {listener.name: listener.port for listener in listeners}
    manifest.update(ocsp=ocsp_port, crl=crl_port)
    if openssl:
        manifest.update(openssl_ocsp=openssl.port)
    lab.write_manifest(manifest, args.manifest)
    lab.serve_forever()


if __name__ == "__main__":
    main()
