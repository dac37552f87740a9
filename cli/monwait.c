/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The waiting half of a detached container's monitor (see cli/monitor.c).
 *
 * An exec'd septa costs ~12 MiB resident (a dozen shared libraries), far
 * over the monitor's 1 MiB budget, so while the container runs the monitor
 * is this: a tiny static program, embedded in septa and exec'd from a
 * sealed memfd in the same process (same pid, still the subreaper, still the
 * init's parent).  It copies the container's output to the size-capped log
 * and, once the init exits, execs septa again (`monitor --resume`) to record
 * the exit, read the OOM verdict and restart.  No heap, no stdio.
 *
 * argv: OUTFD DIRFD LOGFD LOGSIZE INITPID EXEFD SEPTA-ARGV...
 * It execs EXEFD with SEPTA-ARGV plus "--exit-status N" before its last
 * element (the container id).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h> /* renameat only */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_CAP (1u << 20) /* keep in step with cli/monitor.c */

static int dirfd_, logfd;
static unsigned long logsize;

static long num(const char *s)
{
    long v = 0;
    if (!*s)
        _exit(125);
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            _exit(125);
        v = v * 10 + (*s - '0');
    }
    return v;
}

static void log_append(const char *buf, size_t n)
{
    while (logfd >= 0 && n > 0) {
        ssize_t w = write(logfd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        n -= (size_t)w;
        logsize += (unsigned long)w;
    }
}

static void log_write(const char *buf, size_t n)
{
    if (logsize + n > LOG_CAP && logsize > 0) {
        /* The old log ends at a line's end: the last one that fits, else
         * the line is finished past the cap (by less than one 4 KiB read). */
        size_t room = logsize < LOG_CAP ? LOG_CAP - logsize : 0;
        size_t k = room < n ? room : n;
        while (k > 0 && buf[k - 1] != '\n')
            k--;
        if (k == 0) {
            const char *nl = memchr(buf, '\n', n);
            k = nl ? (size_t)(nl - buf) + 1 : 0;
        }
        log_append(buf, k);
        buf += k;
        n -= k;
        /* Rotate: the old log becomes ctr.log.1, `septa logs` reads both. */
        if (logfd >= 0)
            close(logfd);
        renameat(dirfd_, "ctr.log", dirfd_, "ctr.log.1");
        logfd = openat(dirfd_, "ctr.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        logsize = 0;
    }
    log_append(buf, n);
}

/* Copy what is in the pipe to the log; 0 at EOF. */
static int pump(int fd)
{
    static char buf[4096];
    ssize_t r = read(fd, buf, sizeof(buf));
    if (r < 0)
        return errno == EINTR || errno == EAGAIN;
    if (r == 0)
        return 0;
    log_write(buf, (size_t)r);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 9)
        return 125;
    int out = (int)num(argv[1]);
    dirfd_ = (int)num(argv[2]);
    logfd = (int)num(argv[3]);
    logsize = (unsigned long)num(argv[4]);
    pid_t init = (pid_t)num(argv[5]);
    int exefd = (int)num(argv[6]);
    int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
    int status = -1, out_open = 1;
    for (;;) {
        struct pollfd p[2] = {{.fd = out_open ? out : -1, .events = POLLIN},
                              {.fd = pidfd, .events = POLLIN}};
        /* Without a pidfd, look at the init every second. */
        if (poll(p, 2, pidfd < 0 ? 1000 : -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents && !pump(out))
            out_open = 0;
        int ws;
        pid_t w;
        /* The subreaper: the init and whatever it orphans come here. */
        while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
            if (w == init)
                status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        }
        if (status >= 0 || (w < 0 && errno == ECHILD && kill(init, 0) < 0))
            break;
    }
    /* Output still in the pipe: EOF comes once the pid namespace is gone. */
    while (out_open) {
        struct pollfd q = {.fd = out, .events = POLLIN};
        if (poll(&q, 1, 500) <= 0 || !pump(out))
            break;
    }
    close(out);
    if (pidfd >= 0)
        close(pidfd);
    if (logfd >= 0)
        close(logfd);
    close(dirfd_);
    if (status < 0)
        status = 255;
    /* argv[7..] is septa's argv; insert --exit-status N before the id. */
    static char code[12];
    int i = (int)sizeof(code) - 1;
    code[i] = '\0';
    do {
        code[--i] = (char)('0' + status % 10);
        status /= 10;
    } while (status > 0 && i > 0);
    int n = argc - 7;
    static char *args[64];
    if (n + 3 > 64)
        return 125;
    for (int k = 0; k < n - 1; k++)
        args[k] = argv[7 + k];
    args[n - 1] = "--exit-status";
    args[n] = code + i;
    args[n + 1] = argv[argc - 1];
    args[n + 2] = NULL;
    extern char **environ;
    /* septa is an ELF binary: exec from a close-on-exec fd works, and the
     * fd does not pile up in the monitor with each restart. */
    fcntl(exefd, F_SETFD, FD_CLOEXEC);
    fexecve(exefd, args, environ);
    return 125;
}
