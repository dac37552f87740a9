/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCI linux.resources -> struct sp_cgroup_resources.
 *
 * Every value is checked here, with the JSON path in the message, so that a
 * bad config fails before anything exists on the host.  What the host's cgroup
 * version cannot express is refused here too ("nothing silently dropped").
 * This file needs only common/ (no libcgroup, no cgroupfs) so the unit tests
 * can link it alone; the host checks (CPUs and memory nodes that exist) read
 * sysfs and are only done by sp_cgroup_resources_parse().
 */
#include "cgroup.h"
#include "runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>

/* Kernel bounds (kernel/sched/core.c, cfs bandwidth): 1 ms .. 1 s periods. */
#define CFS_PERIOD_MIN 1000
#define CFS_PERIOD_MAX 1000000
#define CFS_QUOTA_MIN  1000
/* cpu.shares bounds on v1 (MIN_SHARES/MAX_SHARES). */
#define SHARES_MIN 2
#define SHARES_MAX 262144
/* The bitmap size used to validate CPU and node lists. */
#define CPUSET_BITS 8192

uint64_t sp_cgroup_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares < SHARES_MIN)
        shares = SHARES_MIN;
    if (shares > SHARES_MAX)
        shares = SHARES_MAX;
    return 1 + ((shares - 2) * 9999) / 262142;
}

enum sp_cgroup_mode sp_cgroup_host_mode(void)
{
    static enum sp_cgroup_mode cached;
    if (cached)
        return cached;
    struct statfs fs;
    /* cgroup2 mounted on /sys/fs/cgroup itself means pure v2; anything else
     * (tmpfs with v1 mounts below, plus maybe "unified") is legacy/hybrid. */
    if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
        cached = SP_CGROUP_V2;
    else
        cached = SP_CGROUP_V1;
    return cached;
}

void sp_cgroup_resources_free(struct sp_cgroup_resources *res)
{
    if (!res)
        return;
    free(res->cpuset_cpus);
    free(res->cpuset_mems);
    free(res->weight_devs);
    for (size_t i = 0; i < 4; i++)
        free(res->rate_devs[i]);
    for (size_t i = 0; i < res->n_hugepages; i++)
        free(res->hugepages[i].pagesize);
    free(res->hugepages);
    free(res->devices);
    for (size_t i = 0; i < res->n_net_prios; i++)
        free(res->net_prios[i].name);
    free(res->net_prios);
    for (size_t i = 0; i < res->n_rdma; i++)
        free(res->rdma[i].device);
    free(res->rdma);
    for (size_t i = 0; i < res->n_unified; i++) {
        free(res->unified[i].key);
        free(res->unified[i].value);
    }
    free(res->unified);
    free(res);
}

void sp_cgroup_resources_freep(struct sp_cgroup_resources **res)
{
    sp_cgroup_resources_free(*res);
    *res = NULL;
}

/* Parse context: the document, the mode, and the path of the object parsed. */
struct pctx {
    const sp_jdoc *doc;
    enum sp_cgroup_mode mode;
    bool update; /* changes to a live cgroup, not a whole new set */
    sp_error **err;
};

static int get_opt(struct pctx *c, json_t *obj, const char *path, const char *key, int64_t min,
                   int64_t max, struct sp_opt_i64 *out)
{
    int64_t v = 0;
    int r = sp_json_get_range(c->doc, obj, path, key, false, min, max, &v, c->err);
    if (r < 0)
        return -1;
    if (r > 0) {
        out->set = true;
        out->v = v;
    }
    return 0;
}

/* Refuse a value present on a host whose cgroup version cannot apply it. */
static int refuse_on(struct pctx *c, enum sp_cgroup_mode bad, json_t *obj, const char *path,
                     const char *key, const char *why)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v) || c->mode != bad)
        return 0;
    _cleanup_free_ char *p = sp_jpath_key(path, key);
    return sp_jerr(c->doc, c->err, p, "cgroup v%d host: %s", (int)bad, why);
}

static int parse_cpulist_str(struct pctx *c, const char *path, const char *s, char **out)
{
    _cleanup_free_ uint64_t *bits = sp_xcalloc(CPUSET_BITS / 64, sizeof(uint64_t));
    size_t count = 0;
    _cleanup_error_ sp_error *e = NULL;
    if (*s == '\0')
        return 0; /* "" = inherit, as runc */
    if (sp_parse_cpulist(s, bits, CPUSET_BITS, &count, &e) < 0)
        return sp_jerr(c->doc, c->err, path, "%s", e->msg);
    if (count == 0)
        return sp_jerr(c->doc, c->err, path, "empty list");
    *out = sp_format_cpulist(bits, CPUSET_BITS);
    return 0;
}

