#!/usr/bin/python3
"""End-to-end test of `certsweep vuln --revocation` against the revocation
lab (tests/lab/revlab.py): a CA whose leaves name an OCSP responder and a
CRL on loopback, and TLS endpoints serving a good, a revoked, an
unreachable-responder and a forged-answers certificate; and a real
`openssl ocsp -index ... -port` responder with a good and a revoked leaf
(only in the private network namespace: OpenSSL 3.0 binds it to the
wildcard address, so outside it the lab leaves it out and its checks skip).

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_revocation.py [-v]

Checks what a user sees (docs/vulnerabilities.md, "Revocation"): each
endpoint's revocation findings with their severities, that a forged OCSP
answer or a broken CRL gives `inconclusive` and never "revoked", that every
OCSP request and CRL download is made once however many endpoints share
it, and that without --revocation nothing reaches the responders or the
CRL server.  Prints `ok NAME` / `FAIL NAME: why` per check and `N passed, M
failed`; exits 1 if any check failed.  All traffic stays on loopback.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.dont_write_bytecode = True
import harness
from harness import CERTSWEEP, VERBOSE, Context, Fail, Skip, check, equal, expect

ENDPOINTS = ("rev_good", "rev_good_twice", "rev_revoked", "rev_ocsp_down",
             "rev_forged")
# Served only when the lab runs openssl ocsp (its manifest names
# openssl_ocsp): answered by that responder, no CRL DP.
OPENSSL_ENDPOINTS = ("rev_openssl_good", "rev_openssl_revoked")
REVOCATION_IDS = {"revoked_ocsp", "revoked_crl", "ocsp_unknown",
                  "ocsp_unreachable", "crl_unreachable"}
RUN_TIMEOUT = 120


def certsweep(*args, timeout=RUN_TIMEOUT):
    if VERBOSE:
        print("  $ certsweep " + " ".join(args))
    p = harness.start_in_group([CERTSWEEP, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    return harness.finish(p, args, timeout)


def stats(t):
    """The requests the responder and the CRL server got, by path."""
    url = f"http://127.0.0.1:{t.lab.ports['crl']}/stats"
    # No proxy: the lab is on loopback, whatever the environment says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as r:
        return json.load(r)


def openssl_requests(t):
    """The requests openssl ocsp got: what it logs to the lab's stderr,
    "ocsp: Received request, 1st line: POST ..." a request.  Counted
    anywhere in a line: its prefix, its message and the lab's own lines are
    separate writes, which may interleave (with -v).  The log is opened
    anew: seeking the harness's handle, whose offset the running lab
    shares, could make the lab write over what it wrote."""
    with open(os.path.join(t.lab.dir, "lab.log"), errors="replace") as f:
        return f.read().count("Received request, 1st line")


def endpoints(t):
    """The lab's endpoints: ENDPOINTS, and OPENSSL_ENDPOINTS if served."""
    return ENDPOINTS + (OPENSSL_ENDPOINTS if "openssl_ocsp" in t.lab.ports else ())


def vuln(t, *extra):
    """certsweep vuln on every lab endpoint (certificate checks only, the
    lab CA trusted, rev.test as the name); records by endpoint name."""
    target = "127.0.0.1:" + ",".join(str(t.lab.ports[n]) for n in endpoints(t))
    p = certsweep("vuln", "--format", "jsonl", "-q", "--checks", "certificate",
                  "--sni", "rev.test",
                  "--ca-file", os.path.join(t.lab.certs, "revca.pem"),
                  *extra, target)
    if p.returncode != 0:
        raise Fail(f"exit {p.returncode}: {p.stderr.strip()[:300]}")
    records = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        records.setdefault(t.lab.names.get(r["port"]), []).append(r)
    return records


