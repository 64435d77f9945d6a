"""Generic keyspace commands, databases and expiry."""

import time

from harness import Err, eq, fail, is_err, needs_streams, ok, parse_kv_list, wait_for


def scan_all(c, *args, count=None):
    """Full SCAN iteration; returns (list of keys, number of calls)."""
    cursor = "0"
    keys = []
    calls = 0
    while True:
        extra = list(args)
        if count is not None:
            extra += ["COUNT", count]
        r = c.call("SCAN", cursor, *extra)
        calls += 1
        ok(isinstance(r, list) and len(r) == 2, "SCAN reply shape: %r" % (r,))
        ok(isinstance(r[0], str), "SCAN cursor must be a bulk string, got %r" % (r[0],))
        ok(isinstance(r[1], list), "SCAN keys must be an array")
        keys += r[1]
        cursor = r[0]
        if cursor == "0":
            return keys, calls
        if calls > 100000:
            fail("SCAN did not terminate")


def keyspace_line(t, db=0):
    ks = t.info("keyspace")[None]
    line = ks.get("db%d" % db)
    return parse_kv_list(line) if line else None


def test_del_unlink_exists(t):
    c = t.conn()
    c.call("MSET", "a", "1", "b", "2", "c", "3", "d", "4")
    eq(c.call("EXISTS", "a"), 1)
    eq(c.call("EXISTS", "a", "a", "b", "nope"), 3, "EXISTS counts repeats")
    eq(c.call("DEL", "a", "b", "nope"), 2)
    eq(c.call("DEL", "a"), 0)
    eq(c.call("UNLINK", "c", "d", "d"), 2)
    eq(c.call("EXISTS", "a", "b", "c", "d"), 0)
    eq(c.call("DBSIZE"), 0)
    is_err(c.call("DEL"), "ERR wrong number of arguments for 'del' command")
    is_err(c.call("EXISTS"), "ERR wrong number of arguments for 'exists' command")


def test_type_of_strings_and_missing(t):
    c = t.conn()
    c.call("SET", "s", "x")
    c.call("SET", "n", "12")
    eq(c.call_raw("TYPE", "s"), b"+string\r\n")
    eq(c.call_raw("TYPE", "n"), b"+string\r\n")
    eq(c.call_raw("TYPE", "missing"), b"+none\r\n")


@needs_streams
def test_type_of_stream(t):
    c = t.conn()
    r = c.call("XADD", "st", "*", "f", "v")
    ok(isinstance(r, str) and not isinstance(r, Err), "XADD should return an id, got %r" % (r,))
    eq(c.call_raw("TYPE", "st"), b"+stream\r\n")
    keys, _ = scan_all(c, "TYPE", "stream")
    eq(keys, ["st"])
    keys, _ = scan_all(c, "TYPE", "string")
    eq(keys, [])


def test_keys_glob_patterns(t):
    c = t.conn()
    names = ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "axb", "a?b", "x[y]"]
    for n in names:
        c.call("SET", n, "1")

    def keys(p):
        return sorted(c.call("KEYS", p))

    eq(keys("*"), sorted(names))
    eq(keys("h?llo"), ["hallo", "hello", "hxllo"])
    eq(keys("h*llo"), ["hallo", "heeeello", "hello", "hllo", "hxllo"])
    eq(keys("h[ae]llo"), ["hallo", "hello"])
    eq(keys("h[^e]llo"), ["hallo", "hxllo"])
    eq(keys("h[a-b]llo"), ["hallo"])
    eq(keys("a\\*b"), ["a*b"])
    eq(keys("a\\?b"), ["a?b"])
    eq(keys("a?b"), ["a*b", "a?b", "axb"])
    eq(keys("x\\[y\\]"), ["x[y]"])
    eq(keys("nomatch*"), [])
    eq(keys("HELLO"), [], "KEYS is case sensitive")


def test_scan_full_iteration(t):
    c = t.conn()
    n = 1000
    for i in range(0, n, 100):
        args = []
        for j in range(i, i + 100):
            args += ["key:%d" % j, str(j)]
        c.call("MSET", *args)
    keys, calls = scan_all(c, count=10)
    eq(set(keys), {"key:%d" % i for i in range(n)}, "every key must be returned")
    ok(calls > 5, "COUNT 10 over 1000 keys should need several calls, took %d" % calls)
    keys, _ = scan_all(c)
    eq(set(keys), {"key:%d" % i for i in range(n)}, "default COUNT")
    keys, calls = scan_all(c, count=100000)
    eq(set(keys), {"key:%d" % i for i in range(n)}, "huge COUNT")


