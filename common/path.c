/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resolving paths inside a root without escaping it.  Container rootfs
 * contents and image layers are untrusted: a symlink "/etc -> /host/etc" or a
 * path "../../x" must be resolved as if the rootfs were "/".
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

char *sp_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 0 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    return sp_xasprintf("%.*s/%s", (int)la, a, b);
}

char *sp_path_clean(const char *path)
{
    bool abs = path[0] == '/';
    size_t n = strlen(path);
    char *out = sp_xmalloc(n + 2);
    size_t w = 0;
    if (abs)
        out[w++] = '/';
    size_t base = w; /* ".." never climbs above this */
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, "/");
        if (len == 1 && p[0] == '.') {
            /* skip */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (w > base) {
                while (w > base && out[w - 1] != '/')
                    w--;
                if (w > base)
                    w--; /* the slash before the dropped component */
            } else if (!abs) {
                /* Relative path climbing: keep the ".." */
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                base = w;
            }
        } else {
            if (w > 0 && out[w - 1] != '/')
                out[w++] = '/';
            memcpy(out + w, p, len);
            w += len;
        }
        p += len;
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

char *sp_fd_path(int fd)
{
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof(buf) - 1);
    if (n < 0)
        return sp_xasprintf("fd %d", fd);
    buf[n] = '\0';
    return sp_xstrdup(buf);
}

/* ---- fd-based walk ------------------------------------------------------ */

/* A growing string of "remaining components" to resolve. */
static char *splice_path(const char *target, const char *rest)
{
    if (!rest || !*rest)
        return sp_xstrdup(target);
    return sp_xasprintf("%s/%s", target, rest);
}

int sp_open_in_root_walk(int rootfd, const char *path, int flags, mode_t mode, sp_error **err)
{
    /* Stack of directory fds from the root down to the current directory, so
     * ".." pops instead of asking the kernel (which could leave the root). */
    size_t cap = 16, depth = 0;
    int *stack = sp_xcalloc(cap, sizeof(int));
    int cur = dup(rootfd);
    int result = -1, links = 0;
    if (cur < 0) {
        free(stack);
        return sp_err(err, errno, "resolving %s: duplicating root fd", path);
    }
    _cleanup_free_ char *remaining = sp_xstrdup(path);

    for (;;) {
        char *p = remaining;
        while (*p == '/')
            p++;
        if (!*p) {
            /* Nothing left: the current directory itself is the target. */
            result = openat(cur, ".", flags & ~(O_CREAT | O_EXCL), mode);
            if (result < 0)
                sp_err(err, errno, "opening %s", path);
            break;
        }
        size_t len = strcspn(p, "/");
        _cleanup_free_ char *comp = strndup(p, len);
        if (!comp)
            abort();
        char *rest = p + len;
        while (*rest == '/')
            rest++;
        bool last = *rest == '\0';
        _cleanup_free_ char *next = sp_xstrdup(rest);

        if (strcmp(comp, ".") == 0) {
            free(remaining);
            remaining = sp_steal_ptr(&next);
            if (last) {
                free(remaining);
                remaining = sp_xstrdup("");
            }
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            if (depth > 0) {
                close(cur);
                cur = stack[--depth];
            }
            free(remaining);
            remaining = sp_steal_ptr(&next);
            continue;
        }

        struct stat st;
        int pfd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0) {
            if (errno == ENOENT && last && (flags & O_CREAT)) {
                result = openat(cur, comp, flags | O_NOFOLLOW, mode);
                if (result < 0)
                    sp_err(err, errno, "creating %s", path);
                break;
            }
            sp_err(err, errno, "opening %s", path);
            break;
        }
        if (fstat(pfd, &st) < 0) {
            sp_err(err, errno, "opening %s", path);
            close(pfd);
            break;
        }
        if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(pfd, "", target, sizeof(target) - 1);
            close(pfd);
            if (n < 0) {
                sp_err(err, errno, "reading symlink %s in %s", comp, path);
                break;
            }
            target[n] = '\0';
            if (++links > MAX_SYMLINKS) {
                sp_err(err, ELOOP, "opening %s", path);
                break;
            }
            if (target[0] == '/') {
                /* Absolute link: restart from the root, not the host's "/". */
                while (depth > 0)
                    close(stack[--depth]);
                close(cur);
                cur = dup(rootfd);
                if (cur < 0) {
                    sp_err(err, errno, "resolving %s", path);
                    break;
                }
            }
            free(remaining);
            remaining = splice_path(target, next);
            continue;
        }
        if (last) {
            close(pfd);
            result = openat(cur, comp, (flags & ~O_CREAT) | O_NOFOLLOW, mode);
            if (result < 0) {
                if (errno == ELOOP && S_ISLNK(st.st_mode))
                    sp_err(err, ELOOP, "opening %s: last component is a symlink", path);
                else
                    sp_err(err, errno, "opening %s", path);
            } else if ((flags & O_CREAT) && (flags & O_EXCL)) {
                close(result);
                result = -1;
                sp_err(err, EEXIST, "creating %s", path);
            }
            break;
        }
        if (!S_ISDIR(st.st_mode)) {
            close(pfd);
            sp_err(err, ENOTDIR, "opening %s: %s is not a directory", path, comp);
            break;
        }
        if (depth == cap) {
            cap *= 2;
            stack = sp_xrealloc(stack, cap * sizeof(int));
        }
        stack[depth++] = cur;
        cur = pfd;
        free(remaining);
        remaining = sp_steal_ptr(&next);
    }
    while (depth > 0)
        close(stack[--depth]);
    close(cur);
    free(stack);
    return result;
}

