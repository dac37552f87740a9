/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CVE-2019-5736 protection.  While septa runs inside a container's
 * namespaces (the init before its execve, every exec), a process there can
 * reach septa's binary through /proc/PID/exe and, once septa has exited,
 * reopen it for writing.  So septa first re-executes itself from a file that
 * cannot be written:
 *
 * - a private, detached, read-only overlayfs whose lower layers are the
 *   directory of septa's binary and an empty tmpfs (overlayfs wants two
 *   lower layers when it has no upper one).  No copy is made: the page cache
 *   is the binary's own, so this costs a few mount syscalls.  A write through
 *   /proc/PID/exe meets the overlay and fails with EROFS.  This is the
 *   mechanism runc 1.2 chose over copying.
 * - otherwise (no overlayfs, no new mount API, no privilege for it) a sealed
 *   memfd copy: anonymous, unwritable, and not the host binary anyway.
 *
 * A process already running from either (or from any read-only mount) does
 * not re-execute again.
 */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Is /proc/self/exe a file nobody can write: sealed memfd or read-only mount? */
static bool running_protected(void)
{
    _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals >= 0 && (seals & SEALS) == SEALS)
        return true;
    struct statvfs vfs;
    return fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
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

/* A detached mount of a new filesystem of `type` with string options, as an fd. */
static int detached_fs(const char *type, const char *const *kv, unsigned attrs)
{
    _cleanup_close_ int fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    for (size_t i = 0; kv && kv[i]; i += 2)
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, kv[i], kv[i + 1], 0) < 0)
            return -1;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    return (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
}

/*
 * septa's binary opened through a private read-only overlay, or -1 (errno
 * set) when that cannot be had here; the caller then copies instead.
 */
static int overlay_exe(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0 || exe[0] != '/')
        return -1;
    exe[n] = '\0';
    /* " (deleted)": the binary was replaced under us; copy what runs instead. */
    if (access(exe, X_OK) < 0)
        return -1;
    char *slash = strrchr(exe, '/');
    *slash = '\0';
    const char *dir = exe[0] ? exe : "/";
    const char *name = slash + 1;
    /* A ':' or ',' in the directory would be parsed as another layer or option. */
    if (strpbrk(dir, ":,\\")) {
        errno = EINVAL;
        return -1;
    }
    _cleanup_close_ int empty = detached_fs("tmpfs", (const char *const[]){"size", "4k", NULL}, 0);
    if (empty < 0)
        return -1;
    char emptyp[64];
    snprintf(emptyp, sizeof(emptyp), "/proc/self/fd/%d", empty);
    _cleanup_free_ char *lower = sp_xasprintf("%s:%s", dir, emptyp);
    _cleanup_close_ int mnt = detached_fs(
        "overlay", (const char *const[]){"lowerdir", lower, NULL},
        MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
    if (mnt < 0)
        return -1;
    int fd = openat(mnt, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    /* The same file as the one running: same size and mode. */
    struct stat a, b;
    if (fstat(fd, &a) < 0 || stat("/proc/self/exe", &b) < 0 || a.st_size != b.st_size ||
        a.st_mode != b.st_mode) {
        close(fd);
        errno = ESTALE;
        return -1;
    }
    return fd;
}

static int memfd_exe(sp_error **err)
{
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
    return sp_steal_fd(&mfd);
}

int sp_runtime_protect_exe(sp_error **err)
{
    if (running_protected())
        return 0;
    _cleanup_close_ int fd = -1;
    /* SEPTA_EXE_COPY=1: the copy, always (tests cover both ways). */
    const char *force_copy = getenv("SEPTA_EXE_COPY");
    if (!force_copy || strcmp(force_copy, "1") != 0)
        fd = overlay_exe();
    if (fd < 0 && (fd = memfd_exe(err)) < 0)
        return -1;
    _cleanup_strv_ char **argv = read_cmdline(err);
    if (!argv)
        return -1;
    syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
    return sp_err(err, errno, "re-executing septa from its protected copy");
}
