#!/usr/bin/python3
"""
gencmd.py - build the command table from commands/*.json.

Usage: gencmd.py --out build/<variant>/gen/cmd_table.h commands/*.json
       gencmd.py --check commands/*.json      (validate only)

Every JSON file describes one command or one subcommand, in the shape of
the redis.io "json metadata" block:

  title           "SET", or "CONFIG GET" for a subcommand (the file name
                  must be the lowercase title with ' ' -> '-': config-get)
  summary         (or "description") one-line summary
  since, group, complexity
  arity           Redis arity (N exact, -N at least N)
  command_flags   lowercase words as COMMAND INFO shows them
  acl_categories  "@write", "@string", ... (the effective set, as the docs
                  list it; the implicit categories are checked)
  key_specs       [{notes?, flags: ["RW", "UPDATE"],
                    begin_search: {index: {pos}} | {keyword: {keyword,
                                  startfrom}} | {unknown: null},
                    find_keys: {range: {lastkey, step, limit}} |
                               {keynum: {keynumidx, firstkey, step}} |
                               {unknown: null}}]
  arguments       [{name, type, display_text?, key_spec_index?, token?,
                    summary?, since?, deprecated_since?, optional?,
                    multiple?, multiple_token?, arguments? (oneof/block)}]
  optional        command_tips, doc_flags, history [[version, text]],
                  deprecated_since, replaced_by, container_handler (true
                  for a container that also runs on its own, as COMMAND)

The output is a C header.  Its first part (always visible) declares every
handler, cmd_<fullname with '|' and '-' as '_'>, plus a few helpers that
src/cmd_table.c implements.  The data part is compiled only where
WEIR_CMD_TABLE_IMPL is defined (src/cmd_table.c): static const cmd_def
records, argument trees, key specs, name arrays, the sorted list of
top-level commands, every definition by id (cmd_def.id, dense, each
container followed by its subcommands) and an open-addressing hash over
the top-level names.

The output is deterministic and the file is rewritten only when its
content changes.
"""

import json
import os
import re
import sys

# Command flags, in the order of the CMD_* bits in src/cmd.h.
FLAG_BITS = [
    ("write", "CMD_WRITE"),
    ("readonly", "CMD_READONLY"),
    ("denyoom", "CMD_DENYOOM"),
    ("module", "CMD_MODULE"),
    ("admin", "CMD_ADMIN"),
    ("pubsub", "CMD_PUBSUB"),
    ("noscript", "CMD_NOSCRIPT"),
    ("blocking", "CMD_BLOCKING"),
    ("loading", "CMD_LOADING"),
    ("stale", "CMD_STALE"),
    ("skip_monitor", "CMD_SKIP_MONITOR"),
    ("skip_slowlog", "CMD_SKIP_SLOWLOG"),
    ("asking", "CMD_ASKING"),
    ("fast", "CMD_FAST"),
    ("no_auth", "CMD_NO_AUTH"),
    ("may_replicate", "CMD_MAY_REPLICATE"),
    ("sentinel", "CMD_SENTINEL"),
    ("only_sentinel", "CMD_ONLY_SENTINEL"),
    ("no_mandatory_keys", "CMD_NO_MANDATORY_KEYS"),
    ("protected", "CMD_PROTECTED"),
    ("no_async_loading", "CMD_NO_ASYNC_LOADING"),
    ("no_multi", "CMD_NO_MULTI"),
    ("movablekeys", "CMD_MOVABLE_KEYS"),
    ("allow_busy", "CMD_ALLOW_BUSY"),
    ("touches_arbitrary_keys", "CMD_TOUCHES_ARBITRARY_KEYS"),
]
FLAG_NAMES = [f for f, _ in FLAG_BITS]

# ACL categories; the index is the bit in cmd_def.acl_bits and the order
# is the one COMMAND INFO lists them in.
ACL_CATEGORIES = [
    "keyspace", "read", "write", "set", "sortedset", "list", "hash",
    "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin",
    "fast", "slow", "blocking", "dangerous", "connection", "transaction",
    "scripting",
]

