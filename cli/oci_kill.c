/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci kill [--all] ID [SIGNAL]`: signal a container (SIGTERM by default). */
#include "cli.h"
#include "runtime.h"

#include <signal.h>

int sp_oci_kill(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    bool all = false;
    const struct sp_cli_opt opts[] = {{"all", 'a', &all, NULL}, {0}};
    const struct sp_cli_spec spec = {
        .cmd = "kill",
        .usage = "kill [--all] ID [SIGNAL]",
        .help = "Send SIGNAL (name or number, default TERM) to the container's init.\n\n"
                "  -a, --all   signal every process of the container\n",
        .arg = "container ID", .min_args = 1, .max_args = 2, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, g->prog, argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    int sig = SIGTERM;
    if (first + 1 < argc && sp_signal_parse(argv[first + 1], &sig, err) < 0)
        return sp_err_wrap(err, "kill");
    return sp_container_kill(g->root, argv[first], sig, all, err);
}
