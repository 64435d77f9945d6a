/*
 * cmd.h - the command table and dispatch.
 *
 * The table is generated at build time by tools/gencmd.py from
 * commands/NAME.json (one file per command or subcommand) into
 * build/<variant>/gen/cmd_table.h, which only cmd_table.c includes.  The same
 * data drives dispatch, arity checks, flags, ACL categories, key
 * extraction and COMMAND INFO/DOCS.
 *
 * A handler receives everything through struct cmd_ctx; it parses its
 * arguments, calls the data-type module, writes the reply through
 * resp_write, and declares what must be propagated (cmd_propagate*).
 */
#ifndef WEIR_CMD_H
#define WEIR_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "resp_write.h"
#include "cmd_handlers.h" /* generated: one prototype per handler */

/* Command flags (COMMAND INFO "flags"), bit per JSON command_flags word. */
enum {
    CMD_WRITE = 1u << 0,
    CMD_READONLY = 1u << 1,
    CMD_DENYOOM = 1u << 2,
    CMD_MODULE = 1u << 3,
    CMD_ADMIN = 1u << 4,
    CMD_PUBSUB = 1u << 5,
    CMD_NOSCRIPT = 1u << 6,
    CMD_BLOCKING = 1u << 7,
    CMD_LOADING = 1u << 8,
    CMD_STALE = 1u << 9,
    CMD_SKIP_MONITOR = 1u << 10,
    CMD_SKIP_SLOWLOG = 1u << 11,
    CMD_ASKING = 1u << 12,
    CMD_FAST = 1u << 13,
    CMD_NO_AUTH = 1u << 14,
    CMD_MAY_REPLICATE = 1u << 15,
    CMD_SENTINEL = 1u << 16,
    CMD_ONLY_SENTINEL = 1u << 17,
    CMD_NO_MANDATORY_KEYS = 1u << 18,
    CMD_PROTECTED = 1u << 19,
    CMD_NO_ASYNC_LOADING = 1u << 20,
    CMD_NO_MULTI = 1u << 21,
    CMD_MOVABLE_KEYS = 1u << 22,
    CMD_ALLOW_BUSY = 1u << 23,
    CMD_TOUCHES_ARBITRARY_KEYS = 1u << 24,
};

/* Key spec, the Redis 7 model: where the search begins, how keys are found. */
enum cmd_ks_begin { KS_BEGIN_UNKNOWN, KS_BEGIN_INDEX, KS_BEGIN_KEYWORD };
enum cmd_ks_find { KS_FIND_UNKNOWN, KS_FIND_RANGE, KS_FIND_KEYNUM };
struct cmd_keyspec {
    const char *notes;        /* may be NULL */
    const char *const *flags; /* NULL-terminated: "RW", "UPDATE", ... */
    enum cmd_ks_begin begin;
    int pos;             /* KS_BEGIN_INDEX */
    const char *keyword; /* KS_BEGIN_KEYWORD */
    int startfrom;       /* KS_BEGIN_KEYWORD */
    enum cmd_ks_find find;
    int lastkey, keystep, limit;   /* KS_FIND_RANGE */
    int keynumidx, firstkey, step; /* KS_FIND_KEYNUM (keystep reused as step) */
};

/* Argument tree for COMMAND DOCS. */
enum cmd_arg_type {
    ARG_STRING,
    ARG_INTEGER,
    ARG_DOUBLE,
    ARG_KEY,
    ARG_PATTERN,
    ARG_UNIX_TIME,
    ARG_PURE_TOKEN,
    ARG_ONEOF,
    ARG_BLOCK
};
enum { ARG_F_OPTIONAL = 1, ARG_F_MULTIPLE = 2, ARG_F_MULTIPLE_TOKEN = 4 };
struct cmd_arg {
    const char *name;
    enum cmd_arg_type type;
    int key_spec_index;           /* -1 unless ARG_KEY */
    const char *token;            /* may be NULL */
    const char *display;          /* display_text, may be NULL */
    const char *summary;          /* may be NULL */
    const char *since;            /* may be NULL */
    const char *deprecated_since; /* may be NULL */
    int flags;                    /* ARG_F_* */
    const struct cmd_arg *subargs;
    int nsubargs;
};

struct cmd_ctx;
typedef void (*cmd_handler)(struct cmd_ctx *ctx);

