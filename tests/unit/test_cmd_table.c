/*
 * test_cmd_table.c - unit tests for the generated command table
 * (src/cmd_table.c): case-insensitive lookup, subcommands, ids, the
 * legacy first/last/step triple, ACL bits and key extraction by key
 * specs, including the argv shapes COMMAND GETKEYS rejects.
 */
#include "cmd_table.h"
#include "unit.h"

#include <string.h>

#define MAXARGS 16

/* Split a space-separated command line into slices (no quoting). */
struct argv_buf {
    char text[256];
    struct slice v[MAXARGS];
    int argc;
};

static void split(struct argv_buf *a, const char *line)
{
    size_t n = strlen(line);
    memcpy(a->text, line, n + 1);
    a->argc = 0;
    char *p = a->text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *start = p;
        while (*p && *p != ' ')
            p++;
        a->v[a->argc].p = start;
        a->v[a->argc].len = (size_t)(p - start);
        a->argc++;
    }
}

static struct slice S(const char *s) {
    struct slice x = {s, strlen(s)};
    return x;
}

/* The command argv resolves to (the subcommand for a container). */
static const struct cmd_def *
resolve(const struct argv_buf *a)
{
    const struct cmd_def *d = cmd_lookup(a->v[0]);
    if (d && d->nsubcmds > 0 && a->argc > 1)
        d = cmd_lookup_sub(d, a->v[1]);
    return d;
}

/* Key positions of a command line as "1,3,5", or "ERR" for -1. */
static const char *keys_of(const char *line, char *out, size_t cap)
{
    struct argv_buf a;
    int pos[MAXARGS];
    split(&a, line);
    const struct cmd_def *d = resolve(&a);
    if (!d)
        return "NOCMD";
    int n = cmd_get_keys(d, a.argc, a.v, pos, MAXARGS);
    if (n < 0)
        return "ERR";
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < n && w + 8 < cap; i++) {
        if (i)
            out[w++] = ',';
        w += (size_t)snprintf(out + w, cap - w, "%d", pos[i]);
    }
    out[w] = '\0';
    return out;
}

#define CHECK_KEYS(line, want)                                                                     \
    do {                                                                                           \
        char buf_[128];                                                                            \
        const char *got_ = keys_of((line), buf_, sizeof(buf_));                                    \
        CHECK_MEM(got_, strlen(got_), (want));                                                     \
    } while (0)

static void test_lookup_case(void)
{
    const struct cmd_def *get = cmd_lookup(S("get"));
    CHECK(get != NULL);
    CHECK(strcmp(get->name, "get") == 0);
    CHECK(cmd_lookup(S("GET")) == get);
    CHECK(cmd_lookup(S("gEt")) == get);
    CHECK(cmd_lookup(S("GETEX")) != get);
    CHECK(cmd_lookup(S("ge")) == NULL);
    CHECK(cmd_lookup(S("gett")) == NULL);
    CHECK(cmd_lookup(S("")) == NULL);
    CHECK(cmd_lookup(S("nosuchcommand")) == NULL);
    CHECK(cmd_lookup(S("config|get")) == NULL);
    /* Longer than any name: rejected before hashing. */
    CHECK(cmd_lookup(S("getgetgetgetgetgetgetgetgetgetgetgetgetgetgetgetgetget")) == NULL);
    /* Binary bytes do not match. */
    struct slice nul = {"get\0", 4};
    CHECK(cmd_lookup(nul) == NULL);
    struct slice prefix = {"getrange", 3};
    CHECK(cmd_lookup(prefix) == get);
}

