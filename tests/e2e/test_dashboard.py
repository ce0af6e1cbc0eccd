#!/usr/bin/python3
"""End-to-end test of the web dashboard of `certsweep serve`, in a real
browser: Debian's chromium, headless, driven through the DevTools protocol
(tests/e2e/cdp.py).

Run: CERTSWEEP=build/certsweep /usr/bin/python3 tests/e2e/test_dashboard.py [-v]

The inventory is filled the way a user of the dashboard would: the lab
(tests/lab/lab.py) serves the endpoints, `certsweep token create` makes the
API token, `certsweep serve` runs, and two networks are created and scanned
through the REST API (a discovery each, then, after the lab swapped one
endpoint's certificate for a fresh one, a monitoring, and a vulnscan).
Then each page is loaded in the browser, which must render it with its key
elements (tables with rows, the expiry chart's bars, badges, the links
between certificates, endpoints and networks) and without a single console
error, exception or failed request; headers sort, filter boxes filter,
links lead where they say, a job started from the page is followed to its
end, and a refused token brings the token form back.  A screenshot of each
page is written to screenshots/ beside the binary under test (so
build-asan/screenshots/ under `make test`); the paths are printed.

Prints one line per check and `N passed, M failed`; exits 1 if any failed,
77 (skipped, with the reason printed) only when there is no chromium.
Runs in a network namespace of its own when it may: the browser can reach
nothing but loopback, and its pages load nothing from elsewhere anyway.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
import cdp
import harness
from harness import VERBOSE, Context, Fail, check, equal, expect

CERTSWEEP = os.path.abspath(harness.CERTSWEEP)
SHOTS = os.path.join(os.path.dirname(CERTSWEEP), "screenshots")
WEB = ("tls13_rsa", "tls12_ecdsa", "tls10_rsa", "expired", "selfsigned", "sha1",
       "http", "ssh", "alert", "closed")
EDGE = ("tls13_rsa", "ed25519")      # tls13_rsa is in both networks
SWAPPED = "tls12_ecdsa"               # gets a fresh certificate before monitoring

T = Context()


# ---------------------------------------------------------------------------
# certsweep, the service and its API

def cs(*args, timeout=60):
    argv = [CERTSWEEP, "--db", T.db, "--config", T.config, *args]
    p = harness.start_in_group(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = harness.finish(p, args, timeout)
    if VERBOSE:
        print(f"  $ certsweep {' '.join(args)} -> {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(method, path, body=None, token=True, timeout=30):
    """(status, decoded JSON or text) of one request to serve."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + T.token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(T.base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, ctype, raw = r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, raw = e.code, e.headers.get("Content-Type", ""), e.read()
    if ctype.startswith("application/json") and raw:
        return status, json.loads(raw)
    return status, raw


def api_ok(method, path, body=None, want=(200,)):
    status, answer = api(method, path, body)
    if status not in want:
        raise Fail(f"{method} {path}: HTTP {status}: {answer!r:.300}")
    return answer


def run_job(network, kind, timeout=120):
    """Starts a job through the API and waits for it to end; the job.  The
    process of the network's previous job may still be finishing (its row
    says done, its outbox is being delivered): serve answers 409 until it
    exits, so that is retried for a while."""
    deadline = time.monotonic() + timeout
    while True:
        status, job = api("POST", f"/api/v1/networks/{network}/jobs", {"kind": kind})
        if status == 202:
            break
        if status != 409 or time.monotonic() > deadline:
            raise Fail(f"POST /api/v1/networks/{network}/jobs: HTTP {status}: {job!r:.300}")
        time.sleep(0.2)
    while True:
        if job.get("id") is None:      # still starting: find it among the jobs
            jobs = api_ok("GET", f"/api/v1/jobs?network={network}&kind={kind}&limit=1")["jobs"]
            if jobs and jobs[0]["state"] != "running" and jobs[0]["id"] > T.last_job:
                job = jobs[0]
            elif jobs and jobs[0]["id"] > T.last_job:
                job = jobs[0]
        else:
            job = api_ok("GET", f"/api/v1/jobs/{job['id']}")
            if job["state"] != "running":
                break
        if time.monotonic() > deadline:
            raise Fail(f"the {kind} of {network} did not end in {timeout} s: {job}")
        time.sleep(0.3)
    T.last_job = max(T.last_job, job["id"])
    if job["state"] != "done":
        raise Fail(f"the {kind} of {network} ended {job['state']}:\n{serve_log()}")
    return job


