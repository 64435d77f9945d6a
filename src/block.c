/*
 * block.c - clients blocked on keys; see block.h for the model.
 *
 * core->blocking_keys maps (4-byte db id + key) to the FIFO array of
 * clients waiting on it; core->ready_keys collects keys signalled since
 * the last serve; core->blocked_head links every blocked client (for
 * timeouts and INFO).  A re-run happens with bstate->rerunning set: a
 * handler that blocks again then leaves the registration untouched, so
 * the client keeps its place and its deadline.
 */
#include "block.h"

#include <string.h>

#include "client.h"
#include "core.h"
#include "db.h"
#include "lib/dict.h"
#include "lib/mem.h"

struct block_state {
    int64_t deadline_ms; /* 0: no timeout */
    int dbid;
    int nkeys;
    struct slice *keys; /* owned copies */
    int argc;
    struct slice *argv; /* owned copies, the command to re-run */
    int rerunning;
    int reblocked;
    struct client *bprev, *bnext;
};

struct waiters {
    int n, cap;
    struct client **c;
};

static size_t wkey(int dbid, struct slice key, char *out, size_t cap, char **heap)
{
    size_t len = key.len + 4;
    char *k = len <= cap ? out : (*heap = mem_alloc(len));
    memcpy(k, &dbid, 4);
    memcpy(k + 4, key.p, key.len);
    return len;
}

static struct slice *copy_argv(int argc, const struct slice *argv)
{
    struct slice *v = mem_alloc(sizeof(*v) * (size_t)(argc ? argc : 1));
    for (int i = 0; i < argc; i++) {
        v[i].p = mem_memdup(argv[i].p, argv[i].len ? argv[i].len : 1);
        v[i].len = argv[i].len;
    }
    return v;
}

static void free_argv(int argc, struct slice *v)
{
    for (int i = 0; i < argc; i++)
        mem_free((void *)v[i].p);
    mem_free(v);
}

static void add_waiter(struct core *core, int dbid, struct slice key, struct client *c)
{
    if (!core->blocking_keys)
        core->blocking_keys = dict_new();
    char sb[256], *heap = NULL;
    size_t len = wkey(dbid, key, sb, sizeof(sb), &heap);
    int created;
    struct dict_entry *e = dict_upsert(core->blocking_keys, heap ? heap : sb, len, &created);
    mem_free(heap);
    struct waiters *w = dict_entry_val(e);
    if (!w) {
        w = mem_calloc(sizeof(*w));
        dict_entry_set_val(e, w);
    }
    for (int i = 0; i < w->n; i++)
        if (w->c[i] == c)
            return; /* the same key given twice */
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4;
        w->c = mem_realloc(w->c, sizeof(*w->c) * (size_t)w->cap);
    }
    w->c[w->n++] = c;
}

static void del_waiter(struct core *core, int dbid, struct slice key, struct client *c)
{
    char sb[256], *heap = NULL;
    size_t len = wkey(dbid, key, sb, sizeof(sb), &heap);
    const char *k = heap ? heap : sb;
    struct waiters *w = dict_get(core->blocking_keys, k, len);
    if (w) {
        for (int i = 0; i < w->n; i++) {
            if (w->c[i] == c) {
                memmove(w->c + i, w->c + i + 1, sizeof(*w->c) * (size_t)(w->n - i - 1));
                w->n--;
                break;
            }
        }
        if (w->n == 0) {
            dict_delete(core->blocking_keys, k, len, NULL);
            mem_free(w->c);
            mem_free(w);
        }
    }
    mem_free(heap);
}

int block_client(struct cmd_ctx *ctx, const struct slice *keys, int nkeys, int64_t timeout_ms,
                 int argc, const struct slice *argv)
{
    struct client *c = ctx->client;
    struct core *core = ctx->core;
    if (!c || (c->flags & (CLIENT_IN_EXEC | CLIENT_PSEUDO)) || ctx->loading)
        return -1;
    if (c->bstate && c->bstate->rerunning) {
        c->bstate->reblocked = 1;
        return 0;
    }
    struct block_state *b = mem_calloc(sizeof(*b));
    b->deadline_ms = timeout_ms > 0 ? ctx->now_ms + timeout_ms : 0;
    b->dbid = c->db_index;
    b->nkeys = nkeys;
    b->keys = copy_argv(nkeys, keys);
    b->argc = argc;
    b->argv = copy_argv(argc, argv);
    c->bstate = b;
    c->flags |= CLIENT_BLOCKED;
    for (int i = 0; i < nkeys; i++)
        add_waiter(core, b->dbid, keys[i], c);
    b->bnext = core->blocked_head;
    if (core->blocked_head)
        core->blocked_head->bstate->bprev = c;
    core->blocked_head = c;
    core->nblocked++;
    return 0;
}

void block_remove(struct core *core, struct client *c)
{
    struct block_state *b = c->bstate;
    if (!b)
        return;
    for (int i = 0; i < b->nkeys; i++)
        del_waiter(core, b->dbid, b->keys[i], c);
    if (b->bprev)
        b->bprev->bstate->bnext = b->bnext;
    else
        core->blocked_head = b->bnext;
    if (b->bnext)
        b->bnext->bstate->bprev = b->bprev;
    core->nblocked--;
    free_argv(b->nkeys, b->keys);
    free_argv(b->argc, b->argv);
    mem_free(b);
    c->bstate = NULL;
    c->flags &= ~(uint32_t)CLIENT_BLOCKED;
}

