"""Streams engine (issue 3): XADD, XLEN, XRANGE/XREVRANGE, XDEL, XDELEX,
XTRIM, XSETID, XREAD (blocking too), XINFO STREAM / HELP, streams under
the generic keyspace commands, RESP2/RESP3 reply shapes, big and binary
entries, pipelines.

Expectations are Redis 8.8's.  Tests of behaviour that older Redis
releases lack carry @needs_version, so the same file can be pointed at a
real redis-server (--bin /usr/bin/redis-server) to check the
expectations themselves.  Consumer-group commands are not covered here.
"""

import socket
import threading

from harness import Err, Map, eq, encode_command, is_err, needs_streams, needs_version, ok, wait_for

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
TOP_ITEM = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
ZERO_ID = "ERR The ID specified in XADD must be greater than 0-0"
EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
XADD_ARITY = "ERR wrong number of arguments for 'xadd' command"
MAXLEN_MINID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
LIMIT_NO_TILDE = "ERR syntax error, LIMIT cannot be used without the special ~ option"
LIMIT_NO_STRATEGY = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
MAX_ID = "18446744073709551615-18446744073709551615"

# XINFO STREAM field names in Redis 8.8's order (idmp-reference.md section 7).
HEAD_FIELDS = ["length", "radix-tree-keys", "radix-tree-nodes", "last-generated-id",
               "max-deleted-entry-id", "entries-added", "recorded-first-entry-id",
               "idmp-duration", "idmp-maxsize", "pids-tracked", "iids-tracked", "iids-added",
               "iids-duplicates"]
PLAIN_FIELDS = HEAD_FIELDS + ["groups", "first-entry", "last-entry"]
FULL_FIELDS = HEAD_FIELDS + ["entries", "groups"]


# ---------------------------------------------------------------- helpers

def pairs(reply):
    """A RESP2 flat key/value array as a dict (order kept)."""
    ok(isinstance(reply, list) and len(reply) % 2 == 0, "not a flat key/value array: %r" % (reply,))
    return dict(zip(reply[0::2], reply[1::2]))


def xinfo(c, key, *extra):
    r = c.call("XINFO", "STREAM", key, *extra)
    ok(not isinstance(r, Err), "XINFO STREAM %s: %s" % (key, r))
    return pairs(r)


def state(c, key):
    """Everything observable about a stream (None when the key is missing):
    every XINFO STREAM FULL field and all entries."""
    if c.call("EXISTS", key) == 0:
        return None
    return c.call("XINFO", "STREAM", key, "FULL", "COUNT", "0")


def bad(c, key, args, text):
    """args must fail with exactly text and leave key unchanged."""
    before = state(c, key)
    is_err(c.call(*args), text, what=" ".join(str(a) for a in args))
    eq(state(c, key), before, "stream after failed %s" % " ".join(str(a) for a in args))


def ids_of(entries):
    return [e[0] for e in entries]


def fill(c, key, n, start=1):
    """Entries start-0 .. (start+n-1)-0 with field f = the ms part."""
    for i in range(start, start + n):
        eq(c.call("XADD", key, "%d-0" % i, "f", str(i)), "%d-0" % i)


def blocked_clients(t):
    return int(t.info("clients")[None]["blocked_clients"])


def wait_blocked(t, n):
    wait_for(lambda: blocked_clients(t) == n, what="%d blocked clients" % n)


def node_entries(t, n):
    """CONFIG SET stream-node-max-entries for this test only."""
    c = t.conn()
    old = c.call("CONFIG", "GET", "stream-node-max-entries")[1]
    eq(c.call("CONFIG", "SET", "stream-node-max-entries", str(n)), "OK")
    t.defer(t.call, "CONFIG", "SET", "stream-node-max-entries", old)


def still_blocked(t, c, n=1):
    """c sent a blocking command: no reply is pending and the server counts
    n blocked clients.  A PING from another client makes sure every command
    sent before it was processed."""
    eq(t.call("PING"), "PONG")
    eq(blocked_clients(t), n, "blocked clients")
    c.settimeout(0.05)
    try:
        data = c.sock.recv(1, socket.MSG_PEEK)
    except socket.timeout:
        data = b""
    finally:
        c.settimeout(10)
    eq(data, b"", "a blocked client must not have received anything")


# ---------------------------------------------------------------- XADD

@needs_streams
def test_xadd_explicit_and_partial_ids(t):
    c = t.conn()
    eq(c.call("XADD", "s", "1-1", "a", "1"), "1-1")
    eq(c.call("XADD", "s", "1-*", "b", "2"), "1-2", "ms-* after the same ms continues the seq")
    eq(c.call("XADD", "s", "5", "c", "3"), "5-0", "a bare ms means ms-0")
    eq(c.call("XADD", "s", "7-*", "d", "4"), "7-0", "ms-* with a newer ms starts at 0")
    eq(c.call("XADD", "s", "00010-0", "e", "5"), "10-0", "leading zeros are accepted")
    eq(c.call("XADD", "s", "12-001", "g", "6"), "12-1")
    eq(c.call("XADD", "s", "18446744073709551615", "h", "7"), "18446744073709551615-0")
    eq(c.call("XLEN", "s"), 7)
    eq(ids_of(c.call("XRANGE", "s", "-", "+")),
       ["1-1", "1-2", "5-0", "7-0", "10-0", "12-1", "18446744073709551615-0"])
    eq(c.call("XADD", "z", "0-*", "f", "v"), "0-1", "0-* on a new stream gives 0-1")
    eq(c.call("XADD", "z", "0-*", "f", "v"), "0-2")


@needs_streams
def test_xadd_auto_ids(t):
    c = t.conn()
    now = int(c.call("TIME")[0]) * 1000
    first = c.call("XADD", "s", "*", "f", "v")
    ms, seq = (int(x) for x in first.split("-"))
    ok(abs(ms - now) < 60000, "* uses the server clock: %s vs %d" % (first, now))
    last = (ms, seq)
    for _ in range(200):
        ms, seq = (int(x) for x in c.call("XADD", "s", "*", "f", "v").split("-"))
        ok((ms, seq) > last, "auto IDs increase: %r after %r" % ((ms, seq), last))
        last = (ms, seq)
    # a stream whose top item lies in the future: * continues its sequence
    far = now + 10 ** 9
    eq(c.call("XADD", "f", "%d-5" % far, "f", "v"), "%d-5" % far)
    eq(c.call("XADD", "f", "*", "f", "v"), "%d-6" % far)
    eq(c.call("XADD", "f", "%d-*" % far, "f", "v"), "%d-7" % far)
    # the top seq is at its maximum: * moves to the next ms
    eq(c.call("XADD", "g", "5-18446744073709551615", "f", "v"), "5-18446744073709551615")
    eq(c.call("XSETID", "g", "%d-18446744073709551615" % far), "OK")
    eq(c.call("XADD", "g", "*", "f", "v"), "%d-0" % (far + 1))


@needs_streams
def test_xadd_id_errors_leave_stream_unchanged(t):
    c = t.conn()
    c.call("XADD", "s", "5-5", "f", "v")
    for args, text in [
        (("XADD", "s", "5-5", "f", "v"), TOP_ITEM),
        (("XADD", "s", "5-4", "f", "v"), TOP_ITEM),
        (("XADD", "s", "4", "f", "v"), TOP_ITEM),
        (("XADD", "s", "4-*", "f", "v"), TOP_ITEM),
        (("XADD", "s", "0-0", "f", "v"), ZERO_ID),
        (("XADD", "s", "0", "f", "v"), ZERO_ID),
        (("XADD", "s", "1-2-*", "f", "v"), INVALID_ID),
        (("XADD", "s", "+", "f", "v"), INVALID_ID),
        (("XADD", "s", "-", "f", "v"), INVALID_ID),
        (("XADD", "s", "abc", "f", "v"), INVALID_ID),
        (("XADD", "s", "6-x", "f", "v"), INVALID_ID),
        (("XADD", "s", "-7", "f", "v"), INVALID_ID),
        (("XADD", "s", "8-", "f", "v"), INVALID_ID),
        (("XADD", "s", "18446744073709551616-0", "f", "v"), INVALID_ID),
        (("XADD", "s", "9-18446744073709551616", "f", "v"), INVALID_ID),
        (("XADD", "s", "1" * 128, "f", "v"), INVALID_ID),
        (("XADD", "s", "*-*", "f", "v"), INVALID_ID),
    ]:
        bad(c, "s", args, text)
    bad(c, "new", ("XADD", "new", "0-0", "f", "v"), ZERO_ID)
    eq(c.call("EXISTS", "new"), 0, "a failed XADD creates no key")


@needs_streams
def test_xadd_wrong_number_of_arguments(t):
    c = t.conn()
    c.call("XADD", "s", "1-0", "f", "v")
    for args in [("XADD", "s", "*"), ("XADD", "s", "*", "f"), ("XADD", "s", "2-0", "f", "v", "g"),
                 ("XADD", "s", "MAXLEN", "5", "*", "f"), ("XADD", "s", "MAXLEN", "5"),
                 ("XADD", "s", "NOMKSTREAM", "*", "a", "1", "b"), ("XADD", "s"), ("XADD",)]:
        bad(c, "s", args, XADD_ARITY)
    bad(c, "n", ("XADD", "n", "*", "f", "v", "g"), XADD_ARITY)
    eq(c.call("EXISTS", "n"), 0)


