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
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return sp_err(err, 0, "septa image builtin: --format: unknown format '%s' (expected "
                              "text or json)", format);

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

static const struct sp_command subcommands[] = {
    {"builtin", "Show the built-in busybox image", image_builtin},
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
