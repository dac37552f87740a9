/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the OCI runtime's config.json loader (runtime/config.c,
 * sp_config_parse_buf: process, root, mounts and their options, namespaces,
 * id maps, devices, sysctls, masked/readonly paths, cgroupsPath, resources,
 * seccomp/hooks/personality through security.c), and `exec --process`'s
 * process parser on the input's "process" object.  The parser only reads
 * the host (stat of root.path and bind sources): the bundle is a scratch
 * directory with an empty rootfs/, made once and removed at exit.
 */
#include "../../runtime/config.h" /* not the build's config.h */
#include "fuzz.h"

#include <sys/stat.h>

static char *bundle;

static void cleanup(void)
{
    if (bundle)
        fuzz_rmdir(bundle);
    free(bundle);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!bundle) {
        bundle = fuzz_mkdtemp();
        char *rootfs = sp_path_join(bundle, "rootfs");
        if (mkdir(rootfs, 0755) < 0)
            abort();
        free(rootfs);
        atexit(cleanup);
    }
    sp_error *err = NULL;
    struct sp_config *c = NULL;
    int r = sp_config_parse_buf((const char *)data, size, bundle, &c, &err);
    fuzz_check(r, &err);
    if (r == 0 && !c)
        abort();
    sp_config_free(c);

    sp_jdoc *doc = NULL;
    if (sp_jdoc_load_buf((const char *)data, size, "process.json", &doc, &err) < 0) {
        sp_error_free(&err);
        return 0;
    }
    json_t *proc = json_is_object(doc->root) ? json_object_get(doc->root, "process") : NULL;
    if (json_is_object(proc)) {
        struct sp_process p;
        memset(&p, 0, sizeof(p));
        fuzz_check(sp_process_parse(doc, proc, "process", &p, &err), &err);
        sp_process_clear(&p);
    }
    sp_jdoc_free(doc);
    return 0;
}
