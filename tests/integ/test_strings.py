"""String commands."""

import time

from harness import Err, eq, is_err, needs_streams, needs_version, ok

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"


def test_set_get_basic(t):
    c = t.conn(decode=False)
    eq(c.call_raw("SET", "k", "hello"), b"+OK\r\n")
    eq(c.call_raw("GET", "k"), b"$5\r\nhello\r\n")
    eq(c.call_raw("SET", "k", ""), b"+OK\r\n")
    eq(c.call_raw("GET", "k"), b"$0\r\n\r\n")
    eq(c.call_raw("GET", "nokey"), b"$-1\r\n")
    big = b"v" * 1000000
    eq(c.call("SET", "big", big), "OK")
    eq(c.call("GET", "big"), big)


def test_set_nx_xx(t):
    c = t.conn()
    eq(c.call("SET", "k", "1", "NX"), "OK")
    eq(c.call_raw("SET", "k", "2", "NX"), b"$-1\r\n")
    eq(c.call("GET", "k"), "1")
    eq(c.call("SET", "k", "3", "XX"), "OK")
    eq(c.call("GET", "k"), "3")
    eq(c.call_raw("SET", "nokey", "x", "XX"), b"$-1\r\n")
    eq(c.call("EXISTS", "nokey"), 0)
    eq(c.call("SET", "k", "4", "nx"), None, "options are case insensitive")


def test_set_expire_options(t):
    c = t.conn()
    eq(c.call("SET", "k", "v", "EX", "100"), "OK")
    eq(c.call("TTL", "k"), 100)
    eq(c.call("SET", "k", "v", "PX", "100000"), "OK")
    ok(99000 <= c.call("PTTL", "k") <= 100000, "PX")
    at = int(time.time()) + 500
    eq(c.call("SET", "k", "v", "EXAT", str(at)), "OK")
    eq(c.call("EXPIRETIME", "k"), at)
    pat = int(time.time() * 1000) + 600000
    eq(c.call("SET", "k", "v", "PXAT", str(pat)), "OK")
    eq(c.call("PEXPIRETIME", "k"), pat)
    eq(c.call("SET", "k", "v2", "KEEPTTL"), "OK")
    eq(c.call("PEXPIRETIME", "k"), pat)
    eq(c.call("GET", "k"), "v2")
    eq(c.call("SET", "k", "v3"), "OK")
    eq(c.call("TTL", "k"), -1, "plain SET clears the TTL")
    eq(c.call("SET", "k", "v", "XX", "EX", "50"), "OK")
    eq(c.call("TTL", "k"), 50)
    # a time in the past: the key is set and immediately gone
    eq(c.call("SET", "past", "v", "EXAT", "1"), "OK")
    eq(c.call("EXISTS", "past"), 0)
    eq(c.call("SET", "past", "v", "PXAT", "1"), "OK")
    eq(c.call("EXISTS", "past"), 0)


def test_set_short_ttl_expires(t):
    c = t.conn()
    eq(c.call("SET", "k", "v", "PX", "100"), "OK")
    eq(c.call("GET", "k"), "v")
    time.sleep(0.25)
    eq(c.call("GET", "k"), None)


def test_set_get_option(t):
    c = t.conn()
    eq(c.call_raw("SET", "k", "v1", "GET"), b"$-1\r\n")
    eq(c.call("SET", "k", "v2", "GET"), "v1")
    eq(c.call("GET", "k"), "v2")
    eq(c.call("SET", "k", "v3", "NX", "GET"), "v2", "NX GET returns the old value")
    eq(c.call("GET", "k"), "v2", "NX GET does not overwrite")
    eq(c.call("SET", "k", "v4", "XX", "GET"), "v2")
    eq(c.call("GET", "k"), "v4")
    eq(c.call("SET", "new", "n", "XX", "GET"), None)
    eq(c.call("EXISTS", "new"), 0)
    eq(c.call("SET", "new", "n", "NX", "GET"), None)
    eq(c.call("GET", "new"), "n")
    eq(c.call("SET", "k", "v5", "GET", "EX", "100"), "v4")
    eq(c.call("TTL", "k"), 100)


