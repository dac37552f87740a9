/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container-level cgroup verbs (pause, resume, update, stats, OOM):
 * reopen the container's cgroup from its state file and act on it.  Each
 * takes the container's lock, as the other verbs do, so a pause cannot race
 * a delete.
 */
#include "cgroup.h"
#include "linux.h"
#include "runtime.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* A container's cgroup plus its OCI status, under the container's lock. */
struct cg_ctx {
    int dirfd;
    int lock;
    struct sp_state *st;
    struct sp_cgroup *cg;
    const char *status;
};

static void ctx_done(struct cg_ctx *c)
{
    sp_cgroup_free(c->cg);
    sp_state_free(c->st);
    if (c->lock >= 0)
        close(c->lock);
    if (c->dirfd >= 0)
        close(c->dirfd);
}

static int ctx_open(const char *root, const char *id, bool lock, struct cg_ctx *c, sp_error **err)
{
    memset(c, 0, sizeof(*c));
    c->dirfd = c->lock = -1;
    c->dirfd = sp_state_open_dir(root, id, err);
    if (c->dirfd < 0)
        return -1;
    if (lock) {
        c->lock = sp_lock_file(c->dirfd, ".lock", true, true, err);
        if (c->lock < 0)
            return -1;
    }
    if (sp_state_read(c->dirfd, id, &c->st, err) < 0)
        return -1;
    c->status = sp_state_status(c->dirfd, c->st);
    if (!c->st->cgroup)
        return sp_err(err, ENOENT, "container %s has no cgroup", id);
    if (sp_cgroup_from_json(c->st->cgroup, &c->cg, err) < 0)
        return sp_err_wrap(err, "container %s", id);
    if (strcmp(c->status, "running") == 0) {
        bool frozen = false;
        _cleanup_error_ sp_error *e = NULL;
        if (sp_cgroup_is_frozen(c->cg, &frozen, &e) == 0 && frozen)
            c->status = "paused";
    }
    return 0;
}

int sp_container_pause(const char *root, const char *id, sp_error **err)
{
    struct cg_ctx c;
    int r = ctx_open(root, id, true, &c, err);
    if (r == 0 && strcmp(c.status, "running") != 0)
        r = sp_err(err, EINVAL, "container %s is %s, not running: cannot pause it", id, c.status);
    if (r == 0 && sp_cgroup_freeze(c.cg, err) < 0)
        r = sp_err_wrap(err, "pausing container %s", id);
    ctx_done(&c);
    return r;
}

int sp_container_resume(const char *root, const char *id, sp_error **err)
{
    struct cg_ctx c;
    int r = ctx_open(root, id, true, &c, err);
    if (r == 0 && strcmp(c.status, "paused") != 0)
        r = sp_err(err, EINVAL, "container %s is %s, not paused: cannot resume it", id, c.status);
    if (r == 0 && sp_cgroup_thaw(c.cg, err) < 0)
        r = sp_err_wrap(err, "resuming container %s", id);
    ctx_done(&c);
    return r;
}

int sp_container_update(const char *root, const char *id, const sp_jdoc *doc, json_t *resources,
                        const char *path, sp_error **err)
{
    _cleanup_cgres_ struct sp_cgroup_resources *res = NULL;
    if (sp_cgroup_resources_parse_update(doc, resources, path, &res, err) < 0)
        return -1;
    struct cg_ctx c;
    int r = ctx_open(root, id, true, &c, err);
    if (r == 0 && strcmp(c.status, "stopped") == 0)
        r = sp_err(err, EINVAL, "container %s is stopped: nothing to update", id);
    if (r == 0 && sp_cgroup_update(c.cg, res, err) < 0)
        r = sp_err_wrap(err, "container %s", id);
    ctx_done(&c);
    return r;
}

int sp_container_stats(const char *root, const char *id, json_t **out, const char **status,
                       sp_error **err)
{
    struct cg_ctx c;
    int r = ctx_open(root, id, false, &c, err);
    if (r == 0 && status)
        *status = strcmp(c.status, "paused") == 0    ? "paused"
                  : strcmp(c.status, "running") == 0 ? "running"
                  : strcmp(c.status, "created") == 0 ? "created"
                                                     : "stopped";
    if (r == 0 && sp_cgroup_stats(c.cg, out, err) < 0)
        r = sp_err_wrap(err, "container %s", id);
    ctx_done(&c);
    return r;
}

int sp_container_oom_kills(const char *root, const char *id, uint64_t *count, sp_error **err)
{
    struct cg_ctx c;
    int r = ctx_open(root, id, false, &c, err);
    if (r == 0 && sp_cgroup_oom_kills(c.cg, count, err) < 0)
        r = sp_err_wrap(err, "container %s", id);
    ctx_done(&c);
    return r;
}

int sp_container_oom_eventfd(const char *root, const char *id, sp_error **err)
{
    struct cg_ctx c;
    int r = ctx_open(root, id, false, &c, err);
    if (r == 0) {
        r = sp_cgroup_oom_eventfd(c.cg, err);
        if (r < 0)
            sp_err_wrap(err, "container %s", id);
    }
    ctx_done(&c);
    return r;
}
