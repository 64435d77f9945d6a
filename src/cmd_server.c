/*
 * cmd_server.c - server administration commands: INFO, CONFIG, TIME,
 * LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF, SHUTDOWN, DEBUG, MEMORY,
 * FUNCTION, SCRIPT, ACL WHOAMI and the CLIENT family.
 *
 * Replies and error texts follow Redis 8.  What the server cannot do yet
 * is answered as an empty server would: FUNCTION and SCRIPT see no
 * libraries or scripts, ACL knows only the "default" user.  BGSAVE runs
 * the save synchronously (through core->save) before replying
 * "Background saving started".  SHUTDOWN saves here, when asked to or
 * when save points are configured, then sets core->shutdown_asap; the
 * server exits on its next loop iteration without replying.  CLIENT
 * PAUSE/UNPAUSE are not implemented.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aof.h"
#include "block.h"
#include "client.h"
#include "cmd.h"
#include "digest.h"
#include "config.h"
#include "core.h"
#include "db.h"
#include "info.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/util.h"
#include "obj.h"

#define ERR_BUF 512

static char *dup_arg(struct slice s)
{
    return mem_strndup(s.p, s.len);
}

static int arg_is(const struct cmd_ctx *ctx, int i, const char *word)
{
    return i < ctx->argc && util_eq_nocase(ctx->argv[i], word);
}

static void free_strings(char **v, int n)
{
    for (int i = 0; i < n; i++)
        mem_free(v[i]);
    mem_free(v);
}

/* ---- INFO -------------------------------------------------------------- */

void cmd_info(struct cmd_ctx *ctx)
{
    int n = ctx->argc - 1;
    char **names = mem_alloc(((size_t)n + 1) * sizeof(*names));
    struct buf b;
    for (int i = 0; i < n; i++)
        names[i] = dup_arg(ctx->argv[i + 1]);
    buf_init(&b);
    info_render(ctx->core, (const char *const *)names, n, &b);
    resp_verbatim(ctx->out, b.data ? b.data : "", b.len, "txt");
    buf_free(&b);
    free_strings(names, n);
}

/* ---- CONFIG ------------------------------------------------------------ */

struct get_state {
    struct resp_out *out;
    const char **seen; /* parameter names already replied (table pointers) */
    size_t n, cap;
};

static void config_get_one(void *priv, const char *name, const char *value)
{
    struct get_state *st = priv;
    for (size_t i = 0; i < st->n; i++)
        if (st->seen[i] == name)
            return;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->seen = mem_realloc(st->seen, st->cap * sizeof(*st->seen));
    }
    st->seen[st->n++] = name;
    resp_bulk_str(st->out, name);
    resp_bulk_str(st->out, value);
}

void cmd_config_get(struct cmd_ctx *ctx)
{
    struct get_state st = {ctx->out, NULL, 0, 0};
    size_t h = resp_defer_map(ctx->out);
    for (int i = 2; i < ctx->argc; i++)
        config_get_matching(&ctx->core->cfg, ctx->argv[i].p, ctx->argv[i].len, config_get_one, &st);
    resp_set_deferred_map(ctx->out, h, (long long)st.n);
    mem_free(st.seen);
}

void cmd_config_set(struct cmd_ctx *ctx)
{
    if (ctx->argc < 4 || (ctx->argc - 2) % 2 != 0) {
        cmd_error_arity(ctx);
        return;
    }
    int n = (ctx->argc - 2) / 2;
    char **names = mem_alloc((size_t)n * sizeof(*names));
    char **vals = mem_alloc((size_t)n * sizeof(*vals));
    char err[ERR_BUF];
    for (int i = 0; i < n; i++) {
        names[i] = dup_arg(ctx->argv[2 + 2 * i]);
        vals[i] = dup_arg(ctx->argv[3 + 2 * i]);
    }
    if (config_set_many(&ctx->core->cfg, n, (const char *const *)names, (const char *const *)vals,
                        err, sizeof(err)) < 0) {
        cmd_errorf(ctx, "ERR %s", err);
    } else {
        log_set_level(ctx->core->cfg.loglevel);
        resp_ok(ctx->out);
    }
    free_strings(names, n);
    free_strings(vals, n);
}

void cmd_config_resetstat(struct cmd_ctx *ctx)
{
    info_reset_stats(ctx->core);
    resp_ok(ctx->out);
}

void cmd_config_rewrite(struct cmd_ctx *ctx)
{
    char err[ERR_BUF];
    if (config_rewrite(&ctx->core->cfg, err, sizeof(err)) < 0) {
        log_msg(LOG_WARNING, "CONFIG REWRITE failed: %s", err);
        cmd_errorf(ctx, "ERR %s", err);
        return;
    }
    log_msg(LOG_NOTICE, "CONFIG REWRITE executed with success.");
    resp_ok(ctx->out);
}