# Key spec flags, canonical order (COMMAND INFO order).
KS_FLAGS = ["RO", "RW", "OW", "RM", "ACCESS", "UPDATE", "INSERT", "DELETE",
            "NOT_KEY", "INCOMPLETE", "VARIABLE_FLAGS"]
KS_OPERATION = {"RO", "RW", "OW", "RM"}

ARG_TYPES = {
    "string": "ARG_STRING", "integer": "ARG_INTEGER", "double": "ARG_DOUBLE",
    "key": "ARG_KEY", "pattern": "ARG_PATTERN", "unix-time": "ARG_UNIX_TIME",
    "pure-token": "ARG_PURE_TOKEN", "oneof": "ARG_ONEOF", "block": "ARG_BLOCK",
}

GROUPS = {"generic", "string", "list", "set", "sorted-set", "hash", "pubsub",
          "transactions", "connection", "server", "scripting", "hyperloglog",
          "cluster", "sentinel", "geo", "stream", "bitmap", "module"}

DOC_FLAGS = ["deprecated", "syscmd"]

TIP_RE = re.compile(r"^(nondeterministic_output|nondeterministic_output_order"
                    r"|request_policy:[a-z_]+|response_policy:[a-z_]+)$")

KNOWN_KEYS = {
    "title", "summary", "description", "since", "group", "complexity",
    "arity", "command_flags", "acl_categories", "key_specs", "arguments",
    "command_tips", "doc_flags", "history", "deprecated_since",
    "replaced_by", "container_handler",
    # Present in the redis.io metadata block; ignored here.
    "categories", "syntax_fmt", "syntax_str", "tableOfContents",
    "codeExamples", "linkTitle", "hidden", "railroad_diagram",
    "hints",  # the redis.io name of command_tips; used when those are absent
}

ARG_KEYS = {"name", "type", "display_text", "key_spec_index", "token",
            "summary", "since", "deprecated_since", "optional", "multiple",
            "multiple_token", "arguments"}


class GenError(Exception):
    pass


def fail(path, msg):
    raise GenError("%s: %s" % (path, msg))


def c_str(s):
    """A C string literal (NULL for None)."""
    if s is None:
        return "NULL"
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "?":
            out.append("\\?")  # no trigraphs
        elif 32 <= o < 127:
            out.append(ch)
        else:
            for b in ch.encode("utf-8"):
                out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def ident(fullname):
    return fullname.replace("|", "__").replace("-", "_")


def handler_name(fullname):
    return "cmd_" + fullname.replace("|", "_").replace("-", "_")


# ---------------------------------------------------------------- loading

