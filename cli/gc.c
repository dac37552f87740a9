/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa gc`: remove what nothing uses and what a crashed septa left.
 * Image store part: root filesystems of containers that no longer exist,
 * unreferenced blobs and layers, partial loads.
 */
#include "cli.h"
#include "images.h"
#include "run_opts.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static bool container_alive(const char *id, void *data)
{
    /* The runtime keeps one state directory per container under its root;
     * only a container whose directory is positively absent is gone. */
    const char *root = data;
    _cleanup_free_ char *dir = sp_path_join(root, id);
    struct stat st;
    return !(lstat(dir, &st) < 0 && errno == ENOENT);
}

int sp_cmd_gc(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = NULL;
    int pr = sp_cli_parse_format("gc",
                                "Remove container root filesystems whose container is gone, blobs and\n"
                                "layers no image or container uses, leftovers of interrupted loads, and\n"
                                "partial downloads an interrupted pull kept for resuming.\n",
                                argc, argv, &format, err);
    if (pr != 0)
        return pr < 0 ? -1 : 0;
    _cleanup_json_ json_t *report = NULL;
    if (sp_image_gc(g->data_root, container_alive, (void *)g->root, &report, err) < 0)
        return sp_err_wrap(err, "septa gc");
    /* Ports and network namespaces of containers that are gone (run-options). */
    int ports = 0;
    if (sp_run_net_gc(g->data_root, g->root, &ports, err) < 0)
        return sp_err_wrap(err, "septa gc");
    json_object_set_new(report, "ports_removed", json_integer(ports));
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(report, true);
        printf("%s\n", s);
        return 0;
    }
    printf("removed %zu container roots, %lld layers, %lld blobs, %lld partial downloads; "
           "freed %lld bytes\n",
           json_array_size(json_object_get(report, "roots_removed")),
           (long long)json_integer_value(json_object_get(report, "layers_removed")),
           (long long)json_integer_value(json_object_get(report, "blobs_removed")),
           (long long)json_integer_value(json_object_get(report, "partials_removed")),
           (long long)json_integer_value(json_object_get(report, "bytes_freed")));
    return 0;
}
