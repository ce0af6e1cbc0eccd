#!/usr/bin/python3
"""End-to-end test of the ticketing channel (src/ticket.c and its backends,
docs/tickets.md): `certsweep test-channel NAME [--resolve] [--key KEY]`
against the fakes of fakes_ticketing.py.

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_ticketing.py [-v]

Runs the real certsweep binary with a configuration file written for each
check (mode 0600, [ticketing.*] sections) and a SQLite inventory, and
checks what the fake systems hold afterwards and what certsweep said.  For
each of ServiceDesk Plus, ServiceNow and Jira:

  - a raise opens exactly one ticket, with the section's fields, the
    problem's key (SDP: the key line of the description; ServiceNow:
    correlation_id; Jira: the label) and the right credentials;
  - a second raise of the same key adds a note and opens nothing;
  - a resolve closes the ticket with the closing text, and a second
    resolve does nothing at all;
  - a ticket closed by hand gets a new one at the next raise;
  - a ticket created before a crash (in the system, not in the
    inventory) is found by its key and reused;
  - refused credentials fail at once, saying so; a 429 says rate-limited
    and the wait; a 500 and a system that is down fail (to be retried),
    and the same port up again works; a system that hangs fails within
    the configured timeout;
  - no secret is ever printed, and the fake saw no malformed request;
  - a 2xx answer without the field that says open or closed, or a search
    answer without its list, is an error, never "closed" or "none found"
    (which would open a duplicate at every raise).

And per system: ServiceDesk Plus's failure inside an HTTP 200, its cloud
flavour (Zoho OAuth, request_note); ServiceNow over OAuth, over https://
with ca_file, and its error message for a wrong table; Jira Cloud's 410
for /rest/api/2/search (then /rest/api/3/search/jql), Data Center's
personal access token, a workflow whose closing transition has another
name, and one without any.  close_resolved = no leaves the ticket open
with the closing note.  An http:// URL works, with one warning.

Prints one line per check (`ok NAME`, `FAIL NAME: why`, `skip NAME: why`)
and `N passed, M failed`; exits 1 if any check failed.  Standard library
only.  Like test_scan.py, the script re-runs itself in a network namespace
of its own (unshare --net) when it may.
"""

import html
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import harness
from harness import VERBOSE, Context, Fail, check, equal, expect

import fakes_ticketing as fakes

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
SUBJECT = "certsweep test ticket"
NOTE_RAISE = "certsweep test: raised again"
NOTE_RESOLVE = "certsweep test: resolved"

SDP_TOKEN = "5DEB1C2A-AUTH-TOKEN-0042"
SNOW_USER, SNOW_PASSWORD = "certsweep", "Snow-Pa55word!"
JIRA_EMAIL, JIRA_TOKEN = "certsweep@example.com", "jira-API-token-77"
JIRA_PAT = "jira-PAT-Secret-0099"
OAUTH = ("1000.CLIENTID", "client-Secret-abc", "refresh-Token-xyz")
SECRETS = [SDP_TOKEN, SNOW_PASSWORD, JIRA_TOKEN, JIRA_PAT, OAUTH[1], OAUTH[2]]


