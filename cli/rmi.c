/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa rmi IMAGE...`: untag or remove images, then prune what nothing uses. */
#include "cli.h"
#include "images.h"

#include <getopt.h>
#include <string.h>

int sp_cmd_rmi(struct sp_globals *g, int argc, char **argv, sp_error **err)
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
            printf("Usage: septa rmi [-f] IMAGE...\n\n"
                   "Remove a name; when it was the image's last name (or IMAGE is an id or\n"
                   "digest) remove the image and prune the blobs and layers nothing else uses.\n\n"
                   "  -f, --force         remove an image with several names by id\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa rmi", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "septa rmi: no image given");
    for (int i = optind; i < argc; i++) {
        _cleanup_json_ json_t *removed = NULL;
        if (sp_image_remove(g->data_root, argv[i], force, &removed, err) < 0)
            return sp_err_wrap(err, "septa rmi");
        size_t k;
        json_t *v;
        json_array_foreach(removed, k, v)
        {
            const char *s = json_string_value(v);
            printf("%s: %s\n", strncmp(s, "sha256:", 7) == 0 ? "Deleted" : "Untagged", s);
        }
    }
    return 0;
}
