/*
 * test_config.c - unit tests of config.c: defaults, redis.conf parsing
 * (quotes, include, units, errors with line numbers), command line
 * arguments, CONFIG SET validation and errors, CONFIG GET globbing and a
 * CONFIG REWRITE round trip in a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "lib/mem.h"
#include "unit.h"

static char tmpdir[64];

static void write_file(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *slurp(const char *path)
{
    static char data[8192];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(data, 1, sizeof(data) - 1, f) : 0;
    if (f)
        fclose(f);
    data[n] = '\0';
    return data;
}

/* CONFIG GET of one exact name, through config_get_matching. */
struct got {
    char value[512];
    int count;
};

static void collect(void *priv, const char *name, const char *value)
{
    struct got *g = priv;
    (void)name;
    g->count++;
    snprintf(g->value, sizeof(g->value), "%s", value);
}

static const char *get(const struct config *c, const char *name)
{
    static struct got g;
    memset(&g, 0, sizeof(g));
    config_get_matching(c, name, strlen(name), collect, &g);
    return g.count == 1 ? g.value : "<none>";
}

static void test_defaults(void)
{
    struct config c;
    config_init_defaults(&c);
    CHECK_EQ(c.port, 6379);
    CHECK(strcmp(c.bind, "* -::*") == 0);
    CHECK_EQ(c.databases, 16);
    CHECK_EQ(c.hz, 10);
    CHECK_EQ(c.proto_max_bulk_len, 512LL * 1024 * 1024);
    CHECK_EQ(c.client_query_buffer_limit, 1024LL * 1024 * 1024);
    CHECK_EQ(c.maxclients, 10000);
    CHECK_EQ(c.tcp_keepalive, 300);
    CHECK_EQ(c.tcp_backlog, 511);
    CHECK_EQ(c.loglevel, LL_NOTICE);
    CHECK_EQ(c.appendfsync, FSYNC_EVERYSEC);
    CHECK_EQ(c.stream_idmp_duration, 100);
    CHECK_EQ(c.stream_idmp_maxsize, 100);
    CHECK_EQ(c.protected_mode, 1);
    CHECK_EQ(c.daemonize, 0);
    CHECK_EQ(c.latency_tracking, 1);
    CHECK(c.requirepass == NULL);
    CHECK(c.unixsocket == NULL);
    CHECK(c.pidfile == NULL);
    CHECK(c.config_file == NULL);
    CHECK(strcmp(c.appendfilename, "appendonly.aof") == 0);
    CHECK(strcmp(c.appenddirname, "appendonlydir") == 0);
    CHECK(strcmp(c.dbfilename, "dump.rdb") == 0);
    CHECK(strcmp(c.save, "3600 1 300 100 60 10000") == 0);
    CHECK(strcmp(c.dir, ".") == 0);
    CHECK(strcmp(get(&c, "proto-max-bulk-len"), "536870912") == 0);
    CHECK(strcmp(get(&c, "appendonly"), "no") == 0);
    CHECK(strcmp(get(&c, "loglevel"), "notice") == 0);
    CHECK(strcmp(get(&c, "requirepass"), "") == 0);
    CHECK(strcmp(get(&c, "unixsocketperm"), "0") == 0);
    CHECK(config_exists("port") && config_exists("PORT") && !config_exists("nope"));
    config_free(&c);
}

