/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsed linux.resources -> cgroupfs files, for v2 and for v1.
 *
 * Values were range-checked by cgroup-res.c; what remains here is what only
 * the host can tell (is the controller mounted, does this kernel have the
 * file, does the kernel accept the value) and the order of writes the kernel
 * insists on.
 */
#include "cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/*
 * runc's default device allow list (libcontainer/specconv AllowedDevices):
 * what every Linux program expects to open; a config adds to it.
 */
const struct sp_cgroup_device_rule sp_cg_default_devices[] = {
    {true, 'c', -1, -1, "m"},    /* mknod any char device (opening is still checked) */
    {true, 'b', -1, -1, "m"},    /* mknod any block device */
    {true, 'c', 1, 3, "rwm"},    /* /dev/null */
    {true, 'c', 1, 5, "rwm"},    /* /dev/zero */
    {true, 'c', 1, 7, "rwm"},    /* /dev/full */
    {true, 'c', 5, 0, "rwm"},    /* /dev/tty */
    {true, 'c', 1, 8, "rwm"},    /* /dev/random */
    {true, 'c', 1, 9, "rwm"},    /* /dev/urandom */
    {true, 'c', 5, 1, "rwm"},    /* /dev/console */
    {true, 'c', 5, 2, "rwm"},    /* /dev/ptmx */
    {true, 'c', 136, -1, "rwm"}, /* /dev/pts/N */
    {true, 'c', 10, 200, "rwm"}, /* /dev/net/tun */
};
const size_t sp_cg_n_default_devices = SP_ARRAY_SIZE(sp_cg_default_devices);

static char *i64s(int64_t v)
{
    return sp_xasprintf("%" PRId64, v);
}

static char *max_or(int64_t v)
{
    return v < 0 ? sp_xstrdup("max") : i64s(v);
}

/*
 * The memory limit in force (v2 memory.max, v1 memory.limit_in_bytes), for a
 * memory+swap `total` given without a limit: there must be one, and the
 * total cannot be below it.
 */
static int limit_in_force(struct sp_cgroup *cg, int ctrl, const char *file, int64_t total,
                          int64_t *limit, sp_error **err)
{
    uint64_t cur = 0;
    if (sp_cg_read_u64(cg, ctrl, file, &cur, err) < 0)
        return sp_err_wrap(err, "linux.resources.memory.swap");
    /* v1 spells "no limit" as the largest page-aligned counter value. */
    if (cur >= (UINT64_C(1) << 62))
        return sp_err(err, EINVAL,
                      "linux.resources.memory.swap: the container has no memory limit, and a "
                      "memory+swap total needs one (set the memory limit too)");
    if ((uint64_t)total < cur)
        return sp_err(err, EINVAL,
                      "linux.resources.memory.swap: %" PRId64
                      " is below the memory limit in force (%" PRIu64
                      "); memory+swap cannot be less than memory",
                      total, cur);
    *limit = (int64_t)cur;
    return 0;
}

/* ---- v1 --------------------------------------------------------------- */

static int need_v1(struct sp_cgroup *cg, int ctrl, const char *what, sp_error **err)
{
    if (cg->fd[ctrl] >= 0)
        return 0;
    return sp_err(err, ENOTSUP, "%s: cgroup v1 host without the %s controller mounted", what,
                  sp_cg_v1_ctrls[ctrl]);
}

static int w1(struct sp_cgroup *cg, int ctrl, const char *file, const char *v, sp_error **err)
{
    return sp_cg_write(cg, ctrl, file, v, err);
}