class Rig:
    """What harness.run_checks starts and stops as its lab: the lab's
    certificates and a directory for configuration files and inventories."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="certsweep-ticketing-")
        self.certs = os.path.join(self.dir, "certs")
        self.n = 0

    def start(self):
        subprocess.run([os.path.join(harness.LAB_DIR, "gencerts.sh"), self.certs],
                       check=True, stdout=subprocess.DEVNULL)
        self.chain = os.path.join(self.certs, "rsa.chain.pem")
        self.key = os.path.join(self.certs, "rsa.key")
        self.ca = os.path.join(self.certs, "ca.pem")

    def stop(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, sections):
        """A configuration file (mode 0600) of sections {"ticketing.x":
        {key: value}}."""
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


def certsweep(t, conf, db, *args, timeout=60):
    """certsweep --db DB --config CONF ARGS, in an environment without the
    user's configuration or secrets.  Returns the CompletedProcess with
    .elapsed (seconds)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CERTSWEEP_") and k != "XDG_CONFIG_HOME"}
    env["HOME"] = t.lab.dir
    argv = [CERTSWEEP, "--db", db, "--config", conf] + list(args)
    started = time.monotonic()
    p = harness.start_in_group(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    r = harness.finish(p, argv[1:], timeout)
    r.elapsed = time.monotonic() - started
    if VERBOSE:
        print(f"  $ certsweep {' '.join(argv[1:])}\n  exit {r.returncode} "
              f"({r.elapsed:.1f} s)\n  stdout: {r.stdout!r}\n  stderr: {r.stderr!r}")
    for s in SECRETS:
        expect(s not in r.stdout and s not in r.stderr,
               f"a secret was printed: stdout {r.stdout!r}, stderr {r.stderr!r}")
    return r


def warnings_and_errors(r):
    """stderr without the http:// warning that every run on a plain fake
    gets (checked on its own by http_url_works_with_one_warning)."""
    return [line for line in r.stderr.splitlines()
            if not (line.startswith("certsweep: warning:") and "http://" in line)]


def expect_done(r, *words):
    """Exit 0, nothing on stderr past the warning, stdout saying words."""
    if r.returncode != 0:
        raise Fail(f"exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")
    equal("stderr past the http:// warning", warnings_and_errors(r), [])
    for w in words:
        expect(w in r.stdout, f"stdout {r.stdout!r} does not say {w!r}")


def expect_error(r, status, *words):
    """Exit status, nothing on stdout, one error line holding words."""
    if r.returncode != status:
        raise Fail(f"exit {r.returncode}, want {status}; stdout {r.stdout!r}, "
                   f"stderr {r.stderr!r}")
    equal("stdout", r.stdout, "")
    lines = warnings_and_errors(r)
    expect(len(lines) == 1, f"want one error line on stderr, got {r.stderr!r}")
    for w in words:
        expect(w.lower() in lines[0].lower(), f"stderr {lines[0]!r} does not say {w!r}")
    return lines[0]


def no_errors(fake):
    equal(f"{fake.name} malformed requests", fake.errors, [])
    equal(f"{fake.name} requests refused 401", fake.auth_failures, [])


def description_of(conf, channel):
    """The start of what test-channel writes as the description
    (src/cli/cmd_notify.c)."""
    return f"sent with the [{channel}] settings of {conf}."


# ---------------------------------------------------------------------------
# The three systems, each behind the same small interface, so that the
# common checks below run on each.

class SDP:
    name = "sdp"
    channel = "ticketing.sdp"
    shapeless_open = "ServiceDesk Plus answered 200 without request.status.name"
    shapeless_find = "ServiceDesk Plus answered 200 without a requests list"

    def fake(self, **kw):
        return fakes.ServiceDeskPlus(authtoken=SDP_TOKEN, **kw)

    def section(self, fake, **keys):
        s = {"type": "servicedeskplus", "url": fake.url, "authtoken": SDP_TOKEN,
             "requester": "Certificate Monitor", "priority": "High", "category": "Security",
             "technician_group": "PKI", "priority_critical": "Urgent"}
        s.update(keys)
        return s

    wrong_credentials = {"authtoken": "WRONG-TOKEN"}

    def check_created(self, fake, t, conf, key):
        equal("subject", t["subject"], SUBJECT)
        d = t["description"]
        expect(d.startswith("This is a test from certsweep running at "), repr(d))
        expect(html.escape(description_of(conf, self.channel), quote=True) + "<br>It can be "
               "closed." in d, f"description {d!r}")
        expect(d.endswith(f"<br><br>certsweep-key: {html.escape(key)}"),
               f"description {d!r} does not end in the key line")
        equal("requester", t["requester"], "Certificate Monitor")
        equal("priority", t["priority"], "High")
        equal("category", t["category"], "Security")
        equal("group", t["group"], "PKI")
        for req in fake.api_requests():
            equal("authtoken header", req.header("authtoken"), SDP_TOKEN)
            equal("Authorization header", req.header("authorization"), None)
            equal("Accept", req.header("accept"), fakes.SDP_ACCEPT)

    def notes(self, t):
        return [n for n, _ in t["notes"]]

    def check_note(self, t, text):
        equal("notes", t["notes"], [(text, True)])

    def check_closed(self, t, text):
        equal("status", t["status"], "Closed")
        equal("closure", t["closure"], (text, "Success"))

    def number(self, t):
        return t["id"]

    def plant(self, fake, key):
        return fake.plant(key, SUBJECT)["id"]


class SNOW:
    name = "snow"
    channel = "ticketing.snow"
    shapeless_open = "ServiceNow answered 200 without result.active"
    shapeless_find = "ServiceNow answered 200 without a result list"

    def fake(self, **kw):
        return fakes.ServiceNow(user=SNOW_USER, password=SNOW_PASSWORD, **kw)

    def section(self, fake, **keys):
        s = {"type": "servicenow", "url": fake.url, "username": SNOW_USER,
             "password": SNOW_PASSWORD, "caller_id": "certsweep",
             "assignment_group": "PKI Operations", "category": "security", "urgency": "2",
             "impact": "3", "urgency_info": "3"}
        s.update(keys)
        return s

    wrong_credentials = {"password": "wrong-password"}

    def check_created(self, fake, t, conf, key):
        equal("short_description", t["short_description"], SUBJECT)
        expect(description_of(conf, self.channel) in t["description"], repr(t["description"]))
        equal("comments", t["comments"], t["description"])
        equal("correlation_id", t["correlation_id"], key)
        equal("correlation_display", t["correlation_display"], "certsweep")
        equal("caller_id", t["caller_id"], "certsweep")
        equal("assignment_group", t["assignment_group"], "PKI Operations")
        equal("category", t["category"], "security")
        # test-channel's event is of severity info: urgency_info replaces urgency.
        equal("urgency", t["urgency"], "3")
        equal("impact", t["impact"], "3")
        for req in fake.api_requests():
            equal("Authorization", req.header("authorization"),
                  fakes._basic(SNOW_USER, SNOW_PASSWORD))

    def notes(self, t):
        return t["work_notes"]

    def check_note(self, t, text):
        equal("work_notes", t["work_notes"], [text])

    def check_closed(self, t, text):
        equal("state", t["state"], "6")
        equal("active", t["active"], "false")
        equal("close_code", t["close_code"], "Solution provided")
        equal("close_notes", t["close_notes"], text)

    def number(self, t):
        return t["number"]

    def plant(self, fake, key):
        return fake.plant(key, SUBJECT)["sys_id"]


class JIRA:
    name = "jira"
    channel = "ticketing.jira"
    shapeless_open = "Jira answered 200 without fields.status.statusCategory.key"
    shapeless_find = "Jira answered 200 without an issues list"

    def fake(self, **kw):
        kw.setdefault("email", JIRA_EMAIL)
        kw.setdefault("api_token", JIRA_TOKEN)
        return fakes.Jira(project="OPS", **kw)

    def section(self, fake, **keys):
        s = {"type": "jira", "url": fake.url, "project": "OPS", "email": JIRA_EMAIL,
             "api_token": JIRA_TOKEN, "priority": "Medium", "priority_info": "Low"}
        s.update(keys)
        return s

    wrong_credentials = {"api_token": "wrong-token"}

    def check_created(self, fake, t, conf, key):
        equal("summary", t["summary"], SUBJECT)
        expect(description_of(conf, self.channel) in t["description"], repr(t["description"]))
        equal("issuetype", t["issuetype"], "Task")
        equal("priority (priority_info)", t["priority"], "Low")
        equal("labels", t["labels"], ["certsweep", fakes.jira_label(key)])
        for req in fake.api_requests():
            equal("Authorization", req.header("authorization"),
                  fakes._basic(JIRA_EMAIL, JIRA_TOKEN))

    def notes(self, t):
        return t["comments"]

    def check_note(self, t, text):
        equal("comments", t["comments"], [text])

    def check_closed(self, t, text):
        equal("status", t["status"], "Done")
        equal("comments", t["comments"][-1:], [text])

    def number(self, t):
        return t["key"]

    def plant(self, fake, key):
        return fake.plant(key, SUBJECT)["key"]


SYSTEMS = [SDP(), SNOW(), JIRA()]


def setup(t, system, fake, **keys):
    """A configuration with the system's section, and a new inventory."""
    return t.lab.config({system.channel: system.section(fake, **keys)}), t.lab.db()


def only_ticket(fake):
    tickets = list(fake.tickets.values())
    equal(f"{fake.name} tickets", len(tickets), 1)
    return tickets[0]


def key_for(system, what):
    return f"alert:expiry30:{system.name}-{what}"


# ---------------------------------------------------------------------------
# The checks every system gets

def raise_opens_one_ticket_with_the_fields(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "open")
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        tk = only_ticket(fake)
        expect_done(r, f"{system.channel}: ticket {system.number(tk)} opened")
        system.check_created(fake, tk, conf, key)
        equal("notes", system.notes(tk), [])
        expect(fake.is_open(tk), "the ticket is not open")
        no_errors(fake)


def second_raise_adds_a_note(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "note")
        expect_done(certsweep(t, conf, db, "test-channel", system.name, "--key", key))
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        tk = only_ticket(fake)
        expect_done(r, f"ticket {system.number(tk)} is open: note added")
        system.check_note(tk, NOTE_RAISE)
        no_errors(fake)


def resolve_closes_with_the_closing_text(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "close")
        expect_done(certsweep(t, conf, db, "test-channel", system.name, "--key", key))
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key, "--resolve")
        tk = only_ticket(fake)
        expect_done(r, f"ticket {system.number(tk)} closed")
        system.check_closed(tk, NOTE_RESOLVE)
        # Nothing is open any more: a second resolve asks the system nothing.
        fake.clear()
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key, "--resolve")
        expect_done(r, "nothing to resolve")
        equal("requests of a second resolve", fake.api_requests(), [])
        no_errors(fake)


