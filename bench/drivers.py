"""Socket-level drivers for the workloads redis-benchmark cannot express.

Used by bench.py; standard library only.  Every driver talks RESP2 over
plain sockets and keeps its own parsing to the minimum the measurement
needs, so that the Python client costs as little as possible.

  fill(port, args, count)            pipelined bulk load of one command
  GroupCycle(port, cycles, ...)      XREADGROUP COUNT 10 + XACK consumer loops
  fanout_latency(port, ...)          one XADD to many blocked XREADGROUPs
"""

import re
import selectors
import socket
import time

KEY = "bench:stream"
# The stream entries the drivers write are all `f v`, so every entry in a
# reply ends with this exact byte string and nothing else contains it.
ENTRY_TAIL = b"$1\r\nv\r\n"
ENTRY_ID = re.compile(rb"\*2\r\n\$\d+\r\n(\d+-\d+)\r\n")


def encode(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


def connect(port, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def check_error(buf):
    """Raise on a RESP error line or a nil array anywhere in `buf`."""
    if buf.startswith(b"-") or b"\r\n-" in buf:
        at = buf.index(b"-") if buf.startswith(b"-") else buf.index(b"\r\n-") + 2
        raise RuntimeError(buf[at:buf.find(b"\r\n", at)].decode(errors="replace"))
    if buf.startswith(b"*-1\r\n") or b"\r\n*-1\r\n" in buf:
        raise RuntimeError("nil reply (stream exhausted?)")


def fill(port, args, count, chunk=2000):
    """Run the command `args` `count` times, pipelined in chunks; the
    command's reply must be a bulk string (two CRLFs), as XADD's is."""
    cmd = encode(*args)
    s = connect(port)
    try:
        left = count
        while left:
            k = min(chunk, left)
            s.sendall(cmd * k)
            want, seen, tail = 2 * k, 0, b""
            while seen < want:
                data = s.recv(1 << 16)
                if not data:
                    raise ConnectionError("connection closed during fill")
                check_error(tail + data)
                seen += (tail + data).count(b"\r\n") - tail.count(b"\r\n")
                tail = data[-1:]
            left -= k
    finally:
        s.close()


class GroupCycle:
    """`clients` connections, consumer c<i> of group g each, loop
    XREADGROUP GROUP g c<i> COUNT 10 STREAMS key > then XACK key g <the 10
    IDs>.  With pipeline P a connection sends P XREADGROUPs at once, then
    the P XACKs at once: one cycle is one XREADGROUP plus its XACK.

    prepare() fills the stream with enough entries (not measured); run()
    returns (cycles, seconds)."""

    def __init__(self, port, cycles, pipeline, clients):
        self.port = port
        self.pipeline = pipeline
        self.clients = clients
        self.rounds = max(1, cycles // (clients * pipeline))
        self.cycles = self.rounds * clients * pipeline
        self.socks = []

    def prepare(self):
        fill(self.port, ["XADD", KEY, "*", "f", "v"], self.cycles * 10 + 10 * self.pipeline * self.clients)
        s = connect(self.port)
        try:
            s.sendall(encode("XGROUP", "CREATE", KEY, "g", "0"))
            reply = s.recv(256)
            if reply != b"+OK\r\n":
                raise RuntimeError("XGROUP CREATE: %r" % reply)
        finally:
            s.close()
        self.socks = [connect(self.port) for _ in range(self.clients)]

    def run(self):
        p = self.pipeline
        sel = selectors.DefaultSelector()
        acks_ok = b":10\r\n" * p
        state = {}
        t0 = time.perf_counter()
        for i, s in enumerate(self.socks):
            read = encode("XREADGROUP", "GROUP", "g", "c%d" % i, "COUNT", "10", "STREAMS", KEY, ">") * p
            # [read command, phase ("read" or "ack"), buffer, rounds left]
            state[s] = [read, "read", b"", self.rounds]
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            s.sendall(read)
        open_conns = len(self.socks)
        deadline = time.monotonic() + 600
        while open_conns:
            events = sel.select(timeout=30)
            if not events or time.monotonic() > deadline:
                raise RuntimeError("group cycle driver stalled")
            for key, _ in events:
                s = key.fileobj
                st = state[s]
                data = s.recv(1 << 16)
                if not data:
                    raise ConnectionError("connection closed by the server")
                buf = st[2] + data
                if st[1] == "read":
                    if buf.count(ENTRY_TAIL) < 10 * p:
                        check_error(buf)
                        st[2] = buf
                        continue
                    ids = ENTRY_ID.findall(buf)
                    if len(ids) != 10 * p:
                        raise RuntimeError("expected %d IDs, parsed %d" % (10 * p, len(ids)))
                    s.sendall(b"".join(encode("XACK", KEY, "g", *ids[j * 10:j * 10 + 10]) for j in range(p)))
                    st[1], st[2] = "ack", b""
                else:
                    if len(buf) < len(acks_ok):
                        check_error(buf)
                        st[2] = buf
                        continue
                    if buf != acks_ok:
                        raise RuntimeError("unexpected XACK replies: %r" % buf[:200])
                    st[3] -= 1
                    if st[3]:
                        s.sendall(st[0])
                        st[1], st[2] = "read", b""
                    else:
                        sel.unregister(s)
                        open_conns -= 1
        seconds = time.perf_counter() - t0
        sel.close()
        return self.cycles, seconds

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []


def read_until(s, done, what, errors=True):
    """Blocking read from `s` until done(buffer); returns the buffer."""
    buf = b""
    while not done(buf):
        data = s.recv(1 << 16)
        if not data:
            raise ConnectionError("connection closed while waiting for %s" % what)
        buf += data
        if errors:
            check_error(buf)
    return buf


def bulk_done(buf):
    """True once `buf` holds one whole bulk-string reply."""
    h = buf.find(b"\r\n")
    return h > 0 and (buf[:1] != b"$" or len(buf) >= h + 2 + int(buf[1:h]) + 2)


def blocked_clients(ctl):
    ctl.sendall(encode("INFO", "clients"))
    info = read_until(ctl, bulk_done, "INFO", errors=False)
    if not info.startswith(b"$"):
        raise RuntimeError("INFO clients: %r" % info[:200])
    m = re.search(rb"blocked_clients:(\d+)", info)
    if not m:
        raise RuntimeError("no blocked_clients in INFO clients")
    return int(m.group(1))


def fanout_latency(port, consumers=50, rounds=30, warmup=3):
    """`consumers` connections each block in XREADGROUP GROUP g<i> c BLOCK 0
    STREAMS key > (one group each, so every one of them receives the
    entry); another connection sends one XADD.  Returns, per round, the
    seconds from sending the XADD to the last consumer holding its whole
    reply."""
    ctl = connect(port)
    socks = []
    try:
        for i in range(consumers):
            ctl.sendall(encode("XGROUP", "CREATE", KEY, "g%d" % i, "$", "MKSTREAM"))
            read_until(ctl, lambda b: b.endswith(b"\r\n"), "XGROUP CREATE")
        socks = [connect(port) for _ in range(consumers)]
        producer = connect(port)
        socks.append(producer)
        reads = [encode("XREADGROUP", "GROUP", "g%d" % i, "c", "BLOCK", "0", "STREAMS", KEY, ">")
                 for i in range(consumers)]
        xadd = encode("XADD", KEY, "*", "f", "v")
        out = []
        for r in range(warmup + rounds):
            for s, cmd in zip(socks, reads):
                s.sendall(cmd)
            deadline = time.monotonic() + 10
            while blocked_clients(ctl) < consumers:
                if time.monotonic() > deadline:
                    raise RuntimeError("consumers did not block within 10s")
                time.sleep(0.0005)
            t0 = time.perf_counter()
            producer.sendall(xadd)
            for s in socks[:consumers]:
                read_until(s, lambda b: b.endswith(ENTRY_TAIL), "the XREADGROUP reply")
            t1 = time.perf_counter()
            read_until(producer, lambda b: b.count(b"\r\n") >= 2, "the XADD reply")
            if r >= warmup:
                out.append(t1 - t0)
        return out
    finally:
        for s in socks:
            s.close()
        ctl.close()
