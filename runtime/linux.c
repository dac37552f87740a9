/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container side of create: the root filesystem (mounts, devices,
 * pivot_root, masked and read-only paths), hostname, sysctls, time offsets,
 * the pty, finding the program, and the sync messages to the parent.
 *
 * All of it runs in the cloned child, in the new mount namespace, as root of
 * the container's user namespace.  Paths inside the rootfs are always
 * resolved with the rootfs as "/", so a symlink in an untrusted image cannot
 * redirect a mount onto the host.
 */
#include "linux.h"
#include "cgroup.h"
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/sched.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* ------------------------------------------------------------------------ */
/* sync                                                                      */
/* ------------------------------------------------------------------------ */

int sp_sync_send(int fd, enum sp_sync_type type, int status, int errnum, const char *msg,
                 int passfd)
{
    struct sp_sync_msg m = {.type = type, .status = status, .errnum = errnum};
    if (msg)
        snprintf(m.msg, sizeof(m.msg), "%s", msg);
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (passfd >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(m) ? 0 : -1;
}

int sp_sync_recv(int fd, struct sp_sync_msg *m, int *passfd, sp_error **err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (passfd)
        *passfd = -1;
    ssize_t n;
    do
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sp_err(err, errno, "reading from the container's init");
    if (n == 0)
        return sp_err(err, 0, "the container's init exited during setup");
    if (n != (ssize_t)sizeof(*m))
        return sp_err(err, EPROTO, "short message from the container's init");
    m->msg[sizeof(m->msg) - 1] = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int f;
            memcpy(&f, CMSG_DATA(cm), sizeof(int));
            if (passfd && *passfd < 0)
                *passfd = f;
            else
                close(f);
        }
    }
    return 0;
}

int sp_sync_send_raw_fd(int sock, int fd)
{
    /* conmon and containerd read one message with the fd and a name as payload. */
    char name[] = "/dev/ptmx";
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

void sp_sync_send_error(int fd, const sp_error *err)
{
    sp_sync_send(fd, SP_SYNC_ERROR, sp_error_status(err), err ? err->errnum : 0,
                 err && err->msg ? err->msg : "unknown error", -1);
}

void sp_linux_cloexec_from(int from)
{
    if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    /* Kernels before 5.11: walk the open fds. */
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        int fd = atoi(de->d_name);
        if (fd >= from && fd != dirfd(d))
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
}

/* ------------------------------------------------------------------------ */
/* id maps and time offsets                                                  */
/* ------------------------------------------------------------------------ */

static int write_map(pid_t pid, const char *file, const struct sp_idmap *maps, size_t n,
                     const char *field, sp_error **err)
{
    char buf[SP_MAX_IDMAPS * 36 + 1];
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%u %u %u\n", maps[i].container_id,
                                 maps[i].host_id, maps[i].size);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, buf, used) != (ssize_t)used)
        return sp_err(err, errno, "writing %s (%s.%s)", path, field,
                      file[0] == 'u' ? "uidMappings" : "gidMappings");
    return 0;
}

int sp_linux_write_idmaps(pid_t pid, const struct sp_config *c, sp_error **err)
{
    if (write_map(pid, "gid_map", c->gid_maps, c->n_gid_maps, "linux", err) < 0 ||
        write_map(pid, "uid_map", c->uid_maps, c->n_uid_maps, "linux", err) < 0)
        return -1;
    /*
     * P3 (security.h): once the init's credentials are those of its user
     * namespace it can no longer open its own oom_score_adj (its /proc files
     * stay owned by the host's root), so septa writes it from the host now,
     * and the init's own write in C2 finds the value already there.
     */
    const struct sp_proc_security *ps = c->process.sec;
    if (ps && ps->has_oom_score_adj && sp_oom_score_adj_apply_pid(pid, ps->oom_score_adj, err) < 0)
        return -1;
    return 0;
}

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int sp_linux_set_time_offsets(const struct sp_config *c, sp_error **err)
{
    if (!c->ns[SP_NS_TIME].enabled || c->ns[SP_NS_TIME].path)
        return 0;
    /*
     * Offsets can only be written before any process lives in the new time
     * namespace: unshare gives it to our future children, we write the
     * offsets, then move ourselves in through time_for_children.
     */
    if (unshare(CLONE_NEWTIME) < 0)
        return sp_err(err, errno, "creating the time namespace");
    if (c->has_time_offsets) {
        char buf[128];
        int n = snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n",
                         (long long)c->time_offset_mono[0], (long long)c->time_offset_mono[1],
                         (long long)c->time_offset_boot[0], (long long)c->time_offset_boot[1]);
        _cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, (size_t)n) != n)
            return sp_err(err, errno, "linux.timeOffsets: writing /proc/self/timens_offsets");
    }
    _cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
        return sp_err(err, errno, "entering the new time namespace");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* mounts                                                                    */