static void test_every_name_found(void)
{
    size_t n;
    const struct cmd_def *const *all = cmd_all(&n);
    CHECK(n > 50);
    for (size_t i = 0; i < n; i++) {
        char up[64];
        size_t len = strlen(all[i]->name);
        CHECK(len < sizeof(up));
        for (size_t j = 0; j < len; j++) {
            char c = all[i]->name[j];
            up[j] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
        }
        struct slice s = {up, len};
        CHECK(cmd_lookup(s) == all[i]);
        CHECK(all[i]->parent == NULL);
        if (i > 0)
            CHECK(strcmp(all[i - 1]->name, all[i]->name) < 0);
    }
}

static void test_subcommands(void)
{
    const struct cmd_def *config = cmd_lookup(S("CONFIG"));
    CHECK(config != NULL);
    CHECK(config->nsubcmds >= 5);
    CHECK(config->handler == NULL);
    const struct cmd_def *cget = cmd_lookup_sub(config, S("GeT"));
    CHECK(cget != NULL);
    CHECK(strcmp(cget->fullname, "config|get") == 0);
    CHECK(strcmp(cget->name, "get") == 0);
    CHECK(cget->parent == config);
    CHECK(cget->handler != NULL);
    CHECK_EQ(cget->arity, -3);
    CHECK(cmd_lookup_sub(config, S("nosuch")) == NULL);
    CHECK(cmd_lookup_sub(config, S("ge")) == NULL);
    CHECK(cmd_lookup_sub(config, S("")) == NULL);

    const struct cmd_def *client = cmd_lookup(S("client"));
    CHECK(client != NULL);
    const struct cmd_def *ne = cmd_lookup_sub(client, S("NO-EVICT"));
    CHECK(ne != NULL);
    CHECK(strcmp(ne->fullname, "client|no-evict") == 0);

    /* COMMAND is a container that also runs on its own. */
    const struct cmd_def *command = cmd_lookup(S("command"));
    CHECK(command != NULL);
    CHECK(command->nsubcmds >= 7);
    CHECK(command->handler != NULL);
    CHECK_EQ(command->arity, -1);
    CHECK(cmd_lookup_sub(command, S("getkeysandflags")) != NULL);

    /* A plain command has no subcommands. */
    const struct cmd_def *get = cmd_lookup(S("get"));
    CHECK(cmd_lookup_sub(get, S("x")) == NULL);
}

static void test_ids(void)
{
    size_t total = cmd_count();
    size_t n;
    const struct cmd_def *const *all = cmd_all(&n);
    size_t seen = 0;
    CHECK(total > n);
    for (size_t i = 0; i < n; i++) {
        CHECK(cmd_by_id(all[i]->id) == all[i]);
        seen++;
        for (int j = 0; j < all[i]->nsubcmds; j++) {
            const struct cmd_def *s = all[i]->subcmds[j];
            CHECK(cmd_by_id(s->id) == s);
            CHECK(s->parent == all[i]);
            seen++;
        }
    }
    CHECK_EQ(seen, total);
    CHECK(cmd_by_id(-1) == NULL);
    CHECK(cmd_by_id((int)total) == NULL);
}

