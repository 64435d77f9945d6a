"""Server and connection management commands: PING ECHO TIME INFO CONFIG
CLIENT DBSIZE LASTSAVE DEBUG MEMORY FUNCTION COMMAND SHUTDOWN."""

import os
import re
import time

from harness import (Err, Map, eq, fail, is_err, needs_version, ok, parse_info, parse_kv_list,
                     timeout, wait_for)

INFO_FIELDS = {
    "server": ["redis_version", "redis_mode", "os", "arch_bits", "process_id", "run_id",
               "tcp_port", "uptime_in_seconds", "uptime_in_days", "hz", "executable", "config_file"],
    "clients": ["connected_clients", "blocked_clients", "maxclients"],
    "memory": ["used_memory", "used_memory_human", "used_memory_peak", "used_memory_rss",
               "maxmemory", "maxmemory_policy"],
    "persistence": ["loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
                    "rdb_last_save_time", "aof_enabled"],
    "stats": ["total_connections_received", "total_commands_processed",
              "instantaneous_ops_per_sec", "total_net_input_bytes", "total_net_output_bytes",
              "rejected_connections", "expired_keys", "evicted_keys", "keyspace_hits",
              "keyspace_misses", "total_error_replies"],
    "replication": ["role", "connected_slaves", "master_replid", "master_repl_offset"],
    "cpu": ["used_cpu_sys", "used_cpu_user"],
}


def client_fields(line):
    return dict(f.split("=", 1) for f in line.strip().split(" ") if "=" in f)


def client_line(c, name):
    lines = [l for l in c.call("CLIENT", "LIST").splitlines() if ("name=%s " % name) in l + " "]
    eq(len(lines), 1, "CLIENT LIST lines named %s" % name)
    return client_fields(lines[0])


def test_ping_echo(t):
    c = t.conn(decode=False)
    eq(c.call_raw("PING"), b"+PONG\r\n")
    eq(c.call_raw("PING", "x y"), b"$3\r\nx y\r\n")
    eq(c.call_raw("ECHO", "hello"), b"$5\r\nhello\r\n")
    is_err(c.call("ECHO", "a", "b"), "ERR wrong number of arguments for 'echo' command")
    c.call("HELLO", "3")
    eq(c.call_raw("PING"), b"+PONG\r\n")
    eq(c.call_raw("ECHO", "hello"), b"$5\r\nhello\r\n")


def test_time(t):
    c = t.conn()
    r = c.call("TIME")
    ok(isinstance(r, list) and len(r) == 2, "TIME returns two elements: %r" % (r,))
    ok(all(isinstance(x, str) and x.isdigit() for x in r), "TIME elements are bulk digit strings: %r" % (r,))
    secs, usecs = int(r[0]), int(r[1])
    ok(abs(secs - time.time()) < 5, "TIME %d far from local clock %d" % (secs, time.time()))
    ok(0 <= usecs < 1000000, "microseconds out of range: %d" % usecs)
    r2 = c.call("TIME")
    ok((int(r2[0]), int(r2[1])) >= (secs, usecs), "TIME went backwards")


def test_info_default_sections_and_fields(t):
    c = t.conn(decode=False)
    raw = c.call("INFO")
    ok(b"\r\n" in raw, "INFO lines are CRLF separated")
    info = parse_info(raw.decode())
    for sec, fields in INFO_FIELDS.items():
        ok(sec in info, "INFO lacks section %s (has %s)" % (sec, [s for s in info if s]))
        for f in fields:
            ok(f in info[sec], "INFO %s lacks %s" % (sec, f))
    ok("keyspace" in info, "INFO lacks the Keyspace section")
    srv = info["server"]
    eq(srv["redis_mode"], "standalone")
    eq(srv["tcp_port"], str(t.port))
    ok(re.fullmatch(r"[0-9a-f]{40}", srv["run_id"]), "run_id is 40 hex chars: %r" % srv["run_id"])
    ok(re.fullmatch(r"\d+\.\d+\.\d+", srv["redis_version"]), "redis_version %r" % srv["redis_version"])
    eq(info["replication"]["role"], "master")
    eq(info["persistence"]["loading"], "0")
    pid = t.server_pid()
    if pid is not None:
        eq(srv["process_id"], str(pid), "process_id")
        eq(os.path.realpath(srv["executable"]), os.path.realpath(t.binary), "executable")
    for sec in ("commandstats", "latencystats"):
        ok(sec not in info, "default INFO must not include %s" % sec)


