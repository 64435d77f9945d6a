/*
 * conn.c - client connections; see conn.h.
 *
 * Input: bytes are read into c->in; resp_parse() yields argument slices
 * pointing into it; each request is dispatched immediately, and the
 * parsed bytes are dropped once after the batch (so a pipeline of N
 * requests costs one memmove).  Output: every reply of the batch is
 * appended to c->out and written by server.c's before-sleep hook with a
 * single write() where possible.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/mem.h"
#include "multi.h"

#define READ_CHUNK (16 * 1024)
#define BIG_ARG (32 * 1024)

struct client *conn_new(struct core *core, int fd, const char *peer, const char *local,
                        uint32_t flags)
{
    struct client *c = mem_calloc(sizeof(*c));
    c->id = ++core->next_client_id;
    c->fd = fd;
    c->flags = flags;
    c->resp = 2;
    c->authenticated = !(core->cfg.requirepass && core->cfg.requirepass[0]);
    snprintf(c->addr, sizeof(c->addr), "%s", peer ? peer : "");
    snprintf(c->laddr, sizeof(c->laddr), "%s", local ? local : "");
    c->ctime_ms = c->last_interaction_ms = util_mstime();
    buf_init(&c->in);
    buf_init(&c->out);
    resp_state_reset(&c->pstate);
    c->argv_cap = 16;
    c->argv = mem_alloc(sizeof(*c->argv) * c->argv_cap);
    c->ro.b = &c->out;
    c->ro.proto = 2;
    c->next = core->clients;
    if (core->clients)
        core->clients->prev = c;
    core->clients = c;
    core->nclients++;
    return c;
}

void conn_free(struct core *core, struct client *c)
{
    multi_reset_client(core, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        core->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    core->nclients--;
    buf_free(&c->in);
    buf_free(&c->out);
    mem_free(c->argv);
    mem_free(c->name);
    mem_free(c->lib_name);
    mem_free(c->lib_ver);
    mem_free(c);
}

int conn_read(struct core *core, struct client *c)
{
    size_t want = READ_CHUNK;
    size_t rem = resp_bulk_remaining(&c->pstate, c->in.len);
    if (rem > BIG_ARG)
        want = rem; /* read a big argument in as few calls as possible */
    char *p = buf_reserve(&c->in, want);
    ssize_t n = read(c->fd, p, want);
    if (n == 0)
        return -1;
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    c->in.len += (size_t)n;
    core->stats.net_input_bytes += (uint64_t)n;
    core->stats.total_reads_processed++;
    c->last_interaction_ms = core->now_ms;
    if (c->in.len > c->qbuf_peak)
        c->qbuf_peak = c->in.len;
    if ((long long)c->in.len > core->cfg.client_query_buffer_limit) {
        core->stats.client_qbuf_limit_disconnections++;
        return -1;
    }
    return 0;
}

static void protocol_error(struct core *core, struct client *c, const char *err)
{
    struct cmd_ctx ctx = {.core = core, .client = c, .out = &c->ro};
    cmd_error(&ctx, err);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* Handle CLIENT REPLY OFF/SKIP: drop the reply bytes of this command. */
static void apply_reply_mode(struct client *c, size_t before)
{
    if (c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)) {
        c->out.len = before;
        c->flags &= ~(uint32_t)CLIENT_REPLY_SKIP;
    }
    if (c->flags & CLIENT_REPLY_SKIP_NEXT) {
        c->flags &= ~(uint32_t)CLIENT_REPLY_SKIP_NEXT;
        c->flags |= CLIENT_REPLY_SKIP;
    }
}

/* Parse one request from c->in at offset *off; returns 1 when one was
 * dispatched, 0 when more input is needed or the client must stop. */
static int process_one(struct core *core, struct client *c, size_t *off)
{
    struct resp_limits lim = {core->cfg.proto_max_bulk_len, c->authenticated};
    size_t argc = 0;
    const char *err = NULL;
    long r;
    for (;;) {
        r = resp_parse(c->in.data + *off, c->in.len - *off, &lim, &c->pstate, c->argv, c->argv_cap,
                       &argc, &err);
        if (r != RESP_NEED_ARGV)
            break;
        while (c->argv_cap < (size_t)c->pstate.argc_total)
            c->argv_cap *= 2;
        c->argv = mem_realloc(c->argv, sizeof(*c->argv) * c->argv_cap);
    }
    if (r == RESP_INCOMPLETE)
        return 0;
    resp_state_reset(&c->pstate);
    if (r == RESP_ERROR) {
        protocol_error(core, c, err);
        *off = c->in.len;
        return 0;
    }
    *off += (size_t)r;
    if (argc == 0)
        return 1;
    size_t before = c->out.len;
    c->ro.proto = c->resp;
    cmd_dispatch(core, c, (int)argc, c->argv);
    apply_reply_mode(c, before);
    return 1;
}

