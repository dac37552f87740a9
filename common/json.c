/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON over jansson, with errors that name the file, line, column and path of
 * the offending value.  jansson only knows positions while parsing, so the
 * source text is kept and a small scanner finds a path's value afterwards.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- documents ---------------------------------------------------------- */

int sp_jdoc_load_buf(const char *buf, size_t len, const char *name, sp_jdoc **out,
                     sp_error **err)
{
    if (len > SP_JSON_MAX_SIZE)
        return sp_err(err, EFBIG, "%s: larger than %u bytes", name, SP_JSON_MAX_SIZE);
    json_error_t jerr;
    /* Duplicate keys are ambiguous in untrusted input: refuse them. */
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line > 0)
            return sp_err(err, 0, "%s:%d:%d: invalid JSON: %s", name, jerr.line, jerr.column,
                          jerr.text);
        return sp_err(err, 0, "%s: invalid JSON: %s", name, jerr.text);
    }
    sp_jdoc *doc = sp_xcalloc(1, sizeof(*doc));
    doc->name = sp_xstrdup(name);
    doc->text = sp_xmalloc(len + 1);
    memcpy(doc->text, buf, len);
    doc->text[len] = '\0';
    doc->len = len;
    doc->root = root;
    *out = doc;
    return 0;
}

int sp_jdoc_load_fd(int fd, const char *name, sp_jdoc **out, sp_error **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    _cleanup_free_ char *fdname = sp_xasprintf("/proc/self/fd/%d", fd);
    if (sp_read_file(AT_FDCWD, fdname, SP_JSON_MAX_SIZE, &buf, &len, err) < 0) {
        sp_error_free(err);
        return sp_err(err, errno ? errno : EIO, "reading %s", name);
    }
    return sp_jdoc_load_buf(buf, len, name, out, err);
}

int sp_jdoc_load_file(const char *path, const char *name, sp_jdoc **out, sp_error **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (sp_read_file(AT_FDCWD, path, SP_JSON_MAX_SIZE, &buf, &len, err) < 0)
        return -1;
    return sp_jdoc_load_buf(buf, len, name ? name : path, out, err);
}

void sp_jdoc_free(sp_jdoc *doc)
{
    if (!doc)
        return;
    json_decref(doc->root);
    free(doc->name);
    free(doc->text);
    free(doc);
}

void sp_jdoc_freep(sp_jdoc **doc)
{
    sp_jdoc_free(*doc);
    *doc = NULL;
}

/* ---- paths -------------------------------------------------------------- */

static bool key_needs_quotes(const char *key)
{
    if (!*key)
        return true;
    for (const char *p = key; *p; p++)
        if (*p == '.' || *p == '[' || *p == ']' || *p == '"')
            return true;
    return false;
}

char *sp_jpath_key(const char *parent, const char *key)
{
    bool root = !parent || !*parent;
    if (key_needs_quotes(key)) {
        /* ["key"] with " and \ escaped, so the locator can read it back. */
        size_t n = strlen(key);
        _cleanup_free_ char *q = sp_xmalloc(2 * n + 1);
        char *w = q;
        for (const char *p = key; *p; p++) {
            if (*p == '"' || *p == '\\')
                *w++ = '\\';
            *w++ = *p;
        }
        *w = '\0';
        return sp_xasprintf("%s[\"%s\"]", root ? "" : parent, q);
    }
    return root ? sp_xstrdup(key) : sp_xasprintf("%s.%s", parent, key);
}

char *sp_jpath_idx(const char *parent, size_t idx)
{
    return sp_xasprintf("%s[%zu]", parent ? parent : "", idx);
}

/* One step of a path: an object key or an array index. */
struct seg {
    char *key; /* NULL for an index */
    size_t idx;
};

static void segs_free(struct seg *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].key);
    free(s);
}

