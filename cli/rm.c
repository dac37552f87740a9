/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa rm [-f] CONTAINER...`: remove containers made by `septa run`. */
#include "cli.h"
#include "images.h"
#include "run_opts.h"
#include "runtime.h"

#include <getopt.h>
#include <string.h>

int sp_cmd_rm(struct sp_globals *g, int argc, char **argv, sp_error **err)
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
            printf("Usage: septa rm [-f] CONTAINER...\n\n"
                   "Remove containers (by name, id or unique id prefix): their root filesystem\n"
                   "is unmounted and their upper dir removed.  A running container needs -f,\n"
                   "which kills it first.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa rm", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "septa rm: no container given");
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = NULL;
        if (sp_image_container_find(g->data_root, argv[i], &id, err) < 0)
            return sp_err_wrap(err, "septa rm");
        _cleanup_json_ json_t *state = NULL;
        _cleanup_error_ sp_error *e = NULL;
        if (force && sp_image_container_monitor_stop(g->data_root, id, err) < 0)
            return sp_err_wrap(err, "septa rm %s", argv[i]);
        if (sp_container_state(g->root, id, &state, &e) == 0) {
            const char *st = json_string_value(json_object_get(state, "status"));
            if (!force && st && strcmp(st, "stopped") != 0)
                return sp_err(err, 0, "septa rm: container %s is %s (use -f to kill it)", argv[i],
                              st);
            /* The runtime's state and cgroup go before the root it runs on. */
            if (sp_container_delete(g->root, id, true, err) < 0)
                return sp_err_wrap(err, "septa rm %s", argv[i]);
        }
        /* Its ports and network namespace (run-options). */
        if (sp_run_net_teardown(g->data_root, id, err) < 0)
            return sp_err_wrap(err, "septa rm %s", argv[i]);
        if (sp_image_unmount(g->data_root, id, err) < 0)
            return sp_err_wrap(err, "septa rm %s", argv[i]);
        printf("%s\n", id);
    }
    return 0;
}
