/*
 * cmd_table.c - the generated command table: lookup, enumeration and key
 * extraction by key specs.
 *
 * The data lives in build/<variant>/gen/cmd_table.h (tools/gencmd.py from
 * commands/NAME.json); this file is the only one that includes its data
 * part (WEIR_CMD_TABLE_IMPL), so every cmd_def has one address.
 *
 * Lookup is on the path of every request: the name is lowercased into a
 * stack buffer while its FNV-1a hash is computed, then the generated
 * open-addressing table is probed.  Names longer than the longest
 * command cannot match and return NULL without hashing.
 */
#define WEIR_CMD_TABLE_IMPL
#include "cmd_table.h"

#include <string.h>

static unsigned char lower_ascii(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

const struct cmd_def *cmd_lookup(struct slice name)
{
    char buf[CMD_NAME_MAX];
    uint32_t h = 2166136261u;

    if (name.len == 0 || name.len > CMD_NAME_MAX)
        return NULL;
    for (size_t i = 0; i < name.len; i++) {
        unsigned char c = lower_ascii((unsigned char)name.p[i]);
        buf[i] = (char)c;
        h = (h ^ c) * 16777619u;
    }
    for (uint32_t slot = h & (CMD_HASH_SIZE - 1);; slot = (slot + 1) & (CMD_HASH_SIZE - 1)) {
        int idx = cmd_hash_slots[slot];
        if (idx < 0)
            return NULL;
        if (cmd_name_lens[idx] == name.len && memcmp(cmd_table_all[idx]->name, buf, name.len) == 0)
            return cmd_table_all[idx];
    }
}

/* Case-insensitive equality of a slice with a lowercase NUL-terminated
 * name. */
static int name_eq(struct slice s, const char *lower)
{
    size_t i = 0;
    for (; i < s.len; i++) {
        if (lower[i] == '\0' || lower_ascii((unsigned char)s.p[i]) != (unsigned char)lower[i])
            return 0;
    }
    return lower[i] == '\0';
}

const struct cmd_def *cmd_lookup_sub(const struct cmd_def *container, struct slice sub)
{
    if (!container)
        return NULL;
    for (int i = 0; i < container->nsubcmds; i++) {
        if (name_eq(sub, container->subcmds[i]->name))
            return container->subcmds[i];
    }
    return NULL;
}

const struct cmd_def *const *cmd_all(size_t *n)
{
    if (n)
        *n = CMD_TABLE_NCOMMANDS;
    return cmd_table_all;
}

size_t cmd_count(void)
{
    return CMD_TABLE_NDEFS;
}

const struct cmd_def *cmd_by_id(int id)
{
    if (id < 0 || id >= CMD_TABLE_NDEFS)
        return NULL;
    return cmd_table_by_id[id];
}

int cmd_acl_category_bit(const char *name, size_t len)
{
    if (len > 0 && name[0] == '@') {
        name++;
        len--;
    }
    struct slice s = {name, len};
    for (int i = 0; i < CMD_ACL_NCATEGORIES; i++) {
        if (name_eq(s, cmd_acl_category_names[i]))
            return i;
    }
    return -1;
}

const char *cmd_acl_category_name(int bit)
{
    if (bit < 0 || bit >= CMD_ACL_NCATEGORIES)
        return NULL;
    return cmd_acl_category_names[bit];
}

/* ---- key extraction ---------------------------------------------------- */

/* Parse a whole slice as a non-negative decimal count; -1 if it is not. */
static long long parse_count(struct slice s)
{
    long long v;
    if (util_parse_ll(s.p, s.len, &v) != 0 || v < 0)
        return -1;
    return v;
}

/* Where the keys of one spec begin: the argv index, 0 when the spec does
 * not apply to this argv (keyword absent, unknown search). */
static int spec_first(const struct cmd_keyspec *ks, int argc, const struct slice *argv)
{
    if (ks->begin == KS_BEGIN_INDEX)
        return ks->pos;
    if (ks->begin != KS_BEGIN_KEYWORD)
        return 0;
    /* Search from startfrom towards the end (positive) or, for a negative
     * startfrom counted from the end, towards the command name.  The
     * last argument is never a keyword that can be followed by keys. */
    int start = ks->startfrom > 0 ? ks->startfrom : argc + ks->startfrom;
    int end = ks->startfrom > 0 ? argc - 1 : 1;
    int dir = start <= end ? 1 : -1;
    for (int i = start; i != end; i += dir) {
        if (i >= argc || i < 1)
            break;
        if (util_eq_nocase(argv[i], ks->keyword))
            return i + 1;
    }
    return 0;
}

int cmd_get_keys_ex(const struct cmd_def *d, int argc, const struct slice *argv, int *pos,
                    int *spec, int cap)
{
    int n = 0;
    if (!d)
        return -1;
    for (int s = 0; s < d->nkeyspecs; s++) {
        const struct cmd_keyspec *ks = &d->keyspecs[s];
        int first = spec_first(ks, argc, argv);
        int last, step;
        if (first <= 0)
            continue;
        if (ks->find == KS_FIND_RANGE) {
            step = ks->keystep > 0 ? ks->keystep : 1;
            if (ks->lastkey >= 0) {
                last = first + ks->lastkey;
            } else if (ks->limit == 0) {
                last = argc + ks->lastkey;
            } else {
                /* Keys take 1/limit of what follows (XREAD: keys, then as
                 * many IDs).  As in Redis, an odd count is not rejected
                 * here; the command itself reports it. */
                last = first + (argc - first) / ks->limit + ks->lastkey;
            }
        } else if (ks->find == KS_FIND_KEYNUM) {
            step = ks->step > 0 ? ks->step : 1;
            if (first + ks->keynumidx >= argc)
                return -1;
            long long numkeys = parse_count(argv[first + ks->keynumidx]);
            if (numkeys < 0 || numkeys > argc)
                return -1;
            first += ks->firstkey;
            last = first + (int)numkeys * step - 1;
            if (numkeys == 0)
                continue;
        } else {
            continue;
        }
        if (first >= argc || last >= argc || last < first)
            return -1;
        for (int i = first; i <= last; i += step) {
            if (n < cap) {
                pos[n] = i;
                if (spec)
                    spec[n] = s;
            }
            n++;
        }
    }
    return n < cap ? n : cap;
}

int cmd_get_keys(const struct cmd_def *d, int argc, const struct slice *argv, int *pos, int cap)
{
    return cmd_get_keys_ex(d, argc, argv, pos, NULL, cap);
}