static void test_file_parsing(void)
{
    char path[256], inc[256], err[512];
    struct config c;
    write_file("inc.conf", "maxmemory 2mb\n", inc, sizeof(inc));
    char text[1024];
    snprintf(text, sizeof(text),
             "# comment\n\n   port 7000  \r\n"
             "requirepass \"a b\\x41\\n\"\n"
             "logfile 'it\\'s'\n"
             "bind 127.0.0.1 ::1\n"
             "save 900 1\nsave 300 10\n"
             "stream-node-max-bytes 1k\n"
             "client-query-buffer-limit 2GB\n"
             "LogLevel WARNING\n"
             "include %s\n",
             inc);
    write_file("a.conf", text, path, sizeof(path));
    config_init_defaults(&c);
    int rc = config_load_file(&c, path, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    CHECK_EQ(rc, 0);
    CHECK_EQ(c.port, 7000);
    CHECK(strcmp(c.requirepass, "a bA\n") == 0);
    CHECK(strcmp(c.logfile, "it's") == 0);
    CHECK(strcmp(c.bind, "127.0.0.1 ::1") == 0);
    CHECK(strcmp(c.save, "900 1 300 10") == 0);
    CHECK_EQ(c.stream_node_max_bytes, 1000);
    CHECK_EQ(c.client_query_buffer_limit, 2LL << 30);
    CHECK_EQ(c.loglevel, LL_WARNING);
    CHECK_EQ(c.maxmemory, 2 << 20);
    config_free(&c);
}

static void test_memory_units(void)
{
    static const struct {
        const char *in;
        long long want;
    } cases[] = {
        {"0", 0},
        {"100", 100},
        {"1b", 1},
        {"1k", 1000},
        {"1kb", 1024},
        {"1K", 1000},
        {"1m", 1000000},
        {"1mb", 1048576},
        {"1g", 1000000000},
        {"1gb", 1073741824},
        {"3GB", 3221225472LL},
    };
    struct config c;
    char err[256];
    config_init_defaults(&c);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *v = cases[i].in;
        CHECK_EQ(config_apply(&c, "maxmemory", &v, 1, 1, err, sizeof(err)), 0);
        CHECK_EQ(c.maxmemory, cases[i].want);
    }
    const char *bad[] = {"1x", "-1", "", "kb", "1.5mb", "1 mb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(config_apply(&c, "maxmemory", &bad[i], 1, 1, err, sizeof(err)), -1);
        CHECK(strcmp(err, "argument must be a memory value") == 0);
    }
    config_free(&c);
}

static void expect_file_error(const char *text, const char *want1, const char *want2)
{
    char path[256], err[512];
    struct config c;
    write_file("bad.conf", text, path, sizeof(path));
    config_init_defaults(&c);
    int rc = config_load_file(&c, path, err, sizeof(err));
    config_free(&c);
    CHECK_EQ(rc, -1);
    if (!strstr(err, want1) || !strstr(err, want2) || !strstr(err, path))
        fprintf(stderr, "unexpected error text: %s\n", err);
    CHECK(strstr(err, want1) != NULL);
    CHECK(strstr(err, want2) != NULL);
    CHECK(strstr(err, path) != NULL);
}

static void test_file_errors(void)
{
    expect_file_error("port 1\nfoo bar\n", "at line 2",
                      "Bad directive or wrong number of arguments");
    expect_file_error("\n\n\nport abc\n", "at line 4",
                      "argument couldn't be parsed into an integer");
    expect_file_error("port 70000\n", "at line 1",
                      "argument must be between 0 and 65535 inclusive");
    expect_file_error("appendonly maybe\n", "line 1", "argument must be 'yes' or 'no'");
    expect_file_error("loglevel loud\n", "line 1",
                      "argument(s) must be one of the following: debug, verbose, notice, "
                      "warning, nothing");
    expect_file_error("requirepass \"abc\n", "line 1", "Unbalanced quotes");
    expect_file_error("requirepass \"abc\"def\n", "line 1", "Unbalanced quotes");
    expect_file_error("port 1 2\n", "line 1", "wrong number of arguments");
    expect_file_error("save 900\n", "line 1", "Invalid save parameters");
    expect_file_error("daemonize yes\n", "line 1", "not supported");
    expect_file_error("stream-idmp-duration 0\n", "line 1", "must be between");
    expect_file_error("stream-idmp-maxsize 10001\n", "line 1", "must be between");
    expect_file_error("include /nonexistent/x.conf\n", "line 1", "can't open config file");
    expect_file_error("dbfilename a/b.rdb\n", "line 1", "just a filename");
    expect_file_error("notify-keyspace-events KEA\n", "line 1", "not supported");
}

static void test_include_glob(void)
{
    char a[256], b[256], top[256], err[512], text[512];
    struct config c;
    write_file("part-a.inc", "timeout 11\n", a, sizeof(a));
    write_file("part-b.inc", "timeout 12\nhz 20\n", b, sizeof(b));
    snprintf(text, sizeof(text), "include %s/part-*.inc\ninclude %s/none-*.inc\n", tmpdir, tmpdir);
    write_file("glob.conf", text, top, sizeof(top));
    config_init_defaults(&c);
    int rc = config_load_file(&c, top, err, sizeof(err));
    long timeout = c.timeout, hz = c.hz;
    config_free(&c);
    CHECK_EQ(rc, 0);
    CHECK_EQ(timeout, 12); /* files are included in sorted order */
    CHECK_EQ(hz, 20);
}