/* ------------------------------------------------------------------------ */

/* Create every missing directory of `path` (a host path inside the rootfs). */
static int mkdir_parents(const char *path, bool last_too, sp_error **err)
{
    _cleanup_free_ char *p = sp_xstrdup(path);
    /* Usually the parent is there already (rootfs/dev, rootfs/proc): one stat
     * instead of a mkdir per component from the root down. */
    char *last = strrchr(p, '/');
    struct stat st;
    if (last && last != p) {
        *last = 0;
        bool have = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
        *last = '/';
        if (have)
            return last_too && mkdir(p, 0755) < 0 && errno != EEXIST
                       ? sp_err(err, errno, "creating %s", p)
                       : 0;
    }
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        int r = mkdir(p, 0755);
        int e = errno;
        *s = '/';
        if (r < 0 && e != EEXIST)
            return sp_err(err, e, "creating %.*s", (int)(s - p), p);
    }
    if (last_too && mkdir(p, 0755) < 0 && errno != EEXIST)
        return sp_err(err, errno, "creating %s", p);
    return 0;
}

/*
 * Host path of `dest` inside the rootfs, symlinks resolved with the rootfs as
 * "/", and the mount point created (a file for a file bind, else a dir).
 */
static int prepare_target(const char *rootfs, const char *dest, bool file, char **out,
                          sp_error **err)
{
    _cleanup_free_ char *host = NULL;
    if (sp_path_resolve_in_root(rootfs, dest, &host, err) < 0)
        return -1;
    struct stat st;
    if (lstat(host, &st) < 0) {
        if (errno != ENOENT)
            return sp_err(err, errno, "%s", host);
        if (mkdir_parents(host, !file, err) < 0)
            return -1;
        if (file) {
            int fd = open(host, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0 && errno != EEXIST)
                return sp_err(err, errno, "creating %s", host);
            if (fd >= 0)
                close(fd);
        }
    }
    *out = sp_steal_ptr(&host);
    return 0;
}

/* v1 controllers of this process, one mount each below a tmpfs (hybrid hosts). */
static int mount_cgroup_v1(const struct sp_mount *m, const char *target, sp_error **err)
{
    unsigned long fl = m->flags & ~MS_RDONLY;
    if (mount("tmpfs", target, "tmpfs", fl, "mode=755") < 0)
        return sp_err(err, errno, "mounting tmpfs on %s", target);
    _cleanup_file_ FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return sp_err(err, errno, "reading /proc/self/cgroup");
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c2 == c1 + 1)
            continue; /* the v2 line "0::/..." */
        *c2 = 0;
        const char *ctrls = c1 + 1;
        const char *name = ctrls;
        if (strncmp(ctrls, "name=", 5) == 0)
            name = ctrls + 5;
        _cleanup_free_ char *dir = sp_path_join(target, name);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return sp_err(err, errno, "creating %s", dir);
        if (mount("cgroup", dir, "cgroup", m->flags, ctrls) < 0)
            return sp_err(err, errno, "mounting cgroup %s on %s", ctrls, dir);
    }
    if ((m->flags & MS_RDONLY) &&
        mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | fl, "mode=755") < 0)
        return sp_err(err, errno, "remounting %s read-only", target);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* id-mapped binds (parent, before clone) and recursive attributes           */
