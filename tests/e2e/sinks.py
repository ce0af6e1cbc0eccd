"""Where notifications go in the e2e tests: an SMTP sink and syslog
listeners on 127.0.0.1, each recording what it received.

    from sinks import SmtpSink, SyslogListener

    with SmtpSink(tls="starttls", cert=CHAIN, key=KEY,
                  require_starttls=True) as smtp:
        ...certsweep with url = smtp.url...
        [m] = smtp.wait_for(1)
        m.mail_from, m.rcpt_tos, m.message["Subject"], m.tls

    with SyslogListener("tls", cert=CHAIN, key=KEY) as log:
        ...certsweep with target = log.target...
        [m] = log.wait_for(1)
        m.pri, m.hostname, m.sd["cert@32473"]["idem"], m.bom, m.msg

SmtpSink wraps aiosmtpd's Controller (Debian's python3-aiosmtpd, so run
this with /usr/bin/python3): plain SMTP, STARTTLS (offered, or required
before any mail command), or implicit TLS (smtps); AUTH LOGIN and PLAIN
against one user and password, optionally required; recipients to refuse
with 550.  stop() closes the port, as a server that is down; start() opens
it again on the same port.

SyslogListener takes UDP (one message a datagram, RFC 5426), TCP or TLS
(octet counting, RFC 6587 / RFC 5425) and parses every message strictly
against RFC 5424 with parse_rfc5424(): anything that is not exactly
`<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG]` (field
lengths, printable ASCII, SD escaping, UTF-8 after a BOM) is recorded in
`errors`, never in `messages`; a bad frame is an error too and ends the
connection.  TLS handshakes that fail (a client refusing the certificate)
are counted in `tls_failures`.
"""

import datetime
import email
import email.policy
import logging
import re
import socket
import ssl
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"

# aiosmtpd logs a traceback for every TLS handshake a client aborts, which
# some tests provoke on purpose, and warns about its own use of a deprecated
# attribute.  What the sinks received is in their lists instead.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore", message="Session.login_data is deprecated")


