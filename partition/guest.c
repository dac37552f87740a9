/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A partition's guest: QEMU started paused inside the partition's cpuset,
 * memory bound to the partition's nodes, vCPUs pinned 1:1 over QMP, then
 * resumed.  QEMU daemonises itself (-daemonize returns only once it is
 * initialised, memory preallocated and sockets listening), so no septa
 * process stays resident; the record keeps pid + start time.
 */
#include "net.h"
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MIB (UINT64_C(1) << 20)

static const char *qemu_binary(void)
{
    const char *q = getenv("SEPTA_QEMU");
    return q && *q ? q : "qemu-system-x86_64";
}

bool sp_kvm_usable(const char **why)
{
    /* Nested PVM runs only PVM-enabled guest kernels; a stock kernel never boots there. */
    if (access("/sys/module/kvm_pvm", F_OK) == 0) {
        *why = "/dev/kvm is nested PVM (kvm_pvm is loaded), which cannot boot stock kernels";
        return false;
    }
    _cleanup_close_ int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        *why = "/dev/kvm cannot be opened";
        return false;
    }
    if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        *why = "/dev/kvm has an unexpected API version";
        return false;
    }
    *why = NULL;
    return true;
}

/* ------------------------------------------------------------------------ */
/* The command line                                                          */
/* ------------------------------------------------------------------------ */

struct argv_buf {
    char **v;
    size_t n;
};

