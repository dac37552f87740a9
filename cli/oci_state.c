/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci state ID`: the OCI state document as JSON. */
#include "cli.h"
#include "runtime.h"

#include <string.h>

int sp_oci_state(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const struct sp_cli_spec spec = {
        .cmd = "state",
        .usage = "state ID",
        .help = "Print the OCI state of a container as JSON (status creating, created, running, "
                "paused or stopped).\n",
        .arg = "container ID", .min_args = 1, .max_args = 1,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, g->prog, argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    _cleanup_json_ json_t *st = NULL;
    if (sp_container_state(g->root, argv[first], &st, err) < 0)
        return -1;
    _cleanup_free_ char *s = sp_json_dumps(st, true);
    printf("%s\n", s);
    return 0;
}
