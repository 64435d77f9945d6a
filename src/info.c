/*
 * info.c - INFO: one function per section, each appending Redis's
 * "field:value\r\n" lines under a "# Title" header.
 *
 * Figures come from struct core (configuration, statistics, clients,
 * databases) and from the process (getrusage, /proc/self/statm, uname).
 * Replication, cluster, modules and background persistence do not exist
 * yet, so their fields are the constants of an idle standalone master.
 *
 * The instantaneous rates are averages over the last 16 samples taken by
 * info_cron (every ~100 ms), as Redis computes them.
 */
#include "info.h"

#include "aof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "block.h"
#include "client.h"
#include "cmd.h"
#include "core.h"
#include "lib/dict.h"
#include "lib/mem.h"
#include "lib/util.h"

#define NSAMPLES 16

struct metric {
    uint64_t last_value;
    int64_t last_ms;
    uint64_t samples[NSAMPLES]; /* per-second rates */
    int idx;
};

static size_t mem_startup;
static size_t mem_peak;
static struct metric m_ops, m_net_in, m_net_out;
static char master_replid[41];

/* ---- shared figures ---------------------------------------------------- */

void info_bytes_human(char *dst, size_t cap, unsigned long long n)
{
    static const char units[] = "KMGTP";
    double d = (double)n;
    int u = -1;
    while (d >= 1024 && u < (int)sizeof(units) - 2) {
        d /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(dst, cap, "%lluB", n);
    else
        snprintf(dst, cap, "%.2f%c", d, units[u]);
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

size_t info_client_memory(const struct client *c)
{
    size_t n = sizeof(*c) + c->in.cap + c->out.cap + c->argv_cap * sizeof(struct slice);
    n += mem_size(c->name) + mem_size(c->lib_name) + mem_size(c->lib_ver);
    return n;
}

void info_memory(struct core *core, struct info_mem *m)
{
    memset(m, 0, sizeof(*m));
    m->used = mem_used();
    if (m->used > mem_peak)
        mem_peak = m->used;
    m->peak = mem_peak;
    m->startup = mem_startup;
    m->rss = rss_bytes();
    for (const struct client *c = core->clients; c; c = c->next)
        m->clients += info_client_memory(c);
    for (int i = 0; i < core->ndbs; i++) {
        struct db *db = &core->dbs[i];
        if (db->keys)
            m->keyspace += dict_mem_usage(db->keys);
        if (db->expires)
            m->keyspace += dict_mem_usage(db->expires);
        m->keys += db_size(db);
    }
    m->overhead = m->startup + m->clients + m->keyspace;
    m->dataset = m->used > m->overhead ? m->used - m->overhead : 0;
}

static const char *replid(void)
{
    if (!master_replid[0]) {
        for (int i = 0; i < 40; i++)
            master_replid[i] = "0123456789abcdef"[util_random() & 15];
        master_replid[40] = '\0';
    }
    return master_replid;
}

void info_init(struct core *core)
{
    (void)core;
    mem_startup = mem_used();
    mem_peak = mem_startup;
}

static void metric_sample(struct metric *m, uint64_t value, int64_t now_ms)
{
    if (m->last_ms && now_ms > m->last_ms) {
        uint64_t delta = value >= m->last_value ? value - m->last_value : 0;
        m->samples[m->idx] = delta * 1000 / (uint64_t)(now_ms - m->last_ms);
        m->idx = (m->idx + 1) % NSAMPLES;
    }
    m->last_value = value;
    m->last_ms = now_ms;
}

static uint64_t metric_rate(const struct metric *m)
{
    uint64_t sum = 0;
    for (int i = 0; i < NSAMPLES; i++)
        sum += m->samples[i];
    return sum / NSAMPLES;
}

void info_cron(struct core *core)
{
    int64_t now = util_mstime();
    size_t used = mem_used();
    if (used > mem_peak)
        mem_peak = used;
    metric_sample(&m_ops, core->stats.total_commands_processed, now);
    metric_sample(&m_net_in, core->stats.net_input_bytes, now);
    metric_sample(&m_net_out, core->stats.net_output_bytes, now);
}

void info_reset_stats(struct core *core)
{
    struct core_stats *s = &core->stats;
    struct cmd_stats *cmd = s->cmd;
    struct dict *errors = s->errors;
    uint64_t dirty = s->dirty;
    memset(s, 0, sizeof(*s));
    s->cmd = cmd;
    s->errors = errors;
    s->dirty = dirty;
    if (cmd)
        memset(cmd, 0, cmd_count() * sizeof(*cmd));
    if (errors)
        dict_clear(errors, NULL);
    mem_peak = mem_used();
    memset(&m_ops, 0, sizeof(m_ops));
    memset(&m_net_in, 0, sizeof(m_net_in));
    memset(&m_net_out, 0, sizeof(m_net_out));
}

/* ---- sections ---------------------------------------------------------- */

static int64_t now_ms_of(const struct core *core)
{
    return core->now_ms ? core->now_ms : util_mstime();
}

static void server_listeners(struct core *core, struct buf *b)
{
    int idx = 0;
    if (core->cfg.port) {
        buf_printf(b, "listener%d:name=tcp", idx++);
        const char *p = core->cfg.bind ? core->cfg.bind : "";
        while (*p) {
            size_t n = strcspn(p, " ");
            if (n)
                buf_printf(b, ",bind=%.*s", (int)n, p);
            p += n + (p[n] == ' ');
        }
        buf_printf(b, ",port=%ld\r\n", core->cfg.port);
    }
    if (core->cfg.unixsocket)
        buf_printf(b, "listener%d:name=unix,bind=%s\r\n", idx, core->cfg.unixsocket);
}

static void sec_server(struct core *core, struct buf *b)
{
    struct utsname u;
    int64_t now = now_ms_of(core);
    long long up = (now - core->start_time_ms) / 1000;
    if (uname(&u) < 0)
        memset(&u, 0, sizeof(u));
#ifdef __GNUC__
    int gv[3] = {__GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__};
#else
    int gv[3] = {0, 0, 0};
#endif
    buf_printf(b,
               "redis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
               "redis_build_id:%016llx\r\nredis_mode:standalone\r\nos:%s %s %s\r\n"
               "arch_bits:%d\r\nmonotonic_clock:POSIX clock_gettime\r\n"
               "multiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\n"
               "gcc_version:%d.%d.%d\r\nprocess_id:%ld\r\nprocess_supervised:no\r\n"
               "run_id:%s\r\ntcp_port:%ld\r\nserver_time_usec:%lld\r\n",
               WEIR_REDIS_VERSION, 0x5745495238383030ULL, u.sysname, u.release, u.machine,
               (int)(sizeof(void *) * 8), gv[0], gv[1], gv[2], (long)getpid(), core->run_id,
               core->cfg.port, (long long)util_ustime());
    buf_printf(b,
               "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%ld\r\n"
               "configured_hz:%ld\r\nlru_clock:%lld\r\nexecutable:%s\r\nconfig_file:%s\r\n"
               "io_threads_active:0\r\n",
               up, up / 86400, core->cfg.hz, core->cfg.hz, (long long)((now / 1000) & 0xFFFFFF),
               core->executable, core->cfg.config_file ? core->cfg.config_file : "");
    server_listeners(core, b);
}

static void sec_clients(struct core *core, struct buf *b)
{
    size_t connected = 0, blocked = 0, watching = 0, max_in = 0, max_out = 0;
    for (const struct client *c = core->clients; c; c = c->next) {
        if (c->flags & CLIENT_PSEUDO)
            continue;
        connected++;
        blocked += (c->flags & CLIENT_BLOCKED) != 0;
        watching += (c->flags & CLIENT_WATCHING) != 0;
        if (c->in.cap > max_in)
            max_in = c->in.cap;
        if (c->out.cap > max_out)
            max_out = c->out.cap;
    }
    size_t watched = core->watched_keys ? dict_size(core->watched_keys) : 0;
    buf_printf(b,
               "connected_clients:%zu\r\ncluster_connections:0\r\nmaxclients:%ld\r\n"
               "client_recent_max_input_buffer:%zu\r\nclient_recent_max_output_buffer:%zu\r\n"
               "blocked_clients:%zu\r\ntracking_clients:0\r\npubsub_clients:0\r\n"
               "watching_clients:%zu\r\nclients_in_timeout_table:0\r\n"
               "total_watched_keys:%zu\r\ntotal_blocking_keys:%zu\r\n"
               "total_blocking_keys_on_nokey:0\r\n",
               connected, core->cfg.maxclients, max_in, max_out, blocked, watching, watched,
               block_count_keys(core));
}

static size_t total_system_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
}

static void sec_memory(struct core *core, struct buf *b)
{
    struct info_mem m;
    char h_used[32], h_rss[32], h_peak[32], h_sys[32], h_max[32];
    size_t sys = total_system_memory();
    info_memory(core, &m);
    info_bytes_human(h_used, sizeof(h_used), m.used);
    info_bytes_human(h_rss, sizeof(h_rss), m.rss);
    info_bytes_human(h_peak, sizeof(h_peak), m.peak);
    info_bytes_human(h_sys, sizeof(h_sys), sys);
    info_bytes_human(h_max, sizeof(h_max), (unsigned long long)core->cfg.maxmemory);
    size_t net = m.used > m.startup ? m.used - m.startup : 0;
    buf_printf(b,
               "used_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
               "used_memory_rss_human:%s\r\nused_memory_peak:%zu\r\n"
               "used_memory_peak_human:%s\r\nused_memory_peak_perc:%.2f%%\r\n"
               "used_memory_overhead:%zu\r\nused_memory_startup:%zu\r\n"
               "used_memory_dataset:%zu\r\nused_memory_dataset_perc:%.2f%%\r\n",
               m.used, h_used, m.rss, h_rss, m.peak, h_peak,
               m.peak ? (double)m.used * 100 / (double)m.peak : 0.0, m.overhead, m.startup,
               m.dataset, net ? (double)m.dataset * 100 / (double)net : 0.0);
    buf_printf(b,
               "total_system_memory:%zu\r\ntotal_system_memory_human:%s\r\n"
               "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:noeviction\r\n"
               "mem_fragmentation_ratio:%.2f\r\nmem_fragmentation_bytes:%lld\r\n"
               "mem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\n"
               "mem_clients_slaves:0\r\nmem_clients_normal:%zu\r\nmem_aof_buffer:0\r\n"
               "mem_allocator:libc\r\nlazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n",
               sys, h_sys, core->cfg.maxmemory, h_max,
               m.used ? (double)m.rss / (double)m.used : 0.0, (long long)m.rss - (long long)m.used,
               m.clients);
}

static void sec_persistence(struct core *core, struct buf *b)
{
    buf_printf(b,
               "loading:%d\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n"
               "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n"
               "current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n"
               "rdb_changes_since_last_save:%llu\r\nrdb_bgsave_in_progress:0\r\n"
               "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:ok\r\n"
               "rdb_last_bgsave_time_sec:-1\r\nrdb_current_bgsave_time_sec:-1\r\n"
               "rdb_saves:0\r\nrdb_last_cow_size:0\r\n",
               core->loading ? 1 : 0, (unsigned long long)core->stats.dirty,
               (long long)core->lastsave_s);
    aof_info(NULL, b);
}

static void sec_stats(struct core *core, struct buf *b)
{
    const struct core_stats *s = &core->stats;
    buf_printf(b,
               "total_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
               "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\n"
               "total_net_output_bytes:%llu\r\ntotal_net_repl_input_bytes:0\r\n"
               "total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:%.2f\r\n"
               "instantaneous_output_kbps:%.2f\r\ninstantaneous_input_repl_kbps:0.00\r\n"
               "instantaneous_output_repl_kbps:0.00\r\nrejected_connections:%llu\r\n"
               "sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n"
               "expired_subkeys:0\r\nexpired_keys:%llu\r\nexpired_stale_perc:0.00\r\n"
               "expired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\n"
               "evicted_keys:%llu\r\nevicted_clients:0\r\nevicted_scripts:0\r\n"
               "total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\n"
               "keyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n",
               (unsigned long long)s->total_connections_received,
               (unsigned long long)s->total_commands_processed,
               (unsigned long long)metric_rate(&m_ops), (unsigned long long)s->net_input_bytes,
               (unsigned long long)s->net_output_bytes, (double)metric_rate(&m_net_in) / 1024,
               (double)metric_rate(&m_net_out) / 1024, (unsigned long long)s->rejected_connections,
               (unsigned long long)s->expired_keys, (unsigned long long)s->evicted_keys,
               (unsigned long long)s->keyspace_hits, (unsigned long long)s->keyspace_misses);
    buf_printf(
        b,
        "pubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\n"
        "latest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\n"
        "slave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\n"
        "active_defrag_misses:0\r\nactive_defrag_key_hits:0\r\n"
        "active_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\n"
        "current_active_defrag_time:0\r\ntracking_total_keys:0\r\n"
        "tracking_total_items:0\r\ntracking_total_prefixes:0\r\n"
        "unexpected_error_replies:%llu\r\ntotal_error_replies:%llu\r\n"
        "dump_payload_sanitizations:0\r\ntotal_reads_processed:%llu\r\n"
        "total_writes_processed:%llu\r\nio_threaded_reads_processed:0\r\n"
        "io_threaded_writes_processed:0\r\nclient_query_buffer_limit_disconnections:%llu\r\n"
        "client_output_buffer_limit_disconnections:0\r\nreply_buffer_shrinks:0\r\n"
        "reply_buffer_expands:0\r\nacl_access_denied_auth:0\r\n"
        "acl_access_denied_cmd:0\r\nacl_access_denied_key:0\r\n"
        "acl_access_denied_channel:0\r\n",
        (unsigned long long)s->unexpected_error_replies, (unsigned long long)s->total_error_replies,
        (unsigned long long)s->total_reads_processed, (unsigned long long)s->total_writes_processed,
        (unsigned long long)s->client_qbuf_limit_disconnections);
}

static void sec_replication(struct core *core, struct buf *b)
{
    (void)core;
    buf_printf(b,
               "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n"
               "master_replid:%s\r\n"
               "master_replid2:0000000000000000000000000000000000000000\r\n"
               "master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n"
               "repl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\n"
               "repl_backlog_histlen:0\r\n",
               replid());
}

static void print_tv(struct buf *b, const char *name, struct timeval tv)
{
    buf_printf(b, "%s:%ld.%06ld\r\n", name, (long)tv.tv_sec, (long)tv.tv_usec);
}

static void sec_cpu(struct core *core, struct buf *b)
{
    struct rusage self, children, thread;
    (void)core;
    memset(&self, 0, sizeof(self));
    memset(&children, 0, sizeof(children));
    memset(&thread, 0, sizeof(thread));
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread);
    print_tv(b, "used_cpu_sys", self.ru_stime);
    print_tv(b, "used_cpu_user", self.ru_utime);
    print_tv(b, "used_cpu_sys_children", children.ru_stime);
    print_tv(b, "used_cpu_user_children", children.ru_utime);
    print_tv(b, "used_cpu_sys_main_thread", thread.ru_stime);
    print_tv(b, "used_cpu_user_main_thread", thread.ru_utime);
}

