"""Process start-up and shutdown: options, config files, listeners, signals,
idle timeout.  Every test here starts its own server, so in --external mode
they are reported as not applicable."""

import os
import signal
import socket
import stat
import time

from harness import (NotApplicable, RawClient, eq, free_port, ipv6_loopback_available, is_err, ok,
                     timeout)


def test_unknown_option_fails_clearly(t):
    port = free_port()
    rc, out = t.run_binary(["--port", port, "--no-such-option", "x"])
    ok(rc != 0, "exit status should be non-zero, was %d; output:\n%s" % (rc, out))
    ok("no-such-option" in out, "the message should name the bad option; output:\n%s" % out)
    # nothing may be listening
    s = socket.socket()
    try:
        ok(s.connect_ex(("127.0.0.1", port)) != 0, "a server is listening after a failed start")
    finally:
        s.close()


def test_bad_option_value_fails(t):
    rc, out = t.run_binary(["--port", "notanumber"])
    ok(rc != 0, "exit status should be non-zero for --port notanumber; output:\n%s" % out)
    ok("port" in out, "the message should name the option; output:\n%s" % out)
    rc, out = t.run_binary(["--port", free_port(), "--maxmemory", "lots"])
    ok(rc != 0, "exit status should be non-zero for --maxmemory lots; output:\n%s" % out)
    ok("maxmemory" in out, "the message should name the option; output:\n%s" % out)


def test_missing_config_file_fails(t):
    rc, out = t.run_binary(["/nonexistent/weir-test.conf", "--port", free_port()])
    ok(rc != 0, "exit status should be non-zero; output:\n%s" % out)
    ok("weir-test.conf" in out, "the message should name the file; output:\n%s" % out)


def test_bad_directive_in_config_file_fails(t):
    conf = "port %d\n# comment\nbogus-directive 12\n" % free_port()
    rc, out = t.run_binary([], config_text=conf)
    ok(rc != 0, "exit status should be non-zero; output:\n%s" % out)
    ok("bogus-directive" in out, "the message should quote the bad line; output:\n%s" % out)


def test_config_file_parsing(t):
    d = t.spawn().dir  # a scratch server only to get a directory that is cleaned up
    inc = os.path.join(d, "included.conf")
    with open(inc, "w") as f:
        f.write("hz 20\n")
    conf = ("# full-line comment\n"
            "\n"
            "   \n"
            "databases 4\n"
            "maxmemory 10mb\n"
            "timeout 10\n"
            'requirepass "pass word"\n'
            "include %s\n"
            "Slowlog-Max-Len 77\n" % inc)
    s = t.spawn(config_text=conf, args=["--timeout", "20"])
    c = RawClient(s.host, s.port)
    t.defer(c.close)
    is_err(c.call("PING"), "NOAUTH Authentication required.")
    eq(c.call("AUTH", "pass word"), "OK", "quoted value with a space")

    def get(p):
        r = c.call("CONFIG", "GET", p)
        return r[1] if r else None

    eq(get("databases"), "4")
    eq(get("maxmemory"), "10485760")
    eq(get("timeout"), "20", "command line options override the file")
    eq(get("hz"), "20", "include directive")
    eq(get("slowlog-max-len"), "77", "directive names are case insensitive")
    eq(c.call("SELECT", "3"), "OK")
    is_err(c.call("SELECT", "4"), "ERR DB index is out of range")


def test_dir_and_databases_options(t):
    s = t.spawn(args=["--databases", "2"])
    c = t.conn(server=s)
    eq(c.call("CONFIG", "GET", "dir"), ["dir", os.path.realpath(s.dir)])
    eq(c.call("SELECT", "1"), "OK")
    is_err(c.call("SELECT", "2"), "ERR DB index is out of range")
    rc, out = t.run_binary(["--port", free_port(), "--dir", "/nonexistent/weir/dir"])
    ok(rc != 0, "a missing --dir must fail; output:\n%s" % out)
    ok("/nonexistent/weir/dir" in out, "the message should name the directory; output:\n%s" % out)


def test_debug_command_disabled(t):
    s = t.spawn(args=["--enable-debug-command", "no"])
    c = t.conn(server=s)
    is_err(c.call("DEBUG", "SLEEP", "0"), prefix="ERR DEBUG command not allowed.")
    eq(c.call("PING"), "PONG")


