/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: loading an image (images/store.c, sp_image_load) from an
 * OCI layout directory or a docker-archive directory built from the input,
 * into a fresh data root; then the layout resolver (images/layout.c,
 * sp_oci_layout_resolve), the image config -> OCI runtime config translation
 * (images/spec.c, sp_image_runtime_config) and inspect of what loaded.
 *
 * The input is up to eight parts separated by lines "----" (fuzz.h):
 *   1 index.json   2 manifest   3 image config   4 layer (tar)   5 docker manifest.json
 *   6 the image's /etc/passwd   7 its /etc/group   8 `septa run` options (parse_opts)
 * Blobs are addressed by digest, which a mutation cannot guess, so the
 * harness substitutes placeholders after hashing: @CONFIG@ / @LAYER@ /
 * @MANIFEST@ -> "sha256:<hex>" of parts 3 / 4 / 2, @CONFIG_SIZE@ /
 * @LAYER_SIZE@ / @MANIFEST_SIZE@ -> their sizes, @DIFF@ -> sha256 of part 4
 * (its diff_id when it is a plain tar).  Config and layer are substituted
 * first, then the manifest, then the index.  With part 5 present (and not
 * a lone "-") the directory is a docker archive (manifest.json, config.json, layer.tar),
 * else an OCI layout (oci-layout, index.json, blobs/sha256/).
 * Everything lives in one scratch directory per iteration, removed after.
 */
#include "fuzz.h"
#include "images.h"

#include <sys/stat.h>

/* s with every occurrence of key replaced by val (s is freed). */
static char *subst(char *s, const char *key, const char *val)
{
    size_t kl = strlen(key), vl = strlen(val);
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, key)); p += kl)
        n++;
    if (!n)
        return s;
    char *out = malloc(strlen(s) + n * vl + 1), *o = out;
    const char *p = s, *q;
    while ((q = strstr(p, key))) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, val, vl);
        o += vl;
        p = q + kl;
    }
    strcpy(o, p);
    free(s);
    return out;
}

static void put_blob(const char *dir, const void *buf, size_t len, char digest[80])
{
    char hex[65];
    sp_sha256_hex(buf, len, hex);
    snprintf(digest, 80, "sha256:%s", hex);
    char path[512];
    snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, hex);
    fuzz_write(path, buf, len);
}

/*
 * Options as `septa run` passes them, one per line "X:VALUE": v volume,
 * t tmpfs, e env, c cap-add, d cap-drop, u user, w workdir, h hostname,
 * E entrypoint, C cpuset-cpus, M cpuset-mems, a command argument, r read-only.
 */
struct opt_lists {
    char *vol[8], *tmp[8], *env[8], *add[8], *drop[8], *cmd[8];
    size_t nvol, ntmp, nenv, nadd, ndrop, ncmd;
};

static void parse_opts(char *text, struct sp_run_opts *o, struct opt_lists *l)
{
    memset(l, 0, sizeof(*l));
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strlen(line) < 2 || line[1] != ':')
            continue;
        char *v = line + 2;
#define ADD(arr, n)                                                                                \
    do {                                                                                           \
        if (l->n < SP_ARRAY_SIZE(l->arr) - 1)                                                      \
            l->arr[l->n++] = v;                                                                    \
    } while (0)
        switch (line[0]) {
        case 'v': ADD(vol, nvol); break;
        case 't': ADD(tmp, ntmp); break;
        case 'e': ADD(env, nenv); break;
        case 'c': ADD(add, nadd); break;
        case 'd': ADD(drop, ndrop); break;
        case 'a': ADD(cmd, ncmd); break;
        case 'u': o->user = v; break;
        case 'w': o->workdir = v; break;
        case 'h': o->hostname = v; break;
        case 'E': o->entrypoint = v; break;
        case 'C': o->cpuset_cpus = v; break;
        case 'M': o->cpuset_mems = v; break;
        case 'r': o->read_only = true; break;
        }
#undef ADD
    }
    o->volumes = l->nvol ? l->vol : NULL;
    o->tmpfs = l->ntmp ? l->tmp : NULL;
    o->env = l->nenv ? l->env : NULL;
    o->cap_add = l->nadd ? l->add : NULL;
    o->cap_drop = l->ndrop ? l->drop : NULL;
    o->cmd = l->ncmd ? l->cmd : NULL;
}

