#!/usr/bin/python3
"""End-to-end test of `certsweep serve` against the lab in tests/lab/.

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_serve.py [-v]

Starts the real binary as a service on a free loopback port, with a fresh
SQLite inventory and an empty configuration, and talks to it over real HTTP
(urllib): the bearer token made by `certsweep token create`, JSON errors
and their status codes, the networks CRUD, a discovery of the lab started
through the API and followed until it is done, its report, the endpoints,
certificates, findings and outbox with their filters, /metrics (parsed, and
compared with the certificates the lab serves), the scheduler (a schedule
due at once runs once; quiet hours hold it), SIGHUP, SIGTERM during a job
(serve stops within the job's timeouts, the job is recorded interrupted)
and kill -9 during a job (the next start marks it interrupted and runs it
again, and nothing recorded before is lost), and the refusal to listen on a
non-loopback address without TLS and a token.  Prints one line per check
and ends with `N passed, M failed`; exits 1 if any check failed.

Like test_scan.py, the script re-runs itself in a new network namespace
(unshare --net) with only loopback when it can; CERTSWEEP_E2E_NETNS=off
runs it in the host network.
"""

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
import harness
from harness import Context, Fail, Skip, check, equal, expect, kill_group

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
VERBOSE = harness.VERBOSE

CONNECT_MS = 1000
DOWNLOAD_MS = 1500
SLOW_DOWNLOAD_MS = 6000  # the network SIGTERM and kill -9 stop half way

# The lab endpoints of the network "lab" (all on 127.0.0.1).
LAB_ENDPOINTS = ("tls13_rsa", "tls12_ecdsa", "expired", "selfsigned", "http",
                 "closed", "silent")
TLS_ENDPOINTS = ("tls13_rsa", "tls12_ecdsa", "expired", "selfsigned")