def hand_closed_ticket_gets_a_new_one(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "byhand")
        expect_done(certsweep(t, conf, db, "test-channel", system.name, "--key", key))
        first = only_ticket(fake)
        fake.close_by_hand(list(fake.tickets)[0])
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        equal("tickets", len(fake.tickets), 2)
        second = list(fake.tickets.values())[1]
        expect_done(r, f"ticket {system.number(second)} opened")
        expect(not fake.is_open(first), "the hand-closed ticket was reopened")
        equal("notes on the hand-closed ticket", system.notes(first), [])
        expect(fake.is_open(second), "the new ticket is not open")
        system.check_created(fake, second, conf, key)
        # And that one is the ticket of the problem now.
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key, "--resolve")
        expect_done(r, f"ticket {system.number(second)} closed")
        no_errors(fake)


def ticket_created_before_a_crash_is_reused(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "crash")
        # A ticket of another problem with the same subject, and one of
        # this problem that is closed: neither is the one.
        system.plant(fake, key_for(system, "other"))
        closed = system.plant(fake, key)
        fake.close_by_hand(closed)
        planted = system.plant(fake, key)
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        equal("tickets", len(fake.tickets), 3)
        tk = fake.tickets[planted]
        expect_done(r, f"ticket {system.number(tk)} opened")
        equal("notes", system.notes(tk), [])
        # Recorded: the next raise adds a note to it.
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        expect_done(r, f"ticket {system.number(tk)} is open: note added")
        equal("tickets", len(fake.tickets), 3)
        no_errors(fake)


