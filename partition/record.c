/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Partition records: what a partition is (JSON under <data_root>/partitions),
 * the host reserve that is never carved, and the validation that turns a
 * request into a record against the topology and every other record.
 */
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (UINT64_C(1) << 20)

void sp_partition_free(struct sp_partition *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->kernel);
    free(p->initrd);
    free(p->append);
    free(p->disk);
    free(p->base);
    free(p->cgroup);
    free(p->accel_used);
    free(p->network);
    free(p->tap);
    free(p->address);
    free(p->gateway);
    free(p->mac);
    free(p);
}

void sp_partition_freep(struct sp_partition **p)
{
    sp_partition_free(*p);
    *p = NULL;
}

void sp_partition_list_clear(struct sp_partition_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        sp_partition_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int sp_partition_name_check(const char *name, sp_error **err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63)
        return sp_err(err, 0, "partition name '%s': must be 1 to 63 characters", name);
    if (name[0] == '.' || name[0] == '-')
        return sp_err(err, 0, "partition name '%s': must not start with '%c'", name, name[0]);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return sp_err(err, 0,
                          "partition name '%s': only letters, digits, '_', '-' and '.' "
                          "are allowed",
                          name);
    }
    return 0;
}

int sp_partition_node_count(const struct sp_partition *p)
{
    return __builtin_popcountll(p->nodes);
}

uint64_t sp_partition_mem_per_node(const struct sp_partition *p)
{
    int n = sp_partition_node_count(p);
    return n ? p->memory / (uint64_t)n : 0;
}

static const char *accel_name(enum sp_accel a)
{
    return a == SP_ACCEL_KVM ? "kvm" : a == SP_ACCEL_TCG ? "tcg" : "auto";
}

static int accel_parse(const char *s, enum sp_accel *out)
{
    if (strcmp(s, "auto") == 0)
        *out = SP_ACCEL_AUTO;
    else if (strcmp(s, "kvm") == 0)
        *out = SP_ACCEL_KVM;
    else if (strcmp(s, "tcg") == 0)
        *out = SP_ACCEL_TCG;
    else
        return -1;
    return 0;
}

static void set_opt_str(json_t *j, const char *key, const char *v)
{
    if (v)
        json_object_set_new(j, key, json_string(v));
}

json_t *sp_partition_to_json(const struct sp_partition *p)
{
    _cleanup_free_ char *cpus = sp_format_cpulist(p->cpus, SP_MAX_CPUS);
    _cleanup_free_ char *nodes = sp_format_cpulist(&p->nodes, SP_MAX_NODES);
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:b, s:I, s:s}", "name", p->name, "cpus",
                          cpus, "nodes", nodes, "memory", (json_int_t)p->memory, "memory_per_node",
                          (json_int_t)sp_partition_mem_per_node(p), "shared", p->shared, "isolated",
                          p->isolated, "hugepage_size", (json_int_t)p->hugepage_size, "accel",
                          accel_name(p->accel));
    set_opt_str(j, "kernel", p->kernel);
    set_opt_str(j, "initrd", p->initrd);
    set_opt_str(j, "append", p->append);
    set_opt_str(j, "disk", p->disk);
    set_opt_str(j, "base", p->base);
    if (p->pid > 0) {
        json_object_set_new(j, "pid", json_integer(p->pid));
        json_object_set_new(j, "start_time", json_integer((json_int_t)p->start_time));
    }
    set_opt_str(j, "cgroup", p->cgroup);
    set_opt_str(j, "accel_used", p->accel_used);
    set_opt_str(j, "network", p->network);
    set_opt_str(j, "tap", p->tap);
    set_opt_str(j, "address", p->address);
    set_opt_str(j, "gateway", p->gateway);
    set_opt_str(j, "mac", p->mac);
    return j;
}

static int get_opt_strdup(const sp_jdoc *doc, json_t *root, const char *key, char **out,
                          sp_error **err)
{
    const char *s = NULL;
    int r = sp_json_get_str(doc, root, "", key, false, &s, err);
    if (r < 0)
        return -1;
    if (r > 0)
        *out = sp_xstrdup(s);
    return 0;
}

