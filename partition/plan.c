/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The carve planner: propose partitions from what is free (not reserved, not
 * in an exclusive partition).  Node-local first (a partition inside one node
 * never pays remote memory latency), balanced (every partition gets the same
 * number of cores), whole cores (SMT siblings share a core's caches), and 10%
 * of each node's memory left for QEMU's own overhead and the host.
 */
#include "partition.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MIB (UINT64_C(1) << 20)

struct free_node {
    int id;
    sp_cpuset_bits *cores; /* each: the CPUs of one core */
    size_t n_cores;
    uint64_t mem; /* usable memory left on the node, headroom taken off */
    int parts;    /* partitions planned on this node */
};

static void free_nodes_clear(struct free_node *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i].cores);
}

static void collect_cores(const struct sp_topology *t, const uint64_t *carved, int node,
                          struct free_node *f)
{
    sp_cpuset_bits seen = {0};
    f->id = node;
    for (size_t i = 0; i < t->n_cpus; i++) {
        const struct sp_topo_cpu *c = &t->cpus[i];
        if (c->node != node || SP_BIT_TEST(seen, c->id))
            continue;
        bool free_core = true;
        for (int s = 0; s < SP_MAX_CPUS; s++)
            if (SP_BIT_TEST(c->siblings, s)) {
                SP_BIT_SET(seen, s);
                if (SP_BIT_TEST(carved, s) || !sp_topology_cpu(t, s))
                    free_core = false;
            }
        if (!free_core)
            continue;
        f->cores = sp_xrealloc(f->cores, (f->n_cores + 1) * sizeof(f->cores[0]));
        memcpy(f->cores[f->n_cores++], c->siblings, sizeof(sp_cpuset_bits));
    }
}

static bool name_taken(const struct sp_partition_list *l, const struct sp_plan *p, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i]->name, name) == 0)
            return true;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->items[i].name, name) == 0)
            return true;
    return false;
}

static void name_item(const struct sp_partition_list *l, struct sp_plan *plan, const char *prefix,
                      struct sp_plan_item *it)
{
    for (int k = 0;; k++) {
        snprintf(it->name, sizeof(it->name), "%s%d", prefix, k);
        if (!name_taken(l, plan, it->name))
            return;
    }
}

static void add_cores(struct sp_plan_item *it, struct free_node *f, size_t from, size_t n)
{
    for (size_t c = from; c < from + n && c < f->n_cores; c++)
        for (size_t w = 0; w < SP_CPU_WORDS; w++)
            it->cpus[w] |= f->cores[c][w];
    it->nodes |= UINT64_C(1) << f->id;
}

static int cpu_count(const uint64_t *bits)
{
    int n = 0;
    for (size_t w = 0; w < SP_CPU_WORDS; w++)
        n += __builtin_popcountll(bits[w]);
    return n;
}

/*
 * Whole nodes per partition, `cores` of each: used when there are at least as
 * many free nodes as partitions.
 */
static void plan_whole_nodes(struct free_node *f, size_t nf, int count, size_t cores,
                             struct sp_plan *plan, const struct sp_partition_list *l,
                             const char *prefix)
{
    size_t k = nf / (size_t)count;
    for (int i = 0; i < count; i++) {
        struct sp_plan_item *it = &plan->items[plan->n];
        uint64_t mem = UINT64_MAX;
        memset(it, 0, sizeof(*it));
        for (size_t j = 0; j < k; j++) {
            struct free_node *n = &f[(size_t)i * k + j];
            add_cores(it, n, 0, cores);
            mem = n->mem < mem ? n->mem : mem;
        }
        it->memory = mem / MIB * MIB * k;
        name_item(l, plan, prefix, it);
        _cleanup_free_ char *nodes = sp_format_cpulist(&it->nodes, SP_MAX_NODES);
        snprintf(it->reason, sizeof(it->reason),
                 "%zu whole node(s) (%s): %d CPU(s) in whole cores, %" PRIu64
                 " MiB per node (90%% of what is left; the rest for QEMU and the host)",
                 k, nodes, cpu_count(it->cpus), mem / MIB);
        plan->n++;
    }
    if (nf % (size_t)count) {
        uint64_t left = 0;
        for (size_t j = (size_t)count * k; j < nf; j++)
            left |= UINT64_C(1) << f[j].id;
        _cleanup_free_ char *s = sp_format_cpulist(&left, SP_MAX_NODES);
        snprintf(plan->note, sizeof(plan->note),
                 "node(s) %s left free so that the partitions stay equal", s);
    }
}

