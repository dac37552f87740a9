/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The program's one error type, allocation helpers and cleanup functions. */
#include "common.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *sp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

void *sp_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p)
        abort();
    return p;
}

void *sp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

char *sp_xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

__attribute__((format(printf, 1, 0))) static char *vxasprintf(const char *fmt, va_list ap)
{
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        abort();
    return out;
}

char *sp_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vxasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void sp_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

size_t sp_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

__attribute__((format(printf, 4, 0))) static int set_error(sp_error **err, int status, int errnum,
                                                           const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    char *base = vxasprintf(fmt, ap);
    char *msg = base;
    if (errnum) {
        msg = sp_xasprintf("%s: %s", base, strerror(errnum));
        free(base);
    }
    if (*err)
        sp_error_free(err);
    sp_error *e = sp_xcalloc(1, sizeof(*e));
    e->errnum = errnum;
    e->status = status;
    e->msg = msg;
    *err = e;
    return -1;
}

int sp_err(sp_error **err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, SP_EXIT_SEPTA, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int sp_err_status(sp_error **err, int status, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, status, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int sp_err_wrap(sp_error **err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = vxasprintf(fmt, ap);
    va_end(ap);
    if (!*err) {
        /* Wrapping nothing is a programming error; keep the context at least. */
        sp_error *e = sp_xcalloc(1, sizeof(*e));
        e->status = SP_EXIT_SEPTA;
        e->msg = ctx;
        *err = e;
        return -1;
    }
    char *msg = sp_xasprintf("%s: %s", ctx, (*err)->msg);
    free(ctx);
    free((*err)->msg);
    (*err)->msg = msg;
    return -1;
}

void sp_error_free(sp_error **err)
{
    if (!err || !*err)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

int sp_error_status(const sp_error *err)
{
    if (!err || err->status <= 0)
        return SP_EXIT_SEPTA;
    return err->status;
}

void sp_freep(void *p)
{
    free(*(void **)p);
}

void sp_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
    }
}

void sp_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
    *d = NULL;
}

void sp_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
    *f = NULL;
}

void sp_json_decrefp(json_t **j)
{
    if (*j)
        json_decref(*j);
    *j = NULL;
}

void sp_errorp(sp_error **e)
{
    sp_error_free(e);
}

void sp_killpidp(pid_t *pid)
{
    if (*pid > 0) {
        int saved = errno;
        kill(*pid, SIGKILL);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
        errno = saved;
    }
    *pid = -1;
}

void sp_strvfreep(char ***v)
{
    sp_strv_free(*v);
    *v = NULL;
}
