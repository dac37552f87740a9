/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Safe layer unpacking.  A layer is hostile input: every entry is created with
 * *at() calls relative to a directory fd inside the layer root, parents are
 * walked one component at a time with O_NOFOLLOW (a symlinked parent is
 * resolved inside the root, never outside), ".." is refused, and nothing is
 * ever opened by a host path built from an entry name.
 *
 * One pass over the compressed blob: an outer libarchive reader only
 * decompresses ("raw" format, any filter), an inner reader parses the tar
 * from the outer's output, and the uncompressed bytes are hashed on the way
 * to compute the diff_id.
 */
#include "storage.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define DEFAULT_MAX_BYTES   (UINT64_C(64) << 30)
#define DEFAULT_MAX_ENTRIES UINT64_C(2000000)

int sp_unpack_opts_default(struct sp_unpack_opts *o, sp_error **err)
{
    o->max_bytes = DEFAULT_MAX_BYTES;
    o->max_entries = DEFAULT_MAX_ENTRIES;
    o->devices = false;
    const char *v = getenv("SEPTA_LAYER_MAX_SIZE");
    if (v && *v && sp_parse_size(v, &o->max_bytes, err) < 0)
        return sp_err_wrap(err, "SEPTA_LAYER_MAX_SIZE");
    v = getenv("SEPTA_LAYER_MAX_ENTRIES");
    int64_t n = 0;
    if (v && *v) {
        if (sp_parse_i64(v, 1, INT64_MAX, &n, err) < 0)
            return sp_err_wrap(err, "SEPTA_LAYER_MAX_ENTRIES");
        o->max_entries = (uint64_t)n;
    }
    return 0;
}

/* The decompressing outer reader, feeding the tar parser and the hash. */
struct source {
    struct archive *outer;
    EVP_MD_CTX *md;
    uint64_t tar_bytes;
    char *buf;
    size_t bufsize;
    bool eof;
    const char *error;
};

static la_ssize_t source_read(struct archive *inner, void *data, const void **out)
{
    struct source *src = data;
    (void)inner;
    if (src->eof)
        return 0;
    la_ssize_t n = archive_read_data(src->outer, src->buf, src->bufsize);
    if (n < 0) {
        src->error = archive_error_string(src->outer);
        archive_set_error(inner, EIO, "decompressing: %s", src->error ? src->error : "read error");
        return -1;
    }
    if (n == 0)
        src->eof = true;
    EVP_DigestUpdate(src->md, src->buf, (size_t)n);
    src->tar_bytes += (uint64_t)n;
    *out = src->buf;
    return n;
}

struct deferred_dir {
    char *path;
    struct timespec times[2];
};

struct unpacker {
    int rootfd;
    const struct sp_unpack_opts *o;
    struct sp_unpack_stats *st;
    bool root; /* euid 0: ownership and trusted.* xattrs are expected to work */
    /* The parent directory of the previous entry, reused while it does not change. */
    char *cache_path;
    int cache_fd;
    struct deferred_dir *dirs;
    size_t ndirs, capdirs;
};

static void cache_drop(struct unpacker *u)
{
    free(u->cache_path);
    u->cache_path = NULL;
    if (u->cache_fd >= 0)
        close(u->cache_fd);
    u->cache_fd = -1;
}

/*
 * Split an entry name into components: "/", "." and empty components are
 * dropped (absolute names become relative to the layer root), ".." is refused
 * because no layer needs it and following it is how traversal attacks work.
 */
static int split_name(const char *name, char ***out, size_t *n, sp_error **err)
{
    size_t cap = 8, cnt = 0;
    char **v = sp_xcalloc(cap, sizeof(char *));
    const char *p = name;
    while (*p) {
        while (*p == '/')
            p++;
        const char *q = p;
        while (*q && *q != '/')
            q++;
        size_t len = (size_t)(q - p);
        if (len == 0)
            break;
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            sp_strv_free(v);
            return sp_err(err, 0, "entry '%s': '..' in a path is refused", name);
        }
        if (!(len == 1 && p[0] == '.')) {
            if (cnt + 1 >= cap) {
                cap *= 2;
                v = sp_xrealloc(v, cap * sizeof(char *));
            }
            v[cnt] = sp_xmalloc(len + 1);
            memcpy(v[cnt], p, len);
            v[cnt][len] = '\0';
            v[++cnt] = NULL;
        }
        p = q;
    }
    *out = v;
    *n = cnt;
    return 0;
}