static int parse_cpu(struct pctx *c, struct sp_cgroup_resources *res, json_t *cpu, const char *path)
{
    static const char *const known[] = {
        "shares",         "quota", "burst", "period", "realtimeRuntime",
        "realtimePeriod", "cpus",  "mems",  "idle",   NULL};
    if (sp_json_check_keys(c->doc, cpu, path, known, c->err) < 0)
        return -1;
    if (get_opt(c, cpu, path, "shares", 0, SHARES_MAX, &res->cpu_shares) < 0)
        return -1;
    /* 0 = unset, as runc and every engine that writes it treat it. */
    if (res->cpu_shares.set && res->cpu_shares.v == 0)
        res->cpu_shares.set = false;
    if (res->cpu_shares.set && res->cpu_shares.v < SHARES_MIN) {
        _cleanup_free_ char *p = sp_jpath_key(path, "shares");
        return sp_jerr(c->doc, c->err, p, "%lld is out of range [%d, %d]",
                       (long long)res->cpu_shares.v, SHARES_MIN, SHARES_MAX);
    }
    if (get_opt(c, cpu, path, "quota", -1, INT64_MAX / 1000, &res->cpu_quota) < 0)
        return -1;
    if (res->cpu_quota.set && res->cpu_quota.v >= 0 && res->cpu_quota.v < CFS_QUOTA_MIN) {
        _cleanup_free_ char *p = sp_jpath_key(path, "quota");
        return sp_jerr(c->doc, c->err, p,
                       "%lld us is below the kernel's minimum of %d us (use -1 for no limit)",
                       (long long)res->cpu_quota.v, CFS_QUOTA_MIN);
    }
    if (get_opt(c, cpu, path, "period", CFS_PERIOD_MIN, CFS_PERIOD_MAX, &res->cpu_period) < 0)
        return -1;
    if (get_opt(c, cpu, path, "burst", 0, INT64_MAX / 1000, &res->cpu_burst) < 0)
        return -1;
    if (res->cpu_burst.set && res->cpu_quota.set && res->cpu_quota.v > 0 &&
        res->cpu_burst.v > res->cpu_quota.v) {
        _cleanup_free_ char *p = sp_jpath_key(path, "burst");
        return sp_jerr(c->doc, c->err, p, "burst %lld us exceeds quota %lld us",
                       (long long)res->cpu_burst.v, (long long)res->cpu_quota.v);
    }
    if (refuse_on(c, SP_CGROUP_V2, cpu, path, "realtimeRuntime",
                  "real-time bandwidth (cpu.rt_runtime_us) exists only on cgroup v1") < 0 ||
        refuse_on(c, SP_CGROUP_V2, cpu, path, "realtimePeriod",
                  "real-time bandwidth (cpu.rt_period_us) exists only on cgroup v1") < 0)
        return -1;
    if (get_opt(c, cpu, path, "realtimeRuntime", -1, INT64_MAX, &res->cpu_rt_runtime) < 0 ||
        get_opt(c, cpu, path, "realtimePeriod", 1, INT64_MAX, &res->cpu_rt_period) < 0)
        return -1;
    if (get_opt(c, cpu, path, "idle", 0, 1, &res->cpu_idle) < 0)
        return -1;
    if (res->cpu_idle.set && res->cpu_idle.v == 1 && c->mode == SP_CGROUP_V1) {
        _cleanup_free_ char *p = sp_jpath_key(path, "idle");
        return sp_jerr(c->doc, c->err, p,
                       "cgroup v1 host: SCHED_IDLE groups (cpu.idle) need cgroup v2");
    }
    const char *s = NULL;
    int r = sp_json_get_str(c->doc, cpu, path, "cpus", false, &s, c->err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "cpus");
        if (parse_cpulist_str(c, p, s, &res->cpuset_cpus) < 0)
            return -1;
    }
    r = sp_json_get_str(c->doc, cpu, path, "mems", false, &s, c->err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "mems");
        if (parse_cpulist_str(c, p, s, &res->cpuset_mems) < 0)
            return -1;
    }
    return 0;
}

