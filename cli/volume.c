/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa volume create|ls|inspect|rm`: named volumes kept under the data root. */
#include "cli.h"
#include "storage.h"

#include <getopt.h>
#include <string.h>

static int parse_format(const char *cmd, int argc, char **argv, const char **format, bool *quiet,
                        const char *usage, sp_error **err)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            *format = optarg;
            break;
        case 'q':
            *quiet = true;
            break;
        case 'h':
            printf("%s", usage);
            return 1;
        default:
            return sp_cli_bad_option(err, cmd, argc, argv, optopt);
        }
    }
    if (strcmp(*format, "text") != 0 && strcmp(*format, "json") != 0)
        return sp_err(err, 0, "%s: --format: unknown format '%s' (expected text or json)", cmd,
                      *format);
    return 0;
}

static int volume_create(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = "text";
    bool quiet = false;
    int r = parse_format("septa volume create", argc, argv, &format, &quiet,
                         "Usage: septa volume create NAME\n\nCreate a named volume: a directory "
                         "under the data root that outlives containers.\n",
                         err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (argc - optind != 1)
        return sp_err(err, 0, "septa volume create: expected one NAME");
    _cleanup_json_ json_t *v = NULL;
    if (sp_volume_create(g->data_root, argv[optind], &v, err) < 0)
        return sp_err_wrap(err, "septa volume create");
    printf("%s\n", argv[optind]);
    return 0;
}

static int volume_ls(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = "text";
    bool quiet = false;
    int r = parse_format("septa volume ls", argc, argv, &format, &quiet,
                         "Usage: septa volume ls [-q] [--format text|json]\n\nList named "
                         "volumes.\n",
                         err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (optind < argc)
        return sp_err(err, 0, "septa volume ls: unexpected argument '%s'", argv[optind]);
    _cleanup_json_ json_t *list = NULL;
    if (sp_volume_list(g->data_root, &list, err) < 0)
        return sp_err_wrap(err, "septa volume ls");
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(list, true);
        printf("%s\n", s);
        return 0;
    }
    if (!quiet)
        printf("%-32s %-22s %s\n", "NAME", "CREATED", "MOUNTPOINT");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (quiet)
            printf("%s\n", name);
        else
            printf("%-32s %-22s %s\n", name, json_string_value(json_object_get(v, "created")),
                   json_string_value(json_object_get(v, "mountpoint")));
    }
    return 0;
}

static int volume_inspect(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = "json";
    bool quiet = false;
    int r =
        parse_format("septa volume inspect", argc, argv, &format, &quiet,
                     "Usage: septa volume inspect NAME...\n\nShow volumes as a JSON array.\n", err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (optind >= argc)
        return sp_err(err, 0, "septa volume inspect: no volume given");
    _cleanup_json_ json_t *arr = json_array();
    for (int i = optind; i < argc; i++) {
        json_t *v = NULL;
        if (sp_volume_get(g->data_root, argv[i], &v, err) < 0)
            return sp_err_wrap(err, "septa volume inspect");
        json_array_append_new(arr, v);
    }
    _cleanup_free_ char *s = sp_json_dumps(arr, true);
    printf("%s\n", s);
    return 0;
}

static int volume_rm(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = "text";
    bool quiet = false;
    int r = parse_format("septa volume rm", argc, argv, &format, &quiet,
                         "Usage: septa volume rm NAME...\n\nRemove named volumes and their "
                         "data.\n",
                         err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (optind >= argc)
        return sp_err(err, 0, "septa volume rm: no volume given");
    for (int i = optind; i < argc; i++) {
        if (sp_volume_remove(g->data_root, argv[i], err) < 0)
            return sp_err_wrap(err, "septa volume rm");
        printf("%s\n", argv[i]);
    }
    return 0;
}

static const struct sp_command subcommands[] = {
    {"create", "Create a named volume", volume_create},
    {"inspect", "Show volumes as JSON", volume_inspect},
    {"ls", "List volumes", volume_ls},
    {"rm", "Remove volumes", volume_rm},
};

int sp_cmd_volume(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "Usage: septa volume COMMAND\n\nCommands:\n");
        sp_cli_print_commands(out, subcommands, SP_ARRAY_SIZE(subcommands));
        if (argc < 2)
            return sp_err(err, 0, "septa volume: no command given");
        return 0;
    }
    return sp_cli_dispatch(g, "septa volume", subcommands, SP_ARRAY_SIZE(subcommands), argc - 1,
                           argv + 1, err);
}
