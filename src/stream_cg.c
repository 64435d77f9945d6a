/*
 * stream_cg.c - consumer groups; see stream_cg.h for the data layout and
 * the ownership rules.
 *
 * Sections: the ID B+tree (bt_*), the time-order list (tl_*), groups and
 * consumers, PEL operations, entries-read / lag, whole-set operations,
 * AOF rewrite, validation.
 */
#include "stream_cg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/mem.h"

/* ==== ID B+tree ============================================================================== */

#define BT_MAX 32           /* entries per node */
#define BT_MIN (BT_MAX / 4) /* fewer than this: merge or refill (non-root) */
#define BT_ROOT_CAP0 4      /* first capacity of a lone root leaf */
#define BT_DEPTH 24         /* enough for any count that fits in memory */

struct bt_ent {
    struct stream_id id; /* leaf: key; inner: lower bound of the child */
    void *v;             /* leaf: value; inner: struct cg_btnode * */
};

struct cg_btnode {
    uint16_t n, cap;
    uint16_t leaf;
    struct cg_btnode *next, *prev; /* leaf chain (leaves only) */
    struct bt_ent e[];
};

/* Root-to-leaf path of a descent: node[l], the child index taken there,
 * and whether node[l] is the rightmost node of its level. */
struct bt_path {
    struct cg_btnode *node[BT_DEPTH];
    unsigned idx[BT_DEPTH];
    uint8_t rightmost[BT_DEPTH];
};

static struct cg_btnode *bt_node_new(int leaf, unsigned cap)
{
    struct cg_btnode *x = mem_alloc(sizeof(*x) + sizeof(struct bt_ent) * cap);
    x->n = 0;
    x->cap = (uint16_t)cap;
    x->leaf = (uint16_t)leaf;
    x->next = x->prev = NULL;
    return x;
}

static int id_lt(struct stream_id a, struct stream_id b)
{
    return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq);
}

static int id_eq(struct stream_id a, struct stream_id b)
{
    return a.ms == b.ms && a.seq == b.seq;
}

