/*
 * test_aof.c - unit tests for the AOF file formats (aof_int.h): the
 * manifest parser and writer, the RESP encoder, and the scanner that
 * both the loader and weir-check-aof use (whole commands, torn tails at
 * every offset, corruption, MULTI/EXEC blocks, annotations).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof_int.h"
#include "lib/mem.h"
#include "unit.h"

#define S(lit) SLICE_LIT(lit)

/* ---- manifest ---------------------------------------------------------- */

static int parse(const char *text, struct aof_manifest *m, char *err)
{
    return aof_manifest_parse(m, text, strlen(text), err, 256);
}

static void test_manifest_redis_sample(void)
{
    struct aof_manifest m;
    char err[256];
    struct buf out;
    const char *text = "file appendonly.aof.1.base.aof seq 1 type b\n"
                       "file appendonly.aof.1.incr.aof seq 1 type i\n"
                       "file appendonly.aof.2.incr.aof seq 2 type i\n";
    CHECK_EQ(parse(text, &m, err), 0);
    CHECK(m.base.name && strcmp(m.base.name, "appendonly.aof.1.base.aof") == 0);
    CHECK_EQ(m.nincr, 2);
    CHECK_EQ(m.incr[1].seq, 2);
    CHECK_EQ(m.base_seq, 1);
    CHECK_EQ(m.incr_seq, 2);
    buf_init(&out);
    aof_manifest_format(&m, &out);
    CHECK_MEM(out.data, out.len, text);
    buf_free(&out);
    aof_manifest_free(&m);
}

static void test_manifest_lenient_forms(void)
{
    struct aof_manifest m;
    char err[256];
    /* comments, CRLF, key order, unknown keys, history entries */
    const char *text = "# a comment\r\n"
                       "type b seq 3 file base.aof future x\r\n"
                       "file old.aof seq 2 type h\n"
                       "\n"
                       "file \"with space.aof\" seq 7 type i";
    CHECK_EQ(parse(text, &m, err), 0);
    CHECK(strcmp(m.base.name, "base.aof") == 0);
    CHECK_EQ(m.base.seq, 3);
    CHECK_EQ(m.nhist, 1);
    CHECK(strcmp(m.incr[0].name, "with space.aof") == 0);
    struct buf out;
    buf_init(&out);
    aof_manifest_format(&m, &out);
    CHECK_MEM(out.data, out.len,
              "file base.aof seq 3 type b\nfile old.aof seq 2 type h\n"
              "file \"with space.aof\" seq 7 type i\n");
    buf_free(&out);
    aof_manifest_free(&m);
}

static void test_manifest_quoting_roundtrip(void)
{
    struct aof_manifest m, back;
    char err[256];
    struct buf out;
    aof_manifest_init(&m);
    aof_manifest_push(&m.incr, &m.nincr, &m.cap_incr, "a\"b\\c\td\x01.aof", 4, 'i');
    buf_init(&out);
    aof_manifest_format(&m, &out);
    CHECK_MEM(out.data, out.len, "file \"a\\\"b\\\\c\\td\\x01.aof\" seq 4 type i\n");
    buf_append_byte(&out, '\0');
    CHECK_EQ(parse(out.data, &back, err), 0);
    CHECK(strcmp(back.incr[0].name, m.incr[0].name) == 0);
    aof_manifest_free(&back);
    aof_manifest_free(&m);
    buf_free(&out);
}

static void test_manifest_errors(void)
{
    static const char *const bad[] = {
        "",                                           /* empty */
        "# only a comment\n",                         /* empty */
        "file a seq 1 type b\nfile b seq 2 type b\n", /* two bases */
        "file a seq 2 type i\nfile b seq 2 type i\n", /* seq not increasing */
        "file a seq 1 type x\n",                      /* unknown type */
        "file a seq 1\n",                             /* missing type */
        "file a seq one type i\n",                    /* bad number */
        "file \"a seq 1 type i\n",                    /* open quote */
        "file \"a\"b seq 1 type i\n",                 /* junk after quote */
        "file a seq 1 type i extra\n",                /* odd words */
        "file ../a seq 1 type i\n",                   /* a path */
        NULL,
    };
    char err[256];
    for (int i = 0; bad[i]; i++) {
        struct aof_manifest m;
        if (parse(bad[i], &m, err) == 0) {
            fprintf(stderr, "accepted bad manifest #%d\n", i);
            aof_manifest_free(&m);
            CHECK(0);
        }
        CHECK(err[0] != '\0');
    }
    char longline[AOF_MANIFEST_MAX_LINE + 40];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    memcpy(longline, "file ", 5);
    struct aof_manifest m;
    CHECK(parse(longline, &m, err) < 0);
    CHECK(strstr(err, "too long") != NULL);
}

