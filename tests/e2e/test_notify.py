#!/usr/bin/python3
"""End-to-end test of the notifications: job emails, syslog, expiration
alerts and the outbox, against the lab's TLS servers, a real SMTP server
and a real syslog receiver (tests/e2e/sinks.py).

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_notify.py [-v]

Runs the real certsweep binary (`discover`, `monitor`, `alert`, `outbox`,
`config check`) with a configuration file whose [smtp] points at an
aiosmtpd sink and whose [syslog] points at a TCP receiver that parses
every message strictly as RFC 5424, and checks what arrived
(docs/notifications.md): the discovery and monitoring emails (subject,
Message-ID, text + HTML), the job summaries and lost-endpoint messages,
the SMTP server down during a job and up again (the email arrives exactly
once), a message failing until it is marked failed and then retried,
alerts with every template token checked against the inventory, a second
run that sends nothing, a renewed certificate reported again,
--repeat-every, --dry-run, an unknown token, a world-readable config with a
password, and a missing [smtp] section.  Prints one line per check and
`N passed, M failed`; exits 1 if any failed.  Runs in a network namespace
of its own when it may, like test_scan.py.
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import harness
from harness import VERBOSE, Context, Fail, check, equal, expect

sinks = harness.import_sinks()

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
FROM = "certsweep@example.com"
OPS = "ops@example.com"
NET = "mailnet"
# Lab endpoints of the network: three certificates and one refused port.
MEMBERS = ("tls13_rsa", "tls12_ecdsa", "expired", "closed")
STOPPED = "tls12_ecdsa"   # stopped by the monitoring check
SWAPPED = "tls13_rsa"     # given a fresh certificate by the renewal check
LOCAL0 = 16
ERR, WARNING, NOTICE = 3, 4, 5
TOKENS = ("cn", "dn", "issuer_dn", "sans", "serial", "sha256", "not_before",
          "not_after", "days_left", "locations", "network", "key", "sig_alg")

T = Context()


def write_config(path, smtp=True, syslog=True, extra="", mode=0o600):
    text = ""
    if smtp:
        text += (f"[smtp]\nurl = {T.smtp.url}\nstarttls = none\n"
                 f"from = {FROM}\ntimeout = 5\n")
    if syslog:
        text += (f"[syslog]\ntarget = {T.syslog.target}\nfacility = local0\n"
                 "hostname = scanner1\n")
    text += ("[outbox]\nmax_attempts = 3\nretry_min = 1\nretry_max = 1\n" +
             extra)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def cs(*args, config=None, timeout=60):
    argv = [CERTSWEEP, "--db", T.db, "--config", config or T.config,
            *args]
    p = harness.start_in_group(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    r = harness.finish(p, args, timeout)
    if VERBOSE:
        print(f"  $ certsweep {' '.join(args)} -> {r.returncode}\n"
              f"{r.stdout}{r.stderr}")
    return r


def ok(*args, **kw):
    r = cs(*args, **kw)
    if r.returncode != 0:
        raise Fail(f"certsweep {' '.join(args)}: exit {r.returncode}: "
                   f"{r.stderr.strip()[:400]}")
    return r


def jsonl(*args, **kw):
    return [json.loads(line) for line in ok(*args, "--format", "jsonl",
                                            **kw).stdout.splitlines()]


def outbox_rows(*args):
    return jsonl("outbox", "--all", *args)


def mails_since(n, want, timeout=10):
    """The messages after the first n, once there are want of them; then
    waits a little more to see that no extra one comes."""
    got = T.smtp.wait_for(n + want, timeout)[n:]
    time.sleep(0.3)
    equal("emails received", len(T.smtp.messages) - n, want)
    return got


def logs_since(n, want, timeout=10):
    got = T.syslog.wait_for(n + want, timeout)[n:]
    time.sleep(0.3)
    equal("syslog messages received", len(T.syslog.messages) - n, want)
    expect(not T.syslog.errors, f"malformed syslog: {T.syslog.errors[:2]}")
    return got


def body(mail, subtype):
    part = mail.message.get_body(preferencelist=(subtype,))
    expect(part is not None, f"no text/{subtype} part")
    expect(part.get_content_type() == f"text/{subtype}",
           f"got {part.get_content_type()} for text/{subtype}")
    return part.get_content()


def cert_rows():
    """`certs` of the network that an endpoint presents now (status
    certificate_found: a stopped server keeps its last certificate in the
    inventory, but no alert), by sha256, with their locations."""
    presenting = {(e["ip"], e["port"]) for e in
                  jsonl("endpoints", "--network", NET, "--status", "certificate_found")}
    by_sha = {}
    for r in jsonl("certs", "--network", NET):
        if (r["ip"], r["port"]) in presenting:
            by_sha.setdefault(r["sha256"], []).append(r)
    return by_sha


# ---------------------------------------------------------------------------

def before(t):
    t.tmp = tempfile.mkdtemp(prefix="certsweep-notify-")
    t.db = os.path.join(t.tmp, "inventory.db")
    t.smtp = sinks.SmtpSink()
    t.smtp.start()
    t.syslog = sinks.SyslogListener("tcp")
    t.syslog.start()
    t.config = write_config(os.path.join(t.tmp, "certsweep.conf"))
    ports = ",".join(str(t.lab.ports[n]) for n in MEMBERS)
    ok("network", "add", NET, "--range", "127.0.0.1", "--ports", ports,
       "--alert-to", OPS, "--expiry-days", "30", "--auto-monitor",
       "--connect-timeout", "1000", "--download-timeout", "1500")


@check
def discovery_sends_the_report_by_email_and_a_syslog_summary(t):
    n_mail, n_log = len(t.smtp.messages), len(t.syslog.messages)
    report = json.loads(ok("discover", NET, "--format", "json").stdout)
    [mail] = mails_since(n_mail, 1)
    equal("envelope from", mail.mail_from, FROM)
    equal("envelope to", mail.rcpt_tos, [OPS])
    m = mail.message
    equal("Subject", m["Subject"], report["subject"])
    expect(report["subject"].startswith(f"certsweep discovery of {NET}: "),
           f"subject {report['subject']!r}")
    expect(re.fullmatch(rf"<job-{report['job_id']}\.\d+-email@example\.com>",
                        m["Message-ID"]), f"Message-ID {m['Message-ID']!r}")
    equal("To", m["To"], OPS)
    equal("content type", m.get_content_type(), "multipart/alternative")
    text, html = body(mail, "plain"), body(mail, "html")
    expect(report["subject"] in text, "the text part lacks the subject")
    expired_port = str(t.lab.ports["expired"])
    expect(expired_port in text and expired_port in html,
           "the expired endpoint is not in both parts")
    expect("<html" in html.lower(), "the HTML part is not HTML")

    [log] = logs_since(n_log, 1)
    equal("PRI", log.pri, LOCAL0 * 8 + WARNING)   # endpoints need attention
    equal("msgid", log.msgid, "job_summary")
    equal("hostname", log.hostname, "scanner1")
    equal("app_name", log.app_name, "certsweep")
    sd = log.sd["job@32473"]
    equal("job_id", sd["job_id"], str(report["job_id"]))
    equal("network", sd["network"], NET)
    for status, count in report["counts"].items():
        equal(f"count {status}", sd[status], str(count))
    equal("need_attention", sd["need_attention"], str(report["subject_count"]))
    equal("msg", log.msg, report["subject"])
    expect(all(r["state"] == "sent" for r in outbox_rows()),
           "a message is left in the outbox")
    t.discovered = True


@check
def smtp_down_during_a_job_then_up_the_email_arrives_once(t):
    n_mail = len(t.smtp.messages)
    t.smtp.stop()
    r = ok("discover", NET, "--format", "json")
    job_id = json.loads(r.stdout)["job_id"]
    expect("not delivered" in r.stderr, f"no delivery warning: {r.stderr!r}")
    [row] = [x for x in outbox_rows() if x["state"] == "pending"]
    equal("pending kind", row["kind"], "discovery")
    equal("attempts", row["attempts"], "1")
    expect(str(t.smtp.port) in row["last_error"],
           f"the error does not name the server: {row['last_error']!r}")
    t.smtp.start()
    time.sleep(1.2)                      # retry_min = 1 s
    r = ok("outbox", "send")
    expect("1 sent" in r.stderr, f"outbox send said {r.stderr!r}")
    [mail] = mails_since(n_mail, 1)
    expect(re.fullmatch(rf"<job-{job_id}\.\d+-email@example\.com>",
                        mail.message["Message-ID"]), f"Message-ID {mail.message['Message-ID']!r}")
    ok("outbox", "send")                 # nothing is due: nothing more goes
    mails_since(n_mail, 1, timeout=0.5)
    expect(not [x for x in outbox_rows() if x["state"] != "sent"],
           "the outbox is not empty")


@check
def failing_delivery_is_marked_failed_then_retried_by_hand(t):
    n_mail = len(t.smtp.messages)
    t.smtp.stop()
    ok("discover", NET)
    for _ in range(2):                   # attempts 2 and 3 of max_attempts 3
        time.sleep(1.2)
        cs("outbox", "send")
    [row] = jsonl("outbox", "--failed")
    equal("state", row["state"], "failed")
    equal("attempts", row["attempts"], "3")
    expect(row["next_attempt_at"] is None, "a failed message has a next attempt")
    t.smtp.start()
    time.sleep(1.2)
    ok("outbox", "send")                 # failed for good: not sent again
    mails_since(n_mail, 0, timeout=0.5)
    r = ok("outbox", "retry", row["id"])
    expect("1 sent" in r.stderr, f"outbox retry said {r.stderr!r}")
    [mail] = mails_since(n_mail, 1)
    expect(mail.message["Subject"].startswith("certsweep discovery"), "wrong email")
    equal("failed left", jsonl("outbox", "--failed"), [])


@check
def monitoring_announces_a_lost_endpoint_once(t):
    n_mail, n_log = len(t.smtp.messages), len(t.syslog.messages)
    t.lab.control("stop", STOPPED)
    report = json.loads(ok("monitor", NET, "--format", "json").stdout)
    [mail] = mails_since(n_mail, 1)
    expect(mail.message["Subject"].startswith(f"certsweep monitoring of {NET}: "),
           f"subject {mail.message['Subject']!r}")
    logs = logs_since(n_log, 2)
    lost = [m for m in logs if m.msgid == "endpoint_lost"]
    equal("endpoint_lost messages", len(lost), 1)
    m = lost[0]
    equal("PRI", m.pri, LOCAL0 * 8 + ERR)
    sd = m.sd["endpoint@32473"]
    equal("port", sd["port"], str(t.lab.ports[STOPPED]))
    equal("ip", sd["ip"], "127.0.0.1")
    equal("status", sd["status"], "connection_refused")
    equal("network", sd["network"], NET)
    expect(len(sd["old_sha256"]) == 64, "no old certificate")
    summary = [m for m in logs if m.msgid == "job_summary"][0]
    equal("summary job", summary.sd["job@32473"]["job_id"], str(report["job_id"]))

    # Still lost: the email lists it again, syslog does not repeat it.
    n_log = len(t.syslog.messages)
    ok("monitor", NET)
    logs = logs_since(n_log, 1)
    equal("second run", [m.msgid for m in logs], ["job_summary"])


def reported(stdout, what="reported"):
    """N of the closing line of `alert run`: "..., N reported, ..."."""
    m = re.search(r"found, (\d+) " + what + ",", stdout)
    if not m:
        raise Fail(f"no count in {stdout!r}")
    return int(m.group(1))


def alert_body_file():
    path = os.path.join(T.tmp, "body.txt")
    with open(path, "w") as f:
        f.write("".join(f"{tok}=<{{{tok}}}>\n" for tok in TOKENS))
    return path


def parse_body(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@check
def alert_sends_every_token_and_a_syslog_message(t):
    n_mail, n_log = len(t.smtp.messages), len(t.syslog.messages)
    ok("alert", "add", "exp", "--days", "1000", "--network", NET, "--to", OPS,
       "--syslog", "--subject", "{cn} expires in {days_left} days",
       "--body-file", alert_body_file())
    r = ok("alert", "run", "exp")
    inventory = cert_rows()
    expect(len(inventory) >= 2, f"certs of the network: {list(inventory)}")
    mails = mails_since(n_mail, len(inventory))
    logs = logs_since(n_log, len(inventory))
    for mail in mails:
        values = {k: v.strip("<>") for k, v in parse_body(body(mail, "plain")).items()}
        equal("tokens", sorted(values), sorted(TOKENS))
        rows = inventory.get(values["sha256"])
        expect(rows, f"an email for an unknown certificate {values['sha256']}")
        c = rows[0]
        equal("Subject", mail.message["Subject"],
              f"{values['cn']} expires in {values['days_left']} days")
        equal("Message-ID", mail.message["Message-ID"].startswith("<alert-"), True)
        for key in ("not_before", "not_after", "serial", "sig_alg"):
            if key in c:
                equal(key, values[key], c[key])
        expect(values["cn"] in (c.get("subject_cn") or c.get("cn") or ""),
               f"cn {values['cn']!r} vs {c}")
        locations = sorted(f"{r['ip']}:{r['port']}" for r in rows)
        equal("locations", sorted(values["locations"].split(", ")), locations)
        equal("network", values["network"], NET)
        expect(values["dn"].startswith("CN=") or "CN=" in values["dn"],
               f"dn {values['dn']!r}")
        expect(values["issuer_dn"], "empty issuer_dn")
        expect(values["key"].split()[0] in ("RSA", "EC", "ED25519", "Ed25519"),
               f"key {values['key']!r}")
    by_cn = {m.sd["cert@32473"]["cn"]: m for m in logs}
    expired = by_cn.get("expired.test")
    expect(expired is not None, f"no syslog for expired.test: {list(by_cn)}")
    equal("expired msgid", expired.msgid, "cert_expired")
    equal("expired PRI", expired.pri, LOCAL0 * 8 + ERR)
    expect(int(expired.sd["cert@32473"]["days_left"]) < 0, "expired has days left")
    equal("reported", reported(r.stdout), len(inventory))


@check
def alert_run_again_sends_nothing(t):
    n_mail, n_log = len(t.smtp.messages), len(t.syslog.messages)
    r = ok("alert", "run", "exp")
    equal("reported by the second run", reported(r.stdout), 0)
    mails_since(n_mail, 0, timeout=0.5)
    logs_since(n_log, 0, timeout=0.5)


@check
def renewed_certificate_is_reported_again(t):
    n_mail = len(t.smtp.messages)
    t.lab.control("swap", SWAPPED, "fresh")
    ok("discover", NET)
    mails_since(n_mail, 1)                  # the discovery email
    n_mail = len(t.smtp.messages)
    ok("alert", "run", "exp")
    [mail] = mails_since(n_mail, 1)
    values = parse_body(body(mail, "plain"))
    equal("renewed cn", values["cn"], "<fresh.test>")
    equal("renewed location", values["locations"],
          f"<127.0.0.1:{t.lab.ports[SWAPPED]}>")


@check
def repeat_every_reports_an_unrenewed_certificate_again(t):
    ok("alert", "add", "rep", "--days", "1000", "--network", NET, "--to", OPS,
       "--repeat-every", "1")
    n_mail = len(t.smtp.messages)
    ok("alert", "run", "rep")
    first = mails_since(n_mail, len(cert_rows()))
    n_mail = len(t.smtp.messages)
    ok("alert", "run", "rep")
    mails_since(n_mail, 0, timeout=0.5)
    equal("first run", len(first), len(cert_rows()))
    # Two days pass for one certificate: it alone is due again.
    with sqlite3.connect(T.db) as db:
        sha = db.execute("SELECT cert_sha256 FROM alert_reports WHERE alert_id = "
                         "(SELECT id FROM alerts WHERE name = 'rep')").fetchone()[0]
        db.execute("UPDATE alert_reports SET reported_at = '2000-01-01T00:00:00Z' "
                   "WHERE cert_sha256 = ? AND alert_id = "
                   "(SELECT id FROM alerts WHERE name = 'rep')", (sha,))
    ok("alert", "run", "rep")
    [again] = mails_since(n_mail, 1)
    expect(sha in body(again, "plain"), "the email is not for the certificate due")
    equal("default subject", again.message["Subject"].startswith("SSL Certificate "), True)
    expect(again.message["Subject"].endswith(" expiry"), again.message["Subject"])
    expect("expiring soon, please take care" in body(again, "plain"),
           "the default body is not the seed's")


@check
def dry_run_sends_and_remembers_nothing(t):
    ok("alert", "add", "dry", "--days", "1000", "--to", OPS)
    n_mail = len(t.smtp.messages)
    r = ok("alert", "run", "dry", "--dry-run")
    found = reported(r.stdout, "would be reported")
    expect(found > 0 and "would report" in r.stdout, f"dry run said {r.stdout!r}")
    mails_since(n_mail, 0, timeout=0.5)
    r = ok("alert", "run", "dry")
    equal("reported after the dry run", reported(r.stdout), found)
    mails_since(n_mail, found)


@check
def unknown_token_is_refused_at_alert_add(t):
    r = cs("alert", "add", "bad", "--days", "3", "--to", OPS,
           "--subject", "{cn} expires on {expiry}")
    equal("exit", r.returncode, 2)
    expect("{expiry}" in r.stderr and "{not_after}" in r.stderr,
           f"stderr {r.stderr!r}")
    names = [a["name"] for a in jsonl("alert", "list")]
    expect("bad" not in names, "the bad alert was stored")


@check
def world_readable_config_with_a_password_is_refused(t):
    secret = "hunter2-zebra"
    path = write_config(os.path.join(t.tmp, "open.conf"), mode=0o644,
                        extra="")
    with open(path) as f:
        text = f.read().replace("starttls = none\n",
                                f"starttls = required\nusername = u\npassword = {secret}\n")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    for args in (("config", "check"), ("discover", NET), ("outbox", "send")):
        r = cs(*args, config=path)
        equal(f"{args[0]} exit", r.returncode, 2)
        expect("chmod 600" in r.stderr or "readable by others" in r.stderr,
               f"stderr {r.stderr!r}")
        expect(secret not in r.stdout + r.stderr, "the password was printed")
    os.chmod(path, 0o600)
    r = ok("config", "check", config=path)
    expect(secret not in r.stdout + r.stderr, "the password was printed")


@check
def email_without_smtp_section_waits_in_the_outbox(t):
    path = write_config(os.path.join(t.tmp, "nosmtp.conf"), smtp=False)
    r = ok("discover", NET, config=path)
    pending = [x for x in jsonl("outbox", config=path) if x["state"] == "pending"]
    equal("pending", len(pending), 1)
    equal("attempts", pending[0]["attempts"], "0")
    expect("[smtp]" in pending[0]["last_error"], f"error {pending[0]['last_error']!r}")
    n_mail = len(t.smtp.messages)
    r = ok("outbox", "send")             # with the full config: it goes
    expect("1 sent" in r.stderr, f"outbox send said {r.stderr!r}")
    mails_since(n_mail, 1)


def main():
    harness.enter_private_network("every server is on 127.0.0.1")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    T.lab = harness.Lab("certsweep-notify-", lab_args=["--control"])
    try:
        return harness.run_checks(T, before=before)
    finally:
        for sink in ("smtp", "syslog"):
            if hasattr(T, sink):
                getattr(T, sink).stop()
        if hasattr(T, "tmp"):
            shutil.rmtree(T.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
