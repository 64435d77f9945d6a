#!/usr/bin/python3
"""Differential tester: Weir's stream commands against a real redis-server.

Usage:
    tools/difftest.py [--seeds N] [--start S] [--len L] [--weir PATH]
                      [--redis PATH] [--node-max-entries K] [--node-max-bytes B]
                      [--resp3-every M] [--mutate P] [--edge P]
                      [--keep-going] [--no-minimise] [-v]

Starts build/release/weir-server and /usr/bin/redis-server on free ports
(--save '' --appendonly no, same stream-node-max-entries), then for each seed
in [S, S+N) flushes both, generates a random command sequence of length L
over a few keys (valid stream commands plus deliberately malformed variants)
and sends it to both servers over raw RESP sockets.  Every M-th seed runs in
RESP3 (HELLO 3 on both).  Replies are parsed, normalised (see NORMALISATION
below) and compared byte for byte.  On the first difference the tool prints
the seed, the differing command, both replies and the sequence leading to it
(greedily minimised unless --no-minimise), then exits 1.  With --keep-going
it reports every differing seed and continues.  Exit 0 means all seeds ran
clean.

NORMALISATION (what legitimately differs, and why):
  * Time-dependent values are replaced by a placeholder: XINFO STREAM FULL
    consumer seen-time/active-time and PEL delivery times, XINFO CONSUMERS
    idle/inactive, the idle column of extended XPENDING.  Both servers read
    their own clocks.
  * XINFO STREAM radix-tree-keys / radix-tree-nodes: internal layout of
    Redis's rax, not a behaviour Weir reproduces.
  * XINFO STREAM idmp-duration, idmp-maxsize, pids-tracked, iids-tracked,
    iids-added, iids-duplicates: added in Redis 8.6 (IDMP, see
    /work/shared/design/idmp-reference.md); 7.0 lacks them.  Removed from
    both replies.
  * XINFO CONSUMERS "inactive" and XINFO STREAM FULL consumer "active-time":
    added in Redis 7.2 (redis.io XINFO CONSUMERS / XINFO STREAM history);
    7.0 lacks them.  Removed from both replies.
GENERATION EXCLUSIONS (8.x-only syntax we never send, because 7.0 would
reject what 8.8 accepts):
  * XREAD with the "+" ID (last entry) - added in Redis 7.4.
  * XADD/XTRIM KEEPREF/DELREF/ACKED, XADD IDMP/IDMPAUTO - 8.2 / 8.6 options;
    never used as "unknown option" junk either.
  * XADD "*" auto IDs - time dependent.
  * XCLAIM/XAUTOCLAIM/XPENDING min-idle and IDLE filters are 0 or huge
    (99999999999 ms), never in between, so the answer is clock-free.
STATE EMULATION:
  * Redis 7.2 (redis/redis #11099, documented on redis.io XINFO CONSUMERS)
    makes XREADGROUP, XCLAIM and XAUTOCLAIM create the named consumer even
    when nothing is read or claimed.  After each such non-error command the
    tool sends XGROUP CREATECONSUMER to the 7.0 server only (Pair.emulate_72).
PER-REPLY EXCLUSIONS (known_difference()):
  * "ERR Unbalanced ... list of streams" text: reworded in 7.2
    (redis/redis #11799: names the command, '>' for XREADGROUP) and 7.4
    (#13474: "ID, '+', or '$'" for XREAD).
EXPECTED DIFFERENCE NOT COVERED BY DEFAULTS:
  * With a small --node-max-bytes (e.g. 60..200) "~" trimming differs: node
    boundaries then depend on the byte size of a node, and Weir's node
    encoding is not Redis's listpack.  Approximate trimming is documented as
    removing only whole nodes, so where it cuts is an implementation detail.
    The default 4096 bytes with short entries splits on entry count only.
"""

import argparse
import difflib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------- RESP


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise ConnectionError("server closed connection")
        self.buf += d

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = self.buf[:i]
                self.buf = self.buf[i + 2:]
                return line
            self._fill()

    def _bulk(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        d = self.buf[:n]
        self.buf = self.buf[n + 2:]
        return d

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":", b",", b"(", b"#"):
            return (t.decode(), rest)
        if t == b"_":
            return ("_", None)
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return ("$", None)
            return (t.decode(), self._bulk(n))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return ("*", None)
            return (t.decode(), [self.read() for _ in range(n)])
        if t in (b"%", b"|"):
            n = int(rest)
            return (t.decode(), [(self.read(), self.read())
                                 for _ in range(n)])
        raise ValueError("bad RESP type %r" % line)

    def call(self, args):
        self.sock.sendall(encode(args))
        return self.read()