/* Memory values: -1 = unlimited, 0 = unset (runc), anything else positive. */
static int get_mem(struct pctx *c, json_t *obj, const char *path, const char *key,
                   struct sp_opt_i64 *out)
{
    if (get_opt(c, obj, path, key, -1, INT64_MAX, out) < 0)
        return -1;
    if (out->set && out->v == 0)
        out->set = false;
    return 0;
}

static int parse_memory(struct pctx *c, struct sp_cgroup_resources *res, json_t *mem,
                        const char *path)
{
    static const char *const known[] = {"limit",
                                        "reservation",
                                        "swap",
                                        "kernel",
                                        "kernelTCP",
                                        "swappiness",
                                        "disableOOMKiller",
                                        "useHierarchy",
                                        "checkBeforeUpdate",
                                        NULL};
    if (sp_json_check_keys(c->doc, mem, path, known, c->err) < 0)
        return -1;
    if (get_mem(c, mem, path, "limit", &res->mem_limit) < 0 ||
        get_mem(c, mem, path, "reservation", &res->mem_reservation) < 0 ||
        get_mem(c, mem, path, "swap", &res->mem_swap) < 0)
        return -1;
    /* OCI swap is memory+swap (v1 memsw semantics): it cannot be below the limit. */
    if (res->mem_swap.set && res->mem_swap.v > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "swap");
        if (res->mem_limit.set && res->mem_limit.v > 0 && res->mem_swap.v < res->mem_limit.v)
            return sp_jerr(c->doc, c->err, p,
                           "%lld is below memory.limit %lld (swap is memory+swap)",
                           (long long)res->mem_swap.v, (long long)res->mem_limit.v);
        /* An update keeps the limit in force (runc); apply reads it then. */
        if ((!res->mem_limit.set && !c->update) || (res->mem_limit.set && res->mem_limit.v < 0))
            return sp_jerr(c->doc, c->err, p,
                           "a memory+swap limit needs memory.limit to be set too");
    }
    if (res->mem_limit.set && res->mem_reservation.set && res->mem_limit.v > 0 &&
        res->mem_reservation.v > res->mem_limit.v) {
        _cleanup_free_ char *p = sp_jpath_key(path, "reservation");
        return sp_jerr(c->doc, c->err, p, "%lld exceeds memory.limit %lld",
                       (long long)res->mem_reservation.v, (long long)res->mem_limit.v);
    }
    /* Kernel memory limits were removed from Linux (5.16 / 6.x): refuse. */
    struct sp_opt_i64 kmem = {0};
    if (get_opt(c, mem, path, "kernel", INT64_MIN, INT64_MAX, &kmem) < 0)
        return -1;
    if (kmem.set && kmem.v != 0 && kmem.v != -1) {
        _cleanup_free_ char *p = sp_jpath_key(path, "kernel");
        return sp_jerr(c->doc, c->err, p,
                       "kernel memory limits are not supported by Linux anymore");
    }
    kmem.set = false;
    if (get_opt(c, mem, path, "kernelTCP", INT64_MIN, INT64_MAX, &kmem) < 0)
        return -1;
    if (kmem.set && kmem.v != 0 && kmem.v != -1) {
        _cleanup_free_ char *p = sp_jpath_key(path, "kernelTCP");
        if (c->mode == SP_CGROUP_V2)
            return sp_jerr(c->doc, c->err, p,
                           "cgroup v2 host: there is no TCP buffer limit file in cgroup v2");
        return sp_jerr(c->doc, c->err, p, "TCP kernel memory limits are not supported by septa");
    }
    if (refuse_on(c, SP_CGROUP_V2, mem, path, "swappiness",
                  "per-cgroup swappiness (memory.swappiness) exists only on cgroup v1") < 0)
        return -1;
    if (get_opt(c, mem, path, "swappiness", 0, 100, &res->mem_swappiness) < 0)
        return -1;
    bool b = false;
    int r = sp_json_get_bool(c->doc, mem, path, "disableOOMKiller", false, &b, c->err);
    if (r < 0)
        return -1;
    if (r > 0 && b && c->mode == SP_CGROUP_V2) {
        _cleanup_free_ char *p = sp_jpath_key(path, "disableOOMKiller");
        return sp_jerr(c->doc, c->err, p,
                       "cgroup v2 host: the OOM killer cannot be disabled per cgroup (v1 only)");
    }
    res->mem_disable_oom_killer = r > 0 && b;
    r = sp_json_get_bool(c->doc, mem, path, "useHierarchy", false, &b, c->err);
    if (r < 0)
        return -1;
    if (r > 0 && !b) {
        _cleanup_free_ char *p = sp_jpath_key(path, "useHierarchy");
        return sp_jerr(c->doc, c->err, p,
                       "memory accounting is always hierarchical on this kernel; false is "
                       "not possible");
    }
    r = sp_json_get_bool(c->doc, mem, path, "checkBeforeUpdate", false, &b, c->err);
    if (r < 0)
        return -1;
    res->mem_check_before_update = r > 0 && b;
    return 0;
}

