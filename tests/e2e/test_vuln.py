#!/usr/bin/python3
"""End-to-end test of `certsweep vuln` against the vulnerability lab
(tests/lab/vulnlab.py).

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_vuln.py [-v]

Starts genvulncerts.sh and vulnlab.py (certificates in a temporary
directory), runs the certsweep binary named by $CERTSWEEP against the lab
and checks what a user sees, against docs/vulnerabilities.md: for every
check its positive case (the lab endpoint that has the weakness reports it,
with its severity) and its negative cases (the clean endpoint, and the
endpoints built to differ in that one point, report nothing of it), the
protocols and suites listed, the output formats, --checks, and the usage
errors.  Prints one line per check (`ok NAME`, `FAIL NAME: why`,
`skip NAME: why`) and ends with `N passed, M failed`; exits 1 if any check
failed.

Most checks read one run over every lab endpoint at once (with --sni
vuln.test and the lab CA as --ca-file, so that the clean endpoint has
nothing to report); a few small runs try the options.

All traffic stays on loopback, in a private network namespace when one can
be made (see harness.py), as for test_scan.py.
"""

import csv
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import harness
from harness import CERTSWEEP, VERBOSE, Context, Fail, check, equal, expect

CONNECT_MS = 2000
READ_MS = 3000
PER_HOST = 40          # every lab endpoint is on 127.0.0.1
RUN_TIMEOUT = 120      # seconds; a run longer than that is a failure

# The severity of each finding id (docs/vulnerabilities.md); a set where the
# detail decides.
SEVERITY = {
    "sslv2": "critical",
    "sslv3": "high",
    "tls1_0": "low",
    "tls1_1": "low",
    "weak_cipher": {"medium", "high", "critical"},
    "heartbleed": "critical",
    "poodle": "high",
    "no_fallback_scsv": "low",
    "insecure_renegotiation": "medium",
    "compression": "medium",
    "expired": "high",
    "not_yet_valid": "medium",
    "expiring": "medium",
    "weak_signature": {"medium", "high"},
    "weak_key": "high",
    "self_signed": "medium",
    "untrusted_chain": "high",
    "incomplete_chain": "medium",
    "hostname_mismatch": "high",
    "inconclusive": "info",
}
CVE = {
    "sslv2": "CVE-2016-0800",
    "heartbleed": "CVE-2014-0160",
    "poodle": "CVE-2014-3566",
    "insecure_renegotiation": "CVE-2009-3555",
    "compression": "CVE-2012-4929",
}
CHECK_NAMES = ("protocols", "ciphers", "heartbleed", "fallback",
               "renegotiation", "compression", "certificate")

# Findings that say an endpoint is vulnerable: a server that merely
# misbehaves (liar, closer) must not be given any of them.
CLAIMS = {"sslv2", "sslv3", "tls1_0", "tls1_1", "weak_cipher", "heartbleed",
          "poodle", "no_fallback_scsv", "insecure_renegotiation",
          "compression"}

RECORD_FIELDS = ("ip", "port", "sni", "status", "reason", "tls_versions",
                 "preferred_ciphers", "accepted_ciphers", "forward_secrecy",
                 "ocsp_stapling", "cert_sha256", "findings", "elapsed_ms")
FINDING_FIELDS = ("id", "severity", "title", "detail", "cve")

