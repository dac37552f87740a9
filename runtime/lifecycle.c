/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verbs that act on an existing container: state, kill, delete, list,
 * pids.  Each takes the container's lock, reads its state and checks the
 * recorded init is still the same process (pidfd + start time) before acting.
 */
#include "cgroup.h"
#include "linux.h"
#include "runtime.h"
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int sp_signal_parse(const char *s, int *sig, sp_error **err)
{
    int64_t n;
    if (s[0] >= '0' && s[0] <= '9') {
        if (sp_parse_i64(s, 1, SIGRTMAX, &n, NULL) < 0)
            return sp_err(err, 0, "signal '%s': not a signal number (1..%d)", s, SIGRTMAX);
        *sig = (int)n;
        return 0;
    }
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    for (size_t i = 0; i < SP_ARRAY_SIZE(signals); i++) {
        if (strcasecmp(name, signals[i].name) == 0) {
            *sig = signals[i].sig;
            return 0;
        }
    }
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        bool min = strncasecmp(name, "RTMIN", 5) == 0;
        n = 0;
        if (name[5] &&
            (sp_parse_i64(name + 5, min ? 0 : -SIGRTMAX, min ? SIGRTMAX : 0, &n, NULL) < 0))
            return sp_err(err, 0, "signal '%s': unknown", s);
        int v = (min ? SIGRTMIN : SIGRTMAX) + (int)n;
        if (v < SIGRTMIN || v > SIGRTMAX)
            return sp_err(err, 0, "signal '%s': out of range", s);
        *sig = v;
        return 0;
    }
    return sp_err(err, 0, "signal '%s': unknown signal name", s);
}

int sp_container_state(const char *root, const char *id, json_t **out, sp_error **err)
{
    _cleanup_close_ int dirfd = sp_state_open_dir(root, id, err);
    if (dirfd < 0)
        return -1;
    _cleanup_state_ struct sp_state *s = NULL;
    if (sp_state_read(dirfd, id, &s, err) < 0)
        return -1;
    const char *status = sp_state_status(dirfd, s);
    if (strcmp(status, "running") == 0 && s->cgroup) {
        _cleanup_cgroup_ struct sp_cgroup *cg = NULL;
        bool frozen = false;
        sp_error *e = NULL;
        if (sp_cgroup_from_json(s->cgroup, &cg, &e) == 0 &&
            sp_cgroup_is_frozen(cg, &frozen, &e) == 0 && frozen)
            status = "paused";
        sp_error_free(&e);
    }
    *out = sp_state_to_oci(s, status);
    return 0;
}

int sp_container_kill(const char *root, const char *id, int sig, bool all, sp_error **err)
{
    _cleanup_close_ int dirfd = sp_state_open_dir(root, id, err);
    if (dirfd < 0)
        return -1;
    _cleanup_state_ struct sp_state *s = NULL;
    if (sp_state_read(dirfd, id, &s, err) < 0)
        return -1;
    const char *status = sp_state_status(dirfd, s);
    if (strcmp(status, "created") != 0 && strcmp(status, "running") != 0)
        return sp_err(err, ESRCH, "container %s is %s: nothing to signal", id, status);
    if (all && s->cgroup) {
        _cleanup_cgroup_ struct sp_cgroup *cg = NULL;
        if (sp_cgroup_from_json(s->cgroup, &cg, err) < 0 || sp_cgroup_kill_all(cg, sig, err) < 0)
            return sp_err_wrap(err, "container %s: signalling every process", id);
        return 0;
    }
    _cleanup_close_ int pidfd = sp_state_pidfd(s);
    if (pidfd < 0)
        return sp_err(err, ESRCH, "container %s is not running", id);
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        return sp_err(err, errno, "container %s: sending signal %d to pid %d", id, sig, s->pid);
    return 0;
}

/* Wait until the process behind pidfd has exited (it may not be our child). */
static int wait_pidfd(int pidfd, int timeout_ms)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r > 0 ? 0 : -1;
}

