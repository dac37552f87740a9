/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci run [--bundle DIR] [--detach] [--pid-file F] ID`: create + start (+ wait). */
#include "cli.h"
#include "runtime.h"

#include <stdio.h>

int sp_oci_parse_create(const char *cmd, bool run, int argc, char **argv, struct sp_create_opts *o,
                        const char **id, sp_error **err);
int sp_oci_resolve_partition(const struct sp_globals *g, struct sp_create_opts *o, char **config,
                             sp_error **err);

int sp_oci_run(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    struct sp_create_opts o = {0};
    const char *id = NULL;
    int r = sp_oci_parse_create("run", true, argc, argv, &o, &id, err);
    if (r < 0)
        return -1;
    if (r == 1) {
        printf("Usage: %s run [OPTIONS] ID\n\n"
               "Create and start a container.  In the foreground septa forwards signals to\n"
               "it, reaps its orphans, removes it when it exits and exits with its status\n"
               "(128+N when killed by signal N).\n\n"
               "  -b, --bundle DIR         bundle directory (default: current directory)\n"
               "  -d, --detach             return once the container runs\n"
               "      --pid-file FILE      write the container init's pid to FILE\n"
               "      --console-socket S   send the pty master to the AF_UNIX socket S\n"
               "      --preserve-fds N     pass N extra fds (from 3) to the container\n",
               g->prog);
        return 0;
    }
    /* Before reading the bundle: the runtime would re-execute for this anyway. */
    if (sp_runtime_protect_exe(err) < 0)
        return -1;
    _cleanup_free_ char *config = NULL;
    if (sp_oci_resolve_partition(g, &o, &config, err) < 0)
        return -1;
    int status = 0;
    if (sp_container_run(g->root, id, &o, &status, err) < 0)
        return -1;
    return status;
}
