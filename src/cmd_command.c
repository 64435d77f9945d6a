/*
 * cmd_command.c - COMMAND and its subcommands: introspection of the
 * command table (COMMAND, COUNT, INFO, DOCS, LIST, GETKEYS,
 * GETKEYSANDFLAGS, HELP).
 *
 * Reply shapes follow Redis 7/8.  Maps and sets go through resp_map and
 * resp_set, so RESP2 clients see flat arrays and RESP3 clients see typed
 * aggregates.  Per command, COMMAND INFO replies with a 10-element array:
 *
 *   name ("config|get" for a subcommand), arity, flags (set of simple
 *   strings), first key, last key, key step, ACL categories (set of
 *   "@cat"), tips (set), key specs (array of maps), subcommands (array of
 *   the same shape; an empty set when there are none)
 *
 * A key spec map is {notes?, flags, begin_search {type, spec},
 * find_keys {type, spec}}.  COMMAND DOCS replies with a map from name to
 * {summary, since, group, complexity?, doc_flags?, deprecated_since?,
 * replaced_by?, history?, arguments?, subcommands?}.
 */
#include "cmd_table.h"

#include <stdio.h>
#include <string.h>

#include "lib/mem.h"

/* Command flags in COMMAND INFO order.  may_replicate, sentinel,
 * only_sentinel, protected and touches_arbitrary_keys are internal and
 * not shown, as in Redis. */
