/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * septa's entry point: global options, then one subcommand.  Started as
 * "septa-runtime" it is the OCI runtime engines call (`septa oci`).
 * Only this file prints errors.
 */
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * SEPTA_RUNTIME_ONLY builds the lean septa-runtime executable: the OCI verbs
 * and nothing else, linked statically, so an engine's create/start/delete
 * does not pay for loading the image, registry and network libraries.
 */
#ifndef SEPTA_RUNTIME_ONLY
static const struct sp_command commands[] = {
    {"image", "Manage images (built-in image for now)", sp_cmd_image},
    {"disk", "Create disks for guests", sp_cmd_disk},
    {"exec", "Run a command in a running container", sp_cmd_exec},
    {"gc", "Remove unused image data and crash leftovers", sp_cmd_gc},
    {"images", "List images", sp_cmd_images},
    {"inspect", "Show containers made by septa run", sp_cmd_inspect},
    {"kill", "Signal containers made by septa run", sp_cmd_kill},
    {"load", "Load images from a docker-archive or OCI layout", sp_cmd_load},
    {"ps", "List containers made by septa run", sp_cmd_ps},
    {"pull", "Pull an image from a registry", sp_cmd_pull},
    {"rm", "Remove containers", sp_cmd_rm},
    {"rmi", "Remove images", sp_cmd_rmi},
    {"run", "Run a command in a new container", sp_cmd_run},
    {"logs", "Show the output of a detached container", sp_cmd_logs},
    {"start", "Start stopped containers again (detached)", sp_cmd_start},
    {"wait", "Wait for containers to stop, print exit codes", sp_cmd_wait},
    {"monitor", "(internal) watch a detached container", sp_cmd_monitor},
    {"save", "Save images as an OCI layout tar", sp_cmd_save},
    {"stop", "Stop containers made by septa run", sp_cmd_stop},
    {"system", "Disk usage (system df)", sp_cmd_system},
    {"tag", "Give an image another name", sp_cmd_tag},
    {"volume", "Manage named volumes", sp_cmd_volume},
    {"network", "Manage virtual switches and their ports", sp_cmd_network},
    {"oci", "OCI runtime interface for engines (runc-compatible)", sp_cmd_oci},
    {"partition", "Carve hardware partitions and run pinned guests in them", sp_cmd_partition},
    {"topology", "Show NUMA nodes, CPUs and what is carved", sp_cmd_topology},
    {"stats", "Show CPU, memory, pids and I/O use of containers", sp_cmd_stats},
    {"update", "Change a running container's resource limits", sp_oci_update},
    {"version", "Show version information", sp_cmd_version},
};
#endif

static void usage(FILE *out, bool runtime)
{
#ifdef SEPTA_RUNTIME_ONLY
    runtime = true;
#endif
    if (runtime) {
        fprintf(out, "Usage: septa-runtime [GLOBAL OPTIONS] COMMAND [ARGS...]\n\n"
                     "The OCI runtime entry point of septa; behaves as `septa oci`.\n"
                     "Run 'septa-runtime --help' or 'septa oci COMMAND --help' for a command.\n");
        return;
    }
#ifndef SEPTA_RUNTIME_ONLY
    fprintf(out,
            "Usage: septa [GLOBAL OPTIONS] COMMAND [ARGS...]\n\n"
            "Run workloads as containers or in hardware partitions.\n\n"
            "Commands:\n");
    sp_cli_print_commands(out, commands, SP_ARRAY_SIZE(commands));
    fprintf(out, "\nGlobal options:\n"
                 "  --root DIR          runtime state directory (default /run/septa, or $SEPTA_ROOT)\n"
                 "  --data-root DIR     image/network/partition store (default /var/lib/septa,\n"
                 "                      or $SEPTA_DATA_ROOT)\n"
                 "  --log FILE          write log messages to FILE\n"
                 "  --log-format FMT    text or json\n"
                 "  --debug             log debug messages\n"
                 "  --systemd-cgroup    use systemd for cgroups (not supported; refused)\n"
                 "  -h, --help          show this help\n"
                 "  -v, --version       show the version\n\n"
                 "Run 'septa COMMAND --help' for more on a command.\n");
#endif
}

