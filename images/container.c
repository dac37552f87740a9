/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Preparing a container from an image: its root filesystem, OCI config and
 * people-facing record (name, image) in one bundle directory,
 * <data_root>/storage/containers/ID, which is also what gc looks at.
 */
#include "internal.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void monitor_annotate(json_t *rec);

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
    json_array_foreach(roots, i, r)
    {
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
        monitor_annotate(c);
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
    json_array_foreach(list, i, c)
    {
        const char *cid = json_string_value(json_object_get(c, "id"));
        const char *name = json_string_value(json_object_get(c, "name"));
        if (name && strcmp(name, ref) == 0) {
            *id = sp_xstrdup(cid);
            return 0;
        }
    }
    size_t n = strlen(ref);
    json_array_foreach(list, i, c)
    {
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

/*
 * The records of a --rm container do not outlive it (and a power loss ends
 * it too; gc removes what is left): atomic, but without the fsyncs that cost
 * milliseconds each on a loaded disk.  Other records are synced.
 */
static int write_record(int dfd, const char *name, json_t *j, bool volatile_root, sp_error **err)
{
    if (!volatile_root)
        return sp_json_write_file(dfd, name, j, true, err);
    _cleanup_free_ char *text = sp_json_dumps(j, true);
    return sp_atomic_replace(dfd, name, text, strlen(text), 0600, err);
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
    /* Check-then-create of a name is atomic under this lock (two `run
     * --name X` at once: one wins, the other gets "in use"). */
    _cleanup_free_ char *lockpath = sp_xasprintf("%s/storage/names.lock", data_root);
    _cleanup_close_ int namelock = -1;
    if (name && (namelock = sp_lock_file(AT_FDCWD, lockpath, true, true, err)) < 0)
        return -1;
    if (name) {
        if (!sp_storage_id_valid(name))
            return sp_err(err, EINVAL,
                          "invalid container name '%s' (letters, digits, '_', '.', "
                          "'-')",
                          name);
        _cleanup_json_ json_t *list = NULL;
        if (sp_image_container_list(data_root, &list, err) < 0)
            return -1;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
            if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
                return sp_err(err, EEXIST, "the name '%s' is already in use by container %.12s",
                              name, json_string_value(json_object_get(c, "id")));
        }
    }
    _cleanup_json_ json_t *cfg = NULL;
    if (read_config(data_root, img, &cfg, err) < 0)
        return -1;
    _cleanup_free_ char *rootfs = NULL;
    unsigned flags =
        (o->read_only ? SP_ROOTFS_READ_ONLY : 0) | (o->volatile_root ? SP_ROOTFS_VOLATILE : 0);
    if (sp_image_mount_flags(data_root, ref, id, flags, "container", &rootfs, NULL, err) < 0)
        return -1;
    _cleanup_json_ json_t *spec = NULL;
    _cleanup_free_ char *dir = sp_xasprintf("%s/storage/containers/%s", data_root, id);
    int rc = sp_image_runtime_config(cfg, rootfs, o, &spec, err);
    _cleanup_close_ int dfd = rc == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == 0 && dfd < 0)
        rc = sp_err(err, errno, "opening %s", dir);
    if (rc == 0)
        rc = write_record(dfd, "config.json", spec, o->volatile_root, err);
    if (rc == 0) {
        char created[64];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_t *names = json_object_get(img, "names");
        const char *iname =
            json_array_size(names) ? json_string_value(json_array_get(names, 0)) : ref;
        _cleanup_json_ json_t *rec =
            json_pack("{s:s, s:s, s:s, s:O, s:s, s:O}", "id", id, "name", name ? name : id, "image",
                      iname, "digest", json_object_get(img, "digest"), "created", created,
                      "command", json_object_get(json_object_get(spec, "process"), "args"));
        rc = write_record(dfd, "container.json", rec, o->volatile_root, err);
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

/* ---- monitor records (detached containers) ---- */

static bool monitor_alive(json_t *rec)
{
    json_int_t pid = json_integer_value(json_object_get(rec, "monitor_pid"));
    json_int_t start = json_integer_value(json_object_get(rec, "monitor_start"));
    if (pid <= 0)
        return false;
    /* The start time tells our monitor from a recycled pid. */
    return sp_proc_start_time((pid_t)pid) == (uint64_t)start;
}

/* "monitor": none (foreground run), running, exited or gone (died while its
 * container may still run: ps shows "running (monitor gone)"). */
static void monitor_annotate(json_t *rec)
{
    const char *ms = json_string_value(json_object_get(rec, "monitor_state"));
    const char *m = "none";
    if (ms && strcmp(ms, "exited") == 0)
        m = "exited";
    else if (ms)
        m = monitor_alive(rec) ? "running" : "gone";
    json_object_set_new(rec, "monitor", json_string(m));
}

int sp_image_container_get(const char *data_root, const char *id, json_t **out, sp_error **err)
{
    _cleanup_free_ char *path =
        sp_xasprintf("%s/storage/containers/%s/container.json", data_root, id);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_read_file(AT_FDCWD, path, 1u << 20, &text, &len, err) < 0)
        return -1;
    json_t *rec = json_loadb(text, len, 0, NULL);
    if (!json_is_object(rec)) {
        json_decref(rec);
        return sp_err(err, 0, "%s: corrupt record", path);
    }
    monitor_annotate(rec);
    *out = rec;
    return 0;
}

int sp_image_container_update(const char *data_root, const char *id, json_t *fields, sp_error **err)
{
    _cleanup_free_ char *dir = sp_xasprintf("%s/storage/containers/%s", data_root, id);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return sp_err(err, errno, "opening %s", dir);
    /* run, start and the monitor all rewrite the record: one at a time. */
    _cleanup_close_ int lk = sp_lock_file(dfd, "record.lock", true, true, err);
    if (lk < 0)
        return -1;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_read_file(dfd, "container.json", 1u << 20, &text, &len, err) < 0)
        return -1;
    _cleanup_json_ json_t *rec = json_loadb(text, len, 0, NULL);
    if (!json_is_object(rec))
        return sp_err(err, 0, "%s/container.json: corrupt record", dir);
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v)
    {
        if (json_is_null(v))
            json_object_del(rec, k);
        else
            json_object_set(rec, k, v);
    }
    return sp_json_write_file(dfd, "container.json", rec, true, err);
}

