"""Real clients against the server: redis-cli, redis-py, node-redis (RESP3)
and redis-benchmark."""

import random
import re
import string

from harness import eq, ok, timeout


def token():
    return "".join(random.choice(string.ascii_lowercase) for _ in range(10))


def out(p):
    return p.stdout.decode(errors="replace")


# ---------------------------------------------------------------- redis-cli

def test_redis_cli_ping(t):
    p = t.cli("ping")
    eq(out(p), "PONG\n")
    p = t.cli("PING", "hello there")
    eq(out(p), "hello there\n")


def test_redis_cli_raw_and_no_raw_output(t):
    eq(out(t.cli("set", "k", "hello world")), "OK\n")
    eq(out(t.cli("get", "k")), "hello world\n", "raw output when stdout is not a tty")
    eq(out(t.cli("--no-raw", "get", "k")), '"hello world"\n')
    eq(out(t.cli("--no-raw", "incr", "n")), "(integer) 1\n")
    eq(out(t.cli("--no-raw", "get", "missing")), "(nil)\n")
    t.r.set("a", "1")
    eq(out(t.cli("--no-raw", "mget", "a", "missing")), '1) "1"\n2) (nil)\n')
    eq(out(t.cli("--no-raw", "keys", "nomatch*")), "(empty array)\n")
    eq(out(t.cli("--no-raw", "nosuchcmd", "x")),
       "(error) ERR unknown command 'nosuchcmd', with args beginning with: 'x' \n")
    p = t.cli("-e", "nosuchcmd", check=False)
    ok(p.returncode != 0, "redis-cli -e exits non-zero on an error reply")
    eq(out(t.cli("--no-raw", "set", "bin", "a\\x00b")), "OK\n")
    eq(t.r.strlen("bin"), 6, "redis-cli passes the argument as typed")


def test_redis_cli_stdin_commands(t):
    p = t.cli(stdin=b"set a 1\nincr a\nincrby a 40\nget a\nset q \"two words\"\nget q\n")
    eq(out(p), "OK\n2\n42\n42\nOK\ntwo words\n")
    eq(t.r.get("a"), "42")


def test_redis_cli_x_reads_last_argument_from_stdin(t):
    payload = b"line one\nline two\x00\xff"
    eq(out(t.cli("-x", "set", "fromstdin", stdin=payload)), "OK\n")
    eq(t.rb.get(b"fromstdin"), payload)


def test_redis_cli_resp3(t):
    text = out(t.cli("-3", "--no-raw", "hello"))
    ok('"proto" => (integer) 3' in text, "redis-cli -3 hello:\n" + text)
    ok('"modules" => (empty array)' in text, "redis-cli -3 hello:\n" + text)
    eq(out(t.cli("-3", "--no-raw", "get", "missing")), "(nil)\n")
    text = out(t.cli("-3", "--no-raw", "config", "get", "port"))
    eq(text, '1# "port" => "%d"\n' % t.port)


def test_redis_cli_scan(t):
    want = {"user:%d" % i for i in range(300)}
    with t.r.pipeline(transaction=False) as p:
        for k in want:
            p.set(k, "1")
        for i in range(100):
            p.set("other:%d" % i, "1")
        p.execute()
    keys = out(t.cli("--scan", "--pattern", "user:*")).split()
    eq(set(keys), want)


def test_redis_cli_pipe_mass_insert(t):
    n = 5000
    data = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                    % (len(b"m:%d" % i), b"m:%d" % i, len(b"%d" % i), b"%d" % i) for i in range(n))
    p = t.cli("--pipe", stdin=data, timeout=60)
    text = out(p)
    ok("errors: 0, replies: %d" % n in text, "redis-cli --pipe output:\n" + text)
    eq(t.r.dbsize(), n)
    eq(t.r.get("m:4321"), "4321")


# ---------------------------------------------------------------- redis-py

def test_redis_py_basics(t):
    r = t.r
    rb = t.rb
    ok(r.ping() is True, "ping")
    ok(r.set("s", "v") is True, "set")
    eq(r.get("s"), "v")
    eq(r.get("missing"), None)
    eq(r.incr("n"), 1)
    eq(r.incrby("n", 5), 6)
    eq(r.incrbyfloat("f", 2.5), 2.5)
    eq(r.mget("s", "n", "missing"), ["v", "6", None])
    ok(rb.set(b"\x00key\r\n", b"\xff\x00") is True, "binary set")
    eq(rb.get(b"\x00key\r\n"), b"\xff\x00")
    ok(r.expire("s", 100) is True, "expire")
    eq(r.ttl("s"), 100)
    eq(r.exists("s", "n", "nope"), 2)
    eq(r.type("s"), "string")
    eq(sorted(r.scan_iter(match="*", count=2)), sorted(["s", "n", "f", "\x00key\r\n"]))
    eq(r.delete("s", "n", "nope"), 2)
    info = r.info()
    eq(info["redis_mode"], "standalone")
    eq(info["tcp_port"], t.port)
    eq(r.config_get("port"), {"port": str(t.port)})
    r.client_setname("pyclient")
    eq(r.client_getname(), "pyclient")
    ok(any(c["name"] == "pyclient" for c in r.client_list()), "client_list parses")
    eq(r.echo("hi"), "hi")
    eq(r.dbsize(), 2)


