/*
 * multi.c - MULTI/EXEC/DISCARD/WATCH/UNWATCH; see multi.h.
 *
 * Semantics mirrored from Redis 7/8: errors while queueing (unknown
 * command, arity) abort EXEC with EXECABORT; runtime errors inside EXEC
 * are returned in the reply array and do not stop the other commands;
 * a touched WATCHed key (including one that expired after WATCH) makes
 * EXEC reply with a null array.
 */
#include "multi.h"

#include <string.h>

#include "client.h"
#include "core.h"
#include "db.h"
#include "lib/dict.h"
#include "lib/mem.h"

struct watched_key {
    int dbid;
    int existed; /* the key existed (was not expired) at WATCH time */
    size_t klen;
    char *key;
    struct watched_key *next;
};

struct watchers {
    int n, cap;
    struct client **c;
};

/* Key of core->watched_keys: 4 bytes of db id then the key bytes. */
static char *watch_dict_key(int dbid, struct slice key, size_t *len, char *stackbuf, size_t cap)
{
    *len = key.len + 4;
    char *k = *len <= cap ? stackbuf : mem_alloc(*len);
    memcpy(k, &dbid, 4);
    memcpy(k + 4, key.p, key.len);
    return k;
}

int multi_should_queue(const struct cmd_def *d)
{
    const char *n = d->fullname;
    return strcmp(n, "exec") && strcmp(n, "discard") && strcmp(n, "multi") && strcmp(n, "watch") &&
           strcmp(n, "quit") && strcmp(n, "reset");
}

void multi_queue(struct cmd_ctx *ctx)
{
    struct client *c = ctx->client;
    if (c->mq_len == c->mq_cap) {
        c->mq_cap = c->mq_cap ? c->mq_cap * 2 : 8;
        c->mq = mem_realloc(c->mq, sizeof(*c->mq) * (size_t)c->mq_cap);
    }
    struct multi_cmd *m = &c->mq[c->mq_len++];
    m->cmd = ctx->cmd;
    m->argc = ctx->argc;
    m->argv = mem_alloc(sizeof(struct slice) * (size_t)ctx->argc);
    for (int i = 0; i < ctx->argc; i++) {
        m->argv[i].p = mem_memdup(ctx->argv[i].p, ctx->argv[i].len);
        m->argv[i].len = ctx->argv[i].len;
    }
    resp_simple(ctx->out, "QUEUED");
}

void multi_flag_error(struct client *c)
{
    if (c->flags & CLIENT_MULTI)
        c->flags |= CLIENT_DIRTY_EXEC;
}

static void discard_queue(struct client *c)
{
    for (int i = 0; i < c->mq_len; i++) {
        for (int j = 0; j < c->mq[i].argc; j++)
            mem_free((void *)c->mq[i].argv[j].p);
        mem_free(c->mq[i].argv);
    }
    mem_free(c->mq);
    c->mq = NULL;
    c->mq_len = c->mq_cap = 0;
    c->flags &= ~(uint32_t)(CLIENT_MULTI | CLIENT_DIRTY_EXEC | CLIENT_DIRTY_CAS);
}

static void unwatch_all(struct core *core, struct client *c)
{
    while (c->watched) {
        struct watched_key *w = c->watched;
        char sb[256];
        size_t len;
        char *k = watch_dict_key(w->dbid, (struct slice){w->key, w->klen}, &len, sb, sizeof(sb));
        struct watchers *ws = dict_get(core->watched_keys, k, len);
        if (ws) {
            for (int i = 0; i < ws->n; i++) {
                if (ws->c[i] == c) {
                    ws->c[i] = ws->c[--ws->n];
                    break;
                }
            }
            if (ws->n == 0) {
                dict_delete(core->watched_keys, k, len, NULL);
                mem_free(ws->c);
                mem_free(ws);
            }
        }
        if (k != sb)
            mem_free(k);
        c->watched = w->next;
        mem_free(w->key);
        mem_free(w);
    }
    c->flags &= ~(uint32_t)CLIENT_WATCHING;
}

void multi_reset_client(struct core *core, struct client *c)
{
    discard_queue(c);
    unwatch_all(core, c);
}

static void mark_dirty(struct watchers *ws)
{
    for (int i = 0; i < ws->n; i++)
        ws->c[i]->flags |= CLIENT_DIRTY_CAS;
}

void multi_touch_key(struct core *core, int dbid, struct slice key)
{
    if (!core->watched_keys || dict_size(core->watched_keys) == 0)
        return;
    char sb[256];
    size_t len;
    char *k = watch_dict_key(dbid, key, &len, sb, sizeof(sb));
    struct watchers *ws = dict_get(core->watched_keys, k, len);
    if (ws)
        mark_dirty(ws);
    if (k != sb)
        mem_free(k);
}

void multi_touch_db(struct core *core, struct db *db, struct db *other)
{
    if (!core->watched_keys || dict_size(core->watched_keys) == 0)
        return;
    struct dict_iter it;
    dict_iter_init(&it, core->watched_keys);
    struct dict_entry *e;
    while ((e = dict_next(&it))) {
        size_t len;
        const char *k = dict_entry_key(e, &len);
        int dbid;
        memcpy(&dbid, k, 4);
        if (dbid != db->id && (!other || dbid != other->id))
            continue;
        struct slice key = {k + 4, len - 4};
        if (dict_find(db->keys, key.p, key.len) ||
            (other && dict_find(other->keys, key.p, key.len)))
            mark_dirty(dict_entry_val(e));
    }
    dict_iter_done(&it);
}