/* First index whose key is >= id (x->n if none). */
static unsigned bt_lower(const struct cg_btnode *x, struct stream_id id)
{
    unsigned lo = 0, hi = x->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (id_lt(x->e[mid].id, id))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Inner node: the child whose range holds id (0 below the first bound). */
static unsigned bt_child(const struct cg_btnode *x, struct stream_id id)
{
    unsigned lo = 0, hi = x->n;
    while (lo < hi) { /* first index whose bound is > id */
        unsigned mid = (lo + hi) / 2;
        if (id_lt(id, x->e[mid].id))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo ? lo - 1 : 0;
}

static void bt_put(struct cg_btnode *x, unsigned pos, struct stream_id id, void *v)
{
    memmove(x->e + pos + 1, x->e + pos, sizeof(x->e[0]) * (x->n - pos));
    x->e[pos].id = id;
    x->e[pos].v = v;
    x->n++;
}

static void bt_cut(struct cg_btnode *x, unsigned pos)
{
    memmove(x->e + pos, x->e + pos + 1, sizeof(x->e[0]) * (x->n - pos - 1));
    x->n--;
}

/* The leaf among the chain ends whose key range covers id, or NULL. */
static struct cg_btnode *bt_end_leaf(const struct cg_idtree *t, struct stream_id id)
{
    struct cg_btnode *l = t->last;
    if (!id_lt(id, l->e[0].id))
        return l;
    l = t->first;
    if (!id_lt(l->e[l->n - 1].id, id))
        return l;
    return NULL;
}

static struct cg_btnode *bt_descend(const struct cg_idtree *t, struct stream_id id,
                                    struct bt_path *p)
{
    struct cg_btnode *x = t->root;
    for (int l = 0; !x->leaf; l++) {
        unsigned i = bt_child(x, id);
        if (p) {
            p->node[l] = x;
            p->idx[l] = i;
        }
        x = x->e[i].v;
    }
    if (p)
        p->node[t->height - 1] = x;
    return x;
}

static void *bt_find(const struct cg_idtree *t, struct stream_id id)
{
    if (!t->count)
        return NULL;
    struct cg_btnode *x = bt_end_leaf(t, id);
    if (!x)
        x = bt_descend(t, id, NULL);
    unsigned i = bt_lower(x, id);
    return i < x->n && id_eq(x->e[i].id, id) ? x->e[i].v : NULL;
}

/* ---- insertion ---- */

/* Move the entries of x from keep on into a new right sibling. */
static struct cg_btnode *bt_split(struct cg_idtree *t, struct cg_btnode *x, unsigned keep)
{
    struct cg_btnode *r = bt_node_new(x->leaf, BT_MAX);
    r->n = (uint16_t)(x->n - keep);
    memcpy(r->e, x->e + keep, sizeof(x->e[0]) * r->n);
    x->n = (uint16_t)keep;
    if (x->leaf) {
        r->next = x->next;
        r->prev = x;
        if (x->next)
            x->next->prev = r;
        x->next = r;
        if (t->last == x)
            t->last = r;
    }
    return r;
}

/* Insert (id, v) at pos of node path->node[l], splitting upwards.  A
 * full rightmost node receiving at its end (ascending IDs, the usual
 * case) keeps all its entries: the new one starts the right sibling, so
 * append-only trees stay full instead of half full. */
static void bt_insert_at(struct cg_idtree *t, struct bt_path *p, int l, unsigned pos,
                         struct stream_id id, void *v)
{
    struct cg_btnode *x = p->node[l];
    if (x->n < x->cap) {
        bt_put(x, pos, id, v);
        return;
    }
    int append = p->rightmost[l] && pos == x->n;
    struct cg_btnode *r = bt_split(t, x, append ? x->n : x->n / 2u);
    if (append || pos > x->n)
        bt_put(r, pos - x->n, id, v);
    else
        bt_put(x, pos, id, v);
    if (l == 0) {
        struct cg_btnode *root = bt_node_new(0, BT_MAX);
        root->n = 2;
        root->e[0].id = x->e[0].id;
        root->e[0].v = x;
        root->e[1].id = r->e[0].id;
        root->e[1].v = r;
        t->root = root;
        t->height++;
        return;
    }
    bt_insert_at(t, p, l - 1, p->idx[l - 1] + 1, r->e[0].id, r);
}

/* The lone root leaf is full but below BT_MAX: grow it in place. */
static void bt_grow_root(struct cg_idtree *t)
{
    struct cg_btnode *x = t->root;
    unsigned cap = x->cap * 2u > BT_MAX ? BT_MAX : x->cap * 2u;
    x = mem_realloc(x, sizeof(*x) + sizeof(struct bt_ent) * cap);
    x->cap = (uint16_t)cap;
    t->root = t->first = t->last = x;
}

/* Insert id, which must be absent. */
static void bt_insert(struct cg_idtree *t, struct stream_id id, void *v)
{
    if (!t->root) {
        struct cg_btnode *x = bt_node_new(1, BT_ROOT_CAP0);
        t->root = t->first = t->last = x;
        t->height = 1;
    }
    t->count++;
    struct cg_btnode *l = t->last;
    if (l->n && l->n < l->cap && id_lt(l->e[l->n - 1].id, id)) {
        l->e[l->n].id = id; /* append fast path: no bound changes above */
        l->e[l->n++].v = v;
        return;
    }
    if (t->height == 1 && l->n == l->cap && l->cap < BT_MAX)
        bt_grow_root(t);
    struct bt_path p;
    struct cg_btnode *x = t->root;
    int right = 1;
    for (int d = 0; !x->leaf; d++) {
        unsigned i = bt_child(x, id);
        if (i == 0 && id_lt(id, x->e[0].id))
            x->e[0].id = id; /* keep lower bounds valid */
        p.node[d] = x;
        p.idx[d] = i;
        p.rightmost[d] = (uint8_t)right;
        right = right && i + 1u == x->n;
        x = x->e[i].v;
    }
    p.node[t->height - 1] = x;
    p.rightmost[t->height - 1] = (uint8_t)right;
    bt_insert_at(t, &p, t->height - 1, bt_lower(x, id), id, v);
}

/* ---- deletion ---- */

static void bt_unchain(struct cg_idtree *t, struct cg_btnode *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        t->first = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        t->last = x->prev;
}

/* Append right's entries to left and free right (same parent). */
static void bt_merge(struct cg_idtree *t, struct cg_btnode *left, struct cg_btnode *right)
{
    memcpy(left->e + left->n, right->e, sizeof(right->e[0]) * right->n);
    left->n = (uint16_t)(left->n + right->n);
    if (right->leaf)
        bt_unchain(t, right);
    mem_free(right);
}

/* Shrink the tree from the top after the root lost children. */
static void bt_fix_root(struct cg_idtree *t)
{
    struct cg_btnode *r = t->root;
    if (r->leaf) {
        if (r->n == 0) {
            mem_free(r);
            t->root = t->first = t->last = NULL;
            t->height = 0;
        }
        return;
    }
    if (r->n == 1) {
        t->root = r->e[0].v;
        t->height--;
        mem_free(r);
    }
}

/* Node p->node[l] may be below BT_MIN: merge with or borrow from a sibling. */
static void bt_rebalance(struct cg_idtree *t, struct bt_path *p, int l)
{
    if (l == 0) {
        bt_fix_root(t);
        return;
    }
    struct cg_btnode *x = p->node[l], *par = p->node[l - 1];
    if (x->n >= BT_MIN)
        return;
    unsigned i = p->idx[l - 1];
    struct cg_btnode *left = i > 0 ? par->e[i - 1].v : NULL;
    struct cg_btnode *right = i + 1 < par->n ? par->e[i + 1].v : NULL;
    if (left && left->n + x->n <= BT_MAX) {
        bt_merge(t, left, x);
        bt_cut(par, i);
    } else if (right && x->n + right->n <= BT_MAX) {
        bt_merge(t, x, right);
        bt_cut(par, i + 1);
    } else if (left) {
        bt_put(x, 0, left->e[left->n - 1].id, left->e[left->n - 1].v);
        left->n--;
        par->e[i].id = x->e[0].id;
        return;
    } else if (right) {
        bt_put(x, x->n, right->e[0].id, right->e[0].v);
        bt_cut(right, 0);
        par->e[i + 1].id = right->e[0].id;
        return;
    } else {
        return;
    }
    bt_rebalance(t, p, l - 1);
}

/* Remove id; returns its value or NULL when absent. */
static void *bt_delete(struct cg_idtree *t, struct stream_id id)
{
    if (!t->count)
        return NULL;
    struct cg_btnode *x = bt_end_leaf(t, id);
    if (x && (x == t->root || x->n > BT_MIN)) {
        unsigned i = bt_lower(x, id);
        if (i == x->n || !id_eq(x->e[i].id, id))
            return NULL;
        void *v = x->e[i].v;
        bt_cut(x, i);
        t->count--;
        if (x == t->root && x->n == 0)
            bt_fix_root(t);
        return v;
    }
    struct bt_path p;
    x = bt_descend(t, id, &p);
    unsigned i = bt_lower(x, id);
    if (i == x->n || !id_eq(x->e[i].id, id))
        return NULL;
    void *v = x->e[i].v;
    bt_cut(x, i);
    t->count--;
    bt_rebalance(t, &p, t->height - 1);
    return v;
}

static void bt_free_node(struct cg_btnode *x)
{
    if (!x->leaf)
        for (unsigned i = 0; i < x->n; i++)
            bt_free_node(x->e[i].v);
    mem_free(x);
}

static void bt_free(struct cg_idtree *t)
{
    if (t->root)
        bt_free_node(t->root);
    memset(t, 0, sizeof(*t));
}

static size_t bt_mem_node(const struct cg_btnode *x)
{
    size_t n = mem_size(x);
    if (!x->leaf)
        for (unsigned i = 0; i < x->n; i++)
            n += bt_mem_node(x->e[i].v);
    return n;
}

static size_t bt_mem(const struct cg_idtree *t)
{
    return t->root ? bt_mem_node(t->root) : 0;
}

void cg_iter_seek(struct cg_iter *it, const struct cg_idtree *t, struct stream_id from)
{
    it->leaf = NULL;
    it->pos = 0;
    if (!t->count)
        return;
    struct cg_btnode *x = bt_end_leaf(t, from);
    if (!x)
        x = bt_descend(t, from, NULL);
    it->leaf = x;
    it->pos = bt_lower(x, from);
}

struct cg_nack *cg_iter_next(struct cg_iter *it)
{
    while (it->leaf && it->pos >= it->leaf->n) {
        it->leaf = it->leaf->next;
        it->pos = 0;
    }
    if (!it->leaf)
        return NULL;
    return it->leaf->e[it->pos++].v;
}

int cg_pel_first(const struct cg_idtree *t, struct stream_id *id)
{
    if (!t->count)
        return 0;
    *id = t->first->e[0].id;
    return 1;
}

int cg_pel_last(const struct cg_idtree *t, struct stream_id *id)
{
    if (!t->count)
        return 0;
    *id = t->last->e[t->last->n - 1].id;
    return 1;
}

/* ==== time-order list ======================================================================== */

static void tl_unlink(struct cg_group *g, struct cg_nack *n)
{
    if (g->nack_tail == n)
        g->nack_tail = n->tprev;
    if (n->tprev)
        n->tprev->tnext = n->tnext;
    else
        g->thead = n->tnext;
    if (n->tnext)
        n->tnext->tprev = n->tprev;
    else
        g->ttail = n->tprev;
    n->tprev = n->tnext = NULL;
}

/* Link n after pos (NULL: at the head). */
static void tl_link_after(struct cg_group *g, struct cg_nack *pos, struct cg_nack *n)
{
    n->tprev = pos;
    n->tnext = pos ? pos->tnext : g->thead;
    if (n->tnext)
        n->tnext->tprev = n;
    else
        g->ttail = n;
    if (pos)
        pos->tnext = n;
    else
        g->thead = n;
}

/* Owned entry: keep the owned part sorted by delivery time (stable). */
static void tl_insert_timed(struct cg_group *g, struct cg_nack *n)
{
    struct cg_nack *first = g->nack_tail ? g->nack_tail->tnext : g->thead;
    if (first && n->delivery_time < first->delivery_time) {
        tl_link_after(g, g->nack_tail, n);
        return;
    }
    struct cg_nack *p = g->ttail;
    while (p && p->consumer && p->delivery_time > n->delivery_time)
        p = p->tprev;
    tl_link_after(g, p, n);
}

static void tl_push_nacked(struct cg_group *g, struct cg_nack *n)
{
    tl_link_after(g, g->nack_tail, n);
    g->nack_tail = n;
}

/* ==== names, groups and consumers ============================================================ */

static int name_cmp(const char *a, size_t alen, struct slice b)
{
    size_t m = alen < b.len ? alen : b.len;
    int c = m ? memcmp(a, b.p, m) : 0;
    if (c)
        return c;
    return alen < b.len ? -1 : alen > b.len;
}

static char *name_dup(struct slice s)
{
    return mem_strndup(s.p, s.len);
}

/* Binary search of a name-sorted array of groups or consumers: the index
 * of name, or where it would be inserted (*found says which). */
typedef struct slice (*name_of_fn)(const void *elem);

static size_t name_search(void *const *arr, size_t n, name_of_fn name_of, struct slice name,
                          int *found)
{
    size_t lo = 0, hi = n;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        struct slice m = name_of(arr[mid]);
        int c = name_cmp(m.p, m.len, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct slice group_name(const void *g)
{
    const struct cg_group *grp = g;
    return (struct slice){grp->name, grp->name_len};
}

static struct slice consumer_name(const void *c)
{
    const struct cg_consumer *con = c;
    return (struct slice){con->name, con->name_len};
}

static size_t group_search(const struct cg_set *set, struct slice name, int *found)
{
    return name_search((void *const *)set->g, set->n, group_name, name, found);
}

static size_t consumer_search(const struct cg_group *g, struct slice name, int *found)
{
    return name_search((void *const *)g->cons, g->ncons, consumer_name, name, found);
}

struct cg_group *cg_group_find(const struct stream *s, struct slice name)
{
    if (!s->groups)
        return NULL;
    int found;
    size_t i = group_search(s->groups, name, &found);
    return found ? s->groups->g[i] : NULL;
}

struct cg_group *cg_group_at(const struct stream *s, size_t i)
{
    return s->groups->g[i];
}

struct cg_group *cg_group_create(struct stream *s, struct slice name, struct stream_id last_id,
                                 int64_t entries_read)
{
    if (!s->groups)
        s->groups = mem_calloc(sizeof(*s->groups));
    struct cg_set *set = s->groups;
    int found;
    size_t i = group_search(set, name, &found);
    if (found)
        return NULL;
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 4;
        set->g = mem_realloc(set->g, sizeof(*set->g) * set->cap);
    }
    struct cg_group *g = mem_calloc(sizeof(*g));
    g->name = name_dup(name);
    g->name_len = name.len;
    g->last_id = last_id;
    g->entries_read = entries_read;
    memmove(set->g + i + 1, set->g + i, sizeof(*set->g) * (set->n - i));
    set->g[i] = g;
    set->n++;
    return g;
}

static void consumer_free(struct cg_consumer *c)
{
    bt_free(&c->pel);
    mem_free(c->name);
    mem_free(c);
}

static void group_free(struct cg_group *g)
{
    struct cg_nack *n = g->thead;
    while (n) {
        struct cg_nack *next = n->tnext;
        mem_free(n);
        n = next;
    }
    bt_free(&g->pel);
    for (size_t i = 0; i < g->ncons; i++)
        consumer_free(g->cons[i]);
    mem_free(g->cons);
    mem_free(g->name);
    mem_free(g);
}

int cg_group_destroy(struct stream *s, struct slice name)
{
    struct cg_set *set = s->groups;
    if (!set)
        return 0;
    int found;
    size_t i = group_search(set, name, &found);
    if (!found)
        return 0;
    group_free(set->g[i]);
    memmove(set->g + i, set->g + i + 1, sizeof(*set->g) * (set->n - i - 1));
    set->n--;
    return 1;
}

struct cg_consumer *cg_consumer_find(const struct cg_group *g, struct slice name)
{
    int found;
    size_t i = consumer_search(g, name, &found);
    return found ? g->cons[i] : NULL;
}

struct cg_consumer *cg_consumer_get(struct cg_group *g, struct slice name, int64_t now,
                                    int *created)
{
    int found;
    size_t i = consumer_search(g, name, &found);
    *created = !found;
    if (found)
        return g->cons[i];
    if (g->ncons == g->cons_cap) {
        g->cons_cap = g->cons_cap ? g->cons_cap * 2 : 4;
        g->cons = mem_realloc(g->cons, sizeof(*g->cons) * g->cons_cap);
    }
    struct cg_consumer *c = mem_calloc(sizeof(*c));
    c->name = name_dup(name);
    c->name_len = name.len;
    c->seen_time = now;
    c->active_time = -1;
    memmove(g->cons + i + 1, g->cons + i, sizeof(*g->cons) * (g->ncons - i));
    g->cons[i] = c;
    g->ncons++;
    return c;
}

size_t cg_consumer_delete(struct cg_group *g, struct cg_consumer *c)
{
    size_t pending = c->pel.count;
    struct cg_iter it;
    struct cg_nack *n;
    cg_iter_seek(&it, &c->pel, (struct stream_id){0, 0});
    while ((n = cg_iter_next(&it))) {
        bt_delete(&g->pel, n->id);
        tl_unlink(g, n);
        mem_free(n);
    }
    int found;
    size_t i = consumer_search(g, (struct slice){c->name, c->name_len}, &found);
    memmove(g->cons + i, g->cons + i + 1, sizeof(*g->cons) * (g->ncons - i - 1));
    g->ncons--;
    consumer_free(c);
    return pending;
}

/* ==== PEL operations ========================================================================= */

int64_t cg_count_inc(int64_t count)
{
    return count < CG_COUNT_MAX ? count + 1 : count;
}

struct cg_nack *cg_pel_find(const struct cg_group *g, struct stream_id id)
{
    return bt_find(&g->pel, id);
}

struct cg_nack *cg_pel_add(struct cg_group *g, struct cg_consumer *c, struct stream_id id,
                           int64_t time, int64_t count)
{
    struct cg_nack *n = mem_alloc(sizeof(*n));
    n->id = id;
    n->delivery_count = count;
    n->consumer = c;
    n->tprev = n->tnext = NULL;
    bt_insert(&g->pel, id, n);
    if (c) {
        n->delivery_time = time;
        bt_insert(&c->pel, id, n);
        tl_insert_timed(g, n);
    } else {
        n->delivery_time = 0;
        tl_push_nacked(g, n);
        g->nacked++;
    }
    return n;
}

void cg_pel_assign(struct cg_group *g, struct cg_nack *n, struct cg_consumer *c, int64_t time,
                   int64_t count)
{
    if (n->consumer != c) {
        if (n->consumer)
            bt_delete(&n->consumer->pel, n->id);
        else
            g->nacked--;
        bt_insert(&c->pel, n->id, n);
        n->consumer = c;
    }
    tl_unlink(g, n);
    n->delivery_time = time;
    n->delivery_count = count;
    tl_insert_timed(g, n);
}

void cg_pel_release(struct cg_group *g, struct cg_nack *n, int64_t count)
{
    if (n->consumer) {
        bt_delete(&n->consumer->pel, n->id);
        n->consumer = NULL;
        g->nacked++;
    }
    tl_unlink(g, n);
    n->delivery_time = 0;
    n->delivery_count = count;
    tl_push_nacked(g, n);
}

void cg_pel_remove(struct cg_group *g, struct cg_nack *n)
{
    bt_delete(&g->pel, n->id);
    if (n->consumer)
        bt_delete(&n->consumer->pel, n->id);
    else
        g->nacked--;
    tl_unlink(g, n);
    mem_free(n);
}

struct cg_nack *cg_deliver(struct cg_group *g, struct cg_consumer *c, struct stream_id id,
                           int64_t now)
{
    struct stream_id max;
    struct cg_nack *n = NULL;
    if (cg_pel_last(&g->pel, &max) && !id_lt(max, id))
        n = bt_find(&g->pel, id);
    if (!n)
        return cg_pel_add(g, c, id, now, 1);
    cg_pel_assign(g, n, c, now, 1);
    return n;
}

/* ==== entries-read and lag =================================================================== */

static int id_zero(struct stream_id id)
{
    return id.ms == 0 && id.seq == 0;
}

/* Could an entry at or after start have been deleted (a tombstone)? */
static int tombstones_from(const struct stream *s, struct stream_id start)
{
    if (!s->length || id_zero(s->max_deleted_id))
        return 0;
    if (id_lt(s->max_deleted_id, s->first_id))
        return 0;
    return !id_lt(s->max_deleted_id, start);
}

/* The logical read counter of id (how many entries were added up to it),
 * or CG_ENTRIES_READ_INVALID when it cannot be known. */
static int64_t estimate_read_counter(const struct stream *s, struct stream_id id)
{
    int64_t added = (int64_t)s->entries_added, len = (int64_t)s->length;
    if (!added)
        return 0;
    if (!len && !id_lt(s->last_id, id))
        return added;
    int cmp_last = stream_id_cmp(id, s->last_id);
    if (cmp_last == 0)
        return added;
    if (cmp_last > 0)
        return CG_ENTRIES_READ_INVALID;
    if (id_zero(s->max_deleted_id) || id_lt(s->max_deleted_id, s->first_id)) {
        int cmp_first = stream_id_cmp(id, s->first_id);
        if (cmp_first < 0)
            return added - len;
        if (cmp_first == 0)
            return added - len + 1;
    }
    return CG_ENTRIES_READ_INVALID;
}

void cg_advance(const struct stream *s, struct cg_group *g, struct stream_id id)
{
    if (!id_lt(g->last_id, id))
        return;
    if (g->entries_read != CG_ENTRIES_READ_INVALID && !tombstones_from(s, id))
        g->entries_read++;
    else if (s->entries_added)
        g->entries_read = estimate_read_counter(s, id);
    g->last_id = id;
}

int cg_lag(const struct stream *s, const struct cg_group *g, int64_t *lag)
{
    if (!s->entries_added) {
        *lag = 0;
        return 1;
    }
    if (g->entries_read != CG_ENTRIES_READ_INVALID && !tombstones_from(s, g->last_id)) {
        *lag = (int64_t)s->entries_added - g->entries_read;
        return 1;
    }
    int64_t er = estimate_read_counter(s, g->last_id);
    if (er == CG_ENTRIES_READ_INVALID)
        return 0;
    *lag = (int64_t)s->entries_added - er;
    return 1;
}

/* ==== whole-set operations =================================================================== */

void cg_free_all(struct stream *s)
{
    struct cg_set *set = s->groups;
    if (set) {
        for (size_t i = 0; i < set->n; i++)
            group_free(set->g[i]);
        mem_free(set->g);
        mem_free(set);
    }
    s->groups = NULL;
}

/* Copy one group: consumers first, then every entry in time order (which
 * keeps both the NACK zone order and the delivery-time order). */
static void dup_group(struct stream *dst, const struct cg_group *g)
{
    struct cg_group *d =
        cg_group_create(dst, (struct slice){g->name, g->name_len}, g->last_id, g->entries_read);
    for (size_t i = 0; i < g->ncons; i++) {
        int created;
        struct cg_consumer *c =
            cg_consumer_get(d, (struct slice){g->cons[i]->name, g->cons[i]->name_len}, 0, &created);
        c->seen_time = g->cons[i]->seen_time;
        c->active_time = g->cons[i]->active_time;
    }
    for (const struct cg_nack *n = g->thead; n; n = n->tnext) {
        struct cg_consumer *c = NULL;
        if (n->consumer)
            c = cg_consumer_find(d, (struct slice){n->consumer->name, n->consumer->name_len});
        cg_pel_add(d, c, n->id, n->delivery_time, n->delivery_count);
    }
}

void cg_dup_all(const struct stream *src, struct stream *dst)
{
    dst->groups = NULL;
    if (!src->groups)
        return;
    for (size_t i = 0; i < src->groups->n; i++)
        dup_group(dst, src->groups->g[i]);
}

size_t cg_count(const struct stream *s)
{
    return s->groups ? s->groups->n : 0;
}

static size_t group_mem(const struct cg_group *g)
{
    size_t n = mem_size(g) + mem_size(g->name) + mem_size(g->cons) + bt_mem(&g->pel);
    for (const struct cg_nack *p = g->thead; p; p = p->tnext)
        n += mem_size(p);
    for (size_t i = 0; i < g->ncons; i++) {
        const struct cg_consumer *c = g->cons[i];
        n += mem_size(c) + mem_size(c->name) + bt_mem(&c->pel);
    }
    return n;
}

size_t cg_mem_usage(const struct stream *s)
{
    const struct cg_set *set = s->groups;
    if (!set)
        return 0;
    size_t n = mem_size(set) + mem_size(set->g);
    for (size_t i = 0; i < set->n; i++)
        n += group_mem(set->g[i]);
    return n;
}

int cg_entry_referenced(const struct stream *s, struct stream_id id)
{
    const struct cg_set *set = s->groups;
    if (!set)
        return 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct cg_group *g = set->g[i];
        if (id_lt(g->last_id, id) || bt_find(&g->pel, id))
            return 1;
    }
    return 0;
}

void cg_remove_refs(struct stream *s, struct stream_id id)
{
    struct cg_set *set = s->groups;
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        struct cg_nack *n = bt_find(&set->g[i]->pel, id);
        if (n)
            cg_pel_remove(set->g[i], n);
    }
}

/* ==== AOF rewrite ============================================================================ */

struct emitter {
    cg_emit_fn emit;
    void *priv;
    struct slice key, group;
};

static void emit_consumer(const struct emitter *e, const struct cg_consumer *c)
{
    struct slice cname = {c->name, c->name_len};
    if (!c->pel.count) {
        struct slice a[5] = {SLICE_LIT("XGROUP"), SLICE_LIT("CREATECONSUMER"), e->key, e->group,
                             cname};
        e->emit(e->priv, 5, a);
        return;
    }
    struct cg_iter it;
    const struct cg_nack *n;
    cg_iter_seek(&it, &c->pel, (struct stream_id){0, 0});
    while ((n = cg_iter_next(&it))) {
        char idb[48], tb[24], cb[24];
        struct slice a[12] = {SLICE_LIT("XCLAIM"),
                              e->key,
                              e->group,
                              cname,
                              SLICE_LIT("0"),
                              {idb, stream_id_format(idb, n->id)},
                              SLICE_LIT("TIME"),
                              {tb, util_ll2str(tb, n->delivery_time)},
                              SLICE_LIT("RETRYCOUNT"),
                              {cb, util_ll2str(cb, n->delivery_count)},
                              SLICE_LIT("JUSTID"),
                              SLICE_LIT("FORCE")};
        e->emit(e->priv, 12, a);
    }
}

static void emit_nack_zone(const struct emitter *e, const struct cg_group *g)
{
    for (const struct cg_nack *n = g->thead; n && !n->consumer; n = n->tnext) {
        char idb[48], cb[24];
        struct slice a[10] = {SLICE_LIT("XNACK"),
                              e->key,
                              e->group,
                              SLICE_LIT("FAIL"),
                              SLICE_LIT("IDS"),
                              SLICE_LIT("1"),
                              {idb, stream_id_format(idb, n->id)},
                              SLICE_LIT("RETRYCOUNT"),
                              {cb, util_ll2str(cb, n->delivery_count)},
                              SLICE_LIT("FORCE")};
        e->emit(e->priv, 10, a);
    }
}

void cg_rewrite(const struct stream *s, struct slice key, cg_emit_fn emit, void *priv)
{
    for (size_t i = 0; i < cg_count(s); i++) {
        const struct cg_group *g = s->groups->g[i];
        struct emitter e = {emit, priv, key, {g->name, g->name_len}};
        char idb[48], nb[24];
        struct slice a[7] = {SLICE_LIT("XGROUP"),
                             SLICE_LIT("CREATE"),
                             key,
                             e.group,
                             {idb, stream_id_format(idb, g->last_id)},
                             SLICE_LIT("ENTRIESREAD"),
                             {nb, util_ll2str(nb, g->entries_read)}};
        emit(priv, 7, a);
        for (size_t j = 0; j < g->ncons; j++)
            emit_consumer(&e, g->cons[j]);
        emit_nack_zone(&e, g);
    }
}

/* ==== validation ============================================================================= */

static int check_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int check_fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, 256, fmt, ap);
    va_end(ap);
    return -1;
}