/* ------------------------------------------------------------------------ */

/*
 * A user namespace holding exactly these maps, as an fd: a helper is cloned
 * into a new one, septa writes its maps from the host, keeps a reference to
 * the namespace and lets the helper exit.  Only the maps matter to an
 * idmapped mount, not which process owns the namespace.
 */
static int idmap_userns_fd(const struct sp_idmap *u, size_t nu, const struct sp_idmap *g, size_t ng,
                           const char *field, sp_error **err)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return sp_err(err, errno, "%s: pipe", field);
    struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
    long pid = syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid == 0) {
        /* Live until septa has the namespace: EOF on the pipe. */
        char b;
        close(pfd[1]);
        while (read(pfd[0], &b, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    int e = errno;
    close(pfd[0]);
    _cleanup_close_ int wr = pfd[1];
    if (pid < 0)
        return sp_err(err, e, "%s: creating a user namespace for the id mapping", field);
    int fd = -1;
    if (write_map((pid_t)pid, "gid_map", g, ng, field, err) == 0 &&
        write_map((pid_t)pid, "uid_map", u, nu, field, err) == 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            sp_err(err, errno, "%s: opening %s", field, path);
    }
    close(sp_steal_fd(&wr));
    while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return fd;
}

/* The filesystem type of the mount `path` is on (for messages), or "unknown". */
static char *mount_fstype(const char *path)
{
    struct statx stx;
    if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
        return sp_xstrdup("unknown");
    _cleanup_file_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    while (f && fgets(line, sizeof(line), f)) {
        /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS" */
        if (strtoull(line, NULL, 10) != stx.stx_mnt_id)
            continue;
        char *dash = strstr(line, " - ");
        if (!dash)
            break;
        char *t = dash + 3;
        t[strcspn(t, " \n")] = '\0';
        return sp_xstrdup(t);
    }
    return sp_xstrdup("unknown");
}

static int prepare_idmapped(const struct sp_config *c, struct sp_mount *m, size_t idx,
                            sp_error **err)
{
    char field[32];
    snprintf(field, sizeof(field), "mounts[%zu]", idx);
    _cleanup_close_ int ufd = -1;
    if (m->uid_maps)
        ufd = idmap_userns_fd(m->uid_maps, m->n_uid_maps, m->gid_maps, m->n_gid_maps, field, err);
    else if (c->ns[SP_NS_USER].path) {
        /* No maps of its own: the container's user namespace (as crun). */
        ufd = open(c->ns[SP_NS_USER].path, O_RDONLY | O_CLOEXEC);
        if (ufd < 0)
            return sp_err(err, errno, "%s: opening %s", field, c->ns[SP_NS_USER].path);
    } else
        ufd = idmap_userns_fd(c->uid_maps, c->n_uid_maps, c->gid_maps, c->n_gid_maps, "linux", err);
    if (ufd < 0)
        return -1;
    bool rec = m->recursive || m->ridmap;
    _cleanup_close_ int tree = (int)open_tree(
        AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
    if (tree < 0)
        return sp_err(err, errno, "%s: cloning the mount tree of %s (open_tree)", field, m->source);
    struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ufd};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (m->ridmap ? AT_RECURSIVE : 0), &a, sizeof(a)) <
        0) {
        int e = errno;
        _cleanup_free_ char *fs = mount_fstype(m->source);
        if (e == EINVAL)
            return sp_err(err, e,
                          "%s: id-mapping %s on %s: the %s filesystem of the source does not "
                          "support id-mapped mounts on this kernel",
                          field, m->source, m->destination, fs);
        return sp_err(err, e, "%s: id-mapping %s (%s) on %s", field, m->source, fs, m->destination);
    }
    m->tree_fd = sp_steal_fd(&tree);
    return 0;
}

