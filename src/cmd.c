/*
 * cmd.c - dispatch: lookup, arity, authentication and transaction gates,
 * the call itself with its statistics, error accounting and propagation.
 *
 * One path runs every command: client connections, EXEC's queued
 * commands and the AOF loader's pseudo client all come through
 * cmd_dispatch() or cmd_call().
 */
#include "cmd.h"

#include "aof.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "core.h"
#include "lib/dict.h"
#include "lib/mem.h"
#include "multi.h"

/* ---- error replies ---------------------------------------------------- */

static void count_error(struct core *core, const char *msg)
{
    char code[64];
    size_t n = 0;
    if (msg[0] == '-')
        msg++;
    while (msg[n] && msg[n] != ' ' && n < sizeof(code) - 1) {
        code[n] = msg[n];
        n++;
    }
    int upper = n > 0;
    for (size_t i = 0; i < n; i++)
        if (!((code[i] >= 'A' && code[i] <= 'Z') || code[i] == '_' ||
              (code[i] >= '0' && code[i] <= '9')))
            upper = 0;
    if (!upper) {
        memcpy(code, "ERR", 3);
        n = 3;
    }
    core->stats.total_error_replies++;
    if (!core->stats.errors)
        core->stats.errors = dict_new();
    int created;
    struct dict_entry *e = dict_upsert(core->stats.errors, code, n, &created);
    dict_entry_set_val(e, (void *)((uintptr_t)dict_entry_val(e) + 1));
}

void cmd_error(struct cmd_ctx *ctx, const char *msg)
{
    ctx->failed = 1;
    if (ctx->core)
        count_error(ctx->core, msg);
    resp_error(ctx->out, msg);
}

void cmd_errorf(struct cmd_ctx *ctx, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cmd_error(ctx, msg);
}

void cmd_error_syntax(struct cmd_ctx *ctx)
{
    cmd_error(ctx, "ERR syntax error");
}

void cmd_error_wrongtype(struct cmd_ctx *ctx)
{
    cmd_error(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void cmd_error_not_integer(struct cmd_ctx *ctx)
{
    cmd_error(ctx, "ERR value is not an integer or out of range");
}

void cmd_error_arity(struct cmd_ctx *ctx)
{
    cmd_errorf(ctx, "ERR wrong number of arguments for '%s' command", ctx->cmd->fullname);
}

static void upper_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i < cap - 1; i++)
        dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 32) : src[i];
    dst[i] = '\0';
}

void cmd_error_unknown_sub(struct cmd_ctx *ctx)
{
    const struct cmd_def *container = ctx->cmd->parent ? ctx->cmd->parent : ctx->cmd;
    char up[64];
    upper_copy(up, sizeof(up), container->name);
    struct slice sub = ctx->argc > 1 ? ctx->argv[1] : SLICE_LIT("");
    cmd_errorf(ctx, "ERR unknown subcommand '%.*s'. Try %s HELP.",
               (int)(sub.len > 128 ? 128 : sub.len), sub.p, up);
}

void cmd_error_sub_args(struct cmd_ctx *ctx)
{
    const struct cmd_def *container = ctx->cmd->parent ? ctx->cmd->parent : ctx->cmd;
    char up[64];
    upper_copy(up, sizeof(up), container->name);
    struct slice sub = ctx->argv[1];
    cmd_errorf(ctx, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
               (int)(sub.len > 128 ? 128 : sub.len), sub.p, up);
}

void cmd_reply_help(struct cmd_ctx *ctx, const char *const *lines)
{
    const struct cmd_def *container = ctx->cmd->parent ? ctx->cmd->parent : ctx->cmd;
    char up[64], head[160];
    upper_copy(up, sizeof(up), container->name);
    size_t n = 0;
    while (lines[n])
        n++;
    resp_array(ctx->out, (long long)n + 3);
    snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", up);
    resp_simple(ctx->out, head);
    for (size_t i = 0; i < n; i++)
        resp_simple(ctx->out, lines[i]);
    resp_simple(ctx->out, "HELP");
    resp_simple(ctx->out, "    Prints this help.");
}

/* ---- propagation ------------------------------------------------------ */

void cmd_propagate_argv(struct cmd_ctx *ctx, int argc, const struct slice *argv)
{
    struct core *core = ctx->core;
    core->stats.dirty++;
    if (core->prop.feed && !core->loading)
        core->prop.feed(core->prop.priv, ctx->db ? ctx->db->id : 0, argc, argv);
}

void cmd_propagate_as_is(struct cmd_ctx *ctx)
{
    cmd_propagate_argv(ctx, ctx->argc, ctx->argv);
}

/* ---- dispatch --------------------------------------------------------- */

