"""Loading an AOF directory written by Debian's redis-server 7.0 with its
default settings (aof-use-rdb-preamble yes): after BGREWRITEAOF the base
file is an RDB (appendonly.aof.<n>.base.rdb), followed by incremental
command files.  Weir reads the RDB through src/rdb_load.c; the dataset
(strings with TTLs, int-encoded and LZF-compressed values, streams with
deletions, trims, consumer groups, PELs, consumers, an empty stream) must
come back the same as Redis reported it before its SHUTDOWN.  The old
single-file form (RDB preamble followed by commands in one appendonly.aof)
is checked too.

Every test starts its own servers (not applicable in --external mode).
"""

import os
import shutil
import time

from harness import NotApplicable, Server, eq, ok, parse_info, timeout, wait_for

AOF_DIR = "appendonlydir"


def redis_binary(t):
    if not t.is_weir or t.external:
        raise NotApplicable("loads a Redis-written directory into Weir")
    redis = "/usr/bin/redis-server"
    if not os.path.exists(redis):
        raise NotApplicable("redis-server is not installed")
    return redis


def kv(flat):
    return dict(zip(flat[0::2], flat[1::2]))


def norm_full(flat):
    """XINFO STREAM FULL without times, radix-tree and IDMP fields."""
    d = kv(flat)
    out = {f: d[f] for f in ("length", "last-generated-id", "max-deleted-entry-id",
                             "entries-added", "recorded-first-entry-id", "entries")}
    groups = []
    for g in d["groups"]:
        g = kv(g)
        cons = []
        for c in g["consumers"]:
            c = kv(c)
            cons.append({"name": c["name"], "pel-count": c["pel-count"],
                         "pending": [[p[0], p[2]] for p in c["pending"]]})
        groups.append({"name": g["name"], "last-delivered-id": g["last-delivered-id"],
                       "entries-read": g["entries-read"], "lag": g["lag"],
                       "pel-count": g["pel-count"],
                       "pending": [[p[0], p[1], p[3]] for p in g["pending"]],
                       "consumers": cons})
    out["groups"] = groups
    return out


def fill(c):
    """Write the dataset; part before and part after the rewrite."""
    c.ok_call("SET", "str", "hello")
    c.ok_call("SET", "int", "12345")
    c.ok_call("SET", "neg", "-7")
    c.ok_call("SET", "big-int", "2147483647")
    c.ok_call("SET", "long", "abc" * 200)           # LZF
    c.ok_call("SET", "ttl", "v", "EX", "1000")
    c.ok_call("SET", "ttl-long", "xyz" * 50, "PX", "5000000")
    c.ok_call("SET", "empty", "")
    c.ok_call("SET", "bin", b"\x00\x01\xff\r\n")
    pipe = []
    for i in range(600):
        if i % 50 == 7:
            pipe.append(("XADD", "s", "*", "other", i, "extra", "field-%d" % i))
        else:
            pipe.append(("XADD", "s", "*", "n", i, "txt", "value-" + "q" * (i % 40), "neg", -i))
    for cmd in pipe:
        c.ok_call(*cmd)
    ids = [e[0] for e in c.ok_call("XRANGE", "s", "-", "+")]
    for k in range(3, 500, 17):
        c.ok_call("XDEL", "s", ids[k])
    c.ok_call("XTRIM", "s", "MINID", ids[40])
    c.ok_call("XGROUP", "CREATE", "s", "g1", "0")
    c.ok_call("XGROUP", "CREATE", "s", "g2", "$")
    c.ok_call("XGROUP", "CREATE", "s", "g3", ids[300])
    c.ok_call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 30, "STREAMS", "s", ">")
    c.ok_call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", 20, "STREAMS", "s", ">")
    c.ok_call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 5, "STREAMS", "s", "0")
    pend = c.ok_call("XPENDING", "s", "g1", "-", "+", 100)
    c.ok_call("XACK", "s", "g1", pend[0][0], pend[3][0])
    c.ok_call("XCLAIM", "s", "g1", "carol", 0, pend[10][0], pend[11][0])
    c.ok_call("XGROUP", "CREATECONSUMER", "s", "g1", "idle")
    c.ok_call("XREADGROUP", "GROUP", "g3", "z", "COUNT", 3, "STREAMS", "s", ">")
    # a stream emptied by trimming, one with a TTL, one in another db
    c.ok_call("XADD", "e", "1-1", "x", "1")
    c.ok_call("XADD", "e", "2-2", "x", "2")
    c.ok_call("XTRIM", "e", "MAXLEN", "0")
    c.ok_call("XGROUP", "CREATE", "e", "eg", "$")
    c.ok_call("XADD", "st", "5-1", "a", "b")
    c.ok_call("PEXPIRE", "st", 9000000)
    for i in range(50):
        c.ok_call("XADD", "c", "*", "v", i)
    c.ok_call("XGROUP", "CREATE", "c", "cg", "0")
    c.ok_call("XREADGROUP", "GROUP", "cg", "w", "COUNT", 10, "STREAMS", "c", ">")
    # listpack encodings: 32-bit string lengths, 16/24/32/64-bit integers
    for i, v in enumerate([100000, -2 ** 33, 2 ** 62, -(2 ** 63), 2 ** 40, 300, -20000,
                           "007", "x" * 5000, "y" * 70000]):
        c.ok_call("XADD", "big", "*", "v", v, "n", i * 1000003, "w", "z" * (i * 500))
    c.ok_call("SET", "zero-padded", "007")
    c.ok_call("SET", "huge", "".join(chr(33 + (i * 7919) % 90) for i in range(70000)))
    c.ok_call("SELECT", 3)
    c.ok_call("SET", "db3", "three")
    c.ok_call("XADD", "s3", "*", "k", "v")
    c.ok_call("SELECT", 0)


