/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa partition SUBCOMMAND`: hardware partitions and their guests.  Each
 * subcommand parses its options and makes library calls under the partition
 * store's lock; the logic lives in partition/.
 */
#include "cli.h"
#include "partition.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

/* Exactly one NAME argument after the options. */
static int one_name(const char *cmd, int argc, char **argv, const char **name, sp_error **err)
{
    if (optind >= argc)
        return sp_err(err, 0, "%s: missing partition NAME", cmd);
    if (optind + 1 < argc)
        return sp_err(err, 0, "%s: unexpected argument '%s'", cmd, argv[optind + 1]);
    *name = argv[optind];
    return sp_partition_name_check(*name, err);
}

static void print_json(json_t *j)
{
    _cleanup_free_ char *s = sp_json_dumps(j, true);
    printf("%s\n", s);
}

/* The simple subcommands: NAME plus --help (and --format where noted). */
static int parse_simple(const char *cmd, const char *usage, bool with_format, int argc, char **argv,
                        const char **name, const char **format, sp_error **err)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, with_format ? "f:h" : "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!with_format)
                return sp_cli_bad_option(err, cmd, argc, argv, optopt);
            *format = optarg;
            break;
        case 'h':
            printf("%s", usage);
            return 1;
        default:
            return sp_cli_bad_option(err, cmd, argc, argv, optopt);
        }
    }
    if (format && sp_cli_check_format(cmd, *format, err) < 0)
        return -1;
    return one_name(cmd, argc, argv, name, err);
}

/* ------------------------------------------------------------------------ */
/* create                                                                    */
/* ------------------------------------------------------------------------ */

static const char create_usage[] =
    "Usage: septa partition create NAME (--cpus LIST | --cpu-count N) [--nodes LIST]\n"
    "                              --memory SIZE [OPTIONS]\n"
    "       septa partition create [NAME] --spec FILE.json [OPTIONS]\n\n"
    "Define a partition: CPUs (whole cores), memory nodes and memory, checked against the\n"
    "topology, the host reserve and every other partition.  Options override --spec.\n\n"
    "  --cpus LIST          CPUs of the partition (e.g. 2-3)\n"
    "  --cpu-count N        pick N free CPUs (whole cores), node-local\n"
    "  --nodes LIST         memory nodes (default: the nodes of the CPUs)\n"
    "  --memory SIZE        guest memory, split evenly over the nodes\n"
    "  --shared             not exclusive: may share CPUs with other shared partitions\n"
    "  --isolated           cgroup v2 'isolated' partition (no load balancing)\n"
    "  --hugepages 2M|1G    back guest memory with hugepages\n"
    "  --kernel FILE        guest kernel; --initrd FILE, --append ARGS\n"
    "  --disk FILE          raw or qcow2 disk\n"
    "  --base IMAGE         read-only base image (raw or qcow2): the guest's disk is a\n"
    "                       qcow2 overlay on it, kept with the partition, removed by rm\n"
    "  --network SWITCH     a virtio NIC on a tap port of a septa switch\n"
    "  --accel auto|kvm|tcg accelerator (auto: KVM when usable, else TCG)\n"
    "  --spec FILE.json     read the above from a JSON file\n";

enum {
    OPT_CPUS = 256,
    OPT_CPU_COUNT,
    OPT_NODES,
    OPT_MEMORY,
    OPT_SHARED,
    OPT_ISOLATED,
    OPT_HUGEPAGES,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_DISK,
    OPT_ACCEL,
    OPT_SPEC,
    OPT_BASE,
    OPT_NETWORK,
};

/* The run directory with nothing but the overlay in it goes; other files stay. */
static void drop_overlay(struct sp_globals *g, const char *name)
{
    _cleanup_free_ char *ov = sp_store_overlay_path(g->data_root, name);
    _cleanup_free_ char *dir = sp_store_run_dir(g->data_root, name);
    unlink(ov);
    rmdir(dir);
}

/*
 * --base: a qcow2 overlay in the partition's run directory becomes its disk.
 * QEMU opens the backing file read-only, so any number of partitions share
 * one base and none of them ever writes it.
 */
static int make_overlay(struct sp_globals *g, struct sp_partition *p, sp_error **err)
{
    if (!p->base)
        return 0;
    _cleanup_free_ char *dir = sp_store_run_dir(g->data_root, p->name);
    _cleanup_free_ char *ov = sp_store_overlay_path(g->data_root, p->name);
    if (sp_mkdir_p(dir, 0700, err) < 0)
        return sp_err_wrap(err, "--base");
    /* A leftover from a partition of the same name that was not removed cleanly. */
    if (unlink(ov) < 0 && errno != ENOENT)
        return sp_err(err, errno, "--base: removing stale %s", ov);
    if (sp_disk_overlay(p->base, ov, 0, err) < 0) {
        rmdir(dir);
        return sp_err_wrap(err, "--base %s", p->base);
    }
    free(p->disk);
    p->disk = sp_steal_ptr(&ov);
    return 0;
}

static int create_one(struct sp_globals *g, const struct sp_partition_req *req, sp_error **err)
{
    _cleanup_close_ int lock = sp_store_lock(g->data_root, err);
    if (lock < 0)
        return -1;
    _cleanup_topology_ struct sp_topology *t = NULL;
    struct sp_reserve r;
    struct sp_partition_list l = {0};
    _cleanup_partition_ struct sp_partition *p = NULL;
    int rc = -1;
    if (sp_topology_read(sp_topology_sysfs(), &t, err) < 0 ||
        sp_reserve_load(g->data_root, t, &r, err) < 0 ||
        sp_store_load_all(g->data_root, &l, err) < 0)
        return -1;
    if (sp_partition_validate(t, &r, &l, req, &p, err) == 0 && make_overlay(g, p, err) == 0) {
        if (sp_store_save(g->data_root, p, err) == 0)
            rc = 0;
        else if (p->base)
            drop_overlay(g, p->name); /* no record: no half-made partition either */
    }
    sp_partition_list_clear(&l);
    if (rc < 0)
        return sp_err_wrap(err, "creating partition '%s'", req->name);
    return 0;
}

static int parse_accel(const char *s, enum sp_accel *out, sp_error **err)
{
    if (strcmp(s, "auto") == 0)
        *out = SP_ACCEL_AUTO;
    else if (strcmp(s, "kvm") == 0)
        *out = SP_ACCEL_KVM;
    else if (strcmp(s, "tcg") == 0)
        *out = SP_ACCEL_TCG;
    else
        return sp_err(err, 0, "--accel: unknown accelerator '%s' (expected auto, kvm or tcg)", s);
    return 0;
}

static int part_create(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"cpu-count", required_argument, NULL, OPT_CPU_COUNT},
        {"nodes", required_argument, NULL, OPT_NODES},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"shared", no_argument, NULL, OPT_SHARED},
        {"isolated", no_argument, NULL, OPT_ISOLATED},
        {"hugepages", required_argument, NULL, OPT_HUGEPAGES},
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"initrd", required_argument, NULL, OPT_INITRD},
        {"append", required_argument, NULL, OPT_APPEND},
        {"disk", required_argument, NULL, OPT_DISK},
        {"base", required_argument, NULL, OPT_BASE},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"accel", required_argument, NULL, OPT_ACCEL},
        {"spec", required_argument, NULL, OPT_SPEC},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    /* Options are applied after the spec file, so they override it. */
    struct sp_partition_req cli = {0}, req = {0};
    const char *spec = NULL, *memory = NULL, *hugepages = NULL, *count = NULL, *accel = NULL;
    bool shared = false, isolated = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CPUS:
            cli.cpus = optarg;
            break;
        case OPT_CPU_COUNT:
            count = optarg;
            break;
        case OPT_NODES:
            cli.nodes = optarg;
            break;
        case OPT_MEMORY:
            memory = optarg;
            break;
        case OPT_SHARED:
            shared = true;
            break;
        case OPT_ISOLATED:
            isolated = true;
            break;
        case OPT_HUGEPAGES:
            hugepages = optarg;
            break;
        case OPT_KERNEL:
            cli.kernel = optarg;
            break;
        case OPT_INITRD:
            cli.initrd = optarg;
            break;
        case OPT_APPEND:
            cli.append = optarg;
            break;
        case OPT_DISK:
            cli.disk = optarg;
            break;
        case OPT_ACCEL:
            accel = optarg;
            break;
        case OPT_SPEC:
            spec = optarg;
            break;
        case OPT_BASE:
            cli.base = optarg;
            break;
        case OPT_NETWORK:
            cli.network = optarg;
            break;
        case 'h':
            printf("%s", create_usage);
            return 0;
        default:
            return sp_cli_bad_option(err, "septa partition create", argc, argv, optopt);
        }
    }
    if (optind + 1 < argc)
        return sp_err(err, 0, "septa partition create: unexpected argument '%s'", argv[optind + 1]);
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (spec && (sp_jdoc_load_file(spec, spec, &doc, err) < 0 ||
                 sp_partition_req_from_spec(doc, &req, err) < 0))
        return sp_err_wrap(err, "--spec");
    if (optind < argc)
        req.name = argv[optind];
    if (!req.name)
        return sp_err(err, 0, "septa partition create: missing partition NAME");
    if (cli.cpus) {
        req.cpus = cli.cpus;
        req.cpu_count = 0;
    }
    if (count) {
        if (sp_parse_i64(count, 1, SP_MAX_CPUS, &req.cpu_count, err) < 0)
            return sp_err_wrap(err, "--cpu-count");
        req.cpus = NULL;
    }
    if (cli.nodes)
        req.nodes = cli.nodes;
    if (memory && sp_parse_size(memory, &req.memory, err) < 0)
        return sp_err_wrap(err, "--memory");
    if (hugepages && sp_parse_size(hugepages, &req.hugepage_size, err) < 0)
        return sp_err_wrap(err, "--hugepages");
    if (accel && parse_accel(accel, &req.accel, err) < 0)
        return -1;
    req.shared |= shared;
    req.isolated |= isolated;
    if (cli.kernel)
        req.kernel = cli.kernel;
    if (cli.initrd)
        req.initrd = cli.initrd;
    if (cli.append)
        req.append = cli.append;
    if (cli.disk && cli.base)
        return sp_err(err, 0, "septa partition create: --base and --disk: give one");
    if (cli.disk) {
        req.disk = cli.disk;
        req.base = NULL;
    }
    if (cli.base) {
        req.base = cli.base;
        req.disk = NULL;
    }
    if (cli.network)
        req.network = cli.network;
    if (!req.cpus && !req.cpu_count)
        return sp_err(err, 0, "septa partition create: give --cpus or --cpu-count");
    if (!req.memory && !memory && !(doc && json_object_get(doc->root, "memory")))
        return sp_err(err, 0, "septa partition create: give --memory");
    if (create_one(g, &req, err) < 0)
        return -1;
    printf("%s\n", req.name);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* plan                                                                      */
/* ------------------------------------------------------------------------ */

static int part_plan(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'c'},
        {"per-node", no_argument, NULL, 'n'},
        {"prefix", required_argument, NULL, 'p'},
        {"apply", no_argument, NULL, 'a'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *format = "text", *prefix = "part", *count_s = NULL;
    bool per_node = false, apply = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            count_s = optarg;
            break;
        case 'n':
            per_node = true;
            break;
        case 'p':
            prefix = optarg;
            break;
        case 'a':
            apply = true;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: septa partition plan (--count N | --per-node) [--prefix NAME]\n"
                   "                            [--format text|json] [--apply]\n\n"
                   "Propose a carve-up of what is free (not reserved, not in an exclusive "
                   "partition):\nnode-local, balanced, whole cores, with the reason for each "
                   "choice.  --apply creates it.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa partition plan", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "septa partition plan: unexpected argument '%s'", argv[optind]);
    if (sp_cli_check_format("septa partition plan", format, err) < 0)
        return -1;
    if (!count_s == !per_node)
        return sp_err(err, 0,
                      "septa partition plan: give exactly one of --count N and "
                      "--per-node");
    int64_t count = 0;
    if (count_s && sp_parse_i64(count_s, 1, SP_MAX_CPUS, &count, err) < 0)
        return sp_err_wrap(err, "--count");
    _cleanup_close_ int lock = apply ? sp_store_lock(g->data_root, err) : -1;
    if (apply && lock < 0)
        return -1;
    _cleanup_topology_ struct sp_topology *t = NULL;
    struct sp_reserve r;
    struct sp_partition_list l = {0};
    struct sp_plan plan;
    if (sp_topology_read(sp_topology_sysfs(), &t, err) < 0 ||
        sp_reserve_load(g->data_root, t, &r, err) < 0 ||
        sp_store_load_all(g->data_root, &l, err) < 0)
        return -1;
    int rc = sp_plan_make(t, &r, &l, (int)count, prefix, &plan, err);
    /* Validate every item before writing any, so a plan is applied whole or not at all. */
    struct sp_partition **made = rc == 0 ? sp_xcalloc(plan.n + 1, sizeof(*made)) : NULL;
    for (size_t i = 0; apply && rc == 0 && i < plan.n; i++) {
        _cleanup_free_ char *cpus = sp_format_cpulist(plan.items[i].cpus, SP_MAX_CPUS);
        _cleanup_free_ char *nodes = sp_format_cpulist(&plan.items[i].nodes, SP_MAX_NODES);
        struct sp_partition_req req = {.name = plan.items[i].name,
                                       .cpus = cpus,
                                       .nodes = nodes,
                                       .memory = plan.items[i].memory};
        rc = sp_partition_validate(t, &r, &l, &req, &made[i], err);
        if (rc == 0) {
            l.v = sp_xrealloc(l.v, (l.n + 1) * sizeof(l.v[0]));
            l.v[l.n++] = made[i];
        }
    }
    for (size_t i = 0; apply && rc == 0 && i < plan.n; i++)
        rc = sp_store_save(g->data_root, made[i], err);
    free(made);
    sp_partition_list_clear(&l);
    if (rc < 0) {
        sp_plan_clear(&plan);
        return sp_err_wrap(err, "septa partition plan");
    }
    if (strcmp(format, "json") == 0) {
        _cleanup_json_ json_t *j = sp_plan_to_json(&plan);
        json_object_set_new(j, "applied", json_boolean(apply));
        print_json(j);
    } else {
        for (size_t i = 0; i < plan.n; i++) {
            _cleanup_free_ char *cpus = sp_format_cpulist(plan.items[i].cpus, SP_MAX_CPUS);
            _cleanup_free_ char *nodes = sp_format_cpulist(&plan.items[i].nodes, SP_MAX_NODES);
            printf("%s: cpus %s, nodes %s, memory %" PRIu64 "M: %s\n", plan.items[i].name, cpus,
                   nodes, plan.items[i].memory >> 20, plan.items[i].reason);
        }
        if (*plan.note)
            printf("note: %s\n", plan.note);
        if (apply)
            printf("created %zu partition(s)\n", plan.n);
    }
    sp_plan_clear(&plan);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* ls, inspect                                                               */
/* ------------------------------------------------------------------------ */

static json_t *record_json(const struct sp_partition *p)
{
    json_t *j = sp_partition_to_json(p);
    bool running = sp_guest_running(p);
    json_object_set_new(j, "running", json_boolean(running));
    if (!running) {
        /* A pid whose process is gone (or was recycled) is not the guest's. */
        json_object_del(j, "pid");
        json_object_del(j, "start_time");
    }
    return j;
}

static int part_ls(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *format = "text";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: septa partition ls [--format text|json]\n\nList partitions.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa partition ls", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "septa partition ls: unexpected argument '%s'", argv[optind]);
    if (sp_cli_check_format("septa partition ls", format, err) < 0)
        return -1;
    struct sp_partition_list l = {0};
    if (sp_store_load_all(g->data_root, &l, err) < 0)
        return -1;
    if (strcmp(format, "json") == 0) {
        _cleanup_json_ json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, record_json(l.v[i]));
        print_json(a);
    } else {
        printf("%-20s %-12s %-8s %-10s %-10s %-8s %s\n", "NAME", "CPUS", "NODES", "MEMORY", "MODE",
               "STATE", "PID");
        for (size_t i = 0; i < l.n; i++) {
            const struct sp_partition *p = l.v[i];
            _cleanup_free_ char *cpus = sp_format_cpulist(p->cpus, SP_MAX_CPUS);
            _cleanup_free_ char *nodes = sp_format_cpulist(&p->nodes, SP_MAX_NODES);
            char mem[32], pid[16] = "-";
            bool run = sp_guest_running(p);
            snprintf(mem, sizeof(mem), "%" PRIu64 "M", p->memory >> 20);
            if (run)
                snprintf(pid, sizeof(pid), "%d", (int)p->pid);
            printf("%-20s %-12s %-8s %-10s %-10s %-8s %s\n", p->name, cpus, nodes, mem,
                   p->shared     ? "shared"
                   : p->isolated ? "isolated"
                                 : "exclusive",
                   run ? "running" : "stopped", pid);
        }
    }
    sp_partition_list_clear(&l);
    return 0;
}

static int part_inspect(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *name = NULL, *format = "json";
    int r = parse_simple("septa partition inspect",
                         "Usage: septa partition inspect NAME [--format json]\n\nShow a "
                         "partition's record as JSON, with the guest's pid while it runs.\n",
                         true, argc, argv, &name, &format, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_store_load(g->data_root, name, &p, err) < 0)
        return -1;
    _cleanup_json_ json_t *j = record_json(p);
    print_json(j);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* start, stop, rm                                                           */
/* ------------------------------------------------------------------------ */

static int part_start(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *name = NULL;
    int r = parse_simple("septa partition start",
                         "Usage: septa partition start NAME\n\nCreate the partition's cpuset, "
                         "start its guest paused, pin every vCPU to its CPU\nand resume it.  "
                         "QEMU keeps running after septa exits.\n",
                         false, argc, argv, &name, NULL, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    _cleanup_close_ int lock = sp_store_lock(g->data_root, err);
    if (lock < 0)
        return -1;
    _cleanup_partition_ struct sp_partition *p = NULL;
    _cleanup_topology_ struct sp_topology *t = NULL;
    if (sp_store_load(g->data_root, name, &p, err) < 0 ||
        sp_topology_read(sp_topology_sysfs(), &t, err) < 0)
        return -1;
    if (sp_guest_start(g->data_root, p, t, err) < 0)
        return -1;
    if (sp_store_save(g->data_root, p, err) < 0) {
        _cleanup_error_ sp_error *e2 = NULL;
        sp_guest_stop(g->data_root, p, 0, &e2);
        return -1;
    }
    printf("%s\n", name);
    return 0;
}

static int part_stop(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    uint64_t timeout = 10ull * 1000000000ull;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (sp_parse_duration(optarg, &timeout, err) < 0)
                return sp_err_wrap(err, "--timeout");
            break;
        case 'h':
            printf("Usage: septa partition stop NAME [--timeout DURATION]\n\nAsk the guest to "
                   "power down (ACPI, through QMP), kill QEMU after the timeout\n(default 10s) "
                   "and remove the partition's cgroup.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa partition stop", argc, argv, optopt);
        }
    }
    const char *name;
    if (one_name("septa partition stop", argc, argv, &name, err) < 0)
        return -1;
    _cleanup_close_ int lock = sp_store_lock(g->data_root, err);
    if (lock < 0)
        return -1;
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_store_load(g->data_root, name, &p, err) < 0)
        return -1;
    if (sp_guest_stop(g->data_root, p, timeout, err) < 0 || sp_store_save(g->data_root, p, err) < 0)
        return -1;
    printf("%s\n", name);
    return 0;
}

static int part_rm(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool force = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'h':
            printf("Usage: septa partition rm [-f] NAME\n\nRemove a partition's record and "
                   "files; -f kills a running guest first.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa partition rm", argc, argv, optopt);
        }
    }
    const char *name;
    if (one_name("septa partition rm", argc, argv, &name, err) < 0)
        return -1;
    _cleanup_close_ int lock = sp_store_lock(g->data_root, err);
    if (lock < 0)
        return -1;
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_store_load(g->data_root, name, &p, err) < 0)
        return -1;
    if (sp_guest_running(p) && !force)
        return sp_err(err, EBUSY,
                      "removing partition '%s': its guest runs (pid %d); stop it "
                      "or use rm -f",
                      name, p->pid);
    if (sp_guest_stop(g->data_root, p, 0, err) < 0 || sp_store_remove(g->data_root, name, err) < 0)
        return sp_err_wrap(err, "removing partition '%s'", name);
    printf("%s\n", name);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* logs, console, verify                                                     */
/* ------------------------------------------------------------------------ */

static int part_logs(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *name = NULL;
    int r = parse_simple("septa partition logs",
                         "Usage: septa partition logs NAME\n\nPrint the guest's serial console "
                         "as captured to its log file.\n",
                         false, argc, argv, &name, NULL, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_store_load(g->data_root, name, &p, err) < 0)
        return -1;
    _cleanup_free_ char *dir = sp_store_run_dir(g->data_root, name);
    _cleanup_free_ char *path = sp_xasprintf("%s/console.log", dir);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : sp_err(err, errno, "reading %s", path);
    char buf[65536];
    ssize_t n;
    fflush(stdout);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return sp_err(err, errno, "writing the log");
    if (n < 0)
        return sp_err(err, errno, "reading %s", path);
    return 0;
}

static int part_console(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *name = NULL;
    int r = parse_simple("septa partition console",
                         "Usage: septa partition console NAME\n\nAttach to the guest's serial "
                         "console; Ctrl-] detaches.\n",
                         false, argc, argv, &name, NULL, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_store_load(g->data_root, name, &p, err) < 0)
        return -1;
    return sp_guest_console(g->data_root, p, err);
}

static int part_verify(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *name = NULL, *format = "text";
    int r = parse_simple("septa partition verify",
                         "Usage: septa partition verify NAME [--format text|json]\n\nProve from "
                         "/proc and cgroupfs that the guest is pinned and bound: one line\nper "
                         "check; exit status 0 only if every check passes, 1 otherwise.\n",
                         true, argc, argv, &name, &format, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    _cleanup_partition_ struct sp_partition *p = NULL;
    if (sp_store_load(g->data_root, name, &p, err) < 0)
        return -1;
    _cleanup_json_ json_t *rep = NULL;
    bool all;
    if (sp_verify(g->data_root, p, &rep, &all, err) < 0)
        return -1;
    if (strcmp(format, "json") == 0) {
        _cleanup_json_ json_t *j =
            json_pack("{s:s, s:b, s:O}", "name", name, "pass", all, "checks", rep);
        print_json(j);
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(rep, i, c)
        {
            printf("%s  %s: %s\n", json_is_true(json_object_get(c, "pass")) ? "pass" : "FAIL",
                   json_string_value(json_object_get(c, "check")),
                   json_string_value(json_object_get(c, "detail")));
        }
    }
    return all ? 0 : 1;
}

static const struct sp_command subcommands[] = {
    {"plan", "Propose (and --apply) a carve-up of the free CPUs and memory", part_plan},
    {"create", "Define a partition", part_create},
    {"ls", "List partitions", part_ls},
    {"inspect", "Show a partition's record", part_inspect},
    {"start", "Start the partition's guest, pinned", part_start},
    {"stop", "Power the guest down (kill after --timeout)", part_stop},
    {"logs", "Print the guest's console log", part_logs},
    {"console", "Attach to the guest's serial console", part_console},
    {"verify", "Prove pinning, memory binding and exclusivity", part_verify},
    {"rm", "Remove a partition", part_rm},
};

int sp_cmd_partition(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "Usage: septa partition COMMAND\n\nHardware partitions: fixed slices of "
                     "the host's CPUs and memory nodes, each\noptionally given to a pinned "
                     "guest.\n\nCommands:\n");
        sp_cli_print_commands(out, subcommands, SP_ARRAY_SIZE(subcommands));
        if (argc < 2)
            return sp_err(err, 0, "septa partition: no command given");
        return 0;
    }
    return sp_cli_dispatch(g, "septa partition", subcommands, SP_ARRAY_SIZE(subcommands), argc - 1,
                           argv + 1, err);
}
