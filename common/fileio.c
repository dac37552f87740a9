/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Atomic state files, small-file I/O, locks, mkdir -p and rm -rf. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static int write_all_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int atomic_write(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                        bool durable, sp_error **err)
{
    /* The temp file lives beside the target so that rename() is atomic. */
    _cleanup_free_ char *dir = NULL;
    _cleanup_free_ char *tmp = NULL;
    const char *slash = strrchr(name, '/');
    if (slash) {
        dir = strndup(name, (size_t)(slash - name) + (slash == name ? 1 : 0));
        if (!dir)
            abort();
        tmp = sp_xasprintf("%s/.%s.tmp.%d", dir, slash + 1, getpid());
    } else {
        tmp = sp_xasprintf(".%s.tmp.%d", name, getpid());
    }

    _cleanup_close_ int fd =
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return sp_err(err, errno, "creating %s", tmp);
    if (fchmod(fd, mode) < 0 || write_all_fd(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return sp_err(err, e, "writing %s", tmp);
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return sp_err(err, e, "renaming %s to %s", tmp, name);
    }
    if (!durable)
        return 0;
    /* Make the rename itself durable. */
    _cleanup_close_ int dfd = openat(dirfd, dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
        fsync(dfd);
    return 0;
}

int sp_atomic_write(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    sp_error **err)
{
    return atomic_write(dirfd, name, data, len, mode, true, err);
}

int sp_atomic_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      sp_error **err)
{
    return atomic_write(dirfd, name, data, len, mode, false, err);
}

int sp_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
                 sp_error **err)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return sp_err(err, errno, "opening %s", name);
    size_t cap = 4096, used = 0;
    _cleanup_free_ char *buf = sp_xmalloc(cap);
    for (;;) {
        if (used + 1 >= cap) {
            if (cap > max + 1)
                return sp_err(err, EFBIG, "reading %s: larger than %zu bytes", name, max);
            cap *= 2;
            buf = sp_xrealloc(buf, cap);
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sp_err(err, errno, "reading %s", name);
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used > max)
            return sp_err(err, EFBIG, "reading %s: larger than %zu bytes", name, max);
    }
    buf[used] = '\0';
    if (len)
        *len = used;
    *out = sp_steal_ptr(&buf);
    return 0;
}

int sp_write_file(int dirfd, const char *name, const char *s, sp_error **err)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return sp_err(err, errno, "opening %s", name);
    size_t len = strlen(s);
    ssize_t n;
    do
        n = write(fd, s, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sp_err(err, errno, "writing '%s' to %s", s, name);
    if ((size_t)n != len)
        return sp_err(err, EIO, "writing '%s' to %s: short write", s, name);
    return 0;
}

int sp_lock_file(int dirfd, const char *name, bool exclusive, bool wait, sp_error **err)
{
    int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return sp_err(err, errno, "opening lock %s", name);
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    int r;
    do
        r = flock(fd, op);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return sp_err(err, e, "locking %s: held by another septa process", name);
        return sp_err(err, e, "locking %s", name);
    }
    return fd;
}

int sp_lock_dir(const char *path, bool exclusive, bool wait, sp_error **err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "opening directory %s", path);
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    int r;
    do
        r = flock(fd, op);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return sp_err(err, e, "locking %s: held by another septa process", path);
        return sp_err(err, e, "locking %s", path);
    }
    return fd;
}

int sp_mkdir_p(const char *path, mode_t mode, sp_error **err)
{
    if (!path || !*path)
        return sp_err(err, EINVAL, "creating directory: empty path");
    _cleanup_free_ char *p = sp_xstrdup(path);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, mode) < 0 && errno != EEXIST)
                return sp_err(err, errno, "creating directory %s", p);
            if (c == '\0')
                break;
            *s = c;
        }
    }
    struct stat st;
    if (stat(p, &st) < 0)
        return sp_err(err, errno, "creating directory %s", p);
    if (!S_ISDIR(st.st_mode))
        return sp_err(err, ENOTDIR, "creating directory %s", p);
    return 0;
}

static int rm_rf_children(int dfd, dev_t dev, const char *what, sp_error **err)
{
    int dup_fd = dup(dfd);
    if (dup_fd < 0)
        return sp_err(err, errno, "removing %s", what);
    _cleanup_dir_ DIR *d = fdopendir(dup_fd);
    if (!d) {
        int e = errno;
        close(dup_fd);
        return sp_err(err, e, "removing %s", what);
    }
    struct dirent *de;
    while ((errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            return sp_err(err, errno, "removing %s/%s", what, de->d_name);
        }
        if (S_ISDIR(st.st_mode)) {
            /* Never descend into another filesystem: a leftover mount stays. */
            if (st.st_dev != dev)
                return sp_err(err, EBUSY, "removing %s/%s: a filesystem is mounted there", what,
                              de->d_name);
            _cleanup_close_ int cfd =
                openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0)
                return sp_err(err, errno, "removing %s/%s", what, de->d_name);
            _cleanup_free_ char *sub = sp_xasprintf("%s/%s", what, de->d_name);
            if (rm_rf_children(cfd, dev, sub, err) < 0)
                return -1;
            if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return sp_err(err, errno, "removing %s", sub);
        } else if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT) {
            return sp_err(err, errno, "removing %s/%s", what, de->d_name);
        }
    }
    if (errno)
        return sp_err(err, errno, "reading directory %s", what);
    return 0;
}

int sp_rm_rf_at(int dirfd, const char *name, sp_error **err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return sp_err(err, errno, "removing %s", name);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return sp_err(err, errno, "removing %s", name);
        return 0;
    }
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "removing %s", name);
    if (rm_rf_children(fd, st.st_dev, name, err) < 0)
        return -1;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return sp_err(err, errno, "removing %s", name);
    return 0;
}
