"""DEBUG DIGEST / DIGEST-VALUE and DEBUG RELOAD (the dataset's round trip
through its persisted form, with or without appendonly)."""

from harness import eq, ok

ZERO = "0" * 40


def fill(c):
    c.call("SET", "str", "value")
    c.call("SET", "ttl", "v", "EX", "1000")
    c.call("SELECT", "3")
    c.call("SET", "in-db3", "x")
    c.call("SELECT", "0")
    c.call("XADD", "s", "*", "first", "plain")
    c.call("XCFGSET", "s", "IDMP-MAXSIZE", "500")  # before the iids: a change clears them
    for i in range(50):
        c.call("XADD", "s", "IDMP", "p%d" % (i % 3), "iid-%d" % i, "*", "f", str(i), "g", "x" * i)
    c.call("XADD", "s", "IDMP", "p0", "iid-0", "*", "f", "dup")  # a duplicate
    c.call("XDEL", "s", c.call("XRANGE", "s", "-", "+", "COUNT", "1")[0][0])
    c.call("XGROUP", "CREATE", "s", "g", "0")
    c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", "s", ">")
    c.call("XADD", "empty", "MAXLEN", "0", "*", "f", "v")


def test_digest_shapes(t):
    c = t.conn()
    eq(c.call("DEBUG", "DIGEST"), ZERO, "empty dataset")
    c.call("SET", "a", "1")
    d1 = c.call("DEBUG", "DIGEST")
    ok(len(d1) == 40 and d1 != ZERO, "a 40-hex digest: %r" % d1)
    c.call("SET", "a", "2")
    ok(c.call("DEBUG", "DIGEST") != d1, "a change changes the digest")
    c.call("SET", "a", "1")
    eq(c.call("DEBUG", "DIGEST"), d1, "the same content gives the same digest")
    vals = c.call("DEBUG", "DIGEST-VALUE", "a", "missing")
    eq(len(vals), 2, "one digest per key")
    eq(vals[1], ZERO, "missing key")
    c.call("EXPIRE", "a", "100")
    ok(c.call("DEBUG", "DIGEST") != d1, "a TTL is part of the dataset digest")


def check_reload(c):
    fill(c)
    before = c.call("DEBUG", "DIGEST")
    info_before = c.call("XINFO", "STREAM", "s", "FULL")
    groups_before = c.call("XINFO", "GROUPS", "s")
    eq(c.call("DEBUG", "RELOAD"), "OK", "DEBUG RELOAD")
    eq(c.call("DEBUG", "DIGEST"), before, "digest after reload")
    info_after = c.call("XINFO", "STREAM", "s", "FULL")
    for field in ("length", "last-generated-id", "max-deleted-entry-id", "entries-added",
                  "idmp-maxsize", "iids-added", "iids-duplicates"):
        eq(info_after[field], info_before[field], "XINFO %s after reload" % field)
    eq(c.call("XINFO", "GROUPS", "s"), groups_before, "groups after reload")
    ok(900 < c.call("TTL", "ttl") <= 1000, "TTL kept")
    c.call("SELECT", "3")
    eq(c.call("GET", "in-db3"), "x", "other databases kept")
    c.call("SELECT", "0")
    last = c.call("XRANGE", "s", "-", "+")[-1][0]
    eq(c.call("XADD", "s", "IDMP", "p1", "iid-49", "*", "f", "again"), last,
       "IDMP still deduplicates after reload")


def test_reload_without_aof(t):
    c = t.conn()
    c.call("HELLO", "3")
    check_reload(c)


def test_reload_with_aof(t):
    s = t.spawn(args=["--appendonly", "yes", "--appendfsync", "everysec"])
    c = t.conn(server=s)
    c.call("HELLO", "3")
    check_reload(c)
    eq(c.call("DEBUG", "LOADAOF"), "OK", "DEBUG LOADAOF")
    eq(c.call("XLEN", "s"), 50, "the AOF replays the same stream")