static void test_nested_include_error(void)
{
    char inner[256], outer[256], err[512], text[512];
    struct config c;
    write_file("inner.conf", "# x\nhz nope\n", inner, sizeof(inner));
    snprintf(text, sizeof(text), "port 1\ninclude %s\n", inner);
    write_file("outer.conf", text, outer, sizeof(outer));
    config_init_defaults(&c);
    CHECK_EQ(config_load_file(&c, outer, err, sizeof(err)), -1);
    config_free(&c);
    CHECK(strstr(err, inner) != NULL);
    CHECK(strstr(err, "at line 2") != NULL);
    CHECK(strstr(err, "hz nope") != NULL);
}

static void test_argv(void)
{
    char path[256], err[512];
    struct config c;
    write_file("argv.conf", "port 7001\nappendonly yes\n", path, sizeof(path));
    char *argv[] = {"weir",
                    path,
                    "--port",
                    "7002",
                    "--bind",
                    "127.0.0.1",
                    "::1",
                    "--save",
                    "--maxmemory",
                    "10mb",
                    "--slowlog-log-slower-than",
                    "-1"};
    int argc = (int)(sizeof(argv) / sizeof(argv[0]));
    config_init_defaults(&c);
    int rc = config_load_argv(&c, argc, argv, err, sizeof(err));
    if (rc)
        fprintf(stderr, "%s\n", err);
    CHECK_EQ(rc, 0);
    CHECK_EQ(c.port, 7002);
    CHECK_EQ(c.appendonly, 1);
    CHECK(strcmp(c.bind, "127.0.0.1 ::1") == 0);
    CHECK(strcmp(c.save, "") == 0);
    CHECK_EQ(c.maxmemory, 10 << 20);
    CHECK_EQ(c.slowlog_log_slower_than, -1);
    CHECK(c.config_file != NULL && c.config_file[0] == '/');
    CHECK(strstr(c.config_file, "argv.conf") != NULL);
    config_free(&c);

    char *bad[] = {"weir", "--port", "x"};
    config_init_defaults(&c);
    CHECK_EQ(config_load_argv(&c, 3, bad, err, sizeof(err)), -1);
    CHECK(strstr(err, "--port") && strstr(err, "couldn't be parsed into an integer"));
    config_free(&c);

    char *unknown[] = {"weir", "--no-such-thing", "1"};
    config_init_defaults(&c);
    CHECK_EQ(config_load_argv(&c, 3, unknown, err, sizeof(err)), -1);
    CHECK(strstr(err, "Bad directive") != NULL);
    config_free(&c);

    char *missing[] = {"weir", "/nonexistent/weir.conf"};
    config_init_defaults(&c);
    CHECK_EQ(config_load_argv(&c, 2, missing, err, sizeof(err)), -1);
    CHECK(strstr(err, "can't open config file") != NULL);
    config_free(&c);
}

static void expect_set_error(struct config *c, const char *name, const char *value,
                             const char *want)
{
    char err[512];
    CHECK_EQ(config_set(c, name, value, err, sizeof(err)), -1);
    if (strcmp(err, want) != 0)
        fprintf(stderr, "got:  %s\nwant: %s\n", err, want);
    CHECK(strcmp(err, want) == 0);
}

