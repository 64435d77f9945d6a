"""MULTI / EXEC / DISCARD / WATCH."""

import time

from harness import eq, ok

EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"


def run_tx(c, *cmds):
    """MULTI, queue cmds (asserting +QUEUED), EXEC; returns raw EXEC reply."""
    eq(c.call_raw("MULTI"), b"+OK\r\n")
    for cmd in cmds:
        eq(c.call_raw(*cmd), b"+QUEUED\r\n", " ".join(cmd))
    return c.call_raw("EXEC")


def test_multi_exec_basic(t):
    c = t.conn(decode=False)
    raw = run_tx(c, ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("GET", "missing"), ("PING",))
    eq(raw, b"*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n+PONG\r\n")
    eq(c.call("GET", "a"), b"2")
    eq(run_tx(c), b"*0\r\n", "empty transaction")


def test_multi_exec_resp3(t):
    c = t.conn(decode=False)
    c.call("HELLO", "3")
    raw = run_tx(c, ("SET", "a", "1"), ("GET", "missing"), ("CONFIG", "GET", "port"))
    port = str(t.port).encode()
    eq(raw, b"*3\r\n+OK\r\n_\r\n%1\r\n$4\r\nport\r\n$" + str(len(port)).encode() + b"\r\n" + port + b"\r\n")


def test_commands_are_not_run_before_exec(t):
    c = t.conn()
    other = t.conn()
    c.call("MULTI")
    c.call("SET", "k", "v")
    eq(other.call("GET", "k"), None, "queued command must not run yet")
    eq(c.call("EXEC"), ["OK"])
    eq(other.call("GET", "k"), "v")


def test_discard(t):
    c = t.conn(decode=False)
    eq(c.call_raw("MULTI"), b"+OK\r\n")
    eq(c.call_raw("SET", "a", "1"), b"+QUEUED\r\n")
    eq(c.call_raw("DISCARD"), b"+OK\r\n")
    eq(c.call("EXISTS", "a"), 0)
    eq(c.call_raw("EXEC"), b"-ERR EXEC without MULTI\r\n")
    eq(c.call_raw("SET", "a", "2"), b"+OK\r\n", "back to normal mode after DISCARD")


def test_exec_and_discard_without_multi(t):
    c = t.conn(decode=False)
    eq(c.call_raw("EXEC"), b"-ERR EXEC without MULTI\r\n")
    eq(c.call_raw("DISCARD"), b"-ERR DISCARD without MULTI\r\n")
    eq(c.call_raw("PING"), b"+PONG\r\n")


def test_nested_multi(t):
    c = t.conn(decode=False)
    eq(c.call_raw("MULTI"), b"+OK\r\n")
    eq(c.call_raw("MULTI"), b"-ERR MULTI calls can not be nested\r\n")
    eq(c.call_raw("SET", "a", "1"), b"+QUEUED\r\n")
    eq(c.call_raw("EXEC"), b"*1\r\n+OK\r\n", "the nested MULTI does not abort the transaction")
    eq(c.call("GET", "a"), b"1")