def dump(r):
    """Canonical serialisation of a parsed reply."""
    t, v = r
    if t in ("*", "~", ">"):
        if v is None:
            return b"*-1\r\n"
        return (b"%s%d\r\n" % (t.encode(), len(v)) +
                b"".join(dump(x) for x in v))
    if t in ("%", "|"):
        return (b"%s%d\r\n" % (t.encode(), len(v)) +
                b"".join(dump(k) + dump(x) for k, x in v))
    if t in ("$", "="):
        if v is None:
            return b"$-1\r\n"
        return b"%s%d\r\n%s\r\n" % (t.encode(), len(v), v)
    if t == "_":
        return b"_\r\n"
    return t.encode() + v + b"\r\n"


def show(r, ind=""):
    t, v = r
    if t in ("*", "~", ">"):
        if v is None:
            return ind + "(nil array)"
        if not v:
            return ind + "(empty %s)" % t
        return "\n".join([ind + t + "%d" % len(v)] +
                         [show(x, ind + "  ") for x in v])
    if t in ("%", "|"):
        lines = [ind + "%%%d" % len(v)]
        for k, x in v:
            lines.append(show(k, ind + "  ") + " =>")
            lines.append(show(x, ind + "    "))
        return "\n".join(lines)
    if v is None:
        return ind + "(nil)"
    return ind + t + repr(v)[1:]


# ---------------------------------------------------------- normalising

PLACE = ("+", b"<norm>")
IDMP_FIELDS = {b"idmp-duration", b"idmp-maxsize", b"pids-tracked",
               b"iids-tracked", b"iids-added", b"iids-duplicates"}
NEW_72 = {b"active-time", b"inactive"}
NEW_88 = {b"nacked-count"}


def kv_get(r):
    """(pairs, kind) for a RESP3 map or a RESP2 flat key/value array."""
    t, v = r
    if t == "%":
        return [(k[1], k, x) for k, x in v], "%"
    if t == "*" and v is not None and len(v) % 2 == 0 and all(
            v[i][0] in ("$", "+") for i in range(0, len(v), 2)):
        return [(v[i][1], v[i], v[i + 1]) for i in range(0, len(v), 2)], "*"
    return None, None


def kv_put(pairs, kind):
    if kind == "%":
        return ("%", [(k, x) for _, k, x in pairs])
    out = []
    for _, k, x in pairs:
        out += [k, x]
    return ("*", out)


def norm_kv(r, drop=(), place=(), sub=None):
    pairs, kind = kv_get(r)
    if pairs is None:
        return r
    out = []
    for name, k, x in pairs:
        if name in drop:
            continue
        if name in place:
            x = PLACE
        elif sub and name in sub:
            x = sub[name](x)
        out.append((name, k, x))
    return kv_put(out, kind)


def map_list(r, f):
    t, v = r
    if t == "*" and v is not None:
        return ("*", [f(x) for x in v])
    return r


def place_col(col):
    def f(row):
        t, v = row
        if t == "*" and v is not None and len(v) > col:
            v = list(v)
            v[col] = PLACE
            return ("*", v)
        return row
    return f


def norm_consumer_full(c):
    return norm_kv(c, drop=NEW_72, place={b"seen-time"},
                   sub={b"pending": lambda p: map_list(p, place_col(1))})


def norm_group_full(g):
    return norm_kv(g, drop=NEW_88, sub={
        b"pending": lambda p: map_list(p, place_col(2)),
        b"consumers": lambda cs: map_list(cs, norm_consumer_full)})


def normalise(args, r):
    if r[0] == "-":
        return r
    name = args[0].upper()
    sub = args[1].upper() if len(args) > 1 else ""
    if name == "XINFO" and sub == "STREAM":
        return norm_kv(r, drop=IDMP_FIELDS,
                       place={b"radix-tree-keys", b"radix-tree-nodes"},
                       sub={b"groups": lambda gs: map_list(gs,
                                                           norm_group_full)})
    if name == "XINFO" and sub == "CONSUMERS":
        return map_list(r, lambda c: norm_kv(c, drop=NEW_72,
                                             place={b"idle"}))
    if name == "XPENDING" and len(args) > 3:
        return map_list(r, place_col(2))
    return r


