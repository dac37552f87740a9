/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monitor of a detached container (`septa run -d`, `septa start`): the
 * role conmon plays for podman, since septa has no daemon.  It is the septa
 * binary exec'd as `septa monitor ID` in its own session (double fork, so
 * neither the shell nor `septa run` is its parent).  It creates and starts
 * the container with its stdout/stderr on a pipe it holds, copies that to a
 * size-capped log, waits for the init, records exit status and OOM verdict
 * in the container record, and restarts it as the record's policy says.
 *
 * Killing the monitor never kills the container: the init does not die with
 * it (no PDEATHSIG once started); its output then has no reader (EPIPE) and
 * `septa ps` says "running (monitor gone)".
 *
 * Log: <data_root>/storage/containers/ID/ctr.log; when it would pass 1 MiB it
 * becomes ctr.log.1 (replacing the previous one) and a new ctr.log starts, so
 * at most the last 2 MiB of output are kept.
 */
#include "cli.h"
#include "images.h"
#include "run_opts.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_CAP (1u << 20) /* keep in step with cli/monwait.c */

/* sp_monwait_elf[]: cli/monwait.c, built static by cli/embed-monwait.py. */
#include "monwait_blob.h"

/* ---- spawning (run -d, start) ---- */

int sp_monitor_spawn(struct sp_globals *g, const char *id, sp_error **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return sp_err(err, errno, "creating the monitor's pipe");
    char fdarg[16];
    snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
    /* Built before fork: the child only calls async-signal-safe functions. */
    const char *argv[] = {"septa",     "--root", g->root, "--data-root", g->data_root, "monitor",
                          "--sync-fd", fdarg,    id,      NULL};
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return sp_err(err, e, "starting the monitor (fork)");
    }
    if (pid == 0) {
        close(p[0]);
        /* Own session: no terminal's hangup or ^C reaches it. */
        setsid();
        pid_t m = fork();
        if (m != 0)
            _exit(m < 0 ? 1 : 0);
        /* Only the sync pipe goes to the monitor (not whatever our caller
         * leaked to us, which would live as long as the container). */
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        fcntl(p[1], F_SETFD, 0);
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
            if (nul > 2)
                close(nul);
        }
        /* Pin no directory of the caller (rm must be able to remove it). */
        if (chdir("/") < 0)
            _exit(125);
        /* /proc/self/exe: the protected copy septa runs from (see
         * sp_runtime_protect_exe), not a path the container could swap. */
        execv("/proc/self/exe", (char **)argv);
        _exit(125);
    }
    close(p[1]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    char buf[2048];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(p[0], buf + n, sizeof(buf) - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof(buf) - 1)
            break;
    }
    close(p[0]);
    buf[n] = '\0';
    if (n >= 3 && strncmp(buf, "ok\n", 3) == 0)
        return 0;
    if (n == 0)
        return sp_err(err, 0, "the monitor exited before starting container %.12s", id);
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    return sp_err(err, 0, "%s", buf);
}

/* ---- the monitor itself ---- */

struct mon {
    const char *root, *data_root, *id;
    int dirfd; /* the container's bundle directory */
    int logfd;
    size_t logsize;
};

