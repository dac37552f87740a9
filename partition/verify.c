/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa partition verify`: prove from /proc and cgroupfs, not from septa's
 * own records, that a running partition is what it claims to be: vCPU
 * threads pinned 1:1, no QEMU thread outside the slice, guest memory on the
 * slice's nodes, and the cpuset partition valid and exclusive.
 */
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check(json_t *report, bool *all, const char *name, bool pass, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void check(json_t *report, bool *all, const char *name, bool pass, const char *fmt, ...)
{
    va_list ap;
    char detail[512];
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    json_array_append_new(
        report, json_pack("{s:s, s:b, s:s}", "check", name, "pass", pass, "detail", detail));
    if (!pass)
        *all = false;
}

/* Cpus_allowed_list of a thread, as a bitmap; -1 when the thread is gone. */
static int thread_allowed(pid_t pid, pid_t tid, uint64_t *bits, char **list)
{
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
    _cleanup_file_ FILE *f = fopen(path, "re");
    char line[4096];
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Cpus_allowed_list:", 18) != 0)
            continue;
        char *v = line + 18;
        v += strspn(v, " \t");
        v[strcspn(v, "\n")] = '\0';
        size_t n;
        _cleanup_error_ sp_error *e = NULL;
        memset(bits, 0, sizeof(sp_cpuset_bits));
        if (sp_parse_cpulist(v, bits, SP_MAX_CPUS, &n, &e) < 0)
            return -1;
        if (list)
            *list = sp_xstrdup(v);
        return 0;
    }
    return -1;
}

static bool subset(const uint64_t *a, const uint64_t *b)
{
    for (size_t w = 0; w < SP_CPU_WORDS; w++)
        if (a[w] & ~b[w])
            return false;
    return true;
}

static void check_threads(const char *data_root, const struct sp_partition *p, json_t *report,
                          bool *all)
{
    _cleanup_free_ pid_t *tids = NULL;
    size_t n = 0;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_guest_vcpu_tids(data_root, p, &tids, &n, &e) < 0) {
        check(report, all, "vcpu threads", false, "%s", e->msg);
        return;
    }
    int cpu = -1;
    for (size_t i = 0; i < n; i++) {
        while (++cpu < SP_MAX_CPUS && !SP_BIT_TEST(p->cpus, cpu))
            ;
        sp_cpuset_bits want = {0}, got;
        _cleanup_free_ char *list = NULL;
        char name[48];
        snprintf(name, sizeof(name), "vcpu %zu affinity", i);
        if (cpu < SP_MAX_CPUS)
            SP_BIT_SET(want, cpu);
        if (thread_allowed(p->pid, tids[i], got, &list) < 0) {
            check(report, all, name, false, "thread %d: no Cpus_allowed_list", (int)tids[i]);
            continue;
        }
        bool ok = memcmp(want, got, sizeof(got)) == 0;
        check(report, all, name, ok, "thread %d Cpus_allowed_list %s, want %d", (int)tids[i], list,
              cpu);
    }
    _cleanup_free_ char *taskdir = sp_xasprintf("/proc/%d/task", (int)p->pid);
    _cleanup_dir_ DIR *d = opendir(taskdir);
    size_t others = 0, bad = 0;
    char first_bad[128] = "";
    struct dirent *de;
    while (d && (de = readdir(d))) {
        pid_t tid = (pid_t)atoi(de->d_name);
        bool vcpu = false;
        for (size_t i = 0; i < n; i++)
            vcpu |= tids[i] == tid;
        sp_cpuset_bits got;
        _cleanup_free_ char *list = NULL;
        if (tid <= 0 || vcpu || thread_allowed(p->pid, tid, got, &list) < 0)
            continue;
        others++;
        if (!subset(got, p->cpus)) {
            if (!bad++)
                snprintf(first_bad, sizeof(first_bad), "; thread %d allowed on %s", (int)tid, list);
        }
    }
    _cleanup_free_ char *cpus = sp_format_cpulist(p->cpus, SP_MAX_CPUS);
    check(report, all, "other threads", d && bad == 0,
          "%zu non-vCPU QEMU thread(s), %zu outside %s%s", others, bad, cpus, first_bad);
}

/*
 * Guest RAM is the mappings QEMU bound with mbind (policy "bind:..."); numa_maps
 * counts their pages per node as N<id>=pages.
 */
static void check_memory(const struct sp_partition *p, json_t *report, bool *all)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)p->pid);
    _cleanup_file_ FILE *f = fopen(path, "re");
    if (!f) {
        check(report, all, "memory locality", false, "%s: %s", path, strerror(errno));
        return;
    }
    uint64_t on = 0, total = 0;
    size_t cap = 1 << 16;
    _cleanup_free_ char *line = sp_xmalloc(cap);
    while (fgets(line, (int)cap, f)) {
        if (!strstr(line, " bind:"))
            continue;
        uint64_t psz = 4;
        char *k = strstr(line, "kernelpagesize_kB=");
        if (k)
            psz = strtoull(k + 18, NULL, 10);
        for (char *tok = strstr(line, " N"); tok; tok = strstr(tok + 1, " N")) {
            int node;
            unsigned long long pages;
            if (sscanf(tok, " N%d=%llu", &node, &pages) != 2)
                continue;
            total += pages * psz * 1024;
            if (node >= 0 && node < SP_MAX_NODES && (p->nodes & (UINT64_C(1) << node)))
                on += pages * psz * 1024;
        }
    }
    _cleanup_free_ char *nodes = sp_format_cpulist(&p->nodes, SP_MAX_NODES);
    /* prealloc=on touches every page, so (nearly) all of the guest's memory must show. */
    bool ok = total > 0 && on * 100 >= total * 99 && total * 100 >= p->memory * 99;
    check(report, all, "memory locality", ok,
          "%" PRIu64 " of %" PRIu64 " MiB of bound guest memory on node(s) %s (%.1f%%), "
          "guest memory %" PRIu64 " MiB",
          on >> 20, total >> 20, nodes, total ? 100.0 * (double)on / (double)total : 0.0,
          p->memory >> 20);
}

static int read_trim(const char *path, char **out)
{
    size_t len;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(AT_FDCWD, path, 1 << 16, out, &len, &e) < 0)
        return -1;
    while (len > 0 && (*out)[len - 1] == '\n')
        (*out)[--len] = '\0';
    return 0;
}

static void check_cgroup(const struct sp_partition *p, json_t *report, bool *all)
{
    if (!p->cgroup) {
        check(report, all, "cgroup", false, "no cgroup recorded");
        return;
    }
    _cleanup_free_ char *state_path = sp_xasprintf("%s/cpuset.cpus.partition", p->cgroup);
    _cleanup_free_ char *state = NULL;
    bool v2 = access(state_path, F_OK) == 0;
    if (p->shared) {
        check(report, all, "cgroup partition", true, "shared partition: no exclusivity claimed");
    } else if (v2) {
        const char *want = p->isolated ? "isolated" : "root";
        bool ok = read_trim(state_path, &state) == 0 && strcmp(state, want) == 0;
        check(report, all, "cgroup partition", ok, "%s reads '%s', want '%s'", state_path,
              state ? state : "(unreadable)", want);
    } else {
        _cleanup_free_ char *x = sp_xasprintf("%s/cpuset.cpu_exclusive", p->cgroup);
        bool ok = read_trim(x, &state) == 0 && strcmp(state, "1") == 0;
        check(report, all, "cgroup partition", ok, "%s reads '%s' (cgroup v1)", x,
              state ? state : "(unreadable)");
    }
    _cleanup_free_ char *procs_path = sp_xasprintf("%s/cgroup.procs", p->cgroup);
    _cleanup_free_ char *procs = NULL;
    char pidline[32];
    snprintf(pidline, sizeof(pidline), "%d", (int)p->pid);
    bool in = false;
    if (read_trim(procs_path, &procs) == 0)
        for (char *save = NULL, *t = strtok_r(procs, "\n", &save); t;
             t = strtok_r(NULL, "\n", &save))
            in |= strcmp(t, pidline) == 0;
    check(report, all, "guest in cgroup", in, "pid %d in %s", (int)p->pid, procs_path);

    if (p->shared)
        return;
    /* Exclusive means: no sibling cgroup may still run on these CPUs. */
    _cleanup_free_ char *parent = sp_xstrdup(p->cgroup);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    const char *self = slash ? slash + 1 : p->cgroup;
    _cleanup_dir_ DIR *d = opendir(parent);
    size_t siblings = 0;
    char bad[256] = "";
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.' || strcmp(de->d_name, self) == 0)
            continue;
        _cleanup_free_ char *eff = sp_xasprintf(
            "%s/%s/%s", parent, de->d_name, v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus");
        _cleanup_free_ char *s = NULL;
        if (read_trim(eff, &s) < 0)
            continue;
        siblings++;
        sp_cpuset_bits b = {0};
        size_t n;
        _cleanup_error_ sp_error *e = NULL;
        if (*s && sp_parse_cpulist(s, b, SP_MAX_CPUS, &n, &e) == 0)
            for (size_t w = 0; w < SP_CPU_WORDS && !*bad; w++)
                if (b[w] & p->cpus[w])
                    snprintf(bad, sizeof(bad), "; sibling %.100s has %.100s", de->d_name, s);
    }
    _cleanup_free_ char *cpus = sp_format_cpulist(p->cpus, SP_MAX_CPUS);
    check(report, all, "exclusive cpus", d && !*bad,
          "CPUs %s in none of %zu sibling(s)' "
          "effective sets%s",
          cpus, siblings, bad);
}

int sp_verify(const char *data_root, const struct sp_partition *p, json_t **report, bool *all_pass,
              sp_error **err)
{
    json_t *r = json_array();
    bool all = true;
    bool running = sp_guest_running(p);
    check(r, &all, "guest running", running, running ? "pid %d" : "no guest (pid %d)", (int)p->pid);
    if (running) {
        check_threads(data_root, p, r, &all);
        check_memory(p, r, &all);
        check_cgroup(p, r, &all);
    }
    *report = r;
    *all_pass = all;
    (void)err;
    return 0;
}
