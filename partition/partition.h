/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * partition/: the one public header of septa's hardware partitions.
 *
 * A partition is a named, fixed slice of a NUMA host (CPUs, memory nodes, an
 * amount of memory) recorded as JSON under <data_root>/partitions/, enforced
 * with a cpuset cgroup, and optionally given to one QEMU guest whose vCPUs are
 * pinned 1:1 to the slice's CPUs and whose memory is bound to its nodes.
 *
 *   topology.c  what the host has (sysfs)
 *   record.c    partition records, the host reserve, validation
 *   plan.c      carving what is free into partitions
 *   cpuset.c    the cgroup that enforces a partition (v2 partition / v1 exclusive)
 *   qmp.c       QEMU Machine Protocol over a unix socket
 *   guest.c     launching, pinning, stopping the guest
 *   verify.c    proving the pinning and memory binding from /proc and cgroupfs
 */
#ifndef SEPTA_PARTITION_H
#define SEPTA_PARTITION_H

#include "common.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SP_MAX_CPUS  1024
#define SP_CPU_WORDS (SP_MAX_CPUS / 64)
#define SP_MAX_NODES 64

typedef uint64_t sp_cpuset_bits[SP_CPU_WORDS];

/* ------------------------------------------------------------------------ */
/* Topology                                                                  */
/* ------------------------------------------------------------------------ */

struct sp_topo_hugepages {
    uint64_t size_kib;
    uint64_t total;
    uint64_t free;
};

struct sp_topo_node {
    int id;
    sp_cpuset_bits cpus;
    uint64_t mem_total;          /* bytes (node meminfo MemTotal) */
    uint64_t mem_free;           /* bytes (node meminfo MemFree) */
    int distances[SP_MAX_NODES]; /* indexed like sp_topology.nodes */
    size_t n_distances;
    struct sp_topo_hugepages hugepages[4];
    size_t n_hugepages;
};

struct sp_topo_cpu {
    int id;
    int node;
    int core;
    int package;
    sp_cpuset_bits siblings; /* SMT siblings, itself included */
};

struct sp_topology {
    struct sp_topo_node nodes[SP_MAX_NODES];
    size_t n_nodes;
    struct sp_topo_cpu *cpus; /* online CPUs, by id */
    size_t n_cpus;
};

/*
 * Read the host topology from a sysfs tree rooted at `sysfs` ("/sys" on a real
 * host, a fake tree in tests).  A kernel without NUMA nodes in sysfs is one
 * node 0 holding every online CPU and /proc/meminfo's memory.
 */
int sp_topology_read(const char *sysfs, struct sp_topology **out, sp_error **err);
void sp_topology_free(struct sp_topology *t);
void sp_topology_freep(struct sp_topology **t);
#define _cleanup_topology_ _cleanup_(sp_topology_freep)
/* The sysfs root septa uses: $SEPTA_SYSFS_ROOT or "/sys". */
const char *sp_topology_sysfs(void);
/* Index of node `id` in t->nodes, or -1. */
int sp_topology_node_index(const struct sp_topology *t, int id);
/* The CPU `id`, or NULL when it does not exist or is offline. */
const struct sp_topo_cpu *sp_topology_cpu(const struct sp_topology *t, int id);
/* The JSON shape, without "partitions" (the caller adds it). */
json_t *sp_topology_to_json(const struct sp_topology *t);

/* ------------------------------------------------------------------------ */
/* Records                                                                   */
/* ------------------------------------------------------------------------ */

enum sp_accel { SP_ACCEL_AUTO = 0, SP_ACCEL_KVM, SP_ACCEL_TCG };

/* What the user asks for; create turns it into a record. */
struct sp_partition_req {
    const char *name;
    const char *cpus;  /* list, or NULL with cpu_count */
    int64_t cpu_count; /* 0 = unset */
    const char *nodes; /* list or NULL (the nodes of the CPUs) */
    uint64_t memory;   /* bytes */
    bool shared;
    bool isolated;
    uint64_t hugepage_size; /* bytes, 0 = normal pages */
    const char *kernel, *initrd, *append, *disk;
    const char *base;    /* read-only base image: the disk is a qcow2 overlay on it */
    const char *network; /* switch name, or NULL */
    enum sp_accel accel;
};

