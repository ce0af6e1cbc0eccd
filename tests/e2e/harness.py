"""What test_scan.py and test_inventory.py share: the lab, the private
network namespace, running certsweep in a process group of its own, and the
check runner that prints `ok NAME`, `FAIL NAME: why`, `skip NAME: why` and
`N passed, M failed`.

The scripts import it as `harness`: Python puts a script's own directory
first on sys.path, and they are always run by their path
(`/usr/bin/python3 tests/e2e/test_X.py`, also by ctest).  Standard library
only, like them.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAB_DIR = os.path.join(ROOT, "tests", "lab")
CERTSWEEP = os.environ.get("CERTSWEEP", os.path.join(ROOT, "build", "certsweep"))
NETNS_ENV = "CERTSWEEP_E2E_NETNS"
VERBOSE = "-v" in sys.argv[1:]


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise Fail(why)


def equal(what, got, want):
    if got != want:
        raise Fail(f"{what} is {got!r}, want {want!r}")


# ---------------------------------------------------------------------------
# A network of our own.  The scripts differ in what they do once they know
# whether they may have one (test_scan.py re-executes itself, while
# test_inventory.py stays outside to relay PostgreSQL), so these are the
# pieces, not the whole.

def bring_loopback_up():
    """Set IFF_UP on lo (a new network namespace starts with it down)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, req)[:18])[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", flags | 1))
    finally:
        s.close()


def network_already_chosen():
    """Returns "inside" when this is the run inside the namespace (its
    loopback is then brought up), "off" when $CERTSWEEP_E2E_NETNS says to
    stay in the host network, each with a note printed; None when a
    namespace is still to be tried."""
    state = os.environ.get(NETNS_ENV)
    if state == "inside":
        bring_loopback_up()
        print("note: running in a private network namespace (loopback only)")
        return state
    if state == "off":
        print("note: CERTSWEEP_E2E_NETNS=off: running in the host network")
        return state
    return None


def unshare_command():
    """(the command that runs another in a new network namespace, None), or
    (None, why there is none here).  It is tried once, as the kernel or a
    container may forbid it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "no unshare(1)"
    cmd = [unshare, "--net"]
    if os.geteuid() != 0:
        cmd.append("--map-root-user")   # a user namespace lets non-root in
    if subprocess.run(cmd + ["true"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        return None, "unshare --net is not permitted here"
    return cmd, None


def enter_private_network(outside_note):
    """Re-execute this script inside a new network namespace if possible.
    Returns True when running inside one, False when staying in the host
    network (after printing outside_note, which says what that means)."""
    state = network_already_chosen()
    if state:
        return state == "inside"
    cmd, why = unshare_command()
    if cmd:
        argv, env = rerun_inside(cmd)
        sys.stdout.flush()
        os.execve(argv[0], argv, env)
    print(f"note: {why}: running in the host network; {outside_note}")
    return False


def import_sinks():
    """tests/e2e/sinks.py, which needs Debian's python3-aiosmtpd; without
    it, says so in the closing-line form (ctest shows a failure) and exits."""
    try:
        import sinks
    except ImportError as e:
        print(f"FAIL setup: {e}: run with Debian's /usr/bin/python3 and "
              "python3-aiosmtpd installed")
        print("0 passed, 1 failed")
        sys.exit(1)
    return sinks


def rerun_inside(cmd):
    """The argv and environment that run this script again, with its
    arguments, under cmd (from unshare_command), told it is inside."""
    script = os.path.abspath(sys.argv[0])
    return (cmd + [sys.executable, script] + sys.argv[1:],
            dict(os.environ, **{NETNS_ENV: "inside"}))


# ---------------------------------------------------------------------------
# The lab

# The status and reason each lab endpoint gives, as docs/scan-output.md
# promises (the table in tests/e2e/README.md).
EXPECTED = {
    "tls13_rsa": ("certificate_found", "chain_received"),
    "tls12_ecdsa": ("certificate_found", "chain_received"),
    "tls10_rsa": ("certificate_found", "chain_received"),
    "tls11": ("certificate_found", "chain_received"),
    "ed25519": ("certificate_found", "chain_received"),
    "sha1": ("certificate_found", "chain_received"),
    "expired": ("certificate_found", "chain_received"),
    "selfsigned": ("certificate_found", "chain_received"),
    "big": ("certificate_found", "chain_received"),
    "sni": ("certificate_found", "chain_received"),
    "clientcert": ("certificate_found", "chain_received"),
    "tls_v6": ("certificate_found", "chain_received"),
    "http": ("not_ssl", "http_response"),
    "ssh": ("not_ssl", "ssh_banner"),
    "smtp": ("not_ssl", "smtp_or_ftp_banner"),
    "silent": ("timed_out_downloading", "no_response"),
    "tarpit": ("timed_out_downloading", "incomplete_handshake"),
    "garbage": ("not_ssl", "binary_response"),
    "alert": ("bad_ssl_handshake", "alert:handshake_failure"),
    "eof": ("bad_ssl_handshake", "eof_after_client_hello"),
    "reset": ("bad_ssl_handshake", "reset_during_handshake"),
    "huge": ("bad_ssl_handshake", re.compile(r"tls:\S+")),
    "closed": ("connection_refused", "rst"),
    "backlog": ("timed_out_connecting", "connect_timeout"),
}


class Lab:
    """gencerts.sh + lab.py in a temporary directory named prefix...;
    lab_args are extra lab.py flags (--control for control()).  script is
    another lab of tests/lab/ to start instead (vulnlab.py), one that takes
    lab.py's --certs, --manifest, --stdin-eof and -v."""

    def __init__(self, prefix, lab_args=(), script="lab.py"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.script = script
        self.certs = os.path.join(self.dir, "certs")
        self.lab_args = list(lab_args)
        self.proc = None
        self.log = None

    def start(self):
        subprocess.run([os.path.join(LAB_DIR, "gencerts.sh"), self.certs],
                       check=True)
        manifest = os.path.join(self.dir, "manifest.json")
        self.log = open(os.path.join(self.dir, "lab.log"), "w+")
        cmd = [sys.executable, os.path.join(LAB_DIR, self.script), "--certs",
               self.certs, "--manifest", manifest, "--stdin-eof",
               *self.lab_args]
        if VERBOSE:
            cmd.append("-v")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while not os.path.exists(manifest):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"lab did not start:\n{self.log_text()}")
            time.sleep(0.05)
        with open(manifest) as f:
            self.ports = json.load(f)
        # Port to endpoint name, for the ports certsweep reports.  dns is a
        # UDP port: its number may also be that of a TCP endpoint.
        self.names = {port: name for name, port in self.ports.items()
                      if name != "dns"}

    def log_text(self):
        if not self.log:
            return ""
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if VERBOSE:
            sys.stdout.write(self.log_text())
        if self.log:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pem(self, name):
        with open(os.path.join(self.certs, name + ".pem")) as f:
            return f.read()

    def der(self, name):
        return ssl.PEM_cert_to_DER_cert(self.pem(name))

    def cert_sha256(self, name):
        return hashlib.sha256(self.der(name)).hexdigest()

    def control(self, *words):
        """One command to the control port (lab.py --control); it must
        answer ok."""
        with socket.create_connection(("127.0.0.1", self.ports["control"]),
                                      timeout=20) as s:
            s.sendall((" ".join(words) + "\n").encode())
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        answer = answer.decode().strip()
        if answer != "ok":
            raise Fail(f"lab control {' '.join(words)}: {answer!r}")


# ---------------------------------------------------------------------------
# Running certsweep

def start_in_group(argv, **kw):
    # In a process group of its own, so that kill_group also gets what a
    # wrapper script (valgrind, a shell) around the binary started.
    return subprocess.Popen(argv, text=True, start_new_session=True, **kw)


def kill_group(p, sig=signal.SIGKILL):
    """Signal p's process group; the caller waits for p."""
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass


def finish(p, args, timeout):
    """Wait for p, certsweep ARGS started by start_in_group with its output
    piped, to end; a run longer than timeout seconds is a failure.  Nothing
    of its process group outlives it."""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fail(f"certsweep {' '.join(args)} ran longer than {timeout} s")
    finally:
        kill_group(p)
        p.wait()
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


# ---------------------------------------------------------------------------
# The checks: functions of the test context, run in the order registered.

CHECKS = []


def check(fn, name=None):
    CHECKS.append((name or fn.__name__, fn))
    return fn


class Context:
    """The test context: the lab, and what checks leave for later ones."""


def certsweep_missing(path):
    """Whether there is no certsweep binary at path; if so, says it in the
    closing-line form, as a failed setup."""
    if os.access(path, os.X_OK):
        return False
    print(f"FAIL setup: no certsweep binary at {path} (set CERTSWEEP)")
    print("0 passed, 1 failed")
    return True


def run_checks(t, before=None, show_time=True):
    """Start t.lab, call before(t) (if given) and then every check on t,
    print a line for each and the closing line, stop the lab.  Returns the
    exit status: 1 if any check failed."""
    # SIGTERM (a ctest timeout) leaves through the finally clauses, so that
    # the lab is stopped and the temporary directories removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    passed = failed = skipped = 0
    started = time.monotonic()
    try:
        try:
            t.lab.start()
        except Exception as e:
            print(f"FAIL setup: {e}")
            print("0 passed, 1 failed")
            return 1
        if before:
            before(t)
        for name, fn in CHECKS:
            try:
                fn(t)
            except Skip as e:
                print(f"skip {name}: {e}")
                skipped += 1
            except Fail as e:
                print(f"FAIL {name}: {e}")
                failed += 1
            except Exception as e:      # a bug here must not hide the rest
                print(f"FAIL {name}: {type(e).__name__}: {e}")
                failed += 1
            else:
                print(f"ok {name}")
                passed += 1
            sys.stdout.flush()
    finally:
        t.lab.stop()
    if skipped:
        print(f"{skipped} skipped")
    if show_time:
        print(f"{time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