@needs_streams
def test_xadd_exhausted_id_space(t):
    c = t.conn()
    eq(c.call("XADD", "s", MAX_ID, "f", "v"), MAX_ID, "the greatest ID is a valid explicit ID")
    bad(c, "s", ("XADD", "s", "*", "f", "v"), EXHAUSTED)
    bad(c, "s", ("XADD", "s", "18446744073709551615-*", "f", "v"), EXHAUSTED)
    bad(c, "s", ("XADD", "s", "1-*", "f", "v"), EXHAUSTED)
    # reached through XSETID on a stream with ordinary entries
    c.call("XADD", "t", "1-0", "f", "v")
    eq(c.call("XSETID", "t", MAX_ID), "OK")
    eq(xinfo(c, "t")["last-generated-id"], MAX_ID)
    bad(c, "t", ("XADD", "t", "*", "f", "v"), EXHAUSTED)
    bad(c, "t", ("XADD", "t", "MAXLEN", "0", "*", "f", "v"), EXHAUSTED)
    eq(c.call("XLEN", "t"), 1)


@needs_streams
def test_xadd_trim_options_errors(t):
    c = t.conn()
    fill(c, "s", 3)
    for args, text in [
        (("XADD", "s", "MAXLEN", "-1", "*", "f", "v"), "ERR The MAXLEN argument must be >= 0."),
        (("XADD", "s", "MAXLEN", "~", "-5", "*", "f", "v"), "ERR The MAXLEN argument must be >= 0."),
        (("XADD", "s", "MAXLEN", "abc", "*", "f", "v"), NOT_INT),
        (("XADD", "s", "MAXLEN", "1.5", "*", "f", "v"), NOT_INT),
        (("XADD", "s", "MAXLEN", "~", "*", "f", "v"), NOT_INT),
        (("XADD", "s", "MAXLEN", "10", "LIMIT", "5", "*", "f", "v"), LIMIT_NO_TILDE),
        (("XADD", "s", "MAXLEN", "=", "10", "LIMIT", "5", "*", "f", "v"), LIMIT_NO_TILDE),
        (("XADD", "s", "LIMIT", "5", "*", "f", "v"), LIMIT_NO_STRATEGY),
        (("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "-1", "*", "f", "v"),
         "ERR The LIMIT argument must be >= 0."),
        (("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "x", "*", "f", "v"), NOT_INT),
        (("XADD", "s", "MAXLEN", "1", "MINID", "0", "*", "f", "v"), MAXLEN_MINID),
        (("XADD", "s", "MINID", "0", "MAXLEN", "1", "*", "f", "v"), MAXLEN_MINID),
        (("XADD", "s", "MAXLEN", "1", "MAXLEN", "2", "*", "f", "v"), MAXLEN_MINID),
        (("XADD", "s", "MINID", "1", "MINID", "2", "*", "f", "v"), MAXLEN_MINID),
        (("XADD", "s", "MINID", "abc", "*", "f", "v"), INVALID_ID),
        (("XADD", "s", "MINID", "-", "*", "f", "v"), INVALID_ID),
        (("XADD", "s", "FOO", "f", "v"), INVALID_ID),
    ]:
        bad(c, "s", args, text)
    bad(c, "n", ("XADD", "n", "MAXLEN", "-1", "*", "f", "v"), "ERR The MAXLEN argument must be >= 0.")
    eq(c.call("EXISTS", "n"), 0)


@needs_streams
def test_xadd_maxlen_and_minid_trimming(t):
    c = t.conn()
    fill(c, "s", 10)
    eq(c.call("XADD", "s", "MAXLEN", "5", "11-0", "f", "11"), "11-0")
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), ["7-0", "8-0", "9-0", "10-0", "11-0"])
    eq(c.call("XADD", "s", "maxlen", "=", "3", "12-0", "f", "12"), "12-0", "tokens are case-insensitive")
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), ["10-0", "11-0", "12-0"])
    eq(c.call("XADD", "s", "MINID", "12", "13-0", "f", "13"), "13-0")
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), ["12-0", "13-0"])
    eq(c.call("XADD", "s", "MINID", "=", "14-0", "14-0", "f", "14"), "14-0")
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), ["14-0"])
    eq(c.call("XADD", "s", "MAXLEN", "0", "15-0", "f", "15"), "15-0", "MAXLEN 0 drops the new entry too")
    eq(c.call("XLEN", "s"), 0)
    info = xinfo(c, "s")
    eq(info["last-generated-id"], "15-0")
    eq(info["entries-added"], 15)
    eq(info["max-deleted-entry-id"], "0-0", "trimming does not record a deleted ID")
    eq(info["first-entry"], None)
    eq(c.call("EXISTS", "s"), 1, "an emptied stream stays")


@needs_streams
def test_xadd_approximate_trimming_removes_whole_nodes(t):
    node_entries(t, 10)
    c = t.conn()
    fill(c, "s", 100)
    eq(c.call("XADD", "s", "MAXLEN", "~", "55", "101-0", "f", "v"), "101-0")
    eq(c.call("XLEN", "s"), 61, "only whole nodes of 10 go (never below the threshold)")
    eq(c.call("XRANGE", "s", "-", "+", "COUNT", "1")[0][0], "41-0")
    eq(c.call("XADD", "s", "MAXLEN", "~", "0", "LIMIT", "15", "102-0", "f", "v"), "102-0")
    eq(c.call("XLEN", "s"), 52, "LIMIT 15 lets one node of 10 go")
    eq(c.call("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "0", "103-0", "f", "v"), "103-0")
    eq(c.call("XLEN", "s"), 13, "LIMIT 0 means no limit: four whole nodes go")
    eq(c.call("XADD", "s", "MINID", "~", "102", "104-0", "f", "v"), "104-0")
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), ["101-0", "102-0", "103-0", "104-0"],
       "the node holding the threshold stays whole")


@needs_streams
def test_xadd_nomkstream(t):
    c = t.conn(decode=False)
    eq(c.call_raw("XADD", "missing", "NOMKSTREAM", "*", "f", "v"), b"$-1\r\n")
    eq(c.call("EXISTS", "missing"), 0)
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    eq(c3.call_raw("XADD", "missing", "NOMKSTREAM", "*", "f", "v"), b"_\r\n")
    eq(c3.call_raw("XADD", "missing", "NOMKSTREAM", "MAXLEN", "0", "1-0", "f", "v"), b"_\r\n")
    eq(c.call("EXISTS", "missing"), 0)
    eq(c.call_raw("XADD", "s", "1-0", "f", "v"), b"$3\r\n1-0\r\n")
    eq(c.call_raw("XADD", "s", "NOMKSTREAM", "2-0", "f", "v"), b"$3\r\n2-0\r\n")
    eq(c.call_raw("XADD", "s", "nomkstream", "NOMKSTREAM", "3-0", "f", "v"), b"$3\r\n3-0\r\n",
       "NOMKSTREAM may repeat")
    eq(c.call_raw("XADD", "s", "MAXLEN", "1", "NOMKSTREAM", "4-0", "f", "v"), b"$3\r\n4-0\r\n",
       "NOMKSTREAM anywhere before the ID")
    eq(c.call("XLEN", "s"), 1)
    c.call("SET", "str", "x")
    is_err(c.call("XADD", "str", "NOMKSTREAM", "*", "f", "v"), WRONGTYPE)
    r = t.r.xadd("missing2", {"f": "v"}, nomkstream=True)
    eq(r, None, "redis-py sees None")


@needs_streams
@needs_version(8, 2, "KEEPREF/DELREF/ACKED")
def test_xadd_reference_policies(t):
    c = t.conn()
    fill(c, "s", 5)
    for pol in ("KEEPREF", "DELREF", "ACKED", "keepref"):
        ok(not isinstance(c.call("XADD", "s", pol, "MAXLEN", "3", "*", "f", "v"), Err), pol)
        eq(c.call("XLEN", "s"), 3, "without groups every policy trims: " + pol)
    ok(not isinstance(c.call("XADD", "s", "MAXLEN", "2", "DELREF", "*", "f", "v"), Err),
       "policy after the trim options")
    eq(c.call("XLEN", "s"), 2)
    for args in [("XADD", "s", "KEEPREF", "KEEPREF", "*", "f", "v"),
                 ("XADD", "s", "ACKED", "DELREF", "*", "f", "v"),
                 ("XADD", "s", "DELREF", "MAXLEN", "1", "KEEPREF", "*", "f", "v")]:
        bad(c, "s", args, INVALID_ID)


@needs_streams
@needs_version(8, 6, "XADD IDMP/IDMPAUTO")
def test_xadd_idmp_parse_errors_leave_stream_unchanged(t):
    c = t.conn()
    c.call("XADD", "s", "IDMP", "p", "i0", "*", "f", "v")
    multi = "ERR syntax error, IDMP/IDMPAUTO specified multiple times"
    for args, text in [
        (("XADD", "s", "IDMP", "p", "i1", "IDMP", "p", "i2", "*", "f", "v"), multi),
        (("XADD", "s", "IDMPAUTO", "p", "IDMP", "p", "i2", "*", "f", "v"), multi),
        (("XADD", "s", "IDMP", "p", "i2", "IDMPAUTO", "p", "*", "f", "v"), multi),
        (("XADD", "s", "IDMPAUTO", "p", "IDMPAUTO", "q", "*", "f", "v"), multi),
        (("XADD", "s", "IDMPAUTO", "", "*", "f", "v"),
         "ERR syntax error, IDMPAUTO requires a non-empty producer ID"),
        (("XADD", "s", "IDMP", "", "i", "*", "f", "v"),
         "ERR syntax error, IDMP requires a non-empty producer ID"),
        (("XADD", "s", "IDMP", "", "", "*", "f", "v"),
         "ERR syntax error, IDMP requires a non-empty producer ID"),
        (("XADD", "s", "IDMP", "p", "", "*", "f", "v"),
         "ERR syntax error, IDMP requires a non-empty idempotent ID"),
        (("XADD", "s", "IDMP", "p", "*", "f", "v"), INVALID_ID),
        (("XADD", "s", "NOMKSTREAM", "IDMP", "p"), INVALID_ID),
        (("XADD", "s", "MAXLEN", "5", "IDMPAUTO"), INVALID_ID),
        (("XADD", "s", "IDMP", "p", "i", "9-0", "f", "v"),
         "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs"),
        (("XADD", "s", "IDMPAUTO", "p", "9-*", "f", "v"),
         "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs"),
        (("XADD", "s", "IDMP", "p", "i", "*", "f"), XADD_ARITY),
        (("XADD", "s", "IDMP", "p", "i"), XADD_ARITY),
        (("XADD", "s", "IDMP", "p", "i", "MAXLEN", "-1", "*", "f", "v"),
         "ERR The MAXLEN argument must be >= 0."),
    ]:
        bad(c, "s", args, text)


