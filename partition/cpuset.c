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

/* ------------------------------------------------------------------------ */
/* v1: the container parent gives up (and gets back) an exclusive partition's  */
/* CPUs                                                                      */
/* ------------------------------------------------------------------------ */

/*
 * runtime/ puts containers below cpuset/septa (cgroupsPath unset), which it
 * fills with every CPU of the root.  v1 refuses cpu_exclusive while a sibling
 * holds any of the CPUs, and refuses to shrink a cpuset below what a child
 * holds.  So an exclusive partition takes its CPUs (and, when it claims them,
 * nodes) out of that parent, deepest first: a container that asked for no
 * cpuset (its list equals its parent's) floats along; one that asked for some
 * of those CPUs keeps them, and the partition is refused, naming it.  runtime/
 * leaves exclusive siblings' CPUs out of cpusets it makes, so containers
 * created while the partition runs stay off them.  Stopping gives them back.
 */
#define CONTAINER_PARENT CG_ROOT "/cpuset/septa"

struct shrink {
    char *dir;
    char *was, *now;
};

struct shrink_plan {
    struct shrink *v;
    size_t n;
};

static void shrink_plan_clear(struct shrink_plan *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        free(pl->v[i].dir);
        free(pl->v[i].was);
        free(pl->v[i].now);
    }
    free(pl->v);
    pl->v = NULL;
    pl->n = 0;
}

static int read_list(const char *dir, const char *file, uint64_t *bits, char **text, sp_error **err)
{
    size_t n;
    memset(bits, 0, SP_CPU_WORDS * sizeof(uint64_t));
    if (cg_read(dir, file, text, err) < 0 ||
        sp_parse_cpulist(*text, bits, SP_MAX_CPUS, &n, err) < 0)
        return sp_err_wrap(err, "%s/%s", dir, file);
    return 0;
}

static bool bits_meet(const uint64_t *a, const uint64_t *b)
{
    for (size_t w = 0; w < SP_CPU_WORDS; w++)
        if (a[w] & b[w])
            return true;
    return false;
}

/* The container a cgroup below the parent belongs to: its first component. */
static char *container_of(const char *dir)
{
    const char *rel = dir + strlen(CONTAINER_PARENT) + 1;
    return strndup(rel, strcspn(rel, "/"));
}

/* Plan (children first) taking `take` out of `file` of dir and its floating subtree. */
static int plan_shrink(const char *dir, const char *file, const uint64_t *take,
                       const uint64_t *parent_was, const char *what, struct shrink_plan *pl,
                       sp_error **err)
{
    sp_cpuset_bits have;
    _cleanup_free_ char *text = NULL;
    if (read_list(dir, file, have, &text, err) < 0)
        return -1;
    if (!bits_meet(have, take))
        return 0; /* nor does anything below: a child is a subset of its parent */
    if (parent_was && memcmp(have, parent_was, sizeof(have)) != 0) {
        _cleanup_free_ char *id = container_of(dir);
        return sp_err(err, 0,
                      "container '%s' asked for %s %s (%s of %s): stop it, or give the "
                      "partition other %s",
                      id, what, text, file, dir, what);
    }
    _cleanup_dir_ DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sub = sp_xasprintf("%s/%s", dir, e->d_name);
        if (plan_shrink(sub, file, take, have, what, pl, err) < 0)
            return -1;
    }
    sp_cpuset_bits now;
    for (size_t w = 0; w < SP_CPU_WORDS; w++)
        now[w] = have[w] & ~take[w];
    pl->v = sp_xrealloc(pl->v, (pl->n + 1) * sizeof(pl->v[0]));
    pl->v[pl->n++] = (struct shrink){.dir = sp_xstrdup(dir),
                                     .was = sp_steal_ptr(&text),
                                     .now = sp_format_cpulist(now, SP_MAX_CPUS)};
    return 0;
}

/* Apply a plan in order; on failure undo what was done, in reverse. */
static int shrink_apply(const struct shrink_plan *pl, const char *file, sp_error **err)
{
    for (size_t i = 0; i < pl->n; i++) {
        if (cg_write(pl->v[i].dir, file, pl->v[i].now, err) == 0)
            continue;
        for (size_t j = i; j > 0; j--) {
            _cleanup_error_ sp_error *e = NULL;
            cg_write(pl->v[j - 1].dir, file, pl->v[j - 1].was, &e);
        }
        return -1;
    }
    return 0;
}