def known_difference(args, rw, rr):
    """Reason string when a difference is a documented 8.x change."""
    if rw[0] == "-" and rr[0] == "-":
        w, r = rw[1], rr[1]
        # redis/redis #11799 (7.2) and #13474 (7.4, XREAD "+"): the
        # unbalanced-streams error names the command and lists '>' for
        # XREADGROUP, "ID, '+', or '$'" for XREAD.
        if (r.startswith(b"ERR Unbalanced XREAD list") and
                w.startswith(b"ERR Unbalanced '")):
            return "unbalanced-streams text (7.2/7.4)"
    return None


# ---------------------------------------------------------------- servers


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, binary, nme, nmb, extra=()):
        self.dir = tempfile.mkdtemp(prefix="difftest-")
        self.port = free_port()
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "no",
                "--stream-node-max-entries", str(nme),
                "--stream-node-max-bytes", str(nmb)] + list(extra)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        for _ in range(200):
            try:
                Conn(self.port).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("%s did not start: %s" % (
            binary, open(os.path.join(self.dir, "log")).read()))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------- generator

KEYS = ["s1", "s2", "s3"]
GROUPS = ["g1", "g2", "g3"]
CONSUMERS = ["c1", "c2", "c3"]
JUNK = ["FOO", "BAR", "COUNT", "NOACK", "JUSTID", "BLOCKX", "-1", "abc",
        "1.5", "", "STREAMS", "LIMIT", "~", "="]
BAD_IDS = ["abc", "1-x", "-1", "1-", "-", "+", "18446744073709551616-0",
           "1-18446744073709551616", "1--1", " 1", "1.0", "0x10", "$", ">",
           "18446744073709551615-18446744073709551615", "+1", "01", "1-+2",
           "1--0", "1- -1", "\t2", "1 ", "1-01", "-0", "1--01",
           "1--9223372036854775808", "1--9223372036854775809", "2-\n3",
           "1\x002", "\x00", "3-\x00", "1\x00-*"]
VALUES = ["0", "-0", "1", "-1", "007", "+1", " 1", "1 ", "", "-",
          "9223372036854775807", "9223372036854775808",
          "-9223372036854775808", "-9223372036854775809",
          "18446744073709551615", "18446744073709551616", "127", "128",
          "-128", "-129", "255", "256", "32767", "32768", "65535", "65536",
          "2147483647", "2147483648", "-2147483648", "-2147483649",
          "4294967295", "4294967296", "1.5", "1e3", "0x1", "00", "-00",
          "\x00", "12345678901234567890"]
BAD_NUMS = ["abc", "-1", "-5", "1.5", "", "9223372036854775808", "0"]