int sp_linux_prepare_mounts(struct sp_config *c, sp_error **err)
{
    for (size_t i = 0; i < c->n_mounts; i++) {
        struct sp_mount *m = &c->mounts[i];
        if (!m->idmap || m->tree_fd >= 0)
            continue;
        if (prepare_idmapped(c, m, i, err) < 0)
            return -1;
    }
    return 0;
}

/* rro, rnosuid, ...: on the mount at target and every mount below it. */
static int apply_recursive_attrs(const struct sp_mount *m, size_t idx, const char *target,
                                 sp_error **err)
{
    if (!m->rattr_set && !m->rattr_clr)
        return 0;
    struct mount_attr a = {.attr_set = m->rattr_set, .attr_clr = m->rattr_clr};
    if (mount_setattr(AT_FDCWD, target, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof(a)) < 0)
        return sp_err(err, errno, "mounts[%zu]: setting recursive attributes on %s (mount_setattr)",
                      idx, m->destination);
    return 0;
}

static int do_mount(const struct sp_config *c, size_t idx, sp_error **err)
{
    const struct sp_mount *m = &c->mounts[idx];
    _cleanup_free_ char *target = NULL;
    bool file = false;
    if (m->bind) {
        struct stat st;
        /* An id-mapped tree was opened on the host: ask it, not the path,
         * which the container's user may not be allowed to reach. */
        if ((m->tree_fd >= 0 ? fstat(m->tree_fd, &st) : stat(m->source, &st)) < 0)
            return sp_err(err, errno, "mounts[%zu]: source %s", idx, m->source);
        file = !S_ISDIR(st.st_mode);
    }
    if (prepare_target(c->rootfs, m->destination, file, &target, err) < 0)
        return sp_err_wrap(err, "mounts[%zu]: destination %s", idx, m->destination);
    if (m->bind) {
        unsigned long fl = MS_BIND | (m->recursive ? MS_REC : 0);
        if (m->tree_fd >= 0) {
            /* Id-mapped by septa on the host before clone: attach it here. */
            if (move_mount(m->tree_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return sp_err(err, errno, "mounts[%zu]: attaching the id-mapped %s on %s", idx,
                              m->source, m->destination);
        } else if (m->idmap) {
            return sp_err(err, EINVAL, "mounts[%zu]: the id-mapped tree of %s was not prepared",
                          idx, m->source);
        } else if (mount(m->source, target, NULL, fl, NULL) < 0)
            return sp_err(err, errno, "mounts[%zu]: binding %s on %s", idx, m->source,
                          m->destination);
        /* Flags of a bind only take effect on a remount of it. */
        unsigned long rfl = m->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
        if (rfl) {
            struct statvfs sv;
            unsigned long locked = 0;
            /* Keep flags the kernel locked in a user namespace or remount fails. */
            if (statvfs(target, &sv) == 0)
                locked = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY);
            if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | rfl | locked, NULL) < 0)
                return sp_err(err, errno, "mounts[%zu]: applying options to %s", idx,
                              m->destination);
        }
    } else if (strcmp(m->type, "cgroup") == 0 && sp_cgroup_host_mode() == SP_CGROUP_V2) {
        /* "cgroup" means "the host's cgroup filesystem": on a v2 host that is cgroup2. */
        if (mount("cgroup2", target, "cgroup2", m->flags & ~MS_REMOUNT, NULL) < 0)
            return sp_err(err, errno, "mounts[%zu]: mounting cgroup2 on %s", idx, m->destination);
    } else if (strcmp(m->type, "cgroup") == 0) {
        if (mount_cgroup_v1(m, target, err) < 0)
            return sp_err_wrap(err, "mounts[%zu]: %s", idx, m->destination);
    } else {
        if (mount(m->source, target, m->type, m->flags & ~MS_REMOUNT, m->data) < 0)
            return sp_err(err, errno, "mounts[%zu]: mounting %s on %s%s%s", idx, m->type,
                          m->destination, m->data ? " with " : "", m->data ? m->data : "");
    }
    if (apply_recursive_attrs(m, idx, target, err) < 0)
        return -1;
    if (m->propagation && mount(NULL, target, NULL, m->propagation, NULL) < 0)
        return sp_err(err, errno, "mounts[%zu]: setting propagation of %s", idx, m->destination);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* /dev                                                                      */