def test_scan_match_and_type(t):
    c = t.conn()
    for i in range(100):
        c.call("SET", "user:%d" % i, "u")
    for i in range(50):
        c.call("SET", "other:%d" % i, "o")
    keys, _ = scan_all(c, "MATCH", "user:*", count=7)
    eq(sorted(set(keys)), sorted("user:%d" % i for i in range(100)))
    keys, _ = scan_all(c, "MATCH", "user:1?", count=20)
    eq(sorted(set(keys)), sorted("user:%d" % i for i in range(10, 20)))
    keys, _ = scan_all(c, "TYPE", "string", count=30)
    eq(len(set(keys)), 150)
    keys, _ = scan_all(c, "MATCH", "other:*", "TYPE", "string")
    eq(len(set(keys)), 50)
    keys, _ = scan_all(c, "TYPE", "list")
    eq(keys, [], "no list keys exist")
    keys, _ = scan_all(c, "TYPE", "STRING")
    eq(len(set(keys)), 150, "TYPE is case insensitive")


def test_scan_errors(t):
    c = t.conn()
    c.call("SET", "a", "1")
    is_err(c.call("SCAN", "abc"), "ERR invalid cursor")
    is_err(c.call("SCAN", "18446744073709551616"), "ERR invalid cursor")
    is_err(c.call("SCAN", "0", "COUNT", "0"), "ERR syntax error")
    is_err(c.call("SCAN", "0", "COUNT", "abc"), "ERR value is not an integer or out of range")
    is_err(c.call("SCAN", "0", "FOO"), "ERR syntax error")
    is_err(c.call("SCAN", "0", "MATCH"), "ERR syntax error")
    is_err(c.call("SCAN"), "ERR wrong number of arguments for 'scan' command")


def test_randomkey(t):
    c = t.conn()
    eq(c.call_raw("RANDOMKEY"), b"$-1\r\n")
    c.call("MSET", "r1", "1", "r2", "2", "r3", "3")
    seen = set()
    for _ in range(300):
        seen.add(c.call("RANDOMKEY"))
    eq(seen, {"r1", "r2", "r3"}, "RANDOMKEY over 300 calls")
    c.call("SELECT", "2")
    eq(c.call("RANDOMKEY"), None, "RANDOMKEY looks at the selected db only")


def test_rename_and_renamenx(t):
    c = t.conn()
    c.call("SET", "src", "v")
    eq(c.call("RENAME", "src", "dst"), "OK")
    eq(c.call("EXISTS", "src"), 0)
    eq(c.call("GET", "dst"), "v")
    c.call("SET", "other", "o")
    eq(c.call("RENAME", "dst", "other"), "OK", "RENAME overwrites")
    eq(c.call("GET", "other"), "v")
    is_err(c.call("RENAME", "nokey", "x"), "ERR no such key")
    eq(c.call("RENAME", "other", "other"), "OK", "RENAME to itself")
    eq(c.call("GET", "other"), "v")
    # the TTL moves with the value; the destination's TTL is replaced
    c.call("SET", "ttl", "t", "EX", "1000")
    c.call("SET", "plain", "p", "EX", "5000")
    c.call("RENAME", "ttl", "plain")
    ttl = c.call("TTL", "plain")
    ok(990 <= ttl <= 1000, "TTL after RENAME is %r" % ttl)
    c.call("SET", "nottl", "x")
    c.call("SET", "hasttl", "y", "EX", "100")
    c.call("RENAME", "nottl", "hasttl")
    eq(c.call("TTL", "hasttl"), -1, "RENAME of a persistent key clears the destination TTL")
    # RENAMENX
    c.call("SET", "a", "1")
    c.call("SET", "b", "2")
    eq(c.call("RENAMENX", "a", "b"), 0)
    eq(c.call("GET", "a"), "1")
    eq(c.call("RENAMENX", "a", "c"), 1)
    eq(c.call("MGET", "a", "c"), [None, "1"])
    eq(c.call("RENAMENX", "c", "c"), 0)
    is_err(c.call("RENAMENX", "nokey", "x"), "ERR no such key")


