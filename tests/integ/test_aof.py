"""Append-only file: the multi-part directory layout, replay, torn and
corrupt files, rewrite equivalence (streams, groups, IDMP state and
counters), moving AOF directories between Weir and Debian's Redis 7.0
tools, DEBUG LOADAOF, INFO persistence and disk failures.

Every test starts its own servers (not applicable in --external mode).
The kill -9 crash loop lives in test_aof_crash.py.
"""

import os
import shutil
import subprocess
import tempfile
import threading
import time

from harness import (Err, NotApplicable, Server, eq, fail, is_err, ok, parse_info, timeout,
                     wait_for)

AOF_DIR = "appendonlydir"
MANIFEST = "appendonly.aof.manifest"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def aof_server(t, *extra, **kw):
    if not t.is_weir:
        raise NotApplicable("checks Weir's AOF (IDMP forms, weir-check-aof, fault hook)")
    args = ["--appendonly", "yes", "--appendfsync", kw.pop("fsync", "always")] + list(extra)
    return t.spawn(args=args, **kw)


def aof_path(server, name=""):
    return os.path.join(server.dir, AOF_DIR, name)


def manifest_files(server):
    with open(aof_path(server, MANIFEST)) as f:
        lines = [l.split() for l in f.read().splitlines() if l and not l.startswith("#")]
    return [(l[1], l[5]) for l in lines]


def incr_file(server):
    names = [n for n, kind in manifest_files(server) if kind == "i"]
    return aof_path(server, names[-1])


def conn(t, server, db=0):
    c = t.conn(server=server)
    if db:
        c.ok_call("SELECT", db)
    return c


def restart(server, hard=False):
    if hard:
        server.kill()
    else:
        server.stop()
    server.start()


def info_persistence(t, server):
    return t.info("persistence", server=server)[None]


def wait_rewrite_done(t, server, before):
    """Wait until a BGREWRITEAOF started after `before` rewrites finished."""
    def done():
        i = info_persistence(t, server)
        return (i.get("aof_rewrite_in_progress") == "0" and int(i.get("aof_rewrites", 0)) > before
                and i)
    return wait_for(done, timeout=15, what="the AOF rewrite to finish")


def rewrite(t, server):
    before = int(info_persistence(t, server).get("aof_rewrites", 0))
    r = conn(t, server).call("BGREWRITEAOF")
    eq(r, "Background append only file rewriting started", "BGREWRITEAOF")
    wait_rewrite_done(t, server, before)


def check_tool(t):
    path = os.path.join(os.path.dirname(os.path.abspath(t.binary)), "weir-check-aof")
    if not os.access(path, os.X_OK):
        fail("weir-check-aof is not built next to %s (make target missing?)" % t.binary)
    return path


def xinfo_full(c, key):
    """XINFO STREAM FULL as a dict, minus what a rewrite legitimately
    changes: node packing and consumer seen/active times."""
    r = c.ok_call("XINFO", "STREAM", key, "FULL", "COUNT", "0")
    d = dict(zip(r[0::2], r[1::2]))
    d.pop("radix-tree-keys", None)
    d.pop("radix-tree-nodes", None)
    groups = []
    for g in d.get("groups") or []:
        gd = dict(zip(g[0::2], g[1::2]))
        cons = []
        for cs in gd.get("consumers") or []:
            cd = dict(zip(cs[0::2], cs[1::2]))
            cd.pop("seen-time", None)
            cd.pop("active-time", None)
            cons.append(cd)
        gd["consumers"] = cons
        groups.append(gd)
    d["groups"] = groups
    return d


def snapshot(t, server, dbs=(0, 1)):
    """Every key of the given dbs: strings by value, streams by XINFO FULL,
    plus whether each key has a TTL."""
    out = {}
    for db in dbs:
        c = conn(t, server, db)
        for k in sorted(c.ok_call("KEYS", "*")):
            typ = c.ok_call("TYPE", k)
            val = c.ok_call("GET", k) if typ == "string" else xinfo_full(c, k)
            out[(db, k)] = (typ, val, c.ok_call("PTTL", k) > 0)
        c.close()
    return out


def idmp_counters(c, key):
    r = c.ok_call("XINFO", "STREAM", key)
    d = dict(zip(r[0::2], r[1::2]))
    return {k: d[k] for k in ("iids-added", "iids-duplicates", "iids-tracked", "pids-tracked",
                              "idmp-duration", "idmp-maxsize", "length", "entries-added")}


