/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging with levels.  The configuration is part of the parsed command line
 * (--log, --log-format, --debug), set once before anything else runs.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    int fd; /* -1: stderr */
    enum sp_log_format format;
    enum sp_log_level level;
} log_cfg = {.fd = -1, .format = SP_LOG_TEXT, .level = SP_LOG_WARN};

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int sp_log_parse_format(const char *s, enum sp_log_format *out, sp_error **err)
{
    if (strcmp(s, "text") == 0)
        *out = SP_LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = SP_LOG_JSON;
    else
        return sp_err(err, 0, "--log-format: unknown format '%s' (expected text or json)", s);
    return 0;
}

int sp_log_init(const char *path, enum sp_log_format format, enum sp_log_level level,
                sp_error **err)
{
    log_cfg.format = format;
    log_cfg.level = level;
    if (path && *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0)
            return sp_err(err, errno, "opening log file %s", path);
        if (log_cfg.fd >= 0)
            close(log_cfg.fd);
        log_cfg.fd = fd;
    }
    return 0;
}

void sp_log_close(void)
{
    if (log_cfg.fd >= 0)
        close(log_cfg.fd);
    log_cfg.fd = -1;
}

int sp_log_fd(void)
{
    return log_cfg.fd;
}

bool sp_log_enabled(enum sp_log_level level)
{
    return level <= log_cfg.level;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void sp_log(enum sp_log_level level, const char *fmt, ...)
{
    if (!sp_log_enabled(level))
        return;
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (!msg) {
        errno = saved;
        return;
    }

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);

    _cleanup_free_ char *line = NULL;
    if (log_cfg.format == SP_LOG_JSON) {
        _cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:s}", "level", level_names[level],
                                             "msg", msg, "time", stamp);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s) {
            line = sp_xasprintf("%s\n", s);
            free(s);
        }
    } else if (log_cfg.fd >= 0) {
        line = sp_xasprintf("%s %s: %s\n", stamp, level_names[level], msg);
    } else {
        line = sp_xasprintf("septa: %s: %s\n", level_names[level], msg);
    }
    if (line)
        write_all(log_cfg.fd >= 0 ? log_cfg.fd : STDERR_FILENO, line, strlen(line));
    errno = saved;
}