/* Several partitions per node: used when there are fewer free nodes than partitions. */
static int plan_split_nodes(struct free_node *f, size_t nf, int count, struct sp_plan *plan,
                            const struct sp_partition_list *l, const char *prefix, sp_error **err)
{
    /* Each partition goes where it would get the most cores. */
    for (int i = 0; i < count; i++) {
        size_t best = 0;
        for (size_t j = 1; j < nf; j++)
            if (f[j].n_cores * (size_t)(f[best].parts + 1) >
                f[best].n_cores * (size_t)(f[j].parts + 1))
                best = j;
        f[best].parts++;
    }
    size_t per = SIZE_MAX;
    for (size_t j = 0; j < nf; j++)
        if (f[j].parts && f[j].n_cores / (size_t)f[j].parts < per)
            per = f[j].n_cores / (size_t)f[j].parts;
    if (per == 0)
        return sp_err(err, 0,
                      "cannot carve %d partitions: only %zu free node(s) with too few "
                      "free cores",
                      count, nf);
    for (size_t j = 0; j < nf; j++) {
        for (int k = 0; k < f[j].parts; k++) {
            struct sp_plan_item *it = &plan->items[plan->n];
            memset(it, 0, sizeof(*it));
            add_cores(it, &f[j], (size_t)k * per, per);
            it->memory = f[j].mem / (uint64_t)f[j].parts / MIB * MIB;
            name_item(l, plan, prefix, it);
            snprintf(it->reason, sizeof(it->reason),
                     "node %d shared by %d partition(s): %zu core(s) each (balanced), %" PRIu64
                     " MiB (its share of 90%% of what is left)",
                     f[j].id, f[j].parts, per, it->memory / MIB);
            plan->n++;
        }
    }
    snprintf(plan->note, sizeof(plan->note),
             "more partitions than free nodes: nodes are split, whole cores each");
    return 0;
}

int sp_plan_make(const struct sp_topology *t, const struct sp_reserve *r,
                 const struct sp_partition_list *l, int count, const char *prefix,
                 struct sp_plan *out, sp_error **err)
{
    memset(out, 0, sizeof(*out));
    if (count < 0 || count > SP_MAX_CPUS)
        return sp_err(err, 0, "--count: must be between 1 and %d", SP_MAX_CPUS);
    sp_cpuset_bits carved;
    sp_carved_cpus(r, l, carved);
    struct free_node f[SP_MAX_NODES];
    size_t nf = 0;
    memset(f, 0, sizeof(f));
    for (size_t i = 0; i < t->n_nodes; i++) {
        struct free_node *n = &f[nf];
        collect_cores(t, carved, t->nodes[i].id, n);
        uint64_t left = sp_node_mem_left(t, r, l, t->nodes[i].id);
        n->mem = left - left / 10;
        if (n->n_cores == 0 || n->mem < MIB) {
            free(n->cores);
            memset(n, 0, sizeof(*n));
            continue;
        }
        nf++;
    }
    if (nf == 0)
        return sp_err(err, 0,
                      "nothing to carve: every CPU is reserved or in an exclusive "
                      "partition");
    /* Balanced: every whole-node partition gets as many cores as the poorest node has. */
    size_t min_cores = SIZE_MAX;
    for (size_t j = 0; j < nf; j++)
        min_cores = f[j].n_cores < min_cores ? f[j].n_cores : min_cores;
    int n = count == 0 ? (int)nf : count;
    out->items = sp_xcalloc((size_t)n, sizeof(out->items[0]));
    int rc = 0;
    if (count == 0) {
        /* --per-node: every free node whole, not trimmed (each is its own slice). */
        for (size_t j = 0; j < nf; j++) {
            struct sp_plan_item *it = &out->items[out->n];
            add_cores(it, &f[j], 0, f[j].n_cores);
            it->memory = f[j].mem / MIB * MIB;
            name_item(l, out, prefix, it);
            snprintf(it->reason, sizeof(it->reason),
                     "node %d: all %zu free core(s), %" PRIu64 " MiB (90%% of what is left)",
                     f[j].id, f[j].n_cores, it->memory / MIB);
            out->n++;
        }
    } else if ((size_t)count <= nf) {
        plan_whole_nodes(f, nf, count, min_cores, out, l, prefix);
    } else {
        rc = plan_split_nodes(f, nf, count, out, l, prefix, err);
    }
    free_nodes_clear(f, nf);
    if (rc < 0)
        sp_plan_clear(out);
    return rc;
}

void sp_plan_clear(struct sp_plan *p)
{
    free(p->items);
    memset(p, 0, sizeof(*p));
}

json_t *sp_plan_to_json(const struct sp_plan *p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->n; i++) {
        const struct sp_plan_item *it = &p->items[i];
        _cleanup_free_ char *cpus = sp_format_cpulist(it->cpus, SP_MAX_CPUS);
        _cleanup_free_ char *nodes = sp_format_cpulist(&it->nodes, SP_MAX_NODES);
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", it->name, "cpus",
                                           cpus, "nodes", nodes, "memory", (json_int_t)it->memory,
                                           "reason", it->reason));
    }
    return json_pack("{s:o, s:s}", "partitions", a, "note", p->note);
}
