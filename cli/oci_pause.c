/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci pause ID` / `septa oci resume ID`: freeze and thaw every process of a container. */
#include "cli.h"
#include "runtime.h"

#include <getopt.h>
#include <string.h>

/* Both verbs take exactly one container ID and --help. */
static int one_id(struct sp_globals *g, const char *verb, const char *what, int argc, char **argv,
                  const char **id, sp_error **err)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    *id = NULL;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("Usage: %s %s ID\n\n%s\n", g->prog, verb, what);
            return 0;
        default:
            return sp_cli_bad_option(err, verb, argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "%s: missing container ID", verb);
    if (optind + 1 < argc)
        return sp_err(err, 0, "%s: unexpected argument '%s'", verb, argv[optind + 1]);
    *id = argv[optind];
    return 0;
}

int sp_oci_pause(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *id = NULL;
    if (one_id(g, "pause",
               "Freeze every process of a running container (cgroup freezer); "
               "its status becomes \"paused\".",
               argc, argv, &id, err) < 0)
        return -1;
    return id ? sp_container_pause(g->root, id, err) : 0;
}

int sp_oci_resume(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *id = NULL;
    if (one_id(g, "resume", "Thaw a paused container; its processes continue where they stopped.",
               argc, argv, &id, err) < 0)
        return -1;
    return id ? sp_container_resume(g->root, id, err) : 0;
}