def populate(t, server):
    """Strings, TTLs, a second db, streams with deletions and trimming,
    IDMP (explicit and auto, duplicates, non-default settings with
    eviction), consumer groups with pending entries, an empty stream."""
    c = conn(t, server)
    c.ok_call("SET", "str", "value")
    c.ok_call("SET", "ttl", "v", "PX", "100000")
    for i in range(30):
        c.ok_call("XADD", "s1", "*", "f", i, "g", "x" * (i % 7))
    ids = [e[0] for e in c.ok_call("XRANGE", "s1", "-", "+")]
    c.ok_call("XDEL", "s1", ids[3], ids[10])
    c.ok_call("XTRIM", "s1", "MAXLEN", "25")
    for i in range(12):
        c.ok_call("XADD", "idm", "IDMP", "prod-%d" % (i % 3), "req-%d" % i, "*", "n", i)
    for i in range(5):
        c.ok_call("XADD", "idm", "IDMP", "prod-%d" % (i % 3), "req-%d" % i, "*", "n", i)
        c.ok_call("XADD", "idm", "IDMPAUTO", "auto", "*", "k", i)
    c.ok_call("XADD", "idm", "IDMP", "bin", b"\x00\xff\r\n", "*", "n", "bin")
    first = c.ok_call("XRANGE", "idm", "-", "+", "COUNT", "1")[0][0]
    c.ok_call("XDEL", "idm", first)  # its iid survives a rewrite (XIDMPKEEP)
    c.ok_call("XADD", "cfg", "*", "a", "1")
    c.ok_call("XCFGSET", "cfg", "IDMP-DURATION", "600", "IDMP-MAXSIZE", "3")
    for i in range(6):
        c.ok_call("XADD", "cfg", "IDMP", "p", "r%d" % i, "*", "a", i)
    c.ok_call("XADD", "cfg", "IDMP", "p", "r5", "*", "a", "dup")
    c.ok_call("XGROUP", "CREATE", "s1", "g1", "0")
    c.ok_call("XGROUP", "CREATE", "s1", "g2", "$")
    c.ok_call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "s1", ">")
    got = c.ok_call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "4", "STREAMS", "s1", ">")
    c.ok_call("XACK", "s1", "g1", got[0][1][0][0])
    c.ok_call("XNACK", "s1", "g1", "FAIL", "IDS", "1", got[0][1][1][0])  # the NACK zone
    c.ok_call("XGROUP", "CREATECONSUMER", "s1", "g1", "carol")
    c.ok_call("XADD", "empty", "*", "x", "1")
    c.ok_call("XTRIM", "empty", "MAXLEN", "0")
    c.ok_call("XSETID", "empty", "9999999999999-5", "ENTRIESADDED", "17")
    c.close()
    c1 = conn(t, server, 1)
    c1.ok_call("SET", "db1", "one")
    c1.ok_call("XADD", "db1s", "IDMP", "p", "i", "*", "f", "v")
    c1.ok_call("XADD", "db1s", "IDMP", "p", "i", "*", "f", "v")
    c1.close()


def after_rewrite(snap):
    """What a rewrite changes in populate()'s data: nothing.  (Redis's
    command-form rewrite drops the iid of the deleted first entry of "idm",
    reference 8.2; Weir writes it as XIDMPKEEP and keeps it.)"""
    return dict(snap)


def compare(before, after, what):
    if before.keys() != after.keys():
        fail("%s: keys differ: only before %r, only after %r"
             % (what, sorted(set(before) - set(after)), sorted(set(after) - set(before))))
    for k in before:
        if before[k] != after[k]:
            fail("%s: key %r differs:\n  before %r\n  after  %r" % (what, k, before[k], after[k]))


# --------------------------------------------------------------------------
# layout, replay, SHUTDOWN
# --------------------------------------------------------------------------

def test_fresh_directory_layout(t):
    s = aof_server(t)
    eq(manifest_files(s), [("appendonly.aof.1.base.aof", "b"), ("appendonly.aof.1.incr.aof", "i")],
       "manifest of a fresh start")
    with open(aof_path(s, MANIFEST)) as f:
        eq(f.read(), "file appendonly.aof.1.base.aof seq 1 type b\n"
                     "file appendonly.aof.1.incr.aof seq 1 type i\n", "manifest text")
    c = conn(t, s)
    c.ok_call("SET", "k", "v")
    c.ok_call("SELECT", 3)
    c.ok_call("SET", "k3", "v3")
    with open(incr_file(s), "rb") as f:
        data = f.read()
    eq(data, b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
             b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$2\r\nv3\r\n",
       "the incremental file after two writes (reply implies written)")


def test_replay_after_shutdown_and_kill(t):
    s = aof_server(t, fsync="everysec")
    populate(t, s)
    before = snapshot(t, s)
    restart(s)
    compare(before, snapshot(t, s), "after SHUTDOWN/restart")
    # everysec: data written before the reply survives a process kill
    restart(s, hard=True)
    compare(before, snapshot(t, s), "after kill -9 (everysec, written before reply)")


def test_writes_reach_file_before_reply(t):
    for policy in ("always", "everysec", "no"):
        s = aof_server(t, fsync=policy)
        c = conn(t, s)
        size0 = os.path.getsize(incr_file(s))
        c.ok_call("XADD", "s", "IDMP", "p", "i", "*", "f", "v")
        ok(os.path.getsize(incr_file(s)) > size0,
           "appendfsync %s: the write was not in the file when the reply came" % policy)
        s.stop()


def test_replay_form_is_deterministic(t):
    s = aof_server(t)
    c = conn(t, s)
    for i in range(50):
        c.ok_call("XADD", "s", "MAXLEN", "~", "10", "*", "i", i)
    c.ok_call("XADD", "m", "MINID", "~", "0", "*", "i", "x")
    c.ok_call("XTRIM", "s", "MAXLEN", "~", "5")
    with open(incr_file(s), "rb") as f:
        data = f.read()
    ok(b"~" not in data, "approximate trimming was logged as '~'")
    ok(b"$1\r\n*\r\n" not in data, "an auto ID was logged as '*' for a new entry")
    before = snapshot(t, s, dbs=(0,))
    restart(s, hard=True)
    compare(before, snapshot(t, s, dbs=(0,)), "after replaying trims")


