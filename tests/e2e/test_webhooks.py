#!/usr/bin/python3
"""End-to-end test of the webhook channel (src/webhook.c, docs/webhooks.md):
`certsweep test-channel NAME [--resolve] [--key KEY]` against the fakes of
fakes_webhook.py.

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_webhooks.py [-v]

Runs the real certsweep binary with a configuration file written for each
check (mode 0600, [webhook.*] sections) and a fresh SQLite inventory, and
checks what the receivers got and what certsweep said:

  pagerduty  a trigger then a resolve on the same dedup_key (the fake's
             incident triggered, then resolved), every field of the event
             as Events v2 documents it; 400 is a final error quoting
             PagerDuty's message and errors, also for a routing key of the
             wrong length; 429 with Retry-After is rate-limited and names
             the wait; 500 and a receiver that is down may pass, and the
             same port up again works; the routing key is never printed.
  slack      the text (bold subject and description; the resolved line),
             Slack's markup characters escaped; 429 with Retry-After;
             invalid_payload, no_service and channel_is_archived are final
             and say so; over https:// with ca_file; the secret part of
             the webhook URL is never printed.
  teams      the Adaptive Card, field by field; a refusal is final.
  generic    the documented body, field by field, Content-Type, the
             bearer token and the Idempotency-Key header (the same as the
             body's idempotency_key); a wrong token is final and not
             printed.
  all        the Idempotency-Key header; a receiver that hangs fails
             within the configured timeout; an http:// URL is warned about
             and an https:// one is not.

Prints one line per check (`ok NAME`, `FAIL NAME: why`, `skip NAME: why`)
and `N passed, M failed`; exits 1 if any check failed.  The https check
uses the lab's certificates (tests/lab/gencerts.sh).  Standard library
only.  Like test_scan.py, the script re-runs itself in a network
namespace of its own (unshare --net) when it may.
"""

import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import harness
from harness import VERBOSE, Context, Fail, check, equal, expect