def test_info_section_selection(t):
    c = t.conn()
    only = parse_info(c.call("INFO", "server"))
    eq([s for s in only if s], ["server"])
    two = parse_info(c.call("INFO", "server", "clients"))
    eq(sorted(s for s in two if s), ["clients", "server"])
    two = parse_info(c.call("INFO", "CLIENTS", "Memory"))
    eq(sorted(s for s in two if s), ["clients", "memory"], "section names are case insensitive")
    eq(c.call("INFO", "nosuchsection"), "")
    everything = parse_info(c.call("INFO", "everything"))
    for sec in ("server", "clients", "memory", "stats", "commandstats", "errorstats", "keyspace"):
        ok(sec in everything, "INFO everything lacks %s" % sec)
    everything = parse_info(c.call("INFO", "all"))
    ok("commandstats" in everything and "server" in everything, "INFO all")
    t.r.set("k", "v")
    ks = parse_info(c.call("INFO", "keyspace"))
    eq([s for s in ks if s], ["keyspace"])
    d = parse_kv_list(ks["keyspace"]["db0"])
    eq((d["keys"], d["expires"]), ("1", "0"))


@needs_version(7, 4, "INFO keyspace subexpiry field")
def test_info_keyspace_subexpiry(t):
    t.r.set("k", "v")
    d = parse_kv_list(t.info("keyspace")[None]["db0"])
    eq(d.get("subexpiry"), "0")


def test_info_stats_counters(t):
    c = t.conn()
    eq(c.call("CONFIG", "RESETSTAT"), "OK")
    st = t.info("stats")[None]
    eq((st["keyspace_hits"], st["keyspace_misses"]), ("0", "0"), "after RESETSTAT")
    c.call("SET", "k", "v")
    c.call("GET", "k")
    c.call("GET", "k")
    c.call("GET", "missing")
    st = t.info("stats")[None]
    eq(st["keyspace_hits"], "2")
    eq(st["keyspace_misses"], "1")
    before = int(st["total_commands_processed"])
    for _ in range(10):
        c.call("PING")
    after = int(t.info("stats")[None]["total_commands_processed"])
    ok(after - before >= 10, "total_commands_processed grew by %d" % (after - before))
    conns = int(t.info("stats")[None]["total_connections_received"])
    t.conn().call("PING")
    eq(int(t.info("stats")[None]["total_connections_received"]), conns + 2,
       "two new connections (the extra one and the INFO one)")


def test_info_commandstats_and_errorstats(t):
    c = t.conn()
    c.call("CONFIG", "RESETSTAT")
    for _ in range(3):
        c.call("SET", "a", "1")
    c.call("GET", "a")
    is_err(c.call("INCR", "x", "y"))
    is_err(c.call("NOSUCHCMD"))
    c.call("SET", "s", "abc")
    is_err(c.call("INCR", "s"))
    info = t.info("commandstats", "errorstats")
    cs = info["commandstats"]
    d = parse_kv_list(cs["cmdstat_set"])
    eq(d["calls"], "4")
    for f in ("usec", "usec_per_call", "rejected_calls", "failed_calls"):
        ok(f in d, "cmdstat_set lacks %s: %r" % (f, cs["cmdstat_set"]))
    eq(parse_kv_list(cs["cmdstat_get"])["calls"], "1")
    d = parse_kv_list(cs["cmdstat_incr"])
    eq((d["calls"], d["rejected_calls"], d["failed_calls"]), ("1", "1", "1"),
       "INCR: one call failed at run time, one rejected for arity")
    ok("cmdstat_config|resetstat" in cs, "subcommands are listed as cmdstat_config|resetstat")
    es = info["errorstats"]
    eq(parse_kv_list(es["errorstat_ERR"])["count"], "3")
    eq(int(t.info("stats")[None]["total_error_replies"]), 3)
    c.call("CONFIG", "RESETSTAT")
    info = t.info("errorstats")
    eq(info.get("errorstats", {}), {}, "RESETSTAT clears errorstats")


