/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `pull`: the OCI distribution API over libcurl.  Manifests are fetched into
 * memory and verified against the digest they were asked by (or stored under
 * their own); blobs stream straight into the store through a blob writer
 * that hashes as it writes, so a blob that does not match its descriptor is
 * never stored.  Blobs download in parallel (libcurl multi, PARALLEL at a
 * time) and a failed transfer resumes with a Range request, within one
 * pull and across pulls: an unfinished download stays in the store's
 * partial/ (named by its digest) and the next pull re-hashes it and asks
 * only for the rest.  Auth:
 * anonymous, Bearer tokens from the WWW-Authenticate challenge, and basic
 * credentials from a docker/podman auth file.
 */
#include "internal.h"
#include "storage.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define ACCEPT_MANIFESTS                                                                           \
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "        \
    "application/vnd.docker.distribution.manifest.list.v2+json, "                                  \
    "application/vnd.docker.distribution.manifest.v2+json"
#define MANIFEST_MAX (4u << 20)

struct reg {
    CURL *curl;
    const struct sp_pull_opts *o;
    char *host;      /* "127.0.0.1:5000", "registry-1.docker.io" */
    char *repo;      /* "library/busybox" */
    char *scheme;    /* "https" or, with tls_verify off and no TLS there, "http" */
    char *token;     /* Bearer token once obtained */
    char *basic;     /* "user:pass" from the auth file, or NULL */
    bool basic_used; /* the registry asked for them: blobs send them too */
    char *www_auth;  /* last WWW-Authenticate header */
    char *ctype;     /* last Content-Type header */
};

/* ---- references ---------------------------------------------------------- */

/* "[host/]repo[:tag][@digest]" -> parts; docker.io names get library/ as docker does. */
static int parse_ref(const char *ref, char **host, char **repo, char **tag, char **digest,
                     sp_error **err)
{
    _cleanup_free_ char *s = sp_xstrdup(ref);
    char *at = strchr(s, '@');
    *digest = NULL;
    if (at) {
        *at++ = '\0';
        if (!sp_oci_digest_valid(at))
            return sp_err(err, EINVAL, "reference '%s': '%s' is not a sha256 digest", ref, at);
        *digest = sp_xstrdup(at);
    }
    char *slash = strchr(s, '/');
    bool has_host =
        slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':', (size_t)(slash - s)) ||
                  strncmp(s, "localhost/", 10) == 0);
    const char *path = has_host ? slash + 1 : s;
    if (has_host)
        *slash = '\0';
    const char *h = has_host ? s : "docker.io";
    char *last = strrchr(path, '/');
    char *colon = strchr(last ? last : path, ':');
    *tag = NULL;
    if (colon) {
        *colon++ = '\0';
        *tag = sp_xstrdup(colon);
    } else if (!*digest) {
        *tag = sp_xstrdup("latest");
    }
    if (!*path)
        return sp_err(err, EINVAL, "reference '%s': no repository", ref);
    for (const char *c = path; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || strchr("._-/", *c)))
            return sp_err(err, EINVAL, "reference '%s': invalid repository name '%s'", ref, path);
    bool hub = strcmp(h, "docker.io") == 0;
    *host = sp_xstrdup(hub ? "registry-1.docker.io" : h);
    *repo = hub && !strchr(path, '/') ? sp_xasprintf("library/%s", path) : sp_xstrdup(path);
    return 0;
}

/* ---- credentials ----------------------------------------------------------- */