static int release_to_partition(const sp_cpuset_bits cpus, uint64_t nodes, bool claim_mems,
                                sp_error **err)
{
    if (access(CONTAINER_PARENT, F_OK) < 0)
        return 0;
    struct shrink_plan pc = {0}, pm = {0};
    sp_cpuset_bits mems = {nodes};
    int r = plan_shrink(CONTAINER_PARENT, "cpuset.cpus", cpus, NULL, "CPUs", &pc, err);
    if (r == 0 && claim_mems)
        r = plan_shrink(CONTAINER_PARENT, "cpuset.mems", mems, NULL, "memory nodes", &pm, err);
    if (r == 0)
        r = shrink_apply(&pc, "cpuset.cpus", err);
    if (r == 0 && shrink_apply(&pm, "cpuset.mems", err) < 0) {
        for (size_t j = pc.n; j > 0; j--) {
            _cleanup_error_ sp_error *e = NULL;
            cg_write(pc.v[j - 1].dir, "cpuset.cpus", pc.v[j - 1].was, &e);
        }
        r = -1;
    }
    shrink_plan_clear(&pc);
    shrink_plan_clear(&pm);
    if (r < 0)
        return sp_err_wrap(err, "taking its CPUs from the containers' cpuset");
    return 0;
}

/* Give `add` back to dir and, top-down, to the children that floated with it. */
static void give_back(const char *dir, const char *file, const uint64_t *add,
                      const uint64_t *parent_was)
{
    sp_cpuset_bits have;
    _cleanup_free_ char *text = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (read_list(dir, file, have, &text, &e) < 0)
        return;
    if (parent_was && memcmp(have, parent_was, sizeof(have)) != 0)
        return; /* it asked for its own set: leave it */
    sp_cpuset_bits now;
    for (size_t w = 0; w < SP_CPU_WORDS; w++)
        now[w] = have[w] | add[w];
    _cleanup_free_ char *list = sp_format_cpulist(now, SP_MAX_CPUS);
    if (cg_write(dir, file, list, &e) < 0)
        return;
    _cleanup_dir_ DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sub = sp_xasprintf("%s/%s", dir, de->d_name);
        give_back(sub, file, add, have);
    }
}

/* The root's nodes that stay for everyone else: not the partition's, not exclusive elsewhere. */
static bool nodes_left_for_others(uint64_t nodes)
{
    sp_cpuset_bits root;
    _cleanup_free_ char *text = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (read_list(CG_ROOT "/cpuset", "cpuset.mems", root, &text, &e) < 0)
        return false;
    uint64_t left = root[0] & ~nodes;
    _cleanup_dir_ DIR *d = opendir(CG_ROOT "/cpuset");
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *dir = sp_xasprintf("%s/cpuset/%s", CG_ROOT, de->d_name);
        _cleanup_free_ char *x = NULL, *t = NULL;
        sp_cpuset_bits b;
        if (cg_read(dir, "cpuset.mem_exclusive", &x, &e) == 0 && strcmp(x, "1") == 0 &&
            read_list(dir, "cpuset.mems", b, &t, &e) == 0)
            left &= ~b[0];
        sp_error_free(&e);
    }
    return left != 0;
}

/* Give a stopped exclusive partition's CPUs and nodes back (best effort: the
 * containers run either way, on fewer CPUs). */
static void return_to_containers(const sp_cpuset_bits cpus, uint64_t nodes)
{
    if (access(CONTAINER_PARENT, F_OK) < 0)
        return;
    sp_cpuset_bits mems = {nodes};
    give_back(CONTAINER_PARENT, "cpuset.cpus", cpus, NULL);
    give_back(CONTAINER_PARENT, "cpuset.mems", mems, NULL);
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
        /*
         * v1 mem_exclusive would take the nodes from every other cpuset: only
         * when others keep a node (never on a one-node host, whose node 0 is
         * also the host reserve's and the containers').
         */
        bool claim_mems = !v2 && nodes_left_for_others(p->nodes);
        if (!v2 && release_to_partition(p->cpus, p->nodes, claim_mems, err) < 0)
            return -1;
        struct sp_cpuset_part_spec spec = {.path = path,
                                           .cpus = cpus,
                                           .mems = mems,
                                           .isolated = p->isolated,
                                           .shared_mems = !v2 && !claim_mems};
        struct sp_cpuset_part *part = NULL;
        if (sp_cpuset_part_create(&spec, &part, err) < 0) {
            if (!v2) {
                /* v1 says only EINVAL: name the sibling that holds the CPUs. */
                _cleanup_free_ char *who = sibling_overlap(dir, p->cpus);
                if (who)
                    sp_err_wrap(err, "sibling cpuset %s shares CPUs with it", who);
                return_to_containers(p->cpus, p->nodes);
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
    /* What it held goes back to the containers once it is gone (v1 only took it). */
    sp_cpuset_bits cpus = {0}, mems = {0};
    _cleanup_free_ char *x = NULL, *ct = NULL, *mt = NULL;
    _cleanup_error_ sp_error *e = NULL;
    bool v1_excl = !host_is_v2() && cg_read(cgroup, "cpuset.cpu_exclusive", &x, &e) == 0 &&
                   strcmp(x, "1") == 0 && read_list(cgroup, "cpuset.cpus", cpus, &ct, &e) == 0 &&
                   read_list(cgroup, "cpuset.mems", mems, &mt, &e) == 0;
    int r = sp_cpuset_part_destroy(part, err);
    sp_cpuset_part_free(part);
    if (r == 0 && v1_excl)
        return_to_containers(cpus, mems[0]);
    return r;
}