def test_copy(t):
    c = t.conn()
    c.call("SET", "src", "value", "EX", "500")
    eq(c.call("COPY", "src", "dst"), 1)
    eq(c.call("GET", "dst"), "value")
    ttl = c.call("TTL", "dst")
    ok(490 <= ttl <= 500, "COPY keeps the TTL, got %r" % ttl)
    c.call("SET", "src", "changed")
    eq(c.call("GET", "dst"), "value", "the copy is independent")
    eq(c.call("COPY", "src", "dst"), 0, "existing destination without REPLACE")
    eq(c.call("GET", "dst"), "value")
    eq(c.call("COPY", "src", "dst", "REPLACE"), 1)
    eq(c.call("GET", "dst"), "changed")
    eq(c.call("TTL", "dst"), -1, "REPLACE takes the source TTL (none)")
    eq(c.call("COPY", "nokey", "x"), 0)
    eq(c.call("COPY", "src", "indb3", "DB", "3"), 1)
    eq(c.call("EXISTS", "indb3"), 0)
    c.call("SELECT", "3")
    eq(c.call("GET", "indb3"), "changed")
    c.call("SELECT", "0")
    is_err(c.call("COPY", "src", "src"), "ERR source and destination objects are the same")
    is_err(c.call("COPY", "src", "x", "DB", "16"), "ERR DB index is out of range")
    is_err(c.call("COPY", "src", "x", "DB", "abc"), "ERR value is not an integer or out of range")
    is_err(c.call("COPY", "src", "x", "FOO"), "ERR syntax error")
    eq(c.call("COPY", "src", "src", "DB", "1"), 1, "same name in another db is fine")


def test_move(t):
    c = t.conn()
    c.call("SET", "m", "v", "EX", "100")
    eq(c.call("MOVE", "m", "1"), 1)
    eq(c.call("EXISTS", "m"), 0)
    c.call("SELECT", "1")
    eq(c.call("GET", "m"), "v")
    ok(c.call("TTL", "m") > 90, "MOVE keeps the TTL")
    c.call("SELECT", "0")
    c.call("SET", "m", "zero")
    eq(c.call("MOVE", "m", "1"), 0, "target exists")
    eq(c.call("GET", "m"), "zero")
    eq(c.call("MOVE", "nokey", "1"), 0)
    is_err(c.call("MOVE", "m", "0"), "ERR source and destination objects are the same")
    is_err(c.call("MOVE", "m", "16"), "ERR DB index is out of range")
    is_err(c.call("MOVE", "m", "-1"), "ERR DB index is out of range")
    is_err(c.call("MOVE", "m", "abc"), "ERR value is not an integer or out of range")


def test_select_and_swapdb(t):
    c = t.conn()
    other = t.conn()
    c.call("SET", "k", "db0")
    eq(c.call("SELECT", "1"), "OK")
    eq(c.call("GET", "k"), None)
    c.call("SET", "k", "db1")
    c.call("SET", "only1", "x")
    eq(c.call("DBSIZE"), 2)
    c.call("SELECT", "0")
    eq(c.call("DBSIZE"), 1)
    eq(c.call("SELECT", "15"), "OK")
    is_err(c.call("SELECT", "16"), "ERR DB index is out of range")
    is_err(c.call("SELECT", "-1"), "ERR DB index is out of range")
    is_err(c.call("SELECT", "abc"), "ERR value is not an integer or out of range")
    c.call("SELECT", "0")
    eq(c.call("SWAPDB", "0", "1"), "OK")
    eq(c.call("GET", "k"), "db1", "current connection sees the swapped data")
    eq(other.call("GET", "only1"), "x", "other connections on db 0 see it too")
    c.call("SELECT", "1")
    eq(c.call("GET", "k"), "db0")
    eq(c.call("SWAPDB", "1", "1"), "OK")
    is_err(c.call("SWAPDB", "0", "16"), "ERR DB index is out of range")
    is_err(c.call("SWAPDB", "a", "1"), "ERR invalid first DB index")
    is_err(c.call("SWAPDB", "1", "b"), "ERR invalid second DB index")


