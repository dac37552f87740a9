/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime/cgroup.h: INTERNAL to runtime/ (container.c, state.c and the cgroup
 * files).  cli/ and partition/ use what runtime.h re-exports.
 *
 * One container = one cgroup.  On a pure cgroup v2 host that is one directory
 * in the unified hierarchy; on a v1/hybrid host (controllers mounted one per
 * directory under /sys/fs/cgroup) it is the same relative path under every v1
 * controller septa uses.  The resources come from OCI linux.resources; what
 * the host's cgroup version cannot express is refused, never silently dropped.
 *
 * Lifetime as runtime-core uses it:
 *   parse (config.c) -> create (before clone) -> clone3(CLONE_INTO_CGROUP,
 *   sp_cgroup_dirfd()) or, when dirfd is -1, sp_cgroup_attach(child) before
 *   the child execs -> to_json into the state file -> ... another septa
 *   process: from_json -> kill_all / freeze / update / stats -> destroy.
 */
#ifndef SEPTA_CGROUP_H
#define SEPTA_CGROUP_H

#include "common.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Which cgroup layout the host uses for the controllers. */
enum sp_cgroup_mode {
    SP_CGROUP_V2 = 2, /* pure unified hierarchy with controllers */
    SP_CGROUP_V1 = 1, /* legacy or hybrid: controllers on v1 mounts */
};

/* Detect the host's layout (statfs of /sys/fs/cgroup); cached per process. */
enum sp_cgroup_mode sp_cgroup_host_mode(void);

/* An optional integer: OCI leaves most resource values unset. */
struct sp_opt_i64 {
    bool set;
    int64_t v;
};

/* blockIO.weightDevice[] */
struct sp_cgroup_weight_dev {
    int64_t major, minor;
    struct sp_opt_i64 weight, leaf_weight;
};

/* blockIO.throttle*Device[] */
struct sp_cgroup_rate_dev {
    int64_t major, minor;
    uint64_t rate;
};

/* hugepageLimits[]: pagesize as OCI writes it ("2MB", "1GB"). */
struct sp_cgroup_hugepage {
    char *pagesize;
    uint64_t limit;
};

/* devices[]: type 'a', 'c' or 'b'; major/minor -1 means any ("*"). */
struct sp_cgroup_device_rule {
    bool allow;
    char type;
    int64_t major, minor;
    char access[4]; /* subset of "rwm", in that order */
};

/* network.priorities[]: net_prio.ifpriomap entries (cgroup v1 only). */
struct sp_cgroup_netprio {
    char *name; /* interface name */
    uint32_t priority;
};

/* rdma: one device's limits (rdma.max); unset = "max". */
struct sp_cgroup_rdma {
    char *device;
    struct sp_opt_i64 hca_handles, hca_objects;
};

/* unified: key/value pairs written verbatim to cgroup v2 files. */
struct sp_cgroup_kv {
    char *key;
    char *value;
};

/*
 * Parsed OCI linux.resources.  -1 means "max"/unlimited where OCI allows it
 * (memory limit/swap/reservation, cpu quota, pids limit).
 */
struct sp_cgroup_resources {
    /* cpu */
    struct sp_opt_i64 cpu_shares; /* v1 cpu.shares; v2 cpu.weight via sp_cgroup_shares_to_weight */
    struct sp_opt_i64 cpu_quota;  /* us per period, -1 = max */
    struct sp_opt_i64 cpu_period; /* us */
    struct sp_opt_i64 cpu_burst;  /* us */
    struct sp_opt_i64 cpu_rt_runtime; /* v1 only */
    struct sp_opt_i64 cpu_rt_period;  /* v1 only */
    struct sp_opt_i64 cpu_idle;       /* v2 only: 0 or 1 */
    char *cpuset_cpus;                /* validated list form, NULL = inherit */
    char *cpuset_mems;
    /* memory */
    struct sp_opt_i64 mem_limit;       /* bytes, -1 = max */
    struct sp_opt_i64 mem_reservation; /* bytes: v1 soft limit, v2 memory.low */
    struct sp_opt_i64 mem_swap;        /* OCI meaning: memory+swap, -1 = max */
    struct sp_opt_i64 mem_swappiness;  /* v1 only: 0..100 */
    bool mem_disable_oom_killer;       /* v1 only */
    bool mem_check_before_update;
    /* pids */
    struct sp_opt_i64 pids_limit; /* -1 or 0 = max (OCI) */
    /* blockIO */
    struct sp_opt_i64 blkio_weight; /* 10..1000 */
    struct sp_opt_i64 blkio_leaf_weight;
    struct sp_cgroup_weight_dev *weight_devs;
    size_t n_weight_devs;
    struct sp_cgroup_rate_dev *rate_devs[4]; /* read bps, write bps, read iops, write iops */
    size_t n_rate_devs[4];
    /* hugetlb */
    struct sp_cgroup_hugepage *hugepages;
    size_t n_hugepages;
    /* devices */
    struct sp_cgroup_device_rule *devices;
    size_t n_devices;
    bool has_devices; /* the key was present (even empty) */
    /* network (v1 net_cls / net_prio only: cgroup v2 has no network controller) */
    struct sp_opt_i64 net_classid;
    struct sp_cgroup_netprio *net_prios;
    size_t n_net_prios;
    /* rdma (rdma.max on v1 and v2) */
    struct sp_cgroup_rdma *rdma;
    size_t n_rdma;
    /* unified (v2 only) */
    struct sp_cgroup_kv *unified;
    size_t n_unified;
};