def refused_credentials_fail_at_once(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake, **system.wrong_credentials)
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key_for(system, "401"))
        expect_error(r, 2, system.channel, "401", "refused the credentials")
        equal("tickets", fake.tickets, {})
        equal("requests", len(fake.requests), 1)
        equal("malformed requests", fake.errors, [])


def rate_limit_says_so(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        fake.fail(429, retry_after=7)
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key_for(system, "429"))
        expect_error(r, 1, "rate-limited", "429", "7 s")
        fake.behave()
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key_for(system, "429"))
        expect_done(r, "opened")
        only_ticket(fake)
        no_errors(fake)


def server_error_and_outage_may_pass(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "down")
        fake.fail(500)
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        expect_error(r, 1, system.channel, "500", "server error")
        fake.behave()
        fake.stop()
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        expect_error(r, 1, system.channel, f"127.0.0.1:{fake.port}")
        fake.restart()
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        expect_done(r, "opened")
        only_ticket(fake)
        no_errors(fake)


def hanging_system_times_out(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake, timeout=2)
        fake.hang()
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key_for(system, "hang"),
                      timeout=30)
        line = expect_error(r, 1, system.channel, f"127.0.0.1:{fake.port}", "timed out")
        expect(1.5 <= r.elapsed <= 8, f"took {r.elapsed:.1f} s with timeout = 2: {line}")


