/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's cgroup: create, apply limits, attach, freeze, kill, destroy,
 * save/reopen.  Pure cgroup v2 first; on legacy/hybrid hosts the same limits
 * through the v1 controllers.
 *
 * Finding the v1 mounts reads /proc/self/mountinfo (see v1_mount for why
 * not libcgroup's cgroup_init).
 * libcgroup 2.0.2 was tried for create/attach/set and is not used for them:
 * - one cgroup name applies to every controller, but a relative cgroupsPath
 *   is relative to septa's own cgroup, which differs per v1 controller on
 *   hybrid hosts (here: memory:/process_api/..., cpu:/);
 * - cgroup_create_cgroup/cgroup_modify_cgroup fail with ECGOTHER without
 *   saying which file refused which value, and on v2 it enables controllers
 *   recursively from the root, including cgroups that have processes (EBUSY
 *   with no file named);
 * - septa needs directory fds anyway: clone3(CLONE_INTO_CGROUP), the BPF
 *   device program and cgroup.kill/cgroup.freeze/memory.events, which
 *   libcgroup has no call for.
 * The cgroupfs writes are therefore in this file and cgroup-apply.c, each
 * naming the file, the value and the kernel's reason.
 */
#include "cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

const char *const sp_cg_v1_ctrls[SP_CG_NCTRL] = {
    "cpu",     "cpuacct", "cpuset",  "memory",  "pids",     "blkio",
    "devices", "freezer", "hugetlb", "net_cls", "net_prio", "rdma",
};

/* Controllers septa enables for a container's cgroup on v2, when available. */
static const char *const v2_ctrls[] = {"cpuset", "cpu",     "io",   "memory",
                                       "pids",   "hugetlb", "misc", "rdma"};

#define CGROUP_ROOT    "/sys/fs/cgroup"
#define DEFAULT_PARENT "/septa"

/* ---- small helpers ---------------------------------------------------- */

int sp_cg_write(struct sp_cgroup *cg, int ctrl, const char *file, const char *value, sp_error **err)
{
    int dfd = cg->fd[ctrl];
    if (dfd < 0)
        return sp_err(err, ENOENT, "writing %s: the %s cgroup %s is not open", file,
                      cg->mode == SP_CGROUP_V2 ? "v2" : sp_cg_v1_ctrls[ctrl], cg->path);
    _cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return sp_err(err, errno, "opening %s/%s", cg->dir[ctrl], file);
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sp_err(err, errno, "writing '%s' to %s/%s", value, cg->dir[ctrl], file);
    return 0;
}

int sp_cg_read(struct sp_cgroup *cg, int ctrl, const char *file, char **out, sp_error **err)
{
    if (cg->fd[ctrl] < 0)
        return sp_err(err, ENOENT, "reading %s: cgroup %s is not open", file, cg->path);
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(cg->fd[ctrl], file, 1 << 20, out, NULL, &e) < 0)
        return sp_err(err, e->errnum, "reading %s/%s", cg->dir[ctrl], file);
    return 0;
}

bool sp_cg_has_file(struct sp_cgroup *cg, int ctrl, const char *file)
{
    return cg->fd[ctrl] >= 0 && faccessat(cg->fd[ctrl], file, F_OK, 0) == 0;
}

int sp_cg_read_u64(struct sp_cgroup *cg, int ctrl, const char *file, uint64_t *out, sp_error **err)
{
    _cleanup_free_ char *s = NULL;
    if (sp_cg_read(cg, ctrl, file, &s, err) < 0)
        return -1;
    if (strncmp(s, "max", 3) == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return sp_err(err, EINVAL, "reading %s/%s: '%s' is not a number", cg->dir[ctrl], file, s);
    *out = v;
    return 0;
}

/* "key value" lines (memory.stat, memory.events, cpu.stat): one key. */
int sp_cg_read_keyed(struct sp_cgroup *cg, int ctrl, const char *file, const char *key,
                     uint64_t *out, sp_error **err)
{
    _cleanup_free_ char *s = NULL;
    if (sp_cg_read(cg, ctrl, file, &s, err) < 0)
        return -1;
    size_t kl = strlen(key);
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            *out = strtoull(line + kl + 1, NULL, 10);
            return 1;
        }
        line = nl ? nl + 1 : NULL;
    }
    *out = 0;
    return 0;
}

/* The controller index holding the process list (any open one on v1). */
static int procs_ctrl(const struct sp_cgroup *cg)
{
    if (cg->mode == SP_CGROUP_V2)
        return 0;
    static const int prefer[] = {SP_CG_FREEZER, SP_CG_PIDS, SP_CG_MEMORY, SP_CG_CPU};
    for (size_t i = 0; i < SP_ARRAY_SIZE(prefer); i++)
        if (cg->fd[prefer[i]] >= 0)
            return prefer[i];
    for (int i = 0; i < SP_CG_NCTRL; i++)
        if (cg->fd[i] >= 0)
            return i;
    return -1;
}

static struct sp_cgroup *cg_new(enum sp_cgroup_mode mode, const char *path)
{
    struct sp_cgroup *cg = sp_xcalloc(1, sizeof(*cg));
    cg->mode = mode;
    cg->path = sp_xstrdup(path);
    for (int i = 0; i < SP_CG_NCTRL; i++)
        cg->fd[i] = -1;
    return cg;
}

void sp_cgroup_free(struct sp_cgroup *cg)
{
    if (!cg)
        return;
    for (int i = 0; i < SP_CG_NCTRL; i++) {
        if (cg->fd[i] >= 0)
            close(cg->fd[i]);
        free(cg->dir[i]);
    }
    sp_strv_free(cg->owned_parents);
    free(cg->path);
    free(cg);
}

void sp_cgroup_freep(struct sp_cgroup **cg)
{
    sp_cgroup_free(*cg);
    *cg = NULL;
}