def before(t):
    # The run without --revocation comes first, while the lab's servers
    # have seen nothing, then the run with it.
    t.error = None
    try:
        t.stats_initial = stats(t)
        t.openssl_initial = openssl_requests(t)
        t.plain = vuln(t)
        t.stats_plain = stats(t)
        t.openssl_plain = openssl_requests(t)
        t.records = vuln(t, "--revocation", "--revocation-timeout", "5000")
        t.stats_after = stats(t)
        t.openssl_after = openssl_requests(t)
    except Fail as e:
        t.error = str(e)


def rec(t, name):
    if t.error:
        raise Fail(t.error)
    rs = t.records.get(name, [])
    if len(rs) != 1:
        raise Fail(f"{len(rs)} records for {name}, want 1")
    return rs[0]


def ids(r):
    return sorted(f["id"] for f in r["findings"])


def finding(r, fid, severity):
    fs = [f for f in r["findings"] if f["id"] == fid]
    expect(len(fs) == 1, f"want one {fid} finding, have {ids(r)}")
    equal(f"{fid} severity", fs[0]["severity"], severity)
    return fs[0]


@check
def without_revocation_nothing_is_asked(t):
    if t.error:
        raise Fail(t.error)
    equal("requests before any run", sum(t.stats_initial.values()), 0)
    equal("requests after a run without --revocation",
          sum(t.stats_plain.values()), 0)
    equal("openssl ocsp requests before any run", t.openssl_initial, 0)
    equal("openssl ocsp requests after a run without --revocation",
          t.openssl_plain, 0)
    for name in endpoints(t):
        rs = t.plain.get(name, [])
        equal(f"{name} records", len(rs), 1)
        equal(f"{name} findings", rs[0]["findings"], [])


@check
def good_has_no_finding(t):
    equal("rev_good findings", rec(t, "rev_good")["findings"], [])
    equal("rev_good_twice findings", rec(t, "rev_good_twice")["findings"], [])


@check
def revoked_by_ocsp_and_crl(t):
    r = rec(t, "rev_revoked")
    equal("findings", ids(r), ["revoked_crl", "revoked_ocsp"])
    ocsp = finding(r, "revoked_ocsp", "critical")
    crl = finding(r, "revoked_crl", "critical")
    port_ocsp, port_crl = t.lab.ports["ocsp"], t.lab.ports["crl"]
    expect("keyCompromise" in ocsp["detail"], f"detail {ocsp['detail']!r}")
    expect(f"127.0.0.1:{port_ocsp}/ocsp" in ocsp["detail"],
           f"detail {ocsp['detail']!r} does not name the responder")
    expect(f"127.0.0.1:{port_crl}/ca.crl" in crl["detail"],
           f"detail {crl['detail']!r} does not name the CRL")
    equal("title", ocsp["title"], "The certificate is revoked (OCSP)")


def need_openssl(t):
    if t.error:
        raise Fail(t.error)
    if "openssl_ocsp" not in t.lab.ports:
        raise Skip("no openssl ocsp in the lab (it binds the wildcard "
                   "address, so only runs in the private network namespace)")


@check
def openssl_responder_good(t):
    need_openssl(t)
    equal("rev_openssl_good findings", rec(t, "rev_openssl_good")["findings"], [])


@check
def openssl_responder_revoked(t):
    need_openssl(t)
    r = rec(t, "rev_openssl_revoked")
    # No CRL DP: the verdict is the OCSP one alone.
    equal("findings", ids(r), ["revoked_ocsp"])
    f = finding(r, "revoked_ocsp", "critical")
    url = f"http://127.0.0.1:{t.lab.ports['openssl_ocsp']}/"
    expect(f["detail"].endswith(url),
           f"detail {f['detail']!r} does not name the responder {url}")
    expect("(superseded)" in f["detail"],
           f"detail {f['detail']!r} does not give the index's reason")
    expect(f["detail"].startswith("revoked on "),
           f"detail {f['detail']!r} does not give the revocation time")
    equal("title", f["title"], "The certificate is revoked (OCSP)")


@check
def unreachable_responder(t):
    r = rec(t, "rev_ocsp_down")
    equal("findings", ids(r), ["ocsp_unreachable"])
    finding(r, "ocsp_unreachable", "low")


