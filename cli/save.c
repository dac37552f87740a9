/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa save -o PATH IMAGE...`: write images as one OCI layout tar. */
#include "cli.h"
#include "images.h"

#include <getopt.h>
#include <string.h>

int sp_cmd_save(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *output = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'h':
            printf("Usage: septa save -o PATH IMAGE...\n\n"
                   "Write images as one OCI layout tar; loading it gives the same digests.\n\n"
                   "  -o, --output PATH   the tar to write (replaced atomically)\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa save", argc, argv, optopt);
        }
    }
    if (!output)
        return sp_err(err, 0, "septa save: -o PATH is required");
    if (optind >= argc)
        return sp_err(err, 0, "septa save: no image given");
    if (sp_image_save(g->data_root, argv + optind, (size_t)(argc - optind), output, err) < 0)
        return sp_err_wrap(err, "septa save");
    return 0;
}