struct bt_walk {
    const struct cg_idtree *t;
    const struct cg_btnode *prev_leaf;
    size_t count;
    char *err;
};

/* Sizes and key order of x; only the rightmost node of a level (filled
 * by appends) and the root may hold fewer than BT_MIN entries. */
static int bt_check_keys(struct bt_walk *w, const struct cg_btnode *x, const struct stream_id *lo,
                         const struct stream_id *hi, int is_root)
{
    if (x->n > x->cap || x->cap > BT_MAX || x->n == 0)
        return check_fail(w->err, "node size %u cap %u", x->n, x->cap);
    if (!is_root && x->n < BT_MIN && hi)
        return check_fail(w->err, "underfull node (%u)", x->n);
    if (!x->leaf && is_root && x->n < 2)
        return check_fail(w->err, "inner root with one child");
    for (unsigned i = 0; i < x->n; i++) {
        if (i && !id_lt(x->e[i - 1].id, x->e[i].id))
            return check_fail(w->err, "keys out of order");
        if ((lo && id_lt(x->e[i].id, *lo)) || (hi && !id_lt(x->e[i].id, *hi)))
            return check_fail(w->err, "key outside its parent's bounds");
    }
    return 0;
}

static int bt_check_leaf(struct bt_walk *w, const struct cg_btnode *x)
{
    if (x->prev != w->prev_leaf)
        return check_fail(w->err, "leaf chain prev link");
    if (w->prev_leaf ? w->prev_leaf->next != x : w->t->first != x)
        return check_fail(w->err, "leaf chain next link");
    w->prev_leaf = x;
    w->count += x->n;
    for (unsigned i = 0; i < x->n; i++) {
        const struct cg_nack *n = x->e[i].v;
        if (!n || !id_eq(n->id, x->e[i].id))
            return check_fail(w->err, "tree value does not match its key");
    }
    return 0;
}