# --------------------------------------------------------------------------
# IDMP durability
# --------------------------------------------------------------------------

def test_idmp_counters_survive_every_path(t):
    s = aof_server(t)
    populate(t, s)
    c = conn(t, s)
    keys = ["idm", "cfg"]
    want = {k: idmp_counters(c, k) for k in keys}
    c.close()

    def check(what):
        c2 = conn(t, s)
        for k in keys:
            w = dict(want[k])
            eq(idmp_counters(c2, k), w, "%s: IDMP state of %s" % (what, k))
        # a retried request is still recognised
        eq(c2.call("XADD", "idm", "IDMP", "prod-2", "req-11", "*", "n", 11) ==
           c2.call("XADD", "idm", "IDMP", "prod-2", "req-11", "*", "n", 11), True, what)
        c2.close()
        c3 = conn(t, s)
        for k in keys:
            want[k] = idmp_counters(c3, k)
        c3.close()

    restart(s)
    check("SHUTDOWN + restart")
    restart(s, hard=True)
    check("kill -9 + restart")
    rewrite(t, s)
    check("after BGREWRITEAOF (live)")
    restart(s)
    check("rewrite + restart")
    rewrite(t, s)
    restart(s, hard=True)
    check("rewrite + kill -9")
    # a rewrite right after loading, then more writes and a crash
    rewrite(t, s)
    c = conn(t, s)
    c.ok_call("XADD", "idm", "IDMP", "late", "x", "*", "n", "late")
    c.close()
    c = conn(t, s)
    want = {k: idmp_counters(c, k) for k in keys}
    c.close()
    restart(s, hard=True)
    check("rewrite after load + write + kill -9")


def test_duplicate_of_dropped_iid_never_creates_entry(t):
    """The iid of a deleted entry survives a rewrite (XIDMPKEEP); a later
    duplicate XADD is logged with '*'.  Replay must count it, not add an
    entry."""
    s = aof_server(t)
    c = conn(t, s)
    eid = c.ok_call("XADD", "s", "IDMP", "p", "i1", "*", "f", "v")
    c.ok_call("XADD", "s", "*", "keep", "me")
    c.ok_call("XDEL", "s", eid)
    rewrite(t, s)
    eq(c.ok_call("XADD", "s", "IDMP", "p", "i1", "*", "f", "v"), eid, "live duplicate")
    want = idmp_counters(c, "s")
    entries = c.ok_call("XRANGE", "s", "-", "+")
    c.close()
    restart(s, hard=True)
    c = conn(t, s)
    eq(c.ok_call("XRANGE", "s", "-", "+"), entries, "entries after replay")
    got = idmp_counters(c, "s")
    eq(got["iids-duplicates"], want["iids-duplicates"], "iids-duplicates")
    eq(got["iids-added"], want["iids-added"], "iids-added")


@timeout(30)
def test_expired_iid_then_new_entry_replays(t):
    """The live server expires an iid and then accepts the same iid as a
    new entry; replay (which has no expiry cron) must add it too."""
    s = aof_server(t)
    c = conn(t, s)
    c.ok_call("XADD", "s", "*", "f", "0")
    c.ok_call("XCFGSET", "s", "IDMP-DURATION", "1")
    first = c.ok_call("XADD", "s", "IDMP", "p", "i", "*", "f", "1")
    deadline = time.monotonic() + 6
    second = first
    while second == first and time.monotonic() < deadline:
        time.sleep(0.5)
        second = c.ok_call("XADD", "s", "IDMP", "p", "i", "*", "f", "2")
    if second == first:
        raise NotApplicable("the IDMP expiry cron does not run on this build")
    want = idmp_counters(c, "s")
    entries = c.ok_call("XRANGE", "s", "-", "+")
    c.close()
    restart(s, hard=True)
    c = conn(t, s)
    eq(c.ok_call("XRANGE", "s", "-", "+"), entries, "entries after replay")
    eq(idmp_counters(c, "s")["iids-added"], want["iids-added"], "iids-added")


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def test_replay_guard_on_a_handwritten_log(t):
    """The log of a live server whose expiry cron dropped (p, i) before the
    same iid was accepted again, followed by duplicates (one of an iid the
    replay does not know): replay adds exactly the entries the live server
    added and counts exactly its duplicates."""
    s = aof_server(t)
    s.stop()
    log = b"".join([
        encode("SELECT", 0),
        encode("XADD", "s", "1000-0", "f", "0"),
        encode("XCFGSET", "s", "IDMP-DURATION", "1"),
        encode("XADD", "s", "IDMP", "p", "i", "2000-0", "f", "1"),
        encode("XADD", "s", "IDMP", "p", "i", "5000-0", "f", "2"),  # (p, i) had expired
        encode("XADD", "s", "IDMP", "p", "i", "*", "f", "3"),       # duplicate of 5000-0
        encode("XADD", "s", "IDMPAUTO", "q", "*", "never", "seen"),  # duplicate, iid unknown
    ])
    with open(incr_file(s), "wb") as f:
        f.write(log)
    s.start()
    c = conn(t, s)
    eq([e[0] for e in c.ok_call("XRANGE", "s", "-", "+")], ["1000-0", "2000-0", "5000-0"],
       "entries after replay")
    got = idmp_counters(c, "s")
    eq((got["iids-added"], got["iids-duplicates"]), (2, 2), "iids-added, iids-duplicates")