def free_port(kind=socket.SOCK_STREAM):
    """A port of 127.0.0.1 free right now (for servers that must know
    theirs before they listen, or a closed port to fail against)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class _Recorder:
    """A list that a server thread appends to and a test waits on."""

    def __init__(self):
        self._cond = threading.Condition()

    def _append(self, lst, item):
        with self._cond:
            lst.append(item)
            self._cond.notify_all()

    def _wait(self, lst, n, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(lst) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(lst)


# ---------------------------------------------------------------------------
# SMTP


class Mail:
    """One message the sink accepted."""

    def __init__(self, mail_from, rcpt_tos, raw, tls, login):
        self.mail_from = mail_from  # envelope sender
        self.rcpt_tos = rcpt_tos    # envelope recipients, in order
        self.raw = raw              # the DATA, bytes
        self.message = email.message_from_bytes(raw, policy=email.policy.default)
        self.tls = tls              # whether the transaction ran over TLS
        self.login = login          # the user that authenticated, or None

    def __repr__(self):
        return (f"Mail(from={self.mail_from!r}, to={self.rcpt_tos!r}, "
                f"tls={self.tls}, login={self.login!r})")


def _tls_of(server):
    transport = getattr(server, "transport", None)
    return bool(transport and transport.get_extra_info("ssl_object"))


class _SmtpHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.sink._append(self.sink.mail_commands, (address, _tls_of(server)))
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.reject:
            return f"550 5.1.1 <{address}>: no such user here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode(errors="replace")
        raw = envelope.original_content or envelope.content
        self.sink._append(self.sink.messages, Mail(
            envelope.mail_from, list(envelope.rcpt_tos), raw, _tls_of(server),
            login))
        return "250 2.0.0 OK: queued"


class SmtpSink(_Recorder):
    """An SMTP server on 127.0.0.1 that keeps every message it accepts.

    tls: None (plain), "starttls" (offers STARTTLS with cert and key) or
    "smtps" (TLS from the first byte).  require_starttls: answer 530 to
    anything but EHLO, NOOP, QUIT and STARTTLS before TLS.  auth: a
    (user, password) pair that AUTH LOGIN and PLAIN accept (offered only
    over TLS unless auth_require_tls is False); auth_required: answer 530
    to MAIL before AUTH.  reject: recipients refused with 550.

    messages: the Mail accepted; mail_commands: (sender, over TLS) of every
    MAIL command that reached the handler; auth_attempts: (mechanism,
    login, accepted) of every AUTH."""

    def __init__(self, tls=None, cert=None, key=None, require_starttls=False,
                 auth=None, auth_required=False, auth_require_tls=True,
                 reject=()):
        super().__init__()
        if tls not in (None, "starttls", "smtps"):
            raise ValueError(f"tls={tls!r}")
        if tls and not (cert and key):
            raise ValueError("TLS needs cert and key")
        self.tls = tls
        self.cert, self.key = cert, key
        self.require_starttls = require_starttls
        self.auth = auth
        self.auth_required = auth_required
        self.auth_require_tls = auth_require_tls
        self.reject = {a.lower() for a in reject}
        self.port = free_port()
        self.messages = []
        self.mail_commands = []
        self.auth_attempts = []
        self._controller = None

    @property
    def url(self):
        scheme = "smtps" if self.tls == "smtps" else "smtp"
        return f"{scheme}://{HOST}:{self.port}"

    def _server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and self.auth is not None
              and auth_data.login == self.auth[0].encode()
              and auth_data.password == self.auth[1].encode())
        login = auth_data.login.decode(errors="replace") \
            if isinstance(auth_data, LoginPassword) else None
        self._append(self.auth_attempts, (mechanism, login, ok))
        # handled=False: aiosmtpd sends the 235 or 535 reply itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self):
        """Listen (again) on self.port."""
        if self._controller:
            return self
        kwargs = {"hostname": HOST, "port": self.port, "ready_timeout": 10,
                  "server_hostname": "certsweep-sink"}
        if self.tls == "smtps":
            kwargs["ssl_context"] = self._server_context()
        elif self.tls == "starttls":
            kwargs["tls_context"] = self._server_context()
            kwargs["require_starttls"] = self.require_starttls
        if self.auth:
            kwargs["authenticator"] = self._authenticator
            kwargs["auth_required"] = self.auth_required
            kwargs["auth_require_tls"] = self.auth_require_tls
        self._controller = Controller(_SmtpHandler(self), **kwargs)
        self._controller.start()
        return self

    def stop(self):
        """Close the port: a server that is down."""
        if self._controller:
            self._controller.stop()
            self._controller = None

    def wait_for(self, n, timeout=10):
        """The messages, once there are n (or when timeout seconds passed)."""
        return self._wait(self.messages, n, timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------
# RFC 5424


class SyslogFormatError(Exception):
    pass


class SyslogMessage:
    """One message that parse_rfc5424 accepted.  sd maps each SD-ID to a
    dict of its parameters (a name given twice keeps the last; sd_params
    has them all in order); msg is str after a BOM, else bytes; None when
    there is no MSG."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return f"SyslogMessage({self.raw!r})"


_HEADER = re.compile(
    rb"<(?P<pri>0|[1-9][0-9]{0,2})>(?P<version>[1-9][0-9]{0,2}) "
    rb"(?P<timestamp>-|(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T"
    rb"(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?P<frac>\.[0-9]{1,6})?"
    rb"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})) "
    rb"(?P<hostname>[!-~]{1,255}) (?P<app_name>[!-~]{1,48}) "
    rb"(?P<procid>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) ")
# SD-NAME: printable US-ASCII except '=', SP, ']' and '"', 1 to 32 of them.
_SD_NAME = re.compile(rb'[!#-<>-\\^-~]{1,32}')
_PRIVATE_SD_ID = re.compile(r"^[^@]+@[0-9]+(\.[0-9]+)*$")
_IANA_SD_IDS = {"timeQuality", "origin", "meta"}
BOM = b"\xef\xbb\xbf"


def _check_timestamp(m):
    try:
        day = datetime.date.fromisoformat(m["date"].decode())
        hh, mm, ss = (int(x) for x in m["time"].split(b":"))
        if hh > 23 or mm > 59 or ss > 59:   # RFC 5424 6.2.3: no leap second
            raise ValueError("time out of range")
        offset = m["offset"].decode()
        if offset != "Z":
            oh, om = int(offset[1:3]), int(offset[4:6])
            if oh > 23 or om > 59:
                raise ValueError("offset out of range")
    except ValueError as e:
        raise SyslogFormatError(f"TIMESTAMP {m['timestamp']!r}: {e}")
    return day


