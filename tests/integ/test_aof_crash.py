"""Crash safety of the AOF with the real binary: 50 clients write XADD
(plain, IDMP, IDMPAUTO) under appendfsync always, the server is killed
with SIGKILL at a random moment, restarted, and then:

  * every acknowledged entry is present, with its ID and fields;
  * no entry exists that no client sent;
  * no (producer, iid) has two entries, and iids-added equals the number
    of IDMP entries (the IDMP map and counters replayed exactly);
  * each IDMP request that was in flight at the kill, retried after the
    restart, returns the entry it created if it was persisted, or adds
    exactly one entry if it was not (the point of idempotent production).

WEIR_CRASH_ROUNDS sets the number of kill/restart rounds (default 12, so
that make test stays short); `make crash` runs many more.
"""

import os
import random
import threading
import time

from harness import ConnectionClosed, NotApplicable, RawClient, eq, ok, timeout

ROUNDS = int(os.environ.get("WEIR_CRASH_ROUNDS", "12"))
CLIENTS = 50
KEYS = [(0, "cs0"), (0, "cs1"), (0, "cs2"), (1, "cs3")]


class Ledger:
    """What the clients sent and what the server acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}      # (cid, n) -> (db, key, kind)
        self.acked = {}     # (cid, n) -> entry ID
        self.inflight = []  # IDMP requests without a reply at the kill
        self.bad = []       # unexpected replies (checked by the test thread)


def request(cid, n, key, kind):
    fields = ["c", str(cid), "n", str(n)]
    if kind == "idmp":
        return ["XADD", key, "IDMP", "p%d" % cid, "i%d" % n, "*"] + fields
    if kind == "auto":
        return ["XADD", key, "IDMPAUTO", "a%d" % cid, "*"] + fields
    return ["XADD", key, "*"] + fields


def writer(addr, cid, start_n, ledger, stop):
    rnd = random.Random(cid * 7919 + start_n)
    db, key = KEYS[cid % len(KEYS)]
    try:
        c = RawClient(*addr, timeout=10)
        if db:
            c.call("SELECT", db)
    except (OSError, AssertionError):
        return
    n = start_n
    while not stop.is_set():
        kind = rnd.choice(("plain", "idmp", "auto"))
        req = request(cid, n, key, kind)
        with ledger.lock:
            ledger.sent[(cid, n)] = (db, key, kind)
        try:
            c.send_cmd(*req)
            r = c.read()
        except (OSError, AssertionError, ConnectionClosed):
            if kind != "plain":
                with ledger.lock:
                    ledger.inflight.append((db, req, (cid, n)))
            break
        with ledger.lock:
            if isinstance(r, str) and "-" in r and not r.startswith(("ERR", "MISCONF")):
                ledger.acked[(cid, n)] = r
            else:
                ledger.bad.append((req, r))
                break
        n += 1
    c.close()


def read_all(addr):
    out = {}
    c = RawClient(*addr, timeout=30)
    for db, key in KEYS:
        c.call("SELECT", db)
        entries = c.call("XRANGE", key, "-", "+")
        info = c.call("XINFO", "STREAM", key)
        info = dict(zip(info[0::2], info[1::2])) if isinstance(info, list) else {}
        out[(db, key)] = (entries or [], info)
    c.close()
    return out


def verify(addr, ledger, what):
    eq(ledger.bad[:3], [], "%s: unexpected replies" % what)
    state = read_all(addr)
    seen = {}
    for (db, key), (entries, info) in state.items():
        idmp_entries = 0
        for eid, fv in entries:
            f = dict(zip(fv[0::2], fv[1::2]))
            who = (int(f["c"]), int(f["n"]))
            ok(who in ledger.sent, "%s: entry %s %r in %s was never sent" % (what, eid, f, key))
            ok(who not in seen, "%s: request %r has two entries (%s, %s)"
               % (what, who, seen.get(who), eid))
            seen[who] = eid
            if ledger.sent[who][2] != "plain":
                idmp_entries += 1
        if info:
            eq(info["iids-added"], idmp_entries, "%s: iids-added of %s" % (what, key))
    lost = [(who, eid) for who, eid in ledger.acked.items() if seen.get(who) != eid]
    eq(lost[:5], [], "%s: acknowledged entries lost or changed (%d)" % (what, len(lost)))
    return seen


def retry_inflight(addr, ledger, seen, what):
    """Resend the IDMP requests cut by the kill: exactly one entry each."""
    c = RawClient(*addr, timeout=10)
    cur = 0
    for db, req, who in ledger.inflight:
        if db != cur:
            c.call("SELECT", db)
            cur = db
        r = c.call(*req)
        ok(isinstance(r, str) and "-" in r, "%s: retry reply %r" % (what, r))
        if who in seen:
            eq(r, seen[who], "%s: a retried request persisted before the kill must dedupe" % what)
        ledger.acked[who] = r
    c.close()
    ledger.inflight = []


def fresh_epoch(addr, ledger):
    """Start over (keeps the per-round verification cheap in long soaks)."""
    c = RawClient(*addr, timeout=30)
    eq(c.call("FLUSHALL"), "OK", "FLUSHALL")
    c.close()
    ledger.sent.clear()
    ledger.acked.clear()


@timeout(max(240, 6 * ROUNDS))
def test_kill9_under_appendfsync_always(t):
    if not t.is_weir:
        raise NotApplicable("IDMP crash test of Weir's AOF")
    s = t.spawn(args=["--appendonly", "yes", "--appendfsync", "always"])
    ledger = Ledger()
    rnd = random.Random(int(os.environ.get("WEIR_CRASH_SEED", str(int(time.time())))))
    next_n = {cid: 0 for cid in range(CLIENTS)}
    total_acked = 0
    for rnd_no in range(ROUNDS):
        if rnd_no and rnd_no % 8 == 0:
            fresh_epoch(s.addr, ledger)
        acked_before = len(ledger.acked)
        stop = threading.Event()
        threads = [threading.Thread(target=writer,
                                    args=(s.addr, cid, next_n[cid], ledger, stop))
                   for cid in range(CLIENTS)]
        for th in threads:
            th.start()
        time.sleep(rnd.uniform(0.15, 0.6))
        s.kill()  # SIGKILL at a random moment
        stop.set()
        for th in threads:
            th.join(10)
        for cid in range(CLIENTS):
            next_n[cid] = 1 + max([n for (c, n) in ledger.sent if c == cid] + [next_n[cid] - 1])
        s.start()
        what = "round %d" % (rnd_no + 1)
        seen = verify(s.addr, ledger, what)
        retry_inflight(s.addr, ledger, seen, what)
        verify(s.addr, ledger, what + " after retries")
        total_acked += len(ledger.acked) - acked_before
    ok(total_acked > ROUNDS * 100, "too few writes acknowledged to mean anything: %d" % total_acked)


@timeout(max(120, 6 * ROUNDS))
def test_kill9_during_rewrite(t):
    if not t.is_weir:
        raise NotApplicable("IDMP crash test of Weir's AOF")
    s = t.spawn(args=["--appendonly", "yes", "--appendfsync", "always"])
    ledger = Ledger()
    for rnd_no in range(max(2, ROUNDS // 2)):
        stop = threading.Event()
        threads = [threading.Thread(target=writer,
                                    args=(s.addr, cid, rnd_no * 100000, ledger, stop))
                   for cid in range(10)]
        for th in threads:
            th.start()
        time.sleep(0.2)
        c = RawClient(*s.addr)
        c.call("BGREWRITEAOF")
        c.close()
        time.sleep(random.uniform(0.0, 0.2))
        s.kill()
        stop.set()
        for th in threads:
            th.join(10)
        s.start()
        seen = verify(s.addr, ledger, "rewrite round %d" % rnd_no)
        retry_inflight(s.addr, ledger, seen, "rewrite round %d" % rnd_no)