static void test_arity_and_flags(void)
{
    CHECK_EQ(cmd_lookup(S("get"))->arity, 2);
    CHECK_EQ(cmd_lookup(S("set"))->arity, -3);
    CHECK_EQ(cmd_lookup(S("mset"))->arity, -3);
    CHECK_EQ(cmd_lookup(S("del"))->arity, -2);
    CHECK_EQ(cmd_lookup(S("ping"))->arity, -1);
    CHECK_EQ(cmd_lookup(S("rename"))->arity, 3);
    CHECK_EQ(cmd_lookup(S("copy"))->arity, -3);
    CHECK_EQ(cmd_lookup(S("multi"))->arity, 1);

    const struct cmd_def *set = cmd_lookup(S("set"));
    CHECK((set->flags & (CMD_WRITE | CMD_DENYOOM)) == (CMD_WRITE | CMD_DENYOOM));
    CHECK(!(set->flags & CMD_FAST));
    const struct cmd_def *get = cmd_lookup(S("get"));
    CHECK((get->flags & (CMD_READONLY | CMD_FAST)) == (CMD_READONLY | CMD_FAST));
    CHECK(!(get->flags & CMD_MOVABLE_KEYS));
    const struct cmd_def *hello = cmd_lookup(S("hello"));
    CHECK(hello->flags & CMD_NO_AUTH);
    CHECK(hello->flags & CMD_ALLOW_BUSY);

    /* ACL categories: names and bits agree. */
    int rd = cmd_acl_category_bit("read", 4);
    int str = cmd_acl_category_bit("@STRING", 7);
    int slow = cmd_acl_category_bit("slow", 4);
    CHECK(rd >= 0 && str >= 0 && slow >= 0);
    CHECK(cmd_acl_category_bit("nosuch", 6) == -1);
    CHECK(strcmp(cmd_acl_category_name(rd), "read") == 0);
    CHECK(cmd_acl_category_name(-1) == NULL);
    CHECK(get->acl_bits & ((uint64_t)1 << rd));
    CHECK(get->acl_bits & ((uint64_t)1 << str));
    CHECK(!(get->acl_bits & ((uint64_t)1 << slow)));
    CHECK(set->acl_bits & ((uint64_t)1 << slow));
    CHECK(strcmp(get->acl_categories[0], "@read") == 0);
}

static void test_legacy_triple(void)
{
    const struct cmd_def *d = cmd_lookup(S("get"));
    CHECK_EQ(d->first_key, 1);
    CHECK_EQ(d->last_key, 1);
    CHECK_EQ(d->key_step, 1);
    d = cmd_lookup(S("mset"));
    CHECK_EQ(d->first_key, 1);
    CHECK_EQ(d->last_key, -1);
    CHECK_EQ(d->key_step, 2);
    d = cmd_lookup(S("rename"));
    CHECK_EQ(d->first_key, 1);
    CHECK_EQ(d->last_key, 2);
    CHECK_EQ(d->key_step, 1);
    CHECK(!(d->flags & CMD_MOVABLE_KEYS));
    d = cmd_lookup(S("del"));
    CHECK_EQ(d->first_key, 1);
    CHECK_EQ(d->last_key, -1);
    CHECK_EQ(d->key_step, 1);
    d = cmd_lookup(S("keys"));
    CHECK_EQ(d->first_key, 0);
    CHECK_EQ(d->last_key, 0);
    CHECK_EQ(d->key_step, 0);
    CHECK_EQ(d->nkeyspecs, 0);
    d = cmd_lookup_sub(cmd_lookup(S("object")), S("encoding"));
    CHECK_EQ(d->first_key, 2);
    CHECK_EQ(d->last_key, 2);
    CHECK_EQ(d->key_step, 1);
    /* A keyword key spec makes the keys movable. */
    d = cmd_lookup(S("xread"));
    if (d) {
        CHECK_EQ(d->first_key, 0);
        CHECK_EQ(d->last_key, 0);
        CHECK_EQ(d->key_step, 0);
        CHECK(d->flags & CMD_MOVABLE_KEYS);
    }
}

static void test_keyspecs_data(void)
{
    const struct cmd_def *set = cmd_lookup(S("set"));
    CHECK_EQ(set->nkeyspecs, 1);
    const struct cmd_keyspec *ks = &set->keyspecs[0];
    CHECK(ks->begin == KS_BEGIN_INDEX);
    CHECK_EQ(ks->pos, 1);
    CHECK(ks->find == KS_FIND_RANGE);
    CHECK_EQ(ks->lastkey, 0);
    CHECK_EQ(ks->keystep, 1);
    CHECK(ks->notes != NULL);
    CHECK(strcmp(ks->flags[0], "RW") == 0);
    CHECK(strcmp(ks->flags[1], "ACCESS") == 0);
    CHECK(ks->flags[4] == NULL);
    CHECK_EQ(set->args[0].key_spec_index, 0);
    CHECK(set->args[0].type == ARG_KEY);
    CHECK(set->args[2].type == ARG_ONEOF);
    CHECK(set->args[2].flags & ARG_F_OPTIONAL);
    CHECK(set->args[2].nsubargs >= 2);
    CHECK(strcmp(set->args[2].subargs[0].token, "NX") == 0);
    /* display_text defaults to the name for plain arguments. */
    CHECK(strcmp(set->args[1].display, "value") == 0);
    CHECK(set->args[2].display == NULL);
}