class Gen:
    def __init__(self, rnd, mutate=0.12, edge=0.08):
        self.r = rnd
        self.t = 1
        self.p_mutate = mutate
        self.p_edge = edge
        self.groups = []    # (key, group) pairs we tried to create
        self.ids = {k: [] for k in KEYS}    # IDs we tried to add

    def ms(self):
        return self.r.randint(0, self.t + 2)

    def minidle(self):
        """0 (always idle enough) or far beyond any real idle time: both
        give the same answer on both servers whatever their clocks."""
        return "0" if self.r.random() < 0.85 else "99999999999"

    def kid(self, k):
        """An ID likely present in key k (or in its PELs)."""
        ids = self.ids.get(k)
        if ids and self.r.random() < 0.7:
            return self.r.choice(ids[-12:])
        return self.rid(False)

    def kg(self):
        """A (key, group) pair, usually one that was created."""
        if self.groups and self.r.random() < 0.85:
            return self.r.choice(self.groups)
        return self.key(), self.r.choice(GROUPS)

    def rid(self, allow_partial=True):
        r = self.r
        if allow_partial and r.random() < 0.3:
            return str(self.ms())
        return "%d-%d" % (self.ms(), r.randint(0, 3))

    def bound(self, low):
        r = self.r.random()
        if r < 0.2:
            return "-" if low else "+"
        if r < 0.25:
            return "+" if low else "-"
        s = self.rid()
        if self.r.random() < 0.25:
            s = "(" + s
        return s

    def key(self):
        return self.r.choice(KEYS + (["str"] if self.r.random() < 0.05
                                     else []))

    def cnt(self):
        return str(self.r.choice([0, 1, 1, 2, 3, 5, 10]))

    def trim(self):
        r = self.r
        out = []
        if r.random() < 0.5:
            out += ["MAXLEN"]
            v = str(r.randint(0, 12))
        else:
            out += ["MINID"]
            v = self.rid()
        op = r.choice(["", "=", "~", "~"])
        if op:
            out.append(op)
        out.append(v)
        if r.random() < 0.3:
            out += ["LIMIT", str(r.choice([0, 1, 2, 5, 100]))]
        return out

    def value(self):
        r = self.r
        x = r.random()
        if x < 0.6:
            return "v%d" % r.randint(0, 99)
        if x < 0.85:
            return r.choice(VALUES)
        return r.choice("ab\x00\xff-1 ") * r.randint(0, 300)

    def fields(self):
        n = self.r.choice([1, 1, 1, 2, 3, 5])
        out = []
        for i in range(n):
            f = ("f%d" % self.r.randint(0, 3) if self.r.random() < 0.9
                 else self.value())
            out += [f, self.value()]
        return out

    def xadd(self):
        r = self.r
        a = ["XADD", self.key()]
        if r.random() < 0.15:
            a.append("NOMKSTREAM")
        if r.random() < 0.35:
            a += self.trim()
        if r.random() < 0.8:
            self.t += r.randint(0, 2)
        if r.random() < 0.3:
            a.append("%d-*" % self.t)
            i = "%d-0" % self.t
        else:
            i = "%d-%d" % (self.t, r.randint(0, 4))
            a.append(i)
        if a[1] in self.ids:
            self.ids[a[1]].append(i)
        return a + self.fields()

    def one(self):
        r = self.r
        c = r.choices(
            ["XADD", "XRANGE", "XREVRANGE", "XLEN", "XDEL", "XTRIM",
             "XSETID", "XREAD", "XGROUP", "XREADGROUP", "XACK", "XPENDING",
             "XCLAIM", "XAUTOCLAIM", "XINFO", "TYPE", "DEL", "EXISTS"],
            [30, 6, 6, 2, 4, 3, 2, 4, 10, 10, 4, 5, 5, 4, 6, 1, 1, 1])[0]
        k = self.key()
        g = r.choice(GROUPS)
        if c in ("XREADGROUP", "XACK", "XPENDING", "XCLAIM", "XAUTOCLAIM",
                 "XINFO") or (c == "XGROUP" and r.random() < 0.5):
            k, g = self.kg()
        cn = r.choice(CONSUMERS)
        if c == "XADD":
            return self.xadd()
        if c in ("XRANGE", "XREVRANGE"):
            lo, hi = self.bound(True), self.bound(False)
            if r.random() < 0.5:
                lo = self.r.choice(["-", self.kid(k), "(" + self.kid(k)])
                hi = self.r.choice(["+", self.kid(k), "(" + self.kid(k)])
            a = [c, k] + ([lo, hi] if c == "XRANGE" else [hi, lo])
            if r.random() < 0.4:
                a += ["COUNT", self.cnt()]
            return a
        if c == "XLEN":
            return [c, k]
        if c == "XDEL":
            return [c, k] + [self.kid(k) for _ in range(r.randint(1, 3))]
        if c == "XTRIM":
            return [c, k] + self.trim()
        if c == "XSETID":
            a = [c, k, self.rid(False)]
            if r.random() < 0.4:
                a += ["ENTRIESADDED", str(r.randint(0, 30))]
            if r.random() < 0.3:
                a += ["MAXDELETEDID", self.rid(False)]
            return a
        if c == "XREAD":
            a = [c]
            if r.random() < 0.4:
                a += ["COUNT", self.cnt()]
            ks = r.sample(KEYS, r.randint(1, 2))
            ids = [r.choice(["0", "$", self.rid()]) for _ in ks]
            return a + ["STREAMS"] + ks + ids
        if c == "XGROUP":
            s = r.choice(["CREATE", "CREATE", "CREATE", "SETID", "DESTROY",
                          "CREATECONSUMER", "DELCONSUMER"])
            if s == "CREATE":
                self.groups.append((k, g))
            if s in ("CREATE", "SETID"):
                a = [c, s, k, g, r.choice(["$", "0", self.rid(False)])]
                if s == "CREATE" and r.random() < 0.7:
                    a.append("MKSTREAM")
                if r.random() < 0.3:
                    a += ["ENTRIESREAD", str(r.randint(-1, 10))]
                return a
            if s == "DESTROY":
                return [c, s, k, g]
            return [c, s, k, g, cn]
        if c == "XREADGROUP":
            a = [c, "GROUP", g, cn]
            if r.random() < 0.4:
                a += ["COUNT", self.cnt()]
            if r.random() < 0.2:
                a.append("NOACK")
            ks = r.sample(KEYS, r.randint(1, 2))
            if r.random() < 0.7:
                same = [x for x, y in self.groups if y == g and x != k]
                ks = [k] + (r.sample(same, 1) if same and r.random() < 0.4
                            else [])
            ids = [r.choice([">", ">", ">", "0", self.rid()]) for _ in ks]
            return a + ["STREAMS"] + ks + ids
        if c == "XACK":
            return [c, k, g] + [self.kid(k) for _ in range(r.randint(1, 3))]
        if c == "XPENDING":
            a = [c, k, g]
            if r.random() < 0.6:
                if r.random() < 0.3:
                    a += ["IDLE", self.minidle()]
                a += [self.bound(True), self.bound(False), self.cnt()]
                if r.random() < 0.4:
                    a.append(cn)
            return a
        if c == "XCLAIM":
            a = [c, k, g, cn, self.minidle()] + [self.kid(k)
                                      for _ in range(r.randint(1, 3))]
            if r.random() < 0.3:
                a += ["IDLE", r.choice(["0", "1000", "99999999999999"])]
            if r.random() < 0.2:
                a += ["TIME", str(int(time.time() * 1000) +
                                  r.choice([-5000, 0, 100000000]))]
            if r.random() < 0.3:
                a += ["RETRYCOUNT", str(r.randint(0, 5))]
            if r.random() < 0.3:
                a.append("FORCE")
            if r.random() < 0.3:
                a.append("JUSTID")
            if r.random() < 0.2:
                a += ["LASTID", self.rid(False)]
            return a
        if c == "XAUTOCLAIM":
            a = [c, k, g, cn, self.minidle(),
                 r.choice(["0", "0-0", self.rid()])]
            if r.random() < 0.5:
                a += ["COUNT", str(r.randint(1, 5))]
            if r.random() < 0.3:
                a.append("JUSTID")
            return a
        if c == "XINFO":
            s = r.choice(["STREAM", "STREAM", "GROUPS", "CONSUMERS"])
            if s == "STREAM":
                a = [c, s, k]
                if r.random() < 0.5:
                    a.append("FULL")
                    if r.random() < 0.4:
                        a += ["COUNT", self.cnt()]
                return a
            if s == "GROUPS":
                return [c, s, k]
            return [c, s, k, g]
        if c == "DEL":
            return [c, k]
        return [c, k]

    def edge(self):
        """Hand-picked awkward commands: arity, subcommands, limits."""
        r = self.r
        k = self.key()
        g = r.choice(GROUPS)
        cn = r.choice(CONSUMERS)
        big = "18446744073709551615"
        opts = [
            ["XADD"], ["XADD", k], ["XADD", k, "%d-0" % self.t],
            ["XADD", k, "%d-0" % (self.t + 1), "f"],
            ["XADD", k, "%d-0" % (self.t + 1), "f", "v", "g"],
            ["XADD", k, "0-0", "f", "v"],
            ["XADD", k, "%s-%s" % (big, big), "f", "v"],
            ["XADD", k, "%s-*" % big, "f", "v"],
            ["XADD", k, "%s-5" % big, "f", "v"],
            ["XADD", k, "MAXLEN", "=", "2", "LIMIT", "3",
             "%d-1" % (self.t + 1), "f", "v"],
            ["XADD", k, "MAXLEN", "-1", "%d-1" % (self.t + 1), "f", "v"],
            ["XADD", k, "MAXLEN", "~", "x", "%d-1" % (self.t + 1), "f", "v"],
            ["XADD", k, "MINID", "~", "0-0", "LIMIT", "-1",
             "%d-1" % (self.t + 1), "f", "v"],
            ["XADD", k, "MAXLEN", "1", "MINID", "1", "%d-1" % (self.t + 1),
             "f", "v"],
            ["XADD", k, "NOMKSTREAM", "NOMKSTREAM", "%d-1" % (self.t + 1),
             "f", "v"],
            ["xadd", k, "maxlen", "~", "1", "limit", "1",
             "%d-2" % (self.t + 1), "f", "v"],
            ["XTRIM", k], ["XTRIM", k, "MAXLEN"], ["XTRIM", k, "FOO", "1"],
            ["XTRIM", k, "MAXLEN", "=", "1", "LIMIT", "1"],
            ["XTRIM", k, "MAXLEN", "~", "0", "LIMIT", "0"],
            ["XTRIM", k, "MINID", "~", self.rid(), "LIMIT", "1"],
            ["XTRIM", k, "MAXLEN", "9223372036854775808"],
            ["XRANGE", k], ["XRANGE", k, "-"], ["XRANGE", k, "-", "+", "COUNT"],
            ["XRANGE", k, "-", "+", "COUNT", "-1"],
            ["XRANGE", k, "-", "+", "COUNT", "1", "x"],
            ["XRANGE", k, "(-", "+"], ["XRANGE", k, "-", "(+"],
            ["XRANGE", k, "(%s-%s" % (big, big), "+"],
            ["XRANGE", k, "-", "(0-0"], ["XREVRANGE", k, "(0", "-"],
            ["XRANGE", k, big, big], ["XRANGE", k, "(" + big, "+"],
            ["XLEN"], ["XLEN", k, "x"], ["XDEL", k],
            ["XSETID", k], ["XSETID", k, "0-0"], ["XSETID", k, "0-1"],
            ["XSETID", k, "%d-9" % (self.t + 5), "ENTRIESADDED", "0"],
            ["XSETID", k, "%d-9" % (self.t + 5), "ENTRIESADDED", "1000",
             "MAXDELETEDID", "%d-10" % (self.t + 5)],
            ["XSETID", k, "%d-9" % (self.t + 5), "ENTRIESADDED"],
            ["XSETID", k, "%d-9" % (self.t + 5), "ENTRIESADDED", "-1"],
            ["XSETID", k, "%d-9" % (self.t + 5), "FOO", "1"],
            ["XREAD"], ["XREAD", "STREAMS"], ["XREAD", "STREAMS", k],
            ["XREAD", "COUNT", "-1", "STREAMS", k, "0"],
            ["XREAD", "BLOCKX", "STREAMS", k, "0"],
            ["XREAD", "STREAMS", k, ">"],
            ["XREAD", "NOACK", "STREAMS", k, "0"],
            ["XREAD", "GROUP", g, cn, "STREAMS", k, "0"],
            ["XREAD", "STREAMS", k, k, "0", "0"],
            ["XREADGROUP", "GROUP", g, cn, "STREAMS", k, "$"],
            ["XREADGROUP", "GROUP", g, "STREAMS", k, ">"],
            ["XREADGROUP", "STREAMS", k, ">"],
            ["XREADGROUP", "GROUP", g, cn, "COUNT", "0", "STREAMS", k, ">"],
            ["XREADGROUP", "GROUP", g, cn, "STREAMS", k, "str", ">", ">"],
            ["XREADGROUP", "GROUP", g, cn, "STREAMS", "nokey", ">"],
            ["XGROUP"], ["XGROUP", "FOO"], ["XGROUP", "CREATE", k, g],
            ["XGROUP", "CREATE", k, g, "$", "MKSTREAM", "ENTRIESREAD", "x"],
            ["XGROUP", "CREATE", k, g, "0", "ENTRIESREAD", "-2"],
            ["XGROUP", "CREATE", k, g, "0", "FOO"],
            ["XGROUP", "CREATE", k, g, "+"], ["XGROUP", "CREATE", k, g, "-"],
            ["XGROUP", "SETID", k, g, "$", "ENTRIESREAD", "3"],
            ["XGROUP", "SETID", k, g], ["XGROUP", "SETID", k, g, "0", "X"],
            ["XGROUP", "DESTROY", k], ["XGROUP", "DESTROY", k, g, "x"],
            ["XGROUP", "CREATECONSUMER", k, g],
            ["XGROUP", "DELCONSUMER", k, g],
            ["XGROUP", "DELCONSUMER", k, "nogroup", cn],
            ["XGROUP", "CREATECONSUMER", "nokey", g, cn],
            ["XACK", k, g], ["XACK", k], ["XACK", k, g, "0-0", "bad"],
            ["XPENDING", k], ["XPENDING", k, g, "-"],
            ["XPENDING", k, g, "-", "+"], ["XPENDING", k, g, "IDLE"],
            ["XPENDING", k, g, "IDLE", "0", "-", "+"],
            ["XPENDING", k, g, "IDLE", "-1", "-", "+", "5"],
            ["XPENDING", k, g, "IDLE", "x", "-", "+", "5"],
            ["XPENDING", k, g, "-", "+", "-1"],
            ["XPENDING", k, g, "-", "+", "0"],
            ["XPENDING", k, g, "(-", "+", "5"],
            ["XPENDING", k, g, "-", "+", "5", cn, "extra"],
            ["XPENDING", k, "nogroup"],
            ["XCLAIM", k, g, cn], ["XCLAIM", k, g, cn, "0"],
            ["XCLAIM", k, g, cn, "-1", "0-1"],
            ["XCLAIM", k, g, cn, "x", "0-1"],
            ["XCLAIM", k, g, cn, "0", "0-1", "IDLE"],
            ["XCLAIM", k, g, cn, "0", "0-1", "IDLE", "-5"],
            ["XCLAIM", k, g, cn, "0", "0-1", "RETRYCOUNT", "-1"],
            ["XCLAIM", k, g, cn, "0", "0-1", "TIME", "x"],
            ["XCLAIM", k, g, cn, "0", "0-1", "LASTID", "x"],
            ["XCLAIM", k, g, cn, "0", "0-1", "FOO"],
            ["XCLAIM", k, g, cn, "0", "1-0", "FORCE", "2-0", "JUSTID"],
            ["XCLAIM", k, g, cn, "0", "1-0", "FORCE", "JUSTID", "2-0"],
            ["XAUTOCLAIM", k, g, cn], ["XAUTOCLAIM", k, g, cn, "0"],
            ["XAUTOCLAIM", k, g, cn, "0", "0", "COUNT", "0"],
            ["XAUTOCLAIM", k, g, cn, "0", "0", "COUNT", "-1"],
            ["XAUTOCLAIM", k, g, cn, "0", "0", "COUNT", "99999999"],
            ["XAUTOCLAIM", k, g, cn, "0", "0", "COUNT"],
            ["XAUTOCLAIM", k, g, cn, "-1", "0"],
            ["XAUTOCLAIM", k, g, cn, "0", "(0"],
            ["XAUTOCLAIM", k, g, cn, "0", "-", "JUSTID", "FOO"],
            ["XAUTOCLAIM", k, g, cn, "0", "+"],
            ["XINFO"], ["XINFO", "FOO"], ["XINFO", "STREAM"],
            ["XINFO", "STREAM", k, "FOO"],
            ["XINFO", "STREAM", k, "FULL", "COUNT"],
            ["XINFO", "STREAM", k, "FULL", "COUNT", "-1"],
            ["XINFO", "STREAM", k, "FULL", "COUNT", "x"],
            ["XINFO", "STREAM", k, "FULL", "FOO", "1"],
            ["XINFO", "STREAM", "nokey"], ["XINFO", "GROUPS"],
            ["XINFO", "GROUPS", "nokey"], ["XINFO", "CONSUMERS", k],
            ["XINFO", "CONSUMERS", k, "nogroup"],
            ["XINFO", "CONSUMERS", "nokey", g],
            ["xinfo", "stream", k, "full", "count", "3"],
            ["XADD", "str", "%d-1" % (self.t + 1), "f", "v"],
            ["XLEN", "str"], ["XRANGE", "str", "-", "+"],
            ["XREAD", "STREAMS", "str", "0"],
            ["XGROUP", "CREATE", "str", g, "0"],
            ["XINFO", "STREAM", "str"], ["XTRIM", "str", "MAXLEN", "1"],
        ]
        return r.choice(opts)

    def mutate(self, a):
        r = self.r
        a = list(a)
        m = r.randint(0, 5)
        if m == 0 and len(a) > 1:
            del a[r.randrange(1, len(a))]
        elif m == 1:
            a.insert(r.randint(1, len(a)), r.choice(JUNK))
        elif m == 2:
            a.append(r.choice(JUNK))
        elif m == 3 and len(a) > 2:
            i = r.randrange(2, len(a))
            a[i] = r.choice(BAD_IDS)
        elif m == 4 and len(a) > 2:
            i = r.randrange(2, len(a))
            a[i] = r.choice(BAD_NUMS)
        else:
            a = a[:r.randint(1, len(a))]
        return a

    def sequence(self, n):
        out = []
        for _ in range(n):
            if self.r.random() < self.p_edge:
                out.append(self.edge())
                continue
            a = self.one()
            if self.r.random() < self.p_mutate:
                a = self.mutate(a)
            out.append(a)
        return out