TLS13_SUITES = {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_AES_128_GCM_SHA256"}
CLEAN_TLS12_SUITES = {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}
RSA_AES128_GCM = "TLS_RSA_WITH_AES_128_GCM_SHA256"
RSA_AES128_CBC = "TLS_RSA_WITH_AES_128_CBC_SHA"
RSA_3DES = "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
RSA_RC4 = "TLS_RSA_WITH_RC4_128_SHA"

# The certificate each OpenSSL endpoint serves (the fakes serve vuln).
CERT_OF = {"clean": "vuln", "tls10_11": "vuln", "selfsigned": "selfsigned",
           "sha1": "sha1", "rsa1024": "rsa1024", "expired": "expired",
           "incomplete": "incomplete", "wronghost": "other"}


# ---------------------------------------------------------------------------
# Running certsweep

def certsweep(*args, timeout=RUN_TIMEOUT):
    if VERBOSE:
        print("  $ certsweep " + " ".join(args))
    p = harness.start_in_group([CERTSWEEP, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    return harness.finish(p, args, timeout)


def vuln(t, *args, ca=True):
    """A jsonl run of certsweep vuln that must exit 0; its records by lab
    endpoint name (each a list)."""
    extra = ["--ca-file", os.path.join(t.lab.certs, "ca.pem")] if ca else []
    p = certsweep("vuln", "--format", "jsonl", "-q",
                  "--connect-timeout", str(CONNECT_MS),
                  "--read-timeout", str(READ_MS),
                  "--per-host", str(PER_HOST), *extra, *args)
    if p.returncode != 0:
        raise Fail(f"exit {p.returncode}: {p.stderr.strip()[:300]}")
    return by_name(t, parse_jsonl(p.stdout))


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


def by_name(t, records):
    out = {}
    for r in records:
        out.setdefault(t.lab.names.get(r.get("port"), f"port {r.get('port')}"),
                       []).append(r)
    return out


def target(t, *names):
    return "127.0.0.1:" + ",".join(str(t.lab.ports[n]) for n in names)


def one(records, name):
    rs = records.get(name, [])
    if len(rs) != 1:
        raise Fail(f"{len(rs)} records for {name}, want 1")
    return rs[0]


def short(r):
    return {k: r.get(k) for k in ("port", "status", "reason", "tls_versions")}


def ids(r):
    return sorted(f.get("id") for f in r.get("findings") or [])


def findings_of(r, fid):
    return [f for f in r.get("findings") or [] if f.get("id") == fid]


def has(r, fid, severity=None, detail=()):
    """The finding fid of r (there must be one), with that severity and
    every string of detail in its detail."""
    fs = findings_of(r, fid)
    expect(fs, f"no {fid} finding; findings {ids(r)} of {short(r)}")
    expect(len(fs) == 1, f"{len(fs)} {fid} findings: {fs}")
    f = fs[0]
    if severity:
        equal(f"{fid} severity", f.get("severity"), severity)
    for text in detail:
        expect(text in (f.get("detail") or ""),
               f"{fid} detail {f.get('detail')!r} does not name {text}")
    return f


def lacks(r, *fids):
    found = [f for f in r.get("findings") or [] if f.get("id") in fids]
    expect(not found, f"unexpected findings: {found}")


def exactly(r, *fids):
    equal("findings", ids(r), sorted(fids))


def inconclusive(r, check_name=None):
    """The inconclusive findings of r (of check_name if given)."""
    return [f for f in findings_of(r, "inconclusive")
            if check_name is None or
            (f.get("detail") or "").startswith(check_name)]


# ---------------------------------------------------------------------------
# The whole lab in one run

def whole_run(t):
    """Scan every lab endpoint at once; most checks read this result."""
    t.records = {}
    t.whole = None
    t.whole_error = None
    start = time.monotonic()
    try:
        p = certsweep("vuln", "--format", "jsonl", "-q", "--sni", "vuln.test",
                      "--ca-file", os.path.join(t.lab.certs, "ca.pem"),
                      "--connect-timeout", str(CONNECT_MS),
                      "--read-timeout", str(READ_MS),
                      "--per-host", str(PER_HOST),
                      target(t, *t.lab.ports))
        t.whole = p
        t.records = by_name(t, parse_jsonl(p.stdout))
    except Fail as e:
        t.whole_error = str(e)
    t.whole_seconds = time.monotonic() - start


def rec(t, name):
    if t.whole_error:
        raise Fail(t.whole_error)
    return one(t.records, name)


@check
def whole_run_exits_0(t):
    expect(t.whole_error is None, t.whole_error)
    equal("exit status", t.whole.returncode, 0)
    if VERBOSE:
        print(f"  whole run: {t.whole_seconds:.1f} s")


@check
def whole_run_one_record_per_endpoint(t):
    if t.whole_error:
        raise Fail(t.whole_error)
    got = sorted(n for n, rs in t.records.items() for _ in rs)
    equal("endpoints reported", got, sorted(t.lab.ports))


@check
def whole_run_is_quick(t):
    # Nothing in the lab makes a probe wait for its deadline.
    if t.whole_error:
        raise Fail(t.whole_error)
    expect(t.whole_seconds < 20, f"the run took {t.whole_seconds:.1f} s")


@check
def records_have_all_fields(t):
    if t.whole_error:
        raise Fail(t.whole_error)
    for name, rs in t.records.items():
        for r in rs:
            missing = [f for f in RECORD_FIELDS if f not in r]
            expect(not missing, f"{name}: no {missing}")
            equal(f"{name} ip", r["ip"], "127.0.0.1")
            equal(f"{name} sni", r["sni"], "vuln.test")
            expect(isinstance(r["elapsed_ms"], int) and r["elapsed_ms"] >= 0,
                   f"{name}: elapsed_ms {r['elapsed_ms']!r}")
            expect(isinstance(r["tls_versions"], list), f"{name}: tls_versions")
            equal(f"{name} protocols with suites",
                  sorted(r["accepted_ciphers"]), sorted(r["tls_versions"]))
            for v, suite in r["preferred_ciphers"].items():
                expect(r["accepted_ciphers"].get(v, [None])[0] == suite,
                       f"{name}: preferred {v} suite {suite} is not the first "
                       f"accepted: {r['accepted_ciphers'].get(v)}")
            for f in r["findings"]:
                missing = [k for k in FINDING_FIELDS if k not in f]
                expect(not missing, f"{name}: finding without {missing}: {f}")


@check
def findings_have_documented_severity_and_cve(t):
    if t.whole_error:
        raise Fail(t.whole_error)
    for name, rs in t.records.items():
        for f in rs[0]["findings"]:
            fid = f["id"]
            expect(fid in SEVERITY, f"{name}: unknown finding id {fid!r}")
            want = SEVERITY[fid]
            expect(f["severity"] in want if isinstance(want, set)
                   else f["severity"] == want,
                   f"{name}: {fid} severity {f['severity']!r}, want {want}")
            equal(f"{name} {fid} cve", f["cve"], CVE.get(fid))
            expect(f["title"], f"{name}: {fid} without a title")
            if fid == "inconclusive":
                expect(re.match(r"(%s)\b" % "|".join(CHECK_NAMES),
                                f["detail"] or ""),
                       f"{name}: inconclusive detail {f['detail']!r} does "
                       "not start with the check's name")


# -- the clean endpoint: nothing at all ---------------------------------------

@check
def clean_has_no_findings(t):
    r = rec(t, "clean")
    equal("findings", r["findings"], [])
    equal("status", (r["status"], r["reason"]),
          ("certificate_found", "chain_received"))


@check
def clean_protocols_and_suites(t):
    r = rec(t, "clean")
    equal("tls_versions", r["tls_versions"], ["TLSv1.2", "TLSv1.3"])
    equal("forward_secrecy", r["forward_secrecy"], True)
    equal("TLSv1.3 suites", set(r["accepted_ciphers"]["TLSv1.3"]), TLS13_SUITES)
    equal("TLSv1.2 suites", set(r["accepted_ciphers"]["TLSv1.2"]),
          CLEAN_TLS12_SUITES)
    # The lab's OpenSSL prefers its own order: AES-256-GCM first.
    equal("preferred", r["preferred_ciphers"],
          {"TLSv1.2": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
           "TLSv1.3": "TLS_AES_256_GCM_SHA384"})
    equal("cert_sha256", r["cert_sha256"], t.lab.cert_sha256("vuln"))
    equal("ocsp_stapling", r["ocsp_stapling"], False)


@check
def stapled_response_is_noted(t):
    r = rec(t, "stapled")
    equal("ocsp_stapling", r["ocsp_stapling"], True)
    equal("findings", r["findings"], [])


# -- protocols ------------------------------------------------------------------

@check
def tls10_11_old_protocols(t):
    r = rec(t, "tls10_11")
    equal("tls_versions", r["tls_versions"], ["TLSv1.0", "TLSv1.1"])
    has(r, "tls1_0", "low")
    has(r, "tls1_1", "low")
    exactly(r, "tls1_0", "tls1_1")      # OpenSSL refuses the fallback
    equal("forward_secrecy", r["forward_secrecy"], True)


@check
def sslv3_cbc_sslv3_and_poodle(t):
    r = rec(t, "sslv3_cbc")
    equal("tls_versions", r["tls_versions"], ["SSLv3"])
    has(r, "sslv3", "high")
    has(r, "poodle", "high")
    equal("SSLv3 suites", r["accepted_ciphers"]["SSLv3"],
          [RSA_AES128_CBC, RSA_3DES])
    lacks(r, "sslv2", "tls1_0", "tls1_1", "heartbleed")
    # What OpenSSL 3 (the discovery pass) sees: no TLS at all.
    equal("status", (r["status"], r["reason"]),
          ("bad_ssl_handshake", "alert:protocol_version"))
    equal("cert_sha256", r["cert_sha256"], None)


@check
def sslv2_server(t):
    r = rec(t, "sslv2")
    equal("tls_versions", r["tls_versions"], ["SSLv2"])
    has(r, "sslv2", "critical")
    equal("SSLv2 kinds", sorted(r["accepted_ciphers"]["SSLv2"]),
          ["SSL_CK_DES_192_EDE3_CBC_WITH_MD5", "SSL_CK_RC4_128_WITH_MD5"])
    lacks(r, "sslv3", "poodle", "tls1_0", "tls1_1")
    equal("status", (r["status"], r["reason"]),
          ("bad_ssl_handshake", "alert:handshake_failure"))


@check
def modern_servers_have_no_protocol_findings(t):
    for name in ("clean", "selfsigned", "sha1", "rsa1024", "expired",
                 "incomplete", "wronghost"):
        r = rec(t, name)
        equal(f"{name} tls_versions", r["tls_versions"], ["TLSv1.2", "TLSv1.3"])
        lacks(r, "sslv2", "sslv3", "tls1_0", "tls1_1", "poodle")


# -- ciphers --------------------------------------------------------------------

@check
def des3_weak_cipher_medium(t):
    r = rec(t, "des3")
    has(r, "weak_cipher", "medium", [RSA_3DES])
    # The fake's own preference order, 3DES last.
    equal("TLSv1.2 suites", r["accepted_ciphers"].get("TLSv1.2"),
          [RSA_AES128_GCM, RSA_AES128_CBC, RSA_3DES])
    equal("tls_versions", r["tls_versions"], ["TLSv1.2"])
    equal("forward_secrecy", r["forward_secrecy"], False)
    exactly(r, "weak_cipher")


@check
def rc4_weak_cipher(t):
    r = rec(t, "rc4")
    f = has(r, "weak_cipher", "high", [RSA_RC4])
    expect(RSA_AES128_GCM not in f["detail"],
           f"weak_cipher detail names a strong suite: {f['detail']!r}")
    equal("tls_versions", r["tls_versions"], ["TLSv1.0", "TLSv1.1", "TLSv1.2"])
    equal("TLSv1.2 suites", r["accepted_ciphers"]["TLSv1.2"],
          [RSA_RC4, RSA_AES128_GCM])
    equal("TLSv1.0 suites", r["accepted_ciphers"]["TLSv1.0"], [RSA_RC4])
    equal("preferred TLSv1.2", r["preferred_ciphers"]["TLSv1.2"], RSA_RC4)
    # It refuses a fallback like a good server, and has nothing else.
    exactly(r, "weak_cipher", "tls1_0", "tls1_1")


@check
def aead_servers_have_no_weak_cipher(t):
    for name in ("clean", "tls10_11", "heartbleed", "no_reneg", "deflate"):
        lacks(rec(t, name), "weak_cipher")


# -- heartbleed -------------------------------------------------------------------

@check
def heartbleed_found(t):
    r = rec(t, "heartbleed")
    has(r, "heartbleed", "critical")
    equal("inconclusive", inconclusive(r), [])
    exactly(r, "heartbleed")


@check
def heartbeat_patched_is_not_heartbleed(t):
    r = rec(t, "heartbeat_patched")
    lacks(r, "heartbleed", "inconclusive")
    exactly(r)


@check
def heartbeat_garbage_is_inconclusive(t):
    r = rec(t, "heartbeat_garbage")
    lacks(r, "heartbleed")
    expect(inconclusive(r, "heartbleed"),
           f"no inconclusive finding starting 'heartbleed': {r['findings']}")
    exactly(r, "inconclusive")


# -- fallback, renegotiation, compression --------------------------------------

@check
def no_scsv_found(t):
    r = rec(t, "no_scsv")
    has(r, "no_fallback_scsv", "low")
    equal("tls_versions", r["tls_versions"], ["TLSv1.0", "TLSv1.1", "TLSv1.2"])
    exactly(r, "no_fallback_scsv", "tls1_0", "tls1_1")


@check
def servers_refusing_fallback_have_no_finding(t):
    # tls10_11 is OpenSSL with two protocols, rc4 a fake with three.
    for name in ("clean", "tls10_11", "rc4"):
        lacks(rec(t, name), "no_fallback_scsv")


@check
def no_reneg_insecure_renegotiation(t):
    r = rec(t, "no_reneg")
    has(r, "insecure_renegotiation", "medium")
    exactly(r, "insecure_renegotiation")


@check
def renegotiation_info_servers_are_secure(t):
    for name in ("clean", "tls10_11", "deflate", "heartbleed", "rc4"):
        lacks(rec(t, name), "insecure_renegotiation")


@check
def deflate_compression(t):
    r = rec(t, "deflate")
    has(r, "compression", "medium")
    exactly(r, "compression")


@check
def others_do_not_compress(t):
    for name in ("clean", "tls10_11", "no_reneg", "heartbleed"):
        lacks(rec(t, name), "compression")


# -- servers that misbehave --------------------------------------------------------

@check
def liar_is_inconclusive_not_vulnerable(t):
    r = rec(t, "liar")
    found = [f for f in r["findings"] if f["id"] in CLAIMS]
    expect(not found, f"claims about a server that lies: {found}")
    # docs/vulnerabilities.md: a server choosing a suite it was not
    # offered gives an inconclusive finding.
    expect(inconclusive(r), f"no inconclusive finding: {r['findings']}")


@check
def closer_is_not_vulnerable(t):
    r = rec(t, "closer")
    found = [f for f in r["findings"] if f["id"] in CLAIMS]
    expect(not found, f"claims about a server that says nothing: {found}")
    expect(inconclusive(r) or r["status"] == "bad_ssl_handshake",
           f"status {r['status']} and no inconclusive finding")
    equal("tls_versions", r["tls_versions"], [])
    equal("cert_sha256", r["cert_sha256"], None)


# -- certificates -----------------------------------------------------------------

@check
def certificates_are_the_served_leaves(t):
    for name, cert in CERT_OF.items():
        equal(f"{name} cert_sha256", rec(t, name)["cert_sha256"],
              t.lab.cert_sha256(cert))
    # The fakes serve the vuln.test chain, and have no certificate finding.
    for name in ("des3", "rc4", "heartbleed", "no_reneg", "deflate"):
        r = rec(t, name)
        equal(f"{name} cert_sha256", r["cert_sha256"], t.lab.cert_sha256("vuln"))
        lacks(r, "expired", "expiring", "weak_signature", "weak_key",
              "self_signed", "untrusted_chain", "incomplete_chain",
              "hostname_mismatch")


@check
def selfsigned_found(t):
    r = rec(t, "selfsigned")
    has(r, "self_signed", "medium", ["selfsigned.test"])
    # selfsigned.test is not vuln.test either; self_signed says why the
    # chain is not trusted, untrusted_chain does not say it again.
    exactly(r, "self_signed", "hostname_mismatch")


@check
def sha1_weak_signature(t):
    r = rec(t, "sha1")
    has(r, "weak_signature", "medium")
    exactly(r, "weak_signature", "hostname_mismatch")


@check
def rsa1024_weak_key(t):
    r = rec(t, "rsa1024")
    has(r, "weak_key", "high", ["1024"])
    exactly(r, "weak_key")


@check
def expired_found(t):
    r = rec(t, "expired")
    has(r, "expired", "high")
    # Its chain is trusted: expired alone says what is wrong.
    exactly(r, "expired", "hostname_mismatch")


@check
def incomplete_chain_found(t):
    r = rec(t, "incomplete")
    has(r, "incomplete_chain", "medium")
    exactly(r, "incomplete_chain")


@check
def wronghost_hostname_mismatch(t):
    r = rec(t, "wronghost")
    has(r, "hostname_mismatch", "high", ["vuln.test", "other.test"])
    exactly(r, "hostname_mismatch")


@check
def no_hostname_check_without_sni(t):
    rs = vuln(t, "--checks", "certificate", target(t, "wronghost", "clean"))
    for name in ("wronghost", "clean"):
        r = one(rs, name)
        equal(f"{name} sni", r["sni"], None)
        equal(f"{name} findings", r["findings"], [])


@check
def untrusted_without_ca_file(t):
    # The lab CA is in no system store.
    rs = vuln(t, "--checks", "certificate", "--sni", "vuln.test",
              target(t, "clean"), ca=False)
    r = one(rs, "clean")
    has(r, "untrusted_chain", "high")
    exactly(r, "untrusted_chain")


@check
def expiring_days(t):
    # The vuln.test leaf is valid for 825 days: within 1000, not within 30.
    rs = vuln(t, "--checks", "certificate", "--sni", "vuln.test",
              "--expiring-days", "1000", target(t, "clean"))
    r = one(rs, "clean")
    has(r, "expiring", "medium")
    exactly(r, "expiring")


# -- --checks, -p, formats ------------------------------------------------------------

@check
def checks_heartbleed_only(t):
    names = ("heartbleed", "rc4", "deflate", "no_reneg", "expired", "no_scsv")
    rs = vuln(t, "--checks", "heartbleed", "--sni", "vuln.test",
              "-p", ",".join(str(t.lab.ports[n]) for n in names), "127.0.0.1")
    equal("endpoints", sorted(rs), sorted(names))
    r = one(rs, "heartbleed")
    has(r, "heartbleed", "critical")
    exactly(r, "heartbleed")
    for name in names[1:]:
        equal(f"{name} findings", one(rs, name)["findings"], [])


@check
def checks_certificate_and_compression(t):
    names = ("heartbleed", "deflate", "expired", "rc4", "no_reneg")
    rs = vuln(t, "--checks", "certificate,compression", "--sni", "vuln.test",
              target(t, *names))
    exactly(one(rs, "deflate"), "compression")
    exactly(one(rs, "expired"), "expired", "hostname_mismatch")
    for name in ("heartbleed", "rc4", "no_reneg"):
        equal(f"{name} findings", one(rs, name)["findings"], [])


@check
def checks_protocols_and_ciphers(t):
    names = ("tls10_11", "des3", "sslv3_cbc", "heartbleed", "no_scsv")
    rs = vuln(t, "--checks", "protocols,ciphers", "--sni", "vuln.test",
              target(t, *names))
    exactly(one(rs, "tls10_11"), "tls1_0", "tls1_1")
    exactly(one(rs, "des3"), "weak_cipher")
    lacks(one(rs, "sslv3_cbc"), "heartbleed", "compression",
          "insecure_renegotiation", "no_fallback_scsv")
    has(one(rs, "sslv3_cbc"), "sslv3")
    exactly(one(rs, "heartbleed"))
    exactly(one(rs, "no_scsv"), "tls1_0", "tls1_1")


@check
def table_lists_findings(t):
    p = certsweep("vuln", "--format", "table", "-q",
                  "--ca-file", os.path.join(t.lab.certs, "ca.pem"),
                  "--per-host", str(PER_HOST), "--read-timeout", str(READ_MS),
                  target(t, "heartbleed", "clean"))
    equal("exit status", p.returncode, 0)
    lines = p.stdout.splitlines()
    expect(lines, "no output")
    head = lines[0].split()
    equal("header", head[:4], ["ENDPOINT", "SEVERITY", "FINDING", "DETAIL"])
    bleed = f"127.0.0.1:{t.lab.ports['heartbleed']}"
    clean = f"127.0.0.1:{t.lab.ports['clean']}"
    rows = [l.split() for l in lines[1:]]
    expect(any(r[:3] == [bleed, "critical", "heartbleed"] for r in rows),
           f"no heartbleed line for {bleed}:\n{p.stdout}")
    mine = [r for r in rows if r and r[0] == clean]
    expect(len(mine) == 1 and "ok" in mine[0],
           f"want one 'ok' line for {clean}:\n{p.stdout}")
    expect(not any(r and r[0] == bleed and "ok" in r[1:3] for r in rows),
           f"an 'ok' line for {bleed}:\n{p.stdout}")


@check
def csv_to_file(t):
    path = os.path.join(t.lab.dir, "vuln.csv")
    p = certsweep("vuln", "--format", "csv", "-q", "-o", path,
                  "--ca-file", os.path.join(t.lab.certs, "ca.pem"),
                  "--per-host", str(PER_HOST), "--read-timeout", str(READ_MS),
                  target(t, "heartbleed", "deflate"))
    equal("exit status", p.returncode, 0)
    equal("stdout", p.stdout, "")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    got = sorted((t.lab.names.get(int(r["port"])), r["finding"], r["severity"])
                 for r in rows)
    equal("rows", got, [("deflate", "compression", "medium"),
                        ("heartbleed", "heartbleed", "critical")])
    bleed = [r for r in rows if r["finding"] == "heartbleed"][0]
    equal("cve", bleed["cve"], "CVE-2014-0160")


@check
def rate_paces_the_probes_and_changes_no_finding(t):
    """--rate 5 spreads the connections of one endpoint (a discovery, six
    protocol probes, elimination rounds: about a dozen, 2 s at 5 a second)
    over seconds, and the endpoint reports what it reports unpaced."""
    names = ("tls10_11",)
    start = time.monotonic()
    fast = vuln(t, "--sni", "vuln.test", target(t, *names))
    fast_s = time.monotonic() - start
    start = time.monotonic()
    slow = vuln(t, "--rate", "5", "--sni", "vuln.test", target(t, *names))
    slow_s = time.monotonic() - start
    expect(slow_s >= 1.5 and slow_s > fast_s + 1.0,
           f"--rate 5 took {slow_s:.2f} s, unpaced {fast_s:.2f} s")
    equal("findings", ids(one(slow, "tls10_11")), ids(one(fast, "tls10_11")))


# -- usage errors ---------------------------------------------------------------------

class Sentry:
    """A listener that certsweep must never connect to: it is given as a
    valid target next to a bad argument, and a usage error sends nothing."""

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


USAGE_ERRORS = [
    ("bad_check", ["--checks", "bogus"], "bogus"),
    ("bad_check_in_list", ["--checks", "heartbleed,nope"], "nope"),
    ("bad_target", ["127.0.0.0/33"], "127.0.0.0/33"),
    ("bad_port", ["-p", "70000", "127.0.0.1"], "70000"),
    ("bad_format", ["--format", "xml"], "xml"),
    ("bad_read_timeout", ["--read-timeout", "abc"], "abc"),
    ("bad_per_host", ["--per-host", "0"], "0"),
    ("bad_rate", ["--rate", "fast"], "fast"),
]


def names_token(message, token):
    return re.search(r"(?<![\w.])" + re.escape(token) + r"(?![\w.])", message)


def usage_check(args, token):
    def fn(t):
        sentry = Sentry()
        try:
            p = certsweep("vuln", "--connect-timeout", "500", *args,
                          sentry.target, timeout=10)
            connections = sentry.connections()
        finally:
            sentry.sock.close()
        lines = p.stderr.strip().splitlines()
        equal("exit status", p.returncode, 2)
        equal("stdout", p.stdout, "")
        expect(lines, "nothing on stderr")
        expect(names_token(lines[0], token),
               f"message does not name {token!r}: {lines[0]!r}")
        equal("connections to a valid target", connections, 0)
    return fn


for _name, _args, _token in USAGE_ERRORS:
    check(usage_check(_args, _token), f"usage_{_name}")


# ---------------------------------------------------------------------------

def main():
    harness.enter_private_network(
        "nothing here needs more than loopback, so all checks run")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    t = Context()
    t.lab = harness.Lab("certsweep-vuln-e2e-", script="vulnlab.py")
    return harness.run_checks(t, before=whole_run, show_time=VERBOSE)


if __name__ == "__main__":
    sys.exit(main())