static void test_manifest_write_read(void)
{
    char dir[] = "/tmp/weir-test-aof-XXXXXX";
    char err[512];
    struct aof_manifest m, back;
    CHECK(mkdtemp(dir) != NULL);
    aof_manifest_init(&m);
    m.base = (struct aof_file){mem_strndup("x.1.base.aof", 12), 1, 'b'};
    m.base_seq = 1;
    aof_manifest_push(&m.incr, &m.nincr, &m.cap_incr, "x.1.incr.aof", 1, 'i');
    CHECK_EQ(aof_manifest_read(dir, "x", &back, err, sizeof(err)), 1); /* none yet */
    CHECK_EQ(aof_manifest_write(dir, "x", &m, err, sizeof(err)), 0);
    CHECK_EQ(aof_manifest_read(dir, "x", &back, err, sizeof(err)), 0);
    CHECK(strcmp(back.base.name, "x.1.base.aof") == 0);
    CHECK_EQ(back.nincr, 1);
    char *tmp = aof_path(dir, "temp-x.manifest"), *real = aof_path(dir, "x.manifest");
    CHECK(access(tmp, F_OK) < 0); /* the temp file was renamed */
    unlink(real);
    rmdir(dir);
    mem_free(tmp);
    mem_free(real);
    aof_manifest_free(&m);
    aof_manifest_free(&back);
}

static void test_file_names(void)
{
    char *b = aof_base_name("appendonly.aof", 12), *i = aof_incr_name("appendonly.aof", 3);
    char *p = aof_path("dir", "f");
    CHECK(strcmp(b, "appendonly.aof.12.base.aof") == 0);
    CHECK(strcmp(i, "appendonly.aof.3.incr.aof") == 0);
    CHECK(strcmp(p, "dir/f") == 0);
    mem_free(b);
    mem_free(i);
    mem_free(p);
}

/* ---- encoder ------------------------------------------------------------- */

static void test_encode(void)
{
    struct buf b;
    struct slice argv[] = {S("SET"), S("k"), S(""), {"a\r\nb", 4}};
    buf_init(&b);
    aof_encode_cmd(&b, 4, argv);
    CHECK_MEM(b.data, b.len, "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$4\r\na\r\nb\r\n");
    buf_free(&b);
}

/* ---- scanner ----------------------------------------------------------------- */

struct seen {
    int n;
    char names[32][16];
    size_t offs[32];
};

static int record(void *priv, int argc, const struct slice *argv, size_t off)
{
    struct seen *s = priv;
    (void)argc;
    if (s->n < 32) {
        snprintf(s->names[s->n], 16, "%.*s", (int)argv[0].len, argv[0].p);
        s->offs[s->n] = off;
    }
    s->n++;
    return 0;
}

/* A log with SELECT, a MULTI block, an annotation and binary data. */
static void sample_log(struct buf *b, size_t *ends, int *nends)
{
    struct slice c1[] = {S("SELECT"), S("0")}, c2[] = {S("SET"), S("a"), {"\r\n\0x", 4}};
    struct slice m[] = {S("MULTI")}, c3[] = {S("INCR"), S("n")}, e[] = {S("EXEC")};
    struct slice c4[] = {S("XADD"), S("s"), S("1-1"), S("f"), S("v")};
    *nends = 0;
    aof_encode_cmd(b, 2, c1);
    ends[(*nends)++] = b->len;
    aof_encode_cmd(b, 3, c2);
    ends[(*nends)++] = b->len;
    buf_append_str(b, "#TS:1700000000\r\n");
    ends[(*nends)++] = b->len;
    aof_encode_cmd(b, 1, m);
    aof_encode_cmd(b, 2, c3);
    aof_encode_cmd(b, 2, c3);
    aof_encode_cmd(b, 1, e);
    ends[(*nends)++] = b->len;
    aof_encode_cmd(b, 5, c4);
    ends[(*nends)++] = b->len;
}

static void test_scan_whole(void)
{
    struct buf b;
    size_t ends[8];
    int n;
    struct aof_scan r;
    struct seen s = {0};
    buf_init(&b);
    sample_log(&b, ends, &n);
    aof_scan(b.data, b.len, record, &s, &r);
    CHECK_EQ(r.status, AOF_SCAN_OK);
    CHECK_EQ(r.valid, b.len);
    CHECK_EQ(s.n, 5); /* SELECT SET INCR INCR XADD: MULTI/EXEC are not delivered */
    CHECK(strcmp(s.names[2], "INCR") == 0 && strcmp(s.names[4], "XADD") == 0);
    CHECK_EQ(r.ncmds, 5);
    buf_free(&b);
}

/* Every prefix is either whole (OK) or torn (TRUNCATED) with valid at the
 * last command boundary at or before the cut; nothing is delivered from
 * an unfinished MULTI. */