def _nil(value):
    return None if value == b"-" else value.decode("ascii")


def _parse_sd(data, i):
    """(elements as [(id, [(name, value)])], position after them)."""
    if data[i:i + 1] == b"-":
        return [], i + 1
    if data[i:i + 1] != b"[":
        raise SyslogFormatError(f"STRUCTURED-DATA at {i}: neither '-' nor '['")
    elements, seen = [], set()
    while data[i:i + 1] == b"[":
        m = _SD_NAME.match(data, i + 1)
        if not m:
            raise SyslogFormatError(f"SD-ID at {i + 1}: not an SD-NAME")
        sd_id = m.group().decode()
        if sd_id in seen:
            raise SyslogFormatError(f"SD-ID {sd_id} appears twice")
        if "@" in sd_id and not _PRIVATE_SD_ID.match(sd_id):
            raise SyslogFormatError(f"SD-ID {sd_id}: not NAME@ENTERPRISE-NUMBER")
        if "@" not in sd_id and sd_id not in _IANA_SD_IDS:
            raise SyslogFormatError(f"SD-ID {sd_id}: not registered with IANA "
                                    "and without @ENTERPRISE-NUMBER")
        seen.add(sd_id)
        i = m.end()
        params = []
        while data[i:i + 1] == b" ":
            m = _SD_NAME.match(data, i + 1)
            if not m:
                raise SyslogFormatError(f"PARAM-NAME at {i + 1}: not an SD-NAME")
            name = m.group().decode()
            i = m.end()
            if data[i:i + 2] != b'="':
                raise SyslogFormatError(f"PARAM {name}: no '=\"' at {i}")
            i += 2
            value = bytearray()
            while True:
                if i >= len(data):
                    raise SyslogFormatError(f"PARAM-VALUE of {name}: no closing '\"'")
                c = data[i:i + 1]
                if c == b"\\" and data[i + 1:i + 2] in (b'"', b"\\", b"]"):
                    value += data[i + 1:i + 2]
                    i += 2
                elif c == b'"':
                    i += 1
                    break
                elif c == b"]":
                    raise SyslogFormatError(f"PARAM-VALUE of {name}: unescaped ']'")
                else:
                    value += c
                    i += 1
            try:
                params.append((name, value.decode("utf-8")))
            except UnicodeDecodeError as e:
                raise SyslogFormatError(f"PARAM-VALUE of {name}: not UTF-8: {e}")
        if data[i:i + 1] != b"]":
            raise SyslogFormatError(f"SD-ELEMENT {sd_id}: no ']' at {i}")
        i += 1
        elements.append((sd_id, params))
    return elements, i


def parse_rfc5424(data):
    """Parses one message (bytes) strictly; raises SyslogFormatError."""
    m = _HEADER.match(data)
    if not m:
        raise SyslogFormatError(f"HEADER does not match RFC 5424: {data[:120]!r}")
    pri, version = int(m["pri"]), int(m["version"])
    if pri > 191:
        raise SyslogFormatError(f"PRI {pri} > 191")
    if version != 1:
        raise SyslogFormatError(f"VERSION {version}, not 1")
    if m["timestamp"] != b"-":
        _check_timestamp(m)
    elements, i = _parse_sd(data, m.end())
    rest = data[i:]
    if rest and not rest.startswith(b" "):
        raise SyslogFormatError(f"no SP between STRUCTURED-DATA and MSG at {i}")
    msg, bom = None, False
    if rest:
        body = rest[1:]
        if body.startswith(BOM):
            bom = True
            try:
                msg = body[len(BOM):].decode("utf-8")
            except UnicodeDecodeError as e:
                raise SyslogFormatError(f"MSG after the BOM is not UTF-8: {e}")
        else:
            msg = body
    return SyslogMessage(
        raw=data, pri=pri, facility=pri // 8, severity=pri % 8, version=version,
        timestamp=_nil(m["timestamp"]), hostname=_nil(m["hostname"]),
        app_name=_nil(m["app_name"]), procid=_nil(m["procid"]),
        msgid=_nil(m["msgid"]),
        sd={sd_id: dict(params) for sd_id, params in elements},
        sd_params=elements, msg=msg, bom=bom)