static char *join_comps(char **c, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(c[i]) + 1;
    char *s = sp_xmalloc(len);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, "/");
        strcat(s, c[i]);
    }
    return s;
}

/*
 * Open the directory made of the first n components, inside the root.  A
 * component that is a symlink is resolved with sp_open_in_root, which keeps
 * the resolution inside the root whatever the link says.
 */
static int walk_dirs(struct unpacker *u, const char *entry, char **c, size_t n, bool create,
                     sp_error **err)
{
    int cur = dup(u->rootfd);
    if (cur < 0)
        return sp_err(err, errno, "entry '%s': dup", entry);
    for (size_t i = 0; i < n; i++) {
        int nfd = openat(cur, c[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            if (mkdirat(cur, c[i], 0755) < 0 && errno != EEXIST) {
                int e = errno;
                close(cur);
                return sp_err(err, e, "entry '%s': creating parent '%s'", entry, c[i]);
            }
            nfd = openat(cur, c[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
            struct stat lst;
            if (fstatat(cur, c[i], &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
                _cleanup_free_ char *prefix = join_comps(c, i + 1);
                _cleanup_error_ sp_error *e2 = NULL;
                nfd =
                    sp_open_in_root(u->rootfd, prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &e2);
                if (nfd < 0) {
                    close(cur);
                    return sp_err(err, e2 ? e2->errnum : 0,
                                  "entry '%s': parent '%s' is a symlink that does not lead to a "
                                  "directory inside the layer",
                                  entry, prefix);
                }
            } else {
                errno = ENOTDIR;
            }
        }
        if (nfd < 0) {
            int e = errno;
            close(cur);
            return sp_err(err, e, "entry '%s': opening parent '%s'", entry, c[i]);
        }
        close(cur);
        cur = nfd;
    }
    return cur;
}

static int parent_fd(struct unpacker *u, const char *entry, char **c, size_t n, sp_error **err)
{
    _cleanup_free_ char *path = join_comps(c, n);
    if (u->cache_path && strcmp(u->cache_path, path) == 0)
        return u->cache_fd;
    cache_drop(u);
    int fd = walk_dirs(u, entry, c, n, true, err);
    if (fd < 0)
        return -1;
    u->cache_path = sp_steal_ptr(&path);
    u->cache_fd = fd;
    return fd;
}

static int set_owner(struct unpacker *u, int dirfd, const char *name, int fd,
                     struct archive_entry *e, const char *entry, sp_error **err)
{
    uid_t uid = (uid_t)archive_entry_uid(e);
    gid_t gid = (gid_t)archive_entry_gid(e);
    int r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
    /* Unprivileged unpacking (unit tests, rootless) keeps the caller's owner. */
    if (r < 0 && !(errno == EPERM && !u->root))
        return sp_err(err, errno, "entry '%s': setting owner %u:%u", entry, uid, gid);
    return 0;
}

static int set_xattrs(struct unpacker *u, int fd, struct archive_entry *e, const char *entry,
                      sp_error **err)
{
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        /* overlayfs reads its own trusted.overlay.* attributes from lower
         * layers (redirects, metacopy): a layer must not be able to forge them. */
        if (strncmp(name, "trusted.overlay.", 16) == 0)
            continue;
        if (fsetxattr(fd, name, value, size, 0) < 0) {
            if (errno == ENOTSUP || (errno == EPERM && !u->root))
                continue;
            return sp_err(err, errno, "entry '%s': setting xattr %s", entry, name);
        }
    }
    return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
    ts[0].tv_nsec =
        archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : archive_entry_mtime_nsec(e);
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
}

static int write_file(struct unpacker *u, struct archive *a, int pfd, const char *name,
                      struct archive_entry *e, const char *entry, sp_error **err)
{
    int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (declared < 0 || (uint64_t)declared > u->o->max_bytes - u->st->bytes)
        return sp_err(err, EFBIG,
                      "entry '%s': the layer holds more than %llu bytes (raise "
                      "SEPTA_LAYER_MAX_SIZE if it is genuine)",
                      entry, (unsigned long long)u->o->max_bytes);
    _cleanup_close_ int fd =
        openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* A later entry replaces an earlier one, as tar does. */
        if (sp_rm_rf_at(pfd, name, err) < 0)
            return sp_err_wrap(err, "entry '%s': replacing", entry);
        fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return sp_err(err, errno, "entry '%s': creating", entry);
    const void *buf;
    size_t size;
    la_int64_t off, end = 0;
    int r;
    while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
        u->st->bytes += size;
        if (u->st->bytes > u->o->max_bytes)
            return sp_err(err, EFBIG, "entry '%s': the layer holds more than %llu bytes", entry,
                          (unsigned long long)u->o->max_bytes);
        const char *p = buf;
        while (size > 0) {
            ssize_t w = pwrite(fd, p, size, off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return sp_err(err, errno, "entry '%s': writing", entry);
            p += w;
            off += w;
            size -= (size_t)w;
        }
        if (off > end)
            end = off;
    }
    if (r != ARCHIVE_EOF)
        return sp_err(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "entry '%s': reading: %s",
                      entry, archive_error_string(a) ? archive_error_string(a) : "bad data");
    /* A sparse file may end in a hole. */
    if (end != declared && ftruncate(fd, declared) < 0)
        return sp_err(err, errno, "entry '%s': setting size", entry);
    if (set_owner(u, -1, NULL, fd, e, entry, err) < 0)
        return -1;
    /* After chown, which clears setuid/setgid bits. */
    if (fchmod(fd, archive_entry_perm(e)) < 0)
        return sp_err(err, errno, "entry '%s': setting mode", entry);
    if (set_xattrs(u, fd, e, entry, err) < 0)
        return -1;
    struct timespec ts[2];
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return sp_err(err, errno, "entry '%s': setting times", entry);
    return 0;
}

static int make_dir(struct unpacker *u, int pfd, const char *name, struct archive_entry *e,
                    const char *entry, char **c, size_t n, sp_error **err)
{
    if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
        return sp_err(err, errno, "entry '%s': creating directory", entry);
    _cleanup_close_ int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
        /* Something else (a file, a symlink) had the name: a directory replaces it. */
        if (sp_rm_rf_at(pfd, name, err) < 0)
            return sp_err_wrap(err, "entry '%s': replacing", entry);
        if (mkdirat(pfd, name, 0700) < 0)
            return sp_err(err, errno, "entry '%s': creating directory", entry);
        fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return sp_err(err, errno, "entry '%s': opening directory", entry);
    if (set_owner(u, -1, NULL, fd, e, entry, err) < 0)
        return -1;
    if (fchmod(fd, archive_entry_perm(e)) < 0)
        return sp_err(err, errno, "entry '%s': setting mode", entry);
    if (set_xattrs(u, fd, e, entry, err) < 0)
        return -1;
    /* Its mtime changes as children arrive; set it when the layer is done. */
    if (u->ndirs == u->capdirs) {
        u->capdirs = u->capdirs ? 2 * u->capdirs : 64;
        u->dirs = sp_xrealloc(u->dirs, u->capdirs * sizeof(*u->dirs));
    }
    u->dirs[u->ndirs].path = join_comps(c, n);
    entry_times(e, u->dirs[u->ndirs].times);
    u->ndirs++;
    return 0;
}

static int make_whiteout(struct unpacker *u, int pfd, const char *name, const char *entry,
                         sp_error **err)
{
    if (strcmp(name, ".wh..wh..opq") == 0) {
        /* The parent hides everything below it in lower layers. */
        _cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return sp_err(err, errno, "entry '%s': marking the directory opaque", entry);
        return 0;
    }
    if (strncmp(name, ".wh..wh.", 8) == 0)
        return 0; /* aufs bookkeeping (.wh..wh.plnk etc.): no meaning for overlayfs */
    const char *target = name + 4;
    if (!*target || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
        return sp_err(err, 0, "entry '%s': invalid whiteout", entry);
    if (sp_rm_rf_at(pfd, target, err) < 0)
        return sp_err_wrap(err, "entry '%s'", entry);
    if (mknodat(pfd, target, S_IFCHR | 0000, makedev(0, 0)) < 0)
        return sp_err(err, errno, "entry '%s': creating the overlay whiteout", entry);
    (void)u;
    return 0;
}

static int make_hardlink(struct unpacker *u, int pfd, const char *name, const char *target,
                         const char *entry, sp_error **err)
{
    _cleanup_strv_ char **tc = NULL;
    size_t tn = 0;
    if (split_name(target, &tc, &tn, err) < 0)
        return sp_err_wrap(err, "entry '%s': hardlink target", entry);
    if (tn == 0)
        return sp_err(err, 0, "entry '%s': hardlink to the layer root", entry);
    /* The target's parent is resolved inside the root like any other path,
     * and linkat without AT_SYMLINK_FOLLOW links a symlink itself, never
     * what it points at: a hardlink cannot reach a file outside the layer. */
    _cleanup_close_ int tfd = walk_dirs(u, entry, tc, tn - 1, false, err);
    if (tfd < 0)
        return sp_err_wrap(err, "hardlink target '%s'", target);
    if (linkat(tfd, tc[tn - 1], pfd, name, 0) < 0)
        return sp_err(err, errno, "entry '%s': hardlink to '%s'", entry, target);
    return 0;
}

static int make_node(struct unpacker *u, int pfd, const char *name, struct archive_entry *e,
                     mode_t type, const char *entry, sp_error **err)
{
    if ((type == AE_IFCHR || type == AE_IFBLK) && !u->o->devices) {
        sp_debug("entry '%s': device node skipped (not permitted here)", entry);
        return 0;
    }
    dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
    if (mknodat(pfd, name, (type & S_IFMT) | 0600, dev) < 0)
        return sp_err(err, errno, "entry '%s': creating the %s", entry,
                      type == AE_IFIFO ? "fifo" : "device node");
    if (set_owner(u, pfd, name, -1, e, entry, err) < 0)
        return -1;
    if (fchmodat(pfd, name, archive_entry_perm(e), 0) < 0)
        return sp_err(err, errno, "entry '%s': setting mode", entry);
    struct timespec ts[2];
    entry_times(e, ts);
    utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int one_entry(struct unpacker *u, struct archive *a, struct archive_entry *e, sp_error **err)
{
    const char *entry = archive_entry_pathname(e);
    if (!entry)
        return sp_err(err, 0, "entry without a name (entry %llu)",
                      (unsigned long long)u->st->entries);
    if (++u->st->entries > u->o->max_entries)
        return sp_err(err, EFBIG,
                      "entry '%s': the layer has more than %llu entries (raise "
                      "SEPTA_LAYER_MAX_ENTRIES if it is genuine)",
                      entry, (unsigned long long)u->o->max_entries);
    _cleanup_strv_ char **c = NULL;
    size_t n = 0;
    if (split_name(entry, &c, &n, err) < 0)
        return -1;
    mode_t type = archive_entry_filetype(e);
    const char *hl = archive_entry_hardlink(e);
    if (n == 0) {
        /* "./": the layer root itself; keep its mode, never replace it. */
        if (type == AE_IFDIR && !hl) {
            if (fchmod(u->rootfd, archive_entry_perm(e)) < 0)
                return sp_err(err, errno, "entry '%s': setting mode", entry);
            return set_owner(u, -1, NULL, u->rootfd, e, entry, err);
        }
        return sp_err(err, 0, "entry '%s': names the layer root but is not a directory", entry);
    }
    const char *name = c[n - 1];
    int pfd = parent_fd(u, entry, c, n - 1, err);
    if (pfd < 0)
        return -1;
    if (strncmp(name, ".wh.", 4) == 0)
        return make_whiteout(u, pfd, name, entry, err);

    /* Regular files and directories find out about an existing entry from
     * O_EXCL / mkdir (one syscall less per entry); other types look first. */
    struct stat old;
    bool fast = !hl && (type == AE_IFREG || type == AE_IFDIR);
    if (!fast && fstatat(pfd, name, &old, AT_SYMLINK_NOFOLLOW) == 0) {
        bool keep_dir = S_ISDIR(old.st_mode) && type == AE_IFDIR && !hl;
        /* A later entry replaces an earlier one, as tar does.  The only cached
         * fd is this entry's parent, which the removal does not touch. */
        if (!keep_dir && sp_rm_rf_at(pfd, name, err) < 0)
            return sp_err_wrap(err, "entry '%s': replacing", entry);
    }
    if (hl)
        return make_hardlink(u, pfd, name, hl, entry, err);
    switch (type) {
    case AE_IFREG:
        return write_file(u, a, pfd, name, e, entry, err);
    case AE_IFDIR:
        return make_dir(u, pfd, name, e, entry, c, n, err);
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        if (!target)
            return sp_err(err, 0, "entry '%s': symlink without a target", entry);
        /* The target is stored as text; it is only ever resolved inside the root. */
        if (symlinkat(target, pfd, name) < 0)
            return sp_err(err, errno, "entry '%s': creating symlink", entry);
        if (set_owner(u, pfd, name, -1, e, entry, err) < 0)
            return -1;
        struct timespec ts[2];
        entry_times(e, ts);
        utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        return make_node(u, pfd, name, e, type, entry, err);
    case AE_IFSOCK:
        return 0; /* a socket in a tar is meaningless */
    default:
        return sp_err(err, 0, "entry '%s': unknown file type 0%o", entry, type);
    }
}

static void set_dir_times(struct unpacker *u)
{
    for (size_t i = u->ndirs; i-- > 0;) {
        _cleanup_strv_ char **c = NULL;
        size_t n = 0;
        _cleanup_error_ sp_error *e = NULL;
        if (split_name(u->dirs[i].path, &c, &n, &e) < 0)
            continue;
        _cleanup_close_ int fd = walk_dirs(u, u->dirs[i].path, c, n, false, &e);
        if (fd >= 0)
            futimens(fd, u->dirs[i].times);
    }
}

int sp_unpack_fd(int fd, int rootfd, const struct sp_unpack_opts *o, struct sp_unpack_stats *st,
                 sp_error **err)
{
    memset(st, 0, sizeof(*st));
    struct source src = {.bufsize = 1 << 20};
    src.buf = sp_xmalloc(src.bufsize);
    src.md = EVP_MD_CTX_new();
    if (!src.md || !EVP_DigestInit_ex(src.md, EVP_sha256(), NULL))
        abort();
    src.outer = archive_read_new();
    struct archive *inner = archive_read_new();
    if (!src.outer || !inner)
        abort();
    /* Layers are plain, gzip or zstd tars; the raw format makes the outer
     * reader a pure decompressor so the tar bytes can be hashed. */
    archive_read_support_filter_gzip(src.outer);
    archive_read_support_filter_zstd(src.outer);
    archive_read_support_format_raw(src.outer);
    archive_read_support_format_tar(inner);

    struct unpacker u = {
        .rootfd = rootfd, .o = o, .st = st, .root = geteuid() == 0, .cache_fd = -1};
    int rc = 0;
    struct archive_entry *e = NULL;
    if (archive_read_open_fd(src.outer, fd, 1 << 20) != ARCHIVE_OK ||
        archive_read_next_header(src.outer, &e) != ARCHIVE_OK) {
        rc = sp_err(err, archive_errno(src.outer) > 0 ? archive_errno(src.outer) : 0,
                    "reading the layer: %s", archive_error_string(src.outer));
        goto out;
    }
    if (archive_read_open(inner, &src, NULL, source_read, NULL) != ARCHIVE_OK) {
        rc = sp_err(err, 0, "reading the layer: %s", archive_error_string(inner));
        goto out;
    }
    for (;;) {
        int r = archive_read_next_header(inner, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = sp_err(err, 0, "reading the layer after entry %llu: %s",
                        (unsigned long long)st->entries,
                        archive_error_string(inner) ? archive_error_string(inner) : "bad tar");
            goto out;
        }
        if (one_entry(&u, inner, e, err) < 0) {
            rc = -1;
            goto out;
        }
    }
    /* The diff_id covers the whole stream, including the tar's end blocks
     * and any padding the parser did not need to read. */
    const void *dummy;
    la_ssize_t n;
    while ((n = source_read(inner, &src, &dummy)) > 0)
        ;
    if (n < 0) {
        rc = sp_err(err, 0, "reading the layer: %s", src.error ? src.error : "read error");
        goto out;
    }
    set_dir_times(&u);

out:;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(src.md, md, &mdlen);
    static const char hex[] = "0123456789abcdef";
    memcpy(st->diff_id, "sha256:", 7);
    for (unsigned i = 0; i < 32; i++) {
        st->diff_id[7 + 2 * i] = hex[md[i] >> 4];
        st->diff_id[8 + 2 * i] = hex[md[i] & 15];
    }
    st->diff_id[71] = '\0';
    st->tar_bytes = src.tar_bytes;
    EVP_MD_CTX_free(src.md);
    archive_read_free(inner);
    archive_read_free(src.outer);
    free(src.buf);
    cache_drop(&u);
    for (size_t i = 0; i < u.ndirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    return rc;
}