def serve_log():
    try:
        with open(T.serve_log_path) as f:
            return f.read()[-3000:]
    except OSError:
        return ""


def ports_of(names):
    return ",".join(str(T.lab.ports[n]) for n in names)


def start_serve():
    T.port = free_port()
    T.base = f"http://127.0.0.1:{T.port}"
    T.serve_log_path = os.path.join(T.dir, "serve.log")
    T.serve_log = open(T.serve_log_path, "w")
    T.serve = harness.start_in_group(
        [CERTSWEEP, "--db", T.db, "--config", T.config, "serve",
         "--listen", f"127.0.0.1:{T.port}"],
        stdout=T.serve_log, stderr=T.serve_log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if api("GET", "/", token=False, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if T.serve.poll() is not None or time.monotonic() > deadline:
            raise Fail(f"certsweep serve did not answer on {T.base}:\n{serve_log()}")
        time.sleep(0.1)


def stop_serve():
    p = getattr(T, "serve", None)
    if p is None:
        return
    T.serve = None
    if p.poll() is None:
        harness.kill_group(p, signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            pass
    harness.kill_group(p)      # and whatever of its group is left
    p.wait()
    T.serve_log.close()
    if VERBOSE:
        print(serve_log())


def before(t):
    """The service, a token, two scanned networks and the browser."""
    T.dir = tempfile.mkdtemp(prefix="cs-dash-")
    T.db = os.path.join(T.dir, "inventory.db")
    T.config = os.path.join(T.dir, "certsweep.conf")
    T.last_job = 0
    T.browser = None
    T.setup_error = None
    with open(T.config, "w"):
        pass
    try:
        r = cs("token", "create", "dashboard-test")
        m = re.search(r"\bcst_[0-9a-f]{64}\b", r.stdout)
        if r.returncode != 0 or not m:
            raise Fail(f"token create: exit {r.returncode}: {r.stdout!r} {r.stderr!r}")
        T.token = m.group(0)
        start_serve()
        common = {"connect_timeout_ms": 1000, "download_timeout_ms": 2000,
                  "expiry_days": 30, "auto_monitor": True}
        api_ok("POST", "/api/v1/networks", dict(common, name="web", ranges=["127.0.0.1"],
               ports=ports_of(WEB), description="lab web servers"), want=(201,))
        # edge mails its reports, and the configuration has no [smtp]: its
        # emails wait in the outbox.
        api_ok("POST", "/api/v1/networks", dict(common, name="edge", ranges=["127.0.0.1"],
               ports=ports_of(EDGE), alert_to=["pki@example.com"]), want=(201,))
        run_job("web", "discovery")
        run_job("edge", "discovery")
        T.lab.control("swap", SWAPPED, "fresh")
        run_job("web", "monitoring")
        run_job("web", "vulnscan", timeout=180)
        T.browser = cdp.Browser(width=1280, height=800, verbose=VERBOSE).start()
        os.makedirs(SHOTS, exist_ok=True)
    except Exception as e:
        T.setup_error = f"{type(e).__name__}: {e}"


# ---------------------------------------------------------------------------
# The browser side

def js(expr):
    return T.browser.evaluate(expr)


def wait_ready(what):
    T.browser.wait_for("document.body && document.body.dataset.ready === '1'",
                       timeout=30, what=f"{what} to render")
    T.browser.pump(0.2)       # console messages of the last moment


def go(hash_):
    """Shows a page of the already loaded dashboard and waits for it."""
    js("document.body.dataset.ready = 'no';"
       f"if (location.hash === {json.dumps(hash_)}) document.getElementById('refresh').click();"
       f"else location.hash = {json.dumps(hash_)}; true")
    wait_ready(hash_)


def click(selector, what=None):
    ok = js(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            "if (!e) return false; e.click(); return true; })()")
    expect(ok, f"no {what or selector} to click")


def follow(selector, what):
    """Clicks a link and waits for the page it leads to; its href."""
    href = js(f"(document.querySelector({json.dumps(selector)}) || {{}}).getAttribute"
              f" ? document.querySelector({json.dumps(selector)}).getAttribute('href') : null")
    expect(href, f"no {what} link ({selector})")
    js("document.body.dataset.ready = 'no'; true")
    click(selector, what)
    wait_ready(href)
    equal(f"the address after following the {what} link", js("location.hash"), href)
    return href


def count(selector):
    return js(f"document.querySelectorAll({json.dumps(selector)}).length")


def texts(selector):
    return js(f"[...document.querySelectorAll({json.dumps(selector)})].map(e => e.textContent.trim())")


def rows(table):
    """The data rows of a dashboard table (not the "nothing to show" row)."""
    return count(f"table[data-table='{table}'] tbody tr:not(.empty-row)")


def banners():
    return texts("#banners .banner-error")


def clean(what):
    """No console error and no error banner since the last call."""
    errors, T.browser.errors = T.browser.errors, []
    expect(not errors, f"{what}: errors in the browser console:\n  " + "\n  ".join(errors))
    b = banners()
    expect(not b, f"{what}: an error banner is shown: {b}")


def shot(name):
    path = T.browser.screenshot(os.path.join(SHOTS, f"dashboard-{name}.png"))
    print(f"  screenshot: {path}")


def ready_for_browser():
    if T.setup_error:
        raise Fail(f"setup: {T.setup_error}\n{serve_log()}")
    if T.browser is None:
        raise Fail("no browser")


# ---------------------------------------------------------------------------
# The checks

@check
def assets_are_served_without_a_token(t):
    if T.setup_error:
        raise Fail(f"setup: {T.setup_error}\n{serve_log()}")
    want = {"/": "text/html", "/ui/app.js": "text/javascript", "/ui/app.css": "text/css",
            "/ui/favicon.svg": "image/svg+xml"}
    for path, ctype in want.items():
        req = urllib.request.Request(T.base + path)
        with urllib.request.urlopen(req, timeout=10) as r:
            equal(f"GET {path}", r.status, 200)
            expect(r.headers.get("Content-Type", "").startswith(ctype),
                   f"GET {path}: Content-Type {r.headers.get('Content-Type')!r}, want {ctype}")
            body = r.read().decode()
        # Nothing from elsewhere: no absolute URL in a src, href or url().
        outside = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|import\s""", body)
        expect(not outside, f"{path} refers to something outside serve: {outside}")
    status, _ = api("GET", "/ui/nothing.js", token=False)
    equal("GET /ui/nothing.js", status, 404)


@check
def overview(t):
    ready_for_browser()
    T.browser.navigate(f"{T.base}/?token={T.token}#/")
    wait_ready("the overview")
    equal("the address bar after ?token= was taken", js("location.search"), "")
    equal("the token kept", js("localStorage.getItem('certsweep.token')"), T.token)
    equal("networks listed", rows("networks"), 2)
    equal("network links", sorted(texts("table[data-table='networks'] a.net-link")), ["edge", "web"])
    expect(count("table[data-table='networks'] .job-cell .badge.state[data-state='done']") >= 3,
           "the last jobs' states are not shown as badges")
    expect(count("table[data-table='networks'] .badge.status[data-status='certificate_found']") >= 2,
           "the networks' discovery counts by status are not shown")
    # The chart: one bar for the expired certificates, one per week.
    expect(count("#expiry-chart") == 1, "no expiry chart")
    equal("bars for 30 days", count("#expiry-chart rect.bar"), 1 + 5)
    expired = js("+document.querySelector('#expiry-chart rect.bar[data-week=expired]').dataset.count")
    expect(expired >= 1, "the lab's expired certificate is not in the expired bar")
    js("{ const s = document.getElementById('chart-days'); s.value = '365';"
       "document.body.dataset.ready = 'no'; s.dispatchEvent(new Event('change')); } true")
    wait_ready("the overview with 365 days")
    equal("bars for 365 days", count("#expiry-chart rect.bar"), 1 + 53)
    ahead = js("[...document.querySelectorAll('#expiry-chart rect.bar:not([data-week=expired])')]"
               ".reduce((n, r) => n + +r.dataset.count, 0)")
    expect(ahead >= 1, "the fresh 90-day certificate is not in the 365-day chart")
    expect(js("[...document.querySelectorAll('#expiry-chart rect.bar')].some(r => +r.getAttribute('height') > 0)"),
           "every bar is flat")
    sev = js("Object.fromEntries([...document.querySelectorAll('[data-severity-count]')]"
             ".map(e => [e.dataset.severityCount, +e.textContent]))")
    expect(sum(sev.values()) >= 1, f"no finding counted by severity: {sev}")
    expect(count("#status-counts .badge.status") >= 3, "no endpoint counts by status")
    expect(js("document.querySelector('#nav a.active').dataset.nav") == "overview", "nav not marked")
    shot("overview")
    js("localStorage.setItem('certsweep.chartDays', '30'); true")
    clean("overview")


@check
def network_page_sorts_and_filters(t):
    ready_for_browser()
    go("#/")
    follow("table[data-table='networks'] a.net-link[href='#/networks/web']", "network")
    equal("endpoints of web", rows("endpoints"), len(WEB) - 1)   # closed never accepted
    equal("jobs of web", rows("jobs"), 3)      # discovery, monitoring, vulnscan
    expect(count("button[data-run]") == 3, "no run buttons")
    expect(count("table[data-table='endpoints'] .badge.changed") >= 1,
           "the swapped endpoint is not marked changed")
    first = "table[data-table='endpoints'] tbody tr td:first-child"
    before = texts(first)
    click("table[data-table='endpoints'] th[data-key='endpoint']", "Endpoint header")
    after = texts(first)
    expect(js("document.querySelector(\"table[data-table='endpoints'] th[data-key='endpoint']\")"
              ".getAttribute('aria-sort')") == "descending", "the header does not show the order")
    expect(after == list(reversed(before)) and after != before,
           f"clicking the header did not reverse the order: {before} -> {after}")
    click("table[data-table='endpoints'] th[data-key='expires']", "Expires header")
    exp = js("[...document.querySelectorAll(\"table[data-table='endpoints'] tbody tr .expires\")]"
             ".map(e => e.textContent.slice(0, 10))")
    expect(exp == sorted(exp) and len(exp) >= 5, f"not sorted by expiry: {exp}")
    js("document.querySelector(\"input.search[data-table='endpoints']\").focus(); true")
    T.browser.insert_text("http_response")
    equal("rows matching http_response", rows("endpoints"), 1)
    expect("1 of" in js("document.querySelector('#p-endpoints .count').textContent"),
           "the count does not say how many rows match")
    js("{ const s = document.querySelector(\"input.search[data-table='endpoints']\");"
       "s.value = ''; s.dispatchEvent(new Event('input')); } true")
    equal("rows after clearing the filter", rows("endpoints"), len(WEB) - 1)
    shot("network")
    clean("network page")


@check
def job_started_from_the_page_is_followed(t):
    ready_for_browser()
    go("#/networks/edge")
    jobs_before = rows("jobs")
    click("button[data-run='monitoring']", "Run monitoring")
    # The job of two endpoints may end before a poll sees it run: what
    # counts is the line that follows it and stays, and the banner.
    try:
        T.browser.wait_for("[...document.querySelectorAll('#banners .banner-ok')]"
                           ".some(b => /monitoring of edge .* ended: done/.test(b.textContent))",
                           timeout=120, what="the end of the job started from the page")
        wait_ready("the network page after the job")
        T.browser.wait_for(f"document.querySelectorAll(\"table[data-table='jobs'] tbody tr\").length > {jobs_before}",
                           what="the new job in the table")
    except cdp.BrowserError as e:
        raise Fail(f"{e}; banners {texts('#banners .banner')}; console {T.browser.errors}")
    line = js("(document.querySelector('#runs .progress') || {}).textContent || ''")
    expect(re.search(r"monitoring #\d+\s*done", line), f"the job's line says {line!r}")
    T.last_job = max(T.last_job, max(j["id"] for j in api_ok("GET", "/api/v1/jobs")["jobs"]))
    clean("the job run from the page")


@check
def changes(t):
    ready_for_browser()
    go("#/changes")
    expect(rows("changes") >= 1, "no changed endpoint listed")
    port = str(T.lab.ports[SWAPPED])
    eps = texts("table[data-table='changes'] a.endpoint-link")
    expect(any(e.endswith(":" + port) for e in eps), f"{SWAPPED} (:{port}) not among {eps}")
    expect(count("table[data-table='changes'] a.cert-link") >= 2,
           "the certificates before and now are not linked")
    expect(js("document.querySelector('#nav a.active').dataset.nav") == "changes", "nav not marked")
    shot("changes")
    clean("changes")


@check
def certificates_and_their_links(t):
    ready_for_browser()
    go("#/certificates")
    n = rows("certificates")
    expect(n >= 6, f"only {n} certificates listed")
    expect(count("table[data-table='certificates'] .badge[data-expiry='expired']") >= 1,
           "the expired certificate has no badge")
    shot("certificates")
    # Filter boxes: the search box and the expiry filter.
    js("document.querySelector(\"input.search[data-table='certificates']\").focus(); true")
    T.browser.insert_text("rsa.test")
    got = texts("table[data-table='certificates'] tbody tr td:first-child")
    expect(got and all("rsa.test" in g for g in got), f"filter rsa.test kept {got}")
    # rsa.test is presented by tls13_rsa in both networks: certificate -> endpoints.
    follow("table[data-table='certificates'] tbody tr a.cert-link", "certificate")
    sha = js("document.querySelector('.page-certificate').dataset.sha256")
    cert = api_ok("GET", f"/api/v1/certificates/{sha}")
    equal("endpoints presenting rsa.test", rows("cert-endpoints"), len(cert["endpoints"]))
    equal("their networks", sorted(set(texts("table[data-table='cert-endpoints'] a.net-link"))),
          ["edge", "web"])
    shot("certificate")
    follow("table[data-table='cert-endpoints'] a.endpoint-link", "endpoint")
    expect(js(f"!!document.querySelector('#p-current-cert a.cert-link[href=\"#/certificates/{sha}\"]')"),
           "the endpoint page does not link back to its certificate")
    expect(rows("history") >= 2, "the endpoint's history is missing")
    follow("#p-endpoint a.net-link", "network")
    go("#/certificates?expiring=expired")
    equal("expired certificates", rows("certificates"), 1)
    expect(js("document.getElementById('filter-expiring').value") == "expired", "filter not shown")
    clean("certificates")


@check
def endpoint_history(t):
    ready_for_browser()
    eps = api_ok("GET", "/api/v1/endpoints?network=web")["endpoints"]
    ep = next(e for e in eps if e["port"] == T.lab.ports[SWAPPED])
    go(f"#/endpoints/{ep['id']}")
    expect(rows("history") >= 2, "fewer than two probes in the history")
    times = js("[...document.querySelectorAll(\"table[data-table='history'] tbody tr [data-time]\")]"
               ".map(e => e.dataset.time)")
    expect(times == sorted(times, reverse=True), f"history not newest first: {times}")
    shas = set(js("[...document.querySelectorAll(\"table[data-table='history'] a.cert-link\")]"
                  ".map(a => a.getAttribute('href'))"))
    expect(len(shas) >= 2, f"the swap is not in the history: {shas}")
    expect(count("table[data-table='history'] .badge.b-warn") >= 1, "the change is not marked")
    expect(js("document.querySelector('#p-current-cert').textContent.includes('fresh.test')"),
           "the current certificate is not the fresh one")
    expect(js("document.querySelector('.page-head h1').textContent") == f"127.0.0.1:{ep['port']}",
           "the page is not titled with the endpoint")
    shot("endpoint")
    clean("endpoint page")


@check
def findings(t):
    ready_for_browser()
    go("#/findings")
    n = rows("findings")
    expect(n >= 3, f"only {n} findings listed")
    sevs = texts("table[data-table='findings'] tbody .badge.severity")
    order = ["critical", "high", "medium", "low", "info"]
    expect([order.index(s) for s in sevs] == sorted(order.index(s) for s in sevs),
           f"not most severe first: {sevs}")
    shot("findings")
    high = sevs.count("high")
    expect(high >= 1, f"no high finding (the expired certificate): {sevs}")
    click("#severity-pick .badge.severity[data-severity='high']", "high filter")
    wait_ready("findings of severity high")
    equal("rows with the high filter", rows("findings"), high)
    expect(set(texts("table[data-table='findings'] tbody .badge.severity")) == {"high"},
           "the filter let other severities through")
    follow("table[data-table='findings'] a.endpoint-link", "endpoint of a finding")
    expect(rows("endpoint-findings") >= 1, "the endpoint page does not list its findings")
    clean("findings")


@check
def job_report(t):
    ready_for_browser()
    go(f"#/jobs/{T.last_job}")
    text = js("(document.getElementById('report') || {}).textContent || ''")
    expect(len(text) > 20, f"no report text: {text!r}")
    shot("job")
    clean("job page")


@check
def outbox_shows_what_waits(t):
    ready_for_browser()
    waiting = api_ok("GET", "/api/v1/outbox")["messages"]
    expect(waiting, "the test's setup left nothing in the outbox")
    go("#/outbox")
    equal("outbox rows", rows("outbox"), len(waiting))
    equal("states shown", sorted(texts("table[data-table='outbox'] .badge.state")),
          sorted(m["state"] for m in waiting))
    errors = texts("table[data-table='outbox'] .detail")
    expect(any("[smtp]" in e for e in errors), f"no [smtp] error shown: {errors}")
    expect(js("document.querySelector('#nav a.active').dataset.nav") == "outbox", "nav not marked")
    shot("outbox")
    js("document.body.dataset.ready = 'no'; document.getElementById('filter-sent').click(); true")
    wait_ready("the outbox with sent messages")
    everything = api_ok("GET", "/api/v1/outbox?all=true")["messages"]
    equal("rows with sent messages", rows("outbox"), len(everything))
    clean("outbox page")


@check
def phone_sized_screen_does_not_scroll_sideways(t):
    """At 390x844 (a phone) no page is wider than the screen: wide tables
    scroll inside their own box."""
    ready_for_browser()
    desktop = (T.browser.width, T.browser.height)

    def screen(width, height, mobile):
        T.browser.width, T.browser.height = width, height   # screenshots follow
        T.browser.call("Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": height, "deviceScaleFactor": 1,
                        "mobile": mobile}, session=True)
    screen(390, 844, True)
    try:
        for page in ("#/", "#/networks/edge", "#/changes", "#/certificates", "#/findings",
                     f"#/jobs/{T.last_job}", "#/outbox"):
            go(page)
            equal(f"{page} viewport width", js("window.innerWidth"), 390)
            over = js("document.documentElement.scrollWidth - window.innerWidth")
            expect(over <= 1, f"{page} is {over} px wider than a 390 px screen")
            if page == "#/":
                shot("phone")
        clean("phone-sized pages")
    finally:
        screen(*desktop, False)


@check
def api_errors_are_shown(t):
    ready_for_browser()
    go("#/networks/no-such-network")
    b = banners()
    expect(any("no network" in x and "404" in x for x in b), f"no error banner: {b}")
    T.browser.errors = []          # the 404 is logged by the browser, as it should be
    js("document.querySelector('#banners .banner-error .close').click(); true")
    equal("banners after dismissing", banners(), [])


@check
def refused_token_asks_for_another(t):
    ready_for_browser()
    js("localStorage.setItem('certsweep.token', 'cst_' + '0'.repeat(64)); true")
    go("#/")
    expect(count("#token-form") == 1, "no token form after a 401")
    expect(any("refused" in x for x in banners()), f"the 401 is not explained: {banners()}")
    equal("the refused token", js("localStorage.getItem('certsweep.token')"), None)
    shot("token")
    T.browser.errors = []          # the 401 itself
    js("document.body.dataset.ready = 'no'; true")
    js(f"document.getElementById('token-input').value = {json.dumps(T.token)};"
       "document.querySelector('#token-form button').click(); true")
    wait_ready("the overview after entering the token")
    equal("networks after entering the token", rows("networks"), 2)
    clean("token form")


@check
def serve_stops_cleanly(t):
    """SIGTERM ends serve with status 0 and, on the sanitizer build,
    without a report: the dashboard's requests left nothing behind."""
    if getattr(T, "serve", None) is None:
        raise Fail(f"setup: {T.setup_error}")
    harness.kill_group(T.serve, signal.SIGTERM)
    try:
        rc = T.serve.wait(30)
    except subprocess.TimeoutExpired:
        raise Fail("serve did not stop within 30 s of SIGTERM")
    finally:
        stop_serve()
    log = serve_log()
    expect("Sanitizer" not in log, f"a sanitizer report in serve's log:\n{log}")
    equal("serve's exit status", rc, 0)


def main():
    harness.enter_private_network("every server and the browser are on 127.0.0.1")
    if cdp.find_chromium() is None:
        print("skip dashboard: no chromium (Debian package chromium; "
              "scripts/install-deps.sh installs it)")
        print("0 passed, 0 failed, 1 skipped")
        return 77
    if harness.certsweep_missing(CERTSWEEP):
        return 1
    T.lab = harness.Lab("cs-dashlab-", lab_args=["--control"])
    try:
        return harness.run_checks(T, before=before)
    finally:
        if getattr(T, "browser", None):
            T.browser.stop()
        stop_serve()
        if getattr(T, "dir", None):
            import shutil
            shutil.rmtree(T.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
