/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa kill` and `septa stop`: signal containers made by `septa run`. */
#include "cli.h"
#include "images.h"
#include "runtime.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Is the container still known to the runtime and not stopped? */
static bool running(const char *root, const char *id)
{
    _cleanup_json_ json_t *st = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_container_state(root, id, &st, &e) < 0)
        return false;
    const char *s = json_string_value(json_object_get(st, "status"));
    return s && strcmp(s, "stopped") != 0;
}

/* The image's StopSignal, kept by septa run as an annotation of config.json. */
static int stop_signal(const char *data_root, const char *id, int *sig, sp_error **err)
{
    _cleanup_free_ char *cfg = sp_xasprintf("%s/storage/containers/%s/config.json", data_root, id);
    _cleanup_json_ json_t *j = json_load_file(cfg, 0, NULL);
    const char *name = json_string_value(
        json_object_get(json_object_get(j, "annotations"), "org.opencontainers.image.stopSignal"));
    if (sp_signal_parse(name ? name : "SIGTERM", sig, err) < 0)
        return sp_err_wrap(err, "StopSignal of %.12s", id);
    return 0;
}

int sp_cmd_kill(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"signal", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *signame = "KILL";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            signame = optarg;
            break;
        case 'h':
            printf("Usage: septa kill [-s SIGNAL] CONTAINER...\n\n"
                   "Send SIGNAL (default KILL) to the containers' main processes.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa kill", argc, argv, optopt);
        }
    }
    int sig = 0;
    if (sp_signal_parse(signame, &sig, err) < 0)
        return sp_err_wrap(err, "septa kill: -s");
    if (optind >= argc)
        return sp_err(err, 0, "septa kill: no container given");
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = NULL;
        if (sp_image_container_find(g->data_root, argv[i], &id, err) < 0)
            return sp_err_wrap(err, "septa kill");
        if (!running(g->root, id))
            return sp_err(err, 0, "septa kill: container %s is not running", argv[i]);
        if (sp_container_kill(g->root, id, sig, false, err) < 0)
            return sp_err_wrap(err, "septa kill %s", argv[i]);
        printf("%s\n", argv[i]);
    }
    return 0;
}

int sp_cmd_stop(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"time", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int64_t timeout = 10;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (sp_parse_i64(optarg, 0, 86400, &timeout, err) < 0)
                return sp_err_wrap(err, "septa stop: -t");
            break;
        case 'h':
            printf("Usage: septa stop [-t SECONDS] CONTAINER...\n\n"
                   "Send the image's StopSignal (SIGTERM by default), wait up to SECONDS\n"
                   "(default 10) for the container to exit, then kill every process in it.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa stop", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "septa stop: no container given");
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = NULL;
        if (sp_image_container_find(g->data_root, argv[i], &id, err) < 0)
            return sp_err_wrap(err, "septa stop");
        if (sp_image_container_mark_stopped(g->data_root, id, err) < 0)
            return sp_err_wrap(err, "septa stop");
        if (running(g->root, id)) {
            int sig = SIGTERM;
            if (stop_signal(g->data_root, id, &sig, err) < 0)
                return sp_err_wrap(err, "septa stop");
            _cleanup_error_ sp_error *e = NULL;
            sp_container_kill(g->root, id, sig, false, &e);
            struct timespec start, now;
            clock_gettime(CLOCK_MONOTONIC, &start);
            do {
                usleep(50000);
                clock_gettime(CLOCK_MONOTONIC, &now);
            } while (running(g->root, id) && now.tv_sec - start.tv_sec < timeout);
            /* Past the grace period: every process of the container, not just init. */
            if (running(g->root, id) && sp_container_kill(g->root, id, SIGKILL, true, err) < 0)
                return sp_err_wrap(err, "septa stop %s", argv[i]);
        }
        printf("%s\n", argv[i]);
    }
    return 0;
}
