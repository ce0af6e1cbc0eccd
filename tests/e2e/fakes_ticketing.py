"""Local fakes of the ticketing systems certsweep opens tickets in, for
test_ticketing.py: ServiceDesk Plus (REST API v3), ServiceNow (Table API)
and Jira (REST v2, and the Cloud's /rest/api/3/search/jql).

Each fake is an HTTP server on 127.0.0.1 (a free port, or the port it had
before a restart), one thread per connection, optionally TLS.  It keeps
its tickets in memory (state, notes, how they were closed) and answers the
request and answer shapes the vendor documents, as strictly as it can:

  - a request without the right credentials is answered 401, as the
    system does, and recorded in `auth_failures`;
  - a request whose body or query is not what the API takes (an unknown
    field, a missing one, a wrong type, a wrong Content-Type) is answered
    400 in the system's error shape and recorded in `errors`, so that a
    test asserts `fake.errors == []`.

Every request is kept in `requests` (method, path, query, headers, body,
the parsed input, the status answered).  A fake can be told to misbehave
for the requests that follow:

    fake.fail(429, retry_after=7)     # rate limited, with Retry-After
    fake.fail(500)                    # server error
    sdp.fail_inside_200("...")        # ServiceDesk Plus: status_code 4000
    fake.fail_only("POST", r"/transitions$", 500)   # only requests that match
    fake.shapeless()                  # 2xx answers without the field that
                                      # says open/closed or the found list
    fake.hang()                       # read the request, never answer
    fake.behave()                     # back to normal
    fake.stop(); fake.restart()       # down, then up on the same port

and be acted on as a person would: `close_by_hand(id)`, and `plant(key,
subject)` creates a ticket carrying a problem's key directly (what a crash
between creating a ticket and recording it leaves behind).

OAuth: ServiceDesk Plus cloud and ServiceNow may be started with
oauth=(client_id, client_secret, refresh_token); the fake then serves the
token endpoint (/oauth/v2/token, /oauth_token.do), hands out access tokens
and takes only those; `token_requests` counts the grants, and
`token_uses = N` makes each token good for N requests (0: revoked at
once), as if the system had revoked it.

Standard library only; used as a context manager (with Fake() as f: ...).
"""

import base64
import hashlib
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Request:
    """One request a fake received, and what it answered."""

    def __init__(self, method, target, headers, body):
        self.method = method
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        self.raw_query = split.query
        self.headers = headers          # {lower-case name: value}
        self.body = body                # bytes
        self.input = None               # the parsed JSON input, once checked
        self.status = None

    def header(self, name):
        return self.headers.get(name.lower())

    def one(self, name):
        """The single value of a query parameter, or None."""
        v = self.query.get(name)
        return v[0] if v and len(v) == 1 else None

    def __repr__(self):
        return (f"<{self.method} {self.path}?{self.raw_query[:80]} -> {self.status}: "
                f"{self.body[:200]!r}>")


