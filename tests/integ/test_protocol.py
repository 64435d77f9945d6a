"""Wire protocol: RESP2/RESP3, HELLO, inline commands, pipelining, protocol
errors, binary safety, QUIT and RESET."""

import re
import socket
import time

from harness import Map, eq, fail, is_err, ok, wait_for


def bulk(s):
    b = s.encode() if isinstance(s, str) else s
    return b"$%d\r\n%s\r\n" % (len(b), b)


def hello_fields(reply):
    """HELLO reply (RESP2 flat array or RESP3 map) -> ordered list of pairs."""
    if isinstance(reply, Map):
        return list(reply.items())
    ok(isinstance(reply, list) and len(reply) % 2 == 0, "HELLO reply is not a flat array: %r" % (reply,))
    return [(reply[i], reply[i + 1]) for i in range(0, len(reply), 2)]


def expected_hello_bytes(proto, server, version, cid):
    """The byte-exact HELLO reply for the given dynamic values."""
    head = b"%7\r\n" if proto == 3 else b"*14\r\n"
    return (head + bulk("server") + bulk(server) + bulk("version") + bulk(version)
            + bulk("proto") + b":%d\r\n" % proto + bulk("id") + b":%d\r\n" % cid
            + bulk("mode") + bulk("standalone") + bulk("role") + bulk("master")
            + bulk("modules") + b"*0\r\n")


def test_ping_and_echo_bytes(t):
    c = t.conn(decode=False)
    eq(c.call_raw("PING"), b"+PONG\r\n")
    eq(c.call_raw("PING", "hello"), b"$5\r\nhello\r\n")
    eq(c.call_raw("ECHO", ""), b"$0\r\n\r\n")
    c.send(b"PING\r\n")
    eq(c.read_raw(), b"+PONG\r\n", "inline PING")


def test_hello3_reply_is_exact_map(t):
    c = t.conn(decode=False)
    cid = c.call("CLIENT", "ID")
    ok(isinstance(cid, int) and cid > 0, "CLIENT ID should be a positive integer, got %r" % (cid,))
    raw = c.call_raw("HELLO", "3")
    ok(raw.startswith(b"%7\r\n"), "HELLO 3 must reply with a 7-entry map, got %r" % raw[:40])
    c2 = t.conn()
    fields = hello_fields(c2.call("HELLO", "3"))
    keys = [k for k, _ in fields]
    eq(keys, ["server", "version", "proto", "id", "mode", "role", "modules"], "HELLO field order")
    d = dict(fields)
    ok(re.fullmatch(r"\d+\.\d+\.\d+", d["version"] or ""), "version %r is not x.y.z" % d["version"])
    ok(d["server"], "server name is empty")
    eq(raw, expected_hello_bytes(3, d["server"], d["version"], cid), "HELLO 3 bytes")
    # after the switch every reply is RESP3: a missing key is the RESP3 null
    eq(c.call_raw("GET", "nosuchkey"), b"_\r\n")


def test_hello2_reply_is_flat_array(t):
    c = t.conn(decode=False)
    cid = c.call("CLIENT", "ID")
    raw = c.call_raw("HELLO", "2")
    ok(raw.startswith(b"*14\r\n"), "HELLO 2 must reply with a 14-element array, got %r" % raw[:40])
    d = dict(hello_fields(t.conn().call("HELLO", "2")))
    eq(raw, expected_hello_bytes(2, d["server"], d["version"], cid), "HELLO 2 bytes")
    eq(c.call_raw("GET", "nosuchkey"), b"$-1\r\n")


def test_hello_fields_agree_with_info_and_client_id(t):
    c = t.conn()
    d = dict(hello_fields(c.call("HELLO", "3")))
    eq(d["proto"], 3)
    eq(d["id"], c.call("CLIENT", "ID"), "HELLO id vs CLIENT ID")
    eq(d["mode"], "standalone")
    eq(d["role"], "master")
    eq(d["modules"], [])
    info = t.info("server")[None]
    eq(d["version"], info["redis_version"], "HELLO version vs INFO redis_version")


