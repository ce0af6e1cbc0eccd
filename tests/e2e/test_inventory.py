#!/usr/bin/python3
"""End-to-end test of the inventory commands against the lab in tests/lab/.

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_inventory.py [-v]
     CERTSWEEP_TEST_STORE=postgresql://... (same)      # on PostgreSQL

Runs the real certsweep binary: `network`, `discover`, `monitor`, `jobs`,
`report`, `endpoints` and `certs`, against the store named by
$CERTSWEEP_TEST_STORE (a postgresql:// URL, e.g. the one
tests/pg/pg-fixture.sh writes) or else a fresh SQLite file in a temporary
directory, and checks what a user sees (docs/inventory.md, src/report.h):
the discovery report of the whole lab, the row cap of the grids, the
monitoring report after the lab stopped one endpoint and swapped another's
certificate (lab.py --control), unmonitoring, a job killed with kill -9, two
jobs on one network at once, and the usage and runtime errors.  Prints one
line per check (`ok NAME`, `FAIL NAME: why`, `skip NAME: why`) and ends
with `N passed, M failed`; exits 1 if any check failed.  Network names carry
a random suffix, so a run can share a PostgreSQL database with earlier ones.

Like test_scan.py, the script re-runs itself in a new network namespace
(unshare --net) that has only loopback.  A PostgreSQL server on the host's
loopback is then out of reach, so the outer process relays it: it accepts on
a unix socket (the filesystem is shared) and connects to the server, and the
inner one listens on the URL's own address and port inside the namespace
and connects to that socket; the URL certsweep is given stays the same.
CERTSWEEP_E2E_NETNS=off runs everything in the host network.
"""

import hashlib
import html
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

# harness.py is found in this script's own directory, which Python puts
# first on sys.path; no __pycache__ is left there in the source tree.
sys.dont_write_bytecode = True
import harness
from harness import (VERBOSE, Context, Fail, Skip, check, equal, expect,
                     kill_group)

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
RELAY_ENV = "CERTSWEEP_INVENTORY_RELAY"

CONNECT_MS = 1000
DOWNLOAD_MS = 1500

STATUSES = ("timed_out_connecting", "timed_out_downloading",
            "connection_refused", "host_unreachable", "dns_failed", "not_ssl",
            "bad_ssl_handshake", "certificate_found")
ACCEPTED_TCP = ("timed_out_downloading", "not_ssl", "bad_ssl_handshake",
                "certificate_found")

# The endpoints on 127.0.0.1 (tls_v6 is on ::1), which the networks here
# range over.
EXPECTED = {n: v for n, v in harness.EXPECTED.items() if n != "tls_v6"}

# The monitoring network: STOPPED is stopped by the lab, SWAPPED is given a
# fresh certificate.  Neither is used by a later check that needs it as it
# was.
STOPPED = "tls12_ecdsa"
SWAPPED = "tls13_rsa"

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# ---------------------------------------------------------------------------
# A network of our own, and the way to PostgreSQL from inside it

def pg_address(location):
    """(host, port) of a postgresql:// URL that names a loopback TCP host,
    else None (a unix socket, or no PostgreSQL at all)."""
    if not location or not location.startswith(("postgresql:", "postgres:")):
        return None
    u = urllib.parse.urlsplit(location)
    query = urllib.parse.parse_qs(u.query)
    if "host" in query or not u.hostname:
        return None
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    return u.hostname, u.port or 5432


def pump(src, dst):
    """Copy src to dst until either side ends, then end both: the protocol
    relayed never half-closes, and a client killed with kill -9 must look
    to the server like a client gone."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


RELAYED = []     # the sockets of the connections relayed by this process


def cut_relayed_connections():
    """Break every relayed connection, as a server that went away would."""
    for s in RELAYED:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    RELAYED.clear()


def relay(listener, connect):
    def serve():
        while True:
            try:
                a, _ = listener.accept()
            except OSError:
                return
            try:
                b = connect()
            except OSError:
                a.close()
                continue
            RELAYED[:] = [s for s in RELAYED if s.fileno() != -1] + [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=pump, args=(x, y), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()


def enter_private_network():
    """Run this script again inside a new network namespace if possible and
    return its exit status; None to go on here (inside it, or in the host
    network when no namespace can be had)."""
    if harness.network_already_chosen():
        return None
    store = os.environ.get("CERTSWEEP_TEST_STORE") or ""
    host = urllib.parse.urlsplit(store).hostname if "://" in store else None
    if host and not pg_address(store):
        print(f"note: the store is on {host}, out of reach of a private "
              "network namespace: running in the host network")
        return None
    cmd, why = harness.unshare_command()
    if cmd is None:
        print(f"note: {why}: running in the host network")
        return None
    argv, env = harness.rerun_inside(cmd)
    tmp = None
    addr = pg_address(os.environ.get("CERTSWEEP_TEST_STORE"))
    if addr:
        tmp = tempfile.mkdtemp(prefix="certsweep-inv-relay-")
        path = os.path.join(tmp, "pg.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(64)
        relay(lsock, lambda: socket.create_connection(addr, timeout=10))
        env[RELAY_ENV] = path
    sys.stdout.flush()
    child = subprocess.Popen(argv, env=env)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _: child.send_signal(s))
    rc = child.wait()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


def start_inner_relay():
    """Inside the namespace: serve the store's address, relayed outside.
    Returns whether it does."""
    path = os.environ.get(RELAY_ENV)
    addr = pg_address(os.environ.get("CERTSWEEP_TEST_STORE"))
    if not path or not addr:
        return False

    def to_outside():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return s
    hosts = ["127.0.0.1", "::1"] if addr[0] == "localhost" else [addr[0]]
    for host in hosts:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        lsock = socket.socket(family, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((host, addr[1]))
        lsock.listen(64)
        relay(lsock, to_outside)
    return True


# ---------------------------------------------------------------------------
# The lab (harness.Lab, started with --control)

def served_sha256(port):
    """The SHA-256 of the leaf a lab TLS endpoint serves now."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as s:
            return hashlib.sha256(s.getpeercert(True)).hexdigest()


# ---------------------------------------------------------------------------
# Running certsweep

T = Context()       # the test context; the checks below fill it in


def start_certsweep(args, db=True, user=None, env=None, **kw):
    """Start certsweep in a process group of its own, with --db first."""
    argv = [CERTSWEEP] + (["--db", T.store] if db else []) + list(args)
    if VERBOSE:
        print("  $ " + " ".join(argv))
    e = dict(os.environ)
    e.pop("CERTSWEEP_DB", None)
    e.update(env or {})
    return harness.start_in_group(argv, env=e, user=user, **kw)


