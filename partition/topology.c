/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's NUMA topology, read from sysfs: nodes with their CPUs, memory,
 * distances and hugepages; CPUs with their core, package and SMT siblings.
 * The sysfs root is a parameter so that tests can describe 2/4/8-node
 * machines with a fake tree.
 */
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *sp_topology_sysfs(void)
{
    const char *s = getenv("SEPTA_SYSFS_ROOT");
    return s && *s ? s : "/sys";
}

static int read_small(const char *path, char **out, sp_error **err)
{
    size_t len;
    if (sp_read_file(AT_FDCWD, path, 1 << 20, out, &len, err) < 0)
        return -1;
    /* sysfs values end with a newline the parsers do not want. */
    while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == ' '))
        (*out)[--len] = '\0';
    return 0;
}

static int read_int(const char *path, int64_t *out, sp_error **err)
{
    _cleanup_free_ char *s = NULL;
    if (read_small(path, &s, err) < 0)
        return -1;
    if (sp_parse_i64(s, INT32_MIN, INT64_MAX, out, err) < 0)
        return sp_err_wrap(err, "%s", path);
    return 0;
}

static int read_list(const char *path, uint64_t *bits, size_t nbits, sp_error **err)
{
    _cleanup_free_ char *s = NULL;
    size_t n;
    if (read_small(path, &s, err) < 0)
        return -1;
    memset(bits, 0, nbits / 8);
    if (*s == '\0')
        return 0; /* a memory-only node has an empty cpulist */
    if (sp_parse_cpulist(s, bits, nbits, &n, err) < 0)
        return sp_err_wrap(err, "%s", path);
    return 0;
}

/* "Node 0 MemTotal:  5597388 kB" -> bytes */
static int read_node_meminfo(const char *dir, struct sp_topo_node *n, sp_error **err)
{
    _cleanup_free_ char *path = sp_xasprintf("%s/meminfo", dir);
    _cleanup_free_ char *s = NULL;
    if (read_small(path, &s, err) < 0)
        return -1;
    bool total = false;
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int id;
        char key[64];
        unsigned long long kb;
        if (sscanf(line, "Node %d %63[^:]: %llu", &id, key, &kb) != 3)
            continue;
        if (strcmp(key, "MemTotal") == 0) {
            n->mem_total = (uint64_t)kb * 1024;
            total = true;
        } else if (strcmp(key, "MemFree") == 0) {
            n->mem_free = (uint64_t)kb * 1024;
        }
    }
    if (!total)
        return sp_err(err, 0, "%s: no MemTotal line", path);
    return 0;
}

static int read_node_hugepages(const char *dir, struct sp_topo_node *n, sp_error **err)
{
    _cleanup_free_ char *hdir = sp_xasprintf("%s/hugepages", dir);
    _cleanup_dir_ DIR *d = opendir(hdir);
    if (!d)
        return 0; /* no hugetlbfs support: none */
    struct dirent *e;
    while ((e = readdir(d)) && n->n_hugepages < SP_ARRAY_SIZE(n->hugepages)) {
        unsigned long long kb;
        if (sscanf(e->d_name, "hugepages-%llukB", &kb) != 1)
            continue;
        struct sp_topo_hugepages *h = &n->hugepages[n->n_hugepages];
        int64_t v;
        _cleanup_free_ char *p1 = sp_xasprintf("%s/%s/nr_hugepages", hdir, e->d_name);
        _cleanup_free_ char *p2 = sp_xasprintf("%s/%s/free_hugepages", hdir, e->d_name);
        h->size_kib = kb;
        if (read_int(p1, &v, err) < 0)
            return -1;
        h->total = (uint64_t)v;
        if (read_int(p2, &v, err) < 0)
            return -1;
        h->free = (uint64_t)v;
        n->n_hugepages++;
    }
    return 0;
}

static int cmp_node(const void *a, const void *b)
{
    return ((const struct sp_topo_node *)a)->id - ((const struct sp_topo_node *)b)->id;
}