@needs_streams
def test_xadd_wrongtype(t):
    c = t.conn()
    c.call("SET", "str", "x")
    is_err(c.call("XADD", "str", "*", "f", "v"), WRONGTYPE)
    is_err(c.call("XADD", "str", "MAXLEN", "0", "*", "f", "v"), WRONGTYPE)
    eq(c.call("GET", "str"), "x")
    # argument errors are reported before the type check
    is_err(c.call("XADD", "str", "0-0", "f", "v"), ZERO_ID)
    is_err(c.call("XADD", "str", "*", "f"), XADD_ARITY)
    is_err(c.call("XADD", "str", "abc", "f", "v"), INVALID_ID)


# ---------------------------------------------------------------- XLEN / XRANGE

@needs_streams
def test_xlen(t):
    c = t.conn()
    eq(c.call("XLEN", "missing"), 0)
    fill(c, "s", 4)
    eq(c.call("XLEN", "s"), 4)
    c.call("XDEL", "s", "2-0")
    eq(c.call("XLEN", "s"), 3)
    c.call("SET", "str", "x")
    is_err(c.call("XLEN", "str"), WRONGTYPE)
    is_err(c.call("XLEN"), "ERR wrong number of arguments for 'xlen' command")
    is_err(c.call("XLEN", "a", "b"), "ERR wrong number of arguments for 'xlen' command")


@needs_streams
def test_xrange_bounds_and_count(t):
    c = t.conn()
    for i in (1, 2):
        for s in (1, 2, 3):
            c.call("XADD", "s", "%d-%d" % (i, s), "f", "%d.%d" % (i, s))
    c.call("XADD", "s", "5-0", "f", "5")
    allids = ["1-1", "1-2", "1-3", "2-1", "2-2", "2-3", "5-0"]
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), allids)
    eq(c.call("XRANGE", "s", "1-2", "1-2"), [["1-2", ["f", "1.2"]]])
    eq(ids_of(c.call("XRANGE", "s", "2", "2")), ["2-1", "2-2", "2-3"], "an incomplete ID spans its ms")
    eq(ids_of(c.call("XRANGE", "s", "2", "+")), ["2-1", "2-2", "2-3", "5-0"])
    eq(ids_of(c.call("XRANGE", "s", "-", "1")), ["1-1", "1-2", "1-3"])
    eq(ids_of(c.call("XRANGE", "s", "(1-3", "(5-0")), ["2-1", "2-2", "2-3"])
    eq(ids_of(c.call("XRANGE", "s", "(1", "+")), allids,
       "(ms excludes ms-0 only")
    eq(ids_of(c.call("XRANGE", "s", "-", "(2")), ["1-1", "1-2", "1-3", "2-1", "2-2", "2-3"],
       "an exclusive incomplete end excludes only ms-max")
    eq(ids_of(c.call("XRANGE", "s", "-", "(2-0")), ["1-1", "1-2", "1-3"])
    eq(ids_of(c.call("XRANGE", "s", "-", "+", "COUNT", "2")), ["1-1", "1-2"])
    eq(ids_of(c.call("XRANGE", "s", "-", "+", "count", "100")), allids)
    eq(ids_of(c.call("XRANGE", "s", "-", "+", "COUNT", "0", "COUNT", "3")), allids[:3],
       "the last COUNT wins")
    eq(c.call("XRANGE", "s", "3", "4"), [])
    eq(c.call("XRANGE", "s", "5-1", "+"), [])
    eq(c.call("XRANGE", "s", "+", "-"), [], "start after end")
    eq(c.call("XRANGE", "missing", "-", "+"), [])
    eq(ids_of(c.call("XREVRANGE", "s", "+", "-")), allids[::-1])
    eq(ids_of(c.call("XREVRANGE", "s", "+", "-", "COUNT", "3")), ["5-0", "2-3", "2-2"])
    eq(ids_of(c.call("XREVRANGE", "s", "(5-0", "(1-3")), ["2-3", "2-2", "2-1"])
    eq(ids_of(c.call("XREVRANGE", "s", "1", "-")), ["1-3", "1-2", "1-1"])
    eq(c.call("XREVRANGE", "s", "-", "+"), [])
    eq(c.call("XREVRANGE", "missing", "+", "-"), [])
    # a client walking the stream page by page with exclusive ranges
    seen, last = [], "-"
    while True:
        page = c.call("XRANGE", "s", last, "+", "COUNT", "2")
        if not page:
            break
        seen += ids_of(page)
        last = "(" + page[-1][0]
    eq(seen, allids)


@needs_streams
def test_xrange_count_zero_and_negative(t):
    c = t.conn(decode=False)
    c.call("XADD", "s", "1-0", "f", "v")
    eq(c.call_raw("XRANGE", "s", "-", "+", "COUNT", "0"), b"*-1\r\n")
    eq(c.call_raw("XRANGE", "s", "-", "+", "COUNT", "-3"), b"*-1\r\n")
    eq(c.call_raw("XREVRANGE", "s", "+", "-", "COUNT", "0"), b"*-1\r\n")
    eq(c.call_raw("XRANGE", "s", "5", "+", "COUNT", "0"), b"*-1\r\n")
    eq(c.call_raw("XRANGE", "missing", "-", "+", "COUNT", "0"), b"*0\r\n",
       "a missing key is an empty array")
    eq(c.call_raw("XRANGE", "s", "-", "+", "COUNT", "1", "COUNT", "0"), b"*-1\r\n")
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    eq(c3.call_raw("XRANGE", "s", "-", "+", "COUNT", "0"), b"_\r\n")
    eq(c3.call_raw("XRANGE", "missing", "-", "+", "COUNT", "0"), b"*0\r\n")


@needs_streams
def test_xrange_errors(t):
    c = t.conn()
    fill(c, "s", 2)
    for args, text in [
        (("XRANGE", "s", "abc", "+"), INVALID_ID),
        (("XRANGE", "s", "-", "1-x"), INVALID_ID),
        (("XRANGE", "s", "(", "+"), INVALID_ID),
        (("XRANGE", "s", "(-", "+"), INVALID_ID),
        (("XRANGE", "s", "-", "(+"), INVALID_ID),
        (("XRANGE", "s", "1-18446744073709551616", "+"), INVALID_ID),
        (("XRANGE", "s", "(" + MAX_ID, "+"), "ERR invalid start ID for the interval"),
        (("XRANGE", "s", "-", "(0-0"), "ERR invalid end ID for the interval"),
        (("XREVRANGE", "s", "(0-0", "-"), "ERR invalid end ID for the interval"),
        (("XREVRANGE", "s", "+", "(" + MAX_ID), "ERR invalid start ID for the interval"),
        (("XRANGE", "s", "-", "+", "COUNT"), SYNTAX),
        (("XRANGE", "s", "-", "+", "LIMIT", "1"), SYNTAX),
        (("XRANGE", "s", "-", "+", "COUNT", "x"), NOT_INT),
        (("XRANGE", "s", "-", "+", "COUNT", "99999999999999999999"), NOT_INT),
        (("XRANGE", "s", "-"), "ERR wrong number of arguments for 'xrange' command"),
        (("XREVRANGE", "s", "+"), "ERR wrong number of arguments for 'xrevrange' command"),
    ]:
        bad(c, "s", args, text)
    eq(c.call("XRANGE", "s", "-", "(0"), [], "(0 means before 0-0: nothing, no error")
    c.call("SET", "str", "x")
    is_err(c.call("XRANGE", "str", "-", "+"), WRONGTYPE)
    is_err(c.call("XREVRANGE", "str", "+", "-", "COUNT", "0"), WRONGTYPE)
    is_err(c.call("XRANGE", "str", "abc", "+"), INVALID_ID, what="IDs are parsed first")


# ---------------------------------------------------------------- XDEL / XDELEX

@needs_streams
def test_xdel(t):
    c = t.conn()
    fill(c, "s", 5)
    eq(c.call("XDEL", "s", "2-0", "4-0", "4-0", "9-0"), 2, "deleted count, repeats and misses ignored")
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), ["1-0", "3-0", "5-0"])
    info = xinfo(c, "s")
    eq(info["max-deleted-entry-id"], "4-0")
    eq(info["entries-added"], 5)
    eq(info["length"], 3)
    eq(c.call("XDEL", "s", "5-0"), 1)
    eq(xinfo(c, "s")["last-generated-id"], "5-0", "deleting the top entry keeps the last ID")
    bad(c, "s", ("XADD", "s", "5-0", "f", "v"), TOP_ITEM)
    eq(c.call("XDEL", "s", "1"), 1, "a bare ms means ms-0")
    eq(c.call("XDEL", "s", "3-0"), 1)
    eq(c.call("XLEN", "s"), 0)
    eq(c.call("EXISTS", "s"), 1, "an empty stream stays")
    eq(xinfo(c, "s")["recorded-first-entry-id"], "0-0")
    eq(c.call("XDEL", "missing", "1-0"), 0)
    eq(c.call("XDEL", "missing", "garbage"), 0, "a missing key answers 0 before parsing IDs")
    fill(c, "t", 3)
    bad(c, "t", ("XDEL", "t", "1-0", "abc"), INVALID_ID)
    bad(c, "t", ("XDEL", "t", "+"), INVALID_ID)
    eq(c.call("XLEN", "t"), 3, "no ID is deleted when one is invalid")
    is_err(c.call("XDEL", "t"), "ERR wrong number of arguments for 'xdel' command")
    c.call("SET", "str", "x")
    is_err(c.call("XDEL", "str", "1-0"), WRONGTYPE)


