/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OCI hooks: parse hooks.*, and run one kind of hook in order, each with the
 * container's state JSON on stdin, its output captured for the error message,
 * and a timeout after which it is killed.  Which process runs which kind is
 * the caller's business (see security.h).
 */
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Hook output kept for the error message: the tail is what explains a failure. */
#define SP_HOOK_OUTPUT_MAX 2048

static const char *const kind_names[SP_HOOK_NKINDS] = {
    [SP_HOOK_PRESTART] = "prestart",
    [SP_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SP_HOOK_CREATE_CONTAINER] = "createContainer",
    [SP_HOOK_START_CONTAINER] = "startContainer",
    [SP_HOOK_POSTSTART] = "poststart",
    [SP_HOOK_POSTSTOP] = "poststop",
};

const char *sp_hook_kind_name(enum sp_hook_kind k)
{
    return k < SP_HOOK_NKINDS ? kind_names[k] : "?";
}

void sp_hooks_free(struct sp_hooks *h)
{
    if (!h)
        return;
    for (int k = 0; k < SP_HOOK_NKINDS; k++) {
        for (size_t i = 0; i < h->n[k]; i++) {
            free(h->v[k][i].path);
            sp_strv_free(h->v[k][i].args);
            sp_strv_free(h->v[k][i].env);
        }
        free(h->v[k]);
    }
    free(h);
}

static void hooks_freep(struct sp_hooks **h)
{
    sp_hooks_free(*h);
}

static int parse_hook(const sp_jdoc *doc, json_t *v, const char *ip, struct sp_hook *h,
                      sp_error **err)
{
    if (!json_is_object(v))
        return sp_jerr(doc, err, ip, "expected an object");
    const char *path = NULL;
    if (sp_json_get_str(doc, v, ip, "path", true, &path, err) < 0)
        return -1;
    if (path[0] != '/') {
        _cleanup_free_ char *pp = sp_jpath_key(ip, "path");
        return sp_jerr(doc, err, pp, "must be an absolute path, got '%s'", path);
    }
    h->path = sp_xstrdup(path);
    if (sp_json_get_strv(doc, v, ip, "args", false, &h->args, err) < 0 ||
        sp_json_get_strv(doc, v, ip, "env", false, &h->env, err) < 0)
        return -1;
    for (size_t i = 0; h->env && h->env[i]; i++)
        if (!strchr(h->env[i], '=')) {
            _cleanup_free_ char *ep = sp_jpath_key(ip, "env");
            _cleanup_free_ char *eip = sp_jpath_idx(ep, i);
            return sp_jerr(doc, err, eip, "expected KEY=VALUE, got '%s'", h->env[i]);
        }
    int64_t t = 0;
    int r = sp_json_get_i64(doc, v, ip, "timeout", false, &t, err);
    if (r < 0)
        return -1;
    if (r > 0 && (t <= 0 || t > 24 * 3600)) {
        _cleanup_free_ char *tp = sp_jpath_key(ip, "timeout");
        return sp_jerr(doc, err, tp, "must be between 1 and 86400 seconds, got %lld", (long long)t);
    }
    h->timeout_s = t;
    return 0;
}

int sp_hooks_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_hooks **out,
                   sp_error **err)
{
    __attribute__((cleanup(hooks_freep))) struct sp_hooks *h = sp_xcalloc(1, sizeof(*h));
    if (obj && !json_is_object(obj))
        return sp_jerr(doc, err, path, "expected an object");
    for (int k = 0; obj && k < SP_HOOK_NKINDS; k++) {
        json_t *arr = NULL;
        int r = sp_json_get_arr(doc, obj, path, kind_names[k], false, &arr, err);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        _cleanup_free_ char *kp = sp_jpath_key(path, kind_names[k]);
        h->v[k] = sp_xcalloc(json_array_size(arr) + 1, sizeof(struct sp_hook));
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
            _cleanup_free_ char *ip = sp_jpath_idx(kp, i);
            h->n[k]++; /* counted first: a half-parsed hook is still freed */
            if (parse_hook(doc, v, ip, &h->v[k][i], err) < 0)
                return -1;
        }
    }
    *out = sp_steal_ptr(&h);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* run                                                                       */
/* ------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The state as a sealed-size memfd: stdin that never blocks and never SIGPIPEs. */
static int state_memfd(const char *state, sp_error **err)
{
    _cleanup_close_ int fd = memfd_create("septa-hook-state", MFD_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "memfd_create for the hook's stdin");
    size_t len = strlen(state);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, state + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return sp_err(err, errno, "writing the state for the hook's stdin");
        }
        off += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) < 0)
        return sp_err(err, errno, "rewinding the hook's stdin");
    return sp_steal_fd(&fd);
}

struct output {
    char buf[SP_HOOK_OUTPUT_MAX + 1];
    size_t len;
};