def test_set_errors(t):
    c = t.conn()
    c.call("SET", "k", "keep")
    is_err(c.call("SET", "k", "v", "NX", "XX"), "ERR syntax error")
    is_err(c.call("SET", "k", "v", "EX", "10", "PX", "10"), "ERR syntax error")
    is_err(c.call("SET", "k", "v", "EX", "10", "KEEPTTL"), "ERR syntax error")
    is_err(c.call("SET", "k", "v", "KEEPTTL", "PXAT", "10"), "ERR syntax error")
    is_err(c.call("SET", "k", "v", "EX"), "ERR syntax error")
    is_err(c.call("SET", "k", "v", "FOO"), "ERR syntax error")
    is_err(c.call("SET", "k", "v", "EX", "abc"), NOT_INT)
    is_err(c.call("SET", "k", "v", "EX", "1.5"), NOT_INT)
    for opt, val in (("EX", "0"), ("EX", "-1"), ("PX", "0"), ("EXAT", "0"), ("PXAT", "-1"),
                     ("EX", "9223372036854775807"), ("PX", "9223372036854775807"),
                     ("EX", "9223372036854776")):
        is_err(c.call("SET", "k", "v", opt, val), "ERR invalid expire time in 'set' command",
               "SET %s %s" % (opt, val))
    is_err(c.call("SET", "k"), "ERR wrong number of arguments for 'set' command")
    eq(c.call("GET", "k"), "keep", "failed SETs change nothing")
    eq(c.call("TTL", "k"), -1)


@needs_version(8, 4, "SET IFEQ/IFNE")
def test_set_ifeq_ifne(t):
    c = t.conn()
    c.call("SET", "k", "old")
    eq(c.call("SET", "k", "new", "IFEQ", "other"), None)
    eq(c.call("GET", "k"), "old")
    eq(c.call("SET", "k", "new", "IFEQ", "old"), "OK")
    eq(c.call("GET", "k"), "new")
    eq(c.call("SET", "missing", "x", "IFEQ", "x"), None)
    eq(c.call("EXISTS", "missing"), 0, "IFEQ never creates a key")
    eq(c.call("SET", "k", "newer", "IFNE", "new"), None)
    eq(c.call("GET", "k"), "new")
    eq(c.call("SET", "k", "newer", "IFNE", "zzz"), "OK")
    eq(c.call("GET", "k"), "newer")
    eq(c.call("SET", "missing", "x", "IFNE", "x"), "OK", "IFNE creates a missing key")
    eq(c.call("GET", "missing"), "x")
    eq(c.call("SET", "k", "v", "IFEQ", "newer", "EX", "100"), "OK")
    eq(c.call("TTL", "k"), 100)
    is_err(c.call("SET", "k", "v", "NX", "IFEQ", "v"), "ERR syntax error")
    is_err(c.call("SET", "k", "v", "IFEQ", "a", "IFNE", "b"), "ERR syntax error")


