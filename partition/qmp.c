/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU Machine Protocol, spoken by septa itself: one JSON object per line over
 * a unix socket.  Greeting, qmp_capabilities, then commands; asynchronous
 * events may arrive between a command and its reply and are skipped.
 */
#include "partition.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 30000

struct sp_qmp {
    int fd;
    char *path;
    char buf[65536];
    size_t len;
};

void sp_qmp_close(struct sp_qmp *q)
{
    if (!q)
        return;
    if (q->fd >= 0)
        close(q->fd);
    free(q->path);
    free(q);
}

static void qmp_closep(struct sp_qmp **q)
{
    sp_qmp_close(*q);
    *q = NULL;
}

/* Read one line (one message) and parse it. */
static int qmp_read(struct sp_qmp *q, sp_jdoc **out, sp_error **err)
{
    for (;;) {
        char *nl = memchr(q->buf, '\n', q->len);
        if (nl) {
            size_t n = (size_t)(nl - q->buf);
            int r = sp_jdoc_load_buf(q->buf, n, "QMP reply", out, err);
            memmove(q->buf, nl + 1, q->len - n - 1);
            q->len -= n + 1;
            return r;
        }
        if (q->len == sizeof(q->buf))
            return sp_err(err, 0, "QMP %s: message longer than %zu bytes", q->path, sizeof(q->buf));
        struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, QMP_TIMEOUT_MS);
        if (pr == 0)
            return sp_err(err, ETIMEDOUT, "QMP %s", q->path);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            return sp_err(err, errno, "QMP %s: poll", q->path);
        }
        ssize_t r = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return sp_err(err, errno, "QMP %s: read", q->path);
        if (r == 0)
            return sp_err(err, ECONNRESET, "QMP %s: QEMU closed the connection", q->path);
        q->len += (size_t)r;
    }
}

static int qmp_send(struct sp_qmp *q, json_t *msg, sp_error **err)
{
    _cleanup_free_ char *s = sp_json_dumps(msg, false);
    _cleanup_free_ char *line = sp_xasprintf("%s\n", s);
    size_t n = strlen(line), off = 0;
    while (off < n) {
        ssize_t w = send(q->fd, line + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return sp_err(err, errno, "QMP %s: write", q->path);
        off += (size_t)w;
    }
    return 0;
}

int sp_qmp_exec(struct sp_qmp *q, const char *cmd, json_t *args, json_t **ret, sp_error **err)
{
    _cleanup_json_ json_t *msg = json_pack("{s:s}", "execute", cmd);
    if (args)
        json_object_set(msg, "arguments", args);
    if (qmp_send(q, msg, err) < 0)
        return sp_err_wrap(err, "QMP %s", cmd);
    for (;;) {
        _cleanup_jdoc_ sp_jdoc *doc = NULL;
        if (qmp_read(q, &doc, err) < 0)
            return sp_err_wrap(err, "QMP %s", cmd);
        if (!json_is_object(doc->root) || json_object_get(doc->root, "event"))
            continue;
        json_t *e = json_object_get(doc->root, "error");
        if (e) {
            const char *desc = json_string_value(json_object_get(e, "desc"));
            return sp_err(err, 0, "QMP %s: %s", cmd, desc ? desc : "error");
        }
        json_t *r = json_object_get(doc->root, "return");
        if (!r)
            continue;
        if (ret)
            *ret = json_incref(r);
        return 0;
    }
}

int sp_qmp_open(const char *socket_path, struct sp_qmp **out, sp_error **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(sa.sun_path))
        return sp_err(err, ENAMETOOLONG, "QMP socket %s", socket_path);
    strcpy(sa.sun_path, socket_path);
    __attribute__((cleanup(qmp_closep))) struct sp_qmp *q = sp_xcalloc(1, sizeof(*q));
    q->path = sp_xstrdup(socket_path);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0)
        return sp_err(err, errno, "QMP socket");
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return sp_err(err, errno, "connecting to QMP %s", socket_path);
    _cleanup_jdoc_ sp_jdoc *greeting = NULL;
    if (qmp_read(q, &greeting, err) < 0)
        return sp_err_wrap(err, "QMP greeting");
    if (!json_is_object(greeting->root) || !json_object_get(greeting->root, "QMP"))
        return sp_err(err, 0, "QMP %s: no greeting", socket_path);
    if (sp_qmp_exec(q, "qmp_capabilities", NULL, NULL, err) < 0)
        return -1;
    *out = sp_steal_ptr(&q);
    return 0;
}
