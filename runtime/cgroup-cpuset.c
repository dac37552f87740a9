/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cpuset partitions for partition/: a cgroup whose CPUs (and memory nodes)
 * belong to it alone.
 *
 * v2: cpuset.cpus + cpuset.mems, cpuset.cpus.exclusive where the kernel has
 * it (6.7+), then cpuset.cpus.partition = root | isolated.  The kernel always
 * accepts the partition write and reports problems only when it is read back
 * ("root invalid (Cpu list in cpuset.cpus not exclusive)"), so septa reads it
 * back and turns "invalid" into an error carrying the kernel's reason.
 * A partition's parent must itself be a partition root: put partitions
 * directly below the hierarchy root (e.g. "/septa.part.NAME").
 *
 * v1: a cpuset with cpuset.cpu_exclusive=1 and cpuset.mem_exclusive=1 (the
 * kernel refuses overlapping siblings with EINVAL).  "isolated" (no load
 * balancing) cannot be expressed per cgroup on v1 and is refused.
 */
#include "cgroup-internal.h"
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sp_cpuset_part {
    struct sp_cgroup *cg;
};

static int cpuset_ctrl(const struct sp_cgroup *cg)
{
    return cg->mode == SP_CGROUP_V2 ? SP_CG_V2 : SP_CG_CPUSET;
}

int sp_cpuset_part_state(struct sp_cpuset_part *p, char **state, bool *valid, sp_error **err)
{
    struct sp_cgroup *cg = p->cg;
    *valid = false;
    if (cg->mode == SP_CGROUP_V2) {
        if (!sp_cg_has_file(cg, SP_CG_V2, "cpuset.cpus.partition"))
            return sp_err(err, ENOTSUP, "cgroup %s: this kernel has no cpuset.cpus.partition",
                          cg->path);
        _cleanup_free_ char *s = NULL;
        if (sp_cg_read(cg, SP_CG_V2, "cpuset.cpus.partition", &s, err) < 0)
            return -1;
        s[strcspn(s, "\n")] = '\0';
        *valid = (strcmp(s, "root") == 0 || strcmp(s, "isolated") == 0);
        *state = sp_steal_ptr(&s);
        return 0;
    }
    uint64_t ce = 0, me = 0;
    if (sp_cg_read_u64(cg, SP_CG_CPUSET, "cpuset.cpu_exclusive", &ce, err) < 0 ||
        sp_cg_read_u64(cg, SP_CG_CPUSET, "cpuset.mem_exclusive", &me, err) < 0)
        return -1;
    /* CPUs make the partition (as on v2, where memory nodes are never exclusive). */
    *valid = ce == 1;
    *state = sp_xstrdup(!*valid ? "member" : me == 1 ? "exclusive" : "cpu-exclusive");
    return 0;
}

static int make_partition(struct sp_cpuset_part *p, const struct sp_cpuset_part_spec *spec,
                          sp_error **err)
{
    struct sp_cgroup *cg = p->cg;
    if (cg->mode == SP_CGROUP_V1) {
        if (sp_cg_write(cg, SP_CG_CPUSET, "cpuset.cpu_exclusive", "1", err) < 0)
            return sp_err_wrap(err,
                               "CPUs %s are not free for an exclusive cpuset (a sibling "
                               "cgroup uses them)",
                               spec->cpus);
        if (!spec->shared_mems &&
            sp_cg_write(cg, SP_CG_CPUSET, "cpuset.mem_exclusive", "1", err) < 0)
            return sp_err_wrap(err, "memory nodes %s are not free for an exclusive cpuset",
                               spec->mems);
        return 0;
    }
    if (sp_cg_has_file(cg, SP_CG_V2, "cpuset.cpus.exclusive") &&
        sp_cg_write(cg, SP_CG_V2, "cpuset.cpus.exclusive", spec->cpus, err) < 0)
        return sp_err_wrap(err,
                           "CPUs %s cannot be made exclusive (another partition or "
                           "cgroup holds some of them)",
                           spec->cpus);
    if (!sp_cg_has_file(cg, SP_CG_V2, "cpuset.cpus.partition"))
        return sp_err(err, ENOTSUP, "cgroup %s: this kernel has no cpuset.cpus.partition",
                      cg->path);
    if (sp_cg_write(cg, SP_CG_V2, "cpuset.cpus.partition", spec->isolated ? "isolated" : "root",
                    err) < 0)
        return -1;
    _cleanup_free_ char *state = NULL;
    bool valid = false;
    if (sp_cpuset_part_state(p, &state, &valid, err) < 0)
        return -1;
    if (!valid)
        return sp_err(err, EINVAL, "cgroup %s: the kernel did not make it a partition: %s",
                      cg->path, state);
    return 0;
}

