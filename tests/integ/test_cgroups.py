"""Consumer groups: XGROUP, XREADGROUP, XACK, XACKDEL, XPENDING, XCLAIM,
XAUTOCLAIM, XNACK, XINFO GROUPS / CONSUMERS / STREAM FULL (Redis 8.8).

Timing-dependent behaviour (idle times, min-idle-time) is driven with the
IDLE / TIME options of XCLAIM instead of sleeping.
"""

import os
import time

from harness import NotApplicable, eq, is_err, needs_version, ok, timeout, wait_for

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
NEEDS_KEY = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
             "may want to use the MKSTREAM option to create an empty stream automatically.")


def nogroup(key, group):
    return "NOGROUP No such key '%s' or consumer group '%s'" % (key, group)


def nogroup_rg(key, group):
    return ("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option"
            % (key, group))


def nogroup_for_key(group, key):
    return "NOGROUP No such consumer group '%s' for key name '%s'" % (group, key)


def pairs(flat):
    """RESP2 flat key/value array -> dict (keeps the order in .keys())."""
    ok(isinstance(flat, list) and len(flat) % 2 == 0, "not a flat map: %r" % (flat,))
    return dict(zip(flat[0::2], flat[1::2]))


def blocked_clients(t):
    return int(t.info("clients")[None]["blocked_clients"])


def wait_blocked(t, n):
    wait_for(lambda: blocked_clients(t) == n, what="%d blocked clients" % n)


def setup(c, key="s", n=3, group="g", start="0"):
    """Stream key with entries 1-0..n-0 (field f, value v<i>) and a group."""
    for i in range(1, n + 1):
        c.ok_call("XADD", key, "%d-0" % i, "f", "v%d" % i)
    if group:
        eq(c.call("XGROUP", "CREATE", key, group, start), "OK")


def pending_ext(c, key="s", group="g", *extra):
    return c.call("XPENDING", key, group, "-", "+", 100, *extra)


# --------------------------------------------------------------------------
# XGROUP
# --------------------------------------------------------------------------

def test_xgroup_create_and_errors(t):
    c = t.conn()
    is_err(c.call("XGROUP", "CREATE", "s", "g", "$"), NEEDS_KEY)
    eq(c.call("EXISTS", "s"), 0)
    eq(c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), "OK")
    eq(c.call("TYPE", "s"), "stream")
    eq(c.call("XLEN", "s"), 0)
    is_err(c.call("XGROUP", "CREATE", "s", "g", "$"), "BUSYGROUP Consumer Group name already exists")
    is_err(c.call("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"),
           "BUSYGROUP Consumer Group name already exists")
    c.ok_call("XADD", "s", "5-1", "a", "b")
    eq(c.call("XGROUP", "create", "s", "g2", "$"), "OK")
    eq(pairs(c.call("XINFO", "GROUPS", "s")[1])["last-delivered-id"], "5-1")
    eq(c.call("XGROUP", "CREATE", "s", "g3", "7"), "OK")
    eq(pairs(c.call("XINFO", "GROUPS", "s")[2])["last-delivered-id"], "7-0")
    is_err(c.call("XGROUP", "CREATE", "s", "g4", "-"), INVALID_ID)
    is_err(c.call("XGROUP", "CREATE", "s", "g4", "abc"), INVALID_ID)
    is_err(c.call("XGROUP", "CREATE", "s", "g4", "0", "FOO"),
           "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.")
    is_err(c.call("XGROUP", "create", "s", "g4", "0", "ENTRIESREAD"),
           "ERR unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP.")
    is_err(c.call("XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "x"), NOT_INT)
    is_err(c.call("XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "-3"),
           "ERR value for ENTRIESREAD must be positive or -1")
    is_err(c.call("XGROUP", "CREATE", "s", "g4", "0", "MKSTREAM", "MKSTREAM", "MKSTREAM",
                  "MKSTREAM"),
           "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.")
    is_err(c.call("XGROUP", "CREATE", "s"),
           "ERR wrong number of arguments for 'xgroup|create' command")
    c.call("SET", "str", "x")
    is_err(c.call("XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"), WRONGTYPE)
    is_err(c.call("XGROUP", "FOO", "s"), "ERR unknown subcommand 'FOO'. Try XGROUP HELP.")


def test_xgroup_create_entriesread(t):
    c = t.conn()
    setup(c, n=4, group=None)
    eq(c.call("XGROUP", "CREATE", "s", "a", "$", "ENTRIESREAD", "0"), "OK")
    eq(c.call("XGROUP", "CREATE", "s", "b", "$", "ENTRIESREAD", "3", "MKSTREAM"), "OK")
    eq(c.call("XGROUP", "CREATE", "s", "c", "2-0", "ENTRIESREAD", "-1"), "OK")
    groups = {pairs(g)["name"]: pairs(g) for g in c.call("XINFO", "GROUPS", "s")}
    eq(groups["a"]["entries-read"], 0)
    eq(groups["a"]["lag"], 4)
    eq(groups["b"]["entries-read"], 3)
    eq(groups["b"]["lag"], 1)
    eq(groups["c"]["entries-read"], None)
    eq(groups["c"]["lag"], None)


def test_xgroup_setid(t):
    c = t.conn()
    setup(c, n=3)
    eq(c.call("XGROUP", "SETID", "s", "g", "$"), "OK")
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq(g["last-delivered-id"], "3-0")
    eq(g["entries-read"], None, "SETID without ENTRIESREAD invalidates the counter")
    eq(g["lag"], 0)
    eq(c.call("XGROUP", "SETID", "s", "g", "1-0", "ENTRIESREAD", "1"), "OK")
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq((g["last-delivered-id"], g["entries-read"], g["lag"]), ("1-0", 1, 2))
    eq(c.call("XGROUP", "SETID", "s", "g", "-"), "OK")
    eq(pairs(c.call("XINFO", "GROUPS", "s")[0])["last-delivered-id"], "0-0")
    is_err(c.call("XGROUP", "SETID", "s", "g", "(1-0"), INVALID_ID)
    is_err(c.call("XGROUP", "SETID", "s", "nog", "0"), nogroup_for_key("nog", "s"))
    is_err(c.call("XGROUP", "SETID", "nokey", "g", "0"), NEEDS_KEY)
    is_err(c.call("XGROUP", "SETID", "s", "g", "0", "MKSTREAM"),
           "ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.")
    is_err(c.call("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "-2"),
           "ERR value for ENTRIESREAD must be positive or -1")
    # moving the group back makes ">" deliver again (count reset to 1)
    c.call("XGROUP", "SETID", "s", "g", "0")
    r = c.call("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    eq([e[0] for e in r[0][1]], ["1-0", "2-0", "3-0"])
    c.call("XGROUP", "SETID", "s", "g", "1-0")
    r = c.call("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">")
    eq([e[0] for e in r[0][1]], ["2-0", "3-0"])
    pend = pending_ext(c)
    eq([(p[0], p[1], p[3]) for p in pend], [("1-0", "a", 1), ("2-0", "b", 1), ("3-0", "b", 1)])


def test_xgroup_destroy_and_consumers(t):
    c = t.conn()
    setup(c, n=3)
    eq(c.call("XGROUP", "CREATECONSUMER", "s", "g", "alice"), 1)
    eq(c.call("XGROUP", "CREATECONSUMER", "s", "g", "alice"), 0)
    is_err(c.call("XGROUP", "CREATECONSUMER", "s", "nog", "alice"), nogroup_for_key("nog", "s"))
    is_err(c.call("XGROUP", "CREATECONSUMER", "nokey", "g", "alice"), NEEDS_KEY)
    c.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    eq(c.call("XGROUP", "DELCONSUMER", "s", "g", "bob"), 2)
    eq(c.call("XGROUP", "DELCONSUMER", "s", "g", "bob"), 0)
    eq(c.call("XPENDING", "s", "g")[0], 1, "bob's entries left the group PEL")
    is_err(c.call("XGROUP", "DELCONSUMER", "s", "nog", "x"), nogroup_for_key("nog", "s"))
    eq(len(c.call("XINFO", "CONSUMERS", "s", "g")), 1)
    eq(c.call("XGROUP", "DESTROY", "s", "g"), 1)
    eq(c.call("XGROUP", "DESTROY", "s", "g"), 0)
    is_err(c.call("XGROUP", "DESTROY", "nokey", "g"), NEEDS_KEY)
    eq(c.call("XINFO", "GROUPS", "s"), [])
    eq(pairs(c.call("XINFO", "STREAM", "s"))["groups"], 0)


def test_xgroup_help(t):
    c = t.conn()
    r = c.call("XGROUP", "HELP")
    eq(r[0], "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    eq(r[1], "CREATE <key> <groupname> <id|$> [option]")
    ok("SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]" in r, "SETID line")
    eq(r[-2:], ["HELP", "    Prints this help."])
    eq(len(r), 17)


# --------------------------------------------------------------------------
# XREADGROUP
# --------------------------------------------------------------------------

def test_xreadgroup_new_and_history(t):
    c = t.conn()
    setup(c, n=4)
    r = c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">")
    eq(r, [["s", [["1-0", ["f", "v1"]]]]])
    r = c.call("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
    eq([e[0] for e in r[0][1]], ["2-0", "3-0", "4-0"])
    eq(c.call_raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"), b"*-1\r\n")
    # history: only the consumer's own pending entries, strictly after the ID
    eq(c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
       [["s", [["1-0", ["f", "v1"]]]]])
    r = c.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", "2")
    eq([e[0] for e in r[0][1]], ["3-0", "4-0"])
    r = c.call("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0-0")
    eq([e[0] for e in r[0][1]], ["2-0", "3-0", "4-0"])
    # a history read with nothing pending still replies the key
    eq(c.call("XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"), [["s", []]])
    # history reads count as deliveries
    pend = {p[0]: p for p in pending_ext(c)}
    eq(pend["1-0"][3], 2)
    eq(pend["2-0"][3], 2)
    eq(pend["3-0"][3], 3)
    # BLOCK and NOACK are ignored for history reads
    eq(c.call("XREADGROUP", "GROUP", "g", "dave", "BLOCK", "0", "NOACK", "STREAMS", "s", "0"),
       [["s", []]])


def test_xreadgroup_noack(t):
    c = t.conn()
    setup(c, n=3)
    r = c.call("XREADGROUP", "GROUP", "g", "a", "NOACK", "STREAMS", "s", ">")
    eq(len(r[0][1]), 3)
    eq(c.call("XPENDING", "s", "g"), [0, None, None, None])
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq((g["last-delivered-id"], g["entries-read"], g["lag"], g["consumers"]), ("3-0", 3, 0, 1))
    info = pairs(c.call("XINFO", "CONSUMERS", "s", "g")[0])
    eq(info["inactive"], -1, "NOACK reads put nothing in the PEL: no successful interaction")


def test_xreadgroup_errors(t):
    c = t.conn()
    setup(c, n=1)
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "nokey", ">"),
           "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must "
           "be specified.")
    is_err(c.call("XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">"),
           "ERR Missing GROUP option for XREADGROUP")
    is_err(c.call("XREADGROUP", "GROUPS", "g", "c", "STREAMS", "s", ">"), SYNTAX)
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAM", "s", ">"), SYNTAX)
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "x", "STREAMS", "s", ">"), NOT_INT)
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", ">"),
           "ERR timeout is not an integer or out of range")
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "-1", "STREAMS", "s", ">"),
           "ERR timeout is negative")
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "CLAIM", "x", "STREAMS", "s", ">"), NOT_INT)
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"),
           "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
           "history of this consumer by specifying a proper ID, or use the > ID to get new "
           "messages. The $ ID would just return an empty result set.")
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "x-y"), INVALID_ID)
    is_err(c.call("XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"), nogroup_rg("s", "nog"))
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "nokey", ">", ">"),
           nogroup_rg("nokey", "g"))
    c.call("SET", "str", "x")
    is_err(c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"), WRONGTYPE)
    is_err(c.call("XREADGROUP", "GROUP", "g", "c"),
           "ERR wrong number of arguments for 'xreadgroup' command")
    # nothing was delivered by the failing calls; COUNT repeated is fine
    eq(c.call("XPENDING", "s", "g")[0], 0)
    r = c.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "COUNT", "0", "STREAMS", "s", ">")
    eq(len(r[0][1]), 1)


