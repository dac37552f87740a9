/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Disks for guests.  The heavy lifting is qemu-img's and mke2fs's; they are
 * started with an argv (never a shell), their stderr is kept for the error
 * message, and a failed run leaves no output file.
 */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run argv; on failure the message ends with the tool's last stderr line. */
static int run_tool(char *const argv[], sp_error **err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return sp_err(err, errno, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (r != 0) {
        close(pipefd[0]);
        return sp_err(err, r, "running %s", argv[0]);
    }
    char buf[8192];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(pipefd[0], buf + used, sizeof(buf) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof(buf) - 1) {
            /* Keep the tail: the last line says what went wrong. */
            memmove(buf, buf + 4096, used - 4096);
            used -= 4096;
        }
    }
    buf[used] = '\0';
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
        buf[--used] = '\0';
    char *last = strrchr(buf, '\n');
    const char *line = last ? last + 1 : buf;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*line)
        return sp_err(err, ENOENT, "running %s: not installed", argv[0]);
    return sp_err(err, 0, "%s failed (%s %d)%s%s", argv[0], WIFEXITED(status) ? "status" : "signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *line ? ": " : "",
                  line);
}

static int refuse_existing(const char *out, sp_error **err)
{
    struct stat st;
    if (lstat(out, &st) == 0)
        return sp_err(err, EEXIST, "%s already exists", out);
    return 0;
}

/* qcow2 or raw, from the first bytes (never trusting a file name). */
static int probe_format(const char *base, const char **fmt, sp_error **err)
{
    _cleanup_close_ int fd = open(base, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "base image %s", base);
    unsigned char magic[4] = {0};
    ssize_t n = read(fd, magic, sizeof(magic));
    if (n < 0)
        return sp_err(err, errno, "reading %s", base);
    *fmt = n == 4 && memcmp(magic, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
    return 0;
}

int sp_disk_overlay(const char *base, const char *out, uint64_t size, sp_error **err)
{
    if (refuse_existing(out, err) < 0)
        return -1;
    const char *fmt = NULL;
    if (probe_format(base, &fmt, err) < 0)
        return -1;
    /* An absolute backing path: the overlay must not depend on the cwd. */
    _cleanup_free_ char *abs = realpath(base, NULL);
    if (!abs)
        return sp_err(err, errno, "base image %s", base);
    _cleanup_free_ char *sz = size ? sp_xasprintf("%llu", (unsigned long long)size) : NULL;
    char *argv[] = {"qemu-img",  "create", "-q", "-f",        "qcow2", "-F",
                    (char *)fmt, "-b",     abs,  (char *)out, sz,      NULL};
    if (run_tool(argv, err) < 0) {
        unlink(out);
        return sp_err_wrap(err, "creating the overlay %s on %s", out, base);
    }
    return 0;
}

int sp_disk_ext4_from_dir(const char *dir, const char *out, uint64_t size, const char *label,
                          sp_error **err)
{
    if (refuse_existing(out, err) < 0)
        return -1;
    if (size < (1u << 20))
        return sp_err(err, EINVAL, "disk size %llu: at least 1M", (unsigned long long)size);
    _cleanup_close_ int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return sp_err(err, errno, "creating %s", out);
    if (ftruncate(fd, (off_t)size) < 0) {
        int e = errno;
        unlink(out);
        return sp_err(err, e, "sizing %s", out);
    }
    _cleanup_free_ char *blocks = sp_xasprintf("%lluk", (unsigned long long)(size / 1024));
    char *argv[] = {
        "mke2fs", "-q",        "-F",        "-t",   "ext4", "-L", (char *)(label ? label : "septa"),
        "-d",     (char *)dir, (char *)out, blocks, NULL};
    if (run_tool(argv, err) < 0) {
        unlink(out);
        return sp_err_wrap(err, "making ext4 %s from %s", out, dir);
    }
    return 0;
}