# --------------------------------------------------------------------------
# rewrite
# --------------------------------------------------------------------------

def test_rewrite_equivalence_and_layout(t):
    s = aof_server(t)
    populate(t, s)
    before = snapshot(t, s)
    rewrite(t, s)
    eq([k for _, k in manifest_files(s)], ["b", "i"], "manifest after a rewrite")
    names = [n for n, _ in manifest_files(s)]
    eq(names, ["appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof"], "file names")
    # the old files are unlinked by the background thread: allow it a moment
    wait_for(lambda: sorted(os.listdir(aof_path(s))) == sorted(names + [MANIFEST]),
             timeout=10, what="old files deleted (left: %r)" % os.listdir(aof_path(s)))
    compare(before, snapshot(t, s), "live, after BGREWRITEAOF")
    with open(aof_path(s, names[0]), "rb") as f:
        base = f.read()
    for word in (b"XSETID", b"XIDMPRECORD", b"XIDMPCOUNTERS", b"XCFGSET", b"XGROUP", b"XCLAIM",
                 b"XNACK", b"PEXPIREAT"):
        ok(word in base, "the rewritten base has no %s" % word.decode())
    c = conn(t, s)
    c.ok_call("SET", "after-rewrite", "1")  # goes to the new incremental file
    c.close()
    before = snapshot(t, s)
    restart(s)
    compare(after_rewrite(before), snapshot(t, s), "rewrite + restart")
    restart(s, hard=True)
    compare(after_rewrite(before), snapshot(t, s), "rewrite + kill -9")


def test_rewrite_while_writing(t):
    s = aof_server(t, fsync="everysec")
    stop = threading.Event()
    counts = {"n": 0}

    def writer():
        c = conn(t, s)
        while not stop.is_set():
            c.ok_call("XADD", "w", "IDMP", "p", "i%d" % counts["n"], "*", "n", counts["n"])
            counts["n"] += 1
        c.close()

    th = threading.Thread(target=writer)
    th.start()
    try:
        time.sleep(0.2)
        for _ in range(3):
            rewrite(t, s)
            time.sleep(0.1)
    finally:
        stop.set()
        th.join()
    c = conn(t, s)
    want = idmp_counters(c, "w")
    eq(want["length"], counts["n"], "entries written")
    c.close()
    restart(s)
    c = conn(t, s)
    eq(idmp_counters(c, "w"), want, "state after rewrites under load + restart")


def test_bgrewriteaof_twice(t):
    s = aof_server(t)
    c = conn(t, s)
    for i in range(20000):
        c.send_cmd("SET", "k%d" % i, "v" * 50)
    for i in range(20000):
        c.read()
    r1 = c.call("BGREWRITEAOF")
    r2 = c.call("BGREWRITEAOF")
    eq(r1, "Background append only file rewriting started", "first")
    if isinstance(r2, Err):
        is_err(r2, "ERR Background append only file rewriting already in progress")
    wait_for(lambda: info_persistence(t, s)["aof_rewrite_in_progress"] == "0", timeout=15,
             what="rewrite end")


def test_automatic_rewrite(t):
    s = aof_server(t, "--auto-aof-rewrite-percentage", "100", "--auto-aof-rewrite-min-size",
                   "20000")
    c = conn(t, s)
    for i in range(400):
        c.send_cmd("SET", "key", "x" * 100)
    for i in range(400):
        c.read()
    wait_for(lambda: int(info_persistence(t, s).get("aof_rewrites", 0)) >= 1, timeout=10,
             what="an automatic rewrite")
    wait_for(lambda: info_persistence(t, s)["aof_rewrite_in_progress"] == "0", timeout=10,
             what="rewrite end")
    ok(os.path.getsize(aof_path(s, manifest_files(s)[0][0])) < 1000, "the base is compact")
    restart(s, hard=True)
    eq(conn(t, s).call("GET", "key"), "x" * 100, "value after auto rewrite + kill")


# --------------------------------------------------------------------------
# torn and corrupt files
# --------------------------------------------------------------------------

def resp_commands(data):
    """Split a RESP command stream: [(argv, end offset)]."""
    out, pos = [], 0
    while pos < len(data):
        nl = data.index(b"\r\n", pos)
        n = int(data[pos + 1:nl])
        pos = nl + 2
        argv = []
        for _ in range(n):
            nl = data.index(b"\r\n", pos)
            ln = int(data[pos + 1:nl])
            argv.append(data[nl + 2:nl + 2 + ln])
            pos = nl + 2 + ln + 2
        out.append((argv, pos))
    return out


