/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa oci events [--stats] [--interval D] ID`: runc's event stream, one
 * JSON object per line: {"type":"stats","id":ID,"data":{...}} every interval
 * and {"type":"oom","id":ID} when the OOM killer kills in the container.
 * --stats prints one stats event and exits.  The stream ends when the
 * container stops.
 */
#include "cli.h"
#include "runtime.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void emit(const char *type, const char *id, json_t *data)
{
    json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
    if (data)
        json_object_set(ev, "data", data);
    char *s = sp_json_dumps(ev, false);
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    json_decref(ev);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sp_oci_events(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"stats", no_argument, NULL, 's'},
        {"interval", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool once = false;
    uint64_t interval_ns = 5000000000ull;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            once = true;
            break;
        case 'i':
            if (sp_parse_duration(optarg, &interval_ns, err) < 0)
                return sp_err_wrap(err, "events: --interval");
            if (interval_ns < 1000000)
                return sp_err(err, 0, "events: --interval %s: must be at least 1ms", optarg);
            break;
        case 'h':
            printf("Usage: %s events [--stats] [--interval DURATION] ID\n\n"
                   "Print the container's events as JSON lines: resource usage (\"stats\") every\n"
                   "interval and \"oom\" when the OOM killer kills one of its processes.\n\n"
                   "      --stats           print the current stats once and exit\n"
                   "      --interval D      time between stats events (default 5s)\n",
                   g->prog);
            return 0;
        default:
            return sp_cli_bad_option(err, "events", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "events: missing container ID");
    if (optind + 1 < argc)
        return sp_err(err, 0, "events: unexpected argument '%s'", argv[optind + 1]);
    const char *id = argv[optind];
    json_t *data = NULL;
    const char *status = NULL;
    if (sp_container_stats(g->root, id, &data, &status, err) < 0)
        return sp_err_wrap(err, "events");
    if (once) {
        emit("stats", id, data);
        json_decref(data);
        return 0;
    }
    json_decref(data);
    uint64_t ooms = 0;
    if (sp_container_oom_kills(g->root, id, &ooms, err) < 0)
        return sp_err_wrap(err, "events");
    _cleanup_close_ int efd = sp_container_oom_eventfd(g->root, id, err);
    if (efd < 0)
        return sp_err_wrap(err, "events");
    uint64_t interval_ms = interval_ns / 1000000, next = now_ms() + interval_ms;
    for (;;) {
        uint64_t t = now_ms();
        int timeout = t >= next ? 0 : (int)(next - t);
        struct pollfd p = {.fd = efd, .events = POLLIN};
        int r = poll(&p, 1, timeout);
        if (r < 0 && errno != EINTR)
            return sp_err(err, errno, "events: poll");
        if (r > 0) {
            char buf[4096];
            /* Drain: an eventfd counter or inotify records; only "something happened" matters. */
            while (read(efd, buf, sizeof(buf)) > 0)
                ;
        }
        uint64_t n = 0;
        if (sp_container_oom_kills(g->root, id, &n, err) < 0) {
            if ((*err)->errnum == ENOENT) { /* deleted under us: the stream is over */
                sp_error_free(err);
                return 0;
            }
            return sp_err_wrap(err, "events");
        }
        for (; ooms < n; ooms++)
            emit("oom", id, NULL);
        if (now_ms() >= next) {
            data = NULL;
            if (sp_container_stats(g->root, id, &data, &status, err) < 0) {
                if ((*err)->errnum == ENOENT) {
                    sp_error_free(err);
                    return 0;
                }
                return sp_err_wrap(err, "events");
            }
            if (strcmp(status, "stopped") == 0) {
                json_decref(data);
                return 0;
            }
            emit("stats", id, data);
            json_decref(data);
            next = now_ms() + interval_ms;
        }
    }
}