@needs_streams
@needs_version(8, 2, "XDELEX")
def test_xdelex_replies_and_policies(t):
    c = t.conn()
    fill(c, "s", 6)
    eq(c.call("XDELEX", "s", "IDS", "3", "1-0", "9-0", "1-0"), [1, -1, -1])
    eq(c.call("XDELEX", "s", "KEEPREF", "IDS", "1", "2-0"), [1])
    eq(c.call("XDELEX", "s", "DELREF", "IDS", "1", "3-0"), [1])
    eq(c.call("XDELEX", "s", "ACKED", "IDS", "1", "4-0"), [1], "without groups nothing is referenced")
    eq(c.call("XDELEX", "s", "ids", "1", "5", "acked"), [1], "IDS block first, policy after")
    eq(c.call("XDELEX", "missing", "IDS", "2", "1-0", "2-0"), [-1, -1])
    eq(c.call("EXISTS", "missing"), 0)
    eq(ids_of(c.call("XRANGE", "s", "-", "+")), ["6-0"])
    eq(xinfo(c, "s")["max-deleted-entry-id"], "5-0")
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    eq(c3.call_raw("XDELEX", "s", "IDS", "2", "6-0", "7-0"), b"*2\r\n:1\r\n:-1\r\n")


@needs_streams
@needs_version(8, 2, "XDELEX")
def test_xdelex_errors(t):
    c = t.conn()
    fill(c, "s", 3)
    for args, text in [
        (("XDELEX", "s", "KEEPREF", "1-0", "2-0"), SYNTAX),
        (("XDELEX", "s", "KEEPREF", "KEEPREF", "IDS", "1", "1-0"), SYNTAX),
        (("XDELEX", "s", "KEEPREF", "DELREF", "IDS", "1", "1-0"), SYNTAX),
        (("XDELEX", "s", "IDS", "1", "1-0", "ACKED", "DELREF"), SYNTAX),
        (("XDELEX", "s", "FOO", "IDS", "1", "1-0"), SYNTAX),
        (("XDELEX", "s", "IDS", "1", "1-0", "2-0"), SYNTAX),
        (("XDELEX", "s", "IDS", "0", "1-0"), "ERR Number of IDs must be a positive integer"),
        (("XDELEX", "s", "IDS", "-1", "1-0"), "ERR Number of IDs must be a positive integer"),
        (("XDELEX", "s", "IDS", "x", "1-0"), "ERR Number of IDs must be a positive integer"),
        (("XDELEX", "s", "IDS", "3", "1-0", "2-0"),
         "ERR The `numids` parameter must match the number of arguments"),
        (("XDELEX", "s", "IDS", "2", "1-0", "abc"), INVALID_ID),
        (("XDELEX", "s", "IDS", "1", "-"), INVALID_ID),
        (("XDELEX", "s", "IDS"), "ERR wrong number of arguments for 'xdelex' command"),
    ]:
        bad(c, "s", args, text)
    eq(c.call("XLEN", "s"), 3)
    c.call("SET", "str", "x")
    is_err(c.call("XDELEX", "str", "IDS", "1", "1-0"), WRONGTYPE)


@needs_streams
@needs_version(8, 2, "XDELEX")
def test_xdelex_without_ids_block(t):
    # Every argument list long enough for the arity either has an IDS block
    # or a token that is neither IDS nor a first policy: a syntax error.
    c = t.conn()
    fill(c, "s", 2)
    for args in [("XDELEX", "s", "KEEPREF", "DELREF", "ACKED"), ("XDELEX", "s", "ACKED", "x", "y"),
                 ("XDELEX", "s", "a", "b", "c"), ("XDELEX", "s", "KEEPREF", "1", "1-0"),
                 ("XDELEX", "s", "1", "1-0", "IDS")]:
        bad(c, "s", args, SYNTAX)


# ---------------------------------------------------------------- XTRIM

@needs_streams
def test_xtrim_forms_and_replies(t):
    c = t.conn()
    fill(c, "s", 20)
    eq(c.call("XTRIM", "s", "MAXLEN", "15"), 5)
    eq(c.call("XTRIM", "s", "MAXLEN", "15"), 0)
    eq(c.call("XTRIM", "s", "MAXLEN", "=", "12"), 3)
    eq(c.call("XTRIM", "s", "maxlen", "100"), 0)
    eq(c.call("XTRIM", "s", "MINID", "12"), 3)
    eq(c.call("XRANGE", "s", "-", "+", "COUNT", "1")[0][0], "12-0")
    eq(c.call("XTRIM", "s", "MINID", "=", "14-0"), 2)
    eq(c.call("XTRIM", "s", "MINID", "1"), 0)
    eq(c.call("XTRIM", "s", "MAXLEN", "0"), 7)
    eq(c.call("XLEN", "s"), 0)
    eq(c.call("XTRIM", "s", "MINID", MAX_ID), 0)
    eq(c.call("XTRIM", "missing", "MAXLEN", "0"), 0)
    eq(c.call("EXISTS", "missing"), 0)
    info = xinfo(c, "s")
    eq(info["max-deleted-entry-id"], "0-0", "XTRIM does not record a deleted ID")
    eq(info["entries-added"], 20)
    eq(info["recorded-first-entry-id"], "0-0")


