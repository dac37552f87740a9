/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa start CONTAINER...`: start a stopped container again.  Its root
 * filesystem and config.json stay in its bundle after it exits, so a new
 * monitor re-creates it from them (detached, logging, with its restart
 * policy), as `run -d` did.
 */
#include "cli.h"
#include "images.h"
#include "runtime.h"

#include <getopt.h>
#include <string.h>

static int start_one(struct sp_globals *g, const char *ref, sp_error **err)
{
    _cleanup_free_ char *id = NULL;
    if (sp_image_container_find(g->data_root, ref, &id, err) < 0)
        return -1;
    _cleanup_json_ json_t *rec = NULL;
    if (sp_image_container_get(g->data_root, id, &rec, err) < 0)
        return -1;
    const char *m = json_string_value(json_object_get(rec, "monitor"));
    if (strcmp(m, "running") == 0)
        return sp_err(err, 0, "container %s is already running (or restarting)", ref);
    _cleanup_json_ json_t *state = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_container_state(g->root, id, &state, &e) == 0) {
        const char *st = json_string_value(json_object_get(state, "status"));
        if (st && strcmp(st, "stopped") != 0)
            return sp_err(err, 0, "container %s is %s", ref, st);
        /* A leftover of a monitor that died: clear it so create can reuse the id. */
        if (sp_container_delete(g->root, id, true, err) < 0)
            return -1;
    }
    if (sp_monitor_spawn(g, id, err) < 0)
        return -1;
    printf("%s\n", ref);
    return 0;
}

int sp_cmd_start(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("Usage: septa start CONTAINER...\n\n"
                   "Start stopped containers again, detached (see 'septa logs', 'septa wait').\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa start", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "septa start: no container given");
    /* Runs a container: from the protected copy of septa (CVE-2019-5736). */
    if (sp_runtime_protect_exe(err) < 0)
        return sp_err_wrap(err, "septa start");
    for (int i = optind; i < argc; i++)
        if (start_one(g, argv[i], err) < 0)
            return sp_err_wrap(err, "septa start");
    return 0;
}