def load_keyspec(path, i, ks):
    where = "key_specs[%d]" % i
    if not isinstance(ks, dict):
        fail(path, where + " must be an object")
    for k in ks:
        if k not in ("notes", "flags", "begin_search", "find_keys"):
            fail(path, "%s: unknown field %r" % (where, k))
    flags = ks.get("flags", [])
    if not isinstance(flags, list):
        fail(path, where + ".flags must be a list")
    for f in flags:
        if f not in KS_FLAGS:
            fail(path, "%s: unknown key spec flag %r" % (where, f))
    ops = [f for f in flags if f in KS_OPERATION]
    if len(ops) > 1:
        fail(path, "%s: more than one of RO/RW/OW/RM" % where)
    if len(set(flags)) != len(flags):
        fail(path, "%s: repeated flag" % where)
    out = {
        "notes": ks.get("notes"),
        "flags": [f for f in KS_FLAGS if f in flags],
    }
    bs = ks.get("begin_search")
    if not isinstance(bs, dict) or len(bs) != 1:
        fail(path, where + ".begin_search must have exactly one of "
             "index/keyword/unknown")
    (bkind, bspec), = bs.items()
    if bkind == "index":
        pos = (bspec or {}).get("pos")
        if not isinstance(pos, int) or isinstance(pos, bool) or pos < 0:
            fail(path, where + ".begin_search.index.pos must be an integer >= 0")
        out["begin"] = ("KS_BEGIN_INDEX", pos, None, 0)
    elif bkind == "keyword":
        kw = (bspec or {}).get("keyword")
        sf = (bspec or {}).get("startfrom")
        if not isinstance(kw, str) or not kw:
            fail(path, where + ".begin_search.keyword.keyword must be a string")
        if not isinstance(sf, int) or isinstance(sf, bool) or sf == 0:
            fail(path, where + ".begin_search.keyword.startfrom must be a "
                 "non-zero integer")
        out["begin"] = ("KS_BEGIN_KEYWORD", 0, kw, sf)
    elif bkind == "unknown":
        out["begin"] = ("KS_BEGIN_UNKNOWN", 0, None, 0)
    else:
        fail(path, "%s.begin_search: unknown type %r" % (where, bkind))
    fk = ks.get("find_keys")
    if not isinstance(fk, dict) or len(fk) != 1:
        fail(path, where + ".find_keys must have exactly one of "
             "range/keynum/unknown")
    (fkind, fspec), = fk.items()
    fspec = fspec or {}

    def geti(name, minimum=None):
        v = fspec.get(name)
        if not isinstance(v, int) or isinstance(v, bool):
            fail(path, "%s.find_keys.%s.%s must be an integer"
                 % (where, fkind, name))
        if minimum is not None and v < minimum:
            fail(path, "%s.find_keys.%s.%s must be >= %d"
                 % (where, fkind, name, minimum))
        return v

    if fkind == "range":
        out["find"] = ("KS_FIND_RANGE", geti("lastkey"), geti("step", 1),
                       geti("limit", 0))
    elif fkind == "keynum":
        out["find"] = ("KS_FIND_KEYNUM", geti("keynumidx", 0),
                       geti("firstkey", 0), geti("step", 1))
    elif fkind == "unknown":
        out["find"] = ("KS_FIND_UNKNOWN",)
    else:
        fail(path, "%s.find_keys: unknown type %r" % (where, fkind))
    return out


def load_args(path, args, nkeyspecs, where, used_specs):
    if not isinstance(args, list):
        fail(path, where + " must be a list")
    out = []
    names = set()
    for i, a in enumerate(args):
        w = "%s[%d]" % (where, i)
        if not isinstance(a, dict):
            fail(path, w + " must be an object")
        for k in a:
            if k not in ARG_KEYS:
                fail(path, "%s: unknown field %r" % (w, k))
        name = a.get("name")
        if not isinstance(name, str) or not name:
            fail(path, w + ": missing name")
        if name in names:
            fail(path, "%s: duplicate argument name %r" % (w, name))
        names.add(name)
        w = "%s (%s)" % (w, name)
        typ = a.get("type")
        if typ not in ARG_TYPES:
            fail(path, "%s: unknown type %r" % (w, typ))
        for k in ("display_text", "token", "summary", "since",
                  "deprecated_since"):
            if k in a and not isinstance(a[k], str):
                fail(path, "%s: %s must be a string" % (w, k))
        for k in ("optional", "multiple", "multiple_token"):
            if k in a and not isinstance(a[k], bool):
                fail(path, "%s: %s must be true/false" % (w, k))
        ksi = a.get("key_spec_index", -1)
        if typ == "key":
            if "key_spec_index" not in a:
                fail(path, w + ": a key argument needs key_spec_index")
            if not isinstance(ksi, int) or isinstance(ksi, bool) or \
                    not 0 <= ksi < nkeyspecs:
                fail(path, "%s: key_spec_index %r does not name one of the "
                     "%d key specs" % (w, ksi, nkeyspecs))
            used_specs.add(ksi)
        elif "key_spec_index" in a:
            fail(path, w + ": key_spec_index on a non-key argument")
        if typ == "pure-token" and "token" not in a:
            fail(path, w + ": a pure-token argument needs a token")
        sub = []
        if typ in ("oneof", "block"):
            if not a.get("arguments"):
                fail(path, w + ": oneof/block needs arguments")
            if "display_text" in a:
                fail(path, w + ": oneof/block has no display_text")
            sub = load_args(path, a["arguments"], nkeyspecs,
                            w + ".arguments", used_specs)
        elif "arguments" in a:
            fail(path, w + ": only oneof/block have arguments")
        flags = []
        if a.get("optional"):
            flags.append("ARG_F_OPTIONAL")
        if a.get("multiple"):
            flags.append("ARG_F_MULTIPLE")
        if a.get("multiple_token"):
            flags.append("ARG_F_MULTIPLE_TOKEN")
        display = a.get("display_text")
        if display is None and typ not in ("oneof", "block"):
            display = name
        out.append({
            "name": name, "type": ARG_TYPES[typ], "ksi": ksi,
            "token": a.get("token"), "display": display,
            "summary": a.get("summary"), "since": a.get("since"),
            "deprecated_since": a.get("deprecated_since"),
            "flags": flags, "sub": sub,
        })
    return out