static void log_open(struct mon *m)
{
    m->logfd = openat(m->dirfd, "ctr.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    struct stat st;
    m->logsize = (m->logfd >= 0 && fstat(m->logfd, &st) == 0) ? (size_t)st.st_size : 0;
}

static void log_append(struct mon *m, const char *buf, size_t n)
{
    while (m->logfd >= 0 && n > 0) {
        ssize_t w = write(m->logfd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        n -= (size_t)w;
        m->logsize += (size_t)w;
    }
}

static void log_write(struct mon *m, const char *buf, size_t n)
{
    if (m->logsize + n > LOG_CAP && m->logsize > 0) {
        /* The old log ends at a line's end: the last one that fits, else
         * the line is finished past the cap (by less than one 4 KiB read). */
        size_t room = m->logsize < LOG_CAP ? LOG_CAP - m->logsize : 0;
        size_t k = room < n ? room : n;
        while (k > 0 && buf[k - 1] != '\n')
            k--;
        if (k == 0) {
            const char *nl = memchr(buf, '\n', n);
            k = nl ? (size_t)(nl - buf) + 1 : 0;
        }
        log_append(m, buf, k);
        buf += k;
        n -= k;
        /* Rotate: the old log becomes ctr.log.1, `septa logs` reads both. */
        if (m->logfd >= 0)
            close(m->logfd);
        renameat(m->dirfd, "ctr.log", m->dirfd, "ctr.log.1");
        log_open(m);
    }
    log_append(m, buf, n);
}

/* Copy what is in the pipe to the log; false at EOF. */
static bool pump(struct mon *m, int fd)
{
    char buf[4096];
    ssize_t r = read(fd, buf, sizeof(buf));
    if (r < 0)
        return errno == EINTR || errno == EAGAIN;
    if (r == 0)
        return false;
    log_write(m, buf, (size_t)r);
    return true;
}

static void now_iso(char out[64])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 64, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void record(struct mon *m, json_t *fields)
{
    _cleanup_error_ sp_error *e = NULL;
    if (sp_image_container_update(m->data_root, m->id, fields, &e) < 0)
        sp_warn("monitor %.12s: %s", m->id, e->msg);
    json_decref(fields);
}

/* Restart policy from the record (checked by run): -1 never, 0 without limit, N at most N. */
static int restart_limit(json_t *rec, bool *on_failure)
{
    const char *p = json_string_value(json_object_get(rec, "restart"));
    int limit = -1;
    _cleanup_error_ sp_error *e = NULL;
    if (!p || sp_restart_policy_parse(p, &limit, on_failure, &e) < 0)
        return -1;
    return limit;
}

/*
 * Create and start the container with its output on a pipe; returns the
 * read end and the init's pid.
 */
static int start_container(struct mon *m, const char *bundle, int *out, pid_t *pid, sp_error **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return sp_err(err, errno, "creating the output pipe");
    /* The init inherits 1 and 2 (our /dev/null otherwise). */
    dup2(p[1], 1);
    dup2(p[1], 2);
    close(p[1]);
    /* The init's pid from the pid file: a quick init may be gone before a
     * state query could name it. */
    _cleanup_free_ char *pidfile = sp_xasprintf("%s/init.pid", bundle);
    struct sp_create_opts co = {.bundle = bundle, .detach = true, .pid_file = pidfile};
    int st = 0;
    int r = sp_container_run(m->root, m->id, &co, &st, err);
    int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (nul >= 0) {
        dup2(nul, 1);
        dup2(nul, 2);
        close(nul);
    }
    if (r < 0) {
        close(p[0]);
        return -1;
    }
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int64_t v = 0;
    if (sp_read_file(AT_FDCWD, pidfile, 64, &text, &len, err) < 0 ||
        sp_parse_i64(text, 1, INT32_MAX, &v, err) < 0) {
        close(p[0]);
        return sp_err_wrap(err, "the pid of the container's init");
    }
    *pid = (pid_t)v;
    *out = p[0];
    return 0;
}

/* Copy output until the init exits; its wait status (128+n for a signal). */
static int watch(struct mon *m, int out, pid_t init)
{
    int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
    int status = -1;
    bool out_open = true;
    for (;;) {
        struct pollfd p[2] = {{.fd = out_open ? out : -1, .events = POLLIN},
                              {.fd = pidfd, .events = POLLIN}};
        /* Without a pidfd (should not happen), look at the init every second. */
        int r = poll(p, 2, pidfd < 0 ? 1000 : -1);
        if (r < 0 && errno != EINTR)
            break;
        if (p[0].revents && !pump(m, out))
            out_open = false;
        int ws;
        pid_t w;
        /* We are the subreaper: the init and whatever it orphans come here. */
        while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
            if (w == init)
                status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        }
        if (status >= 0 || (w < 0 && errno == ECHILD && kill(init, 0) < 0))
            break;
    }
    /* Output still in the pipe; whatever else holds its write end dies
     * with the init's pid namespace, so EOF comes soon. */
    while (out_open) {
        struct pollfd q = {.fd = out, .events = POLLIN};
        if (poll(&q, 1, 500) <= 0 || !pump(m, out))
            break;
    }
    if (pidfd >= 0)
        close(pidfd);
    return status < 0 ? 255 : status;
}

/*
 * Become the small waiter (cli/monwait.c) until the init exits; it execs
 * septa again with --resume.  Returns only on failure (the caller then
 * waits itself, at septa's size).
 */
static void exec_waiter(struct mon *m, int out, pid_t init, int count)
{
    /* Without a log there is nothing for the waiter to write to. */
    if (m->logfd < 0)
        return;
    int exefd = open("/proc/self/exe", O_RDONLY); /* septa, for the way back */
    int wfd = (int)syscall(SYS_memfd_create, "septa-monwait", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (exefd < 0 || wfd < 0)
        goto fail;
    size_t off = 0;
    while (off < sizeof(sp_monwait_elf)) {
        ssize_t w = write(wfd, sp_monwait_elf + off, sizeof(sp_monwait_elf) - off);
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    /* Sealed: nothing can change the program between here and exec. */
    if (fcntl(wfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        goto fail;
    int keep[] = {out, m->dirfd, m->logfd};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        if (keep[i] >= 0) {
            int fl = fcntl(keep[i], F_GETFD);
            fcntl(keep[i], F_SETFD, fl & ~FD_CLOEXEC);
        }
    }
    char a_out[16], a_dir[16], a_log[16], a_size[24], a_init[16], a_exe[16], a_count[16];
    snprintf(a_out, sizeof(a_out), "%d", out);
    snprintf(a_dir, sizeof(a_dir), "%d", m->dirfd);
    snprintf(a_log, sizeof(a_log), "%d", m->logfd);
    snprintf(a_size, sizeof(a_size), "%zu", m->logsize);
    snprintf(a_init, sizeof(a_init), "%d", (int)init);
    snprintf(a_exe, sizeof(a_exe), "%d", exefd);
    snprintf(a_count, sizeof(a_count), "%d", count);
    const char *argv[] = {"septa-monwait", a_out,        a_dir,     a_log,      a_size,
                          a_init,          a_exe,        "septa",   "--root",   m->root,
                          "--data-root",   m->data_root, "monitor", "--resume", a_count,
                          m->id,           NULL};
    /* exefd stays open across this exec (the waiter execs it), then closes. */
    syscall(SYS_execveat, wfd, "", (char *const *)argv, environ, AT_EMPTY_PATH);
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        if (keep[i] >= 0)
            fcntl(keep[i], F_SETFD, FD_CLOEXEC);
    }
fail:
    sp_warn("monitor %.12s: cannot exec the small waiter (%s); waiting at full size", m->id,
            strerror(errno));
    if (exefd >= 0)
        close(exefd);
    if (wfd >= 0)
        close(wfd);
}

/*
 * Start the container and wait for its init: its exit status, or -1 when it
 * could not start (reported on the sync fd to `run -d`/`start` the first
 * time, in the log on a restart).  Normally this does not return: the
 * process becomes the small waiter, which execs `septa monitor --resume`.
 */
static int run_once(struct mon *m, const char *bundle, int *syncfd, int count)
{
    _cleanup_error_ sp_error *e = NULL;
    int out = -1;
    pid_t init = 0;
    if (start_container(m, bundle, &out, &init, &e) < 0) {
        if (*syncfd >= 0) {
            dprintf(*syncfd, "%s\n", e->msg);
            close(*syncfd);
            *syncfd = -1;
            record(m, json_pack("{s:s}", "monitor_state", "exited"));
            return -1;
        }
        /* A restart that fails ends the story; say why in the log. */
        char line[1024];
        int n = snprintf(line, sizeof(line), "septa: restarting: %s\n", e->msg);
        log_write(m, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        char fin[64];
        now_iso(fin);
        record(m, json_pack("{s:s, s:i, s:s}", "monitor_state", "exited", "exit_code", 125,
                            "finished", fin));
        return -1;
    }
    if (*syncfd >= 0) {
        /* Started: the previous run's outcome (septa start) no longer holds. */
        record(m, json_pack("{s:n, s:n, s:n, s:n, s:n}", "exit_code", "finished", "oom_killed",
                            "exit_reason", "stop_requested"));
        if (write(*syncfd, "ok\n", 3) < 0) {
            /* run -d went away: the container runs on all the same. */
        }
        close(*syncfd);
        *syncfd = -1;
    }
    exec_waiter(m, out, init, count);
    /* Only if the waiter could not be exec'd: wait here, at septa's size. */
    malloc_trim(0);
    int status = watch(m, out, init);
    close(out);
    return status;
}

/*
 * The init exited with `status`: read the OOM verdict, remove the runtime's
 * state and cgroup, record it all.  True when the policy restarts it
 * (after the backoff, with *count incremented).
 */
static bool finish(struct mon *m, int status, int *count, int limit, bool on_failure)
{
    _cleanup_error_ sp_error *e = NULL, *e2 = NULL;
    /* The verdict is in the cgroup, which delete removes: read it first. */
    uint64_t ooms = 0;
    if (sp_container_oom_kills(m->root, m->id, &ooms, &e) < 0)
        ooms = 0;
    if (sp_container_delete(m->root, m->id, true, &e2) < 0)
        sp_warn("monitor %.12s: %s", m->id, e2->msg);
    /* `rm -f` took the container away: nothing to record or restart. */
    if (faccessat(m->dirfd, "container.json", F_OK, 0) < 0)
        return false;
    bool restart =
        limit == 0 ? (!on_failure || status != 0) : (limit > 0 && status != 0 && *count < limit);
    /* A container stopped on purpose ("stop_requested", set by whoever
     * stops it) stays stopped, whatever its policy. */
    _cleanup_json_ json_t *rec = NULL;
    sp_error_free(&e);
    if (restart && sp_image_container_get(m->data_root, m->id, &rec, &e) == 0 &&
        json_is_true(json_object_get(rec, "stop_requested")))
        restart = false;
    char fin[64];
    now_iso(fin);
    json_t *f = json_pack("{s:i, s:s, s:b, s:i, s:s}", "exit_code", status, "finished", fin,
                          "oom_killed", ooms > 0, "restart_count", *count, "monitor_state",
                          restart ? "restarting" : "exited");
    json_object_set_new(f, "exit_reason",
                        ooms > 0 ? json_sprintf("killed by the OOM killer at its memory "
                                                "limit (exit status %d)",
                                                status)
                                 : json_null());
    record(m, f);
    if (!restart)
        return false;
    /* Backoff: 100 ms, doubling, at most 10 s between attempts. */
    long ms = *count < 7 ? 100L << *count : 10000;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    if (faccessat(m->dirfd, "container.json", F_OK, 0) < 0)
        return false;
    /* Stopped during the backoff: stay stopped. */
    json_decref(rec);
    rec = NULL;
    sp_error_free(&e);
    if (sp_image_container_get(m->data_root, m->id, &rec, &e) < 0 ||
        json_is_true(json_object_get(rec, "stop_requested"))) {
        record(m, json_pack("{s:s}", "monitor_state", "exited"));
        return false;
    }
    ++*count;
    record(m, json_pack("{s:i, s:s, s:n}", "restart_count", *count, "monitor_state", "running",
                        "finished"));
    return true;
}

/* resume_count < 0: a fresh start; else back from the waiter with resume_status. */
static int monitor_main(struct mon *m, int syncfd, int resume_count, int resume_status)
{
    _cleanup_free_ char *bundle = sp_xasprintf("%s/storage/containers/%s", m->data_root, m->id);
    _cleanup_error_ sp_error *e = NULL;
    _cleanup_json_ json_t *rec = NULL;
    m->dirfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->dirfd < 0 || sp_image_container_get(m->data_root, m->id, &rec, &e) < 0) {
        if (!e)
            sp_err(&e, errno, "opening %s", bundle);
        if (syncfd >= 0)
            dprintf(syncfd, "%s\n", e->msg);
        /* Back from the waiter to a removed container: `rm -f` did the rest. */
        return resume_count < 0 ? 125 : 0;
    }
    bool on_failure = false;
    int limit = restart_limit(rec, &on_failure);
    bool auto_remove = json_is_true(json_object_get(rec, "auto_remove"));
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* The init's orphans come to us; kept across the waiter's execs. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (resume_count < 0)
        record(m, json_pack("{s:I, s:I, s:s, s:i}", "monitor_pid", (json_int_t)getpid(),
                            "monitor_start", (json_int_t)sp_proc_start_time(getpid()),
                            "monitor_state", "running", "restart_count", 0));
    log_open(m);
    int count = resume_count < 0 ? 0 : resume_count;
    int status = resume_status;
    for (;;) {
        if (resume_count < 0 || status < 0) {
            status = run_once(m, bundle, &syncfd, count);
            if (status < 0)
                return resume_count < 0 && count == 0 ? 125 : 0;
        }
        resume_count = -1;
        if (!finish(m, status, &count, limit, on_failure))
            break;
        status = -1;
    }
    if (auto_remove && faccessat(m->dirfd, "container.json", F_OK, 0) == 0) {
        /* --rm: as `septa rm` does, the network first, then the root. */
        sp_error_free(&e);
        if (sp_run_net_teardown(m->data_root, m->id, &e) < 0)
            sp_warn("monitor %.12s: %s", m->id, e->msg);
        sp_error_free(&e);
        if (sp_image_unmount(m->data_root, m->id, &e) < 0)
            sp_warn("monitor %.12s: %s", m->id, e->msg);
    }
    return 0;
}

int sp_cmd_monitor(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"sync-fd", required_argument, NULL, 's'},
        {"resume", required_argument, NULL, 'r'},
        {"exit-status", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int64_t syncfd = -1, resume = -1, xstatus = -1;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+s:r:x:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (sp_parse_i64(optarg, 3, 1 << 20, &syncfd, err) < 0)
                return sp_err_wrap(err, "septa monitor: --sync-fd");
            break;
        case 'r':
            if (sp_parse_i64(optarg, 0, 1 << 30, &resume, err) < 0)
                return sp_err_wrap(err, "septa monitor: --resume");
            break;
        case 'x':
            if (sp_parse_i64(optarg, 0, 255, &xstatus, err) < 0)
                return sp_err_wrap(err, "septa monitor: --exit-status");
            break;
        case 'h':
            printf("Usage: septa monitor [--sync-fd FD] ID\n\n"
                   "Internal: watch detached container ID (started by 'septa run -d' and\n"
                   "'septa start'); not meant to be run by hand.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa monitor", argc, argv, optopt);
        }
    }
    if (optind + 1 != argc)
        return sp_err(err, 0, "septa monitor: expected one container ID");
    if ((resume >= 0) != (xstatus >= 0))
        return sp_err(err, 0, "septa monitor: --resume and --exit-status go together");
    struct mon m = {
        .root = g->root, .data_root = g->data_root, .id = argv[optind], .dirfd = -1, .logfd = -1};
    /* A no-op when spawned (already the protected copy); kept for hand runs. */
    if (resume < 0 && sp_runtime_protect_exe(err) < 0)
        return sp_err_wrap(err, "septa monitor");
    if (syncfd >= 0 && fcntl((int)syncfd, F_SETFD, FD_CLOEXEC) < 0)
        return sp_err(err, errno, "septa monitor: --sync-fd %lld", (long long)syncfd);
    int r = monitor_main(&m, (int)syncfd, (int)resume, (int)xstatus);
    if (m.logfd >= 0)
        close(m.logfd);
    if (m.dirfd >= 0)
        close(m.dirfd);
    return r;
}
