#!/usr/bin/python3
"""End-to-end test of `certsweep scan` against the lab in tests/lab/.

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_scan.py [-v]

Starts gencerts.sh and lab.py (certificates in a temporary directory), runs
the certsweep binary named by $CERTSWEEP against the lab and checks what a
user sees, against docs/scan-output.md: the status and reason of every lab
endpoint, the certificate facts, the output formats, the target syntax and
the usage errors.  Prints one line per check (`ok NAME`, `FAIL NAME: why`,
`skip NAME: why`) and ends with `N passed, M failed`; exits 1 if any check
failed.

All traffic stays on loopback.  When it can, the script re-runs itself in a
new network namespace (unshare --net) that has nothing but a loopback
interface, so that even a certsweep that wrongly accepts 0.0.0.0/7 or
ignores --dns-server cannot reach another host.  Where no namespace can be
made (or CERTSWEEP_E2E_NETNS=off), the checks that would need one to be safe
are skipped, with the reason printed.
"""

import csv
import datetime
import hashlib
import io
import json
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time

# harness.py is found in this script's own directory, which Python puts
# first on sys.path; no __pycache__ is left there in the source tree.
sys.dont_write_bytecode = True
import harness
from harness import (CERTSWEEP, EXPECTED, VERBOSE, Context, Fail, Skip, check,
                     equal, expect, kill_group)

CONNECT_MS = 1000
DOWNLOAD_MS = 1500

CSV_HEADER = ("ip,port,sni,status,reason,elapsed_ms,tls_version,cipher,"
              "subject_cn,subject,issuer,not_before,not_after,serial,sha256,"
              "sans,key_type,key_bits,sig_alg,self_signed,chain_length")
RECORD_FIELDS = ("ip", "port", "sni", "status", "reason", "elapsed_ms",
                 "tls_version", "cipher", "chain")
CERT_FIELDS = ("sha256", "subject", "subject_cn", "issuer", "serial",
               "not_before", "not_after", "sans", "key_type", "key_bits",
               "sig_alg", "self_signed", "pem")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# ---------------------------------------------------------------------------
# A network of our own

def enter_private_network():
    return harness.enter_private_network(
        "checks that could reach another host if certsweep misbehaved are "
        "skipped")


# ---------------------------------------------------------------------------
# The lab's certificates

def openssl_facts(lab, name):
    """serial, notBefore and notAfter of a lab certificate, per openssl."""
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-serial", "-startdate", "-enddate",
         "-in", os.path.join(lab.certs, name + ".pem")],
        check=True, capture_output=True, text=True).stdout
    facts = dict(line.split("=", 1) for line in out.splitlines())
    return (int(facts["serial"], 16),
            rfc3339(ssl.cert_time_to_seconds(facts["notBefore"])),
            rfc3339(ssl.cert_time_to_seconds(facts["notAfter"])))


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# Running certsweep