@needs_streams
def test_xtrim_approximate_and_limit(t):
    node_entries(t, 10)
    c = t.conn()
    fill(c, "s", 100)
    eq(c.call("XTRIM", "s", "MAXLEN", "~", "55"), 40)
    eq(c.call("XLEN", "s"), 60)
    eq(c.call("XTRIM", "s", "MAXLEN", "~", "55"), 0, "no whole node can go")
    eq(c.call("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "15"), 10)
    eq(c.call("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "9"), 0, "a node is larger than the limit")
    eq(c.call("XTRIM", "s", "MINID", "~", "75"), 20)
    eq(c.call("XTRIM", "s", "MINID", "75"), 4)
    eq(c.call("XLEN", "s"), 26)
    eq(c.call("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0"), 26, "LIMIT 0: no limit")


@needs_streams
def test_xtrim_approximate_minid_looks_at_the_last_entry_of_a_node(t):
    node_entries(t, 10)
    c = t.conn()
    fill(c, "s", 10)                 # node 1-0 .. 10-0
    fill(c, "s", 10, start=20)       # node 20-0 .. 29-0
    eq(c.call("XTRIM", "s", "MINID", "~", "15"), 10,
       "a node whose last entry is below the threshold goes, whatever comes next")
    c.call("XDEL", "s", "29-0")
    eq(c.call("XTRIM", "s", "MINID", "~", "29-0"), 0,
       "a deleted last entry still counts as the node's last entry")
    eq(c.call("XTRIM", "s", "MINID", "~", "29-1"), 9)
    eq(c.call("EXISTS", "s"), 1)
    fill(c, "t", 5)
    eq(c.call("XSETID", "t", "100-0"), "OK")
    eq(c.call("XTRIM", "t", "MINID", "~", "50"), 5,
       "the last node goes by its entries, not by the stream's last ID")
    eq(xinfo(c, "t")["last-generated-id"], "100-0")


@needs_streams
@needs_version(8, 2, "KEEPREF/DELREF/ACKED")
def test_xtrim_reference_policies(t):
    c = t.conn()
    fill(c, "s", 10)
    eq(c.call("XTRIM", "s", "MAXLEN", "8", "KEEPREF"), 2)
    eq(c.call("XTRIM", "s", "MAXLEN", "6", "DELREF"), 2)
    eq(c.call("XTRIM", "s", "ACKED", "MAXLEN", "4"), 2, "policy before the strategy")
    bad(c, "s", ("XTRIM", "s", "MAXLEN", "0", "KEEPREF", "ACKED"), SYNTAX)
    bad(c, "s", ("XTRIM", "s", "DELREF", "DELREF", "MAXLEN", "0"), SYNTAX)
    eq(c.call("XLEN", "s"), 4)


@needs_streams
def test_xtrim_errors(t):
    c = t.conn()
    fill(c, "s", 5)
    for args, text in [
        (("XTRIM", "s", "foo", "1"), SYNTAX),
        (("XTRIM", "s", "MAXLEN", "0", "LIMIT"), SYNTAX),
        (("XTRIM", "s", "MAXLEN", "1", "extra"), SYNTAX),
        (("XTRIM", "s", "LIMIT", "1"), LIMIT_NO_STRATEGY),
        (("XTRIM", "s", "MAXLEN", "1", "LIMIT", "1"), LIMIT_NO_TILDE),
        (("XTRIM", "s", "MAXLEN", "1", "MINID", "2"), MAXLEN_MINID),
        (("XTRIM", "s", "MAXLEN", "1", "MAXLEN", "2"), MAXLEN_MINID),
        (("XTRIM", "s", "MAXLEN", "-1"), "ERR The MAXLEN argument must be >= 0."),
        (("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "-1"), "ERR The LIMIT argument must be >= 0."),
        (("XTRIM", "s", "MAXLEN", "abc"), NOT_INT),
        (("XTRIM", "s", "MINID", "abc"), INVALID_ID),
        (("XTRIM", "s", "MINID", "+"), INVALID_ID),
        (("XTRIM", "s", "MAXLEN"), "ERR wrong number of arguments for 'xtrim' command"),
        (("XTRIM", "s"), "ERR wrong number of arguments for 'xtrim' command"),
    ]:
        bad(c, "s", args, text)
    is_err(c.call("XTRIM", "missing", "MAXLEN", "abc"), NOT_INT, what="arguments before the key")
    c.call("SET", "str", "x")
    is_err(c.call("XTRIM", "str", "MAXLEN", "0"), WRONGTYPE)


# ---------------------------------------------------------------- XSETID

@needs_streams
def test_xsetid(t):
    c = t.conn()
    fill(c, "s", 2)
    eq(c.call("XSETID", "s", "2-0"), "OK", "equal to the top item is allowed")
    eq(c.call("XSETID", "s", "10"), "OK")
    eq(xinfo(c, "s")["last-generated-id"], "10-0")
    eq(c.call("XADD", "s", "*", "f", "v").split("-")[0] != "10", True)
    c.call("DEL", "s")
    fill(c, "s", 2)
    eq(c.call("XSETID", "s", "5-0", "ENTRIESADDED", "10", "MAXDELETEDID", "4-0"), "OK")
    info = xinfo(c, "s")
    eq((info["last-generated-id"], info["entries-added"], info["max-deleted-entry-id"]),
       ("5-0", 10, "4-0"))
    eq(c.call("XSETID", "s", "5-0", "MAXDELETEDID", "5-0"), "OK", "max deleted may equal the last ID")
    eq(c.call("XSETID", "s", "6-0", "ENTRIESADDED", "2", "ENTRIESADDED", "3"), "OK",
       "a repeated option: the last wins")
    eq(xinfo(c, "s")["entries-added"], 3)
    eq(c.call("XADD", "s", "6-*", "f", "v"), "6-1", "XADD continues from the set ID")
    # an empty stream may go anywhere, even back to 0-0
    c.call("XADD", "e", "1-0", "f", "v")
    c.call("XDEL", "e", "1-0")
    eq(c.call("XSETID", "e", "0-0"), "OK")
    eq(c.call("XADD", "e", "0-*", "f", "v"), "0-1")


@needs_streams
def test_xsetid_errors(t):
    c = t.conn()
    fill(c, "s", 3)
    for args, text in [
        (("XSETID", "s", "2-0"), "ERR The ID specified in XSETID is smaller than the target stream top item"),
        (("XSETID", "s", "5-0", "ENTRIESADDED", "2"),
         "ERR The entries_added specified in XSETID is smaller than the target stream length"),
        (("XSETID", "s", "5-0", "ENTRIESADDED", "-1"), "ERR entries_added must be positive"),
        (("XSETID", "s", "5-0", "ENTRIESADDED", "x"), NOT_INT),
        (("XSETID", "s", "5-0", "MAXDELETEDID", "6-0"),
         "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"),
        (("XSETID", "s", "5-0", "MAXDELETEDID", "abc"), INVALID_ID),
        (("XSETID", "s", "abc"), INVALID_ID),
        (("XSETID", "s", "+"), INVALID_ID),
        (("XSETID", "s", "-"), INVALID_ID),
        (("XSETID", "s", "5-0", "FOO"), SYNTAX),
        (("XSETID", "s", "5-0", "ENTRIESADDED"), SYNTAX),
        (("XSETID", "s", "5-0", "MAXDELETEDID"), SYNTAX),
        (("XSETID", "s"), "ERR wrong number of arguments for 'xsetid' command"),
    ]:
        bad(c, "s", args, text)
    is_err(c.call("XSETID", "missing", "1-0"), "ERR no such key")
    is_err(c.call("XSETID", "missing", "abc"), INVALID_ID, what="the ID is parsed before the lookup")
    is_err(c.call("XSETID", "missing", "1-0", "MAXDELETEDID", "2-0"),
           "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    eq(c.call("EXISTS", "missing"), 0)
    c.call("SET", "str", "x")
    is_err(c.call("XSETID", "str", "1-0"), WRONGTYPE)


# ---------------------------------------------------------------- XREAD

@needs_streams
def test_xread_nonblocking(t):
    c = t.conn()
    fill(c, "a", 3)
    fill(c, "b", 2, start=10)
    eq(c.call("XREAD", "STREAMS", "a", "0"),
       [["a", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]], ["3-0", ["f", "3"]]]]])
    eq(c.call("XREAD", "COUNT", "1", "STREAMS", "a", "b", "1-0", "0"),
       [["a", [["2-0", ["f", "2"]]]], ["b", [["10-0", ["f", "10"]]]]])
    eq(c.call("XREAD", "STREAMS", "a", "missing", "b", "2", "0", "11"),
       [["a", [["3-0", ["f", "3"]]]]], "keys without new entries are left out")
    eq(c.call("XREAD", "STREAMS", "a", "3-0"), None)
    eq(c.call("XREAD", "STREAMS", "missing", "0"), None)
    eq(c.call("XREAD", "STREAMS", "a", "$"), None, "$ without BLOCK: nothing new")
    eq(c.call("XREAD", "count", "0", "streams", "a", "0")[0][1][-1][0], "3-0",
       "COUNT 0 means no limit")
    eq(len(c.call("XREAD", "COUNT", "-5", "STREAMS", "a", "0")[0][1]), 3)
    eq(c.call("XREAD", "STREAMS", "a", "a", "2", "0"),
       [["a", [["3-0", ["f", "3"]]]], ["a", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]],
                                            ["3-0", ["f", "3"]]]]],
       "a key given twice is served twice")
    eq(c.call("XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "a", "0")[0][1][-1][0], "2-0",
       "BLOCK with data at hand answers at once")


@needs_streams
def test_xread_serves_only_live_entries(t):
    c = t.conn()
    fill(c, "a", 2)
    eq(c.call("XSETID", "a", "9-0"), "OK")
    eq(c.call("XREAD", "STREAMS", "a", "2-0"), None, "the last ID is beyond every entry")
    eq(c.call("XREAD", "STREAMS", "a", "1-0"), [["a", [["2-0", ["f", "2"]]]]])
    eq(c.call("XDEL", "a", "2-0"), 1)
    eq(c.call("XREAD", "STREAMS", "a", "1-0"), None, "a deleted entry is nothing to serve")
    eq(c.call("XREAD", "STREAMS", "a", "b", "1-0", "0"), None)


@needs_streams
@needs_version(7, 2, "blocked commands are re-run when a key is ready")
def test_xread_block_rerun_serves_only_live_entries(t):
    c = t.conn()
    fill(c, "a", 1)
    r = t.conn(timeout=5)
    r.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "1-0")
    wait_blocked(t, 1)
    c.call("MULTI")
    c.call("XADD", "a", "10-0", "x", "y")
    c.call("XDEL", "a", "10-0")
    eq(c.call("EXEC"), ["10-0", 1])
    still_blocked(t, r)
    c.call("XADD", "a", "11-0", "z", "w")
    eq(r.read(), [["a", [["11-0", ["z", "w"]]]]])


@needs_streams
def test_xread_checks_every_key_type_in_order(t):
    c = t.conn()
    fill(c, "a", 1)
    c.call("SET", "str", "x")
    is_err(c.call("XREAD", "STREAMS", "str", "a", "0", "abc"), WRONGTYPE)
    is_err(c.call("XREAD", "STREAMS", "a", "str", "abc", "0"), INVALID_ID)
    is_err(c.call("XREAD", "STREAMS", "str", "a", "$", ">"), WRONGTYPE)
    is_err(c.call("XREAD", "STREAMS", "a", "str", ">", "0"),
           "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
           "<consumer> option.")
    is_err(c.call("XREAD", "BLOCK", "0", "STREAMS", "a", "str", "$", "$"), WRONGTYPE)
    eq(blocked_clients(t), 0)


@needs_streams
@needs_version(8, 0, "XREAD + reads the last live entry")
def test_xread_plus_after_deleting_the_last_entry(t):
    c = t.conn()
    fill(c, "a", 3)
    c.call("XDEL", "a", "3-0")
    eq(c.call("XREAD", "STREAMS", "a", "+"), [["a", [["2-0", ["f", "2"]]]]])
    c.call("XSETID", "a", "7-0")
    eq(c.call("XREAD", "STREAMS", "a", "+"), [["a", [["2-0", ["f", "2"]]]]])
    c.call("XDEL", "a", "1-0", "2-0")
    eq(c.call("XREAD", "STREAMS", "a", "+"), None, "an empty stream has no last entry")


@needs_streams
@needs_version(7, 4, "XREAD +")
def test_xread_plus_reads_last_entry(t):
    c = t.conn()
    fill(c, "a", 3)
    eq(c.call("XREAD", "STREAMS", "a", "+"), [["a", [["3-0", ["f", "3"]]]]])
    eq(c.call("XREAD", "COUNT", "5", "STREAMS", "a", "missing", "+", "+"),
       [["a", [["3-0", ["f", "3"]]]]])
    eq(c.call("XREAD", "STREAMS", "missing", "+"), None)


@needs_streams
def test_xread_errors(t):
    c = t.conn()
    fill(c, "a", 1)
    c.call("SET", "str", "x")
    for args, text in [
        (("XREAD", "COUNT", "x", "STREAMS", "a", "0"), NOT_INT),
        (("XREAD", "BLOCK", "-1", "STREAMS", "a", "0"), "ERR timeout is negative"),
        (("XREAD", "BLOCK", "x", "STREAMS", "a", "0"), "ERR timeout is not an integer or out of range"),
        (("XREAD", "FOO", "STREAMS", "a", "0"), SYNTAX),
        (("XREAD", "COUNT", "1", "a", "0"), SYNTAX),
        (("XREAD", "STREAMS", "a", ">"),
         "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
         "<consumer> option."),
        (("XREAD", "STREAMS", "a", "abc"), INVALID_ID),
        (("XREAD", "STREAMS", "a", "-"), INVALID_ID),
        (("XREAD", "STREAMS", "str", "0"), WRONGTYPE),
        (("XREAD", "STREAMS", "a", "str", "0", "0"), WRONGTYPE),
        (("XREAD", "STREAMS", "a", "str", "0", "$"), WRONGTYPE),
        (("XREAD", "STREAMS"), "ERR wrong number of arguments for 'xread' command"),
        (("XREAD", "COUNT", "1"), "ERR wrong number of arguments for 'xread' command"),
    ]:
        bad(c, "a", args, text)


@needs_streams
@needs_version(7, 2, "the timeout overflow check")
def test_xread_block_timeout_out_of_range(t):
    c = t.conn()
    fill(c, "a", 1)
    is_err(c.call("XREAD", "BLOCK", "9223372036854775807", "STREAMS", "a", "$"),
           "ERR timeout is out of range")
    is_err(c.call("XREAD", "BLOCK", "9223372036854775000", "STREAMS", "a", "$"),
           "ERR timeout is out of range")
    is_err(c.call("XREAD", "BLOCK", "9223372036854775808", "STREAMS", "a", "$"),
           "ERR timeout is not an integer or out of range")
    eq(blocked_clients(t), 0)


@needs_streams
@needs_version(7, 4, "the unbalanced-list error names '+'")
def test_xread_unbalanced_streams(t):
    c = t.conn()
    fill(c, "a", 1)
    text = ("ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' "
            "must be specified.")
    is_err(c.call("XREAD", "STREAMS", "a", "b", "0"), text)
    is_err(c.call("XREAD", "COUNT", "1", "STREAMS", "a", "0", "0"), text)


@needs_streams
def test_xread_reply_shapes_resp2_and_resp3(t):
    c2 = t.conn(decode=False)
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    c2.call("XADD", "a", "1-0", "f", "v")
    c2.call("XADD", "b", "2-0", "g", "w")
    eq(c2.call_raw("XREAD", "STREAMS", "a", "b", "0", "0"),
       b"*2\r\n"
       b"*2\r\n$1\r\na\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
       b"*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n")
    eq(c3.call_raw("XREAD", "STREAMS", "a", "b", "0", "0"),
       b"%2\r\n"
       b"$1\r\na\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
       b"$1\r\nb\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n")
    eq(c2.call_raw("XREAD", "STREAMS", "a", "5"), b"*-1\r\n")
    eq(c3.call_raw("XREAD", "STREAMS", "a", "5"), b"_\r\n")
    eq(c2.call_raw("XRANGE", "a", "-", "+"), b"*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
    eq(c3.call_raw("XRANGE", "a", "-", "+"), b"*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
    eq(c3.call_raw("XRANGE", "missing", "-", "+"), b"*0\r\n")
    eq(c3.call_raw("XADD", "a", "3-0", "h", "x"), b"$3\r\n3-0\r\n")
    eq(c3.call_raw("XLEN", "a"), b":2\r\n")
    eq(c3.call_raw("XDEL", "a", "3-0"), b":1\r\n")
    eq(c3.call_raw("XTRIM", "a", "MAXLEN", "5"), b":0\r\n")
    eq(c3.call_raw("XSETID", "a", "9-0"), b"+OK\r\n")


@needs_streams
def test_xread_block_wakes_several_clients_on_several_keys(t):
    p = t.conn()
    p.call("XADD", "a", "1-0", "old", "a")
    c1, c2, c3 = t.conn(), t.conn(), t.conn()
    c1.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$")
    c2.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "b", "$")
    c3.send_cmd("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "c", "a", "$", "$")
    wait_blocked(t, 3)
    eq(p.call("XADD", "b", "5-0", "x", "1"), "5-0")
    eq(c1.read(), [["b", [["5-0", ["x", "1"]]]]])
    eq(c2.read(), [["b", [["5-0", ["x", "1"]]]]])
    still_blocked(t, c3, 1)
    p.call("MULTI")
    p.call("XADD", "a", "7-0", "y", "1")
    p.call("XADD", "a", "8-0", "y", "2")
    eq(p.call("EXEC"), ["7-0", "8-0"])
    eq(c3.read(), [["a", [["7-0", ["y", "1"]]]]], "woken after EXEC, COUNT 1 honoured")
    wait_blocked(t, 0)
    eq(c1.call("PING"), "PONG", "an unblocked client is usable again")


@needs_streams
def test_xread_block_serves_only_new_entries_of_the_waited_key(t):
    p = t.conn()
    fill(p, "a", 3)
    c = t.conn()
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "missing", "$", "0")
    wait_blocked(t, 1)
    p.call("XADD", "other", "*", "f", "v")
    still_blocked(t, c)
    p.call("XADD", "missing", "1-5", "m", "1")
    eq(c.read(), [["missing", [["1-5", ["m", "1"]]]]])
    # a blocked reader that started from an explicit ID
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "3-0")
    wait_blocked(t, 1)
    p.call("XADD", "a", "4-0", "f", "4")
    eq(c.read(), [["a", [["4-0", ["f", "4"]]]]])


@needs_streams
def test_xread_block_timeout_replies_null(t):
    c2 = t.conn(decode=False)
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    c2.call("XADD", "a", "1-0", "f", "v")
    eq(c2.call_raw("XREAD", "BLOCK", "50", "STREAMS", "a", "$"), b"*-1\r\n")
    eq(c3.call_raw("XREAD", "BLOCK", "50", "STREAMS", "a", "missing", "$", "$"), b"_\r\n")
    eq(c2.call("PING"), "PONG")
    eq(blocked_clients(t), 0)


@needs_streams
def test_xread_block_inside_multi_does_not_block(t):
    c = t.conn(decode=False)
    c.call("XADD", "a", "1-0", "f", "v")
    eq(c.call_raw("MULTI"), b"+OK\r\n")
    eq(c.call_raw("XREAD", "BLOCK", "0", "STREAMS", "a", "$"), b"+QUEUED\r\n")
    eq(c.call_raw("XREAD", "BLOCK", "0", "STREAMS", "a", "0"), b"+QUEUED\r\n")
    eq(c.call_raw("EXEC"),
       b"*2\r\n*-1\r\n*1\r\n*2\r\n$1\r\na\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")


@needs_streams
def test_xread_block_survives_key_deletion(t):
    p = t.conn()
    p.call("XADD", "a", "1-0", "f", "v")
    c = t.conn()
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$")
    wait_blocked(t, 1)
    eq(p.call("DEL", "a"), 1)
    still_blocked(t, c)
    eq(p.call("XADD", "a", "2-0", "g", "w"), "2-0")
    eq(c.read(), [["a", [["2-0", ["g", "w"]]]]], "the re-created stream serves the reader")
    # an XADD undone in the same transaction wakes nobody
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$")
    wait_blocked(t, 1)
    p.call("MULTI")
    p.call("XADD", "a", "3-0", "f", "v")
    p.call("DEL", "a")
    p.call("EXEC")
    still_blocked(t, c)
    p.call("XADD", "a", "4-0", "h", "x")
    eq(c.read(), [["a", [["4-0", ["h", "x"]]]]])


@needs_streams
def test_xread_block_survives_flush(t):
    p = t.conn()
    p.call("XADD", "a", "1-0", "f", "v")
    c = t.conn(timeout=5)
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$")
    wait_blocked(t, 1)
    eq(p.call("FLUSHDB"), "OK")
    still_blocked(t, c)
    eq(p.call("FLUSHALL"), "OK")
    still_blocked(t, c)
    p.call("XADD", "a", "2-0", "g", "w")
    eq(c.read(), [["a", [["2-0", ["g", "w"]]]]])


@needs_streams
def test_xread_block_key_changes_type(t):
    # Redis re-checks a blocked XREAD only when its key holds a stream
    # again: a key that became a string leaves the reader blocked (only
    # XREADGROUP is woken with an error).
    p = t.conn()
    p.call("XADD", "a", "1-0", "f", "v")
    c = t.conn()
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$")
    wait_blocked(t, 1)
    p.call("SET", "a", "now a string")
    still_blocked(t, c)
    p.call("MULTI")
    p.call("DEL", "a")
    p.call("XADD", "a", "2-0", "g", "w")
    p.call("EXEC")
    eq(c.read(), [["a", [["2-0", ["g", "w"]]]]])


@needs_streams
@needs_version(7, 2, "blocked commands are re-run when a key is ready")
def test_xread_block_rerun_sees_a_string_key(t):
    # Woken by data on another key, the re-run XREAD meets the key that
    # became a string and fails as a fresh XREAD would.
    p = t.conn()
    c = t.conn(timeout=5)
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$")
    wait_blocked(t, 1)
    p.call("SET", "a", "x")
    still_blocked(t, c)
    p.call("XADD", "b", "1-0", "f", "v")
    is_err(c.read(), WRONGTYPE)
    eq(blocked_clients(t), 0)


@needs_streams
def test_xread_block_rename_into_waited_key(t):
    p = t.conn()
    fill(p, "src", 2)
    c = t.conn()
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "dst", "$")
    wait_blocked(t, 1)
    eq(p.call("RENAME", "src", "dst"), "OK")
    eq(c.read(), [["dst", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]]]],
       "$ on a missing key waits for anything after 0-0")