void cmd_config_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "GET <pattern> [<pattern> ...]",
        "    Return the parameters matching the glob-like patterns, with their values.",
        "SET <parameter> <value> [<parameter> <value> ...]",
        "    Set the parameters to the values: all of them, or none on error.",
        "RESETSTAT",
        "    Reset the statistics reported by INFO.",
        "REWRITE",
        "    Write the running configuration back to the configuration file.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}

/* ---- TIME, LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF ------------------------ */

void cmd_time(struct cmd_ctx *ctx)
{
    int64_t us = util_ustime();
    resp_array(ctx->out, 2);
    resp_bulk_ll(ctx->out, us / 1000000);
    resp_bulk_ll(ctx->out, us % 1000000);
}

void cmd_lastsave(struct cmd_ctx *ctx)
{
    resp_int(ctx->out, (long long)ctx->core->lastsave_s);
}

/* Run core->save; on failure reply the error and return -1. */
static int run_save(struct cmd_ctx *ctx)
{
    char err[ERR_BUF] = "";
    struct core *core = ctx->core;
    if (!core->save) {
        cmd_error(ctx, "ERR saving is not supported by this server");
        return -1;
    }
    if (core->save(core, err, sizeof(err)) < 0) {
        if (err[0])
            cmd_errorf(ctx, "ERR %s", err);
        else
            cmd_error(ctx, "ERR");
        return -1;
    }
    return 0;
}

void cmd_save(struct cmd_ctx *ctx)
{
    if (run_save(ctx) == 0)
        resp_ok(ctx->out);
}

/* BGSAVE [SCHEDULE]: saved synchronously for now, same reply as Redis. */
void cmd_bgsave(struct cmd_ctx *ctx)
{
    if (ctx->argc > 2 || (ctx->argc == 2 && !arg_is(ctx, 1, "SCHEDULE"))) {
        cmd_error_syntax(ctx);
        return;
    }
    if (run_save(ctx) == 0)
        resp_simple(ctx->out, "Background saving started");
}

void cmd_bgrewriteaof(struct cmd_ctx *ctx)
{
    char err[ERR_BUF] = "";
    struct core *core = ctx->core;
    if (!core->bgrewriteaof) {
        cmd_error(ctx, "ERR AOF is not supported yet");
        return;
    }
    if (core->bgrewriteaof(core, err, sizeof(err)) < 0) {
        cmd_errorf(ctx, "ERR %s", err[0] ? err : "Background append only file rewriting failed");
        return;
    }
    resp_simple(ctx->out, "Background append only file rewriting started");
}

/* ---- SHUTDOWN ---------------------------------------------------------- */

enum { SD_NOSAVE = 1, SD_SAVE = 2, SD_NOW = 4, SD_FORCE = 8, SD_ABORT = 16 };

static int shutdown_parse(struct cmd_ctx *ctx)
{
    static const struct {
        const char *word;
        int flag;
    } words[] = {
        {"NOSAVE", SD_NOSAVE}, {"SAVE", SD_SAVE},   {"NOW", SD_NOW},
        {"FORCE", SD_FORCE},   {"ABORT", SD_ABORT},
    };
    int flags = 0;
    for (int i = 1; i < ctx->argc; i++) {
        int f = 0;
        for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
            if (arg_is(ctx, i, words[k].word))
                f = words[k].flag;
        if (!f)
            return -1;
        flags |= f;
    }
    if ((flags & SD_NOSAVE) && (flags & SD_SAVE))
        return -1;
    if ((flags & SD_ABORT) && flags != SD_ABORT)
        return -1;
    return flags;
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT].  No reply on success: the
 * connection goes away with the server. */
void cmd_shutdown(struct cmd_ctx *ctx)
{
    struct core *core = ctx->core;
    int flags = shutdown_parse(ctx);
    if (flags < 0) {
        cmd_error_syntax(ctx);
        return;
    }
    if (flags & SD_ABORT) {
        cmd_error(ctx, "ERR No shutdown in progress.");
        return;
    }
    int want_save =
        (flags & SD_SAVE) || (!(flags & SD_NOSAVE) && core->cfg.save && core->cfg.save[0]);
    if (want_save && !core->loading && core->save) {
        char err[ERR_BUF] = "";
        if (core->save(core, err, sizeof(err)) < 0) {
            log_msg(LOG_WARNING, "Error trying to save the DB before shutdown: %s", err);
            if (!(flags & SD_FORCE)) {
                cmd_error(ctx, "ERR Errors trying to SHUTDOWN. Check logs.");
                return;
            }
        }
    }
    core->shutdown_flags = flags;
    core->shutdown_asap = 1;
}

/* ---- DEBUG ------------------------------------------------------------- */

