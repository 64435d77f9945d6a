#!/usr/bin/python3
"""Weir vs Redis, side by side (`make bench`).

Starts build/weir-server and Debian's /usr/bin/redis-server on free ports
with the same settings, drives both with redis-benchmark (interleaved runs,
medians), measures server CPU time per operation from /proc/<pid>/stat,
memory per entry from INFO used_memory, idle RSS and start-up time, and
prints a Markdown report (also written to build/bench.md).  What
redis-benchmark cannot drive (consumer-group cycles, fan-out latency) runs
through bench/drivers.py; the persistence table starts extra server pairs
with an AOF.

  bench/bench.py [--quick] [--only NAME[,NAME...]] [--weir PATH] [--redis PATH]
                 [--reps N] [--seconds S] [--out FILE]

Workloads are data: add a dict to THROUGHPUT, MEMORY, LATENCY or
PERSISTENCE below.  A workload with "requires": "XADD" is reported as n/a
(with the reason) when a server lacks that command.  Timing goals belong
here, never in the tests.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import drivers

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
CLIENTS = 50
PIPELINES = (1, 16)
KEYSPACE = 100000

# Throughput workloads.  "tests" is a redis-benchmark -t list, "command" an
# arbitrary command line (redis-benchmark's trailing arguments).
THROUGHPUT = [
    {"name": "PING_INLINE", "tests": "ping_inline"},
    {"name": "PING_MBULK", "tests": "ping_mbulk"},
    {"name": "SET", "tests": "set", "random_keys": True},
    {"name": "GET", "tests": "get", "random_keys": True},
    {"name": "INCR", "tests": "incr", "random_keys": True},
    {"name": "MSET", "tests": "mset", "random_keys": True},
    {"name": "XADD", "command": ["XADD", "bench:stream", "*", "field", "value"], "requires": "XADD"},
    {"name": "XADD 5 fields", "command": ["XADD", "bench:stream", "*", "f1", "v1", "f2", "v2", "f3", "v3",
                                          "f4", "v4", "f5", "v5"], "requires": "XADD"},
    {"name": "XADD 10 fields", "command": ["XADD", "bench:stream", "*"] + ["%s%d" % (k, i) for i in range(1, 11)
                                                                          for k in ("f", "v")],
     "requires": "XADD"},
    {"name": "XLEN", "setup": [["XADD", "bench:stream", "*", "f", "v"]],
     "command": ["XLEN", "bench:stream"], "requires": "XADD"},
    {"name": "XRANGE COUNT 10", "fill": (["XADD", "bench:stream", "*", "field", "value"], 1000),
     "command": ["XRANGE", "bench:stream", "-", "+", "COUNT", "10"], "requires": "XADD"},
    {"name": "XREVRANGE COUNT 10", "fill": (["XADD", "bench:stream", "*", "field", "value"], 1000),
     "command": ["XREVRANGE", "bench:stream", "+", "-", "COUNT", "10"], "requires": "XADD"},
    {"name": "XREAD COUNT 10", "fill": (["XADD", "bench:stream", "*", "field", "value"], 1000),
     "command": ["XREAD", "COUNT", "10", "STREAMS", "bench:stream", "0"], "requires": "XADD"},
    # Whole-stream range: each reply carries 1000 entries (~40 KB), so the
    # calibration run starts smaller ("calibrate_n": P1, P16).  redis-benchmark
    # reading the replies bounds ops/s; the CPU columns are the comparison.
    {"name": "XRANGE - + (1000 entries)", "fill": (["XADD", "bench:stream", "*", "field", "value"], 1000),
     "command": ["XRANGE", "bench:stream", "-", "+"], "calibrate_n": (2000, 5000), "requires": "XADD"},
    # Idempotent production: Weir runs the IDMP form, Redis (7.0 has no
    # IDMP) the plain XADD it replaces; compare with the plain XADD row.
    {"name": "XADD IDMP unique iids (Redis: plain XADD)",
     "command": ["XADD", "bench:stream", "IDMP", "p1", "iid:__rand_int__", "*", "field", "value"],
     "redis_command": ["XADD", "bench:stream", "*", "field", "value"], "random_keys": 1000000000,
     "requires": "XADD"},
    {"name": "XADD IDMPAUTO (Redis: plain XADD)",
     "command": ["XADD", "bench:stream", "IDMPAUTO", "p1", "*", "field", "v:__rand_int__"],
     "redis_command": ["XADD", "bench:stream", "*", "field", "v:__rand_int__"], "random_keys": 1000000000,
     "requires": "XADD"},
    {"name": "XADD IDMP duplicate (Redis: plain XADD)",
     "setup": [["XADD", "bench:stream", "IDMP", "p1", "same", "*", "field", "value"]],
     "redis_setup": [],
     "command": ["XADD", "bench:stream", "IDMP", "p1", "same", "*", "field", "value"],
     "redis_command": ["XADD", "bench:stream", "*", "field", "value"], "requires": "XADD"},
    # Consumer groups: a consumer re-reading its 10 oldest pending entries,
    # and the XPENDING summary, over a 1000-entry PEL.
    {"name": "XREADGROUP COUNT 10 (PEL)", "fill": (["XADD", "bench:stream", "*", "field", "value"], 1000),
     "setup": [["XGROUP", "CREATE", "bench:stream", "g", "0"],
               ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "bench:stream", ">"]],
     "command": ["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "bench:stream", "0"],
     "requires": "XADD"},
    {"name": "XPENDING summary", "fill": (["XADD", "bench:stream", "*", "field", "value"], 1000),
     "setup": [["XGROUP", "CREATE", "bench:stream", "g", "0"],
               ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "bench:stream", ">"]],
     "command": ["XPENDING", "bench:stream", "g"], "requires": "XADD"},
    # redis-benchmark cannot feed XREADGROUP's IDs to XACK: bench/drivers.py
    # runs CLIENTS consumers of one group (ops = cycles, CPU per cycle).  At
    # P1 the Python client bounds ops/s; the CPU columns are the comparison.
    {"name": "XREADGROUP COUNT 10 + XACK cycle", "driver": "GroupCycle", "calibrate_n": (5000, 20000),
     "requires": "XREADGROUP"},
]

# Latency workloads (bench/drivers.py): median over `rounds` of the seconds a
# driver function returns per round.
LATENCY = [
    {"name": "XADD fan-out to 50 blocked XREADGROUP consumers (50 groups)", "driver": "fanout_latency",
     "args": {"consumers": 50, "rounds": 30}, "requires": "XREADGROUP"},
]

# Persistence: XADD throughput on server pairs started with these AOF
# settings (appendfsync None: the main pair, no AOF), and on a fresh
# everysec pair the AOF size, load time and rewrite time of `entries` XADDs
# (a tenth with --quick).  Auto-rewrite is off so that it never lands inside
# a run, and both write command-form AOFs (Weir reads no RDB preamble).
AOF_SETTINGS = {"appendonly": "yes", "auto-aof-rewrite-percentage": "0", "aof-use-rdb-preamble": "no"}
AOF_XADD = {"name": "XADD", "command": ["XADD", "bench:stream", "*", "field", "value"]}
AOF_FILL = {"name": "fill", "command": ["XADD", "bench:stream", "*", "f", "__rand_int__"],
            "random_keys": 1000000000}
PERSISTENCE = [
    {"name": "XADD, no AOF", "appendfsync": None, "pipelines": (1, 16)},
    {"name": "XADD, AOF everysec", "appendfsync": "everysec", "pipelines": (1, 16)},
    {"name": "XADD, AOF always", "appendfsync": "always", "pipelines": (1,)},
    {"name": "AOF size, load and rewrite", "appendfsync": "everysec", "entries": 1000000},
]
PERSISTENCE_TARGETS = ("with `always` ≥ 1.0× Redis's throughput at 50 clients; `everysec` within 10% of no "
                       "persistence; load time ≤ 0.5× Redis's")

# Memory workloads: FLUSHALL, used_memory before, fill with `command` run
# `count` times, used_memory after; bytes per entry = delta / entries where
# entries is the reply of `entries`.
MEMORY = [
    {"name": "SET key:N (3-byte values)", "tests": "set", "random_keys": True, "count": 200000,
     "entries": ["DBSIZE"]},
    # The rows: one or five fields with random 10-byte values
    # (lowercase letters and digits; practically never a canonical integer).
    {"name": "XADD 1 field, 10-byte values", "gen": ("f",), "count": 1000000,
     "entries": ["XLEN", "bench:stream"], "requires": "XADD"},
    {"name": "XADD 5 fields, 10-byte values", "gen": ("f1", "f2", "f3", "f4", "f5"), "count": 1000000,
     "entries": ["XLEN", "bench:stream"], "requires": "XADD"},
    # Per tracked iid: compare with the plain 1-field row (Redis runs plain XADD).
    {"name": "XADD IDMP 1 field, 16-byte iids (Redis: plain)",
     "command": ["XADD", "bench:stream", "IDMP", "p1", "iid:__rand_int__", "*", "f", "__rand_int__"],
     "redis_command": ["XADD", "bench:stream", "*", "f", "__rand_int__"],
     "setup": [["CONFIG", "SET", "stream-idmp-maxsize", "10000"]],
     "redis_setup": [],
     "random_keys": 1000000000, "count": 10000, "entries": ["XLEN", "bench:stream"], "requires": "XADD"},
]


# ---------------------------------------------------------------- tiny client

def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Conn:
    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.s.makefile("rb")

    def call(self, *args):
        self.s.sendall(resp(*args))
        return self._read()

    def _read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("connection closed")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode(errors="replace")
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ValueError("unexpected reply %r" % line)

    def close(self):
        self.f.close()
        self.s.close()


# ---------------------------------------------------------------- servers

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# Settings both servers start with; Server(settings=...) overrides them.
SETTINGS = {"save": "", "appendonly": "no"}


class Server:
    def __init__(self, label, binary, settings=None):
        self.label = label
        self.binary = binary
        self.settings = dict(SETTINGS, **(settings or {}))
        self.dir = tempfile.mkdtemp(prefix="weir-bench-%s-" % label.lower())
        self.proc = None
        self.port = None
        self.startup_ms = None
        self.idle_rss_kib = None
        self.version = "?"
        self.commands = {}

    def start(self, ready=None, timeout=15):
        """Start (again, on the same --dir) and wait for PONG and, if given,
        for ready(conn) to be true; startup_ms is the time that took."""
        self.port = free_port()
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        for name, value in self.settings.items():
            argv += ["--" + name, value]
        log = open(os.path.join(self.dir, "server.log"), "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.dir, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during start-up:\n%s"
                                   % (self.label, self.proc.returncode, self.log_tail()))
            try:
                c = Conn(self.port, timeout=2)
                try:
                    if c.call("PING") == "PONG" and (ready is None or ready(c)):
                        break
                finally:
                    c.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("%s was not ready within %ds:\n%s" % (self.label, timeout, self.log_tail()))
            time.sleep(0.001)
        self.startup_ms = (time.perf_counter() - t0) * 1000
        self.idle_rss_kib = rss_kib(self.proc.pid)
        return self

    def probe(self):
        c = Conn(self.port)
        try:
            info = c.call("INFO", "server")
            if isinstance(info, str):
                m = re.search(r"redis_version:(\S+)", info)
                if m:
                    self.version = m.group(1)
        finally:
            c.close()

    def supports(self, command):
        if command not in self.commands:
            c = Conn(self.port)
            try:
                r = c.call("COMMAND", "INFO", command)
                self.commands[command] = isinstance(r, list) and len(r) == 1 and r[0] is not None
            finally:
                c.close()
        return self.commands[command]

    def call(self, *args):
        c = Conn(self.port, timeout=60)
        try:
            return c.call(*args)
        finally:
            c.close()

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after the ")": state is field 3, utime 14, stime 15 (1-based)
        return int(fields[11]) + int(fields[12])

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def halt(self):
        """SIGTERM (both servers flush and fsync the AOF) and wait; keeps --dir."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