def answers_without_their_shape_are_errors(t, system):
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        # A search answered without its list: not "none found".
        fake.shapeless()
        key = key_for(system, "shapeless")
        r = certsweep(t, conf, db, "test-channel", system.name, "--key", key)
        expect_error(r, 1, system.channel, system.shapeless_find)
        equal("tickets", fake.tickets, {})
        # A known ticket answered without its state: not "closed by hand".
        fake.behave()
        expect_done(certsweep(t, conf, db, "test-channel", system.name, "--key", key), "opened")
        fake.shapeless()
        for args in ([], ["--resolve"]):
            r = certsweep(t, conf, db, "test-channel", system.name, "--key", key, *args)
            expect_error(r, 1, system.channel, system.shapeless_open)
        tk = only_ticket(fake)
        expect(fake.is_open(tk), "the ticket was closed")
        equal("notes", system.notes(tk), [])
        # Once the answers are whole again, the same ticket goes on.
        fake.behave()
        expect_done(certsweep(t, conf, db, "test-channel", system.name, "--key", key),
                    f"ticket {system.number(tk)} is open: note added")
        only_ticket(fake)
        no_errors(fake)


for _system in SYSTEMS:
    for _fn in (raise_opens_one_ticket_with_the_fields, second_raise_adds_a_note,
                resolve_closes_with_the_closing_text, hand_closed_ticket_gets_a_new_one,
                ticket_created_before_a_crash_is_reused, refused_credentials_fail_at_once,
                rate_limit_says_so, server_error_and_outage_may_pass, hanging_system_times_out,
                answers_without_their_shape_are_errors):
        check(lambda t, fn=_fn, s=_system: fn(t, s), name=f"{_system.name}_{_fn.__name__}")


# ---------------------------------------------------------------------------
# ServiceDesk Plus

@check
def sdp_failure_inside_200_is_refused_with_its_message(t):
    system = SDP()
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        fake.fail_inside_200("Requester 'Certificate Monitor' does not exist")
        r = certsweep(t, conf, db, "test-channel", "sdp", "--key", key_for(system, "4000"))
        expect_error(r, 2, "ticketing.sdp", "ServiceDesk Plus failed",
                     "Requester 'Certificate Monitor' does not exist", "4001", "requester")
        equal("tickets", fake.tickets, {})


