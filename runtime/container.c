/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container lifecycle: create, start, run, state, kill, delete, list, pids.
 *
 * create is two processes and one socketpair.  The parent (septa) owns the
 * host side: state directory, cgroup, id maps, pid file, console socket.  The
 * child becomes the container's init: it sets up its world, reports READY
 * and blocks opening the exec fifo until `start` opens the other end.  The
 * protocol, in order:
 *
 *   parent                                child (in its new namespaces)
 *   state dir + exec.fifo, cgroup
 *   clone3(CLONE_NEW*, CLONE_INTO_CGROUP)
 *                               <------    [v1: JOINED its cgroups itself]
 *   [v1 + userns: attach it] [write id maps]
 *   GO  ------------------------------>   wait GO (so cgroup and uid are final)
 *                                          cgroup ns, time ns, sysctl
 *                                          mounts, /dev, pivot_root, masks
 *                                          hostname, pty  --PTY(fd)-->  console socket
 *                                          find args[0] (127/126)
 *                                          security (security.h order)
 *   state.json "created", pid file <----   READY
 *   exit                                   open exec.fifo (blocks until start)
 *                                          seccomp, execve
 */
#include "cgroup.h"
#include "linux.h"
#include "runtime.h"
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>

extern char **environ;

int sp_linux_finish_rootfs(const struct sp_config *c, sp_error **err);

/* ------------------------------------------------------------------------ */
/* the child: becomes the container's init                                   */
/* ------------------------------------------------------------------------ */

struct child_args {
    const struct sp_config *c;
    int sock; /* child's end of the socketpair */
    int fifo; /* O_PATH fd of exec.fifo, -1 for none */
    int preserve_fds;
    bool console; /* process.terminal */
    struct sp_cgroup *join; /* v1: the cgroup the child joins itself, else NULL */
};

static void child_reset_signals(void)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

static int child_wait_go(int sock, sp_error **err)
{
    struct sp_sync_msg m;
    if (sp_sync_recv(sock, &m, NULL, err) < 0)
        return -1;
    if (m.type != SP_SYNC_MAPS_DONE)
        return sp_err(err, EPROTO, "unexpected message %d from septa", m.type);
    return 0;
}

static int child_setup(struct child_args *a, int *procfd, char **exe, sp_error **err)
{
    const struct sp_config *c = a->c;
    if (child_wait_go(a->sock, err) < 0)
        return -1;
    if (c->ns[SP_NS_USER].enabled) {
        /* Now that the maps exist, become root of the container's user namespace. */
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
            return sp_err(err, errno,
                          "linux.uidMappings: becoming root in the user namespace "
                          "(is container id 0 mapped?)");
    }
    /* After the parent placed us in our cgroup, so the namespace is rooted there. */
    if (c->ns[SP_NS_CGROUP].enabled && !c->ns[SP_NS_CGROUP].path && unshare(CLONE_NEWCGROUP) < 0)
        return sp_err(err, errno, "creating the cgroup namespace");
    if (sp_linux_set_time_offsets(c, err) < 0 || sp_linux_set_sysctls(c, err) < 0)
        return -1;
    /* Host /proc, kept to reopen the fifo after pivot_root (fd closed at exec). */
    *procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*procfd < 0)
        return sp_err(err, errno, "opening /proc");
    /* Our copy of the config (fork semantics): the child may fill in its sec. */
    if (sp_security_hooks_create_container_prepare((struct sp_security *)c->sec, err) < 0)
        return -1;
    if (sp_linux_setup_rootfs(c, err) < 0 || sp_linux_set_hostname(c, err) < 0)
        return -1;
    if (a->console) {
        _cleanup_close_ int master = -1;
        if (sp_linux_setup_pty(&c->process, true, &master, err) < 0)
            return -1;
        if (sp_sync_send(a->sock, SP_SYNC_PTY, 0, 0, NULL, master) < 0)
            return sp_err(err, errno, "sending the pty to septa");
    }
    if (sp_linux_finish_rootfs(c, err) < 0)
        return -1;
    if (sp_linux_chdir(&c->process, err) < 0 || sp_linux_find_exec(&c->process, exe, err) < 0)
        return -1;
    return 0;
}