static int bt_check_node(struct bt_walk *w, const struct cg_btnode *x, int depth,
                         const struct stream_id *lo, const struct stream_id *hi)
{
    if (bt_check_keys(w, x, lo, hi, depth == 0) < 0)
        return -1;
    if (x->leaf) {
        if (depth != w->t->height - 1)
            return check_fail(w->err, "leaf at depth %d, height %d", depth, w->t->height);
        return bt_check_leaf(w, x);
    }
    if (x->cap != BT_MAX)
        return check_fail(w->err, "inner node capacity %u", x->cap);
    for (unsigned i = 0; i < x->n; i++) {
        const struct stream_id *chi = i + 1 < x->n ? &x->e[i + 1].id : hi;
        if (bt_check_node(w, x->e[i].v, depth + 1, &x->e[i].id, chi) < 0)
            return -1;
    }
    return 0;
}

static int bt_check(const struct cg_idtree *t, char *err)
{
    if (!t->root) {
        if (t->count || t->first || t->last || t->height)
            return check_fail(err, "empty tree with state");
        return 0;
    }
    struct bt_walk w = {t, NULL, 0, err};
    if (t->root->leaf && t->height != 1)
        return check_fail(err, "leaf root, height %d", t->height);
    if (bt_check_node(&w, t->root, 0, NULL, NULL) < 0)
        return -1;
    if (w.prev_leaf != t->last || w.count != t->count)
        return check_fail(err, "tree count %zu, found %zu", t->count, w.count);
    return 0;
}