def test_hello_without_version_keeps_protocol(t):
    c = t.conn()
    d = dict(hello_fields(c.call("HELLO")))
    eq(d["proto"], 2, "fresh connection HELLO without args")
    c.call("HELLO", "3")
    r = c.call("HELLO")
    ok(isinstance(r, Map), "HELLO without args after HELLO 3 should be a map, got %r" % (r,))
    eq(r["proto"], 3)
    r = c.call("HELLO", "2")
    ok(isinstance(r, list), "HELLO 2 should be an array")
    eq(dict(hello_fields(c.call("HELLO")))["proto"], 2)


def test_hello_errors(t):
    c = t.conn()
    is_err(c.call("HELLO", "4"), "NOPROTO unsupported protocol version")
    is_err(c.call("HELLO", "1"), "NOPROTO unsupported protocol version")
    is_err(c.call("HELLO", "abc"), "ERR Protocol version is not an integer or out of range")
    is_err(c.call("HELLO", "3", "FOO"), "ERR Syntax error in HELLO option 'FOO'")
    is_err(c.call("HELLO", "3", "AUTH", "default"), "ERR Syntax error in HELLO option 'AUTH'")
    is_err(c.call("HELLO", "3", "SETNAME"), "ERR Syntax error in HELLO option 'SETNAME'")
    is_err(c.call("HELLO", "3", "SETNAME", "a b"),
           "ERR Client names cannot contain spaces, newlines or special characters.")
    # a failed HELLO leaves the protocol untouched
    eq(c.call_raw("GET", "nosuchkey"), b"$-1\r\n")


def test_hello_setname(t):
    c = t.conn()
    r = c.call("HELLO", "3", "SETNAME", "weir-proto")
    ok(isinstance(r, Map), "HELLO 3 SETNAME should reply with a map")
    eq(c.call("CLIENT", "GETNAME"), "weir-proto")
    c.call("HELLO", "2", "SETNAME", "second")
    eq(c.call("CLIENT", "GETNAME"), "second")
    ok("name=second" in c.call("CLIENT", "INFO"), "CLIENT INFO should show the name")


def test_hello_auth_and_noauth(t):
    admin = t.conn()
    eq(admin.call("CONFIG", "SET", "requirepass", "s3cret"), "OK")
    t.defer(lambda: admin.call("CONFIG", "SET", "requirepass", ""))
    c = t.conn()
    is_err(c.call("GET", "k"), "NOAUTH Authentication required.")
    is_err(c.call("HELLO", "3"),
           prefix="NOAUTH HELLO must be called with the client already authenticated")
    is_err(c.call("HELLO", "3", "AUTH", "default", "wrong"),
           "WRONGPASS invalid username-password pair or user is disabled.")
    is_err(c.call("PING"), "NOAUTH Authentication required.")
    r = c.call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "authed")
    ok(isinstance(r, Map) and r["proto"] == 3, "HELLO 3 AUTH should succeed with a map, got %r" % (r,))
    eq(c.call("CLIENT", "GETNAME"), "authed")
    eq(c.call("PING"), "PONG")
    # AUTH command forms
    c2 = t.conn()
    is_err(c2.call("AUTH", "nope"), "WRONGPASS invalid username-password pair or user is disabled.")
    is_err(c2.call("AUTH", "default", "nope"), "WRONGPASS invalid username-password pair or user is disabled.")
    eq(c2.call("AUTH", "s3cret"), "OK")
    eq(c2.call("PING"), "PONG")
    c3 = t.conn()
    eq(c3.call("AUTH", "default", "s3cret"), "OK")
    eq(admin.call("CONFIG", "SET", "requirepass", ""), "OK")


def test_auth_without_password_configured(t):
    c = t.conn()
    is_err(c.call("AUTH", "foo"),
           "ERR AUTH <password> called without any password configured for the default user. "
           "Are you sure your configuration is correct?")
    # the default user has nopass: any password is accepted with a username
    eq(c.call("AUTH", "default", "whatever"), "OK")
    r = c.call("HELLO", "3", "AUTH", "default", "whatever")
    ok(isinstance(r, Map), "HELLO 3 AUTH default <any> should succeed when no password is set")