# ----------------------------------------------------------------- runner


def forbidden(a):
    """8.x-only syntax that 7.0 rejects (see GENERATION EXCLUSIONS)."""
    up = [str(x).upper() for x in a]
    if up[0] == "XREAD" and "+" in up:
        return True
    if up[0] in ("XADD", "XTRIM") and any(
            x in ("KEEPREF", "DELREF", "ACKED", "IDMP", "IDMPAUTO")
            for x in up):
        return True
    return False


class Pair:
    def __init__(self, wport, rport):
        self.ports = (wport, rport)
        self.conns = None

    def reset(self, resp3):
        if self.conns:
            for c in self.conns:
                c.close()
        self.conns = [Conn(p) for p in self.ports]
        for c in self.conns:
            c.call(["FLUSHALL"])
            c.call(["SET", "str", "x"])
            if resp3:
                c.call(["HELLO", "3"])

    def emulate_72(self, a, rr):
        """Redis 7.2 (redis/redis #11099) makes XREADGROUP, XCLAIM and
        XAUTOCLAIM create the named consumer even when nothing is read or
        claimed; 7.0 creates it only on success.  Replay that on the 7.0
        side with XGROUP CREATECONSUMER so the states stay comparable."""
        if rr[0] == "-" or len(a) < 4:
            return
        up = a[0].upper()
        if up in ("XCLAIM", "XAUTOCLAIM"):
            self.conns[1].call(["XGROUP", "CREATECONSUMER", a[1], a[2],
                                a[3]])
        elif up == "XREADGROUP":
            ups = [x.upper() for x in a]
            if "STREAMS" not in ups:
                return
            st = ups.index("STREAMS") + 1
            n = (len(a) - st) // 2
            for k in a[st:st + n]:
                self.conns[1].call(["XGROUP", "CREATECONSUMER", k, a[2],
                                    a[3]])

    def run(self, seq, resp3, stop_at_diff=True):
        """Return (index, args, rw, rr) of first difference or None."""
        self.reset(resp3)
        known = 0
        for i, a in enumerate(seq):
            rw = self.conns[0].call(a)
            rr = self.conns[1].call(a)
            self.emulate_72(a, rr)
            nw, nr = normalise(a, rw), normalise(a, rr)
            if dump(nw) != dump(nr):
                if known_difference(a, nw, nr):
                    known += 1
                    continue
                return i, a, nw, nr
        return None