def more(c):
    """Writes after the rewrite: they go to the incremental file."""
    c.ok_call("SET", "after", "rewrite")
    c.ok_call("INCR", "int")
    for i in range(10):
        c.ok_call("XADD", "s", "*", "n", "late-%d" % i)
    c.ok_call("XREADGROUP", "GROUP", "g2", "dave", "COUNT", 4, "STREAMS", "s", ">")
    c.ok_call("XDEL", "s", c.ok_call("XRANGE", "s", "-", "+", "COUNT", 1)[0][0])


STRINGS = ["str", "int", "neg", "big-int", "long", "ttl", "ttl-long", "empty", "bin", "after", "zero-padded", "huge"]
STREAMS = ["s", "e", "st", "c", "big"]


def snapshot(c):
    snap = {"keys": sorted(c.ok_call("KEYS", "*"))}
    for k in STRINGS:
        snap["GET " + k] = c.call("GET", k)
        snap["TTL>0 " + k] = c.call("TTL", k) > 0
    for k in STREAMS:
        snap["XRANGE " + k] = c.ok_call("XRANGE", k, "-", "+")
        snap["FULL " + k] = norm_full(c.ok_call("XINFO", "STREAM", k, "FULL", "COUNT", 0))
        snap["TTL>0 " + k] = c.call("TTL", k) > 0
        for g in c.ok_call("XINFO", "GROUPS", k):
            g = kv(g)["name"]
            snap["XPENDING %s %s" % (k, g)] = [p[:2] + p[3:] for p in
                                               c.ok_call("XPENDING", k, g, "-", "+", 1000)]
            snap["XPENDING summary %s %s" % (k, g)] = c.ok_call("XPENDING", k, g)
    c.ok_call("SELECT", 3)
    snap["db3"] = (c.call("GET", "db3"), c.ok_call("XRANGE", "s3", "-", "+"))
    c.ok_call("SELECT", 0)
    return snap


def redis_directory(t, rewrite_after=True):
    """Run Redis 7.0 with default AOF settings; return (server, snapshot)."""
    r = Server(redis_binary(t), args=["--appendonly", "yes", "--save", ""])
    r.start()
    try:
        c = t.conn(server=r)
        fill(c)
        c.ok_call("BGREWRITEAOF")
        wait_for(lambda: parse_info(c.ok_call("INFO", "persistence"))[None]
                 ["aof_rewrite_in_progress"] == "0", timeout=10, what="redis rewrite")
        time.sleep(0.3)
        if rewrite_after:
            more(c)
        snap = snapshot(c)
        c.close()
        r.stop()
    finally:
        r.kill()
    return r, snap


