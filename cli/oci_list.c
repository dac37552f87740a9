/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci list [--format table|json] [--quiet]`: the containers under --root. */
#include "cli.h"
#include "runtime.h"

#include <string.h>

int sp_oci_list(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = "table";
    bool quiet = false;
    const struct sp_cli_opt opts[] = {
        {"format", 'f', NULL, &format},
        {"quiet", 'q', &quiet, NULL},
        {0},
    };
    const struct sp_cli_spec spec = {
        .cmd = "list",
        .usage = "list [--format table|json] [--quiet]",
        .help = "List the containers under the runtime root.\n\n"
                "  -f, --format FMT   table (default) or json\n"
                "  -q, --quiet        print only the IDs\n",
        .max_args = 0, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, g->prog, argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return sp_err(err, 0, "list: --format: unknown format '%s' (expected table or json)",
                      format);
    _cleanup_json_ json_t *arr = NULL;
    if (sp_container_list(g->root, &arr, err) < 0)
        return -1;
    size_t i;
    json_t *st;
    if (quiet) {
        json_array_foreach(arr, i, st)
        {
            printf("%s\n", json_string_value(json_object_get(st, "id")));
        }
        return 0;
    }
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(arr, true);
        printf("%s\n", s);
        return 0;
    }
    printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
    json_array_foreach(arr, i, st)
    {
        const char *created = json_string_value(json_object_get(st, "created"));
        printf("%-20s %-8lld %-10s %-40s %s\n", json_string_value(json_object_get(st, "id")),
               (long long)json_integer_value(json_object_get(st, "pid")),
               json_string_value(json_object_get(st, "status")),
               json_string_value(json_object_get(st, "bundle")), created ? created : "");
    }
    return 0;
}
