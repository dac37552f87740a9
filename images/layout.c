/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading OCI image layouts (image-spec 1.1 "oci-layout" + index.json). */
#include "images.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sp_oci_index_entry_clear(struct sp_oci_index_entry *e)
{
    free(e->digest);
    free(e->media_type);
    free(e->ref_name);
    memset(e, 0, sizeof(*e));
}

bool sp_oci_digest_valid(const char *digest)
{
    if (strncmp(digest, "sha256:", 7) != 0)
        return false;
    const char *h = digest + 7;
    size_t n = 0;
    for (; h[n]; n++)
        if (!((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')))
            return false;
    return n == 64;
}

static int check_layout_file(const char *dir, sp_error **err)
{
    _cleanup_free_ char *path = sp_path_join(dir, "oci-layout");
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(path, path, &doc, err) < 0)
        return sp_err_wrap(err, "%s is not an OCI layout", dir);
    const char *version = NULL;
    if (sp_json_get_str(doc, doc->root, "", "imageLayoutVersion", true, &version, err) < 0)
        return -1;
    if (strcmp(version, "1.0.0") != 0)
        return sp_jerr(doc, err, "imageLayoutVersion", "unsupported version '%s'", version);
    return 0;
}

static int verify_blob(const char *dir, const char *digest, uint64_t size, sp_error **err)
{
    _cleanup_free_ char *rel = sp_xasprintf("blobs/sha256/%s", digest + 7);
    _cleanup_free_ char *path = sp_path_join(dir, rel);
    char hex[65];
    uint64_t got = 0;
    if (sp_sha256_file(AT_FDCWD, path, hex, &got, err) < 0)
        return -1;
    if (got != size)
        return sp_err(err, 0, "blob %s: size %llu, index says %llu", digest,
                      (unsigned long long)got, (unsigned long long)size);
    if (strcmp(hex, digest + 7) != 0)
        return sp_err(err, 0, "blob %s: content has digest sha256:%s", digest, hex);
    return 0;
}

int sp_oci_layout_resolve(const char *dir, const char *ref, struct sp_oci_index_entry *out,
                          sp_error **err)
{
    if (check_layout_file(dir, err) < 0)
        return -1;
    _cleanup_free_ char *path = sp_path_join(dir, "index.json");
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(path, path, &doc, err) < 0)
        return -1;
    int64_t schema = 0;
    if (sp_json_get_i64(doc, doc->root, "", "schemaVersion", true, &schema, err) < 0)
        return -1;
    if (schema != 2)
        return sp_jerr(doc, err, "schemaVersion", "expected 2, got %lld", (long long)schema);
    json_t *manifests = NULL;
    if (sp_json_get_arr(doc, doc->root, "", "manifests", true, &manifests, err) < 0)
        return -1;

    size_t count = json_array_size(manifests);
    ssize_t chosen = -1;
    for (size_t i = 0; i < count; i++) {
        _cleanup_free_ char *mpath = sp_jpath_idx("manifests", i);
        json_t *m = json_array_get(manifests, i);
        const char *digest = NULL, *name = "";
        json_t *ann = NULL;
        if (sp_json_get_str(doc, m, mpath, "digest", true, &digest, err) < 0)
            return -1;
        if (!sp_oci_digest_valid(digest)) {
            _cleanup_free_ char *dp = sp_jpath_key(mpath, "digest");
            return sp_jerr(doc, err, dp, "'%s' is not a sha256 digest", digest);
        }
        if (sp_json_get_obj(doc, m, mpath, "annotations", false, &ann, err) < 0)
            return -1;
        if (ann) {
            _cleanup_free_ char *ap = sp_jpath_key(mpath, "annotations");
            if (sp_json_get_str(doc, ann, ap, "org.opencontainers.image.ref.name", false, &name,
                                err) < 0)
                return -1;
        }
        if (ref ? strcmp(name, ref) == 0 : true) {
            if (!ref && chosen >= 0)
                return sp_err(err, 0, "%s: several manifests; name one", path);
            chosen = (ssize_t)i;
        }
    }
    if (chosen < 0)
        return ref ? sp_err(err, ENOENT, "%s: no manifest named '%s'", path, ref)
                   : sp_err(err, ENOENT, "%s: no manifests", path);

    _cleanup_free_ char *mpath = sp_jpath_idx("manifests", (size_t)chosen);
    json_t *m = json_array_get(manifests, (size_t)chosen);
    const char *digest = NULL, *media = NULL, *name = "";
    int64_t size = 0;
    json_t *ann = NULL;
    if (sp_json_get_str(doc, m, mpath, "digest", true, &digest, err) < 0 ||
        sp_json_get_str(doc, m, mpath, "mediaType", true, &media, err) < 0 ||
        sp_json_get_range(doc, m, mpath, "size", true, 0, INT64_MAX, &size, err) < 0 ||
        sp_json_get_obj(doc, m, mpath, "annotations", false, &ann, err) < 0)
        return -1;
    if (ann) {
        _cleanup_free_ char *ap = sp_jpath_key(mpath, "annotations");
        if (sp_json_get_str(doc, ann, ap, "org.opencontainers.image.ref.name", false, &name,
                            err) < 0)
            return -1;
    }
    if (verify_blob(dir, digest, (uint64_t)size, err) < 0)
        return sp_err_wrap(err, "%s", dir);
    out->digest = sp_xstrdup(digest);
    out->media_type = sp_xstrdup(media);
    out->ref_name = sp_xstrdup(name);
    out->size = (uint64_t)size;
    return 0;
}

int sp_image_builtin_dir(char **out, sp_error **err)
{
    const char *env = getenv("SEPTA_BUILTIN_IMAGE");
    if (env && *env) {
        *out = sp_xstrdup(env);
        return 0;
    }
    /* Prefer the build tree when running the binary from it. */
    const char *candidates[] = {SEPTA_BUILD_DATADIR "/busybox", SEPTA_DATADIR "/images/busybox"};
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    bool in_build = false;
    if (n > 0) {
        self[n] = '\0';
        size_t bl = strlen(SEPTA_BUILD_DATADIR) - strlen("/images");
        in_build = strncmp(self, SEPTA_BUILD_DATADIR, bl) == 0;
    }
    for (size_t k = 0; k < 2; k++) {
        const char *c = candidates[in_build ? k : 1 - k];
        _cleanup_free_ char *probe = sp_path_join(c, "index.json");
        if (access(probe, R_OK) == 0) {
            *out = sp_xstrdup(c);
            return 0;
        }
    }
    return sp_err(err, ENOENT, "the built-in image is missing (looked in %s and %s; set "
                               "SEPTA_BUILTIN_IMAGE or reinstall)",
                  candidates[1], candidates[0]);
}