/* {"auths": {"HOST": {"auth": base64("user:pass")}}}, as docker and podman write. */
static int load_basic(const char *authfile, const char *host, char **out, sp_error **err)
{
    *out = NULL;
    if (!authfile)
        return 0;
    _cleanup_jdoc_ sp_jdoc *d = NULL;
    if (sp_jdoc_load_file(authfile, authfile, &d, err) < 0)
        return -1;
    json_t *auths = NULL, *ent = NULL;
    if (sp_json_get_obj(d, d->root, "", "auths", true, &auths, err) < 0)
        return -1;
    ent = json_object_get(auths, host);
    if (!ent && strcmp(host, "registry-1.docker.io") == 0)
        ent = json_object_get(auths, "docker.io");
    if (!json_is_object(ent))
        return 0;
    const char *b64 = json_string_value(json_object_get(ent, "auth"));
    if (!b64)
        return 0;
    size_t n = strlen(b64);
    unsigned char *dec = sp_xmalloc(n + 4);
    int len = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
    if (len < 0) {
        free(dec);
        return sp_err(err, EINVAL, "%s: auths.%s.auth: not base64", authfile, host);
    }
    while (len > 0 && dec[len - 1] == '\0') /* padding decodes to NULs */
        len--;
    dec[len] = '\0';
    if (!strchr((char *)dec, ':')) {
        free(dec);
        return sp_err(err, EINVAL, "%s: auths.%s.auth: expected user:password", authfile, host);
    }
    *out = (char *)dec;
    return 0;
}

/* ---- HTTP ----------------------------------------------------------------- */

/* Small answers (manifests, tokens) in memory; blobs have their own path below. */
struct sink {
    char *buf;
    size_t len, cap, max;
    sp_error *err;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct sink *k = data;
    size_t n = size * nmemb;
    if (k->len + n > k->max) {
        sp_err(&k->err, EFBIG, "response larger than %zu bytes", k->max);
        return 0;
    }
    if (k->len + n + 1 > k->cap) {
        k->cap = (k->len + n + 1) * 2;
        k->buf = sp_xrealloc(k->buf, k->cap);
    }
    memcpy(k->buf + k->len, ptr, n);
    k->len += n;
    k->buf[k->len] = '\0';
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct reg *r = data;
    size_t n = size * nmemb;
    static const struct {
        const char *name;
        size_t off;
    } want[] = {
        {"www-authenticate:", offsetof(struct reg, www_auth)},
        {"content-type:", offsetof(struct reg, ctype)},
    };
    for (size_t i = 0; i < SP_ARRAY_SIZE(want); i++) {
        size_t l = strlen(want[i].name);
        if (n > l && strncasecmp(ptr, want[i].name, l) == 0) {
            const char *v = ptr + l;
            size_t vl = n - l;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
                vl--;
            char **slot = (char **)((char *)r + want[i].off);
            free(*slot);
            *slot = strndup(v, vl);
        }
    }
    return n;
}

/* One GET; *code gets the HTTP status.  Transport failures are errors. */
static int get_once(struct reg *r, const char *url, const char *accept, bool use_basic,
                    struct sink *k, long *code, sp_error **err)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled transfer (under 1 byte/s for 60 s) is a failure, not a hang. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "septa");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (!r->o->tls_verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    struct curl_slist *h = NULL;
    _cleanup_free_ char *bearer =
        r->token ? sp_xasprintf("Authorization: Bearer %s", r->token) : NULL;
    _cleanup_free_ char *acc = accept ? sp_xasprintf("Accept: %s", accept) : NULL;
    if (bearer)
        h = curl_slist_append(h, bearer);
    if (acc)
        h = curl_slist_append(h, acc);
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (use_basic && r->basic) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->basic);
    }
    free(r->www_auth);
    r->www_auth = NULL;
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (k->err) {
        *err = sp_steal_ptr(&k->err);
        return -1;
    }
    if (rc != CURLE_OK)
        return sp_err(err, 0, "GET %s: %s", url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    return 0;
}

/* Value of KEY="..." in a challenge. */
static char *challenge_param(const char *ch, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = ch; (p = strstr(p, key)); p += kl) {
        if ((p == ch || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=' && p[kl + 1] == '"') {
            const char *v = p + kl + 2, *e = strchr(v, '"');
            return e ? strndup(v, (size_t)(e - v)) : NULL;
        }
    }
    return NULL;
}

