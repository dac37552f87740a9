/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa system df`: what the store uses on disk. */
#include "cli.h"
#include "images.h"

#include <getopt.h>
#include <string.h>

static int system_df(struct sp_globals *g, int argc, char **argv, sp_error **err)
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
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: septa system df [--format text|json]\n\n"
                   "Show the disk space used by images (blobs and unpacked layers), container\n"
                   "root filesystems (upper dirs), volumes and partial loads.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa system df", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "septa system df: unexpected argument '%s'", argv[optind]);
    if (sp_cli_check_format("septa system df", format, err) < 0)
        return -1;
    _cleanup_json_ json_t *df = NULL;
    if (sp_image_df(g->data_root, &df, err) < 0)
        return sp_err_wrap(err, "septa system df");
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(df, true);
        printf("%s\n", s);
        return 0;
    }
#define I(k) ((long long)json_integer_value(json_object_get(df, k)))
    printf("%-12s %8s %14s\n", "TYPE", "COUNT", "BYTES");
    printf("%-12s %8lld %14lld\n", "images", I("images"), I("blobs") + I("layers"));
    printf("%-12s %8lld %14lld\n", "containers", I("containers"), I("containers_size"));
    printf("%-12s %8lld %14lld\n", "volumes", I("volumes"), I("volumes_size"));
    printf("%-12s %8s %14lld\n", "partial", "-", I("tmp") + I("partial"));
#undef I
    return 0;
}

static const struct sp_command subcommands[] = {
    {"df", "Show disk usage", system_df},
};

int sp_cmd_system(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "Usage: septa system COMMAND\n\nCommands:\n");
        sp_cli_print_commands(out, subcommands, SP_ARRAY_SIZE(subcommands));
        if (argc < 2)
            return sp_err(err, 0, "septa system: no command given");
        return 0;
    }
    return sp_cli_dispatch(g, "septa system", subcommands, SP_ARRAY_SIZE(subcommands), argc - 1,
                           argv + 1, err);
}