static int is_local_client(const struct client *c)
{
    char ip[64];
    if (c->flags & (CLIENT_UNIX | CLIENT_PSEUDO))
        return 1;
    const char *colon = strrchr(c->addr, ':');
    size_t n = colon ? (size_t)(colon - c->addr) : strlen(c->addr);
    const char *p = c->addr;
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
    }
    if (n >= sizeof(ip))
        return 0;
    memcpy(ip, p, n);
    ip[n] = '\0';
    return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0;
}

static int debug_allowed(const struct cmd_ctx *ctx)
{
    int mode = ctx->core->cfg.enable_debug_command;
    if (mode == 1 || !ctx->client || (ctx->client->flags & CLIENT_PSEUDO))
        return 1;
    return mode == 2 && is_local_client(ctx->client);
}

/* Bytes the value would take in an RDB file (uncompressed estimate). */
static size_t serialized_length(const struct obj *o)
{
    long long v;
    if (o->type != OBJ_STRING)
        return obj_mem_usage(o);
    if (o->len <= 11 && util_parse_ll(o->data, o->len, &v) == 0 && v >= INT32_MIN && v <= INT32_MAX)
        return v >= -128 && v <= 127 ? 2 : v >= -32768 && v <= 32767 ? 3 : 5;
    size_t prefix = o->len < 64 ? 1 : o->len < 16384 ? 2 : o->len <= UINT32_MAX ? 5 : 9;
    return prefix + o->len;
}

static void debug_object(struct cmd_ctx *ctx)
{
    struct obj *o = db_peek(ctx->db, ctx->argv[2]);
    char line[256];
    if (!o) {
        cmd_error(ctx, "ERR no such key");
        return;
    }
    uint32_t clock = db_lru_clock();
    snprintf(line, sizeof(line),
             "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u "
             "lru_seconds_idle:%llu",
             (void *)o, obj_encoding_name(o), serialized_length(o), o->lru & 0xFFFFFFu,
             (unsigned long long)(clock > o->lru ? clock - o->lru : 0));
    resp_simple(ctx->out, line);
}

static void debug_sleep(struct cmd_ctx *ctx)
{
    char *s = dup_arg(ctx->argv[2]);
    double secs = strtod(s, NULL);
    mem_free(s);
    if (secs > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)secs;
        ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    resp_ok(ctx->out);
}

static void debug_set_active_expire(struct cmd_ctx *ctx)
{
    long long v;
    if (util_parse_ll(ctx->argv[2].p, ctx->argv[2].len, &v) < 0) {
        cmd_error_not_integer(ctx);
        return;
    }
    ctx->core->active_expire_enabled = v != 0;
    resp_ok(ctx->out);
}

static void debug_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "CHANGE-REPL-ID",
        "    Accepted for compatibility; there is no replication id to change.",
        "DIGEST",
        "    Output a hex signature representing the current dataset.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of the given keys.",
        "LOADAOF",
        "    Flush the dataset and load it again from the append only file.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low-level information about the value of <key>.",
        "RELOAD",
        "    Save the dataset in its persisted form, flush it and load it back.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Turn the periodic expiry of keys off (0) or on (1).",
        "SLEEP <seconds>",
        "    Block the server for <seconds> (a decimal number).",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}

static void debug_digest(struct cmd_ctx *ctx)
{
    unsigned char d[DIGEST_LEN];
    char hex[2 * DIGEST_LEN + 1];
    digest_dataset(ctx->core->dbs, ctx->core->ndbs, d);
    digest_hex(d, hex);
    resp_simple(ctx->out, hex);
}

/* One digest per key; a missing key gives 40 zeros, as in Redis. */
static void debug_digest_value(struct cmd_ctx *ctx)
{
    resp_array(ctx->out, ctx->argc - 2);
    for (int i = 2; i < ctx->argc; i++) {
        unsigned char d[DIGEST_LEN] = {0};
        char hex[2 * DIGEST_LEN + 1];
        struct obj *o = db_peek(ctx->db, ctx->argv[i]);
        if (o)
            digest_obj(o, d);
        digest_hex(d, hex);
        resp_simple(ctx->out, hex);
    }
}

