/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa rm [-f] CONTAINER...`: remove containers made by `septa run`. */
#include "cli.h"
#include "images.h"
#include "run_opts.h"
#include "runtime.h"

#include <string.h>

int sp_cmd_rm(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    bool force = false;
    const struct sp_cli_opt opts[] = {{"force", 'f', &force, NULL}, {0}};
    const struct sp_cli_spec spec = {
        .cmd = "septa rm", .usage = "rm [-f] CONTAINER...",
        .help = "Remove containers (by name, id or unique id prefix): their root filesystem\n"
                "is unmounted and their upper dir removed.  A running container needs -f,\n"
                "which kills it first.\n",
        .arg = "container", .min_args = 1, .max_args = -1, .permute = true, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, "septa", argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    for (int i = first; i < argc; i++) {
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
