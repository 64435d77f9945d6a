"""Integration test harness for Weir.

Everything a test file needs lives here:

  * Server      - start a server binary on a free port in a fresh temp dir,
                  wait until it answers PING, capture its log, stop it and
                  complain if it crashed, exited non-zero or printed a
                  sanitizer report.
  * RawClient   - a plain socket client with a RESP2/RESP3 reader of its own,
                  for byte-exact assertions (read_raw) and parsed replies
                  (call/read).
  * redis-py    - RESP2 clients (Debian's python3-redis 4.3.4 has no RESP3,
                  so RESP3 goes through RawClient).
  * redis-cli, redis-benchmark and node helpers.
  * Ctx         - the object handed to every test function ("t").
  * markers     - @needs_version, @needs_streams, @timeout.

Only the standard library and python3-redis are used.  Run with Debian's
/usr/bin/python3.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

try:
    import redis  # python3-redis
except ImportError:  # pragma: no cover - reported by the runner
    redis = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NODE_DIR = os.path.join(HERE, "node")

START_TIMEOUT = float(os.environ.get("WEIR_START_TIMEOUT", "15"))
STOP_TIMEOUT = float(os.environ.get("WEIR_STOP_TIMEOUT", "20"))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "WARNING: ThreadSanitizer")


# --------------------------------------------------------------------------
# outcomes
# --------------------------------------------------------------------------

class NotApplicable(Exception):
    """Raised when a test cannot apply to the server under test.  The runner
    reports it as 'not applicable (<reason>)', never silently."""


class ServerFailure(AssertionError):
    """The server process misbehaved (crash, bad exit status, sanitizer)."""


def fail(msg):
    raise AssertionError(msg)


def eq(actual, expected, what=""):
    if actual != expected:
        pre = (what + ": ") if what else ""
        raise AssertionError("%sexpected %r, got %r" % (pre, expected, actual))


def ok(cond, msg):
    if not cond:
        raise AssertionError(msg)


def is_err(reply, text=None, what="", prefix=None):
    """Assert reply is an error reply; text is the exact message (without
    the leading '-'), prefix a required start."""
    pre = (what + ": ") if what else ""
    if not isinstance(reply, Err):
        raise AssertionError("%sexpected an error reply, got %r" % (pre, reply))
    if text is not None and str(reply) != text:
        raise AssertionError("%sexpected error %r, got %r" % (pre, text, str(reply)))
    if prefix is not None and not str(reply).startswith(prefix):
        raise AssertionError("%sexpected error starting with %r, got %r"
                             % (pre, prefix, str(reply)))
    return reply


def wait_for(pred, timeout=5.0, interval=0.02, what="condition"):
    """Poll pred() until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last value %r)"
                                 % (timeout, what, last))
        time.sleep(interval)


# --------------------------------------------------------------------------
# markers
# --------------------------------------------------------------------------

def needs_version(major, minor=0, why=""):
    """The test checks behaviour that only Redis >= major.minor has.  Against
    an older real Redis it is reported as not applicable; against Weir it
    always runs (Weir targets Redis 8.8)."""
    def deco(fn):
        fn.min_version = (major, minor)
        fn.min_version_why = why
        return fn
    return deco


def needs_streams(fn):
    """The test needs a stream key (XADD).  It runs regardless; if it fails
    while the server has no XADD, the failure says so."""
    fn.needs_streams = True
    return fn


def timeout(seconds):
    def deco(fn):
        fn.timeout = seconds
        return fn
    return deco


# --------------------------------------------------------------------------
# networking helpers
# --------------------------------------------------------------------------

