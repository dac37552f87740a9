/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa oci VERB` and `septa-runtime VERB`: the OCI runtime interface engines
 * drive (podman/conmon, containerd, CRI-O).  Verbs and flags follow runc.
 */
#include "cli.h"

#include <string.h>

/* Verbs land with the runtime module (issue: container runtime). */
static const struct sp_command verbs[] = {
    {"create", "Create a container (its process waits for start)", sp_oci_create},
    {"start", "Start the process of a created container", sp_oci_start},
    {"state", "Print the OCI state of a container", sp_oci_state},
    {"kill", "Send a signal to a container", sp_oci_kill},
    {"delete", "Delete a container and every trace of it", sp_oci_delete},
    {"run", "Create and start a container (foreground unless --detach)", sp_oci_run},
    {"exec", "Run a new process in a running container", sp_oci_exec},
    {"list", "List containers", sp_oci_list},
    {"ps", "List the processes of a container", sp_oci_ps},
    {"features", "Print the features this runtime supports", sp_oci_features},
    {"spec", "Write a default config.json", sp_oci_spec},
    {"pause", "Freeze every process of a container", sp_oci_pause},
    {"resume", "Thaw a paused container", sp_oci_resume},
    {"update", "Change a running container's resource limits", sp_oci_update},
    {"events", "Print resource usage and OOM events of a container", sp_oci_events},
    {NULL, NULL, NULL},
};
#define N_VERBS (SP_ARRAY_SIZE(verbs) - 1)

static void usage(FILE *out, const char *prog)
{
    fprintf(out, "Usage: %s [GLOBAL OPTIONS] VERB [ARGS...]\n\n"
                 "The OCI runtime interface (runc-compatible verbs and flags).\n\n"
                 "Verbs:\n",
            prog);
    sp_cli_print_commands(out, verbs, N_VERBS);
}

int sp_cmd_oci(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *prog = strcmp(g->prog, "septa-runtime") == 0 ? "septa-runtime" : "septa oci";
    if (argc < 2) {
        usage(stderr, prog);
        return sp_err(err, 0, "%s: no verb given", prog);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout, prog);
        return 0;
    }
    /* The verbs' --help says "Usage: septa oci VERB" (or "septa-runtime VERB"). */
    g->prog = prog;
    return sp_cli_dispatch(g, prog, verbs, N_VERBS, argc - 1, argv + 1, err);
}
