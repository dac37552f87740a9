/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa image SUBCOMMAND`: the image store's people-facing commands. */
#include "cli.h"
#include "images.h"

#include <getopt.h>
#include <string.h>

static int image_builtin(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *format = "text";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'h':
            printf("Usage: septa image builtin [--format text|json]\n\n"
                   "Show the built-in busybox image: its reference, OCI layout directory and "
                   "manifest digest.\n");
            return 0;
        default: return sp_cli_bad_option(err, "septa image builtin", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "septa image builtin: unexpected argument '%s'", argv[optind]);
    if (sp_cli_check_format("septa image builtin", format, err) < 0)
        return -1;

    _cleanup_free_ char *dir = NULL;
    if (sp_image_builtin_dir(&dir, err) < 0)
        return -1;
    struct sp_oci_index_entry ent = {0};
    if (sp_oci_layout_resolve(dir, NULL, &ent, err) < 0)
        return sp_err_wrap(err, "reading the built-in image");
    if (strcmp(format, "json") == 0) {
        _cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "name", ent.ref_name,
                                             "layout", dir, "digest", ent.digest, "size",
                                             (json_int_t)ent.size);
        _cleanup_free_ char *s = sp_json_dumps(j, true);
        printf("%s\n", s);
    } else {
        printf("%s %s %s\n", ent.ref_name, ent.digest, dir);
    }
    sp_oci_index_entry_clear(&ent);
    (void)g;
    return 0;
}

static int image_inspect(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *format = "json";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'h':
            printf("Usage: septa image inspect [--format json] IMAGE...\n\n"
                   "Show images (by name, id or digest) as a JSON array: id, digest, names,\n"
                   "platform, config (Entrypoint, Cmd, Env, ...), layers and their directories.\n");
            return 0;
        default: return sp_cli_bad_option(err, "septa image inspect", argc, argv, optopt);
        }
    }
    if (strcmp(format, "json") != 0)
        return sp_err(err, 0, "septa image inspect: --format: unknown format '%s' (expected "
                              "json)", format);
    if (optind >= argc)
        return sp_err(err, 0, "septa image inspect: no image given");
    _cleanup_json_ json_t *arr = json_array();
    for (int i = optind; i < argc; i++) {
        json_t *doc = NULL;
        if (sp_image_inspect(g->data_root, argv[i], &doc, err) < 0)
            return sp_err_wrap(err, "septa image inspect");
        json_array_append_new(arr, doc);
    }
    _cleanup_free_ char *s = sp_json_dumps(arr, true);
    printf("%s\n", s);
    return 0;
}

static int image_mount(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"read-only", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool ro = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+rh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': ro = true; break;
        case 'h':
            printf("Usage: septa image mount [--read-only] IMAGE ID\n\n"
                   "Mount IMAGE's layers as an overlay with a private upper dir named ID and\n"
                   "print the mount point.  'septa image unmount ID' removes it.\n");
            return 0;
        default: return sp_cli_bad_option(err, "septa image mount", argc, argv, optopt);
        }
    }
    if (argc - optind != 2)
        return sp_err(err, 0, "septa image mount: expected IMAGE and ID");
    _cleanup_free_ char *path = NULL;
    if (sp_image_mount(g->data_root, argv[optind], argv[optind + 1], ro, "mount", &path, NULL,
                       err) < 0)
        return sp_err_wrap(err, "septa image mount");
    printf("%s\n", path);
    return 0;
}

static int image_unmount(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: septa image unmount ID...\n\n"
               "Unmount the root filesystems made by 'septa image mount' and remove their\n"
               "upper dirs.\n");
        return 0;
    }
    if (argc < 2)
        return sp_err(err, 0, "septa image unmount: no ID given");
    for (int i = 1; i < argc; i++)
        if (sp_image_unmount(g->data_root, argv[i], err) < 0)
            return sp_err_wrap(err, "septa image unmount");
    return 0;
}

static const struct sp_command subcommands[] = {
    {"mount", "Mount an image's layers (overlay)", image_mount},
    {"unmount", "Unmount and remove a mounted image root", image_unmount},
    {"builtin", "Show the built-in busybox image", image_builtin},
    {"inspect", "Show images as JSON", image_inspect},
    {"load", "Load images (as septa load)", sp_cmd_load},
    {"ls", "List images (as septa images)", sp_cmd_images},
    {"rm", "Remove images (as septa rmi)", sp_cmd_rmi},
    {"save", "Save images (as septa save)", sp_cmd_save},
    {"tag", "Name an image (as septa tag)", sp_cmd_tag},
};

int sp_cmd_image(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "Usage: septa image COMMAND\n\nCommands:\n");
        sp_cli_print_commands(out, subcommands, SP_ARRAY_SIZE(subcommands));
        if (argc < 2)
            return sp_err(err, 0, "septa image: no command given");
        return 0;
    }
    return sp_cli_dispatch(g, "septa image", subcommands, SP_ARRAY_SIZE(subcommands), argc - 1,
                           argv + 1, err);
}