static int parse_devnum(struct pctx *c, json_t *e, const char *path, int64_t *major, int64_t *minor,
                        bool required)
{
    int64_t v = -1;
    int r = sp_json_get_range(c->doc, e, path, "major", required, 0, 0xfff, &v, c->err);
    if (r < 0)
        return -1;
    *major = r > 0 ? v : -1;
    v = -1;
    r = sp_json_get_range(c->doc, e, path, "minor", required, 0, 0xfffff, &v, c->err);
    if (r < 0)
        return -1;
    *minor = r > 0 ? v : -1;
    return 0;
}

static int parse_blkio(struct pctx *c, struct sp_cgroup_resources *res, json_t *bio,
                       const char *path)
{
    static const char *const known[] = {"weight",
                                        "leafWeight",
                                        "weightDevice",
                                        "throttleReadBpsDevice",
                                        "throttleWriteBpsDevice",
                                        "throttleReadIOPSDevice",
                                        "throttleWriteIOPSDevice",
                                        NULL};
    static const char *const rate_keys[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                             "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
    if (sp_json_check_keys(c->doc, bio, path, known, c->err) < 0)
        return -1;
    if (get_opt(c, bio, path, "weight", 10, 1000, &res->blkio_weight) < 0)
        return -1;
    if (refuse_on(c, SP_CGROUP_V2, bio, path, "leafWeight",
                  "blkio leaf weights exist only on cgroup v1 (CFQ)") < 0 ||
        get_opt(c, bio, path, "leafWeight", 10, 1000, &res->blkio_leaf_weight) < 0)
        return -1;
    json_t *arr = NULL;
    int r = sp_json_get_arr(c->doc, bio, path, "weightDevice", false, &arr, c->err);
    if (r < 0)
        return -1;
    if (r > 0 && json_array_size(arr) > 0) {
        _cleanup_free_ char *apath = sp_jpath_key(path, "weightDevice");
        res->weight_devs = sp_xcalloc(json_array_size(arr), sizeof(*res->weight_devs));
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
            _cleanup_free_ char *ep = sp_jpath_idx(apath, i);
            static const char *const wk[] = {"major", "minor", "weight", "leafWeight", NULL};
            struct sp_cgroup_weight_dev *w = &res->weight_devs[res->n_weight_devs++];
            if (sp_json_check_keys(c->doc, e, ep, wk, c->err) < 0 ||
                parse_devnum(c, e, ep, &w->major, &w->minor, true) < 0 ||
                get_opt(c, e, ep, "weight", 10, 1000, &w->weight) < 0 ||
                refuse_on(c, SP_CGROUP_V2, e, ep, "leafWeight",
                          "blkio leaf weights exist only on cgroup v1 (CFQ)") < 0 ||
                get_opt(c, e, ep, "leafWeight", 10, 1000, &w->leaf_weight) < 0)
                return -1;
        }
    }
    for (int k = 0; k < 4; k++) {
        r = sp_json_get_arr(c->doc, bio, path, rate_keys[k], false, &arr, c->err);
        if (r < 0)
            return -1;
        if (r == 0 || json_array_size(arr) == 0)
            continue;
        _cleanup_free_ char *apath = sp_jpath_key(path, rate_keys[k]);
        res->rate_devs[k] = sp_xcalloc(json_array_size(arr), sizeof(*res->rate_devs[k]));
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
            _cleanup_free_ char *ep = sp_jpath_idx(apath, i);
            static const char *const rk[] = {"major", "minor", "rate", NULL};
            struct sp_cgroup_rate_dev *d = &res->rate_devs[k][res->n_rate_devs[k]++];
            int64_t rate = 0;
            if (sp_json_check_keys(c->doc, e, ep, rk, c->err) < 0 ||
                parse_devnum(c, e, ep, &d->major, &d->minor, true) < 0 ||
                sp_json_get_range(c->doc, e, ep, "rate", true, 0, INT64_MAX, &rate, c->err) < 0)
                return -1;
            d->rate = (uint64_t)rate;
        }
    }
    return 0;
}