static int v1_cpu(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, sp_error **err)
{
    bool any = r->cpu_shares.set || r->cpu_quota.set || r->cpu_period.set || r->cpu_burst.set ||
               r->cpu_rt_runtime.set || r->cpu_rt_period.set;
    if (!any)
        return 0;
    if (need_v1(cg, SP_CG_CPU, "linux.resources.cpu", err) < 0)
        return -1;
    if (r->cpu_shares.set) {
        _cleanup_free_ char *s = i64s(r->cpu_shares.v);
        if (w1(cg, SP_CG_CPU, "cpu.shares", s, err) < 0)
            return -1;
    }
    /* Period first: the kernel checks quota against the period in force. */
    if (r->cpu_period.set) {
        _cleanup_free_ char *s = i64s(r->cpu_period.v);
        if (w1(cg, SP_CG_CPU, "cpu.cfs_period_us", s, err) < 0)
            return -1;
    }
    if (r->cpu_quota.set) {
        _cleanup_free_ char *s = i64s(r->cpu_quota.v < 0 ? -1 : r->cpu_quota.v);
        if (w1(cg, SP_CG_CPU, "cpu.cfs_quota_us", s, err) < 0)
            return -1;
    }
    if (r->cpu_burst.set) {
        if (!sp_cg_has_file(cg, SP_CG_CPU, "cpu.cfs_burst_us"))
            return sp_err(err, ENOTSUP,
                          "linux.resources.cpu.burst: this kernel has no "
                          "cpu.cfs_burst_us");
        _cleanup_free_ char *s = i64s(r->cpu_burst.v);
        if (w1(cg, SP_CG_CPU, "cpu.cfs_burst_us", s, err) < 0)
            return -1;
    }
    if (r->cpu_rt_period.set || r->cpu_rt_runtime.set) {
        if (!sp_cg_has_file(cg, SP_CG_CPU, "cpu.rt_runtime_us"))
            return sp_err(err, ENOTSUP,
                          "linux.resources.cpu.realtimeRuntime: this kernel was "
                          "built without RT group scheduling");
        if (r->cpu_rt_period.set) {
            _cleanup_free_ char *s = i64s(r->cpu_rt_period.v);
            if (w1(cg, SP_CG_CPU, "cpu.rt_period_us", s, err) < 0)
                return -1;
        }
        if (r->cpu_rt_runtime.set) {
            _cleanup_free_ char *s = i64s(r->cpu_rt_runtime.v);
            if (w1(cg, SP_CG_CPU, "cpu.rt_runtime_us", s, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int cpuset_files(struct sp_cgroup *cg, int ctrl, const struct sp_cgroup_resources *r,
                        sp_error **err)
{
    /* mems before cpus does not matter to the kernel; both must be subsets of
     * the parent's, which the kernel checks and reports as EINVAL. */
    if (r->cpuset_cpus && sp_cg_write(cg, ctrl, "cpuset.cpus", r->cpuset_cpus, err) < 0)
        return sp_err_wrap(err, "linux.resources.cpu.cpus (must be within the parent cgroup's "
                                "CPUs)");
    if (r->cpuset_mems && sp_cg_write(cg, ctrl, "cpuset.mems", r->cpuset_mems, err) < 0)
        return sp_err_wrap(err, "linux.resources.cpu.mems (must be within the parent cgroup's "
                                "memory nodes)");
    return 0;
}

static int v1_memory(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, sp_error **err)
{
    bool any = r->mem_limit.set || r->mem_reservation.set || r->mem_swap.set ||
               r->mem_swappiness.set || r->mem_disable_oom_killer;
    if (!any)
        return 0;
    if (need_v1(cg, SP_CG_MEMORY, "linux.resources.memory", err) < 0)
        return -1;
    if (r->mem_swap.set && !sp_cg_has_file(cg, SP_CG_MEMORY, "memory.memsw.limit_in_bytes"))
        return sp_err(err, ENOTSUP,
                      "linux.resources.memory.swap: this host has no swap "
                      "accounting (memory.memsw.limit_in_bytes is missing; boot "
                      "with swapaccount=1)");
    if (r->mem_limit.set) {
        _cleanup_free_ char *lim = i64s(r->mem_limit.v < 0 ? -1 : r->mem_limit.v);
        _cleanup_free_ char *sw =
            r->mem_swap.set ? i64s(r->mem_swap.v < 0 ? -1 : r->mem_swap.v) : NULL;
        _cleanup_error_ sp_error *e = NULL;
        /* memsw must stay >= limit at every step: raising both needs memsw
         * first, lowering both needs limit first.  Try one order, then the
         * other. */
        if (w1(cg, SP_CG_MEMORY, "memory.limit_in_bytes", lim, &e) < 0) {
            if (!sw || e->errnum != EINVAL) {
                *err = sp_steal_ptr(&e);
                return sp_err_wrap(err, "linux.resources.memory.limit");
            }
            if (w1(cg, SP_CG_MEMORY, "memory.memsw.limit_in_bytes", sw, err) < 0 ||
                w1(cg, SP_CG_MEMORY, "memory.limit_in_bytes", lim, err) < 0)
                return sp_err_wrap(err, "linux.resources.memory");
        } else if (sw && w1(cg, SP_CG_MEMORY, "memory.memsw.limit_in_bytes", sw, err) < 0) {
            return sp_err_wrap(err, "linux.resources.memory.swap");
        }
    } else if (r->mem_swap.set) {
        /* update --memory-swap alone (runc): the limit in force stays, memsw
         * is the new total. */
        int64_t limit = 0;
        if (r->mem_swap.v >= 0 && limit_in_force(cg, SP_CG_MEMORY, "memory.limit_in_bytes",
                                                 r->mem_swap.v, &limit, err) < 0)
            return -1;
        _cleanup_free_ char *sw = i64s(r->mem_swap.v < 0 ? -1 : r->mem_swap.v);
        if (w1(cg, SP_CG_MEMORY, "memory.memsw.limit_in_bytes", sw, err) < 0)
            return sp_err_wrap(err, "linux.resources.memory.swap");
    }
    if (r->mem_reservation.set) {
        _cleanup_free_ char *s = i64s(r->mem_reservation.v < 0 ? -1 : r->mem_reservation.v);
        if (w1(cg, SP_CG_MEMORY, "memory.soft_limit_in_bytes", s, err) < 0)
            return sp_err_wrap(err, "linux.resources.memory.reservation");
    }
    if (r->mem_swappiness.set) {
        _cleanup_free_ char *s = i64s(r->mem_swappiness.v);
        if (w1(cg, SP_CG_MEMORY, "memory.swappiness", s, err) < 0)
            return sp_err_wrap(err, "linux.resources.memory.swappiness");
    }
    if (r->mem_disable_oom_killer && w1(cg, SP_CG_MEMORY, "memory.oom_control", "1", err) < 0)
        return sp_err_wrap(err, "linux.resources.memory.disableOOMKiller");
    return 0;
}

static int v1_blkio(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, sp_error **err)
{
    bool any = r->blkio_weight.set || r->blkio_leaf_weight.set || r->n_weight_devs;
    for (int k = 0; k < 4; k++)
        any = any || r->n_rate_devs[k];
    if (!any)
        return 0;
    if (need_v1(cg, SP_CG_BLKIO, "linux.resources.blockIO", err) < 0)
        return -1;
    /* CFQ (blkio.weight) is gone from current kernels; BFQ has its own files. */
    const char *wfile = sp_cg_has_file(cg, SP_CG_BLKIO, "blkio.weight")       ? "blkio.weight"
                        : sp_cg_has_file(cg, SP_CG_BLKIO, "blkio.bfq.weight") ? "blkio.bfq.weight"
                                                                              : NULL;
    const char *wdfile =
        sp_cg_has_file(cg, SP_CG_BLKIO, "blkio.weight_device")       ? "blkio.weight_device"
        : sp_cg_has_file(cg, SP_CG_BLKIO, "blkio.bfq.weight_device") ? "blkio.bfq.weight_device"
                                                                     : NULL;
    if ((r->blkio_weight.set || r->n_weight_devs) && !wfile)
        return sp_err(err, ENOTSUP,
                      "linux.resources.blockIO.weight: this kernel has no "
                      "proportional I/O weights (neither blkio.weight nor the BFQ "
                      "scheduler's blkio.bfq.weight)");
    if (r->blkio_leaf_weight.set)
        return sp_err(err, ENOTSUP,
                      "linux.resources.blockIO.leafWeight: leaf weights were "
                      "removed with the CFQ scheduler");
    if (r->blkio_weight.set) {
        _cleanup_free_ char *s = i64s(r->blkio_weight.v);
        if (w1(cg, SP_CG_BLKIO, wfile, s, err) < 0)
            return sp_err_wrap(err, "linux.resources.blockIO.weight");
    }
    for (size_t i = 0; i < r->n_weight_devs; i++) {
        const struct sp_cgroup_weight_dev *d = &r->weight_devs[i];
        if (d->leaf_weight.set)
            return sp_err(err, ENOTSUP,
                          "linux.resources.blockIO.weightDevice[%zu].leafWeight: "
                          "leaf weights were removed with the CFQ scheduler",
                          i);
        if (!d->weight.set)
            continue;
        if (!wdfile)
            return sp_err(err, ENOTSUP,
                          "linux.resources.blockIO.weightDevice: no per-device "
                          "weight file on this kernel");
        _cleanup_free_ char *s =
            sp_xasprintf("%" PRId64 ":%" PRId64 " %" PRId64, d->major, d->minor, d->weight.v);
        if (w1(cg, SP_CG_BLKIO, wdfile, s, err) < 0)
            return sp_err_wrap(err, "linux.resources.blockIO.weightDevice[%zu]", i);
    }
    static const char *const files[4] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < r->n_rate_devs[k]; i++) {
            const struct sp_cgroup_rate_dev *d = &r->rate_devs[k][i];
            _cleanup_free_ char *s =
                sp_xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, d->rate);
            if (w1(cg, SP_CG_BLKIO, files[k], s, err) < 0)
                return sp_err_wrap(err, "linux.resources.blockIO (%s)", files[k]);
        }
    return 0;
}

static void device_rule_string(const struct sp_cgroup_device_rule *d, char *buf, size_t len)
{
    if (d->type == 'a') {
        snprintf(buf, len, "a *:* %s", d->access);
        return;
    }
    char maj[24], min[24];
    if (d->major < 0)
        snprintf(maj, sizeof(maj), "*");
    else
        snprintf(maj, sizeof(maj), "%" PRId64, d->major);
    if (d->minor < 0)
        snprintf(min, sizeof(min), "*");
    else
        snprintf(min, sizeof(min), "%" PRId64, d->minor);
    snprintf(buf, len, "%c %s:%s %s", d->type, maj, min, d->access);
}

/*
 * v1 devices: start from deny-all (writing "a" to devices.deny clears every
 * exception), then the config's rules in order, so a later rule overrides an
 * earlier one as OCI says, then the defaults (appended last, as runc does,
 * so a config's leading deny-all cannot take /dev/null away).
 */
static int v1_devices(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, bool creating,
                      sp_error **err)
{
    if (!creating && !r->has_devices)
        return 0;
    if (need_v1(cg, SP_CG_DEVICES, "linux.resources.devices", err) < 0)
        return -1;
    if (w1(cg, SP_CG_DEVICES, "devices.deny", "a", err) < 0)
        return sp_err_wrap(err, "linux.resources.devices");
    char buf[80];
    for (size_t i = 0; i < r->n_devices; i++) {
        const struct sp_cgroup_device_rule *d = &r->devices[i];
        device_rule_string(d, buf, sizeof(buf));
        /* An allow-all rule after deny-all only works on a cgroup without
         * children, which a fresh container cgroup is. */
        if (w1(cg, SP_CG_DEVICES, d->allow ? "devices.allow" : "devices.deny", buf, err) < 0)
            return sp_err_wrap(err, "linux.resources.devices[%zu]", i);
    }
    for (size_t i = 0; i < sp_cg_n_default_devices; i++) {
        device_rule_string(&sp_cg_default_devices[i], buf, sizeof(buf));
        if (w1(cg, SP_CG_DEVICES, "devices.allow", buf, err) < 0)
            return sp_err_wrap(err, "default device rules");
    }
    return 0;
}

static int hugetlb(struct sp_cgroup *cg, int ctrl, const struct sp_cgroup_resources *r,
                   const char *suffix, sp_error **err)
{
    for (size_t i = 0; i < r->n_hugepages; i++) {
        _cleanup_free_ char *f = sp_xasprintf("hugetlb.%s.%s", r->hugepages[i].pagesize, suffix);
        if (cg->fd[ctrl] < 0 || !sp_cg_has_file(cg, ctrl, f))
            return sp_err(err, ENOTSUP,
                          "linux.resources.hugepageLimits[%zu]: no %s on this host (hugetlb "
                          "controller not available or page size %s not supported)",
                          i, f, r->hugepages[i].pagesize);
        _cleanup_free_ char *s = sp_xasprintf("%" PRIu64, r->hugepages[i].limit);
        if (sp_cg_write(cg, ctrl, f, s, err) < 0)
            return sp_err_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
    }
    return 0;
}

/* A write naming a device or interface: ENODEV gets `nodev` as its reason. */
static int w_dev(struct sp_cgroup *cg, int ctrl, const char *file, const char *v, const char *field,
                 const char *nodev, sp_error **err)
{
    _cleanup_error_ sp_error *e = NULL;
    if (sp_cg_write(cg, ctrl, file, v, &e) == 0)
        return 0;
    if (e->errnum == ENODEV)
        return sp_err(err, ENODEV, "%s: %s", field, nodev);
    *err = sp_steal_ptr(&e);
    return sp_err_wrap(err, "%s", field);
}

/* rdma.max lines, "DEV hca_handle=N hca_object=M" ("max" when unset); v1 and v2. */
static int rdma(struct sp_cgroup *cg, int ctrl, const struct sp_cgroup_resources *r, sp_error **err)
{
    for (size_t i = 0; i < r->n_rdma; i++) {
        const struct sp_cgroup_rdma *d = &r->rdma[i];
        _cleanup_free_ char *h = d->hca_handles.set ? i64s(d->hca_handles.v) : sp_xstrdup("max");
        _cleanup_free_ char *o = d->hca_objects.set ? i64s(d->hca_objects.v) : sp_xstrdup("max");
        _cleanup_free_ char *s = sp_xasprintf("%s hca_handle=%s hca_object=%s", d->device, h, o);
        _cleanup_free_ char *field = sp_xasprintf("linux.resources.rdma[\"%s\"]", d->device);
        if (w_dev(cg, ctrl, "rdma.max", s, field, "no RDMA device of that name on this host", err) <
            0)
            return -1;
    }
    return 0;
}

static int v1_network(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, sp_error **err)
{
    if (r->net_classid.set) {
        _cleanup_free_ char *s = i64s(r->net_classid.v);
        if (need_v1(cg, SP_CG_NET_CLS, "linux.resources.network.classID", err) < 0)
            return -1;
        if (w1(cg, SP_CG_NET_CLS, "net_cls.classid", s, err) < 0)
            return sp_err_wrap(err, "linux.resources.network.classID");
    }
    if (r->n_net_prios &&
        need_v1(cg, SP_CG_NET_PRIO, "linux.resources.network.priorities", err) < 0)
        return -1;
    for (size_t i = 0; i < r->n_net_prios; i++) {
        /* One "IFNAME PRIO" per write: the kernel parses a single entry. */
        _cleanup_free_ char *s =
            sp_xasprintf("%s %" PRIu32, r->net_prios[i].name, r->net_prios[i].priority);
        _cleanup_free_ char *field = sp_xasprintf("linux.resources.network.priorities[%zu]", i);
        if (w_dev(cg, SP_CG_NET_PRIO, "net_prio.ifpriomap", s, field,
                  "no interface of that name in septa's network namespace", err) < 0)
            return -1;
    }
    return 0;
}

static int apply_v1(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, bool creating,
                    sp_error **err)
{
    if (v1_cpu(cg, r, err) < 0)
        return -1;
    if (r->cpuset_cpus || r->cpuset_mems) {
        if (need_v1(cg, SP_CG_CPUSET, "linux.resources.cpu.cpus", err) < 0 ||
            cpuset_files(cg, SP_CG_CPUSET, r, err) < 0)
            return -1;
    }
    if (v1_memory(cg, r, err) < 0)
        return -1;
    if (r->pids_limit.set) {
        _cleanup_free_ char *s = max_or(r->pids_limit.v);
        if (need_v1(cg, SP_CG_PIDS, "linux.resources.pids", err) < 0 ||
            w1(cg, SP_CG_PIDS, "pids.max", s, err) < 0)
            return sp_err_wrap(err, "linux.resources.pids.limit");
    }
    if (v1_blkio(cg, r, err) < 0)
        return -1;
    if (r->n_hugepages && hugetlb(cg, SP_CG_HUGETLB, r, "limit_in_bytes", err) < 0)
        return -1;
    if (v1_network(cg, r, err) < 0)
        return -1;
    if (r->n_rdma && (need_v1(cg, SP_CG_RDMA, "linux.resources.rdma", err) < 0 ||
                      rdma(cg, SP_CG_RDMA, r, err) < 0))
        return -1;
    return v1_devices(cg, r, creating, err);
}

/* ---- v2 --------------------------------------------------------------- */

static int w2(struct sp_cgroup *cg, const char *file, const char *v, const char *field,
              sp_error **err)
{
    if (!sp_cg_has_file(cg, SP_CG_V2, file))
        return sp_err(err, ENOTSUP,
                      "%s: %s/%s does not exist (controller not available to "
                      "this cgroup)",
                      field, cg->dir[0], file);
    if (sp_cg_write(cg, SP_CG_V2, file, v, err) < 0)
        return sp_err_wrap(err, "%s", field);
    return 0;
}

/* v1 blkio weight 10..1000 -> io.weight 1..10000, runc's linear map. */
static uint64_t blkio_to_io_weight(uint64_t w)
{
    return 1 + (w - 10) * 9999 / 990;
}

static int v2_memory(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, sp_error **err)
{
    if (r->mem_limit.set) {
        if (r->mem_check_before_update && r->mem_limit.v > 0) {
            uint64_t cur = 0;
            if (sp_cg_read_u64(cg, SP_CG_V2, "memory.current", &cur, err) == 0 &&
                cur >= (uint64_t)r->mem_limit.v)
                return sp_err(err, EBUSY,
                              "linux.resources.memory.limit: %" PRId64
                              " is not above the current usage %" PRIu64 " (checkBeforeUpdate)",
                              r->mem_limit.v, cur);
        }
        _cleanup_free_ char *s = max_or(r->mem_limit.v);
        if (w2(cg, "memory.max", s, "linux.resources.memory.limit", err) < 0)
            return -1;
    }
    if (r->mem_swap.set) {
        /* OCI swap is memory+swap; cgroup v2 limits swap alone.  Without a
         * new limit (update --memory-swap alone) the one in force counts. */
        int64_t limit = r->mem_limit.set ? r->mem_limit.v : 0;
        if (r->mem_swap.v >= 0 && !r->mem_limit.set &&
            limit_in_force(cg, SP_CG_V2, "memory.max", r->mem_swap.v, &limit, err) < 0)
            return -1;
        _cleanup_free_ char *s =
            r->mem_swap.v < 0 ? sp_xstrdup("max") : i64s(r->mem_swap.v - limit);
        if (w2(cg, "memory.swap.max", s, "linux.resources.memory.swap", err) < 0)
            return -1;
    }
    if (r->mem_reservation.set) {
        _cleanup_free_ char *s = max_or(r->mem_reservation.v);
        if (w2(cg, "memory.low", s, "linux.resources.memory.reservation", err) < 0)
            return -1;
    }
    return 0;
}

static int v2_io(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, sp_error **err)
{
    if (r->blkio_weight.set || r->n_weight_devs) {
        bool bfq = sp_cg_has_file(cg, SP_CG_V2, "io.bfq.weight");
        const char *f = bfq ? "io.bfq.weight" : "io.weight";
        if (r->blkio_weight.set) {
            uint64_t w =
                bfq ? (uint64_t)r->blkio_weight.v : blkio_to_io_weight((uint64_t)r->blkio_weight.v);
            _cleanup_free_ char *s = sp_xasprintf("default %" PRIu64, w);
            if (w2(cg, f, s, "linux.resources.blockIO.weight", err) < 0)
                return -1;
        }
        for (size_t i = 0; i < r->n_weight_devs; i++) {
            const struct sp_cgroup_weight_dev *d = &r->weight_devs[i];
            if (!d->weight.set)
                continue;
            uint64_t w = bfq ? (uint64_t)d->weight.v : blkio_to_io_weight((uint64_t)d->weight.v);
            _cleanup_free_ char *s =
                sp_xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, w);
            if (w2(cg, f, s, "linux.resources.blockIO.weightDevice", err) < 0)
                return -1;
        }
    }
    static const char *const keys[4] = {"rbps", "wbps", "riops", "wiops"};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < r->n_rate_devs[k]; i++) {
            const struct sp_cgroup_rate_dev *d = &r->rate_devs[k][i];
            _cleanup_free_ char *s = sp_xasprintf("%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major,
                                                  d->minor, keys[k], d->rate);
            if (w2(cg, "io.max", s, "linux.resources.blockIO throttle", err) < 0)
                return -1;
        }
    return 0;
}

static int apply_v2(struct sp_cgroup *cg, const struct sp_cgroup_resources *r, bool creating,
                    sp_error **err)
{
    if (r->cpu_shares.set) {
        _cleanup_free_ char *s =
            sp_xasprintf("%" PRIu64, sp_cgroup_shares_to_weight((uint64_t)r->cpu_shares.v));
        if (w2(cg, "cpu.weight", s, "linux.resources.cpu.shares", err) < 0)
            return -1;
    }
    if (r->cpu_quota.set || r->cpu_period.set) {
        /* cpu.max is "QUOTA PERIOD"; either half alone keeps the other. */
        _cleanup_free_ char *quota = NULL;
        if (r->cpu_quota.set) {
            quota = max_or(r->cpu_quota.v);
        } else {
            if (sp_cg_read(cg, SP_CG_V2, "cpu.max", &quota, err) < 0)
                return sp_err_wrap(err, "linux.resources.cpu.period");
            quota[strcspn(quota, " \n")] = '\0';
        }
        _cleanup_free_ char *s = r->cpu_period.set
                                     ? sp_xasprintf("%s %" PRId64, quota, r->cpu_period.v)
                                     : sp_xstrdup(quota);
        if (w2(cg, "cpu.max", s, "linux.resources.cpu.quota", err) < 0)
            return -1;
    }
    if (r->cpu_burst.set) {
        _cleanup_free_ char *s = i64s(r->cpu_burst.v);
        if (w2(cg, "cpu.max.burst", s, "linux.resources.cpu.burst", err) < 0)
            return -1;
    }
    if (r->cpu_idle.set) {
        _cleanup_free_ char *s = i64s(r->cpu_idle.v);
        if (w2(cg, "cpu.idle", s, "linux.resources.cpu.idle", err) < 0)
            return -1;
    }
    if ((r->cpuset_cpus || r->cpuset_mems) && cpuset_files(cg, SP_CG_V2, r, err) < 0)
        return -1;
    if (v2_memory(cg, r, err) < 0)
        return -1;
    if (r->pids_limit.set) {
        _cleanup_free_ char *s = max_or(r->pids_limit.v);
        if (w2(cg, "pids.max", s, "linux.resources.pids.limit", err) < 0)
            return -1;
    }
    if (v2_io(cg, r, err) < 0)
        return -1;
    if (r->n_hugepages && hugetlb(cg, SP_CG_V2, r, "max", err) < 0)
        return -1;
    if (r->n_rdma && !sp_cg_has_file(cg, SP_CG_V2, "rdma.max"))
        return sp_err(err, ENOTSUP,
                      "linux.resources.rdma: %s/rdma.max does not exist (this kernel has no "
                      "rdma controller, or it is not available to this cgroup)",
                      cg->dir[0]);
    if (r->n_rdma && rdma(cg, SP_CG_V2, r, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n_unified; i++) {
        _cleanup_free_ char *field =
            sp_xasprintf("linux.resources.unified[\"%s\"]", r->unified[i].key);
        if (!sp_cg_has_file(cg, SP_CG_V2, r->unified[i].key))
            return sp_err(err, ENOENT,
                          "%s: no such file in cgroup %s (unknown key, or its "
                          "controller is not enabled)",
                          field, cg->dir[0]);
        if (w2(cg, r->unified[i].key, r->unified[i].value, field, err) < 0)
            return -1;
    }
    if (creating || r->has_devices) {
        /* The config, then the defaults (as on v1); the last match wins. */
        size_t n = sp_cg_n_default_devices + r->n_devices;
        _cleanup_free_ struct sp_cgroup_device_rule *all = sp_xcalloc(n, sizeof(*all));
        if (r->n_devices)
            memcpy(all, r->devices, r->n_devices * sizeof(*all));
        memcpy(all + r->n_devices, sp_cg_default_devices, sp_cg_n_default_devices * sizeof(*all));
        if (sp_cg_bpf_devices(cg->fd[0], all, n, err) < 0)
            return sp_err_wrap(err, "linux.resources.devices");
    }
    return 0;
}

int sp_cg_apply(struct sp_cgroup *cg, const struct sp_cgroup_resources *res, bool creating,
                sp_error **err)
{
    static const struct sp_cgroup_resources none = {0};
    if (!res)
        res = &none;
    return cg->mode == SP_CGROUP_V2 ? apply_v2(cg, res, creating, err)
                                    : apply_v1(cg, res, creating, err);
}