/* Answer a Bearer challenge: GET the realm for a token (with basic creds if any). */
static int fetch_token(struct reg *r, sp_error **err)
{
    const char *ch = r->www_auth;
    _cleanup_free_ char *realm = challenge_param(ch, "realm");
    _cleanup_free_ char *service = challenge_param(ch, "service");
    _cleanup_free_ char *scope = challenge_param(ch, "scope");
    if (!realm)
        return sp_err(err, 0, "%s: Bearer challenge without a realm", r->host);
    if (!scope)
        scope = sp_xasprintf("repository:%s:pull", r->repo);
    char *es = curl_easy_escape(r->curl, service ? service : "", 0);
    char *esc = curl_easy_escape(r->curl, scope, 0);
    _cleanup_free_ char *url =
        sp_xasprintf("%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", es, esc);
    curl_free(es);
    curl_free(esc);
    struct sink k = {.max = 1u << 20};
    long code = 0;
    _cleanup_free_ char *saved = r->token;
    r->token = NULL;
    int rc = get_once(r, url, "application/json", true, &k, &code, err);
    _cleanup_free_ char *body = k.buf;
    if (rc < 0)
        return sp_err_wrap(err, "getting a token from %s", realm);
    if (code != 200)
        return sp_err(err, EACCES, "getting a token from %s: HTTP %ld", realm, code);
    _cleanup_json_ json_t *j = json_loadb(body ? body : "", k.len, 0, NULL);
    const char *t = json_string_value(json_object_get(j, "token"));
    if (!t)
        t = json_string_value(json_object_get(j, "access_token"));
    if (!t)
        return sp_err(err, 0, "getting a token from %s: no token in the answer", realm);
    r->token = sp_xstrdup(t);
    return 0;
}

/*
 * GET with auth: on 401 answer the challenge once (Bearer: token; Basic: the
 * auth file's credentials) and retry.
 */
static int get(struct reg *r, const char *path, const char *accept, struct sink *k, long *code,
               sp_error **err)
{
    _cleanup_free_ char *url = sp_xasprintf("%s://%s%s", r->scheme, r->host, path);
    bool basic = r->basic_used; /* once asked for, sent up front */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (get_once(r, url, accept, basic, k, code, err) < 0)
            return -1;
        if (*code != 401 || attempt == 1)
            return 0;
        if (r->www_auth && strncasecmp(r->www_auth, "Bearer", 6) == 0) {
            if (fetch_token(r, err) < 0)
                return -1;
        } else if (r->basic) {
            basic = r->basic_used = true;
        } else {
            return 0;
        }
        /* The first answer's body (an error document) is not part of the result. */
        free(k->buf);
        k->buf = NULL;
        k->len = k->cap = 0;
    }
    return 0;
}

static int http_error(struct reg *r, const char *what, long code, sp_error **err)
{
    if (code == 401 || code == 403)
        return sp_err(err, 0,
                      "%s/%s: %s: access denied (HTTP %ld; credentials with "
                      "--authfile?)",
                      r->host, r->repo, what, code);
    if (code == 404)
        return sp_err(err, 0, "%s/%s: %s: not found", r->host, r->repo, what);
    return sp_err(err, 0, "%s/%s: %s: HTTP %ld", r->host, r->repo, what, code);
}

/* Decide https or (tls_verify off, nothing speaking TLS there) http. */
static int pick_scheme(struct reg *r, sp_error **err)
{
    r->scheme = sp_xstrdup("https");
    struct sink k = {.max = 1u << 20};
    long code = 0;
    _cleanup_error_ sp_error *e = NULL;
    int rc = get(r, "/v2/", NULL, &k, &code, &e);
    free(k.buf);
    if (rc == 0)
        return 0;
    if (r->o->tls_verify) {
        *err = sp_steal_ptr(&e);
        return -1;
    }
    free(r->scheme);
    r->scheme = sp_xstrdup("http");
    k = (struct sink){.max = 1u << 20};
    rc = get(r, "/v2/", NULL, &k, &code, err);
    free(k.buf);
    return rc;
}

/* ---- the pull ---------------------------------------------------------------- */

static int fetch_manifest(struct reg *r, struct sp_store *s, const char *ref, const char *want,
                          char out[SP_DIGEST_MAX], char **text, sp_error **err)
{
    _cleanup_free_ char *path = sp_xasprintf("/v2/%s/manifests/%s", r->repo, ref);
    struct sink k = {.max = MANIFEST_MAX};
    long code = 0;
    if (get(r, path, ACCEPT_MANIFESTS, &k, &code, err) < 0) {
        free(k.buf);
        return -1;
    }
    if (code != 200) {
        free(k.buf);
        _cleanup_free_ char *what = sp_xasprintf("manifest %s", ref);
        return http_error(r, what, code, err);
    }
    /* Stored under its own digest; asked by digest, it must be that one. */
    if (sp_blob_put_buf(s, k.buf ? k.buf : "", k.len, out, err) < 0) {
        free(k.buf);
        return -1;
    }
    if (want && strcmp(want, out) != 0) {
        free(k.buf);
        return sp_err(err, 0, "%s/%s: manifest %s has digest %s", r->host, r->repo, want, out);
    }
    *text = k.buf ? k.buf : sp_xstrdup("");
    return 0;
}

