/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci state ID`: the OCI state document as JSON. */
#include "cli.h"
#include "runtime.h"

#include <string.h>

int sp_oci_state(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: %s state ID\n\nPrint the OCI state of a container as JSON (status "
               "creating, created, running, paused or stopped).\n",
               g->prog);
        return 0;
    }
    if (argc < 2)
        return sp_err(err, 0, "state: missing container ID");
    if (argc > 2)
        return sp_err(err, 0, "state: unexpected argument '%s'", argv[2]);
    if (argv[1][0] == '-')
        return sp_err(err, 0, "state: unknown option '%s' (see 'state --help')", argv[1]);
    _cleanup_json_ json_t *st = NULL;
    if (sp_container_state(g->root, argv[1], &st, err) < 0)
        return -1;
    _cleanup_free_ char *s = sp_json_dumps(st, true);
    printf("%s\n", s);
    return 0;
}