int sp_open_in_root(int rootfd, const char *path, int flags, mode_t mode, sp_error **err)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    if (fd >= 0)
        return fd;
    /* Old kernels (ENOSYS), or seccomp filters that return EPERM: walk. */
    if (errno == ENOSYS || errno == EPERM)
        return sp_open_in_root_walk(rootfd, path, flags | O_CLOEXEC, mode, err);
    /* openat2 retries on EAGAIN when a rename races with the lookup. */
    if (errno == EAGAIN)
        return sp_open_in_root_walk(rootfd, path, flags | O_CLOEXEC, mode, err);
    return sp_err(err, errno, "opening %s", path);
}

/* ---- string-based resolution -------------------------------------------- */

int sp_path_resolve_in_root(const char *root, const char *path, char **out, sp_error **err)
{
    /* Resolved part relative to root, always starting with "/" */
    size_t cap = strlen(path) + 2;
    _cleanup_free_ char *resolved = sp_xcalloc(1, PATH_MAX);
    size_t rlen = 0;
    _cleanup_free_ char *remaining = sp_xstrdup(path);
    int links = 0;
    (void)cap;

    for (;;) {
        char *p = remaining;
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, "/");
        _cleanup_free_ char *comp = strndup(p, len);
        if (!comp)
            abort();
        char *rest = p + len;
        _cleanup_free_ char *next = sp_xstrdup(rest);

        if (strcmp(comp, ".") == 0) {
            free(remaining);
            remaining = sp_steal_ptr(&next);
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            while (rlen > 0 && resolved[rlen - 1] != '/')
                rlen--;
            if (rlen > 0)
                rlen--;
            resolved[rlen] = '\0';
            free(remaining);
            remaining = sp_steal_ptr(&next);
            continue;
        }
        if (rlen + 1 + len + 1 >= PATH_MAX)
            return sp_err(err, ENAMETOOLONG, "resolving %s in %s", path, root);
        size_t saved = rlen;
        resolved[rlen++] = '/';
        memcpy(resolved + rlen, comp, len);
        rlen += len;
        resolved[rlen] = '\0';

        _cleanup_free_ char *host = sp_xasprintf("%s%s", root, resolved);
        struct stat st;
        if (lstat(host, &st) < 0) {
            if (errno == ENOENT || errno == ENOTDIR) {
                /* Not there yet: the rest is appended lexically. */
                const char *t = next;
                while (*t == '/')
                    t++;
                _cleanup_free_ char *tail = sp_path_clean(*t ? t : ".");
                _cleanup_free_ char *joined =
                    strcmp(tail, ".") == 0 ? sp_xstrdup(resolved)
                                           : sp_xasprintf("%s/%s", resolved, tail);
                /* A relative tail beginning with ".." must not climb out. */
                _cleanup_free_ char *clean = sp_path_clean(joined);
                *out = sp_path_join(root, clean);
                return 0;
            }
            return sp_err(err, errno, "resolving %s in %s", path, root);
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(host, target, sizeof(target) - 1);
            if (n < 0)
                return sp_err(err, errno, "reading symlink %s", host);
            target[n] = '\0';
            if (++links > MAX_SYMLINKS)
                return sp_err(err, ELOOP, "resolving %s in %s", path, root);
            rlen = target[0] == '/' ? 0 : saved;
            resolved[rlen] = '\0';
            free(remaining);
            remaining = splice_path(target, next);
            continue;
        }
        free(remaining);
        remaining = sp_steal_ptr(&next);
    }
    *out = rlen ? sp_xasprintf("%s%s", root, resolved) : sp_xstrdup(root);
    return 0;
}