import fakes_webhook as fakes

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
ROUTING_KEY = "R0ut1ngKeyOfThirtyTwoCharacters9"     # 32 characters
BEARER = "bearer-Secret-7f3a9c"
TEST_IDEM = re.compile(r"^test-\d+-\d+$")
SUBJECT = "certsweep test ticket"
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class Rig:
    """What harness.run_checks starts and stops as its lab: the lab's
    certificates and a directory for configuration files and inventories."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="certsweep-webhooks-")
        self.certs = os.path.join(self.dir, "certs")
        self.n = 0

    def start(self):
        subprocess.run([os.path.join(harness.LAB_DIR, "gencerts.sh"),
                        self.certs], check=True)
        self.chain = os.path.join(self.certs, "rsa.chain.pem")
        self.key = os.path.join(self.certs, "rsa.key")
        self.ca = os.path.join(self.certs, "ca.pem")

    def stop(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, **sections):
        """A configuration file (mode 0600) of sections {"webhook.x": {key:
        value}}."""
        self.n += 1
        text = ""
        for name, keys in sections.items():
            text += f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
        path = os.path.join(self.dir, f"certsweep-{self.n}.conf")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def db(self):
        self.n += 1
        return os.path.join(self.dir, f"inventory-{self.n}.db")


def certsweep(t, conf, *args, timeout=60, db=None):
    """certsweep --db DB --config CONF ARGS, in an environment without the
    user's configuration or secrets.  Returns the CompletedProcess with
    .elapsed (seconds)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CERTSWEEP_") and k != "XDG_CONFIG_HOME"}
    env["HOME"] = t.lab.dir
    argv = [CERTSWEEP, "--db", db or t.lab.db(), "--config", conf] + list(args)
    started = time.monotonic()
    p = harness.start_in_group(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    r = harness.finish(p, argv[1:], timeout)
    r.elapsed = time.monotonic() - started
    if VERBOSE:
        print(f"  $ certsweep {' '.join(argv[1:])}\n  exit {r.returncode} "
              f"({r.elapsed:.1f} s)\n  stdout: {r.stdout!r}\n  stderr: {r.stderr!r}")
    return r


def warnings_and_errors(r):
    """stderr without the http:// warning that every check on a plain
    fake gets (checked on its own by http_url_is_warned_about)."""
    return [line for line in r.stderr.splitlines()
            if not (line.startswith("certsweep: warning:") and "http://" in line)]


def expect_sent(r):
    if r.returncode != 0:
        raise Fail(f"exit {r.returncode}, stderr {r.stderr!r}")
    equal("stderr past the http:// warning", warnings_and_errors(r), [])


def expect_error(r, status, *words):
    """Exit status, nothing on stdout, one line on stderr (past the
    http:// warning) holding words; returns that line."""
    if r.returncode != status:
        raise Fail(f"exit {r.returncode}, want {status}; stdout {r.stdout!r}, "
                   f"stderr {r.stderr!r}")
    equal("stdout", r.stdout, "")
    lines = warnings_and_errors(r)
    expect(len(lines) == 1, f"want one error line on stderr, got {r.stderr!r}")
    for w in words:
        expect(w.lower() in lines[0].lower(), f"stderr {lines[0]!r} does not say {w!r}")
    return lines[0]


def never_printed(r, *secrets):
    for s in secrets:
        expect(s not in r.stdout and s not in r.stderr,
               f"{s!r} was printed: stdout {r.stdout!r}, stderr {r.stderr!r}")


def only_request(fake):
    equal("requests", len(fake.requests), 1)
    req = fake.requests[0]
    fake.clear()
    return req


def idem_header(req):
    key = req.header("idempotency-key")
    expect(key is not None and TEST_IDEM.match(key), f"Idempotency-Key {key!r}")
    return key


def description_of(conf, name):
    """What test-channel puts in the description (src/cli/cmd_notify.c)."""
    return f"[{name}] settings of {conf}"


# ---------------------------------------------------------------------------
# PagerDuty

def pagerduty(t, fake, **keys):
    return t.lab.config(**{"webhook.oncall": {
        "type": "pagerduty", "url": fake.url, "routing_key": ROUTING_KEY, **keys}})


@check
def pagerduty_trigger_then_resolve_the_same_incident(t):
    with fakes.PagerDuty(ROUTING_KEY) as pd:
        conf = pagerduty(t, pd)
        db = t.lab.db()
        r = certsweep(t, conf, "test-channel", "oncall", "--key", "alert:expiry30:ab12", db=db)
        expect_sent(r)
        never_printed(r, ROUTING_KEY)
        req = only_request(pd)
        equal("method", req.method, "POST")
        equal("Content-Type", req.header("content-type"), "application/json")
        idem_header(req)
        ev = req.json
        equal("event keys", sorted(ev), ["client", "dedup_key", "event_action", "payload",
                                          "routing_key"])
        equal("routing_key", ev["routing_key"], ROUTING_KEY)
        equal("event_action", ev["event_action"], "trigger")
        equal("dedup_key", ev["dedup_key"], "alert:expiry30:ab12")
        equal("client", ev["client"], "certsweep")
        p = ev["payload"]
        equal("payload keys", sorted(p), ["custom_details", "severity", "source", "summary"])
        equal("summary", p["summary"], SUBJECT)
        equal("severity", p["severity"], "info")
        expect(isinstance(p["source"], str) and p["source"], f"source {p['source']!r}")
        d = p["custom_details"]
        equal("custom_details.kind", d["kind"], "test")
        expect(description_of(conf, "webhook.oncall") in d["description"],
               f"custom_details.description {d['description']!r}")
        equal("incident", pd.incidents["alert:expiry30:ab12"]["state"], "triggered")

        r = certsweep(t, conf, "test-channel", "oncall", "--resolve", "--key",
                      "alert:expiry30:ab12", db=db)
        expect_sent(r)
        never_printed(r, ROUTING_KEY)
        req = only_request(pd)
        idem_header(req)
        equal("resolve event", req.json, {"routing_key": ROUTING_KEY,
                                          "event_action": "resolve",
                                          "dedup_key": "alert:expiry30:ab12"})
        inc = pd.incidents["alert:expiry30:ab12"]
        equal("incident", inc["state"], "resolved")
        equal("incident events", inc["events"], ["trigger", "resolve"])


@check
def pagerduty_default_key_is_test_name(t):
    with fakes.PagerDuty(ROUTING_KEY) as pd:
        expect_sent(certsweep(t, pagerduty(t, pd), "test-channel", "webhook.oncall"))
        equal("dedup_key", only_request(pd).json["dedup_key"], "test:webhook.oncall")


@check
def pagerduty_400_is_final_with_pagerdutys_message(t):
    with fakes.PagerDuty(ROUTING_KEY) as pd:
        pd.fail(400)
        r = certsweep(t, pagerduty(t, pd), "test-channel", "oncall")
        expect_error(r, 2, "400", "Event object is invalid",
                     "'payload.summary' is missing or blank")
        never_printed(r, ROUTING_KEY)


@check
def pagerduty_wrong_routing_key_is_refused_without_printing_it(t):
    short = "shortKey0123"
    with fakes.PagerDuty(ROUTING_KEY) as pd:
        conf = pagerduty(t, pd, routing_key=short)
        r = certsweep(t, conf, "test-channel", "oncall")
        expect_error(r, 2, "Length of 'routing_key' is incorrect", "routing_key")
        never_printed(r, short)
        equal("incidents", pd.incidents, {})
        conf = pagerduty(t, pd, routing_key="Another32CharacterRoutingKey0000")
        r = certsweep(t, conf, "test-channel", "oncall")
        expect_error(r, 2, "Invalid routing key")
        never_printed(r, "Another32CharacterRoutingKey0000")


@check
def pagerduty_429_is_rate_limited_and_names_the_wait(t):
    with fakes.PagerDuty(ROUTING_KEY) as pd:
        pd.fail(429, retry_after=7)
        r = certsweep(t, pagerduty(t, pd), "test-channel", "oncall")
        line = expect_error(r, 1, "rate-limited", "429")
        expect(re.search(r"\b7 s\b", line), f"the wait is not named: {line!r}")
        never_printed(r, ROUTING_KEY)


@check
def pagerduty_500_and_down_may_pass_then_the_same_port_works(t):
    with fakes.PagerDuty(ROUTING_KEY) as pd:
        conf = pagerduty(t, pd)
        pd.fail(500)
        r = certsweep(t, conf, "test-channel", "oncall")
        expect_error(r, 1, "500")
        never_printed(r, ROUTING_KEY)
        pd.behave()
        pd.clear()
        pd.stop()
        r = certsweep(t, conf, "test-channel", "oncall")
        expect_error(r, 1, f"127.0.0.1:{pd.port}")
        never_printed(r, ROUTING_KEY)
        pd.restart()
        expect_sent(certsweep(t, conf, "test-channel", "oncall"))
        equal("incident", pd.incidents["test:webhook.oncall"]["state"], "triggered")


# ---------------------------------------------------------------------------
# Slack

SLACK_SECRET = "x7Kq9zSecretWebhookToken"


def slack(t, fake, **keys):
    return t.lab.config(**{"webhook.chat": {"type": "slack", "url": fake.url, **keys}})


@check
def slack_text_for_raise_and_resolve(t):
    with fakes.Slack() as sl:
        conf = slack(t, sl)
        r = certsweep(t, conf, "test-channel", "chat")
        expect_sent(r)
        req = only_request(sl)
        equal("Content-Type", req.header("content-type"), "application/json")
        idem_header(req)
        equal("keys", sorted(req.json), ["text"])
        text = req.json["text"]
        expect(text.startswith(f"*{SUBJECT}*\nThis is a test from certsweep"), repr(text))
        expect(description_of(conf, "webhook.chat") in text, repr(text))
        equal("answer", req.status, 200)

        expect_sent(certsweep(t, conf, "test-channel", "chat", "--resolve"))
        equal("text", only_request(sl).json["text"],
              f":white_check_mark: Resolved: {SUBJECT}\ncertsweep test: resolved")


@check
def slack_markup_characters_are_escaped(t):
    # The configuration file's name goes into the description: one with
    # Slack's markup characters must arrive as entities, not as a mention.
    with fakes.Slack() as sl:
        conf = slack(t, sl)
        odd = os.path.join(t.lab.dir, "a<!channel>&b.conf")
        shutil.copy(conf, odd)
        os.chmod(odd, 0o600)
        expect_sent(certsweep(t, odd, "test-channel", "chat"))
        text = only_request(sl).json["text"]
        expect("a&lt;!channel&gt;&amp;b.conf" in text, repr(text))
        expect("<!channel>" not in text, repr(text))


@check
def slack_429_with_retry_after(t):
    with fakes.Slack() as sl:
        sl.fail(429, retry_after=30)
        r = certsweep(t, slack(t, sl), "test-channel", "chat")
        line = expect_error(r, 1, "rate-limited")
        expect(re.search(r"\b30 s\b", line), f"the wait is not named: {line!r}")
        never_printed(r, SLACK_SECRET)


@check
def slack_refusals_are_final_and_explained(t):
    with fakes.Slack() as sl:
        conf = slack(t, sl)
        for status, code, words in ((400, "invalid_payload", ["did not accept"]),
                                    (404, "no_service", ["revoked", "url"]),
                                    (410, "channel_is_archived", ["archived"])):
            sl.fail(status)
            r = certsweep(t, conf, "test-channel", "chat")
            expect_error(r, 2, str(status), code, *words)
            never_printed(r, SLACK_SECRET)


@check
def slack_wrong_url_is_final_without_printing_it(t):
    with fakes.Slack() as sl:
        url = sl.url_base + "/services/T0CERTS01/B0SWEEP02/WrongSecretToken99"
        r = certsweep(t, slack(t, sl, url=url), "test-channel", "chat")
        expect_error(r, 2, "404", "no_service")
        never_printed(r, "WrongSecretToken99")


@check
def slack_over_https_with_ca_file(t):
    with fakes.Slack(cert=t.lab.chain, key=t.lab.key) as sl:
        r = certsweep(t, slack(t, sl, ca_file=t.lab.ca), "test-channel", "chat")
        if r.returncode != 0:
            raise Fail(f"exit {r.returncode}, stderr {r.stderr!r}")
        equal("stderr (no http:// warning)", r.stderr, "")
        expect(only_request(sl).json["text"].startswith(f"*{SUBJECT}*"), "text")


@check
def slack_webhook_url_is_not_printed_on_success(t):
    # The path of a Slack webhook URL is the credential to post.
    with fakes.Slack() as sl:
        r = certsweep(t, slack(t, sl), "test-channel", "chat")
        expect_sent(r)
        never_printed(r, SLACK_SECRET)


# ---------------------------------------------------------------------------
# Teams

def teams(t, fake, **keys):
    return t.lab.config(**{"webhook.team": {"type": "teams", "url": fake.url, **keys}})


@check
def teams_adaptive_card(t):
    with fakes.Teams() as tm:
        conf = teams(t, tm)
        r = certsweep(t, conf, "test-channel", "team")
        expect_sent(r)
        never_printed(r, "TeamsSigSecretValue123")
        req = only_request(tm)
        equal("answer", req.status, 202)
        equal("Content-Type", req.header("content-type"), "application/json")
        idem_header(req)
        msg = req.json
        equal("keys", sorted(msg), ["attachments", "type"])
        equal("type", msg["type"], "message")
        equal("attachments", len(msg["attachments"]), 1)
        a = msg["attachments"][0]
        equal("attachment keys", sorted(a), ["content", "contentType"])
        equal("contentType", a["contentType"], "application/vnd.microsoft.card.adaptive")
        card = a["content"]
        equal("$schema", card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json")
        equal("card type", card["type"], "AdaptiveCard")
        equal("version", card["version"], "1.2")
        body = card["body"]
        equal("body length", len(body), 2)
        equal("title", body[0], {"type": "TextBlock", "text": SUBJECT, "weight": "Bolder",
                                 "wrap": True})
        equal("text keys", sorted(body[1]), ["text", "type", "wrap"])
        equal("text type", (body[1]["type"], body[1]["wrap"]), ("TextBlock", True))
        expect(description_of(conf, "webhook.team") in body[1]["text"], repr(body[1]))

        expect_sent(certsweep(t, conf, "test-channel", "team", "--resolve"))
        body = only_request(tm).json["attachments"][0]["content"]["body"]
        equal("resolved", [b["text"] for b in body],
              [f"Resolved: {SUBJECT}", "certsweep test: resolved"])


@check
def teams_refusal_is_final(t):
    with fakes.Teams() as tm:
        tm.fail(400)
        r = certsweep(t, teams(t, tm), "test-channel", "team")
        expect_error(r, 2, "400", "InvalidRequestContent")
        never_printed(r, "TeamsSigSecretValue123", fakes.Teams.PATH)


# ---------------------------------------------------------------------------
# Generic

def generic(t, fake, **keys):
    return t.lab.config(**{"webhook.hook": {"type": "generic", "url": fake.url, **keys}})


@check
def generic_body_and_headers(t):
    with fakes.Generic(bearer=BEARER) as g:
        conf = generic(t, g, bearer_token=BEARER)
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        r = certsweep(t, conf, "test-channel", "hook", "--key", "alert:x:1")
        after = datetime.datetime.now(datetime.timezone.utc)
        expect_sent(r)
        never_printed(r, BEARER)
        req = only_request(g)
        equal("answer", req.status, 200)
        equal("Content-Type", req.header("content-type"), "application/json")
        equal("Authorization", req.header("authorization"), f"Bearer {BEARER}")
        idem = idem_header(req)
        b = req.json
        equal("fields", sorted(b), sorted([
            "source", "version", "idempotency_key", "action", "key", "kind", "subject",
            "description", "note", "severity", "sent_at"]))
        equal("source", b["source"], "certsweep")
        equal("version", b["version"], 1)
        equal("idempotency_key", b["idempotency_key"], idem)
        equal("action", b["action"], "raise")
        equal("key", b["key"], "alert:x:1")
        equal("kind", b["kind"], "test")
        equal("subject", b["subject"], SUBJECT)
        expect(description_of(conf, "webhook.hook") in b["description"], repr(b))
        equal("note", b["note"], "certsweep test: raised again")
        equal("severity", b["severity"], "info")
        expect(RFC3339_Z.match(b["sent_at"]), f"sent_at {b['sent_at']!r}")
        sent = datetime.datetime.strptime(b["sent_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        expect(before <= sent <= after, f"sent_at {sent} not within {before}..{after}")

        expect_sent(certsweep(t, conf, "test-channel", "hook", "--resolve", "--key",
                              "alert:x:1"))
        b = only_request(g).json
        equal("resolve", (b["action"], b["key"], b["note"]),
              ("resolve", "alert:x:1", "certsweep test: resolved"))


@check
def generic_without_token_sends_no_authorization(t):
    with fakes.Generic(status=204) as g:
        expect_sent(certsweep(t, generic(t, g), "test-channel", "hook"))
        req = only_request(g)
        equal("answer", req.status, 204)
        equal("Authorization", req.header("authorization"), None)
        idem_header(req)


@check
def generic_wrong_token_is_final_without_printing_it(t):
    with fakes.Generic(bearer=BEARER) as g:
        wrong = "not-the-Token-4411"
        r = certsweep(t, generic(t, g, bearer_token=wrong), "test-channel", "hook")
        expect_error(r, 2, "401")
        never_printed(r, wrong, BEARER)


# ---------------------------------------------------------------------------
# Every type


@check
def secrets_a_receiver_echoes_are_not_printed(t):
    with fakes.Generic(bearer=BEARER) as g, fakes.PagerDuty(ROUTING_KEY) as pd, \
            fakes.Slack() as sl:
        g.fail(500, f"upstream said: Authorization: Bearer {BEARER} expired")
        r = certsweep(t, generic(t, g, bearer_token=BEARER), "test-channel", "hook")
        expect_error(r, 1, "500", "[bearer_token]")
        never_printed(r, BEARER)
        pd.fail(400, {"status": "invalid event", "message": "Event object is invalid",
                      "errors": [f"routing_key {ROUTING_KEY} is disabled"]})
        r = certsweep(t, pagerduty(t, pd), "test-channel", "oncall")
        expect_error(r, 2, "[routing_key] is disabled", "routing_key")
        never_printed(r, ROUTING_KEY)
        sl.fail(500, f"error posting to {sl.url}")
        r = certsweep(t, slack(t, sl), "test-channel", "chat")
        expect_error(r, 1, "500", "/...")
        never_printed(r, SLACK_SECRET)


@check
def a_hanging_receiver_times_out_within_the_timeout(t):
    with fakes.Generic() as g:
        g.hang()
        r = certsweep(t, generic(t, g, timeout=2), "test-channel", "hook", timeout=30)
        line = expect_error(r, 1, f"127.0.0.1:{g.port}")
        expect("time" in line.lower(), f"stderr {line!r} does not say it timed out")
        expect(1.5 <= r.elapsed <= 8, f"took {r.elapsed:.1f} s with timeout = 2")
        expect(g.wait_for(1, timeout=1), "the request never arrived")


@check
def http_url_is_warned_about(t):
    with fakes.Slack() as sl, fakes.PagerDuty(ROUTING_KEY) as pd:
        r = certsweep(t, slack(t, sl), "test-channel", "chat")
        expect_sent(r)
        warn = [line for line in r.stderr.splitlines() if line.startswith("certsweep: warning:")]
        equal("warnings", len(warn), 1)
        expect("http://" in warn[0] and "unencrypted" in warn[0], repr(warn[0]))
        expect(SLACK_SECRET not in warn[0], f"the warning shows the URL's secret: {warn[0]!r}")
        r = certsweep(t, pagerduty(t, pd), "test-channel", "oncall")
        expect_sent(r)
        expect(any("routing key" in line for line in r.stderr.splitlines()), r.stderr)


def main():
    harness.enter_private_network("every receiver is on 127.0.0.1")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    t = Context()
    t.lab = Rig()
    return harness.run_checks(t, show_time=VERBOSE)


if __name__ == "__main__":
    sys.exit(main())