/* Walk the time list: links, zone shape, order, ownership. */
static int check_time_list(const struct cg_group *g, char *err)
{
    size_t seen = 0, zone = 0;
    const struct cg_nack *prev = NULL, *zone_end = NULL;
    for (const struct cg_nack *n = g->thead; n; prev = n, n = n->tnext, seen++) {
        if (n->tprev != prev)
            return check_fail(err, "time list prev link");
        if (bt_find(&g->pel, n->id) != n)
            return check_fail(err, "list entry not in the group PEL");
        if (n->delivery_count < 0)
            return check_fail(err, "negative delivery count");
        if (!n->consumer) {
            if (prev && prev->consumer)
                return check_fail(err, "unowned entry after owned ones");
            if (n->delivery_time != 0)
                return check_fail(err, "NACKed entry with a delivery time");
            zone++;
            zone_end = n;
            continue;
        }
        if (bt_find(&n->consumer->pel, n->id) != n)
            return check_fail(err, "entry missing from its owner's PEL");
        if (cg_consumer_find(g, (struct slice){n->consumer->name, n->consumer->name_len}) !=
            n->consumer)
            return check_fail(err, "owner is not a consumer of the group");
        if (prev && prev->consumer && prev->delivery_time > n->delivery_time)
            return check_fail(err, "time list out of delivery-time order");
    }
    if (prev != g->ttail || seen != g->pel.count)
        return check_fail(err, "time list has %zu entries, PEL %zu", seen, g->pel.count);
    if (zone != g->nacked || zone_end != g->nack_tail)
        return check_fail(err, "NACK zone %zu entries, counter %zu", zone, g->nacked);
    return 0;
}

