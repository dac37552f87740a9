/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa inspect CONTAINER...`: containers made by `septa run`, as JSON. */
#include "cli.h"
#include "images.h"
#include "runtime.h"

#include <string.h>

int sp_cmd_inspect(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: septa inspect CONTAINER...\n\n"
               "Show containers (by name, id or unique id prefix) as a JSON array: the record\n"
               "septa run keeps (name, image, command, exit code) with \"State\", the runtime's\n"
               "OCI state while the runtime knows the container, and \"Config\", its OCI\n"
               "config.  For images use 'septa image inspect'.\n");
        return 0;
    }
    if (argc > 1 && argv[1][0] == '-')
        return sp_err(err, 0, "septa inspect: unknown option '%s' (see 'septa inspect --help')",
                      argv[1]);
    if (argc < 2)
        return sp_err(err, 0, "septa inspect: no container given");
    _cleanup_json_ json_t *list = NULL;
    if (sp_image_container_list(g->data_root, &list, err) < 0)
        return sp_err_wrap(err, "septa inspect");
    _cleanup_json_ json_t *out = json_array();
    for (int i = 1; i < argc; i++) {
        _cleanup_free_ char *id = NULL;
        if (sp_image_container_find(g->data_root, argv[i], &id, err) < 0)
            return sp_err_wrap(err, "septa inspect");
        size_t k;
        json_t *c, *rec = NULL;
        json_array_foreach(list, k, c)
        {
            if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
                rec = c;
        }
        if (!rec)
            return sp_err(err, 0, "septa inspect: container '%s' vanished", argv[i]);
        json_t *doc = json_deep_copy(rec);
        json_t *state = NULL;
        _cleanup_error_ sp_error *e = NULL;
        if (sp_container_state(g->root, id, &state, &e) == 0)
            json_object_set_new(doc, "State", state);
        else
            json_object_set_new(doc, "State", json_pack("{s:s}", "status", "exited"));
        /* The bundle's config.json sits next to the root filesystem. */
        const char *rootfs = json_string_value(json_object_get(rec, "rootfs"));
        if (rootfs) {
            _cleanup_free_ char *cfg = sp_path_join(rootfs, "../config.json");
            json_t *j = json_load_file(cfg, 0, NULL);
            if (j)
                json_object_set_new(doc, "Config", j);
        }
        json_array_append_new(out, doc);
    }
    _cleanup_free_ char *s = sp_json_dumps(out, true);
    printf("%s\n", s);
    return 0;
}