def certsweep(*args, timeout=15, **kw):
    """Run certsweep to its end; longer than timeout seconds is a failure."""
    p = start_certsweep(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        **kw)
    done = harness.finish(p, args, timeout)
    if VERBOSE and done.stderr:
        print("  stderr: " + done.stderr.rstrip().replace("\n", "\n          "))
    return done


def ok(*args, **kw):
    """Run certsweep, which must exit 0; returns its stdout."""
    p = certsweep(*args, **kw)
    if p.returncode != 0:
        raise Fail(f"certsweep {' '.join(args)}: exit {p.returncode}: "
                   f"{p.stderr.strip()[:300]}")
    return p.stdout


def ok_json(*args, **kw):
    out = ok(*args, **kw)
    try:
        return json.loads(out)
    except ValueError as e:
        raise Fail(f"certsweep {' '.join(args)}: not JSON ({e}): {out[:200]}")


def jsonl(*args, **kw):
    rows = []
    for n, line in enumerate(ok(*args, "--format", "jsonl", **kw).splitlines()):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                raise Fail(f"{' '.join(args)}: line {n + 1} is not JSON: {e}")
    return rows


def failure(args, code, *words, **kw):
    """Run certsweep, which must exit with code, print nothing on stdout
    and one line on stderr that contains every word (case-insensitive).
    Returns that line."""
    p = certsweep(*args, **kw)
    cmd = "certsweep " + " ".join(args)
    expect(p.returncode == code,
           f"{cmd}: exit {p.returncode}, want {code}: {p.stderr.strip()[:300]}")
    expect(p.stdout == "", f"{cmd}: stdout {p.stdout[:200]!r}")
    lines = p.stderr.splitlines()
    expect(len(lines) == 1, f"{cmd}: stderr is {len(lines)} lines, want 1: "
           f"{p.stderr[:400]!r}")
    for w in words:
        expect(w.lower() in lines[0].lower(),
               f"{cmd}: stderr {lines[0]!r} does not say {w!r}")
    return lines[0]


def jobs_rows(network):
    """`jobs NETWORK` as dicts (the table has no spaces inside a field)."""
    lines = ok("jobs", network).splitlines()
    expect(lines and lines[0].split()[:4] == ["ID", "NETWORK", "KIND", "STATE"],
           f"jobs header is {lines[:1]!r}")
    keys = [k.lower() for k in lines[0].split()]
    rows = []
    for line in lines[1:]:
        words = line.split()
        expect(len(words) == len(keys), f"jobs row {line!r} has "
               f"{len(words)} fields, want {len(keys)}")
        rows.append(dict(zip(keys, words)))
    return rows


def job_row(network, job_id):
    for r in jobs_rows(network):
        if r["id"] == str(job_id):
            return r
    raise Fail(f"jobs {network} does not list job {job_id}")


def wait_running(network, p, timeout=10):
    """Wait until `jobs NETWORK` shows a running job; returns its row."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        expect(p.poll() is None, f"discover {network} ended early: exit "
               f"{p.returncode}")
        for r in jobs_rows(network):
            if r["state"] == "running":
                return r
        time.sleep(0.1)
    raise Fail(f"jobs {network} showed no running job within {timeout} s")


def ports_of(*names):
    return ",".join(str(T.lab.ports[n]) for n in names)


def net(base):
    """A network name unique to this run."""
    return f"{base}-{T.suffix}"


def add_network(name, *ports, extra=()):
    ok("network", "add", name, "--range", "127.0.0.1", "--ports",
       ports_of(*ports), "--connect-timeout", str(CONNECT_MS),
       "--download-timeout", str(DOWNLOAD_MS), *extra)


def needs(attr):
    if getattr(T, attr, None) is None:
        raise Fail(f"an earlier check that this one needs failed ({attr})")
    return getattr(T, attr)


def is_pg():
    return T.store.startswith(("postgresql:", "postgres:"))


# ---------------------------------------------------------------------------
# The checks, run in order

def parse_show(text):
    """`network show` as {field: value}: a field, two spaces, the value."""
    fields = {}
    for line in text.splitlines():
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        fields[parts[0]] = parts[1] if len(parts) > 1 else ""
    return fields


def lab_v4_names():
    return [n for n in EXPECTED if n in T.lab.ports]


@check
def network_add_and_show(t):
    t.main = net("main")
    ok("network", "add", t.main, "--range", "127.0.0.1",
       "--ports", ports_of(*lab_v4_names()),
       "--connect-timeout", str(CONNECT_MS),
       "--download-timeout", str(DOWNLOAD_MS), "--expiry-days", "30",
       "--auto-monitor", "--description", "the whole lab")
    show = parse_show(ok("network", "show", t.main))
    want = {"name": t.main, "ranges": "127.0.0.1",
            "ports": ports_of(*lab_v4_names()), "state": "enabled",
            "connect timeout": f"{CONNECT_MS} ms",
            "download timeout": f"{DOWNLOAD_MS} ms", "expiry days": "30",
            "auto monitor": "yes", "description": "the whole lab"}
    for k, v in want.items():
        equal(f"network show: {k}", show.get(k), v)
    listed = [line.split()[0] for line in ok("network", "list").splitlines()[1:]]
    expect(t.main in listed, f"network list does not list {t.main}: {listed}")


@check
def discover_report_json(t):
    t.d1 = None
    d = ok_json("discover", t.main, "--format", "json", timeout=30)
    for k in ("job_id", "kind", "network", "started_at", "finished_at",
              "expiry_days", "endpoints_scanned", "counts",
              "expired_or_expiring", "no_certificate", "subject_count",
              "subject"):
        expect(k in d, f"no {k!r} in the report: {sorted(d)}")
    equal("kind", d["kind"], "discovery")
    equal("network", d["network"], t.main)
    equal("expiry_days", d["expiry_days"], 30)
    expect(isinstance(d["job_id"], int) and d["job_id"] > 0,
           f"job_id {d['job_id']!r}")
    for k in ("started_at", "finished_at"):
        expect(RFC3339.match(str(d[k])), f"{k} {d[k]!r} is not RFC 3339 UTC")
    expect(d["started_at"] <= d["finished_at"], "finished before it started")
    expect("changed" not in d, "a discovery report has a 'changed' grid "
           "(src/report.h: monitoring only)")
    t.d1 = d


@check
def discover_counts(t):
    d = needs("d1")
    want = {s: 0 for s in STATUSES}
    for name in lab_v4_names():
        want[EXPECTED[name][0]] += 1
    equal("counts", d["counts"], want)
    equal("endpoints_scanned", d["endpoints_scanned"], len(lab_v4_names()))


@check
def discover_records_its_progress(t):
    """The job's progress, which `certsweep serve` shows, ends complete."""
    d = needs("d1")
    if is_pg():
        raise Skip("read from the SQLite file; unit_store_pg covers the "
                   "PostgreSQL backend's progress")
    db = sqlite3.connect(T.store)
    try:
        row = db.execute("SELECT progress_done, progress_total FROM jobs "
                         "WHERE id = ?", (d["job_id"],)).fetchone()
    finally:
        db.close()
    expect(row is not None, f"no job {d['job_id']} in {T.store}")
    equal("progress", row, (d["endpoints_scanned"], d["endpoints_scanned"]))