T = Context()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def certsweep(*args, timeout=20, db=None):
    """Runs certsweep ARGS to its end (with the test's inventory)."""
    argv = [CERTSWEEP, "--db", db or T.db, "--config", T.conf, *args]
    p = harness.start_in_group(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    return harness.finish(p, args, timeout)


# ---------------------------------------------------------------------------
# The service

class Serve:
    """One `certsweep serve` process, its log in a file."""

    def __init__(self, port, db=None, listen=None, extra=()):
        self.port = port
        self.db = db or T.db
        self.listen = listen or f"127.0.0.1:{port}"
        self.extra = list(extra)
        self.proc = None
        self.log_path = os.path.join(T.tmp, f"serve-{port}.log")

    def start(self):
        self.log = open(self.log_path, "a")
        argv = [CERTSWEEP, "--db", self.db, "--config", T.conf, "serve",
                "--listen", self.listen, *self.extra]
        self.proc = harness.start_in_group(argv, stdout=subprocess.DEVNULL,
                                           stderr=self.log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fail(f"serve exited with {self.proc.returncode}:\n"
                           f"{self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise Fail("serve did not listen within 10 s")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends sig and waits; returns (exit status, seconds it took)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
            self.proc.wait()
            raise Fail(f"serve did not stop within {timeout} s after {sig!r}")
        took = time.monotonic() - started
        self.log.close()
        self.check_log()
        return rc, took

    def check_log(self):
        """A sanitizer report of serve or of a job it ran fails the check."""
        text = self.log_text()
        for mark in ("Sanitizer", "runtime error:"):
            if mark in text:
                at = text.index(mark)
                raise Fail(f"{mark} in serve's log:\n{text[max(0, at - 200):at + 2000]}")

    def kill_all(self):
        if self.proc is not None:
            kill_group(self.proc)
            self.proc.wait()

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()


def request(method, path, body=None, token="default", raw=None, port=None,
            headers=None):
    """(status, headers, body parsed as JSON when it is JSON, else text)."""
    url = f"http://127.0.0.1:{port or T.serve.port}{path}"
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if token == "default":
        token = T.token
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            status, hdrs, payload = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, payload = e.code, e.headers, e.read()
    ctype = hdrs.get("Content-Type", "")
    if ctype.startswith("application/json") and payload:
        try:
            return status, hdrs, json.loads(payload)
        except ValueError:
            raise Fail(f"{method} {path}: Content-Type JSON but {payload[:200]!r}")
    return status, hdrs, payload.decode("utf-8", "replace")


def api(method, path, body=None, want=200, **kw):
    status, hdrs, payload = request(method, path, body, **kw)
    if status != want:
        raise Fail(f"{method} {path}: {status} {payload!r}, want {want}")
    return payload


def json_error(method, path, want, body=None, **kw):
    """The request must fail with status want and a JSON {"error": "..."}."""
    status, hdrs, payload = request(method, path, body, **kw)
    equal(f"{method} {path} status", status, want)
    expect(hdrs.get("Content-Type", "").startswith("application/json"),
           f"{method} {path}: error not JSON: {hdrs.get('Content-Type')}")
    expect(isinstance(payload, dict) and isinstance(payload.get("error"), str)
           and payload["error"], f"{method} {path}: no error message: {payload!r}")
    return hdrs, payload["error"]


def wait_job(job_id, states=("done",), timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        job = api("GET", f"/api/v1/jobs/{job_id}")
        if job["state"] in states:
            return job
        if time.monotonic() > deadline:
            raise Fail(f"job {job_id} is still {job['state']} after {timeout} s")
        time.sleep(0.2)


def jobs_of(network, port=None):
    return api("GET", f"/api/v1/jobs?network={network}", port=port)["jobs"]


def wait_for(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise Fail(f"{what} within {timeout} s")


def ports_of(*names):
    return ",".join(str(T.lab.ports[n]) for n in names)


def network_body(name, names, **extra):
    body = {"name": name, "ranges": ["127.0.0.1"], "ports": ports_of(*names),
            "connect_timeout_ms": CONNECT_MS, "download_timeout_ms": DOWNLOAD_MS}
    body.update(extra)
    return body


def served_sha256(port):
    import hashlib
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as s:
            return hashlib.sha256(s.getpeercert(True)).hexdigest()


def db_jobs(network):
    """Jobs of a network read from the SQLite file directly, newest first."""
    con = sqlite3.connect(T.db, timeout=10)
    try:
        return con.execute(
            "SELECT j.id, j.state, j.report_json IS NOT NULL FROM jobs j "
            "JOIN networks n ON n.id = j.network_id WHERE n.name = ? "
            "ORDER BY j.id DESC", (network,)).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------------------
# The checks

@check
def auth_is_enforced(t):
    hdrs, msg = json_error("GET", "/api/v1/networks", 401, token=None)
    expect(hdrs.get("WWW-Authenticate", "").startswith("Bearer"),
           f"401 without WWW-Authenticate: Bearer: {dict(hdrs)}")
    json_error("GET", "/api/v1/networks", 401, token="cst_" + "0" * 64)
    json_error("GET", "/api/v1/jobs", 401, token=None,
               headers={"Authorization": "Basic dXNlcjpwYXNz"})
    json_error("GET", "/api/v1/no-such-route", 401, token=None)
    api("GET", "/api/v1/networks")
    # The dashboard and the metrics (from loopback) need none.
    status, hdrs, page = request("GET", "/", token=None)
    equal("GET / status", status, 200)
    expect(hdrs.get("Content-Type", "").startswith("text/html"), "/ is not HTML")
    status, _, _ = request("GET", "/metrics", token=None)
    equal("GET /metrics from loopback without a token", status, 200)


@check
def errors_are_json(t):
    json_error("GET", "/api/v1/nothing", 404)
    json_error("GET", "/nothing", 404)
    json_error("GET", "/api/v1/networks/no-such-net", 404)
    json_error("GET", "/api/v1/jobs/999999", 404)
    json_error("GET", "/api/v1/jobs/abc", 404)
    hdrs, _ = json_error("DELETE", "/api/v1/jobs", 405)
    equal("Allow of /api/v1/jobs", hdrs.get("Allow"), "GET")
    hdrs, _ = json_error("PUT", "/api/v1/networks/x", 405)
    equal("Allow of /api/v1/networks/x", hdrs.get("Allow"), "GET, PATCH, DELETE")
    _, msg = json_error("POST", "/api/v1/networks", 400, raw=b"{not json")
    expect("JSON" in msg, f"bad JSON message: {msg}")
    json_error("POST", "/api/v1/networks", 400, raw=b"[1, 2]")
    _, msg = json_error("POST", "/api/v1/networks", 400,
                        body={"name": "x", "ranges": ["127.0.0.1"], "colour": 1})
    expect("colour" in msg, f"unknown field not named: {msg}")
    _, msg = json_error("POST", "/api/v1/networks", 400,
                        body={"name": "x", "ranges": ["10.0.0.0/33"]})
    _, msg = json_error("POST", "/api/v1/networks", 400,
                        body={"name": "x", "ranges": ["127.0.0.1"],
                              "schedule": {"discovery": "every tuesday"}})
    expect("schedule.discovery" in msg, f"bad schedule not named: {msg}")
    _, msg = json_error("POST", "/api/v1/networks", 400,
                        body={"name": "x", "ranges": ["127.0.0.1"],
                              "connect_timeout_ms": "fast"})
    json_error("GET", "/api/v1/endpoints?status=sleepy", 400)
    json_error("GET", "/api/v1/endpoints?colour=red", 400)
    json_error("GET", "/api/v1/certificates?expiring_days=-1", 400)
    json_error("GET", "/api/v1/findings?severity=dire", 400)
    json_error("GET", "/api/v1/endpoints?network=no-such-net", 404)
    _, msg = json_error("POST", "/api/v1/networks", 413,
                        raw=b"{" + b" " * (70 * 1024) + b"}")


@check
def networks_crud(t):
    body = network_body("lab", LAB_ENDPOINTS, description="the lab",
                        auto_monitor=False)
    net = api("POST", "/api/v1/networks", body, want=201)
    equal("created name", net["name"], "lab")
    equal("created ranges", net["ranges"], ["127.0.0.1"])
    equal("created ports", net["ports"], ports_of(*LAB_ENDPOINTS))
    equal("created schedule", net["schedule"],
          {"discovery": "", "monitoring": "", "vulnscan": "", "quiet_hours": ""})
    equal("last_jobs", net["last_jobs"],
          {"discovery": None, "monitoring": None, "vulnscan": None})
    equal("next_due without schedules", net["next_due"],
          {"discovery": None, "monitoring": None, "vulnscan": None})
    json_error("POST", "/api/v1/networks", 409, body=body)
    got = api("GET", "/api/v1/networks/lab")
    equal("GET description", got["description"], "the lab")
    names = [n["name"] for n in api("GET", "/api/v1/networks")["networks"]]
    expect("lab" in names, f"lab not listed: {names}")
    got = api("PATCH", "/api/v1/networks/lab", {"description": "lab, changed",
                                                "expiry_days": 10})
    equal("patched description", got["description"], "lab, changed")
    equal("patched expiry_days", got["expiry_days"], 10)
    equal("unpatched ports", got["ports"], ports_of(*LAB_ENDPOINTS))
    json_error("PATCH", "/api/v1/networks/lab", 400, body={"name": "other"})
    json_error("PATCH", "/api/v1/networks/lab", 400, body={"expiry_days": -3})
    api("POST", "/api/v1/networks", network_body("doomed", ("closed",)), want=201)
    status, _, payload = request("DELETE", "/api/v1/networks/doomed")
    equal("DELETE status", status, 204)
    json_error("GET", "/api/v1/networks/doomed", 404)
    json_error("DELETE", "/api/v1/networks/doomed", 404)


@check
def discovery_through_the_api(t):
    job = api("POST", "/api/v1/networks/lab/jobs", {"kind": "discovery"}, want=202)
    expect(isinstance(job.get("id"), int), f"202 without a job id: {job}")
    equal("job network", job["network"], "lab")
    equal("job kind", job["kind"], "discovery")
    # silent holds the job for its download timeout: a second one now is
    # refused.
    json_error("POST", "/api/v1/networks/lab/jobs", 409, body={"kind": "discovery"})
    json_error("POST", "/api/v1/networks/lab/jobs", 400, body={"kind": "nap"})
    json_error("POST", "/api/v1/networks/lab/jobs", 400, body={"kind": "discovery", "x": 1})
    json_error("POST", "/api/v1/networks/nowhere/jobs", 404, body={"kind": "discovery"})
    seen = set()
    deadline = time.monotonic() + 30
    while True:
        cur = api("GET", f"/api/v1/jobs/{job['id']}")
        seen.add(cur["progress"]["percent"])
        if cur["state"] != "running":
            break
        expect(time.monotonic() < deadline, "the job runs for more than 30 s")
        time.sleep(0.1)
    equal("state", cur["state"], "done")
    equal("percent when done", cur["progress"]["percent"], 100)
    expect(all(0 <= p <= 100 for p in seen), f"percent out of range: {seen}")
    equal("endpoints_scanned", cur["endpoints_scanned"], len(LAB_ENDPOINTS))
    equal("certificate_found", cur["counts"]["certificate_found"], len(TLS_ENDPOINTS))
    equal("connection_refused", cur["counts"]["connection_refused"], 1)
    equal("timed_out_downloading", cur["counts"]["timed_out_downloading"], 1)
    t.lab_job = cur["id"]

    report = api("GET", f"/api/v1/jobs/{cur['id']}/report")
    expect(isinstance(report, dict), f"report is not JSON: {report!r}")
    status, hdrs, text = request("GET", f"/api/v1/jobs/{cur['id']}/report?format=text")
    equal("text report status", status, 200)
    expect(hdrs["Content-Type"].startswith("text/plain") and "lab" in text,
           f"text report: {hdrs['Content-Type']} {text[:200]!r}")
    status, hdrs, page = request("GET", f"/api/v1/jobs/{cur['id']}/report?format=html")
    expect(status == 200 and hdrs["Content-Type"].startswith("text/html")
           and "<" in page, f"html report: {status} {hdrs['Content-Type']}")
    json_error("GET", f"/api/v1/jobs/{cur['id']}/report?format=pdf", 400)
    listed = api("GET", "/api/v1/jobs?network=lab&kind=discovery&limit=1")["jobs"]
    equal("newest listed job", [j["id"] for j in listed], [cur["id"]])
    net = api("GET", "/api/v1/networks/lab")
    equal("last_jobs.discovery", net["last_jobs"]["discovery"]["id"], cur["id"])


@check
def endpoints_and_filters(t):
    eps = api("GET", "/api/v1/endpoints?network=lab")["endpoints"]
    by_port = {e["port"]: e for e in eps}
    # closed refused the connection: no row.
    want = {T.lab.ports[n] for n in LAB_ENDPOINTS if n != "closed"}
    equal("endpoint ports", set(by_port), want)
    tls = api("GET", "/api/v1/endpoints?network=lab&status=certificate_found")["endpoints"]
    equal("certificate_found ports", {e["port"] for e in tls},
          {T.lab.ports[n] for n in TLS_ENDPOINTS})
    e = by_port[T.lab.ports["tls13_rsa"]]
    equal("cert_sha256 of tls13_rsa", e["cert_sha256"],
          served_sha256(T.lab.ports["tls13_rsa"]))
    expect(e["cert"] and isinstance(e["cert"]["days_left"], int), f"no cert: {e}")
    equal("monitored before", e["monitored"], False)
    equal("monitored=true before", api("GET", "/api/v1/endpoints?monitored=true")["endpoints"], [])
    got = api("PATCH", f"/api/v1/endpoints/{e['id']}", {"monitored": True})
    equal("monitored after PATCH", got["monitored"], True)
    mon = api("GET", "/api/v1/endpoints?network=lab&monitored=true")["endpoints"]
    equal("monitored endpoints", [m["id"] for m in mon], [e["id"]])
    unmon = api("GET", "/api/v1/endpoints?network=lab&monitored=false")["endpoints"]
    equal("unmonitored count", len(unmon), len(want) - 1)
    json_error("PATCH", f"/api/v1/endpoints/{e['id']}", 400, body={"ip": "1.2.3.4"})
    json_error("PATCH", "/api/v1/endpoints/999999", 404, body={"monitored": True})
    one = api("GET", f"/api/v1/endpoints/{e['id']}")
    expect(one["history"] and one["history"][0]["job_id"] == t.lab_job,
           f"history: {one.get('history')}")
    api("GET", "/api/v1/endpoints?changed=true")


@check
def certificates_and_filters(t):
    certs = api("GET", "/api/v1/certificates?network=lab")["certificates"]
    shas = {served_sha256(T.lab.ports[n]) for n in TLS_ENDPOINTS}
    equal("certificates of lab", {c["sha256"] for c in certs}, shas)
    afters = [c["not_after"] for c in certs]
    equal("soonest expiry first", afters, sorted(afters))
    expired = api("GET", "/api/v1/certificates?expiring_days=0")["certificates"]
    expired_sha = served_sha256(T.lab.ports["expired"])
    expect(expired_sha in {c["sha256"] for c in expired},
           "the expired certificate is not in expiring_days=0")
    expect(all(c["days_left"] <= 0 for c in expired), "expiring_days=0 keeps valid ones")
    one = api("GET", f"/api/v1/certificates/{expired_sha}")
    equal("endpoints of the expired cert", [(e["network"], e["port"]) for e in one["endpoints"]],
          [("lab", T.lab.ports["expired"])])
    issuer = certs[0]["issuer"]
    part = issuer.split(",")[0]
    by_issuer = api("GET", "/api/v1/certificates?issuer=" +
                    urllib.request.quote(part))["certificates"]
    expect(by_issuer and all(part in c["issuer"] for c in by_issuer),
           f"issuer filter {part!r}: {[c['issuer'] for c in by_issuer]}")
    equal("issuer that matches nothing",
          api("GET", "/api/v1/certificates?issuer=no-such-issuer-xyz")["certificates"], [])
    json_error("GET", "/api/v1/certificates/" + "0" * 64, 404)
    t.certs = certs


@check
def findings_and_outbox(t):
    findings = api("GET", "/api/v1/findings?network=lab&all=true")["findings"]
    expect(isinstance(findings, list), "findings is not a list")
    api("GET", "/api/v1/findings?severity=high")
    msgs = api("GET", "/api/v1/outbox")["messages"]
    expect(isinstance(msgs, list), "messages is not a list")
    equal("failed messages", api("GET", "/api/v1/outbox?failed=true")["messages"], [])
    api("GET", "/api/v1/outbox?all=true")


METRIC_LINE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?'
    r' (-?[0-9.eE+]+|NaN|[+-]Inf)$')


def parse_labels(text):
    return dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', text or ""))


@check
def metrics(t):
    status, hdrs, text = request("GET", "/metrics", token=None)
    equal("status", status, 200)
    expect(hdrs["Content-Type"].startswith("text/plain; version=0.0.4"),
           f"Content-Type {hdrs['Content-Type']}")
    typed, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            expect(name not in typed, f"TYPE of {name} twice")
            typed[name] = kind
        elif line.startswith("#") or not line:
            continue
        else:
            m = METRIC_LINE.match(line)
            expect(m, f"not a sample line: {line!r}")
            expect(m.group(1) in typed, f"sample of {m.group(1)} without TYPE")
            samples.append((m.group(1), parse_labels(m.group(2)), float(m.group(3))))
    names = {s[0] for s in samples}
    for want in ("certsweep_up", "certsweep_cert_not_after_seconds",
                 "certsweep_endpoint_status", "certsweep_job_last_duration_seconds",
                 "certsweep_job_last_endpoints", "certsweep_jobs_running",
                 "certsweep_outbox_messages", "certsweep_scan_rate_endpoints_per_second",
                 "certsweep_findings_open", "certsweep_job_last_start_timestamp_seconds"):
        expect(want in names, f"no {want}")
    import calendar
    not_after = {(l["port"]): v for n, l, v in samples
                 if n == "certsweep_cert_not_after_seconds" and l["network"] == "lab"}
    for name in TLS_ENDPOINTS:
        port = str(T.lab.ports[name])
        cert = [c for c in t.certs if any(e["port"] == T.lab.ports[name]
                                          for e in c["endpoints"])][0]
        want = calendar.timegm(time.strptime(cert["not_after"], "%Y-%m-%dT%H:%M:%SZ"))
        equal(f"not_after of {name}", not_after.get(port), float(want))
    status_of = {l["port"]: l["status"] for n, l, v in samples
                 if n == "certsweep_endpoint_status" and l["network"] == "lab"}
    equal("status of silent", status_of.get(str(T.lab.ports["silent"])),
          "timed_out_downloading")
    found = [v for n, l, v in samples if n == "certsweep_job_last_endpoints"
             and l == {"network": "lab", "kind": "discovery", "status": "certificate_found"}]
    equal("job_last_endpoints certificate_found", found, [float(len(TLS_ENDPOINTS))])


@check
def scheduler_runs_a_due_job_once(t):
    # No job yet and an interval: due at once; then not again for 1 min.
    api("POST", "/api/v1/networks",
        network_body("sched", ("closed",), schedule={"discovery": "1m"}), want=201)
    jobs = wait_for("no scheduled job", lambda: jobs_of("sched"), 20)
    equal("scheduled job kind", jobs[0]["kind"], "discovery")
    wait_job(jobs[0]["id"])
    time.sleep(4)
    equal("jobs after 4 s more", len(jobs_of("sched")), 1)
    net = api("GET", "/api/v1/networks/sched")
    expect(net["next_due"]["discovery"] > jobs[0]["started_at"],
           f"next_due {net['next_due']} is not after the job")
    expect("job started" in T.serve.log_text(), "no 'job started' log line")


@check
def quiet_hours_hold_the_scheduler(t):
    api("POST", "/api/v1/networks",
        network_body("quiet", ("closed",), schedule={
            "discovery": "1m", "quiet_hours": "daily 00:00-24:00"}), want=201)
    time.sleep(4)
    equal("jobs of a quiet network", jobs_of("quiet"), [])
    net = api("GET", "/api/v1/networks/quiet")
    expect(net["next_due"]["discovery"] is not None, "no next_due while quiet")
    # By hand it may start (docs/api.md): quiet hours hold the scheduler only.
    job = api("POST", "/api/v1/networks/quiet/jobs", {"kind": "discovery"}, want=202)
    wait_job(job["id"])
    api("PATCH", "/api/v1/networks/quiet", {"schedule": {"discovery": ""}})


@check
def sighup_keeps_a_bad_configuration_out(t):
    with open(T.conf, "w") as f:
        f.write("[serve]\nmetrics_token = perhaps\n")
    T.serve.proc.send_signal(signal.SIGHUP)
    wait_for("no log of the refused reload",
             lambda: "not reloaded" in T.serve.log_text(), 5)
    with open(T.conf, "w") as f:
        f.write("[serve]\nmetrics_token = yes\n")
    T.serve.proc.send_signal(signal.SIGHUP)
    wait_for("no log of the reload", lambda: "configuration reloaded" in T.serve.log_text(), 5)
    status, _, _ = request("GET", "/metrics", token=None)
    equal("/metrics without a token once metrics_token = yes", status, 401)
    status, _, _ = request("GET", "/metrics")
    equal("/metrics with a token", status, 200)
    with open(T.conf, "w") as f:
        f.write("")
    T.serve.proc.send_signal(signal.SIGHUP)


def slow_running_job():
    """The running job of the network slow (its schedule starts it)."""
    def running():
        jobs = [j for j in jobs_of("slow") if j["state"] == "running"]
        return jobs[0] if jobs else None
    return wait_for("no running job of slow", running, 20)


@check
def sigterm_during_a_job(t):
    api("POST", "/api/v1/networks", network_body(
        "slow", ("silent", "tarpit"), download_timeout_ms=SLOW_DOWNLOAD_MS,
        schedule={"discovery": "1d"}), want=201)
    job = slow_running_job()
    time.sleep(0.5)
    rc, took = T.serve.stop(signal.SIGTERM)
    equal("exit status after SIGTERM", rc, 0)
    bound = (CONNECT_MS + SLOW_DOWNLOAD_MS) / 1000 + 2
    expect(took <= bound + 1, f"serve took {took:.1f} s to stop, over {bound} s")
    states = dict((i, s) for i, s, _ in db_jobs("slow"))
    equal("state of the job cut short", states.get(job["id"]), "interrupted")
    t.interrupted = job["id"]
    print(f"  SIGTERM to exit: {took:.2f} s (bound {bound:.0f} s)")


@check
def restart_reruns_the_interrupted_job(t):
    T.serve = Serve(free_port()).start()
    jobs = wait_for("no rerun of the interrupted job",
                    lambda: [j for j in jobs_of("slow") if j["id"] > t.interrupted], 20)
    expect("interrupted" not in [j["state"] for j in jobs], f"{jobs}")


@check
def kill_9_during_a_job_loses_nothing(t):
    job = slow_running_job()
    before = db_jobs("lab")
    T.serve.proc.kill()      # SIGKILL serve alone; its job gets SIGTERM
    T.serve.proc.wait()
    T.serve.log.close()
    # The job stops itself (PR_SET_PDEATHSIG) and records that.
    def recorded():
        return dict((i, s) for i, s, _ in db_jobs("slow")).get(job["id"]) != "running"
    try:
        wait_for("the orphaned job still runs", recorded, 15)
    except Fail:
        pass  # if it died without recording, the next start marks it
    T.serve = Serve(free_port()).start()
    states = wait_for(
        "no rerun after kill -9",
        lambda: (lambda js: js if any(j["id"] > job["id"] for j in js) else None)(
            jobs_of("slow")), 20)
    state = {j["id"]: j["state"] for j in states}[job["id"]]
    equal("state of the job serve was killed under", state, "interrupted")
    equal("jobs of lab after the restart", db_jobs("lab"), before)
    lab = api("GET", f"/api/v1/jobs/{t.lab_job}")
    equal("the lab job after the restart", lab["state"], "done")
    api("GET", f"/api/v1/jobs/{t.lab_job}/report")
    # Leave nothing running for the cleanup.
    api("PATCH", "/api/v1/networks/slow", {"schedule": {"discovery": ""}})


@check
def stops_cleanly(t):
    rc, took = T.serve.stop(signal.SIGTERM)
    equal("exit status after SIGTERM", rc, 0)
    expect("stopped" in T.serve.log_text(), "no 'stopped' in the log")
    T.serve = None


@check
def refuses_to_listen_elsewhere_without_tls_and_token(t):
    fresh = os.path.join(T.tmp, "fresh.db")
    for db, missing in ((T.db, ("TLS",)), (fresh, ("TLS", "token"))):
        p = certsweep("serve", "--listen", "0.0.0.0:1", db=db, timeout=10)
        equal(f"exit status ({os.path.basename(db)})", p.returncode, 2)
        for word in missing:
            expect(word in p.stderr, f"the message does not name {word}: {p.stderr!r}")
    p = certsweep("serve", "--listen", "0.0.0.0:1", "--tls-cert", T.conf, db=fresh,
                  timeout=10)
    equal("exit status with --tls-cert alone", p.returncode, 2)
    p = certsweep("serve", "--listen", "nowhere", timeout=10)
    equal("exit status for a bad --listen", p.returncode, 2)
    expect("--listen" in p.stderr, f"bad --listen message: {p.stderr!r}")


@check
def serves_https_with_tls_cert_and_key(t):
    cert, key = os.path.join(T.tmp, "serve.crt"), os.path.join(T.tmp, "serve.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=certsweep-serve", "-addext",
                    "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    # In the test's own network namespace 0.0.0.0 is its loopback alone:
    # there the exposure rule itself is tried (TLS and a token: allowed).
    port = free_port()
    listen = f"0.0.0.0:{port}" if T.private_net else f"127.0.0.1:{port}"
    serve = Serve(port, listen=listen, extra=["--tls-cert", cert, "--tls-key", key]).start()
    try:
        ctx = ssl.create_default_context(cafile=cert)
        url = f"https://127.0.0.1:{port}/api/v1/networks"
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {T.token}"})
        with urllib.request.urlopen(req, timeout=20, context=ctx) as r:
            equal("HTTPS status", r.status, 200)
            names = [n["name"] for n in json.loads(r.read())["networks"]]
            expect("lab" in names, f"networks over HTTPS: {names}")
        try:
            urllib.request.urlopen(url, timeout=20, context=ctx)
            raise Fail("HTTPS without a token was answered")
        except urllib.error.HTTPError as e:
            equal("HTTPS status without a token", e.code, 401)
        with socket.create_connection(("127.0.0.1", port), 5) as s:
            s.sendall(b"GET /api/v1/networks HTTP/1.0\r\n\r\n")
            s.settimeout(5)
            try:
                answer = s.recv(100)
            except (socket.timeout, ConnectionResetError):
                answer = b""
            expect(not answer.startswith(b"HTTP/"),
                   f"plain HTTP answered on the TLS port: {answer!r}")
    finally:
        rc, _ = serve.stop(signal.SIGTERM)
    equal("exit status of the HTTPS serve", rc, 0)


# ---------------------------------------------------------------------------

def before(t):
    T.lab = t.lab
    p = certsweep("token", "create", "e2e")
    if p.returncode != 0:
        raise Fail(f"token create: {p.stderr}")
    T.token = p.stdout.strip().split()[-1]
    T.serve = Serve(free_port()).start()


def main():
    T.private_net = harness.enter_private_network(
        "the test only uses 127.0.0.1 anyway")
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    T.tmp = tempfile.mkdtemp(prefix="certsweep-serve-")
    T.db = os.path.join(T.tmp, "inventory.db")
    T.conf = os.path.join(T.tmp, "certsweep.conf")
    open(T.conf, "w").close()
    T.serve = None
    t = T
    t.lab = harness.Lab("certsweep-serve-lab-")
    try:
        return harness.run_checks(t, before=before)
    finally:
        if T.serve is not None:
            if VERBOSE:
                sys.stdout.write(T.serve.log_text())
            T.serve.kill_all()
        shutil.rmtree(T.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