const char *sp_cgroup_path(const struct sp_cgroup *cg)
{
    return cg->path;
}

enum sp_cgroup_mode sp_cgroup_mode_of(const struct sp_cgroup *cg)
{
    return cg->mode;
}

int sp_cgroup_dirfd(const struct sp_cgroup *cg)
{
    return cg->mode == SP_CGROUP_V2 ? cg->fd[0] : -1;
}

/* ---- where things are -------------------------------------------------- */

/* septa's own cgroup for a v1 controller ("memory") or v2 (ctrl NULL). */
static char *own_cgroup(const char *ctrl)
{
    _cleanup_free_ char *s = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &s, NULL, &e) < 0)
        return sp_xstrdup("/");
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2) {
            *c2 = '\0';
            const char *list = c1 + 1;
            if (!ctrl && strcmp(line, "0") == 0 && *list == '\0')
                return sp_xstrdup(c2 + 1);
            if (ctrl) {
                /* "cpu,cpuacct": co-mounted controllers share one line. */
                _cleanup_free_ char *dup = sp_xstrdup(list);
                char *save = NULL;
                for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
                    if (strcmp(t, ctrl) == 0)
                        return sp_xstrdup(c2 + 1);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return sp_xstrdup("/");
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/*
 * Mount point of a v1 controller, or NULL when it is not mounted: the
 * "cgroup" (v1) mount whose super options name the controller, from
 * /proc/self/mountinfo; a mount of the hierarchy's root is preferred over a
 * bind of a sub-cgroup.  Only a v1 mount counts: on hybrid hosts the cgroup2
 * "unified" mount carries no controller septa could use there.
 */
char *sp_cg_v1_mount_in(const char *mountinfo, const char *ctrl)
{
    char *best = NULL;
    bool best_is_root = false;
    for (const char *line = mountinfo; line && *line;) {
        const char *nl = strchr(line, '\n');
        _cleanup_free_ char *l = nl ? strndup(line, (size_t)(nl - line)) : sp_xstrdup(line);
        line = nl ? nl + 1 : NULL;
        if (!l)
            abort();
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER */
        char *sep = strstr(l, " - ");
        if (!sep)
            continue;
        *sep = '\0';
        char *save = NULL;
        char *f[5] = {0};
        for (int i = 0; i < 5; i++)
            f[i] = strtok_r(i ? NULL : l, " ", &save);
        save = NULL;
        char *fstype = strtok_r(sep + 3, " ", &save);
        char *source = strtok_r(NULL, " ", &save);
        char *super = strtok_r(NULL, " ", &save);
        if (!f[4] || !fstype || !source || !super || strcmp(fstype, "cgroup") != 0)
            continue;
        bool has = false;
        char *save2 = NULL;
        for (char *t = strtok_r(super, ",", &save2); t && !has; t = strtok_r(NULL, ",", &save2))
            has = strcmp(t, ctrl) == 0;
        if (!has)
            continue;
        bool is_root = strcmp(f[3], "/") == 0;
        if (best && (best_is_root || !is_root))
            continue;
        free(best);
        best = sp_xstrdup(f[4]);
        unescape_octal(best);
        best_is_root = is_root;
    }
    return best;
}

/*
 * libcgroup was used here (cgroup_init + cgroup_get_subsys_mount_point) and
 * was dropped: cgroup_init clears three static mount tables and so makes
 * 828 KiB resident (measured), 40% of the 2 MiB septa-runtime may use for a
 * whole container start, and on this hybrid host it answered the
 * controller-less cgroup2 mount for controllers v1 does not mount.  The
 * mount table is read once per process.
 */
static char *v1_mount(const char *ctrl)
{
    static char *mountinfo;
    if (!mountinfo) {
        _cleanup_error_ sp_error *e = NULL;
        if (sp_read_file(AT_FDCWD, "/proc/self/mountinfo", 1 << 22, &mountinfo, NULL, &e) < 0)
            mountinfo = sp_xstrdup("");
    }
    char *mnt = sp_cg_v1_mount_in(mountinfo, ctrl);
    struct statfs fs;
    if (mnt && statfs(mnt, &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC)
        return mnt;
    free(mnt);
    return NULL;
}

/* The logical path of the container's cgroup (validated). */
static int cg_logical_path(const char *cgroups_path, const char *id, char **out, sp_error **err)
{
    if (!cgroups_path || !*cgroups_path) {
        if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
            return sp_err(err, EINVAL, "cgroup: invalid container id '%s'", id ? id : "");
        *out = sp_xasprintf(DEFAULT_PARENT "/%s", id);
        return 0;
    }
    if (strchr(cgroups_path, ':'))
        return sp_err(err, EINVAL,
                      "linux.cgroupsPath '%s': systemd slice:prefix:name paths need the systemd "
                      "cgroup manager, which septa does not use",
                      cgroups_path);
    /* No component may climb out of where the path is anchored. */
    _cleanup_free_ char *dup = sp_xstrdup(cgroups_path);
    char *save = NULL;
    for (char *t = strtok_r(dup, "/", &save); t; t = strtok_r(NULL, "/", &save))
        if (strcmp(t, "..") == 0 || strcmp(t, ".") == 0)
            return sp_err(err, EINVAL, "linux.cgroupsPath '%s': '.' and '..' are not allowed",
                          cgroups_path);
    _cleanup_free_ char *clean = sp_path_clean(cgroups_path);
    if (strcmp(clean, "/") == 0 || strcmp(clean, ".") == 0 || !*clean)
        return sp_err(err, EINVAL,
                      "linux.cgroupsPath '%s': the root cgroup cannot be a "
                      "container's cgroup",
                      cgroups_path);
    *out = sp_steal_ptr(&clean);
    return 0;
}

/* ---- create ----------------------------------------------------------- */

/* mkdir every missing component of `abs` below `base`; record what we made. */
static int mkdir_below(const char *base, const char *rel, char ***made, sp_error **err)
{
    _cleanup_free_ char *dup = sp_xstrdup(rel);
    _cleanup_free_ char *cur = sp_xstrdup(base);
    char *save = NULL;
    for (char *t = strtok_r(dup, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        char *next = sp_path_join(cur, t);
        free(cur);
        cur = next;
        if (mkdir(cur, 0755) == 0) {
            size_t n = sp_strv_len(*made);
            *made = sp_xrealloc(*made, (n + 2) * sizeof(char *));
            (*made)[n] = sp_xstrdup(cur);
            (*made)[n + 1] = NULL;
        } else if (errno != EEXIST) {
            return sp_err(err, errno, "creating cgroup directory %s", cur);
        }
    }
    return 0;
}

/* Remove what mkdir_below made, deepest first; best effort. */
static void rmdir_made(char **made)
{
    for (size_t n = sp_strv_len(made); n > 0; n--)
        rmdir(made[n - 1]);
}

/*
 * v1 refuses a cpuset that overlaps an exclusive sibling (a partition's,
 * partition/): leave out of `*v` (the parent's list for `file`) what the
 * siblings of `dir` with `flag` = 1 hold, so containers and partitions coexist.
 */
static void v1_drop_exclusive(const char *dir, const char *file, const char *flag, char **v)
{
    uint64_t have[16] = {0};
    size_t n;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_parse_cpulist(*v, have, 1024, &n, &e) < 0)
        return;
    _cleanup_free_ char *parent = sp_xstrdup(dir);
    char *self = strrchr(parent, '/');
    *self++ = '\0';
    _cleanup_dir_ DIR *d = opendir(parent);
    bool dropped = false;
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.' || strcmp(de->d_name, self) == 0)
            continue;
        _cleanup_free_ char *ff = sp_xasprintf("%s/%s/%s", parent, de->d_name, flag);
        _cleanup_free_ char *lf = sp_xasprintf("%s/%s/%s", parent, de->d_name, file);
        _cleanup_free_ char *x = NULL, *l = NULL;
        uint64_t b[16] = {0};
        if (sp_read_file(AT_FDCWD, ff, 64, &x, NULL, &e) == 0 && x[0] == '1' &&
            sp_read_file(AT_FDCWD, lf, 65536, &l, NULL, &e) == 0 &&
            sp_parse_cpulist(strtok(l, "\n") ? l : "", b, 1024, &n, &e) == 0) {
            for (size_t w = 0; w < 16; w++)
                have[w] &= ~b[w];
            dropped = true;
        }
        sp_error_free(&e);
    }
    if (dropped) {
        free(*v);
        *v = sp_format_cpulist(have, 1024);
    }
}

/* v1 cpuset: a new cgroup has empty cpus/mems and cannot take tasks; give it
 * its parent's, top-down. */
static int v1_cpuset_fill(char **made, const char *mnt, sp_error **err)
{
    size_t ml = strlen(mnt);
    for (size_t i = 0; made && made[i]; i++) {
        if (strncmp(made[i], mnt, ml) != 0 || made[i][ml] != '/')
            continue;
        _cleanup_free_ char *parent = sp_xstrdup(made[i]);
        *strrchr(parent, '/') = '\0';
        for (int k = 0; k < 2; k++) {
            const char *f = k ? "cpuset.mems" : "cpuset.cpus";
            _cleanup_free_ char *pf = sp_path_join(parent, f);
            _cleanup_free_ char *cf = sp_path_join(made[i], f);
            _cleanup_free_ char *v = NULL;
            if (sp_read_file(AT_FDCWD, pf, 65536, &v, NULL, err) < 0)
                return -1;
            v[strcspn(v, "\n")] = '\0';
            v1_drop_exclusive(made[i], f, k ? "cpuset.mem_exclusive" : "cpuset.cpu_exclusive", &v);
            if (*v && sp_write_file(AT_FDCWD, cf, v, err) < 0)
                return sp_err_wrap(err, "initialising cpuset %s", made[i]);
        }
    }
    return 0;
}

static bool dir_has_procs(const char *dir)
{
    _cleanup_free_ char *f = sp_path_join(dir, "cgroup.procs");
    _cleanup_free_ char *s = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(AT_FDCWD, f, 1 << 20, &s, NULL, &e) < 0)
        return false;
    return s[strspn(s, " \n")] != '\0';
}

static int open_dir(const char *dir, int *fd, sp_error **err)
{
    *fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return sp_err(err, errno, "opening cgroup %s", dir);
    return 0;
}

static void add_owned(struct sp_cgroup *cg, const char *p)
{
    size_t n = sp_strv_len(cg->owned_parents);
    for (size_t i = 0; i < n; i++)
        if (strcmp(cg->owned_parents[i], p) == 0)
            return;
    cg->owned_parents = sp_xrealloc(cg->owned_parents, (n + 2) * sizeof(char *));
    cg->owned_parents[n] = sp_xstrdup(p);
    cg->owned_parents[n + 1] = NULL;
}

/* Parents created for this cgroup, as absolute paths relative to the anchor. */
static void record_parents(struct sp_cgroup *cg, char **made)
{
    for (size_t i = 0; made && made[i]; i++) {
        bool leaf = false;
        for (int k = 0; k < SP_CG_NCTRL; k++)
            if (cg->dir[k] && strcmp(cg->dir[k], made[i]) == 0)
                leaf = true;
        if (!leaf)
            add_owned(cg, made[i]);
    }
}

static int v1_create(struct sp_cgroup *cg, bool relative, char ***made, sp_error **err)
{
    bool any = false;
    for (int i = 0; i < SP_CG_NCTRL; i++) {
        _cleanup_free_ char *mnt = v1_mount(sp_cg_v1_ctrls[i]);
        if (!mnt)
            continue;
        _cleanup_free_ char *anchor = relative ? own_cgroup(sp_cg_v1_ctrls[i]) : sp_xstrdup("/");
        _cleanup_free_ char *rel = sp_path_join(anchor, cg->path);
        cg->dir[i] = sp_path_join(mnt, rel);
        /* Co-mounted controllers (cpu,cpuacct) share a directory: make it once. */
        size_t before = sp_strv_len(*made);
        if (mkdir_below(mnt, rel, made, err) < 0)
            return sp_err_wrap(err, "creating cgroup %s", cg->path);
        if (i == SP_CG_CPUSET && v1_cpuset_fill(*made + before, mnt, err) < 0)
            return -1;
        if (open_dir(cg->dir[i], &cg->fd[i], err) < 0)
            return -1;
        any = true;
    }
    if (!any)
        return sp_err(err, ENOENT, "creating cgroup %s: no cgroup v1 controller is mounted",
                      cg->path);
    return 0;
}

/* Enable `ctrls` of `dir` for its children; say why when the kernel refuses. */
static int v2_enable_subtree(const char *dir, bool is_root, sp_error **err)
{
    _cleanup_free_ char *cf = sp_path_join(dir, "cgroup.controllers");
    _cleanup_free_ char *sf = sp_path_join(dir, "cgroup.subtree_control");
    _cleanup_free_ char *avail = NULL, *enabled = NULL;
    if (sp_read_file(AT_FDCWD, cf, 4096, &avail, NULL, err) < 0 ||
        sp_read_file(AT_FDCWD, sf, 4096, &enabled, NULL, err) < 0)
        return -1;
    const char *turned_on[SP_ARRAY_SIZE(v2_ctrls)];
    size_t n_on = 0;
    for (size_t i = 0; i < SP_ARRAY_SIZE(v2_ctrls); i++) {
        const char *c = v2_ctrls[i];
        size_t cl = strlen(c);
        bool have = false, on = false;
        for (const char *p = avail; (p = strstr(p, c)); p += cl)
            if ((p == avail || p[-1] == ' ') && (p[cl] == ' ' || p[cl] == '\n' || !p[cl]))
                have = true;
        for (const char *p = enabled; (p = strstr(p, c)); p += cl)
            if ((p == enabled || p[-1] == ' ') && (p[cl] == ' ' || p[cl] == '\n' || !p[cl]))
                on = true;
        if (!have || on)
            continue;
        /* Checked first: the kernel takes threaded controllers (cpuset, cpu,
         * pids) from a cgroup with processes and then refuses domain ones with
         * EBUSY or, now that it is a "thread root", EOPNOTSUPP. */
        if (!is_root && n_on == 0 && dir_has_procs(dir))
            return sp_err(err, EBUSY,
                          "enabling controllers in %s/cgroup.subtree_control: %s has processes "
                          "of its own, and cgroup v2 allows controllers for children only in "
                          "cgroups without processes (no-internal-process rule)",
                          dir, dir);
        _cleanup_free_ char *v = sp_xasprintf("+%s", c);
        if (sp_write_file(AT_FDCWD, sf, v, err) < 0) {
            /* Threaded controllers (cpuset, cpu, pids) are accepted before a
             * domain one is refused: take back what this call enabled. */
            for (size_t k = n_on; k > 0; k--) {
                _cleanup_free_ char *off = sp_xasprintf("-%s", turned_on[k - 1]);
                sp_write_file(AT_FDCWD, sf, off, NULL);
            }
            return sp_err_wrap(err, "enabling the %s controller in %s", c, dir);
        }
        turned_on[n_on++] = c;
    }
    return 0;
}

/* Call fn on each directory from base down to the parent of the leaf `rel`. */
static int each_parent(const char *base, const char *rel, int (*fn)(const char *dir, void *data),
                       void *data)
{
    _cleanup_free_ char *dup = sp_xstrdup(rel);
    _cleanup_free_ char *cur = sp_xstrdup(base);
    char *save = NULL;
    char *t = strtok_r(dup, "/", &save);
    while (t) {
        char *next_tok = strtok_r(NULL, "/", &save);
        char *next = sp_path_join(cur, t);
        free(cur);
        cur = next;
        if (!next_tok)
            break;
        if (fn(cur, data) < 0)
            return -1;
        t = next_tok;
    }
    return 0;
}

static int enable_parent(const char *dir, void *err)
{
    return v2_enable_subtree(dir, false, err);
}

static int v2_create(struct sp_cgroup *cg, bool relative, char ***made, sp_error **err)
{
    _cleanup_free_ char *anchor = relative ? own_cgroup(NULL) : sp_xstrdup("/");
    _cleanup_free_ char *rel = sp_path_join(anchor, cg->path);
    cg->dir[0] = sp_path_join(CGROUP_ROOT, rel);
    if (mkdir_below(CGROUP_ROOT, rel, made, err) < 0)
        return sp_err_wrap(err, "creating cgroup %s", cg->path);
    /* Top-down: a controller is available in a child only once its parent
     * enabled it.  The leaf keeps its subtree_control empty: it holds
     * processes. */
    if (v2_enable_subtree(CGROUP_ROOT, true, err) < 0 ||
        each_parent(CGROUP_ROOT, rel, enable_parent, err) < 0)
        return -1;
    return open_dir(cg->dir[0], &cg->fd[0], err);
}

int sp_cgroup_create(const char *cgroups_path, const char *id,
                     const struct sp_cgroup_resources *res, struct sp_cgroup **out, sp_error **err)
{
    return sp_cg_create_ex(cgroups_path, id, res, true, out, err);
}

int sp_cg_create_ex(const char *cgroups_path, const char *id, const struct sp_cgroup_resources *res,
                    bool devices, struct sp_cgroup **out, sp_error **err)
{
    _cleanup_free_ char *path = NULL;
    if (cg_logical_path(cgroups_path, id, &path, err) < 0)
        return -1;
    bool relative = cgroups_path && *cgroups_path && cgroups_path[0] != '/';
    enum sp_cgroup_mode mode = sp_cgroup_host_mode();
    _cleanup_cgroup_ struct sp_cgroup *cg = cg_new(mode, path);
    _cleanup_strv_ char **made = NULL;
    int r;
    /* Another septa may remove an empty /septa between our mkdirs: retry. */
    for (int attempt = 0;; attempt++) {
        r = mode == SP_CGROUP_V2 ? v2_create(cg, relative, &made, err)
                                 : v1_create(cg, relative, &made, err);
        if (r == 0 || attempt == 3 || !*err || (*err)->errnum != ENOENT)
            break;
        rmdir_made(made);
        sp_strv_free(made);
        made = NULL;
        sp_error_free(err);
        for (int i = 0; i < SP_CG_NCTRL; i++) {
            if (cg->fd[i] >= 0)
                close(cg->fd[i]);
            cg->fd[i] = -1;
            free(cg->dir[i]);
            cg->dir[i] = NULL;
        }
    }
    if (r < 0) {
        rmdir_made(made);
        return -1;
    }
    /* A leftover cgroup from a crash is reused only if it is empty. */
    int pc = procs_ctrl(cg);
    if (pc >= 0 && dir_has_procs(cg->dir[pc])) {
        rmdir_made(made);
        return sp_err(err, EBUSY, "creating cgroup %s: it already exists and has processes",
                      cg->dir[pc]);
    }
    record_parents(cg, made);
    /* The default parent belongs to septa: remove it when the last container
     * goes, whoever created it. */
    if (!cgroups_path || !*cgroups_path)
        for (int i = 0; i < SP_CG_NCTRL; i++)
            if (cg->dir[i]) {
                _cleanup_free_ char *p = sp_xstrdup(cg->dir[i]);
                *strrchr(p, '/') = '\0';
                add_owned(cg, p);
            }
    if ((res || devices) && sp_cg_apply(cg, res, devices, err) < 0) {
        for (int i = 0; i < SP_CG_NCTRL; i++)
            if (cg->dir[i])
                rmdir(cg->dir[i]);
        rmdir_made(made);
        return sp_err_wrap(err, "cgroup %s", cg->path);
    }
    *out = sp_steal_ptr(&cg);
    return 0;
}

/* A parent that does not exist yet will be made by create: it is ours. */
static int plan_parent(const char *dir, void *cg)
{
    if (access(dir, F_OK) < 0 && errno == ENOENT)
        add_owned(cg, dir);
    return 0;
}

int sp_cgroup_plan(const char *cgroups_path, const char *id, struct sp_cgroup **out, sp_error **err)
{
    _cleanup_free_ char *path = NULL;
    if (cg_logical_path(cgroups_path, id, &path, err) < 0)
        return -1;
    bool relative = cgroups_path && *cgroups_path && cgroups_path[0] != '/';
    _cleanup_cgroup_ struct sp_cgroup *cg = cg_new(sp_cgroup_host_mode(), path);
    /* The same directories v2_create / v1_create will make. */
    if (cg->mode == SP_CGROUP_V2) {
        _cleanup_free_ char *anchor = relative ? own_cgroup(NULL) : sp_xstrdup("/");
        _cleanup_free_ char *rel = sp_path_join(anchor, cg->path);
        cg->dir[0] = sp_path_join(CGROUP_ROOT, rel);
        each_parent(CGROUP_ROOT, rel, plan_parent, cg);
    } else {
        for (int i = 0; i < SP_CG_NCTRL; i++) {
            _cleanup_free_ char *mnt = v1_mount(sp_cg_v1_ctrls[i]);
            if (!mnt)
                continue;
            _cleanup_free_ char *anchor =
                relative ? own_cgroup(sp_cg_v1_ctrls[i]) : sp_xstrdup("/");
            _cleanup_free_ char *rel = sp_path_join(anchor, cg->path);
            cg->dir[i] = sp_path_join(mnt, rel);
            each_parent(mnt, rel, plan_parent, cg);
        }
    }
    for (int i = 0; i < SP_CG_NCTRL; i++) {
        if (!cg->dir[i])
            continue;
        /* Someone else's live cgroup must never be recorded as ours: a
         * delete --force after a crash would kill what is in it. */
        if (dir_has_procs(cg->dir[i]))
            return sp_err(err, EBUSY, "creating cgroup %s: it already exists and has processes",
                          cg->dir[i]);
        if (!cgroups_path || !*cgroups_path) {
            _cleanup_free_ char *p = sp_xstrdup(cg->dir[i]);
            *strrchr(p, '/') = '\0';
            add_owned(cg, p);
        }
    }
    *out = sp_steal_ptr(&cg);
    return 0;
}

int sp_cgroup_memory_limit(struct sp_cgroup *cg, int64_t *limit, sp_error **err)
{
    uint64_t v = UINT64_MAX;
    *limit = -1;
    int ctrl = cg->mode == SP_CGROUP_V2 ? SP_CG_V2 : SP_CG_MEMORY;
    const char *f = cg->mode == SP_CGROUP_V2 ? "memory.max" : "memory.limit_in_bytes";
    if (cg->fd[ctrl] < 0 || !sp_cg_has_file(cg, ctrl, f))
        return 0;
    if (sp_cg_read_u64(cg, ctrl, f, &v, err) < 0)
        return -1;
    /* v1 spells "no limit" as the largest page-aligned counter value. */
    if (v < (UINT64_C(1) << 62))
        *limit = (int64_t)v;
    return 0;
}

int sp_cgroup_update(struct sp_cgroup *cg, const struct sp_cgroup_resources *res, sp_error **err)
{
    if (sp_cg_apply(cg, res, false, err) < 0)
        return sp_err_wrap(err, "updating cgroup %s", cg->path);
    return 0;
}

int sp_cg_open_path(const char *path, struct sp_cgroup **out, sp_error **err)
{
    _cleanup_free_ char *clean = NULL;
    if (!path || path[0] != '/' || cg_logical_path(path, NULL, &clean, err) < 0)
        return sp_err(err, EINVAL, "cgroup path '%s' must be absolute, without '..'",
                      path ? path : "");
    enum sp_cgroup_mode mode = sp_cgroup_host_mode();
    _cleanup_cgroup_ struct sp_cgroup *cg = cg_new(mode, clean);
    if (mode == SP_CGROUP_V2) {
        cg->dir[0] = sp_path_join(CGROUP_ROOT, clean);
        cg->fd[0] = open(cg->dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else {
        for (int i = 0; i < SP_CG_NCTRL; i++) {
            _cleanup_free_ char *mnt = v1_mount(sp_cg_v1_ctrls[i]);
            if (!mnt)
                continue;
            cg->dir[i] = sp_path_join(mnt, clean);
            cg->fd[i] = open(cg->dir[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
    }
    *out = sp_steal_ptr(&cg);
    return 0;
}

/* ---- processes -------------------------------------------------------- */

/* Write `value` to `file` in each hierarchy once (co-mounted controllers
 * share a directory). */
static int write_each_hierarchy(struct sp_cgroup *cg, const char *file, const char *value,
                                sp_error **err)
{
    bool done_dir[SP_CG_NCTRL] = {0};
    for (int i = 0; i < SP_CG_NCTRL; i++) {
        if (cg->fd[i] < 0)
            continue;
        bool dup = false;
        for (int j = 0; j < i; j++)
            if (done_dir[j] && strcmp(cg->dir[j], cg->dir[i]) == 0)
                dup = true;
        if (dup)
            continue;
        if (sp_cg_write(cg, i, file, value, err) < 0)
            return -1;
        done_dir[i] = true;
    }
    return 0;
}

int sp_cgroup_attach(struct sp_cgroup *cg, pid_t pid, sp_error **err)
{
    _cleanup_free_ char *s = sp_xasprintf("%d", (int)pid);
    if (write_each_hierarchy(cg, "cgroup.procs", s, err) < 0)
        return sp_err_wrap(err, "attaching pid %d to cgroup %s", (int)pid, cg->path);
    return 0;
}

/*
 * The calling process joins its own v1 cgroups by writing "0" to each
 * hierarchy's `tasks` file.  Why not the parent writing the pid to
 * cgroup.procs: moving a whole thread group takes the global
 * cgroup_threadgroup_rwsem for writing, whose first writer waits for an RCU
 * grace period (7-30 ms measured here, on every container start), while a
 * thread moving itself needs no such stability and the kernel skips that lock
 * (cgroup_procs_write_start); on kernels that do not, it costs what
 * cgroup.procs would.  The container's init is single-threaded when it calls
 * this, so its one thread is the whole process.
 */
int sp_cgroup_join_self(struct sp_cgroup *cg, sp_error **err)
{
    if (write_each_hierarchy(cg, "tasks", "0", err) < 0)
        return sp_err_wrap(err, "joining cgroup %s", cg->path);
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* Append the pids of dirfd/cgroup.procs and of every sub-cgroup below it:
 * a container may make cgroups of its own (cgroup namespace, systemd). */
static int collect_pids(int dirfd, const char *path, pid_t **v, size_t *cnt, size_t *cap, int depth,
                        sp_error **err)
{
    _cleanup_free_ char *s = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(dirfd, "cgroup.procs", 1 << 22, &s, NULL, &e) < 0) {
        if (e->errnum == ENOENT || e->errnum == ENODEV)
            return 0; /* removed meanwhile: no processes */
        return sp_err(err, e->errnum, "reading %s/cgroup.procs", path);
    }
    for (char *p = s; *p;) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p)
            break;
        if (*cnt == *cap)
            *v = sp_xrealloc(*v, (*cap *= 2) * sizeof(pid_t));
        (*v)[(*cnt)++] = (pid_t)x;
        p = end + strspn(end, "\n ");
    }
    if (depth > 32)
        return 0;
    int dfd = dup(dirfd);
    if (dfd < 0)
        return sp_err(err, errno, "dup");
    _cleanup_dir_ DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return sp_err(err, errno, "listing %s", path);
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_close_ int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sub < 0)
            continue;
        _cleanup_free_ char *sp = sp_path_join(path, de->d_name);
        if (collect_pids(sub, sp, v, cnt, cap, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

int sp_cgroup_pids(struct sp_cgroup *cg, pid_t **pids, size_t *n, sp_error **err)
{
    *pids = NULL;
    *n = 0;
    int pc = procs_ctrl(cg);
    if (pc < 0 || cg->fd[pc] < 0)
        return 0;
    size_t cap = 16, cnt = 0;
    pid_t *v = sp_xmalloc(cap * sizeof(pid_t));
    /* On v1 a process may have been put in only some hierarchies (a cpuset
     * partition that someone wrote a pid into by hand): read every one. */
    int last = cg->mode == SP_CGROUP_V2 ? 0 : SP_CG_NCTRL - 1;
    for (int i = cg->mode == SP_CGROUP_V2 ? pc : 0; i <= last; i++) {
        if (cg->fd[i] < 0)
            continue;
        if (collect_pids(cg->fd[i], cg->dir[i], &v, &cnt, &cap, 0, err) < 0) {
            free(v);
            return -1;
        }
    }
    qsort(v, cnt, sizeof(pid_t), cmp_pid);
    size_t u = 0;
    for (size_t i = 0; i < cnt; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    *pids = v;
    *n = u;
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int sp_cgroup_is_frozen(struct sp_cgroup *cg, bool *frozen, sp_error **err)
{
    *frozen = false;
    if (cg->mode == SP_CGROUP_V2) {
        uint64_t v = 0;
        if (!sp_cg_has_file(cg, 0, "cgroup.events"))
            return 0;
        if (sp_cg_read_keyed(cg, 0, "cgroup.events", "frozen", &v, err) < 0)
            return -1;
        *frozen = v == 1;
        return 0;
    }
    if (cg->fd[SP_CG_FREEZER] < 0)
        return 0;
    _cleanup_free_ char *s = NULL;
    if (sp_cg_read(cg, SP_CG_FREEZER, "freezer.state", &s, err) < 0)
        return -1;
    *frozen = strncmp(s, "FROZEN", 6) == 0;
    return 0;
}

/* Wait (up to ~5 s) until the freezer reports the wanted state. */
static int set_frozen(struct sp_cgroup *cg, bool freeze, sp_error **err)
{
    if (cg->mode == SP_CGROUP_V2) {
        if (!sp_cg_has_file(cg, 0, "cgroup.freeze"))
            return sp_err(err, ENOTSUP, "cgroup %s: this kernel has no cgroup.freeze", cg->path);
        if (sp_cg_write(cg, 0, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
            return -1;
    } else {
        if (cg->fd[SP_CG_FREEZER] < 0)
            return sp_err(err, ENOTSUP, "cgroup %s: the v1 freezer controller is not mounted",
                          cg->path);
        if (sp_cg_write(cg, SP_CG_FREEZER, "freezer.state", freeze ? "FROZEN" : "THAWED", err) < 0)
            return -1;
    }
    for (int i = 0; i < 500; i++) {
        bool frozen = false;
        if (sp_cgroup_is_frozen(cg, &frozen, err) < 0)
            return -1;
        if (frozen == freeze)
            return 0;
        /* v1 FREEZING can stall on a task in uninterruptible sleep: ask again. */
        if (cg->mode == SP_CGROUP_V1 && freeze && i % 10 == 9)
            sp_cg_write(cg, SP_CG_FREEZER, "freezer.state", "FROZEN", NULL);
        sleep_ms(10);
    }
    return sp_err(err, ETIMEDOUT, "cgroup %s: still not %s after 5 s", cg->path,
                  freeze ? "frozen" : "thawed");
}

int sp_cgroup_freeze(struct sp_cgroup *cg, sp_error **err)
{
    if (set_frozen(cg, true, err) < 0)
        return sp_err_wrap(err, "freezing");
    return 0;
}

int sp_cgroup_thaw(struct sp_cgroup *cg, sp_error **err)
{
    if (set_frozen(cg, false, err) < 0)
        return sp_err_wrap(err, "thawing");
    return 0;
}

static int signal_each(struct sp_cgroup *cg, int sig, sp_error **err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (sp_cgroup_pids(cg, &pids, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            return sp_err(err, errno, "sending signal %d to pid %d of cgroup %s", sig, (int)pids[i],
                          cg->path);
    return 0;
}

int sp_cgroup_kill_all(struct sp_cgroup *cg, int sig, sp_error **err)
{
    if (cg->mode == SP_CGROUP_V2 && sig == SIGKILL && sp_cg_has_file(cg, 0, "cgroup.kill"))
        return sp_cg_write(cg, 0, "cgroup.kill", "1", err);
    /* Frozen, nothing can fork a child we would miss; without a freezer the
     * list is signalled until it stops changing. */
    bool can_freeze = cg->mode == SP_CGROUP_V2 ? sp_cg_has_file(cg, 0, "cgroup.freeze")
                                               : cg->fd[SP_CG_FREEZER] >= 0;
    bool was_frozen = false;
    if (can_freeze && sp_cgroup_is_frozen(cg, &was_frozen, err) < 0)
        return -1;
    if (can_freeze && !was_frozen && sp_cgroup_freeze(cg, err) < 0)
        return -1;
    int r = signal_each(cg, sig, err);
    /* A paused container stays paused for signals other than SIGKILL. */
    if (can_freeze && (!was_frozen || sig == SIGKILL)) {
        _cleanup_error_ sp_error *e = NULL;
        if (sp_cgroup_thaw(cg, r < 0 ? &e : err) < 0 && r == 0)
            return -1;
    }
    if (r == 0 && !can_freeze)
        r = signal_each(cg, sig, err);
    return r;
}

/* rmdir with retries: a killed cgroup stays busy until its tasks are reaped.
 * Sub-cgroups the container made go first, deepest first. */
static int rmdir_wait(const char *dir, sp_error **err)
{
    _cleanup_dir_ DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sub = sp_path_join(dir, de->d_name);
        if (rmdir_wait(sub, err) < 0)
            return -1;
    }
    for (int i = 0;; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || i == 300)
            return sp_err(err, errno, "removing cgroup %s", dir);
        sleep_ms(10);
    }
}

int sp_cgroup_destroy(struct sp_cgroup *cg, sp_error **err)
{
    int pc = procs_ctrl(cg);
    if (pc >= 0 && access(cg->dir[pc], F_OK) == 0) {
        _cleanup_error_ sp_error *e = NULL;
        if (sp_cgroup_kill_all(cg, SIGKILL, &e) < 0 && access(cg->dir[pc], F_OK) == 0) {
            *err = sp_steal_ptr(&e);
            return sp_err_wrap(err, "destroying cgroup %s", cg->path);
        }
        /* Wait for the killed processes to leave (exit is asynchronous). */
        for (int i = 0; i < 500 && dir_has_procs(cg->dir[pc]); i++)
            sleep_ms(10);
    }
    for (int i = 0; i < SP_CG_NCTRL; i++) {
        if (!cg->dir[i])
            continue;
        if (cg->fd[i] >= 0) {
            close(cg->fd[i]);
            cg->fd[i] = -1;
        }
        if (rmdir_wait(cg->dir[i], err) < 0)
            return sp_err_wrap(err, "destroying cgroup %s", cg->path);
    }
    /* Parents septa made for it go too, once nothing else uses them. */
    for (size_t n = sp_strv_len(cg->owned_parents); n > 0; n--)
        rmdir(cg->owned_parents[n - 1]);
    return 0;
}

/* ---- OOM ------------------------------------------------------------- */

int sp_cgroup_oom_kills(struct sp_cgroup *cg, uint64_t *count, sp_error **err)
{
    *count = 0;
    if (cg->mode == SP_CGROUP_V2) {
        if (!sp_cg_has_file(cg, 0, "memory.events"))
            return 0;
        return sp_cg_read_keyed(cg, 0, "memory.events", "oom_kill", count, err) < 0 ? -1 : 0;
    }
    if (cg->fd[SP_CG_MEMORY] < 0)
        return 0;
    /* memory.oom_control has had an oom_kill counter since Linux 4.13. */
    return sp_cg_read_keyed(cg, SP_CG_MEMORY, "memory.oom_control", "oom_kill", count, err) < 0 ? -1
                                                                                                : 0;
}

int sp_cgroup_oom_killed(struct sp_cgroup *cg, bool *killed, sp_error **err)
{
    uint64_t n = 0;
    if (sp_cgroup_oom_kills(cg, &n, err) < 0)
        return -1;
    *killed = n > 0;
    return 0;
}

int sp_cgroup_oom_eventfd(struct sp_cgroup *cg, sp_error **err)
{
    if (cg->mode == SP_CGROUP_V2) {
        _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0)
            return sp_err(err, errno, "inotify_init1");
        _cleanup_free_ char *f = sp_path_join(cg->dir[0], "memory.events");
        if (inotify_add_watch(fd, f, IN_MODIFY) < 0)
            return sp_err(err, errno, "watching %s", f);
        return sp_steal_fd(&fd);
    }
    if (cg->fd[SP_CG_MEMORY] < 0)
        return sp_err(err, ENOTSUP, "cgroup %s: the v1 memory controller is not mounted", cg->path);
    _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
        return sp_err(err, errno, "eventfd");
    _cleanup_close_ int ofd =
        openat(cg->fd[SP_CG_MEMORY], "memory.oom_control", O_RDONLY | O_CLOEXEC);
    if (ofd < 0)
        return sp_err(err, errno, "opening %s/memory.oom_control", cg->dir[SP_CG_MEMORY]);
    _cleanup_free_ char *line = sp_xasprintf("%d %d", efd, ofd);
    if (sp_cg_write(cg, SP_CG_MEMORY, "cgroup.event_control", line, err) < 0)
        return -1;
    /* The kernel holds its own references now; ofd can go. */
    return sp_steal_fd(&efd);
}

/* ---- save / reopen ------------------------------------------------------ */

json_t *sp_cgroup_to_json(const struct sp_cgroup *cg)
{
    json_t *j = json_object();
    json_object_set_new(j, "version", json_integer(cg->mode));
    json_object_set_new(j, "path", json_string(cg->path));
    json_t *dirs = json_object();
    for (int i = 0; i < SP_CG_NCTRL; i++)
        if (cg->dir[i])
            json_object_set_new(dirs, cg->mode == SP_CGROUP_V2 ? "unified" : sp_cg_v1_ctrls[i],
                                json_string(cg->dir[i]));
    json_object_set_new(j, "dirs", dirs);
    json_t *owned = json_array();
    for (size_t i = 0; cg->owned_parents && cg->owned_parents[i]; i++)
        json_array_append_new(owned, json_string(cg->owned_parents[i]));
    json_object_set_new(j, "owned_parents", owned);
    return j;
}

/* Only directories below the cgroup mount may come back from a state file. */
static bool under_cgroupfs(const char *p)
{
    _cleanup_free_ char *clean = sp_path_clean(p);
    return strncmp(clean, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) == 0 && strcmp(clean, p) == 0;
}

int sp_cgroup_from_json(json_t *j, struct sp_cgroup **out, sp_error **err)
{
    json_t *ver = json_object_get(j, "version");
    json_t *path = json_object_get(j, "path");
    json_t *dirs = json_object_get(j, "dirs");
    if (!json_is_integer(ver) || !json_is_string(path) || !json_is_object(dirs) ||
        (json_integer_value(ver) != 1 && json_integer_value(ver) != 2))
        return sp_err(err, EINVAL, "cgroup state: expected {version, path, dirs}");
    enum sp_cgroup_mode mode = (enum sp_cgroup_mode)json_integer_value(ver);
    _cleanup_cgroup_ struct sp_cgroup *cg = cg_new(mode, json_string_value(path));
    const char *key;
    json_t *v;
    json_object_foreach(dirs, key, v)
    {
        int idx = -1;
        if (mode == SP_CGROUP_V2 && strcmp(key, "unified") == 0)
            idx = 0;
        for (int i = 0; mode == SP_CGROUP_V1 && i < SP_CG_NCTRL; i++)
            if (strcmp(key, sp_cg_v1_ctrls[i]) == 0)
                idx = i;
        if (idx < 0 || !json_is_string(v) || !under_cgroupfs(json_string_value(v)))
            return sp_err(err, EINVAL, "cgroup state: bad directory for '%s'", key);
        cg->dir[idx] = sp_xstrdup(json_string_value(v));
        /* Gone already (a half-deleted container): leave the fd closed. */
        cg->fd[idx] = open(cg->dir[idx], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    json_t *owned = json_object_get(j, "owned_parents");
    size_t i;
    json_t *e;
    json_array_foreach(owned, i, e)
    {
        if (!json_is_string(e) || !under_cgroupfs(json_string_value(e)))
            return sp_err(err, EINVAL, "cgroup state: bad owned parent");
        add_owned(cg, json_string_value(e));
    }
    *out = sp_steal_ptr(&cg);
    return 0;
}