def test_dbsize_flushdb_flushall(t):
    c = t.conn()
    eq(c.call("DBSIZE"), 0)
    c.call("MSET", "a", "1", "b", "2")
    c.call("SELECT", "4")
    c.call("SET", "c", "3")
    eq(c.call("DBSIZE"), 1)
    eq(c.call("FLUSHDB"), "OK")
    eq(c.call("DBSIZE"), 0)
    c.call("SELECT", "0")
    eq(c.call("DBSIZE"), 2, "FLUSHDB must only clear the selected db")
    c.call("SELECT", "4")
    c.call("SET", "c", "3")
    eq(c.call("FLUSHALL"), "OK")
    eq(c.call("DBSIZE"), 0)
    c.call("SELECT", "0")
    eq(c.call("DBSIZE"), 0)
    c.call("SET", "x", "1")
    eq(c.call("FLUSHDB", "ASYNC"), "OK")
    eq(c.call("DBSIZE"), 0)
    c.call("SET", "x", "1")
    eq(c.call("FLUSHALL", "SYNC"), "OK")
    eq(c.call("DBSIZE"), 0)
    is_err(c.call("FLUSHDB", "FOO"), "ERR syntax error")
    is_err(c.call("FLUSHALL", "FOO"), "ERR syntax error")
    is_err(c.call("DBSIZE", "x"), "ERR wrong number of arguments for 'dbsize' command")


