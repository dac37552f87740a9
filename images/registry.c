/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `pull`: the OCI distribution API over libcurl.  Manifests are fetched into
 * memory and verified against the digest they were asked by (or stored under
 * their own); blobs stream straight into the store through a blob writer
 * that hashes as it writes, so a blob that does not match its descriptor is
 * never stored.  Auth: anonymous, Bearer tokens from the WWW-Authenticate
 * challenge, and basic credentials from a docker/podman auth file.
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
#include <unistd.h>

#define ACCEPT_MANIFESTS                                                                           \
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "       \
    "application/vnd.docker.distribution.manifest.list.v2+json, "                                \
    "application/vnd.docker.distribution.manifest.v2+json"
#define MANIFEST_MAX (4u << 20)

struct reg {
    CURL *curl;
    const struct sp_pull_opts *o;
    char *host;     /* "127.0.0.1:5000", "registry-1.docker.io" */
    char *repo;     /* "library/busybox" */
    char *scheme;   /* "https" or, with tls_verify off and no TLS there, "http" */
    char *token;    /* Bearer token once obtained */
    char *basic;    /* "user:pass" from the auth file, or NULL */
    char *www_auth; /* last WWW-Authenticate header */
    char *ctype;    /* last Content-Type header */
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
    bool has_host = slash && (memchr(s, '.', (size_t)(slash - s)) ||
                              memchr(s, ':', (size_t)(slash - s)) ||
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

struct sink {
    char *buf; /* memory sink (manifests, tokens) */
    size_t len, cap, max;
    struct sp_blob_writer *w; /* or a blob */
    sp_error *err;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct sink *k = data;
    size_t n = size * nmemb;
    if (k->w) {
        if (sp_blob_writer_write(k->w, ptr, n, &k->err) < 0)
            return 0;
        return n;
    }
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
    static const struct { const char *name; size_t off; } want[] = {
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
    _cleanup_free_ char *bearer = r->token ? sp_xasprintf("Authorization: Bearer %s", r->token) : NULL;
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
    _cleanup_free_ char *url = sp_xasprintf("%s%sservice=%s&scope=%s", realm,
                                            strchr(realm, '?') ? "&" : "?", es, esc);
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
    bool basic = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (get_once(r, url, accept, basic, k, code, err) < 0)
            return -1;
        if (*code != 401 || attempt == 1)
            return 0;
        if (r->www_auth && strncasecmp(r->www_auth, "Bearer", 6) == 0) {
            if (fetch_token(r, err) < 0)
                return -1;
        } else if (r->basic) {
            basic = true;
        } else {
            return 0;
        }
        /* The first answer's body (an error document) is not part of the result. */
        if (k->w)
            return 0; /* blobs are only fetched after a manifest authenticated */
        free(k->buf);
        k->buf = NULL;
        k->len = k->cap = 0;
    }
    return 0;
}

static int http_error(struct reg *r, const char *what, long code, sp_error **err)
{
    if (code == 401 || code == 403)
        return sp_err(err, 0, "%s/%s: %s: access denied (HTTP %ld; credentials with "
                                   "--authfile?)", r->host, r->repo, what, code);
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

static int fetch_blob(struct reg *r, struct sp_store *s, const char *digest, int64_t size,
                      sp_error **err)
{
    if (!sp_oci_digest_valid(digest))
        return sp_err(err, EINVAL, "%s/%s: '%s' is not a sha256 digest", r->host, r->repo,
                      digest);
    if (sp_blob_exists(s, digest))
        return 0;
    _cleanup_free_ char *path = sp_xasprintf("/v2/%s/blobs/%s", r->repo, digest);
    bool tty = isatty(STDERR_FILENO);
    /* Transport failures are retried from the start, a few times, with backoff. */
    for (int attempt = 1;; attempt++) {
        struct sink k = {0};
        if (sp_blob_writer_open(s, &k.w, err) < 0)
            return -1;
        if (tty)
            fprintf(stderr, "Copying blob %.19s (%lld bytes)...\r", digest, (long long)size);
        long code = 0;
        _cleanup_error_ sp_error *e = NULL;
        int rc = get(r, path, NULL, &k, &code, &e);
        if (rc == 0 && code == 200) {
            if (sp_blob_writer_commit(k.w, digest, size < 0 ? UINT64_MAX : (uint64_t)size, NULL,
                                      err) < 0)
                return sp_err_wrap(err, "%s/%s", r->host, r->repo);
            if (tty)
                fprintf(stderr, "Copying blob %.19s done%*s\n", digest, 24, "");
            return 0;
        }
        sp_blob_writer_abort(k.w);
        if (rc == 0) {
            _cleanup_free_ char *what = sp_xasprintf("blob %s", digest);
            return http_error(r, what, code, err);
        }
        if (attempt == 3) {
            *err = sp_steal_ptr(&e);
            return sp_err_wrap(err, "blob %s (after %d attempts)", digest, attempt);
        }
        sleep((unsigned)attempt);
    }
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
    json_array_foreach(ms, i, m) {
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
        if (rc == 0)
            rc = fetch_blob(&r, s, cd, cs, err);
        size_t i;
        json_t *l;
        json_array_foreach(layers, i, l) {
            if (rc < 0)
                break;
            const char *ld = json_string_value(json_object_get(l, "digest"));
            json_t *sz = json_object_get(l, "size");
            rc = fetch_blob(&r, s, ld ? ld : "", json_is_integer(sz) ? json_integer_value(sz) : -1,
                            err);
        }
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