/* "2MB", "1GB", "64KB": the page size spelled as OCI and the kernel files do. */
static bool valid_pagesize(const char *s)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    if (n == 0 || n > 6 || s[0] == '0')
        return false;
    return strcmp(s + n, "KB") == 0 || strcmp(s + n, "MB") == 0 || strcmp(s + n, "GB") == 0;
}

static int parse_hugepages(struct pctx *c, struct sp_cgroup_resources *res, json_t *arr,
                           const char *path)
{
    size_t n = json_array_size(arr);
    if (n == 0)
        return 0;
    res->hugepages = sp_xcalloc(n, sizeof(*res->hugepages));
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        _cleanup_free_ char *ep = sp_jpath_idx(path, i);
        static const char *const hk[] = {"pageSize", "limit", NULL};
        const char *ps = NULL;
        int64_t limit = 0;
        if (sp_json_check_keys(c->doc, e, ep, hk, c->err) < 0 ||
            sp_json_get_str(c->doc, e, ep, "pageSize", true, &ps, c->err) < 0 ||
            sp_json_get_range(c->doc, e, ep, "limit", true, 0, INT64_MAX, &limit, c->err) < 0)
            return -1;
        if (!valid_pagesize(ps)) {
            _cleanup_free_ char *p = sp_jpath_key(ep, "pageSize");
            return sp_jerr(c->doc, c->err, p, "'%s' is not a page size like 2MB or 1GB", ps);
        }
        res->hugepages[res->n_hugepages].pagesize = sp_xstrdup(ps);
        res->hugepages[res->n_hugepages++].limit = (uint64_t)limit;
    }
    return 0;
}

static int parse_devices(struct pctx *c, struct sp_cgroup_resources *res, json_t *arr,
                         const char *path)
{
    res->has_devices = true;
    size_t n = json_array_size(arr);
    if (n == 0)
        return 0;
    res->devices = sp_xcalloc(n, sizeof(*res->devices));
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        _cleanup_free_ char *ep = sp_jpath_idx(path, i);
        static const char *const dk[] = {"allow", "type", "major", "minor", "access", NULL};
        struct sp_cgroup_device_rule *d = &res->devices[res->n_devices];
        const char *type = "a", *access = "rwm";
        if (sp_json_check_keys(c->doc, e, ep, dk, c->err) < 0 ||
            sp_json_get_bool(c->doc, e, ep, "allow", true, &d->allow, c->err) < 0 ||
            sp_json_get_str(c->doc, e, ep, "type", false, &type, c->err) < 0 ||
            parse_devnum(c, e, ep, &d->major, &d->minor, false) < 0 ||
            sp_json_get_str(c->doc, e, ep, "access", false, &access, c->err) < 0)
            return -1;
        if (strcmp(type, "a") != 0 && strcmp(type, "b") != 0 && strcmp(type, "c") != 0) {
            _cleanup_free_ char *p = sp_jpath_key(ep, "type");
            return sp_jerr(c->doc, c->err, p, "'%s' is not a device type (a, b or c)", type);
        }
        d->type = type[0];
        bool rd = false, wr = false, mk = false;
        for (const char *a = access; *a; a++) {
            bool *flag = *a == 'r' ? &rd : *a == 'w' ? &wr : *a == 'm' ? &mk : NULL;
            if (!flag || *flag) {
                _cleanup_free_ char *p = sp_jpath_key(ep, "access");
                return sp_jerr(c->doc, c->err, p, "'%s' is not a subset of \"rwm\"", access);
            }
            *flag = true;
        }
        if (*access == '\0') {
            /* An empty access string matches nothing: skip the rule, as runc. */
            continue;
        }
        size_t k = 0;
        if (rd)
            d->access[k++] = 'r';
        if (wr)
            d->access[k++] = 'w';
        if (mk)
            d->access[k++] = 'm';
        d->access[k] = '\0';
        res->n_devices++;
    }
    return 0;
}

/* An interface or RDMA device name as the kernel files take it: one word. */
static bool valid_dev_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const char *p = s; *p; p++)
        if (!isgraph((unsigned char)*p) || *p == '/' || *p == ':' || *p == '=')
            return false;
    return true;
}

/*
 * network: net_cls.classid and net_prio.ifpriomap exist only as cgroup v1
 * controllers.  runc and crun ignore the field on v2; septa refuses it there,
 * naming the field, so a config never believes it got a class it did not.
 */