/* ------------------------------------------------------------------------ */

static const struct sp_device default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static int make_device(const struct sp_config *c, const struct sp_device *d, bool userns,
                       sp_error **err)
{
    _cleanup_free_ char *host = NULL;
    if (prepare_target(c->rootfs, d->path, true, &host, err) < 0)
        return sp_err_wrap(err, "device %s", d->path);
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    dev_t dev = makedev((unsigned)d->major, (unsigned)d->minor);
    if (!userns) {
        /* prepare_target made a placeholder file; the node replaces it. */
        unlink(host);
        if (mknod(host, type | (d->mode & 07777), dev) < 0)
            return sp_err(err, errno, "device %s: mknod", d->path);
        if (chown(host, d->uid, d->gid) < 0)
            return sp_err(err, errno, "device %s: chown", d->path);
        if (chmod(host, d->mode & 07777) < 0)
            return sp_err(err, errno, "device %s: chmod", d->path);
        return 0;
    }
    /* mknod is refused in a user namespace: bind the host's node instead. */
    if (d->type == 'p')
        return sp_err(err, EPERM, "device %s: fifos cannot be created in a user namespace",
                      d->path);
    char src[PATH_MAX];
    struct stat st;
    /* The host's node of the same path when it is that device, else udev's name. */
    if (stat(d->path, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == dev)
        snprintf(src, sizeof(src), "%s", d->path);
    else
        snprintf(src, sizeof(src), "/dev/%s/%lld:%lld", d->type == 'b' ? "block" : "char",
                 (long long)d->major, (long long)d->minor);
    if (mount(src, host, NULL, MS_BIND, NULL) < 0)
        return sp_err(err, errno, "device %s: binding %s", d->path, src);
    return 0;
}

static int setup_dev(const struct sp_config *c, sp_error **err)
{
    bool userns = c->ns[SP_NS_USER].enabled;
    for (size_t i = 0; i < SP_ARRAY_SIZE(default_devices); i++) {
        bool overridden = false;
        for (size_t j = 0; j < c->n_devices; j++)
            overridden |= strcmp(c->devices[j].path, default_devices[i].path) == 0;
        if (!overridden && make_device(c, &default_devices[i], userns, err) < 0)
            return -1;
    }
    for (size_t j = 0; j < c->n_devices; j++)
        if (make_device(c, &c->devices[j], userns, err) < 0)
            return sp_err_wrap(err, "linux.devices[%zu]", j);
    static const char *const links[][2] = {
        {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
        {"/proc/kcore", "/dev/core"},       {"pts/ptmx", "/dev/ptmx"},
    };
    for (size_t i = 0; i < SP_ARRAY_SIZE(links); i++) {
        _cleanup_free_ char *host = NULL;
        if (sp_path_resolve_in_root(c->rootfs, links[i][1], &host, err) < 0)
            return -1;
        if (strcmp(links[i][0], "pts/ptmx") == 0) {
            /* Only when /dev/pts is a devpts of its own, so ptys stay in the container. */
            _cleanup_free_ char *pts = NULL;
            struct stat st;
            if (sp_path_resolve_in_root(c->rootfs, "/dev/pts/ptmx", &pts, err) < 0)
                return -1;
            if (stat(pts, &st) < 0)
                continue;
            unlink(host);
        }
        if (symlink(links[i][0], host) < 0 && errno != EEXIST)
            return sp_err(err, errno, "creating %s", links[i][1]);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* pivot_root, masking                                                       */
/* ------------------------------------------------------------------------ */

static int do_pivot_root(const char *rootfs, sp_error **err)
{
    /*
     * pivot_root(".", ".") stacks the old root under the new one; detaching
     * it then leaves no path to the host's filesystem in the container.
     */
    _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0)
        return sp_err(err, errno, "opening %s", rootfs);
    if (fchdir(newroot) < 0)
        return sp_err(err, errno, "chdir to %s", rootfs);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return sp_err(err, errno, "pivot_root to %s", rootfs);
    if (fchdir(oldroot) < 0)
        return sp_err(err, errno, "chdir to the old root");
    /* The old root must not propagate our unmount back to the host. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return sp_err(err, errno, "making the old root a slave");
    if (umount2(".", MNT_DETACH) < 0)
        return sp_err(err, errno, "detaching the old root");
    if (chdir("/") < 0)
        return sp_err(err, errno, "chdir /");
    return 0;
}

static int mask_path(const char *path, sp_error **err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return sp_err(err, errno, "linux.maskedPaths: %s", path);
    }
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=0,mode=0") < 0)
            return sp_err(err, errno, "linux.maskedPaths: masking %s", path);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return sp_err(err, errno, "linux.maskedPaths: masking %s", path);
    }
    return 0;
}

static int readonly_path(const char *path, sp_error **err)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT)
            return 0;
        return sp_err(err, errno, "linux.readonlyPaths: binding %s", path);
    }
    struct statvfs sv;
    unsigned long locked = 0;
    if (statvfs(path, &sv) == 0)
        locked = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC);
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, NULL) < 0)
        return sp_err(err, errno, "linux.readonlyPaths: remounting %s read-only", path);
    return 0;
}

int sp_linux_setup_rootfs(const struct sp_config *c, sp_error **err)
{
    /*
     * First cut propagation to the host (rslave by default as runc: host
     * mounts still reach us, ours never reach the host), then make the rootfs
     * a mount point of its own so pivot_root accepts it.
     */
    unsigned long prop = c->rootfs_propagation;
    if (prop & (MS_SHARED))
        prop = MS_SLAVE | MS_REC; /* shared is applied after the pivot */
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        return sp_err(err, errno, "linux.rootfsPropagation: setting propagation of /");
    if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return sp_err(err, errno, "root.path: binding %s", c->rootfs);
    for (size_t i = 0; i < c->n_mounts; i++)
        if (do_mount(c, i, err) < 0)
            return -1;
    if (setup_dev(c, err) < 0)
        return -1;
    if (do_pivot_root(c->rootfs, err) < 0)
        return -1;
    if (c->rootfs_propagation & MS_SHARED)
        if (mount(NULL, "/", NULL, c->rootfs_propagation, NULL) < 0)
            return sp_err(err, errno, "linux.rootfsPropagation: making / shared");
    for (size_t i = 0; c->masked_paths[i]; i++)
        if (mask_path(c->masked_paths[i], err) < 0)
            return -1;
    for (size_t i = 0; c->readonly_paths[i]; i++)
        if (readonly_path(c->readonly_paths[i], err) < 0)
            return -1;
    return 0;
}

/* The root is made read-only last: after the pty is bound on /dev/console. */
int sp_linux_finish_rootfs(const struct sp_config *c, sp_error **err);
int sp_linux_finish_rootfs(const struct sp_config *c, sp_error **err)
{
    if (c->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        return sp_err(err, errno, "root.readonly: remounting / read-only");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* hostname, sysctl                                                          */
/* ------------------------------------------------------------------------ */

int sp_linux_set_hostname(const struct sp_config *c, sp_error **err)
{
    if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
        return sp_err(err, errno, "hostname: setting '%s'", c->hostname);
    if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
        return sp_err(err, errno, "domainname: setting '%s'", c->domainname);
    return 0;
}

int sp_linux_set_sysctls(const struct sp_config *c, sp_error **err)
{
    for (size_t i = 0; i < c->n_sysctls; i++) {
        _cleanup_free_ char *rel = sp_xstrdup(c->sysctls[i].key);
        for (char *p = rel; *p; p++)
            if (*p == '.')
                *p = '/';
        _cleanup_free_ char *path = sp_xasprintf("/proc/sys/%s", rel);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t len = strlen(c->sysctls[i].value);
        if (fd < 0 || write(fd, c->sysctls[i].value, len) != (ssize_t)len)
            return sp_err(err, errno, "linux.sysctl.%s: writing '%s'", c->sysctls[i].key,
                          c->sysctls[i].value);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* pty                                                                       */
/* ------------------------------------------------------------------------ */

int sp_linux_setup_pty(const struct sp_process *p, bool bind_console, int *master, sp_error **err)
{
    _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return sp_err(err, errno, "process.terminal: opening /dev/ptmx in the container");
    int unlock = 0;
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
        return sp_err(err, errno, "process.terminal: unlocking the pty");
    _cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return sp_err(err, errno, "process.terminal: opening the pty peer");
    if (p->rows || p->cols) {
        struct winsize ws = {.ws_row = p->rows, .ws_col = p->cols};
        ioctl(s, TIOCSWINSZ, &ws);
    }
    if (bind_console) {
        int n = 0;
        if (ioctl(m, TIOCGPTN, &n) == 0) {
            char path[64];
            snprintf(path, sizeof(path), "/dev/pts/%d", n);
            int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (fd >= 0)
                close(fd);
            if (mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0)
                return sp_err(err, errno, "binding the pty on /dev/console");
        }
    }
    if (setsid() < 0 && errno != EPERM)
        return sp_err(err, errno, "setsid");
    if (ioctl(s, TIOCSCTTY, 0) < 0)
        return sp_err(err, errno, "making the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(s, fd) < 0)
            return sp_err(err, errno, "attaching the pty to fd %d", fd);
    *master = sp_steal_fd(&m);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the program                                                               */
/* ------------------------------------------------------------------------ */

static int check_exec(const char *path, const char *arg0, sp_error **err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return sp_err_status(err, SP_EXIT_NOTFOUND, errno, "process.args[0]: %s", arg0);
        return sp_err_status(err, SP_EXIT_NOEXEC, errno, "process.args[0]: %s", arg0);
    }
    if (S_ISDIR(st.st_mode))
        return sp_err_status(err, SP_EXIT_NOEXEC, EISDIR, "process.args[0]: %s", arg0);
    if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
        return sp_err_status(err, SP_EXIT_NOEXEC, EACCES, "process.args[0]: %s", arg0);
    return 0;
}

int sp_linux_find_exec(const struct sp_process *p, char **out, sp_error **err)
{
    const char *arg0 = p->args[0];
    if (strchr(arg0, '/')) {
        if (check_exec(arg0, arg0, err) < 0)
            return -1;
        *out = sp_xstrdup(arg0);
        return 0;
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t i = 0; p->env[i]; i++)
        if (strncmp(p->env[i], "PATH=", 5) == 0)
            path = p->env[i] + 5;
    bool noexec = false;
    _cleanup_free_ char *copy = sp_xstrdup(path);
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *cand = sp_path_join(*dir ? dir : ".", arg0);
        sp_error *e = NULL;
        if (check_exec(cand, arg0, &e) == 0) {
            *out = sp_steal_ptr(&cand);
            return 0;
        }
        noexec |= sp_error_status(e) == SP_EXIT_NOEXEC && e->errnum != EISDIR;
        sp_error_free(&e);
    }
    if (noexec)
        return sp_err_status(err, SP_EXIT_NOEXEC, EACCES, "process.args[0]: %s", arg0);
    return sp_err_status(err, SP_EXIT_NOTFOUND, 0,
                         "process.args[0]: %s: executable file not found in $PATH", arg0);
}

int sp_linux_chdir(const struct sp_process *p, sp_error **err)
{
    if (chdir(p->cwd) == 0)
        return 0;
    if (errno == ENOENT) {
        sp_error *e = NULL;
        if (mkdir_parents(p->cwd, true, &e) == 0 && chdir(p->cwd) == 0)
            return 0;
        sp_error_free(&e);
    }
    return sp_err(err, errno, "process.cwd: %s", p->cwd);
}