/* ---- blobs: parallel, resumed, with progress ------------------------------- */

#define PARALLEL     3 /* transfers at a time: enough to fill a link, polite to a registry */
#define MAX_ATTEMPTS 5

/*
 * One blob's download.  The blob writer survives failed attempts: what it
 * holds was hashed as it arrived, so a retry asks only for the rest
 * (Range: bytes=N-) and the digest checked at commit covers the whole blob.
 * A server that answers a range with 200 sends everything again: the writer
 * starts over.
 */
struct xfer {
    struct reg *r;
    struct sp_store *s;
    const char *digest;
    int64_t size; /* from the manifest, -1 when absent */
    CURL *easy;
    struct curl_slist *hdrs;
    struct sp_blob_writer *w;
    sp_error *err;       /* fatal: no more attempts */
    uint64_t offset;     /* bytes held when this attempt started */
    long code;           /* status of the current response (0 until its first header) */
    bool body_started;   /* first body byte of this attempt seen and its status judged */
    bool range_ok;       /* 206 with a Content-Range starting at offset */
    bool reauth;         /* a Bearer token was refreshed for this blob already */
    char *www_auth;      /* challenge of a 401 */
    char *sent_token;    /* the Bearer token the current attempt carried */
    int attempt;         /* attempts started */
    uint64_t earlier;    /* bytes an earlier, interrupted pull left (partial/) */
    bool refetched;      /* those bytes did not verify and were thrown away */
    uint64_t not_before; /* monotonic ns: backoff before the next attempt */
    bool running, done;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t x_header(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct xfer *x = data;
    size_t n = size * nmemb;
    /* Each response (redirects included) starts with its status line. */
    if (n > 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        /* curl's buffer is not NUL-terminated: parse a bounded copy. */
        _cleanup_free_ char *line = strndup(ptr, n);
        const char *sp = line ? strchr(line, ' ') : NULL;
        x->code = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->range_ok = false;
        free(x->www_auth);
        x->www_auth = NULL;
        return n;
    }
    static const char cr[] = "content-range:", wa[] = "www-authenticate:";
    if (n > sizeof(cr) - 1 && strncasecmp(ptr, cr, sizeof(cr) - 1) == 0) {
        _cleanup_free_ char *v = strndup(ptr + sizeof(cr) - 1, n - (sizeof(cr) - 1));
        unsigned long long first = 0;
        /* "bytes FIRST-LAST/TOTAL": resume only where we stopped. */
        x->range_ok = v && sscanf(v, " bytes %llu-", &first) == 1 && first == x->offset;
    } else if (n > sizeof(wa) - 1 && strncasecmp(ptr, wa, sizeof(wa) - 1) == 0) {
        const char *v = ptr + sizeof(wa) - 1;
        size_t vl = n - (sizeof(wa) - 1);
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        free(x->www_auth);
        x->www_auth = strndup(v, vl);
    }
    return n;
}

static size_t x_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct xfer *x = data;
    size_t n = size * nmemb;
    if (!x->body_started) {
        x->body_started = true;
        if (x->code == 200 && x->offset > 0) {
            /* The server ignored the range: what we hold is replaced. */
            sp_blob_writer_abort(x->w);
            x->w = NULL;
            x->offset = 0;
            if (sp_blob_writer_open_resumable(x->s, x->digest, UINT64_MAX, &x->w, &x->err) < 0)
                return 0;
        } else if (x->code == 206 && !x->range_ok) {
            sp_err(&x->err, 0, "blob %s: the registry answered a range that does not start at %llu",
                   x->digest, (unsigned long long)x->offset);
            return 0;
        }
    }
    if (x->code != 200 && x->code != 206)
        return n; /* an error document: judged by its status when the transfer ends */
    if (x->size >= 0 && sp_blob_writer_size(x->w) + n > (uint64_t)x->size) {
        sp_err(&x->err, EFBIG, "blob %s: more than the %lld bytes the manifest says", x->digest,
               (long long)x->size);
        return 0;
    }
    if (sp_blob_writer_write(x->w, ptr, n, &x->err) < 0)
        return 0;
    return n;
}