def test_get_getdel_getex(t):
    c = t.conn()
    c.call("SET", "k", "v")
    eq(c.call("GETDEL", "k"), "v")
    eq(c.call("EXISTS", "k"), 0)
    eq(c.call_raw("GETDEL", "k"), b"$-1\r\n")
    c.call("SET", "k", "v")
    eq(c.call("GETEX", "k"), "v")
    eq(c.call("TTL", "k"), -1, "GETEX without options leaves the TTL")
    eq(c.call("GETEX", "k", "EX", "100"), "v")
    eq(c.call("TTL", "k"), 100)
    eq(c.call("GETEX", "k", "PX", "50000"), "v")
    ok(49000 <= c.call("PTTL", "k") <= 50000, "GETEX PX")
    at = int(time.time()) + 300
    eq(c.call("GETEX", "k", "EXAT", str(at)), "v")
    eq(c.call("EXPIRETIME", "k"), at)
    pat = int(time.time() * 1000) + 400000
    eq(c.call("GETEX", "k", "PXAT", str(pat)), "v")
    eq(c.call("PEXPIRETIME", "k"), pat)
    eq(c.call("GETEX", "k", "PERSIST"), "v")
    eq(c.call("TTL", "k"), -1)
    eq(c.call("GETEX", "nokey", "EX", "10"), None)
    eq(c.call("EXISTS", "nokey"), 0)
    eq(c.call("GETEX", "k", "EXAT", "1"), "v", "GETEX with a past time returns the value")
    eq(c.call("EXISTS", "k"), 0, "... and deletes the key")
    c.call("SET", "k", "v")
    is_err(c.call("GETEX", "k", "EX", "0"), "ERR invalid expire time in 'getex' command")
    is_err(c.call("GETEX", "k", "EX", "9223372036854775807"), "ERR invalid expire time in 'getex' command")
    is_err(c.call("GETEX", "k", "EX", "abc"), NOT_INT)
    is_err(c.call("GETEX", "k", "FOO"), "ERR syntax error")
    is_err(c.call("GETEX", "k", "PERSIST", "EX", "10"), "ERR syntax error")
    is_err(c.call("GETEX", "k", "EX", "10", "PX", "10"), "ERR syntax error")
    eq(c.call("TTL", "k"), -1)


def test_setnx_setex_psetex(t):
    c = t.conn()
    eq(c.call("SETNX", "k", "1"), 1)
    eq(c.call("SETNX", "k", "2"), 0)
    eq(c.call("GET", "k"), "1")
    eq(c.call("SETEX", "k", "100", "v"), "OK")
    eq(c.call("GET", "k"), "v")
    eq(c.call("TTL", "k"), 100)
    eq(c.call("PSETEX", "k", "100000", "w"), "OK")
    eq(c.call("GET", "k"), "w")
    ok(99000 <= c.call("PTTL", "k") <= 100000, "PSETEX")
    is_err(c.call("SETEX", "k", "0", "v"), "ERR invalid expire time in 'setex' command")
    is_err(c.call("SETEX", "k", "-1", "v"), "ERR invalid expire time in 'setex' command")
    is_err(c.call("SETEX", "k", "9223372036854775807", "v"), "ERR invalid expire time in 'setex' command")
    is_err(c.call("PSETEX", "k", "0", "v"), "ERR invalid expire time in 'psetex' command")
    is_err(c.call("SETEX", "k", "abc", "v"), NOT_INT)
    is_err(c.call("SETEX", "k", "10"), "ERR wrong number of arguments for 'setex' command")
    eq(c.call("GET", "k"), "w")


def test_mset_msetnx_mget(t):
    c = t.conn()
    eq(c.call("MSET", "a", "1", "b", "2", "c", "3"), "OK")
    eq(c.call("MGET", "a", "b", "c", "nokey"), ["1", "2", "3", None])
    eq(c.call("MSET", "a", "x", "a", "y"), "OK")
    eq(c.call("GET", "a"), "y", "the last of repeated keys wins")
    c.call("SET", "t", "v", "EX", "100")
    c.call("MSET", "t", "w")
    eq(c.call("TTL", "t"), -1, "MSET clears TTLs")
    eq(c.call("MSETNX", "a", "1", "new", "2"), 0)
    eq(c.call("EXISTS", "new"), 0, "MSETNX is all or nothing")
    eq(c.call("MSETNX", "n1", "1", "n2", "2"), 1)
    eq(c.call("MGET", "n1", "n2"), ["1", "2"])
    is_err(c.call("MSET", "a"), "ERR wrong number of arguments for 'mset' command")
    is_err(c.call("MSET", "a", "1", "b"), "ERR wrong number of arguments for 'mset' command")
    is_err(c.call("MSETNX", "a", "1", "b"), "ERR wrong number of arguments for 'msetnx' command")
    is_err(c.call("MGET"), "ERR wrong number of arguments for 'mget' command")