def minimise(pair, seq, resp3, last):
    seq = list(seq)
    target = seq[last]
    prefix = seq[:last]
    i = len(prefix) - 1
    while i >= 0:
        trial = prefix[:i] + prefix[i + 1:]
        d = pair.run(trial + [target], resp3)
        if d is not None and d[0] == len(trial):
            prefix = trial
        i -= 1
    return prefix + [target]


def fmt(a):
    return " ".join(repr(x) if (not x or " " in x) else x for x in a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--len", type=int, default=80)
    ap.add_argument("--weir", default=os.path.join(
        ROOT, "build/release/weir-server"))
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--node-max-entries", type=int, default=4)
    ap.add_argument("--node-max-bytes", type=int, default=4096)
    ap.add_argument("--resp3-every", type=int, default=4)
    ap.add_argument("--mutate", type=float, default=0.12,
                    help="probability that a command is malformed")
    ap.add_argument("--edge", type=float, default=0.08,
                    help="probability of a hand-picked awkward command")
    ap.add_argument("--keep-going", action="store_true")
    ap.add_argument("--no-minimise", action="store_true")
    ap.add_argument("-v", action="store_true")
    o = ap.parse_args()

    w = Server(o.weir, o.node_max_entries, o.node_max_bytes)
    rs = Server(o.redis, o.node_max_entries, o.node_max_bytes)
    pair = Pair(w.port, rs.port)
    bad = 0
    cmds = 0
    try:
        for seed in range(o.start, o.start + o.seeds):
            rnd = random.Random(seed)
            seq = [a for a in Gen(rnd, o.mutate, o.edge).sequence(o.len) if not forbidden(a)]
            resp3 = o.resp3_every > 0 and seed % o.resp3_every == 0
            d = pair.run(seq, resp3)
            if d is None:
                cmds += len(seq)
                if o.v:
                    print("seed %d ok (%d cmds, resp%d)" % (
                        seed, len(seq), 3 if resp3 else 2))
                continue
            bad += 1
            idx, a, nw, nr = d
            short = seq[:idx + 1]
            if not o.no_minimise:
                short = minimise(pair, short, resp3, idx)
                d = pair.run(short, resp3)
                if d is not None:
                    idx, a, nw, nr = d
            print("=" * 70)
            print("seed %d (RESP%d): difference at command %d: %s" % (
                seed, 3 if resp3 else 2, idx, fmt(a)))
            sw, sr = show(nw), show(nr)
            if sw.count("\n") + sr.count("\n") > 40:
                print("--- reply diff (- weir, + redis):")
                print("\n".join(difflib.unified_diff(
                    sw.split("\n"), sr.split("\n"), "weir", "redis",
                    n=4, lineterm="")))
            else:
                print("--- weir:\n" + sw)
                print("--- redis:\n" + sr)
            print("--- sequence (%s, %d commands):" % (
                "minimised" if not o.no_minimise else "full", len(short)))
            for x in short:
                print("  " + fmt(x))
            if not o.keep_going:
                break
    finally:
        w.stop()
        rs.stop()
    print("%d seeds with differences; %d commands in clean seeds" % (
        bad, cmds))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
