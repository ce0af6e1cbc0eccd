"""A headless Chromium driven through the DevTools protocol, for the
dashboard test (test_dashboard.py).  Standard library only.

The browser is Debian's `chromium`, started with --remote-debugging-pipe:
the protocol's JSON messages, each ended by a NUL byte, go in on the
browser's file descriptor 3 and come out on its 4.  A pipe rather than
--remote-debugging-port: no WebSocket client is needed, no port can be
taken by someone else, and the browser opens no listening socket at all.

    with Browser(width=1280, height=800) as b:
        b.navigate("http://127.0.0.1:8080/#/")
        b.evaluate("document.title")
        b.screenshot("/tmp/page.png")
        b.errors        # console errors, exceptions and error log entries
"""

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class BrowserError(Exception):
    pass


def find_chromium():
    """The path of Debian's chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with one page, attached in flat mode."""

    def __init__(self, width=1280, height=800, chromium=None, verbose=False):
        self.width, self.height = width, height
        self.chromium = chromium or find_chromium()
        self.verbose = verbose
        self.proc = None
        self.profile = None
        self.session = None
        self.next_id = 0
        self.buf = b""
        self.events = []      # events not consumed yet, in order
        self.errors = []      # one line per console error, exception or error log entry

    # ---- process ---------------------------------------------------------

    def start(self):
        if not self.chromium:
            raise BrowserError("no chromium on PATH")
        self.profile = tempfile.mkdtemp(prefix="cs-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # Out of the way of 3 and 4, so that placing them cannot clobber
        # one with the other.
        keep_r = os.dup2(to_browser_r, 100)
        keep_w = os.dup2(from_browser_w, 101)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def place_fds():
            os.dup2(keep_r, 3)
            os.dup2(keep_w, 4)

        argv = [self.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}",
                f"--window-size={self.width},{self.height}",
                "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-sync",
                "--disable-component-update", "--disable-default-apps",
                "--disable-dev-shm-usage", "--mute-audio",
                "--force-device-scale-factor=1", "--lang=en-US",
                "about:blank"]
        self.log = open(os.path.join(self.profile, "chromium.log"), "w+")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, pass_fds=(3, 4),
                                     preexec_fn=place_fds, start_new_session=True)
        os.close(keep_r)
        os.close(keep_w)
        targets = self.call("Target.getTargets", timeout=30)["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        if pages:
            target = pages[0]["targetId"]
        else:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height,
                   "deviceScaleFactor": 1, "mobile": False}, session=True)
        return self

    def stop(self):
        if self.proc is not None:
            try:
                self.call("Browser.close", timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
            self.proc = None
        for fd in ("to_browser", "from_browser"):
            if getattr(self, fd, None) is not None:
                try:
                    os.close(getattr(self, fd))
                except OSError:
                    pass
                setattr(self, fd, None)
        if self.profile:
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def log_text(self):
        if not self.profile:
            return ""
        self.log.seek(0)
        return self.log.read()[-4000:]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- the protocol ----------------------------------------------------

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the DevTools pipe:\n" + self.log_text())
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def _event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.errors.append(f"console.{p['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            exc = d.get("exception", {}).get("description") or d.get("text", "")
            self.errors.append(f"exception: {exc} (at {d.get('url', '')}:{d.get('lineNumber', '?')})")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            self.errors.append(f"log {e.get('source')}: {e.get('text')} {e.get('url', '')}".rstrip())
        self.events.append(msg)
        del self.events[:-500]

    def call(self, method, params=None, session=False, timeout=20):
        """Sends one command and returns its result; raises BrowserError
        with the browser's message on an error answer."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.to_browser, data)
            data = data[n:]
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m is None:
                raise BrowserError(f"{method}: no answer in {timeout} s")
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise BrowserError(f"{method}: {m['error'].get('message')}")
                return m.get("result", {})
            if "method" in m:
                self._event(m)

    def pump(self, seconds):
        """Reads events for a while (console messages arrive on their own)."""
        deadline = time.monotonic() + seconds
        while True:
            m = self._read_message(deadline)
            if m is None:
                return
            if "method" in m:
                self._event(m)

    # ---- what a test does ------------------------------------------------

    def evaluate(self, expression, timeout=20):
        """The value of a JavaScript expression (awaited if a promise)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, session=True, timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise BrowserError(f"evaluating {expression[:80]!r}: "
                               f"{d.get('exception', {}).get('description') or d.get('text')}")
        return r.get("result", {}).get("value")

    def navigate(self, url):
        r = self.call("Page.navigate", {"url": url}, session=True, timeout=30)
        if r.get("errorText"):
            raise BrowserError(f"navigating to {url}: {r['errorText']}")

    def wait_for(self, expression, timeout=20, what=None):
        """Polls until the expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                v = self.evaluate(expression)
            except BrowserError:
                v = None   # the page is between documents
            if v:
                return v
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout} s waiting for {what or expression}")
            self.pump(0.1)

    def insert_text(self, text):
        """Types into the focused element, as a keyboard would."""
        self.call("Input.insertText", {"text": text}, session=True)

    def screenshot(self, path, full_page=True):
        """A PNG of the page (the whole page, up to 6000 px, when
        full_page) written to path."""
        params = {"format": "png"}
        if full_page:
            m = self.call("Page.getLayoutMetrics", session=True)
            size = m.get("cssContentSize") or m.get("contentSize")
            height = min(6000, max(self.height, int(size["height"])))
            params.update({"captureBeyondViewport": True,
                           "clip": {"x": 0, "y": 0, "width": self.width,
                                    "height": height, "scale": 1}})
        data = self.call("Page.captureScreenshot", params, session=True, timeout=60)["data"]
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(base64.b64decode(data))
        os.replace(tmp, path)
        return path