def test_resp2_resp3_shapes(t):
    t.r.set("k", "v")
    c2 = t.conn(decode=False)
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    port = str(t.port).encode()
    # null bulk vs RESP3 null
    eq(c2.call_raw("GET", "missing"), b"$-1\r\n")
    eq(c3.call_raw("GET", "missing"), b"_\r\n")
    eq(c2.call_raw("MGET", "k", "missing"), b"*2\r\n$1\r\nv\r\n$-1\r\n")
    eq(c3.call_raw("MGET", "k", "missing"), b"*2\r\n$1\r\nv\r\n_\r\n")
    # CONFIG GET: flat array vs map
    eq(c2.call_raw("CONFIG", "GET", "port"), b"*2\r\n" + bulk("port") + bulk(port))
    eq(c3.call_raw("CONFIG", "GET", "port"), b"%1\r\n" + bulk("port") + bulk(port))
    eq(c3.call_raw("CONFIG", "GET", "no-such-parameter"), b"%0\r\n")
    eq(c2.call_raw("CONFIG", "GET", "no-such-parameter"), b"*0\r\n")
    # same in both
    for c in (c2, c3):
        eq(c.call_raw("SET", "k", "v"), b"+OK\r\n")
        eq(c.call_raw("INCR", "n"), b":%d\r\n" % (1 if c is c2 else 2))
        eq(c.call_raw("GET", "k"), b"$1\r\nv\r\n")
        eq(c.call_raw("EXISTS", "k"), b":1\r\n")
        eq(c.call_raw("INCRBYFLOAT", "f", "1.5"), b"$3\r\n1.5\r\n" if c is c2 else b"$1\r\n3\r\n")


def test_resp3_aborted_exec_is_null(t):
    c2 = t.conn(decode=False)
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    other = t.conn()
    for c, expect in ((c2, b"*-1\r\n"), (c3, b"_\r\n")):
        eq(c.call("WATCH", "w"), "OK")
        other.call("SET", "w", "changed")
        c.call("MULTI")
        eq(c.call_raw("GET", "w"), b"+QUEUED\r\n")
        eq(c.call_raw("EXEC"), expect)


def test_inline_commands(t):
    c = t.conn(decode=False)
    c.send(b'SET inl "hello world"\r\n')
    eq(c.read_raw(), b"+OK\r\n")
    eq(c.call("GET", "inl"), b"hello world")
    c.send(b"SET  inl2   'it\\'s'  \r\n")
    eq(c.read_raw(), b"+OK\r\n")
    eq(c.call("GET", "inl2"), b"it's")
    c.send(b'ECHO "a\\x41\\n\\t\\\\\\""\r\n')
    eq(c.read_raw(), b'$6\r\naA\n\t\\"\r\n', "double-quoted escapes")
    c.send(b'ECHO ""\r\n')
    eq(c.read_raw(), b"$0\r\n\r\n", "empty quoted argument")
    # blank lines are ignored, a bare LF terminates an inline command
    c.send(b"\r\n\r\n\nPING\nPING\r\nECHO x\n")
    eq(c.read_raw(), b"+PONG\r\n")
    eq(c.read_raw(), b"+PONG\r\n")
    eq(c.read_raw(), b"$1\r\nx\r\n")
    # lowercase and mixed case command names
    c.send(b"pInG\r\n")
    eq(c.read_raw(), b"+PONG\r\n")
    ok(c.is_open(), "connection should stay open")


def test_inline_unbalanced_quotes_closes(t):
    for payload in (b'SET a "b c\r\n', b'SET a "b c"d\r\n', b"SET a 'b\r\n"):
        c = t.conn(decode=False)
        c.send(b"PING\r\n" + payload)
        eq(c.read_raw(), b"+PONG\r\n")
        eq(c.read_raw(), b"-ERR Protocol error: unbalanced quotes in request\r\n", repr(payload))
        c.expect_closed()
    eq(t.r.exists("a"), 0)