static int parse_path(const char *path, struct seg **out, size_t *nout)
{
    size_t cap = 8, n = 0;
    struct seg *s = sp_xcalloc(cap, sizeof(*s));
    const char *p = path;
    while (*p) {
        if (n == cap) {
            cap *= 2;
            s = sp_xrealloc(s, cap * sizeof(*s));
        }
        if (*p == '.') {
            p++;
            continue;
        }
        if (p[0] == '[' && p[1] == '"') {
            p += 2;
            size_t len = strlen(p);
            char *k = sp_xmalloc(len + 1), *w = k;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                *w++ = *p++;
            }
            *w = '\0';
            if (p[0] != '"' || p[1] != ']') {
                free(k);
                segs_free(s, n);
                return -1;
            }
            p += 2;
            s[n].key = k;
            s[n++].idx = 0;
        } else if (*p == '[') {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p + 1, &end, 10);
            if (errno || end == p + 1 || *end != ']') {
                segs_free(s, n);
                return -1;
            }
            s[n].key = NULL;
            s[n++].idx = (size_t)v;
            p = end + 1;
        } else {
            size_t len = strcspn(p, ".[");
            s[n].key = strndup(p, len);
            if (!s[n].key)
                abort();
            s[n++].idx = 0;
            p += len;
        }
    }
    *out = s;
    *nout = n;
    return 0;
}

/* ---- locator: a minimal JSON scanner ------------------------------------ */

struct scan {
    const char *t;
    size_t len, pos;
    int depth;
};

static void skip_ws(struct scan *sc)
{
    while (sc->pos < sc->len && strchr(" \t\r\n", sc->t[sc->pos]) && sc->t[sc->pos])
        sc->pos++;
}

/* Reads a string at pos (which must be '"'); decodes simple escapes into *out. */
static int scan_string(struct scan *sc, char **out)
{
    if (sc->pos >= sc->len || sc->t[sc->pos] != '"')
        return -1;
    sc->pos++;
    size_t start = sc->pos;
    char *buf = out ? sp_xmalloc(sc->len - start + 1) : NULL;
    size_t w = 0;
    while (sc->pos < sc->len && sc->t[sc->pos] != '"') {
        char c = sc->t[sc->pos];
        if (c == '\\' && sc->pos + 1 < sc->len) {
            sc->pos++;
            c = sc->t[sc->pos];
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u':
                /* Keys with \u escapes are rare; keep them verbatim. */
                if (buf) {
                    buf[w++] = '\\';
                    buf[w++] = 'u';
                }
                sc->pos++;
                continue;
            default: break;
            }
        }
        if (buf)
            buf[w++] = c;
        sc->pos++;
    }
    if (sc->pos >= sc->len) {
        free(buf);
        return -1;
    }
    sc->pos++; /* closing quote */
    if (buf) {
        buf[w] = '\0';
        *out = buf;
    }
    return 0;
}

/*
 * Scan one value.  If `segs` is non-empty, look for the path below it and set
 * *found to the offset of the target value.  Returns -1 on malformed text.
 */
static int scan_value(struct scan *sc, const struct seg *segs, size_t nsegs, long *found)
{
    if (++sc->depth > 512)
        return -1;
    skip_ws(sc);
    if (sc->pos >= sc->len)
        return -1;
    if (nsegs == 0 && *found < 0)
        *found = (long)sc->pos;
    char c = sc->t[sc->pos];
    int r = 0;
    if (c == '{') {
        sc->pos++;
        skip_ws(sc);
        if (sc->pos < sc->len && sc->t[sc->pos] == '}') {
            sc->pos++;
            goto out;
        }
        for (;;) {
            skip_ws(sc);
            _cleanup_free_ char *key = NULL;
            if (scan_string(sc, &key) < 0)
                return -1;
            skip_ws(sc);
            if (sc->pos >= sc->len || sc->t[sc->pos] != ':')
                return -1;
            sc->pos++;
            bool match = nsegs > 0 && segs[0].key && strcmp(segs[0].key, key) == 0;
            long dummy = 0; /* >= 0 means "not looking" */
            if (scan_value(sc, match ? segs + 1 : NULL, match ? nsegs - 1 : 0,
                           match ? found : &dummy) < 0)
                return -1;
            skip_ws(sc);
            if (sc->pos < sc->len && sc->t[sc->pos] == ',') {
                sc->pos++;
                continue;
            }
            if (sc->pos < sc->len && sc->t[sc->pos] == '}') {
                sc->pos++;
                break;
            }
            return -1;
        }
    } else if (c == '[') {
        sc->pos++;
        skip_ws(sc);
        if (sc->pos < sc->len && sc->t[sc->pos] == ']') {
            sc->pos++;
            goto out;
        }
        for (size_t i = 0;; i++) {
            bool match = nsegs > 0 && !segs[0].key && segs[0].idx == i;
            long dummy = 0;
            if (scan_value(sc, match ? segs + 1 : NULL, match ? nsegs - 1 : 0,
                           match ? found : &dummy) < 0)
                return -1;
            skip_ws(sc);
            if (sc->pos < sc->len && sc->t[sc->pos] == ',') {
                sc->pos++;
                continue;
            }
            if (sc->pos < sc->len && sc->t[sc->pos] == ']') {
                sc->pos++;
                break;
            }
            return -1;
        }
    } else if (c == '"') {
        r = scan_string(sc, NULL);
    } else {
        /* number, true, false, null */
        while (sc->pos < sc->len && !strchr(",]} \t\r\n", sc->t[sc->pos]))
            sc->pos++;
    }
out:
    sc->depth--;
    return r;
}

