#!/usr/bin/python3
"""End-to-end test of the commands that prepare `certsweep serve`.

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_schedule_cli.py [-v]
     CERTSWEEP_TEST_STORE=postgresql://... (same)      # on PostgreSQL

Runs the real certsweep binary against the store named by
$CERTSWEEP_TEST_STORE (a postgresql:// URL) or else a fresh SQLite file, and
checks what a user sees: the schedules and quiet hours of `network add|edit`
(--discover-every, --monitor-every, --vulnscan-every, --quiet-hours) and of
`alert add --every` as `network show` and `alert show` print them, the usage
errors that name a bad one, and the API tokens of `token create|list|revoke`:
printed once, never listed, gone once revoked, one per name.  No network is
scanned, so no lab is started.  Names carry a random suffix, so a run can
share a PostgreSQL database with earlier ones.  Prints one line per check
and `N passed, M failed`; exits 1 if any check failed.
"""

import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
import harness
from harness import VERBOSE, Context, Fail, Skip, check, equal, expect

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
TOKEN = re.compile(r"^cst_[0-9a-f]{64}$")


class NoLab:
    """run_checks starts and stops a lab; these checks need none."""

    def start(self):
        pass

    def stop(self):
        pass


T = Context()


def certsweep(*args, timeout=15):
    argv = [CERTSWEEP, "--db", T.store] + list(args)
    if VERBOSE:
        print("  $ " + " ".join(argv))
    env = dict(os.environ)
    env.pop("CERTSWEEP_DB", None)
    # An empty configuration: no [webhook] or [ticketing] is looked up.
    env["CERTSWEEP_CONFIG"] = os.path.join(T.tmp, "none.conf")
    p = harness.start_in_group(argv, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    return harness.finish(p, args, timeout)


def ok(*args):
    p = certsweep(*args)
    if p.returncode != 0:
        raise Fail(f"certsweep {' '.join(args)}: exit {p.returncode}: "
                   f"{p.stderr.strip()[:300]}")
    return p


def usage_error(args, *words):
    """certsweep ARGS exits 2 with one line on stderr that says every word."""
    p = certsweep(*args)
    cmd = "certsweep " + " ".join(repr(a) if " " in a or not a else a
                                  for a in args)
    expect(p.returncode == 2, f"{cmd}: exit {p.returncode}, want 2: "
           f"{p.stderr.strip()[:300]}")
    expect(p.stdout == "", f"{cmd}: stdout {p.stdout[:200]!r}")
    lines = p.stderr.splitlines()
    expect(len(lines) == 1, f"{cmd}: stderr is {len(lines)} lines: "
           f"{p.stderr[:400]!r}")
    for w in words:
        expect(w.lower() in lines[0].lower(),
               f"{cmd}: stderr {lines[0]!r} does not say {w!r}")
    return lines[0]


def show(*args):
    """`network show` / `alert show` as {field: value}."""
    fields = {}
    for line in ok(*args).stdout.splitlines():
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        fields[parts[0]] = parts[1] if len(parts) > 1 else ""
    return fields


def name(base):
    return f"{base}-{T.suffix}"


# ---------------------------------------------------------------------------
# Networks

@check
def network_add_with_schedules_shows_them(t):
    t.net = name("sched")
    ok("network", "add", t.net, "--range", "192.0.2.0/30",
       "--discover-every", "1d", "--monitor-every", "*/30 * * * *",
       "--vulnscan-every", "0 3 * * sun",
       "--quiet-hours", "mon-fri 08:00-18:00; sat,sun 00:00-24:00")
    f = show("network", "show", t.net)
    equal("discover every", f.get("discover every"), "1d")
    equal("monitor every", f.get("monitor every"), "*/30 * * * *")
    equal("vulnscan every", f.get("vulnscan every"), "0 3 * * sun")
    equal("quiet hours", f.get("quiet hours"),
          "mon-fri 08:00-18:00; sat,sun 00:00-24:00")


@check
def network_without_schedules_shows_none(t):
    plain = name("plain")
    ok("network", "add", plain, "--range", "192.0.2.8")
    f = show("network", "show", plain)
    for k in ("discover every", "monitor every", "vulnscan every",
              "quiet hours"):
        equal(k, f.get(k), "-")


@check
def network_edit_changes_and_clears_schedules(t):
    net = harness_needs(t, "net")
    ok("network", "edit", net, "--monitor-every", "6h",
       "--quiet-hours", "daily 22:00-06:00")
    f = show("network", "show", net)
    equal("monitor every", f.get("monitor every"), "6h")
    equal("quiet hours", f.get("quiet hours"), "daily 22:00-06:00")
    equal("discover every (kept)", f.get("discover every"), "1d")
    # "", none and off all clear.
    ok("network", "edit", net, "--discover-every", "", "--vulnscan-every",
       "none", "--quiet-hours", "OFF")
    f = show("network", "show", net)
    for k in ("discover every", "vulnscan every", "quiet hours"):
        equal(k, f.get(k), "-")
    equal("monitor every (kept)", f.get("monitor every"), "6h")


@check
def bad_schedules_are_usage_errors_naming_the_option(t):
    net = harness_needs(t, "net")
    before = ok("network", "show", net).stdout
    for args, words in (
            (["--discover-every", "5x"], ["--discover-every", "5x"]),
            (["--monitor-every", "0m"], ["--monitor-every", "1m"]),
            (["--vulnscan-every", "61 * * * *"], ["--vulnscan-every", "minute"]),
            (["--vulnscan-every", "0 3 * *"], ["--vulnscan-every", "five"]),
            (["--discover-every", "0 0 * * funday"],
             ["--discover-every", "day-of-week"]),
            (["--quiet-hours", "mon-fri"], ["--quiet-hours", "span"]),
            (["--quiet-hours", "mon 25:00-26:00"], ["--quiet-hours", "25:00"]),
            (["--quiet-hours", "someday 08:00-09:00"],
             ["--quiet-hours", "someday"]),
            (["--monitor-every"], ["--monitor-every"])):
        usage_error(["network", "edit", net] + args, *words)
        usage_error(["network", "add", name("bad"), "--range", "192.0.2.9"]
                    + args, *words)
    equal("network show after the errors", ok("network", "show", net).stdout,
          before)
    p = certsweep("network", "show", name("bad"))
    expect(p.returncode != 0, "a network was added despite a bad schedule")


@check
def network_help_describes_the_schedules(t):
    out = ok("network", "--help").stdout
    for opt in ("--discover-every", "--monitor-every", "--vulnscan-every",
                "--quiet-hours"):
        expect(opt in out, f"network --help does not mention {opt}")


# ---------------------------------------------------------------------------
# Alerts

@check
def alert_every_is_stored_and_shown(t):
    a = name("morning")
    ok("alert", "add", a, "--days", "30", "--syslog", "--every",
       "0 7 * * mon-fri")
    equal("run every", show("alert", "show", a).get("run every"),
          "0 7 * * mon-fri")
    b = name("unscheduled")
    ok("alert", "add", b, "--days", "30", "--syslog")
    equal("run every", show("alert", "show", b).get("run every"), "-")
    c = name("cleared")
    ok("alert", "add", c, "--days", "30", "--syslog", "--every", "none")
    equal("run every", show("alert", "show", c).get("run every"), "-")
    d = name("hourly")
    ok("alert", "add", d, "--days", "7", "--syslog", "--every", "1h")
    equal("run every", show("alert", "show", d).get("run every"), "1h")


@check
def alert_bad_every_is_a_usage_error(t):
    a = name("bad-alert")
    usage_error(["alert", "add", a, "--days", "30", "--syslog", "--every",
                 "every day"], "--every", "every day")
    usage_error(["alert", "add", a, "--days", "30", "--syslog", "--every",
                 "0 25 * * *"], "--every", "hour")
    p = certsweep("alert", "show", a)
    expect(p.returncode != 0, "the alert was added despite a bad --every")
    expect("--every" in ok("alert", "--help").stdout,
           "alert --help does not mention --every")


# ---------------------------------------------------------------------------
# API tokens

def token_rows():
    rows = []
    out = ok("token", "list", "--format", "jsonl").stdout
    for line in out.splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows, out


def stored_hashes():
    """The sha256 column of api_tokens, read around certsweep (SQLite only)."""
    if T.store.startswith(("postgresql:", "postgres:")):
        return None
    db = sqlite3.connect(T.store)
    try:
        return {r[0]: r[1] for r in db.execute(
            "SELECT name, sha256 FROM api_tokens")}
    finally:
        db.close()


@check
def token_create_prints_the_token_once(t):
    t.tok = name("ci")
    p = ok("token", "create", t.tok)
    lines = p.stdout.splitlines()
    equal("stdout lines", len(lines), 1)
    expect(TOKEN.match(lines[0]), f"token {lines[0]!r} is not cst_ and 64 "
           "lowercase hex digits")
    expect("only" in p.stderr and "once" in p.stderr,
           f"stderr does not say it is shown once: {p.stderr!r}")
    t.token = lines[0]
    hashes = stored_hashes()
    if hashes is not None:
        equal("stored hash", hashes.get(t.tok),
              hashlib.sha256(t.token.encode()).hexdigest())
    # A second token differs.
    t.tok2 = name("dashboard")
    other = ok("token", "create", t.tok2).stdout.strip()
    expect(TOKEN.match(other) and other != t.token,
           f"second token {other!r}")


@check
def token_list_shows_names_never_the_token(t):
    token = harness_needs(t, "token")
    rows, out = token_rows()
    names = [r.get("name") for r in rows]
    expect(t.tok in names and t.tok2 in names, f"token list: {names}")
    secret = token[len("cst_"):]
    digest = hashlib.sha256(token.encode()).hexdigest()
    expect(secret not in out and digest not in out,
           "token list shows the token or its hash")
    row = [r for r in rows if r.get("name") == t.tok][0]
    expect(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
                    str(row.get("created_at"))),
           f"created_at {row.get('created_at')!r}")
    expect(not row.get("last_used_at"), f"last used {row.get('last_used_at')!r}"
           " for a token never used")
    table = ok("token", "list", "--format", "table").stdout
    expect(t.tok in table and secret not in table, f"table {table!r}")


