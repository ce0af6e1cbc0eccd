#!/usr/bin/python3
"""End-to-end test of the delivery channels: `certsweep test-email` and
`certsweep test-syslog` against the sinks of sinks.py.

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_channels.py [-v]

Runs the real certsweep binary with a configuration file written for each
check (mode 0600) and checks what the servers received:

  email   plain SMTP (envelope, headers, Message-ID = idempotency key,
          multipart/alternative text + HTML); STARTTLS required with a CA
          file; STARTTLS required but not offered, and a certificate that
          does not verify, where nothing may go out (no MAIL command
          reaches the server) unless --insecure-smtp; smtps://; AUTH with
          a password_file, and a wrong password (535, the password never
          printed); a recipient refused with 550; the server down; usage.
  syslog  UDP, TCP and TLS, each message parsed strictly as RFC 5424
          (PRI 133 for local0.notice, hostname, app_name, procid, msgid,
          SD with the idempotency key, BOM); TLS with the wrong CA and
          with a name the certificate lacks, refused; nothing listening
          on UDP or TCP; usage.

Prints one line per check (`ok NAME`, `FAIL NAME: why`, `skip NAME: why`)
and `N passed, M failed`; exits 1 if any check failed.  The certificates
are the lab's (tests/lab/gencerts.sh): the servers present rsa.chain.pem,
whose leaf names IP:127.0.0.1 and rsa.test and chains to ca.pem;
clientca.pem is a CA that did not sign it.  Needs Debian's python3 with
python3-aiosmtpd.  Like test_scan.py, the script re-runs itself in a
network namespace of its own (unshare --net) when it may.
"""

import email.utils
import os
import re
import shutil
import socket
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
USER, PASSWORD = "alice", "pa55-w0rd-zebra"
TEST_KEY = re.compile(r"^test-\d+-\d+$")


