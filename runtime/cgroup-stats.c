/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Accounting: the cgroup files -> runc's `events --stats` "data" object
 * (libcontainer/cgroups Stats as runc's types.Stats marshals it), so tools
 * that parse runc's output parse septa's.  Missing files leave fields out
 * rather than failing: a stats reader must work on every host.
 */
#include "cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *ju(uint64_t v)
{
    return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Every "key value" line of a flat-keyed file into obj (missing file: none). */
static void keyed_into(struct sp_cgroup *cg, int ctrl, const char *file, json_t *obj)
{
    _cleanup_free_ char *s = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (cg->fd[ctrl] < 0 || sp_cg_read(cg, ctrl, file, &s, &e) < 0)
        return;
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *sp = strchr(line, ' ');
        if (sp) {
            *sp = '\0';
            json_object_set_new(obj, line, ju(strtoull(sp + 1, NULL, 10)));
        }
        line = nl ? nl + 1 : NULL;
    }
}

static uint64_t u64_or0(struct sp_cgroup *cg, int ctrl, const char *file)
{
    uint64_t v = 0;
    _cleanup_error_ sp_error *e = NULL;
    if (cg->fd[ctrl] < 0 || sp_cg_read_u64(cg, ctrl, file, &v, &e) < 0)
        return 0;
    return v;
}

static json_t *cpu_v1(struct sp_cgroup *cg)
{
    json_t *usage = json_object();
    json_object_set_new(usage, "total", ju(u64_or0(cg, SP_CG_CPUACCT, "cpuacct.usage")));
    json_t *percpu = json_array();
    _cleanup_free_ char *s = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (cg->fd[SP_CG_CPUACCT] >= 0 &&
        sp_cg_read(cg, SP_CG_CPUACCT, "cpuacct.usage_percpu", &s, &e) == 0)
        for (char *p = s;;) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p)
                break;
            json_array_append_new(percpu, ju(v));
            p = end;
        }
    json_object_set_new(usage, "percpu", percpu);
    /* cpuacct.stat is in USER_HZ ticks; runc reports nanoseconds. */
    json_t *st = json_object();
    keyed_into(cg, SP_CG_CPUACCT, "cpuacct.stat", st);
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t tick_ns = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
    json_object_set_new(usage, "kernel",
                        ju((uint64_t)json_integer_value(json_object_get(st, "system")) * tick_ns));
    json_object_set_new(usage, "user",
                        ju((uint64_t)json_integer_value(json_object_get(st, "user")) * tick_ns));
    json_decref(st);
    json_t *thr_raw = json_object();
    keyed_into(cg, SP_CG_CPU, "cpu.stat", thr_raw);
    json_t *thr = json_object();
    json_object_set_new(thr, "periods",
                        ju((uint64_t)json_integer_value(json_object_get(thr_raw, "nr_periods"))));
    json_object_set_new(thr, "throttled_periods",
                        ju((uint64_t)json_integer_value(json_object_get(thr_raw, "nr_throttled"))));
    json_object_set_new(
        thr, "throttled_time",
        ju((uint64_t)json_integer_value(json_object_get(thr_raw, "throttled_time"))));
    json_decref(thr_raw);
    json_t *cpu = json_object();
    json_object_set_new(cpu, "usage", usage);
    json_object_set_new(cpu, "throttling", thr);
    return cpu;
}

static json_t *cpu_v2(struct sp_cgroup *cg)
{
    json_t *raw = json_object();
    keyed_into(cg, SP_CG_V2, "cpu.stat", raw);
    uint64_t k = 1000; /* cpu.stat is in microseconds; runc reports ns */
    json_t *usage = json_object();
    json_object_set_new(usage, "total",
                        ju((uint64_t)json_integer_value(json_object_get(raw, "usage_usec")) * k));
    json_object_set_new(usage, "kernel",
                        ju((uint64_t)json_integer_value(json_object_get(raw, "system_usec")) * k));
    json_object_set_new(usage, "user",
                        ju((uint64_t)json_integer_value(json_object_get(raw, "user_usec")) * k));
    json_t *thr = json_object();
    json_object_set_new(thr, "periods",
                        ju((uint64_t)json_integer_value(json_object_get(raw, "nr_periods"))));
    json_object_set_new(thr, "throttled_periods",
                        ju((uint64_t)json_integer_value(json_object_get(raw, "nr_throttled"))));
    json_object_set_new(
        thr, "throttled_time",
        ju((uint64_t)json_integer_value(json_object_get(raw, "throttled_usec")) * k));
    json_decref(raw);
    json_t *cpu = json_object();
    json_object_set_new(cpu, "usage", usage);
    json_object_set_new(cpu, "throttling", thr);
    return cpu;
}

