/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci create [--bundle DIR] [--pid-file F] [--console-socket S] ID` (as runc). */
#include "cli.h"
#include "partition.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Options create and run share; runc's no-op flags are accepted for engines. */
int sp_oci_parse_create(const char *cmd, bool run, int argc, char **argv, struct sp_create_opts *o,
                        const char **id, sp_error **err);
int sp_oci_resolve_partition(const struct sp_globals *g, struct sp_create_opts *o, char **config,
                             sp_error **err);

int sp_oci_parse_create(const char *cmd, bool run, int argc, char **argv, struct sp_create_opts *o,
                        const char **id, sp_error **err)
{
    enum { OPT_PID = 256, OPT_CONSOLE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE };
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"pid-file", required_argument, NULL, OPT_PID},
        {"console-socket", required_argument, NULL, OPT_CONSOLE},
        {"no-pivot", no_argument, NULL, OPT_NOPIVOT},
        {"no-new-keyring", no_argument, NULL, OPT_NOKEYRING},
        {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
        {"detach", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, run ? "+b:dh" : "+b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->bundle = optarg;
            break;
        case OPT_PID:
            o->pid_file = optarg;
            break;
        case OPT_CONSOLE:
            o->console_socket = optarg;
            break;
        case OPT_NOPIVOT:
            return sp_err(err, ENOTSUP,
                          "%s: --no-pivot is not supported (septa always "
                          "pivots into the root)",
                          cmd);
        case OPT_NOKEYRING:
            break; /* septa never creates a session keyring */
        case OPT_PRESERVE: {
            int64_t n;
            if (sp_parse_i64(optarg, 0, 1000, &n, err) < 0)
                return sp_err_wrap(err, "%s: --preserve-fds", cmd);
            o->preserve_fds = (int)n;
            break;
        }
        case 'd':
            if (!run)
                return sp_cli_bad_option(err, cmd, argc, argv, optopt);
            o->detach = true;
            break;
        case 'h':
            return 1;
        default:
            return sp_cli_bad_option(err, cmd, argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "%s: missing container ID", cmd);
    if (optind + 1 < argc)
        return sp_err(err, 0, "%s: unexpected argument '%s'", cmd, argv[optind + 1]);
    *id = argv[optind];
    return 0;
}

/*
 * A bundle annotated org.septa.partition=NAME runs in that --shared partition
 * exactly as `septa run --partition NAME` does (podman --annotation and
 * containerd pass annotations through).  The annotation is resolved here, into
 * a copy of the config handed to the runtime: the engine's bundle is never
 * rewritten, and runtime/ knows nothing of partitions.  *config (freed by the
 * caller) backs o->config_json.
 */
int sp_oci_resolve_partition(const struct sp_globals *g, struct sp_create_opts *o, char **config,
                             sp_error **err)
{
    const char *bundle = o->bundle ? o->bundle : ".";
    _cleanup_free_ char *path = sp_path_join(bundle, "config.json");
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    _cleanup_error_ sp_error *lerr = NULL;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    /* An unreadable config is the runtime's to report, with its usual context;
     * one that cannot name the annotation (not even \u-escaped) is not parsed
     * twice. */
    if (sp_read_file(AT_FDCWD, path, SP_JSON_MAX_SIZE, &text, &len, &lerr) < 0 ||
        (!strstr(text, SP_PARTITION_ANNOTATION) && !strstr(text, "\\u")))
        return 0;
    if (sp_jdoc_load_buf(text, len, "config.json", &doc, &lerr) < 0 || !json_is_object(doc->root))
        return 0;
    json_t *ann = json_object_get(doc->root, "annotations");
    if (!json_is_object(ann))
        return 0;
    const char *name = NULL;
    int r = sp_json_get_str(doc, ann, "annotations", SP_PARTITION_ANNOTATION, false, &name, err);
    if (r <= 0)
        return r;
    /* Any other mistake is reported against the engine's file, lines and all. */
    if (sp_config_check_file(bundle, err) < 0)
        return -1;
    _cleanup_free_ char *what = sp_xasprintf("annotation %s=%s", SP_PARTITION_ANNOTATION, name);
    if (sp_partition_place(g->data_root, name, doc->root, what, "linux.resources.cpu.cpus/mems",
                           err) < 0)
        return -1;
    *config = sp_json_dumps(doc->root, true);
    o->config_json = *config;
    return 0;
}

int sp_oci_create(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    struct sp_create_opts o = {0};
    const char *id = NULL;
    int r = sp_oci_parse_create("create", false, argc, argv, &o, &id, err);
    if (r < 0)
        return -1;
    if (r == 1) {
        printf("Usage: %s create [OPTIONS] ID\n\n"
               "Create a container from an OCI bundle; its process waits until 'start'.\n\n"
               "  -b, --bundle DIR         bundle directory (default: current directory)\n"
               "      --pid-file FILE      write the container init's pid to FILE\n"
               "      --console-socket S   send the pty master to the AF_UNIX socket S\n"
               "      --preserve-fds N     pass N extra fds (from 3) to the container\n"
               "      --no-new-keyring     accepted (septa creates no keyring)\n",
               g->prog);
        return 0;
    }
    /* Before reading the bundle: the runtime would re-execute for this anyway. */
    if (sp_runtime_protect_exe(err) < 0)
        return -1;
    _cleanup_free_ char *config = NULL;
    if (sp_oci_resolve_partition(g, &o, &config, err) < 0)
        return -1;
    if (sp_container_create(g->root, id, &o, err) < 0)
        return -1;
    return 0;
}