# ---------------------------------------------------------------------------
# Syslog listeners


class SyslogListener(_Recorder):
    """A syslog receiver on 127.0.0.1: transport "udp", "tcp" or "tls"
    (cert, key).  messages: SyslogMessage; errors: (why, raw) for what did
    not parse or frame; connections: streams accepted; tls_failures:
    handshakes that failed, with the reason."""

    def __init__(self, transport="udp", cert=None, key=None, port=None):
        super().__init__()
        if transport not in ("udp", "tcp", "tls"):
            raise ValueError(f"transport={transport!r}")
        if transport == "tls" and not (cert and key):
            raise ValueError("TLS needs cert and key")
        self.transport = transport
        self.port = port
        self.messages = []
        self.errors = []
        self.connections = 0
        self.tls_failures = []
        self._ctx = None
        if transport == "tls":
            self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ctx.load_cert_chain(cert, key)
        self._sock = None
        self._stop = threading.Event()
        self._threads = []
        self._conns = set()

    @property
    def target(self):
        return f"{self.transport}://{HOST}:{self.port}"

    def start(self):
        kind = socket.SOCK_DGRAM if self.transport == "udp" else socket.SOCK_STREAM
        self._sock = socket.socket(socket.AF_INET, kind)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, self.port or 0))
        self.port = self._sock.getsockname()[1]
        self._sock.settimeout(0.1)
        self._stop.clear()
        if kind == socket.SOCK_STREAM:
            self._sock.listen(16)
            self._spawn(self._accept_loop)
        else:
            self._spawn(self._datagram_loop)
        return self

    def stop(self):
        """Close the port and every connection."""
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self._threads = []
        if self._sock:
            self._sock.close()
            self._sock = None

    def close_connections(self):
        """Close the streams accepted so far (the receiver restarting)."""
        with self._cond:
            conns, self._conns = list(self._conns), set()
        for c in conns:
            try:
                c.close()
            except OSError:
                pass

    def wait_for(self, n, timeout=10):
        """The messages, once there are n (or when timeout seconds passed)."""
        return self._wait(self.messages, n, timeout)

    def wait_for_tls_failures(self, n, timeout=10):
        return self._wait(self.tls_failures, n, timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def _record(self, data):
        try:
            self._append(self.messages, parse_rfc5424(data))
        except SyslogFormatError as e:
            self._append(self.errors, (str(e), data))

    def _datagram_loop(self):
        while not self._stop.is_set():
            try:
                data = self._sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self._record(data)

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._cond:
                self.connections += 1
            self._spawn(self._stream_loop, conn)

    def _stream_loop(self, conn):
        conn.settimeout(0.1)
        if self._ctx:
            conn = self._handshake(conn)
            if conn is None:
                return
        try:
            with self._cond:
                self._conns.add(conn)
            buf = b""
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except (socket.timeout, ssl.SSLWantReadError):
                    continue
                except OSError:
                    return
                if not chunk:
                    if buf:
                        self._append(self.errors, ("connection closed inside a frame", buf))
                    return
                buf += chunk
                buf = self._frames(buf)
                if buf is None:
                    return
        finally:
            with self._cond:
                self._conns.discard(conn)
            conn.close()

    def _handshake(self, conn):
        conn.settimeout(10)
        try:
            tls = self._ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self._append(self.tls_failures, str(e))
            conn.close()
            return None
        tls.settimeout(0.1)
        return tls

    def _frames(self, buf):
        """Takes the complete frames off buf: the rest, or None after a
        framing error (recorded)."""
        while buf:
            m = re.match(rb"([1-9][0-9]{0,8}) ", buf)
            if not m:
                if re.fullmatch(rb"[1-9][0-9]{0,8}", buf):
                    return buf          # the length is still arriving
                self._append(self.errors, (
                    "not octet-counting framing (MSG-LEN SP MSG)", buf[:200]))
                return None
            n = int(m.group(1))
            if len(buf) < m.end() + n:
                return buf
            self._record(buf[m.end():m.end() + n])
            buf = buf[m.end() + n:]
        return buf
