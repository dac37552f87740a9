/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Container root filesystems: an overlay of shared layers under a private
 * upper dir.  Order matters for crash safety: record, then directories, then
 * the mount; removal runs in reverse and drops the record last, so whatever a
 * killed septa leaves is always named by a record that gc can act on.
 */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

bool sp_storage_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 128 || id[0] == '.' || id[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static int is_mountpoint(const char *path)
{
    struct statx stx;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
        return 0;
    if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
        return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    /* Kernels before 5.8: a different device than the parent's. */
    struct stat a, b;
    _cleanup_free_ char *parent = sp_path_join(path, "..");
    return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

int sp_rootfs_create(struct sp_store *s, const char *id, json_t *diff_ids, unsigned flags,
                     const char *owner, char **rootfs, sp_error **err)
{
    if (!sp_storage_id_valid(id))
        return sp_err(err, EINVAL, "invalid container id '%s'", id);
    bool read_only = flags & SP_ROOTFS_READ_ONLY;
    if (json_array_size(diff_ids) == 0)
        return sp_err(err, EINVAL, "rootfs %s: an image without layers", id);
    size_t i;
    json_t *d;
    json_array_foreach(diff_ids, i, d)
    {
        if (!json_is_string(d) || !sp_layer_exists(s, json_string_value(d)))
            return sp_err(err, ENOENT, "rootfs %s: layer %s is not in the store", id,
                          json_is_string(d) ? json_string_value(d) : "?");
    }
    if (mkdirat(s->dirfd, "containers", 0700) < 0 && errno != EEXIST)
        return sp_err(err, errno, "creating %s/containers", s->dir);
    _cleanup_free_ char *rel = sp_xasprintf("containers/%s", id);
    if (mkdirat(s->dirfd, rel, 0700) < 0)
        return sp_err(err, errno, "creating %s/%s", s->dir, rel);
    _cleanup_close_ int cfd =
        openat(s->dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0)
        return sp_err(err, errno, "opening %s/%s", s->dir, rel);
    _cleanup_free_ char *dir = sp_path_join(s->dir, rel);
    _cleanup_free_ char *merged = sp_path_join(dir, "merged");
    _cleanup_json_ json_t *rec = json_pack(
        "{s:s, s:O, s:b, s:s, s:s, s:b}", "id", id, "layers", diff_ids, "read_only", read_only,
        "owner", owner, "rootfs", merged, "volatile", (flags & SP_ROOTFS_VOLATILE) != 0);
    /* A volatile root does not outlive its container, nor a power loss
     * (gc removes a root whose record a crash cut short): no fsyncs. */
    _cleanup_free_ char *text = sp_json_dumps(rec, true);
    if ((flags & SP_ROOTFS_VOLATILE
             ? sp_atomic_replace(cfd, "rootfs.json", text, strlen(text), 0600, err)
             : sp_json_write_file(cfd, "rootfs.json", rec, true, err)) < 0)
        goto fail;
    static const char *const sub[] = {"upper", "work", "merged"};
    for (size_t k = 0; k < SP_ARRAY_SIZE(sub); k++) {
        if (mkdirat(cfd, sub[k], 0755) < 0) {
            sp_err(err, errno, "creating %s/%s", dir, sub[k]);
            goto fail;
        }
    }
    {
        /* Relative lower dirs keep the option string short: the kernel takes
         * one page of mount options, which absolute paths exhaust at ~30 layers. */
        size_t n = json_array_size(diff_ids);
        size_t cap = n * 80 + 2 * strlen(dir) + 64;
        _cleanup_free_ char *opts = sp_xmalloc(cap);
        size_t off = (size_t)snprintf(opts, cap, "lowerdir=");
        for (size_t k = n; k-- > 0;)
            off += (size_t)snprintf(opts + off, cap - off, "%s%s/root", k + 1 == n ? "" : ":",
                                    json_string_value(json_array_get(diff_ids, k)) + 7);
        snprintf(opts + off, cap - off, ",upperdir=%s/upper,workdir=%s/work%s", dir, dir,
                 flags & SP_ROOTFS_VOLATILE ? ",volatile" : "");
        if (strlen(opts) >= 4000) {
            sp_err(err, E2BIG, "rootfs %s: %zu layers are more than one overlay mount takes", id,
                   n);
            goto fail;
        }
        _cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *layers = sp_path_join(s->dir, "layers");
        if (cwd < 0 || chdir(layers) < 0) {
            sp_err(err, errno, "entering %s", layers);
            goto fail;
        }
        int r = mount("overlay", merged, "overlay", read_only ? MS_RDONLY : 0, opts);
        int e = errno;
        if (fchdir(cwd) < 0) {
            /* Nothing later depends on the cwd; note it for debugging only. */
            sp_debug("returning to the previous working directory: %m");
        }
        if (r < 0) {
            sp_err(err, e, "mounting the overlay root of %s on %s", id, merged);
            goto fail;
        }
    }
    *rootfs = sp_steal_ptr(&merged);
    return 0;
fail:;
    _cleanup_error_ sp_error *e2 = NULL;
    sp_rm_rf_at(s->dirfd, rel, &e2);
    return -1;
}

int sp_rootfs_unmount(struct sp_store *s, const char *id, sp_error **err)
{
    if (!sp_storage_id_valid(id))
        return sp_err(err, EINVAL, "invalid container id '%s'", id);
    _cleanup_free_ char *merged = sp_xasprintf("%s/containers/%s/merged", s->dir, id);
    for (int tries = 0; is_mountpoint(merged) && tries < 8; tries++) {
        if (umount2(merged, tries < 4 ? 0 : MNT_DETACH) < 0 && errno != EINVAL && errno != EBUSY &&
            errno != ENOENT)
            return sp_err(err, errno, "unmounting %s", merged);
    }
    if (is_mountpoint(merged))
        return sp_err(err, EBUSY, "unmounting %s: still mounted", merged);
    return 0;
}

int sp_rootfs_remove(struct sp_store *s, const char *id, sp_error **err)
{
    if (sp_rootfs_unmount(s, id, err) < 0)
        return -1;
    _cleanup_free_ char *rel = sp_xasprintf("containers/%s", id);
    _cleanup_close_ int cfd =
        openat(s->dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0)
        return errno == ENOENT ? 0 : sp_err(err, errno, "opening %s/%s", s->dir, rel);
    static const char *const sub[] = {"merged", "work", "upper"};
    for (size_t k = 0; k < SP_ARRAY_SIZE(sub); k++)
        if (sp_rm_rf_at(cfd, sub[k], err) < 0)
            return sp_err_wrap(err, "removing the root of %s", id);
    /* The record goes last: until here gc can still find what is left. */
    if (sp_rm_rf_at(s->dirfd, rel, err) < 0)
        return sp_err_wrap(err, "removing the root of %s", id);
    return 0;
}

int sp_rootfs_list(struct sp_store *s, json_t **out, sp_error **err)
{
    json_t *arr = json_array();
    _cleanup_close_ int dfd = openat(s->dirfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        if (errno == ENOENT) {
            *out = arr;
            return 0;
        }
        json_decref(arr);
        return sp_err(err, errno, "opening %s/containers", s->dir);
    }
    _cleanup_dir_ DIR *d = fdopendir(dup(dfd));
    if (!d) {
        json_decref(arr);
        return sp_err(err, errno, "listing %s/containers", s->dir);
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *rel = sp_xasprintf("%s/rootfs.json", de->d_name);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        _cleanup_error_ sp_error *e = NULL;
        json_t *rec = NULL;
        if (sp_read_file(dfd, rel, 1u << 20, &text, &len, &e) == 0)
            rec = json_loadb(text, len, 0, NULL);
        if (!json_is_object(rec)) {
            /* A record cut short by a crash: still listed so gc removes it. */
            json_decref(rec);
            rec = json_pack("{s:s, s:[], s:b, s:b}", "id", de->d_name, "layers", "read_only", 0,
                            "broken", 1);
        }
        json_object_set_new(rec, "id", json_string(de->d_name));
        _cleanup_free_ char *merged = sp_xasprintf("%s/containers/%s/merged", s->dir, de->d_name);
        json_object_set_new(rec, "mounted", json_boolean(is_mountpoint(merged)));
        json_array_append_new(arr, rec);
    }
    *out = arr;
    return 0;
}