def test_incr_decr(t):
    c = t.conn(decode=False)
    eq(c.call_raw("INCR", "n"), b":1\r\n")
    eq(c.call_raw("INCRBY", "n", "10"), b":11\r\n")
    eq(c.call_raw("DECR", "n"), b":10\r\n")
    eq(c.call_raw("DECRBY", "n", "15"), b":-5\r\n")
    eq(c.call_raw("INCRBY", "n", "-5"), b":-10\r\n")
    eq(c.call_raw("GET", "n"), b"$3\r\n-10\r\n")
    eq(c.call_raw("DECR", "fresh"), b":-1\r\n")
    c.call("SET", "n", "41")
    eq(c.call("INCR", "n"), 42)
    eq(c.call("OBJECT", "ENCODING", "n"), b"int")
    c.call("SET", "e", "5", "EX", "100")
    c.call("INCR", "e")
    eq(c.call("TTL", "e"), 100, "INCR keeps the TTL")


def test_incr_errors_and_overflow(t):
    c = t.conn()
    for v in ("abc", " 1", "1 ", "+1", "0x10", "1e3", "1.0", "", "9223372036854775808"):
        c.call("SET", "n", v)
        is_err(c.call("INCR", "n"), NOT_INT, "INCR on %r" % v)
        is_err(c.call("DECR", "n"), NOT_INT, "DECR on %r" % v)
        eq(c.call("GET", "n"), v, "value after failed INCR")
    c.call("SET", "n", "0")
    is_err(c.call("INCRBY", "n", "abc"), NOT_INT)
    is_err(c.call("INCRBY", "n", "1.5"), NOT_INT)
    is_err(c.call("INCRBY", "n", "9223372036854775808"), NOT_INT)
    is_err(c.call("DECRBY", "n", ""), NOT_INT)
    c.call("SET", "n", "9223372036854775807")
    is_err(c.call("INCR", "n"), "ERR increment or decrement would overflow")
    is_err(c.call("INCRBY", "n", "1"), "ERR increment or decrement would overflow")
    eq(c.call("GET", "n"), "9223372036854775807")
    eq(c.call("INCRBY", "n", "-9223372036854775807"), 0)
    c.call("SET", "n", "-9223372036854775808")
    is_err(c.call("DECR", "n"), "ERR increment or decrement would overflow")
    is_err(c.call("DECRBY", "n", "1"), "ERR increment or decrement would overflow")
    is_err(c.call("INCRBY", "n", "-1"), "ERR increment or decrement would overflow")
    c.call("SET", "n", "0")
    is_err(c.call("DECRBY", "n", "-9223372036854775808"), "ERR decrement would overflow")
    eq(c.call("DECRBY", "n", "9223372036854775807"), -9223372036854775807)
    eq(c.call("DECRBY", "n", "1"), -9223372036854775808)
    eq(c.call("INCRBY", "m", "-9223372036854775808"), -9223372036854775808)


def test_incrbyfloat(t):
    c = t.conn(decode=False)
    c.call("SET", "f", "10.50")
    eq(c.call_raw("INCRBYFLOAT", "f", "0.1"), b"$4\r\n10.6\r\n")
    eq(c.call("INCRBYFLOAT", "f", "-5"), b"5.6")
    c.call("SET", "f", "5.0e3")
    eq(c.call("INCRBYFLOAT", "f", "2.0e2"), b"5200")
    eq(c.call("GET", "f"), b"5200")
    eq(c.call("INCRBYFLOAT", "g", "3"), b"3")
    eq(c.call("INCRBYFLOAT", "g", "1.0"), b"4")
    eq(c.call("INCRBYFLOAT", "g", "0.0000001"), b"4.0000001")
    eq(c.call("INCRBYFLOAT", "h", "1e2"), b"100")
    eq(c.call("INCRBYFLOAT", "h", "-100"), b"0")
    eq(c.call("INCRBYFLOAT", "h", "5.5"), b"5.5")
    eq(c.call("INCRBYFLOAT", "h", "-5.5"), b"0")
    c.call("SET", "i", "7")
    eq(c.call("INCRBYFLOAT", "i", "0.5"), b"7.5")
    c.call("SET", "t", "1", "EX", "100")
    c.call("INCRBYFLOAT", "t", "1")
    eq(c.call("TTL", "t"), 100, "INCRBYFLOAT keeps the TTL")