@needs_streams
def test_xread_block_woken_by_move_and_swapdb(t):
    p = t.conn()
    c = t.conn(timeout=5)
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "m", "0")
    wait_blocked(t, 1)
    p.call("SELECT", "1")
    p.call("XADD", "m", "1-0", "f", "v")
    eq(p.call("MOVE", "m", "0"), 1)
    eq(c.read(), [["m", [["1-0", ["f", "v"]]]]], "MOVE into the waited key")
    p.call("XADD", "w", "2-0", "g", "w")
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "w", "0")
    wait_blocked(t, 1)
    eq(p.call("SWAPDB", "0", "1"), "OK")
    eq(c.read(), [["w", [["2-0", ["g", "w"]]]]], "SWAPDB brings the waited key in")


@needs_streams
def test_client_unblock_timeout_and_error(t):
    p = t.conn()
    c = t.conn(decode=False)
    cid = c.call("CLIENT", "ID")
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$")
    wait_blocked(t, 1)
    eq(p.call("CLIENT", "UNBLOCK", str(cid), "TIMEOUT"), 1)
    eq(c.read_raw(), b"*-1\r\n")
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$")
    wait_blocked(t, 1)
    eq(p.call("CLIENT", "UNBLOCK", str(cid), "ERROR"), 1)
    eq(c.read_raw(), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
    eq(p.call("CLIENT", "UNBLOCK", str(cid)), 0, "not blocked any more")
    c.call("HELLO", "3")
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "$")
    wait_blocked(t, 1)
    eq(p.call("CLIENT", "UNBLOCK", str(cid)), 1, "TIMEOUT is the default")
    eq(c.read_raw(), b"_\r\n")
    is_err(p.call("CLIENT", "UNBLOCK", str(cid), "FOO"),
           "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    eq(c.call("PING"), "PONG")


@needs_streams
def test_xread_blocked_client_disconnect(t):
    p = t.conn()
    c = t.conn()
    c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$")
    wait_blocked(t, 1)
    c.close()
    wait_blocked(t, 0)
    eq(p.call("XADD", "a", "*", "f", "v").count("-"), 1, "XADD after the reader left")
    eq(p.call("PING"), "PONG")


@needs_streams
def test_xread_with_redis_py_block(t):
    p = t.r
    p.xadd("s", {"f": "v"}, id="1-0")
    result = {}

    def reader():
        r = t.redis()
        result["r"] = r.xread({"s": "$"}, block=0)

    th = threading.Thread(target=reader)
    th.start()
    wait_blocked(t, 1)
    p.xadd("s", {"k": "x"}, id="2-0")
    th.join(10)
    ok(not th.is_alive(), "reader thread finished")
    eq(result["r"], [["s", [("2-0", {"k": "x"})]]])


# ---------------------------------------------------------------- XINFO

@needs_streams
@needs_version(8, 6, "XINFO STREAM IDMP fields")
def test_xinfo_stream_fields_and_order(t):
    c = t.conn()
    fill(c, "s", 3)
    c.call("XDEL", "s", "2-0")
    r = c.call("XINFO", "STREAM", "s")
    eq(r[0::2], PLAIN_FIELDS)
    info = pairs(r)
    eq(info["length"], 2)
    eq(info["radix-tree-keys"], 1)
    eq(info["radix-tree-nodes"], 2)
    eq(info["last-generated-id"], "3-0")
    eq(info["max-deleted-entry-id"], "2-0")
    eq(info["entries-added"], 3)
    eq(info["recorded-first-entry-id"], "1-0")
    eq([info[k] for k in ("idmp-duration", "idmp-maxsize", "pids-tracked", "iids-tracked",
                          "iids-added", "iids-duplicates")], [100, 100, 0, 0, 0, 0],
       "IDMP fields at their defaults")
    eq(info["groups"], 0)
    eq(info["first-entry"], ["1-0", ["f", "1"]])
    eq(info["last-entry"], ["3-0", ["f", "3"]])
    c.call("XDEL", "s", "1-0", "3-0")
    info = xinfo(c, "s")
    eq((info["length"], info["first-entry"], info["last-entry"], info["recorded-first-entry-id"]),
       (0, None, None, "0-0"))
    eq(info["radix-tree-keys"], 0)


@needs_streams
@needs_version(8, 6, "XINFO STREAM IDMP fields")
def test_xinfo_stream_resp3_map(t):
    c = t.conn(decode=False)
    c.call("XADD", "s", "1-0", "f", "v")
    c.call("HELLO", "3")
    raw = c.call_raw("XINFO", "STREAM", "s")
    ok(raw.startswith(b"%16\r\n$6\r\nlength\r\n:1\r\n"), "RESP3 map of 16: %r" % raw[:60])
    ok(raw.endswith(b"$6\r\ngroups\r\n:0\r\n$11\r\nfirst-entry\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n"
                    b"$1\r\nv\r\n$10\r\nlast-entry\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
       "tail: %r" % raw[-120:])
    m = t.conn()
    m.call("HELLO", "3")
    r = m.call("XINFO", "STREAM", "s")
    ok(isinstance(r, Map), "a map")
    eq(list(r.keys()), PLAIN_FIELDS)
    c.call("XDEL", "s", "1-0")
    raw = c.call_raw("XINFO", "STREAM", "s")
    ok(raw.endswith(b"$11\r\nfirst-entry\r\n_\r\n$10\r\nlast-entry\r\n_\r\n"),
       "RESP3 null entries: %r" % raw[-60:])
    c2 = t.conn(decode=False)
    raw = c2.call_raw("XINFO", "STREAM", "s")
    ok(raw.startswith(b"*32\r\n") and raw.endswith(b"$11\r\nfirst-entry\r\n$-1\r\n$10\r\nlast-entry\r\n$-1\r\n"),
       "RESP2 flat array of 32 with null bulks: %r" % raw[-60:])


@needs_streams
@needs_version(8, 6, "XINFO STREAM IDMP fields")
def test_xinfo_stream_full(t):
    c = t.conn()
    fill(c, "s", 15)
    r = c.call("XINFO", "STREAM", "s", "FULL")
    eq(r[0::2], FULL_FIELDS)
    info = pairs(r)
    eq(ids_of(info["entries"]), ["%d-0" % i for i in range(1, 11)], "default COUNT 10")
    eq(info["groups"], [])
    eq(info["length"], 15)
    eq(info["entries"][0], ["1-0", ["f", "1"]])
    eq(len(xinfo(c, "s", "FULL", "COUNT", "3")["entries"]), 3)
    eq(len(xinfo(c, "s", "full", "count", "0")["entries"]), 15, "COUNT 0: every entry")
    eq(len(xinfo(c, "s", "FULL", "COUNT", "-5")["entries"]), 10, "a negative COUNT: the default")
    c3 = t.conn()
    c3.call("HELLO", "3")
    r = c3.call("XINFO", "STREAM", "s", "FULL", "COUNT", "1")
    ok(isinstance(r, Map), "RESP3 map")
    eq(list(r.keys()), FULL_FIELDS)
    eq(r["entries"], [["1-0", ["f", "1"]]])
    eq(r["groups"], [])
    c.call("XTRIM", "s", "MAXLEN", "0")
    eq(xinfo(c, "s", "FULL")["entries"], [])


@needs_streams
def test_xinfo_errors(t):
    c = t.conn()
    fill(c, "s", 2)
    sub = "ERR unknown subcommand or wrong number of arguments for '%s'. Try XINFO HELP."
    for args in [("XINFO", "STREAM", "s", "FOO"), ("XINFO", "STREAM", "s", "FULL", "COUNT"),
                 ("XINFO", "STREAM", "s", "FULL", "FOO", "1"),
                 ("XINFO", "STREAM", "s", "FULL", "COUNT", "1", "x")]:
        is_err(c.call(*args), sub % "STREAM")
    is_err(c.call("XINFO", "stream", "s", "bar"), sub % "stream", what="the subcommand as typed")
    is_err(c.call("XINFO", "STREAM", "s", "FULL", "COUNT", "x"), NOT_INT)
    is_err(c.call("XINFO", "STREAM", "missing"), "ERR no such key")
    is_err(c.call("XINFO", "STREAM", "missing", "FOO"), "ERR no such key", what="key before options")
    c.call("SET", "str", "x")
    is_err(c.call("XINFO", "STREAM", "str"), WRONGTYPE)
    is_err(c.call("XINFO", "STREAM"), "ERR wrong number of arguments for 'xinfo|stream' command")
    is_err(c.call("XINFO"), "ERR wrong number of arguments for 'xinfo' command")
    is_err(c.call("XINFO", "FOO", "s"), "ERR unknown subcommand 'FOO'. Try XINFO HELP.")


@needs_streams
def test_xinfo_help(t):
    c = t.conn(decode=False)
    eq(c.call_raw("XINFO", "HELP"),
       b"*9\r\n"
       b"+XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
       b"+CONSUMERS <key> <groupname>\r\n"
       b"+    Show consumers of <groupname>.\r\n"
       b"+GROUPS <key>\r\n"
       b"+    Show the stream consumer groups.\r\n"
       b"+STREAM <key> [FULL [COUNT <count>]\r\n"
       b"+    Show information about the stream.\r\n"
       b"+HELP\r\n"
       b"+    Prints this help.\r\n")
    eq(c.call("xinfo", "help")[0], "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")


# ---------------------------------------------------------------- keyspace

@needs_streams
def test_type_encoding_del_exists(t):
    c = t.conn(decode=False)
    c.call("XADD", "s", "1-0", "f", "v")
    eq(c.call_raw("TYPE", "s"), b"+stream\r\n")
    eq(c.call_raw("OBJECT", "ENCODING", "s"), b"$6\r\nstream\r\n")
    eq(c.call("EXISTS", "s"), 1)
    eq(c.call("DEL", "s"), 1)
    eq(c.call("EXISTS", "s"), 0)
    eq(c.call("XLEN", "s"), 0)
    c.call("XADD", "u", "1-0", "f", "v")
    eq(c.call("UNLINK", "u"), 1)
    eq(c.call("TYPE", "u"), "none")
    c.call("XADD", "k", "1-0", "f", "v")
    eq(c.call("KEYS", "*"), [b"k"])
    eq(c.call("SCAN", "0", "TYPE", "stream"), [b"0", [b"k"]])
    c.call("SET", "str", "x")
    eq(c.call("SCAN", "0", "TYPE", "stream")[1], [b"k"])


@needs_streams
def test_rename_copy_move_swapdb(t):
    c = t.conn()
    fill(c, "s", 3)
    c.call("XDEL", "s", "3-0")
    before = state(c, "s")
    eq(c.call("RENAME", "s", "r"), "OK")
    eq(c.call("EXISTS", "s"), 0)
    eq(state(c, "r"), before, "RENAME keeps entries and metadata")
    bad(c, "r", ("XADD", "r", "3-0", "f", "v"), TOP_ITEM)
    eq(c.call("COPY", "r", "cp"), 1)
    eq(state(c, "cp"), before, "COPY duplicates entries and metadata")
    eq(c.call("XADD", "cp", "4-0", "new", "x"), "4-0")
    eq(c.call("XDEL", "cp", "1-0"), 1)
    eq(state(c, "r"), before, "the copy is independent")
    eq(c.call("COPY", "r", "cp"), 0, "no overwrite without REPLACE")
    eq(c.call("COPY", "r", "cp", "REPLACE"), 1)
    eq(state(c, "cp"), before)
    eq(c.call("COPY", "r", "other", "DB", "1"), 1)
    eq(c.call("MOVE", "cp", "2"), 1)
    eq(c.call("EXISTS", "cp"), 0)
    c.call("SELECT", "2")
    eq(state(c, "cp"), before, "MOVE keeps the stream")
    c.call("SELECT", "1")
    eq(state(c, "other"), before)
    eq(c.call("SWAPDB", "0", "1"), "OK")
    eq(state(c, "r"), before, "SWAPDB: db 1 now holds the old db 0")
    eq(c.call("TYPE", "r"), "stream")
    c.call("SELECT", "0")
    eq(state(c, "other"), before)
    eq(c.call("EXISTS", "r"), 0)
    c.call("SET", "str", "x")
    eq(c.call("RENAME", "other", "str"), "OK", "RENAME overwrites a string")
    eq(c.call("TYPE", "str"), "stream")


@needs_streams
def test_expire_on_streams(t):
    c = t.conn()
    fill(c, "s", 2)
    eq(c.call("EXPIRE", "s", "100"), 1)
    ok(0 < c.call("TTL", "s") <= 100, "TTL set")
    eq(c.call("XADD", "s", "3-0", "f", "v"), "3-0")
    ok(c.call("TTL", "s") > 0, "XADD keeps the TTL")
    eq(c.call("PERSIST", "s"), 1)
    eq(c.call("TTL", "s"), -1)
    eq(c.call("PEXPIRE", "s", "30"), 1)
    wait_for(lambda: c.call("EXISTS", "s") == 0, what="the stream to expire")
    eq(c.call("XLEN", "s"), 0)
    eq(c.call("XADD", "s", "1-0", "f", "v"), "1-0", "a fresh stream after expiry")
    eq(c.call("TTL", "s"), -1)


@needs_streams
def test_changes_counted_for_save_points(t):
    c = t.conn()

    def dirty():
        return int(t.info("persistence")[None]["rdb_changes_since_last_save"])

    for args, n in [
        (("XADD", "s", "1-0", "f", "v"), 1),
        (("XADD", "s", "2-0", "f", "v"), 1),
        (("XADD", "s", "3-0", "f", "v"), 1),
        (("XADD", "s", "MAXLEN", "1", "4-0", "f", "v"), 1),
        (("XDEL", "s", "4-0", "9-9"), 1),
        (("XADD", "s", "5-0", "f", "v"), 1),
        (("XADD", "s", "6-0", "f", "v"), 1),
        (("XADD", "s", "7-0", "f", "v"), 1),
        (("XADD", "s", "8-0", "f", "v"), 1),
        (("XTRIM", "s", "MAXLEN", "2"), 2),
        (("XTRIM", "s", "MAXLEN", "2"), 0),
        (("XDEL", "s", "7-0", "8-0"), 2),
        (("XDEL", "s", "7-0"), 0),
        (("XSETID", "s", "9-0"), 1),
        (("XSETID", "s", "9-0"), 1),
        (("XADD", "n", "NOMKSTREAM", "*", "f", "v"), 0),
        (("XADD", "s", "0-0", "f", "v"), 0),
        (("XRANGE", "s", "-", "+"), 0),
        (("XINFO", "STREAM", "s"), 0),
    ]:
        before = dirty()
        c.call(*args)
        eq(dirty() - before, n, "changes counted for %s" % " ".join(args))


@needs_streams
def test_memory_usage_counts_entries(t):
    c = t.conn()
    c.call("XADD", "s", "1-0", "f", "v")
    small = c.call("MEMORY", "USAGE", "s")
    ok(isinstance(small, int) and small > 0, "MEMORY USAGE of a stream: %r" % (small,))
    c.call("XADD", "s", "2-0", "f", "x" * 100000)
    big = c.call("MEMORY", "USAGE", "s")
    ok(big >= small + 99000, "MEMORY USAGE grows with the entries: %d -> %d" % (small, big))


# ---------------------------------------------------------------- big, binary, pipelines

@needs_streams
def test_big_entries(t):
    r = t.rb
    big = bytes(range(256)) * 4096  # 1 MB
    other = b"\xff" * (1024 * 1024 + 7)
    i1 = r.xadd("s", {b"big": big, b"small": b"x"}, id="1-0")
    eq(i1, b"1-0")
    r.xadd("s", {b"other": other}, id="2-0")
    got = r.xrange("s", "-", "+")
    eq(len(got), 2)
    ok(got[0][1] == {b"big": big, b"small": b"x"}, "1 MB value read back intact")
    ok(got[1][1] == {b"other": other}, "second big value intact")
    rd = r.xread({"s": "1-0"})
    ok(rd[0][1][0][1][b"other"] == other, "XREAD of a big entry")
    c = t.conn(decode=False)
    raw = c.call_raw("XREVRANGE", "s", "+", "-", "COUNT", "1")
    ok(raw.startswith(b"*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$5\r\nother\r\n$1048583\r\n"),
       "raw big reply header: %r" % raw[:60])
    eq(len(raw), len(b"*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$5\r\nother\r\n$1048583\r\n") + len(other) + 2)
    many = {b"f%d" % i: b"v" * i for i in range(1000)}
    r.xadd("wide", many, id="1-0")
    eq(r.xrange("wide")[0][1], many, "1000 fields in one entry")


@needs_streams
def test_binary_keys_fields_and_values(t):
    c = t.conn(decode=False)
    key = b"k\x00\r\n\xff"
    fields = [b"", b"\x00", b"\r\n", b"\xff\xfe", b"*", b"-1", b"12345678901234567890", b"007"]
    args = []
    for i, f in enumerate(fields):
        args += [f, b"v\x00" + bytes([i]) + b"\r\n"]
    eq(c.call("XADD", key, "1-0", *args), b"1-0")
    ints = [b"0", b"-0", b"1", b"-1", b"127", b"-128", b"32767", b"9223372036854775807",
            b"-9223372036854775808", b"9223372036854775808", b"00", b"+1", b" 1", b"1.0", b""]
    iargs = []
    for i, v in enumerate(ints):
        iargs += [b"n%d" % i, v]
    eq(c.call("XADD", key, "2-0", *iargs), b"2-0")
    got = c.call("XRANGE", key, "-", "+")
    eq(got, [[b"1-0", args], [b"2-0", iargs]], "bytes round-trip exactly, integers keep their text")
    eq(c.call("XREAD", "STREAMS", key, "1-0"), [[key, [[b"2-0", iargs]]]])
    eq(c.call("TYPE", key), "stream")
    eq(t.rb.xrange(key, count=1)[0][1][b"\xff\xfe"], b"v\x00\x03\r\n", "redis-py bytes client")


@needs_streams
def test_pipelined_xadd_and_reads(t):
    c = t.conn()
    n = 2000
    payload = b"".join(encode_command("XADD", "p", "*", "i", str(i)) for i in range(n))
    payload += encode_command("XLEN", "p") + encode_command("XRANGE", "p", "-", "+", "COUNT", "3")
    payload += encode_command("XADD", "p", "1-0", "late", "x")
    c.send(payload)
    ids = [c.read() for _ in range(n)]
    parsed = [tuple(int(x) for x in i.split("-")) for i in ids]
    ok(all(a < b for a, b in zip(parsed, parsed[1:])), "pipelined auto IDs strictly increase")
    eq(c.read(), n)
    first3 = c.read()
    eq(ids_of(first3), ids[:3])
    eq([e[1] for e in first3], [["i", "0"], ["i", "1"], ["i", "2"]])
    is_err(c.read(), TOP_ITEM, what="an error in the middle of a pipeline")
    eq(c.call("XLEN", "p"), n)
    with t.r.pipeline(transaction=False) as pl:
        for i in range(100):
            pl.xadd("q", {"i": i}, id="%d-1" % (i + 1))
        pl.xlen("q")
        res = pl.execute()
    eq(res[:3], ["1-1", "2-1", "3-1"])
    eq(res[-1], 100)


@needs_streams
def test_redis_cli_stream_commands(t):
    out = t.cli("XADD", "s", "1-0", "name", "weir", "kind", "stream").stdout.decode()
    eq(out, "1-0\n")
    out = t.cli("--no-raw", "XRANGE", "s", "-", "+").stdout.decode()
    eq(out, '1) 1) "1-0"\n   2) 1) "name"\n      2) "weir"\n      3) "kind"\n      4) "stream"\n')
    out = t.cli("--no-raw", "XREAD", "STREAMS", "s", "1-0").stdout.decode()
    eq(out, "(nil)\n")
    out = t.cli("--no-raw", "XADD", "s", "1-0", "f", "v").stdout.decode()
    eq(out, "(error) " + TOP_ITEM + "\n")