static void arg(struct argv_buf *a, char *s)
{
    a->v = sp_xrealloc(a->v, (a->n + 2) * sizeof(char *));
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

#define ARG(a, s)    arg(a, sp_xstrdup(s))
#define ARGF(a, ...) arg(a, sp_xasprintf(__VA_ARGS__))

/* The hugetlbfs mount with the requested page size, for memory-backend-file. */
static char *hugetlbfs_path(uint64_t size)
{
    _cleanup_file_ FILE *f = fopen("/proc/mounts", "re");
    char dev[256], dir[512], type[64], opts[512];
    unsigned long long want_mb = size / MIB;
    while (f && fscanf(f, "%255s %511s %63s %511s %*d %*d", dev, dir, type, opts) == 4) {
        if (strcmp(type, "hugetlbfs") != 0)
            continue;
        char *ps = strstr(opts, "pagesize=");
        unsigned long long v = 0;
        char unit = 'M';
        if (ps && sscanf(ps, "pagesize=%llu%c", &v, &unit) >= 1) {
            unsigned long long mb = unit == 'G' ? v * 1024 : unit == 'K' ? v / 1024 : v;
            if (mb != want_mb)
                continue;
        } else if (want_mb != 2) {
            continue; /* no pagesize option: the default, 2M on x86 */
        }
        return sp_xstrdup(dir);
    }
    return NULL;
}

char **sp_guest_argv(const struct sp_partition *p, const struct sp_topology *t, const char *run_dir,
                     bool kvm)
{
    struct argv_buf a = {0};
    int ncpu = 0, nnodes = sp_partition_node_count(p);
    uint64_t per_mib = sp_partition_mem_per_node(p) / MIB;
    for (int i = 0; i < SP_MAX_CPUS; i++)
        ncpu += SP_BIT_TEST(p->cpus, i);
    ARG(&a, qemu_binary());
    /* debug-threads names vCPU threads "CPU n/KVM" so /proc shows which is which. */
    ARGF(&a, "-name");
    ARGF(&a, "%s,debug-threads=on", p->name);
    ARG(&a, "-nodefaults");
    ARG(&a, "-no-user-config");
    ARG(&a, "-machine");
    ARG(&a, "q35");
    ARG(&a, "-accel");
    ARG(&a, kvm ? "kvm" : "tcg,thread=multi");
    ARG(&a, "-cpu");
    ARG(&a, kvm ? "host" : "max");
    ARG(&a, "-smp");
    ARGF(&a, "%d", ncpu);
    ARG(&a, "-m");
    ARGF(&a, "%" PRIu64 "M", per_mib * (uint64_t)nnodes);
    _cleanup_free_ char *hpath = p->hugepage_size ? hugetlbfs_path(p->hugepage_size) : NULL;
    /* start refuses a missing mount; a dry run shows where it would be. */
    if (p->hugepage_size && !hpath)
        hpath = sp_xstrdup("/dev/hugepages");
    int gnode = 0;
    for (int id = 0; id < SP_MAX_NODES; id++) {
        if (!(p->nodes & (UINT64_C(1) << id)))
            continue;
        ARG(&a, "-object");
        if (hpath)
            ARGF(&a,
                 "memory-backend-file,id=mem%d,size=%" PRIu64 "M,mem-path=%s,host-nodes=%d,"
                 "policy=bind,prealloc=on",
                 gnode, per_mib, hpath, id);
        else
            ARGF(&a,
                 "memory-backend-ram,id=mem%d,size=%" PRIu64 "M,host-nodes=%d,policy=bind,"
                 "prealloc=on",
                 gnode, per_mib, id);
        /* vCPU i is the partition's i-th CPU: the guest node of its host node. */
        char *numa = sp_xasprintf("node,nodeid=%d,memdev=mem%d", gnode, gnode);
        int vcpu = 0;
        for (int c = 0; c < SP_MAX_CPUS; c++) {
            if (!SP_BIT_TEST(p->cpus, c))
                continue;
            const struct sp_topo_cpu *tc = sp_topology_cpu(t, c);
            if (tc && tc->node == id) {
                char *n2 = sp_xasprintf("%s,cpus=%d", numa, vcpu);
                free(numa);
                numa = n2;
            }
            vcpu++;
        }
        ARG(&a, "-numa");
        arg(&a, numa);
        gnode++;
    }
    /* The guest sees the slice's distances, so its scheduler can prefer near memory. */
    for (int i = 0, gi = 0; i < SP_MAX_NODES && nnodes > 1; i++) {
        if (!(p->nodes & (UINT64_C(1) << i)))
            continue;
        int ii = sp_topology_node_index(t, i);
        for (int j = 0, gj = 0; j < SP_MAX_NODES; j++) {
            if (!(p->nodes & (UINT64_C(1) << j)))
                continue;
            int jj = sp_topology_node_index(t, j);
            if (gi != gj && ii >= 0 && jj >= 0 && (size_t)jj < t->nodes[ii].n_distances) {
                ARG(&a, "-numa");
                ARGF(&a, "dist,src=%d,dst=%d,val=%d", gi, gj, t->nodes[ii].distances[jj]);
            }
            gj++;
        }
        gi++;
    }
    if (p->kernel) {
        ARG(&a, "-kernel");
        ARG(&a, p->kernel);
    }
    if (p->initrd) {
        ARG(&a, "-initrd");
        ARG(&a, p->initrd);
    }
    if (p->kernel && (p->append || p->address)) {
        /* The guest learns its switch address from the command line (net/ leases it). */
        ARG(&a, "-append");
        if (p->address)
            ARGF(&a, "%s%ssepta.ip=%s septa.gw=%s", p->append ? p->append : "",
                 p->append ? " " : "", p->address, p->gateway ? p->gateway : "");
        else
            ARG(&a, p->append);
    }
    if (p->tap) {
        ARG(&a, "-netdev");
        ARGF(&a, "tap,id=net0,ifname=%s,script=no,downscript=no", p->tap);
        ARG(&a, "-device");
        ARGF(&a, "virtio-net-pci,netdev=net0%s%s", p->mac ? ",mac=" : "", p->mac ? p->mac : "");
    }
    if (p->disk) {
        char magic[4] = {0};
        _cleanup_close_ int fd = open(p->disk, O_RDONLY | O_CLOEXEC);
        bool qcow2 = fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "QFI\xfb", 4) == 0;
        ARG(&a, "-drive");
        /* The format is named so QEMU never probes (a raw disk could pose as qcow2). */
        ARGF(&a, "file=%s,format=%s,if=virtio", p->disk, qcow2 ? "qcow2" : "raw");
    }
    ARG(&a, "-chardev");
    ARGF(&a, "socket,id=con0,path=%s/console.sock,server=on,wait=off,logfile=%s/console.log",
         run_dir, run_dir);
    ARG(&a, "-serial");
    ARG(&a, "chardev:con0");
    ARG(&a, "-qmp");
    ARGF(&a, "unix:%s/qmp.sock,server=on,wait=off", run_dir);
    ARG(&a, "-display");
    ARG(&a, "none");
    ARG(&a, "-daemonize");
    ARG(&a, "-pidfile");
    ARGF(&a, "%s/qemu.pid", run_dir);
    /* Paused until every vCPU is pinned. */
    ARG(&a, "-S");
    return a.v;
}

/* ------------------------------------------------------------------------ */
/* Start                                                                     */
/* ------------------------------------------------------------------------ */