/*
 * A blob whose whole content an earlier pull left in partial/ (killed just
 * before it stored it): verified and stored without asking the registry.
 * 1 when stored, 0 when x still needs a transfer.
 */
static int x_commit_held(struct xfer *x, sp_error **err)
{
    if (x->size < 0 || sp_blob_writer_size(x->w) != (uint64_t)x->size)
        return 0;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_blob_writer_commit(sp_steal_ptr(&x->w), x->digest, (uint64_t)x->size, NULL, &e) < 0) {
        /* Not the blob after all: the commit discarded it; fetch it whole. */
        sp_debug("blob %s: the partial download did not verify (%s); fetching it again", x->digest,
                 e->msg);
        x->refetched = true;
        return sp_blob_writer_open_resumable(x->s, x->digest, UINT64_MAX, &x->w, err) < 0 ? -1 : 0;
    }
    x->done = true;
    return 1;
}

/* Set up the next attempt of x on its easy handle; 1: x is stored already. */
static int x_start(struct xfer *x, sp_error **err)
{
    struct reg *r = x->r;
    if (!x->w) {
        /* What an earlier pull of this blob left is resumed, not fetched again. */
        uint64_t max = x->size >= 0 ? (uint64_t)x->size : UINT64_MAX;
        if (sp_blob_writer_open_resumable(x->s, x->digest, max, &x->w, err) < 0)
            return -1;
        if (x->attempt == 0 && !x->refetched) {
            x->earlier = sp_blob_writer_size(x->w);
            int held = x_commit_held(x, err);
            if (held != 0)
                return held;
        }
    }
    x->offset = sp_blob_writer_size(x->w);
    x->code = 0;
    x->body_started = x->range_ok = false;
    x->attempt++;
    _cleanup_free_ char *url =
        sp_xasprintf("%s://%s/v2/%s/blobs/%s", r->scheme, r->host, r->repo, x->digest);
    CURL *c = x->easy;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "septa");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, x_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, x_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    if (!r->o->tls_verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    free(x->sent_token);
    x->sent_token = r->token ? sp_xstrdup(r->token) : NULL;
    if (r->token) {
        _cleanup_free_ char *b = sp_xasprintf("Authorization: Bearer %s", r->token);
        x->hdrs = curl_slist_append(x->hdrs, b);
    }
    char range[32];
    snprintf(range, sizeof(range), "%llu-", (unsigned long long)x->offset);
    /* libcurl copies the string; NULL asks for the whole blob. */
    curl_easy_setopt(c, CURLOPT_RANGE, x->offset > 0 ? range : NULL);
    if (x->hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
    if (r->basic_used) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->basic);
    }
    return 0;
}

/* ---- progress -------------------------------------------------------------- */

struct progress {
    bool tty;         /* stderr is a terminal: draw; otherwise stay silent */
    size_t drawn;     /* lines drawn last time, to move back over them */
    uint64_t last_ns; /* redraws at most 10 times a second */
};

static void human(uint64_t b, char out[16])
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < SP_ARRAY_SIZE(unit))
        v /= 1024, u++;
    snprintf(out, 16, u ? "%.1f%s" : "%.0f%s", v, unit[u]);
}