@check
def discover_expired_grid_lists_only_expired(t):
    d = needs("d1")
    g = d["expired_or_expiring"]
    rows = g["rows"]
    equal("expired_or_expiring ports",
          [t.lab.names.get(r["port"]) for r in rows], ["expired"])
    r = rows[0]
    equal("ip", r["ip"], "127.0.0.1")
    equal("subject_cn", r["subject_cn"], "expired.test")
    expect(str(r["not_after"]).startswith("2021-01-01"),
           f"not_after {r['not_after']!r}")
    expect(isinstance(r["days_left"], int) and r["days_left"] < 0,
           f"days_left {r['days_left']!r}, want < 0")
    left = (1609459200 - time.time()) / 86400       # 2021-01-01T00:00:00Z
    expect(abs(r["days_left"] - left) < 1.5,
           f"days_left {r['days_left']}, want about {left:.1f}")
    expect(r.get("sni") in (None, ""), f"sni {r.get('sni')!r}")
    equal("expired_or_expiring total", g["total"], 1)
    equal("expired_or_expiring not_shown", g["not_shown"], 0)


@check
def discover_no_certificate_grid(t):
    d = needs("d1")
    g = d["no_certificate"]
    want = {n: EXPECTED[n] for n in lab_v4_names()
            if EXPECTED[n][0] in ACCEPTED_TCP
            and EXPECTED[n][0] != "certificate_found"}
    got = {}
    for r in g["rows"]:
        name = t.lab.names.get(r["port"], f"port {r['port']}")
        expect(name not in got, f"{name} is listed twice")
        got[name] = (r["status"], r["reason"])
        equal(f"{name} ip", r["ip"], "127.0.0.1")
    equal("no_certificate endpoints", sorted(got), sorted(want))
    for name, (status, reason) in want.items():
        gs, gr = got[name]
        if isinstance(reason, re.Pattern):
            expect(gs == status and reason.fullmatch(gr or ""),
                   f"{name}: {gs} {gr}, want {status} {reason.pattern}")
        else:
            equal(name, (gs, gr), (status, reason))
    equal("no_certificate total", g["total"], len(want))
    equal("no_certificate not_shown", g["not_shown"], 0)


@check
def discover_subject(t):
    d = needs("d1")
    n = d["expired_or_expiring"]["total"] + d["no_certificate"]["total"]
    equal("subject_count", d["subject_count"], n)
    equal("subject", d["subject"],
          f"certsweep discovery of {t.main}: {n} endpoints need attention")


@check
def endpoints_lists_only_those_that_accepted_tcp(t):
    rows = jsonl("endpoints", "--network", t.main)
    got = {}
    for r in rows:
        name = t.lab.names.get(int(r["port"]), f"port {r['port']}")
        expect(name not in got, f"{name} has two rows")
        got[name] = r
    want = [n for n in lab_v4_names() if EXPECTED[n][0] in ACCEPTED_TCP]
    equal("endpoints", sorted(got), sorted(want))
    for name, r in got.items():
        status = EXPECTED[name][0]
        equal(f"{name} status", r["status"], status)
        found = status == "certificate_found"
        equal(f"{name} monitored (auto-monitor)", r["monitored"],
              "yes" if found else "no")
        expect(bool(r["cert_sha256"]) == found,
               f"{name} cert_sha256 {r['cert_sha256']!r}")
        expect(RFC3339.match(r["last_seen"] or ""),
               f"{name} last_seen {r['last_seen']!r}")
    equal("expired cert_sha256", got["expired"]["cert_sha256"],
          t.lab.cert_sha256("expired"))
    not_ssl = jsonl("endpoints", "--network", t.main, "--status", "not_ssl")
    equal("endpoints --status not_ssl",
          sorted(t.lab.names.get(int(r["port"])) for r in not_ssl),
          sorted(n for n in got if EXPECTED[n][0] == "not_ssl"))
    failure(["endpoints", "--status", "bogus"], 2, "bogus")


@check
def endpoints_csv_and_table(t):
    main = needs("main")
    want = len(jsonl("endpoints", "--network", main))
    lines = ok("endpoints", "--network", main, "--format", "csv").splitlines()
    equal("csv header", lines[0],
          "ip,port,sni,status,reason,monitored,last_seen,cert_sha256")
    equal("csv rows", len(lines) - 1, want)
    lines = ok("endpoints", "--network", main, "--format", "table").splitlines()
    equal("table header", lines[0].split()[:4], ["ip", "port", "sni", "status"])
    equal("table rows", len(lines) - 1, want)


@check
def certs_expired_shows_the_expired_certificate(t):
    rows = jsonl("certs", "--expired", "--network", t.main)
    equal("certs --expired ports",
          [t.lab.names.get(int(r["port"])) for r in rows], ["expired"])
    r = rows[0]
    equal("subject_cn", r["subject_cn"], "expired.test")
    equal("sha256", r["sha256"], t.lab.cert_sha256("expired"))
    expect(int(r["days_left"]) < 0, f"days_left {r['days_left']!r}")
    expect(r["not_after"].startswith("2021-01-01"), f"not_after {r['not_after']}")
    # The other certificates are valid for years.
    soon = jsonl("certs", "--expiring", "30", "--network", t.main)
    equal("certs --expiring 30",
          sorted(t.lab.names.get(int(r["port"])) for r in soon), ["expired"])
    every = jsonl("certs", "--network", t.main)
    equal("certs of the network", len(every),
          sum(EXPECTED[n][0] == "certificate_found" for n in lab_v4_names()))
    after = [r["not_after"] for r in every]
    equal("certs order (soonest expiry first)", after, sorted(after))