@check
def forged_answers_are_inconclusive_never_revoked(t):
    r = rec(t, "rev_forged")
    equal("findings", ids(r), ["inconclusive"])
    f = finding(r, "inconclusive", "info")
    expect(f["detail"].startswith("revocation:"), f"detail {f['detail']!r}")
    expect("/forged" in f["detail"] and "garbage.crl" in f["detail"],
           f"detail {f['detail']!r} does not name both answers")


@check
def each_request_made_once(t):
    if t.error:
        raise Fail(t.error)
    # rev_good and rev_good_twice share a certificate (one OCSP request),
    # three leaves share /ca.crl (one download).
    got = {k: t.stats_after[k] - t.stats_plain[k] for k in t.stats_after}
    equal("requests", got, {"ocsp": 2, "forged": 1, "crl": 1, "garbage": 1})
    if "openssl_ocsp" in t.lab.ports:
        # One POST per rev_openssl_* leaf.
        equal("openssl ocsp requests", t.openssl_after - t.openssl_plain, 2)


@check
def revocation_findings_only_with_the_option(t):
    for name in endpoints(t):
        found = REVOCATION_IDS & set(ids(rec(t, name)))
        if name in ("rev_revoked", "rev_ocsp_down", "rev_openssl_revoked"):
            expect(found, f"{name}: no revocation finding")
    for name, rs in t.plain.items():
        expect(not REVOCATION_IDS & set(ids(rs[0])),
               f"{name}: a revocation finding without --revocation")


@check
def network_with_revocation_has_its_vulnscans_check_it(t):
    """A network marked --revocation has every vulnscan of it (a scheduled
    one included, which runs without options) ask the responders: the
    revoked leaf's finding is stored, and `findings` lists it."""
    with tempfile.TemporaryDirectory(prefix="certsweep-rev-db-") as tmp:
        stored_revocation_findings(t, os.path.join(tmp, "inv.db"))


def stored_revocation_findings(t, db):
    names = ("rev_good", "rev_revoked")
    ports = ",".join(str(t.lab.ports[n]) for n in names)

    def cs(*args):
        p = certsweep("--db", db, *args)
        if p.returncode != 0:
            raise Fail(f"certsweep {' '.join(args)}: exit {p.returncode}: {p.stderr[:300]}")
        return p.stdout

    cs("network", "add", "revnet", "--range", "127.0.0.1", "--ports", ports,
       "--sni", "rev.test", "--revocation")
    expect("revocation        yes" in cs("network", "show", "revnet"), "show lacks revocation")
    cs("discover", "revnet", "-q")
    cs("vulnscan", "revnet", "-q", "--checks", "certificate",
       "--ca-file", os.path.join(t.lab.certs, "revca.pem"))
    rows = [json.loads(l) for l in cs("findings", "--network", "revnet", "--format",
                                       "jsonl").splitlines() if l.strip()]
    got = sorted((t.lab.names.get(int(r["port"])), r["check"]) for r in rows
                 if r["check"] in REVOCATION_IDS)
    equal("revocation findings stored", got,
          [("rev_revoked", "revoked_crl"), ("rev_revoked", "revoked_ocsp")])


@check
def usage_bad_revocation_timeout(t):
    p = certsweep("vuln", "--revocation", "--revocation-timeout", "abc",
                  "127.0.0.1:1", timeout=10)
    equal("exit status", p.returncode, 2)
    expect("revocation-timeout" in p.stderr, f"stderr {p.stderr!r}")


def main():
    harness.enter_private_network(
        "nothing here needs more than loopback, so all checks run")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    # No proxy may carry certsweep's OCSP and CRL requests off loopback.
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(var, None)
    t = Context()
    t.lab = harness.Lab("certsweep-revocation-e2e-", script="revlab.py")
    return harness.run_checks(t, before=before, show_time=VERBOSE)


if __name__ == "__main__":
    sys.exit(main())