/* One line per blob: digest, a bar, bytes/total and state, redrawn in place. */
static void progress_draw(struct progress *pg, struct xfer *xs, size_t n, bool force)
{
    if (!pg->tty)
        return;
    uint64_t now = now_ns();
    if (!force && now - pg->last_ns < 100000000u)
        return;
    pg->last_ns = now;
    if (pg->drawn)
        fprintf(stderr, "\033[%zuA", pg->drawn);
    for (size_t i = 0; i < n; i++) {
        struct xfer *x = &xs[i];
        uint64_t have = x->done ? (x->size >= 0 ? (uint64_t)x->size : 0)
                        : x->w  ? sp_blob_writer_size(x->w)
                                : 0;
        char bar[21];
        size_t fill = x->size > 0 ? (size_t)(have * 20 / (uint64_t)x->size) : (x->done ? 20 : 0);
        for (size_t k = 0; k < 20; k++)
            bar[k] = k < fill ? '#' : '.';
        bar[20] = '\0';
        char h[16], t[16];
        human(have, h);
        human(x->size >= 0 ? (uint64_t)x->size : 0, t);
        const char *state = x->done      ? "done"
                            : x->running ? ""
                            : x->attempt ? "retrying"
                                         : "waiting";
        fprintf(stderr, "\r\033[KCopying blob %.19s [%s] %s / %s%s%s", x->digest + 7, bar, h,
                x->size >= 0 ? t : "?", *state ? " " : "", state);
        if (x->attempt > 1 && !x->done)
            fprintf(stderr, " (attempt %d)", x->attempt);
        fputc('\n', stderr);
    }
    pg->drawn = n;
    fflush(stderr);
}

/* ---- the download loop ------------------------------------------------------ */

/* A finished attempt of x: commit, retry (resuming), or fail. */
static int x_finish(struct xfer *x, CURLcode rc, sp_error **err)
{
    struct reg *r = x->r;
    x->running = false;
    if (x->err) {
        *err = sp_steal_ptr(&x->err);
        return sp_err_wrap(err, "%s/%s", r->host, r->repo);
    }
    if (rc == CURLE_OK && (x->code == 200 || x->code == 206)) {
        struct sp_blob_writer *w = sp_steal_ptr(&x->w);
        _cleanup_error_ sp_error *e = NULL;
        if (sp_blob_writer_commit(w, x->digest, x->size < 0 ? UINT64_MAX : (uint64_t)x->size, NULL,
                                  &e) == 0) {
            x->done = true;
            return 0;
        }
        if (x->earlier == 0 || x->refetched) {
            *err = sp_steal_ptr(&e);
            return sp_err_wrap(err, "%s/%s", r->host, r->repo);
        }
        /* The bytes an earlier pull left were not a prefix of this blob (the
         * commit discarded them): fetch it once more, whole, right away. */
        sp_debug("blob %s: resumed download did not verify (%s); fetching it again", x->digest,
                 e->msg);
        x->refetched = true;
        x->earlier = 0;
        x->not_before = 0;
        return 0;
    }
    if (rc == CURLE_OK && x->code == 401 && r->token && x->sent_token &&
        strcmp(r->token, x->sent_token) != 0)
        return 0; /* another blob already renewed the token: go again with it */
    if (rc == CURLE_OK && x->code == 401 && !x->reauth && x->www_auth &&
        strncasecmp(x->www_auth, "Bearer", 6) == 0) {
        /* An expired token: one new one, then the same bytes again. */
        free(r->www_auth);
        r->www_auth = sp_steal_ptr(&x->www_auth);
        x->reauth = true;
        return fetch_token(r, err);
    }
    if (rc == CURLE_OK && x->code == 416) {
        /* What we hold is not a prefix the server knows: start over. */
        sp_blob_writer_abort(sp_steal_ptr(&x->w));
    } else if (rc == CURLE_OK && x->code < 500 && x->code != 429) {
        _cleanup_free_ char *what = sp_xasprintf("blob %s", x->digest);
        return http_error(r, what, x->code, err);
    }
    if (x->attempt >= MAX_ATTEMPTS) {
        if (rc != CURLE_OK)
            return sp_err(err, 0, "%s/%s: blob %s: %s (after %d attempts)", r->host, r->repo,
                          x->digest, curl_easy_strerror(rc), x->attempt);
        return sp_err(err, 0, "%s/%s: blob %s: HTTP %ld (after %d attempts)", r->host, r->repo,
                      x->digest, x->code, x->attempt);
    }
    sp_debug("blob %s: attempt %d failed (%s, HTTP %ld) at %llu bytes; resuming", x->digest,
             x->attempt, curl_easy_strerror(rc), x->code,
             (unsigned long long)(x->w ? sp_blob_writer_size(x->w) : 0));
    /* Backoff grows with each failure; other blobs keep going meanwhile. */
    x->not_before = now_ns() + (uint64_t)x->attempt * 500000000u;
    return 0;
}