# ---------------------------------------------------------------- benchmark runs

def bench_args(w, n, pipeline, port, is_redis=False):
    args = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(CLIENTS),
            "-n", str(n), "-P", str(pipeline), "--csv"]
    if w.get("random_keys"):
        keyspace = w["random_keys"] if w["random_keys"] is not True else KEYSPACE
        args += ["-r", str(keyspace)]
    if "tests" in w:
        args += ["-t", w["tests"]]
    else:
        args += list(w.get("redis_command", w["command"]) if is_redis else w["command"])
    return args


def prepare(server, w):
    """Fill and set up the data a workload reads (not measured)."""
    is_redis = server.label == "Redis"
    if "fill" in w:
        cmd, count = w["fill"]
        c = Conn(server.port)
        c.s.sendall(resp(*cmd) * count)
        for _ in range(count):
            c._read()
        c.close()
    for cmd in w.get("redis_setup", w.get("setup", [])) if is_redis else w.get("setup", []):
        server.call(*cmd)


def run_benchmark(server, w, n, pipeline):
    """One redis-benchmark run; returns (ops/s, server CPU µs per op)."""
    prepare(server, w)
    before = server.cpu_ticks()
    p = subprocess.run(bench_args(w, n, pipeline, server.port, server.label == "Redis"),
                       capture_output=True, timeout=600)
    after = server.cpu_ticks()
    text = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace").strip()
    if p.returncode != 0 or "Error" in err:
        raise RuntimeError("redis-benchmark failed (%d): %s" % (p.returncode, (err or text)[-300:]))
    rows = [l for l in text.splitlines() if l.startswith('"') and not l.startswith('"test"')]
    if len(rows) != 1:
        raise RuntimeError("unexpected redis-benchmark output: %r" % text[-300:])
    rps = float(rows[0].split(",")[1].strip('"'))
    cpu_us = (after - before) / CLK_TCK * 1e6 / n
    return rps, cpu_us