@check
def sdp_search_finds_the_open_request_past_closed_and_other_ones(t):
    system = SDP()
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "many")
        # Closed requests of the problem, more than a page holds, then its
        # open one, then newer open requests of other problems with the
        # same subject.
        for i in range(12):
            fake.close_by_hand(system.plant(fake, key))
        planted = system.plant(fake, key)
        for i in range(5):
            system.plant(fake, key_for(system, f"other{i}"))
        fake.max_rows = 3
        r = certsweep(t, conf, db, "test-channel", "sdp", "--key", key)
        expect_done(r, f"ticket {planted} opened")
        equal("tickets", len(fake.tickets), 18)
        # Closed ones are left out by the search, and the newest come
        # first: the second page of three holds the open one.
        equal("search pages", fake.searches, 2)
        no_errors(fake)


@check
def sdp_cloud_uses_zoho_oauth_and_request_notes(t):
    system = SDP()
    with system.fake(oauth=OAUTH) as fake:
        section = system.section(fake, oauth_client_id=OAUTH[0],
                                 oauth_client_secret=OAUTH[1], oauth_refresh_token=OAUTH[2],
                                 oauth_token_url=f"{fake.url}/oauth/v2/token")
        del section["authtoken"]
        conf, db = t.lab.config({"ticketing.sdp": section}), t.lab.db()
        key = key_for(system, "cloud")
        r = certsweep(t, conf, db, "test-channel", "sdp", "--key", key)
        expect_done(r, "opened")
        # One grant per run, however many calls (search, create).
        equal("token requests", fake.token_requests, 1)
        expect(len(fake.api_requests()) >= 2, f"requests {fake.api_requests()}")
        for req in fake.api_requests():
            expect((req.header("authorization") or "").startswith("Zoho-oauthtoken access-"),
                   f"Authorization {req.header('authorization')!r}")
            equal("authtoken header", req.header("authtoken"), None)
        r = certsweep(t, conf, db, "test-channel", "sdp", "--key", key)
        expect_done(r, "note added")
        tk = only_ticket(fake)
        system.check_note(tk, NOTE_RAISE)
        expect(any("request_note" in (q.input or {}) for q in fake.api_requests()),
               "no request_note was sent")
        no_errors(fake)


@check
def sdp_cloud_refused_refresh_token_says_so(t):
    system = SDP()
    with system.fake(oauth=OAUTH) as fake:
        section = system.section(fake, oauth_client_id=OAUTH[0],
                                 oauth_client_secret=OAUTH[1],
                                 oauth_refresh_token="refresh-Token-revoked",
                                 oauth_token_url=f"{fake.url}/oauth/v2/token")
        del section["authtoken"]
        conf, db = t.lab.config({"ticketing.sdp": section}), t.lab.db()
        r = certsweep(t, conf, db, "test-channel", "sdp", "--key", key_for(system, "revoked"))
        expect_error(r, 2, "ticketing.sdp", "refused the refresh token", "invalid_code")
        expect("refresh-Token-revoked" not in r.stderr, "the refresh token was printed")
        equal("API requests", fake.api_requests(), [])


@check
def close_resolved_no_leaves_the_ticket_open_with_the_note(t):
    system = SDP()
    with system.fake() as fake:
        conf, db = setup(t, system, fake, close_resolved="no")
        key = key_for(system, "leaveopen")
        expect_done(certsweep(t, conf, db, "test-channel", "sdp", "--key", key))
        r = certsweep(t, conf, db, "test-channel", "sdp", "--key", key, "--resolve")
        expect_done(r, "closed")     # in the inventory: certsweep is done with it
        tk = only_ticket(fake)
        expect(fake.is_open(tk), "close_resolved = no closed the ticket")
        system.check_note(tk, NOTE_RESOLVE)
        equal("closure", tk["closure"], None)
        no_errors(fake)


# ---------------------------------------------------------------------------
# ServiceNow

