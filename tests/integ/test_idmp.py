"""Idempotent production (issue 5): XADD IDMP / IDMPAUTO, XCFGSET,
XIDMPRECORD, the per-stream IDMP state and its counters, retention
(IDMP-MAXSIZE eviction, IDMP-DURATION expiry), the state under the
keyspace commands, and node-redis's typed API.

Behaviour reference: shared/design/idmp-reference.md (Redis 8.8) and the
XIDMPRECORD seed page.  Section numbers below point into the reference.
"""

import os
import threading

from harness import Err, Map, eq, is_err, needs_streams, needs_version, ok, timeout, wait_for

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
MULTI_IDMP = "ERR syntax error, IDMP/IDMPAUTO specified multiple times"
AUTO_ONLY = "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs"
DUR_RANGE = "ERR IDMP-DURATION must be between 1 and 86400 seconds"
MAX_RANGE = "ERR IDMP-MAXSIZE must be between 1 and 10000 entries"
NO_PARAM = "ERR At least one parameter must be specified"
DIFFERENT = "ERR IID already exists for this producer with a different stream ID"
NO_MESSAGE = "ERR No such message in stream"
EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
MAX_ID = "18446744073709551615-18446744073709551615"
IDMP_FIELDS = ("idmp-duration", "idmp-maxsize", "pids-tracked", "iids-tracked", "iids-added",
               "iids-duplicates")

# IDMPAUTO iids of the reference (section 3.1), as the 16 stored bytes.
VECTORS = [
    (("f", "v"), "6e95729ee727f0814aedffba55730079"),
    (("amount", "100", "currency", "USD"), "e11c9a7017ea4839b25824062c8d8c50"),
    (("currency", "USD", "amount", "100"), "e11c9a7017ea4839b25824062c8d8c50"),
    (("f", "v", "f", "v"), "9a79073b2d2a35cba229f103f1b26a64"),
    (("a", "bc"), "cd716045a670276ba36d448ef5da2ace"),
    (("ab", "c"), "16a40e6f34744cb4db57cd2b7d195a72"),
]


# ---------------------------------------------------------------- helpers

def info(c, key, *extra):
    r = c.call("XINFO", "STREAM", key, *extra)
    ok(isinstance(r, list), "XINFO STREAM %s: %r" % (key, r))
    return dict(zip(r[0::2], r[1::2]))


def idmp(c, key):
    """The six IDMP fields of XINFO STREAM, in order, as a tuple."""
    i = info(c, key)
    return tuple(i[k] for k in IDMP_FIELDS)


def counts(c, key):
    """(pids-tracked, iids-tracked, iids-added, iids-duplicates)."""
    return idmp(c, key)[2:]


def state(c, key):
    if c.call("EXISTS", key) == 0:
        return None
    return c.call("XINFO", "STREAM", key, "FULL", "COUNT", "0")


def bad(c, key, args, text):
    before = state(c, key)
    is_err(c.call(*args), text, what=" ".join(str(a) for a in args))
    eq(state(c, key), before, "stream after failed %s" % " ".join(str(a) for a in args))


def add(c, key, pid, iid, *fv):
    return c.call("XADD", key, "IDMP", pid, iid, "*", *(fv or ("f", "v")))


def blocked_clients(t):
    return int(t.info("clients")[None]["blocked_clients"])


def set_config(t, name, value):
    c = t.conn()
    old = c.call("CONFIG", "GET", name)[1]
    eq(c.call("CONFIG", "SET", name, str(value)), "OK")
    t.defer(t.call, "CONFIG", "SET", name, old)


# ---------------------------------------------------------------- XADD IDMP / IDMPAUTO

@needs_streams
@needs_version(8, 6, "IDMP")
def test_duplicate_returns_original_id_and_adds_nothing(t):
    c = t.conn()
    first = add(c, "s", "p1", "order-1", "amount", "10")
    eq(add(c, "s", "p1", "order-1", "amount", "999", "extra", "x"), first,
       "a retry gets the original ID, whatever its fields")
    eq(c.call("XLEN", "s"), 1)
    eq(c.call("XRANGE", "s", "-", "+"), [[first, ["amount", "10"]]], "the original entry is untouched")
    second = add(c, "s", "p1", "order-2")
    ok(second != first, "a new iid is a new entry")
    other = add(c, "s", "p2", "order-1")
    ok(other not in (first, second), "iids are per producer")
    eq(add(c, "s", "p2", "order-1"), other)
    eq(c.call("XLEN", "s"), 3)
    eq(counts(c, "s"), (2, 3, 3, 2))
    eq(info(c, "s")["entries-added"], 3)


@needs_streams
@needs_version(8, 6, "IDMP")
def test_idmp_options_in_any_position(t):
    c = t.conn()
    c.call("XADD", "s", "1-0", "seed", "x")
    forms = [
        ("IDMP", "p", "a1", "MAXLEN", "100", "*", "f", "v"),
        ("MAXLEN", "100", "IDMP", "p", "a2", "*", "f", "v"),
        ("NOMKSTREAM", "IDMP", "p", "a3", "*", "f", "v"),
        ("IDMP", "p", "a4", "NOMKSTREAM", "*", "f", "v"),
        ("KEEPREF", "IDMPAUTO", "p2", "*", "f", "a5"),
        ("IDMPAUTO", "p2", "KEEPREF", "*", "f", "a6"),
        ("MAXLEN", "~", "100", "LIMIT", "10", "IDMP", "p", "a7", "*", "f", "v"),
        ("MINID", "=", "0", "IDMP", "p", "a8", "DELREF", "*", "f", "v"),
        ("idmp", "p", "a9", "*", "f", "v"),
        ("IdmpAuto", "p3", "*", "f", "a10"),
        ("ACKED", "NOMKSTREAM", "IDMPAUTO", "p4", "MAXLEN", "=", "100", "*", "f", "a11"),
    ]
    seen = set()
    for form in forms:
        r = c.call("XADD", "s", *form)
        ok(isinstance(r, str) and not isinstance(r, Err) and r not in seen, "%r -> %r" % (form, r))
        seen.add(r)
        eq(c.call("XADD", "s", *form), r, "the same call again is a duplicate: %r" % (form,))
    eq(c.call("XLEN", "s"), 1 + len(forms))
    eq(counts(c, "s"), (4, len(forms), len(forms), len(forms)))