static const struct {
    uint32_t bit;
    const char *name;
} info_flags[] = {
    {CMD_WRITE, "write"},
    {CMD_READONLY, "readonly"},
    {CMD_DENYOOM, "denyoom"},
    {CMD_MODULE, "module"},
    {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"},
    {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"},
    {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"},
    {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_ASKING, "asking"},
    {CMD_FAST, "fast"},
    {CMD_NO_AUTH, "no_auth"},
    {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"},
    {CMD_NO_ASYNC_LOADING, "no_async_loading"},
    {CMD_NO_MULTI, "no_multi"},
    {CMD_MOVABLE_KEYS, "movablekeys"},
    {CMD_ALLOW_BUSY, "allow_busy"},
};

static const char *const arg_type_names[] = {
    [ARG_STRING] = "string",         [ARG_INTEGER] = "integer",
    [ARG_DOUBLE] = "double",         [ARG_KEY] = "key",
    [ARG_PATTERN] = "pattern",       [ARG_UNIX_TIME] = "unix-time",
    [ARG_PURE_TOKEN] = "pure-token", [ARG_ONEOF] = "oneof",
    [ARG_BLOCK] = "block",
};

static size_t strv_len(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* ---- lookups ------------------------------------------------------------ */

/* "get", "config", or "config|get" (case-insensitive); NULL if unknown.
 * A container name alone resolves to the container. */
static const struct cmd_def *lookup_fullname(struct slice name)
{
    const char *bar = memchr(name.p, '|', name.len);
    if (!bar)
        return cmd_lookup(name);
    struct slice base = {name.p, (size_t)(bar - name.p)};
    struct slice sub = {bar + 1, name.len - base.len - 1};
    if (memchr(sub.p, '|', sub.len))
        return NULL;
    const struct cmd_def *d = cmd_lookup(base);
    if (!d || d->nsubcmds == 0)
        return NULL;
    return cmd_lookup_sub(d, sub);
}

/* The command an argv would run, as dispatch resolves it: the
 * subcommand named by argv[1] for a container, NULL when unknown. */
static const struct cmd_def *lookup_argv(int argc, const struct slice *argv)
{
    const struct cmd_def *d = cmd_lookup(argv[0]);
    if (!d || argc == 1 || d->nsubcmds == 0)
        return d;
    return cmd_lookup_sub(d, argv[1]);
}

/* ---- COMMAND INFO --------------------------------------------------------- */

static void reply_command_flags(struct resp_out *o, uint32_t flags)
{
    size_t n = 0, i;
    for (i = 0; i < sizeof(info_flags) / sizeof(info_flags[0]); i++)
        if (flags & info_flags[i].bit)
            n++;
    resp_set(o, (long long)n);
    for (i = 0; i < sizeof(info_flags) / sizeof(info_flags[0]); i++)
        if (flags & info_flags[i].bit)
            resp_simple(o, info_flags[i].name);
}

static void reply_acl_categories(struct resp_out *o, uint64_t bits)
{
    char buf[64];
    long long n = 0;
    for (int b = 0; b < CMD_ACL_NCATEGORIES; b++)
        if (bits & ((uint64_t)1 << b))
            n++;
    resp_set(o, n);
    for (int b = 0; b < CMD_ACL_NCATEGORIES; b++) {
        if (bits & ((uint64_t)1 << b)) {
            snprintf(buf, sizeof(buf), "@%s", cmd_acl_category_name(b));
            resp_simple(o, buf);
        }
    }
}

/* Key spec flags as COMMAND INFO shows them: RO/RW/OW/RM upper case,
 * the rest lower case. */
static void reply_keyspec_flags(struct resp_out *o, const char *const *flags)
{
    size_t n = strv_len(flags);
    char buf[32];
    resp_set(o, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const char *f = flags[i];
        if (strlen(f) == 2) {
            resp_simple(o, f);
            continue;
        }
        size_t j = 0;
        for (; f[j] && j < sizeof(buf) - 1; j++)
            buf[j] = (f[j] >= 'A' && f[j] <= 'Z') ? (char)(f[j] + 32) : f[j];
        buf[j] = '\0';
        resp_simple(o, buf);
    }
}

static void reply_keyspecs(struct resp_out *o, const struct cmd_def *d)
{
    resp_set(o, d->nkeyspecs);
    for (int i = 0; i < d->nkeyspecs; i++) {
        const struct cmd_keyspec *ks = &d->keyspecs[i];
        resp_map(o, ks->notes ? 4 : 3);
        if (ks->notes) {
            resp_bulk_str(o, "notes");
            resp_bulk_str(o, ks->notes);
        }
        resp_bulk_str(o, "flags");
        reply_keyspec_flags(o, ks->flags);

        resp_bulk_str(o, "begin_search");
        resp_map(o, 2);
        resp_bulk_str(o, "type");
        if (ks->begin == KS_BEGIN_INDEX) {
            resp_bulk_str(o, "index");
            resp_bulk_str(o, "spec");
            resp_map(o, 1);
            resp_bulk_str(o, "index");
            resp_int(o, ks->pos);
        } else if (ks->begin == KS_BEGIN_KEYWORD) {
            resp_bulk_str(o, "keyword");
            resp_bulk_str(o, "spec");
            resp_map(o, 2);
            resp_bulk_str(o, "keyword");
            resp_bulk_str(o, ks->keyword);
            resp_bulk_str(o, "startfrom");
            resp_int(o, ks->startfrom);
        } else {
            resp_bulk_str(o, "unknown");
            resp_bulk_str(o, "spec");
            resp_map(o, 0);
        }

        resp_bulk_str(o, "find_keys");
        resp_map(o, 2);
        resp_bulk_str(o, "type");
        if (ks->find == KS_FIND_RANGE) {
            resp_bulk_str(o, "range");
            resp_bulk_str(o, "spec");
            resp_map(o, 3);
            resp_bulk_str(o, "lastkey");
            resp_int(o, ks->lastkey);
            resp_bulk_str(o, "keystep");
            resp_int(o, ks->keystep);
            resp_bulk_str(o, "limit");
            resp_int(o, ks->limit);
        } else if (ks->find == KS_FIND_KEYNUM) {
            resp_bulk_str(o, "keynum");
            resp_bulk_str(o, "spec");
            resp_map(o, 3);
            resp_bulk_str(o, "keynumidx");
            resp_int(o, ks->keynumidx);
            resp_bulk_str(o, "firstkey");
            resp_int(o, ks->firstkey);
            resp_bulk_str(o, "keystep");
            resp_int(o, ks->step);
        } else {
            resp_bulk_str(o, "unknown");
            resp_bulk_str(o, "spec");
            resp_map(o, 0);
        }
    }
}

static void reply_info(struct resp_out *o, const struct cmd_def *d)
{
    if (!d) {
        resp_null(o);
        return;
    }
    resp_array(o, 10);
    resp_bulk_str(o, d->fullname);
    resp_int(o, d->arity);
    reply_command_flags(o, d->flags);
    resp_int(o, d->first_key);
    resp_int(o, d->last_key);
    resp_int(o, d->key_step);
    reply_acl_categories(o, d->acl_bits);
    size_t ntips = strv_len(d->tips);
    resp_set(o, (long long)ntips);
    for (size_t i = 0; i < ntips; i++)
        resp_bulk_str(o, d->tips[i]);
    reply_keyspecs(o, d);
    if (d->nsubcmds == 0) {
        resp_set(o, 0);
    } else {
        resp_array(o, d->nsubcmds);
        for (int i = 0; i < d->nsubcmds; i++)
            reply_info(o, d->subcmds[i]);
    }
}

static void reply_all_info(struct resp_out *o)
{
    size_t n;
    const struct cmd_def *const *all = cmd_all(&n);
    resp_array(o, (long long)n);
    for (size_t i = 0; i < n; i++)
        reply_info(o, all[i]);
}

void cmd_command(struct cmd_ctx *ctx)
{
    reply_all_info(ctx->out);
}

void cmd_command_count(struct cmd_ctx *ctx)
{
    size_t n;
    cmd_all(&n);
    resp_int(ctx->out, (long long)n);
}

void cmd_command_info(struct cmd_ctx *ctx)
{
    if (ctx->argc == 2) {
        reply_all_info(ctx->out);
        return;
    }
    resp_array(ctx->out, ctx->argc - 2);
    for (int i = 2; i < ctx->argc; i++)
        reply_info(ctx->out, lookup_fullname(ctx->argv[i]));
}

/* ---- COMMAND DOCS --------------------------------------------------------- */

static void reply_args(struct resp_out *o, const struct cmd_arg *args, int nargs)
{
    resp_array(o, nargs);
    for (int i = 0; i < nargs; i++) {
        const struct cmd_arg *a = &args[i];
        int nested = a->type == ARG_ONEOF || a->type == ARG_BLOCK;
        const char *display = nested ? NULL : (a->display ? a->display : a->name);
        long long n = 2;
        n += display != NULL;
        n += a->key_spec_index >= 0;
        n += a->token != NULL;
        n += a->summary != NULL;
        n += a->since != NULL;
        n += a->deprecated_since != NULL;
        n += a->flags != 0;
        n += nested;
        resp_map(o, n);
        resp_bulk_str(o, "name");
        resp_bulk_str(o, a->name);
        resp_bulk_str(o, "type");
        resp_bulk_str(o, arg_type_names[a->type]);
        if (display) {
            resp_bulk_str(o, "display_text");
            resp_bulk_str(o, display);
        }
        if (a->key_spec_index >= 0) {
            resp_bulk_str(o, "key_spec_index");
            resp_int(o, a->key_spec_index);
        }
        if (a->token) {
            resp_bulk_str(o, "token");
            resp_bulk_str(o, a->token);
        }
        if (a->summary) {
            resp_bulk_str(o, "summary");
            resp_bulk_str(o, a->summary);
        }
        if (a->since) {
            resp_bulk_str(o, "since");
            resp_bulk_str(o, a->since);
        }
        if (a->deprecated_since) {
            resp_bulk_str(o, "deprecated_since");
            resp_bulk_str(o, a->deprecated_since);
        }
        if (a->flags) {
            long long nf = ((a->flags & ARG_F_OPTIONAL) != 0) + ((a->flags & ARG_F_MULTIPLE) != 0) +
                           ((a->flags & ARG_F_MULTIPLE_TOKEN) != 0);
            resp_bulk_str(o, "flags");
            resp_set(o, nf);
            if (a->flags & ARG_F_OPTIONAL)
                resp_simple(o, "optional");
            if (a->flags & ARG_F_MULTIPLE)
                resp_simple(o, "multiple");
            if (a->flags & ARG_F_MULTIPLE_TOKEN)
                resp_simple(o, "multiple_token");
        }
        if (nested) {
            resp_bulk_str(o, "arguments");
            reply_args(o, a->subargs, a->nsubargs);
        }
    }
}

static void reply_docs(struct resp_out *o, const struct cmd_def *d)
{
    size_t ndoc = strv_len(d->doc_flags);
    size_t nhist = strv_len(d->history) / 2;
    long long n = 3;
    n += d->complexity != NULL;
    n += ndoc > 0;
    n += d->deprecated_since != NULL;
    n += d->replaced_by != NULL;
    n += nhist > 0;
    n += d->nargs > 0;
    n += d->nsubcmds > 0;
    resp_map(o, n);
    resp_bulk_str(o, "summary");
    resp_bulk_str(o, d->summary ? d->summary : "");
    resp_bulk_str(o, "since");
    resp_bulk_str(o, d->since ? d->since : "");
    resp_bulk_str(o, "group");
    resp_bulk_str(o, d->group ? d->group : "");
    if (d->complexity) {
        resp_bulk_str(o, "complexity");
        resp_bulk_str(o, d->complexity);
    }
    if (ndoc > 0) {
        resp_bulk_str(o, "doc_flags");
        resp_set(o, (long long)ndoc);
        for (size_t i = 0; i < ndoc; i++)
            resp_simple(o, d->doc_flags[i]);
    }
    if (d->deprecated_since) {
        resp_bulk_str(o, "deprecated_since");
        resp_bulk_str(o, d->deprecated_since);
    }
    if (d->replaced_by) {
        resp_bulk_str(o, "replaced_by");
        resp_bulk_str(o, d->replaced_by);
    }
    if (nhist > 0) {
        resp_bulk_str(o, "history");
        resp_set(o, (long long)nhist);
        for (size_t i = 0; i < nhist; i++) {
            resp_array(o, 2);
            resp_bulk_str(o, d->history[2 * i]);
            resp_bulk_str(o, d->history[2 * i + 1]);
        }
    }
    if (d->nargs > 0) {
        resp_bulk_str(o, "arguments");
        reply_args(o, d->args, d->nargs);
    }
    if (d->nsubcmds > 0) {
        resp_bulk_str(o, "subcommands");
        resp_map(o, d->nsubcmds);
        for (int i = 0; i < d->nsubcmds; i++) {
            resp_bulk_str(o, d->subcmds[i]->fullname);
            reply_docs(o, d->subcmds[i]);
        }
    }
}

void cmd_command_docs(struct cmd_ctx *ctx)
{
    struct resp_out *o = ctx->out;
    if (ctx->argc == 2) {
        size_t n;
        const struct cmd_def *const *all = cmd_all(&n);
        resp_map(o, (long long)n);
        for (size_t i = 0; i < n; i++) {
            resp_bulk_str(o, all[i]->fullname);
            reply_docs(o, all[i]);
        }
        return;
    }
    /* Unknown names are left out of the map. */
    long long found = 0;
    for (int i = 2; i < ctx->argc; i++)
        if (lookup_fullname(ctx->argv[i]))
            found++;
    resp_map(o, found);
    for (int i = 2; i < ctx->argc; i++) {
        const struct cmd_def *d = lookup_fullname(ctx->argv[i]);
        if (!d)
            continue;
        resp_bulk_str(o, d->fullname);
        reply_docs(o, d);
    }
}

/* ---- COMMAND LIST --------------------------------------------------------- */

enum list_filter { FILTER_NONE, FILTER_MODULE, FILTER_ACLCAT, FILTER_PATTERN };

struct list_spec {
    enum list_filter type;
    struct slice arg;
    int aclbit; /* FILTER_ACLCAT: -1 when the category is unknown */
};

static int list_match(const struct list_spec *f, const struct cmd_def *d)
{
    switch (f->type) {
    case FILTER_NONE:
        return 1;
    case FILTER_MODULE:
        return 0; /* no modules are loaded, so no command belongs to one */
    case FILTER_ACLCAT:
        return f->aclbit >= 0 && (d->acl_bits & ((uint64_t)1 << f->aclbit));
    case FILTER_PATTERN:
        return util_glob_match(f->arg.p, f->arg.len, d->fullname, strlen(d->fullname), 1);
    }
    return 0;
}

/* Count (o == NULL) or emit the matching names, subcommands included. */
static long long list_walk(struct resp_out *o, const struct list_spec *f)
{
    size_t n;
    const struct cmd_def *const *all = cmd_all(&n);
    long long count = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cmd_def *d = all[i];
        if (list_match(f, d)) {
            count++;
            if (o)
                resp_bulk_str(o, d->fullname);
        }
        for (int j = 0; j < d->nsubcmds; j++) {
            if (list_match(f, d->subcmds[j])) {
                count++;
                if (o)
                    resp_bulk_str(o, d->subcmds[j]->fullname);
            }
        }
    }
    return count;
}

void cmd_command_list(struct cmd_ctx *ctx)
{
    struct list_spec f = {FILTER_NONE, {NULL, 0}, -1};
    for (int i = 2; i < ctx->argc; i++) {
        int more = ctx->argc - 1 - i;
        if (!util_eq_nocase(ctx->argv[i], "filterby") || more != 2) {
            cmd_error_syntax(ctx);
            return;
        }
        struct slice type = ctx->argv[i + 1];
        f.arg = ctx->argv[i + 2];
        if (util_eq_nocase(type, "module")) {
            f.type = FILTER_MODULE;
        } else if (util_eq_nocase(type, "aclcat")) {
            f.type = FILTER_ACLCAT;
            /* Category names are given without '@'. */
            f.aclbit = (f.arg.len > 0 && f.arg.p[0] == '@')
                           ? -1
                           : cmd_acl_category_bit(f.arg.p, f.arg.len);
        } else if (util_eq_nocase(type, "pattern")) {
            f.type = FILTER_PATTERN;
        } else {
            cmd_error_syntax(ctx);
            return;
        }
        i += 2;
    }
    resp_array(ctx->out, list_walk(NULL, &f));
    list_walk(ctx->out, &f);
}

/* ---- COMMAND GETKEYS / GETKEYSANDFLAGS ------------------------------------ */

/* Key flags that depend on the arguments (key specs flagged
 * VARIABLE_FLAGS): SET reads and returns the old value only with GET. */
static const char *const set_get_flags[] = {"RW", "ACCESS", "UPDATE", NULL};
static const char *const set_plain_flags[] = {"OW", "UPDATE", NULL};

static const char *const *key_flags(const struct cmd_def *d, int spec, int argc,
                                    const struct slice *argv)
{
    const char *const *flags = d->keyspecs[spec].flags;
    int variable = 0;
    for (size_t i = 0; flags[i]; i++)
        if (strcmp(flags[i], "VARIABLE_FLAGS") == 0)
            variable = 1;
    if (!variable || strcmp(d->fullname, "set") != 0)
        return flags;
    for (int i = 3; i < argc; i++)
        if (util_eq_nocase(argv[i], "get"))
            return set_get_flags;
    return set_plain_flags;
}

static void getkeys(struct cmd_ctx *ctx, int with_flags)
{
    int argc = ctx->argc - 2;
    const struct slice *argv = ctx->argv + 2;
    const struct cmd_def *d = lookup_argv(argc, argv);

    if (!d) {
        cmd_error(ctx, "ERR Invalid command specified");
        return;
    }
    if (d->nkeyspecs == 0) {
        cmd_error(ctx, "ERR The command has no key arguments");
        return;
    }
    if ((d->arity > 0 && d->arity != argc) || argc < -d->arity) {
        cmd_error(ctx, "ERR Invalid number of arguments specified for command");
        return;
    }

    int stackpos[32], stackspec[32];
    int *pos = stackpos, *spec = stackspec;
    /* Every argument is at most one key, per key spec. */
    int cap = argc * (d->nkeyspecs > 0 ? d->nkeyspecs : 1);
    if (cap > 32) {
        pos = mem_alloc(sizeof(int) * (size_t)cap);
        spec = mem_alloc(sizeof(int) * (size_t)cap);
    }
    int n = cmd_get_keys_ex(d, argc, argv, pos, spec, cap);
    if (n <= 0) {
        if (d->flags & CMD_NO_MANDATORY_KEYS)
            resp_array(ctx->out, 0);
        else
            cmd_error(ctx, "ERR Invalid arguments specified for command");
    } else {
        resp_array(ctx->out, n);
        for (int i = 0; i < n; i++) {
            const struct slice *k = &argv[pos[i]];
            if (with_flags) {
                resp_array(ctx->out, 2);
                resp_bulk(ctx->out, k->p, k->len);
                reply_keyspec_flags(ctx->out, key_flags(d, spec[i], argc, argv));
            } else {
                resp_bulk(ctx->out, k->p, k->len);
            }
        }
    }
    if (pos != stackpos) {
        mem_free(pos);
        mem_free(spec);
    }
}

void cmd_command_getkeys(struct cmd_ctx *ctx)
{
    getkeys(ctx, 0);
}

void cmd_command_getkeysandflags(struct cmd_ctx *ctx)
{
    getkeys(ctx, 1);
}

/* ---- COMMAND HELP --------------------------------------------------------- */

void cmd_command_help(struct cmd_ctx *ctx)
{
    static const char *const lines[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        NULL,
    };
    cmd_reply_help(ctx, lines);
}
