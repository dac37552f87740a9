/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci start ID`: let a created container run its process. */
#include "cli.h"
#include "runtime.h"

#include <string.h>

int sp_oci_start(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const struct sp_cli_spec spec = {
        .cmd = "start",
        .usage = "start ID",
        .help = "Start the process of a created container.\n",
        .arg = "container ID", .min_args = 1, .max_args = 1,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, g->prog, argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    return sp_container_start(g->root, argv[first], err);
}
