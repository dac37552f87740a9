/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa run [OPTIONS] IMAGE [CMD...]`: a container from an image, for people.
 * images/ prepares the bundle (root filesystem + config.json), runtime/ runs
 * it; the exit status is the workload's, septa's own errors are 125.
 */
#include "cli.h"
#include "images.h"
#include "run_opts.h"
#include "runtime.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum {
    OPT_RESTART = 200, /* detach path (monitor) */
    OPT_RM = 256,
    OPT_NAME,
    OPT_ENV_FILE,
    OPT_HOSTNAME,
    OPT_ENTRYPOINT,
    OPT_READ_ONLY,
    OPT_TMPFS,
    OPT_CPUS,
    OPT_CPU_WEIGHT,
    OPT_CPUSET_CPUS,
    OPT_CPUSET_MEMS,
    OPT_MEMORY,
    OPT_MEMORY_SWAP,
    OPT_PIDS,
    OPT_CAP_ADD,
    OPT_CAP_DROP,
    OPT_SECURITY_OPT,
    OPT_NETWORK, /* run-options: network, partition, user namespace */
    OPT_DNS,
    OPT_IP,
    OPT_PARTITION,
    OPT_USERNS,
};

static void usage(void)
{
    printf("Usage: septa run [OPTIONS] IMAGE [CMD...]\n\n"
           "Run a command in a new container made from IMAGE (loaded on first use when it is\n"
           "the built-in busybox).  The exit status is the command's; septa's own errors\n"
           "are 125, a missing command 127, one that cannot run 126.\n\n"
           "  --name NAME              name the container (unique)\n"
           "  --rm                     remove the container when it exits\n"
           "  -d, --detach             run in the background under a monitor; print the ID\n"
           "  --restart no|always|on-failure[:N]  (with -d) restart policy, with backoff\n"
           "  -i, --interactive        keep stdin open\n"
           "  -t, --tty                allocate a terminal\n"
           "  -e, --env K=V            set an environment variable (K alone: septa's value)\n"
           "  --env-file FILE          read K=V lines\n"
           "  -w, --workdir DIR        working directory\n"
           "  -u, --user USER[:GROUP]  names resolved in the image's /etc/passwd, /etc/group\n"
           "  --hostname NAME\n"
           "  --entrypoint CMD         replace the image's Entrypoint (and its Cmd)\n"
           "  -v, --volume HOST:CTR[:ro]  bind a host directory\n"
           "  --read-only              read-only root, tmpfs on /tmp, /var/tmp, /run\n"
           "  --tmpfs PATH[:OPTS]      mount a tmpfs\n"
           "  --cpus N, --cpu-weight W, --cpuset-cpus LIST, --cpuset-mems LIST\n"
           "  --memory SIZE, --memory-swap SIZE, --pids-limit N\n"
           "  --cap-add CAP, --cap-drop CAP   (ALL allowed)\n"
           "  --security-opt seccomp=unconfined|seccomp=FILE   (default: septa's allow-list)\n"
           "  --network NAME|none|host  switch to join (default septa0), lo only, or the host's\n"
           "  -p, --publish [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]\n"
           "  --dns IP, --ip IP        nameserver for resolv.conf, fixed address on the switch\n"
           "  --partition NAME         run inside a --shared partition's CPUs and memory nodes\n"
           "  --user-ns auto|host      auto: private user namespace, root = an unprivileged range\n");
}

static void strv_push(char ***v, size_t *n, const char *s)
{
    *v = sp_xrealloc(*v, (*n + 2) * sizeof(char *));
    (*v)[(*n)++] = sp_xstrdup(s);
    (*v)[*n] = NULL;
}

static int read_env_file(const char *path, char ***env, size_t *n, sp_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_read_file(AT_FDCWD, path, 1u << 20, &text, &len, err) < 0)
        return sp_err_wrap(err, "--env-file");
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        strv_push(env, n, line);
    }
    return 0;
}

static void new_id(char out[65])
{
    unsigned char b[32];
    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        abort();
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[64] = '\0';
}

/* --restart: checked here, applied by the monitor. */
static int check_restart(const char *p, sp_error **err)
{
    int limit;
    bool on_failure;
    if (sp_restart_policy_parse(p, &limit, &on_failure, err) < 0)
        return sp_err_wrap(err, "--restart");
    return 0;
}

/*
 * -d: the monitor (cli/monitor.c) creates, watches and, as --restart says,
 * restarts the container; we return once it has started (or report why not,
 * removing the prepared root: nothing half-made stays).
 */
static int run_detached(struct sp_globals *g, const char *id, const char *restart, bool rm,
                        sp_error **err)
{
    _cleanup_json_ json_t *f = json_pack("{s:s, s:b}", "restart", restart, "auto_remove", rm);
    int r = sp_image_container_update(g->data_root, id, f, err);
    if (r == 0)
        r = sp_monitor_spawn(g, id, err);
    if (r < 0) {
        _cleanup_error_ sp_error *e2 = NULL, *e3 = NULL;
        sp_run_net_teardown(g->data_root, id, &e3);
        sp_image_unmount(g->data_root, id, &e2);
        return sp_err_wrap(err, "septa run");
    }
    /* The network stays while the container exists (restarts and `septa
     * start` reuse it); rm tears it down. */
    printf("%s\n", id);
    return 0;
}

int sp_cmd_run(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"rm", no_argument, NULL, OPT_RM},
        {"name", required_argument, NULL, OPT_NAME},
        {"detach", no_argument, NULL, 'd'},
        {"restart", required_argument, NULL, OPT_RESTART},
        {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"env", required_argument, NULL, 'e'},
        {"env-file", required_argument, NULL, OPT_ENV_FILE},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"hostname", required_argument, NULL, OPT_HOSTNAME},
        {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
        {"volume", required_argument, NULL, 'v'},
        {"read-only", no_argument, NULL, OPT_READ_ONLY},
        {"tmpfs", required_argument, NULL, OPT_TMPFS},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"cpu-weight", required_argument, NULL, OPT_CPU_WEIGHT},
        {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
        {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
        {"pids-limit", required_argument, NULL, OPT_PIDS},
        {"cap-add", required_argument, NULL, OPT_CAP_ADD},
        {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
        {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"net", required_argument, NULL, OPT_NETWORK},
        {"publish", required_argument, NULL, 'p'},
        {"dns", required_argument, NULL, OPT_DNS},
        {"ip", required_argument, NULL, OPT_IP},
        {"partition", required_argument, NULL, OPT_PARTITION},
        {"user-ns", required_argument, NULL, OPT_USERNS},
        {"userns", required_argument, NULL, OPT_USERNS},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct sp_run_opts o = {0};
    struct sp_run_extra x = {0};
    _cleanup_strv_ char **pub = NULL, **dns = NULL;
    size_t npub = 0, ndns = 0;
    _cleanup_strv_ char **env = NULL, **vols = NULL, **tmpfs = NULL, **add = NULL, **drop = NULL;
    size_t nenv = 0, nvols = 0, ntmpfs = 0, nadd = 0, ndrop = 0;
    const char *name = NULL;
    bool rm = false, detach = false;
    const char *restart = "no";
    int64_t v64 = 0;
    int c;
    opterr = 0;
    /* "+": options end at IMAGE; what follows is the container's command. */
    while ((c = getopt_long(argc, argv, "+dite:w:u:v:p:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_RM:
            rm = o.volatile_root = x.volatile_records = true; /* gone with it: no syncs */
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case 'd':
            detach = true;
            break;
        case OPT_RESTART:
            if (check_restart(optarg, err) < 0)
                return sp_err_wrap(err, "septa run");
            restart = optarg;
            break;
        case 'i':
            break; /* stdin is passed through in the foreground anyway */
        case 't':
            o.tty = true;
            break;
        case 'e':
            strv_push(&env, &nenv, optarg);
            break;
        case OPT_ENV_FILE:
            if (read_env_file(optarg, &env, &nenv, err) < 0)
                return sp_err_wrap(err, "septa run");
            break;
        case 'w':
            o.workdir = optarg;
            break;
        case 'u':
            o.user = optarg;
            break;
        case OPT_HOSTNAME:
            o.hostname = optarg;
            break;
        case OPT_ENTRYPOINT:
            o.entrypoint = optarg;
            break;
        case 'v':
            strv_push(&vols, &nvols, optarg);
            break;
        case OPT_READ_ONLY:
            o.read_only = true;
            break;
        case OPT_TMPFS:
            strv_push(&tmpfs, &ntmpfs, optarg);
            break;
        case OPT_CPUS:
            if (sp_parse_cpus(optarg, &o.cpus_milli, err) < 0)
                return sp_err_wrap(err, "septa run: --cpus");
            break;
        case OPT_CPU_WEIGHT:
            if (sp_parse_i64(optarg, 1, 10000, &v64, err) < 0)
                return sp_err_wrap(err, "septa run: --cpu-weight");
            o.cpu_weight = (uint64_t)v64;
            break;
        case OPT_CPUSET_CPUS:
            o.cpuset_cpus = optarg;
            break;
        case OPT_CPUSET_MEMS:
            o.cpuset_mems = optarg;
            break;
        case OPT_MEMORY:
            if (sp_parse_size(optarg, &o.memory, err) < 0)
                return sp_err_wrap(err, "septa run: --memory");
            break;
        case OPT_MEMORY_SWAP:
            if (sp_parse_size(optarg, &o.memory_swap, err) < 0)
                return sp_err_wrap(err, "septa run: --memory-swap");
            break;
        case OPT_PIDS:
            if (sp_parse_i64(optarg, 1, INT64_MAX, &o.pids_limit, err) < 0)
                return sp_err_wrap(err, "septa run: --pids-limit");
            break;
        case OPT_CAP_ADD:
            strv_push(&add, &nadd, optarg);
            break;
        case OPT_CAP_DROP:
            strv_push(&drop, &ndrop, optarg);
            break;
        case OPT_SECURITY_OPT:
            if (strcmp(optarg, "seccomp=unconfined") == 0) {
                o.seccomp_unconfined = true;
                x.seccomp_unconfined = true;
            } else if (strncmp(optarg, "seccomp=", 8) == 0 && optarg[8]) {
                x.seccomp_file = optarg + 8;
            } else {
                return sp_err(err, 0,
                              "septa run: --security-opt '%s': expected "
                              "seccomp=unconfined or seccomp=FILE",
                              optarg);
            }
            break;
        case OPT_NETWORK:
            x.network = optarg;
            break;
        case 'p':
            strv_push(&pub, &npub, optarg);
            break;
        case OPT_DNS:
            strv_push(&dns, &ndns, optarg);
            break;
        case OPT_IP:
            x.ip = optarg;
            break;
        case OPT_PARTITION:
            x.partition = optarg;
            break;
        case OPT_USERNS:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "host") != 0)
                return sp_err(err, 0, "septa run: --user-ns '%s': expected auto or host", optarg);
            x.userns = optarg;
            break;
        case 'h':
            usage();
            return 0;
        default:
            return sp_cli_bad_option(err, "septa run", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "septa run: no image given (see 'septa run --help')");
    if (x.userns && strcmp(x.userns, "auto") == 0 && o.read_only)
        return sp_err(err, 0,
                      "septa run: --user-ns=auto with --read-only: the root filesystem's "
                      "owners cannot be shifted into the range on a read-only root");
    if (detach && o.tty)
        return sp_err(err, 0, "septa run: -t with -d: a detached container has no terminal");
    if (strcmp(restart, "no") != 0 && !detach)
        return sp_err(err, 0, "septa run: --restart needs -d (the monitor restarts)");
    if (strcmp(restart, "no") != 0 && rm)
        return sp_err(err, 0, "septa run: --restart and --rm contradict each other");
    /* -v NAME:/ctr names a volume (created on first use, as docker does). */
    for (size_t k = 0; k < nvols; k++) {
        if (vols[k][0] == '/')
            continue;
        char *colon = strchr(vols[k], ':');
        if (!colon)
            return sp_err(err, 0, "septa run: -v '%s': expected HOST:CONTAINER[:ro|rw]", vols[k]);
        _cleanup_free_ char *vname = strndup(vols[k], (size_t)(colon - vols[k]));
        _cleanup_json_ json_t *vol = NULL;
        _cleanup_error_ sp_error *e = NULL;
        if (sp_volume_get(g->data_root, vname, &vol, &e) < 0 &&
            sp_volume_create(g->data_root, vname, &vol, err) < 0)
            return sp_err_wrap(err, "septa run: -v '%s'", vols[k]);
        char *full =
            sp_xasprintf("%s%s", json_string_value(json_object_get(vol, "mountpoint")), colon);
        free(vols[k]);
        vols[k] = full;
    }
    const char *image = argv[optind];
    o.cmd = argv + optind + 1;
    o.env = env;
    o.volumes = vols;
    o.tmpfs = tmpfs;
    o.cap_add = add;
    o.cap_drop = drop;

    /* CVE-2019-5736: from here on septa runs from a protected copy of itself
     * (runtime/exe.c; this re-executes once, before anything is created, so
     * the runtime never has to re-execute half-way through a run). */
    if (sp_runtime_protect_exe(err) < 0)
        return sp_err_wrap(err, "septa run");
    char id[65];
    new_id(id);
    /* The default hostname is the container's name (or short id, as docker's):
     * it is also the name the other containers on its switches know it by. */
    char short_id[13];
    snprintf(short_id, sizeof(short_id), "%.12s", id);
    if (!o.hostname)
        o.hostname = name && strlen(name) <= 63 ? name : short_id;
    _cleanup_free_ char *bundle = NULL;
    if (sp_image_container_prepare(g->data_root, image, id, name, &o, &bundle, err) < 0)
        return sp_err_wrap(err, "septa run");
    x.publish = pub;
    x.dns = dns;
    if (sp_run_extra_apply(g->data_root, bundle, id, name ? name : short_id, &x, err) < 0) {
        _cleanup_error_ sp_error *e1 = NULL;
        sp_image_unmount(g->data_root, id, &e1);
        return sp_err_wrap(err, "septa run");
    }
    if (detach)
        return run_detached(g, id, restart, rm, err);
    struct sp_create_opts co = {.bundle = bundle};
    int status = 0;
    struct sp_run_report rep;
    int r = sp_container_run_report(g->root, id, &co, &status, &rep, err);
    {
        /* The workload is gone: its ports and addresses go with it (an
         * exited container keeps no lease, as with podman). */
        _cleanup_error_ sp_error *en = NULL;
        if (sp_run_net_teardown(g->data_root, id, &en) < 0)
            sp_warn("removing the network of %.12s: %s", id, en->msg);
    }
    if (r < 0 || rm) {
        /* The runtime deleted its state when the init exited; the root goes
         * now with --rm, or on failure (nothing half-made stays). */
        _cleanup_error_ sp_error *e2 = NULL;
        if (sp_image_unmount(g->data_root, id, &e2) < 0 && r == 0)
            return sp_err(err, e2->errnum, "septa run: removing the container: %s", e2->msg);
    }
    if (r < 0)
        return sp_err_wrap(err, "septa run");
    if (!rm) {
        /* For ps/inspect; the workload's status is what matters, not this. */
        _cleanup_error_ sp_error *e3 = NULL;
        if (sp_image_container_exited(g->data_root, id, status, &e3) < 0)
            sp_warn("recording the exit status of %.12s: %s", id, e3->msg);
    }
    if (status == 137 && rep.oom_kills > 0) {
        /* Said as an error so main prints it; the status stays the workload's. */
        char why[64] = "it has no memory limit: the host ran out of memory";
        if (rep.memory_limit > 0 && rep.memory_limit % (1 << 20) == 0)
            snprintf(why, sizeof(why), "memory limit %lld MiB",
                     (long long)(rep.memory_limit >> 20));
        else if (rep.memory_limit > 0)
            snprintf(why, sizeof(why), "memory limit %lld bytes", (long long)rep.memory_limit);
        return sp_err_status(err, status, 0, "container %s was killed by the OOM killer (%s)",
                             name ? name : short_id, why);
    }
    return status;
}