def free_port(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def ipv6_loopback_available():
    if not socket.has_ipv6:
        return False
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            s.bind(("::1", 0))
        finally:
            s.close()
        return True
    except OSError:
        return False


def encode_command(*args):
    """Encode arguments as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, bytes):
            b = a
        elif isinstance(a, str):
            b = a.encode()
        elif isinstance(a, (int, float)):
            b = str(a).encode()
        else:
            raise TypeError("cannot encode %r" % (a,))
        out.append(b"$%d\r\n" % len(b))
        out.append(b)
        out.append(b"\r\n")
    return b"".join(out)


# --------------------------------------------------------------------------
# RESP reply types
# --------------------------------------------------------------------------

class Status(str):
    """+simple string"""


class Err(str):
    """-error or !blob error; str() is the message without the '-'."""

    @property
    def code(self):
        return self.split(" ", 1)[0]


class Double(float):
    """RESP3 ,double"""


class BigNum(int):
    """RESP3 (big number"""


class Verbatim(str):
    """RESP3 =verbatim string; .fmt is the 3-letter format."""
    fmt = ""


class Map(dict):
    """RESP3 %map (insertion ordered). Unhashable keys become tuples."""


class Set(list):
    """RESP3 ~set"""


class Push(list):
    """RESP3 >push"""


class ProtocolViolation(AssertionError):
    pass


class ConnectionClosed(AssertionError):
    pass


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(x)) for k, x in v.items())
    return v


class RawClient:
    """A small RESP2/RESP3 client over a real socket.

    call(*args)  -> parsed reply (errors are returned as Err, not raised)
    send(bytes)  -> write raw bytes
    read()       -> next parsed reply
    read_raw()   -> exact bytes of the next complete reply
    """

    def __init__(self, host="127.0.0.1", port=None, unix=None, timeout=10.0,
                 decode=True, family=None):
        self.decode = decode
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix)
        else:
            fam = family or (socket.AF_INET6 if ":" in host else socket.AF_INET)
            self.sock = socket.socket(fam, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect((host, port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self._capture = None
        self.last_attribute = None

    # -- low level --------------------------------------------------------
    def settimeout(self, t):
        self.sock.settimeout(t)

    def send(self, data):
        self.sock.sendall(data)

    def send_cmd(self, *args):
        self.sock.sendall(encode_command(*args))

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError("timed out waiting for data from server "
                                 "(buffered: %r)" % bytes(self.buf[self.pos:self.pos + 200]))
        if not chunk:
            raise ConnectionClosed("connection closed by server (buffered: %r)"
                                   % bytes(self.buf[self.pos:self.pos + 200]))
        if self.pos > 65536 and self.pos > len(self.buf) // 2:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += chunk

    def _readline(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                if self._capture is not None:
                    self._capture += self.buf[self.pos:i + 2]
                self.pos = i + 2
                return line
            self._fill()

    def _readn(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        if self._capture is not None:
            self._capture += data
        self.pos += n
        return data

    def read_bytes(self, n):
        """Read exactly n raw bytes."""
        return self._readn(n)

    def _bulk(self, n):
        data = self._readn(n + 2)
        if data[-2:] != b"\r\n":
            raise ProtocolViolation("bulk payload not terminated by CRLF: %r" % data[-2:])
        return data[:-2]

    def _str(self, b):
        return b.decode("utf-8", "surrogateescape") if self.decode else b

    def _parse(self):
        line = self._readline()
        if not line:
            raise ProtocolViolation("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return Status(rest.decode("utf-8", "surrogateescape"))
        if t == b"-":
            return Err(rest.decode("utf-8", "surrogateescape"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            return self._str(self._bulk(n))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self._parse() for _ in range(n)]
            if t == b"~":
                return Set(items)
            if t == b">":
                return Push(items)
            return items
        if t == b"%":
            n = int(rest)
            m = Map()
            for _ in range(n):
                k = self._parse()
                v = self._parse()
                m[_hashable(k)] = v
            return m
        if t == b"|":
            n = int(rest)
            attrs = Map()
            for _ in range(n):
                k = self._parse()
                attrs[_hashable(k)] = self._parse()
            self.last_attribute = attrs
            return self._parse()
        if t == b"_":
            if rest:
                raise ProtocolViolation("null with payload: %r" % line)
            return None
        if t == b"#":
            if rest not in (b"t", b"f"):
                raise ProtocolViolation("bad boolean: %r" % line)
            return rest == b"t"
        if t == b",":
            s = rest.decode()
            if s in ("inf", "+inf"):
                return Double(float("inf"))
            if s == "-inf":
                return Double(float("-inf"))
            return Double(float(s))
        if t == b"(":
            return BigNum(int(rest))
        if t == b"!":
            return Err(self._bulk(int(rest)).decode("utf-8", "surrogateescape"))
        if t == b"=":
            data = self._bulk(int(rest))
            if data[3:4] != b":":
                raise ProtocolViolation("verbatim string without format: %r" % data[:8])
            v = Verbatim(data[4:].decode("utf-8", "surrogateescape"))
            v.fmt = data[:3].decode()
            return v
        raise ProtocolViolation("unknown reply type byte %r in line %r" % (t, line))

    # -- public -------------------------------------------------------------
    def read(self):
        return self._parse()

    def read_raw(self):
        """Return the exact bytes of the next complete reply."""
        self._capture = bytearray()
        try:
            self._parse()
            return bytes(self._capture)
        finally:
            self._capture = None

    def call(self, *args):
        self.send_cmd(*args)
        return self.read()

    def call_raw(self, *args):
        self.send_cmd(*args)
        return self.read_raw()

    def ok_call(self, *args):
        """call() that fails the test on an error reply."""
        r = self.call(*args)
        if isinstance(r, Err):
            raise AssertionError("%s -> error %r" % (" ".join(map(str, args)), str(r)))
        return r

    def pending(self):
        return bytes(self.buf[self.pos:])

    def expect_closed(self, timeout=5.0):
        """Assert the server closes the connection (EOF) within timeout and
        that nothing else arrives before that."""
        self.sock.settimeout(timeout)
        extra = bytes(self.buf[self.pos:])
        self.buf.clear()
        self.pos = 0
        deadline = time.monotonic() + timeout
        while True:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError("connection still open after %.1fs (received %r)"
                                     % (timeout, extra[:200]))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if extra:
                    raise AssertionError("unexpected data before close: %r" % extra[:200])
                return
            extra += chunk
            if time.monotonic() > deadline:
                raise AssertionError("connection not closed; received %r" % extra[:200])

    def is_open(self, wait=0.2):
        """True if the connection is still open (no EOF within wait)."""
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536, socket.MSG_PEEK)
        except socket.timeout:
            return True
        except (ConnectionResetError, BrokenPipeError):
            return False
        finally:
            self.sock.settimeout(10.0)
        return bool(chunk)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_info(text):
    """INFO text -> {section: {field: value}} plus a flat dict under None."""
    sections = {}
    flat = {}
    cur = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            cur = line[1:].strip().lower()
            sections.setdefault(cur, {})
            continue
        if ":" not in line:
            raise AssertionError("INFO line without ':': %r" % line)
        k, v = line.split(":", 1)
        flat[k] = v
        sections.setdefault(cur, {})[k] = v
    sections[None] = flat
    return sections


def parse_kv_list(s, sep=",", kvsep="="):
    out = {}
    for part in s.split(sep):
        if kvsep in part:
            k, v = part.split(kvsep, 1)
            out[k] = v
    return out


def version_tuple(s):
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", s or "")
    if not m:
        return None
    return tuple(int(x or 0) for x in m.groups())


# --------------------------------------------------------------------------
# server process
# --------------------------------------------------------------------------

class Server:
    """One server process on a free port in its own temporary directory."""

    def __init__(self, binary, args=(), config_text=None, port=None,
                 bind="127.0.0.1", default_args=True, keep_dir=False,
                 tmp_root=None, config_file=None):
        self.binary = binary
        self.extra = list(args)
        self.config_text = config_text
        self.bind = bind
        self.want_port = port
        self.default_args = default_args
        self.dir = tempfile.mkdtemp(prefix="weir-integ-", dir=tmp_root)
        self.log_path = os.path.join(self.dir, "server.log")
        self.config_path = config_file
        self.proc = None
        self.port = None
        self.host = bind.split()[0] if bind else "127.0.0.1"
        self.keep_dir = keep_dir
        self._log_checked = 0
        self.returncode = None
        self.stopped = False

    # address used by clients
    @property
    def addr(self):
        return (self.host, self.port)

    def argv(self):
        argv = [self.binary]
        if self.config_text is not None and self.config_path is None:
            self.config_path = os.path.join(self.dir, "server.conf")
            with open(self.config_path, "w") as f:
                f.write(self.config_text)
        if self.config_path is not None:
            argv.append(self.config_path)
        if self.default_args:
            argv += ["--port", str(self.port), "--bind", self.bind,
                     "--dir", self.dir, "--enable-debug-command", "yes"]
        argv += [str(a) for a in self.extra]
        return argv

    def start(self, wait=True, attempts=5):
        last = ""
        for _ in range(attempts):
            if self.want_port is not None:
                self.port = self.want_port
            else:
                fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
                self.port = free_port(fam, self.host)
            self._spawn()
            if not wait:
                return self
            try:
                self.wait_ready()
                return self
            except ServerFailure as e:
                last = str(e)
                log = self.log()
                if "in use" in log.lower() and self.want_port is None:
                    self._reap()
                    continue
                raise
        raise ServerFailure("could not start server after %d attempts: %s" % (attempts, last))

    def _spawn(self):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     cwd=self.dir, start_new_session=True)
        self.returncode = None
        self.stopped = False

    def _reap(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.returncode = self.proc.returncode
        self.logf.close()

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                raise ServerFailure("server exited with status %s during startup; log:\n%s"
                                    % (self.proc.returncode, self.log_tail()))
            try:
                c = RawClient(self.host, self.port, timeout=2.0)
                try:
                    r = c.call("PING")
                finally:
                    c.close()
                if r == "PONG" or (isinstance(r, Err) and r.startswith("NOAUTH")):
                    return
                err = "PING answered %r" % (r,)
            except (OSError, AssertionError) as e:
                err = str(e)
            time.sleep(0.02)
        raise ServerFailure("server not answering PING within %.0fs (%s); log:\n%s"
                            % (timeout, err, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        lines = self.log().splitlines()
        return "\n".join("    | " + l for l in lines[-n:])

    def new_sanitizer_reports(self):
        """Sanitizer lines written to the log since the last call."""
        text = self.log()
        new = text[self._log_checked:]
        self._log_checked = len(text)
        return [l for l in new.splitlines() if any(m in l for m in SANITIZER_MARKERS)]

    def check_health(self):
        """Raise ServerFailure if the process died or reported a sanitizer
        error since the last check."""
        reports = self.new_sanitizer_reports()
        if self.proc.poll() is not None and not self.stopped:
            self.returncode = self.proc.returncode
            self.keep_dir = True
            raise ServerFailure("server died unexpectedly (exit status %s)%s; dir kept: %s; log:\n%s"
                                % (self.proc.returncode, describe_signal(self.proc.returncode),
                                   self.dir, self.log_tail()))
        if reports:
            raise ServerFailure("sanitizer report in server log:\n    " + "\n    ".join(reports[:10]))

    def wait_exit(self, timeout=STOP_TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.stopped = True
        self.logf.close()
        return self.returncode

    def stop(self, check=True, sig=signal.SIGTERM):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT. With check, raise
        ServerFailure on a non-zero exit, a hang or a sanitizer report."""
        if self.proc is None:
            return None
        problems = []
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append("did not exit within %.0fs of %s; killed"
                                % (STOP_TIMEOUT, signal.Signals(sig).name))
        self.returncode = self.proc.returncode
        self.stopped = True
        if not self.logf.closed:
            self.logf.close()
        if self.returncode != 0 and not problems:
            problems.append("exit status %s%s" % (self.returncode, describe_signal(self.returncode)))
        reports = self.new_sanitizer_reports()
        if reports:
            problems.append("sanitizer report:\n    " + "\n    ".join(reports[:10]))
        if problems and check:
            raise ServerFailure("server stop: %s; log:\n%s" % ("; ".join(problems), self.log_tail()))
        return self.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stopped = True
        if self.proc and not self.logf.closed:
            self.logf.close()

    def cleanup_dir(self):
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def describe_signal(rc):
    if rc is not None and rc < 0:
        try:
            return " (killed by %s)" % signal.Signals(-rc).name
        except ValueError:
            return " (killed by signal %d)" % -rc
    return ""


class External:
    """An already running server given with --external host:port."""

    def __init__(self, host, port):
        self.host = host
        self.port = port

    @property
    def addr(self):
        return (self.host, self.port)

    def alive(self):
        return True

    def check_health(self):
        try:
            c = RawClient(self.host, self.port, timeout=5)
            r = c.call("PING")
            c.close()
        except (OSError, AssertionError) as e:
            raise ServerFailure("external server not answering: %s" % e)
        if r != "PONG":
            raise ServerFailure("external server answered PING with %r" % (r,))


# --------------------------------------------------------------------------
# per-test context
# --------------------------------------------------------------------------

class Ctx:
    """Handed to each test as `t`."""

    def __init__(self, session, test_fn):
        self.session = session
        self.fn = test_fn
        self.server = session.server
        self.host, self.port = self.server.addr
        self._closers = []
        self._cleanups = []
        self.owned = []
        self._r = None
        self._rb = None

    # -- info about the target --------------------------------------------
    @property
    def external(self):
        return self.session.external

    @property
    def binary(self):
        return self.session.binary

    @property
    def version(self):
        return self.session.version

    @property
    def is_weir(self):
        return self.session.is_weir

    # -- clients ------------------------------------------------------------
    def conn(self, decode=True, timeout=10.0, server=None, unix=None):
        host, port = (server or self.server).addr
        c = RawClient(host, port, timeout=timeout, decode=decode, unix=unix)
        self._closers.append(c.close)
        return c

    def redis(self, decode=True, server=None, **kw):
        if redis is None:
            fail("python3-redis is not installed (run tools/deps.sh test)")
        host, port = (server or self.server).addr
        r = redis.Redis(host=host, port=port, decode_responses=decode,
                        socket_timeout=15, **kw)
        self._closers.append(r.close)
        return r

    @property
    def r(self):
        """redis-py client, RESP2, str replies."""
        if self._r is None:
            self._r = self.redis(decode=True)
        return self._r

    @property
    def rb(self):
        """redis-py client, RESP2, bytes replies."""
        if self._rb is None:
            self._rb = self.redis(decode=False)
        return self._rb

    def call(self, *args):
        """One command on a fresh raw connection; returns the parsed reply."""
        c = self.conn()
        try:
            return c.call(*args)
        finally:
            c.close()

    def info(self, *sections, server=None):
        c = self.conn(server=server)
        r = c.call("INFO", *sections)
        c.close()
        if isinstance(r, Err):
            fail("INFO failed: %s" % r)
        return parse_info(r)

    def defer(self, fn, *args):
        """Run fn(*args) after the test, even when it fails."""
        self._cleanups.append((fn, args))

    # -- own servers ----------------------------------------------------------
    def server_pid(self):
        """pid of the shared server, None in external mode."""
        return None if self.external else self.server.pid()

    def spawn(self, args=(), config_text=None, config_file=None, wait=True, **kw):
        """Start a dedicated server for this test (stopped and checked after
        the test).  config_text is written to <dir>/server.conf; config_file
        names an existing file instead.  Not applicable in --external mode."""
        if self.external:
            raise NotApplicable("needs to start its own server process (external mode)")
        s = Server(self.binary, args=args, config_text=config_text, config_file=config_file, **kw)
        self.owned.append(s)
        s.start(wait=wait)
        return s

    def run_binary(self, args, timeout=20, config_text=None):
        """Run the server binary to completion (for start-up failures).
        Returns (exit status, combined output).  A binary still running
        after timeout is killed and the test fails."""
        if self.external:
            raise NotApplicable("needs to start its own server process (external mode)")
        d = tempfile.mkdtemp(prefix="weir-integ-run-")
        self.defer(shutil.rmtree, d, True)
        argv = [self.binary]
        if config_text is not None:
            path = os.path.join(d, "server.conf")
            with open(path, "w") as f:
                f.write(config_text)
            argv.append(path)
        argv += [str(a) for a in args]
        p = subprocess.Popen(argv, cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            fail("%s did not exit within %ds; output:\n%s"
                 % (" ".join(argv), timeout, out.decode(errors="replace")[-2000:]))
        text = out.decode(errors="replace")
        bad = [l for l in text.splitlines() if any(m in l for m in SANITIZER_MARKERS)]
        if bad:
            raise ServerFailure("sanitizer report:\n    " + "\n    ".join(bad[:10]))
        return p.returncode, text

    # -- external tools --------------------------------------------------------
    def cli(self, *args, stdin=None, timeout=30, server=None, check=True):
        host, port = (server or self.server).addr
        cmd = ["redis-cli", "-h", host, "-p", str(port)] + [str(a) for a in args]
        p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
        if check and p.returncode != 0:
            fail("redis-cli %s exited %d: %s" % (" ".join(map(str, args)), p.returncode,
                                                  (p.stderr or p.stdout).decode(errors="replace")))
        return p

    def benchmark(self, *args, timeout=120, server=None):
        host, port = (server or self.server).addr
        cmd = ["redis-benchmark", "-h", host, "-p", str(port)] + [str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, timeout=timeout)

    def node(self, script, *args, timeout=60, server=None):
        """Run tests/integ/node/<script> with host port args; parse its JSON
        stdout."""
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "redis")):
            fail("node-redis is not installed in tests/integ/node (run tools/deps.sh test)")
        host, port = (server or self.server).addr
        cmd = ["node", os.path.join(NODE_DIR, script), host, str(port)] + [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=NODE_DIR)
        out = p.stdout.decode(errors="replace")
        if p.returncode != 0:
            fail("node %s exited %d\nstdout: %s\nstderr: %s"
                 % (script, p.returncode, out[-2000:], p.stderr.decode(errors="replace")[-2000:]))
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            fail("node %s printed no JSON result: %r" % (script, out[-2000:]))

    def _finish(self):
        errs = []
        for s in self.owned:
            if not s.stopped:
                try:
                    s.stop(check=True)
                except ServerFailure as e:
                    errs.append("own server: %s" % e)
                    s.keep_dir = True
            else:
                reports = s.new_sanitizer_reports()
                if reports:
                    errs.append("own server sanitizer report:\n    " + "\n    ".join(reports[:10]))
                    s.keep_dir = True
            s.cleanup_dir()
        for fn, args in reversed(self._cleanups):
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - report all cleanup errors
                errs.append("cleanup %s failed: %s" % (getattr(fn, "__name__", fn), e))
        for c in self._closers:
            try:
                c()
            except Exception:  # noqa: BLE001
                pass
        return errs


class Session:
    """State shared by all tests of one file: the server they talk to."""

    def __init__(self, binary=None, external=None):
        self.binary = binary
        self.external = external is not None
        self.version = None
        self.has_xadd = None
        if external:
            host, port = external
            self.server = External(host, port)
        else:
            self.server = None
        self.is_weir = False
        self.current = None

    def start(self):
        if not self.external:
            self.server = Server(self.binary)
            self.server.start()
        self._probe()

    def _probe(self):
        c = RawClient(*self.server.addr)
        try:
            info = c.call("INFO", "server")
            if isinstance(info, str) and not isinstance(info, Err):
                v = parse_info(info)[None].get("redis_version")
                self.version = version_tuple(v)
            r = c.call("COMMAND", "INFO", "XADD")
            self.has_xadd = isinstance(r, list) and len(r) == 1 and r[0] is not None
        finally:
            c.close()
        base = os.path.basename(self.binary or "")
        # Version gates only apply to a real Redis (external, or a binary
        # called redis-server); Weir always gets the full Redis 8.8 suite.
        self.is_weir = not self.external and not base.startswith("redis-server")

    def restart_if_dead(self):
        if self.external:
            return
        if not self.server.alive():
            self.server.kill()
            self.server = Server(self.binary)
            self.server.start()

    def reset_between_tests(self):
        c = RawClient(*self.server.addr, timeout=10)
        try:
            r = c.call("FLUSHALL")
            if isinstance(r, Err):
                raise ServerFailure("FLUSHALL failed between tests: %s" % r)
            # Undo DEBUG SET-ACTIVE-EXPIRE 0 of an earlier test.  A server
            # that rejects the command cannot have had it switched off, so
            # an error here is not a failure.
            c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        finally:
            c.close()

    def stop(self):
        problems = []
        if self.current is not None:  # interrupted mid-test
            for s in self.current.owned:
                s.kill()
                s.cleanup_dir()
        if not self.external and self.server is not None:
            try:
                self.server.stop(check=True)
                self.server.cleanup_dir()
            except ServerFailure as e:
                problems.append(str(e) + "\n    (server dir kept: %s)" % self.server.dir)
        return problems