struct sp_partition {
    char *name;
    sp_cpuset_bits cpus;
    uint64_t nodes;  /* bitmap of node ids */
    uint64_t memory; /* bytes, split evenly over the nodes */
    bool shared;
    bool isolated;
    uint64_t hugepage_size;
    char *kernel, *initrd, *append, *disk;
    char *base;    /* with --base: the base image; disk is then our overlay on it */
    char *network; /* switch of the guest's NIC, or NULL */
    enum sp_accel accel;
    /* while a guest runs */
    pid_t pid;
    uint64_t start_time; /* /proc/PID/stat starttime: a recycled pid is not ours */
    char *cgroup;        /* absolute cgroupfs path of the enforcing cgroup */
    char *accel_used;    /* "kvm" or "tcg" */
    char *tap;           /* the tap device while the guest runs */
    char *address;       /* the guest's address on the switch, "10.88.0.5/24" */
    char *gateway;
    char *mac;
};

/* The host reserve: never carved. */
struct sp_reserve {
    sp_cpuset_bits cpus;
    int mem_node;
    uint64_t memory;
};

void sp_partition_free(struct sp_partition *p);
void sp_partition_freep(struct sp_partition **p);
#define _cleanup_partition_ _cleanup_(sp_partition_freep)

struct sp_partition_list {
    struct sp_partition **v;
    size_t n;
};
void sp_partition_list_clear(struct sp_partition_list *l);

/* "name": 1-63 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int sp_partition_name_check(const char *name, sp_error **err);
int sp_partition_from_json(const sp_jdoc *doc, struct sp_partition **out, sp_error **err);
json_t *sp_partition_to_json(const struct sp_partition *p);
/* Memory of the partition on each of its nodes (memory / number of nodes). */
uint64_t sp_partition_mem_per_node(const struct sp_partition *p);
int sp_partition_node_count(const struct sp_partition *p);

/*
 * The reserve: <data_root>/partitions/reserve.json ({"cpus": "0", "node": 0,
 * "memory": "512M"}) or the default, CPU 0 and 10% of node 0's memory.
 */
int sp_reserve_load(const char *data_root, const struct sp_topology *t, struct sp_reserve *out,
                    sp_error **err);
void sp_reserve_default(const struct sp_topology *t, struct sp_reserve *out);

/*
 * Turn a request into a partition checked against the topology, the reserve
 * and the other records: unknown CPUs/nodes, partial cores, overlap with
 * exclusive partitions, memory beyond what the nodes have left.
 */
int sp_partition_validate(const struct sp_topology *t, const struct sp_reserve *r,
                          const struct sp_partition_list *others,
                          const struct sp_partition_req *req, struct sp_partition **out,
                          sp_error **err);
/* Memory of node `id` not yet carved (MemTotal - reserve - partitions). */
uint64_t sp_node_mem_left(const struct sp_topology *t, const struct sp_reserve *r,
                          const struct sp_partition_list *l, int id);
/* CPUs carved by exclusive partitions, plus the reserve. */
void sp_carved_cpus(const struct sp_reserve *r, const struct sp_partition_list *l,
                    sp_cpuset_bits out);

/* Store: <data_root>/partitions/NAME.json under <data_root>/partitions/.lock. */
int sp_store_lock(const char *data_root, sp_error **err);
int sp_store_load_all(const char *data_root, struct sp_partition_list *out, sp_error **err);
int sp_store_load(const char *data_root, const char *name, struct sp_partition **out,
                  sp_error **err);
int sp_store_save(const char *data_root, const struct sp_partition *p, sp_error **err);
int sp_store_remove(const char *data_root, const char *name, sp_error **err);
/* <data_root>/partitions/NAME.d: console log, sockets, pid file, --base overlay. */
char *sp_store_run_dir(const char *data_root, const char *name);
/* Where a partition's --base overlay lives: NAME.d/disk.qcow2 (removed with the record). */
char *sp_store_overlay_path(const char *data_root, const char *name);

/* A spec file (--spec) fills a request; strings point into the document. */
int sp_partition_req_from_spec(const sp_jdoc *doc, struct sp_partition_req *req, sp_error **err);

/* ------------------------------------------------------------------------ */
/* Containers in a shared partition                                          */
/* ------------------------------------------------------------------------ */

/* The OCI annotation that names a container's partition (podman --annotation). */
#define SP_PARTITION_ANNOTATION "org.septa.partition"

/*
 * Place the OCI config `spec` in --shared partition `name`: its
 * linux.resources.cpu.cpus/mems become the partition's (a cpuset already
 * there is kept if it lies inside the partition, refused if not) and the
 * annotation records the name.  Exclusive and unknown partitions are refused.
 * `what` starts messages ("--partition db", "annotation org.septa.partition=db");
 * `own` names where the user set a cpuset ("--cpuset-cpus/--cpuset-mems").
 * Used by `septa run` and `septa oci create/run` alike.
 */
