/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa wait CONTAINER...`: block until each container stops, print its exit code. */
#include "cli.h"
#include "images.h"
#include "runtime.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

/*
 * Done when the monitor recorded a final exit (not "restarting"), or, with
 * no monitor left (foreground run, or a monitor that died), when the runtime
 * no longer runs the container.  septa has no daemon to notify us: poll.
 */
static int wait_one(struct sp_globals *g, const char *ref, sp_error **err)
{
    _cleanup_free_ char *id = NULL;
    if (sp_image_container_find(g->data_root, ref, &id, err) < 0)
        return -1;
    for (;;) {
        _cleanup_json_ json_t *rec = NULL;
        if (sp_image_container_get(g->data_root, id, &rec, err) < 0)
            return sp_err_wrap(err, "container %s was removed while waiting", ref);
        const char *m = json_string_value(json_object_get(rec, "monitor"));
        json_t *code = json_object_get(rec, "exit_code");
        bool running = false;
        if (strcmp(m, "running") != 0) {
            _cleanup_json_ json_t *state = NULL;
            _cleanup_error_ sp_error *e = NULL;
            if (sp_container_state(g->root, id, &state, &e) == 0) {
                const char *st = json_string_value(json_object_get(state, "status"));
                running = st && strcmp(st, "stopped") != 0;
            }
        }
        if (strcmp(m, "running") != 0 && !running) {
            if (!json_is_integer(code))
                return sp_err(err, 0,
                              "container %s: stopped with no exit status recorded "
                              "(its monitor died)",
                              ref);
            printf("%lld\n", (long long)json_integer_value(code));
            fflush(stdout);
            return 0;
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int sp_cmd_wait(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("Usage: septa wait CONTAINER...\n\n"
                   "Wait until each container stops (for good: not while its monitor is\n"
                   "restarting it) and print its exit code.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa wait", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "septa wait: no container given");
    for (int i = optind; i < argc; i++)
        if (wait_one(g, argv[i], err) < 0)
            return sp_err_wrap(err, "septa wait");
    return 0;
}