static void test_get_keys(void)
{
    CHECK_KEYS("GET k", "1");
    CHECK_KEYS("get k", "1");
    CHECK_KEYS("SET k v EX 10", "1");
    CHECK_KEYS("MSET a 1 b 2 c 3", "1,3,5");
    CHECK_KEYS("MGET a b c", "1,2,3");
    CHECK_KEYS("DEL a b c d", "1,2,3,4");
    CHECK_KEYS("EXISTS a", "1");
    CHECK_KEYS("RENAME a b", "1,2");
    CHECK_KEYS("RENAMENX a b", "1,2");
    CHECK_KEYS("COPY src dst", "1,2");
    CHECK_KEYS("COPY src dst DB 3 REPLACE", "1,2");
    CHECK_KEYS("OBJECT ENCODING k", "2");
    CHECK_KEYS("MEMORY USAGE k SAMPLES 5", "2");
    CHECK_KEYS("WATCH a b", "1,2");
    CHECK_KEYS("PING", "");
    CHECK_KEYS("KEYS *", "");
    CHECK_KEYS("NOSUCH a", "NOCMD");
    if (cmd_lookup(S("xread"))) {
        CHECK_KEYS("XREAD STREAMS a 0", "2");
        CHECK_KEYS("XREAD COUNT 5 STREAMS a b 0 0", "4,5");
        CHECK_KEYS("xread block 0 streams s1 s2 s3 1 2 3", "4,5,6");
        /* Keys take half of what follows STREAMS (rounded down); the
         * command itself rejects an odd count. */
        CHECK_KEYS("XREAD STREAMS a b 0", "2");
        CHECK_KEYS("XREAD STREAMS a", "ERR");
        /* STREAMS as the last argument: no keys follow. */
        CHECK_KEYS("XREAD COUNT 1 STREAMS", "");
        /* No STREAMS keyword at all: the spec does not apply. */
        CHECK_KEYS("XREAD COUNT 1 BLOCK 0", "");
    }
}

static void test_get_keys_spec_index(void)
{
    struct argv_buf a;
    int pos[MAXARGS], spec[MAXARGS];
    split(&a, "COPY s d");
    const struct cmd_def *d = resolve(&a);
    CHECK(d != NULL);
    int n = cmd_get_keys_ex(d, a.argc, a.v, pos, spec, MAXARGS);
    CHECK_EQ(n, 2);
    CHECK_EQ(spec[0], 0);
    CHECK_EQ(spec[1], 1);
    CHECK(strcmp(d->keyspecs[spec[0]].flags[0], "RO") == 0);
    CHECK(strcmp(d->keyspecs[spec[1]].flags[0], "OW") == 0);

    /* cap bounds what is written. */
    split(&a, "DEL a b c d e");
    d = resolve(&a);
    n = cmd_get_keys(d, a.argc, a.v, pos, 2);
    CHECK_EQ(n, 2);
    CHECK_EQ(pos[0], 1);
    CHECK_EQ(pos[1], 2);
}

int main(void)
{
    RUN(test_lookup_case);
    RUN(test_every_name_found);
    RUN(test_subcommands);
    RUN(test_ids);
    RUN(test_arity_and_flags);
    RUN(test_legacy_triple);
    RUN(test_keyspecs_data);
    RUN(test_get_keys);
    RUN(test_get_keys_spec_index);
    UNIT_DONE();
}