int sp_json_locate(const char *text, size_t len, const char *path, int *line, int *col)
{
    struct seg *segs = NULL;
    size_t nsegs = 0;
    if (parse_path(path ? path : "", &segs, &nsegs) < 0)
        return -1;
    struct scan sc = {.t = text, .len = len, .pos = 0};
    long found = -1;
    int r = scan_value(&sc, segs, nsegs, &found);
    segs_free(segs, nsegs);
    if (r < 0 || found < 0)
        return -1;
    int l = 1, c = 1;
    for (long i = 0; i < found; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
    return 0;
}

/* Drop the last segment of a path (for locating the nearest ancestor). */
static char *path_parent(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return NULL;
    if (path[n - 1] == ']') {
        /* [N] or ["key"]: find the matching '[' that is not inside quotes. */
        size_t i = n - 1;
        bool quoted = n >= 2 && path[n - 2] == '"';
        while (i > 0) {
            i--;
            if (path[i] == '[' && (!quoted || path[i + 1] == '"'))
                break;
        }
        return strndup(path, i);
    }
    const char *dot = strrchr(path, '.');
    const char *br = strrchr(path, ']');
    if (br && (!dot || br > dot))
        return strndup(path, (size_t)(br - path) + 1);
    if (!dot)
        return sp_xstrdup("");
    return strndup(path, (size_t)(dot - path));
}

int sp_jerr(const sp_jdoc *doc, sp_error **err, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *reason = NULL;
    if (vasprintf(&reason, fmt, ap) < 0)
        abort();
    va_end(ap);

    const char *shown = path && *path ? path : "(document)";
    int line = 0, col = 0;
    if (doc && doc->text) {
        _cleanup_free_ char *p = sp_xstrdup(path ? path : "");
        /* A missing key has no position of its own: point at its parent. */
        while (p) {
            if (sp_json_locate(doc->text, doc->len, p, &line, &col) == 0)
                break;
            char *up = *p ? path_parent(p) : NULL;
            free(p);
            p = up;
        }
    }
    if (line > 0)
        return sp_err(err, 0, "%s:%d:%d: %s: %s", doc->name, line, col, shown, reason);
    return sp_err(err, 0, "%s: %s: %s", doc && doc->name ? doc->name : "JSON", shown, reason);
}

/* ---- typed getters ------------------------------------------------------ */

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Common part: returns 1 with *val, 0 if absent and optional, -1 on error. */
static int get_member(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                      bool required, json_t **val, sp_error **err)
{
    if (!json_is_object(obj)) {
        return sp_jerr(doc, err, path, "expected an object, got %s",
                       obj ? type_name(obj) : "nothing");
    }
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) {
            _cleanup_free_ char *p = sp_jpath_key(path, key);
            return sp_jerr(doc, err, p, "required but missing");
        }
        return 0;
    }
    *val = v;
    return 1;
}

