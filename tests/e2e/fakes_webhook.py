"""Local fakes of the webhook receivers certsweep posts to, for
test_webhooks.py: PagerDuty Events v2, a Slack incoming webhook, a Teams
Workflows webhook, and a generic receiver that records what came.

Each fake is an HTTP server on 127.0.0.1 (a free port, or the port it had
before a restart), one thread per connection, optionally TLS.  It checks
requests as strictly as the real service documents them and answers as the
service does; it keeps every request it saw (method, path, headers, body,
parsed JSON, the status it answered) in `requests`.  It can be told to
misbehave for the requests that follow:

    fake.fail(429, retry_after=7)     # rate limited, with Retry-After
    fake.fail(500)                    # server error
    fake.fail(400)                    # the service's own refusal
    fake.fail(404, "no_service")      # any status and body
    fake.hang()                       # accept, read, never answer
    fake.behave()                     # back to normal
    fake.stop(); fake.restart()       # down, then up on the same port

Standard library only; used as a context manager (with Fake() as f: ...).
"""

import json
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Request:
    """One request a fake received, and what it answered."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers          # {lower-case name: value}
        self.body = body                # bytes
        try:
            self.json = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.json = None
        self.status = None

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.method} {self.path} -> {self.status}: {self.body[:200]!r}>"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Fake:
    """The common part: the server, the record, the misbehaviours.
    Subclasses implement answer(request) -> (status, content_type, body)
    for a request that is to be answered normally, and refusal(status)
    -> (content_type, body) for what fail(status) sends without a body."""

    name = "fake"

    def __init__(self, cert=None, key=None):
        self.tls = None
        if cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(cert, key)
        self.port = 0
        self.requests = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.server = None
        self.thread = None
        self.forced = None          # (status, content_type, body, headers)
        self.hanging = False
        self.release = threading.Event()
        self.conns = set()          # open connections, closed by stop()

    # ---- life ----------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def url_base(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with fake.lock:
                    fake.conns.add(self.connection)

            def finish(self):
                with fake.lock:
                    fake.conns.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self):
                fake._handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

        self.release.clear()
        self.server = _Server(("127.0.0.1", self.port), Handler)
        if self.tls:
            self.server.socket = self.tls.wrap_socket(self.server.socket,
                                                      server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        """Stop listening and drop hanging requests; the port is kept for
        restart()."""
        if self.server is None:
            return
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        # A kept-alive connection would otherwise go on being served.
        with self.lock:
            for c in list(self.conns):
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.thread.join(5)
        self.server = None

    def restart(self):
        self.stop()
        # The port was ours a moment ago; another process could take it,
        # which on loopback in a private namespace nothing does.
        deadline = time.monotonic() + 5
        while True:
            try:
                self.start()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # ---- what to do ------------------------------------------------------

    def fail(self, status, body=None, retry_after=None, content_type=None):
        """Answer status to every request from now on (until behave()),
        with body, or the service's usual refusal for that status."""
        ctype, default = self.refusal(status)
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        if body is None:
            body = default
        self.forced = (status, content_type or ctype, body, headers)

    def hang(self):
        """Read requests and never answer them (until behave() or stop())."""
        self.hanging = True

    def behave(self):
        self.forced = None
        self.hanging = False
        self.release.set()
        self.release = threading.Event()

    def clear(self):
        with self.lock:
            self.requests = []

    def wait_for(self, n, timeout=10):
        """Whether n requests have come within timeout seconds."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= n,
                                         timeout)

    # ---- serving ---------------------------------------------------------

    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        req = Request(h.command, h.path,
                      {k.lower(): v for k, v in h.headers.items()}, body)
        with self.arrived:
            self.requests.append(req)
            self.arrived.notify_all()
        if self.hanging:
            self.release.wait()
            h.close_connection = True
            return
        extra = {}
        if self.forced:
            status, ctype, out, extra = self.forced
        else:
            with self.lock:
                status, ctype, out = self.answer(req)
        req.status = status
        if isinstance(out, (dict, list)):
            out = json.dumps(out)
        data = out.encode() if isinstance(out, str) else out
        try:
            h.send_response(status)
            if data or status not in (204, 304):
                h.send_header("Content-Type", ctype)
            for k, v in extra.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass

    def answer(self, req):
        return 200, "text/plain", "ok"

    def refusal(self, status):
        return "text/plain", f"{status} error"


def _json_request(req):
    """The JSON object of a request that says it is JSON, or why not."""
    ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return None, f"Content-Type is {ctype!r}, not application/json"
    if not isinstance(req.json, dict):
        return None, "the body is not a JSON object"
    return req.json, None


# ---------------------------------------------------------------------------
# PagerDuty Events v2

class PagerDuty(Fake):
    """POST /v2/enqueue.  Checks the event as the Events API v2 documents
    it; keeps incidents by dedup_key: {key: {"state": "triggered" |
    "acknowledged" | "resolved", "summary", "severity", "source",
    "custom_details", "events": [event_action, ...]}}."""

    name = "pagerduty"
    PATH = "/v2/enqueue"
    SEVERITIES = ("critical", "error", "warning", "info")
    ACTIONS = ("trigger", "acknowledge", "resolve")
    TOP = {"routing_key", "event_action", "dedup_key", "payload", "images",
           "links", "client", "client_url"}
    PAYLOAD = {"summary", "source", "severity", "timestamp", "component",
               "group", "class", "custom_details"}

    def __init__(self, routing_key, **kw):
        super().__init__(**kw)
        self.routing_key = routing_key
        self.incidents = {}

    @property
    def url(self):
        return self.url_base + self.PATH

    def refusal(self, status):
        if status == 400:
            return "application/json", {
                "status": "invalid event", "message": "Event object is invalid",
                "errors": ["'payload.summary' is missing or blank"]}
        if status == 429:
            return "application/json", {
                "status": "throttle event",
                "message": "Requests for this service are arriving too quickly. "
                           "Please retry later."}
        return "application/json", {"status": "error", "message": "internal error"}

    def invalid(self, *errors):
        return 400, "application/json", {
            "status": "invalid event", "message": "Event object is invalid",
            "errors": list(errors)}

    def check(self, ev):
        """The errors of an event, as PagerDuty words them."""
        errors = [f"'{k}' is not a known field" for k in ev if k not in self.TOP]
        key = ev.get("routing_key")
        if not isinstance(key, str) or len(key) != 32:
            errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        action = ev.get("event_action")
        if action not in self.ACTIONS:
            errors.append("'event_action' is invalid (must be one of: "
                          "trigger, acknowledge, resolve)")
        dedup = ev.get("dedup_key")
        if dedup is not None and (not isinstance(dedup, str) or not dedup
                                  or len(dedup) > 255):
            errors.append("'dedup_key' must be a string of 1 to 255 characters")
        if action in ("acknowledge", "resolve"):
            if dedup is None:
                errors.append(f"'dedup_key' is required for {action} events")
            return errors
        payload = ev.get("payload")
        if not isinstance(payload, dict):
            return errors + ["'payload' is missing or not an object"]
        errors += [f"'payload.{k}' is not a known field" for k in payload
                   if k not in self.PAYLOAD]
        for k in ("summary", "source"):
            v = payload.get(k)
            if not isinstance(v, str) or not v.strip():
                errors.append(f"'payload.{k}' is missing or blank")
        if isinstance(payload.get("summary"), str) and len(payload["summary"]) > 1024:
            errors.append("'payload.summary' is longer than 1024 characters")
        if payload.get("severity") not in self.SEVERITIES:
            errors.append("'payload.severity' is invalid (must be one of: "
                          "critical, error, warning, info)")
        details = payload.get("custom_details")
        if details is not None and not isinstance(details, dict):
            errors.append("'payload.custom_details' must be an object")
        for k in ("client", "client_url"):
            if k in ev and not isinstance(ev[k], str):
                errors.append(f"'{k}' must be a string")
        return errors

    def answer(self, req):
        if req.method != "POST" or req.path != self.PATH:
            return 404, "application/json", {"status": "error", "message": "Not found"}
        ev, why = _json_request(req)
        if ev is None:
            return 400, "application/json", {
                "status": "invalid request", "message": "Event object is invalid",
                "errors": [why]}
        errors = self.check(ev)
        if errors:
            return self.invalid(*errors)
        if ev["routing_key"] != self.routing_key:
            return self.invalid("Invalid routing key")
        action = ev["event_action"]
        dedup = ev.get("dedup_key") or uuid.uuid4().hex
        inc = self.incidents.get(dedup)
        if action == "trigger":
            p = ev["payload"]
            if inc is None or inc["state"] == "resolved":
                inc = self.incidents[dedup] = {"events": []}
                inc["state"] = "triggered"
            inc.update(summary=p["summary"], severity=p["severity"],
                       source=p["source"],
                       custom_details=p.get("custom_details"))
            inc["events"].append(action)
        elif inc is not None and inc["state"] != "resolved":
            inc["state"] = "acknowledged" if action == "acknowledge" else "resolved"
            inc["events"].append(action)
        # A resolve of no open incident is accepted and does nothing.
        return 202, "application/json", {
            "status": "success", "message": "Event processed", "dedup_key": dedup}


# ---------------------------------------------------------------------------
# Slack incoming webhook

class Slack(Fake):
    """POST /services/T.../B.../SECRET: {"text": ...} (or blocks) -> 200
    "ok"; errors are plain strings (400 invalid_payload, no_text)."""

    name = "slack"
    PATH = "/services/T0CERTS01/B0SWEEP02/x7Kq9zSecretWebhookToken"

    @property
    def url(self):
        return self.url_base + self.PATH

    def refusal(self, status):
        return "text/plain", {400: "invalid_payload", 403: "action_prohibited",
                              404: "no_service", 410: "channel_is_archived",
                              429: "rate_limited"}.get(status, "internal_error")

    def answer(self, req):
        if req.method != "POST":
            return 405, "text/plain", "invalid_method"
        if req.path != self.PATH:
            return 404, "text/plain", "no_service"
        msg, why = _json_request(req)
        if msg is None:
            return 400, "text/plain", "invalid_payload"
        text, blocks = msg.get("text"), msg.get("blocks")
        if text is not None and not isinstance(text, str):
            return 400, "text/plain", "invalid_payload"
        if blocks is not None and not isinstance(blocks, list):
            return 400, "text/plain", "invalid_blocks"
        if not text and not blocks:
            return 400, "text/plain", "no_text"
        return 200, "text/html", "ok"


# ---------------------------------------------------------------------------
# Teams (Workflows webhook)

class Teams(Fake):
    """POST /workflows/...?sig=SECRET: a message whose attachments are
    Adaptive Cards -> 202 with no body."""

    name = "teams"
    PATH = "/workflows/4f1c/triggers/manual/paths/invoke"
    QUERY = "?api-version=1&sig=TeamsSigSecretValue123"

    @property
    def url(self):
        return self.url_base + self.PATH + self.QUERY

    def refusal(self, status):
        return "application/json", {"error": {
            "code": "InvalidRequestContent" if status == 400 else "Error",
            "message": f"the request failed with {status}"}}

    @staticmethod
    def card_errors(msg):
        if msg.get("type") != "message":
            return ["type must be 'message'"]
        atts = msg.get("attachments")
        if not isinstance(atts, list) or not atts:
            return ["attachments must be a non-empty array"]
        errors = []
        for a in atts:
            if not isinstance(a, dict):
                errors.append("an attachment is not an object")
                continue
            if a.get("contentType") != "application/vnd.microsoft.card.adaptive":
                errors.append(f"contentType {a.get('contentType')!r} is not an Adaptive Card")
            c = a.get("content")
            if not isinstance(c, dict):
                errors.append("content must be an object")
                continue
            if c.get("type") != "AdaptiveCard":
                errors.append("content.type must be 'AdaptiveCard'")
            if not isinstance(c.get("version"), str):
                errors.append("content.version must be a string")
            body = c.get("body")
            if not isinstance(body, list) or not body:
                errors.append("content.body must be a non-empty array")
                continue
            for el in body:
                if not isinstance(el, dict) or not isinstance(el.get("type"), str):
                    errors.append("a body element has no type")
                elif el["type"] == "TextBlock" and not isinstance(el.get("text"), str):
                    errors.append("a TextBlock has no text")
        return errors

    def answer(self, req):
        if req.method != "POST" or req.path != self.PATH + self.QUERY:
            return 404, "application/json", {"error": {
                "code": "TriggerNotFound", "message": "no such workflow"}}
        msg, why = _json_request(req)
        errors = [why] if msg is None else self.card_errors(msg)
        if errors:
            return 400, "application/json", {"error": {
                "code": "InvalidRequestContent", "message": "; ".join(errors)}}
        return 202, "text/plain", ""


# ---------------------------------------------------------------------------
# A generic receiver

class Generic(Fake):
    """POST anywhere: records the request; 200 {"received": true}, or
    status (e.g. 204) when given.  With bearer set, a request without
    "Authorization: Bearer BEARER" gets 401."""

    name = "generic"
    PATH = "/hooks/certsweep"

    def __init__(self, bearer=None, status=200, **kw):
        super().__init__(**kw)
        self.bearer = bearer
        self.status = status

    @property
    def url(self):
        return self.url_base + self.PATH

    def refusal(self, status):
        return "application/json", {"error": f"status {status}"}

    def answer(self, req):
        if self.bearer is not None and req.header("authorization") != f"Bearer {self.bearer}":
            return 401, "application/json", {"error": "bad token"}
        if self.status == 204:
            return 204, "text/plain", ""
        return self.status, "application/json", {"received": True}


def free_port():
    """A TCP port of 127.0.0.1 nothing listens on (for a receiver that is
    down from the start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