@check
def token_duplicate_name_is_an_error(t):
    harness_needs(t, "token")
    usage_error(["token", "create", t.tok], t.tok, "exists")
    rows, _ = token_rows()
    equal("tokens named " + t.tok,
          sum(1 for r in rows if r.get("name") == t.tok), 1)


@check
def token_revoke_removes_it(t):
    harness_needs(t, "token")
    out = ok("token", "revoke", t.tok).stdout
    expect(t.tok in out, f"revoke says {out!r}")
    rows, _ = token_rows()
    names = [r.get("name") for r in rows]
    expect(t.tok not in names, f"{t.tok} still listed: {names}")
    expect(t.tok2 in names, f"{t.tok2} went too: {names}")
    hashes = stored_hashes()
    if hashes is not None:
        expect(t.tok not in hashes, "the revoked token's hash is still stored")
    usage_error(["token", "revoke", t.tok], t.tok)
    # The name may be used again, for a new token.
    new = ok("token", "create", t.tok).stdout.strip()
    expect(TOKEN.match(new) and new != t.token, f"new token {new!r}")


@check
def token_usage_errors(t):
    p = certsweep("token")
    equal("exit of a bare `token`", p.returncode, 2)
    expect("token create" in p.stderr, f"no usage on stderr: {p.stderr!r}")
    usage_error(["token", "create"], "name")
    usage_error(["token", "frobnicate"], "frobnicate")
    usage_error(["token", "create", "x" * 65], "token name")
    usage_error(["token", "list", "--format", "pdf"], "pdf")


def harness_needs(t, attr):
    if getattr(t, attr, None) is None:
        raise Fail(f"an earlier check that this one needs failed ({attr})")
    return getattr(t, attr)


# ---------------------------------------------------------------------------

def main():
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    t = T
    t.tmp = tempfile.mkdtemp(prefix="certsweep-sched-")
    t.suffix = "%04x" % random.randrange(0x10000)
    t.store = os.environ.get("CERTSWEEP_TEST_STORE") or \
        os.path.join(t.tmp, "inventory.db")
    print(f"note: store {t.store}")
    t.lab = NoLab()
    try:
        return harness.run_checks(t, show_time=False)
    finally:
        shutil.rmtree(t.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