@check
def snow_oauth_bearer_token(t):
    system = SNOW()
    with system.fake(oauth=OAUTH) as fake:
        section = system.section(fake, oauth_client_id=OAUTH[0], oauth_client_secret=OAUTH[1],
                                 oauth_refresh_token=OAUTH[2])
        del section["username"], section["password"]
        conf, db = t.lab.config({"ticketing.snow": section}), t.lab.db()
        key = key_for(system, "oauth")
        r = certsweep(t, conf, db, "test-channel", "snow", "--key", key)
        expect_done(r, "opened")
        equal("token requests", fake.token_requests, 1)
        for req in fake.api_requests():
            expect((req.header("authorization") or "").startswith("Bearer access-"),
                   f"Authorization {req.header('authorization')!r}")
        expect_done(certsweep(t, conf, db, "test-channel", "snow", "--key", key, "--resolve"),
                    "closed")
        system.check_closed(only_ticket(fake), NOTE_RESOLVE)
        no_errors(fake)


@check
def snow_revoked_token_is_replaced_once(t):
    system = SNOW()
    with system.fake(oauth=OAUTH) as fake:
        section = system.section(fake, oauth_client_id=OAUTH[0], oauth_client_secret=OAUTH[1],
                                 oauth_refresh_token=OAUTH[2])
        del section["username"], section["password"]
        conf, db = t.lab.config({"ticketing.snow": section}), t.lab.db()
        # Each token is good for one request: every call after the first
        # is refused once, and made again with a new token.
        fake.token_uses = 1
        r = certsweep(t, conf, db, "test-channel", "snow", "--key", key_for(system, "revoked"))
        expect_done(r, "opened")
        equal("token requests", fake.token_requests, 2)     # find_open, create
        only_ticket(fake)
        # A token refused at once, every time: one more grant, then the
        # 401 is the answer, not an endless loop.
        fake.token_uses = 0
        fake.token_requests = 0
        r = certsweep(t, conf, db, "test-channel", "snow", "--key", key_for(system, "never"))
        expect_error(r, 2, "ticketing.snow", "401", "refused the credentials")
        equal("token requests", fake.token_requests, 2)
        equal("tickets", len(fake.tickets), 1)


@check
def snow_over_https_with_ca_file(t):
    system = SNOW()
    with system.fake(cert=t.lab.chain, key=t.lab.key) as fake:
        conf, db = setup(t, system, fake, ca_file=t.lab.ca)
        r = certsweep(t, conf, db, "test-channel", "snow", "--key", key_for(system, "tls"))
        expect_done(r, "opened")
        equal("stderr", r.stderr, "")
        only_ticket(fake)
        # Without the CA, the server is not trusted and nothing is sent.
        conf, db = setup(t, system, fake)
        r = certsweep(t, conf, db, "test-channel", "snow", "--key", key_for(system, "tls2"))
        expect_error(r, 1, "ticketing.snow", "ca_file")
        equal("tickets", len(fake.tickets), 1)


@check
def snow_error_message_replaces_the_json(t):
    system = SNOW()
    with system.fake() as fake:
        conf, db = setup(t, system, fake, table="u_no_such_table")
        r = certsweep(t, conf, db, "test-channel", "snow", "--key", key_for(system, "table"))
        line = expect_error(r, 2, "ticketing.snow", "400", "Invalid table u_no_such_table")
        expect("{" not in line, f"the raw JSON is in {line!r}")


# ---------------------------------------------------------------------------
# Jira

@check
def jira_cloud_search_gone_falls_back_to_search_jql(t):
    system = JIRA()
    with system.fake(cloud_search=True) as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "cloud")
        planted = system.plant(fake, key)
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key)
        expect_done(r, f"ticket {planted} opened")
        equal("searches", fake.searches, ["/rest/api/2/search", "/rest/api/3/search/jql"])
        equal("tickets", len(fake.tickets), 1)
        fake.searches.clear()
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key_for(system, "cloud2"))
        expect_done(r, "opened")
        equal("tickets", len(fake.tickets), 2)
        no_errors(fake)


