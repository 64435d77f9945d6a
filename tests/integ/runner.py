#!/usr/bin/python3
"""Integration test runner for Weir.

Discovers tests/integ/test_*.py, runs every test_* function in each file
against a server started for that file (or an --external one), up to -j
files in parallel, and prints pass / fail / not applicable per test with the
assertion message, then a summary line.  Exit status 0 only when nothing
failed.

  runner.py [--bin PATH | --external HOST:PORT] [-k PATTERN]... [-j N]
            [--list] [--keep] [FILE...]

The server binary defaults to $WEIR_BIN, then build/weir-server.
"""

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import harness  # noqa: E402

DEFAULT_TEST_TIMEOUT = 60
FILE_TIMEOUT = int(os.environ.get("WEIR_FILE_TIMEOUT", "300"))
# The whole run stops after this many seconds (make test must stay well
# under 10 minutes even against a server that hangs).
BUDGET = int(os.environ.get("WEIR_INTEG_BUDGET", "480"))


class TestTimeout(AssertionError):
    pass


class Interrupted(BaseException):
    pass


def discover(files):
    if files:
        out = []
        for f in files:
            p = f if os.path.isabs(f) else os.path.join(os.getcwd(), f)
            if not os.path.exists(p):
                p = os.path.join(HERE, os.path.basename(f))
            out.append(os.path.abspath(p))
        return out
    return sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                  if f.startswith("test_") and f.endswith(".py"))