def test_pipeline_10000_commands_in_one_write(t):
    c = t.conn(decode=False, timeout=30)
    n = 10000
    req = b"".join(b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n" for _ in range(n))
    c.send(req)
    for i in range(1, n + 1):
        r = c.read_raw()
        if r != b":%d\r\n" % i:
            fail("reply %d: expected :%d, got %r" % (i, i, r))
    eq(t.r.get("counter"), str(n))
    # and 10000 inline commands mixed with RESP ones
    req = b"".join((b"PING\r\n" if i % 2 else b"*1\r\n$4\r\nPING\r\n") for i in range(n))
    c.send(req)
    for i in range(n):
        r = c.read_raw()
        if r != b"+PONG\r\n":
            fail("inline reply %d: got %r" % (i, r))
    ok(c.is_open(), "connection closed after pipeline")


def test_pipeline_large_values(t):
    c = t.conn(decode=False, timeout=30)
    vals = [bytes([65 + i % 26]) * (100000 + i) for i in range(20)]
    req = b"".join(b"*3\r\n$3\r\nSET\r\n$4\r\nbig%d\r\n$%d\r\n%s\r\n" % (i % 10, len(v), v)
                   for i, v in enumerate(vals))
    req += b"".join(b"*2\r\n$3\r\nGET\r\n$4\r\nbig%d\r\n" % i for i in range(10))
    c.send(req)
    for _ in vals:
        eq(c.read_raw(), b"+OK\r\n")
    for i in range(10):
        eq(c.read(), vals[10 + i], "big%d" % i)


def test_command_split_into_single_bytes(t):
    c = t.conn(decode=False)
    val = b"byte\x00by\r\nbyte"
    req = b"*3\r\n$3\r\nSET\r\n$5\r\nslow!\r\n$%d\r\n%s\r\n" % (len(val), val)
    for i in range(len(req)):
        c.send(req[i:i + 1])
        time.sleep(0.001)
    eq(c.read_raw(), b"+OK\r\n")
    eq(t.rb.get(b"slow!"), val)
    for ch in b"PING\r\n":
        c.send(bytes([ch]))
    eq(c.read_raw(), b"+PONG\r\n")


PROTOCOL_ERRORS = [
    (b"*1\r\n+PING\r\n", "expected '$', got '+'"),
    (b"*2\r\n$4\r\nECHO\r\n:12\r\n", "expected '$', got ':'"),
    (b"*abc\r\n", "invalid multibulk length"),
    (b"*1x\r\n", "invalid multibulk length"),
    (b"*2147483648\r\n", "invalid multibulk length"),
    (b"*1\r\n$abc\r\n", "invalid bulk length"),
    (b"*1\r\n$-1\r\n", "invalid bulk length"),
    (b"*1\r\n$-5\r\n", "invalid bulk length"),
    (b"*1\r\n$536870913\r\n", "invalid bulk length"),
    (b"*1\r\n$99999999999999999999\r\n", "invalid bulk length"),
]


def test_malformed_resp_errors_then_close(t):
    for payload, msg in PROTOCOL_ERRORS:
        c = t.conn(decode=False)
        c.send(b"*1\r\n$4\r\nPING\r\n" + payload + b"*1\r\n$4\r\nPING\r\n")
        eq(c.read_raw(), b"+PONG\r\n", "command before %r" % payload)
        eq(c.read_raw(), b"-ERR Protocol error: " + msg.encode() + b"\r\n", repr(payload))
        c.expect_closed()
    eq(t.call("PING"), "PONG")


def test_empty_and_null_multibulk_are_ignored(t):
    c = t.conn(decode=False)
    c.send(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")
    eq(c.read_raw(), b"+PONG\r\n")
    ok(c.is_open(), "connection must stay open")


def test_too_big_inline_and_count_strings(t):
    c = t.conn(decode=False)
    c.send(b"a" * 70000)
    eq(c.read_raw(), b"-ERR Protocol error: too big inline request\r\n")
    c.expect_closed()
    c = t.conn(decode=False)
    c.send(b"*" + b"1" * 70000)
    eq(c.read_raw(), b"-ERR Protocol error: too big mbulk count string\r\n")
    c.expect_closed()
    c = t.conn(decode=False)
    c.send(b"*1\r\n$" + b"1" * 70000)
    eq(c.read_raw(), b"-ERR Protocol error: too big bulk count string\r\n")
    c.expect_closed()
    eq(t.call("PING"), "PONG")


def test_huge_declared_lengths_do_not_hurt_server(t):
    """Big but legal lengths: the server must wait for data without
    pre-allocating it all, and keep serving everyone else."""
    a = t.conn(decode=False)
    a.send(b"*1000000\r\n$3\r\nSET\r\n")
    b = t.conn(decode=False)
    b.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000000\r\n" + b"x" * 1000)
    c = t.conn()
    eq(c.call("PING"), "PONG")
    eq(c.call("SET", "other", "1"), "OK")
    ok(a.is_open() and b.is_open(), "partial requests must not be dropped")
    a.close()
    b.close()
    eq(c.call("EXISTS", "big"), 0)
    eq(c.call("PING"), "PONG")


def test_unknown_command_error_text(t):
    c = t.conn(decode=False)
    eq(c.call_raw("foo", "a", "b"),
       b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n")
    eq(c.call_raw("FOO"), b"-ERR unknown command 'FOO', with args beginning with: \r\n")
    c.send(b"foo a b\r\n")
    eq(c.read_raw(), b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", "inline")
    # argument text is capped at 128 characters in total
    x = "x" * 50
    eq(c.call_raw("FOO", x, x, x, x),
       b"-ERR unknown command 'FOO', with args beginning with: '" + b"x" * 50 + b"' '"
       + b"x" * 50 + b"' '" + b"x" * 22 + b"' \r\n")
    # newlines inside the echoed text become spaces: the reply stays one line
    eq(c.call_raw("foo", "a\r\nb"),
       b"-ERR unknown command 'foo', with args beginning with: 'a  b' \r\n")
    ok(c.is_open(), "unknown command must not close the connection")
    eq(c.call_raw("PING"), b"+PONG\r\n")


def test_wrong_arity_error_text(t):
    c = t.conn(decode=False)
    eq(c.call_raw("GET"), b"-ERR wrong number of arguments for 'get' command\r\n")
    eq(c.call_raw("get", "a", "b"), b"-ERR wrong number of arguments for 'get' command\r\n")
    eq(c.call_raw("SET", "k"), b"-ERR wrong number of arguments for 'set' command\r\n")
    eq(c.call_raw("PING", "a", "b"), b"-ERR wrong number of arguments for 'ping' command\r\n")
    eq(c.call_raw("ECHO"), b"-ERR wrong number of arguments for 'echo' command\r\n")
    eq(c.call_raw("CONFIG", "GET"), b"-ERR wrong number of arguments for 'config|get' command\r\n")
    eq(c.call_raw("PING"), b"+PONG\r\n")


def test_binary_keys_and_values(t):
    c = t.conn(decode=False)
    key = b"k\x00e\r\ny\xff"
    val = b"\x00\r\n\r\n$3\r\n*1\r\n\x00\xfe" + bytes(range(256))
    eq(c.call_raw("SET", key, val), b"+OK\r\n")
    eq(c.call_raw("GET", key), b"$%d\r\n%s\r\n" % (len(val), val))
    eq(c.call("STRLEN", key), len(val))
    eq(c.call("EXISTS", b"k\x00e"), 0, "key must not be truncated at NUL")
    eq(c.call("KEYS", "*"), [key])
    eq(c.call("APPEND", key, b"\x00"), len(val) + 1)
    eq(c.call("GETRANGE", key, 0, 2), b"\x00\r\n")
    eq(c.call("ECHO", b"\r\n"), b"\r\n")
    eq(c.call("DEL", key), 1)


def test_quit_replies_ok_and_closes(t):
    c = t.conn(decode=False)
    c.send(b"*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n")
    eq(c.read_raw(), b"+OK\r\n")
    c.expect_closed()
    eq(t.call("EXISTS", "after"), 0, "commands after QUIT must not run")
    c = t.conn(decode=False)
    c.send(b"QUIT\r\n")
    eq(c.read_raw(), b"+OK\r\n")
    c.expect_closed()


def test_reset(t):
    c = t.conn(decode=False)
    c.call("HELLO", "3")
    eq(c.call("SELECT", "1"), "OK")
    eq(c.call("SET", "indb1", "x"), "OK")
    eq(c.call("CLIENT", "SETNAME", "before-reset"), "OK")
    eq(c.call("WATCH", "w"), "OK")
    eq(c.call("MULTI"), "OK")
    eq(c.call_raw("RESET"), b"+RESET\r\n")
    # back to RESP2, db 0, no name, no transaction, no watch
    eq(c.call_raw("CLIENT", "GETNAME"), b"$-1\r\n")
    eq(c.call_raw("GET", "indb1"), b"$-1\r\n")
    eq(c.call_raw("EXEC"), b"-ERR EXEC without MULTI\r\n")
    t.call("SET", "w", "touched")
    c.call("MULTI")
    c.call("PING")
    eq(c.call_raw("EXEC"), b"*1\r\n+PONG\r\n", "WATCH must be cleared by RESET")
    info = c.call("CLIENT", "INFO")
    ok(b" db=0 " in info and b" resp=2" in info and b" name= " in info,
       "CLIENT INFO after RESET: %r" % info)


def test_errors_do_not_close_connection(t):
    c = t.conn()
    for _ in range(3):
        is_err(c.call("NOSUCHCMD"))
        is_err(c.call("GET"))
        is_err(c.call("INCR", "k", "extra"))
    eq(c.call("PING"), "PONG")


def test_many_connections(t):
    conns = [t.conn(timeout=10) for _ in range(200)]
    for i, c in enumerate(conns):
        c.send_cmd("SET", "conn:%d" % i, str(i))
    for c in conns:
        eq(c.read(), "OK")
    eq(t.call("DBSIZE"), 200)
    for c in conns:
        c.close()
    eq(t.call("PING"), "PONG")


def test_client_closing_mid_reply_is_harmless(t):
    t.rb.set(b"huge", b"z" * (8 * 1024 * 1024))
    for _ in range(5):
        s = socket.create_connection((t.host, t.port))
        s.sendall(b"*2\r\n$3\r\nGET\r\n$4\r\nhuge\r\n" * 4)
        s.recv(100)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    eq(t.call("PING"), "PONG")
    eq(t.call("STRLEN", "huge"), 8 * 1024 * 1024)


def _mb(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def test_pipeline_batches_stop_at_a_blocking_command(t):
    """Pipelined requests are parsed ahead in batches; a command that blocks
    in the middle must hold back the rest of the batch until it is served."""
    c = t.conn()
    c.send(_mb("SET", "a", "1") + _mb("XREAD", "BLOCK", "0", "STREAMS", "s", "$") +
           _mb("SET", "a", "2") + _mb("GET", "a"))
    eq(c.read(), "OK", "first SET")
    other = t.conn()
    wait_for(lambda: int(t.info("clients")[None]["blocked_clients"]) == 1, what="XREAD blocked")
    eq(other.call("GET", "a"), "1", "the SET after the blocked XREAD has not run")
    eid = other.call("XADD", "s", "*", "f", "v")
    reply = c.read()
    eq(reply[0][0], "s", "XREAD served")
    eq(reply[0][1][0][0], eid, "with the new entry")
    eq(c.read(), "OK", "second SET after the XREAD")
    eq(c.read(), "2", "GET sees it")


def test_pipeline_batches_stop_at_quit_and_keep_multi(t):
    c = t.conn()
    c.send(_mb("MULTI") + _mb("SET", "k", "v") + _mb("GET", "k") + _mb("EXEC") +
           _mb("PING") + _mb("QUIT") + _mb("SET", "after-quit", "x"))
    eq([c.read() for _ in range(4)], ["OK", "QUEUED", "QUEUED", ["OK", "v"]], "MULTI in a batch")
    eq(c.read(), "PONG", "PING")
    eq(c.read(), "OK", "QUIT")
    c.expect_closed()
    eq(t.conn().call("EXISTS", "after-quit"), 0, "nothing after QUIT ran")


def test_pipeline_of_many_keys_in_other_databases(t):
    """Batches prefetch keys of the current db; SELECT in the middle of a
    batch must still read the right database."""
    c = t.conn()
    reqs = b""
    for i in range(40):
        reqs += _mb("SELECT", i % 3) + _mb("SET", "k%d" % i, "db%d" % (i % 3))
    reqs += _mb("SELECT", 0)
    c.send(reqs)
    for _ in range(81):
        eq(c.read(), "OK", "pipelined SELECT/SET")
    for i in range(40):
        c.call("SELECT", i % 3)
        eq(c.call("GET", "k%d" % i), "db%d" % (i % 3), "k%d" % i)
