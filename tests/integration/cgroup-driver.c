/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test driver for runtime/cgroup*.c (not installed): lets the bats files
 * exercise the cgroup module on real cgroupfs before, and independently of,
 * full containers.  Built by cgroup-helpers.bash against the static libraries
 * of the build under test.
 *
 *   cgdrv parse RES.json                       parse for this host, print "ok"
 *   cgdrv create PATH|- ID RES.json|- STATE    create (PATH "-" = default)
 *   cgdrv run STATE CMD...                     run CMD in the cgroup, wait;
 *                                              prints "exit=N oom=K"
 *   cgdrv start STATE CMD...                   start CMD in the cgroup, print pid
 *   cgdrv update STATE RES.json | freeze STATE | thaw STATE | frozen STATE
 *   cgdrv kill STATE SIG | pids STATE | stats STATE | oom STATE | destroy STATE
 *   cgdrv dir STATE [CTRL]                     print a controller's directory
 *   cgdrv part-create PATH CPUS MEMS [isolated] | part-state PATH | part-destroy PATH
 *   cgdrv bpf-devices CGROUP-DIR RES.json      attach only the device program
 *   cgdrv bench N PATH RES.json|-              time N create(+apply) and destroy
 *                                              cycles; print JSON (microseconds)
 */
#include "cgroup-internal.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int load_state(const char *file, struct sp_cgroup **cg, sp_error **err)
{
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(file, file, &doc, err) < 0)
        return -1;
    return sp_cgroup_from_json(doc->root, cg, err);
}

static int load_res(const char *file, struct sp_cgroup_resources **res, sp_error **err)
{
    if (strcmp(file, "-") == 0) {
        *res = NULL;
        return 0;
    }
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(file, "config.json", &doc, err) < 0)
        return -1;
    json_t *r = json_object_get(doc->root, "linux");
    r = r ? json_object_get(r, "resources") : NULL;
    return sp_cgroup_resources_parse(doc, r, "linux.resources", res, err);
}

/* Fork CMD into the cgroup: clone3(CLONE_INTO_CGROUP) on v2, attach on v1. */
static pid_t spawn_in(struct sp_cgroup *cg, char **cmd, bool detach, sp_error **err)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return sp_err(err, errno, "pipe");
    pid_t pid;
    int dfd = sp_cgroup_dirfd(cg);
    if (dfd >= 0) {
        struct clone_args ca = {0};
        ca.flags = CLONE_INTO_CGROUP;
        ca.exit_signal = SIGCHLD;
        ca.cgroup = (uint64_t)dfd;
        pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    } else {
        pid = fork();
    }
    if (pid < 0)
        return sp_err(err, errno, "fork");
    if (pid == 0) {
        char c;
        close(pfd[1]);
        /* Wait until the parent placed us (v1) before exec. */
        if (read(pfd[0], &c, 1) != 1)
            _exit(126);
        if (detach) {
            /* Not holding the caller's pipes: $(cgdrv start ...) returns. */
            int nfd = open("/dev/null", O_RDWR);
            dup2(nfd, 0);
            dup2(nfd, 1);
            dup2(nfd, 2);
        }
        execvp(cmd[0], cmd);
        _exit(127);
    }
    close(pfd[0]);
    if (dfd < 0 && sp_cgroup_attach(cg, pid, err) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(pfd[1]);
        return -1;
    }
    if (write(pfd[1], "x", 1) != 1) {
        close(pfd[1]);
        return sp_err(err, errno, "releasing the child");
    }
    close(pfd[1]);
    return pid;
}