def test_incrbyfloat_errors(t):
    c = t.conn()
    c.call("SET", "f", "1")
    is_err(c.call("INCRBYFLOAT", "f", "abc"), NOT_FLOAT)
    is_err(c.call("INCRBYFLOAT", "f", "nan"), NOT_FLOAT)
    is_err(c.call("INCRBYFLOAT", "f", " 1"), NOT_FLOAT)
    is_err(c.call("INCRBYFLOAT", "f", ""), NOT_FLOAT)
    is_err(c.call("INCRBYFLOAT", "f", "inf"), "ERR increment would produce NaN or Infinity")
    is_err(c.call("INCRBYFLOAT", "f", "-inf"), "ERR increment would produce NaN or Infinity")
    eq(c.call("GET", "f"), "1")
    for v in ("abc", " 1", "1 ", ""):
        c.call("SET", "s", v)
        is_err(c.call("INCRBYFLOAT", "s", "1"), NOT_FLOAT, "INCRBYFLOAT on %r" % v)
    is_err(c.call("INCRBYFLOAT", "f"), "ERR wrong number of arguments for 'incrbyfloat' command")


def test_append_strlen(t):
    c = t.conn()
    eq(c.call("APPEND", "ap", "hello"), 5)
    eq(c.call("APPEND", "ap", " world"), 11)
    eq(c.call("GET", "ap"), "hello world")
    eq(c.call("STRLEN", "ap"), 11)
    eq(c.call("STRLEN", "nokey"), 0)
    eq(c.call("APPEND", "ap", ""), 11)
    c.call("SET", "i", "123")
    eq(c.call("APPEND", "i", "45"), 5)
    eq(c.call("GET", "i"), "12345")
    eq(c.call("STRLEN", "i"), 5, "STRLEN of an integer-encoded value")
    c.call("SET", "n", "-9876")
    eq(c.call("STRLEN", "n"), 5)
    c.call("SET", "t", "x", "EX", "100")
    c.call("APPEND", "t", "y")
    eq(c.call("TTL", "t"), 100, "APPEND keeps the TTL")


def test_getrange(t):
    c = t.conn()
    c.call("SET", "s", "This is a string")
    eq(c.call("GETRANGE", "s", "0", "3"), "This")
    eq(c.call("GETRANGE", "s", "-3", "-1"), "ing")
    eq(c.call("GETRANGE", "s", "0", "-1"), "This is a string")
    eq(c.call("GETRANGE", "s", "10", "100"), "string")
    eq(c.call("GETRANGE", "s", "-1", "-5"), "")
    eq(c.call("GETRANGE", "s", "5", "3"), "")
    eq(c.call("GETRANGE", "s", "100", "200"), "")
    eq(c.call("GETRANGE", "s", "-100", "3"), "This")
    eq(c.call("GETRANGE", "nokey", "0", "-1"), "")
    c.call("SET", "i", "12345")
    eq(c.call("GETRANGE", "i", "1", "2"), "23")
    is_err(c.call("GETRANGE", "s", "a", "1"), NOT_INT)


def test_substr_alias(t):
    c = t.conn()
    c.call("SET", "s", "This is a string")
    eq(c.call("SUBSTR", "s", "0", "3"), "This")
    eq(c.call("SUBSTR", "s", "-3", "-1"), "ing")


@needs_version(8, 0, "GETRANGE with an out-of-range negative end returns an empty string")
def test_getrange_negative_end_out_of_range(t):
    c = t.conn()
    c.call("SET", "s", "hello world")
    eq(c.call("GETRANGE", "s", "0", "-100"), "")
    eq(c.call("GETRANGE", "s", "-200", "-100"), "")
    eq(c.call("GETRANGE", "s", "0", "-11"), "h", "end -11 is exactly the first byte")


