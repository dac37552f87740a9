/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa logs [-f] [--tail N] CONTAINER`: the output of a detached container,
 * from the size-capped log its monitor writes (ctr.log.1, the rotated older
 * part, then ctr.log; see cli/monitor.c).
 */
#include "cli.h"
#include "images.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool copy_fd(int fd, off_t *pos)
{
    char buf[8192];
    ssize_t r;
    while ((r = pread(fd, buf, sizeof(buf), *pos)) > 0) {
        if (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r)
            return false;
        *pos += r;
    }
    fflush(stdout);
    return true;
}

/* Offset in fd where its last `lines` lines start (0: all of it). */
static off_t tail_start(int fd, int64_t lines, int64_t *found)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return 0;
    off_t end = st.st_size, pos = end;
    char buf[4096];
    *found = 0;
    /* A final newline ends the last line, it does not start one. */
    bool skip_last = true;
    while (pos > 0) {
        size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
        pos -= (off_t)n;
        if (pread(fd, buf, n, pos) != (ssize_t)n)
            return 0;
        for (size_t i = n; i-- > 0;) {
            if (buf[i] != '\n')
                continue;
            if (skip_last && pos + (off_t)i == end - 1) {
                skip_last = false;
                continue;
            }
            if (++*found == lines)
                return pos + (off_t)i + 1;
        }
        skip_last = false;
    }
    /* Fewer lines than asked: the whole file, plus its unterminated start. */
    if (end > 0)
        ++*found;
    return 0;
}

/* Is the container done producing output (no monitor or container left)? */
static bool finished(struct sp_globals *g, const char *id)
{
    _cleanup_json_ json_t *rec = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_image_container_get(g->data_root, id, &rec, &e) < 0)
        return true;
    const char *m = json_string_value(json_object_get(rec, "monitor"));
    if (strcmp(m, "running") == 0)
        return false;
    _cleanup_json_ json_t *state = NULL;
    if (sp_container_state(g->root, id, &state, &e) < 0)
        return true;
    const char *st = json_string_value(json_object_get(state, "status"));
    return !st || strcmp(st, "stopped") == 0;
}

int sp_cmd_logs(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"follow", no_argument, NULL, 'f'},
        {"tail", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool follow = false;
    int64_t tail = -1;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fn:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            follow = true;
            break;
        case 'n':
            if (sp_parse_i64(optarg, 0, INT64_MAX, &tail, err) < 0)
                return sp_err_wrap(err, "septa logs: --tail");
            break;
        case 'h':
            printf("Usage: septa logs [-f] [--tail N] CONTAINER\n\n"
                   "Print the output (stdout and stderr) of a detached container.  The log is\n"
                   "capped: at 1 MiB it is rotated once, so the last 1 to 2 MiB are kept.\n\n"
                   "  -f, --follow     keep printing new output until the container exits\n"
                   "  -n, --tail N     start with the last N lines\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa logs", argc, argv, optopt);
        }
    }
    if (optind + 1 != argc)
        return sp_err(err, 0, "septa logs: expected one container (see 'septa logs --help')");
    _cleanup_free_ char *id = NULL;
    if (sp_image_container_find(g->data_root, argv[optind], &id, err) < 0)
        return sp_err_wrap(err, "septa logs");
    _cleanup_free_ char *dir = sp_xasprintf("%s/storage/containers/%s", g->data_root, id);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return sp_err(err, errno, "septa logs: opening %s", dir);
    _cleanup_close_ int old = openat(dfd, "ctr.log.1", O_RDONLY | O_CLOEXEC);
    int cur = openat(dfd, "ctr.log", O_RDONLY | O_CLOEXEC);
    if (cur < 0 && old < 0) {
        /* A foreground container's output went to the terminal. */
        _cleanup_json_ json_t *rec = NULL;
        if (sp_image_container_get(g->data_root, id, &rec, err) < 0)
            return sp_err_wrap(err, "septa logs");
        if (strcmp(json_string_value(json_object_get(rec, "monitor")), "none") == 0)
            return sp_err(err, 0, "septa logs: container %s ran in the foreground: it has no log",
                          argv[optind]);
    }
    off_t pos = 0, opos = 0;
    if (tail >= 0) {
        int64_t found = 0;
        pos = cur >= 0 ? tail_start(cur, tail, &found) : 0;
        if (tail == 0 && cur >= 0) {
            struct stat st;
            pos = fstat(cur, &st) == 0 ? st.st_size : 0;
        }
        if (old >= 0 && found < tail) {
            int64_t f2 = 0;
            opos = tail_start(old, tail - found, &f2);
        } else if (old >= 0) {
            struct stat st;
            opos = fstat(old, &st) == 0 ? st.st_size : 0;
        }
    }
    if (old >= 0)
        copy_fd(old, &opos);
    if (cur >= 0 && !copy_fd(cur, &pos)) {
        close(cur);
        return sp_err(err, errno, "septa logs: writing the output");
    }
    while (follow) {
        bool done = finished(g, id);
        /* Rotated under us: finish the old file, continue with the new one. */
        struct stat a, b;
        if (fstatat(dfd, "ctr.log", &a, 0) == 0 &&
            (cur < 0 || (fstat(cur, &b) == 0 && (a.st_ino != b.st_ino)))) {
            if (cur >= 0) {
                copy_fd(cur, &pos);
                struct stat was;
                bool have = fstat(cur, &was) == 0;
                close(cur);
                /* Rotated twice since the last look: the file in between is
                 * now ctr.log.1 (ours was replaced); read it whole first. */
                _cleanup_close_ int mid = openat(dfd, "ctr.log.1", O_RDONLY | O_CLOEXEC);
                struct stat m;
                if (have && mid >= 0 && fstat(mid, &m) == 0 && m.st_ino != was.st_ino) {
                    off_t mpos = 0;
                    copy_fd(mid, &mpos);
                }
            }
            cur = openat(dfd, "ctr.log", O_RDONLY | O_CLOEXEC);
            pos = 0;
        }
        if (cur >= 0 && !copy_fd(cur, &pos))
            break;
        if (done)
            break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (cur >= 0)
        close(cur);
    return 0;
}