int sp_cmd_version(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: %s version\n\nShow septa's version and the OCI runtime-spec version "
               "it implements.\n", g->prog);
        return 0;
    }
    if (argc > 1)
        return sp_err(err, 0, "%s version: unexpected argument '%s'", g->prog, argv[1]);
    printf("septa version %s\nspec: 1.2.0\n", SEPTA_VERSION);
    return 0;
}

enum { OPT_ROOT = 256, OPT_DATA_ROOT, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD_CGROUP };

static const struct option global_opts[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"data-root", required_argument, NULL, OPT_DATA_ROOT},
    {"log", required_argument, NULL, OPT_LOG},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'v'},
    {0},
};

static int run(int argc, char **argv, bool runtime, sp_error **err)
{
    struct sp_globals g = {
        .root = getenv("SEPTA_ROOT") && *getenv("SEPTA_ROOT") ? getenv("SEPTA_ROOT")
                                                               : "/run/septa",
        .data_root = getenv("SEPTA_DATA_ROOT") && *getenv("SEPTA_DATA_ROOT")
                         ? getenv("SEPTA_DATA_ROOT")
                         : "/var/lib/septa",
        .prog = runtime ? "septa-runtime" : "septa",
    };
    const char *log_format = NULL;

    opterr = 0;
    int c;
    /* "+": stop at the first non-option, which is the command. */
    while ((c = getopt_long(argc, argv, "+hv", global_opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT: g.root = optarg; break;
        case OPT_DATA_ROOT: g.data_root = optarg; break;
        case OPT_LOG: g.log_path = optarg; break;
        case OPT_LOG_FORMAT: log_format = optarg; break;
        case OPT_DEBUG: g.debug = true; break;
        case OPT_SYSTEMD_CGROUP: g.systemd_cgroup = true; break;
        case 'h': usage(stdout, runtime); return 0;
        case 'v':
            printf("%s version %s\nspec: 1.2.0\n", runtime ? "septa-runtime" : "septa",
                   SEPTA_VERSION);
            return 0;
        default: return sp_cli_bad_option(err, g.prog, argc, argv, optopt);
        }
    }
    if (log_format && sp_log_parse_format(log_format, &g.log_format, err) < 0)
        return -1;
    if (sp_log_init(g.log_path, g.log_format, g.debug ? SP_LOG_DEBUG : SP_LOG_WARN, err) < 0)
        return -1;
    if (g.systemd_cgroup)
        return sp_err(err, ENOTSUP, "--systemd-cgroup: septa manages cgroupfs directly; "
                                    "use the cgroupfs cgroup manager");

    int rest = argc - optind;
    char **rargv = argv + optind;
    if (runtime) {
        /* septa-runtime VERB ... == septa oci VERB ...; argv[0] is the group name. */
        char **v = sp_xcalloc((size_t)rest + 2, sizeof(char *));
        v[0] = "oci";
        for (int i = 0; i < rest; i++)
            v[i + 1] = rargv[i];
        g.prog = "septa-runtime";
        int r = sp_cmd_oci(&g, rest + 1, v, err);
        free(v);
        return r;
    }
#ifdef SEPTA_RUNTIME_ONLY
    return sp_err(err, 0, "internal error: septa-runtime reached the people CLI");
#else
    if (rest == 0) {
        usage(stderr, false);
        return sp_err(err, 0, "septa: no command given");
    }
    return sp_cli_dispatch(&g, "septa", commands, SP_ARRAY_SIZE(commands), rest, rargv, err);
#endif
}

int main(int argc, char **argv)
{
    _cleanup_free_ char *self = sp_xstrdup(argv[0] ? argv[0] : "septa");
#ifdef SEPTA_RUNTIME_ONLY
    bool runtime = true; /* whatever name it was started under */
#else
    bool runtime = strcmp(basename(self), "septa-runtime") == 0;
#endif
    sp_error *err = NULL;
    int status = run(argc, argv, runtime, &err);
    fflush(stdout);
    if (status < 0 || err) {
        const char *msg = err && err->msg ? err->msg : "unknown error";
        /* One line: engines and people read the same message. */
        if (sp_log_fd() >= 0)
            sp_log(SP_LOG_ERROR, "%s", msg);
        fprintf(stderr, "%s: %s\n", runtime ? "septa-runtime" : "septa", msg);
        status = sp_error_status(err);
        sp_error_free(&err);
    }
    sp_log_close();
    return status;
}
