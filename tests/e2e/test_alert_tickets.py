#!/usr/bin/python3
"""End-to-end test of expiration alerts that open tickets and page: the lab's
TLS servers, a discovered network, and `alert add --ticket snow --webhook
pd`, against the local ServiceNow and PagerDuty fakes of fakes_ticketing.py
and fakes_webhook.py (which check every request they get).

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_alert_tickets.py [-v]

Checks what docs/tickets.md promises, as a team would see it in the two
systems: one incident per expiring certificate (the seed's subject and
description, the key in correlation_id, one PagerDuty incident per
dedup_key); a second run that opens nothing; the ticketing system down
during a run, then up (every ticket arrives, once); a later report of the
same certificate (--repeat-every) that adds a note instead of a ticket; a
renewed certificate whose incident is resolved and whose PagerDuty
incident is resolved; and an incident closed by hand while the certificate
still expires, which gets a new one.  Prints one line per check and `N
passed, M failed`; exits 1 if any failed.  Runs in a network namespace of
its own when it may.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import fakes_ticketing
import fakes_webhook
import harness
from harness import VERBOSE, Context, Fail, check, equal, expect

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
NET = "ticketnet"
MEMBERS = ("tls13_rsa", "tls12_ecdsa", "expired")
SWAPPED = "tls13_rsa"        # given a fresh certificate by the renewal check
SNOW_USER, SNOW_PASSWORD = "certsweep", "sn0w-pa55word-zebra"
ROUTING_KEY = "R0ut1ngKeyOfThirtyTwoCharacters9"     # 32 characters

T = Context()


def cs(*args, timeout=60):
    argv = [CERTSWEEP, "--db", T.db, "--config", T.config, *args]
    p = harness.start_in_group(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = harness.finish(p, args, timeout)
    if VERBOSE:
        print(f"  $ certsweep {' '.join(args)} -> {r.returncode}\n{r.stdout}{r.stderr}")
    for secret in (SNOW_PASSWORD, ROUTING_KEY):
        expect(secret not in r.stdout + r.stderr, "a secret was printed")
    return r


def ok(*args, **kw):
    r = cs(*args, **kw)
    if r.returncode != 0:
        raise Fail(f"certsweep {' '.join(args)}: exit {r.returncode}: "
                   f"{r.stderr.strip()[:400]}")
    return r


def presented():
    """sha256 -> subject CN of the certificates the network presents now."""
    rows = [json.loads(line) for line in
            ok("certs", "--network", NET, "--format", "jsonl").stdout.splitlines()]
    return {r["sha256"]: r.get("subject_cn") or r.get("cn") for r in rows}


def incidents(alert):
    """The fake's incidents of one alert, by certificate sha256: a list per
    certificate, oldest first."""
    prefix = f"alert:{alert}:"
    out = {}
    for t in T.snow.tickets.values():
        key = t.get("correlation_id", "")
        if key.startswith(prefix):
            out.setdefault(key[len(prefix):], []).append(t)
    return out


def no_bad_requests():
    expect(not T.snow.errors, f"malformed ServiceNow requests: {T.snow.errors[:2]}")
    expect(not T.snow.auth_failures, "ServiceNow refused the credentials")
    bad = [r for r in T.pd.requests if r.status != 202]
    expect(not bad, f"PagerDuty refused events: {[(r.status, r.body[:200]) for r in bad]}")


def set_reported_long_ago(alert, sha=None):
    """Moves an alert's "reported" marks back in time, as if days passed;
    each call to a moment of its own, as real reports are."""
    T.travels = getattr(T, "travels", 0) + 1
    when = f"2000-01-{T.travels:02d}T00:00:00Z"
    with sqlite3.connect(T.db) as db:
        db.execute("UPDATE alert_reports SET reported_at = ? "
                   "WHERE alert_id = (SELECT id FROM alerts WHERE name = ?)"
                   + (" AND cert_sha256 = ?" if sha else ""),
                   (when, alert, sha) if sha else (when, alert))


# ---------------------------------------------------------------------------

def before(t):
    t.tmp = tempfile.mkdtemp(prefix="certsweep-tickets-")
    t.db = os.path.join(t.tmp, "inventory.db")
    t.snow = fakes_ticketing.ServiceNow(user=SNOW_USER, password=SNOW_PASSWORD)
    t.snow.start()
    t.pd = fakes_webhook.PagerDuty(ROUTING_KEY)
    t.pd.start()
    t.config = os.path.join(t.tmp, "certsweep.conf")
    fd = os.open(t.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"[ticketing.snow]\ntype = servicenow\nurl = {t.snow.url}\n"
                f"username = {SNOW_USER}\npassword = {SNOW_PASSWORD}\n"
                "caller_id = certsweep\nassignment_group = PKI Operations\ntimeout = 5\n"
                f"[webhook.pd]\ntype = pagerduty\nurl = {t.pd.url}\n"
                f"routing_key = {ROUTING_KEY}\ntimeout = 5\n"
                "[outbox]\nmax_attempts = 5\nretry_min = 1\nretry_max = 1\n")
    ports = ",".join(str(t.lab.ports[n]) for n in MEMBERS)
    ok("network", "add", NET, "--range", "127.0.0.1", "--ports", ports,
       "--connect-timeout", "1000", "--download-timeout", "1500")
    ok("discover", NET)


@check
def expiring_certificates_open_one_incident_each(t):
    ok("alert", "add", "exp", "--days", "1000", "--network", NET,
       "--ticket", "snow", "--webhook", "pd")
    ok("alert", "run", "exp")
    certs = presented()
    equal("certificates found", len(certs), len(MEMBERS))
    found = incidents("exp")
    equal("incident per certificate", sorted(found), sorted(certs))
    for sha, [inc] in found.items():
        cn = certs[sha]
        equal("short_description", inc["short_description"], f"SSL Certificate {cn} expiry")
        expect(f"The SSL Certificate {cn} expiring soon, please take care"
               in inc["description"], f"description {inc['description'][:120]!r}")
        expect(sha in inc["description"], "the description lacks the SHA-256")
        equal("caller", inc["caller_id"], "certsweep")
        equal("state", inc["state"], "1")
    equal("PagerDuty incidents", sorted(k.split(":")[-1] for k in t.pd.incidents),
          sorted(certs))
    expect(all(i["state"] == "triggered" for i in t.pd.incidents.values()),
           "a PagerDuty incident is not triggered")
    no_bad_requests()


@check
def second_run_opens_nothing_and_adds_no_note(t):
    before_n = len(t.snow.tickets)
    pd_events = len(t.pd.requests)
    ok("alert", "run", "exp")
    equal("incidents", len(t.snow.tickets), before_n)
    expect(all(not inc["work_notes"] for incs in incidents("exp").values() for inc in incs),
           "a note was added")
    equal("PagerDuty events", len(t.pd.requests), pd_events)


@check
def ticketing_down_during_a_run_loses_and_doubles_nothing(t):
    ok("alert", "add", "rep", "--days", "1000", "--network", NET, "--ticket", "snow",
       "--repeat-every", "1")
    t.snow.stop()
    r = cs("alert", "run", "rep")
    expect("not delivered" in r.stderr, f"no delivery warning: {r.stderr!r}")
    equal("incidents of rep while down", incidents("rep"), {})
    t.snow.restart()
    time.sleep(1.2)                        # retry_min = 1 s
    ok("outbox", "send")
    found = incidents("rep")
    equal("incidents of rep", sorted(found), sorted(presented()))
    expect(all(len(v) == 1 for v in found.values()), "a certificate got two incidents")
    time.sleep(1.2)
    ok("outbox", "send")
    expect(all(len(v) == 1 for v in incidents("rep").values()), "a redelivery doubled")
    no_bad_requests()


@check
def a_later_report_adds_a_note_not_a_ticket(t):
    sha = sorted(presented())[0]
    set_reported_long_ago("rep", sha)
    n = len(t.snow.tickets)
    ok("alert", "run", "rep")
    equal("incidents", len(t.snow.tickets), n)
    [inc] = incidents("rep")[sha]
    equal("notes", len(inc["work_notes"]), 1)
    expect("Still not renewed" in inc["work_notes"][0], f"note {inc['work_notes']!r}")


@check
def renewed_certificate_resolves_its_incident_and_page(t):
    old = {sha for sha, cn in presented().items()}
    t.lab.control("swap", SWAPPED, "fresh")
    ok("discover", NET)
    now = presented()
    [gone] = old - set(now)
    [new] = set(now) - old
    ok("alert", "run", "exp")
    [inc] = incidents("exp")[gone]
    equal("resolved state", inc["state"], "6")
    expect(inc["close_notes"] and gone in inc["close_notes"], f"close_notes {inc['close_notes']!r}")
    pd = t.pd.incidents[f"alert:exp:{gone}"]
    equal("PagerDuty incident", pd["state"], "resolved")
    equal("new incident for the new certificate", len(incidents("exp")[new]), 1)
    # Nothing more to resolve: a run after that sends no second resolve and
    # writes nothing; it only asks whether each open incident still is one
    # (one GET per certificate that still expires).
    # (Runs within one second are one check: a second apart here.)
    time.sleep(1.1)
    n = len(t.snow.requests)
    ok("alert", "run", "exp")
    later = [(r.method, r.path) for r in t.snow.requests[n:]]
    open_incidents = sum(1 for incs in incidents("exp").values()
                         if incs[-1]["state"] not in ("6", "7"))   # not resolved or closed
    expect(all(m == "GET" for m, _ in later), f"a settled run wrote: {later}")
    equal("requests after everything settled", len(later), open_incidents)
    no_bad_requests()


@check
def incident_closed_by_hand_while_the_problem_stays_is_opened_again(t):
    sha = next(s for s, cn in presented().items() if cn == "expired.test")
    [inc] = incidents("rep")[sha]
    t.snow.close_by_hand(inc["sys_id"])
    set_reported_long_ago("rep", sha)
    ok("alert", "run", "rep")
    incs = incidents("rep")[sha]
    equal("incidents of the expired certificate", len(incs), 2)
    equal("the old one stays closed", incs[0]["state"], "7")
    equal("the new one is open", incs[1]["active"], "true")
    no_bad_requests()


@check
def incident_closed_by_hand_is_opened_again_by_the_next_run_without_repeat(t):
    """An alert that reports a certificate once (no --repeat-every) still
    checks, at each run, that the certificate's incident is open: closed by
    hand while the certificate still expires, it gets a new one, and no
    email or note comes with the check."""
    certs = presented()
    sha = next(s for s, cn in certs.items() if cn == "expired.test")
    before = incidents("exp")
    [open_one] = [i for i in before[sha] if i["active"] == "true"]
    t.snow.close_by_hand(open_one["sys_id"])
    # An ensure's outbox key carries the second of its run, so that runs
    # within one second are one check: let the previous run of exp (two
    # checks ago, maybe less than a second ago) be in another second.
    time.sleep(1.1)
    ok("alert", "run", "exp")
    after = incidents("exp")
    equal("incidents of the expired certificate", len(after[sha]), len(before[sha]) + 1)
    equal("the new one is open", after[sha][-1]["active"], "true")
    for other, incs in after.items():
        if other != sha:
            equal(f"incidents of {other[:12]}", len(incs), len(before[other]))
            equal(f"notes of {other[:12]}", [len(i["work_notes"]) for i in incs],
                  [len(i["work_notes"]) for i in before[other]])
    no_bad_requests()


@check
def endpoint_that_stops_answering_keeps_its_incident_open(t):
    sha = next(s for s, cn in presented().items() if cn == "ec.test")
    t.lab.control("stop", "tls12_ecdsa")
    ok("discover", NET)
    ok("alert", "run", "exp")
    [inc] = incidents("exp")[sha]
    equal("incident of a silent endpoint", inc["state"], "1")
    equal("its PagerDuty incident", t.pd.incidents[f"alert:exp:{sha}"]["state"], "triggered")


@check
def removing_an_alert_resolves_what_it_opened(t):
    r = ok("alert", "remove", "rep")
    expect("resolved" in r.stdout, f"remove said {r.stdout!r}")
    still_open = [i["number"] for incs in incidents("rep").values() for i in incs
                  if i["active"] == "true"]
    equal("open incidents of the removed alert", still_open, [])
    no_bad_requests()


def main():
    harness.enter_private_network("every server is on 127.0.0.1")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    T.lab = harness.Lab("certsweep-tickets-", lab_args=["--control"])
    try:
        return harness.run_checks(T, before=before)
    finally:
        for fake in ("snow", "pd"):
            if hasattr(T, fake):
                getattr(T, fake).stop()
        if hasattr(T, "tmp"):
            shutil.rmtree(T.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