def test_xreadgroup_deleted_entries_in_history(t):
    c = t.conn()
    setup(c, n=3)
    c.call("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    eq(c.call("XDEL", "s", "2-0"), 1)
    raw = c.call_raw("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0")
    eq(raw, b"*1\r\n*2\r\n$1\r\ns\r\n*3\r\n"
            b"*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n"
            b"*2\r\n$3\r\n2-0\r\n*-1\r\n"
            b"*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv3\r\n")
    c3 = t.conn()
    c3.call("HELLO", "3")
    raw = c3.call_raw("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", "1-0")
    eq(raw, b"%1\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-0\r\n_\r\n"
            b"*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv3\r\n")
    # the deleted entry stays pending with its old delivery count
    pend = {p[0]: p[3] for p in pending_ext(c)}
    eq(pend, {"1-0": 2, "2-0": 1, "3-0": 3})


def test_xreadgroup_resp3_and_nil_shapes(t):
    c2 = t.conn()
    setup(c2, key="a", n=1)
    c2.call("XGROUP", "CREATE", "b", "g", "$", "MKSTREAM")
    c3 = t.conn()
    c3.call("HELLO", "3")
    raw = c3.call_raw("XREADGROUP", "GROUP", "g", "x", "STREAMS", "a", "b", ">", ">")
    eq(raw, b"%1\r\n$1\r\na\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n")
    eq(c3.call_raw("XREADGROUP", "GROUP", "g", "x", "STREAMS", "a", "b", ">", ">"), b"_\r\n")
    eq(c2.call_raw("XREADGROUP", "GROUP", "g", "x", "STREAMS", "a", "b", ">", ">"), b"*-1\r\n")
    # history on one key, nothing new on the other: only the history key
    r = c2.call("XREADGROUP", "GROUP", "g", "x", "STREAMS", "a", "b", "0", ">")
    eq(r, [["a", [["1-0", ["f", "v1"]]]]])
    r = c2.call("XREADGROUP", "GROUP", "g", "x", "STREAMS", "b", "a", "0", "0")
    eq(r, [["b", []], ["a", [["1-0", ["f", "v1"]]]]])


def test_xreadgroup_several_groups_and_consumers(t):
    c = t.conn()
    setup(c, n=6, group="g1")
    c.call("XGROUP", "CREATE", "s", "g2", "0")
    for _ in range(3):
        c.call("XREADGROUP", "GROUP", "g1", "a", "COUNT", "1", "STREAMS", "s", ">")
        c.call("XREADGROUP", "GROUP", "g1", "b", "COUNT", "1", "STREAMS", "s", ">")
    c.call("XREADGROUP", "GROUP", "g2", "z", "STREAMS", "s", ">")
    owners = {p[0]: p[1] for p in pending_ext(c, "s", "g1")}
    eq(owners, {"1-0": "a", "2-0": "b", "3-0": "a", "4-0": "b", "5-0": "a", "6-0": "b"})
    eq(len(pending_ext(c, "s", "g2")), 6)
    eq(c.call("XACK", "s", "g1", "1-0", "2-0", "3-0"), 3)
    eq(c.call("XPENDING", "s", "g1"), [3, "4-0", "6-0", [["a", "1"], ["b", "2"]]])
    eq(c.call("XPENDING", "s", "g2")[0], 6, "groups are independent")
    groups = [pairs(g) for g in c.call("XINFO", "GROUPS", "s")]
    eq([(g["name"], g["consumers"], g["pending"]) for g in groups], [("g1", 2, 3), ("g2", 1, 6)])


# --------------------------------------------------------------------------
# blocking
# --------------------------------------------------------------------------

@timeout(30)
def test_blocking_xreadgroup_woken_by_xadd(t):
    c = t.conn()
    c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w1, w2 = t.conn(), t.conn()
    w1.send_cmd("XREADGROUP", "GROUP", "g", "one", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(t, 1)
    w2.send_cmd("XREADGROUP", "GROUP", "g", "two", "COUNT", "5", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(t, 2)
    c.ok_call("XADD", "s", "10-0", "k", "v")
    eq(w1.read(), [["s", [["10-0", ["k", "v"]]]]], "first blocked consumer is served first")
    wait_blocked(t, 1)
    c.ok_call("XADD", "s", "11-0", "k", "w")
    eq(w2.read(), [["s", [["11-0", ["k", "w"]]]]])
    wait_blocked(t, 0)
    eq([(p[0], p[1]) for p in pending_ext(c)], [("10-0", "one"), ("11-0", "two")])
    # the blocked consumers exist from the moment they blocked
    eq([pairs(x)["name"] for x in c.call("XINFO", "CONSUMERS", "s", "g")], ["one", "two"])


@timeout(30)
def test_blocking_xreadgroup_fanout_to_many(t):
    c = t.conn()
    c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    ws = []
    for i in range(20):
        w = t.conn()
        w.send_cmd("XREADGROUP", "GROUP", "g", "c%02d" % i, "BLOCK", "0", "STREAMS", "s", ">")
        ws.append(w)
    wait_blocked(t, 20)
    for i in range(20):
        c.ok_call("XADD", "s", "%d-0" % (i + 1), "n", str(i))
    for i, w in enumerate(ws):
        r = w.read()
        eq(len(r[0][1]), 1)
    wait_blocked(t, 0)
    owners = sorted(p[1] for p in pending_ext(c))
    eq(owners, ["c%02d" % i for i in range(20)], "each consumer got exactly one entry")


@timeout(30)
def test_blocking_nogroup_when_group_destroyed_or_key_deleted(t):
    c = t.conn()
    c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w = t.conn()
    w.send_cmd("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(t, 1)
    eq(c.call("XGROUP", "DESTROY", "s", "g"), 1)
    is_err(w.read(), nogroup_rg("s", "g"))
    wait_blocked(t, 0)
    c.call("XGROUP", "CREATE", "s", "g", "$")
    w.send_cmd("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(t, 1)
    eq(c.call("DEL", "s"), 1)
    is_err(w.read(), nogroup_rg("s", "g"))
    wait_blocked(t, 0)
    c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w.send_cmd("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(t, 1)
    c.call("SET", "s", "now a string")  # replaces the stream in one step
    is_err(w.read(), WRONGTYPE)
    wait_blocked(t, 0)
    eq(w.call("PING"), "PONG")


@timeout(30)
def test_blocking_timeout_and_unrelated_writes(t):
    c = t.conn()
    setup(c, n=1)
    c.call("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    w = t.conn()
    t0 = time.monotonic()
    eq(w.call_raw("XREADGROUP", "GROUP", "g", "a", "BLOCK", "100", "STREAMS", "s", ">"), b"*-1\r\n")
    ok(time.monotonic() - t0 >= 0.09, "BLOCK 100 returned too early")
    w.send_cmd("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(t, 1)
    c.call("XGROUP", "CREATE", "s", "other", "0")  # no wake-up
    c.call("XACK", "s", "g", "1-0")
    c.call("XDEL", "s", "1-0")                       # wakes, nothing to serve, blocks again
    time.sleep(0.05)
    eq(blocked_clients(t), 1)
    c.ok_call("XADD", "s", "2-0", "x", "y")
    eq(w.read(), [["s", [["2-0", ["x", "y"]]]]])


def test_block_inside_multi_returns_nil(t):
    c = t.conn()
    c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    eq(c.call("MULTI"), "OK")
    eq(c.call("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"), "QUEUED")
    eq(c.call("EXEC"), [None])


# --------------------------------------------------------------------------
# XACK / XACKDEL
# --------------------------------------------------------------------------

def test_xack(t):
    c = t.conn()
    setup(c, n=3)
    c.call("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    eq(c.call("XACK", "s", "g", "1-0", "1-0", "9-0"), 1)
    is_err(c.call("XACK", "s", "g", "2-0", "bad"), INVALID_ID)
    eq(c.call("XPENDING", "s", "g")[0], 2, "XACK is all or nothing on a bad ID")
    eq(c.call("XACK", "s", "nog", "bad"), 0, "missing group: 0 before parsing IDs")
    eq(c.call("XACK", "nokey", "g", "1-0"), 0)
    eq(c.call("XACK", "s", "g", "2", "3-0"), 2)
    c.call("SET", "str", "x")
    is_err(c.call("XACK", "str", "g", "1-0"), WRONGTYPE)


def test_xackdel_policies(t):
    c = t.conn()
    setup(c, n=6, group="g1")
    c.call("XGROUP", "CREATE", "s", "g2", "0")
    c.call("XREADGROUP", "GROUP", "g1", "a", "STREAMS", "s", ">")
    c.call("XREADGROUP", "GROUP", "g2", "b", "COUNT", "3", "STREAMS", "s", ">")
    # KEEPREF (default): ack in g1, delete; g2 keeps its dangling reference
    eq(c.call("XACKDEL", "s", "g1", "IDS", "2", "1-0", "99-0"), [1, -1])
    eq(c.call("XLEN", "s"), 5)
    ok("1-0" in [p[0] for p in pending_ext(c, "s", "g2")], "KEEPREF keeps other references")
    # ACKED: g2 still has 2-0 pending, so it stays
    eq(c.call("XACKDEL", "s", "g1", "ACKED", "IDS", "1", "2-0"), [2])
    eq(c.call("XLEN", "s"), 5)
    eq(c.call("XACKDEL", "s", "g2", "ACKED", "IDS", "1", "2-0"), [1])
    eq(c.call("XLEN", "s"), 4)
    # ACKED and an entry g2 has not read yet (5-0 is after its last-delivered-id)
    eq(c.call("XACKDEL", "s", "g1", "ACKED", "IDS", "1", "5-0"), [2])
    # DELREF: removes the entry and every group's reference
    eq(c.call("XACKDEL", "s", "g1", "DELREF", "IDS", "1", "3-0"), [1])
    ok("3-0" not in [p[0] for p in pending_ext(c, "s", "g2")], "DELREF cleans other groups")
    eq(c.call("XACKDEL", "nokey", "g1", "IDS", "2", "1-0", "2-0"), [-1, -1])
    eq(c.call("XACKDEL", "s", "nog", "IDS", "1", "4-0"), [-1])
    is_err(c.call("XACKDEL", "s", "g1", "KEEPREF", "1-0", "2-0"), SYNTAX)
    is_err(c.call("XACKDEL", "s", "g1", "KEEPREF", "DELREF", "IDS", "1", "1-0"), SYNTAX)
    is_err(c.call("XACKDEL", "s", "g1", "KEEPREF", "FOO", "IDS", "1", "1-0"), SYNTAX)
    is_err(c.call("XACKDEL", "s", "g1", "IDS", "0", "1-0"),
           "ERR Number of IDs must be a positive integer")
    is_err(c.call("XACKDEL", "s", "g1", "IDS", "3", "1-0", "2-0"),
           "ERR The `numids` parameter must match the number of arguments")
    is_err(c.call("XACKDEL", "s", "g1", "IDS", "1", "zz"), INVALID_ID)
    is_err(c.call("XACKDEL", "s", "g1", "ACKED", "KEEPREF"),
           "ERR wrong number of arguments for 'xackdel' command")


def test_reference_policies_of_xadd_xtrim_xdelex(t):
    c = t.conn()
    setup(c, n=6, group="g1")
    c.call("XGROUP", "CREATE", "s", "g2", "0")
    c.call("XREADGROUP", "GROUP", "g1", "a", "COUNT", "4", "STREAMS", "s", ">")
    c.call("XREADGROUP", "GROUP", "g2", "b", "COUNT", "2", "STREAMS", "s", ">")
    c.call("XACK", "s", "g1", "1-0", "2-0")
    c.call("XACK", "s", "g2", "1-0")
    # ACKED: only 1-0 is read and acknowledged by every group
    eq(c.call("XDELEX", "s", "ACKED", "IDS", "3", "1-0", "2-0", "3-0"), [1, 2, 2])
    eq(c.call("XTRIM", "s", "MAXLEN", "0", "ACKED"), 0)
    # DELREF: trimming removes the references too
    eq(c.call("XTRIM", "s", "MINID", "3-0", "DELREF"), 1)
    eq([p[0] for p in pending_ext(c, "s", "g2")], [])
    eq([p[0] for p in pending_ext(c, "s", "g1")], ["3-0", "4-0"])
    # KEEPREF: dangling references stay and history shows them as nil
    c.ok_call("XADD", "s", "MAXLEN", "1", "KEEPREF", "7-0", "f", "v7")
    eq([p[0] for p in pending_ext(c, "s", "g1")], ["3-0", "4-0"])
    r = c.call("XREADGROUP", "GROUP", "g1", "a", "STREAMS", "s", "0")
    eq(r, [["s", [["3-0", None], ["4-0", None]]]])
    c.ok_call("XADD", "s", "MAXLEN", "0", "DELREF", "8-0", "f", "v8")
    eq(c.call("XDELEX", "s", "DELREF", "IDS", "1", "3-0"), [-1],
       "DELREF on an ID no longer in the stream still drops dangling references")
    eq([p[0] for p in pending_ext(c, "s", "g1")], ["4-0"])


# --------------------------------------------------------------------------
# XPENDING
# --------------------------------------------------------------------------

def test_xpending_summary_and_extended(t):
    c = t.conn()
    setup(c, n=5)
    eq(c.call_raw("XPENDING", "s", "g"), b"*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n")
    c.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    eq(c.call_raw("XPENDING", "s", "g"),
       b"*4\r\n:5\r\n$3\r\n1-0\r\n$3\r\n5-0\r\n*2\r\n*2\r\n$5\r\nalice\r\n$1\r\n3\r\n"
       b"*2\r\n$3\r\nbob\r\n$1\r\n2\r\n")
    r = c.call("XPENDING", "s", "g", "-", "+", "10")
    eq([(p[0], p[1], p[3]) for p in r],
       [("1-0", "bob", 1), ("2-0", "bob", 1), ("3-0", "alice", 1), ("4-0", "alice", 1),
        ("5-0", "alice", 1)])
    ok(all(isinstance(p[2], int) and 0 <= p[2] < 5000 for p in r), "idle times: %r" % r)
    eq([p[0] for p in c.call("XPENDING", "s", "g", "(1-0", "(4-0", "10")], ["2-0", "3-0"])
    eq([p[0] for p in c.call("XPENDING", "s", "g", "-", "+", "2")], ["1-0", "2-0"])
    eq([p[0] for p in c.call("XPENDING", "s", "g", "-", "+", "10", "bob")], ["1-0", "2-0"])
    eq(c.call("XPENDING", "s", "g", "-", "+", "10", "nobody"), [])
    eq(c.call("XPENDING", "s", "g", "-", "+", "0"), [])
    eq(c.call("XPENDING", "s", "g", "-", "+", "-5"), [])
    eq(c.call("XPENDING", "s", "g", "4", "2", "10"), [])
    # IDLE: make 2-0 and 4-0 look idle for 10 s
    c.call("XCLAIM", "s", "g", "bob", "0", "2-0", "IDLE", "10000", "JUSTID")
    c.call("XCLAIM", "s", "g", "alice", "0", "4-0", "IDLE", "10000", "JUSTID")
    r = c.call("XPENDING", "s", "g", "IDLE", "9000", "-", "+", "10")
    eq([p[0] for p in r], ["2-0", "4-0"])
    ok(all(p[2] >= 10000 for p in r), "idle >= 10000: %r" % r)
    eq([p[0] for p in c.call("XPENDING", "s", "g", "IDLE", "9000", "-", "+", "10", "alice")],
       ["4-0"])


def test_xpending_errors(t):
    c = t.conn()
    setup(c, n=1)
    is_err(c.call("XPENDING", "s", "nog"), nogroup("s", "nog"))
    is_err(c.call("XPENDING", "nokey", "g"), nogroup("nokey", "g"))
    is_err(c.call("XPENDING", "nokey", "g", "-", "+", "10"), nogroup("nokey", "g"))
    is_err(c.call("XPENDING", "s", "g", "-"), SYNTAX)
    is_err(c.call("XPENDING", "s", "g", "-", "+"), SYNTAX)
    is_err(c.call("XPENDING", "s", "g", "IDLE", "10", "-", "+"), SYNTAX)
    is_err(c.call("XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"), NOT_INT)
    is_err(c.call("XPENDING", "s", "g", "-", "+", "x"), NOT_INT)
    is_err(c.call("XPENDING", "s", "g", "x", "+", "10"), INVALID_ID)
    is_err(c.call("XPENDING", "s", "g", "(18446744073709551615-18446744073709551615", "+", "10"),
           "ERR invalid start ID for the interval")
    is_err(c.call("XPENDING", "s", "g", "-", "(0-0", "10"), "ERR invalid end ID for the interval")
    c.call("SET", "str", "x")
    is_err(c.call("XPENDING", "str", "g"), WRONGTYPE)


# --------------------------------------------------------------------------
# XCLAIM
# --------------------------------------------------------------------------

def test_xclaim_min_idle_and_options(t):
    c = t.conn()
    setup(c, n=4)
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    # fresh deliveries are not idle enough
    eq(c.call("XCLAIM", "s", "g", "bob", "60000", "1-0"), [])
    # pretend 1-0 was delivered 2 minutes ago
    eq(c.call("XCLAIM", "s", "g", "alice", "0", "1-0", "IDLE", "120000", "JUSTID"), ["1-0"])
    eq(c.call("XCLAIM", "s", "g", "bob", "60000", "1-0"), [["1-0", ["f", "v1"]]])
    p = c.call("XPENDING", "s", "g", "1-0", "1-0", "1")[0]
    eq((p[1], p[3]), ("bob", 2))
    ok(p[2] < 5000, "claiming resets the idle time")
    # JUSTID does not count a delivery; RETRYCOUNT sets it
    eq(c.call("XCLAIM", "s", "g", "carol", "0", "1-0", "JUSTID"), ["1-0"])
    eq(c.call("XPENDING", "s", "g", "1-0", "1-0", "1")[0][3], 2)
    eq(c.call("XCLAIM", "s", "g", "carol", "0", "1-0", "2-0", "RETRYCOUNT", "9", "JUSTID"),
       ["1-0", "2-0"])
    eq([x[3] for x in c.call("XPENDING", "s", "g", "1-0", "2-0", "2")], [9, 9])
    # TIME sets the delivery time; a future time means now
    t_past = int(time.time() * 1000) - 30000
    c.call("XCLAIM", "s", "g", "carol", "0", "3-0", "TIME", str(t_past), "JUSTID")
    idle = c.call("XPENDING", "s", "g", "3-0", "3-0", "1")[0][2]
    ok(25000 <= idle <= 60000, "TIME-based idle %r" % idle)
    c.call("XCLAIM", "s", "g", "carol", "0", "3-0", "TIME", "99999999999999", "JUSTID")
    ok(c.call("XPENDING", "s", "g", "3-0", "3-0", "1")[0][2] < 5000, "future TIME is now")
    # not pending and no FORCE: nothing; FORCE creates the PEL entry
    c.call("XACK", "s", "g", "4-0")
    eq(c.call("XCLAIM", "s", "g", "dave", "0", "4-0"), [])
    eq(c.call("XCLAIM", "s", "g", "dave", "0", "4-0", "FORCE"), [["4-0", ["f", "v4"]]])
    eq(c.call("XPENDING", "s", "g", "4-0", "4-0", "1")[0][1:4:2], ["dave", 2])
    eq(c.call("XCLAIM", "s", "g", "dave", "0", "99-0", "FORCE"), [], "FORCE needs the entry")
    # LASTID moves last-delivered-id forward only
    c.call("XCLAIM", "s", "g", "dave", "0", "4-0", "LASTID", "10-0", "JUSTID")
    eq(pairs(c.call("XINFO", "GROUPS", "s")[0])["last-delivered-id"], "10-0")
    c.call("XCLAIM", "s", "g", "dave", "0", "4-0", "LASTID", "5-0", "JUSTID")
    eq(pairs(c.call("XINFO", "GROUPS", "s")[0])["last-delivered-id"], "10-0")
    # the claiming consumer is created even when nothing is claimed
    c.call("XCLAIM", "s", "g", "erin", "0", "99-0")
    ok("erin" in [pairs(x)["name"] for x in c.call("XINFO", "CONSUMERS", "s", "g")], "erin")


def test_xclaim_deleted_entries_leave_the_pel(t):
    c = t.conn()
    setup(c, n=3)
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    c.call("XDEL", "s", "2-0")
    eq(c.call("XCLAIM", "s", "g", "bob", "0", "1-0", "2-0", "3-0"),
       [["1-0", ["f", "v1"]], ["3-0", ["f", "v3"]]])
    eq([p[0] for p in pending_ext(c)], ["1-0", "3-0"])


def test_xclaim_errors(t):
    c = t.conn()
    setup(c, n=1)
    is_err(c.call("XCLAIM", "s", "nog", "c", "0", "1-0"), nogroup("s", "nog"))
    is_err(c.call("XCLAIM", "nokey", "g", "c", "0", "1-0"), nogroup("nokey", "g"))
    is_err(c.call("XCLAIM", "s", "g", "c", "x", "1-0"),
           "ERR Invalid min-idle-time argument for XCLAIM")
    is_err(c.call("XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x"),
           "ERR Invalid IDLE option argument for XCLAIM")
    is_err(c.call("XCLAIM", "s", "g", "c", "0", "1-0", "TIME", "x"),
           "ERR Invalid TIME option argument for XCLAIM")
    is_err(c.call("XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "x"),
           "ERR Invalid RETRYCOUNT option argument for XCLAIM")
    is_err(c.call("XCLAIM", "s", "g", "c", "0", "1-0", "LASTID", "x"), INVALID_ID)
    is_err(c.call("XCLAIM", "s", "g", "c", "0", "1-0", "FOO"),
           "ERR Unrecognized XCLAIM option 'FOO'")
    is_err(c.call("XCLAIM", "s", "g", "c", "0", "x-1"), "ERR Unrecognized XCLAIM option 'x-1'")
    is_err(c.call("XCLAIM", "s", "g", "c", "0"),
           "ERR wrong number of arguments for 'xclaim' command")


# --------------------------------------------------------------------------
# XAUTOCLAIM
# --------------------------------------------------------------------------

def test_xautoclaim_cursor_count_and_deleted(t):
    c = t.conn()
    setup(c, n=6)
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    c.call("XCLAIM", "s", "g", "alice", "0", "1-0", "2-0", "3-0", "4-0", "5-0", "6-0",
           "IDLE", "100000", "JUSTID")
    c.call("XCLAIM", "s", "g", "alice", "0", "5-0", "JUSTID")  # 5-0 is fresh again
    c.call("XDEL", "s", "3-0")
    r = c.call("XAUTOCLAIM", "s", "g", "bob", "50000", "0", "COUNT", "2")
    eq(r, ["3-0", [["1-0", ["f", "v1"]], ["2-0", ["f", "v2"]]], []])
    r = c.call("XAUTOCLAIM", "s", "g", "bob", "50000", r[0], "COUNT", "2")
    eq(r, ["5-0", [["4-0", ["f", "v4"]]], ["3-0"]], "a deleted entry counts against COUNT")
    r = c.call("XAUTOCLAIM", "s", "g", "bob", "50000", r[0], "COUNT", "2", "JUSTID")
    eq(r, ["0-0", ["6-0"], []], "5-0 is not idle enough; end of the PEL")
    eq({p[0]: (p[1], p[3]) for p in pending_ext(c)},
       {"1-0": ("bob", 2), "2-0": ("bob", 2), "4-0": ("bob", 2), "5-0": ("alice", 1),
        "6-0": ("bob", 1)})
    eq(c.call("XAUTOCLAIM", "s", "g", "carol", "0", "(4-0"),
       ["0-0", [["5-0", ["f", "v5"]], ["6-0", ["f", "v6"]]], []])
    # the default COUNT is 100; the scan examines at most 10 * COUNT entries
    eq(c.call("XAUTOCLAIM", "s", "g", "dave", "9999999", "-", "COUNT", "1"), ["0-0", [], []])


def test_xautoclaim_errors(t):
    c = t.conn()
    setup(c, n=1)
    is_err(c.call("XAUTOCLAIM", "s", "nog", "c", "0", "0"), nogroup("s", "nog"))
    is_err(c.call("XAUTOCLAIM", "nokey", "g", "c", "0", "0"), nogroup("nokey", "g"))
    is_err(c.call("XAUTOCLAIM", "s", "g", "c", "x", "0"),
           "ERR Invalid min-idle-time argument for XAUTOCLAIM")
    is_err(c.call("XAUTOCLAIM", "s", "g", "c", "0", "x"), INVALID_ID)
    is_err(c.call("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"), "ERR COUNT must be > 0")
    is_err(c.call("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "x"), "ERR COUNT must be > 0")
    is_err(c.call("XAUTOCLAIM", "s", "g", "c", "0", "0", "FOO"), SYNTAX)
    is_err(c.call("XAUTOCLAIM", "s", "g", "c", "0", "(18446744073709551615-18446744073709551615"),
           "ERR invalid start ID for the interval")
    # argument errors come before the key check
    is_err(c.call("XAUTOCLAIM", "nokey", "g", "c", "0", "0", "COUNT", "0"),
           "ERR COUNT must be > 0")


# --------------------------------------------------------------------------
# XNACK and XREADGROUP CLAIM
# --------------------------------------------------------------------------

@needs_version(8, 8, "XNACK")
def test_xnack_modes_and_counts(t):
    c = t.conn()
    setup(c, n=5)
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    c.call("XCLAIM", "s", "g", "alice", "0", "1-0", "2-0", "3-0", "RETRYCOUNT", "4", "JUSTID")
    eq(c.call("XNACK", "s", "g", "SILENT", "IDS", "1", "1-0"), 1)
    eq(c.call("XNACK", "s", "g", "fail", "IDS", "2", "2-0", "99-0"), 1)
    eq(c.call("XNACK", "s", "g", "FATAL", "IDS", "1", "3-0"), 1)
    eq(c.call("XNACK", "s", "g", "FAIL", "IDS", "1", "4-0", "RETRYCOUNT", "7"), 1)
    pend = {p[0]: p for p in pending_ext(c)}
    eq(pend["1-0"], ["1-0", "", -1, 3])
    eq(pend["2-0"], ["2-0", "", -1, 4])
    eq(pend["3-0"], ["3-0", "", -1, 9223372036854775807])
    eq(pend["4-0"], ["4-0", "", -1, 7])
    eq(pend["5-0"][1], "alice")
    eq(c.call("XPENDING", "s", "g"), [5, "1-0", "5-0", [["alice", "1"]]])
    eq(pairs(c.call("XINFO", "CONSUMERS", "s", "g")[0])["pending"], 1)
    # SILENT never goes below zero
    c.call("XCLAIM", "s", "g", "alice", "0", "5-0", "RETRYCOUNT", "0", "JUSTID")
    c.call("XNACK", "s", "g", "SILENT", "IDS", "1", "5-0")
    eq(c.call("XPENDING", "s", "g", "5-0", "5-0", "1")[0][3], 0)
    # FORCE creates unowned entries for stream entries not pending yet
    c.call("XACK", "s", "g", "1-0")
    eq(c.call("XNACK", "s", "g", "FAIL", "IDS", "2", "1-0", "77-0", "FORCE"), 1)
    eq(c.call("XPENDING", "s", "g", "1-0", "1-0", "1"), [["1-0", "", -1, 0]])
    c.call("XACK", "s", "g", "1-0")
    c.call("XNACK", "s", "g", "FATAL", "IDS", "1", "1-0", "FORCE")
    eq(c.call("XPENDING", "s", "g", "1-0", "1-0", "1")[0][3], 9223372036854775807)
    c.call("XACK", "s", "g", "1-0")
    c.call("XNACK", "s", "g", "SILENT", "IDS", "1", "1-0", "RETRYCOUNT", "3", "FORCE")
    eq(c.call("XPENDING", "s", "g", "1-0", "1-0", "1")[0][3], 3)
    full = pairs(c.call("XINFO", "STREAM", "s", "FULL"))
    grp = pairs(full["groups"][0])
    eq(list(grp.keys()), ["name", "last-delivered-id", "entries-read", "lag", "pel-count",
                          "nacked-count", "pending", "consumers"])
    eq((grp["pel-count"], grp["nacked-count"]), (5, 5))
    eq([p[1] for p in grp["pending"]], ["", "", "", "", ""])
    eq([p[2] for p in grp["pending"]], [0, 0, 0, 0, 0])


@needs_version(8, 8, "XNACK")
def test_xnack_errors(t):
    c = t.conn()
    setup(c, n=1)
    c.call("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    is_err(c.call("XNACK", "s", "g", "BAD", "IDS", "1", "1-0"),
           prefix="ERR ", text=None)
    ok("mode must be SILENT, FAIL, or FATAL" in c.call("XNACK", "s", "g", "BAD", "IDS", "1",
                                                        "1-0"), "mode error text")
    ok("expected IDS keyword" in c.call("XNACK", "s", "g", "FAIL", "ID", "1", "1-0"),
       "IDS keyword error text")
    ok("Unrecognized XNACK option 'FOO'" in c.call("XNACK", "s", "g", "FAIL", "IDS", "1", "1-0",
                                                    "FOO"), "option error text")
    is_err(c.call("XNACK", "s", "g", "FAIL", "IDS", "0", "1-0"),
           "ERR Number of IDs must be a positive integer")
    is_err(c.call("XNACK", "s", "g", "FAIL", "IDS", "2", "1-0"),
           "ERR The `numids` parameter must match the number of arguments")
    is_err(c.call("XNACK", "s", "g", "FAIL", "IDS", "1", "bad"), INVALID_ID)
    is_err(c.call("XNACK", "s", "g", "FAIL", "IDS", "1", "1-0", "RETRYCOUNT", "x"), NOT_INT)
    is_err(c.call("XNACK", "s", "nog", "FAIL", "IDS", "1", "1-0"), nogroup("s", "nog"))
    is_err(c.call("XNACK", "nokey", "g", "FAIL", "IDS", "1", "1-0"), nogroup("nokey", "g"))
    is_err(c.call("XNACK", "s", "g", "FAIL", "IDS", "1"),
           "ERR wrong number of arguments for 'xnack' command")
    eq(c.call("XPENDING", "s", "g", "-", "+", "1")[0][1], "a", "failed calls change nothing")


@needs_version(8, 4, "XREADGROUP CLAIM")
def test_xreadgroup_claim(t):
    c = t.conn()
    setup(c, n=4)
    c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
    c.call("XCLAIM", "s", "g", "alice", "0", "1-0", "IDLE", "20000", "JUSTID")
    c.call("XCLAIM", "s", "g", "alice", "0", "2-0", "IDLE", "50000", "JUSTID")
    c.ok_call("XADD", "s", "5-0", "f", "v5")
    r = c.call("XREADGROUP", "GROUP", "g", "bob", "CLAIM", "10000", "STREAMS", "s", ">")
    entries = r[0][1]
    # the longest idle first, then new entries with "0" "0"
    eq([e[0] for e in entries], ["2-0", "1-0", "4-0", "5-0"])
    eq([len(e) for e in entries], [4, 4, 4, 4])
    ok(50000 <= int(entries[0][2]) < 60000 and int(entries[1][2]) >= 20000, "idle %r" % entries)
    eq([e[3] for e in entries], ["1", "1", "0", "0"])
    eq(entries[2][1], ["f", "v4"])
    raw = c.call_raw("XREADGROUP", "GROUP", "g", "bob", "CLAIM", "0", "COUNT", "1", "STREAMS",
                     "s", ">")
    ok(raw.startswith(b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*4\r\n$3\r\n3-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv3"
                      b"\r\n$"), "claimed idle and count are bulk strings: %r" % raw)
    pend = {p[0]: (p[1], p[3]) for p in pending_ext(c)}
    eq(pend, {"1-0": ("bob", 2), "2-0": ("bob", 2), "3-0": ("bob", 2), "4-0": ("bob", 1),
              "5-0": ("bob", 1)})
    # history reads ignore CLAIM
    r = c.call("XREADGROUP", "GROUP", "g", "bob", "CLAIM", "0", "COUNT", "1", "STREAMS", "s", "0")
    eq(r, [["s", [["1-0", ["f", "v1"]]]]])


@needs_version(8, 8, "XNACK")
def test_xreadgroup_claim_nacked_first_and_noack(t):
    c = t.conn()
    setup(c, n=4)
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    c.call("XCLAIM", "s", "g", "alice", "0", "1-0", "IDLE", "90000", "JUSTID")
    c.call("XNACK", "s", "g", "FAIL", "IDS", "2", "4-0", "3-0")
    # without CLAIM, ">" only reads new entries: NACKed ones wait for a claim
    eq(c.call_raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"), b"*-1\r\n")
    c.ok_call("XADD", "s", "6-0", "f", "v6")
    r = c.call("XREADGROUP", "GROUP", "g", "bob", "CLAIM", "60000", "NOACK", "STREAMS", "s", ">")
    entries = r[0][1]
    eq([e[0] for e in entries], ["4-0", "3-0", "1-0", "6-0"], "NACK zone in release order first")
    eq([(e[2], e[3]) for e in entries[:2]], [("-1", "1"), ("-1", "1")])
    pend = {p[0]: p[1] for p in pending_ext(c)}
    eq(pend, {"1-0": "bob", "2-0": "alice", "3-0": "bob", "4-0": "bob"},
       "NOACK does not apply to claimed entries; the new 6-0 is not pending")
    full = pairs(c.call("XINFO", "STREAM", "s", "FULL"))
    eq(pairs(full["groups"][0])["nacked-count"], 0)


@needs_version(8, 4, "XREADGROUP CLAIM")
@timeout(30)
def test_blocking_xreadgroup_claim_woken_by_xadd(t):
    c = t.conn()
    setup(c, n=1)
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    w = t.conn()
    w.send_cmd("XREADGROUP", "GROUP", "g", "bob", "CLAIM", "100000", "BLOCK", "0", "STREAMS",
               "s", ">")
    wait_blocked(t, 1)
    c.call("XCLAIM", "s", "g", "alice", "0", "1-0", "IDLE", "200000", "JUSTID")
    c.ok_call("XADD", "s", "2-0", "f", "v2")
    r = w.read()
    eq([e[0] for e in r[0][1]], ["1-0", "2-0"])


# --------------------------------------------------------------------------
# XINFO
# --------------------------------------------------------------------------

def test_xinfo_groups_lag_and_entries_read(t):
    c = t.conn()
    setup(c, n=5)
    raw = c.call_raw("XINFO", "GROUPS", "s")
    eq(raw, b"*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n"
            b":0\r\n$17\r\nlast-delivered-id\r\n$3\r\n0-0\r\n$12\r\nentries-read\r\n$-1\r\n"
            b"$3\r\nlag\r\n:5\r\n")
    c.call("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">")
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq((g["entries-read"], g["lag"]), (2, 3))
    # a deletion ahead of the group makes the lag unknown until it catches up
    c.call("XDEL", "s", "4-0")
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq((g["entries-read"], g["lag"]), (2, None))
    c.call("XREADGROUP", "GROUP", "g", "a", "COUNT", "1", "STREAMS", "s", ">")
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq((g["last-delivered-id"], g["lag"]), ("3-0", None))
    c.call("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq((g["last-delivered-id"], g["entries-read"], g["lag"]), ("5-0", 5, 0))
    c.ok_call("XADD", "s", "6-0", "f", "v")
    g = pairs(c.call("XINFO", "GROUPS", "s")[0])
    eq((g["entries-read"], g["lag"]), (5, 1))
    c3 = t.conn()
    c3.call("HELLO", "3")
    r = c3.call("XINFO", "GROUPS", "s")
    eq(list(r[0].keys()), ["name", "consumers", "pending", "last-delivered-id", "entries-read",
                           "lag"])
    is_err(c.call("XINFO", "GROUPS", "nokey"), "ERR no such key")
    c.call("SET", "str", "x")
    is_err(c.call("XINFO", "GROUPS", "str"), WRONGTYPE)


def test_xinfo_consumers_idle_and_inactive(t):
    c = t.conn()
    setup(c, n=2)
    c.call("XGROUP", "CREATECONSUMER", "s", "g", "idle-one")
    c.call("XREADGROUP", "GROUP", "g", "reader", "STREAMS", "s", ">")
    r = [pairs(x) for x in c.call("XINFO", "CONSUMERS", "s", "g")]
    eq([x["name"] for x in r], ["idle-one", "reader"])
    eq(list(r[0].keys()), ["name", "pending", "idle", "inactive"])
    eq((r[0]["pending"], r[0]["inactive"]), (0, -1))
    eq(r[1]["pending"], 2)
    ok(0 <= r[1]["idle"] < 5000 and 0 <= r[1]["inactive"] < 5000, "times %r" % r[1])
    is_err(c.call("XINFO", "CONSUMERS", "s", "nog"), nogroup_for_key("nog", "s"))
    is_err(c.call("XINFO", "CONSUMERS", "nokey", "g"), "ERR no such key")
    full = pairs(c.call("XINFO", "STREAM", "s", "FULL"))
    cons = [pairs(x) for x in pairs(full["groups"][0])["consumers"]]
    eq(list(cons[1].keys()), ["name", "seen-time", "active-time", "pel-count", "pending"])
    eq(cons[0]["active-time"], -1)
    eq(cons[1]["pel-count"], 2)
    eq([p[0] for p in cons[1]["pending"]], ["1-0", "2-0"])
    eq([p[2] for p in cons[1]["pending"]], [1, 1])


def test_xinfo_stream_full_counts(t):
    c = t.conn()
    setup(c, n=5)
    for name in ("a", "b", "c"):
        c.call("XREADGROUP", "GROUP", "g", name, "COUNT", "1", "STREAMS", "s", ">")
    full = pairs(c.call("XINFO", "STREAM", "s", "FULL", "COUNT", "2"))
    g = pairs(full["groups"][0])
    # COUNT caps entries and PELs but every consumer is listed (Redis 7.0+).
    eq((g["pel-count"], len(g["pending"]), len(g["consumers"])), (3, 2, 3))
    eq([p[1] for p in g["pending"]], ["a", "b"])
    full = pairs(c.call("XINFO", "STREAM", "s", "FULL", "COUNT", "0"))
    g = pairs(full["groups"][0])
    eq((len(g["pending"]), len(g["consumers"])), (3, 3))
    eq((g["entries-read"], g["lag"]), (3, 2))
    eq(pairs(c.call("XINFO", "STREAM", "s"))["groups"], 1)


# --------------------------------------------------------------------------
# real clients, COPY
# --------------------------------------------------------------------------

def test_redis_py_consumer_group_flow(t):
    r = t.r
    r.xgroup_create("jobs", "workers", id="$", mkstream=True)
    ids = [r.xadd("jobs", {"n": str(i)}) for i in range(5)]
    got = r.xreadgroup("workers", "w1", {"jobs": ">"}, count=3)
    eq([m[0] for m in got[0][1]], ids[:3])
    got = r.xreadgroup("workers", "w2", {"jobs": ">"}, block=100)
    eq([m[0] for m in got[0][1]], ids[3:])
    eq(r.xack("jobs", "workers", ids[0]), 1)
    summary = r.xpending("jobs", "workers")
    eq(summary["pending"], 4)
    eq(summary["consumers"], [{"name": "w1", "pending": 2}, {"name": "w2", "pending": 2}])
    rng = r.xpending_range("jobs", "workers", "-", "+", 10, consumername="w2")
    eq([x["message_id"] for x in rng], ids[3:])
    eq([x["times_delivered"] for x in rng], [1, 1])
    claimed = r.xclaim("jobs", "workers", "w3", 0, [ids[1]], justid=True)
    eq(claimed, [ids[1]])
    auto = r.xautoclaim("jobs", "workers", "w4", 0, start_id="0-0", count=2)
    eq(auto[0], ids[3])
    eq([m[0] for m in auto[1]], ids[1:3])
    groups = r.xinfo_groups("jobs")
    eq((groups[0]["name"], groups[0]["pending"], groups[0]["lag"]), ("workers", 4, 0))
    names = [x["name"] for x in r.xinfo_consumers("jobs", "workers")]
    eq(names, ["w1", "w2", "w3", "w4"])
    eq(r.xgroup_delconsumer("jobs", "workers", "w4"), 2)
    eq(r.xgroup_destroy("jobs", "workers"), 1)


def test_copy_duplicates_groups(t):
    c = t.conn()
    setup(c, n=3)
    c.call("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">")
    eq(c.call("COPY", "s", "s2"), 1)
    eq(c.call("XACK", "s", "g", "1-0", "2-0"), 2)
    eq(c.call("XPENDING", "s2", "g")[0], 2, "the copy has its own PEL")
    r = c.call("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s2", ">")
    eq([e[0] for e in r[0][1]], ["3-0"])
    eq(c.call("XPENDING", "s", "g")[0], 0)


def test_rename_keeps_groups(t):
    c = t.conn()
    setup(c, n=2)
    c.call("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    eq(c.call("RENAME", "s", "moved"), "OK")
    eq(c.call("XPENDING", "moved", "g")[0], 2)
    eq(c.call("XACK", "moved", "g", "1-0"), 1)


# --------------------------------------------------------------------------
# replay forms and AOF
# --------------------------------------------------------------------------

def group_state(c, key):
    """Everything of XINFO STREAM FULL's groups that a replay must keep
    (consumer seen/active times are not kept by Redis either)."""
    out = []
    for g in pairs(c.call("XINFO", "STREAM", key, "FULL", "COUNT", "0"))["groups"]:
        g = pairs(g)
        cons = [(x["name"], x["pel-count"], x["pending"]) for x in map(pairs, g["consumers"])]
        out.append((g["name"], g["last-delivered-id"], g["entries-read"], g["lag"],
                    g["pel-count"], g["nacked-count"], g["pending"], cons))
    return out


def make_history(c, key="s"):
    """A group state with owned, NACKed, FORCEd and re-delivered entries."""
    setup(c, key=key, n=8)
    c.call("XGROUP", "CREATE", key, "other", "$")
    c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", key, ">")
    c.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", key, ">")
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", key, "0")
    c.call("XCLAIM", key, "g", "carol", "0", "2-0", "IDLE", "5000", "RETRYCOUNT", "6")
    c.call("XNACK", key, "g", "SILENT", "IDS", "2", "4-0", "1-0")
    c.call("XNACK", key, "g", "FATAL", "IDS", "1", "7-0", "FORCE")
    c.call("XGROUP", "CREATECONSUMER", key, "g", "dave")
    c.call("XREADGROUP", "GROUP", "g", "erin", "NOACK", "COUNT", "1", "STREAMS", key, ">")
    c.call("XACK", key, "g", "3-0")


def test_replay_forms_rebuild_the_groups(t):
    """The commands the server propagates (and an AOF rewrite emits)
    rebuild a group exactly: XGROUP CREATE ... ENTRIESREAD, XCLAIM ...
    TIME RETRYCOUNT FORCE JUSTID LASTID, XNACK ... RETRYCOUNT FORCE."""
    c = t.conn()
    make_history(c, "s")
    for i in range(1, 9):
        c.ok_call("XADD", "copy", "%d-0" % i, "f", "v%d" % i)
    for g in c.call("XINFO", "STREAM", "s", "FULL", "COUNT", "0")[-1]:
        g = pairs(g)
        c.ok_call("XGROUP", "CREATE", "copy", g["name"], g["last-delivered-id"], "ENTRIESREAD",
                  -1 if g["entries-read"] is None else g["entries-read"])
        for cons in map(pairs, g["consumers"]):
            if not cons["pending"]:
                c.ok_call("XGROUP", "CREATECONSUMER", "copy", g["name"], cons["name"])
            for pid, ptime, pcount in cons["pending"]:
                c.ok_call("XCLAIM", "copy", g["name"], cons["name"], "0", pid, "TIME", ptime,
                          "RETRYCOUNT", pcount, "FORCE", "JUSTID", "LASTID",
                          g["last-delivered-id"])
        # unowned entries (XNACK); the NACK zone order itself is covered by
        # the unit test of the rewrite form
        for pid, owner, _, pcount in g["pending"]:
            if owner == "":
                c.ok_call("XNACK", "copy", g["name"], "FAIL", "IDS", "1", pid, "RETRYCOUNT",
                          pcount, "FORCE")
    eq(group_state(c, "copy"), group_state(c, "s"))


@timeout(60)
def test_aof_replay_reproduces_groups(t):
    srv = t.spawn(["--appendonly", "yes"])
    c = t.conn(server=srv)
    make_history(c, "s")
    before = group_state(c, "s")
    if not os.path.isdir(os.path.join(srv.dir, "appendonlydir")):
        raise NotApplicable("the server writes no AOF yet")
    c.close()
    srv.stop()
    srv.start()
    c = t.conn(server=srv)
    eq(group_state(c, "s"), before)


@needs_version(8, 8, "XNACK")
@timeout(30)
def test_blocked_claim_reader_gets_nacked_entry(t):
    c = t.conn()
    setup(c, n=1)
    c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    w = t.conn()
    w.send_cmd("XREADGROUP", "GROUP", "g", "bob", "CLAIM", "3600000", "BLOCK", "0", "STREAMS",
               "s", ">")
    wait_blocked(t, 1)
    eq(c.call("XNACK", "s", "g", "FAIL", "IDS", "1", "1-0"), 1)
    r = w.read()
    eq([(e[0], e[2], e[3]) for e in r[0][1]], [("1-0", "-1", "1")])
    eq(c.call("XPENDING", "s", "g", "-", "+", "1")[0][1], "bob")


def test_pipelined_xadds_are_served_to_blocked_consumers_one_by_one(t):
    """As in Redis, blocked clients are served after each command: two
    XADDs pipelined in one write reach two blocked consumers of the same
    group one entry each (not both to the first)."""
    p = t.conn()
    p.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    a, b = t.conn(), t.conn()
    a.send(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\na\r\n$5\r\nBLOCK\r\n"
           b"$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n")
    wait_for(lambda: int(t.info("clients")[None]["blocked_clients"]) == 1, what="a blocked")
    b.send(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nb\r\n$5\r\nBLOCK\r\n"
           b"$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n")
    wait_for(lambda: int(t.info("clients")[None]["blocked_clients"]) == 2, what="b blocked")
    p.send(b"*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$3\r\n1-1\r\n$1\r\nf\r\n$1\r\n1\r\n"
           b"*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$3\r\n1-2\r\n$1\r\nf\r\n$1\r\n2\r\n")
    eq([p.read(), p.read()], ["1-1", "1-2"], "both XADDs")
    ra, rb = a.read(), b.read()
    eq(len(ra[0][1]), 1, "the first consumer got one entry: %r" % (ra,))
    eq(len(rb[0][1]), 1, "the second consumer got the other: %r" % (rb,))
    eq(sorted([ra[0][1][0][0], rb[0][1][0][0]]), ["1-1", "1-2"], "one entry each")