static bool drain(int fd, struct output *o)
{
    char tmp[1024];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    size_t k = (size_t)n;
    _Static_assert(sizeof(tmp) <= SP_HOOK_OUTPUT_MAX, "one read fits in the tail buffer");
    if (o->len + k > SP_HOOK_OUTPUT_MAX) {
        size_t drop = o->len + k - SP_HOOK_OUTPUT_MAX;
        memmove(o->buf, o->buf + drop, o->len - drop);
        o->len -= drop;
    }
    memcpy(o->buf + o->len, tmp, k);
    o->len += k;
    o->buf[o->len] = '\0';
    return true;
}

/* ": output" with control characters folded to spaces, so the error stays one line. */
static char *output_suffix(struct output *o)
{
    for (size_t i = 0; i < o->len; i++)
        if ((unsigned char)o->buf[i] < 0x20 || o->buf[i] == 0x7f)
            o->buf[i] = ' ';
    while (o->len && o->buf[o->len - 1] == ' ')
        o->buf[--o->len] = '\0';
    if (!o->len)
        return sp_xstrdup("");
    return sp_xasprintf(": %s", o->buf);
}

static int spawn_hook(const struct sp_hook *h, int in, int out, pid_t *pid, sp_error **err)
{
    char *default_argv[] = {h->path, NULL};
    char *empty_env[] = {NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, out, 2);
    /* Nothing of septa's (state dirs, sockets, the pty) reaches the hook. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* The caller may block every signal (the foreground run loop); the hook must not. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int r = posix_spawn(pid, h->path, &fa, &at, h->args ? h->args : default_argv,
                        h->env ? h->env : empty_env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (r != 0)
        return sp_err(err, r, "starting it");
    return 0;
}

/* Wait for the hook, collecting output; 1 = exited (status in *ws), 0 = timed out. */
static int wait_hook(pid_t pid, int out, int64_t timeout_s, int *ws, struct output *o,
                     sp_error **err)
{
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return sp_err(err, errno, "pidfd_open");
    int64_t deadline = timeout_s > 0 ? now_ms() + timeout_s * 1000 : -1;
    bool out_open = true;
    for (;;) {
        int wait_ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return 0;
            wait_ms = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
                              {.fd = out_open ? out : -1, .events = POLLIN}};
        int n = poll(p, 2, wait_ms);
        if (n < 0 && errno != EINTR)
            return sp_err(err, errno, "waiting");
        if (n > 0 && p[1].revents)
            out_open = drain(out, o);
        if (n > 0 && (p[0].revents & POLLIN)) {
            /* Exited: what it wrote before exiting is still in the pipe. */
            while (out_open && drain(out, o)) {
                struct pollfd q = {.fd = out, .events = POLLIN};
                if (poll(&q, 1, 0) <= 0)
                    break;
            }
            if (waitpid(pid, ws, 0) < 0)
                return sp_err(err, errno, "reaping it");
            return 1;
        }
    }
}

static int run_one(const struct sp_hook *h, int in, struct output *o, sp_error **err)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
        return sp_err(err, errno, "pipe for its output");
    _cleanup_close_ int rd = pfd[0], wr = pfd[1];
    _cleanup_pid_ pid_t pid = 0;
    if (lseek(in, 0, SEEK_SET) < 0)
        return sp_err(err, errno, "rewinding its stdin");
    if (spawn_hook(h, in, wr, &pid, err) < 0)
        return -1;
    close(sp_steal_fd(&wr));
    int ws = 0;
    int r = wait_hook(pid, rd, h->timeout_s, &ws, o, err);
    if (r < 0)
        return -1;
    if (r == 0) {
        /* _cleanup_pid_ kills and reaps it on the way out. */
        return sp_err(err, 0, "timed out after %llds", (long long)h->timeout_s);
    }
    pid = 0;
    _cleanup_free_ char *tail = output_suffix(o);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return 0;
    if (WIFEXITED(ws))
        return sp_err(err, 0, "exited with status %d%s", WEXITSTATUS(ws), tail);
    return sp_err(err, 0, "killed by signal %d (%s)%s", WTERMSIG(ws), strsignal(WTERMSIG(ws)),
                  tail);
}

int sp_hooks_run(const struct sp_hooks *hooks, enum sp_hook_kind kind, const char *state_json,
                 sp_error **err)
{
    if (!hooks || kind >= SP_HOOK_NKINDS || hooks->n[kind] == 0)
        return 0;
    _cleanup_close_ int in = state_memfd(state_json ? state_json : "{}", err);
    if (in < 0)
        return sp_err_wrap(err, "hook %s", kind_names[kind]);
    for (size_t i = 0; i < hooks->n[kind]; i++) {
        const struct sp_hook *h = &hooks->v[kind][i];
        struct output o = {.len = 0};
        if (run_one(h, in, &o, err) < 0)
            return sp_err_wrap(err, "hook %s[%zu] %s", kind_names[kind], i, h->path);
    }
    return 0;
}