def test_execabort_on_unknown_command(t):
    c = t.conn(decode=False)
    c.call("MULTI")
    eq(c.call_raw("SET", "a", "1"), b"+QUEUED\r\n")
    eq(c.call_raw("NOSUCH", "x"), b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n")
    eq(c.call_raw("SET", "b", "1"), b"+QUEUED\r\n", "later commands are still queued")
    eq(c.call_raw("EXEC"), EXECABORT)
    eq(c.call("EXISTS", "a", "b"), 0, "nothing of an aborted transaction runs")
    eq(c.call_raw("EXEC"), b"-ERR EXEC without MULTI\r\n", "the transaction is over")


def test_execabort_on_wrong_arity(t):
    c = t.conn(decode=False)
    c.call("MULTI")
    c.call("SET", "a", "1")
    eq(c.call_raw("GET"), b"-ERR wrong number of arguments for 'get' command\r\n")
    eq(c.call_raw("EXEC"), EXECABORT)
    eq(c.call("EXISTS", "a"), 0)


def test_exec_with_arguments_aborts(t):
    c = t.conn(decode=False)
    c.call("MULTI")
    c.call("SET", "a", "1")
    eq(c.call_raw("EXEC", "x"),
       b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n")
    eq(c.call("EXISTS", "a"), 0)
    eq(c.call_raw("EXEC"), b"-ERR EXEC without MULTI\r\n")


def test_runtime_errors_inside_exec(t):
    c = t.conn(decode=False)
    raw = run_tx(c, ("SET", "a", "x"), ("INCR", "a"), ("SET", "b", "2"), ("INCRBYFLOAT", "a", "1"),
                 ("GET", "b"))
    eq(raw, b"*5\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
            b"-ERR value is not a valid float\r\n$1\r\n2\r\n")
    eq(c.call("MGET", "a", "b"), [b"x", b"2"], "commands around the failing ones ran")


def test_watch_invalidated_by_other_client(t):
    c = t.conn(decode=False)
    other = t.conn()
    c.call("SET", "k", "1")
    eq(c.call_raw("WATCH", "k"), b"+OK\r\n")
    other.call("SET", "k", "2")
    raw = run_tx(c, ("SET", "k", "3"), ("SET", "side", "x"))
    eq(raw, b"*-1\r\n")
    eq(c.call("GET", "k"), b"2")
    eq(c.call("EXISTS", "side"), 0)


def test_watch_unmodified_key_succeeds(t):
    c = t.conn(decode=False)
    other = t.conn()
    c.call("SET", "k", "1")
    c.call("WATCH", "k", "k2")
    other.call("GET", "k")
    other.call("SET", "unrelated", "x")
    other.call("SET", "k", "1", "NX")  # fails: no modification
    other.call("SELECT", "1")
    other.call("SET", "k", "other db")
    raw = run_tx(c, ("INCR", "k"))
    eq(raw, b"*1\r\n:2\r\n")


def test_watch_modifications_that_abort(t):
    c = t.conn(decode=False)
    other = t.conn()
    mods = [("SET", "k", "x"), ("DEL", "k"), ("EXPIRE", "k", "100"), ("INCR", "n"),
            ("APPEND", "k", "z"), ("RENAME", "k", "k9"), ("FLUSHALL",), ("FLUSHDB",),
            ("SWAPDB", "0", "1")]
    for mod in mods:
        t.call("FLUSHALL")
        c.call("SET", "k", "v")
        c.call("SET", "n", "1")
        c.call("WATCH", "n" if mod[0] == "INCR" else "k")
        r = other.call(*mod)
        ok(not str(r).startswith("ERR"), "%s failed: %r" % (mod, r))
        eq(run_tx(c, ("PING",)), b"*-1\r\n", "EXEC after another client ran %s" % " ".join(mod))
        c.call("SELECT", "0")
        other.call("SELECT", "0")


def test_watch_key_created_by_other_client(t):
    c = t.conn(decode=False)
    other = t.conn()
    c.call("WATCH", "newkey")
    other.call("SET", "newkey", "x")
    eq(run_tx(c, ("PING",)), b"*-1\r\n")


def test_watch_flushall_on_missing_key_does_not_abort(t):
    c = t.conn(decode=False)
    other = t.conn()
    c.call("WATCH", "nokey")
    other.call("FLUSHALL")
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n")


def test_watch_own_modification_aborts(t):
    c = t.conn(decode=False)
    c.call("SET", "k", "v")
    c.call("WATCH", "k")
    c.call("SET", "k", "mine")
    eq(run_tx(c, ("PING",)), b"*-1\r\n")


def test_watch_inside_multi_is_an_error(t):
    c = t.conn(decode=False)
    c.call("MULTI")
    eq(c.call_raw("WATCH", "x"), b"-ERR WATCH inside MULTI is not allowed\r\n")
    eq(c.call_raw("SET", "a", "1"), b"+QUEUED\r\n")
    eq(c.call_raw("EXEC"), b"*1\r\n+OK\r\n", "WATCH inside MULTI does not abort")


def test_unwatch(t):
    c = t.conn(decode=False)
    other = t.conn()
    c.call("SET", "k", "1")
    c.call("WATCH", "k")
    eq(c.call_raw("UNWATCH"), b"+OK\r\n")
    other.call("SET", "k", "2")
    eq(run_tx(c, ("GET", "k")), b"*1\r\n$1\r\n2\r\n")
    eq(c.call_raw("UNWATCH"), b"+OK\r\n", "UNWATCH with nothing watched")


def test_exec_and_discard_clear_watches(t):
    c = t.conn(decode=False)
    other = t.conn()
    c.call("WATCH", "k")
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n")
    other.call("SET", "k", "changed")
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n", "EXEC unwatches all keys")
    c.call("WATCH", "k")
    c.call("MULTI")
    c.call("DISCARD")
    other.call("SET", "k", "again")
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n", "DISCARD unwatches all keys")
    c.call("WATCH", "k")
    other.call("SET", "k", "third")
    eq(run_tx(c, ("PING",)), b"*-1\r\n")
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n", "an aborted EXEC unwatches too")


def test_watch_key_that_expires_while_watched(t):
    c = t.conn(decode=False)
    for active in ("1", "0"):
        c.call("DEBUG", "SET-ACTIVE-EXPIRE", active)
        c.call("SET", "k", "v", "PX", "100")
        c.call("WATCH", "k")
        time.sleep(0.3)
        eq(run_tx(c, ("PING",)), b"*-1\r\n", "key expired while watched (active expire %s)" % active)
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_watch_stale_key_does_not_abort(t):
    """A key that was already logically expired when WATCHed counts as
    missing; its deletion is not a modification."""
    c = t.conn(decode=False)
    other = t.conn()
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    c.call("SET", "k", "v", "PX", "10")
    time.sleep(0.05)
    c.call("WATCH", "k")
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n", "stale key")
    c.call("SET", "k", "v", "PX", "10")
    time.sleep(0.05)
    c.call("WATCH", "k")
    eq(other.call("DEL", "k"), 0)
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n", "stale key deleted by another client")
    c.call("SET", "k", "v", "PX", "10")
    time.sleep(0.05)
    c.call("WATCH", "k")
    other.call("FLUSHDB")
    eq(run_tx(c, ("PING",)), b"*1\r\n+PONG\r\n", "FLUSHDB of a stale watched key")
    c.call("SET", "k", "v", "PX", "10")
    time.sleep(0.05)
    c.call("WATCH", "k")
    other.call("SET", "k", "new")
    eq(run_tx(c, ("PING",)), b"*-1\r\n", "stale key then written by another client")


def test_select_inside_transaction(t):
    c = t.conn(decode=False)
    eq(run_tx(c, ("SELECT", "1"), ("SET", "x", "1")), b"*2\r\n+OK\r\n+OK\r\n")
    eq(c.call("GET", "x"), b"1", "the connection stays on db 1")
    c.call("SELECT", "0")
    eq(c.call("EXISTS", "x"), 0)


def test_client_list_shows_multi_state(t):
    c = t.conn()
    other = t.conn()
    c.call("CLIENT", "SETNAME", "in-multi")
    c.call("MULTI")
    c.call("PING")
    c.call("SET", "a", "b")
    lines = [l for l in other.call("CLIENT", "LIST").splitlines() if "name=in-multi" in l]
    eq(len(lines), 1)
    fields = dict(f.split("=", 1) for f in lines[0].split(" ") if "=" in f)
    ok("x" in fields["flags"], "flags should contain x during MULTI: %r" % fields["flags"])
    eq(fields["multi"], "2")
    c.call("EXEC")
    lines = [l for l in other.call("CLIENT", "LIST").splitlines() if "name=in-multi" in l]
    fields = dict(f.split("=", 1) for f in lines[0].split(" ") if "=" in f)
    eq(fields["multi"], "-1")
    ok("x" not in fields["flags"], "flags after EXEC: %r" % fields["flags"])


def test_pipelined_transaction(t):
    c = t.conn(decode=False)
    c.send(b"MULTI\r\nSET p 1\r\nINCR p\r\nEXEC\r\nGET p\r\n")
    eq(c.read_raw(), b"+OK\r\n")
    eq(c.read_raw(), b"+QUEUED\r\n")
    eq(c.read_raw(), b"+QUEUED\r\n")
    eq(c.read_raw(), b"*2\r\n+OK\r\n:2\r\n")
    eq(c.read_raw(), b"$1\r\n2\r\n")


def test_redis_py_transaction_and_watch(t):
    import redis
    r = t.r
    with r.pipeline(transaction=True) as p:
        p.set("a", "1").incr("a").get("a")
        eq(p.execute(), [True, 2, "2"])
    r.set("w", "0")
    with r.pipeline() as p:
        p.watch("w")
        t.redis().set("w", "changed")
        p.multi()
        p.set("w", "mine")
        try:
            p.execute()
            raise AssertionError("expected WatchError")
        except redis.WatchError:
            pass
    eq(r.get("w"), "changed")
    with r.pipeline(transaction=True) as p:
        p.set("x", "x").incr("x").set("y", "y")
        res = p.execute(raise_on_error=False)
        eq(res[0], True)
        ok(isinstance(res[1], redis.ResponseError), "INCR on a string fails inside EXEC")
        eq(res[2], True)