static int parse_network(struct pctx *c, struct sp_cgroup_resources *res, json_t *net,
                         const char *path)
{
    static const char *const known[] = {"classID", "priorities", NULL};
    if (sp_json_check_keys(c->doc, net, path, known, c->err) < 0)
        return -1;
    json_t *prios = json_object_get(net, "priorities");
    bool any = json_object_get(net, "classID") ||
               (prios && !(json_is_array(prios) && json_array_size(prios) == 0));
    if (any && c->mode == SP_CGROUP_V2)
        return sp_jerr(c->doc, c->err, path,
                       "cgroup v2 host: there is no network controller in cgroup v2 "
                       "(net_cls/net_prio are cgroup v1 controllers; on v2, classify "
                       "traffic by cgroup path with nftables 'socket cgroupv2' instead)");
    if (get_opt(c, net, path, "classID", 0, UINT32_MAX, &res->net_classid) < 0)
        return -1;
    json_t *arr = NULL;
    int r = sp_json_get_arr(c->doc, net, path, "priorities", false, &arr, c->err);
    if (r <= 0 || json_array_size(arr) == 0)
        return r < 0 ? -1 : 0;
    _cleanup_free_ char *apath = sp_jpath_key(path, "priorities");
    res->net_prios = sp_xcalloc(json_array_size(arr), sizeof(*res->net_prios));
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        _cleanup_free_ char *ep = sp_jpath_idx(apath, i);
        static const char *const pk[] = {"name", "priority", NULL};
        const char *name = NULL;
        int64_t prio = 0;
        if (sp_json_check_keys(c->doc, e, ep, pk, c->err) < 0 ||
            sp_json_get_str(c->doc, e, ep, "name", true, &name, c->err) < 0 ||
            sp_json_get_range(c->doc, e, ep, "priority", true, 0, UINT32_MAX, &prio, c->err) < 0)
            return -1;
        /* IFNAMSIZ - 1: what the kernel's ifpriomap parser looks up. */
        if (!valid_dev_name(name, 15)) {
            _cleanup_free_ char *p = sp_jpath_key(ep, "name");
            return sp_jerr(c->doc, c->err, p, "'%s' is not a network interface name", name);
        }
        res->net_prios[res->n_net_prios].name = sp_xstrdup(name);
        res->net_prios[res->n_net_prios++].priority = (uint32_t)prio;
    }
    return 0;
}

/* rdma: {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}} -> rdma.max lines. */
static int parse_rdma(struct pctx *c, struct sp_cgroup_resources *res, json_t *rdma,
                      const char *path)
{
    size_t n = json_object_size(rdma);
    if (n == 0)
        return 0;
    res->rdma = sp_xcalloc(n, sizeof(*res->rdma));
    const char *dev;
    json_t *v;
    json_object_foreach(rdma, dev, v)
    {
        _cleanup_free_ char *dp = sp_jpath_key(path, dev);
        if (!valid_dev_name(dev, 63))
            return sp_jerr(c->doc, c->err, dp, "not an RDMA device name");
        if (!json_is_object(v))
            return sp_jerr(c->doc, c->err, dp, "expected an object");
        static const char *const rk[] = {"hcaHandles", "hcaObjects", NULL};
        struct sp_cgroup_rdma *d = &res->rdma[res->n_rdma];
        if (sp_json_check_keys(c->doc, v, dp, rk, c->err) < 0 ||
            get_opt(c, v, dp, "hcaHandles", 0, INT32_MAX, &d->hca_handles) < 0 ||
            get_opt(c, v, dp, "hcaObjects", 0, INT32_MAX, &d->hca_objects) < 0)
            return -1;
        d->device = sp_xstrdup(dev);
        res->n_rdma++;
    }
    return 0;
}

