/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci kill [--all] ID [SIGNAL]`: signal a container (SIGTERM by default). */
#include "cli.h"
#include "runtime.h"

#include <getopt.h>
#include <signal.h>

int sp_oci_kill(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool all = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'h':
            printf("Usage: %s kill [--all] ID [SIGNAL]\n\n"
                   "Send SIGNAL (name or number, default TERM) to the container's init.\n\n"
                   "  -a, --all   signal every process of the container\n",
                   g->prog);
            return 0;
        default:
            return sp_cli_bad_option(err, "kill", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "kill: missing container ID");
    if (optind + 2 < argc)
        return sp_err(err, 0, "kill: unexpected argument '%s'", argv[optind + 2]);
    int sig = SIGTERM;
    if (optind + 1 < argc && sp_signal_parse(argv[optind + 1], &sig, err) < 0)
        return sp_err_wrap(err, "kill");
    return sp_container_kill(g->root, argv[optind], sig, all, err);
}