int sp_image_container_monitor_stop(const char *data_root, const char *id, sp_error **err)
{
    _cleanup_json_ json_t *rec = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_image_container_get(data_root, id, &rec, &e) < 0 || !monitor_alive(rec))
        return 0;
    pid_t pid = (pid_t)json_integer_value(json_object_get(rec, "monitor_pid"));
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* Checked again through the pidfd: it cannot be a recycled pid now. */
    if (pidfd < 0 || !monitor_alive(rec))
        return 0;
    if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
        return sp_err(err, errno, "stopping the monitor (pid %d) of %.12s", (int)pid, id);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    if (poll(&p, 1, 5000) <= 0)
        return sp_err(err, ETIMEDOUT, "the monitor (pid %d) of %.12s does not exit", (int)pid, id);
    return 0;
}

int sp_restart_policy_parse(const char *s, int *limit, bool *on_failure, sp_error **err)
{
    int64_t n = 0;
    *on_failure = false;
    *limit = -1;
    if (strcmp(s, "no") == 0)
        return 0;
    if (strcmp(s, "always") == 0) {
        *limit = 0;
        return 0;
    }
    if (strncmp(s, "on-failure", 10) == 0 && (s[10] == '\0' || s[10] == ':')) {
        _cleanup_error_ sp_error *e = NULL;
        if (s[10] == ':' && sp_parse_i64(s + 11, 0, 1000000, &n, &e) < 0)
            return sp_err(err, EINVAL, "restart policy '%s': the count %s", s, e->msg);
        *on_failure = true;
        *limit = (int)n;
        return 0;
    }
    return sp_err(err, EINVAL, "restart policy '%s': expected no, always or on-failure[:N]", s);
}

int sp_image_container_mark_stopped(const char *data_root, const char *id, sp_error **err)
{
    /* A foreground container has no monitor to tell, and needs no mark. */
    _cleanup_json_ json_t *rec = NULL;
    if (sp_image_container_get(data_root, id, &rec, err) < 0)
        return -1;
    if (!json_object_get(rec, "monitor_state"))
        return 0;
    _cleanup_json_ json_t *f = json_pack("{s:b}", "stop_requested", true);
    return sp_image_container_update(data_root, id, f, err);
}