int sp_partition_from_json(const sp_jdoc *doc, struct sp_partition **out, sp_error **err)
{
    static const char *const known[] = {
        "name",       "cpus",     "nodes",         "memory",  "memory_per_node",
        "shared",     "isolated", "hugepage_size", "accel",   "kernel",
        "initrd",     "append",   "disk",          "base",    "pid",
        "start_time", "cgroup",   "accel_used",    "network", "tap",
        "address",    "gateway",  "mac",           NULL,
    };
    json_t *root = doc->root;
    if (!json_is_object(root))
        return sp_jerr(doc, err, "", "expected an object");
    if (sp_json_check_keys(doc, root, "", known, err) < 0)
        return -1;
    _cleanup_partition_ struct sp_partition *p = sp_xcalloc(1, sizeof(*p));
    const char *name, *cpus, *nodes, *accel = "auto";
    int64_t v;
    size_t n;
    if (sp_json_get_str(doc, root, "", "name", true, &name, err) < 0 ||
        sp_json_get_str(doc, root, "", "cpus", true, &cpus, err) < 0 ||
        sp_json_get_str(doc, root, "", "nodes", true, &nodes, err) < 0 ||
        sp_json_get_range(doc, root, "", "memory", true, 1, INT64_MAX, &v, err) < 0)
        return -1;
    p->memory = (uint64_t)v;
    p->name = sp_xstrdup(name);
    if (sp_parse_cpulist(cpus, p->cpus, SP_MAX_CPUS, &n, err) < 0)
        return sp_jerr(doc, err, "cpus", "%s", (*err)->msg);
    if (sp_parse_cpulist(nodes, &p->nodes, SP_MAX_NODES, &n, err) < 0)
        return sp_jerr(doc, err, "nodes", "%s", (*err)->msg);
    if (sp_json_get_bool(doc, root, "", "shared", false, &p->shared, err) < 0 ||
        sp_json_get_bool(doc, root, "", "isolated", false, &p->isolated, err) < 0 ||
        sp_json_get_str(doc, root, "", "accel", false, &accel, err) < 0)
        return -1;
    if (accel_parse(accel, &p->accel) < 0)
        return sp_jerr(doc, err, "accel", "unknown accelerator '%s'", accel);
    if (sp_json_get_range(doc, root, "", "hugepage_size", false, 0, INT64_MAX, &v, err) < 0)
        return -1;
    p->hugepage_size = json_object_get(root, "hugepage_size") ? (uint64_t)v : 0;
    if (get_opt_strdup(doc, root, "kernel", &p->kernel, err) < 0 ||
        get_opt_strdup(doc, root, "initrd", &p->initrd, err) < 0 ||
        get_opt_strdup(doc, root, "append", &p->append, err) < 0 ||
        get_opt_strdup(doc, root, "disk", &p->disk, err) < 0 ||
        get_opt_strdup(doc, root, "base", &p->base, err) < 0 ||
        get_opt_strdup(doc, root, "cgroup", &p->cgroup, err) < 0 ||
        get_opt_strdup(doc, root, "accel_used", &p->accel_used, err) < 0 ||
        get_opt_strdup(doc, root, "network", &p->network, err) < 0 ||
        get_opt_strdup(doc, root, "tap", &p->tap, err) < 0 ||
        get_opt_strdup(doc, root, "address", &p->address, err) < 0 ||
        get_opt_strdup(doc, root, "gateway", &p->gateway, err) < 0 ||
        get_opt_strdup(doc, root, "mac", &p->mac, err) < 0)
        return -1;
    int r = sp_json_get_range(doc, root, "", "pid", false, 1, INT32_MAX, &v, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        p->pid = (pid_t)v;
        if (sp_json_get_range(doc, root, "", "start_time", true, 0, INT64_MAX, &v, err) < 0)
            return -1;
        p->start_time = (uint64_t)v;
    }
    *out = sp_steal_ptr(&p);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Reserve                                                                   */
/* ------------------------------------------------------------------------ */

void sp_reserve_default(const struct sp_topology *t, struct sp_reserve *out)
{
    memset(out, 0, sizeof(*out));
    /* CPU 0 takes most device interrupts and housekeeping: keep it for the host. */
    SP_BIT_SET(out->cpus, 0);
    out->mem_node = t->n_nodes ? t->nodes[0].id : 0;
    /* 10% of the first node, in whole MiB: enough for the kernel, septa and QEMU. */
    out->memory = t->n_nodes ? (t->nodes[0].mem_total / 10) / MIB * MIB : 0;
}

int sp_reserve_load(const char *data_root, const struct sp_topology *t, struct sp_reserve *out,
                    sp_error **err)
{
    static const char *const known[] = {"cpus", "node", "memory", NULL};
    _cleanup_free_ char *path = sp_xasprintf("%s/partitions/reserve.json", data_root);
    sp_reserve_default(t, out);
    if (access(path, F_OK) < 0)
        return 0;
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(path, path, &doc, err) < 0)
        return -1;
    if (!json_is_object(doc->root))
        return sp_jerr(doc, err, "", "expected an object");
    if (sp_json_check_keys(doc, doc->root, "", known, err) < 0)
        return -1;
    const char *cpus = NULL, *mem = NULL;
    int64_t node;
    size_t n;
    int r = sp_json_get_str(doc, doc->root, "", "cpus", false, &cpus, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        memset(out->cpus, 0, sizeof(out->cpus));
        if (*cpus && sp_parse_cpulist(cpus, out->cpus, SP_MAX_CPUS, &n, err) < 0)
            return sp_jerr(doc, err, "cpus", "%s", (*err)->msg);
    }
    r = sp_json_get_range(doc, doc->root, "", "node", false, 0, SP_MAX_NODES - 1, &node, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (sp_topology_node_index(t, (int)node) < 0)
            return sp_jerr(doc, err, "node", "no NUMA node %" PRId64 " on this host", node);
        out->mem_node = (int)node;
    }
    r = sp_json_get_str(doc, doc->root, "", "memory", false, &mem, err);
    if (r < 0)
        return -1;
    if (r > 0 && sp_parse_size(mem, &out->memory, err) < 0)
        return sp_jerr(doc, err, "memory", "%s", (*err)->msg);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

void sp_carved_cpus(const struct sp_reserve *r, const struct sp_partition_list *l,
                    sp_cpuset_bits out)
{
    memcpy(out, r->cpus, sizeof(sp_cpuset_bits));
    for (size_t i = 0; i < l->n; i++)
        if (!l->v[i]->shared)
            for (size_t w = 0; w < SP_CPU_WORDS; w++)
                out[w] |= l->v[i]->cpus[w];
}

uint64_t sp_node_mem_left(const struct sp_topology *t, const struct sp_reserve *r,
                          const struct sp_partition_list *l, int id)
{
    int idx = sp_topology_node_index(t, id);
    if (idx < 0)
        return 0;
    uint64_t used = id == r->mem_node ? r->memory : 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i]->nodes & (UINT64_C(1) << id))
            used += sp_partition_mem_per_node(l->v[i]);
    uint64_t total = t->nodes[idx].mem_total;
    return used >= total ? 0 : total - used;
}