void cmd_debug(struct cmd_ctx *ctx)
{
    if (!debug_allowed(ctx)) {
        cmd_error(ctx, "ERR DEBUG command not allowed. If the enable-debug-command option is "
                       "set to \"local\", you can run it from a local connection, otherwise "
                       "you need to set this option in the configuration file, and then "
                       "restart the server.");
        return;
    }
    if (arg_is(ctx, 1, "HELP") && ctx->argc == 2) {
        debug_help(ctx);
    } else if (arg_is(ctx, 1, "SLEEP") && ctx->argc == 3) {
        debug_sleep(ctx);
    } else if (arg_is(ctx, 1, "OBJECT") && ctx->argc == 3) {
        debug_object(ctx);
    } else if (arg_is(ctx, 1, "LOG") && ctx->argc == 3) {
        log_msg(LOG_WARNING, "DEBUG LOG: %.*s", (int)ctx->argv[2].len, ctx->argv[2].p);
        resp_ok(ctx->out);
    } else if (arg_is(ctx, 1, "SET-ACTIVE-EXPIRE") && ctx->argc == 3) {
        debug_set_active_expire(ctx);
    } else if ((arg_is(ctx, 1, "LOADAOF") || arg_is(ctx, 1, "RELOAD")) && ctx->argc == 2) {
        char err[ERR_BUF];
        int r = arg_is(ctx, 1, "RELOAD") ? aof_debug_reload(ctx->core, err, sizeof(err))
                                         : aof_core_reload(ctx->core, err, sizeof(err));
        if (r < 0)
            cmd_errorf(ctx, "ERR %s", err);
        else
            resp_ok(ctx->out);
    } else if (arg_is(ctx, 1, "DIGEST") && ctx->argc == 2) {
        debug_digest(ctx);
    } else if (arg_is(ctx, 1, "DIGEST-VALUE")) {
        debug_digest_value(ctx);
    } else if (arg_is(ctx, 1, "CHANGE-REPL-ID") && ctx->argc == 2) {
        resp_ok(ctx->out);
    } else {
        cmd_error_sub_args(ctx);
    }
}

/* ---- MEMORY ------------------------------------------------------------ */

void cmd_memory_usage(struct cmd_ctx *ctx)
{
    long long samples;
    if (ctx->argc == 5 && arg_is(ctx, 3, "SAMPLES")) {
        if (util_parse_ll(ctx->argv[4].p, ctx->argv[4].len, &samples) < 0) {
            cmd_error_not_integer(ctx);
            return;
        }
        if (samples < 0) {
            cmd_error(ctx, "ERR value is out of range, must be positive");
            return;
        }
    } else if (ctx->argc != 3) {
        cmd_error_syntax(ctx);
        return;
    }
    struct obj *o = db_peek(ctx->db, ctx->argv[2]);
    if (!o) {
        resp_null(ctx->out);
        return;
    }
    /* the dict entry: next pointer, value, key length, then the key bytes */
    size_t entry = (3 * sizeof(void *) + ctx->argv[2].len + 7) & ~(size_t)7;
    resp_int(ctx->out, (long long)(obj_mem_usage(o) + entry));
}

static void stat_int(struct resp_out *o, const char *name, long long v)
{
    resp_bulk_str(o, name);
    resp_int(o, v);
}

static void stat_double(struct resp_out *o, const char *name, double v)
{
    resp_bulk_str(o, name);
    resp_double(o, v);
}

/* The per-db entries of MEMORY STATS; returns how many were written. */
static long long memory_stats_dbs(struct core *core, struct resp_out *o)
{
    long long n = 0;
    char name[32];
    for (int i = 0; i < core->ndbs; i++) {
        struct db *db = &core->dbs[i];
        if (db_size(db) == 0)
            continue;
        snprintf(name, sizeof(name), "db.%d", i);
        resp_bulk_str(o, name);
        resp_map(o, 2);
        stat_int(o, "overhead.hashtable.main", (long long)dict_mem_usage(db->keys));
        stat_int(o, "overhead.hashtable.expires", (long long)dict_mem_usage(db->expires));
        n++;
    }
    return n;
}

void cmd_memory_stats(struct cmd_ctx *ctx)
{
    struct resp_out *o = ctx->out;
    struct info_mem m;
    info_memory(ctx->core, &m);
    size_t h = resp_defer_map(o);
    size_t net = m.used > m.startup ? m.used - m.startup : 0;
    stat_int(o, "peak.allocated", (long long)m.peak);
    stat_int(o, "total.allocated", (long long)m.used);
    stat_int(o, "startup.allocated", (long long)m.startup);
    stat_int(o, "replication.backlog", 0);
    stat_int(o, "clients.slaves", 0);
    stat_int(o, "clients.normal", (long long)m.clients);
    stat_int(o, "cluster.links", 0);
    stat_int(o, "aof.buffer", 0);
    stat_int(o, "lua.caches", 0);
    stat_int(o, "functions.caches", 0);
    long long n = 10 + memory_stats_dbs(ctx->core, o);
    stat_int(o, "overhead.total", (long long)m.overhead);
    stat_int(o, "keys.count", (long long)m.keys);
    stat_int(o, "keys.bytes-per-key", m.keys ? (long long)(net / m.keys) : 0);
    stat_int(o, "dataset.bytes", (long long)m.dataset);
    stat_double(o, "dataset.percentage", net ? (double)m.dataset * 100 / (double)net : 0);
    stat_double(o, "peak.percentage", m.peak ? (double)m.used * 100 / (double)m.peak : 0);
    stat_double(o, "fragmentation", m.used ? (double)m.rss / (double)m.used : 0);
    stat_int(o, "fragmentation.bytes", (long long)m.rss - (long long)m.used);
    resp_set_deferred_map(o, h, n + 8);
}