static void cpuset_of(const uint64_t *bits, cpu_set_t *set)
{
    CPU_ZERO(set);
    for (int i = 0; i < SP_MAX_CPUS && i < CPU_SETSIZE; i++)
        if (SP_BIT_TEST(bits, i))
            CPU_SET(i, set);
}

/*
 * The child: join the cpuset and the slice's CPUs before exec, so that QEMU
 * and its preallocation never run or allocate outside the partition.
 */
static void __attribute__((noreturn))
child_exec(const struct sp_partition *p, char **argv, const char *log_path)
{
    sp_error *e = NULL;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
        _exit(126);
    if (sp_cpuset_enter(p->cgroup, &e) < 0) {
        dprintf(2, "septa: %s\n", e->msg);
        _exit(126);
    }
    cpu_set_t set;
    cpuset_of(p->cpus, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0) {
        dprintf(2, "septa: sched_setaffinity: %s\n", strerror(errno));
        _exit(126);
    }
    setsid();
    execvp(argv[0], argv);
    dprintf(2, "septa: exec %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* The last non-empty line of QEMU's stderr, for the one-line error. */
static char *last_line(const char *path)
{
    _cleanup_free_ char *s = NULL;
    size_t len;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(AT_FDCWD, path, 1 << 20, &s, &len, &e) < 0)
        return sp_xstrdup("no output");
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    char *nl = strrchr(s, '\n');
    return sp_xstrdup(len == 0 ? "no output" : nl ? nl + 1 : s);
}

static int pin(pid_t tid, const uint64_t *bits, sp_error **err)
{
    cpu_set_t set;
    cpuset_of(bits, &set);
    if (sched_setaffinity(tid, sizeof(set), &set) < 0)
        return sp_err(err, errno, "pinning thread %d", (int)tid);
    return 0;
}

static char *qmp_path(const char *data_root, const char *name)
{
    _cleanup_free_ char *d = sp_store_run_dir(data_root, name);
    return sp_xasprintf("%s/qmp.sock", d);
}

static int vcpu_tids(struct sp_qmp *q, pid_t **tids, size_t *n, sp_error **err)
{
    _cleanup_json_ json_t *ret = NULL;
    if (sp_qmp_exec(q, "query-cpus-fast", NULL, &ret, err) < 0)
        return -1;
    if (!json_is_array(ret))
        return sp_err(err, 0, "QMP query-cpus-fast: expected an array");
    size_t cnt = json_array_size(ret);
    pid_t *v = sp_xcalloc(cnt ? cnt : 1, sizeof(pid_t));
    for (size_t i = 0; i < cnt; i++) {
        json_t *c = json_array_get(ret, i);
        json_int_t idx = json_integer_value(json_object_get(c, "cpu-index"));
        json_int_t tid = json_integer_value(json_object_get(c, "thread-id"));
        if (idx < 0 || (size_t)idx >= cnt || tid <= 0) {
            free(v);
            return sp_err(err, 0, "QMP query-cpus-fast: bad entry %zu", i);
        }
        v[idx] = (pid_t)tid;
    }
    *tids = v;
    *n = cnt;
    return 0;
}

int sp_guest_vcpu_tids(const char *data_root, const struct sp_partition *p, pid_t **tids, size_t *n,
                       sp_error **err)
{
    _cleanup_free_ char *path = qmp_path(data_root, p->name);
    struct sp_qmp *q = NULL;
    if (sp_qmp_open(path, &q, err) < 0)
        return -1;
    int r = vcpu_tids(q, tids, n, err);
    sp_qmp_close(q);
    return r;
}

/* vCPU i -> the partition's i-th CPU; every other QEMU thread -> the whole slice. */
static int pin_threads(struct sp_qmp *q, const struct sp_partition *p, sp_error **err)
{
    _cleanup_free_ pid_t *tids = NULL;
    size_t n;
    if (vcpu_tids(q, &tids, &n, err) < 0)
        return -1;
    int cpu = -1;
    for (size_t i = 0; i < n; i++) {
        while (++cpu < SP_MAX_CPUS && !SP_BIT_TEST(p->cpus, cpu))
            ;
        if (cpu >= SP_MAX_CPUS)
            return sp_err(err, 0, "more vCPUs (%zu) than partition CPUs", n);
        sp_cpuset_bits one = {0};
        SP_BIT_SET(one, cpu);
        if (pin(tids[i], one, err) < 0)
            return sp_err_wrap(err, "vCPU %zu", i);
    }
    _cleanup_free_ char *taskdir = sp_xasprintf("/proc/%d/task", (int)p->pid);
    _cleanup_dir_ DIR *d = opendir(taskdir);
    if (!d)
        return sp_err(err, errno, "reading %s", taskdir);
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        bool is_vcpu = false;
        for (size_t i = 0; i < n; i++)
            is_vcpu |= tids[i] == tid;
        /* A thread that exits between readdir and the call is not an error. */
        if (tid > 0 && !is_vcpu) {
            cpu_set_t set;
            cpuset_of(p->cpus, &set);
            if (sched_setaffinity(tid, sizeof(set), &set) < 0 && errno != ESRCH)
                return sp_err(err, errno, "pinning QEMU thread %d", (int)tid);
        }
    }
    return 0;
}