def weir_on(t, r, setup):
    w = t.spawn(args=["--appendonly", "yes", "--appendfsync", "always"])
    w.stop()
    shutil.rmtree(os.path.join(w.dir, AOF_DIR))
    setup(os.path.join(r.dir, AOF_DIR), w.dir)
    r.cleanup_dir()
    w.start()
    return w


def compare(t, w, want):
    c = t.conn(server=w)
    got = snapshot(c)
    for k in want:
        eq(got[k], want[k], k)
    ok("RDB part" in w.log(), "no log line about the RDB part:\n" + w.log())


@timeout(90)
def test_load_default_redis_7_directory(t):
    r, want = redis_directory(t)
    eq(want["FULL c"]["groups"][0]["entries-read"], 10, "Redis's entries-read of c/cg")
    names = os.listdir(os.path.join(r.dir, AOF_DIR))
    ok(any(n.endswith(".base.rdb") for n in names), "Redis wrote no .rdb base: %r" % names)
    base = [n for n in names if n.endswith(".base.rdb")][0]
    with open(os.path.join(r.dir, AOF_DIR, base), "rb") as f:
        data = f.read()
    eq(data[:9], b"REDIS0010", "RDB version of Redis 7.0")
    ok(b"abc" * 200 not in data, "the long value was not LZF-compressed")
    w = weir_on(t, r, lambda src, dst: shutil.copytree(src, os.path.join(dst, AOF_DIR)))
    compare(t, w, want)
    # the loaded data survives a Weir rewrite and restart
    c = t.conn(server=w)
    c.ok_call("BGREWRITEAOF")
    wait_for(lambda: parse_info(c.ok_call("INFO", "persistence"))[None]
             ["aof_rewrite_in_progress"] == "0", timeout=10, what="weir rewrite")
    w.stop()
    w.start()
    compare(t, w, want)


@timeout(90)
def test_weir_check_aof_accepts_rdb_base(t):
    r, _ = redis_directory(t)
    tool = os.path.join(os.path.dirname(t.binary), "weir-check-aof")
    if not os.path.exists(tool):
        raise NotApplicable("weir-check-aof not built next to the server")
    import subprocess
    p = subprocess.run([tool, os.path.join(r.dir, AOF_DIR, "appendonly.aof.manifest")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    r.cleanup_dir()
    eq(p.returncode, 0, "weir-check-aof: " + p.stdout)
    ok("RDB part valid" in p.stdout, p.stdout)


@timeout(90)
def test_old_single_file_with_rdb_preamble(t):
    r, want = redis_directory(t)

    def single_file(src, dst):
        names = sorted(os.listdir(src))
        base = [n for n in names if n.endswith(".base.rdb")][0]
        incr = [n for n in names if n.endswith(".incr.aof")]
        with open(os.path.join(dst, "appendonly.aof"), "wb") as out:
            for n in [base] + incr:
                with open(os.path.join(src, n), "rb") as f:
                    out.write(f.read())

    w = weir_on(t, r, single_file)
    compare(t, w, want)


def test_corrupt_rdb_base_is_refused_clearly(t):
    redis_binary(t)
    w = t.spawn(args=["--appendonly", "yes"])
    w.stop()
    d = os.path.join(w.dir, AOF_DIR)
    for n in os.listdir(d):
        os.unlink(os.path.join(d, n))
    with open(os.path.join(d, "appendonly.aof.1.base.rdb"), "wb") as f:
        # a list key: a type Weir does not have
        f.write(b"REDIS0010\xfe\x00\x0e\x01L\x00\xff" + b"\x00" * 8)
    with open(os.path.join(d, "appendonly.aof.manifest"), "w") as f:
        f.write("file appendonly.aof.1.base.rdb seq 1 type b\n")
    w.start(wait=False)
    rc = w.wait_exit(10)
    ok(rc not in (None, 0), "started with an unsupported RDB base")
    ok("key 'L' has RDB type 14 (list)" in w.log(), "no clear message:\n" + w.log())
