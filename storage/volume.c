/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Named volumes: directories under <data_root>/volumes that outlive containers. */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool name_ok(const char *n)
{
    if (!sp_storage_id_valid(n))
        return false;
    char c = n[0];
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int open_volumes(const char *data_root, int *fd, char **dir, sp_error **err)
{
    *dir = sp_path_join(data_root, "volumes");
    if (sp_mkdir_p(*dir, 0700, err) < 0)
        return sp_err_wrap(err, "creating the volume store");
    *fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return sp_err(err, errno, "opening %s", *dir);
    return 0;
}

static int read_volume(int vfd, const char *dir, const char *name, json_t **out, sp_error **err)
{
    _cleanup_free_ char *rel = sp_xasprintf("%s/volume.json", name);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_read_file(vfd, rel, 1u << 20, &text, &len, &e) < 0) {
        if (e && e->errnum == ENOENT)
            return sp_err(err, 0, "volume '%s': no such volume", name);
        *err = sp_steal_ptr(&e);
        return -1;
    }
    json_t *j = json_loadb(text, len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return sp_err(err, 0, "%s/%s: corrupt volume record", dir, rel);
    }
    _cleanup_free_ char *mp = sp_xasprintf("%s/%s/_data", dir, name);
    json_object_set_new(j, "name", json_string(name));
    json_object_set_new(j, "mountpoint", json_string(mp));
    *out = j;
    return 0;
}

int sp_volume_create(const char *data_root, const char *name, json_t **out, sp_error **err)
{
    if (!name_ok(name))
        return sp_err(err, EINVAL,
                      "invalid volume name '%s' (letters, digits, '_', '.', '-'; "
                      "at most 128)",
                      name);
    _cleanup_free_ char *dir = NULL;
    _cleanup_close_ int vfd = -1;
    if (open_volumes(data_root, &vfd, &dir, err) < 0)
        return -1;
    _cleanup_close_ int lock = sp_lock_file(vfd, "volumes.lock", true, true, err);
    if (lock < 0)
        return -1;
    if (mkdirat(vfd, name, 0700) < 0)
        return errno == EEXIST ? sp_err(err, EEXIST, "volume '%s' already exists", name)
                               : sp_err(err, errno, "creating volume %s/%s", dir, name);
    _cleanup_free_ char *data = sp_xasprintf("%s/_data", name);
    char created[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    _cleanup_json_ json_t *rec = json_pack("{s:s}", "created", created);
    _cleanup_close_ int nfd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* _data appears only with its record, so a listed volume is complete. */
    if (nfd < 0 || mkdirat(vfd, data, 0755) < 0 ||
        sp_json_write_file(nfd, "volume.json", rec, true, err) < 0) {
        int e = errno;
        _cleanup_error_ sp_error *e2 = NULL;
        sp_rm_rf_at(vfd, name, &e2);
        return *err ? -1 : sp_err(err, e, "creating volume %s/%s", dir, name);
    }
    return read_volume(vfd, dir, name, out, err);
}

int sp_volume_get(const char *data_root, const char *name, json_t **out, sp_error **err)
{
    if (!name_ok(name))
        return sp_err(err, 0, "volume '%s': no such volume", name);
    _cleanup_free_ char *dir = NULL;
    _cleanup_close_ int vfd = -1;
    if (open_volumes(data_root, &vfd, &dir, err) < 0)
        return -1;
    return read_volume(vfd, dir, name, out, err);
}

int sp_volume_list(const char *data_root, json_t **out, sp_error **err)
{
    _cleanup_free_ char *dir = NULL;
    _cleanup_close_ int vfd = -1;
    if (open_volumes(data_root, &vfd, &dir, err) < 0)
        return -1;
    _cleanup_dir_ DIR *d = fdopendir(dup(vfd));
    if (!d)
        return sp_err(err, errno, "listing %s", dir);
    json_t *arr = json_array();
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!name_ok(de->d_name) || strcmp(de->d_name, "volumes.lock") == 0)
            continue;
        json_t *v = NULL;
        _cleanup_error_ sp_error *e = NULL;
        if (read_volume(vfd, dir, de->d_name, &v, &e) == 0) {
            json_object_set_new(v, "size", json_integer((json_int_t)sp_du_at(vfd, de->d_name)));
            json_array_append_new(arr, v);
        }
    }
    *out = arr;
    return 0;
}

int sp_volume_remove(const char *data_root, const char *name, sp_error **err)
{
    _cleanup_json_ json_t *v = NULL;
    if (sp_volume_get(data_root, name, &v, err) < 0)
        return -1;
    _cleanup_free_ char *dir = NULL;
    _cleanup_close_ int vfd = -1;
    if (open_volumes(data_root, &vfd, &dir, err) < 0)
        return -1;
    _cleanup_close_ int lock = sp_lock_file(vfd, "volumes.lock", true, true, err);
    if (lock < 0)
        return -1;
    /* The record first: a half-removed volume is no longer listed as usable. */
    _cleanup_free_ char *rel = sp_xasprintf("%s/volume.json", name);
    if (unlinkat(vfd, rel, 0) < 0 && errno != ENOENT)
        return sp_err(err, errno, "removing volume %s", name);
    if (sp_rm_rf_at(vfd, name, err) < 0)
        return sp_err_wrap(err, "removing volume %s", name);
    return 0;
}
