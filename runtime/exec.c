/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec: a new process in a running container.
 *
 *   septa (parent, subreaper)        helper (child)               process (grandchild)
 *   pidfd of the init, checked
 *   fork ------------------------->  [v1: join the cgroups itself]
 *                                    setns(pidfd, every ns)
 *                                    clone3(CLONE_PARENT) ------>  (our child, in the
 *                                    exit                          container's pid ns)
 *   [v2: attach to cgroup]
 *   GO ------------------------------------------------------->   pty, cwd, args[0]
 *                                                                  security (security.h)
 *   pid file, console socket  <---------------------------------   READY
 *   wait / forward signals                                         seccomp, execve
 *
 * setns through a pidfd joins all namespaces of exactly that process at once,
 * so a recycled pid can never put the process somewhere else.
 */
#include "cgroup.h"
#include "linux.h"
#include "runtime.h"
#include "security.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/sched.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int parse_user_opt(const char *s, struct sp_process *p, sp_error **err)
{
    _cleanup_free_ char *u = sp_xstrdup(s);
    char *colon = strchr(u, ':');
    if (colon)
        *colon = 0;
    int64_t v;
    if (sp_parse_i64(u, 0, UINT32_MAX - 1, &v, NULL) < 0)
        return sp_err(err, 0, "exec: --user '%s': expected UID[:GID] as numbers", s);
    p->uid = (uid_t)v;
    if (colon) {
        if (sp_parse_i64(colon + 1, 0, UINT32_MAX - 1, &v, NULL) < 0)
            return sp_err(err, 0, "exec: --user '%s': expected UID[:GID] as numbers", s);
        p->gid = (gid_t)v;
    }
    return 0;
}

/* "net_admin", "CAP_NET_ADMIN" -> 12, as runc accepts them. */
static int exec_cap(const char *name, sp_error **err)
{
    _cleanup_free_ char *up =
        strncasecmp(name, "CAP_", 4) == 0 ? sp_xstrdup(name) : sp_xasprintf("CAP_%s", name);
    for (char *q = up; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    int cap = sp_cap_from_name(up);
    if (cap < 0)
        return sp_err(err, 0, "exec: --cap '%s': unknown capability", name);
    if (cap > sp_cap_last_cap())
        return sp_err(err, 0, "exec: --cap '%s': this kernel does not know it", name);
    return cap;
}

/*
 * runc's exec flags, on top of the container's process: --cap adds to the
 * bounding, effective and permitted sets, and to ambient where inheritable
 * already has it (the kernel needs both), so that a non-root user keeps it
 * across execve; --no-new-privs; an LSM label only where the LSM is on.
 */
static int apply_exec_flags(struct sp_process *p, const struct sp_exec_opts *o, sp_error **err)
{
    struct sp_proc_security *ps = p->sec;
    for (size_t i = 0; o->caps && o->caps[i]; i++) {
        int cap = exec_cap(o->caps[i], err);
        if (cap < 0)
            return -1;
        uint64_t bit = UINT64_C(1) << cap;
        ps->caps->sets[SP_CAP_BOUNDING] |= bit;
        ps->caps->sets[SP_CAP_EFFECTIVE] |= bit;
        ps->caps->sets[SP_CAP_PERMITTED] |= bit;
        if (ps->caps->sets[SP_CAP_INHERITABLE] & bit)
            ps->caps->sets[SP_CAP_AMBIENT] |= bit;
    }
    if (o->no_new_privs)
        ps->no_new_privileges = true;
    if (o->apparmor) {
        if (!sp_lsm_apparmor_enabled())
            return sp_err(err, ENOTSUP, "exec: --apparmor %s: AppArmor is not enabled on this host",
                          o->apparmor);
        free(ps->apparmor_profile);
        ps->apparmor_profile = sp_xstrdup(o->apparmor);
    }
    if (o->process_label) {
        if (!sp_lsm_selinux_enabled())
            return sp_err(err, ENOTSUP,
                          "exec: --process-label %s: SELinux is not enabled on this host",
                          o->process_label);
        free(ps->selinux_label);
        ps->selinux_label = sp_xstrdup(o->process_label);
    }
    return 0;
}

/* The process to run: --process FILE, or the container's process with overrides. */
static int build_process(struct sp_config *c, const struct sp_exec_opts *o, sp_jdoc **pdoc,
                         sp_error **err)
{
    struct sp_process *p = &c->process;
    bool flags = (o->caps && o->caps[0]) || o->no_new_privs || o->apparmor || o->process_label;
    if (o->process_file && flags)
        return sp_err(err, 0,
                      "exec: --cap, --no-new-privs, --apparmor and --process-label change the "
                      "container's process; with --process put them in that file");
    if (o->process_file) {
        if (sp_jdoc_load_file(o->process_file, o->process_file, pdoc, err) < 0)
            return sp_err_wrap(err, "exec: --process");
        struct sp_process np;
        if (sp_process_parse(*pdoc, (*pdoc)->root, "", &np, err) < 0)
            return sp_err_wrap(err, "exec: --process");
        sp_process_clear(p);
        *p = np;
    } else {
        if (!o->args || !o->args[0])
            return sp_err(err, 0, "exec: missing command (give it after the ID, or --process)");
        sp_strv_free(p->args);
        size_t n = sp_strv_len(o->args);
        p->args = sp_xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            p->args[i] = sp_xstrdup(o->args[i]);
        size_t ne = sp_strv_len(p->env), na = o->env ? sp_strv_len(o->env) : 0;
        p->env = sp_xrealloc(p->env, (ne + na + 1) * sizeof(char *));
        for (size_t i = 0; i < na; i++) {
            if (!strchr(o->env[i], '='))
                return sp_err(err, 0, "exec: --env '%s': expected KEY=VALUE", o->env[i]);
            p->env[ne + i] = sp_xstrdup(o->env[i]);
        }
        p->env[ne + na] = NULL;
        if (o->cwd) {
            if (o->cwd[0] != '/')
                return sp_err(err, 0, "exec: --cwd '%s': must be an absolute path", o->cwd);
            free(p->cwd);
            p->cwd = sp_xstrdup(o->cwd);
        }
        if (o->user && parse_user_opt(o->user, p, err) < 0)
            return -1;
        p->terminal = o->tty;
        if (apply_exec_flags(p, o, err) < 0)
            return -1;
    }
    if (p->terminal && o->detach && !o->console_socket)
        return sp_err(err, 0, "exec: a terminal with --detach needs --console-socket");
    if (!p->terminal && o->console_socket)
        return sp_err(err, 0, "exec: --console-socket given without a terminal (-t)");
    return 0;
}

struct exec_child {
    const struct sp_config *c;
    int sock;
    int pidfd;
    int preserve_fds;
    struct sp_cgroup *join; /* v1: joined by the helper, so the process is born there */
};

static _Noreturn void process_main(struct exec_child *a)
{
    sp_error *err = NULL;
    _cleanup_free_ char *exe = NULL;
    const struct sp_process *p = &a->c->process;
    struct sp_sync_msg m;
    if (sp_sync_recv(a->sock, &m, NULL, &err) < 0 || m.type != SP_SYNC_MAPS_DONE)
        _exit(SP_EXIT_SEPTA);
    if (p->terminal) {
        _cleanup_close_ int master = -1;
        if (sp_linux_setup_pty(p, false, &master, &err) < 0)
            goto fail;
        if (sp_sync_send(a->sock, SP_SYNC_PTY, 0, 0, NULL, master) < 0)
            _exit(SP_EXIT_SEPTA);
    } else if (setsid() < 0) {
        /* A session of its own, as runc: signals to the caller's group stay there. */
    }
    if (sp_linux_chdir(p, &err) < 0 || sp_linux_find_exec(p, &exe, &err) < 0)
        goto fail;
    if (sp_security_apply(a->c->sec, p, &err) < 0)
        goto fail;
    sp_linux_cloexec_from(3 + a->preserve_fds);
    for (int fd = 3; fd < 3 + a->preserve_fds; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    if (sp_sync_send(a->sock, SP_SYNC_READY, 0, 0, NULL, -1) < 0)
        _exit(SP_EXIT_SEPTA);
    /* Seccomp last: nothing of septa's runs under the workload's filter. */
    if (sp_security_apply_last(a->c->sec, p, &err) < 0) {
        dprintf(2, "septa: exec: %s\n", err && err->msg ? err->msg : "?");
        _exit(SP_EXIT_SEPTA);
    }
    execve(exe, p->args, p->env);
    int e = errno;
    dprintf(2, "septa: exec %s: %s\n", exe, strerror(e));
    _exit(e == ENOENT ? SP_EXIT_NOTFOUND : SP_EXIT_NOEXEC);
fail:
    sp_sync_send_error(a->sock, err);
    _exit(sp_error_status(err));
}

static _Noreturn void helper_main(struct exec_child *a)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int flags = 0;
    for (int k = 0; k < SP_NS_COUNT; k++)
        if (a->c->ns[k].enabled)
            flags |= sp_ns_clone_flag(k);
    /* v1: still on the host side, the helper joins the container's cgroups
     * itself (no RCU grace period, see sp_cgroup_join_self); the process it
     * clones is born in them. */
    if (a->join) {
        sp_error *err = NULL;
        if (sp_cgroup_join_self(a->join, &err) < 0) {
            sp_sync_send_error(a->sock, err);
            _exit(SP_EXIT_SEPTA);
        }
    }
    if (setns(a->pidfd, flags) < 0) {
        sp_error *err = NULL;
        sp_err(&err, errno, "exec: joining the container's namespaces");
        sp_sync_send_error(a->sock, err);
        _exit(SP_EXIT_SEPTA);
    }
    /* CLONE_PARENT: the process is septa's child, so septa can wait for it. */
    struct clone_args ca = {.flags = CLONE_PARENT};
    long pid = syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid == 0)
        process_main(a);
    if (pid < 0) {
        sp_error *err = NULL;
        sp_err(&err, errno, "exec: creating the process in the container's pid namespace");
        sp_sync_send_error(a->sock, err);
        _exit(SP_EXIT_SEPTA);
    }
    /* The helper is in septa's pid namespace: this is the host pid. */
    struct sp_sync_msg m = {.type = SP_SYNC_PID, .value = (int32_t)pid};
    if (send(a->sock, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
        _exit(SP_EXIT_SEPTA);
    _exit(0);
}

static int send_console(const char *path, int master, sp_error **err)
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

int sp_container_exec(const char *root, const char *id, const struct sp_exec_opts *o, int *status,
                      sp_error **err)
{
    *status = 0;
    _cleanup_close_ int dirfd = sp_state_open_dir(root, id, err);
    if (dirfd < 0)
        return -1;
    _cleanup_state_ struct sp_state *s = NULL;
    if (sp_state_read(dirfd, id, &s, err) < 0)
        return -1;
    const char *st = sp_state_status(dirfd, s);
    if (strcmp(st, "running") != 0 && strcmp(st, "created") != 0)
        return sp_err(err, 0, "container %s is %s: cannot exec in it", id, st);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_read_file(dirfd, "config.json", SP_JSON_MAX_SIZE, &text, &len, err) < 0)
        return sp_err_wrap(err, "container %s", id);
    _cleanup_config_ struct sp_config *c = NULL;
    if (sp_config_parse_buf(text, len, s->bundle, &c, err) < 0)
        return sp_err_wrap(err, "container %s: its config", id);
    _cleanup_jdoc_ sp_jdoc *pdoc = NULL;
    if (build_process(c, o, &pdoc, err) < 0)
        return -1;
    _cleanup_free_ char *cache = sp_xasprintf("%s.seccomp-cache", root);
    /* The process joins the mounts the init made: no id-mapped trees to prepare. */
    c->sec->config = NULL;
    if (sp_security_prepare(c->sec, id, s->bundle, cache, err) < 0)
        return -1;
    _cleanup_close_ int pidfd = sp_state_pidfd(s);
    if (pidfd < 0)
        return sp_err(err, ESRCH, "container %s is not running", id);
    _cleanup_cgroup_ struct sp_cgroup *cg = NULL;
    if (s->cgroup && sp_cgroup_from_json(s->cgroup, &cg, err) < 0)
        return sp_err_wrap(err, "container %s", id);

    sigset_t all, old;
    sigfillset(&all);
    _cleanup_close_ int sfd = -1;
    if (!o->detach) {
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigprocmask(SIG_BLOCK, &all, &old);
        sfd = signalfd(-1, &all, SFD_CLOEXEC);
        if (sfd < 0) {
            int e = errno;
            sigprocmask(SIG_SETMASK, &old, NULL);
            return sp_err(err, e, "exec: signalfd");
        }
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return sp_err(err, errno, "socketpair");
    _cleanup_close_ int psock = sv[0];
    _cleanup_close_ int csock = sv[1];
    struct exec_child a = {.c = c, .sock = csock, .pidfd = pidfd, .preserve_fds = o->preserve_fds};
    if (cg && sp_cgroup_mode_of(cg) != SP_CGROUP_V2)
        a.join = cg;
    pid_t helper = fork();
    if (helper < 0)
        return sp_err(err, errno, "exec: fork");
    if (helper == 0) {
        close(psock);
        helper_main(&a);
    }
    close(sp_steal_fd(&csock));
    int hs = 0;
    while (waitpid(helper, &hs, 0) < 0 && errno == EINTR)
        ;
    int r = -1;
    pid_t proc = 0;
    _cleanup_close_ int ppidfd = -1;
    _cleanup_close_ int master = -1;
    struct termios saved_tio;
    bool raw = false;
    {
        struct sp_sync_msg m;
        if (sp_sync_recv(psock, &m, NULL, err) < 0)
            goto out;
        if (m.type == SP_SYNC_ERROR) {
            sp_err_status(err, m.status > 0 ? m.status : SP_EXIT_SEPTA, 0, "%s", m.msg);
            goto out;
        }
        if (m.type != SP_SYNC_PID || m.value <= 0 || !WIFEXITED(hs) || WEXITSTATUS(hs) != 0) {
            sp_err(err, EPROTO, "exec: the helper process failed");
            goto out;
        }
        proc = (pid_t)m.value;
    }
    ppidfd = (int)syscall(SYS_pidfd_open, proc, 0);
    if (cg && !a.join && sp_cgroup_attach(cg, proc, err) < 0)
        goto out;
    if (sp_sync_send(psock, SP_SYNC_MAPS_DONE, 0, 0, NULL, -1) < 0) {
        sp_err(err, errno, "exec: talking to the new process");
        goto out;
    }
    for (;;) {
        struct sp_sync_msg m;
        int fd = -1;
        if (sp_sync_recv(psock, &m, &fd, err) < 0)
            goto out;
        if (m.type == SP_SYNC_READY)
            break;
        if (m.type == SP_SYNC_ERROR) {
            sp_err_status(err, m.status > 0 ? m.status : SP_EXIT_SEPTA, 0, "%s", m.msg);
            goto out;
        }
        if (m.type == SP_SYNC_PTY && fd >= 0) {
            if (o->console_socket) {
                int rr = send_console(o->console_socket, fd, err);
                close(fd);
                if (rr < 0)
                    goto out;
            } else {
                master = fd;
            }
        } else if (fd >= 0) {
            close(fd);
        }
    }
    if (o->pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", proc);
        if (sp_atomic_write(AT_FDCWD, o->pid_file, buf, (size_t)n, 0644, err) < 0) {
            sp_err_wrap(err, "--pid-file");
            goto out;
        }
    }
    if (o->detach) {
        proc = 0;
        r = 0;
        goto out;
    }
    if (master >= 0 && isatty(0) && tcgetattr(0, &saved_tio) == 0) {
        struct termios t = saved_tio;
        cfmakeraw(&t);
        raw = tcsetattr(0, TCSANOW, &t) == 0;
    }
    sp_wait_foreground(proc, ppidfd, master, sfd, status);
    if (raw)
        tcsetattr(0, TCSANOW, &saved_tio);
    proc = 0;
    r = 0;
out:
    if (proc > 0) {
        kill(proc, SIGKILL);
        waitpid(proc, NULL, 0);
    }
    if (!o->detach)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