def expected_state(cmds):
    """Tiny model of the log used by the truncation test: what each key
    must hold after replaying these whole commands."""
    db, st = 0, {}
    for argv in cmds:
        name = argv[0].upper()
        if name == b"SELECT":
            db = int(argv[1])
        elif name == b"SET":
            st[("str", db, argv[1])] = argv[2]
        elif name == b"INCR":
            st[("str", db, argv[1])] = b"%d" % (int(st.get(("str", db, argv[1]), b"0")) + 1)
        elif name == b"XADD" and b"*" in argv:  # a duplicate is logged with "*"
            st[("dups", db, argv[1])] = st.get(("dups", db, argv[1]), 0) + 1
        elif name == b"XADD":
            st[("len", db, argv[1])] = st.get(("len", db, argv[1]), 0) + 1
    return st


def observe(t, server, keys):
    c = t.conn(server=server, decode=False)
    got = {}
    for kind, db, k in keys:
        c.ok_call("SELECT", db)
        if kind == "str":
            got[(kind, db, k)] = c.call("GET", k)
        elif kind == "len":
            got[(kind, db, k)] = c.call("XLEN", k)
        else:
            r = c.call("XINFO", "STREAM", k)
            got[(kind, db, k)] = dict(zip(r[0::2], r[1::2]))[b"iids-duplicates"] \
                if isinstance(r, list) else 0
    c.close()
    return got


def load_cut(t, src_dir, fname, cut, keys):
    """Start a server on a copy of src_dir whose fname is cut to cut bytes."""
    srv = Server(t.binary, args=["--appendonly", "yes"])
    try:
        shutil.copytree(src_dir, os.path.join(srv.dir, AOF_DIR))
        path = os.path.join(srv.dir, AOF_DIR, fname)
        os.truncate(path, cut)
        srv.start()
        got = observe(t, srv, keys)
        srv.stop()
        return got, srv.log(), os.path.getsize(path)
    finally:
        srv.kill()
        srv.cleanup_dir()


@timeout(120)
def test_truncate_at_every_offset(t):
    if t.external or not t.is_weir:
        raise NotApplicable("starts its own servers")
    s = aof_server(t)
    c = t.conn(server=s)
    c.ok_call("SET", "a", "1")
    c.ok_call("XADD", "s", "IDMP", "p", "i", "*", "f", "v")
    c.ok_call("XADD", "s", "IDMP", "p", "i", "*", "f", "v")
    c.ok_call("SELECT", 1)
    c.ok_call("INCR", "n")
    c.ok_call("SELECT", 0)
    c.ok_call("INCR", "a")
    c.close()
    s.stop()
    path = incr_file(s)
    with open(path, "rb") as f:
        full = f.read()
    cmds = resp_commands(full)
    keys = sorted(expected_state([a for a, _ in cmds]).keys())
    results, lock = {}, threading.Lock()

    def worker(cuts):
        for cut in cuts:
            r = load_cut(t, aof_path(s), os.path.basename(path), cut, keys)
            with lock:
                results[cut] = r

    threads = [threading.Thread(target=worker, args=(list(range(len(full) + 1))[i::4],))
               for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for cut in range(len(full) + 1):
        got, log, size = results[cut]
        valid = max([0] + [end for _, end in cmds if end <= cut])
        want = expected_state([a for a, end in cmds if end <= cut])
        for k in keys:
            w = want.get(k, None if k[0] == "str" else 0)
            ok(got[k] == w, "cut at %d of %d: %r is %r, want %r" % (cut, len(full), k, got[k], w))
        eq(size, valid, "cut at %d: file size after loading (torn tail truncated)" % cut)
        if valid != cut:
            ok("%d bytes" % (cut - valid) in log and "dropped" in log,
               "cut at %d: no log line saying %d bytes were dropped:\n%s" % (cut, cut - valid, log))


def test_truncated_refused_without_aof_load_truncated(t):
    s = aof_server(t)
    conn(t, s).ok_call("SET", "a", "1")
    s.stop()
    path = incr_file(s)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 3)
    s.extra += ["--aof-load-truncated", "no"]
    s.start(wait=False)
    rc = s.wait_exit(10)
    ok(rc not in (None, 0), "the server started on a torn AOF with aof-load-truncated no")
    ok(os.path.basename(path) in s.log(), "the message does not name the file:\n" + s.log())


def test_corrupt_middle_refused(t):
    s = aof_server(t)
    c = conn(t, s)
    for i in range(5):
        c.ok_call("SET", "k%d" % i, "v")
    c.close()
    s.stop()
    path = incr_file(s)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    cmds = resp_commands(bytes(data))
    bad_at = cmds[2][1]  # the start of the 4th command
    data[bad_at] = ord("?")
    with open(path, "wb") as f:
        f.write(bytes(data))
    s.start(wait=False)
    rc = s.wait_exit(10)
    ok(rc not in (None, 0), "the server started on a corrupt AOF")
    log = s.log()
    ok(os.path.basename(path) in log and ("offset %d" % bad_at) in log,
       "the message does not name file and offset %d:\n%s" % (bad_at, log))
    # weir-check-aof --fix cuts the file at the bad command
    tool = check_tool(t)
    p = subprocess.run([tool, aof_path(s, MANIFEST)], capture_output=True, text=True)
    ok(p.returncode != 0 and str(bad_at) in p.stdout, "weir-check-aof: %s" % p.stdout)
    p = subprocess.run([tool, "--fix", aof_path(s, MANIFEST)], capture_output=True, text=True)
    eq(p.returncode, 0, "weir-check-aof --fix: %s" % p.stdout)
    eq(os.path.getsize(path), bad_at, "size after --fix")
    s.start()
    c = conn(t, s)
    eq([c.call("GET", "k%d" % i) for i in range(5)], ["v", "v", None, None, None], "after fix")


