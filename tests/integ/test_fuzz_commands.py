"""Randomized command fuzzing: every command of the table with arguments
drawn from a pool of plausible and hostile values.

Whatever the reply, the server must answer each request (a reply or an
error, never silence), stay alive, keep its invariants visible through
DEBUG-free commands, and produce no sanitizer report (the harness checks the
log after every test).  The seed is fixed so a failure replays; set
WEIR_FUZZ_SEED / WEIR_FUZZ_ROUNDS to explore more.
"""

import os
import random

from harness import Err, eq, ok

SEED = int(os.environ.get("WEIR_FUZZ_SEED", "20261204"))
ROUNDS = int(os.environ.get("WEIR_FUZZ_ROUNDS", "20000"))

# Commands that end the connection or the server, or sleep: not fuzzed.
SKIP = {"shutdown", "quit", "reset", "debug", "monitor", "client|kill", "client|pause",
        "client|reply", "hello", "auth", "select", "swapdb", "flushall", "flushdb",
        "bgrewriteaof", "save", "bgsave", "config|set", "config|rewrite", "multi",
        "watch", "xread", "xreadgroup", "client|unblock", "client|no-evict", "function|flush"}

KEYS = ["s1", "s2", "str", "missing", "", "s1\x00bin"]
TOKENS = ["*", "$", ">", "+", "-", "(", "0", "0-0", "0-1", "1-1", "1", "-1", "5-*", "18446744073709551615-18446744073709551615",
          "18446744073709551615", "99999999999999999999", "1.5", "nan", "inf", "",
          "MAXLEN", "MINID", "~", "=", "LIMIT", "NOMKSTREAM", "KEEPREF", "DELREF", "ACKED",
          "IDMP", "IDMPAUTO", "IDS", "COUNT", "BLOCK", "STREAMS", "GROUP", "NOACK", "CLAIM",
          "FULL", "ENTRIESADDED", "MAXDELETEDID", "IDMP-DURATION", "IDMP-MAXSIZE", "MKSTREAM",
          "ENTRIESREAD", "IDLE", "TIME", "RETRYCOUNT", "FORCE", "JUSTID", "LASTID", "SILENT",
          "FAIL", "FATAL", "EX", "PX", "NX", "XX", "GET", "KEEPTTL", "MATCH", "TYPE", "g1", "c1",
          "p1", "iid", "f", "v", "x" * 300]


def arg(rng):
    r = rng.random()
    if r < 0.35:
        return rng.choice(KEYS)
    if r < 0.85:
        return rng.choice(TOKENS)
    if r < 0.95:
        return str(rng.randint(-5, 5000))
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))


def command_names(c):
    names = []
    for entry in c.call("COMMAND"):
        name = entry[0]
        subs = entry[9] if len(entry) > 9 else []
        if subs:
            names.extend(s[0] for s in subs)
        else:
            names.append(name)
    return [n for n in names if n not in SKIP]


def seed_data(c):
    c.call("SET", "str", "12")
    for i in range(30):
        c.call("XADD", "s1", "*", "f", str(i))
    c.call("XGROUP", "CREATE", "s1", "g1", "0")
    c.call("XREADGROUP", "GROUP", "g1", "c1", "COUNT", "10", "STREAMS", "s1", ">")
    c.call("XADD", "s2", "IDMP", "p1", "iid", "*", "f", "v")


def test_random_commands_never_crash(t):
    rng = random.Random(SEED)
    c = t.conn()
    seed_data(c)
    names = command_names(c)
    ok(len(names) > 80, "the command table lists the commands (%d)" % len(names))
    for i in range(ROUNDS):
        name = rng.choice(names)
        words = name.split("|")
        argv = words + [arg(rng) for _ in range(rng.randint(0, 8))]
        reply = c.call(*argv)  # raises if the server closes or sends garbage
        if i % 500 == 0:
            eq(c.call("PING"), "PONG", "alive after %d commands (last: %r)" % (i, argv))
            if rng.random() < 0.5:
                c.call("FLUSHALL")
                seed_data(c)
        del reply
    eq(c.call("PING"), "PONG", "alive at the end")


def test_random_stream_commands_keep_the_stream_sound(t):
    """Stream-only fuzzing with many more writes; XLEN must always equal the
    number of entries XRANGE returns, and XINFO must keep answering."""
    rng = random.Random(SEED + 1)
    c = t.conn()
    seed_data(c)
    stream_cmds = [n for n in command_names(c) if n.startswith("x")]
    for i in range(ROUNDS):
        name = rng.choice(stream_cmds)
        argv = name.split("|") + ["s1" if rng.random() < 0.7 else rng.choice(KEYS)]
        argv += [arg(rng) for _ in range(rng.randint(0, 7))]
        c.call(*argv)
        if i % 200 == 0:
            n = c.call("XLEN", "s1")
            if isinstance(n, Err):
                continue  # s1 became another type: fine, it is re-seeded below
            entries = c.call("XRANGE", "s1", "-", "+")
            eq(len(entries), n, "XLEN == XRANGE count after %r" % (argv,))
            info = c.call("XINFO", "STREAM", "s1", "FULL")
            ok(not isinstance(info, Err), "XINFO STREAM FULL answers: %r" % (info,))
        if i % 1000 == 999:
            c.call("DEL", "s1")
            seed_data(c)
    eq(c.call("PING"), "PONG", "alive at the end")