/* Fetch every blob not yet stored, PARALLEL at a time, each verified by its digest. */
static int fetch_blobs(struct reg *r, struct sp_store *s, struct xfer *xs, size_t n, sp_error **err)
{
    struct progress pg = {.tty = !r->o->quiet && isatty(STDERR_FILENO)};
    CURLM *m = curl_multi_init();
    if (!m)
        return sp_err(err, ENOMEM, "initialising libcurl");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        xs[i].r = r;
        xs[i].s = s;
        if (!sp_oci_digest_valid(xs[i].digest))
            rc = sp_err(err, EINVAL, "%s/%s: '%s' is not a sha256 digest", r->host, r->repo,
                        xs[i].digest);
        else if (sp_blob_exists(s, xs[i].digest))
            xs[i].done = true;
        else if (!(xs[i].easy = curl_easy_init()))
            rc = sp_err(err, ENOMEM, "initialising libcurl");
    }
    size_t running = 0;
    while (rc == 0) {
        uint64_t now = now_ns();
        bool pending = false;
        for (size_t i = 0; i < n; i++) {
            struct xfer *x = &xs[i];
            if (x->done || x->running)
                continue;
            pending = true;
            if (running >= PARALLEL || x->not_before > now)
                continue;
            int st = x_start(x, err);
            if (st < 0) {
                rc = -1;
                break;
            }
            if (st > 0)
                continue; /* stored from partial/ without a transfer */
            curl_multi_add_handle(m, x->easy);
            x->running = true;
            running++;
        }
        if (rc < 0 || (!pending && running == 0))
            break;
        int still = 0;
        CURLMcode mc = curl_multi_perform(m, &still);
        if (mc != CURLM_OK) {
            rc = sp_err(err, 0, "%s/%s: downloading blobs: %s", r->host, r->repo,
                        curl_multi_strerror(mc));
            break;
        }
        CURLMsg *msg;
        int left;
        while (rc == 0 && (msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct xfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode res = msg->data.result;
            curl_multi_remove_handle(m, msg->easy_handle);
            running--;
            if (x_finish(x, res, err) < 0)
                rc = -1;
        }
        progress_draw(&pg, xs, n, false);
        if (rc == 0 && running > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
        else if (rc == 0)
            usleep(50000); /* only backoffs pending */
    }
    progress_draw(&pg, xs, n, true);
    for (size_t i = 0; i < n; i++) {
        if (xs[i].running)
            curl_multi_remove_handle(m, xs[i].easy);
        /* Kept in partial/: the next pull resumes it with a Range request. */
        sp_blob_writer_suspend(xs[i].w);
        if (xs[i].easy)
            curl_easy_cleanup(xs[i].easy);
        curl_slist_free_all(xs[i].hdrs);
        free(xs[i].www_auth);
        free(xs[i].sent_token);
        sp_error_free(&xs[i].err);
    }
    curl_multi_cleanup(m);
    return rc; /* errors above name the registry and repository already */
}

/* The host's manifest from an index blob's text. */
static int pick_from_index(struct reg *r, const char *digest, const char *text, char **out,
                           sp_error **err)
{
    _cleanup_free_ char *name = sp_xasprintf("index %s", digest);
    _cleanup_jdoc_ sp_jdoc *d = NULL;
    if (sp_jdoc_load_buf(text, strlen(text), name, &d, err) < 0)
        return -1;
    json_t *ms = NULL;
    if (sp_json_get_arr(d, d->root, "", "manifests", true, &ms, err) < 0)
        return -1;
    size_t i;
    json_t *m;
    json_array_foreach(ms, i, m)
    {
        json_t *p = json_object_get(m, "platform");
        const char *arch = json_string_value(json_object_get(p, "architecture"));
        const char *os = json_string_value(json_object_get(p, "os"));
        const char *dg = json_string_value(json_object_get(m, "digest"));
        if (arch && os && dg && strcmp(os, "linux") == 0 &&
            strcmp(arch, sp_image_host_arch()) == 0) {
            *out = sp_xstrdup(dg);
            return 0;
        }
    }
    return sp_err(err, ENOENT, "%s/%s: no manifest for linux/%s", r->host, r->repo,
                  sp_image_host_arch());
}

int sp_image_pull(const char *data_root, const char *ref, const struct sp_pull_opts *o,
                  json_t **loaded, sp_error **err)
{
    struct reg r = {.o = o};
    _cleanup_free_ char *tag = NULL, *digest = NULL;
    int rc = parse_ref(ref, &r.host, &r.repo, &tag, &digest, err);
    _cleanup_store_ struct sp_store *s = NULL;
    if (rc == 0)
        rc = load_basic(o->authfile, r.host, &r.basic, err);
    if (rc == 0)
        rc = sp_storage_open(data_root, &s, err);
    _cleanup_close_ int slock = rc == 0 ? sp_storage_lock(s, false, err) : -1;
    if (rc == 0 && slock < 0)
        rc = -1;
    if (rc == 0) {
        r.curl = curl_easy_init();
        if (!r.curl)
            rc = sp_err(err, ENOMEM, "initialising libcurl");
    }
    if (rc == 0)
        rc = pick_scheme(&r, err);
    char mdigest[SP_DIGEST_MAX] = "";
    _cleanup_free_ char *mtext = NULL;
    if (rc == 0)
        rc = fetch_manifest(&r, s, digest ? digest : tag, digest, mdigest, &mtext, err);
    if (rc == 0) {
        json_t *j = json_loads(mtext, 0, NULL);
        const char *mt = json_string_value(json_object_get(j, "mediaType"));
        bool index = json_is_array(json_object_get(j, "manifests")) ||
                     (mt && (strstr(mt, "index") || strstr(mt, "manifest.list")));
        json_decref(j);
        if (index) {
            _cleanup_free_ char *pick = NULL;
            rc = pick_from_index(&r, mdigest, mtext, &pick, err);
            if (rc == 0) {
                free(mtext);
                mtext = NULL;
                rc = fetch_manifest(&r, s, pick, pick, mdigest, &mtext, err);
            }
        }
    }
    if (rc == 0) {
        _cleanup_jdoc_ sp_jdoc *m = NULL;
        _cleanup_free_ char *mname = sp_xasprintf("manifest %s", mdigest);
        json_t *cfg = NULL, *layers = NULL;
        const char *cd = NULL;
        int64_t cs = 0;
        if (sp_jdoc_load_buf(mtext, strlen(mtext), mname, &m, err) < 0 ||
            sp_json_get_obj(m, m->root, "", "config", true, &cfg, err) < 0 ||
            sp_json_get_str(m, cfg, "config", "digest", true, &cd, err) < 0 ||
            sp_json_get_range(m, cfg, "config", "size", true, 0, MANIFEST_MAX, &cs, err) < 0 ||
            sp_json_get_arr(m, m->root, "", "layers", true, &layers, err) < 0)
            rc = -1;
        /* The config and every layer, downloaded together. */
        size_t n = 1 + json_array_size(layers);
        struct xfer *xs = sp_xcalloc(n, sizeof(*xs));
        if (rc == 0) {
            xs[0].digest = cd;
            xs[0].size = cs;
            size_t i;
            json_t *l;
            json_array_foreach(layers, i, l)
            {
                const char *ld = json_string_value(json_object_get(l, "digest"));
                json_t *sz = json_object_get(l, "size");
                xs[i + 1].digest = ld ? ld : "";
                xs[i + 1].size = json_is_integer(sz) ? json_integer_value(sz) : -1;
            }
            rc = fetch_blobs(&r, s, xs, n, err);
        }
        free(xs);
    }
    if (r.curl)
        curl_easy_cleanup(r.curl);
    if (rc == 0) {
        _cleanup_free_ char *name = digest ? NULL : sp_image_ref_normalize(ref);
        rc = sp_image_import_stored(data_root, mdigest, name, ref, loaded, err);
    }
    free(r.host);
    free(r.repo);
    free(r.scheme);
    free(r.token);
    free(r.basic);
    free(r.www_auth);
    free(r.ctype);
    if (rc < 0)
        return sp_err_wrap(err, "pulling %s", ref);
    return 0;
}