static void kill_pid(pid_t pid, uint64_t start_time)
{
    /* No guest yet (a start that failed before QEMU): nothing to wait for. */
    if (pid <= 0 || start_time == 0)
        return;
    if (sp_proc_start_time(pid) == start_time)
        kill(pid, SIGKILL);
    for (int i = 0; i < 500 && sp_proc_start_time(pid) == start_time; i++)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
}

static char *net_owner(const char *name)
{
    return sp_xasprintf("partition.%s", name);
}

static void clear_net(struct sp_partition *p)
{
    free(p->tap);
    free(p->address);
    free(p->gateway);
    free(p->mac);
    p->tap = p->address = p->gateway = p->mac = NULL;
}

/* A tap port on the partition's switch, leased by net/ and recorded here. */
static int net_up(const char *data_root, struct sp_partition *p, sp_error **err)
{
    if (!p->network)
        return 0;
    _cleanup_free_ char *owner = net_owner(p->name);
    struct sp_port *port = NULL;
    if (sp_net_tap_create(data_root, p->network, owner, p->name, NULL, &port, err) < 0)
        return -1;
    clear_net(p);
    p->tap = sp_steal_ptr(&port->host_ifname);
    p->address = sp_xasprintf("%s/%d", port->address, port->prefix);
    p->gateway = port->gateway ? sp_steal_ptr(&port->gateway) : NULL;
    p->mac = port->mac ? sp_steal_ptr(&port->mac) : NULL;
    sp_port_free(port);
    return 0;
}

static int net_down(const char *data_root, struct sp_partition *p, sp_error **err)
{
    if (!p->network || !p->tap)
        return 0;
    _cleanup_free_ char *owner = net_owner(p->name);
    if (sp_net_detach(data_root, p->network, owner, err) < 0 && (*err)->errnum != ENOENT)
        return sp_err_wrap(err, "removing the tap port of partition '%s'", p->name);
    sp_error_free(err);
    clear_net(p);
    return 0;
}

static int choose_accel(const struct sp_partition *p, bool *kvm, sp_error **err)
{
    const char *why = NULL;
    bool usable = p->accel != SP_ACCEL_TCG && sp_kvm_usable(&why);
    if (p->accel == SP_ACCEL_KVM && !usable)
        return sp_err(err, 0, "--accel kvm: %s", why);
    if (p->accel == SP_ACCEL_AUTO && !usable)
        sp_warn("partition '%s': KVM unusable (%s): using TCG, which is much slower", p->name, why);
    *kvm = usable;
    return 0;
}

static int launch(const char *run_dir, struct sp_partition *p, const struct sp_topology *t,
                  bool kvm, sp_error **err)
{
    _cleanup_strv_ char **argv = sp_guest_argv(p, t, run_dir, kvm);
    _cleanup_free_ char *log_path = sp_xasprintf("%s/qemu.log", run_dir);
    _cleanup_free_ char *pid_path = sp_xasprintf("%s/qemu.pid", run_dir);
    _cleanup_free_ char *cmd = NULL;
    if (sp_log_enabled(SP_LOG_DEBUG)) {
        for (char **a = argv; *a; a++) {
            char *c = sp_xasprintf("%s%s%s", cmd ? cmd : "", cmd ? " " : "", *a);
            free(cmd);
            cmd = c;
        }
        sp_debug("starting %s", cmd);
    }
    pid_t child = fork();
    if (child < 0)
        return sp_err(err, errno, "fork");
    if (child == 0)
        child_exec(p, argv, log_path);
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR)
            return sp_err(err, errno, "waiting for QEMU");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        _cleanup_free_ char *line = last_line(log_path);
        return sp_err(err, 0, "QEMU failed to start (%s %d): %s",
                      WIFEXITED(status) ? "exit status" : "signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), line);
    }
    _cleanup_free_ char *pids = NULL;
    size_t len;
    int64_t pid;
    if (sp_read_file(AT_FDCWD, pid_path, 64, &pids, &len, err) < 0)
        return -1;
    pids[strcspn(pids, "\n")] = '\0';
    if (sp_parse_i64(pids, 1, INT32_MAX, &pid, err) < 0)
        return sp_err_wrap(err, "%s", pid_path);
    p->pid = (pid_t)pid;
    p->start_time = sp_proc_start_time(p->pid);
    if (!p->start_time) {
        _cleanup_free_ char *line = last_line(log_path);
        return sp_err(err, 0, "QEMU (pid %d) exited right after starting: %s", p->pid, line);
    }
    return 0;
}