static void format_unknown_command(char *err, size_t errlen, int argc, const struct slice *argv)
{
    char args[300];
    size_t n = 0;
    args[0] = '\0';
    for (int j = 1; j < argc && n < 128; j++) {
        int room = 128 - (int)n;
        int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
                         (int)(argv[j].len < (size_t)room ? argv[j].len : (size_t)room), argv[j].p);
        if (w < 0)
            break;
        n += (size_t)w;
        if (n >= sizeof(args))
            n = sizeof(args) - 1;
    }
    snprintf(err, errlen, "ERR unknown command '%.*s', with args beginning with: %s",
             (int)(argv[0].len > 128 ? 128 : argv[0].len), argv[0].p, args);
}

static int arity_ok(const struct cmd_def *d, int argc)
{
    return d->arity > 0 ? argc == d->arity : argc >= -d->arity;
}

/* Resolve argv to a command definition.  Returns NULL with the error
 * text in err when it cannot be run (ctx->cmd is then the command or
 * container that was found, if any). */
static const struct cmd_def *resolve(struct cmd_ctx *ctx, int argc, const struct slice *argv,
                                     char *err, size_t errlen)
{
    const struct cmd_def *d = cmd_lookup(argv[0]);
    if (!d) {
        format_unknown_command(err, errlen, argc, argv);
        return NULL;
    }
    ctx->cmd = d;
    if (d->nsubcmds > 0 && (argc > 1 || !d->handler)) {
        if (argc < 2) {
            snprintf(err, errlen, "ERR wrong number of arguments for '%s' command", d->fullname);
            return NULL;
        }
        const struct cmd_def *sub = cmd_lookup_sub(d, argv[1]);
        if (!sub) {
            char up[64];
            upper_copy(up, sizeof(up), d->name);
            snprintf(err, errlen, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                     (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].p, up);
            return NULL;
        }
        d = sub;
        ctx->cmd = d;
    }
    if (!arity_ok(d, argc)) {
        snprintf(err, errlen, "ERR wrong number of arguments for '%s' command", d->fullname);
        return NULL;
    }
    return d;
}

void cmd_call(struct cmd_ctx *ctx)
{
    struct core *core = ctx->core;
    const struct cmd_def *d = ctx->cmd;
    uint64_t start = util_ticks();
    ctx->now_ms = core->now_ms;
    db_set_now(ctx->now_ms);
    db_set_no_touch(ctx->client && (ctx->client->flags & CLIENT_NO_TOUCH));
    d->handler(ctx);
    uint64_t dur = util_ticks() - start;
    struct cmd_stats *st = &core->stats.cmd[d->id];
    st->calls++;
    st->ticks += dur;
    if (ctx->failed)
        st->failed_calls++;
    core->stats.total_commands_processed++;
    if (ctx->client) {
        ctx->client->last_cmd = d->fullname;
        ctx->client->tot_cmds++;
    }
}

static int needs_auth(const struct core *core, const struct client *c, const struct cmd_def *d)
{
    if (c->authenticated || (d->flags & CMD_NO_AUTH))
        return 0;
    return core->cfg.requirepass && core->cfg.requirepass[0];
}

/* A command that cannot run: reply the error; inside MULTI the
 * transaction is flagged, and a rejected EXEC aborts it (EXECABORT). */
static void reject(struct cmd_ctx *ctx, const char *err)
{
    struct client *c = ctx->client;
    if (ctx->cmd)
        ctx->core->stats.cmd[ctx->cmd->id].rejected_calls++;
    if ((c->flags & CLIENT_MULTI) && ctx->cmd && strcmp(ctx->cmd->fullname, "exec") == 0) {
        multi_reset_client(ctx->core, c);
        cmd_errorf(ctx, "EXECABORT Transaction discarded because of: %s",
                   strncmp(err, "ERR ", 4) == 0 ? err + 4 : err);
        return;
    }
    cmd_error(ctx, err);
    multi_flag_error(c);
}

void cmd_dispatch(struct core *core, struct client *c, int argc, const struct slice *argv)
{
    struct cmd_ctx ctx = {
        .core = core,
        .client = c,
        .db = &core->dbs[c->db_index],
        .argc = argc,
        .argv = argv,
        .out = &c->ro,
        .loading = core->loading,
    };
    char err[512];
    const struct cmd_def *d = resolve(&ctx, argc, argv, err, sizeof(err));
    if (!d) {
        reject(&ctx, err);
        return;
    }
    if (needs_auth(core, c, d)) {
        reject(&ctx, "NOAUTH Authentication required.");
        return;
    }
    if ((d->flags & CMD_WRITE) && !aof_write_ok()) {
        reject(&ctx, aof_write_error()); /* disk error: reads go on */
        return;
    }
    if ((c->flags & CLIENT_MULTI) && multi_should_queue(d)) {
        multi_queue(&ctx);
        return;
    }
    cmd_call(&ctx);
    /* As Redis: clients blocked on keys this command made ready are served
     * now, before the next command of a pipeline runs. */
    if (core->ready_keys && core->serve_ready && !core->loading)
        core->serve_ready(core);
}