@needs_streams
@needs_version(8, 6, "IDMP")
def test_iid_may_look_like_anything(t):
    c = t.conn()
    ids = {}
    for iid in ("*", "-", "+", "IDMP", "IDMPAUTO", "MAXLEN", "123-456", "0-0", "~", "=",
                "élan ✓", " ", "\t\r\n"):
        ids[iid] = add(c, "s", "p", iid)
    eq(len(set(ids.values())), len(ids), "every iid made its own entry")
    for iid, first in ids.items():
        eq(add(c, "s", "p", iid), first, "duplicate of %r" % iid)


@needs_streams
@needs_version(8, 6, "IDMP")
def test_idmp_parse_errors(t):
    c = t.conn()
    add(c, "s", "p", "i0")
    for args, text in [
        (("XADD", "s", "IDMP", "p", "i1", "IDMP", "p", "i2", "*", "f", "v"), MULTI_IDMP),
        (("XADD", "s", "IDMPAUTO", "p", "IDMPAUTO", "p", "*", "f", "v"), MULTI_IDMP),
        (("XADD", "s", "IDMP", "p", "i1", "MAXLEN", "5", "IDMPAUTO", "p", "*", "f", "v"), MULTI_IDMP),
        (("XADD", "s", "IDMPAUTO", "", "IDMPAUTO", "p", "*", "f", "v"),
         "ERR syntax error, IDMPAUTO requires a non-empty producer ID"),
        (("XADD", "s", "IDMP", "", "", "*", "f", "v"),
         "ERR syntax error, IDMP requires a non-empty producer ID"),
        (("XADD", "s", "IDMP", "p", "", "*", "f", "v"),
         "ERR syntax error, IDMP requires a non-empty idempotent ID"),
        (("XADD", "s", "IDMP", "p", "*", "f", "v"), INVALID_ID),
        (("XADD", "s", "IDMP", "p", "i", "5", "f", "v"), AUTO_ONLY),
        (("XADD", "s", "IDMP", "p", "i", "5-*", "f", "v"), AUTO_ONLY),
        (("XADD", "s", "IDMPAUTO", "p", "99999-1", "f", "v"), AUTO_ONLY),
        (("XADD", "s", "IDMP", "p", "i", "0-0", "f", "v"), AUTO_ONLY),
        (("XADD", "s", "IDMP", "p", "i", "+", "f", "v"), INVALID_ID),
        (("XADD", "s", "IDMP", "p", "i", "*", "f", "v", "g"),
         "ERR wrong number of arguments for 'xadd' command"),
        (("XADD", "s", "IDMP", "p", "i", "MAXLEN", "5", "MINID", "1", "*", "f", "v"),
         "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
        (("XADD", "s", "IDMP", "p", "i", "MAXLEN", "5", "LIMIT", "1", "*", "f", "v"),
         "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    ]:
        bad(c, "s", args, text)
    eq(counts(c, "s"), (1, 1, 1, 0), "failed calls change no counter")
    bad(c, "new", ("XADD", "new", "IDMP", "p", "i", "1-0", "f", "v"), AUTO_ONLY)
    eq(c.call("EXISTS", "new"), 0)
    c.call("SET", "str", "x")
    is_err(c.call("XADD", "str", "IDMP", "p", "i", "*", "f", "v"), WRONGTYPE)
    is_err(c.call("XADD", "str", "IDMPAUTO", "p", "*", "f", "v"), WRONGTYPE)


@needs_streams
@needs_version(8, 6, "IDMP")
def test_nomkstream_with_idmp_on_missing_key(t):
    c = t.conn(decode=False)
    eq(c.call_raw("XADD", "missing", "NOMKSTREAM", "IDMP", "p", "i", "*", "f", "v"), b"$-1\r\n")
    eq(c.call_raw("XADD", "missing", "IDMPAUTO", "p", "NOMKSTREAM", "*", "f", "v"), b"$-1\r\n")
    c.call("HELLO", "3")
    eq(c.call_raw("XADD", "missing", "NOMKSTREAM", "IDMP", "p", "i", "*", "f", "v"), b"_\r\n")
    eq(c.call("EXISTS", "missing"), 0)
    first = c.call("XADD", "missing", "IDMP", "p", "i", "*", "f", "v")
    eq(counts(t.conn(), "missing"), (1, 1, 1, 0), "the nil replies left no state behind")
    eq(c.call("XADD", "missing", "NOMKSTREAM", "IDMP", "p", "i", "*", "f", "v"), first)


@needs_streams
@needs_version(8, 6, "IDMP")
def test_duplicate_of_deleted_or_trimmed_entry(t):
    c = t.conn()
    a = add(c, "s", "p", "a")
    b = add(c, "s", "p", "b")
    eq(c.call("XDEL", "s", a), 1)
    eq(add(c, "s", "p", "a"), a, "the deleted entry's ID comes back")
    eq(c.call("XRANGE", "s", "-", "+")[0][0], b, "and nothing is added")
    eq(c.call("XTRIM", "s", "MAXLEN", "0"), 1)
    eq(add(c, "s", "p", "b"), b, "same after trimming")
    eq(c.call("XLEN", "s"), 0)
    eq(counts(c, "s"), (1, 2, 2, 2), "XDEL and XTRIM leave the IDMP map alone")


@needs_streams
@needs_version(8, 6, "IDMP")
def test_duplicate_applies_no_trimming(t):
    c = t.conn()
    first = add(c, "s", "p", "i")
    for k in range(5):
        c.call("XADD", "s", "*", "n", str(k))
    before = state(c, "s")
    for opts in (("MAXLEN", "0"), ("MAXLEN", "~", "0", "LIMIT", "100"), ("MINID", MAX_ID),
                 ("DELREF", "MAXLEN", "1")):
        eq(c.call("XADD", "s", "IDMP", "p", "i", *opts, "*", "f", "v"), first)
    after = state(c, "s")
    eq(after[after.index("entries") + 1], before[before.index("entries") + 1],
       "no entry was trimmed by a duplicate")
    eq(c.call("XLEN", "s"), 6)
    eq(info(c, "s")["iids-duplicates"], 4)
    new = c.call("XADD", "s", "IDMP", "p", "j", "MAXLEN", "2", "*", "f", "v")
    eq(c.call("XLEN", "s"), 2, "a new entry does trim")
    eq(c.call("XRANGE", "s", "-", "+")[-1][0], new)


@needs_streams
@needs_version(8, 6, "IDMP")
def test_duplicate_wakes_no_reader(t):
    p = t.conn()
    first = add(p, "s", "p", "i")
    r = t.conn(timeout=5)
    r.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    wait_for(lambda: blocked_clients(t) == 1, what="the reader to block")
    eq(add(p, "s", "p", "i"), first)
    auto = p.call("XADD", "s", "IDMPAUTO", "q", "*", "a", "1")
    got = r.read()
    eq(got, [["s", [[auto, ["a", "1"]]]]], "only the IDMPAUTO entry is served")
    r.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    wait_for(lambda: blocked_clients(t) == 1, what="the reader to block again")
    eq(p.call("XADD", "s", "IDMPAUTO", "q", "*", "a", "1"), auto, "IDMPAUTO duplicate")
    eq(p.call("PING"), "PONG")
    eq(blocked_clients(t), 1, "the duplicate left the reader blocked")
    last = add(p, "s", "p", "new", "z", "9")
    eq(r.read(), [["s", [[last, ["z", "9"]]]]])


@needs_streams
@needs_version(8, 6, "IDMP")
def test_counters(t):
    c = t.conn()
    c.call("XADD", "s", "*", "plain", "entry")
    eq(idmp(c, "s"), (100, 100, 0, 0, 0, 0), "defaults on a stream that never used IDMP")
    add(c, "s", "p1", "i1")
    add(c, "s", "p1", "i2")
    add(c, "s", "p2", "i1")
    c.call("XADD", "s", "IDMPAUTO", "p3", "*", "f", "v")
    eq(counts(c, "s"), (3, 4, 4, 0))
    add(c, "s", "p1", "i1")
    add(c, "s", "p1", "i1")
    c.call("XADD", "s", "IDMPAUTO", "p3", "*", "f", "v")
    eq(counts(c, "s"), (3, 4, 4, 3), "duplicates count, nothing else moves")
    full = info(c, "s", "FULL")
    eq(tuple(full[k] for k in IDMP_FIELDS), (100, 100, 3, 4, 4, 3), "XINFO STREAM FULL too")
    r3 = t.conn()
    r3.call("HELLO", "3")
    m = r3.call("XINFO", "STREAM", "s")
    ok(isinstance(m, Map), "RESP3 map")
    eq(tuple(m[k] for k in IDMP_FIELDS), (100, 100, 3, 4, 4, 3))


@needs_streams
@needs_version(8, 6, "IDMP")
def test_failed_xadd_leaves_no_empty_producer(t):
    c = t.conn()
    first = add(c, "s", "p", "i")
    eq(c.call("XSETID", "s", MAX_ID), "OK")
    eq(add(c, "s", "p", "i"), first, "the duplicate check comes before the exhausted-ID error")
    bad(c, "s", ("XADD", "s", "IDMP", "newpid", "i", "*", "f", "v"), EXHAUSTED)
    bad(c, "s", ("XADD", "s", "IDMPAUTO", "autopid", "*", "f", "v"), EXHAUSTED)
    bad(c, "s", ("XADD", "s", "IDMP", "p", "other", "*", "f", "v"), EXHAUSTED)
    eq(counts(c, "s"), (1, 1, 1, 1), "no producer was left behind by the failures")


@needs_streams
@needs_version(8, 8, "XIDMPRECORD; a duplicate is a change since 8.6.2")
def test_changes_counted_for_save_points(t):
    # Reference sections 2, 5 and 6: a duplicate XADD, a changing XCFGSET and
    # a new XIDMPRECORD are changes (they are propagated); a no-op XCFGSET or
    # XIDMPRECORD is not.
    c = t.conn()

    def dirty():
        return int(t.info("persistence")[None]["rdb_changes_since_last_save"])

    e = add(c, "s", "p", "i")
    for args, n in [
        (("XADD", "s", "IDMP", "p", "i", "*", "f", "v"), 1),
        (("XADD", "s", "IDMP", "p", "j", "*", "f", "v"), 1),
        (("XCFGSET", "s", "IDMP-DURATION", "100"), 0),
        (("XCFGSET", "s", "IDMP-DURATION", "50"), 1),
        (("XIDMPRECORD", "s", "p", "i", e), 1),
        (("XIDMPRECORD", "s", "p", "i", e), 0),
        (("XADD", "s", "IDMP", "p", "x", "5-0", "f", "v"), 0),
        (("XCFGSET", "s", "IDMP-DURATION", "0"), 0),
    ]:
        before = dirty()
        c.call(*args)
        eq(dirty() - before, n, "changes counted for %s" % " ".join(args))


# ---------------------------------------------------------------- IDMPAUTO

@needs_streams
@needs_version(8, 6, "IDMP")
def test_idmpauto_iids_match_the_reference_vectors(t):
    # The iid of an IDMPAUTO entry is observed through XIDMPRECORD: the
    # vector's 16 bytes recorded for another ID of the same producer must
    # collide with it, and recorded for the entry's own ID be a no-op.
    c = t.conn()
    for n, (fv, hexiid) in enumerate(VECTORS):
        key = "v%d" % n
        iid = bytes.fromhex(hexiid)
        e1 = c.call("XADD", key, "IDMPAUTO", "p", "*", *fv)
        e2 = c.call("XADD", key, "*", "other", "entry")
        is_err(c.call("XIDMPRECORD", key, "p", iid, e2), DIFFERENT, what="vector %r" % (fv,))
        eq(c.call("XIDMPRECORD", key, "p", iid, e1), "OK")
        eq(counts(c, key), (1, 1, 1, 0), "the matching record changed nothing (%r)" % (fv,))
    # the other way round: an explicit 16-byte iid equal to the hash
    for n, (fv, hexiid) in enumerate(VECTORS):
        key = "w%d" % n
        first = c.call("XADD", key, "IDMP", "p", bytes.fromhex(hexiid), "*", "x", "y")
        eq(c.call("XADD", key, "IDMPAUTO", "p", "*", *fv), first,
           "IDMPAUTO of %r hits the explicit iid" % (fv,))


@needs_streams
@needs_version(8, 6, "IDMP")
def test_idmpauto_content_rules(t):
    c = t.conn()
    a = c.call("XADD", "s", "IDMPAUTO", "p", "*", "amount", "100", "currency", "USD")
    eq(c.call("XADD", "s", "IDMPAUTO", "p", "*", "currency", "USD", "amount", "100"), a,
       "field order does not matter")
    ids = {a}
    for fv in (("amount", "100"), ("amount", "100", "currency", "EUR"), ("field1", "v"),
               ("field2", "v"), ("f", ""), ("f", "v", "f", "v"), ("f", "v"), ("a", "bc"), ("ab", "c"),
               ("", "fv"), ("f", "v\x00")):
        r = c.call("XADD", "s", "IDMPAUTO", "p", "*", *fv)
        ok(r not in ids, "%r must be a new message" % (fv,))
        ids.add(r)
        eq(c.call("XADD", "s", "IDMPAUTO", "p", "*", *fv), r)
    other = c.call("XADD", "s", "IDMPAUTO", "q", "*", "amount", "100", "currency", "USD")
    ok(other not in ids, "another producer has its own map")


# ---------------------------------------------------------------- binary, big, unicode

@needs_streams
@needs_version(8, 6, "IDMP")
def test_binary_and_64kb_iids(t):
    c = t.conn(decode=False)
    rnd = os.urandom(64 * 1024)
    big = b"\x00\r\n" + rnd[3:]
    e1 = c.call("XADD", "s", "IDMP", "p", big, "*", "f", "v")
    eq(c.call("XADD", "s", "IDMP", "p", big, "*", "f", "w"), e1)
    near = big[:-1] + bytes([big[-1] ^ 1])
    e2 = c.call("XADD", "s", "IDMP", "p", near, "*", "f", "v")
    ok(e2 != e1, "a 64 KB iid differing in its last byte is new")
    shorter = big[:-1]
    e3 = c.call("XADD", "s", "IDMP", "p", shorter, "*", "f", "v")
    ok(e3 not in (e1, e2), "a prefix is another iid")
    for iid in (b"\x00", b"\x00\x00", b"\xff", b"\r\n", b"a\x00b"):
        first = c.call("XADD", "s", "IDMP", "p", iid, "*", "f", "v")
        eq(c.call("XADD", "s", "IDMP", "p", iid, "*", "f", "v"), first, "binary iid %r" % iid)
    eq(c.call("XLEN", "s"), 8)
    eq(c.call("XIDMPRECORD", "s", "p", big, e1), "OK", "XIDMPRECORD sees the same 64 KB iid")
    eq(c.call("XIDMPRECORD", "s", "p", near, e1), "ERR IID already exists for this producer with a "
       "different stream ID")


@needs_streams
@needs_version(8, 6, "IDMP")
def test_unicode_and_long_pids(t):
    c = t.conn()
    long_pid = "P" * 999 + "\u00e9"  # 1000 characters, 1001 bytes
    pids = ["生产者-🚀", "producer", long_pid, long_pid[:-1], "P" * 1000]
    ids = {}
    for pid in pids:
        ids[pid] = add(c, "s", pid, "same-iid")
    eq(len(set(ids.values())), len(pids), "each pid has its own namespace")
    for pid in pids:
        eq(add(c, "s", pid, "same-iid"), ids[pid])
    eq(add(c, "s", "生产者-🚀", "ключ-✓"), add(c, "s", "生产者-🚀", "ключ-✓"))
    eq(counts(c, "s")[:2], (5, 6))


# ---------------------------------------------------------------- concurrency and transactions

@needs_streams
@needs_version(8, 6, "IDMP")
def test_concurrent_duplicate_senders(t):
    nthreads, rounds = 8, 10
    conns = [t.conn() for _ in range(nthreads)]
    results = [[None] * rounds for _ in range(nthreads)]
    barrier = threading.Barrier(nthreads)

    def worker(k):
        for r in range(rounds):
            barrier.wait(10)
            results[k][r] = conns[k].call("XADD", "s", "IDMP", "shared", "msg-%d" % r, "*",
                                          "sender", str(k))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(nthreads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
        ok(not th.is_alive(), "sender finished")
    c = t.conn()
    entries = c.call("XRANGE", "s", "-", "+")
    eq(len(entries), rounds, "exactly one entry per message")
    for r in range(rounds):
        got = {results[k][r] for k in range(nthreads)}
        eq(len(got), 1, "every sender of msg-%d got the same ID: %r" % (r, got))
        eq(got.pop(), entries[r][0])
    eq(counts(c, "s"), (1, rounds, rounds, rounds * (nthreads - 1)))


@needs_streams
@needs_version(8, 6, "IDMP")
def test_duplicates_inside_one_transaction(t):
    c = t.conn()
    eq(c.call("MULTI"), "OK")
    for args in (("IDMP", "p", "i", "*", "f", "1"), ("IDMP", "p", "i", "*", "f", "2"),
                 ("IDMPAUTO", "q", "*", "a", "1"), ("IDMPAUTO", "q", "*", "a", "1")):
        eq(c.call("XADD", "s", *args), "QUEUED")
    res = c.call("EXEC")
    eq(len(res), 4)
    eq(res[0], res[1])
    eq(res[2], res[3])
    ok(res[0] != res[2], "two messages")
    eq(c.call("XLEN", "s"), 2)
    eq(counts(c, "s"), (2, 2, 2, 2))
    with t.r.pipeline(transaction=True) as pl:
        pl.xadd("s", {"f": "3"}, id="*")
        pl.execute_command("XADD", "s", "IDMP", "p", "i", "*", "f", "4")
        out = pl.execute()
    eq(out[1], res[0], "a duplicate in a redis-py transaction")


@needs_streams
@needs_version(8, 6, "IDMP")
def test_watch_not_invalidated_by_duplicates_xcfgset_xidmprecord(t):
    c = t.conn()
    other = t.conn()
    first = add(other, "s", "p", "i")

    def watched(action):
        eq(c.call("WATCH", "s"), "OK")
        action()
        c.call("MULTI")
        c.call("SET", "marker", "x")
        return c.call("EXEC")

    eq(watched(lambda: eq(add(other, "s", "p", "i"), first)), ["OK"], "duplicate XADD")
    auto = []
    eq(watched(lambda: auto.append(other.call("XADD", "s", "IDMPAUTO", "a", "*", "f", "v"))),
       None, "a new entry invalidates WATCH")
    eq(watched(lambda: eq(other.call("XADD", "s", "IDMPAUTO", "a", "*", "f", "v"), auto[0])),
       ["OK"], "an IDMPAUTO duplicate does not")
    eq(watched(lambda: eq(other.call("XCFGSET", "s", "IDMP-DURATION", "50"), "OK")), ["OK"],
       "XCFGSET that changes a value")
    eq(watched(lambda: eq(other.call("XCFGSET", "s", "IDMP-DURATION", "50"), "OK")), ["OK"],
       "XCFGSET that changes nothing")
    eid = other.call("XRANGE", "s", "-", "+")[0][0]
    eq(watched(lambda: eq(other.call("XIDMPRECORD", "s", "p", "rec", eid), "OK")), ["OK"],
       "XIDMPRECORD")
    eq(watched(lambda: eq(other.call("XDEL", "s", eid), 1)), None, "XDEL does invalidate")


# ---------------------------------------------------------------- XCFGSET

@needs_streams
@needs_version(8, 6, "XCFGSET")
def test_xcfgset_validation_order_and_errors(t):
    c = t.conn()
    is_err(c.call("XCFGSET", "missing"), "ERR no such key")
    is_err(c.call("XCFGSET", "missing", "FOO"), "ERR no such key", what="the key comes first")
    is_err(c.call("XCFGSET", "missing", "IDMP-DURATION", "0"), "ERR no such key")
    eq(c.call("EXISTS", "missing"), 0)
    c.call("SET", "str", "x")
    is_err(c.call("XCFGSET", "str", "FOO"), WRONGTYPE)
    is_err(c.call("XCFGSET"), "ERR wrong number of arguments for 'xcfgset' command")
    add(c, "s", "p", "i")
    for args, text in [
        (("XCFGSET", "s"), NO_PARAM),
        (("XCFGSET", "s", "FOO", "1"), SYNTAX),
        (("XCFGSET", "s", "IDMP-DURATION"), SYNTAX),
        (("XCFGSET", "s", "IDMP-DURATION", "5", "IDMP-MAXSIZE"), SYNTAX),
        (("XCFGSET", "s", "IDMP-DURATION", "5", "FOO", "1"), SYNTAX),
        (("XCFGSET", "s", "DURATION", "5"), SYNTAX),
        (("XCFGSET", "s", "IDMP-DURATION", "5", "IDMP-DURATION", "5"),
         "ERR IDMP-DURATION specified multiple times"),
        (("XCFGSET", "s", "IDMP-MAXSIZE", "5", "idmp-maxsize", "6"),
         "ERR IDMP-MAXSIZE specified multiple times"),
        (("XCFGSET", "s", "IDMP-DURATION", "5", "IDMP-DURATION", "x"),
         "ERR IDMP-DURATION specified multiple times"),
        (("XCFGSET", "s", "IDMP-DURATION", "0", "IDMP-DURATION", "5"), DUR_RANGE),
        (("XCFGSET", "s", "IDMP-DURATION", "0"), DUR_RANGE),
        (("XCFGSET", "s", "IDMP-DURATION", "86401"), DUR_RANGE),
        (("XCFGSET", "s", "IDMP-DURATION", "-1"), DUR_RANGE),
        (("XCFGSET", "s", "IDMP-MAXSIZE", "0"), MAX_RANGE),
        (("XCFGSET", "s", "IDMP-MAXSIZE", "10001"), MAX_RANGE),
        (("XCFGSET", "s", "IDMP-MAXSIZE", "-5"), MAX_RANGE),
        (("XCFGSET", "s", "IDMP-DURATION", "5", "IDMP-MAXSIZE", "0"), MAX_RANGE),
        (("XCFGSET", "s", "IDMP-MAXSIZE", "0", "IDMP-DURATION", "x"), MAX_RANGE),
    ]:
        bad(c, "s", args, text)
    for v in ("3.14", "120-5", "*", "-", "+", "000000000", "010", "0x10", "", "abc",
              "99999999999999999999", " 5"):
        bad(c, "s", ("XCFGSET", "s", "IDMP-DURATION", v), NOT_INT)
        bad(c, "s", ("XCFGSET", "s", "IDMP-MAXSIZE", v), NOT_INT)
    eq(idmp(c, "s"), (100, 100, 1, 1, 1, 0), "nothing was applied by the failures")


@needs_streams
@needs_version(8, 6, "XCFGSET")
def test_xcfgset_clears_maps_only_on_change(t):
    c = t.conn()
    first = add(c, "s", "p", "i")
    add(c, "s", "q", "j")
    add(c, "s", "p", "i")
    eq(c.call("XCFGSET", "s", "IDMP-DURATION", "100"), "OK")
    eq(c.call("XCFGSET", "s", "IDMP-MAXSIZE", "100", "IDMP-DURATION", "100"), "OK")
    eq(c.call("xcfgset", "s", "idmp-maxsize", "100"), "OK")
    eq(idmp(c, "s"), (100, 100, 2, 2, 2, 1), "same values: history kept")
    eq(add(c, "s", "p", "i"), first)
    eq(c.call("XCFGSET", "s", "IDMP-DURATION", "100", "IDMP-MAXSIZE", "50"), "OK")
    eq(idmp(c, "s"), (100, 50, 0, 0, 2, 2), "a changed value clears every producer; counters stay")
    again = add(c, "s", "p", "i")
    ok(again != first, "the old iid is forgotten")
    eq(c.call("XCFGSET", "s", "IDMP-MAXSIZE", "50"), "OK")
    eq(add(c, "s", "p", "i"), again, "same value again: not cleared")
    eq(c.call("XCFGSET", "s", "IDMP-DURATION", "7"), "OK")
    eq(idmp(c, "s"), (7, 50, 0, 0, 3, 3))
    eq(c.call("XCFGSET", "s", "IDMP-DURATION", "1", "IDMP-MAXSIZE", "1"), "OK")
    eq(c.call("XCFGSET", "s", "IDMP-DURATION", "86400", "IDMP-MAXSIZE", "10000"), "OK", "upper bounds")
    eq(idmp(c, "s")[:2], (86400, 10000))
    eq(c.call("XLEN", "s"), 3)


@needs_streams
@needs_version(8, 6, "XCFGSET")
def test_xcfgset_on_empty_and_plain_streams(t):
    c = t.conn()
    c.call("XADD", "s", "MAXLEN", "0", "*", "f", "v")
    eq(c.call("XLEN", "s"), 0)
    eq(c.call("XCFGSET", "s", "IDMP-MAXSIZE", "3"), "OK", "an empty stream can be configured")
    eq(idmp(c, "s"), (100, 3, 0, 0, 0, 0))
    for k in range(5):
        add(c, "s", "p", "i%d" % k)
    eq(counts(c, "s"), (1, 3, 5, 0), "the new maxsize applies")


# ---------------------------------------------------------------- XIDMPRECORD

@needs_streams
@needs_version(8, 8, "XIDMPRECORD")
def test_xidmprecord_validation_order(t):
    c = t.conn()
    c.call("SET", "str", "x")
    # 1. the stream ID, 2. the pid, 3. the iid, 4. the key, 5. the entry
    is_err(c.call("XIDMPRECORD", "missing", "", "", "abc"), INVALID_ID)
    is_err(c.call("XIDMPRECORD", "str", "", "", "+"), INVALID_ID)
    is_err(c.call("XIDMPRECORD", "missing", "p", "i", "-"), INVALID_ID)
    is_err(c.call("XIDMPRECORD", "missing", "p", "i", "1-2-3"), INVALID_ID)
    is_err(c.call("XIDMPRECORD", "missing", "", "", "1-0"), "ERR producer ID must be non-empty")
    is_err(c.call("XIDMPRECORD", "str", "", "i", "1-0"), "ERR producer ID must be non-empty")
    is_err(c.call("XIDMPRECORD", "missing", "p", "", "1-0"), "ERR idempotent ID must be non-empty")
    is_err(c.call("XIDMPRECORD", "missing", "p", "i", "1-0"), "ERR no such key")
    eq(c.call("EXISTS", "missing"), 0)
    is_err(c.call("XIDMPRECORD", "str", "p", "i", "1-0"), WRONGTYPE)
    c.call("XADD", "s", "5-0", "f", "v")
    c.call("XADD", "s", "6-0", "f", "v")
    c.call("XDEL", "s", "6-0")
    for args, text in [
        (("XIDMPRECORD", "s", "p", "i", "4-0"), NO_MESSAGE),
        (("XIDMPRECORD", "s", "p", "i", "6-0"), NO_MESSAGE),
        (("XIDMPRECORD", "s", "p", "i", "5-1"), NO_MESSAGE),
        (("XIDMPRECORD", "s", "p", "i", "5-0", "extra"),
         "ERR wrong number of arguments for 'xidmprecord' command"),
        (("XIDMPRECORD", "s", "p", "i"), "ERR wrong number of arguments for 'xidmprecord' command"),
    ]:
        bad(c, "s", args, text)
    eq(counts(c, "s"), (0, 0, 0, 0), "no producer was created by the failures")
    eq(c.call("XIDMPRECORD", "s", "p", "i", "5"), "OK", "a bare ms means ms-0")
    eq(counts(c, "s"), (1, 1, 1, 0))


@needs_streams
@needs_version(8, 8, "XIDMPRECORD")
def test_xidmprecord_records_and_is_idempotent(t):
    c = t.conn()
    e1 = c.call("XADD", "s", "*", "f", "1")
    e2 = c.call("XADD", "s", "*", "f", "2")
    eq(c.call("XIDMPRECORD", "s", "p", "i", e1), "OK")
    eq(counts(c, "s"), (1, 1, 1, 0))
    eq(c.call("XIDMPRECORD", "s", "p", "i", e1), "OK", "the same mapping again")
    eq(counts(c, "s"), (1, 1, 1, 0), "... changes nothing, not even iids-duplicates")
    bad(c, "s", ("XIDMPRECORD", "s", "p", "i", e2), DIFFERENT)
    eq(add(c, "s", "p", "i"), e1, "XADD IDMP sees the recorded pair as a duplicate")
    eq(c.call("XLEN", "s"), 2)
    eq(counts(c, "s"), (1, 1, 1, 1))
    eq(c.call("XIDMPRECORD", "s", "p", "j", e1), "OK", "two iids may map to one entry")
    eq(c.call("XIDMPRECORD", "s", "q", "i", e2), "OK", "the same iid under another pid")
    eq(counts(c, "s"), (2, 3, 3, 1))
    bad(c, "s", ("XIDMPRECORD", "s", "q", "i", e1), DIFFERENT)
    eq(c.call("XDEL", "s", e1), 1)
    bad(c, "s", ("XIDMPRECORD", "s", "p", "k", e1), NO_MESSAGE)
    eq(add(c, "s", "p", "i"), e1, "the mapping outlives its entry")


@needs_streams
@needs_version(8, 8, "XIDMPRECORD")
def test_xidmprecord_respects_maxsize(t):
    c = t.conn()
    ids = [c.call("XADD", "s", "*", "n", str(k)) for k in range(4)]
    eq(c.call("XCFGSET", "s", "IDMP-MAXSIZE", "2"), "OK")
    for k, eid in enumerate(ids):
        eq(c.call("XIDMPRECORD", "s", "p", "r%d" % k, eid), "OK")
    eq(counts(c, "s"), (1, 2, 4, 0), "the oldest records were evicted")
    eq(add(c, "s", "p", "r3"), ids[3])
    eq(add(c, "s", "p", "r2"), ids[2])
    new = add(c, "s", "p", "r0")
    ok(new not in ids, "r0 was evicted, so it is a new message")
    c3 = t.conn(decode=False)
    c3.call("HELLO", "3")
    eq(c3.call_raw("XIDMPRECORD", "s", "p", "r9", ids[0]), b"+OK\r\n")


# ---------------------------------------------------------------- retention

@needs_streams
@needs_version(8, 6, "IDMP")
def test_maxsize_eviction_per_producer(t):
    c = t.conn()
    c.call("XADD", "s", "*", "seed", "x")
    eq(c.call("XCFGSET", "s", "IDMP-MAXSIZE", "8"), "OK")
    a = {k: add(c, "s", "A", "req-%d" % k) for k in range(1, 101)}
    b = {k: add(c, "s", "B", "req-%d" % k) for k in range(1, 4)}
    cc = {k: add(c, "s", "C", "req-%d" % k) for k in range(1, 9)}
    eq(counts(c, "s"), (3, 19, 111, 0))
    for k in range(93, 101):
        eq(add(c, "s", "A", "req-%d" % k), a[k], "A's newest 8 still dedupe (req-%d)" % k)
    for k in range(1, 4):
        eq(add(c, "s", "B", "req-%d" % k), b[k], "B is not affected by A's evictions")
    for k in range(1, 9):
        eq(add(c, "s", "C", "req-%d" % k), cc[k], "C holds exactly maxsize")
    eq(counts(c, "s"), (3, 19, 111, 19))
    n = c.call("XLEN", "s")
    again = add(c, "s", "A", "req-1")
    ok(again != a[1], "A's req-1 was evicted")
    eq(c.call("XLEN", "s"), n + 1)
    eq(counts(c, "s"), (3, 19, 112, 19), "one in, one evicted")
    again = add(c, "s", "A", "req-93")
    ok(again != a[93], "the new req-1 evicted req-93, the oldest")


@needs_streams
@needs_version(8, 6, "IDMP")
@timeout(30)
def test_duration_expiry(t):
    c = t.conn()
    c.call("XADD", "s", "*", "seed", "x")
    eq(c.call("XCFGSET", "s", "IDMP-DURATION", "1"), "OK")
    first = add(c, "s", "p", "i")
    add(c, "s", "q", "j")
    eq(add(c, "s", "p", "i"), first, "a duplicate is detected at once")
    # The iids expire within about duration + 1 s (a once-a-second job).
    wait_for(lambda: counts(c, "s")[1] == 0, timeout=8, interval=0.1,
             what="the iids to expire (duration 1)")
    eq(counts(c, "s"), (0, 0, 2, 1), "expired producers are removed; counters stay")
    again = add(c, "s", "p", "i")
    ok(again != first, "after expiry the same iid makes a new entry")
    eq(c.call("XLEN", "s"), 4)


@needs_streams
@needs_version(8, 8, "XIDMPRECORD")
@timeout(30)
def test_expiry_uses_the_entry_id_time(t):
    c = t.conn()
    c.call("XADD", "s", "1-0", "ancient", "entry")
    recent = c.call("XADD", "s", "*", "f", "v")
    eq(c.call("XIDMPRECORD", "s", "old", "i", "1-0"), "OK")
    eq(c.call("XIDMPRECORD", "s", "new", "i", recent), "OK")
    # out of ID order: only a producer's oldest records are checked, so the
    # old record behind a recent one outlives its time
    eq(c.call("XIDMPRECORD", "s", "mix", "a", recent), "OK")
    eq(c.call("XIDMPRECORD", "s", "mix", "b", "1-0"), "OK")
    eq(counts(c, "s")[:2], (3, 4))
    wait_for(lambda: counts(c, "s")[:2] == (2, 3), timeout=8, interval=0.1,
             what="the record for ID 1-0 to expire at the next pass")
    eq(add(c, "s", "new", "i"), recent, "the recent record stays (duration 100)")
    eq(add(c, "s", "mix", "b"), "1-0", "the record behind a live one stays too")


@needs_streams
@needs_version(8, 6, "IDMP")
@timeout(40)
def test_state_follows_rename_move_swapdb_copy(t):
    c = t.conn()
    keys = {}
    for name in ("ren", "mov", "swp", "cpy", "del"):
        c.call("XADD", name, "*", "seed", "x")
        eq(c.call("XCFGSET", name, "IDMP-DURATION", "1"), "OK")
        keys[name] = add(c, name, "p", "i")
    eq(c.call("RENAME", "ren", "ren2"), "OK")
    eq(c.call("MOVE", "mov", "3"), 1)
    eq(c.call("COPY", "cpy", "cpy2"), 1)
    eq(c.call("SELECT", "5"), "OK")
    c.call("XADD", "other", "*", "f", "v")
    eq(c.call("SELECT", "0"), "OK")
    eq(c.call("SWAPDB", "0", "5"), "OK")
    eq(c.call("SWAPDB", "0", "5"), "OK")
    c.call("SELECT", "5")
    c.call("SWAPDB", "5", "6")
    c.call("SELECT", "0")
    eq(c.call("DEL", "del"), 1)
    # dedupe works at the new places, at once
    eq(add(c, "ren2", "p", "i"), keys["ren"])
    eq(add(c, "cpy2", "p", "i"), keys["cpy"])
    eq(add(c, "cpy", "p", "i"), keys["cpy"])
    eq(add(c, "swp", "p", "i"), keys["swp"])
    m = t.conn()
    m.call("SELECT", "3")
    eq(add(m, "mov", "p", "i"), keys["mov"])
    # and expiry keeps working on each of them
    places = [(c, "ren2"), (c, "cpy2"), (c, "cpy"), (c, "swp"), (m, "mov")]
    wait_for(lambda: all(counts(conn, k)[1] == 0 for conn, k in places), timeout=10, interval=0.1,
             what="expiry after RENAME/MOVE/SWAPDB/COPY")
    for conn, k in places:
        eq(counts(conn, k)[0], 0, "no producer left in %s" % k)
    add(c, "del", "p", "i")
    eq(c.call("XLEN", "del"), 1)
    eq(counts(c, "del"), (1, 1, 1, 0), "a stream re-created after DEL starts fresh")


# ---------------------------------------------------------------- keyspace

@needs_streams
@needs_version(8, 6, "IDMP")
def test_copy_copies_the_idmp_state(t):
    c = t.conn()
    c.call("XADD", "s", "*", "seed", "x")
    eq(c.call("XCFGSET", "s", "IDMP-MAXSIZE", "50"), "OK")
    e1 = add(c, "s", "p", "i")
    e2 = c.call("XADD", "s", "IDMPAUTO", "q", "*", "a", "1")
    add(c, "s", "p", "i")
    add(c, "s", "p", "i")
    eq(c.call("COPY", "s", "c"), 1)
    eq(idmp(c, "c"), idmp(c, "s"), "settings, producers and counters copied")
    eq(idmp(c, "c"), (100, 50, 2, 2, 2, 2))
    eq(add(c, "c", "p", "i"), e1, "dedupe works on the copy")
    eq(c.call("XADD", "c", "IDMPAUTO", "q", "*", "a", "1"), e2)
    eq(idmp(c, "c")[5], 4)
    eq(idmp(c, "s")[5], 2, "the original's counters are its own")
    add(c, "c", "p", "new")
    n = c.call("XLEN", "s")
    add(c, "s", "p", "new")
    eq(c.call("XLEN", "s"), n + 1, "the maps are independent after COPY")
    eq(idmp(c, "s")[5], 2)
    eq(c.call("COPY", "s", "other", "DB", "2"), 1)
    c.call("SELECT", "2")
    eq(add(c, "other", "p", "i"), e1, "COPY to another db keeps the state too")
    eq(c.call("XADD", "other", "IDMPAUTO", "q", "*", "a", "1"), e2, "IDMPAUTO iids copied too")


@needs_streams
@needs_version(8, 6, "IDMP")
def test_del_frees_state_and_new_stream_starts_fresh(t):
    c = t.conn()
    c.call("XADD", "s", "*", "seed", "x")
    eq(c.call("XCFGSET", "s", "IDMP-MAXSIZE", "5"), "OK")
    add(c, "s", "p", "i")
    add(c, "s", "p", "i")
    eq(c.call("DEL", "s"), 1)
    add(c, "s", "p", "i")
    eq(c.call("XLEN", "s"), 1)
    eq(idmp(c, "s"), (100, 100, 1, 1, 1, 0), "nothing remembered: fresh settings and counters")
    c.call("SET", "s", "string now")
    is_err(c.call("XADD", "s", "IDMP", "p", "i", "*", "f", "v"), "WRONGTYPE Operation against a key "
           "holding the wrong kind of value")
    c.call("DEL", "s")
    c.call("XADD", "s", "*", "seed", "x")
    add(c, "s", "p", "i")
    eq(c.call("FLUSHALL"), "OK")
    add(c, "s", "p", "i")
    eq(c.call("XLEN", "s"), 1, "FLUSHALL forgets too")
    eq(counts(c, "s"), (1, 1, 1, 0))


@needs_streams
@needs_version(8, 6, "stream-idmp-* configs")
def test_config_defaults_apply_to_new_streams_only(t):
    c = t.conn()
    old = add(c, "old", "p", "i")
    for name, lo, hi in (("stream-idmp-duration", 1, 86400), ("stream-idmp-maxsize", 1, 10000)):
        for v in (lo - 1, hi + 1):
            is_err(c.call("CONFIG", "SET", name, str(v)),
                   "ERR CONFIG SET failed (possibly related to argument '%s') - argument must be "
                   "between %d and %d inclusive" % (name, lo, hi))
        eq(c.call("CONFIG", "GET", name), [name, "100"])
    set_config(t, "stream-idmp-duration", 7)
    set_config(t, "stream-idmp-maxsize", 3)
    eq(c.call("CONFIG", "GET", "stream-idmp-*"),
       ["stream-idmp-duration", "7", "stream-idmp-maxsize", "3"])
    add(c, "new", "p", "i")
    eq(idmp(c, "new")[:2], (7, 3), "a new stream takes the new defaults")
    eq(idmp(c, "old")[:2], (100, 100), "an existing one keeps its settings")
    eq(add(c, "old", "p", "i"), old)
    for k in range(5):
        add(c, "new", "p", "k%d" % k)
    eq(counts(c, "new")[1], 3, "the new default maxsize applies")
    c.call("XADD", "plain", "*", "f", "v")
    eq(idmp(c, "plain")[:2], (7, 3), "also for streams created without IDMP")
    eq(c.call("COPY", "old", "old2"), 1)
    eq(idmp(c, "old2")[:2], (100, 100), "COPY keeps the source's settings")


# ---------------------------------------------------------------- node-redis

@needs_streams
@needs_version(8, 6, "IDMP")
@timeout(90)
def test_node_redis_typed_idmp_api(t):
    for resp in (2, 3):
        out = t.node("idmp.mjs", "tok%d" % resp, resp)
        eq(out.get("exception"), None)
        eq(out["errors"], [])
        ok(isinstance(out["first"], str) and "-" in out["first"], "xAdd with IDMP: %r" % out["first"])
        eq(out["retry"], out["first"], "RESP%d: the retry gets the original ID" % resp)
        ok(out["other"] != out["first"], "a new iid")
        eq(out["auto2"], out["auto1"], "IDMPAUTO ignores field order")
        eq(out["trimmedRetry"], out["trimmed"], "a duplicate with TRIM options")
        eq(out["len"], 3, "MAXLEN = 3 trimmed, the duplicate's MAXLEN 0 did not")
        eq(out["infoBefore"], {"idmp-duration": 100, "idmp-maxsize": 100, "pids-tracked": 2,
                               "iids-tracked": 4, "iids-added": 4, "iids-duplicates": 3,
                               "length": 3})
        eq(out["noMk"], None)
        eq(out["missingExists"], 0)
        eq(out["cfgSame"], "OK")
        eq(out["afterSame"], out["first"], "same-value XCFGSET keeps the map")
        eq(out["cfgChange"], "OK")
        eq(out["infoAfterChange"], {"idmp-duration": 60, "idmp-maxsize": 2, "pids-tracked": 0,
                                    "iids-tracked": 0, "iids-added": 4, "iids-duplicates": 4,
                                    "length": 3})
        ok(out["afterChange"] != out["first"], "a changed XCFGSET cleared the map")
        eq(out["cfgOnlyMaxsize"], "OK")
        eq(out["cfgRangeError"], DUR_RANGE)
        eq(out["cfgNoKeyError"], "ERR no such key")
        eq(out["explicitIdError"], AUTO_ONLY)
        eq(out["infoEnd"]["iids-tracked"], 1)
        eq(out["bin2"], out["bin1"], "a Buffer iid")
        eq(out["multi"][0], out["multi"][1], "a duplicate inside MULTI")


def test_xidmpkeep_records_a_mapping_to_a_deleted_entry(t):
    """XIDMPKEEP is Weir's rewrite form for a mapping whose entry is gone:
    like XIDMPRECORD but the entry need not exist (it must not be past the
    stream's last ID)."""
    c = t.conn()
    eid = c.call("XADD", "s", "*", "f", "v")
    c.call("XADD", "s", "*", "f", "w")
    c.call("XDEL", "s", eid)
    is_err(c.call("XIDMPRECORD", "s", "p", "i", eid), "ERR No such message in stream")
    eq(c.call("XIDMPKEEP", "s", "p", "i", eid), "OK", "kept")
    eq(c.call("XADD", "s", "IDMP", "p", "i", "*", "f", "again"), eid,
       "a retry gets the deleted entry's ID")
    is_err(c.call("XIDMPKEEP", "s", "p", "j", "99999999999999-0"),
           "ERR The ID is greater than the stream's last generated ID")
    is_err(c.call("XIDMPKEEP", "missing", "p", "i", eid), "ERR no such key")
    is_err(c.call("XIDMPKEEP", "s", "", "i", eid), "ERR producer ID must be non-empty")
    is_err(c.call("XIDMPKEEP", "s", "p", "i", "1-1"),
           "ERR IID already exists for this producer with a different stream ID")