def test_unterminated_multi_is_reverted(t):
    s = aof_server(t)
    conn(t, s).ok_call("SET", "a", "1")
    s.stop()
    with open(incr_file(s), "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
    s.start()
    c = conn(t, s)
    eq((c.call("GET", "a"), c.call("GET", "b")), ("1", None), "half a transaction is not applied")
    ok("MULTI" in s.log(), "no log line about the reverted MULTI")


def test_transaction_is_logged_atomically(t):
    s = aof_server(t)
    c = conn(t, s)
    c.ok_call("MULTI")
    c.ok_call("SET", "x", "1")
    c.ok_call("INCR", "x")
    eq(c.ok_call("EXEC"), ["OK", 2], "EXEC")
    with open(incr_file(s), "rb") as f:
        data = f.read()
    if b"MULTI" not in data:
        raise NotApplicable("EXEC does not mark its propagation (core->exec_depth) on this build")
    ok(data.index(b"MULTI") < data.index(b"INCR") < data.index(b"EXEC"), "MULTI/EXEC framing")
    restart(s, hard=True)
    eq(conn(t, s).call("GET", "x"), "2", "after replay")


# --------------------------------------------------------------------------
# moving AOF directories between Weir and Redis 7.0
# --------------------------------------------------------------------------

def test_redis_check_aof_accepts_weir_directory(t):
    if not shutil.which("redis-check-aof"):
        raise NotApplicable("redis-check-aof is not installed (redis-tools)")
    s = aof_server(t)
    populate(t, s)
    rewrite(t, s)
    c = conn(t, s)
    c.ok_call("XADD", "after", "IDMP", "p", "i", "*", "f", "v")
    c.close()
    s.stop()
    p = subprocess.run(["redis-check-aof", aof_path(s, MANIFEST)], capture_output=True, text=True)
    eq(p.returncode, 0, "redis-check-aof exit status; output:\n%s%s" % (p.stdout, p.stderr))
    ok("valid" in p.stdout, "redis-check-aof output:\n" + p.stdout)
    p = subprocess.run([check_tool(t), aof_path(s, MANIFEST)], capture_output=True, text=True)
    eq(p.returncode, 0, "weir-check-aof: " + p.stdout)


@timeout(60)
def test_load_directory_written_by_redis_7(t):
    redis = shutil.which("redis-server")
    if not redis or t.external:
        raise NotApplicable("redis-server is not installed")
    r = Server(redis, args=["--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--save", ""])
    try:
        r.start()
        c = t.conn(server=r)
        c.ok_call("SET", "str", "hello")
        c.ok_call("SET", "ttl", "v", "EX", "1000")
        for i in range(20):
            c.ok_call("XADD", "s", "*", "i", i)
        ids = [e[0] for e in c.ok_call("XRANGE", "s", "-", "+")]
        c.ok_call("XDEL", "s", ids[5])
        c.ok_call("XADD", "s", "MAXLEN", "~", "5", "*", "i", "t")
        c.ok_call("XADD", "e", "*", "x", "1")
        c.ok_call("XTRIM", "e", "MAXLEN", "0")
        c.ok_call("BGREWRITEAOF")
        wait_for(lambda: parse_info(c.ok_call("INFO", "persistence"))[None]
                 ["aof_rewrite_in_progress"] == "0", timeout=10, what="redis rewrite")
        time.sleep(0.2)
        c.ok_call("MULTI")
        c.ok_call("INCR", "counter")
        c.ok_call("XADD", "s", "*", "i", "in-multi")
        c.ok_call("EXEC")
        c.ok_call("SELECT", 2)
        c.ok_call("SET", "db2", "two")
        c.ok_call("SELECT", 0)
        want = {
            "str": c.ok_call("GET", "str"),
            "s": c.ok_call("XRANGE", "s", "-", "+"),
            "e": c.ok_call("XLEN", "e"),
            "counter": c.ok_call("GET", "counter"),
        }
        xs = c.ok_call("XINFO", "STREAM", "s")
        xs = dict(zip(xs[0::2], xs[1::2]))
        c.close()
        r.stop()
    finally:
        r.kill()
    w = aof_server(t)
    w.stop()
    shutil.rmtree(aof_path(w))
    shutil.copytree(os.path.join(r.dir, AOF_DIR), aof_path(w))
    r.cleanup_dir()
    w.start()
    c = conn(t, w)
    eq(c.call("GET", "str"), want["str"], "string")
    eq(c.call("XRANGE", "s", "-", "+"), want["s"], "stream entries")
    eq(c.call("XLEN", "e"), want["e"], "emptied stream")
    eq(c.call("GET", "counter"), want["counter"], "MULTI/EXEC")
    ok(c.call("TTL", "ttl") > 0, "TTL kept")
    got = dict(zip(*[iter(c.ok_call("XINFO", "STREAM", "s"))] * 2))
    for f in ("last-generated-id", "entries-added", "max-deleted-entry-id", "length"):
        eq(got[f], xs[f], "XINFO STREAM %s" % f)
    c.ok_call("SELECT", 2)
    eq(c.call("GET", "db2"), "two", "db 2")


def test_truncated_rdb_preamble_base_is_refused_clearly(t):
    # RDB bases load (test_rdb_base.py); a torn one must not
    s = aof_server(t)
    s.stop()
    with open(aof_path(s, "appendonly.aof.1.base.aof"), "wb") as f:
        f.write(b"REDIS0010\xfa")
    s.start(wait=False)
    rc = s.wait_exit(10)
    ok(rc not in (None, 0), "started with a truncated RDB preamble base")
    ok("RDB part" in s.log() and "unexpected end" in s.log(), "no clear message:\n" + s.log())


def test_old_single_file_is_upgraded(t):
    s = aof_server(t)
    s.stop()
    shutil.rmtree(aof_path(s))
    with open(os.path.join(s.dir, "appendonly.aof"), "wb") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n")
    s.start()
    eq(conn(t, s).call("GET", "old"), "style", "value from the old single-file AOF")
    eq(manifest_files(s)[0], ("appendonly.aof", "b"), "the old file became the base")
    ok(not os.path.exists(os.path.join(s.dir, "appendonly.aof")), "old file left behind")


# --------------------------------------------------------------------------
# DEBUG LOADAOF, INFO, CONFIG SET appendonly
# --------------------------------------------------------------------------

def test_debug_loadaof(t):
    s = aof_server(t)
    populate(t, s)
    before = snapshot(t, s)
    c = conn(t, s)
    r = c.call("DEBUG", "LOADAOF")
    if isinstance(r, Err) and "unknown subcommand" in r:
        raise NotApplicable("DEBUG LOADAOF is not wired on this build")
    eq(r, "OK", "DEBUG LOADAOF")
    compare(before, snapshot(t, s), "after DEBUG LOADAOF")
    eq(c.call("DEBUG", "RELOAD"), "OK", "DEBUG RELOAD")
    compare(before, snapshot(t, s), "after DEBUG RELOAD")


def test_info_persistence_fields(t):
    s = aof_server(t, fsync="everysec")
    i = info_persistence(t, s)
    for f in ("aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
              "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec",
              "aof_last_bgrewrite_status", "aof_rewrites", "aof_rewrites_consecutive_failures",
              "aof_last_write_status", "aof_last_cow_size", "aof_current_size", "aof_base_size",
              "aof_pending_rewrite", "aof_buffer_length", "aof_pending_bio_fsync",
              "aof_delayed_fsync"):
        ok(f in i, "INFO persistence has no %s" % f)
    eq(i["aof_enabled"], "1", "aof_enabled")
    size0 = int(i["aof_current_size"])
    conn(t, s).ok_call("SET", "k", "v" * 100)
    ok(int(info_persistence(t, s)["aof_current_size"]) > size0 + 100, "aof_current_size grows")
    rewrite(t, s)
    i = info_persistence(t, s)
    eq((i["aof_rewrites"], i["aof_last_bgrewrite_status"]), ("1", "ok"), "after a rewrite")
    ok(int(i["aof_base_size"]) > 100, "aof_base_size after a rewrite")


def test_config_set_appendonly_at_runtime(t):
    if not t.is_weir:
        raise NotApplicable("checks Weir's AOF")
    s = t.spawn()
    c = conn(t, s)
    c.ok_call("SET", "before", "1")
    c.ok_call("CONFIG", "SET", "appendonly", "yes")
    c.ok_call("SET", "during", "2")
    wait_for(lambda: os.path.exists(aof_path(s, MANIFEST)) and
             any(k == "b" for _, k in manifest_files(s)), timeout=10, what="the first base")
    wait_for(lambda: info_persistence(t, s)["aof_rewrite_in_progress"] == "0", timeout=10,
             what="rewrite end")
    c.ok_call("SET", "after", "3")
    s.stop()
    s.extra += ["--appendonly", "yes"]
    s.start()
    c = conn(t, s)
    eq([c.call("GET", k) for k in ("before", "during", "after")], ["1", "2", "3"], "values")
    c.ok_call("CONFIG", "SET", "appendonly", "no")
    c.ok_call("SET", "unlogged", "x")
    eq(info_persistence(t, s)["aof_enabled"], "0", "aof_enabled after CONFIG SET no")


# --------------------------------------------------------------------------
# disk failures
# --------------------------------------------------------------------------

def mount_small_tmpfs(t, size_kb):
    d = tempfile.mkdtemp(prefix="weir-aof-tmpfs-")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % size_kb, "tmpfs", d],
                       capture_output=True)
    if p.returncode != 0:
        os.rmdir(d)
        return None
    t.defer(lambda: (subprocess.run(["umount", "-l", d]), shutil.rmtree(d, True)))
    return d