enum { SP_RATE_READ_BPS = 0, SP_RATE_WRITE_BPS, SP_RATE_READ_IOPS, SP_RATE_WRITE_IOPS };

/*
 * Parse OCI linux.resources (`resources`, found at JSON path `path` in `doc`,
 * e.g. "linux.resources") for this host's cgroup mode.  Errors name the JSON
 * path and the reason; a value the host's cgroup version cannot express is
 * refused ("linux.resources.unified: cgroup v1 host: unified needs cgroup v2").
 * resources may be NULL (no limits): *out is then an empty, valid set.
 */
int sp_cgroup_resources_parse(const sp_jdoc *doc, json_t *resources, const char *path,
                              struct sp_cgroup_resources **out, sp_error **err);
/* The same for an explicit mode (unit tests, `septa oci update --resources`). */
int sp_cgroup_resources_parse_mode(const sp_jdoc *doc, json_t *resources, const char *path,
                                   enum sp_cgroup_mode mode, struct sp_cgroup_resources **out,
                                   sp_error **err);
/*
 * For `update`: values are changes to a live cgroup, so a memory+swap total
 * without a memory limit is allowed (runc: the current limit is kept; the
 * apply step reads it from the cgroup).
 */
int sp_cgroup_resources_parse_update(const sp_jdoc *doc, json_t *resources, const char *path,
                                     struct sp_cgroup_resources **out, sp_error **err);
int sp_cgroup_resources_parse_update_mode(const sp_jdoc *doc, json_t *resources, const char *path,
                                          enum sp_cgroup_mode mode,
                                          struct sp_cgroup_resources **out, sp_error **err);
void sp_cgroup_resources_free(struct sp_cgroup_resources *res);
void sp_cgroup_resources_freep(struct sp_cgroup_resources **res);
#define _cleanup_cgres_ _cleanup_(sp_cgroup_resources_freep)

/*
 * OCI cpu shares (2..262144) -> cgroup v2 cpu.weight (1..10000), the linear
 * map runc and crun (before 1.23) use and the kernel documentation gives:
 * weight = 1 + ((shares - 2) * 9999) / 262142.  1024 -> 39, 2 -> 1,
 * 262144 -> 10000.  0 -> 0 means "not set".
 */
uint64_t sp_cgroup_shares_to_weight(uint64_t shares);

/* One container's cgroup (opaque). */
struct sp_cgroup;

/*
 * Create the cgroup and apply `res` (may be NULL).  cgroups_path: OCI
 * linux.cgroupsPath; NULL or "" -> "/septa/<id>"; absolute paths are below the
 * hierarchy root, relative ones below septa's own cgroup.  Parents are created
 * as needed and get the controllers enabled in cgroup.subtree_control (v2)
 * without leaving processes in an inner node.  Fails if the cgroup already
 * exists and has processes.  On failure nothing is left behind.
 */
int sp_cgroup_create(const char *cgroups_path, const char *id,
                     const struct sp_cgroup_resources *res, struct sp_cgroup **out, sp_error **err);
/*
 * The cgroup sp_cgroup_create would make, without touching the host: its
 * directories and the parents it would create (for the state record written
 * before anything exists).  Fails like create when the cgroup is already
 * someone's (has processes).  Its fds are all -1.
 */