static void test_set_errors(void)
{
    struct config c;
    config_init_defaults(&c);
    expect_set_error(&c, "nosuch", "1",
                     "Unknown option or number of arguments for CONFIG SET - 'nosuch'");
    expect_set_error(&c, "timeout", "abc",
                     "CONFIG SET failed (possibly related to argument 'timeout') - argument "
                     "couldn't be parsed into an integer");
    expect_set_error(&c, "stream-idmp-duration", "86401",
                     "CONFIG SET failed (possibly related to argument 'stream-idmp-duration') - "
                     "argument must be between 1 and 86400 inclusive");
    expect_set_error(&c, "stream-idmp-maxsize", "0",
                     "CONFIG SET failed (possibly related to argument 'stream-idmp-maxsize') - "
                     "argument must be between 1 and 10000 inclusive");
    expect_set_error(&c, "appendonly", "1",
                     "CONFIG SET failed (possibly related to argument 'appendonly') - argument "
                     "must be 'yes' or 'no'");
    expect_set_error(&c, "appendfsync", "sometimes",
                     "CONFIG SET failed (possibly related to argument 'appendfsync') - "
                     "argument(s) must be one of the following: everysec, always, no");
    expect_set_error(&c, "databases", "4",
                     "CONFIG SET failed (possibly related to argument 'databases') - can't set "
                     "immutable config");
    expect_set_error(&c, "daemonize", "no",
                     "CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
                     "immutable config");
    expect_set_error(&c, "maxmemory", "lots",
                     "CONFIG SET failed (possibly related to argument 'maxmemory') - argument "
                     "must be a memory value");
    expect_set_error(&c, "dir", "/nonexistent/dir",
                     "CONFIG SET failed (possibly related to argument 'dir') - No such file or "
                     "directory");
    config_free(&c);
}

static void test_set_many(void)
{
    struct config c;
    char err[512];
    config_init_defaults(&c);
    const char *n1[] = {"maxmemory", "timeout", "hz"};
    const char *v1[] = {"1gb", "30", "1000"};
    CHECK_EQ(config_set_many(&c, 3, n1, v1, err, sizeof(err)), 0);
    CHECK_EQ(c.maxmemory, 1LL << 30);
    CHECK_EQ(c.timeout, 30);
    CHECK_EQ(c.hz, 500); /* clamped as Redis does */
    CHECK(strcmp(get(&c, "maxmemory"), "1073741824") == 0);

    /* all or nothing: the bad second value leaves the first untouched */
    const char *n2[] = {"timeout", "active-expire-effort"};
    const char *v2[] = {"60", "11"};
    CHECK_EQ(config_set_many(&c, 2, n2, v2, err, sizeof(err)), -1);
    CHECK(strstr(err, "'active-expire-effort'") && strstr(err, "between 1 and 10"));
    CHECK_EQ(c.timeout, 30);

    const char *n3[] = {"timeout", "TIMEOUT"};
    const char *v3[] = {"1", "2"};
    CHECK_EQ(config_set_many(&c, 2, n3, v3, err, sizeof(err)), -1);
    CHECK(strcmp(err, "CONFIG SET failed (possibly related to argument 'TIMEOUT') - "
                      "duplicate parameter") == 0);

    CHECK_EQ(config_set(&c, "requirepass", "secret", err, sizeof(err)), 0);
    CHECK(strcmp(c.requirepass, "secret") == 0);
    CHECK_EQ(config_set(&c, "requirepass", "", err, sizeof(err)), 0);
    CHECK(c.requirepass == NULL);
    CHECK_EQ(config_set(&c, "save", "  100 5   200 6 ", err, sizeof(err)), 0);
    CHECK(strcmp(get(&c, "save"), "100 5 200 6") == 0);
    CHECK_EQ(config_set(&c, "save", "", err, sizeof(err)), 0);
    CHECK(strcmp(get(&c, "save"), "") == 0);
    CHECK_EQ(config_set(&c, "Loglevel", "DEBUG", err, sizeof(err)), 0);
    CHECK_EQ(c.loglevel, LL_DEBUG);
    CHECK_EQ(config_set(&c, "slowlog-log-slower-than", "-1", err, sizeof(err)), 0);
    CHECK_EQ(c.slowlog_log_slower_than, -1);
    config_free(&c);
}

struct names {
    char list[1024];
    int count;
};

static void collect_names(void *priv, const char *name, const char *value)
{
    struct names *n = priv;
    (void)value;
    n->count++;
    strncat(n->list, name, sizeof(n->list) - strlen(n->list) - 2);
    strcat(n->list, ",");
}

