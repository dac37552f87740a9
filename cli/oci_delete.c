/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci delete [--force] ID`: remove every trace of a container. */
#include "cli.h"
#include "runtime.h"


int sp_oci_delete(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    bool force = false;
    const struct sp_cli_opt opts[] = {{"force", 'f', &force, NULL}, {0}};
    const struct sp_cli_spec spec = {
        .cmd = "delete",
        .usage = "delete [--force] ID",
        .help = "Delete a stopped (or created) container: its cgroup, state and processes.\n\n"
                "  -f, --force   kill it first if it runs; a missing container is not an error\n",
        .arg = "container ID", .min_args = 1, .max_args = 1, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, g->prog, argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    return sp_container_delete(g->root, argv[first], force, err);
}