def fill(path, nbytes_free_left):
    """Fill the filesystem of path leaving about nbytes_free_left bytes."""
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(path, "filler"), "wb") as f:
        f.write(b"\0" * max(0, free - nbytes_free_left))
    return os.path.join(path, "filler")


def reply_within(sock_client, seconds):
    sock_client.settimeout(seconds)
    try:
        return sock_client.read()
    except AssertionError:
        return None
    finally:
        sock_client.settimeout(10)


@timeout(60)
def test_disk_full_refuses_writes_keeps_reads_and_recovers(t):
    if t.external or not t.is_weir:
        raise NotApplicable("starts its own server")
    # a real full filesystem when we may mount one; WEIR_AOF_TEST_NO_TMPFS=1
    # forces the injected-error path used where mounting is not allowed
    mnt = None if os.environ.get("WEIR_AOF_TEST_NO_TMPFS") else mount_small_tmpfs(t, 512)
    fault_file = None
    if mnt:
        s = Server(t.binary, args=["--appendonly", "yes", "--appendfsync", "always"],
                   tmp_root=mnt)
    else:  # no tmpfs (no privileges): the debug fault hook of aof.c
        fault_file = os.path.join(tempfile.mkdtemp(prefix="weir-aof-fault-"), "fault")
        t.defer(shutil.rmtree, os.path.dirname(fault_file), True)
        os.environ["WEIR_AOF_FAULT_FILE"] = fault_file
        s = Server(t.binary, args=["--appendonly", "yes", "--appendfsync", "always"])
    t.owned.append(s)
    try:
        s.start()
    finally:
        os.environ.pop("WEIR_AOF_FAULT_FILE", None)
    writer, other = conn(t, s), conn(t, s)
    acked = []
    for i in range(20):
        acked.append(writer.ok_call("XADD", "s", "*", "n", i, "pad", "x" * 200))
    other.ok_call("SET", "readable", "yes")
    if mnt:
        filler = fill(s.dir, 4096)
    else:
        with open(fault_file, "w") as f:
            f.write("ENOSPC\n")
    # write until the disk refuses: the reply of the failing write is held
    held = None
    for i in range(20, 400):
        writer.send_cmd("XADD", "s", "*", "n", i, "pad", "x" * 200)
        r = reply_within(writer, 1.0)
        if r is None:
            held = i
            break
        ok(not isinstance(r, Err), "write %d failed instead of waiting: %r" % (i, r))
        acked.append(r)
    ok(held is not None, "the disk never filled up")
    r = other.call("XADD", "s", "*", "n", "refused")
    is_err(r, prefix="MISCONF", what="a write while the disk is full")
    ok("AOF" in r, "MISCONF text: %r" % r)
    eq(other.call("GET", "readable"), "yes", "reads keep working")
    eq(other.call("XLEN", "s") >= len(acked), True, "XLEN works")
    eq(info_persistence(t, s)["aof_last_write_status"], "err", "aof_last_write_status")
    if mnt:
        os.unlink(filler)
    else:
        os.unlink(fault_file)
    r = reply_within(writer, 5.0)
    ok(r is not None and not isinstance(r, Err), "held write not answered after recovery: %r" % r)
    acked.append(r)
    wait_for(lambda: not isinstance(other.call("SET", "w", "ok"), Err), timeout=5,
             what="writes accepted again")
    eq(info_persistence(t, s)["aof_last_write_status"], "ok", "status after recovery")
    restart(s, hard=True)
    c = conn(t, s)
    ids = [e[0] for e in c.ok_call("XRANGE", "s", "-", "+")]
    missing = [a for a in acked if a not in ids]
    eq(missing, [], "acknowledged entries lost")
    eq(len(ids), len(acked), "entries that were never acknowledged")
    s.stop()