void block_signal_key(struct core *core, struct db *db, struct slice key)
{
    if (!core->blocking_keys || dict_size(core->blocking_keys) == 0)
        return;
    char sb[256], *heap = NULL;
    size_t len = wkey(db->id, key, sb, sizeof(sb), &heap);
    const char *k = heap ? heap : sb;
    if (dict_find(core->blocking_keys, k, len)) {
        if (!core->ready_keys)
            core->ready_keys = dict_new();
        int created;
        dict_upsert(core->ready_keys, k, len, &created);
    }
    mem_free(heap);
}

void block_signal_db(struct core *core, int dbid)
{
    if (!core->blocking_keys || dict_size(core->blocking_keys) == 0)
        return;
    struct dict_iter it;
    dict_iter_init(&it, core->blocking_keys);
    struct dict_entry *e;
    while ((e = dict_next(&it))) {
        size_t len;
        const char *k = dict_entry_key(e, &len);
        int id;
        memcpy(&id, k, 4);
        if (id != dbid)
            continue;
        if (!core->ready_keys)
            core->ready_keys = dict_new();
        int created;
        dict_upsert(core->ready_keys, k, len, &created);
    }
    dict_iter_done(&it);
}

void block_free_all(struct core *core)
{
    while (core->blocked_head)
        block_remove(core, core->blocked_head);
    if (core->blocking_keys)
        dict_free(core->blocking_keys, NULL);
    if (core->ready_keys)
        dict_free(core->ready_keys, NULL);
    core->blocking_keys = core->ready_keys = NULL;
}

/* Re-run c's blocked command; returns 1 if it is no longer blocked. */
static int rerun(struct core *core, struct client *c)
{
    struct block_state *b = c->bstate;
    struct cmd_ctx ctx = {
        .core = core,
        .client = c,
        .db = &core->dbs[c->db_index],
        .cmd = NULL,
        .argc = b->argc,
        .argv = b->argv,
        .out = &c->ro,
    };
    ctx.cmd = cmd_lookup(b->argv[0]);
    c->ro.proto = c->resp;
    b->rerunning = 1;
    b->reblocked = 0;
    cmd_call(&ctx);
    b->rerunning = 0;
    if (b->reblocked)
        return 0;
    block_remove(core, c);
    return 1;
}

static void serve_key(struct core *core, const char *k, size_t len,
                      void (*unblocked)(void *, struct client *), void *priv)
{
    struct waiters *w = dict_get(core->blocking_keys, k, len);
    if (!w || w->n == 0)
        return;
    /* snapshot: re-runs change the array */
    int n = w->n;
    struct client **snap = mem_memdup(w->c, sizeof(*w->c) * (size_t)n);
    for (int i = 0; i < n; i++) {
        struct client *c = snap[i];
        /* still blocked on this key? (an earlier re-run may have freed w) */
        struct waiters *cur = dict_get(core->blocking_keys, k, len);
        int found = 0;
        for (int j = 0; cur && j < cur->n && !found; j++)
            found = cur->c[j] == c;
        if (found && rerun(core, c))
            unblocked(priv, c);
    }
    mem_free(snap);
}

void block_serve_ready(struct core *core, void (*unblocked)(void *priv, struct client *c),
                       void *priv)
{
    while (core->ready_keys && dict_size(core->ready_keys) > 0) {
        struct dict *ready = core->ready_keys;
        core->ready_keys = NULL; /* keys signalled while serving go to a new set */
        struct dict_iter it;
        dict_iter_init(&it, ready);
        struct dict_entry *e;
        while ((e = dict_next(&it))) {
            size_t len;
            const char *k = dict_entry_key(e, &len);
            serve_key(core, k, len, unblocked, priv);
        }
        dict_iter_done(&it);
        dict_free(ready, NULL);
    }
}

void block_expire(struct core *core, int64_t now_ms,
                  void (*unblocked)(void *priv, struct client *c), void *priv)
{
    struct client *c = core->blocked_head;
    while (c) {
        struct client *next = c->bstate->bnext;
        if (c->bstate->deadline_ms && c->bstate->deadline_ms <= now_ms) {
            block_remove(core, c);
            c->ro.proto = c->resp;
            resp_null_array(&c->ro);
            unblocked(priv, c);
        }
        c = next;
    }
}

int64_t block_next_deadline(const struct core *core)
{
    int64_t best = -1;
    for (struct client *c = core->blocked_head; c; c = c->bstate->bnext)
        if (c->bstate->deadline_ms && (best < 0 || c->bstate->deadline_ms < best))
            best = c->bstate->deadline_ms;
    return best;
}

int block_unblock(struct core *core, struct client *c, int error)
{
    if (!c->bstate)
        return 0;
    block_remove(core, c);
    c->ro.proto = c->resp;
    if (error) {
        struct cmd_ctx ctx = {.core = core, .client = c, .out = &c->ro};
        cmd_error(&ctx, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else {
        resp_null_array(&c->ro);
    }
    if (core->client_unblocked)
        core->client_unblocked(core, c);
    return 1;
}

size_t block_count_clients(const struct core *core)
{
    return core->nblocked;
}

size_t block_count_keys(const struct core *core)
{
    return core->blocking_keys ? dict_size(core->blocking_keys) : 0;
}
