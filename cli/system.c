/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa system df`: what the store uses on disk. */
#include "cli.h"
#include "images.h"

#include <string.h>

static int system_df(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = NULL;
    int pr = sp_cli_parse_format("system df",
                                "Show the disk space used by images (blobs and unpacked layers), container\n"
                                "root filesystems (upper dirs), volumes and partial loads.\n",
                                argc, argv, &format, err);
    if (pr != 0)
        return pr < 0 ? -1 : 0;
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