def certsweep(*args, timeout=10):
    """Run certsweep; a run longer than timeout seconds is a failure."""
    if VERBOSE:
        print("  $ certsweep " + " ".join(args))
    p = start_certsweep(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return harness.finish(p, args, timeout)


def start_certsweep(args, **kw):
    return harness.start_in_group([CERTSWEEP, *args], **kw)


def scan(*args, timeout=10):
    """Run a jsonl scan that must succeed; returns its records."""
    p = certsweep("scan", "--format", "jsonl", *args, timeout=timeout)
    if p.returncode != 0:
        raise Fail(f"exit {p.returncode}: {p.stderr.strip()[:300]}")
    return parse_jsonl(p.stdout)


def parse_jsonl(text):
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as e:
            raise Fail(f"jsonl line {n} is not JSON ({e}): {line[:120]}")
    return records


def only(records, what):
    if len(records) != 1:
        raise Fail(f"{len(records)} records for {what}, want 1: "
                   f"{[short(r) for r in records]}")
    return records[0]


def short(r):
    return {k: r.get(k) for k in ("ip", "port", "sni", "status", "reason")}


def leaf(r):
    chain = r.get("chain") or []
    expect(chain, f"no chain in {short(r)}")
    return chain[0]


class Sentry:
    """A listener that certsweep must never connect to: it is given as a
    valid target next to a bad one, and a usage error must send nothing."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.target = f"127.0.0.1:{self.sock.getsockname()[1]}"

    def connections(self):
        n = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1


# ---------------------------------------------------------------------------
# The checks.  Each is a function of the test context; they run in order.

def needs_private_net(t):
    if not t.private_net:
        raise Skip("certsweep could reach another host if it misbehaved, "
                   "and there is no private network namespace here")


def whole_scan(t):
    """Scan every lab endpoint at once; most checks read this result."""
    v4 = [str(p) for n, p in t.lab.ports.items()
          if n not in ("dns", "tls_v6")]
    targets = ["127.0.0.1:" + ",".join(v4)]
    if "tls_v6" in t.lab.ports:
        targets.append(f"[::1]:{t.lab.ports['tls_v6']}")
    start = time.monotonic()
    t.whole = None
    t.records = {}
    t.whole_error = None
    try:
        t.whole = certsweep("scan", "--format", "jsonl",
                            "--connect-timeout", str(CONNECT_MS),
                            "--download-timeout", str(DOWNLOAD_MS), *targets)
        for r in parse_jsonl(t.whole.stdout):
            name = t.lab.names.get(r.get("port"), f"port {r.get('port')}")
            t.records.setdefault(name, []).append(r)
    except Fail as e:
        t.whole_error = str(e)
    t.whole_seconds = time.monotonic() - start


def record_of(t, name):
    if name not in t.lab.ports:
        raise Skip(f"the lab has no {name} endpoint here (see its warnings)")
    if t.whole_error:
        raise Fail(t.whole_error)
    return only(t.records.get(name, []), name)


@check
def whole_scan_exits_0(t):
    expect(t.whole_error is None, t.whole_error)
    equal("exit status", t.whole.returncode, 0)


@check
def whole_scan_one_record_per_endpoint(t):
    want = sorted(n for n in t.lab.ports if n != "dns")
    got = sorted(n for n, rs in t.records.items() for _ in rs)
    equal("endpoints reported", got, want)


@check
def whole_scan_takes_the_longest_deadline(t):
    # Everything runs concurrently: the scan lasts about as long as the
    # slowest endpoint (the download deadline), not the sum.
    expect(t.whole_seconds < DOWNLOAD_MS / 1000 + 5,
           f"the scan took {t.whole_seconds:.1f} s")


@check
def records_have_all_fields(t):
    for name, rs in t.records.items():
        for r in rs:
            missing = [f for f in RECORD_FIELDS if f not in r]
            expect(not missing, f"{name}: no {missing} in {short(r)}")
            expect(isinstance(r["elapsed_ms"], int) and r["elapsed_ms"] >= 0,
                   f"{name}: elapsed_ms {r['elapsed_ms']!r}")
            for c in r["chain"]:
                missing = [f for f in CERT_FIELDS if f not in c]
                expect(not missing, f"{name}: certificate without {missing}")
                expect(RFC3339.match(c["not_before"] or "")
                       and RFC3339.match(c["not_after"] or ""),
                       f"{name}: times {c['not_before']!r} {c['not_after']!r}"
                       " are not RFC 3339 UTC")
                expect(re.fullmatch(r"[0-9a-f]+", c["serial"] or ""),
                       f"{name}: serial {c['serial']!r} is not lowercase hex")


def status_check(name):
    def fn(t):
        r = record_of(t, name)
        status, reason = EXPECTED[name]
        got = (r.get("status"), r.get("reason"))
        if isinstance(reason, re.Pattern):
            expect(got[0] == status and reason.fullmatch(got[1] or ""),
                   f"got {got[0]} {got[1]}, want {status} {reason.pattern}")
        else:
            expect(got == (status, reason),
                   f"got {got[0]} {got[1]}, want {status} {reason}")
        if status == "certificate_found":
            expect(r["chain"], "certificate_found with an empty chain")
            expect(r["tls_version"] and r["cipher"],
                   f"tls_version {r['tls_version']!r} cipher {r['cipher']!r}")
        else:
            equal("chain", r["chain"], [])
        if status in ("not_ssl", "timed_out_connecting", "connection_refused"):
            equal("tls_version", r["tls_version"], None)
    return fn


for _name in EXPECTED:
    check(status_check(_name), f"status_{_name}")


def cert_facts(t, r, name, cn, issuer, key_type, key_bits, sig_alg,
               chain_len, tls_version=None, self_signed=False):
    """The facts of a leaf the lab serves from certs/NAME.pem."""
    c = leaf(r)
    if tls_version:
        equal("tls_version", r["tls_version"], tls_version)
    expect((r["cipher"] or "").startswith("TLS_"),
           f"cipher {r['cipher']!r} is not an IANA name")
    equal("chain length", len(r["chain"]), chain_len)
    equal("subject_cn", c["subject_cn"], cn)
    equal("subject", c["subject"], f"CN={cn},O=certsweep lab")
    equal("issuer", c["issuer"], issuer)
    equal("key_type", c["key_type"], key_type)
    if key_bits is not None:
        equal("key_bits", c["key_bits"], key_bits)
    equal("sig_alg", c["sig_alg"], sig_alg)
    equal("self_signed", c["self_signed"], self_signed)
    der = t.lab.der(name)
    equal("sha256", (c["sha256"] or "").lower(),
          hashlib.sha256(der).hexdigest())
    try:
        back = ssl.PEM_cert_to_DER_cert(c["pem"])
    except (ValueError, TypeError) as e:
        raise Fail(f"pem does not parse: {e}")
    expect(back == der, "pem is not the certificate the lab served")
    serial, not_before, not_after = openssl_facts(t.lab, name)
    equal("serial", int(c["serial"], 16), serial)
    equal("not_before", c["not_before"], not_before)
    equal("not_after", c["not_after"], not_after)
    return c


@check
def tls13_rsa_chain(t):
    r = record_of(t, "tls13_rsa")
    c = cert_facts(t, r, "rsa", "rsa.test", "CN=certsweep lab intermediate",
                   "RSA", 2048, "sha256WithRSAEncryption", 2, "TLSv1.3")
    for san in ("DNS:rsa.test", "IP:127.0.0.1"):
        expect(san in c["sans"], f"{san} not in sans {c['sans']}")
    ca = r["chain"][1]
    equal("chain[1] subject_cn", ca["subject_cn"], "certsweep lab intermediate")
    equal("chain[1] issuer", ca["issuer"], "CN=certsweep lab CA")
    equal("chain[1] sha256", (ca["sha256"] or "").lower(),
          hashlib.sha256(t.lab.der("int")).hexdigest())


@check
def tls12_ecdsa_chain(t):
    cert_facts(t, record_of(t, "tls12_ecdsa"), "ec", "ec.test",
               "CN=certsweep lab EC intermediate", "EC", 256,
               "ecdsa-with-SHA256", 2, "TLSv1.2")


@check
def tls10_rsa_chain(t):
    cert_facts(t, record_of(t, "tls10_rsa"), "rsa", "rsa.test",
               "CN=certsweep lab intermediate", "RSA", 2048,
               "sha256WithRSAEncryption", 2, "TLSv1")


@check
def tls11_chain(t):
    cert_facts(t, record_of(t, "tls11"), "rsa", "rsa.test",
               "CN=certsweep lab intermediate", "RSA", 2048,
               "sha256WithRSAEncryption", 2, "TLSv1.1")


@check
def ed25519_chain(t):
    cert_facts(t, record_of(t, "ed25519"), "ed25519", "ed25519.test",
               "CN=certsweep lab Ed25519 intermediate", "Ed25519", None,
               "ED25519", 2)


@check
def sha1_chain(t):
    cert_facts(t, record_of(t, "sha1"), "sha1", "sha1.test",
               "CN=certsweep lab intermediate", "RSA", 2048,
               "sha1WithRSAEncryption", 2)


@check
def expired_chain(t):
    c = cert_facts(t, record_of(t, "expired"), "expired", "expired.test",
                   "CN=certsweep lab intermediate", "RSA", 2048,
                   "sha256WithRSAEncryption", 2)
    equal("not_after", c["not_after"], "2021-01-01T00:00:00Z")
    expect(c["not_after"] < rfc3339(time.time()), "not_after is not past")


@check
def selfsigned_chain(t):
    c = cert_facts(t, record_of(t, "selfsigned"), "selfsigned",
                   "selfsigned.test", "CN=selfsigned.test,O=certsweep lab",
                   "RSA", 2048, "sha256WithRSAEncryption", 1,
                   self_signed=True)
    equal("issuer", c["issuer"], c["subject"])


@check
def big_chain(t):
    c = cert_facts(t, record_of(t, "big"), "big", "big.test",
                   "CN=certsweep lab intermediate", "RSA", 2048,
                   "sha256WithRSAEncryption", 2)
    der = ssl.PEM_cert_to_DER_cert(c["pem"])
    expect(len(der) > 40000, f"DER of {len(der)} bytes")
    equal("number of sans", len(c["sans"]), 1601)


@check
def clientcert_chain_arrives_first(t):
    cert_facts(t, record_of(t, "clientcert"), "rsa", "rsa.test",
               "CN=certsweep lab intermediate", "RSA", 2048,
               "sha256WithRSAEncryption", 2, "TLSv1.3")


@check
def tls_v6_chain(t):
    r = record_of(t, "tls_v6")
    equal("ip", r["ip"], "::1")
    cert_facts(t, r, "ec", "ec.test", "CN=certsweep lab EC intermediate",
               "EC", 256, "ecdsa-with-SHA256", 2)


@check
def sni_none_gets_default_cert(t):
    r = record_of(t, "sni")
    equal("sni", r["sni"], None)
    equal("subject_cn", leaf(r)["subject_cn"], "a.test")


@check
def every_chain_sha256_matches_its_pem(t):
    for name, rs in t.records.items():
        for r in rs:
            for i, c in enumerate(r["chain"]):
                der = ssl.PEM_cert_to_DER_cert(c["pem"])
                equal(f"{name} chain[{i}] sha256", (c["sha256"] or "").lower(),
                      hashlib.sha256(der).hexdigest())


@check
def tarpit_stops_at_download_deadline(t):
    ms = record_of(t, "tarpit")["elapsed_ms"]
    expect(DOWNLOAD_MS - 100 <= ms <= DOWNLOAD_MS + 1500,
           f"elapsed_ms {ms}, want about {DOWNLOAD_MS}")


@check
def silent_stops_at_download_deadline(t):
    ms = record_of(t, "silent")["elapsed_ms"]
    expect(DOWNLOAD_MS - 100 <= ms <= DOWNLOAD_MS + 1500,
           f"elapsed_ms {ms}, want about {DOWNLOAD_MS}")


@check
def backlog_stops_at_connect_deadline(t):
    ms = record_of(t, "backlog")["elapsed_ms"]
    expect(CONNECT_MS - 100 <= ms <= CONNECT_MS + 1500,
           f"elapsed_ms {ms}, want about {CONNECT_MS}")


@check
def sni_option_selects_b_cert(t):
    port = t.lab.ports["sni"]
    targets = [f"127.0.0.1:{port}"]
    if "tls_v6" in t.lab.ports:         # sni listens on ::1 too
        targets.append(f"[::1]:{port}")
    records = scan("--sni", "b.test", *targets)
    equal("records", len(records), len(targets))
    for r in records:
        equal("status", r["status"], "certificate_found")
        equal("sni", r["sni"], "b.test")
        equal("subject_cn", leaf(r)["subject_cn"], "b.test")


def dns_scan(t, host):
    return scan("--dns-server", f"127.0.0.1:{t.lab.ports['dns']}",
                "--dns-timeout", "1000", f"{host}:{t.lab.ports['sni']}")


@check
def hostname_resolves_with_dns_server_and_sends_sni(t):
    needs_private_net(t)
    records = dns_scan(t, "a.test")
    want = ["127.0.0.1"] + (["::1"] if "tls_v6" in t.lab.ports else [])
    equal("addresses", sorted(r["ip"] for r in records), sorted(want))
    for r in records:
        equal(f"{r['ip']} status", r["status"], "certificate_found")
        equal(f"{r['ip']} sni", r["sni"], "a.test")
        equal(f"{r['ip']} subject_cn", leaf(r)["subject_cn"], "a.test")


@check
def hostname_without_aaaa_gets_only_ipv4(t):
    needs_private_net(t)
    r = only(dns_scan(t, "b.test"), "b.test")
    equal("ip", r["ip"], "127.0.0.1")
    equal("sni", r["sni"], "b.test")
    equal("subject_cn", leaf(r)["subject_cn"], "b.test")


@check
def unknown_hostname_is_dns_failed(t):
    needs_private_net(t)
    r = only(dns_scan(t, "nosuch.test"), "nosuch.test")
    equal("status", r["status"], "dns_failed")
    equal("reason", r["reason"], "not_found")
    equal("ip", r["ip"], None)
    equal("chain", r["chain"], [])


@check
def csv_format(t):
    p = t.lab.ports
    out = certsweep("scan", "--format", "csv",
                    f"127.0.0.1:{p['tls13_rsa']},{p['closed']}")
    equal("exit status", out.returncode, 0)
    lines = out.stdout.splitlines()
    expect(lines, "no output")
    equal("header", lines[0], CSV_HEADER)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    equal("rows", len(rows), 2)
    expect(all(None not in row and None not in row.values() for row in rows),
           "a row has a different number of fields than the header")
    by_port = {int(row["port"]): row for row in rows}
    tls = by_port[p["tls13_rsa"]]
    equal("status", tls["status"], "certificate_found")
    equal("subject_cn", tls["subject_cn"], "rsa.test")
    equal("chain_length", tls["chain_length"], "2")
    equal("key_bits", tls["key_bits"], "2048")
    equal("sans", tls["sans"], "DNS:rsa.test IP:127.0.0.1")
    equal("sha256", tls["sha256"].lower(),
          hashlib.sha256(t.lab.der("rsa")).hexdigest())
    refused = by_port[p["closed"]]
    equal("status", refused["status"], "connection_refused")
    equal("empty fields", [refused[f] for f in ("sni", "tls_version",
                                                "subject_cn", "sha256")],
          ["", "", "", ""])


@check
def table_format(t):
    p = t.lab.ports
    out = certsweep("scan", "--format", "table",
                    f"127.0.0.1:{p['tls13_rsa']},{p['closed']}")
    equal("exit status", out.returncode, 0)
    header = re.compile(r"ENDPOINT\s+STATUS\s+REASON\s+TLS\s+NOT_AFTER\s+"
                        r"SUBJECT_CN")
    expect(header.search(out.stdout), f"no column header in {out.stdout!r}")
    for word in ("certificate_found", "chain_received", "connection_refused",
                 "rsa.test", "TLSv1.3", f"127.0.0.1:{p['closed']}"):
        expect(word in out.stdout, f"{word!r} not in the table")


@check
def table_rows_come_in_address_order(t):
    """Endpoints finish in any order (a silent one last); the table lists
    them by address, then port."""
    p = t.lab.ports
    ports = sorted(p[n] for n in ("silent", "tls13_rsa", "closed", "http", "tls12_ecdsa"))
    out = certsweep("scan", "--format", "table", "--connect-timeout", "1000",
                    "--download-timeout", "1000",
                    "127.0.0.2:" + str(p["closed"]),
                    "127.0.0.1:" + ",".join(str(x) for x in reversed(ports)))
    equal("exit status", out.returncode, 0)
    rows = [line.split()[0] for line in out.stdout.splitlines()
            if re.match(r"127\.0\.0\.[12]:\d+ ", line)]
    want = [f"127.0.0.1:{x}" for x in ports] + [f"127.0.0.2:{p['closed']}"]
    equal("rows", rows, want)


@check
def output_file(t):
    path = os.path.join(t.lab.dir, "out.jsonl")
    out = certsweep("scan", "--format", "jsonl", "-o", path,
                    f"127.0.0.1:{t.lab.ports['tls13_rsa']}")
    equal("exit status", out.returncode, 0)
    expect(os.path.exists(path), f"{path} was not written")
    with open(path) as f:
        r = only(parse_jsonl(f.read()), "the -o file")
    equal("status", r["status"], "certificate_found")
    expect('"status"' not in out.stdout, "records also went to stdout")


@check
def output_to_a_fifo_or_a_symlink_is_written_in_place(t):
    """-o /dev/null, a FIFO or a symlink must stay what it is: the report is
    not renamed over it (as it is over a regular file)."""
    target = f"127.0.0.1:{t.lab.ports['tls13_rsa']}"
    fifo = os.path.join(t.lab.dir, "out.fifo")
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()), daemon=True)
    reader.start()
    out = certsweep("scan", "--format", "jsonl", "-o", fifo, target)
    reader.join(10)
    equal("exit status (FIFO)", out.returncode, 0)
    expect(stat.S_ISFIFO(os.lstat(fifo).st_mode), f"{fifo} is no longer a FIFO")
    equal("status read from the FIFO",
          only(parse_jsonl(got[0] if got else ""), "the FIFO")["status"], "certificate_found")
    real, link = os.path.join(t.lab.dir, "real.jsonl"), os.path.join(t.lab.dir, "link.jsonl")
    open(real, "w").close()
    os.symlink(real, link)
    out = certsweep("scan", "--format", "jsonl", "-o", link, target)
    equal("exit status (symlink)", out.returncode, 0)
    expect(os.path.islink(link), f"{link} is no longer a symlink")
    with open(real) as f:
        equal("status in the link's target", only(parse_jsonl(f.read()), "the target")["status"],
              "certificate_found")


@check
def targets_file_with_comments(t):
    p = t.lab.ports
    path = os.path.join(t.lab.dir, "targets.txt")
    with open(path, "w") as f:
        f.write("# lab endpoints\n"
                f"127.0.0.1:{p['tls13_rsa']}\n"
                "\n"
                "   # indented comment\n"
                f"127.0.0.1:{p['closed']}\n")
    records = scan("@" + path)
    equal("ports", sorted(r["port"] for r in records),
          sorted([p["tls13_rsa"], p["closed"]]))


@check
def ports_option(t):
    p = t.lab.ports
    records = scan("-p", f"{p['tls13_rsa']},{p['closed']}", "127.0.0.1")
    got = {r["port"]: r["status"] for r in records}
    equal("statuses", got, {p["tls13_rsa"]: "certificate_found",
                            p["closed"]: "connection_refused"})


@check
def range_gives_one_record_per_address(t):
    port = t.lab.ports["tls13_rsa"]
    records = scan(f"127.0.0.1-127.0.0.3:{port}")
    got = {r["ip"]: r["status"] for r in records}
    equal("records", len(records), 3)
    # The lab listens on 127.0.0.1 only: the others refuse.
    equal("statuses", got, {"127.0.0.1": "certificate_found",
                            "127.0.0.2": "connection_refused",
                            "127.0.0.3": "connection_refused"})


@check
def exclude_removes_an_address(t):
    port = t.lab.ports["tls13_rsa"]
    records = scan("--exclude", "127.0.0.2", f"127.0.0.1-127.0.0.3:{port}")
    equal("addresses", sorted(r["ip"] for r in records),
          ["127.0.0.1", "127.0.0.3"])


@check
def open_reports_only_connected(t):
    p = t.lab.ports
    records = scan("--open", f"127.0.0.1:{p['tls13_rsa']},{p['closed']}")
    equal("ports", [r["port"] for r in records], [p["tls13_rsa"]])


# Usage errors: (name, arguments, token the message must name, needs a
# private network to be safe if certsweep wrongly went ahead).
USAGE_ERRORS = [
    ("bad_address", ["300.1.1.1"], "300.1.1.1", True),
    ("bad_prefix", ["10.0.0.0/33"], "10.0.0.0/33", True),
    ("bad_prefix_loopback", ["127.0.0.0/33"], "127.0.0.0/33", False),
    ("port_0", ["-p", "0", "127.0.0.1"], "0", False),
    ("port_70000", ["-p", "70000", "127.0.0.1"], "70000", False),
    ("reversed_range", ["1.2.3.4-1.2.3.1"], "1.2.3.4-1.2.3.1", True),
    ("reversed_range_loopback", ["127.0.0.4-127.0.0.1"],
     "127.0.0.4-127.0.0.1", False),
    ("missing_file", ["@/nonexistent"], "/nonexistent", False),
    ("bad_format", ["--format", "xml", "127.0.0.1"], "xml", False),
    ("bad_timeout", ["--connect-timeout", "abc", "127.0.0.1"], "abc", False),
    ("too_large", ["0.0.0.0/7"], "0.0.0.0/7", True),
]


def names_token(message, token):
    return re.search(r"(?<![\w.])" + re.escape(token) + r"(?![\w.])", message)


def usage_error(t, args, tokens):
    """certsweep scan ARGS SENTRY must exit 2 with one line on stderr that
    names every token, print nothing and connect to nothing."""
    sentry = Sentry()
    try:
        out = certsweep("scan", "--connect-timeout", "500",
                        "--dns-server", f"127.0.0.1:{t.lab.ports['dns']}",
                        *args, sentry.target, timeout=10)
        connections = sentry.connections()
    finally:
        sentry.sock.close()
    lines = out.stderr.strip().splitlines()
    equal("exit status", out.returncode, 2)
    equal("stdout", out.stdout, "")
    expect(len(lines) == 1, f"{len(lines)} lines on stderr: {out.stderr!r}")
    for token in tokens:
        expect(names_token(lines[0], token),
               f"message does not name {token!r}: {lines[0]!r}")
    equal("connections to a valid target", connections, 0)


def usage_check(args, token, unsafe):
    def fn(t):
        if unsafe:
            needs_private_net(t)
        usage_error(t, args, [token])
    return fn


for _name, _args, _token, _unsafe in USAGE_ERRORS:
    check(usage_check(_args, _token, _unsafe), f"usage_{_name}")


@check
def usage_bad_line_in_targets_file(t):
    path = os.path.join(t.lab.dir, "targets.txt")
    with open(path, "w") as f:
        f.write(f"127.0.0.1:{t.lab.ports['tls13_rsa']}\n"
                "# a comment\n"
                "127.0.0.0/33\n")
    usage_error(t, ["@" + path], ["targets.txt:3", "127.0.0.0/33"])


@check
def large_range_allowed_with_flag_is_not_a_usage_error(t):
    # The same /7 with --allow-large is accepted.  Scanning it is out of the
    # question, so the run is stopped at once: all that is checked is that
    # certsweep did not reject it as a usage error within that time.
    needs_private_net(t)
    p = start_certsweep(["scan", "--allow-large", "--format", "jsonl",
                         "--connect-timeout", "100", "0.0.0.0/7"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        rc = p.wait(0.5)
        stderr = p.stderr.read()
    except subprocess.TimeoutExpired:
        rc = None
        stderr = ""
    finally:
        kill_group(p)
        p.wait()
        p.stderr.close()
    expect(rc != 2, f"exit 2 with --allow-large: {stderr.strip()!r}")


# ---------------------------------------------------------------------------

def main():
    private_net = enter_private_network()
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    t = Context()
    t.private_net = private_net
    t.lab = harness.Lab("certsweep-e2e-")
    return harness.run_checks(t, before=whole_scan, show_time=VERBOSE)


if __name__ == "__main__":
    sys.exit(main())
