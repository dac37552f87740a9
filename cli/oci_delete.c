/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci delete [--force] ID`: remove every trace of a container. */
#include "cli.h"
#include "runtime.h"

#include <getopt.h>

int sp_oci_delete(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool force = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'h':
            printf("Usage: %s delete [--force] ID\n\n"
                   "Delete a stopped (or created) container: its cgroup, state and "
                   "processes.\n\n"
                   "  -f, --force   kill it first if it runs; a missing container is not an "
                   "error\n",
                   g->prog);
            return 0;
        default:
            return sp_cli_bad_option(err, "delete", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "delete: missing container ID");
    if (optind + 1 < argc)
        return sp_err(err, 0, "delete: unexpected argument '%s'", argv[optind + 1]);
    return sp_container_delete(g->root, argv[optind], force, err);
}