static _Noreturn void child_main(struct child_args *a)
{
    sp_error *err = NULL;
    int procfd = -1;
    char *exe = NULL;
    const struct sp_config *c = a->c;
    child_reset_signals();
    /* Die with the parent while it still owns us: no half-created orphans. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* v1: into the container's cgroups before anything else (see
     * sp_cgroup_join_self for why the child does it). */
    if (a->join) {
        if (sp_cgroup_join_self(a->join, &err) < 0)
            goto fail;
        if (sp_sync_send(a->sock, SP_SYNC_JOINED, 0, 0, NULL, -1) < 0)
            _exit(SP_EXIT_SEPTA);
    }
    if (child_setup(a, &procfd, &exe, &err) < 0)
        goto fail;
    if (sp_security_apply(c->sec, &c->process, &err) < 0)
        goto fail;
    /* No host fd reaches the container (CVE-2024-21626): close all at exec. */
    sp_linux_cloexec_from(3 + a->preserve_fds);
    for (int fd = 3; fd < 3 + a->preserve_fds; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    prctl(PR_SET_PDEATHSIG, 0);
    if (sp_sync_send(a->sock, SP_SYNC_READY, 0, 0, NULL, -1) < 0)
        _exit(SP_EXIT_SEPTA);
    close(a->sock);
    if (a->fifo >= 0) {
        /* Blocks until `start` opens the read end. */
        char path[64];
        snprintf(path, sizeof(path), "self/fd/%d", a->fifo);
        int w = openat(procfd, path, O_WRONLY | O_CLOEXEC);
        if (w < 0 || write(w, "0", 1) != 1) {
            dprintf(2, "septa: container init: opening the exec fifo: %s\n", strerror(errno));
            _exit(SP_EXIT_SEPTA);
        }
        close(w);
        close(a->fifo);
    }
    if (sp_security_hooks_start_container(c->sec, sp_security_host_pid(procfd), &err) < 0) {
        dprintf(2, "septa: container init: %s\n", err && err->msg ? err->msg : "?");
        _exit(SP_EXIT_SEPTA);
    }
    close(procfd);
    if (sp_security_apply_last(c->sec, &c->process, &err) < 0) {
        dprintf(2, "septa: container init: %s\n", err && err->msg ? err->msg : "?");
        _exit(SP_EXIT_SEPTA);
    }
    execve(exe, c->process.args, c->process.env);
    int e = errno;
    dprintf(2, "septa: container init: exec %s: %s\n", exe, strerror(e));
    _exit(e == ENOENT ? SP_EXIT_NOTFOUND : SP_EXIT_NOEXEC);
fail:
    sp_sync_send_error(a->sock, err);
    _exit(sp_error_status(err));
}

/* ------------------------------------------------------------------------ */
/* the parent                                                                */
/* ------------------------------------------------------------------------ */

struct create_ctx {
    const char *root, *id;
    const struct sp_create_opts *o;
    struct sp_config *c;
    int dirfd;
    bool dir_created;
    struct sp_cgroup *cg;
    pid_t pid;
    int pidfd;
    int master; /* pty master when run keeps it, else -1 */
    bool foreground;
    struct sp_state st;
};

/* Undo everything create did: used on any failure, so nothing is left behind. */
static void create_rollback(struct create_ctx *x)
{
    if (x->pidfd >= 0) {
        syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0);
        waitpid(x->pid, NULL, 0);
    }
    if (x->cg) {
        sp_error *e = NULL;
        if (sp_cgroup_destroy(x->cg, &e) < 0)
            sp_warn("rolling back container %s: %s", x->id, e->msg);
        sp_error_free(&e);
    }
    if (x->dir_created) {
        _cleanup_free_ char *path = sp_path_join(x->root, x->id);
        sp_error *e = NULL;
        if (sp_rm_rf_at(AT_FDCWD, path, &e) < 0)
            sp_warn("rolling back container %s: %s", x->id, e->msg);
        sp_error_free(&e);
    }
}