static json_t *mem_entry(uint64_t usage, uint64_t max, uint64_t failcnt, uint64_t limit)
{
    json_t *o = json_object();
    json_object_set_new(o, "usage", ju(usage));
    if (max)
        json_object_set_new(o, "max", ju(max));
    json_object_set_new(o, "failcnt", ju(failcnt));
    json_object_set_new(o, "limit", ju(limit));
    return o;
}

static json_t *memory_v1(struct sp_cgroup *cg)
{
    const int m = SP_CG_MEMORY;
    json_t *raw = json_object();
    keyed_into(cg, m, "memory.stat", raw);
    json_t *mem = json_object();
    json_object_set_new(mem, "cache",
                        ju((uint64_t)json_integer_value(json_object_get(raw, "total_cache"))));
    json_object_set_new(mem, "usage",
                        mem_entry(u64_or0(cg, m, "memory.usage_in_bytes"),
                                  u64_or0(cg, m, "memory.max_usage_in_bytes"),
                                  u64_or0(cg, m, "memory.failcnt"),
                                  u64_or0(cg, m, "memory.limit_in_bytes")));
    if (sp_cg_has_file(cg, m, "memory.memsw.usage_in_bytes"))
        json_object_set_new(mem, "swap",
                            mem_entry(u64_or0(cg, m, "memory.memsw.usage_in_bytes"),
                                      u64_or0(cg, m, "memory.memsw.max_usage_in_bytes"),
                                      u64_or0(cg, m, "memory.memsw.failcnt"),
                                      u64_or0(cg, m, "memory.memsw.limit_in_bytes")));
    json_object_set_new(mem, "raw", raw);
    return mem;
}

static json_t *memory_v2(struct sp_cgroup *cg)
{
    json_t *raw = json_object();
    keyed_into(cg, SP_CG_V2, "memory.stat", raw);
    json_t *events = json_object();
    keyed_into(cg, SP_CG_V2, "memory.events", events);
    json_t *mem = json_object();
    json_object_set_new(mem, "cache",
                        ju((uint64_t)json_integer_value(json_object_get(raw, "file"))));
    json_object_set_new(mem, "usage",
                        mem_entry(u64_or0(cg, SP_CG_V2, "memory.current"),
                                  u64_or0(cg, SP_CG_V2, "memory.peak"),
                                  (uint64_t)json_integer_value(json_object_get(events, "max")),
                                  u64_or0(cg, SP_CG_V2, "memory.max")));
    if (sp_cg_has_file(cg, SP_CG_V2, "memory.swap.current"))
        json_object_set_new(mem, "swap",
                            mem_entry(u64_or0(cg, SP_CG_V2, "memory.swap.current") +
                                          u64_or0(cg, SP_CG_V2, "memory.current"),
                                      0, 0, u64_or0(cg, SP_CG_V2, "memory.swap.max")));
    json_decref(events);
    json_object_set_new(mem, "raw", raw);
    return mem;
}

static json_t *pids_stats(struct sp_cgroup *cg, int ctrl)
{
    json_t *p = json_object();
    json_object_set_new(p, "current", ju(u64_or0(cg, ctrl, "pids.current")));
    uint64_t lim = u64_or0(cg, ctrl, "pids.max");
    /* runc reports "max" as 0. */
    json_object_set_new(p, "limit", ju(lim == UINT64_MAX ? 0 : lim));
    return p;
}