def test_object_encoding_of_strings(t):
    c = t.conn()
    c.call("SET", "i", "12345")
    eq(c.call("OBJECT", "ENCODING", "i"), "int")
    c.call("SET", "neg", "-42")
    eq(c.call("OBJECT", "ENCODING", "neg"), "int")
    c.call("SET", "e", "abc")
    eq(c.call("OBJECT", "ENCODING", "e"), "embstr")
    c.call("SET", "lead0", "007")
    eq(c.call("OBJECT", "ENCODING", "lead0"), "embstr", "'007' is not an integer encoding")
    c.call("SET", "big", "12345678901234567890")
    eq(c.call("OBJECT", "ENCODING", "big"), "embstr", "beyond 64-bit is not int")
    c.call("SET", "r", "x" * 100)
    eq(c.call("OBJECT", "ENCODING", "r"), "raw")
    c.call("APPEND", "ap", "abc")
    c.call("APPEND", "ap", "def")
    eq(c.call("OBJECT", "ENCODING", "ap"), "raw", "APPEND result is raw")
    eq(c.call("OBJECT", "ENCODING", "missing"), None)
    is_err(c.call("OBJECT", "FOO", "i"), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    ok(isinstance(c.call("OBJECT", "HELP"), list), "OBJECT HELP is an array")


def test_touch(t):
    c = t.conn()
    c.call("MSET", "a", "1", "b", "2")
    eq(c.call("TOUCH", "a", "b", "nope"), 2)
    eq(c.call("TOUCH", "nope"), 0)
    is_err(c.call("TOUCH"), "ERR wrong number of arguments for 'touch' command")


def test_expire_family(t):
    c = t.conn()
    c.call("SET", "k", "v")
    eq(c.call("EXPIRE", "k", "100"), 1)
    ok(95 <= c.call("TTL", "k") <= 100, "TTL after EXPIRE 100")
    ok(95000 <= c.call("PTTL", "k") <= 100000, "PTTL after EXPIRE 100")
    eq(c.call("PEXPIRE", "k", "50000"), 1)
    ok(45 <= c.call("TTL", "k") <= 50, "TTL after PEXPIRE 50000")
    at = int(time.time()) + 1000
    eq(c.call("EXPIREAT", "k", str(at)), 1)
    eq(c.call("EXPIRETIME", "k"), at)
    eq(c.call("PEXPIRETIME", "k"), at * 1000)
    pat = int(time.time() * 1000) + 2000123
    eq(c.call("PEXPIREAT", "k", str(pat)), 1)
    eq(c.call("PEXPIRETIME", "k"), pat)
    eq(c.call("EXPIRETIME", "k"), (pat + 500) // 1000, "EXPIRETIME rounds to the nearest second")
    # TTL rounds to the nearest second too
    c.call("PEXPIRE", "k", "1800")
    eq(c.call("TTL", "k"), 2, "1.8s left rounds up")
    c.call("PEXPIRE", "k", "1200")
    eq(c.call("TTL", "k"), 1, "1.2s left rounds down")
    # missing keys
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        eq(c.call(cmd, "missing", "100"), 0, cmd + " on a missing key")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        eq(c.call(cmd, "missing"), -2, cmd + " on a missing key")
    c.call("SET", "p", "v")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        eq(c.call(cmd, "p"), -1, cmd + " on a persistent key")


def test_expire_in_the_past_deletes(t):
    c = t.conn()
    for cmd, arg in (("EXPIRE", "0"), ("EXPIRE", "-5"), ("PEXPIRE", "-1"),
                     ("EXPIREAT", "1"), ("PEXPIREAT", "0")):
        c.call("SET", "k", "v")
        eq(c.call(cmd, "k", arg), 1, "%s k %s" % (cmd, arg))
        eq(c.call("EXISTS", "k"), 0, "%s k %s must delete the key" % (cmd, arg))


def test_expire_nx_xx_gt_lt(t):
    c = t.conn()
    c.call("SET", "v", "1")
    eq(c.call("EXPIRE", "v", "100", "XX"), 0, "XX on a persistent key")
    eq(c.call("EXPIRE", "v", "100", "GT"), 0, "GT on a persistent key (infinite TTL)")
    eq(c.call("TTL", "v"), -1)
    eq(c.call("EXPIRE", "v", "100", "LT"), 1, "LT on a persistent key")
    eq(c.call("TTL", "v"), 100)
    eq(c.call("EXPIRE", "v", "50", "GT"), 0)
    eq(c.call("EXPIRE", "v", "200", "GT"), 1)
    ok(c.call("TTL", "v") > 150, "GT raised the TTL")
    eq(c.call("EXPIRE", "v", "300", "NX"), 0, "NX with a TTL set")
    eq(c.call("EXPIRE", "v", "300", "XX"), 1)
    eq(c.call("EXPIRE", "v", "10", "LT"), 1)
    eq(c.call("EXPIRE", "v", "20", "LT"), 0)
    ok(c.call("TTL", "v") <= 10, "LT lowered the TTL")
    eq(c.call("PERSIST", "v"), 1)
    eq(c.call("EXPIRE", "v", "100", "NX"), 1)
    eq(c.call("PEXPIRE", "v", "500000", "gt"), 1, "options are case insensitive")
    eq(c.call("EXPIRE", "v", "0", "GT"), 0, "GT with a past time does not delete")
    eq(c.call("EXISTS", "v"), 1)
    at = int(time.time()) + 10
    eq(c.call("EXPIREAT", "v", str(at), "LT"), 1)
    eq(c.call("EXPIRETIME", "v"), at)
    eq(c.call("PEXPIREAT", "v", str(at * 1000 + 5000), "GT"), 1)
    eq(c.call("PEXPIRETIME", "v"), at * 1000 + 5000)


def test_expire_errors(t):
    c = t.conn()
    c.call("SET", "a", "1")
    is_err(c.call("EXPIRE", "a", "100", "NX", "XX"),
           "ERR NX and XX, GT or LT options at the same time are not compatible")
    is_err(c.call("EXPIRE", "a", "100", "NX", "GT"),
           "ERR NX and XX, GT or LT options at the same time are not compatible")
    is_err(c.call("EXPIRE", "a", "100", "GT", "LT"),
           "ERR GT and LT options at the same time are not compatible")
    is_err(c.call("EXPIRE", "a", "100", "FOO"), "ERR Unsupported option FOO")
    is_err(c.call("EXPIRE", "a", "abc"), "ERR value is not an integer or out of range")
    is_err(c.call("EXPIRE", "a", "1.5"), "ERR value is not an integer or out of range")
    is_err(c.call("EXPIRE", "a", "9223372036854775807"), "ERR invalid expire time in 'expire' command")
    is_err(c.call("EXPIRE", "a", "9223372036854770"), "ERR invalid expire time in 'expire' command")
    is_err(c.call("PEXPIRE", "a", "9223372036854775807"), "ERR invalid expire time in 'pexpire' command")
    is_err(c.call("EXPIREAT", "a", "9223372036854775807"),
           "ERR invalid expire time in 'expireat' command")
    is_err(c.call("EXPIRE", "a"), "ERR wrong number of arguments for 'expire' command")
    eq(c.call("TTL", "a"), -1, "failed EXPIREs leave the key alone")


def test_persist(t):
    c = t.conn()
    c.call("SET", "k", "v", "EX", "100")
    eq(c.call("PERSIST", "k"), 1)
    eq(c.call("TTL", "k"), -1)
    eq(c.call("PERSIST", "k"), 0, "already persistent")
    eq(c.call("PERSIST", "missing"), 0)
    # overwriting with SET clears the TTL, KEEPTTL keeps it
    c.call("SET", "k", "v", "EX", "100")
    c.call("SET", "k", "v2", "KEEPTTL")
    eq(c.call("TTL", "k"), 100)
    c.call("SET", "k", "v3")
    eq(c.call("TTL", "k"), -1)


def test_lazy_expiry_with_active_expire_off(t):
    c = t.conn()
    eq(c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK")
    before = int(t.info("stats")[None]["expired_keys"])
    c.call("SET", "lazy", "v", "PX", "100")
    c.call("SET", "keep", "v")
    time.sleep(0.3)
    eq(c.call("DBSIZE"), 2, "with active expiry off the expired key is still stored")
    eq(c.call("GET", "lazy"), None, "but it is never returned")
    eq(c.call("DBSIZE"), 1, "the access deleted it")
    after = int(t.info("stats")[None]["expired_keys"])
    eq(after - before, 1, "expired_keys")
    # other access paths expire lazily too
    for cmd in (("EXISTS", "k2"), ("TTL", "k2"), ("TYPE", "k2"), ("STRLEN", "k2")):
        c.call("SET", "k2", "v", "PX", "50")
        time.sleep(0.12)
        r = c.call(*cmd)
        ok(r in (0, -2, "none"), "%s on an expired key gave %r" % (cmd[0], r))
        eq(c.call("DBSIZE"), 1, "after %s" % cmd[0])
    c.call("SET", "k3", "v", "PX", "50")
    time.sleep(0.12)
    eq(c.call("SET", "k3", "new", "NX"), "OK", "an expired key does not block SET NX")
    eq(c.call("TTL", "k3"), -1)


def test_active_expiry_removes_keys(t):
    c = t.conn()
    before = int(t.info("stats")[None]["expired_keys"])
    for i in range(50):
        c.call("SET", "act:%d" % i, "v", "PX", "100")
    c.call("SET", "stays", "v")
    wait_for(lambda: c.call("DBSIZE") == 1, timeout=10, what="active expiry to remove 50 keys")
    after = int(t.info("stats")[None]["expired_keys"])
    eq(after - before, 50, "expired_keys")
    eq(c.call("GET", "stays"), "v")


def test_set_active_expire_toggle(t):
    c = t.conn()
    eq(c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK")
    for i in range(20):
        c.call("SET", "e:%d" % i, "v", "PX", "50")
    time.sleep(0.5)
    eq(c.call("DBSIZE"), 20, "no active expiry while disabled")
    ks = keyspace_line(t)
    eq(ks["keys"], "20")
    eq(ks["expires"], "20")
    eq(c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK")
    wait_for(lambda: c.call("DBSIZE") == 0, timeout=10, what="active expiry after re-enabling")


def test_keyspace_info_line(t):
    c = t.conn()
    eq(keyspace_line(t), None, "empty db0 is not listed")
    c.call("SET", "a", "1")
    c.call("SET", "b", "2", "EX", "1000")
    ks = keyspace_line(t)
    eq(ks["keys"], "2")
    eq(ks["expires"], "1")
    ok(ks["avg_ttl"].isdigit(), "avg_ttl should be an integer: %r" % ks["avg_ttl"])
    c.call("SELECT", "7")
    c.call("SET", "z", "1")
    ks7 = keyspace_line(t, 7)
    eq((ks7["keys"], ks7["expires"], ks7["avg_ttl"]), ("1", "0", "0"))


def test_expired_key_not_visible_anywhere(t):
    c = t.conn()
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    c.call("MSET", "live1", "1", "live2", "2")
    c.call("SET", "dead", "x", "PX", "30")
    time.sleep(0.1)
    eq(sorted(c.call("KEYS", "*")), ["live1", "live2"], "KEYS skips expired keys")
    keys, _ = scan_all(c)
    ok("dead" not in keys, "SCAN returned an expired key")
    eq(c.call("MGET", "dead", "live1"), [None, "1"])
    eq(c.call("EXISTS", "dead"), 0)
    for _ in range(50):
        ok(c.call("RANDOMKEY") in ("live1", "live2"), "RANDOMKEY returned an expired key")