def load_module(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tests_in(mod):
    return [(n, f) for n, f in vars(mod).items()
            if n.startswith("test_") and callable(f) and getattr(f, "__module__", None) == mod.__name__]


def selected(fname, tname, patterns):
    if not patterns:
        return True
    full = "%s::%s" % (fname, tname)
    return any(p in full for p in patterns)


def format_exc(e, path):
    """Assertion message plus the innermost line of the test file."""
    msg = str(e) or e.__class__.__name__
    if not isinstance(e, AssertionError):
        msg = "%s: %s" % (e.__class__.__name__, msg)
    where = ""
    for fs in reversed(traceback.extract_tb(e.__traceback__)):
        if fs.filename == path:
            where = "at %s:%d: %s" % (os.path.basename(path), fs.lineno, (fs.line or "").strip())
            break
    if not isinstance(e, AssertionError):
        tb = traceback.format_exception(type(e), e, e.__traceback__)
        msg += "\n" + "".join(tb[-4:]).rstrip()
    return msg + ("\n" + where if where else "")


# --------------------------------------------------------------------------
# child: run one file
# --------------------------------------------------------------------------

def run_file(path, opts, out):
    fname = os.path.basename(path)

    def emit(test, status, msg="", secs=0.0):
        out.write(json.dumps({"file": fname, "test": test, "status": status,
                              "msg": msg, "secs": round(secs, 3)}) + "\n")
        out.flush()

    try:
        mod = load_module(path)
    except Exception as e:  # noqa: BLE001
        emit("[import]", "fail", format_exc(e, path))
        return
    tests = [(n, f) for n, f in tests_in(mod) if selected(fname, n, opts.k)]
    if not tests:
        return

    session = harness.Session(binary=opts.bin, external=opts.external)
    try:
        session.start()
    except Exception as e:  # noqa: BLE001
        msg = "could not start the server for this file: %s" % format_exc(e, path)
        for n, _ in tests:
            emit(n, "fail", msg)
        if session.server is not None and hasattr(session.server, "kill"):
            session.server.kill()
        return

    def on_alarm(signum, frame):
        raise TestTimeout("test timed out")

    signal.signal(signal.SIGALRM, on_alarm)
    try:
        bad_setups = 0
        for i, (name, fn) in enumerate(tests):
            ok = run_one(session, path, name, fn, emit)
            bad_setups = 0 if ok else bad_setups + 1
            if bad_setups >= 2:
                for rest, _ in tests[i + 1:]:
                    emit(rest, "fail", "not run: the server failed the set-up of two tests in a row "
                                       "(see the failures above)")
                break
    finally:
        signal.alarm(0)
        problems = session.stop()
        for p in problems:
            emit("[server shutdown]", "fail", p)


def run_one(session, path, name, fn, emit):
    t0 = time.monotonic()
    mv = getattr(fn, "min_version", None)
    if mv and not session.is_weir and session.version and session.version[:2] < mv:
        why = getattr(fn, "min_version_why", "")
        emit(name, "na", "not applicable (server is %d.%d; needs Redis >= %d.%d%s)"
             % (session.version[0], session.version[1], mv[0], mv[1],
                ": " + why if why else ""))
        return True
    try:
        session.restart_if_dead()
        session.reset_between_tests()
    except Exception as e:  # noqa: BLE001
        emit(name, "fail", "setup failed: %s" % format_exc(e, path), time.monotonic() - t0)
        return False
    ctx = harness.Ctx(session, fn)
    session.current = ctx
    status, msg = "pass", ""
    signal.alarm(getattr(fn, "timeout", DEFAULT_TEST_TIMEOUT))
    try:
        fn(ctx)
    except harness.NotApplicable as e:
        status, msg = "na", "not applicable (%s)" % e
    except Exception as e:  # noqa: BLE001 - any exception is a test failure
        status, msg = "fail", format_exc(e, path)
    finally:
        signal.alarm(0)
    session.current = None
    errs = ctx._finish()
    try:
        session.server.check_health()
    except harness.ServerFailure as e:
        errs.append(str(e))
    if errs:
        if status != "fail":
            status, msg = "fail", ""
        msg = "\n".join([m for m in [msg] + errs if m])
    if status == "fail" and getattr(fn, "needs_streams", False) and session.has_xadd is False:
        msg = "[needs streams: the server has no XADD yet, so this failure is expected for now]\n" + msg
    emit(name, status, msg, time.monotonic() - t0)
    return True


def child_main(opts):
    def on_term(signum, frame):
        raise Interrupted()
    signal.signal(signal.SIGTERM, on_term)
    with open(opts.results, "a") as out:
        try:
            run_file(opts.child, opts, out)
        except Interrupted:
            out.write(json.dumps({"file": os.path.basename(opts.child), "test": "[file]",
                                  "status": "fail", "msg": "interrupted (file timeout)",
                                  "secs": 0}) + "\n")
    return 0


# --------------------------------------------------------------------------
# parent
# --------------------------------------------------------------------------

STATUS_LABEL = {"pass": "PASS", "fail": "FAIL", "na": "N/A "}


def run_child(path, opts, lock, report, deadline):
    fname = os.path.basename(path)
    budget = int(deadline - time.monotonic())
    if budget < 5:
        with lock:
            print("== %s: not run, the %ds time budget is used up" % (fname, BUDGET))
            report.append({"file": fname, "test": "[file]", "status": "fail",
                           "msg": "not run: the %ds time budget of the whole run is used up" % BUDGET,
                           "secs": 0})
        return
    file_timeout = min(FILE_TIMEOUT, budget)
    fd, results = tempfile.mkstemp(prefix="weir-integ-res-")
    os.close(fd)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", path, "--results", results]
    if opts.external:
        cmd += ["--external", "%s:%d" % opts.external]
    else:
        cmd += ["--bin", opts.bin]
    for p in opts.k:
        cmd += ["-k", p]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=REPO, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    timed_out = False
    try:
        output, _ = proc.communicate(timeout=file_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    secs = time.monotonic() - t0
    rows = []
    with open(results) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    os.unlink(results)
    if timed_out:
        rows.append({"file": fname, "test": "[file]", "status": "fail",
                     "msg": "file exceeded %ds and was stopped" % file_timeout, "secs": secs})
    elif proc.returncode != 0:
        rows.append({"file": fname, "test": "[runner]", "status": "fail",
                     "msg": "test process exited %d:\n%s" % (proc.returncode,
                                                            output.decode(errors="replace")[-3000:]),
                     "secs": secs})
    if not rows:
        return
    with lock:
        print("== %s (%d tests, %.1fs)" % (fname, len(rows), secs))
        for r in rows:
            line = "  %s %s" % (STATUS_LABEL[r["status"]], r["test"])
            if r["status"] == "na":
                line += "  -- " + r["msg"]
            elif r.get("secs", 0) >= 2:
                line += "  (%.1fs)" % r["secs"]
            print(line)
            if r["status"] == "fail":
                for l in r["msg"].splitlines():
                    print("        " + l)
        sys.stdout.flush()
        report.extend(rows)


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*")
    ap.add_argument("--bin", default=os.environ.get("WEIR_BIN") or os.path.join(REPO, "build", "weir-server"))
    ap.add_argument("--external", type=parse_hostport, default=None,
                    help="test an already running server at HOST:PORT (its data is flushed!)")
    ap.add_argument("-k", action="append", default=[], help="run tests whose file::name contains this (repeatable)")
    ap.add_argument("-j", type=int, default=int(os.environ.get("WEIR_INTEG_JOBS", "2")))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep server temp dirs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--results", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)

    if opts.child:
        return child_main(opts)

    files = discover(opts.files)
    if opts.list:
        n = 0
        for f in files:
            for name, _ in tests_in(load_module(f)):
                if selected(os.path.basename(f), name, opts.k):
                    print("%s::%s" % (os.path.basename(f), name))
                    n += 1
        print("%d tests" % n)
        return 0

    if harness.redis is None:
        print("python3-redis is missing: run ./tools/deps.sh test", file=sys.stderr)
        return 2
    if opts.external:
        target = "external server %s:%d" % opts.external
        opts.j = 1  # files share the one server: never run them concurrently
    else:
        opts.bin = os.path.abspath(opts.bin)
        if not (os.path.isfile(opts.bin) and os.access(opts.bin, os.X_OK)):
            print("server binary not found or not executable: %s" % opts.bin, file=sys.stderr)
            print("summary: 0 passed, 1 failed")
            return 2
        target = opts.bin
    print("integration tests against %s, %d file(s), %d at a time" % (target, len(files), opts.j))
    sys.stdout.flush()

    lock = threading.Lock()
    report = []
    t0 = time.monotonic()
    pending = list(files)
    threads = []
    sem = threading.Semaphore(max(1, opts.j))

    deadline = time.monotonic() + BUDGET

    def worker(path):
        try:
            run_child(path, opts, lock, report, deadline)
        finally:
            sem.release()

    for path in pending:
        sem.acquire()
        th = threading.Thread(target=worker, args=(path,))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()

    passed = [r for r in report if r["status"] == "pass"]
    failed = [r for r in report if r["status"] == "fail"]
    na = [r for r in report if r["status"] == "na"]
    print()
    if na:
        print("Not applicable (%d):" % len(na))
        for r in na:
            print("  %s::%s -- %s" % (r["file"], r["test"], r["msg"]))
    if failed:
        print("Failed (%d):" % len(failed))
        for r in failed:
            first = r["msg"].splitlines()[0] if r["msg"] else ""
            print("  %s::%s -- %s" % (r["file"], r["test"], first[:160]))
    print("%.1fs" % (time.monotonic() - t0))
    if not report:
        print("no test matched")
        print("summary: 0 passed, 0 failed")
        return 1
    line = "summary: %d passed, %d failed" % (len(passed), len(failed))
    if na:
        line += ", %d skipped" % len(na)
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