static int check_consumers(const struct cg_group *g, char *err)
{
    size_t owned = 0;
    for (size_t i = 0; i < g->ncons; i++) {
        const struct cg_consumer *c = g->cons[i];
        struct slice name = {c->name, c->name_len};
        if (i && name_cmp(g->cons[i - 1]->name, g->cons[i - 1]->name_len, name) >= 0)
            return check_fail(err, "consumers not sorted");
        if (bt_check(&c->pel, err) < 0)
            return -1;
        struct cg_iter it;
        const struct cg_nack *n;
        cg_iter_seek(&it, &c->pel, (struct stream_id){0, 0});
        while ((n = cg_iter_next(&it)))
            if (n->consumer != c || bt_find(&g->pel, n->id) != n)
                return check_fail(err, "consumer PEL entry not owned by it");
        owned += c->pel.count;
    }
    if (owned + g->nacked != g->pel.count)
        return check_fail(err, "owned %zu + nacked %zu != PEL %zu", owned, g->nacked, g->pel.count);
    return 0;
}

int cg_check(const struct stream *s, char *err)
{
    const struct cg_set *set = s->groups;
    if (!set)
        return 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct cg_group *g = set->g[i];
        struct slice name = {g->name, g->name_len};
        if (i && name_cmp(set->g[i - 1]->name, set->g[i - 1]->name_len, name) >= 0)
            return check_fail(err, "groups not sorted");
        if (g->entries_read < CG_ENTRIES_READ_INVALID)
            return check_fail(err, "entries_read %lld", (long long)g->entries_read);
        if (bt_check(&g->pel, err) < 0 || check_time_list(g, err) < 0 ||
            check_consumers(g, err) < 0)
            return -1;
    }
    return 0;
}
