/*
 * cmd_conn.c - connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH.
 */
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "core.h"
#include "info.h"
#include "lib/mem.h"
#include "multi.h"

void cmd_ping(struct cmd_ctx *ctx)
{
    if (ctx->argc > 2) {
        cmd_error_arity(ctx);
        return;
    }
    if (ctx->argc == 1)
        resp_simple(ctx->out, "PONG");
    else
        resp_bulk(ctx->out, ctx->argv[1].p, ctx->argv[1].len);
}

void cmd_echo(struct cmd_ctx *ctx)
{
    resp_bulk(ctx->out, ctx->argv[1].p, ctx->argv[1].len);
}

void cmd_quit(struct cmd_ctx *ctx)
{
    resp_ok(ctx->out);
    ctx->client->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

void cmd_reset(struct cmd_ctx *ctx)
{
    struct client *c = ctx->client;
    multi_reset_client(ctx->core, c);
    c->db_index = 0;
    c->resp = 2;
    ctx->out->proto = 2;
    mem_free(c->name);
    c->name = NULL;
    c->flags &= ~(uint32_t)(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT |
                            CLIENT_NO_EVICT | CLIENT_NO_TOUCH);
    c->authenticated = !(ctx->core->cfg.requirepass && ctx->core->cfg.requirepass[0]);
    resp_simple(ctx->out, "RESET");
}

/* Check a username/password pair against the single default user. */
static int check_password(struct core *core, struct slice user, struct slice pass)
{
    const char *rp = core->cfg.requirepass;
    if (!util_eq_nocase(user, "default") || user.len != 7)
        return 0;
    if (!rp || !rp[0])
        return 1; /* nopass: any password is accepted for "default" */
    return pass.len == strlen(rp) && memcmp(pass.p, rp, pass.len) == 0;
}

void cmd_auth(struct cmd_ctx *ctx)
{
    struct core *core = ctx->core;
    if (ctx->argc > 3) {
        cmd_error_syntax(ctx);
        return;
    }
    if (ctx->argc == 2 && !(core->cfg.requirepass && core->cfg.requirepass[0])) {
        cmd_error(ctx, "ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
        return;
    }
    struct slice user = ctx->argc == 3 ? ctx->argv[1] : SLICE_LIT("default");
    struct slice pass = ctx->argv[ctx->argc - 1];
    if (!check_password(core, user, pass)) {
        cmd_error(ctx, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    ctx->client->authenticated = 1;
    resp_ok(ctx->out);
}

static int valid_client_name(struct slice n)
{
    for (size_t i = 0; i < n.len; i++)
        if (n.p[i] < '!' || n.p[i] > '~')
            return 0;
    return 1;
}

static void hello_reply(struct cmd_ctx *ctx)
{
    struct resp_out *o = ctx->out;
    resp_map(o, 7);
    resp_bulk_str(o, "server");
    resp_bulk_str(o, "redis");
    resp_bulk_str(o, "version");
    resp_bulk_str(o, WEIR_REDIS_VERSION);
    resp_bulk_str(o, "proto");
    resp_int(o, ctx->client->resp);
    resp_bulk_str(o, "id");
    resp_int(o, (long long)ctx->client->id);
    resp_bulk_str(o, "mode");
    resp_bulk_str(o, "standalone");
    resp_bulk_str(o, "role");
    resp_bulk_str(o, "master");
    resp_bulk_str(o, "modules");
    resp_array(o, 0);
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]] */
void cmd_hello(struct cmd_ctx *ctx)
{
    long long ver = 0;
    int i = 1;
    if (ctx->argc >= 2) {
        if (util_parse_ll(ctx->argv[1].p, ctx->argv[1].len, &ver) < 0) {
            cmd_error(ctx, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            cmd_error(ctx, "NOPROTO unsupported protocol version");
            return;
        }
        i = 2;
    }
    struct slice user = {0}, pass = {0}, name = {0};
    int has_auth = 0, has_name = 0;
    for (; i < ctx->argc; i++) {
        int more = ctx->argc - i - 1;
        if (util_eq_nocase(ctx->argv[i], "AUTH") && more >= 2) {
            user = ctx->argv[i + 1];
            pass = ctx->argv[i + 2];
            has_auth = 1;
            i += 2;
        } else if (util_eq_nocase(ctx->argv[i], "SETNAME") && more >= 1) {
            name = ctx->argv[i + 1];
            has_name = 1;
            i += 1;
        } else {
            cmd_errorf(ctx, "ERR Syntax error in HELLO option '%.*s'", (int)ctx->argv[i].len,
                       ctx->argv[i].p);
            return;
        }
    }
    if (has_auth && !check_password(ctx->core, user, pass)) {
        cmd_error(ctx, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    if (has_auth)
        ctx->client->authenticated = 1;
    if (!ctx->client->authenticated) {
        cmd_error(ctx, "NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the "
                       "same time");
        return;
    }
    if (has_name && !valid_client_name(name)) {
        cmd_error(ctx, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    if (has_name) {
        mem_free(ctx->client->name);
        ctx->client->name = name.len ? mem_strndup(name.p, name.len) : NULL;
    }
    if (ver) {
        ctx->client->resp = (int)ver;
        ctx->out->proto = (int)ver;
    }
    hello_reply(ctx);
}