/* Whole free cores of the nodes in `nodes`, node by node, until `want` CPUs. */
static int pick_cpus(const struct sp_topology *t, uint64_t nodes, const uint64_t *carved,
                     int64_t want, uint64_t *out)
{
    int64_t got = 0;
    for (size_t i = 0; i < t->n_cpus && got < want; i++) {
        const struct sp_topo_cpu *c = &t->cpus[i];
        if (c->node < 0 || !(nodes & (UINT64_C(1) << c->node)) || SP_BIT_TEST(out, c->id))
            continue;
        /* A core is taken whole or not at all: SMT siblings share caches and ports. */
        bool free_core = true;
        int64_t k = 0;
        for (int s = 0; s < SP_MAX_CPUS; s++)
            if (SP_BIT_TEST(c->siblings, s)) {
                k++;
                if (SP_BIT_TEST(carved, s) || !sp_topology_cpu(t, s))
                    free_core = false;
            }
        if (!free_core || got + k > want)
            continue;
        for (int s = 0; s < SP_MAX_CPUS; s++)
            if (SP_BIT_TEST(c->siblings, s))
                SP_BIT_SET(out, s);
        got += k;
    }
    return got == want ? 0 : -1;
}

static int check_cpus(const struct sp_topology *t, const struct sp_reserve *r,
                      const struct sp_partition_list *others, struct sp_partition *p,
                      sp_error **err)
{
    for (int i = 0; i < SP_MAX_CPUS; i++) {
        if (!SP_BIT_TEST(p->cpus, i))
            continue;
        const struct sp_topo_cpu *c = sp_topology_cpu(t, i);
        if (!c)
            return sp_err(err, 0, "unknown CPU %d: this host has no such online CPU", i);
        if (c->node < 0 || !(p->nodes & (UINT64_C(1) << c->node)))
            return sp_err(err, 0, "CPU %d is on node %d, not on the partition's nodes", i, c->node);
        if (SP_BIT_TEST(r->cpus, i))
            return sp_err(err, 0, "CPU %d is in the host reserve", i);
        if (!p->shared)
            for (int s = 0; s < SP_MAX_CPUS; s++)
                if (SP_BIT_TEST(c->siblings, s) && !SP_BIT_TEST(p->cpus, s))
                    return sp_err(err, 0,
                                  "CPU %d without its SMT sibling %d: an exclusive "
                                  "partition takes whole cores",
                                  i, s);
        for (size_t k = 0; k < others->n; k++) {
            const struct sp_partition *o = others->v[k];
            /* Shared partitions may overlap each other, never an exclusive one. */
            if (SP_BIT_TEST(o->cpus, i) && (!o->shared || !p->shared))
                return sp_err(err, 0, "CPU %d is already in partition '%s'%s", i, o->name,
                              o->shared ? "" : " (exclusive)");
        }
    }
    return 0;
}