def test_setrange(t):
    c = t.conn(decode=False)
    eq(c.call("SETRANGE", "sr", "5", "hi"), 7)
    eq(c.call("GET", "sr"), b"\x00" * 5 + b"hi")
    eq(c.call("SETRANGE", "sr", "0", "ab"), 7)
    eq(c.call("GET", "sr"), b"ab\x00\x00\x00hi")
    eq(c.call("SETRANGE", "sr", "6", "XYZ"), 9)
    eq(c.call("GET", "sr"), b"ab\x00\x00\x00hXYZ")
    eq(c.call("SETRANGE", "sr", "0", ""), 9, "empty value returns the length")
    eq(c.call("SETRANGE", "nokey", "10", ""), 0)
    eq(c.call("EXISTS", "nokey"), 0, "empty SETRANGE does not create a key")
    c.call("SET", "i", "12345")
    eq(c.call("SETRANGE", "i", "0", "9"), 5)
    eq(c.call("GET", "i"), b"92345")
    is_err(c.call("SETRANGE", "sr", "-1", "x"), "ERR offset is out of range")
    is_err(c.call("SETRANGE", "sr", "abc", "x"), NOT_INT)
    is_err(c.call("SETRANGE", "sr", "536870912", "x"),
           "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    is_err(c.call("SETRANGE", "nokey", "536870911", "xy"),
           "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    eq(c.call("EXISTS", "nokey"), 0)
    eq(c.call("GET", "sr"), b"ab\x00\x00\x00hXYZ")


def test_getset(t):
    c = t.conn()
    eq(c.call("GETSET", "g", "1"), None)
    eq(c.call("GETSET", "g", "2"), "1")
    eq(c.call("GET", "g"), "2")
    c.call("SET", "g", "x", "EX", "100")
    c.call("GETSET", "g", "y")
    eq(c.call("TTL", "g"), -1, "GETSET clears the TTL")


def _make_stream(c, key="st"):
    r = c.call("XADD", key, "*", "f", "v")
    ok(isinstance(r, str) and not isinstance(r, Err) and "-" in r,
       "XADD %s should return an id, got %r" % (key, r))


@needs_streams
def test_wrongtype_on_stream_key(t):
    c = t.conn()
    _make_stream(c)
    for cmd in (("GET", "st"), ("GETDEL", "st"), ("GETEX", "st", "EX", "10"),
                ("INCR", "st"), ("DECR", "st"), ("INCRBY", "st", "2"), ("DECRBY", "st", "2"),
                ("INCRBYFLOAT", "st", "1.5"), ("APPEND", "st", "x"), ("STRLEN", "st"),
                ("GETRANGE", "st", "0", "1"), ("SETRANGE", "st", "0", "x"),
                ("GETSET", "st", "x"), ("SET", "st", "x", "GET")):
        is_err(c.call(*cmd), WRONGTYPE, " ".join(cmd))
    eq(c.call("TYPE", "st"), "stream", "failed commands leave the stream alone")
    eq(c.call("MGET", "st", "nokey"), [None, None], "MGET returns nil for non-strings")
    eq(c.call("SETNX", "st", "x"), 0)
    eq(c.call("SET", "st", "x", "NX"), None)
    eq(c.call("MSETNX", "st", "x", "other", "y"), 0)
    eq(c.call("TYPE", "st"), "stream")


@needs_streams
def test_set_overwrites_other_types(t):
    c = t.conn()
    _make_stream(c, "s1")
    eq(c.call("SET", "s1", "now a string"), "OK")
    eq(c.call("TYPE", "s1"), "string")
    eq(c.call("GET", "s1"), "now a string")
    _make_stream(c, "s2")
    eq(c.call("MSET", "s2", "x"), "OK")
    eq(c.call("TYPE", "s2"), "string")
    _make_stream(c, "s3")
    c.call("EXPIRE", "s3", "100")
    eq(c.call("SET", "s3", "v", "XX"), "OK")
    eq(c.call("TTL", "s3"), -1)
