/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa oci update [FLAGS] ID`: change a running container's resource limits,
 * with runc's flags, or a linux.resources JSON document (--resources FILE,
 * "-" for stdin).  The flags are turned into that same document so both go
 * through one parser, with its checks and messages.
 */
#include "cli.h"
#include "runtime.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

enum {
    OPT_BLKIO_WEIGHT = 256,
    OPT_CPU_PERIOD,
    OPT_CPU_QUOTA,
    OPT_CPU_SHARES,
    OPT_CPU_RT_PERIOD,
    OPT_CPU_RT_RUNTIME,
    OPT_CPUSET_CPUS,
    OPT_CPUSET_MEMS,
    OPT_MEMORY,
    OPT_MEMORY_RESERVATION,
    OPT_MEMORY_SWAP,
    OPT_PIDS_LIMIT,
    OPT_KERNEL_MEMORY,
    OPT_KERNEL_MEMORY_TCP,
};

static void usage(const char *prog)
{
    printf("Usage: %s update [FLAGS] ID\n\n"
           "Change the resource limits of a running container.\n\n"
           "  -r, --resources FILE        a linux.resources JSON document (\"-\": stdin);\n"
           "                              cannot be combined with the flags below\n"
           "      --cpu-shares N          CPU shares (relative weight; --cpu-share too)\n"
           "      --cpu-quota US          CPU time per period in microseconds (-1: no limit)\n"
           "      --cpu-period US         CFS period in microseconds\n"
           "      --cpu-rt-period US      real-time period (cgroup v1)\n"
           "      --cpu-rt-runtime US     real-time runtime (cgroup v1)\n"
           "      --cpuset-cpus LIST      CPUs allowed, e.g. 0-3,8\n"
           "      --cpuset-mems LIST      memory nodes allowed\n"
           "      --memory SIZE           memory limit, e.g. 256m (-1: no limit)\n"
           "      --memory-reservation SIZE  soft limit (v2 memory.low)\n"
           "      --memory-swap SIZE      memory+swap total (-1: no limit); alone, the memory\n"
           "                              limit in force stays (cgroup v2: swap.max = SIZE - it)\n"
           "      --pids-limit N          maximum number of tasks (-1: no limit)\n"
           "      --blkio-weight N        block I/O weight, 10..1000\n",
           prog);
}

/* "-1" or a size ("256m"): memory flags, as runc reads them. */
static int size_or_unlimited(const char *flag, const char *s, json_int_t *out, sp_error **err)
{
    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return 0;
    }
    uint64_t v = 0;
    if (sp_parse_size(s, &v, err) < 0)
        return sp_err_wrap(err, "update: --%s", flag);
    if (v > INT64_MAX)
        return sp_err(err, ERANGE, "update: --%s %s: too large", flag, s);
    *out = (json_int_t)v;
    return 0;
}

static int integer(const char *flag, const char *s, json_int_t *out, sp_error **err)
{
    int64_t v = 0;
    if (sp_parse_i64(s, INT64_MIN, INT64_MAX, &v, err) < 0)
        return sp_err_wrap(err, "update: --%s", flag);
    *out = (json_int_t)v;
    return 0;
}

/* Put value under res.section.key, creating the section. */
static void put(json_t *res, const char *section, const char *key, json_t *v)
{
    json_t *o = json_object_get(res, section);
    if (!o) {
        o = json_object();
        json_object_set_new(res, section, o);
    }
    json_object_set_new(o, key, v);
}

int sp_oci_update(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"resources", required_argument, NULL, 'r'},
        {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
        {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
        {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
        {"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
        {"cpu-share", required_argument, NULL, OPT_CPU_SHARES},
        {"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
        {"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
        {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
        {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
        {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
        {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
        {"kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY},
        {"kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    _cleanup_json_ json_t *res = json_object();
    const char *file = NULL;
    json_int_t v = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
        const char *name = NULL;
        for (const struct option *o = opts; o->name; o++)
            if (o->val == c)
                name = o->name;
        switch (c) {
        case 'h':
            usage(g->prog);
            return 0;
        case 'r':
            file = optarg;
            break;
        case OPT_BLKIO_WEIGHT:
            if (integer(name, optarg, &v, err) < 0)
                return -1;
            put(res, "blockIO", "weight", json_integer(v));
            break;
        case OPT_CPU_PERIOD:
        case OPT_CPU_QUOTA:
        case OPT_CPU_SHARES:
        case OPT_CPU_RT_PERIOD:
        case OPT_CPU_RT_RUNTIME: {
            static const char *const keys[] = {"period", "quota", "shares", "realtimePeriod",
                                               "realtimeRuntime"};
            if (integer(name, optarg, &v, err) < 0)
                return -1;
            put(res, "cpu", keys[c - OPT_CPU_PERIOD], json_integer(v));
            break;
        }
        case OPT_CPUSET_CPUS:
            put(res, "cpu", "cpus", json_string(optarg));
            break;
        case OPT_CPUSET_MEMS:
            put(res, "cpu", "mems", json_string(optarg));
            break;
        case OPT_MEMORY:
        case OPT_MEMORY_RESERVATION:
        case OPT_MEMORY_SWAP:
        case OPT_KERNEL_MEMORY:
        case OPT_KERNEL_MEMORY_TCP: {
            static const char *const keys[] = {"limit", "reservation", "swap", "kernel",
                                               "kernelTCP"};
            if (size_or_unlimited(name, optarg, &v, err) < 0)
                return -1;
            put(res, "memory", keys[c - OPT_MEMORY], json_integer(v));
            break;
        }
        case OPT_PIDS_LIMIT:
            if (integer(name, optarg, &v, err) < 0)
                return -1;
            put(res, "pids", "limit", json_integer(v));
            break;
        default:
            return sp_cli_bad_option(err, "update", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "update: missing container ID");
    if (optind + 1 < argc)
        return sp_err(err, 0, "update: unexpected argument '%s'", argv[optind + 1]);
    const char *id = argv[optind];
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (file) {
        if (json_object_size(res) > 0)
            return sp_err(err, 0, "update: --resources cannot be combined with other limit flags");
        int r = strcmp(file, "-") == 0 ? sp_jdoc_load_fd(STDIN_FILENO, "stdin", &doc, err)
                                       : sp_jdoc_load_file(file, file, &doc, err);
        if (r < 0)
            return sp_err_wrap(err, "update: --resources");
        return sp_container_update(g->root, id, doc, doc->root, "", err);
    }
    if (json_object_size(res) == 0)
        return sp_err(err, 0, "update: nothing to change (give limit flags or --resources FILE)");
    /* Wrapped like a config so messages name linux.resources.FIELD. */
    _cleanup_json_ json_t *wrap = json_pack("{s:{s:O}}", "linux", "resources", res);
    _cleanup_free_ char *text = sp_json_dumps(wrap, false);
    if (sp_jdoc_load_buf(text, strlen(text), "update flags", &doc, err) < 0)
        return -1;
    json_t *r = json_object_get(json_object_get(doc->root, "linux"), "resources");
    return sp_container_update(g->root, id, doc, r, "linux.resources", err);
}