@check
def jira_data_center_personal_access_token(t):
    system = JIRA()
    with system.fake(pat=JIRA_PAT) as fake:
        section = system.section(fake, pat=JIRA_PAT)
        del section["email"], section["api_token"]
        conf, db = t.lab.config({"ticketing.jira": section}), t.lab.db()
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key_for(system, "pat"))
        expect_done(r, "opened")
        for req in fake.api_requests():
            equal("Authorization", req.header("authorization"), f"Bearer {JIRA_PAT}")
        no_errors(fake)


@check
def jira_closing_transition_by_name_or_category(t):
    system = JIRA()
    workflow = [("11", "Start", "In Progress"), ("51", "Close it", "Closed"),
                ("61", "Finish", "Done")]
    with system.fake(transitions=workflow) as fake:
        # No transition is called Done: the first to a Done status is taken.
        conf, db = setup(t, system, fake)
        key = key_for(system, "category")
        expect_done(certsweep(t, conf, db, "test-channel", "jira", "--key", key))
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key, "--resolve")
        expect_done(r, "closed")
        equal("status", only_ticket(fake)["status"], "Closed")
        # done_transition names one, whatever the case.
        conf, db = setup(t, system, fake, done_transition="FINISH")
        key = key_for(system, "named")
        expect_done(certsweep(t, conf, db, "test-channel", "jira", "--key", key))
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key, "--resolve")
        expect_done(r, "closed")
        equal("status", list(fake.tickets.values())[1]["status"], "Done")
        no_errors(fake)


@check
def jira_failed_transition_retried_leaves_one_comment(t):
    system = JIRA()
    with system.fake() as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "retry")
        expect_done(certsweep(t, conf, db, "test-channel", "jira", "--key", key))
        fake.fail_only("POST", r"/transitions$", 500)
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key, "--resolve")
        expect_error(r, 1, "ticketing.jira", "500")
        tk = only_ticket(fake)
        equal("comments after the failed transition", tk["comments"], [])
        fake.behave()
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key, "--resolve")
        expect_done(r, "closed")
        system.check_closed(tk, NOTE_RESOLVE)
        equal("comments", tk["comments"], [NOTE_RESOLVE])
        no_errors(fake)


@check
def jira_without_a_closing_transition_says_so(t):
    system = JIRA()
    with system.fake(transitions=[("11", "Start", "In Progress")]) as fake:
        conf, db = setup(t, system, fake)
        key = key_for(system, "stuck")
        expect_done(certsweep(t, conf, db, "test-channel", "jira", "--key", key))
        r = certsweep(t, conf, db, "test-channel", "jira", "--key", key, "--resolve")
        expect_error(r, 2, "ticketing.jira", "done_transition", "'Done'")
        tk = only_ticket(fake)
        equal("comments", tk["comments"], [])      # nothing half done
        expect(fake.is_open(tk), "the issue was closed")
        no_errors(fake)


# ---------------------------------------------------------------------------
# All

@check
def http_url_works_with_one_warning(t):
    for system in SYSTEMS:
        with system.fake() as fake:
            conf, db = setup(t, system, fake)
            r = certsweep(t, conf, db, "test-channel", system.name,
                          "--key", key_for(system, "http"))
            expect_done(r, "opened")
            warn = [line for line in r.stderr.splitlines()
                    if line.startswith("certsweep: warning:")]
            equal(f"{system.name} warnings", len(warn), 1)
            expect(f"[{system.channel}]" in warn[0] and fake.url in warn[0] and
                   "unencrypted" in warn[0], repr(warn[0]))


def main():
    harness.enter_private_network("every fake is on 127.0.0.1")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    t = Context()
    t.lab = Rig()
    return harness.run_checks(t, show_time=VERBOSE)


if __name__ == "__main__":
    sys.exit(main())