struct cmd_def {
    const char *name;                  /* lowercase: "xadd", or "get" for CONFIG GET */
    const char *fullname;              /* "xadd", "config|get" */
    const struct cmd_def *parent;      /* container for subcommands, else NULL */
    cmd_handler handler;               /* NULL only for containers */
    int arity;                         /* Redis arity: N exact, -N at least N */
    uint32_t flags;                    /* CMD_* */
    const char *const *flag_names;     /* NULL-terminated, as in JSON */
    const char *const *acl_categories; /* NULL-terminated, "@write"... */
    uint64_t acl_bits;                 /* bit per category, see cmd_acl_category_bit */
    const char *summary, *since, *group, *complexity;
    const char *deprecated_since, *replaced_by; /* may be NULL */
    const char *const *doc_flags;               /* NULL-terminated ("syscmd", "deprecated") */
    const char *const *tips;                    /* NULL-terminated request/response tips */
    const char *const *history;                 /* NULL-terminated pairs: version, text */
    const struct cmd_keyspec *keyspecs;
    int nkeyspecs;
    const struct cmd_arg *args;
    int nargs;
    const struct cmd_def *const *subcmds; /* for containers */
    int nsubcmds;
    int first_key, last_key, key_step; /* legacy COMMAND INFO triple */
    int id;                            /* dense index 0..cmd_count()-1 over every
                                          def incl. subcommands (per-command stats) */
};

/*
 * What a handler sees.  Handlers never touch sockets; they write the reply
 * into ctx->out, report errors through cmd_error* (so INFO errorstats
 * counts them), and declare propagation through cmd_propagate*.
 */
struct core;   /* server-wide state, core.h */
struct client; /* the calling connection (or the AOF loader's pseudo client) */
struct db;     /* the selected database, db.h */

struct cmd_ctx {
    struct core *core;
    struct client *client;
    struct db *db;
    const struct cmd_def *cmd;
    int argc;
    const struct slice *argv; /* valid for the duration of the call */
    struct resp_out *out;
    int64_t now_ms; /* cached command time */
    int failed;     /* set by cmd_error*: the call failed */
    int loading;    /* replaying the AOF / from master: IDMP explicit IDs allowed */
};

void cmd_error(struct cmd_ctx *ctx, const char *msg);
void cmd_errorf(struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Common Redis error texts. */
void cmd_error_syntax(struct cmd_ctx *ctx); /* ERR syntax error */
void cmd_error_wrongtype(struct cmd_ctx *ctx);
void cmd_error_not_integer(struct cmd_ctx *ctx); /* value is not an integer or out of range */
void cmd_error_arity(struct cmd_ctx *ctx);       /* wrong number of arguments for '%s' command */
/* "ERR unknown subcommand 'x'. Try CONTAINER HELP." */
void cmd_error_unknown_sub(struct cmd_ctx *ctx);
/* "ERR unknown subcommand or wrong number of arguments for '<argv[1]>'.
 * Try CONTAINER HELP." (bad arguments of a subcommand, or of DEBUG). */
void cmd_error_sub_args(struct cmd_ctx *ctx);
/* Reply to HELP subcommands: lines is NULL-terminated; a header line
 * "<CONTAINER> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
 * is prepended and the HELP lines appended, as Redis does. */
void cmd_reply_help(struct cmd_ctx *ctx, const char *const *lines);

/* Propagation (AOF / replicas).  By default nothing is propagated.
 * cmd_propagate_as_is: the command's own argv.  cmd_propagate_argv: a
 * rewritten deterministic form (copied).  Several calls propagate several
 * commands, in order. */
void cmd_propagate_as_is(struct cmd_ctx *ctx);
void cmd_propagate_argv(struct cmd_ctx *ctx, int argc, const struct slice *argv);

/* Lookup by name (case-insensitive).  For a container, the subcommand
 * is looked up in argv[1] when present. */
const struct cmd_def *cmd_lookup(struct slice name);
const struct cmd_def *cmd_lookup_sub(const struct cmd_def *container, struct slice sub);
/* All top-level commands (containers included), for COMMAND. */
const struct cmd_def *const *cmd_all(size_t *n);
/* Run one request of client c: resolve, check, queue (MULTI) or call.
 * The reply goes to c's output buffer. */
void cmd_dispatch(struct core *core, struct client *c, int argc, const struct slice *argv);
/* Call ctx->cmd's handler with statistics (used by dispatch and EXEC). */
void cmd_call(struct cmd_ctx *ctx);

size_t cmd_count(void); /* number of ids */
/* ACL category bit (index into acl_bits) of a category name, with or
 * without the leading '@', case-insensitive; -1 if unknown. */
int cmd_acl_category_bit(const char *name, size_t len);
/* Name (without '@') of an ACL category bit, NULL past the last. */
const char *cmd_acl_category_name(int bit);
const struct cmd_def *cmd_by_id(int id);
/* Extract key argument positions of argv by the key specs; returns count
 * written to pos (cap entries at most); -1 if argv is invalid for them. */
int cmd_get_keys(const struct cmd_def *d, int argc, const struct slice *argv, int *pos, int cap);
/* As cmd_get_keys, also storing in spec[i] the index of the key spec
 * that produced pos[i] (spec may be NULL). */
int cmd_get_keys_ex(const struct cmd_def *d, int argc, const struct slice *argv, int *pos,
                    int *spec, int cap);

#endif