static int read_nodes(const char *sysfs, struct sp_topology *t, sp_error **err)
{
    _cleanup_free_ char *ndir = sp_xasprintf("%s/devices/system/node", sysfs);
    _cleanup_dir_ DIR *d = opendir(ndir);
    if (!d)
        return errno == ENOENT ? 0 : sp_err(err, errno, "reading %s", ndir);
    struct dirent *e;
    while ((e = readdir(d))) {
        int id;
        char extra;
        if (sscanf(e->d_name, "node%d%c", &id, &extra) != 1 || id < 0)
            continue;
        if (t->n_nodes == SP_MAX_NODES)
            return sp_err(err, 0, "%s: more than %d NUMA nodes", ndir, SP_MAX_NODES);
        struct sp_topo_node *n = &t->nodes[t->n_nodes++];
        n->id = id;
    }
    qsort(t->nodes, t->n_nodes, sizeof(t->nodes[0]), cmp_node);
    for (size_t i = 0; i < t->n_nodes; i++) {
        struct sp_topo_node *n = &t->nodes[i];
        _cleanup_free_ char *dir = sp_xasprintf("%s/node%d", ndir, n->id);
        _cleanup_free_ char *cpulist = sp_xasprintf("%s/cpulist", dir);
        _cleanup_free_ char *dist = sp_xasprintf("%s/distance", dir);
        _cleanup_free_ char *ds = NULL;
        if (read_list(cpulist, n->cpus, SP_MAX_CPUS, err) < 0 ||
            read_node_meminfo(dir, n, err) < 0 || read_node_hugepages(dir, n, err) < 0 ||
            read_small(dist, &ds, err) < 0)
            return -1;
        char *save = NULL;
        for (char *tok = strtok_r(ds, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            int64_t v;
            if (n->n_distances == SP_MAX_NODES)
                break;
            if (sp_parse_i64(tok, 0, 255, &v, err) < 0)
                return sp_err_wrap(err, "%s", dist);
            n->distances[n->n_distances++] = (int)v;
        }
    }
    return 0;
}

/* No node directories (a kernel without CONFIG_NUMA): one node of everything. */
static int fake_single_node(const char *sysfs, struct sp_topology *t, const uint64_t *online,
                            sp_error **err)
{
    struct sp_topo_node *n = &t->nodes[0];
    t->n_nodes = 1;
    memcpy(n->cpus, online, sizeof(n->cpus));
    n->distances[0] = 10;
    n->n_distances = 1;
    (void)sysfs;
    _cleanup_file_ FILE *f = fopen("/proc/meminfo", "re");
    if (!f)
        return sp_err(err, errno, "reading /proc/meminfo");
    char line[256];
    unsigned long long kb;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "MemTotal: %llu", &kb) == 1)
            n->mem_total = kb * 1024;
        else if (sscanf(line, "MemFree: %llu", &kb) == 1)
            n->mem_free = kb * 1024;
    }
    return 0;
}

static int read_cpu(const char *sysfs, struct sp_topology *t, int id, sp_error **err)
{
    struct sp_topo_cpu *c = &t->cpus[t->n_cpus++];
    _cleanup_free_ char *dir = sp_xasprintf("%s/devices/system/cpu/cpu%d/topology", sysfs, id);
    _cleanup_free_ char *pcore = sp_xasprintf("%s/core_id", dir);
    _cleanup_free_ char *ppkg = sp_xasprintf("%s/physical_package_id", dir);
    _cleanup_free_ char *psib = sp_xasprintf("%s/thread_siblings_list", dir);
    int64_t v;
    c->id = id;
    c->node = -1;
    if (read_int(pcore, &v, err) < 0)
        return -1;
    c->core = (int)v;
    if (read_int(ppkg, &v, err) < 0)
        return -1;
    c->package = (int)v;
    if (read_list(psib, c->siblings, SP_MAX_CPUS, err) < 0)
        return -1;
    SP_BIT_SET(c->siblings, id);
    for (size_t i = 0; i < t->n_nodes; i++)
        if (SP_BIT_TEST(t->nodes[i].cpus, id))
            c->node = t->nodes[i].id;
    return 0;
}

