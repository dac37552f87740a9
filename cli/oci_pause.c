/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci pause ID` / `septa oci resume ID`: freeze and thaw every process of a container. */
#include "cli.h"
#include "runtime.h"

#include <string.h>

/* Both verbs take exactly one container ID and --help; *id stays NULL after --help. */
static int one_id(struct sp_globals *g, const char *verb, const char *usage, const char *help,
                  int argc, char **argv, const char **id, sp_error **err)
{
    const struct sp_cli_spec spec = {
        .cmd = verb, .usage = usage, .help = help,
        .arg = "container ID", .min_args = 1, .max_args = 1,
    };
    int first = 0;
    *id = NULL;
    int r = sp_cli_parse(&spec, g->prog, argc, argv, &first, err);
    if (r == 0)
        *id = argv[first];
    return r < 0 ? -1 : 0;
}

int sp_oci_pause(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *id = NULL;
    if (one_id(g, "pause", "pause ID",
               "Freeze every process of a running container (cgroup freezer); "
               "its status becomes \"paused\".\n",
               argc, argv, &id, err) < 0)
        return -1;
    return id ? sp_container_pause(g->root, id, err) : 0;
}

int sp_oci_resume(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *id = NULL;
    if (one_id(g, "resume", "resume ID",
               "Thaw a paused container; its processes continue where they stopped.\n", argc,
               argv, &id, err) < 0)
        return -1;
    return id ? sp_container_resume(g->root, id, err) : 0;
}