class BadRequest(Exception):
    """A request the API would refuse with 400; the message says why."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _only_keys(what, obj, allowed, required=()):
    if not isinstance(obj, dict):
        raise BadRequest(f"{what} is not an object: {obj!r}")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise BadRequest(f"{what} has unknown fields {unknown}")
    for k in required:
        if k not in obj:
            raise BadRequest(f"{what} lacks {k}")


def _string(what, v, empty_ok=False):
    if not isinstance(v, str) or (not empty_ok and v == ""):
        raise BadRequest(f"{what} is not a non-empty string: {v!r}")
    return v


def _named(what, v):
    _only_keys(what, v, ["name"], ["name"])
    return _string(f"{what}.name", v["name"])


class Fake:
    """The common part: the server, the record, the misbehaviours, OAuth.
    Subclasses implement route(req) -> (status, body, headers) for a
    request whose credentials passed, raising BadRequest for a malformed
    one; bad_request(why) and unauthorized() give the system's shapes."""

    name = "fake"
    token_path = None

    def __init__(self, cert=None, key=None, oauth=None):
        self.tls = None
        if cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(cert, key)
        self.oauth = oauth              # (client_id, client_secret, refresh_token)
        self.access_tokens = set()
        self.token_requests = 0
        self.token_uses = None          # requests an access token is good for; None: any
        self.uses = {}
        self.port = 0
        self.requests = []
        self.errors = []                # malformed requests, answered 400
        self.auth_failures = []         # requests answered 401
        self.tickets = {}               # id -> ticket (dict), in creation order
        self.lock = threading.RLock()
        self.server = None
        self.thread = None
        self.forced = None              # (status, body, headers)
        self.forced_only = None         # (method, path regex, status)
        self.shapeless_answers = False
        self.hanging = False
        self.release = threading.Event()
        self.conns = set()

    # ---- life ----------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
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

            def do_GET(self):
                fake._handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        self.release.clear()
        self.server = _Server(("127.0.0.1", self.port), Handler)
        if self.tls:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        """Stop listening and drop hanging requests; the port and the
        tickets are kept for restart()."""
        if self.server is None:
            return
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
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

    def fail(self, status, body=None, retry_after=None):
        """Answer status to every API request from now on (until
        behave()), with body or the system's usual error."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        self.forced = (status, body if body is not None else self.error_body(status, "forced"),
                       headers)

    def fail_only(self, method, path_re, status):
        """Answer status (the system's usual error) to the API requests of
        method whose path matches path_re, until behave()."""
        self.forced_only = (method, re.compile(path_re), status)

    def shapeless(self):
        """Answer 2xx without what says whether a ticket is open, and
        searches without their list (a proxy, or fields an ACL hides),
        until behave()."""
        self.shapeless_answers = True

    def hang(self):
        """Read requests and never answer them (until behave() or stop())."""
        self.hanging = True

    def behave(self):
        self.forced = None
        self.forced_only = None
        self.shapeless_answers = False
        self.hanging = False
        self.release.set()
        self.release = threading.Event()

    def clear(self):
        with self.lock:
            self.requests = []

    def api_requests(self):
        """The requests other than OAuth grants."""
        with self.lock:
            return [r for r in self.requests if r.path != self.token_path]

    def open_tickets(self):
        with self.lock:
            return [t for t in self.tickets.values() if self.is_open(t)]

    # ---- serving ---------------------------------------------------------

    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        req = Request(h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, body)
        with self.lock:
            self.requests.append(req)
        if self.hanging:
            self.release.wait()
            h.close_connection = True
            return
        headers = {}
        with self.lock:
            if self.token_path and req.path == self.token_path:
                status, out = self._grant(req)
            elif not self.authorized(req):
                self.auth_failures.append(req)
                status, out = self.unauthorized()
            elif self.forced:
                status, out, headers = self.forced
            elif (self.forced_only and req.method == self.forced_only[0]
                  and self.forced_only[1].search(req.path)):
                status = self.forced_only[2]
                out = self.error_body(status, "forced")
            else:
                try:
                    status, out = self.route(req)
                except BadRequest as e:
                    self.errors.append(f"{req.method} {req.path}: {e}")
                    status, out = 400, self.bad_request(str(e))
        req.status = status
        data = json.dumps(out).encode() if isinstance(out, (dict, list)) else (out or b"")
        if isinstance(data, str):
            data = data.encode()
        try:
            h.send_response(status)
            if data:
                h.send_header("Content-Type", "application/json;charset=UTF-8")
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass

    # ---- OAuth (refresh-token grant) -------------------------------------

    def _grant(self, req):
        if self.oauth is None or req.method != "POST":
            return 404, {"error": "not_found"}
        if not (req.header("content-type") or "").startswith("application/x-www-form-urlencoded"):
            self.errors.append(f"token request Content-Type {req.header('content-type')!r}")
            return 400, {"error": "invalid_request"}
        form = urllib.parse.parse_qs(req.body.decode(), keep_blank_values=True)
        got = {k: v[0] for k, v in form.items()}
        cid, secret, refresh = self.oauth
        if got.get("grant_type") != "refresh_token":
            self.errors.append(f"grant_type {got.get('grant_type')!r}")
            return 400, {"error": "unsupported_grant_type"}
        if (got.get("client_id"), got.get("client_secret")) != (cid, secret):
            return self.grant_refused("invalid_client")
        if got.get("refresh_token") != refresh:
            return self.grant_refused("invalid_code")
        self.token_requests += 1
        token = f"access-{self.token_requests}-{hashlib.sha256(refresh.encode()).hexdigest()[:8]}"
        self.access_tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def grant_refused(self, code):
        return 401, {"error": code}

    def bearer(self, req, scheme="Bearer"):
        auth = req.header("authorization") or ""
        token = auth[len(scheme) + 1:]
        if not auth.startswith(scheme + " ") or token not in self.access_tokens:
            return False
        self.uses[token] = self.uses.get(token, 0) + 1
        return self.token_uses is None or self.uses[token] <= self.token_uses

    # ---- for subclasses --------------------------------------------------

    def authorized(self, req):
        return True

    def unauthorized(self):
        return 401, {"error": "unauthorized"}

    def bad_request(self, why):
        return {"error": why}

    def error_body(self, status, why):
        return {"error": why}

    def is_open(self, ticket):
        raise NotImplementedError

    def route(self, req):
        raise NotImplementedError


# ---------------------------------------------------------------------------
# ServiceDesk Plus, REST API v3

SDP_ACCEPT = "application/vnd.manageengine.sdp.v3+json"
SDP_DONE = ("Closed", "Resolved", "Cancelled")


def sdp_status(code=2000, messages=None):
    rs = {"status_code": code, "status": "success" if code == 2000 else "failed"}
    if messages:
        rs["messages"] = messages
    return rs


class ServiceDeskPlus(Fake):
    """On-premises (authtoken header) or, with oauth=, cloud (Zoho
    access tokens, notes as request_note).  Ticket fields: id, subject,
    description, requester, priority, category, group, status, notes
    [(description, show_to_requester)], closure (comments, code)."""

    name = "servicedeskplus"
    token_path = "/oauth/v2/token"

    def __init__(self, authtoken=None, **kw):
        super().__init__(**kw)
        self.authtoken = authtoken
        self.next_id = 1001
        self.inside_200 = None
        self.max_rows = 100             # the most rows a search page gives
        self.searches = 0               # search requests answered

    @property
    def cloud(self):
        return self.oauth is not None

    def fail_inside_200(self, message, field="requester"):
        """Answer every API request 200 with status_code 4000 (until
        behave())."""
        self.inside_200 = (message, field)

    def behave(self):
        super().behave()
        self.inside_200 = None

    def grant_refused(self, code):
        return 200, {"error": code}     # Zoho's way

    def authorized(self, req):
        if self.cloud:
            return self.bearer(req, "Zoho-oauthtoken")
        return req.header("authtoken") == self.authtoken

    def unauthorized(self):
        return 401, {"response_status": sdp_status(4000, [
            {"status_code": 4002, "type": "failed", "message": "UNAUTHORISED"}])}

    def bad_request(self, why):
        return {"response_status": sdp_status(4000, [
            {"status_code": 4001, "type": "failed", "message": why}])}

    def error_body(self, status, why):
        return self.bad_request(why)

    def is_open(self, t):
        return t["status"] not in SDP_DONE

    # ---- acting as people do -------------------------------------------

    def plant(self, key, subject, description="planted"):
        with self.lock:
            return self._add({"subject": subject,
                              "description": f"{description}<br><br>certsweep-key: {key}"})

    def close_by_hand(self, id):
        with self.lock:
            self.tickets[id]["status"] = "Closed"

    def _add(self, request):
        t = {"id": str(self.next_id), "subject": request["subject"],
             "description": request.get("description", ""),
             "requester": request.get("requester", {}).get("name"),
             "priority": request.get("priority", {}).get("name"),
             "category": request.get("category", {}).get("name"),
             "group": request.get("group", {}).get("name"),
             "status": "Open", "notes": [], "closure": None}
        self.next_id += 1
        self.tickets[t["id"]] = t
        return t

    def _view(self, t, full=True):
        v = {"id": t["id"], "subject": t["subject"],
             "status": {"name": t["status"], "id": "1"}}
        if full:
            v["description"] = t["description"]
        return v

    # ---- the API -----------------------------------------------------------

    def _input(self, req):
        """input_data: from the query of a GET, from the form body
        otherwise; the parsed JSON."""
        if req.header("accept") != SDP_ACCEPT:
            raise BadRequest(f"Accept is {req.header('accept')!r}")
        if req.method == "GET":
            raw = req.one("input_data")
            if raw is None:
                return None
        else:
            ctype = req.header("content-type") or ""
            if not ctype.startswith("application/x-www-form-urlencoded"):
                raise BadRequest(f"Content-Type is {ctype!r}")
            form = urllib.parse.parse_qs(req.body.decode(), keep_blank_values=True)
            if list(form) != ["input_data"] or len(form["input_data"]) != 1:
                raise BadRequest(f"the form holds {sorted(form)}, not one input_data")
            raw = form["input_data"][0]
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadRequest(f"input_data is not JSON: {raw[:100]!r}")
        req.input = data
        return data

    def route(self, req):
        data = self._input(req)
        if self.inside_200:
            message, field = self.inside_200
            return 200, {"response_status": sdp_status(4000, [
                {"status_code": 4001, "field": field, "type": "failed", "message": message}])}
        m = re.fullmatch(r"/api/v3/requests(?:/(\d+)(/notes|/close)?)?", req.path)
        if m is None:
            return 404, self.bad_request(f"no such URL {req.path}")
        id, sub = m.group(1), m.group(2)
        if id is None and req.method == "POST":
            return self._create(data)
        if id is None and req.method == "GET":
            return self._search(data)
        if id not in self.tickets:
            return 404, {"response_status": sdp_status(4000, [
                {"status_code": 4007, "type": "failed", "message": "Invalid URL"}])}
        t = self.tickets[id]
        if sub is None and req.method == "GET":
            view = self._view(t)
            if self.shapeless_answers:
                del view["status"]
            return 200, {"request": view, "response_status": sdp_status()}
        if sub == "/notes" and req.method == "POST":
            return self._note(t, data)
        if sub == "/close" and req.method == "PUT":
            return self._close(t, data)
        raise BadRequest(f"{req.method} is not what {req.path} takes")

    def _create(self, data):
        _only_keys("input_data", data, ["request"], ["request"])
        r = data["request"]
        _only_keys("request", r, ["subject", "description", "requester", "priority",
                                  "category", "group"], ["subject"])
        _string("subject", r["subject"])
        if "\n" in r["subject"]:
            raise BadRequest("subject holds a line end")
        _string("description", r.get("description", ""), empty_ok=True)
        for k in ("requester", "priority", "category", "group"):
            if k in r:
                _named(k, r[k])
        t = self._add(r)
        return 201, {"request": self._view(t), "response_status": sdp_status()}

    def _search(self, data):
        if data is None:
            raise BadRequest("a search without input_data")
        _only_keys("input_data", data, ["list_info"], ["list_info"])
        li = data["list_info"]
        _only_keys("list_info", li, ["row_count", "search_criteria", "start_index",
                                     "sort_field", "sort_order", "get_total_count"],
                   ["search_criteria"])
        for k in ("row_count", "start_index"):
            if not isinstance(li.get(k, 1), int) or li.get(k, 1) < 1:
                raise BadRequest(f"{k} is not a positive number")
        if li.get("row_count", 10) > 100:
            raise BadRequest("row_count is at most 100")
        crit = li["search_criteria"]
        if isinstance(crit, dict):
            crit = [crit]
        if not isinstance(crit, list) or not crit:
            raise BadRequest("search_criteria is not a list of criteria")
        found = list(self.tickets.values())         # in creation order
        for i, c in enumerate(crit):
            _only_keys("search_criteria[]", c, ["field", "condition", "value", "values",
                                                "logical_operator"], ["field", "condition"])
            if i > 0 and c.get("logical_operator", "AND") != "AND":
                raise BadRequest("the fake joins criteria with AND only")
            if c["field"] == "subject" and c["condition"] == "is" and "value" in c:
                found = [t for t in found if t["subject"] == c["value"]]
            elif (c["field"] == "status.name" and c["condition"] == "is not"
                  and isinstance(c.get("values"), list)):
                unknown = set(c["values"]) - {"Open", "On Hold", *SDP_DONE}
                if unknown:
                    raise BadRequest(f"no status named {sorted(unknown)}")
                found = [t for t in found if t["status"] not in c["values"]]
            else:
                raise BadRequest(f"the fake searches subject 'is' and status.name 'is not' "
                                 f"only, not {c}")
        sort = (li.get("sort_field"), li.get("sort_order", "asc"))
        if sort[0] not in (None, "created_time") or sort[1] not in ("asc", "desc"):
            raise BadRequest(f"the fake sorts by created_time only, not {sort}")
        if sort == ("created_time", "desc"):
            found.reverse()
        start = li.get("start_index", 1) - 1
        rows = min(li.get("row_count", 10), self.max_rows)
        page = found[start:start + rows]
        self.searches += 1
        if self.shapeless_answers:
            return 200, {"list_info": {"has_more_rows": False}, "response_status": [sdp_status()]}
        return 200, {"requests": [self._view(t, full=False) for t in page],
                     "list_info": {"has_more_rows": start + rows < len(found),
                                   "start_index": start + 1, "row_count": len(page)},
                     "response_status": [sdp_status()]}

    def _note(self, t, data):
        name = "request_note" if self.cloud else "note"
        _only_keys("input_data", data, [name], [name])
        n = data[name]
        _only_keys(name, n, ["description", "show_to_requester", "mark_first_response",
                             "notify_technician", "add_to_linked_requests"], ["description"])
        _string("note description", n["description"])
        if not isinstance(n.get("show_to_requester", False), bool):
            raise BadRequest("show_to_requester is not a boolean")
        t["notes"].append((n["description"], n.get("show_to_requester", False)))
        return 201, {name: {"id": str(len(t["notes"])), "description": n["description"]},
                     "response_status": sdp_status()}

    def _close(self, t, data):
        _only_keys("input_data", data, ["request"], ["request"])
        _only_keys("request", data["request"], ["closure_info"], ["closure_info"])
        ci = data["request"]["closure_info"]
        _only_keys("closure_info", ci, ["closure_comments", "closure_code",
                                        "requester_ack_resolution", "requester_ack_comments"])
        comments = _string("closure_comments", ci.get("closure_comments", ""), empty_ok=True)
        code = _named("closure_code", ci["closure_code"]) if "closure_code" in ci else None
        if t["status"] == "Closed":
            return 200, {"response_status": sdp_status(4000, [
                {"status_code": 4000, "type": "failed", "message": "Request is already closed"}])}
        t["status"] = "Closed"
        t["closure"] = (comments, code)
        return 200, {"response_status": sdp_status()}


# ---------------------------------------------------------------------------
# ServiceNow, Table API

SNOW_FIELDS = ["short_description", "description", "comments", "correlation_id",
               "correlation_display", "caller_id", "assignment_group", "category", "urgency",
               "impact"]


class ServiceNow(Fake):
    """Basic auth (user, password) or, with oauth=, bearer tokens from
    /oauth_token.do.  Ticket fields: sys_id, number, the create fields,
    state ("1" New, "6" Resolved, "7" Closed), active, work_notes [],
    close_code, close_notes."""

    name = "servicenow"
    token_path = "/oauth_token.do"

    def __init__(self, user=None, password=None, table="incident", **kw):
        super().__init__(**kw)
        self.user, self.password, self.table = user, password, table
        self.seq = 10001

    def authorized(self, req):
        if self.oauth is not None:
            return self.bearer(req)
        return req.header("authorization") == _basic(self.user, self.password)

    def unauthorized(self):
        return 401, {"error": {"message": "User Not Authenticated",
                               "detail": "Required to provide Auth information"},
                     "status": "failure"}

    def bad_request(self, why):
        return {"error": {"message": why, "detail": None}, "status": "failure"}

    def error_body(self, status, why):
        return {"error": {"message": f"forced {status}", "detail": why}, "status": "failure"}

    def is_open(self, t):
        return t["active"] == "true"

    def plant(self, key, subject="planted"):
        with self.lock:
            return self._add({"short_description": subject, "correlation_id": key,
                              "correlation_display": "certsweep"})

    def close_by_hand(self, sys_id):
        with self.lock:
            t = self.tickets[sys_id]
            t["state"], t["active"] = "7", "false"

    def _add(self, fields):
        sys_id = hashlib.md5(f"{self.port}-{self.seq}".encode()).hexdigest()
        t = dict(fields)
        t.update({"sys_id": sys_id, "number": f"INC{self.seq:07d}", "state": "1",
                  "active": "true", "work_notes": [], "close_code": "", "close_notes": ""})
        self.seq += 1
        self.tickets[sys_id] = t
        return t

    @staticmethod
    def _fields(t, wanted):
        out = {}
        for f in wanted:
            v = t.get(f, "")
            out[f] = "\n".join(v) if isinstance(v, list) else v
        return out

    def _json(self, req):
        if (req.header("content-type") or "").split(";")[0] != "application/json":
            raise BadRequest(f"Content-Type is {req.header('content-type')!r}")
        try:
            data = json.loads(req.body)
        except ValueError:
            raise BadRequest("the body is not JSON")
        if not isinstance(data, dict):
            raise BadRequest("the body is not an object")
        req.input = data
        return data

    def route(self, req):
        if req.header("accept") != "application/json":
            raise BadRequest(f"Accept is {req.header('accept')!r}")
        m = re.fullmatch(r"/api/now/table/([A-Za-z0-9_]+)(?:/([0-9a-f]{32}))?", req.path)
        if m is None:
            return 400, self.bad_request(f"Requested URI does not represent any resource: "
                                         f"{req.path}")
        table, sys_id = m.groups()
        if table != self.table:
            return 400, self.bad_request(f"Invalid table {table}")
        if sys_id is None and req.method == "POST":
            data = self._json(req)
            _only_keys("record", data, SNOW_FIELDS, ["short_description", "correlation_id"])
            for k, v in data.items():
                _string(k, v, empty_ok=k not in ("short_description", "correlation_id"))
            if data.get("urgency", "1") not in ("1", "2", "3") or \
                    data.get("impact", "1") not in ("1", "2", "3"):
                raise BadRequest("urgency and impact are 1, 2 or 3")
            t = self._add(data)
            return 201, {"result": self._fields(t, ["sys_id", "number", "state", "active"]
                                                + list(data))}
        if sys_id is None and req.method == "GET":
            return self._query(req)
        if sys_id not in self.tickets:
            return 404, {"error": {"message": "No Record found",
                                   "detail": "Record doesn't exist or ACL restricts the record "
                                             "retrieval"}, "status": "failure"}
        t = self.tickets[sys_id]
        if req.method == "GET":
            wanted = (req.one("sysparm_fields") or "sys_id,number,state,active").split(",")
            if self.shapeless_answers:      # as an ACL on the field does
                wanted = [f for f in wanted if f != "active"]
            return 200, {"result": self._fields(t, wanted)}
        if req.method == "PATCH":
            return self._patch(t, self._json(req))
        raise BadRequest(f"{req.method} is not what {req.path} takes")

    def _query(self, req):
        q = req.one("sysparm_query")
        if q is None:
            raise BadRequest("a list without sysparm_query")
        terms = {}
        for term in q.split("^"):
            if "=" not in term:
                raise BadRequest(f"the fake takes FIELD=VALUE terms only, not {term!r}")
            f, v = term.split("=", 1)
            terms[f] = v
        if set(terms) - {"correlation_id", "active"}:
            raise BadRequest(f"the fake queries correlation_id and active only: {q!r}")
        limit = req.one("sysparm_limit")
        if limit is None or not limit.isdigit():
            raise BadRequest("sysparm_limit missing or not a number")
        wanted = (req.one("sysparm_fields") or "sys_id").split(",")
        found = [t for t in self.tickets.values()
                 if all(t.get(f) == v for f, v in terms.items())][:int(limit)]
        if self.shapeless_answers:
            return 200, {}
        return 200, {"result": [self._fields(t, wanted) for t in found]}

    def _patch(self, t, data):
        _only_keys("update", data, ["work_notes", "state", "close_code", "close_notes",
                                    "comments"])
        if not data:
            raise BadRequest("an empty update")
        for k, v in data.items():
            _string(k, v)
        if "state" in data:
            if data["state"] != "6":
                raise BadRequest(f"state {data['state']!r}: the fake resolves (6) only")
            # The incident table's data policy: resolving needs both.
            if not data.get("close_code") or not data.get("close_notes"):
                raise BadRequest("Data Policy Exception: close_code and close_notes are "
                                 "mandatory when resolving")
            t["state"], t["active"] = "6", "false"
            t["close_code"], t["close_notes"] = data["close_code"], data["close_notes"]
        if "work_notes" in data:
            t["work_notes"].append(data["work_notes"])
        return 200, {"result": self._fields(t, ["sys_id", "number", "state", "active"])}


# ---------------------------------------------------------------------------
# Jira, REST v2 (+ /rest/api/3/search/jql)

JIRA_JQL = re.compile(r'labels = "([^"\s]+)" AND statusCategory != Done')
JIRA_STATUSES = {
    "To Do": "new", "In Progress": "indeterminate", "Done": "done", "Closed": "done",
}


def jira_label(key):
    """The label certsweep puts on an issue of problem key."""
    return "certsweep-" + hashlib.sha256(key.encode()).hexdigest()


class Jira(Fake):
    """Cloud (basic email:api_token) or Data Center (pat=, bearer).  With
    cloud_search=True, /rest/api/2/search answers 410 as Jira Cloud does.
    transitions: the workflow's [(id, name, to status)]; the default one
    closes by "Done".  Ticket fields: id, key, project, summary,
    description, issuetype, labels, status, comments []."""

    name = "jira"

    def __init__(self, project="OPS", email=None, api_token=None, pat=None,
                 cloud_search=False, transitions=None, **kw):
        super().__init__(**kw)
        self.project, self.email, self.api_token, self.pat = project, email, api_token, pat
        self.cloud_search = cloud_search
        self.transitions = transitions or [("11", "To Do", "To Do"),
                                           ("21", "In Progress", "In Progress"),
                                           ("31", "Done", "Done")]
        self.seq = 1
        self.searches = []              # the paths searched, in order

    def authorized(self, req):
        if self.pat is not None:
            return req.header("authorization") == f"Bearer {self.pat}"
        return req.header("authorization") == _basic(self.email, self.api_token)

    def unauthorized(self):
        return 401, {"errorMessages": ["You are not authenticated. Authentication required "
                                       "to perform this operation."], "errors": {}}

    def bad_request(self, why):
        return {"errorMessages": [why], "errors": {}}

    def error_body(self, status, why):
        return {"errorMessages": [f"forced {status}"], "errors": {}}

    def is_open(self, t):
        return JIRA_STATUSES[t["status"]] != "done"

    def plant(self, key, summary="planted"):
        with self.lock:
            return self._add({"summary": summary, "description": "planted",
                              "labels": ["certsweep", jira_label(key)]})

    def close_by_hand(self, key):
        with self.lock:
            self.tickets[key]["status"] = "Done"

    def _add(self, fields):
        key = f"{self.project}-{self.seq}"
        t = {"id": str(10000 + self.seq), "key": key, "project": self.project,
             "summary": fields["summary"], "description": fields.get("description", ""),
             "issuetype": fields.get("issuetype", {}).get("name", "Task"),
             "labels": list(fields.get("labels", [])), "status": "To Do", "comments": [],
             "priority": fields.get("priority", {}).get("name")}
        self.seq += 1
        self.tickets[key] = t
        return t

    def _status(self, t):
        return {"name": t["status"],
                "statusCategory": {"key": JIRA_STATUSES[t["status"]]}}

    def _json(self, req):
        if (req.header("content-type") or "").split(";")[0] != "application/json":
            raise BadRequest(f"Content-Type is {req.header('content-type')!r}")
        try:
            data = json.loads(req.body)
        except ValueError:
            raise BadRequest("the body is not JSON")
        req.input = data
        return data

    def route(self, req):
        if req.header("accept") != "application/json":
            raise BadRequest(f"Accept is {req.header('accept')!r}")
        if req.path == "/rest/api/2/issue" and req.method == "POST":
            return self._create(self._json(req))
        if req.path in ("/rest/api/2/search", "/rest/api/3/search/jql") and req.method == "GET":
            return self._search(req)
        m = re.fullmatch(r"/rest/api/2/issue/([A-Z]+-\d+)(/comment|/transitions)?", req.path)
        if m is None:
            return 404, self.bad_request(f"no such resource {req.path}")
        key, sub = m.groups()
        if key not in self.tickets:
            return 404, {"errorMessages": ["Issue does not exist or you do not have permission "
                                           "to see it."], "errors": {}}
        t = self.tickets[key]
        if sub is None and req.method == "GET":
            fields = (req.one("fields") or "status").split(",")
            out = {"status": self._status(t)} if "status" in fields else {}
            if self.shapeless_answers:
                out = {}
            return 200, {"id": t["id"], "key": t["key"], "fields": out}
        if sub == "/comment" and req.method == "POST":
            data = self._json(req)
            _only_keys("comment", data, ["body"], ["body"])
            t["comments"].append(_string("body", data["body"]))
            return 201, {"id": str(len(t["comments"])), "body": data["body"]}
        if sub == "/transitions" and req.method == "GET":
            return 200, {"transitions": [
                {"id": id, "name": name,
                 "to": {"name": to, "statusCategory": {"key": JIRA_STATUSES[to]}}}
                for id, name, to in self.transitions]}
        if sub == "/transitions" and req.method == "POST":
            data = self._json(req)
            _only_keys("body", data, ["transition"], ["transition"])
            _only_keys("transition", data["transition"], ["id"], ["id"])
            to = [x[2] for x in self.transitions if x[0] == data["transition"]["id"]]
            if not to:
                raise BadRequest(f"no transition {data['transition']['id']!r}")
            t["status"] = to[0]
            return 204, b""
        raise BadRequest(f"{req.method} is not what {req.path} takes")

    def _create(self, data):
        _only_keys("body", data, ["fields"], ["fields"])
        f = data["fields"]
        _only_keys("fields", f, ["project", "summary", "description", "issuetype", "labels",
                                 "priority"],
                   ["project", "summary", "issuetype"])
        if "priority" in f:
            _named("priority", f["priority"])
        _only_keys("project", f["project"], ["key"], ["key"])
        if f["project"]["key"] != self.project:
            return 400, {"errorMessages": [], "errors": {"project": "valid project is required"}}
        summary = _string("summary", f["summary"])
        if "\n" in summary or len(summary) > 255:
            return 400, {"errorMessages": [],
                         "errors": {"summary": "Summary must be less than 255 characters."}}
        _string("description", f.get("description", ""), empty_ok=True)
        if _named("issuetype", f["issuetype"]) not in ("Task", "Bug"):
            return 400, {"errorMessages": [], "errors": {"issuetype": "Specify a valid issue "
                                                                      "type"}}
        labels = f.get("labels", [])
        if not isinstance(labels, list) or any(not isinstance(x, str) or not x or " " in x
                                               or len(x) > 255 for x in labels):
            raise BadRequest(f"labels {labels!r}: strings without spaces, at most 255")
        t = self._add(f)
        return 201, {"id": t["id"], "key": t["key"],
                     "self": f"{self.url}/rest/api/2/issue/{t['id']}"}

    def _search(self, req):
        self.searches.append(req.path)
        if req.path == "/rest/api/2/search" and self.cloud_search:
            return 410, {"errorMessages": ["The requested API has been removed. Please migrate "
                                           "to the /rest/api/3/search/jql API."], "errors": {}}
        jql = req.one("jql")
        m = JIRA_JQL.fullmatch(jql or "")
        if m is None:
            raise BadRequest(f"the fake takes labels = \"L\" AND statusCategory != Done, "
                             f"not {jql!r}")
        fields = req.one("fields")
        if fields is None or "key" not in fields.split(","):
            raise BadRequest(f"fields {fields!r} lacks key")
        limit = int(req.one("maxResults") or 50)
        found = [t for t in self.tickets.values()
                 if m.group(1) in t["labels"] and self.is_open(t)][:limit]
        issues = [{"id": t["id"], "key": t["key"], "fields": {"status": self._status(t)}}
                  for t in found]
        if self.shapeless_answers:
            return 200, {"startAt": 0, "maxResults": limit, "total": len(found)}
        if req.path == "/rest/api/2/search":
            return 200, {"startAt": 0, "maxResults": limit, "total": len(found),
                         "issues": issues}
        return 200, {"issues": issues, "isLast": True}


def free_port():
    """A TCP port of 127.0.0.1 nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