#define TYPED_GETTER_PRELUDE(expected, test)                                                        \
    json_t *v = NULL;                                                                              \
    int r = get_member(doc, obj, path, key, required, &v, err);                                    \
    if (r <= 0)                                                                                    \
        return r;                                                                                  \
    if (!(test)) {                                                                                 \
        _cleanup_free_ char *p = sp_jpath_key(path, key);                                          \
        return sp_jerr(doc, err, p, "expected " expected ", got %s", type_name(v));                \
    }

int sp_json_get_obj(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, json_t **out, sp_error **err)
{
    TYPED_GETTER_PRELUDE("an object", json_is_object(v));
    *out = v;
    return 1;
}

int sp_json_get_arr(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, json_t **out, sp_error **err)
{
    TYPED_GETTER_PRELUDE("an array", json_is_array(v));
    *out = v;
    return 1;
}

int sp_json_get_str(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, const char **out, sp_error **err)
{
    TYPED_GETTER_PRELUDE("a string", json_is_string(v));
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        _cleanup_free_ char *p = sp_jpath_key(path, key);
        return sp_jerr(doc, err, p, "string contains a NUL byte");
    }
    *out = json_string_value(v);
    return 1;
}

int sp_json_get_bool(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                     bool required, bool *out, sp_error **err)
{
    TYPED_GETTER_PRELUDE("a boolean", json_is_boolean(v));
    *out = json_is_true(v);
    return 1;
}

int sp_json_get_i64(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, int64_t *out, sp_error **err)
{
    TYPED_GETTER_PRELUDE("an integer", json_is_integer(v));
    *out = (int64_t)json_integer_value(v);
    return 1;
}

int sp_json_get_range(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                      bool required, int64_t min, int64_t max, int64_t *out, sp_error **err)
{
    int64_t val = 0;
    int r = sp_json_get_i64(doc, obj, path, key, required, &val, err);
    if (r <= 0)
        return r;
    if (val < min || val > max) {
        _cleanup_free_ char *p = sp_jpath_key(path, key);
        return sp_jerr(doc, err, p, "%lld is out of range [%lld, %lld]", (long long)val,
                       (long long)min, (long long)max);
    }
    *out = val;
    return 1;
}

int sp_json_get_strv(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                     bool required, char ***out, sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(doc, obj, path, key, required, &arr, err);
    if (r <= 0)
        return r;
    _cleanup_free_ char *apath = sp_jpath_key(path, key);
    size_t n = json_array_size(arr);
    char **v = sp_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
            sp_strv_free(v);
            _cleanup_free_ char *p = sp_jpath_idx(apath, i);
            return sp_jerr(doc, err, p, "expected a string, got %s",
                           json_is_string(e) ? "a string with a NUL byte" : type_name(e));
        }
        v[i] = sp_xstrdup(json_string_value(e));
    }
    *out = v;
    return 1;
}

int sp_json_check_keys(const sp_jdoc *doc, json_t *obj, const char *path,
                       const char *const *known, sp_error **err)
{
    if (!json_is_object(obj))
        return sp_jerr(doc, err, path, "expected an object, got %s", type_name(obj));
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            _cleanup_free_ char *p = sp_jpath_key(path, key);
            return sp_jerr(doc, err, p, "unknown field");
        }
    }
    return 0;
}

/* ---- output ------------------------------------------------------------- */

char *sp_json_dumps(json_t *j, bool pretty)
{
    char *s = json_dumps(j, pretty ? JSON_INDENT(2) | JSON_PRESERVE_ORDER
                                   : JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        abort();
    return s;
}

int sp_json_write_file(int dirfd, const char *name, json_t *j, bool pretty, sp_error **err)
{
    _cleanup_free_ char *s = sp_json_dumps(j, pretty);
    size_t len = strlen(s);
    _cleanup_free_ char *withnl = sp_xmalloc(len + 2);
    memcpy(withnl, s, len);
    withnl[len] = '\n';
    withnl[len + 1] = '\0';
    return sp_atomic_write(dirfd, name, withnl, len + 1, 0600, err);
}
