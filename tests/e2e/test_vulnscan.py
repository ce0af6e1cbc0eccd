#!/usr/bin/python3
"""End-to-end test of stored vulnerability scans: `certsweep vulnscan
NETWORK` over a discovered network of the vulnerability lab
(tests/lab/vulnlab.py), `certsweep findings`, the report, and what the
findings tell the outside: one syslog message per new finding (a real
RFC 5424 receiver, tests/e2e/sinks.py) and one ServiceNow incident per
finding (the local fake of fakes_ticketing.py, which checks every request).

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_vulnscan.py [-v]

A finding's life is driven through what a user changes: trusting the lab
CA (--ca-file) or not makes untrusted_chain appear and go (fixed, its
incident resolved), and back (reopened, first seen kept); --checks limits
what a scan may mark fixed.  Prints one line per check and `N passed, M
failed`; exits 1 if any failed.  Runs in a network namespace of its own
when it may.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import fakes_ticketing
import harness
from harness import VERBOSE, Context, Fail, check, equal, expect

sinks = harness.import_sinks()

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
NET = "vulnnet"
MEMBERS = ("clean", "heartbleed", "rc4", "tls10_11")
SNI = "vuln.test"
SNOW_USER, SNOW_PASSWORD = "certsweep", "sn0w-pa55word-vuln"

T = Context()


def cs(*args, timeout=120):
    argv = [CERTSWEEP, "--db", T.db, "--config", T.config, *args]
    p = harness.start_in_group(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = harness.finish(p, args, timeout)
    if VERBOSE:
        print(f"  $ certsweep {' '.join(args)} -> {r.returncode}\n{r.stdout}{r.stderr}")
    expect(SNOW_PASSWORD not in r.stdout + r.stderr, "a secret was printed")
    return r


def ok(*args, **kw):
    r = cs(*args, **kw)
    if r.returncode != 0:
        raise Fail(f"certsweep {' '.join(args)}: exit {r.returncode}: "
                   f"{r.stderr.strip()[:400]}")
    return r


def vulnscan(*args, ca=True):
    """One vulnscan of the network; its report as JSON."""
    extra = ["--ca-file", os.path.join(T.lab.certs, "ca.pem")] if ca else []
    r = ok("vulnscan", NET, "--format", "json", "-q", *extra, *args)
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        raise Fail(f"vulnscan --format json is not JSON ({e}): {r.stdout[:200]}")


def findings(*args):
    r = ok("findings", "--format", "jsonl", *args)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def name_of(port):
    return T.lab.names.get(int(port), f"port {port}")


def keyed(rows):
    """(endpoint name, check) of report or listing rows."""
    return sorted((name_of(r["port"]), r["check"]) for r in rows)


def incidents():
    """The fake's incidents of vulnerabilities, by (endpoint name, check),
    oldest first."""
    out = {}
    for t in T.snow.tickets.values():
        key = t.get("correlation_id", "")
        if not key.startswith("vuln:"):
            continue
        # vuln:IP:PORT:SNI:CHECK (the ip is 127.0.0.1 here)
        _, ip, port, sni, check_id = key.split(":")
        out.setdefault((name_of(port), check_id), []).append(t)
    return out


def logs_since(n, want, timeout=10):
    got = T.syslog.wait_for(n + want, timeout)[n:]
    time.sleep(0.3)
    equal("syslog messages received", len(T.syslog.messages) - n, want)
    expect(not T.syslog.errors, f"malformed syslog: {T.syslog.errors[:2]}")
    return got


def no_bad_requests():
    expect(not T.snow.errors, f"malformed ServiceNow requests: {T.snow.errors[:2]}")
    expect(not T.snow.auth_failures, "ServiceNow refused the credentials")


# ---------------------------------------------------------------------------

def before(t):
    t.tmp = tempfile.mkdtemp(prefix="certsweep-vulnscan-")
    t.db = os.path.join(t.tmp, "inventory.db")
    t.snow = fakes_ticketing.ServiceNow(user=SNOW_USER, password=SNOW_PASSWORD)
    t.snow.start()
    t.syslog = sinks.SyslogListener("tcp")
    t.syslog.start()
    t.config = os.path.join(t.tmp, "certsweep.conf")
    fd = os.open(t.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"[certsweep]\nurl = https://certsweep.example/\n"
                f"[syslog]\ntarget = {t.syslog.target}\nfacility = local0\n"
                f"[ticketing.snow]\ntype = servicenow\nurl = {t.snow.url}\n"
                f"username = {SNOW_USER}\npassword = {SNOW_PASSWORD}\n"
                "caller_id = certsweep\ntimeout = 5\n"
                "urgency = 3\nimpact = 3\nurgency_critical = 1\nimpact_critical = 1\n"
                "urgency_error = 2\n"
                "[outbox]\nmax_attempts = 5\nretry_min = 1\nretry_max = 1\n")
    ports = ",".join(str(t.lab.ports[n]) for n in MEMBERS)
    ok("network", "add", NET, "--range", "127.0.0.1", "--ports", ports, "--sni", SNI,
       "--ticket", "snow", "--connect-timeout", "2000", "--download-timeout", "3000")
    ok("discover", NET)
    t.logs_before = len(t.syslog.messages)  # the discovery's summary


@check
def first_scan_reports_and_stores_what_each_endpoint_has(t):
    t.first = vulnscan()
    equal("kind", t.first["kind"], "vulnscan")
    equal("endpoints scanned", t.first["endpoints_scanned"], len(MEMBERS))
    got = keyed(t.first["new_findings"]["rows"])
    for want in [("heartbleed", "heartbleed"), ("rc4", "weak_cipher"),
                 ("tls10_11", "tls1_0"), ("tls10_11", "tls1_1")]:
        expect(want in got, f"{want} not among the new findings {got}")
    expect(not [g for g in got if g[0] == "clean"], f"clean has findings: {got}")
    equal("fixed", t.first["fixed_findings"]["total"], 0)
    listed = findings("--network", NET)
    equal("findings listed", keyed(listed), got)
    for f in listed:
        expect(f["first_seen"] and f["last_seen"] and not f.get("fixed_at"),
               f"dates of an open finding: {f}")
        equal("network", f["network"], NET)
        equal("sni", f["sni"], SNI)
    hb = [f for f in listed if f["check"] == "heartbleed"][0]
    equal("heartbleed severity", hb["severity"], "critical")
    equal("heartbleed cve", hb["cve"], "CVE-2014-0160")
    low = sum(1 for g in t.first["new_findings"]["rows"] if g["severity"] != "info")
    equal("subject", t.first["subject"],
          f"certsweep vulnscan of {NET}: {low} findings need attention")


@check
def every_new_finding_gets_one_syslog_message(t):
    got = logs_since(t.logs_before, len(t.first["new_findings"]["rows"]) + 1)
    found = [m for m in got if m.msgid == "vuln_found"]
    summaries = [m for m in got if m.msgid == "job_summary"]
    equal("job summaries", len(summaries), 1)
    equal("vulnscan summary kind", summaries[0].sd["job@32473"]["kind"], "vulnscan")
    seen = sorted((name_of(m.sd["vuln@32473"]["port"]), m.sd["vuln@32473"]["check"])
                  for m in found)
    equal("syslog findings", seen, keyed(t.first["new_findings"]["rows"]))
    hb = [m for m in found if m.sd["vuln@32473"]["check"] == "heartbleed"][0]
    equal("heartbleed severity (err)", hb.pri % 8, 3)
    equal("heartbleed cve", hb.sd["vuln@32473"]["cve"], "CVE-2014-0160")
    expect("new finding" in hb.msg and "Heartbleed" in hb.msg, f"message {hb.msg!r}")
    t.logs_before = len(t.syslog.messages)


@check
def every_finding_opens_one_incident_in_the_seed_format(t):
    found = incidents()
    equal("incidents", sorted(found), keyed(t.first["new_findings"]["rows"]))
    for (name, check_id), [inc] in found.items():
        equal(f"{name} {check_id} subject", inc["short_description"],
              f"Vulnerabilities for {SNI}")
        text = inc["description"]
        for line in (f"Domain: {SNI}", "Vulnerability: ", f"({check_id}",
                     "Signature algorithm: sha256WithRSAEncryption", "Expiry date: 20",
                     "Scan Time: 20",
                     "Scanned by: certsweep running at https://certsweep.example/"):
            expect(line in text, f"{name} {check_id}: {line!r} not in {text!r}")
        equal("state", inc["state"], "1")
    # Urgency and impact follow the finding's severity (critical: 1 and 1,
    # high: urgency_error 2, the rest the section's 3 and 3).
    severity = {(name_of(r["port"]), r["check"]): r["severity"]
                for r in t.first["new_findings"]["rows"]}
    want = {"critical": ("1", "1"), "high": ("2", "3")}
    for k, [inc] in found.items():
        equal(f"{k} urgency and impact ({severity[k]})", (inc["urgency"], inc["impact"]),
              want.get(severity[k], ("3", "3")))
    expect("critical" in severity.values(), f"no critical finding to map: {severity}")
    no_bad_requests()


@check
def second_scan_finds_nothing_new_and_keeps_first_seen(t):
    before = {(name_of(f["port"]), f["check"]): f for f in findings("--network", NET)}
    time.sleep(1.1)  # so that last_seen can move
    report = vulnscan()
    equal("new findings", report["new_findings"]["total"], 0)
    equal("fixed findings", report["fixed_findings"]["total"], 0)
    after = {(name_of(f["port"]), f["check"]): f for f in findings("--network", NET)}
    equal("same findings", sorted(after), sorted(before))
    for k, f in after.items():
        equal(f"{k} first_seen", f["first_seen"], before[k]["first_seen"])
        expect(f["last_seen"] > before[k]["last_seen"], f"{k} last_seen did not move")
    logs = logs_since(t.logs_before, 1)
    equal("only the summary", [m.msgid for m in logs], ["job_summary"])
    t.logs_before = len(t.syslog.messages)
    # Each incident is noted, not doubled.
    for k, incs in incidents().items():
        equal(f"{k} incidents", len(incs), 1)
        equal(f"{k} notes", len(incs[0]["work_notes"]), 1)
        expect("Still found by the vulnerability scan" in incs[0]["work_notes"][0],
               f"note {incs[0]['work_notes'][0]!r}")
    no_bad_requests()


@check
def distrusting_the_ca_opens_untrusted_chain_then_trusting_it_fixes_it(t):
    report = vulnscan(ca=False)
    got = keyed(report["new_findings"]["rows"])
    equal("new untrusted_chain", sorted(n for n, c in got if c == "untrusted_chain"),
          sorted(MEMBERS))
    t.untrusted_first = {name_of(f["port"]): f["first_seen"]
                         for f in findings("--network", NET) if f["check"] == "untrusted_chain"}

    report = vulnscan()
    fixed = keyed(report["fixed_findings"]["rows"])
    equal("fixed", fixed, sorted((n, "untrusted_chain") for n in MEMBERS))
    expect(all(f["check"] != "untrusted_chain" for f in findings("--network", NET)),
           "a fixed finding is listed as open")
    closed = [f for f in findings("--network", NET, "--all") if f["check"] == "untrusted_chain"]
    equal("fixed ones with --all", len(closed), len(MEMBERS))
    expect(all(f["fixed_at"] for f in closed), f"fixed_at missing: {closed}")
    for n in MEMBERS:
        [inc] = incidents()[(n, "untrusted_chain")]
        equal(f"{n} incident resolved", inc["state"], "6")
        expect("no longer finds" in inc["close_notes"], f"close notes {inc['close_notes']!r}")
    no_bad_requests()


@check
def a_scan_of_some_checks_fixes_nothing_it_did_not_look_for(t):
    before = keyed(findings("--network", NET))
    report = vulnscan("--checks", "certificate", ca=False)
    got = keyed(report["new_findings"]["rows"])
    equal("back", sorted(n for n, c in got if c == "untrusted_chain"), sorted(MEMBERS))
    equal("fixed", report["fixed_findings"]["total"], 0)
    now = keyed(findings("--network", NET))
    for k in before:
        expect(k in now, f"{k} was marked fixed by a scan that did not look for it")
    for f in findings("--network", NET):
        if f["check"] == "untrusted_chain":
            equal("first_seen of a finding back", f["first_seen"],
                  t.untrusted_first[name_of(f["port"])])
    # Back: a new incident, since the old one is resolved.
    for n in MEMBERS:
        incs = incidents()[(n, "untrusted_chain")]
        equal(f"{n} incidents", [i["state"] for i in incs], ["6", "1"])
    no_bad_requests()


@check
def severity_filter_and_formats_of_findings(t):
    high = findings("--network", NET, "--severity", "high")
    expect(high and all(f["severity"] in ("high", "critical") for f in high),
           f"--severity high listed {[f['severity'] for f in high]}")
    expect(len(high) < len(findings("--network", NET)), "nothing was filtered out")
    table = ok("findings", "--network", NET, "--format", "table").stdout
    expect(table.splitlines()[0].split()[:3] == ["severity", "check", "network"],
           f"table header {table.splitlines()[0]!r}")
    expect(table.splitlines()[1].split()[0] == "critical", "critical findings come first")


@check
def report_of_a_past_vulnscan_and_jobs_list(t):
    jobs = ok("jobs", NET).stdout.splitlines()
    vulnscans = [line for line in jobs if " vulnscan " in line]
    expect(len(vulnscans) >= 5, f"jobs lists {len(vulnscans)} vulnscan jobs: {jobs[:3]}")
    first_id = str(t.first["job_id"])
    text = ok("report", first_id).stdout
    expect(text.startswith(t.first["subject"]), f"report starts {text[:80]!r}")
    expect("new findings (or back after a fix)" in text and "heartbleed" in text,
           f"report text {text[:400]!r}")
    html = ok("report", first_id, "--format", "html").stdout
    expect("<h2>New findings (or back after a fix)" in html, "html report lacks the grid")


@check
def usage_errors(t):
    for args, words in [
        (("vulnscan", "nosuch"), "nosuch"),
        (("vulnscan",), "expected one network name"),
        (("vulnscan", NET, "--checks", "bogus"), "bogus"),
        (("vulnscan", NET, "--format", "xml"), "--format"),
        (("vulnscan", NET, "--ca-file", "/nonexistent/ca.pem"), "/nonexistent/ca.pem"),
        (("findings", "--severity", "severe"), "severe"),
        (("findings", "--network", "nosuch"), "nosuch"),
        (("network", "edit", NET, "--ticket", "nosuch"), "[ticketing.nosuch]"),
    ]:
        r = cs(*args)
        equal(f"{' '.join(args)} exit", r.returncode, 2)
        expect(words in r.stderr, f"{' '.join(args)}: {r.stderr.strip()!r} lacks {words!r}")
    ok("network", "disable", NET)
    r = cs("vulnscan", NET)
    equal("disabled network exit", r.returncode, 2)
    expect("disabled" in r.stderr, f"stderr {r.stderr!r}")
    ok("network", "enable", NET)


def main():
    harness.enter_private_network("every server is on 127.0.0.1")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    T.lab = harness.Lab("certsweep-vulnscan-", script="vulnlab.py")
    try:
        return harness.run_checks(T, before=before)
    finally:
        for name in ("snow", "syslog"):
            if hasattr(T, name):
                getattr(T, name).stop()
        if hasattr(T, "tmp"):
            shutil.rmtree(T.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
