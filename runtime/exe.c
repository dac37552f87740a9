/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CVE-2019-5736 protection.  While septa runs inside a container's
 * namespaces (the init before its execve, every exec), a process there can
 * reach septa's binary through /proc/PID/exe.  Running from a sealed memfd
 * copy means that file is an anonymous, unwritable copy: overwriting it is
 * impossible and would not touch the host binary anyway.
 */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool running_sealed(void)
{
    _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    int seals = fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & SEALS) == SEALS;
}

/* Our own argv, as the kernel recorded it: the CLI has consumed its copy. */
static char **read_cmdline(sp_error **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (sp_read_file(AT_FDCWD, "/proc/self/cmdline", 1 << 20, &buf, &len, err) < 0)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == 0;
    char **argv = sp_xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < len && k < n; i += strlen(buf + i) + 1)
        argv[k++] = sp_xstrdup(buf + i);
    return argv;
}

int sp_runtime_protect_exe(sp_error **err)
{
    if (running_sealed())
        return 0;
    _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return sp_err(err, errno, "opening /proc/self/exe");
    struct stat st;
    if (fstat(src, &st) < 0)
        return sp_err(err, errno, "stat /proc/self/exe");
    _cleanup_close_ int mfd =
        (int)syscall(SYS_memfd_create, "septa", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return sp_err(err, errno, "memfd_create for a sealed copy of septa");
    for (off_t off = 0; off < st.st_size;) {
        ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
        if (n <= 0)
            return sp_err(err, n < 0 ? errno : EIO, "copying septa into a memfd");
    }
    if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
        return sp_err(err, errno, "sealing the copy of septa");
    _cleanup_strv_ char **argv = read_cmdline(err);
    if (!argv)
        return -1;
    syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
    return sp_err(err, errno, "re-executing septa from its sealed copy");
}
