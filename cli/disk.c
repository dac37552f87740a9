/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa disk create`: disks for guests (qcow2 overlays, ext4 from an image). */
#include "cli.h"
#include "images.h"
#include "storage.h"

#include <getopt.h>
#include <string.h>

static int disk_create(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"backing", required_argument, NULL, 'b'},
        {"image", required_argument, NULL, 'i'},
        {"size", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *backing = NULL, *image = NULL;
    uint64_t size = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+b:i:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            backing = optarg;
            break;
        case 'i':
            image = optarg;
            break;
        case 's':
            if (sp_parse_size(optarg, &size, err) < 0)
                return sp_err_wrap(err, "septa disk create: --size");
            break;
        case 'h':
            printf("Usage: septa disk create --backing BASE [--size SIZE] OUT\n"
                   "       septa disk create --image IMAGE --size SIZE OUT\n\n"
                   "--backing: a qcow2 overlay OUT on the read-only base image BASE (qcow2 or\n"
                   "raw); --size grows the virtual size.  --image: a raw ext4 disk OUT holding\n"
                   "IMAGE's root filesystem.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa disk create", argc, argv, optopt);
        }
    }
    if (argc - optind != 1)
        return sp_err(err, 0, "septa disk create: expected one OUT path");
    if (!!backing == !!image)
        return sp_err(err, 0, "septa disk create: give exactly one of --backing and --image");
    const char *out = argv[optind];
    if (backing) {
        if (sp_disk_overlay(backing, out, size, err) < 0)
            return sp_err_wrap(err, "septa disk create");
    } else {
        if (!size)
            return sp_err(err, 0, "septa disk create: --image needs --size");
        if (sp_image_disk(g->data_root, image, out, size, err) < 0)
            return sp_err_wrap(err, "septa disk create");
    }
    printf("%s\n", out);
    return 0;
}

static const struct sp_command subcommands[] = {
    {"create", "Create a guest disk", disk_create},
};

int sp_cmd_disk(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "Usage: septa disk COMMAND\n\nCommands:\n");
        sp_cli_print_commands(out, subcommands, SP_ARRAY_SIZE(subcommands));
        if (argc < 2)
            return sp_err(err, 0, "septa disk: no command given");
        return 0;
    }
    return sp_cli_dispatch(g, "septa disk", subcommands, SP_ARRAY_SIZE(subcommands), argc - 1,
                           argv + 1, err);
}
