#!/usr/bin/python3
"""
check_handlers.py - every command has a handler and every handler a command.

Usage: check_handlers.py COMMANDS_DIR SRC_DIR

COMMANDS_DIR holds one JSON file per command or subcommand (see
tools/gencmd.py).  Each one that is not a container (a command that has
subcommands), plus each container marked "container_handler": true, needs
a handler definition in SRC_DIR/*.c of the form

    void cmd_<name>(struct cmd_ctx *ctx)

where <name> is the full name with '|' and '-' replaced by '_' (XADD ->
cmd_xadd, CONFIG GET -> cmd_config_get, CLIENT NO-EVICT ->
cmd_client_no_evict).  Conversely every non-static function of that shape
must match a JSON file, except the dispatch API declared in
SRC_DIR/cmd.h (cmd_call, cmd_error_syntax, ...).

Exits 0 when both sides agree, 1 listing the differences, 2 on bad input.
"""

import glob
import json
import os
import re
import sys

DEF_RE = re.compile(
    r"^void\s+(cmd_[A-Za-z0-9_]+)\s*\(\s*struct\s+cmd_ctx\s*\*\s*\w*\s*\)\s*(\{|$)",
    re.M)
DECL_RE = re.compile(r"\b(cmd_[A-Za-z0-9_]+)\s*\(")


def handler_name(words):
    return "cmd_" + "_".join(words).replace("-", "_")


def json_handlers(cmd_dir):
    titles = {}
    for path in sorted(glob.glob(os.path.join(cmd_dir, "*.json"))):
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise SystemExit("check_handlers: %s: %s" % (path, e))
        title = doc.get("title") if isinstance(doc, dict) else None
        if not isinstance(title, str) or not title.split():
            raise SystemExit("check_handlers: %s: missing title" % path)
        words = tuple(title.lower().split())
        titles[words] = (path, bool(doc.get("container_handler")))
    containers = {w[0] for w in titles if len(w) == 2}
    wanted = {}
    for words, (path, container_handler) in titles.items():
        if len(words) == 1 and words[0] in containers and \
                not container_handler:
            continue
        wanted[handler_name(words)] = path
    return wanted


def defined_handlers(src_dir):
    found = {}
    for path in sorted(glob.glob(os.path.join(src_dir, "*.c"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in DEF_RE.finditer(text):
            found.setdefault(m.group(1), []).append(path)
    return found


def api_names(src_dir):
    path = os.path.join(src_dir, "cmd.h")
    try:
        with open(path, encoding="utf-8") as f:
            return set(DECL_RE.findall(f.read()))
    except OSError:
        return set()


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: check_handlers.py COMMANDS_DIR SRC_DIR\n")
        return 2
    cmd_dir, src_dir = argv[1], argv[2]
    if not os.path.isdir(cmd_dir) or not os.path.isdir(src_dir):
        sys.stderr.write("check_handlers: not a directory\n")
        return 2
    wanted = json_handlers(cmd_dir)
    found = defined_handlers(src_dir)
    api = api_names(src_dir)

    missing = sorted(set(wanted) - set(found))
    extra = sorted(n for n in set(found) - set(wanted) if n not in api)
    twice = sorted(n for n, files in found.items() if len(files) > 1)

    for n in missing:
        print("no handler for %s: void %s(struct cmd_ctx *ctx) is not "
              "defined in %s/*.c" % (wanted[n], n, src_dir))
    for n in extra:
        print("handler without JSON: %s (in %s)"
              % (n, ", ".join(found[n])))
    for n in twice:
        print("handler defined more than once: %s (in %s)"
              % (n, ", ".join(found[n])))
    if missing or extra or twice:
        print("check_handlers: %d missing, %d without JSON, %d duplicated"
              % (len(missing), len(extra), len(twice)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
