/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa ps [-a]`: containers made by `septa run`, with the runtime's status. */
#include "cli.h"
#include "images.h"
#include "runtime.h"

#include <getopt.h>
#include <string.h>

/* The runtime's status, or "exited" when it no longer knows the container. */
static const char *status_of(const char *root, const char *id, json_t **state)
{
    _cleanup_error_ sp_error *e = NULL;
    if (sp_container_state(root, id, state, &e) == 0)
        return json_string_value(json_object_get(*state, "status"));
    *state = NULL;
    return "exited";
}

int sp_cmd_ps(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"quiet", no_argument, NULL, 'q'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *format = "text";
    bool all = false, quiet = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+aqf:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: septa ps [-a] [-q] [--format text|json]\n\n"
                   "List running containers made by 'septa run' (-a: also exited ones).\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa ps", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "septa ps: unexpected argument '%s'", argv[optind]);
    if (sp_cli_check_format("septa ps", format, err) < 0)
        return -1;
    _cleanup_json_ json_t *list = NULL;
    if (sp_image_container_list(g->data_root, &list, err) < 0)
        return sp_err_wrap(err, "septa ps");
    _cleanup_json_ json_t *out = json_array();
    size_t i;
    json_t *ctr;
    json_array_foreach(list, i, ctr)
    {
        json_t *state = NULL;
        const char *status =
            status_of(g->root, json_string_value(json_object_get(ctr, "id")), &state);
        /* status may point into state: copy it before state goes. */
        json_object_set_new(ctr, "status", json_string(status));
        if (state)
            json_object_set(ctr, "pid", json_object_get(state, "pid"));
        json_decref(state);
        bool exited = strcmp(json_string_value(json_object_get(ctr, "status")), "exited") == 0;
        if (all || !exited)
            json_array_append(out, ctr);
    }
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(out, true);
        printf("%s\n", s);
        return 0;
    }
    if (!quiet)
        printf("%-12s  %-28s  %-24s  %-20s  %-12s  %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
               "CREATED", "STATUS", "NAMES");
    json_array_foreach(out, i, ctr)
    {
        const char *id = json_string_value(json_object_get(ctr, "id"));
        if (quiet) {
            printf("%.12s\n", id);
            continue;
        }
        _cleanup_free_ char *cmd = NULL;
        json_t *args = json_object_get(ctr, "command");
        size_t k;
        json_t *a;
        json_array_foreach(args, k, a)
        {
            char *n = sp_xasprintf("%s%s%s", cmd ? cmd : "", cmd ? " " : "", json_string_value(a));
            free(cmd);
            cmd = n;
        }
        char status[64];
        json_t *code = json_object_get(ctr, "exit_code");
        const char *mon = json_string_value(json_object_get(ctr, "monitor"));
        const char *mstate = json_string_value(json_object_get(ctr, "monitor_state"));
        bool exited = strcmp(json_string_value(json_object_get(ctr, "status")), "exited") == 0;
        if (exited && code && json_is_true(json_object_get(ctr, "oom_killed")))
            /* The monitor read the cgroup's OOM count before removing it. */
            snprintf(status, sizeof(status), "exited (%lld, OOM-killed at its memory limit)",
                     (long long)json_integer_value(code));
        else if (exited && code)
            snprintf(status, sizeof(status), "exited (%lld)", (long long)json_integer_value(code));
        else if (!exited && mon && strcmp(mon, "gone") == 0)
            snprintf(status, sizeof(status), "%s (monitor gone)",
                     json_string_value(json_object_get(ctr, "status")));
        else if (exited && mon && strcmp(mon, "running") == 0 && mstate &&
                 strcmp(mstate, "restarting") == 0)
            snprintf(status, sizeof(status), "restarting");
        else
            snprintf(status, sizeof(status), "%s",
                     json_string_value(json_object_get(ctr, "status")));
        printf("%-12.12s  %-28.28s  %-24.24s  %-20.20s  %-12s  %s\n", id,
               json_string_value(json_object_get(ctr, "image")), cmd ? cmd : "",
               json_string_value(json_object_get(ctr, "created")), status,
               json_string_value(json_object_get(ctr, "name")));
    }
    return 0;
}