class Rig:
    """What harness.run_checks starts and stops as its lab: the lab's
    certificates and a directory for configuration files."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="certsweep-channels-")
        self.certs = os.path.join(self.dir, "certs")
        self.nconf = 0

    def start(self):
        subprocess.run([os.path.join(harness.LAB_DIR, "gencerts.sh"),
                        self.certs], check=True)
        self.chain = self.cert("rsa.chain.pem")
        self.key = self.cert("rsa.key")
        self.ca = self.cert("ca.pem")
        self.wrong_ca = self.cert("clientca.pem")

    def stop(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def cert(self, name):
        return os.path.join(self.certs, name)

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def config(self, **sections):
        """A configuration file of sections {"smtp": {key: value}, ...}."""
        self.nconf += 1
        text = ""
        for name, keys in sections.items():
            text += f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
        return self.write(f"certsweep-{self.nconf}.conf", text)


def certsweep(t, conf, *args, timeout=30, env_extra=None):
    """certsweep --config CONF ARGS, in an environment without the user's
    configuration or password."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CERTSWEEP_") and k != "XDG_CONFIG_HOME"}
    env["HOME"] = t.lab.dir
    env.update(env_extra or {})
    argv = [CERTSWEEP] + (["--config", conf] if conf else []) + list(args)
    p = harness.start_in_group(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    r = harness.finish(p, argv[1:], timeout)
    if VERBOSE:
        print(f"  $ certsweep {' '.join(argv[1:])}\n  exit {r.returncode}\n"
              f"  stdout: {r.stdout!r}\n  stderr: {r.stderr!r}")
    return r


INSECURE_WARNING = "certsweep: warning: --insecure-smtp: the certificate of "


def without_insecure_warning(r):
    """stderr without the one warning --insecure-smtp must give, checked."""
    if "--insecure-smtp" not in r.args:
        return r.stderr
    lines = r.stderr.splitlines(keepends=True)
    expect(lines and lines[0].startswith(INSECURE_WARNING) and "not verified" in lines[0],
           f"--insecure-smtp did not warn: {r.stderr!r}")
    return "".join(lines[1:])


def expect_ok(r):
    if r.returncode != 0:
        raise Fail(f"exit {r.returncode}, stderr {r.stderr!r}")
    equal("stderr", without_insecure_warning(r), "")


def expect_error(r, status, *words):
    """Exit status, nothing on stdout, one line on stderr holding words
    (after the warning of --insecure-smtp, when given)."""
    if r.returncode != status:
        raise Fail(f"exit {r.returncode}, want {status}; stdout {r.stdout!r}, "
                   f"stderr {r.stderr!r}")
    equal("stdout", r.stdout, "")
    lines = without_insecure_warning(r).splitlines()
    expect(len(lines) == 1, f"want one line on stderr, got {r.stderr!r}")
    for w in words:
        expect(w.lower() in lines[0].lower(),
               f"stderr {lines[0]!r} does not say {w!r}")
    return lines[0]


def smtp_config(t, sink, **keys):
    return t.lab.config(smtp={"url": sink.url, "from": FROM, **keys})


# ---------------------------------------------------------------------------
# email


def check_test_message(t, conf, sink, mail, to):
    """What every test email must be."""
    equal("envelope sender", mail.mail_from, FROM)
    equal("envelope recipients", mail.rcpt_tos, to)
    m = mail.message
    equal("From", str(m["From"]), FROM)
    equal("To", [a.strip() for a in str(m["To"]).split(",")], to)
    equal("Subject", str(m["Subject"]), "certsweep test message")
    equal("MIME-Version", str(m["MIME-Version"]), "1.0")
    key = str(m["X-Certsweep-Idempotency-Key"])
    expect(TEST_KEY.match(key), f"idempotency key {key!r}")
    equal("Message-ID", str(m["Message-ID"]), f"<{key}@example.com>")
    date = email.utils.parsedate_to_datetime(str(m["Date"]))
    expect(date.tzinfo is not None and abs(date.timestamp() - time.time()) < 120,
           f"Date {m['Date']!r} is not now")
    for name in ("From", "To", "Subject", "Date", "Message-ID",
                 "X-Certsweep-Idempotency-Key", "Content-Type"):
        equal(f"number of {name} headers", len(m.get_all(name) or []), 1)
    equal("Content-Type", m.get_content_type(), "multipart/alternative")
    parts = list(m.iter_parts())
    equal("parts", [p.get_content_type() for p in parts], ["text/plain", "text/html"])
    for p in parts:
        equal(f"{p.get_content_type()} charset", p.get_content_charset(), "utf-8")
    text = parts[0].get_content()
    for want in (conf, sink.url, FROM):
        expect(want in text, f"the text does not mention {want!r}: {text!r}")
    expect(conf in parts[1].get_content(), "the HTML does not mention the file")
    # Every line of what went over the wire ends in CRLF and is at most
    # 998 characters (RFC 5322 2.1.1); the body's quoted-printable lines at
    # most 76 (RFC 2045 6.7).
    head, _, body = mail.raw.partition(b"\r\n\r\n")
    for line in mail.raw.split(b"\r\n"):
        expect(b"\n" not in line and b"\r" not in line, f"bare line end in {line!r}")
        expect(len(line) <= 998, f"line longer than 998: {line[:100]!r}...")
    for line in body.split(b"\r\n"):
        expect(len(line) <= 76, f"body line longer than 76: {line!r}")


@check
def email_plain(t):
    with sinks.SmtpSink() as sink:
        conf = smtp_config(t, sink, starttls="none")
        to = ["a@example.com", "b@example.org"]
        r = certsweep(t, conf, "test-email", *to)
        expect_ok(r)
        equal("stdout", r.stdout, f"sent to {', '.join(to)} via {sink.url}\n")
        [mail] = sink.wait_for(1)
        expect(not mail.tls, "plain SMTP ran over TLS?")
        check_test_message(t, conf, sink, mail, to)


@check
def email_starttls_required_with_ca_file(t):
    with sinks.SmtpSink(tls="starttls", cert=t.lab.chain, key=t.lab.key,
                        require_starttls=True) as sink:
        conf = smtp_config(t, sink, starttls="required", ca_file=t.lab.ca)
        r = certsweep(t, conf, "test-email", "ops@example.com")
        expect_ok(r)
        [mail] = sink.wait_for(1)
        expect(mail.tls, "the message did not go over TLS")
        check_test_message(t, conf, sink, mail, ["ops@example.com"])


@check
def email_starttls_is_the_default(t):
    with sinks.SmtpSink() as sink:  # offers no STARTTLS
        conf = smtp_config(t, sink, ca_file=t.lab.ca)
        r = certsweep(t, conf, "test-email", "ops@example.com")
        expect_error(r, 1, sink.url, "STARTTLS", "nothing was sent")
        time.sleep(0.2)
        equal("MAIL commands", sink.mail_commands, [])
        equal("messages", sink.messages, [])


@check
def email_starttls_required_but_not_offered_sends_nothing(t):
    with sinks.SmtpSink() as sink:
        conf = smtp_config(t, sink, starttls="required", ca_file=t.lab.ca)
        for args in ((), ("--insecure-smtp",)):   # no way around it
            r = certsweep(t, None, "--config", conf, *args, "test-email",
                          "ops@example.com")
            expect_error(r, 1, sink.url, "STARTTLS")
        time.sleep(0.2)
        equal("MAIL commands", sink.mail_commands, [])
        equal("messages", sink.messages, [])


@check
def email_certificate_from_another_ca_is_refused(t):
    with sinks.SmtpSink(tls="starttls", cert=t.lab.chain, key=t.lab.key) as sink:
        conf = smtp_config(t, sink, starttls="required", ca_file=t.lab.wrong_ca)
        r = certsweep(t, conf, "test-email", "ops@example.com")
        expect_error(r, 1, sink.url, "certificate", "ca_file")
        time.sleep(0.2)
        equal("MAIL commands", sink.mail_commands, [])
        # --insecure-smtp turns the check off, and only the check.
        r = certsweep(t, None, "--insecure-smtp", "--config", conf, "test-email",
                      "ops@example.com")
        expect_ok(r)
        [mail] = sink.wait_for(1)
        expect(mail.tls, "--insecure-smtp sent in clear")


@check
def email_smtps(t):
    with sinks.SmtpSink(tls="smtps", cert=t.lab.chain, key=t.lab.key) as sink:
        expect(sink.url.startswith("smtps://"), sink.url)
        conf = smtp_config(t, sink, ca_file=t.lab.ca)
        r = certsweep(t, conf, "test-email", "ops@example.com")
        expect_ok(r)
        equal("stdout", r.stdout, f"sent to ops@example.com via {sink.url}\n")
        [mail] = sink.wait_for(1)
        expect(mail.tls, "smtps:// without TLS")
        check_test_message(t, conf, sink, mail, ["ops@example.com"])


@check
def email_auth_with_password_file(t):
    secret = t.lab.write("smtp-password", PASSWORD + "\n")
    with sinks.SmtpSink(tls="starttls", cert=t.lab.chain, key=t.lab.key,
                        require_starttls=True, auth=(USER, PASSWORD),
                        auth_required=True) as sink:
        conf = smtp_config(t, sink, ca_file=t.lab.ca, username=USER,
                           password_file=secret)
        r = certsweep(t, conf, "test-email", "ops@example.com")
        expect_ok(r)
        expect(PASSWORD not in r.stdout, "the password is on stdout")
        [mail] = sink.wait_for(1)
        equal("authenticated user", mail.login, USER)
        expect(mail.tls, "AUTH without TLS")
        equal("AUTH attempts", [a[1:] for a in sink.auth_attempts], [(USER, True)])


@check
def email_wrong_password_is_refused_without_showing_it(t):
    wrong = "not-the-" + PASSWORD
    secret = t.lab.write("smtp-wrong-password", wrong + "\n")
    with sinks.SmtpSink(tls="starttls", cert=t.lab.chain, key=t.lab.key,
                        require_starttls=True, auth=(USER, PASSWORD),
                        auth_required=True) as sink:
        conf = smtp_config(t, sink, ca_file=t.lab.ca, username=USER,
                           password_file=secret)
        r = certsweep(t, conf, "test-email", "ops@example.com")
        line = expect_error(r, 1, sink.url, "535", "username")
        expect(wrong not in line and PASSWORD not in line, f"password shown: {line!r}")
        equal("messages", sink.messages, [])


@check
def email_rejected_recipient_names_the_server_reply(t):
    with sinks.SmtpSink(reject=["nobody@example.com"]) as sink:
        conf = smtp_config(t, sink, starttls="none")
        r = certsweep(t, conf, "test-email", "ops@example.com", "nobody@example.com")
        expect_error(r, 1, sink.url, "550", "nobody@example.com", "no such user")
        time.sleep(0.2)
        equal("messages", sink.messages, [])   # not to ops@ either


@check
def email_server_down(t):
    sink = sinks.SmtpSink()
    sink.start()
    sink.stop()                                 # the port is closed now
    conf = smtp_config(t, sink, starttls="none")
    started = time.monotonic()
    r = certsweep(t, conf, "test-email", "ops@example.com")
    expect_error(r, 1, sink.url, "connect")
    expect(time.monotonic() - started < 10, "took longer than 10 s")
    # And back up: the same configuration works again.
    with sink:
        expect_ok(certsweep(t, conf, "test-email", "ops@example.com"))
        sink.wait_for(1)


@check
def email_usage_errors(t):
    sink = sinks.SmtpSink()   # never started: no connection may be tried
    conf = smtp_config(t, sink, starttls="none")
    expect_error(certsweep(t, conf, "test-email"), 2, "address")
    expect_error(certsweep(t, conf, "test-email", "not an address"), 2, "not an address")
    expect_error(certsweep(t, conf, "test-email", "a@example.com", "<b@example.com>"), 2,
                 "<b@example.com>")
    expect_error(certsweep(t, conf, "test-email", "--bogus", "a@example.com"), 2)
    no_smtp = t.lab.config(syslog={"target": "udp://127.0.0.1:9"})
    expect_error(certsweep(t, no_smtp, "test-email", "a@example.com"), 2,
                 f"no [smtp] section in {no_smtp}")
    r = certsweep(t, conf, "test-email", "--help")
    expect_ok(r)
    expect(r.stdout.startswith("usage: certsweep test-email ADDRESS..."), r.stdout)


# ---------------------------------------------------------------------------
# syslog


def syslog_config(t, target, **keys):
    return t.lab.config(syslog={"target": target, "facility": "local0",
                                "app_name": "certsweep", "hostname": "myhost",
                                **keys})


def check_syslog_message(t, conf, m, text=None):
    """What every test syslog message must be (parsed strictly already)."""
    equal("PRI (local0.notice)", m.pri, 133)
    equal("version", m.version, 1)
    equal("HOSTNAME", m.hostname, "myhost")
    equal("APP-NAME", m.app_name, "certsweep")
    expect(m.procid and m.procid.isdigit(), f"PROCID {m.procid!r}")
    equal("MSGID", m.msgid, "test")
    expect(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", m.timestamp or ""),
           f"TIMESTAMP {m.timestamp!r}")
    stamp = time.mktime(time.strptime(m.timestamp, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    expect(abs(stamp - time.time()) < 120, f"TIMESTAMP {m.timestamp} is not now")
    equal("SD-IDs", list(m.sd), ["certsweep@32473"])
    sd = m.sd["certsweep@32473"]
    expect(TEST_KEY.match(sd.get("idem", "")), f"idem {sd.get('idem')!r}")
    equal("config parameter", sd.get("config"), conf)
    expect(m.bom, "MSG without the UTF-8 BOM")
    if text is not None:
        equal("MSG", m.msg, text)
    else:
        expect(m.msg.startswith("certsweep test message from "), f"MSG {m.msg!r}")


def run_syslog(t, listener, conf, *args, note=""):
    r = certsweep(t, conf, "test-syslog", *args)
    expect_ok(r)
    equal("stdout", r.stdout, f"sent to {listener.target}{note}\n")
    msgs = listener.wait_for(1)
    equal("framing or format errors", listener.errors, [])
    equal("messages", len(msgs), 1)
    return msgs[0]


@check
def syslog_udp(t):
    with sinks.SyslogListener("udp") as listener:
        conf = syslog_config(t, listener.target)
        m = run_syslog(t, listener, conf, note=" (UDP: delivery is not confirmed)")
        check_syslog_message(t, conf, m)


@check
def syslog_tcp_octet_counting(t):
    text = 'caf\u00e9 "quoted" [bracket] back\\slash \u2603'
    with sinks.SyslogListener("tcp") as listener:
        conf = syslog_config(t, listener.target)
        m = run_syslog(t, listener, conf, text)
        check_syslog_message(t, conf, m, text)
        equal("connections", listener.connections, 1)


@check
def syslog_tls(t):
    with sinks.SyslogListener("tls", cert=t.lab.chain, key=t.lab.key) as listener:
        conf = syslog_config(t, listener.target, ca_file=t.lab.ca)
        m = run_syslog(t, listener, conf, "over TLS")
        check_syslog_message(t, conf, m, "over TLS")
        equal("TLS failures", listener.tls_failures, [])


@check
def syslog_tls_with_the_wrong_ca_is_refused(t):
    with sinks.SyslogListener("tls", cert=t.lab.chain, key=t.lab.key) as listener:
        conf = syslog_config(t, listener.target, ca_file=t.lab.wrong_ca)
        r = certsweep(t, conf, "test-syslog", "must not arrive")
        expect_error(r, 1, listener.target, "certificate", t.lab.wrong_ca)
        expect(listener.wait_for_tls_failures(1), "the listener saw no failed handshake")
        equal("messages", listener.messages, [])


@check
def syslog_tls_name_the_certificate_lacks_is_refused(t):
    # The certificate names rsa.test and 127.0.0.1, not localhost.
    with sinks.SyslogListener("tls", cert=t.lab.chain, key=t.lab.key) as listener:
        target = f"tls://localhost:{listener.port}"
        conf = syslog_config(t, target, ca_file=t.lab.ca)
        r = certsweep(t, conf, "test-syslog", "must not arrive")
        expect_error(r, 1, target, "mismatch")
        equal("messages", listener.messages, [])


@check
def syslog_nobody_listening(t):
    udp = f"udp://127.0.0.1:{sinks.free_port(socket.SOCK_DGRAM)}"
    r = certsweep(t, syslog_config(t, udp), "test-syslog")
    expect_error(r, 1, udp, "connection refused")
    tcp = f"tcp://127.0.0.1:{sinks.free_port()}"
    r = certsweep(t, syslog_config(t, tcp), "test-syslog")
    expect_error(r, 1, tcp, "cannot connect", "connection refused")


@check
def syslog_usage_errors(t):
    conf = syslog_config(t, "udp://127.0.0.1:9")
    expect_error(certsweep(t, conf, "test-syslog", "one", "two"), 2, "at most one")
    no_syslog = t.lab.config(smtp={"url": "smtp://127.0.0.1:9", "from": FROM})
    expect_error(certsweep(t, no_syslog, "test-syslog"), 2,
                 f"no [syslog] section in {no_syslog}")
    r = certsweep(t, conf, "test-syslog", "--help")
    expect_ok(r)
    expect(r.stdout.startswith("usage: certsweep test-syslog [MESSAGE]"), r.stdout)


def main():
    harness.enter_private_network("every server is on 127.0.0.1")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    t = Context()
    t.lab = Rig()
    return harness.run_checks(t, show_time=VERBOSE)


if __name__ == "__main__":
    sys.exit(main())