@check
def jobs_shows_the_discovery_done(t):
    d = needs("d1")
    r = job_row(t.main, d["job_id"])
    equal("kind", r["kind"], "discovery")
    equal("state", r["state"], "done")
    equal("endpoints", r["endpoints"], str(d["endpoints_scanned"]))
    equal("certs", r["certs"], str(d["counts"]["certificate_found"]))
    expect(t.main in ok("jobs"), f"`jobs` (all networks) does not list {t.main}")


@check
def report_json_equals_the_discovery_output(t):
    d = needs("d1")
    equal("report --format json", ok_json("report", str(d["job_id"]),
                                          "--format", "json"), d)


@check
def report_html_is_a_whole_document_without_external_assets(t):
    d = needs("d1")
    page = ok("report", str(d["job_id"]), "--format", "html")
    head = page.lstrip()[:200].lower()
    expect(head.startswith("<!doctype html"), f"starts {page[:60]!r}")
    expect("<html" in page.lower() and page.rstrip().lower().endswith("</html>"),
           "no <html> ... </html>")
    expect(re.search(r"<title>[^<]*\S[^<]*</title>", page, re.I),
           "no <title>")
    expect(html.escape(d["subject"]) in page or d["subject"] in page,
           f"the subject {d['subject']!r} is not in the page")
    ext = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]*"""
                     r"""|url\(\s*["']?(?:https?:)?//[^)]*\)"""
                     r"""|@import\s+["'](?:https?:)?//""", page, re.I)
    expect(not ext, f"external assets: {ext[:3]}")
    expect("expired.test" in page, "the expired certificate is not in the page")


@check
def report_text_has_the_subject_line(t):
    d = needs("d1")
    for args in (("report", str(d["job_id"])),
                 ("report", str(d["job_id"]), "--format", "text")):
        lines = ok(*args).splitlines()
        expect(any(d["subject"] in line for line in lines),
               f"{' '.join(args)}: no line with {d['subject']!r}: {lines[:5]}")


@check
def discover_text_is_the_default(t):
    # A second discovery of the same network, printed as text.
    out = ok("discover", t.main, timeout=30)
    expect(re.search(rf"certsweep discovery of {re.escape(t.main)}: \d+ "
                     "endpoints need attention", out),
           f"no subject line in: {out[:300]!r}")


@check
def max_email_rows_caps_every_grid(t):
    d1 = needs("d1")
    ok("network", "edit", t.main, "--max-email-rows", "1")
    expect(re.search(r"^max email rows\s+1$", ok("network", "show", t.main),
                     re.M), "network show does not say max email rows 1")
    d = ok_json("discover", t.main, "--format", "json", timeout=30)
    equal("counts", d["counts"], d1["counts"])
    equal("subject_count", d["subject_count"], d1["subject_count"])
    for grid in ("expired_or_expiring", "no_certificate"):
        g, g1 = d[grid], d1[grid]
        equal(f"{grid} total", g["total"], g1["total"])
        expect(len(g["rows"]) <= 1, f"{grid} has {len(g['rows'])} rows")
        equal(f"{grid} rows", len(g["rows"]), min(1, g["total"]))
        equal(f"{grid} not_shown", g["not_shown"], max(0, g["total"] - 1))
    ids = [int(r["id"]) for r in jobs_rows(t.main)]
    equal("jobs order (newest first)", ids, sorted(ids, reverse=True))
    equal("jobs of the network", len(ids), 3)
    # A past report keeps the rows it was made with.
    equal("report of the first discovery",
          ok_json("report", str(d1["job_id"]), "--format", "json"), d1)
    ok("network", "edit", t.main, "--max-email-rows", "50")


@check
def expiry_days_sets_what_needs_attention(t):
    main = needs("main")
    ok("network", "edit", main, "--expiry-days", "3650")
    try:
        d = ok_json("discover", main, "--format", "json", timeout=30)
    finally:
        ok("network", "edit", main, "--expiry-days", "30")
    equal("expiry_days", d["expiry_days"], 3650)
    g = d["expired_or_expiring"]
    found = [n for n in lab_v4_names() if EXPECTED[n][0] == "certificate_found"]
    # Every lab leaf is valid for 825 days at most.
    equal("expired_or_expiring", sorted(t.lab.names.get(r["port"])
                                        for r in g["rows"]), sorted(found))
    for r in g["rows"]:
        name = t.lab.names.get(r["port"])
        expect((r["days_left"] < 0) == (name == "expired"),
               f"{name}: days_left {r['days_left']}")
    equal("subject_count", d["subject_count"],
          len(found) + d["no_certificate"]["total"])


@check
def ipv6_endpoints_are_monitored_by_address(t):
    if "tls_v6" not in t.lab.ports:
        raise Skip("the lab has no ::1 endpoint here (see its warnings)")
    name = net("v6")
    ok("network", "add", name, "--range", "::1", "--ports",
       ports_of("tls_v6"), "--auto-monitor")
    d = ok_json("discover", name, "--format", "json")
    equal("certificate_found", d["counts"]["certificate_found"], 1)
    equal("endpoints", [r["ip"] for r in jsonl("endpoints", "--network", name)],
          ["::1"])
    m = ok_json("monitor", name, "--format", "json")
    equal("monitor certificate_found", m["counts"]["certificate_found"], 1)
    ok("endpoints", "unmonitor", f"[::1]:{t.lab.ports['tls_v6']}",
       "--network", name)
    m = ok_json("monitor", name, "--format", "json")
    equal("endpoints_scanned after unmonitor", m["endpoints_scanned"], 0)


@check
def monitoring_network_discovered(t):
    t.mon = net("mon")
    t.mon_d = None
    add_network(t.mon, STOPPED, SWAPPED, extra=("--auto-monitor",))
    d = ok_json("discover", t.mon, "--format", "json")
    equal("certificate_found", d["counts"]["certificate_found"], 2)
    mon = jsonl("endpoints", "--network", t.mon, "--monitored")
    equal("monitored", sorted(t.lab.names.get(int(r["port"])) for r in mon),
          sorted([STOPPED, SWAPPED]))
    t.old_sha = {t.lab.names[int(r["port"])]: r["cert_sha256"] for r in mon}
    equal(f"{SWAPPED} certificate", t.old_sha[SWAPPED], t.lab.cert_sha256("rsa"))
    t.mon_d = d


@check
def monitor_after_stop_and_swap(t):
    needs("mon_d")
    t.lab.control("stop", STOPPED)
    t.lab.control("swap", SWAPPED, "fresh")
    t.new_sha = served_sha256(t.lab.ports[SWAPPED])
    expect(t.new_sha != t.old_sha[SWAPPED], "the lab did not swap")
    t.m1 = None
    d = ok_json("monitor", t.mon, "--format", "json")
    t.m1 = d
    equal("kind", d["kind"], "monitoring")
    equal("network", d["network"], t.mon)
    equal("endpoints_scanned", d["endpoints_scanned"], 2)
    want = {s: 0 for s in STATUSES}
    want["connection_refused"] = want["certificate_found"] = 1
    equal("counts", d["counts"], want)


@check
def monitor_no_certificate_lists_the_stopped_one(t):
    d = needs("m1")
    g = d["no_certificate"]
    equal("no_certificate", [(t.lab.names.get(r["port"]), r["status"])
                             for r in g["rows"]],
          [(STOPPED, "connection_refused")])
    equal("reason", g["rows"][0]["reason"], "rst")
    equal("no_certificate total", g["total"], 1)
    equal("no_certificate not_shown", g["not_shown"], 0)


@check
def monitor_changed_lists_the_swapped_one(t):
    d = needs("m1")
    expect("changed" in d, f"no 'changed' in the monitoring report: {sorted(d)}")
    g = d["changed"]
    equal("changed", [t.lab.names.get(r["port"]) for r in g["rows"]], [SWAPPED])
    r = g["rows"][0]
    equal("ip", r["ip"], "127.0.0.1")
    equal("old_sha256", r["old_sha256"], t.old_sha[SWAPPED])
    equal("new_sha256", r["new_sha256"], t.new_sha)
    for k in ("old_not_after", "new_not_after"):
        expect(RFC3339.match(str(r[k])), f"{k} {r[k]!r} is not RFC 3339 UTC")
    expect(r["old_not_after"] != r["new_not_after"],
           "old and new not_after are the same")
    equal("changed total", g["total"], 1)
    equal("changed not_shown", g["not_shown"], 0)
    equal("expired_or_expiring total", d["expired_or_expiring"]["total"], 0)
    equal("subject_count", d["subject_count"], 1)
    equal("subject", d["subject"],
          f"certsweep monitoring of {t.mon}: 1 endpoint needs attention")
    equal("report of the job",
          ok_json("report", str(d["job_id"]), "--format", "json"), d)
    equal("jobs state", job_row(t.mon, d["job_id"])["state"], "done")
    equal("jobs kind", job_row(t.mon, d["job_id"])["kind"], "monitoring")


@check
def monitored_endpoints_still_both_listed(t):
    needs("m1")
    rows = jsonl("endpoints", "--network", t.mon, "--monitored")
    got = {t.lab.names.get(int(r["port"])): r for r in rows}
    equal("monitored", sorted(got), sorted([STOPPED, SWAPPED]))
    equal(f"{STOPPED} status", got[STOPPED]["status"], "connection_refused")
    equal(f"{SWAPPED} cert_sha256", got[SWAPPED]["cert_sha256"], t.new_sha)


@check
def unmonitor_needs_network_when_ambiguous(t):
    needs("m1")
    target = f"127.0.0.1:{t.lab.ports[SWAPPED]}"
    # The main network has the same endpoint, monitored too.
    failure(["endpoints", "unmonitor", target], 2, "--network")
    failure(["endpoints", "unmonitor", "127.0.0.1:1", "--network", t.mon], 2,
            "127.0.0.1:1")
    failure(["endpoints", "unmonitor", "127.0.0.1", "--network", t.mon], 2,
            "127.0.0.1")


@check
def unmonitor_stops_probing(t):
    needs("m1")
    target = f"127.0.0.1:{t.lab.ports[SWAPPED]}"
    ok("endpoints", "unmonitor", target, "--network", t.mon)
    mon = jsonl("endpoints", "--network", t.mon, "--monitored")
    equal("monitored", [t.lab.names.get(int(r["port"])) for r in mon], [STOPPED])
    every = jsonl("endpoints", "--network", t.mon)
    equal("endpoints (unmonitored stay)", len(every), 2)
    main_mon = jsonl("endpoints", "--network", t.main, "--monitored")
    expect(SWAPPED in [t.lab.names.get(int(r["port"])) for r in main_mon],
           f"unmonitoring in {t.mon} unmonitored it in {t.main} too")
    d = ok_json("monitor", t.mon, "--format", "json")
    equal("endpoints_scanned", d["endpoints_scanned"], 1)
    equal("no_certificate", [t.lab.names.get(r["port"])
                             for r in d["no_certificate"]["rows"]], [STOPPED])
    equal("changed total", d.get("changed", {}).get("total"), 0)
    ok("endpoints", "monitor", target, "--network", t.mon)
    d = ok_json("monitor", t.mon, "--format", "json")
    equal("endpoints_scanned after monitor again", d["endpoints_scanned"], 2)


class Banners:
    """One listener per address of a range, all on one port, that sends an
    SSH banner and hangs up: a few hundred endpoints that answer at once."""

    def __init__(self, first, count):
        import ipaddress
        import selectors
        self.sel = selectors.DefaultSelector()
        self.socks = []
        base = ipaddress.IPv4Address(first)
        port = 0
        for i in range(count):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((str(base + i), port))
            port = s.getsockname()[1]
            s.listen(64)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)
        self.port = port
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            for key, _ in self.sel.select(0.2):
                try:
                    conn, _ = key.fileobj.accept()
                    conn.sendall(b"SSH-2.0-banner\r\n")
                    conn.close()
                except OSError:
                    pass

    def close(self):
        self.running = False
        self.thread.join()
        for s in self.socks:
            s.close()
        self.sel.close()