/* A unified key is one file name in the cgroup directory: "memory.high". */
static bool valid_unified_key(const char *k)
{
    const char *dot = strchr(k, '.');
    if (!dot || dot == k || dot[1] == '\0' || strchr(k, '/') || strlen(k) > 255)
        return false;
    for (const char *p = k; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

static int parse_unified(struct pctx *c, struct sp_cgroup_resources *res, json_t *obj,
                         const char *path)
{
    if (!json_is_object(obj))
        return sp_jerr(c->doc, c->err, path, "expected an object");
    size_t n = json_object_size(obj);
    if (n == 0)
        return 0;
    res->unified = sp_xcalloc(n, sizeof(*res->unified));
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        _cleanup_free_ char *kp = sp_jpath_key(path, key);
        /* The one value engines send that matters most: say what v1 lacks. */
        if (c->mode == SP_CGROUP_V1 && strcmp(key, "memory.oom.group") == 0)
            return sp_jerr(c->doc, c->err, kp,
                           "cgroup v1 host: v1 has no group OOM kill (the OOM killer picks "
                           "single processes); memory.oom.group needs cgroup v2");
    }
    if (c->mode == SP_CGROUP_V1)
        return sp_jerr(c->doc, c->err, path,
                       "cgroup v1 host: unified sets cgroup v2 files, which this host's "
                       "controllers do not have");
    json_object_foreach(obj, key, v)
    {
        _cleanup_free_ char *kp = sp_jpath_key(path, key);
        if (!valid_unified_key(key))
            return sp_jerr(c->doc, c->err, kp, "not a cgroup file name (CONTROLLER.FILE)");
        /* Files that septa manages itself would be undone behind its back. */
        if (strncmp(key, "cgroup.", 7) == 0 && strcmp(key, "cgroup.max.depth") != 0 &&
            strcmp(key, "cgroup.max.descendants") != 0)
            return sp_jerr(c->doc, c->err, kp, "septa manages this cgroup core file itself");
        if (!json_is_string(v))
            return sp_jerr(c->doc, c->err, kp, "expected a string");
        const char *s = json_string_value(v);
        if (strchr(s, '\n') && strchr(s, '\n')[1] != '\0')
            return sp_jerr(c->doc, c->err, kp, "value must be one line");
        /* The kernel takes any integer here; a typo must not mean "on". */
        if (strcmp(key, "memory.oom.group") == 0 && strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
            return sp_jerr(c->doc, c->err, kp, "'%s': expected \"0\" or \"1\"", s);
        res->unified[res->n_unified].key = sp_xstrdup(key);
        res->unified[res->n_unified++].value = sp_xstrdup(s);
    }
    return 0;
}

static int parse_all(const sp_jdoc *doc, json_t *resources, const char *path,
                     enum sp_cgroup_mode mode, bool update, struct sp_cgroup_resources **out,
                     sp_error **err)
{
    struct pctx c = {.doc = doc, .mode = mode, .update = update, .err = err};
    _cleanup_cgres_ struct sp_cgroup_resources *res = sp_xcalloc(1, sizeof(*res));
    if (!resources || json_is_null(resources)) {
        *out = sp_steal_ptr(&res);
        return 0;
    }
    static const char *const known[] = {"devices", "memory", "cpu",  "blockIO", "hugepageLimits",
                                        "network", "pids",   "rdma", "unified", NULL};
    if (sp_json_check_keys(doc, resources, path, known, err) < 0)
        return -1;
    json_t *o = NULL;
    int r = sp_json_get_obj(doc, resources, path, "cpu", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "cpu");
        if (parse_cpu(&c, res, o, p) < 0)
            return -1;
    }
    r = sp_json_get_obj(doc, resources, path, "memory", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "memory");
        if (parse_memory(&c, res, o, p) < 0)
            return -1;
    }
    r = sp_json_get_obj(doc, resources, path, "pids", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "pids");
        static const char *const pk[] = {"limit", NULL};
        if (sp_json_check_keys(doc, o, p, pk, err) < 0 ||
            get_opt(&c, o, p, "limit", -1, INT64_MAX, &res->pids_limit) < 0)
            return -1;
        /* OCI: 0 or -1 both mean no limit. */
        if (res->pids_limit.set && res->pids_limit.v == 0)
            res->pids_limit.v = -1;
    }
    r = sp_json_get_obj(doc, resources, path, "blockIO", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "blockIO");
        if (parse_blkio(&c, res, o, p) < 0)
            return -1;
    }
    r = sp_json_get_arr(doc, resources, path, "hugepageLimits", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "hugepageLimits");
        if (parse_hugepages(&c, res, o, p) < 0)
            return -1;
    }
    r = sp_json_get_arr(doc, resources, path, "devices", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "devices");
        if (parse_devices(&c, res, o, p) < 0)
            return -1;
    }
    o = json_object_get(resources, "unified");
    if (o && !json_is_null(o)) {
        _cleanup_free_ char *p = sp_jpath_key(path, "unified");
        if (parse_unified(&c, res, o, p) < 0)
            return -1;
    }
    r = sp_json_get_obj(doc, resources, path, "network", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "network");
        if (parse_network(&c, res, o, p) < 0)
            return -1;
    }
    r = sp_json_get_obj(doc, resources, path, "rdma", false, &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        _cleanup_free_ char *p = sp_jpath_key(path, "rdma");
        if (parse_rdma(&c, res, o, p) < 0)
            return -1;
    }
    *out = sp_steal_ptr(&res);
    return 0;
}