/* Image config + options -> OCI config, with the image's passwd and group. */
static void run_config(const char *scratch, const char *text, const uint8_t *const *part,
                       const size_t *len)
{
    json_t *cfg = json_loads(text, 0, NULL);
    if (!cfg)
        return;
    char *etc = sp_path_join(scratch, "rootfs/etc");
    sp_error *err = NULL;
    if (sp_mkdir_p(etc, 0755, &err) < 0)
        abort();
    char path[512];
    snprintf(path, sizeof(path), "%s/passwd", etc);
    fuzz_write(path, part[5], len[5]);
    snprintf(path, sizeof(path), "%s/group", etc);
    fuzz_write(path, part[6], len[6]);
    char *rootfs = sp_path_join(scratch, "rootfs");

    char *opts = fuzz_str(part[7], len[7]);
    struct sp_run_opts o;
    memset(&o, 0, sizeof(o));
    struct opt_lists l;
    parse_opts(opts, &o, &l);
    json_t *out = NULL;
    int r = sp_image_runtime_config(cfg, rootfs, &o, &out, &err);
    fuzz_check(r, &err);
    if (r == 0) {
        if (!json_is_object(out)) {
            fprintf(stderr, "fuzz: runtime config succeeded without a document\n");
            abort();
        }
        /* Every volume asked for is mounted (none silently dropped). */
        json_t *mounts = json_object_get(out, "mounts");
        for (size_t i = 0; i < l.nvol; i++) {
            bool found = false;
            size_t k;
            json_t *m;
            json_array_foreach(mounts, k, m)
            {
                const char *src = json_string_value(json_object_get(m, "source"));
                const char *t = json_string_value(json_object_get(m, "type"));
                found |= src && t && strcmp(t, "bind") == 0 && strncmp(l.vol[i], src, strlen(src)) == 0 &&
                         l.vol[i][strlen(src)] == ':';
            }
            if (!found) {
                fprintf(stderr, "fuzz: -v '%s' accepted but not in the mounts\n", l.vol[i]);
                abort();
            }
        }
    }
    json_decref(out);
    free(opts);
    free(rootfs);
    free(etc);
    json_decref(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[8];
    size_t len[8];
    fuzz_split(data, size, part, len, 8);
    char *scratch = fuzz_mkdtemp();
    char *src = sp_path_join(scratch, "image");
    char *root = sp_path_join(scratch, "data");
    char *blobs = sp_path_join(src, "blobs/sha256");
    sp_error *err = NULL;
    if (sp_mkdir_p(blobs, 0755, &err) < 0)
        abort();

    char cdigest[80], ldigest[80], mdigest[80], num[32];
    char *config = fuzz_str(part[2], len[2]);
    char lhex[65];
    sp_sha256_hex(part[3], len[3], lhex);
    char diff[80];
    snprintf(diff, sizeof(diff), "sha256:%s", lhex);
    config = subst(config, "@DIFF@", diff);
    put_blob(src, config, strlen(config), cdigest);
    put_blob(src, part[3], len[3], ldigest);

    char *manifest = fuzz_str(part[1], len[1]);
    manifest = subst(manifest, "@CONFIG@", cdigest);
    manifest = subst(manifest, "@LAYER@", ldigest);
    snprintf(num, sizeof(num), "%zu", strlen(config));
    manifest = subst(manifest, "@CONFIG_SIZE@", num);
    snprintf(num, sizeof(num), "%zu", len[3]);
    manifest = subst(manifest, "@LAYER_SIZE@", num);
    put_blob(src, manifest, strlen(manifest), mdigest);

    char *index = fuzz_str(part[0], len[0]);
    index = subst(index, "@MANIFEST@", mdigest);
    snprintf(num, sizeof(num), "%zu", strlen(manifest));
    index = subst(index, "@MANIFEST_SIZE@", num);

    char path[512];
    if (len[4] && !(len[4] == 1 && part[4][0] == '-')) { /* "-": no docker part */
        snprintf(path, sizeof(path), "%s/manifest.json", src);
        fuzz_write(path, part[4], len[4]);
        snprintf(path, sizeof(path), "%s/config.json", src);
        fuzz_write(path, config, strlen(config));
        snprintf(path, sizeof(path), "%s/layer.tar", src);
        fuzz_write(path, part[3], len[3]);
    } else {
        static const char layout[] = "{\"imageLayoutVersion\": \"1.0.0\"}";
        snprintf(path, sizeof(path), "%s/oci-layout", src);
        fuzz_write(path, layout, sizeof(layout) - 1);
        snprintf(path, sizeof(path), "%s/index.json", src);
        fuzz_write(path, index, strlen(index));

        struct sp_oci_index_entry e;
        memset(&e, 0, sizeof(e));
        int r = sp_oci_layout_resolve(src, NULL, &e, &err);
        fuzz_check(r, &err);
        sp_oci_index_entry_clear(&e);
    }

    json_t *loaded = NULL;
    int r = sp_image_load(root, src, &loaded, &err);
    fuzz_check(r, &err);
    if (r == 0) {
        if (!json_is_array(loaded) || json_array_size(loaded) == 0)
            abort();
        const char *d = json_string_value(json_object_get(json_array_get(loaded, 0), "digest"));
        json_t *insp = NULL;
        if (!d || sp_image_inspect(root, d, &insp, &err) < 0) {
            fprintf(stderr, "fuzz: loaded image %s cannot be inspected: %s\n", d ? d : "(none)",
                    err ? err->msg : "");
            abort();
        }
        json_decref(insp);
    }
    json_decref(loaded);

    run_config(scratch, config, part, len);

    fuzz_rmdir(scratch);
    free(index);
    free(manifest);
    free(config);
    free(blobs);
    free(root);
    free(src);
    free(scratch);
    return 0;
}