def test_redis_py_pipeline(t):
    r = t.r
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.incr("ctr")
        res = p.execute()
    eq(res, list(range(1, 1001)))
    with r.pipeline(transaction=False) as p:
        p.set("a", "1").get("a").incr("a").get("nokey").delete("a")
        eq(p.execute(), [True, "1", 2, None, 1])


def test_redis_py_transaction(t):
    r = t.r
    with r.pipeline(transaction=True) as p:
        for i in range(50):
            p.incr("tx")
        p.get("tx")
        res = p.execute()
    eq(res[-1], "50")
    eq(res[:-1], list(range(1, 51)))

    def bump(pipe):
        v = int(pipe.get("watched") or 0)
        pipe.multi()
        pipe.set("watched", v + 1)

    for _ in range(5):
        r.transaction(bump, "watched")
    eq(r.get("watched"), "5")


# ---------------------------------------------------------------- node-redis

def test_node_redis_resp3(t):
    tok = token()
    res = t.node("resp3.mjs", tok)
    eq(res.get("exception"), None)
    eq(res["token"], tok)
    eq(res["set"], "OK")
    eq(res["get"], "value-" + tok)
    eq(res["getMissing"], None)
    eq(res["incr"], [1, 2, 3])
    eq(res["incrBy"], 13)
    eq(res["manyMax"], 200)
    ok(res["manySorted"], "200 pipelined INCR replies arrived in order")
    hello = res["hello"]
    eq(hello["proto"], 3, "node-redis negotiated RESP3")
    eq(hello["id"], res["clientId"])
    eq(hello["mode"], "standalone")
    eq(hello["role"], "master")
    eq(hello["modules"], [])
    eq(res["configGet"], {"port": str(t.port)})
    info = res["commandInfoGet"][0]
    eq(info[:7], ["get", 2, ["readonly", "fast"], 1, 1, 1, ["@read", "@string", "@fast"]])
    eq(res["multi"], ["OK", 2, "2"])
    eq(res["mget"], ["value-" + tok, None])
    ok(res["unknownError"].startswith("ERR unknown command 'NOSUCHCOMMAND'"),
       "unknown command error: %r" % res["unknownError"])
    eq(res["ttlMissing"], -2)
    eq(res["errors"], [])
    # what the script wrote is really in the server
    eq(t.r.get("node:" + tok), "value-" + tok)
    eq(t.r.get("node:counter:" + tok), "13")


# ---------------------------------------------------------------- redis-benchmark

BENCH_TESTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]


def _bench_rates(text):
    rates = {}
    for line in re.split(r"[\r\n]+", text):
        m = re.match(r"\s*(.+?): ([\d.]+) requests per second", line)
        if m:
            rates[m.group(1)] = float(m.group(2))
    return rates


@timeout(120)
def test_redis_benchmark(t):
    p = t.benchmark("-t", "ping,set,get,incr,mset", "-n", "2000", "-q")
    text = out(p) + p.stderr.decode(errors="replace")
    eq(p.returncode, 0, "redis-benchmark exit status; output:\n" + text)
    rates = _bench_rates(text)
    for name in BENCH_TESTS:
        ok(name in rates and rates[name] > 0, "no rate for %s in:\n%s" % (name, text))
    ok("error" not in text.lower(), "redis-benchmark reported errors:\n" + text)
    # its effects are visible: fixed key names without -r
    eq(t.r.strlen("key:__rand_int__"), 3, "value written by SET/MSET (3-byte default)")
    eq(t.r.get("counter:__rand_int__"), "2000", "INCR ran 2000 times")


@timeout(120)
def test_redis_benchmark_pipelined_random_keys(t):
    p = t.benchmark("-t", "set,get", "-n", "4000", "-P", "16", "-r", "1000", "-c", "20", "-q")
    text = out(p) + p.stderr.decode(errors="replace")
    eq(p.returncode, 0, "redis-benchmark exit status; output:\n" + text)
    rates = _bench_rates(text)
    ok(rates.get("SET", 0) > 0 and rates.get("GET", 0) > 0, "rates: %r\n%s" % (rates, text))
    n = t.r.dbsize()
    ok(100 < n <= 1000, "-r 1000 should create up to 1000 keys, got %d" % n)
    key = t.r.randomkey()
    ok(re.fullmatch(r"key:\d{12}", key), "random key name %r" % key)