int sp_container_delete(const char *root, const char *id, bool force, sp_error **err)
{
    sp_error *e = NULL;
    int dirfd = sp_state_open_dir(root, id, &e);
    if (dirfd < 0) {
        if (force && e && e->errnum == ENOENT) {
            sp_error_free(&e);
            return 0;
        }
        *err = e;
        return -1;
    }
    _cleanup_close_ int dfd = dirfd;
    _cleanup_close_ int lock = sp_lock_file(dirfd, ".lock", true, true, err);
    if (lock < 0)
        return -1;
    _cleanup_state_ struct sp_state *s = NULL;
    if (sp_state_read(dirfd, id, &s, err) < 0) {
        if (!force)
            return -1;
        sp_error_free(err);
    }
    if (s) {
        const char *status = sp_state_status(dirfd, s);
        _cleanup_cgroup_ struct sp_cgroup *cg = NULL;
        if (s->cgroup && sp_cgroup_from_json(s->cgroup, &cg, err) < 0)
            return sp_err_wrap(err, "container %s: opening its cgroup", id);
        bool frozen = false;
        if (cg && strcmp(status, "running") == 0 && sp_cgroup_is_frozen(cg, &frozen, &e) < 0)
            sp_error_free(&e);
        if (strcmp(status, "running") == 0 && !force)
            return sp_err(err, EBUSY, "container %s is %s: stop it first or use --force", id,
                          frozen ? "paused" : "running");
        _cleanup_close_ int pidfd = sp_state_pidfd(s);
        if (pidfd >= 0) {
            /* created, or running/paused with --force: everything in the
             * cgroup goes first.  A frozen task (v1 freezer) cannot die until
             * thawed; killing through the cgroup thaws it. */
            if (cg && sp_cgroup_kill_all(cg, SIGKILL, &e) < 0) {
                sp_warn("container %s: %s", id, e->msg);
                sp_error_free(&e);
            }
            syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
            if (wait_pidfd(pidfd, 10000) < 0)
                return sp_err(err, ETIMEDOUT, "container %s: its init did not die", id);
        }
        if (cg && sp_cgroup_destroy(cg, err) < 0)
            return sp_err_wrap(err, "container %s: removing its cgroup", id);
        _cleanup_json_ json_t *oci = sp_state_to_oci(s, "stopped");
        if (sp_security_hooks_poststop(root, oci, &e) < 0) {
            /* The spec: poststop failures are logged, deletion goes on. */
            sp_warn("container %s: %s", id, e->msg);
            sp_error_free(&e);
        }
    }
    _cleanup_free_ char *path = sp_path_join(root, id);
    if (sp_rm_rf_at(AT_FDCWD, path, err) < 0)
        return sp_err_wrap(err, "container %s: removing its state", id);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sp_container_list(const char *root, json_t **out, sp_error **err)
{
    json_t *arr = json_array();
    *out = arr;
    _cleanup_dir_ DIR *d = opendir(root);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return sp_err(err, errno, "listing %s", root);
    }
    size_t n = 0, cap = 16;
    _cleanup_strv_ char **names = sp_xcalloc(cap + 1, sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || sp_id_check(de->d_name, NULL) < 0)
            continue;
        if (n == cap) {
            cap *= 2;
            names = sp_xrealloc(names, (cap + 1) * sizeof(char *));
        }
        names[n++] = sp_xstrdup(de->d_name);
        names[n] = NULL;
    }
    qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        json_t *st = NULL;
        sp_error *e = NULL;
        if (sp_container_state(root, names[i], &st, &e) < 0) {
            /* A directory being created or removed right now: not a container yet. */
            sp_error_free(&e);
            continue;
        }
        json_array_append_new(arr, st);
    }
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

int sp_container_pids(const char *root, const char *id, pid_t **pids, size_t *n, sp_error **err)
{
    _cleanup_close_ int dirfd = sp_state_open_dir(root, id, err);
    if (dirfd < 0)
        return -1;
    _cleanup_state_ struct sp_state *s = NULL;
    if (sp_state_read(dirfd, id, &s, err) < 0)
        return -1;
    *pids = NULL;
    *n = 0;
    const char *status = sp_state_status(dirfd, s);
    if (strcmp(status, "stopped") == 0 || strcmp(status, "creating") == 0)
        return 0;
    if (s->cgroup) {
        _cleanup_cgroup_ struct sp_cgroup *cg = NULL;
        if (sp_cgroup_from_json(s->cgroup, &cg, err) < 0 || sp_cgroup_pids(cg, pids, n, err) < 0)
            return sp_err_wrap(err, "container %s", id);
        qsort(*pids, *n, sizeof(pid_t), cmp_pid);
        return 0;
    }
    *pids = sp_xcalloc(1, sizeof(pid_t));
    (*pids)[0] = s->pid;
    *n = 1;
    return 0;
}