int sp_cgroup_plan(const char *cgroups_path, const char *id, struct sp_cgroup **out,
                   sp_error **err);
/* v2: an O_DIRECTORY fd of the cgroup for clone3(CLONE_INTO_CGROUP); -1 on v1. */
int sp_cgroup_dirfd(const struct sp_cgroup *cg);
/* Move a process (all its threads) into the cgroup (every v1 controller). */
int sp_cgroup_attach(struct sp_cgroup *cg, pid_t pid, sp_error **err);
/* v1: the calling (single-threaded) process joins the cgroup itself, with no
 * RCU grace period on the way (see cgroup.c). */
int sp_cgroup_join_self(struct sp_cgroup *cg, sp_error **err);
/* Apply new resources to a live cgroup (`update`). */
int sp_cgroup_update(struct sp_cgroup *cg, const struct sp_cgroup_resources *res, sp_error **err);
/*
 * Signal every process in the cgroup.  SIGKILL on v2 uses cgroup.kill; on v1
 * (and other signals) freeze, signal every pid, thaw, so nothing forks away.
 */
int sp_cgroup_kill_all(struct sp_cgroup *cg, int sig, sp_error **err);
/* Freeze / thaw (cgroup.freeze on v2, freezer.state on v1); wait until done. */
int sp_cgroup_freeze(struct sp_cgroup *cg, sp_error **err);
int sp_cgroup_thaw(struct sp_cgroup *cg, sp_error **err);
/* Whether the cgroup is frozen now (for the OCI "paused" status). */
int sp_cgroup_is_frozen(struct sp_cgroup *cg, bool *frozen, sp_error **err);
/* Host pids in the cgroup, sorted (for `ps`). */
int sp_cgroup_pids(struct sp_cgroup *cg, pid_t **pids, size_t *n, sp_error **err);
/*
 * Kill everything in the cgroup, wait for it to empty and remove it (every v1
 * controller directory).  Idempotent: a cgroup already gone is success.  Does
 * not free cg.
 */
int sp_cgroup_destroy(struct sp_cgroup *cg, sp_error **err);
/*
 * runc's `events --stats` "data" object: {"cpu":{"usage":{...},"throttling":
 * {...}},"memory":{"usage":{...},"swap":{...},"raw":{...}},"pids":{...},
 * "blkio":{...},"hugetlb":{...}}.
 */
int sp_cgroup_stats(struct sp_cgroup *cg, json_t **out, sp_error **err);
/* How many processes the OOM killer killed in this cgroup (0 if none). */
int sp_cgroup_oom_kills(struct sp_cgroup *cg, uint64_t *count, sp_error **err);
/* The memory limit in force (v2 memory.max, v1 memory.limit_in_bytes); -1 = none. */
int sp_cgroup_memory_limit(struct sp_cgroup *cg, int64_t *limit, sp_error **err);
/* *killed = at least one OOM kill happened in the cgroup. */
int sp_cgroup_oom_killed(struct sp_cgroup *cg, bool *killed, sp_error **err);
/*
 * An fd that becomes readable when memory events happen (v2: inotify on
 * memory.events; v1: eventfd registered on memory.oom_control).  Read and
 * discard a uint64/event, then call sp_cgroup_oom_kills().  For `events`.
 */
int sp_cgroup_oom_eventfd(struct sp_cgroup *cg, sp_error **err);
/* The cgroup path below the hierarchy root, e.g. "/septa/abc". */
const char *sp_cgroup_path(const struct sp_cgroup *cg);
enum sp_cgroup_mode sp_cgroup_mode_of(const struct sp_cgroup *cg);

/*
 * Save / reopen for another septa process (delete, kill, update, events):
 * {"version":1|2,"path":"/septa/abc","dirs":{CONTROLLER|"unified":DIR},
 * "owned_parents":[DIR...]}; only directories below /sys/fs/cgroup are
 * accepted back.  from_json does not require the cgroup to
 * still exist (delete of a half-dead container must work).
 */
json_t *sp_cgroup_to_json(const struct sp_cgroup *cg);
int sp_cgroup_from_json(json_t *j, struct sp_cgroup **out, sp_error **err);
/* Close fds and free; does not touch the cgroup itself. */
void sp_cgroup_free(struct sp_cgroup *cg);
void sp_cgroup_freep(struct sp_cgroup **cg);
#define _cleanup_cgroup_ _cleanup_(sp_cgroup_freep)

#endif