int sp_cpuset_part_create(const struct sp_cpuset_part_spec *spec, struct sp_cpuset_part **out,
                          sp_error **err)
{
    if (!spec->path || spec->path[0] != '/')
        return sp_err(err, EINVAL, "cpuset partition: path '%s' must be absolute",
                      spec->path ? spec->path : "");
    if (!spec->cpus || !*spec->cpus || !spec->mems || !*spec->mems)
        return sp_err(err, EINVAL, "cpuset partition %s: cpus and mems are required", spec->path);
    if (spec->isolated && sp_cgroup_host_mode() == SP_CGROUP_V1)
        return sp_err(err, ENOTSUP,
                      "cpuset partition %s: cgroup v1 host: isolated partitions "
                      "(no load balancing) need cgroup v2",
                      spec->path);
    struct sp_cgroup_resources res = {0};
    res.cpuset_cpus = (char *)spec->cpus;
    res.cpuset_mems = (char *)spec->mems;
    _cleanup_free_ struct sp_cpuset_part *p = sp_xcalloc(1, sizeof(*p));
    /* No device program: the guest's VMM needs /dev/kvm, /dev/net/tun, ... */
    if (sp_cg_create_ex(spec->path, NULL, &res, false, &p->cg, err) < 0) {
        if ((*err)->errnum == EINVAL)
            sp_err_wrap(err,
                        "CPUs %s / memory nodes %s are not free (an exclusive cpuset or "
                        "partition holds some of them, or the parent lacks them)",
                        spec->cpus, spec->mems);
        return sp_err_wrap(err, "creating cpuset partition %s", spec->path);
    }
    if (make_partition(p, spec, err) < 0) {
        _cleanup_error_ sp_error *e = NULL;
        sp_cgroup_destroy(p->cg, &e);
        sp_cgroup_free(p->cg);
        return sp_err_wrap(err, "creating cpuset partition %s", spec->path);
    }
    *out = sp_steal_ptr(&p);
    return 0;
}

int sp_cpuset_part_open(const char *path, struct sp_cpuset_part **out, sp_error **err)
{
    if (!path || path[0] != '/' || strstr(path, ".."))
        return sp_err(err, EINVAL, "cpuset partition: bad path '%s'", path ? path : "");
    struct sp_cpuset_part *p = sp_xcalloc(1, sizeof(*p));
    if (sp_cg_open_path(path, &p->cg, err) < 0) {
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int sp_cpuset_part_attach(struct sp_cpuset_part *p, pid_t pid, sp_error **err)
{
    return sp_cgroup_attach(p->cg, pid, err);
}

int sp_cpuset_part_destroy(struct sp_cpuset_part *p, sp_error **err)
{
    if (sp_cgroup_destroy(p->cg, err) < 0)
        return sp_err_wrap(err, "removing cpuset partition");
    return 0;
}

const char *sp_cpuset_part_dir(const struct sp_cpuset_part *p)
{
    return p->cg->dir[cpuset_ctrl(p->cg)];
}

void sp_cpuset_part_free(struct sp_cpuset_part *p)
{
    if (!p)
        return;
    sp_cgroup_free(p->cg);
    free(p);
}
