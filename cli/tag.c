/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa tag SOURCE TARGET`: give an image another name. */
#include "cli.h"
#include "images.h"

#include <string.h>

int sp_cmd_tag(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: septa tag SOURCE TARGET\n\n"
               "Name the image SOURCE (a name, id or digest) also TARGET (NAME[:TAG],\n"
               "tag 'latest' when omitted).  An existing TARGET moves to SOURCE.\n");
        return 0;
    }
    if (argc > 1 && argv[1][0] == '-')
        return sp_err(err, 0, "septa tag: unknown option '%s' (see 'septa tag --help')", argv[1]);
    if (argc != 3)
        return sp_err(err, 0, "septa tag: expected SOURCE and TARGET (see 'septa tag --help')");
    if (sp_image_tag(g->data_root, argv[1], argv[2], err) < 0)
        return sp_err_wrap(err, "septa tag");
    return 0;
}