def run_driver(server, w, n, pipeline):
    """One run of a bench/drivers.py workload class; same result shape."""
    d = getattr(drivers, w["driver"])(server.port, n, pipeline, CLIENTS)
    try:
        d.prepare()
        before = server.cpu_ticks()
        ops, seconds = d.run()
        after = server.cpu_ticks()
    finally:
        d.close()
    return ops / seconds, (after - before) / CLK_TCK * 1e6 / ops


def run_one(server, w, n, pipeline):
    return (run_driver if "driver" in w else run_benchmark)(server, w, n, pipeline)


def calibrate(server, w, pipeline, seconds):
    """Pick -n so that one run takes about `seconds` on the baseline."""
    n = w.get("calibrate_n", (20000, 100000))[0 if pipeline == 1 else 1]
    rps, _ = run_one(server, w, n, pipeline)
    server.call("FLUSHALL")
    target = int(rps * seconds)
    step = 1000
    return max(step, min(5000000, (target // step) * step))


def fmt_num(x, digits=0):
    if x is None:
        return "n/a"
    return "{:,.{d}f}".format(x, d=digits)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return "%.2f" % (a / b)


def unsupported(servers, w):
    req = w.get("requires")
    if not req:
        return None
    lacking = [s.label for s in servers if not s.supports(req)]
    if lacking:
        return "n/a: %s has no %s" % (" and ".join(lacking), req)
    return None


def measure(weir, redis, w, pipeline, label, opts, log):
    """Interleaved runs of one workload on both servers; a throughput row."""
    try:
        n = calibrate(redis, w, pipeline, opts.seconds)
        res = {weir.label: [], redis.label: []}
        for rep in range(opts.reps):
            for s in (weir, redis) if rep % 2 == 0 else (redis, weir):
                s.call("FLUSHALL")
                res[s.label].append(run_one(s, w, n, pipeline))
                s.call("FLUSHALL")
        med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
               for k, v in res.items()}
        row = {"label": label, "n": n,
               "w_ops": med[weir.label][0], "r_ops": med[redis.label][0],
               "w_cpu": med[weir.label][1], "r_cpu": med[redis.label][1]}
        log("%-24s n=%-8d Weir %10.0f ops/s %6.2f us/op | Redis %10.0f ops/s %6.2f us/op"
            % (label, n, row["w_ops"], row["w_cpu"], row["r_ops"], row["r_cpu"]))
        return row
    except Exception as e:  # noqa: BLE001 - one failing row must not end the bench
        log("%-24s error: %s" % (label, e))
        check_alive((weir, redis), label)
        return {"label": label, "note": "error: %s" % e}


def check_alive(servers, label):
    for s in servers:
        if s.proc.poll() is not None:
            raise RuntimeError("%s died during %s:\n%s" % (s.label, label, s.log_tail()))


def throughput_rows(weir, redis, opts, log):
    rows = []
    for w in THROUGHPUT:
        if not selected(w, opts.only):
            continue
        for pipeline in PIPELINES:
            label = "%s (P%d)" % (w["name"], pipeline)
            why = unsupported((weir, redis), w)
            if why:
                rows.append({"label": label, "note": why})
                log("%-24s %s" % (label, why))
                continue
            rows.append(measure(weir, redis, w, pipeline, label, opts, log))
    return rows


def latency_rows(weir, redis, opts, log):
    rows = []
    for w in LATENCY:
        if not runnable(w, weir, redis, opts, rows, log):
            continue
        try:
            # two halves of the rounds per server, in alternating order
            args = dict(w["args"], rounds=(w["args"]["rounds"] + 1) // 2)
            secs = {weir.label: [], redis.label: []}
            for s in (weir, redis, redis, weir):
                s.call("FLUSHALL")
                secs[s.label] += getattr(drivers, w["driver"])(s.port, **args)
                s.call("FLUSHALL")
            med = {k: (statistics.median(v) * 1e6, len(v)) for k, v in secs.items()}
            rows.append({"label": w["name"], "rounds": med[weir.label][1],
                         "w_us": med[weir.label][0], "r_us": med[redis.label][0]})
            log("%-24s Weir %.0f us | Redis %.0f us (median of %d)"
                % (w["name"], med[weir.label][0], med[redis.label][0], med[weir.label][1]))
        except Exception as e:  # noqa: BLE001
            rows.append({"label": w["name"], "note": "error: %s" % e})
            log("%-24s error: %s" % (w["name"], e))
            check_alive((weir, redis), w["name"])
    return rows


def fill_random_values(server, fields, count, batch=2000):
    """XADD bench:stream * with each field set to a random 10-byte value,
    pipelined in batches (the same values for both servers: fixed seed)."""
    import random
    rng = random.Random(42)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    c = Conn(server.port, timeout=60)
    done = 0
    while done < count:
        n = min(batch, count - done)
        reqs = []
        for _ in range(n):
            args = ["XADD", "bench:stream", "*"]
            for f in fields:
                args += [f, "".join(rng.choice(alphabet) for _ in range(10))]
            reqs.append(resp(*args))
        c.s.sendall(b"".join(reqs))
        for _ in range(n):
            c._read()
        done += n
    c.close()


def used_memory(server):
    info = server.call("INFO", "memory")
    m = re.search(r"used_memory:(\d+)", info or "")
    if not m:
        raise RuntimeError("%s: no used_memory in INFO memory" % server.label)
    return int(m.group(1))


def memory_rows(weir, redis, opts, log):
    rows = []
    for w in MEMORY:
        if not runnable(w, weir, redis, opts, rows, log):
            continue
        count = w["count"] // (10 if opts.quick else 1)
        res = {}
        try:
            for s in (weir, redis):
                s.call("FLUSHALL")
                time.sleep(0.2)
                before = used_memory(s)
                if "gen" in w:
                    fill_random_values(s, w["gen"], count)
                else:
                    run_benchmark(s, w, count, 16)
                entries = s.call(*w["entries"])
                after = used_memory(s)
                if not isinstance(entries, int) or entries <= 0:
                    raise RuntimeError("%s: %s gave %r" % (s.label, " ".join(w["entries"]), entries))
                res[s.label] = ((after - before) / entries, entries)
                s.call("FLUSHALL")
            rows.append({"label": w["name"], "w_bpe": res[weir.label][0], "r_bpe": res[redis.label][0],
                         "w_n": res[weir.label][1], "r_n": res[redis.label][1]})
            log("%-24s Weir %.1f B/entry (%d) | Redis %.1f B/entry (%d)"
                % (w["name"], res[weir.label][0], res[weir.label][1], res[redis.label][0], res[redis.label][1]))
        except Exception as e:  # noqa: BLE001
            rows.append({"label": w["name"], "note": "error: %s" % e})
            log("%-24s error: %s" % (w["name"], e))
    return rows


def info_field(server, section, field):
    m = re.search(r"^%s:(\S*)" % re.escape(field), server.call("INFO", section) or "", re.M)
    if not m:
        raise RuntimeError("%s: no %s in INFO %s" % (server.label, field, section))
    return m.group(1)


def wait_no_rewrite(server, timeout=600):
    deadline = time.monotonic() + timeout
    while (info_field(server, "persistence", "aof_rewrite_in_progress") != "0"
           or info_field(server, "persistence", "aof_rewrite_scheduled") != "0"):
        if time.monotonic() > deadline:
            raise RuntimeError("%s: AOF rewrite still running after %ds" % (server.label, timeout))
        time.sleep(0.005)


def aof_bytes(server):
    """Total size of the files in the server's AOF directory."""
    d = os.path.join(server.dir, "appendonlydir")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def aof_files(weir, redis, count, opts, log):
    """Fill `count` XADDs on a fresh everysec pair; AOF size, load, rewrite."""
    key = AOF_XADD["command"][1]
    pair = [Server(label, binary, dict(AOF_SETTINGS, appendfsync="everysec"))
            for label, binary in ((weir.label, weir.binary), (redis.label, redis.binary))]
    res = {s.label: {} for s in pair}
    try:
        for s in pair:
            s.start()
            wait_no_rewrite(s)  # Redis writes its first base file in the background
            run_benchmark(s, AOF_FILL, count, 16)
            n = s.call("XLEN", key)
            if n != count:
                raise RuntimeError("%s: XLEN %r after %d XADDs" % (s.label, n, count))
            s.halt()
            res[s.label]["bpe"] = aof_bytes(s) / count
        loads = {s.label: [] for s in pair}
        for rep in range(opts.reps):
            for s in pair if rep % 2 == 0 else pair[::-1]:
                s.halt()
                s.start(ready=lambda c: c.call("XLEN", key) == count, timeout=600)
                loads[s.label].append(s.startup_ms / 1000)
        rewrites = {s.label: [] for s in pair}
        for rep in range(opts.reps):
            for s in pair if rep % 2 == 0 else pair[::-1]:
                wait_no_rewrite(s)
                t0 = time.perf_counter()
                r = s.call("BGREWRITEAOF")
                if isinstance(r, Exception):
                    raise RuntimeError("%s: BGREWRITEAOF: %s" % (s.label, r))
                wait_no_rewrite(s)
                rewrites[s.label].append(time.perf_counter() - t0)
                status = info_field(s, "persistence", "aof_last_bgrewrite_status")
                if status != "ok":
                    raise RuntimeError("%s: aof_last_bgrewrite_status:%s" % (s.label, status))
        for s in pair:
            res[s.label]["load"] = statistics.median(loads[s.label])
            res[s.label]["rewrite"] = statistics.median(rewrites[s.label])
            res[s.label]["bpe_rw"] = aof_bytes(s) / count
    finally:
        for s in pair:
            s.stop()
    w, r = res[weir.label], res[redis.label]
    log("%-24s Weir %.1f B/entry, load %.2fs, rewrite %.2fs | Redis %.1f B/entry, load %.2fs, rewrite %.2fs"
        % ("AOF %d entries" % count, w["bpe"], w["load"], w["rewrite"], r["bpe"], r["load"], r["rewrite"]))
    n = fmt_num(count)
    return [{"label": "AOF bytes per entry (%s XADDs, 1 field)" % n, "w": w["bpe"], "r": r["bpe"], "digits": 1},
            {"label": "AOF bytes per entry after BGREWRITEAOF", "w": w["bpe_rw"], "r": r["bpe_rw"], "digits": 1},
            {"label": "load time of a %s-entry AOF (s)" % n, "w": w["load"], "r": r["load"], "digits": 2},
            {"label": "BGREWRITEAOF time, %s entries (s)" % n, "w": w["rewrite"], "r": r["rewrite"],
             "digits": 2}]


def persistence_rows(weir, redis, opts, log):
    """The persistence table: rows of {label, w, r, digits} or {label, note}."""
    rows = []
    pairs = {None: (weir, redis)}
    xadd = {}  # (appendfsync, pipeline) -> throughput row
    try:
        for p in PERSISTENCE:
            if not selected(p, opts.only):
                continue
            mode = p["appendfsync"]
            why = unsupported((weir, redis), {"requires": "XADD"})
            if why:
                rows.append({"label": p["name"], "note": why})
                continue
            try:
                if "entries" in p:
                    rows += aof_files(weir, redis, p["entries"] // (10 if opts.quick else 1), opts, log)
                    continue
                if mode not in pairs:
                    pairs[mode] = tuple(Server(s.label, s.binary, dict(AOF_SETTINGS, appendfsync=mode))
                                        for s in (weir, redis))
                    for s in pairs[mode]:
                        s.start()
                for pipeline in p["pipelines"]:
                    label = "%s (P%d)" % (p["name"], pipeline)
                    row = measure(pairs[mode][0], pairs[mode][1], AOF_XADD, pipeline, label, opts, log)
                    if "note" in row:
                        rows.append(row)
                        continue
                    xadd[mode, pipeline] = row
                    rows.append({"label": "%s ops/s (P%d)" % (p["name"], pipeline),
                                 "w": row["w_ops"], "r": row["r_ops"], "digits": 0})
                    rows.append({"label": "%s CPU µs/op (P%d)" % (p["name"], pipeline),
                                 "w": row["w_cpu"], "r": row["r_cpu"], "digits": 2})
                    base = xadd.get((None, pipeline))
                    if mode and base:
                        rows.append({"label": "%s ops/s ÷ no AOF (P%d)" % (p["name"], pipeline),
                                     "w": row["w_ops"] / base["w_ops"], "r": row["r_ops"] / base["r_ops"],
                                     "digits": 2})
            except Exception as e:  # noqa: BLE001
                rows.append({"label": p["name"], "note": "error: %s" % e})
                log("%-24s error: %s" % (p["name"], e))
    finally:
        for mode, pair in pairs.items():
            if mode:
                for s in pair:
                    s.stop()
    return rows


def runnable(w, weir, redis, opts, rows, log):
    """Is w selected by --only and supported by both servers?  An
    unsupported one gets an n/a row with the reason."""
    if not selected(w, opts.only):
        return False
    why = unsupported((weir, redis), w)
    if why:
        rows.append({"label": w["name"], "note": why})
        log("%-24s %s" % (w["name"], why))
        return False
    return True


def selected(w, only):
    if not only:
        return True
    name = w["name"].lower()
    return any(o.lower() in name for o in only)


def startup_stats(binaries, runs):
    """Median start-up-to-PONG time and idle RSS per label, runs interleaved."""
    times = {label: [] for label in binaries}
    rss = {label: [] for label in binaries}
    for i in range(runs):
        order = list(binaries.items())
        if i % 2:
            order.reverse()
        for label, binary in order:
            s = Server(label, binary)
            try:
                s.start()
                times[label].append(s.startup_ms)
                rss[label].append(s.idle_rss_kib)
            finally:
                s.stop()
    return ({k: statistics.median(v) for k, v in times.items()},
            {k: statistics.median(v) for k, v in rss.items()})


# ---------------------------------------------------------------- report

def report(weir, redis, thr, mem, lat, pers, proc, opts):
    out = []
    out.append("# Weir vs Redis %s" % redis.version)
    out.append("")
    out.append("%s, %s, %d CPUs. redis-benchmark: %d clients, 127.0.0.1, medians of %d interleaved run(s), "
               "-n sized for ~%.1fs on Redis; both servers `--save '' --appendonly no`."
               % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), platform.machine(), os.cpu_count(),
                  CLIENTS, opts.reps, opts.seconds))
    out.append("Weir: `%s` (reports %s). Redis: `%s`. CPU = server utime+stime per request."
               % (os.path.relpath(weir.binary, REPO) if weir.binary.startswith(REPO) else weir.binary,
                  weir.version, redis.binary))
    out.append("")
    if thr:
        out.append("| workload | -n | Weir ops/s | Redis ops/s | ops ratio | Weir CPU µs/op | Redis CPU µs/op | CPU ratio |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in thr:
            if "note" in r:
                out.append("| %s | | %s | | | | | |" % (r["label"], r["note"]))
                continue
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["label"], fmt_num(r["n"]), fmt_num(r["w_ops"]), fmt_num(r["r_ops"]),
                ratio(r["w_ops"], r["r_ops"]), fmt_num(r["w_cpu"], 2), fmt_num(r["r_cpu"], 2),
                ratio(r["w_cpu"], r["r_cpu"])))
        out.append("")
        out.append("ops ratio > 1: Weir faster; CPU ratio < 1: Weir cheaper.")
        out.append("")
    if mem:
        out.append("| memory | entries (Weir / Redis) | Weir bytes/entry | Redis bytes/entry | ratio |")
        out.append("|---|---:|---:|---:|---:|")
        for r in mem:
            if "note" in r:
                out.append("| %s | %s | | | |" % (r["label"], r["note"]))
                continue
            out.append("| %s | %s / %s | %s | %s | %s |" % (
                r["label"], fmt_num(r["w_n"]), fmt_num(r["r_n"]), fmt_num(r["w_bpe"], 1),
                fmt_num(r["r_bpe"], 1), ratio(r["w_bpe"], r["r_bpe"])))
        out.append("")
    if lat:
        out.append("| latency | rounds | Weir µs (median) | Redis µs (median) | ratio |")
        out.append("|---|---:|---:|---:|---:|")
        for r in lat:
            if "note" in r:
                out.append("| %s | %s | | | |" % (r["label"], r["note"]))
                continue
            out.append("| %s | %d | %s | %s | %s |" % (r["label"], r["rounds"], fmt_num(r["w_us"]),
                                                     fmt_num(r["r_us"]), ratio(r["w_us"], r["r_us"])))
        out.append("")
        out.append("From sending the XADD to the last consumer holding its reply, as seen by one Python client.")
        out.append("")
    if pers:
        out.append("| persistence | Weir | Redis | ratio |")
        out.append("|---|---:|---:|---:|")
        for r in pers:
            if "note" in r:
                out.append("| %s | %s | | |" % (r["label"], r["note"]))
                continue
            out.append("| %s | %s | %s | %s |" % (r["label"], fmt_num(r["w"], r["digits"]),
                                                  fmt_num(r["r"], r["digits"]), ratio(r["w"], r["r"])))
        out.append("")
        out.append("Both servers `--appendonly yes --auto-aof-rewrite-percentage 0 --aof-use-rdb-preamble no`, "
                   "XADD 1 field, %d clients, -n sized as above; load time = exec to PONG with the full XLEN; "
                   "rewrite time = BGREWRITEAOF until INFO shows none in progress (polled every 5 ms). "
                   "Targets (issue 6): %s." % (CLIENTS, PERSISTENCE_TARGETS))
        out.append("")
    if proc:
        out.append("| process | Weir | Redis | ratio |")
        out.append("|---|---:|---:|---:|")
        out.append("| idle RSS (KiB) | %s | %s | %s |" % (fmt_num(proc["w_rss"]), fmt_num(proc["r_rss"]),
                                                       ratio(proc["w_rss"], proc["r_rss"])))
        out.append("| start-up to first PONG (ms) | %s | %s | %s |" % (
            fmt_num(proc["w_start"], 1), fmt_num(proc["r_start"], 1), ratio(proc["w_start"], proc["r_start"])))
        out.append("")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weir", default=os.environ.get("WEIR_BIN") or os.path.join(REPO, "build", "weir-server"))
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--quick", action="store_true", help="one short run per workload")
    ap.add_argument("--only", default="", help="comma-separated workload name substrings")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=None, help="target seconds per run")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "bench.md"))
    opts = ap.parse_args(argv)
    opts.only = [o.strip() for o in opts.only.split(",") if o.strip()]
    if opts.reps is None:
        opts.reps = 1 if opts.quick else 3
    if opts.seconds is None:
        opts.seconds = 0.7 if opts.quick else 2.5
    for tool in ("redis-benchmark",):
        if shutil.which(tool) is None:
            print("%s not found: run ./tools/deps.sh test" % tool, file=sys.stderr)
            return 2
    for path in (opts.weir, opts.redis):
        if not os.access(path, os.X_OK):
            print("not executable: %s" % path, file=sys.stderr)
            return 2
    opts.weir = os.path.abspath(opts.weir)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    log("start-up and idle RSS ...")
    runs = 3 if opts.quick else 5
    start, rss = startup_stats({"Weir": opts.weir, "Redis": opts.redis}, runs)
    proc = {"w_start": start["Weir"], "r_start": start["Redis"], "w_rss": rss["Weir"], "r_rss": rss["Redis"]}

    weir = Server("Weir", opts.weir)
    redis = Server("Redis", opts.redis)
    try:
        weir.start()
        redis.start()
        weir.probe()
        redis.probe()
        thr = throughput_rows(weir, redis, opts, log)
        mem = memory_rows(weir, redis, opts, log)
        lat = latency_rows(weir, redis, opts, log)
        pers = persistence_rows(weir, redis, opts, log)
    finally:
        weir.stop()
        redis.stop()
    text = report(weir, redis, thr, mem, lat, pers, proc, opts)
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
    with open(opts.out, "w") as f:
        f.write(text + "\n")
    log("written to %s" % opts.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