/* "MAJ:MIN Op VALUE" lines (v1 blkio) -> [{major,minor,op,value}]. */
static json_t *blkio_v1_list(struct sp_cgroup *cg, const char *file)
{
    json_t *arr = json_array();
    _cleanup_free_ char *s = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (cg->fd[SP_CG_BLKIO] < 0 || sp_cg_read(cg, SP_CG_BLKIO, file, &s, &e) < 0)
        return arr;
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        unsigned maj, min;
        char op[16];
        unsigned long long v;
        if (sscanf(line, "%u:%u %15s %llu", &maj, &min, op, &v) == 4) {
            json_t *o = json_object();
            json_object_set_new(o, "major", ju(maj));
            json_object_set_new(o, "minor", ju(min));
            json_object_set_new(o, "op", json_string(op));
            json_object_set_new(o, "value", ju(v));
            json_array_append_new(arr, o);
        }
        line = nl ? nl + 1 : NULL;
    }
    return arr;
}

/* v2 io.stat "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." -> runc's lists. */
static json_t *blkio_v2(struct sp_cgroup *cg)
{
    json_t *bytes = json_array(), *ios = json_array();
    _cleanup_free_ char *s = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_cg_has_file(cg, SP_CG_V2, "io.stat") && sp_cg_read(cg, SP_CG_V2, "io.stat", &s, &e) == 0)
        for (char *line = s; line && *line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            unsigned maj, min;
            int off = 0;
            if (sscanf(line, "%u:%u%n", &maj, &min, &off) == 2) {
                char *save = NULL;
                for (char *t = strtok_r(line + off, " ", &save); t;
                     t = strtok_r(NULL, " ", &save)) {
                    char *eq = strchr(t, '=');
                    if (!eq)
                        continue;
                    *eq = '\0';
                    const char *op = strcmp(t, "rbytes") == 0 || strcmp(t, "rios") == 0   ? "Read"
                                     : strcmp(t, "wbytes") == 0 || strcmp(t, "wios") == 0 ? "Write"
                                                                                          : NULL;
                    if (!op)
                        continue;
                    json_t *o = json_object();
                    json_object_set_new(o, "major", ju(maj));
                    json_object_set_new(o, "minor", ju(min));
                    json_object_set_new(o, "op", json_string(op));
                    json_object_set_new(o, "value", ju(strtoull(eq + 1, NULL, 10)));
                    json_array_append_new(t[1] == 'b' ? bytes : ios, o);
                }
            }
            line = nl ? nl + 1 : NULL;
        }
    json_t *b = json_object();
    json_object_set_new(b, "ioServiceBytesRecursive", bytes);
    json_object_set_new(b, "ioServicedRecursive", ios);
    return b;
}

int sp_cgroup_stats(struct sp_cgroup *cg, json_t **out, sp_error **err)
{
    json_t *d = json_object();
    if (cg->mode == SP_CGROUP_V2) {
        if (cg->fd[0] < 0) {
            json_decref(d);
            return sp_err(err, ENOENT, "stats: cgroup %s does not exist", cg->path);
        }
        json_object_set_new(d, "cpu", cpu_v2(cg));
        json_object_set_new(d, "memory", memory_v2(cg));
        json_object_set_new(d, "pids", pids_stats(cg, SP_CG_V2));
        json_object_set_new(d, "blkio", blkio_v2(cg));
    } else {
        json_object_set_new(d, "cpu", cpu_v1(cg));
        json_object_set_new(d, "memory", memory_v1(cg));
        json_object_set_new(d, "pids", pids_stats(cg, SP_CG_PIDS));
        json_t *b = json_object();
        json_object_set_new(b, "ioServiceBytesRecursive",
                            blkio_v1_list(cg, "blkio.throttle.io_service_bytes_recursive"));
        json_object_set_new(b, "ioServicedRecursive",
                            blkio_v1_list(cg, "blkio.throttle.io_serviced_recursive"));
        json_object_set_new(d, "blkio", b);
    }
    uint64_t ooms = 0;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_cgroup_oom_kills(cg, &ooms, &e) == 0)
        json_object_set_new(json_object_get(d, "memory"), "oom_kill", ju(ooms));
    *out = d;
    return 0;
}