static int check_memory(const struct sp_topology *t, const struct sp_reserve *r,
                        const struct sp_partition_list *others, const struct sp_partition *p,
                        sp_error **err)
{
    int nn = sp_partition_node_count(p);
    uint64_t gran = p->hugepage_size ? p->hugepage_size : MIB;
    if (p->memory == 0)
        return sp_err(err, 0, "--memory: must be more than 0");
    if (p->memory % ((uint64_t)nn * gran) != 0)
        return sp_err(err, 0,
                      "--memory: %" PRIu64 " bytes do not split into whole %s on %d "
                      "node(s)",
                      p->memory, p->hugepage_size ? "hugepages" : "MiB", nn);
    uint64_t per = p->memory / (uint64_t)nn;
    for (int id = 0; id < SP_MAX_NODES; id++) {
        if (!(p->nodes & (UINT64_C(1) << id)))
            continue;
        int idx = sp_topology_node_index(t, id);
        uint64_t left = sp_node_mem_left(t, r, others, id);
        if (per > left)
            return sp_err(err, 0,
                          "--memory: %" PRIu64 " MiB on node %d but only %" PRIu64
                          " MiB are left there (of %" PRIu64 " MiB)",
                          per / MIB, id, left / MIB, t->nodes[idx].mem_total / MIB);
        if (p->hugepage_size) {
            uint64_t free_pages = 0;
            bool found = false;
            for (size_t h = 0; h < t->nodes[idx].n_hugepages; h++)
                if (t->nodes[idx].hugepages[h].size_kib * 1024 == p->hugepage_size) {
                    free_pages = t->nodes[idx].hugepages[h].free;
                    found = true;
                }
            if (!found)
                return sp_err(err, 0, "--hugepages: node %d has no %" PRIu64 " KiB hugepages", id,
                              p->hugepage_size / 1024);
            if (free_pages * p->hugepage_size < per)
                return sp_err(err, 0,
                              "--hugepages: node %d has %" PRIu64 " free hugepages, "
                              "%" PRIu64 " needed",
                              id, free_pages, per / p->hugepage_size);
        }
    }
    return 0;
}

static int check_file(const char *opt, const char *path, char **out, sp_error **err)
{
    if (!path)
        return 0;
    char *abs = realpath(path, NULL);
    if (!abs)
        return sp_err(err, errno, "%s %s", opt, path);
    struct stat st;
    if (stat(abs, &st) < 0 || !S_ISREG(st.st_mode) || access(abs, R_OK) < 0) {
        free(abs);
        return sp_err(err, 0, "%s %s: not a readable regular file", opt, path);
    }
    *out = abs;
    return 0;
}