static void sec_modules(struct core *core, struct buf *b)
{
    (void)core;
    (void)b;
}

static void sec_commandstats(struct core *core, struct buf *b)
{
    size_t n = cmd_count();
    if (!core->stats.cmd)
        return;
    for (size_t id = 0; id < n; id++) {
        const struct cmd_stats *st = &core->stats.cmd[id];
        const struct cmd_def *d = cmd_by_id((int)id);
        if (!d || (!st->calls && !st->failed_calls && !st->rejected_calls))
            continue;
        uint64_t usec = util_ticks_to_us(st->ticks);
        buf_printf(b,
                   "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                   "failed_calls=%llu\r\n",
                   d->fullname, (unsigned long long)st->calls, (unsigned long long)usec,
                   st->calls ? (double)usec / (double)st->calls : 0.0,
                   (unsigned long long)st->rejected_calls, (unsigned long long)st->failed_calls);
    }
}

struct err_row {
    const char *code;
    size_t len;
    uintptr_t count;
};

static int err_row_cmp(const void *a, const void *b)
{
    const struct err_row *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->code, y->code, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void sec_errorstats(struct core *core, struct buf *b)
{
    struct dict *d = core->stats.errors;
    size_t n = d ? dict_size(d) : 0, i = 0;
    if (n == 0)
        return;
    struct err_row *rows = mem_alloc(n * sizeof(*rows));
    struct dict_iter it;
    struct dict_entry *e;
    dict_iter_init(&it, d);
    while ((e = dict_next(&it)) && i < n) {
        rows[i].code = dict_entry_key(e, &rows[i].len);
        rows[i].count = (uintptr_t)dict_entry_val(e);
        i++;
    }
    dict_iter_done(&it);
    qsort(rows, i, sizeof(*rows), err_row_cmp);
    for (size_t k = 0; k < i; k++)
        buf_printf(b, "errorstat_%.*s:count=%llu\r\n", (int)rows[k].len, rows[k].code,
                   (unsigned long long)rows[k].count);
    mem_free(rows);
}

static void sec_cluster(struct core *core, struct buf *b)
{
    (void)core;
    buf_append_str(b, "cluster_enabled:0\r\n");
}

static void sec_keyspace(struct core *core, struct buf *b)
{
    for (int i = 0; i < core->ndbs; i++) {
        struct db *db = &core->dbs[i];
        size_t keys = db_size(db);
        if (keys == 0)
            continue;
        buf_printf(b, "db%d:keys=%zu,expires=%zu,avg_ttl=%llu,subexpiry=0\r\n", i, keys,
                   db_expires_size(db), (unsigned long long)db->avg_ttl);
    }
}

/* ---- rendering --------------------------------------------------------- */

struct section {
    const char *name;
    const char *title;
    void (*fn)(struct core *core, struct buf *b);
    int in_default;
};

static const struct section sections_tab[] = {
    {"server", "Server", sec_server, 1},
    {"clients", "Clients", sec_clients, 1},
    {"memory", "Memory", sec_memory, 1},
    {"persistence", "Persistence", sec_persistence, 1},
    {"stats", "Stats", sec_stats, 1},
    {"replication", "Replication", sec_replication, 1},
    {"cpu", "CPU", sec_cpu, 1},
    {"modules", "Modules", sec_modules, 1},
    {"commandstats", "Commandstats", sec_commandstats, 0},
    {"errorstats", "Errorstats", sec_errorstats, 1},
    {"cluster", "Cluster", sec_cluster, 1},
    {"keyspace", "Keyspace", sec_keyspace, 1},
};

#define NSECTIONS (sizeof(sections_tab) / sizeof(sections_tab[0]))

static unsigned section_mask(const char *const *names, int n)
{
    unsigned mask = 0, defaults = 0, all = (1u << NSECTIONS) - 1;
    for (size_t i = 0; i < NSECTIONS; i++)
        if (sections_tab[i].in_default)
            defaults |= 1u << i;
    if (n == 0)
        return defaults;
    for (int k = 0; k < n; k++) {
        const char *s = names[k];
        if (strcasecmp(s, "module_list") == 0)
            s = "modules";
        if (strcasecmp(s, "default") == 0)
            mask |= defaults;
        else if (strcasecmp(s, "all") == 0 || strcasecmp(s, "everything") == 0)
            mask |= all;
        for (size_t i = 0; i < NSECTIONS; i++)
            if (strcasecmp(s, sections_tab[i].name) == 0)
                mask |= 1u << i;
    }
    return mask;
}

void info_render(struct core *core, const char *const *sections, int nsections, struct buf *out)
{
    unsigned mask = section_mask(sections, nsections);
    int emitted = 0;
    for (size_t i = 0; i < NSECTIONS; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (emitted++)
            buf_append_str(out, "\r\n");
        buf_printf(out, "# %s\r\n", sections_tab[i].title);
        sections_tab[i].fn(core, out);
    }
}