void cmd_memory_doctor(struct cmd_ctx *ctx)
{
    struct info_mem m;
    const char *text;
    info_memory(ctx->core, &m);
    if (m.used < 5 * 1024 * 1024)
        text = "Hi Sam, this instance holds very little data, so there is nothing for me to "
               "diagnose yet. Come back when it stores more.\n";
    else if (m.rss > m.used + m.used / 2)
        text = "Hi Sam, the resident memory is much larger than the memory in use: the "
               "allocator is holding fragmented or freed pages. This is usually harmless "
               "after many keys were deleted.\n";
    else
        text = "Hi Sam, I found no memory problem in this instance.\n";
    resp_verbatim(ctx->out, text, strlen(text), "txt");
}

void cmd_memory_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "DOCTOR",
        "    Describe memory problems, if any.",
        "STATS",
        "    Return a map of the memory usage figures of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return the bytes taken by <key> and its value.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}

/* ---- FUNCTION, SCRIPT, ACL --------------------------------------------- */

/* FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern]: no library exists. */
void cmd_function_list(struct cmd_ctx *ctx)
{
    int withcode = 0, libname = 0;
    for (int i = 2; i < ctx->argc; i++) {
        if (!withcode && arg_is(ctx, i, "WITHCODE")) {
            withcode = 1;
        } else if (!libname && arg_is(ctx, i, "LIBRARYNAME")) {
            if (i + 1 >= ctx->argc) {
                cmd_error(ctx, "ERR library name argument was not given");
                return;
            }
            libname = 1;
            i++;
        } else {
            cmd_errorf(ctx, "ERR Unknown argument %.*s", (int)ctx->argv[i].len, ctx->argv[i].p);
            return;
        }
    }
    resp_array(ctx->out, 0);
}