def test_config_get(t):
    c = t.conn()
    eq(c.call("CONFIG", "GET", "port"), ["port", str(t.port)])
    r = c.call("CONFIG", "GET", "stream-node-max-*")
    eq(sorted(r[::2]), ["stream-node-max-bytes", "stream-node-max-entries"], "CONFIG GET stream-node-max-*")
    r = c.call("CONFIG", "GET", "maxmemory*")
    d = dict(zip(r[::2], r[1::2]))
    ok("maxmemory" in d, "CONFIG GET maxmemory* gave %s" % sorted(d))
    ok(all(k.startswith("maxmemory") for k in d), "glob matched unrelated names: %s" % sorted(d))
    r = c.call("CONFIG", "GET", "?ort")
    eq(r, ["port", str(t.port)], "? matches one character")
    r = c.call("CONFIG", "GET", "port", "databases", "nonexistent")
    eq(dict(zip(r[::2], r[1::2])), {"port": str(t.port), "databases": "16"})
    r = c.call("CONFIG", "GET", "*port", "port")
    names = r[::2]
    eq(names.count("port"), 1, "a parameter matched twice is returned once: %r" % names)
    eq(c.call("CONFIG", "GET", "nonexistent*"), [])
    r = c.call("CONFIG", "GET", "*")
    d = dict(zip(r[::2], r[1::2]))
    for p in ("port", "bind", "dir", "timeout", "databases", "maxmemory", "appendonly", "save",
              "hz", "loglevel", "maxclients", "requirepass", "proto-max-bulk-len"):
        ok(p in d, "CONFIG GET * lacks %s" % p)
    eq(d["dir"], os.path.realpath(d["dir"]), "dir is absolute")
    is_err(c.call("CONFIG", "GET"), "ERR wrong number of arguments for 'config|get' command")
    is_err(c.call("CONFIG", "FOO"), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.")


def test_config_set_and_errors(t):
    c = t.conn()

    def get(p):
        r = c.call("CONFIG", "GET", p)
        return r[1] if r else None

    old_mm, old_to = get("maxmemory"), get("timeout")
    t.defer(lambda: t.call("CONFIG", "SET", "maxmemory", old_mm, "timeout", old_to))
    eq(c.call("CONFIG", "SET", "maxmemory", "10mb"), "OK")
    eq(get("maxmemory"), "10485760")
    eq(c.call("CONFIG", "SET", "maxmemory", "1gb"), "OK")
    eq(get("maxmemory"), "1073741824")
    eq(c.call("CONFIG", "SET", "maxmemory", "2k"), "OK")
    eq(get("maxmemory"), "2000", "k is 1000, kb is 1024")
    eq(c.call("CONFIG", "SET", "maxmemory", "2kb"), "OK")
    eq(get("maxmemory"), "2048")
    eq(c.call("CONFIG", "SET", "maxmemory", "0", "timeout", "30"), "OK")
    eq((get("maxmemory"), get("timeout")), ("0", "30"), "several parameters at once")
    eq(c.call("CONFIG", "SET", "MaxMemory", "5mb"), "OK")
    eq(get("maxmemory"), "5242880", "names are case insensitive")
    e = "ERR CONFIG SET failed (possibly related to argument '%s') - "
    is_err(c.call("CONFIG", "SET", "foo", "bar"),
           "ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
    is_err(c.call("CONFIG", "SET", "maxmemory", "1mb", "foo", "x"),
           "ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
    is_err(c.call("CONFIG", "SET", "maxmemory", "abc"), e % "maxmemory" + "argument must be a memory value")
    is_err(c.call("CONFIG", "SET", "maxmemory", "10mb", "maxmemory", "1mb"), e % "maxmemory" + "duplicate parameter")
    is_err(c.call("CONFIG", "SET", "daemonize", "yes"), e % "daemonize" + "can't set immutable config")
    is_err(c.call("CONFIG", "SET", "databases", "4"), e % "databases" + "can't set immutable config")
    is_err(c.call("CONFIG", "SET", "hz", "abc"), e % "hz" + "argument couldn't be parsed into an integer")
    is_err(c.call("CONFIG", "SET", "timeout", "-1"), e % "timeout" + "argument must be between 0 and 2147483647 inclusive")
    is_err(c.call("CONFIG", "SET", "protected-mode", "maybe"), e % "protected-mode" + "argument must be 'yes' or 'no'")
    is_err(c.call("CONFIG", "SET", "appendfsync", "sometimes"),
           e % "appendfsync" + "argument(s) must be one of the following: everysec, always, no")
    is_err(c.call("CONFIG", "SET", "loglevel", "loud"),
           prefix=e % "loglevel" + "argument(s) must be one of the following: debug, verbose, notice, warning")
    is_err(c.call("CONFIG", "SET", "save", "1 1 x"), e % "save" + "Invalid save parameters")
    is_err(c.call("CONFIG", "SET", "port"), "ERR wrong number of arguments for 'config|set' command")
    is_err(c.call("CONFIG", "SET", "timeout", "10", "maxmemory"), prefix="ERR")
    # a failing multi-parameter SET changes nothing
    is_err(c.call("CONFIG", "SET", "timeout", "99", "hz", "abc"))
    eq(get("timeout"), "30")
    eq(get("maxmemory"), "5242880")


def test_config_set_hz_is_clamped(t):
    c = t.conn()
    t.defer(lambda: t.call("CONFIG", "SET", "hz", "10"))
    eq(c.call("CONFIG", "SET", "hz", "0"), "OK")
    eq(c.call("CONFIG", "GET", "hz"), ["hz", "1"])
    eq(c.call("CONFIG", "SET", "hz", "600"), "OK")
    eq(c.call("CONFIG", "GET", "hz"), ["hz", "500"])


def test_config_resetstat(t):
    c = t.conn()
    c.call("SET", "k", "v")
    c.call("GET", "k")
    c.call("GET", "nokey")
    is_err(c.call("NOSUCHCMD"))
    eq(c.call("CONFIG", "RESETSTAT"), "OK")
    info = t.info("everything")
    st = info["stats"]
    for f in ("keyspace_hits", "keyspace_misses", "expired_keys", "evicted_keys", "total_error_replies",
              "rejected_connections"):
        eq(st[f], "0", f)
    ok("cmdstat_get" not in info.get("commandstats", {}), "commandstats cleared")
    eq(c.call("GET", "k"), "v", "RESETSTAT does not touch data")


def test_config_rewrite_without_file(t):
    s = t.spawn()
    c = t.conn(server=s)
    is_err(c.call("CONFIG", "REWRITE"), "ERR The server is running without a config file")


def test_config_rewrite_with_file(t):
    conf = ("# Weir integration test config\n"
            "# a comment that must survive the rewrite\n"
            "maxmemory 1mb\n"
            "timeout 0\n"
            "hz 10\n")
    s = t.spawn(config_text=conf)
    c = t.conn(server=s)
    eq(c.call("CONFIG", "GET", "maxmemory"), ["maxmemory", "1048576"])
    eq(c.call("CONFIG", "SET", "maxmemory", "2mb", "timeout", "77"), "OK")
    eq(c.call("CONFIG", "REWRITE"), "OK")
    text = open(s.config_path).read()
    ok("# a comment that must survive the rewrite" in text, "comments are kept:\n" + text)
    lines = [l.strip() for l in text.splitlines()]
    ok("timeout 77" in lines, "rewritten file lacks 'timeout 77':\n" + text)
    ok(any(re.fullmatch(r"maxmemory (2mb|2097152)", l) for l in lines),
       "rewritten file lacks maxmemory 2mb:\n" + text)
    ok("maxmemory 1mb" not in lines, "old value still present:\n" + text)
    info = t.info("server", server=s)[None]
    eq(os.path.realpath(info["config_file"]), os.path.realpath(s.config_path))
    c.close()
    s.stop()
    # a new server started from the rewritten file has the new values
    s2 = t.spawn(config_file=s.config_path)
    c2 = t.conn(server=s2)
    eq(c2.call("CONFIG", "GET", "maxmemory"), ["maxmemory", "2097152"])
    eq(c2.call("CONFIG", "GET", "timeout"), ["timeout", "77"])


def test_client_id_setname_getname(t):
    c = t.conn()
    other = t.conn()
    a, b = c.call("CLIENT", "ID"), other.call("CLIENT", "ID")
    ok(isinstance(a, int) and isinstance(b, int) and a != b, "CLIENT ID: %r %r" % (a, b))
    eq(c.call("CLIENT", "ID"), a, "stable per connection")
    ok(t.conn().call("CLIENT", "ID") > b, "ids increase")
    eq(c.call_raw("CLIENT", "GETNAME"), b"$-1\r\n")
    eq(c.call("CLIENT", "SETNAME", "conn-a"), "OK")
    eq(c.call("CLIENT", "GETNAME"), "conn-a")
    for bad in ("a b", "a\nb", "x\x01"):
        is_err(c.call("CLIENT", "SETNAME", bad),
               "ERR Client names cannot contain spaces, newlines or special characters.")
    eq(c.call("CLIENT", "GETNAME"), "conn-a")
    eq(c.call("CLIENT", "SETNAME", ""), "OK")
    eq(c.call("CLIENT", "GETNAME"), None, "empty name clears it")
    is_err(c.call("CLIENT", "FOO"), "ERR unknown subcommand 'FOO'. Try CLIENT HELP.")


CLIENT_LIST_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub",
                      "psub", "multi", "qbuf", "qbuf-free", "obl", "oll", "omem", "tot-mem",
                      "events", "cmd", "user", "resp"]


def test_client_list_and_info(t):
    c = t.conn()
    c.call("CLIENT", "SETNAME", "lister")
    c.call("SELECT", "3")
    text = c.call("CLIENT", "LIST")
    ok(text.endswith("\n"), "CLIENT LIST lines end with a newline")
    f = client_line(c, "lister")
    for k in CLIENT_LIST_FIELDS:
        ok(k in f, "CLIENT LIST lacks field %s: %r" % (k, f))
    eq(f["id"], str(c.call("CLIENT", "ID")))
    local = c.sock.getsockname()
    eq(f["addr"], "%s:%d" % local, "addr is the client's address")
    eq(f["laddr"], "%s:%d" % (t.host, t.port))
    eq(f["db"], "3")
    eq(f["cmd"], "client|list")
    eq(f["user"], "default")
    eq(f["resp"], "2")
    eq(f["multi"], "-1")
    info = c.call("CLIENT", "INFO")
    ok(info.endswith("\n") and info.count("\n") == 1, "CLIENT INFO is one line: %r" % info)
    fi = client_fields(info)
    eq(fi["id"], f["id"])
    eq(fi["name"], "lister")
    eq(fi["cmd"], "client|info")
    c.call("HELLO", "3")
    eq(client_fields(c.call("CLIENT", "INFO"))["resp"], "3")
    # filters
    other = t.conn()
    oid = other.call("CLIENT", "ID")
    lines = c.call("CLIENT", "LIST", "ID", str(oid), "999999999").splitlines()
    eq(len(lines), 1)
    eq(client_fields(lines[0])["id"], str(oid))
    ok(len(c.call("CLIENT", "LIST", "TYPE", "normal").splitlines()) >= 2, "TYPE normal")
    is_err(c.call("CLIENT", "LIST", "TYPE", "foo"), "ERR Unknown client type 'foo'")
    is_err(c.call("CLIENT", "LIST", "ID", "abc"), "ERR Invalid client ID")


@needs_version(7, 2, "CLIENT SETINFO and lib-name/lib-ver fields")
def test_client_setinfo(t):
    c = t.conn()
    eq(c.call("CLIENT", "SETINFO", "LIB-NAME", "weirtest"), "OK")
    eq(c.call("CLIENT", "SETINFO", "LIB-VER", "1.2.3"), "OK")
    f = client_fields(c.call("CLIENT", "INFO"))
    eq((f.get("lib-name"), f.get("lib-ver")), ("weirtest", "1.2.3"))
    is_err(c.call("CLIENT", "SETINFO", "LIB-NAME", "bad name"), prefix="ERR")
    is_err(c.call("CLIENT", "SETINFO", "FOO", "x"), prefix="ERR")
    eq(client_fields(c.call("CLIENT", "INFO"))["lib-name"], "weirtest")


def test_client_kill(t):
    c = t.conn()
    victim = t.conn()
    vid = victim.call("CLIENT", "ID")
    vaddr = "%s:%d" % victim.sock.getsockname()
    eq(c.call("CLIENT", "KILL", "ID", str(vid)), 1)
    victim.expect_closed()
    victim2 = t.conn()
    eq(victim2.call("PING"), "PONG")
    v2addr = "%s:%d" % victim2.sock.getsockname()
    eq(c.call("CLIENT", "KILL", v2addr), "OK", "old form CLIENT KILL addr:port")
    victim2.expect_closed()
    victim3 = t.conn()
    victim3.call("PING")
    eq(c.call("CLIENT", "KILL", "ADDR", "%s:%d" % victim3.sock.getsockname()), 1)
    victim3.expect_closed()
    eq(c.call("CLIENT", "KILL", "ID", "99999999"), 0)
    eq(c.call("CLIENT", "KILL", "ADDR", vaddr), 0, "already gone")
    is_err(c.call("CLIENT", "KILL", "1.2.3.4:5"), "ERR No such client")
    is_err(c.call("CLIENT", "KILL", "ID", "abc"), "ERR client-id should be greater than 0")
    is_err(c.call("CLIENT", "KILL", "ID", "0"), "ERR client-id should be greater than 0")
    is_err(c.call("CLIENT", "KILL", "FOO", "x"), "ERR syntax error")
    # SKIPME defaults to yes with the new form
    eq(c.call("CLIENT", "KILL", "ID", str(c.call("CLIENT", "ID"))), 0)
    eq(c.call("PING"), "PONG")
    eq(c.call("CLIENT", "KILL", "ID", str(c.call("CLIENT", "ID")), "SKIPME", "no"), 1)
    c.expect_closed()


def test_client_no_evict(t):
    c = t.conn()
    eq(c.call("CLIENT", "NO-EVICT", "on"), "OK")
    ok("e" in client_fields(c.call("CLIENT", "INFO"))["flags"], "flag e with NO-EVICT on")
    eq(c.call("CLIENT", "NO-EVICT", "off"), "OK")
    ok("e" not in client_fields(c.call("CLIENT", "INFO"))["flags"], "no flag e with NO-EVICT off")
    is_err(c.call("CLIENT", "NO-EVICT", "maybe"), "ERR syntax error")


@needs_version(7, 2, "CLIENT NO-TOUCH")
@timeout(30)
def test_client_no_touch(t):
    c = t.conn()
    c.call("SET", "a", "1")
    c.call("SET", "b", "1")
    eq(c.call("CLIENT", "NO-TOUCH", "on"), "OK")
    ok("T" in client_fields(c.call("CLIENT", "INFO"))["flags"], "flag T with NO-TOUCH on")
    wait_for(lambda: c.call("OBJECT", "IDLETIME", "a") >= 2, timeout=10, what="idle time of a >= 2")
    c.call("GET", "a")
    ok(c.call("OBJECT", "IDLETIME", "a") >= 2, "GET with NO-TOUCH must not reset the idle time")
    c.call("TOUCH", "a")
    eq(c.call("OBJECT", "IDLETIME", "a"), 0, "TOUCH always updates the access time")
    eq(c.call("CLIENT", "NO-TOUCH", "off"), "OK")
    ok(c.call("OBJECT", "IDLETIME", "b") >= 2, "b idle")
    c.call("GET", "b")
    eq(c.call("OBJECT", "IDLETIME", "b"), 0, "GET without NO-TOUCH resets the idle time")
    is_err(c.call("CLIENT", "NO-TOUCH", "maybe"), "ERR syntax error")


def test_client_reply(t):
    c = t.conn(decode=False)
    c.send(b"CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nCLIENT REPLY ON\r\nGET a\r\n")
    eq(c.read_raw(), b"+OK\r\n", "only CLIENT REPLY ON answers")
    eq(c.read_raw(), b"$1\r\n1\r\n")
    c.send(b"CLIENT REPLY SKIP\r\nSET a 2\r\nGET a\r\n")
    eq(c.read_raw(), b"$1\r\n2\r\n", "SKIP drops the reply of the next command only")
    c.send(b"CLIENT REPLY OFF\r\nNOSUCHCMD\r\nCLIENT REPLY ON\r\n")
    eq(c.read_raw(), b"+OK\r\n", "errors are silenced too")
    is_err(c.call("CLIENT", "REPLY", "maybe"), "ERR syntax error")


def test_dbsize_lastsave_debug_sleep(t):
    c = t.conn()
    eq(c.call("DBSIZE"), 0)
    c.call("MSET", "a", "1", "b", "2")
    eq(c.call("DBSIZE"), 2)
    ls = c.call("LASTSAVE")
    ok(isinstance(ls, int) and 1000000000 < ls <= time.time() + 1, "LASTSAVE %r" % (ls,))
    t0 = time.monotonic()
    eq(c.call("DEBUG", "SLEEP", "0"), "OK")
    ok(time.monotonic() - t0 < 2, "DEBUG SLEEP 0 should return at once")
    eq(c.call("DEBUG", "SLEEP", "0.1"), "OK")


def test_memory_usage(t):
    c = t.conn()
    c.call("SET", "small", "v")
    c.call("SET", "large", "x" * 10000)
    small = c.call("MEMORY", "USAGE", "small")
    large = c.call("MEMORY", "USAGE", "large")
    ok(isinstance(small, int) and small > 0, "MEMORY USAGE small: %r" % (small,))
    ok(isinstance(large, int) and large >= 10000, "MEMORY USAGE large: %r" % (large,))
    ok(large > small, "larger value uses more memory")
    eq(c.call("MEMORY", "USAGE", "small", "SAMPLES", "0"), small)
    eq(c.call_raw("MEMORY", "USAGE", "missing"), b"$-1\r\n")


def test_function_list_flush_stats(t):
    c = t.conn(decode=False)
    eq(c.call("FUNCTION", "FLUSH"), "OK")
    eq(c.call_raw("FUNCTION", "LIST"), b"*0\r\n")
    eq(c.call("FUNCTION", "FLUSH", "ASYNC"), "OK")
    eq(c.call("FUNCTION", "FLUSH", "SYNC"), "OK")
    is_err(c.call("FUNCTION", "FLUSH", "FOO"), "ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    st = c.call("FUNCTION", "STATS")
    eq(st[0], b"running_script")
    eq(st[1], None)
    eq(st[2], b"engines")
    engines = dict(zip(st[3][::2], st[3][1::2]))
    for name, counts in engines.items():
        eq(dict(zip(counts[::2], counts[1::2])), {b"libraries_count": 0, b"functions_count": 0},
           "engine %r counts" % name)
    c.call("HELLO", "3")
    st = c.call("FUNCTION", "STATS")
    ok(isinstance(st, Map), "FUNCTION STATS is a map in RESP3")
    eq(list(st.keys()), [b"running_script", b"engines"])


def _cmd_info(c, name):
    r = c.call("COMMAND", "INFO", name)
    ok(isinstance(r, list) and len(r) == 1 and isinstance(r[0], list), "COMMAND INFO %s: %r" % (name, r))
    return r[0]


def test_command_info_get_exact(t):
    c = t.conn(decode=False)
    raw = c.call_raw("COMMAND", "INFO", "get")
    expected = (b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
                b"*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n"
                b"*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
                b"$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
                b"$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
                b"*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n")
    eq(raw, expected, "COMMAND INFO get")


def test_command_info_fields(t):
    c = t.conn()
    cases = {
        "set": (-3, ["write", "denyoom"], 1, 1, 1, ["@write", "@string", "@slow"]),
        "incr": (2, ["write", "denyoom", "fast"], 1, 1, 1, ["@write", "@string", "@fast"]),
        "del": (-2, ["write"], 1, -1, 1, ["@keyspace", "@write", "@slow"]),
        "mset": (-3, ["write", "denyoom"], 1, -1, 2, ["@write", "@string", "@slow"]),
        "mget": (-2, ["readonly", "fast"], 1, -1, 1, ["@read", "@string", "@fast"]),
        "ping": (-1, ["fast"], 0, 0, 0, ["@fast", "@connection"]),
        "multi": (1, ["noscript", "loading", "stale", "fast", "allow_busy"], 0, 0, 0, ["@fast", "@transaction"]),
    }
    for name, (arity, flags, first, last, step, cats) in cases.items():
        info = _cmd_info(c, name)
        eq(len(info), 10, "%s: COMMAND INFO has 10 fields" % name)
        eq(info[0], name)
        eq(info[1], arity, "%s arity" % name)
        eq(sorted(info[2]), sorted(flags), "%s flags" % name)
        eq(info[3:6], [first, last, step], "%s first/last/step" % name)
        eq(sorted(info[6]), sorted(cats), "%s ACL categories" % name)
        ok(isinstance(info[7], list) and isinstance(info[8], list) and isinstance(info[9], list),
           "%s tips/key specs/subcommands are arrays" % name)
    cfg = _cmd_info(c, "config")
    subs = {s[0]: s for s in cfg[9]}
    for s in ("config|get", "config|set", "config|rewrite", "config|resetstat"):
        ok(s in subs, "COMMAND INFO config lacks subcommand %s" % s)
    eq(subs["config|get"][1], -3)
    eq(c.call("COMMAND", "INFO", "config|get")[0][0], "config|get")
    r = c.call("COMMAND", "INFO", "get", "nosuchcommand")
    eq(len(r), 2)
    eq(r[1], None)
    eq(c.call("COMMAND", "INFO", "GET")[0][0], "get", "lookup is case insensitive")


def test_command_count_list_and_full(t):
    c = t.conn()
    n = c.call("COMMAND", "COUNT")
    ok(isinstance(n, int) and n > 30, "COMMAND COUNT %r" % (n,))
    all_names = c.call("COMMAND", "LIST")
    eq(len(set(all_names)), len(all_names), "COMMAND LIST has duplicates")
    names = [x for x in all_names if "|" not in x]
    eq(len(names), n, "top-level names in COMMAND LIST vs COMMAND COUNT")
    for sub in ("config|get", "client|list", "command|info"):
        ok(sub in all_names, "COMMAND LIST includes subcommands such as %s" % sub)
    for cmd in ("get", "set", "del", "multi", "exec", "config", "client", "command", "hello", "ping"):
        ok(cmd in names, "COMMAND LIST lacks %s" % cmd)
    full = c.call("COMMAND")
    eq(len(full), n, "COMMAND entries vs COMMAND COUNT")
    eq(sorted(e[0] for e in full), sorted(names))
    eq(c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "getd*"), ["getdel"])
    fast = c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "fast")
    ok("get" in fast and "set" not in fast, "ACLCAT fast filter")
    is_err(c.call("COMMAND", "FOO"), "ERR unknown subcommand 'FOO'. Try COMMAND HELP.")


def test_command_docs(t):
    c = t.conn()
    r = c.call("COMMAND", "DOCS", "get")
    ok(isinstance(r, list) and len(r) == 2 and r[0] == "get", "COMMAND DOCS get: %r" % (r,))
    d = dict(zip(r[1][::2], r[1][1::2]))
    for k in ("summary", "since", "group", "complexity", "arguments"):
        ok(k in d, "COMMAND DOCS get lacks %s" % k)
    eq(d["since"], "1.0.0")
    eq(d["group"], "string")
    eq(d["complexity"], "O(1)")
    eq(len(d["arguments"]), 1)
    arg = dict(zip(d["arguments"][0][::2], d["arguments"][0][1::2]))
    eq((arg["name"], arg["type"], arg["key_spec_index"]), ("key", "key", 0))
    c3 = t.conn()
    c3.call("HELLO", "3")
    m = c3.call("COMMAND", "DOCS", "set", "nosuchcommand")
    ok(isinstance(m, Map) and list(m.keys()) == ["set"], "RESP3 COMMAND DOCS is a map: %r" % (m,))
    ok(isinstance(m["set"], Map) and m["set"]["group"] == "string", "docs for set")
    argnames = [a["name"] for a in m["set"]["arguments"]]
    ok(argnames[:2] == ["key", "value"], "SET arguments start with key, value: %r" % argnames)


def test_command_getkeys(t):
    c = t.conn()
    eq(c.call("COMMAND", "GETKEYS", "set", "a", "b"), ["a"])
    eq(c.call("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"), ["a", "b"])
    eq(c.call("COMMAND", "GETKEYS", "del", "x", "y", "z"), ["x", "y", "z"])
    eq(c.call("COMMAND", "GETKEYS", "GET", "k"), ["k"])
    is_err(c.call("COMMAND", "GETKEYS", "nosuch", "a"), "ERR Invalid command specified")
    is_err(c.call("COMMAND", "GETKEYS", "ping", "x"), "ERR The command has no key arguments")
    is_err(c.call("COMMAND", "GETKEYS", "set", "a"), "ERR Invalid number of arguments specified for command")
    r = c.call("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b")
    eq(r, [["a", ["OW", "update"]]])


def test_shutdown_nosave_exits_zero(t):
    s = t.spawn()
    c = t.conn(server=s)
    c.call("SET", "k", "v")
    c.send_cmd("SHUTDOWN", "NOSAVE")
    try:
        r = c.read()
        fail("SHUTDOWN NOSAVE replied %r instead of closing" % (r,))
    except AssertionError as e:
        ok("closed" in str(e), "expected the connection to close: %s" % e)
    rc = s.wait_exit(20)
    eq(rc, 0, "exit status after SHUTDOWN NOSAVE")
    ok(not os.path.exists(os.path.join(s.dir, "dump.rdb")), "NOSAVE must not write dump.rdb")


def test_shutdown_errors(t):
    c = t.conn()
    is_err(c.call("SHUTDOWN", "NOSAVE", "SAVE"), prefix="ERR")
    is_err(c.call("SHUTDOWN", "FOO"), "ERR syntax error")
    eq(c.call("PING"), "PONG", "server still up")


def test_unknown_subcommand_errors(t):
    c = t.conn()
    is_err(c.call("OBJECT", "FOO"), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    is_err(c.call("FUNCTION", "FOO"), "ERR unknown subcommand 'FOO'. Try FUNCTION HELP.")
    is_err(c.call("MEMORY", "FOO"), "ERR unknown subcommand 'FOO'. Try MEMORY HELP.")
    for cmd in ("CONFIG", "CLIENT", "COMMAND", "OBJECT", "FUNCTION", "MEMORY"):
        r = c.call(cmd, "HELP")
        ok(isinstance(r, list) and r and not isinstance(r, Err), "%s HELP: %r" % (cmd, r))