static int choose_nodes(const struct sp_topology *t, const struct sp_reserve *r,
                        const struct sp_partition_list *others, struct sp_partition *p,
                        const uint64_t *carved, int64_t count, sp_error **err)
{
    /* Node-local first: the first single node with enough free cores and memory. */
    for (size_t i = 0; i < t->n_nodes; i++) {
        sp_cpuset_bits pick = {0};
        int id = t->nodes[i].id;
        if (pick_cpus(t, UINT64_C(1) << id, carved, count, pick) == 0 &&
            sp_node_mem_left(t, r, others, id) >= p->memory) {
            p->nodes = UINT64_C(1) << id;
            memcpy(p->cpus, pick, sizeof(pick));
            return 0;
        }
    }
    return sp_err(err, 0,
                  "--cpu-count %" PRId64 ": no NUMA node has %" PRId64 " free CPUs "
                  "(whole cores) and the memory; name --nodes to span nodes",
                  count, count);
}

int sp_partition_validate(const struct sp_topology *t, const struct sp_reserve *r,
                          const struct sp_partition_list *others,
                          const struct sp_partition_req *req, struct sp_partition **out,
                          sp_error **err)
{
    if (sp_partition_name_check(req->name, err) < 0)
        return -1;
    for (size_t i = 0; i < others->n; i++)
        if (strcmp(others->v[i]->name, req->name) == 0)
            return sp_err(err, 0, "partition '%s' already exists", req->name);
    if (!req->cpus == !req->cpu_count)
        return sp_err(err, 0, "partition '%s': give exactly one of --cpus and --cpu-count",
                      req->name);
    if (req->memory == 0)
        return sp_err(err, 0, "--memory: must be more than 0");
    if (req->isolated && req->shared)
        return sp_err(err, 0, "--isolated and --shared exclude each other");
    if (req->hugepage_size && req->hugepage_size != 2 * MIB && req->hugepage_size != 1024 * MIB)
        return sp_err(err, 0, "--hugepages: only 2M and 1G pages are supported");
    if ((req->initrd || req->append) && !req->kernel)
        return sp_err(err, 0, "--initrd and --append need --kernel");

    _cleanup_partition_ struct sp_partition *p = sp_xcalloc(1, sizeof(*p));
    p->name = sp_xstrdup(req->name);
    p->memory = req->memory;
    p->shared = req->shared;
    p->isolated = req->isolated;
    p->hugepage_size = req->hugepage_size;
    p->accel = req->accel;
    size_t n;
    if (req->nodes) {
        if (sp_parse_cpulist(req->nodes, &p->nodes, SP_MAX_NODES, &n, err) < 0)
            return sp_err_wrap(err, "--nodes");
        for (int id = 0; id < SP_MAX_NODES; id++)
            if ((p->nodes & (UINT64_C(1) << id)) && sp_topology_node_index(t, id) < 0)
                return sp_err(err, 0, "--nodes: unknown NUMA node %d", id);
        if (!p->nodes)
            return sp_err(err, 0, "--nodes: empty list");
    }
    sp_cpuset_bits carved;
    sp_carved_cpus(r, others, carved);
    if (req->cpus) {
        if (sp_parse_cpulist(req->cpus, p->cpus, SP_MAX_CPUS, &n, err) < 0)
            return sp_err_wrap(err, "--cpus");
        if (n == 0)
            return sp_err(err, 0, "--cpus: empty list");
        if (!req->nodes)
            for (int i = 0; i < SP_MAX_CPUS; i++) {
                const struct sp_topo_cpu *c =
                    SP_BIT_TEST(p->cpus, i) ? sp_topology_cpu(t, i) : NULL;
                if (SP_BIT_TEST(p->cpus, i) && !c)
                    return sp_err(err, 0,
                                  "--cpus: unknown CPU %d: this host has no such "
                                  "online CPU",
                                  i);
                if (c && c->node >= 0)
                    p->nodes |= UINT64_C(1) << c->node;
            }
    } else {
        if (req->cpu_count < 1 || req->cpu_count > SP_MAX_CPUS)
            return sp_err(err, 0, "--cpu-count: must be between 1 and %d", SP_MAX_CPUS);
        if (!req->nodes) {
            if (choose_nodes(t, r, others, p, carved, req->cpu_count, err) < 0)
                return -1;
        } else if (pick_cpus(t, p->nodes, carved, req->cpu_count, p->cpus) < 0) {
            return sp_err(err, 0,
                          "--cpu-count %" PRId64 ": nodes %s do not have that many "
                          "free CPUs in whole cores",
                          req->cpu_count, req->nodes);
        }
    }
    if (check_cpus(t, r, others, p, err) < 0 || check_memory(t, r, others, p, err) < 0)
        return -1;
    /* A node without any of the partition's CPUs would give the guest a CPU-less node. */
    for (int id = 0; id < SP_MAX_NODES; id++) {
        if (!(p->nodes & (UINT64_C(1) << id)))
            continue;
        int idx = sp_topology_node_index(t, id);
        bool any = false;
        for (size_t w = 0; w < SP_CPU_WORDS; w++)
            any |= (t->nodes[idx].cpus[w] & p->cpus[w]) != 0;
        if (!any)
            return sp_err(err, 0, "--nodes: node %d has none of the partition's CPUs", id);
    }
    if (check_file("--kernel", req->kernel, &p->kernel, err) < 0 ||
        check_file("--initrd", req->initrd, &p->initrd, err) < 0 ||
        check_file("--disk", req->disk, &p->disk, err) < 0)
        return -1;
    /* The overlay becomes the guest's disk, so a second disk has no place. */
    if (req->base && req->disk)
        return sp_err(err, 0, "--base and --disk: give one (--base makes the disk)");
    if (check_file("--base", req->base, &p->base, err) < 0)
        return -1;
    if (req->append)
        p->append = sp_xstrdup(req->append);
    if (req->network) {
        /* Switch names follow the bridge rules net/ checks; here only what a record needs. */
        if (!*req->network || strchr(req->network, '/') || strlen(req->network) > 15)
            return sp_err(err, 0, "--network '%s': not a switch name", req->network);
        p->network = sp_xstrdup(req->network);
    }
    *out = sp_steal_ptr(&p);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Spec files                                                                */
/* ------------------------------------------------------------------------ */

int sp_partition_req_from_spec(const sp_jdoc *doc, struct sp_partition_req *req, sp_error **err)
{
    static const char *const known[] = {
        "name",   "cpus",   "cpu_count", "nodes", "memory", "shared",  "isolated", "hugepages",
        "kernel", "initrd", "append",    "disk",  "accel",  "network", "base",     NULL,
    };
    json_t *root = doc->root;
    if (!json_is_object(root))
        return sp_jerr(doc, err, "", "expected an object");
    if (sp_json_check_keys(doc, root, "", known, err) < 0)
        return -1;
    const char *s = NULL;
    int r;
    if (sp_json_get_str(doc, root, "", "name", false, &req->name, err) < 0 ||
        sp_json_get_str(doc, root, "", "cpus", false, &req->cpus, err) < 0 ||
        sp_json_get_str(doc, root, "", "nodes", false, &req->nodes, err) < 0 ||
        sp_json_get_range(doc, root, "", "cpu_count", false, 1, SP_MAX_CPUS, &req->cpu_count, err) <
            0 ||
        sp_json_get_bool(doc, root, "", "shared", false, &req->shared, err) < 0 ||
        sp_json_get_bool(doc, root, "", "isolated", false, &req->isolated, err) < 0 ||
        sp_json_get_str(doc, root, "", "kernel", false, &req->kernel, err) < 0 ||
        sp_json_get_str(doc, root, "", "initrd", false, &req->initrd, err) < 0 ||
        sp_json_get_str(doc, root, "", "append", false, &req->append, err) < 0 ||
        sp_json_get_str(doc, root, "", "disk", false, &req->disk, err) < 0 ||
        sp_json_get_str(doc, root, "", "base", false, &req->base, err) < 0 ||
        sp_json_get_str(doc, root, "", "network", false, &req->network, err) < 0)
        return -1;
    json_t *mem = json_object_get(root, "memory");
    if (json_is_integer(mem)) {
        if (json_integer_value(mem) <= 0)
            return sp_jerr(doc, err, "memory", "must be more than 0");
        req->memory = (uint64_t)json_integer_value(mem);
    } else if ((r = sp_json_get_str(doc, root, "", "memory", false, &s, err)) != 0) {
        if (r < 0)
            return -1;
        if (sp_parse_size(s, &req->memory, err) < 0)
            return sp_jerr(doc, err, "memory", "%s", (*err)->msg);
    }
    if ((r = sp_json_get_str(doc, root, "", "hugepages", false, &s, err)) != 0) {
        if (r < 0)
            return -1;
        if (sp_parse_size(s, &req->hugepage_size, err) < 0)
            return sp_jerr(doc, err, "hugepages", "%s", (*err)->msg);
    }
    if ((r = sp_json_get_str(doc, root, "", "accel", false, &s, err)) != 0) {
        if (r < 0)
            return -1;
        if (accel_parse(s, &req->accel) < 0)
            return sp_jerr(doc, err, "accel", "unknown accelerator '%s' (auto, kvm, tcg)", s);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Store                                                                     */
/* ------------------------------------------------------------------------ */

static char *store_dir(const char *data_root)
{
    return sp_xasprintf("%s/partitions", data_root);
}

char *sp_store_run_dir(const char *data_root, const char *name)
{
    return sp_xasprintf("%s/partitions/%s.d", data_root, name);
}

char *sp_store_overlay_path(const char *data_root, const char *name)
{
    return sp_xasprintf("%s/partitions/%s.d/disk.qcow2", data_root, name);
}

int sp_store_lock(const char *data_root, sp_error **err)
{
    _cleanup_free_ char *dir = store_dir(data_root);
    if (sp_mkdir_p(dir, 0700, err) < 0)
        return sp_err_wrap(err, "creating the partition store");
    _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0)
        return sp_err(err, errno, "opening %s", dir);
    return sp_lock_file(dfd, ".lock", true, true, err);
}

int sp_store_load(const char *data_root, const char *name, struct sp_partition **out,
                  sp_error **err)
{
    if (sp_partition_name_check(name, err) < 0)
        return -1;
    _cleanup_free_ char *path = sp_xasprintf("%s/partitions/%s.json", data_root, name);
    if (access(path, F_OK) < 0)
        return sp_err(err, 0, "no partition named '%s'", name);
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(path, path, &doc, err) < 0 || sp_partition_from_json(doc, out, err) < 0)
        return sp_err_wrap(err, "reading partition '%s'", name);
    return 0;
}

static int cmp_part(const void *a, const void *b)
{
    return strcmp((*(struct sp_partition *const *)a)->name,
                  (*(struct sp_partition *const *)b)->name);
}

int sp_store_load_all(const char *data_root, struct sp_partition_list *out, sp_error **err)
{
    _cleanup_free_ char *dir = store_dir(data_root);
    out->v = NULL;
    out->n = 0;
    _cleanup_dir_ DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : sp_err(err, errno, "reading %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 ||
            strcmp(e->d_name, "reserve.json") == 0 || e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *name = strndup(e->d_name, len - 5);
        struct sp_partition *p = NULL;
        if (sp_store_load(data_root, name, &p, err) < 0) {
            sp_partition_list_clear(out);
            return -1;
        }
        out->v = sp_xrealloc(out->v, (out->n + 1) * sizeof(out->v[0]));
        out->v[out->n++] = p;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof(out->v[0]), cmp_part);
    return 0;
}

int sp_store_save(const char *data_root, const struct sp_partition *p, sp_error **err)
{
    _cleanup_free_ char *dir = store_dir(data_root);
    _cleanup_free_ char *file = sp_xasprintf("%s.json", p->name);
    if (sp_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0)
        return sp_err(err, errno, "opening %s", dir);
    _cleanup_json_ json_t *j = sp_partition_to_json(p);
    if (sp_json_write_file(dfd, file, j, true, err) < 0)
        return sp_err_wrap(err, "saving partition '%s'", p->name);
    return 0;
}

int sp_store_remove(const char *data_root, const char *name, sp_error **err)
{
    _cleanup_free_ char *path = sp_xasprintf("%s/partitions/%s.json", data_root, name);
    _cleanup_free_ char *dir = store_dir(data_root);
    _cleanup_free_ char *rundir = sp_xasprintf("%s.d", name);
    _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd >= 0 && sp_rm_rf_at(dfd, rundir, err) < 0)
        return -1;
    if (unlink(path) < 0 && errno != ENOENT)
        return sp_err(err, errno, "removing %s", path);
    return 0;
}

/* Here, not in guest.c: the lean septa-runtime asks it without linking QEMU's side. */
bool sp_guest_running(const struct sp_partition *p)
{
    return p->pid > 0 && p->start_time != 0 && sp_proc_start_time(p->pid) == p->start_time;
}
