/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Preparing a container from an image: its root filesystem, OCI config and
 * people-facing record (name, image) in one bundle directory,
 * <data_root>/storage/containers/ID, which is also what gc looks at.
 */
#include "images.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int read_config(const char *data_root, json_t *img, json_t **out, sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    const char *digest = json_string_value(json_object_get(img, "config"));
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_blob_read(s, digest, 4u << 20, &text, &len, err) < 0)
        return -1;
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return sp_err(err, 0, "config %s: %s", digest, je.text);
    }
    *out = j;
    return 0;
}

int sp_image_container_list(const char *data_root, json_t **out, sp_error **err)
{
    _cleanup_store_ struct sp_store *s = NULL;
    if (sp_storage_open(data_root, &s, err) < 0)
        return -1;
    _cleanup_json_ json_t *roots = NULL;
    if (sp_rootfs_list(s, &roots, err) < 0)
        return -1;
    json_t *arr = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(roots, i, r) {
        const char *id = json_string_value(json_object_get(r, "id"));
        _cleanup_free_ char *rel = sp_xasprintf("containers/%s/container.json", id);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        _cleanup_error_ sp_error *e = NULL;
        if (sp_read_file(s->dirfd, rel, 1u << 20, &text, &len, &e) < 0)
            continue;
        json_t *c = json_loadb(text, len, 0, NULL);
        if (!json_is_object(c)) {
            json_decref(c);
            continue;
        }
        json_object_set(c, "rootfs", json_object_get(r, "rootfs"));
        json_array_append_new(arr, c);
    }
    *out = arr;
    return 0;
}

int sp_image_container_find(const char *data_root, const char *ref, char **id, sp_error **err)
{
    _cleanup_json_ json_t *list = NULL;
    if (sp_image_container_list(data_root, &list, err) < 0)
        return -1;
    const char *found = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        const char *cid = json_string_value(json_object_get(c, "id"));
        const char *name = json_string_value(json_object_get(c, "name"));
        if (name && strcmp(name, ref) == 0) {
            *id = sp_xstrdup(cid);
            return 0;
        }
    }
    size_t n = strlen(ref);
    json_array_foreach(list, i, c) {
        const char *cid = json_string_value(json_object_get(c, "id"));
        if (n > 0 && cid && strncmp(cid, ref, n) == 0) {
            if (found)
                return sp_err(err, 0, "container '%s': ambiguous prefix", ref);
            found = cid;
        }
    }
    if (!found)
        return sp_err(err, 0, "container '%s': no such container", ref);
    *id = sp_xstrdup(found);
    return 0;
}

int sp_image_container_prepare(const char *data_root, const char *ref, const char *id,
                               const char *name, const struct sp_run_opts *o, char **bundle,
                               sp_error **err)
{
    _cleanup_json_ json_t *img = NULL;
    if (sp_image_resolve(data_root, ref, true, &img, err) < 0)
        return -1;
    const char *arch = json_string_value(json_object_get(img, "architecture"));
    if (arch && *arch && strcmp(arch, sp_image_host_arch()) != 0)
        return sp_err(err, ENOEXEC, "image '%s' is for %s, this host is %s", ref, arch,
                      sp_image_host_arch());
    if (name) {
        if (!sp_storage_id_valid(name))
            return sp_err(err, EINVAL, "invalid container name '%s' (letters, digits, '_', '.', "
                                       "'-')", name);
        _cleanup_json_ json_t *list = NULL;
        if (sp_image_container_list(data_root, &list, err) < 0)
            return -1;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c) {
            if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
                return sp_err(err, EEXIST, "the name '%s' is already in use by container %.12s",
                              name, json_string_value(json_object_get(c, "id")));
        }
    }
    _cleanup_json_ json_t *cfg = NULL;
    if (read_config(data_root, img, &cfg, err) < 0)
        return -1;
    _cleanup_free_ char *rootfs = NULL;
    if (sp_image_mount(data_root, ref, id, o->read_only, "container", &rootfs, NULL, err) < 0)
        return -1;
    _cleanup_json_ json_t *spec = NULL;
    _cleanup_free_ char *dir = sp_xasprintf("%s/storage/containers/%s", data_root, id);
    int rc = sp_image_runtime_config(cfg, rootfs, o, &spec, err);
    _cleanup_close_ int dfd = rc == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == 0 && dfd < 0)
        rc = sp_err(err, errno, "opening %s", dir);
    if (rc == 0)
        rc = sp_json_write_file(dfd, "config.json", spec, true, err);
    if (rc == 0) {
        char created[64];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_t *names = json_object_get(img, "names");
        const char *iname = json_array_size(names) ? json_string_value(json_array_get(names, 0))
                                                   : ref;
        _cleanup_json_ json_t *rec = json_pack(
            "{s:s, s:s, s:s, s:O, s:s, s:O}", "id", id, "name", name ? name : id, "image", iname,
            "digest", json_object_get(img, "digest"), "created", created, "command",
            json_object_get(json_object_get(spec, "process"), "args"));
        rc = sp_json_write_file(dfd, "container.json", rec, true, err);
    }
    if (rc < 0) {
        _cleanup_error_ sp_error *e2 = NULL;
        sp_image_unmount(data_root, id, &e2);
        return -1;
    }
    *bundle = sp_steal_ptr(&dir);
    return 0;
}

int sp_image_container_exited(const char *data_root, const char *id, int status, sp_error **err)
{
    _cleanup_free_ char *dir = sp_xasprintf("%s/storage/containers/%s", data_root, id);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return sp_err(err, errno, "opening %s", dir);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_read_file(dfd, "container.json", 1u << 20, &text, &len, err) < 0)
        return -1;
    _cleanup_json_ json_t *rec = json_loadb(text, len, 0, NULL);
    if (!json_is_object(rec))
        return sp_err(err, 0, "%s/container.json: corrupt record", dir);
    char finished[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(finished, sizeof(finished), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(rec, "exit_code", json_integer(status));
    json_object_set_new(rec, "finished", json_string(finished));
    return sp_json_write_file(dfd, "container.json", rec, true, err);
}
