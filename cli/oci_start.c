/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci start ID`: let a created container run its process. */
#include "cli.h"
#include "runtime.h"

#include <string.h>

int sp_oci_start(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: %s start ID\n\nStart the process of a created container.\n", g->prog);
        return 0;
    }
    if (argc < 2)
        return sp_err(err, 0, "start: missing container ID");
    if (argc > 2)
        return sp_err(err, 0, "start: unexpected argument '%s'", argv[2]);
    if (argv[1][0] == '-')
        return sp_err(err, 0, "start: unknown option '%s' (see 'start --help')", argv[1]);
    return sp_container_start(g->root, argv[1], err);
}
