/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One directory per container under the runtime root: state.json (written
 * atomically), config.json (the config as created, for exec), exec.fifo
 * (present while the container is "created").  The status is never trusted
 * from the file alone: it is derived from the recorded init pid *and* its
 * start time, so a recycled pid never makes a dead container look alive.
 */
#include "linux.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void sp_state_free(struct sp_state *s)
{
    if (!s)
        return;
    free(s->id);
    free(s->bundle);
    free(s->created);
    free(s->config_hash);
    json_decref(s->annotations);
    json_decref(s->cgroup);
    free(s);
}

void sp_state_freep(struct sp_state **s)
{
    sp_state_free(*s);
    *s = NULL;
}

int sp_id_check(const char *id, sp_error **err)
{
    if (!id || !*id)
        return sp_err(err, 0, "container ID is empty");
    if (strlen(id) > 1024)
        return sp_err(err, 0, "container ID is longer than 1024 characters");
    for (const char *p = id; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("_.+-", *p);
        if (!ok)
            return sp_err(err, 0,
                          "container ID '%s': invalid character '%c' (allowed: letters, "
                          "digits, _ . + -)",
                          id, *p);
    }
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return sp_err(err, 0, "container ID '%s' is not allowed", id);
    return 0;
}

int sp_state_open_dir(const char *root, const char *id, sp_error **err)
{
    if (sp_id_check(id, err) < 0)
        return -1;
    _cleanup_free_ char *path = sp_path_join(root, id);
    int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return sp_err(err, ENOENT, "container %s does not exist", id);
        return sp_err(err, errno, "opening %s", path);
    }
    return fd;
}

int sp_state_pidfd(const struct sp_state *s)
{
    if (s->pid <= 0) {
        errno = ESRCH;
        return -1;
    }
    /* Open first, then compare start times: the pidfd pins the process we checked. */
    int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
    if (fd < 0)
        return -1;
    if (sp_proc_start_time(s->pid) != s->start_time) {
        close(fd);
        errno = ESRCH;
        return -1;
    }
    return fd;
}

const char *sp_state_status(int dirfd, const struct sp_state *s)
{
    if (s->pid <= 0)
        return "creating";
    if (sp_proc_start_time(s->pid) != s->start_time)
        return "stopped";
    struct stat st;
    if (!s->started && fstatat(dirfd, "exec.fifo", &st, AT_SYMLINK_NOFOLLOW) == 0)
        return "created";
    return "running";
}

json_t *sp_state_to_oci(const struct sp_state *s, const char *status)
{
    bool alive = strcmp(status, "stopped") != 0 && strcmp(status, "creating") != 0;
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", SP_OCI_VERSION, "id", s->id, "status",
                  status, "pid", alive ? (int)s->pid : 0, "bundle", s->bundle ? s->bundle : "");
    json_object_set_new(j, "annotations",
                        s->annotations ? json_incref(s->annotations) : json_object());
    if (s->created)
        json_object_set_new(j, "created", json_string(s->created));
    return j;
}

int sp_state_write(int dirfd, const struct sp_state *s, const char *status, sp_error **err)
{
    _cleanup_json_ json_t *j = sp_state_to_oci(s, status);
    /* The oci fields plus what septa needs to act on the container later. */
    json_object_set_new(j, "pid", json_integer(s->pid));
    json_t *priv =
        json_pack("{s:I, s:b}", "startTime", (json_int_t)s->start_time, "started", s->started);
    if (s->cgroup)
        json_object_set(priv, "cgroup", s->cgroup);
    json_object_set_new(j, "septa", priv);
    _cleanup_free_ char *text = sp_json_dumps(j, false);
    return sp_atomic_replace(dirfd, "state.json", text, strlen(text), 0600, err);
}

int sp_state_read(int dirfd, const char *id, struct sp_state **out, sp_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (sp_read_file(dirfd, "state.json", 1 << 20, &text, &len, err) < 0)
        return sp_err_wrap(err, "container %s: reading its state", id);
    sp_jdoc *docp = NULL;
    if (sp_jdoc_load_buf(text, len, "state.json", &docp, err) < 0)
        return sp_err_wrap(err, "container %s", id);
    _cleanup_jdoc_ sp_jdoc *doc = docp;
    _cleanup_state_ struct sp_state *s = sp_xcalloc(1, sizeof(*s));
    const char *sid = NULL, *bundle = NULL, *created = NULL;
    int64_t pid = 0, st = 0;
    json_t *priv = NULL, *ann = NULL, *cg = NULL;
    bool started = false;
    if (sp_json_get_str(doc, doc->root, "", "id", true, &sid, err) < 0 ||
        sp_json_get_str(doc, doc->root, "", "bundle", false, &bundle, err) < 0 ||
        sp_json_get_str(doc, doc->root, "", "created", false, &created, err) < 0 ||
        sp_json_get_range(doc, doc->root, "", "pid", true, 0, INT32_MAX, &pid, err) < 0 ||
        sp_json_get_obj(doc, doc->root, "", "annotations", false, &ann, err) < 0 ||
        sp_json_get_obj(doc, doc->root, "", "septa", true, &priv, err) < 0 ||
        sp_json_get_i64(doc, priv, "septa", "startTime", true, &st, err) < 0 ||
        sp_json_get_bool(doc, priv, "septa", "started", false, &started, err) < 0 ||
        sp_json_get_obj(doc, priv, "septa", "cgroup", false, &cg, err) < 0)
        return sp_err_wrap(err, "container %s: corrupt state", id);
    s->id = sp_xstrdup(sid);
    s->bundle = bundle ? sp_xstrdup(bundle) : NULL;
    s->created = created ? sp_xstrdup(created) : NULL;
    s->pid = (pid_t)pid;
    s->start_time = (uint64_t)st;
    s->started = started;
    s->annotations = ann ? json_incref(ann) : NULL;
    s->cgroup = cg ? json_incref(cg) : NULL;
    *out = sp_steal_ptr(&s);
    return 0;
}