static void test_scan_every_truncation(void)
{
    struct buf b;
    size_t ends[8];
    int n;
    buf_init(&b);
    sample_log(&b, ends, &n);
    for (size_t cut = 0; cut <= b.len; cut++) {
        struct aof_scan r;
        struct seen s = {0};
        size_t want = 0;
        int want_cmds = 0;
        static const int cmds_at[] = {1, 2, 2, 4, 5};
        for (int i = 0; i < n; i++)
            if (ends[i] <= cut) {
                want = ends[i];
                want_cmds = cmds_at[i];
            }
        char *copy = mem_memdup(b.data, cut ? cut : 1);
        aof_scan(copy, cut, record, &s, &r);
        mem_free(copy);
        CHECK(r.status != AOF_SCAN_CORRUPT);
        CHECK_EQ(r.valid, want);
        CHECK_EQ(r.status, want == cut ? AOF_SCAN_OK : AOF_SCAN_TRUNCATED);
        CHECK_EQ(s.n, want_cmds);
    }
    buf_free(&b);
}

static void test_scan_corruption(void)
{
    struct buf b;
    size_t ends[8];
    int n;
    struct aof_scan r;
    buf_init(&b);
    sample_log(&b, ends, &n);
    b.data[ends[0]] = 'X'; /* the SET command's '*' */
    aof_scan(b.data, b.len, NULL, NULL, &r);
    CHECK_EQ(r.status, AOF_SCAN_CORRUPT);
    CHECK_EQ(r.bad_at, ends[0]);
    CHECK_EQ(r.valid, ends[0]);
    buf_clear(&b);
    sample_log(&b, ends, &n);
    b.data[ends[0] - 1] = 'x'; /* SELECT's final LF: the next byte is wrong too */
    b.data[ends[0] - 2] = 'x';
    aof_scan(b.data, b.len, NULL, NULL, &r);
    CHECK_EQ(r.status, AOF_SCAN_CORRUPT);
    CHECK_EQ(r.bad_at, 0);
    buf_free(&b);
}

static void test_scan_structure_errors(void)
{
    static const char *const bad[] = {
        "*1\r\n$4\r\nEXEC\r\n",                       /* EXEC without MULTI */
        "*1\r\n$5\r\nMULTI\r\n*1\r\n$5\r\nMULTI\r\n", /* nested */
        "*0\r\n",                                     /* empty command */
        "SET a b\r\n",                                /* inline */
        "*1\r\n$-1\r\n",                              /* null bulk */
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        struct aof_scan r;
        aof_scan(bad[i], strlen(bad[i]), NULL, NULL, &r);
        if (r.status != AOF_SCAN_CORRUPT)
            fprintf(stderr, "case %d not reported corrupt\n", i);
        CHECK_EQ(r.status, AOF_SCAN_CORRUPT);
    }
}

static int refuse_second(void *priv, int argc, const struct slice *argv, size_t off)
{
    int *n = priv;
    (void)argc, (void)argv, (void)off;
    return ++*n == 2 ? -1 : 0;
}

static void test_scan_callback_stop(void)
{
    struct buf b;
    size_t ends[8];
    int n, calls = 0;
    struct aof_scan r;
    buf_init(&b);
    sample_log(&b, ends, &n);
    aof_scan(b.data, b.len, refuse_second, &calls, &r);
    CHECK_EQ(r.status, AOF_SCAN_CORRUPT);
    CHECK_EQ(r.bad_at, ends[0]);
    CHECK_EQ(calls, 2);
    buf_free(&b);
}

static void test_map_file(void)
{
    char path[] = "/tmp/weir-test-aof-map-XXXXXX";
    int fd = mkstemp(path);
    const char *data;
    size_t len;
    CHECK(fd >= 0);
    CHECK_EQ(aof_map_file(path, &data, &len), 0);
    CHECK_EQ(len, 0);
    CHECK(data == NULL);
    CHECK_EQ(write(fd, "*1\r\n$4\r\nPING\r\n", 14), 14);
    CHECK_EQ(aof_map_file(path, &data, &len), 0);
    CHECK_EQ(len, 14);
    CHECK(memcmp(data, "*1\r\n", 4) == 0);
    aof_unmap_file(data, len);
    close(fd);
    unlink(path);
    CHECK(aof_map_file(path, &data, &len) < 0 && errno == ENOENT);
}

int main(void)
{
    RUN(test_manifest_redis_sample);
    RUN(test_manifest_lenient_forms);
    RUN(test_manifest_quoting_roundtrip);
    RUN(test_manifest_errors);
    RUN(test_manifest_write_read);
    RUN(test_file_names);
    RUN(test_encode);
    RUN(test_scan_whole);
    RUN(test_scan_every_truncation);
    RUN(test_scan_corruption);
    RUN(test_scan_structure_errors);
    RUN(test_scan_callback_stop);
    RUN(test_map_file);
    UNIT_DONE();
}