/* ---- commands --------------------------------------------------------- */

void cmd_multi(struct cmd_ctx *ctx)
{
    if (ctx->client->flags & CLIENT_MULTI) {
        cmd_error(ctx, "ERR MULTI calls can not be nested");
        return;
    }
    ctx->client->flags |= CLIENT_MULTI;
    resp_ok(ctx->out);
}

void cmd_discard(struct cmd_ctx *ctx)
{
    if (!(ctx->client->flags & CLIENT_MULTI)) {
        cmd_error(ctx, "ERR DISCARD without MULTI");
        return;
    }
    multi_reset_client(ctx->core, ctx->client);
    resp_ok(ctx->out);
}

static int watched_key_expired(struct core *core, struct client *c)
{
    for (struct watched_key *w = c->watched; w; w = w->next) {
        struct db *db = &core->dbs[w->dbid];
        int64_t when = db_get_expire(db, (struct slice){w->key, w->klen});
        if (w->existed && when >= 0 && when <= db_now())
            return 1;
    }
    return 0;
}

static void run_queue(struct cmd_ctx *ctx)
{
    struct client *c = ctx->client;
    struct core *core = ctx->core;
    int n = c->mq_len;
    struct multi_cmd *q = c->mq;
    c->mq = NULL;
    c->mq_len = c->mq_cap = 0;
    c->flags &= ~(uint32_t)CLIENT_MULTI;
    c->flags |= CLIENT_IN_EXEC;
    resp_array(ctx->out, n);
    core->exec_depth++; /* the AOF wraps what EXEC propagates in MULTI/EXEC */
    for (int i = 0; i < n; i++) {
        struct cmd_ctx sub = {
            .core = core,
            .client = c,
            .db = &core->dbs[c->db_index],
            .cmd = q[i].cmd,
            .argc = q[i].argc,
            .argv = q[i].argv,
            .out = ctx->out,
            .loading = ctx->loading,
        };
        cmd_call(&sub);
        for (int j = 0; j < q[i].argc; j++)
            mem_free((void *)q[i].argv[j].p);
        mem_free(q[i].argv);
    }
    core->exec_depth--;
    mem_free(q);
    c->flags &= ~(uint32_t)CLIENT_IN_EXEC;
}

void cmd_exec(struct cmd_ctx *ctx)
{
    struct client *c = ctx->client;
    if (!(c->flags & CLIENT_MULTI)) {
        cmd_error(ctx, "ERR EXEC without MULTI");
        return;
    }
    if (c->flags & CLIENT_DIRTY_EXEC) {
        multi_reset_client(ctx->core, c);
        cmd_error(ctx, "EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    db_set_now(util_mstime());
    if ((c->flags & CLIENT_DIRTY_CAS) || watched_key_expired(ctx->core, c)) {
        multi_reset_client(ctx->core, c);
        resp_null_array(ctx->out);
        return;
    }
    unwatch_all(ctx->core, c);
    run_queue(ctx);
}

static void watch_key(struct core *core, struct client *c, int dbid, struct slice key)
{
    for (struct watched_key *w = c->watched; w; w = w->next)
        if (w->dbid == dbid && w->klen == key.len && memcmp(w->key, key.p, key.len) == 0)
            return;
    int existed = db_lookup(&core->dbs[dbid], key) != NULL;
    if (!core->watched_keys)
        core->watched_keys = dict_new();
    char sb[256];
    size_t len;
    char *k = watch_dict_key(dbid, key, &len, sb, sizeof(sb));
    int created;
    struct dict_entry *e = dict_upsert(core->watched_keys, k, len, &created);
    if (k != sb)
        mem_free(k);
    struct watchers *ws = dict_entry_val(e);
    if (!ws) {
        ws = mem_calloc(sizeof(*ws));
        dict_entry_set_val(e, ws);
    }
    if (ws->n == ws->cap) {
        ws->cap = ws->cap ? ws->cap * 2 : 4;
        ws->c = mem_realloc(ws->c, sizeof(*ws->c) * (size_t)ws->cap);
    }
    ws->c[ws->n++] = c;
    struct watched_key *w = mem_alloc(sizeof(*w));
    w->dbid = dbid;
    w->klen = key.len;
    w->key = mem_memdup(key.p, key.len ? key.len : 1);
    w->existed = existed;
    w->next = c->watched;
    c->watched = w;
    c->flags |= CLIENT_WATCHING;
}

void cmd_watch(struct cmd_ctx *ctx)
{
    if (ctx->client->flags & CLIENT_MULTI) {
        cmd_error(ctx, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    db_set_now(util_mstime());
    for (int i = 1; i < ctx->argc; i++)
        watch_key(ctx->core, ctx->client, ctx->client->db_index, ctx->argv[i]);
    resp_ok(ctx->out);
}

void cmd_unwatch(struct cmd_ctx *ctx)
{
    unwatch_all(ctx->core, ctx->client);
    ctx->client->flags &= ~(uint32_t)CLIENT_DIRTY_CAS;
    resp_ok(ctx->out);
}