int sp_guest_start(const char *data_root, struct sp_partition *p, const struct sp_topology *t,
                   sp_error **err)
{
    if (sp_guest_running(p))
        return sp_err(err, EBUSY, "partition '%s' already runs (pid %d)", p->name, p->pid);
    if (!p->kernel && !p->disk)
        return sp_err(err, 0, "partition '%s' has no --kernel and no --disk: nothing to boot",
                      p->name);
    /* Checked at create, but files move: say which, before anything is made. */
    const char *files[][2] = {
        {"--kernel", p->kernel}, {"--initrd", p->initrd}, {"--disk", p->disk}, {"--base", p->base}};
    for (size_t i = 0; i < SP_ARRAY_SIZE(files); i++)
        if (files[i][1] && access(files[i][1], R_OK) < 0)
            return sp_err(err, errno, "starting partition '%s': %s %s", p->name, files[i][0],
                          files[i][1]);
    if (p->hugepage_size) {
        _cleanup_free_ char *h = hugetlbfs_path(p->hugepage_size);
        if (!h)
            return sp_err(err, ENOENT,
                          "starting partition '%s': no hugetlbfs is mounted with "
                          "%" PRIu64 " KiB pages",
                          p->name, p->hugepage_size / 1024);
    }
    _cleanup_free_ char *run_dir = sp_store_run_dir(data_root, p->name);
    /* QEMU's console and QMP sockets live there: a unix socket path has 107 bytes at most. */
    if (strlen(run_dir) + sizeof("/console.sock") > sizeof(((struct sockaddr_un *)0)->sun_path))
        return sp_err(err, ENAMETOOLONG,
                      "starting partition '%s': %s is too long for QEMU's "
                      "unix sockets; use a shorter --data-root",
                      p->name, run_dir);
    bool kvm = false;
    if (choose_accel(p, &kvm, err) < 0)
        return sp_err_wrap(err, "starting partition '%s'", p->name);
    if (sp_mkdir_p(run_dir, 0700, err) < 0)
        return -1;
    static const char *const stale[] = {"qmp.sock", "console.sock", "qemu.pid", "console.log"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(stale); i++) {
        _cleanup_free_ char *f = sp_xasprintf("%s/%s", run_dir, stale[i]);
        unlink(f);
    }
    /*
     * Every resource is recorded before it is made (the cgroup) or as soon as
     * it exists (QEMU's pid), so that a septa killed half-way leaves a record
     * that `stop` or `rm -f` can clean up.
     */
    p->pid = 0;
    p->start_time = 0;
    free(p->cgroup);
    p->cgroup = sp_cpuset_dir(p->name);
    if (sp_store_save(data_root, p, err) < 0)
        return sp_err_wrap(err, "starting partition '%s'", p->name);
    _cleanup_free_ char *qmp = sp_xasprintf("%s/qmp.sock", run_dir);
    struct sp_qmp *q = NULL;
    int r = sp_cpuset_create(p, err);
    if (r == 0)
        r = net_up(data_root, p, err);
    if (r == 0)
        r = sp_store_save(data_root, p, err);
    if (r == 0)
        r = launch(run_dir, p, t, kvm, err);
    if (r == 0)
        r = sp_store_save(data_root, p, err);
    if (r == 0)
        r = sp_qmp_open(qmp, &q, err);
    if (r == 0)
        r = pin_threads(q, p, err);
    if (r == 0)
        r = sp_qmp_exec(q, "cont", NULL, NULL, err);
    sp_qmp_close(q);
    if (r < 0) {
        _cleanup_error_ sp_error *e2 = NULL;
        kill_pid(p->pid, p->start_time);
        net_down(data_root, p, &e2);
        sp_error_free(&e2);
        if (sp_cpuset_destroy(p->cgroup, p->name, &e2) == 0) {
            free(p->cgroup);
            p->cgroup = NULL;
        }
        p->pid = 0;
        p->start_time = 0;
        sp_error_free(&e2);
        sp_store_save(data_root, p, &e2);
        return sp_err_wrap(err, "starting partition '%s'", p->name);
    }
    free(p->accel_used);
    p->accel_used = sp_xstrdup(kvm ? "kvm" : "tcg");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Stop                                                                      */
/* ------------------------------------------------------------------------ */

int sp_guest_stop(const char *data_root, struct sp_partition *p, uint64_t timeout_ns,
                  sp_error **err)
{
    if (sp_guest_running(p)) {
        _cleanup_free_ char *path = qmp_path(data_root, p->name);
        struct sp_qmp *q = NULL;
        _cleanup_error_ sp_error *qerr = NULL;
        /* A guest that ignores ACPI (or a dead monitor) is killed after the timeout anyway. */
        if (sp_qmp_open(path, &q, &qerr) == 0)
            sp_qmp_exec(q, "system_powerdown", NULL, NULL, &qerr);
        sp_qmp_close(q);
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            if (!sp_guest_running(p))
                break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            uint64_t el = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000000u +
                          (uint64_t)(now.tv_nsec - t0.tv_nsec);
            if (el >= timeout_ns)
                break;
            nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
        }
        kill_pid(p->pid, p->start_time);
        if (sp_guest_running(p))
            return sp_err(err, 0, "stopping partition '%s': pid %d survived SIGKILL", p->name,
                          p->pid);
    }
    if (net_down(data_root, p, err) < 0 || sp_cpuset_destroy(p->cgroup, p->name, err) < 0)
        return sp_err_wrap(err, "stopping partition '%s'", p->name);
    free(p->cgroup);
    p->cgroup = NULL;
    p->pid = 0;
    p->start_time = 0;
    _cleanup_free_ char *run_dir = sp_store_run_dir(data_root, p->name);
    static const char *const gone[] = {"qmp.sock", "console.sock", "qemu.pid"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(gone); i++) {
        _cleanup_free_ char *f = sp_xasprintf("%s/%s", run_dir, gone[i]);
        unlink(f);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Console                                                                   */
/* ------------------------------------------------------------------------ */

static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int sp_guest_console(const char *data_root, const struct sp_partition *p, sp_error **err)
{
    if (!sp_guest_running(p))
        return sp_err(err, 0, "partition '%s' is not running", p->name);
    _cleanup_free_ char *run_dir = sp_store_run_dir(data_root, p->name);
    _cleanup_free_ char *path = sp_xasprintf("%s/console.sock", run_dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return sp_err(err, ENAMETOOLONG, "console socket %s", path);
    strcpy(sa.sun_path, path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return sp_err(err, errno, "connecting to the console %s", path);
    struct termios old, raw;
    bool tty = isatty(0) && tcgetattr(0, &old) == 0;
    if (tty) {
        raw = old;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
        fprintf(stderr, "Connected to %s's console; Ctrl-] to detach.\r\n", p->name);
    }
    struct pollfd pfd[2] = {{.fd = 0, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    char buf[4096];
    int rc = 0;
    bool in_open = true;
    for (;;) {
        pfd[0].fd = in_open ? 0 : -1;
        /* Input ended (a pipe): show what the guest answers until it goes quiet. */
        int pr = poll(pfd, 2, in_open ? -1 : 1000);
        if (pr == 0)
            break;
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            rc = sp_err(err, errno, "console poll");
            break;
        }
        if (pfd[1].revents) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                break;
            if (write_all(1, buf, (size_t)n) < 0)
                break;
        }
        if (in_open && pfd[0].revents) {
            ssize_t n = read(0, buf, sizeof(buf));
            if (n <= 0) {
                in_open = false;
                continue;
            }
            /* Ctrl-] detaches, as in telnet and virsh console. */
            char *esc = tty ? memchr(buf, 0x1d, (size_t)n) : NULL;
            if (esc)
                n = esc - buf;
            if (n > 0 && write_all(fd, buf, (size_t)n) < 0)
                break;
            if (esc)
                break;
        }
    }
    if (tty)
        tcsetattr(0, TCSANOW, &old);
    return rc;
}
