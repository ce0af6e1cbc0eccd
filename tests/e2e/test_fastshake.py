#!/usr/bin/python3
"""End-to-end test of the engine's fast handshake path (src/fastshake.c).

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_fastshake.py [-v]

Scans every endpoint of the lab in tests/lab/ twice: with the default
engine (the fast path first, OpenSSL as its fallback) and with
CERTSWEEP_ENGINE=openssl (OpenSSL alone, as before the fast path). Both
must report the same status, reason, TLS version, cipher and chain for
every endpoint, and the log of the first must show that the fast path,
not the fallback, fetched the chains of the plain TLS endpoints. All
traffic stays on loopback.
"""

import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading

import harness
from harness import CERTSWEEP, VERBOSE, Context, Fail, check, expect

CONNECT_MS = 1000
DOWNLOAD_MS = 1500
# Endpoints whose server sends a clean chain at once: the fast path must
# fetch these without falling back.
FAST = ("tls13_rsa", "tls12_ecdsa", "tls10_rsa", "tls11", "ed25519", "sha1",
        "expired", "selfsigned", "big", "sni", "clientcert", "tls_v6")


def run(t, engine):
    v4 = [str(p) for n, p in t.lab.ports.items() if n not in ("dns", "tls_v6")]
    targets = ["127.0.0.1:" + ",".join(v4)]
    if "tls_v6" in t.lab.ports:
        targets.append(f"[::1]:{t.lab.ports['tls_v6']}")
    env = dict(os.environ)
    env.pop("CERTSWEEP_ENGINE", None)
    if engine:
        env["CERTSWEEP_ENGINE"] = engine
    args = ["scan", "-v", "--format", "jsonl", "--connect-timeout",
            str(CONNECT_MS), "--download-timeout", str(DOWNLOAD_MS), *targets]
    p = harness.start_in_group([CERTSWEEP, *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p = harness.finish(p, args, 20)
    if p.returncode != 0:
        raise Fail(f"exit {p.returncode}: {p.stderr.strip()[:300]}")
    records = {}
    for line in p.stdout.splitlines():
        if line.strip():
            r = json.loads(line)
            records[t.lab.names.get(r["port"], r["port"])] = r
    return records, p.stderr


def summary(r):
    chain = [c.get("sha256") for c in r.get("chain") or []]
    return (r.get("status"), r.get("reason"), r.get("tls_version"),
            r.get("cipher"), chain)


def both_engines(t):
    t.fast, t.fast_log = run(t, None)
    t.slow, t.slow_log = run(t, "openssl")


@check
def every_endpoint_is_reported_by_both(t):
    expect(set(t.fast) == set(t.slow),
           f"fast path: {sorted(map(str, t.fast))}, "
           f"openssl: {sorted(map(str, t.slow))}")


@check
def both_engines_report_the_same(t):
    diff = [f"{name}: fast {summary(t.fast[name])} openssl {summary(t.slow[name])}"
            for name in t.fast if name in t.slow
            and summary(t.fast[name]) != summary(t.slow[name])]
    expect(not diff, "; ".join(diff))


@check
def tls_endpoints_found_their_chain(t):
    for name in FAST:
        if name in t.fast:
            expect(t.fast[name]["status"] == "certificate_found",
                   f"{name}: {summary(t.fast[name])}")


def counters(log):
    m = re.search(r"engine: ([a-z ]+); fast handshakes (\d+), fallbacks to "
                  r"OpenSSL (\d+)", log)
    if not m:
        raise Fail(f"no engine line in the -v log: {log.strip()[-300:]}")
    return m.group(1), int(m.group(2)), int(m.group(3))


@check
def fast_path_fetched_the_chains(t):
    engine, done, fallbacks = counters(t.fast_log)
    expect(engine == "fast path", f"engine {engine!r}")
    present = [n for n in FAST if n in t.fast]
    found = sum(1 for r in t.fast.values() if r["status"] == "certificate_found")
    expect(done >= len(present),
           f"{done} fast handshakes, want at least {len(present)} ({present})")
    # Every chain the fallback fetched is one the fast path did not.
    expect(done <= found, f"{done} fast handshakes but {found} chains")
    if VERBOSE:
        print(f"  fast handshakes {done}, fallbacks {fallbacks}, chains {found}")


@check
def openssl_engine_does_no_fast_handshake(t):
    engine, done, fallbacks = counters(t.slow_log)
    expect(engine == "openssl" and done == 0 and fallbacks == 0,
           f"engine {engine!r}, {done} fast, {fallbacks} fallbacks")


def retry_server(t):
    """A TLS 1.3 server that takes P-256 shares only: it answers the
    x25519 share of a hello with a HelloRetryRequest. Returns its port."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_ecdh_curve("prime256v1")
    ctx.load_cert_chain(os.path.join(t.lab.certs, "ec.chain.pem"),
                        os.path.join(t.lab.certs, "ec.key"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve():
        while True:
            conn, _ = listener.accept()
            conn.settimeout(5)
            try:
                with ctx.wrap_socket(conn, server_side=True) as c:
                    c.recv(1)
            except (OSError, ssl.SSLError):
                pass
    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


@check
def hello_retry_request_is_answered_without_openssl(t):
    port = retry_server(t)
    found = {}
    for engine in (None, "openssl"):
        env = dict(os.environ)
        env.pop("CERTSWEEP_ENGINE", None)
        if engine:
            env["CERTSWEEP_ENGINE"] = engine
        args = ["scan", "-v", "--format", "jsonl", f"127.0.0.1:{port}"]
        p = harness.finish(harness.start_in_group([CERTSWEEP, *args], env=env,
                                                  stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE), args, 20)
        expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr.strip()[:300]}")
        found[engine] = json.loads(p.stdout)
        if engine is None:
            name, done, fallbacks = counters(p.stderr)
            expect(done == 1 and fallbacks == 0,
                   f"{done} fast handshakes, {fallbacks} fallbacks for the retry server")
    expect(summary(found[None]) == summary(found["openssl"]),
           f"fast {summary(found[None])} openssl {summary(found['openssl'])}")
    expect(found[None]["status"] == "certificate_found" and found[None]["tls_version"] == "TLSv1.3",
           f"the retry server gave {summary(found[None])}")


def main():
    harness.enter_private_network("")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    t = Context()
    t.lab = harness.Lab("certsweep-e2e-fast-")
    return harness.run_checks(t, before=both_engines, show_time=VERBOSE)


if __name__ == "__main__":
    sys.exit(main())
