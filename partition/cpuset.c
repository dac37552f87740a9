/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup that enforces a partition, "/septa.partition.NAME" directly
 * below the hierarchy root (a cgroup v2 partition root must have a
 * partition-root parent, and the root cgroup is one).
 *
 * Exclusive partitions use runtime/'s cpuset partitions (runtime.h): v2
 * cpuset.cpus.partition = root | isolated with cpuset.cpus.exclusive, the
 * kernel's "invalid (reason)" turned into an error; v1 cpu_exclusive and
 * mem_exclusive.  A --shared partition claims nothing exclusively, which
 * runtime/ does not offer: it is a plain cpuset (cpus + mems) written here.
 * Removal always goes through runtime/, which knows every v1 controller
 * directory it may have made.
 */
#include "partition.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"

static bool host_is_v2(void)
{
    struct statfs s;
    return statfs(CG_ROOT, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

static int cg_write(const char *dir, const char *file, const char *val, sp_error **err)
{
    _cleanup_free_ char *path = sp_xasprintf("%s/%s", dir, file);
    if (sp_write_file(AT_FDCWD, path, val, err) < 0)
        return -1;
    return 0;
}

static int cg_read(const char *dir, const char *file, char **out, sp_error **err)
{
    _cleanup_free_ char *path = sp_xasprintf("%s/%s", dir, file);
    size_t len;
    if (sp_read_file(AT_FDCWD, path, 4096, out, &len, err) < 0)
        return -1;
    while (len > 0 && (*out)[len - 1] == '\n')
        (*out)[--len] = '\0';
    return 0;
}

static int v2_prepare(sp_error **err)
{
    _cleanup_free_ char *ctl = NULL;
    if (cg_read(CG_ROOT, "cgroup.subtree_control", &ctl, err) < 0)
        return -1;
    for (char *save = NULL, *tok = strtok_r(ctl, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        if (strcmp(tok, "cpuset") == 0)
            return 0;
    /* Enabling a controller at the root rearranges the host's hierarchy: not septa's call. */
    return sp_err(err, 0, "the cpuset controller is not enabled in %s/cgroup.subtree_control",
                  CG_ROOT);
}

static char *cg_path(const char *name)
{
    return sp_xasprintf("/septa.partition.%s", name);
}

static char *cpuset_dir(bool v2, const char *name)
{
    return v2 ? sp_xasprintf("%s/septa.partition.%s", CG_ROOT, name)
              : sp_xasprintf("%s/cpuset/septa.partition.%s", CG_ROOT, name);
}

char *sp_cpuset_dir(const char *name)
{
    return cpuset_dir(host_is_v2(), name);
}

/* A plain cpuset for a --shared partition: its CPUs and nodes, nothing exclusive. */
static int create_shared(bool v2, const char *dir, const char *cpus, const char *mems,
                         sp_error **err)
{
    if (v2 && v2_prepare(err) < 0)
        return -1;
    if (mkdir(dir, 0755) < 0)
        return sp_err(err, errno, "mkdir %s", dir);
    /* v1 needs mems before a task can join; v2 takes either order. */
    if (cg_write(dir, "cpuset.mems", mems, err) < 0 ||
        cg_write(dir, "cpuset.cpus", cpus, err) < 0) {
        rmdir(dir);
        return -1;
    }
    return 0;
}

/* A cgroup of that name left by a crash: ours to remove if empty, refused if in use. */
static int clear_stale(const char *dir, const char *name, sp_error **err)
{
    if (access(dir, F_OK) < 0)
        return 0;
    _cleanup_free_ char *procs = NULL;
    if (cg_read(dir, "cgroup.procs", &procs, err) < 0)
        return -1;
    if (*procs)
        return sp_err(err, EBUSY,
                      "cgroup %s exists and has processes (another partition named "
                      "'%s'?)",
                      dir, name);
    return sp_cpuset_destroy(dir, name, err);
}

/* v1 refuses cpu_exclusive when any sibling overlaps: name the first one. */
static char *sibling_overlap(const char *dir, const uint64_t *cpus)
{
    _cleanup_free_ char *parent = sp_xstrdup(dir);
    char *slash = strrchr(parent, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    const char *self = slash + 1;
    _cleanup_dir_ DIR *d = opendir(parent);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
            continue;
        _cleanup_free_ char *sib = sp_xasprintf("%s/%s", parent, e->d_name);
        _cleanup_free_ char *list = NULL;
        _cleanup_error_ sp_error *rerr = NULL;
        sp_cpuset_bits b = {0};
        size_t n;
        if (cg_read(sib, "cpuset.cpus", &list, &rerr) < 0 || !*list ||
            sp_parse_cpulist(list, b, SP_MAX_CPUS, &n, &rerr) < 0)
            continue;
        for (size_t w = 0; w < SP_CPU_WORDS; w++)
            if (b[w] & cpus[w])
                return sp_xasprintf("%s (cpus %s)", sib, list);
    }
    return NULL;
}

int sp_cpuset_create(struct sp_partition *p, sp_error **err)
{
    bool v2 = host_is_v2();
    _cleanup_free_ char *dir = cpuset_dir(v2, p->name);
    _cleanup_free_ char *path = cg_path(p->name);
    _cleanup_free_ char *cpus = sp_format_cpulist(p->cpus, SP_MAX_CPUS);
    _cleanup_free_ char *mems = sp_format_cpulist(&p->nodes, SP_MAX_NODES);
    if (clear_stale(dir, p->name, err) < 0)
        return sp_err_wrap(err, "creating the cpuset of partition '%s'", p->name);
    if (p->shared) {
        if (create_shared(v2, dir, cpus, mems, err) < 0)
            return sp_err_wrap(err, "creating the cpuset of partition '%s'", p->name);
    } else {
        struct sp_cpuset_part_spec spec = {
            .path = path, .cpus = cpus, .mems = mems, .isolated = p->isolated};
        struct sp_cpuset_part *part = NULL;
        if (sp_cpuset_part_create(&spec, &part, err) < 0) {
            if (!v2) {
                /* v1 says only EINVAL: name the sibling that holds the CPUs. */
                _cleanup_free_ char *who = sibling_overlap(dir, p->cpus);
                if (who)
                    sp_err_wrap(err, "sibling cpuset %s shares CPUs with it", who);
            }
            return sp_err_wrap(err, "partition '%s'", p->name);
        }
        free(dir);
        dir = sp_xstrdup(sp_cpuset_part_dir(part));
        sp_cpuset_part_free(part);
    }
    free(p->cgroup);
    p->cgroup = sp_steal_ptr(&dir);
    return 0;
}

int sp_cpuset_enter(const char *cgroup, sp_error **err)
{
    return cg_write(cgroup, "cgroup.procs", "0", err);
}

int sp_cpuset_destroy(const char *cgroup, const char *name, sp_error **err)
{
    if (!cgroup)
        return 0;
    _cleanup_free_ char *path = cg_path(name);
    struct sp_cpuset_part *part = NULL;
    if (sp_cpuset_part_open(path, &part, err) < 0)
        return -1;
    int r = sp_cpuset_part_destroy(part, err);
    sp_cpuset_part_free(part);
    return r;
}