int sp_partition_place(const char *data_root, const char *name, json_t *spec, const char *what,
                       const char *own, sp_error **err);

/* ------------------------------------------------------------------------ */
/* Planner                                                                   */
/* ------------------------------------------------------------------------ */

struct sp_plan_item {
    char name[64];
    sp_cpuset_bits cpus;
    uint64_t nodes;
    uint64_t memory;
    char reason[256];
};

struct sp_plan {
    struct sp_plan_item *items;
    size_t n;
    char note[256]; /* what was left free and why */
};

/*
 * Carve the free part of the host (not reserved, not in exclusive
 * partitions): count > 0 for that many balanced partitions, count == 0 for
 * one per node with free CPUs.  Node-local first; whole cores; 10% of each
 * node's memory left for QEMU and the host.  Names are prefix0, prefix1, ...
 * skipping names in use.
 */
int sp_plan_make(const struct sp_topology *t, const struct sp_reserve *r,
                 const struct sp_partition_list *l, int count, const char *prefix,
                 struct sp_plan *out, sp_error **err);
void sp_plan_clear(struct sp_plan *p);
json_t *sp_plan_to_json(const struct sp_plan *p);

/* ------------------------------------------------------------------------ */
/* Enforcement (cgroup cpuset)                                               */
/* ------------------------------------------------------------------------ */

/*
 * Create the partition's cpuset cgroup: cgroup v2 partition root (isolated
 * with p->isolated, cpuset.cpus.exclusive when present) or v1 cpuset with
 * cpu_exclusive/mem_exclusive.  An "invalid" partition is removed again and
 * reported with the kernel's reason.  Sets p->cgroup.
 */
int sp_cpuset_create(struct sp_partition *p, sp_error **err);
/* The cpuset directory a partition's cgroup has (or will have) on this host. */
char *sp_cpuset_dir(const char *name);
/* Move the calling process into the cgroup (used by the child before exec). */
int sp_cpuset_enter(const char *cgroup, sp_error **err);
/*
 * Remove the partition's cgroup (`cgroup` as recorded, NULL when none was
 * made), killing anything left inside; a missing one is not an error.
 */
int sp_cpuset_destroy(const char *cgroup, const char *name, sp_error **err);

/* ------------------------------------------------------------------------ */
/* QMP                                                                       */
/* ------------------------------------------------------------------------ */

struct sp_qmp;
/* Connect, read the greeting and negotiate capabilities. */
int sp_qmp_open(const char *socket_path, struct sp_qmp **out, sp_error **err);
/* Run a command; *ret (may be NULL) gets "return". Events are skipped. */
int sp_qmp_exec(struct sp_qmp *q, const char *cmd, json_t *args, json_t **ret, sp_error **err);
void sp_qmp_close(struct sp_qmp *q);

/* ------------------------------------------------------------------------ */
/* Guests                                                                    */
/* ------------------------------------------------------------------------ */

/* KVM usable for stock kernels: /dev/kvm opens and this is not nested PVM. */
bool sp_kvm_usable(const char **why);
/* The QEMU argv for a partition (exposed for tests and `start --dry-run`). */
char **sp_guest_argv(const struct sp_partition *p, const struct sp_topology *t, const char *run_dir,
                     bool kvm);
/* Start the partition's guest; updates p (pid, start time, cgroup). */
int sp_guest_start(const char *data_root, struct sp_partition *p, const struct sp_topology *t,
                   sp_error **err);
/* Is the recorded guest alive (pid with the recorded start time)? */
bool sp_guest_running(const struct sp_partition *p);
/* ACPI powerdown via QMP, SIGKILL after timeout_ns; removes the cgroup. */
int sp_guest_stop(const char *data_root, struct sp_partition *p, uint64_t timeout_ns,
                  sp_error **err);
/* Relay the serial console socket to stdin/stdout until Ctrl-] or EOF. */
int sp_guest_console(const char *data_root, const struct sp_partition *p, sp_error **err);
/* Thread ids of the vCPUs, in vCPU order, via QMP query-cpus-fast. */
int sp_guest_vcpu_tids(const char *data_root, const struct sp_partition *p, pid_t **tids, size_t *n,
                       sp_error **err);
/* /proc/PID/stat field 22 of pid (0 when it does not exist). */
uint64_t sp_proc_start_time(pid_t pid);

/* ------------------------------------------------------------------------ */
/* Verification                                                              */
/* ------------------------------------------------------------------------ */

/* Run every check; *report is [{"check","pass","detail"}]; *all_pass. */
int sp_verify(const char *data_root, const struct sp_partition *p, json_t **report, bool *all_pass,
              sp_error **err);

#endif