static void create_ctx_clear(struct create_ctx *x)
{
    if (x->dirfd >= 0)
        close(x->dirfd);
    if (x->pidfd >= 0)
        close(x->pidfd);
    if (x->master >= 0)
        close(x->master);
    sp_cgroup_free(x->cg);
    sp_config_free(x->c);
    free(x->st.bundle);
    free(x->st.created);
    json_decref(x->st.cgroup);
    json_decref(x->st.annotations);
}

static char *now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
    return sp_xstrdup(buf);
}

static int send_to_console_socket(const char *path, int master, sp_error **err)
{
    _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return sp_err(err, ENAMETOOLONG, "--console-socket %s", path);
    strcpy(sa.sun_path, path);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return sp_err(err, errno, "--console-socket: connecting to %s", path);
    if (sp_sync_send_raw_fd(s, master) < 0)
        return sp_err(err, errno, "--console-socket: sending the pty to %s", path);
    return 0;
}

static int write_pid_file(const char *path, pid_t pid, sp_error **err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", pid);
    if (sp_atomic_replace(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
        return sp_err_wrap(err, "--pid-file");
    return 0;
}

/* Move into joined namespaces the child must inherit; *saved restores ours. */
static int enter_joined(const struct sp_config *c, int saved[SP_NS_COUNT], sp_error **err)
{
    for (int k = 0; k < SP_NS_COUNT; k++)
        saved[k] = -1;
    for (int k = 0; k < SP_NS_COUNT; k++) {
        if (!c->ns[k].path)
            continue;
        if (k == SP_NS_USER)
            continue; /* joined by the child (clone_in_userns): septa must stay privileged */
        const char *self = k == SP_NS_PID    ? "/proc/self/ns/pid_for_children"
                           : k == SP_NS_TIME ? "/proc/self/ns/time_for_children"
                                             : NULL;
        _cleanup_free_ char *own =
            self ? sp_xstrdup(self) : sp_xasprintf("/proc/self/ns/%s", sp_ns_proc_name(k));
        saved[k] = open(own, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int fd = open(c->ns[k].path, O_RDONLY | O_CLOEXEC);
        if (saved[k] < 0 || fd < 0)
            return sp_err(err, errno, "linux.namespaces: opening %s", c->ns[k].path);
        if (setns(fd, sp_ns_clone_flag(k)) < 0)
            return sp_err(err, errno, "linux.namespaces: joining %s", c->ns[k].path);
    }
    return 0;
}

static void leave_joined(int saved[SP_NS_COUNT])
{
    for (int k = 0; k < SP_NS_COUNT; k++) {
        if (saved[k] < 0)
            continue;
        if (setns(saved[k], sp_ns_clone_flag(k)) < 0)
            sp_warn("returning to septa's own %s namespace: %s", sp_ns_proc_name(k),
                    strerror(errno));
        close(saved[k]);
        saved[k] = -1;
    }
}

/*
 * A user namespace joined by path: the new namespaces must belong to it, so
 * they are created by a helper that joined it first (septa itself must keep
 * its host privileges).  CLONE_PARENT makes the init septa's own child, as on
 * the direct path; the helper reports its host pid and exits.
 */
static int clone_in_userns(struct create_ctx *x, struct child_args *a, int parent_sock,
                           struct clone_args *ca, sp_error **err)
{
    _cleanup_close_ int ufd = open(x->c->ns[SP_NS_USER].path, O_RDONLY | O_CLOEXEC);
    if (ufd < 0)
        return sp_err(err, errno, "linux.namespaces: opening %s", x->c->ns[SP_NS_USER].path);
    struct clone_args helper = {.exit_signal = SIGCHLD};
    long hpid = syscall(SYS_clone3, &helper, sizeof(helper));
    if (hpid < 0)
        return sp_err(err, errno, "creating the namespace helper (clone3)");
    if (hpid == 0) {
        close(parent_sock);
        struct clone_args ia = *ca;
        ia.flags = (ia.flags & ~(uint64_t)(CLONE_PIDFD | CLONE_NEWUSER)) | CLONE_PARENT;
        ia.pidfd = 0;
        ia.exit_signal = 0; /* CLONE_PARENT: the kernel uses ours (SIGCHLD) */
        long pid = -1;
        if (setns(ufd, CLONE_NEWUSER) == 0)
            pid = syscall(SYS_clone3, &ia, sizeof(ia));
        if (pid == 0)
            child_main(a);
        if (pid < 0) {
            sp_error *e = NULL;
            sp_err(&e, errno, "linux.namespaces: joining %s and creating the init there",
                   x->c->ns[SP_NS_USER].path);
            sp_sync_send_error(a->sock, e);
            _exit(SP_EXIT_SEPTA);
        }
        struct sp_sync_msg m = {.type = SP_SYNC_PID, .value = (int32_t)pid};
        _exit(send(a->sock, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : 1);
    }
    int hs = 0;
    while (waitpid((pid_t)hpid, &hs, 0) < 0 && errno == EINTR)
        ;
    struct sp_sync_msg m;
    if (sp_sync_recv(parent_sock, &m, NULL, err) < 0)
        return -1;
    if (m.type == SP_SYNC_ERROR)
        return sp_err(err, m.errnum, "%s", m.msg);
    if (m.type != SP_SYNC_PID || m.value <= 0)
        return sp_err(err, EPROTO, "the namespace helper failed");
    x->pid = (pid_t)m.value;
    x->pidfd = (int)syscall(SYS_pidfd_open, x->pid, 0);
    if (x->pidfd < 0)
        return sp_err(err, errno, "pidfd of the container's init");
    return 0;
}

static int clone_init(struct create_ctx *x, struct child_args *a, int parent_sock, sp_error **err)
{
    const struct sp_config *c = x->c;
    uint64_t flags = CLONE_PIDFD;
    for (int k = 0; k < SP_NS_COUNT; k++) {
        /* cgroup and time namespaces are made by the child, at the right moment. */
        if (c->ns[k].enabled && !c->ns[k].path && k != SP_NS_CGROUP && k != SP_NS_TIME)
            flags |= (uint64_t)sp_ns_clone_flag(k);
    }
    int cgfd = x->cg ? sp_cgroup_dirfd(x->cg) : -1;
    struct clone_args ca = {
        .flags = flags, .pidfd = (uint64_t)(uintptr_t)&x->pidfd, .exit_signal = SIGCHLD};
    if (cgfd >= 0) {
        /* Born in its cgroup: no window where it is accounted to septa's. */
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t)cgfd;
    }
    int saved[SP_NS_COUNT];
    if (enter_joined(c, saved, err) < 0) {
        leave_joined(saved);
        return -1;
    }
    if (c->ns[SP_NS_USER].path) {
        int r = clone_in_userns(x, a, parent_sock, &ca, err);
        leave_joined(saved);
        return r;
    }
    long pid = syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid == 0) {
        close(parent_sock);
        child_main(a);
    }
    int e = errno;
    leave_joined(saved);
    if (pid < 0) {
        x->pidfd = -1;
        return sp_err(err, e, "creating the container's init (clone3)");
    }
    x->pid = (pid_t)pid;
    return 0;
}

static int parent_sync(struct create_ctx *x, const struct child_args *a, int sock,
                       sp_error **err)
{
    const struct sp_config *c = x->c;
    if (a->join) {
        /* The child joined its cgroups itself: wait for it, or its error. */
        struct sp_sync_msg m;
        if (sp_sync_recv(sock, &m, NULL, err) < 0)
            return -1;
        if (m.type == SP_SYNC_ERROR)
            return sp_err_status(err, m.status > 0 ? m.status : SP_EXIT_SEPTA, 0, "%s", m.msg);
        if (m.type != SP_SYNC_JOINED)
            return sp_err(err, EPROTO, "unexpected message %d from the container's init", m.type);
    } else if (x->cg && sp_cgroup_dirfd(x->cg) < 0 && sp_cgroup_attach(x->cg, x->pid, err) < 0) {
        return -1;
    }
    if (c->ns[SP_NS_USER].enabled && !c->ns[SP_NS_USER].path &&
        sp_linux_write_idmaps(x->pid, c, err) < 0)
        return -1;
    /* P3: the namespaces exist, the child has not pivoted yet. */
    x->st.pid = x->pid;
    x->st.start_time = sp_proc_start_time(x->pid);
    if (sp_state_write(x->dirfd, &x->st, "creating", err) < 0)
        return -1;
    _cleanup_json_ json_t *st = sp_state_to_oci(&x->st, "creating");
    json_object_set_new(st, "pid", json_integer(x->pid));
    if (sp_security_hooks_run(c->sec, SP_HOOK_PRESTART, st, err) < 0 ||
        sp_security_hooks_run(c->sec, SP_HOOK_CREATE_RUNTIME, st, err) < 0)
        return -1;
    if (sp_sync_send(sock, SP_SYNC_MAPS_DONE, 0, 0, NULL, -1) < 0)
        return sp_err(err, errno, "talking to the container's init");
    for (;;) {
        struct sp_sync_msg m;
        int fd = -1;
        if (sp_sync_recv(sock, &m, &fd, err) < 0)
            return -1;
        switch (m.type) {
        case SP_SYNC_READY:
            return 0;
        case SP_SYNC_ERROR:
            return sp_err_status(err, m.status > 0 ? m.status : SP_EXIT_SEPTA, 0, "%s", m.msg);
        case SP_SYNC_PTY:
            if (fd < 0)
                return sp_err(err, EPROTO, "the container's init sent no pty");
            if (x->o->console_socket) {
                int r = send_to_console_socket(x->o->console_socket, fd, err);
                close(fd);
                if (r < 0)
                    return -1;
            } else {
                x->master = fd;
            }
            break;
        default:
            if (fd >= 0)
                close(fd);
            return sp_err(err, EPROTO, "unexpected message %d from the container's init", m.type);
        }
    }
}

static int create_in(struct create_ctx *x, sp_error **err)
{
    const struct sp_create_opts *o = x->o;
    /*
     * CVE-2019-5736: the init runs septa's code until its execve, and a
     * process in the container can reach it through /proc/PID/exe: one that
     * shares or joins its pid namespace, one an `exec` starts while it waits
     * for `start` (runc allows that), a startContainer hook from the image.
     * So it always runs from a protected copy (runtime/exe.c: a read-only
     * overlay of the binary, ~1 ms; no copy is made).  First thing: nothing
     * exists yet, so starting over is free of side effects; callers that
     * made things before (the people CLI) protect before they do.
     */
    if (sp_runtime_protect_exe(err) < 0)
        return -1;
    if (sp_id_check(x->id, err) < 0)
        return -1;
    const char *bundle = o->bundle ? o->bundle : ".";
    if ((o->config_json
             ? sp_config_parse_buf(o->config_json, strlen(o->config_json), bundle, &x->c, err)
             : sp_config_load(bundle, &x->c, err)) < 0)
        return -1;
    struct sp_config *c = x->c;
    if (c->process.terminal && !o->console_socket && !x->foreground)
        return sp_err(err, 0, "process.terminal is true: --console-socket is required");
    if (!c->process.terminal && o->console_socket)
        return sp_err(err, 0, "--console-socket given but process.terminal is false");
    if (sp_mkdir_p(x->root, 0700, err) < 0)
        return sp_err_wrap(err, "runtime root");
    _cleanup_free_ char *dir = sp_path_join(x->root, x->id);
    if (mkdir(dir, 0711) < 0) {
        if (errno == EEXIST)
            return sp_err(err, EEXIST, "container %s already exists", x->id);
        return sp_err(err, errno, "creating %s", dir);
    }
    x->dir_created = true;
    x->dirfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (x->dirfd < 0)
        return sp_err(err, errno, "opening %s", dir);
    x->st.id = (char *)x->id;
    x->st.bundle = sp_xstrdup(c->bundle);
    x->st.created = now_rfc3339();
    x->st.annotations = c->annotations ? json_incref(c->annotations) : NULL;
    /* The cgroup too, as planned: a septa killed between its mkdir and the
     * next state write leaves a cgroup that delete --force still finds. */
    {
        _cleanup_cgroup_ struct sp_cgroup *plan = NULL;
        if (sp_cgroup_plan(c->cgroups_path, x->id, &plan, err) < 0)
            return sp_err_wrap(err, "linux.cgroupsPath");
        x->st.cgroup = sp_cgroup_to_json(plan);
    }
    /* Recorded before anything exists on the host, so delete can find it all. */
    if (sp_state_write(x->dirfd, &x->st, "creating", err) < 0)
        return -1;
    if (mkfifoat(x->dirfd, "exec.fifo", 0622) < 0)
        return sp_err(err, errno, "creating the exec fifo");
    /* Writable by the container's user whatever our umask: it opens it after setuid. */
    if (fchmodat(x->dirfd, "exec.fifo", 0622, 0) < 0)
        return sp_err(err, errno, "chmod of the exec fifo");
    _cleanup_close_ int fifo = openat(x->dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
    if (fifo < 0)
        return sp_err(err, errno, "opening the exec fifo");
    /* The config as created: exec takes its process defaults from it. */
    if (sp_atomic_replace(x->dirfd, "config.json", c->doc->text, c->doc->len, 0600, err) < 0)
        return -1;
    if (sp_cgroup_create(c->cgroups_path, x->id, c->cg_res, &x->cg, err) < 0)
        return sp_err_wrap(err, "linux.cgroupsPath");
    json_decref(x->st.cgroup);
    x->st.cgroup = sp_cgroup_to_json(x->cg);

    /* Compile (or load the cached) seccomp filter before there is a child to undo. */
    _cleanup_free_ char *cache = sp_xasprintf("%s.seccomp-cache", x->root);
    if (sp_security_prepare(c->sec, x->id, c->bundle, cache, err) < 0)
        return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return sp_err(err, errno, "socketpair");
    _cleanup_close_ int psock = sv[0];
    _cleanup_close_ int csock = sv[1];
    struct child_args a = {.c = c,
                           .sock = csock,
                           .fifo = fifo,
                           .preserve_fds = o->preserve_fds,
                           .console = c->process.terminal};
    /* v1 without a user namespace: the init joins its cgroups itself (no RCU
     * grace period); in a user namespace it may not write the host's
     * cgroupfs, so septa attaches it.  v2: born there (CLONE_INTO_CGROUP). */
    if (x->cg && sp_cgroup_dirfd(x->cg) < 0 && !c->ns[SP_NS_USER].enabled)
        a.join = x->cg;
    if (clone_init(x, &a, psock, err) < 0)
        return -1;
    close(sp_steal_fd(&csock));
    if (parent_sync(x, &a, psock, err) < 0)
        return sp_err_wrap(err, "creating container %s", x->id);
    x->st.pid = x->pid;
    x->st.start_time = sp_proc_start_time(x->pid);
    if (sp_state_write(x->dirfd, &x->st, "created", err) < 0)
        return -1;
    if (o->pid_file && write_pid_file(o->pid_file, x->pid, err) < 0)
        return -1;
    return 0;
}

int sp_container_create(const char *root, const char *id, const struct sp_create_opts *o,
                        sp_error **err)
{
    struct create_ctx x = {.root = root, .id = id, .o = o, .dirfd = -1, .pidfd = -1, .master = -1};
    int r = create_in(&x, err);
    if (r < 0)
        create_rollback(&x);
    create_ctx_clear(&x);
    return r;
}

/* ------------------------------------------------------------------------ */
/* start                                                                     */
/* ------------------------------------------------------------------------ */

/* Open the fifo's read end: the init's blocked open returns and it execs. */
static int release_init(int dirfd, int pidfd, const char *id, sp_error **err)
{
    _cleanup_close_ int fifo = openat(dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0) {
        if (errno == ENOENT)
            return sp_err(err, 0, "container %s: already started", id);
        return sp_err(err, errno, "container %s: opening the exec fifo", id);
    }
    struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sp_err(err, errno, "container %s: waiting for its init", id);
        if (p[0].revents & POLLIN) {
            char b;
            if (read(fifo, &b, 1) == 1)
                break;
        }
        if (p[1].revents)
            return sp_err(err, 0, "container %s: its init exited before start", id);
        if (p[0].revents & (POLLHUP | POLLERR)) {
            /* Writer gone without a byte: poll the pidfd alone. */
            p[0].fd = -1;
        }
    }
    if (unlinkat(dirfd, "exec.fifo", 0) < 0)
        return sp_err(err, errno, "container %s: removing the exec fifo", id);
    return 0;
}

int sp_container_start(const char *root, const char *id, sp_error **err)
{
    _cleanup_close_ int dirfd = sp_state_open_dir(root, id, err);
    if (dirfd < 0)
        return -1;
    _cleanup_close_ int lock = sp_lock_file(dirfd, ".lock", true, true, err);
    if (lock < 0)
        return -1;
    _cleanup_state_ struct sp_state *s = NULL;
    if (sp_state_read(dirfd, id, &s, err) < 0)
        return -1;
    const char *status = sp_state_status(dirfd, s);
    if (strcmp(status, "created") != 0)
        return sp_err(err, 0, "container %s is %s, not created: cannot start it", id, status);
    _cleanup_close_ int pidfd = sp_state_pidfd(s);
    if (pidfd < 0)
        return sp_err(err, errno, "container %s: its init is gone", id);
    if (release_init(dirfd, pidfd, id, err) < 0)
        return -1;
    /* No state write: with the fifo gone the status reads "running". */
    _cleanup_json_ json_t *oci = sp_state_to_oci(s, "running");
    if (sp_security_hooks_poststart(root, oci, err) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* run: create + start, then wait in the foreground                          */
/* ------------------------------------------------------------------------ */

int sp_exit_status_of(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return SP_EXIT_SEPTA;
}

/* Copy what is readable from `from` to `to`; false at EOF or error. */
static bool pump(int from, int to)
{
    char buf[4096];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0)
        return n < 0 && (errno == EINTR || errno == EAGAIN);
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        off += w;
    }
    return true;
}

/*
 * The foreground loop: every signal septa gets goes to the init (so ^C and
 * `kill septa` reach the workload), SIGWINCH resizes the pty, and as the
 * subreaper septa reaps whatever the container orphans until the init exits.
 */
int sp_wait_foreground(pid_t child, int pidfd, int master, int sfd, int *status)
{
    bool in_open = master >= 0, out_open = master >= 0;
    if (master >= 0 && isatty(0)) {
        struct winsize ws;
        if (ioctl(0, TIOCGWINSZ, &ws) == 0)
            ioctl(master, TIOCSWINSZ, &ws);
    }
    for (;;) {
        struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                              {.fd = out_open ? master : -1, .events = POLLIN},
                              {.fd = in_open ? 0 : -1, .events = POLLIN}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return SP_EXIT_SEPTA;
        }
        if (p[1].revents && !pump(master, 1))
            out_open = false;
        if (p[2].revents && !pump(0, master))
            in_open = false;
        if (!(p[0].revents & POLLIN))
            continue;
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof(si)) != sizeof(si))
            continue;
        if (si.ssi_signo == SIGWINCH) {
            struct winsize ws;
            if (master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
                ioctl(master, TIOCSWINSZ, &ws);
        } else if (si.ssi_signo != SIGCHLD) {
            syscall(SYS_pidfd_send_signal, pidfd, si.ssi_signo, NULL, 0);
        }
        int ws;
        pid_t pid;
        bool done = false;
        while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
            if (pid == child) {
                *status = sp_exit_status_of(ws);
                done = true;
            }
        }
        if (done) {
            /* Whatever the init wrote before exiting is still in the pty. */
            while (out_open && pump(master, 1)) {
                struct pollfd q = {.fd = master, .events = POLLIN};
                if (poll(&q, 1, 0) <= 0)
                    break;
            }
            return 0;
        }
    }
}

