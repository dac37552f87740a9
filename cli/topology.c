/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa topology`: the host's NUMA nodes, CPUs and what is carved already. */
#include "cli.h"
#include "partition.h"

#include <inttypes.h>
#include <string.h>

static json_t *carved_json(const struct sp_partition_list *l, const struct sp_reserve *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++) {
        const struct sp_partition *p = l->v[i];
        _cleanup_free_ char *cpus = sp_format_cpulist(p->cpus, SP_MAX_CPUS);
        _cleanup_free_ char *nodes = sp_format_cpulist(&p->nodes, SP_MAX_NODES);
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:s, s:I, s:b, s:b}", "name", p->name, "cpus",
                                        cpus, "nodes", nodes, "memory", (json_int_t)p->memory,
                                        "shared", p->shared, "running", sp_guest_running(p)));
    }
    (void)r;
    return a;
}

int sp_cmd_topology(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = NULL;
    int pr = sp_cli_parse_format("topology",
                                "Show the host's NUMA nodes (CPUs, memory, distances, hugepages), its CPUs "
                                "(core, package,\nSMT siblings), the host reserve and the partitions carved "
                                "so far.\n",
                                argc, argv, &format, err);
    if (pr != 0)
        return pr < 0 ? -1 : 0;
    _cleanup_topology_ struct sp_topology *t = NULL;
    struct sp_reserve r;
    struct sp_partition_list l = {0};
    if (sp_topology_read(sp_topology_sysfs(), &t, err) < 0 ||
        sp_reserve_load(g->data_root, t, &r, err) < 0 ||
        sp_store_load_all(g->data_root, &l, err) < 0)
        return -1;
    _cleanup_free_ char *rcpus = sp_format_cpulist(r.cpus, SP_MAX_CPUS);
    if (strcmp(format, "json") == 0) {
        _cleanup_json_ json_t *j = sp_topology_to_json(t);
        json_object_set_new(j, "partitions", carved_json(&l, &r));
        json_object_set_new(j, "reserve",
                            json_pack("{s:s, s:i, s:I}", "cpus", rcpus, "node", r.mem_node,
                                      "memory", (json_int_t)r.memory));
        _cleanup_free_ char *s = sp_json_dumps(j, true);
        printf("%s\n", s);
    } else {
        for (size_t i = 0; i < t->n_nodes; i++) {
            const struct sp_topo_node *n = &t->nodes[i];
            _cleanup_free_ char *cpus = sp_format_cpulist(n->cpus, SP_MAX_CPUS);
            printf("node %d: cpus %s, memory %" PRIu64 " MiB (%" PRIu64 " MiB free, %" PRIu64
                                " MiB not carved), distances",
                   n->id, *cpus ? cpus : "-", n->mem_total >> 20, n->mem_free >> 20,
                   sp_node_mem_left(t, &r, &l, n->id) >> 20);
            for (size_t k = 0; k < n->n_distances; k++)
                printf(" %d", n->distances[k]);
            for (size_t k = 0; k < n->n_hugepages; k++)
                printf(", hugepages %" PRIu64 "kB %" PRIu64 "/%" PRIu64 " free",
                       n->hugepages[k].size_kib, n->hugepages[k].free, n->hugepages[k].total);
            printf("\n");
        }
        for (size_t i = 0; i < t->n_cpus; i++) {
            const struct sp_topo_cpu *cp = &t->cpus[i];
            _cleanup_free_ char *sib = sp_format_cpulist(cp->siblings, SP_MAX_CPUS);
            printf("cpu %d: node %d, package %d, core %d, siblings %s\n", cp->id, cp->node,
                   cp->package, cp->core, sib);
        }
        printf("reserve: cpus %s, %" PRIu64 " MiB of node %d\n", *rcpus ? rcpus : "-",
               r.memory >> 20, r.mem_node);
        for (size_t i = 0; i < l.n; i++) {
            _cleanup_free_ char *cpus = sp_format_cpulist(l.v[i]->cpus, SP_MAX_CPUS);
            _cleanup_free_ char *nodes = sp_format_cpulist(&l.v[i]->nodes, SP_MAX_NODES);
            printf("partition %s: cpus %s, nodes %s, %" PRIu64 " MiB%s\n", l.v[i]->name, cpus,
                   nodes, l.v[i]->memory >> 20, l.v[i]->shared ? ", shared" : "");
        }
    }
    sp_partition_list_clear(&l);
    return 0;
}