void cmd_function_flush(struct cmd_ctx *ctx)
{
    if (ctx->argc > 3 || (ctx->argc == 3 && !arg_is(ctx, 2, "ASYNC") && !arg_is(ctx, 2, "SYNC"))) {
        cmd_error(ctx, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    cmd_propagate_as_is(ctx);
    resp_ok(ctx->out);
}

void cmd_function_stats(struct cmd_ctx *ctx)
{
    struct resp_out *o = ctx->out;
    resp_map(o, 2);
    resp_bulk_str(o, "running_script");
    resp_null(o);
    resp_bulk_str(o, "engines");
    resp_map(o, 1);
    resp_bulk_str(o, "LUA");
    resp_map(o, 2);
    stat_int(o, "libraries_count", 0);
    stat_int(o, "functions_count", 0);
}

void cmd_function_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "LIST [WITHCODE] [LIBRARYNAME <pattern>]",
        "    Return the loaded libraries (this server has none).",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "STATS",
        "    Return information about the running function and the engines.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}

void cmd_script_flush(struct cmd_ctx *ctx)
{
    if (ctx->argc > 3 || (ctx->argc == 3 && !arg_is(ctx, 2, "ASYNC") && !arg_is(ctx, 2, "SYNC"))) {
        cmd_error(ctx, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    resp_ok(ctx->out);
}

void cmd_script_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "FLUSH [ASYNC|SYNC]",
        "    Empty the script cache (this server caches no scripts).",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}

void cmd_acl_whoami(struct cmd_ctx *ctx)
{
    resp_bulk_str(ctx->out, "default");
}

void cmd_acl_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "WHOAMI",
        "    Return the name of the user of the current connection.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}

/* ---- CLIENT: describing connections ------------------------------------ */

static void client_flags_text(const struct client *c, char *out)
{
    static const struct {
        uint32_t flag;
        char letter;
    } map[] = {
        {CLIENT_MULTI, 'x'},      {CLIENT_BLOCKED, 'b'},
        {CLIENT_DIRTY_CAS, 'd'},  {CLIENT_CLOSE_AFTER_REPLY, 'c'},
        {CLIENT_CLOSE_ASAP, 'A'}, {CLIENT_UNIX, 'U'},
        {CLIENT_NO_EVICT, 'e'},   {CLIENT_NO_TOUCH, 'T'},
    };
    char *p = out;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (c->flags & map[i].flag)
            *p++ = map[i].letter;
    if (p == out)
        *p++ = 'N';
    *p = '\0';
}

static size_t multi_mem(const struct client *c)
{
    size_t n = 0;
    for (int i = 0; i < c->mq_len; i++) {
        n += (size_t)c->mq[i].argc * sizeof(struct slice);
        for (int k = 0; k < c->mq[i].argc; k++)
            n += c->mq[i].argv[k].len;
    }
    return n;
}

/* One CLIENT LIST line (with its "\n") for c; ctx is the caller. */
static void client_line(const struct cmd_ctx *ctx, const struct client *c, struct buf *b)
{
    char flags[16];
    int self = c == ctx->client;
    int64_t now = ctx->now_ms ? ctx->now_ms : util_mstime();
    size_t argv_mem = 0, obl = c->out.len > c->out_sent ? c->out.len - c->out_sent : 0;
    if (self)
        for (int i = 0; i < ctx->argc; i++)
            argv_mem += ctx->argv[i].len;
    const char *cmd = self ? ctx->cmd->fullname : c->last_cmd ? c->last_cmd : "NULL";
    client_flags_text(c, flags);
    buf_printf(b,
               "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
               "sub=0 psub=0 ssub=0 multi=%d watch=0 qbuf=%zu qbuf-free=%zu argv-mem=%zu "
               "multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=0 omem=0 tot-mem=%zu events=%s "
               "cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s io-thread=0 "
               "tot-net-in=0 tot-net-out=0 tot-cmds=%lld\n",
               (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
               (long long)((now - c->ctime_ms) / 1000),
               (long long)((now - c->last_interaction_ms) / 1000), flags, c->db_index,
               (c->flags & CLIENT_MULTI) ? c->mq_len : -1, c->in.len, c->in.cap - c->in.len,
               argv_mem, multi_mem(c), c->out.cap, c->out.len, obl, info_client_memory(c),
               obl ? "rw" : "r", cmd, c->resp, c->lib_name ? c->lib_name : "",
               c->lib_ver ? c->lib_ver : "", (long long)c->tot_cmds);
}

enum { CT_ANY = -1, CT_NORMAL, CT_MASTER, CT_REPLICA, CT_PUBSUB };

/* Client type by name (CLIENT LIST/KILL TYPE); -2 when unknown. */
static int client_type_by_name(struct slice s)
{
    if (util_eq_nocase(s, "normal"))
        return CT_NORMAL;
    if (util_eq_nocase(s, "master"))
        return CT_MASTER;
    if (util_eq_nocase(s, "replica") || util_eq_nocase(s, "slave"))
        return CT_REPLICA;
    if (util_eq_nocase(s, "pubsub"))
        return CT_PUBSUB;
    return -2;
}

/* Every connection is a normal client for now (no replication, pubsub). */
static int client_has_type(const struct client *c, int type)
{
    (void)c;
    return type == CT_ANY || type == CT_NORMAL;
}

void cmd_client_info(struct cmd_ctx *ctx)
{
    struct buf b;
    buf_init(&b);
    client_line(ctx, ctx->client, &b);
    resp_verbatim(ctx->out, b.data, b.len, "txt");
    buf_free(&b);
}

/* Parse CLIENT LIST [TYPE type] [ID id [id ...]]; ids point into ctx->argv
 * positions [*first_id, argc).  Returns -1 after replying an error. */
static int client_list_args(struct cmd_ctx *ctx, int *type, int *first_id)
{
    int i = 2;
    *type = CT_ANY;
    *first_id = ctx->argc;
    if (arg_is(ctx, i, "TYPE") && i + 1 < ctx->argc) {
        if ((*type = client_type_by_name(ctx->argv[i + 1])) == -2) {
            cmd_errorf(ctx, "ERR Unknown client type '%.*s'", (int)ctx->argv[i + 1].len,
                       ctx->argv[i + 1].p);
            return -1;
        }
        i += 2;
    }
    if (arg_is(ctx, i, "ID") && i + 1 < ctx->argc) {
        *first_id = i + 1;
        for (int k = i + 1; k < ctx->argc; k++) {
            long long id;
            if (util_parse_ll(ctx->argv[k].p, ctx->argv[k].len, &id) < 0 || id < 1) {
                cmd_error(ctx, "ERR Invalid client ID");
                return -1;
            }
        }
        i = ctx->argc;
    }
    if (i != ctx->argc) {
        cmd_error_syntax(ctx);
        return -1;
    }
    return 0;
}

static int id_listed(const struct cmd_ctx *ctx, int first, uint64_t id)
{
    if (first >= ctx->argc)
        return 1;
    for (int k = first; k < ctx->argc; k++) {
        long long v;
        if (util_parse_ll(ctx->argv[k].p, ctx->argv[k].len, &v) == 0 && (uint64_t)v == id)
            return 1;
    }
    return 0;
}

void cmd_client_list(struct cmd_ctx *ctx)
{
    int type, first_id;
    struct buf b;
    if (client_list_args(ctx, &type, &first_id) < 0)
        return;
    buf_init(&b);
    for (const struct client *c = ctx->core->clients; c; c = c->next) {
        if ((c->flags & CLIENT_PSEUDO) || !client_has_type(c, type) ||
            !id_listed(ctx, first_id, c->id))
            continue;
        client_line(ctx, c, &b);
    }
    resp_verbatim(ctx->out, b.data ? b.data : "", b.len, "txt");
    buf_free(&b);
}

/* ---- CLIENT KILL ------------------------------------------------------- */

struct kill_filter {
    long long id; /* 0: any */
    int type;     /* CT_ANY: any */
    struct slice addr, laddr;
    int has_addr, has_laddr;
    int skipme;
    long long maxage; /* 0: any */
};

static int slice_eq_str(struct slice s, const char *str)
{
    return s.len == strlen(str) && memcmp(s.p, str, s.len) == 0;
}

static int kill_matches(const struct cmd_ctx *ctx, const struct kill_filter *f,
                        const struct client *c)
{
    int64_t now = ctx->now_ms ? ctx->now_ms : util_mstime();
    if (c->flags & CLIENT_PSEUDO)
        return 0;
    if (f->id && c->id != (uint64_t)f->id)
        return 0;
    if (!client_has_type(c, f->type))
        return 0;
    if ((f->has_addr && !slice_eq_str(f->addr, c->addr)) ||
        (f->has_laddr && !slice_eq_str(f->laddr, c->laddr)))
        return 0;
    if (f->skipme && c == ctx->client)
        return 0;
    if (f->maxage && (now - c->ctime_ms) / 1000 <= f->maxage)
        return 0;
    return 1;
}

/* One "FILTER value" pair of the new form; -1 after replying an error. */
static int kill_filter_pair(struct cmd_ctx *ctx, int i, struct kill_filter *f)
{
    struct slice v = ctx->argv[i + 1];
    if (arg_is(ctx, i, "ID")) {
        if (util_parse_ll(v.p, v.len, &f->id) < 0 || f->id <= 0) {
            cmd_error(ctx, "ERR client-id should be greater than 0");
            return -1;
        }
    } else if (arg_is(ctx, i, "TYPE")) {
        if ((f->type = client_type_by_name(v)) == -2) {
            cmd_errorf(ctx, "ERR Unknown client type '%.*s'", (int)v.len, v.p);
            return -1;
        }
    } else if (arg_is(ctx, i, "USER")) {
        if (!slice_eq_str(v, "default")) {
            cmd_errorf(ctx, "ERR No such user '%.*s'", (int)v.len, v.p);
            return -1;
        }
    } else if (arg_is(ctx, i, "ADDR") || arg_is(ctx, i, "LADDR")) {
        int local = arg_is(ctx, i, "LADDR");
        *(local ? &f->laddr : &f->addr) = v;
        *(local ? &f->has_laddr : &f->has_addr) = 1;
    } else if (arg_is(ctx, i, "SKIPME") &&
               (arg_is(ctx, i + 1, "yes") || arg_is(ctx, i + 1, "no"))) {
        f->skipme = arg_is(ctx, i + 1, "yes");
    } else if (arg_is(ctx, i, "MAXAGE")) {
        if (util_parse_ll(v.p, v.len, &f->maxage) < 0) {
            cmd_error_not_integer(ctx);
            return -1;
        }
    } else {
        cmd_error_syntax(ctx);
        return -1;
    }
    return 0;
}

static int kill_all_matching(struct cmd_ctx *ctx, const struct kill_filter *f)
{
    struct core *core = ctx->core;
    int killed = 0;
    for (struct client *c = core->clients, *next; c; c = next) {
        next = c->next;
        if (!kill_matches(ctx, f, c))
            continue;
        if (core->kill_client)
            core->kill_client(core, c);
        else
            c->flags |= CLIENT_CLOSE_AFTER_REPLY;
        killed++;
    }
    return killed;
}

/* CLIENT KILL ip:port  |  CLIENT KILL <filter> <value> [...] */
void cmd_client_kill(struct cmd_ctx *ctx)
{
    struct kill_filter f;
    memset(&f, 0, sizeof(f));
    f.type = CT_ANY;
    if (ctx->argc == 3) {
        f.addr = ctx->argv[2];
        f.has_addr = 1;
        if (kill_all_matching(ctx, &f) == 0)
            cmd_error(ctx, "ERR No such client");
        else
            resp_ok(ctx->out);
        return;
    }
    if ((ctx->argc - 2) % 2 != 0) {
        cmd_error_syntax(ctx);
        return;
    }
    f.skipme = 1;
    for (int i = 2; i < ctx->argc; i += 2)
        if (kill_filter_pair(ctx, i, &f) < 0)
            return;
    resp_int(ctx->out, kill_all_matching(ctx, &f));
}

/* CLIENT UNBLOCK client-id [TIMEOUT|ERROR] */
void cmd_client_unblock(struct cmd_ctx *ctx)
{
    long long id;
    int error = 0;
    if (util_parse_ll(ctx->argv[2].p, ctx->argv[2].len, &id) < 0) {
        cmd_error_not_integer(ctx);
        return;
    }
    if (ctx->argc == 4) {
        if (arg_is(ctx, 3, "ERROR")) {
            error = 1;
        } else if (!arg_is(ctx, 3, "TIMEOUT")) {
            cmd_error(ctx, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if (ctx->argc > 4) {
        cmd_error_syntax(ctx);
        return;
    }
    struct client *c = ctx->core->clients;
    while (c && c->id != (uint64_t)id)
        c = c->next;
    int done = c && (c->flags & CLIENT_BLOCKED) && block_unblock(ctx->core, c, error);
    resp_int(ctx->out, done ? 1 : 0);
}

/* ---- CLIENT: the caller's own settings --------------------------------- */

void cmd_client_id(struct cmd_ctx *ctx)
{
    resp_int(ctx->out, (long long)ctx->client->id);
}

/* Names and library infos may not break the CLIENT LIST format. */
static int printable_word(struct slice s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '!' || s.p[i] > '~')
            return 0;
    return 1;
}

static void set_owned(char **slot, struct slice v)
{
    mem_free(*slot);
    *slot = v.len ? dup_arg(v) : NULL;
}

void cmd_client_setname(struct cmd_ctx *ctx)
{
    if (!printable_word(ctx->argv[2])) {
        cmd_error(ctx, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    set_owned(&ctx->client->name, ctx->argv[2]);
    resp_ok(ctx->out);
}

void cmd_client_getname(struct cmd_ctx *ctx)
{
    if (ctx->client->name)
        resp_bulk_str(ctx->out, ctx->client->name);
    else
        resp_null(ctx->out);
}

void cmd_client_setinfo(struct cmd_ctx *ctx)
{
    struct slice attr = ctx->argv[2], val = ctx->argv[3];
    char **slot;
    if (util_eq_nocase(attr, "lib-name")) {
        slot = &ctx->client->lib_name;
    } else if (util_eq_nocase(attr, "lib-ver")) {
        slot = &ctx->client->lib_ver;
    } else {
        cmd_errorf(ctx, "ERR Unrecognized option '%.*s'", (int)attr.len, attr.p);
        return;
    }
    if (!printable_word(val)) {
        cmd_errorf(ctx, "ERR %.*s cannot contain spaces, newlines or special characters.",
                   (int)attr.len, attr.p);
        return;
    }
    set_owned(slot, val);
    resp_ok(ctx->out);
}

/* CLIENT NO-EVICT / NO-TOUCH ON|OFF */
static void client_on_off_flag(struct cmd_ctx *ctx, uint32_t flag)
{
    if (arg_is(ctx, 2, "ON")) {
        ctx->client->flags |= flag;
    } else if (arg_is(ctx, 2, "OFF")) {
        ctx->client->flags &= ~flag;
    } else {
        cmd_error_syntax(ctx);
        return;
    }
    resp_ok(ctx->out);
}

void cmd_client_no_evict(struct cmd_ctx *ctx)
{
    client_on_off_flag(ctx, CLIENT_NO_EVICT);
}

void cmd_client_no_touch(struct cmd_ctx *ctx)
{
    client_on_off_flag(ctx, CLIENT_NO_TOUCH);
}

/* CLIENT REPLY ON|OFF|SKIP: conn.c drops the replies while OFF or for the
 * command after SKIP; only ON is answered. */
void cmd_client_reply(struct cmd_ctx *ctx)
{
    struct client *c = ctx->client;
    if (arg_is(ctx, 2, "ON")) {
        c->flags &= ~(uint32_t)(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT);
        resp_ok(ctx->out);
    } else if (arg_is(ctx, 2, "OFF")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (arg_is(ctx, 2, "SKIP")) {
        if (!(c->flags & CLIENT_REPLY_OFF))
            c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        cmd_error_syntax(ctx);
    }
}

void cmd_client_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the id of the current connection.",
        "INFO",
        "    Return information about the current connection.",
        "KILL <ip:port>",
        "    Kill the connection at <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill the connections matching all the filters: ID <client-id>,",
        "    TYPE <normal|master|replica|pubsub>, USER <username>, ADDR <ip:port>,",
        "    LADDR <ip:port>, SKIPME <yes|no> (default yes), MAXAGE <seconds>.",
        "LIST [TYPE <normal|master|replica|pubsub>] [ID <client-id> [<client-id> ...]]",
        "    Return information about the connections.",
        "NO-EVICT <ON|OFF>",
        "    Protect the current connection from client eviction.",
        "NO-TOUCH <ON|OFF>",
        "    Leave the access time of keys unchanged by this connection's commands.",
        "REPLY <ON|OFF|SKIP>",
        "    Turn replies on or off, or skip the reply of the next command.",
        "SETINFO <LIB-NAME|LIB-VER> <value>",
        "    Record the client library name or version of the connection.",
        "SETNAME <name>",
        "    Name the current connection.",
        "UNBLOCK <client-id> [TIMEOUT|ERROR]",
        "    Unblock a client blocked in a blocking command, as on a timeout or with an error.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}