int sp_container_run(const char *root, const char *id, const struct sp_create_opts *o, int *status,
                     sp_error **err)
{
    return sp_container_run_report(root, id, o, status, NULL, err);
}

/* The OOM verdict lives in the cgroup, which the rollback removes: read it first. */
static void read_report(struct sp_cgroup *cg, struct sp_run_report *rep)
{
    _cleanup_error_ sp_error *e = NULL, *e2 = NULL;
    if (sp_cgroup_oom_kills(cg, &rep->oom_kills, &e) < 0)
        rep->oom_kills = 0;
    if (sp_cgroup_memory_limit(cg, &rep->memory_limit, &e2) < 0)
        rep->memory_limit = -1;
}

int sp_container_run_report(const char *root, const char *id, const struct sp_create_opts *o,
                            int *status, struct sp_run_report *rep, sp_error **err)
{
    if (rep)
        *rep = (struct sp_run_report){.oom_kills = 0, .memory_limit = -1};
    struct create_ctx x = {.root = root,
                           .id = id,
                           .o = o,
                           .dirfd = -1,
                           .pidfd = -1,
                           .master = -1,
                           .foreground = !o->detach};
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    _cleanup_close_ int sfd = -1;
    struct termios saved_tio;
    bool raw = false;
    int r = -1;
    *status = 0;
    if (x.foreground) {
        /* Orphans of the container are re-parented to us and reaped. */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigprocmask(SIG_BLOCK, &all, &old);
        sfd = signalfd(-1, &all, SFD_CLOEXEC);
        if (sfd < 0) {
            sp_err(err, errno, "signalfd");
            goto out;
        }
    }
    if (create_in(&x, err) < 0)
        goto out;
    if (x.c->process.terminal && o->detach && !o->console_socket) {
        sp_err(err, 0, "process.terminal with --detach needs --console-socket");
        goto out;
    }
    if (release_init(x.dirfd, x.pidfd, id, err) < 0)
        goto out;
    /* No state write: with the fifo gone the status reads "running". */
    x.st.started = true;
    x.st.pid = x.pid;
    {
        _cleanup_json_ json_t *oci = sp_state_to_oci(&x.st, "running");
        if (sp_security_hooks_poststart(root, oci, err) < 0)
            goto out;
    }
    if (o->detach) {
        r = 0;
        /* The container lives on: nothing to roll back. */
        close(sp_steal_fd(&x.pidfd));
        x.dir_created = false;
        sp_cgroup_free(sp_steal_ptr(&x.cg));
        goto out;
    }
    if (x.master >= 0 && isatty(0) && tcgetattr(0, &saved_tio) == 0) {
        struct termios t = saved_tio;
        cfmakeraw(&t);
        raw = tcsetattr(0, TCSANOW, &t) == 0;
    }
    sp_wait_foreground(x.pid, x.pidfd, x.master, sfd, status);
    if (rep && x.cg)
        read_report(x.cg, rep);
    x.pid = 0;
    close(sp_steal_fd(&x.pidfd));
    if (raw)
        tcsetattr(0, TCSANOW, &saved_tio);
    /* The init is gone: take down the rest and every trace of the container. */
    {
        _cleanup_json_ json_t *oci = sp_state_to_oci(&x.st, "stopped");
        sp_error *e = NULL;
        if (sp_security_hooks_poststop(root, oci, &e) < 0)
            sp_warn("%s", e->msg);
        sp_error_free(&e);
    }
    r = 0;
out:
    if (r < 0 || x.foreground)
        create_rollback(&x);
    if (x.foreground) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    create_ctx_clear(&x);
    return r;
}