def implicit_categories(flags):
    """The categories Redis adds from the command flags."""
    cats = set()
    if "write" in flags:
        cats.add("write")
    if "readonly" in flags:
        cats.add("read")
    if "admin" in flags:
        cats.update(("admin", "dangerous"))
    if "pubsub" in flags:
        cats.add("pubsub")
    if "fast" in flags:
        cats.add("fast")
    if "blocking" in flags:
        cats.add("blocking")
    if "fast" not in flags:
        cats.add("slow")
    return cats


def load_command(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(path, "cannot read JSON: %s" % e)
    if not isinstance(doc, dict):
        fail(path, "top level must be an object")
    for k in doc:
        if k not in KNOWN_KEYS:
            fail(path, "unknown field %r" % k)
    title = doc.get("title")
    if not isinstance(title, str) or not title.strip():
        fail(path, "missing title")
    words = title.strip().lower().split()
    if len(words) not in (1, 2):
        fail(path, "title must be one or two words: %r" % title)
    fullname = "|".join(words)
    expect_file = "-".join(words) + ".json"
    if os.path.basename(path) != expect_file:
        fail(path, "file name does not match title %r (expected %s)"
             % (title, expect_file))
    for w in words:
        if not re.match(r"^[a-z][a-z0-9_.-]*$", w):
            fail(path, "bad command name %r" % w)

    summary = doc.get("summary", doc.get("description"))
    for key, val in (("summary", summary), ("since", doc.get("since")),
                     ("group", doc.get("group")),
                     ("complexity", doc.get("complexity"))):
        if not isinstance(val, str) or not val:
            fail(path, "missing or empty %s" % key)
    if doc["group"] not in GROUPS:
        fail(path, "unknown group %r" % doc["group"])
    arity = doc.get("arity")
    if not isinstance(arity, int) or isinstance(arity, bool) or arity == 0:
        fail(path, "arity must be a non-zero integer")
    if len(words) == 2 and -2 < arity < 2:
        fail(path, "a subcommand's arity counts the container and the "
             "subcommand (|arity| >= 2)")

    flags = doc.get("command_flags", [])
    if not isinstance(flags, list):
        fail(path, "command_flags must be a list")
    for f in flags:
        if f not in FLAG_NAMES:
            fail(path, "unknown command flag %r" % f)
        if f == "movablekeys":
            fail(path, "movablekeys is computed from the key specs; "
                 "do not list it")
    if len(set(flags)) != len(flags):
        fail(path, "repeated command flag")

    acl = doc.get("acl_categories")
    if not isinstance(acl, list):
        fail(path, "acl_categories must be a list")
    cats = []
    for c in acl:
        if not isinstance(c, str) or not c.startswith("@") or \
                c[1:].lower() not in ACL_CATEGORIES:
            fail(path, "unknown ACL category %r" % c)
        cats.append(c[1:].lower())
    if len(set(cats)) != len(cats):
        fail(path, "repeated ACL category")
    missing = implicit_categories(flags) - set(cats)
    if missing:
        fail(path, "acl_categories lacks the implicit %s"
             % ", ".join("@" + m for m in sorted(missing)))
    if "fast" in cats and "slow" in cats:
        fail(path, "both @fast and @slow")

    tips = doc.get("command_tips", doc.get("hints", []))
    if not isinstance(tips, list):
        fail(path, "command_tips must be a list")
    tips = [t.lower() if isinstance(t, str) else t for t in tips]
    for t in tips:
        if not isinstance(t, str) or not TIP_RE.match(t):
            fail(path, "unknown command tip %r" % t)

    doc_flags = doc.get("doc_flags", [])
    if not isinstance(doc_flags, list):
        fail(path, "doc_flags must be a list")
    for d in doc_flags:
        if d not in DOC_FLAGS:
            fail(path, "unknown doc flag %r" % d)

    history = doc.get("history", [])
    if not isinstance(history, list):
        fail(path, "history must be a list")
    for h in history:
        if not (isinstance(h, list) and len(h) == 2 and
                all(isinstance(x, str) and x for x in h)):
            fail(path, "history entries are [version, text]: %r" % (h,))

    for k in ("deprecated_since", "replaced_by"):
        if k in doc and not isinstance(doc[k], str):
            fail(path, "%s must be a string" % k)
    if "container_handler" in doc and doc["container_handler"] is not True:
        fail(path, "container_handler, when given, must be true")

    kss = doc.get("key_specs", [])
    if not isinstance(kss, list):
        fail(path, "key_specs must be a list")
    keyspecs = [load_keyspec(path, i, ks) for i, ks in enumerate(kss)]
    used = set()
    args = load_args(path, doc.get("arguments", []), len(keyspecs),
                     "arguments", used)
    if doc.get("arguments") and len(used) != len(keyspecs):
        unused = sorted(set(range(len(keyspecs))) - used)
        fail(path, "key specs %s are not referenced by any key argument"
             % unused)

    return {
        "path": path,
        "fullname": fullname,
        "words": words,
        "name": words[-1],
        "parent": words[0] if len(words) == 2 else None,
        "summary": summary,
        "since": doc["since"],
        "group": doc["group"],
        "complexity": doc["complexity"],
        "arity": arity,
        "flags": [f for f in FLAG_NAMES if f in flags],
        "flags_json": list(flags),
        "acl": [c for c in ACL_CATEGORIES if c in cats],
        "tips": tips,
        "doc_flags": [d for d in DOC_FLAGS if d in doc_flags],
        "history": history,
        "deprecated_since": doc.get("deprecated_since"),
        "replaced_by": doc.get("replaced_by"),
        "container_handler": bool(doc.get("container_handler")),
        "keyspecs": keyspecs,
        "args": args,
        "subs": [],
    }


def legacy_triple(cmd):
    """first_key/last_key/key_step and whether keys are movable, computed
    from the key specs the way Redis derives its legacy range."""
    specs = cmd["keyspecs"]
    movable = False
    if not specs:
        return 0, 0, 0, False
    if len(specs) == 1 and specs[0]["begin"][0] == "KS_BEGIN_INDEX" and \
            specs[0]["find"][0] == "KS_FIND_RANGE":
        s = specs[0]
        pos = s["begin"][1]
        lastkey, step = s["find"][1], s["find"][2]
        if "INCOMPLETE" in s["flags"]:
            movable = True
        return pos, (lastkey if lastkey < 0 else pos + lastkey), step, movable
    first = None
    last = 0
    prev_last = 0
    for s in specs:
        if s["begin"][0] != "KS_BEGIN_INDEX" or \
                s["find"][0] != "KS_FIND_RANGE":
            movable = True
            continue
        pos = s["begin"][1]
        lastkey, step = s["find"][1], s["find"][2]
        if step != 1 or (prev_last and prev_last != pos - 1):
            movable = True
            continue
        if "INCOMPLETE" in s["flags"]:
            movable = True
        first = pos if first is None else min(first, pos)
        abs_last = lastkey + pos if lastkey >= 0 else lastkey
        # Redis compares the last keys as unsigned numbers, so a last key
        # counted from the end (negative) wins over any absolute position.
        last = max(last, abs_last, key=lambda v: v % (1 << 32))
        prev_last = last
    if first is None:
        return 0, 0, 0, True
    return first, last, 1, movable


# ---------------------------------------------------------------- output

def name_hash(s):
    """FNV-1a, 32 bits, over the lowercase name; mirrored in cmd_table.c."""
    h = 2166136261
    for b in s.encode():
        h ^= b
        h = (h * 16777619) & 0xFFFFFFFF
    return h


class Writer:
    def __init__(self):
        self.lines = []

    def add(self, s=""):
        self.lines.append(s)

    def strarray(self, cname, items):
        body = ", ".join([c_str(x) for x in items] + ["NULL"])
        self.add("static const char *const %s[] = {%s};" % (cname, body))


def emit_args(w, prefix, args):
    """Emit argument arrays bottom-up; return the C name of this level."""
    names = []
    for i, a in enumerate(args):
        if a["sub"]:
            names.append(emit_args(w, "%s_%d" % (prefix, i), a["sub"]))
        else:
            names.append(None)
    w.add("static const struct cmd_arg %s[] = {" % prefix)
    for a, subname in zip(args, names):
        w.add("    {.name = %s, .type = %s, .key_spec_index = %d, "
              ".token = %s, .display = %s, .summary = %s, .since = %s, "
              ".deprecated_since = %s, .flags = %s, .subargs = %s, "
              ".nsubargs = %d},"
              % (c_str(a["name"]), a["type"], a["ksi"], c_str(a["token"]),
                 c_str(a["display"]), c_str(a["summary"]),
                 c_str(a["since"]), c_str(a["deprecated_since"]),
                 " | ".join(a["flags"]) or "0", subname or "NULL",
                 len(a["sub"])))
    w.add("};")
    return prefix


def emit_command(w, cmd, parent_ident):
    cid = ident(cmd["fullname"])
    p = "cmdT_" + cid
    w.add("/* %s (%s) */" % (cmd["fullname"].upper().replace("|", " "),
                              os.path.basename(cmd["path"])))
    w.strarray(p + "_flagnames", cmd["flags_json"])
    w.strarray(p + "_acl", ["@" + c for c in cmd["acl"]])
    w.strarray(p + "_docflags", cmd["doc_flags"])
    w.strarray(p + "_tips", cmd["tips"])
    hist = []
    for v, t in cmd["history"]:
        hist += [v, t]
    w.strarray(p + "_history", hist)
    ks_name = "NULL"
    if cmd["keyspecs"]:
        for i, ks in enumerate(cmd["keyspecs"]):
            w.strarray("%s_ks%d_flags" % (p, i), ks["flags"])
        w.add("static const struct cmd_keyspec %s_ks[] = {" % p)
        for i, ks in enumerate(cmd["keyspecs"]):
            b = ks["begin"]
            f = ks["find"]
            fields = [".notes = %s" % c_str(ks["notes"]),
                      ".flags = %s_ks%d_flags" % (p, i),
                      ".begin = %s" % b[0], ".pos = %d" % b[1],
                      ".keyword = %s" % c_str(b[2]),
                      ".startfrom = %d" % b[3], ".find = %s" % f[0]]
            if f[0] == "KS_FIND_RANGE":
                fields += [".lastkey = %d" % f[1], ".keystep = %d" % f[2],
                           ".limit = %d" % f[3], ".step = %d" % f[2]]
            elif f[0] == "KS_FIND_KEYNUM":
                fields += [".keynumidx = %d" % f[1], ".firstkey = %d" % f[2],
                           ".step = %d" % f[3], ".keystep = %d" % f[3]]
            w.add("    {%s}," % ", ".join(fields))
        w.add("};")
        ks_name = p + "_ks"
    args_name = "NULL"
    if cmd["args"]:
        args_name = emit_args(w, p + "_args", cmd["args"])
    subs_name = "NULL"
    if cmd["subs"]:
        subs_name = p + "_subs"
        w.add("static const struct cmd_def *const %s[] = {%s};"
              % (subs_name, ", ".join("&cmdT_" + ident(s["fullname"])
                                      for s in cmd["subs"])))
    first, last, step, movable = legacy_triple(cmd)
    flag_bits = [dict(FLAG_BITS)[f] for f in cmd["flags"]]
    if movable:
        flag_bits.append("CMD_MOVABLE_KEYS")
    acl_bits = 0
    for c in cmd["acl"]:
        acl_bits |= 1 << ACL_CATEGORIES.index(c)
    has_handler = not cmd["subs"] or cmd["container_handler"]
    w.add("static const struct cmd_def %s = {" % p)
    w.add("    .name = %s," % c_str(cmd["name"]))
    w.add("    .fullname = %s," % c_str(cmd["fullname"]))
    w.add("    .parent = %s," % ("&cmdT_" + parent_ident if parent_ident
                                 else "NULL"))
    w.add("    .handler = %s," % (handler_name(cmd["fullname"])
                                  if has_handler else "NULL"))
    w.add("    .arity = %d," % cmd["arity"])
    w.add("    .flags = %s," % (" | ".join(flag_bits) or "0"))
    w.add("    .flag_names = %s_flagnames," % p)
    w.add("    .acl_categories = %s_acl," % p)
    w.add("    .acl_bits = UINT64_C(0x%x)," % acl_bits)
    w.add("    .summary = %s," % c_str(cmd["summary"]))
    w.add("    .since = %s," % c_str(cmd["since"]))
    w.add("    .group = %s," % c_str(cmd["group"]))
    w.add("    .complexity = %s," % c_str(cmd["complexity"]))
    w.add("    .deprecated_since = %s," % c_str(cmd["deprecated_since"]))
    w.add("    .replaced_by = %s," % c_str(cmd["replaced_by"]))
    w.add("    .doc_flags = %s_docflags," % p)
    w.add("    .tips = %s_tips," % p)
    w.add("    .history = %s_history," % p)
    w.add("    .keyspecs = %s," % ks_name)
    w.add("    .nkeyspecs = %d," % len(cmd["keyspecs"]))
    w.add("    .args = %s," % args_name)
    w.add("    .nargs = %d," % len(cmd["args"]))
    w.add("    .subcmds = %s," % subs_name)
    w.add("    .nsubcmds = %d," % len(cmd["subs"]))
    w.add("    .first_key = %d," % first)
    w.add("    .last_key = %d," % last)
    w.add("    .key_step = %d," % step)
    w.add("    .id = %d," % cmd["id"])
    w.add("};")
    w.add()


def generate(cmds):
    by_name = {}
    for c in cmds:
        if c["fullname"] in by_name:
            fail(c["path"], "duplicate command %s (also in %s)"
                 % (c["fullname"], by_name[c["fullname"]]["path"]))
        by_name[c["fullname"]] = c
    tops = sorted((c for c in cmds if c["parent"] is None),
                  key=lambda c: c["name"])
    for c in cmds:
        if c["parent"] is not None:
            parent = by_name.get(c["parent"])
            if parent is None:
                fail(c["path"], "container %r has no JSON file (%s.json)"
                     % (c["parent"], c["parent"]))
            parent["subs"].append(c)
    for c in tops:
        c["subs"].sort(key=lambda s: s["name"])
        if c["container_handler"] and not c["subs"]:
            fail(c["path"], "container_handler on a command without "
                 "subcommands")
        if c["subs"] and c["keyspecs"]:
            fail(c["path"], "a container has no key specs")

    next_id = 0
    for c in tops:
        c["id"] = next_id
        next_id += 1
        for s in c["subs"]:
            s["id"] = next_id
            next_id += 1

    handlers = []
    for c in tops:
        if not c["subs"] or c["container_handler"]:
            handlers.append(handler_name(c["fullname"]))
        for s in c["subs"]:
            handlers.append(handler_name(s["fullname"]))
    if len(set(handlers)) != len(handlers):
        raise GenError("two commands map to the same handler name")

    w = Writer()
    w.add("/* Generated by tools/gencmd.py from commands/NAME.json.  "
          "Do not edit. */")
    w.add("#ifndef WEIR_CMD_TABLE_H")
    w.add("#define WEIR_CMD_TABLE_H")
    w.add()
    w.add('#include "cmd.h"')
    w.add()
    w.add("/* Command handlers (one per non-container JSON file). */")
    for h in sorted(handlers):
        w.add("void %s(struct cmd_ctx *ctx);" % h)
    w.add()
    w.add("/* Helpers implemented in src/cmd_table.c. */")
    w.add("/* ACL category bit (index into acl_bits) of a category name, "
          "with or")
    w.add(" * without the leading '@', case-insensitive; -1 if unknown. */")
    w.add("int cmd_acl_category_bit(const char *name, size_t len);")
    w.add("/* Name (without '@') of an ACL category bit, NULL past the "
          "last. */")
    w.add("const char *cmd_acl_category_name(int bit);")
    w.add("/* As cmd_get_keys, also storing in spec[i] the index of the key "
          "spec")
    w.add(" * that produced pos[i] (spec may be NULL). */")
    w.add("int cmd_get_keys_ex(const struct cmd_def *d, int argc, "
          "const struct slice *argv,")
    w.add("                    int *pos, int *spec, int cap);")
    w.add()
    w.add("#define CMD_TABLE_NCOMMANDS %d" % len(tops))
    w.add("#define CMD_TABLE_NDEFS %d" % next_id)
    w.add("#define CMD_ACL_NCATEGORIES %d" % len(ACL_CATEGORIES))
    w.add()
    w.add("#ifdef WEIR_CMD_TABLE_IMPL")
    w.add()
    w.strarray("cmd_acl_category_names", ACL_CATEGORIES)
    w.add()
    # Forward declarations so that subcommands can name their container.
    for c in tops:
        if c["subs"]:
            w.add("static const struct cmd_def cmdT_%s;" % ident(c["fullname"]))
    w.add()
    for c in tops:
        for s in c["subs"]:
            emit_command(w, s, ident(c["fullname"]))
        emit_command(w, c, None)

    w.add("/* Top-level commands (containers included), sorted by name. */")
    w.add("static const struct cmd_def *const cmd_table_all[] = {")
    for c in tops:
        w.add("    &cmdT_%s," % ident(c["fullname"]))
    w.add("};")
    w.add()

    w.add("/* Every definition by id (cmd_def.id), subcommands included. */")
    w.add("static const struct cmd_def *const cmd_table_by_id[] = {")
    for c in tops:
        w.add("    &cmdT_%s," % ident(c["fullname"]))
        for s in c["subs"]:
            w.add("    &cmdT_%s," % ident(s["fullname"]))
    w.add("};")
    w.add()

    maxlen = max((len(c["name"]) for c in tops), default=0)
    size = 1
    while size < 4 * max(len(tops), 1):
        size *= 2
    slots = [-1] * size
    for i, c in enumerate(tops):
        h = name_hash(c["name"]) & (size - 1)
        while slots[h] != -1:
            h = (h + 1) & (size - 1)
        slots[h] = i
    w.add("/* Open-addressing hash over the lowercase names of "
          "cmd_table_all:")
    w.add(" * FNV-1a 32-bit, linear probing, -1 marks an empty slot. */")
    w.add("#define CMD_NAME_MAX %d" % maxlen)
    w.add("/* Length of each name in cmd_table_all. */")
    w.add("static const unsigned char cmd_name_lens[] = {")
    for i in range(0, len(tops), 16):
        w.add("    " + ", ".join("%d" % len(c["name"])
                                 for c in tops[i:i + 16]) + ",")
    w.add("};")
    w.add("#define CMD_HASH_SIZE %d" % size)
    w.add("static const short cmd_hash_slots[CMD_HASH_SIZE] = {")
    for i in range(0, size, 16):
        w.add("    " + ", ".join("%d" % x for x in slots[i:i + 16]) + ",")
    w.add("};")
    w.add()
    w.add("#endif /* WEIR_CMD_TABLE_IMPL */")
    w.add()
    w.add("#endif")
    return "\n".join(w.lines) + "\n"


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def main(argv):
    out = None
    check_only = False
    files = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--out" and i + 1 < len(argv):
            out = argv[i + 1]
            i += 2
            continue
        if a == "--check":
            check_only = True
        elif a.startswith("-"):
            sys.stderr.write("gencmd.py: unknown option %s\n" % a)
            return 2
        else:
            files.append(a)
        i += 1
    if not files or (out is None and not check_only):
        sys.stderr.write("usage: gencmd.py --out FILE commands/*.json\n"
                         "       gencmd.py --check commands/*.json\n")
        return 2
    try:
        cmds = [load_command(f) for f in sorted(files)]
        text = generate(cmds)
    except GenError as e:
        sys.stderr.write("gencmd.py: error: %s\n" % e)
        return 1
    if out is not None:
        write_if_changed(out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
