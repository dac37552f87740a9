/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa load -i PATH`: import a docker-archive or OCI layout (dir or tar). */
#include "cli.h"
#include "images.h"

#include <getopt.h>
#include <string.h>

int sp_cmd_load(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *input = NULL, *format = "text";
    bool quiet = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+i:qf:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: septa load -i PATH [-q] [--format text|json]\n\n"
                   "Load images from a docker-archive tar, an OCI layout directory or an OCI\n"
                   "layout tar into the store.  Blobs are verified as they are copied; layers\n"
                   "are unpacked once and shared.\n\n"
                   "  -i, --input PATH    the archive or layout directory\n"
                   "  -q, --quiet         print nothing on success\n"
                   "  --format FMT        text (one line per image) or json\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa load", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "septa load: unexpected argument '%s'", argv[optind]);
    if (!input)
        return sp_err(err, 0, "septa load: -i PATH is required");
    if (sp_cli_check_format("septa load", format, err) < 0)
        return -1;
    _cleanup_json_ json_t *loaded = NULL;
    if (sp_image_load(g->data_root, input, &loaded, err) < 0)
        return sp_err_wrap(err, "septa load");
    if (quiet)
        return 0;
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(loaded, true);
        printf("%s\n", s);
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(loaded, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        printf("Loaded image: %s %s\n", *name ? name : "<none>",
               json_string_value(json_object_get(v, "digest")));
    }
    return 0;
}
