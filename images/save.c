/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `save`: images out of the store as one OCI layout tar.  Blobs are copied
 * byte for byte, so loading the tar gives back the same digests.  The tar is
 * written next to the destination and renamed over it when complete.
 */
#include "images.h"
#include "storage.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_entry(struct archive *a, const char *name, mode_t type, const void *data, size_t len,
                     int fd, uint64_t fdsize, sp_error **err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    /* Fixed owner and time: saving the same image twice gives the same tar. */
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t)(fd >= 0 ? fdsize : len));
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return sp_err(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "writing %s: %s", name,
                      archive_error_string(a));
    if (data && archive_write_data(a, data, len) != (la_ssize_t)len)
        return sp_err(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "writing %s: %s", name,
                      archive_error_string(a));
    if (fd >= 0) {
        char *buf = sp_xmalloc(1 << 20);
        uint64_t done = 0;
        while (done < fdsize) {
            ssize_t n = read(fd, buf, 1 << 20);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                free(buf);
                return sp_err(err, n < 0 ? errno : 0, "reading blob for %s", name);
            }
            if (archive_write_data(a, buf, (size_t)n) != n) {
                free(buf);
                return sp_err(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "writing %s: %s",
                              name, archive_error_string(a));
            }
            done += (uint64_t)n;
        }
        free(buf);
    }
    return 0;
}

static int add_blob(struct archive *a, struct sp_store *s, const char *digest, json_t *done,
                    sp_error **err)
{
    if (json_object_get(done, digest))
        return 0;
    json_object_set_new(done, digest, json_true());
    _cleanup_close_ int fd = sp_blob_open(s, digest, err);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return sp_err(err, errno, "blob %s", digest);
    _cleanup_free_ char *name = sp_xasprintf("blobs/sha256/%s", digest + 7);
    return add_entry(a, name, AE_IFREG, NULL, 0, fd, (uint64_t)st.st_size, err);
}

static int write_layout(struct archive *a, struct sp_store *s, json_t *images, sp_error **err)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    if (add_entry(a, "oci-layout", AE_IFREG, layout, strlen(layout), -1, 0, err) < 0 ||
        add_entry(a, "blobs", AE_IFDIR, NULL, 0, -1, 0, err) < 0 ||
        add_entry(a, "blobs/sha256", AE_IFDIR, NULL, 0, -1, 0, err) < 0)
        return -1;
    _cleanup_json_ json_t *done = json_object();
    _cleanup_json_ json_t *manifests = json_array();
    size_t i;
    json_t *img;
    json_array_foreach(images, i, img)
    {
        const char *digest = json_string_value(json_object_get(img, "digest"));
        const char *name = json_string_value(json_object_get(img, "save_name"));
        int64_t msize = sp_blob_size(s, digest, err);
        if (msize < 0)
            return -1;
        _cleanup_free_ char *mtext = NULL;
        size_t mlen = 0;
        if (sp_blob_read(s, digest, 4u << 20, &mtext, &mlen, err) < 0)
            return -1;
        json_t *m = json_loadb(mtext, mlen, 0, NULL);
        const char *mt = json_string_value(json_object_get(m, "mediaType"));
        json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType",
                                 mt ? mt : "application/vnd.oci.image.manifest.v1+json", "digest",
                                 digest, "size", (json_int_t)msize);
        json_decref(m);
        if (name && *name)
            json_object_set_new(desc, "annotations",
                                json_pack("{s:s, s:s}", "org.opencontainers.image.ref.name", name,
                                          "io.containerd.image.name", name));
        json_array_append_new(manifests, desc);
        if (add_blob(a, s, digest, done, err) < 0 ||
            add_blob(a, s, json_string_value(json_object_get(img, "config")), done, err) < 0)
            return -1;
        size_t k;
        json_t *l;
        json_array_foreach(json_object_get(img, "layers"), k, l)
        {
            if (add_blob(a, s, json_string_value(json_object_get(l, "blob")), done, err) < 0)
                return -1;
        }
    }
    _cleanup_json_ json_t *index =
        json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
                  "application/vnd.oci.image.index.v1+json", "manifests", manifests);
    _cleanup_free_ char *itext = json_dumps(index, JSON_COMPACT | JSON_SORT_KEYS);
    return add_entry(a, "index.json", AE_IFREG, itext, strlen(itext), -1, 0, err);
}

int sp_image_save(const char *data_root, char *const *refs, size_t nrefs, const char *out,
                  sp_error **err)
{
    _cleanup_json_ json_t *images = json_array();
    for (size_t i = 0; i < nrefs; i++) {
        json_t *r = NULL;
        if (sp_image_resolve(data_root, refs[i], true, &r, err) < 0)
            return -1;
        /* Name the manifest as the user did when that is one of its names. */
        _cleanup_free_ char *norm = sp_image_ref_normalize(refs[i]);
        const char *save_name = "";
        size_t k;
        json_t *nm;
        json_array_foreach(json_object_get(r, "names"), k, nm)
        {
            if (strcmp(json_string_value(nm), norm) == 0)
                save_name = norm;
        }
        if (!*save_name && json_array_size(json_object_get(r, "names")) > 0)
            save_name = json_string_value(json_array_get(json_object_get(r, "names"), 0));
        json_object_set_new(r, "save_name", json_string(save_name));
        json_array_append_new(images, r);
    }
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    /* Shared: a concurrent rmi may untag, but cannot prune blobs mid-save. */
    _cleanup_close_ int slock = sp_storage_lock(s, false, err);
    if (slock < 0)
        return -1;
    _cleanup_free_ char *tmp = sp_xasprintf("%s.septa-tmp-%d", out, (int)getpid());
    struct archive *a = archive_write_new();
    if (!a)
        abort();
    archive_write_set_format_pax_restricted(a);
    int rc = 0;
    if (archive_write_open_filename(a, tmp) != ARCHIVE_OK)
        rc = sp_err(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "creating %s: %s", tmp,
                    archive_error_string(a));
    if (rc == 0)
        rc = write_layout(a, s, images, err);
    if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
        rc = sp_err(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "writing %s: %s", tmp,
                    archive_error_string(a));
    archive_write_free(a);
    if (rc == 0 && rename(tmp, out) < 0)
        rc = sp_err(err, errno, "renaming %s to %s", tmp, out);
    if (rc < 0) {
        unlink(tmp);
        return sp_err_wrap(err, "saving to %s", out);
    }
    return 0;
}