@timeout(30)
def test_fsync_error_holds_replies_and_recovers(t):
    """appendfsync always and a failing fsync (injected through the debug
    hook): no reply before the data is on disk, writes refused, recovery."""
    if t.external or not t.is_weir:
        raise NotApplicable("starts its own server")
    fault_file = os.path.join(tempfile.mkdtemp(prefix="weir-aof-fault-"), "fault")
    t.defer(shutil.rmtree, os.path.dirname(fault_file), True)
    os.environ["WEIR_AOF_FAULT_FILE"] = fault_file
    s = Server(t.binary, args=["--appendonly", "yes", "--appendfsync", "always"])
    t.owned.append(s)
    try:
        s.start()
    finally:
        os.environ.pop("WEIR_AOF_FAULT_FILE", None)
    writer, other = conn(t, s), conn(t, s)
    acked = [writer.ok_call("XADD", "s", "IDMP", "p", "i%d" % i, "*", "n", i) for i in range(10)]
    with open(fault_file, "w") as f:
        f.write("FSYNC\n")
    writer.send_cmd("XADD", "s", "IDMP", "p", "i-held", "*", "n", "held")
    eq(reply_within(writer, 1.0), None, "a reply came before the data was fsynced")
    is_err(other.call("SET", "x", "y"), prefix="MISCONF", what="write during the fsync error")
    eq(other.call("XLEN", "s"), 11, "reads keep working")
    os.unlink(fault_file)
    r = reply_within(writer, 5.0)
    ok(isinstance(r, str) and not isinstance(r, Err), "held reply after recovery: %r" % (r,))
    acked.append(r)
    wait_for(lambda: other.call("SET", "x", "y") == "OK", timeout=5, what="writes accepted again")
    restart(s, hard=True)
    c = conn(t, s)
    eq([e[0] for e in c.ok_call("XRANGE", "s", "-", "+")], acked, "entries after kill -9")
    eq(idmp_counters(c, "s")["iids-added"], 11, "iids-added")
    s.stop()