int sp_cgroup_resources_parse_mode(const sp_jdoc *doc, json_t *resources, const char *path,
                                   enum sp_cgroup_mode mode, struct sp_cgroup_resources **out,
                                   sp_error **err)
{
    return parse_all(doc, resources, path, mode, false, out, err);
}

int sp_cgroup_resources_parse_update_mode(const sp_jdoc *doc, json_t *resources, const char *path,
                                          enum sp_cgroup_mode mode,
                                          struct sp_cgroup_resources **out, sp_error **err)
{
    return parse_all(doc, resources, path, mode, true, out, err);
}

/* Whether every entry of list `want` is set in the host list file. */
static int check_host_list(const sp_jdoc *doc, const char *jpath, const char *want,
                           const char *sysfile, const char *what, sp_error **err)
{
    _cleanup_free_ char *host = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(AT_FDCWD, sysfile, 65536, &host, NULL, &e) < 0)
        return 0; /* cannot tell: the kernel will refuse at write time */
    host[strcspn(host, "\n")] = '\0';
    _cleanup_free_ uint64_t *hb = sp_xcalloc(CPUSET_BITS / 64, sizeof(uint64_t));
    _cleanup_free_ uint64_t *wb = sp_xcalloc(CPUSET_BITS / 64, sizeof(uint64_t));
    size_t cnt;
    if (sp_parse_cpulist(host, hb, CPUSET_BITS, &cnt, &e) < 0 ||
        sp_parse_cpulist(want, wb, CPUSET_BITS, &cnt, &e) < 0)
        return 0;
    for (size_t i = 0; i < CPUSET_BITS; i++)
        if (SP_BIT_TEST(wb, i) && !SP_BIT_TEST(hb, i))
            return sp_jerr(doc, err, jpath, "%s %zu is not present on this host (%s: %s)", what, i,
                           sysfile, host);
    return 0;
}

static int parse_host(const sp_jdoc *doc, json_t *resources, const char *path, bool update,
                      struct sp_cgroup_resources **out, sp_error **err)
{
    _cleanup_cgres_ struct sp_cgroup_resources *res = NULL;
    if (parse_all(doc, resources, path, sp_cgroup_host_mode(), update, &res, err) < 0)
        return -1;
    _cleanup_free_ char *cp = sp_xasprintf("%s.cpu.cpus", path);
    _cleanup_free_ char *mp = sp_xasprintf("%s.cpu.mems", path);
    if (res->cpuset_cpus && check_host_list(doc, cp, res->cpuset_cpus,
                                            "/sys/devices/system/cpu/online", "CPU", err) < 0)
        return -1;
    if (res->cpuset_mems &&
        check_host_list(doc, mp, res->cpuset_mems, "/sys/devices/system/node/has_memory",
                        "memory node", err) < 0)
        return -1;
    *out = sp_steal_ptr(&res);
    return 0;
}

int sp_cgroup_resources_parse(const sp_jdoc *doc, json_t *resources, const char *path,
                              struct sp_cgroup_resources **out, sp_error **err)
{
    return parse_host(doc, resources, path, false, out, err);
}

int sp_cgroup_resources_parse_update(const sp_jdoc *doc, json_t *resources, const char *path,
                                     struct sp_cgroup_resources **out, sp_error **err)
{
    return parse_host(doc, resources, path, true, out, err);
}

void sp_runtime_people_resources(json_t *resources)
{
    json_t *mem = json_object_get(resources, "memory");
    json_t *limit = json_object_get(mem, "limit");
    if (!json_is_integer(limit) || json_integer_value(limit) <= 0 ||
        sp_cgroup_host_mode() != SP_CGROUP_V2)
        return;
    json_t *unified = json_object_get(resources, "unified");
    if (!unified) {
        unified = json_object();
        json_object_set_new(resources, "unified", unified);
    }
    if (json_is_object(unified) && !json_object_get(unified, "memory.oom.group"))
        json_object_set_new(unified, "memory.oom.group", json_string("1"));
}