static int drive(int argc, char **argv, sp_error **err)
{
    if (argc < 3)
        return sp_err(err, EINVAL, "usage: see the comment at the top of cgroup-driver.c");
    const char *op = argv[1];
    _cleanup_cgroup_ struct sp_cgroup *cg = NULL;
    _cleanup_cgres_ struct sp_cgroup_resources *res = NULL;
    if (strcmp(op, "parse") == 0) {
        if (load_res(argv[2], &res, err) < 0)
            return -1;
        printf("ok\n");
        return 0;
    }
    if (strcmp(op, "create") == 0 && argc == 6) {
        if (load_res(argv[4], &res, err) < 0)
            return -1;
        const char *path = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
        if (sp_cgroup_create(path, argv[3], res, &cg, err) < 0)
            return -1;
        json_t *j = sp_cgroup_to_json(cg);
        int r = sp_json_write_file(AT_FDCWD, argv[5], j, true, err);
        json_decref(j);
        return r;
    }
    if (strncmp(op, "part-", 5) == 0) {
        struct sp_cpuset_part *p = NULL;
        int r = 0;
        if (strcmp(op, "part-create") == 0 && argc >= 5) {
            struct sp_cpuset_part_spec spec = {argv[2], argv[3], argv[4],
                                               argc > 5 && strcmp(argv[5], "isolated") == 0};
            r = sp_cpuset_part_create(&spec, &p, err);
            if (r == 0)
                printf("%s\n", sp_cpuset_part_dir(p));
        } else if (sp_cpuset_part_open(argv[2], &p, err) < 0) {
            return -1;
        } else if (strcmp(op, "part-state") == 0) {
            _cleanup_free_ char *st = NULL;
            bool valid = false;
            r = sp_cpuset_part_state(p, &st, &valid, err);
            if (r == 0)
                printf("%s %s\n", valid ? "valid" : "invalid", st);
        } else if (strcmp(op, "part-destroy") == 0) {
            r = sp_cpuset_part_destroy(p, err);
        } else {
            r = sp_err(err, EINVAL, "bad part- command");
        }
        sp_cpuset_part_free(p);
        return r;
    }
    if (strcmp(op, "bench") == 0 && argc == 5) {
        int64_t n = 0;
        if (sp_parse_i64(argv[2], 1, 100000, &n, err) < 0 || load_res(argv[4], &res, err) < 0)
            return -1;
        double *c = sp_xcalloc((size_t)n, sizeof(double)),
               *d = sp_xcalloc((size_t)n, sizeof(double));
        for (int64_t i = 0; i < n; i++) {
            struct timespec t0, t1, t2;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            if (sp_cgroup_create(argv[3], "bench", res, &cg, err) < 0) {
                free(c);
                free(d);
                return -1;
            }
            clock_gettime(CLOCK_MONOTONIC, &t1);
            int r = sp_cgroup_destroy(cg, err);
            clock_gettime(CLOCK_MONOTONIC, &t2);
            sp_cgroup_free(sp_steal_ptr(&cg));
            if (r < 0) {
                free(c);
                free(d);
                return -1;
            }
            c[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
            d[i] = (double)(t2.tv_sec - t1.tv_sec) * 1e6 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e3;
        }
        qsort(c, (size_t)n, sizeof(double), cmp_double);
        qsort(d, (size_t)n, sizeof(double), cmp_double);
        printf("{\"n\":%lld,\"create_median_us\":%.1f,\"create_p90_us\":%.1f,"
               "\"destroy_median_us\":%.1f}\n",
               (long long)n, c[n / 2], c[n * 9 / 10], d[n / 2]);
        free(c);
        free(d);
        return 0;
    }
    if (strcmp(op, "bpf-devices") == 0 && argc == 4) {
        if (load_res(argv[3], &res, err) < 0)
            return -1;
        _cleanup_close_ int fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return sp_err(err, errno, "opening %s", argv[2]);
        size_t n = sp_cg_n_default_devices + res->n_devices;
        _cleanup_free_ struct sp_cgroup_device_rule *all = sp_xcalloc(n, sizeof(*all));
        if (res->n_devices)
            memcpy(all, res->devices, res->n_devices * sizeof(*all));
        memcpy(all + res->n_devices, sp_cg_default_devices, sp_cg_n_default_devices * sizeof(*all));
        return sp_cg_bpf_devices(fd, all, n, err);
    }
    if (load_state(argv[2], &cg, err) < 0)
        return -1;
    if (strcmp(op, "run") == 0 || strcmp(op, "start") == 0) {
        if (argc < 4)
            return sp_err(err, EINVAL, "%s: no command", op);
        pid_t pid = spawn_in(cg, argv + 3, strcmp(op, "start") == 0, err);
        if (pid < 0)
            return -1;
        if (strcmp(op, "start") == 0) {
            printf("%d\n", (int)pid);
            return 0;
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        uint64_t ooms = 0;
        if (sp_cgroup_oom_kills(cg, &ooms, err) < 0)
            return -1;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        printf("exit=%d oom=%llu\n", code, (unsigned long long)ooms);
        return 0;
    }
    if (strcmp(op, "update") == 0 && argc == 4) {
        if (load_res(argv[3], &res, err) < 0)
            return -1;
        return sp_cgroup_update(cg, res, err);
    }
    if (strcmp(op, "freeze") == 0)
        return sp_cgroup_freeze(cg, err);
    if (strcmp(op, "thaw") == 0)
        return sp_cgroup_thaw(cg, err);
    if (strcmp(op, "frozen") == 0) {
        bool f = false;
        if (sp_cgroup_is_frozen(cg, &f, err) < 0)
            return -1;
        printf("%s\n", f ? "frozen" : "thawed");
        return 0;
    }
    if (strcmp(op, "kill") == 0 && argc == 4) {
        /* Numbers only: the driver must not depend on the rest of runtime/. */
        int64_t sig = 0;
        if (sp_parse_i64(argv[3], 1, 64, &sig, err) < 0)
            return -1;
        return sp_cgroup_kill_all(cg, (int)sig, err);
    }
    if (strcmp(op, "pids") == 0) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (sp_cgroup_pids(cg, &pids, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            printf("%d\n", (int)pids[i]);
        return 0;
    }
    if (strcmp(op, "stats") == 0) {
        _cleanup_json_ json_t *j = NULL;
        if (sp_cgroup_stats(cg, &j, err) < 0)
            return -1;
        _cleanup_free_ char *s = sp_json_dumps(j, false);
        printf("%s\n", s);
        return 0;
    }
    if (strcmp(op, "oom") == 0) {
        uint64_t n = 0;
        if (sp_cgroup_oom_kills(cg, &n, err) < 0)
            return -1;
        printf("%llu\n", (unsigned long long)n);
        return 0;
    }
    if (strcmp(op, "destroy") == 0)
        return sp_cgroup_destroy(cg, err);
    if (strcmp(op, "dir") == 0) {
        int idx = 0;
        for (int i = 0; argc > 3 && i < SP_CG_NCTRL; i++)
            if (strcmp(argv[3], sp_cg_v1_ctrls[i]) == 0)
                idx = i;
        if (cg->mode == SP_CGROUP_V2)
            idx = 0;
        printf("%s\n", cg->dir[idx] ? cg->dir[idx] : "");
        return 0;
    }
    return sp_err(err, EINVAL, "unknown command '%s'", op);
}

int main(int argc, char **argv)
{
    sp_error *err = NULL;
    int r = drive(argc, argv, &err);
    fflush(stdout);
    if (r < 0) {
        fprintf(stderr, "cgdrv: %s\n", err && err->msg ? err->msg : "unknown error");
        sp_error_free(&err);
        return 125;
    }
    return 0;
}