static void test_get_glob(void)
{
    struct config c;
    struct names n;
    config_init_defaults(&c);
    memset(&n, 0, sizeof(n));
    config_get_matching(&c, "stream-idmp-*", 13, collect_names, &n);
    CHECK_EQ(n.count, 2);
    CHECK(strcmp(n.list, "stream-idmp-duration,stream-idmp-maxsize,") == 0);
    memset(&n, 0, sizeof(n));
    config_get_matching(&c, "*", 1, collect_names, &n);
    CHECK(n.count > 35);
    memset(&n, 0, sizeof(n));
    config_get_matching(&c, "PORT", 4, collect_names, &n);
    CHECK_EQ(n.count, 1);
    memset(&n, 0, sizeof(n));
    config_get_matching(&c, "nothing*", 8, collect_names, &n);
    CHECK_EQ(n.count, 0);
    char cwd[1024];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK(strcmp(get(&c, "dir"), cwd) == 0);
    config_free(&c);
}

static void test_rewrite(void)
{
    char path[256], err[512];
    struct config c;
    const char *text = "# my comment\nport 7003\nrename-command FOO BAR\n"
                       "save 900 1\nsave 300 10\nmaxmemory 1mb\n";
    write_file("rw.conf", text, path, sizeof(path));
    config_init_defaults(&c);
    CHECK_EQ(config_rewrite(&c, err, sizeof(err)), -1);
    CHECK(strcmp(err, "The server is running without a config file") == 0);
    /* rename-command is unknown to us, so loading rw.conf would fail: load
     * an equivalent clean file and point config_file at rw.conf to check
     * that unknown lines and comments survive a rewrite */
    char clean[256];
    write_file("clean.conf", "port 7003\nsave 900 1\nsave 300 10\nmaxmemory 1mb\n", clean,
               sizeof(clean));
    CHECK_EQ(config_load_file(&c, clean, err, sizeof(err)), 0);
    c.config_file = mem_strndup(path, strlen(path));
    CHECK_EQ(config_set(&c, "maxmemory", "3mb", err, sizeof(err)), 0);
    CHECK_EQ(config_set(&c, "timeout", "42", err, sizeof(err)), 0);
    CHECK_EQ(config_set(&c, "requirepass", "p w\"d", err, sizeof(err)), 0);
    CHECK_EQ(config_rewrite(&c, err, sizeof(err)), 0);
    const char *out = slurp(path);
    CHECK(strstr(out, "# my comment\nport 7003\nrename-command FOO BAR\n") == out);
    CHECK(strstr(out, "save 900 1 300 10\nmaxmemory 3mb\n") != NULL);
    CHECK(strstr(out, "# Generated by CONFIG REWRITE\n") != NULL);
    CHECK(strstr(out, "timeout 42\n") != NULL);
    CHECK(strstr(out, "requirepass \"p w\\\"d\"\n") != NULL);
    CHECK(strstr(out, "hz ") == NULL); /* defaults are not written */

    /* second rewrite is stable; reload gives the same values */
    CHECK_EQ(config_rewrite(&c, err, sizeof(err)), 0);
    char first[8192];
    snprintf(first, sizeof(first), "%s", out);
    CHECK_EQ(config_rewrite(&c, err, sizeof(err)), 0);
    if (strcmp(first, slurp(path)) != 0)
        fprintf(stderr, "first:\n%s\nsecond:\n%s\n", first, slurp(path));
    CHECK(strcmp(first, slurp(path)) == 0);
    config_free(&c);

    write_file("rw2.conf", first + strlen("# my comment\nport 7003\nrename-command FOO BAR\n"),
               path, sizeof(path));
    config_init_defaults(&c);
    CHECK_EQ(config_load_file(&c, path, err, sizeof(err)), 0);
    CHECK_EQ(c.maxmemory, 3 << 20);
    CHECK_EQ(c.timeout, 42);
    CHECK(strcmp(c.requirepass, "p w\"d") == 0);
    CHECK(strcmp(c.save, "900 1 300 10") == 0);
    config_free(&c);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/weir-test-config-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_defaults);
    RUN(test_file_parsing);
    RUN(test_memory_units);
    RUN(test_file_errors);
    RUN(test_include_glob);
    RUN(test_nested_include_error);
    RUN(test_argv);
    RUN(test_set_errors);
    RUN(test_set_many);
    RUN(test_get_glob);
    RUN(test_rewrite);
    cleanup();
    UNIT_DONE();
}