/* ---- pipelined batches ------------------------------------------------
 * When several whole multibulk requests are waiting, they are parsed first
 * (argv slices side by side in c->argv), the keys they name are prefetched
 * in three stages (bucket, entry, value) so that the cache misses of the
 * lookups overlap, and then they run one by one exactly as process_one
 * would run them.  Anything unusual (inline requests, which are unescaped
 * in place, partial or oversized requests, errors) goes to process_one. */

#define BATCH_MAX 16

struct batch_req {
    size_t argv_at; /* first slice in c->argv */
    int argc;
    size_t end; /* buffer offset just past the request */
};

static int parse_batch(struct core *core, struct client *c, size_t off, struct batch_req *reqs)
{
    struct resp_limits lim = {core->cfg.proto_max_bulk_len, c->authenticated};
    size_t used = 0;
    int n = 0;
    if (c->pstate.pos != 0) /* a request is half read: resume it the usual way */
        return 0;
    while (n < BATCH_MAX && off < c->in.len && c->in.data[off] == '*') {
        struct resp_state st;
        size_t argc = 0;
        const char *err = NULL;
        resp_state_reset(&st);
        long r = resp_parse(c->in.data + off, c->in.len - off, &lim, &st, c->argv + used,
                            c->argv_cap - used, &argc, &err);
        if (r <= 0 || argc == 0)
            break;
        off += (size_t)r;
        reqs[n++] = (struct batch_req){used, (int)argc, off};
        used += argc;
    }
    return n;
}

static void prefetch_batch(struct core *core, struct client *c, const struct batch_req *reqs, int n)
{
    const struct db *db = &core->dbs[c->db_index];
    for (int stage = 0; stage < 3; stage++)
        for (int i = 0; i < n; i++)
            if (reqs[i].argc >= 2)
                db_prefetch(db, c->argv[reqs[i].argv_at + 1], stage);
}

/* Run the parsed requests; returns 0 if the client stopped (blocked,
 * closing) before the end.  *off follows the requests that ran. */
static int run_batch(struct core *core, struct client *c, const struct batch_req *reqs, int n,
                     size_t *off)
{
    for (int i = 0; i < n; i++) {
        if (c->flags & (CLIENT_BLOCKED | CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP))
            return 0;
        size_t before = c->out.len;
        c->ro.proto = c->resp;
        *off = reqs[i].end;
        cmd_dispatch(core, c, reqs[i].argc, c->argv + reqs[i].argv_at);
        apply_reply_mode(c, before);
    }
    return 1;
}

void conn_process(struct core *core, struct client *c)
{
    size_t off = 0;
    struct batch_req reqs[BATCH_MAX];
    while (off < c->in.len &&
           !(c->flags & (CLIENT_BLOCKED | CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP))) {
        int n = parse_batch(core, c, off, reqs);
        if (n >= 2) {
            prefetch_batch(core, c, reqs, n);
            if (!run_batch(core, c, reqs, n, &off))
                break;
            continue;
        }
        if (!process_one(core, c, &off))
            break;
    }
    if (off > 0) {
        /* the resume state stores offsets relative to the request start,
           which moves to the buffer start: rebase through the parser */
        buf_consume(&c->in, off);
        if (c->in.len == 0 && c->in.cap > 64 * 1024)
            buf_shrink(&c->in, READ_CHUNK);
    }
}

int conn_has_output(const struct client *c)
{
    return c->out.len > c->out_sent;
}

int conn_write(struct core *core, struct client *c)
{
    while (c->out_sent < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->out_sent += (size_t)n;
        core->stats.net_output_bytes += (uint64_t)n;
        core->stats.total_writes_processed++;
    }
    c->out.len = c->out_sent = 0;
    if (c->out.cap > 256 * 1024)
        buf_shrink(&c->out, 16 * 1024);
    return 1;
}

int conn_run_pseudo(struct core *core, struct client *c, int argc, const struct slice *argv)
{
    uint64_t errs = core->stats.total_error_replies;
    c->ro.proto = c->resp;
    cmd_dispatch(core, c, argc, argv);
    c->out.len = 0;
    return core->stats.total_error_replies == errs ? 0 : -1;
}