def test_unixsocket(t):
    probe = t.spawn()
    path = os.path.join(probe.dir, "weir.sock")
    probe.stop()
    s = t.spawn(args=["--unixsocket", path, "--unixsocketperm", "700"])
    ok(stat.S_ISSOCK(os.stat(path).st_mode), "%s is not a socket" % path)
    eq(stat.S_IMODE(os.stat(path).st_mode), 0o700, "unixsocketperm")
    u = RawClient(unix=path)
    t.defer(u.close)
    eq(u.call("PING"), "PONG")
    eq(u.call("SET", "via", "unix"), "OK")
    ok("U" in u.call("CLIENT", "INFO").split(" flags=")[1].split(" ")[0], "flag U on a unix socket client")
    eq(t.conn(server=s).call("GET", "via"), "unix", "TCP still works and sees the same data")
    eq(u.call("CONFIG", "GET", "unixsocket"), ["unixsocket", path])
    s.stop()
    ok(not os.path.exists(path), "the socket file is removed at shutdown")


def test_ipv6_bind(t):
    if not ipv6_loopback_available():
        raise NotApplicable("this machine has no IPv6 loopback (::1)")
    s = t.spawn(bind="::1")
    c = RawClient("::1", s.port)
    t.defer(c.close)
    eq(c.call("PING"), "PONG")
    eq(c.call("CONFIG", "GET", "bind"), ["bind", "::1"])
    s4 = socket.socket()
    try:
        ok(s4.connect_ex(("127.0.0.1", s.port)) != 0, "bound to ::1 only, but 127.0.0.1 accepts")
    finally:
        s4.close()
    both = t.spawn(bind="127.0.0.1 ::1")
    for host in ("127.0.0.1", "::1"):
        c = RawClient(host, both.port)
        eq(c.call("PING"), "PONG", "bind 127.0.0.1 ::1, connecting to %s" % host)
        c.close()


def test_port_in_use_fails(t):
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        rc, out = t.run_binary(["--port", port, "--bind", "127.0.0.1"])
    finally:
        holder.close()
    ok(rc != 0, "starting on a busy port must fail; output:\n%s" % out)
    ok("in use" in out.lower(), "the message should say the address is in use; output:\n%s" % out)


def test_sigterm_exits_cleanly(t):
    s = t.spawn()
    c = t.conn(server=s)
    for i in range(100):
        c.call("SET", "k%d" % i, "v")
    idle = t.conn(server=s)
    idle.call("PING")
    partial = t.conn(server=s)
    partial.send(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$10\r\nabc")
    eq(s.stop(), 0, "exit status after SIGTERM")
    idle.expect_closed()


def test_sigint_exits_cleanly(t):
    s = t.spawn()
    t.conn(server=s).call("SET", "a", "b")
    eq(s.stop(sig=signal.SIGINT), 0, "exit status after SIGINT")


@timeout(40)
def test_timeout_disconnects_idle_clients(t):
    s = t.spawn(args=["--timeout", "1"])
    idle = t.conn(server=s)
    eq(idle.call("PING"), "PONG")
    busy = t.conn(server=s)
    t0 = time.monotonic()
    idle.sock.settimeout(0.05)
    closed_at = None
    while time.monotonic() - t0 < 15:
        eq(busy.call("PING"), "PONG", "an active client must not be disconnected")
        if closed_at is None and not idle.is_open(wait=0.25):
            closed_at = time.monotonic() - t0
        if closed_at is not None and time.monotonic() - t0 > 2.5:
            break
    ok(closed_at is not None, "idle client still connected after 15s with timeout 1")
    ok(closed_at >= 0.9, "idle client dropped after %.2fs, before the 1s timeout" % closed_at)
    eq(busy.call("PING"), "PONG")
    eq(c_config(busy, "timeout"), "1")


def c_config(c, name):
    return c.call("CONFIG", "GET", name)[1]


def test_timeout_zero_keeps_idle_clients(t):
    s = t.spawn(args=["--timeout", "0"])
    idle = t.conn(server=s)
    idle.call("PING")
    time.sleep(2.2)
    eq(idle.call("PING"), "PONG")


def test_maxclients_follows_the_file_descriptor_limit(t):
    """When RLIMIT_NOFILE cannot be raised to maxclients + 32, the server
    lowers maxclients (as Redis does) instead of running out of descriptors
    later, and says so in its log."""
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = 1000000
    s = t.spawn(args=["--maxclients", str(want)])
    c = t.conn(server=s)
    expected = want if hard == resource.RLIM_INFINITY or hard >= want + 32 else hard - 32
    eq(c.call("CONFIG", "GET", "maxclients"), ["maxclients", str(expected)], "hard limit %r" % hard)
    if expected != want:
        ok("so maxclients is now" in s.log(), "the adjustment is logged")
    eq(c.call("PING"), "PONG", "serving")