@check
def kill_9_leaves_the_inventory_consistent(t):
    t.killed = net("killed")
    # 512 addresses answer at once (two transactions' worth); the lab's
    # silent endpoint then holds the job for 30 s.
    banners = Banners("127.0.2.0", 512)
    try:
        ok("network", "add", t.killed, "--range", "127.0.2.0/23", "127.0.0.1",
           "--ports", f"{banners.port},{t.lab.ports['silent']}",
           "--connect-timeout", "1000", "--download-timeout", "30000")
        p = start_certsweep(["discover", t.killed], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
        try:
            running = wait_running(t.killed, p)
            # Wait for what answered at once to be committed.
            deadline = time.monotonic() + 10
            while len(jsonl("endpoints", "--network", t.killed)) < 512:
                expect(time.monotonic() < deadline, "the 512 endpoints that "
                       "answered were not in `endpoints` within 10 s")
                expect(p.poll() is None, f"discover ended: exit {p.returncode}")
                time.sleep(0.2)
            kill_group(p)
        finally:
            kill_group(p)
            p.wait()
        equal("exit", p.returncode, -signal.SIGKILL)
        r = job_row(t.killed, running["id"])
        expect(r["state"] in ("running", "interrupted"),
               f"the killed job is {r['state']}")
        rows = jsonl("endpoints", "--network", t.killed)
        equal("endpoint rows after kill -9", len(rows), 512)
        for row in rows:
            for k in ("ip", "port", "status", "reason", "monitored",
                      "last_seen"):
                expect(row.get(k) not in (None, ""),
                       f"endpoint row without {k}: {row}")
            expect(row["status"] in ACCEPTED_TCP,
                   f"endpoint row status {row['status']}")
        if not is_pg():
            db = sqlite3.connect(f"file:{T.store}?mode=ro", uri=True)
            try:
                equal("PRAGMA integrity_check",
                      db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                equal("endpoint rows without status", db.execute(
                    "SELECT count(*) FROM endpoints WHERE last_status IS NULL "
                    "OR last_status = ''").fetchone()[0], 0)
            finally:
                db.close()
        ok("network", "list")
        p = certsweep("report", running["id"])
        expect(p.returncode in (1, 2) and "no report" in p.stderr
               and len(p.stderr.splitlines()) == 1,
               f"report of the killed job: exit {p.returncode}, {p.stderr!r}")
        ok("network", "edit", t.killed, "--download-timeout", "500")
        d = ok_json("discover", t.killed, "--format", "json", timeout=30)
    finally:
        banners.close()
    equal("counts after", (d["counts"]["not_ssl"],
                           d["counts"]["timed_out_downloading"]), (512, 1))
    equal("killed job state", job_row(t.killed, running["id"])["state"],
          "interrupted")
    equal("new job state", job_row(t.killed, d["job_id"])["state"], "done")
    equal("endpoints after", len(jsonl("endpoints", "--network", t.killed)),
          513)
    t.killed_job = d["job_id"]


@check
def second_job_on_a_busy_network_is_refused(t):
    busy = net("busy")
    other = net("other")
    ok("network", "add", busy, "--range", "127.0.0.1", "--ports",
       ports_of("silent"), "--download-timeout", "20000")
    add_network(other, "selfsigned", "http")
    p = start_certsweep(["discover", busy, "--format", "json"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        running = wait_running(busy, p)
        started = time.monotonic()
        failure(["discover", busy], 1, "already", "running")
        failure(["monitor", busy], 1, "already", "running")
        # Nor can the network be removed from under its job.
        failure(["network", "remove", busy], 1, "already", "running")
        expect(busy in ok("network", "list"), "the busy network was removed")
        expect(time.monotonic() - started < 5, "the refusals waited for the lock")
        d = ok_json("discover", other, "--format", "json")
        equal("other network certificate_found", d["counts"]["certificate_found"], 1)
        expect(p.poll() is None, "the first discover ended meanwhile")
        equal("jobs of the busy network", [r["id"] for r in jobs_rows(busy)],
              [running["id"]])
        # SIGTERM stops the job; it is recorded as interrupted.
        kill_group(p, signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            raise Fail("discover did not stop within 5 s of SIGTERM")
        # 128 + SIGINT, as for an interrupted scan, and one line saying so.
        equal("exit after SIGTERM", p.returncode, 130)
        expect(len(err.splitlines()) == 1 and out == "",
               f"after SIGTERM: stdout {out[:100]!r}, stderr {err[:300]!r}")
        equal("state after SIGTERM", job_row(busy, running["id"])["state"],
              "interrupted")
    finally:
        kill_group(p)
        p.communicate()


@check
def network_remove_removes_its_jobs_and_endpoints(t):
    name = needs("killed")
    job = needs("killed_job")
    before = len(jsonl("endpoints"))
    had = len(jsonl("endpoints", "--network", name))
    ok("network", "remove", name)
    failure(["network", "show", name], 2, name)
    failure(["endpoints", "--network", name], 2, name)
    failure(["report", str(job)], 2, str(job))
    expect(name not in ok("jobs"), f"`jobs` still lists {name}")
    equal("endpoint rows of all networks", len(jsonl("endpoints")),
          before - had)
    expect(name not in ok("network", "list"), "network list still lists it")


@check
def ranges_and_excludes_count_every_address(t):
    name = net("range")
    add_network(name, "selfsigned", extra=("--exclude", "127.0.0.2"))
    ok("network", "edit", name, "--range", "127.0.0.1-127.0.0.3")
    equal("ranges", parse_show(ok("network", "show", name)).get("ranges"),
          "127.0.0.1-127.0.0.3")
    d = ok_json("discover", name, "--format", "json")
    equal("endpoints_scanned", d["endpoints_scanned"], 2)
    equal("counts", (d["counts"]["certificate_found"],
                     d["counts"]["connection_refused"]), (1, 1))
    # Refused is not "accepted TCP": not in the no_certificate grid.
    equal("no_certificate total", d["no_certificate"]["total"], 0)
    equal("endpoints", [r["ip"] for r in jsonl("endpoints", "--network", name)],
          ["127.0.0.1"])


@check
def sni_names_make_endpoints_of_their_own(t):
    name = net("snis")
    add_network(name, "sni", extra=("--sni", "a.test", "b.test",
                                    "--auto-monitor"))
    d = ok_json("discover", name, "--format", "json")
    equal("certificate_found", d["counts"]["certificate_found"], 2)
    rows = jsonl("endpoints", "--network", name)
    equal("endpoint snis", sorted(r["sni"] for r in rows), ["a.test", "b.test"])
    certs = {r["sni"]: r["subject_cn"]
             for r in jsonl("certs", "--network", name)}
    equal("certificates by sni", certs, {"a.test": "a.test", "b.test": "b.test"})
    # Monitoring sends the same names: nothing changed.
    m = ok_json("monitor", name, "--format", "json")
    equal("monitor certificate_found", m["counts"]["certificate_found"], 2)
    equal("changed total", m["changed"]["total"], 0)
    port = t.lab.ports["sni"]
    ok("endpoints", "unmonitor", f"127.0.0.1:{port}/b.test", "--network", name)
    mon = jsonl("endpoints", "--network", name, "--monitored")
    equal("monitored", [r["sni"] for r in mon], ["a.test"])


@check
def hostnames_resolve_and_dns_failures_get_no_rows(t):
    name = net("dns")
    add_network(name, "sni", extra=("--auto-monitor",))
    ok("network", "edit", name, "--range", "b.test", "nosuch.test")
    d = ok_json("discover", name, "--dns-server",
                f"127.0.0.1:{t.lab.ports['dns']}", "--format", "json")
    equal("counts", (d["counts"]["certificate_found"], d["counts"]["dns_failed"]),
          (1, 1))
    equal("endpoints_scanned", d["endpoints_scanned"], 2)
    equal("no_certificate total (dns_failed never connected)",
          d["no_certificate"]["total"], 0)
    rows = jsonl("endpoints", "--network", name)
    equal("endpoints", [(r["ip"], r["sni"]) for r in rows],
          [("127.0.0.1", "b.test")])
    # b.test's certificate comes back only if monitoring sends b.test again.
    m = ok_json("monitor", name, "--format", "json")
    equal("monitor certificate_found", m["counts"]["certificate_found"], 1)
    equal("changed total", m["changed"]["total"], 0)


@check
def html_escapes_what_users_typed(t):
    name = net('x<i>&"q')
    add_network(name, "closed", extra=("--description", "<script>"))
    d = ok_json("discover", name, "--format", "json")
    page = ok("report", str(d["job_id"]), "--format", "html")
    expect("<i>" not in page and 'x<i>&"q' not in page,
           "the network name is in the page unescaped")
    expect("x&lt;i&gt;&amp;" in page, "the escaped network name is not in "
           "the page")
    ok("network", "remove", name)


@check
def other_writes_go_on_while_a_job_runs(t):
    # The network lock is per network: while a job runs, the rest of the
    # inventory stays writable (docs/inventory.md).
    busy = net("busy2")
    ok("network", "add", busy, "--range", "127.0.0.1", "--ports",
       ports_of("silent"), "--download-timeout", "20000")
    p = start_certsweep(["discover", busy], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
    try:
        wait_running(busy, p)
        started = time.monotonic()
        ok("network", "add", net("while"), "--range", "127.0.0.1")
        ok("network", "edit", net("while"), "--ports", "443,8443")
        main = needs("main")
        target = f"127.0.0.1:{t.lab.ports['http']}"
        ok("endpoints", "monitor", target, "--network", main)
        ok("endpoints", "unmonitor", target, "--network", main)
        ok("network", "remove", net("while"))
        took = time.monotonic() - started
        expect(took < 3, f"the five commands took {took:.1f} s")
        expect(p.poll() is None, "the job ended meanwhile")
    finally:
        kill_group(p)
        p.wait()


@check
def unknown_network_is_a_usage_error(t):
    nosuch = net("nosuch")
    for args in (["discover", nosuch], ["monitor", nosuch],
                 ["network", "show", nosuch], ["network", "remove", nosuch],
                 ["network", "edit", nosuch, "--ports", "443"],
                 ["network", "enable", nosuch], ["jobs", nosuch],
                 ["endpoints", "--network", nosuch],
                 ["certs", "--network", nosuch]):
        failure(args, 2, nosuch)
    failure(["report", "999999999"], 2, "999999999")


@check
def duplicate_network_is_a_usage_error(t):
    main = needs("main")
    before = ok("network", "show", main)
    failure(["network", "add", main, "--range", "127.0.0.2"], 2, main)
    equal("network show after", ok("network", "show", main), before)


@check
def disabled_network_is_not_discovered(t):
    name = net("disabled")
    add_network(name, "closed")
    ok("network", "disable", name)
    expect(re.search(r"^state\s+disabled$", ok("network", "show", name), re.M),
           "network show does not say disabled")
    failure(["discover", name], 2, "disabled")
    failure(["monitor", name], 2, "disabled")
    equal("jobs of a disabled network", jobs_rows(name), [])
    ok("network", "enable", name)
    d = ok_json("discover", name, "--format", "json")
    equal("connection_refused", d["counts"]["connection_refused"], 1)
    ok("network", "remove", name)
    failure(["network", "show", name], 2, name)


@check
def bad_options_write_nothing(t):
    main = needs("main")
    before = ok("network", "list")
    before_main = ok("network", "show", main)
    bad = net("bad")
    for args, token in (
            (["network", "add", bad, "--range", "127.0.0.1", "300.1.2.3"],
             "300.1.2.3"),
            (["network", "add", bad, "--range", "10.0.0.0/33"], "10.0.0.0/33"),
            (["network", "add", bad, "--range", "127.0.0.1",
              "--exclude", "127.0.0.1-bogus"], "127.0.0.1-bogus"),
            (["network", "add", bad, "--range", "127.0.0.1", "--ports",
              "70000"], "70000"),
            (["network", "add", bad, "--range", "127.0.0.1",
              "--connect-timeout", "soon"], "soon"),
            (["network", "add", bad, "--range", "127.0.0.1", "--alert-to",
              "nobody"], "nobody"),
            (["network", "add", bad, "--range", "127.0.0.1", "--bogus"],
             "--bogus"),
            (["network", "add", bad], "--range"),
            (["network", "edit", main, "--range", "999.0.0.1"], "999.0.0.1"),
            (["network", "edit", main, "--ports", "0"], "0"),
            (["discover", main, "--format", "pdf"], "pdf"),
            (["report", "1", "--format", "pdf"], "pdf")):
        failure(args, 2, token)
    equal("network list after", ok("network", "list"), before)
    equal("network show after", ok("network", "show", main), before_main)


@check
def certsweep_db_environment_variable(t):
    main = needs("main")
    out = ok("network", "list", db=False, env={"CERTSWEEP_DB": T.store})
    expect(main in out, "CERTSWEEP_DB does not name the same inventory")


@check
def sqlite_garbage_file_is_refused(t):
    if is_pg():
        raise Skip("SQLite only")
    path = os.path.join(T.tmp, "garbage.db")
    junk = os.urandom(8192)
    with open(path, "wb") as f:
        f.write(junk)
    p = certsweep("--db", path, "network", "list", db=False)
    expect(p.returncode != 0, "exit 0 on a file of garbage")
    expect("not a certsweep inventory" in p.stderr.lower(),
           f"stderr {p.stderr.strip()[:300]!r}")
    expect(len(p.stderr.splitlines()) == 1, f"stderr {p.stderr!r}")
    with open(path, "rb") as f:
        equal("the garbage file afterwards", f.read() == junk, True)
    # An SQLite database of someone else's is not touched either.
    other = os.path.join(T.tmp, "other.db")
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    p = certsweep("--db", other, "network", "list", db=False)
    expect(p.returncode != 0, "exit 0 on another program's database")
    expect("not a certsweep inventory" in p.stderr.lower(),
           f"stderr {p.stderr.strip()[:300]!r}")
    db = sqlite3.connect(other)
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")]
    db.close()
    equal("tables of the other database", tables, ["users"])


@check
def sqlite_newer_schema_is_refused(t):
    if is_pg():
        raise Skip("SQLite only")
    path = os.path.join(T.tmp, "newer.db")
    ok("--db", path, "network", "list", db=False)
    db = sqlite3.connect(path)
    known = db.execute("SELECT version FROM schema_version").fetchone()[0]
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    p = certsweep("--db", path, "network", "list", db=False)
    expect(p.returncode != 0, "exit 0 on a newer schema")
    expect(len(p.stderr.splitlines()) == 1 and "99" in p.stderr
           and re.search(rf"\b{known}\b", p.stderr),
           f"stderr {p.stderr!r} does not name versions 99 and {known}")


def as_other_user():
    """A uid for which file modes hold, or Skip."""
    if os.geteuid() != 0:
        raise Skip("needs root to run certsweep as another user, for whom "
                   "the modes of the files hold")
    return 65534


def readable_dir(*parts):
    path = os.path.join(*parts)
    os.makedirs(path)
    os.chmod(path, 0o755)
    return path


@check
def sqlite_read_only_inventory_is_a_runtime_error(t):
    if is_pg():
        raise Skip("SQLite only")
    user = as_other_user()
    base = tempfile.mkdtemp(prefix="certsweep-inv-ro-")
    os.chmod(base, 0o755)
    try:
        # An inventory the user may read but not write.
        d = readable_dir(base, "ro")
        path = os.path.join(d, "inventory.db")
        ok("--db", path, "network", "add", "ro", "--range", "127.0.0.1",
           db=False)
        for name in os.listdir(d):
            os.chmod(os.path.join(d, name), 0o444)
        os.chmod(d, 0o555)
        line = failure(["--db", path, "network", "add", "ro2", "--range",
                        "127.0.0.1"], 1, db=False, user=user)
        expect(re.search(r"read-?only|permission|denied|not writable|cannot "
                         r"write", line, re.I), f"unclear: {line!r}")
        # A read-only inventory file in a directory the user may write.
        d3 = readable_dir(base, "rofile")
        path3 = os.path.join(d3, "inventory.db")
        ok("--db", path3, "network", "add", "ro", "--range", "127.0.0.1",
           db=False)
        for name in os.listdir(d3):
            os.chmod(os.path.join(d3, name), 0o444)
        os.chmod(d3, 0o777)
        line = failure(["--db", path3, "network", "add", "ro2", "--range",
                        "127.0.0.1"], 1, path3, db=False, user=user)
        expect(re.search(r"read-?only|permission|denied|not writable|cannot "
                         r"write", line, re.I), f"unclear: {line!r}")
        # A new inventory in a directory the user may not write.
        d2 = readable_dir(base, "closed")
        os.chmod(d2, 0o555)
        path2 = os.path.join(d2, "inventory.db")
        line = failure(["--db", path2, "network", "list"], 1, path2, db=False,
                       user=user)
        expect(re.search(r"read-?only|permission|denied|not writable|cannot",
                         line, re.I), f"unclear: {line!r}")
        expect(not os.path.exists(path2), "a file appeared")
    finally:
        for root, dirs, _ in os.walk(base):
            for x in dirs:
                os.chmod(os.path.join(root, x), 0o755)
        shutil.rmtree(base, ignore_errors=True)


@check
def postgresql_down_is_a_runtime_error(t):
    if not is_pg():
        raise Skip("PostgreSQL only")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                   # nothing listens there now
    url = f"postgresql://postgres@127.0.0.1:{port}/certsweep_test"
    line = failure(["--db", url, "network", "list"], 1, db=False, timeout=20)
    expect(url in line or ("127.0.0.1" in line and re.search(
        rf"\b{port}\b", line)), f"{line!r} does not name {url}")
    line = failure(["--db", url, "discover", "x"], 1, db=False, timeout=20)


@check
def postgresql_lost_during_a_job_is_a_runtime_error(t):
    if not is_pg():
        raise Skip("PostgreSQL only")
    if not t.relayed:
        raise Skip("the connection to the server is not relayed by this test "
                   "(no private network namespace)")
    name = net("lost")
    ok("network", "add", name, "--range", "127.0.0.1", "--ports",
       ports_of("selfsigned", "http", "silent"), "--download-timeout", "3000")
    p = start_certsweep(["discover", name], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
    try:
        running = wait_running(name, p)
        time.sleep(0.3)
        cut_relayed_connections()
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            raise Fail("discover went on for 10 s after losing the server")
    finally:
        kill_group(p)
        p.wait()
    if VERBOSE:
        print(f"  exit {p.returncode}, stderr: {err.strip()}")
    equal("exit", p.returncode, 1)
    expect(out == "", f"stdout {out[:200]!r}")
    expect(len(err.splitlines()) == 1, f"stderr {err[:400]!r}")
    d = ok_json("discover", name, "--format", "json")
    equal("new discovery", d["counts"]["certificate_found"], 1)
    expect(job_row(name, running["id"])["state"] in ("interrupted", "failed"),
           "the job that lost its server is still running")


# ---------------------------------------------------------------------------

def main():
    rc = enter_private_network()
    if rc is not None:
        return rc
    T.relayed = start_inner_relay()
    if harness.certsweep_missing(CERTSWEEP):
        return 1

    t = T
    t.tmp = tempfile.mkdtemp(prefix="certsweep-inv-db-")
    t.suffix = "%04x" % random.randrange(0x10000)
    t.store = os.environ.get("CERTSWEEP_TEST_STORE") or \
        os.path.join(t.tmp, "inventory.db")
    print(f"note: store {t.store}")
    # --control: the monitoring checks stop an endpoint and swap a
    # certificate through the lab's control port.
    t.lab = harness.Lab("certsweep-inv-", lab_args=["--control"])
    try:
        return harness.run_checks(t)
    finally:
        shutil.rmtree(t.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