int sp_topology_read(const char *sysfs, struct sp_topology **out, sp_error **err)
{
    _cleanup_topology_ struct sp_topology *t = sp_xcalloc(1, sizeof(*t));
    _cleanup_free_ char *online_path = sp_xasprintf("%s/devices/system/cpu/online", sysfs);
    sp_cpuset_bits online = {0};
    if (read_list(online_path, online, SP_MAX_CPUS, err) < 0)
        return sp_err_wrap(err, "reading the topology");
    if (read_nodes(sysfs, t, err) < 0)
        return sp_err_wrap(err, "reading the topology");
    if (t->n_nodes == 0 && fake_single_node(sysfs, t, online, err) < 0)
        return sp_err_wrap(err, "reading the topology");
    size_t count = 0;
    for (int i = 0; i < SP_MAX_CPUS; i++)
        count += SP_BIT_TEST(online, i);
    t->cpus = sp_xcalloc(count ? count : 1, sizeof(t->cpus[0]));
    for (int i = 0; i < SP_MAX_CPUS; i++)
        if (SP_BIT_TEST(online, i) && read_cpu(sysfs, t, i, err) < 0)
            return sp_err_wrap(err, "reading the topology");
    /* Offline CPUs are in node cpulists too; nothing can be carved from them. */
    for (size_t i = 0; i < t->n_nodes; i++)
        for (size_t w = 0; w < SP_CPU_WORDS; w++)
            t->nodes[i].cpus[w] &= online[w];
    *out = sp_steal_ptr(&t);
    return 0;
}

void sp_topology_free(struct sp_topology *t)
{
    if (!t)
        return;
    free(t->cpus);
    free(t);
}

void sp_topology_freep(struct sp_topology **t)
{
    sp_topology_free(*t);
    *t = NULL;
}

int sp_topology_node_index(const struct sp_topology *t, int id)
{
    for (size_t i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].id == id)
            return (int)i;
    return -1;
}

const struct sp_topo_cpu *sp_topology_cpu(const struct sp_topology *t, int id)
{
    for (size_t i = 0; i < t->n_cpus; i++)
        if (t->cpus[i].id == id)
            return &t->cpus[i];
    return NULL;
}

static json_t *bits_to_json(const uint64_t *bits)
{
    json_t *a = json_array();
    for (int i = 0; i < SP_MAX_CPUS; i++)
        if (SP_BIT_TEST(bits, i))
            json_array_append_new(a, json_integer(i));
    return a;
}

json_t *sp_topology_to_json(const struct sp_topology *t)
{
    json_t *nodes = json_array(), *cpus = json_array();
    for (size_t i = 0; i < t->n_nodes; i++) {
        const struct sp_topo_node *n = &t->nodes[i];
        json_t *dist = json_array(), *hp = json_object();
        for (size_t k = 0; k < n->n_distances; k++)
            json_array_append_new(dist, json_integer(n->distances[k]));
        for (size_t k = 0; k < n->n_hugepages; k++) {
            char key[32];
            snprintf(key, sizeof(key), "%" PRIu64 "kB", n->hugepages[k].size_kib);
            json_object_set_new(hp, key,
                                json_pack("{s:I, s:I}", "total", (json_int_t)n->hugepages[k].total,
                                          "free", (json_int_t)n->hugepages[k].free));
        }
        json_array_append_new(nodes, json_pack("{s:i, s:o, s:I, s:I, s:o, s:o}", "id", n->id,
                                               "cpus", bits_to_json(n->cpus), "memory_bytes",
                                               (json_int_t)n->mem_total, "free_bytes",
                                               (json_int_t)n->mem_free, "distances", dist,
                                               "hugepages", hp));
    }
    for (size_t i = 0; i < t->n_cpus; i++) {
        const struct sp_topo_cpu *c = &t->cpus[i];
        json_array_append_new(cpus, json_pack("{s:i, s:i, s:i, s:i, s:o}", "id", c->id, "node",
                                              c->node, "core", c->core, "package", c->package,
                                              "siblings", bits_to_json(c->siblings)));
    }
    return json_pack("{s:o, s:o}", "nodes", nodes, "cpus", cpus);
}
